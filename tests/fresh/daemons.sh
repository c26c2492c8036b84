#!/bin/sh
# tests/fresh/daemons.sh disable NAME...: stop the system services NAME
# and disable them so they do not come back at boot or when a package
# upgrade restarts enabled services (make deps; run as root).
#
# The test suite starts its own slapd and Samba on loopback; a system slapd
# listens on port 389 of every address and the system Samba services want
# the AD ports, so none may run.  Works with systemd running, and without
# it (a container, or a chroot: sysvinit links and unit symlinks are edited
# offline).  Services that are not installed are passed over.  Disabled,
# not masked: an admin can still start one by hand.
set -u
prog=daemons.sh
[ "${1:-}" = disable ] || { echo "usage: $0 disable NAME..." >&2; exit 2; }
shift
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
