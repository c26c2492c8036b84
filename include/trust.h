/*
 * trust: chain and revocation checks with OpenSSL's verifier, against the
 * CAs the domain controllers trust (--ca-file) and the CAs' CRLs
 * (--crl-file).  A certificate module: sees OpenSSL.
 */
#ifndef CERTBULK_TRUST_H
#define CERTBULK_TRUST_H

#include <time.h>

#include "cert.h"

struct trust;

/*
 * Loads the trusted CA certificates of CAFILE (DER, PEM or PKCS#7) and,
 * if CRLFILE is not NULL, the CRLs in it (PEM or DER); with CRLs every
 * certificate of a chain must have a current CRL.  Returns NULL after
 * reporting.
 */
struct trust	*trust_load(const char *cafile, const char *crlfile);
/* Frees; NULL is a no-op. */
void		 trust_free(struct trust *);

/*
 * Verifies C at time NOW, with the CA certificates of POOL as untrusted
 * intermediates.  Returns 0, or -1 with *WHY set to a static reason.
 */
int	trust_verify(const struct trust *, const struct cert *c,
	    const struct certset *pool, time_t now, const char **why);

/*
 * The revocation verdict: 1 if WHY, a reason trust_verify gave, says the
 * certificate is revoked (by any CRL the trust store holds), else 0.  A
 * value certbulk owns is pruned for this, never for a CRL it could not
 * get or check.
 */
int	trust_revoked(const char *why);

/*
 * Returns NULL if C's extended key usage allows Windows logon (client
 * authentication, smart card logon, any, or no EKU at all), else a static
 * explanation.
 */
const char	*trust_logon_eku(const struct cert *c);

#endif
