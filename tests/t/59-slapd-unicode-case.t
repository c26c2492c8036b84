# Values that differ only in the case of non-ASCII letters are the same
# value to AD (and to slapd's caseIgnoreMatch): certbulk must neither add
# one again nor take it for a new value on another account.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
e2e_setup
P=$T/pki
mkdir -p "$P"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$P/ca.key" -out "$P/ca.pem" -days 3650 -utf8 \
	-subj '/O=Müller Öl GmbH/CN=Ärzte CA' 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$P/u.key" -subj '/CN=u' -out "$P/u.csr" 2>/dev/null
openssl x509 -req -in "$P/u.csr" -CA "$P/ca.pem" -CAkey "$P/ca.key" \
	-set_serial 0x7C01 -days 365 -out "$T/u.pem" 2>/dev/null
VAL='X509:<I>O=Müller Öl GmbH,CN=Ärzte CA<SR>017C'
got=$("$CERTBULK" show --tsv "$T/u.pem" | awk -F'\t' '$3 == "X509IssuerSerialNumber" { print $4 }')
is "$got" "$VAL" "the issuer is written in UTF-8, as encoded"
UPPER='X509:<I>O=MÜLLER ÖL GMBH,CN=ÄRZTE CA<SR>017C'
{
	e2e_user_ldif holder "CN=Users,$CB_BASE" holder "altSecurityIdentities: $UPPER"
	e2e_user_ldif other "CN=Users,$CB_BASE" other
} | cb_add_users - >/dev/null

printf 'user,certificate\nholder,u.pem\n' >"$T/h.csv"
e2e_run "${LDAPS[@]}" -n --csv "$T/h.csv"
is "$RC" 0 "the account holding it in other case: exit status 0"
grep -q '^dn: ' "$T/out"
ok $((!$?)) "... and nothing to add"

printf 'user,certificate\nother,u.pem\n' >"$T/o.csv"
e2e_run "${LDAPS[@]}" -n --csv "$T/o.csv"
is "$RC" 1 "another account: exit status 1"
grep -qi 'cn=holder' "$T/err"
ok_diag $? "... refused, naming the account that holds it in other case"
done_testing
