#!/bin/sh
# tests/fresh/daemons.sh disable NAME...: stop the system services NAME
# and disable them so they do not come back at boot or when a package
# upgrade restarts enabled services (make deps; run as root).
#
# tests/fresh/daemons.sh list ROOT [NAME...]: the services enabled in the
# system at ROOT (/ for this one), one a line, for tests/fresh/run.sh to
# compare before and after make deps:
#	KIND NAME PACKAGE CLASS REASON
# KIND is sysv (a start link in rc2-5.d) or systemd (a link in a .wants
# folder), PACKAGE the owner of its init script or unit file (- if none),
# CLASS "network" for a daemon that serves the network or a directory
# (these make deps must leave disabled) and "base" for the rest (dbus, a
# getty, a target or a timer: what any Debian system enables), REASON why.
# A service is "network" when one of these holds, so that no list of
# today's packages is needed:
#  - it is one of the NAMEs (the Makefile's DAEMONS, disabled by make deps);
#  - its systemd unit orders itself after, or wants, network.target or
#    network-online.target (what a daemon serving the network declares);
#  - it is a socket unit listening on a port or an address, not a path;
#  - its init script (or the init script of a unit's name) needs the
#    $network facility (LSB Required-Start or Should-Start);
#  - its package is in Debian's "net" section (network daemons: slapd,
#    samba, winbind, krb5-kdc, sshd, avahi ...).
# Targets, timers, paths, mounts and other non-daemon units are "base".
#
# The test suite starts its own slapd and Samba on loopback; a system slapd
# listens on port 389 of every address and the system Samba services want
# the AD ports, so none may run.  Works with systemd running, and without
# it (a container, or a chroot: sysvinit links and unit symlinks are edited
# offline).  Services that are not installed are passed over.  Disabled,
# not masked: an admin can still start one by hand.
set -u
prog=daemons.sh
usage() {
	echo "usage: $0 disable NAME... | list ROOT [NAME...]" >&2
	exit 2
}

# unit_path ROOT UNIT: the file (path inside ROOT) that defines UNIT, an
# instance (getty@tty1.service) by its template (getty@.service).
unit_path() {
	for u in "$2" "$(printf '%s\n' "$2" | sed -n 's/@[^.]*\./@./p')"; do
		[ -n "$u" ] || continue
		for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
			if [ -f "$1$d/$u" ] && ! [ -L "$1$d/$u" ]; then
				echo "$d/$u"
				return 0
			fi
		done
	done
	return 1
}

# owner ROOT PATH: the package that ships PATH in ROOT (merged /usr: the
# package database may name /lib/... or /usr/lib/...), or -.
owner() {
	for p in "$2" "${2#/usr}" "/usr$2"; do
		o=$(dpkg-query --root="$1" -S "$p" </dev/null 2>/dev/null | sed -n '1s/: .*//p')
		[ -z "$o" ] || { echo "$o"; return 0; }
	done
	echo -
}

# section ROOT PACKAGE: its Debian section without the area (net, admin).
section() {
	[ "$2" != - ] || return 0
	dpkg-query --root="$1" -W -f '${Section}' "${2%%,*}" 2>/dev/null </dev/null | sed 's,.*/,,'
}

