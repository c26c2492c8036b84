#!/bin/bash
# 70-slapd-policy.t: issue 9's policy checks where slapd differs from AD.
# slapd has no in-chain matching rule and (here) no memberOf: --group says
# so and refuses every account rather than passing everyone; it has the
# WhoAmI operation, so the log's run-start line carries the server's
# answer.  The checks that need no groups work as on AD: identities,
# krbtgt, RID 500, --scope.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W/c"
R=test.certbulk.lan
{
	cb_user_ldif slapd pol1
	cb_user_ldif slapd pol2
	cb_user_ldif slapd krbtgt_12345
	CB_RID=500 cb_user_ldif slapd admin
	printf 'dn: OU=Scoped,%s\nobjectClass: organizationalUnit\nou: Scoped\n\n' "$CB_BASE"
	e2e_user_ldif pol3 "OU=Scoped,$CB_BASE" pol3
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"

has_add() {
	e2e_ldif_pairs "$T/out" | grep -Fxq -- "$(e2e_dn "$1" "${3:-CN=Users,$CB_BASE}")	add	$(e2e_val "$2")"
}
nadds() { e2e_ldif_pairs "$T/out" | grep -c '	add	'; }

for s in 7601 7602 7603 7604 7605; do e2e_leaf "$W/c/$s.pem" "$s" || exit 1; done
e2e_leaf "$W/c/7606.pem" 7606 upn="pol1@$R" || exit 1
printf 'user,certificate\npol1,c/7601.pem\npol3,c/7602.pem\n' >"$W/g.csv"

# --group: no in-chain rule, no memberOf here: nobody is a member
e2e_run "${LDAPS[@]}" -n --group "OU=Scoped,$CB_BASE" --csv "$W/g.csv"
exit_is 1 "slapd: --group"
grep -q 'warning: this directory is not Active Directory: it has no in-chain matching rule' "$T/err"
ok_diag $? "slapd: --group says the in-chain rule is missing"
is "$(nadds)" 0 "slapd: --group passes nobody rather than everyone"
is "$(grep -c '\[out-of-scope\]' "$T/err")" 2 "slapd: --group: each account refused by name"

# --scope works as anywhere
e2e_run "${LDAPS[@]}" -n --scope "OU=Scoped,$CB_BASE" --csv "$W/g.csv"
exit_is 1 "slapd: --scope"
has_add pol3 7602 "OU=Scoped,$CB_BASE"; ok_diag $? "slapd: --scope: the account inside is planned"
grep -q 'g.csv:2: "cn=pol1,.*outside the scope.*\[out-of-scope\]' "$T/err"; ok_diag $? "slapd: --scope: pol1 refused"

# identities, krbtgt_NNNNN, RID 500
printf 'user,certificate\npol2,c/7606.pem\nkrbtgt_12345,c/7603.pem\nadmin,c/7604.pem\n' >"$W/p.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/p.csv"
exit_is 1 "slapd: identity and protected accounts"
grep -q 'p.csv:2: the certificate is not "cn=pol2,.*UPN is pol1@.*userPrincipalName pol2@.*\[identity-mismatch\]' "$T/err"
ok_diag $? "slapd: a UPN disagreement is refused"
grep -q 'p.csv:3: .*krbtgt.*\[protected\]' "$T/err"; ok_diag $? "slapd: krbtgt_NNNNN (an RODC's) refused"
grep -q 'p.csv:4: .*RID 500.*\[protected\]' "$T/err"; ok_diag $? "slapd: RID 500 refused"
e2e_run "${LDAPS[@]}" -n --trust-csv --allow-protected krbtgt_12345 --allow-protected admin --csv "$W/p.csv"
exit_is 0 "slapd: --trust-csv and --allow-protected"
is "$(nadds)" 3 "slapd: all three planned"

# whoami: slapd answers it
rm -f "$T/log"
e2e_run "${LDAPS[@]}" -n --log "$T/log" --csv "$W/g.csv"
grep -qi "audit: run start: .*bind simple as dn:$CB_BIND_DN (whoami)" "$T/log"
ok_diag $? "slapd: the run-start line has the server's whoami answer"

done_testing
