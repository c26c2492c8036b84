#!/bin/bash
# make-samples.sh: regenerates the sample certificates used by `make demo`
# (samples/certs, samples/certdir, samples/ca.pem).  The CA key is thrown
# away: the samples only need to be read, never signed again.  Valid until
# 2046 so that the demo does not start refusing them as expired.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
DOMAIN_SID=S-1-5-21-1111111111-2222222222-3333333333
days=$(( ( $(date -d 2046-01-01 +%s) - $(date +%s) ) / 86400 ))

cat >"$tmp/ca.cnf" <<CNF
[req]
distinguished_name = dn
prompt = no
[dn]
0.DC = lan
1.DC = certbulk
2.DC = test
CN = Certbulk Sample Issuing CA
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
CNF
openssl req -x509 -new -newkey rsa:2048 -nodes -keyout "$tmp/ca.key" \
	-config "$tmp/ca.cnf" -extensions ca_ext -days "$days" -out ca.pem 2>/dev/null

# leaf NAME SERIAL SUBJECT EXT-LINES...
leaf() {
	local out=$1 serial=$2 subj=$3
	shift 3
	{
		printf '[ext]\nbasicConstraints = CA:FALSE\n'
		printf 'keyUsage = critical,digitalSignature,keyEncipherment\n'
		printf 'extendedKeyUsage = clientAuth,1.3.6.1.4.1.311.20.2.2\n'
		printf 'subjectKeyIdentifier = hash\n'
		printf 'crlDistributionPoints = URI:http://pki.test.certbulk.lan/issuing.crl\n'
		printf '%s\n' "$@"
	} >"$tmp/ext.cnf"
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$tmp/leaf.key" -subj "$subj" -out "$tmp/leaf.csr" 2>/dev/null
	openssl x509 -req -in "$tmp/leaf.csr" -CA ca.pem -CAkey "$tmp/ca.key" \
		-set_serial "$serial" -days "$days" -extfile "$tmp/ext.cnf" \
		-extensions ext -outform DER -out "$out" 2>/dev/null
}

# The SID extension (KB5014754): GeneralNames with one otherName
# 1.3.6.1.4.1.311.25.2.1 holding the SID as an OCTET STRING.
sid_ext() {
	printf '1.3.6.1.4.1.311.25.2 = ASN1:SEQUENCE:sid_seq\n'
	printf '[sid_seq]\nsid = IMPLICIT:0,SEQUENCE:sid_other\n'
	printf '[sid_other]\ntype = OID:1.3.6.1.4.1.311.25.2.1\n'
	printf 'value = EXPLICIT:0,OCTETSTRING:%s\n' "$1"
}

mkdir -p certs certdir
upn() { printf 'subjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:%s,email:%s\n' "$1" "$1"; }
leaf certs/alice.cer 0x61000000000000A11CE0 "/DC=lan/DC=certbulk/DC=test/OU=Staff/CN=Alice Archer" \
	"$(upn alice@test.certbulk.lan)"
leaf certs/erin.cer 0x00E7 "/DC=lan/DC=certbulk/DC=test/OU=Staff/CN=Smith, Erin" \
	"$(upn erin@test.certbulk.lan)"
openssl x509 -inform DER -in certs/erin.cer -out certs/erin.pem
rm certs/erin.cer
leaf certdir/bob.cer 0x7B0B "/CN=Bob Baker" "$(sid_ext "$DOMAIN_SID-1202")"
leaf certdir/carol.cer 0x0CA201 "/CN=Carol Chen" "$(upn carol@test.certbulk.lan)"
leaf certdir/frank.cer 0x0F4A "/CN=Frank Fischer/O=Certbulk Test" \
	"subjectAltName = email:frank@test.certbulk.lan"
