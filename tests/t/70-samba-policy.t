#!/bin/bash
# 70-samba-policy.t: against a real Samba AD DC (issue 9): a CSV row whose
# certificate names someone else is refused with both identities named
# (--trust-csv maps it with a warning); protected accounts refused unless
# --allow-protected names them; disabled accounts warned, refused with
# --skip-disabled; --scope and --group (nested, via the in-chain rule);
# the log's audit lines; CSV friendliness; GSS-SPNEGO over LDAPS with a
# keytab, and with no -Y at all.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
W=$T/w
mkdir -p "$W/c" "$W/dir" "$W/c/sub"
R=${CB_REALM,,}
SMB=(-s "$AD/etc/smb.conf")

{
	for n in alice bob carol dave pa1 pa2 sc1 gm1 gm2 en1 lg1 fr1; do
		sb_user "$n"
	done
	sb_user eve 'adminCount: 1'
	sb_user_mail frank "frank.mail@$R"
	printf 'dn: OU=Scoped,%s\nobjectClass: organizationalUnit\n\n' "$CB_BASE"
	printf 'dn: CN=sc2,OU=Scoped,%s\nobjectClass: user\nsAMAccountName: sc2\nuserPrincipalName: sc2@%s\n\n' "$CB_BASE" "$R"
	# an enabled account without a password (PASSWD_NOTREQD | NORMAL)
	printf 'dn: CN=en2,CN=Users,%s\nobjectClass: user\nsAMAccountName: en2\nuserPrincipalName: en2@%s\nuserAccountControl: 544\n\n' "$CB_BASE" "$R"
	# pa2 is in "nested", which is in Backup Operators (a protected group)
	# (the members' DNs as written above: looking them up here would race
	# with the ldapadd reading this stream)
	printf 'dn: CN=nested,CN=Users,%s\nobjectClass: group\nsAMAccountName: nested\nmember: CN=pa2,CN=Users,%s\n\n' \
		"$CB_BASE" "$CB_BASE"
	# gm1 is in gchild, which is in gparent
	printf 'dn: CN=gchild,CN=Users,%s\nobjectClass: group\nsAMAccountName: gchild\nmember: CN=gm1,CN=Users,%s\n\n' \
		"$CB_BASE" "$CB_BASE"
	printf 'dn: CN=gparent,CN=Users,%s\nobjectClass: group\nsAMAccountName: gparent\nmember: CN=gchild,CN=Users,%s\n\n' \
		"$CB_BASE" "$CB_BASE"
} | cb_add_users -
ok $? "setup: users, OU and groups added"
{
	printf 'dn: CN=Domain Admins,CN=Users,%s\nchangetype: modify\nadd: member\nmember: %s\n-\n\n' \
		"$CB_BASE" "$(cb_user_dn pa1)"
	printf 'dn: CN=Backup Operators,CN=Builtin,%s\nchangetype: modify\nadd: member\nmember: CN=nested,CN=Users,%s\n-\n\n' \
		"$CB_BASE" "$CB_BASE"
} | cb_ldap ldapmodify >/dev/null
ok $? "setup: pa1 in Domain Admins, nested in Backup Operators"

has_add() {
	e2e_ldif_pairs "$T/out" | grep -Fxq -- "$(sb_dn "$1")	add	$(e2e_val "$2")"
}
nadds() { e2e_ldif_pairs "$T/out" | grep -c '	add	'; }
err_line() { grep -E "^certbulk: $1" "$T/err"; }

# ------------------------------------------------ identity agreement
e2e_leaf "$W/c/7001.pem" 7001 upn="bob@$R" || exit 1
e2e_leaf "$W/c/7002.pem" 7002 email="alice@$R" || exit 1
e2e_leaf "$W/c/7003.pem" 7003 sid="$(cb_user_sid alice)" || exit 1
e2e_leaf "$W/c/7004.pem" 7004 upn="dave@$R" email="dave@$R" sid="$(cb_user_sid dave)" || exit 1
e2e_leaf "$W/c/7005.pem" 7005 || exit 1
# the SID as a SAN URI (KB5014754), alice's, on a row for sc1
sb_leaf "$W/c/7006.pem" 7006 "/CN=sc1" "subjectAltName = @alt" "[alt]" \
	"URI.1 = tag:microsoft.com,2022-09-14:sid:$(cb_user_sid alice)" || exit 1
