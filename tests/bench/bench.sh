#!/bin/bash
# bench.sh (make bench): certbulk's speed and memory against a local
# directory: slapd, or with BENCH_KIND=samba the test Samba AD DC (root;
# N=2000 is plenty there).  Creates accounts and certificates, then:
#
# 1. side by side at BENCH_N (default 20000) accounts, ratios first, each
#    the median of BENCH_REPEAT (default 3) runs: `show --tsv` against a
#    bare d2i_X509 + SHA-1 loop (tests/bench/d2iloop.c); the full apply
#    against `ldapmodify -f` of the same changes (certbulk's own preview)
#    on the same directory state; the same through tests/bench/delayproxy.c
#    adding 2 ms to every round trip (BENCH_PROXY=0 leaves it out);
# 2. the stages at BENCH_N: preview, apply --window 1/8/32/128, re-run,
#    undo;
# 3. scaling over BENCH_NS (default "1000 20000 100000"): seconds,
#    microseconds per account and peak RSS of show, preview, apply,
#    undo and the undo of that undo (which adds every value back) at each
#    N (the per-account cost should stay flat), and `show`,
#    the d2i loop and a preview (BENCH_SHOW_N accounts loaded) at
#    BENCH_SHOW_N (default 1000000; 0 leaves them out; BENCH_BIG_PREVIEW=0
#    leaves out the preview and its accounts).
#
# BENCH_ONLY=show measures only what needs no directory: `show --tsv`
# against the d2i loop at BENCH_N (median of BENCH_REPEAT), at each of
# BENCH_NS and at BENCH_SHOW_N (one run each), ratios first.
#
# Every line carries the load average when it was measured (the machine
# may be shared).  The table is also written as CSV (BENCH_CSV, default
# bench.csv in the current folder).  slapd runs with dbnosync.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/../.." && pwd)
CERTBULK=${CERTBULK:-$TOP/certbulk}
N=${BENCH_N:-20000}
NS=${BENCH_NS:-1000 20000 100000}
SHOWN=${BENCH_SHOW_N:-1000000}
BIGPREV=${BENCH_BIG_PREVIEW:-1}
# a million accounts do not fit in the test slapd's 1 GB map
export CB_SLAPD_MAXSIZE=${CB_SLAPD_MAXSIZE:-8589934592}
REP=${BENCH_REPEAT:-3}
ONLY=${BENCH_ONLY:-}
case $ONLY in ''|show) ;; *) echo "BENCH_ONLY: show, or unset for everything" >&2; exit 2 ;; esac
KIND=${BENCH_KIND:-slapd}
case $KIND in slapd|samba) ;; *) echo "BENCH_KIND: slapd or samba" >&2; exit 2 ;; esac
[ "$KIND" = samba ] && : "${BENCH_PROXY:=0}"
PROXYON=${BENCH_PROXY:-1}
. "$TOP/tests/dirs/common.sh"
work=$(mktemp -d /tmp/certbulk-bench.XXXXXX)
PROXY=
trap '[ -z "$PROXY" ] || kill "$PROXY" 2>/dev/null; "$TOP/tests/dirs/$KIND.sh" stop "$work/dir" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

CSV=${BENCH_CSV:-$PWD/bench.csv}
cc -O2 -o "$work/gencerts" "$TOP/tests/bench/gencerts.c" $(pkg-config --cflags --libs libcrypto)
cc -O2 -o "$work/d2iloop" "$TOP/tests/bench/d2iloop.c" $(pkg-config --cflags --libs libcrypto)
cc -O2 -pthread -o "$work/delayproxy" "$TOP/tests/bench/delayproxy.c"
max=$N
for n in $NS; do [ "$n" -gt "$max" ] && max=$n; done
"$work/gencerts" "$max" "$work/data"
if [ -n "$ONLY" ]; then
	CB_URI_LDAPS= CB_BIND_DN= CB_PWFILE=	# no directory
else
	eval "$("$TOP/tests/dirs/$KIND.sh" start "$work/dir")"
fi

