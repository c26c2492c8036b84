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
 * if CRLFILE is not NULL, the CRLs in it (PEM or DER); with CRLs the
 * certificate (and with TRUST_CRL_CHAIN every CA of its chain) must have a
 * current CRL.  Returns NULL after reporting.
 */
struct trust	*trust_load(const char *cafile, const char *crlfile);
/* Frees; NULL is a no-op. */
void		 trust_free(struct trust *);

/* --crl-check: which certificates of a chain need a CRL. */
enum trust_crlcheck {
	TRUST_CRL_LEAF,		/* the certificate itself (the default) */
	TRUST_CRL_CHAIN		/* and every CA up to the trusted root */
};
void	trust_set_crl_check(struct trust *, enum trust_crlcheck);

struct crlfetch;
/*
 * --fetch-crl: fetches through CF the CRL of every http:// distribution
 * point of the certificates of POOL that are not CAs (with
 * TRUST_CRL_CHAIN, of the CAs of POOL and of the CA file too), each URL
 * once, and adds those whose signature verifies to the checks; turns CRL
 * checking on.  A CDP that fails is a warning, and the certificates that
 * need its CRL are then "revocation unknown".  0, or -1 on ENOMEM.
 */
int	trust_fetch_crls(struct trust *, struct crlfetch *cf,
	    const struct certset *pool, time_t now);

/* What the CRLs say of one certificate. */
enum trust_rev {
	TRUST_REV_GOOD,		/* a current, verified CRL does not list it */
	TRUST_REV_REVOKED,	/* a current, verified CRL lists it (or,
				   with TRUST_CRL_CHAIN, a CA of its chain) */
	TRUST_REV_UNKNOWN	/* no CRL, a stale one, a CDP that did not
				   answer, CRL checking off: never a reason
				   to remove anything */
};
/*
 * The revocation verdict for C at NOW, with the CA certificates of POOL as
 * untrusted intermediates; other chain problems (untrusted, expired) do not
 * change it.  *WHY (static, or NULL for good) says why it is not good.
 */
enum trust_rev	trust_revocation(const struct trust *, const struct cert *c,
		    const struct certset *pool, time_t now, const char **why);

/*
 * Verifies C at time NOW, with the CA certificates of POOL as untrusted
 * intermediates.  Returns 0, or -1 with *WHY set to a static reason.
 */
int	trust_verify(const struct trust *, const struct cert *c,
	    const struct certset *pool, time_t now, const char **why);

/*
 * Returns NULL if C's extended key usage allows Windows logon (client
 * authentication, smart card logon, any, or no EKU at all), else a static
 * explanation.
 */
const char	*trust_logon_eku(const struct cert *c);

#endif
