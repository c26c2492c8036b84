/*
 * syncer: fsync of one file descriptor in a background thread, so that a
 * write-ahead journal is made durable while the caller goes on with work
 * already covered (group commit).  The caller numbers what it has written
 * (e.g. records) and asks for "everything up to N"; N is durable once
 * syncer_wait says so.
 */
#ifndef CERTBULK_SYNCER_H
#define CERTBULK_SYNCER_H

struct syncer;

/* Starts the thread for FD (not owned).  NULL on failure (no thread). */
struct syncer	*syncer_new(int fd);
/* Asks for an fsync covering everything written to FD so far, as UPTO. */
void		 syncer_ask(struct syncer *, long upto);
/*
 * Waits until UPTO is durable.  Returns 0, or -1 with errno set when an
 * fsync failed (sticky: every later wait fails too).
 */
int		 syncer_wait(struct syncer *, long upto);
/* What is durable now, without waiting. */
long		 syncer_durable(struct syncer *);
/* Stops and joins the thread (after the fsync in progress); NULL no-op. */
void		 syncer_free(struct syncer *);

#endif
