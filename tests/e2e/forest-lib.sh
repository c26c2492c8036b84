# tests/e2e/forest-lib.sh: more slapd instances beside the one of
# tests/e2e/lib.sh (the domain controller $SD of domain test.certbulk.lan),
# for the forest and DC-pinning tests (tests/t/84-slapd-forest.t).
# Sourced after tests/e2e/lib.sh and e2e_setup.
#
#   forest_gc_start DIR LDIF     a "Global Catalog": one slapd whose
#                               database DC=certbulk,DC=lan holds a copy of
#                               the whole test domain as it is now (read
#                               over ldapi) plus the entries of LDIF (other
#                               domains' trees, e.g. DC=other,...), and
#                               answers searches from the empty DN over all
#                               of it (defaultsearchbase), as a GC does;
#                               sets GC_URI, GC_URI_LDAPS
#   forest_provider             turns $SD into a syncrepl provider
#                               (syncprov overlay; restarts it)
#   forest_consumer_start DIR INTERVAL [UPDATEREF]
#                               a second DC of the test domain: a slapd
#                               that replicates $SD with syncrepl
#                               refreshOnly every INTERVAL (dd:hh:mm:ss),
#                               so changes arrive late, or (a long
#                               INTERVAL) not at all after the first
#                               refresh; with UPDATEREF (a URL), a
#                               read-only DC: modifies get a referral
#                               there; sets C_URI, C_URI_LDAPS
#   forest_domain_start DIR SUFFIX LDIF
#                               a writable DC of another domain: a slapd
#                               whose database SUFFIX holds LDIF, and
#                               which authenticates the test domain's
#                               administrator (a second database with a
#                               copy of that one entry, as a forest's
#                               administrator binds at any of its DCs);
#                               sets D_URI, D_URI_LDAPS
#   forest_stop_all             stops them (the exit trap calls it)
#
# Every instance shares $SD's TLS files (server certificate for 127.0.0.1)
# and schema, listens on 127.0.0.1 on free ports, and is stopped by pid
# (each leads its own process group): nothing else is touched.

FOREST_DIRS=

# forest_conf DIR SUFFIX EXTRA [GLOBAL]: a slapd.conf like $SD's for
# SUFFIX, EXTRA at the end of its database section, GLOBAL before it
forest_conf() {
	local d=$1 suffix=$2 extra=$3 global=${4:-}
	awk -v d="$d" -v sfx="$suffix" -v g="$global" '
		/^database/ && g != "" { print g }
		/^pidfile/ { print "pidfile\t\t\"" d "/slapd.pid\""; next }
		/^argsfile/ { print "argsfile\t\"" d "/slapd.args\""; next }
		/^directory/ { print "directory\t\"" d "/db\""; next }
		/^suffix/ { print "suffix\t\t\"" sfx "\""; next }
		{ print }' "$SD/slapd.conf" >"$d/slapd.conf" || return 1
	printf '%s\n' "$extra" >>"$d/slapd.conf"
}

# forest_slapd DIR: start slapd on DIR/slapd.conf, two free ports; sets
# F_URI, F_URI_LDAPS.  0, or 1 (its log shown).
forest_slapd() {
	local d=$1 p1 p2 pid i try
	for try in 1 2 3 4 5 6 7 8 9 10; do
		p1=$(e2e_closed_port)
		p2=$(e2e_closed_port)
		[ "$p1" != "$p2" ] || continue
		setsid /usr/sbin/slapd -d "${CB_SLAPD_DEBUG:-none}" \
			-f "$d/slapd.conf" \
			-h "ldap://127.0.0.1:$p1/ ldaps://127.0.0.1:$p2/" \
			</dev/null >>"$d/slapd.log" 2>&1 &
		pid=$!
		echo "$pid" >"$d/pid"
		FOREST_DIRS="$FOREST_DIRS $d"
		for ((i = 0; i < 200; i++)); do
			cbd_alive "$pid" || break
			if ldapsearch -x -H "ldaps://127.0.0.1:$p2" -o nettimeout=2 \
				-b '' -s base -LLL 1.1 >/dev/null 2>&1; then
				F_URI=ldap://127.0.0.1:$p1
				F_URI_LDAPS=ldaps://127.0.0.1:$p2
				return 0
			fi
			sleep 0.05
		done
		cbd_alive "$pid" && break
		grep -qi 'address already in use' "$d/slapd.log" || break
	done
	tail -n 20 "$d/slapd.log" >&2
	return 1
}

