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

/* The domains of the partitions container, counted; their names noted. */
static int
dir_crossref_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct sbuf	*names = arg;
	char		*nc, *root, *nb;

	nc = dir_first(d->ld, e, "nCName");
	root = dir_first(d->ld, e, "dnsRoot");
	nb = dir_first(d->ld, e, "nETBIOSName");
	d->ndomains++;
	sbuf_printf(names, "%s%s", names->len > 0 ? ", " : "",
	    root ? root : nb ? nb : nc ? nc : "?");
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

int
dir_forest_attach(struct dir *d, const struct dir_opts *o)
{
	struct sbuf	 names = SBUF_INIT;
	char		*uri = NULL;
	int		 usage_err, ready = 0, rc = -1;

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
	if (dir_count_domains(d, &names) == -1)
		goto out;
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
