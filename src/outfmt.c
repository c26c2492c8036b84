/*
 * outfmt.c: the string writers of the output modes (see outfmt.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "outfmt.h"

void
outfmt_put(FILE *fp, const char *s, int field)
{
	char	*e;

	if (s == NULL) {
		fputs("-", fp);
		return;
	}
	e = field ? msg_escape_field(s, strlen(s)) : msg_escape(s, strlen(s));
	if (e != NULL)
		fputs(e, fp);
	free(e);
}

void
outfmt_json(FILE *fp, const char *s)
{
	char		*e;
	const char	*p;

	if (s == NULL || (e = msg_escape(s, strlen(s))) == NULL) {
		fputs("null", fp);
		return;
	}
	fputc('"', fp);
	for (p = e; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
	free(e);
}
