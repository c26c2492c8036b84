/*
 * certbulk audit: every altSecurityIdentities value under the base, read
 * in one paged search and checked as a domain controller would see it:
 * values that are not one of the documented forms or that the KDC can
 * never build (malformed), accounts whose every certificate mapping is
 * weak, the same value on several accounts, case or white-space
 * duplicates, accounts over the Entra Connect sync limits, and, with
 * --ca-file, issuing CAs missing from the forest's NTAuth store, and for
 * certificates given as operands, serials stored in forward byte order;
 * and from the run state, the values certbulk owns that should go
 * (audit_owned.c).  Read-only.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "altsec.h"
#include "audit_owned.h"
#include "cert.h"
#include "cmd.h"
#include "dir.h"
#include "dir_forest.h"
#include "msg.h"
#include "findings.h"
#include "sambakdc.h"
#include "sbuf.h"
#include "subcmd.h"

/*
 * Entra Connect syncs altSecurityIdentities only for users with at most 5
 * values, none longer than 1024 characters (Microsoft's documentation as
 * of 2025, see spec/altsecid.md).
 */
#define AUDIT_ENTRA_MAXVALS	5
#define AUDIT_ENTRA_MAXLEN	1024

enum vclass { VC_STRONG, VC_WEAK, VC_KERBEROS, VC_MALFORMED };

/* The problems found, each printed once as it is found. */
struct audit {
	const struct subcmd_opts	*o;
	int			 samba;	/* the directory is a Samba DC */
	const struct certset	*certs;	/* given as operands; not owned */
	size_t			 nproblems;
	size_t			 nnotes;	/* findings that are no problem */
	size_t			 nvalues;
	struct findings		 rep;	/* for --json, --csv, --html */
	size_t			 ncertaccts;	/* --with-certificates */
	int			 oom;
};

/* One finding: KIND, the account's DN (or ""), the value, the detail;
 * PROBLEM 0 for a note, which does not count for the exit status. */
static void
audit_found(void *arg, int problem, const char *kind, const char *dn,
    const char *value, const char *detail)
{
	struct audit	*a = arg;
	char		*edn, *ev, *ed;

	if (problem)
		a->nproblems++;
	else
		a->nnotes++;
	if ((a->o->json_file || a->o->csv_file || a->o->html_file) &&
	    (problem ? findings_add : findings_note)(&a->rep, kind, dn, value,
	    detail) == -1)
		a->oom = 1;
	edn = msg_escape(dn, strlen(dn));
	ev = msg_escape(value, strlen(value));
	ed = msg_escape(detail, strlen(detail));
	if (edn != NULL && ev != NULL && ed != NULL) {
		if (a->o->tsv)
			printf("%s\t%s\t%s\t%s\n", kind, edn, ev, ed);
		else
			printf("%-14s %s\n  %s%s%s\n", kind, edn, *ev ? ev : "",
			    *ev ? "\n  " : "", ed);
	}
	free(edn);
	free(ev);
	free(ed);
}

/* One problem: KIND, the account's DN (or ""), the value, the detail. */
static void
audit_report(struct audit *a, const char *kind, const char *dn,
    const char *value, const char *detail)
{
	audit_found(a, 1, kind, dn, value, detail);
}

/* 1 if the N bytes at P are S-1-<digits and dashes>. */
static int
audit_sid_text(const char *p, size_t n)
{
	size_t	i;

	if (n < 5 || strncasecmp(p, "S-1-", 4) != 0)
		return 0;
	for (i = 4; i < n; i++)
		if (!isdigit((unsigned char)p[i]) && p[i] != '-')
			return 0;
	return 1;
}

/* 1 if the name has ", " outside quoted values. */
static int
audit_space_after_comma(const char *n, size_t len)
{
	size_t	i;
	int	quoted = 0;

	for (i = 0; i + 1 < len; i++) {
		if (n[i] == '"')
			quoted = !quoted;
		else if (!quoted && n[i] == ',' && n[i + 1] == ' ')
			return 1;
	}
	return 0;
}

/*
 * 1 if an issuer name is written most-specific-first (RFC 4514 order, as
 * LDAP and openssl print it): its first RDN is CN= and a later one is DC=
 * or C=.  The KDC writes the encoded order, most general first.
 */
