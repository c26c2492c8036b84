#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <openssl/err.h>

#include "msg.h"
#include "sbuf.h"
#include "utf8.h"

const char	*msg_progname = "certbulk";
int		 msg_verbosity = 0;

static FILE	*msg_log;
static int	 msg_syslog;

void
msg_set_syslog(int on)
{
	if (on && !msg_syslog)
		openlog("certbulk", LOG_PID, LOG_USER);
	msg_syslog = on;
}

void
msg_set_log(void *fp)
{
	msg_log = fp;
}

/*
 * Prints one message: on stderr when SHOW, and always to the --log file
 * and syslog, which keep the run's record even with -q.
 */
static void
msg_vput(int show, const char *tag, const char *fmt, va_list ap)
{
	char		 text[4096], stamp[32], *esc, *p;
	const char	*line;
	time_t		 now;
	struct tm	 tm;

	if (!show && !msg_syslog && msg_log == NULL)
		return;
	vsnprintf(text, sizeof(text), fmt, ap);
	/*
	 * A message is one line of text, so any control byte or invalid
	 * UTF-8 in it came from outside (a file name, a CSV field, a name in
	 * a certificate, a server's message): escaped here, once for every
	 * caller, before it reaches a terminal, the log or syslog.
	 */
	if ((esc = msg_escape(text, strlen(text))) == NULL) {
		for (p = text; *p != '\0'; p++)
			if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
				*p = '?';
		line = text;
	} else
		line = esc;
	if (show) {
		/* what was printed before the message comes out before it */
		fflush(stdout);
		fprintf(stderr, "%s: %s%s\n", msg_progname, tag, line);
	}
	if (msg_syslog)
		syslog(*tag == 'w' ? LOG_WARNING : *tag == '\0' ? LOG_ERR :
		    LOG_NOTICE, "%s%s", tag, line);
	if (msg_log != NULL) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
		fprintf(msg_log, "%s %s%s\n", stamp, tag, line);
		fflush(msg_log);
	}
	free(esc);
}

#define MSG_BODY(show, tag)			\
	va_list	ap;				\
	va_start(ap, fmt);			\
	msg_vput(show, tag, fmt, ap);		\
	va_end(ap)

void
msg_err(const char *fmt, ...)
{
	MSG_BODY(msg_verbosity > MSG_SILENT, "");
}

void
msg_warn(const char *fmt, ...)
{
	MSG_BODY(msg_verbosity >= 0, "warning: ");
}

void
msg_note(const char *fmt, ...)
{
	MSG_BODY(msg_verbosity >= 0, "note: ");
}

void
msg_audit(const char *fmt, ...)
{
	MSG_BODY(msg_verbosity >= 1, "audit: ");
}

void
msg_info(const char *fmt, ...)
{
	if (msg_verbosity < 1)
		return;
	MSG_BODY(1, "");
}

void
msg_debug(const char *fmt, ...)
{
	if (msg_verbosity < 2)
		return;
	MSG_BODY(1, "debug: ");
}

void
msg_ssl(const char *fmt, ...)
{
	char		 text[2048], reason[256];
	unsigned long	 e;
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	/* The first queued error is the root cause; later ones are context. */
	if ((e = ERR_peek_error()) != 0) {
		ERR_error_string_n(e, reason, sizeof(reason));
		msg_err("%s (%s)", text, ERR_reason_error_string(e) ?
		    ERR_reason_error_string(e) : reason);
	} else
		msg_err("%s", text);
	ERR_clear_error();
}

void
msg_escape_to(struct sbuf *b, const char *p, size_t n, int field)
{
	size_t		 i = 0, run, cl;
	unsigned char	 c;

	while (i < n) {
		/* a run that is its own escape goes in at once */
		for (run = i; run < n && (c = (unsigned char)p[run]) >= 0x20 &&
		    c < 0x7f && !(field && c == '\\'); run++)
			;
		sbuf_add(b, p + i, run - i);
		if ((i = run) == n)
			break;
		c = (unsigned char)p[i];
		if (c >= 0x80 && (cl = utf8_seqlen(p + i, n - i)) > 0) {
			sbuf_add(b, p + i, cl);
			i += cl;
			continue;
		}
		if (field && c == '\\')
			sbuf_puts(b, "\\\\");
		else if (field && c == '\t')
			sbuf_puts(b, "\\t");
		else if (field && c == '\n')
			sbuf_puts(b, "\\n");
		else if (field && c == '\r')
			sbuf_puts(b, "\\r");
		else
			sbuf_printf(b, "\\x%02X", c);
		i++;
	}
}

/* msg_escape and, with FIELD, msg_escape_field. */
static char *
msg_escape_as(const char *p, size_t n, int field)
{
	struct sbuf	 b = SBUF_INIT;

	msg_escape_to(&b, p, n, field);
	return sbuf_done(&b);
}

char *
msg_escape(const char *p, size_t n)
{
	return msg_escape_as(p, n, 0);
}

char *
msg_escape_field(const char *p, size_t n)
{
	return msg_escape_as(p, n, 1);
}
