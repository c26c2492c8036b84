# --certdir with more files than are read ahead at once (256: the files
# are asked about, then read on a second thread, issue 13): a nightly
# run's incremental read must still record each file read with the
# identity taken for that very file before its read, so that the next
# night leaves exactly the unchanged files unread.  Files changed in
# several windows, files that fail in several windows (read every night)
# and files added between nights.  Messages name each failing file, in
# the files' order.  Passes on the build before the read-ahead as well.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
command -v cc >/dev/null 2>&1 || skip_all "no C compiler (cc)"
e2e_setup
W=$T/w
mkdir -p "$W"
N=700
e2e_gencerts "$N" "$W/data"
e2e_bench_ldif "$N" | cb_add_users -
ok $? "setup: $N accounts"
D=$W/data/certs S=$T/st
# bad files in several windows of the sorted names
for f in bench1x.pem bench3x.pem bench5x.pem bench9x.pem; do
	printf 'not a certificate\n' >"$D/$f"
done
mkfifo "$D/bench6x.cer"
BAD=5
BASE=(--state-dir "$S" --certdir "$D")
unread() {	# unread N DESCRIPTION
	local got
	got=$(sed -n 's/.*: \([0-9]*\) certificate files unchanged since the last run.*/\1/p' "$T/err")
	is "${got:-0}" "$1" "$2"
}
# the failing files' errors, in the files' (sorted) order; the FIFO is
# refused while the folder is listed, before any file is read
errs_ok() {
	grep "^certbulk: $D/bench[0-9]x\." "$T/err" |
		sed -e 's/^certbulk: //' -e 's/ (.*//' >"$T/errs"
	printf '%s\n' "$D/bench6x.cer: not a regular file; skipped" \
		"$D/bench1x.pem: not a certificate" \
		"$D/bench3x.pem: not a certificate" \
		"$D/bench5x.pem: not a certificate" \
		"$D/bench9x.pem: not a certificate" >"$T/errs.exp"
	diff -u "$T/errs.exp" "$T/errs" >"$T/errs.diff"
	ok $? "$1: each bad file named once, in order"
	[ ! -s "$T/errs.diff" ] || diag "$(cat "$T/errs.diff")"
}

e2e_run "${LDAPS[@]}" "${BASE[@]}"
exit_is 1 "night 1 maps the $N users (the bad files fail)"
errs_ok "night 1"
is "$(ldapsearch -LLL "${LDAPS[@]}" '(altSecurityIdentities=*)' 1.1 |
	grep -c '^dn: ')" "$N" "every account mapped"

e2e_run "${LDAPS[@]}" "${BASE[@]}"
unread "$N" "night 2: every good file unchanged and unread"
errs_ok "night 2"

# change files in several windows (not their certificates: a new ctime)
for i in 3 250 400 401 699; do
	touch -d '2001-01-01' "$D/bench$i.cer"
done
e2e_run "${LDAPS[@]}" "${BASE[@]}"
unread "$((N - 5))" "night 3: the 5 changed files are read"
errs_ok "night 3"
e2e_run "${LDAPS[@]}" "${BASE[@]}"
unread "$N" "night 4: each file read recorded with its own identity"

# files added between nights, sorting among the others
cp "$D/bench7.cer" "$D/bench7a.cer"
cp "$D/bench500.cer" "$D/bench500a.cer"
e2e_run "${LDAPS[@]}" "${BASE[@]}"
unread "$N" "night 5: the old files unread, the new ones read"
e2e_run "${LDAPS[@]}" "${BASE[@]}"
unread "$((N + 2))" "night 6: the new files unread too"
errs_ok "night 6"
done_testing
