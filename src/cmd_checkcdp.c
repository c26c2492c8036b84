/*
 * certbulk check-cdp: for each certificate, what a domain controller
 * would find at its CRL distribution points -- the check an admin
 * otherwise does by hand in a browser, since a DC that cannot fetch a
 * current CRL fails the logon.  Every http:// CDP is asked (no cache), once
 * per URL; a CRL counts only with a verified signature (its CA from
 * --ca-file or among the certificates given).  Touches no directory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "cmd.h"
#include "crlfetch.h"
#include "msg.h"
#include "outfmt.h"
#include "subcmd.h"

/* One CDP of one certificate. */
struct ccdp {
	const struct crlinfo	*info;	/* owned by the fetcher */
	int			 on;	/* crlfetch_lookup: 1, 0, -1 */
	time_t			 when;	/* revocation date */
	const char		*reason; /* static, or NULL */
	const char		*why;	/* static: why ON is -1 */
};

enum ccstatus { CC_GOOD, CC_REVOKED, CC_UNKNOWN };
static const char *const ccstatus_names[] = { "good", "revoked", "unknown" };

static const char *
cc_time(time_t t, char *buf, size_t len)
{
	if (t == 0)
		return NULL;
	cert_fmt_time(t, buf, len);
	return buf;
}

static const char *
cc_sig(const struct crlinfo *i)
{
	if (i->issuer == NULL)
		return NULL;
	return i->sig == 1 ? "good" : i->sig == 0 ? "unchecked" : "bad";
}

/* The problem of one CDP, or NULL; an ldap:// CDP is not one. */
static const char *
cc_problem(const struct ccdp *p)
{
	if (!crlfetch_is_http(p->info->url))
		return NULL;
	if (p->info->why != NULL)
		return p->info->why;
	if (p->on == -1)
		return p->why;
	return NULL;
}

/* The verdict from CDPS: as trust_revocation, a listing counts only on a
 * current CRL with a verified signature. */
static enum ccstatus
cc_status(const struct ccdp *cdps, size_t n)
{
	size_t	i;
	int	good = 0;

	for (i = 0; i < n; i++) {
		if (!cdps[i].info->usable || cdps[i].info->stale ||
		    cdps[i].on == -1)
			continue;
		if (cdps[i].on == 1)
			return CC_REVOKED;
		good = 1;
	}
	return good ? CC_GOOD : CC_UNKNOWN;
}

static void
cc_text(const char *file, size_t idx, const struct cert *c,
    const struct ccdp *cdps, size_t n, enum ccstatus st)
{
	const struct crlinfo	*i;
	char			 t1[32], t2[32];
	size_t			 k;

	outfmt_put(stdout, file, 0);
	printf(" [%zu] ", idx);
	outfmt_put(stdout, cert_subject_text(c), 0);
	printf(" (serial %s)\n", cert_serial_text(c));
	if (n == 0)
		printf("  no CRL distribution point\n");
	for (k = 0; k < n; k++) {
		i = cdps[k].info;
		printf("  CDP ");
		outfmt_put(stdout, i->url, 0);
		printf("\n");
		if (!crlfetch_is_http(i->url)) {
			printf("    not fetched: only http:// CDPs are\n");
			continue;
		}
		printf("    answered: %s\n", i->fetched ? "yes" : "no");
		if (i->issuer != NULL) {
			printf("    CRL issuer: ");
			outfmt_put(stdout, i->issuer, 0);
			printf("\n    thisUpdate: %s\n    nextUpdate: %s%s\n",
			    cc_time(i->this_update, t1, sizeof(t1)) ?
			    t1 : "none",
			    cc_time(i->next_update, t2, sizeof(t2)) ?
			    t2 : "none", i->stale ? " (stale)" : "");
			printf("    signature: %s\n", cc_sig(i));
		}
		if (cdps[k].on == 1) {
			printf("    certificate: REVOKED %s%s%s%s\n",
			    cc_time(cdps[k].when, t1, sizeof(t1)) ? t1 : "",
			    cdps[k].reason ? " (" : "",
			    cdps[k].reason ? cdps[k].reason : "",
			    cdps[k].reason ? ")" : "");
		} else if (cdps[k].on == 0)
			printf("    certificate: not on the CRL\n");
		if (cc_problem(&cdps[k]) != NULL) {
			printf("    problem: ");
			outfmt_put(stdout, cc_problem(&cdps[k]), 0);
			printf("\n");
		}
	}
	printf("  revocation: %s\n", ccstatus_names[st]);
}

