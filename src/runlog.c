/*
 * runlog: the audit lines of a run.  Text from outside (arguments, DNs,
 * values) is escaped by msg on its way to the log.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "msg.h"
#include "runlog.h"
#include "sbuf.h"

static int	runlog_started;

/* Appends ARG to B, quoted when it has blanks or quotes, for reading. */
static void
runlog_arg(struct sbuf *b, const char *arg)
{
	const char	*p;

	if (*arg != '\0' && strpbrk(arg, " \t\"'\\") == NULL) {
		sbuf_puts(b, arg);
		return;
	}
	sbuf_putc(b, '"');
	for (p = arg; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			sbuf_putc(b, '\\');
		sbuf_putc(b, *p);
	}
	sbuf_putc(b, '"');
}

void
runlog_start(int argc, char *argv[], const struct dir *d)
{
	struct sbuf	 b = SBUF_INIT;
	struct passwd	*pw;
	int		 i, secret = 0;

	if (runlog_started++)
		return;
	sbuf_printf(&b, "run start: certbulk %s, pid %ld, user ", CB_VERSION,
	    (long)getpid());
	pw = getpwuid(geteuid());
	sbuf_printf(&b, "%s (uid %ld)", pw ? pw->pw_name : "?",
	    (long)geteuid());
	sbuf_puts(&b, ", arguments:");
	for (i = 1; i < argc; i++) {
		sbuf_putc(&b, ' ');
		/* -w is refused, but its value must not reach the log either */
		if (secret) {
			sbuf_puts(&b, "(password blanked)");
			secret = 0;
		} else if (strcmp(argv[i], "-w") == 0) {
			sbuf_puts(&b, "-w");
			secret = 1;
		} else if (strncmp(argv[i], "-w", 2) == 0)
			sbuf_puts(&b, "-w(password blanked)");
		else
			runlog_arg(&b, argv[i]);
	}
	if (d != NULL)
		sbuf_printf(&b, "; server %s (%s), base %s, bind %s as %s",
		    dir_uri(d), dir_server(d), dir_base(d), dir_mech(d),
		    dir_identity(d));
	else
		sbuf_puts(&b, "; not connected to a directory");
	if (b.oom)
		msg_err("out of memory");
	else
		msg_audit("%s", b.s);
	sbuf_reset(&b);
}

void
runlog_changes(const struct changes *cs)
{
	const struct change	*c;
	char			 hex[INPUT_SHA1_HEX];
	const char		*sha1;
	size_t			 i, j;

	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		if (c->status != CHANGE_DONE)
			continue;
		/* the DC it was changed on, when not -H's (forest.h) */
		for (j = 0; j < c->add.n; j++)
			msg_audit("changed \"%s\"%s%s: added %s (certificate "
			    "SHA-1 %s)", c->dn, c->server ? " on " : "",
			    c->server ? c->server : "", c->add.v[j],
			    (sha1 = change_thumb(&c->thumbs, j) != NULL ?
			    input_sha1(change_thumb(&c->thumbs, j), hex) :
			    NULL) != NULL &&
			    *sha1 != '\0' ? sha1 : "not known: an undo");
		for (j = 0; j < c->del.n; j++)
			msg_audit("changed \"%s\"%s%s: removed %s", c->dn,
			    c->server ? " on " : "", c->server ? c->server : "",
			    c->del.v[j]);
	}
}
