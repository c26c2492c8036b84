/*
 * The plan: read-only work against the directory.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "altsec.h"
#include "dir_forest.h"
#include "msg.h"
#include "plan.h"
#include "report.h"
#include "policy.h"
#include "sbuf.h"
#include "trust.h"
#include "upgrade.h"

/*
 * Entra Connect syncs altSecurityIdentities only within these limits (see
 * certbulk(1), STANDARDS: the 5 values of the sync rule, stricter than the
 * 10 that certificateUserIds itself now takes; 1024 characters each).
 */
#define ENTRA_MAX_VALUES	5
#define ENTRA_MAX_LEN		1024

int
strlist_has(const struct strlist *l, const char *v)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (altsec_casecmp(l->v[i], v) == 0)
			return 1;
	return 0;
}

struct change *
changes_add(struct changes *cs, const char *dn)
{
	struct change	*v, *c;
	size_t		 cap;

	/* doubling: one account's change at a time, a million of them */
	if (cs->n == cs->cap) {
		cap = cs->cap < 16 ? 16 : cs->cap * 2;
		if ((v = reallocarray(cs->v, cap, sizeof(*v))) == NULL)
			return NULL;
		cs->v = v;
		cs->cap = cap;
	}
	c = &cs->v[cs->n];
	memset(c, 0, sizeof(*c));
	c->rec = -1;
	if ((c->dn = strdup(dn)) == NULL)
		return NULL;
	cs->n++;
	return c;
}

void
change_free(struct change *c)
{
	change_names_free(c);
	free(c->server);
	strlist_free(&c->add);
	strlist_free(&c->del);
	strlist_free(&c->notes);
	change_thumbs_free(&c->thumbs);
	change_from_free(c);
	c->server = NULL;
}

void
change_from_free(struct change *c)
{
	if (c->nfrom > 1)
		free(c->from.v);
	memset(&c->from, 0, sizeof(c->from));
	c->nfrom = 0;
}

void
changes_free(struct changes *cs)
{
	size_t	i;

	for (i = 0; i < cs->n; i++)
		change_free(&cs->v[i]);
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
	cs->cap = 0;
}

void
change_names_free(struct change *c)
{
	if (!c->lent) {
		free(c->dn);
		free(c->guid);
	}
	c->dn = c->guid = NULL;
	c->lent = 0;
}

/*
 * Leaves IT out for REASON (a report.h code, or another module's); the
 * first reason given stays.
 */
static void
plan_refuse(struct item *it, struct plan_stats *st, const char *reason)
{
	if (!it->failed) {
		it->failed = 1;
		it->reason = reason;
		st->refused++;
	}
}


/*
 * Checks every item's certificate and the values input.c took from it;
 * refuses what cannot be mapped.
 */
static void
plan_values(struct input *in, const struct plan_opts *o,
    struct plan_stats *st)
{
	struct item	*it;
	const char	*why, *why2;
	char		 t[32];
	struct sbuf	 db = SBUF_INIT;	/* the description, made
						   only for a message */
	size_t		 i, nv;
	int		 k;

/* IT's description (input_desc) for a message */
#define PLAN_DESC() (sbuf_clear(&db), input_desc(it, &db), \
	    db.s != NULL && !db.oom ? db.s : "?")
	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		/* [MS-PKCA] 3.1.5.2.1.6: such a certificate names no one */
		if (INPUT_RARE(it)->sid_clash != NULL) {
			msg_err("%s: %s: the certificate names no account (%s); "
			    "not mapped", INPUT_SRC(it),
			    INPUT_RARE(it)->sid_clash,
			    PLAN_DESC());
			plan_refuse(it, st, REASON_SID_MISMATCH);
			continue;
		}
		if (it->fact.not_after < o->now) {
			cert_fmt_time(it->fact.not_after, t, sizeof(t));
			if (!o->allow_expired) {
				/* expected in a CA's folder: a note, not an
				 * error, unless --fail-on expired */
				(it->from_dir && report_expected(REASON_EXPIRED,
				    o->failon) ? msg_note : msg_err)("%s: "
				    "certificate expired %s (%s); not mapped "
				    "(--allow-expired maps it anyway)",
				    INPUT_SRC(it),
				    t, PLAN_DESC());
				plan_refuse(it, st, REASON_EXPIRED);
				continue;
			}
			msg_warn("%s: certificate expired %s", INPUT_SRC(it),
			    t);
		} else if (it->fact.not_before > o->now) {
			cert_fmt_time(it->fact.not_before, t, sizeof(t));
			msg_warn("%s: certificate not valid before %s",
			    INPUT_SRC(it), t);
		}
		if (o->trust != NULL && (input_cert(it) == NULL ||
		    trust_verify(o->trust, input_cert(it), &in->pool, o->now,
		    &why) == -1)) {
			msg_err("%s: certificate does not verify against the "
			    "trusted CAs: %s (%s); not mapped", INPUT_SRC(it),
			    input_cert(it) == NULL ? "certificate not kept" :
			    why, PLAN_DESC());
			/* the structured verdict: WHY names only the
			 * verifier's first complaint */
			if (input_cert(it) != NULL && trust_revocation(o->trust,
			    input_cert(it), &in->pool, o->now, &why2) ==
			    TRUST_REV_REVOKED)
				it->revoked = 1;
			plan_refuse(it, st, it->revoked ? REASON_REVOKED :
			    REASON_CHAIN);
			continue;
		}
		if (INPUT_RARE(it)->eku_why != NULL)
			msg_warn("%s: %s", INPUT_SRC(it),
			    INPUT_RARE(it)->eku_why);
		for (k = 0, nv = 0; k < ALTSEC_NTYPES; k++) {
			if (!(it->types & ALTSEC_BIT(k)))
				continue;
			/* --upgrade-weak: weak values to find accounts by */
			if (o->upgrade_weak && !(o->types & ALTSEC_BIT(k)) &&
			    (UPGRADE_WEAK_TYPES & ALTSEC_BIT(k)))
				continue;
			/* weak forms of --type are warned once by the run */
			if (!altsec_is_strong((enum altsec_type)k) &&
			    !(o->types & ALTSEC_BIT(k)))
				msg_warn("%s: %s (asked for in the row's types "
				    "column) is a weak mapping: domain "
				    "controllers in full enforcement "
				    "(KB5014754) ignore it for certificate "
				    "logon", INPUT_SRC(it),
				    altsec_type_name((enum altsec_type)k));
			if (input_value(it, k) == NULL) {
				msg_warn("%s: no %s value: %s", INPUT_SRC(it),
				    altsec_type_name((enum altsec_type)k),
				    input_why(it, k));
				continue;
			}
			if (it->fact.fallback & ALTSEC_BIT(k))
				msg_warn("%s: X509RFC822 taken from the "
				    "subject's E= attribute", INPUT_SRC(it));
			nv++;
		}
		if (nv == 0) {
			msg_err("%s: none of the requested mapping forms can be "
			    "built for this certificate; not mapped",
			    INPUT_SRC(it));
			plan_refuse(it, st, REASON_BAD_CERT);
		}
	}
#undef PLAN_DESC
	sbuf_reset(&db);
}

/* Key list with the item each key belongs to. */
struct plan_keys {
	struct dir_key	*k;
	size_t		*item;
	size_t		 n;
};

static int
plan_key(struct plan_keys *pk, size_t item, const char *attr,
    const char *value)
{
	struct dir_key	*k;
	size_t		*it;

	if ((k = realloc(pk->k, (pk->n + 1) * sizeof(*k))) == NULL)
		return -1;
	pk->k = k;
	if ((it = realloc(pk->item, (pk->n + 1) * sizeof(*it))) == NULL)
		return -1;
	pk->item = it;
	memset(&k[pk->n], 0, sizeof(*k));
	k[pk->n].attr = attr;
	k[pk->n].value = value;
	it[pk->n] = item;
	pk->n++;
	return 0;
}

static void
plan_keys_free(struct plan_keys *pk)
{
	dir_keys_free(pk->k, pk->n);
	free(pk->k);
	free(pk->item);
	memset(pk, 0, sizeof(*pk));
}

