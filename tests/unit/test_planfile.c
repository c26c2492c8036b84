/*
 * Reviewed plans and reports: a plan sealed by planfile_seal reads back
 * with its records, GUIDs and value lines; an edited, unsealed, URL- or
 * include-carrying, or incomplete plan is refused whole; --fail-on and
 * the expected refusals; the JSON report stays valid for any bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "planfile.h"
#include "report.h"
#include "sbuf.h"
#include "tap.h"

static char	dir[] = "/tmp/test-planfile-XXXXXX";

#define HEAD	"# certbulk 0.1.0: preview\n# " PLANFILE_MADE "1700000000\n" \
		"# " PLANFILE_DOMAIN "DC=x\n# " PLANFILE_INPUT "csv sha256=" \
		"00 u.csv\n\n"
#define GUID	"# certbulk-guid: 00112233445566778899aabbccddeeff\n"
#define VAL0	"# certbulk-value: 0 sha1=0123456789012345678901234567890123456789" \
		" not-before=1 not-after=4000000000\n"
#define REC	"dn: CN=u1,DC=x\nchangetype: modify\nadd: altSecurityIdentities\n" \
		"altSecurityIdentities: X509:<I>CN=a<SR>01\n-\n\n"

/* Writes BODY sealed (or as is) to the plan file; returns its path. */
static const char *
put(const char *body, int seal)
{
	static char	 path[128];
	struct sbuf	 b = SBUF_INIT;
	FILE		*fp;

	snprintf(path, sizeof(path), "%s/plan.ldif", dir);
	unlink(path);
	if (seal)
		planfile_seal(&b, body, strlen(body));
	else
		sbuf_puts(&b, body);
	fp = fopen(path, "w");
	fwrite(b.s, 1, b.len, fp);
	fclose(fp);
	chmod(path, 0600);
	sbuf_reset(&b);
	return path;
}

static const struct {
	const char	*body;
	const char	*name;
} refused[] = {
	{ HEAD GUID REC, "a value without its certbulk-value line" },
	{ HEAD GUID "# certbulk-value: 1 sha1=01 not-before=1 not-after=2\n" REC,
	    "a certbulk-value line for no value" },
	{ HEAD GUID VAL0 "dn: CN=u1,DC=x\nchangetype: modify\nadd: "
	    "altSecurityIdentities\naltSecurityIdentities:< file:///etc/passwd"
	    "\n-\n\n", "a URL value" },
	{ HEAD GUID VAL0 "dn: CN=u1,DC=x\nchangetype: modify\nadd: "
	    "altSecurityIdentities\naltSecurityIdentities:\n < file:///etc/"
	    "passwd\n-\n\n", "a folded URL value" },
	{ HEAD "InClUdE: file:///etc/passwd\n\n", "an include: line" },
	{ HEAD GUID VAL0 "dn: CN=u1,DC=x\nchangetype: modify\nreplace: "
	    "altSecurityIdentities\naltSecurityIdentities: X\n-\n\n",
	    "a replace: block" },
	{ HEAD GUID VAL0 "dn: CN=u1,DC=x\nchangetype: modify\nadd: "
	    "userPassword\nuserPassword: X\n-\n\n", "another attribute" },
	{ HEAD GUID VAL0 "dn: CN=u1,DC=x\nchangetype: delete\n\n",
	    "a delete record" },
	{ HEAD GUID VAL0 "dn: CN=u1,DC=x\r\nchangetype: modify\n\n",
	    "a carriage return" },
	{ "# certbulk 0.1.0: preview\n\n" GUID VAL0 REC,
	    "no certbulk-plan-made / domain lines" },
};

