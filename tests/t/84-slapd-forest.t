#!/bin/bash
# 84-slapd-forest.t: a forest and one domain controller (issue 12), against
# real slapd instances: --dc pins the run to one DC and the preview, undo
# file and messages name it; --gc finds a duplicate holder in another
# domain through a Global Catalog (run and audit); --verify-on re-reads
# the changed accounts on a second DC that replicates with syncrepl.
#
# What is simulated: the "Global Catalog" is a slapd whose one database
# holds a copy of the test domain and a second domain's tree
# (DC=other,DC=certbulk,DC=lan) and answers subtree searches from the
# empty DN over both (defaultsearchbase), as an AD GC answers for the
# forest; AD's GC port and partial attribute set are not imitated.  The
# second DC is real replication: a slapd syncrepl consumer of the test
# DC (refreshOnly, so a change arrives only at its next poll).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/forest-lib.sh"

e2e_require
e2e_setup
trap '_frc=$?; forest_stop_all; (exit $_frc); _e2e_cleanup' EXIT
e2e_ca
W=$T/w
mkdir -p "$W"
OTHER='DC=other,DC=certbulk,DC=lan'

DN() { cb_user_dn "$1" | tr 'A-Z' 'a-z'; }
{
	for n in fa1 fa2 fa3 fa4 fa5; do
		cb_user_ldif slapd "$n"
	done
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
for s in 8401 8402 8403 8404 8405 8406; do
	e2e_leaf "$W/c/$s.pem" "$s" || exit 1
done
PORT=${CB_URI_LDAPS##*:}
LDAPSB=(-x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE")

# --------------------------------------------------------------- --dc HOST
# -H names an address where nothing listens; --dc puts the DC's in its place
DEAD=127.0.0.9
printf 'user,certificate\nfa1,c/8401.pem\n' >"$W/dc.csv"
e2e_run -H "ldaps://$DEAD:$PORT" "${LDAPSB[@]}" -n --csv "$W/dc.csv"
exit_is 3 "--dc: without it, -H's host (nothing there) is used"
e2e_run -H "ldaps://$DEAD:$PORT" "${LDAPSB[@]}" --dc 127.0.0.1 -n \
	--csv "$W/dc.csv"
exit_is 0 "--dc 127.0.0.1: -H's host replaced, its scheme and port kept"
grep -q "^# domain controller 127.0.0.1 port $PORT with TLS$" "$T/out"
ok_diag $? "--dc: the preview names the domain controller and its address"
grep -q "pinned to domain controller ldaps://127.0.0.1:$PORT" "$T/err"
ok_diag $? "--dc: stderr names the pinned DC"
e2e_run -H "ldaps://$DEAD:$PORT" "${LDAPSB[@]}" --dc 127.0.0.1 -n \
	--report "$T/dc-report.csv" --csv "$W/dc.csv"
exit_is 0 "--dc with --report"
is "$(head -1 "$T/dc-report.csv")" "source,outcome,reason,account,values,certificate,detail,server" \
	"--report: the CSV header has a server column"
grep -q "^$W/dc.csv:2,planned,.*,127.0.0.1 port $PORT with TLS\$" "$T/dc-report.csv"
ok_diag $? "--report: the row names the pinned DC"
e2e_run -H "ldaps://$DEAD:$PORT" "${LDAPSB[@]}" --dc 127.0.0.1 -n \
	--report "$T/dc-report.json" --report-format json --csv "$W/dc.csv"
grep -q "\"server\": \"127.0.0.1 port $PORT with TLS\"}" "$T/dc-report.json"
ok_diag $? "--report-format json: the row's server field"
e2e_run -H "ldaps://$DEAD:$PORT" "${LDAPSB[@]}" --dc 'a/b' -n --csv "$W/dc.csv"
exit_is 2 "--dc a/b: a usage error"
grep -q -- "--dc/--verify-on a/b: not a host name or address" "$T/err"
ok_diag $? "--dc a/b: says why"
e2e_run -H "ldapi://%2Ftmp%2Fx" "${LDAPSB[@]}" --dc 127.0.0.1 -n --csv "$W/dc.csv"
exit_is 2 "--dc with an ldapi:// -H: a usage error"
grep -q "a local socket names no domain controller" "$T/err"
ok_diag $? "--dc with ldapi://: says why"
mkdir -p "$T/st"
chmod 700 "$T/st"
e2e_run -H "ldaps://$DEAD:$PORT" "${LDAPSB[@]}" --dc 127.0.0.1 \
	--state-dir "$T/st" --csv "$W/dc.csv"
exit_is 0 "--dc: a run that writes"
undo=$(ls "$T"/st/undo-*.ldif 2>/dev/null | head -n 1)
grep -q "^# domain controller 127.0.0.1 port $PORT with TLS$" "$undo"
ok_diag $? "--dc: the undo file names the domain controller changed on"
cb_user_altsec fa1 | grep -qF "$(e2e_val 8401)"
ok $? "--dc: the value is on the account"

# --------------------------------------------------- --gc: another domain
# fa2's value for 8402 is already held by an account of the other domain;
# fa3's 8403 by fa4 of this domain (the DC says so, and the GC copy too)
cb_ldap ldapmodify >/dev/null <<EOF
dn: $(cb_user_dn fa4)
changetype: modify
add: altSecurityIdentities
altSecurityIdentities: $(e2e_val 8403)
EOF
ok $? "setup: fa4 holds the value for 8403"
{
	printf 'dn: %s\nobjectClass: top\nobjectClass: domain\ndc: other\n\n' "$OTHER"
	printf 'dn: CN=Users,%s\nobjectClass: top\nobjectClass: container\ncn: Users\n\n' "$OTHER"
	e2e_user_ldif ob1 "CN=Users,$OTHER" ob1 "altSecurityIdentities: $(e2e_val 8402)"
	e2e_user_ldif ob2 "CN=Users,$OTHER" ob2 "altSecurityIdentities: $(e2e_val 8405)"
	e2e_user_ldif ob3 "CN=Users,$OTHER" ob3 "userPrincipalName: ob3@other.certbulk.lan"
} >"$T/other.ldif"
forest_gc_start "$T/gc" "$T/other.ldif"
ok $? "setup: a Global Catalog with two domains"

printf 'user,certificate\nfa2,c/8402.pem\nfa3,c/8403.pem\n' >"$W/gc.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/gc.csv" --report "$T/r0.csv"
exit_is 1 "without --gc: only this domain's holder is seen"
grep -c "duplicate-holder" "$T/r0.csv" | grep -qx 1
ok_diag $? "without --gc: one duplicate (fa3's, in this domain)"

e2e_run "${LDAPS[@]}" --gc "$GC_URI_LDAPS" -n --csv "$W/gc.csv" \
	--report "$T/r1.csv"
exit_is 1 "--gc: the other domain's holder is found"
grep -c "duplicate-holder" "$T/r1.csv" | grep -qx 2
ok_diag $? "--gc: both values refused as duplicate-holder"
grep -qi "is already on \"CN=ob1,CN=Users,$OTHER\"" "$T/err"
ok_diag $? "--gc: the holder in the other domain is named"
grep -qi "duplicate check: values held anywhere in $CB_BASE (this domain, from its DC) and in the other domains of the forest (Global Catalog $GC_URI_LDAPS)" "$T/err"
ok_diag $? "--gc: the note says the forest is searched, and where"
grep -ci "is already on \"CN=fa4,CN=Users" "$T/err" | grep -qx 1
ok_diag $? "--gc: a holder of this domain is named once (from the DC)"
# an account of another domain: named through the GC; with no DC known
# for its domain (no --domain-uri, no partitions container) not changed
# (86-slapd-forest-write.t changes it on its domain's DC)
printf 'user,certificate\nob3@other.certbulk.lan,c/8407.pem\nnobody@other.certbulk.lan,c/8407.pem\n' >"$W/ob.csv"
e2e_leaf "$W/c/8407.pem" 8407 || exit 1
e2e_run "${LDAPS[@]}" -n --csv "$W/ob.csv"
exit_is 1 "without --gc: an account of another domain is no account"
! grep -q "another domain" "$T/err"
ok_diag $? "without --gc: no word of the other domain"
e2e_run "${LDAPS[@]}" --gc "$GC_URI_LDAPS" -n --csv "$W/ob.csv" --report "$T/r2.csv"
exit_is 1 "--gc: an account of another domain is still not mapped here"
grep -qi "ob.csv:2: userPrincipalName ob3@other.certbulk.lan is \"CN=ob3,CN=Users,$OTHER\", an account of another domain of the forest" "$T/err"
ok_diag $? "--gc: the row's account in the other domain is named"
! grep -q "ob.csv:3: .*another domain" "$T/err"
ok_diag $? "--gc: a name the forest does not know gets no such note"
grep -q "ob.csv:2: .*no domain of the forest is known to hold it: give --domain-uri" "$T/err"
ok_diag $? "--gc: no DC known for the other domain: the row says what to give"
grep -q "^$W/ob.csv:2,refused,ldap-error," "$T/r2.csv" &&
	grep -q "^$W/ob.csv:3,refused,unknown-user," "$T/r2.csv"
ok_diag $? "--gc: that row is an error, the unknown name unknown-user"

e2e_run -H "ldaps://127.0.0.1:$(e2e_closed_port)" "${LDAPSB[@]}" -n \
	--csv "$W/gc.csv" --gc "ldaps://127.0.0.1:$(e2e_closed_port)"
exit_is 3 "--gc where nothing listens: a directory error"
e2e_run "${LDAPS[@]}" -n --csv "$W/gc.csv" \
	--gc "ldaps://127.0.0.1:$(e2e_closed_port)"
exit_is 3 "--gc that cannot be reached: the run stops"
grep -q "the Global Catalog cannot be used; nothing was changed" "$T/err"
ok_diag $? "--gc unreachable: says so"

# ------------------------------------------------------ audit through a GC
# fa5 (this domain) and ob2 (the other) hold the same value
cb_ldap ldapmodify >/dev/null <<EOF
dn: $(cb_user_dn fa5)
changetype: modify
add: altSecurityIdentities
altSecurityIdentities: $(e2e_val 8405)
EOF
ok $? "setup: fa5 holds the value ob2 holds"
e2e_run "${LDAPS[@]}" audit --tsv
! grep "duplicate" "$T/out" | grep -qi "CN=ob2"
ok $? "audit without --gc: the other domain's holder is not seen"
e2e_run "${LDAPS[@]}" --gc "$GC_URI_LDAPS" audit --tsv
exit_is 1 "audit --gc: a problem found"
grep "duplicate" "$T/out" | grep -i "CN=fa5,CN=Users" | grep -qi "CN=ob2,CN=Users,$OTHER"
ok_diag $? "audit --gc: the duplicate across domains names both accounts"
! grep "duplicate" "$T/out" | grep -qi "CN=fa1,\|CN=fa4,"
ok_diag $? "audit --gc: this domain's accounts are not counted twice (DC and GC copy)"

# ------------------------------------------------------------ --verify-on
forest_provider
ok $? "setup: the DC is a syncrepl provider"
forest_consumer_start "$T/c1" 00:00:00:02
ok $? "setup: a second DC, replicating every 2 s"
C1_URI_LDAPS=$C_URI_LDAPS
forest_consumer_start "$T/c2" 01:00:00:00
ok $? "setup: a third DC, replicating once a day"
C2_URI_LDAPS=$F_URI_LDAPS

printf 'user,certificate\nfa2,c/8404.pem\n' >"$W/v1.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --csv "$W/v1.csv" \
	--verify-on "$C1_URI_LDAPS" --replication-wait 60
exit_is 0 "--verify-on: the change arrived on the second DC"
grep -q -- "--verify-on $C1_URI_LDAPS: all 1 changed accounts hold the run's values there" "$T/err"
ok_diag $? "--verify-on: says all arrived"
LDAPTLS_REQCERT=demand ldapsearch -x -H "$C1_URI_LDAPS" -D "$CB_BIND_DN" \
	-y "$CB_PWFILE" -b "$(cb_user_dn fa2)" -s base -LLL -o ldif-wrap=no \
	altSecurityIdentities | grep -qF "$(e2e_val 8404)"
ok $? "--verify-on: the value is really on the second DC"

# the third DC never sees this change within the wait
printf 'user,certificate\nfa3,c/8406.pem\n' >"$W/v2.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --csv "$W/v2.csv" \
	--verify-on "$C2_URI_LDAPS" --replication-wait 3
exit_is 1 "--verify-on: a change that has not arrived is exit status 1"
grep -q "\"$(cb_user_dn fa3)\": not replicated to $C2_URI_LDAPS after [0-9]* s: added value $(e2e_val 8406) is not there yet" "$T/err"
ok_diag $? "--verify-on: the account and value not there are named"
grep -q -- "--verify-on $C2_URI_LDAPS: 1 of 1 changed accounts have not replicated there within 3 s" "$T/err"
ok_diag $? "--verify-on: the count and the wait are said"
cb_user_altsec fa3 | grep -qF "$(e2e_val 8406)"
ok $? "--verify-on: the run's own change stands on the first DC"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --csv "$W/v2.csv" \
	--verify-on "ldaps://127.0.0.1:$(e2e_closed_port)"
exit_is 0 "--verify-on: nothing changed, nothing to wait for"
e2e_run "${LDAPS[@]}" -n --csv "$W/v2.csv" --verify-on "$C1_URI_LDAPS"
exit_is 0 "--verify-on with -n: a preview"
grep -q "warning: --verify-on: a preview changes nothing; nothing is waited for" "$T/err"
ok_diag $? "--verify-on with -n: says nothing is waited for"

done_testing
