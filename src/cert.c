#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "cert_der.h"
#include "cert_ossl.h"
#include "msg.h"
#include "msname.h"
#include "sbuf.h"

#define OID_UPN		"1.3.6.1.4.1.311.20.2.3"
#define OID_SIDEXT	"1.3.6.1.4.1.311.25.2"
#define OID_SIDEXT_SID	"1.3.6.1.4.1.311.25.2.1"
/* [MS-PKCA] 3.1.5.2.1.6: the SID as a SAN URI, for requests a CA cannot
 * enrich with the SID extension (SCEP, Intune, offline). */
#define SAN_URI_SID	"tag:microsoft.com,2022-09-14:sid:"

struct cert {
	struct cert	*self;		/* for cert_lazy's cache */
	X509		*x;		/* owned; decoded only for CA certificates */
	unsigned char	*der;		/* owned: the bytes read, for cert_x509 */
	size_t		 derlen;
	const STACK_OF(X509_EXTENSION) *exts; /* while reading only */
	/*
	 * Where the issuer and subject names' DER lie in der: their texts
	 * and the SHA-256 are made on first use (cert_lazy), since the mapping
	 * values need none of them and show --tsv prints none.
	 */
	size_t		 issuer_off, issuer_len;
	size_t		 subject_off, subject_len;
	char		*subject_text;	/* owned, all strings below too */
	char		*issuer_text;
	char		*serial_text;
	char		*ms_issuer;
	const char	*ms_issuer_why;	/* static */
	char		*ms_subject;
	const char	*ms_subject_why;
	char		*ms_serial;
	char		*ms_ski;
	const char	*ms_ski_why;
	char		*sha1;
	char		*sha256;
	char		*subject_email;
	char		*subject_cn;	/* the most specific CN, or NULL */
	char		*sid;		/* the certificate's SID (either) */
	char		*sid_ext;	/* from the SID extension */
	char		*sid_uri;	/* from a SAN URI */
	char		*sid_clash;	/* why the two disagree, or NULL */
	time_t		 not_before;
	time_t		 not_after;
	int		 is_ca;
	struct strlist	 upns;
	struct strlist	 emails;
	struct strlist	 dns;
	struct strlist	 ekus;
	struct strlist	 crldps;
	struct strlist	 problems;
};

void
strlist_free(struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
strlist_add(struct strlist *l, const char *s)
{
	char	**v, *d;

	if ((d = strdup(s)) == NULL)
		return -1;
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL) {
		free(d);
		return -1;
	}
	v[l->n++] = d;
	l->v = v;
	return 0;
}

static void
cert_free(struct cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x);
	free(c->der);
	free(c->subject_text);
	free(c->issuer_text);
	free(c->serial_text);
	free(c->ms_issuer);
	free(c->ms_subject);
	free(c->ms_serial);
	free(c->ms_ski);
	free(c->sha1);
	free(c->sha256);
	free(c->subject_email);
	free(c->subject_cn);
	free(c->sid);
	free(c->sid_ext);
	free(c->sid_uri);
	free(c->sid_clash);
	strlist_free(&c->upns);
	strlist_free(&c->emails);
	strlist_free(&c->dns);
	strlist_free(&c->ekus);
	strlist_free(&c->crldps);
	strlist_free(&c->problems);
	free(c);
}

