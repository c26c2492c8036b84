/*
 * sync: the run state -- which altSecurityIdentities values certbulk
 * itself wrote, from which certificate and input -- and what it allows:
 * pruning owned values whose certificate is gone, expired, revoked or
 * superseded, `certbulk adopt' and `certbulk status'.
 *
 * The state is one tab-separated file, STATEDIR/owned.tsv, rewritten
 * whole (temporary file, fsync, rename, fsync of the folder).  The undo
 * file stays the write-ahead journal of the directory: before a run sends
 * anything it writes STATEDIR/owned.journal, naming its undo file; after
 * the run the state is rewritten and the journal removed.  A run that
 * finds a journal left by a killed run settles it first: a value the undo
 * file's pending or done records say was added becomes owned only if it
 * is on the account now and matches a certificate of the inputs.
 */
#ifndef CERTBULK_SYNC_H
#define CERTBULK_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dir.h"
#include "input.h"
#include "plan.h"
#include "trust.h"

/* One owned value, as one line of owned.tsv. */
struct sync_rec {
	char	*guid;		/* owned, all strings (in blk, or each
				   its own allocation) but those lent
				   (lent); objectGUID (32 hex
				   digits) or "" (a directory without) */
	char	*dn;		/* as last seen */
	char	*sam;		/* as last seen, or "" */
	char	*value;
	char	*issuer;
	char	*serial;
	char	*input;		/* the --csv or --certdir it came from */
	char	*source;	/* file, or CSV file:line */
	char	*blk;		/* owned, or NULL: the strings read or made
				   together, in one allocation (a night's
				   state holds a line per owned value) */
	time_t	 not_after;
	time_t	 written;
	/*
	 * The certificate's SHA-256 thumbprint, SYNC_SHA_LEN bytes written
	 * as hex when saved (shaform): the item's own bytes for a record
	 * made from the run's input (the items do not move once read), else
	 * the first bytes of blk; not 65 bytes of text in a malloc'd block
	 * per value.  A thumbprint read back that is not 64 hex digits of
	 * one case is kept as text, first in blk (SYNC_SHA_TEXT).
	 */
	const unsigned char *sha;
	uint32_t blklen;
	unsigned short lent;	/* SYNC_F_* bits: fields not owned but
				   lent by the run's input (its items'
				   strings, its paths; it outlives the
				   state) or by the state's shared
				   strings (strs): a record holds only
				   what neither does */
	unsigned char drop;	/* to be left out when saved */
	unsigned char shaform;	/* SYNC_SHA_* */
};
/* sync_rec fields, as bits of lent */
#define SYNC_F_GUID	0x001u
#define SYNC_F_DN	0x002u
#define SYNC_F_SAM	0x004u
#define SYNC_F_VALUE	0x008u
#define SYNC_F_ISSUER	0x020u
#define SYNC_F_SERIAL	0x040u
#define SYNC_F_INPUT	0x080u
#define SYNC_F_SOURCE	0x100u
#define SYNC_SHA_LEN	32
/* sync_rec shaform: how its thumbprint is written */
#define SYNC_SHA_NONE	0	/* "" */
#define SYNC_SHA_UPPER	1	/* sha, upper-case hex (as certbulk writes) */
#define SYNC_SHA_LOWER	2	/* sha, lower-case hex (edited by hand) */
#define SYNC_SHA_TEXT	3	/* the text at blk, as read */

struct sync_val;

struct sync_state {
	struct sync_rec	*v;	/* owned */
	size_t		 n;
	size_t		 nsorted; /* v[0..nsorted) is in sync_sort order */
	int		 dirty;	/* changed since read: to be saved */
	/*
	 * The issuers and input paths of the records read, each kept once
	 * while consecutive records share it (the file is sorted by
	 * account: mostly one CA and one input), lent to the records.
	 */
	struct arena	 strs;
	const char	*issuer; /* in strs: the last one kept */
	const char	*input;	/* in strs: the last one kept */
};

