/*
 * report: the --report file (CSV through libcsv's writer, or JSON).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <csv.h>

#include "msg.h"
#include "report.h"
#include "sbuf.h"
#include "utf8.h"

struct report {
	FILE		*fp;		/* owned, unless stdout */
	char		*path;		/* owned */
	int		 json;
	size_t		 rows;
	int		 err;		/* a write failed: reported */
	char		*server;	/* owned: the DC the run used, or NULL */
};

int
report_parse_failon(const char *list, unsigned *mask)
{
	const char	*p = list;
	size_t		 n;
	unsigned	 m = 0;

	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n == 7 && strncasecmp(p, REASON_EXPIRED, n) == 0)
			m |= REPORT_FAIL_EXPIRED;
		else if (n == 13 && strncasecmp(p, REASON_NOT_YET_VALID, n) ==
		    0)
			m |= REPORT_FAIL_NYV;
		else if (n == 12 && strncasecmp(p, REASON_UNKNOWN_USER, n) == 0)
			m |= REPORT_FAIL_UNKNOWN;
		else if (n == 3 && strncasecmp(p, "all", n) == 0)
			m |= REPORT_FAIL_EXPIRED | REPORT_FAIL_NYV |
			    REPORT_FAIL_UNKNOWN;
		else {
			msg_err("--fail-on: \"%.*s\" is not an expected refusal "
			    "(known: expired, not-yet-valid, unknown-user, "
			    "all; every other refusal fails the run already)",
			    (int)n, p);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	*mask |= m;
	return 0;
}

int
report_expected(const char *reason, unsigned failon)
{
	if (reason == NULL)
		return 0;
	if (strcmp(reason, REASON_EXPIRED) == 0)
		return !(failon & REPORT_FAIL_EXPIRED);
	if (strcmp(reason, REASON_NOT_YET_VALID) == 0)
		return !(failon & REPORT_FAIL_NYV);
	if (strcmp(reason, REASON_UNKNOWN_USER) == 0)
		return !(failon & REPORT_FAIL_UNKNOWN);
	return 0;
}

struct report *
report_open(const char *path, int json)
{
	struct report	*r = NULL;
	int		 fd = -1;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->path = strdup(path)) == NULL) {
		msg_err("out of memory");
		goto fail;
	}
	r->json = json;
	if (strcmp(path, "-") == 0)
		r->fp = stdout;
	else {
		/* a file for others to read, but written as root: no links */
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
		    O_NOFOLLOW | O_NONBLOCK, 0600)) == -1) {
			msg_err("%s: %s", path, errno == ELOOP ? "a symbolic "
			    "link; the --report file is not written through "
			    "links" : strerror(errno));
			goto fail;
		}
		(void)fchmod(fd, 0600);
		if ((r->fp = fdopen(fd, "w")) == NULL) {
			msg_err("%s: %s", path, strerror(errno));
			goto fail;
		}
		fd = -1;
	}
	if (json)
		fputs("[\n", r->fp);
	else
		fputs("source,outcome,reason,account,values,certificate,"
		    "detail,server\n", r->fp);
	return r;
fail:
	if (fd != -1)
		close(fd);
	if (r != NULL)
		free(r->path);
	free(r->server);
	free(r);
	return NULL;
}

/* One CSV field, quoted by libcsv when it must be. */
static void
report_csv_field(FILE *fp, const char *s, int first)
{
	if (!first)
		fputc(',', fp);
	if (s != NULL && *s != '\0' && strpbrk(s, ",\"\r\n") != NULL)
		(void)csv_fwrite(fp, s, strlen(s));
	else if (s != NULL)
		fputs(s, fp);
}

/*
 * A JSON string.  Bytes that are not UTF-8 (a file name from outside)
 * become \u00XX, so that the file always parses; control bytes too.
 */
