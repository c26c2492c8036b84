/*
 * dir: the directory connection.  The only module that includes <ldap.h>
 * (src/dir_conn.c connects and binds, dir_search.c reads, dir_modify.c
 * writes, dir_planfile.c reads sealed plans; include/dir_int.h is their
 * shared inside); everyone else sees struct dir and plain C data.
 */
#ifndef CERTBULK_DIR_H
#define CERTBULK_DIR_H

#include <stddef.h>

#include "arena.h"
#include "cert.h"	/* struct strlist */

/* --domain-uri options at most. */
#define DIR_DOMURI_MAX	64

/* How to connect and bind: the OpenLDAP client tools' options. */
struct dir_opts {
	const char	*uri;		/* -H; NULL: ldap.conf / LDAPURI */
	const char	*base;		/* -b; NULL: ldap.conf, then rootDSE */
	const char	*binddn;	/* -D */
	const char	*pwfile;	/* -y */
	int		 prompt;	/* -W */
	int		 simple;	/* -x */
	const char	*mech;		/* -Y */
	const char	*authcid;	/* -U */
	const char	*authzid;	/* -X */
	const char	*realm;		/* -R */
	const char	*secprops;	/* -O */
	int		 starttls;	/* -Z count: 1 try, 2 require */
	int		 allow_cleartext; /* --allow-cleartext-bind */
	int		 timeout;	/* seconds for connect and each reply */
	int		 nettimeout;	/* -o nettimeout=N: connect only, 0:
					   the timeout above */
	int		 ldif_wrap;	/* -o ldif_wrap=N: LDIF line width for
					   --output, 0: no wrapping */
	const char	*dc;		/* --dc HOST: the domain controller
					   every read and write goes to, in
					   place of -H's host */
	const char	*gc;		/* --gc URI: the Global Catalog */
	const char	*domuri[DIR_DOMURI_MAX]; /* --domain-uri DOMAIN=URI:
					   a writable DC of each other domain
					   of the forest (dir_forest.h) */
	size_t		 ndomuri;
};

/* One account as read from the directory. */
struct account {
	char		*dn;		/* owned, all fields */
	char		*sam;
	char		*upn;
	char		*mail;
	char		*sid;		/* objectSid as S-1-... text */
	unsigned long	 uac;		/* userAccountControl, 0 if unread */
	char		*guid;		/* objectGUID, 32 hex digits, or NULL */
	char		*dns;		/* dNSHostName (computers), or NULL */
	int		 computer;	/* objectClass computer, else a user */
	int		 admincount;	/* adminCount is set (not 0) */
	struct strlist	 altsec;	/* current altSecurityIdentities */
	unsigned long	 pgid;		/* primaryGroupID, 0 if unread */
	const char	*server;	/* not owned: the URI of the DC of
					   another domain of the forest it was
					   read on and is changed on
					   (dir_home), NULL: -H's */
};

/* Accounts found so far, unique by DN (compared case-insensitively). */
struct accounts {
	struct account	*v;	/* owned */
	size_t		 n;
	size_t		*slot;	/* owned: hash of DNs, index + 1, 0 empty */
	size_t		 nslot;	/* a power of two, at least 2 * n */
	size_t		 cap;	/* slots allocated in v */
	struct arena	 arena;	/* owns the accounts' strings but altsec
				   (a malloc each cost as much again) */
};

/* A lookup: which accounts have VALUE in ATTR. */
struct dir_key {
	const char	*attr;	/* sAMAccountName, userPrincipalName, mail,
				   objectSid, distinguishedName, dNSHostName,
				   altSecurityIdentities; not owned */
	const char	*value;	/* not owned */
	size_t		*hits;	/* owned: indices into struct accounts */
	size_t		 nhits;
	char		*err;	/* owned: why the server refused this lookup
				   (e.g. a DN in another naming context), or
				   NULL; the other keys are looked up */
};

