/*
 * findings: audit's monitoring outputs, JSON, CSV and one HTML page.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csv.h>

#include "cert.h"
#include "msg.h"
#include "findings.h"
#include "sbuf.h"
#include "utf8.h"

/* The kinds, in the order the page shows them, with a heading each. */
static const struct {
	const char	*kind;
	const char	*title;
} findings_kinds[] = {
	{ "malformed", "Malformed values (never matched by a DC)" },
	{ "weak-only", "Accounts with only weak mappings (locked out in full "
	    "enforcement)" },
	{ "duplicate", "The same value on several accounts" },
	{ "case-duplicate", "Values differing only in case or white space" },
	{ "byte-order", "Serials in forward byte order" },
	{ "unmapped-cert", "Accounts with certificates but no mapping" },
	{ "samba", "Values a Samba KDC will not match" },
	{ "entra-limit", "Over the Entra Connect sync limits" },
	{ "ntauth", "Issuing CAs missing from NTAuth" },
	{ "owned-expired", "Values certbulk owns whose certificate has "
	    "expired" },
	{ "owned-revoked", "Values certbulk owns whose certificate is "
	    "revoked" },
	{ "owned-superseded", "Values certbulk owns superseded by a newer "
	    "certificate" },
	{ "owned-removed", "Values certbulk owns whose certificate has left "
	    "the input" },
	{ "owned-value-gone", "Owned values no longer on the account (a note: "
	    "the run state is behind)" },
	{ "owned-account-gone", "Accounts with owned values that no longer "
	    "exist (a note)" },
	{ NULL, NULL }
};

static int
findings_put1(struct findings *r, int problem, const char *kind,
    const char *dn, const char *value, const char *detail)
{
	struct finding	*v, *it;

	if ((v = realloc(r->v, (r->n + 1) * sizeof(*v))) == NULL)
		goto oom;
	r->v = v;
	it = &v[r->n];
	it->kind = strdup(kind);
	it->dn = strdup(dn);
	it->value = strdup(value);
	it->detail = strdup(detail);
	it->problem = problem;
	r->n++;
	if (it->kind == NULL || it->dn == NULL || it->value == NULL ||
	    it->detail == NULL)
		goto oom;
	return 0;
oom:
	msg_err("out of memory");
	return -1;
}

int
findings_add(struct findings *r, const char *kind, const char *dn,
    const char *value, const char *detail)
{
	return findings_put1(r, 1, kind, dn, value, detail);
}

int
findings_note(struct findings *r, const char *kind, const char *dn,
    const char *value, const char *detail)
{
	return findings_put1(r, 0, kind, dn, value, detail);
}

void
findings_free(struct findings *r)
{
	size_t	i;

	for (i = 0; i < r->n; i++) {
		free(r->v[i].kind);
		free(r->v[i].dn);
		free(r->v[i].value);
		free(r->v[i].detail);
	}
	free(r->v);
	r->v = NULL;
	r->n = 0;
}

