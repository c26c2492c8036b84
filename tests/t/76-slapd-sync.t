#!/bin/bash
# 76-slapd-sync.t: the run state, --prune, adopt and status (issue 10)
# against a real OpenLDAP slapd: the nightly sequence of
# tests/e2e/sync-nightly.sh.
. "$(dirname "$0")/../lib/tap.sh"
. "$TOP/tests/e2e/lib.sh"

e2e_require
e2e_setup
e2e_ca
KIND=slapd
. "$TOP/tests/e2e/sync-nightly.sh"
done_testing
