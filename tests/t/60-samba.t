#!/bin/bash
# 60-samba.t: certbulk end to end against a real Active Directory, a
# throwaway Samba AD DC (tests/dirs/samba.sh, one instance for the whole
# file): every bind kind (LDAPS and StartTLS simple binds, SASL GSSAPI with
# the harness's Kerberos ticket over LDAPS, StartTLS and plain LDAP, the
# refused cleartext bind, a wrong password, a server certificate from an
# unrelated CA), planning by every identifier kind and by --certdir
# (the SID extension against the real objectSid, UPN, e-mail), refusals,
# foreign values, the base from the root DSE, the continuation references
# Samba returns, previews that change nothing (strict dump), apply and
# undo, Samba's case-blind duplicates, --transaction (AD has none),
# --window, kill -9 and convergence, the weak forms, awkward DNs and UTF-8
# values (base64 LDIF), a hung Samba (SIGSTOP) against --timeout, and
# Samba stopped in the middle of a run.
#
# Expected values are computed here, not by certbulk (tests/e2e/lib.sh:
# the test CA is DC=lan/DC=certbulk/CN=certbulk e2e CA, serials are chosen,
# <SR> is the serial's bytes reversed).  "Restores" means `cb_dump content`
# (the whole tree minus replication and logon bookkeeping) equals the dump
# taken before.  "Changes nothing" means `cb_dump strict` (everything,
# whenChanged/uSNChanged included) is identical: GSSAPI with an existing
# ticket (its service ticket included) and successful simple binds move no
# logon counter on Samba (lastLogon, logonCount change only on a Kerberos
# AS exchange, i.e. kinit, which the harness did before the first dump), so
# the strict dump holds around previews.  Failed binds come after the
# strict checks and are compared with the content dump: Samba counts bad
# passwords (badPwdCount, badPasswordTime) only when the domain has a
# lockout threshold, which the template has not, but a test should not
# depend on that.  A diag line shows what they changed.
#
# Samba runs at ~600 modifies/s; the whole file takes about 25 s once the
# template exists (plus 5 s for each hung-server case that ignores
# --timeout and is ended by the test's own guard).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
W=$T/w
SN=$T/st-n	# --state-dir for previews (they should not touch it)
mkdir -p "$W/c"
REALM_LC=${CB_REALM,,}

# ------------------------------------------------------------------ users
FOREIGN1='Kerberos:foreign@OTHER.REALM'
FOREIGN2='X509:<I>DC=lan,DC=other,CN=Other CA<SR>0201'
NAMES='alice bob carol dave erin frank gina henry bysid byupn bymail dupa dupb
holder taker holder2 taker2 w1 w2 foreign lcase sidrow bindu
ap1 ap2 ap3 ap4 ap5 ap6 ap7 ap8 weak1'
{
	for n in $NAMES; do sb_user "$n"; done
	sb_user_mail amb1 "shared@$REALM_LC"
	sb_user_mail amb2 "shared@$REALM_LC"
	# awkward DNs: a comma, non-ASCII (dn:: in LDIF)
	printf 'dn: CN=Smith\\, John,OU=Staff,%s\nobjectClass: user\nsAMAccountName: jsmith\nuserPrincipalName: jsmith@%s\n\n' \
		"$CB_BASE" "$REALM_LC"
	printf 'dn:: %s\nobjectClass: user\nsAMAccountName: jmueller\nuserPrincipalName: jmueller@%s\n\n' \
		"$(printf 'CN=Jürgen Müller,OU=Staff,%s' "$CB_BASE" | base64 -w0)" "$REALM_LC"
	e2e_bulk_ldif bulk 300 -
} >"$T/users.ldif"
t0=$(date +%s%N)
cb_add_users "$T/users.ldif"
ok $? "setup: $(grep -c '^dn: ' "$T/users.ldif") users added with one ldapadd"
diag "adding users: $((($(date +%s%N) - t0) / 1000000)) ms"

# values put there beforehand, not by certbulk
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
sb_add_values foreign "$FOREIGN1" "$FOREIGN2" &&
	sb_add_values ap2 "$FOREIGN1" "$FOREIGN2" &&
	sb_add_values holder "$(e2e_val 7001)" &&
	sb_add_values holder2 "$(lower "$(e2e_val 7002)")" &&
	sb_add_values lcase "$(lower "$(e2e_val 7005)")" &&
	sb_add_values ap4 "$(lower "$(e2e_val 1105)")" &&
	sb_add_values ap6 "$(e2e_val 1108)" &&
	sb_add_values ap8 "$(e2e_val 110B | sed 's/<SR>.*/<SR>0b11/')"
ok $? "setup: foreign and existing values added with ldapmodify"

SID_DAVE=$(cb_user_sid dave)
SID_ALICE=$(cb_user_sid alice)
SID_BYSID=$(cb_user_sid bysid)
like "$SID_DAVE" "^$CB_DOMAIN_SID-[0-9]+\$" "setup: objectSid of a Samba user ($SID_DAVE)"

