/*
 * state: the state folder (undo files) and its lock, which keeps two runs
 * from overlapping.
 */
#ifndef CERTBULK_STATE_H
#define CERTBULK_STATE_H

#include <time.h>

struct state;

/*
 * The default state folder: /var/lib/certbulk for root, else
 * $XDG_STATE_HOME/certbulk (or ~/.local/state/certbulk).  Caller frees;
 * NULL if no home is known.
 */
char		*state_default_dir(void);
/*
 * Opens the state folder DIR (created mode 0700 if missing) and takes its
 * lock.  Returns NULL after reporting; when another run holds the lock the
 * message names it.
 */
struct state	*state_open(const char *dir);
/* Releases the lock and frees; NULL is a no-op. */
void		 state_close(struct state *);
/*
 * Returns the path of a fresh undo file named by the current UTC time,
 * DIR/undo-YYYYMMDDTHHMMSS.mmmZ.ldif, so that names sort oldest first.
 * Caller frees; NULL on ENOMEM.
 */
char		*state_undo_path(const struct state *);

/*
 * Checks the open descriptor FD of PATH (WHAT names it in messages: "undo
 * file", "log file", ...) as ssh checks its keys: a regular file (a folder
 * if ISDIR) owned by the running user or root, not writable by group or
 * others.  Returns 0, or -1 after reporting why it is not trusted.
 */
int		 state_trusted(int fd, const char *path, const char *what,
		    int isdir);

#endif
