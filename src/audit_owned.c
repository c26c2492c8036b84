/*
 * certbulk audit over the run state: each owned value checked against
 * the directory and classified as certbulk status classifies it
 * (sync_verdict).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "altsec.h"
#include "audit_owned.h"
#include "cert.h"
#include "crlfetch.h"
#include "input.h"
#include "msg.h"
#include "plan.h"
#include "sbuf.h"
#include "state.h"
#include "sync.h"
#include "trust.h"

/* The account of the records being looked at, as the directory has it. */
struct ao_cur {
	const char		*key;	/* the records' sync key; not owned */
	int			 gone;	/* no such entry */
	const char		*dn;	/* its DN now; not owned */
	const struct strlist	*vals;	/* its values now; not owned */
	char			*own_dn;	/* owned: from a lookup */
	struct strlist		 own;		/* owned: likewise */
};

/* 1 if DN is BASE or below it (AD compares DNs ignoring case). */
static int
ao_under(const char *dn, const char *base)
{
	size_t	n = strlen(dn), m = strlen(base);

	if (m == 0)
		return 1;
	if (n < m || strcasecmp(dn + n - m, base) != 0)
		return 0;
	return n == m || dn[n - m - 1] == ',';
}

static int
ao_guidcmp(const void *a, const void *b, void *arg)
{
	const struct accounts	*acc = arg;

	return strcasecmp(acc->v[*(const size_t *)a].guid,
	    acc->v[*(const size_t *)b].guid);
}

