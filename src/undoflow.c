/*
 * An undo planned a slice at a time while its modifies go out (see
 * undoflow.h).  The thread owns the second connection and the records;
 * slices' changes pass to the main thread through `sl` under the mutex.
 * The values added back are checked by the main thread, on the run's own
 * connection, against a snapshot of their holders taken before the first
 * modify (undoflow_snap) while the thread reads the first slice.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "altsec.h"
#include "msg.h"
#include "thread.h"
#include "undoflow.h"

/* Records per slice (at least; an entry's records stay together). */
#define UNDOFLOW_SLICE	1000

struct undoflow_slice {
	struct changes	 cs;		/* plan_undo_entries' changes */
	size_t		 missing;
	int		 rc;
};

/*
 * A value some record adds back that an account held before any modify
 * (or that could not be looked up).  Only those are kept: every value a
 * change adds is a record's (plan_undo_entries adds nothing else), and
 * all of those were looked up, so a value not kept had no holder.
 */
struct undoflow_val {
	const char	*value;	/* not owned: a record's */
	struct strlist	 ev;	/* as plan_dup_check reported them, in order:
				   "H" and a holder's DN, or "E" and why the
				   value could not be looked up */
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
	/* main thread only, from here on */
	struct undoflow_val	*vals;		/* held values, sorted by
						   strcmp, unique */
	size_t			 nval;
	const char		**contested;	/* sorted by altsec_casecmp */
	size_t			 ncont;
	struct changes		 held;		/* they wait for the last slice */
	int			 heldout;	/* held: handed out */
	int			 snapfail;	/* no snapshot: send nothing */
	int			 oom;
	struct strlist		*snap;		/* undoflow_snap's, per value */
};

