# The --csv reader's messages, their text and their order, with bad rows
# of every kind among good ones over more rows than the reader holds back
# at once (its certificate files are read ahead on a second thread, issue
# 13): inline PEM, a Windows path, missing, unreadable and non-regular
# files (a FIFO must be refused, not waited on), symlinks, the same file
# in many rows, quoted fields with blanks around them, NUL bytes, libcsv
# syntax errors between rows, and an unterminated quote at the end.  The
# order must be the rows' order, as when each row's file was read as the
# row was processed; this guards that behaviour and passes on the build
# before the read-ahead as well.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
e2e_setup
e2e_ca
{
	for u in pf1 pf2 pf3; do
		e2e_user_ldif "$u" "CN=Users,$CB_BASE" "$u"
	done
} | cb_add_users - >/dev/null

D=$T/in
mkdir -p "$D/win" "$D/adir"
e2e_leaf "$D/good0.pem" C000 cn=pf1
e2e_leaf "$D/good1.cer" C001 cn=pf2
e2e_leaf "$D/win/good2.pem" C002 cn=pf3
cp "$T/pki/ca.pem" "$D/ca.pem"
printf 'not a certificate\n' >"$D/junk.pem"
ln -s good0.pem "$D/link.pem"
ln -s nosuch.pem "$D/dangling.pem"
mkfifo "$D/fifo"
: >"$D/empty.pem"
touch "$D/locked.pem"
chmod 000 "$D/locked.pem"
# a copy of good1 as one quoted multi-line field
INLINE=$(openssl x509 -inform DER -in "$D/good1.cer")

CSV=$D/rows.csv
EXP=$T/expected
: >"$EXP"
N=5000
# bad rows, each kind at several places, some at the reader's batch
# boundaries (2,048 rows: lines 2049, 2050, 4097, 4098)
declare -A BAD
kinds=(noacct utf8 nocert types sid dn winabs winmiss missing adir fifo
	junk ca garbage dangling empty nul syntax locked)
i=0
for l in 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 \
	2047 2048 2049 2050 2051 2052 2053 2054 2055 2056 2057 2058 2059 \
	2060 2061 2062 2063 2064 2065 \
	3001 3003 3005 3007 3009 3011 3013 3015 3017 3019 3021 3023 3025 \
	3027 3029 3031 3033 3035 3037 \
	4097 4098 4099 4100 4101 4102 4103 4104 4105 4106 4107 4108 4109 \
	4110 4111 4112 4113 4114 4115; do
	BAD[$l]=${kinds[i % ${#kinds[@]}]}
	i=$((i + 1))
done
# line L of the file for data row L (the header is line 1; no row spans
# lines but the inline PEM rows, written after the others)
{
	printf 'user,certificate,types\n'
	for ((l = 2; l <= N; l++)); do
		case ${BAD[$l]:-} in
		'')
			# blanks inside quotes (libcsv trims them outside):
			# trimmed where the rows are read
			case $((l % 5)) in
			0) printf 'pf1,good0.pem,\n' ;;
			1) printf 'pf2,good1.cer,\n' ;;
			2) printf 'pf3,win\\good2.pem,\n' ;;
			3) printf 'pf1,link.pem,\n' ;;
			4) printf '" pf2 "," good1.cer ","\t"\n' ;;
			esac
			;;
		noacct) printf ',good0.pem,\n' ;;
		utf8) printf 'pf\377,good0.pem,\n' ;;
		nocert) printf 'pf1,,\n' ;;
		types) printf 'pf1,good0.pem,bogus\n' ;;
		sid) printf 'S-1-5-x,good0.pem,\n' ;;
		dn) printf '"CN=pf1,,DC=x",good0.pem,\n' ;;
		winabs) printf 'pf1,C:\\certs\\good0.pem,\n' ;;
		winmiss) printf 'pf1,win\\nosuch.pem,\n' ;;
		missing) printf 'pf1,nosuch%d.pem,\n' "$l" ;;
		adir) printf 'pf1,adir,\n' ;;
		fifo) printf 'pf1,fifo,\n' ;;
		junk) printf 'pf1,junk.pem,\n' ;;
		ca) printf 'pf1,ca.pem,\n' ;;
		garbage) printf 'pf1,%s,\n' "$(printf 'QUJD%.0s' {1..20})" ;;
		dangling) printf 'pf1,dangling.pem,\n' ;;
		empty) printf 'pf1,empty.pem,\n' ;;
		nul) printf 'pf1,go\000od0.pem,\n' ;;
		syntax) printf 'pf1,go"od0.pem,\n' ;;
		locked) printf 'pf1,locked.pem,\n' ;;
		esac
	done
	printf '# a comment line\n\n'
	printf 'pf2,"%s",\n' "$INLINE"
	printf 'pf2,"%s",\n' "$INLINE"
	printf 'pf1,good0.pem,\n'
	printf 'pf1,"unterminated\n'
} >"$CSV"

e2e_run "${LDAPS[@]}" --state-dir "$T/st" -vv -n --output "$T/plan.ldif" \
	--csv "$CSV"
ok_diag $([ "$RC" -ne 124 ] && [ "$RC" -ne 137 ]; echo $?) \
	"the run ends (a FIFO as a certificate path does not block it)"
