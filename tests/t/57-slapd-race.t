# A value that another process adds between certbulk's plan and its modify:
# on slapd (which does not advertise permissive modify) the modify gets
# result 20; certbulk must re-read the entry, send only what is still
# missing, and its undo file must not remove the value it did not add.
# gdb stops certbulk at apply_run, after the plan; the race is injected
# there.  Skipped without gdb.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v gdb >/dev/null 2>&1 || skip_all "gdb not installed"
e2e_setup
e2e_ca
e2e_leaf "$T/r.pem" 5A01 cn=racer
e2e_user_ldif racer "CN=Users,$CB_BASE" racer | cb_add_users - >/dev/null
printf 'user,certificate\nracer,r.pem\n' >"$T/r.csv"
SR=$(e2e_val 5A01)
DN="CN=racer,CN=Users,$CB_BASE"
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n' \
	"$DN" "$SR" >"$T/race.ldif"
# the injection runs in gdb's shell: it needs the harness variables
cat >"$T/inject.sh" <<EOS
export CB_URI_LDAPS='$CB_URI_LDAPS' CB_BIND_DN='$CB_BIND_DN' CB_PWFILE='$CB_PWFILE'
export LDAPTLS_CACERT='$LDAPTLS_CACERT'
. '$TOP/tests/dirs/common.sh'
cb_ldap ldapmodify -f '$T/race.ldif' >/dev/null
EOS
cat >"$T/gdb.cmd" <<EOS
set pagination off
set confirm off
break apply_run
run
shell bash '$T/inject.sh'
continue
EOS
# LeakSanitizer cannot run under ptrace (make asan): leaks are checked
# by the other tests
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
timeout 120 gdb -q -batch -x "$T/gdb.cmd" --args "$CERTBULK" "${LDAPS[@]}" \
	--state-dir "$T/st" --report "$T/report.csv" \
	--type X509IssuerSerialNumber,X509SHA1PublicKey \
	--csv "$T/r.csv" >"$T/out" 2>"$T/err"
grep -q 'exited normally' "$T/out"
ok_diag $? "certbulk finished with exit status 0 after the race"
SHA=$(openssl x509 -in "$T/r.pem" -outform DER | openssl dgst -sha1 -r | cut -c1-40)
got=$(cb_user_altsec racer | e2e_norm)
want=$(printf '%s\nX509:<SHA1-PUKEY>%s\n' "$SR" "${SHA^^}" | e2e_norm | LC_ALL=C sort)
is "$got" "$want" "both values are there, once each"
# the retry drops the value the entry already holds from the change: the
# row's values, as the report reads them after the run, are still whole
grep -F "r.csv:2,mapped," "$T/report.csv" >"$T/row"
ok_diag $? "the report has the row as mapped"
grep -Fq "\"$SR" "$T/row" && grep -Fxq "X509:<SHA1-PUKEY>${SHA^^}\",${SHA^^},,127.0.0.1 port ${CB_URI_LDAPS##*:} with TLS" \
	<(tail -n +2 "$T/report.csv")
ok_diag $? "the report names both of the row's values, the one sent again and the one found there"
UF=$(ls "$T"/st/undo-*.ldif)
# the record the server refused is marked failed; the resent one done and
# holding only the value certbulk added
is "$(grep -c 'status: failed' "$UF")" 1 "the refused modify's record is marked failed"
is "$(grep -c 'status: done' "$UF")" 1 "the resent modify's record is done"
awk '/status: done/ { d = 1 } d && /^altSecurityIdentities: / { print }' "$UF" >"$T/done-vals"
is "$(cat "$T/done-vals")" "altSecurityIdentities: X509:<SHA1-PUKEY>${SHA^^}" \
	"the done record removes only the value certbulk added"
e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "$UF"
is "$RC" 0 "undo: exit status 0"
is "$(cb_user_altsec racer | e2e_norm)" "$(printf '%s' "$SR" | e2e_norm)" \
	"undo leaves the value the other process added"
done_testing
