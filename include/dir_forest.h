/*
 * dir_forest: the forest around the domain certbulk works in, and the one
 * domain controller it works on.  --dc HOST pins every read and write of
 * a run to one DC; the Global Catalog (--gc URI, or the connected DC's
 * GC port when the partitions container lists more than one domain) lets
 * the duplicate-holder checks see the accounts of the other domains.
 */
#ifndef CERTBULK_DIR_FOREST_H
#define CERTBULK_DIR_FOREST_H

#include "dir.h"

/*
 * The first URI of LIST (-H; NULL: ldap.conf's URI) with HOST in place
 * of its host (its scheme and port kept; a port of 0 in PORT keeps the
 * URI's, else PORT replaces it; HOST NULL keeps the URI's host).  HOST
 * is a DNS name or an IPv4/IPv6 address.  Returns the URI (caller
 * frees), or NULL after reporting (a bad HOST, an ldapi:// URI).
 */
char	*dir_uri_with_host(const char *list, const char *host, int port);

/*
 * Finds and opens the Global Catalog for D, bound as O says: O->gc if
 * given (a failure is an error); else, on Active Directory, when the
 * partitions container lists more than one domain, the connected DC's
 * GC port (3269 for ldaps://, else 3268) if its root DSE says
 * isGlobalCatalogReady, with a warning and no GC if it is not or cannot
 * be reached.  The GC connection is kept with D (dir_gc) and closed with
 * it.  Returns 0, or -1 after reporting.
 */
int	dir_forest_attach(struct dir *d, const struct dir_opts *o);

/* The Global Catalog attached to D, or NULL: searches on it span the
 * forest (dir_lookup and dir_scan_mapped search from the empty DN). */
struct dir *dir_gc(const struct dir *d);

/* How many domains the forest's partitions container lists (0 if not
 * read: not AD, or no rights), for messages. */
size_t	dir_forest_domains(const struct dir *d);

/*
 * The connection to a writable domain controller of the domain that
 * holds DN: D itself for D's own domain; else the domain of the forest
 * (the crossRefs of the partitions container, or --domain-uri) whose
 * naming context is the longest that holds DN, its DC opened on first
 * need (--domain-uri's URI, else -H's scheme and port with the domain's
 * DNS name) and bound as D is, never by a simple bind in cleartext, and
 * kept with D.  NULL when there is none: *WHY (caller frees) says why,
 * for the row's error.
 */
struct dir *dir_home(struct dir *d, const char *dn, char **why);

/* The connection to URI made by dir_home (D itself for D's URI or NULL),
 * or NULL if there is none. */
struct dir *dir_conn_of(struct dir *d, const char *uri);

/* Checks a --domain-uri DOMAIN=URI argument: 0, or -1 after reporting. */
int	dir_domain_uri_check(const char *arg);

/* The URLs modifies on D were referred to (a read-only DC's referral to
 * a writable one), each once, in the order seen. */
const struct strlist *dir_referrals(const struct dir *d);

/*
 * The connection to follow a referral of FROM (a connection of D's) to
 * URL: only to a DC of the forest (a --domain-uri server, or a host under
 * the DNS name of one of the forest's domains) that holds FROM's domain,
 * only over TLS (ldaps://, or -Z) or with Kerberos (-Y GSSAPI), bound as
 * D is; kept with D.  NULL when it may not be followed or cannot be
 * opened: *WHY (caller frees) says why.
 */
struct dir *dir_referral_open(struct dir *d, struct dir *from,
	    const char *url, char **why);

#endif
