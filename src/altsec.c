#include <locale.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

#include "altsec.h"
#include "sbuf.h"
#include "utf8.h"

static const char *const altsec_names[ALTSEC_NTYPES] = {
	"X509IssuerSerialNumber",
	"X509SKI",
	"X509SHA1PublicKey",
	"X509IssuerSubject",
	"X509SubjectOnly",
	"X509RFC822",
	"X509Issuer",
	"X509IssuerSID",
};

const char *
altsec_type_name(enum altsec_type t)
{
	return (unsigned)t < ALTSEC_NTYPES ? altsec_names[t] : "?";
}

int
altsec_is_strong(enum altsec_type t)
{
	return ((ALTSEC_STRONG | ALTSEC_BIT(ALTSEC_ISSUER_SID)) &
	    ALTSEC_BIT(t)) != 0;
}

int
altsec_parse_types(const char *list, unsigned *mask, const char **bad)
{
	const char	*p = list, *e;
	size_t		 n, t;
	unsigned	 m = 0;

	*bad = list;
	if (*list == '\0')
		return -1;
	while (*p != '\0') {
		e = p + strcspn(p, ",");
		n = (size_t)(e - p);
		*bad = p;
		if (n == 6 && strncasecmp(p, "strong", n) == 0)
			m |= ALTSEC_STRONG;
		else if (n == 3 && strncasecmp(p, "all", n) == 0)
			m |= ALTSEC_ALL;
		else {
			for (t = 0; t < ALTSEC_NTYPES; t++)
				if (strlen(altsec_names[t]) == n &&
				    strncasecmp(p, altsec_names[t], n) == 0)
					break;
			if (t == ALTSEC_NTYPES)
				return -1;
			m |= ALTSEC_BIT(t);
		}
		p = *e == ',' ? e + 1 : e;
		if (*e == ',' && *p == '\0') {
			*bad = p;
			return -1;
		}
	}
	*mask = m;
	return 0;
}

char *
altsec_value(const struct cert *c, enum altsec_type t, const char **why,
    int *fallback)
{
	struct sbuf	 b = SBUF_INIT;
	const char	*issuer, *subject, *ski, *iwhy, *swhy, *email;
	char		*out;

	*why = NULL;
	*fallback = 0;
	issuer = cert_ms_issuer(c, &iwhy);
	subject = cert_ms_subject(c, &swhy);
	sbuf_puts(&b, "X509:");
	switch (t) {
	case ALTSEC_ISSUER_SERIAL:
	case ALTSEC_ISSUER_SUBJECT:
	case ALTSEC_ISSUER:
	case ALTSEC_ISSUER_SID:
		if (issuer == NULL) {
			*why = iwhy;
			goto fail;
		}
		sbuf_puts(&b, "<I>");
		sbuf_puts(&b, issuer);
		if (t == ALTSEC_ISSUER_SERIAL) {
			sbuf_puts(&b, "<SR>");
			sbuf_puts(&b, cert_ms_serial(c));
		} else if (t == ALTSEC_ISSUER_SUBJECT) {
			if (subject == NULL) {
				*why = swhy;
				goto fail;
			}
			sbuf_puts(&b, "<S>");
			sbuf_puts(&b, subject);
		} else if (t == ALTSEC_ISSUER_SID) {
			/* the SID the certificate carries; never the account's */
			if (cert_sid(c) == NULL) {
				*why = cert_sid_clash(c) != NULL ?
				    "the certificate's SID extension and SAN "
				    "URI name different SIDs" :
				    "the certificate carries no SID (extension "
				    "or SAN URI)";
				goto fail;
			}
			sbuf_puts(&b, "<SID>");
			sbuf_puts(&b, cert_sid(c));
		}
		break;
	case ALTSEC_SUBJECT:
		if (subject == NULL) {
			*why = swhy;
			goto fail;
		}
		sbuf_puts(&b, "<S>");
		sbuf_puts(&b, subject);
		break;
	case ALTSEC_SKI:
		if ((ski = cert_ms_ski(c, why)) == NULL)
			goto fail;
		sbuf_puts(&b, "<SKI>");
		sbuf_puts(&b, ski);
		break;
	case ALTSEC_SHA1_PUKEY:
		sbuf_puts(&b, "<SHA1-PUKEY>");
		sbuf_puts(&b, cert_sha1(c));
		break;
	case ALTSEC_RFC822:
		if (cert_emails(c)->n > 0)
			email = cert_emails(c)->v[0];
		else if ((email = cert_subject_email(c)) != NULL)
			*fallback = 1;
		else {
			*why = "no e-mail address in subjectAltName or subject";
			goto fail;
		}
		sbuf_puts(&b, "<RFC822>");
		sbuf_puts(&b, email);
		break;
	default:
		*why = "unknown mapping form";
		goto fail;
	}
	if ((out = sbuf_done(&b)) == NULL)
		*why = "out of memory";
	return out;
fail:
	sbuf_reset(&b);
	return NULL;
}

