#!/bin/bash
# tests/kdc/check-kdc.sh (make check-kdc): the logon proof.
#
# Runs a Samba AD DC whose KDC enforces strong certificate binding
# (Samba 4.24+, "strong certificate binding enforcement = full") in a
# throwaway Debian 13 root on 127.0.0.9 only, trusts a third-party test CA
# for PKINIT, maps users with the certbulk built on this host (over LDAPS
# from the host) and logs on with MIT kinit -X X509_user_identity=... from
# inside the root.  TAP output; every case checks the KDC's verdict.
#
# The root is built once by tests/kdc/mkroot.sh into
# ${CB_KDC_CACHE:-/var/cache/certbulk-kdc}/trixie and is never changed: each
# run mounts an overlay over it (upper layer in a temporary folder), with
# /proc, /sys and a private /dev, and unmounts and removes everything on
# exit, failure or interrupt.  Needs root.  Loopback only.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
TOP=$(cd "$HERE/../.." && pwd -P)
CERTBULK=${CERTBULK:-$TOP/build/certbulk}
CACHE=${CB_KDC_CACHE:-/var/cache/certbulk-kdc}
IP=${CB_KDC_IP:-127.0.0.9}	# one loopback address per concurrent user
REALM=KDC.CERTBULK.LAN
DNSDOMAIN=kdc.certbulk.lan
NETBIOS=KDCCB
BASE='DC=kdc,DC=certbulk,DC=lan'
ADMIN_DN="CN=Administrator,CN=Users,$BASE"

n=0
fails=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); fails=$((fails + 1)); echo "not ok $n - $*"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }
die() { echo "Bail out! $*"; exit 1; }

