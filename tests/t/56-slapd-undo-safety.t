# 56-slapd-undo-safety.t: undo files and the state folder as an attacker
# would use them (issue 8, items 2, 4, 5, 20, 26), against a real slapd.
#   - undo files whose values come from a URL, or that include other files
#   - a forged status line smuggled in through a certificate's file name
#   - state folder, undo files and --log of another user, open to others,
#     or symbolic links
#   - a state folder that fills up during a run, and an undo into it
#   - what undo says about entries that are gone
#   - undo's adds go through the run's duplicate-holder check (item 3)
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
e2e_require
[ "$(id -u)" = 0 ] || skip_all "needs root (other users' files, tmpfs)"
command -v runuser >/dev/null 2>&1 || skip_all "missing command: runuser"
e2e_setup
e2e_ca
W=$T/w
mkdir -p "$W"
umask 077

{
	cb_user_ldif slapd us1
	cb_user_ldif slapd us2
	cb_user_ldif slapd us3
	cb_user_ldif slapd us4
	cb_user_ldif slapd usgone
	cb_user_ldif slapd dupa
	cb_user_ldif slapd dupb
	cb_user_ldif slapd dupadmin
	cb_user_ldif slapd slmover
	e2e_bulk_ldif full 300 -
} >"$T/users.ldif"
cb_add_users "$T/users.ldif"
ok $? "setup: users added"
DN1=$(cb_user_dn us1)
DN2=$(cb_user_dn us2)
V1=$(e2e_val 5601)

# ------------------------------------------------- item 2: URLs, includes
printf '%s\n' "$V1" >"$W/secret"
cb_dump content "$T/d0"
ENC=$(printf '%s' "$W/secret" | sed 's|/|%2F|g')
n=0
for url in "< file://$W/secret" "<file:$W/secret" "< file://$ENC"; do
	n=$((n + 1))
	printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities:%s\n-\n' \
		"$DN1" "$url" >"$W/url$n.ldif"
	e2e_run "${LDAPS[@]}" --state-dir "$W/st-url" undo "$W/url$n.ldif"
	like "$(cat "$T/err")" "url$n.ldif:4: a value taken from a URL or file" \
		"URL value ($url): refused with file:line"
	is "$RC" 1 "URL value ($n): exit status 1"
done
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n' \
	"$DN1" "$V1" >"$W/inc-target.ldif"
printf '# x\n\nInClUdE: file://%s\n' "$W/inc-target.ldif" >"$W/inc.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-url" undo "$W/inc.ldif"
like "$(cat "$T/err")" "inc.ldif:3: an include: line" "include: refused with file:line"
is "$RC" 1 "include: exit status 1"
cb_dump content "$T/d1"
same_file "$T/d1" "$T/d0" "URL values and includes: nothing reached the directory"

# --------------------------------------- item 5: forged status comments
mkdir -p "$W/cd"
FORGED=$W/cd/$'x\ncertbulk-record: 1 status: failed\ny.cer'
e2e_leaf "$FORGED" 5602 upn=us2@test.certbulk.lan
e2e_run "${LDAPS[@]}" --state-dir "$W/st5" --certdir "$W/cd" --match upn
exit_is 0 "run with a file name holding a fake status line"
U5=$(ls "$W"/st5/undo-*.ldif)
is "$(grep -c '^# certbulk-record:' "$U5")" 1 "the undo file holds one status line only"
like "$(grep '^# from' "$U5")" 'x\\x0Acertbulk-record: 1 status: failed\\x0Ay\.cer' \
	"the file name's newlines are escaped in the comment"
e2e_run "${LDAPS[@]}" --state-dir "$W/st5u" undo "$U5"
exit_is 0 "undo of that run"
is "$(cb_user_altsec us2)" "" "the forged line did not keep the mapping: undone"

# --------------------------------------------- item 4: state folder trust
printf 'user,certificate\nus3,c3.pem\n' >"$W/u3.csv"
e2e_leaf "$W/c3.pem" 5603
chmod 711 "$T" "$W"
mkdir -m 0777 "$W/st-ww"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-ww" --csv "$W/u3.csv"
exit_is 4 "a world-writable state folder"
like "$(cat "$T/err")" "st-ww: the state folder is writable by others" \
	"the world-writable state folder is named"
is "$(cb_user_altsec us3)" "" "nothing was written with a world-writable state folder"
mkdir -m 0700 "$W/st-other"
chown nobody "$W/st-other"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-other" --csv "$W/u3.csv"
exit_is 4 "a state folder of another user"
like "$(cat "$T/err")" "st-other: the state folder belongs to uid 65534" \
	"the foreign state folder is named"