/* The lookups that name each item's account. */
static int
plan_lookup_keys(struct input *in, const struct plan_opts *o,
    const char *netbios, struct plan_keys *pk, struct plan_stats *st)
{
	const struct itemrare *r;
	struct item	*it;
	size_t		 i, j, before;
	int		 unchecked = 0, k;

	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		if (it->failed)
			continue;
		/* DOMAIN\user must name this directory's domain */
		if (it->domain != NULL && netbios != NULL &&
		    strcasecmp(it->domain, netbios) != 0) {
			msg_err("%s: %s\\%s names the domain %s, but this "
			    "directory is %s; not mapped", INPUT_SRC(it),
			    it->domain,
			    it->ident, it->domain, netbios);
			plan_refuse(it, st, REASON_WRONG_DOMAIN);
			continue;
		}
		if (it->domain != NULL && netbios == NULL && !unchecked++)
			msg_note("the directory names no NetBIOS domain (not "
			    "Active Directory?): DOMAIN\\user rows are taken "
			    "as this directory's users");
		if (it->kind != ID_MATCH) {
			if (plan_key(pk, i, input_kind_attr(it->kind),
			    it->ident) == -1)
				return -1;
			/* the second key of the item: see plan_resolve */
			if (it->upn_or_mail && plan_key(pk, i, "mail",
			    it->ident) == -1)
				return -1;
			continue;
		}
		before = pk->n;
		if (o->upgrade_weak) {
			/* the accounts holding this certificate's weak values */
			for (k = 0; k < ALTSEC_NTYPES; k++)
				if ((UPGRADE_WEAK_TYPES & ALTSEC_BIT(k)) &&
				    input_value(it, k) != NULL && plan_key(pk, i,
				    "altSecurityIdentities", input_value(it, k)) ==
				    -1)
					return -1;
			if (pk->n == before) {
				msg_err("%s: the certificate has no weak form "
				    "(issuer and subject, subject, e-mail) to "
				    "find an account by; not mapped",
				    INPUT_SRC(it));
				plan_refuse(it, st, REASON_NO_KEY);
			}
			continue;
		}
		/* an impossible SID is this file's problem, not the batch's */
		if (it->fact.sid != NULL && !dir_sid_valid(it->fact.sid)) {
			msg_err("%s: the certificate's SID (extension or SAN URI) "
			    "holds \"%s\", which is not a valid SID; not mapped",
			    INPUT_SRC(it),
			    it->fact.sid);
			plan_refuse(it, st, REASON_BAD_CERT);
			continue;
		}
		if ((o->match & MATCH_SID) && it->fact.sid != NULL &&
		    plan_key(pk, i, "objectSid", it->fact.sid) == -1)
			return -1;
		if ((o->match & MATCH_UPN) && it->fact.upn != NULL &&
		    plan_key(pk, i, "userPrincipalName", it->fact.upn) == -1)
			return -1;
		r = INPUT_RARE(it);
		if ((o->match & MATCH_EMAIL) && r->email != NULL &&
		    plan_key(pk, i, "mail", r->email) == -1)
			return -1;
		for (j = 0; (o->match & MATCH_DNS) && j < r->dns.n; j++)
			if (plan_key(pk, i, "dNSHostName", r->dns.v[j]) == -1)
				return -1;
		if (pk->n == before) {
			msg_err("%s: the certificate has nothing to find its "
			    "account by (--match: SID extension or SAN URI SID, "
			    "SAN UPN, SAN e-mail, SAN DNS name or host-name CN); "
			    "not mapped", INPUT_SRC(it));
			plan_refuse(it, st, REASON_NO_KEY);
		}
	}
	return 0;
}

