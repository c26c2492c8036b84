/*
 * plan: what should change in the directory, worked out read-only.
 * For a batch run: each item's values, its account, and the values each
 * account lacks.  For an undo: the records of an undo file, checked
 * against what is there now.
 */
#ifndef CERTBULK_PLAN_H
#define CERTBULK_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "cert.h"
#include "dir.h"
#include "input.h"

enum change_status {
	CHANGE_PLANNED,		/* not sent */
	CHANGE_DONE,		/* the server said yes (or already so) */
	CHANGE_FAILED		/* the server said no; nothing changed */
};

/*
 * The notes one item puts on its account's change, kept as a reference
 * and written out only when the change is (a batch of a million rows
 * would otherwise hold two strings per value): NVAL value notes
 * (PLAN_VALUE_NOTE, numbered VAL, VAL+1, ...) and "from SRC: DESC", in
 * the change's notes before notes.v[AT].  The items outlive the changes
 * (plan_build's input is freed after them).
 */
struct change_from {
	const struct item	*it;	/* not owned */
	uint32_t		 at;
	uint32_t		 val;
	uint32_t		 nval;
};

/*
 * The items the values added came from, one per value (struct change):
 * most changes add one value, whose item is held in place, not in an
 * array of its own (a malloc per change).  Read with change_thumb.
 */
struct change_thumbs {
	union {
		const struct item  *one; /* cap 0: the item of value 0 */
		const struct item **v;	/* owned array of cap; the items
					   are not */
	}			  u;
	uint32_t		  n;
	uint32_t		  cap;
};

/* One account's change: one atomic modify. */
struct change {
	char			*dn;	/* owned, all fields */
	struct strlist		 add;	/* single values to add */
	struct strlist		 del;	/* single values to delete */
	struct strlist		 notes;	/* preview comments: where from */
	struct change_thumbs	 thumbs; /* per add value: the item whose
					   certificate's SHA-1 thumbprint the
					   log's audit trail names (input_sha1),
					   or NULL; the array is owned, the
					   items are not */
	char			*guid;	/* the entry's objectGUID (32 hex
					   digits) if known: undo finds it
					   by this when renamed or moved */
	enum change_status	 status;
	int			 result;	/* CHANGE_FAILED: the LDAP
						   result code */
	long			 rec;	/* its undo-file record, or -1 */
	const char		*attr;	/* not owned: NULL for
					   altSecurityIdentities, else the
					   binary attribute cACertificate of
					   the NTAuth entry (ntauth.h), whose
					   values add/del hold in hex */
	const char		*kind;	/* static: "user" or "computer" (by
					   objectClass), or NULL (undo) */
	size_t			 have;	/* values the entry held when planned */
	char			*server; /* the URI of the DC the modify goes
					   to when not -H's: another domain's
					   (dir_home), or where -H's referred
					   it (forest.h); NULL: -H's */
	/*
	 * The notes made from items, generated when written
	 * (changes_notes): nfrom of them, the one in place (most changes
	 * have one item) or an owned array of more (change_from_v).
	 */
	union {
		struct change_from	 one;
		struct change_from	*v;
	}			 from;
	/* bytes at the end, no padding between them (a million changes) */
	signed char		 entry;	/* NTAuth only: 1 the modify is an
					   add of the entry, -1 a delete */
	unsigned char		 foreign; /* 1: an account of another domain
					   of the forest */
	unsigned char		 kind_note; /* the first note is "KIND
					   account", written by changes_notes
					   rather than held */
	unsigned char		 lent;	/* dn and guid are not owned but
					   the items' (a batch's plan: the
					   input outlives its changes), not
					   a copy per account */
	uint32_t		 nfrom;	/* from's */
};


/*
 * The note (preview comment) on each added value: "certbulk-value: N
 * sha1=HEX not-before=EPOCH not-after=EPOCH", N its index in the add list.
 */
#define PLAN_VALUE_NOTE	"certbulk-value: "

struct changes {
	struct change	*v;	/* owned */
	size_t		 n;
	size_t		 cap;	/* slots allocated in v */
};

#define MATCH_SID	1u
#define MATCH_UPN	2u
#define MATCH_EMAIL	4u
#define MATCH_DNS	8u	/* SAN DNS name (or host-name CN) to a
				   computer's dNSHostName */

struct trust;
struct policy;
struct sbuf;

struct plan_opts {
	unsigned	 match;		/* MATCH_* for certificate-only items */
	unsigned	 types;		/* --type: weak ones warned already */
	int		 allow_expired;
	time_t		 now;
	const struct trust *trust;	/* --ca-file: chains checked; or NULL */
	unsigned	 failon;	/* --fail-on (REPORT_FAIL_*): expected
					   refusals of --certdir items not
					   named there are notes, not errors */
	int		 upgrade_weak;	/* --upgrade-weak: accounts found by
					   the certificates' weak values,
					   which items hold for that only */
	int		 prune_weak;	/* --prune-weak: and delete the weak
					   values the strong ones replace */
	const struct policy *pol;	/* identity, protected, scope; or
					   NULL: no such checks */
};

