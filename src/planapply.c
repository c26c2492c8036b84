/*
 * planapply: the preconditions of a reviewed plan, read-only.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "msg.h"
#include "planapply.h"
#include "report.h"

/* A value still to add: which record and which of its values. */
struct planapply_cand {
	size_t		 rec;
	size_t		 val;
	int		 keep;
};

struct planapply_ctx {
	const struct planfile	*pf;
	struct planapply_cand	*cand;
	char			**dn;	/* per record: where it is now */
	struct planres		**res;
	size_t			*refused;
};

void
planapply_res_free(struct planres **res, size_t n)
{
	size_t	i;

	for (i = 0; res != NULL && i < n; i++)
		free(res[i]);
	free(res);
}

static void
planapply_refuse(struct planres *r, const char *reason, size_t *refused)
{
	r->outcome = REPORT_REFUSED;
	r->reason = reason;
	r->chg = -1;
	(*refused)++;
}

static void
planapply_dup_report(void *arg, size_t i, const char *holder,
    const char *err)
{
	struct planapply_ctx	*x = arg;
	struct planapply_cand	*c = &x->cand[i];
	const struct change	*rec = &x->pf->cs.v[c->rec];

	if (!c->keep)
		return;		/* reported once is enough */
	if (err != NULL)
		msg_err("plan line %lu: \"%s\": %s; cannot tell whether another "
		    "account holds it; not applied", x->pf->line[c->rec],
		    rec->dn, err);
	else
		msg_err("plan line %lu: %s is now on \"%s\"; adding it to "
		    "\"%s\" too would let either account log on with it; not "
		    "applied", x->pf->line[c->rec], rec->add.v[c->val], holder,
		    x->dn[c->rec]);
	c->keep = 0;
	planapply_refuse(&x->res[c->rec][c->val], err != NULL ? REASON_LDAP :
	    REASON_DUP, x->refused);
}

/*
 * Finds record I's account: at its DN if the objectGUID there is the
 * plan's, else by objectGUID wherever it moved.  Returns 0 with *DN set
 * (caller frees) and CUR its values, 1 if it is gone, -1 on failure.
 */
static int
planapply_locate(struct dir *d, const struct planfile *pf, size_t i,
    int found, const char *guid_now, struct strlist *cur, char **dn)
{
	const struct change	*rec = &pf->cs.v[i];
	char			*newdn = NULL;
	int			 r;

	if (found && (rec->guid == NULL || guid_now == NULL ||
	    strcmp(rec->guid, guid_now) == 0)) {
		if ((*dn = strdup(rec->dn)) == NULL) {
			msg_err("out of memory");
			return -1;
		}
		return 0;
	}
	if (found)
		msg_note("plan line %lu: \"%s\" is another object now "
		    "(objectGUID %s, the plan's is %s); looking for the plan's "
		    "account by its objectGUID", pf->line[i], rec->dn,
		    guid_now, rec->guid);
	strlist_free(cur);
	if (rec->guid == NULL)
		return 1;
	if ((r = dir_find_guid(d, rec->guid, &newdn, cur)) != 0)
		return r;
	msg_note("plan line %lu: \"%s\" was renamed or moved since the plan "
	    "was made; found by its objectGUID as \"%s\"", pf->line[i],
	    rec->dn, newdn);
	*dn = newdn;
	return 0;
}

int
planapply_check(struct dir *d, const struct planfile *pf, time_t now,
    struct changes *out, struct planres ***resp, size_t *refused)
{
	struct planapply_ctx	 x;
	struct strlist		*cur = NULL;
	struct change		*c;
	const struct change	*rec;
	struct planres		**res = NULL;
	struct planapply_cand	*cand = NULL;
	char			**dns = NULL, **guids = NULL, **dn = NULL;
	char			**vals = NULL, **owners = NULL, t[32];
	int			*found = NULL, r;
	size_t			 n = pf->cs.n, i, j, k, nc = 0, total = 0;
	int			 rc = -1;

