#!/bin/bash
# 71-slapd-incr-key.t: the incremental key against a real slapd.  A
# nightly run reads only the --certdir files that changed, unless an
# option that changes what a file's items become (RUN_KEY_IN in the run's
# option table) differs from the last run: then it reads every file.  An
# option that changes only output or logging keeps the incremental read.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
KIND=slapd
D=$T/certs S=$T/st
mkdir -p "$D"
{ for i in 1 2 3; do cb_user_ldif "$KIND" "k$i"; done; } >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: 3 users"
for i in 1 2 3; do e2e_leaf "$D/k$i.pem" "880$i" "upn=k$i@test.certbulk.lan"; done
BASE=(--state-dir "$S" --ca-file "$T/pki/ca.pem" --certdir "$D")
UNREAD='3 certificate files unchanged since the last run, not read'

e2e_run "${LDAPS[@]}" "${BASE[@]}"
exit_is 0 "night 1 maps the 3 users"
e2e_run "${LDAPS[@]}" "${BASE[@]}"
like "$(cat "$T/err")" "$UNREAD" "night 2, same options: the unchanged files are not read"
# options that change only what is shown or logged
e2e_run "${LDAPS[@]}" "${BASE[@]}" -v --timeout 20 --report "$T/report.csv"
like "$(cat "$T/err")" "$UNREAD" "-v, --timeout, --report: still incremental"
# read_all DESCRIPTION: the last run ended (exit 0 or 1, not a usage or
# directory error) and read every file
read_all() {
	if [ "$RC" -le 1 ] && ! grep -q 'unchanged since the last run' "$T/err"; then
		ok 0 "$1"
	else
		ok 1 "$1"
		diag "exit $RC: $(cat "$T/err")"
	fi
}
# each option that changes the items reads all, once
n=0
for opt in --skip-disabled --allow-expired "--scope=$CB_BASE" --match=sid,upn \
	--type=X509IssuerSerialNumber --crl-check=chain --kdc=samba; do
	n=$((n + 1))
	e2e_run "${LDAPS[@]}" "${BASE[@]}" $opt
	read_all "$opt (new): every file read"
	e2e_run "${LDAPS[@]}" "${BASE[@]}" $opt
	like "$(cat "$T/err")" "$UNREAD" "$opt again: incremental"
done
# -b: another subtree
e2e_run "${LDAPS[@]}" -b "CN=Users,$CB_BASE" "${BASE[@]}"
read_all "-b another base: every file read"
done_testing
