/*
 * The KDC event exports (kdcev.c) and the SAN URI SID: samples written
 * after Microsoft's documented event text and data names (KB5014754,
 * events 39/40/41 of Microsoft-Windows-Kerberos-Key-Distribution-Center)
 * and the two export shapes, Export-Csv and wevtutil /f:xml.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "kdcev.h"
#include "msg.h"
#include "tap.h"

#define MSG39 "The Key Distribution Center (KDC) encountered a user " \
	"certificate that was valid but could not be mapped to a user in a " \
	"strong way (such as via explicit mapping, key trust mapping, or a " \
	"SID). Such certificates should either be replaced or mapped " \
	"directly to the user via explicit mapping. See " \
	"https://go.microsoft.com/fwlink/?linkid=2189925 to learn more.\r\n\r\n"

/* Get-WinEvent ... | Export-Csv (Windows PowerShell 5.1) */
static const char csv[] =
    "#TYPE System.Diagnostics.Eventing.Reader.EventLogRecord\r\n"
    "\"Message\",\"Id\",\"Version\",\"Qualifiers\",\"Level\",\"Task\","
    "\"RecordId\",\"ProviderName\",\"LogName\",\"MachineName\","
    "\"TimeCreated\",\"Properties\"\r\n"
    "\"" MSG39 "User: jdoe\r\nCertificate Subject: @@@CN=Jane Doe\r\n"
    "Certificate Issuer: contoso-CA\r\n"
    "Certificate Serial Number: 2B0000000011AC0000000012\r\n"
    "Certificate Thumbprint: 9e61045b7676e7b8d2f8b9b4d425c628a8431aa0\","
    "\"39\",\"0\",\"32768\",\"3\",\"0\",\"1201\","
    "\"Microsoft-Windows-Kerberos-Key-Distribution-Center\",\"System\","
    "\"DC1.contoso.com\",\"11/30/2026 8:13:36 PM\","
    "\"System.Collections.ObjectModel.ReadOnlyCollection`1[...]\"\r\n"
    "\"The Key Distribution Center (KDC) encountered a user certificate "
    "that was valid but contained a different SID than the user to which "
    "it mapped.\r\n\r\nUser: PC01$\r\nUser SID: S-1-5-21-1-2-3-1105\r\n"
    "Certificate Subject: CN=pc01.contoso.com\r\n"
    "Certificate Issuer: CN=contoso-CA, DC=contoso, DC=com\r\n"
    "Certificate Serial Number: 61 00 00 00 12\r\n"
    "Certificate Thumbprint: \r\nCertificate SID: S-1-5-21-1-2-3-1999\","
    "\"41\",\"0\",\"32768\",\"2\",\"0\",\"1202\","
    "\"Microsoft-Windows-Kerberos-Key-Distribution-Center\",\"System\","
    "\"DC2.contoso.com\",\"11/30/2026 8:14:00 PM\",\"\"\r\n"
    "\"The Service Control Manager ...\",\"39\",\"0\",\"\",\"4\",\"0\","
    "\"1203\",\"Service Control Manager\",\"System\",\"DC1\",\"\",\"\"\r\n"
    "\"" MSG39 "User: nobody\r\nCertificate Subject: CN=x\r\n\",\"39\",\"0\","
    "\"\",\"3\",\"0\",\"1204\","
    "\"Microsoft-Windows-Kerberos-Key-Distribution-Center\",\"System\","
    "\"DC1\",\"\",\"\"\r\n";

