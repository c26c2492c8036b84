# One value wanted for several accounts in one run: every row that wants
# it is refused with one message of its own, not one message per pair of
# rows (X509Issuer is the same for every certificate of a CA: a batch of
# N rows asking for it printed N * (N - 1) / 2 lines).  Two rows keep the
# message naming both; rows of one account are not a conflict.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
e2e_setup
e2e_ca
N=40
{
	for ((i = 0; i < N; i++)); do
		e2e_user_ldif "dup$i" "CN=Users,$CB_BASE" "dup$i"
	done
	e2e_user_ldif pair1 "CN=Users,$CB_BASE" pair1
	e2e_user_ldif pair2 "CN=Users,$CB_BASE" pair2
	e2e_user_ldif solo "CN=Users,$CB_BASE" solo
} | cb_add_users - >/dev/null
printf 'user,certificate\n' >"$T/all.csv"
for ((i = 0; i < N; i++)); do
	e2e_leaf "$T/d$i.pem" "$(printf '9%03X' "$i")" "cn=dup$i"
	printf 'dup%d,d%d.pem\n' "$i" "$i" >>"$T/all.csv"
done
e2e_run "${LDAPS[@]}" --state-dir "$T/st" -n \
	--type X509IssuerSerialNumber,X509Issuer --csv "$T/all.csv"
exit_is 1 "every row refused"
is "$(grep -c 'other rows of this run' "$T/err")" "$N" \
	"one message per row, not one per pair"
is "$(grep -c 'wanted for' "$T/err")" "$N" "no pairwise message besides"
for i in 0 17 $((N - 1)); do
	grep "all.csv:$((i + 2)): " "$T/err" | grep -Fi "CN=dup$i,CN=Users" |
		grep -q "$((N - 1)) other rows"
	ok_diag $? "row $((i + 2)) is named with its own account and the count of the others"
done
grep -qi '^altSecurityIdentities' "$T/out"
ok $((!$?)) "no value is planned"

# two rows: one message naming both; two rows of one account: none
e2e_leaf "$T/p.pem" A001 cn=pair
e2e_leaf "$T/s.pem" A002 cn=solo
printf 'user,certificate\npair1,p.pem\npair2,p.pem\nsolo,s.pem\nsolo,s.pem\n' >"$T/pair.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" -n --csv "$T/pair.csv"
exit_is 1 "the pair refused"
is "$(grep -c 'wanted for' "$T/err")" 1 "one message for the pair"
grep -F "pair.csv:2 and $T/pair.csv:3: " "$T/err" | grep -Fi "CN=pair1,CN=Users" |
	grep -Fiq "CN=pair2,CN=Users"
ok_diag $? "it names both rows and both accounts"
grep -Fiq "CN=solo,CN=Users" "$T/out"
ok_diag $? "two rows of one account are planned, not refused"
done_testing
