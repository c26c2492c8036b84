/*
 * dir_forest: --dc pinning and the Global Catalog (dir_forest.h).
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "dir.h"
#include "dir_forest.h"
#include "dir_int.h"
#include "msg.h"
#include "sbuf.h"

/* The Global Catalog's ports (MS-ADTS 3.1.1.3.1.1). */
#define DIR_GC_PORT		3268
#define DIR_GC_PORT_TLS		3269
/* systemFlags of a crossRef: FLAG_CR_NTDS_DOMAIN (MS-ADTS 2.2.17). */
#define DIR_CR_NTDS_DOMAIN	"2"

/* 1 if HOST may stand in a URI as a host: a DNS name or an address. */
static int
dir_host_ok(const char *host)
{
	const unsigned char	*p;

	if (*host == '\0' || strlen(host) > 253)
		return 0;
	for (p = (const unsigned char *)host; *p != '\0'; p++)
		if (!isalnum(*p) && *p != '.' && *p != '-' && *p != ':' &&
		    *p != '_')
			return 0;
	return 1;
}

char *
dir_uri_with_host(const char *list, const char *host, int port)
{
	LDAPURLDesc	*lud = NULL;
	struct sbuf	 b = SBUF_INIT;
	char		*first = NULL, *def = NULL, *out = NULL, *shown;
	const char	*p;
	size_t		 n;

	if (host != NULL && !dir_host_ok(host)) {
		shown = msg_escape(host, strlen(host));
		msg_err("--dc/--verify-on %s: not a host name or address",
		    shown ? shown : "?");
		free(shown);
		return NULL;
	}
	if (list == NULL) {
		/* ldap.conf's URI, as ldap_initialize would take it */
		if (ldap_get_option(NULL, LDAP_OPT_URI, &def) !=
		    LDAP_OPT_SUCCESS || def == NULL) {
			msg_err("--dc needs -H URI (or URI in ldap.conf) for "
			    "the scheme and port");
			return NULL;
		}
		list = def;
	}
	p = list + strspn(list, " \t,");
	n = strcspn(p, " \t,");
	if ((first = strndup(p, n)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (ldap_url_parse(first, &lud) != LDAP_URL_SUCCESS) {
		shown = msg_escape(first, strlen(first));
		msg_err("%s: not an LDAP URI", shown ? shown : "?");
		free(shown);
		goto out;
	}
	if (lud->lud_scheme == NULL || strcasecmp(lud->lud_scheme, "ldapi") ==
	    0) {
		msg_err("%s: a local socket names no domain controller; give "
		    "-H ldap://HOST or ldaps://HOST", first);
		goto out;
	}
	if (host == NULL)
		host = lud->lud_host != NULL ? lud->lud_host : "";
	if (*host == '\0') {
		msg_err("%s: names no host", first);
		goto out;
	}
	/* a referral's URL is the server's text, and the URI built here is
	 * written in undo files: its host must be a host, like --dc's */
	if (!dir_host_ok(host)) {
		shown = msg_escape(first, strlen(first));
		msg_err("%s: not a host name or address", shown ? shown : "?");
		free(shown);
		goto out;
	}
	if (port <= 0)
		port = lud->lud_port;
	/* scheme, host and port only: the DN and the rest are -b's; an IPv6
	 * address in brackets (RFC 3986) */
	sbuf_printf(&b, "%s://%s%s%s", lud->lud_scheme, strchr(host, ':') ?
	    "[" : "", host, strchr(host, ':') ? "]" : "");
	if (port > 0)
		sbuf_printf(&b, ":%d", port);
	if (b.oom)
		msg_err("out of memory");
	else {
		out = b.s;
		b.s = NULL;
	}
out:
	sbuf_reset(&b);
	ldap_memfree(def);
	if (lud != NULL)
		ldap_free_urldesc(lud);
	free(first);
	return out;
}

struct dir *
dir_gc(const struct dir *d)
{
	return d->gc;
}

size_t
dir_forest_domains(const struct dir *d)
{
	return d->ndomains;
}

/* One domain of the forest: where its accounts are read and changed. */
struct dir_fdom {
	char		*nc;	/* owned: its naming context (nCName) */
	char		*root;	/* owned: its DNS name (dnsRoot), or NULL */
	char		*uri;	/* owned: --domain-uri's, or NULL: from root */
	struct dir	*conn;	/* owned: opened on first need, or NULL */
	int		 failed; /* opening it failed: not tried again */
};

struct dir_forest {
	struct dir_opts	 o;	/* how the main connection was made */
	struct dir_fdom	*v;	/* owned */
	size_t		 n;
	struct dir	**refs;	/* owned: the DCs referrals were followed to */
	size_t		 nrefs;
};

void
dir_forest_free(struct dir_forest *f)
{
	size_t	i;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		free(f->v[i].nc);
		free(f->v[i].root);
		free(f->v[i].uri);
		dir_close(f->v[i].conn);
	}
	for (i = 0; i < f->nrefs; i++)
		dir_close(f->refs[i]);
	free(f->refs);
	free(f->v);
	free(f);
}

/* The domain whose naming context is NC, added if new; NULL on ENOMEM. */
static struct dir_fdom *
dir_fdom_get(struct dir_forest *f, const char *nc)
{
	struct dir_fdom	*v;
	size_t		 i;

	for (i = 0; i < f->n; i++)
		if (dir_dn_equal(f->v[i].nc, nc))
			return &f->v[i];
	if ((v = reallocarray(f->v, f->n + 1, sizeof(*v))) == NULL)
		return NULL;
	f->v = v;
	v = &f->v[f->n];
	memset(v, 0, sizeof(*v));
	if ((v->nc = strdup(nc)) == NULL)
		return NULL;
	f->n++;
	return v;
}

/* The domains of the partitions container, counted; their names noted. */
static int
dir_crossref_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct sbuf	*names = arg;
	struct dir_fdom	*fd;
	char		*nc, *root, *nb;

	nc = dir_first(d->ld, e, "nCName");
	root = dir_first(d->ld, e, "dnsRoot");
	nb = dir_first(d->ld, e, "nETBIOSName");
	d->ndomains++;
	sbuf_printf(names, "%s%s", names->len > 0 ? ", " : "",
	    root ? root : nb ? nb : nc ? nc : "?");
	/* the map from an account's DN to its domain's DCs (dir_home) */
	if (nc != NULL && d->forest != NULL) {
		if ((fd = dir_fdom_get(d->forest, nc)) == NULL)
			names->oom = 1;
		else if (fd->root == NULL && root != NULL && dir_host_ok(root)
		    && (fd->root = strdup(root)) == NULL)
			names->oom = 1;
	}
	free(nc);
	free(root);
	free(nb);
	return 0;
}