/* wevtutil qe System /q:"*[System[(EventID=39)]]" /f:xml */
static const char xml[] =
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
    "<System><Provider Name='Microsoft-Windows-Kerberos-Key-Distribution-"
    "Center' Guid='{3FD9DA1A-5A54-46C5-9A26-9BD7C0685056}' "
    "EventSourceName='Kdc'/><EventID Qualifiers='32768'>39</EventID>"
    "<Version>0</Version><Level>3</Level><Task>0</Task><Opcode>0</Opcode>"
    "<Keywords>0x80000000000000</Keywords><TimeCreated "
    "SystemTime='2026-11-30T20:13:36.1234567Z'/><EventRecordID>1201"
    "</EventRecordID><Correlation/><Execution ProcessID='700' "
    "ThreadID='1234'/><Channel>System</Channel><Computer>DC1.contoso.com"
    "</Computer><Security/></System><EventData>"
    "<Data Name='AccountName'>jdoe</Data>"
    "<Data Name='Subject'>CN=Jane &amp; &lt;Doe&gt;</Data>"
    "<Data Name='Issuer'>contoso-CA</Data>"
    "<Data Name='SerialNumber'>2B0000000011AC0000000012</Data>"
    "<Data Name='Thumbprint'>9E61045B7676E7B8D2F8B9B4D425C628A8431AA0"
    "</Data></EventData></Event>\r\n"
    "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'>"
    "<System><Provider Name='Microsoft-Windows-Kerberos-Key-Distribution-"
    "Center'/><EventID Qualifiers='32768'>40</EventID><TimeCreated "
    "SystemTime='2026-11-30T20:15:00.0000000Z'/><Computer>DC2</Computer>"
    "</System><EventData><Data Name='AccountName'>old</Data>"
    "<Data Name='Subject'>CN=old</Data><Data Name='Issuer'>contoso-CA"
    "</Data><Data Name='SerialNumber'>0A0B</Data>"
    "<Data Name='Thumbprint'>-</Data>"
    "<Data Name='IssuanceTime'>2020-01-01</Data>"
    "<Data Name='CreationTime'>2021-01-01</Data></EventData></Event>\r\n";

static int
readmem(const char *buf, size_t n, struct kdcevents *ev)
{
	return kdcev_read_mem("sample", buf, n, ev);
}