mkdir -m 0700 "$W/st-real"
ln -s "$W/st-real" "$W/st-link"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-link" --csv "$W/u3.csv"
exit_is 4 "a state folder that is a symbolic link"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-link/" --csv "$W/u3.csv"
exit_is 4 "a state folder that is a symbolic link, named with a trailing slash"
is "$(ls "$W/st-real")" "" "nothing was written through the link"
is "$(cb_user_altsec us3)" "" "none of these runs wrote to the directory"

# An unprivileged user replaces root's undo file in a folder open to all:
# root's undo must not map us1's value to us4.
mkdir -m 1777 "$W/pub"
printf 'user,certificate\nus1,c1.pem\n' >"$W/u1.csv"
e2e_leaf "$W/c1.pem" 5601
e2e_run "${LDAPS[@]}" --state-dir "$W/st1" --csv "$W/u1.csv"
exit_is 0 "us1 mapped"
DN4=$(cb_user_dn us4)
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n' \
	"$DN4" "$V1" | runuser -u nobody -- sh -c "umask 077; cat >'$W/pub/undo.ldif'"
e2e_run "${LDAPS[@]}" --state-dir "$W/st4u" undo "$W/pub/undo.ldif"
is "$RC" 1 "an undo file of another user: exit status 1"
like "$(cat "$T/err")" "undo.ldif: the undo file belongs to uid 65534" \
	"the undo file of another user is refused, named"
is "$(cb_user_altsec us4)" "" "us4 got nothing"
cp "$W/pub/undo.ldif" "$W/ww.ldif"
chmod 0666 "$W/ww.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/st4u" undo "$W/ww.ldif"
like "$(cat "$T/err")" "ww.ldif: the undo file is writable by others" \
	"a world-writable undo file of root's is refused"
is "$(cb_user_altsec us4)" "" "us4 still has nothing"

# --log: never through a link, never another user's file
: >"$W/victim"
ln -s "$W/victim" "$W/log-link"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-log" --log "$W/log-link" -n --csv "$W/u3.csv"
exit_is 4 "--log naming a symbolic link"
is "$(stat -c %s "$W/victim")" 0 "nothing written through the --log link"
runuser -u nobody -- sh -c "umask 022; : >'$W/pub/log'"
e2e_run "${LDAPS[@]}" --state-dir "$W/st-log" --log "$W/pub/log" -n --csv "$W/u3.csv"
exit_is 4 "--log file of another user"
like "$(cat "$T/err")" "log: the --log file belongs to uid 65534" "the foreign --log file is named"

# ------------------------------------------- item 20: state folder full
e2e_bulk_certs "$W/full" 300 560001 ||
	{ echo "Bail out! openssl ca failed"; exit 1; }
{
	echo user,certificate
	for ((i = 1; i <= 300; i++)); do
		printf 'full%04d,full/%X.pem\n' "$i" $((0x560000 + i))
	done
} >"$W/full.csv"
MNT=$W/mnt
mkdir -p "$MNT"
if mount -t tmpfs -o size=64k,mode=0700 tmpfs "$MNT"; then
	trap 'umount "$MNT" 2>/dev/null; _e2e_cleanup' EXIT
	mkdir -m 0700 "$MNT/st"
	# leave about 40 KB: the header and some 100 records fit, not 300
	head -c $((24 * 1024)) /dev/zero >"$MNT/fill"
	e2e_run "${LDAPS[@]}" --state-dir "$MNT/st" --window 8 --csv "$W/full.csv"
	exit_is 4 "a run into a state folder that fills up"
	like "$(cat "$T/err")" "the undo file cannot grow \(state folder full\?\)" \
		"the run says the undo file cannot grow"
	UF=$(ls "$MNT"/st/undo-*.ldif)
	mapped=$(e2e_count_mapped full)
	diag "state folder full: $mapped of 300 accounts mapped before the stop"
	ok "$([ "$mapped" -gt 0 ] && [ "$mapped" -lt 300 ]; echo $?)" \
		"the run stopped part-way ($mapped of 300 mapped)"
	is "$(tail -c 1 "$UF" | od -An -c | tr -d ' ')" '\n' "the undo file ends with a whole line"
	# an undo into the full folder: refused loudly, nothing changed
	head -c $((64 * 1024)) /dev/zero >"$MNT/fill2" 2>/dev/null
	e2e_run "${LDAPS[@]}" --state-dir "$MNT/st" undo "$UF"
	exit_is 4 "an undo into a full state folder"
	like "$(cat "$T/err")" "undo not done: nothing was changed" \
		"the undo into a full folder does not report success"
	is "$(e2e_count_mapped full)" "$mapped" "that undo changed nothing"
	# elsewhere, the cut-short undo file reads back and undoes everything
	e2e_run "${LDAPS[@]}" --state-dir "$W/st-fullu" undo "$UF"
	exit_is 0 "the undo file of the stopped run reads back and undoes"
	is "$(e2e_count_mapped full)" 0 "every account the stopped run mapped is unmapped"
	umount "$MNT"
	trap _e2e_cleanup EXIT