int
main(void)
{
	struct planfile	 pf;
	struct sbuf	 b = SBUF_INIT;
	const char	*path;
	char		 name[160], *edited;
	unsigned	 m = 0;
	size_t		 i;

	msg_verbosity = -2;
	umask(077);
	if (mkdtemp(dir) == NULL)
		return 1;

	path = put(HEAD GUID VAL0 REC, 1);
	tap_ok(planfile_read(path, &pf) == 0, "a sealed plan reads back");
	tap_ok(pf.cs.n == 1 && pf.cs.v[0].add.n == 1, "one record, one value");
	tap_is(pf.cs.v[0].guid, "00112233445566778899aabbccddeeff", "its GUID");
	tap_is(pf.cs.v[0].add.v[0], "X509:<I>CN=a<SR>01", "its value");
	tap_is(pf.vals[0][0].sha1, "0123456789012345678901234567890123456789",
	    "the value's thumbprint");
	tap_ok(pf.vals[0][0].not_after == 4000000000LL, "its not-after");
	tap_ok(pf.made == 1700000000, "the time it was made");
	tap_is(pf.domain, "DC=x", "the domain");
	tap_ok(pf.inputs.n == 1, "the input line");
	planfile_free(&pf);

	path = put(HEAD GUID VAL0 REC, 0);
	tap_ok(planfile_read(path, &pf) == -1, "refused: no seal");
	/* sealed, then one byte changed */
	planfile_seal(&b, HEAD GUID VAL0 REC, strlen(HEAD GUID VAL0 REC));
	edited = strstr(b.s, "<SR>01");
	edited[5] = '2';
	path = put(b.s, 0);
	tap_ok(planfile_read(path, &pf) == -1, "refused: edited after sealing");
	sbuf_reset(&b);
	path = put(HEAD GUID VAL0 REC, 1);
	chmod(path, 0620);
	tap_ok(planfile_read(path, &pf) == -1, "refused: group-writable");
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		path = put(refused[i].body, 1);
		snprintf(name, sizeof(name), "refused though sealed: %s",
		    refused[i].name);
		tap_ok(planfile_read(path, &pf) == -1, name);
	}

	tap_ok(report_parse_failon("expired,unknown-user", &m) == 0 &&
	    m == (REPORT_FAIL_EXPIRED | REPORT_FAIL_UNKNOWN), "--fail-on list");
	tap_ok(report_parse_failon("duplicate-holder", &m) == -1,
	    "--fail-on: not an expected refusal");
	tap_ok(report_expected(REASON_EXPIRED, 0) == 1, "expired: expected");
	tap_ok(report_expected(REASON_EXPIRED, REPORT_FAIL_EXPIRED) == 0,
	    "expired with --fail-on expired: a failure");
	tap_ok(report_expected(REASON_NOT_YET_VALID, REPORT_FAIL_EXPIRED) == 1,
	    "not-yet-valid: still expected");
	tap_ok(report_expected(REASON_DUP, 0) == 0, "duplicate-holder: a failure");
	tap_ok(report_expected("identity-mismatch", 0) == 0,
	    "another module's code: a failure");

	/* a JSON report with hostile bytes parses (checked by perl) */
	{
		struct report		*r;
		struct report_row	 w;
		const char		*v[] = { "X509:<I>CN=\"q\\\"<SR>01" };
		char			 jp[160], cmd[400];

		snprintf(jp, sizeof(jp), "%s/r.json", dir);
		r = report_open(jp, 1);
		memset(&w, 0, sizeof(w));
		w.source = "bad\xff\x01\nname\xc3\xa9.pem";
		w.outcome = REPORT_MAPPED;
		w.account = "CN=Jos\xc3\xa9,DC=x";
		w.values = v;
		w.nvalues = 1;
		report_row(r, &w);
		report_row(r, &w);
		tap_ok(report_close(r) == 0, "JSON report written");
		snprintf(cmd, sizeof(cmd), "perl -MJSON::PP -e 'local $/; my $d"
		    " = JSON::PP->new->decode(<STDIN>); exit(@$d == 2 && "
		    "$d->[0]{values}[0] eq q{X509:<I>CN=\"q\\\"<SR>01} ? 0 : 1)' "
		    "<%s", jp);
		tap_ok(system(cmd) == 0, "the JSON parses, values intact");
	}
	return tap_done();
}
