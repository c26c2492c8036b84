# 86-slapd-recheck-overlap.t: issue 13's overlap of the duplicate recheck
# with the modifies, against a real slapd.  A run of more than 1,000
# accounts rechecks the values it added on a second connection while its
# modifies are still going out (src/recheck.c); what is left at the end is
# rechecked after the run as before.  Checked here: a value another run
# gives to a second account while this run is paused (pauseproxy.pl, once
# the undo file holds records) is reported once, whichever side found it;
# the -vv line shows that accounts were rechecked during the run; --strict
# still removes this run's copy.  And the undo of those accounts (values
# removed only), whose entries are read in slices while its modifies go
# out (src/undoflow.c): killed with -9 midway and run again, it restores
# the directory byte for byte.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v cc >/dev/null 2>&1 || skip_all "no C compiler (cc)"
e2e_setup
W=$T/w
mkdir -p "$W"
N=1500

e2e_gencerts "$N" "$W/data"
{
	e2e_bench_ldif "$N"
	cb_user_ldif slapd other1
	cb_user_ldif slapd other2
} | cb_add_users -
ok $? "setup: $N accounts and two others"

# the value of bench I's certificate, as certbulk writes it
val() { cb_user_altsec "$1"; }

# race B-OPTION...: run B over all N rows through the proxy, paused once
# its undo file holds 40 records; meanwhile run A (directly) maps the
# certificates of $R1 and $R2 to other1 and other2; then B goes on.
race() {
	printf 'user,certificate\nother1,certs/%s.cer\nother2,certs/%s.cer\n' \
		"$R1" "$R2" >"$W/data/a.csv"
	rm -rf "$T/stB"
	mkdir -p "$T/stB"
	e2e_proxy_start "$CB_URI_LDAPS" "$T/px" "$T/stB" 40
	e2e_bg "$T/b.out" "$T/b.err" -vv -H "$PXURI" -x -D "$CB_BIND_DN" \
		-y "$CB_PWFILE" -b "$CB_BASE" --state-dir "$T/stB" "$@" \
		--csv "$W/data/users.csv"
	BPID=$BGPID
	e2e_proxy_wait_paused "$BPID"
	ok $? "race $*: run B paused with its undo file started"
	is "$(cb_user_altsec "$R1")$(cb_user_altsec "$R2")" "" \
		"race $*: $R1 and $R2 not written yet by B"
	e2e_run "${LDAPS[@]}" --state-dir "$T/stA-$R1" --trust-csv --csv "$W/data/a.csv"
	ok_diag $RC "race $*: run A maps the two certificates to other1, other2"
	AUNDO=$(e2e_undo_file)
	e2e_proxy_resume
	e2e_wait_bg "$BPID"
	RC=$BGRC
	cp "$T/b.err" "$T/err"
	e2e_proxy_stop
}

cb_dump content "$T/dump0"
R1=bench500 R2=bench1450
race
exit_is 1 "race: run B reports a problem"
for p in "bench500:other1" "bench1450:other2"; do
	n=$(grep -ic "cn=${p%%:*},.*added by this run, is now on \"cn=${p##*:}," "$T/err")
	is "$n" 1 "race: ${p%%:*}'s value on ${p##*:} reported once"
done
grep -q '2 values added by this run are on two accounts$' "$T/err"
ok_diag $? "race: counted once each"
c=$(sed -n 's/.*recheck: \([0-9]*\) of '"$N"' accounts rechecked while the modifies went out.*/\1/p' "$T/err")
ok $((!(${c:-0} >= 1000))) "race: ${c:-no} accounts rechecked while the modifies went out (at least 1000)"
is "$(val bench500)" "$(val other1)" "race: without --strict bench500 keeps the value"
BUNDO=$(e2e_undo_file)
# B's undo removes values only: its entries are read in slices while the
# modifies go out (src/undoflow.c).  Killed with -9 while paused once its
# own undo file holds records, then run again: it converges.
e2e_undo_paused k "$T/stK" "$BUNDO"
ok $? "undo: paused with its own undo file started"
grep -q "undo: $N records read in 2 slices while the modifies go out" "$T/k.err"
ok $? "undo: $N records read in 2 slices while the modifies go out"
kill -9 "$BGPID"
e2e_wait_bg "$BGPID"
is "$BGRC" 137 "undo: killed with -9"
e2e_proxy_stop
e2e_run -vv "${LDAPS[@]}" --state-dir "$T/stU" undo "$BUNDO"
exit_is 0 "race: B's undo of $N accounts, run again after the kill"
grep -q "undo: $N records read in 2 slices" "$T/err"
ok_diag $? "race: ... read in slices again"
e2e_run "${LDAPS[@]}" --state-dir "$T/stU" undo "$AUNDO"
exit_is 0 "race: A's undo"
cb_dump content "$T/dump1"
same_file "$T/dump1" "$T/dump0" "race: both undone, the directory is as before, byte for byte"

R1=bench600 R2=bench1400
race --strict
exit_is 1 "race --strict: run B reports a problem"
grep -q 'removed again' "$T/err"
ok_diag $? "race --strict: and removes its own copies"
is "$(cb_user_altsec bench600)$(cb_user_altsec bench1400)" "" \
	"race --strict: bench600 and bench1400 do not hold the values any more"
is "$(cb_user_altsec other1 | wc -l)$(cb_user_altsec other2 | wc -l)" 11 \
	"race --strict: run A's accounts keep theirs"
is "$(cb_user_altsec bench601 | wc -l)" 1 "race --strict: the other accounts are mapped"

done_testing
