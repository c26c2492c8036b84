#!/bin/bash
# 55-slapd-apply.t: certbulk's apply and undo side against a real OpenLDAP
# slapd (tests/dirs/slapd.sh): the values written are exactly the planned
# ones, foreign values stay, a second run is a no-op, undo restores the
# directory (also undo -n, undo after others changed the accounts, two undo
# files in one call, an entry deleted before the undo), file modes under
# umask 000, the state-folder lock, kill -9 at several points then
# convergence, the server stopped mid-run, --transaction, --strict.
#
# "Restores" always means: `cb_dump content` (the whole tree, paged, minus
# modification metadata) is identical to the dump taken before.
#
# A modify that fails for one account is simulated with an ACL: slapd is
# restarted on the same database with one extra access rule that makes
# altSecurityIdentities read-only below OU=Contractors, so the bind user
# (which may write everywhere else) gets insufficientAccess (50) there.
# tests/dirs/slapd.sh start always wipes the database, so restarts use
# e2e_slapd_restart (tests/e2e/lib.sh) with the same folder and ports.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W/c"

CONTRACTORS="OU=Contractors,$CB_BASE"
cat >"$T/acl.conf" <<EOF
access to dn.subtree="$CONTRACTORS" attrs=altSecurityIdentities
	by dn.exact="$CB_BIND_DN" read
	by users read
	by * none
EOF
if ! { e2e_slapd_stop && e2e_slapd_restart "$T/acl.conf"; }; then
	echo "Bail out! cannot restart slapd with the extra ACL"
	exit 1
fi

