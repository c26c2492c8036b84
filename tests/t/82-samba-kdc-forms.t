#!/bin/bash
# 82-samba-kdc-forms.t: certbulk --kdc samba against a real Samba AD DC:
# the values written are the forms Samba 4.24's KDC matches (measured by
# make check-kdc): a serial whose top bit is set without the trailing 00
# sign byte, emailAddress= instead of E= in the issuer; a form Samba
# cannot match at all (an issuer with a quoted comma) is not written and
# said so; --kdc windows (the default) keeps the Windows forms; and audit
# on the Samba DC finds nothing to say about the values --kdc samba wrote.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start --no-ca
K=$T/kdc
mkdir -p "$K"
# a CA with an e-mail address in its name, and one with a quoted comma
mkca() {	# mkca NAME SUBJECT
	openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$K/$1.key" -out "$K/$1.pem" -days 3650 -subj "$2" \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' 2>/dev/null
}
mkleaf() {	# mkleaf CA SERIAL OUT
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$K/leaf.key" -subj "/CN=leaf $2" -out "$K/leaf.csr" 2>/dev/null &&
		printf 'basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\nextendedKeyUsage=clientAuth\n' >"$K/leaf.ext" &&
		openssl x509 -req -in "$K/leaf.csr" -CA "$K/$1.pem" -CAkey "$K/$1.key" \
			-set_serial "$2" -days 365 -extfile "$K/leaf.ext" -out "$3" 2>/dev/null
}
mkca mail '/DC=lan/DC=certbulk/CN=mail CA/emailAddress=pki@certbulk.lan' &&
	mkca quoted '/O=Acme\, Inc/CN=quoted CA' &&
	mkleaf mail 0x8001 "$K/top.pem" && mkleaf mail 0x1234 "$K/plain.pem" &&
	mkleaf quoted 0x2345 "$K/q.pem"
ok $? "setup: certificates (top-bit serial, E= issuer, quoted-comma issuer)"
{ for n in ktop kplain kq; do sb_user "$n"; done; } >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users"
printf 'user,certificate\nktop,%s\nkplain,%s\n' "$K/top.pem" "$K/plain.pem" >"$K/in.csv"
MI='DC=lan,DC=certbulk,CN=mail CA'
WIN_TOP="X509:<I>$MI,E=pki@certbulk.lan<SR>018000"
SMB_TOP="X509:<I>$MI,emailAddress=pki@certbulk.lan<SR>0180"
SMB_PLAIN="X509:<I>$MI,emailAddress=pki@certbulk.lan<SR>3412"
altsec() { cb_user_altsec "$1" | sort | tr '\n' ' '; }

e2e_run "${LDAPS[@]}" --state-dir "$T/st" -n --csv "$K/in.csv"
exit_is 0 "default (Windows) preview: exit 0"
grep -qxF "altSecurityIdentities: $WIN_TOP" "$T/out"
ok $? "default: the Windows form (sign byte kept, E=)"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --kdc windows -n --csv "$K/in.csv"
grep -qxF "altSecurityIdentities: $WIN_TOP" "$T/out"
ok $? "--kdc windows: the same"

e2e_run "${LDAPS[@]}" --state-dir "$T/st" --kdc samba -n --csv "$K/in.csv"
exit_is 0 "--kdc samba preview: exit 0"
grep -qxF "altSecurityIdentities: $SMB_TOP" "$T/out"
ok $? "--kdc samba: top-bit serial without the 00 sign byte, emailAddress="
grep -qxF "altSecurityIdentities: $SMB_PLAIN" "$T/out"
ok $? "--kdc samba: an ordinary serial kept, emailAddress="
is "$(grep -c 'E=pki' "$T/out")" 0 "--kdc samba: no E= anywhere"

e2e_run "${LDAPS[@]}" --state-dir "$T/st" --kdc samba --csv "$K/in.csv"
exit_is 0 "--kdc samba run: exit 0"
is "$(altsec ktop)" "$SMB_TOP " "the value written for the top-bit serial"
is "$(altsec kplain)" "$SMB_PLAIN " "the value written for the ordinary serial"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --kdc samba --csv "$K/in.csv"
like "$(cat "$T/err")" "nothing to change" "run again: already up to date in the Samba form"
e2e_run "${LDAPS[@]}" audit --tsv
exit_is 0 "audit on the Samba DC: nothing to say about the values --kdc samba wrote"

# an issuer with a quoted comma: Samba matches no issuer+serial value
printf 'user,certificate\nkq,%s\n' "$K/q.pem" >"$K/q.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --kdc samba --csv "$K/q.csv"
exit_is 1 "--kdc samba, quoted-comma issuer, issuer+serial only: exit 1"
like "$(cat "$T/err")" "no X509IssuerSerialNumber value: a Samba KDC splits the issuer at every comma" "said why"
is "$(altsec kq)" "" "nothing written"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --kdc samba --type strong --csv "$K/q.csv"
exit_is 0 "--kdc samba --type strong: exit 0"
is "$(cb_user_altsec kq | cut -c1-10 | sort | tr '\n' ' ')" "X509:<SHA1 X509:<SKI> " "the SKI and SHA1-PUKEY forms written, not issuer+serial"

e2e_run "${LDAPS[@]}" --kdc heimdal -n --csv "$K/in.csv"
exit_is 2 "--kdc with an unknown KDC: usage"
done_testing
