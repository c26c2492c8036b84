# Runs the C unit test binaries (built by make check into $UNITDIR).
. "$(dirname "$0")/../lib/tap.sh"
UNITDIR=${UNITDIR:-$TOP/build/tests}
[ -d "$UNITDIR" ] || skip_all "no unit test binaries in $UNITDIR (run make check)"
for t in "$UNITDIR"/test_*; do
	case $t in *.o|*.d) continue ;; esac
	out=$("$t" 2>&1); rc=$?
	if [ $rc -eq 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		ok 0 "$(basename "$t")"
	else
		ok 1 "$(basename "$t") (exit $rc)"
		diag "$(printf '%s\n' "$out" | grep -B1 -A3 '^not ok\|^#')"
	fi
done
done_testing
