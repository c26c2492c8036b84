/*
 * Applying changes: write-ahead, then asynchronous modifies in a window.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply.h"
#include "msg.h"

/* Set by SIGINT/SIGTERM/SIGHUP: stop sending, collect what is in flight. */
static volatile sig_atomic_t apply_stop;

static void
apply_on_signal(int sig)
{
	apply_stop = sig;
}

void
apply_catch_signals(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = apply_on_signal;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGTERM, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
}

struct flight {
	int	msgid;
	size_t	idx;	/* into the changes */
};

/*
 * Replies taken in bursts.  When the server is the slower end, replies to
 * a full window come one at a time, and taking each as it comes costs a
 * poll(2), a read(2) and a write(2) of the one modify that refills the
 * window: three system calls per account on each side, for nothing, since
 * the window keeps the server busy anyway.  So with plenty in flight the
 * run sleeps while about a burst's worth of replies comes in, takes all
 * that came, and refills the window with one write.  The sleep is what
 * the server took per reply in the last burst (its pace, measured, not
 * assumed) times the burst; at most an eighth of the window is let go
 * before the refill, so the server never runs dry while certbulk sleeps
 * (a pace overestimated even eightfold only shortens the queue, and the
 * next burst measures it again).
 */
struct apply_nap {
	size_t		 burst;		/* replies a sleep waits for; 0: off */
	size_t		 got;		/* replies since the last sleep */
	double		 pace;		/* seconds per reply; 0: not measured */
	struct timespec	 since;		/* the last sleep's start */
	size_t		 sleeps;	/* for -vv */
};

/* No sleep is longer (a pace measured across a stall of the server). */
#define APPLY_NAP_MAX	0.05

struct applyctx {
	struct dir		*d;
	struct changes		*cs;
	struct undo		*u;
	const struct apply_opts	*o;
	struct apply_stats	*st;
	struct flight		*fl;	/* owned: o->window slots */
	size_t			 nfl;
	size_t			 journaled;	/* changes [0, journaled) */
	unsigned char		*sent;	/* owned: per change, 1 sent, 2 resent */
	int			*msgid;	/* owned: per change, its last modify */
	size_t			*retry;	/* owned: 16/20 without permissive */
	size_t			 nretry;
	int			 permissive;
	size_t			 low;	/* changes [0, low) settled */
	int			 txn;	/* statuses final at commit only */
	struct timespec		 t0, tlast;
	struct apply_nap	 nap;
};

static double
apply_elapsed(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) +
	    (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void
apply_progress(struct applyctx *a, int final)
{
	struct timespec	now;
	double		t;
	size_t		n = a->st->done + a->st->failed;

	if (!a->o->progress)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!final && apply_elapsed(&a->tlast, &now) < 0.25)
		return;
	a->tlast = now;
	t = apply_elapsed(&a->t0, &now);
	fprintf(stderr, "\r%s: %zu/%zu accounts, %.0f/s%s", msg_progname, n,
	    a->cs->n, t > 0 ? (double)n / t : 0.0, final ? "\n" : "   ");
	fflush(stderr);
}

/* Writes ahead the next chunk of undo records, then syncs once. */
static int
apply_journal(struct applyctx *a, size_t upto)
{
	for (; a->journaled < upto && a->journaled < a->cs->n; a->journaled++)
		if (undo_add(a->u, &a->cs->v[a->journaled]) == -1) {
			a->st->journal = 1;
			return -1;
		}
	if (undo_sync(a->u) == -1) {
		a->st->journal = 1;
		return -1;
	}
	return 0;
}

/*
 * Undo records are written at least this many at a time, whatever the
 * window (group commit): --window 1 does not fsync per modify.
 */
#define APPLY_GROUP	32

/*
 * Adds and writes the undo records of changes up to UPTO; their fsync
 * runs in the background while modifies whose records are already
 * durable go out (apply_range waits for each record before its modify).
 */
