#!/bin/bash
# 86-slapd-forest-write.t: accounts of another domain of the forest, found
# through the Global Catalog, are read again and changed on a writable DC
# of their own domain (issue 12): the preview, undo file and report name
# that DC, certbulk undo sends each record back to it, a domain whose DC
# cannot be used is that row's error, and a simple bind in cleartext to
# another domain's DC is refused.
#
# What is real: three slapd instances (the test domain's DC $SD, the
# other domain's DC for DC=other,DC=certbulk,DC=lan, and a "GC"), every
# search and modify over LDAPS with the same simple bind.  What is
# simulated: the GC is a slapd holding a copy of both domains made when
# it starts (tests/e2e/forest-lib.sh), not AD's partial attribute set on
# port 3269; its copy of the other domain is deliberately behind the
# other DC (ob4's value is on the DC only).  slapd has no partitions
# container, so the other domain's DC is named with --domain-uri (AD's
# crossRef/dnsRoot path is not exercised here).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/forest-lib.sh"

e2e_require
e2e_setup
trap '_frc=$?; forest_stop_all; (exit $_frc); _e2e_cleanup' EXIT
e2e_ca
W=$T/w
mkdir -p "$W/c"
OTHER='DC=other,DC=certbulk,DC=lan'
GONE='DC=gone,DC=certbulk,DC=lan'
OSID=S-1-5-21-444444444-555555555-666666666

cb_add_users <(cb_user_ldif slapd fw1; cb_user_ldif slapd fw2)
ok $? "setup: users of this domain added"
for s in 8601 8602 8603 8604 8605 8606; do
	e2e_leaf "$W/c/$s.pem" "$s" || exit 1
done

# ob(USER, EXTRA...): a user of the other domain
ob() {
	local u=$1
	shift
	e2e_user_ldif "$u" "CN=Users,$OTHER" "$u" \
		"userPrincipalName: $u@other.certbulk.lan" "$@"
}
otree() {
	printf 'dn: %s\nobjectClass: top\nobjectClass: domain\ndc: other\n\n' "$OTHER"
	printf 'dn: CN=Users,%s\nobjectClass: top\nobjectClass: container\ncn: Users\n\n' "$OTHER"
}
# the other domain's DC: ob4 already holds 8604's value there
{
	otree
	ob ob1
	ob ob2 "objectSid:: $(cb_sid_to_b64 "$OSID-1201")"
	ob ob4 "altSecurityIdentities: $(e2e_val 8604)"
} >"$T/other-dc.ldif"
forest_domain_start "$T/od" "$OTHER" "$T/other-dc.ldif"
ok $? "setup: the other domain's DC"
# the GC's copy: behind (ob4 without the value), and a third domain
# whose DC is nowhere
{
	otree
	ob ob1
	ob ob2 "objectSid:: $(cb_sid_to_b64 "$OSID-1201")"
	ob ob4
	printf 'dn: %s\nobjectClass: top\nobjectClass: domain\ndc: gone\n\n' "$GONE"
	printf 'dn: CN=Users,%s\nobjectClass: top\nobjectClass: container\ncn: Users\n\n' "$GONE"
	e2e_user_ldif og1 "CN=Users,$GONE" og1 "userPrincipalName: og1@gone.certbulk.lan"
} >"$T/gc.ldif"
forest_gc_start "$T/gc" "$T/gc.ldif"
ok $? "setup: the Global Catalog"

DEAD=$(e2e_closed_port)
LDAPSB=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE")
FOREST=(--gc "$GC_URI_LDAPS" --domain-uri "other.certbulk.lan=$D_URI_LDAPS"
	--domain-uri "$GONE=ldaps://127.0.0.1:$DEAD")
# dump URI BASE: every entry's altSecurityIdentities, sorted
dump() {
	ldapsearch -x -H "$1" -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$2" \
		-o ldif-wrap=no -LLL '(objectClass=user)' altSecurityIdentities |
		cat
}
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-0"
dump "$D_URI_LDAPS" "$OTHER" >"$T/other-0"
grep -q "^altSecurityIdentities: $(e2e_val 8604)" "$T/other-0"
ok $? "setup: ob4 holds 8604's value on its DC"

cat >"$W/rows.csv" <<EOF
user,certificate
fw1,c/8601.pem
ob1@other.certbulk.lan,c/8602.pem
$OSID-1201,c/8603.pem
ob4@other.certbulk.lan,c/8604.pem
og1@gone.certbulk.lan,c/8605.pem
EOF

# ---------------------------------------------------------------- preview
e2e_run "${LDAPSB[@]}" "${FOREST[@]}" -n --report "$T/rep-n.csv" \
	--csv "$W/rows.csv"
