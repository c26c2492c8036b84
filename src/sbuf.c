#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"

static int
sbuf_grow(struct sbuf *b, size_t need)
{
	size_t	 cap;
	char	*p;

	if (b->oom)
		return -1;
	if (b->len + need + 1 <= b->cap)
		return 0;
	if (need > ((size_t)-1) / 2 - b->len) {
		b->oom = 1;
		return -1;
	}
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + need + 1)
		cap *= 2;
	if ((p = realloc(b->s, cap)) == NULL) {
		b->oom = 1;
		return -1;
	}
	b->s = p;
	b->cap = cap;
	return 0;
}

void
sbuf_add(struct sbuf *b, const void *p, size_t n)
{
	if (sbuf_grow(b, n) == -1)
		return;
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void
sbuf_putc(struct sbuf *b, int c)
{
	char	ch = (char)c;

	sbuf_add(b, &ch, 1);
}

void
sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || sbuf_grow(b, (size_t)n) == -1)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void
sbuf_hex(struct sbuf *b, const unsigned char *p, size_t n, int reverse)
{
	static const char	 digits[] = "0123456789ABCDEF";
	size_t			 i;
	unsigned char		 c;

	if (sbuf_grow(b, 2 * n) == -1)
		return;
	for (i = 0; i < n; i++) {
		c = reverse ? p[n - 1 - i] : p[i];
		b->s[b->len++] = digits[c >> 4];
		b->s[b->len++] = digits[c & 0xf];
	}
	b->s[b->len] = '\0';
}

char *
sbuf_done(struct sbuf *b)
{
	char	*s, *p;

	if (b->oom) {
		sbuf_reset(b);
		return NULL;
	}
	s = b->s ? b->s : strdup("");
	/*
	 * Strings handed over are mostly kept (a row's values and notes, a
	 * million rows of them): no growth slack with them.
	 */
	if (b->s != NULL && b->cap > b->len + 1 + 16 &&
	    (p = realloc(b->s, b->len + 1)) != NULL)
		s = p;
	b->s = NULL;
	b->len = b->cap = 0;
	return s;
}

void
sbuf_reset(struct sbuf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->oom = 0;
}

void
sbuf_clear(struct sbuf *b)
{
	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}