printf 'user,certificate\nalice,c/7001.pem\nbob,c/7002.pem\ncarol,c/7003.pem\ndave,c/7004.pem\nlg1,c/7005.pem\nsc1,c/7006.pem\n' >"$W/swap.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/swap.csv"
exit_is 1 "swapped certificates"
err_line "$W/swap.csv:2: the certificate is not \"CN=alice,CN=Users,.*UPN is bob@$R, the account's userPrincipalName alice@$R; not mapped \[identity-mismatch\]" >/dev/null
ok_diag $? "UPN disagreement refused, both UPNs and the account named, reason code"
err_line "$W/swap.csv:3: .*\"CN=bob,CN=Users,.*SAN e-mail is alice@$R, the account's mail bob@$R; not mapped \[identity-mismatch\]" >/dev/null
ok_diag $? "e-mail disagreement refused, both addresses named"
err_line "$W/swap.csv:4: .*\"CN=carol,CN=Users,.*SID is $(cb_user_sid alice), the account's objectSid $(cb_user_sid carol); .*\[identity-mismatch\]" >/dev/null
ok_diag $? "SID disagreement refused, both SIDs named"
err_line "$W/swap.csv:7: .*\"CN=sc1,CN=Users,.*SID is $(cb_user_sid alice), the account's objectSid $(cb_user_sid sc1); .*\[identity-mismatch\]" >/dev/null
ok_diag $? "SAN URI SID disagreement refused"
has_add dave 7004; ok_diag $? "a certificate whose identities all agree is planned"
has_add lg1 7005; ok_diag $? "a certificate that names no identity is fine for a CSV row"
is "$(nadds)" 2 "only those two are planned"

e2e_run "${LDAPS[@]}" -n --trust-csv --csv "$W/swap.csv"
exit_is 0 "--trust-csv"
is "$(grep -c 'warning: .*swap.csv:[2347]: the certificate does not agree with .*(--trust-csv)' "$T/err")" 4 \
	"--trust-csv: one warning per disagreeing row"
has_add alice 7001 && has_add bob 7002 && has_add carol 7003 && has_add sc1 7006
ok_diag $? "--trust-csv: the rows are planned as the CSV says"

# ------------------------------------------------ protected accounts
for s in 7101 7102 7103 7104 7105 7106; do e2e_leaf "$W/c/$s.pem" "$s" || exit 1; done
printf 'user,certificate\neve,c/7101.pem\npa1,c/7102.pem\npa2,c/7103.pem\nkrbtgt,c/7104.pem\nDC1$,c/7105.pem\nAdministrator,c/7106.pem\n' >"$W/prot.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/prot.csv"
exit_is 1 "protected accounts"
is "$(nadds)" 0 "protected accounts: nothing planned"
err_line "$W/prot.csv:2: \"CN=eve,.*protected account: .*adminCount=1.*\[protected\]" >/dev/null
ok_diag $? "adminCount=1 refused"
# pa1 is in Domain Admins, itself in Administrators: either may be named
# (the groups' members arrive in the server's order)
err_line "$W/prot.csv:3: \"CN=pa1,.*protected group (Domain Admins|Administrators).*\[protected\]" >/dev/null
ok_diag $? "a member of Domain Admins refused, the group named"
err_line "$W/prot.csv:4: \"CN=pa2,.*protected group Backup Operators.*\[protected\]" >/dev/null
ok_diag $? "a nested member of Backup Operators refused"
err_line "$W/prot.csv:5: \"CN=krbtgt,.*krbtgt.*\[protected\]" >/dev/null
ok_diag $? "krbtgt refused"
err_line "$W/prot.csv:6: \"CN=DC1,OU=Domain Controllers,.*SERVER_TRUST_ACCOUNT.*\[protected\]" >/dev/null
ok_diag $? "a domain controller refused"
err_line "$W/prot.csv:7: \"CN=Administrator,.*RID 500.*\[protected\]" >/dev/null
ok_diag $? "Administrator (RID 500) refused"

ALLOW=(--allow-protected eve --allow-protected "pa1@$R" --allow-protected "$(cb_user_dn pa2)"
	--allow-protected KRBTGT --allow-protected 'DC1$' --allow-protected "$CB_DOMAIN_SID-500")
e2e_run "${LDAPS[@]}" -n "${ALLOW[@]:0:10}" --csv "$W/prot.csv"
exit_is 1 "all but Administrator named"
is "$(nadds)" 5 "the five named ones are planned"
err_line "$W/prot.csv:7: .*\[protected\]" >/dev/null; ok_diag $? "the one not named is still refused"
e2e_run "${LDAPS[@]}" -n "${ALLOW[@]}" --csv "$W/prot.csv"
exit_is 0 "every protected account named (by name, UPN, DN and SID)"
is "$(nadds)" 6 "all six planned"
is "$(grep -c 'warning: .*mapped because --allow-protected names it' "$T/err")" 6 "each one still warned"

