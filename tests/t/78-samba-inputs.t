#!/bin/bash
# 78-samba-inputs.t: against a real Samba AD DC, the inputs and matching of
# issue 12: a certificate found by its SAN URI SID; one whose SID extension
# and SAN URI disagree refused; computers by DNS SAN and by host-name CN,
# and a CSV row PC03 falling back to PC03$; certificates taken from the
# accounts' userCertificate (several on one account, an expired one left
# out, a garbage value that account's error only); exactly the set that a
# KDC events export (CSV and XML, made after Microsoft's documented event
# format) names, and the to-do list without certificates; an X509IssuerSID
# value written, and refused for an account with another SID.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
W=$T/w
mkdir -p "$W/uri" "$W/dev" "$W/ev" "$W/c"
REALM_LC=${CB_REALM,,}
B=$CB_BASE

computer() {	# computer NAME DNSHOSTNAME
	printf 'dn: CN=%s,CN=Computers,%s\nobjectClass: computer\nsAMAccountName: %s$\nuserAccountControl: 4096\ndNSHostName: %s\n\n' \
		"$1" "$B" "$1" "$2"
}
{
	for n in u1 u2 u3 u4 u5 u6 e1 e2 e3 e4 uc1 uc2 uc3; do sb_user "$n"; done
	computer PC01 "pc01.$REALM_LC"
	computer PC02 "PC02.$REALM_LC"
	computer PC03 "pc03.$REALM_LC"
} | cb_add_users -
ok $? "setup: users and computers added"
pcdn() { printf 'cn=%s,cn=computers,%s' "${1,,}" "${B,,}"; }

has_add() {	# has_add DN VALUE
	e2e_ldif_pairs "$T/out" | grep -Fxq -- "$1	add	$(printf '%s' "$2" | e2e_norm)"
}
nadds() { e2e_ldif_pairs "$T/out" | grep -c '	add	'; }
val() { e2e_val "$1"; }

# a leaf with free extension lines (sb_leaf) and a SAN section
uri_sid() { printf 'URI.1 = tag:microsoft.com,2022-09-14:sid:%s' "$1"; }
sidext() {
	printf '%s\n' '1.3.6.1.4.1.311.25.2 = ASN1:SEQUENCE:sidext' \
		'[sidext]' 'gn = IMPLICIT:0C,SEQUENCE:sidon' '[sidon]' \
		'oid = OID:1.3.6.1.4.1.311.25.2.1' "val = EXPLICIT:0C,OCTETSTRING:$1"
}
SID1=$(cb_user_sid u1) && SID2=$(cb_user_sid u2) && SID3=$(cb_user_sid u3) &&
	SID5=$(cb_user_sid u5) || exit 1

# ---- SAN URI SID
sb_leaf "$W/uri/a.pem" 7801 "/CN=no upn here" 'subjectAltName = @alt' \
	'[alt]' "$(uri_sid "$SID1")" || exit 1
sb_leaf "$W/uri/b.pem" 7802 "/CN=clash" 'subjectAltName = @alt' \
	"$(sidext "$SID2")" '[alt]' "$(uri_sid "$SID3")" || exit 1
e2e_run "${LDAPS[@]}" -n --match sid --certdir "$W/uri"
exit_is 1 "SAN URI: a run with a contradicting certificate"
has_add "$(sb_dn u1)" "$(val 7801)"; ok_diag $? "SAN URI SID: the certificate is mapped to the account with that SID"
grep -q "b.pem.*SID extension names $SID2 but its subjectAltName URI names $SID3.*not mapped" "$T/err"
ok_diag $? "SID extension and SAN URI disagree: that file refused, naming both SIDs"
is "$(nadds)" 1 "SAN URI: nothing else planned"
"$CERTBULK" show "$W/uri/a.pem" >"$T/show" 2>&1
grep -q "SID: *$SID1 (SAN URI" "$T/show"; ok_diag $? "show: the SAN URI SID is shown"
"$CERTBULK" show --tsv --sid "$W/uri/a.pem" >"$T/show" 2>&1
grep -q "	SANURISID	$SID1\$" "$T/show"; ok_diag $? "show --tsv --sid: a SANURISID row"