DN() { sb_dn "$1"; }
# want FILE LABEL NAME SERIAL [VALUE]: one expected "add" line
want() {
	printf '%s\t%s\tadd\t%s\n' "$2" "$(DN "$3")" "${5:-$(e2e_val "$4")}" >>"$1"
}
# check_pairs LDIF EXPECTED DESC: every expected value is in the LDIF (one
# test each), and nothing else is
check_pairs() {
	local ldif=$1 exp=$2 desc=$3 label dn op val extra
	e2e_ldif_pairs "$ldif" >"$ldif.pairs"
	while IFS=$'\t' read -r label dn op val; do
		if grep -Fxq -- "$dn	$op	$val" "$ldif.pairs"; then
			ok 0 "$desc: $label"
		else
			ok 1 "$desc: $label"
			diag "missing: $dn $op $val"
		fi
	done <"$exp"
	cut -f2- "$exp" | LC_ALL=C sort >"$exp.pairs"
	extra=$(LC_ALL=C comm -23 "$ldif.pairs" "$exp.pairs")
	is "$extra" "" "$desc: nothing else in the preview"
}
# errors: stderr lines that are neither warnings nor notes
errors() { grep -v -e '^certbulk: warning: ' -e '^certbulk: note: ' -e '^certbulk: hint: ' "$T/err"; }
# has_err ERE DESC: one stderr line matches (case-insensitive)
has_err() {
	if grep -Eiq -- "$1" "$T/err"; then
		ok 0 "$2"
	else
		ok 1 "$2"
		diag "no stderr line matches /$1/; stderr:" "$(head -c 3000 "$T/err")"
	fi
}
# err_names FILE-ERE DN1 DN2 DESC: a stderr line matching FILE-ERE names both
err_names() {
	grep -Ei -- "$1" "$T/err" | grep -Fi -- "$2" | grep -Fiq -- "$3"
	ok_diag $? "$4"
}
user_is() {	# user_is NAME DESC VALUE...: exactly these values
	local n=$1 d=$2
	shift 2
	is "$(cb_user_altsec "$n" | e2e_norm | LC_ALL=C sort)" \
		"$(printf '%s\n' "$@" | e2e_norm | LC_ALL=C sort)" "$d"
}
nvalues() { cb_user_altsec "$1" | grep -c .; }
same_content() {	# same_content NAME DESC: cb_dump content equals $T/NAME
	cb_dump content "$T/now"
	same_file "$T/now" "$T/$1" "$2"
}
same_strict() {		# same_strict NAME DESC: cb_dump strict equals $T/NAME
	cb_dump strict "$T/now"
	same_file "$T/now" "$T/$1" "$2"
}
nfiles() { find "$1" -name 'undo-*.ldif' 2>/dev/null | wc -l; }
records() { e2e_records "$1"; }
undo_ok() {	# undo_ok FILE DESC [LDAP OPTIONS...]: certbulk undo FILE
	local f=$1 d=$2
	shift 2
	[ $# -gt 0 ] || set -- "${LDAPS[@]}"
	e2e_run "$@" --state-dir "$T/undo-st" undo "$f"
	exit_is 0 "$d"
}

# Samba answers subtree searches from the domain root with a continuation
# reference to the Configuration partition; certbulk must ignore it.
cb_ldap ldapsearch -b "$CB_BASE" -s sub '(sAMAccountName=alice)' 1.1 >"$T/refs" 2>&1
grep -q '^ref: ' "$T/refs"
ok $? "setup: Samba returns a continuation reference for a search from the domain root"

cb_dump strict "$T/S0"
cb_dump content "$T/S0c"

# ===================================================================
# plan and preview (GSSAPI with the harness's ticket: no logon counters)
# ===================================================================
# ------------------------------------------------- every identifier kind
e2e_leaf "$W/c/alice.pem" 1001
e2e_leaf "$W/c/bob.pem" 1002
e2e_leaf "$W/c/carol.pem" 1003
e2e_leaf "$W/c/dave.cer" 1004	# DER
e2e_leaf "$W/c/erin.pem" 1005
e2e_leaf "$W/c/frank.pem" 1006
e2e_leaf "$W/c/gina.pem" 1007
e2e_leaf "$W/c/henry.pem" 1008
cat >"$W/ids.csv" <<EOF
user,certificate
alice,c/alice.pem
bob@$REALM_LC,c/bob.pem
"$(cb_user_dn carol)",c/carol.pem
$SID_DAVE,c/dave.cer
TESTCB\\erin,c/erin.pem
testcb\\frank,c/frank.pem
EOF
printf 'mail,certificate\ngina@%s,c/gina.pem\n' "$REALM_LC" >"$W/mail.csv"
e2e_run "${GSS[@]}" --state-dir "$SN" -n --csv "$W/ids.csv" --csv "$W/mail.csv"
exit_is 0 "identifier kinds"
cp "$T/out" "$W/ids.ldif"
: >"$W/ids.exp"
want "$W/ids.exp" "sAMAccountName" alice 1001
want "$W/ids.exp" "userPrincipalName" bob 1002
want "$W/ids.exp" "distinguishedName" carol 1003
want "$W/ids.exp" "objectSid as S-1-5-21-... text (DER certificate)" dave 1004
want "$W/ids.exp" "TESTCB\\user" erin 1005
want "$W/ids.exp" "NetBIOS domain in lower case" frank 1006
want "$W/ids.exp" "mail column" gina 1007
check_pairs "$W/ids.ldif" "$W/ids.exp" "identifier kinds"
is "$(errors)" "" "identifier kinds: no error (continuation references ignored)"
is "$(grep -c '^dn: ' "$W/ids.ldif")" 7 "identifier kinds: one record per account"

# the base from the root DSE when -b is not given
e2e_run -H "$CB_URI_LDAPS" -Y GSSAPI --state-dir "$SN" -n --csv "$W/ids.csv" --csv "$W/mail.csv"
exit_is 0 "no -b"
grep -Fiq "base $CB_BASE" "$T/out"
ok_diag $? "no -b: the preview names the base from the root DSE's defaultNamingContext"
e2e_ldif_pairs "$T/out" >"$T/nob.pairs"
same_file "$T/nob.pairs" "$W/ids.ldif.pairs" "no -b: the same plan as with -b"

# A NetBIOS domain that is not this directory's must not find this
# domain's account of the same name.
printf 'user,certificate\nOTHERDOM\\henry,c/henry.pem\n' >"$W/otherdom.csv"
e2e_run "${GSS[@]}" --state-dir "$SN" -n --csv "$W/otherdom.csv"
exit_is 1 "OTHERDOM\\henry (not this domain)"
is "$(e2e_ldif_pairs "$T/out")" "" "OTHERDOM\\henry: nothing planned for TESTCB's henry"

# ------------------------------------------ unknown and ambiguous (CSV)
e2e_leaf "$W/c/nosuch.pem" 1010
e2e_leaf "$W/c/shared.pem" 1011
e2e_leaf "$W/c/ghostsid.pem" 1012
cat >"$W/unk.csv" <<EOF
user,certificate
nosuch,c/nosuch.pem
$CB_DOMAIN_SID-99999,c/ghostsid.pem
EOF
printf 'mail,certificate\nshared@%s,c/shared.pem\n' "$REALM_LC" >"$W/amb.csv"
e2e_run "${GSS[@]}" --state-dir "$SN" -n --csv "$W/unk.csv" --csv "$W/amb.csv"
exit_is 1 "unknown and ambiguous accounts"
is "$(e2e_ldif_pairs "$T/out")" "" "unknown and ambiguous: nothing planned"
has_err 'unk\.csv:2:.*nosuch' "an unknown sAMAccountName is reported with its line"
has_err "unk\\.csv:3:.*$CB_DOMAIN_SID-99999" "an unknown SID is reported with its line"
err_names 'amb\.csv:2:' "$(DN amb1)" "$(DN amb2)" \
	"a mail two accounts share is refused, naming both"

# ------------------------------------------------------------- --certdir
mkdir -p "$W/cd/sub/deeper"
e2e_leaf "$W/cd/sid.cer" 5001 "sid=$SID_BYSID"
e2e_leaf "$W/cd/sub/upn.pem" 5002 "upn=byupn@$REALM_LC"
e2e_leaf "$W/cd/sub/deeper/mail.crt" 5003 "email=bymail@$REALM_LC"
e2e_leaf "$W/cd/nobody.der" 5004 "upn=nobody@$REALM_LC" "email=nobody@$REALM_LC"
e2e_leaf "$W/cd/two.pem" 5005 "upn=dupa@$REALM_LC" "email=dupb@$REALM_LC"
e2e_leaf "$W/cd/shared.pem" 5006 "email=shared@$REALM_LC"
e2e_leaf "$W/cd/ghostsid.pem" 5007 "sid=$CB_DOMAIN_SID-99998"
e2e_run "${GSS[@]}" --state-dir "$SN" -n --certdir "$W/cd"
exit_is 1 "--certdir"
cp "$T/out" "$W/cd.ldif"
: >"$W/cd.exp"
want "$W/cd.exp" "matched by the SID extension (the real objectSid)" bysid 5001
want "$W/cd.exp" "matched by the SAN UPN" byupn 5002
want "$W/cd.exp" "matched by the SAN e-mail" bymail 5003
check_pairs "$W/cd.ldif" "$W/cd.exp" "--certdir"
has_err 'nobody\.der.*no account' "--certdir: a certificate matching nobody is reported"
has_err 'ghostsid\.pem.*no account' "--certdir: a SID extension naming no account is reported"
err_names 'two\.pem' "$(DN dupa)" "$(DN dupb)" \
	"--certdir: UPN and e-mail naming two accounts: refused, naming both"
err_names 'shared\.pem' "$(DN amb1)" "$(DN amb2)" \
	"--certdir: an e-mail two accounts share: refused, naming both"

e2e_run "${GSS[@]}" --state-dir "$SN" -n --match sid --certdir "$W/cd"
exit_is 1 "--certdir --match sid"
is "$(e2e_ldif_pairs "$T/out" | cut -f1)" "$(DN bysid)" "--match sid: only the SID match is planned"

# -------------------------------------------- refusals, foreign values
e2e_leaf "$W/c/held.pem" 7001	# holder has this value
e2e_leaf "$W/c/held2.pem" 7002	# holder2 has it in lower case
e2e_leaf "$W/c/twice.pem" 7003
e2e_leaf "$W/c/foreign.pem" 7004
e2e_leaf "$W/c/lcase.pem" 7005	# lcase has it in lower case
e2e_leaf "$W/c/alicesid.pem" 7006 "sid=$SID_ALICE"
cat >"$W/conf.csv" <<'EOF'
user,certificate
taker,c/held.pem
taker2,c/held2.pem
w1,c/twice.pem
w2,c/twice.pem
foreign,c/foreign.pem
lcase,c/lcase.pem
sidrow,c/alicesid.pem
EOF
e2e_run "${GSS[@]}" --state-dir "$SN" -n --csv "$W/conf.csv"
exit_is 1 "refusals"
cp "$T/out" "$W/conf.ldif"
: >"$W/conf.exp"
want "$W/conf.exp" "foreign values: only the new value is added" foreign 7004
check_pairs "$W/conf.ldif" "$W/conf.exp" "refusals and foreign values"
grep -Fi "$(e2e_val 7001)" "$T/err" | grep -Fi "$(DN holder)" | grep -Fiq "$(DN taker)"
ok_diag $? "a value another account holds is refused, naming both accounts"
err_names '' "$(DN holder2)" "$(DN taker2)" \
	"a value another account holds in other letter case is refused, naming both"
err_names '' "$(DN w1)" "$(DN w2)" "one value wanted for two accounts is refused, naming both"
grep -Fiq "$(DN lcase)" "$W/conf.ldif"
ok $((!$?)) "a value the account holds in other letter case is not planned again"
has_err 'conf\.csv:8:' "a SID extension naming another account than the row is refused, with its line"
is "$(grep -Eic '^(delete|replace):' "$W/conf.ldif")" 0 "foreign values: the preview neither deletes nor replaces"

same_strict S0 "GSSAPI previews changed nothing (strict dump: not even lastLogon)"

# ===================================================================
# bind variants (preview of one value)
# ===================================================================
e2e_leaf "$W/c/bindu.pem" 9001
printf 'user,certificate\nbindu,c/bindu.pem\n' >"$W/bind.csv"
BIND_PAIR="$(DN bindu)	add	$(e2e_val 9001)"
bind_ok() {	# bind_ok DESC: exit 0 and the one value planned
	exit_is 0 "$1"
	is "$(e2e_ldif_pairs "$T/out")" "$BIND_PAIR" "$1: the value is planned"
}
e2e_run "${LDAPS[@]}" --state-dir "$SN" -n --csv "$W/bind.csv"
bind_ok "LDAPS simple bind"
e2e_run -H "$CB_URI" -ZZ -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" \
	-n --csv "$W/bind.csv"
bind_ok "StartTLS (-ZZ) simple bind"
e2e_run -H "$CB_URI_LDAPS" -Y GSSAPI -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
bind_ok "GSSAPI over LDAPS (maxssf=0 set by certbulk)"
e2e_run -H "$CB_URI_LDAPS" -Y GSSAPI -O maxssf=0 -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
bind_ok "GSSAPI over LDAPS with -O maxssf=0"
e2e_run -H "$CB_URI" -ZZ -Y GSSAPI -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
bind_ok "GSSAPI over StartTLS -ZZ (maxssf=0 set by certbulk)"
e2e_run -H "$CB_URI" -ZZ -Y GSSAPI -O maxssf=0 -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
bind_ok "GSSAPI over StartTLS -ZZ with -O maxssf=0"
e2e_run -H "$CB_URI" -Y GSSAPI -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
bind_ok "GSSAPI over plain ldap:// (SASL security layer)"
e2e_run -H "$CB_URI_LDAPS" -Y GSSAPI -O minssf=56 -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
exit_is 3 "GSSAPI over LDAPS with -O minssf=56 (a layer inside TLS, which AD refuses)"
has_err 'SASL bind failed' "... the bind failure is reported"

e2e_run -H "$CB_URI" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" \
	-n --csv "$W/bind.csv"
exit_is 2 "plain ldap:// simple bind: refused by certbulk"
has_err 'unencrypted|cleartext' "... saying why"
is "$(wc -c <"$T/out")" 0 "... and writes no preview"

same_strict S0 "successful binds of every kind changed nothing (strict dump)"

# From here on binds fail, which would update badPwdCount/badPasswordTime
# if the domain had a lockout threshold.
e2e_run -H "$CB_URI" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" \
	--allow-cleartext-bind --state-dir "$SN" -n --csv "$W/bind.csv"
exit_is 3 "plain ldap:// simple bind with --allow-cleartext-bind: refused by Samba"
has_err 'strong(\(er\)|er)? authentication' "... the error says strong(er) authentication is required"
is "$(wc -c <"$T/out")" 0 "... and writes no preview"

printf 'not-the-password' >"$T/wrongpw"
chmod 600 "$T/wrongpw"
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$T/wrongpw" -b "$CB_BASE" \
	-n --csv "$W/bind.csv"
exit_is 3 "wrong password"
has_err 'invalid credentials' "wrong password: the server's reason is shown"
is "$(wc -c <"$T/out")" 0 "wrong password: no preview"

# a server certificate from another CA: the connection must fail
SIMPLE=(-x -D "$CB_BIND_DN" -y "$CB_PWFILE")
untrusted() {	# untrusted LABEL LDAP-OPTIONS...
	local label=$1
	shift
	LDAPTLS_CACERT=$T/pki/ca.pem e2e_run "$@" -b "$CB_BASE" --state-dir "$SN" -n --csv "$W/bind.csv"
	exit_is 3 "TLS with an unrelated CA ($label)"
	is "$(wc -c <"$T/out")" 0 "TLS with an unrelated CA ($label): no preview"
}
untrusted "LDAPS, simple bind" -H "$CB_URI_LDAPS" "${SIMPLE[@]}"
untrusted "LDAPS, GSSAPI" -H "$CB_URI_LDAPS" -Y GSSAPI
untrusted "-ZZ, simple bind" -H "$CB_URI" -ZZ "${SIMPLE[@]}"
untrusted "-ZZ, GSSAPI" -H "$CB_URI" -ZZ -Y GSSAPI

same_content S0c "failed binds changed no content"
cb_dump strict "$T/now"
chg=$(diff "$T/S0" "$T/now" | sed -n 's/^[<>] \([^:]*\):.*/\1/p' | sort -u | tr '\n' ' ')
diag "the failed binds changed in the strict dump: ${chg:-nothing}"

# ---------------------------------------------- ldapmodify takes the LDIF
for f in ids cd conf; do
	cb_ldap ldapmodify -f "$W/$f.ldif" >"$T/ldapmodify.out" 2>&1
	rc=$?
	ok $rc "ldapmodify accepts the $f preview"
	[ $rc = 0 ] || diag "$(cat "$T/ldapmodify.out")"
done
user_is alice "after ldapmodify: alice holds her value" "$(e2e_val 1001)"
user_is dave "after ldapmodify: dave (by SID) holds his value" "$(e2e_val 1004)"
user_is erin "after ldapmodify: erin (TESTCB\\erin) holds her value" "$(e2e_val 1005)"
user_is bysid "after ldapmodify: bysid holds its value" "$(e2e_val 5001)"
user_is foreign "after ldapmodify: foreign values stay" "$FOREIGN1" "$FOREIGN2" "$(e2e_val 7004)"
user_is lcase "after ldapmodify: lcase still holds one value" "$(lower "$(e2e_val 7005)")"
user_is taker "after ldapmodify: taker got nothing"

# ===================================================================
# apply and undo
# ===================================================================
for s in 1101 1102 1103 1104 1105 1106 1108 1109 110B; do e2e_leaf "$W/c/$s.pem" $s; done
e2e_leaf "$W/c/1107.pem" 1107 ski
SKI1107=$(e2e_ski "$W/c/1107.pem")
cat >"$W/basic.csv" <<'EOF'
user,certificate,types
ap1,c/1101.pem,
ap2,c/1102.pem,
ap3,c/1103.pem,
ap3,c/1104.pem,
ap4,c/1105.pem,
ap4,c/1106.pem,
ap5,c/1107.pem,"X509IssuerSerialNumber,X509SKI"
ap6,c/1108.pem,
ap7,c/1109.pem,
ap7,c/1109.pem,
ap8,c/110B.pem,
EOF
cb_dump content "$T/D0"

e2e_run "${GSS[@]}" --state-dir "$SN" -n --csv "$W/basic.csv"
exit_is 0 "basic: preview"
e2e_ldif_pairs "$T/out" | awk -F'\t' '{ print $1 "\t" $3 }' >"$T/planned"
{
	for v in "ap1 1101" "ap2 1102" "ap3 1103" "ap3 1104" "ap4 1106" "ap7 1109"; do
		read -r u s <<<"$v"
		printf '%s\t%s\n' "$(DN "$u")" "$(e2e_val "$s")"
	done
	printf '%s\t%s\n' "$(DN ap5)" "$(e2e_val 1107)" "$(DN ap5)" "$SKI1107"
} | e2e_norm | LC_ALL=C sort >"$T/planned.exp"
same_file "$T/planned" "$T/planned.exp" "basic: the preview plans the 8 expected values"

# apply over plain ldap:// with GSSAPI, i.e. inside a SASL security layer
S1=$T/st1
e2e_run -H "$CB_URI" -Y GSSAPI -b "$CB_BASE" --state-dir "$S1" --csv "$W/basic.csv"
exit_is 0 "basic: apply (GSSAPI over plain ldap://)"
U1=$(e2e_undo_file)
[ -n "$U1" ] && [ -f "$U1" ]
ok $? "basic: the undo file is named and exists"
like "$(cat "$T/err")" '6 accounts changed \(8 values added, 0 removed\), 0 failed' \
	"basic: the summary counts 6 accounts and 8 values"
cb_dump content "$T/F1"
values() {
	awk '/^dn: / { dn = tolower(substr($0, 5)); next }
		/^altSecurityIdentities: / { print dn "\t" substr($0, 24) }
		/^altSecurityIdentities:: / { print dn "\t(base64)" }' "$1" |
		e2e_norm | LC_ALL=C sort
}
values "$T/D0" >"$T/v0"
values "$T/F1" >"$T/v1"
LC_ALL=C comm -13 "$T/v0" "$T/v1" >"$T/added"
LC_ALL=C comm -23 "$T/v0" "$T/v1" >"$T/removed"
same_file "$T/added" "$T/planned" "basic: the values added are exactly the planned ones"
is "$(cat "$T/removed")" "" "basic: no value removed"
user_is ap2 "basic: foreign values (Kerberos, other X509) stay" \
	"$FOREIGN1" "$FOREIGN2" "$(e2e_val 1102)"
is "$(nvalues ap4)" 2 "basic: a value held in lower case is not added again (ap4: 2 values)"
user_is ap4 "basic: ... the old lower-case value and the new one" \
	"$(lower "$(e2e_val 1105)")" "$(e2e_val 1106)"
is "$(nvalues ap8)" 1 "basic: a value held with lower-case hex is not added again (ap8: 1 value)"
is "$(nvalues ap7)" 1 "basic: one certificate listed twice gives one value"
user_is ap6 "basic: an account already up to date is untouched" "$(e2e_val 1108)"
is "$(records "$U1")" 6 "basic: undo file: one record per changed account"
is "$(grep -c '^# certbulk-record: [0-9]* status: done' "$U1")" 6 \
	"basic: undo file: every record is done"

# a second run: nothing to change
cb_dump strict "$T/F1.strict"
e2e_run "${LDAPS[@]}" --state-dir "$S1" --csv "$W/basic.csv"
exit_is 0 "basic: second run"
like "$(cat "$T/err")" 'nothing to change|0 accounts changed' "basic: second run has nothing to change"
is "$(nfiles "$S1")" 1 "basic: second run writes no undo file"
same_strict F1.strict "basic: second run wrote nothing (strict dump)"

# undo, undo of the undo, the first undo again
undo_ok "$U1" "basic: undo (StartTLS simple bind)" \
	-H "$CB_URI" -ZZ -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE"
U1U=$(e2e_undo_file)
same_content D0 "basic: undo restores the directory"
undo_ok "$U1U" "basic: undo of the undo" "${GSS[@]}"
same_content F1 "basic: undo of the undo re-applies"
undo_ok "$U1" "basic: the first undo file again"
same_content D0 "basic: ... restores the directory again"

# undo after an administrator changed the accounts meanwhile
e2e_run "${LDAPS[@]}" --state-dir "$T/st-others" --csv "$W/basic.csv"
exit_is 0 "others' changes: apply"
UO=$(e2e_undo_file)
OTHER='X509:<SKI>0102030405060708090A0B0C0D0E0F1011121314'
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\ndn: %s\nchangetype: modify\ndelete: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
	"$(cb_user_dn ap1)" "$OTHER" "$(cb_user_dn ap3)" "$(e2e_val 1103)" |
	cb_ldap ldapmodify >/dev/null
ok $? "others' changes: an admin adds a value to ap1 and removes one from ap3"
undo_ok "$UO" "others' changes: undo"
user_is ap1 "others' changes: undo keeps the value added meanwhile" "$OTHER"
user_is ap3 "others' changes: undo removes the rest"
printf 'dn: %s\nchangetype: modify\ndelete: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
	"$(cb_user_dn ap1)" "$OTHER" | cb_ldap ldapmodify >/dev/null
same_content D0 "others' changes: undo restores the rest of the directory"

# ------------------------------------------------------------ --transaction
e2e_run "${LDAPS[@]}" --state-dir "$T/st-txn" --transaction 2 --csv "$W/basic.csv"
exit_is 0 "--transaction 2 on Samba"
has_err 'warning: .*transaction' "--transaction 2: a warning that AD has no transactions"
UT=$(e2e_undo_file)
same_content F1 "--transaction 2: applied all the same"
undo_ok "$UT" "--transaction 2: undo"
same_content D0 "--transaction 2: undo restores the directory"

# -------------------------------------------------------------- weak forms
e2e_leaf "$W/c/weak.pem" 1201 "cn=Weak One" "email=weak1@$REALM_LC"
printf 'user,certificate\nweak1,c/weak.pem\n' >"$W/weak.csv"
WEAK_IS='X509:<I>DC=lan,DC=certbulk,CN=certbulk e2e CA<S>CN=Weak One'
WEAK_RFC="X509:<RFC822>weak1@$REALM_LC"
e2e_run "${LDAPS[@]}" --state-dir "$T/st-weak" --type X509IssuerSubject --csv "$W/weak.csv"
exit_is 0 "--type X509IssuerSubject"
has_err 'warning: .*(weak|X509IssuerSubject)' "--type X509IssuerSubject: a warning on stderr"
user_is weak1 "--type X509IssuerSubject: the weak value is written" "$WEAK_IS"
UW=$(e2e_undo_file)
e2e_run "${LDAPS[@]}" --state-dir "$T/st-weak" \
	--type X509IssuerSerialNumber,X509RFC822 --csv "$W/weak.csv"
exit_is 0 "--type X509IssuerSerialNumber,X509RFC822"
has_err 'warning: .*(weak|X509RFC822)' "--type ...,X509RFC822: a warning on stderr"
user_is weak1 "--type ...,X509RFC822: the strong and the e-mail value are added" \
	"$WEAK_IS" "$WEAK_RFC" "$(e2e_val 1201)"
UW2=$(e2e_undo_file)
e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "$UW2" "$UW"
exit_is 0 "weak forms: undo both runs, newest first"
same_content D0 "weak forms: undo restores the directory"

# ------------------------------ awkward DNs, UTF-8 values (base64 in LDIF)
sb_leaf "$W/c/smith.pem" 1301 '/CN=Smith, John'
sb_leaf "$W/c/mueller.pem" 1302 '/CN=Jürgen Müller/O=Büro "Nord", Köln'
ISS='X509:<I>DC=lan,DC=certbulk,CN=certbulk e2e CA'
SMITH_S="$ISS<S>CN=\"Smith, John\""
MUELLER_S="$ISS<S>CN=Jürgen Müller,O=\"Büro \"\"Nord\"\", Köln\""
printf 'user,certificate\njsmith,c/smith.pem\njmueller@%s,c/mueller.pem\n' "$REALM_LC" >"$W/special.csv"
SPECIAL_TYPES=X509IssuerSerialNumber,X509IssuerSubject
e2e_run "${GSS[@]}" --state-dir "$SN" -n --type "$SPECIAL_TYPES" --output "$W/special.ldif" --csv "$W/special.csv"
exit_is 0 "awkward DNs: preview"
grep -q '^dn:: ' "$W/special.ldif"
ok $? "awkward DNs: the non-ASCII DN is base64 in the preview"
e2e_run "${LDAPS[@]}" --state-dir "$T/st-special" --type "$SPECIAL_TYPES" --csv "$W/special.csv"
exit_is 0 "awkward DNs: apply"
US=$(e2e_undo_file)
user_is jsmith "awkward DNs: CN=Smith\\, John holds its values" "$(e2e_val 1301)" "$SMITH_S"
user_is jmueller "awkward DNs: CN=Jürgen Müller holds its values (UTF-8, CryptoAPI quoting)" \
	"$(e2e_val 1302)" "$MUELLER_S"
{ cb_user_altsec jsmith; cb_user_altsec jmueller; } >"$T/special.applied"
undo_ok "$US" "awkward DNs: undo"
same_content D0 "awkward DNs: undo restores the directory"
cb_ldap ldapmodify -f "$W/special.ldif" >"$T/ldapmodify.out" 2>&1
ok_diag $? "awkward DNs: ldapmodify accepts the preview"
{ cb_user_altsec jsmith; cb_user_altsec jmueller; } >"$T/special.ldapmodify"
same_file "$T/special.ldapmodify" "$T/special.applied" \
	"awkward DNs: ldapmodify of the preview stores what certbulk stores"
sed 's/^add: /delete: /' "$W/special.ldif" | cb_ldap ldapmodify >/dev/null 2>&1
same_content D0 "awkward DNs: the preview with add turned into delete reverts it"

# ======================================== 300 accounts: --window, kill -9
e2e_bulk_certs "$W/bulk" 300 300001 ||
	{ echo "Bail out! openssl ca failed"; exit 1; }
{
	echo user,certificate
	for ((i = 1; i <= 300; i++)); do
		printf 'bulk%04d,bulk/%X.pem\n' "$i" $((0x300000 + i))
	done
} >"$W/bulk.csv"

t0=$(date +%s%N)
e2e_run "${LDAPS[@]}" --state-dir "$T/st-w1" --window 1 --csv "$W/bulk.csv"
exit_is 0 "300 accounts, --window 1"
diag "300 accounts with --window 1: $((($(date +%s%N) - t0) / 1000000)) ms"
UB1=$(e2e_undo_file)
is "$(e2e_count_mapped)" 300 "--window 1: 300 accounts mapped"
cb_dump content "$T/FB"
undo_ok "$UB1" "--window 1: undo"
same_content D0 "--window 1: undo restores the directory"
t0=$(date +%s%N)
e2e_run "${LDAPS[@]}" --state-dir "$T/st-w64" --window 64 --csv "$W/bulk.csv"
exit_is 0 "300 accounts, --window 64"
diag "300 accounts with --window 64: $((($(date +%s%N) - t0) / 1000000)) ms"
UB64=$(e2e_undo_file)
same_content FB "--window 64: the same result as --window 1"
undo_ok "$UB64" "--window 64: undo"
same_content D0 "--window 64: undo restores the directory"

# kill -9 in the middle, at several points, then a full run converges
KS=$T/st-kill
prev=0
KWIN=1
e2e_killrun "$KS" "$W/bulk.csv" rec 0
m=$(e2e_count_mapped)
is "$KRC" 137 "kill -9 as soon as the undo file exists: killed"
diag "after kill -9 as soon as the undo file exists: $m accounts mapped"
prev=$m
# Undo records are group-committed, 32 at a time: the proxy pauses when a
# group is written, which is once the first modify of the previous group
# was sent.  At --window 32, the first group's modifies fill the window,
# so the second group's first modify waits for a reply, and the third
# group (records 65-96) comes after at least one: pausing at 80 makes
# sure the run got somewhere.
for n in 40:1 80:1 80:32; do
	KWIN=${n#*:}
	e2e_killrun "$KS" "$W/bulk.csv" rec "${n%:*}"
	m=$(e2e_count_mapped)
	[ "$KRC" = 137 ] && [ "$m" -gt "$prev" ] && [ "$m" -lt 300 ]
	ok $? "kill -9 after ${n%:*} undo records (--window $KWIN): cut short ($prev -> $m accounts mapped, exit $KRC)"
	prev=$m
done
e2e_run "${LDAPS[@]}" --state-dir "$KS" --csv "$W/bulk.csv"
exit_is 0 "after the kills, a full run"
same_content FB "after the kills: the same final state as an uninterrupted run"
e2e_undo_newest_first "$KS"
ok $? "after the kills: every undo file undoes (newest first) with exit 0"
same_content D0 "after the kills: the undo files restore the directory"

# ----------------------------------------------- Samba hung (SIGSTOP)
# The kernel still accepts TCP connections, nothing answers: --timeout
# must end the run with exit 3, at connect time and in the middle of a run.
hung() {	# hung LABEL LDAP-OPTIONS...: a preview against the frozen Samba
	local label=$1 t0 ms
	shift
	t0=$(date +%s%N)
	timeout -k 1 7 "$CERTBULK" "$@" -b "$CB_BASE" --timeout 2 --state-dir "$SN" -n \
		--csv "$W/bind.csv" >"$T/out" 2>"$T/err"
	RC=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	exit_is 3 "hung Samba, --timeout 2 ($label)"
	[ "$ms" -lt 6000 ]
	ok $? "hung Samba, --timeout 2 ($label): gives up within 6 s (took $ms ms)"
}
sb_freeze
hung "LDAPS, simple bind" -H "$CB_URI_LDAPS" "${SIMPLE[@]}"
hung "LDAPS, GSSAPI" -H "$CB_URI_LDAPS" -Y GSSAPI
hung "-ZZ, simple bind" -H "$CB_URI" -ZZ "${SIMPLE[@]}"
hung "plain ldap://, GSSAPI" -H "$CB_URI" -Y GSSAPI
sb_thaw

# Mid-run for certain: the run goes through a proxy that holds everything
# once the undo file holds 60 records; Samba is frozen, then the proxy
# lets the run go on towards it.
HS=$T/st-hang
e2e_proxy_start "$CB_URI_LDAPS" "$T/hpx" "$HS" 60 ||
	{ echo "Bail out! the proxy did not start"; exit 1; }
e2e_via_proxy LDAPS
e2e_bg "$T/h.out" "$T/h.err" "${PXARGS[@]}" --state-dir "$HS" --window 1 \
	--timeout 3 --csv "$W/bulk.csv"
HANGER=$BGPID
e2e_proxy_wait_paused "$HANGER"
ok $? "Samba hung mid-run: the run is in its middle"
sb_freeze
e2e_proxy_resume
t0=$(date +%s%N)
# not e2e_wait_bg: a certbulk that never gives up must not hang the test
for ((i = 0; i < 300; i++)); do
	kill -0 "$HANGER" 2>/dev/null || break
	sleep 0.05
done
ms=$((($(date +%s%N) - t0) / 1000000))
kill -KILL "$HANGER" 2>/dev/null
e2e_wait_bg "$HANGER"
sb_thaw
e2e_proxy_stop
RC=$BGRC
cp "$T/h.err" "$T/err"
exit_is 3 "Samba hung mid-run, --timeout 3"
[ "$ms" -lt 10000 ]
ok $? "Samba hung mid-run: gives up within 10 s (took $ms ms after the freeze)"
has_err 'timed out|timeout' "Samba hung mid-run: the error says it timed out"
UH=$(e2e_undo_file "$T/h.err")
m=$(e2e_count_mapped)
[ "$m" -gt 0 ] && [ "$m" -lt 300 ]
ok $? "Samba hung mid-run: the run was cut short ($m accounts mapped)"
awk '/^# certbulk-record: / { st = $5 }
	/^dn: / && st != "failed" && st != "unsent" { print tolower(substr($0, 5)) }' \
	"$UH" | LC_ALL=C sort >"$T/covered"
e2e_mapped_dns >"$T/mapped"
is "$(LC_ALL=C comm -23 "$T/mapped" "$T/covered" | head -n 5)" "" \
	"Samba hung mid-run: the undo file covers every account written"
e2e_run "${LDAPS[@]}" --state-dir "$HS" --csv "$W/bulk.csv"
exit_is 0 "Samba hung mid-run: a second run once it answers again"
same_content FB "Samba hung mid-run: the second run converges"
mapfile -t hfiles < <(ls "$HS"/undo-*.ldif | LC_ALL=C sort -r)
is "${#hfiles[@]}" 2 "Samba hung mid-run: two undo files"
e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "${hfiles[@]}"
exit_is 0 "Samba hung mid-run: undo both runs, newest first"
same_content D0 "Samba hung mid-run: undo restores the directory"

# -------------------------------------------------- Samba stopped mid-run
# stopped while the proxy holds the run at 100 records (certain mid-run),
# then the proxy passes on what comes: the server's close
SS=$T/st-stop
e2e_proxy_start "$CB_URI_LDAPS" "$T/spx" "$SS" 100 ||
	{ echo "Bail out! the proxy did not start"; exit 1; }
e2e_via_proxy LDAPS
e2e_bg "$T/s.out" "$T/s.err" "${PXARGS[@]}" --state-dir "$SS" --window 1 \
	--timeout 20 --csv "$W/bulk.csv"
STOPPER=$BGPID
e2e_proxy_wait_paused "$STOPPER"
ok $? "Samba stopped mid-run: the run is in its middle"
sb_stop
e2e_proxy_resume
e2e_wait_bg "$STOPPER"
e2e_proxy_stop
RC=$BGRC
cp "$T/s.err" "$T/err"
exit_is 3 "Samba stopped mid-run"
errors | grep -Fi "${CB_SAMBA_IP:-127.0.0.2}" | grep -Eiq 'contact|connection|server'
ok_diag $? "Samba stopped mid-run: a clear error naming the server"
grep -q 'Success)' "$T/err"
ok $((!$?)) "Samba stopped mid-run: no stale diagnostic (\"... Success)\")"
grep -q 'connection to the directory was lost' "$T/err"
ok_diag $? "Samba stopped mid-run: the message says the connection was lost"
UST=$(e2e_undo_file "$T/s.err")
sb_restart
ok $? "Samba restarted on the same data"
m=$(e2e_count_mapped)
[ "$m" -gt 0 ] && [ "$m" -lt 300 ]
ok $? "Samba stopped mid-run: the run was cut short ($m accounts mapped)"
awk '/^# certbulk-record: / { st = $5 }
	/^dn: / && st != "failed" && st != "unsent" { print tolower(substr($0, 5)) }' \
	"$UST" | LC_ALL=C sort >"$T/covered"
e2e_mapped_dns >"$T/mapped"
is "$(LC_ALL=C comm -23 "$T/mapped" "$T/covered" | head -n 5)" "" \
	"Samba stopped mid-run: the undo file covers every account written"
undo_ok "$UST" "Samba stopped mid-run: undo after the restart"
same_content D0 "Samba stopped mid-run: undo restores the directory"

is "$(nfiles "$SN")" 0 "previews wrote no undo file"

diag "60-samba.t: ${SECONDS} s"
done_testing
