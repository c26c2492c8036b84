/*
 * A certificate decoded by ASN.1 templates that mirror OpenSSL's X509 and
 * X509_CINF item for item, except that subjectPublicKeyInfo is the plain
 * SEQUENCE { AlgorithmIdentifier, BIT STRING } that X509_PUBKEY checks
 * before it (optionally) builds a key.  Decoding therefore accepts and
 * refuses exactly what d2i_X509 does -- tests/unit/test_certdiff.c and
 * tests/fuzz/fuzz_cert_diff.c hold the two side by side -- without the
 * provider lookups for the key.
 *
 * The typedefs are what OpenSSL's template macros (asn1t.h) need to name
 * a type; they stay in this file.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "cert_der.h"

typedef struct {
	X509_ALGOR	*algor;
	ASN1_BIT_STRING	*key;
} CERTDER_SPKI;

/*
 * The issuer name, decoded once per run of certificates with the same
 * issuer bytes.  A batch is mostly one or a few CAs' certificates, and
 * decoding a name is among the dearest parts of reading one (OpenSSL
 * builds its entries, then a canonical copy, then re-encodes it).  The
 * same bytes decode to the same name, so the last issuer decoded on this
 * thread is kept and shared (refs) by every certificate whose issuer field
 * starts with exactly its bytes; anything else goes to X509_NAME's own
 * decoder, which accepts and refuses as d2i_X509 does.
 */
struct certder_name {
	X509_NAME	*name;	/* owned */
	unsigned char	*der;	/* owned: the bytes it was decoded from */
	size_t		 len;
	atomic_int	 refs;
};

typedef struct certder_name CERTDER_ISSUER;

static pthread_once_t	certder_key_once = PTHREAD_ONCE_INIT;
static pthread_key_t	certder_key;	/* this thread's last issuer */
static int		certder_key_ok;

static void
certder_name_unref(struct certder_name *n)
{
	if (n == NULL || atomic_fetch_sub(&n->refs, 1) != 1)
		return;
	X509_NAME_free(n->name);
	free(n->der);
	free(n);
}

static void
certder_key_drop(void *n)
{
	certder_name_unref(n);
}

static void
certder_key_make(void)
{
	certder_key_ok = pthread_key_create(&certder_key, certder_key_drop) ==
	    0;
}

static int
certder_issuer_new(ASN1_VALUE **pval, const ASN1_ITEM *it)
{
	(void)it;
	*pval = NULL;
	return 1;
}

static void
certder_issuer_free(ASN1_VALUE **pval, const ASN1_ITEM *it)
{
	(void)it;
	certder_name_unref((struct certder_name *)*pval);
	*pval = NULL;
}

static void
certder_issuer_clear(ASN1_VALUE **pval, const ASN1_ITEM *it)
{
	(void)it;
	*pval = NULL;
}

static int
certder_issuer_d2i(ASN1_VALUE **pval, const unsigned char **in, long len,
    const ASN1_ITEM *it, int tag, int aclass, char opt, ASN1_TLC *ctx)
{
	const ASN1_EXTERN_FUNCS	*ef = ASN1_ITEM_rptr(X509_NAME)->funcs;
	struct certder_name	*memo = NULL, *n = NULL;
	const unsigned char	*p = *in;
	X509_NAME		*name = NULL;
	int			 ret;

	(void)it;
	if (pthread_once(&certder_key_once, certder_key_make) == 0 &&
	    certder_key_ok)
		memo = pthread_getspecific(certder_key);
	if (memo != NULL && tag == -1 && len >= 0 &&
	    (size_t)len >= memo->len && memcmp(p, memo->der, memo->len) == 0) {
		certder_issuer_free(pval, it);
		atomic_fetch_add(&memo->refs, 1);
		*pval = (ASN1_VALUE *)memo;
		*in = p + memo->len;
		return 1;
	}
	ret = ef->asn1_ex_d2i((ASN1_VALUE **)&name, &p, len,
	    ASN1_ITEM_rptr(X509_NAME), tag, aclass, opt, ctx);
	if (ret <= 0) {
		X509_NAME_free(name);
		return ret;
	}
	if ((n = calloc(1, sizeof(*n))) == NULL ||
	    (n->der = malloc((size_t)(p - *in))) == NULL) {
		free(n);
		X509_NAME_free(name);
		ERR_raise(ERR_LIB_ASN1, ERR_R_MALLOC_FAILURE);
		return 0;
	}
	n->name = name;
	n->len = (size_t)(p - *in);
	memcpy(n->der, *in, n->len);
	atomic_init(&n->refs, 1);
	if (tag == -1 && certder_key_ok) {
		/* becomes this thread's memo, holding a reference of its own */
		atomic_fetch_add(&n->refs, 1);
		if (pthread_setspecific(certder_key, n) == 0)
			certder_name_unref(memo);
		else
			atomic_fetch_sub(&n->refs, 1);
	}
	certder_issuer_free(pval, it);
	*pval = (ASN1_VALUE *)n;
	*in = p;
	return 1;
}

