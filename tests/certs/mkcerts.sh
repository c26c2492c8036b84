#!/bin/bash
# mkcerts.sh OUTDIR: generate the certbulk test certificates into OUTDIR.
#
# Uses only bash, coreutils, iconv and the openssl command. Everything is
# deterministic except the keys (and so the signatures, the key-hash SKIs,
# the thumbprints, and the validity dates of the three ossl-* certificates,
# which `openssl x509 -req` / `req -x509` in OpenSSL 3.0 cannot fix).
#
# Most certificates are assembled byte by byte with the small DER builder
# below (tbsCertificate written as hex, signed with `openssl dgst -sign`),
# so that every name, string type, SET order and serial octet is exactly
# what tests/certs/expected.tsv claims. The ossl-* certificates are made the
# ordinary way (openssl req / x509 -req) to cover what real OpenSSL CAs emit.
# After generation every certificate is parsed and chain-verified by openssl,
# and the bytes each expectation depends on are checked (check_hex /
# check_asn1 below); any mismatch makes this script fail.
#
# OUTDIR/            the certificates the tests read (one line group each
#                    in expected.tsv, FILE column = name in OUTDIR)
# OUTDIR/private/    keys and PEM copies (not test input)
# OUTDIR/hostile/    valid but awkward certificates for 30-hostile.t
set -euo pipefail
shopt -s inherit_errexit 2>/dev/null || true
export LC_ALL=C

OUT=${1:?usage: mkcerts.sh OUTDIR}
mkdir -p "$OUT" "$OUT/private" "$OUT/hostile"
OUT=$(cd "$OUT" && pwd)
W=$OUT/private

die() { echo "mkcerts.sh: $*" >&2; exit 1; }
command -v openssl >/dev/null || die "openssl not found"
command -v iconv >/dev/null || die "iconv not found"

# ---------------------------------------------------------------- hex helpers
hexof() { od -An -v -tx1 | tr -d ' \n'; }		# stdin -> lower-case hex
strhex() { printf '%s' "$1" | hexof; }			# bytes of a string
unhex() { printf '%b' "$(printf '%s' "$1" | sed 's/../\\x&/g')"; }
filehex() { hexof <"$1"; }

# ---------------------------------------------------------------- DER builder
# Every function prints the hex of one complete TLV.
derlen() {
	local n=$((${#1} / 2))
	if ((n < 0x80)); then printf '%02x' "$n"
	elif ((n < 0x100)); then printf '81%02x' "$n"
	elif ((n < 0x10000)); then printf '82%04x' "$n"
	else printf '83%06x' "$n"; fi
}
tlv() { printf '%s%s%s' "$1" "$(derlen "$2")" "$2"; }	# tlv TAGHEX CONTENTHEX
cat_() { local IFS=; printf '%s' "$*"; }
SEQ() { tlv 30 "$(cat_ "$@")"; }
SET() { tlv 31 "$(cat_ "$@")"; }	# elements in the order given: NOT sorted
INT() { tlv 02 "$1"; }			# content octets exactly as given
b128() {
	local v=$1 s
	s=$(printf '%02x' $((v & 0x7f)))
	v=$((v >> 7))
	while ((v > 0)); do
		s=$(printf '%02x' $(((v & 0x7f) | 0x80)))$s
		v=$((v >> 7))
	done
	printf '%s' "$s"
}
OID() {
	local IFS=. a out
	set -- $1
	out=$(b128 $(($1 * 40 + $2)))
	shift 2
	for a; do out+=$(b128 "$a"); done
	tlv 06 "$out"
}
attr_oid() {	# CryptoAPI keyword (or dotted OID) -> dotted OID
	case $1 in
	CN) echo 2.5.4.3 ;; SN) echo 2.5.4.4 ;; SERIALNUMBER) echo 2.5.4.5 ;;
	C) echo 2.5.4.6 ;; L) echo 2.5.4.7 ;; S) echo 2.5.4.8 ;;
	STREET) echo 2.5.4.9 ;; O) echo 2.5.4.10 ;; OU) echo 2.5.4.11 ;;
	T) echo 2.5.4.12 ;; Description) echo 2.5.4.13 ;;
	PostalCode) echo 2.5.4.17 ;; POBox) echo 2.5.4.18 ;;
	Phone) echo 2.5.4.20 ;; X21Address) echo 2.5.4.24 ;;
	G) echo 2.5.4.42 ;; I) echo 2.5.4.43 ;; dnQualifier) echo 2.5.4.46 ;;
	E) echo 1.2.840.113549.1.9.1 ;;
	DC) echo 0.9.2342.19200300.100.1.25 ;;
	UID) echo 0.9.2342.19200300.100.1.1 ;;
	[0-9]*) echo "$1" ;;
	*) die "unknown attribute $1" ;;
	esac
}
STR() {	# STR TYPE TEXT (TEXT is UTF-8 in this file)
	case $1 in
	utf8) tlv 0c "$(strhex "$2")" ;;
	numeric) tlv 12 "$(strhex "$2")" ;;
	printable) tlv 13 "$(strhex "$2")" ;;
	t61) tlv 14 "$(strhex "$2")" ;;	# the UTF-8 bytes, as old CAs did
	t61latin1) tlv 14 "$(printf '%s' "$2" | iconv -f UTF-8 -t ISO-8859-1 | hexof)" ;;
	ia5) tlv 16 "$(strhex "$2")" ;;
	visible) tlv 1a "$(strhex "$2")" ;;
	univ) tlv 1c "$(printf '%s' "$2" | iconv -f UTF-8 -t UTF-32BE | hexof)" ;;
	bmp) tlv 1e "$(printf '%s' "$2" | iconv -f UTF-8 -t UTF-16BE | hexof)" ;;
	*) die "unknown string type $1" ;;
	esac
}
ATV() { SEQ "$(OID "$(attr_oid "$1")")" "$(STR "$2" "$3")"; }	# ATV KEY TYPE TEXT
RDN() { SET "$(ATV "$1" "$2" "$3")"; }				# single-valued RDN
NAME() { SEQ "$@"; }						# RDNs in encoded order
UTC() { tlv 17 "$(strhex "$1")"; }
GT() { tlv 18 "$(strhex "$1")"; }

