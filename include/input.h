/*
 * input: the batch's inputs -- CSV files of user-to-certificate rows and
 * folders of issued certificates -- turned into items, one per
 * certificate to map.
 */
#ifndef CERTBULK_INPUT_H
#define CERTBULK_INPUT_H

#include <stddef.h>

#include "altsec.h"
#include "cert.h"

/* How an item names its account. */
enum id_kind {
	ID_MATCH,	/* none: found from the certificate (--match) */
	ID_SAM,		/* sAMAccountName */
	ID_UPN,		/* userPrincipalName */
	ID_DN,		/* distinguishedName */
	ID_SID,		/* objectSid, S-1-... text */
	ID_MAIL		/* mail */
};

/* One certificate to map to one account. */
struct item {
	char		*src;	/* owned: "users.csv:12" or a file path */
	enum id_kind	 kind;
	char		*ident;	/* owned; NULL for ID_MATCH */
	char		*domain; /* owned: DOMAIN of DOMAIN\user, or NULL */
	const struct cert *cert; /* owned by the input's pool */
	unsigned	 types;	/* ALTSEC_BIT mask of forms wanted */
	/* filled in by plan.c */
	char		*values[ALTSEC_NTYPES];	/* owned; NULL: not wanted */
	long		 acct;	/* index into the plan's accounts, or -1 */
	int		 failed; /* reported and left out */
};

struct input {
	struct item	*items;		/* owned */
	size_t		 n;
	struct certset	 pool;		/* owns every certificate */
	size_t		 errors;	/* rows or files that failed */
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

/* Frees everything. */
void	input_free(struct input *in);

/* Tells the kind of a free-form user identifier by its shape. */
enum id_kind	input_guess_kind(const char *ident);

#endif
