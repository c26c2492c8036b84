/*
 * test_sambakdc: which strong values a Samba KDC will not match, and the
 * value it matches instead (the rules measured by make check-kdc).
 */
#include <stdlib.h>

#include "sambakdc.h"
#include "tap.h"

static const struct {
	const char	*value;
	const char	*note;	/* NULL: Samba matches it as Windows does */
	const char	*name;
} cases[] = {
	{ "X509:<I>DC=com,DC=contoso,CN=CA<SR>1200000000AC11000000002B", NULL,
	    "ordinary serial" },
	{ "X509:<I>DC=com,DC=contoso,CN=CA<SR>4523C100",
	    "a Samba KDC will not match this value (it wants the serial "
	    "without the trailing 00 sign byte); it matches "
	    "X509:<I>DC=com,DC=contoso,CN=CA<SR>4523C1",
	    "top-bit serial: the sign byte comes last" },
	{ "X509:<I>DC=com,DC=contoso,CN=CA<SR>4523c100",
	    "a Samba KDC will not match this value (it wants the serial "
	    "without the trailing 00 sign byte); it matches "
	    "X509:<I>DC=com,DC=contoso,CN=CA<SR>4523c1",
	    "lower-case hex" },
	{ "X509:<I>DC=com,CN=CA<SR>457F00", NULL,
	    "a trailing 00 that is a serial byte (0x7F before it)" },
	{ "X509:<I>DC=com,CN=CA<SR>00", NULL, "serial 00" },
	{ "X509:<I>C=DE,CN=Mail CA,E=pki@example.org<SR>2143",
	    "a Samba KDC will not match this value (it wants emailAddress= "
	    "for E=); it matches "
	    "X509:<I>C=DE,CN=Mail CA,emailAddress=pki@example.org<SR>2143",
	    "E= in the issuer" },
	{ "X509:<I>C=DE,CN=\"E=x, y\"<SR>2143",
	    "a Samba KDC will not match this value (it splits the issuer at "
	    "every comma, quoted or not): use X509SKI or X509SHA1PublicKey",
	    "E= inside a quoted value is not a keyword; the comma is fatal" },
	{ "X509:<I>E=a@b,CN=CA<SR>8A00",
	    "a Samba KDC will not match this value (it wants the serial "
	    "without the trailing 00 sign byte; it wants emailAddress= for "
	    "E=); it matches X509:<I>emailAddress=a@b,CN=CA<SR>8A",
	    "both at once" },
	{ "X509:<SKI>0A0B", NULL, "SKI" },
	{ "X509:<SHA1-PUKEY>00112233445566778899AABBCCDDEEFF00112233", NULL,
	    "SHA1-PUKEY" },
	{ "Kerberos:a@B", NULL, "Kerberos:" },
};

int
main(void)
{
	size_t	i;
	char	*n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = sambakdc_note(cases[i].value);
		tap_is(n, cases[i].note, cases[i].name);
		free(n);
	}
	return tap_done();
}
