#!/bin/bash
# tests/fresh/run.sh: the README's quick start, exactly as written, on a
# fresh minimal Debian 12 (make check-fresh; what a release is checked with).
#
#   tests/fresh/run.sh [--drop PKG] [--keep] TARBALL
#
# TARBALL is make dist's certbulk-VERSION.tar.gz.  The script
#  1. keeps a minimal Debian 12 root (debootstrap --variant=minbase
#     bookworm, from the mirror this host's apt uses) in $CB_FRESH_CACHE
#     (default /var/cache/certbulk-fresh), made once and reused;
#  2. for this run, lays a throwaway overlay over it, with /proc, /sys,
#     /dev, /dev/pts and /dev/shm mounted;
#  3. unpacks TARBALL in /root as a new user would, and runs the two
#     commands of the README's quick start, taken from the unpacked README,
#     each in `chroot ... bash -c 'cd /root/certbulk-VERSION && COMMAND'`
#     with a clean environment plus CI=true (a test that cannot run fails)
#     and CB_SAMBA_IP;
#  4. then, unless --quick, `make asan` and `BENCH_N=1000 make bench` (make
#     deps must cover them too);
#  5. checks that make deps left no network or directory daemon enabled
#     (tests/fresh/daemons.sh list, run on the pristine root and after:
#     a new enabled service is a failure if it serves the network or a
#     directory, and only listed otherwise: base-system units such as
#     dbus or a getty that the packages' dependencies enable are fine);
#  6. prints each step's time and the test counts, removes everything
#     (processes inside the root, mounts, the overlay) on exit, also on
#     failure or interrupt.
#
# The root shares this host's network: the test Samba DC binds
# ${CB_SAMBA_IP:-127.0.0.2} (set another address if a test Samba already
# runs there) and slapd picks free ports on 127.0.0.1.  A policy-rc.d in
# the root stops package scripts from starting system daemons (a slapd on
# port 389 of every address would disturb the host); make deps must still
# leave them disabled, which step 4 checks.  Downloaded .deb files are kept
# in $CB_FRESH_CACHE/archives between runs (same packages, less waiting;
# one run at a time uses it).
#
# --drop PKG  remove PKG from the Makefile's DEPS in the unpacked copy:
#             the run must then fail, naming what is missing (exit 0 if the
#             quick start failed and its output names PKG or a file or
#             command of it, 1 otherwise).
# --keep      leave the overlay's upper folder for a look (mounts are
#             still removed).
# --quick     only the quick start (not make asan and make bench).
#
# Environment: CB_FRESH_CACHE, CB_FRESH_MIRROR (default: this host's
# Debian mirror, else http://deb.debian.org/debian), CB_SAMBA_IP.
set -euo pipefail
shopt -s inherit_errexit
# All of it in one block: bash reads a script as it runs it, and this one
# runs for a long time; a block is read whole before it starts.
{
PROG=fresh
CACHE=${CB_FRESH_CACHE:-/var/cache/certbulk-fresh}
SUITE=bookworm
DROP='' KEEP='' QUICK=''

msg() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { msg "$*"; exit 1; }
now() { date +%s%N; }
secs() { printf '%d.%01d' $((($2 - $1) / 1000000000)) $((($2 - $1) / 100000000 % 10)); }

while [ $# -gt 0 ]; do
	case $1 in
	--drop) DROP=${2:?--drop needs a package}; shift 2 ;;
	--keep) KEEP=1; shift ;;
	--quick) QUICK=1; shift ;;
	-*) die "unknown option $1" ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { echo "usage: $0 [--drop PKG] [--keep] [--quick] TARBALL" >&2; exit 2; }
TARBALL=$(cd "$(dirname "$1")" && pwd -P)/$(basename "$1")
[ -f "$TARBALL" ] || die "no such tarball: $1"
[ "$(id -u)" = 0 ] || die "needs root (debootstrap, mount, chroot)"
for c in debootstrap chroot mount umount tar flock; do
	command -v "$c" >/dev/null 2>&1 ||
		die "missing command: $c (apt-get install debootstrap)"
