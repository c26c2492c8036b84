/*
 * forest: runs and undos whose accounts live in several domains of the
 * forest.  Each change carries the DC it goes to (struct change's
 * server, NULL for -H's); these route the apply and the undo's planning
 * to that DC's connection (dir_forest.h: dir_home, dir_conn_of), a
 * domain at a time, every change still journaled in the one undo file
 * before it is sent.
 */
#ifndef CERTBULK_FOREST_H
#define CERTBULK_FOREST_H

#include "apply.h"
#include "dir.h"
#include "plan.h"
#include "undo.h"

/*
 * apply_run for every change of CS on its own DC: -H's changes first,
 * then each other domain's.  A domain whose DC is not connected has its
 * changes failed (reported, never journaled).  ST sums every domain's.
 * Returns 0, or -1 when the run had to stop (apply_run's -1): the
 * domains not started yet count as unsent.
 */
int	forest_apply(struct dir *d, struct changes *cs, struct undo *u,
	    const struct apply_opts *o, struct apply_stats *st);

/*
 * plan_undo for the records of WANT on their own DCs: a record that names
 * a server (an account of another domain when it was changed) is planned
 * against the DC of the domain holding its DN (dir_home, with the
 * --domain-uri overrides); the others, and every record of an undo file
 * written before records named their server, against D.  A record whose
 * domain has no usable DC is reported and counted in *UNROUTED (not
 * undone).  The planned changes keep their server.  0, or -1 (directory
 * failure).
 */
int	forest_plan_undo(struct dir *d, const struct changes *want,
	    struct changes *out, size_t *missing, size_t *refused,
	    size_t *unrouted);

/* The DC CS's change goes to, for messages and reports: its server, or
 * D's URI. */
const char	*forest_server(const struct dir *d, const struct change *c);

#endif