/* Opens PATH for writing: mode 0600, never through a link. */
static FILE *
findings_open(const char *path)
{
	FILE	*fp;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0600)) == -1) {
		msg_err("%s: %s", path, errno == ELOOP ? "a symbolic link; "
		    "reports are not written through links" : strerror(errno));
		return NULL;
	}
	if (fchmod(fd, 0600) == -1 || (fp = fdopen(fd, "w")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	return fp;
}

static int
findings_close(FILE *fp, const char *path)
{
	int	bad;

	bad = fflush(fp) == EOF || ferror(fp);
	if (fclose(fp) == EOF || bad) {
		msg_err("%s: write error: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* 1 for code points that reorder text on screen (bidi controls). */
static int
findings_bidi(unsigned long cp)
{
	return cp == 0x061c || cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

enum { ESC_JSON, ESC_HTML };

/*
 * Appends S escaped for MODE.  Well-formed UTF-8 stays as it is, but for
 * the syntax characters of the format; control bytes (JSON: \u00XX) and
 * bytes that are not UTF-8 become visible text (\xHH), and in HTML bidi
 * controls too (\u{HHHH}).
 */
static void
findings_esc(struct sbuf *b, const char *s, int mode)
{
	const char	*p = s, *end = s + strlen(s);
	unsigned long	 cp;
	size_t		 n;
	char		 tmp[16];

	for (; p < end; p += n) {
		n = utf8_seqlen(p, (size_t)(end - p));
		if (n == 0) {
			n = 1;
			snprintf(tmp, sizeof(tmp), "\\x%02X", (unsigned char)*p);
			sbuf_puts(b, mode == ESC_JSON ? "\\" : "");
			sbuf_puts(b, tmp);
			continue;
		}
		(void)utf8_get(p, n, &cp);
		if (cp < 0x20 || cp == 0x7f) {
			if (mode == ESC_JSON)
				sbuf_printf(b, "\\u%04lx", cp);
			else
				sbuf_printf(b, "\\x%02lX", cp);
		} else if (mode == ESC_HTML && findings_bidi(cp))
			/* on a page they would reorder what is shown */
			sbuf_printf(b, "\\u{%04lX}", cp);
		else if (mode == ESC_JSON && (cp == '"' || cp == '\\'))
			sbuf_printf(b, "\\%c", (int)cp);
		else if (mode == ESC_HTML && cp == '&')
			sbuf_puts(b, "&amp;");
		else if (mode == ESC_HTML && cp == '<')
			sbuf_puts(b, "&lt;");
		else if (mode == ESC_HTML && cp == '>')
			sbuf_puts(b, "&gt;");
		else if (mode == ESC_HTML && cp == '"')
			sbuf_puts(b, "&quot;");
		else if (mode == ESC_HTML && cp == '\'')
			sbuf_puts(b, "&#39;");
		else
			sbuf_add(b, p, n);
	}
}

static void
findings_jstr(struct sbuf *b, const char *s)
{
	sbuf_putc(b, '"');
	findings_esc(b, s, ESC_JSON);
	sbuf_putc(b, '"');
}

static size_t
findings_count(const struct findings *r, const char *kind)
{
	size_t	i, n = 0;

	for (i = 0; i < r->n; i++)
		if (kind == NULL || strcmp(r->v[i].kind, kind) == 0)
			n++;
	return n;
}

static void
findings_time(const struct findings *r, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&r->when, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes B to PATH; -1 after reporting. */
static int
findings_put(struct sbuf *b, const char *path)
{
	FILE	*fp;

	if (b->oom) {
		msg_err("out of memory");
		return -1;
	}
	if ((fp = findings_open(path)) == NULL)
		return -1;
	if (b->len > 0)
		(void)fwrite(b->s, 1, b->len, fp);
	return findings_close(fp, path);
}

int
findings_json(const struct findings *r, const char *path)
{
	struct sbuf	 b = SBUF_INIT;
	char		 when[32];
	size_t		 i, k, np;
	int		 rc;

	findings_time(r, when, sizeof(when));
	sbuf_puts(&b, "{\n  \"directory\": ");
	findings_jstr(&b, r->uri ? r->uri : "");
	sbuf_puts(&b, ",\n  \"base\": ");
	findings_jstr(&b, r->base ? r->base : "");
	for (i = 0, np = 0; i < r->n; i++)
		np += r->v[i].problem != 0;
	sbuf_printf(&b, ",\n  \"time\": \"%s\",\n  \"accounts\": %zu,\n  "
	    "\"values\": %zu,\n  \"problems\": %zu,\n  \"notes\": %zu,\n  "
	    "\"counts\": {", when, r->accounts, r->values, np, r->n - np);
	for (k = 0; findings_kinds[k].kind != NULL; k++)
		sbuf_printf(&b, "%s\"%s\": %zu", k ? ", " : "",
		    findings_kinds[k].kind, findings_count(r, findings_kinds[k].kind));
	sbuf_puts(&b, "},\n  \"items\": [");
	for (i = 0; i < r->n; i++) {
		sbuf_puts(&b, i ? ",\n    {\"kind\": " : "\n    {\"kind\": ");
		findings_jstr(&b, r->v[i].kind);
		sbuf_puts(&b, ", \"dn\": ");
		findings_jstr(&b, r->v[i].dn);
		sbuf_puts(&b, ", \"value\": ");
		findings_jstr(&b, r->v[i].value);
		sbuf_puts(&b, ", \"detail\": ");
		findings_jstr(&b, r->v[i].detail);
		sbuf_puts(&b, r->v[i].problem ? ", \"problem\": true}" :
		    ", \"problem\": false}");
	}
	sbuf_puts(&b, r->n ? "\n  ]\n}\n" : "]\n}\n");
	rc = findings_put(&b, path);
	sbuf_reset(&b);
	return rc;
}

/*
 * One CSV field: escaped as messages are (control bytes and bytes that
 * are not UTF-8 as \xHH), quoted by libcsv, and with a leading ' when a
 * spreadsheet would take it for a formula (OWASP's CSV injection advice).
 */
static void
findings_csv_field(FILE *fp, const char *s, int last)
{
	char	*e, *g = NULL;

	if ((e = msg_escape(s, strlen(s))) == NULL)
		return;
	if (strchr("=+-@", e[0]) != NULL && e[0] != '\0' &&
	    asprintf(&g, "'%s", e) == -1)
		g = NULL;
	(void)csv_fwrite(fp, g ? g : e, strlen(g ? g : e));
	fputs(last ? "\r\n" : ",", fp);
	free(g);
	free(e);
}

int
findings_csv(const struct findings *r, const char *path)
{
	FILE	*fp;
	size_t	 i;

	if ((fp = findings_open(path)) == NULL)
		return -1;
	fputs("kind,dn,value,detail\r\n", fp);
	for (i = 0; i < r->n; i++) {
		findings_csv_field(fp, r->v[i].kind, 0);
		findings_csv_field(fp, r->v[i].dn, 0);
		findings_csv_field(fp, r->v[i].value, 0);
		findings_csv_field(fp, r->v[i].detail, 1);
	}
	return findings_close(fp, path);
}

/* Small, inline: the page must work mailed as a single file. */
static const char findings_css[] =
"body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}\n"
"h1{font-size:1.4em}h2{font-size:1.1em;margin-top:1.6em}\n"
"table{border-collapse:collapse;margin:.5em 0;width:100%}\n"
"th,td{border:1px solid #bbb;padding:.25em .5em;text-align:left;"
"vertical-align:top}\n"
"td{font-family:ui-monospace,monospace;font-size:.9em;"
"word-break:break-all}\n"
"th{background:#e8e8e8}table.sortable th{cursor:pointer}\n"
"th.asc::after{content:' \\25B2'}th.desc::after{content:' \\25BC'}\n"
".ok{color:#1a7f37}.bad{color:#b42318;font-weight:bold}\n";

static const char findings_js[] =
"function cbSort(t,c,desc){var b=t.tBodies[0],r=[].slice.call(b.rows);\n"
" r.sort(function(x,y){var a=x.cells[c].textContent,"
"z=y.cells[c].textContent;\n"
"  var o=a.localeCompare(z,undefined,{numeric:true});return desc?-o:o;});\n"
" r.forEach(function(x){b.appendChild(x);});\n"
" [].forEach.call(t.tHead.rows[0].cells,function(h,i){h.className="
"i==c?(desc?'desc':'asc'):'';});\n"
" t.setAttribute('data-sorted',c+(desc?':desc':':asc'));}\n"
"document.addEventListener('DOMContentLoaded',function(){\n"
" [].forEach.call(document.querySelectorAll('table.sortable'),"
"function(t){\n"
"  [].forEach.call(t.tHead.rows[0].cells,function(h,i){\n"
"   h.addEventListener('click',function(){cbSort(t,i,h.className=="
"'asc');});});});\n"
" var m=/^#sort=([a-z-]+):([0-9]+)(:desc)?$/.exec(location.hash);\n"
" if(m){var t=document.getElementById('t-'+m[1]);"
"if(t)cbSort(t,+m[2],!!m[3]);}\n"
"});\n";

int
findings_html(const struct findings *r, const char *path)
{
	struct sbuf	 b = SBUF_INIT;
	char		 when[32];
	size_t		 i, k, n, np;
	int		 rc;

	findings_time(r, when, sizeof(when));
	sbuf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head>"
	    "<meta charset=\"utf-8\">\n<meta http-equiv="
	    "\"Content-Security-Policy\" content=\"default-src 'none'; "
	    "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n"
	    "<title>certbulk audit ");
	findings_esc(&b, r->base ? r->base : "", ESC_HTML);
	sbuf_printf(&b, "</title>\n<style>\n%s</style>\n<script>\n%s"
	    "</script>\n</head><body>\n<h1>certbulk audit</h1>\n<p>Directory "
	    "<code>", findings_css, findings_js);
	findings_esc(&b, r->uri ? r->uri : "", ESC_HTML);
	sbuf_puts(&b, "</code>, base <code>");
	findings_esc(&b, r->base ? r->base : "", ESC_HTML);
	for (i = 0, np = 0; i < r->n; i++)
		np += r->v[i].problem != 0;
	sbuf_printf(&b, "</code>, %s: %zu accounts with %zu "
	    "altSecurityIdentities values, <span id=\"total\" class=\"%s\">"
	    "%zu problem%s</span>", when, r->accounts, r->values,
	    np ? "bad" : "ok", np, np == 1 ? "" : "s");
	if (r->n > np)
		sbuf_printf(&b, " and <span id=\"notes\">%zu note%s</span>",
		    r->n - np, r->n - np == 1 ? "" : "s");
	sbuf_puts(&b, ".</p>\n");
	sbuf_puts(&b, "<table id=\"summary\"><thead><tr><th>Problem</th>"
	    "<th>Count</th></tr></thead><tbody>\n");
	for (k = 0; findings_kinds[k].kind != NULL; k++) {
		n = findings_count(r, findings_kinds[k].kind);
		sbuf_puts(&b, "<tr><td>");
		if (n > 0)
			sbuf_printf(&b, "<a href=\"#%s\">%s</a>",
			    findings_kinds[k].kind, findings_kinds[k].title);
		else
			sbuf_puts(&b, findings_kinds[k].title);
		sbuf_printf(&b, "</td><td id=\"n-%s\" class=\"%s\">%zu</td>"
		    "</tr>\n", findings_kinds[k].kind, n ? "bad" : "ok", n);
	}
	sbuf_puts(&b, "</tbody></table>\n");
	for (k = 0; findings_kinds[k].kind != NULL; k++) {
		if (findings_count(r, findings_kinds[k].kind) == 0)
			continue;
		sbuf_printf(&b, "<h2 id=\"%s\">%s</h2>\n<table class=\"sortable"
		    "\" id=\"t-%s\"><thead><tr><th>Account</th><th>Value</th>"
		    "<th>Detail</th></tr></thead><tbody>\n",
		    findings_kinds[k].kind, findings_kinds[k].title,
		    findings_kinds[k].kind);
		for (i = 0; i < r->n; i++) {
			if (strcmp(r->v[i].kind, findings_kinds[k].kind) != 0)
				continue;
			sbuf_puts(&b, "<tr><td>");
			findings_esc(&b, r->v[i].dn, ESC_HTML);
			sbuf_puts(&b, "</td><td>");
			findings_esc(&b, r->v[i].value, ESC_HTML);
			sbuf_puts(&b, "</td><td>");
			findings_esc(&b, r->v[i].detail, ESC_HTML);
			sbuf_puts(&b, "</td></tr>\n");
		}
		sbuf_puts(&b, "</tbody></table>\n");
	}
	sbuf_puts(&b, "</body></html>\n");
	rc = findings_put(&b, path);
	sbuf_reset(&b);
	return rc;
}
