#!/bin/bash
# 05-dirs.t: smoke test of the test-directory harness (tests/dirs/): starts a
# slapd and a Samba AD DC, adds users, and checks the binds, searches and
# helpers the other tests rely on.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/dirs/common.sh"

DIRS=$TOP/tests/dirs

missing=
for f in /usr/sbin/slapd /usr/sbin/slapadd /usr/sbin/slappasswd; do
	[ -x "$f" ] || missing+=" slapd"
done
for c in ldapsearch ldapmodify ldapadd ldapwhoami; do
	command -v "$c" >/dev/null 2>&1 || missing+=" ldap-utils"
done
for c in samba samba-tool; do
	command -v "$c" >/dev/null 2>&1 || missing+=" samba-ad-dc"
done
command -v kinit >/dev/null 2>&1 || missing+=" krb5-user"
ls /usr/lib/*/sasl2/libgssapiv2.so* >/dev/null 2>&1 ||
	missing+=" libsasl2-modules-gssapi-mit"
command -v openssl >/dev/null 2>&1 || missing+=" openssl"
if [ -n "$missing" ]; then
	# shellcheck disable=SC2086 # split on purpose
	skip_all "missing packages:$(printf '%s\n' $missing | sort -u | tr '\n' ' ')"
fi
[ "$(id -u)" = 0 ] || skip_all "Samba AD DC needs root"

SD='' AD='' SLAPD_ENV='' SAMBA_ENV=''
cleanup() {
	local rc=$?
	if [ -n "$SD" ]; then
		bash "$DIRS/slapd.sh" stop "$SD" || rc=1
		rm -rf -- "$SD"
	fi
	if [ -n "$AD" ]; then
		bash "$DIRS/samba.sh" stop "$AD" || rc=1
		rm -rf -- "$AD"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

use() {	# use slapd|samba: switch the CB_* environment
	unset CB_URI_LDAPI CB_ROOT_DN CB_REALM KRB5_CONFIG KRB5CCNAME
	case $1 in
	slapd) eval "$SLAPD_ENV" ;;
	samba) eval "$SAMBA_ENV" ;;
	esac
}

# status CMD...: run CMD, print its exit status (output discarded)
status() { "$@" >/dev/null 2>&1; echo $?; }

SD=$(mktemp -d -t cb-slapd.XXXXXX)
t0=$(date +%s%N)
SLAPD_ENV=$(bash "$DIRS/slapd.sh" start "$SD")
ok $? "slapd starts"
diag "slapd start: $((($(date +%s%N) - t0) / 1000000)) ms"

AD=$(mktemp -d -t cb-samba.XXXXXX)
t0=$(date +%s%N)
SAMBA_ENV=$(bash "$DIRS/samba.sh" start "$AD")
ok $? "samba starts"
diag "samba start: $((($(date +%s%N) - t0) / 1000000)) ms"

if [ -z "$SLAPD_ENV" ] || [ -z "$SAMBA_ENV" ]; then
	echo "Bail out! a directory server did not start"
	exit 1
fi

# The export lines must be complete.
use slapd
for v in CB_KIND CB_URI CB_URI_LDAPS CB_URI_LDAPI CB_BASE CB_BIND_DN \
	CB_PWFILE LDAPTLS_CACERT CB_DIR; do
	[ -n "${!v:-}" ]
	ok $? "slapd exports $v"
done
use samba
for v in CB_KIND CB_URI CB_URI_LDAPS CB_BASE CB_BIND_DN CB_PWFILE \
	LDAPTLS_CACERT KRB5_CONFIG KRB5CCNAME CB_DIR; do
	[ -n "${!v:-}" ]
	ok $? "samba exports $v"
done
is "$CB_URI" "ldap://${CB_SAMBA_IP:-127.0.0.2}" "samba CB_URI"
is "$CB_BASE" "DC=test,DC=certbulk,DC=lan" "samba CB_BASE"

# A second Samba must refuse to start while this one runs.
other=$(mktemp -d -t cb-samba2.XXXXXX)
out=$(bash "$DIRS/samba.sh" start "$other" 2>&1)
rc=$?
bash "$DIRS/samba.sh" stop "$other" >/dev/null 2>&1
rm -rf -- "$other"
ok $((rc == 0)) "a second samba start fails"
like "$out" "already listens on ${CB_SAMBA_IP:-127.0.0.2}" "... saying why"

for kind in slapd samba; do
	use "$kind"
	is "$CB_KIND" "$kind" "$kind: CB_KIND"
	is "$(stat -c %a "$CB_PWFILE")" 600 "$kind: password file mode 0600"
	last=$(tail -c 1 "$CB_PWFILE" | od -An -tx1 | tr -d ' \n')
	[ "$(stat -c %s "$CB_PWFILE")" -ge 8 ] && [ "$last" != 0a ]
	ok $? "$kind: password file has a password and no trailing newline"
	keys=$(find "$CB_DIR/tls" -name '*.key' -perm /077 | wc -l)
	is "$keys" 0 "$kind: TLS keys are 0600"

	# Binds.
	is "$(status cb_ldap ldapsearch -LLL -b "$CB_BIND_DN" -s base 1.1)" 0 \
		"$kind: LDAPS simple bind, certificate verified"
	is "$(status ldapsearch -x -ZZ -H "$CB_URI" -D "$CB_BIND_DN" -y "$CB_PWFILE" \
		-LLL -b "$CB_BIND_DN" -s base 1.1)" 0 "$kind: StartTLS (-ZZ) simple bind"
	is "$(LDAPTLS_CACERT=/dev/null LDAPTLS_REQCERT=demand status ldapsearch -x -H "$CB_URI_LDAPS" \
		-D "$CB_BIND_DN" -y "$CB_PWFILE" -LLL -b '' -s base 1.1)" 255 \
		"$kind: LDAPS fails without the test CA"
	printf 'wrong' >"$CB_DIR/wrongpw"
	is "$(status ldapsearch -x -H "$CB_URI_LDAPS" -D "$CB_BIND_DN" \
		-y "$CB_DIR/wrongpw" -LLL -b '' -s base 1.1)" 49 \
		"$kind: wrong password gives result 49"

	# Users.
	{
		cb_user_ldif "$kind" alice
		cb_user_ldif "$kind" bob "altSecurityIdentities: Kerberos:bob@OTHER.REALM"
	} >"$CB_DIR/users.ldif"
	cb_add_users "$CB_DIR/users.ldif"
	ok $? "$kind: cb_add_users adds two users"
	like "$(cb_user_dn alice)" '^[cC][nN]=alice,[cC][nN]=Users,' "$kind: cb_user_dn"
	sid=$(cb_user_sid alice)
	if [ "$kind" = slapd ]; then
		is "$sid" "S-1-5-21-1111111111-2222222222-3333333333-1101" \
			"$kind: cb_user_sid (explicit objectSid)"
		is "$(cb_user_sid bob)" "S-1-5-21-1111111111-2222222222-3333333333-1102" \
			"$kind: second user gets the next RID"
	else
		like "$sid" "^$CB_DOMAIN_SID-[0-9]+\$" "$kind: cb_user_sid (generated objectSid)"
	fi
	is "$(cb_ldap ldapsearch -LLL -b "$CB_BASE" \
		"(objectSid=$(cb_sid_to_b64 "$sid" | base64 -d | od -An -v -tx1 |
			tr -d ' \n' | sed 's/../\\&/g'))" 1.1 | grep -ci '^dn: cn=alice,')" 1 \
		"$kind: search by binary objectSid"

	# altSecurityIdentities: add, case-insensitive equality, permissive modify.
	bob=$(cb_user_dn bob)
	v1='X509:<I>DC=lan,DC=certbulk,CN=Test CA<SR>0A1B2C'
	mod() {	# mod add|delete VALUE [ldapmodify args]
		local op=$1 val=$2
		shift 2
		printf 'dn: %s\nchangetype: modify\n%s: altSecurityIdentities\naltSecurityIdentities: %s\n-\n' \
			"$bob" "$op" "$val" | cb_ldap ldapmodify "$@"
	}
	is "$(status mod add "$v1")" 0 "$kind: add an altSecurityIdentities value"
	is "$(cb_user_altsec bob)" "$(printf '%s\n' "Kerberos:bob@OTHER.REALM" "$v1" | LC_ALL=C sort)" \
		"$kind: cb_user_altsec lists both values"
	lc=$(printf '%s' "$v1" | tr 'A-Z' 'a-z')
	is "$(cb_ldap ldapsearch -LLL -b "$CB_BASE" \
		"(altSecurityIdentities=$(cb_filter_escape "$lc"))" sAMAccountName |
		sed -n 's/^sAMAccountName: //p')" bob \
		"$kind: equality search in another letter case finds it"
	is "$(status mod add "$v1")" 20 "$kind: adding it again gives 20"
	is "$(status mod add "$v1" -e '!1.2.840.113556.1.4.1413')" 0 \
		"$kind: ... and 0 with permissive modify"
	if [ "$kind" = slapd ]; then
		is "$(status mod add "$lc")" 20 "$kind: adding it in another letter case gives 20"
	else
		# Samba's duplicate check on add is byte-exact (Windows AD would
		# say 20): the case variant becomes a second value.  Shown on
		# alice to keep bob's values as they are.
		bob=$(cb_user_dn alice)
		mod add "$v1" >/dev/null 2>&1
		is "$(status mod add "$lc")" 0 \
			"$kind: adding it in another letter case succeeds (byte-exact duplicate check)"
		is "$(cb_user_altsec alice | wc -l)" 2 "$kind: ... and leaves two values"
		bob=$(cb_user_dn bob)
	fi
	is "$(status mod delete "${v1}FF")" 16 "$kind: deleting a missing value gives 16"
	if [ "$kind" = samba ]; then
		is "$(status mod delete "${v1}FF" -e '!1.2.840.113556.1.4.1413')" 0 \
			"$kind: ... and 0 with permissive modify"
	else
		is "$(status mod delete "${v1}FF" -e '!1.2.840.113556.1.4.1413')" 16 \
			"$kind: ... and still 16 with permissive modify (slapd)"
	fi

	# cb_dump: a read-only search writes nothing.
	cb_dump strict "$CB_DIR/before"
	ok $? "$kind: cb_dump strict"
	cb_dump content "$CB_DIR/before.content"
	cb_ldap ldapsearch -LLL -b "$CB_BASE" '(sAMAccountName=*)' >/dev/null
	cb_dump strict "$CB_DIR/after"
	same_file "$CB_DIR/after" "$CB_DIR/before" "$kind: strict dump unchanged by a search"
	like "$(grep -ci '^dn: cn=bob,' "$CB_DIR/before")" '^1$' "$kind: dump has bob once"
	grep -qiE '^(uSNChanged|entryCSN):' "$CB_DIR/before"
	ok $? "$kind: strict dump keeps change metadata"
	grep -qiE '^(uSNChanged|entryCSN|whenChanged|modifyTimestamp):' "$CB_DIR/before.content"
	ok $((! $?)) "$kind: content dump drops change metadata"

	# apply then undo: content equal, strict not.
	mod delete "$v1" >/dev/null 2>&1
	mod add "$v1" >/dev/null 2>&1
	cb_dump content "$CB_DIR/after.content"
	same_file "$CB_DIR/after.content" "$CB_DIR/before.content" \
		"$kind: content dump equal after delete + re-add"
	cb_dump strict "$CB_DIR/after2"
	cmp -s "$CB_DIR/after2" "$CB_DIR/before"
	ok $((! $?)) "$kind: strict dump differs after delete + re-add"
done

# slapd only: ldapi EXTERNAL, paging and the 1000-entry limit, transactions.
use slapd
like "$(ldapwhoami -Q -Y EXTERNAL -H "$CB_URI_LDAPI" 2>&1)" \
	"^dn:$(printf '%s' "$CB_ROOT_DN" | tr 'A-Z' 'a-z')\$" \
	"slapd: ldapi SASL EXTERNAL maps to the rootdn"
is "$(status ldapwhoami -x -H "$CB_URI" -D "$CB_BIND_DN" -y "$CB_PWFILE")" 0 \
	"slapd: plain LDAP simple bind is allowed"
{
	printf 'dn: OU=Bulk,%s\nobjectClass: organizationalUnit\nou: Bulk\n\n' "$CB_BASE"
	awk -v base="$CB_BASE" 'BEGIN {
		for (i = 1; i <= 1100; i++)
			printf "dn: CN=bulk%04d,OU=Bulk,%s\nobjectClass: person\nobjectClass: organizationalPerson\nobjectClass: user\ncn: bulk%04d\nsn: bulk\nsAMAccountName: bulk%04d\n\n", i, base, i, i
	}'
} | cb_ldap ldapadd >/dev/null
ok $? "slapd: add 1100 entries"
out=$(cb_ldap ldapsearch -LLL -b "OU=Bulk,$CB_BASE" '(objectClass=user)' 1.1 2>/dev/null)
rc=$?
is "$rc" 4 "slapd: unpaged search ends with sizeLimitExceeded"
is "$(printf '%s\n' "$out" | grep -c '^dn:')" 1000 "slapd: ... after 1000 entries"
is "$(cb_ldap ldapsearch -LLL -E pr=1000/noprompt -b "OU=Bulk,$CB_BASE" \
	'(objectClass=user)' 1.1 | grep -c '^dn:')" 1100 "slapd: paged search returns all 1100"
like "$(cb_ldap ldapsearch -LLL -b '' -s base supportedExtension)" \
	'supportedExtension: 1\.3\.6\.1\.1\.21\.1' "slapd: advertises RFC 5805 transactions"
v2='X509:<SKI>00112233445566778899aabbccddeeff00112233'
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n\ndn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n\n' \
	"$(cb_user_dn alice)" "$v2" "$(cb_user_dn bob)" "Kerberos:bob@OTHER.REALM" >"$CB_DIR/txn.ldif"
is "$(status cb_ldap ldapmodify -E '!txn=commit' -f "$CB_DIR/txn.ldif")" 20 \
	"slapd: a transaction with a failing modify fails"
is "$(cb_user_altsec alice)" "" "slapd: ... and the other modify in it is rolled back"
# slapd 2.5.13 with its default 16 threads crashes within a few dozen
# failed or aborted transactions; slapd.sh runs it with 2.
for ((i = 0; i < 60; i++)); do
	cb_ldap ldapmodify -E '!txn=commit' -f "$CB_DIR/txn.ldif" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 20 ] || break
done
is "$i/$rc" "60/20" "slapd: survives 60 failed transactions in a row"
for ((i = 0; i < 30; i++)); do
	cb_ldap ldapmodify -E '!txn=abort' -f "$CB_DIR/txn.ldif" >/dev/null 2>&1
	rc=$?
	[ "$rc" = 0 ] || break
done
is "$i/$rc" "30/0" "slapd: survives 30 aborted transactions in a row"
printf 'dn: %s
changetype: modify
add: altSecurityIdentities
altSecurityIdentities: %s

' \
	"$(cb_user_dn alice)" "$v2" >"$CB_DIR/txn-ok.ldif"
is "$(status cb_ldap ldapmodify -E '!txn=commit' -f "$CB_DIR/txn-ok.ldif")" 0 \
	"slapd: a transaction commits"
is "$(cb_user_altsec alice)" "$v2" "slapd: ... and its modify is applied"

# Samba only: plain simple bind refused, GSSAPI.
use samba
is "$(status ldapsearch -x -H "$CB_URI" -D "$CB_BIND_DN" -y "$CB_PWFILE" \
	-LLL -b '' -s base 1.1)" 8 "samba: plain LDAP simple bind refused with result 8"
is "$(status ldapsearch -Q -Y GSSAPI -H "$CB_URI" -LLL -b "$CB_BIND_DN" -s base 1.1)" 0 \
	"samba: GSSAPI bind over plain LDAP (sign+seal)"
is "$(status ldapsearch -Q -Y GSSAPI -O maxssf=0 -H "$CB_URI_LDAPS" -LLL \
	-b "$CB_BIND_DN" -s base 1.1)" 0 "samba: GSSAPI bind over LDAPS (-O maxssf=0)"
is "$(status ldapsearch -Q -Y GSSAPI -O maxssf=0 -ZZ -H "$CB_URI" -LLL \
	-b "$CB_BIND_DN" -s base 1.1)" 0 "samba: GSSAPI bind over StartTLS (-O maxssf=0)"
is "$(status ldapsearch -Q -Y GSSAPI -H "$CB_URI_LDAPS" -LLL -b '' -s base 1.1)" 53 \
	"samba: GSSAPI with a security layer over LDAPS refused with 53"
is "$(cb_ldap ldapsearch -LLL -b "$CB_BASE" "(objectSid=$(cb_user_sid alice))" \
	sAMAccountName | sed -n 's/^sAMAccountName: //p')" alice \
	"samba: search by textual objectSid"
is "$(cb_ldap ldapsearch -LLL -E pr=2/noprompt -b "CN=Users,$CB_BASE" \
	'(sAMAccountName=*)' 1.1 | grep -c '^dn:')" \
	"$(cb_ldap ldapsearch -LLL -b "CN=Users,$CB_BASE" '(sAMAccountName=*)' 1.1 |
		grep -c '^dn:')" "samba: paged search returns the same entries"

done_testing
