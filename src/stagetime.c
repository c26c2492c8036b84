/* Stage timings for -vv (see stagetime.h). */
#include <time.h>

#include "msg.h"
#include "stagetime.h"

static double
stagetime_since(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

void
stagetime_start(struct stagetime *st)
{
	clock_gettime(CLOCK_MONOTONIC, &st->wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &st->cpu);
}

void
stagetime_mark(struct stagetime *st, const char *stage)
{
	struct timespec	 w, c;

	if (msg_verbosity < 2)
		return;
	clock_gettime(CLOCK_MONOTONIC, &w);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c);
	msg_debug("time: %s: %.3f s wall, %.3f s cpu", stage,
	    stagetime_since(&st->wall, &w), stagetime_since(&st->cpu, &c));
	st->wall = w;
	st->cpu = c;
}
