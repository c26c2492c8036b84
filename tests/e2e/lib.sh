# tests/e2e/lib.sh: shared setup for the end-to-end tests that run certbulk
# against a real OpenLDAP slapd (tests/t/5*-slapd-*.t).  Sourced after
# tests/lib/tap.sh; only defines functions and a few variables.
#
#   e2e_require                 skip_all (a failure when CI is set) unless
#                               slapd, ldap-utils, openssl,
#                               flock and a built certbulk are there
#   e2e_setup                   temp dir $T, slapd in $SD (CB_* exported),
#                               a trap that stops everything on exit
#   e2e_run ARGS...             certbulk with a timeout: sets RC, $T/out,
#                               $T/err ("$T/out" is stdout)
#   e2e_bg OUT ERR ARGS...      certbulk in the background: sets BGPID
#   LDAPS=(...)                 the LDAP options for an LDAPS simple bind
#   e2e_ca                      a test CA and one leaf key in $T/pki
#   e2e_leaf FILE SERIAL [upn=U] [email=E] [sid=S] [cn=CN] [ski]
#                               a leaf certificate (PEM, or DER if FILE ends
#                               in .cer/.der) with the given serial (hex
#                               DER content octets)
#   e2e_leaf_dates FILE SERIAL START END
#                               a leaf with chosen validity (openssl ca)
#   e2e_val SERIAL              the X509IssuerSerialNumber value for it
#   e2e_bulk_certs DIR N FIRST  N leaf certificates DIR/<serial>.pem with
#                               serials FIRST, FIRST+1, ... (hex), one
#                               openssl process
#   e2e_user_ldif RDN PARENT SAM [LINE...]
#                               a user entry without objectSid
#   e2e_bulk_ldif PREFIX N MAIL a bulk of users PREFIX0001... (one awk)
#   e2e_slapd_restart [ACLFILE] start slapd again on the same DIR, data and
#                               ports (tests/dirs/slapd.sh start would wipe
#                               the database)
#   e2e_slapd_stop              stop it (tests/dirs/slapd.sh stop)
#   e2e_closed_port             a loopback TCP port nothing listens on
#   e2e_ldif_pairs FILE         "dn<TAB>op<TAB>value" per value in an LDIF
#                               (dn lower-cased), sorted
#   e2e_records UNDOFILE        how many records an undo file holds
#   e2e_undo_newest_first DIR   certbulk undo of every undo file in DIR,
#                               newest first; status 1 if any failed
#   e2e_killrun STATE CSV rec N | time S
#                               a run killed -9 once its undo file holds N
#                               records (through a proxy that holds every
#                               byte from then on, so the run cannot get
#                               further), or after S seconds (KRC: status;
#                               KWIN: --window, default 1)
#   e2e_proxy_start URI CTL [UNDO-DIR N]
#                               tests/e2e/pauseproxy.pl towards URI's
#                               server, on its address (PXPID; PXURI: URI
#                               through the proxy); it pauses by itself
#                               once an undo file new in UNDO-DIR holds N
#                               records
#   e2e_proxy_wait_paused PID   wait until the proxy paused (0), or PID
#                               ended first or a timeout passed (1)
#   e2e_proxy_pause / e2e_proxy_resume / e2e_proxy_stop
#   e2e_via_proxy ARRAY         LDAP options ARRAY (starting -H URI) with
#                               PXURI in place of URI, in PXARGS

E2E_DIRS=$TOP/tests/dirs
. "$E2E_DIRS/common.sh"
. "$E2E_DIRS/lib.sh"	# cbd_alive, cbd_urlencode, cbd_port_busy

E2E_ISSUER='DC=lan,DC=certbulk,CN=certbulk e2e CA'
E2E_TIMEOUT=${E2E_TIMEOUT:-120}
E2E_BGPIDS=