void
certset_free(struct certset *set)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		cert_free(set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

void
certset_drop(struct certset *set, size_t i)
{
	cert_free(set->v[i]);
	memmove(&set->v[i], &set->v[i + 1], (set->n - i - 1) * sizeof(*set->v));
	set->n--;
}

/* Adds a problem note "what: why" to the cert. */
static void
cert_problem(struct cert *c, const char *what, const char *why)
{
	struct sbuf	b = SBUF_INIT;
	char		*s;

	sbuf_printf(&b, "%s: %s", what, why);
	if ((s = sbuf_done(&b)) != NULL) {
		(void)strlist_add(&c->problems, s);
		free(s);
	}
}

static char *
cert_hex(const unsigned char *p, size_t n, int reverse)
{
	struct sbuf	b = SBUF_INIT;

	sbuf_hex(&b, p, n, reverse);
	return sbuf_done(&b);
}

static char *
cert_name_text(const X509_NAME *name)
{
	BIO	*bio;
	BUF_MEM	*mem;
	char	*out = NULL, *esc;

	if ((bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	/* As people read names: most specific first, UTF-8 left as is. */
	if (X509_NAME_print_ex(bio, name, 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		BIO_get_mem_ptr(bio, &mem);
		if ((esc = msg_escape(mem->data, mem->length)) != NULL)
			out = esc;
	}
	BIO_free(bio);
	return out;
}

/*
 * SHA-1 and SHA-256 fetched from the default provider once: EVP_sha1()
 * in EVP_Digest looks the algorithm up again on every call, which costs
 * more than hashing a certificate.
 */
static pthread_once_t	 cert_md_once = PTHREAD_ONCE_INIT;
static EVP_MD		*cert_md_sha1, *cert_md_sha256;

static void
cert_md_fetch(void)
{
	cert_md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
	cert_md_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

/* SHA256: 1 for SHA-256, else SHA-1.  A hex string, or NULL. */
static char *
cert_digest(const unsigned char *p, size_t n, int sha256)
{
	unsigned char	 d[EVP_MAX_MD_SIZE];
	unsigned int	 dl;
	const EVP_MD	*md;

	if (pthread_once(&cert_md_once, cert_md_fetch) != 0)
		return NULL;
	md = sha256 ? cert_md_sha256 : cert_md_sha1;
	if (md == NULL || !EVP_Digest(p, n, d, &dl, md, NULL))
		return NULL;
	return cert_hex(d, dl, 0);
}

/*
 * Finds the serial number's content octets in the certificate DER, sign
 * byte included: OpenSSL's ASN1_INTEGER drops it, and the KDC keeps it.
 */
static int
cert_der_serial(const unsigned char *der, size_t len,
    const unsigned char **sp, size_t *sl)
{
	const unsigned char	*p = der, *end = der + len;
	long			 l;
	int			 tag, cls, r, depth;

	/* Certificate SEQUENCE, then TBSCertificate SEQUENCE */
	for (depth = 0; depth < 2; depth++) {
		r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
		if ((r & 0x80) || r != V_ASN1_CONSTRUCTED ||
		    tag != V_ASN1_SEQUENCE || cls != V_ASN1_UNIVERSAL)
			return -1;
	}
	r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
	if (r & 0x80)
		return -1;
	if (cls == V_ASN1_CONTEXT_SPECIFIC && tag == 0) {
		/* [0] EXPLICIT version: skip it */
		if (r != V_ASN1_CONSTRUCTED || l > end - p)
			return -1;
		p += l;
		r = ASN1_get_object(&p, &l, &tag, &cls, end - p);
		if (r & 0x80)
			return -1;
	}
	if (r != 0 || cls != V_ASN1_UNIVERSAL || tag != V_ASN1_INTEGER ||
	    l <= 0 || l > end - p)
		return -1;
	*sp = p;
	*sl = (size_t)l;
	return 0;
}

/*
 * Finds NAME's encoding (the bytes it was decoded from, which OpenSSL
 * keeps) in C's DER, for its text to be made on first use.  Where it
 * cannot be found its text is made now into *TEXT.  Returns 0 or -1.
 */
static int
cert_name_locate(struct cert *c, const X509_NAME *name, size_t *off,
    size_t *len, char **text)
{
	const unsigned char	*der, *hit;
	size_t			 dl;

	*len = 0;
	if (X509_NAME_get0_der(name, &der, &dl) && dl > 0 &&
	    (hit = memmem(c->der, c->derlen, der, dl)) != NULL) {
		*off = (size_t)(hit - c->der);
		*len = dl;
		return 0;
	}
	return (*text = cert_name_text(name)) == NULL ? -1 : 0;
}

/*
 * Makes what cert_new left for first use: the SHA-256 and the names' texts
 * (the same bytes decode to the same name).  Where this fails (out of
 * memory) the fact reads as "?".  The cert is logically const: these are
 * a cache of its bytes, written through its self pointer.
 */
enum cert_later { CERT_SHA256, CERT_ISSUER_TEXT, CERT_SUBJECT_TEXT };

static const char *
cert_lazy(const struct cert *cc, enum cert_later what)
{
	struct cert		*c = cc->self;
	const unsigned char	*q;
	X509_NAME		*name;
	char			**field;

	field = what == CERT_SHA256 ? &c->sha256 : what == CERT_ISSUER_TEXT ?
	    &c->issuer_text : &c->subject_text;
	if (*field != NULL)
		return *field;
	if (what == CERT_SHA256)
		*field = cert_digest(c->der, c->derlen, 1);
	else {
		q = c->der + (what == CERT_ISSUER_TEXT ? c->issuer_off :
		    c->subject_off);
		if ((name = d2i_X509_NAME(NULL, &q, (long)(what ==
		    CERT_ISSUER_TEXT ? c->issuer_len : c->subject_len))) !=
		    NULL) {
			*field = cert_name_text(name);
			X509_NAME_free(name);
		}
		ERR_clear_error();
	}
	return *field != NULL ? *field : "?";
}

static int
cert_time(const ASN1_TIME *t, time_t *out)
{
	struct tm	tm;

	memset(&tm, 0, sizeof(tm));
	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return -1;
	*out = timegm(&tm);
	return 0;
}

/* Copies an ASN.1 text string to a C string, refusing embedded NULs. */
static char *
cert_asn1_text(int tag, const unsigned char *p, int n, const char **why)
{
	struct sbuf	b = SBUF_INIT;

	if (msname_to_utf8(tag, p, (size_t)n, &b, why) == -1) {
		sbuf_reset(&b);
		return NULL;
	}
	return sbuf_done(&b);
}

/*
 * 1 if the N bytes at P are a SID string as AD CS writes it into the SID
 * extension: "S-1-" then digits and dashes only (dir_sid_valid checks the
 * numbers before any lookup).
 */
static int
cert_sid_shaped(const unsigned char *p, size_t n)
{
	size_t	i;

	if (n < 5 || n > 200 || memcmp(p, "S-1-", 4) != 0)
		return 0;
	for (i = 4; i < n; i++)
		if (strchr("0123456789-", p[i]) == NULL || p[i] == '\0')
			return 0;
	return 1;
}

/*
 * A SAN URI: the SID form of [MS-PKCA] 3.1.5.2.1.6, if it is one.  Every
 * such URI must name the same SID; two that differ name no one.
 */
static void
cert_read_san_uri(struct cert *c, const ASN1_STRING *s)
{
	const unsigned char	*p = ASN1_STRING_get0_data(s);
	size_t			 n = (size_t)ASN1_STRING_length(s);
	size_t			 pl = sizeof(SAN_URI_SID) - 1;

	/* the scheme and the tag's authority are case-insensitive */
	if (n < pl || strncasecmp((const char *)p, SAN_URI_SID, pl) != 0)
		return;
	if (!cert_sid_shaped(p + pl, n - pl)) {
		cert_problem(c, "subjectAltName URI SID", "not a SID string");
		return;
	}
	if (c->sid_uri != NULL) {
		if (strlen(c->sid_uri) != n - pl ||
		    strncasecmp(c->sid_uri, (const char *)p + pl, n - pl) != 0)
			cert_problem(c, "subjectAltName URI SID",
			    "two URIs name different SIDs");
		return;
	}
	c->sid_uri = strndup((const char *)p + pl, n - pl);
}

static void
cert_read_san(struct cert *c)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	const ASN1_STRING	*s;
	const char		*why;
	char			*t;
	int			 i, crit;

	gens = X509V3_get_d2i(c->exts, NID_subject_alt_name, &crit, NULL);
	if (gens == NULL) {
		if (crit != -1)
			cert_problem(c, "subjectAltName", crit == -2 ?
			    "extension appears twice" : "cannot be decoded");
		return;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_EMAIL) {
			s = g->d.rfc822Name;
			t = cert_asn1_text(V_ASN1_IA5STRING,
			    ASN1_STRING_get0_data(s), ASN1_STRING_length(s),
			    &why);
			if (t == NULL)
				cert_problem(c, "subjectAltName e-mail", why);
			else if (strlist_add(&c->emails, t) == -1)
				cert_problem(c, "subjectAltName", "no memory");
			free(t);
		} else if (g->type == GEN_DNS) {
			s = g->d.dNSName;
			t = cert_asn1_text(V_ASN1_IA5STRING,
			    ASN1_STRING_get0_data(s), ASN1_STRING_length(s),
			    &why);
			if (t == NULL)
				cert_problem(c, "subjectAltName DNS name", why);
			else if (strlist_add(&c->dns, t) == -1)
				cert_problem(c, "subjectAltName", "no memory");
			free(t);
		} else if (g->type == GEN_URI) {
			cert_read_san_uri(c, g->d.uniformResourceIdentifier);
		} else if (g->type == GEN_OTHERNAME) {
			/* by NID: OpenSSL's own object for 1.3.6.1.4.1.311.20.2.3
			 * (OID_UPN); formatting every OID as text costs more */
			if (OBJ_obj2nid(g->d.otherName->type_id) != NID_ms_upn)
				continue;
			if (g->d.otherName->value == NULL ||
			    g->d.otherName->value->type != V_ASN1_UTF8STRING) {
				cert_problem(c, "subjectAltName UPN",
				    "not a UTF8String");
				continue;
			}
			s = g->d.otherName->value->value.utf8string;
			t = cert_asn1_text(V_ASN1_UTF8STRING,
			    ASN1_STRING_get0_data(s), ASN1_STRING_length(s),
			    &why);
			if (t == NULL)
				cert_problem(c, "subjectAltName UPN", why);
			else if (strlist_add(&c->upns, t) == -1)
				cert_problem(c, "subjectAltName", "no memory");
			free(t);
		}
	}
	GENERAL_NAMES_free(gens);
}

/*
 * The SID extension (AD CS, KB5014754) is a GeneralNames-shaped SEQUENCE
 * holding one otherName 1.3.6.1.4.1.311.25.2.1 whose value is an OCTET
 * STRING with the SID as ASCII text.
 */
static void
cert_read_sid(struct cert *c)
{
	ASN1_OBJECT		*obj = NULL;
	X509_EXTENSION		*ext;
	GENERAL_NAMES		*gens = NULL;
	const GENERAL_NAME	*g;
	const ASN1_OCTET_STRING	*os;
	const unsigned char	*p;
	char			 oid[64];
	int			 i, idx;

	if ((obj = OBJ_txt2obj(OID_SIDEXT, 1)) == NULL)
		goto out;
	if ((idx = X509v3_get_ext_by_OBJ(c->exts, obj, -1)) < 0)
		goto out;
	ext = X509v3_get_ext(c->exts, idx);
	os = X509_EXTENSION_get_data(ext);
	p = ASN1_STRING_get0_data(os);
	if ((gens = d2i_GENERAL_NAMES(NULL, &p, ASN1_STRING_length(os))) ==
	    NULL) {
		ERR_clear_error();
		cert_problem(c, "SID extension", "cannot be decoded");
		goto out;
	}
	for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_OTHERNAME)
			continue;
		OBJ_obj2txt(oid, sizeof(oid), g->d.otherName->type_id, 1);
		if (strcmp(oid, OID_SIDEXT_SID) != 0 ||
		    g->d.otherName->value == NULL ||
		    g->d.otherName->value->type != V_ASN1_OCTET_STRING)
			continue;
		os = g->d.otherName->value->value.octet_string;
		if (!cert_sid_shaped(ASN1_STRING_get0_data(os),
		    (size_t)ASN1_STRING_length(os))) {
			cert_problem(c, "SID extension", "not a SID string");
			break;
		}
		c->sid_ext = strndup((const char *)ASN1_STRING_get0_data(os),
		    (size_t)ASN1_STRING_length(os));
		break;
	}
out:
	GENERAL_NAMES_free(gens);
	ASN1_OBJECT_free(obj);
}

/*
 * The certificate's SID: the extension's or the SAN URI's.  When both are
 * there and differ the certificate names no one ([MS-PKCA] 3.1.5.2.1.6:
 * the KDC fails the logon): no SID, and sid_clash says why.  0 or -1.
 */
static int
cert_pick_sid(struct cert *c)
{
	struct sbuf	b = SBUF_INIT;

	if (c->sid_ext != NULL && c->sid_uri != NULL &&
	    strcasecmp(c->sid_ext, c->sid_uri) != 0) {
		sbuf_printf(&b, "its SID extension names %s but its "
		    "subjectAltName URI names %s", c->sid_ext, c->sid_uri);
		if ((c->sid_clash = sbuf_done(&b)) == NULL)
			return -1;
		cert_problem(c, "SID", c->sid_clash);
		return 0;
	}
	if (c->sid_ext != NULL || c->sid_uri != NULL)
		if ((c->sid = strdup(c->sid_ext != NULL ? c->sid_ext :
		    c->sid_uri)) == NULL)
			return -1;
	return 0;
}

static void
cert_read_ekus(struct cert *c)
{
	EXTENDED_KEY_USAGE	*eku;
	char			 oid[64];
	int			 i, crit;

	if ((eku = X509V3_get_d2i(c->exts, NID_ext_key_usage, &crit, NULL)) ==
	    NULL) {
		if (crit != -1)
			cert_problem(c, "extendedKeyUsage", "cannot be decoded");
		return;
	}
	for (i = 0; i < sk_ASN1_OBJECT_num(eku); i++) {
		OBJ_obj2txt(oid, sizeof(oid), sk_ASN1_OBJECT_value(eku, i), 1);
		(void)strlist_add(&c->ekus, oid);
	}
	EXTENDED_KEY_USAGE_free(eku);
}

static void
cert_read_crldps(struct cert *c)
{
	CRL_DIST_POINTS		*dps;
	const DIST_POINT	*dp;
	const GENERAL_NAME	*g;
	const ASN1_STRING	*s;
	char			*t;
	const char		*why;
	int			 i, j, crit;

	if ((dps = X509V3_get_d2i(c->exts, NID_crl_distribution_points, &crit,
	    NULL)) == NULL) {
		if (crit != -1)
			cert_problem(c, "CRL distribution points",
			    "cannot be decoded");
		return;
	}
	for (i = 0; i < sk_DIST_POINT_num(dps); i++) {
		dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		for (j = 0; j < sk_GENERAL_NAME_num(dp->distpoint->name.fullname);
		    j++) {
			g = sk_GENERAL_NAME_value(dp->distpoint->name.fullname,
			    j);
			if (g->type != GEN_URI)
				continue;
			s = g->d.uniformResourceIdentifier;
			t = cert_asn1_text(V_ASN1_IA5STRING,
			    ASN1_STRING_get0_data(s), ASN1_STRING_length(s),
			    &why);
			if (t != NULL)
				(void)strlist_add(&c->crldps, t);
			free(t);
		}
	}
	CRL_DIST_POINTS_free(dps);
}

static void
cert_read_ski(struct cert *c)
{
	ASN1_OCTET_STRING	*ski;
	int			 crit;

	if ((ski = X509V3_get_d2i(c->exts, NID_subject_key_identifier, &crit,
	    NULL)) == NULL) {
		/* Never a computed key hash: the KDC does not compute one. */
		c->ms_ski_why = crit == -1 ? "no SubjectKeyIdentifier extension" :
		    crit == -2 ? "SubjectKeyIdentifier extension appears twice" :
		    "SubjectKeyIdentifier extension cannot be decoded";
		return;
	}
	if (ASN1_STRING_length(ski) == 0)
		c->ms_ski_why = "SubjectKeyIdentifier extension is empty";
	else
		c->ms_ski = cert_hex(ASN1_STRING_get0_data(ski),
		    (size_t)ASN1_STRING_length(ski), 0);
	ASN1_OCTET_STRING_free(ski);
}

static void
cert_read_subject_email(struct cert *c, const X509_NAME *name)
{
	const ASN1_STRING	*s;
	const char		*why;
	int			 idx;

	idx = X509_NAME_get_index_by_NID(name, NID_pkcs9_emailAddress, -1);
	if (idx < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, idx));
	c->subject_email = cert_asn1_text(ASN1_STRING_type(s),
	    ASN1_STRING_get0_data(s), ASN1_STRING_length(s), &why);
}

