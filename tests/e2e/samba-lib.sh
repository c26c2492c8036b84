# tests/e2e/samba-lib.sh: setup for end-to-end tests that run certbulk
# against a real Samba AD DC (tests/dirs/samba.sh).  Sourced after
# tests/lib/tap.sh and tests/e2e/lib.sh (whose certificate, run and LDIF
# helpers it reuses: e2e_ca, e2e_leaf, e2e_val, e2e_run, exit_is, ...);
# only defines functions and variables.
#
#   sb_require                  skip_all (a failure when CI is set) unless
#                               root, samba, kinit, the SASL
#                               GSSAPI module, ldap-utils, openssl and a
#                               built certbulk are there
#   sb_setup                    temp dir $T, Samba in $AD (CB_* exported),
#                               LDAPS=(...) and GSS=(...) option arrays, a
#                               trap that stops everything on exit.  Only
#                               one test Samba can run at a time (fixed
#                               ports on $CB_SAMBA_IP, default 127.0.0.2): if another one runs,
#                               wait up to $SB_WAIT seconds (default 180)
#   sb_start [--no-ca]          what every Samba test starts with: sb_require,
#                               LDAPTLS_REQCERT unset (certificates are
#                               verified as libldap does by default),
#                               sb_setup, then e2e_ca (not with --no-ca)
#   sb_user NAME [LINE...]      a Samba user LDIF (cb_user_ldif samba)
#   sb_user_mail NAME MAIL      the same with another mail value
#   sb_dn NAME                  the user's DN, lower-cased
#   sb_add_values NAME VALUE... add altSecurityIdentities values with
#                               ldapmodify (not through certbulk)
#   sb_stop / sb_restart        stop Samba, start it again on the same data
#   sb_freeze / sb_thaw         SIGSTOP / SIGCONT the Samba process (a hung
#                               server: TCP still accepted by the kernel)
#   sb_leaf FILE SERIAL SUBJ [EXT-LINE...]
#                               a leaf with a UTF-8 subject (e2e_ca's key)

SB_WAIT=${SB_WAIT:-180}
E2E_BGPIDS=${E2E_BGPIDS:-}

sb_require() {
	local f
	case $CERTBULK in /*) ;; *) CERTBULK=$PWD/$CERTBULK ;; esac
	[ -x "$CERTBULK" ] || skip_all "certbulk not built ($CERTBULK)"
	[ "$(id -u)" = 0 ] || skip_all "the Samba AD DC needs root"
	for f in samba samba-tool kinit ldapsearch ldapmodify ldapadd openssl \
		flock awk timeout setsid; do
		command -v "$f" >/dev/null 2>&1 || skip_all "missing command: $f"
	done
	ls /usr/lib/*/sasl2/libgssapiv2.so* >/dev/null 2>&1 ||
		skip_all "missing the SASL GSSAPI module (libsasl2-modules-gssapi-mit)"
}

sb_start() {
	sb_require
	unset LDAPTLS_REQCERT
	sb_setup
	[ "${1:-}" = --no-ca ] || e2e_ca
}

_sb_cleanup() {
	local rc=$?
	e2e_reap_bg
	sb_thaw
	if [ -n "${AD:-}" ]; then
		"$E2E_DIRS/samba.sh" stop "$AD" >/dev/null 2>&1 || rc=1
	fi
	[ -z "${T:-}" ] || rm -rf -- "$T"
	exit $rc
}

