/*
 * altsec_casecmp walks the ASCII run of both strings before it measures
 * them: the plan's and the run state's binary searches compare long values
 * that share most of their bytes.  It must order every pair exactly as the
 * plain walk over the code points (kept here as the reference) does,
 * also when the run ends inside a UTF-8 sequence, at invalid bytes, or at
 * the end of one string.
 */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "altsec.h"
#include "tap.h"
#include "utf8.h"

static unsigned long
ref_fold(unsigned long cp)
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

/* The comparison as it was before the ASCII walk. */
static int
ref_casecmp(const char *a, const char *b)
{
	size_t		 na = strlen(a), nb = strlen(b), la, lb;
	unsigned long	 ca, cb;

	while (na > 0 && nb > 0) {
		if ((unsigned char)*a < 0x80 && (unsigned char)*b < 0x80) {
			ca = ref_fold((unsigned char)*a);
			cb = ref_fold((unsigned char)*b);
			la = lb = 1;
		} else {
			la = utf8_get(a, na, &ca);
			lb = utf8_get(b, nb, &cb);
			ca = ref_fold(ca);
			cb = ref_fold(cb);
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

static int
sign(int v)
{
	return v < 0 ? -1 : v > 0;
}

static const char *const piece[] = {
	"a", "A", "z", "Z", "0", "<", "\\", "_", "@", "[", "`", "{", "~",
	"\x7f", "\x01",
	"\xc3\xbc", "\xc3\x9c", "\xc3\xa9", "\xc3\x89", "\xce\xa3", "\xcf\x83",
	"\xe2\x82\xac", "\xf0\x9f\x98\x80",
	"\xc3", "\x80", "\xff", "\xe2\x82",	/* truncated or invalid */
};
#define NPIECE	(sizeof(piece) / sizeof(piece[0]))

/* Up to MAX random pieces into S (room for 4 * MAX + 1). */
static void
randstr(char *s, int max)
{
	int	n = rand() % (max + 1), i;

	*s = '\0';
	for (i = 0; i < n; i++)
		strcat(s, piece[(size_t)rand() % NPIECE]);
}

/* A long ASCII run in two cases, as two values of one CA share. */
static const char *const prefix[] = {
	"", "X509:<I>CN=Bench CA<SR>", "x509:<i>cn=bench ca<sr>",
	"X509:<I>DC=com,DC=contoso,CN=Contoso Issuing CA 01<S>CN=",
};
#define NPREFIX	(sizeof(prefix) / sizeof(prefix[0]))

int
main(void)
{
	char	a[512], b[512], x[64], y[64];
	size_t	i, bad = 0, shown = 0;

	(void)tap_is;
	srand(20261201);
	for (i = 0; i < 200000; i++) {
		randstr(x, 8);
		if (rand() % 3 == 0)
			strcpy(y, x);	/* equal, or equal but the tail */
		else
			randstr(y, 8);
		if (rand() % 2 == 0) {
			randstr(a, 2);
			strcat(y, a);
		}
		snprintf(a, sizeof(a), "%s%s", prefix[(size_t)rand() % NPREFIX],
		    x);
		snprintf(b, sizeof(b), "%s%s", prefix[(size_t)rand() % NPREFIX],
		    y);
		if (sign(altsec_casecmp(a, b)) != sign(ref_casecmp(a, b)) ||
		    sign(altsec_casecmp(b, a)) != sign(ref_casecmp(b, a))) {
			if (shown++ < 5)
				printf("# differs: \"%s\" vs \"%s\": %d, "
				    "reference %d\n", a, b,
				    altsec_casecmp(a, b), ref_casecmp(a, b));
			bad++;
		}
	}
	tap_ok(bad == 0, "200,000 random pairs ordered as the plain walk");
	tap_ok(altsec_casecmp("", "") == 0 && altsec_casecmp("a", "") > 0 &&
	    altsec_casecmp("", "a") < 0, "the empty string");
	tap_ok(altsec_casecmp("X509:<I>CN=CA<SR>0A", "x509:<i>cn=ca<sr>0a") ==
	    0, "ASCII case folded");
	tap_ok(altsec_casecmp("[", "a") < 0 && altsec_casecmp("[", "A") < 0,
	    "letters fold before they are ordered ([ is 0x5B)");
	tap_ok(altsec_casecmp("M\xc3\xbcller", "M\xc3\x9cLLER") == 0,
	    "the walk hands over to UTF-8 at the first non-ASCII byte");
	return tap_done();
}