/* The last (most specific) CN of the subject: a device's host name. */
static void
cert_read_subject_cn(struct cert *c, const X509_NAME *name)
{
	const ASN1_STRING	*s;
	const char		*why;
	int			 idx, last = -1;

	for (idx = -1; (idx = X509_NAME_get_index_by_NID(name, NID_commonName,
	    idx)) >= 0; )
		last = idx;
	if (last < 0)
		return;
	s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, last));
	c->subject_cn = cert_asn1_text(ASN1_STRING_type(s),
	    ASN1_STRING_get0_data(s), ASN1_STRING_length(s), &why);
}

/*
 * Whether C is a CA certificate, as X509_check_ca() && EXFLAG_CA says.
 * Only a basicConstraints extension with cA TRUE sets EXFLAG_CA, so other
 * certificates are settled from the extension alone; the few that have it
 * are decoded in full (kept for chain building) and asked OpenSSL's way,
 * with its keyUsage and extension-validity rules.
 */
static int
cert_check_ca(struct cert *c, int full)
{
	BASIC_CONSTRAINTS	*bc;
	const unsigned char	*q = c->der;
	int			 crit, ca;

	if (!full) {
		bc = X509V3_get_d2i(c->exts, NID_basic_constraints, &crit, NULL);
		ca = bc != NULL && bc->ca;
		BASIC_CONSTRAINTS_free(bc);
		if (!ca)
			return 0;
	}
	if (c->x == NULL &&
	    (c->x = d2i_X509(NULL, &q, (long)c->derlen)) == NULL)
		return -1;
	c->is_ca = X509_check_ca(c->x) > 0 &&
	    (X509_get_extension_flags(c->x) & EXFLAG_CA) != 0;
	return 0;
}

