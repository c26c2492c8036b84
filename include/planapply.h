/*
 * planapply: a reviewed plan (planfile.h) checked against the directory
 * as it is now.  Every value of the plan is applied only if each of its
 * preconditions still holds: the account is the same object (objectGUID),
 * the value is still absent from it and on no other account, and its
 * certificate has not expired.  Nothing that is not in the plan is done.
 */
#ifndef CERTBULK_PLANAPPLY_H
#define CERTBULK_PLANAPPLY_H

#include <stddef.h>
#include <time.h>

#include "dir.h"
#include "planfile.h"

/* What became of one value the plan adds. */
struct planres {
	const char	*outcome;	/* REPORT_*: planned, already, refused */
	const char	*reason;	/* REASON_* when refused */
	long		 chg;		/* planned: index into the changes */
};

/*
 * Checks every record of PF at time NOW; OUT gets the modifies still to
 * make (at the account's DN now, found by objectGUID if it moved), RES
 * (allocated, per record an array per added value; planapply_res_free)
 * what became of each value.  Refused values are reported with the
 * plan's line; *REFUSED counts them.  Returns 0, or -1 when the directory
 * failed (reported).
 */
int	planapply_check(struct dir *, const struct planfile *pf, time_t now,
	    struct changes *out, struct planres ***res, size_t *refused);

/* Frees RES of N records. */
void	planapply_res_free(struct planres **res, size_t n);

#endif
