/*
 * Table-driven checks of the small parsers: --type lists, SID strings,
 * DNs, user identifier shapes, UTF-8 validation, TSV field escaping.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "altsec.h"
#include "dir.h"
#include "input.h"
#include "msg.h"
#include "tap.h"
#include "utf8.h"

static const struct {
	const char	*list;
	int		 ok;
	unsigned	 mask;
} types[] = {
	{ "strong", 1, ALTSEC_STRONG },
	{ "all", 1, ALTSEC_ALL },
	{ "X509IssuerSerialNumber", 1, ALTSEC_BIT(ALTSEC_ISSUER_SERIAL) },
	{ "x509ski,X509SHA1PublicKey", 1,
	    ALTSEC_BIT(ALTSEC_SKI) | ALTSEC_BIT(ALTSEC_SHA1_PUKEY) },
	{ "X509RFC822,X509Issuer", 1,
	    ALTSEC_BIT(ALTSEC_RFC822) | ALTSEC_BIT(ALTSEC_ISSUER) },
	{ "X509SubjectOnly,strong", 1,
	    ALTSEC_BIT(ALTSEC_SUBJECT) | ALTSEC_STRONG },
	{ "", 0, 0 },
	{ "X509", 0, 0 },
	{ "strong,", 0, 0 },
	{ "X509IssuerSerialNumberX", 0, 0 },
};

static const struct {
	const char	*sid;
	const char	*hex;	/* NULL: refused */
} sids[] = {
	{ "S-1-5-21-1111111111-2222222222-3333333333-1105",
	    "010500000000000515000000C7353A428E6B748455A1AEC651040000" },
	{ "S-1-5-32-544", "01020000000000052000000020020000" },
	{ "S-1-1-0", "010100000000000100000000" },
	{ "S-1-5-21-4294967295", "010200000000000515000000FFFFFFFF" },
	{ "S-1-281474976710655", "0100FFFFFFFFFFFF" },
	{ "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15",
	    "010F000000000005010000000200000003000000040000000500000006000000"
	    "0700000008000000090000000A0000000B0000000C0000000D0000000E000000"
	    "0F000000" },
	{ "S-1-5-21-4294967296", NULL },
	{ "S-1-281474976710656", NULL },
	{ "S-1-5-1-2-3-4-5-6-7-8-9-10-11-12-13-14-15-16", NULL },
	{ "S-1-5-", NULL },
	{ "S-1-", NULL },
	{ "S-1-5--21", NULL },
	{ "S-1-5-+21", NULL },
	{ "S-1-5- 21", NULL },
	{ "S-1-5-21-", NULL },
	{ "S-1-5-18446744073709551617", NULL },
	{ "S-2-5-21", NULL },
	{ "jdoe", NULL },
};

/* DNs a CSV row may name: RFC 4514 as ldap_str2dn reads it. */
static const struct {
	const char	*dn;
	int		 ok;
} dns[] = {
	{ "CN=Doe\\, John,OU=Staff,DC=contoso,DC=com", 1 },
	{ "cn=a+sn=b,dc=x", 1 },
	{ "CN=x", 1 },
	{ "", 0 },
	{ "=", 0 },
	{ "CN=a+", 0 },
	{ "CN=x,,DC=y", 0 },
	{ "CN", 0 },
	{ ",DC=y", 0 },
};

/* show --tsv FILE column: reversible, one line */
static const struct {
	const char	*in;
	const char	*out;
} fields[] = {
	{ "a.pem", "a.pem" },
	{ "t\tab\nnl\\bs\rcr.pem", "t\\tab\\nnl\\\\bs\\rcr.pem" },
	{ "e\x1b[31m\x7f.pem", "e\\x1B[31m\\x7F.pem" },
	{ "bad\xff\xfe.pem", "bad\\xFF\\xFE.pem" },
	{ "J\xc3\xbcrgen.pem", "J\xc3\xbcrgen.pem" },
};

static const struct {
	const char	*ident;
	enum id_kind	 kind;
} shapes[] = {
	{ "jdoe", ID_SAM },
	{ "CONTOSO\\jdoe", ID_SAM },
	{ "jdoe@contoso.com", ID_UPN },
	{ "CN=Doe\\, John,OU=Staff,DC=contoso,DC=com", ID_DN },
	{ "S-1-5-21-1-2-3-500", ID_SID },
	{ "s-1-5-21-1-2-3-500", ID_SID },
};