/*
 * Reads one certificate from the N bytes at P, which it must fill.  FULL:
 * decode it with d2i_X509, as the reference for the differential tests;
 * otherwise the key is left undecoded (cert_der.c).  Every fact comes from
 * the bytes read.  Returns NULL after reporting.
 */
static struct cert *
cert_new(const char *label, const unsigned char *p, size_t n, int full)
{
	struct cert		*c = NULL, *ret = NULL;
	struct certder		*cd = NULL;
	const unsigned char	*q = p, *sp;
	const X509_NAME		*issuer, *subject;
	const ASN1_TIME		*nb, *na;
	size_t			 sl;

	if (n > LONG_MAX) {
		msg_err("%s: too large", label);
		goto out;
	}
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	c->self = c;
	if (full)
		c->x = d2i_X509(NULL, &q, (long)n);
	else
		cd = certder_decode(&q, n);
	if (c->x == NULL && cd == NULL) {
		msg_ssl("%s: not a valid DER certificate", label);
		goto out;
	}
	if ((size_t)(q - p) != n) {
		msg_err("%s: %zu bytes of trailing data after the certificate",
		    label, n - (size_t)(q - p));
		goto out;
	}
	if ((c->der = malloc(n)) == NULL) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	memcpy(c->der, p, n);
	c->derlen = n;
	if (full) {
		issuer = X509_get_issuer_name(c->x);
		subject = X509_get_subject_name(c->x);
		nb = X509_get0_notBefore(c->x);
		na = X509_get0_notAfter(c->x);
		c->exts = X509_get0_extensions(c->x);
	} else {
		issuer = certder_issuer(cd);
		subject = certder_subject(cd);
		nb = certder_not_before(cd);
		na = certder_not_after(cd);
		c->exts = certder_exts(cd);
	}
	if (cert_der_serial(p, n, &sp, &sl) == -1) {
		msg_err("%s: certificate is not DER encoded (serial number "
		    "cannot be located)", label);
		goto out;
	}
	c->ms_serial = cert_hex(sp, sl, 1);
	c->serial_text = cert_hex(sp, sl, 0);
	c->sha1 = cert_digest(p, n, 0);
	if (c->ms_serial == NULL || c->serial_text == NULL ||
	    c->sha1 == NULL ||
	    cert_name_locate(c, issuer, &c->issuer_off, &c->issuer_len,
	    &c->issuer_text) == -1 ||
	    cert_name_locate(c, subject, &c->subject_off, &c->subject_len,
	    &c->subject_text) == -1) {
		msg_ssl("%s: cannot compute certificate facts", label);
		goto out;
	}
	c->ms_issuer = msname_format(issuer, &c->ms_issuer_why);
	c->ms_subject = msname_format(subject, &c->ms_subject_why);
	if (c->ms_subject != NULL && c->ms_subject[0] == '\0') {
		free(c->ms_subject);
		c->ms_subject = NULL;
		c->ms_subject_why = "subject name is empty";
	}
	if (c->ms_issuer != NULL && c->ms_issuer[0] == '\0') {
		free(c->ms_issuer);
		c->ms_issuer = NULL;
		c->ms_issuer_why = "issuer name is empty";
	}
	if (cert_time(nb, &c->not_before) == -1 ||
	    cert_time(na, &c->not_after) == -1) {
		msg_err("%s: certificate validity dates cannot be read", label);
		goto out;
	}
	if (cert_check_ca(c, full) == -1) {
		msg_ssl("%s: not a valid DER certificate", label);
		goto out;
	}
	cert_read_ski(c);
	cert_read_san(c);
	cert_read_sid(c);
	if (cert_pick_sid(c) == -1) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	cert_read_ekus(c);
	cert_read_crldps(c);
	cert_read_subject_email(c, subject);
	cert_read_subject_cn(c, subject);
	ERR_clear_error();
	c->exts = NULL;		/* belonged to the decoded form */
	ret = c;
	c = NULL;
out:
	certder_free(cd);
	cert_free(c);
	return ret;
}

