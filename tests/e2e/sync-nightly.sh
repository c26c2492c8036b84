# sync-nightly.sh: the nightly sequence of issue 10 (run state, --prune,
# adopt, status), sourced by 75-samba-sync.t and 76-slapd-sync.t after
# they started their directory (KIND is samba or slapd, LDAPS set).
#
# Day 1 maps 50 users.  Between the runs: a value added by hand, one
# account renamed and moved.  Day 2 (--prune --grace 1) adds 5 new
# certificates and a renewal, removes the values of a revoked certificate
# (--crl-file), of a deleted file, of an expired certificate and of the
# moved account's deleted file; the renewed user's old value stays (grace).
# Day 3 (--prune) removes it.  Undo of day 3 and day 2 restores the
# directory as it was before day 2.  Then: status for every state, a kill
# -9 mid-run then a re-run, a lost owned.tsv, a lost state folder, adopt.

W=$T/w
D=$W/certs
S=$W/st
mkdir -p "$D"
umask 077
UPN=test.certbulk.lan
MOVED="OU=Moved,$CB_BASE"

# ---------------------------------------------------------------- setup
{
	for i in $(seq -w 1 50); do cb_user_ldif "$KIND" "u$i"; done
	for i in 1 2 3 4 5; do cb_user_ldif "$KIND" "n$i"; done
	for i in 1 2 3; do cb_user_ldif "$KIND" "k$i"; done
	printf 'dn: %s\nobjectClass: organizationalUnit\nou: Moved\n\n' "$MOVED"
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: 58 users and an OU added"

for i in $(seq -w 1 50); do
	[ "$i" = 05 ] && continue
	days=3650
	[ "$i" = 06 ] && days=10	# expiring within --warn-days 30
	e2e_leaf "$D/u$i.pem" "75$i" "upn=u$i@$UPN" "days=$days" || break
done
for i in 1 2 3 4 5; do e2e_leaf "$W/new/n$i.pem" "760$i" "upn=n$i@$UPN"; done
e2e_leaf "$W/new/u02-renewed.pem" 7622 "upn=u02@$UPN" days=3700
# the CRL that revokes u03's certificate
(
	cd "$T/pki" && : >ca/index.txt &&
		openssl ca -config ca.cnf -revoke "$D/u03.pem" &&
		openssl ca -config ca.cnf -gencrl -crldays 30 -out crl.pem
) >"$T/crl.log" 2>&1
ok $? "setup: a CRL revoking u03's certificate" || diag "$(cat "$T/crl.log")"
TRUST=(--ca-file "$T/pki/ca.pem" --crl-file "$T/pki/crl.pem")
TRUST1=(--ca-file "$T/pki/ca.pem")	# day 1: before the revocation

# u05's certificate expires seconds after day 1 (a CSV input: openssl ca)
EXP_END=$(date -u -d '+25 sec' +%Y%m%d%H%M%SZ)
e2e_leaf_dates "$W/exp/u05.pem" 7505 "$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)" "$EXP_END"
printf 'user,certificate\nu05,u05.pem\n' >"$W/exp/x.csv"
INPUTS=(--certdir "$D" --csv "$W/exp/x.csv")

vals() { cb_user_altsec "$1" | e2e_norm | tr '\n' ' '; }
V() { e2e_val "$1" | e2e_norm; }
owned() { grep -vc '^#' "$S/owned.tsv"; }

# ---------------------------------------------------------------- day 1
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST1[@]}" "${INPUTS[@]}"
exit_is 0 "day 1: 50 users mapped"
like "$(cat "$T/err")" '50 accounts changed \(50 values added' "day 1: 50 values added"
is "$(owned)" 50 "day 1: owned.tsv holds the 50 values"
is "$(stat -c %a "$S/owned.tsv")" 600 "owned.tsv is mode 0600"
[ ! -e "$S/owned.journal" ]
ok $? "the journal is gone after a finished run"
line=$(awk -F'\t' '$3 == "u05"' "$S/owned.tsv")
like "$line" "^[0-9a-f]{32}	[^	]*u05[^	]*	u05	X509:<I>[^	]*<SR>0575	[0-9A-F]{64}	" \
	"a record: objectGUID, DN, sAMAccountName, value, SHA-256"