done

# host_mirror SUITE-SUFFIX: the URI this host's apt uses for Debian (or
# Debian security), so the fresh root reaches what the host reaches.
host_mirror() {
	local want=$1 uri
	uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null |
		sed -n 's/^URIs: *//p' | tr ' ' '\n' | grep -E "/debian$want/?\$" | head -n 1) || true
	[ -n "$uri" ] || uri=$(sed -n 's/^deb \(\[[^]]*\] \)\{0,1\}\([^ ]*\/debian'"$want"'\/\{0,1\}\) .*/\2/p' \
		/etc/apt/sources.list 2>/dev/null | head -n 1) || true
	printf '%s\n' "${uri%/}"
}
MIRROR=${CB_FRESH_MIRROR:-$(host_mirror '')}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=$(host_mirror -security)
SECURITY=${SECURITY:-${MIRROR%/debian}/debian-security}

# ------------------------------------------------------------ the base root
BASE=$CACHE/$SUITE
ensure_base() {
	local t t0
	[ ! -L "$CACHE" ] || die "$CACHE is a symbolic link; refusing to use it"
	mkdir -p -- "$CACHE"
	chmod 700 "$CACHE"
	exec 8>"$CACHE/.lock"
	flock -w 900 8 || die "timeout waiting for the lock on $CACHE"
	if [ ! -f "$BASE/.certbulk-base" ]; then
		rm -rf -- "$CACHE"/base.new.*
		t=$(mktemp -d "$CACHE/base.new.XXXXXX")
		t0=$(now)
		msg "making a minimal Debian 12 root in $BASE (debootstrap, about a minute)"
		if ! debootstrap --variant=minbase "$SUITE" "$t" "$MIRROR" >"$t.log" 2>&1; then
			tail -n 20 "$t.log" >&2
			rm -rf -- "$t"
			die "debootstrap failed (log: $t.log)"
		fi
		# What the installer adds to a debootstrapped system: apt's full
		# list of suites, and /etc/hosts.
		rm -f "$t/etc/apt/sources.list"
		cat >"$t/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
		printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$t/etc/hosts"
		echo fresh >"$t/etc/hostname"
		rm -f "$t/var/cache/apt/archives/"*.deb
		date -u +%FT%TZ >"$t/.certbulk-base"
		rm -rf -- "$BASE"
		mv -T -- "$t" "$BASE"
		rm -f -- "$t.log"
		msg "base root ready after $(secs "$t0" "$(now)") s"
	fi
	exec 8>&-
}

# ------------------------------------------------------- the throwaway root
RUN='' ROOT='' MOUNTS=() STEP=
cleanup() {
	local rc=$? i p pids r
	trap - EXIT INT TERM HUP
	[ "$rc" = 0 ] || msg "ending with exit status $rc"
	[ -z "$STEP" ] || kill "$STEP" 2>/dev/null || true
	if [ -n "$ROOT" ] && [ -d "$ROOT" ]; then
		# processes started inside the root (a server a test left): by pid
		r=$(readlink -f "$ROOT")
		for i in 1 2 3; do
			pids=
			for p in /proc/[0-9]*; do
				[ "$(readlink "$p/root" 2>/dev/null)" = "$r" ] && pids+=" ${p#/proc/}"
			done
			[ -n "$pids" ] || break
			msg "ending processes left in the root:$pids"
			# shellcheck disable=SC2086
			kill -KILL $pids 2>/dev/null || true
			sleep 0.5
		done
	fi
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}" 2>/dev/null ||
			{ msg "cannot unmount ${MOUNTS[i]}"; rc=1; }
	done
	if [ -n "$RUN" ]; then
		if grep -q " $RUN/" /proc/self/mounts; then
			# never remove through a mount (/dev is bound in there)
			msg "still mounted below $RUN; not removing it"
			rc=1
		elif [ -n "$KEEP" ]; then
			msg "kept $RUN/upper"
		else
			rm -rf --one-file-system -- "$RUN"
		fi
	fi
	exit "$rc"
}