static int
certset_push(struct certset *set, struct cert *c)
{
	struct cert	**v;

	if ((v = realloc(set->v, (set->n + 1) * sizeof(*v))) == NULL)
		return -1;
	v[set->n++] = c;
	set->v = v;
	return 0;
}

/* Moves every cert of FROM to the end of TO; FROM is left empty. */
static int
certset_move(struct certset *to, struct certset *from)
{
	struct cert	**v;

	if (from->n == 0)
		return 0;
	if ((v = realloc(to->v, (to->n + from->n) * sizeof(*v))) == NULL)
		return -1;
	memcpy(v + to->n, from->v, from->n * sizeof(*v));
	to->v = v;
	to->n += from->n;
	free(from->v);
	from->v = NULL;
	from->n = 0;
	return 0;
}

/* One DER certificate filling exactly N bytes at P. */
static int
cert_from_der(const char *label, const unsigned char *p, size_t n, int full,
    struct certset *set)
{
	struct cert	*c;

	if ((c = cert_new(label, p, n, full)) == NULL)
		return -1;
	if (certset_push(set, c) == -1) {
		msg_err("%s: out of memory", label);
		cert_free(c);
		return -1;
	}
	return 0;
}

/*
 * The certificates of a PKCS#7 SignedData (a .p7b/.p7c bundle).  Each
 * certificate's own bytes are located inside the bundle so that the
 * thumbprint is taken over what was read, not over a re-encoding.
 */