# extensions
EXT() {	# EXT OID CRITICAL(0|1) VALUEHEX
	if [ "$2" = 1 ]; then SEQ "$(OID "$1")" 0101ff "$(tlv 04 "$3")"
	else SEQ "$(OID "$1")" "$(tlv 04 "$3")"; fi
}
ext_ski() { EXT 2.5.29.14 0 "$(tlv 04 "$1")"; }
ext_aki() { EXT 2.5.29.35 0 "$(SEQ "$(tlv 80 "$1")")"; }
ext_bc_ca() { EXT 2.5.29.19 1 "$(SEQ 0101ff)"; }
ext_ku_ca() { EXT 2.5.29.15 1 03020106; }	# keyCertSign, cRLSign
ext_ku_leaf() { EXT 2.5.29.15 1 03020780; }	# digitalSignature
ext_eku_logon() { EXT 2.5.29.37 0 "$(SEQ "$(OID 1.3.6.1.5.5.7.3.2)" "$(OID 1.3.6.1.4.1.311.20.2.2)")"; }
GN_email() { tlv 81 "$(strhex "$1")"; }
GN_dns() { tlv 82 "$(strhex "$1")"; }
GN_upn() { tlv a0 "$(OID 1.3.6.1.4.1.311.20.2.3)$(tlv a0 "$(STR utf8 "$1")")"; }
ext_san() { EXT 2.5.29.17 0 "$(SEQ "$@")"; }
# Microsoft SID extension: SEQUENCE { [0] { OID 1.3.6.1.4.1.311.25.2.1,
# [0] EXPLICIT OCTET STRING "S-1-5-..." } }
sid_value() { SEQ "$(tlv a0 "$(OID 1.3.6.1.4.1.311.25.2.1)$(tlv a0 "$(tlv 04 "$(strhex "$1")")")")"; }
ext_sid() { EXT 1.3.6.1.4.1.311.25.2 0 "$(sid_value "$1")"; }

# ---------------------------------------------------------------- keys
declare -A KT		# key name -> rsa|ec
newkey() {	# newkey NAME rsa|ec
	case $2 in
	rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$W/$1.key" 2>/dev/null ;;
	ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$W/$1.key" 2>/dev/null ;;
	esac
	openssl pkey -in "$W/$1.key" -pubout -outform DER -out "$W/$1.spki"
	KT[$1]=$2
}
spki() { filehex "$W/$1.spki"; }
keyid() {	# RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits
	local off hl len
	read -r off hl len < <(openssl asn1parse -inform DER -in "$W/$1.spki" |
		sed -n 's/^ *\([0-9]*\):d=1 *hl= *\([0-9]*\) *l= *\([0-9]*\) *prim: BIT STRING.*/\1 \2 \3/p')
	tail -c +$((off + hl + 2)) "$W/$1.spki" | head -c $((len - 1)) |
		openssl dgst -sha1 -r | cut -c1-40
}
sigalg() {
	case ${KT[$1]} in
	rsa) SEQ "$(OID 1.2.840.113549.1.1.11)" 0500 ;;	# sha256WithRSAEncryption
	ec) SEQ "$(OID 1.2.840.10045.4.3.2)" ;;		# ecdsa-with-SHA256
	esac
}

