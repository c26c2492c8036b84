/*
 * cert_ossl: the OpenSSL side of struct cert, for the certificate modules
 * only (cert.c, trust.c).
 */
#ifndef CERTBULK_CERT_OSSL_H
#define CERTBULK_CERT_OSSL_H

#include <openssl/x509.h>

#include "cert.h"

/* The decoded certificate; owned by C. */
X509	*cert_x509(const struct cert *c);

#endif
