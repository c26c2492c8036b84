/*
 * sambakdc: values a Samba KDC will not match (see include/sambakdc.h).
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "altsec.h"
#include "msg.h"
#include "sambakdc.h"
#include "sbuf.h"

static int
sambakdc_hexbyte(const char *p)
{
	char	b[3] = { p[0], p[1], '\0' };

	if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
		return -1;
	return (int)strtol(b, NULL, 16);
}

/*
 * Appends the issuer name N (LEN bytes) to B with each RDN keyword E=
 * written emailAddress=; sets *E if there was one and *QUOTED if a value
 * is quoted.
 */
static void
sambakdc_issuer(struct sbuf *b, const char *n, size_t len, int *e,
    int *quoted)
{
	size_t	i;
	int	inq = 0, start = 1;

	for (i = 0; i < len; i++) {
		if (!inq && start && len - i >= 2 && strncmp(n + i, "E=", 2) == 0) {
			sbuf_puts(b, "emailAddress");
			*e = 1;
			i++;
			sbuf_putc(b, '=');
			start = 0;
			continue;
		}
		start = 0;
		sbuf_putc(b, n[i]);
		if (n[i] == '"') {
			inq = !inq;
			*quoted = 1;
		} else if (!inq && (n[i] == ',' || n[i] == ' '))
			start = 1;
	}
}

/*
 * Rewrites a Windows-form X509: VALUE into ALT in the form Samba's KDC
 * matches, and says what changed: *E (E= written emailAddress=), *QUOTED
 * (a quoted issuer value: Samba matches no form), *SIGN (the serial's
 * trailing 00 sign byte dropped).  0, or -1 if VALUE is not X509:.
 */
static int
sambakdc_alt(const char *value, struct sbuf *alt, int *e, int *quoted,
    int *sign)
{
	const char	*p, *q, *val;
	size_t		 taglen, vlen;
	int		 hb;

	*e = *quoted = *sign = 0;
	if (strncasecmp(value, "X509:", 5) != 0)
		return -1;
	sbuf_puts(alt, "X509:");
	for (p = value + 5; *p == '<' && (q = strchr(p, '>')) != NULL; ) {
		taglen = (size_t)(q - p - 1);
		val = q + 1;
		vlen = strcspn(val, "<");
		sbuf_add(alt, p, taglen + 2);
		if (taglen == 1 && strncasecmp(p + 1, "I", 1) == 0)
			sambakdc_issuer(alt, val, vlen, e, quoted);
		else if (taglen == 2 && strncasecmp(p + 1, "SR", 2) == 0 &&
		    vlen >= 4 && vlen % 2 == 0 &&
		    sambakdc_hexbyte(val + vlen - 2) == 0 &&
		    (hb = sambakdc_hexbyte(val + vlen - 4)) >= 0x80) {
			/* reversed DER: the sign byte comes last */
			sbuf_add(alt, val, vlen - 2);
			*sign = 1;
		} else
			sbuf_add(alt, val, vlen);
		p = val + vlen;
	}
	sbuf_puts(alt, p);	/* anything unparsed, as it was */
	return 0;
}

char *
sambakdc_note(const char *value)
{
	struct sbuf	 alt = SBUF_INIT, note = SBUF_INIT;
	int		 e, quoted, sign;

	if (sambakdc_alt(value, &alt, &e, &quoted, &sign) == -1 ||
	    (!e && !quoted && !sign)) {
		sbuf_reset(&alt);
		return NULL;
	}
	sbuf_puts(&note, "a Samba KDC will not match this value (");
	if (sign)
		sbuf_puts(&note, "it wants the serial without the trailing 00 "
		    "sign byte");
	if (e)
		sbuf_printf(&note, "%sit wants emailAddress= for E=",
		    sign ? "; " : "");
	if (quoted)
		sbuf_printf(&note, "%sit splits the issuer at every comma, "
		    "quoted or not", sign || e ? "; " : "");
	if (quoted)
		sbuf_puts(&note, "): use X509SKI or X509SHA1PublicKey");
	else
		sbuf_printf(&note, "); it matches %s", alt.s ? alt.s : "");
	sbuf_reset(&alt);
	return sbuf_done(&note);
}

char *
sambakdc_value(const char *value, const char **why)
{
	struct sbuf	 alt = SBUF_INIT;
	char		*ret;
	int		 e, quoted, sign;

	*why = NULL;
	if (sambakdc_alt(value, &alt, &e, &quoted, &sign) == -1) {
		sbuf_reset(&alt);
		return strdup(value);
	}
	if (quoted) {
		sbuf_reset(&alt);
		*why = "a Samba KDC splits the issuer at every comma, quoted or "
		    "not, so no value of this form matches (use X509SKI or "
		    "X509SHA1PublicKey)";
		return NULL;
	}
	if (!e && !sign) {
		sbuf_reset(&alt);
		return strdup(value);
	}
	ret = sbuf_done(&alt);
	return ret;
}

int
sambakdc_items(struct input *in)
{
	struct item	*it;
	const char	*why;
	char		*v;
	size_t		 i;
	int		 k;

	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		for (k = 0; k < ALTSEC_NTYPES; k++) {
			/* the weak forms: Samba 4.24 in full enforcement
			 * ignores them whatever their spelling */
			if (input_value(it, k) == NULL ||
			    !altsec_is_strong((enum altsec_type)k))
				continue;
			if ((v = sambakdc_value(input_value(it, k), &why)) ==
			    NULL &&
			    why == NULL) {
				msg_err("out of memory");
				return -1;
			}
			free(input_value(it, k));
			*input_slot(it, k) = v;
			if (v == NULL && input_set_why(in, it, k, why) == -1) {
				msg_err("out of memory");
				return -1;
			}
		}
	}
	return 0;
}