# ---------------------------------------------------------------- certificates
NB=240101000000Z	# notBefore (UTCTime)
NA=491231235959Z	# notAfter (UTCTime); VALIDITY overrides the whole SEQUENCE
declare -A CANAME CAKEY CAKID

# mkcert FILE SIGNKEY ISSUERHEX SUBJECTHEX SERIALHEX SUBJKEY EXTHEX...
mkcert() {
	local file=$1 signer=$2 issuer=$3 subject=$4 serial=$5 subjkey=$6
	shift 6
	local alg validity exts tbs
	alg=$(sigalg "$signer")
	validity=${VALIDITY:-$(SEQ "$(UTC $NB)" "$(UTC $NA)")}
	exts=
	[ $# -gt 0 ] && exts=$(tlv a3 "$(SEQ "$@")")
	tbs=$(SEQ "$(tlv a0 020102)" "$(INT "$serial")" "$alg" "$issuer" "$validity" \
		"$subject" "$(spki "$subjkey")" "$exts")
	unhex "$tbs" >"$W/tbs.der"
	openssl dgst -sha256 -sign "$W/$signer.key" -out "$W/sig.bin" "$W/tbs.der"
	unhex "$(SEQ "$tbs" "$alg" "$(tlv 03 "00$(filehex "$W/sig.bin")")")" >"$file"
}
# mkca TAG KEYTYPE SERIALHEX NAMEHEX -> OUT/ca-TAG.cer (self-signed)
mkca() {
	newkey "ca-$1" "$2"
	CANAME[$1]=$4 CAKEY[$1]=ca-$1 CAKID[$1]=$(keyid "ca-$1")
	mkcert "$OUT/ca-$1.cer" "ca-$1" "$4" "$4" "$3" "ca-$1" \
		"$(ext_ski "${CAKID[$1]}")" "$(ext_bc_ca)" "$(ext_ku_ca)"
	pem "$OUT/ca-$1.cer" >"$W/ca-$1.pem"
}
# mkleaf FILE CA SERIALHEX SUBJECTHEX KEY SKI(hex|auto|-) [EXTHEX...]
mkleaf() {
	local file=$1 ca=$2 serial=$3 subject=$4 key=$5 ski=$6
	shift 6
	local e=()
	case $ski in
	-) ;;
	auto) e+=("$(ext_ski "$(keyid "$key")")") ;;
	*) e+=("$(ext_ski "$ski")") ;;
	esac
	e+=("$(ext_aki "${CAKID[$ca]}")" "$(ext_ku_leaf)" "$(ext_eku_logon)" "$@")
	mkcert "$OUT/$file" "${CAKEY[$ca]}" "${CANAME[$ca]}" "$subject" "$serial" "$key" "${e[@]}"
}
pem() {	# DER file -> PEM on stdout, the exact bytes (no re-encoding)
	echo "-----BEGIN CERTIFICATE-----"
	openssl base64 -e -in "$1"
	echo "-----END CERTIFICATE-----"
}
fixedski() { printf '%s' "$1" | openssl dgst -sha1 -r | cut -c1-40; }	# arbitrary, NOT a key hash

# ================================================================ keys
newkey leaf-rsa rsa
newkey leaf-ec ec

# ================================================================ CAs
# KB5014754: DC=com, DC=contoso, CN=CONTOSO-DC-CA in encoded order DC,DC,CN
mkca contoso rsa 01 "$(NAME "$(RDN DC ia5 com)" "$(RDN DC ia5 contoso)" \
	"$(RDN CN printable CONTOSO-DC-CA)")"
# vendor example (EC CA, so its leaves are ECDSA-signed)
mkca hills ec 0df3 "$(NAME "$(RDN DC ia5 lab)" "$(RDN DC ia5 hills)" \
	"$(RDN CN printable KoMPrivateIssuingUsersCA)")"
# Directory Services blog example
mkca dod rsa 7b "$(NAME "$(RDN DC ia5 local)" "$(RDN DC ia5 dod)" \
	"$(RDN CN printable 'SpatDoD Root CA')")"
# an issuer that needs quoting and string conversion
mkca weird rsa 10 "$(NAME "$(RDN C printable DE)" "$(RDN S utf8 Bayern)" \
	"$(RDN L t61latin1 'München')" \
	"$(RDN O utf8 'Müller & "Söhne" GmbH')" \
	"$(RDN OU bmp 'Zertifizierungsstelle, Nord')" \
	"$(RDN CN univ 'Root CA #1')")"

