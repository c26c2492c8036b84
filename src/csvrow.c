/*
 * csvrow.c: one CSV record's fields, accumulated from libcsv's field
 * callback (shared by the --csv and --kdc-events readers).
 */
#include <stdlib.h>
#include <string.h>

#include "csvrow.h"

int
csvrow_add(struct csvrow *r, const void *s, size_t n)
{
	char	**nf, *v;

	if ((v = strndup(s != NULL ? (const char *)s : "", n)) == NULL)
		return -1;
	if ((nf = realloc(r->f, (r->nf + 1) * sizeof(*nf))) == NULL) {
		free(v);
		return -1;
	}
	r->f = nf;
	r->f[r->nf++] = v;
	return 0;
}

char *
csvrow_get(const struct csvrow *r, int idx)
{
	return idx >= 0 && (size_t)idx < r->nf ? r->f[idx] : NULL;
}

void
csvrow_clear(struct csvrow *r)
{
	size_t	i;

	for (i = 0; i < r->nf; i++)
		free(r->f[i]);
	free(r->f);
	r->f = NULL;
	r->nf = 0;
}
