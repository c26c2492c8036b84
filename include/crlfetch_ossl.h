/*
 * crlfetch_ossl: the OpenSSL side of crlfetch, for trust.c.
 */
#ifndef CERTBULK_CRLFETCH_OSSL_H
#define CERTBULK_CRLFETCH_OSSL_H

#include <openssl/x509.h>

#include "crlfetch.h"

/* The CRL behind INFO (owned by the fetcher), or NULL if it has none. */
X509_CRL	*crlfetch_crl(const struct crlinfo *info);

#endif
