/*
 * crlfetch: CRLs fetched from the CRL distribution points (CDPs) that
 * certificates name, over plain HTTP with OpenSSL's HTTP client, each URL
 * once per run, with a timeout, a size limit and (for runs) a cache in the
 * state folder that is used until the CRL's nextUpdate.  A CRL is used only
 * when its signature verifies with the key of a CA certificate of its
 * issuer's name.  A certificate module: sees OpenSSL.
 */
#ifndef CERTBULK_CRLFETCH_H
#define CERTBULK_CRLFETCH_H

#include <stddef.h>
#include <time.h>

#include "cert.h"

/* The largest CRL accepted from a CDP or the cache. */
#define CRLFETCH_MAX	(64UL * 1024 * 1024)

struct crlfetch;

/* What is known of one CDP URL. */
struct crlinfo {
	const char	*url;
	int		 fetched;	/* the CDP answered with a CRL this run */
	int		 cached;	/* taken from the cache: no request */
	int		 sig;		/* 1 verified, 0 no issuer CA to check
					   it with, -1 bad */
	int		 usable;	/* a CRL with a verified signature */
	int		 stale;		/* past its nextUpdate */
	const char	*issuer;	/* the CRL's issuer (text), or NULL */
	time_t		 this_update;
	time_t		 next_update;	/* 0: the CRL has none */
	const char	*why;		/* the problem, or NULL */
};

/*
 * A fetcher with the HTTP timeout TIMEOUT (seconds).  CACHEDIR is the
 * state folder whose subfolder crl-cache/ keeps the CRLs between runs, or
 * NULL for no cache (check-cdp: always ask).  WARN: report each URL's
 * problem as a warning when it is first seen.  NULL on ENOMEM.
 */
struct crlfetch	*crlfetch_new(const char *cachedir, int timeout, int warn);
/* Frees; NULL is a no-op. */
void		 crlfetch_free(struct crlfetch *);

/*
 * The CRL at URL: fetched (or read from the cache) the first time a URL is
 * asked for, then remembered.  Its signature is checked with the CA
 * certificates among CAS and POOL (either may be NULL).  Returns the
 * information, owned by CF, or NULL on ENOMEM.
 */
const struct crlinfo *crlfetch_get(struct crlfetch *cf, const char *url,
	    const struct certset *cas, const struct certset *pool, time_t now);

/*
 * Whether certificate C is on the CRL of INFO (from CF): 1 revoked (*WHEN
 * set to the revocation date, *REASON to a static reason name or NULL), 0
 * not on it, -1 cannot tell (no CRL, or one of another issuer: *WHY says
 * which; static).
 */
int	crlfetch_lookup(const struct crlinfo *info, const struct cert *c,
	    time_t *when, const char **reason, const char **why);

/* 1 if URL is an http:// URL (the only kind fetched), else 0. */
int	crlfetch_is_http(const char *url);

#endif
