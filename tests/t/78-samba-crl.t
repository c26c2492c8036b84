#!/bin/bash
# 78-samba-crl.t: --fetch-crl against a real Samba AD DC: a certificate
# revoked on the CRL its CDP serves (tests/lib/httpd.pl on loopback) is
# refused, the others are mapped, and the second run takes the CRL from
# the cache in the state folder (no request).  The PKI and the server are
# tests/lib/crlpki.sh's, as in 77-crl-cdp.t (which covers the rest).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

command -v perl >/dev/null 2>&1 || skip_all "missing command: perl"
unset http_proxy HTTP_PROXY no_proxy NO_PROXY
sb_start --no-ca
. "$TOP/tests/lib/crlpki.sh"
crl_httpd_start || { echo "Bail out! httpd.pl: $(cat "$T/http.err")"; exit 1; }
crl_pki || { diag "$(cat "$T/pki.log")"; echo "Bail out! PKI"; exit 1; }
bad=0
for u in sbcrl1 sbcrl2 sbcrl3; do crl_leaf "$u" "$U/iss.crl" || bad=1; done
openssl ca -config "$P/ca.cnf" -name iss -revoke "$P/c/sbcrl2.pem" \
	>>"$T/pki.log" 2>&1 || bad=1
crl_crl iss "$WWW/iss.crl" || bad=1
ok $bad "setup: PKI, three leaves, one revoked"
{ for u in sbcrl1 sbcrl2 sbcrl3; do sb_user "$u"; done; } >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
{
	echo 'user,certificate'
	for u in sbcrl1 sbcrl2 sbcrl3; do echo "$u,$P/c/$u.pem"; done
} >"$T/u.csv"
val() {
	printf 'X509:<I>CN=%s<SR>%s' "$ISS_CN" "$(e2e_rev "$(openssl x509 \
		-in "$P/c/$1.pem" -noout -serial | sed 's/.*=//')")"
}

e2e_run "${LDAPS[@]}" --state-dir "$T/st" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/u.csv"
exit_is 1 "run with --fetch-crl: one certificate revoked"
is "$(cb_user_altsec sbcrl1)" "$(val sbcrl1)" "sbcrl1 mapped"
is "$(cb_user_altsec sbcrl3)" "$(val sbcrl3)" "sbcrl3 mapped"
is "$(cb_user_altsec sbcrl2)" "" "sbcrl2 (revoked) not mapped"
like "$(cat "$T/err")" "certificate revoked \(CN=sbcrl2," "...refused as revoked"
is "$(requests iss.crl)" 1 "one request for three certificates"

e2e_run "${LDAPS[@]}" --state-dir "$T/st" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/u.csv"
exit_is 1 "second run: still refused"
is "$(requests iss.crl)" 1 "...the CRL from the cache: no request"
like "$(cat "$T/err")" "certificate revoked \(CN=sbcrl2," "...refused as revoked"
like "$(cat "$T/err")" "2 already up to date" "...the others already done"

done_testing
