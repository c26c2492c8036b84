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

/*
 * For a strong X509: VALUE in the Windows form: NULL if a Samba KDC
 * matches it as a Windows DC does, else a note (caller frees) saying why
 * it does not and, where one exists, the value it matches instead.
 */
char	*sambakdc_note(const char *value);

#endif