struct plan_stats {
	size_t	items;		/* certificates considered */
	size_t	refused;	/* items left out (reported) */
	size_t	accounts;	/* accounts examined */
	size_t	uptodate;	/* accounts that already had every value */
	size_t	values;		/* values to add */
};

/*
 * Plans the batch: computes every item's values, finds its account,
 * compares with the account's current values and refuses values that
 * another account holds.  Items it leaves out are reported and counted.
 * Returns 0, or -1 when the directory failed (reported).
 */
int	plan_build(struct dir *, struct input *, const struct plan_opts *,
	    struct changes *out, struct plan_stats *st);

/*
 * Plans an undo: keeps of each wanted change only what still needs doing
 * (deletes of values present, adds of values absent).  Records of entries
 * that no longer exist are reported and counted in *MISSING.  Every value
 * to add goes through the run's duplicate-holder check: one that another
 * account holds (or that two entries would get) is reported, left out
 * and counted in *REFUSED.  Returns 0 or -1 (directory failure).
 */
int	plan_undo(struct dir *, const struct changes *want,
	    struct changes *out, size_t *missing, size_t *refused);
/*
 * plan_undo without the duplicate-holder check: what each entry's records
 * leave to do, for a caller that checks the values added back itself
 * (undoflow.h).  Its messages, so that the two read alike.
 */
int	plan_undo_entries(struct dir *, const struct changes *want,
	    struct changes *out, size_t *missing);
void	plan_undo_held_msg(const char *dn, const char *value,
	    const char *holder, const char *err);
void	plan_undo_both_msg(const char *dn1, const char *dn2,
	    const char *value);

/*
 * The duplicate-holder check, for runs and undos alike.  Looks up the N
 * altSecurityIdentities values VALS across the whole domain (dir_domain),
 * letting the server's equality match decide what is the same value (it
 * ignores case and runs of spaces), and calls REPORT(ARG, i, holder, NULL)
 * for every account other than OWNERS[i] (a DN) that holds VALS[i], or
 * REPORT(ARG, i, NULL, why) when VALS[i] could not be looked up (the
 * server refused that one search): the caller must not add it either.
 * Returns 0, or -1 when the directory failed (reported).
 */
int	plan_dup_check(struct dir *, char *const *vals, char *const *owners,
	    size_t n, void (*report)(void *arg, size_t i, const char *holder,
	    const char *err), void *arg);

/*
 * Warns of changes that would leave an account over the Entra Connect
 * sync limits (values held + added - removed), suggesting --prune unless
 * PRUNED.
 */
void	plan_entra_check(const struct changes *, int pruned);

/*
 * Writes the notes of C in order through PUT(B, NOTE): its stored notes
 * with those made from its items (struct change_from) in their places.
 * NOTE is valid during the call only; B->oom is set on ENOMEM.
 */
void		 changes_notes(const struct change *c, struct sbuf *b,
		    void (*put)(struct sbuf *, const char *));
/* C's from notes, C->nfrom of them. */
#define change_from_v(c)	((c)->nfrom > 1 ? (c)->from.v : &(c)->from.one)
/* Frees C's from notes; C has none after. */
void		 change_from_free(struct change *c);
/* The item of value J of the change T belongs to, or NULL (none known). */
const struct item *change_thumb(const struct change_thumbs *t, size_t j);
/* T's items as an array of T->n, to be rearranged in place. */
const struct item **change_thumbs_v(struct change_thumbs *t);
/* Frees T's array; T is empty after. */
void		 change_thumbs_free(struct change_thumbs *t);
/*
 * Drops C's add value J (the entry turned out to hold it already: a
 * modify retried after result 20).  The value goes back to the item it
 * was moved from, as plan_build leaves a value the account holds with its
 * item (the report and the run state read it there), or is freed if no
 * item points at it; the values and thumbprints after J move down one.
 */
void		 change_drop_add(struct change *c, size_t j);
/* Adds an empty change for DN; returns it or NULL on ENOMEM. */
struct change	*changes_add(struct changes *, const char *dn);
/* Frees all changes. */
/* Frees what C owns (not C itself, an element of its changes). */
void		 change_free(struct change *c);
void		 changes_free(struct changes *);
/* Frees C's dn and guid unless they are lent (c->lent); both NULL after. */
void		 change_names_free(struct change *c);
/* 1 if L holds V (compared as AD compares the attribute). */
int		 strlist_has(const struct strlist *l, const char *v);

#endif