/* One account's change: single values added and deleted, never replace. */
struct dir_mod {
	const char	*dn;	/* not owned */
	char	*const	*add;	/* not owned */
	size_t		 nadd;
	char	*const	*del;	/* not owned */
	size_t		 ndel;
	const char	*attr;	/* NULL: altSecurityIdentities; else a binary
				   attribute, values in hex (struct change) */
	int		 entry;	/* 1: add the entry (NTAuth), -1: delete it */
};

struct dir;

/*
 * Connects and binds as OPTS says.  Returns the connection, or NULL after
 * printing one line; *USAGE_ERR is set to 1 when the problem is the
 * options (e.g. a refused cleartext bind) rather than the directory.
 */
struct dir	*dir_open(const struct dir_opts *opts, int *usage_err);
/* Unbinds and frees; NULL is a no-op. */
void		 dir_close(struct dir *);

/* The search base in use. Owned by the connection. */
const char	*dir_base(const struct dir *);
/*
 * The naming context that holds the base (AD: the domain): the scope of
 * the duplicate check.  Owned by the connection.
 */
const char	*dir_domain(const struct dir *);
/* 1 if DN is BASE or below it (DNs compared as LDAP does), else 0. */
int		 dir_dn_under(const char *dn, const char *base);
/* 1 if the two DNs name the same entry (compared as LDAP does). */
int		 dir_dn_equal(const char *a, const char *b);
/* The URI in use, for messages and the undo file header. */
const char	*dir_uri(const struct dir *);
/*
 * A second connection to D's server (its URI and base, OPTS's bind) for a
 * helper thread, or NULL with a note that FOR cannot have one and INSTEAD
 * is done: when it cannot be opened, or when it reached another address
 * or port than D (a name that resolves to several domain controllers may
 * give another DC, which may not have the run's writes yet).
 */
struct dir	*dir_open_twin(const struct dir_opts *opts, struct dir *d,
		    const char *for_, const char *instead);
/* AD's NetBIOS name of the domain at the base, or NULL (not AD). */
const char	*dir_netbios(const struct dir *);
/* 1 if the server advertises the control or extension OID. */
int		 dir_supports(const struct dir *, const char *oid);
/* 1 if the root DSE says Active Directory (Windows or Samba). */
int		 dir_is_ad(const struct dir *);
/* For the log: "ADDR port N with TLS", the bind mechanism ("simple" or
 * SASL's), and who the server says the bind is.  Owned by the
 * connection. */
const char	*dir_server(const struct dir *);
const char	*dir_mech(const struct dir *);
const char	*dir_identity(const struct dir *);

/*
 * Adds to OUT every account in the domain that is a member of GROUP (a
 * DN): with CHAIN, transitively (the in-chain matching rule
 * 1.2.840.113556.1.4.1941 of AD and Samba), else its direct members by
 * memberOf.  One paged search.  Returns 0, or -1 after reporting.
 */
int	dir_group_members(struct dir *, const char *group, int chain,
	    struct accounts *out);
/*
 * Finds the groups of the domain whose objectSid is the domain's SID plus
 * one of RIDS, or S-1-5-32-<one of BUILTIN>, in one search: their DNs
 * into DNS, their sAMAccountNames into NAMES.  A directory whose domain
 * object has no objectSid has only the builtin ones looked for.  Returns
 * 0, or -1 after reporting.
 */
int	dir_protected_groups(struct dir *, const unsigned *rids, size_t nrids,
	    const unsigned *builtin, size_t nbuiltin, struct strlist *dns,
	    struct strlist *names);
/* 0 if DN names an entry, 1 if not, -1 after reporting. */
int	dir_entry_exists(struct dir *, const char *dn);

/*
 * Looks up N keys in batched, paged searches and fills each key's hits,
 * adding the accounts found to ACC.  A key the server refuses (a DN
 * outside the naming context, a value it cannot take) gets its err text
 * and no hits; the others go on.  Returns 0, or -1 after reporting (the
 * connection failed or the directory refused searching as a whole).
 */
int	dir_lookup(struct dir *, struct dir_key *keys, size_t n,
	    struct accounts *acc);
