/*
 * Table-driven checks of the CryptoAPI string rules: conversion of every
 * ASN.1 string type to UTF-8, and quoting.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>

#include "msname.h"
#include "sbuf.h"
#include "tap.h"

static const struct {
	const char	*name;
	int		 tag;
	const char	*in;
	size_t		 len;
	const char	*want;	/* NULL: must be refused */
} conv[] = {
	{ "UTF8String ASCII", V_ASN1_UTF8STRING, "Jane", 4, "Jane" },
	{ "UTF8String umlaut", V_ASN1_UTF8STRING, "M\xc3\xbcller", 7,
	    "M\xc3\xbcller" },
	{ "UTF8String invalid", V_ASN1_UTF8STRING, "M\xfcller", 6, NULL },
	{ "UTF8String overlong", V_ASN1_UTF8STRING, "\xc0\xaf", 2, NULL },
	{ "UTF8String embedded NUL", V_ASN1_UTF8STRING, "a\0b", 3, NULL },
	{ "T61String holding UTF-8", V_ASN1_T61STRING, "M\xc3\xbcller", 7,
	    "M\xc3\xbcller" },
	{ "T61String holding Latin-1", V_ASN1_T61STRING, "M\xfcller", 6,
	    "M\xc3\xbcller" },
	{ "PrintableString", V_ASN1_PRINTABLESTRING, "Contoso Ltd", 11,
	    "Contoso Ltd" },
	{ "IA5String", V_ASN1_IA5STRING, "a@b.c", 5, "a@b.c" },
	{ "BMPString", V_ASN1_BMPSTRING, "\0M\0\xfc\x03\xa9", 6,
	    "M\xc3\xbc\xce\xa9" },
	{ "BMPString surrogate pair", V_ASN1_BMPSTRING, "\xd8\x3d\xde\x00", 4,
	    "\xf0\x9f\x98\x80" },
	{ "BMPString lone surrogate", V_ASN1_BMPSTRING, "\xd8\x3d\0a", 4,
	    NULL },
	{ "BMPString odd length", V_ASN1_BMPSTRING, "\0a\0", 3, NULL },
	{ "BMPString NUL", V_ASN1_BMPSTRING, "\0\0", 2, NULL },
	{ "UniversalString", V_ASN1_UNIVERSALSTRING,
	    "\0\0\0J\0\0\x65\xe5", 8, "J\xe6\x97\xa5" },
	{ "UniversalString bad length", V_ASN1_UNIVERSALSTRING, "\0\0J", 3,
	    NULL },
	{ "OCTET STRING is not text", V_ASN1_OCTET_STRING, "x", 1, NULL },
};

static const struct {
	const char	*in;
	const char	*want;
} quote[] = {
	{ "Jane", "Jane" },
	{ "Smith, John", "\"Smith, John\"" },
	{ "ACME \"Labs\"", "\"ACME \"\"Labs\"\"\"" },
	{ " lead", "\" lead\"" },
	{ "trail ", "\"trail \"" },
	{ "tab\t", "\"tab\t\"" },
	{ "a+b", "\"a+b\"" },
	{ "a=b", "\"a=b\"" },
	{ "a<b", "\"a<b\"" },
	{ "a>b", "\"a>b\"" },
	{ "#1", "\"#1\"" },
	{ "a;b", "\"a;b\"" },
	{ "line\nfeed", "\"line\nfeed\"" },
	{ "C:\\dir", "C:\\dir" },
	{ "", "\"\"" },
	{ "in side", "in side" },
	{ "M\xc3\xbcller", "M\xc3\xbcller" },
};

int
main(void)
{
	struct sbuf	 b = SBUF_INIT;
	const char	*why;
	char		 name[128];
	size_t		 i;
	int		 r;

	for (i = 0; i < sizeof(conv) / sizeof(conv[0]); i++) {
		sbuf_reset(&b);
		r = msname_to_utf8(conv[i].tag, (const unsigned char *)conv[i].in,
		    conv[i].len, &b, &why);
		snprintf(name, sizeof(name), "convert %s", conv[i].name);
		if (conv[i].want == NULL) {
			tap_ok(r == -1 && why != NULL && b.len == 0, name);
		} else
			tap_is(r == 0 ? (b.s ? b.s : "") : NULL, conv[i].want,
			    name);
	}
	for (i = 0; i < sizeof(quote) / sizeof(quote[0]); i++) {
		sbuf_reset(&b);
		msname_quote(&b, quote[i].in, strlen(quote[i].in));
		snprintf(name, sizeof(name), "quote [%s]", quote[i].in);
		tap_is(b.s ? b.s : "", quote[i].want, name);
	}
	tap_is(msname_keyword("2.5.4.8"), "S", "stateOrProvinceName is S");
	tap_is(msname_keyword("1.2.840.113549.1.9.1"), "E", "emailAddress is E");
	tap_is(msname_keyword("0.9.2342.19200300.100.1.1"), NULL,
	    "UID has no keyword");
	sbuf_reset(&b);
	return tap_done();
}
