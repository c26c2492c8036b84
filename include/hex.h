/*
 * hex: bytes as hexadecimal text and back, for digests and the NTAuth
 * store's binary values.
 */
#ifndef CERTBULK_HEX_H
#define CERTBULK_HEX_H

#include <stddef.h>

/* Writes the N bytes P as 2 * N hex digits and a NUL into OUT, upper case
 * if UPPER.  Returns OUT. */
char	*hex_encode(const unsigned char *p, size_t n, char *out, int upper);
/* Reads the N bytes of the 2 * N hex digits (either case) at HEX into
 * OUT.  0, or -1 at the first character that is not a hex digit. */
int	 hex_decode(const char *hex, size_t n, unsigned char *out);

#endif
