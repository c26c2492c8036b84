/*
 * The undo file: a write-ahead journal in LDIF.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lber.h>
#include <ldif.h>

#include "ldifout.h"
#include "msg.h"
#include "sbuf.h"
#include "undo.h"

#define UNDO_TAG	"# certbulk-record: "
#define UNDO_ATTR	"altSecurityIdentities"

struct undo {
	int		 fd;
	char		*path;		/* owned */
	off_t		 end;		/* bytes written */
	off_t		*status_at;	/* owned: offset of each status word */
	long		 n;
};

const char *
undo_path(const struct undo *u)
{
	return u->path;
}

static int
undo_write(struct undo *u, const char *p, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(u->fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			msg_err("%s: %s", u->path, strerror(errno));
			return -1;
		}
		p += w;
		n -= (size_t)w;
		u->end += w;
	}
	return 0;
}

/* fsyncs the folder holding PATH so that the new file's name is durable. */
static void
undo_sync_dir(const char *path)
{
	char	*copy;
	int	 fd;

	if ((copy = strdup(path)) == NULL)
		return;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) !=
	    -1) {
		(void)fsync(fd);
		close(fd);
	}
	free(copy);
}

struct undo *
undo_create(const char *path, const char *header)
{
	struct undo	*u = NULL, *ret = NULL;
	struct sbuf	 b = SBUF_INIT;

	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->path = strdup(path)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	u->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
	    0600);
	if (u->fd == -1) {
		msg_err("%s: cannot create the undo file: %s", path,
		    strerror(errno));
		goto out;
	}
	if (fchmod(u->fd, 0600) == -1) {	/* whatever the umask */
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	ldifout_comment(&b, header);
	sbuf_putc(&b, '\n');
	if (b.oom || undo_write(u, b.s, b.len) == -1 || undo_sync(u) == -1)
		goto out;
	undo_sync_dir(path);
	ret = u;
	u = NULL;
out:
	sbuf_reset(&b);
	if (u != NULL) {
		if (u->fd > 0) {
			close(u->fd);
			unlink(path);
		}
		free(u->path);
		free(u);
	}
	return ret;
}

int
undo_add(struct undo *u, struct change *c)
{
	struct sbuf	 b = SBUF_INIT;
	off_t		*v;
	size_t		 head;
	int		 rc = -1;

	if ((v = realloc(u->status_at, (size_t)(u->n + 1) * sizeof(*v))) ==
	    NULL) {
		msg_err("out of memory");
		goto out;
	}
	u->status_at = v;
	sbuf_printf(&b, UNDO_TAG "%ld status: ", u->n + 1);
	head = b.len;
	sbuf_puts(&b, UNDO_PENDING "\n");
	ldifout_record(&b, c, 1);
	if (b.oom) {
		msg_err("out of memory");
		goto out;
	}
	v[u->n] = u->end + (off_t)head;
	if (undo_write(u, b.s, b.len) == -1)
		goto out;
	c->rec = u->n++;
	rc = 0;
out:
	sbuf_reset(&b);
	return rc;
}

int
undo_sync(struct undo *u)
{
	if (fsync(u->fd) == -1) {
		msg_err("%s: fsync: %s", u->path, strerror(errno));
		return -1;
	}
	return 0;
}

