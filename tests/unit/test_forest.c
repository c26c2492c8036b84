/*
 * test_forest: dir_uri_with_host, the URI --dc and --verify-on connect to
 * (the host replaced; scheme and port kept; a port for the GC), and what
 * it refuses.
 */
#include <stdlib.h>

#include "dir_forest.h"
#include "msg.h"
#include "tap.h"

static const struct {
	const char	*list;
	const char	*host;
	int		 port;
	const char	*want;	/* NULL: refused */
	const char	*name;
} cases[] = {
	{ "ldaps://dc.example.com", "dc2.example.com", 0,
	    "ldaps://dc2.example.com:636", "ldaps: host replaced, default port" },
	{ "ldaps://dc.example.com:1636/", "10.0.0.5", 0,
	    "ldaps://10.0.0.5:1636", "port kept, an IPv4 address" },
	{ "ldap://dc.example.com", "dc2", 0, "ldap://dc2:389",
	    "ldap: a short name" },
	{ "ldaps://dc.example.com ldaps://dc3.example.com", "dc2", 0,
	    "ldaps://dc2:636", "a URI list: the first URI's scheme and port" },
	{ "ldaps://dc1.example.com,ldap://dc3", "dc2", 0, "ldaps://dc2:636",
	    "a comma list too" },
	{ "ldaps://dc.example.com/DC=example,DC=com", "dc2", 0,
	    "ldaps://dc2:636", "the URI's DN is not carried over" },
	{ "ldaps://dc.example.com", "::1", 0, "ldaps://[::1]:636",
	    "an IPv6 address is bracketed" },
	{ "ldaps://dc.example.com:636", NULL, 3269,
	    "ldaps://dc.example.com:3269", "GC: the host kept, port 3269" },
	{ "ldap://dc.example.com", NULL, 3268, "ldap://dc.example.com:3268",
	    "GC: plain port 3268" },
	{ "ldaps://dc.example.com", "a/b", 0, NULL,
	    "a host with a slash is refused" },
	{ "ldaps://dc.example.com", "", 0, NULL, "an empty host is refused" },
	{ "ldaps://dc.example.com", "dc2 dc3", 0, NULL,
	    "a host with a blank is refused" },
	{ "ldaps://dc.example.com", "dc2?x", 0, NULL,
	    "a host with URI syntax is refused" },
	{ "ldapi://%2Frun%2Fslapd%2Fldapi", "dc2", 0, NULL,
	    "ldapi: names no DC" },
	{ "not a uri", "dc2", 0, NULL, "not an LDAP URI" },
	{ "ldaps://dc%0A%23x.example.com/", NULL, 0, NULL,
	    "a URI's host with a newline (a referral's) is refused" },
	{ "ldaps://dc%20x.example.com", NULL, 636, NULL,
	    "a URI's host with a blank is refused" },
};

/* --domain-uri DOMAIN=URI: which arguments are taken (dir_forest.c) */
static const struct {
	const char	*arg;
	int		 ok;
	const char	*name;
} domuri[] = {
	{ "child.example.com=ldaps://dc1.child.example.com", 1,
	    "--domain-uri: a DNS name and an ldaps URI" },
	{ "DC=child,DC=example,DC=com=ldaps://dc1:3269", 1,
	    "--domain-uri: an NC DN (its '=' before the URI's)" },
	{ "Child.Example.COM=LDAP://dc1", 1,
	    "--domain-uri: ldap:// (judged at bind: -Z or Kerberos)" },
	{ "child.example.com=ldaps://dc1/DC=x??sub", 1,
	    "--domain-uri: the URI's DN and the rest are ignored" },
	{ "child.example.com", 0, "--domain-uri: no URI" },
	{ "=ldaps://dc1", 0, "--domain-uri: no domain" },
	{ "child.example.com=ldapi://%2Frun%2Fldapi", 0,
	    "--domain-uri: ldapi names no DC" },
	{ "child.example.com=http://dc1", 0, "--domain-uri: not LDAP" },
	{ "child example.com=ldaps://dc1", 0,
	    "--domain-uri: a domain with a blank" },
	{ "child..example.com=ldaps://dc1", 0,
	    "--domain-uri: an empty DNS label" },
	{ "DC=child,,DC=com=ldaps://dc1", 0,
	    "--domain-uri: a malformed DN" },
	{ "child.example.com=ldaps://", 0, "--domain-uri: a URI with no host" },
};

int
main(void)
{
	size_t	i;
	char	*u;

	msg_verbosity = -2;	/* the refusals' messages are expected */
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u = dir_uri_with_host(cases[i].list, cases[i].host,
		    cases[i].port);
		tap_is(u, cases[i].want, cases[i].name);
		free(u);
	}
	for (i = 0; i < sizeof(domuri) / sizeof(domuri[0]); i++)
		tap_ok((dir_domain_uri_check(domuri[i].arg) == 0) ==
		    domuri[i].ok, domuri[i].name);
	return tap_done();
}
