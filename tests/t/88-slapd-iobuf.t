# 88-slapd-iobuf.t: an LDAP connection's replies are read, and its
# requests sent, in bursts (src/dir_iobuf.c, issue 13).  Without the
# buffers libldap reads each reply with two read(2) calls (a TLS record's
# header, then its body) and writes each modify with a write(2) of its
# own; with them a window of modifies goes out in a few writes and a
# burst of replies comes in with one read.  Counted from the system
# calls, whatever the machine's load: the buffers change how the bytes
# are grouped, so the outcome (all mapped, the undo file undoing all) is
# checked too, over LDAPS and over StartTLS (the layer goes under TLS
# either way).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v strace >/dev/null 2>&1 || skip_all "strace not installed"
e2e_setup
e2e_ca
e2e_bulk_csv burst 100 320001

# (LeakSanitizer cannot run under ptrace: make asan's leak check is off here)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -y -s 0 -e trace=read,write,writev,sendmsg,sendto,recvfrom,recvmsg \
	-o "$T/w.trace" "$CERTBULK" "${LDAPS[@]}" --state-dir "$T/st" \
	--csv "$W/all.csv" >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "100 accounts at the default window (under strace)"
is "$(e2e_count_mapped burst)" 100 "... all 100 mapped"
UF=$(e2e_undo_file)
is "$(e2e_records "$UF")" 100 "... 100 undo records"
# the socket's reads and writes from the undo file's first write on: the
# 100 modifies and their replies (one LDAP connection: no recheck
# connection at 1,000 accounts or fewer), then the unbind
counts=$(awk '
	match($0, /(read|write|writev|sendmsg|sendto|recvfrom|recvmsg)\([0-9]+<[^>]*>/) {
		s = substr($0, RSTART, RLENGTH)
		if (s ~ /undo-[^>]*\.ldif>$/) u = 1
		else if (u && s ~ /<(socket|TCP|UNIX)/) {
			if (s ~ /^(read|recv)/) { if ($0 !~ /EAGAIN/) r++ }
			else w++
		}
	}
	END { printf "%d %d\n", r, w }' "$T/w.trace")
read -r nr nw <<<"$counts"
diag "socket reads $nr, writes $nw for 100 modifies and their replies"
# one write per modify without the buffers (at least 100); with them the
# modifies sent before the first reply is awaited go out together
[ "$nw" -ge 1 ] && [ "$nw" -le 50 ]
ok $? "the 100 modifies go out in at most 50 writes ($nw; a write each was 100 or more)"
# two reads per reply without the buffers (at least 200); with them
# about one per reply when the server answers them one by one (a loaded
# machine: 109 seen), and far fewer when replies come in together
[ "$nr" -ge 1 ] && [ "$nr" -le 150 ]
ok $? "their replies come in with at most 150 reads ($nr; two a reply was 200 or more)"
e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$UF"
exit_is 0 "the undo file of the run undoes it"
is "$(e2e_count_mapped burst)" 0 "... nothing mapped any more"

# StartTLS: the buffers go under the TLS layer started on the connection
e2e_run -H "$CB_URI" -ZZ -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" \
	--state-dir "$T/st3" --csv "$W/all.csv"
exit_is 0 "the same run over StartTLS (-ZZ)"
is "$(e2e_count_mapped burst)" 100 "... all 100 mapped"
UF=$(e2e_undo_file)
e2e_run -H "$CB_URI" -ZZ -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" \
	--state-dir "$T/st4" undo "$UF"
exit_is 0 "its undo file undoes it over StartTLS"
is "$(e2e_count_mapped burst)" 0 "... nothing mapped any more"
done_testing
