#!/bin/bash
# 75-samba-sync.t: the run state, --prune, adopt and status (issue 10)
# on a real Samba AD DC: the nightly sequence of tests/e2e/sync-nightly.sh
# (objectGUIDs and SIDs made by Samba, the account moved found by its
# <GUID=...> DN).
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"
. "$TOP/tests/e2e/samba-lib.sh"

sb_start
KIND=samba
. "$TOP/tests/e2e/sync-nightly.sh"
done_testing