/* The first key of ITEM (keys are added item by item), or pk->n. */
static size_t
plan_first_key(const struct plan_keys *pk, size_t item)
{
	size_t	lo = 0, hi = pk->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (pk->item[mid] < item)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Describes what an item was looked up by, for messages. */
static void
plan_by(struct sbuf *b, const struct plan_keys *pk, size_t item)
{
	size_t	j;
	int	first = 1;

	for (j = plan_first_key(pk, item); j < pk->n && pk->item[j] == item;
	    j++) {
		sbuf_printf(b, "%s%s=%s", first ? "" : " or ", pk->k[j].attr,
		    pk->k[j].value);
		first = 0;
	}
}

/* Appends the distinct accounts ITEM's lookups found. */
static void
plan_accounts_of(struct sbuf *b, const struct plan_keys *pk, size_t item,
    const struct accounts *acc)
{
	size_t	j, h, k, l;
	int	seen;

	sbuf_puts(b, " matches more than one account:");
	for (j = plan_first_key(pk, item); j < pk->n && pk->item[j] == item;
	    j++)
		for (h = 0; h < pk->k[j].nhits; h++) {
			seen = 0;
			for (k = plan_first_key(pk, item); k <= j && !seen; k++)
				for (l = 0; l < (k == j ? h : pk->k[k].nhits);
				    l++)
					if (pk->k[k].hits[l] == pk->k[j].hits[h])
						seen = 1;
			if (!seen)
				sbuf_printf(b, " \"%s\"",
				    acc->v[pk->k[j].hits[h]].dn);
		}
}

/*
 * A sAMAccountName row that found no account, e.g. PC01, is looked up
 * again as PC01$: computer accounts' names end in $ and people write them
 * without it.  A hit takes the key's place, with a note.  NAMES keeps the
 * new values for as long as PK lives.  0, or -1 (directory failed).
 */
static int
plan_sam_fallback(struct dir *d, struct input *in, struct plan_keys *pk,
    struct accounts *acc, struct strlist *names)
{
	struct plan_keys fb = { NULL, NULL, 0 };
	struct sbuf	 b = SBUF_INIT;
	struct dir_key	*k;
	size_t		 j, n;
	int		 rc = -1;

	for (j = 0; j < pk->n; j++) {
		k = &pk->k[j];
		n = strlen(k->value);
		if (strcasecmp(k->attr, "sAMAccountName") != 0 ||
		    k->nhits > 0 || k->err != NULL || n == 0 ||
		    k->value[n - 1] == '$')
			continue;
		sbuf_reset(&b);
		sbuf_printf(&b, "%s$", k->value);
		if (b.oom || strlist_add(names, b.s) == -1 ||
		    plan_key(&fb, j, "sAMAccountName",
		    names->v[names->n - 1]) == -1) {
			msg_err("out of memory");
			goto out;
		}
	}
	if (fb.n == 0) {
		rc = 0;
		goto out;
	}
	if (dir_lookup(d, fb.k, fb.n, acc) == -1)
		goto out;
	for (j = 0; j < fb.n; j++) {
		if (fb.k[j].nhits == 0 || fb.k[j].err != NULL)
			continue;
		k = &pk->k[fb.item[j]];
		msg_note("%s: no account named %s; found the computer account "
		    "%s", INPUT_SRC(&in->items[pk->item[fb.item[j]]]), k->value,
		    fb.k[j].value);
		free(k->hits);
		k->hits = fb.k[j].hits;
		k->nhits = fb.k[j].nhits;
		k->value = fb.k[j].value;
		fb.k[j].hits = NULL;
		fb.k[j].nhits = 0;
	}
	rc = 0;
out:
	sbuf_reset(&b);
	plan_keys_free(&fb);
	return rc;
}

/*
 * Reads the account DN of another domain, found through the Global
 * Catalog, on a DC of its own domain (dir_home) into ACC, and adds it to
 * K's hits: the GC holds a partial replica that may be behind, so the
 * values the domain's DC holds are the ones that count.  A domain whose
 * DC cannot be used, or that does not hold the account, is K's error
 * (that row's, not the batch's).  0, or -1 on ENOMEM.
 */
static int
plan_forest_home(struct dir *d, struct dir_key *k, const char *dn,
    struct accounts *acc)
{
	struct dir_key	 rk;
	struct dir	*h;
	struct sbuf	 b = SBUF_INIT;
	size_t		*hits;
	char		*why = NULL;
	long		 ix;
	int		 rc = -1;

	memset(&rk, 0, sizeof(rk));
	rk.attr = "distinguishedName";
	rk.value = dn;
	/* -b narrower than the domain limits the run to that subtree */
	if (!dir_dn_equal(dir_base(d), dir_domain(d))) {
		sbuf_printf(&b, "%s %s is \"%s\", an account of another domain "
		    "of the forest, outside the search base -b %s", k->attr,
		    k->value, dn, dir_base(d));
		goto err;
	}
	if ((h = dir_home(d, dn, &why)) == NULL) {
		sbuf_printf(&b, "%s %s is \"%s\", an account of another domain "
		    "of the forest, but %s", k->attr, k->value, dn,
		    why ? why : "out of memory");
		goto err;
	}
	if (h == d) {	/* the GC's copy of this domain: not its account */
		rc = 0;
		goto out;
	}
	if (dir_lookup(h, &rk, 1, acc) == -1 || rk.err != NULL ||
	    rk.nhits != 1) {
		sbuf_printf(&b, "%s %s is \"%s\" in the Global Catalog, but "
		    "its domain controller %s %s", k->attr, k->value, dn,
		    dir_uri(h), rk.err ? rk.err : rk.nhits == 0 ?
		    "does not hold it (not replicated yet, or gone)" :
		    "could not read it");
		goto err;
	}
	ix = (long)rk.hits[0];
	acc->v[ix].server = dir_uri(h);
	if ((hits = reallocarray(k->hits, k->nhits + 1, sizeof(*hits))) ==
	    NULL)
		goto out;
	k->hits = hits;
	k->hits[k->nhits++] = (size_t)ix;
	rc = 0;
	goto out;
err:
	/* the row's error (plan_resolve names it); the others go on */
	if (b.oom)
		goto out;
	if (k->err == NULL) {
		k->err = b.s;
		b.s = NULL;
	}
	rc = 0;
out:
	sbuf_reset(&b);
	free(why);
	dir_keys_free(&rk, 1);
	return rc;
}

/*
 * With a Global Catalog (dir_forest.h), an item that found no account in
 * this domain is looked for in the forest by its UPN, mail and SID keys
 * (the attributes unique across a forest): an account of another domain
 * is read again on a DC of its own domain and changed there
 * (plan_forest_home).  0, or -1 (the directory failed, reported).
 */
static int
plan_forest_hint(struct dir *d, const struct input *in,
    struct plan_keys *pk, struct accounts *main_acc)
{
	struct accounts	 acc = { NULL, 0, NULL, 0 };
	struct dir_key	*keys = NULL, *k;
	const char	*dn;
	size_t		*of = NULL, n = 0, i, j, f, h;
	int		 rc = -1;

	if (dir_gc(d) == NULL || pk->n == 0)
		return 0;
	if ((keys = calloc(pk->n, sizeof(*keys))) == NULL ||
	    (of = calloc(pk->n, sizeof(*of))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (j = 0; j < pk->n; j++) {
		k = &pk->k[j];
		if (k->nhits > 0 || k->err != NULL ||
		    (strcasecmp(k->attr, "userPrincipalName") != 0 &&
		    strcasecmp(k->attr, "mail") != 0 &&
		    strcasecmp(k->attr, "objectSid") != 0))
			continue;
		i = pk->item[j];
		for (f = plan_first_key(pk, i); f < pk->n && pk->item[f] == i &&
		    pk->k[f].nhits == 0; f++)
			;
		if (f < pk->n && pk->item[f] == i)
			continue;	/* another key found its account */
		keys[n].attr = k->attr;
		keys[n].value = k->value;
		of[n++] = j;
	}
	if (n > 0 && dir_lookup(dir_gc(d), keys, n, &acc) == -1)
		goto out;
	for (j = 0; j < n; j++)
		for (h = 0; h < keys[j].nhits; h++) {
			dn = acc.v[keys[j].hits[h]].dn;
			if (dir_dn_under(dn, dir_domain(d)))
				continue;
			msg_info("%s: %s %s is \"%s\", an account of another "
			    "domain of the forest (Global Catalog)",
			    INPUT_SRC(&in->items[pk->item[of[j]]]),
			    keys[j].attr,
			    keys[j].value, dn);
			if (plan_forest_home(d, &pk->k[of[j]], dn, main_acc) ==
			    -1) {
				msg_err("out of memory");
				goto out;
			}
		}
	rc = 0;
out:
	dir_keys_free(keys, n);
	free(keys);
	free(of);
	accounts_free(&acc);
	return rc;
}

/* Gives each item its account: exactly one across all its lookups. */
static void
plan_resolve(struct input *in, const struct plan_keys *pk,
    const struct accounts *acc, const char *base, const struct plan_opts *o,
    struct plan_stats *st)
{
	struct item	*it;
	struct sbuf	 b = SBUF_INIT;
	const char	*code;
	size_t		 i, j, h;

	for (j = 0; j < pk->n; j++) {
		it = &in->items[pk->item[j]];
		/*
		 * An e-mail address in the user column: its keys are UPN,
		 * then mail; mail counts only when no UPN matched.
		 */
		if (it->upn_or_mail && strcmp(pk->k[j].attr, "mail") == 0 &&
		    j > 0 && pk->item[j - 1] == pk->item[j]) {
			if (pk->k[j - 1].nhits > 0) {
				msg_audit("%s: %s found by userPrincipalName",
				    INPUT_SRC(it), it->ident);
				continue;
			}
			if (pk->k[j].nhits > 0)
				msg_note("%s: %s is no account's "
				    "userPrincipalName; found by mail",
				    INPUT_SRC(it),
				    it->ident);
		}
		for (h = 0; h < pk->k[j].nhits; h++) {
			if (it->acct == -1)
				it->acct = (long)pk->k[j].hits[h];
			else if (it->acct != (long)pk->k[j].hits[h])
				it->acct = -2;	/* more than one */
		}
	}
	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		if (it->failed)
			continue;
		/* a lookup the server refused: this row's error, named */
		for (j = plan_first_key(pk, i); j < pk->n && pk->item[j] == i;
		    j++)
			if (pk->k[j].err != NULL)
				break;
		if (j < pk->n && pk->item[j] == i) {
			msg_err("%s: %s; not mapped", INPUT_SRC(it),
			    pk->k[j].err);
			it->acct = -1;
			plan_refuse(it, st, REASON_LDAP);
			continue;
		}
		sbuf_reset(&b);
		plan_by(&b, pk, i);
		if (it->acct == -1) {
			(it->from_dir && report_expected(REASON_UNKNOWN_USER,
			    o->failon) ? msg_note : msg_err)("%s: no account with "
			    "%s; not mapped", INPUT_SRC(it), b.s ? b.s : "");
			plan_refuse(it, st, REASON_UNKNOWN_USER);
			continue;
		}
		if (it->acct == -2) {
			plan_accounts_of(&b, pk, i, acc);
			msg_err("%s: %s; not mapped", INPUT_SRC(it), b.s);
			it->acct = -1;
			plan_refuse(it, st, REASON_AMBIGUOUS);
			continue;
		}
		/* for the report: the account's own string, whose arena
		 * the input adopts when the plan is built (plan_build) */
		it->acct_dn = acc->v[it->acct].dn;
		/*
		 * -b limits the accounts a run maps, whatever names them: a
		 * DN row is read directly, so it is checked here.
		 */
		if (it->kind == ID_DN &&
		    !dir_dn_under(acc->v[it->acct].dn, base)) {
			msg_err("%s: \"%s\" is outside the search base -b %s; "
			    "not mapped", INPUT_SRC(it), acc->v[it->acct].dn,
			    base);
			plan_refuse(it, st, REASON_OUT_OF_BASE);
			continue;
		}
		/*
		 * X509IssuerSID binds the account to the SID the certificate
		 * carries: only for the account that has that objectSid.
		 */
		if (input_value(it, ALTSEC_ISSUER_SID) != NULL &&
		    (acc->v[it->acct].sid == NULL || strcasecmp(it->fact.sid,
		    acc->v[it->acct].sid) != 0)) {
			msg_err("%s: X509IssuerSID: the certificate's SID is %s "
			    "but the account \"%s\" is %s; not mapped",
			    INPUT_SRC(it),
			    it->fact.sid, acc->v[it->acct].dn,
			    acc->v[it->acct].sid ? acc->v[it->acct].sid :
			    "(no objectSid)");
			plan_refuse(it, st, REASON_SID_MISMATCH);
			continue;
		}
		/*
		 * Found from the certificate: its own SID (extension or SAN
		 * URI) names the account (a CSV row's identities are
		 * policy_check's).
		 */
		if (it->kind == ID_MATCH && it->fact.sid != NULL &&
		    acc->v[it->acct].sid != NULL &&
		    strcasecmp(it->fact.sid, acc->v[it->acct].sid) != 0) {
			msg_err("%s: the certificate's SID names %s but the "
			    "account \"%s\" is %s; not mapped [%s]",
			    INPUT_SRC(it),
			    it->fact.sid, acc->v[it->acct].dn,
			    acc->v[it->acct].sid, POLICY_IDENTITY);
			plan_refuse(it, st, POLICY_IDENTITY);
			continue;
		}
		if ((code = policy_check(o->pol, it, &acc->v[it->acct])) !=
		    NULL)
			plan_refuse(it, st, code);
	}
	sbuf_reset(&b);
}

static int
plan_keycmp(const void *a, const void *b)
{
	const struct dir_key	*ka = *(const struct dir_key *const *)a;
	const struct dir_key	*kb = *(const struct dir_key *const *)b;

	return altsec_casecmp(ka->value, kb->value);
}

/*
 * One pass of plan_dup_check on connection C: every account holding each
 * value, other than its owner, is reported.  With SKIP (the GC pass),
 * holders under that naming context are left out: this domain's were
 * asked of its DC, which is never behind the GC on its own accounts.
 */
static int
plan_dup_pass(struct dir *c, const char *skip, char *const *vals,
    char *const *owners, size_t n,
    void (*report)(void *, size_t, const char *, const char *), void *arg)
{
	struct accounts	 acc = { NULL, 0, NULL, 0 };
	struct dir_key	*keys = NULL;
	const char	*dn;
	size_t		 i, h;
	int		 rc = -1;

	if (n > 0 && (keys = calloc(n, sizeof(*keys))) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		keys[i].attr = "altSecurityIdentities";
		keys[i].value = vals[i];
	}
	/* the server's equality match decides which accounts hold it; of
	 * each holder only its DN is used, and its values to match them */
	if (dir_lookup_holders(c, keys, n, &acc) == -1)
		goto out;
	for (i = 0; i < n; i++) {
		/* not checked is not free: the caller leaves the value out */
		if (keys[i].err != NULL)
			report(arg, i, NULL, keys[i].err);
		for (h = 0; h < keys[i].nhits; h++) {
			dn = acc.v[keys[i].hits[h]].dn;
			if ((skip == NULL || !dir_dn_under(dn, skip)) &&
			    !dir_dn_equal(dn, owners[i]))
				report(arg, i, dn, NULL);
		}
	}
	rc = 0;
out:
	dir_keys_free(keys, n);
	free(keys);
	accounts_free(&acc);
	return rc;
}

int
plan_dup_check(struct dir *d, char *const *vals, char *const *owners,
    size_t n, void (*report)(void *, size_t, const char *, const char *),
    void *arg)
{
	if (plan_dup_pass(d, NULL, vals, owners, n, report, arg) == -1)
		return -1;
	/* the other domains of the forest, through the Global Catalog */
	if (dir_gc(d) != NULL && plan_dup_pass(dir_gc(d), dir_domain(d), vals,
	    owners, n, report, arg) == -1)
		return -1;
	return 0;
}

/* What plan_conflicts passes to plan_dup_check's report. */
struct plan_dupctx {
	struct input		*in;
	const size_t		*item;	/* per value: its item */
	char *const		*vals;
	const struct accounts	*acc;
	struct plan_stats	*st;
};

static void
plan_dup_report(void *arg, size_t i, const char *holder, const char *err)
{
	struct plan_dupctx	*c = arg;
	struct item		*it = &c->in->items[c->item[i]];

	if (err != NULL) {
		msg_err("%s: %s; cannot tell whether another account holds "
		    "it; not mapped", INPUT_SRC(it), err);
		plan_refuse(it, c->st, REASON_LDAP);
		return;
	}
	msg_err("%s: %s is already on \"%s\"; mapping it to \"%s\" too would "
	    "let either account log on with it; not mapped", INPUT_SRC(it),
	    c->vals[i], holder, c->acc->v[it->acct].dn);
	plan_refuse(it, c->st, REASON_DUP);
}

/* Orders value indices by their values (qsort_r, ARG the values). */
static int
plan_valcmp(const void *a, const void *b, void *arg)
{
	char *const	*vals = arg;

	return altsec_casecmp(vals[*(const size_t *)a],
	    vals[*(const size_t *)b]);
}

/*
 * Refuses values that would sit on two accounts: held by another account
 * in the directory, or wanted for two accounts by this run.  The values
 * are held as a list with the item of each, not as lookup keys (struct
 * dir_key, 40 bytes a value at the plan's peak): plan_dup_check makes
 * its own keys.
 */
/*
 * Rows ORD[0..M) of the run (indexes into VALS and ITEM) want the same
 * value.  Unless they are all for one account, none of them is mapped:
 * two rows get one message naming both, more rows one message each.  Not
 * one per pair: a value every row of a large batch wants (X509Issuer, the
 * same for every certificate of a CA) would print M * (M - 1) / 2 lines.
 */
static void
plan_dup_rows(struct input *in, struct accounts *acc, char **vals,
    const size_t *item, const size_t *ord, size_t m, struct plan_stats *st)
{
	struct item	*first = &in->items[item[ord[0]]], *other = NULL;
	struct item	*it, *jt;
	size_t		 a;

	for (a = 1; a < m && other == NULL; a++)
		if (in->items[item[ord[a]]].acct != first->acct)
			other = &in->items[item[ord[a]]];
	if (other == NULL)
		return;		/* one account: its change holds it once */
	if (m == 2) {
		msg_err("%s and %s: %s is wanted for both \"%s\" and \"%s\"; "
		    "neither is mapped", INPUT_SRC(first), INPUT_SRC(other),
		    vals[ord[0]],
		    acc->v[first->acct].dn, acc->v[other->acct].dn);
		plan_refuse(first, st, REASON_DUP);
		plan_refuse(other, st, REASON_DUP);
		return;
	}
	for (a = 0; a < m; a++) {
		it = &in->items[item[ord[a]]];
		jt = it->acct != first->acct ? first : other;
		msg_err("%s: %s is wanted for \"%s\" and by %zu other rows of "
		    "this run, among them %s for \"%s\"; none of them is "
		    "mapped", INPUT_SRC(it), vals[ord[a]], acc->v[it->acct].dn,
		    m - 1, INPUT_SRC(jt), acc->v[jt->acct].dn);
		plan_refuse(it, st, REASON_DUP);
	}
}

static int
plan_conflicts(struct dir *d, struct input *in, struct accounts *acc,
    struct plan_stats *st)
{
	struct plan_dupctx dc;
	struct item	*it;
	char		**vals = NULL, **owners = NULL, **nv;
	size_t		*item = NULL, *order = NULL, *ni;
	size_t		 i, j, n = 0, cap = 0;
	int		 k, rc = -1;

	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		if (it->failed)
			continue;
		for (k = 0; k < ALTSEC_NTYPES; k++) {
			if (input_value(it, k) == NULL)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 1024;
				if ((nv = reallocarray(vals, cap,
				    sizeof(*vals))) == NULL)
					goto oom;
				vals = nv;
				if ((ni = reallocarray(item, cap,
				    sizeof(*item))) == NULL)
					goto oom;
				item = ni;
			}
			vals[n] = input_value(it, k);
			item[n++] = i;
		}
	}
	if (n > 0 && (owners = calloc(n, sizeof(*owners))) == NULL)
		goto oom;
	for (j = 0; j < n; j++)
		owners[j] = acc->v[in->items[item[j]].acct].dn;
	dc.in = in;
	dc.item = item;
	dc.vals = vals;
	dc.acc = acc;
	dc.st = st;
	if (n > 0) {
		if (dir_gc(d) != NULL)
			msg_note("duplicate check: values held anywhere in %s "
			    "(this domain, from its DC) and in the other domains "
			    "of the forest (Global Catalog %s)", dir_domain(d),
			    dir_uri(dir_gc(d)));
		else
			msg_note("duplicate check: values held anywhere in %s "
			    "(this domain; other domains of the forest are not "
			    "searched)", dir_domain(d));
		if (plan_dup_check(d, vals, owners, n, plan_dup_report,
		    &dc) == -1)
			goto out;
	}
	/* the same value for two accounts within this run: sort, compare */
	if (n > 0 && (order = malloc(n * sizeof(*order))) == NULL)
		goto oom;
	for (i = 0; i < n; i++)
		order[i] = i;
	if (n > 0)
		qsort_r(order, n, sizeof(*order), plan_valcmp, vals);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && altsec_casecmp(vals[order[i]],
		    vals[order[j]]) == 0; j++)
			;
		plan_dup_rows(in, acc, vals, item, order + i, j - i, st);
	}
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	free(vals);
	free(owners);
	free(item);
	free(order);
	return rc;
}