/* What a certificate is, for status and pruning. */
enum sync_verdict {
	SYNC_VALID,
	SYNC_EXPIRING,		/* within --warn-days */
	SYNC_EXPIRED,
	SYNC_REVOKED,
	SYNC_REMOVED,		/* its input no longer holds it */
	SYNC_SUPERSEDED		/* a newer one from the same issuer is in */
};

/* The run's inputs as the state sees them: filled by sync_inputs. */
struct sync_inputs {
	const struct input *in;		/* not owned */
	char		**val;		/* owned array: every item's values in
					   item order; the strings are the
					   items' own, not copies (the items
					   hand them over to the changes, and
					   both live until input_free and
					   changes_free), but for the forms
					   that sync_inputs_copying copies into
					   arena and those in dead */
	uint32_t	*valat;		/* owned: item i's values are
					   val[valat[i]] to val[valat[i + 1]] */
	struct arena	 arena;
	char		**dead;		/* owned, with their strings: values
					   taken out of the changes after
					   sync_inputs (sync_unsupersede),
					   freed with SI, which points at
					   them */
	size_t		 ndead;
	char		**roots;	/* not owned: every input of the run */
	size_t		*first;		/* owned: items [first[r],
					   first[r + 1]) came from roots[r]
					   (sync_root), not a pointer per item */
	size_t		 nroots;
	/* indices, so that a batch of 100,000 is not quadratic */
	struct sync_val	*byval;		/* owned: every value, sorted */
	size_t		 nval;
	uint32_t	*bysha;		/* owned: items by thumbprint (indices
					   of 4 bytes, as valat and byacct: a
					   run has fewer than 2^32 values) */
	size_t		 nsha;
	uint32_t	*byacct;	/* owned: planned items by account */
	size_t		 nacct;
	char		**skipsha;	/* not owned, sorted (strcasecmp): the
					   thumbprints in files left unread */
	size_t		 nskipsha;
};

/* One value of one item, for sync_inputs' index. */
struct sync_val {
	const char	*v;	/* not owned */
	size_t		 item;
};

struct sync_opts {
	time_t		 now;
	int		 prune;		/* --prune */
	long		 grace;		/* --grace, seconds */
	long		 warn;		/* --warn-days, seconds */
	int		 allow_expired;	/* expired values are not pruned */
};

/* Reads DIR/owned.tsv into ST (empty if there is none: *EXISTS 0).
 * Returns 0, or -1 after reporting (untrusted, unreadable, bad line). */
int	sync_load(const char *dir, struct sync_state *st, int *exists);
/* Rewrites DIR/owned.tsv atomically with the records not dropped. */
int	sync_save(const char *dir, const struct sync_state *st);
void	sync_state_free(struct sync_state *);

/*
 * Brings ST up to date with the directory before a run: settles a
 * journal left by a killed run and, when there is no owned.tsv
 * (*EXISTS 0), rebuilds it from the surviving undo files: values they
 * prove certbulk added, that are still on their account and belong to a
 * certificate in the inputs SI.  With SAVE the result is written and the
 * journal removed.  Returns 0 or -1 (reported).  The records made lend
 * the strings of SI's input: it must outlive ST.
 */
int	sync_reconcile(const char *dir, struct dir *, struct sync_state *st,
	    int exists, const struct sync_inputs *si, int save);

/*
 * Takes each item's values (before plan_build moves them into the
 * changes) and the input each item came from: items [FIRST[i],
 * FIRST[i+1]) came from ROOTS[i].  0 or -1 (ENOMEM, reported).  SI
 * points at the items' values: nothing may free one before
 * sync_inputs_free (the input and the changes are freed after it).
 */
int	sync_inputs(struct sync_inputs *si, const struct input *in,
	    char **roots, const size_t *first, size_t nroots);
/* The same, but the values of the forms in COPY (ALTSEC_BIT bits), which
 * the plan frees (--upgrade-weak's weak forms), are copied. */
int	sync_inputs_copying(struct sync_inputs *si, const struct input *in,
	    char **roots, const size_t *first, size_t nroots, unsigned copy);
void	sync_inputs_free(struct sync_inputs *);
/* After plan_build: indexes the items by the account each found.  0/-1. */
int	sync_inputs_planned(struct sync_inputs *si);
/* Sorts ST by account and value (and drops duplicates): the order that
 * owned.tsv is written in and lookups rely on. */
