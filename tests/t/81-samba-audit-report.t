#!/bin/bash
# 81-samba-audit-report.t: certbulk audit's monitoring outputs against a
# real Samba AD DC seeded with problems (a CN-first issuer, a weak-only
# account, a duplicate across two OUs, an issuing CA missing from NTAuth,
# and hostile values: markup, quotes, a CSV formula): --json (parsed with
# perl's JSON::PP), --csv (RFC 4180, parsed here), --html checked in a
# real headless Chromium: it renders, the summary counts and one table
# per problem kind hold the seeded problems, markup from the directory is
# text (a <script> value does not run: the page title would change), the
# inline script sorts a table as the URL fragment #sort=KIND:COL:desc asks
# (proof that it runs and sorts), and the page loads nothing from outside
# (its Content-Security-Policy, and no src/href to another origin).  A
# screenshot is kept in $(dirname $CERTBULK)/test-artefacts/.  Also: exit
# status 0/1/2/3, LDAP options before or after the name, files 0600 and
# never written through a symbolic link.  --with-certificates: accounts
# with userCertificate values but no mapping, and forward serials found
# against the account's own certificates.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
P=$T/pki
NTDN="CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,$CB_BASE"
cb_ldap ldapdelete "$NTDN" >/dev/null 2>&1
ART=$(dirname "$CERTBULK")/test-artefacts/81-samba-audit-report
mkdir -p "$ART"

ou_user() {	# ou_user NAME OU
	printf 'dn: CN=%s,OU=%s,%s\nobjectClass: user\nsAMAccountName: %s\n\n' \
		"$1" "$2" "$CB_BASE" "$1"
}
{
	for n in good cnfirst weak hostile quote formula; do sb_user "$n"; done
	ou_user dupstaff Staff
	ou_user dupcontr Contractors
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users"

# nothing mapped: exit 0, empty tables, reports still written
e2e_run "${LDAPS[@]}" audit --json "$T/e.json" --csv "$T/e.csv" --html "$T/e.html"
exit_is 0 "nothing mapped: exit 0"
is "$(perl -MJSON::PP -0777 -ne 'my $j = decode_json($_); print scalar(@{$j->{items}}), " ", $j->{problems}' "$T/e.json")" "0 0" "nothing mapped: JSON with no item"
is "$(cat "$T/e.csv")" "$(printf 'kind,dn,value,detail\r')" "nothing mapped: CSV header only"
grep -q 'id="total" class="ok">0 problems' "$T/e.html"
ok $? "nothing mapped: HTML says 0 problems"

I=$E2E_ISSUER
HOSTILE="X509:<I><script>document.title='pwned'</script><SR>01"
QUOTE='X509:<I>O="A&B, <i>x</i>"<S>CN=q'
FORMULA='=HYPERLINK("http://example.invalid","x")'
sb_add_values good "$(e2e_val 0101)" &&
	sb_add_values cnfirst 'X509:<I>CN=certbulk e2e CA,DC=certbulk,DC=lan<SR>0102' &&
	sb_add_values weak "X509:<I>$I<S>CN=weak" &&
	sb_add_values dupstaff "$(e2e_val 0106)" &&
	sb_add_values dupcontr "$(e2e_val 0106)" &&
	sb_add_values hostile "$HOSTILE" "<img src=x onerror=\"document.title='img'\">" &&
	sb_add_values quote "$QUOTE" &&
	sb_add_values formula "$FORMULA"
ok $? "setup: values seeded with ldapmodify"
dn() { cb_user_dn "$1"; }

# LDAP options after the name; files must not exist yet
e2e_run audit --ca-file "$P/ca.pem" --json "$T/a.json" --csv "$T/a.csv" \
	--html "$T/a.html" "${LDAPS[@]}"
exit_is 1 "problems: exit 1"
ok "$(for f in a.json a.csv a.html; do [ "$(stat -c %a "$T/$f")" = 600 ] || exit 1; done; echo 0)" "report files are mode 0600"

# JSON
jq() { perl -MJSON::PP -0777 -e 'my $j = decode_json(<STDIN>); '"$1" <"$T/a.json"; }
is "$(jq 'print join(" ", map { "$_=$j->{counts}{$_}" } qw(malformed weak-only duplicate ntauth byte-order))')" \
	"malformed=5 weak-only=1 duplicate=1 ntauth=1 byte-order=0" "JSON: the counts per kind"
is "$(jq 'print $j->{problems}, " ", scalar(@{$j->{items}}), " ", $j->{accounts}')" "8 8 8" "JSON: total, items, accounts scanned"
is "$(jq 'print map { "$_->{value}\n" } grep { $_->{kind} eq "malformed" && $_->{dn} =~ /hostile/ } @{$j->{items}}' | sort | head -1)" \
	"$(printf '%s\n' "$HOSTILE" "<img src=x onerror=\"document.title='img'\">" | sort | head -1)" "JSON: a hostile value exactly as stored"
