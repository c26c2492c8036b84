/*
 * stagetime: where a run's time goes, stage by stage, for -vv: the wall
 * clock and the process's CPU time (all threads) since the previous mark.
 * On two cores the two tell a stage that waits for the directory from one
 * that keeps the client busy.
 */
#ifndef CERTBULK_STAGETIME_H
#define CERTBULK_STAGETIME_H

#include <time.h>

struct stagetime {
	struct timespec	 wall;	/* at the previous mark */
	struct timespec	 cpu;
};

/* Starts counting. */
void	stagetime_start(struct stagetime *);
/* With -vv: "time: STAGE: W s wall, C s cpu"; then counts from here. */
void	stagetime_mark(struct stagetime *, const char *stage);

#endif
