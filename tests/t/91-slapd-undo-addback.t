# 91-slapd-undo-addback.t: issue 13's overlapped undo for undo files that
# add values back (src/undoflow.c), against a real slapd.  An undo of more
# than 1,000 records is read in slices while the modifies of the slices
# before go out, also when it adds values back: the holders of every value
# added back are looked up before the first modify, and a value two
# entries would get waits for the last slice.  Checked here against the
# same undo planned whole (CERTBULK_UNDO_WHOLE=1) on the same directory:
# the same directory afterwards, the same messages and exit status, for
#   - a value moved between two accounts in different slices, both orders
#     (the account it comes from held it before the undo: refused, named)
#   - a value added back that a third account holds now (refused, named)
#   - a value added to two entries in different slices (neither gets it),
#     and one of them holding it already (the other is refused)
#   - a renamed entry (found by objectGUID) and a deleted one
# and an add-back undo killed with -9 midway, run again: it ends as the
# whole plan ends, and the undo of its undo files restores the directory.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v cc >/dev/null 2>&1 || skip_all "no C compiler (cc)"
e2e_setup
W=$T/w
mkdir -p "$W"
umask 077
N=2500

e2e_gencerts "$N" "$W/data"
{
	awk -v n="$N" -v base="$CB_BASE" 'BEGIN {
		for (i = 0; i < n; i++) {
			if (i == 30)
				continue	# below, with an objectGUID
			printf "dn: CN=bench%d,CN=Users,%s\n", i, base
			printf "objectClass: top\nobjectClass: person\n"
			printf "objectClass: organizationalPerson\nobjectClass: user\n"
			printf "sn: bench%d\ncn: bench%d\nsAMAccountName: bench%d\n", i, i, i
			printf "userPrincipalName: bench%d@test.certbulk.lan\n\n", i
		}
	}'
	cb_user_ldif slapd bench30
	cb_user_ldif slapd other1
	cb_user_ldif slapd other2
} | cb_add_users -
ok $? "setup: $N accounts (bench30 with an objectGUID) and two others"

dn() { printf 'CN=%s,CN=Users,%s' "$1" "$CB_BASE"; }
ldn() { e2e_dn "$1"; }
# modify NAME add|delete VALUE: one value, with ldapmodify
modify() {
	printf 'dn: %s\nchangetype: modify\n%s: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
		"$(dn "$1")" "$2" "$3" | cb_ldap ldapmodify >/dev/null
}
# the messages of a run, without the lines that name its own files or
# times, sorted (the sliced run gives them per slice)
msgs() {
	grep -v -e 'debug:' -e 'note: undo file:' -e 'connected to' \
		-e 'audit:' -e 'permissive modify' "$1" |
		sed -E 's#[^ ]*/undo-[0-9TZ.]+\.ldif#UNDO-FILE#g' | LC_ALL=C sort
}
# has FILE TEXT DESC: FILE holds TEXT (a fixed string, any case: slapd
# gives the DNs in the case they were added)
has() {
	grep -qiF -- "$2" "$1"
	ok_diag $? "$3"
}
# the accounts (lower-case sAMAccountName) holding VALUE
holders() {
	cb_ldap ldapsearch -LLL -b "$CB_BASE" \
		"(altSecurityIdentities=$(cb_filter_escape "$1"))" sAMAccountName |
		sed -n 's/^sAMAccountName: //p' | LC_ALL=C sort | tr '\n' ' '
}

# ---------------------------------------------------- an add-back undo file
e2e_run "${LDAPS[@]}" --state-dir "$T/st1" --csv "$W/data/users.csv"
exit_is 0 "setup: $N accounts mapped"
U1=$(e2e_undo_file)
V500=$(cb_user_altsec bench500)
V2400=$(cb_user_altsec bench2400)
e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$U1"
exit_is 0 "setup: undone (values removed)"
U2=$(e2e_undo_file)
is "$(grep -c '^add: altSecurityIdentities' "$U2")" "$N" \
	"setup: the undo's undo file adds $N values back"

# values that are nobody's certificate: the directory does not care
M1='X509:<I>CN=addback test<SR>0A01'
M2='X509:<I>CN=addback test<SR>0A02'
H1='X509:<I>CN=addback test<SR>0A03'
C1='X509:<I>CN=addback test<SR>0A04'
C2='X509:<I>CN=addback test<SR>0A05'
modify bench20 add "$M1" && modify bench2496 add "$M2" &&
	modify other1 add "$H1" && modify bench24 add "$C2" &&
	modify other2 add "$V500"
