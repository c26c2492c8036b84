/*
 * run_incr_key: what goes into the incremental key comes from the run's
 * option table, a RUN_KEY_* per option.  Every option must have one (a
 * new option without it fails here), the options that change what a
 * file's items become must be in the key (else a nightly run would keep
 * the items of an unchanged file computed under other options), and the
 * ones that only change output, logging or the apply must not (else every
 * run would read everything).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "subcmd.h"
#include "tap.h"

/* the run's options that change the items an unchanged file gives */
static const char *const plan_changing[] = {
	"type", "match", "allow-expired", "ca-file", "crl-file", "crl-check",
	"kdc", "upgrade-weak", "prune-weak", "trust-csv", "allow-protected",
	"scope", "group", "skip-disabled", NULL
};
/* ... and some that do not */
static const char *const not_plan[] = {
	"preview", "output", "report", "log", "verbose", "quiet", "timeout",
	"window", "transaction", "state-dir", "full", "prune", NULL
};

/* main.c's, which the library does not hold; never called here */
void
usage_print(void *fp)
{
	(void)fp;
}

static int
longval(const char *name)
{
	const struct option	*lo;
	size_t			 i;

	for (i = 0; (lo = run_option(i)) != NULL; i++)
		if (strcmp(lo->name, name) == 0)
			return lo->val;
	return -1;
}

int
main(void)
{
	const struct option	*lo;
	const char		*p;
	char			 name[96];
	size_t			 i, n = 0, unclassified = 0;

	for (i = 0; (lo = run_option(i)) != NULL; i++, n++)
		if (!run_option_classified(i)) {
			printf("# --%s has no RUN_KEY_IN/OUT in run_opts\n",
			    lo->name);
			unclassified++;
		}
	tap_ok(n > 30, "run_option lists the run's long options");
	tap_ok(unclassified == 0, "every run option says whether it is in the key");
	for (i = 0; plan_changing[i] != NULL; i++) {
		snprintf(name, sizeof(name), "--%s is in the key",
		    plan_changing[i]);
		tap_ok(longval(plan_changing[i]) != -1 &&
		    run_option_key(longval(plan_changing[i])) == RUN_KEY_IN,
		    name);
	}
	for (i = 0; not_plan[i] != NULL; i++) {
		snprintf(name, sizeof(name), "--%s is not in the key",
		    not_plan[i]);
		tap_ok(longval(not_plan[i]) != -1 &&
		    run_option_key(longval(not_plan[i])) == RUN_KEY_OUT, name);
	}
	tap_ok(run_option_key('H') == RUN_KEY_IN, "-H (another directory) is in the key");
	tap_ok(run_option_key('b') == RUN_KEY_IN, "-b (another subtree) is in the key");
	tap_ok(run_option_key('v') == RUN_KEY_OUT && run_option_key('n') ==
	    RUN_KEY_OUT && run_option_key('y') == RUN_KEY_OUT,
	    "-v, -n, -y are not");
	for (p = RUN_SHORTOPTS, n = 0; *p != '\0'; p++)
		if (*p != ':' && run_option_key((unsigned char)*p) != RUN_KEY_IN &&
		    run_option_key((unsigned char)*p) != RUN_KEY_OUT)
			n++;
	tap_ok(n == 0, "every short option has a class");
	lo = run_option(0);
	tap_is(lo != NULL ? lo->name : NULL, "csv",
	    "run_option(0) is the table's first line");
	tap_ok(run_option_key(100000) == RUN_KEY_IN,
	    "an unknown option counts as in the key (the safe side)");
	return tap_done();
}
