# 87-slapd-journal-lead.t: the undo records lead the modifies by a whole
# group (issue 13).  The next group of records is written, and its fsync
# asked for, as soon as the first modify of the group before it is sent,
# so that the fsync overlaps a whole group of modifies rather than half of
# one (a busy disk's fsync then stalled the sending).  The write-ahead rule
# itself, a record durable before its modify, is what the kill -9 tests of
# 55 and 57 check; here the order of the writes is read from the system
# calls, whatever the machine's load: with --window 1 each modify is one
# write to the LDAP socket, and each group of records one write to the
# undo file.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v strace >/dev/null 2>&1 || skip_all "strace not installed"
e2e_setup
e2e_ca
e2e_bulk_csv lead 100 310001

# (LeakSanitizer cannot run under ptrace: make asan's leak check is off here)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -y -s 0 -e trace=write,writev,sendmsg,sendto \
	-o "$T/w.trace" "$CERTBULK" "${LDAPS[@]}" --state-dir "$T/st" \
	--window 1 --csv "$W/all.csv" >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "--window 1 over 100 accounts (under strace)"
is "$(e2e_count_mapped lead)" 100 "... all 100 mapped"
UF=$(e2e_undo_file)
is "$(e2e_records "$UF")" 100 "... 100 undo records"
# the order of the writes after the undo file's first: U for the undo
# file, S for a socket (the one LDAP connection: no recheck connection
# at 1,000 accounts or fewer)
seq=$(awk '
	match($0, /(write|writev|sendmsg|sendto)\([0-9]+<[^>]*>/) {
		s = substr($0, RSTART, RLENGTH)
		if (s ~ /undo-[^>]*\.ldif>$/) { u = 1; printf "U" }
		else if (u && s ~ /<(socket|TCP|UNIX)/) printf "S"
	}' "$T/w.trace" | tr -s U)
diag "writes from the undo file's first on: $seq"
# the header, then group 1's records (32): one write, or two if the
# header was written alone
first=$(printf '%s' "$seq" | sed 's/^U//' | sed 's/U.*//' | tr -d '\n' | wc -c)
[ "$first" -ge 1 ] && [ "$first" -le 2 ]
ok $? "group 2's records are written after at most 2 modifies of group 1 ($first; at half a group it was 16)"
nmod=$(printf '%s' "$seq" | tr -cd S | wc -c)
[ "$nmod" -ge 100 ]
ok $? "... $nmod socket writes after the undo file's first (100 modifies, and the unbind)"
e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$UF"
exit_is 0 "the undo file of the run undoes it"
is "$(e2e_count_mapped lead)" 0 "... nothing mapped any more"
done_testing
