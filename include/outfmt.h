/*
 * outfmt: the string writers of the subcommands' output modes (terminal,
 * --tsv, --json), so that every string from outside is printed escaped
 * the same way (msg_escape) by verify, check-cdp and the rest.
 */
#ifndef CERTBULK_OUTFMT_H
#define CERTBULK_OUTFMT_H

#include <stdio.h>

/*
 * Prints S to FP escaped as msg_escape does, or with FIELD as
 * msg_escape_field does (a reversible TSV field); "-" for NULL.  Prints
 * nothing when out of memory.
 */
void	outfmt_put(FILE *fp, const char *s, int field);

/*
 * Prints S to FP as a JSON string: escaped as msg_escape does (printable
 * UTF-8 only), then with '"' and '\' backslashed; null for NULL or when
 * out of memory.
 */
void	outfmt_json(FILE *fp, const char *s);

#endif