int
undoflow_fits(const struct changes *want)
{
	const char	*w;
	size_t		 i;

	/* a debugging switch: the whole plan, to compare the two */
	if ((w = getenv("CERTBULK_UNDO_WHOLE")) != NULL && strcmp(w, "1") == 0)
		return 0;
	if (want->n <= UNDOFLOW_SLICE)
		return 0;
	for (i = 0; i < want->n; i++)
		if (want->v[i].attr != NULL)
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
		s->rc = plan_undo_entries(f->d2, &part, &s->cs, &s->missing);
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

/*
 * Why the values added back are checked before the first modify and the
 * entries after.  The whole plan (plan_undo) refuses a value that another
 * account held before any of the undo's modifies, and one the undo would
 * add to two entries.  Both need more than a slice:
 *
 * - Who holds each value: all the values any record adds back are looked
 *   up here, once, on the run's connection (holder-only searches,
 *   pipelined: cheap next to reading entries) while the thread reads the
 *   first slice.  Each slice's changes are then checked against that
 *   snapshot, not against the directory as earlier slices left it: an
 *   account an earlier slice took the value from still counts as its
 *   holder, as in the whole plan.  Ordering slices so that removals go
 *   first and checking per slice would not give that: a value the undo
 *   takes from one account and gives another would be added where the
 *   whole plan refuses it, and a modify that failed would leave the order
 *   unsound.
 * - A value two entries would get: only the records say which values may
 *   be added to more than one entry (a record adds it, for entries of
 *   different DNs: "contested").  The changes that add a contested value
 *   wait for the last slice and are checked among themselves as the whole
 *   plan checks all changes (any pair of changes adding one value adds a
 *   contested one).  Usually there are none.
 *
 * So each change is sent with the same values as the whole plan would
 * send, and each refusal has the same message; only their order differs
 * (per slice instead of all entries first).
 */
static int
undoflow_valcmp(const void *a, const void *b)
{
	return strcmp(((const struct undoflow_val *)a)->value,
	    ((const struct undoflow_val *)b)->value);
}

static int
undoflow_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int
undoflow_altcmp(const void *a, const void *b)
{
	return altsec_casecmp(*(const char *const *)a,
	    *(const char *const *)b);
}

/* A value a record adds, with the number of its entry's group. */
struct undoflow_add {
	const char	*value;
	size_t		 group;
};

static int
undoflow_addcmp(const void *a, const void *b)
{
	const struct undoflow_add	*x = a, *y = b;
	int				 c;

	c = altsec_casecmp(x->value, y->value);
	if (c != 0)
		return c;
	return x->group < y->group ? -1 : x->group > y->group;
}

/* plan_dup_check's report: one more event for value I. */
static void
undoflow_snap_report(void *arg, size_t i, const char *holder,
    const char *err)
{
	struct undoflow	*f = arg;
	const char	*what = err != NULL ? err : holder;
	size_t		 len = strlen(what);
	char		*ev;

	if ((ev = malloc(len + 2)) == NULL) {
		f->oom = 1;
		return;
	}
	ev[0] = err != NULL ? 'E' : 'H';
	memcpy(ev + 1, what, len + 1);
	if (strlist_add(&f->snap[i], ev) == -1)
		f->oom = 1;
	free(ev);
}

/*
 * The values the records add back: who holds each (the snapshot) and
 * which ones more than one entry may get.  On the run's connection D,
 * while the thread reads (it only reads the records too).
 */
static int
undoflow_snap(struct undoflow *f, struct dir *d)
{
	struct undoflow_add	*adds = NULL;
	const struct change	*w;
	char			**vals = NULL, **owners = NULL;
	const char		**c;
	size_t			 i, j, k, n = 0, group = 0, nadd = 0, cap = 0;
	int			 rc = -1;

	for (i = 0; i < f->want.n; i++)
		nadd += f->want.v[i].add.n;
	if (nadd == 0)
		return 0;
	if ((adds = calloc(nadd, sizeof(*adds))) == NULL)
		goto oom;
	for (i = 0; i < f->want.n; i++) {
		w = &f->want.v[i];
		/* the groups plan_undo_entries makes: one per DN */
		if (i > 0 && strcasecmp(f->want.v[i - 1].dn, w->dn) != 0)
			group++;
		for (j = 0; j < w->add.n; j++) {
			adds[n].value = w->add.v[j];
			adds[n++].group = group;
		}
	}
	qsort(adds, n, sizeof(*adds), undoflow_addcmp);
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && altsec_casecmp(adds[i].value,
		    adds[k].value) == 0; k++)
			;
		if (adds[k - 1].group == adds[i].group)
			continue;
		if (f->ncont == cap) {
			cap = cap < 16 ? 16 : cap * 2;
			if ((c = reallocarray(f->contested, cap,
			    sizeof(*c))) == NULL)
				goto oom;
			f->contested = c;
		}
		f->contested[f->ncont++] = adds[i].value;
	}
	if (f->ncont > 0)
		qsort(f->contested, f->ncont, sizeof(*f->contested),
		    undoflow_altcmp);
	/* each distinct string once: the server's match decides the rest */
	if ((vals = calloc(n, sizeof(*vals))) == NULL ||
	    (owners = calloc(n, sizeof(*owners))) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		vals[i] = (char *)(uintptr_t)adds[i].value;
	qsort(vals, n, sizeof(*vals), undoflow_strcmp);
	for (i = j = 0; i < n; i++)
		if (j == 0 || strcmp(vals[j - 1], vals[i]) != 0)
			vals[j++] = vals[i];
	n = j;
	if ((f->snap = calloc(n, sizeof(*f->snap))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		/* no owner: every holder is kept, and set against the entry
		 * that gets the value once its DN (a rename) is known */
		owners[i] = (char *)(uintptr_t)"";
	}
	if (plan_dup_check(d, vals, owners, n, undoflow_snap_report, f) == -1)
		goto out;
	if (f->oom)
		goto oom;
	/* kept: the values held (usually none), in the same order */
	for (i = 0, k = 0; i < n; i++)
		k += f->snap[i].n > 0;
	if (k > 0 && (f->vals = calloc(k, sizeof(*f->vals))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		if (f->snap[i].n == 0)
			continue;
		f->vals[f->nval].value = vals[i];
		f->vals[f->nval++].ev = f->snap[i];
		memset(&f->snap[i], 0, sizeof(f->snap[i]));
	}
	msg_debug("undo: %zu values added back checked for other holders "
	    "before the first modify (%zu held); %zu may go to more than one "
	    "entry", n, f->nval, f->ncont);
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	for (i = 0; f->snap != NULL && i < n; i++)
		strlist_free(&f->snap[i]);
	free(f->snap);
	f->snap = NULL;
	free(adds);
	free(vals);
	free(owners);
	return rc;
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
	/* not checked is not free: without the snapshot nothing is sent */
	if (undoflow_snap(f, d) == -1)
		f->snapfail = 1;
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

/* Appends C to OUT (moved: C is left empty). */
static int
undoflow_move(struct changes *out, struct change *c)
{
	struct change	*o;

	if ((o = changes_add(out, c->dn)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	free(o->dn);
	*o = *c;
	memset(c, 0, sizeof(*c));
	return 0;
}

/*
 * The snapshot's verdict on C's values to add, as plan_undo_conflicts
 * gives it: KEEP[j] cleared (and reported) for value j held by an account
 * other than C's entry, or not looked up.
 */
static void
undoflow_held(const struct undoflow *f, const struct change *c,
    unsigned char *keep)
{
	struct undoflow_val	 key, *v;
	const char		*ev;
	size_t			 j, e;

	for (j = 0; j < c->add.n; j++) {
		key.value = c->add.v[j];
		/* not kept: no account held it (struct undoflow_val) */
		if (f->nval == 0 || (v = bsearch(&key, f->vals, f->nval,
		    sizeof(*f->vals), undoflow_valcmp)) == NULL)
			continue;
		for (e = 0; e < v->ev.n && keep[j]; e++) {
			ev = v->ev.v[e];
			if (ev[0] == 'E') {
				plan_undo_held_msg(c->dn, c->add.v[j], NULL,
				    ev + 1);
				keep[j] = 0;
			} else if (!dir_dn_equal(ev + 1, c->dn)) {
				plan_undo_held_msg(c->dn, c->add.v[j], ev + 1,
				    NULL);
				keep[j] = 0;
			}
		}
	}
}

/* Keeps of C's values to add those KEEP flags; returns how many went. */
static size_t
undoflow_keep(struct change *c, const unsigned char *keep)
{
	size_t	j, n = 0, gone = 0;

	for (j = 0; j < c->add.n; j++) {
		if (keep[j])
			c->add.v[n++] = c->add.v[j];
		else {
			free(c->add.v[j]);
			gone++;
		}
	}
	c->add.n = n;
	return gone;
}

static int
undoflow_contested(const struct undoflow *f, const struct change *c)
{
	size_t	j;

	for (j = 0; f->ncont > 0 && j < c->add.n; j++)
		if (bsearch(&c->add.v[j], f->contested, f->ncont,
		    sizeof(*f->contested), undoflow_altcmp) != NULL)
			return 1;
	return 0;
}

/*
 * A slice's changes into OUT, checked against the snapshot; the changes
 * adding a contested value into f->held.  CS keeps what was not moved.
 */
static int
undoflow_take(struct undoflow *f, struct changes *cs, struct changes *out)
{
	struct change	*c;
	unsigned char	*keep = NULL;
	size_t		 i;
	int		 rc = -1;

	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		if (c->add.n > 0 && undoflow_contested(f, c)) {
			if (undoflow_move(&f->held, c) == -1)
				goto out;
			continue;
		}
		if (c->add.n > 0) {
			free(keep);
			if ((keep = malloc(c->add.n)) == NULL) {
				msg_err("out of memory");
				goto out;
			}
			memset(keep, 1, c->add.n);
			undoflow_held(f, c, keep);
			*f->refused += undoflow_keep(c, keep);
		}
		if (c->add.n == 0 && c->del.n == 0) {
			change_free(c);		/* all it did was refused */
			continue;
		}
		if (undoflow_move(out, c) == -1)
			goto out;
	}
	rc = 0;
out:
	free(keep);
	return rc;
}

/* One key of the held changes: change I's value J. */
struct undoflow_key {
	const char	*value;
	size_t		 i, j, k;	/* k: into the keep flags */
};

static int
undoflow_keycmp(const void *a, const void *b)
{
	return altsec_casecmp(((const struct undoflow_key *)a)->value,
	    ((const struct undoflow_key *)b)->value);
}

/*
 * The changes held for a contested value, once every slice is planned:
 * the snapshot's verdict, then the values two of them would get, both
 * left out (plan_undo_conflicts on just these: any two changes adding one
 * value are here).
 */
static int
undoflow_release(struct undoflow *f, struct changes *out)
{
	struct changes		*h = &f->held;
	struct undoflow_key	*keys = NULL;
	unsigned char		*keep = NULL;
	size_t			 i, j, k, n = 0, a, b;
	int			 rc = -1;

	for (i = 0; i < h->n; i++)
		n += h->v[i].add.n;
	if ((keys = calloc(n, sizeof(*keys))) == NULL ||
	    (keep = malloc(n)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	memset(keep, 1, n);
	for (i = 0, k = 0; i < h->n; i++) {
		undoflow_held(f, &h->v[i], keep + k);
		for (j = 0; j < h->v[i].add.n; j++, k++) {
			keys[k].value = h->v[i].add.v[j];
			keys[k].i = i;
			keys[k].j = j;
			keys[k].k = k;
		}
	}
	qsort(keys, n, sizeof(*keys), undoflow_keycmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && altsec_casecmp(keys[i].value,
		    keys[j].value) == 0; j++)
			;
		for (a = i; a < j; a++)
			for (b = a + 1; b < j; b++) {
				if (strcasecmp(h->v[keys[a].i].dn,
				    h->v[keys[b].i].dn) == 0)
					continue;
				plan_undo_both_msg(h->v[keys[a].i].dn,
				    h->v[keys[b].i].dn, keys[a].value);
				keep[keys[a].k] = keep[keys[b].k] = 0;
			}
	}
	for (i = 0, k = 0; i < h->n; i++) {
		a = h->v[i].add.n;
		*f->refused += undoflow_keep(&h->v[i], keep + k);
		k += a;
		if (h->v[i].add.n == 0 && h->v[i].del.n == 0) {
			change_free(&h->v[i]);
			continue;
		}
		if (undoflow_move(out, &h->v[i]) == -1)
			goto out;
	}
	rc = 0;
out:
	free(keys);
	free(keep);
	return rc;
}

int
undoflow_next(struct undoflow *f, struct changes *out)
{
	struct undoflow_slice	*s;
	int			 rc = -1;

	if (f->snapfail)
		return -1;
	pthread_mutex_lock(&f->mu);
	while (f->ready <= f->taken && !f->stop)
		pthread_cond_wait(&f->cv, &f->mu);
	if (f->ready <= f->taken) {
		rc = f->failed ? -1 : 0;
		pthread_mutex_unlock(&f->mu);
		/* all read: the changes that waited for the last slice */
		if (rc == 0 && f->taken == f->nslice && f->held.n > 0 &&
		    !f->heldout) {
			f->heldout = 1;
			return undoflow_release(f, out) == -1 ? -1 : 1;
		}
		return rc;
	}
	s = &f->sl[f->taken++];
	pthread_mutex_unlock(&f->mu);
	if (s->rc == -1)
		return -1;
	*f->missing += s->missing;
	/* moved into OUT (or held): the slice keeps only what failed */
	rc = undoflow_take(f, &s->cs, out) == -1 ? -1 : 1;
	changes_free(&s->cs);
	return rc;
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
	for (k = 0; k < f->nval; k++)
		strlist_free(&f->vals[k].ev);
	free(f->vals);
	free(f->contested);
	changes_free(&f->held);
	changes_free(&f->want);
	free(f->sl);
	free(f->cut);
	dir_close(f->d2);
	free(f);
}
