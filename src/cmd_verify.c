/*
 * certbulk verify: which account a domain controller would log each
 * certificate on as.  Every way the KDC maps a certificate is looked up
 * (KB5014754, [MS-PKCA] 3.1.5.2.1): the explicit altSecurityIdentities
 * forms, strong then weak, the SID extension against objectSid, and the
 * implicit UPN mapping (SAN UPN against userPrincipalName, then
 * sAMAccountName for name@dnsdomain).  Read-only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "altsec.h"
#include "cert.h"
#include "cmd.h"
#include "dir.h"
#include "msg.h"
#include "outfmt.h"
#include "sambakdc.h"
#include "sbuf.h"
#include "subcmd.h"
#include "trust.h"

enum vkind {
	VK_FORM,	/* an altSecurityIdentities form */
	VK_SID,		/* SID extension against objectSid */
	VK_UPN,		/* SAN UPN against userPrincipalName */
	VK_SAM		/* SAN UPN name@dnsdomain against sAMAccountName */
};

/* One way of finding the certificate's account. */
struct vcheck {
	enum vkind		 kind;
	enum altsec_type	 form;	/* VK_FORM */
	char			*value;	/* owned */
	size_t			 key;	/* index into the lookup keys */
};

enum verdict {
	V_STRONG,	/* strongly mapped to exactly one account */
	V_WEAK,		/* only weak mappings: refused in full enforcement */
	V_AMBIGUOUS,	/* several accounts */
	V_SID_MISMATCH,	/* the certificate's SID names another account */
	V_UNMAPPED	/* no account */
};

static const char *const verdict_names[] = {
	"strong", "weak-only", "ambiguous", "sid-mismatch", "unmapped"
};

/* One certificate and what was found for it. */
struct vcert {
	const char	*file;		/* argv: not owned */
	size_t		 idx;		/* 1-based within its file */
	struct cert	*cert;		/* owned by the certset */
	struct vcheck	*checks;	/* owned */
	size_t		 nchecks;
	enum verdict	 verdict;
	size_t		*accts;		/* owned: the verdict's accounts */
	size_t		 naccts;
	char		*why;		/* owned: the verdict explained */
	const char	*trust_why;	/* static, NULL: chain fine / unchecked */
	char		*samba;		/* owned: what a Samba KDC will not
					   match, or NULL */
	int		 implicit;	/* found by UPN or SID, not altsec */
	const char	*ntauth_why;	/* static: NTAuth refuses, or NULL */
};

static int
vcert_add_check(struct vcert *vc, enum vkind kind, enum altsec_type form,
    char *value)
{
	struct vcheck	*v;

	if ((v = realloc(vc->checks, (vc->nchecks + 1) * sizeof(*v))) == NULL) {
		free(value);
		return -1;
	}
	vc->checks = v;
	v[vc->nchecks].kind = kind;
	v[vc->nchecks].form = form;
	v[vc->nchecks].value = value;
	v[vc->nchecks].key = 0;
	vc->nchecks++;
	return 0;
}

/* The DNS name of the domain, from the DC= parts of the base DN. */
static char *
verify_dnsdomain(const char *base)
{
	struct sbuf	 b = SBUF_INIT;
	const char	*p = base;
	size_t		 n;

	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n > 3 && strncasecmp(p, "DC=", 3) == 0) {
			if (b.len > 0)
				sbuf_putc(&b, '.');
			sbuf_add(&b, p + 3, n - 3);
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (b.len == 0) {
		sbuf_reset(&b);
		return NULL;
	}
	return sbuf_done(&b);
}