ok $? "setup: values placed on bench20, bench2496, other1, bench24, other2"
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=bench30r\ndeleteoldrdn: 1\n\n' \
	"$(dn bench30)" | cb_ldap ldapmodify >/dev/null &&
	cb_ldap ldapdelete "$(dn bench40)" >/dev/null
ok $? "setup: bench30 renamed, bench40 deleted"
# the undo's own records, then by hand: M1 moved from bench20 (first
# slice) to bench997 (last), M2 from bench2496 (last) to bench21 (first);
# H1 to bench22 (other1 holds it); C1 to bench23 and bench995; C2 to
# bench24 (holds it) and bench994
H=$W/hand.ldif
{
	cat "$U2"
	rec() {
		printf 'dn: %s\nchangetype: modify\n%s: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
			"$(dn "$1")" "$2" "$3"
	}
	rec bench20 delete "$M1"
	rec bench997 add "$M1"
	rec bench2496 delete "$M2"
	rec bench21 add "$M2"
	rec bench22 add "$H1"
	rec bench23 add "$C1"
	rec bench995 add "$C1"
	rec bench24 add "$C2"
	rec bench994 add "$C2"
} >"$H"
cb_dump content "$T/d0"

# ------------------------------------------------------------- sliced
e2e_run -vv "${LDAPS[@]}" --state-dir "$T/st3" undo "$H"
exit_is 1 "sliced: the undo reports what it left out"
cp "$T/err" "$T/err.slice"
RC_SLICE=$RC
grep -q "undo: $((N + 9)) records read in 3 slices while the modifies go out" "$T/err"
ok_diag $? "sliced: $((N + 9)) records read in 3 slices while the modifies go out"
grep -q "undo: $((N + 5)) values added back checked for other holders before the first modify (5 held); 2 may go to more than one entry" "$T/err"
ok_diag $? "sliced: the holders of $((N + 5)) values looked up first; 2 values contested"
U3=$(e2e_undo_file)
cb_dump content "$T/dslice"

is "$(holders "$M1")" "" "move bench20 -> bench997: bench20's copy removed, bench997 refused"
has "$T/err" "\"$(ldn bench997)\": undo would add $M1, but \"$(ldn bench20)\" holds it" \
	"move bench20 -> bench997: the holder before the undo is named"
is "$(holders "$M2")" "" "move bench2496 -> bench21: removed, and refused"
has "$T/err" "\"$(ldn bench21)\": undo would add $M2, but \"$(ldn bench2496)\" holds it" \
	"move bench2496 -> bench21: the holder before the undo is named"
is "$(holders "$H1")" "other1 " "a third account's value stays there only"
has "$T/err" "\"$(ldn bench22)\": undo would add $H1, but \"$(e2e_dn other1)\" holds it" \
	"the third account is named"
is "$(holders "$V500")" "other2 " "bench500's value, now other2's, is not added back"
is "$(holders "$C1")" "" "a value for two entries in different slices: neither gets it"
has "$T/err" "the undo would add $C1 to both; added to neither" \
	"... both named"
is "$(holders "$C2")" "bench24 " "one of the two held it already: the other is refused"
is "$(cb_user_altsec bench30 | wc -l)" 1 "the renamed entry got its value back"
has "$T/err" "found by its objectGUID as \"$(e2e_dn bench30r)\"" \
	"the renamed entry is found by its objectGUID"
has "$T/err" "\"$(ldn bench40)\": no such entry any more" \
	"the deleted entry is named"
n=$(cb_ldap ldapsearch -LLL -E pr=500/noprompt -b "$CB_BASE" \
	'(&(sAMAccountName=bench*)(altSecurityIdentities=*))' 1.1 | grep -c '^dn:')
is "$n" "$((N - 2))" "every other account has its value back"
[ "$n" = "$((N - 2))" ] || diag "$(grep -i -e error -e note "$T/err" | head -50)"

# the undo of the sliced undo restores the directory as it was before
e2e_run "${LDAPS[@]}" --state-dir "$T/st4" undo "$U3"
exit_is 0 "the undo of the sliced undo"
cb_dump content "$T/d1"
same_file "$T/d1" "$T/d0" "... restores the directory byte for byte"

