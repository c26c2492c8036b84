# Several undo files in one call are replayed in the order given, per
# entry, and each entry gets one modify: undoing an undo and then the
# original run (newest first) must end where the directory started, even
# though both files name the same value.
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

# in the other order the value comes back: A first (nothing to remove),
# then B adds it
e2e_run "${LDAPS[@]}" --state-dir "$T/st4" undo "$A" "$B"
is "$RC" 0 "undo A B: exit status 0"
is "$(cb_user_altsec chain | e2e_norm | grep -c '^X509:')" 1 \
	"undo A B: the value is back, once"
done_testing
