#include <pthread.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "msname.h"
#include "sbuf.h"
#include "utf8.h"

/* CryptoAPI's X.500 keywords (CERT_X500_NAME_STR); anything else is OID.n */
static const struct {
	const char	*oid;
	const char	*kw;
} msname_kw[] = {
	{ "2.5.4.3", "CN" },
	{ "2.5.4.7", "L" },
	{ "2.5.4.10", "O" },
	{ "2.5.4.11", "OU" },
	{ "1.2.840.113549.1.9.1", "E" },
	{ "2.5.4.6", "C" },
	{ "2.5.4.8", "S" },
	{ "2.5.4.9", "STREET" },
	{ "2.5.4.12", "T" },
	{ "2.5.4.42", "G" },
	{ "2.5.4.43", "I" },
	{ "2.5.4.4", "SN" },
	{ "2.5.4.5", "SERIALNUMBER" },
	{ "0.9.2342.19200300.100.1.25", "DC" },
	{ "2.5.4.13", "Description" },
	{ "2.5.4.17", "PostalCode" },
	{ "2.5.4.18", "POBox" },
	{ "2.5.4.20", "Phone" },
	{ "2.5.4.24", "X21Address" },
	{ "2.5.4.46", "dnQualifier" },
};

#define MSNAME_NKW	(sizeof(msname_kw) / sizeof(msname_kw[0]))

/*
 * The table's OIDs as objects, made once: an attribute type is matched by
 * its encoding (OBJ_cmp), which is what its dotted text is made from, and
 * only an unknown type is turned into text (OBJ_obj2txt formats through
 * BIO_snprintf, most of the cost of formatting a name).
 */
static pthread_once_t	 msname_obj_once = PTHREAD_ONCE_INIT;
static ASN1_OBJECT	*msname_obj[MSNAME_NKW];

static void
msname_obj_make(void)
{
	size_t	i;

	for (i = 0; i < MSNAME_NKW; i++)
		msname_obj[i] = OBJ_txt2obj(msname_kw[i].oid, 1);
}

/* The keyword for attribute type O, or NULL (then ask its dotted text). */
static const char *
msname_keyword_obj(const ASN1_OBJECT *o)
{
	size_t	i;

	if (pthread_once(&msname_obj_once, msname_obj_make) != 0)
		return NULL;
	for (i = 0; i < MSNAME_NKW; i++)
		if (msname_obj[i] != NULL && OBJ_cmp(msname_obj[i], o) == 0)
			return msname_kw[i].kw;
	return NULL;
}

const char *
msname_keyword(const char *oid)
{
	size_t	i;

	for (i = 0; i < sizeof(msname_kw) / sizeof(msname_kw[0]); i++)
		if (strcmp(msname_kw[i].oid, oid) == 0)
			return msname_kw[i].kw;
	return NULL;
}

static int
msname_latin1(const unsigned char *p, size_t n, struct sbuf *b)
{
	size_t	i;

	for (i = 0; i < n; i++)
		utf8_put(b, p[i]);
	return 0;
}

static int
msname_ucs(const unsigned char *p, size_t n, size_t width, struct sbuf *b,
    const char **why)
{
	unsigned long	cp, lo;
	size_t		i;

	if (n % width != 0) {
		*why = width == 2 ? "BMPString of odd length" :
		    "UniversalString length not a multiple of 4";
		return -1;
	}
	for (i = 0; i < n; i += width) {
		if (width == 2)
			cp = (unsigned long)p[i] << 8 | p[i + 1];
		else
			cp = (unsigned long)p[i] << 24 |
			    (unsigned long)p[i + 1] << 16 |
			    (unsigned long)p[i + 2] << 8 | p[i + 3];
		/* Windows keeps BMPString as UTF-16: pairs are one character */
		if (width == 2 && cp >= 0xd800 && cp <= 0xdbff && i + 3 < n) {
			lo = (unsigned long)p[i + 2] << 8 | p[i + 3];
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			}
		}
		if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) {
			*why = "invalid character in BMPString/UniversalString";
			return -1;
		}
		if (cp == 0) {
			*why = "embedded NUL character";
			return -1;
		}
		utf8_put(b, cp);
	}
	return 0;
}