/*
 * dir_lookup for a duplicate check: the accounts added to ACC hold only
 * their DN and altSecurityIdentities (keys of that attribute only).
 */
int	dir_lookup_holders(struct dir *, struct dir_key *keys, size_t n,
	    struct accounts *acc);
/*
 * Refuses a bind that may not read altSecurityIdentities (a confidential
 * attribute, or rights delegated for writing only): every check certbulk
 * makes would see no values.  An entry holding values must show them; if
 * the domain shows none, a compare on DN (an account, or NULL) must not be
 * refused.  Returns 0, or -1 after reporting.
 */
int	dir_check_readable(struct dir *, const char *dn);
/* Frees the hits of N keys. */
void	dir_keys_free(struct dir_key *keys, size_t n);
/*
 * Reads the current altSecurityIdentities of one DN into *OUT (replacing
 * it).  Returns 0, 1 if the entry does not exist, -1 on failure.
 */
int	dir_read_altsec(struct dir *, const char *dn, struct strlist *out);

/*
 * Reads the current altSecurityIdentities of N entries, several reads in
 * flight: OUT[i] gets the values, FOUND[i] 1 if the entry exists, else 0,
 * and, when GUIDS is not NULL, GUIDS[i] its objectGUID as 32 hex digits
 * (caller frees; NULL if it has none).  Returns 0, or -1 on failure
 * (reported).
 */
int	dir_read_many(struct dir *, char *const *dns, size_t n,
	    struct strlist *out, int *found, char **guids);

/* userAccountControl: a domain controller's, a read-only DC's account. */
#define DIR_UAC_SERVER_TRUST	0x00002000UL
#define DIR_UAC_PARTIAL_SECRETS	0x04000000UL
/* userAccountControl: disabled; trusted for (unconstrained) delegation;
 * trusted to authenticate for delegation (protocol transition). */
#define DIR_UAC_DISABLED	0x00000002UL
#define DIR_UAC_TRUSTED_DELEG	0x00080000UL
#define DIR_UAC_T2A4D		0x01000000UL
/*
 * Finds the entry whose objectGUID is GUID (32 hex digits, the bytes as
 * stored), wherever it was renamed or moved to: by its <GUID=...> DN on
 * Active Directory, by a search of the domain elsewhere.  *DN gets its
 * DN (caller frees), OUT its altSecurityIdentities.  Returns 0, 1 if
 * there is no such entry, -1 on failure (reported).
 */
int	dir_find_guid(struct dir *, const char *guid, char **dn,
	    struct strlist *out);

/* Frees the accounts. */
void	accounts_free(struct accounts *);
/* Index of DN in ACC (case-insensitive), or -1. */
long	accounts_find(const struct accounts *, const char *dn);
/* Frees the DN index of the accounts (accounts_find finds none after it,
 * until an account is added): the plan's last steps need only the
 * accounts' list, and the index is 16 to 32 bytes an account at the
 * plan's peak. */
void	accounts_unindex(struct accounts *);

/*
 * Asynchronous modifies.  dir_mod_send sends one, with the permissive
 * modify control if PERMISSIVE, inside the open transaction if any, and
 * returns its message id, or -1 after reporting.
 */
int	dir_mod_send(struct dir *, const struct dir_mod *, int permissive);
/*
 * ON 1: requests are held and written together when certbulk waits for
 * a reply (a window of modifies: fewer system calls, for both ends); ON
 * 0, as by default, each is written when made.  See dir_iobuf.h.
 */
void	dir_write_batch(struct dir *, int on);
/*
 * Waits for the reply to any outstanding modify.  Returns 0 with *MSGID,
 * *RC (the LDAP result code) and *DIAG (a text the caller frees, never
 * NULL) set; or -1 when the connection failed (reported).
 */
int	dir_mod_wait(struct dir *, int *msgid, int *rc, char **diag);
/*
 * As dir_mod_wait, without waiting: 1 with a reply that has already come
 * in (*MSGID, *RC and *DIAG set), 0 if none has, -1 when the connection
 * failed (reported).  Held requests are written first (dir_write_batch).
 */
