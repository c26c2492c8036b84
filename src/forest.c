/*
 * forest: changes routed to the DC of their own domain (forest.h).
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apply.h"
#include "dir.h"
#include "dir_forest.h"
#include "forest.h"
#include "msg.h"
#include "plan.h"

/* LDAP's connect error: what a change whose DC cannot be used failed with */
#define FOREST_RC_CONNECT	91
/* LDAP's referral: the DC (e.g. a read-only one) names another for it */
#define FOREST_RC_REFERRAL	APPLY_RC_REFERRAL

const char *
forest_server(const struct dir *d, const struct change *c)
{
	return c->server != NULL ? c->server : dir_uri(d);
}

/* 1 if A and B name the same DC (NULL: -H's). */
static int
forest_same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcasecmp(a, b) == 0;
}

static void
forest_sum(struct apply_stats *st, const struct apply_stats *one)
{
	st->done += one->done;
	st->failed += one->failed;
	st->unsent += one->unsent;
	st->unknown += one->unknown;
	st->added += one->added;
	st->removed += one->removed;
	st->lost |= one->lost;
	st->journal |= one->journal;
	st->interrupted |= one->interrupted;
}

/*
 * The changes of CS (those of IDX[0..N), or all when IDX is NULL) that
 * FROM refused with a referral are sent where it refers them, once (a
 * referral from there is not followed again), when dir_referral_open
 * allows it: a DC of the forest, over TLS or Kerberos.  Each is journaled
 * as a new record naming that DC (the refused one stays marked failed).
 * Otherwise each is reported with the referral and why it was not
 * followed, and stays failed.  0, or -1 as apply_run.
 */
static int
forest_follow(struct dir *d, struct dir *from, struct changes *cs,
    const size_t *idx, size_t n, struct undo *u, const struct apply_opts *o,
    struct apply_stats *st)
{
	const struct strlist	*refs = dir_referrals(from);
	struct apply_opts	 o2;
	struct apply_stats	 one;
	struct changes		 sub = { NULL, 0, 0 };
	struct change		*c;
	struct dir		*to;
	size_t			*ri = NULL, m = 0, i, k;
	char			*why = NULL;
	int			 rc = -1;

