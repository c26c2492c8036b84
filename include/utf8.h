/*
 * utf8: the few Unicode helpers the name conversion needs.
 */
#ifndef CERTBULK_UTF8_H
#define CERTBULK_UTF8_H

#include <stddef.h>

#include "sbuf.h"

/*
 * Returns the length (1-4) of the well-formed UTF-8 sequence at P (at most
 * N bytes), or 0 if it is not one: overlong forms, surrogates and code
 * points above U+10FFFF are not well formed.
 */
size_t	utf8_seqlen(const char *p, size_t n);
/*
 * Decodes the sequence at P (at most N bytes, N > 0) into *CP and returns
 * its length; a byte that starts no well-formed sequence decodes as itself
 * with length 1.
 */
size_t	utf8_get(const char *p, size_t n, unsigned long *cp);
/* Returns 1 if all N bytes at P are well-formed UTF-8, else 0. */
int	utf8_valid(const char *p, size_t n);
/* Appends code point CP as UTF-8 (CP must be a valid scalar value). */
void	utf8_put(struct sbuf *, unsigned long cp);

#endif