void	sync_sort(struct sync_state *st);

/*
 * The verdict on owned value R, given the inputs SI (NULL: the state
 * alone) and the other owned values of ST.  *WHY gets a short reason.
 */
enum sync_verdict sync_verdict(const struct sync_state *st,
	    const struct sync_rec *r, const struct sync_inputs *si,
	    const struct sync_opts *o, const char **why);
/*
 * Marks the items of IN whose certificate a current, verified CRL of T
 * lists (trust_revocation: never for a CRL that could not be had or
 * checked) as revoked, the verdict sync_verdict reads; T NULL: none.
 * For status and audit, which do not plan (a run's plan marks them).
 */
void	sync_mark_revoked(struct input *in, const struct trust *t,
	    time_t now);
/* "valid", "expiring", ... */
const char	*sync_verdict_name(enum sync_verdict);

/*
 * After plan_build: takes out of CS the adds of certificates superseded
 * by a newer one already in place for --grace (so that a value --prune
 * removed is not added back the next night while the old certificate is
 * still in the input), and changes left empty.  *NVALUES counts down.
 */
int	sync_unsupersede(const struct sync_state *st,
	    struct sync_inputs *si, const struct sync_opts *o,
	    struct changes *cs, size_t *nvalues);

/*
 * After plan_build: adds to CS the removal of every owned value that
 * --prune may remove (each checked on its account, found by objectGUID),
 * in the same change as the account's adds; without --prune only says
 * how many could go.  Then warns of accounts a change would take over
 * the Entra Connect limits.  *NREMOVE gets the values to remove.
 * Returns 0, or -1 (directory failure, reported).
 */
int	sync_prune(struct dir *, struct sync_state *st,
	    const struct sync_inputs *si, const struct sync_opts *o,
	    struct changes *cs, size_t *nremove);

/*
 * Writes DIR/owned.journal naming UNDO, the undo file that will cover CS
 * (CS and SI are not written: the undo file holds the changes).  Before
 * anything is sent.  0 or -1.
 */
int	sync_journal(const char *dir, const struct changes *cs,
	    const struct sync_inputs *si, const char *undo);
/*
 * After the modifies: takes the changes the server made into ST, saves
 * it and removes the journal (kept when some replies never came: the
 * next run settles them).  0 or -1 (reported).  The records made lend
 * the values of CS and the strings of SI's input, not copies: both must
 * outlive ST (sync_state_free first).
 */
int	sync_commit(const char *dir, struct sync_state *st,
	    const struct changes *cs, const struct sync_inputs *si,
	    time_t now);

/*
 * certbulk adopt: the values the plan found already on their accounts
 * and not yet owned (each item's values plan_build left in it), shown on
 * FP as comments; with APPLY also taken into ST and saved.  *N gets the
 * count.  0 or -1.  The records lend the input's strings and values: it
 * must outlive ST.
 */
int	sync_adopt(const char *dir, struct sync_state *st,
	    const struct sync_inputs *si, int apply, FILE *fp, size_t *n,
	    time_t now);

/* certbulk status: one line per owned value on FP; TSV if TSV. */
int	sync_status(FILE *fp, const struct sync_state *st,
	    const struct sync_inputs *si, const struct sync_opts *o, int tsv);

/* Shared with incr.c: the state folder's file handling. */
/* Opens DIR/NAME for reading as undo files are: no link, ours, not
 * writable by others.  NULL with *ABSENT set if it does not exist, or
 * NULL after reporting. */
FILE	*sync_open_read(const char *dir, const char *name, int *absent);
/* Writes LEN bytes of BUF to DIR/NAME: temporary file (0600, O_EXCL,
 * O_NOFOLLOW), fsync, rename, fsync of the folder.  0 or -1 (reported). */
int	sync_write_atomic(const char *dir, const char *name, const char *buf,
	    size_t len);
/* Undoes msg_escape_field in place.  0, or -1 if malformed. */
int	sync_unescape(char *s);

#endif