exit_is 1 "preview: one row's domain has no usable DC"
grep -B4 -i "^dn: CN=ob1,CN=Users,$OTHER" "$T/out" |
	grep -q "^# certbulk-server: $D_URI_LDAPS\$"
ok_diag $? "preview: ob1's record names the other domain's DC"
grep -B4 -i "^dn: CN=ob2,CN=Users,$OTHER" "$T/out" |
	grep -q "^# certbulk-server: $D_URI_LDAPS\$"
ok_diag $? "preview: ob2 (found by its SID) is changed on the other domain's DC"
is "$(grep -c '^# certbulk-server: ' "$T/out")" 2 \
	"preview: only the other domain's records name a server"
grep -qi "^dn: CN=fw1,CN=Users,$CB_BASE" "$T/out"
ok_diag $? "preview: this domain's account is there too"
! grep -qi "^dn: CN=ob4" "$T/out" &&
	grep -qi "^$W/rows.csv:5,already-mapped,,\"CN=ob4,CN=Users,$OTHER\",.*,$D_URI_LDAPS\$" "$T/rep-n.csv"
ok_diag $? "preview: ob4 read again on its DC: the GC's stale copy does not count"
grep -qi "rows.csv:6: userPrincipalName og1@gone.certbulk.lan is \"CN=og1,CN=Users,$GONE\", an account of another domain of the forest, but the domain controller ldaps://127.0.0.1:$DEAD of its domain .* cannot be used (above); not mapped" "$T/err"
ok_diag $? "preview: the unreachable domain is that row's error"

# ------------------------------------------------------------ the run
mkdir -p "$T/st"
chmod 700 "$T/st"
e2e_run "${LDAPSB[@]}" "${FOREST[@]}" --state-dir "$T/st" \
	--report "$T/rep.csv" --log "$T/run.log" --csv "$W/rows.csv"
exit_is 1 "run: the other rows are written, the unreachable one is not"
dump "$D_URI_LDAPS" "$OTHER" >"$T/other-1"
grep -A1 -i "^dn: CN=ob1," "$T/other-1" | grep -q "$(e2e_val 8602)"
ok_diag $? "run: ob1 changed on the other domain's DC"
grep -A1 -i "^dn: CN=ob2," "$T/other-1" | grep -q "$(e2e_val 8603)"
ok_diag $? "run: ob2 (by SID) changed on the other domain's DC"
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-1"
diff "$T/main-0" "$T/main-1" | grep '^[<>]' >"$T/main-diff"
is "$(cat "$T/main-diff")" "> altSecurityIdentities: $(e2e_val 8601)" \
	"run: on this domain's DC only fw1's value was added"
ldapsearch -x -H "$CB_URI_LDAPS" -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-b "$CB_BASE" -LLL "(altSecurityIdentities=$(e2e_val 8602))" 1.1 >"$T/s"
is "$(cat "$T/s")" "" "run: ob1's value is on no account of this domain's DC"
grep -q "^$W/rows.csv:3,mapped,.*,$D_URI_LDAPS\$" "$T/rep.csv"
ok_diag $? "report: ob1's row names the other domain's DC"
grep -q "^$W/rows.csv:2,mapped,.*,127.0.0.1 port ${CB_URI_LDAPS##*:} with TLS\$" "$T/rep.csv"
ok_diag $? "report: fw1's row names this domain's DC"
grep -qi "changed \"CN=ob1,CN=Users,$OTHER\" on $D_URI_LDAPS: added $(e2e_val 8602 | sed 's/[][\.*^$]/\\&/g')" "$T/run.log" &&
	grep -qi "changed \"CN=fw1,CN=Users,$CB_BASE\": added" "$T/run.log"
ok_diag $? "log: the other domain's change names its DC, this domain's none"
undo=$(ls "$T"/st/undo-*.ldif 2>/dev/null | head -n 1)
is "$(grep -c "^# certbulk-server: $D_URI_LDAPS\$" "$undo")" 2 \
	"undo file: the other domain's two records name its DC"
is "$(e2e_records "$undo")" 3 "undo file: three records"

