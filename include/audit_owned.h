/*
 * audit_owned: what certbulk audit finds in the run state (owned.tsv, see
 * sync.h) -- values certbulk owns whose certificate has expired, is
 * revoked, is superseded or has left the given inputs, owned values no
 * longer on their account and accounts that no longer exist.  The
 * certificate verdict is sync_verdict's, the one certbulk status prints.
 * Read-only: nothing is written to the directory or the state (only the
 * CRL cache with --fetch-crl, as runs do).
 */
#ifndef CERTBULK_AUDIT_OWNED_H
#define CERTBULK_AUDIT_OWNED_H

#include <stddef.h>
#include <time.h>

#include "dir.h"
#include "subcmd.h"

/*
 * One finding: KIND (owned-expired, ...), the account's DN, the value (or
 * ""), the detail; PROBLEM 1 if it counts for audit's exit status, 0 for a
 * note.  The strings are as read: the callee escapes them for its output.
 */
typedef void	audit_owned_fn(void *arg, int problem, const char *kind,
		    const char *dn, const char *value, const char *detail);

struct audit_owned_stats {
	int	 read;		/* the run state was read */
	size_t	 checked;	/* owned values under the base, looked at */
	int	 input_failed;	/* an input given could not be read */
};

/*
 * Reads the run state of O->state_dir (or the default state folder; a
 * missing or untrusted one is said in one line and nothing is found),
 * the inputs O names (their certificates' revocation, with O->cafile and
 * O->crlfile or O->fetchcrl, and which certificates left them) and checks
 * each owned value whose account was last seen under the base: on the
 * account now (ACC, the scan of mapped accounts, else the entry found by
 * objectGUID), and its certificate's verdict at NOW.  Calls FN for each
 * finding.  Returns 0, or -1 after reporting a directory failure or
 * ENOMEM (*ST says how far it got).
 */
int	audit_owned(struct dir *, const struct accounts *acc,
	    const struct subcmd_opts *o, time_t now, audit_owned_fn *fn,
	    void *arg, struct audit_owned_stats *st);

#endif