# ---- computers
sb_leaf "$W/dev/pc01.pem" 7810 "/CN=PC01 device" 'subjectAltName = DNS:PC01.'"$REALM_LC" || exit 1
sb_leaf "$W/dev/pc02.pem" 7811 "/CN=pc02.$REALM_LC" || exit 1
sb_leaf "$W/dev/nohost.pem" 7812 "/CN=just a name" || exit 1
e2e_run "${LDAPS[@]}" -n --match dns --certdir "$W/dev"
exit_is 1 "--match dns: a run with a certificate that names no host"
has_add "$(pcdn PC01)" "$(val 7810)"; ok_diag $? "--match dns: DNS SAN to the computer's dNSHostName (case-insensitive)"
has_add "$(pcdn PC02)" "$(val 7811)"; ok_diag $? "--match dns: a host-name CN without DNS SAN"
grep -q "nohost.pem: the certificate has nothing to find its account by" "$T/err"
ok_diag $? "--match dns: a CN that is no host name is not looked up"
grep -q "^# computer account" "$T/out"; ok_diag $? "the preview says the account is a computer"
sb_leaf "$W/c/7813.pem" 7813 "/CN=pc03" || exit 1
e2e_leaf "$W/c/7814.pem" 7814 || exit 1
printf 'user,certificate\nPC03,c/7813.pem\nu4,c/7814.pem\n' >"$W/pc.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/pc.csv"
exit_is 0 "CSV: a computer and a user in one run"
has_add "$(pcdn PC03)" "$(val 7813)"; ok_diag $? "CSV row PC03 falls back to PC03\$"
grep -q "pc.csv:2: no account named PC03; found the computer account PC03\\$" "$T/err"
ok_diag $? "the fallback is noted"
has_add "$(sb_dn u4)" "$(val 7814)"; ok_diag $? "the user row of the same run"
awk '/^# (user|computer) account/ { k = $2 } /^dn: / { print k, tolower($2) }' "$T/out" >"$T/kinds"
grep -qx "computer $(pcdn PC03)" "$T/kinds" && grep -qx "user $(sb_dn u4)" "$T/kinds"
ok_diag $? "each account's kind is in the preview"

# ---- userCertificate
der64() { openssl x509 -in "$1" -outform DER | base64 -w0; }
e2e_leaf "$W/c/7820.pem" 7820 && e2e_leaf "$W/c/7821.pem" 7821 &&
	e2e_leaf_dates "$W/c/7822.pem" 7822 20200101000000Z 20210101000000Z &&
	e2e_leaf "$W/c/7823.pem" 7823 || exit 1
{
	printf 'dn: %s\nchangetype: modify\nadd: userCertificate\n' "$(cb_user_dn uc1)"
	for s in 7820 7821 7822; do printf 'userCertificate:: %s\n' "$(der64 "$W/c/$s.pem")"; done
	printf -- '-\n\ndn: %s\nchangetype: modify\nadd: userCertificate\nuserCertificate:: %s\n-\n\n' \
		"$(cb_user_dn uc2)" "$(printf 'not a certificate' | base64 -w0)"
	printf 'dn: %s\nchangetype: modify\nadd: userCertificate\nuserCertificate:: %s\n-\n\n' \
		"$(cb_user_dn uc3)" "$(der64 "$W/c/7823.pem")"
} | cb_ldap ldapmodify >/dev/null
ok $? "setup: userCertificate values added (plainly, no ;binary)"
e2e_run "${LDAPS[@]}" -n --from-user-certificate
exit_is 1 "--from-user-certificate: a run with one garbage value"
has_add "$(sb_dn uc1)" "$(val 7820)" && has_add "$(sb_dn uc1)" "$(val 7821)"
ok_diag $? "--from-user-certificate: both valid certificates of one account"
has_add "$(sb_dn uc3)" "$(val 7823)"; ok_diag $? "--from-user-certificate: the account after the bad one"
e2e_ldif_pairs "$T/out" | grep -qF "$(val 7822 | e2e_norm)"
ok $((!$?)) "--from-user-certificate: the expired certificate is left out"
grep -q "note: .*uc1.*userCertificate value 3: expired" "$T/err"; ok_diag $? "the expired one is named"
grep -q "uc2.*userCertificate value 1: not a certificate" "$T/err"; ok_diag $? "the garbage value is that account's error, named"
is "$(nadds)" 3 "--from-user-certificate: exactly the three valid certificates"

