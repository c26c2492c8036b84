#!/bin/bash
# 62-samba-undo-moved.t: undo finds an account renamed or moved since the
# run by the objectGUID the undo file records (issue 8, item 16), on a
# real Samba AD DC: <GUID=...> DN, wherever the entry went in the domain.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
W=$T/w
mkdir -p "$W"
umask 077

{
	sb_user mover1
	sb_user mover2
	printf 'dn: OU=Moved,%s\nobjectClass: organizationalUnit\n\n' "$CB_BASE"
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users and an OU added"

e2e_leaf "$W/m1.pem" 6201
e2e_leaf "$W/m2.pem" 6202
printf 'user,certificate\nmover1,m1.pem\nmover2,m2.pem\n' >"$W/m.csv"
e2e_run "${LDAPS[@]}" --state-dir "$W/st1" --csv "$W/m.csv"
exit_is 0 "run: two accounts mapped"
U1=$(ls "$W"/st1/undo-*.ldif)
is "$(grep -c '^# certbulk-guid: [0-9a-f]\{32\}$' "$U1")" 2 \
	"the undo file records each account's objectGUID"

# mover1 renamed in place, mover2 moved to another OU and renamed
OLD1=$(cb_user_dn mover1)
OLD2=$(cb_user_dn mover2)
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=mover1-renamed\ndeleteoldrdn: 1\n\n' "$OLD1" |
	cb_ldap ldapmodify >/dev/null 2>"$T/modrdn1.err" || diag "$(cat "$T/modrdn1.err")"
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=mover2-moved\ndeleteoldrdn: 1\nnewsuperior: OU=Moved,%s\n\n' \
	"$OLD2" "$CB_BASE" | cb_ldap ldapmodify >/dev/null 2>"$T/modrdn2.err"
ok $? "setup: one account renamed, one moved"
[ -s "$T/modrdn2.err" ] && diag "$(cat "$T/modrdn2.err")"
is "$(cb_user_dn mover2 | tr 'A-Z' 'a-z')" "$(printf 'cn=mover2-moved,ou=moved,%s' "$CB_BASE" | tr 'A-Z' 'a-z')" \
	"mover2 is now in OU=Moved"

e2e_run "${LDAPS[@]}" --state-dir "$W/st2" undo "$U1"
exit_is 0 "undo after the rename and the move"
like "$(cat "$T/err")" "was renamed or moved since; found by its objectGUID as \"CN=mover2-moved,OU=Moved," \
	"undo says where it found the moved account"
is "$(cb_user_altsec mover1)" "" "the renamed account's value is removed"
is "$(cb_user_altsec mover2)" "" "the moved account's value is removed"

# the undo of that undo records the GUIDs too, and puts the values back
U2=$(ls "$W"/st2/undo-*.ldif)
is "$(grep -c '^# certbulk-guid: ' "$U2")" 2 "the undo's own undo file records the GUIDs"
e2e_run "${LDAPS[@]}" --state-dir "$W/st3" undo "$U2"
exit_is 0 "undo of the undo"
is "$(cb_user_altsec mover2 | e2e_norm)" "$(e2e_val 6202)" "the moved account has its value back"

# an account deleted and a new one made with the same DN: the new object
# is not the one the run changed, even if it holds the same value now
sb_user reuser >"$T/reuser.ldif"
cb_add_users "$T/reuser.ldif"
e2e_leaf "$W/r.pem" 6203
printf 'user,certificate\nreuser,r.pem\n' >"$W/r.csv"
e2e_run "${LDAPS[@]}" --state-dir "$W/st4" --csv "$W/r.csv"
exit_is 0 "run: reuser mapped"
U4=$(ls "$W"/st4/undo-*.ldif)
RDN=$(cb_user_dn reuser)
printf 'dn: %s\nchangetype: delete\n\n' "$RDN" | cb_ldap ldapmodify >/dev/null
ok $? "setup: reuser deleted"
cb_add_users "$T/reuser.ldif"
sb_add_values reuser "$(e2e_val 6203)"
ok $? "setup: a new reuser at the same DN, holding the same value"
e2e_run "${LDAPS[@]}" --state-dir "$W/st5" undo "$U4"
like "$(cat "$T/err")" "is another object now" "undo says the DN holds another object now"
is "$(cb_user_altsec reuser | e2e_norm)" "$(e2e_val 6203)" \
	"the new object at the old DN keeps its value"
done_testing