int
main(void)
{
	struct kdcevents ev = { NULL, 0, 0, 0 };
	char		*u16, *rooted;
	size_t		 i, n;

	msg_verbosity = MSG_SILENT;

	/* CSV: the Message text's "Label: value" lines */
	tap_ok(readmem(csv, sizeof(csv) - 1, &ev) == 0, "csv: read");
	tap_ok(ev.n == 2, "csv: two KDC events 39/41");
	tap_ok(ev.other == 1, "csv: an event 39 of another provider skipped");
	tap_ok(ev.errors == 1, "csv: an event without certificate counted");
	if (ev.n == 2) {
		tap_is(ev.v[0].account, "jdoe", "csv: User");
		tap_is(ev.v[0].issuer, "contoso-CA", "csv: Certificate Issuer");
		tap_is(ev.v[0].serial, "2B0000000011AC0000000012",
		    "csv: Certificate Serial Number");
		tap_is(ev.v[0].thumb, "9E61045B7676E7B8D2F8B9B4D425C628A8431AA0",
		    "csv: thumbprint upper-cased");
		tap_is(ev.v[0].dc, "DC1.contoso.com", "csv: MachineName");
		tap_is(ev.v[0].time, "11/30/2026 8:13:36 PM", "csv: TimeCreated");
		tap_ok(ev.v[0].id == 39 && ev.v[1].id == 41, "csv: ids");
		tap_is(ev.v[1].account, "PC01$", "csv: 41 User");
		tap_is(ev.v[1].serial, "6100000012", "csv: serial spaces removed");
		tap_ok(ev.v[1].thumb == NULL, "csv: empty thumbprint is none");
		tap_is(ev.v[1].csid, "S-1-5-21-1-2-3-1999", "csv: Certificate SID");
		tap_is(ev.v[1].issuer, "CN=contoso-CA, DC=contoso, DC=com",
		    "csv: full issuer DN kept");
	}
	kdcev_free(&ev);

	/* UTF-16LE with a byte order mark, as PowerShell 5's > writes */
	n = sizeof(csv) - 1;
	u16 = malloc(2 + 2 * n);
	u16[0] = (char)0xff;
	u16[1] = (char)0xfe;
	for (i = 0; i < n; i++) {
		u16[2 + 2 * i] = csv[i];
		u16[3 + 2 * i] = 0;
	}
	tap_ok(readmem(u16, 2 + 2 * n, &ev) == 0 && ev.n == 2,
	    "csv: UTF-16LE export read");
	kdcev_free(&ev);
	tap_ok(readmem(u16 + 2, 2 * n, &ev) == -1,
	    "csv: UTF-16 without BOM refused");
	kdcev_free(&ev);
	free(u16);

	/* XML: EventData by Name, no root element */
	tap_ok(readmem(xml, sizeof(xml) - 1, &ev) == 0, "xml: read");
	tap_ok(ev.n == 2, "xml: two events");
	if (ev.n == 2) {
		tap_is(ev.v[0].account, "jdoe", "xml: AccountName");
		tap_is(ev.v[0].subject, "CN=Jane & <Doe>",
		    "xml: entities decoded");
		tap_is(ev.v[0].time, "2026-11-30T20:13:36.1234567Z",
		    "xml: SystemTime");
		tap_is(ev.v[0].dc, "DC1.contoso.com", "xml: Computer");
		tap_ok(ev.v[1].id == 40, "xml: event 40");
		tap_ok(ev.v[1].thumb == NULL, "xml: \"-\" thumbprint is none");
		tap_is(ev.v[1].serial, "0A0B", "xml: 40 serial");
	}
	kdcev_free(&ev);

	/* wevtutil /e:Events: a root of its own, and an XML declaration */
	n = strlen(xml) + 64;
	rooted = malloc(n);
	snprintf(rooted, n, "<?xml version='1.0'?>\n<Events>%s</Events>", xml);
	tap_ok(readmem(rooted, strlen(rooted), &ev) == 0 && ev.n == 2,
	    "xml: /e:Events root and declaration");
	kdcev_free(&ev);
	free(rooted);

	/* hostile and broken input */
	{
		static const char xxe[] = "<!DOCTYPE x [<!ENTITY e SYSTEM "
		    "'file:///etc/passwd'>]><Event><System><EventID>39</EventID>"
		    "</System><EventData><Data Name='Thumbprint'>&e;</Data>"
		    "</EventData></Event>";
		static const char trunc[] = "<Event><System><EventID>39";
		static const char badthumb[] = "Id,AccountName,Thumbprint\n"
		    "39,a,XYZ\n39,b,0102\n";
		static const char nohdr[] = "a,b\n1,2\n";

		tap_ok(readmem(xxe, sizeof(xxe) - 1, &ev) == -1 && ev.n == 0,
		    "xml: a DOCTYPE (external entity) is refused");
		kdcev_free(&ev);
		tap_ok(readmem(trunc, sizeof(trunc) - 1, &ev) == -1,
		    "xml: truncated export refused");
		kdcev_free(&ev);
		tap_ok(readmem(badthumb, sizeof(badthumb) - 1, &ev) == 0 &&
		    ev.n == 0 && ev.errors == 2,
		    "csv columns: bad and short thumbprints name no certificate");
		kdcev_free(&ev);
		tap_ok(readmem(nohdr, sizeof(nohdr) - 1, &ev) == -1,
		    "csv: a file without Id column refused");
		kdcev_free(&ev);
		tap_ok(readmem("", 0, &ev) == -1, "empty file refused");
		kdcev_free(&ev);
	}

	/* host names for --match dns */
	tap_ok(input_is_hostname("pc01.corp.example.com"), "host: FQDN");
	tap_ok(input_is_hostname("PC-01.Corp.example.com."), "host: root dot");
	tap_ok(!input_is_hostname("PC01"), "host: a single label is not");
	tap_ok(!input_is_hostname("10.1.2.3"), "host: IPv4 is not");
	tap_ok(!input_is_hostname("Jane Doe"), "host: a person's name is not");
	tap_ok(!input_is_hostname("-a.example.com"), "host: leading hyphen");
	tap_ok(!input_is_hostname("a..example.com"), "host: empty label");
	tap_ok(!input_is_hostname("*.example.com"), "host: wildcard");
	return tap_done();
}
