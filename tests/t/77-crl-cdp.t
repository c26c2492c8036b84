#!/bin/bash
# 77-crl-cdp.t: revocation against a real slapd, with CRLs from files
# (--crl-file, --crl-check leaf|chain) and from the certificates' CRL
# distribution points (--fetch-crl) served by tests/lib/httpd.pl on
# loopback: a revoked certificate refused, one fetch per URL, the cache in
# the state folder honoured until nextUpdate, and each way a CDP can fail
# (stale CRL, bad signature, another issuer's CRL, down, hanging, garbage,
# oversized, a redirect to another host) a warning naming the URL that
# leaves the rest of the batch alone; check-cdp's report of each.
#
# The PKI: a root CA, an issuing CA (its CDP: root.crl) and leaves issued
# by it whose CDPs are an ldap:// URL (never fetched) and an http:// one.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
command -v perl >/dev/null 2>&1 || skip_all "missing command: perl"
e2e_setup
unset http_proxy HTTP_PROXY no_proxy NO_PROXY

# ------------------------------------------------------- server and PKI
. "$TOP/tests/lib/crlpki.sh"
crl_httpd_start || { echo "Bail out! httpd.pl: $(cat "$T/http.err")"; exit 1; }
CLOSED=$(e2e_closed_port)
crl_pki || { diag "$(cat "$T/pki.log")"; echo "Bail out! PKI"; exit 1; }
leaf() { crl_leaf "$@"; }
crl() { crl_crl "$@"; }

LDAPCDP='ldap:///CN=crl%20test%20issuing%20CA?certificateRevocationList?base'
ok_all=0
leaf alice "$LDAPCDP" "$U/iss.crl" || ok_all=1
leaf bob "$LDAPCDP" "$U/iss.crl" || ok_all=1
leaf carol "$U/iss.crl" || ok_all=1
leaf dora "http://127.0.0.1:$CLOSED/iss.crl" || ok_all=1
leaf erin "$U/hang.crl" || ok_all=1
leaf fay "$U/garbage.crl" || ok_all=1
leaf gus "$U/big.crl" || ok_all=1
leaf hal "$U/away.crl" || ok_all=1
leaf ida "$U/moved.crl" || ok_all=1
leaf jon "$U/wrong.crl" || ok_all=1
leaf kim "$U/forged.crl" || ok_all=1
leaf lou "$U/stale.crl" || ok_all=1
leaf max "$LDAPCDP" || ok_all=1
leaf ned || ok_all=1
openssl ca -config "$P/ca.cnf" -name iss -revoke "$P/c/bob.pem" \
	-crl_reason keyCompromise >>"$T/pki.log" 2>&1 || ok_all=1
crl iss "$WWW/iss.crl" || ok_all=1
crl root "$WWW/root.crl" || ok_all=1
crl fake "$WWW/forged.crl" || ok_all=1
crl iss "$WWW/stale.crl" -crl_lastupdate 20200101000000Z \
	-crl_nextupdate 20200108000000Z || ok_all=1
cp "$WWW/root.crl" "$WWW/wrong.crl"
: >"$WWW/hang.crl.hang"
printf '<html>not a CRL</html>\n' >"$WWW/garbage.crl.garbage"
: >"$WWW/big.crl.big"
echo "http://127.0.0.2:$PORT/iss.crl" >"$WWW/away.crl.redirect"
echo "/iss.crl" >"$WWW/moved.crl.redirect"
openssl crl -inform DER -in "$WWW/iss.crl" -out "$P/iss.crl.pem" || ok_all=1
ok $ok_all "setup: root and issuing CA, 14 leaves, CRLs (one revocation)"
[ "$ok_all" = 0 ] || diag "$(tail -n 30 "$T/pki.log")"