/*
 * The block of item IT's notes on change C, made on first need: placed
 * after the notes C holds so far, its first value note numbered for the
 * value about to be added.  NULL on ENOMEM.
 */
static struct change_from *
plan_from(struct change *c, const struct item *it, struct change_from *cur)
{
	struct change_from	*v;

	if (cur != NULL)
		return cur;
	if (c->nfrom == UINT32_MAX || c->notes.n > UINT32_MAX ||
	    c->add.n > UINT32_MAX)
		return NULL;
	/* most changes have one item, held in place: no block of its own */
	if (c->nfrom == 0)
		v = &c->from.one;
	else if (c->nfrom == 1) {
		if ((v = malloc(2 * sizeof(*v))) == NULL)
			return NULL;
		v[0] = c->from.one;
		c->from.v = v;
		v = &v[1];
	} else {
		if ((v = reallocarray(c->from.v, c->nfrom + 1, sizeof(*v))) ==
		    NULL)
			return NULL;
		c->from.v = v;
		v = &v[c->nfrom];
	}
	c->nfrom++;
	v->it = it;
	v->at = (uint32_t)c->notes.n;
	v->val = (uint32_t)c->add.n;
	v->nval = 0;
	return v;
}

/*
 * An item's notes as plan_changes placed them: one per value it added,
 * which ties the value to its certificate (a reviewed plan, certbulk
 * apply, checks it again before writing), then where the item came from.
 */
