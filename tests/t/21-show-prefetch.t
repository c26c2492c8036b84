# 21-show-prefetch.t: show reads the next files on a second thread
# (src/prefetch.c) while it decodes the ones before.  Over more files than
# it reads ahead, good and bad ones mixed (missing, a folder, a FIFO, empty,
# not a certificate, names with a tab or a backslash), the output and the
# messages, interleaved as a terminal shows them, and the exit status are
# those of reading the files one at a time (one file per run: no second
# thread); and the files are opened by the second thread.
. "$(dirname "$0")/../lib/tap.sh"

case $CERTBULK in /*) ;; *) CERTBULK=$PWD/$CERTBULK ;; esac
[ -x "$CERTBULK" ] || skip_all "certbulk not built ($CERTBULK)"
command -v openssl >/dev/null || skip_all "openssl not installed"
command -v strace >/dev/null 2>&1 || skip_all "strace not installed"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
D=$T/certs
if ! bash "$TOP/tests/certs/mkcerts.sh" "$D" >"$T/mkcerts.log" 2>&1; then
	ok 1 "tests/certs/mkcerts.sh generates the certificates"
	diag "$(cat "$T/mkcerts.log")"
	done_testing
	exit 1
fi

# the list: every file mkcerts.sh made (certificates, bundles, keys, CSRs),
# the hostile ones, and the bad cases, twice over (more than the 64 read
# ahead), the second time under names with a tab and a backslash
W=$T/w
mkdir -p "$W/folder"
: >"$W/empty.cer"
mkfifo "$W/fifo.cer"
files=()
for r in 1 2; do
	for f in "$D"/* "$D"/hostile/*; do
		[ -f "$f" ] || continue
		b=$(basename "$f")
		n="$W/$b"
		[ "$r" = 2 ] && n="$W/r2 tab$(printf '\t')back\\$b"
		cp "$f" "$n"
		files+=("$n")
	done
	files+=("$W/missing-$r.cer" "$W/folder" "$W/fifo.cer" "$W/empty.cer")
done
nf=${#files[@]}
ok $(( nf > 64 ? 0 : 1 )) "setup: $nf files, more than the 64 read ahead"

# one_by_one ARGS...: each file alone, output and messages interleaved;
# the exit status of the lot as show gives it (1 if any file failed)
one_by_one() {
	local f rc=0
	for f in "${files[@]}"; do
		timeout 60 "$CERTBULK" show "$@" "$f" 2>&1 || rc=$?
	done
	return "$rc"
}
for mode in "--tsv --sid"; do
	# shellcheck disable=SC2086
	one_by_one $mode >"$T/one" 2>&1
	rc1=$?
	# shellcheck disable=SC2086
	timeout 120 "$CERTBULK" show $mode "${files[@]}" >"$T/all" 2>&1
	rc2=$?
	same_file "$T/all" "$T/one" "show ${mode:-(text)} over $nf files: output and messages in the order of the files"
	is "$rc2" "$rc1" "show ${mode:-(text)}: exit status as reading one file at a time"
done

# standard output and the messages apart, each as one file at a time
"$CERTBULK" show --tsv "${files[@]}" >"$T/out" 2>"$T/err"
: >"$T/out1"
: >"$T/err1"
for f in "${files[@]}"; do "$CERTBULK" show --tsv "$f" >>"$T/out1" 2>>"$T/err1"; done
same_file "$T/out" "$T/out1" "--tsv: standard output alone as one file at a time"
same_file "$T/err" "$T/err1" "--tsv: messages alone as one file at a time"
is "$(cut -f1,2 "$T/out" | LC_ALL=C sort -u | grep -c '')" \
	"$(grep -c 'X509IssuerSerialNumber' "$T/out")" "every certificate shown once"

# the files are opened by a second thread, not the one that prints
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=openat,open -o "$T/open.trace" \
	"$CERTBULK" show -q --tsv "${files[@]:0:40}" >/dev/null 2>&1
main=$(awk 'NR == 1 { print $1 }' "$T/open.trace")
by_thread=$(awk -v m="$main" -v w="$W/" '$1 != m && index($0, "\"" w) { n++ } END { print n + 0 }' "$T/open.trace")
by_main=$(awk -v m="$main" -v w="$W/" '$1 == m && index($0, "\"" w) { n++ } END { print n + 0 }' "$T/open.trace")
ok $(( by_thread >= 30 && by_main == 0 ? 0 : 1 )) \
	"the files are opened by the reading thread ($by_thread of them), none by the main one"
[ "$by_main" -eq 0 ] || diag "$(grep -F "$W/" "$T/open.trace" | head -5)"

# one file: no second thread (threads are clones with CLONE_THREAD; under
# ASan the leak check at exit clones a tracer of its own, without it)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=clone,clone3 -o "$T/clone.trace" \
	"$CERTBULK" show -q --tsv "$D/kb5014754.cer" >/dev/null 2>&1
is "$(grep -c 'CLONE_THREAD' "$T/clone.trace")" 0 "one file: read without a second thread"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	strace -f -qq -e trace=clone,clone3 -o "$T/clone2.trace" \
	"$CERTBULK" show -q --tsv "$D/kb5014754.cer" "$D/kb5014754.cer" >/dev/null 2>&1
is "$(grep -c 'CLONE_THREAD' "$T/clone2.trace")" 1 "two files: one reading thread"

done_testing
