/*
 * An undo planned a slice at a time while its modifies go out (see
 * undoflow.h).  The thread owns the second connection and the records;
 * slices' changes pass to the main thread through `done` under the mutex.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "thread.h"
#include "undoflow.h"

/* Records per slice (at least; an entry's records stay together). */
#define UNDOFLOW_SLICE	1000

struct undoflow_slice {
	struct changes	 cs;		/* plan_undo's changes */
	size_t		 missing, refused;
	int		 rc;
};

struct undoflow {
	struct dir		*d2;		/* owned: the thread's */
	struct changes		 want;		/* owned: sorted by entry */
	size_t			*cut;		/* slice k: [cut[k], cut[k+1]) */
	size_t			 nslice;
	struct undoflow_slice	*sl;		/* per slice */
	size_t			*missing, *refused;	/* the caller's */
	pthread_t		 thread;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	size_t			 ready;		/* thread: slices [0, ready) */
	size_t			 taken;		/* main: slices handed out */
	int			 stop;		/* main: read no more */
	int			 failed;	/* thread: a slice failed */
};

int
undoflow_fits(const struct changes *want)
{
	size_t	i;

	if (want->n <= UNDOFLOW_SLICE)
		return 0;
	for (i = 0; i < want->n; i++)
		if (want->v[i].add.n > 0 || want->v[i].attr != NULL)
			return 0;
	return 1;
}

/* By DN as plan_undo groups them, then as given (a stable sort). */
static int
undoflow_cmp(const void *a, const void *b, void *arg)
{
	const struct change	*v = arg;
	size_t			 i = *(const size_t *)a, j = *(const size_t *)b;
	int			 c;

	c = strcasecmp(v[i].dn, v[j].dn);
	if (c != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* Sorts WANT by entry and cuts it into slices at entry boundaries. */
static int
undoflow_slices(struct undoflow *f)
{
	struct change	*v = NULL;
	size_t		*order = NULL, i, n = f->want.n;
	int		 rc = -1;

	if ((order = calloc(n, sizeof(*order))) == NULL ||
	    (v = calloc(n, sizeof(*v))) == NULL ||
	    (f->cut = calloc(n / UNDOFLOW_SLICE + 2, sizeof(*f->cut))) ==
	    NULL)
		goto out;
	for (i = 0; i < n; i++)
		order[i] = i;
	qsort_r(order, n, sizeof(*order), undoflow_cmp, f->want.v);
	for (i = 0; i < n; i++)
		v[i] = f->want.v[order[i]];	/* moved: strings owned */
	free(f->want.v);
	f->want.v = v;
	f->want.cap = n;
	v = NULL;
	f->cut[0] = 0;
	for (i = 0, f->nslice = 0; i < n; ) {
		i = i + UNDOFLOW_SLICE < n ? i + UNDOFLOW_SLICE : n;
		while (i < n && strcasecmp(f->want.v[i - 1].dn,
		    f->want.v[i].dn) == 0)
			i++;
		f->cut[++f->nslice] = i;
	}
	if ((f->sl = calloc(f->nslice, sizeof(*f->sl))) == NULL)
		goto out;
	rc = 0;
out:
	free(order);
	free(v);
	return rc;
}

static void *
undoflow_main(void *arg)
{
	struct undoflow		*f = arg;
	struct undoflow_slice	*s;
	struct changes		 part;
	size_t			 k;
	int			 stop;

	for (k = 0; k < f->nslice; k++) {
		pthread_mutex_lock(&f->mu);
		stop = f->stop;
		pthread_mutex_unlock(&f->mu);
		if (stop)
			break;
		s = &f->sl[k];
		/* a view of the slice's records: plan_undo only reads them */
		part.v = f->want.v + f->cut[k];
		part.n = f->cut[k + 1] - f->cut[k];
		part.cap = part.n;
		s->rc = plan_undo(f->d2, &part, &s->cs, &s->missing,
		    &s->refused);
		pthread_mutex_lock(&f->mu);
		f->ready = k + 1;
		if (s->rc == -1)
			f->failed = 1;
		pthread_cond_signal(&f->cv);
		pthread_mutex_unlock(&f->mu);
		if (s->rc == -1)
			break;
	}
	pthread_mutex_lock(&f->mu);
	f->stop = 1;	/* nothing more comes */
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	return NULL;
}

struct undoflow *
undoflow_start(const struct dir_opts *opts, struct dir *d,
    struct changes *want, size_t *missing, size_t *refused)
{
	struct undoflow	*f;

	if (opts->prompt || (f = calloc(1, sizeof(*f))) == NULL)
		return NULL;
	if ((f->d2 = dir_open_twin(opts, d, "reading the undo's entries",
	    "they are read before the modifies instead")) == NULL) {
		free(f);
		return NULL;
	}
	f->want = *want;
	if (undoflow_slices(f) == -1)
		goto fail;
	f->missing = missing;
	f->refused = refused;
	if (pthread_mutex_init(&f->mu, NULL) != 0)
		goto fail;
	if (pthread_cond_init(&f->cv, NULL) != 0) {
		pthread_mutex_destroy(&f->mu);
		goto fail;
	}
	if (thread_start(&f->thread, undoflow_main, f) == -1) {
		pthread_cond_destroy(&f->cv);
		pthread_mutex_destroy(&f->mu);
		goto fail;
	}
	memset(want, 0, sizeof(*want));
	msg_debug("undo: %zu records read in %zu slices while the modifies go "
	    "out", f->want.n, f->nslice);
	return f;
fail:
	/* the records go back as they were given, if in another order */
	*want = f->want;
	dir_close(f->d2);
	free(f->cut);
	free(f->sl);
	free(f);
	return NULL;
}

int
undoflow_next(struct undoflow *f, struct changes *out)
{
	struct undoflow_slice	*s;
	struct change		*c;
	size_t			 i;
	int			 rc = -1;

	pthread_mutex_lock(&f->mu);
	while (f->ready <= f->taken && !f->stop)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->ready <= f->taken) {
		rc = f->failed ? -1 : 0;
		pthread_mutex_unlock(&f->mu);
		return rc;
	}
	s = &f->sl[f->taken++];
	pthread_mutex_unlock(&f->mu);
	if (s->rc == -1)
		return -1;
	*f->missing += s->missing;
	*f->refused += s->refused;
	/* moved into OUT: the slice keeps nothing */
	for (i = 0; i < s->cs.n; i++) {
		if ((c = changes_add(out, s->cs.v[i].dn)) == NULL) {
			msg_err("out of memory");
			/* the slice keeps what was not moved, for its free */
			memmove(s->cs.v, s->cs.v + i, (s->cs.n - i) *
			    sizeof(*s->cs.v));
			s->cs.n -= i;
			return -1;
		}
		free(c->dn);
		*c = s->cs.v[i];
	}
	free(s->cs.v);
	memset(&s->cs, 0, sizeof(s->cs));
	return 1;
}

void
undoflow_free(struct undoflow *f)
{
	size_t	k;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = 1;
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->thread, NULL);
	pthread_cond_destroy(&f->cv);
	pthread_mutex_destroy(&f->mu);
	for (k = 0; k < f->nslice; k++)
		changes_free(&f->sl[k].cs);
	changes_free(&f->want);
	free(f->sl);
	free(f->cut);
	dir_close(f->d2);
	free(f);
}
