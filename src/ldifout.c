#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lber.h>
#include <ldif.h>

#include "ldifout.h"
#include "msg.h"
#include "ntauth.h"

#define LDIFOUT_ATTR	"altSecurityIdentities"

/* One "name: value" line, base64 when the value needs it. */
static void
ldifout_put(struct sbuf *b, int type, const char *name, const char *val,
    int wrap)
{
	char	*s;

	s = ldif_put_wrap(type, name, val, val ? (ber_len_t)strlen(val) : 0,
	    wrap > 0 ? (ber_len_t)wrap : LDIF_LINE_WIDTH_MAX);
	if (s == NULL) {
		b->oom = 1;
		return;
	}
	sbuf_puts(b, s);
	ber_memfree(s);
}

void
ldifout_comment(struct sbuf *b, const char *text)
{
	const char	*p = text, *nl;

	do {
		nl = strchr(p, '\n');
		sbuf_add(b, "# ", 2);
		msg_escape_to(b, p, nl ? (size_t)(nl - p) : strlen(p), 0);
		sbuf_putc(b, '\n');
		p = nl ? nl + 1 : NULL;
	} while (p != NULL);
}

/* One value of ATTR (NULL: altSecurityIdentities; else binary, in hex). */
static void
ldifout_value(struct sbuf *b, const char *attr, const char *val, int wrap)
{
	unsigned char	*bin;
	size_t		 len;
	char		*s;

	if (attr == NULL) {
		ldifout_put(b, LDIF_PUT_VALUE, LDIFOUT_ATTR, val, wrap);
		return;
	}
	if (ntauth_unhex(val, &bin, &len) == -1) {
		b->oom = 1;
		return;
	}
	s = ldif_put_wrap(LDIF_PUT_BINARY, attr, (char *)bin, (ber_len_t)len,
	    wrap > 0 ? (ber_len_t)wrap : LDIF_LINE_WIDTH_MAX);
	free(bin);
	if (s == NULL) {
		b->oom = 1;
		return;
	}
	sbuf_puts(b, s);
	ber_memfree(s);
}

static void
ldifout_block(struct sbuf *b, const char *op, const char *attr,
    const struct strlist *l, int wrap)
{
	size_t	i;

	if (l->n == 0)
		return;
	ldifout_put(b, LDIF_PUT_VALUE, op, attr ? attr : LDIFOUT_ATTR, wrap);
	for (i = 0; i < l->n; i++)
		ldifout_value(b, attr, l->v[i], wrap);
	sbuf_puts(b, "-\n");
}

void
ldifout_record(struct sbuf *b, const struct change *c, int invert)
{
	ldifout_record_wrap(b, c, invert, 0);
}

void
ldifout_record_wrap(struct sbuf *b, const struct change *c, int invert,
    int wrap)
{
	size_t	i;

	changes_notes(c, b, ldifout_comment);
	ldifout_put(b, LDIF_PUT_VALUE, "dn", c->dn, wrap);
	/*
	 * The NTAuth entry made or deleted (preview only: its undo record
	 * is the modify of the value, which ntauth_plan_undo turns back
	 * into an add or delete of the entry as the store then needs).
	 */
	if (!invert && c->entry == 1) {
		ldifout_put(b, LDIF_PUT_VALUE, "changetype", "add", wrap);
		ldifout_put(b, LDIF_PUT_VALUE, "objectClass", "top", wrap);
		ldifout_put(b, LDIF_PUT_VALUE, "objectClass",
		    "certificationAuthority", wrap);
		ldifout_put(b, LDIF_PUT_VALUE, "cn", "NTAuthCertificates", wrap);
		for (i = 0; i < c->add.n; i++)
			ldifout_value(b, c->attr, c->add.v[i], wrap);
		ldifout_value(b, "authorityRevocationList", "00", wrap);
		ldifout_value(b, "certificateRevocationList", "00", wrap);
		sbuf_putc(b, '\n');
		return;
	}
	if (!invert && c->entry == -1) {
		ldifout_put(b, LDIF_PUT_VALUE, "changetype", "delete", wrap);
		sbuf_putc(b, '\n');
		return;
	}
	ldifout_put(b, LDIF_PUT_VALUE, "changetype", "modify", wrap);
	/* deletes first, as they are sent */
	ldifout_block(b, "delete", c->attr, invert ? &c->add : &c->del, wrap);
	ldifout_block(b, "add", c->attr, invert ? &c->del : &c->add, wrap);
	sbuf_putc(b, '\n');
}