/* Every check of one certificate, in the KDC's order. */
static int
verify_checks(struct vcert *vc, const char *dnsdomain)
{
	const struct strlist	*upns = cert_upns(vc->cert);
	const char		*why, *at;
	char			*v;
	size_t			 i;
	int			 t, fallback;

	for (t = 0; t < ALTSEC_NTYPES; t++) {
		if ((v = altsec_value(vc->cert, (enum altsec_type)t, &why,
		    &fallback)) == NULL)
			continue;	/* the certificate has no such form */
		if (vcert_add_check(vc, VK_FORM, (enum altsec_type)t, v) == -1)
			return -1;
	}
	if (cert_sid(vc->cert) != NULL &&
	    ((v = strdup(cert_sid(vc->cert))) == NULL ||
	    vcert_add_check(vc, VK_SID, 0, v) == -1))
		return -1;
	for (i = 0; i < upns->n; i++) {
		if ((v = strdup(upns->v[i])) == NULL ||
		    vcert_add_check(vc, VK_UPN, 0, v) == -1)
			return -1;
		/* name@dnsdomain: the KDC also tries sAMAccountName name */
		at = strrchr(upns->v[i], '@');
		if (at != NULL && at != upns->v[i] && dnsdomain != NULL &&
		    strcasecmp(at + 1, dnsdomain) == 0 &&
		    ((v = strndup(upns->v[i], (size_t)(at - upns->v[i]))) ==
		    NULL || vcert_add_check(vc, VK_SAM, 0, v) == -1))
			return -1;
	}
	return 0;
}

static const char *
vcheck_attr(const struct vcheck *c)
{
	switch (c->kind) {
	case VK_SID: return "objectSid";
	case VK_UPN: return "userPrincipalName";
	case VK_SAM: return "sAMAccountName";
	default: return "altSecurityIdentities";
	}
}

static const char *
vcheck_name(const struct vcheck *c)
{
	switch (c->kind) {
	case VK_SID: return "SID";
	case VK_UPN: return "UPN";
	case VK_SAM: return "UPN-sAMAccountName";
	default: return altsec_type_name(c->form);
	}
}

static int
set_add(size_t **v, size_t *n, size_t x)
{
	size_t	i, *nv;

	for (i = 0; i < *n; i++)
		if ((*v)[i] == x)
			return 0;
	if ((nv = realloc(*v, (*n + 1) * sizeof(*nv))) == NULL)
		return -1;
	nv[(*n)++] = x;
	*v = nv;
	return 0;
}

/*
 * On a Samba DC: what its KDC will not match among VC's strong values
 * (only X509IssuerSerialNumber is affected), or NULL.
 */
static char *
verify_samba_note(const struct vcert *vc)
{
	struct sbuf	 b = SBUF_INIT;
	char		*note;
	size_t		 i;

	for (i = 0; i < vc->nchecks; i++) {
		if (vc->checks[i].kind != VK_FORM ||
		    vc->checks[i].form != ALTSEC_ISSUER_SERIAL ||
		    (note = sambakdc_note(vc->checks[i].value)) == NULL)
			continue;
		sbuf_printf(&b, "%s: %s", altsec_type_name(ALTSEC_ISSUER_SERIAL),
		    note);
		free(note);
	}
	if (b.len == 0 || b.oom) {
		sbuf_reset(&b);
		return NULL;
	}
	return sbuf_done(&b);
}

/*
 * The verdict, as a DC in full enforcement reaches it: a strong explicit
 * mapping names the account; otherwise a weak or implicit (UPN) mapping
 * finds it and only the SID extension can make that strong.  A SID that
 * names someone else than the mapped account makes the DC refuse.
 */