int	dir_mod_poll(struct dir *, int *msgid, int *rc, char **diag);
/* The text of an LDAP result code. */
const char *dir_err2string(int rc);
/* LDAP result codes the callers tell apart. */
#define DIR_RC_SUCCESS		0
#define DIR_RC_NO_SUCH_ATTR	16
#define DIR_RC_EXISTS		20
#define DIR_RC_NO_SUCH_OBJECT	32
/* 1 if the connection is still usable. */
int	dir_alive(const struct dir *);

/*
 * RFC 5805 transactions: 0 or -1 (reported).  When the server refuses the
 * commit, *FAILED is the message id of the update it blames, or -1.
 */
int	dir_txn_begin(struct dir *);
int	dir_txn_end(struct dir *, int commit, int *failed);

/* OIDs of what certbulk may use. */
#define DIR_OID_PERMISSIVE	"1.2.840.113556.1.4.1413"
#define DIR_OID_TXN		"1.3.6.1.1.21.1"

/*
 * Every account under the base with an altSecurityIdentities value, in
 * one paged search, into ACC.  Returns 0, or -1 after reporting.
 */
int	dir_scan_mapped(struct dir *, struct accounts *acc);

/*
 * Every account under the base that holds a userCertificate (with SMIME,
 * or a userSMIMECertificate) value, in one paged search: each account is
 * added to ACC and CB(ARG, its index in ACC, the attribute's name, the
 * value) is called for each value.  CB returns 0, or -1 to stop.
 * Returns 0, or -1 after reporting (or when CB stopped).
 */
int	dir_scan_usercerts(struct dir *, int smime, struct accounts *acc,
	    int (*cb)(void *arg, size_t acct, const char *attr,
	    const unsigned char *val, size_t len), void *arg);

/* Binary values, e.g. certificates. */
struct dir_blobs {
	unsigned char	**v;	/* owned, each */
	size_t		 *len;	/* owned */
	size_t		  n;
};

/* Frees the values and empties the list. */
void	dir_blobs_free(struct dir_blobs *);

/*
 * A paged scan of every entry under the base with a userCertificate
 * value: calls CB(ARG, dn, its altSecurityIdentities values, its
 * userCertificate values) for each (all owned by the scan).  CB returns
 * 0, or -1 to stop.  Returns 0, or -1 (directory, reported, or CB's -1).
 */
int	dir_scan_certs(struct dir *, int (*cb)(void *arg, const char *dn,
	    const struct strlist *altsec, const struct dir_blobs *certs),
	    void *arg);

/*
 * Reads the forest's NTAuth store: *DN gets (caller frees) the DN of
 * CN=NTAuthCertificates,CN=Public Key Services,CN=Services in the
 * configuration naming context, OUT its cACertificate values.  Returns 0,
 * 1 if the entry does not exist (OUT empty), or -1 after reporting.
 */
int	dir_ntauth_read(struct dir *, char **dn, struct dir_blobs *out);

/*
 * Reads one attribute of the root DSE, asked for by name (Samba, for one,
 * returns vendorVersion only then): *OUT gets its first value (caller
 * frees).  Returns 0, 1 if the server has no such attribute, -1 after
 * reporting.
 */
int	dir_rootdse_attr(struct dir *, const char *attr, char **out);

/*
 * Parses a SID string (S-1-<authority up to 2^48-1>, then at most 15
 * sub-authorities up to 2^32-1 each) to its binary form.  0 or -1.
 */
int	dir_sid_to_bin(const char *sid, unsigned char *out, size_t *len);
/* 1 if SID is a SID string dir_sid_to_bin takes, else 0. */
int	dir_sid_valid(const char *sid);
/* 1 if DN is a well-formed, non-empty LDAPv3 DN (RFC 4514), else 0. */
int	dir_dn_valid(const char *dn);

#endif
