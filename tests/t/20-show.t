# 20-show.t: certbulk show against certificates made by tests/certs/mkcerts.sh.
# The name- and serial-based values come from tests/certs/expected.tsv (derived
# by hand from the spec); X509SKI and X509SHA1PublicKey come from independent
# oracles: SHA-1 over the exact DER bytes (cross-checked against
# `openssl x509 -fingerprint -sha1`) and the SubjectKeyIdentifier as
# `openssl x509 -ext subjectKeyIdentifier` prints it.
. "$(dirname "$0")/../lib/tap.sh"

case $CERTBULK in /*) ;; *) CERTBULK=$PWD/$CERTBULK ;; esac
[ -x "$CERTBULK" ] || skip_all "certbulk not built ($CERTBULK)"
command -v openssl >/dev/null || skip_all "openssl not installed"

T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
D=$T/certs
EXPECTED=$TOP/tests/certs/expected.tsv
TYPES_ALL="X509IssuerSerialNumber X509SKI X509SHA1PublicKey X509IssuerSubject X509SubjectOnly X509RFC822 X509Issuer"
TYPES_STRONG="X509IssuerSerialNumber X509SKI X509SHA1PublicKey"

if ! bash "$TOP/tests/certs/mkcerts.sh" "$D" >"$T/mkcerts.log" 2>&1; then
	ok 1 "tests/certs/mkcerts.sh generates the certificates"
	diag "$(cat "$T/mkcerts.log")"
	done_testing
	exit 1
fi
ok 0 "tests/certs/mkcerts.sh generates the certificates"

# run ARGS...: certbulk in $D (so FILE is printed as the bare name); sets RC,
# $T/out, $T/err
run() {
	(cd "$D" && exec timeout 120 "$CERTBULK" "$@") >"$T/out" 2>"$T/err"
	RC=$?
}
# no_crash DESC: RC is not a signal death or a timeout
no_crash() {
	if [ "$RC" -eq 124 ]; then ok 1 "$1: no crash or hang"; diag "timed out after 120 s"
	elif [ "$RC" -gt 128 ]; then ok 1 "$1: no crash or hang"; diag "killed by signal $((RC - 128))" "$(head -c 2000 "$T/err")"
	else ok 0 "$1: no crash or hang"; fi
}
exit_is() {	# exit_is N DESC
	is "$RC" "$1" "$2: exit status $1"
	[ "$RC" = "$1" ] || diag "stderr: $(head -c 2000 "$T/err")"
}
nlines() { grep -c '' "$1"; }
# norm < TSV: upper-case the hex parts (the attribute matches case-
# insensitively; the names must match exactly), then sort bytewise
norm() {
	LC_ALL=C awk -F'\t' -v OFS='\t' '
	$3 == "X509IssuerSerialNumber" {
		s = $4; p = 0
		while ((i = index(s, "<SR>")) > 0) { p += i + 3; s = substr(s, i + 4) }
		if (p) $4 = substr($4, 1, p) toupper(substr($4, p + 1))
	}
	$3 == "X509SKI" || $3 == "X509SHA1PublicKey" {
		i = index($4, ">"); $4 = substr($4, 1, i) toupper(substr($4, i + 1))
	}
	{ print }' | LC_ALL=C sort
}
only_types() {	# only_types TYPE... < TSV
	LC_ALL=C awk -F'\t' -v t=" $* " 'index(t, " " $3 " ")'
}
value_of() {	# value_of FILE INDEX TYPE < TSV: the VALUE column
	awk -F'\t' -v f="$1" -v n="$2" -v t="$3" '$1 == f && $2 == n && $3 == t { print $4 }'
}
only_files() {	# only_files FILE... < TSV
	LC_ALL=C awk -F'\t' -v t="$(printf '%s\n' "$@")" 'BEGIN { n = split(t, a, "\n"); for (i = 1; i <= n; i++) f[a[i]] = 1 } ($1 in f)'
}

# ---------------------------------------------------------------- inputs
grep -v '^#' "$EXPECTED" | grep -v '^$' >"$T/exp-names.tsv"
mapfile -t FILES < <(cut -f1 "$T/exp-names.tsv" | awk '!seen[$0]++')
(cd "$D" && find . -maxdepth 1 -type f | sed 's|^\./||' | LC_ALL=C sort) >"$T/made"
printf '%s\n' "${FILES[@]}" | LC_ALL=C sort >"$T/listed"
same_file "$T/made" "$T/listed" "every certificate file mkcerts.sh makes has expectations in expected.tsv"
is "$(awk -F'\t' 'NF != 4' "$T/exp-names.tsv" | head -3)" "" "expected.tsv: four tab-separated fields per line"

# ---------------------------------------------------------------- oracles
# split_certs FILE DIR: the certificates of FILE, in file order, as DIR/N.der
# holding the exact bytes (PEM blocks base64-decoded; PKCS#7 via openssl)
pem_blocks() {	# stdin PEM -> DIR/N.der for each CERTIFICATE block
	local dir=$1 n=0 b64='' inblk=0 line
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%$'\r'}
		case $line in
		"-----BEGIN CERTIFICATE-----") b64= ; n=$((n + 1)); inblk=1 ;;
		"-----END CERTIFICATE-----") printf '%s\n' "$b64" | base64 -d >"$dir/$n.der"; inblk=0 ;;
		*) [ "$inblk" = 1 ] && b64+=$line ;;
		esac
	done
}
split_certs() {
	local f=$1 dir=$2
	mkdir -p "$dir"
	if grep -q -- '-----BEGIN CERTIFICATE-----' "$f"; then
		pem_blocks "$dir" <"$f"
	elif grep -q -- '-----BEGIN PKCS7-----' "$f"; then
		openssl pkcs7 -in "$f" -print_certs | pem_blocks "$dir"
	elif openssl pkcs7 -inform DER -in "$f" -print_certs >"$dir/p7.pem" 2>/dev/null; then
		pem_blocks "$dir" <"$dir/p7.pem"
	else
		cp "$f" "$dir/1.der"
	fi
	rm -f "$dir/p7.pem"
}
oracle_bad=
: >"$T/exp-oracle.tsv"
for f in "${FILES[@]}"; do
	split_certs "$D/$f" "$T/split/$f"
	n=1
	while [ -f "$T/split/$f/$n.der" ]; do
		der=$T/split/$f/$n.der
		sha=$(openssl dgst -sha1 -r "$der" | cut -c1-40)
		fp=$(openssl x509 -inform DER -in "$der" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
		[ "${sha^^}" = "${fp^^}" ] || oracle_bad+=" $f#$n(sha1 $sha, fingerprint $fp)"
		printf '%s\t%s\tX509SHA1PublicKey\tX509:<SHA1-PUKEY>%s\n' "$f" "$n" "${sha^^}" >>"$T/exp-oracle.tsv"
		ski=$(openssl x509 -inform DER -in "$der" -noout -ext subjectKeyIdentifier 2>/dev/null |
			grep -E '^ +[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2})*$' | tr -d ' :')
		[ -n "$ski" ] && printf '%s\t%s\tX509SKI\tX509:<SKI>%s\n' "$f" "$n" "${ski^^}" >>"$T/exp-oracle.tsv"
		n=$((n + 1))
	done
	[ "$n" -gt 1 ] || oracle_bad+=" $f(no certificate found)"
done
is "${oracle_bad:-}" "" "oracles: SHA-1 of the DER equals openssl's fingerprint for every certificate"
cat "$T/exp-names.tsv" "$T/exp-oracle.tsv" | norm >"$T/exp-all"
# sanity of the oracle itself: known SKIs, and no SKI where there is none
is "$(value_of blog-gman.cer 1 X509SKI <"$T/exp-all")" "X509:<SKI>DDDE2CA4B86DB8A908B95C6CBCC8BB1AC7A09A41" "oracle: the blog's SKI"
is "$(value_of vendor-hills.cer 1 X509SKI <"$T/exp-all")" "X509:<SKI>0102030405060708" "oracle: an 8-octet SKI is taken as stored"
is "$(value_of noski-ec.cer 1 X509SKI <"$T/exp-all")$(value_of bundle.p7b 3 X509SKI <"$T/exp-all")" "" "oracle: noski-ec.cer has no SKI"

# ---------------------------------------------------------------- --type all
LC_ALL=C run show --tsv --type all "${FILES[@]}"
no_crash "show --tsv --type all"
exit_is 0 "show --tsv --type all (every file readable)"
cp "$T/out" "$T/got-raw"
cp "$T/err" "$T/got-err"
norm <"$T/got-raw" >"$T/got-all"
bad=$(LC_ALL=C awk -F'\t' -v types=" $TYPES_ALL " '
	NF != 4 || $2 !~ /^[1-9][0-9]*$/ || !index(types, " " $3 " ") || $4 !~ /^X509:</' "$T/got-raw" | head -5)
is "$bad" "" "--tsv: every line is FILE<TAB>INDEX<TAB>TYPE<TAB>X509:<...>"
for f in "${FILES[@]}"; do
	only_files "$f" <"$T/exp-all" >"$T/e1"
	only_files "$f" <"$T/got-all" >"$T/g1"
	same_file "$T/g1" "$T/e1" "$f: all seven forms as expected"
done
same_file "$T/got-all" "$T/exp-all" "show --tsv --type all: whole output as expected (nothing extra)"
# files in command-line order, INDEX from 1 and contiguous within a file
order=$(cut -f1 "$T/got-raw" | awk '!seen[$0]++' | tr '\n' ' ')
is "$order" "$(printf '%s ' "${FILES[@]}")" "files are reported in command-line order"
bad=$(awk -F'\t' '$1 != f { f = $1; max = 0 } { if ($2 > max + 1 || $2 < max) print; if ($2 > max) max = $2 }' "$T/got-raw" | head -3)
is "$bad" "" "INDEX counts up from 1 within each file"
# the output does not depend on the locale
if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
	LC_ALL=C.UTF-8 run show --tsv --type all "${FILES[@]}"
	cmp -s "$T/out" "$T/got-raw"
	ok $? "the same bytes under LC_ALL=C.UTF-8 as under LC_ALL=C"
fi

# ---------------------------------------------------------------- --type
only_types $TYPES_STRONG <"$T/exp-all" >"$T/exp-strong"
run show --tsv "${FILES[@]}"
no_crash "show --tsv (default types)"
exit_is 0 "show --tsv (default types)"
norm <"$T/out" >"$T/g"
same_file "$T/g" "$T/exp-strong" "default --type is strong: IssuerSerialNumber, SKI, SHA1PublicKey"
run show --tsv --type strong "${FILES[@]}"
exit_is 0 "--type strong"
norm <"$T/out" >"$T/g"
same_file "$T/g" "$T/exp-strong" "--type strong"
for t in $TYPES_ALL; do
	run show --tsv --type "$t" "${FILES[@]}"
	exit_is 0 "--type $t"
	norm <"$T/out" >"$T/g"
	only_types "$t" <"$T/exp-all" >"$T/e"
	same_file "$T/g" "$T/e" "--type $t: only and all $t values"
done
run show --tsv --type X509SKI,X509RFC822,X509Issuer "${FILES[@]}"
exit_is 0 "--type X509SKI,X509RFC822,X509Issuer"
norm <"$T/out" >"$T/g"
only_types X509SKI X509RFC822 X509Issuer <"$T/exp-all" >"$T/e"
same_file "$T/g" "$T/e" "--type with a list of three"
for bt in bogus X509SKI,bogus 'X509:<SKI>' strong,nope; do
	run show --tsv --type "$bt" kb5014754.cer
	no_crash "--type $bt"
	exit_is 2 "--type $bt (usage error)"
	is "$(nlines "$T/err")" 1 "--type $bt: exactly one line on stderr"
	is "$(nlines "$T/out")" 0 "--type $bt: nothing on stdout"
done
run show --tsv
no_crash "show without FILE"
exit_is 2 "show without FILE (usage error)"
run show --tsv --no-such-option kb5014754.cer
no_crash "show --no-such-option"
exit_is 2 "show --no-such-option (usage error)"

# ---------------------------------------------------------------- warnings
run show --tsv --type X509SKI noski-ec.cer kb5014754.cer
exit_is 0 "X509SKI for a certificate without SKI"
is "$(cut -f1,3 "$T/out" | tr '\t\n' ': ')" "kb5014754.cer:X509SKI " "no X509SKI value for noski-ec.cer, kb5014754.cer still printed"
like "$(cat "$T/err")" 'noski-ec\.cer' "missing SKI: a warning naming noski-ec.cer"
like "$(grep 'noski-ec' "$T/err")" '[Ss][Kk][Ii]|[Kk]ey [Ii]dentifier' "missing SKI: the warning says what is missing"
run show --tsv noski-ec.cer
exit_is 0 "default types for a certificate without SKI"
is "$(cut -f3 "$T/out" | LC_ALL=C sort | tr '\n' ' ')" "X509IssuerSerialNumber X509SHA1PublicKey " "no SKI: the other strong forms are still printed"
like "$(cat "$T/err")" 'noski-ec\.cer' "no SKI with default types: warned"

run show --tsv --type X509RFC822 blog-gman.cer noski-ec.cer kb5014754.cer
exit_is 0 "X509RFC822 for certificates without e-mail"
is "$(cut -f1,4 "$T/out" | tr '\t\n' '  ')" "kb5014754.cer X509:<RFC822>jane.doe@contoso.com " "no X509RFC822 value without an e-mail address"
like "$(cat "$T/err")" 'blog-gman\.cer' "missing e-mail: a warning naming blog-gman.cer"
like "$(cat "$T/err")" 'noski-ec\.cer' "missing e-mail: a warning naming noski-ec.cer"
like "$(grep 'blog-gman' "$T/err")" '[Ee]-?[Mm]ail|RFC ?822|rfc822' "missing e-mail: the warning says what is missing"
run show --tsv --type X509RFC822 email-subject.cer keywords.cer
exit_is 0 "X509RFC822 from the subject's E="
is "$(cut -f4 "$T/out" | tr '\n' ' ')" "X509:<RFC822>bob@contoso.com X509:<RFC822>jane@contoso.com " "no SAN e-mail: falls back to the subject's E="
like "$(cat "$T/err")" 'email-subject\.cer' "the fallback to E= warns (email-subject.cer)"
like "$(cat "$T/err")" 'keywords\.cer' "the fallback to E= warns (keywords.cer)"
run show --tsv --type X509RFC822 upn-sid.cer
is "$(cut -f4 "$T/out")" "X509:<RFC822>jane.doe@contoso.com" "the first rfc822Name of the SAN, not a later one or the UPN"

# ---------------------------------------------------------------- bundles
run show --tsv bundle.pem
exit_is 0 "PEM bundle with a private key"
is "$(cut -f2 "$T/out" | sort -u | tr '\n' ' ')" "1 2 " "bundle.pem: two certificates, the key block not counted"
like "$(cat "$T/err")" 'bundle\.pem' "bundle.pem: a note on stderr about the skipped block"
run show --tsv bundle.p7b bundle.p7c
exit_is 0 "PKCS#7 bundles"
is "$(cut -f1,2 "$T/out" | sort -u | tr '\t\n' ': ')" "bundle.p7b:1 bundle.p7b:2 bundle.p7b:3 bundle.p7c:1 bundle.p7c:2 " "PKCS#7: INDEX 1..3 and 1..2"
# the private key never shows: not one line of its base64, in any mode
sed -n '/-----BEGIN PRIVATE KEY-----/,/-----END PRIVATE KEY-----/p' "$D/bundle.pem" |
	grep -v -- '-----' | tr -d '\r' | grep -E '.{16}' >"$T/keylines"
ok "$([ -s "$T/keylines" ]; echo $?)" "bundle.pem holds a private key to leak"
for mode in "--tsv --type all" "--type all" "--tsv" ""; do
	# shellcheck disable=SC2086
	run show $mode bundle.pem
	no_crash "show $mode bundle.pem"
	cat "$T/out" "$T/err" >"$T/both"
	leaked=$(grep -F -c -f "$T/keylines" "$T/both")
	is "$leaked" 0 "show $mode bundle.pem: no line of the private key on stdout or stderr"
	if grep -q -- 'BEGIN PRIVATE KEY' "$T/out"; then ok 1 "show $mode bundle.pem: no key block on stdout"; else ok 0 "show $mode bundle.pem: no key block on stdout"; fi
done

# ---------------------------------------------------------------- for people
# loosely: the values appear, no crash
hex_in() { grep -qiF -- "$1" "$T/out"; }	# hex may come in either case
run show upn-sid.cer
no_crash "show upn-sid.cer"
exit_is 0 "show upn-sid.cer (for people)"
grep -qF 'jane@contoso.com' "$T/out"; ok $? "for people: the UPN"
grep -qF 'S-1-5-21-1111111111-2222222222-3333333333-1105' "$T/out"; ok $? "for people: the SID"
grep -qF 'jane.doe@contoso.com' "$T/out"; ok $? "for people: the e-mail"
for t in $TYPES_STRONG; do
	v=$(value_of upn-sid.cer 1 "$t" <"$T/exp-all")
	hex_in "$v"; ok $? "for people: the $t value $v"
done
run show ossl-upn.pem
exit_is 0 "show ossl-upn.pem (for people)"
grep -qF 'john@contoso.com' "$T/out"; ok $? "for people: the UPN (openssl-made)"
grep -qF 'S-1-5-21-1111111111-2222222222-3333333333-1106' "$T/out"; ok $? "for people: the SID (openssl-made)"
run show "${FILES[@]}"
no_crash "show, for people, every file"
exit_is 0 "show, for people, every file"
missing=
while IFS=$'\t' read -r f n t v; do
	hex_in "$v" || missing+=" $f#$n"
done < <(only_types $TYPES_STRONG <"$T/exp-all")
is "${missing:-}" "" "for people: every strong mapping value appears"
run show --type all upn-sid.cer
exit_is 0 "show --type all upn-sid.cer (for people)"
grep -qF 'X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<S>DC=com,DC=contoso,CN=Users,CN=Jane Doe' "$T/out"
ok $? "for people: --type all shows the weak forms too"

# The fast reader (no key decoding) and full d2i_X509 decoding agree on
# every certificate made here, and on every truncation and bit flip of the
# hostile ones (tests/unit/test_certdiff.c).
UNITDIR=${UNITDIR:-$TOP/build/tests}
if [ -x "$UNITDIR/test_certdiff" ]; then
	"$UNITDIR/test_certdiff" -m "$D/hostile" "$D" >"$T/diff" 2>&1
	rc=$?
	n=$(grep -c '^ok' "$T/diff")
	[ $rc -eq 0 ] && ! grep -q '^not ok' "$T/diff"
	ok $? "fast reader and d2i_X509 agree on all $n checks of the test certificates"
	grep -q '^not ok' "$T/diff" && diag "$(grep -A2 '^not ok' "$T/diff")"
else
	ok 1 "test_certdiff not built in $UNITDIR"
fi

done_testing
