/*
 * arena: bump allocation from blocks (arena.h).
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ARENA_BLOCK	(64UL * 1024)	/* usual block; larger requests get
					   a block of their own */

struct arena_blk {
	struct arena_blk	*prev;
	alignas(max_align_t) unsigned char data[];
};

void *
arena_alloc(struct arena *a, size_t n)
{
	struct arena_blk	*b;
	size_t			 al = alignof(max_align_t), sz, off = 0;
	void			*p;

	if (n > SIZE_MAX - al - sizeof(*b))
		return NULL;
	n = (n + al - 1) & ~(al - 1);
	if (n == 0)
		n = al;
	if (a->blk != NULL)
		off = (a->used + al - 1) & ~(al - 1);	/* after a string */
	if (a->blk == NULL || off > a->size || a->size - off < n) {
		sz = n > ARENA_BLOCK / 4 ? n : ARENA_BLOCK - sizeof(*b);
		if ((b = calloc(1, sizeof(*b) + sz)) == NULL)
			return NULL;
		if (sz == n && a->blk != NULL) {
			/* a big one: behind the current block, which keeps
			 * serving small requests */
			b->prev = a->blk->prev;
			a->blk->prev = b;
			return b->data;
		}
		b->prev = a->blk;
		a->blk = b;
		a->size = sz;
		off = 0;
	}
	p = a->blk->data + off;
	a->used = off + n;
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	size_t	 n;
	char	*d;

	if (s == NULL)
		return NULL;
	n = strlen(s) + 1;
	/* strings need no alignment: pack them */
	if (a->blk != NULL && a->size - a->used >= n) {
		d = (char *)a->blk->data + a->used;
		a->used += n;
	} else if ((d = arena_alloc(a, n)) == NULL)
		return NULL;
	memcpy(d, s, n);
	return d;
}

void
arena_adopt(struct arena *to, struct arena *from)
{
	struct arena_blk	*oldest;

	if (from->blk == NULL)
		return;
	if (to->blk == NULL) {
		*to = *from;
	} else {
		/* FROM's chain goes below TO's newest block, which stays the
		 * one TO allocates from */
		for (oldest = from->blk; oldest->prev != NULL;
		    oldest = oldest->prev)
			;
		oldest->prev = to->blk->prev;
		to->blk->prev = from->blk;
	}
	from->blk = NULL;
	from->used = from->size = 0;
}

void
arena_free(struct arena *a)
{
	struct arena_blk	*b, *p;

	if (a == NULL)
		return;
	for (b = a->blk; b != NULL; b = p) {
		p = b->prev;
		free(b);
	}
	a->blk = NULL;
	a->used = a->size = 0;
}