# ---------------------------------------------------------------- undo
# without --domain-uri the other domain's records have nowhere to go
e2e_run undo "${LDAPSB[@]}" --state-dir "$T/st" -n "$undo"
cp "$T/err" "$T/undo-n.err"
exit_is 1 "undo without --domain-uri: the other domain's records refused"
grep -qi "\"CN=ob1,CN=Users,$OTHER\": changed on $D_URI_LDAPS, but no domain of the forest is known to hold it.*; not undone" "$T/err"
ok_diag $? "undo without --domain-uri: says why, per record"
# --forest-config: the same as --domain-uri, from a private file
printf '# the forest\n\n  %s\t%s  # its DC\n' "$OTHER" "$D_URI_LDAPS" >"$T/forest.conf"
chmod 664 "$T/forest.conf"
e2e_run undo "${LDAPSB[@]}" --state-dir "$T/st" --forest-config "$T/forest.conf" -n "$undo"
exit_is 2 "--forest-config writable by its group: refused"
grep -q "forest.conf: the forest configuration is writable by its group (mode 664); refused" "$T/err"
ok_diag $? "--forest-config writable by its group: says why"
chmod 600 "$T/forest.conf"
ln -s "$T/forest.conf" "$T/forest.link"
e2e_run undo "${LDAPSB[@]}" --state-dir "$T/st" --forest-config "$T/forest.link" -n "$undo"
exit_is 2 "--forest-config through a symbolic link: refused"
printf '# ok\nother.certbulk.lan %s\nother2.certbulk.lan\n' "$D_URI_LDAPS" >"$T/forest.bad"
chmod 600 "$T/forest.bad"
e2e_run undo "${LDAPSB[@]}" --state-dir "$T/st" --forest-config "$T/forest.bad" -n "$undo"
exit_is 2 "--forest-config with a line without URI: refused"
grep -q "forest.bad:3: \"other2.certbulk.lan...\": not DOMAIN URI" "$T/err"
ok_diag $? "--forest-config: the bad line is named"
e2e_run undo "${LDAPSB[@]}" --state-dir "$T/st" --forest-config "$T/forest.conf" "$undo"
exit_is 0 "undo: every record sent back to its own DC"
dump "$D_URI_LDAPS" "$OTHER" >"$T/other-2"
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-2"
cmp -s "$T/other-0" "$T/other-2"
ok $? "undo: the other domain's DC is as before the run"
cmp -s "$T/main-0" "$T/main-2"
ok $? "undo: this domain's DC is as before the run"

# ------------------------------------------------- plans, cleartext
e2e_run "${LDAPSB[@]}" "${FOREST[@]}" -n --output "$T/plan.ldif" --csv "$W/rows.csv"
e2e_run apply "${LDAPSB[@]}" "${FOREST[@]}" --state-dir "$T/st" "$T/plan.ldif"
[ "$RC" -ne 0 ] && grep -q "apply takes plans of one domain only" "$T/err"
ok_diag $? "apply: a plan with another domain's record is refused"
dump "$D_URI_LDAPS" "$OTHER" >"$T/other-3"
cmp -s "$T/other-0" "$T/other-3"
ok $? "apply: nothing written on the other domain's DC"

printf 'user,certificate\nob1@other.certbulk.lan,c/8606.pem\n' >"$W/clear.csv"
e2e_run "${LDAPSB[@]}" --gc "$GC_URI_LDAPS" \
	--domain-uri "other.certbulk.lan=$D_URI" --allow-cleartext-bind \
	--state-dir "$T/st" --csv "$W/clear.csv"
exit_is 1 "cleartext: the row is not mapped"
grep -q "$D_URI: refusing a simple bind over an unencrypted connection" "$T/err" &&
	grep -q "clear.csv:2: .*--allow-cleartext-bind covers -H's domain controller only" "$T/err"
ok_diag $? "cleartext: the simple bind to the other domain's DC is refused"
dump "$D_URI_LDAPS" "$OTHER" >"$T/other-4"
cmp -s "$T/other-0" "$T/other-4"
ok $? "cleartext: nothing written on the other domain's DC"

# ------------------------------------------------------- -b, bad options
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-b "CN=Users,$CB_BASE" "${FOREST[@]}" -n --csv "$W/rows.csv"
grep -qi "rows.csv:3: userPrincipalName ob1@other.certbulk.lan is \"CN=ob1,CN=Users,$OTHER\", an account of another domain of the forest, outside the search base -b CN=Users,$CB_BASE; not mapped" "$T/err" &&
	! grep -q '^# certbulk-server:' "$T/out"
ok_diag $? "-b narrower than the domain: accounts of other domains not mapped"
e2e_run "${LDAPSB[@]}" --domain-uri "other.certbulk.lan" -n --csv "$W/rows.csv"
exit_is 2 "--domain-uri without =URI: a usage error"
grep -q -- "--domain-uri other.certbulk.lan: not DOMAIN=ldaps://HOST" "$T/err"
ok_diag $? "--domain-uri without =URI: says what it wants"
e2e_run "${LDAPSB[@]}" --domain-uri 'a b=ldaps://h' -n --csv "$W/rows.csv"
exit_is 2 "--domain-uri with a bad domain: a usage error"
e2e_run "${LDAPSB[@]}" --domain-uri "other.certbulk.lan=$D_URI_LDAPS" \
	--domain-uri "$OTHER=ldaps://127.0.0.1:$DEAD" -n --csv "$W/rows.csv"