/* FILE INDEX URL ANSWERED CRL-ISSUER THIS NEXT STALE SIGNATURE ON-CRL
 * STATUS PROBLEM */
static void
cc_tsv(const char *file, size_t idx, const struct ccdp *cdps, size_t n,
    enum ccstatus st)
{
	const struct crlinfo	*i;
	char			 t1[32], t2[32];
	size_t			 k;

	if (n == 0) {
		outfmt_put(stdout, file, 1);
		printf("\t%zu\t-\t-\t-\t-\t-\t-\t-\t-\t%s\tno CRL "
		    "distribution point\n", idx, ccstatus_names[st]);
	}
	for (k = 0; k < n; k++) {
		i = cdps[k].info;
		outfmt_put(stdout, file, 1);
		printf("\t%zu\t", idx);
		outfmt_put(stdout, i->url, 1);
		printf("\t%s\t", !crlfetch_is_http(i->url) ? "skipped" :
		    i->fetched ? "yes" : "no");
		outfmt_put(stdout, i->issuer, 1);
		printf("\t%s\t%s\t%s\t%s\t%s\t%s\t",
		    cc_time(i->this_update, t1, sizeof(t1)) ? t1 : "-",
		    cc_time(i->next_update, t2, sizeof(t2)) ? t2 : "-",
		    i->issuer == NULL ? "-" : i->stale ? "yes" : "no",
		    cc_sig(i) ? cc_sig(i) : "-",
		    cdps[k].on == 1 ? "revoked" : cdps[k].on == 0 ? "no" : "-",
		    ccstatus_names[st]);
		outfmt_put(stdout, !crlfetch_is_http(i->url) ? "only http:// "
		    "CDPs are fetched" : cc_problem(&cdps[k]), 1);
		putchar('\n');
	}
}

static void
cc_jsonl(const char *file, size_t idx, const struct cert *c,
    const struct ccdp *cdps, size_t n, enum ccstatus st, int first)
{
	const struct crlinfo	*i;
	char			 t[32];
	size_t			 k;

	printf("%s{\"file\":", first ? "" : ",\n");
	outfmt_json(stdout, file);
	printf(",\"index\":%zu,\"subject\":", idx);
	outfmt_json(stdout, cert_subject_text(c));
	printf(",\"issuer\":");
	outfmt_json(stdout, cert_issuer_text(c));
	printf(",\"serial\":");
	outfmt_json(stdout, cert_serial_text(c));
	printf(",\"revocation\":\"%s\",\"cdps\":[", ccstatus_names[st]);
	for (k = 0; k < n; k++) {
		i = cdps[k].info;
		printf("%s{\"url\":", k ? "," : "");
		outfmt_json(stdout, i->url);
		printf(",\"asked\":%s,\"answered\":%s,\"crl_issuer\":",
		    crlfetch_is_http(i->url) ? "true" : "false",
		    i->fetched ? "true" : "false");
		outfmt_json(stdout, i->issuer);
		printf(",\"this_update\":");
		outfmt_json(stdout, cc_time(i->this_update, t, sizeof(t)));
		printf(",\"next_update\":");
		outfmt_json(stdout, cc_time(i->next_update, t, sizeof(t)));
		printf(",\"stale\":%s,\"signature\":",
		    i->issuer == NULL ? "null" : i->stale ? "true" : "false");
		outfmt_json(stdout, cc_sig(i));
		printf(",\"on_crl\":%s,\"revoked_at\":", cdps[k].on == 1 ?
		    "true" : cdps[k].on == 0 ? "false" : "null");
		outfmt_json(stdout, cdps[k].on == 1 ? cc_time(cdps[k].when, t,
		    sizeof(t)) : NULL);
		printf(",\"reason\":");
		outfmt_json(stdout, cdps[k].reason);
		printf(",\"problem\":");
		outfmt_json(stdout, cc_problem(&cdps[k]));
		printf("}");
	}
	printf("]}");
}

