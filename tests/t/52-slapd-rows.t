#!/bin/bash
# 52-slapd-rows.t: one bad row or file is that row's or file's error, named,
# and the batch goes on (issue 8, items 12-14, 17-19, 21), against a real
# slapd: malformed DNs and SIDs, a DN the server refuses (under a referral,
# outside the naming context), a certificate whose SID extension is
# impossible, a NUL byte in a CSV row, an unreadable or too deep subfolder,
# a FIFO in --certdir, a long dotless certificate path, a UPN in other
# non-ASCII case, and standard descriptors closed at start.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W"

{
	for n in r1 r2 r3 r4 r5 d1 d2 d3 n1 n2 n3 f1 l1 z1 z2 z3; do
		cb_user_ldif slapd "$n"
	done
	# a UPN held in other non-ASCII case than the CSV row writes it
	cb_user_ldif slapd jurgen | sed 's/^userPrincipalName: .*/userPrincipalName: JÜRGEN@test.certbulk.lan/'
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
# a referral object: a DN below it is another server's
cb_ldap ldapadd -M >/dev/null 2>"$T/ref.err" <<EOF
dn: OU=away,$CB_BASE
objectClass: referral
objectClass: extensibleObject
ou: away
ref: ldap://127.0.0.1:9/OU=away,$CB_BASE
EOF
ok_diag $? "setup: a referral object OU=away"

DN() { cb_user_dn "$1" | tr 'A-Z' 'a-z'; }
# has_add NAME SERIAL: the preview in $T/out adds NAME's value for SERIAL
has_add() {
	e2e_ldif_pairs "$T/out" | grep -Fxq -- "$(DN "$1")	add	$(e2e_val "$2")"
}
# stderr_line PATTERN: the stderr line matching the fixed string PATTERN
stderr_has() { grep -F -- "$1" "$T/err" | grep -q -- "$2"; }

# ------------------------------------------------------------ item 12: rows
for s in 5201 5202 5203 5204 5205 5206 5207 5208 5209 5210 5211; do
	e2e_leaf "$W/c/$s.pem" "$s" || exit 1
done
SID16="S-1-5-21$(printf -- '-1%.0s' $(seq 15))"	# 16 sub-authorities
SID_R3=$(cb_user_sid r3)
{
	echo 'user,certificate'
	echo "r1,c/5201.pem"					# line 2
	echo "=,c/5202.pem"					# line 3
	echo "CN=a+,c/5203.pem"					# line 4
	echo "\"CN=x,,DC=y\",c/5204.pem"			# line 5
	echo "S-1-,c/5205.pem"					# line 6
	echo "$SID16,c/5206.pem"				# line 7
	echo "S-1-5-21-1-2-3-4294967296,c/5207.pem"		# line 8
	echo "\"CN=someone,OU=away,$CB_BASE\",c/5208.pem"	# line 9
	echo "\"CN=nobody,DC=elsewhere,DC=invalid\",c/5209.pem"	# line 10
	echo "$SID_R3,c/5210.pem"				# line 11
	echo "\"$(DN r2)\",c/5211.pem"				# line 12
} >"$W/rows.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/rows.csv"
exit_is 1 "bad rows among good ones"
has_add r1 5201; ok_diag $? "bad rows: the row before them is planned (r1)"
has_add r3 5210; ok_diag $? "bad rows: a SID row after them is planned (r3)"
has_add r2 5211; ok_diag $? "bad rows: a DN row after them is planned (r2)"
for l in 3 4 5 6 7 8 9 10; do
	grep -q "^certbulk: $W/rows.csv:$l: " "$T/err"
	ok_diag $? "bad rows: line $l is named"
done
stderr_has "rows.csv:3:" "not a valid distinguished name"; ok $? "bad rows: '=' is not a DN"
stderr_has "rows.csv:4:" "not a valid distinguished name"; ok $? "bad rows: 'CN=a+' is not a DN"
stderr_has "rows.csv:5:" "not a valid distinguished name"; ok $? "bad rows: 'CN=x,,DC=y' is not a DN"
stderr_has "rows.csv:6:" "is not a SID"; ok $? "bad rows: 'S-1-' is not a SID"
stderr_has "rows.csv:7:" "is not a SID"; ok $? "bad rows: 16 sub-authorities is not a SID"
stderr_has "rows.csv:8:" "is not a SID"; ok $? "bad rows: a sub-authority over 2^32-1 is not a SID"
stderr_has "rows.csv:9:" "refers to another server"; ok_diag $? "bad rows: a DN under a referral is that row's error"
stderr_has "rows.csv:10:" "not mapped"; ok_diag $? "bad rows: a DN outside the naming context is that row's error"
grep -q 'cannot build a search filter' "$T/err"
ok $((!$?)) "bad rows: no 'cannot build a search filter'"
# the scope note of the duplicate check is not about rows
is "$(grep -vc '^certbulk: note: duplicate check:' "$T/err" | tr -d ' ')" "$(( 8 + 1 ))" "bad rows: one line per bad row, and the summary"

# the same rows applied: the good ones are written, exit status 1
e2e_run "${LDAPS[@]}" --state-dir "$T/state" --csv "$W/rows.csv"
exit_is 1 "bad rows applied"
is "$(cb_user_altsec r1)" "$(e2e_val 5201)" "bad rows applied: r1 got its value"

# ------------------------------------------- item 12: certificate SID extension
mkdir -p "$W/sid"
e2e_leaf "$W/sid/a-bad-sid.pem" 5220 sid=S-1-5-21-1-2-3-4294967296 upn=r4@test.certbulk.lan || exit 1
e2e_leaf "$W/sid/b-16-sub.pem" 5221 sid="$SID16" upn=r5@test.certbulk.lan || exit 1
e2e_leaf "$W/sid/c-good.pem" 5222 sid="$(cb_user_sid d1)" || exit 1
e2e_run "${LDAPS[@]}" -n --certdir "$W/sid"
exit_is 1 "--certdir with impossible SID extensions"
has_add d1 5222; ok_diag $? "impossible SID extensions: the good file is planned"
stderr_has "a-bad-sid.pem" "not a valid SID"; ok_diag $? "impossible SID extensions: a sub-authority over 2^32-1 names its file"
stderr_has "b-16-sub.pem" "not a valid SID"; ok_diag $? "impossible SID extensions: 16 sub-authorities names its file"
grep -qi 'search filter\|unreachable' "$T/err"
ok $((!$?)) "impossible SID extensions: no batch-wide error"

# ------------------------------------------------------ item 14: NUL byte
e2e_leaf "$W/c/5230.pem" 5230 && e2e_leaf "$W/c/5231.pem" 5231 && e2e_leaf "$W/c/5232.pem" 5232 || exit 1
printf 'user,certificate\nn1,c/5230.pem\nn2,c/52\00031.pem\nn3,c/5232.pem\n' >"$W/nul.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/nul.csv"
exit_is 1 "a NUL byte on line 3"
has_add n1 5230; ok_diag $? "NUL byte: the row before it is planned"
has_add n3 5232; ok_diag $? "NUL byte: the row after it is planned"
has_add n2 5231; ok $((!$?)) "NUL byte: its own row is not"
grep -q "nul.csv:3: .*NUL" "$T/err"; ok_diag $? "NUL byte: the message names line 3"
grep -q "1 input rows or files skipped" "$T/err"; ok_diag $? "NUL byte: the summary counts one skipped row"

# ---------------------------------- items 13, 18, 23: --certdir entries
mkdir -p "$W/tree/a" "$W/tree/locked" "$W/tree/empty" "$W/tree/z"
e2e_leaf "$W/tree/a/1.pem" 5240 sid="$(cb_user_sid f1)" || exit 1
e2e_leaf "$W/tree/z/2.pem" 5241 sid="$(cb_user_sid l1)" || exit 1
e2e_leaf "$W/tree/locked/3.pem" 5242 sid="$(cb_user_sid z1)" || exit 1
deep=$W/tree/deep
for i in $(seq 34); do deep+=/d; done
mkdir -p "$deep"
e2e_leaf "$deep/4.pem" 5243 sid="$(cb_user_sid z2)" || exit 1
mkfifo "$W/tree/a/pipe.pem"
# a writer that holds the FIFO open and never writes (kept until the end)
sleep 600 <>"$W/tree/a/pipe.pem" &
SLEEPER=$!
# (the test's own status goes on to the usual cleanup)
trap 'rc=$?; kill $SLEEPER 2>/dev/null; (exit $rc); _e2e_cleanup' EXIT
chmod 000 "$W/tree/locked"
RUNAS=()
if [ "$(id -u)" = 0 ]; then
	# root reads a mode-000 folder anyway: drop the capability for the run
	RUNAS=(setpriv --bounding-set -all --inh-caps -all --)
	chmod o+rx "$T" "$W" "$W/tree" 2>/dev/null
fi
timeout -k 5 60 "${RUNAS[@]}" "$CERTBULK" "${LDAPS[@]}" -n --certdir "$W/tree" >"$T/out" 2>"$T/err"
RC=$?
[ "$RC" != 124 ] && [ "$RC" -lt 128 ]; ok_diag $? "--certdir with a FIFO: no hang (status $RC)"
exit_is 1 "--certdir with bad entries"
has_add f1 5240; ok_diag $? "--certdir: a file before the bad entries is planned"
has_add l1 5241; ok_diag $? "--certdir: a file in a folder after them is planned"
grep -q "tree/locked: .*skipped" "$T/err"; ok_diag $? "--certdir: the unreadable folder is named and skipped"
grep -q "tree/deep/.*nested.*skipped" "$T/err"; ok_diag $? "--certdir: the too deep folder is named and skipped"
grep -q "pipe.pem: not a regular file" "$T/err"; ok_diag $? "--certdir: the FIFO is named and skipped"
kill "$SLEEPER" 2>/dev/null
chmod 755 "$W/tree/locked"

# ---------------------------------- item 21: a long dotless certificate path
LONG=$(printf 'A%.0s' $(seq 70))
e2e_leaf "$W/$LONG" 5250 || exit 1
printf 'user,certificate\nd2,%s\n' "$LONG" >"$W/long.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/long.csv"
exit_is 0 "a 70-character dotless base64-looking path"
has_add d2 5250; ok_diag $? "a 70-character dotless path is read as a file"

# ---------------------------------- item 17: non-ASCII case of a UPN
e2e_leaf "$W/c/5260.pem" 5260 || exit 1
printf 'user,certificate\njürgen@test.certbulk.lan,c/5260.pem\n' >"$W/upn.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/upn.csv"
exit_is 0 "a UPN row in other non-ASCII case than the account's"
has_add jurgen 5260; ok_diag $? "the server's case-insensitive match finds JÜRGEN for jürgen"
mkdir -p "$W/upn"
# (e2e_leaf's upn= would take the bytes for Latin-1)
printf '%s\n' 'basicConstraints = critical, CA:FALSE' 'extendedKeyUsage = clientAuth' \
	'subjectAltName = @san' '[san]' \
	'otherName.1 = 1.3.6.1.4.1.311.20.2.3;FORMAT:UTF8,UTF8:jürgen@test.certbulk.lan' >"$T/pki/upn.ext"
openssl x509 -req -in "$T/pki/leaf.csr" -CA "$T/pki/ca.pem" -CAkey "$T/pki/ca.key" \
	-set_serial 0x5261 -days 3650 -extfile "$T/pki/upn.ext" -out "$W/upn/u.pem" 2>/dev/null || exit 1
e2e_run "${LDAPS[@]}" -n --match upn --certdir "$W/upn"
exit_is 0 "--certdir --match upn, other non-ASCII case"
has_add jurgen 5261; ok_diag $? "--match upn: the server's match decides"

# ---------------------------------- item 19: standard descriptors closed
e2e_leaf "$W/c/5270.pem" 5270 || exit 1
printf 'user,certificate\nd3,c/5270.pem\n' >"$W/fd.csv"
timeout -k 5 60 "$CERTBULK" "${LDAPS[@]}" -v -n --csv "$W/fd.csv" --output "$T/fd-preview.ldif" >"$T/out" 2>&-
is "$?" 0 "stderr closed (-v, messages written): exit status 0"
grep -q "add: altSecurityIdentities" "$T/fd-preview.ldif"; ok $? "stderr closed: the preview is complete"
timeout -k 5 60 "$CERTBULK" "${LDAPS[@]}" -n --csv "$W/fd.csv" >&- 2>"$T/err"
is "$?" 0 "stdout closed, preview to stdout: exit status 0"
mkdir -p "$T/fdstate"
timeout -k 5 60 "$CERTBULK" "${LDAPS[@]}" --state-dir "$T/fdstate" --csv "$W/fd.csv" <&- >&- 2>&-
is "$?" 0 "all three closed: the run exits 0"
U=$(ls "$T/fdstate"/undo-*.ldif 2>/dev/null | head -1)
grep -q 'certbulk' "$U" && ! grep -q '^certbulk: ' "$U"
ok $? "all three closed: no message inside the undo file"
e2e_run "${LDAPS[@]}" --state-dir "$T/fdstate2" undo "$U"
exit_is 0 "all three closed: the undo file can be undone"
is "$(cb_user_altsec d3)" "" "all three closed: undo removed the value"

done_testing