int
undo_mark(struct undo *u, long rec, const char *status)
{
	if (rec < 0 || rec >= u->n)
		return 0;
	if (pwrite(u->fd, status, strlen(status), u->status_at[rec]) !=
	    (ssize_t)strlen(status)) {
		msg_err("%s: cannot update record %ld: %s", u->path, rec + 1,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
undo_close(struct undo *u)
{
	int	rc = 0;

	if (u == NULL)
		return 0;
	if (undo_sync(u) == -1)
		rc = -1;
	if (close(u->fd) == -1) {
		msg_err("%s: %s", u->path, strerror(errno));
		rc = -1;
	}
	free(u->status_at);
	free(u->path);
	free(u);
	return rc;
}

/* Parses one LDIF record of BUF into OUT; reports and returns -1 if bad. */
static int
undo_parse(const char *path, unsigned long line, char *buf,
    struct changes *out, int *skip)
{
	struct strlist	*cur = NULL, notes = { NULL, 0 };
	struct change	*c = NULL;
	struct berval	 type, value;
	char		*next = buf, *l, *v = NULL, *eol;
	const char	*st;
	int		 freeval, rc = -1, ctype = 0;

	*skip = 0;
	/*
	 * ldif_getline skips comment lines, so the status comment and the
	 * notes are read from the raw record first.
	 */
	for (l = buf; *l != '\0'; l = eol + (*eol == '\n')) {
		eol = l + strcspn(l, "\n");
		if (*l != '#')
			continue;
		if ((size_t)(eol - l) > strlen(UNDO_TAG) &&
		    strncmp(l, UNDO_TAG, strlen(UNDO_TAG)) == 0) {
			if ((st = strstr(l, "status: ")) != NULL && st < eol) {
				st += strlen("status: ");
				*skip = strncmp(st, "failed", 6) == 0 ||
				    strncmp(st, "unsent", 6) == 0;
			}
			continue;
		}
		l += 1 + (l[1] == ' ');
		if ((v = strndup(l, (size_t)(eol - l))) == NULL ||
		    strlist_add(&notes, v) == -1)
			goto oom;
		free(v);
		v = NULL;
	}
	while ((l = ldif_getline(&next)) != NULL) {
		if (strcmp(l, "-") == 0) {
			cur = NULL;
			continue;
		}
		if (ldif_parse_line2(l, &type, &value, &freeval) < 0) {
			msg_err("%s:%lu: malformed LDIF line in this record", path,
			    line);
			goto out;
		}
		free(v);
		v = NULL;
		if (value.bv_val != NULL && memchr(value.bv_val, '\0',
		    value.bv_len) != NULL) {
			msg_err("%s:%lu: NUL byte in a value", path, line);
			if (freeval)
				ber_memfree(value.bv_val);
			goto out;
		}
		v = strndup(value.bv_val ? value.bv_val : "", value.bv_len);
		if (freeval)
			ber_memfree(value.bv_val);
		if (v == NULL)
			goto oom;
		if (c == NULL) {
			if (strcasecmp(type.bv_val, "version") == 0)
				continue;
			if (strcasecmp(type.bv_val, "dn") != 0) {
				msg_err("%s:%lu: record does not start with dn:",
				    path, line);
				goto out;
			}
			if ((c = changes_add(out, v)) == NULL)
				goto oom;
			c->notes = notes;
			memset(&notes, 0, sizeof(notes));
			continue;
		}
		if (strcasecmp(type.bv_val, "changetype") == 0) {
			if (strcasecmp(v, "modify") != 0) {
				msg_err("%s:%lu: changetype %s: only modify "
				    "records are undone", path, line, v);
				goto out;
			}
			ctype = 1;
		} else if (strcasecmp(type.bv_val, "add") == 0 ||
		    strcasecmp(type.bv_val, "delete") == 0) {
			if (!ctype || strcasecmp(v, UNDO_ATTR) != 0) {
				msg_err("%s:%lu: %s: %s: certbulk only changes "
				    UNDO_ATTR, path, line, type.bv_val, v);
				goto out;
			}
			cur = strcasecmp(type.bv_val, "add") == 0 ? &c->add :
			    &c->del;
		} else if (strcasecmp(type.bv_val, UNDO_ATTR) == 0 &&
		    cur != NULL) {
			if (strlist_add(cur, v) == -1)
				goto oom;
		} else {
			msg_err("%s:%lu: unexpected \"%s:\" line (only add: and "
			    "delete: blocks of " UNDO_ATTR " values)", path,
			    line, type.bv_val);
			goto out;
		}
	}
	if (c == NULL) {
		rc = 0;		/* comments only */
		goto out;
	}
	if (!ctype) {
		msg_err("%s:%lu: no changetype: modify", path, line);
		goto out;
	}
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	free(v);
	strlist_free(&notes);
	if (c != NULL && (rc == -1 || *skip)) {
		/* a bad record, or one that never reached the directory */
		out->n--;
		free(c->dn);
		strlist_free(&c->add);
		strlist_free(&c->del);
		strlist_free(&c->notes);
	}
	return rc;
}

int
undo_read(const char *path, struct changes *out, size_t *bad)
{
	LDIFFP		*fp;
	struct stat	 st;
	unsigned long	 line = 0, start;
	char		*buf = NULL;
	int		 buflen = 0, r, skip;

	*bad = 0;
	if (stat(path, &st) == -1) {
		msg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		msg_err("%s: not a regular file", path);
		return -1;
	}
	if ((fp = ldif_open(path, "r")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		start = line + 1;
		if ((r = ldif_read_record(fp, &line, &buf, &buflen)) <= 0)
			break;
		if (buf == NULL)	/* libldap may say "a record" and give none */
			continue;
		if (undo_parse(path, start, buf, out, &skip) == -1)
			(*bad)++;
		else if (skip)
			msg_info("%s:%lu: record marked failed or unsent, not "
			    "undone", path, start);
	}
	ber_memfree(buf);
	ldif_close(fp);
	if (r < 0) {
		msg_err("%s:%lu: cannot read LDIF", path, line);
		return -1;
	}
	return 0;
}
