/*
 * altsec: the altSecurityIdentities values of a certificate, one per form
 * of KB5014754, built from the pieces cert.c computed from the DER.
 */
#ifndef CERTBULK_ALTSEC_H
#define CERTBULK_ALTSEC_H

#include "cert.h"

enum altsec_type {
	ALTSEC_ISSUER_SERIAL,	/* X509IssuerSerialNumber, strong */
	ALTSEC_SKI,		/* X509SKI, strong */
	ALTSEC_SHA1_PUKEY,	/* X509SHA1PublicKey, strong */
	ALTSEC_ISSUER_SUBJECT,	/* X509IssuerSubject, weak */
	ALTSEC_SUBJECT,		/* X509SubjectOnly, weak */
	ALTSEC_RFC822,		/* X509RFC822, weak */
	ALTSEC_ISSUER,		/* X509Issuer, weak */
	ALTSEC_ISSUER_SID,	/* X509IssuerSID, strong (September 2025
				   update, Windows Server 2022+ DCs): only
				   when asked for by name */
	ALTSEC_NTYPES
};

#define ALTSEC_BIT(t)	(1u << (t))
#define ALTSEC_STRONG	(ALTSEC_BIT(ALTSEC_ISSUER_SERIAL) | \
			 ALTSEC_BIT(ALTSEC_SKI) | ALTSEC_BIT(ALTSEC_SHA1_PUKEY))
/*
 * "all": every form a DC of any supported version builds.  X509IssuerSID
 * is not in it: older DCs do not know it, and it is for the deployments
 * that turn SAN mapping off (Microsoft's description), so it is asked for
 * by name only.
 */
#define ALTSEC_ALL	(((1u << ALTSEC_NTYPES) - 1) & \
			 ~ALTSEC_BIT(ALTSEC_ISSUER_SID))

/* The KB5014754 name of a form, e.g. "X509IssuerSerialNumber". */
const char	*altsec_type_name(enum altsec_type);
/* 1 for the forms domain controllers still accept (X509IssuerSID too),
 * else 0. */
int		 altsec_is_strong(enum altsec_type);

/*
 * Parses a comma-separated list of form names (case-insensitive), "strong"
 * or "all" into a bit mask.  Returns 0, or -1 with *BAD pointing into LIST
 * at the unknown word (or at LIST when it is empty).
 */
int	altsec_parse_types(const char *list, unsigned *mask, const char **bad);

/*
 * Builds the value of form T for C, e.g. "X509:<I>DC=com,...<SR>12..".
 * Returns a string the caller frees, or NULL with *WHY set to a static
 * reason when the certificate cannot have that form (or on ENOMEM).  For
 * X509RFC822 taken from the subject's E= attribute, *FALLBACK is set to 1.
 */
char	*altsec_value(const struct cert *c, enum altsec_type t,
	    const char **why, int *fallback);

/*
 * Compares two values the way AD does for this attribute (Unicode string
 * syntax, case-insensitive: letters folded to lower case, in UTF-8 too;
 * bytes that are not UTF-8 compare as themselves).  A total order.
 */
int	altsec_casecmp(const char *a, const char *b);
/*
 * A hash of S that is equal for strings altsec_casecmp (or strcasecmp)
 * finds equal.
 */
unsigned long altsec_casehash(const char *s);

/* 1 if VALUE is an X509: mapping (certbulk's business), else 0. */
int	altsec_is_x509(const char *value);

#endif
