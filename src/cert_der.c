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
#include <stdlib.h>

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/x509.h>

#include "cert_der.h"

typedef struct {
	X509_ALGOR	*algor;
	ASN1_BIT_STRING	*key;
} CERTDER_SPKI;

typedef struct {
	ASN1_INTEGER		*version;
	ASN1_INTEGER		*serial;
	X509_ALGOR		*sigalg;
	X509_NAME		*issuer;
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
	ASN1_SIMPLE(CERTDER_TBS, issuer, X509_NAME),
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
	return d->c->tbs->issuer;
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