like "$line" "	$W/exp/x.csv	$W/exp/x.csv:2	" "a record: its input and the CSV file and row"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST1[@]}" "${INPUTS[@]}" --prune
exit_is 0 "day 1 again with --prune: nothing to change"
like "$(cat "$T/err")" 'nothing to change' "day 1 again: no modify"

# ------------------------------------------------------- between the runs
HAND='X509:<I>DC=lan,DC=other,CN=Hand CA<SR>0A0B0C'
cb_ldap ldapmodify >/dev/null <<EOF
dn: $(cb_user_dn u05)
changetype: modify
add: altSecurityIdentities
altSecurityIdentities: $HAND
-

dn: $(cb_user_dn u04)
changetype: modify
add: altSecurityIdentities
altSecurityIdentities: $HAND-2
-

EOF
ok $? "a value added by hand to u05 and u04"
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=u07-moved\ndeleteoldrdn: 1\nnewsuperior: %s\n\n' \
	"$(cb_user_dn u07)" "$MOVED" | cb_ldap ldapmodify >/dev/null
ok $? "u07 renamed and moved"
rm -f "$D/u04.pem" "$D/u07.pem"
cp "$W/new/"*.pem "$D/"
cb_dump content "$T/before-day2"
# the expiring certificate must have expired
while [ "$(date -u +%Y%m%d%H%M%SZ)" \< "$EXP_END" ] ||
	[ "$(date -u +%Y%m%d%H%M%SZ)" = "$EXP_END" ]; do sleep 1; done

# status before day 2, with day 2's inputs: each certificate state
e2e_run --state-dir "$S" status --tsv "${TRUST[@]}" "${INPUTS[@]}"
exit_is 1 "status: some values are not valid"
st() { awk -F'\t' -v s="$1" '$2 == s { print $1 }' "$T/out"; }
is "$(st u01)" valid "status: u01 valid"
is "$(st u03)" revoked "status: u03 revoked"
is "$(st u04)" removed-from-input "status: u04 removed from input"
is "$(st u05)" expired "status: u05 expired"
is "$(st u06)" expiring "status: u06 expiring within 30 days"
e2e_run --state-dir "$S" status --tsv --warn-days 5 "${TRUST[@]}" "${INPUTS[@]}"
is "$(st u06)" valid "status --warn-days 5: u06 valid"

# ---------------------------------------------------------------- day 2
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" \
	--prune --grace 1 -n --output "$T/day2.ldif"
exit_is 1 "day 2 preview (the revoked and expired certificates are refused)"
e2e_ldif_pairs "$T/day2.ldif" | cut -f2,3 >"$T/got"
{
	for i in 1 2 3 4 5; do printf 'add\t%s\n' "$(V 760$i)"; done
	printf 'add\t%s\n' "$(V 7622)"
	for s in 7503 7504 7505 7507; do printf 'delete\t%s\n' "$(V $s)"; done
} | LC_ALL=C sort >"$T/want"
same_file "$T/got" "$T/want" "day 2 preview: exactly 6 adds and 4 removals"
like "$(cat "$T/day2.ldif")" '# remove X509:.*<SR>0375: revoked' "the preview says why a value goes"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune --grace 1
exit_is 1 "day 2 applied"
U2=$(e2e_undo_file)
like "$(cat "$T/err")" '\(6 values added, 4 removed\)' "day 2: 6 added, 4 removed"
is "$(vals u05)" "$HAND " "u05: the hand-added value stays, the expired one is gone"
is "$(vals u04)" "$HAND-2 " "u04: the hand-added value stays, the removed file's is gone"
is "$(vals u03)" "" "u03: the revoked certificate's value is gone"
is "$(vals u02)" "$(V 7502) $(V 7622) " "u02: old and renewed values (--grace 1)"
is "$(vals u07)" "" "u07 (moved): its value is gone, found by objectGUID"
is "$(vals n3)" "$(V 7603) " "n3: the new certificate mapped"
is "$(awk -F'\t' '$3 == "u07"' "$S/owned.tsv" | wc -l)" 0 "owned.tsv: u07's record dropped"
is "$(owned)" 52 "owned.tsv: 50 + 6 - 4 values"
grep -q 'ndo' "$U2"
ok $? "day 2's undo file"
like "$(grep -c '^add: altSecurityIdentities' "$U2")" '^[1-9]' "the undo file re-adds the removed values"

