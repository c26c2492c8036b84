#!/bin/bash
# 72-samba-apply-plan.t: reviewed plans on a real Samba AD DC.  A preview
# written with --output is a plan; "certbulk apply PLAN" applies exactly
# its values (nothing else, even when the inputs changed meanwhile), each
# only while its preconditions hold: the value on no other account, the
# account the same object (objectGUID; deleted and made again with the
# same DN is another object), the certificate not expired.  A plan edited
# after it was made, made for another domain, older than --max-age, not
# a plan, or in a file others may write, is refused whole (exit 5).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
W=$T/w
mkdir -p "$W"
umask 077

{
	for u in pa1 pa2 pa3 pa4 pa5 pa6 other; do sb_user "$u"; done
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
for s in 7201 7202 7203 7204 7205 7206; do e2e_leaf "$W/$s.pem" $s; done
cat >"$W/plan.csv" <<'EOF2'
user,certificate
pa1,7201.pem
pa2,7202.pem
pa3,7203.pem
pa4,7204.pem
EOF2

# ----------------------------------------------------------------- the plan
e2e_run "${LDAPS[@]}" -n --output "$W/p1.ldif" --csv "$W/plan.csv"
exit_is 0 "preview written as a plan"
is "$(stat -c %a "$W/p1.ldif")" 600 "the plan is mode 0600"
like "$(head -n 1 "$W/p1.ldif")" '^# certbulk-plan: 1 sha256=[0-9a-f]{64}$' "first line: the seal"
is "$(tail -n +2 "$W/p1.ldif" | sha256sum | cut -d' ' -f1)" \
	"$(head -n 1 "$W/p1.ldif" | sed 's/.*sha256=//')" "the seal is the SHA-256 of the rest"
like "$(grep '^# certbulk-plan-input: ' "$W/p1.ldif")" \
	"^# certbulk-plan-input: csv sha256=$(sha256sum <"$W/plan.csv" | cut -d' ' -f1) $W/plan.csv\$" \
	"the input's fingerprint: SHA-256 of the CSV"
like "$(grep -c '^# certbulk-plan-made: [0-9]*$' "$W/p1.ldif")" '^1$' "the time it was made"
is "$(grep -c '^# certbulk-guid: [0-9a-f]\{32\}$' "$W/p1.ldif")" 4 "each account's objectGUID"
is "$(grep -c '^# certbulk-value: 0 sha1=[0-9A-Fa-f]\{40\} not-before=[0-9]* not-after=[0-9]*$' "$W/p1.ldif")" 4 \
	"each value's certificate thumbprint and validity"
is "$(cb_user_altsec pa1)" "" "the preview changed nothing"

# ldapmodify still takes the plan as LDIF (the comments are comments)
ldapmodify -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -n -f "$W/p1.ldif" >/dev/null 2>"$T/lm.err"
ok $? "ldapmodify -n reads the plan"

# ------------------------------------- meanwhile: inputs and directory change
echo 'pa5,7205.pem' >>"$W/plan.csv"
sb_add_values other "$(e2e_val 7202)"
ok $? "setup: pa2's value added to another account"
P3=$(cb_user_dn pa3)
printf 'dn: %s\nchangetype: delete\n\n' "$P3" | cb_ldap ldapmodify >/dev/null
ok $? "setup: pa3 deleted"
sb_user pa3 | cb_add_users -
ok $? "setup: a new pa3 at the same DN (a new objectGUID)"

e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$W/p1.ldif" --report "$W/r1.csv"
exit_is 1 "apply: two values refused, two applied"
is "$(cb_user_altsec pa1 | e2e_norm)" "$(e2e_val 7201)" "pa1: its planned value"
is "$(cb_user_altsec pa4 | e2e_norm)" "$(e2e_val 7204)" "pa4: its planned value"
is "$(cb_user_altsec pa5)" "" "pa5 (added to the CSV after the review): nothing"
is "$(cb_user_altsec pa2)" "" "pa2: not added (another account holds it)"
is "$(cb_user_altsec pa3)" "" "the new pa3: not touched"
like "$(cat "$T/err")" "is now on \"CN=other," "the other holder is named"
like "$(cat "$T/err")" "another object now \\(objectGUID" "the replaced account is named"
like "$(cat "$T/err")" "plan.csv changed since the plan was made" "the changed input is noted"
like "$(grep -i 'cn=pa1,' "$W/r1.csv")" ',mapped,' "report: pa1 mapped"
like "$(grep -i 'cn=pa2,' "$W/r1.csv")" ',refused,duplicate-holder,' "report: pa2 duplicate-holder"
like "$(grep -i 'cn=pa3,' "$W/r1.csv")" ',refused,account-changed,' "report: pa3 account-changed"
like "$(grep -i 'cn=pa4,' "$W/r1.csv")" ',mapped,' "report: pa4 mapped"
U=$(e2e_undo_file)
[ -n "$U" ] && [ -f "$U" ]
ok $? "apply wrote an undo file ahead"

# applied again: nothing left to do
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$W/p1.ldif" --report "$W/r2.csv"
exit_is 1 "apply again: the refused ones still refused"
like "$(grep -i 'cn=pa1,' "$W/r2.csv")" ',already-mapped,' "report: pa1 already mapped"

# --------------------------------------------------------- a fresh plan
printf 'user,certificate\npa5,7205.pem\n' >"$W/p5.csv"
e2e_run "${LDAPS[@]}" -n --output "$W/p5.ldif" --csv "$W/p5.csv"
exit_is 0 "a second plan"

# edited: one byte of a value
sed 's/^\(altSecurityIdentities: .*<SR>\)\(.\)/\1F/' "$W/p5.ldif" >"$W/edited.ldif"
chmod 600 "$W/edited.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$W/edited.ldif"
exit_is 5 "an edited plan"
like "$(cat "$T/err")" "changed after it was made" "says the plan was changed"
is "$(cb_user_altsec pa5)" "" "the edited plan wrote nothing"

# foreign: made for another domain, sealed again
{
	tail -n +2 "$W/p5.ldif" | sed 's/^# certbulk-plan-domain: .*/# certbulk-plan-domain: DC=other,DC=lan/' >"$T/body"
	printf '# certbulk-plan: 1 sha256=%s\n' "$(sha256sum <"$T/body" | cut -d' ' -f1)"
	cat "$T/body"
} >"$W/foreign.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$W/foreign.ldif"
exit_is 5 "a plan for another domain"
like "$(cat "$T/err")" "made for the domain DC=other,DC=lan" "names both domains"

# not a plan: an undo file
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$U"
exit_is 5 "an undo file is not a plan"
like "$(cat "$T/err")" "not a plan written by certbulk" "says so"

# writable by others
cp "$W/p5.ldif" "$W/loose.ldif"
chmod 666 "$W/loose.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$W/loose.ldif"
exit_is 5 "a plan others may write"

# too old
sleep 2
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply --max-age 1s "$W/p5.ldif"
exit_is 5 "a plan older than --max-age"
like "$(cat "$T/err")" "older than --max-age" "says why"
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply --max-age soon "$W/p5.ldif"
exit_is 2 "--max-age not a duration"
is "$(cb_user_altsec pa5)" "" "nothing written by the refused plans"

# apply -n: what applying would do now; then the real apply
e2e_run "${LDAPS[@]}" --state-dir "$W/st" -n apply "$W/p5.ldif"
exit_is 0 "apply -n"
is "$(e2e_ldif_pairs "$T/out" | cut -f1,2)" "$(printf '%s\tadd' "$(sb_dn pa5)")" "apply -n: pa5's add"
is "$(cb_user_altsec pa5)" "" "apply -n changed nothing"
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply --max-age 1h --output "$W/applied.ldif" \
	--report "$W/r5.json" --report-format json "$W/p5.ldif"
exit_is 0 "apply of an unchanged plan"
is "$(cb_user_altsec pa5 | e2e_norm)" "$(e2e_val 7205)" "pa5: its planned value"
is "$(e2e_ldif_pairs "$W/applied.ldif" | cut -f1,2)" "$(printf '%s\tadd' "$(sb_dn pa5)")" \
	"--output: what was applied"
perl -MJSON::PP -e 'local $/; my $d = JSON::PP->new->decode(<STDIN>);
	print scalar(@$d), " $d->[0]{outcome} ", length($d->[0]{certificate}), "\n"' <"$W/r5.json" >"$T/j" 2>&1
is "$(cat "$T/j")" "1 mapped 40" "JSON report: one value, mapped, its thumbprint"

# an expired certificate in a plan: refused at apply time
e2e_leaf "$W/7206.pem" 7206 days=1
printf 'user,certificate\npa6,7206.pem\n' >"$W/p6.csv"
e2e_run "${LDAPS[@]}" -n --output "$W/p6.ldif" --csv "$W/p6.csv"
exit_is 0 "a plan with a certificate valid one more day"
# the certificate's end, one day ahead: move it into the past, sealed again
NA=$(sed -n 's/.*not-after=\([0-9]*\)$/\1/p' "$W/p6.ldif")
{
	tail -n +2 "$W/p6.ldif" | sed "s/not-after=$NA\$/not-after=$((NA - 2 * 86400))/" >"$T/body6"
	printf '# certbulk-plan: 1 sha256=%s\n' "$(sha256sum <"$T/body6" | cut -d' ' -f1)"
	cat "$T/body6"
} >"$W/p6x.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/st" apply "$W/p6x.ldif" --report "$W/r6.csv"
exit_is 1 "a plan whose certificate has expired since"
like "$(cat "$W/r6.csv")" ',refused,expired,' "report: expired"
is "$(cb_user_altsec pa6)" "" "nothing added for the expired certificate"
done_testing