is "$(jq 'print map { $_->{value} } grep { $_->{dn} =~ /CN=quote/ && $_->{kind} eq "malformed" } @{$j->{items}}')" "$QUOTE" "JSON: quotes and & exactly as stored"
like "$(jq 'print map { $_->{detail} } grep { $_->{kind} eq "duplicate" } @{$j->{items}}')" "OU=Staff.*OU=Contractors|OU=Contractors.*OU=Staff" "JSON: the duplicate names both accounts"
like "$(jq 'print map { $_->{value} } grep { $_->{kind} eq "ntauth" } @{$j->{items}}')" "certbulk e2e CA" "JSON: the CA missing from NTAuth"

# CSV: parse RFC 4180 and compare with the JSON items
csvrows() {
	perl -e 'local $/; my $s = <STDIN>; my @f; my $row = 0;
		while ($s =~ /\G(?:"((?:[^"]|"")*)"|([^,\r\n]*))(,|\r\n)/gc) {
			my ($v, $end) = (defined $1 ? $1 : $2, $3);
			$v =~ s/""/"/g; push @f, $v;
			if ($end ne ",") { print join("\t", @f), "\n"; @f = (); $row++ } }
		die "trailing garbage\n" if pos($s) != length($s);' <"$T/a.csv"
}
csvrows >"$T/rows" 2>"$T/csverr"
ok $? "CSV: well-formed RFC 4180 ($(cat "$T/csverr"))"
is "$(head -1 "$T/rows")" "$(printf 'kind\tdn\tvalue\tdetail')" "CSV: header"
is "$(tail -n +2 "$T/rows" | wc -l)" 8 "CSV: one row per problem"
is "$(tail -n +2 "$T/rows" | cut -f1,2 | sort)" \
	"$(jq 'print map { "$_->{kind}\t$_->{dn}\n" } @{$j->{items}}' | sort)" "CSV: the same problems as the JSON"
like "$(grep -F "$(dn quote)" "$T/rows" | grep '^malformed' | cut -f3)" '^X509:<I>O="A&B, <i>x</i>"<S>CN=q$' "CSV: a value with quotes and a comma round-trips"
is "$(grep -F "$(dn formula)" "$T/rows" | grep '^malformed' | cut -f3)" "'$FORMULA" "CSV: a formula is defused with a leading '"

# HTML, static checks
H=$T/a.html
grep -q "Content-Security-Policy\" content=\"default-src 'none'" "$H"
ok $? "HTML: a CSP that forbids loading anything"
is "$(grep -Eoi '(src|href)="[^"#][^"]*"' "$H" | head -3)" "" "HTML: no src= or href= but in-page anchors"
is "$(grep -o '<script' "$H" | wc -l)" 1 "HTML: one script element, the page's own"

# HTML in a real browser
if ! command -v chromium >/dev/null 2>&1; then
	skip_one "chromium not installed (Debian package chromium)"
	done_testing
	exit
fi
chrome() {	# chrome URL ARGS...: headless Chromium, DOM on stdout
	local url=$1
	shift
	timeout -k 5 180 chromium --headless --no-sandbox --disable-gpu \
		--disable-background-networking --no-first-run \
		--user-data-dir="$T/chrome" --virtual-time-budget=5000 \
		--run-all-compositor-stages-before-draw "$@" "$url" 2>"$T/chrome.err"
}
chrome "file://$H" --dump-dom >"$T/dom"
ok $? "chromium renders the page"
like "$(grep -o '<title>[^<]*</title>' "$T/dom")" "^<title>certbulk audit DC=" "the page title is not changed by any value (no script from the directory ran)"
tbl() {	# tbl KIND: that table's rows, cells separated by tabs, tags stripped
	perl -0777 -ne 'if (/<table class="sortable" id="t-'"$1"'"[^>]*>(.*?)<\/table>/s) {
		my $t = $1; $t =~ s/<thead>.*?<\/thead>//s;
		for my $r ($t =~ /<tr>(.*?)<\/tr>/gs) {
			my @c = $r =~ /<td>(.*?)<\/td>/gs; print join("\t", @c), "\n" } }' "$T/dom"
}
is "$(tbl malformed | cut -f1 | sort)" "$(printf '%s\n' "$(dn cnfirst)" "$(dn formula)" "$(dn hostile)" "$(dn hostile)" "$(dn quote)" | sort)" "DOM: the malformed table holds the seeded accounts"
is "$(tbl weak-only | cut -f1)" "$(dn weak)" "DOM: the weak-only table"
like "$(tbl duplicate | cut -f3)" "OU=Staff" "DOM: the duplicate table"
like "$(tbl ntauth | cut -f2)" "certbulk e2e CA" "DOM: the NTAuth table"
like "$(tbl malformed)" "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;|&lt;script&gt;document.title='pwned'&lt;/script&gt;" "DOM: <script> from the directory is text"
is "$(grep -c '<img' "$T/dom")" 0 "DOM: no <img> element made from a value"
like "$(grep -o 'id="n-malformed"[^<]*<' "$T/dom")" '>5<' "DOM: the summary count of malformed values"
like "$(grep -o 'id="n-byte-order"[^<]*<' "$T/dom")" 'class="ok">0<' "DOM: a kind with no problem counts 0"
is "$(grep -c 'data-sorted="' "$T/dom")" 0 "DOM: no table sorted without a fragment"

