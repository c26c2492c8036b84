/*
 * tap.h: a tiny TAP producer for the C unit tests.  Each test binary
 * prints "ok N - name" lines and a plan at the end; prove reads them.
 */
#ifndef CERTBULK_TAP_H
#define CERTBULK_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static void
tap_ok(int cond, const char *name)
{
	printf("%sok %d - %s\n", cond ? "" : "not ", ++tap_n, name);
	if (!cond)
		tap_failed++;
}

/* Compares two strings (NULL allowed), showing both on a mismatch. */
static void
tap_is(const char *got, const char *want, const char *name)
{
	int	same = (got == NULL || want == NULL) ? got == want :
		    strcmp(got, want) == 0;

	tap_ok(same, name);
	if (!same)
		printf("#   expected: [%s]\n#        got: [%s]\n",
		    want ? want : "(null)", got ? got : "(null)");
}

static int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
