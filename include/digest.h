/*
 * digest: SHA-256 of buffers and files, as lowercase hex, for the
 * fingerprints and the integrity line of a reviewed plan.
 */
#ifndef CERTBULK_DIGEST_H
#define CERTBULK_DIGEST_H

#include <stddef.h>

#define DIGEST_HEX	65	/* 64 hex digits and the NUL */

/* SHA-256 of the N bytes at P into HEX.  0 or -1 (reported). */
int	digest_sha256(const void *p, size_t n, char hex[DIGEST_HEX]);

/*
 * SHA-256 of the file PATH's content into HEX (never through a symbolic
 * link).  0, or -1 with errno set (not reported: the caller knows what the
 * file is).
 */
int	digest_file(const char *path, char hex[DIGEST_HEX]);

/*
 * SHA-256 over data given in pieces: digest_begin returns a context (or
 * NULL, reported), digest_add feeds it, digest_end writes HEX and frees
 * it (0 or -1, reported).  digest_abort frees a context not ended; NULL
 * is a no-op.  For a reviewed plan written as it is formatted, not held
 * whole in memory.
 */
struct digest;
struct digest	*digest_begin(void);
int		 digest_add(struct digest *, const void *p, size_t n);
int		 digest_end(struct digest *, char hex[DIGEST_HEX]);
void		 digest_abort(struct digest *);

#endif
