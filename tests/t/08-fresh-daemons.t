#!/bin/bash
# 08-fresh-daemons.t: tests/fresh/daemons.sh list, which make check-fresh
# (tests/fresh/run.sh) uses to tell the network and directory daemons that
# make deps must leave disabled from the base-system units (dbus, a getty,
# targets, timers) that the packages' dependencies enable.  A made-up root
# with its own package database: no package list is known to the script.
. "$(dirname "$0")/../lib/tap.sh"
command -v dpkg-query >/dev/null 2>&1 || skip_all "dpkg-query not installed"

T=$(mktemp -d -t cb-daemons.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
trap '[ -n "${KEEP:-}" ] || rm -rf -- "$T"' EXIT
trap 'exit 130' INT TERM HUP
R=$T/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" "$R/etc/init.d" \
	"$R/lib/systemd/system" "$R/etc/systemd/system/multi-user.target.wants" \
	"$R/etc/systemd/system/sockets.target.wants" "$R/etc/systemd/system/getty.target.wants" \
	"$R/etc/systemd/system/timers.target.wants" "$R/etc/rc2.d" "$R/etc/rc3.d"
: >"$R/var/lib/dpkg/status"
pkg() {	# pkg NAME SECTION FILE...: an installed package shipping FILEs
	local n=$1 sec=$2
	shift 2
	printf 'Package: %s\nStatus: install ok installed\nPriority: optional\nSection: %s\nMaintainer: t <t@t.invalid>\nArchitecture: all\nVersion: 1\nDescription: %s\n\n' \
		"$n" "$sec" "$n" >>"$R/var/lib/dpkg/status"
	printf '%s\n' "$@" >"$R/var/lib/dpkg/info/$n.list"
}
unit() {	# unit NAME WANTS-DIR BODY: a unit file and its enabling link
	printf '%s\n' "$3" >"$R/lib/systemd/system/$1"
	ln -s "/lib/systemd/system/$1" "$R/etc/systemd/system/$2.target.wants/$1"
}
initd() {	# initd NAME LSB-REQUIRED-START: an init script and start links
	printf '#!/bin/sh\n### BEGIN INIT INFO\n# Provides: %s\n# Required-Start: %s\n# Default-Start: 2 3 4 5\n### END INIT INFO\n' \
		"$1" "$2" >"$R/etc/init.d/$1"
	chmod 755 "$R/etc/init.d/$1"
	ln -s "../init.d/$1" "$R/etc/rc2.d/S01$1"
	ln -s "../init.d/$1" "$R/etc/rc3.d/S01$1"
}

# base-system units: section admin, no network ordering
pkg dbus admin /lib/systemd/system/dbus.service /etc/init.d/dbus
unit dbus.service multi-user "$(printf '[Unit]\nRequires=dbus.socket\n[Service]\nExecStart=/usr/bin/dbus-daemon')"
initd dbus '$remote_fs $syslog'
pkg systemd admin /lib/systemd/system/getty@.service /lib/systemd/system/remote-fs.target \
	/lib/systemd/system/systemd-pstore.service /lib/systemd/system/apt-daily.timer
printf '[Unit]\nAfter=systemd-user-sessions.service getty-pre.target\n[Service]\nExecStart=-/sbin/agetty\n' \
	>"$R/lib/systemd/system/getty@.service"
ln -s /lib/systemd/system/getty@.service "$R/etc/systemd/system/getty.target.wants/getty@tty1.service"
unit remote-fs.target multi-user "$(printf '[Unit]\nAfter=remote-fs-pre.target network-online.target')"
unit systemd-pstore.service multi-user "$(printf '[Unit]\nAfter=modprobe@efi_pstore.service')"
unit apt-daily.timer timers "$(printf '[Unit]\nAfter=network-online.target\n[Timer]\nOnCalendar=daily')"
# a socket on a path is local
pkg localsock utils /lib/systemd/system/localsock.socket
unit localsock.socket sockets "$(printf '[Socket]\nListenStream=/run/localsock.sock\nListenDatagram=@abstract')"
# network daemons, each by one criterion only
pkg ldapd misc /etc/init.d/ldapd
initd ldapd '$remote_fs $network $syslog'
pkg kdcd net /lib/systemd/system/kdcd.service
unit kdcd.service multi-user "$(printf '[Unit]\nDescription=a KDC\n[Service]\nExecStart=/usr/sbin/kdcd')"
pkg webd web /lib/systemd/system/webd.service
unit webd.service multi-user "$(printf '[Unit]\nWants=network-online.target\nAfter=network.target network-online.target\n[Service]\nExecStart=/usr/sbin/webd')"
pkg portsock utils /lib/systemd/system/portsock.socket
unit portsock.socket sockets "$(printf '[Socket]\nListenStream=/run/x.sock\nListenStream=[::1]:8389')"
pkg wrapd database /lib/systemd/system/wrapd.service /etc/init.d/wrapd
unit wrapd.service multi-user "$(printf '[Unit]\nDescription=only wraps wrapd@\n[Service]\nType=oneshot\nExecStart=/bin/true')"
printf '#!/bin/sh\n### BEGIN INIT INFO\n# Should-Start: $time $network\n### END INIT INFO\n' >"$R/etc/init.d/wrapd"
# a daemon make deps disables by name (the Makefile's DAEMONS), though
# nothing else marks it; and an enabled link left by a postinst, unowned
unit dirsrv.service multi-user "$(printf '[Service]\nExecStart=/usr/sbin/dirsrv')"
ln -s /dev/null "$R/etc/systemd/system/multi-user.target.wants/gone.service"

out=$(sh "$TOP/tests/fresh/daemons.sh" list "$R/" dirsrv 2>&1)
rc=$?
is "$rc" 0 "list: exit 0"
cls() { printf '%s\n' "$out" | awk -v k="$1" -v n="$2" '$1 == k && $2 == n { print $3, $4, $5 }'; }
is "$(cls systemd dbus.service)" "dbus base not-a-network-daemon" "dbus.service: base (its package is named)"
is "$(cls sysv dbus)" "dbus base not-a-network-daemon" "the dbus init script: base, once for rc2.d and rc3.d"
is "$(printf '%s\n' "$out" | grep -c '^sysv dbus ')" 1 "a start link in several runlevels is one service"
is "$(cls systemd getty@tty1.service)" "systemd base not-a-network-daemon" "getty@tty1: base, found by its template"
is "$(cls systemd remote-fs.target)" "systemd base not-a-daemon(target)" "a target is not a daemon, even after network-online.target"
is "$(cls systemd apt-daily.timer)" "systemd base not-a-daemon(timer)" "a timer is not a daemon"
is "$(cls systemd systemd-pstore.service)" "systemd base not-a-network-daemon" "systemd-pstore: base"
is "$(cls systemd localsock.socket)" "localsock base not-a-network-daemon" "a socket on a path or an abstract name: base"
is "$(cls sysv ldapd)" 'ldapd network needs-$network' 'an init script needing $network: network'
is "$(cls systemd kdcd.service)" "kdcd network package-in-section-net" "a unit of a package in section net: network"
is "$(cls systemd webd.service)" "webd network after-network.target" "a unit after network-online.target: network"
is "$(cls systemd portsock.socket)" "portsock network listens-on-a-port" "a socket on an address and port: network"
is "$(cls systemd wrapd.service)" 'wrapd network needs-$network' 'a wrapper unit whose init script needs $network: network'
is "$(cls systemd dirsrv.service)" "- network listed-in-DAEMONS" "a name make deps disables: network, even unowned"
is "$(cls systemd gone.service)" "- base not-a-network-daemon" "a link to no unit file: listed, base"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 14 "one line per enabled service, nothing else"
out2=$(sh "$TOP/tests/fresh/daemons.sh" list "$R" 2>&1)
is "$(printf '%s\n' "$out2" | awk '$2 == "dirsrv.service" { print $4 }')" base "without the name, dirsrv.service is base"
out=$(sh "$TOP/tests/fresh/daemons.sh" list "$T/nonesuch" 2>&1)
rc=$?
like "$rc:$out" "^1:daemons.sh: .*/nonesuch/etc: no such folder" "a root that is not one: exit 1, naming it"
out=$(sh "$TOP/tests/fresh/daemons.sh" list 2>&1)
rc=$?
like "$rc:$out" "^2:usage: " "list without a root: usage, exit 2"
done_testing
