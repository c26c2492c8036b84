#!/bin/bash
# 84-samba-forest.t: the forest code against a real Samba AD DC (one
# domain: Samba has no child domains).  What is real here: the partitions
# container's crossRefs (one NTDS domain, so no GC is used unless --gc
# names one), the root DSE's isGlobalCatalogReady, and Samba's own Global
# Catalog on port 3269 (LDAPS), searched from the empty DN as certbulk
# does for the forest.  A holder in another domain cannot be made here
# (see 84-slapd-forest.t); what is checked is that a holder of this domain
# is found once, from the DC, and that the GC is really asked.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_require
unset LDAPTLS_REQCERT
sb_setup
e2e_ca
W=$T/w
mkdir -p "$W"
IP=${CB_URI_LDAPS#ldaps://}
IP=${IP%%[:/]*}
GC="ldaps://$IP:3269"

{ sb_user sf1; sb_user sf2; sb_user sf3; } | cb_add_users -
ok $? "setup: users added"
for s in 8451 8452; do e2e_leaf "$W/c/$s.pem" "$s" || exit 1; done
sb_add_values sf2 "$(e2e_val 8452)"
ok $? "setup: sf2 holds the value for 8452"

# the real GC answers a forest-wide search (base "") for the value
LDAPTLS_REQCERT=demand ldapsearch -x -H "$GC" -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-b '' -LLL -o ldif-wrap=no "(altSecurityIdentities=$(cb_filter_escape "$(e2e_val 8452)"))" dn \
	>"$T/gc.ldif" 2>"$T/gc.err"
grep -qi "^dn: CN=sf2,CN=Users," "$T/gc.ldif"
ok $? "Samba's GC (3269) holds altSecurityIdentities and answers from the empty DN"

printf 'user,certificate\nsf1,c/8451.pem\nsf3,c/8452.pem\n' >"$W/a.csv"
e2e_run "${LDAPS[@]}" -v -n --csv "$W/a.csv"
exit_is 1 "one domain: sf3's duplicate found"
grep -q "the forest has 1 domain (test.certbulk.lan): the domain's own DC answers" "$T/err"
ok_diag $? "one domain in the partitions container (read from Samba's crossRefs)"
! grep -q "Global Catalog" "$T/err"
ok_diag $? "one domain: no GC is used or asked for"

e2e_run "${LDAPS[@]}" -v --gc "$GC" -n --csv "$W/a.csv" --report "$T/r.csv"
exit_is 1 "--gc (Samba's GC): sf3's duplicate found"
grep -q "Global Catalog $GC" "$T/err"
ok_diag $? "--gc: the GC is connected and named"
grep -ci "is already on \"CN=sf2,CN=Users" "$T/err" | grep -qx 1
ok_diag $? "--gc: a holder of this domain is named once (the DC's answer, not the GC's copy too)"
grep -c "planned" "$T/r.csv" | grep -qx 1
ok_diag $? "--gc: sf1's value is still planned"

sb_add_values sf1 "$(e2e_val 8452)"
e2e_run "${LDAPS[@]}" --gc "$GC" audit --tsv
exit_is 1 "audit --gc: the duplicate is a problem"
grep "duplicate" "$T/out" | grep -c "the same value on 2 accounts" | grep -qx 1
ok_diag $? "audit --gc: found once, on 2 accounts (no account counted twice)"

# (A second domain's crossRef cannot be added to Samba's partitions
# container: it refuses an nCName naming no object, even with the relax
# control, so the path "several domains, the DC's own GC port" is not
# tested against a real directory.)

e2e_run "${LDAPS[@]}" --dc "$IP" -n --csv "$W/a.csv"
grep -q "^# domain controller $IP port 636 with TLS$" "$T/out"
ok_diag $? "--dc on Samba: the preview names the DC's address"

# a run through the real GC: an account of this domain is still read and
# written on -H's DC (issue 12: each account on its own domain's DC)
e2e_leaf "$W/c/8453.pem" 8453 || exit 1
printf 'user,certificate\nsf3@test.certbulk.lan,c/8453.pem\nnobody@other.certbulk.lan,c/8453.pem\n' >"$W/w.csv"
mkdir -p "$T/st"
chmod 700 "$T/st"
e2e_run "${LDAPS[@]}" --gc "$GC" --state-dir "$T/st" --report "$T/w.csv" \
	--csv "$W/w.csv"
exit_is 1 "--gc run: this domain's row written, the unknown one not"
undo=$(ls "$T"/st/undo-*.ldif 2>/dev/null | head -n 1)
[ -n "$undo" ] && ! grep -q '^# certbulk-server:' "$undo" &&
	grep -qi "^dn: CN=sf3,CN=Users,$CB_BASE" "$undo"
ok_diag $? "--gc run: the undo record names no other server (-H's DC)"
grep -q "^$W/w.csv:2,mapped,.*,$IP port 636 with TLS\$" "$T/w.csv"
ok_diag $? "--gc run: the report names -H's Samba DC for the row"
grep -q "^$W/w.csv:3,refused,unknown-user," "$T/w.csv"
ok_diag $? "--gc run: a name the forest does not know is unknown-user"
cb_ldap ldapsearch -LLL -b "$CB_BASE" "(sAMAccountName=sf3)" \
	altSecurityIdentities | grep -qF "$(e2e_val 8453)"
ok $? "--gc run: the value is on sf3 on the Samba DC"

done_testing