mnt() {	# mnt MOUNT-ARGS... TARGET: mount, remembered for cleanup
	mount "$@"
	MOUNTS+=("${!#}")
}

make_root() {
	RUN=$(mktemp -d "$CACHE/run.XXXXXX")
	mkdir -p "$RUN/upper" "$RUN/work" "$RUN/root" "$CACHE/archives/partial"
	ROOT=$RUN/root
	if ! mnt -t overlay overlay \
		-o "lowerdir=$BASE,upperdir=$RUN/upper,workdir=$RUN/work" "$ROOT" 2>/dev/null; then
		msg "no overlayfs here: copying the base root instead"
		rmdir "$ROOT"
		cp -a -- "$BASE" "$ROOT"
	fi
	mnt -t proc proc "$ROOT/proc"
	mnt -t sysfs sysfs "$ROOT/sys"
	mnt --bind /dev "$ROOT/dev"
	mnt -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$ROOT/dev/pts"
	mnt -t tmpfs -o mode=1777 shm "$ROOT/dev/shm"
	# The .deb cache is shared with one run at a time (apt locks it).
	exec 9>"$CACHE/archives.lock"
	if flock -n 9; then
		mnt --bind "$CACHE/archives" "$ROOT/var/cache/apt/archives"
	else
		msg "another run uses the package cache: downloading afresh"
		exec 9>&-
	fi
	cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf" 2>/dev/null || true
	printf '#!/bin/sh\n# certbulk fresh-root check: no daemon starts in this root\nexit 101\n' \
		>"$ROOT/usr/sbin/policy-rc.d"
	chmod 755 "$ROOT/usr/sbin/policy-rc.d"
}

# inroot COMMAND: run bash -c COMMAND in the root, in the unpacked source,
# with the environment of a root login plus CI and CB_SAMBA_IP.
inroot() {
	chroot "$ROOT" /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LOGNAME=root USER=root SHELL=/bin/bash TERM=dumb CI=true \
		${CB_SAMBA_IP:+CB_SAMBA_IP=$CB_SAMBA_IP} \
		/bin/bash -c "cd /root/$SRC && $1" </dev/null
}