# accounts bench0..bench(N-1), added as the sizes grow
LOADED=0
load() {
	[ "$1" -le "$LOADED" ] && return 0
	awk -v from="$LOADED" -v n="$1" -v base="$CB_BASE" -v kind="$KIND" 'BEGIN {
		for (i = from; i < n; i++) {
			printf "dn: CN=bench%d,CN=Users,%s\n", i, base
			if (kind == "samba")
				printf "objectClass: user\n"
			else
				printf "objectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\nsn: bench%d\ncn: bench%d\n", i, i
			printf "sAMAccountName: bench%d\nuserPrincipalName: bench%d@test.certbulk.lan\n\n", i, i
		}
	}' >"$work/users.ldif"
	cb_ldap ldapadd -f "$work/users.ldif" >/dev/null
	LOADED=$1
}
# the first N rows of the CSV, and the first N certificate files
csvn() { head -n $(($1 + 1)) "$work/data/users.csv" >"$work/data/users-$1.csv"; }
certs() { CERTS=(); for ((i = 0; i < $1; i++)); do CERTS+=("$work/data/certs/bench$i.cer"); done; }

LDAP=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -q --state-dir "$work/state")
LM=(env LDAPTLS_REQCERT=demand ldapmodify -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE")
echo "measure,n,seconds,us_per_account,per_second,peak_rss_kb,runs,load1,cpu_seconds" >"$CSV"
declare -A SEC CPU
load1() { cut -d' ' -f1 /proc/loadavg; }

# m LABEL N RUNS BEFORE AFTER COMMAND...: runs COMMAND RUNS times, BEFORE
# and AFTER (shell commands, untimed) around each; prints and records the
# median seconds, the largest peak RSS and the load average.
m() {
	local label=$1 n=$2 runs=$3 before=$4 after=$5 r s e la
	local -a secs=() cpus=()
	local rss=0 x c
	shift 5
	la=$(load1)
	for ((r = 0; r < runs; r++)); do
		eval "$before"
		s=$(date +%s.%N)
		/usr/bin/time -o "$work/rss" -f '%M %U %S' "$@" >/dev/null 2>"$work/err" ||
			[ $? -eq 1 ] || { cat "$work/err" >&2; echo "bench: $label failed" >&2; exit 1; }
		e=$(date +%s.%N)
		secs+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.4f", e - s }')")
		read -r x c <<<"$(tail -1 "$work/rss" | awk '{ printf "%d %.2f", $1, $2 + $3 }')"
		cpus+=("$c")
		[ "$x" -gt "$rss" ] && rss=$x
		eval "$after"
	done
	s=$(printf '%s\n' "${secs[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	c=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	SEC[$label]=$s
	CPU[$label]=$c
	awk -v l="$label" -v s="$s" -v n="$n" -v r="$rss" -v k="$runs" \
	    -v la="$la" -v c="$c" -v csv="$CSV" 'BEGIN {
		printf "%-44s %8d %9.3f s %8.1f us/acct %9.1f MB  cpu %.2f s  (%s run%s, load %s)\n",
		    l, n, s, s * 1e6 / n, r / 1024, c, k, (k > 1 ? "s, median" : ""), la
		printf "\"%s\",%d,%.4f,%.1f,%.0f,%d,%d,%s,%.2f\n", l, n, s, s * 1e6 / n,
		    n / s, r, k, la, c >>csv }'
}
# ratio LABEL A B: A's seconds / B's seconds; then the same for the CPU
# seconds (user + system) of the two processes, which a loaded machine
# distorts less (the directory server's share is not in it)
ratio() {
	awk -v l="$1" -v a="${SEC[$2]}" -v b="${SEC[$3]}" -v ca="${CPU[$2]}" \
	    -v cb="${CPU[$3]}" -v la="$(load1)" -v csv="$CSV" 'BEGIN {
		printf "%-50s %6.2fx  (%.2f s / %.2f s, load %s)", l, a / b, a, b, la
		if (cb > 0)
			printf "; cpu %.2fx (%.2f s / %.2f s)", ca / cb, ca, cb
		printf "\n"
		printf "\"ratio: %s\",,%.4f,,,,,%s,%s\n", l, a / b, la,
		    (cb > 0 ? sprintf("%.3f", ca / cb) : "") >>csv }'
}
newest() { ls "$work"/state/undo-*.ldif | tail -1; }
# undo the newest run (untimed, between repetitions)
unrun() { "$CERTBULK" "${LDAP[@]}" undo "$(newest)" >/dev/null 2>&1 || [ $? -eq 1 ]; }

