#!/bin/bash
# 67-samba-audit.t: certbulk audit against a real Samba AD DC seeded with
# every kind of problem it reports -- an issuer written CN-first (RFC 4514
# order), spaces after commas, <I><S><SR> together, a weak-only account,
# the same value on accounts in two OUs, a letter-case and a white-space
# duplicate within one account (the latter also malformed), an account over the Entra Connect limit of
# 5 values, an issuing CA missing from the NTAuth store, a top-bit serial
# in the Windows form that Samba's own KDC will not match, a serial stored
# in forward byte order (found against the certificate given as an
# operand) -- next to good
# values (strong forms, a Kerberos: principal), and checks that audit
# reports each problem and nothing else (--tsv), with the exit status (0
# no problem, 1 problems).  Seeded with ldapmodify, not by certbulk.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
P=$T/pki
NTDN="CN=NTAuthCertificates,CN=Public Key Services,CN=Services,CN=Configuration,$CB_BASE"
cb_ldap ldapdelete "$NTDN" >/dev/null 2>&1

ou_user() {	# ou_user NAME OU
	printf 'dn: CN=%s,OU=%s,%s\nobjectClass: user\nsAMAccountName: %s\n\n' \
		"$1" "$2" "$CB_BASE" "$1"
}
{
	for n in good good2 cnfirst spaces iss weak casedup wsdup many topbit fwd; do sb_user "$n"; done
	ou_user dupstaff Staff
	ou_user dupcontr Contractors
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users"

# an empty directory of mappings first
e2e_run "${LDAPS[@]}" audit --tsv
exit_is 0 "nothing mapped: exit 0"
is "$(cat "$T/out")" "" "nothing mapped: no problem"

I=$E2E_ISSUER
lower() { printf '%s' "$1" | tr 'A-Z' 'a-z'; }
sb_add_values good "$(e2e_val 0101)" "X509:<SKI>0A0B0C0D" 'Kerberos:good@OTHER.REALM' &&
	sb_add_values good2 "X509:<SHA1-PUKEY>00112233445566778899AABBCCDDEEFF00112233" "X509:<I>$I<S>CN=good2" &&
	sb_add_values cnfirst 'X509:<I>CN=certbulk e2e CA,DC=certbulk,DC=lan<SR>0102' &&
	sb_add_values spaces 'X509:<I>DC=lan, DC=certbulk, CN=certbulk e2e CA<SR>0103' &&
	sb_add_values iss "X509:<I>$I<S>CN=iss<SR>0104" "$(e2e_val 0105)" &&
	sb_add_values weak "X509:<I>$I<S>CN=weak" "X509:<RFC822>weak@example.org" &&
	sb_add_values dupstaff "$(e2e_val 0106)" &&
	sb_add_values dupcontr "$(e2e_val 0106)" &&
	sb_add_values casedup "$(e2e_val 0107)" "$(lower "$(e2e_val 0107)")" &&
	sb_add_values wsdup "$(e2e_val 0108)" "$(e2e_val 0108) " &&
	sb_add_values topbit "$(e2e_val 8001)" &&
	sb_add_values fwd "X509:<I>$I<SR>0A0B" &&
	sb_add_values many "$(e2e_val 0111)" "$(e2e_val 0112)" "$(e2e_val 0113)" \
		"$(e2e_val 0114)" "$(e2e_val 0115)" "$(e2e_val 0116)"
ok $? "setup: values seeded with ldapmodify"
diag "wsdup holds: $(cb_user_altsec wsdup | sed 's/$/|/' | tr '\n' ' ')"

dn() { sb_dn "$1"; }
# the certificate whose serial fwd holds in forward byte order
e2e_leaf "$T/fwd.pem" 0A0B cn=fwd
e2e_run "${LDAPS[@]}" audit --tsv
is "$(grep -c 'fwd' "$T/out")" 0 "without the certificate, a forward serial looks like any strong value"
e2e_run "${LDAPS[@]}" audit --tsv --ca-file "$P/ca.pem" "$T/fwd.pem"
exit_is 1 "problems: exit 1"
got=$(awk -F'\t' '{ print $1 "\t" tolower($2) }' "$T/out" | sort)
exp=$(printf '%s\t%s\n' \
	malformed "$(dn cnfirst)" \
	malformed "$(dn spaces)" \
	malformed "$(dn iss)" \
	malformed "$(dn wsdup)" \
	weak-only "$(dn weak)" \
	duplicate "" \
	case-duplicate "$(dn casedup)" \
	case-duplicate "$(dn wsdup)" \
	entra-limit "$(dn many)" \
	samba "$(dn topbit)" \
	byte-order "$(dn fwd)" \
	ntauth "$(tr 'A-Z' 'a-z' <<<"$NTDN")" | sort)
is "$got" "$exp" "each seeded problem reported once, and nothing else"
like "$(grep "^malformed	.*cnfirst" "$T/out")" 'most-specific-first' "CN-first issuer: said why"
like "$(grep "^malformed	.*spaces" "$T/out")" 'spaces after commas' "spaces after commas: said why"
like "$(grep "^malformed	.*CN=iss," "$T/out")" '<I>, <S> and <SR> together' "I+S+SR: said why"
like "$(grep '^duplicate' "$T/out")" "the same value on 2 accounts: .*OU=Staff.*OU=Contractors|the same value on 2 accounts: .*OU=Contractors.*OU=Staff" \
	"duplicate across two OUs: both accounts named"
like "$(grep '^duplicate' "$T/out" | cut -f3)" "^$(e2e_val 0106 | sed 's/[][\.*^$]/\\&/g')\$" "duplicate: the value"
like "$(grep "^malformed	.*wsdup" "$T/out")" 'trailing white space' "white-space duplicate: also malformed, said why"
like "$(grep '^samba' "$T/out")" "without the trailing 00 sign byte\\); it matches X509:<I>$E2E_ISSUER<SR>0180\$" "Samba DC: the top-bit serial Samba will not match, and the value it matches"
like "$(grep '^byte-order' "$T/out")" 'forward byte order; the KDC builds <SR>0B0A' "byte order: the reversed serial named"
like "$(grep '^entra-limit' "$T/out")" '6 values, more than 5' "Entra limit: the count"
like "$(grep '^ntauth' "$T/out")" 'CN=certbulk e2e CA.*the forest has none' "NTAuth: the CA missing, no store"

# text output
e2e_run "${LDAPS[@]}" audit
exit_is 1 "text output: exit 1"
like "$(cat "$T/err")" '10 problems' "text output (no --ca-file): the summary counts"

# the CA in NTAuth: that problem goes away
{
	printf 'dn: %s\nobjectClass: top\nobjectClass: certificationAuthority\n' "$NTDN"
	printf 'cn: NTAuthCertificates\n'
	printf 'authorityRevocationList:: AA==\ncertificateRevocationList:: AA==\n'
	printf 'cACertificate:: %s\n\n' "$(openssl x509 -in "$P/ca.pem" -outform DER | base64 -w0)"
} | cb_ldap ldapadd >/dev/null
ok $? "setup: NTAuth store with the CA"
e2e_run "${LDAPS[@]}" audit --tsv --ca-file "$P/ca.pem"
is "$(grep -c '^ntauth' "$T/out")" 0 "CA in the store: no NTAuth problem"
is "$(wc -l <"$T/out")" 10 "the other 10 problems remain"
cb_ldap ldapdelete "$NTDN" >/dev/null

e2e_run "${LDAPS[@]}" audit "$T/no-such.pem"
exit_is 1 "an unreadable certificate operand: exit 1"
like "$(cat "$T/err")" 'no-such.pem' "the file named"
done_testing