static int
dir_gcready_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	char	*v = dir_first(d->ld, e, "isGlobalCatalogReady");

	*(int *)arg = v != NULL && strcasecmp(v, "TRUE") == 0;
	free(v);
	return 0;
}

/*
 * Counts the domains of the forest (crossRefs of NTDS domains in the
 * partitions container) into d->ndomains; NAMES gets their DNS names.
 * 0, or -1 after reporting.
 */
static int
dir_count_domains(struct dir *d, struct sbuf *names)
{
	struct sbuf	 base = SBUF_INIT;
	char		*config = NULL;
	int		 r, rc = -1;

	d->ndomains = 0;
	if ((r = dir_rootdse_attr(d, "configurationNamingContext", &config)) ==
	    -1)
		goto out;
	if (r == 1 || config == NULL) {
		rc = 0;
		goto out;
	}
	sbuf_printf(&base, "CN=Partitions,%s", config);
	if (base.oom) {
		msg_err("out of memory");
		goto out;
	}
	/* a bind that may not see the partitions container counts none */
	if ((r = dir_entry_exists(d, base.s)) != 0) {
		rc = r == 1 ? 0 : -1;
		goto out;
	}
	if (dir_search(d, base.s, LDAP_SCOPE_ONELEVEL,
	    "(&(objectClass=crossRef)(systemFlags:1.2.840.113556.1.4.803:="
	    DIR_CR_NTDS_DOMAIN "))", (const char *const []){ "nCName",
	    "dnsRoot", "nETBIOSName", NULL }, 1, dir_crossref_cb, names,
	    NULL) == -1)
		goto out;
	rc = 0;
out:
	sbuf_reset(&base);
	free(config);
	return rc;
}