static void
report_json_str(struct sbuf *b, const char *s)
{
	size_t		 n = strlen(s), i = 0, l;
	unsigned char	 c;

	sbuf_putc(b, '"');
	while (i < n) {
		c = (unsigned char)s[i];
		if (c >= 0x80) {
			l = utf8_seqlen(s + i, n - i);
			if (l > 0 && utf8_valid(s + i, l)) {
				sbuf_add(b, s + i, l);
				i += l;
				continue;
			}
			sbuf_printf(b, "\\u%04x", c);
		} else if (c == '"' || c == '\\')
			sbuf_printf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			sbuf_printf(b, "\\u%04x", c);
		else
			sbuf_putc(b, (char)c);
		i++;
	}
	sbuf_putc(b, '"');
}

static void
report_json_field(struct sbuf *b, const char *name, const char *v)
{
	sbuf_printf(b, ", \"%s\": ", name);
	if (v == NULL)
		sbuf_puts(b, "null");
	else
		report_json_str(b, v);
}

int
report_row(struct report *r, const struct report_row *w)
{
	struct sbuf	 b = SBUF_INIT;
	size_t		 i;
	int		 rc = -1;

	if (r == NULL)
		return 0;
	if (r->err)
		return -1;
	if (r->json) {
		sbuf_puts(&b, r->rows > 0 ? ",\n{\"source\": " : "{\"source\": ");
		report_json_str(&b, w->source);
		report_json_field(&b, "outcome", w->outcome);
		report_json_field(&b, "reason", w->reason);
		report_json_field(&b, "account", w->account);
		sbuf_puts(&b, ", \"values\": [");
		for (i = 0; i < w->nvalues; i++) {
			if (i > 0)
				sbuf_puts(&b, ", ");
			report_json_str(&b, w->values[i]);
		}
		sbuf_putc(&b, ']');
		report_json_field(&b, "certificate", w->cert);
		report_json_field(&b, "detail", w->detail);
		report_json_field(&b, "server", w->server ? w->server :
		    r->server);
		sbuf_putc(&b, '}');
		if (b.oom) {
			msg_err("out of memory");
			goto out;
		}
		fwrite(b.s, 1, b.len, r->fp);
	} else {
		report_csv_field(r->fp, w->source, 1);
		report_csv_field(r->fp, w->outcome, 0);
		report_csv_field(r->fp, w->reason, 0);
		report_csv_field(r->fp, w->account, 0);
		/* several values: one field, joined by newlines (quoted) */
		for (i = 0; i < w->nvalues; i++) {
			sbuf_puts(&b, w->values[i]);
			if (i + 1 < w->nvalues)
				sbuf_putc(&b, '\n');
		}
		if (b.oom) {
			msg_err("out of memory");
			goto out;
		}
		report_csv_field(r->fp, b.s ? b.s : "", 0);
		report_csv_field(r->fp, w->cert, 0);
		report_csv_field(r->fp, w->detail, 0);
		report_csv_field(r->fp, w->server ? w->server : r->server, 0);
		fputc('\n', r->fp);
	}
	r->rows++;
	if (ferror(r->fp)) {
		msg_err("%s: write error: %s", r->path, strerror(errno));
		r->err = 1;
		goto out;
	}
	rc = 0;
out:
	sbuf_reset(&b);
	return rc;
}

int
report_server(struct report *r, const char *server)
{
	if (r == NULL)
		return 0;
	free(r->server);
	if ((r->server = strdup(server)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	return 0;
}

int
report_close(struct report *r)
{
	int	rc = 0;

	if (r == NULL)
		return 0;
	if (r->json)
		fputs(r->rows > 0 ? "\n]\n" : "]\n", r->fp);
	if (fflush(r->fp) == EOF || ferror(r->fp)) {
		if (!r->err)
			msg_err("%s: write error: %s", r->path, strerror(errno));
		rc = -1;
	}
	if (r->fp != stdout && fclose(r->fp) == EOF && rc == 0) {
		msg_err("%s: %s", r->path, strerror(errno));
		rc = -1;
	}
	rc = r->err ? -1 : rc;
	free(r->path);
	free(r->server);
	free(r);
	return rc;
}
