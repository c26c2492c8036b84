/*
 * test_upgrade: which weak values of an account a strong mapping of the
 * certificate replaces (--upgrade-weak now, --prune-weak's deletes later).
 */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "upgrade.h"

/* a modifiable copy of a literal (the values are char *) */
#define S(lit)	((char []){ lit })

int
main(void)
{
	char		*vals[ALTSEC_NTYPES] = { NULL };
	char		*have[] = {
		S("X509:<I>DC=com,CN=CA<SR>0102"),		/* strong: never */
		S("x509:<s>cn=jane"),			/* other case */
		S("X509:<I>DC=com,CN=CA<S>CN=Jane"),
		S("X509:<RFC822>jane@example.org"),
		S("X509:<S>CN=John"),			/* another cert */
		S("X509:<I>DC=com,CN=CA"),			/* issuer only */
		S("Kerberos:jane@EXAMPLE.ORG"),
	};
	struct strlist	 acct = { have, sizeof(have) / sizeof(have[0]) };
	struct strlist	 out = { NULL, 0 };
	long		 n;

	vals[ALTSEC_ISSUER_SERIAL] = S("X509:<I>DC=com,CN=CA<SR>0102");
	vals[ALTSEC_ISSUER_SUBJECT] = S("X509:<I>DC=com,CN=CA<S>CN=Jane");
	vals[ALTSEC_SUBJECT] = S("X509:<S>CN=Jane");
	vals[ALTSEC_RFC822] = S("X509:<RFC822>jane@example.org");
	vals[ALTSEC_ISSUER] = S("X509:<I>DC=com,CN=CA");
	n = upgrade_replaced(vals, &acct, &out);
	tap_ok(n == 3, "three weak values of the certificate found");
	tap_is(out.n > 0 ? out.v[0] : NULL, "x509:<s>cn=jane",
	    "subject-only, compared as AD does (case), the account's spelling");
	tap_is(out.n > 1 ? out.v[1] : NULL, "X509:<I>DC=com,CN=CA<S>CN=Jane",
	    "issuer and subject");
	tap_is(out.n > 2 ? out.v[2] : NULL, "X509:<RFC822>jane@example.org",
	    "e-mail");
	strlist_free(&out);
	vals[ALTSEC_SUBJECT] = vals[ALTSEC_ISSUER_SUBJECT] =
	    vals[ALTSEC_RFC822] = NULL;
	n = upgrade_replaced(vals, &acct, &out);
	tap_ok(n == 0 && out.n == 0, "issuer-only and strong values never "
	    "count as a weak mapping of the certificate");
	strlist_free(&out);
	return tap_done();
}
