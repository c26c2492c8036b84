#!/bin/bash
# 53-slapd-escape.t: everything from outside that certbulk prints -- file
# names, CSV fields, names in certificates -- reaches the terminal, the --log
# file, the preview LDIF and the undo file escaped: no raw control byte, no
# invalid UTF-8, no forged comment line (issue 8, item 5).  Also show --tsv
# with a tab and a line feed in a file name (item 22).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W/dir" "$W/c"
{
	for n in e1 e2 e3 e4 e5; do cb_user_ldif slapd "$n"; done
} | cb_add_users -
ok $? "setup: users added"

ESC=$'\e'
FORGED=$'x\ncertbulk-record: 1 status: failed\ny.cer'
e2e_leaf "$W/dir/$FORGED" 5301 sid="$(cb_user_sid e1)" || exit 1
e2e_leaf "$W/dir/esc${ESC}[31mred${ESC}]0;title"$'\a'".pem" 5302 sid="$(cb_user_sid e2)" || exit 1
e2e_leaf "$W/dir/bad"$'\xff\xfe'"utf8.pem" 5303 sid="$(cb_user_sid e3)" || exit 1
# a subject with an escape sequence and a carriage return in its CN
e2e_leaf "$W/dir/subj.pem" 5304 sid="$(cb_user_sid e4)" cn="evil${ESC}[2J"$'\r'"name" || exit 1
e2e_leaf "$W/c/5305.pem" 5305 || exit 1
# CSV fields: an account name with an escape sequence, one with invalid
# UTF-8, a certificate path with a line feed; the CSV's own name has one too
CSV=$W/$'in\nput.csv'
{
	echo 'user,certificate'
	printf '"e5%s[1mX",c/5305.pem\n' "$ESC"
	printf 'e\xff5,c/5305.pem\n'
	printf 'e5,"c/no\nsuch.pem"\n'
} >"$CSV"

# clean FILE DESC: no control byte but line feeds, and valid UTF-8
clean() {
	local n
	n=$(LC_ALL=C tr -d '\n' <"$1" | LC_ALL=C tr -d '\040-\176\200-\377' | wc -c)
	is "$n" 0 "$2: no raw control bytes"
	iconv -f UTF-8 -t UTF-8 <"$1" >/dev/null 2>&1
	ok $? "$2: valid UTF-8"
	grep -q '^#* *certbulk-record: 1 status: failed' "$1"
	ok $((!$?)) "$2: no forged status line"
}

e2e_run "${LDAPS[@]}" -v -n --output "$T/preview.ldif" --log "$T/run.log" --certdir "$W/dir" --csv "$CSV"
exit_is 1 "hostile names, preview"
clean "$T/err" "preview: the terminal"
clean "$T/run.log" "preview: the --log file"
clean "$T/preview.ldif" "preview: the LDIF"
grep -q '^# from .*x\\x0Acertbulk-record: 1 status: failed\\x0Ay.cer' "$T/preview.ldif"
ok_diag $? "preview: the file name with line feeds is one escaped comment line"
grep -qF 'esc\x1B[31mred\x1B]0;title\x07.pem' "$T/preview.ldif"; ok_diag $? "preview: the escape sequences in a file name are shown as \\xHH"
grep -qF 'bad\xFF\xFEutf8.pem' "$T/preview.ldif"; ok_diag $? "preview: invalid UTF-8 in a file name is shown as \\xHH"
grep -q 'in\\x0Aput.csv:3: .*e\\xFF5' "$T/err"; ok_diag $? "preview: a CSV row with invalid UTF-8 is named, escaped"
grep -qF 'CN=evil\1B[2J\0Dname' "$T/preview.ldif"; ok_diag $? "preview: the subject's control bytes are escaped in the notes"
for u in e1 e2 e3 e4; do
	e2e_ldif_pairs "$T/preview.ldif" | grep -q "^$(cb_user_dn $u | tr 'A-Z' 'a-z')	add	"
	ok $? "preview: $u is planned"
done

mkdir -p "$T/state"
e2e_run "${LDAPS[@]}" -q --log "$T/apply.log" --state-dir "$T/state" --certdir "$W/dir"
exit_is 0 "hostile file names, apply"
U=$(ls "$T/state"/undo-*.ldif | head -1)
clean "$U" "apply: the undo file"
clean "$T/apply.log" "apply: the --log file"
e2e_run "${LDAPS[@]}" --state-dir "$T/state2" undo "$U"
exit_is 0 "undo of the run with a forged-looking file name"
is "$(cb_user_altsec e1)" "" "undo: the value of the file with the forged-looking name is removed"

# item 22: show --tsv keeps one line per value whatever the file name
TSVF=$W/$'t\tab\nnl\\bs.pem'
cp "$W/c/5305.pem" "$TSVF"
e2e_run show --tsv "$TSVF"
exit_is 0 "show --tsv, tab, line feed and backslash in the file name"
is "$(grep -c '' "$T/out")" 3 "show --tsv: three lines, one per strong value"
is "$(awk -F'\t' '{ print NF }' "$T/out" | sort -u)" 4 "show --tsv: four columns on every line"
is "$(cut -f1 "$T/out" | sort -u)" "${W//\\/\\\\}/t\\tab\\nnl\\\\bs.pem" "show --tsv: FILE escaped as \\t \\n \\\\"
e2e_run show "$TSVF" "$W/dir/subj.pem"
clean "$T/out" "show: the facts"

done_testing