/* Opens the GC at URI bound as O, searching from the empty DN. */
static struct dir *
dir_gc_connect(const struct dir_opts *o, const char *uri, int *usage_err)
{
	struct dir_opts	g = *o;

	g.uri = uri;
	g.base = "";	/* the whole forest: every naming context */
	g.dc = NULL;
	g.gc = NULL;
	return dir_open(&g, usage_err);
}

/*
 * DOMAIN (an NC DN, or a DNS name: DC=<label> per label, as AD names a
 * domain's naming context) as a DN into *NC (caller frees).  0 or -1.
 */
static int
dir_domain_nc(const char *domain, char **nc)
{
	struct sbuf	 b = SBUF_INIT;
	const char	*p;
	size_t		 n;

	*nc = NULL;
	if (strchr(domain, '=') != NULL) {
		if (!dir_dn_valid(domain))
			return -1;
		return (*nc = strdup(domain)) == NULL ? -1 : 0;
	}
	if (!dir_host_ok(domain) || strchr(domain, ':') != NULL)
		return -1;
	for (p = domain; *p != '\0'; p += n + (p[n] == '.')) {
		n = strcspn(p, ".");
		if (n == 0)
			goto bad;
		sbuf_printf(&b, "%sDC=%.*s", b.len > 0 ? "," : "", (int)n, p);
	}
	if (b.oom || b.s == NULL)
		goto bad;
	*nc = b.s;
	return 0;
bad:
	sbuf_reset(&b);
	return -1;
}

/*
 * --domain-uri DOMAIN=URI: a writable DC of DOMAIN.  The URI begins at
 * the "=ldap://" or "=ldaps://" (an NC DN holds '=' too); only its
 * scheme, host and port are kept.  F NULL: only checked.  0, or -1 after
 * reporting.
 */
