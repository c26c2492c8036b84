#!/bin/bash
# Builds (once) the cached Debian 13 root that make check-kdc runs its KDC
# in: debootstrap trixie, then Samba AD DC and MIT kinit with PKINIT from
# trixie-backports (Samba 4.24+, the first with strong certificate binding
# enforcement). The root is only ever a cache: check-kdc works on a copy.
set -eu
ROOT=${CB_KDC_CACHE:-/var/cache/certbulk-kdc}/trixie
MIRROR=${CB_KDC_MIRROR:-http://deb.debian.org/debian}
PKGS="samba samba-ad-dc samba-ad-provision samba-dsdb-modules
      krb5-user krb5-pkinit openssl ldb-tools"

[ -e "$ROOT/.certbulk-ready" ] && exit 0
[ "$(id -u)" = 0 ] || { echo "mkroot: needs root (debootstrap, chroot)" >&2; exit 1; }
mkdir -p "$(dirname "$ROOT")"
if [ ! -e "$ROOT/.debootstrap-done" ]; then
	rm -rf "$ROOT"
	debootstrap --variant=minbase trixie "$ROOT" "$MIRROR"
	touch "$ROOT/.debootstrap-done"
fi
cat > "$ROOT/etc/apt/sources.list" <<EOS
deb $MIRROR trixie main
deb $MIRROR trixie-backports main
EOS
# No daemon may start inside the root during package installation.
printf '#!/bin/sh\nexit 101\n' > "$ROOT/usr/sbin/policy-rc.d"
chmod 0755 "$ROOT/usr/sbin/policy-rc.d"
mount -t proc proc "$ROOT/proc"
trap 'umount "$ROOT/proc" 2>/dev/null || true' EXIT
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	--no-install-recommends -t trixie-backports $PKGS
chroot "$ROOT" apt-get clean
chroot "$ROOT" samba --version
touch "$ROOT/.certbulk-ready"
