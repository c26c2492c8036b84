/*
 * cert_ossl: the OpenSSL side of struct cert, for the certificate modules
 * only (cert.c, trust.c) and their tests.
 */
#ifndef CERTBULK_CERT_OSSL_H
#define CERTBULK_CERT_OSSL_H

#include <openssl/x509.h>

#include "cert.h"

/*
 * The certificate fully decoded (d2i_X509 of the bytes read; kept for CA
 * certificates, decoded on demand for the others: only chain and CRL
 * checks need it).  Returns a reference the caller releases with
 * X509_free, or NULL (OpenSSL error queue set).
 */
X509	*cert_x509(const struct cert *c);

/*
 * cert_read_mem with every certificate decoded by d2i_X509 instead of
 * cert_der.c: the reference for the differential tests, which check that
 * both give the same facts and refuse the same inputs.
 */
int	cert_read_mem_full(const char *label, const unsigned char *buf,
	    size_t n, int b64_ok, struct certset *set);

#endif