int
checkcdp_main(int argc, char *argv[])
{
	struct subcmd_opts	 o;
	struct certset		*sets = NULL, cas = { NULL, 0 };
	struct certset		 pool = { NULL, 0 };
	struct crlfetch		*cf = NULL;
	struct ccdp		*cdps = NULL;
	const struct strlist	*urls;
	const struct cert	*c;
	enum ccstatus		 st;
	size_t			 nfiles = 0, f, i, k, ncert = 0, notok = 0;
	time_t			 now = time(NULL);
	int			 rc = CB_EXIT_USAGE, r, bad_input = 0, oom = 0;

	memset(&o, 0, sizeof(o));
	if ((r = subcmd_parse(argc, argv, "check-cdp", SUBCMD_JSON, &o)) != 0) {
		if (r == 1) {
			usage_print(stdout);
			rc = CB_EXIT_OK;
		}
		goto out;
	}
	if (optind >= argc) {
		msg_err("check-cdp: no certificate file given");
		usage_print(stderr);
		goto out;
	}
	if (o.cafile != NULL && cert_read_file(o.cafile, NULL, &cas) == -1)
		goto out;
	nfiles = (size_t)(argc - optind);
	if ((sets = calloc(nfiles, sizeof(*sets))) == NULL)
		{ oom = 1; goto out; }
	for (f = 0; f < nfiles; f++) {
		if (cert_read_file(argv[optind + (int)f], NULL, &sets[f]) == -1)
			bad_input = 1;
		/* CAs given as operands can check their CRLs' signatures */
		for (i = 0; i < sets[f].n; i++)
			if (cert_is_ca(sets[f].v[i])) {
				struct cert **np;

				if ((np = realloc(pool.v, (pool.n + 1) *
				    sizeof(*np))) == NULL)
					{ oom = 1; goto out; }
				pool.v = np;
				pool.v[pool.n++] = sets[f].v[i];
			}
	}
	if ((cf = crlfetch_new(NULL, o.dir.timeout > 0 ? o.dir.timeout : 30,
	    0)) == NULL)
		{ oom = 1; goto out; }
	if (o.json)
		printf("[");
	for (f = 0; f < nfiles; f++)
		for (i = 0; i < sets[f].n; i++) {
			c = sets[f].v[i];
			urls = cert_crldps(c);
			free(cdps);
			if ((cdps = calloc(urls->n + 1, sizeof(*cdps))) == NULL)
				{ oom = 1; goto out; }
			for (k = 0; k < urls->n; k++) {
				if ((cdps[k].info = crlfetch_get(cf, urls->v[k],
				    &cas, &pool, now)) == NULL)
					{ oom = 1; goto out; }
				cdps[k].on = crlfetch_lookup(cdps[k].info, c,
				    &cdps[k].when, &cdps[k].reason,
				    &cdps[k].why);
			}
			st = cc_status(cdps, urls->n);
			if (st != CC_GOOD)
				notok++;
			else
				for (k = 0; k < urls->n; k++)
					if (cc_problem(&cdps[k]) != NULL) {
						notok++;
						break;
					}
			if (o.json)
				cc_jsonl(argv[optind + (int)f], i + 1, c, cdps,
				    urls->n, st, ncert == 0);
			else if (o.tsv)
				cc_tsv(argv[optind + (int)f], i + 1, cdps,
				    urls->n, st);
			else
				cc_text(argv[optind + (int)f], i + 1, c, cdps,
				    urls->n, st);
			ncert++;
		}
	if (o.json)
		printf("]\n");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		msg_err("standard output: write error");
		rc = CB_EXIT_SOME;
		goto out;
	}
	if (ncert == 0) {
		msg_err("check-cdp: no certificate to check");
		rc = CB_EXIT_SOME;
		goto out;
	}
	if (!o.json && !o.tsv)
		msg_note("%zu certificate%s, %zu with every http:// CDP "
		    "answering a current, verified CRL that does not list it",
		    ncert, ncert == 1 ? "" : "s", ncert - notok);
	rc = notok > 0 || bad_input ? CB_EXIT_SOME : CB_EXIT_OK;
out:
	if (oom) {
		msg_err("out of memory");
		rc = CB_EXIT_SOME;
	}
	free(cdps);
	crlfetch_free(cf);
	free(pool.v);	/* borrowed from the sets */
	if (sets != NULL)
		for (f = 0; f < nfiles; f++)
			certset_free(&sets[f]);
	free(sets);
	certset_free(&cas);
	return rc;
}