static int
cert_from_p7(const char *label, const unsigned char *p, size_t n, int full,
    struct certset *set)
{
	const unsigned char	*q = p, *hit;
	PKCS7			*p7 = NULL;
	STACK_OF(X509)		*certs;
	X509			*x;
	struct certset		 tmp = { NULL, 0 };
	unsigned char		*enc = NULL;
	int			 i, len, rc = -1;

	if (n > LONG_MAX || (p7 = d2i_PKCS7(NULL, &q, (long)n)) == NULL) {
		msg_ssl("%s: neither a DER certificate nor a PKCS#7 bundle",
		    label);
		goto out;
	}
	if (!PKCS7_type_is_signed(p7) || p7->d.sign == NULL ||
	    (certs = p7->d.sign->cert) == NULL || sk_X509_num(certs) == 0) {
		msg_err("%s: PKCS#7 bundle holds no certificates", label);
		goto out;
	}
	for (i = 0; i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		OPENSSL_free(enc);
		enc = NULL;
		if ((len = i2d_X509(x, &enc)) <= 0) {
			msg_ssl("%s: certificate %d in the bundle", label, i + 1);
			goto out;
		}
		hit = memmem(p, n, enc, (size_t)len);
		if (hit == NULL)
			msg_warn("%s: certificate %d of the PKCS#7 bundle is not "
			    "DER encoded; its thumbprint is taken over a "
			    "re-encoding", label, i + 1);
		if (cert_from_der(label, hit ? hit : enc, (size_t)len, full,
		    &tmp) == -1)
			goto out;
	}
	if (certset_move(set, &tmp) == -1) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(enc);
	certset_free(&tmp);
	PKCS7_free(p7);
	return rc;
}

/*
 * 1 if the DER at P looks like a certificate (SEQUENCE { SEQUENCE ... }),
 * 0 if it looks like a PKCS#7 ContentInfo (SEQUENCE { OID ... }).
 */
static int
cert_shaped(const unsigned char *p, size_t n)
{
	const unsigned char	*q = p;
	long			 l;
	int			 tag, cls, r;

	r = ASN1_get_object(&q, &l, &tag, &cls, (long)n);
	if ((r & 0x80) || tag != V_ASN1_SEQUENCE)
		return 1;
	r = ASN1_get_object(&q, &l, &tag, &cls, (long)n - (q - p));
	return (r & 0x80) || tag != V_ASN1_OBJECT;
}

/* DER: a certificate, or else a PKCS#7 bundle. */
static int
cert_from_binary(const char *label, const unsigned char *p, size_t n,
    int full, struct certset *set)
{
	if (n > LONG_MAX) {
		msg_err("%s: too large", label);
		return -1;
	}
	if (!cert_shaped(p, n))
		return cert_from_p7(label, p, n, full, set);
	return cert_from_der(label, p, n, full, set);
}