# bigshow: BENCH_SHOW_N certificates of their own in $work/big, then show
# --tsv and the d2i loop over them.  A million names do not fit in one
# argv (Linux caps it at 6 MB whatever the stack limit): both programs
# get them 50,000 at a time through xargs (the peak RSS is then one
# batch's).
bigshow() {
	local xa='cd "$0" && printf "%s\0" *.cer | xargs -0 -n 50000 "$@"'
	CERTS=()
	"$work/gencerts" "$SHOWN" "$work/big"
	m "show --tsv (xargs)" "$SHOWN" 1 : : bash -c "$xa" "$work/big/certs" "$CERTBULK" show -q --tsv
	m "d2i_X509 + SHA-1 loop (xargs)" "$SHOWN" 1 : : bash -c "$xa" "$work/big/certs" "$work/d2iloop"
}

# show-cmp LABEL-SUFFIX N RUNS: show --tsv and the d2i loop over the first
# N bench certificates (or, N = BENCH_SHOW_N beyond the others, a corpus
# of its own)
if [ "$ONLY" = show ]; then
	echo "certbulk benchmark, show only: $(nproc) cores, N=$N, sizes $NS and $SHOWN, median of $REP at N"
	echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	RATIOS=
	showcmp() {
		m "show --tsv" "$1" "$2" : : "$CERTBULK" show -q --tsv "${CERTS[@]}"
		m "d2i_X509 + SHA-1 loop" "$1" "$2" : : "$work/d2iloop" "${CERTS[@]}"
		RATIOS+=$(ratio "show --tsv / d2i_X509+SHA-1 loop, N=$1" "show --tsv" "d2i_X509 + SHA-1 loop")$'\n'
	}
	ulimit -s unlimited 2>/dev/null || ulimit -s 4194304	# argv of many names
	certs "$N"
	showcmp "$N" "$REP"
	for n in $NS; do
		[ "$n" = "$N" ] && continue
		certs "$n"
		showcmp "$n" 1
	done
	if [ "$SHOWN" -gt 0 ]; then
		bigshow
		RATIOS+=$(ratio "show --tsv / d2i_X509+SHA-1 loop, N=$SHOWN" "show --tsv (xargs)" "d2i_X509 + SHA-1 loop (xargs)")$'\n'
		rm -rf "$work/big"
	fi
	echo
	echo "show --tsv against the d2i loop (ratios first, then seconds; median of $REP at N=$N):"
	printf '%s' "$RATIOS"
	echo "CSV: $CSV"
	exit 0
fi

echo "certbulk benchmark: $KIND on loopback, $(nproc) cores, N=$N, sizes $NS, median of $REP"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
load "$N"
csvn "$N"
certs "$N"
UCSV=$work/data/users-$N.csv

echo
echo "== side by side at N=$N (ratios below)"
m "show --tsv" "$N" "$REP" : : "$CERTBULK" show -q --tsv "${CERTS[@]}"
m "d2i_X509 + SHA-1 loop" "$N" "$REP" : : "$work/d2iloop" "${CERTS[@]}"
# the same changes by ldapmodify: certbulk's preview, applied, then removed
"$CERTBULK" "${LDAP[@]}" -n --output "$work/plan.ldif" --csv "$UCSV" || [ $? -eq 1 ]
sed 's/^add: altSecurityIdentities$/delete: altSecurityIdentities/' \
	"$work/plan.ldif" >"$work/unplan.ldif"
