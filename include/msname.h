/*
 * msname: X.500 names and strings the way CryptoAPI prints them for the
 * KDC's certificate mapping (spec/altsecid.md, "Issuer and subject names").
 * A certificate module: the only other one besides cert.c that sees OpenSSL.
 */
#ifndef CERTBULK_MSNAME_H
#define CERTBULK_MSNAME_H

#include <stddef.h>

#include <openssl/x509.h>

#include "sbuf.h"

/*
 * Converts N content octets of an ASN.1 string of universal tag TAG
 * (V_ASN1_UTF8STRING, V_ASN1_BMPSTRING, ...) to UTF-8 appended to B.
 * T61String is read as UTF-8 when it is valid UTF-8, else as Latin-1, as
 * CryptoAPI does.  Returns 0, or -1 with *WHY set to a static reason
 * (embedded NUL, malformed encoding, unsupported type); B is then unchanged.
 */
int	msname_to_utf8(int tag, const unsigned char *p, size_t n,
	    struct sbuf *b, const char **why);

/*
 * Appends UTF-8 value V (N bytes) to B, wrapped in double quotes with
 * inner quotes doubled when CryptoAPI would quote it.
 */
void	msname_quote(struct sbuf *b, const char *v, size_t n);

/* Returns the CryptoAPI keyword for a dotted OID, or NULL if it has none. */
const char *msname_keyword(const char *oid);

/*
 * Formats NAME in encoded RDN order, most general first, as the KDC does:
 * "DC=com,DC=contoso,CN=Jane".  Returns a string the caller frees, or NULL
 * with *WHY set to a static reason naming the problem.  An empty name
 * gives "".
 */
char	*msname_format(const X509_NAME *name, const char **why);

#endif
