/*
 * KDC events 39, 40, 41 (KB5014754) from the two exports admins make:
 *
 *   Get-WinEvent -FilterHashtable @{LogName='System'; Id=39,40,41} |
 *       Export-Csv events.csv
 *     CSV (libcsv): columns Id, ProviderName, TimeCreated, MachineName and
 *     Message, whose text holds "User: ...", "Certificate Issuer: ..."
 *     lines; or columns named as the event's data (AccountName, Subject,
 *     Issuer, SerialNumber, Thumbprint) by a Select-Object.
 *
 *   wevtutil qe System /q:"*[System[(EventID=39 or EventID=40 or
 *       EventID=41)]]" /f:xml
 *     XML (libxml2): <Event> elements, no root element unless /e:ROOT was
 *     given; <EventData><Data Name='AccountName'>... as in the event's
 *     manifest.
 *
 * Event data names, as the KDC's manifest gives them: 39 AccountName,
 * Subject, Issuer, SerialNumber, Thumbprint; 40 the same and IssuanceTime,
 * CreationTime; 41 the same as 39 and the two SIDs.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <csv.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "csvrow.h"
#include "input.h"
#include "kdcev.h"
#include "msg.h"
#include "sbuf.h"
#include "utf8.h"

#define KDCEV_PROVIDER	"Microsoft-Windows-Kerberos-Key-Distribution-Center"

/* The event's fields, by data name and by the Message text's label. */
enum kf { KF_ACCOUNT, KF_SUBJECT, KF_ISSUER, KF_SERIAL, KF_THUMB, KF_CSID,
	KF_N };

static const struct {
	const char	*data;	/* EventData Name, CSV column */
	const char	*label;	/* "Label:" in the Message text */
} kdcev_fields[KF_N] = {
	[KF_ACCOUNT] = { "AccountName", "User" },
	[KF_SUBJECT] = { "Subject", "Certificate Subject" },
	[KF_ISSUER] = { "Issuer", "Certificate Issuer" },
	[KF_SERIAL] = { "SerialNumber", "Certificate Serial Number" },
	[KF_THUMB] = { "Thumbprint", "Certificate Thumbprint" },
	[KF_CSID] = { "CertificateSid", "Certificate SID" },
};

void
kdcev_free(struct kdcevents *ev)
{
	size_t	i;

	for (i = 0; i < ev->n; i++) {
		free(ev->v[i].src);
		free(ev->v[i].time);
		free(ev->v[i].dc);
		free(ev->v[i].account);
		free(ev->v[i].subject);
		free(ev->v[i].issuer);
		free(ev->v[i].serial);
		free(ev->v[i].thumb);
		free(ev->v[i].csid);
	}
	free(ev->v);
	memset(ev, 0, sizeof(*ev));
}