/*
 * Folds one code point to lower case with the C.UTF-8 locale's tables
 * (locale-independent), so that Müller and MÜLLER compare equal as they
 * do in AD.  Made once; if the locale is missing only ASCII is folded.
 */
static unsigned long
altsec_fold(unsigned long cp)
{
	static locale_t	loc;
	static int	tried;

	if (cp < 0x80)
		return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
	if (!tried) {
		tried = 1;
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	}
	return loc != (locale_t)0 ? (unsigned long)towlower_l((wint_t)cp, loc) :
	    cp;
}

int
altsec_casecmp(const char *a, const char *b)
{
	size_t		 na, nb, la, lb;
	unsigned long	 ca, cb;
	unsigned char	 x, y;

	/*
	 * The ASCII run first, without measuring the strings: the binary
	 * searches of the plan and the run state compare long values that
	 * share most of their bytes.  Each ASCII byte is one character, so
	 * the loop below starts where it would have got to by itself.
	 */
	for (;; a++, b++) {
		x = (unsigned char)*a;
		y = (unsigned char)*b;
		if (x >= 0x80 || y >= 0x80)
			break;
		if (x == '\0' || y == '\0')
			return x != '\0' ? 1 : y != '\0' ? -1 : 0;
		if (x != y && (ca = altsec_fold(x)) != (cb = altsec_fold(y)))
			return ca < cb ? -1 : 1;
	}
	na = strlen(a);
	nb = strlen(b);
	while (na > 0 && nb > 0) {
		if ((unsigned char)*a < 0x80 && (unsigned char)*b < 0x80) {
			ca = altsec_fold((unsigned char)*a);
			cb = altsec_fold((unsigned char)*b);
			la = lb = 1;
		} else {
			la = utf8_get(a, na, &ca);
			lb = utf8_get(b, nb, &cb);
			ca = altsec_fold(ca);
			cb = altsec_fold(cb);
		}
		if (ca != cb)
			return ca < cb ? -1 : 1;
		a += la;
		na -= la;
		b += lb;
		nb -= lb;
	}
	return na > 0 ? 1 : nb > 0 ? -1 : 0;
}

/*
 * FNV-1a over the folded code points, decoded exactly as altsec_casecmp
 * decodes them: strings it finds equal (and those strcasecmp finds equal)
 * hash alike, so a hash table can stand in for comparing with every key.
 */
unsigned long
altsec_casehash(const char *s)
{
	uint64_t	 h = 14695981039346656037ULL;
	size_t		 n = strlen(s), l;
	unsigned long	 c;

	while (n > 0) {
		if ((unsigned char)*s < 0x80) {
			c = altsec_fold((unsigned char)*s);
			l = 1;
		} else {
			l = utf8_get(s, n, &c);
			c = altsec_fold(c);
		}
		h = (h ^ (c & 0xff)) * 1099511628211ULL;
		h = (h ^ (c >> 8)) * 1099511628211ULL;
		s += l;
		n -= l;
	}
	return (unsigned long)h;
}

int
altsec_is_x509(const char *v)
{
	return strncasecmp(v, "X509:", 5) == 0;
}