# ------------------------------------------------------------------ users
FOREIGN1='Kerberos:ap2@OTHER.REALM'
FOREIGN2='X509:<I>DC=lan,DC=other,CN=Other CA<SR>0301'
{
	cb_user_ldif slapd ap1
	cb_user_ldif slapd ap2 "altSecurityIdentities: $FOREIGN1" \
		"altSecurityIdentities: $FOREIGN2"
	cb_user_ldif slapd ap3
	cb_user_ldif slapd ap4 "altSecurityIdentities: $(e2e_val 1105)"
	cb_user_ldif slapd ap5
	cb_user_ldif slapd ap6 "altSecurityIdentities: $(e2e_val 1108)"
	cb_user_ldif slapd st1
	cb_user_ldif slapd st2
	cb_user_ldif slapd st3
	e2e_user_ldif locked1 "$CONTRACTORS" locked1
	e2e_bulk_ldif bulk 1100 -
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added (1111)"

for s in 1101 1102 1103 1104 1105 1106 1108; do e2e_leaf "$W/c/$s.pem" $s; done
e2e_leaf "$W/c/1107.pem" 1107 ski
SKI1107=$(e2e_ski "$W/c/1107.pem")
cat >"$W/basic.csv" <<'EOF'
user,certificate,types
ap1,c/1101.pem,
ap2,c/1102.pem,
ap3,c/1103.pem,
ap3,c/1104.pem,
ap4,c/1105.pem,
ap4,c/1106.pem,
ap5,c/1107.pem,"X509IssuerSerialNumber,X509SKI"
ap6,c/1108.pem,
EOF
for s in 1201 1202 1203 1204; do e2e_leaf "$W/c/$s.pem" $s; done
cat >"$W/fail.csv" <<'EOF'
user,certificate
st1,c/1201.pem
locked1,c/1202.pem
st2,c/1203.pem
st3,c/1204.pem
EOF
e2e_bulk_certs "$W/bulk" 1100 200001 ||
	{ echo "Bail out! openssl ca failed"; exit 1; }
{
	echo user,certificate
	for ((i = 1; i <= 1100; i++)); do
		printf 'bulk%04d,bulk/%X.pem\n' "$i" $((0x200000 + i))
	done
} >"$W/bulk.csv"

DN() { cb_user_dn "$1" | tr 'A-Z' 'a-z'; }
LOCKED_DN=$(DN locked1)
# values DUMP: "dn<TAB>value" for every altSecurityIdentities value
values() {
	awk '/^dn: / { dn = tolower(substr($0, 5)); next }
		/^altSecurityIdentities: / { print dn "\t" substr($0, 24) }
		/^altSecurityIdentities:: / { print dn "\t(base64)" }' "$1" |
		e2e_norm | LC_ALL=C sort
}
# same_content NAME DESC: cb_dump content equals $T/NAME
same_content() {
	cb_dump content "$T/now"
	same_file "$T/now" "$T/$1" "$2"
}
user_is() {	# user_is NAME DESC VALUE...: exactly these values
	local n=$1 d=$2
	shift 2
	is "$(cb_user_altsec "$n" | e2e_norm | LC_ALL=C sort)" \
		"$(printf '%s\n' "$@" | e2e_norm | LC_ALL=C sort)" "$d"
}
records() { e2e_records "$1"; }
# status_of UNDOFILE DN: the status of the record for DN
status_of() {
	awk -v dn="$2" '/^# certbulk-record: / { st = $5 }
		/^dn: / && tolower(substr($0, 5)) == dn { print st }' "$1"
}
nfiles() { find "$1" -name 'undo-*.ldif' 2>/dev/null | wc -l; }
# txn_run ARGS...: e2e_run for a --transaction run.  Debian's slapd 2.5.13
# itself crashes now and then inside LDAP transactions (a segfault in
# txn_preop -> slap_send_ldap_result, reproducible with plain
# `ldapmodify -E txn=commit`, roughly once per 50-200 small transactions).
# That is not certbulk's doing: restart slapd, undo what the run wrote,
# and try again (three tries).
txn_run() {
	local _ u
	for _ in 1 2 3; do
		e2e_run "$@"
		e2e_slapd_alive && return 0
		diag "slapd crashed during a transaction run (a slapd bug); restarting and retrying"
		e2e_slapd_restart || return 1
		u=$(e2e_undo_file)
		[ -z "$u" ] || "$CERTBULK" "${LDAPS[@]}" --state-dir "$T/undo-st" -q \
			undo "$u" >/dev/null 2>&1
		rm -f -- "$u"
	done
}
# undo_ok FILE DESC: certbulk undo FILE (its own undo file in $T/undo-st)
undo_ok() {
	e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "$1"
	exit_is 0 "$2"
}

cb_dump content "$T/D0"

# ------------------------------------------------------- apply, basic set
e2e_run "${LDAPS[@]}" -n --csv "$W/basic.csv"
exit_is 0 "basic: preview"
e2e_ldif_pairs "$T/out" | awk -F'\t' '{ print $1 "\t" $3 }' >"$T/planned"
{
	for v in "ap1 1101" "ap2 1102" "ap3 1103" "ap3 1104" "ap4 1106"; do
		read -r u s <<<"$v"
		printf '%s\t%s\n' "$(DN "$u")" "$(e2e_val "$s")"
	done
	printf '%s\t%s\n' "$(DN ap5)" "$(e2e_val 1107)" "$(DN ap5)" "$SKI1107"
} | e2e_norm | LC_ALL=C sort >"$T/planned.exp"
same_file "$T/planned" "$T/planned.exp" "basic: the preview plans the 7 expected values"

S1=$T/st1
e2e_run "${LDAPS[@]}" --state-dir "$S1" --csv "$W/basic.csv"
exit_is 0 "basic: apply"
U1=$(e2e_undo_file)
like "$U1" "^$S1/undo-[0-9T.]+Z\\.ldif\$" "basic: undo file named on stderr, in --state-dir"
[ -f "$U1" ]
ok $? "basic: the undo file exists"
like "$(cat "$T/err")" '5 accounts changed \(7 values added, 0 removed\), 0 failed' \
	"basic: the summary counts 5 accounts and 7 values"
cb_dump content "$T/F1"
values "$T/D0" >"$T/v0"
values "$T/F1" >"$T/v1"
LC_ALL=C comm -13 "$T/v0" "$T/v1" >"$T/added"
LC_ALL=C comm -23 "$T/v0" "$T/v1" >"$T/removed"
same_file "$T/added" "$T/planned" "basic: the values added are exactly the planned ones"
is "$(cat "$T/removed")" "" "basic: no value removed"
user_is ap2 "basic: foreign values (Kerberos, other X509) stay" \
	"$FOREIGN1" "$FOREIGN2" "$(e2e_val 1102)"
user_is ap4 "basic: a value already there is kept once, the new one added" \
	"$(e2e_val 1105)" "$(e2e_val 1106)"
user_is ap6 "basic: an account already up to date is untouched" "$(e2e_val 1108)"
is "$(records "$U1")" 5 "basic: undo file: one record per changed account"
is "$(grep -c '^# certbulk-record: [0-9]* status: done' "$U1")" 5 \
	"basic: undo file: every record is done"
is "$(grep -Ec '^(add|replace):' "$U1")" 0 "basic: undo file only deletes"

# a second run changes nothing
e2e_run "${LDAPS[@]}" --state-dir "$S1" --csv "$W/basic.csv"
exit_is 0 "basic: second run"
is "$(nfiles "$S1")" 1 "basic: second run writes no undo file"
cb_dump strict "$T/F1.strict"
e2e_run "${LDAPS[@]}" --state-dir "$S1" --csv "$W/basic.csv"
cb_dump strict "$T/now"
same_file "$T/now" "$T/F1.strict" "basic: second run writes nothing (strict dump)"

# undo -n: a preview of the undo, nothing changed
cb_dump strict "$T/F1.strict"
e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo -n "$U1"
exit_is 0 "basic: undo -n"
e2e_ldif_pairs "$T/out" | awk -F'\t' '$2 == "delete" { print $1 "\t" $3 }' >"$T/undo-n"
same_file "$T/undo-n" "$T/planned" "basic: undo -n previews deleting exactly the values added"
cb_dump strict "$T/now"
same_file "$T/now" "$T/F1.strict" "basic: undo -n changes nothing (strict dump)"

# undo, undo of the undo, undo again
undo_ok "$U1" "basic: undo"
U1U=$(e2e_undo_file)
same_content D0 "basic: undo restores the directory"
[ -n "$U1U" ] && [ -f "$U1U" ]
ok $? "basic: undo writes its own undo file"
undo_ok "$U1U" "basic: undo of the undo"
same_content F1 "basic: undo of the undo re-applies"
undo_ok "$U1" "basic: the first undo file again"
same_content D0 "basic: ... restores the directory again"

# ----------------------------------------------------- modes under umask 000
MS=$T/modes/a/b
(umask 000 && exec timeout 60 "$CERTBULK" "${LDAPS[@]}" --state-dir "$MS" \
	--csv "$W/basic.csv") >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "umask 000: apply"
UM=$(e2e_undo_file)
is "$(stat -c %a "$MS" 2>&1)" 700 "umask 000: state folder mode 0700"
is "$(stat -c %a "$T/modes/a" 2>&1)" 700 "umask 000: its new parent mode 0700"
is "$(stat -c %a "$UM" 2>&1)" 600 "umask 000: undo file mode 0600"
is "$(stat -c %a "$MS/lock" 2>&1)" 600 "umask 000: lock file mode 0600"
(umask 000 && exec timeout 60 "$CERTBULK" "${LDAPS[@]}" --state-dir "$MS" \
	undo "$UM") >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "umask 000: undo"
is "$(stat -c %a "$(e2e_undo_file)" 2>&1)" 600 "umask 000: the undo's undo file mode 0600"
is "$(find "$MS" -perm /077 | wc -l)" 0 "umask 000: nothing in the state folder is open to others"
same_content D0 "umask 000: undo restores the directory"
(umask 000 && exec timeout 60 "$CERTBULK" "${LDAPS[@]}" -n --output "$T/modes/p.ldif" \
	--csv "$W/basic.csv") >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "umask 000: preview to --output FILE"
is "$(stat -c %a "$T/modes/p.ldif" 2>&1)" 600 "umask 000: the preview file mode 0600"

# ----------------------------- undo after others changed the accounts meanwhile
e2e_run "${LDAPS[@]}" --state-dir "$T/st-others" --csv "$W/basic.csv"
exit_is 0 "others' changes: apply"
UO=$(e2e_undo_file)
OTHER='X509:<SKI>0102030405060708090A0B0C0D0E0F1011121314'
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\ndn: %s\nchangetype: modify\ndelete: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
	"$(cb_user_dn ap1)" "$OTHER" "$(cb_user_dn ap3)" "$(e2e_val 1103)" |
	cb_ldap ldapmodify >/dev/null
ok $? "others' changes: an admin adds a value to ap1 and removes one from ap3"
undo_ok "$UO" "others' changes: undo"
user_is ap1 "others' changes: undo keeps the value added meanwhile" "$OTHER"
user_is ap3 "others' changes: undo removes the rest of its values" 
user_is ap2 "others' changes: foreign values stay" "$FOREIGN1" "$FOREIGN2"
printf 'dn: %s\nchangetype: modify\ndelete: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
	"$(cb_user_dn ap1)" "$OTHER" | cb_ldap ldapmodify >/dev/null
same_content D0 "others' changes: undo restores the rest of the directory"

# ------------------------------------------------------------ --transaction
txn_run "${LDAPS[@]}" --state-dir "$T/st-txn" --transaction 2 --csv "$W/basic.csv"
exit_is 0 "--transaction 2"
UT=$(e2e_undo_file)
same_content F1 "--transaction 2: the same result as without"
undo_ok "$UT" "--transaction 2: undo"
same_content D0 "--transaction 2: undo restores the directory"

# ------------------------------------------------- a failing account; --strict
e2e_run "${LDAPS[@]}" --state-dir "$T/st-fail" --window 1 --csv "$W/fail.csv"
exit_is 1 "one account fails"
UF=$(e2e_undo_file)
user_is st1 "one account fails: the one before is applied" "$(e2e_val 1201)"
user_is locked1 "one account fails: the failing one is unchanged"
user_is st2 "one account fails: the next ones are applied" "$(e2e_val 1203)"
user_is st3 "one account fails: ... all of them" "$(e2e_val 1204)"
grep -Fi "$LOCKED_DN" "$T/err" | grep -iq 'insufficient access'
ok_diag $? "one account fails: the error names the account and the reason"
is "$(status_of "$UF" "$LOCKED_DN")" failed "one account fails: its undo record is marked failed"
undo_ok "$UF" "one account fails: undo"
same_content D0 "one account fails: undo restores the directory"

e2e_run "${LDAPS[@]}" --state-dir "$T/st-strict" --window 1 --strict --csv "$W/fail.csv"
exit_is 1 "--strict"
US=$(e2e_undo_file)
user_is st1 "--strict: the account before the failure is applied" "$(e2e_val 1201)"
user_is locked1 "--strict: the failing account is unchanged"
user_is st2 "--strict: stops after the first failure (next account untouched)"
user_is st3 "--strict: ... and the one after"
grep -Fi "$LOCKED_DN" "$T/err" | grep -iq 'insufficient access'
ok_diag $? "--strict: the error names the account and the reason"
undo_ok "$US" "--strict: undo"
same_content D0 "--strict: undo restores the directory"

txn_run "${LDAPS[@]}" --state-dir "$T/st-txnfail" --transaction 2 --csv "$W/fail.csv"
exit_is 1 "--transaction 2 with a failing account"
UTF=$(e2e_undo_file)
user_is st1 "--transaction 2: the failing account's group is not applied at all"
user_is locked1 "--transaction 2: the failing account is unchanged"
user_is st2 "--transaction 2: the next group is applied" "$(e2e_val 1203)"
user_is st3 "--transaction 2: ... all of it" "$(e2e_val 1204)"
grep -iq 'insufficient access' "$T/err"
ok_diag $? "--transaction 2: the error gives the server's reason"
is "$(status_of "$UTF" "$(DN st1)")" failed "--transaction 2: the aborted group's records are marked failed"
undo_ok "$UTF" "--transaction 2: undo"
same_content D0 "--transaction 2: undo restores the directory"

# ------------------------------------------------------------------- lock
LS=$T/st-lock
mkdir -p "$LS"
chmod 700 "$LS"
(exec 9>>"$LS/lock" && flock 9 && : >"$T/held" && exec sleep 60) &
HOLDER=$!
E2E_BGPIDS="$E2E_BGPIDS $HOLDER"
for ((i = 0; i < 200; i++)); do [ -e "$T/held" ] && break; sleep 0.05; done
cb_dump strict "$T/before-lock"
e2e_run "${LDAPS[@]}" --state-dir "$LS" --csv "$W/basic.csv"
exit_is 4 "state folder locked by another process"
like "$(cat "$T/err")" "$LS/lock.*(lock|holds)" "locked: the message names the lock"
is "$(nfiles "$LS")" 0 "locked: no undo file"
cb_dump strict "$T/now"
same_file "$T/now" "$T/before-lock" "locked: nothing written to the directory"
kill "$HOLDER" 2>/dev/null
wait "$HOLDER" 2>/dev/null

# two certbulk runs at once: the first holds the lock while it applies
# (held there for certain: its proxy pauses once its undo file holds 5
# records, and resumes after the second run)
e2e_proxy_start "$CB_URI_LDAPS" "$T/lpx" "$LS" 5 ||
	{ echo "Bail out! the proxy did not start"; exit 1; }
e2e_via_proxy LDAPS
e2e_bg "$T/bg.out" "$T/bg.err" "${PXARGS[@]}" --state-dir "$LS" --window 1 \
	--csv "$W/bulk.csv"
FIRST=$BGPID
e2e_proxy_wait_paused "$FIRST"
ok $? "two runs at once: the first is in the middle of its run"
e2e_run "${LDAPS[@]}" --state-dir "$LS" --csv "$W/basic.csv"
exit_is 4 "two runs at once: the second"
like "$(cat "$T/err")" "pid $FIRST" "two runs at once: the message names the holder (pid $FIRST)"
e2e_proxy_resume
e2e_wait_bg "$FIRST"
e2e_proxy_stop
is "$BGRC" 0 "two runs at once: the first completes"
[ "$BGRC" = 0 ] || diag "$(cat "$T/bg.err")"
UB=$(e2e_undo_file "$T/bg.err")
cb_dump content "$T/FB"
is "$(e2e_count_mapped)" 1100 "1100 accounts applied (window 1)"
user_is ap1 "... and the second run changed nothing"
undo_ok "$UB" "1100 accounts: undo"
same_content D0 "1100 accounts: undo restores the directory"


# ---------------------------------------------------------------- kill -9
KS=$T/st-kill
prev=0
e2e_killrun "$KS" "$W/bulk.csv" rec 0
is "$KRC" 137 "kill -9 as soon as the undo file exists: killed"
m=$(e2e_count_mapped)
diag "after kill -9 as soon as the undo file exists: $m accounts mapped"
prev=$m
# --window 1, then the default window (32 records journaled ahead of the replies)
for n in 50:1 300:1 200:32; do
	KWIN=${n#*:}
	e2e_killrun "$KS" "$W/bulk.csv" rec "${n%:*}"
	m=$(e2e_count_mapped)
	[ "$KRC" = 137 ] && [ "$m" -gt "$prev" ] && [ "$m" -lt 1100 ]
	ok $? "kill -9 after ${n%:*} undo records (--window $KWIN): the run was cut short ($prev -> $m accounts mapped)"
	prev=$m
done
KWIN=1
# at whatever point 0.1 s and 0.3 s fall (no result depends on it)
for s in 0.1 0.3; do
	e2e_killrun "$KS" "$W/bulk.csv" time $s
	m=$(e2e_count_mapped)
	diag "after kill -9 at $s s: $m accounts mapped (exit $KRC)"
done
e2e_run "${LDAPS[@]}" --state-dir "$KS" --csv "$W/bulk.csv"
exit_is 0 "after the kills, a full run"
same_content FB "after the kills: the same final state as an uninterrupted run"
e2e_undo_newest_first "$KS"
ok $? "after the kills: every undo file undoes (newest first) with exit 0"
same_content D0 "after the kills: the undo files restore the directory"

# ------------------------------------------------- server stopped mid-run
# stopped while a proxy holds the run at 100 records (certain mid-run),
# then the proxy passes on what comes: the server's close
SS=$T/st-stop
e2e_proxy_start "$CB_URI_LDAPS" "$T/spx" "$SS" 100 ||
	{ echo "Bail out! the proxy did not start"; exit 1; }
e2e_via_proxy LDAPS
e2e_bg "$T/s.out" "$T/s.err" "${PXARGS[@]}" --state-dir "$SS" --window 1 \
	--timeout 20 --csv "$W/bulk.csv"
STOPPER=$BGPID
e2e_proxy_wait_paused "$STOPPER"
ok $? "slapd stopped mid-run: the run is in its middle"
e2e_slapd_stop
e2e_proxy_resume
e2e_wait_bg "$STOPPER"
e2e_proxy_stop
RC=$BGRC
cp "$T/s.err" "$T/err"
exit_is 3 "slapd stopped mid-run"
grep -v -e '^certbulk: note: ' -e '^certbulk: warning: ' "$T/err" |
	grep -Eiq "127\\.0\\.0\\.1.*(contact|connection|server)"
ok_diag $? "slapd stopped mid-run: a clear error naming the server"
grep -q 'Success)' "$T/err"
ok $((!$?)) "slapd stopped mid-run: no stale diagnostic (\"... Success)\")"
grep -q 'connection to the directory was lost' "$T/err"
ok_diag $? "slapd stopped mid-run: the message says the connection was lost"
US=$(e2e_undo_file "$T/s.err")
e2e_slapd_restart
ok $? "slapd restarted on the same data"
m=$(e2e_count_mapped)
[ "$m" -gt 0 ] && [ "$m" -lt 1100 ]
ok $? "slapd stopped mid-run: the run was cut short ($m accounts mapped)"
# every account that got a value has a record (not failed/unsent) for it
awk '/^# certbulk-record: / { st = $5 }
	/^dn: / && st != "failed" && st != "unsent" { print tolower(substr($0, 5)) }' \
	"$US" | LC_ALL=C sort >"$T/covered"
e2e_mapped_dns >"$T/mapped"
is "$(LC_ALL=C comm -23 "$T/mapped" "$T/covered" | head -n 5)" "" \
	"slapd stopped mid-run: the undo file covers every account written"
undo_ok "$US" "slapd stopped mid-run: undo after the restart"
same_content D0 "slapd stopped mid-run: undo restores the directory"

# ------------------------------------------ two undo files in one undo call
e2e_leaf "$W/c/1109.pem" 1109
head -n 4 "$W/basic.csv" >"$W/part-a.csv"
printf 'user,certificate\nap4,c/1106.pem\nap1,c/1109.pem\n' >"$W/part-b.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st-two" --csv "$W/part-a.csv"
exit_is 0 "two runs: the first"
UA=$(e2e_undo_file)
e2e_run "${LDAPS[@]}" --state-dir "$T/st-two" --csv "$W/part-b.csv"
exit_is 0 "two runs: the second"
UB=$(e2e_undo_file)
user_is ap1 "two runs: ap1 holds the values of both" "$(e2e_val 1101)" "$(e2e_val 1109)"
e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "$UB" "$UA"
exit_is 0 "two runs: one undo of both files, newest first"
same_content D0 "two runs: undoing both restores the directory"

# ------------------------------------------- an entry deleted before the undo
cb_user_ldif slapd gone | cb_add_users -
e2e_leaf "$W/c/1301.pem" 1301
printf 'user,certificate\nap1,c/1101.pem\ngone,c/1301.pem\n' >"$W/gone.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st-gone" --csv "$W/gone.csv"
exit_is 0 "deleted entry: apply"
UG=$(e2e_undo_file)
GONE_DN=$(cb_user_dn gone)
cb_ldap ldapdelete "$GONE_DN" >/dev/null
ok $? "deleted entry: the entry is deleted"
e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "$UG"
exit_is 1 "deleted entry: undo"
grep -Fiq "$GONE_DN" "$T/err"
ok_diag $? "deleted entry: undo names the missing entry"
same_content D0 "deleted entry: the other records are undone"

diag "55-slapd-apply.t: ${SECONDS} s"
done_testing
