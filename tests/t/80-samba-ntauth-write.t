#!/bin/bash
# 80-samba-ntauth-write.t: certbulk ntauth add / remove against a real
# Samba AD DC: a certificate that is not a CA (or may not sign
# certificates) is refused; the NTAuthCertificates entry is created when
# the forest has none, with what certificationAuthority requires (cn,
# cACertificate, authorityRevocationList and certificateRevocationList of
# one zero byte, as certutil -dspublish writes them); one binary
# cACertificate value is added or deleted; -n previews it as LDIF with
# base64 values; every change has an undo file that certbulk undo
# replays (the undo of the creation deletes the entry again); adding a CA
# already there or removing one absent is a no-op.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
P=$T/pki
CONFIG="CN=Configuration,$CB_BASE"
NTDN="CN=NTAuthCertificates,CN=Public Key Services,CN=Services,$CONFIG"
ST=$T/state
openssl x509 -in "$P/ca.pem" -outform DER -out "$P/ca.der"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$P/other.key" -out "$P/other.pem" -days 3650 \
	-subj '/O=certbulk tests/CN=other issuing CA' \
	-addext 'basicConstraints=critical,CA:TRUE' 2>/dev/null
openssl x509 -in "$P/other.pem" -outform DER -out "$P/other.der"
# a CA:TRUE certificate whose keyUsage does not allow signing certificates
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$P/noku.key" -out "$P/noku.pem" -days 3650 \
	-subj '/CN=CA without keyCertSign' \
	-addext 'basicConstraints=critical,CA:TRUE' \
	-addext 'keyUsage=critical,digitalSignature' 2>/dev/null
e2e_leaf "$P/leaf.pem" 4001 upn=leaf@certbulk.lan
cat "$P/ca.pem" "$P/other.pem" >"$P/two.pem"
sha1() { openssl x509 -in "$1" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
CA_SHA1=$(sha1 "$P/ca.pem")
OTHER_SHA1=$(sha1 "$P/other.pem")
CA_B64=$(base64 -w0 "$P/ca.der")
OTHER_B64=$(base64 -w0 "$P/other.der")

# the store's cACertificate values as sorted base64, or "absent"
store() {
	local out
	out=$(cb_ldap ldapsearch -LLL -o ldif-wrap=no -s base -b "$NTDN" \
		'(objectClass=*)' cACertificate 2>&1)
	case $out in *'No such object'*) echo absent; return ;; esac
	printf '%s\n' "$out" | sed -n 's/^cACertificate:: //p' | sort | tr '\n' ' '
}
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' '; }
undo_of() { sed -n 's/.*undo file: //p' "$T/err" | head -1; }
nundo() { find "$ST" -name '*.ldif' 2>/dev/null | wc -l; }

# start without the entry, as a forest that never published a CA
cb_ldap ldapdelete "$NTDN" >/dev/null 2>&1
is "$(store)" absent "setup: no NTAuth entry"

# refused certificates: nothing is written, no undo file
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add "$P/leaf.pem"
exit_is 1 "a leaf certificate: exit 1"
like "$(cat "$T/err")" "leaf.pem: .*certbulk e2e leaf is not a CA certificate \(no basicConstraints cA:TRUE\)" "a leaf certificate: refused, named, with the reason"
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add "$P/noku.pem"
exit_is 1 "a CA without keyCertSign: exit 1"
like "$(cat "$T/err")" "noku.pem: .*keyUsage without keyCertSign" "a CA without keyCertSign: refused, with the reason"
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add "$P/two.pem"
exit_is 1 "a file with two certificates: exit 1"
like "$(cat "$T/err")" "more than one certificate" "two certificates: refused"
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add
exit_is 2 "ntauth add without a file: usage, exit 2"
is "$(store)" absent "refusals: the directory is unchanged"
is "$(nundo)" 0 "refusals: no undo file"

# preview of the creation
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add -n "$P/ca.der"
exit_is 0 "preview add (no entry): exit 0"
grep -q '^changetype: add$' "$T/out"
ok $? "preview: the entry is added (changetype: add)"
grep -qx "dn: $NTDN" "$T/out"
ok $? "preview: the NTAuth DN"
grep -qx 'objectClass: certificationAuthority' "$T/out" &&
	grep -qx 'cn: NTAuthCertificates' "$T/out" &&
	grep -qx 'authorityRevocationList:: AA==' "$T/out" &&
	grep -qx 'certificateRevocationList:: AA==' "$T/out"
ok $? "preview: class, cn and the two one-byte revocation lists certutil writes"
grep -qxF "cACertificate:: $CA_B64" "$T/out"
ok $? "preview: the certificate, base64 (::), byte for byte"
like "$(cat "$T/err")" "no NTAuth store: .* is created" "preview: says the entry is created"
is "$(store)" absent "preview: nothing written"

# the creation
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add "$P/ca.der"
exit_is 0 "add (no entry): exit 0"
U1=$(undo_of)
is "$(store)" "$(sorted "$CA_B64")" "add: the entry holds exactly the CA's DER"
out=$(cb_ldap ldapsearch -LLL -o ldif-wrap=no -s base -b "$NTDN" '(objectClass=*)' \
	objectClass cn authorityRevocationList certificateRevocationList)
