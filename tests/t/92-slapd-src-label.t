# Each row's source label, "FILE:LINE", as messages, preview notes and
# the report name it, now that a CSV row holds its file once per file and
# a line number rather than a string of its own (issue 13, memory): the
# file escaped as before, rows of two CSV files of one run each naming
# their own file, the certificates of a bundle numbered, and a path too
# long for the label's buffer held whole.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
e2e_setup
e2e_ca
{
	for u in lab1 lab2 lab3 lab4; do
		e2e_user_ldif "$u" "CN=Users,$CB_BASE" "$u"
	done
} | cb_add_users - >/dev/null

# a folder with a control character in its name, and one with a path of
# more than 256 bytes
ODD=$T/odd$'\001'dir
LONG=$T/$(printf 'l%.0s' {1..120})/$(printf 'm%.0s' {1..120})
mkdir -p "$ODD" "$LONG"
e2e_leaf "$ODD/1.pem" B001 cn=lab1
e2e_leaf "$LONG/2.pem" B002 cn=lab2
e2e_leaf "$T/3a.pem" B003 cn=lab3
e2e_leaf "$T/3b.pem" B004 cn=lab3
cat "$T/3a.pem" "$T/3b.pem" >"$T/3.pem"
printf 'user,certificate\nlab1,1.pem\nnosuch1,1.pem\n' >"$ODD/a.csv"
printf 'user,certificate\nlab2,2.pem\nnosuch2,2.pem\n' >"$LONG/b.csv"
printf 'user,certificate\nlab3,%s\nnosuch3,%s\n' "$T/3.pem" "$T/3.pem" \
	>"$T/c.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" -n --report "$T/rep.csv" \
	--csv "$ODD/a.csv" --csv "$LONG/b.csv" --csv "$T/c.csv"
exit_is 1 "the preview refuses the unknown users"

ODDL="$T/odd\\x01dir/a.csv"
grep -Fq "$ODDL:3: no account with" "$T/err"
ok_diag $? "a row of the first file is named with its file (escaped) and line"
grep -Fq "# from $ODDL:2: CN=lab1" "$T/out"
ok_diag $? "... and so is the planned row's preview note"
grep -Fq "$LONG/b.csv:3: no account with" "$T/err"
ok_diag $? "a row of the file with a long path is named whole"
grep -Fq "# from $LONG/b.csv:2: CN=lab2" "$T/out"
ok_diag $? "... and in its preview note"
grep -Fq "$T/c.csv:3 [2]: no account with" "$T/err"
ok_diag $? "a bundle's second certificate is numbered after its row"
grep -Fq "# from $T/c.csv:2 [1]: CN=lab3" "$T/out" &&
	grep -Fq "# from $T/c.csv:2 [2]: CN=lab3" "$T/out"
ok_diag $? "... and both of its certificates in the preview notes"
is "$(grep -c '^# from ' "$T/out")" 4 "four rows planned, each with its note"
for s in "$ODDL:2" "$LONG/b.csv:3" "$T/c.csv:2 [2]" "$T/c.csv:3 [1]"; do
	grep -Fq "\"$s\"," "$T/rep.csv" || grep -Fq "$s," "$T/rep.csv"
	ok_diag $? "the report names the row $s"
done
is "$(($(wc -l <"$T/rep.csv") - 1))" 8 "one report line per certificate"
done_testing
