/*
 * arena: the items' strings of a batch live in one (input.h).  Every
 * allocation must be aligned for any object even after packed strings,
 * zeroed, and kept intact while later ones (small, and larger than a
 * block) are made; strings must round-trip.
 */
#include <stdalign.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "tap.h"

int
main(void)
{
	struct arena	 a = ARENA_INIT;
	char		*s[5000], want[64], *big, *tiny;
	unsigned char	*p;
	size_t		 i, k;
	int		 aligned = 1, zeroed = 1, intact = 1;

	tap_ok(arena_strdup(&a, NULL) == NULL, "a NULL string stays NULL");
	for (i = 0; i < 5000; i++) {
		snprintf(want, sizeof(want), "string %zu of the batch", i);
		if ((s[i] = arena_strdup(&a, want + (i % 7))) == NULL)
			break;
		/* after an odd-length string: the next object is aligned */
		if ((p = arena_alloc(&a, 1 + i % 40)) == NULL)
			break;
		if ((uintptr_t)p % alignof(max_align_t) != 0)
			aligned = 0;
		for (k = 0; k < 1 + i % 40; k++)
			if (p[k] != 0)
				zeroed = 0;
		memset(p, 0xff, 1 + i % 40);
	}
	tap_ok(i == 5000, "5,000 strings and 5,000 objects (several blocks)");
	tap_ok(aligned, "every object aligned for any type after strings");
	tap_ok(zeroed, "every object zeroed");
	big = arena_alloc(&a, 300 * 1024);
	tiny = arena_strdup(&a, "after the big one");
	tap_ok(big != NULL && (uintptr_t)big % alignof(max_align_t) == 0,
	    "an object larger than a block");
	if (big != NULL)
		memset(big, 0xee, 300 * 1024);
	tap_is(tiny, "after the big one", "a string after it");
	for (i = 0; i < 5000; i++) {
		snprintf(want, sizeof(want), "string %zu of the batch", i);
		if (strcmp(s[i], want + (i % 7)) != 0)
			intact = 0;
	}
	tap_ok(intact, "the earlier strings are intact");
	arena_free(&a);
	tap_ok(a.blk == NULL && a.used == 0 && a.size == 0, "freed: empty");
	tap_is(arena_strdup(&a, "again"), "again", "usable after arena_free");
	arena_free(&a);
	arena_free(NULL);
	return tap_done();
}
