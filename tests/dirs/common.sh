# tests/dirs/common.sh: helpers for tests that run against a directory
# started by tests/dirs/slapd.sh or tests/dirs/samba.sh.  Source it, then
# `eval "$(tests/dirs/KIND.sh start DIR)"`; the helpers read the exported
# CB_* variables.  Only functions are defined here; nothing runs on load.
#
#   cb_ldap TOOL ARGS...        ldapsearch/ldapmodify/ldapadd/... over LDAPS,
#                               simple bind as $CB_BIND_DN, password from
#                               $CB_PWFILE, unwrapped LDIF
#   cb_user_ldif KIND NAME [LINE...]
#                               a user entry CN=NAME,CN=Users,$CB_BASE
#   cb_add_users FILE           ldapadd an LDIF file ("-" = stdin)
#   cb_user_dn NAME             a user's DN (by sAMAccountName)
#   cb_user_sid NAME            a user's objectSid as S-1-... text
#   cb_user_altsec NAME         a user's altSecurityIdentities, sorted
#   cb_dump strict|content OUT  a deterministic dump of the whole tree
#   cb_sid_to_b64 SID / cb_sid_from_b64 B64 / cb_filter_escape STRING

CB_DEFAULT_BASE='DC=test,DC=certbulk,DC=lan'
CB_SLAPD_DOMAIN_SID='S-1-5-21-1111111111-2222222222-3333333333'

cb_ldap() {
	local tool=$1
	shift
	# REQCERT=demand whatever /etc/ldap/ldap.conf or ~/.ldaprc say.
	LDAPTLS_REQCERT=demand "$tool" -H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" \
		-y "$CB_PWFILE" -o ldif-wrap=no "$@"
}

