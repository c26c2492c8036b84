# Several undo files in one call are replayed in the order given, per
# entry, and each entry gets one modify: undoing an undo and then the
# original run (newest first) must end where the directory started, even
# though both files name the same value; and so must the same files given
# oldest first.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
e2e_setup
e2e_ca
e2e_leaf "$T/a.pem" 6A01 cn=chain
e2e_user_ldif chain "CN=Users,$CB_BASE" chain \
	'altSecurityIdentities: Kerberos:chain@OTHER.REALM' | cb_add_users - >/dev/null
printf 'user,certificate\nchain,a.pem\n' >"$T/a.csv"
cb_dump content "$T/d0"

e2e_run "${LDAPS[@]}" --state-dir "$T/st1" --csv "$T/a.csv"
is "$RC" 0 "run A: exit status 0"
A=$(ls "$T"/st1/undo-*.ldif)
e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$A"
is "$RC" 0 "undo of A: exit status 0"
B=$(ls "$T"/st2/undo-*.ldif)
is "$(cb_user_altsec chain)" "Kerberos:chain@OTHER.REALM" "after undoing A: only the foreign value"

# B (undo of the undo) re-adds the value, A removes it again
e2e_run "${LDAPS[@]}" --state-dir "$T/st3" undo -n "$B" "$A"
is "$RC" 0 "preview of undo B A: exit status 0"
grep -c '^dn: ' "$T/out" >"$T/n"
is "$(cat "$T/n")" 0 "preview of undo B A: nothing to change"
e2e_run "${LDAPS[@]}" --state-dir "$T/st3" undo "$B" "$A"
is "$RC" 0 "undo B A: exit status 0"
cb_dump content "$T/d1"
same_file "$T/d1" "$T/d0" "undo B A: the directory is as it started"

# in the other order (as a glob sorts: oldest first) the files are still
# replayed newest run first, by the run time their headers record, so the
# value undone by B's run does not come back (issue 8, item 15)
e2e_run "${LDAPS[@]}" --state-dir "$T/st4" undo "$A" "$B"
is "$RC" 0 "undo A B: exit status 0"
like "$(cat "$T/err")" "newest run first, not in the order given" \
	"undo A B: says it reorders the files"
cb_dump content "$T/d2"
same_file "$T/d2" "$T/d0" "undo A B: replayed as B A, the directory is as it started"
done_testing