USERS="$(RDN DC ia5 com)$(RDN DC ia5 contoso)$(RDN CN printable Users)"	# prefix
user() { NAME "$USERS" "$(RDN CN utf8 "$1")"; }

# ================================================================ worked examples
mkleaf kb5014754.cer contoso 2b0000000011ac0000000012 "$(user 'Jane Doe')" leaf-rsa auto \
	"$(ext_san "$(GN_upn jane@contoso.com)" "$(GN_email jane.doe@contoso.com)")"
mkleaf vendor-hills.cer hills 3d0000000000a3 \
	"$(NAME "$(RDN DC ia5 lab)" "$(RDN DC ia5 hills)" "$(RDN CN printable Users)" "$(RDN CN utf8 'Kim Akers')")" \
	leaf-rsa 0102030405060708
mkleaf blog-gman.cer dod 10e8bd03000000000032 "$(NAME "$(RDN CN printable gman)")" \
	leaf-rsa ddde2ca4b86db8a908b95c6cbcc8bb1ac7a09a41

# ================================================================ serials
mkleaf serial-highbit.cer contoso 00c12345 "$(user 'Serial High Bit')" leaf-ec "$(fixedski serial-highbit)"
VALIDITY=$(SEQ "$(UTC $NB)" "$(GT 20991231235959Z)") \
	mkleaf serial-20.cer contoso 7f0102030405060708090a0b0c0d0e0f10111213 "$(user 'Serial Twenty Octets')" \
	leaf-ec 00"$(fixedski serial-20 | cut -c3-)"
mkleaf serial-21.cer contoso 008899aabbccddeeff00112233445566778899aabb "$(user 'Serial Twenty-One Octets')" \
	leaf-rsa "$(fixedski serial-21)"
mkleaf serial-neg.cer hills ff01 "$(user 'Serial Negative')" leaf-rsa "$(fixedski serial-neg)"
mkleaf serial-zero.cer hills 00 "$(user 'Serial Zero')" leaf-rsa "$(fixedski serial-zero)"

# ================================================================ keywords
mkleaf keywords.cer contoso 4b455957 "$(NAME \
	"$(RDN C printable US)" "$(RDN S utf8 Washington)" "$(RDN L utf8 Redmond)" \
	"$(RDN STREET utf8 '1 Microsoft Way')" "$(RDN PostalCode utf8 98052)" \
	"$(RDN POBox utf8 'PO Box 123')" "$(RDN Phone printable '+1 425 555 0100')" \
	"$(RDN X21Address numeric 12345678)" "$(RDN O utf8 Contoso)" "$(RDN OU utf8 IT)" \
	"$(RDN T utf8 Engineer)" "$(RDN SN utf8 Doe)" "$(RDN G utf8 Jane)" "$(RDN I utf8 JD)" \
	"$(RDN SERIALNUMBER printable 12345)" "$(RDN DC ia5 example)" \
	"$(RDN Description utf8 'Test user')" "$(RDN dnQualifier printable q1)" \
	"$(RDN E ia5 jane@contoso.com)" "$(RDN UID utf8 jdoe)" \
	"$(RDN 2.999.1 utf8 x)" "$(RDN 1.3.6.1.4.1.99999.1 utf8 other)" \
	"$(RDN CN utf8 'Jane Doe')")" leaf-rsa "$(fixedski keywords)"

# ================================================================ quoting
mkleaf q-comma.cer contoso 0c01 "$(user 'Smith, John')" leaf-rsa "$(fixedski q-comma)"
mkleaf q-dquote.cer contoso 0c02 "$(NAME "$(RDN O utf8 'ACME "Labs"')" "$(RDN OU utf8 '"')" \
	"$(RDN CN utf8 'say "hi", ok')")" leaf-rsa "$(fixedski q-dquote)"
mkleaf q-space.cer contoso 0c03 "$(NAME "$(RDN CN utf8 ' lead')" "$(RDN OU utf8 'trail ')" \
	"$(RDN O utf8 'in side')" "$(RDN L utf8 '  both  ')")" leaf-rsa "$(fixedski q-space)"
mkleaf q-special.cer contoso 0c04 "$(NAME "$(RDN OU utf8 'a+b')" "$(RDN OU utf8 'a=b')" \
	"$(RDN OU utf8 'a<b')" "$(RDN OU utf8 'a>b')" "$(RDN OU utf8 '#hash')" \
	"$(RDN OU utf8 'mid#dle')" "$(RDN OU utf8 'a;b')" \
	"$(RDN O utf8 "R&D (west)/ops: it's *ok*!")" "$(RDN CN utf8 plain)")" \
	leaf-ec "$(fixedski q-special)"