	*refused = 0;
	*resp = NULL;
	for (i = 0; i < n; i++)
		total += pf->cs.v[i].add.n;
	if ((res = calloc(n ? n : 1, sizeof(*res))) == NULL ||
	    (dns = calloc(n ? n : 1, sizeof(*dns))) == NULL ||
	    (dn = calloc(n ? n : 1, sizeof(*dn))) == NULL ||
	    (guids = calloc(n ? n : 1, sizeof(*guids))) == NULL ||
	    (found = calloc(n ? n : 1, sizeof(*found))) == NULL ||
	    (cur = calloc(n ? n : 1, sizeof(*cur))) == NULL ||
	    (cand = calloc(total ? total : 1, sizeof(*cand))) == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		dns[i] = pf->cs.v[i].dn;
		if (pf->cs.v[i].add.n > 0 && (res[i] = calloc(
		    pf->cs.v[i].add.n, sizeof(**res))) == NULL)
			goto oom;
	}
	if (n == 0) {
		rc = 0;
		goto out;
	}
	/* unreadable values would look absent, and be added again */
	if (dir_check_readable(d, dns[0]) == -1 ||
	    dir_read_many(d, dns, n, cur, found, guids) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		rec = &pf->cs.v[i];
		if ((r = planapply_locate(d, pf, i, found[i], guids[i], &cur[i],
		    &dn[i])) == -1)
			goto out;
		if (r == 1) {
			msg_err("plan line %lu: \"%s\": the account is gone%s; "
			    "its %zu value%s not applied", pf->line[i], rec->dn,
			    rec->guid != NULL ? " (no object has the plan's "
			    "objectGUID; deleted, or replaced by a new one with "
			    "the same name)" : "", rec->add.n, rec->add.n == 1 ?
			    " is" : "s are");
			for (j = 0; j < rec->add.n; j++)
				planapply_refuse(&res[i][j],
				    REASON_ACCOUNT_CHANGED, refused);
			continue;
		}
		for (j = 0; j < rec->add.n; j++) {
			if ((time_t)pf->vals[i][j].not_after < now) {
				cert_fmt_time((time_t)pf->vals[i][j].not_after, t,
				    sizeof(t));
				msg_err("plan line %lu: \"%s\": the certificate "
				    "of %s (SHA-1 %s) expired %s; not applied",
				    pf->line[i], dn[i], rec->add.v[j],
				    pf->vals[i][j].sha1, t);
				planapply_refuse(&res[i][j], REASON_EXPIRED,
				    refused);
				continue;
			}
			if (strlist_has(&cur[i], rec->add.v[j])) {
				res[i][j].outcome = REPORT_ALREADY;
				res[i][j].chg = -1;
				continue;
			}
			cand[nc].rec = i;
			cand[nc].val = j;
			cand[nc].keep = 1;
			nc++;
		}
	}
	/* the same duplicate-holder check as the run that made the plan */
	if (nc > 0) {
		if ((vals = calloc(nc, sizeof(*vals))) == NULL ||
		    (owners = calloc(nc, sizeof(*owners))) == NULL)
			goto oom;
		for (k = 0; k < nc; k++) {
			vals[k] = pf->cs.v[cand[k].rec].add.v[cand[k].val];
			owners[k] = dn[cand[k].rec];
		}
		x.pf = pf;
		x.cand = cand;
		x.dn = dn;
		x.res = res;
		x.refused = refused;
		if (plan_dup_check(d, vals, owners, nc, planapply_dup_report,
		    &x) == -1)
			goto out;
	}
	/* one modify per record: what is left of its adds, its deletes */
	for (i = 0, k = 0; i < n; i++) {
		rec = &pf->cs.v[i];
		c = NULL;
		for (; k < nc && cand[k].rec == i; k++) {
			if (!cand[k].keep)
				continue;
			if (c == NULL && ((c = changes_add(out, dn[i])) == NULL ||
			    (rec->guid != NULL && (c->guid = strdup(rec->guid)) ==
			    NULL)))
				goto oom;
			if (strlist_add(&c->add, rec->add.v[cand[k].val]) == -1)
				goto oom;
			res[i][cand[k].val].outcome = REPORT_PLANNED;
			res[i][cand[k].val].chg = (long)out->n - 1;
		}
		if (dn[i] == NULL)
			continue;
		for (j = 0; j < rec->del.n; j++) {
			if (!strlist_has(&cur[i], rec->del.v[j]))
				continue;
			if (c == NULL && ((c = changes_add(out, dn[i])) == NULL ||
			    (rec->guid != NULL && (c->guid = strdup(rec->guid)) ==
			    NULL)))
				goto oom;
			if (strlist_add(&c->del, rec->del.v[j]) == -1)
				goto oom;
		}
		for (j = 0; c != NULL && j < rec->notes.n; j++)
			if (strlist_add(&c->notes, rec->notes.v[j]) == -1)
				goto oom;
	}
	*resp = res;
	res = NULL;
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	planapply_res_free(res, n);
	for (i = 0; i < n; i++) {
		if (guids != NULL)
			free(guids[i]);
		if (dn != NULL)
			free(dn[i]);
		if (cur != NULL)
			strlist_free(&cur[i]);
	}
	free(guids);
	free(dn);
	free(dns);
	free(found);
	free(cur);
	free(cand);
	free(vals);
	free(owners);
	return rc;
}