static int
audit_cn_first(const char *n, size_t len)
{
	size_t	i;
	int	quoted = 0;

	if (len < 3 || strncasecmp(n, "CN=", 3) != 0)
		return 0;
	for (i = 0; i + 3 < len; i++) {
		if (n[i] == '"')
			quoted = !quoted;
		else if (!quoted && n[i] == ',' &&
		    (strncasecmp(n + i + 1, "DC=", 3) == 0 ||
		    strncasecmp(n + i + 1, "C=", 2) == 0))
			return 1;
	}
	return 0;
}

static int
audit_is_hex(const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n % 2 != 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isxdigit((unsigned char)p[i]))
			return 0;
	return 1;
}

/*
 * Classifies VALUE; *WHY (static) says what is wrong when it is
 * malformed, or names a problem of a well-formed value (else NULL).
 */
static enum vclass
audit_classify(const char *v, const char **why)
{
	const char	*p, *q, *tagv[8], *valv[8];
	size_t		 taglen[8], vallen[8], nt = 0, i;
	int		 I = -1, S = -1, SR = -1, SKI = -1, PK = -1, R = -1;
	int		 SID = -1;

	*why = NULL;
	if (*v != '\0' && (isspace((unsigned char)*v) ||
	    isspace((unsigned char)v[strlen(v) - 1]))) {
		*why = "leading or trailing white space: the KDC never builds "
		    "it, so this never matches";
		return VC_MALFORMED;
	}
	if (strncasecmp(v, "Kerberos:", 9) == 0)
		return VC_KERBEROS;
	if (strncasecmp(v, "X509:", 5) != 0) {
		*why = "neither X509: nor Kerberos:";
		return VC_MALFORMED;
	}
	for (p = v + 5; *p != '\0'; ) {
		if (*p != '<' || (q = strchr(p, '>')) == NULL || nt == 8) {
			*why = "not a sequence of <TAG>value parts";
			return VC_MALFORMED;
		}
		tagv[nt] = p + 1;
		taglen[nt] = (size_t)(q - p - 1);
		valv[nt] = q + 1;
		vallen[nt] = strcspn(q + 1, "<");
		p = q + 1 + vallen[nt];
		nt++;
	}
	for (i = 0; i < nt; i++) {
#define TAG(s) (taglen[i] == strlen(s) && strncasecmp(tagv[i], s, taglen[i]) == 0)
		if (TAG("I")) I = (int)i;
		else if (TAG("S")) S = (int)i;
		else if (TAG("SR")) SR = (int)i;
		else if (TAG("SKI")) SKI = (int)i;
		else if (TAG("SHA1-PUKEY")) PK = (int)i;
		else if (TAG("RFC822")) R = (int)i;
		else if (TAG("SID")) SID = (int)i;
		else {
			*why = "an unknown <TAG>";
			return VC_MALFORMED;
		}
#undef TAG
		if (vallen[i] == 0) {
			*why = "an empty part";
			return VC_MALFORMED;
		}
	}
	if (I >= 0 && S >= 0 && SR >= 0) {
		*why = "<I>, <S> and <SR> together: not a documented form "
		    "(the KDC builds <I><SR> or <I><S>)";
		return VC_MALFORMED;
	}
	if ((SR >= 0 && !audit_is_hex(valv[SR], vallen[SR])) ||
	    (SKI >= 0 && !audit_is_hex(valv[SKI], vallen[SKI])) ||
	    (PK >= 0 && (vallen[PK] != 40 ||
	    !audit_is_hex(valv[PK], vallen[PK])))) {
		*why = "a serial, SKI or SHA1-PUKEY that is not hex bytes";
		return VC_MALFORMED;
	}
	if ((I >= 0 && audit_space_after_comma(valv[I], vallen[I])) ||
	    (S >= 0 && audit_space_after_comma(valv[S], vallen[S]))) {
		*why = "spaces after commas: the KDC writes names without "
		    "them, so this never matches";
		return VC_MALFORMED;
	}
	if (I >= 0 && audit_cn_first(valv[I], vallen[I]))
		*why = "issuer written most-specific-first (RFC 4514 order); "
		    "the KDC writes the most general RDN first, so this never "
		    "matches";
	if (nt == 2 && I >= 0 && SR >= 0)
		return *why ? VC_MALFORMED : VC_STRONG;
	/* Issuer/SID (September 2025 update): strong */
	if (nt == 2 && I >= 0 && SID >= 0) {
		if (*why == NULL && !audit_sid_text(valv[SID], vallen[SID]))
			*why = "a <SID> part that is not a SID string";
		return *why ? VC_MALFORMED : VC_STRONG;
	}
	if (nt == 1 && (SKI >= 0 || PK >= 0))
		return VC_STRONG;
	if ((nt == 2 && I >= 0 && S >= 0) || (nt == 1 && (S >= 0 ||
	    R >= 0 || I >= 0)))
		return *why ? VC_MALFORMED : VC_WEAK;
	*why = "not one of the documented forms";
	return VC_MALFORMED;
}

