#!/bin/bash
# 62-samba-rows.t: against a real Samba AD DC, one bad row or file is that
# row's or file's error, named, and the batch goes on with exit status 1
# (issue 8, item 12): malformed DNs and SIDs, a DN outside the domain's
# naming context, a certificate in --certdir whose SID extension holds an
# impossible SID.  And the server's case-insensitive match decides for UPN
# and mail values in other non-ASCII case (item 17).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
W=$T/w
mkdir -p "$W/c" "$W/dir"
REALM_LC=${CB_REALM,,}

{
	for n in g1 g2 g3 g4; do sb_user "$n"; done
	# UPN and mail in upper-case non-ASCII letters
	printf 'dn: CN=juergen,CN=Users,%s\nobjectClass: user\nsAMAccountName: juergen\nuserPrincipalName: JÜRGEN@%s\nmail: JÜRGEN.M@%s\n\n' \
		"$CB_BASE" "$REALM_LC" "$REALM_LC"
	printf 'dn: CN=oelmann,CN=Users,%s\nobjectClass: user\nsAMAccountName: oelmann\nmail: ÖLMANN@%s\n\n' \
		"$CB_BASE" "$REALM_LC"
} | cb_add_users -
ok $? "setup: users added"

has_add() {
	e2e_ldif_pairs "$T/out" | grep -Fxq -- "$(sb_dn "$1")	add	$(e2e_val "$2")"
}

for s in 6201 6202 6203 6204 6205 6206 6207 6208 6209 6210; do
	e2e_leaf "$W/c/$s.pem" "$s" || exit 1
done
SID16="S-1-5-21$(printf -- '-1%.0s' $(seq 15))"
{
	echo 'user,certificate'
	echo "g1,c/6201.pem"					# line 2
	echo "=,c/6202.pem"					# line 3
	echo "CN=a+,c/6203.pem"					# line 4
	echo "\"CN=x,,DC=y\",c/6204.pem"			# line 5
	echo "S-1-,c/6205.pem"					# line 6
	echo "$SID16,c/6206.pem"				# line 7
	echo "S-1-5-21-1-2-3-4294967296,c/6207.pem"		# line 8
	echo "\"CN=nobody,DC=elsewhere,DC=invalid\",c/6208.pem"	# line 9
	echo "$(cb_user_sid g2),c/6209.pem"			# line 10
	echo "\"$(cb_user_dn g3)\",c/6210.pem"			# line 11
} >"$W/rows.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/rows.csv"
exit_is 1 "Samba: bad rows among good ones"
has_add g1 6201; ok_diag $? "Samba: bad rows: the row before them is planned"
has_add g2 6209; ok_diag $? "Samba: bad rows: a SID row after them is planned"
has_add g3 6210; ok_diag $? "Samba: bad rows: a DN row after them is planned"
for l in 3 4 5 6 7 8 9; do
	grep -q "^certbulk: $W/rows.csv:$l: .*skipped\|^certbulk: $W/rows.csv:$l: .*not mapped" "$T/err"
	ok_diag $? "Samba: bad rows: line $l is named, with what happens to it"
done
grep -qi 'search filter\|unreachable\|connection lost' "$T/err"
ok $((!$?)) "Samba: bad rows: no batch-wide error"

# --certdir: one certificate with an impossible SID extension
e2e_leaf "$W/dir/a-bad.pem" 6220 sid=S-1-5-21-1-2-3-4294967296 || exit 1
e2e_leaf "$W/dir/b-16.pem" 6221 sid="$SID16" || exit 1
e2e_leaf "$W/dir/c-good.pem" 6222 sid="$(cb_user_sid g4)" || exit 1
e2e_run "${LDAPS[@]}" -n --certdir "$W/dir"
exit_is 1 "Samba: --certdir with impossible SID extensions"
has_add g4 6222; ok_diag $? "Samba: impossible SID extensions: the good file is planned"
grep -q "a-bad.pem: .*not a valid SID" "$T/err"; ok_diag $? "Samba: a sub-authority over 2^32-1: its file is named"
grep -q "b-16.pem: .*not a valid SID" "$T/err"; ok_diag $? "Samba: 16 sub-authorities: its file is named"

# item 17: the server finds JÜRGEN for jürgen (UPN and mail)
e2e_leaf "$W/c/6230.pem" 6230 && e2e_leaf "$W/c/6231.pem" 6231 &&
	e2e_leaf "$W/c/6232.pem" 6232 || exit 1
printf 'user,certificate\njürgen@%s,c/6230.pem\n' "$REALM_LC" >"$W/upn.csv"
printf 'mail,certificate\njürgen.m@%s,c/6231.pem\nölmann@%s,c/6232.pem\n' "$REALM_LC" "$REALM_LC" >"$W/mail.csv"
e2e_run "${LDAPS[@]}" -n --csv "$W/upn.csv" --csv "$W/mail.csv"
exit_is 0 "Samba: UPN and mail rows in other non-ASCII case"
has_add juergen 6230; ok_diag $? "Samba: userPrincipalName JÜRGEN@ found for jürgen@"
has_add juergen 6231; ok_diag $? "Samba: mail JÜRGEN.M@ found for jürgen.m@"
has_add oelmann 6232; ok_diag $? "Samba: mail ÖLMANN@ found for ölmann@"

done_testing
