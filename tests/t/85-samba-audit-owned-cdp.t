#!/bin/bash
# 85-samba-audit-owned-cdp.t: certbulk audit --fetch-crl over the run
# state (issue 11) against a real Samba AD DC, the revocation news coming
# from the certificates' CRL distribution point, served by
# tests/lib/httpd.pl on loopback.  (Samba, not slapd: audit --ca-file also
# checks the forest's NTAuth store, which slapd does not have.)  A revoked owned value
# is reported; while the CDP is down a newly revoked one is not (a CRL that
# cannot be had never makes "revoked"), and the warning names the URL.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_require
command -v perl >/dev/null 2>&1 || skip_all "missing command: perl"
unset LDAPTLS_REQCERT
sb_setup
unset http_proxy HTTP_PROXY no_proxy NO_PROXY

. "$TOP/tests/lib/crlpki.sh"
crl_httpd_start || { echo "Bail out! httpd.pl: $(cat "$T/http.err")"; exit 1; }
crl_pki || { diag "$(cat "$T/pki.log")"; echo "Bail out! PKI"; exit 1; }
ok_all=0
for n in p1 p2 p3; do crl_leaf "$n" "$U/iss.crl" || ok_all=1; done
crl_crl iss "$WWW/iss.crl" || ok_all=1
crl_crl root "$WWW/root.crl" || ok_all=1
ok $ok_all "setup: CAs, three leaves whose CDP is $U/iss.crl, an empty CRL"
for n in p1 p2 p3; do cb_user_ldif samba "aud$n"; done >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: three users"
printf 'user,certificate\n' >"$T/p.csv"
for n in p1 p2 p3; do echo "aud$n,$P/c/$n.pem"; done >>"$T/p.csv"
S=$T/st
for c in root iss; do
	e2e_run "${LDAPS[@]}" --state-dir "$T/nt" ntauth add "$P/$c/ca.pem" || break
done
exit_is 0 "setup: both CAs in NTAuth (audit --ca-file checks the store)"

e2e_run "${LDAPS[@]}" --state-dir "$S" --ca-file "$P/cas.pem" --fetch-crl --csv "$T/p.csv"
exit_is 0 "night 1: three values owned"
is "$(grep -vc '^#' "$S/owned.tsv")" 3 "owned.tsv holds 3 values"

owned() { grep '^owned-' "$T/out" | cut -f1,2 | tr 'A-Z' 'a-z'; }
audit() {
	e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S" --ca-file "$P/cas.pem" \
		--fetch-crl "$@"
}
audit --input-csv "$T/p.csv"
is "$(owned)" "" "nothing revoked yet: no owned finding"

openssl ca -config "$P/ca.cnf" -name iss -revoke "$P/c/p2.pem" \
	-crl_reason keyCompromise >>"$T/pki.log" 2>&1 && crl_crl iss "$WWW/iss.crl"
ok $? "the CA revokes p2 and publishes its CRL"
rm -rf "$S/crl-cache"
audit --input-csv "$T/p.csv"
exit_is 1 "audit: a problem"
is "$(owned)" "$(printf 'owned-revoked\t%s' "$(sb_dn audp2 | tr 'A-Z' 'a-z')")" \
	"p2's value reported revoked, from the CDP; nothing else owned"
audit
is "$(owned)" "$(printf 'owned-revoked\t%s' "$(sb_dn audp2 | tr 'A-Z' 'a-z')")" \
	"no input given: the recorded input's certificates are checked all the same"

# the CDP goes away while the CA revokes p3
openssl ca -config "$P/ca.cnf" -name iss -revoke "$P/c/p3.pem" \
	-crl_reason keyCompromise >>"$T/pki.log" 2>&1
mv "$WWW/iss.crl" "$T/iss.crl.unpublished"
rm -rf "$S/crl-cache"
audit --input-csv "$T/p.csv"
is "$(owned | grep -c audp3)" 0 "CDP down: p3 not called revoked"
like "$(cat "$T/err")" "$U/iss.crl" "CDP down: the warning names the URL"
done_testing