/* A value with surrounding white space removed, for duplicate checks. */
static char *
audit_trim(const char *v)
{
	size_t	n;

	while (isspace((unsigned char)*v))
		v++;
	n = strlen(v);
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	return strndup(v, n);
}

struct audit_val {
	char	*norm;		/* owned: trimmed value */
	size_t	 acct;
	size_t	 idx;		/* in the account's list */
};

static int
audit_val_cmp(const void *x, const void *y)
{
	const struct audit_val	*a = x, *b = y;
	int			 c;

	if ((c = altsec_casecmp(a->norm, b->norm)) != 0)
		return c;
	return a->acct < b->acct ? -1 : a->acct > b->acct;
}

/*
 * A script bug: the serial written in the order certutil and openssl show
 * it, not byte-reversed as the KDC builds it.  For an <I><SR> VALUE, the
 * given certificate whose issuer matches and whose serial, not reversed,
 * is the value's <SR>, or NULL.
 */
static const struct cert *
audit_forward_in(const struct certset *set, const char *value)
{
	const struct cert	*c;
	const char		*sr, *iss, *why;
	size_t			 i, ilen;

	if (set == NULL || strncasecmp(value, "X509:<I>", 8) != 0 ||
	    (sr = strstr(value, "<SR>")) == NULL)
		return NULL;
	ilen = (size_t)(sr - value - 8);
	sr += 4;
	for (i = 0; i < set->n; i++) {
		c = set->v[i];
		iss = cert_ms_issuer(c, &why);
		if (iss == NULL || strlen(iss) != ilen ||
		    strncasecmp(iss, value + 8, ilen) != 0)
			continue;
		if (strcasecmp(sr, cert_serial_text(c)) == 0 &&
		    strcasecmp(sr, cert_ms_serial(c)) != 0)
			return c;
	}
	return NULL;
}

/* The same, against the certificates given as operands. */
static const struct cert *
audit_forward_serial(const struct audit *a, const char *value)
{
	return audit_forward_in(a->certs, value);
}

/*
 * --with-certificates, for one entry with userCertificate values: none
 * mapped at all, or a serial of its own certificates stored in forward
 * byte order (unless the operands' check reported that value already).
 */
static int
audit_certs_cb(void *arg, const char *dn, const struct strlist *altsec,
    const struct dir_blobs *blobs)
{
	struct audit		*a = arg;
	struct certset		 set = { NULL, 0 };
	const struct cert	*fc;
	char			*label = NULL, detail[400];
	size_t			 i, bad = 0;

	for (i = 0; i < blobs->n; i++) {
		if (asprintf(&label, "\"%s\": userCertificate %zu", dn,
		    i + 1) == -1) {
			msg_err("out of memory");
			return -1;
		}
		/* a value that is no certificate is said and skipped */
		if (cert_read_mem(label, blobs->v[i], blobs->len[i], 0, &set) ==
		    -1)
			bad++;
		free(label);
	}
	a->ncertaccts++;
	if (altsec->n == 0 && set.n > 0) {
		snprintf(detail, sizeof(detail), "%zu certificate%s in "
		    "userCertificate (%.80s, SHA-1 %s%s) but no "
		    "altSecurityIdentities value: a DC maps %s only implicitly "
		    "(SID extension, or UPN with the issuing CA in NTAuth)",
		    set.n, set.n == 1 ? "" : "s", cert_subject_text(set.v[0]),
		    cert_sha1(set.v[0]), set.n > 1 ? ", ..." : "",
		    set.n == 1 ? "it" : "them");
		audit_report(a, "unmapped-cert", dn, "", detail);
	}
	for (i = 0; i < altsec->n; i++) {
		if ((fc = audit_forward_in(&set, altsec->v[i])) == NULL ||
		    audit_forward_serial(a, altsec->v[i]) != NULL)
			continue;
		snprintf(detail, sizeof(detail), "the serial of %.60s (in the "
		    "account's userCertificate) is written in forward byte "
		    "order; the KDC builds <SR>%.40s", cert_subject_text(fc),
		    cert_ms_serial(fc));
		audit_report(a, "byte-order", dn, altsec->v[i], detail);
	}
	(void)bad;	/* each was reported by cert_read_mem */
	certset_free(&set);
	return 0;
}

