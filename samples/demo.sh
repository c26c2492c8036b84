#!/bin/bash
# demo.sh (make demo): certbulk's main job on a throwaway local directory.
# Starts a private OpenLDAP slapd with an AD-like schema on 127.0.0.1 in a
# temporary folder, loads five sample accounts, then shows the values of
# the sample certificates, previews the batch, applies it, runs it again
# (nothing to do), undoes it, and stops the directory.  Touches nothing
# outside its temporary folder.
set -euo pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
CERTBULK=${CERTBULK:-$TOP/certbulk}
. "$TOP/tests/dirs/common.sh"

work=$(mktemp -d /tmp/certbulk-demo.XXXXXX)
cleanup() {
	"$TOP/tests/dirs/slapd.sh" stop "$work/slapd" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "Starting a throwaway directory (OpenLDAP slapd, AD-like schema)"
eval "$("$TOP/tests/dirs/slapd.sh" start "$work/slapd")"
echo "listening on $CB_URI_LDAPS, base $CB_BASE"
{
	CB_RID=1201 cb_user_ldif slapd alice
	CB_RID=1202 cb_user_ldif slapd bob
	CB_RID=1203 cb_user_ldif slapd carol
	CB_RID=1204 cb_user_ldif slapd erin
	CB_RID=1205 cb_user_ldif slapd frank \
		"altSecurityIdentities: Kerberos:frank@PARTNER.EXAMPLE"
} | cb_add_users - >/dev/null
echo "loaded accounts alice, bob, carol, erin, frank (frank already has a Kerberos: mapping)"

# The connection options an admin would give (ldapmodify's conventions).
LDAP=(-H "$CB_URI_LDAPS" -x -D "$CB_BIND_DN" -y "$CB_PWFILE")
cd "$TOP/samples"

step "What the domain controller will look for: certbulk show"
run "$CERTBULK" show certs/alice.cer

step "Preview: which values would be added (nothing is changed)"
run "$CERTBULK" "${LDAP[@]}" --preview --csv users.csv --certdir certdir \
	--output "$work/plan.ldif"
cat "$work/plan.ldif"

step "Apply exactly the reviewed plan, with an undo file in the state folder"
run "$CERTBULK" "${LDAP[@]}" --state-dir "$work/state" apply "$work/plan.ldif" \
	--report "$work/report.csv"
cat "$work/report.csv"
for u in alice bob carol erin frank; do
	printf '%s:\n' "$u"
	cb_user_altsec "$u" | sed 's/^/    /'
done

step "Run it again: nothing left to do (safe for a nightly cron job)"
run "$CERTBULK" "${LDAP[@]}" --state-dir "$work/state" --csv users.csv --certdir certdir \
	--report "$work/report.csv"
cat "$work/report.csv"

step "Undo the run"
undo=$(ls "$work"/state/undo-*.ldif | head -1)
run "$CERTBULK" "${LDAP[@]}" --state-dir "$work/state" undo "$undo"
for u in alice bob carol erin frank; do
	printf '%s:\n' "$u"
	cb_user_altsec "$u" | sed 's/^/    /'
done

step "Stopping the directory"
