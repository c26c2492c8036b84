# tap.sh: a minimal TAP producer for the shell tests, sourced by tests/t/*.t.
# Each .t file runs under `prove --exec bash`, from the top of the tree.
set -u
TAP_N=0
TAP_FAILED=0
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CERTBULK=${CERTBULK:-$TOP/certbulk}

plan() { echo "1..$1"; }
done_testing() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
diag() { printf '%s\n' "$@" | sed 's/^/# /' >&2; }

ok() {	# ok COND-STATUS DESCRIPTION
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() {	# is GOT EXPECTED DESCRIPTION
	if [ "$1" == "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "expected: $2" "     got: $1"
	fi
}

like() {	# like GOT ERE DESCRIPTION
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "expected to match: $2" "got: $1"
	fi
}

# same_file GOT-FILE EXPECTED-FILE DESCRIPTION: diff on mismatch
same_file() {
	if diff -u "$2" "$1" >/tmp/tap-diff.$$ 2>&1; then
		ok 0 "$3"
	else
		ok 1 "$3"
		diag "$(cat /tmp/tap-diff.$$)"
	fi
	rm -f /tmp/tap-diff.$$
}

# tap_ci: true when the CI variable is set (and not 0/false/no).
tap_ci() { case ${CI:-} in '' | 0 | false | no) return 1 ;; esac; }

# skip_all REASON: this file cannot run here.  A skip on a developer's
# machine (no root, a package missing); when CI is set, a bail-out that
# fails the run: CI must not pass with tests that did not run.
skip_all() {
	if tap_ci; then
		echo "Bail out! cannot run $(basename "$0"): $1 (CI is set: a test that cannot run fails)"
		exit 1
	fi
	echo "1..0 # SKIP $1"
	exit 0
}

# skip_one REASON: one test that cannot run here; a failure when CI is set.
skip_one() {
	if tap_ci; then
		ok 1 "cannot run: $1 (CI is set: a test that cannot run fails)"
	else
		TAP_N=$((TAP_N + 1))
		echo "ok $TAP_N # skip $1"
	fi
}