[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (debootstrap, chroot, mounts)"; exit 0; }
[ -x "$CERTBULK" ] || die "certbulk not built ($CERTBULK)"
for c in debootstrap chroot openssl ldapmodify ldapsearch mount umount setsid; do
	command -v "$c" >/dev/null 2>&1 || die "missing command: $c"
done

t0=$(date +%s)
"$HERE/mkroot.sh" || die "could not build the Debian 13 root in $CACHE/trixie"
LOWER=$CACHE/trixie
t_root=$(($(date +%s) - t0))

W=$(mktemp -d -t cb-kdc.XXXXXX)
R=$W/root
SAMBA_PID=
MOUNTS=()

cleanup() {
	local rc=$? i
	set +e
	if [ -n "$SAMBA_PID" ]; then
		# samba runs in its own session: stop the whole group.
		kill -TERM -- "-$SAMBA_PID" 2>/dev/null
		for i in $(seq 50); do
			kill -0 -- "-$SAMBA_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL -- "-$SAMBA_PID" 2>/dev/null
	fi
	# Anything else still running inside the root (by its root directory).
	for i in /proc/[0-9]*; do
		[ "$(readlink "$i/root" 2>/dev/null)" = "$R" ] &&
			kill -KILL "${i#/proc/}" 2>/dev/null
	done
	for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do
		umount "${MOUNTS[i]}" 2>/dev/null || umount -l "${MOUNTS[i]}"
	done
	if grep -q " $W" /proc/mounts; then
		echo "# check-kdc: still mounted under $W, not removing it" >&2
		rc=1
	else
		rm -rf -- "$W"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mnt() { mount "$@"; MOUNTS+=("${!#}"); }

mkdir -p "$W/upper" "$W/work" "$R"
mnt -t overlay overlay -o "lowerdir=$LOWER,upperdir=$W/upper,workdir=$W/work" "$R"
mnt -t proc proc "$R/proc"
mnt -t sysfs sysfs "$R/sys"
mnt -t tmpfs -o mode=0755,nosuid dev "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mkdir -m 1777 "$R/dev/shm"
ln -s /proc/self/fd "$R/dev/fd"

# in_root CMD...: a command inside the root, clean environment.
in_root() {
	chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root LANG=C.UTF-8 "$@"
}

SAMBA_VERSION=$(in_root samba --version)
diag "$SAMBA_VERSION in $LOWER (root built/checked in ${t_root}s)"
ok "Debian 13 root with $SAMBA_VERSION"

# wait_free: Samba's ports cannot move; if something else holds them on
# $IP, wait for it (up to CB_KDC_WAIT seconds, default 600).
wait_free() {
	local p waited=0 busy
	while :; do
		busy=
		for p in 88 389 636 3268; do
			ss -ltnH "src $IP:$p" 2>/dev/null | grep -q . && busy=$p
		done
		[ -n "$busy" ] || return 0
		[ "$waited" -lt "${CB_KDC_WAIT:-600}" ] ||
			die "something else listens on $IP:$busy"
		[ "$waited" -gt 0 ] || diag "something listens on $IP:$busy; waiting for it to go"
		sleep 2
		waited=$((waited + 2))
	done
}
wait_free

# --- the domain ---------------------------------------------------------
I=/inst
D=$R$I
mkdir -p "$D/etc" "$D/log" "$D/pki" "$D/tls"
chmod 700 "$D"
smbconf() {
	mkdir -p "$D/private" "$D/bind-dns" "$D/lock" "$D/cache" "$D/run" \
		"$D/state/sysvol/$DNSDOMAIN/scripts"
	cat >"$D/etc/smb.conf" <<EOF
[global]
	netbios name = DC1
	realm = $REALM
	workgroup = $NETBIOS
	server role = active directory domain controller
	server services = ldap, kdc
	interfaces = $IP/8
	bind interfaces only = yes
	ldb:nosync = true
	private dir = $I/private
	binddns dir = $I/bind-dns
	lock directory = $I/lock
	state directory = $I/state
	cache directory = $I/cache
	pid directory = $I/run
	ncalrpc dir = $I/run/ncalrpc
	log file = $I/log/log.samba
	logging = file
	log level = 3
	max log size = 0
	panic action =
	tls enabled = yes
	tls keyfile = $I/tls/server.key
	tls certfile = $I/tls/server.crt
	tls cafile = $I/tls/ca.crt
	strong certificate binding enforcement = full

[sysvol]
	path = $I/state/sysvol
	read only = No

[netlogon]
	path = $I/state/sysvol/$DNSDOMAIN/scripts
	read only = No
EOF
}
smbconf
t1=$(date +%s)
# No --adminpass: the password stays off every command line.
if ! in_root samba-tool domain provision -s $I/etc/smb.conf --targetdir=$I \
	--realm=$REALM --domain=$NETBIOS --server-role=dc --dns-backend=NONE \
	--host-name=dc1 --option="interfaces=$IP/8" \
	--option="bind interfaces only=yes" >"$D/log/provision.log" 2>&1; then
	tail -n 20 "$D/log/provision.log" | sed 's/^/# /'
	die "samba-tool domain provision failed"
fi
(umask 077; sed -n 's/^.*Admin password: *//p' "$D/log/provision.log" |
	tail -n 1 | tr -d '\n' >"$W/password")
sed -i 's/\(Admin password: *\).*/\1(elsewhere)/' "$D/log/provision.log"
[ -s "$W/password" ] || die "no generated Admin password"
smbconf	# provision rewrote it
ok "domain $REALM provisioned in $(($(date +%s) - t1))s"

# --- certificates -------------------------------------------------------
# LDAPS for certbulk on the host: a server certificate for 127.0.0.9.
. "$TOP/tests/dirs/lib.sh"
CBD_PROG=check-kdc
cbd_make_tls "$D/tls" dc1.$DNSDOMAIN "IP:$IP,DNS:dc1.$DNSDOMAIN"

P=$D/pki
# Two third-party CAs (not the domain's own): CA1 a plain name, CA2 with
# emailAddress in its name (Samba's KDC spells it differently).
mkca() {
	openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$P/$1.key" \
		-out "$P/$1.pem" -days 3650 -subj "$2" \
		-addext 'basicConstraints=critical,CA:TRUE' \
		-addext 'keyUsage=critical,keyCertSign,cRLSign' \
		-addext 'subjectKeyIdentifier=hash' 2>>"$W/openssl.log"
}
mkca ca1 "/C=DE/O=Certbulk Third Party/CN=Certbulk PKINIT Test CA"
mkca ca2 "/C=DE/O=Certbulk Third Party/CN=Certbulk Mail CA/emailAddress=pki@example.org"
cat "$P/ca1.pem" "$P/ca2.pem" >"$P/anchors.pem"

# The KDC's certificate: id-pkinit-san krbtgt/REALM@REALM, EKU id-pkinit-KPKdc.
cat >"$P/kdc.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyAgreement
extendedKeyUsage = 1.3.6.1.5.2.3.5
subjectAltName = otherName:1.3.6.1.5.2.2;SEQUENCE:kdc_princ, DNS:dc1.$DNSDOMAIN
[kdc_princ]
realm = EXP:0,GeneralString:$REALM
principal_name = EXP:1,SEQUENCE:kdc_pname
[kdc_pname]
name_type = EXP:0,INTEGER:2
name_string = EXP:1,SEQUENCE:kdc_names
[kdc_names]
n1 = GeneralString:krbtgt
n2 = GeneralString:$REALM
EOF
openssl req -new -newkey rsa:2048 -nodes -keyout "$P/kdc.key" \
	-subj "/O=Certbulk Third Party/CN=dc1.$DNSDOMAIN" -out "$P/kdc.csr" \
	2>>"$W/openssl.log"
openssl x509 -req -in "$P/kdc.csr" -CA "$P/ca1.pem" -CAkey "$P/ca1.key" \
	-set_serial 0x1001 -days 3650 -extfile "$P/kdc.ext" -out "$P/kdc.pem" \
	2>>"$W/openssl.log"

# leaf NAME CA SERIAL SUBJECT UPN: a smart-card logon certificate whose SAN
# names the user (MS UPN otherName): Samba's KDC requires that as well.
leaf() {
	cat >"$P/$1.ext" <<EOF
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth, 1.3.6.1.4.1.311.20.2.2, 1.3.6.1.5.2.3.4
subjectKeyIdentifier = hash
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:$5
EOF
	openssl req -new -newkey rsa:2048 -nodes -keyout "$P/$1.key" \
		-subj "$4" -out "$P/$1.csr" 2>>"$W/openssl.log" &&
		openssl x509 -req -in "$P/$1.csr" -CA "$P/$2.pem" \
			-CAkey "$P/$2.key" -set_serial "0x$3" -days 3650 \
			-extfile "$P/$1.ext" -out "$P/$1.pem" 2>>"$W/openssl.log"
}

krb5conf() {
	cat >"$D/etc/krb5.conf" <<EOF
[libdefaults]
	default_realm = $REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	dns_canonicalize_hostname = false
[realms]
	$REALM = {
		kdc = $IP
		pkinit_anchors = FILE:$I/pki/anchors.pem
	}
[kdc]
	enable-pkinit = true
	pkinit_identity = FILE:$I/pki/kdc.pem,$I/pki/kdc.key
	pkinit_anchors = FILE:$I/pki/anchors.pem
EOF
}
krb5conf
chmod 600 "$P"/*.key

# --- start --------------------------------------------------------------
# The KDC reads the krb5.conf next to smb.conf (Heimdal [kdc] options).
wait_free
setsid chroot "$R" /usr/bin/env -i PATH=/usr/sbin:/usr/bin HOME=/root \
	LANG=C.UTF-8 samba -s $I/etc/smb.conf -l $I/log -F -M single \
	</dev/null >"$D/log/samba.out" 2>&1 &
SAMBA_PID=$!
export LDAPTLS_CACERT=$D/tls/ca.crt LDAPTLS_REQCERT=demand
up=
for i in $(seq 600); do
	kill -0 "$SAMBA_PID" 2>/dev/null || break
	if ldapsearch -x -H "ldaps://$IP" -o nettimeout=2 -b '' -s base -LLL \
		1.1 >/dev/null 2>&1; then
		up=1
		break
	fi
	sleep 0.1
done
[ -n "$up" ] || { tail -n 30 "$D/log/samba.out" "$D/log/log.samba" | sed 's/^/# /'; die "samba did not start"; }
ok "samba answers on ldaps://$IP"

LDAP=(-H "ldaps://$IP" -x -D "$ADMIN_DN" -y "$W/password")

# user NAME: an enabled account (random password) with UPN NAME@dnsdomain.
user() {
	in_root samba-tool user create "$1" --random-password \
		-s $I/etc/smb.conf -H "tdb://$I/private/sam.ldb" >>"$D/log/users.log" 2>&1
}

# set_values NAME VALUE...: replace the user's altSecurityIdentities
# (none given: remove them), bypassing certbulk.
set_values() {
	local u=$1 v
	shift
	{
		printf 'dn: CN=%s,CN=Users,%s\nchangetype: modify\n' "$u" "$BASE"
		if [ $# -eq 0 ]; then
			printf 'replace: altSecurityIdentities\n-\n\n'
		else
			printf 'replace: altSecurityIdentities\n'
			for v; do printf 'altSecurityIdentities: %s\n' "$v"; done
			printf -- '-\n\n'
		fi
	} | ldapmodify "${LDAP[@]}" >/dev/null
}

# logon NAME CERT: MIT kinit with the certificate, inside the root.
# Prints kinit's message; true when a ticket was issued.
logon() {
	local rc
	: >"$D/log/log.samba.mark"
	set +e
	in_root env KRB5_CONFIG=$I/etc/krb5.conf KRB5CCNAME=FILE:$I/ccache \
		kinit -X "X509_user_identity=FILE:$I/pki/$2.pem,$I/pki/$2.key" \
		"$1@$REALM" </dev/null >"$W/kinit.out" 2>&1
	rc=$?
	set -e
	in_root env KRB5CCNAME=FILE:$I/ccache kdestroy >/dev/null 2>&1 || true
	return $rc
}
kdc_said() { tail -c 4000 "$D/log/log.samba" | grep -E 'PKINIT|certificate mapping' | tail -n 3; }

# expect ok|refused NAME CERT DESCRIPTION
expect() {
	local want=$1 u=$2 c=$3 what=$4 got
	if logon "$u" "$c"; then got=ok; else got=refused; fi
	if [ "$got" = "$want" ]; then
		ok "$what: $want"
	else
		nok "$what: expected $want, got $got"
	fi
	diag "kinit: $(tr '\n' ' ' <"$W/kinit.out")"
	[ "$got" = ok ] || diag "kdc: $(kdc_said | tr '\n' ' ')"
}

# certbulk on the host maps CERT to NAME with the forms TYPES, writing an
# undo file; unmap undoes it (so each case starts from no mapping).
STATE=$W/state
mkdir -m 700 "$STATE"
map() {
	printf 'user,certificate\n%s,%s\n' "$1" "$P/$2.pem" >"$W/users.csv"
	"$CERTBULK" "${LDAP[@]}" -b "$BASE" --state-dir "$STATE" -q \
		--type "$3" "${@:4}" --csv "$W/users.csv"
}
unmap() {
	local f
	f=$(ls -t "$STATE"/undo-*.ldif | head -n 1)
	"$CERTBULK" "${LDAP[@]}" -b "$BASE" --state-dir "$STATE" -q undo "$f"
}

for u in alice bob carol; do user "$u" || die "cannot create user $u"; done
leaf alice ca1 1234 "/O=Certbulk Third Party/CN=Alice" "alice@$DNSDOMAIN"
# A serial whose top bit is set: DER 00 8A 12 (sign byte).
leaf bob ca1 8A12 "/O=Certbulk Third Party/CN=Bob" "bob@$DNSDOMAIN"
leaf carol ca2 4321 "/O=Certbulk Third Party/CN=Carol" "carol@$DNSDOMAIN"
leaf mallory ca1 1235 "/O=Certbulk Third Party/CN=Alice" "alice@$DNSDOMAIN"

val() { "$CERTBULK" show --type "$2" --tsv "$P/$1.pem" | cut -f4; }

# --- the cases ----------------------------------------------------------
expect refused alice alice "no mapping"

for form in X509IssuerSerialNumber X509SKI X509SHA1PublicKey; do
	if map alice alice $form; then
		expect ok alice alice "certbulk $form ($(val alice $form))"
		unmap || nok "undo after $form"
	else
		nok "certbulk --type $form failed"
	fi
done

# The same issuer, another serial: a different certificate's mapping.
set_values alice "$(val mallory X509IssuerSerialNumber)"
expect refused alice alice "wrong value (another certificate's issuer+serial)"
# Bytes not reversed (a script bug).
ser=$(openssl x509 -in "$P/alice.pem" -noout -serial | sed 's/serial=//')
issuer=$(val alice X509IssuerSerialNumber | sed 's/<SR>.*//')
set_values alice "$issuer<SR>$ser"
expect refused alice alice "serial in forward byte order ($ser)"
set_values alice "$(val alice X509IssuerSubject)"
expect refused alice alice "weak X509IssuerSubject under full enforcement"
set_values alice "$(val alice X509SubjectOnly)"
expect refused alice alice "weak X509SubjectOnly under full enforcement"
set_values alice

# --- how Samba's KDC compares values (findings, see README) -------------
w=$(val bob X509IssuerSerialNumber)
set_values bob "$w"
if logon bob bob; then r=ok; else r=refused; fi
diag "finding: serial with top bit, Windows form $w: $r"
s=${w%00}
set_values bob "$s"
if logon bob bob; then r2=ok; else r2=refused; fi
diag "finding: the same without the trailing 00 sign byte ($s): $r2"
# check: the measured behaviour (README); if a Samba release changes it,
# this fails and the README and --kdc samba advice must change with it.
check() { if [ "$1" = "$2" ]; then ok "$3"; else nok "$3 (measured: $1)"; fi; }
check "$r/$r2" refused/ok "top-bit serial: Windows form (with 00) refused, without the sign byte logs on"
set_values bob

w=$(val carol X509IssuerSerialNumber)
set_values carol "$w"
if logon carol carol; then r=ok; else r=refused; fi
diag "finding: issuer with E= ($w): $r"
s=${w/E=/emailAddress=}
set_values carol "$s"
if logon carol carol; then r2=ok; else r2=refused; fi
diag "finding: the same with emailAddress= ($s): $r2"
check "$r/$r2" refused/ok "issuer with E= refused, with emailAddress= logs on"
set_values carol

w=$(val alice X509IssuerSerialNumber)
lc=$(printf '%s' "$w" | sed 's/<I>\(.*\)<SR>/<I>\L\1\E<SR>/')
set_values alice "$lc"
if logon alice alice; then r=ok; else r=refused; fi
diag "finding: issuer in lower case ($lc): $r"
sk=$(val alice X509SKI)
set_values alice "X509:<SKI>$(printf '%s' "${sk#X509:<SKI>}" | tr 'A-F' 'a-f')"
if logon alice alice; then r2=ok; else r2=refused; fi
diag "finding: SKI hex in lower case: $r2"
check "$r/$r2" refused/ok "issuer name in other letter case refused, hex digits in lower case log on"
set_values alice

# the account's altSecurityIdentities values, for the diagnostics
cb_vals() {
	ldapsearch "${LDAP[@]}" -LLL -o ldif-wrap=no -b "CN=$1,CN=Users,$BASE" \
		-s base altSecurityIdentities | sed -n 's/^altSecurityIdentities: //p' | tr '\n' ' '
}
# --kdc samba writes those forms: the certificates that the Windows form
# fails for above log on with what certbulk writes.
for u in bob carol; do
	if map "$u" "$u" X509IssuerSerialNumber --kdc samba; then
		expect ok "$u" "$u" "certbulk --kdc samba X509IssuerSerialNumber ($(cb_vals "$u"))"
		unmap || nok "undo after --kdc samba"
	else
		nok "certbulk --kdc samba for $u failed"
	fi
done

elapsed=$(($(date +%s) - t0))
diag "check-kdc: ${elapsed}s in all; root $(du -sh "$LOWER" 2>/dev/null | cut -f1) in $LOWER, run layer $(du -sh "$W/upper" 2>/dev/null | cut -f1)"
echo "1..$n"
[ "$fails" -eq 0 ]
