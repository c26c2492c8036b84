# tests/dirs/lib.sh: internal helpers shared by slapd.sh and samba.sh.
# Sourced, never run.  Tests use common.sh instead.
# The caller sets CBD_PROG (for messages) before sourcing.

CBD_PROG=${CBD_PROG:-dirs}

cbd_msg() { printf '%s: %s\n' "$CBD_PROG" "$*" >&2; }
cbd_die() { cbd_msg "$*"; exit 1; }

# cbd_export NAME VALUE: one line a caller can eval.
cbd_export() { printf 'export %s=%q\n' "$1" "$2"; }

cbd_need() {
	local c
	for c; do
		command -v "$c" >/dev/null 2>&1 || cbd_die "missing command: $c"
	done
}

# cbd_urlencode STRING: percent-encode everything but RFC 3986 unreserved.
cbd_urlencode() {
	local LC_ALL=C s=$1 out='' c i
	for ((i = 0; i < ${#s}; i++)); do
		c=${s:i:1}
		case $c in
		[A-Za-z0-9._~-]) out+=$c ;;
		*) printf -v c '%%%02X' "'$c"; out+=$c ;;
		esac
	done
	printf '%s' "$out"
}

# cbd_abspath DIR: create DIR if needed, print its absolute path.
cbd_abspath() {
	mkdir -p -- "$1" || cbd_die "cannot create $1"
	(cd -- "$1" && pwd -P)
}

# cbd_new_password FILE: a random password that satisfies AD complexity,
# written without a trailing newline, mode 0600.
cbd_new_password() {
	local pw
	pw=$(openssl rand -base64 30 | tr -dc 'A-Za-z0-9')
	pw=${pw:0:20}
	[ ${#pw} -ge 16 ] || cbd_die "cannot generate a password"
	(umask 077; printf 'Cb-%s-9x' "$pw" >"$1")
	chmod 600 "$1"
}

# cbd_make_tls DIR CN SAN: a private test CA and one server certificate
# signed by it, in DIR: ca.crt ca.key server.crt server.key (keys 0600).
# SAN is an openssl subjectAltName value, e.g. "IP:127.0.0.1,DNS:localhost".
cbd_make_tls() {
	local d=$1 cn=$2 san=$3 out
	mkdir -p -- "$d"
	if ! out=$(
		umask 077
		cd -- "$d" &&
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout ca.key -out ca.crt -days 3650 \
			-subj "/O=certbulk tests/CN=certbulk test CA $$" \
			-addext 'basicConstraints=critical,CA:TRUE' \
			-addext 'keyUsage=critical,keyCertSign,cRLSign' 2>&1 &&
		openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
			-nodes -keyout server.key -out server.crt -days 3650 \
			-CA ca.crt -CAkey ca.key \
			-subj "/O=certbulk tests/CN=$cn" \
			-addext "subjectAltName=$san" \
			-addext 'basicConstraints=critical,CA:FALSE' \
			-addext 'keyUsage=critical,digitalSignature,keyAgreement' \
			-addext 'extendedKeyUsage=serverAuth' 2>&1
	); then
		printf '%s\n' "$out" >&2
		cbd_die "cannot create the test certificates in $d"
	fi
	chmod 600 "$d/ca.key" "$d/server.key"
	chmod 644 "$d/ca.crt" "$d/server.crt"
}

# cbd_alive PID: true if PID exists and is not a zombie.
cbd_alive() {
	local st
	[ -n "${1:-}" ] || return 1
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# cbd_is_leader PID NAME: true if PID is a live process running the program
# NAME (by /proc/PID/exe; samba rewrites its command line) that leads its
# own process group.  Guards against acting on a recycled pid.
cbd_is_leader() {
	local exe pgid
	cbd_alive "$1" || return 1
	exe=$(readlink "/proc/$1/exe" 2>/dev/null) || return 1
	exe=${exe% (deleted)}
	[ "${exe##*/}" = "$2" ] || return 1
	pgid=$(ps -o pgid= -p "$1" 2>/dev/null) || return 1
	[ "${pgid// /}" = "$1" ]
}

# cbd_group_pids PGID: live (non-zombie) processes in process group PGID.
cbd_group_pids() {
	ps -e -o pid=,pgid=,stat= | awk -v g="$1" '$2 == g && $3 !~ /^Z/ { print $1 }'
}

# cbd_kill_group PGID SECONDS: SIGTERM the process group, wait up to
# SECONDS for every member to exit, then SIGKILL and wait again.
cbd_kill_group() {
	local g=$1 t=$2 i
	[ -n "$(cbd_group_pids "$g")" ] || return 0
	kill -TERM -- "-$g" 2>/dev/null || true
	for ((i = 0; i < t * 20; i++)); do
		[ -n "$(cbd_group_pids "$g")" ] || return 0
		sleep 0.05
	done
	cbd_msg "process group $g did not stop after ${t}s, sending SIGKILL"
	kill -KILL -- "-$g" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		[ -n "$(cbd_group_pids "$g")" ] || return 0
		sleep 0.05
	done
	cbd_msg "process group $g still has processes: $(cbd_group_pids "$g" | tr '\n' ' ')"
	return 1
}

# cbd_port_busy HOST PORT: true if something accepts connections there.
cbd_port_busy() {
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# cbd_log_tail FILE...: show the end of server logs on stderr.
cbd_log_tail() {
	local f
	for f; do
		[ -s "$f" ] || continue
		printf '%s: ---- last lines of %s ----\n' "$CBD_PROG" "$f" >&2
		tail -n 40 -- "$f" | sed 's/^/    /' >&2
	done
}