# a certificate whose SID extension ends in -500, found by --certdir
e2e_leaf "$W/dir/adm.pem" 7110 sid="$CB_DOMAIN_SID-500" || exit 1
e2e_run "${LDAPS[@]}" -n --certdir "$W/dir"
exit_is 1 "--certdir: SID extension -500"
grep -q "adm.pem: \"CN=Administrator,.*RID 500.*\[protected\]" "$T/err"
ok_diag $? "a -500 certificate is refused for Administrator"

# ------------------------------------------------ disabled accounts
e2e_leaf "$W/c/7201.pem" 7201 && e2e_leaf "$W/c/7202.pem" 7202 || exit 1
printf 'user,certificate\nen1,c/7201.pem\nen2,c/7202.pem\n' >"$W/dis.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/dis.csv"
exit_is 0 "a disabled account"
grep -q "warning: .*dis.csv:2: \"CN=en1,.*is disabled" "$T/err"; ok_diag $? "disabled: warned"
grep -q "dis.csv:3: .*disabled" "$T/err"; ok $((!$?)) "an enabled account: no warning"
has_add en1 7201; ok_diag $? "disabled: mapped by default"
e2e_run "${LDAPS[@]}" -n --skip-disabled --csv "$W/dis.csv"
exit_is 1 "--skip-disabled"
err_line "$W/dis.csv:2: \"CN=en1,.*disabled; not mapped \[disabled\]" >/dev/null; ok_diag $? "--skip-disabled refuses it"
has_add en2 7202; ok_diag $? "--skip-disabled: the enabled one is planned"

# ------------------------------------------------ --scope and --group
for s in 7301 7302 7303 7304; do e2e_leaf "$W/c/$s.pem" "$s" || exit 1; done
printf 'user,certificate\nsc2,c/7301.pem\nsc1,c/7302.pem\ngm1,c/7303.pem\ngm2,c/7304.pem\n' >"$W/scope.csv"
e2e_run "${LDAPS[@]}" -n --scope "OU=Scoped,$CB_BASE" --csv "$W/scope.csv"
exit_is 1 "--scope"
has_add sc2 7301; ok_diag $? "--scope: the account inside is planned"
is "$(nadds)" 1 "--scope: only that one"
err_line "$W/scope.csv:3: \"CN=sc1,CN=Users,.*outside the scope of this run \(under OU=Scoped,.*\[out-of-scope\]" >/dev/null
ok_diag $? "--scope: an account outside is refused by name"
e2e_run "${LDAPS[@]}" -n --group "CN=gparent,CN=Users,$CB_BASE" --csv "$W/scope.csv"
exit_is 1 "--group"
has_add gm1 7303; ok_diag $? "--group: a member through a nested group is planned"
is "$(nadds)" 1 "--group: only that one"
err_line "$W/scope.csv:5: \"CN=gm2,.*a member of CN=gparent.*\[out-of-scope\]" >/dev/null
ok_diag $? "--group: a non-member is refused by name"
e2e_run "${LDAPS[@]}" -n --group "CN=nosuch,CN=Users,$CB_BASE" --csv "$W/scope.csv"
exit_is 2 "--group naming no entry"
e2e_run "${LDAPS[@]}" -n --scope "OU=Scoped,$CB_BASE" --scope "CN=Users,$CB_BASE" --csv "$W/scope.csv"
exit_is 0 "--scope twice: either subtree"