static const ASN1_EXTERN_FUNCS certder_issuer_ff = {
	NULL,
	certder_issuer_new,
	certder_issuer_free,
	certder_issuer_clear,
	certder_issuer_d2i,
	NULL,	/* never encoded */
	NULL,
	NULL,
	NULL,
};

/* IMPLEMENT_EXTERN_ASN1, file-local */
static_ASN1_ITEM_start(CERTDER_ISSUER)
	ASN1_ITYPE_EXTERN, V_ASN1_SEQUENCE, NULL, 0, &certder_issuer_ff, 0,
	"CERTDER_ISSUER"
ASN1_ITEM_end(CERTDER_ISSUER)

typedef struct {
	ASN1_INTEGER		*version;
	ASN1_INTEGER		*serial;
	X509_ALGOR		*sigalg;
	CERTDER_ISSUER		*issuer;
	X509_VAL		*validity;
	X509_NAME		*subject;
	CERTDER_SPKI		*spki;
	ASN1_BIT_STRING		*issuer_uid;
	ASN1_BIT_STRING		*subject_uid;
	STACK_OF(X509_EXTENSION) *exts;
} CERTDER_TBS;

typedef struct {
	CERTDER_TBS	*tbs;
	X509_ALGOR	*sigalg;
	ASN1_BIT_STRING	*sig;
} CERTDER_CERT;

ASN1_SEQUENCE(CERTDER_SPKI) = {
	ASN1_SIMPLE(CERTDER_SPKI, algor, X509_ALGOR),
	ASN1_SIMPLE(CERTDER_SPKI, key, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CERTDER_SPKI)

/* as X509_CINF (crypto/x509/x_x509.c) */
ASN1_SEQUENCE(CERTDER_TBS) = {
	ASN1_EXP_OPT(CERTDER_TBS, version, ASN1_INTEGER, 0),
	ASN1_SIMPLE(CERTDER_TBS, serial, ASN1_INTEGER),
	ASN1_SIMPLE(CERTDER_TBS, sigalg, X509_ALGOR),
	ASN1_SIMPLE(CERTDER_TBS, issuer, CERTDER_ISSUER),
	ASN1_SIMPLE(CERTDER_TBS, validity, X509_VAL),
	ASN1_SIMPLE(CERTDER_TBS, subject, X509_NAME),
	ASN1_SIMPLE(CERTDER_TBS, spki, CERTDER_SPKI),
	ASN1_IMP_OPT(CERTDER_TBS, issuer_uid, ASN1_BIT_STRING, 1),
	ASN1_IMP_OPT(CERTDER_TBS, subject_uid, ASN1_BIT_STRING, 2),
	ASN1_EXP_SEQUENCE_OF_OPT(CERTDER_TBS, exts, X509_EXTENSION, 3)
} static_ASN1_SEQUENCE_END(CERTDER_TBS)

/* as X509 */
ASN1_SEQUENCE(CERTDER_CERT) = {
	ASN1_SIMPLE(CERTDER_CERT, tbs, CERTDER_TBS),
	ASN1_SIMPLE(CERTDER_CERT, sigalg, X509_ALGOR),
	ASN1_SIMPLE(CERTDER_CERT, sig, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END(CERTDER_CERT)

struct certder {
	CERTDER_CERT	*c;	/* owned */
};

struct certder *
certder_decode(const unsigned char **pp, size_t n)
{
	struct certder	*d;

	if (n > LONG_MAX || (d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	d->c = (CERTDER_CERT *)ASN1_item_d2i(NULL, pp, (long)n,
	    ASN1_ITEM_rptr(CERTDER_CERT));
	if (d->c == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
certder_free(struct certder *d)
{
	if (d == NULL)
		return;
	ASN1_item_free((ASN1_VALUE *)d->c, ASN1_ITEM_rptr(CERTDER_CERT));
	free(d);
}

const X509_NAME *
certder_issuer(const struct certder *d)
{
	return d->c->tbs->issuer->name;
}

const X509_NAME *
certder_subject(const struct certder *d)
{
	return d->c->tbs->subject;
}

const ASN1_TIME *
certder_not_before(const struct certder *d)
{
	return d->c->tbs->validity->notBefore;
}

const ASN1_TIME *
certder_not_after(const struct certder *d)
{
	return d->c->tbs->validity->notAfter;
}

const STACK_OF(X509_EXTENSION) *
certder_exts(const struct certder *d)
{
	return d->c->tbs->exts;
}