int
main(void)
{
	unsigned char	 bin[80];
	char		 hex[200], name[160], *esc;
	const char	*bad;
	unsigned	 mask;
	size_t		 i, j, len;
	int		 r;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		mask = 0;
		r = altsec_parse_types(types[i].list, &mask, &bad);
		snprintf(name, sizeof(name), "--type \"%s\"", types[i].list);
		tap_ok(types[i].ok ? r == 0 && mask == types[i].mask : r == -1,
		    name);
	}
	for (i = 0; i < sizeof(sids) / sizeof(sids[0]); i++) {
		snprintf(name, sizeof(name), "SID %s", sids[i].sid);
		r = dir_sid_to_bin(sids[i].sid, bin, &len);
		if (sids[i].hex == NULL) {
			tap_ok(r == -1, name);
			continue;
		}
		for (j = 0; r == 0 && j < len; j++)
			snprintf(hex + 2 * j, 3, "%02X", bin[j]);
		tap_is(r == 0 ? hex : NULL, sids[i].hex, name);
	}
	for (i = 0; i < sizeof(sids) / sizeof(sids[0]); i++) {
		snprintf(name, sizeof(name), "dir_sid_valid %s", sids[i].sid);
		tap_ok(dir_sid_valid(sids[i].sid) == (sids[i].hex != NULL),
		    name);
	}
	for (i = 0; i < sizeof(dns) / sizeof(dns[0]); i++) {
		snprintf(name, sizeof(name), "DN \"%s\" %s", dns[i].dn,
		    dns[i].ok ? "taken" : "refused");
		tap_ok(dir_dn_valid(dns[i].dn) == dns[i].ok, name);
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		snprintf(name, sizeof(name), "msg_escape_field %zu", i);
		esc = msg_escape_field(fields[i].in, strlen(fields[i].in));
		tap_is(esc, fields[i].out, name);
		free(esc);
	}
	for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		snprintf(name, sizeof(name), "identifier shape %s",
		    shapes[i].ident);
		tap_ok(input_guess_kind(shapes[i].ident) == shapes[i].kind,
		    name);
	}
	tap_ok(utf8_valid("\xe6\x97\xa5", 3), "UTF-8 3-byte sequence");
	tap_ok(!utf8_valid("\xed\xa0\x80", 3), "UTF-8 surrogate refused");
	tap_ok(!utf8_valid("\xf4\x90\x80\x80", 4), "UTF-8 above U+10FFFF");
	tap_ok(!utf8_valid("\xe6\x97", 2), "UTF-8 truncated");
	tap_is(altsec_type_name(ALTSEC_SHA1_PUKEY), "X509SHA1PublicKey",
	    "form name");
	tap_ok(altsec_casecmp("X509:<I>DC=com<SR>0A", "x509:<i>dc=COM<sr>0a") == 0,
	    "values compare case-insensitively");
	tap_ok(altsec_casecmp("X509:<S>CN=a b", "X509:<S>CN=a  b") != 0,
	    "spaces matter");
	tap_ok(altsec_casecmp("X509:<S>CN=M\xc3\xbcller",
	    "X509:<S>CN=M\xc3\x9cLLER") == 0, "non-ASCII letters fold too");
	tap_ok(altsec_casecmp("X509:<S>CN=\xd0\x98\xd0\xb2\xd0\xb0\xd0\xbd",
	    "x509:<s>cn=\xd0\xb8\xd0\x92\xd0\x90\xd0\x9d") == 0,
	    "Cyrillic folds");
	tap_ok(altsec_casecmp("X509:<S>CN=M\xc3\xbcller", "X509:<S>CN=Muller") != 0,
	    "accents are not dropped");
	tap_ok(altsec_casecmp("a", "ab") < 0 && altsec_casecmp("ab", "a") > 0,
	    "a prefix sorts first");
	tap_ok(altsec_casecmp("\xff", "\xff") == 0 && altsec_casecmp("\xfe", "\xff") < 0,
	    "bytes that are not UTF-8 compare as themselves");
	return tap_done();
}
