/*
 * undoflow: an undo whose entries are read while its modifies go out.
 * A small undo reads every entry before the first modify (plan_undo); for
 * a large undo that is a stage of its own.  Here a thread with its own
 * connection to the same server plans the undo a slice of entries at a
 * time (plan_undo_entries on each slice) and hands each slice's changes
 * to the caller, which applies them while the next slice is read.
 *
 * Each entry's change depends on that entry alone (its values now, its
 * records), so planning it a slice later gives the same change as
 * planning it first.  The values an undo adds back also need plan_undo's
 * duplicate-holder check over the whole batch, against the directory as
 * it was before any of the undo's modifies: the holders of every value
 * the records add are looked up before the first modify, and each
 * slice's changes are checked against that snapshot; a change adding a
 * value the records add to more than one entry waits for the last slice
 * (see undoflow.c).  The result is plan_undo's: the same changes, the
 * same refusals and messages, in another order.
 */
#ifndef CERTBULK_UNDOFLOW_H
#define CERTBULK_UNDOFLOW_H

#include <stddef.h>

#include "dir.h"
#include "plan.h"

struct undoflow;

/*
 * 1 if WANT (the undo records) may be planned in slices: more than one
 * slice of records, all of altSecurityIdentities, and CERTBULK_UNDO_WHOLE
 * not set to 1 (a switch to compare with the whole plan).
 */
int		 undoflow_fits(const struct changes *want);
/*
 * Takes WANT's records (WANT is left empty), sorts them by entry, opens a
 * second connection to D's server (OPTS with the URI pinned) and starts
 * reading; meanwhile looks up on D who holds each value the records add.
 * *MISSING and *REFUSED grow as slices are taken (plan_undo's counts).
 * NULL when the connection or thread could not be had: WANT is then as
 * given, and the caller plans it whole.  When the holders could not be
 * looked up (reported), undoflow_next gives -1 before any change.
 */
struct undoflow	*undoflow_start(const struct dir_opts *opts, struct dir *d,
		    struct changes *want, size_t *missing, size_t *refused);
/*
 * The next slice's changes, appended to OUT (in the order plan_undo gives
 * them), less those that wait for the last slice, which come after it.
 * Returns 1 (a slice was taken, maybe with no change in it), 0 (no more
 * slices), -1 (reading failed, reported: no more slices).
 */
int		 undoflow_next(struct undoflow *, struct changes *out);
/* Stops after the slice being read, joins, frees; NULL is a no-op. */
void		 undoflow_free(struct undoflow *);

#endif
