#!/bin/bash
# 84-samba-audit-owned.t: certbulk audit over the run state (issue 11) on
# a real Samba AD DC.  Owned values are seeded by real runs; then one
# certificate is already expired (mapped with --allow-expired), one is
# revoked by a CRL, one revoked certificate carries an unhandled critical
# extension (the verifier's first complaint is that, not the revocation:
# the old string compare of trust_verify's reason called it valid), one
# file leaves the input, one certificate is renewed (the old value
# superseded), one owned value is removed by hand and one account is
# deleted.  audit must report each (terminal, --tsv, --json, --csv) and
# nothing else, with the exit status the man page gives; status and
# --prune see the revocation the same way.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_require
unset LDAPTLS_REQCERT
sb_setup
e2e_ca
P=$T/pki
W=$T/w
D=$W/certs
S=$W/st
mkdir -p "$D" "$W/csv"
umask 077
UPN=test.certbulk.lan

{
	for n in a1 a2 a3 a4 a5 a6 a7 a8; do cb_user_ldif samba "$n"; done
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: 8 users"

for n in 1 3 4 5 6 7; do e2e_leaf "$D/a$n.pem" "640$n" "upn=a$n@$UPN" || break; done
# revoked, with an extension no verifier knows, marked critical
sb_leaf "$D/a8.pem" 6408 "/CN=a8" \
	"subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:a8@$UPN" \
	'1.3.6.1.4.1.55555.1 = critical,ASN1:NULL'
ok $? "setup: certificates"
# a2's expired a day ago (a CSV input: openssl ca writes no UPN)
e2e_leaf_dates "$W/csv/a2.pem" 6402 "$(date -u -d '-30 days' +%Y%m%d%H%M%SZ)" \
	"$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)"
printf 'user,certificate\na2,a2.pem\n' >"$W/csv/x.csv"
(
	cd "$P" && : >ca/index.txt &&
		openssl ca -config ca.cnf -revoke "$D/a3.pem" &&
		openssl ca -config ca.cnf -revoke "$D/a8.pem" &&
		openssl ca -config ca.cnf -gencrl -crldays 30 -out crl.pem
) >"$T/crl.log" 2>&1
ok $? "setup: a CRL revoking a3's and a8's certificates" || diag "$(cat "$T/crl.log")"
TRUST=(--ca-file "$P/ca.pem" --crl-file "$P/crl.pem")
# the CA in NTAuth, so that audit --ca-file finds no NTAuth problem
e2e_run "${LDAPS[@]}" --state-dir "$W/nt" ntauth add "$P/ca.pem"
exit_is 0 "setup: the test CA published in NTAuth"
V() { e2e_val "$1" | e2e_norm; }
dn() { sb_dn "$1"; }
# the findings of --tsv output, as KIND<TAB>lower-case DN<TAB>VALUE
found() { awk -F'\t' '{ print $1 "\t" tolower($2) "\t" $3 }' "$T/out" | e2e_norm | LC_ALL=C sort; }
want() { LC_ALL=C sort; }

# ------------------------------------------------------------ no run state
e2e_run "${LDAPS[@]}" audit --state-dir "$W/none"
exit_is 0 "no run state, nothing mapped"
like "$(cat "$T/err")" "$W/none: no run state" "a missing state folder is said"
is "$(grep -c . "$T/err")" 2 "in one line (besides the summary)"

# ------------------------------------------------------------ day 1: owned
e2e_run "${LDAPS[@]}" --state-dir "$S" --certdir "$D"
exit_is 0 "day 1: 7 users mapped"
e2e_run "${LDAPS[@]}" --state-dir "$S" --csv "$W/csv/x.csv" --allow-expired
exit_is 0 "day 1: a2's expired certificate mapped with --allow-expired"
is "$(grep -vc '^#' "$S/owned.tsv")" 8 "owned.tsv holds 8 values"
HAND='X509:<I>DC=lan,DC=other,CN=Hand CA<SR>0A0B0C'
sb_add_values a1 "$HAND"
ok $? "a value added by hand to a1 (not owned: never reported)"

e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S" --certdir "$D" \
	--input-csv "$W/csv/x.csv" --ca-file "$P/ca.pem"
exit_is 1 "day 1 audit: only the expired certificate"
is "$(found)" "$(printf 'owned-expired\t%s\t%s\n' "$(dn a2)" "$(V 6402)")" \
	"day 1 audit: owned-expired for a2, nothing else"

# ------------------------------------------------------- between the runs
e2e_leaf "$D/a5-renewed.pem" 6415 "upn=a5@$UPN" days=3700
e2e_run "${LDAPS[@]}" --state-dir "$S" --certdir "$D"
exit_is 0 "day 2: a5's renewed certificate mapped"
rm -f "$D/a4.pem"
printf 'dn: %s\nchangetype: modify\ndelete: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
	"$(cb_user_dn a6)" "$(V 6406)" | cb_ldap ldapmodify >/dev/null
ok $? "a6's owned value removed by hand"
A7=$(dn a7)	# for the expected findings, once it is gone
cb_ldap ldapdelete "$(cb_user_dn a7)"
ok $? "a7 deleted"

# -------------------------------------------- audit from the state alone
e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S"
exit_is 1 "audit, state alone"
want >"$T/want" <<EOF
$(printf 'owned-expired\t%s\t%s\n' "$(dn a2)" "$(V 6402)")
$(printf 'owned-superseded\t%s\t%s\n' "$(dn a5)" "$(V 6405)")
$(printf 'owned-value-gone\t%s\t%s\n' "$(dn a6)" "$(V 6406)")
$(printf 'owned-account-gone\t%s\t\n' "$A7")
EOF
found >"$T/got"
same_file "$T/got" "$T/want" "state alone: expired, superseded, removed by hand, account gone; nothing else"

# ------------------------------------ with the inputs and the CRL: all
AUD=(audit --state-dir "$S" --certdir "$D" --input-csv "$W/csv/x.csv" "${TRUST[@]}")
e2e_run "${LDAPS[@]}" "${AUD[@]}" --tsv
exit_is 1 "audit with inputs and CRL"
want >"$T/want" <<EOF
$(printf 'owned-expired\t%s\t%s\n' "$(dn a2)" "$(V 6402)")
$(printf 'owned-revoked\t%s\t%s\n' "$(dn a3)" "$(V 6403)")
$(printf 'owned-removed\t%s\t%s\n' "$(dn a4)" "$(V 6404)")
$(printf 'owned-superseded\t%s\t%s\n' "$(dn a5)" "$(V 6405)")
$(printf 'owned-value-gone\t%s\t%s\n' "$(dn a6)" "$(V 6406)")
$(printf 'owned-account-gone\t%s\t\n' "$A7")
$(printf 'owned-revoked\t%s\t%s\n' "$(dn a8)" "$(V 6408)")
EOF
found >"$T/got"
same_file "$T/got" "$T/want" "each kind once, on the right account and value; nothing else"
like "$(grep '^owned-revoked.*a8' "$T/out")" 'revoked' "a8 (critical extension): revoked, by the structured verdict"
like "$(grep '^owned-removed' "$T/out")" "no longer in the input" "the reason is given"

# the terminal report, the summary and --json/--csv
e2e_run "${LDAPS[@]}" "${AUD[@]}" --json "$T/r.json" --csv "$T/r.csv"
exit_is 1 "audit with report files"
like "$(cat "$T/out")" "owned-revoked +CN=a3" "terminal: the kind and the account"
like "$(cat "$T/err")" '9 owned values of the run state checked: 5 problems, 2 notes' \
	"terminal summary: problems and notes"
if command -v python3 >/dev/null; then
	got=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
print(r["problems"], r["notes"])
for k in ("owned-expired", "owned-revoked", "owned-removed", "owned-superseded", "owned-value-gone", "owned-account-gone"):
    print(k, r["counts"][k], sorted(set(i["problem"] for i in r["items"] if i["kind"] == k)))
' "$T/r.json")
	is "$got" "5 2
owned-expired 1 [True]
owned-revoked 2 [True]
owned-removed 1 [True]
owned-superseded 1 [True]
owned-value-gone 1 [False]
owned-account-gone 1 [False]" "JSON: counts per kind, problems and notes"
else
	ok 1 "python3 missing" # never on Debian with the DEPS installed
fi
is "$(stat -c %a "$T/r.json") $(stat -c %a "$T/r.csv")" "600 600" "report files 0600"
is "$(tail -n +2 "$T/r.csv" | cut -d, -f1 | tr -d '"' | LC_ALL=C sort | tr '\n' ' ')" \
	"owned-account-gone owned-expired owned-removed owned-revoked owned-revoked owned-superseded owned-value-gone " \
	"CSV: one row per finding, the kind first"
like "$(grep '^"owned-revoked"' "$T/r.csv" | head -1)" '^"owned-revoked","CN=a[38],' "CSV row: kind, DN"

# revocation as the run state records the inputs (none given): not
# "removed", since no input is given
e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S" "${TRUST[@]}"
exit_is 1 "audit with the CRL, the recorded inputs"
is "$(found | cut -f1 | tr '\n' ' ')" \
	"owned-account-gone owned-expired owned-revoked owned-revoked owned-superseded owned-value-gone " \
	"recorded inputs: both revoked found, nothing called removed"

# an input that cannot be read: said, judged by nothing, exit 5
e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S" --certdir "$W/gone" --input-csv "$W/csv/x.csv"
exit_is 5 "an input given that cannot be read"
is "$(found | grep -c '^owned-removed')" 0 "nothing called removed from an unreadable input"
like "$(cat "$T/err")" "$W/gone: not read" "the unreadable input is named"

# status shares the verdict: a8 revoked there too
e2e_run --state-dir "$S" status --tsv "${TRUST[@]}" --certdir "$D" --csv "$W/csv/x.csv"
st() { awk -F'\t' -v s="$1" '$2 == s { print $1 }' "$T/out"; }
is "$(st a8) $(st a3) $(st a1)" "revoked revoked valid" "status: a8 and a3 revoked, a1 valid"

# --prune sees a8 revoked too (plan: trust_revocation after the chain check)
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" --certdir "$D" --prune -n --output "$T/p.ldif"
like "$(cat "$T/p.ldif")" "# remove X509:.*<SR>0864: revoked" "prune preview: a8's value removed as revoked"

# --grace: a5's renewal written just now is not yet in use for a day
e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S" --grace 1
is "$(found | grep -c '^owned-superseded')" 0 "--grace 1: not superseded yet"

# an untrusted state folder: one line, audit goes on
chmod 0777 "$S"
e2e_run "${LDAPS[@]}" audit --tsv --state-dir "$S"
exit_is 0 "untrusted state folder: audit goes on (nothing else to report)"
is "$(cat "$T/out")" "" "untrusted state: no owned findings"
is "$(grep -c 'writable by' "$T/err")" 1 "untrusted state: said in one line"
chmod 0700 "$S"

# after the prune run the problems are gone; the notes stay until then
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" --certdir "$D" \
	--csv "$W/csv/x.csv" --prune
e2e_run "${LDAPS[@]}" "${AUD[@]}" --tsv
is "$(found | cut -f1 | tr '\n' ' ')" "owned-account-gone " \
	"after --prune: only the deleted account's stale record (a note)"
exit_is 0 "a note alone: exit 0"

done_testing