exit_is 1 "the preview reports the bad rows"
# the input stage's messages: everything before its time line
sed -n '/debug: time: inputs read/q;p' "$T/err" |
	grep -v -e ': debug: ' -e ': audit: ' >"$T/got"
[ -s "$T/got" ] && grep -q 'debug: time: inputs read' "$T/err"
ok_diag $? "the input stage's messages are there, and its end"

# what each kind of row says, in the order of the rows
P="certbulk: $CSV"
for ((l = 2; l <= N; l++)); do
	case ${BAD[$l]:-} in
	'') ;;
	noacct) echo "$P:$l: no account named in column \"user\"; row skipped" ;;
	utf8) echo "$P:$l: the account \"pf\\xFF\" is not valid UTF-8 (save the CSV as UTF-8); row skipped" ;;
	nocert) echo "$P:$l: no certificate for pf1; row skipped" ;;
	types) echo "$P:$l: unknown mapping form \"bogus\" in column types; row skipped" ;;
	sid) echo "$P:$l: \"S-1-5-x\" is not a SID (S-1-<authority>-<up to 15 sub-authorities>, each at most 4294967295); row skipped" ;;
	dn) echo "$P:$l: \"CN=pf1,,DC=x\" is not a valid distinguished name (RFC 4514, e.g. CN=Smith\\, John,OU=Staff,DC=example,DC=com); row skipped" ;;
	winabs) echo "$P:$l: \"C:\\certs\\good0.pem\" is an absolute Windows path, which names a file on another machine; give the path relative to the CSV file's folder; row skipped" ;;
	winmiss) echo "$P:$l: win\\nosuch.pem: No such file or directory" ;;
	missing) echo "$P:$l: nosuch$l.pem: No such file or directory" ;;
	adir) echo "$P:$l: adir: is a directory, not a certificate file" ;;
	fifo) echo "$P:$l: fifo: not a regular file" ;;
	junk) echo "$P:$l: junk.pem: not a certificate (neither DER, PEM nor PKCS#7)" ;;
	ca) echo "$P:$l: certificate 1 is a CA certificate, not mapped"
		echo "$P:$l: only CA certificates, nothing to map; row skipped" ;;
	garbage) echo "$P:$l: GARBAGE" ;;
	dangling) echo "$P:$l: dangling.pem: No such file or directory" ;;
	empty) echo "$P:$l: empty.pem: EMPTY" ;;
	nul) echo "$P:$l: NUL byte in the row (line $l); row skipped" ;;
	syntax) echo "$P:$l: SYNTAX; row skipped" ;;
	locked) echo "$P:$l: locked.pem: LOCKED" ;;
	esac
done >"$EXP"
K1=$(printf '%s\n' "$INLINE" | wc -l)
echo "$P:$((N + 4 + 2 * K1)): unterminated quoted field at end of file; row skipped" >>"$EXP"

# texts that depend on libcsv, OpenSSL or the user running the test are
# taken from the run itself, where they must still stand at their row
fill() {	# fill KIND: the first message of a row of that kind
	local l
	for l in "${!BAD[@]}"; do
		if [ "${BAD[$l]}" = "$1" ]; then
			grep -m1 -F "$P:$l: " "$T/got" | sed "s|$P:$l: ||"
			return
		fi
	done
}
G=$(fill garbage)
E=$(fill empty)
S=$(fill syntax)
K=$(fill locked)
like "$G" 'certificate' "inline base64 that is no certificate: an error ($G)"
like "$E" '^empty.pem: ' "an empty file: an error naming it ($E)"
like "$S" '; row skipped$' "a libcsv syntax error skips its row ($S)"
like "$K" '^locked.pem: ' "an unreadable file: an error naming it ($K)"
awk -v g="$G" -v e="${E#empty.pem: }" -v s="${S%; row skipped}" \
	-v k="${K#locked.pem: }" '{
	sub(/: GARBAGE$/, ": " g); sub(/: EMPTY$/, ": " e)
	sub(/: SYNTAX; row skipped$/, ": " s "; row skipped")
	sub(/: LOCKED$/, ": " k); print }' "$EXP" >"$EXP.2"
diff -u "$EXP.2" "$T/got" >"$T/diff"
ok $? "every bad row's messages, exactly, in the rows' order"
[ ! -s "$T/diff" ] || diag "$(head -40 "$T/diff")"
is "$(grep -c "^$P:" "$T/got")" "$(grep -c "^$P:" "$EXP.2")" \
	"as many errors as bad rows"

# the good rows all made it: the plan names each good row's line
good=0
for ((l = 2; l <= N; l++)); do
	[ -n "${BAD[$l]:-}" ] || good=$((good + 1))
done
is "$(grep -c "^# from $CSV:" "$T/plan.ldif")" "$((good + 3))" \
	"every good row is planned (file, Windows path, symlink, inline PEM)"
for l in 2 3 4 5 2046 4116 $((N + 3)) $((N + 3 + K1)) $((N + 3 + 2 * K1)); do
	[ -z "${BAD[$l]:-}" ] || continue
	grep -Fq "# from $CSV:$l: " "$T/plan.ldif"
	ok_diag $? "row $l is planned"
done
done_testing