# ------------------------------------------------------------------ users
{
	for u in alice bob carol dora erin fay gus hal ida jon kim lou max; do
		cb_user_ldif slapd "crl$u"
	done
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: 13 users added"

# csv OUT NAME...: user,certificate rows for crlNAME and NAME.pem
csv() {
	local out=$1 n
	shift
	echo 'user,certificate' >"$out"
	for n; do echo "crl$n,$P/c/$n.pem"; done >>"$out"
}
val() { printf 'X509:<I>CN=%s<SR>%s' "$ISS_CN" "$(e2e_rev "$1")"; }
serial() { openssl x509 -in "$P/c/$1.pem" -noout -serial | sed 's/.*=//'; }

# ------------------------------------------- --crl-file, --crl-check
csv "$T/ab.csv" alice bob
e2e_run "${LDAPS[@]}" -n --ca-file "$P/cas.pem" --crl-file "$P/iss.crl.pem" \
	--csv "$T/ab.csv"
exit_is 1 "--crl-file with only the issuing CA's CRL, default (leaf)"
grep -qi "^dn: cn=crlalice," "$T/out"
ok $? "leaf: alice, on no CRL, is planned"
grep -q "certificate revoked (CN=bob," "$T/err"
ok $? "leaf: bob refused as revoked"
grep -qi "^dn: cn=crlbob," "$T/out"
ok $((!$?)) "leaf: bob not planned"
e2e_run "${LDAPS[@]}" -n --ca-file "$P/cas.pem" --crl-file "$P/iss.crl.pem" \
	--crl-check leaf --csv "$T/ab.csv"
exit_is 1 "--crl-check leaf: the same"
grep -qi "^dn: cn=crlalice," "$T/out"
ok $? "--crl-check leaf: alice planned"

e2e_run "${LDAPS[@]}" -n --ca-file "$P/cas.pem" --crl-file "$P/iss.crl.pem" \
	--crl-check chain --csv "$T/ab.csv"
exit_is 1 "--crl-check chain with only the issuing CA's CRL"
grep -q "unable to get certificate CRL (CN=alice," "$T/err"
ok $? "chain: alice refused, the issuing CA's own CRL is missing"
openssl crl -inform DER -in "$WWW/root.crl" >"$P/both.pem"
cat "$P/iss.crl.pem" >>"$P/both.pem"
e2e_run "${LDAPS[@]}" -n --ca-file "$P/cas.pem" --crl-file "$P/both.pem" \
	--crl-check chain --csv "$T/ab.csv"
exit_is 1 "--crl-check chain with both CRLs"
grep -qi "^dn: cn=crlalice," "$T/out"
ok $? "chain with both CRLs: alice planned"
grep -q "certificate revoked (CN=bob," "$T/err"
ok $? "chain with both CRLs: bob refused as revoked"

e2e_run "${LDAPS[@]}" -n --ca-file "$P/cas.pem" --crl-check sideways \
	--csv "$T/ab.csv"
exit_is 2 "--crl-check with another word"
like "$(cat "$T/err")" "crl-check sideways: give leaf" "...says what it takes"
e2e_run "${LDAPS[@]}" -n --fetch-crl --csv "$T/ab.csv"
exit_is 2 "--fetch-crl without --ca-file"

# ------------------------------------------------- --fetch-crl, the cache
ST=$T/st
csv "$T/abc.csv" alice bob carol
e2e_run "${LDAPS[@]}" --state-dir "$ST" --ca-file "$P/cas.pem" --fetch-crl \
	--csv "$T/abc.csv"
exit_is 1 "--fetch-crl run: bob is revoked"
is "$(cb_user_altsec crlalice)" "$(val "$(serial alice)")" "alice mapped"
is "$(cb_user_altsec crlcarol)" "$(val "$(serial carol)")" "carol mapped"
is "$(cb_user_altsec crlbob)" "" "bob (revoked, fetched CRL) not mapped"
grep -q "certificate revoked (CN=bob," "$T/err"
ok $? "bob's refusal says revoked"
is "$(requests iss.crl)" 1 "three certificates, one CDP URL: one request"
is "$(requests root.crl)" 0 "leaf checking: the issuing CA's CDP not asked"
grep -q "ldap:" "$T/err"
ok $((!$?)) "an ldap:// CDP beside an http:// one: no warning"
CF=$(ls "$ST/crl-cache/"*.crl 2>/dev/null)
is "$(echo "$CF" | grep -c .)" 1 "one CRL in the cache"
is "$(stat -c %a "$CF")" 600 "the cache file is mode 0600"
cmp -s "$CF" "$WWW/iss.crl"
ok $? "the cache holds the CRL as served"

csv "$T/ac.csv" alice carol
e2e_run "${LDAPS[@]}" --state-dir "$ST" --ca-file "$P/cas.pem" --fetch-crl \
	--csv "$T/ac.csv"
exit_is 0 "second run, CRL cached"
is "$(requests iss.crl)" 1 "second run before nextUpdate: no request"
e2e_run "${LDAPS[@]}" -n --state-dir "$ST" --ca-file "$P/cas.pem" \
	--fetch-crl --crl-check chain --csv "$T/ac.csv"
exit_is 0 "chain check from the cache and the issuing CA's CDP"
is "$(requests root.crl)" 1 "chain: the issuing CA's CDP asked once"
is "$(requests iss.crl)" 1 "chain: the leaves' CRL still from the cache"

# a cached CRL past its nextUpdate is fetched again
ST2=$T/st2
cp "$WWW/iss.crl" "$T/iss.good"
cp "$WWW/stale.crl" "$WWW/iss.crl"
e2e_run "${LDAPS[@]}" -n --state-dir "$ST2" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/ac.csv"
exit_is 1 "the CDP serves a stale CRL"
like "$(cat "$T/err")" "warning: CRL distribution point $U/iss\.crl: stale CRL: its nextUpdate 2020-01-08 00:00:00Z has passed" \
	"...a warning naming the URL and nextUpdate"
like "$(grep "CN=alice," "$T/err")" "revocation unknown: the CRL of its issuer is past its nextUpdate" \
	"...alice refused: revocation unknown"
n=$(requests iss.crl)
cp "$T/iss.good" "$WWW/iss.crl"
e2e_run "${LDAPS[@]}" -n --state-dir "$ST2" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/ac.csv"
exit_is 0 "the CDP serves a current CRL again"
is "$(requests iss.crl)" $((n + 1)) "...a stale cached CRL is fetched again"

# a cache file that is not ours (group-writable) is not trusted
chmod 0620 "$CF"
n=$(requests iss.crl)
e2e_run "${LDAPS[@]}" -n --state-dir "$ST" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/ac.csv"
exit_is 0 "group-writable cache file"
like "$(cat "$T/err")" "CRL cache file" "...reported"
is "$(requests iss.crl)" $((n + 1)) "...not used: the CRL is fetched"
is "$(stat -c %a "$CF")" 600 "...and replaced by a private one"

# ------------------------------------------------------- each CDP failure
# One run over the broken CDPs (all of one issuer, none serving its
# CRL): each a warning naming its URL, the certificates refused as
# revocation unknown, the run going on to the end.  (A certificate whose own
# CDP fails is still checked when another CDP of the run served its
# issuer's CRL: that CRL covers it, as a DC's CRL cache does.)
csv "$T/bad.csv" dora erin fay gus hal jon kim
ST3=$T/st3
n=$(requests iss.crl)
start=$(date +%s)
e2e_run "${LDAPS[@]}" --timeout 3 --state-dir "$ST3" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/bad.csv"
took=$(($(date +%s) - start))
exit_is 1 "the broken CDPs: the run goes on"
ok $((took > 30)) "a hanging CDP is given up after --timeout (${took}s)"
w() { grep "warning: CRL distribution point $1: " "$T/err"; }
like "$(w "http://127.0.0.1:$CLOSED/iss.crl")" "no answer" "CDP down: warning names the URL"
like "$(w "$U/hang.crl")" "no answer: .*(timeout|timed out)" "CDP hangs: a timeout"
like "$(w "$U/garbage.crl")" "not a DER CRL" "garbage answer"
like "$(w "$U/big.crl")" "too large" "oversized answer"
like "$(w "$U/away.crl")" "redirected to another server or to https \(http://127\.0\.0\.2:$PORT/iss\.crl\): not followed" \
	"a redirect to another host is not followed"
like "$(grep 'warning: CRL distribution point.*wrong\.crl' "$T/err")" "another issuer's \(the CRL's issuer is CN=crl test root\)" \
	"another issuer's CRL"
like "$(w "$U/forged.crl")" "bad signature" "a forged CRL: bad signature"
is "$(requests iss.crl)" "$n" "nothing fetched where the redirect pointed"
for u in dora erin fay gus hal jon kim; do
	is "$(cb_user_altsec "crl$u")" "" "$u not mapped (revocation unknown)"
	like "$(grep "(CN=$u," "$T/err")" "revocation unknown: no usable CRL" \
		"...$u's refusal says why"
done
is "$(ls "$ST3/crl-cache" | grep -c .)" 1 "only the CRL with a verified signature (the root's, at wrong.crl) cached"

# with one CDP of the issuer working, its CRL covers them all
csv "$T/bad2.csv" dora erin carol
e2e_run "${LDAPS[@]}" -n --timeout 3 --state-dir "$ST3" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/bad2.csv"
exit_is 0 "the issuer's CRL from carol's CDP covers dora and erin"
like "$(w "$U/hang.crl")" "no answer" "...their own CDPs still warned about"

csv "$T/ida.csv" ida
e2e_run "${LDAPS[@]}" -n --state-dir "$T/st4" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/ida.csv"
exit_is 0 "a redirect on the same server"
is "$(w "$U/moved.crl")" "" "...is followed"
csv "$T/max.csv" max
e2e_run "${LDAPS[@]}" -n --state-dir "$T/st5" --ca-file "$P/cas.pem" \
	--fetch-crl --csv "$T/max.csv"
exit_is 1 "only an ldap:// CDP"
like "$(grep "(CN=max," "$T/err")" "revocation unknown.*--crl-file" \
	"...refused, --crl-file suggested"
e2e_run "${LDAPS[@]}" -n --state-dir "$T/st5" --ca-file "$P/cas.pem" \
	--crl-file "$P/iss.crl.pem" --fetch-crl --csv "$T/max.csv"
exit_is 0 "...with --crl-file beside --fetch-crl: mapped"

# ---------------------------------------------------------------- check-cdp
cdp() { e2e_run check-cdp --timeout 3 "$@"; }
cdp --ca-file "$P/cas.pem" "$P/c/alice.pem"
exit_is 0 "check-cdp: a good certificate"
like "$(cat "$T/out")" "answered: yes" "...answered"
like "$(cat "$T/out")" "CRL issuer: CN=$ISS_CN" "...the CRL's issuer"
like "$(cat "$T/out")" "nextUpdate: 20[0-9-]+ [0-9:]+Z$" "...nextUpdate, current"
like "$(cat "$T/out")" "signature: good" "...signature"
like "$(cat "$T/out")" "certificate: not on the CRL" "...not on it"
like "$(cat "$T/out")" "not fetched: only http://" "...the ldap:// CDP not fetched"
like "$(cat "$T/out")" "revocation: good" "...verdict good"
cdp --ca-file "$P/cas.pem" "$P/c/bob.pem"
exit_is 1 "check-cdp: a revoked certificate"
like "$(cat "$T/out")" "certificate: REVOKED 20.* \(keyCompromise\)" "...REVOKED with date and reason"
cdp --ca-file "$P/root/ca.pem" "$P/iss/ca.pem" "$P/c/carol.pem"
exit_is 0 "check-cdp: the CA given as an operand checks the signature"
cdp "$P/c/carol.pem"
exit_is 1 "check-cdp without the CA"
like "$(cat "$T/out")" "signature: unchecked" "...signature unchecked"
cdp --ca-file "$P/cas.pem" --tsv "$P/c/lou.pem" "$P/c/kim.pem" "$P/c/dora.pem" \
	"$P/c/jon.pem" "$P/c/erin.pem" "$P/c/hal.pem"
exit_is 1 "check-cdp --tsv over broken CDPs"
f() { awk -F'\t' -v u="$1" -v c="$2" '$3 == u { print $c }' "$T/out"; }
is "$(f "$U/stale.crl" 8)" yes "tsv: stale CRL flagged stale"
is "$(f "$U/stale.crl" 7)" "2020-01-08 00:00:00Z" "tsv: its nextUpdate"
is "$(f "$U/forged.crl" 9)" bad "tsv: forged CRL: signature bad"
is "$(f "http://127.0.0.1:$CLOSED/iss.crl" 4)" no "tsv: CDP down: not answered"
like "$(f "$U/hang.crl" 12)" "timeout|timed out" "tsv: hanging CDP: timeout"
like "$(f "$U/wrong.crl" 12)" "another issuer" "tsv: another issuer's CRL"
like "$(f "$U/away.crl" 12)" "not followed" "tsv: redirect elsewhere"
is "$(awk -F'\t' '{ print $11 }' "$T/out" | sort -u)" unknown "tsv: every one revocation unknown"
cdp --ca-file "$P/cas.pem" --json "$P/c/bob.pem"
exit_is 1 "check-cdp --json"
like "$(cat "$T/out")" '"revocation":"revoked"' "json: revoked"
like "$(cat "$T/out")" '"on_crl":true,"revoked_at":"20[^"]*","reason":"keyCompromise"' "json: on the CRL"
cdp --ca-file "$P/cas.pem" "$P/c/ida.pem"
exit_is 0 "check-cdp: a same-server redirect"
like "$(cat "$T/out")" "revocation: good" "...followed: good"
cdp --ca-file "$P/cas.pem" "$P/c/max.pem" "$P/c/ned.pem"
exit_is 1 "check-cdp: only an ldap:// CDP, and no CDP at all"
like "$(cat "$T/out")" "no CRL distribution point" "...no CDP said"
is "$(grep -c 'revocation: unknown' "$T/out")" 2 "...both unknown"
cdp --ca-file "$P/cas.pem" "$P/c/alice.pem" "$T/none.pem"
exit_is 1 "check-cdp: a file that cannot be read"
e2e_run check-cdp
exit_is 2 "check-cdp without a certificate"

done_testing