# status: the renewed one is superseded (grace 0), valid under --grace 1
e2e_run --state-dir "$S" status --tsv "${TRUST[@]}" "${INPUTS[@]}"
awk -F'\t' '$2 == "u02" { print $1 "\t" $4 }' "$T/out" | e2e_norm | sort >"$T/got"
printf 'superseded\t%s\nvalid\t%s\n' "$(V 7502)" "$(V 7622)" >"$T/want"
same_file "$T/got" "$T/want" "status: u02's old certificate superseded"
e2e_run --state-dir "$S" status --tsv --grace 1 "${TRUST[@]}" "${INPUTS[@]}"
is "$(awk -F'\t' '$2 == "u02" { print $1 }' "$T/out" | sort -u)" valid \
	"status --grace 1: not yet superseded"

# ---------------------------------------------------------------- day 3
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune
exit_is 1 "day 3 (--prune, no grace)"
U3=$(e2e_undo_file)
like "$(cat "$T/err")" '\(0 values added, 1 removed\)' "day 3: the superseded value removed"
is "$(vals u02)" "$(V 7622) " "u02: only the renewed value"

# undo day 3 and day 2: the directory as before day 2
e2e_run "${LDAPS[@]}" --state-dir "$W/undo-st" undo "$U2" "$U3"
exit_is 0 "undo of day 3 and day 2"
cb_dump content "$T/after-undo"
same_file "$T/after-undo" "$T/before-day2" "undo restores the directory exactly"

# the next night reads only changed files: what the undo took away is not
# noticed (nothing changed in the inputs); --full reads everything again
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune
exit_is 1 "the next night after the undo (incremental)"
like "$(cat "$T/err")" '5[0-9] certificate files unchanged since the last run, not read' \
	"incremental: the unchanged files are not read"
like "$(cat "$T/err")" ': 2 certificates, 0 accounts examined' \
	"incremental: only the files that had problems are read again, no account looked up"
is "$(vals n3)" "" "incremental: n3's value (removed by the undo) not noticed"
# what the undo put back is not owned any more (certbulk undo does not
# rewrite the run state), so it stays
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune --full
exit_is 1 "the next night with --full"
is "$(vals u05)" "$(V 7505) $HAND " "u05: the hand-added value untouched, the restored one not owned"
is "$(vals u02)" "$(V 7502) $(V 7622) " "u02: the renewed value added, the restored old one not owned"
is "$(vals n3)" "$(V 7603) " "--full: n3 mapped again"

# incremental: a changed file is read, a value removed by hand is found
# only by --full
e2e_leaf "$D/u09.pem" 7591 "upn=u09@$UPN" days=3700
cb_ldap ldapmodify >/dev/null <<EOF
dn: $(cb_user_dn u10)
changetype: modify
delete: altSecurityIdentities
altSecurityIdentities: $(e2e_val 7510)
-

EOF
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune
like "$(cat "$T/err")" '\(1 values added, 1 removed\)' "incremental: the re-issued file read: its new value added, the old one pruned"
is "$(vals u09)" "$(V 7591) " "u09: the re-issued certificate replaces the old one"
is "$(vals u10)" "" "incremental: u10's value removed by hand is not noticed"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune --full
is "$(vals u10)" "$(V 7510) " "--full: u10's value removed by hand is added back"

# ------------------------------------------------- kill -9, then a re-run
rm -rf "$W/k"
mkdir -p "$W/k"
for i in 1 2 3; do e2e_leaf "$W/k/k$i.pem" "770$i" "upn=k$i@$UPN"; done
printf 'user,certificate\nk1,k1.pem\nk2,k2.pem\nk3,k3.pem\n' >"$W/k/k.csv"
KS=$W/kst
# k3 holds 5 values put there by hand: one more crosses the Entra limit
sb_vals=()
for i in 1 2 3 4 5; do sb_vals+=("X509:<I>DC=lan,DC=other,CN=Hand CA<SR>0$i"); done
{
	printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\n' "$(cb_user_dn k3)"
	for v in "${sb_vals[@]}"; do printf 'altSecurityIdentities: %s\n' "$v"; done
	printf -- '-\n\n'
} | cb_ldap ldapmodify >/dev/null
ok $? "k3: five values added by hand"
KWIN=1 e2e_killrun "$KS" "$W/k/k.csv" rec 2
is "$KRC" 137 "a run killed -9 while its second modify is held"
ok "$([ -e "$KS/owned.journal" ] && echo 0 || echo 1)" "the killed run left its journal"
# Undo records are written a group at a time (fsync'd before the first
# modify of the group), so the kill may come before any modify was sent.
# k1's modify reaching the server just before the kill (its reply lost) is
# made certain by adding the value as the server would have: the journal's
# pending record then proves certbulk added it.
if [ "$(vals k1)" != "$(V 7701) " ]; then
	printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
	    "$(cb_user_dn k1)" "$(e2e_val 7701)" | cb_ldap ldapmodify >/dev/null
