/*
 * upgrade: --upgrade-weak, strong mappings for accounts that still log on
 * (or did, before full enforcement) with a weak mapping of the same
 * certificate.  The accounts are found by the certificate's weak values;
 * the run then adds the strong values as any run does.
 */
#ifndef CERTBULK_UPGRADE_H
#define CERTBULK_UPGRADE_H

#include "altsec.h"
#include "cert.h"

/*
 * The weak forms an account may hold for a certificate and that
 * --upgrade-weak looks for: X509IssuerSubject, X509SubjectOnly and
 * X509RFC822.  (X509Issuer alone names no certificate, only its CA.)
 */
#define UPGRADE_WEAK_TYPES	(ALTSEC_BIT(ALTSEC_ISSUER_SUBJECT) | \
				 ALTSEC_BIT(ALTSEC_SUBJECT) | \
				 ALTSEC_BIT(ALTSEC_RFC822))

/*
 * Which of an account's values ALTSEC are weak mappings of the
 * certificate whose values (one per form, NULL where none) are
 * VALS[ALTSEC_NTYPES]: the values a strong mapping of it replaces, and
 * that --prune-weak is to remove (once the plan can delete single values:
 * see the man page).  Compared as AD compares the attribute.  Copies are
 * appended to OUT; returns how many, or -1 on ENOMEM.
 */
long	upgrade_replaced(char *const *vals, const struct strlist *altsec,
	    struct strlist *out);

#endif
