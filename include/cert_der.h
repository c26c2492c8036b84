/*
 * cert_der: the parts of an X.509 certificate that the mapping values and
 * facts need, decoded without the public key.  OpenSSL 3's d2i_X509 turns
 * every subjectPublicKeyInfo into an EVP_PKEY through the provider
 * decoders, which is most of the cost of reading a certificate, and no
 * value needs it.  A certificate module (cert.c only).
 */
#ifndef CERTBULK_CERT_DER_H
#define CERTBULK_CERT_DER_H

#include <stddef.h>

#include <openssl/x509.h>

struct certder;

/*
 * Decodes one certificate from the first bytes of the N at *PP with the
 * same structural rules as d2i_X509 (OpenSSL's own templates for names,
 * validity, algorithms and extensions; the key kept as algorithm and bit
 * string).  On success advances *PP past it and returns the parts, which
 * the caller frees with certder_free; NULL when d2i_X509 would refuse it
 * (OpenSSL error queue set).
 */
struct certder	*certder_decode(const unsigned char **pp, size_t n);

void		 certder_free(struct certder *);

/* Views into D, valid while D is. */
const X509_NAME	*certder_issuer(const struct certder *d);
const X509_NAME	*certder_subject(const struct certder *d);
const ASN1_TIME	*certder_not_before(const struct certder *d);
const ASN1_TIME	*certder_not_after(const struct certder *d);
/* The extensions, or NULL when there are none. */
const STACK_OF(X509_EXTENSION) *certder_exts(const struct certder *d);

#endif