forest_gc_start() {
	local d=$1 ldif=$2
	mkdir -p "$d/db"
	chmod 700 "$d" "$d/db"
	forest_conf "$d" 'DC=certbulk,DC=lan' '' \
		'defaultsearchbase "DC=certbulk,DC=lan"' || return 1
	{
		printf 'dn: DC=certbulk,DC=lan\nobjectClass: top\n'
		printf 'objectClass: domain\ndc: certbulk\n\n'
		# the test domain as its own DC holds it now (the rootdn reads
		# everything, userPassword too: the GC takes the same bind)
		ldapsearch -Q -Y EXTERNAL -H "$CB_URI_LDAPI" -b "$CB_BASE" \
			-o ldif-wrap=no -LLL '(objectClass=*)' '*' |
			grep -v '^\(entryCSN\|entryUUID\|creatorsName\|modifiersName\|createTimestamp\|modifyTimestamp\|structuralObjectClass\|contextCSN\):'
		echo
		cat "$ldif"
	} >"$d/init.ldif"
	/usr/sbin/slapadd -q -f "$d/slapd.conf" -l "$d/init.ldif" \
		>"$d/slapadd.log" 2>&1 || { cat "$d/slapadd.log" >&2; return 1; }
	forest_slapd "$d" || return 1
	GC_URI=$F_URI
	GC_URI_LDAPS=$F_URI_LDAPS
}

forest_provider() {
	awk '/^moduleload[ \t]+back_mdb/ { print; print "moduleload\tsyncprov"; next }
		{ print }
		END { print "overlay\t\tsyncprov" }' "$SD/slapd.conf" \
		>"$SD/slapd-provider.conf" || return 1
	E2E_SLAPD_CONF=$SD/slapd-provider.conf
	e2e_slapd_stop >/dev/null 2>&1 || return 1
	e2e_slapd_restart
}

forest_consumer_start() {
	local d=$1 interval=$2 ref=${3:-}
	mkdir -p "$d/db"
	chmod 700 "$d" "$d/db"
	forest_conf "$d" "$CB_BASE" "syncrepl rid=001 provider=$CB_URI_LDAPI
	bindmethod=sasl saslmech=EXTERNAL searchbase=\"$CB_BASE\"
	type=refreshOnly interval=$interval retry=\"1 +\" scope=sub
	attrs=\"*,+\"${ref:+
updateref	$ref}" || return 1
	forest_slapd "$d" || return 1
	C_URI=$F_URI
	C_URI_LDAPS=$F_URI_LDAPS
	# the first refresh: the administrator's entry is there to bind as
	for ((i = 0; i < 200; i++)); do
		LDAPTLS_REQCERT=demand ldapsearch -x -H "$C_URI_LDAPS" \
			-D "$CB_BIND_DN" -y "$CB_PWFILE" -b "$CB_BASE" -s base \
			-LLL 1.1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "forest: the consumer in $d did not replicate within 20 s" >&2
	return 1
}

forest_domain_start() {
	local d=$1 suffix=$2 ldif=$3
	mkdir -p "$d/db" "$d/db2"
	chmod 700 "$d" "$d/db" "$d/db2"
	forest_conf "$d" "$suffix" "database	mdb
suffix		\"$CB_BASE\"
directory	\"$d/db2\"
maxsize		104857600
access to attrs=userPassword by anonymous auth by * none
access to * by users read by * none" || return 1
	/usr/sbin/slapadd -q -f "$d/slapd.conf" -b "$suffix" -l "$ldif" \
		>"$d/slapadd.log" 2>&1 || { cat "$d/slapadd.log" >&2; return 1; }
	{
		ldapsearch -Q -Y EXTERNAL -H "$CB_URI_LDAPI" -b "$CB_BASE" -s base \
			-o ldif-wrap=no -LLL '(objectClass=*)' '*'
		echo
		ldapsearch -Q -Y EXTERNAL -H "$CB_URI_LDAPI" -b "CN=Users,$CB_BASE" \
			-s base -o ldif-wrap=no -LLL '(objectClass=*)' '*'
		echo
		ldapsearch -Q -Y EXTERNAL -H "$CB_URI_LDAPI" -b "$CB_BIND_DN" \
			-s base -o ldif-wrap=no -LLL '(objectClass=*)' '*'
	} | grep -v '^\(entryCSN\|entryUUID\|creatorsName\|modifiersName\|createTimestamp\|modifyTimestamp\|structuralObjectClass\|contextCSN\):' \
		>"$d/admin.ldif"
	/usr/sbin/slapadd -q -f "$d/slapd.conf" -b "$CB_BASE" -l "$d/admin.ldif" \
		>>"$d/slapadd.log" 2>&1 || { cat "$d/slapadd.log" >&2; return 1; }
	forest_slapd "$d" || return 1
	D_URI=$F_URI
	D_URI_LDAPS=$F_URI_LDAPS
}

forest_stop_all() {
	local d pid
	for d in $FOREST_DIRS; do
		pid=$(cat "$d/pid" 2>/dev/null) || continue
		case $pid in '' | *[!0-9]*) continue ;; esac
		cbd_is_leader "$pid" slapd && cbd_kill_group "$pid" 10
		rm -f -- "$d/pid"
	done
	FOREST_DIRS=
}
