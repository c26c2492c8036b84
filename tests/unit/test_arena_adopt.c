/*
 * arena_adopt: the plan hands the accounts' strings (DN, objectGUID,
 * sAMAccountName) to the input's arena instead of copying them per item
 * (plan_build).  Every string of both arenas must stay intact after the
 * move, the source must be left empty and reusable, the target must go
 * on allocating, and an empty source or target must work.  Run under
 * make asan, a block lost or freed twice shows as a leak or an error.
 */
#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "tap.h"

#define NSTR 3000	/* several blocks on each side */

/* Fills A with NSTR strings "TAG I", kept in S; 0 or -1. */
static int
fill(struct arena *a, char **s, const char *tag)
{
	char	buf[64];
	size_t	i;

	for (i = 0; i < NSTR; i++) {
		snprintf(buf, sizeof(buf), "%s %zu of the batch", tag, i);
		if ((s[i] = arena_strdup(a, buf)) == NULL)
			return -1;
	}
	return 0;
}

/* 1 if every string of S still reads "TAG I". */
static int
intact(char **s, const char *tag)
{
	char	buf[64];
	size_t	i;

	for (i = 0; i < NSTR; i++) {
		snprintf(buf, sizeof(buf), "%s %zu of the batch", tag, i);
		if (strcmp(s[i], buf) != 0)
			return 0;
	}
	return 1;
}

int
main(void)
{
	static char	*in[NSTR], *acc[NSTR], *more[NSTR];
	struct arena	 a = ARENA_INIT, b = ARENA_INIT, e = ARENA_INIT;
	char		*x;

	tap_ok(fill(&a, in, "item") == 0 && fill(&b, acc, "account") == 0,
	    "setup: two arenas of several blocks each");
	arena_adopt(&a, &b);
	tap_ok(b.blk == NULL && b.used == 0 && b.size == 0,
	    "the source is left empty");
	tap_ok(intact(in, "item"), "the target's strings are intact");
	tap_ok(intact(acc, "account"), "the adopted strings are intact");
	tap_ok(fill(&a, more, "later") == 0 && intact(more, "later") &&
	    intact(in, "item") && intact(acc, "account"),
	    "the target goes on allocating, nothing overwritten");
	x = arena_strdup(&b, "source again");
	tap_is(x, "source again", "the source is usable again");
	arena_free(&b);
	tap_ok(intact(acc, "account") && intact(more, "later"),
	    "freeing the emptied source leaves the adopted blocks alone");
	arena_adopt(&a, &e);
	tap_ok(intact(in, "item"), "adopting an empty arena changes nothing");
	arena_adopt(&e, &a);
	tap_ok(a.blk == NULL && intact(in, "item") && intact(acc, "account") &&
	    intact(more, "later"), "an empty target takes every block");
	arena_free(&e);
	arena_free(&a);
	return tap_done();
}
