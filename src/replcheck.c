/*
 * replcheck: --verify-on DC2 (replcheck.h).  Only the public directory
 * API: the second DC is opened like the first, with the same bind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "altsec.h"
#include "dir_forest.h"
#include "msg.h"
#include "replcheck.h"

/* Seconds between two reads of the accounts still waited for. */
#define REPLCHECK_POLL	2

static int
replcheck_has(const struct strlist *vals, const char *v)
{
	size_t	i;

	for (i = 0; i < vals->n; i++)
		if (altsec_casecmp(vals->v[i], v) == 0)
			return 1;
	return 0;
}

/* 1 if C's change is on the entry as read (FOUND, VALS), else 0. */
static int
replcheck_arrived(const struct change *c, int found,
    const struct strlist *vals)
{
	size_t	i;

	if (!found)
		return 0;
	for (i = 0; i < c->add.n; i++)
		if (!replcheck_has(vals, c->add.v[i]))
			return 0;
	for (i = 0; i < c->del.n; i++)
		if (replcheck_has(vals, c->del.v[i]))
			return 0;
	return 1;
}

/* Says what of C has not arrived on DC2 (URI) after SECS seconds. */
static void
replcheck_missing(const struct change *c, int found,
    const struct strlist *vals, const char *uri, long secs)
{
	size_t	i;

	if (!found) {
		msg_err("\"%s\": not on %s after %ld s: the entry is not there "
		    "(not replicated yet, or another naming context)", c->dn,
		    uri, secs);
		return;
	}
	for (i = 0; i < c->add.n; i++)
		if (!replcheck_has(vals, c->add.v[i]))
			msg_err("\"%s\": not replicated to %s after %ld s: "
			    "added value %s is not there yet", c->dn, uri,
			    secs, c->add.v[i]);
	for (i = 0; i < c->del.n; i++)
		if (replcheck_has(vals, c->del.v[i]))
			msg_err("\"%s\": not replicated to %s after %ld s: "
			    "removed value %s is still there", c->dn, uri,
			    secs, c->del.v[i]);
}

int
replcheck_run(const struct dir_opts *o, const char *uri, const char *dc2,
    int wait, const struct changes *cs)
{
	struct dir_opts	 o2 = *o;
	struct dir	*d2 = NULL;
	struct strlist	*vals = NULL;
	const struct change **pend = NULL;
	char		**dns = NULL, *u2 = NULL;
	int		*found = NULL, usage_err;
	size_t		 i, n = 0, left;
	time_t		 start;
	long		 secs;
	int		 rc = -1;

	/* accounts of other domains (forest.h) replicate among their own
	 * domain's DCs, not to DC2 */
	for (i = 0; i < cs->n; i++)
		n += cs->v[i].status == CHANGE_DONE && cs->v[i].attr == NULL &&
		    !cs->v[i].foreign;
	if (n == 0)
		return 0;
	if (strstr(dc2, "://") != NULL)
		u2 = strdup(dc2);
	else if ((u2 = dir_uri_with_host(uri, dc2, 0)) == NULL)
		return -1;
	if (u2 == NULL || (pend = calloc(n, sizeof(*pend))) == NULL ||
	    (dns = calloc(n, sizeof(*dns))) == NULL ||
	    (vals = calloc(n, sizeof(*vals))) == NULL ||
	    (found = calloc(n, sizeof(*found))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0, n = 0; i < cs->n; i++)
		if (cs->v[i].status == CHANGE_DONE && cs->v[i].attr == NULL &&
		    !cs->v[i].foreign)
			pend[n++] = &cs->v[i];
	o2.uri = u2;
	o2.dc = NULL;
	o2.gc = NULL;
	if ((d2 = dir_open(&o2, &usage_err)) == NULL) {
		msg_err("--verify-on %s: cannot read the changed accounts there",
		    u2);
		goto out;
	}
	msg_info("--verify-on: waiting up to %d s for %zu changed accounts "
	    "to replicate to %s (%s)", wait, n, dir_uri(d2), dir_server(d2));
	start = time(NULL);
	left = n;
	for (;;) {
		for (i = 0; i < left; i++)
			dns[i] = pend[i]->dn;
		if (dir_read_many(d2, dns, left, vals, found, NULL) == -1)
			goto out;
		/* keep those still waited for at the front */
		for (i = 0; i < left; ) {
			if (replcheck_arrived(pend[i], found[i], &vals[i])) {
				left--;
				pend[i] = pend[left];
				strlist_free(&vals[i]);
				vals[i] = vals[left];
				memset(&vals[left], 0, sizeof(vals[left]));
				found[i] = found[left];
			} else
				i++;
		}
		secs = (long)(time(NULL) - start);
		if (left == 0 || secs >= wait)
			break;
		sleep(wait - secs < REPLCHECK_POLL ? (unsigned)(wait - secs) :
		    REPLCHECK_POLL);
	}
	if (left == 0) {
		msg_note("--verify-on %s: all %zu changed accounts hold the "
		    "run's values there (after %ld s)", dir_uri(d2), n, secs);
		rc = 0;
		goto out;
	}
	for (i = 0; i < left; i++)
		replcheck_missing(pend[i], found[i], &vals[i], dir_uri(d2),
		    secs);
	msg_err("--verify-on %s: %zu of %zu changed accounts have not "
	    "replicated there within %d s (--replication-wait)", dir_uri(d2),
	    left, n, wait);
	rc = 1;
out:
	for (i = 0; vals != NULL && i < n; i++)
		strlist_free(&vals[i]);
	free(vals);
	free(found);
	free(dns);
	free(pend);
	free(u2);
	dir_close(d2);
	return rc;
}