static int
dir_domain_uri(struct dir_forest *f, const char *arg)
{
	struct dir_fdom	*fd;
	char		*dom = NULL, *nc = NULL, *uri = NULL, *shown;
	const char	*p;
	int		 rc = -1;

	for (p = strchr(arg, '='); p != NULL; p = strchr(p + 1, '='))
		if (strncasecmp(p + 1, "ldap://", 7) == 0 ||
		    strncasecmp(p + 1, "ldaps://", 8) == 0)
			break;
	shown = msg_escape(arg, strlen(arg));
	if (p == NULL || p == arg) {
		msg_err("--domain-uri %s: not DOMAIN=ldaps://HOST[:PORT] (or "
		    "ldap:// with -Z or Kerberos)", shown ? shown : "?");
		goto out;
	}
	if ((dom = strndup(arg, (size_t)(p - arg))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (dir_domain_nc(dom, &nc) == -1) {
		msg_err("--domain-uri %s: the domain is neither a DNS name nor "
		    "a naming context's DN", shown ? shown : "?");
		goto out;
	}
	if ((uri = dir_uri_with_host(p + 1, NULL, 0)) == NULL)
		goto out;
	if (f == NULL) {
		rc = 0;
		goto out;
	}
	if ((fd = dir_fdom_get(f, nc)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (fd->uri != NULL && strcasecmp(fd->uri, uri) != 0) {
		msg_err("--domain-uri %s: the domain has another URI already "
		    "(%s)", shown ? shown : "?", fd->uri);
		goto out;
	}
	free(fd->uri);
	fd->uri = uri;
	uri = NULL;
	if (strchr(dom, '=') == NULL && fd->root == NULL &&
	    (fd->root = strdup(dom)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	rc = 0;
out:
	free(shown);
	free(dom);
	free(nc);
	free(uri);
	return rc;
}

int
dir_domain_uri_check(const char *arg)
{
	return dir_domain_uri(NULL, arg);
}

/*
 * The forest's domains: the crossRefs of the partitions container (on
 * Active Directory) and the --domain-uri ones.  NAMES gets the domains'
 * DNS names for messages.  0, or -1 after reporting.
 */
static int
dir_forest_init(struct dir *d, const struct dir_opts *o, struct sbuf *names)
{
	size_t	i;

	if ((d->forest = calloc(1, sizeof(*d->forest))) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	d->forest->o = *o;
	if (dir_is_ad(d) && dir_count_domains(d, names) == -1)
		return -1;
	for (i = 0; i < o->ndomuri; i++)
		if (dir_domain_uri(d->forest, o->domuri[i]) == -1)
			return -1;
	return 0;
}

/* The URI of FD's DCs: --domain-uri's, else -H's scheme and port with the
 * domain's DNS name (which resolves to its DCs).  NULL after reporting. */
static char *
dir_fdom_uri(struct dir *d, const struct dir_fdom *fd)
{
	if (fd->uri != NULL)
		return strdup(fd->uri);
	if (fd->root == NULL)
		return NULL;
	return dir_uri_with_host(d->uri, fd->root, 0);
}

/* Opens FD's DC on first need, bound as -H's is.  WHY gets the reason
 * when it cannot be used. */
static struct dir *
dir_fdom_open(struct dir *d, struct dir_fdom *fd, struct sbuf *why)
{
	struct dir_opts	 g;
	char		*uri = NULL;
	int		 usage_err;

	if (fd->conn != NULL)
		return fd->conn;
	if (fd->failed) {
		sbuf_printf(why, "its domain %s had no domain controller "
		    "certbulk could use (above)", fd->root ? fd->root : fd->nc);
		return NULL;
	}
	fd->failed = 1;
	if ((uri = dir_fdom_uri(d, fd)) == NULL) {
		sbuf_printf(why, "no DNS name or URI is known for its domain "
		    "%s: give --domain-uri %s=ldaps://HOST", fd->nc, fd->nc);
		msg_err("domain %s: %s", fd->nc, "no DNS name or URI known");
		return NULL;
	}
	/*
	 * The same bind as -H's (the same -D/-y, or the same SASL mech),
	 * never a simple bind in cleartext: the credentials go only to a DC
	 * of the forest, only over TLS or Kerberos.
	 */
	g = d->forest->o;
	g.uri = uri;
	g.base = fd->nc;
	g.dc = NULL;
	g.gc = NULL;
	g.allow_cleartext = 0;
	g.ndomuri = 0;
	if ((fd->conn = dir_open(&g, &usage_err)) == NULL) {
		sbuf_printf(why, "the domain controller %s of its domain %s "
		    "cannot be used (above)%s", uri, fd->root ? fd->root :
		    fd->nc, d->forest->o.allow_cleartext ? "; "
		    "--allow-cleartext-bind covers -H's domain controller only: "
		    "the password goes to another domain's only over TLS or "
		    "Kerberos" : "");
		goto out;
	}
	/* the server must hold the domain: not a DC of some other one */
	if (!dir_dn_equal(dir_domain(fd->conn), fd->nc)) {
		msg_err("%s: its naming context is %s, not %s: not a DC of "
		    "that domain", uri, dir_domain(fd->conn), fd->nc);
		sbuf_printf(why, "%s is no domain controller of its domain %s",
		    uri, fd->nc);
		dir_close(fd->conn);
		fd->conn = NULL;
		goto out;
	}
	fd->failed = 0;
	msg_note("domain %s: its accounts are read and changed on %s (%s)",
	    fd->root ? fd->root : fd->nc, dir_uri(fd->conn),
	    dir_server(fd->conn));
out:
	free(uri);
	return fd->conn;
}

struct dir *
dir_home(struct dir *d, const char *dn, char **why)
{
	struct sbuf	 b = SBUF_INIT;
	struct dir_fdom	*best = NULL;
	struct dir	*h = NULL;
	size_t		 i, len = 0;

	*why = NULL;
	if (d->domain != NULL && dir_dn_under(dn, d->domain))
		len = strlen(d->domain);
	/* the longest naming context holding DN: a child domain's accounts
	 * are under its parent's DN too */
	for (i = 0; d->forest != NULL && i < d->forest->n; i++)
		if (strlen(d->forest->v[i].nc) > len &&
		    dir_dn_under(dn, d->forest->v[i].nc) &&
		    (d->domain == NULL || !dir_dn_equal(d->forest->v[i].nc,
		    d->domain))) {
			best = &d->forest->v[i];
			len = strlen(best->nc);
		}
	if (best == NULL && len > 0)
		return d;
	if (best == NULL)
		sbuf_printf(&b, "no domain of the forest is known to hold it: "
		    "give --domain-uri DOMAIN=ldaps://HOST");
	else
		h = dir_fdom_open(d, best, &b);
	if (h == NULL)
		*why = b.oom ? strdup("out of memory") : b.s;
	else
		sbuf_reset(&b);
	return h;
}

struct dir *
dir_conn_of(struct dir *d, const char *uri)
{
	size_t	i;

	if (uri == NULL || strcasecmp(uri, d->uri) == 0)
		return d;
	for (i = 0; d->forest != NULL && i < d->forest->n; i++)
		if (d->forest->v[i].conn != NULL &&
		    strcasecmp(dir_uri(d->forest->v[i].conn), uri) == 0)
			return d->forest->v[i].conn;
	return NULL;
}

const struct strlist *
dir_referrals(const struct dir *d)
{
	return &d->referrals;
}

/* 1 if HOST is the DNS name ROOT or a name under it. */
static int
dir_host_in(const char *host, const char *root)
{
	size_t	h = strlen(host), r = strlen(root);

	if (h == r)
		return strcasecmp(host, root) == 0;
	return h > r && host[h - r - 1] == '.' &&
	    strcasecmp(host + h - r, root) == 0;
}

/* Whether the referral to URL (NORM: its scheme, host and port) may be
 * followed: why not into WHY, or nothing. */
static void
dir_referral_check(struct dir *d, const char *norm, const char *scheme,
    const char *host, struct sbuf *why)
{
	const struct dir_opts	*o = &d->forest->o;
	size_t			 i;
	int			 tls, krb;

	tls = strcasecmp(scheme, "ldaps") == 0 || o->starttls > 0;
	krb = !o->simple && o->mech != NULL && strcasecmp(o->mech, "GSSAPI") ==
	    0;
	if (!tls && !krb) {
		sbuf_printf(why, "the connection would be neither TLS nor "
		    "Kerberos: the credentials are not sent there");
		return;
	}
	for (i = 0; i < d->forest->n; i++) {
		if (d->forest->v[i].uri != NULL &&
		    strcasecmp(d->forest->v[i].uri, norm) == 0)
			return;
		if (d->forest->v[i].root != NULL &&
		    dir_host_in(host, d->forest->v[i].root))
			return;
	}
	sbuf_printf(why, "%s is no domain controller of this forest (under no "
	    "domain's DNS name of the partitions container, and no "
	    "--domain-uri)", host);
}

struct dir *
dir_referral_open(struct dir *d, struct dir *from, const char *url,
    char **why)
{
	LDAPURLDesc	*lud = NULL;
	struct sbuf	 b = SBUF_INIT;
	struct dir_opts	 g;
	struct dir	*r = NULL, **v;
	char		*norm = NULL;
	size_t		 i;
	int		 usage_err;

	*why = NULL;
	if (d->forest == NULL) {
		sbuf_printf(&b, "referrals are followed in runs and undos only");
		goto out;
	}
	if (ldap_url_parse(url, &lud) != LDAP_URL_SUCCESS ||
	    lud->lud_scheme == NULL || lud->lud_host == NULL ||
	    *lud->lud_host == '\0' || (strcasecmp(lud->lud_scheme, "ldap") != 0
	    && strcasecmp(lud->lud_scheme, "ldaps") != 0)) {
		sbuf_printf(&b, "not an ldap:// or ldaps:// URL with a host");
		goto out;
	}
	if ((norm = dir_uri_with_host(url, NULL, 0)) == NULL) {
		sbuf_printf(&b, "not a URL certbulk can use");
		goto out;
	}
	dir_referral_check(d, norm, lud->lud_scheme, lud->lud_host, &b);
	if (b.len > 0 || b.oom)
		goto out;
	for (i = 0; i < d->forest->nrefs; i++)
		if (strcasecmp(dir_uri(d->forest->refs[i]), norm) == 0 &&
		    dir_dn_equal(dir_domain(d->forest->refs[i]),
		    dir_domain(from))) {
			r = d->forest->refs[i];
			goto out;
		}
	if ((v = reallocarray(d->forest->refs, d->forest->nrefs + 1,
	    sizeof(*v))) == NULL) {
		b.oom = 1;
		goto out;
	}
	d->forest->refs = v;
	/* bound as -H's, never in cleartext; on the domain written to */
	g = d->forest->o;
	g.uri = norm;
	g.base = dir_domain(from);
	g.dc = NULL;
	g.gc = NULL;
	g.allow_cleartext = 0;
	g.ndomuri = 0;
	if ((r = dir_open(&g, &usage_err)) == NULL) {
		sbuf_printf(&b, "%s cannot be used (above)", norm);
		goto out;
	}
	if (!dir_dn_equal(dir_domain(r), dir_domain(from))) {
		sbuf_printf(&b, "%s does not hold %s", norm, dir_domain(from));
		dir_close(r);
		r = NULL;
		goto out;
	}
	d->forest->refs[d->forest->nrefs++] = r;
	msg_note("following the referral of %s to %s (%s)", dir_uri(from),
	    dir_uri(r), dir_server(r));
out:
	if (r == NULL)
		*why = b.oom ? strdup("out of memory") : sbuf_done(&b);
	else
		sbuf_reset(&b);
	free(norm);
	if (lud != NULL)
		ldap_free_urldesc(lud);
	return r;
}

int
dir_forest_attach(struct dir *d, const struct dir_opts *o)
{
	struct sbuf	 names = SBUF_INIT;
	char		*uri = NULL;
	int		 usage_err, ready = 0, rc = -1;

	if (dir_forest_init(d, o, &names) == -1)
		goto out;
	if (o->gc != NULL) {
		if ((d->gc = dir_gc_connect(o, o->gc, &usage_err)) == NULL) {
			msg_err("--gc %s: the Global Catalog cannot be used; "
			    "nothing was changed", o->gc);
			goto out;
		}
		msg_info("Global Catalog %s (%s): duplicate-holder checks "
		    "cover the forest", dir_uri(d->gc), dir_server(d->gc));
		rc = 0;
		goto out;
	}
	if (!dir_is_ad(d)) {
		rc = 0;
		goto out;
	}
	if (d->ndomains < 2) {
		msg_info("the forest has %zu domain%s (%s): the domain's own "
		    "DC answers every duplicate-holder check", d->ndomains,
		    d->ndomains == 1 ? "" : "s", names.s ? names.s : "");
		rc = 0;
		goto out;
	}
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "isGlobalCatalogReady", NULL }, 0,
	    dir_gcready_cb, &ready, NULL) == -1)
		goto out;
	if (!ready) {
		msg_warn("%s: the forest has %zu domains (%s) and this domain "
		    "controller is no Global Catalog: accounts of the other "
		    "domains are not checked for duplicate values; give --gc "
		    "URI", d->uri, d->ndomains, names.s ? names.s : "");
		rc = 0;
		goto out;
	}
	if ((uri = dir_uri_with_host(d->uri, NULL,
	    strncasecmp(d->uri, "ldaps:", 6) == 0 ? DIR_GC_PORT_TLS :
	    DIR_GC_PORT)) == NULL)
		goto out;
	if ((d->gc = dir_gc_connect(o, uri, &usage_err)) == NULL)
		msg_warn("%s: the forest has %zu domains (%s) but its Global "
		    "Catalog cannot be used: accounts of the other domains are "
		    "not checked for duplicate values; give --gc URI", uri,
		    d->ndomains, names.s ? names.s : "");
	else
		msg_info("the forest has %zu domains (%s): duplicate-holder "
		    "checks go through the Global Catalog %s (%s)",
		    d->ndomains, names.s ? names.s : "", dir_uri(d->gc),
		    dir_server(d->gc));
	rc = 0;
out:
	if (names.oom && rc == 0) {
		msg_err("out of memory");
		rc = -1;
	}
	sbuf_reset(&names);
	free(uri);
	return rc;
}
