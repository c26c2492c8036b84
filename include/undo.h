/*
 * undo: the undo file.  Written ahead of every modify (flushed and
 * fsync'd before the modify is sent), so that a run killed at any instant
 * leaves a file that reverts everything that may have reached the
 * directory.  Each record's status comment is updated in place:
 *   # certbulk-record: N status: pending|done   |failed |unsent
 * pending and done records are undone; failed and unsent ones are not.
 */
#ifndef CERTBULK_UNDO_H
#define CERTBULK_UNDO_H

#include "plan.h"

struct undo;

/*
 * Creates the undo file PATH (mode 0600, must not exist) and writes HEADER
 * as comments.  Returns NULL after reporting.
 */
struct undo	*undo_create(const char *path, const char *header);
/*
 * Adds the inverse of C as a pending record (not yet written: see
 * undo_flush) and sets C->rec, the record's number from 0.  Returns 0 or
 * -1 (reported).
 */
int		 undo_add(struct undo *, struct change *c);
/* Writes and fsyncs everything added so far. 0 or -1 (reported). */
int		 undo_sync(struct undo *);
/*
 * Writes everything added so far and starts its fsync in the background
 * (group commit: modifies whose records are already durable go on
 * meanwhile).  0 or -1 (reported; the records not written are dropped).
 */
int		 undo_flush(struct undo *);
/*
 * Waits until records [0, NREC) are durable (written and fsync'd): a
 * modify is sent only after its record is.  0 or -1 (reported).
 */
int		 undo_wait(struct undo *, long nrec);
/* Rewrites the status of record REC in place. 0 or -1 (reported). */
int		 undo_mark(struct undo *, long rec, const char *status);
/* Syncs and closes; returns 0 or -1. NULL is a no-op returning 0. */
int		 undo_close(struct undo *);
/* The file's path. */
const char	*undo_path(const struct undo *);

#define UNDO_PENDING	"pending"
#define UNDO_DONE	"done   "
#define UNDO_FAILED	"failed "
#define UNDO_UNSENT	"unsent "

/* Room for the run time of an undo file's header, see undo_read. */
#define UNDO_MADE_MAX	32

/*
 * Reads an undo file (or any LDIF of modify records on
 * altSecurityIdentities, or on cACertificate of the forest's NTAuth entry:
 * those get attr NTAUTH_ATTR and hex values, see ntauth.h) with libldap's
 * LDIF reader into OUT, leaving out
 * records marked failed or unsent.  The file must be a regular file (not
 * a symbolic link) owned by the running user or root and not writable by
 * group or others, and hold only the LDIF forms certbulk writes (no URL
 * values, no include: lines): otherwise it is refused whole.  Bad records
 * are reported with their line and counted in *BAD.  MADE (UNDO_MADE_MAX
 * bytes, or NULL) gets the run time of the header's "made" line as
 * YYYY-MM-DDTHH:MM:SS.mmm (UTC), or "" if there is none.  Returns 0, or -1
 * if the file is refused or cannot be read (reported).
 */
int	undo_read(const char *path, struct changes *out, size_t *bad,
	    char *made);

#endif
