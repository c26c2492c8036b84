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
#include "ntauth.h"
#include "sbuf.h"
#include "state.h"
#include "syncer.h"
#include "undo.h"

#define UNDO_TAG	"# certbulk-record: "
#define UNDO_GUID	"# certbulk-guid: "
/* the DC of another domain of the forest the record's modify went to
 * (forest.h); a record without it went to -H's */
#define UNDO_SERVER	"# certbulk-server: "
#define UNDO_SERVER_MAX	300
#define UNDO_ATTR	"altSecurityIdentities"

struct undo {
	int		 fd;
	char		*path;		/* owned */
	off_t		 end;		/* bytes written */
	off_t		*status_at;	/* owned: offset of each status word */
	long		 n;		/* records added */
	long		 cap;		/* of status_at and marked */
	/*
	 * Fewer system calls per record: records are added to PEND and
	 * written together (undo_flush, undo_sync); "done" marks of records
	 * still in WIN, a copy of the file's last bytes, are made there and
	 * written as one span at the next flush or at close.  A "done" mark
	 * lost to a kill -9 leaves "pending", which is undone alike.
	 */
	struct sbuf	 pend;		/* records [nwritten, n), not written */
	long		 nwritten;	/* records in the file */
	long		 ndurable;	/* records fsync'd */
	struct sbuf	 win;		/* the file's bytes from win_off on */
	off_t		 win_off;
	off_t		 dlo, dhi;	/* span of WIN changed, not written */
	unsigned char	*marked;	/* owned: per record, status set */
	long		 lo;		/* records before lo are all marked */
	struct syncer	*sy;		/* background fsync, or NULL */
};

/* Bytes of the file kept in WIN at most, whatever is still unmarked. */
#define UNDO_WIN_MAX	(1024 * 1024)

const char *
undo_path(const struct undo *u)
{
	return u->path;
}

/*
 * Appends one whole record (or the header) at the end.  The space is
 * reserved first, so that a full file system refuses the record before
 * any byte of it is written; should a write still fail, the file is cut
 * back to where the record began.  Either way the file ends with a whole
 * record and reads back.
 */
