#!/bin/bash
# 65-samba-verify.t: certbulk verify against a real Samba AD DC: for each
# kind of certificate the verdict a DC in full enforcement would reach --
# strong (issuer+serial), weak-only (X509IssuerSubject), ambiguous (one
# strong value on two accounts), UPN-only (implicit mapping, weak),
# UPN through sAMAccountName, SID-bound (SID extension matching the
# account found by UPN), SID-contradicting (strong mapping on one account,
# SID of another) and unmapped -- in the text, --tsv and --json outputs,
# with the exit status (0 only when every certificate maps strongly to
# exactly one account), the notes on values Samba's KDC will not match
# (top-bit serial, E= in the issuer), --ca-file (chain; NTAuth for the
# implicit mappings), and that verify changes nothing.
# Values and SIDs are computed here (tests/e2e/lib.sh), not by certbulk.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
C=$T/c
mkdir -p "$C"
R=${CB_REALM,,}

{
	for n in vstrong vweak vamb1 vamb2 vupn vsid vcontra; do sb_user "$n"; done
	# a UPN that is not sAMAccountName@domain
	sb_user vsam | sed "s/^userPrincipalName: .*/userPrincipalName: other-vsam@$R/"
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
SID_VSID=$(cb_user_sid vsid)

e2e_leaf "$C/strong.pem" A001 cn=vstrong
e2e_leaf "$C/weak.pem" A002 cn=vweak
e2e_leaf "$C/amb.pem" A003 cn=vamb
e2e_leaf "$C/upn.pem" A004 "upn=vupn@$R"
e2e_leaf "$C/sid.pem" A005 "upn=vsid@$R" "sid=$SID_VSID"
e2e_leaf "$C/contra.pem" A006 cn=vcontra "sid=$SID_VSID"
e2e_leaf "$C/none.pem" A007 cn=nobody
e2e_leaf "$C/sam.pem" A008 "upn=vsam@$R"
sb_add_values vstrong "$(e2e_val A001)" &&
	sb_add_values vweak "X509:<I>$E2E_ISSUER<S>CN=vweak" &&
	sb_add_values vamb1 "$(e2e_val A003)" &&
	sb_add_values vamb2 "$(e2e_val A003)" &&
	sb_add_values vcontra "$(e2e_val A006)"
ok $? "setup: mappings added with ldapmodify"
cb_dump strict "$T/before"

dn() { sb_dn "$1"; }
lc() { tr 'A-Z' 'a-z'; }

# verdict CERT: v="VERDICT<TAB>ACCOUNTS" from --tsv, DNs lower-cased; RC
verdict() {
	e2e_run "${LDAPS[@]}" verify --tsv "$C/$1.pem"
	v=$(cut -f3,4 "$T/out" | lc)
}

verdict strong
is "$v" "strong	$(dn vstrong)" "strong: issuer+serial on one account"
exit_is 0 "strong: exit 0"

verdict weak
is "$v" "weak-only	$(dn vweak)" "weak-only: X509IssuerSubject"
exit_is 1 "weak-only: exit 1"
like "$(cut -f5 "$T/out")" 'X509IssuerSubject.*full enforcement' "weak-only: the reason names the form"

verdict amb
v="$(cut -f1 <<<"$v")	$(cut -f2 <<<"$v" | tr ";" "\n" | sort | paste -sd";")"
is "$v" "ambiguous	$(printf '%s\n' "$(dn vamb1)" "$(dn vamb2)" | sort | paste -sd';')" \
	"ambiguous: both accounts"
exit_is 1 "ambiguous: exit 1"

verdict upn
is "$v" "weak-only	$(dn vupn)" "UPN-only: implicit mapping is weak"
like "$(cut -f5 "$T/out")" 'UPN' "UPN-only: the reason says UPN"

verdict sam
is "$v" "weak-only	$(dn vsam)" "UPN name@domain found through sAMAccountName"
like "$(cut -f5 "$T/out")" 'sAMAccountName' "sAMAccountName: said so"

verdict sid
is "$v" "strong	$(dn vsid)" "SID-bound: UPN finds the account, the SID extension makes it strong"
exit_is 0 "SID-bound: exit 0"

verdict contra
is "$v" "sid-mismatch	$(dn vcontra)" "SID-contradicting: strong mapping on vcontra, SID of vsid"
like "$(cut -f5 "$T/out")" "$SID_VSID" "SID-contradicting: the reason names the SID"
exit_is 1 "SID-contradicting: exit 1"

verdict none
is "$v" "unmapped	" "unmapped: no account"
exit_is 1 "unmapped: exit 1"

# Samba's KDC compares differently (measured by make check-kdc): notes
e2e_run "${LDAPS[@]}" verify --tsv "$C/strong.pem"
is "$(cut -f6 "$T/out")" "X509IssuerSerialNumber: a Samba KDC will not match this value (it wants the serial without the trailing 00 sign byte); it matches X509:<I>$E2E_ISSUER<SR>01A0" \
	"samba note: a serial with the top bit set, and the value Samba matches"
e2e_leaf "$C/low.pem" 1001 cn=low
e2e_run "${LDAPS[@]}" verify --tsv "$C/low.pem"
is "$(cut -f6 "$T/out")" "" "samba note: none for a serial without the sign byte"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/pki/eca.key" -out "$T/pki/eca.pem" -days 3650 \
	-subj '/O=certbulk tests/CN=mail CA/emailAddress=pki@example.org' \
	-addext 'basicConstraints=critical,CA:TRUE' 2>/dev/null &&
	openssl x509 -req -in "$T/pki/leaf.csr" -CA "$T/pki/eca.pem" \
		-CAkey "$T/pki/eca.key" -set_serial 0x1002 -days 3650 \
		-out "$C/mail.pem" 2>/dev/null
e2e_run "${LDAPS[@]}" verify --tsv "$C/mail.pem"
is "$(cut -f6 "$T/out")" "X509IssuerSerialNumber: a Samba KDC will not match this value (it wants emailAddress= for E=); it matches X509:<I>O=certbulk tests,CN=mail CA,emailAddress=pki@example.org<SR>0210" \
	"samba note: E= in the issuer"
e2e_run "${LDAPS[@]}" verify "$C/strong.pem"
like "$(cat "$T/out")" "samba: X509IssuerSerialNumber: a Samba KDC" "samba note in the text output"

# several at once, options after the subcommand name, text output
e2e_run verify "${LDAPS[@]}" "$C/strong.pem" "$C/sid.pem"
exit_is 0 "two strong certificates: exit 0 (LDAP options after 'verify')"
like "$(cat "$T/out")" 'verdict: strong' "text output has the verdict"
like "$(cat "$T/out")" "X509IssuerSerialNumber +strong +X509:<I>$E2E_ISSUER<SR>01A0" \
	"text output lists the looked-up value"
e2e_run "${LDAPS[@]}" verify "$C/strong.pem" "$C/none.pem"
exit_is 1 "one unmapped among two: exit 1"

# JSON
e2e_run "${LDAPS[@]}" verify --json "$C/strong.pem" "$C/contra.pem" "$C/amb.pem"
exit_is 1 "--json: exit 1"
if command -v python3 >/dev/null; then
	j=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for c in d:
    print(c["verdict"], len(c["accounts"]), [k["check"] for k in c["checks"] if k["accounts"]])
' "$T/out" 2>&1)
	is "$j" "strong 1 ['X509IssuerSerialNumber']
sid-mismatch 1 ['X509IssuerSerialNumber', 'SID']
ambiguous 2 ['X509IssuerSerialNumber']" "--json: valid JSON with verdicts, accounts and the checks that found them"
else
	ok 0 "# SKIP python3 not installed"
fi

# --ca-file: the chain, and the NTAuth store for implicit (UPN, SID) mapping
NTDN="CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,$CB_BASE"
cb_ldap ldapdelete "$NTDN" >/dev/null 2>&1
e2e_run "${LDAPS[@]}" verify --ca-file "$T/pki/ca.pem" "$C/strong.pem"
exit_is 0 "--ca-file, explicit strong mapping: no NTAuth needed, exit 0"
e2e_run "${LDAPS[@]}" verify --tsv --ca-file "$T/pki/ca.pem" "$C/sid.pem"
exit_is 1 "--ca-file, SID-bound (implicit) without NTAuth store: exit 1"
like "$(cut -f5 "$T/out")" "not in the forest's NTAuth store" "implicit mapping: NTAuth named as the reason"
{
	printf 'dn: %s\nobjectClass: top\nobjectClass: certificationAuthority\n' "$NTDN"
	printf 'cn: NTAuthCertificates\n'
	printf 'authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n'
	printf 'cACertificate:: %s\n\n' "$(openssl x509 -in "$T/pki/ca.pem" -outform DER | base64 -w0)"
} | cb_ldap ldapadd >/dev/null
e2e_run "${LDAPS[@]}" verify --ca-file "$T/pki/ca.pem" "$C/sid.pem"
exit_is 0 "--ca-file, SID-bound, issuing CA in NTAuth: exit 0"
cb_ldap ldapdelete "$NTDN" >/dev/null
e2e_run "${LDAPS[@]}" verify --tsv --ca-file "$T/pki/eca.pem" "$C/strong.pem"
exit_is 1 "--ca-file of another CA: the chain fails, exit 1"

# usage and directory errors
e2e_run "${LDAPS[@]}" verify
exit_is 2 "no certificate: usage"
e2e_run "${LDAPS[@]}" verify --tsv --json "$C/strong.pem"
exit_is 2 "--tsv with --json: usage"
e2e_run -H "ldaps://${CB_SAMBA_IP:-127.0.0.2}:1" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" --timeout 5 verify "$C/strong.pem"
exit_is 3 "unreachable directory: exit 3"

cb_dump strict "$T/after"
same_file "$T/after" "$T/before" "verify changed nothing in the directory"
done_testing
