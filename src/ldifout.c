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
ldifout_put(struct sbuf *b, int type, const char *name, const char *val)
{
	char	*s;

	s = ldif_put_wrap(type, name, val, val ? (ber_len_t)strlen(val) : 0,
	    LDIF_LINE_WIDTH_MAX);
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
	char		*esc;

	do {
		nl = strchr(p, '\n');
		esc = msg_escape(p, nl ? (size_t)(nl - p) : strlen(p));
		if (esc == NULL) {
			b->oom = 1;
			return;
		}
		sbuf_printf(b, "# %s\n", esc);
		free(esc);
		p = nl ? nl + 1 : NULL;
	} while (p != NULL);
}

/* One value of ATTR (NULL: altSecurityIdentities; else binary, in hex). */
static void
ldifout_value(struct sbuf *b, const char *attr, const char *val)
{
	unsigned char	*bin;
	size_t		 len;
	char		*s;

	if (attr == NULL) {
		ldifout_put(b, LDIF_PUT_VALUE, LDIFOUT_ATTR, val);
		return;
	}
	if (ntauth_unhex(val, &bin, &len) == -1) {
		b->oom = 1;
		return;
	}
	s = ldif_put_wrap(LDIF_PUT_BINARY, attr, (char *)bin, (ber_len_t)len,
	    LDIF_LINE_WIDTH_MAX);
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
    const struct strlist *l)
{
	size_t	i;

	if (l->n == 0)
		return;
	ldifout_put(b, LDIF_PUT_VALUE, op, attr ? attr : LDIFOUT_ATTR);
	for (i = 0; i < l->n; i++)
		ldifout_value(b, attr, l->v[i]);
	sbuf_puts(b, "-\n");
}

void
ldifout_record(struct sbuf *b, const struct change *c, int invert)
{
	size_t	i;

	for (i = 0; i < c->notes.n; i++)
		ldifout_comment(b, c->notes.v[i]);
	ldifout_put(b, LDIF_PUT_VALUE, "dn", c->dn);
	/*
	 * The NTAuth entry made or deleted (preview only: its undo record
	 * is the modify of the value, which ntauth_plan_undo turns back
	 * into an add or delete of the entry as the store then needs).
	 */
	if (!invert && c->entry == 1) {
		ldifout_put(b, LDIF_PUT_VALUE, "changetype", "add");
		ldifout_put(b, LDIF_PUT_VALUE, "objectClass", "top");
		ldifout_put(b, LDIF_PUT_VALUE, "objectClass",
		    "certificationAuthority");
		ldifout_put(b, LDIF_PUT_VALUE, "cn", "NTAuthCertificates");
		for (i = 0; i < c->add.n; i++)
			ldifout_value(b, c->attr, c->add.v[i]);
		ldifout_value(b, "authorityRevocationList", "00");
		ldifout_value(b, "certificateRevocationList", "00");
		sbuf_putc(b, '\n');
		return;
	}
	if (!invert && c->entry == -1) {
		ldifout_put(b, LDIF_PUT_VALUE, "changetype", "delete");
		sbuf_putc(b, '\n');
		return;
	}
	ldifout_put(b, LDIF_PUT_VALUE, "changetype", "modify");
	/* deletes first, as they are sent */
	ldifout_block(b, "delete", c->attr, invert ? &c->add : &c->del);
	ldifout_block(b, "add", c->attr, invert ? &c->del : &c->add);
	sbuf_putc(b, '\n');
}
