# 75-perf-pipeline.t: issue 13's structural changes against a real slapd.
#  - group commit: --window 1 writes its undo records a group at a time
#    and does not fsync per modify (the write-ahead rule itself, a record
#    durable before its modify, is what the kill -9 tests of 55 and 57
#    check);
#  - lookups and duplicate-check searches go out several at a time on the
#    one connection (requests written before a reply is read);
#  - a value held by another account is still found.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v strace >/dev/null 2>&1 || skip_all "strace not installed"
e2e_setup
e2e_ca
e2e_bulk_csv perf 600 300001

# ------------------------------------------------ group commit, --window 1
# (LeakSanitizer cannot run under ptrace: make asan's leak check is off here)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=fsync,fdatasync -o "$T/fsync.trace" \
	"$CERTBULK" "${LDAPS[@]}" --state-dir "$T/st" --window 1 \
	--csv "$W/all.csv" >"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "--window 1 over 600 accounts (under strace)"
is "$(e2e_count_mapped perf)" 600 "... all 600 mapped"
UF=$(e2e_undo_file)
is "$(e2e_records "$UF")" 600 "... 600 undo records"
is "$(grep -c '^# certbulk-record: [0-9]* status: done' "$UF")" 600 \
	"... every record marked done at the end"
nsync=$(grep -c 'sync(' "$T/fsync.trace")
[ "$nsync" -gt 0 ] && [ "$nsync" -le 40 ]
ok $? "... $nsync fsyncs for 600 modifies (a group at a time, not one per modify)"
e2e_run "${LDAPS[@]}" --state-dir "$T/st2" undo "$UF"
exit_is 0 "the undo file of the group-committed run undoes it"
is "$(e2e_count_mapped perf)" 0 "... nothing mapped any more"

# ------------------------------------------------ pipelined lookups
# Several searches in flight on the one connection: certbulk writes
# request after request to the LDAP socket before it reads a reply.  One
# search at a time (the code before), every request is followed by a
# read.  Seen in the system calls, whatever the machine's load.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=connect,write,read,sendmsg,recvmsg,sendto,recvfrom \
	-o "$T/io.trace" "$CERTBULK" "${LDAPS[@]}" -n --csv "$W/all.csv" \
	>"$T/out" 2>"$T/err"
RC=$?
exit_is 0 "preview of 600 rows (under strace)"
is "$(grep -c '^dn: ' "$T/out")" 600 "... 600 accounts in it"
cp "$T/out" "$T/traced.ldif"
# the LDAP socket: the one connected to slapd's LDAPS port
port=${CB_URI_LDAPS##*:}
burst=$(awk -v port="htons($port)" '
	/ connect\(/ && index($0, port) {
		split($0, a, /connect\(/); split(a[2], b, ","); fd = b[1]
	}
	fd != "" && match($0, /(write|sendmsg|sendto)\([0-9]+,/) {
		s = substr($0, RSTART, RLENGTH); sub(/^[a-z]+\(/, "", s); sub(/,$/, "", s)
		if (s == fd && ++run > max) max = run
	}
	fd != "" && match($0, /(read|recvmsg|recvfrom)\([0-9]+,/) {
		s = substr($0, RSTART, RLENGTH); sub(/^[a-z]+\(/, "", s); sub(/,$/, "", s)
		if (s == fd) run = 0
	}
	END { print max + 0 }' "$T/io.trace")
[ "$burst" -ge 4 ]
ok $? "up to $burst requests written before a reply is read (6 lookup batches and 6 duplicate-check batches; one search at a time gave 2)"
e2e_run "${LDAPS[@]}" -n --csv "$W/all.csv"
# the header names the run's time; the records must be the same
cmp -s <(grep -v '^#' "$T/out") <(grep -v '^#' "$T/traced.ldif")
ok $? "the same preview records in a second run"

# a value another account holds is still found when the batches overlap
HOLD=$(awk -F, 'NR == 301 { print $2 }' "$W/all.csv")
VAL=$("$CERTBULK" show --tsv "$W/$HOLD" | awk -F'\t' '$3 == "X509IssuerSerialNumber" { print $4 }')
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n' \
	"$(cb_user_dn perf0001)" "$VAL" | cb_ldap ldapmodify >/dev/null
e2e_run "${LDAPS[@]}" -n --csv "$W/all.csv"
exit_is 1 "a value held by another account: exit 1"
grep -q "perf0300.*not mapped\|already on.*perf0001" "$T/err"
ok_diag $? "... the row wanting it is refused, naming the holder"
is "$(grep -c '^dn: ' "$T/out")" 599 "... and the 599 others are planned"
done_testing