static int
cert_from_pem(const char *label, const unsigned char *buf, size_t n,
    int full, struct certset *set)
{
	BIO		*bio = NULL;
	char		*name = NULL, *header = NULL;
	unsigned char	*data = NULL;
	long		 len;
	unsigned long	 e;
	struct certset	 tmp = { NULL, 0 };
	struct sbuf	 lbl = SBUF_INIT, skipped = SBUF_INIT;
	const unsigned char *q;
	X509		*x;
	int		 block = 0, rc = -1;

	if (n > INT_MAX ||
	    (bio = BIO_new_mem_buf(buf, (int)n)) == NULL) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	for (;;) {
		if (!PEM_read_bio(bio, &name, &header, &data, &len)) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE) {
				ERR_clear_error();
				break;
			}
			msg_ssl("%s: PEM block %d is damaged", label, block + 1);
			goto out;
		}
		block++;
		sbuf_reset(&lbl);
		sbuf_printf(&lbl, "%s: PEM block %d", label, block);
		if (lbl.oom) {
			msg_err("%s: out of memory", label);
			goto out;
		}
		if (strcmp(name, PEM_STRING_X509) == 0 ||
		    strcmp(name, PEM_STRING_X509_OLD) == 0) {
			if (cert_from_der(lbl.s, data, (size_t)len, full,
			    &tmp) == -1)
				goto out;
		} else if (strcmp(name, PEM_STRING_X509_TRUSTED) == 0) {
			/* a certificate followed by OpenSSL trust settings */
			q = data;
			if ((x = d2i_X509(NULL, &q, len)) == NULL) {
				msg_ssl("%s: not a valid certificate", lbl.s);
				goto out;
			}
			X509_free(x);
			if (cert_from_der(lbl.s, data, (size_t)(q - data), full,
			    &tmp) == -1)
				goto out;
		} else if (strcmp(name, PEM_STRING_PKCS7) == 0 ||
		    strcmp(name, "CMS") == 0) {
			if (cert_from_p7(lbl.s, data, (size_t)len, full,
			    &tmp) == -1)
				goto out;
		} else {
			sbuf_printf(&skipped, "%s\"%.40s\"", skipped.len ?
			    ", " : "", name);
			msg_debug("%s: skipped PEM block %d (\"%.40s\"), not a "
			    "certificate", label, block, name);
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_clear_free(data, (size_t)len);
		name = header = NULL;
		data = NULL;
	}
	if (tmp.n == 0) {
		msg_err("%s: no certificate in this PEM file%s%s", label,
		    skipped.len ? ", only " : "", skipped.len ? skipped.s : "");
		goto out;
	}
	if (skipped.len > 0)
		msg_note("%s: skipped PEM blocks that are not certificates: %s",
		    label, skipped.s);
	if (certset_move(set, &tmp) == -1) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	rc = 0;
out:
	OPENSSL_free(name);
	OPENSSL_free(header);
	if (data != NULL)
		OPENSSL_clear_free(data, (size_t)len);
	sbuf_reset(&lbl);
	sbuf_reset(&skipped);
	certset_free(&tmp);
	BIO_free(bio);
	return rc;
}

static int
cert_is_b64(const unsigned char *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789+/= \t\r\n", p[i]) == NULL || p[i] == '\0')
			return 0;
	return n > 0;
}

static int
cert_from_b64(const char *label, const unsigned char *p, size_t n, int full,
    struct certset *set)
{
	EVP_ENCODE_CTX	*ctx = NULL;
	unsigned char	*out = NULL;
	int		 ol, fl, rc = -1;