/* Per account: classes, weak-only, in-account duplicates, Entra limits. */
static void
audit_account(struct audit *a, const struct account *ac)
{
	const char	*why;
	const struct cert *fc;
	char		 detail[200], *note;
	size_t		 i, nstrong = 0, nweak = 0;
	enum vclass	 c;

	for (i = 0; i < ac->altsec.n; i++) {
		a->nvalues++;
		c = audit_classify(ac->altsec.v[i], &why);
		if (c == VC_MALFORMED)
			audit_report(a, "malformed", ac->dn, ac->altsec.v[i],
			    why);
		else if (c == VC_STRONG) {
			nstrong++;
			if ((fc = audit_forward_serial(a, ac->altsec.v[i])) !=
			    NULL) {
				snprintf(detail, sizeof(detail), "the serial of "
				    "%.60s is written in forward byte order; the "
				    "KDC builds <SR>%.40s", cert_subject_text(fc),
				    cert_ms_serial(fc));
				audit_report(a, "byte-order", ac->dn,
				    ac->altsec.v[i], detail);
			}
			if (a->samba &&
			    (note = sambakdc_note(ac->altsec.v[i])) != NULL) {
				audit_report(a, "samba", ac->dn,
				    ac->altsec.v[i], note);
				free(note);
			}
		}
		else if (c == VC_WEAK)
			nweak++;
		if (strlen(ac->altsec.v[i]) > AUDIT_ENTRA_MAXLEN) {
			snprintf(detail, sizeof(detail), "longer than %d "
			    "characters: Entra Connect does not sync this "
			    "account's values", AUDIT_ENTRA_MAXLEN);
			audit_report(a, "entra-limit", ac->dn, ac->altsec.v[i],
			    detail);
		}
	}
	if (nweak > 0 && nstrong == 0)
		audit_report(a, "weak-only", ac->dn, "", "every certificate "
		    "mapping is weak: DCs in full enforcement refuse this "
		    "account's certificate logon");
	if (ac->altsec.n > AUDIT_ENTRA_MAXVALS) {
		snprintf(detail, sizeof(detail), "%zu values, more than %d: "
		    "Entra Connect does not sync them", ac->altsec.n,
		    AUDIT_ENTRA_MAXVALS);
		audit_report(a, "entra-limit", ac->dn, "", detail);
	}
}

/*
 * Across the directory: values held by several accounts, and, within one
 * account, values that differ only in case or surrounding white space.
 */
