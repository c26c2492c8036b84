/*
 * prefetch: certificate files read ahead by a second thread, handed over
 * in the order they were named.  Reading a file is mostly system calls
 * (open, fstat, read, close); done on the other core it overlaps the
 * decoding of the files before it.  Nothing else is shared: the thread
 * only calls cert_load_file, and every message is printed by the caller,
 * in order, so output is the same as reading one file after the other.
 */
#ifndef CERTBULK_PREFETCH_H
#define CERTBULK_PREFETCH_H

#include <stddef.h>

struct prefetch;

/*
 * Starts reading the N files PATHS (which must stay valid until
 * prefetch_stop), at most a fixed number ahead of the caller.  Returns
 * NULL if no thread could be started (the caller then reads the files
 * itself).
 */
struct prefetch	*prefetch_start(char *const *paths, size_t n);

/*
 * Waits for the next file, in order.  Returns 0 with its bytes in *BUF
 * (*LEN bytes; the caller owns them and frees them with cert_load_free),
 * or -1 with *ERR set to the line cert_read_file would have printed (the
 * caller frees it; NULL when out of memory).  Called at most N times.
 */
int	prefetch_next(struct prefetch *, unsigned char **buf, size_t *len,
	    char **err);

/* Stops the thread (files not yet taken are dropped) and frees P. */
void	prefetch_stop(struct prefetch *p);

#endif
