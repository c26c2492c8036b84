#!/bin/bash
# bench-sync.sh (make bench-sync): the nightly incremental run (issue 10).
# Creates N accounts (N=${BENCH_N:-100000}) in a local slapd and a
# --certdir of N certificates (SAN UPN), maps them once, then times the
# nightly run over the unchanged folder: incremental (only the file
# identities in the state folder's inputs.tsv are compared: nothing is
# read, decoded or looked up) against --full (every file read and every
# account looked up, as before).  Neither writes anything to the
# directory.  Figures depend on the machine; slapd runs with dbnosync.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CERTBULK=${CERTBULK:-$TOP/certbulk}
N=${BENCH_N:-100000}
. "$TOP/tests/dirs/common.sh"
work=$(mktemp -d /tmp/certbulk-bench-sync.XXXXXX)
trap '"$TOP/tests/dirs/slapd.sh" stop "$work/dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

cc -O2 -o "$work/gencerts" "$TOP/tests/bench/gencerts.c" $(pkg-config --cflags --libs libcrypto)
"$work/gencerts" "$N" "$work/data"
eval "$("$TOP/tests/dirs/slapd.sh" start "$work/dir")"
awk -v n="$N" -v base="$CB_BASE" 'BEGIN {
	for (i = 0; i < n; i++) {
		printf "dn: CN=bench%d,CN=Users,%s\n", i, base
		printf "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\nsn: bench%d\ncn: bench%d\n", i, i
		printf "sAMAccountName: bench%d\nuserPrincipalName: bench%d@test.certbulk.lan\n\n", i, i
	}
}' >"$work/users.ldif"
cb_ldap ldapadd -f "$work/users.ldif" >/dev/null

LDAP=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" --state-dir "$work/state")
t() {	# t LABEL COMMAND...: wall-clock seconds and peak RSS
	local s e
	s=$(date +%s.%N)
	/usr/bin/time -o "$work/rss" -f %M "${@:2}" >/dev/null 2>"$work/err" ||
		[ $? -eq 1 ]
	e=$(date +%s.%N)
	awk -v l="$1" -v s="$s" -v e="$e" -v r="$(tail -1 "$work/rss")" \
		'BEGIN { printf "%-44s %8.2f s %8.1f MB\n", l, e - s, r / 1024 }'
	sed -n 's/^certbulk: note: //p' "$work/err" | grep -E 'unchanged|nothing|done' |
		sed 's/^/    /'
}
echo "certbulk nightly sync: $N certificate files, slapd on loopback, $(nproc) cores"
t "first run (maps all, writes inputs.tsv)" "$CERTBULK" "${LDAP[@]}" --certdir "$work/data/certs"
t "nightly no-op, incremental" "$CERTBULK" "${LDAP[@]}" --certdir "$work/data/certs"
t "nightly no-op, --full" "$CERTBULK" "${LDAP[@]}" --full --certdir "$work/data/certs"
t "nightly no-op, incremental, --prune" "$CERTBULK" "${LDAP[@]}" --prune --certdir "$work/data/certs"