	if (idx == NULL)
		n = cs->n;
	for (i = 0; i < n; i++) {
		c = &cs->v[idx ? idx[i] : i];
		m += c->status == CHANGE_FAILED && c->result ==
		    FOREST_RC_REFERRAL;
	}
	if (m == 0)
		return 0;
	if (refs->n != 1) {
		msg_err("%s referred %zu modifies to %zu servers: not followed",
		    dir_uri(from), m, refs->n);
		return 0;
	}
	if ((to = dir_referral_open(d, from, refs->v[0], &why)) == NULL) {
		for (i = 0; i < n; i++) {
			c = &cs->v[idx ? idx[i] : i];
			if (c->status == CHANGE_FAILED && c->result ==
			    FOREST_RC_REFERRAL)
				msg_err("\"%s\": %s refers the modify to %s; not "
				    "followed: %s", c->dn, dir_uri(from),
				    refs->v[0], why ? why : "out of memory");
		}
		free(why);
		return 0;
	}
	if ((ri = calloc(m, sizeof(*ri))) == NULL ||
	    (sub.v = calloc(m, sizeof(*sub.v))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < n; i++) {
		c = &cs->v[idx ? idx[i] : i];
		if (c->status != CHANGE_FAILED || c->result !=
		    FOREST_RC_REFERRAL)
			continue;
		/* a new record, naming the DC it goes to now */
		free(c->server);
		if ((c->server = strdup(dir_uri(to))) == NULL) {
			msg_err("out of memory");
			goto out;
		}
		c->status = CHANGE_PLANNED;
		c->result = 0;
		c->rec = -1;
		ri[k] = idx ? idx[i] : i;
		sub.v[k++] = *c;
	}
	sub.n = sub.cap = m;
	st->failed -= m;
	/* the indexes of SUB are not CS's: no settled marks from here */
	o2 = *o;
	o2.settled = NULL;
	rc = apply_run(to, &sub, u, &o2, &one);
	for (k = 0; k < m; k++)
		cs->v[ri[k]] = sub.v[k];
	forest_sum(st, &one);
out:
	free(sub.v);
	free(ri);
	return rc;
}

int
forest_apply(struct dir *d, struct changes *cs, struct undo *u,
    const struct apply_opts *o, struct apply_stats *st)
{
	struct apply_opts	 o2;
	struct apply_stats	 one;
	struct changes		 sub = { NULL, 0, 0 };
	struct dir		*h;
	unsigned char		*todo = NULL;
	const char		*srv;
	size_t			*idx = NULL, i, j, n, left;
	int			 rc = 0;

	for (i = 0; i < cs->n && cs->v[i].server == NULL; i++)
		;
	if (i == cs->n) {	/* one domain, as always */
		if (apply_run(d, cs, u, o, st) == -1)
			return -1;
		return forest_follow(d, d, cs, NULL, 0, u, o, st);
	}
	memset(st, 0, sizeof(*st));
	if ((todo = malloc(cs->n)) == NULL ||
	    (idx = calloc(cs->n, sizeof(*idx))) == NULL ||
	    (sub.v = calloc(cs->n, sizeof(*sub.v))) == NULL) {
		msg_err("out of memory");
		rc = -1;
		goto out;
	}
	memset(todo, 1, cs->n);
	o2 = *o;		/* SUB's indexes are not CS's */
	o2.settled = NULL;
	/* -H's domain first, then each other domain's DC in turn */
	for (left = cs->n; left > 0; left -= n) {
		for (i = 0; i < cs->n && !(todo[i] && cs->v[i].server == NULL);
		    i++)
			;
		if (i == cs->n)
			for (i = 0; !todo[i]; i++)
				;
		srv = cs->v[i].server;
		for (j = i, n = 0; j < cs->n; j++)
			if (todo[j] && forest_same(srv, cs->v[j].server)) {
				todo[j] = 0;
				idx[n] = j;
				sub.v[n++] = cs->v[j];
			}
		sub.n = sub.cap = n;
		if (rc == -1) {		/* stopped: never journaled */
			st->unsent += n;
			continue;
		}
		if ((h = dir_conn_of(d, srv)) == NULL || !dir_alive(h)) {
			for (j = 0; j < n; j++) {
				msg_err("\"%s\": its domain controller %s cannot "
				    "be used; not changed", cs->v[idx[j]].dn,
				    srv);
				cs->v[idx[j]].status = CHANGE_FAILED;
				cs->v[idx[j]].result = FOREST_RC_CONNECT;
			}
			st->failed += n;
			continue;
		}
		if (srv != NULL)
			msg_info("%zu account%s of another domain: changed on "
			    "%s (%s)", n, n == 1 ? "" : "s", dir_uri(h),
			    dir_server(h));
		if (apply_run(h, &sub, u, &o2, &one) == -1)
			rc = -1;
		/* the statuses, records and (after a retry) values back */
		for (j = 0; j < n; j++)
			cs->v[idx[j]] = sub.v[j];
		forest_sum(st, &one);
		if (rc == 0 && forest_follow(d, h, cs, idx, n, u, o, st) == -1)
			rc = -1;
	}
out:
	free(sub.v);
	free(idx);
	free(todo);
	return rc;
}

/* Moves the changes of FROM to the end of TO, each given SERVER. */
static int
forest_take(struct changes *to, struct changes *from, const char *server)
{
	struct change	*c;
	size_t		 i;

	for (i = 0; i < from->n; i++) {
		if ((c = changes_add(to, from->v[i].dn)) == NULL)
			return -1;
		free(c->dn);
		*c = from->v[i];
		memset(&from->v[i], 0, sizeof(from->v[i]));
		c->foreign = server != NULL;
		if (server != NULL && c->server == NULL &&
		    (c->server = strdup(server)) == NULL)
			return -1;
	}
	return 0;
}

int
forest_plan_undo(struct dir *d, const struct changes *want,
    struct changes *out, size_t *missing, size_t *refused,
    size_t *unrouted)
{
	struct changes	 sub = { NULL, 0, 0 }, got = { NULL, 0, 0 };
	struct dir	**home = NULL, *h;
	unsigned char	*todo = NULL;
	char		*why;
	size_t		 i, j, left, m, r;
	int		 rc = -1;

	*unrouted = 0;
	*missing = *refused = 0;
	for (i = 0; i < want->n && want->v[i].server == NULL; i++)
		;
	if (i == want->n)	/* no record names another domain's DC */
		return plan_undo(d, want, out, missing, refused);
	if ((home = calloc(want->n, sizeof(*home))) == NULL ||
	    (todo = calloc(want->n, 1)) == NULL ||
	    (sub.v = calloc(want->n, sizeof(*sub.v))) == NULL)
		goto oom;
	for (i = 0, left = 0; i < want->n; i++) {
		if (want->v[i].server == NULL) {
			home[i] = d;
		} else if ((home[i] = dir_home(d, want->v[i].dn, &why)) ==
		    NULL) {
			msg_err("\"%s\": changed on %s, but %s; not undone",
			    want->v[i].dn, want->v[i].server,
			    why ? why : "out of memory");
			free(why);
			(*unrouted)++;
			continue;
		}
		todo[i] = 1;
		left++;
	}
	/* -H's domain first; each domain's records planned on its DC, with
	 * its own duplicate-holder check */
	while (left > 0) {
		for (i = 0; i < want->n && !(todo[i] && home[i] == d); i++)
			;
		if (i == want->n)
			for (i = 0; !todo[i]; i++)
				;
		h = home[i];
		for (j = i, sub.n = 0; j < want->n; j++)
			if (todo[j] && home[j] == h) {
				todo[j] = 0;
				left--;
				sub.v[sub.n++] = want->v[j];
			}
		sub.cap = sub.n;
		if (plan_undo(h, &sub, &got, &m, &r) == -1)
			goto out;
		*missing += m;
		*refused += r;
		if (forest_take(out, &got, h == d ? NULL : dir_uri(h)) == -1)
			goto oom;
		changes_free(&got);
	}
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	changes_free(&got);
	free(sub.v);
	free(todo);
	free(home);
	return rc;
}
