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

#endif