static int
undo_write(struct undo *u, const char *p, size_t n)
{
	off_t	start = u->end;
	ssize_t	w;

	if (n > 0 && fallocate(u->fd, FALLOC_FL_KEEP_SIZE, start, (off_t)n) ==
	    -1 && errno != EOPNOTSUPP && errno != ENOSYS) {
		msg_err("%s: cannot write the undo file: %s", u->path,
		    strerror(errno));
		return -1;
	}
	while (n > 0) {
		if ((w = write(u->fd, p, n)) == -1) {
			if (errno == EINTR)
				continue;
			msg_err("%s: cannot write the undo file: %s", u->path,
			    strerror(errno));
			if (ftruncate(u->fd, start) == 0)
				u->end = start;
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

/*
 * Appends one note as a single "# " line.  Notes carry outside text (file
 * names, CSV fields, certificate names): every control byte, newlines
 * included, is escaped, so that a note can never start a line of its own
 * (such as a forged status comment).
 */
static void
undo_note(struct sbuf *b, const char *note)
{
	char	*esc;

	if ((esc = msg_escape(note, strlen(note))) == NULL) {
		b->oom = 1;
		return;
	}
	sbuf_printf(b, "# %s\n", esc);
	free(esc);
}

int
undo_add(struct undo *u, struct change *c)
{
	struct sbuf	 b = SBUF_INIT;
	struct change	 bare;
	off_t		*v;
	size_t		 head;
	int		 rc = -1;

	if (u->n == u->cap) {
		long		 cap = u->cap ? 2 * u->cap : 256;
		unsigned char	*mk;

		if ((v = realloc(u->status_at, (size_t)cap * sizeof(*v))) ==
		    NULL) {
			msg_err("out of memory");
			goto out;
		}
		u->status_at = v;
		if ((mk = realloc(u->marked, (size_t)cap)) == NULL) {
			msg_err("out of memory");
			goto out;
		}
		u->marked = mk;
		u->cap = cap;
	}
	v = u->status_at;
	/* the status comment is always the record's first line */
	sbuf_printf(&b, UNDO_TAG "%ld status: ", u->n + 1);
	head = b.len;
	sbuf_puts(&b, UNDO_PENDING "\n");
	if (c->guid != NULL)	/* finds the entry if renamed or moved */
		sbuf_printf(&b, UNDO_GUID "%s\n", c->guid);
	if (c->server != NULL)	/* undo sends it back there */
		sbuf_printf(&b, UNDO_SERVER "%s\n", c->server);
	changes_notes(c, &b, undo_note);
	bare = *c;
	memset(&bare.notes, 0, sizeof(bare.notes));
	bare.nfrom = 0;
	bare.kind_note = 0;
	ldifout_record(&b, &bare, 1);
	if (b.oom) {
		msg_err("out of memory");
		goto out;
	}
	v[u->n] = u->end + (off_t)u->pend.len + (off_t)head;
	u->marked[u->n] = 0;
	sbuf_add(&u->pend, b.s, b.len);
	if (u->pend.oom) {
		msg_err("out of memory");
		goto out;
	}
	c->rec = u->n++;
	rc = 0;
out:
	sbuf_reset(&b);
	return rc;
}

/* Writes the marks made in WIN since the last time, in one span. */
static int
undo_write_marks(struct undo *u)
{
	size_t	n = (size_t)(u->dhi - u->dlo);

	if (u->dhi <= u->dlo)
		return 0;
	if (pwrite(u->fd, u->win.s + (u->dlo - u->win_off), n, u->dlo) !=
	    (ssize_t)n) {
		msg_err("%s: cannot update the records' status: %s", u->path,
		    strerror(errno));
		return -1;
	}
	u->dlo = u->dhi = 0;
	return 0;
}

/*
 * Writes the records added since the last time (one write; a full file
 * system refuses them all, and they are forgotten, never sent), keeps a
 * copy for marking, and drops from the copy what no mark will need.
 */
static int
undo_write_pending(struct undo *u)
{
	off_t	keep;
	size_t	drop;

	if (undo_write_marks(u) == -1)
		return -1;
	if (u->pend.len > 0 && undo_write(u, u->pend.s, u->pend.len) == -1) {
		u->n = u->nwritten;
		sbuf_reset(&u->pend);
		return -1;
	}
	if (u->win.len == 0)
		u->win_off = u->end - (off_t)u->pend.len;
	sbuf_add(&u->win, u->pend.s, u->pend.len);
	u->pend.len = 0;
	u->nwritten = u->n;
	while (u->lo < u->nwritten && u->marked[u->lo])
		u->lo++;
	keep = u->lo < u->nwritten ? u->status_at[u->lo] : u->end;
	if (u->end - keep > UNDO_WIN_MAX)
		keep = u->end - UNDO_WIN_MAX;
	if (u->win.oom) {	/* no copy: marks go straight to the file */
		sbuf_reset(&u->win);
		keep = u->end;
		u->win_off = u->end;
	} else if (keep > u->win_off) {
		drop = (size_t)(keep - u->win_off);
		memmove(u->win.s, u->win.s + drop, u->win.len - drop);
		u->win.len -= drop;
		u->win_off = keep;
	}
	return 0;
}

int
undo_sync(struct undo *u)
{
	if (undo_write_pending(u) == -1)
		return -1;
	if (u->sy != NULL && syncer_wait(u->sy, u->nwritten) == 0) {
		u->ndurable = u->nwritten;
		return 0;
	}
	if (fsync(u->fd) == -1) {
		msg_err("%s: fsync: %s", u->path, strerror(errno));
		return -1;
	}
	u->ndurable = u->nwritten;
	return 0;
}

int
undo_flush(struct undo *u)
{
	if (undo_write_pending(u) == -1)
		return -1;
	if (u->sy == NULL)
		u->sy = syncer_new(u->fd);
	if (u->sy != NULL)
		syncer_ask(u->sy, u->nwritten);
	return 0;
}

int
undo_wait(struct undo *u, long nrec)
{
	if (nrec <= u->ndurable)
		return 0;
	if (nrec > u->nwritten && undo_write_pending(u) == -1)
		return -1;
	if (u->sy != NULL) {
		if (syncer_wait(u->sy, nrec) == -1) {
			msg_err("%s: fsync: %s", u->path, strerror(errno));
			return -1;
		}
		u->ndurable = syncer_durable(u->sy);
		return 0;
	}
	return undo_sync(u);
}

int
undo_mark(struct undo *u, long rec, const char *status)
{
	off_t	at;
	size_t	len = strlen(status);

	if (rec < 0 || rec >= u->n)
		return 0;
	at = u->status_at[rec];
	if (rec >= u->nwritten) {	/* not written yet: in PEND */
		memcpy(u->pend.s + (at - u->end), status, len);
		return 0;
	}
	u->marked[rec] = 1;
	if (at >= u->win_off && at + (off_t)len <= u->win_off +
	    (off_t)u->win.len) {
		memcpy(u->win.s + (at - u->win_off), status, len);
		if (strcmp(status, UNDO_DONE) == 0) {
			if (u->dhi <= u->dlo) {
				u->dlo = at;
				u->dhi = at + (off_t)len;
			} else {
				u->dlo = at < u->dlo ? at : u->dlo;
				u->dhi = at + (off_t)len > u->dhi ?
				    at + (off_t)len : u->dhi;
			}
			return 0;
		}
	}
	/* failed and unsent at once: the undo must not revert them */
	if (pwrite(u->fd, status, len, at) != (ssize_t)len) {
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
	syncer_free(u->sy);
	u->sy = NULL;
	if (undo_sync(u) == -1)
		rc = -1;
	if (close(u->fd) == -1) {
		msg_err("%s: %s", u->path, strerror(errno));
		rc = -1;
	}
	free(u->status_at);
	free(u->marked);
	sbuf_reset(&u->pend);
	sbuf_reset(&u->win);
	free(u->path);
	free(u);
	return rc;
}

/*
 * The status word of a status comment of N bytes at L, exactly
 * "# certbulk-record: DIGITS status: WORD" with one of the four words;
 * NULL if the line is anything else.
 */
static const char *
undo_status(const char *l, size_t n)
{
	static const char *const words[] = { UNDO_PENDING, UNDO_DONE,
	    UNDO_FAILED, UNDO_UNSENT };
	const char	*p = l + strlen(UNDO_TAG), *end = l + n;
	size_t		 i, k = 0;

	while (p < end && *p >= '0' && *p <= '9' && k < 19) {
		p++;
		k++;
	}
	if (k == 0 || (size_t)(end - p) < strlen(" status: ") ||
	    strncmp(p, " status: ", strlen(" status: ")) != 0)
		return NULL;
	p += strlen(" status: ");
	/* trailing blanks may be lost to an editor: "done" is "done   " */
	while (end > p && (end[-1] == ' ' || end[-1] == '\r'))
		end--;
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if ((size_t)(end - p) == strcspn(words[i], " ") &&
		    memcmp(p, words[i], (size_t)(end - p)) == 0)
			return words[i];
	return NULL;
}

/*
 * An add: or delete: block that names no value: in LDIF, a delete without
 * values removes every value of the attribute, which certbulk never does
 * (it deletes single values only), and an empty add is meaningless.  The
 * record is refused rather than read as doing nothing.
 */
static int
undo_empty_block(const char *path, unsigned long line,
    const struct strlist *cur, size_t curn, const struct change *c)
{
	if (cur->n > curn)
		return 0;
	msg_err("%s:%lu: \"%s\": a%s " UNDO_ATTR " block without values%s; "
	    "record not undone, fix or remove it", path, line, c->dn,
	    cur == &c->del ? " delete:" : "n add:", cur == &c->del ?
	    " (in LDIF that removes every value; certbulk deletes single "
	    "values only)" : "");
	return -1;
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
	size_t		 curn = 0;
	char		 guid[33] = "", server[UNDO_SERVER_MAX + 1] = "";
	int		 freeval, rc = -1, ctype = 0, status = 0;
	size_t		 sl;

	*skip = 0;
	/*
	 * ldif_getline skips comment lines, so the status comment and the
	 * notes are read from the raw record first.  Only the record's first
	 * line, in exactly the form undo_add writes, is its status: notes
	 * are escaped into single lines, and a status-like line anywhere
	 * else is just a note.
	 */
	for (l = buf; *l != '\0'; l = eol + (*eol == '\n')) {
		eol = l + strcspn(l, "\n");
		if (*l != '#')
			continue;
		if (l == buf && (size_t)(eol - l) > strlen(UNDO_TAG) &&
		    strncmp(l, UNDO_TAG, strlen(UNDO_TAG)) == 0) {
			if ((st = undo_status(l, (size_t)(eol - l))) == NULL) {
				msg_err("%s:%lu: the record's status comment is "
				    "not as certbulk writes it", path, line);
				goto out;
			}
			*skip = strcmp(st, UNDO_FAILED) == 0 ||
			    strcmp(st, UNDO_UNSENT) == 0;
			status = 1;
			continue;
		}
		/* the GUID line, only right after certbulk's status line */
		if (status == 1 && (size_t)(eol - l) == strlen(UNDO_GUID) +
		    32 && strncmp(l, UNDO_GUID, strlen(UNDO_GUID)) == 0 &&
		    strspn(l + strlen(UNDO_GUID), "0123456789abcdef") == 32) {
			memcpy(guid, l + strlen(UNDO_GUID), 32);
			guid[32] = '\0';
			status = 2;
			continue;
		}
		/* the server line, right after the status (and GUID) lines:
		 * a URI as dir_uri gives it, nothing else */
		sl = (size_t)(eol - l) - strlen(UNDO_SERVER);
		if (status >= 1 && server[0] == '\0' && (size_t)(eol - l) >
		    strlen(UNDO_SERVER) && sl <= UNDO_SERVER_MAX &&
		    strncmp(l, UNDO_SERVER, strlen(UNDO_SERVER)) == 0 &&
		    strspn(l + strlen(UNDO_SERVER), "abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:/[]_-") == sl) {
			memcpy(server, l + strlen(UNDO_SERVER), sl);
			server[sl] = '\0';
			status = 2;
			continue;
		}
		status = 2;
		l += 1 + (l[1] == ' ');
		if ((v = strndup(l, (size_t)(eol - l))) == NULL ||
		    strlist_add(&notes, v) == -1)
			goto oom;
		free(v);
		v = NULL;
	}
	while ((l = ldif_getline(&next)) != NULL) {
		if (strcmp(l, "-") == 0) {
			if (cur != NULL && undo_empty_block(path, line, cur,
			    curn, c) == -1)
				goto out;
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
		if (c != NULL && c->attr != NULL && cur != NULL &&
		    strcasecmp(type.bv_val, NTAUTH_ATTR) == 0) {
			/* binary (NTAuth): kept as hex, see ntauth.h */
			v = ntauth_hex((unsigned char *)value.bv_val,
			    value.bv_len);
			if (freeval)
				ber_memfree(value.bv_val);
			if (v == NULL)
				goto oom;
			if (value.bv_len == 0) {
				msg_err("%s:%lu: an empty " NTAUTH_ATTR
				    " value", path, line);
				goto out;
			}
			if (strlist_add(cur, v) == -1)
				goto oom;
			continue;
		}
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
			if ((c = changes_add(out, v)) == NULL ||
			    (guid[0] != '\0' && (c->guid = strdup(guid)) ==
			    NULL) || (server[0] != '\0' && (c->server =
			    strdup(server)) == NULL))
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
			/* cACertificate of the NTAuth entry (ntauth add and
			 * remove), never mixed with altSecurityIdentities */
			if (ctype && strcasecmp(v, NTAUTH_ATTR) == 0 &&
			    ntauth_is_dn(c->dn) && c->add.n + c->del.n == 0 &&
			    c->attr == NULL && cur == NULL && curn == 0)
				c->attr = NTAUTH_ATTR;
			else if (ctype && c->attr != NULL &&
			    strcasecmp(v, NTAUTH_ATTR) == 0)
				;
			else if (!ctype || strcasecmp(v, UNDO_ATTR) != 0 ||
			    c->attr != NULL) {
				msg_err("%s:%lu: %s: %s: certbulk only changes "
				    UNDO_ATTR " (and " NTAUTH_ATTR " of the "
				    "NTAuth entry, alone)", path, line,
				    type.bv_val, v);
				goto out;
			}
			if (cur != NULL && undo_empty_block(path, line, cur,
			    curn, c) == -1)
				goto out;
			cur = strcasecmp(type.bv_val, "add") == 0 ? &c->add :
			    &c->del;
			curn = cur->n;
		} else if (strcasecmp(type.bv_val, UNDO_ATTR) == 0 &&
		    cur != NULL && c->attr == NULL) {
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
	if (cur != NULL && undo_empty_block(path, line, cur, curn, c) == -1)
		goto out;
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
		free(c->guid);
		free(c->server);
		strlist_free(&c->add);
		strlist_free(&c->del);
		strlist_free(&c->notes);
	}
	return rc;
}

/*
 * Checks one logical line (continuations unfolded) of an undo file before
 * libldap's LDIF reader sees it.  That reader follows "attr:< URL" values
 * and "include:" lines by itself, in many spellings, so the line must be
 * one of the few forms undo files use: a comment, "-", or "type: value" /
 * "type:: base64" with a plain attribute name.  Reports and returns -1.
 */
static int
undo_check_line(const char *path, unsigned long lno, const char *l,
    size_t n)
{
	const char	*p = l, *end = l + n;

	if (n == 0 || l[0] == '#' || (n == 1 && l[0] == '-'))
		return 0;
	if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
		goto bad;
	while (p < end && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' &&
	    *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
		p++;
	if (p == end || *p != ':')
		goto bad;
	if (p - l == 7 && strncasecmp(l, "include", 7) == 0) {
		msg_err("%s:%lu: an include: line; undo files never include "
		    "other files, this one is refused", path, lno);
		return -1;
	}
	p++;
	if (p < end && *p == ':')
		p++;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '<') {
		msg_err("%s:%lu: a value taken from a URL or file (\"%.*s:<\"); "
		    "undo files hold only plain or base64 values, this one is "
		    "refused", path, lno, (int)strcspn(l, ":"), l);
		return -1;
	}
	return 0;
bad:
	msg_err("%s:%lu: not an LDIF line of an undo file (comment, \"-\", "
	    "or \"attribute: value\"); this file is refused", path, lno);
	return -1;
}

/* Parses "# made YYYY-MM-DDTHH:MM:SS[.mmm]Z" into MADE (.000 added). */
static void
undo_made(const char *l, size_t n, char *made)
{
	const char	*p = l + strlen("# made ");
	size_t		 k;

	if (made[0] != '\0' || n < strlen("# made ") + 20 ||
	    strncmp(l, "# made ", strlen("# made ")) != 0)
		return;
	for (k = 0; k < 19; k++)
		if (!(p[k] == "dddd-dd-ddTdd:dd:dd"[k] ||
		    ("dddd-dd-ddTdd:dd:dd"[k] == 'd' && p[k] >= '0' &&
		    p[k] <= '9')))
			return;
	if (p[19] == 'Z')
		snprintf(made, UNDO_MADE_MAX, "%.19s.000", p);
	else if ((size_t)(l + n - p) >= 24 && p[19] == '.' && p[23] == 'Z' &&
	    p[20] >= '0' && p[20] <= '9' && p[21] >= '0' && p[21] <= '9' &&
	    p[22] >= '0' && p[22] <= '9')
		snprintf(made, UNDO_MADE_MAX, "%.23s", p);
}

/*
 * Reads the whole file once, checking every logical line, and picks the
 * run time from the header (the comment lines before the first record).
 */
static int
undo_check_raw(const char *path, FILE *fp, char *made)
{
	struct sbuf	 cur = SBUF_INIT;
	unsigned long	 lno = 0, start = 0;
	char		*l = NULL;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 rc = -1, header = 1;

	made[0] = '\0';
	for (;;) {
		n = getline(&l, &cap, fp);
		if (n > 0 && memchr(l, '\0', (size_t)n) != NULL) {
			msg_err("%s:%lu: a NUL byte; this file is refused", path,
			    lno + 1);
			goto out;
		}
		if (n > 0 && l[n - 1] == '\n')
			l[--n] = '\0';
		if (n > 0 && l[n - 1] == '\r')	/* CRLF line ends */
			l[--n] = '\0';
		if (n > 0 && memchr(l, '\r', (size_t)n) != NULL) {
			/* libldap deletes CRs anywhere in a line */
			msg_err("%s:%lu: a carriage return inside a line; this "
			    "file is refused", path, lno + 1);
			goto out;
		}
		if (n >= 0 && l[0] == ' ' && cur.s != NULL) {
			sbuf_add(&cur, l + 1, (size_t)n - 1);	/* continued */
			lno++;
			continue;
		}
		if (n >= 0 && l[0] == ' ') {
			msg_err("%s:%lu: a continuation line with nothing to "
			    "continue; this file is refused", path, lno + 1);
			goto out;
		}
		/* the previous logical line is complete */
		if (cur.oom) {
			msg_err("out of memory");
			goto out;
		}
		if (cur.s != NULL) {
			if (undo_check_line(path, start, cur.s, cur.len) == -1)
				goto out;
			if (header && cur.s[0] == '#')
				undo_made(cur.s, cur.len, made);
			else
				header = 0;
			sbuf_reset(&cur);
		}
		if (n < 0)
			break;
		lno++;
		start = lno;
		if (n == 0) {
			header = 0;	/* the header ends at the first blank */
			continue;
		}
		sbuf_add(&cur, l, (size_t)n);
	}
	if (ferror(fp)) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(l);
	sbuf_reset(&cur);
	return rc;
}

int
undo_read(const char *path, struct changes *out, size_t *bad, char *made)
{
	LDIFFP		 lfp = { NULL, NULL };
	unsigned long	 line = 0, start;
	char		*buf = NULL, stamp[UNDO_MADE_MAX];
	int		 buflen = 0, r = 0, skip, fd = -1, rc = -1;

	*bad = 0;
	if (made == NULL)
		made = stamp;
	made[0] = '\0';
	/*
	 * An undo file decides what is written to the directory: it must be
	 * ours, as ssh wants its keys, and is read through the descriptor
	 * that was checked.
	 */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		msg_err("%s: %s", path, errno == ELOOP ? "a symbolic link; "
		    "undo files are not read through links" : strerror(errno));
		goto out;
	}
	if (state_trusted(fd, path, "undo file", 0) == -1)
		goto out;
	if ((lfp.fp = fdopen(fd, "r")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	fd = -1;
	if (undo_check_raw(path, lfp.fp, made) == -1)
		goto out;
	rewind(lfp.fp);
	for (;;) {
		start = line + 1;
		if ((r = ldif_read_record(&lfp, &line, &buf, &buflen)) <= 0)
			break;
		if (buf == NULL)	/* libldap may say "a record" and give none */
			continue;
		if (undo_parse(path, start, buf, out, &skip) == -1)
			(*bad)++;
		else if (skip)
			msg_info("%s:%lu: record marked failed or unsent, not "
			    "undone", path, start);
	}
	if (r < 0) {
		msg_err("%s:%lu: cannot read LDIF", path, line);
		goto out;
	}
	rc = 0;
out:
	ber_memfree(buf);
	if (lfp.fp != NULL)
		fclose(lfp.fp);
	if (fd != -1)
		close(fd);
	return rc;
}
