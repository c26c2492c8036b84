/*
 * input: the batch's inputs -- CSV files of user-to-certificate rows and
 * folders of issued certificates -- turned into items, one per
 * certificate to map.
 */
#ifndef CERTBULK_INPUT_H
#define CERTBULK_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "altsec.h"
#include "arena.h"
#include "cert.h"

struct sbuf;

/* How an item names its account. */
enum id_kind {
	ID_MATCH,	/* none: found from the certificate (--match) */
	ID_SAM,		/* sAMAccountName */
	ID_UPN,		/* userPrincipalName */
	ID_DN,		/* distinguishedName */
	ID_SID,		/* objectSid, S-1-... text */
	ID_MAIL		/* mail */
};

/*
 * What the plan needs of an item's certificate, taken when it is read so
 * that the certificate itself can be released: a batch holds values and
 * a few facts per row, not decoded certificates.  Strings marked "arena"
 * live in the input's arena (struct input) and are never freed one by one.
 */
/*
 * What few rows have, out of line: one pointer per row instead of these
 * fields in every item (input_rare makes it, in the input's arena, on the
 * first one a row sets).
 */
struct itemrare {
	char		*sid_clash; /* arena, or NULL: the SID extension and
				   SAN URI disagree (the item is refused) */
	char		*email;	/* arena, or NULL: the first SAN e-mail */
	char		*subj_email; /* arena, or NULL: the subject's E= */
	const char	*eku_why; /* static, or NULL: why logon would fail */
	const char	**why;	/* arena, or NULL while every value wanted
				   was built: why[k] (static) says why
				   values[k] is NULL (input_why) */
	struct strlist	 dns;	/* owned: SAN DNS names, or else a subject
				   CN that is a host name (--match dns) */
	unsigned char	 dns_from_cn; /* dns is the subject CN */
	const struct cert *cert; /* owned by the input's pool; NULL unless
				   the input keeps certificates (then every
				   item has this block): input_cert */
};
/* An item's rare facts, or an empty set of them (never NULL). */
#define INPUT_RARE(it)	((it)->fact.rare != NULL ? (it)->fact.rare : \
			    &input_norare)
extern const struct itemrare input_norare;
struct itemcert {
	char		*subject; /* arena: the subject, for people; the
				   description (input_desc) is made from it
				   when written, not held per row */
	time_t		 not_before;
	time_t		 not_after;
	char		*sid;	/* arena, or NULL: the certificate's SID
				   (extension or SAN URI, cert_sid) */
	char		*upn;	/* arena, or NULL: the first SAN UPN */
	char		*issuer; /* arena: issuer for people */
	char		*serial; /* arena: serial, hex */
	struct itemrare	*rare;	/* arena, or NULL: none of its facts */
	unsigned char	 sha256[32]; /* the SHA-256 thumbprint, for the
				   run state: 32 bytes, not 65 of text
				   per row (input_sha256 writes it) */
	unsigned char	 sha1[20]; /* the thumbprint, for plans and
				   reports: 20 bytes, not 41 of text per
				   row (input_sha1 writes it) */
	unsigned char	 has_sha1; /* sha1 is set */
	unsigned char	 has_sha256; /* sha256 is set */
	unsigned char	 fallback; /* ALTSEC_BIT: X509RFC822 from subject
				   E= (ALTSEC_NTYPES bits fit a byte) */
};
/* --certdir files asked about (skip) and read ahead at once. */
#define INPUT_AHEAD	256

struct item {
	/*
	 * Where it came from, as messages name it (escaped): with a line,
	 * "FILE:LINE" of a CSV row, FILE one string shared by the file's
	 * rows (a million rows would repeat the path a million times);
	 * without, the whole label (a --certdir file's path).  Read with
	 * INPUT_SRC or input_src.
	 */
	const char	*src;	/* arena */
	char		*ident;	/* arena; NULL for ID_MATCH */
	char		*domain; /* arena: DOMAIN of DOMAIN\user, or NULL */
	struct itemcert	 fact;
	/*
	 * The values, one slot per form of types in form order: the slot
	 * itself when the row wants one form (the usual --type), else an
	 * array of them in the input's arena -- not a slot for each of
	 * the ALTSEC_NTYPES forms in every row.  Read with input_value,
	 * set through input_slot.  Each value is owned (unless moved);
	 * NULL: cannot be built (input_why).
	 */
	union {
		char	 *one;
		char	**v;
	}		 val;
	/* filled in by plan.c */
	int32_t		 acct;	/* index into the plan's accounts, or -1
				   (a batch is far below 2^31 rows) */
	int32_t		 chg;	/* its account's change, or -1 (none) */
	const char	*reason; /* static: why failed (report.h codes) */
	char		*acct_dn; /* arena: the account found, for the
				    report, or NULL */
	char		*adn;	/* arena, or NULL: the account's DN, */
	char		*aguid;	/* its objectGUID, */
	char		*asam;	/* its sAMAccountName (for the run state) */
	unsigned char	 kind;	/* enum id_kind */
	unsigned char	 types;	/* ALTSEC_BIT mask of forms wanted */
	unsigned char	 moved;	/* ALTSEC_BIT: values[k] handed over to the
				   change (not owned here any more) */
	unsigned char	 upn_or_mail; /* an e-mail address in the user
				   column: looked up as UPN, then as mail */
	unsigned char	 failed; /* reported and left out */
	unsigned char	 from_dir; /* from --certdir: expected refusals */
	unsigned char	 revoked; /* listed by a CRL (trust_revocation) */
	uint32_t	 line;	/* src's line, or 0: src is the label */
};
/* types, moved and fallback hold one bit per form */
_Static_assert(ALTSEC_NTYPES <= 8, "an item's form masks are bytes");