static void
plan_from_put(const struct change_from *f, struct sbuf *tmp, struct sbuf *b,
    void (*put)(struct sbuf *, const char *))
{
	const struct item	*it = f->it;
	char			 hex[INPUT_SHA1_HEX];
	const char		*sha1 = input_sha1(it, hex);
	unsigned		 j;

	for (j = 0; j < f->nval; j++) {
		sbuf_clear(tmp);
		sbuf_printf(tmp, PLAN_VALUE_NOTE "%u sha1=%s not-before=%lld "
		    "not-after=%lld", f->val + j, sha1 != NULL && *sha1 != '\0' ?
		    sha1 : "-", (long long)it->fact.not_before,
		    (long long)it->fact.not_after);
		if (tmp->oom)
			break;
		put(b, tmp->s);
	}
	sbuf_clear(tmp);
	sbuf_printf(tmp, "from %s: ", INPUT_SRC(it));
	input_desc(it, tmp);
	if (!tmp->oom)
		put(b, tmp->s);
	if (tmp->oom)
		b->oom = 1;
}

void
changes_notes(const struct change *c, struct sbuf *b,
    void (*put)(struct sbuf *, const char *))
{
	struct sbuf	 tmp = SBUF_INIT;
	size_t		 i, j = 0;

	if (c->kind_note && c->kind != NULL) {
		sbuf_printf(&tmp, "%s account", c->kind);
		if (!tmp.oom)
			put(b, tmp.s);
		b->oom |= tmp.oom;
	}
	for (i = 0; i <= c->notes.n; i++) {
		while (j < c->nfrom && change_from_v(c)[j].at == i)
			plan_from_put(&change_from_v(c)[j++], &tmp, b, put);
		if (i < c->notes.n)
			put(b, c->notes.v[i]);
	}
	sbuf_reset(&tmp);
}

/* Appends *S to L, which takes it over (*S becomes NULL); 0 or -1. */
static int
plan_take(struct strlist *l, char **s)
{
	char	**v;

	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		return -1;
	v[l->n++] = *s;
	l->v = v;
	*s = NULL;
	return 0;
}

/* Appends IT to T, the items of a change's values; 0 or -1. */
static int
plan_thumb(struct change_thumbs *t, const struct item *it)
{
	const struct item	**v;
	uint32_t		  cap;

	if (t->n == 0 && t->cap == 0) {
		t->u.one = it;
		t->n = 1;
		return 0;
	}
	if (t->n == UINT32_MAX)
		return -1;
	if (t->n >= t->cap) {
		cap = t->cap == 0 ? 4 : t->cap > UINT32_MAX / 2 ? UINT32_MAX :
		    2 * t->cap;
		if (t->cap == 0) {
			if ((v = malloc(cap * sizeof(*v))) == NULL)
				return -1;
			if (t->n > 0)
				v[0] = t->u.one;
		} else if ((v = reallocarray(t->u.v, cap, sizeof(*v))) ==
		    NULL)
			return -1;
		t->u.v = v;
		t->cap = cap;
	}
	t->u.v[t->n++] = it;
	return 0;
}

const struct item *
change_thumb(const struct change_thumbs *t, size_t j)
{
	if (j >= t->n)
		return NULL;
	return t->cap == 0 ? t->u.one : t->u.v[j];
}

const struct item **
change_thumbs_v(struct change_thumbs *t)
{
	return t->cap == 0 ? &t->u.one : t->u.v;
}

void
change_thumbs_free(struct change_thumbs *t)
{
	if (t->cap > 0)
		free(t->u.v);	/* the items are not the change's */
	memset(t, 0, sizeof(*t));
}

void
change_drop_add(struct change *c, size_t j)
{
	const struct item	**tv = change_thumbs_v(&c->thumbs);
	struct item		*it;
	char			*v = c->add.v[j];
	int			 k;

	/* the thumbprint's item is the input's, not the change's: the
	 * cast only drops const */
	it = (struct item *)(uintptr_t)change_thumb(&c->thumbs, j);
	for (k = 0; it != NULL && k < ALTSEC_NTYPES; k++)
		if ((it->moved & ALTSEC_BIT(k)) && input_value(it, k) == v)
			break;
	if (it != NULL && k < ALTSEC_NTYPES)
		it->moved &= ~ALTSEC_BIT(k);
	else
		free(v);
	memmove(&c->add.v[j], &c->add.v[j + 1],
	    (c->add.n - j - 1) * sizeof(*c->add.v));
	c->add.n--;
	if (j < c->thumbs.n) {
		memmove(&tv[j], &tv[j + 1],
		    (c->thumbs.n - j - 1) * sizeof(*tv));
		c->thumbs.n--;
	}
}

/*
 * --upgrade-weak: keeps the items whose account (found by a weak value,
 * or named by the row) holds a weak value of the certificate, records in
 * REPL[i] which ones (for the preview; --prune-weak will delete them),
 * and drops the weak values the items held only to be found by.
 */
