#!/bin/bash
# 52-slapd-sec.t: issue 8's directory-side findings against a real slapd:
# TLS_REQCERT warnings, messages for a bad -b and for TLS failures, the
# duplicate check over the whole domain with the server's own equality
# match, a bind that may write but not read, the re-check after writing,
# warnings for weak forms and protected accounts.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W/c"
DNU=$(printf 'CN=Users,%s' "$CB_BASE")

STAFF="OU=Staff,$CB_BASE"
SPACED=$(e2e_val 5202 | sed 's/certbulk e2e CA/certbulk  e2e   CA/')
{
	cb_user_ldif slapd sec1
	cb_user_ldif slapd sec2
	cb_user_ldif slapd sec3 "altSecurityIdentities: $SPACED"
	e2e_user_ldif staffholder "$STAFF" staffholder \
		"altSecurityIdentities: $(e2e_val 5201)"
	e2e_user_ldif staffu "$STAFF" staffu
	e2e_user_ldif krbtgt "$DNU" krbtgt
	e2e_user_ldif 'DC1' "OU=Staff,$CB_BASE" 'DC1$' 'userAccountControl: 532480'
	cb_user_ldif slapd sec4
	cb_user_ldif slapd wo1
	cb_user_ldif slapd wo2
	cb_user_ldif slapd woholder "altSecurityIdentities: $(e2e_val 5502)"
	cb_user_ldif slapd race1
	cb_user_ldif slapd race2
	cb_user_ldif slapd race3
	cb_user_ldif slapd race4
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
e2e_leaf "$W/c/s1.pem" 5101
printf 'user,certificate\nsec1,c/s1.pem\n' >"$W/s1.csv"

errors() { grep -v -e '^certbulk: note: ' -e '^certbulk: warning: ' "$T/err"; }

PROXYPID=
stop_proxy() {
	[ -z "$PROXYPID" ] || { kill "$PROXYPID"; wait "$PROXYPID"; } 2>/dev/null
	PROXYPID=
}
# start_proxy PATTERN [HOLDFILE]: tests/lib/cutproxy.pl to slapd's
# ldap:// port, dropping the connection when the client sends PATTERN (or
# holding it until HOLDFILE exists); sets PROXYURI
start_proxy() {
	stop_proxy
	rm -f "$T/pport"
	perl "$TOP/tests/lib/cutproxy.pl" "$T/pport" 127.0.0.1 "${CB_URI##*:}" \
		"$@" 2>>"$T/proxy.err" &
	PROXYPID=$!
	for ((i = 0; i < 1200; i++)); do [ -s "$T/pport" ] && break; sleep 0.05; done
	[ -s "$T/pport" ] || diag "cutproxy.pl did not start: $(cat "$T/proxy.err")"
	PROXYURI="ldap://127.0.0.1:$(cat "$T/pport")"
}
trap 'stop_proxy; _e2e_cleanup' EXIT

# ----------------------------------------------------------- TLS_REQCERT
for v in never allow; do
	rm -f "$T/log"
	LDAPTLS_REQCERT=$v e2e_run "${LDAPS[@]}" -n --log "$T/log" --csv "$W/s1.csv"
	exit_is 0 "LDAPTLS_REQCERT=$v is honoured (OpenLDAP convention)"
	grep -q "warning: TLS certificate checking is off.*\"$v\"" "$T/err"
	ok_diag $? "LDAPTLS_REQCERT=$v: a warning on stderr"
	grep -q "warning: TLS certificate checking is off.*\"$v\"" "$T/log"
	ok $? "LDAPTLS_REQCERT=$v: the warning is in the --log file"
done
printf 'TLS_REQCERT never\n' >"$T/ldap-never.conf"
LDAPCONF=$T/ldap-never.conf e2e_run "${LDAPS[@]}" -n --csv "$W/s1.csv"
grep -q 'warning: TLS certificate checking is off' "$T/err"
ok_diag $? "TLS_REQCERT never in ldap.conf: warned too"
e2e_run "${LDAPS[@]}" -n --csv "$W/s1.csv"
grep -q 'TLS certificate checking' "$T/err"
ok $((!$?)) "certificate checking on (the default): no warning"

# ------------------------------------------------------------------ -b
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-b "OU=Nowhere,$CB_BASE" -n --csv "$W/s1.csv"
exit_is 2 "-b naming no entry"
errors | grep -q -- "^certbulk: -b OU=Nowhere,.*no such entry"
ok_diag $? "-b naming no entry: the message names -b"
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-b "CN=x,,DC=y" -n --csv "$W/s1.csv"
exit_is 2 "-b not a DN"
errors | grep -q -- "^certbulk: -b CN=x,,DC=y: not a valid DN"
ok_diag $? "-b not a DN: the message names -b"

# ------------------------------------------------------------ TLS failures
openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	-keyout "$T/other.key" -out "$T/other-ca.pem" -days 30 \
	-subj '/CN=some other CA' >/dev/null 2>&1
LDAPTLS_CACERT=$T/other-ca.pem e2e_run "${LDAPS[@]}" -n --csv "$W/s1.csv"
exit_is 3 "LDAPS, server certificate from an untrusted CA"
grep -q 'unknown error code' "$T/err"
ok $((!$?)) "... the message is not \"(unknown error code)\""
grep -Eq 'certificate verify failure.*(TLS_CACERT|LDAPTLS_CACERT)' "$T/err"
ok_diag $? "... it says the certificate did not verify and what to do"
LDAPTLS_CACERT=$T/other-ca.pem e2e_run -H "$CB_URI" -ZZ -x -D "$CB_BIND_DN" \
	-y "$CB_PWFILE" -b "$CB_BASE" -n --csv "$W/s1.csv"
exit_is 3 "-ZZ, server certificate from an untrusted CA"
grep -q 'unknown error code' "$T/err"
ok $((!$?)) "-ZZ: the message is not \"(unknown error code)\""
grep -Eq 'StartTLS.*certificate verify failure' "$T/err"
ok_diag $? "-ZZ: it says the certificate did not verify"
e2e_run -H "ldaps://localhost:${CB_URI_LDAPS##*:}" -x -D "$CB_BIND_DN" \
	-y "$CB_PWFILE" -b "$CB_BASE" -n --csv "$W/s1.csv"
exit_is 3 "LDAPS to a host name the certificate does not carry"
grep -q 'does not name the host' "$T/err"
ok_diag $? "... it says the certificate does not name the host"

# ------------------------------------- duplicate check: the whole domain
e2e_leaf "$W/c/s5201.pem" 5201
e2e_leaf "$W/c/s5202.pem" 5202
e2e_leaf "$W/c/s5203.pem" 5203
printf 'user,certificate\nsec2,c/s5201.pem\n' >"$W/dup-ou.csv"
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$DNU" \
	-n --csv "$W/dup-ou.csv"
exit_is 1 "-b CN=Users: a value held by an account in OU=Staff"
errors | grep -iq 'already on "CN=staffholder,OU=Staff'
ok_diag $? "... is seen (the check covers the domain, not -b) and refused"
[ ! -s "$T/out" ] || ! grep -q '^dn:' "$T/out"
ok $? "... and nothing is planned"
grep -Eiq 'note: duplicate check: .*anywhere in DC=test,DC=certbulk,DC=lan' "$T/err"
ok_diag $? "the output says which scope the duplicate check covered"

printf 'distinguishedName,certificate\n"CN=staffu,%s",c/s5203.pem\n' "$STAFF" >"$W/dn-out.csv"
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$DNU" \
	-n --csv "$W/dn-out.csv"
exit_is 1 "a DN row outside -b"
errors | grep -iq 'dn-out\.csv:2: "CN=staffu,OU=Staff,.*outside the search base -b'
ok_diag $? "... is refused like any other row outside -b, naming the row"
e2e_run "${LDAPS[@]}" -n --csv "$W/dn-out.csv"
exit_is 0 "the same DN row with -b the domain is mapped"

# ------------------------- duplicate check: the server's equality decides
printf 'user,certificate\nsec2,c/s5202.pem\n' >"$W/dup-sp.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/dup-sp.csv"
exit_is 1 "a value held in another spacing (slapd matches it as equal)"
errors | grep -iq 'already on "CN=sec3,CN=Users'
ok_diag $? "... is refused: the server's equality match is trusted"

# ----------------------- weak forms in a row; krbtgt and DC accounts (item 11)
e2e_leaf "$W/c/s5401.pem" 5401
e2e_leaf "$W/c/s5402.pem" 5402
e2e_leaf "$W/c/s5403.pem" 5403
cat >"$W/weak.csv" <<'CSV'
user,certificate,types
sec4,c/s5401.pem,"X509IssuerSerialNumber,X509IssuerSubject"
krbtgt,c/s5402.pem,
DC1$,c/s5403.pem,
CSV
# krbtgt and a DC are protected accounts (issue 9): named to be mapped
ALLOW=(--allow-protected krbtgt --allow-protected 'DC1$')
e2e_run "${LDAPS[@]}" -n "${ALLOW[@]}" --csv "$W/weak.csv"
exit_is 0 "weak form in a row, krbtgt, a DC: mapped as asked"
grep -q 'warning: .*weak\.csv:2: X509IssuerSubject .*weak mapping' "$T/err"
ok_diag $? "a weak form asked for in the types column is warned, naming the row"
grep -q 'warning: .*weak\.csv:3: .*protected account: .*krbtgt' "$T/err"
ok_diag $? "mapping to krbtgt is warned"
grep -iq 'warning: .*weak\.csv:4: "CN=DC1,OU=Staff.*domain controller' "$T/err"
ok_diag $? "mapping to a domain controller's account is warned"
grep -c 'weak mapping' "$T/err" >"$T/nweak"
is "$(cat "$T/nweak")" 1 "... one weak-form warning (rows without a weak form: none)"
rm -f "$T/log"
e2e_run "${LDAPS[@]}" -n "${ALLOW[@]}" --log "$T/log" --csv "$W/weak.csv"
grep -c 'protected account\|weak mapping' "$T/log" >"$T/nlog"
is "$(cat "$T/nlog")" 3 "the three warnings are in the --log file too"

# ------------------------------ --transaction: the connection drops at start
if grep -q "1.3.6.1.1.21.1" <(cb_ldap ldapsearch -LLL -b '' -s base supportedExtension); then
	e2e_leaf "$W/c/s5301.pem" 5301
	e2e_leaf "$W/c/s5302.pem" 5302
	printf 'user,certificate\nsec1,c/s5301.pem\nsec2,c/s5302.pem\n' >"$W/txn.csv"
	cb_dump content "$T/dump-txn0"
	for step in "start 1.3.6.1.1.21.1" "end 1.3.6.1.1.21.3"; do
		set -- $step
		start_proxy "$2"
		e2e_run -H "$PROXYURI" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" \
			-b "$CB_BASE" --allow-cleartext-bind --state-dir "$T/st-txn-$1" \
			--transaction 1 --csv "$W/txn.csv"
		exit_is 3 "--transaction: connection dropped at transaction $1"
		errors | grep -q "connection lost.*run again"
		ok_diag $? "... says the connection was lost and to run again"
		grep -q 'Success)' "$T/err"
		ok $((!$?)) "... without a stale diagnostic"
		cb_dump content "$T/dump-txn1"
		same_file "$T/dump-txn1" "$T/dump-txn0" "... and nothing was changed"
	done
	stop_proxy
else
	ok 0 "# SKIP slapd offers no transactions"
fi

# ------------------- two runs at once, different state folders (item 9)
# Run B plans, then its modify is held by the proxy while run A maps the
# same certificate to another account; then B's modify goes through.
e2e_leaf "$W/c/s5601.pem" 5601
e2e_leaf "$W/c/s5602.pem" 5602
race() {	# race A-USER B-USER CERT [B-OPTION...]: sets RC (of B), err
	local a=$1 b=$2 c=$3
	shift 3
	printf 'user,certificate\n%s,c/s%s.pem\n' "$a" "$c" >"$W/ra.csv"
	printf 'user,certificate\n%s,c/s%s.pem\n' "$b" "$c" >"$W/rb.csv"
	rm -f "$T/go" "$T/go.held"
	start_proxy "cn=$b," "$T/go"
	e2e_bg "$T/rb.out" "$T/rb.err" -H "$PROXYURI" -x -D "$CB_BIND_DN" \
		-y "$CB_PWFILE" -b "$CB_BASE" --allow-cleartext-bind \
		--state-dir "$T/st-rb" "$@" --csv "$W/rb.csv"
	RB=$BGPID
	# B has planned and its modify is held (a loaded machine: be patient)
	for ((i = 0; i < 2400; i++)); do
		[ -e "$T/go.held" ] && break
		kill -0 "$RB" 2>/dev/null || break
		sleep 0.05
	done
	e2e_run "${LDAPS[@]}" --state-dir "$T/st-ra" --csv "$W/ra.csv"
	RA=$RC
	touch "$T/go"
	e2e_wait_bg "$RB"
	RC=$BGRC
	cp "$T/rb.err" "$T/err"
	stop_proxy
}
race race1 race2 5601
is "$RA" 0 "race: run A maps the certificate to race1"
exit_is 1 "race: run B, which planned before A wrote, reports a problem"
errors | grep -iq 'cn=race2,.*added by this run, is now on "cn=race1,'
ok_diag $? "race: B's re-check after its modifies names both accounts"
is "$(cb_user_altsec race2 | e2e_norm)" "$(e2e_val 5601 | e2e_norm)" \
	"race: without --strict the value stays (reported only)"
race race3 race4 5602 --strict
exit_is 1 "race --strict: run B reports the value on two accounts"
errors | grep -q 'removed again'
ok_diag $? "race --strict: ... and removes its own copy"
is "$(cb_user_altsec race4)" "" "race --strict: race4 does not hold it any more"
is "$(cb_user_altsec race3 | e2e_norm)" "$(e2e_val 5602 | e2e_norm)" \
	"race --strict: race3 (run A's) keeps it"
RBUNDO=$(e2e_undo_file "$T/rb.err")
cb_dump content "$T/dump-race0"
e2e_run "${LDAPS[@]}" --state-dir "$T/st-rbu" undo "$RBUNDO"
exit_is 0 "race --strict: B's undo file still reads and applies"
is "$(cb_user_altsec race4)" "" "race --strict: B's undo leaves race4 without the value"
is "$(cb_user_altsec race3 | e2e_norm)" "$(e2e_val 5602 | e2e_norm)" \
	"race --strict: B's undo leaves A's mapping alone"

# ---------------------------- a bind that may write but not read (item 8)
e2e_leaf "$W/c/s5501.pem" 5501
e2e_leaf "$W/c/s5502.pem" 5502
printf 'user,certificate\nwo1,c/s5501.pem\n' >"$W/wo1.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st-wo" --csv "$W/wo1.csv"
exit_is 0 "write-only: a first run with full rights"
WOUNDO=$(e2e_undo_file)
# root_altsec NAME: the values as the rootdn sees them (no ACL applies)
root_altsec() {
	ldapsearch -H "$CB_URI_LDAPI" -Y EXTERNAL -Q -LLL -o ldif-wrap=no \
		-b "$CB_BASE" "(sAMAccountName=$1)" altSecurityIdentities |
		sed -n 's/^altSecurityIdentities: //p' | e2e_norm | LC_ALL=C sort
}
cat >"$T/acl-wo.conf" <<ACL
access to attrs=altSecurityIdentities
	by dn.exact="$CB_BIND_DN" =w
	by * none
ACL
if e2e_slapd_stop && e2e_slapd_restart "$T/acl-wo.conf"; then
	printf 'user,certificate\nwo2,c/s5502.pem\n' >"$W/wo2.csv"
	e2e_run "${LDAPS[@]}" --state-dir "$T/st-wo" --csv "$W/wo2.csv"
	exit_is 3 "write-only bind: the run is refused"
	errors | grep -q 'may not read altSecurityIdentities'
	ok_diag $? "... with a clear message"
	is "$(root_altsec wo2)" "" "... and no duplicate was written"
	is "$(root_altsec woholder)" "$(e2e_val 5502 | e2e_norm)" "... the holder keeps its value"
	e2e_run "${LDAPS[@]}" --state-dir "$T/st-wo" undo "$WOUNDO"
	exit_is 3 "write-only bind: undo is refused"
	grep -q 'nothing to change' "$T/err"
	ok $((!$?)) "... it does not claim \"nothing to change\""
	is "$(root_altsec wo1)" "$(e2e_val 5501 | e2e_norm)" "... and the mapping is still there to undo"
else
	ok 1 "slapd restarted with a write-only ACL"
fi

done_testing