# ---- KDC events (the documented event text and data names, KB5014754)
for i in 1 2 3 4; do e2e_leaf "$W/ev/$((7830 + i)).pem" $((7830 + i)) sid="$(cb_user_sid e$i)" || exit 1; done
tp() { openssl x509 -in "$W/ev/$1.pem" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g'; }
MSG='The Key Distribution Center (KDC) encountered a user certificate that was valid but could not be mapped to a user in a strong way (such as via explicit mapping, key trust mapping, or a SID). Such certificates should either be replaced or mapped directly to the user via explicit mapping. See https://go.microsoft.com/fwlink/?linkid=2189925 to learn more.'
{
	printf '#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n'
	printf '"Message","Id","Version","Qualifiers","Level","ProviderName","LogName","MachineName","TimeCreated"\r\n'
	# e1 by thumbprint (lower case, as some tools print it)
	printf '"%s\r\n\r\nUser: e1\r\nCertificate Subject: CN=certbulk e2e leaf\r\nCertificate Issuer: certbulk e2e CA\r\nCertificate Serial Number: 7831\r\nCertificate Thumbprint: %s","39","0","32768","3","Microsoft-Windows-Kerberos-Key-Distribution-Center","System","DC1.%s","11/30/2026 8:13:36 PM"\r\n' \
		"$MSG" "$(tp 7831 | tr A-F a-f)" "$REALM_LC"
	# e2 by issuer and serial only
	printf '"%s\r\n\r\nUser: e2\r\nCertificate Subject: CN=certbulk e2e leaf\r\nCertificate Issuer: certbulk e2e CA\r\nCertificate Serial Number: 7832\r\nCertificate Thumbprint: ","39","0","32768","3","Microsoft-Windows-Kerberos-Key-Distribution-Center","System","DC1.%s","11/30/2026 8:14:00 PM"\r\n' \
		"$MSG" "$REALM_LC"
	# a certificate not given: on the to-do list only
	printf '"%s\r\n\r\nUser: ghost\r\nCertificate Issuer: other CA\r\nCertificate Serial Number: 0102\r\nCertificate Thumbprint: 00112233445566778899AABBCCDDEEFF00112233","39","0","32768","3","Microsoft-Windows-Kerberos-Key-Distribution-Center","System","DC2","11/30/2026 8:15:00 PM"\r\n' \
		"$MSG"
	# another provider's event 39: not the KDC's
	printf '"whatever","39","0","","4","Some Other Service","System","DC1","11/30/2026 8:16:00 PM"\r\n'
} >"$W/events.csv"
{
	printf "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Kerberos-Key-Distribution-Center' Guid='{3FD9DA1A-5A54-46C5-9A26-9BD7C0685056}' EventSourceName='Kdc'/><EventID Qualifiers='32768'>41</EventID><Level>2</Level><TimeCreated SystemTime='2026-11-30T20:13:36.0000000Z'/><Channel>System</Channel><Computer>DC1.%s</Computer></System>" "$REALM_LC"
	printf "<EventData><Data Name='AccountName'>e3</Data><Data Name='Subject'>CN=certbulk e2e leaf</Data><Data Name='Issuer'>CN=certbulk e2e CA, DC=certbulk, DC=lan</Data><Data Name='SerialNumber'>7833</Data><Data Name='Thumbprint'>%s</Data></EventData></Event>\r\n" "$(tp 7833)"
} >"$W/events.xml"
e2e_run "${LDAPS[@]}" -n --certdir "$W/ev" --kdc-events "$W/events.csv"
exit_is 0 "--kdc-events CSV with --certdir"
has_add "$(sb_dn e1)" "$(val 7831)"; ok_diag $? "events CSV: the certificate named by thumbprint"
has_add "$(sb_dn e2)" "$(val 7832)"; ok_diag $? "events CSV: the certificate named by issuer and serial"
is "$(nadds)" 2 "events CSV: exactly the certificates the events name"
grep -q "events.csv:17: event 39: the certificate of ghost .*not among the certificates given" "$T/err"
ok_diag $? "events CSV: an event naming a certificate not given is named"
e2e_run "${LDAPS[@]}" -n --certdir "$W/ev" --kdc-events "$W/events.xml"
exit_is 0 "--kdc-events XML with --certdir"
has_add "$(sb_dn e3)" "$(val 7833)"; ok_diag $? "events XML: the certificate named by the event"
is "$(nadds)" 1 "events XML: exactly that one"
e2e_run --kdc-events "$W/events.csv" --kdc-events "$W/events.xml"
exit_is 0 "--kdc-events alone: the to-do list, no directory"
head -n 1 "$T/out" | grep -q '^account	events	count	time	issuer	serial	thumbprint'
ok_diag $? "to-do list: header"
is "$(tail -n +2 "$T/out" | cut -f1 | LC_ALL=C sort | tr '\n' ' ')" "e1 e2 e3 ghost " "to-do list: one line per account and certificate"
grep -q "^e3	41	1	2026-11-30T20:13:36.0000000Z	CN=certbulk e2e CA, DC=certbulk, DC=lan	7833	$(tp 7833)	" "$T/out"
ok_diag $? "to-do list: event id, time, issuer, serial, thumbprint"

# ---- X509IssuerSID
sb_leaf "$W/c/7840.pem" 7840 "/CN=u5" "$(sidext "$SID5")" || exit 1
printf 'user,certificate\nu5,c/7840.pem\nu6,c/7840.pem\n' >"$W/isid.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --type X509IssuerSID --csv "$W/isid.csv"
exit_is 1 "X509IssuerSID: one row right, one row for another account"
ISID="X509:<I>$E2E_ISSUER<SID>$SID5"
is "$(cb_user_altsec u5)" "$ISID" "X509IssuerSID: the value written to the account with that SID"
grep -q "isid.csv:3: X509IssuerSID: the certificate's SID is $SID5 but the account \".*u6.*\" is $(cb_user_sid u6); not mapped" "$T/err"
ok_diag $? "X509IssuerSID: refused for an account with another SID, naming both"
is "$(cb_user_altsec u6)" "" "X509IssuerSID: nothing written to the other account"
e2e_run "${LDAPS[@]}" audit --tsv
grep -qi "$(sb_dn u5)" "$T/out"
ok $((!$?)) "audit: the Issuer/SID value is a strong one (no finding for u5)"

done_testing
