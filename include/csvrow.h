/*
 * csvrow: the fields of one CSV record as libcsv hands them to its field
 * callback, copied and NUL-terminated, for the CSV readers (input.c for
 * --csv, kdcev.c for --kdc-events).
 */
#ifndef CERTBULK_CSVROW_H
#define CERTBULK_CSVROW_H

#include <stddef.h>

struct csvrow {
	char	**f;	/* owned: nf field copies */
	size_t	 nf;
};

/*
 * Appends a NUL-terminated copy of the N bytes at S (NULL, as libcsv
 * passes for an empty field, gives "").  Returns 0, or -1 when out of
 * memory (the row keeps the fields it had).
 */
int	 csvrow_add(struct csvrow *, const void *s, size_t n);
/* Field IDX (owned by the row), or NULL when the row has no such field. */
char	*csvrow_get(const struct csvrow *, int idx);
/* Frees the fields: the row is empty again. */
void	 csvrow_clear(struct csvrow *);

#endif
