/*
 * altsec_casehash: the hash that lookups use to match a returned entry to
 * its batch's keys must be equal for every pair of values that
 * altsec_casecmp (or, for sAMAccountName and SIDs, strcasecmp) finds
 * equal; otherwise a hit would be lost.  Pairs that differ should differ.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "altsec.h"
#include "tap.h"

static const struct {
	const char	*a, *b;
} same[] = {
	{ "jdoe", "JDOE" },
	{ "Jane.Doe@Contoso.COM", "jane.doe@contoso.com" },
	{ "M\xc3\xbcller@contoso.com", "M\xc3\x9cLLER@CONTOSO.COM" },
	{ "X509:<I>O=M\xc3\xbcller \xc3\x96l GmbH,CN=\xc3\x84rzte CA<SR>017C",
	    "X509:<I>O=M\xc3\x9cLLER \xc3\x96L GMBH,CN=\xc3\x84RZTE CA<SR>017c" },
	{ "\xce\xa3\xce\xbf\xcf\x86\xce\xaf\xce\xb1", "\xce\xa3\xce\x9f\xce\xa6\xce\x8a\xce\x91" },
	{ "S-1-5-21-1-2-3-1001", "s-1-5-21-1-2-3-1001" },
	{ "", "" },
	{ "caf\xc3\xa9\xff", "CAF\xc3\x89\xff" },	/* invalid UTF-8 kept */
};

static const struct {
	const char	*a, *b;
} differ[] = {
	{ "jdoe", "jdoe2" },
	{ "X509:<I>CN=CA<SR>01", "X509:<I>CN=CA<SR>10" },
	{ "M\xc3\xbcller", "Muller" },
	{ "ab", "ba" },
	{ "S-1-5-21-1-2-3-1001", "S-1-5-21-1-2-3-1010" },
};

int
main(void)
{
	char	name[256];
	size_t	i;

	(void)tap_is;

	for (i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		snprintf(name, sizeof(name), "equal values hash alike (%zu)", i);
		tap_ok(altsec_casecmp(same[i].a, same[i].b) == 0 &&
		    altsec_casehash(same[i].a) == altsec_casehash(same[i].b),
		    name);
		if (strcasecmp(same[i].a, same[i].b) == 0) {
			snprintf(name, sizeof(name), "strcasecmp-equal values "
			    "hash alike (%zu)", i);
			tap_ok(altsec_casehash(same[i].a) ==
			    altsec_casehash(same[i].b), name);
		}
	}
	for (i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		snprintf(name, sizeof(name), "different values hash apart (%zu)",
		    i);
		tap_ok(altsec_casecmp(differ[i].a, differ[i].b) != 0 &&
		    altsec_casehash(differ[i].a) != altsec_casehash(differ[i].b),
		    name);
	}
	return tap_done();
}