mkleaf q-backslash.cer contoso 0c05 "$(NAME "$(RDN CN utf8 'C:\dir')" "$(RDN OU utf8 'back\\slash')" \
	"$(RDN O utf8 'a\,b')" "$(RDN L utf8 'x\"y')")" leaf-rsa "$(fixedski q-backslash)"
mkleaf q-empty.cer contoso 0c06 "$(NAME "$(RDN O printable '')" "$(RDN CN utf8 '')")" \
	leaf-rsa "$(fixedski q-empty)"

# ================================================================ multi-valued RDN
# encoded order UID, CN, OU: the reverse of DER SET OF sorting (OU, CN, UID)
mkleaf mvrdn-raw.cer contoso 0d01 "$(NAME "$USERS" \
	"$(SET "$(ATV UID utf8 jd)" "$(ATV CN utf8 'Jane Doe')" "$(ATV OU utf8 Sales)")")" \
	leaf-rsa "$(fixedski mvrdn-raw)"

# ================================================================ string types
mkleaf s-utf8.cer weird 0e01 "$(NAME "$(RDN C printable JP)" "$(RDN O utf8 '日本')" \
	"$(RDN CN utf8 'Müller')")" leaf-rsa "$(fixedski s-utf8)"
mkleaf s-bmp.cer weird 0e02 "$(NAME "$(RDN O bmp '日本')" "$(RDN CN bmp 'Müller Ωmega')")" \
	leaf-ec "$(fixedski s-bmp)"
mkleaf s-univ.cer weird 0e03 "$(NAME "$(RDN O univ '日本')" "$(RDN CN univ 'Müller')")" \
	leaf-rsa "$(fixedski s-univ)"
mkleaf s-ia5.cer weird 0e04 "$(NAME "$(RDN OU ia5 'ia5 unit')" \
	"$(RDN CN ia5 'ia5 user')")" leaf-rsa "$(fixedski s-ia5)"
mkleaf s-t61-utf8.cer weird 0e05 "$(NAME "$(RDN O t61 'Bücher')" "$(RDN CN t61 'Müller')")" \
	leaf-rsa "$(fixedski s-t61-utf8)"
mkleaf s-t61-latin1.cer weird 0e06 "$(NAME "$(RDN O t61latin1 'Bücher')" \
	"$(RDN CN t61latin1 'Müller')")" leaf-rsa "$(fixedski s-t61-latin1)"

# ================================================================ SKI, SAN, SID
mkleaf noski-ec.cer contoso 0a0b "$(user 'No SKI')" leaf-ec -
mkleaf upn-sid.cer contoso 610000000af2b4d1e6a300000000000a "$(user 'Jane Doe')" leaf-rsa \
	"$(fixedski upn-sid)" \
	"$(ext_san "$(GN_dns jane-pc.contoso.com)" "$(GN_email jane.doe@contoso.com)" \
		"$(GN_upn jane@contoso.com)" "$(GN_email second@contoso.com)")" \
	"$(ext_sid S-1-5-21-1111111111-2222222222-3333333333-1105)"
mkleaf email-subject.cer contoso 0e0e "$(NAME "$USERS" "$(RDN CN utf8 Bob)" \
	"$(RDN E ia5 bob@contoso.com)")" leaf-rsa "$(fixedski email-subject)" \
	"$(ext_san "$(GN_upn bob@contoso.com)")"

# ================================================================ ordinary openssl
cat >"$W/req.cnf" <<'EOF'
[req]
distinguished_name = dn
string_mask = utf8only
x509_extensions = v3_self
[dn]
[v3_self]
subjectKeyIdentifier = hash
basicConstraints = critical, CA:TRUE
EOF
sed 's/utf8only/nombstr/' "$W/req.cnf" >"$W/req-nombstr.cnf"
cat >"$W/leaf.ext" <<'EOF'
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth, 1.3.6.1.4.1.311.20.2.2
subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:john@contoso.com, email:john.smith@contoso.com
1.3.6.1.4.1.311.25.2 = ASN1:SEQUENCE:sidext
[sidext]
gn = IMPLICIT:0C,SEQUENCE:sidon
[sidon]
oid = OID:1.3.6.1.4.1.311.25.2.1
val = EXPLICIT:0C,OCTETSTRING:S-1-5-21-1111111111-2222222222-3333333333-1106
EOF
# multi-valued RDN given as UID+CN: OpenSSL DER-sorts the SET (CN first)
openssl req -x509 -new -key "$W/leaf-ec.key" -config "$W/req.cnf" -multivalue-rdn \
	-subj '/DC=org/DC=example/UID=jd+CN=Jane' -set_serial 0x0100 -days 3650 \
	-out "$OUT/ossl-mvrdn.pem"
