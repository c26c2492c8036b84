/*
 * recheck: the duplicate recheck after a run (each value the run added is
 * searched for again across the domain, since another run may have given
 * it to a second account meanwhile), started while the modifies are still
 * going out.  A thread with its own connection to the same server checks
 * the changes as their replies come in (apply_opts.settled), so that its
 * client work overlaps the directory's work on the modifies instead of
 * following it.  The thread only reads and collects; what it found is
 * reported by the caller, in the main thread, after the run.
 *
 * Checking a value once its own modify was answered is as good as
 * checking it after the whole run: of two runs racing to give one value
 * to two accounts, the one whose modify is answered second finds the
 * other's value in its recheck.
 */
#ifndef CERTBULK_RECHECK_H
#define CERTBULK_RECHECK_H

#include <stddef.h>

#include "dir.h"
#include "plan.h"

struct recheck;

/* One value found on another account (or not checkable), for the caller. */
struct recheck_hit {
	size_t	 chg;		/* index into the changes */
	size_t	 val;		/* index into that change's add list */
	char	*holder;	/* owned: the other account's DN, or NULL */
	char	*err;		/* owned: why it could not be checked, or NULL */
};

/*
 * Opens a second connection to the server D is bound to (the same options
 * as OPTS, the URI pinned to dir_uri(D)) and starts the thread over CS,
 * which must not move or grow until recheck_finish.  Returns NULL, with
 * nothing started, when that is not worth it or not possible (few values,
 * a password that would have to be asked for again, the connection
 * failed): the caller then rechecks everything after the run as before.
 */
struct recheck	*recheck_start(const struct dir_opts *opts, struct dir *d,
		    const struct changes *cs);
/* apply_opts.settled: changes [0, UPTO) are final.  ARG is a recheck. */
void		 recheck_settled(void *arg, size_t upto);
/*
 * Stops the thread (after the slice it is on) and joins it.  *CHECKED:
 * changes [0, *CHECKED) were rechecked (the caller rechecks the rest);
 * *HITS, *NHITS: what was found there, in change order, owned by the
 * caller (recheck_hits_free).  Frees R; NULL gives *CHECKED 0.
 */
void		 recheck_finish(struct recheck *r, size_t *checked,
		    struct recheck_hit **hits, size_t *nhits);
void		 recheck_hits_free(struct recheck_hit *, size_t);

#endif