static int
apply_journal_ahead(struct applyctx *a, size_t upto)
{
	for (; a->journaled < upto && a->journaled < a->cs->n; a->journaled++)
		if (undo_add(a->u, &a->cs->v[a->journaled]) == -1) {
			a->st->journal = 1;
			return -1;
		}
	if (undo_flush(a->u) == -1) {
		a->st->journal = 1;
		return -1;
	}
	return 0;
}

static int	apply_wait_one(struct applyctx *);

/*
 * The undo file cannot cover more: nothing more is sent, and the replies
 * to what is in flight are collected so that their records say what
 * happened.  Returns -1 (the run stops).
 */
static int
apply_drain(struct applyctx *a)
{
	while (a->nfl > 0)
		if (apply_wait_one(a) == -1)
			break;
	return -1;
}

static void
apply_done(struct applyctx *a, struct change *c)
{
	c->status = CHANGE_DONE;
	a->st->done++;
	a->st->added += c->add.n;
	a->st->removed += c->del.n;
	(void)undo_mark(a->u, c->rec, UNDO_DONE);
	msg_info("%s%s%s%s: %zu added, %zu removed", c->dn,
	    c->kind ? " (" : "", c->kind ? c->kind : "", c->kind ? ")" : "",
	    c->add.n, c->del.n);
}

static void
apply_failed(struct applyctx *a, struct change *c, int rc, const char *diag)
{
	c->status = CHANGE_FAILED;
	c->result = rc;
	a->st->failed++;
	(void)undo_mark(a->u, c->rec, UNDO_FAILED);
	msg_err("\"%s\": modify failed: %s (%d)%s%s%s", c->dn,
	    dir_err2string(rc), rc, *diag ? ": \"" : "", diag,
	    *diag ? "\"" : "");
}

/*
 * Tells o->settled how far the changes are final.  Replies come in any
 * order within the window, so the mark moves over the replied prefix;
 * each change is passed over once: O(1) per reply on the whole.
 */
static void
apply_settle(struct applyctx *a)
{
	size_t	low = a->low;

	if (a->txn)
		return;	/* a rolled back group turns done into failed */
	/* a modify referred elsewhere is not final: forest_follow may send
	 * it again once the run is over */
	while (low < a->cs->n && a->cs->v[low].status != CHANGE_PLANNED &&
	    !(a->cs->v[low].status == CHANGE_FAILED &&
	    a->cs->v[low].result == APPLY_RC_REFERRAL))
		low++;
	if (low > a->low && a->o->settled != NULL)
		a->o->settled(a->o->settled_arg, low);
	a->low = low;
}

/* Handles one reply. */
static int
apply_reply(struct applyctx *a, int msgid, int rc, const char *diag)
{
	struct change	*c;
	size_t		 i, *r;

	for (i = 0; i < a->nfl; i++)
		if (a->fl[i].msgid == msgid)
			break;
	if (i == a->nfl)
		return 0;	/* not ours (e.g. an abandoned search) */
	c = &a->cs->v[a->fl[i].idx];
	a->fl[i] = a->fl[--a->nfl];
	if (rc == DIR_RC_SUCCESS)
		apply_done(a, c);
	else if ((rc == DIR_RC_EXISTS || rc == DIR_RC_NO_SUCH_ATTR) &&
	    a->sent[c - a->cs->v] != 2) {
		/* some value appeared or went meanwhile: sort out later */
		if ((r = realloc(a->retry, (a->nretry + 1) * sizeof(*r))) ==
		    NULL) {
			msg_err("out of memory");
			return -1;
		}
		a->retry = r;
		a->retry[a->nretry++] = (size_t)(c - a->cs->v);
	} else {
		apply_failed(a, c, rc, diag);
		if (a->o->strict)
			return -1;
	}
	apply_progress(a, 0);
	apply_settle(a);
	return 0;
}

static int
apply_wait_one(struct applyctx *a)
{
	char	*diag = NULL;
	int	 msgid, rc, r;

	if (dir_mod_wait(a->d, &msgid, &rc, &diag) == -1) {
		a->st->lost = 1;
		return -1;
	}
	r = apply_reply(a, msgid, rc, diag);
	free(diag);
	return r;
}