sb_setup() {
	local env waited=0 t0
	T=$(mktemp -d -t cb-samba-e2e.XXXXXX) || { echo "Bail out! mktemp"; exit 1; }
	AD=$T/ad
	trap _sb_cleanup EXIT
	trap 'exit 130' INT TERM HUP
	t0=$(date +%s%N)
	while :; do
		if env=$("$E2E_DIRS/samba.sh" start "$AD" 2>"$T/samba-start.err"); then
			break
		fi
		# Another test's Samba holds the fixed ports: wait for it.
		if grep -q 'only one test Samba DC can run at a time' "$T/samba-start.err" &&
			[ "$waited" -lt "$SB_WAIT" ]; then
			[ "$waited" -gt 0 ] || diag "another test Samba DC runs; waiting up to $SB_WAIT s"
			sleep 1
			waited=$((waited + 1))
			continue
		fi
		diag "$(cat "$T/samba-start.err")"
		AD=
		echo "Bail out! Samba did not start"
		exit 1
	done
	eval "$env"
	diag "samba start: $((($(date +%s%N) - t0) / 1000000)) ms"
	# shellcheck disable=SC2034 # used by the tests
	LDAPS=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE")
	GSS=(-H "$CB_URI_LDAPS" -Y GSSAPI -b "$CB_BASE")
}

sb_user() { cb_user_ldif samba "$@"; }

sb_user_mail() {
	cb_user_ldif samba "$1" | sed "s/^mail: .*/mail: $2/"
}

sb_dn() { cb_user_dn "$1" | tr 'A-Z' 'a-z'; }

sb_add_values() {
	local dn v
	dn=$(cb_user_dn "$1") || return 1
	shift
	{
		printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\n' "$dn"
		for v; do printf 'altSecurityIdentities: %s\n' "$v"; done
		printf -- '-\n\n'
	} | cb_ldap ldapmodify >/dev/null
}

SB_FROZEN=
sb_freeze() {
	SB_FROZEN=$(cat "$AD/samba.pid") && kill -STOP "$SB_FROZEN"
}
sb_thaw() {
	[ -z "$SB_FROZEN" ] || kill -CONT "$SB_FROZEN" 2>/dev/null
	SB_FROZEN=
}

# sb_stop: stop the Samba of $AD (its data stays).
sb_stop() { "$E2E_DIRS/samba.sh" stop "$AD"; }

# sb_restart: start Samba again on $AD with its data, configuration and
# Kerberos ticket, as tests/dirs/samba.sh start does (which would copy the
# template over the data); waits until LDAPS answers.
sb_restart() {
	local pid i
	setsid samba -s "$AD/etc/smb.conf" -l "$AD/log" -F -M single \
		</dev/null >>"$AD/log/samba.out" 2>&1 &
	pid=$!
	echo "$pid" >"$AD/samba.pid"
	for ((i = 0; i < 600; i++)); do
		cbd_alive "$pid" || break
		if LDAPTLS_REQCERT=demand ldapsearch -x -H "$CB_URI_LDAPS" \
			-o nettimeout=2 -b '' -s base -LLL 1.1 >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.05
	done
	tail -n 20 "$AD/log/samba.out" "$AD/log/log.samba" >&2
	return 1
}

# sb_leaf FILE SERIAL SUBJECT [EXT-LINE...]: a PEM leaf from the e2e CA
# whose subject is given as UTF-8 (openssl req -utf8; e2e_leaf's cn= would
# read the bytes as Latin-1), with the given extension lines.
sb_leaf() {
	local file=$1 serial=$2 subj=$3 p=$T/pki
	shift 3
	{
		echo 'basicConstraints = critical, CA:FALSE'
		echo 'keyUsage = critical, digitalSignature'
		echo 'extendedKeyUsage = clientAuth, 1.3.6.1.4.1.311.20.2.2'
		printf '%s\n' "$@"
	} >"$p/sb-leaf.ext"
	openssl req -new -utf8 -key "$p/leaf.key" -subj "$subj" \
		-out "$p/sb-leaf.csr" 2>"$p/sb-leaf.err" &&
		openssl x509 -req -in "$p/sb-leaf.csr" -CA "$p/ca.pem" \
			-CAkey "$p/ca.key" -set_serial "0x$serial" -days 3650 \
			-extfile "$p/sb-leaf.ext" -out "$file" 2>>"$p/sb-leaf.err" || {
		cat "$p/sb-leaf.err" >&2
		return 1
	}
}
