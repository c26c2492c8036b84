/*
 * ldifout: LDIF change records (RFC 2849) through libldap's LDIF writer,
 * for the preview and the undo file.
 */
#ifndef CERTBULK_LDIFOUT_H
#define CERTBULK_LDIFOUT_H

#include "plan.h"
#include "sbuf.h"

/*
 * Appends to B one "changetype: modify" record for C: its notes as
 * comments, then a delete: block and an add: block of single values of
 * altSecurityIdentities, each closed by "-".  INVERT swaps the adds and
 * deletes (the undo of C).  Ends with the blank separator line.
 */
void	ldifout_record(struct sbuf *b, const struct change *c, int invert);
/* The same, with lines folded at WRAP columns (-o ldif_wrap); 0: none. */
void	ldifout_record_wrap(struct sbuf *b, const struct change *c, int invert,
	    int wrap);

/* Appends "# TEXT" lines to B, one per line of TEXT, control bytes escaped. */
void	ldifout_comment(struct sbuf *b, const char *text);

#endif