static int
apply_send(struct applyctx *a, size_t idx)
{
	struct change	*c = &a->cs->v[idx];
	struct dir_mod	 m;
	int		 msgid;

	m.dn = c->dn;
	m.add = c->add.v;
	m.nadd = c->add.n;
	m.del = c->del.v;
	m.ndel = c->del.n;
	m.attr = c->attr;
	m.entry = c->entry;
	if ((msgid = dir_mod_send(a->d, &m, a->permissive)) == -1) {
		if (!dir_alive(a->d)) {
			a->st->lost = 1;
			return -1;
		}
		apply_failed(a, c, 80, "the request could not be sent");
		return a->o->strict ? -1 : 0;
	}
	a->fl[a->nfl].msgid = msgid;
	a->fl[a->nfl].idx = idx;
	a->nfl++;
	a->sent[idx] = 1;
	a->msgid[idx] = msgid;
	return 0;
}

/*
 * A change refused with 20 or 16 (no permissive modify, or slapd deleting
 * a missing value): what is already so is dropped, the rest is journaled
 * as a new record and sent again.  The old record is marked failed, since
 * nothing of it was applied (the modify is atomic).
 */
static int
apply_retry(struct applyctx *a, size_t idx)
{
	struct change	*c = &a->cs->v[idx];
	struct strlist	 cur = { NULL, 0 }, del = { NULL, 0 };
	size_t		 i;
	int		 r, rc = -1;

	(void)undo_mark(a->u, c->rec, UNDO_FAILED);
	if ((r = dir_read_altsec(a->d, c->dn, &cur)) != 0) {
		if (r == 1)
			apply_failed(a, c, DIR_RC_NO_SUCH_OBJECT,
			    "the entry is gone");
		rc = r == 1 ? 0 : -1;
		if (r == -1)
			a->st->lost = !dir_alive(a->d);
		goto out;
	}
	/*
	 * The adds are dropped in place, not copied: the items still point
	 * at the values (the report, the run state), and the thumbprints
	 * must stay in step with them for the audit lines.
	 */
	for (i = c->add.n; i-- > 0; )
		if (strlist_has(&cur, c->add.v[i]))
			change_drop_add(c, i);
	for (i = 0; i < c->del.n; i++)
		if (strlist_has(&cur, c->del.v[i]) &&
		    strlist_add(&del, c->del.v[i]) == -1)
			goto oom;
	strlist_free(&c->del);
	c->del = del;
	memset(&del, 0, sizeof(del));
	if (c->add.n == 0 && c->del.n == 0) {
		c->status = CHANGE_DONE;
		a->st->done++;
		msg_info("%s: already as planned", c->dn);
		rc = 0;
		goto out;
	}
	if (undo_add(a->u, c) == -1 || undo_sync(a->u) == -1) {
		a->st->journal = 1;
		goto out;
	}
	if (apply_send(a, idx) == -1)
		goto out;
	a->sent[idx] = 2;	/* retried once: a second 20/16 is a failure */
	while (a->nfl > 0)
		if (apply_wait_one(a) == -1)
			goto out;
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	strlist_free(&cur);
	strlist_free(&del);
	return rc;
}

static int
apply_poll_one(struct applyctx *a)
{
	char	*diag = NULL;
	int	 msgid, rc, r;

	if ((r = dir_mod_poll(a->d, &msgid, &rc, &diag)) == -1) {
		a->st->lost = 1;
		return -1;
	}
	if (r == 1)
		r = apply_reply(a, msgid, rc, diag) == -1 ? -1 : 1;
	free(diag);
	return r;
}

/*
 * Takes the next reply: at once if one has come in, else, with a burst's
 * worth still in flight, after sleeping while the burst comes in, else
 * waiting for it.  Returns -1 to stop the run.
 */