static int
plan_upgrade(struct input *in, const struct plan_opts *o,
    const struct accounts *acc, const char *base, struct strlist *repl,
    struct plan_stats *st)
{
	struct item	*it;
	char		*vals[ALTSEC_NTYPES];
	long		 r;
	size_t		 i;
	int		 k, strong;

	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		if (it->failed || it->acct < 0)
			continue;
		if (!dir_dn_under(acc->v[it->acct].dn, base)) {
			msg_err("%s: \"%s\", which holds a weak value of this "
			    "certificate, is outside the search base -b %s; "
			    "not mapped", INPUT_SRC(it), acc->v[it->acct].dn,
			    base);
			it->acct = -1;
			plan_refuse(it, st, REASON_OUT_OF_BASE);
			continue;
		}
		for (k = 0; k < ALTSEC_NTYPES; k++)
			vals[k] = input_value(it, k);
		if ((r = upgrade_replaced(vals, &acc->v[it->acct].altsec,
		    &repl[i])) == -1)
			return -1;
		for (k = 0, strong = 0; k < ALTSEC_NTYPES; k++) {
			if (!(o->types & ALTSEC_BIT(k)) &&
			    (UPGRADE_WEAK_TYPES & ALTSEC_BIT(k))) {
				free(input_value(it, k));
				*input_slot(it, k) = NULL;
			}
			if (input_value(it, k) != NULL)
				strong++;
		}
		if (r == 0) {
			msg_err("%s: \"%s\" holds no weak mapping of this "
			    "certificate: --upgrade-weak maps only accounts "
			    "that do; not mapped", INPUT_SRC(it),
			    acc->v[it->acct].dn);
			it->acct = -1;
			plan_refuse(it, st, REASON_NO_WEAK);
		} else if (strong == 0) {
			msg_err("%s: none of the requested mapping forms can be "
			    "built for this certificate; not mapped",
			    INPUT_SRC(it));
			it->acct = -1;
			plan_refuse(it, st, REASON_BAD_CERT);
		}
	}
	return 0;
}

/* Makes room in CS for N more changes; 0 or -1 (ENOMEM). */
static int
plan_changes_room(struct changes *cs, size_t n)
{
	struct change	*v;

	if (n > SIZE_MAX / sizeof(*v) - cs->n)
		return -1;
	if ((v = reallocarray(cs->v, cs->n + n, sizeof(*v))) == NULL)
		return -1;
	cs->v = v;
	cs->cap = cs->n + n;
	return 0;
}

/*
 * What the changes need of an account once the plan's checks are done:
 * its values, its kind and where it is changed.  A batch's accounts
 * (104 bytes each, and their DN index) are freed before the changes are
 * made, so that the two are not held at once (the peak of a preview).
 */
struct plan_acct {
	char		**vals;		/* owned: altSecurityIdentities held */
	const char	 *server;	/* not owned (struct account) */
	uint32_t	  nvals;
	unsigned char	  computer;
};

static void
plan_acct_free(struct plan_acct *a)
{
	struct strlist	l = { a->vals, a->nvals };

	strlist_free(&l);
	a->vals = NULL;
	a->nvals = 0;
}

/*
 * Moves of each of ACC's accounts what the changes need into an array of
 * ACC->n, points the items at their accounts' DN, objectGUID and
 * sAMAccountName (the run state records whose account each value went
 * to), hands the accounts' strings to IN's arena and frees ACC.  NULL on
 * ENOMEM (ACC is left whole) or when ACC holds no account.
 */
static struct plan_acct *
plan_accts(struct input *in, struct accounts *acc)
{
	struct plan_acct	*pa;
	const struct account	*a;
	struct item		*it;
	size_t			 i;

	if (acc->n == 0)
		return NULL;
	for (i = 0; i < acc->n; i++)
		if (acc->v[i].altsec.n > UINT32_MAX)
			return NULL;
	if ((pa = calloc(acc->n, sizeof(*pa))) == NULL)
		return NULL;
	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		if (it->failed || it->acct < 0)
			continue;
		/* the account's strings, not copies: their arena goes to
		 * the input's below */
		a = &acc->v[it->acct];
		it->adn = a->dn;
		it->aguid = a->guid;
		it->asam = a->sam;
	}
	for (i = 0; i < acc->n; i++) {
		pa[i].vals = acc->v[i].altsec.v;
		pa[i].nvals = (uint32_t)acc->v[i].altsec.n;
		pa[i].server = acc->v[i].server;
		pa[i].computer = acc->v[i].computer != 0;
		acc->v[i].altsec.v = NULL;
		acc->v[i].altsec.n = 0;
	}
	arena_adopt(&in->arena, &acc->arena);
	accounts_free(acc);
	return pa;
}

/*
 * The change of account IDX, made on first need (CHG: per account, its
 * change's index, or -1).  NULL on ENOMEM.
 */
static struct change *
plan_chg_get(struct changes *out, const struct plan_acct *acc, int32_t *chg,
    const struct item *it)
{
	const struct plan_acct	*a = &acc[it->acct];
	struct change		*c;
	long			 idx = it->acct;

	if (chg[idx] >= 0)
		return &out->v[chg[idx]];
	if ((c = changes_add(out, "")) == NULL)
		return NULL;
	/*
	 * The DN and objectGUID are the item's copies of its account's
	 * (plan_changes, in the input's arena, which outlives the plan's
	 * changes): lent, not copied again per account.
	 */
	free(c->dn);
	c->dn = it->adn;
	c->guid = it->aguid;
	c->lent = 1;
	/* which kind, for the preview, undo and logs */
	c->kind = a->computer ? "computer" : "user";
	c->kind_note = 1;
	chg[idx] = (int32_t)out->n - 1;
	c->have = a->nvals;
	/* an account of another domain: changed on its domain's DC */
	if (a->server != NULL && (c->server = strdup(a->server)) == NULL)
		return NULL;
	c->foreign = a->server != NULL;
	return c;
}

/*
 * --upgrade-weak: notes the weak values REPL that item IT's strong ones
 * replace; with PRUNE (--prune-weak) deletes them in the same modify.
 * The item's values are all in place or added by that modify by now, so
 * the account is never left without its mapping.
 */
static int
plan_replaced(struct changes *out, const struct plan_acct *acc, int32_t *chg,
    const struct item *it, const struct strlist *repl, int prune)
{
	struct change	*c;
	char		*note;
	size_t		 j;
	int		 k;

	for (j = 0; j < repl->n; j++) {
		if (!prune && chg[it->acct] < 0)
			continue;
		if ((c = plan_chg_get(out, acc, chg, it)) == NULL)
			return -1;
		if (prune && !strlist_has(&c->del, repl->v[j]) &&
		    strlist_add(&c->del, repl->v[j]) == -1)
			return -1;
		if (asprintf(&note, "replaces the weak value %s (%s)",
		    repl->v[j], prune ? "removed: --prune-weak" : "kept") == -1)
			return -1;
		k = strlist_add(&c->notes, note);
		free(note);
		if (k == -1)
			return -1;
	}
	return 0;
}

/*
 * Groups the items by account and keeps the values each one lacks; those
 * values move from the items into the changes.  REPL (or NULL): per item,
 * the weak values its strong ones replace (--upgrade-weak), as notes, or
 * with PRUNE_WEAK as deletes.
 */
static int
plan_changes(struct input *in, const struct plan_acct *acc, size_t nacc,
    const struct strlist *repl, int prune_weak, struct changes *out,
    struct plan_stats *st)
{
	const struct plan_acct	*a;
	struct strlist		 have;
	struct change		*c;
	struct change_from	*f;
	int32_t			*chg = NULL;
	struct item		*it;
	size_t			 i, examined = 0;
	int			 k, rc = -1;

