/*
 * sbuf: a growable byte string, always NUL-terminated.
 */
#ifndef CERTBULK_SBUF_H
#define CERTBULK_SBUF_H

#include <stddef.h>

struct sbuf {
	char	*s;	/* owned; NULL until the first append */
	size_t	 len;	/* bytes used, not counting the NUL */
	size_t	 cap;	/* bytes allocated */
	int	 oom;	/* set once an allocation failed; appends then no-op */
};

#define SBUF_INIT { NULL, 0, 0, 0 }

/* Appends N bytes of P. Allocation failure is sticky: see sbuf_done. */
void	sbuf_add(struct sbuf *, const void *p, size_t n);
/* Appends a C string. */
void	sbuf_puts(struct sbuf *, const char *);
/* Appends one byte. */
void	sbuf_putc(struct sbuf *, int c);
/* Appends printf output. */
void	sbuf_printf(struct sbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends N bytes as upper-case hex, in order (reverse != 0: last first). */
void	sbuf_hex(struct sbuf *, const unsigned char *p, size_t n, int reverse);
/*
 * Hands the string over: returns it (caller frees with free()) and resets
 * the buffer, or returns NULL after an allocation failure.  An empty buffer
 * gives "".
 */
char	*sbuf_done(struct sbuf *);
/* Empties the buffer but keeps its memory, for reuse in a loop. */
void	sbuf_clear(struct sbuf *);
/* Frees the contents and resets the buffer. */
void	sbuf_reset(struct sbuf *);

#endif