static int
apply_next_reply(struct applyctx *a)
{
	struct apply_nap	*n = &a->nap;
	struct timespec		 now, ts;
	double			 t;
	int			 r;

	if (n->burst == 0 || a->nfl < 2 * n->burst)
		return apply_wait_one(a);
	if ((r = apply_poll_one(a)) != 0) {
		n->got += r == 1;
		return r == -1 ? -1 : 0;
	}
	/* nothing has come in: the burst since the last sleep is over */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n->got >= n->burst) {
		t = apply_elapsed(&n->since, &now) / (double)n->got;
		n->pace = n->pace == 0 ? t : (n->pace + t) / 2;
		n->got = 0;
		n->since = now;
	}
	t = n->pace * (double)n->burst;
	if (n->pace > 0) {
		if (t > APPLY_NAP_MAX)
			t = APPLY_NAP_MAX;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(t * 1e9);
		(void)nanosleep(&ts, NULL);	/* a signal ends it early */
		n->sleeps++;
	}
	n->got++;
	return apply_wait_one(a);
}

/* Sends changes [from, to) in the window; returns -1 to stop the run. */
static int
apply_range(struct applyctx *a, size_t from, size_t to)
{
	size_t	next;
	size_t	w = (size_t)a->o->window;
	size_t	group = w < APPLY_GROUP ? APPLY_GROUP : w;

	for (next = from; next < to || a->nfl > 0; ) {
		if (apply_stop && a->nfl == 0) {
			a->st->interrupted = 1;
			return -1;
		}
		while (a->nfl < w && next < to && !apply_stop) {
			/*
			 * The next group is written as soon as this one's
			 * first modify is sent, so that its fsync overlaps the
			 * modifies of a whole group: the window does not drain
			 * at each fsync.  (Written at half a group, an fsync
			 * slower than 16 modifies, as on a busy disk, stalled
			 * the sending: 0.35-0.73 s of a 20,000-account run.)
			 * The write-ahead rule is the undo_wait below.
			 */
			if (a->journaled < a->cs->n &&
			    a->journaled - next <= group &&
			    apply_journal_ahead(a, a->journaled + group) == -1)
				return apply_drain(a);
			/* write-ahead: the record is durable before its modify */
			if (undo_wait(a->u, a->cs->v[next].rec + 1) == -1) {
				a->st->journal = 1;
				return apply_drain(a);
			}
			if (apply_send(a, next++) == -1)
				return -1;
		}
		if (a->nfl > 0 && apply_next_reply(a) == -1)
			return -1;
	}
	return 0;
}

/* --transaction N: groups of N accounts, each all or nothing. */
static int
apply_txn_group(struct applyctx *a, size_t from, size_t to)
{
	size_t	i, failed_before = a->st->failed, done_before = a->st->done;
	int	blamed;

	if (apply_journal(a, to) == -1)
		return -1;
	if (dir_txn_begin(a->d) == -1) {
		/*
		 * Nothing of the group was sent.  A connection that dropped
		 * here (slapd 2.5.13 can crash with a transaction open) is a
		 * lost directory like any other: run again.
		 */
		if (!dir_alive(a->d))
			a->st->lost = 1;
		return -1;
	}
	if (apply_range(a, from, to) == -1) {
		(void)dir_txn_end(a->d, 0, &blamed);
		return -1;
	}
	if (a->st->failed > failed_before || a->nretry > 0) {
		msg_err("transaction of accounts %zu-%zu aborted: a modify in it "
		    "failed", from + 1, to);
		(void)dir_txn_end(a->d, 0, &blamed);
		goto undo_counts;
	}
	if (dir_txn_end(a->d, 1, &blamed) == -1) {
		if (!dir_alive(a->d)) {
			a->st->lost = 1;
			return -1;
		}
		for (i = from; i < to; i++)
			if (blamed != -1 && a->msgid[i] == blamed)
				msg_err("\"%s\": refused in the transaction of "
				    "accounts %zu-%zu, which was rolled back",
				    a->cs->v[i].dn, from + 1, to);
		goto undo_counts;
	}
	return 0;
undo_counts:
	/* nothing of the group was applied */
	for (i = from; i < to; i++) {
		if (a->cs->v[i].status == CHANGE_DONE) {
			a->st->added -= a->cs->v[i].add.n;
			a->st->removed -= a->cs->v[i].del.n;
		}
		if (a->cs->v[i].status != CHANGE_FAILED) {
			a->cs->v[i].status = CHANGE_FAILED;
			(void)undo_mark(a->u, a->cs->v[i].rec, UNDO_FAILED);
		}
	}
	a->st->done = done_before;
	a->st->failed = failed_before + (to - from);
	a->nretry = 0;
	return a->o->strict ? -1 : 0;
}