# -------------------------------------------------------------- whole
CERTBULK_UNDO_WHOLE=1 e2e_run -vv "${LDAPS[@]}" --state-dir "$T/st5" undo "$H"
is "$RC" "$RC_SLICE" "whole: the same exit status"
! grep -q "slices" "$T/err"
ok $? "whole: CERTBULK_UNDO_WHOLE=1 plans it whole"
cp "$T/err" "$T/err.whole"
U5=$(e2e_undo_file)
cb_dump content "$T/dwhole"
same_file "$T/dwhole" "$T/dslice" "whole and sliced leave the directory the same"
msgs "$T/err.whole" >"$T/m.whole"
msgs "$T/err.slice" >"$T/m.slice"
same_file "$T/m.slice" "$T/m.whole" "whole and sliced give the same messages"
has "$T/m.slice" "undo done: $((N - 2)) accounts changed ($((N - 2)) values added, 2 removed), 0 failed, 1 undo records skipped: their entries no longer exist, 7 values not added back: another account holds them" \
	"... among them the summary"
c=$(grep -c . "$T/m.whole")
ok $((!(c >= 10))) "whole and sliced: $c messages compared (at least 10)"
e2e_run "${LDAPS[@]}" --state-dir "$T/st6" undo "$U5"
exit_is 0 "the undo of the whole undo"
cb_dump content "$T/d2"
same_file "$T/d2" "$T/d0" "... restores the directory byte for byte"

# ------------------------------------------ killed with -9, run again
# the whole plan's result first, for the end state
CERTBULK_UNDO_WHOLE=1 e2e_run "${LDAPS[@]}" --state-dir "$T/st7" undo "$U2"
exit_is 1 "whole: the plain add-back undo (bench40 gone, bench500's value on other2)"
cb_dump content "$T/dU2"
e2e_run "${LDAPS[@]}" --state-dir "$T/st7" undo "$(e2e_undo_file)"
exit_is 0 "... and its undo"
cb_dump content "$T/d3"
same_file "$T/d3" "$T/d0" "... restores the directory"

e2e_undo_paused k "$T/stK" "$U2"
ok $? "kill: the add-back undo paused with its own undo file started"
grep -q "undo: $N records read in 3 slices while the modifies go out" "$T/k.err"
ok_diag $? "kill: it is read in slices"
kill -9 "$BGPID"
e2e_wait_bg "$BGPID"
is "$BGRC" 137 "kill: killed with -9"
e2e_proxy_stop
n=$(cb_ldap ldapsearch -LLL -E pr=500/noprompt -b "$CB_BASE" \
	'(&(sAMAccountName=bench*)(altSecurityIdentities=*))' 1.1 | grep -c '^dn:')
ok $((!(n < N - 2))) "kill: stopped midway ($n accounts of $((N - 2)) hold a value)"
e2e_run -vv "${LDAPS[@]}" --state-dir "$T/stK" undo "$U2"
exit_is 1 "kill: run again (bench40 gone, bench500's value on other2)"
grep -q "undo: $N records read in 3 slices" "$T/err"
ok_diag $? "kill: ... read in slices again"
cb_dump content "$T/dK"
same_file "$T/dK" "$T/dU2" "kill: run again, it ends as the whole undo does"
e2e_undo_newest_first "$T/stK"
ok $? "kill: the undo files of both runs, newest first"
cb_dump content "$T/d4"
same_file "$T/d4" "$T/d0" "kill: ... restore the directory byte for byte"

# --------------------------- a value given to another account meanwhile
# the undo's check of holders is made before its first modify: a value
# another account gets while the undo runs is found by the recheck after
# the run (in slices of 1,000 values: bench2400's is in the third)
e2e_undo_paused r "$T/stR" "$U2"
ok $? "race: the add-back undo paused with its own undo file started"
modify other1 add "$V2400"
ok $? "race: meanwhile bench2400's value is given to other1"
e2e_proxy_resume
e2e_wait_bg "$BGPID"
is "$BGRC" 1 "race: the undo reports a problem"
cp "$T/r.err" "$T/err"
e2e_proxy_stop
grep -q "undo: $N records read in 3 slices" "$T/err"
ok_diag $? "race: the undo was read in slices"
n=$(grep -ic "\"cn=bench2400,.*added by this run, is now on \"cn=other1," "$T/err")
is "$n" 1 "race: bench2400's value on other1 reported once, by the recheck after the run"
is "$(holders "$V2400")" "bench2400 other1 " "race: without --strict both keep it"

done_testing
