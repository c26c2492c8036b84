/*
 * arena: strings and small arrays that live as long as a batch, allocated
 * from large blocks and freed all at once.  A row of a million-row batch
 * holds a dozen short strings (its source, identifier, certificate facts,
 * account): one malloc each costs a chunk header and rounding, often more
 * than the string.
 */
#ifndef CERTBULK_ARENA_H
#define CERTBULK_ARENA_H

#include <stddef.h>

struct arena_blk;

struct arena {
	struct arena_blk *blk;	/* owned: the newest block, linked to the
				   older ones */
	size_t		  used;	/* bytes used of the newest block */
	size_t		  size;	/* bytes of the newest block */
};

#define ARENA_INIT { NULL, 0, 0 }

/*
 * N bytes aligned for any object, zeroed, valid until arena_free; or NULL
 * (ENOMEM).
 */
void	*arena_alloc(struct arena *, size_t n);
/* A copy of S in the arena; NULL for S NULL or on ENOMEM. */
char	*arena_strdup(struct arena *, const char *s);
/*
 * Moves every block of FROM into TO (no copy): strings of FROM stay valid
 * until arena_free(TO); FROM is left empty.  TO keeps allocating from its
 * own newest block.
 */
void	 arena_adopt(struct arena *to, struct arena *from);
/* Frees every block; the arena is empty again. NULL-safe. */
void	 arena_free(struct arena *);

#endif