# cb_filter_escape STRING: RFC 4515 escaping for a filter assertion value.
cb_filter_escape() {
	local s=$1
	s=${s//\\/\\5c}
	s=${s//\*/\\2a}
	s=${s//(/\\28}
	s=${s//)/\\29}
	printf '%s' "$s"
}

# cb_sid_to_b64 S-1-5-21-A-B-C-RID: the binary SID, base64 (for LDIF "::").
cb_sid_to_b64() {
	local IFS=- p i v hex
	read -ra p <<<"$1"
	[ "${p[0]:-}" = S ] && [ ${#p[@]} -ge 3 ] || {
		echo "cb_sid_to_b64: not a SID: $1" >&2
		return 1
	}
	hex=$(printf '%02x%02x%012x' "${p[1]}" $((${#p[@]} - 3)) "${p[2]}")
	for ((i = 3; i < ${#p[@]}; i++)); do
		v=${p[i]}
		hex+=$(printf '%02x%02x%02x%02x' $((v & 255)) $((v >> 8 & 255)) \
			$((v >> 16 & 255)) $((v >> 24 & 255)))
	done
	printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64 -w0
}

# cb_sid_from_b64 B64: the binary SID (base64) as S-1-... text.
cb_sid_from_b64() {
	local -a b
	local i n auth sid
	read -ra b <<<"$(printf '%s' "$1" | base64 -d | od -An -v -tu1 | tr '\n' ' ')"
	n=${b[1]:-0}
	[ ${#b[@]} -eq $((8 + 4 * n)) ] || {
		echo "cb_sid_from_b64: not a SID: $1" >&2
		return 1
	}
	auth=0
	for ((i = 2; i < 8; i++)); do
		auth=$((auth * 256 + b[i]))
	done
	sid="S-${b[0]}-$auth"
	for ((i = 0; i < n; i++)); do
		sid+=-$((b[8 + 4 * i] | b[9 + 4 * i] << 8 | b[10 + 4 * i] << 16 | b[11 + 4 * i] << 24))
	done
	printf '%s\n' "$sid"
}

# cb_user_ldif KIND NAME [LINE...]: print an LDIF user entry for directory
# KIND (slapd or samba) under CN=Users with sAMAccountName NAME,
# userPrincipalName and mail NAME@test.certbulk.lan, then the extra LDIF
# LINEs, then a blank line.  NAME must not need DN escaping.
# On slapd (which generates no SIDs) the entry also gets an objectSid
# S-1-5-21-1111111111-2222222222-3333333333-RID and a matching objectGUID,
# unless a LINE sets objectSid.  RID is $CB_RID if set, else the next value
# of a counter kept in $CB_DIR (1101, 1102, ... in call order).  Samba makes
# its own SIDs; without a password a Samba user is created disabled.
cb_user_ldif() {
	local kind=$1 name=$2 rid f line sid=
	shift 2
	printf 'dn: CN=%s,CN=Users,%s\n' "$name" "${CB_BASE:-$CB_DEFAULT_BASE}"
	case $kind in
	samba)
		printf 'objectClass: user\n'
		;;
	slapd)
		printf 'objectClass: top\nobjectClass: person\n'
		printf 'objectClass: organizationalPerson\nobjectClass: user\n'
		printf 'sn: %s\n' "$name"
		for line; do
			case ${line,,} in objectsid:*) sid=given ;; esac
		done
		if [ -z "$sid" ]; then
			if [ -n "${CB_RID:-}" ]; then
				rid=$CB_RID
			else
				f=${CB_DIR:?cb_user_ldif: CB_DIR is not set}/.cb_rid
				rid=$(($(cat "$f" 2>/dev/null || echo 1100) + 1))
				echo "$rid" >"$f"
			fi
			printf 'objectSid:: %s\n' "$(cb_sid_to_b64 "$CB_SLAPD_DOMAIN_SID-$rid")"
			printf 'objectGUID:: %s\n' "$(printf '%b' \
				"$(printf 'cb0000000000000000000000%08x' "$rid" |
					sed 's/../\\x&/g')" | base64 -w0)"
		fi
		;;
	*)
		echo "cb_user_ldif: unknown kind: $kind" >&2
		return 1
		;;
	esac
	printf 'cn: %s\n' "$name"
	printf 'sAMAccountName: %s\n' "$name"
	printf 'userPrincipalName: %s@test.certbulk.lan\n' "$name"
	printf 'mail: %s@test.certbulk.lan\n' "$name"
	for line; do
		printf '%s\n' "$line"
	done
	printf '\n'
}

# cb_add_users FILE: add the entries of an LDIF file ("-" for stdin).
cb_add_users() {
	local f=$1
	[ "$f" != - ] || f=/dev/stdin
	cb_ldap ldapadd -f "$f" >/dev/null
}

# _cb_user_attr NAME ATTR: the "ATTR:" / "ATTR::" lines of user NAME.
_cb_user_attr() {
	cb_ldap ldapsearch -LLL -b "$CB_BASE" -s sub \
		"(sAMAccountName=$(cb_filter_escape "$1"))" "$2" |
		awk -v a="$2" 'BEGIN { a = tolower(a) }
			{ n = index($0, ":"); if (n && tolower(substr($0, 1, n - 1)) == a) print }'
}

# cb_user_dn NAME: the DN of the user whose sAMAccountName is NAME.
cb_user_dn() {
	local line
	line=$(cb_ldap ldapsearch -LLL -b "$CB_BASE" -s sub \
		"(sAMAccountName=$(cb_filter_escape "$1"))" 1.1 | grep -m1 '^dn:') ||
		return 1
	case $line in
	'dn:: '*) printf '%s\n' "${line#dn:: }" | base64 -d; echo ;;
	*) printf '%s\n' "${line#dn: }" ;;
	esac
}

# cb_user_sid NAME: objectSid of user NAME as text (works on both kinds).
cb_user_sid() {
	local line
	line=$(_cb_user_attr "$1" objectSid | head -n 1)
	case $line in
	*':: '*) cb_sid_from_b64 "${line#*:: }" ;;
	*) echo "cb_user_sid: no objectSid for $1" >&2; return 1 ;;
	esac
}

# cb_user_altsec NAME: the altSecurityIdentities values of user NAME, one a
# line (base64 values decoded), sorted bytewise.
cb_user_altsec() {
	local line out
	out=$(_cb_user_attr "$1" altSecurityIdentities) || return 1
	[ -n "$out" ] || return 0
	while IFS= read -r line; do
		case $line in
		*':: '*) printf '%s' "${line#*:: }" | base64 -d; echo ;;
		*) printf '%s\n' "${line#*: }" ;;
		esac
	done <<<"$out" | LC_ALL=C sort
}

# Attributes cb_dump content leaves out: replication and modification
# metadata, and logon bookkeeping that authentication itself updates.
CB_DUMP_VOLATILE='whenChanged uSNChanged modifyTimestamp modifiersName
entryCSN contextCSN replPropertyMetaData dSCorePropagationData
msDS-ReplAttributeMetaData msDS-ReplValueMetaData lastLogon
lastLogonTimestamp logonCount badPwdCount badPasswordTime'

# cb_dump strict|content OUT: every entry under $CB_BASE (subtree, all user
# and operational attributes the bind DN can read, continuation references
# ignored, paged so slapd's size limit does not cut it), written to OUT
# deterministically: entries sorted by DN case-insensitively, the DN line
# first, then one "attr: value" line per value, sorted; unwrapped; a blank
# line after each entry.
#   strict   keeps everything, including whenChanged/uSNChanged (Samba) and
#            modifyTimestamp/entryCSN (slapd): two strict dumps are equal
#            only if nothing was written in between.  Note that a Kerberos
#            AS exchange (kinit) or a failed bind updates the
#            logonCount/lastLogon/badPwdCount of that account on Samba.
#   content  leaves out $CB_DUMP_VOLATILE, to compare the state after
#            apply-then-undo with the original.
cb_dump() {
	local mode=$1 out=$2 raw
	case $mode in
	strict | content) ;;
	*) echo "cb_dump: mode must be strict or content" >&2; return 2 ;;
	esac
	raw=$out.raw.$$
	if ! cb_ldap ldapsearch -LLL -E pr=500/noprompt -b "$CB_BASE" -s sub \
		'(objectClass=*)' '*' '+' >"$raw"; then
		echo "cb_dump: ldapsearch failed" >&2
		rm -f -- "$raw"
		return 1
	fi
	awk -v mode="$mode" -v drop="$CB_DUMP_VOLATILE" '
		BEGIN {
			n = split(tolower(drop), d, /[ \n]+/)
			for (i = 1; i <= n; i++) if (d[i] != "") skip[d[i]] = 1
		}
		/^#/ { next }			# comments, continuation references
		/^$/ { key = ""; next }
		/^dn:/ {
			if ($0 ~ /^dn:: /) {
				cmd = "printf %s \"" substr($0, 6) "\" | base64 -d"
				dn = ""; cmd | getline dn; close(cmd)
			} else {
				dn = substr($0, 5)
			}
			key = tolower(dn)
			gsub(/\t/, " ", key)
			print key "\t0\t" $0
			next
		}
		key == "" { next }		# "ref:" blocks and anything outside an entry
		{
			c = index($0, ":")
			name = tolower(substr($0, 1, c - 1))
			sub(/;.*/, "", name)
			if (mode == "content" && (name in skip)) next
			print key "\t1\t" $0
		}
	' "$raw" | LC_ALL=C sort -t "$(printf '\t')" -k1,1 -k2,2 -k3 |
		awk -F '\t' '
			$1 != prev { if (NR > 1) print ""; prev = $1 }
			{ sub(/^[^\t]*\t[^\t]*\t/, ""); print }
			END { if (NR > 0) print "" }
		' >"$out"
	rm -f -- "$raw"
}