exit_is 3 "--domain-uri: one domain (by DNS name and by DN) with two URIs refused"

# ------------------------------------------------------------ referrals
# -H is a read-only DC (a syncrepl consumer whose updateref refers every
# modify to the writable one, as an AD RODC does)
e2e_leaf "$W/c/8607.pem" 8607 || exit 1
printf 'user,certificate\nfw2,c/8607.pem\n' >"$W/ref.csv"
forest_provider
ok $? "setup: this domain's DC is a syncrepl provider"
forest_consumer_start "$T/ro" 00:00:00:02 "$CB_URI_LDAPS"
ok $? "setup: a read-only DC referring modifies to ldaps://"
RO=(-H "$C_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE")
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-r0"
mkdir -p "$T/st2"
chmod 700 "$T/st2"
e2e_run "${RO[@]}" --state-dir "$T/st2" --csv "$W/ref.csv"
exit_is 1 "referral to a server outside the forest: the row fails"
grep -qi "\"CN=fw2,CN=Users,$CB_BASE\": $C_URI_LDAPS refers the modify to $CB_URI_LDAPS.*; not followed: 127.0.0.1 is no domain controller of this forest" "$T/err"
ok_diag $? "referral outside the forest: names the URL and why"
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-r1"
cmp -s "$T/main-r0" "$T/main-r1"
ok $? "referral outside the forest: nothing written"
e2e_run "${RO[@]}" --domain-uri "$CB_BASE=$CB_URI_LDAPS" --state-dir "$T/st2" \
	--report "$T/rep-r.csv" --csv "$W/ref.csv"
exit_is 0 "referral to a DC of the forest over TLS: followed"
grep -q "following the referral of $C_URI_LDAPS to $CB_URI_LDAPS" "$T/err"
ok_diag $? "referral followed: says where"
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-r2"
diff "$T/main-r1" "$T/main-r2" | grep '^[<>]' >"$T/main-rdiff"
is "$(cat "$T/main-rdiff")" "> altSecurityIdentities: $(e2e_val 8607)" \
	"referral followed: written on the writable DC"
undo=$(ls -t "$T"/st2/undo-*.ldif | head -n 1)
grep -q "^# certbulk-record: 1 status: failed" "$undo" &&
	grep -q "^# certbulk-record: 2 status: done" "$undo" &&
	is "$(grep -c "^# certbulk-server: $CB_URI_LDAPS\$" "$undo")" 1 \
	"undo file: the referred record is failed, the followed one names its DC"
grep -q "^$W/ref.csv:2,mapped,.*,$CB_URI_LDAPS\$" "$T/rep-r.csv"
ok_diag $? "report: the row names the DC the referral led to"
# the undo reads on the read-only DC: wait until the value replicated
for ((i = 0; i < 100; i++)); do
	ldapsearch -x -H "$C_URI_LDAPS" -D "$CB_BIND_DN" -y "$CB_PWFILE" \
		-b "$CB_BASE" -LLL "(altSecurityIdentities=$(e2e_val 8607))" 1.1 |
		grep -q '^dn:' && break
	sleep 0.2
done
e2e_run undo "${RO[@]}" --state-dir "$T/st2" --domain-uri "$CB_BASE=$CB_URI_LDAPS" "$undo"
exit_is 0 "undo through the read-only DC: the referral followed again"
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-r3"
cmp -s "$T/main-r1" "$T/main-r3"
ok $? "undo: the writable DC is as before"

# a referral to ldap:// with a simple bind: never followed
forest_consumer_start "$T/ro2" 00:00:00:02 "$CB_URI"
ok $? "setup: a read-only DC referring modifies to ldap://"
e2e_run -H "$C_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" \
	--domain-uri "$CB_BASE=$CB_URI" --state-dir "$T/st2" --csv "$W/ref.csv"
exit_is 1 "referral to ldap:// with a simple bind: the row fails"
grep -qi "refers the modify to $CB_URI.*; not followed: the connection would be neither TLS nor Kerberos" "$T/err"
ok_diag $? "referral to ldap://: says why"
dump "$CB_URI_LDAPS" "$CB_BASE" >"$T/main-r4"
cmp -s "$T/main-r1" "$T/main-r4"
ok $? "referral to ldap://: nothing written"

done_testing