e2e_require() {
	local f
	case $CERTBULK in /*) ;; *) CERTBULK=$PWD/$CERTBULK ;; esac
	[ -x "$CERTBULK" ] || skip_all "certbulk not built ($CERTBULK)"
	for f in /usr/sbin/slapd /usr/sbin/slapadd /usr/sbin/slappasswd; do
		[ -x "$f" ] || skip_all "slapd not installed ($f)"
	done
	for f in ldapsearch ldapmodify ldapadd openssl flock awk timeout; do
		command -v "$f" >/dev/null 2>&1 || skip_all "missing command: $f"
	done
}

# e2e_reap_bg: kill -9 and reap every certbulk e2e_bg started (exit traps)
e2e_reap_bg() {
	local p
	for p in $E2E_BGPIDS; do
		kill -KILL "$p" 2>/dev/null
	done
	for p in $E2E_BGPIDS; do
		wait "$p" 2>/dev/null
	done
}

_e2e_cleanup() {
	local rc=$?
	e2e_reap_bg
	if [ -n "${SD:-}" ]; then
		"$E2E_DIRS/slapd.sh" stop "$SD" >/dev/null 2>&1 || rc=1
	fi
	[ -z "${T:-}" ] || rm -rf -- "$T"
	exit $rc
}

e2e_setup() {
	local env
	T=$(mktemp -d -t cb-e2e.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
	SD=$T/sd
	trap _e2e_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	if ! env=$("$E2E_DIRS/slapd.sh" start "$SD" 2>"$T/slapd-start.err"); then
		diag "$(cat "$T/slapd-start.err")"
		echo "Bail out! slapd did not start"
		exit 1
	fi
	eval "$env"
	LDAPS=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE")
	E2E_SLAPD_CONF=$SD/slapd.conf
}

e2e_run() {
	timeout -k 5 "$E2E_TIMEOUT" "$CERTBULK" "$@" >"$T/out" 2>"$T/err"
	RC=$?
}

# e2e_bg OUT ERR ARGS...: certbulk in the background (its own stdin
# closed), pid in BGPID; killed by the exit trap if still running.
e2e_bg() {
	local out=$1 err=$2
	shift 2
	: >"$out"
	: >"$err"
	"$CERTBULK" "$@" </dev/null >"$out" 2>"$err" &
	BGPID=$!
	E2E_BGPIDS="$E2E_BGPIDS $BGPID"
}

# e2e_wait_bg PID: wait for a background certbulk, set BGRC.
e2e_wait_bg() {
	wait "$1"
	BGRC=$?
}

# ok_diag STATUS DESC: ok, and on failure show stderr
ok_diag() {
	ok "$1" "$2"
	[ "$1" = 0 ] || diag "stderr: $(head -c 3000 "$T/err")"
}

# e2e_norm: upper-case the hex after <SR>, <SKI>, <SHA1-PUKEY> (the
# attribute matches case-insensitively; only the hex case is free here)
e2e_norm() { sed -E 's/(<SR>|<SKI>|<SHA1-PUKEY>)([0-9a-fA-F]+)$/\1\U\2/'; }

# exit_is N DESC: RC is N, else show stderr.
exit_is() {
	is "$RC" "$1" "$2: exit status $1"
	[ "$RC" = "$1" ] || diag "stderr: $(head -c 3000 "$T/err")"
}

# ------------------------------------------------------------- certificates
e2e_ca() {
	local p=$T/pki
	mkdir -p "$p/ca/out"
	(
		cd "$p" || exit 1
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout ca.key -out ca.pem -days 3650 \
			-subj '/DC=lan/DC=certbulk/CN=certbulk e2e CA' \
			-addext 'basicConstraints=critical,CA:TRUE' \
			-addext 'keyUsage=critical,keyCertSign,cRLSign' &&
		openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
			-out leaf.key &&
		openssl req -new -key leaf.key -subj '/CN=certbulk e2e leaf' \
			-out leaf.csr
	) >"$T/pki.log" 2>&1 || {
		diag "$(cat "$T/pki.log")"
		echo "Bail out! cannot make the test CA"
		exit 1
	}
	: >"$p/ca/index.txt"
	cat >"$p/ca.cnf" <<EOF
[ca]
default_ca = d
[d]
dir = $p/ca
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir/out
certificate = $p/ca.pem
private_key = $p/ca.key
default_md = sha256
default_days = 3650
policy = pol
unique_subject = no
email_in_dn = no
copy_extensions = none
x509_extensions = leafext
[pol]
commonName = supplied
[leafext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = clientAuth
EOF
}

# e2e_leaf FILE SERIAL [upn=U] [email=E] [sid=S] [cn=CN] [ski] [days=N]
e2e_leaf() {
	local file=$1 serial=$2 a san='' sid='' cn='' ski='' days=3650 form=PEM csr
	shift 2
	for a; do
		case $a in
		upn=*) san+="${san:+, }otherName:1.3.6.1.4.1.311.20.2.3;UTF8:${a#upn=}" ;;
		email=*) san+="${san:+, }email:${a#email=}" ;;
		sid=*) sid=${a#sid=} ;;
		cn=*) cn=${a#cn=} ;;
		ski) ski=1 ;;
		days=*) days=${a#days=} ;;
		*) echo "e2e_leaf: bad argument $a" >&2; return 1 ;;
		esac
	done
	case $file in *.cer | *.der) form=DER ;; esac
	{
		echo 'basicConstraints = critical, CA:FALSE'
		echo 'keyUsage = critical, digitalSignature'
		echo 'extendedKeyUsage = clientAuth, 1.3.6.1.4.1.311.20.2.2'
		[ -z "$ski" ] || echo 'subjectKeyIdentifier = hash'
		[ -z "$san" ] || echo "subjectAltName = $san"
		if [ -n "$sid" ]; then
			echo '1.3.6.1.4.1.311.25.2 = ASN1:SEQUENCE:sidext'
			echo '[sidext]'
			echo 'gn = IMPLICIT:0C,SEQUENCE:sidon'
			echo '[sidon]'
			echo 'oid = OID:1.3.6.1.4.1.311.25.2.1'
			echo "val = EXPLICIT:0C,OCTETSTRING:$sid"
		fi
	} >"$T/pki/leaf.ext"
	csr=$T/pki/leaf.csr
	if [ -n "$cn" ]; then
		csr=$T/pki/leaf-cn.csr
		openssl req -new -key "$T/pki/leaf.key" -subj "/CN=$cn" -out "$csr" ||
			return 1
	fi
	mkdir -p "$(dirname "$file")"
	openssl x509 -req -in "$csr" -CA "$T/pki/ca.pem" -CAkey "$T/pki/ca.key" \
		-set_serial "0x$serial" -days "$days" -extfile "$T/pki/leaf.ext" \
		-outform "$form" -out "$file" 2>"$T/pki/x509.err" || {
		cat "$T/pki/x509.err" >&2
		return 1
	}
}

# e2e_leaf_dates FILE SERIAL START END: a PEM leaf valid from START to END
# (YYYYMMDDHHMMSSZ), e.g. an expired one
e2e_leaf_dates() {
	local p=$T/pki
	: >"$p/ca/index.txt"
	echo "$2" >"$p/ca/serial"
	mkdir -p "$(dirname "$1")" "$p/ca/out"
	openssl ca -config "$p/ca.cnf" -batch -notext -startdate "$3" \
		-enddate "$4" -in "$p/leaf.csr" -out "$1" >"$p/ca.log" 2>&1 || {
		cat "$p/ca.log" >&2
		return 1
	}
}

# e2e_rev HEX: the bytes of HEX in reverse order (a leading 00 sign byte
# is added first when the top bit is set, as in the DER INTEGER).
e2e_rev() {
	local h=${1^^} out=
	case ${h:0:1} in [89A-F]) h=00$h ;; esac
	while [ -n "$h" ]; do
		out+=${h: -2}
		h=${h:0:${#h}-2}
	done
	printf '%s' "$out"
}

e2e_val() { printf 'X509:<I>%s<SR>%s' "$E2E_ISSUER" "$(e2e_rev "$1")"; }

# e2e_ski FILE: the X509SKI value, from openssl's own parse.
e2e_ski() {
	local inf=PEM
	case $1 in *.cer | *.der) inf=DER ;; esac
	printf 'X509:<SKI>%s' "$(openssl x509 -inform "$inf" -in "$1" -noout \
		-ext subjectKeyIdentifier | sed -n '2{s/[ :]//g;p}')"
}

# e2e_bulk_csv PREFIX N FIRST: N users PREFIX0001.. (one ok), a
# certificate each in $W/c with hex serials from FIRST, and $W/all.csv
# pairing them; sets W.
e2e_bulk_csv() {
	local prefix=$1 n=$2 first=$3 i
	W=$T/w
	mkdir -p "$W"
	e2e_bulk_ldif "$prefix" "$n" - | cb_add_users - >/dev/null
	ok $? "setup: $n users"
	e2e_bulk_certs "$W/c" "$n" "$first" ||
		{ echo "Bail out! openssl ca failed"; exit 1; }
	{
		echo user,certificate
		for ((i = 1; i <= n; i++)); do
			printf '%s%04d,c/%X.pem\n' "$prefix" "$i" $((0x$first - 1 + i))
		done
	} >"$W/all.csv"
}

# e2e_bulk_certs DIR N FIRST: DIR/<SERIAL>.pem for N serials from FIRST.
e2e_bulk_certs() {
	local d=$1 n=$2 first=$3 i p=$T/pki
	rm -rf -- "$p/ca/out"
	mkdir -p "$p/ca/out" "$d"
	: >"$p/ca/index.txt"
	echo "$first" >"$p/ca/serial"
	for ((i = 0; i < n; i++)); do echo "$p/leaf.csr"; done >"$p/infiles"
	# shellcheck disable=SC2046
	openssl ca -config "$p/ca.cnf" -batch -notext -out /dev/null \
		-infiles $(cat "$p/infiles") >"$p/ca.log" 2>&1 || {
		cat "$p/ca.log" >&2
		return 1
	}
	mv "$p/ca/out/"*.pem "$d/"
}

# --------------------------------------------------------------- directory
# e2e_user_ldif RDN PARENT SAM [LINE...]: a user without objectSid; RDN is
# the CN value as it must appear in the DN (escaped by the caller).
e2e_user_ldif() {
	local rdn=$1 parent=$2 sam=$3 line
	shift 3
	printf 'dn: CN=%s,%s\n' "$rdn" "$parent"
	printf 'objectClass: top\nobjectClass: person\n'
	printf 'objectClass: organizationalPerson\nobjectClass: user\n'
	printf 'sn: e2e\nsAMAccountName: %s\n' "$sam"
	for line; do printf '%s\n' "$line"; done
	printf '\n'
}

# e2e_gencerts N DIR: the benchmark's generator (tests/bench/gencerts.c,
# built into $W) writes N certificates and their users.csv into DIR; two
# tests (the build, the certificates).
e2e_gencerts() {
	cc -O2 -o "$W/gencerts" "$TOP/tests/bench/gencerts.c" \
		$(pkg-config --cflags --libs libcrypto) 2>"$T/cc.err"
	ok_diag $? "setup: the benchmark's certificate generator builds"
	"$W/gencerts" "$1" "$2" >/dev/null 2>"$T/err"
	ok_diag $? "setup: $1 certificates"
}

# e2e_bench_ldif N: the LDIF of the benchmark's accounts bench0 ..
# bench(N-1) in CN=Users, the accounts e2e_gencerts's users.csv names
e2e_bench_ldif() {
	awk -v n="$1" -v base="$CB_BASE" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "dn: CN=bench%d,CN=Users,%s\n", i, base
			printf "objectClass: top\nobjectClass: person\n"
			printf "objectClass: organizationalPerson\nobjectClass: user\n"
			printf "sn: bench%d\ncn: bench%d\nsAMAccountName: bench%d\n", i, i, i
			printf "userPrincipalName: bench%d@test.certbulk.lan\n\n", i
		}
	}'
}

# e2e_bulk_ldif PREFIX N MAIL: users PREFIX0001..PREFIXnnnn in CN=Users with
# UPN PREFIXnnnn@test.certbulk.lan and the given mail for all (or their own
# when MAIL is "-").
e2e_bulk_ldif() {
	awk -v p="$1" -v n="$2" -v mail="$3" -v base="$CB_BASE" 'BEGIN {
		for (i = 1; i <= n; i++) {
			u = sprintf("%s%04d", p, i)
			printf "dn: CN=%s,CN=Users,%s\n", u, base
			print "objectClass: top\nobjectClass: person"
			print "objectClass: organizationalPerson\nobjectClass: user"
			printf "cn: %s\nsn: %s\nsAMAccountName: %s\n", u, u, u
			printf "userPrincipalName: %s@test.certbulk.lan\n", u
			printf "mail: %s\n\n", mail == "-" ? u "@test.certbulk.lan" : mail
		}
	}'
}

# e2e_mapped_dns [PREFIX]: the DNs (lower case, sorted) of the accounts whose
# sAMAccountName starts with PREFIX (default bulk) that hold a value from
# the e2e CA (paged search)
e2e_mapped_dns() {
	cb_ldap ldapsearch -LLL -E pr=500/noprompt -b "$CB_BASE" \
		"(&(sAMAccountName=${1:-bulk}*)(altSecurityIdentities=X509:<I>$(cb_filter_escape "$E2E_ISSUER")*))" 1.1 |
		sed -n 's/^dn: //p' | tr 'A-Z' 'a-z' | LC_ALL=C sort
}
e2e_count_mapped() { e2e_mapped_dns "$@" | grep -c .; }

# e2e_slapd_alive: the slapd of $SD runs (a crashed one may linger as a
# zombie child of the test)
e2e_slapd_alive() {
	[ -s "$SD/slapd.pid" ] && cbd_alive "$(cat "$SD/slapd.pid")"
}

e2e_slapd_stop() { "$E2E_DIRS/slapd.sh" stop "$SD"; }

# e2e_slapd_restart [ACLFILE]: slapd again on $SD with its database and
# ports.  With ACLFILE, its access lines are put before the catch-all
# "access to *" of the generated slapd.conf (in a copy, $SD/slapd-e2e.conf,
# used from then on).
e2e_slapd_restart() {
	local acl=${1:-} p1 p2 enc pid i
	if [ -n "$acl" ]; then
		awk -v f="$acl" '/^access to \*$/ { while ((getline l < f) > 0) print l }
			{ print }' "$SD/slapd.conf" >"$SD/slapd-e2e.conf" || return 1
		E2E_SLAPD_CONF=$SD/slapd-e2e.conf
	fi
	read -r p1 p2 <"$SD/ports" || return 1
	enc=$(cbd_urlencode "$SD/ldapi")
	rm -f -- "$SD/ldapi" "$SD/slapd.pid"
	setsid /usr/sbin/slapd -d "${CB_SLAPD_DEBUG:-none}" -f "$E2E_SLAPD_CONF" \
		-h "ldap://127.0.0.1:$p1/ ldaps://127.0.0.1:$p2/ ldapi://$enc/" \
		</dev/null >>"$SD/slapd.log" 2>&1 &
	pid=$!
	for ((i = 0; i < 200; i++)); do
		cbd_alive "$pid" || break
		if ldapsearch -x -H "$CB_URI_LDAPS" -o nettimeout=2 -b '' -s base \
			-LLL 1.1 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	tail -n 20 "$SD/slapd.log" >&2
	return 1
}

e2e_closed_port() {
	local p
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		cbd_port_busy 127.0.0.1 "$p" || break
	done
	echo "$p"
}

# e2e_ldif_pairs FILE: each value of an LDIF's modify records as
# "dn<TAB>op<TAB>value" (dn lower-cased, op add/delete/replace), sorted.
e2e_ldif_pairs() {
	awk '
		/^#/ { next }
		/^$/ { dn = ""; op = ""; next }
		/^dn: / { dn = tolower(substr($0, 5)); next }
		/^(add|delete|replace): / { op = $1; sub(/:$/, "", op); next }
		/^-$/ { op = ""; next }
		/^altSecurityIdentities: / && op != "" {
			print dn "\t" op "\t" substr($0, 24)
		}
		/^altSecurityIdentities:: / { print dn "\t" op "\t(base64)" }
	' "$1" | e2e_norm | LC_ALL=C sort
}

# e2e_dn NAME [PARENT]: lower-cased DN as slapd returns it.
e2e_dn() {
	local p=${2:-CN=Users,$CB_BASE}
	printf 'cn=%s,%s' "$1" "$p" | awk '{ print tolower($0) }'
}

# e2e_undo_file: the path from certbulk's "undo file: PATH" line in $T/err
# (or the file given).
e2e_undo_file() {
	sed -n 's/^certbulk: note: undo file: //p' "${1:-$T/err}" | head -n 1
}

# e2e_records UNDOFILE: how many records the undo file holds
e2e_records() { grep -c '^# certbulk-record: ' "$1"; }

# ------------------------------------------------------------- the proxy
PXPID='' PXCTL='' PXURI=''

# e2e_proxy_start URI CTLDIR [UNDO-DIR N]: a pausable proxy (pauseproxy.pl)
# in front of the server of URI (ldap:// or ldaps://, host and optional
# port), listening on the same address so TLS still verifies.  PXURI is
# URI through the proxy.  Killed by the exit trap if still running.
e2e_proxy_start() {
	local uri=$1 scheme hp host port i
	PXCTL=$2
	shift 2
	scheme=${uri%%://*}
	hp=${uri#*://}
	hp=${hp%%/*}
	host=${hp%:*}
	port=${hp##*:}
	if [ "$host" = "$hp" ]; then
		case $scheme in ldaps) port=636 ;; *) port=389 ;; esac
	fi
	mkdir -p -- "$PXCTL"
	rm -f -- "$PXCTL/port" "$PXCTL/paused"
	perl "$TOP/tests/e2e/pauseproxy.pl" "$host" "$host" "$port" "$PXCTL" "$@" \
		</dev/null 2>"$PXCTL/err" &
	PXPID=$!
	E2E_BGPIDS="$E2E_BGPIDS $PXPID"
	for ((i = 0; i < 1000; i++)); do
		[ -s "$PXCTL/port" ] && break
		kill -0 "$PXPID" 2>/dev/null || break
		sleep 0.01
	done
	if [ ! -s "$PXCTL/port" ]; then
		echo "e2e_proxy_start: the proxy did not start: $(cat "$PXCTL/err")" >&2
		return 1
	fi
	PXURI="$scheme://$host:$(cat "$PXCTL/port")"
}

# e2e_undo_paused TAG STATE FILE: certbulk -vv undo FILE (state folder
# STATE) in the background, through a proxy that pauses it once STATE's
# undo file holds records (e2e_proxy_start, 40); output in $T/TAG.out and
# $T/TAG.err, pid in BGPID.  The status of e2e_proxy_wait_paused.
e2e_undo_paused() {
	mkdir -p "$2"
	e2e_proxy_start "$CB_URI_LDAPS" "$T/px$1" "$2" 40
	e2e_bg "$T/$1.out" "$T/$1.err" -vv -H "$PXURI" -x -D "$CB_BIND_DN" \
		-y "$CB_PWFILE" -b "$CB_BASE" --state-dir "$2" undo "$3"
	e2e_proxy_wait_paused "$BGPID"
}

# e2e_proxy_wait_paused PID: wait (up to $E2E_TIMEOUT s) until the proxy has
# paused; 1 if PID (the certbulk behind it) ended first, or on timeout.
e2e_proxy_wait_paused() {
	local i
	for ((i = 0; i < E2E_TIMEOUT * 100; i++)); do
		[ -e "$PXCTL/paused" ] && return 0
		kill -0 "$1" 2>/dev/null || break
		sleep 0.01
	done
	[ -e "$PXCTL/paused" ]
}

e2e_proxy_pause() {
	local i
	kill -USR1 "$PXPID" || return 1
	for ((i = 0; i < 1000; i++)); do
		[ -e "$PXCTL/paused" ] && return 0
		sleep 0.01
	done
	return 1
}

e2e_proxy_resume() {
	local i
	kill -USR2 "$PXPID" || return 1
	for ((i = 0; i < 1000; i++)); do
		[ -e "$PXCTL/paused" ] || return 0
		sleep 0.01
	done
	return 1
}

e2e_proxy_stop() {
	[ -n "$PXPID" ] || return 0
	kill -TERM "$PXPID" 2>/dev/null
	wait "$PXPID" 2>/dev/null
	PXPID=
}

# e2e_via_proxy NAME: PXARGS=( the array NAME with its "-H URI" pair
# pointing at PXURI ).
e2e_via_proxy() {
	local -n a=$1
	local i
	PXARGS=("${a[@]}")
	for ((i = 0; i < ${#PXARGS[@]} - 1; i++)); do
		if [ "${PXARGS[i]}" = -H ]; then
			PXARGS[i + 1]=$PXURI
			return 0
		fi
	done
	echo "e2e_via_proxy: no -H in $1" >&2
	return 1
}

# e2e_killrun STATE CSV rec N | time SECONDS: a run over CSV (state folder
# STATE, --window ${KWIN:-1}) killed -9 once its undo file holds N records,
# or after SECONDS; its exit status in KRC.
# "rec N" is certain, not a race: the run goes through the proxy, which
# stops forwarding anything once the undo file holds N records (N = 0: once
# it exists), so the run cannot finish before the kill; KRC is 137 unless
# the run ended before it got there (then its own exit status).  "time"
# is for kill points that no test result depends on.
e2e_killrun() {
	local state=$1 csv=$2
	shift 2
	: >"$T/k.err"
	if [ "$1" = time ]; then
		e2e_bg "$T/k.out" "$T/k.err" "${LDAPS[@]}" --state-dir "$state" \
			--window "${KWIN:-1}" --csv "$csv"
		sleep "$2"
	else
		e2e_proxy_start "$CB_URI_LDAPS" "$T/kpx" "$state" "$2" || {
			KRC=proxy
			return
		}
		e2e_via_proxy LDAPS
		e2e_bg "$T/k.out" "$T/k.err" "${PXARGS[@]}" --state-dir "$state" \
			--window "${KWIN:-1}" --csv "$csv"
		e2e_proxy_wait_paused "$BGPID" ||
			diag "the proxy did not pause: $(head -c 1000 "$T/k.err")"
	fi
	kill -KILL "$BGPID" 2>/dev/null
	wait "$BGPID" 2>/dev/null
	KRC=$?
	e2e_proxy_stop
}

# e2e_undo_newest_first DIR: undo every undo file of DIR, newest first
# (names sort by time), each with its own run; 1 if any of them failed.
e2e_undo_newest_first() {
	local f bad=0
	ls "$1"/undo-*.ldif | LC_ALL=C sort -r >"$T/kfiles"
	diag "$(wc -l <"$T/kfiles") undo files in $1"
	while IFS= read -r f; do
		e2e_run "${LDAPS[@]}" --state-dir "$T/undo-st" undo "$f"
		if [ "$RC" != 0 ]; then
			bad=1
			diag "undo $f: exit $RC: $(head -c 1000 "$T/err")"
		fi
	done <"$T/kfiles"
	return $bad
}