struct input {
	struct item	*items;		/* owned */
	struct arena	 arena;		/* owns the items' strings */
	char		*issuer;	/* in arena, or NULL: the last item's
					   issuer, shared by the next item of
					   the same CA instead of copied */
	const char	*srcfile;	/* in arena, or NULL: the last CSV
					   row's file, shared likewise */
	char		*srcraw;	/* owned, or NULL: srcfile before it
					   was escaped, so that the next row
					   of the file is not escaped again */
	size_t		 n;
	size_t		 cap;		/* items allocated */
	struct certset	 pool;		/* owns the certificates kept: CA
					   certificates, and with keep_certs
					   every item's */
	int		 keep_certs;	/* set before reading: the plan
					   verifies chains (--ca-file) */
	size_t		 errors;	/* rows or files that failed */
	struct strlist	 bad;		/* where ("users.csv:12", a path)
					   of each row or file that failed,
					   for the report */
	/*
	 * Incremental reading (incr.h), or NULL: skip(ARG, PATH) is asked
	 * before each --certdir file is read and returns 1 to leave it
	 * unread; seen(ARG, PATH, FIRST, N) is told which items a file
	 * that was read became.  Files are asked about in order, up to
	 * INPUT_AHEAD of them before the seen of the first of those (their
	 * files are then read ahead on another thread).
	 */
	int		(*skip)(void *arg, const char *path);
	void		(*seen)(void *arg, const char *path, size_t first,
			    size_t n);
	void		*hook_arg;
};

/* The attribute name for an id_kind, e.g. "sAMAccountName". */
const char	*input_kind_attr(enum id_kind);

/*
 * Reads a CSV file (header row naming the columns).  Every bad row is
 * reported with its line number, counted in IN->errors and skipped.
 * Returns -1 only when the file as a whole cannot be used.
 */
int	input_csv(struct input *in, const char *path, unsigned types);

/*
 * Reads every certificate file below DIR (recursively; .cer .crt .der
 * .pem .p7b .p7c), in sorted order.  CA certificates are left out.
 */
int	input_certdir(struct input *in, const char *dir, unsigned types);

/*
 * Adds one item per end-entity certificate of SET (which it empties),
 * named by KIND and IDENT; SRC labels them in messages (escaped here).
 * Returns how many were added, or -1 (ENOMEM).
 */
long	input_add_certs(struct input *in, const char *src, enum id_kind kind,
	    const char *ident, struct certset *set, unsigned types);

/* Keeps the items whose KEEP[i] is set, in order; frees the others. */
void	input_keep(struct input *in, const unsigned char *keep);

/* Frees everything. */
void	input_free(struct input *in);

/*
 * Appends IT's certificate as messages and preview notes describe it,
 * "CN=Jane, serial 2B00.., expires 2027-01-01 00:00:00Z", to B.
 */
void		 input_desc(const struct item *it, struct sbuf *b);
/* The hex text of IT's SHA-256 thumbprint (as the run state holds it),
 * written into BUF, or NULL when the item has none. */
#define INPUT_SHA256_HEX	65
const char	*input_sha256(const struct item *it,
		    char buf[INPUT_SHA256_HEX]);
/* The hex text of IT's SHA-1 thumbprint (upper case, as plans, reports
 * and the run's messages show it) in BUF, or NULL when it has none. */
#define INPUT_SHA1_HEX	41
const char	*input_sha1(const struct item *it, char buf[INPUT_SHA1_HEX]);
/*
 * IT's source label, "users.csv:12" or a file path (escaped): written
 * into BUF when it has a line, else IT's own string.  INPUT_SRC(it) gives
 * it a buffer that lives until the end of the enclosing block (a
 * message's argument); a label that would not fit is held whole.
 */
#define INPUT_SRC_BUF	256
const char	*input_src(const struct item *it, char buf[INPUT_SRC_BUF]);
#define INPUT_SRC(it)	input_src((it), (char[INPUT_SRC_BUF]){ 0 })
/* IT's certificate, when the input keeps them (keep_certs), or NULL. */
#define input_cert(it)	(INPUT_RARE(it)->cert)
/* IT's value of form K, or NULL (not wanted, or cannot be built). */
char		*input_value(const struct item *it, int k);
/* IT's slot for the value of form K, which its types must want. */
char		**input_slot(struct item *it, int k);
/* Why IT has no value of form K (static text, never NULL). */
const char	*input_why(const struct item *it, int k);
/* Records why IT has no value of form K; 0 or -1 (ENOMEM). */
int		 input_set_why(struct input *in, struct item *it, int k,
		    const char *why);
/* A copy of S (or NULL for NULL) that lives as long as IN, for the
 * items' strings; NULL and *OOM set on ENOMEM. */
char		*input_strdup(struct input *in, const char *s, int *oom);

/* 1 if S is a fully qualified host name (for --match dns), else 0. */
int	input_is_hostname(const char *s);

/* Tells the kind of a free-form user identifier by its shape. */
enum id_kind	input_guess_kind(const char *ident);

#endif