	if (nacc > 0 && (chg = malloc(nacc * sizeof(*chg))) == NULL)
		goto out;
	/*
	 * Room for a change per account at once, not doubled as they come:
	 * each doubling copied the changes so far and left the old block a
	 * hole in the heap (the preview's peak); the slots never used are
	 * never touched.
	 */
	if (nacc > out->cap - out->n && plan_changes_room(out, nacc) == -1)
		goto out;
	for (i = 0; i < nacc; i++)
		chg[i] = -2;	/* -2: not examined, -1: no change */
	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		if (it->failed || it->acct < 0)
			continue;
		a = &acc[it->acct];
		have.v = a->vals;
		have.n = a->nvals;
		if (chg[it->acct] == -2) {
			examined++;
			chg[it->acct] = -1;
		}
		f = NULL;
		for (k = 0; k < ALTSEC_NTYPES; k++) {
			if (input_value(it, k) == NULL ||
			    strlist_has(&have, input_value(it, k)))
				continue;
			if ((c = plan_chg_get(out, acc, chg, it)) == NULL)
				goto out;
			if (strlist_has(&c->add, input_value(it, k)))
				continue;
			/* its value note, numbered for this value */
			if ((f = plan_from(c, it, f)) == NULL)
				goto out;
			/* moved, not copied: the item keeps a borrowed
			 * pointer for the report (it->moved) */
			if (plan_take(&c->add, input_slot(it, k)) == -1 ||
			    plan_thumb(&c->thumbs, it) == -1)
				goto out;
			*input_slot(it, k) = c->add.v[c->add.n - 1];
			it->moved |= ALTSEC_BIT(k);
			st->values++;
			f->nval++;
		}
		it->chg = chg[it->acct] >= 0 ? chg[it->acct] : -1;
		/* where it came from, on its account's change even when it
		 * adds nothing there */
		if (chg[it->acct] >= 0 && plan_from(&out->v[chg[it->acct]], it,
		    f) == NULL)
			goto out;
		if (repl != NULL && plan_replaced(out, acc, chg, it, &repl[i],
		    prune_weak) == -1)
			goto out;
		it->chg = chg[it->acct] >= 0 ? chg[it->acct] : -1;
	}
	st->accounts = examined;
	st->uptodate = examined - out->n;
	rc = 0;
out:
	if (rc == -1)
		msg_err("out of memory");
	free(chg);
	return rc;
}

void
plan_entra_check(const struct changes *cs, int pruned)
{
	const struct change	*c;
	size_t			 i, k, total;

	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		total = c->have + c->add.n - c->del.n;
		if (c->add.n > 0 && total > ENTRA_MAX_VALUES)
			msg_warn("\"%s\" will hold %zu altSecurityIdentities "
			    "values: Entra Connect does not sync more than %d%s",
			    c->dn, total, ENTRA_MAX_VALUES, pruned ? "" :
			    " (--prune removes the values certbulk added whose "
			    "certificates are gone)");
		for (k = 0; k < c->add.n; k++)
			if (strlen(c->add.v[k]) > ENTRA_MAX_LEN)
				msg_warn("\"%s\": a value of %zu characters: "
				    "Entra Connect does not sync values over %d",
				    c->dn, strlen(c->add.v[k]), ENTRA_MAX_LEN);
	}
}

int
plan_build(struct dir *d, struct input *in, const struct plan_opts *o,
    struct changes *out, struct plan_stats *st)
{
	struct accounts	 acc = { NULL, 0 };
	struct plan_keys pk = { NULL, NULL, 0 };
	struct strlist	*repl = NULL;	/* --upgrade-weak, per item */
	struct strlist	 fbnames = { NULL, 0 };
	struct plan_acct *pa = NULL;
	size_t		 i, nacc = 0;
	int		 rc = -1;

	memset(st, 0, sizeof(*st));
	st->items = in->n;
	plan_values(in, o, st);
	if (plan_lookup_keys(in, o, dir_netbios(d), &pk, st) == -1) {
		msg_err("out of memory");
		goto out;
	}
	if (dir_lookup(d, pk.k, pk.n, &acc) == -1)
		goto out;
	if (plan_sam_fallback(d, in, &pk, &acc, &fbnames) == -1)
		goto out;
	if (plan_forest_hint(d, in, &pk, &acc) == -1)
		goto out;
	plan_resolve(in, &pk, &acc, dir_base(d), o, st);
	plan_keys_free(&pk);	/* each item has its account: peak memory */
	if (o->upgrade_weak && ((repl = calloc(in->n + 1, sizeof(*repl))) ==
	    NULL || plan_upgrade(in, o, &acc, dir_base(d), repl, st) == -1)) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0; i < in->n && (in->items[i].acct < 0 ||
	    acc.v[in->items[i].acct].server != NULL); i++)
		;
	/* every check below relies on seeing the values accounts hold */
	if (dir_check_readable(d, i < in->n ? acc.v[in->items[i].acct].dn :
	    NULL) == -1)
		goto out;
	if (plan_conflicts(d, in, &acc, st) == -1)
		goto out;
	/* the changes need only a few facts of each account: peak */
	nacc = acc.n;
	if ((pa = plan_accts(in, &acc)) == NULL && nacc > 0) {
		msg_err("out of memory");
		goto out;
	}
	if (plan_changes(in, pa, nacc, repl, o->prune_weak, out, st) == -1)
		goto out;
	rc = 0;
out:
	for (i = 0; pa != NULL && i < nacc; i++)
		plan_acct_free(&pa[i]);
	free(pa);
	for (i = 0; repl != NULL && i < in->n; i++)
		strlist_free(&repl[i]);
	free(repl);
	plan_keys_free(&pk);
	strlist_free(&fbnames);
	/* the items (acct_dn, adn, aguid, asam) and their changes (dn,
	 * guid) point at the accounts' strings: they live on with the
	 * input, the rest of the accounts is freed */
	arena_adopt(&in->arena, &acc.arena);
	accounts_free(&acc);
	return rc;
}

/* Keeps of L the values whose flag in KEEP is set, in order. */
static void
strlist_keep(struct strlist *l, const unsigned char *keep)
{
	size_t	i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (keep[i])
			l->v[n++] = l->v[i];
		else
			free(l->v[i]);
	}
	l->n = n;
}

/* The undo's two refusals of a value added back (plan.h). */
void
plan_undo_held_msg(const char *dn, const char *value, const char *holder,
    const char *err)
{
	if (err != NULL)
		msg_err("\"%s\": undo would add %s; cannot tell whether "
		    "another account holds it; not added", dn, err);
	else
		msg_err("\"%s\": undo would add %s, but \"%s\" holds it; "
		    "on both, either account could log on with it; not added",
		    dn, value, holder);
}

void
plan_undo_both_msg(const char *dn1, const char *dn2, const char *value)
{
	msg_err("\"%s\" and \"%s\": the undo would add %s to both; added to "
	    "neither", dn1, dn2, value);
}

/*
 * Every value an undo adds goes through the same duplicate-holder check as
 * a run: a value another account holds, or that the undo would add to two
 * accounts, is not added (reported, counted in *REFUSED); the rest of the
 * entry's change goes on.
 */
struct plan_undoctx {
	const struct changes	*cs;
	const struct plan_keys	*pk;
	unsigned char		*keep;	/* per key: still to be added */
};

static void
plan_undo_dup_report(void *arg, size_t j, const char *holder,
    const char *err)
{
	struct plan_undoctx	*u = arg;
	const char		*dn = u->cs->v[u->pk->item[j]].dn;

	if (!u->keep[j])
		return;		/* reported once is enough */
	plan_undo_held_msg(dn, u->pk->k[j].value, holder, err);
	u->keep[j] = 0;
}

