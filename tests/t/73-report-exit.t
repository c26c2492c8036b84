#!/bin/bash
# 73-report-exit.t: --report (CSV and JSON, checked with a real parser:
# perl's core JSON::PP and Text::ParseWords-free CSV reading by perl), the
# exit status of each situation (input missing or unreadable, rows refused,
# expected refusals in --certdir mode and --fail-on, directory
# unreachable), -o opt=val as the OpenLDAP tools take it, and --output
# with a run that writes, against a real OpenLDAP slapd.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
command -v perl >/dev/null 2>&1 || skip_all "perl missing"
e2e_setup
e2e_ca
W=$T/w
S=$T/state
mkdir -p "$W/c" "$W/dir" "$W/expdir" "$W/unkdir" "$S"
chmod 700 "$S"

{
	cb_user_ldif slapd rp1
	cb_user_ldif slapd rp2 "altSecurityIdentities: $(e2e_val 7302)"
	cb_user_ldif slapd rp3
	cb_user_ldif slapd holder "altSecurityIdentities: $(e2e_val 7304)"
	cb_user_ldif slapd rp5
	cb_user_ldif slapd rp6
	cb_user_ldif slapd rp7
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"

for s in 7301 7302 7303 7304 7305 7306 7307 7308; do e2e_leaf "$W/c/$s.pem" $s; done
# a certificate that has expired, and one whose UPN names nobody
e2e_leaf_dates "$W/expdir/old.pem" 7310 20200101000000Z 20210101000000Z
e2e_leaf "$W/unkdir/nobody.pem" 7311 upn=nobody@test.certbulk.lan
cp "$W/expdir/old.pem" "$W/unkdir/nobody.pem" "$W/dir/"
e2e_leaf "$W/dir/rp6.pem" 7312 upn=rp6@test.certbulk.lan

cat >"$W/rows.csv" <<'EOF2'
user,certificate
rp1,c/7301.pem
rp2,c/7302.pem
nosuchuser,c/7303.pem
rp3,c/7304.pem
EOF2

# ------------------------------------------------------------ CSV report
e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/rows.csv" --report "$W/r.csv"
exit_is 1 "rows refused (unknown user, duplicate holder)"
is "$(stat -c %a "$W/r.csv")" 600 "report file mode 0600"
# parse the CSV with perl (quoted fields may hold newlines)
csvrows() {
	perl -e '
		local $/; my $t = <STDIN>; my @rows; my @f; my $cur = ""; my $q = 0;
		my $i = 0; my $n = length $t;
		while ($i < $n) {
			my $c = substr($t, $i++, 1);
			if ($q) {
				if ($c eq "\"") {
					if (substr($t, $i, 1) eq "\"") { $cur .= "\""; $i++ } else { $q = 0 }
				} else { $cur .= $c }
			} elsif ($c eq "\"") { $q = 1 }
			elsif ($c eq ",") { push @f, $cur; $cur = "" }
			elsif ($c eq "\n") { push @f, $cur; push @rows, [@f]; @f = (); $cur = "" }
			else { $cur .= $c }
		}
		for my $r (@rows) { my @x = @$r; $x[4] =~ s/\n/|/g; print join("\t", @x[0..3], $x[4]), "\n" }
	' <"$1"
}
csvrows "$W/r.csv" >"$T/rows"
is "$(head -n 1 "$T/rows")" "$(printf 'source\toutcome\treason\taccount\tvalues')" "CSV header"
like "$(grep -F 'rows.csv:2' "$T/rows")" $'\tmapped\t\tcn=rp1,.*\tX509:<I>.*<SR>' "row 2: mapped, account and value"
like "$(grep -F 'rows.csv:3' "$T/rows")" $'\talready-mapped\t' "row 3: already mapped"
like "$(grep -F 'rows.csv:4' "$T/rows")" $'\trefused\tunknown-user\t' "row 4: refused, unknown-user"
like "$(grep -F 'rows.csv:5' "$T/rows")" $'\trefused\tduplicate-holder\t' "row 5: refused, duplicate-holder"
is "$(grep -c . "$T/rows")" 5 "one line per row, plus the header"

# ------------------------------------------------------------ JSON report
e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/rows.csv" --report "$W/r.json" \
	--report-format json
exit_is 1 "JSON report run"
perl -MJSON::PP -e '
	local $/; my $d = JSON::PP->new->decode(<STDIN>);
	for my $r (@$d) {
		print join("\t", $r->{source}, $r->{outcome}, $r->{reason} // "",
		    $r->{account} // "", scalar @{$r->{values}}, $r->{certificate} // ""), "\n";
	}' <"$W/r.json" >"$T/jrows" 2>"$T/jerr"
ok $? "the JSON report parses (JSON::PP)"
is "$(grep -c . "$T/jrows")" 4 "JSON: one object per row"
like "$(grep -F 'rows.csv:2' "$T/jrows")" $'\talready-mapped\t\tcn=rp1,[^\t]*\t1\t[0-9A-Fa-f]{40}$' "JSON row 2: already mapped now, one value, thumbprint"
like "$(grep -F 'rows.csv:4' "$T/jrows")" $'\trefused\tunknown-user\t' "JSON row 4: unknown-user"

# ------------------------------------------------ a modify the server refuses
# rp5's DN does not exist: a DN row the server cannot find is a refusal;
# a failed modify is simulated by deleting the account between plan and
# apply through a reviewed plan (see 72-samba-apply-plan.t for plans)

# ------------------------------------------------------------ exit statuses
e2e_run "${LDAPS[@]}" --state-dir "$S" --certdir "$W/no-such-dir" --report "$W/m.csv"
exit_is 5 "--certdir missing"
like "$(cat "$T/err")" 'no-such-dir' "the missing folder is named"
like "$(cat "$W/m.csv")" 'no-such-dir,refused,input-missing' "report: the folder, input-missing"

e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/nothere.csv"
exit_is 5 "--csv missing"
e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/c"
exit_is 5 "--csv is a folder (unreadable as CSV)"
e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/nothere.csv" --certdir "$W/unkdir"
exit_is 5 "one input missing, the other fine: still 5"

e2e_run "${LDAPS[@]}" --state-dir "$S" -q --certdir "$W/expdir" --report "$W/e.csv"
exit_is 0 "--certdir with only an expired certificate"
is "$(cat "$T/err")" "" "-q: nothing on stderr (an expected refusal is a note)"
like "$(cat "$W/e.csv")" 'old.pem,skipped,expired' "report: skipped, expired"
e2e_run "${LDAPS[@]}" --state-dir "$S" --certdir "$W/expdir" --fail-on expired
exit_is 1 "--fail-on expired"
e2e_run "${LDAPS[@]}" --state-dir "$S" -q --certdir "$W/unkdir" --report "$W/u.csv"
exit_is 0 "--certdir with only a certificate of an unknown user"
like "$(cat "$W/u.csv")" 'nobody.pem,skipped,unknown-user' "report: skipped, unknown-user"
e2e_run "${LDAPS[@]}" --state-dir "$S" --certdir "$W/unkdir" --fail-on unknown-user,expired
exit_is 1 "--fail-on unknown-user"
e2e_run "${LDAPS[@]}" --state-dir "$S" --certdir "$W/unkdir" --fail-on bogus
exit_is 2 "--fail-on with an unknown code"

e2e_run "${LDAPS[@]}" --state-dir "$S" -q --certdir "$W/dir" --report "$W/d.csv"
exit_is 0 "--certdir: one mapped, one expired, one unknown"
like "$(grep rp6.pem "$W/d.csv")" 'rp6.pem,mapped,' "report: the certificate mapped"
is "$(grep -c ',skipped,' "$W/d.csv")" 2 "report: two skipped"

# a CSV row naming nobody is a failure, whatever --fail-on says
printf 'user,certificate\nnosuchuser,c/7305.pem\n' >"$W/one.csv"
e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/one.csv"
exit_is 1 "CSV row without an account"

PORT=$(e2e_closed_port)
e2e_run -H "ldaps://127.0.0.1:$PORT" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-b "$CB_BASE" --state-dir "$S" --timeout 5 --csv "$W/rows.csv"
exit_is 3 "directory unreachable"

# ------------------------------------------------------------ -o and --output
e2e_run "${LDAPS[@]}" -n -o "$W/plan.ldif" --csv "$W/rows.csv"
exit_is 2 "-o FILE (the old spelling)"
like "$(cat "$T/err")" '--output' "the usage error names --output"
[ ! -e "$W/plan.ldif" ]
ok $? "-o FILE: no file written"
e2e_run "${LDAPS[@]}" undo -n -o "$W/u.ldif" "$W/nothing.ldif"
exit_is 2 "undo -o FILE"
e2e_run "${LDAPS[@]}" -o ldif_wrap=no -o nettimeout=7 -n --csv "$W/one.csv"
exit_is 1 "-o ldif_wrap=no -o nettimeout=7 accepted"
e2e_run "${LDAPS[@]}" -o nettimeout=0 -n --csv "$W/one.csv"
exit_is 2 "-o nettimeout=0"
printf 'user,certificate\nrp5,c/7306.pem\n' >"$W/rp5.csv"
e2e_run "${LDAPS[@]}" -o ldif_wrap=30 -n --output "$W/w.ldif" --csv "$W/rp5.csv"
exit_is 0 "-o ldif_wrap=30"
is "$(awk '!/^#/ && length($0) > 30' "$W/w.ldif" | wc -l)" 0 "-o ldif_wrap=30: no LDIF line over 30 columns"
like "$(grep -c '^ ' "$W/w.ldif")" '^[1-9]' "-o ldif_wrap=30: continuation lines"
e2e_run "${LDAPS[@]}" -n --output "$W/nw.ldif" --csv "$W/rp5.csv"
is "$(grep -c '^ ' "$W/nw.ldif")" 0 "without ldif_wrap: no folding"

e2e_run "${LDAPS[@]}" --state-dir "$S" --output "$W/applied.ldif" --csv "$W/rp5.csv"
exit_is 0 "--output with a run that writes"
like "$(head -n 3 "$W/applied.ldif")" 'what this run applied' "--output: the LDIF of what was applied"
is "$(e2e_ldif_pairs "$W/applied.ldif" | cut -f1,2)" "$(printf '%s\tadd' "$(e2e_dn rp5)")" "--output: rp5's add"
e2e_run "${LDAPS[@]}" --state-dir "$S" --output "$W/applied2.ldif" --csv "$W/rp5.csv"
exit_is 0 "--output, nothing to change"
is "$(e2e_ldif_pairs "$W/applied2.ldif")" "" "--output: nothing applied, an empty LDIF (not ignored)"
like "$(grep -c . "$W/applied2.ldif")" '^[1-9]' "--output: the file is written"

# a row whose certificate cannot be read: a report line of its own
printf 'user,certificate\nrp5,c/missing.pem\nrp5,c/7306.pem\n' >"$W/badrow.csv"
e2e_run "${LDAPS[@]}" --state-dir "$S" -n --csv "$W/badrow.csv" --report "$W/b.csv"
exit_is 1 "a bad row"
like "$(cat "$W/b.csv")" 'badrow.csv:2,refused,bad-input' "report: the bad row, bad-input"
like "$(cat "$W/b.csv")" 'badrow.csv:3,already-mapped,' "report: the good row"
e2e_run "${LDAPS[@]}" --state-dir "$S" -n --csv "$W/rows.csv" --report "$W/p.csv"
like "$(grep rows.csv:5 "$W/p.csv")" ',refused,duplicate-holder,' "-n: refusals reported"
printf 'user,certificate\nrp3,c/7307.pem\n' >"$W/rp3.csv"
e2e_run "${LDAPS[@]}" --state-dir "$S" -n --csv "$W/rp3.csv" --report "$W/p3.csv"
like "$(tr A-Z a-z <"$W/p3.csv")" "rp3.csv:2,planned,,\"cn=rp3," "-n: planned"
# a plan folded by -o ldif_wrap is still the plan (slapd: no objectGUID)
printf 'user,certificate\nrp7,c/7308.pem\n' >"$W/rp7.csv"
e2e_run "${LDAPS[@]}" -o ldif_wrap=40 -n --output "$W/p7.ldif" --csv "$W/rp7.csv"
exit_is 0 "a folded plan"
like "$(grep -c '^ ' "$W/p7.ldif")" '^[1-9]' "the plan has continuation lines"
e2e_run "${LDAPS[@]}" --state-dir "$S" apply "$W/p7.ldif" --report "$W/a7.csv"
exit_is 0 "apply of the folded plan"
is "$(cb_user_altsec rp7 | e2e_norm)" "$(e2e_val 7308)" "rp7: the plan's value"
like "$(cat "$W/a7.csv")" 'p7.ldif:[0-9]+,mapped,' "report: one line per plan value"

# a modify the server refuses: a (sealed) plan value slapd cannot take
# (not UTF-8: invalidAttributeSyntax) reports failed and the LDAP result
{
	tail -n +2 "$W/p7.ldif" | sed -e 's/^dn: cn=rp7,/dn: cn=rp3,/I' \
		-e '/^altSecurityIdentities/,/^-$/{/^altSecurityIdentities/d;/^ /d}' \
		-e 's|^add: altSecurityIdentities$|add: altSecurityIdentities\naltSecurityIdentities:: /w==|' >"$T/body8"
	printf '# certbulk-plan: 1 sha256=%s\n' "$(sha256sum <"$T/body8" | cut -d' ' -f1)"
	cat "$T/body8"
} >"$W/p8.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$S" apply "$W/p8.ldif" --report "$W/a8.csv"
exit_is 1 "a modify the server refuses"
like "$(LC_ALL=C tr -c "[:print:]\n" "?" <"$W/a8.csv")" 'p8.ldif:[0-9]+,failed,ldap-error,.*\(21\)' "report: failed, ldap-error, the LDAP result"

# the subcommands take -o as the run does
e2e_run "${LDAPS[@]}" -o out.tsv verify "$W/c/7301.pem"
exit_is 2 "verify -o FILE"
like "$(cat "$T/err")" '--output' "verify: the usage error names --output"
e2e_run "${LDAPS[@]}" -o nettimeout=5 verify --tsv "$W/c/7301.pem"
ok $([ "$RC" != 2 ]; echo $?) "verify -o nettimeout=5 accepted"
done_testing
