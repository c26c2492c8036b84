/*
 * replcheck: --verify-on DC2.  After a run has changed accounts on one
 * domain controller, reads them again on a second one until the run's
 * changes have replicated there, and names those that have not.
 */
#ifndef CERTBULK_REPLCHECK_H
#define CERTBULK_REPLCHECK_H

#include "dir.h"
#include "plan.h"

/*
 * Connects to DC2 (a URI, or a host put in place of the host of URI, the
 * run's, keeping its scheme and port) bound as O says, and re-reads every
 * account of CS whose change was done, every 2 seconds for up to WAIT
 * seconds, until each holds the values the run added and none it
 * removed.  Returns 0 when all arrived, 1 when some did not (each named
 * on stderr), or -1 when DC2 could not be read (reported).
 */
int	replcheck_run(const struct dir_opts *o, const char *uri,
	    const char *dc2, int wait, const struct changes *cs);

#endif