static int
audit_duplicates(struct audit *a, const struct accounts *acc)
{
	struct audit_val	*v = NULL;
	struct sbuf		 b = SBUF_INIT;
	size_t			 n = 0, tot = 0, i, j, k, naccts;
	int			 rc = -1;

	for (i = 0; i < acc->n; i++)
		tot += acc->v[i].altsec.n;
	if (tot == 0)
		return 0;
	if ((v = calloc(tot, sizeof(*v))) == NULL)
		goto out;
	for (i = 0; i < acc->n; i++)
		for (j = 0; j < acc->v[i].altsec.n; j++) {
			if ((v[n].norm = audit_trim(acc->v[i].altsec.v[j])) ==
			    NULL)
				goto out;
			v[n].acct = i;
			v[n].idx = j;
			n++;
		}
	qsort(v, n, sizeof(*v), audit_val_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && altsec_casecmp(v[i].norm,
		    v[j].norm) == 0; j++)
			;
		/* one group: the same value, in case and white space */
		for (k = i, naccts = 0; k < j; k++)
			if (k == i || v[k].acct != v[k - 1].acct)
				naccts++;
		if (naccts > 1) {
			sbuf_reset(&b);
			sbuf_printf(&b, "the same value on %zu accounts:",
			    naccts);
			for (k = i; k < j; k++)
				if (k == i || v[k].acct != v[k - 1].acct)
					sbuf_printf(&b, " %s;",
					    acc->v[v[k].acct].dn);
			if (b.oom)
				goto out;
			b.s[b.len - 1] = '\0';
			audit_report(a, "duplicate", "",
			    acc->v[v[i].acct].altsec.v[v[i].idx], b.s);
		}
		for (k = i + 1; k < j; k++)
			if (v[k].acct == v[k - 1].acct)
				audit_report(a, "case-duplicate",
				    acc->v[v[k].acct].dn,
				    acc->v[v[k].acct].altsec.v[v[k].idx],
				    "differs from another value of this "
				    "account only in letter case or white "
				    "space: the KDC matches them alike");
	}
	rc = 0;
out:
	if (rc == -1)
		msg_err("out of memory");
	for (i = 0; i < n; i++)
		free(v[i].norm);
	free(v);
	sbuf_reset(&b);
	return rc;
}

/*
 * audit_duplicates over the forest: with a Global Catalog (dir_forest.h),
 * the accounts of this scan (read from the DC, current) and the mapped
 * accounts of the other domains as the GC holds them.  0, -1 (memory,
 * reported), -2 (the GC failed, reported).
 */
