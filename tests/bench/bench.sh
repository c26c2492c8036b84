#!/bin/bash
# bench.sh (make bench): certbulk's throughput against a local directory:
# slapd, or with BENCH_KIND=samba the test Samba AD DC (root; N=2000 is
# plenty there).  Creates N accounts and N certificates
# (N=${BENCH_N:-10000}), then times:
# reading and computing (show), the preview (plan: paged lookups, conflict
# checks), the apply at several --window sizes, the no-op re-run, and the
# undo.  Prints a table of wall-clock seconds and accounts per second.
# Figures depend on the machine; slapd runs with dbnosync.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CERTBULK=${CERTBULK:-$TOP/certbulk}
N=${BENCH_N:-10000}
KIND=${BENCH_KIND:-slapd}
case $KIND in slapd|samba) ;; *) echo "BENCH_KIND: slapd or samba" >&2; exit 2 ;; esac
. "$TOP/tests/dirs/common.sh"
work=$(mktemp -d /tmp/certbulk-bench.XXXXXX)
trap '"$TOP/tests/dirs/$KIND.sh" stop "$work/dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cc -O2 -o "$work/gencerts" "$TOP/tests/bench/gencerts.c" $(pkg-config --cflags --libs libcrypto)
"$work/gencerts" "$N" "$work/data"
eval "$("$TOP/tests/dirs/$KIND.sh" start "$work/dir")"
awk -v n="$N" -v base="$CB_BASE" -v kind="$KIND" 'BEGIN {
	for (i = 0; i < n; i++) {
		printf "dn: CN=bench%d,CN=Users,%s\n", i, base
		if (kind == "samba")
			printf "objectClass: user\n"
		else
			printf "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\nsn: bench%d\ncn: bench%d\n", i, i
		printf "sAMAccountName: bench%d\nuserPrincipalName: bench%d@test.certbulk.lan\n\n", i, i
	}
}' >"$work/users.ldif"
cb_ldap ldapadd -f "$work/users.ldif" >/dev/null

LDAP=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -q --state-dir "$work/state")
t() {	# t LABEL COMMAND...: prints seconds and rate
	local s e
	s=$(date +%s.%N)
	"${@:2}" >/dev/null || [ $? -eq 1 ]
	e=$(date +%s.%N)
	awk -v l="$1" -v s="$s" -v e="$e" -v n="$N" \
		'BEGIN { printf "%-34s %8.2f s %10.0f /s\n", l, e - s, n / (e - s) }'
}
undo_last() { "$CERTBULK" "${LDAP[@]}" undo "$(ls "$work"/state/undo-*.ldif | tail -1)"; }

echo "certbulk benchmark: $N accounts, $KIND on loopback, $(nproc) cores"
t "show (read + compute, 1 process)" "$CERTBULK" show -q --tsv "$work"/data/certs/*.cer
t "preview (lookups + plan)" "$CERTBULK" "${LDAP[@]}" -n --csv "$work/data/users.csv"
for w in 1 8 32 128; do
	t "apply --window $w" "$CERTBULK" "${LDAP[@]}" --window "$w" --csv "$work/data/users.csv"
	[ "$w" = 128 ] && t "re-run (nothing to change)" "$CERTBULK" "${LDAP[@]}" --csv "$work/data/users.csv"
	t "undo --window $w" undo_last
done
