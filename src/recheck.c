/*
 * The duplicate recheck overlapped with the modifies (see recheck.h).
 * The main thread moves `settled` forward as replies come in; the thread
 * takes what is settled in slices of RECHECK_SLICE changes and runs
 * plan_dup_check over its own connection.  The changes it reads are
 * final (apply_run does not touch them again) and the mutex hands them
 * over, so nothing is written by one thread while the other reads it.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "thread.h"
#include "recheck.h"

/* Changes per slice: ten searches of 100 values, enough to keep 8 going. */
#define RECHECK_SLICE	1000

struct recheck {
	const struct changes	*cs;
	struct dir		*d2;		/* owned: the thread's */
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	size_t			 settled;	/* main: [0, settled) final */
	int			 finish;	/* main: apply is over */
	size_t			 checked;	/* thread: [0, checked) done */
	struct recheck_hit	*hits;		/* thread's until joined */
	size_t			 nhits, hitcap;
	int			 oom;
};

/* One slice's values, and where each came from. */
struct recheck_slice {
	struct recheck	*r;
	size_t		*chg, *val;
};

static void
recheck_report(void *arg, size_t i, const char *holder, const char *err)
{
	struct recheck_slice	*s = arg;
	struct recheck		*r = s->r;
	struct recheck_hit	*h;
	size_t			 cap;

	if (r->nhits == r->hitcap) {
		cap = r->hitcap ? r->hitcap * 2 : 16;
		if ((h = realloc(r->hits, cap * sizeof(*h))) == NULL) {
			r->oom = 1;
			return;
		}
		r->hits = h;
		r->hitcap = cap;
	}
	h = &r->hits[r->nhits];
	h->chg = s->chg[i];
	h->val = s->val[i];
	h->holder = holder != NULL ? strdup(holder) : NULL;
	h->err = err != NULL ? strdup(err) : NULL;
	if ((holder != NULL && h->holder == NULL) ||
	    (err != NULL && h->err == NULL)) {
		free(h->holder);
		free(h->err);
		r->oom = 1;
		return;
	}
	r->nhits++;
}

/* Frees the strings of N hits, not the array. */
static void
recheck_hits_clear(struct recheck_hit *h, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(h[i].holder);
		free(h[i].err);
	}
}

/* Rechecks the values added by changes [from, to); 0 or -1. */
static int
recheck_slice(struct recheck *r, size_t from, size_t to)
{
	const struct change	*c;
	struct recheck_slice	 s = { r, NULL, NULL };
	char			**vals = NULL, **owners = NULL;
	size_t			 i, j, n = 0;
	int			 rc = -1;

	for (i = from; i < to; i++)
		if (r->cs->v[i].status == CHANGE_DONE &&
		    r->cs->v[i].attr == NULL)
			n += r->cs->v[i].add.n;
	if (n == 0)
		return 0;
	if ((vals = calloc(n, sizeof(*vals))) == NULL ||
	    (owners = calloc(n, sizeof(*owners))) == NULL ||
	    (s.chg = calloc(n, sizeof(*s.chg))) == NULL ||
	    (s.val = calloc(n, sizeof(*s.val))) == NULL)
		goto out;
	for (i = from, n = 0; i < to; i++) {
		c = &r->cs->v[i];
		for (j = 0; c->status == CHANGE_DONE && c->attr == NULL &&
		    j < c->add.n; j++, n++) {
			vals[n] = c->add.v[j];
			owners[n] = c->dn;
			s.chg[n] = i;
			s.val[n] = j;
		}
	}
	if (plan_dup_check(r->d2, vals, owners, n, recheck_report, &s) == 0 &&
	    !r->oom)
		rc = 0;
out:
	free(vals);
	free(owners);
	free(s.chg);
	free(s.val);
	return rc;
}

static void *
recheck_main(void *arg)
{
	struct recheck	*r = arg;
	size_t		 from = 0, to, kept;
	int		 last;

	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (!r->finish && r->settled - from < RECHECK_SLICE)
			pthread_cond_wait(&r->cv, &r->mu);
		/* at the end the rest is the caller's: it knows the outcome */
		last = r->finish;
		to = r->settled;
		pthread_mutex_unlock(&r->mu);
		if (last || to == from)
			break;
		kept = r->nhits;
		if (recheck_slice(r, from, to) == -1) {
			/* the caller checks this slice again, in full */
			recheck_hits_clear(r->hits + kept, r->nhits - kept);
			r->nhits = kept;
			break;
		}
		from = to;
		pthread_mutex_lock(&r->mu);
		r->checked = from;
		pthread_mutex_unlock(&r->mu);
	}
	return NULL;
}

struct recheck *
recheck_start(const struct dir_opts *opts, struct dir *d,
    const struct changes *cs)
{
	struct recheck	*r = NULL;
	size_t		 i, n = 0;

	for (i = 0; i < cs->n; i++)
		n += cs->v[i].attr == NULL && cs->v[i].add.n > 0;
	/* one slice or less: nothing to overlap; -W: no second prompt */
	if (n <= RECHECK_SLICE || opts->prompt)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	if ((r->d2 = dir_open_twin(opts, d, "the recheck", "the values are "
	    "checked again after the run instead")) == NULL) {
		free(r);
		return NULL;
	}
	r->cs = cs;
	if (pthread_mutex_init(&r->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&r->cv, NULL) != 0) {
		pthread_mutex_destroy(&r->mu);
		goto fail;
	}
	if (thread_start(&r->thread, recheck_main, r) == -1) {
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		goto fail;
	}
	return r;
fail:
	dir_close(r->d2);
	free(r);
	return NULL;
}

void
recheck_settled(void *arg, size_t upto)
{
	struct recheck	*r = arg;

	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->settled = upto;
	if (r->settled - r->checked >= RECHECK_SLICE)
		pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

void
recheck_finish(struct recheck *r, size_t *checked, struct recheck_hit **hits,
    size_t *nhits)
{
	*checked = 0;
	*hits = NULL;
	*nhits = 0;
	if (r == NULL)
		return;
	pthread_mutex_lock(&r->mu);
	r->finish = 1;
	pthread_cond_signal(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->thread, NULL);
	*checked = r->checked;
	*hits = r->hits;
	*nhits = r->nhits;
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	dir_close(r->d2);
	free(r);
}

void
recheck_hits_free(struct recheck_hit *h, size_t n)
{
	recheck_hits_clear(h, n);
	free(h);
}
