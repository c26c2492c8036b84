# tests/lib/crlpki.sh: a CA hierarchy with CRL distribution points served
# by tests/lib/httpd.pl on loopback, for the revocation tests (77-crl-cdp.t,
# 78-samba-crl.t).  Sourced after tests/e2e/lib.sh and a setup that made $T
# (its exit trap kills what E2E_BGPIDS lists); only defines functions.
#
#   crl_httpd_start   httpd.pl serving $WWW on 127.0.0.1 (PORT, U: its base
#                     URL; HLOG: its request log)
#   requests NAME     how many GET /NAME the server has logged
#   crl_pki           a root CA, an issuing CA (CN=$ISS_CN, its CDP
#                     $U/root.crl) and a "fake" CA of the issuing CA's name
#                     with another key, in $P; $P/cas.pem: root + issuing
#   crl_leaf NAME URL...  $P/c/NAME.pem, CN=NAME, issued by the issuing CA,
#                     its CDPs the URLs given
#   crl_crl CA OUT [openssl ca options]  a DER CRL of CA (root, iss, fake)

ISS_CN='crl test issuing CA'

crl_httpd_start() {
	local i
	WWW=$T/www
	HLOG=$T/http.log
	mkdir -p "$WWW"
	: >"$HLOG"
	perl "$TOP/tests/lib/httpd.pl" "$WWW" "$T/http.port" "$HLOG" \
		</dev/null 2>"$T/http.err" &
	E2E_BGPIDS="$E2E_BGPIDS $!"
	for ((i = 0; i < 500; i++)); do
		[ -s "$T/http.port" ] && break
		sleep 0.02
	done
	[ -s "$T/http.port" ] || return 1
	PORT=$(cat "$T/http.port")
	U=http://127.0.0.1:$PORT
}

requests() { grep -cx "GET /$1" "$HLOG"; }

crl_pki() {
	local c
	P=$T/pki
	mkdir -p "$P/root/db" "$P/iss/db" "$P/fake/db" "$P/c"
	for c in root iss fake; do
		: >"$P/$c/db/index.txt"
		echo 1000 >"$P/$c/db/serial"
		echo 1000 >"$P/$c/db/crlnumber"
	done
	{
		echo '[ca]'
		echo 'default_ca = iss'
		for c in root iss fake; do
			cat <<EOF
[$c]
dir = $P/$c
database = \$dir/db/index.txt
serial = \$dir/db/serial
crlnumber = \$dir/db/crlnumber
new_certs_dir = \$dir/db
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 3650
default_crl_days = 7
policy = pol
unique_subject = no
copy_extensions = none
EOF
		done
		cat <<EOF
[pol]
commonName = supplied
[subca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
crlDistributionPoints = URI:$U/root.crl
EOF
	} >"$P/ca.cnf"
	(
		cd "$P" || exit 1
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout root/ca.key -out root/ca.pem -days 3650 \
			-subj '/CN=crl test root' \
			-addext 'basicConstraints=critical,CA:TRUE' \
			-addext 'keyUsage=critical,keyCertSign,cRLSign' &&
		openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout iss/ca.key -out iss/ca.csr \
			-subj "/CN=$ISS_CN" &&
		openssl ca -config ca.cnf -name root -batch -notext \
			-extensions subca -in iss/ca.csr -out iss/ca.pem &&
		# same name as the issuing CA, another key: its CRLs are forgeries
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout fake/ca.key -out fake/ca.pem -days 3650 \
			-subj "/CN=$ISS_CN" \
			-addext 'basicConstraints=critical,CA:TRUE' \
			-addext 'keyUsage=critical,keyCertSign,cRLSign' &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out leaf.key
	) >"$T/pki.log" 2>&1 || return 1
	cat "$P/root/ca.pem" "$P/iss/ca.pem" >"$P/cas.pem"
}

crl_leaf() {
	local name=$1 u cdp=
	shift
	for u; do cdp+="${cdp:+, }URI:$u"; done
	{
		echo '[x]'
		echo 'basicConstraints = critical, CA:FALSE'
		echo 'keyUsage = critical, digitalSignature'
		echo 'extendedKeyUsage = clientAuth, 1.3.6.1.4.1.311.20.2.2'
		[ -z "$cdp" ] || echo "crlDistributionPoints = $cdp"
	} >"$P/leaf.ext"
	openssl req -new -key "$P/leaf.key" -subj "/CN=$name" \
		-out "$P/leaf.csr" 2>>"$T/pki.log" &&
		openssl ca -config "$P/ca.cnf" -name iss -batch -notext \
			-extfile "$P/leaf.ext" -extensions x -in "$P/leaf.csr" \
			-out "$P/c/$name.pem" >>"$T/pki.log" 2>&1
}

crl_crl() {
	local ca=$1 out=$2
	shift 2
	openssl ca -config "$P/ca.cnf" -name "$ca" -gencrl -out "$P/crl.pem" \
		"$@" >>"$T/pki.log" 2>&1 &&
		openssl crl -in "$P/crl.pem" -outform DER -out "$out"
}