# string_mask=nombstr with 8-bit input and no -utf8: T61String holding UTF-8
openssl req -x509 -new -key "$W/leaf-rsa.key" -config "$W/req-nombstr.cnf" \
	-subj '/O=Bücher GmbH/CN=Müller' -set_serial 0x7e57 -days 3650 \
	-out "$OUT/ossl-t61.pem"
openssl req -new -key "$W/leaf-rsa.key" -config "$W/req.cnf" \
	-subj '/DC=com/DC=contoso/CN=Users/CN=John Smith' -out "$W/ossl-upn.csr"
openssl x509 -req -in "$W/ossl-upn.csr" -CA "$W/ca-contoso.pem" -CAkey "$W/ca-contoso.key" \
	-set_serial 0x5e00000013a4b5c6d7e8f90000000013 -days 3650 -extfile "$W/leaf.ext" \
	-out "$OUT/ossl-upn.pem" 2>/dev/null

# ================================================================ bundles
for f in kb5014754 noski-ec blog-gman; do pem "$OUT/$f.cer" >"$W/$f.pem"; done
{
	echo "Bag Attributes"
	echo "    friendlyName: Jane Doe"
	echo "subject=DC = com, DC = contoso, CN = Users, CN = Jane Doe"
	echo "issuer=DC = com, DC = contoso, CN = CONTOSO-DC-CA"
	cat "$W/kb5014754.pem"
	echo "Bag Attributes"
	echo "    localKeyID: 01 00 00 00"
	echo "Key Attributes: <No Attributes>"
	cat "$W/leaf-rsa.key"
	echo "subject=DC = com, DC = contoso, CN = CONTOSO-DC-CA"
	cat "$W/ca-contoso.pem"
} >"$OUT/bundle.pem"
grep -q -- '-----BEGIN PRIVATE KEY-----' "$OUT/bundle.pem" || die "bundle.pem: no key block"
openssl crl2pkcs7 -nocrl -certfile "$W/ca-contoso.pem" -certfile "$W/kb5014754.pem" \
	-certfile "$W/noski-ec.pem" -outform DER -out "$OUT/bundle.p7b"
openssl crl2pkcs7 -nocrl -certfile "$W/blog-gman.pem" -certfile "$W/ca-dod.pem" \
	-out "$OUT/bundle.p7c"
# a Windows-style Base-64 .cer export: PEM with CRLF line ends
sed 's/$/\r/' "$W/kb5014754.pem" >"$OUT/crlf.cer"

# ================================================================ hostile but valid
LONG=$(printf 'A%.0s' $(seq 70000))
mkleaf hostile/longname.cer contoso 1f01 "$(user "$LONG")" leaf-rsa "$(fixedski longname)"
mkleaf hostile/lf-tab.cer contoso 1f02 "$(NAME "$USERS" "$(RDN OU utf8 $'tab\there')" \
	"$(RDN CN utf8 $'line1\nline2')")" leaf-rsa "$(fixedski lf-tab)"
unset LONG
# VisibleString is not a DirectoryString choice and OpenSSL's d2i_X509 rejects
# it in a Name (it is not in B_ASN1_PRINTABLE), while CryptoAPI decodes it
mkleaf hostile/visible.cer contoso 1f03 "$(NAME "$USERS" "$(RDN OU visible 'visible string')" \
	"$(RDN CN utf8 Vis)")" leaf-rsa "$(fixedski visible)"