/* A copy of N bytes at P without surrounding white space, or NULL. */
static char *
kdcev_trimdup(const char *p, size_t n)
{
	while (n > 0 && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	return strndup(p, n);
}

/*
 * Hex digits of S, upper case, with the spaces and colons people and
 * tools put between bytes removed.  NULL (and *BAD set) if S holds
 * anything else or an odd number of digits.
 */
static char *
kdcev_hex(const char *s, int *bad)
{
	char	*out, *o;

	if ((out = malloc(strlen(s) + 1)) == NULL)
		return NULL;
	for (o = out; *s != '\0'; s++) {
		if (*s == ' ' || *s == ':' || *s == '\t')
			continue;
		if (!isxdigit((unsigned char)*s)) {
			*bad = 1;
			free(out);
			return NULL;
		}
		*o++ = (char)toupper((unsigned char)*s);
	}
	*o = '\0';
	if (o == out || (o - out) % 2 != 0) {
		*bad = 1;
		free(out);
		return NULL;
	}
	return out;
}

/* An event being assembled: raw field texts, owned. */
struct kdcraw {
	char		*f[KF_N];
	char		*time;
	char		*dc;
	char		*provider;
	unsigned	 id;
};

static void
kdcraw_clear(struct kdcraw *r)
{
	int	k;

	for (k = 0; k < KF_N; k++)
		free(r->f[k]);
	free(r->time);
	free(r->dc);
	free(r->provider);
	memset(r, 0, sizeof(*r));
}

/* Sets field K of R to a trimmed copy of N bytes at P (first one wins). */
static int
kdcraw_set(struct kdcraw *r, int k, const char *p, size_t n)
{
	if (r->f[k] != NULL)
		return 0;
	if ((r->f[k] = kdcev_trimdup(p, n)) == NULL)
		return -1;
	if (r->f[k][0] == '\0' || strcmp(r->f[k], "-") == 0) {
		free(r->f[k]);
		r->f[k] = NULL;
	}
	return 0;
}

/* Takes the "Label: value" lines of a rendered Message text. */
static int
kdcraw_message(struct kdcraw *r, const char *msg)
{
	const char	*p = msg, *nl, *colon;
	size_t		 ll;
	int		 k;

	for (; *p != '\0'; p = *nl ? nl + 1 : nl) {
		nl = p + strcspn(p, "\r\n");
		while (p < nl && isspace((unsigned char)*p))
			p++;
		if ((colon = memchr(p, ':', (size_t)(nl - p))) == NULL)
			continue;
		ll = (size_t)(colon - p);
		for (k = 0; k < KF_N; k++)
			if (strlen(kdcev_fields[k].label) == ll &&
			    strncasecmp(p, kdcev_fields[k].label, ll) == 0)
				break;
		if (k < KF_N && kdcraw_set(r, k, colon + 1,
		    (size_t)(nl - colon - 1)) == -1)
			return -1;
	}
	return 0;
}

/* 1 if PROVIDER (or NULL: unknown) may be the KDC's. */
static int
kdcev_is_kdc(const char *provider)
{
	return provider == NULL || *provider == '\0' ||
	    strcasecmp(provider, KDCEV_PROVIDER) == 0 ||
	    strcasecmp(provider, "Kdc") == 0 ||
	    strcasecmp(provider, "Kdcsvc") == 0;
}

/*
 * Checks R and moves it into EV as an event (R is emptied either way).
 * An event of another id or provider is counted in EV->other; one that
 * names no certificate is reported and counted in EV->errors.  0 or -1
 * (ENOMEM).
 */
static int
kdcev_take(struct kdcevents *ev, struct kdcraw *r, const char *src)
{
	struct kdcevent	*v, *e;
	char		*serial = NULL, *thumb = NULL;
	int		 badser = 0, badthumb = 0, rc = -1;

	if ((r->id != 39 && r->id != 40 && r->id != 41) ||
	    !kdcev_is_kdc(r->provider)) {
		ev->other++;
		rc = 0;
		goto out;
	}
	if (r->f[KF_SERIAL] != NULL &&
	    (serial = kdcev_hex(r->f[KF_SERIAL], &badser)) == NULL && !badser)
		goto out;
	if (r->f[KF_THUMB] != NULL &&
	    (thumb = kdcev_hex(r->f[KF_THUMB], &badthumb)) == NULL &&
	    !badthumb)
		goto out;
	if (thumb != NULL && strlen(thumb) != 40) {
		badthumb = 1;
		free(thumb);
		thumb = NULL;
	}
	if (badthumb)
		msg_warn("%s: event %u: the thumbprint \"%s\" is not 40 hex "
		    "digits; ignored", src, r->id, r->f[KF_THUMB]);
	if (badser)
		msg_warn("%s: event %u: the serial number \"%s\" is not hex "
		    "bytes; ignored", src, r->id, r->f[KF_SERIAL]);
	if (thumb == NULL && (serial == NULL || r->f[KF_ISSUER] == NULL)) {
		msg_err("%s: event %u names no certificate (neither a "
		    "thumbprint nor issuer and serial number); skipped", src,
		    r->id);
		ev->errors++;
		rc = 0;
		goto out;
	}
	if ((v = realloc(ev->v, (ev->n + 1) * sizeof(*v))) == NULL)
		goto out;
	ev->v = v;
	e = &v[ev->n];
	memset(e, 0, sizeof(*e));
	if ((e->src = strdup(src)) == NULL)
		goto out;
	ev->n++;
	e->id = r->id;
	e->time = r->time;
	e->dc = r->dc;
	e->account = r->f[KF_ACCOUNT];
	e->subject = r->f[KF_SUBJECT];
	e->issuer = r->f[KF_ISSUER];
	e->csid = r->f[KF_CSID];
	e->serial = serial;
	e->thumb = thumb;
	serial = thumb = NULL;
	r->time = r->dc = NULL;
	r->f[KF_ACCOUNT] = r->f[KF_SUBJECT] = r->f[KF_ISSUER] = NULL;
	r->f[KF_CSID] = NULL;
	rc = 0;
out:
	if (rc == -1)
		msg_err("%s: out of memory", src);
	free(serial);
	free(thumb);
	kdcraw_clear(r);
	return rc;
}

/* ------------------------------------------------------------------ XML */

/* Compares an element's local name (namespaces aside). */
static int
kdcev_named(const xmlNode *n, const char *name)
{
	return n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static char *
kdcev_text(const xmlNode *n)
{
	xmlChar	*t = xmlNodeGetContent(n);
	char	*s;

	if (t == NULL)
		return NULL;
	s = kdcev_trimdup((const char *)t, strlen((const char *)t));
	xmlFree(t);
	return s;
}

static char *
kdcev_attr(const xmlNode *n, const char *name)
{
	xmlChar	*t = xmlGetProp(n, (const xmlChar *)name);
	char	*s;

	if (t == NULL)
		return NULL;
	s = strdup((const char *)t);
	xmlFree(t);
	return s;
}

/* One <Event>: System facts, EventData Data by Name. */
static int
kdcev_xml_event(struct kdcevents *ev, const xmlNode *event, const char *src)
{
	struct kdcraw	 r;
	const xmlNode	*sec, *n;
	char		*name, *text, *end;
	unsigned long	 id;
	int		 k, rc = -1;

	memset(&r, 0, sizeof(r));
	for (sec = event->children; sec != NULL; sec = sec->next) {
		if (kdcev_named(sec, "System")) {
			for (n = sec->children; n != NULL; n = n->next) {
				if (kdcev_named(n, "EventID")) {
					if ((text = kdcev_text(n)) == NULL)
						goto out;
					id = strtoul(text, &end, 10);
					r.id = *end == '\0' && id < 65536 ?
					    (unsigned)id : 0;
					free(text);
				} else if (kdcev_named(n, "Provider") &&
				    r.provider == NULL)
					r.provider = kdcev_attr(n, "Name");
				else if (kdcev_named(n, "TimeCreated") &&
				    r.time == NULL)
					r.time = kdcev_attr(n, "SystemTime");
				else if (kdcev_named(n, "Computer") &&
				    r.dc == NULL)
					r.dc = kdcev_text(n);
			}
		} else if (kdcev_named(sec, "EventData")) {
			for (n = sec->children; n != NULL; n = n->next) {
				if (!kdcev_named(n, "Data"))
					continue;
				if ((name = kdcev_attr(n, "Name")) == NULL)
					continue;
				for (k = 0; k < KF_N; k++)
					if (strcasecmp(name,
					    kdcev_fields[k].data) == 0)
						break;
				free(name);
				if (k == KF_N)
					continue;
				if ((text = kdcev_text(n)) == NULL)
					goto out;
				if (kdcraw_set(&r, k, text, strlen(text)) == -1) {
					free(text);
					goto out;
				}
				free(text);
			}
		}
	}
	rc = kdcev_take(ev, &r, src);
out:
	kdcraw_clear(&r);
	return rc;
}

static void
kdcev_walk(struct kdcevents *ev, const xmlNode *n, const char *label,
    size_t *count, int *fail)
{
	struct sbuf	 b = SBUF_INIT;

	for (; n != NULL && !*fail; n = n->next) {
		if (kdcev_named(n, "Event")) {
			(*count)++;
			sbuf_reset(&b);
			sbuf_printf(&b, "%s: event %zu (line %ld)", label,
			    *count, xmlGetLineNo(n));
			if (b.oom || kdcev_xml_event(ev, n, b.s) == -1)
				*fail = 1;
		} else if (n->type == XML_ELEMENT_NODE)
			kdcev_walk(ev, n->children, label, count, fail);
	}
	sbuf_reset(&b);
}

/*
 * wevtutil writes one <Event> after another without a root element (and
 * /e:ROOT adds one): the text is parsed inside a root of our own, after
 * its XML declaration.  Neither DTDs nor external entities are loaded.
 */
static int
kdcev_xml(const char *label, const char *buf, size_t n, struct kdcevents *ev)
{
	struct sbuf	 b = SBUF_INIT;
	xmlDoc		*doc = NULL;
	const xmlError	*xe;
	const char	*p = buf, *q;
	size_t		 count = 0;
	int		 fail = 0, rc = -1;

	while (n > 0 && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	if (n >= 5 && strncmp(p, "<?xml", 5) == 0 &&
	    (q = memmem(p, n, "?>", 2)) != NULL) {
		n -= (size_t)(q + 2 - p);
		p = q + 2;
	}
	sbuf_puts(&b, "<certbulk-events>");
	sbuf_add(&b, p, n);
	sbuf_puts(&b, "</certbulk-events>");
	if (b.oom || b.len > (size_t)0x7fffffff) {
		msg_err("%s: out of memory", label);
		goto out;
	}
	doc = xmlReadMemory(b.s, (int)b.len, NULL, "UTF-8",
	    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (doc == NULL) {
		xe = xmlGetLastError();
		msg_err("%s: not a wevtutil XML export%s%s (line %d)", label,
		    xe && xe->message ? ": " : "", xe && xe->message ?
		    xe->message : "", xe ? xe->line : 0);
		goto out;
	}
	kdcev_walk(ev, xmlDocGetRootElement(doc)->children, label, &count,
	    &fail);
	if (fail)
		goto out;
	if (count == 0) {
		msg_err("%s: no <Event> elements (a wevtutil qe /f:xml export?)",
		    label);
		goto out;
	}
	rc = 0;
out:
	xmlFreeDoc(doc);
	xmlResetLastError();
	sbuf_reset(&b);
	return rc;
}

/* ------------------------------------------------------------------ CSV */

enum kcol { KC_ID, KC_PROVIDER, KC_TIME, KC_DC, KC_MESSAGE, KC_NCOLS };

static const char *const kdcev_cols[KC_NCOLS][2] = {
	[KC_ID] = { "Id", "EventID" },
	[KC_PROVIDER] = { "ProviderName", "Source" },
	[KC_TIME] = { "TimeCreated", "TimeGenerated" },
	[KC_DC] = { "MachineName", "Computer" },
	[KC_MESSAGE] = { "Message", NULL },
};

struct kdccsv {
	struct kdcevents *ev;
	const char	*label;
	struct csvrow	 row;		/* the current record's fields */
	int		 col[KC_NCOLS];	/* index, or -1 */
	int		 fcol[KF_N];	/* named data columns, or -1 */
	int		 header;	/* header seen */
	unsigned long	 line;		/* line the current record began */
	unsigned long	 nl;		/* line feeds fed so far */
	int		 fail;
};

static void
kdccsv_field(void *s, size_t len, void *arg)
{
	struct kdccsv	*c = arg;

	if (!c->fail && csvrow_add(&c->row, s, len) == -1)
		c->fail = 1;
}

static void
kdccsv_clear(struct kdccsv *c)
{
	csvrow_clear(&c->row);
}

static const char *
kdccsv_get(const struct kdccsv *c, int idx)
{
	return csvrow_get(&c->row, idx);
}

static void
kdccsv_header(struct kdccsv *c)
{
	size_t	i;
	int	k, j, any = 0;

	c->header = 1;
	for (k = 0; k < KC_NCOLS; k++)
		c->col[k] = -1;
	for (k = 0; k < KF_N; k++)
		c->fcol[k] = -1;
	for (i = 0; i < c->row.nf; i++) {
		for (k = 0; k < KC_NCOLS; k++)
			for (j = 0; j < 2; j++)
				if (kdcev_cols[k][j] != NULL && c->col[k] == -1 &&
				    strcasecmp(c->row.f[i], kdcev_cols[k][j]) == 0)
					c->col[k] = (int)i;
		for (k = 0; k < KF_N; k++)
			if (c->fcol[k] == -1 &&
			    strcasecmp(c->row.f[i], kdcev_fields[k].data) == 0) {
				c->fcol[k] = (int)i;
				any = 1;
			}
	}
	if (c->col[KC_ID] == -1 || (c->col[KC_MESSAGE] == -1 && !any)) {
		msg_err("%s:%lu: not a Get-WinEvent | Export-Csv export: the "
		    "header needs an Id column and a Message column (or the "
		    "event data columns AccountName, Issuer, SerialNumber, "
		    "Thumbprint)", c->label, c->line);
		c->fail = 1;
	}
}

static void
kdccsv_row(int term, void *arg)
{
	struct kdccsv	*c = arg;
	struct kdcraw	 r;
	struct sbuf	 src = SBUF_INIT;
	const char	*v, *msg;
	char		*end;
	unsigned long	 id;
	int		 k;

	(void)term;
	memset(&r, 0, sizeof(r));
	if (c->fail)
		goto out;
	/* Export-Csv's "#TYPE System.Diagnostics..." line */
	if (c->row.nf == 0 || (c->row.nf == 1 && (c->row.f[0][0] == '#' ||
	    c->row.f[0][0] == '\0')))
		goto out;
	if (!c->header) {
		kdccsv_header(c);
		goto out;
	}
	sbuf_printf(&src, "%s:%lu", c->label, c->line);
	if (src.oom) {
		c->fail = 1;
		goto out;
	}
	v = kdccsv_get(c, c->col[KC_ID]);
	id = v != NULL ? strtoul(v, &end, 10) : 0;
	r.id = v != NULL && *v != '\0' && *end == '\0' && id < 65536 ?
	    (unsigned)id : 0;
	if ((v = kdccsv_get(c, c->col[KC_PROVIDER])) != NULL &&
	    (r.provider = strdup(v)) == NULL)
		c->fail = 1;
	if ((v = kdccsv_get(c, c->col[KC_TIME])) != NULL && *v != '\0' &&
	    (r.time = strdup(v)) == NULL)
		c->fail = 1;
	if ((v = kdccsv_get(c, c->col[KC_DC])) != NULL && *v != '\0' &&
	    (r.dc = strdup(v)) == NULL)
		c->fail = 1;
	for (k = 0; k < KF_N; k++)
		if ((v = kdccsv_get(c, c->fcol[k])) != NULL &&
		    kdcraw_set(&r, k, v, strlen(v)) == -1)
			c->fail = 1;
	if ((msg = kdccsv_get(c, c->col[KC_MESSAGE])) != NULL &&
	    kdcraw_message(&r, msg) == -1)
		c->fail = 1;
	if (!c->fail && kdcev_take(c->ev, &r, src.s) == -1)
		c->fail = 1;
out:
	kdcraw_clear(&r);
	sbuf_reset(&src);
	kdccsv_clear(c);
	/* libcsv ends a row at its CR or LF, before the feed loop counts
	 * that line: the next row begins on the line after */
	c->line = c->nl + 2;
}

static int
kdcev_csv(const char *label, const char *buf, size_t n, struct kdcevents *ev)
{
	struct csv_parser	 p;
	struct kdccsv		 c;
	const char		*q, *e = buf + n;
	size_t			 len;
	int			 rc = -1;

	memset(&c, 0, sizeof(c));
	c.ev = ev;
	c.label = label;
	c.line = 1;
	if (csv_init(&p, CSV_STRICT | CSV_APPEND_NULL) != 0) {
		msg_err("%s: out of memory", label);
		return -1;
	}
	/* fed line by line, so that each record knows its first line */
	for (q = buf; q < e && !c.fail; q += len) {
		len = (size_t)((const char *)memchr(q, '\n', (size_t)(e - q)) ?
		    (const char *)memchr(q, '\n', (size_t)(e - q)) - q + 1 :
		    e - q);
		if (csv_parse(&p, q, len, kdccsv_field, kdccsv_row, &c) !=
		    len) {
			msg_err("%s:%lu: %s", label, c.nl + 1,
			    csv_strerror(csv_error(&p)));
			goto out;
		}
		if (q[len - 1] == '\n')
			c.nl++;
	}
	if (!c.fail && csv_fini(&p, kdccsv_field, kdccsv_row, &c) != 0) {
		msg_err("%s:%lu: unterminated quoted field at end of file",
		    label, c.line);
		goto out;
	}
	if (c.fail) {
		if (c.header)
			msg_err("%s: out of memory", label);
		goto out;
	}
	if (!c.header) {
		msg_err("%s: empty: no header row", label);
		goto out;
	}
	rc = 0;
out:
	kdccsv_clear(&c);
	csv_free(&p);
	return rc;
}

/* ------------------------------------------------------------ the file */

/* UTF-16 (with a byte order mark) to UTF-8; NULL on bad text or ENOMEM. */
static char *
kdcev_from_utf16(const unsigned char *p, size_t n, int be, size_t *outlen)
{
	struct sbuf	 b = SBUF_INIT;
	unsigned long	 u, lo;
	size_t		 i;

	for (i = 0; i + 1 < n; i += 2) {
		u = be ? (unsigned long)p[i] << 8 | p[i + 1] :
		    (unsigned long)p[i + 1] << 8 | p[i];
		if (u >= 0xd800 && u < 0xdc00) {
			if (i + 3 >= n)
				goto bad;
			lo = be ? (unsigned long)p[i + 2] << 8 | p[i + 3] :
			    (unsigned long)p[i + 3] << 8 | p[i + 2];
			if (lo < 0xdc00 || lo >= 0xe000)
				goto bad;
			u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
			i += 2;
		} else if (u >= 0xdc00 && u < 0xe000)
			goto bad;
		if (u == 0)
			goto bad;
		utf8_put(&b, u);
	}
	if (b.oom)
		goto bad;
	*outlen = b.len;
	return sbuf_done(&b);
bad:
	sbuf_reset(&b);
	return NULL;
}

int
kdcev_read_mem(const char *label, const char *buf, size_t n,
    struct kdcevents *ev)
{
	char		*conv = NULL;
	const char	*p = buf;
	size_t		 i;
	int		 rc = -1;

	if (n >= 2 && ((unsigned char)buf[0] == 0xff ||
	    (unsigned char)buf[0] == 0xfe) && ((unsigned char)buf[1] ^
	    (unsigned char)buf[0]) == 0x01) {
		/* PowerShell 5's > and Out-File write UTF-16 */
		if ((conv = kdcev_from_utf16((const unsigned char *)buf + 2,
		    n - 2, (unsigned char)buf[0] == 0xfe, &n)) == NULL) {
			msg_err("%s: UTF-16 text that cannot be read", label);
			goto out;
		}
		p = conv;
	} else if (n >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		n -= 3;
	}
	if (memchr(p, '\0', n) != NULL) {
		msg_err("%s: NUL bytes: not a text export (UTF-16 without a "
		    "byte order mark?)", label);
		goto out;
	}
	if (!utf8_valid(p, n)) {
		msg_err("%s: not UTF-8 text (export with -Encoding UTF8)",
		    label);
		goto out;
	}
	for (i = 0; i < n && isspace((unsigned char)p[i]); i++)
		;
	if (i == n) {
		msg_err("%s: empty, no events", label);
		goto out;
	}
	rc = p[i] == '<' ? kdcev_xml(label, p, n, ev) :
	    kdcev_csv(label, p, n, ev);
out:
	free(conv);
	return rc;
}

int
kdcev_read(const char *path, struct kdcevents *ev)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) ==
	    -1) {
		msg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		msg_err("%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > KDCEV_MAX_FILE) {
		msg_err("%s: too large for an event export (%lld bytes, limit "
		    "%lu)", path, (long long)st.st_size, KDCEV_MAX_FILE);
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		msg_err("%s: out of memory", path);
		goto out;
	}
	while (len < (size_t)st.st_size) {
		r = read(fd, buf + len, (size_t)st.st_size - len);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			msg_err("%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	rc = kdcev_read_mem(path, buf, len, ev);
out:
	free(buf);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ matching */

/* Compares names ignoring case and the spaces after commas. */
static int
kdcev_namecmp(const char *a, const char *b)
{
	while (*a != '\0' && *b != '\0') {
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 1;
		if (*a == ',')
			while (a[1] == ' ')
				a++;
		if (*b == ',')
			while (b[1] == ' ')
				b++;
		a++;
		b++;
	}
	return *a != *b;
}

/* 1 if ISSUER (as an event prints it) is C's issuer. */
static int
kdcev_issuer_is(const char *issuer, const struct cert *c)
{
	const char	*t = cert_issuer_text(c), *ms, *why, *e;
	size_t		 n;

	if (t != NULL && kdcev_namecmp(issuer, t) == 0)
		return 1;
	if ((ms = cert_ms_issuer(c, &why)) != NULL &&
	    kdcev_namecmp(issuer, ms) == 0)
		return 1;
	/* the CA's common name alone: the first RDN of the RFC 2253 text */
	if (t != NULL && strncasecmp(t, "CN=", 3) == 0) {
		for (e = t + 3; *e != '\0' && *e != ',' && *e != '+'; e++)
			if (*e == '\\' && e[1] != '\0')
				e++;
		n = (size_t)(e - t - 3);
		if (strlen(issuer) == n && strncasecmp(issuer, t + 3, n) == 0 &&
		    memchr(t + 3, '\\', n) == NULL)
			return 1;
	}
	return 0;
}

int
kdcev_names(const struct kdcevent *e, const struct cert *c)
{
	const char	*fwd = cert_serial_text(c), *rev = cert_ms_serial(c);
	size_t		 n = strlen(e->serial ? e->serial : "");

	if (e->thumb != NULL)
		return strcasecmp(e->thumb, cert_sha1(c)) == 0;
	if (e->serial == NULL || e->issuer == NULL ||
	    !kdcev_issuer_is(e->issuer, c))
		return 0;
	/*
	 * The serial as certutil prints it (most significant byte first), or
	 * byte-reversed as CryptoAPI holds it; with or without the 00 sign
	 * byte the DER keeps.
	 */
	if (strcasecmp(e->serial, fwd) == 0 || strcasecmp(e->serial, rev) == 0)
		return 1;
	if (strncmp(fwd, "00", 2) == 0 && strcasecmp(e->serial, fwd + 2) == 0)
		return 1;
	if (strlen(rev) == n + 2 && strncasecmp(rev, e->serial, n) == 0 &&
	    strcmp(rev + n, "00") == 0)
		return 1;
	return 0;
}

/* ------------------------------------------------------- to-do report */

/* Order for the report: account, then the certificate, then file order. */
static int
kdcev_keycmp(const struct kdcevent *a, const struct kdcevent *b)
{
	int	c;

#define KDCEV_CMP(x, y) ((x) == NULL ? ((y) == NULL ? 0 : -1) : \
	    (y) == NULL ? 1 : strcasecmp((x), (y)))
	if ((c = KDCEV_CMP(a->account, b->account)) != 0 ||
	    (c = KDCEV_CMP(a->thumb, b->thumb)) != 0 ||
	    (c = KDCEV_CMP(a->issuer, b->issuer)) != 0 ||
	    (c = KDCEV_CMP(a->serial, b->serial)) != 0)
		return c;
#undef KDCEV_CMP
	return 0;
}

static int
kdcev_sortcmp(const void *x, const void *y, void *arg)
{
	const struct kdcevent	*v = arg;
	size_t			 i = *(const size_t *)x, j = *(const size_t *)y;
	int			 c;

	if ((c = kdcev_keycmp(&v[i], &v[j])) != 0)
		return c;
	return i < j ? -1 : i > j;
}

/* Appends one tab-separated field, escaped ("-" when there is none). */
static void
kdcev_field(struct sbuf *b, const char *s, int last)
{
	char	*e;

	if (s == NULL || *s == '\0')
		sbuf_putc(b, '-');
	else if ((e = msg_escape_field(s, strlen(s))) == NULL)
		b->oom = 1;
	else {
		sbuf_puts(b, e);
		free(e);
	}
	sbuf_putc(b, last ? '\n' : '\t');
}

int
kdcev_todo(const struct kdcevents *ev, FILE *fp, size_t *nout)
{
	struct sbuf	 b = SBUF_INIT;
	const struct kdcevent *e;
	size_t		*order = NULL, i, j, k, count;
	char		 ids[32];
	int		 seen[3], rc = -1;

	*nout = 0;
	if (ev->n > 0 && (order = malloc(ev->n * sizeof(*order))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0; i < ev->n; i++)
		order[i] = i;
	if (ev->n > 1)
		qsort_r(order, ev->n, sizeof(*order), kdcev_sortcmp,
		    (void *)(uintptr_t)ev->v);
	sbuf_puts(&b, "account\tevents\tcount\ttime\tissuer\tserial\t"
	    "thumbprint\tsubject\tdc\n");
	for (i = 0; i < ev->n; i = j) {
		e = &ev->v[order[i]];
		memset(seen, 0, sizeof(seen));
		for (j = i, count = 0; j < ev->n &&
		    kdcev_keycmp(e, &ev->v[order[j]]) == 0; j++, count++)
			seen[ev->v[order[j]].id - 39] = 1;
		ids[0] = '\0';
		for (k = 0; k < 3; k++)
			if (seen[k])
				snprintf(ids + strlen(ids), sizeof(ids) -
				    strlen(ids), "%s%zu", ids[0] ? "," : "",
				    39 + k);
		kdcev_field(&b, e->account, 0);
		sbuf_printf(&b, "%s\t%zu\t", ids, count);
		kdcev_field(&b, e->time, 0);
		kdcev_field(&b, e->issuer, 0);
		kdcev_field(&b, e->serial, 0);
		kdcev_field(&b, e->thumb, 0);
		kdcev_field(&b, e->subject, 0);
		kdcev_field(&b, e->dc, 1);
		(*nout)++;
	}
	if (b.oom) {
		msg_err("out of memory");
		goto out;
	}
	if (fwrite(b.s, 1, b.len, fp) != b.len || fflush(fp) == EOF) {
		msg_err("write error: %s", strerror(errno));
		goto out;
	}
	rc = 0;
out:
	sbuf_reset(&b);
	free(order);
	return rc;
}

/* ----------------------------------------------- choosing the inputs */

int
kdcev_select(struct kdcevents *ev, struct input *in)
{
	unsigned char	*keep = NULL;
	const struct kdcevent *e;
	size_t		 i, j, kept = 0, unused = 0;
	int		 rc = -1;

	if (in->n > 0 && (keep = calloc(in->n, 1)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0; i < in->n; i++) {
		if (input_cert(&in->items[i]) == NULL)
			continue;
		for (j = 0; j < ev->n; j++)
			if (kdcev_names(&ev->v[j], input_cert(&in->items[i]))) {
				keep[i] = 1;
				ev->v[j].used = 1;
			}
		kept += keep[i];
	}
	if (in->n > kept)
		msg_note("--kdc-events: %zu of %zu certificates given are named "
		    "by no event; left out", in->n - kept, in->n);
	if (in->n > 0)
		input_keep(in, keep);
	/* what the KDC saw that no certificate given matches: to do */
	for (j = 0; j < ev->n; j++) {
		e = &ev->v[j];
		if (e->used)
			continue;
		for (i = 0; i < j; i++)
			if (!ev->v[i].used && kdcev_keycmp(e, &ev->v[i]) == 0)
				break;
		if (i < j)
			continue;	/* reported once per certificate */
		unused++;
		msg_warn("%s: event %u: the certificate of %s (issuer %s, "
		    "serial %s, thumbprint %s) is not among the certificates "
		    "given", e->src, e->id, e->account ? e->account : "?",
		    e->issuer ? e->issuer : "-", e->serial ? e->serial : "-",
		    e->thumb ? e->thumb : "-");
	}
	if (unused > 0)
		msg_note("--kdc-events: %zu certificates the events name were not "
		    "given (run without --csv/--certdir for the list)", unused);
	rc = 0;
out:
	free(keep);
	return rc;
}