like "$out" "objectClass: certificationAuthority" "add: entry of class certificationAuthority"
like "$out" "authorityRevocationList:: AA==" "add: authorityRevocationList as certutil writes it"
like "$out" "certificateRevocationList:: AA==" "add: certificateRevocationList as certutil writes it"
like "$(cat "$T/err")" "next Group Policy refresh.*certutil -pulse" "add: says when DCs and clients pick it up"
ok "$([ -f "$U1" ] && [ "$(stat -c %a "$U1")" = 600 ]; echo $?)" "add: an undo file, mode 0600"
grep -q '^delete: cACertificate$' "$U1" && grep -qxF "cACertificate:: $CA_B64" "$U1"
ok $? "add: the undo record deletes that one binary value"
e2e_run "${LDAPS[@]}" ntauth --ca-file "$P/ca.pem"
exit_is 0 "after add: ntauth --ca-file finds the CA"

# the same CA again: a no-op
n=$(nundo)
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth add "$P/ca.pem"
exit_is 0 "duplicate add: exit 0"
like "$(cat "$T/err")" "SHA-1 $CA_SHA1\) is already in the NTAuth store: nothing to add" "duplicate add: said so"
is "$(nundo)" "$n" "duplicate add: no undo file"
is "$(store)" "$(sorted "$CA_B64")" "duplicate add: store unchanged"

# a second CA, LDAP options after the subcommand, PEM input
e2e_run ntauth add --state-dir "$ST" "$P/other.pem" "${LDAPS[@]}"
exit_is 0 "add a second CA (options after the name): exit 0"
U2=$(undo_of)
is "$(store)" "$(sorted "$CA_B64" "$OTHER_B64")" "second add: both in the store"

# remove: preview, then for real
e2e_run "${LDAPS[@]}" --state-dir "$ST" -n ntauth remove "$P/ca.pem"
exit_is 0 "preview remove: exit 0"
grep -q '^changetype: modify$' "$T/out" && grep -q '^delete: cACertificate$' "$T/out" &&
	grep -qxF "cACertificate:: $CA_B64" "$T/out" && ! grep -q '^replace:' "$T/out"
ok $? "preview remove: a delete of that one value, no replace"
is "$(store)" "$(sorted "$CA_B64" "$OTHER_B64")" "preview remove: nothing written"
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth remove "$P/ca.pem"
exit_is 0 "remove: exit 0"
U3=$(undo_of)
is "$(store)" "$(sorted "$OTHER_B64")" "remove: only that CA gone, the other kept"
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth remove "$P/ca.pem"
exit_is 0 "remove absent: exit 0"
like "$(cat "$T/err")" "is not in the NTAuth store: nothing to remove" "remove absent: said so"

# undo, newest first
e2e_run "${LDAPS[@]}" --state-dir "$ST" undo "$U3"
exit_is 0 "undo of the remove: exit 0"
is "$(store)" "$(sorted "$CA_B64" "$OTHER_B64")" "undo of the remove: the CA is back"
e2e_run "${LDAPS[@]}" --state-dir "$ST" undo -n "$U2"
exit_is 0 "undo preview: exit 0"
grep -qxF "cACertificate:: $OTHER_B64" "$T/out"
ok $? "undo preview: the value to delete, base64"
e2e_run "${LDAPS[@]}" --state-dir "$ST" undo "$U2"
exit_is 0 "undo of the second add: exit 0"
is "$(store)" "$(sorted "$CA_B64")" "undo of the second add: the other CA gone"
e2e_run "${LDAPS[@]}" --state-dir "$ST" undo "$U1"
exit_is 0 "undo of the creation: exit 0"
is "$(store)" absent "undo of the creation: the entry is deleted again"
U4=$(undo_of)
e2e_run "${LDAPS[@]}" --state-dir "$ST" undo "$U4"
exit_is 0 "undo of that undo: exit 0"
is "$(store)" "$(sorted "$CA_B64")" "undo of that undo: the entry re-created with the CA"

# the last CA removed: the entry goes (the class needs a cACertificate)
e2e_run "${LDAPS[@]}" --state-dir "$ST" ntauth remove "$P/ca.pem"
exit_is 0 "remove the only CA: exit 0"
like "$(cat "$T/err")" "the store's only certificate: the entry .* is deleted" "remove the only CA: says the entry is deleted"
is "$(store)" absent "remove the only CA: no entry left"

# an undo file's cACertificate record for another entry is refused
U5=$T/forged.ldif
printf '# certbulk-record: 1 status: done   \ndn: %s\nchangetype: modify\nadd: cACertificate\ncACertificate:: %s\n-\n\n' \
	"CN=Administrator,CN=Users,$CB_BASE" "$CA_B64" >"$U5"
chmod 600 "$U5"
e2e_run "${LDAPS[@]}" --state-dir "$ST" undo "$U5"
exit_is 1 "undo: cACertificate on another entry: exit 1"
like "$(cat "$T/err")" "add: cACertificate: certbulk only changes altSecurityIdentities" "undo: cACertificate on another entry refused"
done_testing
