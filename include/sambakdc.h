/*
 * sambakdc: where Samba's KDC matches an altSecurityIdentities value
 * differently from a Windows DC.  Samba 4.24 (the first release that
 * enforces strong binding) parses a stored value and compares its parts
 * with the certificate instead of building the string as Windows does;
 * measured by make check-kdc: a serial whose top bit is set matches only
 * without the trailing 00 sign byte, an issuer's E= only when written
 * emailAddress=, and a name is split at every comma, so a quoted value
 * holding one never matches.
 */
#ifndef CERTBULK_SAMBAKDC_H
#define CERTBULK_SAMBAKDC_H

#include "input.h"

/*
 * For a strong X509: VALUE in the Windows form: NULL if a Samba KDC
 * matches it as a Windows DC does, else a note (caller frees) saying why
 * it does not and, where one exists, the value it matches instead.
 */
char	*sambakdc_note(const char *value);

/*
 * The value of the same form as the Windows-form X509: VALUE that a Samba
 * KDC matches (caller frees): VALUE itself where Samba matches it, else
 * with the serial's trailing 00 sign byte dropped and E= written
 * emailAddress=.  NULL with *WHY (static) when Samba matches no value of
 * this form (an issuer with a quoted value); NULL with *WHY NULL on
 * ENOMEM.
 */
char	*sambakdc_value(const char *value, const char **why);

/*
 * --kdc samba: rewrites every item's strong values in IN as
 * sambakdc_value says; a form Samba cannot match is dropped, with its
 * reason in the item's fact.why (the plan reports it).  Weak values are
 * left as they are.  0, or -1 on ENOMEM (reported).
 */
int	sambakdc_items(struct input *in);

#endif
