/*
 * runlog: the run's audit trail in the --log file and syslog (msg_audit:
 * never quieted by -q): who ran what against which server as whom, and
 * every value changed with the certificate it came from.
 */
#ifndef CERTBULK_RUNLOG_H
#define CERTBULK_RUNLOG_H

#include "dir.h"
#include "plan.h"

/*
 * The run-start line: version, the arguments (a -w value blanked), PID,
 * user, and with D the server connected to, the bind mechanism and the
 * bind identity (whoami); D NULL: not connected.  Written once per run:
 * later calls do nothing.
 */
void	runlog_start(int argc, char *argv[], const struct dir *d);
/* One line per value the run added or removed (changes done only). */
void	runlog_changes(const struct changes *cs);

#endif
