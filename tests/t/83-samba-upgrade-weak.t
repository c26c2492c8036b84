#!/bin/bash
# 83-samba-upgrade-weak.t: certbulk --upgrade-weak against a real Samba AD
# DC.  Accounts holding a weak mapping (X509:<I>..<S>.., X509:<S>..,
# X509:<RFC822>..) of a certificate in the inputs get its strong value
# (an add, previewed with a note naming the weak value it replaces, which
# stays; with --prune-weak it is deleted in the same modify), with an
# undo file as any run.
# Refused and said why: a certificate no account holds a weak value of, a
# weak value on two accounts, a CSV row naming an account that holds no
# weak value of its certificate, an account outside -b.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
U=$T/up
mkdir -p "$U/certs"
e2e_leaf "$U/certs/is.pem" 0501 cn=upgrade-is
e2e_leaf "$U/certs/s.pem" 0502 cn=upgrade-s
e2e_leaf "$U/certs/mail.pem" 0503 cn=upgrade-mail email=up-mail@example.org
e2e_leaf "$U/certs/nobody.pem" 0504 cn=upgrade-nobody
e2e_leaf "$U/certs/two.pem" 0505 cn=upgrade-two
e2e_leaf "$U/named.pem" 0506 cn=upgrade-named
mkdir -p "$U/outdir"
e2e_leaf "$U/outdir/out.pem" 0507 cn=upgrade-out
ok $? "setup: certificates"
val() { "$CERTBULK" show --type "$2" --tsv "$1" 2>/dev/null | cut -f4; }
ou_user() { printf 'dn: CN=%s,OU=%s,%s\nobjectClass: user\nsAMAccountName: %s\n\n' "$1" "$2" "$CB_BASE" "$1"; }
{
	for n in wis ws wmail two1 two2 named good; do sb_user "$n"; done
	ou_user wout Staff
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users"
IS=$(val "$U/certs/is.pem" X509IssuerSubject)
S=$(val "$U/certs/s.pem" X509SubjectOnly)
M=$(val "$U/certs/mail.pem" X509RFC822)
sb_add_values wis "$IS" && sb_add_values ws "$S" && sb_add_values wmail "$M" &&
	sb_add_values two1 "$(val "$U/certs/two.pem" X509SubjectOnly)" &&
	sb_add_values two2 "$(val "$U/certs/two.pem" X509IssuerSubject)" &&
	sb_add_values wout "$(val "$U/outdir/out.pem" X509SubjectOnly)"
ok $? "setup: weak values seeded with ldapmodify"
strong() { val "$1" X509IssuerSerialNumber; }
altsec() { cb_user_altsec "$1" | sort | tr '\n' '|'; }
sorted() { printf '%s\n' "$@" | sort | tr '\n' '|'; }

e2e_run "${LDAPS[@]}" --state-dir "$T/st" --upgrade-weak -n --certdir "$U/certs"
exit_is 1 "preview: exit 1 (some certificates refused)"
for p in "wis is.pem" "ws s.pem" "wmail mail.pem"; do
	set -- $p
	grep -qxF "altSecurityIdentities: $(strong "$U/certs/$2")" "$T/out"
	ok $? "preview: $1 gets the strong value of $2"
done
is "$(grep -c '^dn:' "$T/out")" 3 "preview: those three accounts only"
grep -qF "# replaces the weak value $IS (kept)" "$T/out"
ok $? "preview: the note names the weak value replaced"
like "$(cat "$T/err")" "nobody.pem: no account with altSecurityIdentities=" "a certificate no account holds a weak value of: refused, said why"
like "$(cat "$T/err")" "two.pem: .*matches more than one account" "a certificate whose weak values are on two accounts: refused"
is "$(altsec wis)" "$(sorted "$IS")" "preview: nothing written"

e2e_run "${LDAPS[@]}" --state-dir "$T/st" --upgrade-weak --certdir "$U/certs"
exit_is 1 "run: exit 1 (the refused ones)"
UNDO=$(sed -n 's/.*undo file: //p' "$T/err" | head -1)
is "$(altsec wis)" "$(sorted "$IS" "$(strong "$U/certs/is.pem")")" "wis: strong value added, the weak one kept"
is "$(altsec ws)" "$(sorted "$S" "$(strong "$U/certs/s.pem")")" "ws: strong value added"
is "$(altsec wmail)" "$(sorted "$M" "$(strong "$U/certs/mail.pem")")" "wmail: strong value added"
is "$(altsec two1)$(altsec two2)" "$(sorted "$(val "$U/certs/two.pem" X509SubjectOnly)")$(sorted "$(val "$U/certs/two.pem" X509IssuerSubject)")" "the ambiguous pair: untouched"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" undo "$UNDO"
exit_is 0 "undo: exit 0"
is "$(altsec wis)$(altsec ws)$(altsec wmail)" "$(sorted "$IS")$(sorted "$S")$(sorted "$M")" "undo: back to the weak values only"

# --prune-weak: the weak value goes in the modify that adds the strong one,
# or alone where the strong one is already there (wis)
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --prune-weak -n --certdir "$U/certs"
exit_is 2 "--prune-weak without --upgrade-weak: usage error"
sb_add_values wis "$(strong "$U/certs/is.pem")"
ok $? "setup: wis already holds its strong value"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --upgrade-weak --prune-weak -n --certdir "$U/certs"
exit_is 1 "prune-weak preview: exit 1 (the refused ones)"
is "$(grep -c '^delete: altSecurityIdentities' "$T/out")" 3 "prune-weak preview: one delete for each of the three accounts"
grep -q 'replaces the weak value .* (removed: --prune-weak)' "$T/out"
ok $? "prune-weak preview: the note says the weak value is removed"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --upgrade-weak --prune-weak --certdir "$U/certs"
exit_is 1 "prune-weak run: exit 1 (the refused ones)"
UNDO2=$(sed -n 's/.*undo file: //p' "$T/err" | head -1)
is "$(altsec wis)" "$(sorted "$(strong "$U/certs/is.pem")")" "wis: weak value removed, the strong one already there kept"
is "$(altsec ws)" "$(sorted "$(strong "$U/certs/s.pem")")" "ws: strong value added and the weak one removed"
is "$(altsec wmail)" "$(sorted "$(strong "$U/certs/mail.pem")")" "wmail: strong value added and the weak one removed"
is "$(altsec two1)$(altsec two2)" "$(sorted "$(val "$U/certs/two.pem" X509SubjectOnly)")$(sorted "$(val "$U/certs/two.pem" X509IssuerSubject)")" "prune-weak: the ambiguous pair untouched"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" undo "$UNDO2"
exit_is 0 "prune-weak undo: exit 0"
is "$(altsec wis)$(altsec ws)$(altsec wmail)" "$(sorted "$IS" "$(strong "$U/certs/is.pem")")$(sorted "$S")$(sorted "$M")" "prune-weak undo: the weak values back, the added strong ones gone"
printf 'dn: %s\nchangetype: modify\ndelete: altSecurityIdentities\naltSecurityIdentities: %s\n-\n\n' \
    "$(cb_user_dn wis)" "$(strong "$U/certs/is.pem")" | cb_ldap ldapmodify >/dev/null
ok $? "cleanup: wis back to its weak value only"

# rows naming accounts
printf 'user,certificate\nnamed,%s\nwis,%s\n' "$U/named.pem" "$U/certs/is.pem" >"$U/rows.csv"
e2e_run "${LDAPS[@]}" --state-dir "$T/st" --upgrade-weak -n --csv "$U/rows.csv"
exit_is 1 "CSV rows: exit 1"
like "$(cat "$T/err")" "rows.csv:2: \"CN=named,.*\" holds no weak mapping of this certificate" "a named account without a weak value of its certificate: refused"
grep -qxF "altSecurityIdentities: $(strong "$U/certs/is.pem")" "$T/out"
ok $? "a named account with one: planned"

# -b limits the accounts, also when found by their weak values
e2e_run -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "CN=Users,$CB_BASE" \
	--state-dir "$T/st" --upgrade-weak -n --certdir "$U/outdir"
like "$(cat "$T/err")" "out.pem: \"CN=wout,OU=Staff,.*\", which holds a weak value of this certificate, is outside the search base" "an account outside -b: refused"
done_testing