# quickstart README: the commands of the README's "Quick start" section
# (its indented lines, without trailing "# comments"), one a line.  The
# section ends where the next one's underline is.
quickstart() {
	awk '/^Quick start/ { on = 1; next }
		on && /^---+$/ && ++rule > 1 { exit }	# the next section
		on && /^    [^ ]/ { sub(/^    /, ""); sub(/[ \t]+#.*$/, ""); print }' "$1"
}

# enabled_services: the enabled services, classified (daemons.sh list;
# the Makefile's DAEMONS always count as network daemons).
DAEMONS_SH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)/daemons.sh
enabled_services() {
	local names
	names=$(sed -n 's/^DAEMONS[[:space:]]*=//p' "$ROOT/root/$SRC/Makefile")
	# shellcheck disable=SC2086
	sh "$DAEMONS_SH" list "$ROOT" $names
}

trap cleanup EXIT
trap 'exit 130' INT TERM HUP
T_ALL=$(now)
ensure_base
make_root
SRC=$(tar -tzf "$TARBALL" | sed -n 1p)
SRC=${SRC%%/*}
[ -n "$SRC" ] || die "empty tarball $TARBALL"
tar -C "$ROOT/root" -xzf "$TARBALL"
if [ -n "$DROP" ]; then
	grep -qw -- "$DROP" "$ROOT/root/$SRC/Makefile" || die "$DROP is not in the Makefile"
	sed -i -E "/^DEPS/,/^[^[:space:]]/ s/([[:space:]])$DROP([[:space:]]|\$)/\\1\\2/" \
		"$ROOT/root/$SRC/Makefile"
	msg "removed $DROP from DEPS: $(sed -n '/^DEPS/,/gdb$/p' "$ROOT/root/$SRC/Makefile" | tr -s '\t\\\n ' ' ')"
fi
mapfile -t CMDS < <(quickstart "$ROOT/root/$SRC/README")
[ ${#CMDS[@]} -ge 1 ] || die "no commands found in the README's quick start"
NQUICK=${#CMDS[@]}
[ -n "$QUICK" ] || CMDS+=("make asan" "BENCH_N=1000 make bench")
before=$(enabled_services)
msg "root $ROOT, Debian $(cat "$ROOT/etc/debian_version"), source $SRC, CB_SAMBA_IP=${CB_SAMBA_IP:-127.0.0.2}"
for c in make git gcc cc; do
	chroot "$ROOT" /bin/sh -c "command -v $c" >/dev/null 2>&1 || msg "before: no $c in the root"
done

fail='' n=0 SUMMARY=()
for cmd in "${CMDS[@]}"; do
	n=$((n + 1))
	log=$RUN/step$n.log
	what="step $n (quick start)"
	[ "$n" -le "$NQUICK" ] || what="step $n (after the quick start)"
	msg "$what: $cmd"
	t0=$(now)
	# in the background, so that a signal to this script is handled at
	# once (the trap's cleanup ends what runs in the root)
	(
		set +e
		inroot "$cmd" 2>&1 | tee "$log" | sed -u 's/^/    /'
		exit "${PIPESTATUS[0]}"
	) &
	STEP=$!
	rc=0
	wait "$STEP" || rc=$?
	STEP=
	t=$(secs "$t0" "$(now)")
	tests=$(grep -E '^Files=[0-9]+, Tests=[0-9]+' "$log" | tail -n 1 | sed 's/,  *[0-9]* wallclock.*//') || true
	res=$(grep -E '^Result: ' "$log" | tail -n 1) || true
	SUMMARY+=("step $n: $cmd: exit $rc, $t s${tests:+, $tests}${res:+, $res}")
	if [ "$rc" != 0 ]; then
		fail=$n
		break
	fi
done
after=$(enabled_services)
# new services (by kind and name), then those that serve the network
new=$(awk 'NR == FNR { seen[$1 " " $2] = 1; next } !seen[$1 " " $2]' \
	<(printf '%s\n' "$before") <(printf '%s\n' "$after") | grep . || true)
newnet=$(printf '%s\n' "$new" | awk '$4 == "network"')
newbase=$(printf '%s\n' "$new" | awk '$4 == "base"')

msg "---- summary ----"
for s in "${SUMMARY[@]}"; do msg "$s"; done
[ -z "$newbase" ] ||
	msg "base-system units enabled by the packages (not network daemons): $(printf '%s\n' "$newbase" |
		awk '{ printf "%s%s (%s, %s)", sep, $2, $3, $5; sep = ", " }')"
if [ -n "$newnet" ]; then
	msg "network or directory daemons left enabled by the packages: $(printf '%s\n' "$newnet" |
		awk '{ printf "%s%s %s (%s, %s)", sep, $1, $2, $3, $5; sep = ", " }')"
	fail=${fail:-services}
else
	msg "no network or directory daemon left enabled by the packages"
fi
msg "total $(secs "$T_ALL" "$(now)") s"

if [ -n "$DROP" ]; then
	if [ -z "$fail" ]; then
		msg "FAIL: the quick start passed without $DROP"
		exit 1
	fi
	# what names the package: itself, or a file or command it ships
	if grep -Eiq -- "(missing|not installed|not found|No such file).*$DROP|$DROP.*(missing|not installed|not found)" "$RUN/step$fail.log"; then
		msg "as expected: step $fail failed naming $DROP:"
		grep -Ei -- "$DROP" "$RUN/step$fail.log" | grep -Ei 'missing|not installed|not found|bail|such file' | head -n 5 | sed 's/^/    /' >&2 || true
		exit 0
	fi
	msg "step $fail failed, but its output does not name $DROP; last lines:"
	tail -n 15 "$RUN/step$fail.log" | sed 's/^/    /' >&2
	exit 1
fi
[ -z "$fail" ] || { msg "FAIL at ${fail/#[0-9]/step $fail}"; exit 1; }
msg "PASS"
exit 0
}
