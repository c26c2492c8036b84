# 89-slapd-holders.t: a duplicate check reads of each account holding a
# value only its DN and its altSecurityIdentities (issue 13), not the
# eleven attributes of an account lookup: a re-run, and the recheck after
# an apply, find every account of the batch holding its values.  Read
# from slapd's own log of the searches (loglevel stats), whatever the
# machine's load; the rule itself (a value on another account is not
# mapped, naming that account) is checked through a re-run and a clash.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
export CB_SLAPD_DEBUG=stats
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W"
e2e_bulk_ldif hold 20 - | cb_add_users - >/dev/null
ok $? "setup: 20 users"
e2e_bulk_certs "$W/c" 20 330001 ||
	{ echo "Bail out! openssl ca failed"; exit 1; }
{
	echo user,certificate
	for ((i = 1; i <= 20; i++)); do
		printf 'hold%04d,c/%X.pem\n' "$i" $((0x330000 + i))
	done
} >"$W/all.csv"
LOG=$SD/slapd.log

# the attribute lists of the searches whose filter names values, from
# line N of the log on: "SRCH attr=..." follows its "SRCH base=" line
value_attrs() {
	tail -n +"$1" "$LOG" | awk '
		match($0, /conn=[0-9]+ op=[0-9]+ /) { c = substr($0, RSTART, RLENGTH) }
		/ SRCH base=/ { v[c] = (tolower($0) ~ /filter="\(\|\(altsecurityidentities=/) }
		/ SRCH attr=/ { if (v[c]) { sub(/.* SRCH attr=/, ""); print } v[c] = 0 }'
}

from=$(($(wc -l <"$LOG") + 1))
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --csv "$W/all.csv"
exit_is 0 "20 accounts mapped"
is "$(e2e_count_mapped hold)" 20 "... all 20"
UF=$(e2e_undo_file)

# a re-run: each value is found on its own account, which is no clash
from=$(($(wc -l <"$LOG") + 1))
e2e_run "${LDAPS[@]}" --state-dir "$T/st" -n --csv "$W/all.csv"
exit_is 0 "the re-run"
grep -q "is already on" "$T/err"
ok $((! $?)) "... finds no value on another account"
attrs=$(value_attrs "$from" | sort -u)
diag "the value searches read: $attrs"
[ -n "$attrs" ]
ok $? "... searched for the values"
is "$attrs" "altSecurityIdentities" "... reading only altSecurityIdentities of their holders"

# a clash: hold0001's certificate wanted for hold0002 too
printf 'user,certificate\nhold0002,c/%X.pem\n' $((0x330001)) >"$W/clash.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st3" --csv "$W/clash.csv"
exit_is 1 "the same certificate for another account"
like "$(cat "$T/err")" 'is already on "cn=hold0001,cn=Users,' "... is refused, naming the account holding it"
is "$(cb_user_altsec hold0002 | grep -ci 'sr>010033$')" 0 "... and not mapped to it"

e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$UF"
exit_is 0 "the undo file undoes the first run"
is "$(e2e_count_mapped hold)" 0 "... nothing mapped any more"
done_testing
