#!/bin/bash
# 35-cleartext.t: a password never goes on the wire in clear, whatever the
# URI list says (issue 8 item 1).  The "server" is tests/lib/fakeldap.pl, a
# listener on 127.0.0.1 that records every byte it gets; the first URI of
# each list cannot be reached, so libldap falls through to plain ldap://.
# The decision must be taken on the connection actually made: TLS on it, or
# a local socket.
. "$(dirname "$0")/../lib/tap.sh"

case $CERTBULK in /*) ;; *) CERTBULK=$PWD/$CERTBULK ;; esac
[ -x "$CERTBULK" ] || skip_all "certbulk not built ($CERTBULK)"
command -v openssl >/dev/null || skip_all "openssl not installed"
command -v perl >/dev/null || skip_all "perl not installed"

T=$(mktemp -d -t cb-clear.XXXXXX)
LPID=
trap '[ -z "$LPID" ] || { kill "$LPID"; wait "$LPID"; } 2>/dev/null; rm -rf "$T"' EXIT
CANARY='s3cret-Cleartext-Canary'
printf '%s' "$CANARY" >"$T/pw"
chmod 600 "$T/pw"
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/k.pem" -out "$T/c.pem" -days 30 -subj /CN=clear \
	-addext basicConstraints=critical,CA:FALSE -addext keyUsage=digitalSignature \
	>"$T/openssl.log" 2>&1 || { diag "$(cat "$T/openssl.log")"; exit 1; }
printf 'user,certificate\nalice,c.pem\n' >"$T/in.csv"

perl "$TOP/tests/lib/fakeldap.pl" "$T/port" "$T/capture" 2>"$T/fake.err" &
LPID=$!
for ((i = 0; i < 1200; i++)); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || { diag "$(cat "$T/fake.err")"; echo "Bail out! fake listener"; exit 1; }
PORT=$(cat "$T/port")
FAKE="ldap://127.0.0.1:$PORT"
NONE='ldapi://%2Fnonexistent%2Fcb-none'
LIST="$NONE $FAKE"

# run [ENV=V...] -- ARGS...: certbulk in $T with a fresh capture; RC, out, err
run() {
	local env=()
	while [ "$1" != -- ]; do env+=("$1"); shift; done
	shift
	: >"$T/capture"
	(cd "$T" && exec env -u LDAPURI -u LDAPCONF -u LDAPRC "${env[@]}" \
		timeout 60 "$CERTBULK" "$@" --timeout 5 -n --csv in.csv) \
		>"$T/out" 2>"$T/err"
	RC=$?
}
leaked() { grep -aq -- "$CANARY" "$T/capture"; }
refused() {	# refused DESC: exit 2, the reason, no password on the wire
	is "$RC" 2 "$1: refused (exit 2)"
	[ "$RC" = 2 ] || diag "stderr: $(cat "$T/err")"
	grep -Eq 'unencrypted|without TLS|in clear' "$T/err"
	ok $? "$1: the message says why"
	leaked
	ok $((!$?)) "$1: the password never reached the listener"
}

# the test can fail: with the override the password does reach the listener
run -- -H "$LIST" -x -D cn=admin -y pw --allow-cleartext-bind
leaked
ok $? "--allow-cleartext-bind: the listener records the password (the capture works)"

run -- -H "$LIST" -x -D cn=admin -y pw
refused "-H 'ldapi://(none) ldap://HOST' simple bind"
grep -q "127.0.0.1" "$T/err"
ok $? "... the message names the connection actually made"

run LDAPURI="$LIST" -- -x -D cn=admin -y pw
refused "LDAPURI='ldapi://(none) ldap://HOST'"

printf 'URI %s\n' "$LIST" >"$T/ldap.conf"
run LDAPCONF="$T/ldap.conf" -- -x -D cn=admin -y pw
refused "LDAPCONF file with 'URI ldapi://(none) ldap://HOST'"

printf 'URI %s\n' "$LIST" >"$T/myldaprc"
run LDAPRC=myldaprc -- -x -D cn=admin -y pw
refused "LDAPRC file with 'URI ldapi://(none) ldap://HOST'"

run -- -H "$FAKE" -Z -x -D cn=admin -y pw
refused "-Z, the server refuses StartTLS"
grep -q 'StartTLS' "$T/err"
ok $? "-Z: the refused StartTLS is reported"

run -- -H "$LIST" -Z -x -D cn=admin -y pw
refused "-Z with 'ldapi://(none) ldap://HOST', StartTLS refused"

# libldap's default SASL_SECPROPS (noplain) already keeps PLAIN and LOGIN
# off; -O none (or SASL_SECPROPS none) lets them through
run -- -H "$LIST" -Y PLAIN -O none -U admin -y pw
refused "SASL PLAIN over the fallen-through ldap://"

run -- -H "$LIST" -Y LOGIN -O none -U admin -y pw
refused "SASL LOGIN over the fallen-through ldap://"

printf 'URI %s\nSASL_MECH PLAIN\nSASL_SECPROPS none\n' "$LIST" >"$T/ldap-plain.conf"
run LDAPCONF="$T/ldap-plain.conf" -- -U admin -y pw
refused "SASL PLAIN named in ldap.conf (SASL_MECH)"

run -- -H "$FAKE" -Y PLAIN -O none -U admin -y pw --allow-cleartext-bind
leaked
ok $? "SASL PLAIN with --allow-cleartext-bind reaches the listener (the capture works)"

done_testing