# ------------------------------------------------ the log as an audit trail
e2e_leaf "$W/c/7401.pem" 7401 || exit 1
printf 'user,certificate\nlg1,c/7401.pem\n' >"$W/log.csv"
rm -f "$T/log"
e2e_run "${LDAPS[@]}" -q --state-dir "$T/st" --log "$T/log" --csv "$W/log.csv"
exit_is 0 "an applying run with -q and --log"
grep -q 'warning:' "$T/err"; ok $((!$?)) "-q: no warning on the terminal"
grep -q "warning: .*log.csv:2: \"CN=lg1,.*disabled" "$T/log"; ok $? "-q: the warning is in the log"
START=$(grep 'audit: run start: ' "$T/log")
like "$START" "certbulk [0-9.]+, pid [0-9]+, user root \(uid 0\), arguments: .*--log $T/log --csv $W/log.csv" "run start: version, pid, user, arguments"
SBIP=${CB_URI_LDAPS#ldaps://}; SBIP=${SBIP%%[:/]*}
like "$START" "server ldaps://$SBIP(:636)? \($SBIP port 636 with TLS\), base $CB_BASE, bind simple as dn:$CB_BIND_DN" "run start: the server connected to and the bind identity"
THUMB=$(openssl x509 -in "$W/c/7401.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
grep -iq "audit: changed \"CN=lg1,CN=Users,$CB_BASE\": added $(e2e_val 7401 | sed 's/[][\.*^$]/\\&/g') (certificate SHA-1 $THUMB)" "$T/log"
ok $? "one line per change: DN, value and thumbprint"
grep -q 'note: done: .*1 accounts changed' "$T/log"; ok $? "the end summary is in the log"
is "$(grep -c 'audit: run start' "$T/log")" 1 "one run-start line"
grep -q "$(cat "$CB_PWFILE")" "$T/log"; ok $((!$?)) "the password is not in the log"

# ------------------------------------------------ CSV friendliness
e2e_leaf "$W/c/sub/7501.pem" 7501 && e2e_leaf "$W/c/7502.pem" 7502 &&
	e2e_leaf "$W/c/7503.pem" 7503 || exit 1
printf 'Name,Email Address,Dept,Cert\nFrank,frank.mail@%s,IT,c\\sub\\7501.pem\nFr1,fr1@%s,IT,c/7502.pem\n' "$R" "$R" >"$W/hr.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/hr.csv"
exit_is 0 "an HR export: Email Address and Cert headers, a Windows path"
has_add frank 7501; ok_diag $? "Email Address column read as mail; a backslash path read"
has_add fr1 7502; ok_diag $? "the second row too"
is "$(grep -c 'ignored' "$T/err")" 1 "unknown columns: one warning for the file"
grep -q 'columns "Name", "Dept" ignored' "$T/err"; ok_diag $? "... naming them"
printf 'user,certificate\nfrank.mail@%s,c/7503.pem\nfr1@%s,c/7502.pem\n' "$R" "$R" >"$W/em.csv"
rm -f "$T/log"
e2e_run "${LDAPS[@]}" -n --log "$T/log" --csv "$W/em.csv"
exit_is 0 "e-mail addresses in the user column"
has_add frank 7503; ok_diag $? "no such UPN: found by mail"
has_add fr1 7502; ok_diag $? "a UPN: found by UPN"
grep -q "em.csv:2: frank.mail@$R is no account's userPrincipalName; found by mail" "$T/err"; ok_diag $? "... saying it was found by mail"
grep -q "em.csv:3: fr1@$R found by userPrincipalName" "$T/log"; ok $? "... and by UPN (in the log)"
printf 'who,what\nfr1,c/7502.pem\n' >"$W/bad.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/bad.csv"
[ "$RC" != 0 ]; ok $? "a header naming no known column is refused"
grep -q 'bad.csv:1: the header must name .*"Email Address".*cert' "$T/err"; ok_diag $? "... listing the accepted names"
printf 'user,certificate\nfr1,C:\\certs\\7502.pem\n' >"$W/abs.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/abs.csv"
exit_is 1 "an absolute Windows path"
grep -q 'abs.csv:2: .*absolute Windows path.*row skipped' "$T/err"; ok_diag $? "... is that row's error, said plainly"

# ------------------------------------------------ GSS-SPNEGO with a keytab
KT=$T/admin.keytab
samba-tool domain exportkeytab "$KT" --principal="Administrator@$CB_REALM" "${SMB[@]}" >"$T/kt.out" 2>&1
ok_diag $? "setup: keytab exported"
export KRB5CCNAME=FILE:$T/kt.ccache
kinit -k -t "$KT" "Administrator@$CB_REALM" >"$T/kinit.out" 2>&1
ok $? "kinit from the keytab"
rm -f "$T/log"
e2e_run -H "$CB_URI_LDAPS" -Y GSS-SPNEGO -b "$CB_BASE" -n --log "$T/log" --csv "$W/log.csv"
exit_is 0 "GSS-SPNEGO over LDAPS (maxssf=0 set by certbulk)"
grep -q "bind GSS-SPNEGO as .*Administrator" "$T/log"; ok_diag $? "... the log names the mechanism and the identity"
rm -f "$T/log"
e2e_run -H "$CB_URI_LDAPS" -b "$CB_BASE" -n --log "$T/log" --csv "$W/log.csv"
exit_is 0 "no -Y and no -x against AD over LDAPS: a GSS mechanism that works"
grep -q "bind GSS-SPNEGO as" "$T/log"; ok_diag $? "... GSS-SPNEGO picked from the rootDSE"

done_testing
