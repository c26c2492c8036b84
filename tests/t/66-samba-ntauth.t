#!/bin/bash
# 66-samba-ntauth.t: certbulk ntauth against a real Samba AD DC: the
# forest's NTAuth store (cACertificate of CN=NTAuthCertificates,CN=Public
# Key Services,CN=Services,<configuration NC>) listed as text and --tsv,
# with and without the entry, and --ca-file telling whether the issuing CAs
# are in it (exit 1 when one is missing).  The store is changed here with
# ldapadd/ldapmodify; certbulk ntauth add/remove are tested in
# 80-samba-ntauth-write.t.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
P=$T/pki
CONFIG="CN=Configuration,$CB_BASE"
NTDN="CN=NTAuthCertificates,CN=Public Key Services,CN=Services,$CONFIG"
openssl x509 -in "$P/ca.pem" -outform DER -out "$P/ca.der"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$P/other.key" -out "$P/other.pem" -days 3650 \
	-subj '/O=certbulk tests/CN=other issuing CA' \
	-addext 'basicConstraints=critical,CA:TRUE' 2>/dev/null
openssl x509 -in "$P/other.pem" -outform DER -out "$P/other.der"
sha1() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
CA_SHA1=$(sha1 "$P/ca.pem")
OTHER_SHA1=$(sha1 "$P/other.pem")

# the template domain may or may not have the entry: start without it
cb_ldap ldapdelete "$NTDN" >/dev/null 2>&1
e2e_run "${LDAPS[@]}" ntauth
exit_is 0 "no store: exit 0"
like "$(cat "$T/out")" "^no NTAuth store: $NTDN does not exist" "no store: said so, with the DN"
e2e_run "${LDAPS[@]}" ntauth --ca-file "$P/ca.pem"
exit_is 1 "no store, --ca-file: exit 1"
like "$(cat "$T/err")" "is not in the NTAuth store" "no store: the CA is reported missing"

# the entry as certutil -dspublish makes it (certificationAuthority needs
# cn, cACertificate, authorityRevocationList, certificateRevocationList)
{
	printf 'dn: %s\nobjectClass: top\nobjectClass: certificationAuthority\n' "$NTDN"
	printf 'cn: NTAuthCertificates\n'
	printf 'authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n'
	printf 'cACertificate:: %s\n\n' "$(base64 -w0 "$P/other.der")"
} | cb_ldap ldapadd >/dev/null
ok $? "setup: NTAuth store with another CA (ldapadd)"

e2e_run "${LDAPS[@]}" ntauth
exit_is 0 "list: exit 0"
like "$(cat "$T/out")" "^NTAuth store $NTDN: 1 certificate$" "list: the count"
like "$(cat "$T/out")" "CN=other issuing CA,O=certbulk tests" "list: the subject"
like "$(cat "$T/out")" "SHA-1 $OTHER_SHA1" "list: the thumbprint"
e2e_run "${LDAPS[@]}" ntauth --ca-file "$P/ca.pem"
exit_is 1 "--ca-file with a CA not in the store: exit 1"
like "$(cat "$T/err")" "CN=certbulk e2e CA.*$CA_SHA1.*is not in the NTAuth store" "the missing CA named with its thumbprint"

printf 'dn: %s\nchangetype: modify\nadd: cACertificate\ncACertificate:: %s\n-\n\n' \
	"$NTDN" "$(base64 -w0 "$P/ca.der")" | cb_ldap ldapmodify >/dev/null
ok $? "setup: the test CA added to the store (ldapmodify)"
e2e_run ntauth "${LDAPS[@]}" --tsv
exit_is 0 "--tsv, LDAP options after 'ntauth': exit 0"
is "$(cut -f1,3 "$T/out" | sort)" "$(printf '%s\t%s\n' "$CA_SHA1" 'CN=certbulk e2e CA,DC=certbulk,DC=lan' "$OTHER_SHA1" 'CN=other issuing CA,O=certbulk tests' | sort)" \
	"--tsv: thumbprint and subject of both"
e2e_run "${LDAPS[@]}" ntauth --ca-file "$P/ca.pem"
exit_is 0 "--ca-file with the CA in the store: exit 0"
cat "$P/ca.pem" "$P/other.pem" >"$P/both.pem"
e2e_run "${LDAPS[@]}" ntauth --ca-file "$P/both.pem"
exit_is 0 "--ca-file with two CAs, both in the store: exit 0"

e2e_run "${LDAPS[@]}" ntauth bogus
exit_is 2 "ntauth with an unknown operand: usage"
cb_ldap ldapdelete "$NTDN" >/dev/null
ok $? "cleanup: store removed"
done_testing