int
msname_to_utf8(int tag, const unsigned char *p, size_t n, struct sbuf *b,
    const char **why)
{
	struct sbuf	 tmp = SBUF_INIT;
	int		 rc = -1;

	*why = NULL;
	if (tag != V_ASN1_BMPSTRING && tag != V_ASN1_UNIVERSALSTRING &&
	    memchr(p, '\0', n) != NULL) {
		*why = "embedded NUL byte";
		goto out;
	}
	switch (tag) {
	case V_ASN1_UTF8STRING:
		if (!utf8_valid((const char *)p, n)) {
			*why = "UTF8String is not valid UTF-8";
			goto out;
		}
		sbuf_add(&tmp, p, n);
		break;
	case V_ASN1_T61STRING:
		/* CryptoAPI's rule: UTF-8 if it decodes, else 8-bit. */
		if (utf8_valid((const char *)p, n))
			sbuf_add(&tmp, p, n);
		else
			msname_latin1(p, n, &tmp);
		break;
	case V_ASN1_PRINTABLESTRING:
	case V_ASN1_IA5STRING:
	case V_ASN1_VISIBLESTRING:
	case V_ASN1_NUMERICSTRING:
	case V_ASN1_VIDEOTEXSTRING:
	case V_ASN1_GRAPHICSTRING:
	case V_ASN1_GENERALSTRING:
		/* 8-bit character strings: one byte is one character */
		msname_latin1(p, n, &tmp);
		break;
	case V_ASN1_BMPSTRING:
		if (msname_ucs(p, n, 2, &tmp, why) == -1)
			goto out;
		break;
	case V_ASN1_UNIVERSALSTRING:
		if (msname_ucs(p, n, 4, &tmp, why) == -1)
			goto out;
		break;
	default:
		*why = "attribute value is not a character string";
		goto out;
	}
	if (tmp.oom) {
		*why = "out of memory";
		goto out;
	}
	sbuf_add(b, tmp.s ? tmp.s : "", tmp.len);
	rc = 0;
out:
	sbuf_reset(&tmp);
	return rc;
}

static int
msname_space(unsigned char c)
{
	/* isspace() in the C locale, which is what CryptoAPI tests */
	return c == ' ' || (c >= '\t' && c <= '\r');
}

void
msname_quote(struct sbuf *b, const char *v, size_t n)
{
	size_t	i;
	int	quote = n == 0;

	if (n > 0 && (msname_space((unsigned char)v[0]) ||
	    msname_space((unsigned char)v[n - 1])))
		quote = 1;
	for (i = 0; i < n && !quote; i++)
		if (strchr(",+=\"<>#;\n", v[i]) != NULL && v[i] != '\0')
			quote = 1;
	if (!quote) {
		sbuf_add(b, v, n);
		return;
	}
	sbuf_putc(b, '"');
	for (i = 0; i < n; i++) {
		if (v[i] == '"')
			sbuf_putc(b, '"');
		sbuf_putc(b, v[i]);
	}
	sbuf_putc(b, '"');
}

char *
msname_format(const X509_NAME *name, const char **why)
{
	struct sbuf		 b = SBUF_INIT, val = SBUF_INIT;
	const X509_NAME_ENTRY	*e;
	const ASN1_STRING	*s;
	const char		*kw;
	char			 oid[128];
	char			*out = NULL;
	int			 i, n, set, prev = -1;

	*why = NULL;
	n = X509_NAME_entry_count(name);
	/*
	 * OpenSSL keeps the entries in decoded order, each tagged with the
	 * index of its RDN: exactly the encoded order we must print.
	 */
	for (i = 0; i < n; i++) {
		e = X509_NAME_get_entry(name, i);
		set = X509_NAME_ENTRY_set(e);
		if (i > 0)
			sbuf_putc(&b, set == prev ? ' ' : ',');
		prev = set;
		if ((kw = msname_keyword_obj(X509_NAME_ENTRY_get_object(e))) !=
		    NULL)
			sbuf_puts(&b, kw);
		else if (OBJ_obj2txt(oid, sizeof(oid),
		    X509_NAME_ENTRY_get_object(e), 1) <= 0) {
			*why = "attribute type OID cannot be read";
			goto out;
		} else if ((kw = msname_keyword(oid)) != NULL)
			sbuf_puts(&b, kw);
		else {
			sbuf_puts(&b, "OID.");
			sbuf_puts(&b, oid);
		}
		sbuf_putc(&b, '=');
		s = X509_NAME_ENTRY_get_data(e);
		sbuf_reset(&val);
		if (msname_to_utf8(ASN1_STRING_type(s), ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), &val, why) == -1)
			goto out;
		msname_quote(&b, val.s ? val.s : "", val.len);
	}
	if ((out = sbuf_done(&b)) == NULL)
		*why = "out of memory";
out:
	sbuf_reset(&b);
	sbuf_reset(&val);
	return out;
}
