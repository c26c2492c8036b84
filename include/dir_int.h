/*
 * The directory module's inside, shared by its three files and by no one
 * else: dir_conn.c (connect, bind, the root DSE, errors), dir_search.c
 * (searches, scans, account lookups) and dir_modify.c (modifies and
 * transactions).  Only these files (and dir_planfile.c) include <ldap.h>.
 */
#ifndef CERTBULK_DIR_INT_H
#define CERTBULK_DIR_INT_H

#include <ldap.h>

#include "dir.h"

struct dir {
	LDAP		*ld;
	char		*uri;		/* owned */
	char		*base;		/* owned */
	char		*netbios;	/* owned: AD's NetBIOS domain, or NULL */
	char		*domain;	/* owned: the naming context holding the
					   base: the duplicate check's scope */
	struct strlist	 ncs;		/* namingContexts of the root DSE */
	struct strlist	 features;	/* supportedControl + Extension */
	struct berval	*txnid;		/* owned by libldap: ber_bvfree */
	int		 alive;		/* 0 dead, 1 connecting, 2 connected */
	int		 timeout;
	int		 is_ad;		/* rootDSE: the AD capability OID */
	char		*server;	/* owned: "ADDR port N with TLS" */
	char		*mech;		/* owned: "simple" or the SASL mech */
	char		*ident;		/* owned: who the bind is (whoami) */
	struct dir	*gc;		/* owned: the Global Catalog, or NULL
					   (dir_forest.h) */
	size_t		 ndomains;	/* the forest's, once counted */
	struct strlist	 referrals;	/* the URLs modifies were referred to
					   (dir_forest.h: dir_referrals) */
	struct dir_forest *forest;	/* owned: the forest's domains and the
					   connections to their DCs
					   (dir_forest.c), or NULL */
};

/* dir_conn.c */
/* The server's diagnostic message, or NULL; the caller frees it. */
char	*dir_diag(struct dir *d);
/* Reports RC from WHAT as one error line; marks the connection dead when
   the server has gone. */
void	 dir_report(struct dir *d, int rc, const char *what);
/* Waits for MSGID's result (ALL: every entry of a search too) within the
   timeout.  0, or -1 after reporting. */
int	 dir_wait(struct dir *d, int msgid, int all, LDAPMessage **res,
	    const char *what);
/* The next message of any request that has already come in, without
   waiting (held requests are written first): 1 with *RES set, 0 if none
   has, or -1 after reporting as dir_wait. */
int	 dir_poll(struct dir *d, LDAPMessage **res, const char *what);

/* dir_forest.c: frees the domains and closes their connections. */
void	 dir_forest_free(struct dir_forest *);

/* dir_search.c */
/* One attribute's first value as a string (ldap_memfree), or NULL. */
char	*dir_first(LDAP *ld, LDAPMessage *e, const char *attr);
/* Appends every value of ATTR to OUT.  0 or -1. */
int	 dir_all(LDAP *ld, LDAPMessage *e, const char *attr,
	    struct strlist *out);
/* Whether ATTR holds VALUE exactly. */
int	 dir_has_value(LDAP *ld, LDAPMessage *e, const char *attr,
	    const char *value);
/* One search (paged if PAGED), CB for every entry: 0, 1 no such base, 2
   a lookup's error left in *KEYERR, -1 after reporting. */
int	 dir_search(struct dir *d, const char *base, int scope,
	    const char *filter, const char *const *attrs, int paged,
	    int (*cb)(struct dir *, LDAPMessage *, void *), void *arg,
	    int *keyerr);

#endif