int
apply_run(struct dir *d, struct changes *cs, struct undo *u,
    const struct apply_opts *o, struct apply_stats *st)
{
	struct applyctx	 a;
	size_t		 i, g;
	int		 r, rc = -1, txn = o->txn;

	memset(st, 0, sizeof(*st));
	memset(&a, 0, sizeof(a));
	a.d = d;
	a.cs = cs;
	a.u = u;
	a.o = o;
	a.st = st;
	a.permissive = dir_supports(d, DIR_OID_PERMISSIVE);
	if (!a.permissive)
		msg_info("%s does not offer permissive modify; values that "
		    "appear or vanish meanwhile are sorted out one by one",
		    dir_uri(d));
	if (txn > 0 && !dir_supports(d, DIR_OID_TXN)) {
		msg_warn("%s offers no LDAP transactions (RFC 5805; Active "
		    "Directory has none): going on with one atomic modify per "
		    "account", dir_uri(d));
		txn = 0;
	}
	a.txn = txn > 0;
	if ((a.fl = calloc((size_t)o->window, sizeof(*a.fl))) == NULL ||
	    (a.sent = calloc(cs->n + 1, 1)) == NULL ||
	    (a.msgid = calloc(cs->n + 1, sizeof(*a.msgid))) == NULL) {
		free(a.sent);
		free(a.fl);
		msg_err("out of memory");
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &a.t0);
	a.tlast = a.t0;
	/* bursts of an eighth of the window, from 16 in flight on */
	a.nap.burst = o->window >= 16 ? (size_t)o->window / 8 : 0;
	a.nap.since = a.t0;
	if (txn > 0) {
		for (g = 0; g < cs->n; g += (size_t)txn)
			if (apply_txn_group(&a, g, g + (size_t)txn < cs->n ?
			    g + (size_t)txn : cs->n) == -1)
				goto out;
	} else {
		/* the modifies made while replies already read are handled
		 * are written together (each after its undo record) */
		dir_write_batch(d, 1);
		r = apply_range(&a, 0, cs->n);
		dir_write_batch(d, 0);
		if (r == -1)
			goto out;
	}
	for (i = 0; i < a.nretry && !apply_stop; i++)
		if (apply_retry(&a, a.retry[i]) == -1)
			goto out;
	if (apply_stop) {
		st->interrupted = 1;
		goto out;
	}
	rc = 0;
out:
	apply_progress(&a, 1);
	if (a.nap.sleeps > 0)
		msg_debug("modify replies taken in bursts: %zu sleeps while "
		    "bursts of %zu came in, the server's pace %.0f us a reply",
		    a.nap.sleeps, a.nap.burst, a.nap.pace * 1e6);
	/*
	 * Sent without a reply: unknown, the record stays pending and the
	 * undo reverts it.  Journaled but never sent: marked so that the
	 * undo file does not revert what never happened.
	 */
	for (i = 0; i < cs->n; i++) {
		if (cs->v[i].status != CHANGE_PLANNED)
			continue;
		if (a.sent[i]) {
			st->unknown++;
			continue;
		}
		st->unsent++;
		if (cs->v[i].rec >= 0)
			(void)undo_mark(u, cs->v[i].rec, UNDO_UNSENT);
	}
	free(a.msgid);
	free(a.sent);
	free(a.fl);
	free(a.retry);
	return rc;
}