static int
verify_verdict(struct vcert *vc, const struct dir_key *keys,
    const struct accounts *acc)
{
	struct sbuf	 by = SBUF_INIT, b = SBUF_INIT;
	size_t		*strong = NULL, nstrong = 0, *weak = NULL, nweak = 0;
	size_t		*sidacc = NULL, nsid = 0, i, j, upnhits = 0;
	const struct dir_key *k;
	const struct vcheck *c;
	const char	*sid = cert_sid(vc->cert), *asid;
	int		 rc = -1, sam_used = 0;

	for (i = 0; i < vc->nchecks; i++) {
		c = &vc->checks[i];
		k = &keys[c->key];
		if (c->kind == VK_UPN)
			upnhits += k->nhits;
	}
	for (i = 0; i < vc->nchecks; i++) {
		c = &vc->checks[i];
		k = &keys[c->key];
		/* sAMAccountName only when no UPN found an account */
		if (c->kind == VK_SAM && (upnhits > 0 || k->nhits == 0))
			continue;
		for (j = 0; j < k->nhits; j++) {
			if (c->kind == VK_SID) {
				if (set_add(&sidacc, &nsid, k->hits[j]) == -1)
					goto out;
				continue;
			}
			if (c->kind == VK_FORM && altsec_is_strong(c->form)) {
				if (set_add(&strong, &nstrong, k->hits[j]) == -1)
					goto out;
			} else if (set_add(&weak, &nweak, k->hits[j]) == -1)
				goto out;
			if (c->kind == VK_SAM)
				sam_used = 1;
		}
		if (k->nhits > 0 && c->kind != VK_SID)
			sbuf_printf(&by, "%s%s", by.len ? ", " : "",
			    vcheck_name(c));
	}
	if (nstrong > 1) {
		vc->verdict = V_AMBIGUOUS;
		vc->accts = strong;
		vc->naccts = nstrong;
		strong = NULL;
		sbuf_printf(&b, "%zu accounts hold a strong mapping of this "
		    "certificate; the DC refuses it", vc->naccts);
	} else if (nstrong == 1) {
		vc->accts = strong;
		vc->naccts = 1;
		strong = NULL;
		asid = acc->v[vc->accts[0]].sid;
		if (sid != NULL && (asid == NULL || strcasecmp(asid, sid) != 0)) {
			vc->verdict = V_SID_MISMATCH;
			sbuf_printf(&b, "mapped by %s, but the certificate's SID "
			    "%s is not the account's (%s): the DC refuses it",
			    by.s, sid, asid ? asid : "none");
		} else {
			vc->verdict = V_STRONG;
			sbuf_printf(&b, "by %s%s", by.s, sid != NULL ?
			    " and the SID extension" : "");
		}
	} else if (nweak > 1) {
		vc->verdict = V_AMBIGUOUS;
		vc->accts = weak;
		vc->naccts = nweak;
		weak = NULL;
		sbuf_printf(&b, "%zu accounts are found by weak or implicit "
		    "mappings (%s)", vc->naccts, by.s);
	} else if (nweak == 1) {
		vc->accts = weak;
		vc->naccts = 1;
		weak = NULL;
		asid = acc->v[vc->accts[0]].sid;
		if (sid == NULL) {
			vc->verdict = V_WEAK;
			vc->implicit = 1;
			sbuf_printf(&b, "only weak or implicit mappings (%s%s): "
			    "DCs in full enforcement refuse it", by.s,
			    sam_used ? " via sAMAccountName" : "");
		} else if (asid != NULL && strcasecmp(asid, sid) == 0) {
			vc->verdict = V_STRONG;
			vc->implicit = 1;
			sbuf_printf(&b, "by the SID extension, account found by "
			    "%s", by.s);
		} else {
			vc->verdict = V_SID_MISMATCH;
			sbuf_printf(&b, "found by %s, but the certificate's SID "
			    "%s is not the account's (%s): the DC refuses it",
			    by.s, sid, asid ? asid : "none");
		}
	} else {
		vc->verdict = V_UNMAPPED;
		if (nsid > 0) {
			vc->accts = sidacc;
			vc->naccts = nsid;
			sidacc = NULL;
			sbuf_puts(&b, "no mapping finds an account; the "
			    "certificate's SID names the account shown, but "
			    "the DC needs a mapping or a matching UPN to find "
			    "it");
		} else
			sbuf_puts(&b, "no account has a mapping of this "
			    "certificate");
	}
	if (b.oom || by.oom)
		goto out;
	vc->why = sbuf_done(&b);
	rc = 0;
out:
	sbuf_reset(&b);
	sbuf_reset(&by);
	free(strong);
	free(weak);
	free(sidacc);
	return rc;
}

