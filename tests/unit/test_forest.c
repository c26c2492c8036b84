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
	return tap_done();
}
