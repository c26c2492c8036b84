#!/bin/bash
# 79-slapd-prune-cdp.t: a nightly --prune run whose revocation news comes
# from the certificates' CRL distribution point (--fetch-crl), served by
# tests/lib/httpd.pl on loopback, against a real slapd.  Night 1 maps
# three users; the CA then revokes one: night 2 removes exactly that value
# (and its undo puts it back); the CDP then goes down while the CA revokes
# another: night 3 warns naming the URL and removes nothing, since a CRL
# that cannot be had is never a reason to remove a value.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
command -v perl >/dev/null 2>&1 || skip_all "missing command: perl"
e2e_setup
unset http_proxy HTTP_PROXY no_proxy NO_PROXY

. "$TOP/tests/lib/crlpki.sh"
crl_httpd_start || { echo "Bail out! httpd.pl: $(cat "$T/http.err")"; exit 1; }
crl_pki || { diag "$(cat "$T/pki.log")"; echo "Bail out! PKI"; exit 1; }
ok_all=0
for n in p1 p2 p3; do crl_leaf "$n" "$U/iss.crl" || ok_all=1; done
crl_crl iss "$WWW/iss.crl" || ok_all=1
crl_crl root "$WWW/root.crl" || ok_all=1
ok $ok_all "setup: CAs, three leaves whose CDP is $U/iss.crl, an empty CRL"
[ "$ok_all" = 0 ] || diag "$(tail -n 30 "$T/pki.log")"
for n in p1 p2 p3; do cb_user_ldif slapd "crl$n"; done >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: three users"
printf 'user,certificate\n' >"$T/p.csv"
for n in p1 p2 p3; do echo "crl$n,$P/c/$n.pem"; done >>"$T/p.csv"

val() { printf 'X509:<I>CN=%s<SR>%s' "$ISS_CN" "$(e2e_rev "$1")"; }
serial() { openssl x509 -in "$P/c/$1.pem" -noout -serial | sed 's/.*=//'; }
S=$T/st
night() {
	e2e_run "${LDAPS[@]}" --state-dir "$S" --ca-file "$P/cas.pem" \
		--fetch-crl --prune --csv "$T/p.csv" "$@"
}

night
exit_is 0 "night 1: exit 0"
for n in p1 p2 p3; do
	is "$(cb_user_altsec "crl$n")" "$(val "$(serial "$n")")" "night 1: $n mapped"
done
is "$(requests iss.crl)" 1 "night 1: the CDP asked once for three certificates"

# The CA revokes p2 and publishes; the cached CRL is dropped as it would
# be at its nextUpdate.
openssl ca -config "$P/ca.cnf" -name iss -revoke "$P/c/p2.pem" \
	-crl_reason superseded >>"$T/pki.log" 2>&1 && crl_crl iss "$WWW/iss.crl"
ok $? "the CA revokes p2 and publishes its CRL"
rm -rf "$S/crl-cache"
night -n --output "$T/n2.ldif"
grep -q '^delete: altSecurityIdentities' "$T/n2.ldif"
ok $? "night 2 preview: a delete"
night
exit_is 1 "night 2: exit 1 (p2 refused as revoked)"
like "$(cat "$T/err")" '\(0 values added, 1 removed\)' "night 2: exactly one value removed"
is "$(cb_user_altsec crlp2)" "" "night 2: p2's value removed"
is "$(cb_user_altsec crlp1)$(cb_user_altsec crlp3)" "$(val "$(serial p1)")$(val "$(serial p3)")" "night 2: p1 and p3 untouched"
UNDO2=$(e2e_undo_file)
e2e_run "${LDAPS[@]}" --state-dir "$S" undo "$UNDO2"
exit_is 0 "undo of night 2: exit 0"
is "$(cb_user_altsec crlp2)" "$(val "$(serial p2)")" "undo of night 2: p2's value back"
night
like "$(cat "$T/err")" '0 removed' "the next night: nothing removed"
is "$(cb_user_altsec crlp2)" "$(val "$(serial p2)")" "the value the undo put back is not certbulk's any more: left alone"

# The CDP goes away; the CA revokes p3 meanwhile.
openssl ca -config "$P/ca.cnf" -name iss -revoke "$P/c/p3.pem" \
	-crl_reason keyCompromise >>"$T/pki.log" 2>&1
mv "$WWW/iss.crl" "$T/iss.crl.unpublished"
rm -rf "$S/crl-cache"
night
like "$(cat "$T/err")" "$U/iss.crl" "night 3: the warning names the CDP that did not answer"
like "$(cat "$T/err")" '0 removed' "night 3: nothing removed"
is "$(cb_user_altsec crlp3)" "$(val "$(serial p3)")" "night 3: p3's value stays (revocation unknown)"
is "$(cb_user_altsec crlp1)" "$(val "$(serial p1)")" "night 3: p1's value stays"
done_testing