# the script sorts: as the fragment asks, descending by account
chrome "file://$H#sort=malformed:0:desc" --dump-dom >"$T/dom"
like "$(grep -o '<table class="sortable" id="t-malformed"[^>]*>' "$T/dom")" 'data-sorted="0:desc"' "script: the table says it was sorted"
is "$(tbl malformed | cut -f1)" "$(tbl malformed | cut -f1 | LC_ALL=C sort -r)" "script: rows in descending order of account"
chrome "file://$H#sort=malformed:0" --dump-dom >"$T/dom"
is "$(tbl malformed | cut -f1)" "$(tbl malformed | cut -f1 | LC_ALL=C sort)" "script: and ascending"

chrome "file://$H" --screenshot="$ART/audit.png" --window-size=1280,1600 >/dev/null
ok "$([ -s "$ART/audit.png" ] && [ "$(head -c 8 "$ART/audit.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; echo $?)" "a screenshot (PNG) kept as $ART/audit.png"
cp "$H" "$ART/audit.html"

# --with-certificates: accounts with userCertificate values but no mapping,
# and serials stored in forward byte order against the account's own
# certificates (certonly: a certificate, no mapping; ownfwd: its own
# certificate mapped with the serial forward; ownok: mapped correctly)
e2e_leaf "$T/certonly.pem" 0C01 cn=certonly
e2e_leaf "$T/ownfwd.pem" 0C02 cn=ownfwd
e2e_leaf "$T/ownok.pem" 0C03 cn=ownok
{ for n in certonly ownfwd ownok; do sb_user "$n"; done; } >"$T/users2.ldif"
cb_add_users "$T/users2.ldif"
ucert() {	# ucert NAME PEM: add the certificate to NAME's userCertificate
	printf 'dn: %s\nchangetype: modify\nadd: userCertificate\nuserCertificate:: %s\n-\n\n' \
		"$(dn "$1")" "$(openssl x509 -in "$2" -outform DER | base64 -w0)" | cb_ldap ldapmodify >/dev/null
}
ucert certonly "$T/certonly.pem" && ucert ownfwd "$T/ownfwd.pem" && ucert ownok "$T/ownok.pem" &&
	sb_add_values ownfwd "X509:<I>$I<SR>0C02" && sb_add_values ownok "$(e2e_val 0C03)"
ok $? "setup: userCertificate values and their mappings"
e2e_run "${LDAPS[@]}" audit --tsv
is "$(grep -Ec 'certonly|ownfwd|ownok' "$T/out")" 0 "without --with-certificates: none of them reported"
e2e_run "${LDAPS[@]}" audit --tsv --with-certificates --json "$T/c.json"
exit_is 1 "--with-certificates: exit 1"
is "$(grep -E 'certonly|ownfwd|ownok' "$T/out" | cut -f1,2 | sort)" \
	"$(printf '%s\t%s\n' byte-order "$(dn ownfwd)" unmapped-cert "$(dn certonly)" | sort)" \
	"--with-certificates: the unmapped account and the forward serial, nothing else"
like "$(grep '^unmapped-cert' "$T/out")" "1 certificate in userCertificate \(CN=certbulk e2e leaf|certonly.*SHA-1 [0-9A-F]{40}\) but no altSecurityIdentities" "unmapped-cert: the certificate named"
like "$(grep '^byte-order' "$T/out")" "in the account's userCertificate\) is written in forward byte order; the KDC builds <SR>020C" "byte-order: against the account's own certificate, the reversed serial named"
is "$(perl -MJSON::PP -0777 -ne 'my $j = decode_json($_); print "$j->{counts}{\"unmapped-cert\"} $j->{counts}{\"byte-order\"}"' "$T/c.json")" "1 1" "--with-certificates: counted in the JSON"
e2e_run "${LDAPS[@]}" audit --tsv --with-certificates "$T/ownfwd.pem"
is "$(grep -c '^byte-order' "$T/out")" 1 "the same certificate also given as an operand: reported once"

# exit status and files
e2e_run "${LDAPS[@]}" audit --html
exit_is 2 "--html without a file: usage, exit 2"
ln -s "$T/elsewhere" "$T/link.html"
e2e_run "${LDAPS[@]}" audit --html "$T/link.html"
exit_is 4 "--html to a symbolic link: refused, exit 4"
ok "$([ ! -e "$T/elsewhere" ]; echo $?)" "nothing written through the link"
e2e_run -H ldaps://127.0.0.1:1 -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" audit --json "$T/x.json"
exit_is 3 "directory unreachable: exit 3"
ok "$([ ! -e "$T/x.json" ]; echo $?)" "directory unreachable: no report written"
done_testing
