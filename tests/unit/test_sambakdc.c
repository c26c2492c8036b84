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

/* --kdc samba: the value written instead (NULL: none of this form). */
static const struct {
	const char	*value;
	const char	*samba;
	const char	*name;
} forms[] = {
	{ "X509:<I>DC=com,CN=CA<SR>1200AC", "X509:<I>DC=com,CN=CA<SR>1200AC",
	    "--kdc samba: an ordinary serial is kept" },
	{ "X509:<I>DC=com,DC=contoso,CN=CA<SR>4523C100",
	    "X509:<I>DC=com,DC=contoso,CN=CA<SR>4523C1",
	    "--kdc samba: top-bit serial without the sign byte" },
	{ "X509:<I>C=DE,CN=Mail CA,E=pki@example.org<SR>2143",
	    "X509:<I>C=DE,CN=Mail CA,emailAddress=pki@example.org<SR>2143",
	    "--kdc samba: E= written emailAddress=" },
	{ "X509:<I>E=a@b,CN=CA<SR>8A00",
	    "X509:<I>emailAddress=a@b,CN=CA<SR>8A", "--kdc samba: both" },
	{ "X509:<I>C=DE,CN=\"x, y\"<SR>2143", NULL,
	    "--kdc samba: a quoted comma: no value of this form" },
	{ "X509:<I>DC=com,CN=CA<SR>457F00", "X509:<I>DC=com,CN=CA<SR>457F00",
	    "--kdc samba: a 00 that is a serial byte stays" },
	{ "X509:<SKI>0A0B", "X509:<SKI>0A0B", "--kdc samba: SKI kept" },
};

int
main(void)
{
	const char	*why;
	size_t		 i;
	char		*n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = sambakdc_note(cases[i].value);
		tap_is(n, cases[i].note, cases[i].name);
		free(n);
	}
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		n = sambakdc_value(forms[i].value, &why);
		tap_is(n, forms[i].samba, forms[i].name);
		if (forms[i].samba == NULL)
			tap_is(why != NULL ? "why" : NULL, "why",
			    "--kdc samba: and says why");
		free(n);
	}
	return tap_done();
}