	if (n > INT_MAX / 2 || (ctx = EVP_ENCODE_CTX_new()) == NULL ||
	    (out = malloc(n)) == NULL) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	EVP_DecodeInit(ctx);
	if (EVP_DecodeUpdate(ctx, out, &ol, p, (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, out + ol, &fl) != 1) {
		msg_err("%s: invalid base64", label);
		goto out;
	}
	rc = cert_from_binary(label, out, (size_t)(ol + fl), full, set);
out:
	free(out);
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

/* cert_read_mem; FULL: the reference reader (cert_read_mem_full). */
static int
cert_read_mem_how(const char *label, const unsigned char *buf, size_t n,
    int b64_ok, int full, struct certset *set)
{
	int	rc;

	if (n == 0) {
		msg_err("%s: empty, no certificate", label);
		return -1;
	}
	if (memmem(buf, n, "-----BEGIN ", 11) != NULL)
		rc = cert_from_pem(label, buf, n, full, set);
	else if (buf[0] == 0x30)
		rc = cert_from_binary(label, buf, n, full, set);
	else if (b64_ok && cert_is_b64(buf, n))
		rc = cert_from_b64(label, buf, n, full, set);
	else {
		msg_err("%s: not a certificate (neither DER, PEM nor PKCS#7)",
		    label);
		rc = -1;
	}
	ERR_clear_error();
	return rc;
}

int
cert_read_mem(const char *label, const unsigned char *buf, size_t n,
    int b64_ok, struct certset *set)
{
	return cert_read_mem_how(label, buf, n, b64_ok, 0, set);
}

int
cert_read_mem_full(const char *label, const unsigned char *buf, size_t n,
    int b64_ok, struct certset *set)
{
	return cert_read_mem_how(label, buf, n, b64_ok, 1, set);
}

/* Sets *ERR to "LABEL: reason" (NULL when out of memory). */
static void
cert_load_err(char **err, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
cert_load_err(char **err, const char *label, const char *fmt, ...)
{
	struct sbuf	 b = SBUF_INIT;
	char		 msg[256];
	va_list		 ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sbuf_printf(&b, "%s: %s", label, msg);
	*err = sbuf_done(&b);
}

int
cert_load_file(const char *path, const char *label, unsigned char **bufp,
    size_t *lenp, char **err)
{
	struct stat	 st;
	unsigned char	*buf = NULL, *nb;
	size_t		 len = 0, cap = 0;
	ssize_t		 r;
	int		 fd = -1, rc = -1;

	*err = NULL;
	if (label == NULL)
		label = path;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		cert_load_err(err, label, "%s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) == -1) {
		cert_load_err(err, label, "%s", strerror(errno));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		cert_load_err(err, label, "is a directory, not a certificate "
		    "file");
		goto out;
	}
	/* a FIFO or device could block the run forever: regular files only */
	if (!S_ISREG(st.st_mode)) {
		cert_load_err(err, label, "not a regular file");
		goto out;
	}
	if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size >
	    CERT_MAX_FILE) {
		cert_load_err(err, label, "too large for a certificate file "
		    "(%lld bytes, limit %lu)", (long long)st.st_size,
		    CERT_MAX_FILE);
		goto out;
	}
	/*
	 * Room for the whole file and one byte more, so that one read
	 * returning the size fstat gave (and less than asked) is the end:
	 * a file that grew meanwhile is read on to its end.
	 */
	if ((unsigned long long)st.st_size < CERT_MAX_FILE) {
		cap = (size_t)st.st_size + 1;
		if ((buf = malloc(cap)) == NULL) {
			cert_load_err(err, label, "out of memory");
			goto out;
		}
	}
	for (;;) {
		if (len == cap) {
			if (cap > CERT_MAX_FILE) {
				cert_load_err(err, label, "too large for a "
				    "certificate file (limit %lu bytes)",
				    CERT_MAX_FILE);
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(buf, cap)) == NULL) {
				cert_load_err(err, label, "out of memory");
				goto out;
			}
			buf = nb;
		}
		if ((r = read(fd, buf + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			/* opened O_NONBLOCK (FIFOs); a file system may heed it */
			if (errno == EAGAIN && fcntl(fd, F_SETFL, 0) == 0)
				continue;
			cert_load_err(err, label, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len < cap && len == (size_t)st.st_size)
			break;
	}
	*bufp = buf;
	*lenp = len;
	buf = NULL;
	rc = 0;
out:
	cert_load_free(buf, cap);
	if (fd != -1)
		close(fd);
	return rc;
}

void
cert_load_free(unsigned char *buf, size_t len)
{
	if (buf == NULL)
		return;
	/* may hold a private key; the allocation may be one byte longer */
	OPENSSL_cleanse(buf, len);
	free(buf);
}

int
cert_read_loaded(const char *label, int rc, unsigned char *buf, size_t len,
    char *err, struct certset *set)
{
	if (rc == -1) {
		if (err != NULL)
			msg_err("%s", err);
		else
			msg_err("%s: out of memory", label);
	} else
		rc = cert_read_mem(label, buf, len, 0, set);
	free(err);
	cert_load_free(buf, len);
	return rc;
}

int
cert_read_file(const char *path, const char *label, struct certset *set)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0;
	char		*err = NULL;
	int		 rc;

	if (label == NULL)
		label = path;
	rc = cert_load_file(path, label, &buf, &len, &err);
	return cert_read_loaded(label, rc, buf, len, err, set);
}

X509 *
cert_x509(const struct cert *c)
{
	const unsigned char	*q = c->der;

	if (c->x != NULL)
		return X509_up_ref(c->x) ? c->x : NULL;
	return d2i_X509(NULL, &q, (long)c->derlen);
}

const char *cert_subject_text(const struct cert *c) { return cert_lazy(c, CERT_SUBJECT_TEXT); }
const char *cert_issuer_text(const struct cert *c) { return cert_lazy(c, CERT_ISSUER_TEXT); }
const char *cert_serial_text(const struct cert *c) { return c->serial_text; }
time_t cert_not_before(const struct cert *c) { return c->not_before; }
time_t cert_not_after(const struct cert *c) { return c->not_after; }
int cert_is_ca(const struct cert *c) { return c->is_ca; }
const char *cert_sha256(const struct cert *c) { return cert_lazy(c, CERT_SHA256); }
const char *cert_sha1(const struct cert *c) { return c->sha1; }
const struct strlist *cert_upns(const struct cert *c) { return &c->upns; }
const struct strlist *cert_emails(const struct cert *c) { return &c->emails; }
const char *cert_subject_email(const struct cert *c) { return c->subject_email; }
const char *cert_sid(const struct cert *c) { return c->sid; }
const char *cert_subject_cn(const struct cert *c) { return c->subject_cn; }
const char *cert_sid_ext(const struct cert *c) { return c->sid_ext; }
const char *cert_sid_uri(const struct cert *c) { return c->sid_uri; }
const char *cert_sid_clash(const struct cert *c) { return c->sid_clash; }
const struct strlist *cert_dns(const struct cert *c) { return &c->dns; }
const struct strlist *cert_ekus(const struct cert *c) { return &c->ekus; }
const struct strlist *cert_crldps(const struct cert *c) { return &c->crldps; }
const struct strlist *cert_problems(const struct cert *c) { return &c->problems; }
const char *cert_ms_serial(const struct cert *c) { return c->ms_serial; }

const char *
cert_ms_issuer(const struct cert *c, const char **why)
{
	*why = c->ms_issuer_why;
	return c->ms_issuer;
}

const char *
cert_ms_subject(const struct cert *c, const char **why)
{
	*why = c->ms_subject_why;
	return c->ms_subject;
}

const char *
cert_ms_ski(const struct cert *c, const char **why)
{
	*why = c->ms_ski_why;
	return c->ms_ski;
}

void
cert_fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm) == 0)
		snprintf(buf, len, "?");
}