/* The index in ACC of the account with objectGUID GUID, or -1. */
static long
ao_find_guid(const struct accounts *acc, const size_t *by, size_t n,
    const char *guid)
{
	size_t	lo = 0, hi = n, mid;
	int	c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if ((c = strcasecmp(acc->v[by[mid]].guid, guid)) == 0)
			return (long)by[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/*
 * Fills C for record R: from the scan of mapped accounts (found by
 * objectGUID, else by DN), else from the directory (an account moved out
 * of the base, or left without any value).  0, or -1 (reported).
 */
static int
ao_lookup(struct dir *d, const struct accounts *acc, const size_t *by,
    size_t nby, const struct sync_rec *r, struct ao_cur *c)
{
	long	i;
	int	e;

	free(c->own_dn);
	c->own_dn = NULL;
	strlist_free(&c->own);
	c->gone = 0;
	i = r->guid[0] != '\0' ? ao_find_guid(acc, by, nby, r->guid) :
	    accounts_find(acc, r->dn);
	if (i >= 0) {
		c->dn = acc->v[i].dn;
		c->vals = &acc->v[i].altsec;
		return 0;
	}
	if (r->guid[0] != '\0')
		e = dir_find_guid(d, r->guid, &c->own_dn, &c->own);
	else if ((e = dir_read_altsec(d, r->dn, &c->own)) == 0 &&
	    (c->own_dn = strdup(r->dn)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	if (e == -1)
		return -1;
	c->gone = e == 1;
	c->dn = c->own_dn != NULL ? c->own_dn : r->dn;
	c->vals = &c->own;
	return 0;
}

/*
 * The inputs to judge the owned values by: those given (--certdir,
 * --input-csv), or, when only revocation is asked for (--crl-file,
 * --fetch-crl), those the state records, read for their certificates'
 * revocation alone (none of them is "the input" a value may have left).
 * An input that cannot be read is said and left out.  0, or -1 (ENOMEM).
 */
static int
ao_inputs(const struct subcmd_opts *o, const struct sync_state *st,
    struct input *in, char ***rootsp, size_t **firstp, size_t *nroots,
    struct audit_owned_stats *stats)
{
	struct strlist	 rec = { NULL, 0 };
	struct stat	 sb;
	const char	*path;
	char		**roots = NULL;
	size_t		*first = NULL, i, n;
	int		 isdir, r, given = o->ninputs > 0, rc = -1;

	if (!given && (o->crlfile != NULL || o->fetchcrl))
		for (i = 0; i < st->n; i++)
			if (!st->v[i].drop && st->v[i].input[0] != '\0' &&
			    !strlist_has(&rec, st->v[i].input) &&
			    strlist_add(&rec, st->v[i].input) == -1)
				goto out;
	n = given ? o->ninputs : rec.n;
	if ((roots = calloc(n + 1, sizeof(*roots))) == NULL ||
	    (first = calloc(n + 1, sizeof(*first))) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		path = given ? o->inputs[i] : rec.v[i];
		if (given)
			isdir = o->input_dir[i];
		else
			isdir = stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
		first[i] = in->n;
		r = isdir ? input_certdir(in, path, ALTSEC_BIT(
		    ALTSEC_ISSUER_SERIAL)) : input_csv(in, path, ALTSEC_BIT(
		    ALTSEC_ISSUER_SERIAL));
		/*
		 * A share not mounted is not a certificate gone: no value is
		 * judged to have left an input that could not be read, nor
		 * any recorded one.
		 */
		roots[i] = (char *)(uintptr_t)(r == 0 && given ? path : "");
		if (r == -1) {
			stats->input_failed = 1;
			msg_warn("%s: not read: the owned values from it are not "
			    "judged by it", path);
		}
	}
	*rootsp = roots;
	*firstp = first;
	*nroots = n;
	roots = NULL;
	first = NULL;
	rc = 0;
out:
	if (rc == -1)
		msg_err("out of memory");
	free(roots);
	free(first);
	strlist_free(&rec);
	return rc;
}

/* The finding for a certificate verdict, or NULL if it is none. */
static const char *
ao_kind(enum sync_verdict v)
{
	switch (v) {
	case SYNC_EXPIRED: return "owned-expired";
	case SYNC_REVOKED: return "owned-revoked";
	case SYNC_SUPERSEDED: return "owned-superseded";
	case SYNC_REMOVED: return "owned-removed";
	default: return NULL;
	}
}

int
audit_owned(struct dir *d, const struct accounts *acc,
    const struct subcmd_opts *o, time_t now, audit_owned_fn *fn, void *arg,
    struct audit_owned_stats *stats)
{
	struct sync_state	 st = { NULL, 0, 0, 0 };
	struct sync_inputs	 si;
	struct sync_opts	 so;
	struct input		 in;
	struct ao_cur		 cur;
	struct trust		*trust = NULL;
	struct crlfetch		*cf = NULL;
	struct sbuf		 b = SBUF_INIT;
	const struct sync_rec	*r;
	const char		*sdir, *kind, *why, *base = dir_base(d);
	char			*dirpath = NULL, **roots = NULL, na[32];
	size_t			*by = NULL, *first = NULL, nby = 0, nroots = 0;
	size_t			 i, j;
	enum sync_verdict	 v;
	int			 fd, trusted, exists, havesi = 0, rc = -1;

	memset(stats, 0, sizeof(*stats));
	memset(&si, 0, sizeof(si));
	memset(&in, 0, sizeof(in));
	memset(&cur, 0, sizeof(cur));
	if (o->state_dir == NULL && (dirpath = state_default_dir()) == NULL) {
		msg_note("no state folder known (give --state-dir DIR): owned "
		    "values not checked");
		rc = 0;
		goto out;
	}
	sdir = o->state_dir != NULL ? o->state_dir : dirpath;
	/* the folder as runs trust it: ours, not writable by others */
	if ((fd = open(sdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		if (errno == ENOENT)
			msg_note("%s: no run state: owned values not checked",
			    sdir);
		else
			msg_warn("%s: %s: run state not read, owned values not "
			    "checked", sdir, errno == ELOOP || errno == ENOTDIR ?
			    "not a folder (a symbolic link?)" : strerror(errno));
		rc = 0;
		goto out;
	}
	trusted = state_trusted(fd, sdir, "state folder", 1) == 0;
	close(fd);
	if (!trusted || sync_load(sdir, &st, &exists) == -1) {
		/* said in one line by the check; audit goes on */
		rc = 0;
		goto out;
	}
	if (!exists) {
		msg_note("%s: no run state (owned.tsv): owned values not "
		    "checked", sdir);
		rc = 0;
		goto out;
	}
	stats->read = 1;
	/* revocation: a current, verified CRL only (trust_revocation) */
	if (o->cafile != NULL && (o->crlfile != NULL || o->fetchcrl)) {
		if ((trust = trust_load(o->cafile, o->crlfile)) == NULL)
			goto out;
		trust_set_crl_check(trust, o->crlchain ? TRUST_CRL_CHAIN :
		    TRUST_CRL_LEAF);
		in.keep_certs = 1;
	}
	if (ao_inputs(o, &st, &in, &roots, &first, &nroots, stats) == -1)
		goto out;
	if (nroots > 0) {
		if (sync_inputs(&si, &in, roots, first, nroots) == -1)
			goto out;
		havesi = 1;
	}
	if (o->fetchcrl && ((cf = crlfetch_new(sdir, o->dir.timeout > 0 ?
	    o->dir.timeout : 30, 1)) == NULL || trust_fetch_crls(trust, cf,
	    &in.pool, now) == -1))
		goto out;
	sync_mark_revoked(&in, trust, now);
	memset(&so, 0, sizeof(so));
	so.now = now;
	so.grace = (long)o->grace * 86400;
	/* the scan's accounts by objectGUID */
	if (acc->n > 0 && (by = calloc(acc->n, sizeof(*by))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0; i < acc->n; i++)
		if (acc->v[i].guid != NULL)
			by[nby++] = i;
	if (nby > 1)
		qsort_r(by, nby, sizeof(*by), ao_guidcmp, (void *)(uintptr_t)acc);
	/* the records are in account order (sync_sort): one lookup each */
	for (i = 0; i < st.n; i++) {
		r = &st.v[i];
		if (r->drop || !ao_under(r->dn, base))
			continue;
		if (cur.key == NULL || strcasecmp(cur.key, r->guid[0] ?
		    r->guid : r->dn) != 0) {
			cur.key = r->guid[0] ? r->guid : r->dn;
			if (ao_lookup(d, acc, by, nby, r, &cur) == -1)
				goto out;
			if (cur.gone) {
				for (j = i + 1; j < st.n && strcasecmp(cur.key,
				    st.v[j].guid[0] ? st.v[j].guid :
				    st.v[j].dn) == 0; j++)
					;
				sbuf_reset(&b);
				sbuf_printf(&b, "the account%s%s (objectGUID "
				    "%s) no longer exists; the run state still "
				    "names %zu value%s certbulk wrote on it",
				    r->sam[0] ? " " : "", r->sam,
				    r->guid[0] ? r->guid : "unknown", j - i,
				    j - i == 1 ? "" : "s");
				if (b.oom)
					goto oom;
				fn(arg, 0, "owned-account-gone", r->dn, "",
				    b.s);
			}
		}
		stats->checked++;
		if (cur.gone)
			continue;
		cert_fmt_time(r->not_after, na, sizeof(na));
		sbuf_reset(&b);
		if (!strlist_has(cur.vals, r->value)) {
			sbuf_printf(&b, "certbulk wrote this value (from %s) "
			    "but it is no longer on the account: removed by "
			    "hand or by another tool; a run adds it again "
			    "while its certificate is in the inputs", r->source);
			if (b.oom)
				goto oom;
			fn(arg, 0, "owned-value-gone", cur.dn, r->value, b.s);
			continue;
		}
		v = sync_verdict(&st, r, havesi ? &si : NULL, &so, &why);
		if ((kind = ao_kind(v)) == NULL)
			continue;
		sbuf_printf(&b, "%s (issuer %s, serial %s, not after %s, from "
		    "%s); certbulk --prune removes it", why, r->issuer,
		    r->serial, na, r->source);
		if (b.oom)
			goto oom;
		fn(arg, 1, kind, cur.dn, r->value, b.s);
	}
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	sbuf_reset(&b);
	free(cur.own_dn);
	strlist_free(&cur.own);
	free(by);
	if (havesi)
		sync_inputs_free(&si);
	free(roots);
	free(first);
	input_free(&in);
	crlfetch_free(cf);
	trust_free(trust);
	sync_state_free(&st);
	free(dirpath);
	return rc;
}
