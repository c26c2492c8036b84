/*
 * apply: carries out a list of changes, one atomic modify per account,
 * several in flight at once, each covered by the undo file before it is
 * sent.  The only stage that writes to the directory.
 */
#ifndef CERTBULK_APPLY_H
#define CERTBULK_APPLY_H

#include <stddef.h>

#include "dir.h"
#include "plan.h"
#include "undo.h"

struct apply_opts {
	int	window;		/* modifies in flight at most */
	int	txn;		/* accounts per RFC 5805 transaction, 0: none */
	int	strict;		/* stop sending after the first failure */
	int	progress;	/* progress line on stderr */
	/*
	 * Called, when not NULL, each time more of the changes have their
	 * final status: changes [0, UPTO) are done or failed (not referred:
	 * APPLY_RC_REFERRAL) and are not touched again (see recheck.h).
	 */
	void	(*settled)(void *arg, size_t upto);
	void	*settled_arg;
};

/*
 * LDAP's referral, as a change's result: the DC (e.g. a read-only one)
 * names another for it, and forest_apply may send the modify there once
 * apply_run is over, so such a change is not settled.
 */
#define APPLY_RC_REFERRAL	10

struct apply_stats {
	size_t	done;		/* accounts changed (or found already so) */
	size_t	failed;		/* accounts the server refused */
	size_t	unsent;		/* accounts not tried (lost, --strict) */
	size_t	unknown;	/* sent, but no reply came (lost) */
	size_t	added;		/* values added */
	size_t	removed;	/* values removed */
	int	lost;		/* the connection failed mid-run */
	int	journal;	/* the undo file could not be written */
	int	interrupted;	/* stopped by a signal */
};

/*
 * Makes SIGINT, SIGTERM and SIGHUP stop a run gracefully: nothing more is
 * sent, the replies to what is in flight are collected and recorded.
 */
void	apply_catch_signals(void);

/*
 * Applies CS.  Returns 0 when every change was tried (see ST for
 * failures), -1 when the run had to stop: the connection was lost, the
 * undo file could not be written (nothing more is sent, the replies to
 * what is in flight are collected), or --strict after a failure.
 */
int	apply_run(struct dir *, struct changes *cs, struct undo *,
	    const struct apply_opts *, struct apply_stats *st);

#endif
