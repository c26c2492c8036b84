#!/bin/bash
# bench.sh (make bench): certbulk's throughput against a local directory:
# slapd, or with BENCH_KIND=samba the test Samba AD DC (root; N=2000 is
# plenty there).  Creates N accounts and N certificates
# (N=${BENCH_N:-10000}), then times:
# reading and computing (show), the preview (plan: paged lookups, conflict
# checks), the apply at several --window sizes, the no-op re-run, and the
# undo.  Prints a table of wall-clock seconds and accounts per second.
# Then the side-by-side comparisons, ratios first: the full apply against
# `ldapmodify -f` of the same changes (certbulk's own preview) on the same
# directory state, and `show --tsv` against a bare d2i_X509 + SHA-1 loop
# (tests/bench/d2iloop.c); peak RSS of each certbulk run.  The table is
# also written as CSV (BENCH_CSV, default bench.csv in the current folder).
# Figures depend on the machine; slapd runs with dbnosync.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CERTBULK=${CERTBULK:-$TOP/certbulk}
N=${BENCH_N:-10000}
KIND=${BENCH_KIND:-slapd}
case $KIND in slapd|samba) ;; *) echo "BENCH_KIND: slapd or samba" >&2; exit 2 ;; esac
. "$TOP/tests/dirs/common.sh"
work=$(mktemp -d /tmp/certbulk-bench.XXXXXX)
PROXY=
trap '[ -z "$PROXY" ] || kill "$PROXY" 2>/dev/null; "$TOP/tests/dirs/$KIND.sh" stop "$work/dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

CSV=${BENCH_CSV:-$PWD/bench.csv}
cc -O2 -o "$work/gencerts" "$TOP/tests/bench/gencerts.c" $(pkg-config --cflags --libs libcrypto)
cc -O2 -o "$work/d2iloop" "$TOP/tests/bench/d2iloop.c" $(pkg-config --cflags --libs libcrypto)
cc -O2 -pthread -o "$work/delayproxy" "$TOP/tests/bench/delayproxy.c"
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
echo "measure,n,seconds,per_second,peak_rss_kb" >"$CSV"
declare -A SEC
t() {	# t LABEL COMMAND...: prints seconds, rate and peak RSS
	local s e rss
	s=$(date +%s.%N)
	if declare -F "$2" >/dev/null; then	# a shell function: no RSS
		"${@:2}" >/dev/null || [ $? -eq 1 ]
		echo 0 >"$work/rss"
	else
		/usr/bin/time -o "$work/rss" -f %M "${@:2}" >/dev/null ||
			[ $? -eq 1 ]
	fi
	e=$(date +%s.%N)
	rss=$(tail -1 "$work/rss")
	SEC[$1]=$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.3f", e - s }')
	awk -v l="$1" -v s="$s" -v e="$e" -v n="$N" -v r="$rss" -v csv="$CSV" \
		'BEGIN { printf "%-40s %8.2f s %10.0f /s %8.1f MB\n", l, e - s,
		    n / (e - s), r / 1024
		    printf "\"%s\",%d,%.3f,%.0f,%d\n", l, n, e - s, n / (e - s),
		    r >>csv }'
}
ratio() {	# ratio LABEL A B: A's seconds / B's seconds
	awk -v l="$1" -v a="${SEC[$2]}" -v b="${SEC[$3]}" -v csv="$CSV" \
		'BEGIN { printf "%-50s %6.2fx  (%.2f s / %.2f s)\n", l, a / b, a, b
		    printf "\"ratio: %s\",,%.3f,,\n", l, a / b >>csv }'
}
undo_last() { "$CERTBULK" "${LDAP[@]}" undo "$(ls "$work"/state/undo-*.ldif | tail -1)"; }

echo "certbulk benchmark: $N accounts, $KIND on loopback, $(nproc) cores"
t "show --tsv (read + compute, 1 process)" "$CERTBULK" show -q --tsv "$work"/data/certs/*.cer
t "d2i_X509 + SHA-1 loop (baseline)" "$work/d2iloop" "$work"/data/certs/*.cer
# the same changes by ldapmodify: certbulk's preview, applied, then removed
"$CERTBULK" "${LDAP[@]}" -n --output "$work/plan.ldif" --csv "$work/data/users.csv" || [ $? -eq 1 ]
sed 's/^add: altSecurityIdentities$/delete: altSecurityIdentities/' \
	"$work/plan.ldif" >"$work/unplan.ldif"
LM=(env LDAPTLS_REQCERT=demand ldapmodify -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE")
t "ldapmodify -f (certbulk's preview)" "${LM[@]}" -f "$work/plan.ldif"
"${LM[@]}" -f "$work/unplan.ldif" >/dev/null
t "apply (full run: read, plan, write)" "$CERTBULK" "${LDAP[@]}" --csv "$work/data/users.csv"
undo_last >/dev/null
# the same through a proxy adding 2 ms to every round trip (a WAN); it
# stops by itself after an hour at the latest
if [ "$KIND" = slapd ]; then
	"$work/delayproxy" "${CB_URI_LDAPS##*:}" 2000 3600 >"$work/proxy.port" &
	PROXY=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$work/proxy.port" ] && break; sleep 0.2; done
	PURI="ldaps://127.0.0.1:$(cat "$work/proxy.port")"
	t "ldapmodify -f, 2 ms round trip" "${LM[@]/$CB_URI_LDAPS/$PURI}" -f "$work/plan.ldif"
	"${LM[@]}" -f "$work/unplan.ldif" >/dev/null
	PLDAP=("${LDAP[@]/$CB_URI_LDAPS/$PURI}")
	t "apply, 2 ms round trip" "$CERTBULK" "${PLDAP[@]}" --csv "$work/data/users.csv"
	undo_last >/dev/null
fi
t "preview (lookups + plan)" "$CERTBULK" "${LDAP[@]}" -n --csv "$work/data/users.csv"
for w in 1 8 32 128; do
	t "apply --window $w" "$CERTBULK" "${LDAP[@]}" --window "$w" --csv "$work/data/users.csv"
	[ "$w" = 128 ] && t "re-run (nothing to change)" "$CERTBULK" "${LDAP[@]}" --csv "$work/data/users.csv"
	t "undo --window $w" undo_last
done
echo
echo "side by side (ratios first, then seconds):"
ratio "show --tsv / d2i_X509+SHA-1 loop" "show --tsv (read + compute, 1 process)" "d2i_X509 + SHA-1 loop (baseline)"
ratio "full apply / ldapmodify -f of the same changes" "apply (full run: read, plan, write)" "ldapmodify -f (certbulk's preview)"
[ -n "$PROXY" ] && ratio "the same through a 2 ms round-trip proxy" "apply, 2 ms round trip" "ldapmodify -f, 2 ms round trip"
echo "CSV: $CSV"
