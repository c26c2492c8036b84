/*
 * forestconf: --forest-config FILE (forestconf.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cert.h"
#include "dir.h"
#include "dir_forest.h"
#include "forestconf.h"
#include "msg.h"
#include "sbuf.h"
#include "state.h"

/* larger is no list of domain controllers */
#define FORESTCONF_MAX	(256 * 1024)

/* the "DOMAIN=URI" strings O's list points at, kept for the run */
static struct strlist	forestconf_keep;

int
forestconf_read(const char *path, struct dir_opts *o)
{
	struct sbuf	 arg = SBUF_INIT;
	char		*buf = NULL, *l, *eol, *next, *dom, *uri, *rest, *shown;
	size_t		 len = 0, cap = 0;
	unsigned long	 line = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		msg_err("--forest-config %s: %s", path, errno == ELOOP ?
		    "a symbolic link; refused" : strerror(errno));
		return -1;
	}
	if (state_trusted(fd, path, "forest configuration", 0) == -1)
		goto out;
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? 2 * cap : 4096;
			if (cap > FORESTCONF_MAX + 2) {
				msg_err("%s: larger than %d bytes; refused", path,
				    FORESTCONF_MAX);
				goto out;
			}
			if ((l = realloc(buf, cap)) == NULL) {
				msg_err("out of memory");
				goto out;
			}
			buf = l;
		}
		if ((r = read(fd, buf + len, cap - len - 1)) == -1) {
			if (errno == EINTR)
				continue;
			msg_err("%s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		msg_err("%s: a NUL byte; not a forest configuration", path);
		goto out;
	}
	for (l = buf; *l != '\0'; l = next) {
		eol = l + strcspn(l, "\n");
		next = eol + (*eol == '\n');
		*eol = '\0';
		line++;
		l += strspn(l, " \t\r");
		if (*l == '\0' || *l == '#')
			continue;
		dom = l;
		l += strcspn(l, " \t\r");
		uri = l + strspn(l, " \t\r");
		*l = '\0';
		rest = uri + strcspn(uri, " \t\r");
		if (*rest != '\0')
			*rest++ = '\0';
		rest += strspn(rest, " \t\r");
		if (*uri == '\0' || (*rest != '\0' && *rest != '#')) {
			shown = msg_escape(dom, strlen(dom));
			msg_err("%s:%lu: \"%s...\": not DOMAIN URI", path, line,
			    shown ? shown : "?");
			free(shown);
			goto out;
		}
		sbuf_clear(&arg);
		sbuf_printf(&arg, "%s=%s", dom, uri);
		if (arg.oom) {
			msg_err("out of memory");
			goto out;
		}
		if (dir_domain_uri_check(arg.s) == -1) {
			msg_err("%s:%lu: refused", path, line);
			goto out;
		}
		if (o->ndomuri == DIR_DOMURI_MAX) {
			msg_err("%s:%lu: at most %d domains", path, line,
			    DIR_DOMURI_MAX);
			goto out;
		}
		if (strlist_add(&forestconf_keep, arg.s) == -1) {
			msg_err("out of memory");
			goto out;
		}
		o->domuri[o->ndomuri++] =
		    forestconf_keep.v[forestconf_keep.n - 1];
	}
	rc = 0;
out:
	sbuf_reset(&arg);
	free(buf);
	close(fd);
	return rc;
}
