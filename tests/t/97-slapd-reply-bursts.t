# 97-slapd-reply-bursts.t: with a window of modifies in flight and the
# server the slower end, certbulk takes the replies in bursts (issue 13,
# src/apply.c apply_next_reply): it sleeps while about an eighth of the
# window's replies come in, takes them all, and refills the window with
# one write, instead of a poll(2), read(2) and write(2) for each reply.
# Checked: -vv reports the bursts, the socket's system calls stay well
# under one per reply (counted under strace), and the outcome is checked too (all mapped, the undo file
# undoes all), and --window 8, which takes replies one by one, as before.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v strace >/dev/null 2>&1 || skip_all "strace not installed"
command -v cc >/dev/null 2>&1 || skip_all "no C compiler (cc)"
e2e_setup
W=$T/w
mkdir -p "$W"
N=2000

e2e_gencerts "$N" "$W/data"
e2e_bench_ldif "$N" | cb_add_users -
ok $? "setup: $N accounts"

# mapped: how many bench accounts hold a value
mapped() {
	cb_ldap ldapsearch -LLL -E pr=500/noprompt -b "$CB_BASE" \
		"(&(sAMAccountName=bench*)(altSecurityIdentities=*))" 1.1 |
		grep -c '^dn: '
}

# socket_calls TRACE: "READS POLLS WRITES" on sockets from the undo file's
# first write on (the modifies; the recheck's connection included)
socket_calls() {
	awk '
	match($0, /(read|write|writev|sendmsg|sendto|recvfrom|recvmsg|poll)\([^)]*/) {
		s = substr($0, RSTART, RLENGTH)
		if (s ~ /^write\([0-9]+<[^>]*undo-[^>]*\.ldif>/) u = 1
		else if (!u) next
		else if (s ~ /^poll\(/) p++
		else if (s ~ /^[a-z]+\([0-9]+<(socket|TCP|UNIX)/) {
			if (s ~ /^(read|recv)/) { if ($0 !~ /EAGAIN/) r++ }
			else w++
		}
	}
	END { printf "%d %d %d\n", r, p, w }' "$1"
}

# (LeakSanitizer cannot run under ptrace: make asan's leak check is off here)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -y -s 0 -e trace=read,write,writev,sendmsg,sendto,recvfrom,recvmsg,poll \
	-o "$T/w.trace" "$CERTBULK" "${LDAPS[@]}" --state-dir "$T/st" -vv \
	--csv "$W/data/users.csv" >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "$N accounts at the default window (128), under strace"
is "$(mapped)" "$N" "... all $N mapped"
UF=$(e2e_undo_file)
is "$(e2e_records "$UF")" "$N" "... $N undo records"
read -r nr np nw <<<"$(socket_calls "$T/w.trace")"
diag "socket reads $nr, polls $np, writes $nw for $N modifies and their replies"
# One by one: a read and a poll per reply when the server is the slower
# end (about 2,000).  strace slows certbulk's every system call, so that
# replies pile up by themselves and one by one gives 550-900 here, in
# bursts 170-490: the bound catches a return to a read per reply; the
# bursts themselves are what -vv reports.
[ "$nr" -ge 1 ] && [ "$nr" -le $((N / 2)) ]
ok $? "replies come in with at most $((N / 2)) reads ($nr; one a reply is about $N)"
[ "$np" -le $((N / 2)) ]
ok $? "... and at most $((N / 2)) polls ($np)"
[ "$nw" -ge 1 ] && [ "$nw" -le $((N / 2)) ]
ok $? "the modifies go out in at most $((N / 2)) writes ($nw)"
# Where certbulk is the slower end (as under AddressSanitizer), replies
# pile up by themselves, it never finds the socket empty and has no
# reason to sleep: then they must have come in at most N/8 reads.
if grep -q "debug: modify replies taken in bursts: [1-9][0-9]* sleeps while bursts of 16 came in" "$T/err"; then
	ok 0 "-vv says the replies were taken in bursts of 16"
else
	[ "$nr" -le $((N / 8)) ]
	ok_diag $? "no sleep needed: the replies came in bursts by themselves ($nr reads)"
fi
e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$UF"
exit_is 0 "the undo file of the run undoes it"
is "$(mapped)" 0 "... nothing mapped any more"

# a narrow window takes each reply as it comes, as before
e2e_run "${LDAPS[@]}" --state-dir "$T/st3" --window 8 -vv --csv "$W/data/users.csv"
exit_is 0 "--window 8"
is "$(mapped)" "$N" "... all $N mapped"
! grep -q "taken in bursts" "$T/err"
ok $? "... replies taken one by one (no bursts below a window of 16)"
UF=$(e2e_undo_file)
e2e_run "${LDAPS[@]}" --state-dir "$T/st4" undo "$UF"
exit_is 0 "its undo file undoes it"
is "$(mapped)" 0 "... nothing mapped any more"
done_testing