# classify ROOT KIND NAME FILE PACKAGE NAMES...: "CLASS REASON"
classify() {
	r=$1 kind=$2 name=$3 file=$4 pkg=$5
	shift 5
	base=${name%.service}
	for n; do
		[ "$n" != "$base" ] || { echo "network listed-in-DAEMONS"; return; }
	done
	if [ "$kind" = systemd ]; then
		case $name in
		*.service | *.socket) ;;
		*) echo "base not-a-daemon(${name##*.})"; return ;;
		esac
		if [ -n "$file" ] && grep -Eq '^[[:space:]]*(After|Wants|Requires|BindsTo)=.*(^|[=[:space:]])network(-online)?\.target' "$r$file"; then
			echo "network after-network.target"
			return
		fi
		if [ -n "$file" ] && grep -E '^[[:space:]]*Listen(Stream|Datagram|SequentialPacket)=' "$r$file" |
			sed 's/^[^=]*=[[:space:]]*//' | grep -Evq '^[/@]'; then
			echo "network listens-on-a-port"
			return
		fi
	fi
	# the init script of the same name is the same service (a unit that
	# only wraps others, as postgresql.service does, says less)
	lsb=/etc/init.d/${base%.socket}
	if [ -f "$r$lsb" ] && sed -n '/^### BEGIN INIT INFO/,/^### END INIT INFO/p' "$r$lsb" |
		grep -Eq '^#[[:space:]]*(Required|Should)-Start:.*\$network'; then
		echo 'network needs-$network'
		return
	fi
	if [ "$(section "$r" "$pkg")" = net ]; then
		echo "network package-in-section-net"
		return
	fi
	echo "base not-a-network-daemon"
}

# list ROOT NAMES...: see the top of this file.
list() {
	r=${1%/}
	shift
	[ -d "$r/etc" ] || { echo "$prog: $r/etc: no such folder" >&2; return 1; }
	{
		for l in "$r"/etc/rc[2345].d/S*; do
			[ -e "$l" ] || [ -L "$l" ] || continue
			echo "sysv $(basename "$l" | sed 's/^S[0-9]*//')"
		done
		for l in "$r"/etc/systemd/system/*.wants/*; do
			[ -e "$l" ] || [ -L "$l" ] || continue
			echo "systemd $(basename "$l")"
		done
	} | LC_ALL=C sort -u | while read -r kind name; do
		if [ "$kind" = sysv ]; then
			file=/etc/init.d/$name
			[ -f "$r$file" ] || file=
		else
			file=$(unit_path "$r" "$name") || file=
		fi
		pkg=-
		[ -z "$file" ] || pkg=$(owner "$r" "$file")
		echo "$kind $name $pkg $(classify "$r" "$kind" "$name" "$file" "$pkg" "$@")"
	done
}

case ${1:-} in
disable) shift ;;
list)
	[ $# -ge 2 ] || usage
	shift
	list "$@"
	exit
	;;
*) usage ;;
esac
unitfile() {	# the native systemd unit of $1, if any
	for d in /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system; do
		[ -f "$d/$1.service" ] && ! [ -L "$d/$1.service" ] &&
			{ echo "$d/$1.service"; return 0; }
	done
	return 1
}
bad=0 done=
for s; do
	init=
	[ -x "/etc/init.d/$s" ] && init=1
	unit=$(unitfile "$s") || unit=
	[ -n "$init$unit" ] || continue
	# stop: systemd if it runs, else the init script
	if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
		systemctl stop "$s.service" >/dev/null 2>&1
	elif [ -n "$init" ]; then
		"/etc/init.d/$s" stop >/dev/null 2>&1
	fi
	if [ -n "$init" ] && command -v update-rc.d >/dev/null 2>&1; then
		update-rc.d "$s" disable >/dev/null 2>&1 ||
			echo "$prog: warning: update-rc.d $s disable failed" >&2
	fi
	if [ -n "$unit" ] && command -v systemctl >/dev/null 2>&1; then
		systemctl disable "$s.service" >/dev/null 2>&1 ||
			echo "$prog: warning: systemctl disable $s failed" >&2
	fi
	# check: no start link in a multi-user runlevel, no enabled unit
	if ls /etc/rc[2345].d/S[0-9][0-9]"$s" >/dev/null 2>&1; then
		echo "$prog: $s is still enabled: $(ls /etc/rc[2345].d/S[0-9][0-9]"$s" | tr '\n' ' ')" >&2
		bad=1
	fi
	if [ -n "$unit" ] && command -v systemctl >/dev/null 2>&1 &&
		[ "$(systemctl is-enabled "$s.service" 2>/dev/null)" = enabled ]; then
		echo "$prog: $s.service is still enabled" >&2
		bad=1
	fi
	done="$done $s"
done
[ -z "$done" ] || echo "$prog: stopped and disabled the system services:$done"
exit $bad