static void
print_text(const struct vcert *vc, const struct dir_key *keys,
    const struct accounts *acc)
{
	const struct vcheck	*c;
	const struct dir_key	*k;
	size_t			 i, j;

	outfmt_put(stdout, vc->file, 0);
	printf(" [%zu]: ", vc->idx);
	outfmt_put(stdout, cert_subject_text(vc->cert), 0);
	printf("\n");
	for (i = 0; i < vc->nchecks; i++) {
		c = &vc->checks[i];
		k = &keys[c->key];
		printf("  %-23s %-6s ", vcheck_name(c),
		    c->kind == VK_FORM && altsec_is_strong(c->form) ? "strong" :
		    c->kind == VK_SID ? "strong" : "weak");
		outfmt_put(stdout, c->value, 0);
		if (k->nhits == 0)
			printf("\n      -> no account\n");
		for (j = 0; j < k->nhits; j++) {
			printf("\n      -> ");
			outfmt_put(stdout, acc->v[k->hits[j]].dn, 0);
			if (j + 1 == k->nhits)
				printf("\n");
		}
	}
	printf("  verdict: %s", verdict_names[vc->verdict]);
	for (i = 0; i < vc->naccts; i++) {
		printf("%s", i == 0 ? ": " : "; ");
		outfmt_put(stdout, acc->v[vc->accts[i]].dn, 0);
	}
	printf("\n    ");
	outfmt_put(stdout, vc->why, 0);
	printf("\n");
	if (vc->trust_why != NULL)
		printf("  logon: refused before any mapping: %s\n",
		    vc->trust_why);
	if (vc->ntauth_why != NULL)
		printf("  logon: refused: %s\n", vc->ntauth_why);
	if (vc->samba != NULL) {
		printf("  samba: ");
		outfmt_put(stdout, vc->samba, 0);
		printf("\n");
	}
	printf("\n");
}

/* FILE INDEX VERDICT ACCOUNTS(; separated) REASON SAMBA-NOTE */
static void
print_tsv(const struct vcert *vc, const struct accounts *acc)
{
	size_t	i;

	outfmt_put(stdout, vc->file, 0);
	printf("\t%zu\t%s\t", vc->idx, verdict_names[vc->verdict]);
	for (i = 0; i < vc->naccts; i++) {
		if (i > 0)
			putchar(';');
		outfmt_put(stdout, acc->v[vc->accts[i]].dn, 0);
	}
	putchar('\t');
	outfmt_put(stdout, vc->trust_why ? vc->trust_why :
	    vc->ntauth_why ? vc->ntauth_why : vc->why, 0);
	putchar('\t');
	if (vc->samba != NULL)
		outfmt_put(stdout, vc->samba, 0);
	putchar('\n');
}

static void
print_json(const struct vcert *vc, const struct dir_key *keys,
    const struct accounts *acc, int first)
{
	const struct vcheck	*c;
	const struct dir_key	*k;
	size_t			 i, j;

	printf("%s{\"file\":", first ? "" : ",\n");
	outfmt_json(stdout, vc->file);
	printf(",\"index\":%zu,\"subject\":", vc->idx);
	outfmt_json(stdout, cert_subject_text(vc->cert));
	printf(",\"sha1\":");
	outfmt_json(stdout, cert_sha1(vc->cert));
	printf(",\"checks\":[");
	for (i = 0; i < vc->nchecks; i++) {
		c = &vc->checks[i];
		k = &keys[c->key];
		printf("%s{\"check\":", i ? "," : "");
		outfmt_json(stdout, vcheck_name(c));
		printf(",\"strong\":%s,\"value\":",
		    (c->kind == VK_FORM && altsec_is_strong(c->form)) ||
		    c->kind == VK_SID ? "true" : "false");
		outfmt_json(stdout, c->value);
		printf(",\"accounts\":[");
		for (j = 0; j < k->nhits; j++) {
			if (j > 0)
				putchar(',');
			outfmt_json(stdout, acc->v[k->hits[j]].dn);
		}
		printf("]}");
	}
	printf("],\"verdict\":\"%s\",\"accounts\":[",
	    verdict_names[vc->verdict]);
	for (i = 0; i < vc->naccts; i++) {
		if (i > 0)
			putchar(',');
		outfmt_json(stdout, acc->v[vc->accts[i]].dn);
	}
	printf("],\"reason\":");
	outfmt_json(stdout, vc->why);
	printf(",\"chain\":");
	outfmt_json(stdout, vc->trust_why);
	printf(",\"ntauth\":");
	outfmt_json(stdout, vc->ntauth_why);
	printf(",\"samba\":");
	outfmt_json(stdout, vc->samba);
	printf("}");
}

/*
 * --ca-file: implicit (UPN, SID) mapping needs the issuing CA in the
 * forest's NTAuth store.  Sets VC->ntauth_why when it is not there (or
 * when the issuing CA is not among CAS, so that it cannot be checked).
 */