# ================================================================ self-checks
fail=0
bad() { echo "mkcerts.sh: CHECK FAILED: $*" >&2; fail=1; }
check_hex() {	# check_hex FILE HEX WHY: FILE's DER contains exactly these bytes
	local der
	case $1 in
	*.pem) der=$(openssl x509 -in "$1" -outform DER | hexof) ;;
	*) der=$(filehex "$1") ;;
	esac
	case $der in *"$2"*) ;; *) bad "$(basename "$1"): $3 (bytes $2 not found)" ;; esac
}
check_asn1() {	# check_asn1 FILE ERE WHY: openssl asn1parse shows this line
	local inf=DER
	case $1 in *.pem) inf=PEM ;; esac
	openssl asn1parse -inform $inf -in "$1" | grep -Eq -- "$2" || bad "$(basename "$1"): $3 (asn1parse: no /$2/)"
}
# every certificate parses and chains to its CA
ca_of() {
	case $1 in
	ca-*.cer | ossl-mvrdn.pem | ossl-t61.pem) echo "$1" ;;
	vendor-hills.cer | serial-neg.cer | serial-zero.cer) echo ca-hills.cer ;;
	blog-gman.cer) echo ca-dod.cer ;;
	s-*.cer) echo ca-weird.cer ;;
	*) echo ca-contoso.cer ;;
	esac
}
for f in "$OUT"/*.cer "$OUT"/*.pem "$OUT"/hostile/*.cer; do
	b=${f#"$OUT"/}
	case $b in bundle.pem | hostile/visible.cer) continue ;; esac
	inf=DER
	case $b in *.pem | crlf.cer) inf=PEM ;; esac
	openssl x509 -inform $inf -in "$f" -noout 2>/dev/null || { bad "$b: openssl cannot parse it"; continue; }
	openssl x509 -inform $inf -in "$f" -out "$W/v.pem"
	ca=$(ca_of "${b#hostile/}")
	case $ca in *.cer) pem "$OUT/$ca" >"$W/vca.pem" ;; *) cp "$OUT/$ca" "$W/vca.pem" ;; esac
	openssl verify -CAfile "$W/vca.pem" "$W/v.pem" >/dev/null 2>&1 || bad "$b: does not verify against $ca"
	# thumbprint oracle: x509 -fingerprint equals SHA-1 of the raw DER
	if [ $inf = DER ]; then
		a=$(openssl x509 -inform DER -in "$f" -noout -fingerprint -sha1 | sed 's/.*=//; s/://g')
		r=$(openssl dgst -sha1 -r "$f" | cut -c1-40)
		[ "${a,,}" = "$r" ] || bad "$b: fingerprint $a != sha1 of DER $r"
	fi
done

# serials: the DER INTEGER content octets
check_hex "$OUT/kb5014754.cer" 020c2b0000000011ac0000000012 "serial 2B0000000011AC0000000012"
check_hex "$OUT/vendor-hills.cer" 02073d0000000000a3 "serial 3D0000000000A3"
check_hex "$OUT/blog-gman.cer" 020a10e8bd03000000000032 "serial 10E8BD03000000000032"
check_hex "$OUT/serial-highbit.cer" 020400c12345 "serial 00 C1 23 45 (sign byte)"
check_hex "$OUT/serial-20.cer" 02147f0102030405060708090a0b0c0d0e0f10111213 "20-octet serial"
check_hex "$OUT/serial-21.cer" 0215008899aabbccddeeff00112233445566778899aabb "21-octet serial"
check_hex "$OUT/serial-neg.cer" 0202ff01 "negative serial FF 01"
check_hex "$OUT/serial-zero.cer" 020100 "serial 00"
check_hex "$OUT/ca-contoso.cer" 020101 "1-octet serial"
check_hex "$OUT/ossl-mvrdn.pem" 02020100 "serial 01 00"
check_hex "$OUT/ossl-t61.pem" 02027e57 "serial 7E 57"
check_hex "$OUT/ossl-upn.pem" 02105e00000013a4b5c6d7e8f90000000013 "serial 5E..13"
check_asn1 "$OUT/serial-neg.cer" 'INTEGER +:-FF$' "negative serial"
# the KB5014754 issuer, encoded DC, DC, CN
check_hex "$OUT/kb5014754.cer" "$(NAME "$(RDN DC ia5 com)" "$(RDN DC ia5 contoso)" "$(RDN CN printable CONTOSO-DC-CA)")" "issuer DC=com,DC=contoso,CN=CONTOSO-DC-CA"
# string types (asn1parse names the type; the hex pins the bytes)
check_asn1 "$OUT/s-t61-utf8.cer" 'T61STRING +:M' "T61String"
check_hex "$OUT/s-t61-utf8.cer" 14074dc3bc6c6c6572 "T61String M C3 BC ller (UTF-8 bytes)"
check_hex "$OUT/s-t61-latin1.cer" 14064dfc6c6c6572 "T61String M FC ller (Latin-1 byte)"
check_hex "$OUT/s-t61-latin1.cer" 140642fc63686572 "T61String B FC cher (Latin-1 byte)"
check_hex "$OUT/ca-weird.cer" 14074dfc6e6368656e "issuer T61String M FC nchen (Latin-1)"
check_hex "$OUT/ossl-t61.pem" 14074dc3bc6c6c6572 "openssl nombstr: T61String holding UTF-8 M C3 BC ller"
check_hex "$OUT/ossl-t61.pem" 140c42c3bc6368657220476d6248 "openssl nombstr: T61String holding UTF-8 B C3 BC cher GmbH"
check_asn1 "$OUT/ossl-t61.pem" 'T61STRING' "T61String from openssl"
check_asn1 "$OUT/s-bmp.cer" 'BMPSTRING' "BMPString"
check_hex "$OUT/s-bmp.cer" 1e0465e5672c "BMPString 65E5 672C"
check_hex "$OUT/s-bmp.cer" 1e18004d00fc006c006c00650072002003a9006d006500670061 "BMPString Müller Ωmega"
check_asn1 "$OUT/s-univ.cer" 'UNIVERSALSTRING' "UniversalString"
check_hex "$OUT/s-univ.cer" 1c08000065e50000672c "UniversalString 日本"
check_hex "$OUT/ca-weird.cer" 1c28000000520000006f0000006f00000074 "issuer UniversalString Root..."
check_hex "$OUT/ca-weird.cer" 1e36005a "issuer BMPString Z..."
check_asn1 "$OUT/s-utf8.cer" 'UTF8STRING +:M' "UTF8String"
check_hex "$OUT/s-utf8.cer" 0c06e697a5e69cac "UTF8String 日本"
check_asn1 "$OUT/s-ia5.cer" 'IA5STRING +:ia5 user' "IA5String"
check_asn1 "$OUT/s-ia5.cer" 'IA5STRING +:ia5 unit' "IA5String OU"
check_asn1 "$OUT/hostile/visible.cer" 'VISIBLESTRING +:visible string' "VisibleString"
check_asn1 "$OUT/keywords.cer" 'NUMERICSTRING +:12345678' "NumericString X21Address"
check_hex "$OUT/q-empty.cer" 060355040a1300 "empty PrintableString O"
check_hex "$OUT/q-empty.cer" 0603550403 "CN present"
check_hex "$OUT/q-empty.cer" 06035504030c00 "empty UTF8String CN"
# OIDs with arc 2 and multi-byte arcs
check_asn1 "$OUT/keywords.cer" 'OBJECT +:2\.999\.1$' "OID 2.999.1"
check_hex "$OUT/keywords.cer" 06038837010c0178 "OID 2.999.1 = 88 37 01"
check_asn1 "$OUT/keywords.cer" 'OBJECT +:1\.3\.6\.1\.4\.1\.99999\.1$' "OID 1.3.6.1.4.1.99999.1"
check_asn1 "$OUT/keywords.cer" 'OBJECT +:userId$' "UID attribute"
check_asn1 "$OUT/keywords.cer" 'OBJECT +:x121Address$' "X21Address attribute"
# multi-valued RDNs: the encoded SET order the expectations follow
check_hex "$OUT/mvrdn-raw.cer" "$(SET "$(ATV UID utf8 jd)" "$(ATV CN utf8 'Jane Doe')" "$(ATV OU utf8 Sales)")" "SET order UID, CN, OU"
check_hex "$OUT/ossl-mvrdn.pem" "$(SET "$(ATV CN utf8 Jane)" "$(ATV UID utf8 jd)")" "openssl sorts the SET: CN then UID"
# SKI: no extension / exactly as stored / openssl's own hash agrees with keyid()
openssl x509 -inform DER -in "$OUT/noski-ec.cer" -noout -ext subjectKeyIdentifier 2>/dev/null |
	grep -q . && bad "noski-ec.cer has a SubjectKeyIdentifier"
check_hex "$OUT/blog-gman.cer" 0414ddde2ca4b86db8a908b95c6cbcc8bb1ac7a09a41 "SKI from the blog"
check_hex "$OUT/vendor-hills.cer" 04080102030405060708 "8-octet SKI"
check_hex "$OUT/ossl-upn.pem" "0414$(keyid leaf-rsa)" "openssl subjectKeyIdentifier=hash equals keyid()"
# SAN, UPN and SID
check_hex "$OUT/upn-sid.cer" "$(sid_value S-1-5-21-1111111111-2222222222-3333333333-1105)" "SID extension value"
check_hex "$OUT/ossl-upn.pem" "$(sid_value S-1-5-21-1111111111-2222222222-3333333333-1106)" "openssl SID extension value"
check_hex "$OUT/ossl-upn.pem" "$(GN_upn john@contoso.com)" "openssl UPN otherName"
check_hex "$OUT/upn-sid.cer" "$(GN_upn jane@contoso.com)" "UPN otherName"
# bundle order: the INDEX the expectations use
order() { openssl pkcs7 "$@" -print_certs | sed -n 's/^subject=.*CN = //p' | tr '\n' '|'; }
[ "$(order -inform DER -in "$OUT/bundle.p7b")" = "CONTOSO-DC-CA|Jane Doe|No SKI|" ] ||
	bad "bundle.p7b order: $(order -inform DER -in "$OUT/bundle.p7b")"
[ "$(order -in "$OUT/bundle.p7c")" = "gman|SpatDoD Root CA|" ] ||
	bad "bundle.p7c order: $(order -in "$OUT/bundle.p7c")"
[ $fail = 0 ] || die "self-checks failed"
echo "mkcerts.sh: certificates written to $OUT"
