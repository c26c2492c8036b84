# 30-hostile.t: certbulk show on files that are not (good) certificates.
# Each bad file must give exactly one stderr line naming it, exit status 1,
# and a good file on the same command line must still be printed. An exit
# status above 128 (a signal) or a hang is a failure in every case.
. "$(dirname "$0")/../lib/tap.sh"

case $CERTBULK in /*) ;; *) CERTBULK=$PWD/$CERTBULK ;; esac
[ -x "$CERTBULK" ] || skip_all "certbulk not built ($CERTBULK)"
command -v openssl >/dev/null || skip_all "openssl not installed"

T=$(mktemp -d)
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT
D=$T/certs
if ! bash "$TOP/tests/certs/mkcerts.sh" "$D" >"$T/mkcerts.log" 2>&1; then
	ok 1 "tests/certs/mkcerts.sh generates the certificates"
	diag "$(cat "$T/mkcerts.log")"
	done_testing
	exit 1
fi
ok 0 "tests/certs/mkcerts.sh generates the certificates"

GOOD=kb5014754.cer	# has an SKI: three strong values, no warning
GOOD_ISN='X509:<I>DC=com,DC=contoso,CN=CONTOSO-DC-CA<SR>1200000000AC11000000002B'

# run [PREFIX-COMMAND...] -- ARGS...: certbulk in $D; sets RC, $T/out, $T/err
run() {
	local pre=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	(cd "$D" && exec timeout 120 "${pre[@]}" "$CERTBULK" "$@") >"$T/out" 2>"$T/err"
	RC=$?
}
no_crash() {
	if [ "$RC" -eq 124 ]; then ok 1 "$1: no crash or hang"; diag "timed out after 120 s"
	elif [ "$RC" -gt 128 ]; then ok 1 "$1: no crash or hang"; diag "killed by signal $((RC - 128))" "$(head -c 2000 "$T/err")"
	else ok 0 "$1: no crash or hang"; fi
}
nlines() { grep -c '' "$1"; }

# bad_file DESC PATH [PREFIX-COMMAND...]: PATH (as given, relative to $D) is
# refused with one line naming it, $GOOD after it is still printed
bad_file() {
	local desc=$1 path=$2
	shift 2
	run "$@" -- show --tsv "$path" "$GOOD"
	no_crash "$desc"
	is "$RC" 1 "$desc: exit status 1"
	is "$(nlines "$T/err")" 1 "$desc: exactly one line on stderr"
	[ "$(nlines "$T/err")" = 1 ] || diag "stderr: $(head -c 2000 "$T/err")"
	grep -qF -- "$path" "$T/err"
	ok $? "$desc: the stderr line names $path"
	# a reason, not just the name
	local line
	line=$(grep -F -- "$path" "$T/err" | head -1)
	like "${line//"$path"/}" '[A-Za-z]{3}' "$desc: the stderr line gives a reason"
	is "$(awk -F'\t' -v g="$GOOD" '$1 == g && $2 == 1 { print $3 }' "$T/out" | LC_ALL=C sort | tr '\n' ' ')" \
		"X509IssuerSerialNumber X509SHA1PublicKey X509SKI " "$desc: $GOOD on the same command line still printed"
	is "$(awk -F'\t' -v g="$GOOD" '$1 != g' "$T/out" | head -3)" "" "$desc: nothing printed for the bad file"
}

# ---------------------------------------------------------------- the files
cd "$D" || exit 1
: >empty.cer
# 4 KiB of pseudo-random bytes, the same on every run (AES-CTR of zeros)
head -c 4096 /dev/zero | openssl enc -aes-128-ctr -nosalt \
	-K 000102030405060708090a0b0c0d0e0f -iv 0f0e0d0c0b0a09080706050403020100 >random.bin
head -c 500 kb5014754.cer >truncated.cer
truncate -s 50M big.bin
# a PEM certificate whose base64 body is broken in the middle
awk 'NR == 6 { print "!!!!not*base64~~~~not*base64####not*base64%%%%not*base64^^^^=="; next } { print }' \
	private/kb5014754.pem >broken-b64.pem
# a CERTIFICATE block that decodes fine but holds no certificate
{ echo "-----BEGIN CERTIFICATE-----"; openssl base64 -e -in random.bin | head -5; echo "-----END CERTIFICATE-----"; } >not-a-cert.pem
# a PEM with a BEGIN line but the file ends before END
head -n 8 private/kb5014754.pem >unterminated.pem
cp private/leaf-ec.key keyonly.pem
mkdir adir
{ cat kb5014754.cer; printf 'trailing garbage\n'; } >trailing.cer
head -c 1200 bundle.p7b >truncated.p7b
echo hello >unreadable.cer
chmod 000 unreadable.cer
cd "$TOP" || exit 1

bad_file "empty file" empty.cer
bad_file "4 KiB of random bytes" random.bin
bad_file "truncated DER certificate" truncated.cer
bad_file "50 MB file of zeros" big.bin
bad_file "PEM with broken base64" broken-b64.pem
bad_file "PEM block that is not a certificate" not-a-cert.pem
bad_file "PEM without END line" unterminated.pem
bad_file "PEM with only a private key" keyonly.pem
grep -v -- '-----' "$D/keyonly.pem" | grep -E '.{16}' >"$T/keylines"
cat "$T/out" "$T/err" | grep -F -c -f "$T/keylines" >"$T/leaks"
is "$(cat "$T/leaks")" 0 "PEM with only a private key: no line of the key printed"
bad_file "directory given as FILE" adir
bad_file "nonexistent path" no-such-file.cer
bad_file "path through a regular file (ENOTDIR)" "$GOOD/x"
bad_file "DER certificate followed by garbage" trailing.cer
bad_file "truncated PKCS#7" truncated.p7b
# Unreadable file. Root reads a mode-000 file anyway (CAP_DAC_OVERRIDE), so
# as root certbulk is run with every capability dropped (setpriv), if that
# works here; otherwise the case is skipped (a failure when CI is set).
if [ "$(id -u)" != 0 ]; then
	bad_file "unreadable file (mode 000)" unreadable.cer
elif command -v setpriv >/dev/null &&
	! setpriv --bounding-set -all --inh-caps -all -- cat "$D/unreadable.cer" >/dev/null 2>&1 &&
	setpriv --bounding-set -all --inh-caps -all -- cat "$D/$GOOD" >/dev/null 2>&1 &&
	setpriv --bounding-set -all --inh-caps -all -- test -x "$CERTBULK"; then
	bad_file "unreadable file (mode 000, root without capabilities)" unreadable.cer \
		setpriv --bounding-set -all --inh-caps -all
else
	skip_one "unreadable file: running as root and cannot drop CAP_DAC_OVERRIDE with setpriv"
fi

# all of them at once: every bad file reported once, the good ones printed
BAD=(empty.cer random.bin truncated.cer big.bin broken-b64.pem not-a-cert.pem unterminated.pem
	keyonly.pem adir no-such-file.cer trailing.cer truncated.p7b)
run -- show --tsv ca-contoso.cer "${BAD[@]}" "$GOOD"
no_crash "all the bad files at once"
is "$RC" 1 "all the bad files at once: exit status 1"
is "$(nlines "$T/err")" "${#BAD[@]}" "all the bad files at once: one stderr line each"
missing=
for b in "${BAD[@]}"; do grep -qF -- "$b" "$T/err" || missing+=" $b"; done
is "$missing" "" "all the bad files at once: each one named"
is "$(cut -f1 "$T/out" | awk '!s[$0]++' | tr '\n' ' ')" "ca-contoso.cer $GOOD " "all the bad files at once: the good files before and after are printed"

# ---------------------------------------------------------------- awkward but valid
# a 70000-character CN (3-octet DER lengths): printed in full
run -- show --tsv --type X509SubjectOnly,X509IssuerSerialNumber hostile/longname.cer
no_crash "70000-character CN"
is "$RC" 0 "70000-character CN: exit status 0"
long=$(printf 'A%.0s' $(seq 70000))
got=$(awk -F'\t' '$3 == "X509SubjectOnly" { print $4 }' "$T/out")
exp="X509:<S>DC=com,DC=contoso,CN=Users,CN=$long"
if [ "$got" = "$exp" ]; then ok 0 "70000-character CN: the whole name, not truncated"
else
	ok 1 "70000-character CN: the whole name, not truncated"
	diag "expected ${#exp} characters, got ${#got}: ${got:0:100}...${got: -40}"
fi
unset got exp
is "$(awk -F'\t' '$3 == "X509IssuerSerialNumber" { i = index($4, "<SR>"); print substr($4, 1, i + 3) toupper(substr($4, i + 4)) }' "$T/out")" "${GOOD_ISN%<SR>*}<SR>011F" \
	"70000-character CN: X509IssuerSerialNumber"
unset long
# a line feed and a tab inside name values: what --tsv does with them is not
# specified (the spec quotes a value with a line feed; TSV cannot hold it);
# only ask for no crash, and for the forms that do not contain the subject
run -- show --tsv --type all hostile/lf-tab.cer
no_crash "line feed and tab in the subject, --type all"
run -- show --tsv hostile/lf-tab.cer
no_crash "line feed and tab in the subject, strong forms"
is "$RC" 0 "line feed and tab in the subject, strong forms: exit status 0"
is "$(awk -F'\t' '$3 == "X509IssuerSerialNumber" { i = index($4, "<SR>"); print substr($4, 1, i + 3) toupper(substr($4, i + 4)) }' "$T/out")" "${GOOD_ISN%<SR>*}<SR>021F" \
	"line feed and tab in the subject: X509IssuerSerialNumber"
run -- show hostile/lf-tab.cer
no_crash "line feed and tab in the subject, for people"
# VisibleString is not a DirectoryString; CryptoAPI decodes it, OpenSSL's
# d2i_X509 rejects the whole certificate. Either print it right or refuse it
# cleanly, with one line.
run -- show --tsv --type X509SubjectOnly hostile/visible.cer
no_crash "VisibleString in the subject"
if [ "$RC" = 0 ]; then
	is "$(cut -f4 "$T/out")" "X509:<S>DC=com,DC=contoso,CN=Users,OU=visible string,CN=Vis" "VisibleString in the subject: converted"
else
	# (a general warning about weak forms may come too: count the lines naming the file)
	is "$RC $(grep -c 'visible\.cer' "$T/err")" "1 1" "VisibleString in the subject: refused with exit status 1 and one line"
fi
# 300 certificates in one PEM file: INDEX 1..300, three values each
for _ in $(seq 300); do cat "$D/private/kb5014754.pem"; done >"$D/many.pem"
run -- show --tsv many.pem
no_crash "300 certificates in one PEM"
is "$RC" 0 "300 certificates in one PEM: exit status 0"
is "$(nlines "$T/out")" 900 "300 certificates in one PEM: 900 lines"
is "$(cut -f2 "$T/out" | sort -un | sed -n '1p;$p' | tr '\n' ' ')" "1 300 " "300 certificates in one PEM: INDEX 1 to 300"

done_testing