unplan() { "${LM[@]}" -f "$work/unplan.ldif" >/dev/null; }
m "ldapmodify -f (certbulk's preview)" "$N" "$REP" : unplan "${LM[@]}" -f "$work/plan.ldif"
m "apply (full run: read, plan, write)" "$N" "$REP" : unrun "$CERTBULK" "${LDAP[@]}" --csv "$UCSV"
# the same through a proxy adding 2 ms to every round trip (a WAN); it
# stops by itself after two hours at the latest
if [ "$PROXYON" = 1 ]; then
	"$work/delayproxy" "${CB_URI_LDAPS##*:}" 2000 7200 >"$work/proxy.port" &
	PROXY=$!
	for _ in 1 2 3 4 5 6 7 8 9 10; do [ -s "$work/proxy.port" ] && break; sleep 0.2; done
	PURI="ldaps://127.0.0.1:$(cat "$work/proxy.port")"
	m "ldapmodify -f, 2 ms round trip" "$N" "$REP" : unplan "${LM[@]/$CB_URI_LDAPS/$PURI}" -f "$work/plan.ldif"
	PLDAP=("${LDAP[@]/$CB_URI_LDAPS/$PURI}")
	m "apply, 2 ms round trip" "$N" "$REP" : unrun "$CERTBULK" "${PLDAP[@]}" --csv "$UCSV"
	m "preview, 2 ms round trip" "$N" "$REP" : : "$CERTBULK" "${PLDAP[@]}" -n --csv "$UCSV"
fi

ratios() {
	ratio "show --tsv / d2i_X509+SHA-1 loop" "show --tsv" "d2i_X509 + SHA-1 loop"
	ratio "full apply / ldapmodify -f of the same changes" "apply (full run: read, plan, write)" "ldapmodify -f (certbulk's preview)"
	if [ "$PROXYON" = 1 ]; then
		ratio "the same through a 2 ms round-trip proxy" "apply, 2 ms round trip" "ldapmodify -f, 2 ms round trip"
	fi
}
RATIOS=$(ratios)
echo "$RATIOS"

echo
echo "== stages at N=$N"
m "preview (lookups + plan)" "$N" "$REP" : : "$CERTBULK" "${LDAP[@]}" -n --csv "$UCSV"
for w in 1 8 32 128; do
	m "apply --window $w" "$N" 1 : : "$CERTBULK" "${LDAP[@]}" --window "$w" --csv "$UCSV"
	[ "$w" = 128 ] && m "re-run (nothing to change)" "$N" 1 : : "$CERTBULK" "${LDAP[@]}" --csv "$UCSV"
	m "undo --window $w" "$N" 1 : : "$CERTBULK" "${LDAP[@]}" --window "$w" undo "$(newest)"
done

echo
echo "== scaling (per-account cost and peak memory by N)"
for n in $NS; do
	load "$n"
	csvn "$n"
	certs "$n"
	m "show --tsv" "$n" 1 : : "$CERTBULK" show -q --tsv "${CERTS[@]}"
	m "preview" "$n" 1 : : "$CERTBULK" "${LDAP[@]}" -n --csv "$work/data/users-$n.csv"
	m "apply" "$n" 1 : : "$CERTBULK" "${LDAP[@]}" --csv "$work/data/users-$n.csv"
	m "undo" "$n" 1 : : "$CERTBULK" "${LDAP[@]}" undo "$(newest)"
	# its own undo file adds the values back; undone after (untimed), so
	# that the next N starts with no values
	m "undo of the undo (adds back)" "$n" 1 : unrun "$CERTBULK" "${LDAP[@]}" undo "$(newest)"
done
if [ "$SHOWN" -gt 0 ]; then
	bigshow
	# a preview of as many rows: memory linear in N (written to a file,
	# as an admin reviewing it would)
	if [ "$BIGPREV" = 1 ]; then
		load "$SHOWN"
		m "preview" "$SHOWN" 1 : : "$CERTBULK" "${LDAP[@]}" -n \
			--output "$work/big.ldif" --csv "$work/big/users.csv"
		rm -f "$work/big.ldif"
	fi
	rm -rf "$work/big"
fi

echo
echo "side by side at N=$N (ratios first, then seconds; medians of $REP):"
echo "$RATIOS"
echo "CSV: $CSV"