else
	ok 1 "cannot mount a tmpfs for the state-folder-full test"
fi

# ------------------------------- item 3: undo's adds and duplicate holders
# map to A, undo, map the same certificate to B, then undo the undo: the
# value must not come back on A while B holds it
VD=$(e2e_val 5605)
e2e_leaf "$W/cd3.pem" 5605
printf 'user,certificate\ndupa,cd3.pem\n' >"$W/da.csv"
printf 'user,certificate\ndupb,cd3.pem\n' >"$W/db.csv"
e2e_run "${LDAPS[@]}" --state-dir "$W/std1" --csv "$W/da.csv"
exit_is 0 "dup: mapped to A"
e2e_run "${LDAPS[@]}" --state-dir "$W/std2" undo "$W"/std1/undo-*.ldif
exit_is 0 "dup: undone"
e2e_run "${LDAPS[@]}" --state-dir "$W/std3" --csv "$W/db.csv"
exit_is 0 "dup: mapped to B"
e2e_run "${LDAPS[@]}" --state-dir "$W/std4" undo "$W"/std2/undo-*.ldif
exit_is 1 "dup: undo of the undo, while B holds the value"
like "$(cat "$T/err")" "undo would add .* but \"$(cb_user_dn dupb)\" holds it" \
	"dup: the holder is named"
like "$(cat "$T/err")" "1 values not added back: another account holds them" \
	"dup: the summary counts the value left out"
is "$(cb_user_altsec dupa | e2e_norm)" "" "dup: A did not get the value back"
is "$(cb_user_altsec dupb | e2e_norm)" "$VD" "dup: B keeps it"
# a hand-made undo record that adds B's value to another account
printf 'dn: %s\nchangetype: modify\nadd: altSecurityIdentities\naltSecurityIdentities: %s\n-\n' \
	"$(cb_user_dn dupadmin)" "$VD" >"$W/hand.ldif"
e2e_run "${LDAPS[@]}" --state-dir "$W/std5" undo "$W/hand.ldif"
exit_is 1 "dup: a hand-made record adding B's value elsewhere"
is "$(cb_user_altsec dupadmin)" "" "dup: the other account got nothing"

# ---------------- item 16 on slapd: a renamed entry found by objectGUID
# (slapd has no <GUID=...> DNs: a search on objectGUID under the base)
e2e_leaf "$W/cm.pem" 5606
printf 'user,certificate\nslmover,cm.pem\n' >"$W/um.csv"
e2e_run "${LDAPS[@]}" --state-dir "$W/stm" --csv "$W/um.csv"
exit_is 0 "slmover mapped"
printf 'dn: %s\nchangetype: modrdn\nnewrdn: CN=slmover-renamed\ndeleteoldrdn: 1\n\n' \
	"$(cb_user_dn slmover)" | cb_ldap ldapmodify >/dev/null
e2e_run "${LDAPS[@]}" --state-dir "$W/stmu" undo "$W"/stm/undo-*.ldif
exit_is 0 "undo after a rename on slapd"
like "$(cat "$T/err")" "found by its objectGUID as \"cn=slmover-renamed," \
	"the renamed entry is found by its objectGUID"
is "$(cb_user_altsec slmover)" "" "the renamed entry's value is removed"

# ------------------------------------------- item 26: entries that are gone
printf 'user,certificate\nusgone,cg.pem\n' >"$W/ug.csv"
e2e_leaf "$W/cg.pem" 5604
e2e_run "${LDAPS[@]}" --state-dir "$W/stg" --csv "$W/ug.csv"
exit_is 0 "usgone mapped"
UG=$(ls "$W"/stg/undo-*.ldif)
cb_ldap ldapdelete "$(cb_user_dn usgone)" >/dev/null
e2e_run "${LDAPS[@]}" --state-dir "$W/stgu" undo "$UG"
exit_is 1 "undo of an account deleted since"
like "$(cat "$T/err")" "1 undo records skipped: their entries no longer exist" \
	"the summary counts the gone entry as such"
! grep -q "input rows or files" "$T/err"
ok $? "no talk of input rows or files"
done_testing