static int
audit_forest_duplicates(struct audit *a, struct dir *d,
    const struct accounts *acc)
{
	struct accounts	 gca = { NULL, 0, NULL, 0 }, all = { NULL, 0, NULL, 0 };
	size_t		 i;
	int		 rc = -1;

	if (dir_gc(d) == NULL)
		return audit_duplicates(a, acc);
	if (dir_scan_mapped(dir_gc(d), &gca) == -1) {
		rc = -2;
		goto out;
	}
	/* a view, not owned: the entries stay with ACC and GCA */
	if ((all.v = calloc(acc->n + gca.n + 1, sizeof(*all.v))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0; i < acc->n; i++)
		all.v[all.n++] = acc->v[i];
	for (i = 0; i < gca.n; i++)
		if (!dir_dn_under(gca.v[i].dn, dir_domain(d)))
			all.v[all.n++] = gca.v[i];
	msg_info("duplicate check over the forest: %zu accounts with values "
	    "in the other domains (Global Catalog %s)", all.n - acc->n,
	    dir_uri(dir_gc(d)));
	rc = audit_duplicates(a, &all);
out:
	free(all.v);
	accounts_free(&gca);
	return rc;
}

/* --ca-file: each CA must be in the NTAuth store.  -1: directory. */
static int
audit_ntauth(struct audit *a, struct dir *d, const struct certset *cas)
{
	struct dir_blobs	 blobs = { NULL, NULL, 0 };
	struct certset		 store = { NULL, 0 };
	char			*dn = NULL, label[64], detail[256];
	size_t			 i, j;
	int			 r, found;

	if ((r = dir_ntauth_read(d, &dn, &blobs)) == -1)
		return -1;
	for (i = 0; i < blobs.n; i++) {
		snprintf(label, sizeof(label), "NTAuth cACertificate %zu",
		    i + 1);
		(void)cert_read_mem(label, blobs.v[i], blobs.len[i], 0, &store);
	}
	for (i = 0; i < cas->n; i++) {
		for (j = 0, found = 0; j < store.n && !found; j++)
			found = strcasecmp(cert_sha1(store.v[j]),
			    cert_sha1(cas->v[i])) == 0;
		if (found)
			continue;
		snprintf(detail, sizeof(detail), "issuing CA (SHA-1 %s) not "
		    "in the NTAuth store%s: DCs refuse its certificates for "
		    "implicit (UPN, SID) mapping", cert_sha1(cas->v[i]),
		    r == 1 ? " (the forest has none)" : "");
		audit_report(a, "ntauth", dn ? dn : "",
		    cert_subject_text(cas->v[i]), detail);
	}
	certset_free(&store);
	dir_blobs_free(&blobs);
	free(dn);
	return 0;
}

int
audit_main(int argc, char *argv[])
{
	struct subcmd_opts	 o;
	struct audit	 a;
	struct accounts	 acc;
	struct certset	 cas = { NULL, 0 }, certs = { NULL, 0 };
	struct audit_owned_stats ost;
	struct dir	*d = NULL;
	char		*vendor = NULL;
	size_t		 i;
	int		 rc = CB_EXIT_USAGE, r, usage_err;

	memset(&o, 0, sizeof(o));
	memset(&a, 0, sizeof(a));
	memset(&acc, 0, sizeof(acc));
	a.o = &o;
	/* certificate files, if any, follow the name */
	memset(&ost, 0, sizeof(ost));
	if ((r = subcmd_parse(argc, argv, "audit", SUBCMD_REPORT | SUBCMD_CRL,
	    &o)) != 0) {
		if (r == 1) {
			usage_print(stdout);
			rc = CB_EXIT_OK;
		}
		goto out;
	}
	if (o.cafile != NULL && cert_read_file(o.cafile, NULL, &cas) == -1)
		goto out;
	/* certificates to check the serials' byte order against */
	for (; optind < argc; optind++)
		if (cert_read_file(argv[optind], NULL, &certs) == -1) {
			rc = CB_EXIT_SOME;
			goto out;
		}
	a.certs = &certs;
	if ((d = dir_open(&o.dir, &usage_err)) == NULL) {
		rc = usage_err ? CB_EXIT_USAGE : CB_EXIT_LDAP;
		goto out;
	}
	/* Samba's root DSE names its version when asked; Windows' does not */
	if (dir_rootdse_attr(d, "vendorVersion", &vendor) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	a.samba = vendor != NULL && dir_netbios(d) != NULL;
	if (dir_scan_mapped(d, &acc) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	for (i = 0; i < acc.n; i++)
		audit_account(&a, &acc.v[i]);
	if (dir_forest_attach(d, &o.dir) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	if ((r = audit_forest_duplicates(&a, d, &acc)) != 0) {
		rc = r == -2 ? CB_EXIT_LDAP : CB_EXIT_SOME;
		goto out;
	}
	if (o.with_certs && dir_scan_certs(d, audit_certs_cb, &a) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	if (cas.n > 0 && audit_ntauth(&a, d, &cas) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	/* the run state: owned values that should go, or that are gone */
	if (audit_owned(d, &acc, &o, time(NULL), audit_found, &a, &ost) ==
	    -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		msg_err("standard output: write error");
		rc = CB_EXIT_SOME;
		goto out;
	}
	a.rep.uri = dir_uri(d);
	a.rep.base = dir_base(d);
	a.rep.when = time(NULL);
	a.rep.accounts = acc.n;
	a.rep.values = a.nvalues;
	/* a report that cannot be written fails the audit: monitoring
	 * must not read an old or partial file as the current state */
	if (a.oom || (o.json_file && findings_json(&a.rep, o.json_file) ==
	    -1) || (o.csv_file && findings_csv(&a.rep, o.csv_file) == -1) ||
	    (o.html_file && findings_html(&a.rep, o.html_file) == -1)) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (!o.tsv && ost.read)
		msg_note("%zu accounts with %zu altSecurityIdentities values "
		    "under %s, %zu owned values of the run state checked: %zu "
		    "problem%s, %zu note%s", acc.n, a.nvalues, dir_base(d),
		    ost.checked, a.nproblems, a.nproblems == 1 ? "" : "s",
		    a.nnotes, a.nnotes == 1 ? "" : "s");
	else if (!o.tsv)
		msg_note("%zu accounts with %zu altSecurityIdentities values "
		    "under %s: %zu problem%s (run state not read)", acc.n,
		    a.nvalues, dir_base(d), a.nproblems, a.nproblems == 1 ? "" :
		    "s");
	/* as for runs: an input that could not be read first */
	rc = ost.input_failed ? CB_EXIT_INPUT : a.nproblems > 0 ?
	    CB_EXIT_SOME : CB_EXIT_OK;
out:
	subcmd_opts_free(&o);
	findings_free(&a.rep);
	free(vendor);
	certset_free(&cas);
	certset_free(&certs);
	accounts_free(&acc);
	dir_close(d);
	return rc;
}