static void
verify_ntauth(struct vcert *vc, const struct certset *cas,
    const struct certset *store)
{
	const struct cert	*ca = NULL;
	size_t			 i;

	if (!vc->implicit)
		return;
	for (i = 0; i < cas->n && ca == NULL; i++)
		if (strcmp(cert_subject_text(cas->v[i]),
		    cert_issuer_text(vc->cert)) == 0)
			ca = cas->v[i];
	if (ca == NULL) {
		vc->ntauth_why = "the issuing CA is not in --ca-file, so its "
		    "place in the NTAuth store (which implicit UPN and SID "
		    "mapping needs) cannot be checked";
		return;
	}
	for (i = 0; i < store->n; i++)
		if (strcasecmp(cert_sha1(store->v[i]), cert_sha1(ca)) == 0)
			return;
	vc->ntauth_why = "the issuing CA is not in the forest's NTAuth store, "
	    "which implicit (UPN, SID) mapping needs";
}

static int
verify_parse(int argc, char *argv[], struct subcmd_opts *o)
{
	int	r;

	r = subcmd_parse(argc, argv, "verify", SUBCMD_JSON | SUBCMD_CRL, o);
	if (r != 0)
		return r;
	if (optind >= argc) {
		msg_err("verify: no certificate file given");
		usage_print(stderr);
		return -1;
	}
	return 0;
}