static int
plan_undo_conflicts(struct dir *d, struct changes *cs, size_t *refused)
{
	struct plan_keys pk = { NULL, NULL, 0 };
	struct plan_undoctx uc;
	struct dir_key	**order = NULL;
	char		**vals = NULL, **owners = NULL;
	unsigned char	*keep = NULL;
	size_t		 i, j, h, a, b, k, n;
	int		 rc = -1;

	*refused = 0;
	for (i = 0; i < cs->n; i++) {
		for (j = 0; j < cs->v[i].add.n; j++)
			if (plan_key(&pk, i, "altSecurityIdentities",
			    cs->v[i].add.v[j]) == -1)
				goto oom;
	}
	if (pk.n == 0) {
		rc = 0;
		goto out;
	}
	if ((keep = malloc(pk.n)) == NULL ||
	    (order = malloc(pk.n * sizeof(*order))) == NULL ||
	    (vals = calloc(pk.n, sizeof(*vals))) == NULL ||
	    (owners = calloc(pk.n, sizeof(*owners))) == NULL)
		goto oom;
	memset(keep, 1, pk.n);
	for (j = 0; j < pk.n; j++) {
		vals[j] = (char *)(uintptr_t)pk.k[j].value;
		/* the entry's current DN, found by objectGUID if it moved */
		owners[j] = cs->v[pk.item[j]].dn;
	}
	uc.cs = cs;
	uc.pk = &pk;
	uc.keep = keep;
	if (plan_dup_check(d, vals, owners, pk.n, plan_undo_dup_report,
	    &uc) == -1)
		goto out;
	/* the same value for two entries within this undo */
	for (n = 0; n < pk.n; n++)
		order[n] = &pk.k[n];
	qsort(order, n, sizeof(*order), plan_keycmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && altsec_casecmp(order[i]->value,
		    order[j]->value) == 0; j++)
			;
		for (a = i; a < j; a++)
			for (b = a + 1; b < j; b++) {
				k = (size_t)(order[a] - pk.k);
				h = (size_t)(order[b] - pk.k);
				if (strcasecmp(cs->v[pk.item[k]].dn,
				    cs->v[pk.item[h]].dn) == 0)
					continue;
				plan_undo_both_msg(cs->v[pk.item[k]].dn,
				    cs->v[pk.item[h]].dn, order[a]->value);
				keep[k] = keep[h] = 0;
			}
	}
	/* drop refused values: the keys of a change follow its add list */
	for (j = 0; j < pk.n; j = k) {
		i = pk.item[j];
		for (k = j + 1; k < pk.n && pk.item[k] == i; k++)
			;
		for (h = j; h < k; h++)
			*refused += !keep[h];
		strlist_keep(&cs->v[i].add, keep + j);
	}
	for (i = 0, n = 0; i < cs->n; i++) {
		if (cs->v[i].add.n == 0 && cs->v[i].del.n == 0) {
			change_names_free(&cs->v[i]);
			change_from_free(&cs->v[i]);
			strlist_free(&cs->v[i].notes);
			strlist_free(&cs->v[i].add);
			strlist_free(&cs->v[i].del);
			continue;
		}
		cs->v[n++] = cs->v[i];
	}
	cs->n = n;
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	free(order);
	free(keep);
	plan_keys_free(&pk);
	free(vals);
	free(owners);
	return rc;
}

/* Order of undo records: by DN (case-insensitively), then as given. */
static int
plan_undocmp(const void *a, const void *b, void *arg)
{
	const struct changes	*want = arg;
	size_t			 i = *(const size_t *)a, j = *(const size_t *)b;
	int			 c;

	c = strcasecmp(want->v[i].dn, want->v[j].dn);
	if (c != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* Removes V from L (compared as AD does), keeping the order. */
static void
strlist_remove(struct strlist *l, const char *v)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (altsec_casecmp(l->v[i], v) == 0) {
			free(l->v[i]);
			memmove(&l->v[i], &l->v[i + 1],
			    (l->n - i - 1) * sizeof(*l->v));
			l->n--;
			return;
		}
}

/*
 * Plans an undo.  The records of one entry (several files, or a record
 * and its retry) are replayed in the order given onto the entry's values
 * as they are now; what differs at the end becomes one modify.
 */
int
plan_undo(struct dir *d, const struct changes *want, struct changes *out,
    size_t *missing, size_t *refused)
{
	*refused = 0;
	if (plan_undo_entries(d, want, out, missing) == -1)
		return -1;
	return plan_undo_conflicts(d, out, refused);
}

int
plan_undo_entries(struct dir *d, const struct changes *want,
    struct changes *out, size_t *missing)
{
	const struct change	*w;
	struct change		*c;
	struct strlist		*cur = NULL, state = { NULL, 0 };
	char			**dns = NULL, **now = NULL, *newdn = NULL;
	const char		*guid;
	size_t			*order = NULL, g, e, k, i, j;
	int			*found = NULL;
	int			 r, rc = -1;

	*missing = 0;
	if (want->n == 0)
		return 0;
	if ((order = calloc(want->n, sizeof(*order))) == NULL)
		goto oom;
	for (i = 0; i < want->n; i++)
		order[i] = i;
	qsort_r(order, want->n, sizeof(*order), plan_undocmp,
	    (void *)(uintptr_t)want);
	/* one read per entry: the first record of each group */
	if ((cur = calloc(want->n, sizeof(*cur))) == NULL ||
	    (dns = calloc(want->n, sizeof(*dns))) == NULL ||
	    (found = calloc(want->n, sizeof(*found))) == NULL ||
	    (now = calloc(want->n, sizeof(*now))) == NULL)
		goto oom;
	for (g = 0, k = 0; g < want->n; g = e) {
		for (e = g + 1; e < want->n && strcasecmp(want->v[order[g]].dn,
		    want->v[order[e]].dn) == 0; e++)
			;
		dns[k++] = want->v[order[g]].dn;
	}
	/* unreadable values would look already undone */
	if (dir_check_readable(d, dns[0]) == -1 ||
	    dir_read_many(d, dns, k, cur, found, now) == -1)
		goto out;
	for (g = 0, k = 0; g < want->n; g = e, k++) {
		guid = NULL;
		for (e = g; e < want->n && strcasecmp(want->v[order[g]].dn,
		    want->v[order[e]].dn) == 0; e++)
			if (want->v[order[e]].guid != NULL)
				guid = want->v[order[e]].guid;
		free(newdn);
		newdn = NULL;
		/*
		 * Another object now at the DN (the account deleted, a new one
		 * made with its name) is not the one the run changed.
		 */
		if (found[k] && guid != NULL && now[k] != NULL &&
		    strcmp(guid, now[k]) != 0) {
			msg_note("\"%s\" is another object now (objectGUID %s, "
			    "the run's was %s): left alone; looking for the "
			    "run's account by its objectGUID", dns[k], now[k],
			    guid);
			found[k] = 0;
			strlist_free(&cur[k]);
		}
		if (!found[k] && guid != NULL) {
			/* renamed or moved since the run: its GUID stays */
			if ((r = dir_find_guid(d, guid, &newdn, &cur[k])) == -1)
				goto out;
			if (r == 0) {
				msg_note("\"%s\" was renamed or moved since; "
				    "found by its objectGUID as \"%s\"", dns[k],
				    newdn);
				found[k] = 1;
			}
		}
		if (!found[k]) {
			msg_err("\"%s\": no such entry any more%s; %zu undo "
			    "record%s skipped (nothing to revert there)",
			    dns[k], guid != NULL ? " (nor any with its "
			    "objectGUID)" : "", e - g, e - g > 1 ? "s are" :
			    " is");
			*missing += e - g;
			continue;
		}
		strlist_free(&state);
		for (j = 0; j < cur[k].n; j++)
			if (strlist_add(&state, cur[k].v[j]) == -1)
				goto oom;
		if ((c = changes_add(out, newdn ? newdn : dns[k])) == NULL ||
		    (guid != NULL && (c->guid = strdup(guid)) == NULL))
			goto oom;
		for (i = g; i < e; i++) {
			w = &want->v[order[i]];
			for (j = 0; j < w->del.n; j++)
				strlist_remove(&state, w->del.v[j]);
			for (j = 0; j < w->add.n; j++)
				if (!strlist_has(&state, w->add.v[j]) &&
				    strlist_add(&state, w->add.v[j]) == -1)
					goto oom;
			for (j = 0; j < w->notes.n; j++)
				if (strlist_add(&c->notes, w->notes.v[j]) == -1)
					goto oom;
		}
		for (j = 0; j < cur[k].n; j++)
			if (!strlist_has(&state, cur[k].v[j]) &&
			    strlist_add(&c->del, cur[k].v[j]) == -1)
				goto oom;
		for (j = 0; j < state.n; j++)
			if (!strlist_has(&cur[k], state.v[j]) &&
			    strlist_add(&c->add, state.v[j]) == -1)
				goto oom;
		if (c->add.n == 0 && c->del.n == 0) {
			/* already as the undo file wants it */
			free(c->dn);
			free(c->guid);
			strlist_free(&c->notes);
			out->n--;
		}
	}
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	for (i = 0; now != NULL && i < want->n; i++)
		free(now[i]);
	free(now);
	for (i = 0; cur != NULL && i < want->n; i++)
		strlist_free(&cur[i]);
	strlist_free(&state);
	free(newdn);
	free(cur);
	free(dns);
	free(found);
	free(order);
	return rc;
}
