#!/bin/bash
# 06-harness.t: the test harness itself: skips become failures when CI is
# set (tests/lib/tap.sh), tests/dirs/samba.sh fails cleanly when
# provisioning fails (no shell error, no half-made template left), and the
# pausable proxy of tests/e2e/pauseproxy.pl forwards, pauses on its undo
# file condition and resumes.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
command -v perl >/dev/null 2>&1 || skip_all "perl not installed"

T=$(mktemp -d -t cb-harness.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
trap 'e2e_reap_bg; rm -rf -- "$T"' EXIT
trap 'exit 130' INT TERM HUP

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

# ------------------------------------------------------ the pausable proxy
# an echo server on loopback
perl -MIO::Socket::INET -e '
	my $l = IO::Socket::INET->new(LocalAddr => "127.0.0.1", LocalPort => 0,
		Listen => 5, ReuseAddr => 1) or die "echo: $!\n";
	open(my $f, ">", "$ARGV[0].tmp") or die; print $f $l->sockport, "\n";
	close($f); rename("$ARGV[0].tmp", $ARGV[0]);
	while (my $c = $l->accept) {
		while (sysread($c, my $b, 4096)) { syswrite($c, $b) }
		close($c);
	}' "$T/echo.port" </dev/null &
E2E_BGPIDS="$E2E_BGPIDS $!"
for ((i = 0; i < 500; i++)); do [ -s "$T/echo.port" ] && break; sleep 0.01; done
mkdir -p "$T/st"
echo '# certbulk-record: 1 old' >"$T/st/undo-0-old.ldif"	# there before: ignored
e2e_proxy_start "ldap://127.0.0.1:$(cat "$T/echo.port")" "$T/px" "$T/st" 2
ok $? "proxy: starts"
like "$PXURI" '^ldap://127\.0\.0\.1:[0-9]+$' "proxy: PXURI on the same address"
LDAPX=(-H ldap://127.0.0.1:1 -x -D cn=x)
e2e_via_proxy LDAPX
is "${PXARGS[*]}" "-H $PXURI -x -D cn=x" "e2e_via_proxy: -H points at the proxy"
exec 3<>"/dev/tcp/127.0.0.1/$(cat "$T/px/port")"
say() {	# say WORD: send it through the proxy, print the echo (1 s at most)
	local line=
	printf '%s\n' "$1" >&3
	read -r -t 1 -u 3 line
	printf '%s' "$line"
}
is "$(say a)" a "proxy: forwards both ways"
printf '# certbulk-record: 1 x\ndn: cn=a\n' >"$T/st/undo-1-new.ldif"
is "$(say b)" b "proxy: one record of 2: still forwarding"
printf '\n# certbulk-record: 2 x\n' >>"$T/st/undo-1-new.ldif"
is "$(say c)" "" "proxy: 2 records: nothing passes"
is "$(cat "$T/px/paused" 2>/dev/null)" 2 "proxy: paused, at 2 records"
e2e_proxy_resume
ok $? "proxy: resumes"
line=
read -r -t 2 -u 3 line
is "$line" c "proxy: after resuming, the held bytes pass"
printf '# certbulk-record: 3 x\n' >>"$T/st/undo-1-new.ldif"
is "$(say d)" d "proxy: the undo condition does not fire again"
e2e_proxy_pause
ok $? "proxy: pauses on request"
is "$(say e)" "" "proxy: paused on request: nothing passes"
e2e_proxy_resume
read -r -t 2 -u 3 line
is "$line" e "proxy: resumed"
exec 3>&-
e2e_proxy_stop
ok $? "proxy: stops"
done_testing