int
verify_main(int argc, char *argv[])
{
	struct subcmd_opts	 o;
	struct certset	*sets = NULL, pool = { NULL, 0 }, cas = { NULL, 0 };
	struct certset	 store = { NULL, 0 };
	struct dir_blobs blobs = { NULL, NULL, 0 };
	char		*ntdn = NULL, label[64];
	struct vcert	*vc = NULL;
	struct dir_key	*keys = NULL;
	struct accounts	 acc;
	struct dir	*d = NULL;
	struct trust	*trust = NULL;
	char		*dnsdomain = NULL, *samba = NULL;
	size_t		 nvc = 0, nkeys = 0, nfiles, i, j, f, notok = 0;
	time_t		 now = time(NULL);
	int		 rc = CB_EXIT_USAGE, r, usage_err, bad_input = 0, oom = 0;

	memset(&o, 0, sizeof(o));
	memset(&acc, 0, sizeof(acc));
	if ((r = verify_parse(argc, argv, &o)) != 0) {
		if (r == 1) {
			usage_print(stdout);
			rc = CB_EXIT_OK;
		}
		goto out;
	}
	if (o.cafile != NULL &&
	    ((trust = trust_load(o.cafile, o.crlfile)) == NULL ||
	    cert_read_file(o.cafile, NULL, &cas) == -1))
		goto out;
	if (trust != NULL)
		trust_set_crl_check(trust, o.crlchain ? TRUST_CRL_CHAIN :
		    TRUST_CRL_LEAF);
	/* Every certificate is read before the directory is asked. */
	nfiles = (size_t)(argc - optind);
	if ((sets = calloc(nfiles, sizeof(*sets))) == NULL)
		{ oom = 1; goto out; }
	for (f = 0; f < nfiles; f++) {
		if (cert_read_file(argv[optind + (int)f], NULL, &sets[f]) == -1) {
			bad_input = 1;
			continue;
		}
		for (i = 0; i < sets[f].n; i++) {
			struct vcert *nv;

			if ((nv = realloc(vc, (nvc + 1) * sizeof(*nv))) == NULL)
				{ oom = 1; goto out; }
			vc = nv;
			memset(&vc[nvc], 0, sizeof(vc[nvc]));
			vc[nvc].file = argv[optind + (int)f];
			vc[nvc].idx = i + 1;
			vc[nvc].cert = sets[f].v[i];
			nvc++;
		}
	}
	if (nvc == 0) {
		msg_err("verify: no certificate to verify");
		rc = CB_EXIT_SOME;
		goto out;
	}
	if ((d = dir_open(&o.dir, &usage_err)) == NULL) {
		rc = usage_err ? CB_EXIT_USAGE : CB_EXIT_LDAP;
		goto out;
	}
	dnsdomain = verify_dnsdomain(dir_base(d));
	/* Samba's root DSE names its version when asked; Windows' does not */
	if (dir_rootdse_attr(d, "vendorVersion", &samba) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	if (samba != NULL && dir_netbios(d) == NULL) {
		free(samba);	/* not Active Directory at all */
		samba = NULL;
	}
	if (samba != NULL)
		msg_info("the directory is a Samba AD DC: notes say which "
		    "values its KDC will not match");
	for (i = 0; i < nvc; i++) {
		if (verify_checks(&vc[i], dnsdomain) == -1)
			{ oom = 1; goto out; }
		nkeys += vc[i].nchecks;
	}
	if ((keys = calloc(nkeys ? nkeys : 1, sizeof(*keys))) == NULL)
		{ oom = 1; goto out; }
	for (i = 0, nkeys = 0; i < nvc; i++)
		for (j = 0; j < vc[i].nchecks; j++) {
			vc[i].checks[j].key = nkeys;
			keys[nkeys].attr = vcheck_attr(&vc[i].checks[j]);
			keys[nkeys].value = vc[i].checks[j].value;
			nkeys++;
		}
	if (dir_lookup(d, keys, nkeys, &acc) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	if (trust != NULL) {
		if (dir_ntauth_read(d, &ntdn, &blobs) == -1) {
			rc = CB_EXIT_LDAP;
			goto out;
		}
		for (i = 0; i < blobs.n; i++) {
			snprintf(label, sizeof(label), "NTAuth cACertificate %zu",
			    i + 1);
			(void)cert_read_mem(label, blobs.v[i], blobs.len[i], 0,
			    &store);
		}
	}
	/* intermediates given among the inputs help build chains */
	for (f = 0; f < nfiles; f++)
		for (i = 0; i < sets[f].n; i++)
			if (cert_is_ca(sets[f].v[i])) {
				struct cert **np;

				if ((np = realloc(pool.v, (pool.n + 1) *
				    sizeof(*np))) == NULL)
					{ oom = 1; goto out; }
				pool.v = np;
				pool.v[pool.n++] = sets[f].v[i];
			}
	if (o.json)
		printf("[");
	for (i = 0; i < nvc; i++) {
		if (verify_verdict(&vc[i], keys, &acc) == -1)
			{ oom = 1; goto out; }
		if (samba != NULL)
			vc[i].samba = verify_samba_note(&vc[i]);
		if (trust != NULL && trust_verify(trust, vc[i].cert, &pool, now,
		    &vc[i].trust_why) == 0)
			vc[i].trust_why = trust_logon_eku(vc[i].cert);
		if (trust != NULL)
			verify_ntauth(&vc[i], &cas, &store);
		if (vc[i].verdict != V_STRONG || vc[i].naccts != 1 ||
		    vc[i].trust_why != NULL || vc[i].ntauth_why != NULL)
			notok++;
		if (o.json)
			print_json(&vc[i], keys, &acc, i == 0);
		else if (o.tsv)
			print_tsv(&vc[i], &acc);
		else
			print_text(&vc[i], keys, &acc);
	}
	if (o.json)
		printf("]\n");
	if (fflush(stdout) == EOF || ferror(stdout)) {
		msg_err("standard output: write error");
		rc = CB_EXIT_SOME;
		goto out;
	}
	if (!o.json && !o.tsv)
		msg_note("%zu certificate%s, %zu strongly mapped to one account",
		    nvc, nvc == 1 ? "" : "s", nvc - notok);
	rc = notok > 0 || bad_input ? CB_EXIT_SOME : CB_EXIT_OK;
out:
	if (oom) {
		msg_err("out of memory");
		rc = CB_EXIT_SOME;
	}
	/* the pool only borrows certificates from the sets */
	free(pool.v);
	for (i = 0; i < nvc; i++) {
		for (j = 0; j < vc[i].nchecks; j++)
			free(vc[i].checks[j].value);
		free(vc[i].checks);
		free(vc[i].accts);
		free(vc[i].why);
		free(vc[i].samba);
	}
	free(vc);
	if (sets != NULL)
		for (f = 0; f < (size_t)(argc - optind); f++)
			certset_free(&sets[f]);
	free(sets);
	if (keys != NULL)
		dir_keys_free(keys, nkeys);
	free(keys);
	accounts_free(&acc);
	free(dnsdomain);
	free(samba);
	certset_free(&cas);
	certset_free(&store);
	dir_blobs_free(&blobs);
	free(ntdn);
	trust_free(trust);
	dir_close(d);
	return rc;
}