fi
is "$(vals k1)" "$(V 7701) " "k1's modify reached the server before the kill"
m=0
for i in 1 2 3; do
	case "$(vals k$i)" in *"$(V 770$i)"*) m=$((m + 1)) ;; esac
done
e2e_run "${LDAPS[@]}" --state-dir "$KS" --csv "$W/k/k.csv"
exit_is 0 "the re-run"
like "$(cat "$T/err")" "did not finish.* $m of its added values are now owned" \
	"the re-run settles the journal: the values sent before the kill ($m) are owned"
is "$(grep -vc '^#' "$KS/owned.tsv")" 3 "all three values owned after the re-run"
like "$(cat "$T/err")" 'k3.*will hold 6 altSecurityIdentities values: Entra Connect does not sync more than 5 \(--prune removes' \
	"Entra Connect limit: warned, with --prune offered"
[ ! -e "$KS/owned.journal" ]
ok $? "journal settled and removed"

# ------------------------------------------------------ a lost owned.tsv
cp "$S/owned.tsv" "$T/owned.keep"
rm -f "$S/owned.tsv"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune -n --output "$T/p.ldif"
exit_is 1 "a preview --prune without owned.tsv"
is "$(grep -c '^delete: ' "$T/p.ldif")" 0 "nothing owned, nothing to remove"
[ ! -e "$S/owned.tsv" ]
ok $? "a preview writes no state"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}"
like "$(cat "$T/err")" 'rebuilt from [0-9]+ undo files: 5[0-9] values' "a lost owned.tsv is rebuilt from the undo files"
cut -f1,4 "$T/owned.keep" | grep -v '^#' | sort >"$T/want"
cut -f1,4 "$S/owned.tsv" | grep -v '^#' | sort >"$T/got"
same_file "$T/got" "$T/want" "rebuilt: the same values owned as before"

# ----------------------------------------- a lost state folder, then adopt
rm -rf "$S"
rm -f "$D/u08.pem"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune
exit_is 1 "a run with a new state folder and --prune"
is "$(vals u08)" "$(V 7508) " "nothing proven owned: u08's value stays though its file is gone"
e2e_leaf "$D/u08.pem" 7508 "upn=u08@$UPN"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" adopt -n
exit_is 1 "adopt -n"
# 46 of day 1 (u03 revoked, u05 expired, u04 and u07 gone), u02's renewed
# and 5 new ones
is "$(grep -c '^# adopt: ' "$T/out")" 52 "adopt -n shows the 52 mapped values in place"
like "$(grep 'u08' "$T/out")" "# adopt: \"[^\"]*u08[^\"]*\": X509:<I>.*(from $D/u08.pem)" "a line per value: account, value, source"
ok "$(grep -q "$HAND" "$T/out" && echo 1 || echo 0)" "adopt does not take the hand-added values"
[ ! -s "$S/owned.tsv" ] || [ "$(grep -vc '^#' "$S/owned.tsv")" = 0 ]
ok $? "adopt -n changes no state"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" adopt
exit_is 1 "adopt"
is "$(grep -vc '^#' "$S/owned.tsv")" 52 "adopt: 52 values owned"
rm -f "$D/u08.pem"
e2e_run "${LDAPS[@]}" --state-dir "$S" "${TRUST[@]}" "${INPUTS[@]}" --prune
is "$(vals u08)" "" "once adopted, u08's value goes with its file"
is "$(vals u05)" "$(V 7505) $HAND " "and the hand-added value still stays"
