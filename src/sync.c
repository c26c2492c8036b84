/*
 * The run state: owned.tsv, its journal, and what it allows (pruning,
 * adopt, status).  See include/sync.h for the write-ahead order.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "altsec.h"
#include "hex.h"
#include "msg.h"
#include "report.h"
#include "sbuf.h"
#include "state.h"
#include "sync.h"
#include "undo.h"

#define SYNC_FILE	"owned.tsv"
#define SYNC_JOURNAL	"owned.journal"
#define SYNC_NFIELDS	11

static const char *const sync_head =
    "# certbulk owned values: the altSecurityIdentities values certbulk "
    "wrote and may remove (--prune).\n"
    "# One line per value, tab-separated, \\\\ \\t \\n \\r \\xHH escaped; "
    "delete a line to disown a value.\n"
    "# guid\tdn\tsAMAccountName\tvalue\tsha256\tissuer\tserial\tnot_after"
    "\tinput\tsource\twritten\n";

static const char *const sync_names[] = {
	[SYNC_VALID] = "valid",
	[SYNC_EXPIRING] = "expiring",
	[SYNC_EXPIRED] = "expired",
	[SYNC_REVOKED] = "revoked",
	[SYNC_REMOVED] = "removed-from-input",
	[SYNC_SUPERSEDED] = "superseded",
};

const char *
sync_verdict_name(enum sync_verdict v)
{
	return sync_names[v];
}

/*
 * Frees string S, field F (SYNC_F_*) of R, unless it is lent or lives in
 * R's block (a field replaced since, such as a DN seen anew, is its own
 * allocation); the field is R's own after, to be set anew by the caller.
 */
static void
sync_rec_release(struct sync_rec *r, unsigned f, char *s)
{
	uintptr_t	b = (uintptr_t)r->blk, p = (uintptr_t)s;

	if (r->lent & f)
		r->lent &= ~f;
	else if (r->blk == NULL || p < b || p >= b + r->blklen)
		free(s);
}

static void
sync_rec_free(struct sync_rec *r)
{
	sync_rec_release(r, SYNC_F_GUID, r->guid);
	sync_rec_release(r, SYNC_F_DN, r->dn);
	sync_rec_release(r, SYNC_F_SAM, r->sam);
	sync_rec_release(r, SYNC_F_VALUE, r->value);
	sync_rec_release(r, SYNC_F_ISSUER, r->issuer);
	sync_rec_release(r, SYNC_F_SERIAL, r->serial);
	sync_rec_release(r, SYNC_F_INPUT, r->input);
	sync_rec_release(r, SYNC_F_SOURCE, r->source);
	free(r->blk);
	memset(r, 0, sizeof(*r));
}

/*
 * Copies the N strings SRC[i] into one block of R, pointed to by *DST[i],
 * after LEAD bytes left for the caller: one allocation per record, not
 * one per field.  0 or -1 (ENOMEM).
 */
static int
sync_rec_pack(struct sync_rec *r, char **const *dst, const char *const *src,
    size_t n, size_t lead)
{
	size_t	i, len = lead, l;
	char	*p;

	for (i = 0; i < n; i++)
		len += strlen(src[i]) + 1;
	if (len > UINT32_MAX || (r->blk = malloc(len)) == NULL)
		return -1;
	r->blklen = (uint32_t)len;
	for (i = 0, p = r->blk + lead; i < n; i++) {
		l = strlen(src[i]) + 1;
		memcpy(p, src[i], l);
		*dst[i] = p;
		p += l;
	}
	return 0;
}

/* R's thumbprint as written in owned.tsv: in BUF, or "" or blk's text. */
static const char *
sync_rec_sha(const struct sync_rec *r, char buf[INPUT_SHA256_HEX])
{
	switch (r->shaform) {
	case SYNC_SHA_UPPER:
		return hex_encode(r->sha, SYNC_SHA_LEN, buf, 1);
	case SYNC_SHA_LOWER:
		return hex_encode(r->sha, SYNC_SHA_LEN, buf, 0);
	case SYNC_SHA_TEXT:
		return r->blk;
	default:
		return "";
	}
}

/* R's thumbprint as bytes, or NULL (none, or kept as text). */
static const unsigned char *
sync_rec_bytes(const struct sync_rec *r)
{
	return r->shaform == SYNC_SHA_UPPER || r->shaform == SYNC_SHA_LOWER ?
	    r->sha : NULL;
}

/*
 * Reads the thumbprint text S into B as bytes when it is 64 hex digits
 * of one case, which sync_rec_sha writes back the same, and sets R's
 * shaform: returns 0.  1: other text, to be kept as it is (SYNC_SHA_TEXT,
 * by the caller).
 */
static int
sync_rec_set_sha(struct sync_rec *r, const char *s,
    unsigned char b[SYNC_SHA_LEN])
{
	size_t	n = strlen(s);

	if (n == 0) {
		r->shaform = SYNC_SHA_NONE;
		return 0;
	}
	if (n != 2 * SYNC_SHA_LEN || hex_decode(s, SYNC_SHA_LEN, b) == -1)
		return 1;
	if (strspn(s, "0123456789ABCDEF") == n)
		r->shaform = SYNC_SHA_UPPER;
	else if (strspn(s, "0123456789abcdef") == n)
		r->shaform = SYNC_SHA_LOWER;
	else
		return 1;	/* mixed case: written back as read */
	return 0;
}

void
sync_state_free(struct sync_state *st)
{
	size_t	i;

	for (i = 0; i < st->n; i++)
		sync_rec_free(&st->v[i]);
	free(st->v);
	st->v = NULL;
	st->n = 0;
	arena_free(&st->strs);	/* after the records that lent them */
	st->issuer = st->input = NULL;
}

/*
 * S as kept in ST's strings: the last one kept if equal (*LAST), else a
 * new copy that becomes *LAST; NULL on ENOMEM.
 */
static char *
sync_share(struct sync_state *st, const char **last, const char *s)
{
	char	*d;

	if (*last != NULL && strcmp(*last, s) == 0)
		return (char *)(uintptr_t)*last;
	if ((d = arena_strdup(&st->strs, s)) != NULL)
		*last = d;
	return d;
}

static void
sync_fmt_time(time_t t, char *buf, size_t len)
{
	struct tm	tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int
sync_parse_time(const char *s, time_t *out)
{
	struct tm	 tm;
	const char	*e;

	memset(&tm, 0, sizeof(tm));
	if ((e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) == NULL || *e != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

int
sync_unescape(char *s)
{
	char		*w = s;
	unsigned	 v;

	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*w++ = *s;
			continue;
		}
		switch (*++s) {
		case '\\': *w++ = '\\'; break;
		case 't': *w++ = '\t'; break;
		case 'n': *w++ = '\n'; break;
		case 'r': *w++ = '\r'; break;
		case 'x':
			if (sscanf(s + 1, "%2x", &v) != 1 || v == 0 ||
			    strspn(s + 1, "0123456789abcdefABCDEF") < 2)
				return -1;
			*w++ = (char)v;
			s += 2;
			break;
		default:
			return -1;
		}
	}
	*w = '\0';
	return 0;
}

static void
sync_put_field(struct sbuf *b, const char *s, int last)
{
	/* escaped straight into the record: eleven fields, a record a value */
	if (s != NULL)
		msg_escape_to(b, s, strlen(s), 1);
	sbuf_putc(b, last ? '\n' : '\t');
}

static void
sync_put_rec(struct sbuf *b, const struct sync_rec *r)
{
	char	na[32], wr[32], sha[INPUT_SHA256_HEX];

	sync_fmt_time(r->not_after, na, sizeof(na));
	sync_fmt_time(r->written, wr, sizeof(wr));
	sync_put_field(b, r->guid, 0);
	sync_put_field(b, r->dn, 0);
	sync_put_field(b, r->sam, 0);
	sync_put_field(b, r->value, 0);
	sync_put_field(b, sync_rec_sha(r, sha), 0);
	sync_put_field(b, r->issuer, 0);
	sync_put_field(b, r->serial, 0);
	sync_put_field(b, na, 0);
	sync_put_field(b, r->input, 0);
	sync_put_field(b, r->source, 0);
	sync_put_field(b, wr, 1);
}

/*
 * Parses the SYNC_NFIELDS fields of LINE (modified) into R, a record of
 * ST: its issuer and input are ST's shared copies (sync_share).
 */
static int
sync_parse_rec(struct sync_state *st, char *line, struct sync_rec *r,
    const char **why)
{
	char	*f[SYNC_NFIELDS], *p = line, *shatext = NULL;
	unsigned char sha[SYNC_SHA_LEN];
	char	**dst[] = { &r->guid, &r->dn, &r->sam, &r->value, NULL,
		    NULL, &r->serial, NULL, NULL, &r->source, NULL };
	char	**pd[SYNC_NFIELDS];
	const char *ps[SYNC_NFIELDS];
	size_t	 i, n = 0;

	memset(r, 0, sizeof(*r));
	for (i = 0; i < SYNC_NFIELDS; i++) {
		f[i] = p;
		p += strcspn(p, "\t");
		if (i + 1 < SYNC_NFIELDS) {
			if (*p != '\t') {
				*why = "too few fields (11 expected)";
				return -1;
			}
			*p++ = '\0';
		} else if (*p != '\0') {
			*why = "too many fields (11 expected)";
			return -1;
		}
		if (sync_unescape(f[i]) == -1) {
			*why = "a bad escape sequence";
			return -1;
		}
	}
	if (sync_parse_time(f[7], &r->not_after) == -1 ||
	    sync_parse_time(f[10], &r->written) == -1) {
		*why = "a time that is not YYYY-MM-DDTHH:MM:SSZ";
		return -1;
	}
	if (f[3][0] == '\0' || (f[0][0] == '\0' && f[1][0] == '\0')) {
		*why = "no value, or neither objectGUID nor DN";
		return -1;
	}
	if (f[0][0] != '\0' && (strlen(f[0]) != 32 ||
	    strspn(f[0], "0123456789abcdef") != 32)) {
		*why = "an objectGUID that is not 32 lower-case hex digits";
		return -1;
	}
	/* an odd thumbprint first in the block, where sync_rec_sha finds it */
	if (sync_rec_set_sha(r, f[4], sha) == 1) {
		r->shaform = SYNC_SHA_TEXT;
		pd[n] = &shatext;
		ps[n++] = f[4];
	}
	for (i = 0; i < SYNC_NFIELDS; i++) {
		if (dst[i] == NULL)
			continue;
		pd[n] = dst[i];
		ps[n++] = f[i];
	}
	if ((r->issuer = sync_share(st, &st->issuer, f[5])) == NULL ||
	    (r->input = sync_share(st, &st->input, f[8])) == NULL ||
	    sync_rec_pack(r, pd, ps, n, r->shaform == SYNC_SHA_UPPER ||
	    r->shaform == SYNC_SHA_LOWER ? SYNC_SHA_LEN : 0) == -1) {
		memset(r, 0, sizeof(*r));
		*why = "out of memory";
		return -1;
	}
	/* the bytes first in the block */
	if (r->shaform == SYNC_SHA_UPPER || r->shaform == SYNC_SHA_LOWER) {
		memcpy(r->blk, sha, SYNC_SHA_LEN);
		r->sha = (const unsigned char *)r->blk;
	}
	r->lent = SYNC_F_ISSUER | SYNC_F_INPUT;
	return 0;
}

static struct sync_rec *
sync_push(struct sync_state *st)
{
	struct sync_rec	*v;

	if ((v = realloc(st->v, (st->n + 1) * sizeof(*v))) == NULL)
		return NULL;
	st->v = v;
	memset(&v[st->n], 0, sizeof(*v));
	return &v[st->n++];
}

FILE *
sync_open_read(const char *dir, const char *name, int *absent)
{
	struct sbuf	 p = SBUF_INIT;
	FILE		*fp = NULL;
	int		 fd = -1;

	*absent = 0;
	sbuf_printf(&p, "%s/%s", dir, name);
	if (p.oom) {
		msg_err("out of memory");
		goto out;
	}
	if ((fd = open(p.s, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno == ENOENT)
			*absent = 1;
		else
			msg_err("%s: %s", p.s, errno == ELOOP ? "a symbolic "
			    "link; refused" : strerror(errno));
		goto out;
	}
	if (state_trusted(fd, p.s, "run state file", 0) == -1)
		goto out;
	if ((fp = fdopen(fd, "r")) == NULL)
		msg_err("%s: %s", p.s, strerror(errno));
	else
		fd = -1;
out:
	if (fd != -1)
		close(fd);
	sbuf_reset(&p);
	return fp;
}

/* Reads records; with JOURNAL each has an op (+ or -) in OPS and the
 * undo path goes to *UNDO. */
static int
sync_read(const char *dir, const char *name, struct sync_state *st,
    int *exists, char **ops, char **undo)
{
	FILE		*fp;
	struct sync_rec	*r;
	char		*line = NULL, *p, *o;
	const char	*why;
	size_t		 cap = 0, lineno = 0;
	ssize_t		 len;
	int		 absent, rc = -1;

	if ((fp = sync_open_read(dir, name, &absent)) == NULL) {
		*exists = 0;
		return absent ? 0 : -1;
	}
	*exists = 1;
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		p = line;
		if (ops != NULL) {
			if (strncmp(line, "undo\t", 5) == 0) {
				free(*undo);
				if (sync_unescape(line + 5) == -1 ||
				    (*undo = strdup(line + 5)) == NULL)
					goto bad;
				continue;
			}
			if ((line[0] != '+' && line[0] != '-') ||
			    line[1] != '\t')
				goto bad;
			if ((o = realloc(*ops, st->n + 1)) == NULL)
				goto oom;
			*ops = o;
			o[st->n] = line[0];
			p = line + 2;
		}
		if ((r = sync_push(st)) == NULL)
			goto oom;
		if (sync_parse_rec(st, p, r, &why) == -1) {
			st->n--;
			msg_err("%s/%s:%zu: %s; fix or delete the line", dir, name,
			    lineno, why);
			goto out;
		}
	}
	if (ferror(fp)) {
		msg_err("%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
bad:
	msg_err("%s/%s:%zu: not a journal line; delete the journal only if no "
	    "run was killed", dir, name, lineno);
	goto out;
oom:
	msg_err("out of memory");
out:
	free(line);
	fclose(fp);
	return rc;
}

int
sync_load(const char *dir, struct sync_state *st, int *exists)
{
	if (sync_read(dir, SYNC_FILE, st, exists, NULL, NULL) == -1)
		return -1;
	sync_sort(st);
	return 0;
}

/*
 * An atomic replacement of DIR/NAME written in pieces, so that a state
 * file of a million lines is never held whole in memory: a private
 * temporary file beside it (never through a link), fsync'd, renamed over
 * it, the folder fsync'd.
 */
struct sync_out {
	struct sbuf	 p;	/* DIR/NAME */
	struct sbuf	 t;	/* DIR/.NAME.tmp */
	int		 fd;
};

static int
sync_out_open(struct sync_out *o, const char *dir, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	sbuf_printf(&o->p, "%s/%s", dir, name);
	sbuf_printf(&o->t, "%s/.%s.tmp", dir, name);
	if (o->p.oom || o->t.oom) {
		msg_err("out of memory");
		return -1;
	}
	/* a stale one from a killed run; unlink never follows a link */
	if (unlink(o->t.s) == -1 && errno != ENOENT) {
		msg_err("%s: %s", o->t.s, strerror(errno));
		return -1;
	}
	if ((o->fd = open(o->t.s, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1) {
		msg_err("%s: %s", o->t.s, strerror(errno));
		return -1;
	}
	(void)fchmod(o->fd, 0600);
	return 0;
}

static int
sync_out_write(struct sync_out *o, const char *buf, size_t len)
{
	ssize_t	w;
	size_t	off = 0;

	while (off < len) {
		if ((w = write(o->fd, buf + off, len - off)) == -1) {
			if (errno == EINTR)
				continue;
			msg_err("%s: %s", o->t.s, strerror(errno));
			return -1;
		}
		off += (size_t)w;
	}
	return 0;
}

/* Puts the file in place (0 or -1, reported) and frees O either way. */
static int
sync_out_end(struct sync_out *o, const char *dir, int ok)
{
	int	dfd = -1, rc = -1;

	if (!ok)
		goto out;
	if (fsync(o->fd) == -1 || close(o->fd) == -1) {
		o->fd = -1;
		msg_err("%s: %s", o->t.s, strerror(errno));
		goto out;
	}
	o->fd = -1;
	if (rename(o->t.s, o->p.s) == -1) {
		msg_err("%s: %s", o->p.s, strerror(errno));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		msg_err("%s: fsync: %s", dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (o->fd != -1) {
		close(o->fd);
		(void)unlink(o->t.s);
	}
	if (dfd != -1)
		close(dfd);
	sbuf_reset(&o->p);
	sbuf_reset(&o->t);
	return rc;
}

int
sync_write_atomic(const char *dir, const char *name, const char *buf,
    size_t len)
{
	struct sync_out	o;
	int		ok;

	ok = sync_out_open(&o, dir, name) == 0 &&
	    sync_out_write(&o, buf, len) == 0;
	return sync_out_end(&o, dir, ok);
}

#define SYNC_OUT_CHUNK	(64 * 1024)	/* bytes formatted per write */

int
sync_save(const char *dir, const struct sync_state *st)
{
	struct sync_out	o;
	struct sbuf	b = SBUF_INIT;
	size_t		i;
	int		ok;

	ok = sync_out_open(&o, dir, SYNC_FILE) == 0;
	sbuf_puts(&b, sync_head);
	for (i = 0; ok && i <= st->n; i++) {
		if (i < st->n && !st->v[i].drop)
			sync_put_rec(&b, &st->v[i]);
		if (b.oom) {
			msg_err("out of memory");
			ok = 0;
		} else if ((b.len >= SYNC_OUT_CHUNK || i == st->n) &&
		    b.len > 0) {
			ok = sync_out_write(&o, b.s, b.len) == 0;
			sbuf_clear(&b);
		}
	}
	sbuf_reset(&b);
	return sync_out_end(&o, dir, ok);
}

static int
sync_unlink(const char *dir, const char *name)
{
	struct sbuf	b = SBUF_INIT;
	int		rc = 0, dfd;

	sbuf_printf(&b, "%s/%s", dir, name);
	if (b.oom || (unlink(b.s) == -1 && errno != ENOENT)) {
		msg_err("%s: %s", b.s ? b.s : name, strerror(errno));
		rc = -1;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		(void)fsync(dfd);
		close(dfd);
	}
	sbuf_reset(&b);
	return rc;
}

/* ---------------------------------------------------------------- inputs */

/* The account key: objectGUID, or the DN on a directory without. */
static const char *
sync_key(const char *guid, const char *dn)
{
	return guid != NULL && guid[0] != '\0' ? guid : dn != NULL ? dn : "";
}

static int
sync_valcmp(const void *a, const void *b)
{
	return altsec_casecmp(((const struct sync_val *)a)->v,
	    ((const struct sync_val *)b)->v);
}

static int
sync_shacmp(const void *a, const void *b, void *arg)
{
	const struct input	*in = arg;

	/* the bytes in the order of their hex texts (strcasecmp) */
	return memcmp(in->items[*(const uint32_t *)a].fact.sha256,
	    in->items[*(const uint32_t *)b].fact.sha256,
	    sizeof(in->items[0].fact.sha256));
}

static int
sync_acctcmp(const void *a, const void *b, void *arg)
{
	const struct item	*x = &((const struct input *)arg)->items[
				    *(const uint32_t *)a];
	const struct item	*y = &((const struct input *)arg)->items[
				    *(const uint32_t *)b];

	return strcasecmp(sync_key(x->aguid, x->adn), sync_key(y->aguid,
	    y->adn));
}

int
sync_inputs(struct sync_inputs *si, const struct input *in, char **roots,
    const size_t *first, size_t nroots)
{
	return sync_inputs_copying(si, in, roots, first, nroots, 0);
}

int
sync_inputs_copying(struct sync_inputs *si, const struct input *in,
    char **roots, const size_t *first, size_t nroots, unsigned copy)
{
	size_t	i, r, k, n;
	char	*v;

	memset(si, 0, sizeof(*si));
	si->in = in;
	si->roots = roots;
	si->nroots = nroots;
	if (in->n == 0)
		return 0;
	if (nroots > 0) {
		if ((si->first = calloc(nroots, sizeof(*si->first))) == NULL)
			goto oom;
		memcpy(si->first, first, nroots * sizeof(*si->first));
	}
	for (i = 0, n = 0; i < in->n; i++)
		for (k = 0; k < ALTSEC_NTYPES; k++)
			n += input_value(&in->items[i], (int)k) != NULL;
	if (in->n >= UINT32_MAX || n >= UINT32_MAX) {
		msg_err("more than %lu certificates or values in one run",
		    (unsigned long)UINT32_MAX - 1);
		return -1;
	}
	if ((si->valat = calloc(in->n + 1, sizeof(*si->valat))) == NULL ||
	    (n > 0 && (si->val = calloc(n, sizeof(*si->val))) == NULL) ||
	    (si->bysha = calloc(in->n, sizeof(*si->bysha))) == NULL)
		goto oom;
	for (i = 0; i < in->n; i++) {
		si->valat[i] = (uint32_t)si->nval;
		/*
		 * The item's own strings, which outlive SI (a copy of every
		 * value was 4 MB at 100,000 rows); copies, in one arena, of
		 * the forms the plan frees.
		 */
		for (k = 0; k < ALTSEC_NTYPES; k++) {
			if ((v = input_value(&in->items[i], (int)k)) == NULL)
				continue;
			if ((copy & ALTSEC_BIT(k)) && (v = arena_strdup(
			    &si->arena, v)) == NULL)
				goto oom;
			si->val[si->nval++] = v;
		}
		if (in->items[i].fact.has_sha256)
			si->bysha[si->nsha++] = (uint32_t)i;
	}
	si->valat[in->n] = (uint32_t)si->nval;
	if (si->nval > 0 &&
	    (si->byval = calloc(si->nval, sizeof(*si->byval))) == NULL)
		goto oom;
	for (i = 0, r = 0; i < in->n; i++)
		for (k = si->valat[i]; k < si->valat[i + 1]; k++) {
			si->byval[r].v = si->val[k];
			si->byval[r++].item = i;
		}
	if (si->nval > 1)
		qsort(si->byval, si->nval, sizeof(*si->byval), sync_valcmp);
	qsort_r(si->bysha, si->nsha, sizeof(*si->bysha), sync_shacmp,
	    (void *)(uintptr_t)in);
	return 0;
oom:
	msg_err("out of memory");
	return -1;
}

/*
 * The --csv or --certdir item I came from: the last input whose first
 * item is at or before I (one may have given none), "" without inputs.
 */
static const char *
sync_root(const struct sync_inputs *si, size_t i)
{
	size_t	lo = 0, hi, mid;

	if (si->nroots == 0)
		return "";
	/* the largest r with r == 0 or first[r] <= i */
	hi = si->nroots - 1;
	while (lo < hi) {
		mid = lo + (hi - lo + 1) / 2;
		if (si->first[mid] <= i)
			lo = mid;
		else
			hi = mid - 1;
	}
	return si->roots[lo];
}

int
sync_inputs_planned(struct sync_inputs *si)
{
	size_t	i;

	free(si->byacct);
	si->nacct = 0;
	if (si->in == NULL || si->in->n == 0)
		return 0;
	if ((si->byacct = calloc(si->in->n, sizeof(*si->byacct))) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	for (i = 0; i < si->in->n; i++)
		if (si->in->items[i].adn != NULL)
			si->byacct[si->nacct++] = (uint32_t)i;
	qsort_r(si->byacct, si->nacct, sizeof(*si->byacct), sync_acctcmp,
	    (void *)(uintptr_t)si->in);
	return 0;
}

void
sync_inputs_free(struct sync_inputs *si)
{
	size_t	i;

	free(si->val);		/* the strings are the items', or in arena */
	free(si->valat);
	arena_free(&si->arena);
	for (i = 0; i < si->ndead; i++)
		free(si->dead[i]);
	free(si->dead);
	free(si->first);
	free(si->byval);
	free(si->bysha);
	free(si->byacct);
	memset(si, 0, sizeof(*si));
}

/* First index of BYVAL whose value is not below V. */
static size_t
sync_val_lo(const struct sync_inputs *si, const char *v)
{
	size_t	lo = 0, hi = si->nval, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (altsec_casecmp(si->byval[mid].v, v) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index of BYSHA whose thumbprint is not below SHA. */
static size_t
sync_sha_lo(const struct sync_inputs *si, const char *sha)
{
	size_t	lo = 0, hi = si->nsha, mid;
	char	hex[INPUT_SHA256_HEX];

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcasecmp(input_sha256(&si->in->items[si->bysha[mid]],
		    hex), sha) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* First index of BYACCT whose account key is not below KEY. */
static size_t
sync_acct_lo(const struct sync_inputs *si, const char *key)
{
	const struct item	*it;
	size_t			 lo = 0, hi = si->nacct, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		it = &si->in->items[si->byacct[mid]];
		if (strcasecmp(sync_key(it->aguid, it->adn), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 if the account GUID/DN is the one item IT was planned for. */
static int
sync_same_acct(const char *guid, const char *dn, const char *aguid,
    const char *adn)
{
	if (guid != NULL && guid[0] != '\0' && aguid != NULL)
		return strcasecmp(guid, aguid) == 0;
	return dn != NULL && adn != NULL && dir_dn_equal(dn, adn);
}

/* The item planned for the account of GUID/DN that holds VALUE, or -1. */
static long
sync_item_of(const struct sync_inputs *si, const char *guid, const char *dn,
    const char *value)
{
	const struct item	*it;
	size_t			 j;

	if (si == NULL || si->in == NULL)
		return -1;
	for (j = sync_val_lo(si, value); j < si->nval &&
	    altsec_casecmp(si->byval[j].v, value) == 0; j++) {
		it = &si->in->items[si->byval[j].item];
		if (it->adn != NULL && sync_same_acct(guid, dn, it->aguid,
		    it->adn))
			return (long)si->byval[j].item;
	}
	return -1;
}

/*
 * Fills R from item I for account GUID/DN.  0 or -1 (ENOMEM).  What the
 * input holds -- the item's account name, issuer, serial and source, the
 * input's path, and the account's GUID and DN when they are the item's
 * -- is lent, not copied: the input outlives every state (a record per
 * value of a 100,000-row run).  With LEND, VALUE is lent as well: the
 * caller's change or item outlives the state.
 */
static int
sync_rec_from(struct sync_rec *r, const struct sync_inputs *si, size_t i,
    const char *guid, const char *dn, const char *value, int lend,
    time_t now)
{
	const struct item	*it = &si->in->items[i];
	char			 srcbuf[INPUT_SRC_BUF];
	char			**dst[4];
	const char		*src[4];
	size_t			 n = 0;

	memset(r, 0, sizeof(*r));
	r->lent = SYNC_F_SAM | SYNC_F_ISSUER | SYNC_F_SERIAL | SYNC_F_INPUT;
	/* a CSV row's "FILE:LINE" is made, not held by the item */
	if (it->line == 0) {
		r->source = (char *)(uintptr_t)it->src;
		r->lent |= SYNC_F_SOURCE;
	} else {
		dst[n] = &r->source;
		src[n++] = input_src(it, srcbuf);
	}
	if (guid == NULL || guid[0] == '\0') {
		r->guid = (char *)(uintptr_t)"";
		r->lent |= SYNC_F_GUID;
	} else if (it->aguid != NULL && strcmp(guid, it->aguid) == 0) {
		r->guid = it->aguid;
		r->lent |= SYNC_F_GUID;
	} else {
		dst[n] = &r->guid;
		src[n++] = guid;
	}
	if (it->adn != NULL && strcmp(dn, it->adn) == 0) {
		r->dn = it->adn;
		r->lent |= SYNC_F_DN;
	} else {
		dst[n] = &r->dn;
		src[n++] = dn;
	}
	if (lend) {
		r->value = (char *)(uintptr_t)value;
		r->lent |= SYNC_F_VALUE;
	} else {
		dst[n] = &r->value;
		src[n++] = value;
	}
	/* the item's bytes, lent: written upper case, as input_sha256
	 * gives them */
	if (it->fact.has_sha256) {
		r->sha = it->fact.sha256;
		r->shaform = SYNC_SHA_UPPER;
	}
	/* all lent (a folder's new records): no block */
	if (n > 0 && sync_rec_pack(r, dst, src, n, 0) == -1) {
		r->lent = 0;
		return -1;
	}
	/* the strings are the input's; the casts only drop const */
	r->sam = (char *)(uintptr_t)(it->asam ? it->asam : "");
	r->issuer = (char *)(uintptr_t)(it->fact.issuer ? it->fact.issuer : "");
	r->serial = (char *)(uintptr_t)(it->fact.serial ? it->fact.serial : "");
	r->input = (char *)(uintptr_t)sync_root(si, i);
	r->not_after = it->fact.not_after;
	r->written = now;
	return 0;
}

static int
sync_reccmp(const void *a, const void *b)
{
	const struct sync_rec	*x = a, *y = b;
	int			 c;

	if ((c = strcasecmp(sync_key(x->guid, x->dn), sync_key(y->guid,
	    y->dn))) != 0)
		return c;
	if ((c = altsec_casecmp(x->value, y->value)) != 0)
		return c;
	return x->written < y->written ? -1 : x->written > y->written;
}

void
sync_sort(struct sync_state *st)
{
	size_t	i;

	if (st->n > 1)
		qsort(st->v, st->n, sizeof(*st->v), sync_reccmp);
	/* the same value twice: the later record wins */
	for (i = 0; i + 1 < st->n; i++)
		if (!st->v[i].drop && strcasecmp(sync_key(st->v[i].guid,
		    st->v[i].dn), sync_key(st->v[i + 1].guid,
		    st->v[i + 1].dn)) == 0 && altsec_casecmp(st->v[i].value,
		    st->v[i + 1].value) == 0) {
			st->v[i].drop = 1;
			st->dirty = 1;
		}
	st->nsorted = st->n;
}

/* First index of the sorted part whose account key is not below KEY. */
static size_t
sync_rec_lo(const struct sync_state *st, const char *key)
{
	size_t	lo = 0, hi = st->nsorted, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcasecmp(sync_key(st->v[mid].guid, st->v[mid].dn),
		    key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The owned record of VALUE on GUID/DN, or NULL: looked up in the sorted
 * part, and with TAIL also among the records added since.
 */
static struct sync_rec *
sync_find2(const struct sync_state *st, const char *guid, const char *dn,
    const char *value, int tail)
{
	const char	*key = sync_key(guid, dn);
	size_t		 i;

	for (i = sync_rec_lo(st, key); i < st->nsorted &&
	    strcasecmp(sync_key(st->v[i].guid, st->v[i].dn), key) == 0; i++)
		if (!st->v[i].drop && altsec_casecmp(st->v[i].value, value) ==
		    0)
			return &st->v[i];
	for (i = st->nsorted; tail && i < st->n; i++)
		if (!st->v[i].drop && altsec_casecmp(st->v[i].value, value) ==
		    0 && sync_same_acct(guid, dn, st->v[i].guid, st->v[i].dn))
			return &st->v[i];
	return NULL;
}

static struct sync_rec *
sync_find(const struct sync_state *st, const char *guid, const char *dn,
    const char *value)
{
	return sync_find2(st, guid, dn, value, 1);
}

/*
 * Takes R (moved) into ST, replacing the record of the same value in the
 * sorted part; a duplicate among records added since is dropped by the
 * next sync_sort.
 */
static int
sync_upsert(struct sync_state *st, struct sync_rec *r)
{
	struct sync_rec	*o;

	if ((o = sync_find2(st, r->guid, r->dn, r->value, 0)) != NULL)
		sync_rec_free(o);
	else if ((o = sync_push(st)) == NULL) {
		sync_rec_free(r);
		msg_err("out of memory");
		return -1;
	}
	*o = *r;
	memset(r, 0, sizeof(*r));
	st->dirty = 1;
	return 0;
}

/*
 * The entry of GUID (or, without one, DN) now: *CUR gets its DN, VALS its
 * values.  0, 1 if it is gone, -1 (reported).
 */
static int
sync_entry(struct dir *d, const char *guid, const char *dn, char **cur,
    struct strlist *vals)
{
	int	r;

	*cur = NULL;
	if (guid != NULL && guid[0] != '\0')
		return dir_find_guid(d, guid, cur, vals);
	if ((r = dir_read_altsec(d, dn, vals)) != 0)
		return r;
	if ((*cur = strdup(dn)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------- reconcile */

/*
 * Settles the journal of a run that did not finish, from its undo file:
 * a value its pending or done records delete (the run added it) that is
 * on the account now and belongs to a certificate of the inputs is owned;
 * a value they add back (the run removed it) that is gone is forgotten.
 */
static int
sync_settle(const char *dir, struct dir *d, struct sync_state *st,
    const struct sync_inputs *si, const char *undo)
{
	struct changes	 u = { NULL, 0 };
	struct strlist	 vals = { NULL, 0 };
	struct sync_rec	 rec, *o;
	struct stat	 sb;
	const struct change *c;
	char		*cur = NULL;
	size_t		 i, k, bad, owned = 0, gone = 0;
	long		 it;
	int		 rc = -1, e;

	if (undo == NULL) {
		msg_err("%s/" SYNC_JOURNAL ": names no undo file", dir);
		goto out;
	}
	/* no undo file: the run stopped before it could send anything */
	if (lstat(undo, &sb) == 0 && undo_read(undo, &u, &bad, NULL) == -1)
		goto out;
	for (i = 0; i < u.n; i++) {
		c = &u.v[i];
		if ((e = sync_entry(d, c->guid, c->dn, &cur, &vals)) == -1)
			goto out;
		for (k = 0; e == 0 && k < c->del.n; k++) {
			if (!strlist_has(&vals, c->del.v[k]) || (it =
			    sync_item_of(si, c->guid, cur, c->del.v[k])) < 0)
				continue;
			if (sync_rec_from(&rec, si, (size_t)it, c->guid, cur,
			    c->del.v[k], 0, time(NULL)) == -1 ||
			    sync_upsert(st, &rec) == -1)
				goto out;
			owned++;
		}
		for (k = 0; k < c->add.n; k++) {
			if (e == 0 && strlist_has(&vals, c->add.v[k]))
				continue;
			if ((o = sync_find(st, c->guid, c->dn,
			    c->add.v[k])) != NULL) {
				o->drop = 1;
				st->dirty = 1;
				gone++;
			}
		}
		free(cur);
		cur = NULL;
		strlist_free(&vals);
	}
	msg_note("%s/" SYNC_JOURNAL ": a run that did not finish (undo file "
	    "%s): %zu of its added values are now owned, %zu removals "
	    "recorded", dir, undo, owned, gone);
	rc = 0;
out:
	free(cur);
	strlist_free(&vals);
	changes_free(&u);
	return rc;
}

static int
sync_namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* No owned.tsv: what the surviving undo files prove certbulk added. */
static int
sync_rebuild(const char *dir, struct dir *d, struct sync_state *st,
    const struct sync_inputs *si, time_t now)
{
	struct strlist	 names = { NULL, 0 }, vals = { NULL, 0 };
	struct changes	 u = { NULL, 0 };
	struct sync_state cand = { NULL, 0 };
	struct sync_rec	*r, rec;
	struct dirent	*de;
	struct sbuf	 p = SBUF_INIT;
	DIR		*dp = NULL;
	char		*cur = NULL;
	size_t		 i, j, k, bad, owned = 0;
	long		 it;
	int		 rc = -1, e;

	memset(&rec, 0, sizeof(rec));
	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)	/* no state folder yet (a preview) */
			rc = 0;
		else
			msg_err("%s: %s", dir, strerror(errno));
		goto out;
	}
	while ((de = readdir(dp)) != NULL)
		if (strncmp(de->d_name, "undo-", 5) == 0 &&
		    strlen(de->d_name) > 10 && strcmp(de->d_name +
		    strlen(de->d_name) - 5, ".ldif") == 0 &&
		    strlist_add(&names, de->d_name) == -1)
			goto oom;
	if (names.n == 0) {
		rc = 0;
		goto out;
	}
	/* oldest first: a later run's removal wins over an earlier add */
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), sync_namecmp);
	for (i = 0; i < names.n; i++) {
		sbuf_reset(&p);
		sbuf_printf(&p, "%s/%s", dir, names.v[i]);
		if (p.oom)
			goto oom;
		/* a refused file proves nothing: its values stay unowned */
		if (undo_read(p.s, &u, &bad, NULL) == -1)
			continue;
		for (j = 0; j < u.n; j++) {
			/* the undo deletes what the run added */
			for (k = 0; k < u.v[j].del.n; k++) {
				if ((r = sync_find(&cand, u.v[j].guid,
				    u.v[j].dn, u.v[j].del.v[k])) != NULL) {
					r->written = 1;
					continue;
				}
				if ((r = sync_push(&cand)) == NULL ||
				    (r->guid = strdup(u.v[j].guid ?
				    u.v[j].guid : "")) == NULL ||
				    (r->dn = strdup(u.v[j].dn)) == NULL ||
				    (r->value = strdup(u.v[j].del.v[k])) ==
				    NULL)
					goto oom;
				r->written = 1;
			}
			/* and adds back what it removed */
			for (k = 0; k < u.v[j].add.n; k++)
				if ((r = sync_find(&cand, u.v[j].guid,
				    u.v[j].dn, u.v[j].add.v[k])) != NULL)
					r->written = 0;
		}
		changes_free(&u);
	}
	for (i = 0; i < cand.n; i++) {
		r = &cand.v[i];
		if (!r->written)
			continue;
		if ((e = sync_entry(d, r->guid, r->dn, &cur, &vals)) == -1)
			goto out;
		if (e == 0 && strlist_has(&vals, r->value) &&
		    (it = sync_item_of(si, r->guid, cur, r->value)) >= 0) {
			if (sync_rec_from(&rec, si, (size_t)it, r->guid, cur,
			    r->value, 0, now) == -1 || sync_upsert(st, &rec) == -1)
				goto oom;
			owned++;
		}
		free(cur);
		cur = NULL;
		strlist_free(&vals);
	}
	msg_note("%s: no " SYNC_FILE ": rebuilt from %zu undo files: %zu values "
	    "proven written by certbulk and still in place are owned; other "
	    "values are left alone (certbulk adopt takes them)", dir, names.n,
	    owned);
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	if (dp != NULL)
		closedir(dp);
	free(cur);
	strlist_free(&vals);
	strlist_free(&names);
	changes_free(&u);
	sync_state_free(&cand);
	sbuf_reset(&p);
	return rc;
}

int
sync_reconcile(const char *dir, struct dir *d, struct sync_state *st,
    int exists, const struct sync_inputs *si, int save)
{
	struct sync_state jr = { NULL, 0 };
	char		*ops = NULL, *undo = NULL;
	int		 jexists, rc = -1;

	if (sync_read(dir, SYNC_JOURNAL, &jr, &jexists, &ops, &undo) == -1)
		goto out;
	/* a preview does not go through every undo file: it shows less */
	if (!exists && save && sync_rebuild(dir, d, st, si, time(NULL)) == -1)
		goto out;
	if (jexists && sync_settle(dir, d, st, si, undo) == -1)
		goto out;
	sync_sort(st);
	if (save && (jexists || !exists)) {
		if (sync_save(dir, st) == -1)
			goto out;
		if (jexists && sync_unlink(dir, SYNC_JOURNAL) == -1)
			goto out;
	}
	rc = 0;
out:
	sync_state_free(&jr);
	free(ops);
	free(undo);
	return rc;
}

/* --------------------------------------------------------------- verdict */

static int
sync_strcasecmpp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

/* First index of BYSHA whose thumbprint's bytes are not below B. */
static size_t
sync_sha_lo_bytes(const struct sync_inputs *si, const unsigned char *b)
{
	size_t	lo = 0, hi = si->nsha, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (memcmp(si->in->items[si->bysha[mid]].fact.sha256, b,
		    SYNC_SHA_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * Whether the inputs hold a certificate with thumbprint SHA (its bytes B
 * when R holds them: compared as bytes, not formatted at each step): 0
 * no, 1 yes, 2 yes and a CRL revokes it.
 */
static int
sync_sha_in(const struct sync_inputs *si, const char *sha,
    const unsigned char *b)
{
	size_t	j;
	int	found = 0;
	char	hex[INPUT_SHA256_HEX];

	if (si == NULL || sha[0] == '\0')
		return 0;
	/* in a file incremental reading left unread: there, not revoked */
	if (si->nskipsha > 0 && bsearch(&sha, si->skipsha, si->nskipsha,
	    sizeof(*si->skipsha), sync_strcasecmpp) != NULL)
		found = 1;
	if (si->in == NULL)
		return found;
	if (b != NULL) {	/* bysha is in the bytes' order */
		for (j = sync_sha_lo_bytes(si, b); j < si->nsha && memcmp(
		    si->in->items[si->bysha[j]].fact.sha256, b,
		    SYNC_SHA_LEN) == 0; j++) {
			if (si->in->items[si->bysha[j]].revoked)
				return 2;
			found = 1;
		}
		return found;
	}
	for (j = sync_sha_lo(si, sha); j < si->nsha && strcasecmp(
	    input_sha256(&si->in->items[si->bysha[j]], hex), sha) == 0; j++) {
		if (si->in->items[si->bysha[j]].revoked)
			return 2;
		found = 1;
	}
	return found;
}

static int
sync_in_run(const struct sync_inputs *si, const char *input)
{
	size_t	i;

	for (i = 0; si != NULL && i < si->nroots; i++)
		if (strcmp(si->roots[i], input) == 0)
			return 1;
	return 0;
}

/*
 * Since when a newer certificate's value has been in place on the
 * account: owned (its written time), being added by this run (now), or
 * already there though not owned (long enough: 0).
 */
static time_t
sync_in_place(const struct sync_state *st, const struct sync_inputs *si,
    size_t i, const char *guid, const char *dn, const struct sync_opts *o)
{
	const struct item	*it = &si->in->items[i];
	const struct sync_rec	*r;
	size_t			 k;
	int			 t;

	for (k = si->valat[i]; k < si->valat[i + 1]; k++)
		if ((r = sync_find(st, guid, dn, si->val[k])) != NULL)
			return r->written;
	/* a value plan_build did not move to a change is already there */
	for (t = 0; t < ALTSEC_NTYPES; t++)
		if (input_value(it, (int)t) != NULL && !(it->moved & ALTSEC_BIT(t)))
			return 0;
	return o->now;
}

/*
 * The item of the run that supersedes item I for the account GUID/DN: a
 * newer certificate (later notAfter) from the same issuer, still mapped,
 * whose value has been in place for --grace.  Or -1.
 */
static long
sync_newer(const struct sync_state *st, const struct sync_inputs *si,
    const char *sha, const char *issuer, time_t not_after, const char *guid,
    const char *dn, const struct sync_opts *o)
{
	const struct item	*it;
	const char		*key = sync_key(guid, dn);
	char			 hex[INPUT_SHA256_HEX];
	size_t			 j, i;

	if (si == NULL || si->in == NULL)
		return -1;
	for (j = sync_acct_lo(si, key); j < si->nacct; j++) {
		i = si->byacct[j];
		it = &si->in->items[i];
		if (strcasecmp(sync_key(it->aguid, it->adn), key) != 0)
			break;
		if (it->failed || input_sha256(it, hex) == NULL ||
		    strcasecmp(hex, sha) == 0 ||
		    it->fact.issuer == NULL || strcmp(it->fact.issuer, issuer) !=
		    0 || it->fact.not_after <= not_after)
			continue;
		if (sync_in_place(st, si, i, guid, dn, o) + o->grace <= o->now)
			return (long)i;
	}
	return -1;
}

void
sync_mark_revoked(struct input *in, const struct trust *t, time_t now)
{
	const char	*why;
	size_t		 i;

	for (i = 0; t != NULL && i < in->n; i++)
		if (input_cert(&in->items[i]) != NULL && trust_revocation(t,
		    input_cert(&in->items[i]), &in->pool, now, &why) ==
		    TRUST_REV_REVOKED)
			in->items[i].revoked = 1;
}

enum sync_verdict
sync_verdict(const struct sync_state *st, const struct sync_rec *r,
    const struct sync_inputs *si, const struct sync_opts *o,
    const char **why)
{
	const struct sync_rec	*n;
	const char		*key, *sha, *nsha;
	char			 rbuf[INPUT_SHA256_HEX], nbuf[INPUT_SHA256_HEX];
	size_t			 i;
	int			 in;

	sha = sync_rec_sha(r, rbuf);
	if ((in = sync_sha_in(si, sha, sync_rec_bytes(r))) == 2) {
		*why = "revoked (a CRL lists it)";
		return SYNC_REVOKED;
	}
	if (r->not_after < o->now && !o->allow_expired) {
		*why = "the certificate has expired";
		return SYNC_EXPIRED;
	}
	if (si != NULL && in == 0 &&
	    sync_in_run(si, r->input)) {
		*why = "its certificate is no longer in the input";
		return SYNC_REMOVED;
	}
	/* a newer certificate of the same issuer for the same account */
	if (sync_newer(st, si, sha, r->issuer, r->not_after, r->guid,
	    r->dn, o) >= 0) {
		*why = "a newer certificate from the same issuer is in place";
		return SYNC_SUPERSEDED;
	}
	/* the same from the state alone (status without a directory) */
	key = sync_key(r->guid, r->dn);
	for (i = sync_rec_lo(st, key); i < st->nsorted; i++) {
		n = &st->v[i];
		if (strcasecmp(sync_key(n->guid, n->dn), key) != 0)
			break;
		if (n == r || n->drop)
			continue;
		nsha = sync_rec_sha(n, nbuf);
		if (strcasecmp(nsha, sha) == 0 ||
		    strcmp(n->issuer, r->issuer) != 0 ||
		    n->not_after <= r->not_after ||
		    (n->not_after < o->now && !o->allow_expired) ||
		    (si != NULL && sync_sha_in(si, nsha, sync_rec_bytes(n)) ==
		    0 &&
		    sync_in_run(si, n->input)))
			continue;
		if (n->written + o->grace <= o->now) {
			*why = "a newer certificate from the same issuer is in "
			    "place";
			return SYNC_SUPERSEDED;
		}
	}
	if (r->not_after - o->now < o->warn) {
		*why = "the certificate expires soon";
		return SYNC_EXPIRING;
	}
	*why = "";
	return SYNC_VALID;
}

/* ----------------------------------------------------------------- prune */

/* 1 if an item of this run, still mapped, wants VALUE on R's account. */
static int
sync_wanted(const struct sync_inputs *si, const struct sync_rec *r)
{
	long	i;

	i = sync_item_of(si, r->guid, r->dn, r->value);
	return i >= 0 && !si->in->items[i].failed;
}

/*
 * The one place a removal enters a change: the value, and a note for the
 * preview and undo file saying why.  (A per-row report can hook here.)
 */
static int
sync_remove_value(struct change *c, const struct sync_rec *r,
    const char *why)
{
	struct sbuf	 b = SBUF_INIT;
	char		*s;
	int		 rc;

	sbuf_printf(&b, "remove %s: %s (from %s, serial %s)", r->value, why,
	    r->source, r->serial);
	if ((s = sbuf_done(&b)) == NULL)
		return -1;
	rc = strlist_add(&c->del, r->value) == -1 ||
	    strlist_add(&c->notes, s) == -1 ? -1 : 0;
	free(s);
	return rc;
}

/* The changes of the plan, sorted by account, for sync_change_for. */
struct sync_cidx {
	struct changes	*cs;
	size_t		*v;	/* owned: indices into cs */
	size_t		 n;
	size_t		 last;	/* the change made last, + 1, or 0 */
};

static int
sync_chgcmp(const void *a, const void *b, void *arg)
{
	const struct changes	*cs = arg;
	const struct change	*x = &cs->v[*(const size_t *)a];
	const struct change	*y = &cs->v[*(const size_t *)b];

	return strcasecmp(sync_key(x->guid, x->dn), sync_key(y->guid, y->dn));
}

/*
 * The change for the account of GUID/DN: the plan's, or one made for
 * removals (records come sorted by account, so the last one made is the
 * only other candidate).
 */
static struct change *
sync_change_for(struct sync_cidx *x, const char *guid, const char *dn,
    size_t have)
{
	struct change	*c;
	const char	*key = sync_key(guid, dn);
	size_t		 lo = 0, hi = x->n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = &x->cs->v[x->v[mid]];
		if (strcasecmp(sync_key(c->guid, c->dn), key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < x->n; lo++) {
		c = &x->cs->v[x->v[lo]];
		if (strcasecmp(sync_key(c->guid, c->dn), key) != 0)
			break;
		if (sync_same_acct(guid, dn, c->guid, c->dn))
			return c;
	}
	if (x->last > 0) {
		c = &x->cs->v[x->last - 1];
		if (sync_same_acct(guid, dn, c->guid, c->dn))
			return c;
	}
	if ((c = changes_add(x->cs, dn)) == NULL)
		return NULL;
	x->last = x->cs->n;
	c->have = have;
	if (guid != NULL && guid[0] != '\0' && (c->guid = strdup(guid)) == NULL)
		return NULL;
	return c;
}

/*
 * The items of each change, for sync_holder: HEAD[i] the first item whose
 * chg is i, NEXT[j] the item after j (-1 ends), built once per run so that
 * many renewals do not scan every item each.  0 or -1.
 */
struct sync_byitem {
	long	*head;
	long	*next;
};

static int
sync_byitem_build(struct sync_byitem *bi, const struct input *in, size_t nchg)
{
	size_t	i, j;

	if ((bi->head = malloc((nchg + 1) * sizeof(*bi->head))) == NULL ||
	    (bi->next = malloc((in->n + 1) * sizeof(*bi->next))) == NULL)
		return -1;
	for (i = 0; i < nchg; i++)
		bi->head[i] = -1;
	for (j = in->n; j-- > 0;) {	/* backwards: lists in item order */
		bi->next[j] = -1;
		if (in->items[j].chg >= 0 && (size_t)in->items[j].chg < nchg) {
			bi->next[j] = bi->head[in->items[j].chg];
			bi->head[in->items[j].chg] = (long)j;
		}
	}
	return 0;
}

/*
 * The item whose value V went into change I (plan_changes moved it there
 * and left the item a borrowed pointer), and in *T its form; or NULL.
 */
static struct item *
sync_holder(struct input *in, const struct sync_byitem *bi, size_t i,
    const char *v, int *t)
{
	long	j;
	int	k;

	for (j = bi->head[i]; j >= 0; j = bi->next[j])
		for (k = 0; k < ALTSEC_NTYPES; k++)
			if (input_value(&in->items[j], k) == v) {
				*t = k;
				return &in->items[j];
			}
	return NULL;
}

int
sync_unsupersede(const struct sync_state *st, struct sync_inputs *si,
    const struct sync_opts *o, struct changes *cs, size_t *nvalues)
{
	struct change		*c;
	const struct item	*it;
	struct item		*h;
	struct input		*in = (struct input *)(uintptr_t)si->in;
	struct sync_byitem	 bi = { NULL, NULL };
	char			 hex[INPUT_SHA256_HEX], **dead;
	size_t			 i, j, k, w, cap = si->ndead;
	long			 m, *map = NULL;
	int			 t, rc = -1;

	/* without --prune two cards of one issuer are both mapped */
	if (!o->prune)
		return 0;
	if (in != NULL && sync_byitem_build(&bi, in, cs->n) == -1) {
		msg_err("out of memory");
		goto fail;
	}
	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		/* room for each add to be taken out, before any is */
		if (si->ndead + c->add.n > cap) {
			cap = si->ndead + c->add.n > 2 * cap ? si->ndead +
			    c->add.n : 2 * cap;
			if ((dead = realloc(si->dead, cap * sizeof(*dead))) ==
			    NULL) {
				msg_err("out of memory");
				goto fail;
			}
			si->dead = dead;
		}
		for (k = 0, w = 0; k < c->add.n; k++) {
			m = sync_item_of(si, c->guid, c->dn, c->add.v[k]);
			it = m >= 0 ? &si->in->items[m] : NULL;
			if (it != NULL && input_sha256(it, hex) != NULL &&
			    sync_newer(st, si, hex, it->fact.issuer,
			    it->fact.not_after, c->guid, c->dn, o) >= 0) {
				msg_info("%s: superseded by a newer certificate "
				    "on \"%s\"; not mapped again",
				    INPUT_SRC(it),
				    c->dn);
				/* the item must not point at the freed value */
				if (in != NULL && (h = sync_holder(in, &bi, i,
				    c->add.v[k], &t)) != NULL) {
					*input_slot(h, t) = NULL;
					h->moved &= ~ALTSEC_BIT(t);
					if (!h->failed) {
						h->failed = 1;
						h->reason = REASON_SUPERSEDED;
					}
				}
				/* SI points at it: freed with SI (room made
				 * above) */
				si->dead[si->ndead++] = c->add.v[k];
				(*nvalues)--;
				continue;
			}
			if (k < c->thumbs.n)
				change_thumbs_v(&c->thumbs)[w] =
				    change_thumbs_v(&c->thumbs)[k];
			c->add.v[w++] = c->add.v[k];
		}
		c->add.n = w;
		if (c->thumbs.n > w)
			c->thumbs.n = (uint32_t)w;
	}
	/* a change left with nothing to do is no change */
	if (cs->n > 0 && (map = malloc(cs->n * sizeof(*map))) == NULL) {
		msg_err("out of memory");
		goto fail;
	}
	for (i = 0, w = 0; i < cs->n; i++) {
		c = &cs->v[i];
		if (c->add.n == 0 && c->del.n == 0) {
			change_free(c);	/* its notes' items too */
			map[i] = -1;
			continue;
		}
		map[i] = (long)w;
		cs->v[w++] = *c;
	}
	cs->n = w;
	/* the items' changes, renumbered (the report reads them) */
	for (j = 0; in != NULL && map != NULL && j < in->n; j++)
		if (in->items[j].chg >= 0)
			in->items[j].chg = map[in->items[j].chg];
	rc = 0;
fail:
	free(bi.head);
	free(bi.next);
	free(map);
	return rc;
}

int
sync_prune(struct dir *d, struct sync_state *st, const struct sync_inputs *si,
    const struct sync_opts *o, struct changes *cs, size_t *nremove)
{
	struct strlist	 vals = { NULL, 0 };
	struct sync_cidx x;
	struct sync_rec	*r;
	struct change	*c;
	enum sync_verdict v;
	const char	*why;
	char		*cur = NULL;
	size_t		 i, could = 0;
	int		 e, rc = -1;

	*nremove = 0;
	memset(&x, 0, sizeof(x));
	x.cs = cs;
	if (cs->n > 0 && (x.v = calloc(cs->n, sizeof(*x.v))) == NULL)
		goto oom;
	for (x.n = 0; x.n < cs->n; x.n++)
		x.v[x.n] = x.n;
	if (x.n > 1)
		qsort_r(x.v, x.n, sizeof(*x.v), sync_chgcmp, cs);
	for (i = 0; i < st->n; i++) {
		r = &st->v[i];
		if (r->drop)
			continue;
		v = sync_verdict(st, r, si, o, &why);
		/* a superseded certificate is still in the input by design */
		if (v == SYNC_VALID || v == SYNC_EXPIRING ||
		    (v != SYNC_SUPERSEDED && sync_wanted(si, r)))
			continue;
		if (!o->prune) {
			could++;
			continue;
		}
		if ((e = sync_entry(d, r->guid, r->dn, &cur, &vals)) == -1)
			goto out;
		if (e == 1 || !strlist_has(&vals, r->value)) {
			/* removed by someone else: no longer ours to track */
			msg_info("\"%s\": %s is no longer there; forgotten",
			    r->dn, r->value);
			r->drop = 1;
			st->dirty = 1;
			goto next;
		}
		sync_rec_release(r, SYNC_F_DN, r->dn);
		r->dn = cur;
		cur = NULL;
		if ((c = sync_change_for(&x, r->guid, r->dn, vals.n)) == NULL)
			goto oom;
		if (strlist_has(&c->add, r->value) ||
		    strlist_has(&c->del, r->value))
			goto next;
		if (sync_remove_value(c, r, sync_verdict_name(v)) == -1)
			goto oom;
		msg_info("\"%s\": removing %s: %s", r->dn, r->value, why);
		(*nremove)++;
next:
		free(cur);
		cur = NULL;
		strlist_free(&vals);
	}
	if (could > 0)
		msg_note("%zu value%s certbulk added belong%s to certificates "
		    "that are gone, expired, revoked or superseded: --prune "
		    "removes them", could, could > 1 ? "s" : "", could > 1 ?
		    "" : "s");
	plan_entra_check(cs, o->prune);
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	free(x.v);
	free(cur);
	strlist_free(&vals);
	return rc;
}

/* --------------------------------------------------------- journal, commit */

int
sync_journal(const char *dir, const struct changes *cs,
    const struct sync_inputs *si, const char *undo)
{
	struct sbuf	 b = SBUF_INIT;
	int		 rc = -1;

	(void)cs;
	(void)si;
	/*
	 * The undo file itself says what may have been sent (its pending and
	 * done records); the journal only names it, so that it costs no
	 * room that the undo file may need.
	 */
	sbuf_puts(&b, "# certbulk journal: a run in progress; the next run "
	    "settles the run state against this undo file\nundo\t");
	sync_put_field(&b, undo, 1);
	if (b.oom)
		msg_err("out of memory");
	else
		rc = sync_write_atomic(dir, SYNC_JOURNAL, b.s, b.len);
	sbuf_reset(&b);
	return rc;
}

int
sync_commit(const char *dir, struct sync_state *st, const struct changes *cs,
    const struct sync_inputs *si, time_t now)
{
	const struct change *c;
	const struct item *it;
	struct sync_rec	 r, *o;
	size_t		 i, j, k;
	long		 m;
	int		 unknown = 0;

	/* the accounts as seen now: renamed or moved, found by objectGUID */
	for (i = 0; si != NULL && i < si->nacct; i++) {
		it = &si->in->items[si->byacct[i]];
		if (it->aguid == NULL)
			continue;
		for (j = sync_rec_lo(st, it->aguid); j < st->nsorted &&
		    strcasecmp(st->v[j].guid, it->aguid) == 0; j++) {
			if (strcmp(st->v[j].dn, it->adn) == 0)
				continue;
			st->dirty = 1;
			sync_rec_release(&st->v[j], SYNC_F_DN, st->v[j].dn);
			sync_rec_release(&st->v[j], SYNC_F_SAM, st->v[j].sam);
			st->v[j].dn = strdup(it->adn);
			st->v[j].sam = strdup(it->asam ? it->asam : "");
			if (st->v[j].dn == NULL || st->v[j].sam == NULL)
				goto oom;
		}
	}
	for (i = 0; i < cs->n; i++) {
		c = &cs->v[i];
		if (c->status == CHANGE_PLANNED && c->rec >= 0)
			unknown = 1;	/* sent, no reply: the journal stays */
		/*
		 * An account of another domain (forest.h) is not owned here:
		 * --prune reads and writes on -H's DC only, and must never
		 * remove a value through the wrong one.
		 */
		if (c->status != CHANGE_DONE || c->foreign)
			continue;
		for (k = 0; k < c->del.n; k++)
			if ((o = sync_find(st, c->guid, c->dn, c->del.v[k])) !=
			    NULL) {
				o->drop = 1;
				st->dirty = 1;
			}
		for (k = 0; k < c->add.n; k++) {
			if ((m = sync_item_of(si, c->guid, c->dn,
			    c->add.v[k])) < 0)
				continue;
			/* CS outlives ST (sync_commit): its value is lent */
			if (sync_rec_from(&r, si, (size_t)m, c->guid, c->dn,
			    c->add.v[k], 1, now) == -1 || sync_upsert(st, &r) ==
			    -1)
				goto oom;
		}
	}
	sync_sort(st);
	/* a night without changes rewrites nothing */
	if (st->dirty && sync_save(dir, st) == -1)
		return -1;
	st->dirty = 0;
	if (unknown) {
		msg_warn("%s/" SYNC_JOURNAL " kept: some modifies got no reply; "
		    "the next run settles them", dir);
		return 0;
	}
	return sync_unlink(dir, SYNC_JOURNAL);
oom:
	msg_err("out of memory");
	return -1;
}

/* ----------------------------------------------------------- adopt, status */

int
sync_adopt(const char *dir, struct sync_state *st,
    const struct sync_inputs *si, int apply, FILE *fp, size_t *n,
    time_t now)
{
	const struct item *it;
	struct sync_rec	 r;
	char		*e;
	size_t		 i;
	int		 k;

	*n = 0;
	for (i = 0; i < si->in->n; i++) {
		it = &si->in->items[i];
		if (it->failed || it->adn == NULL)
			continue;
		for (k = 0; k < ALTSEC_NTYPES; k++) {
			/* what plan_build left in the item (not moved to a
			 * change) is on the account */
			if (input_value(it, k) == NULL ||
			    (it->moved & ALTSEC_BIT(k)) || sync_find(st, it->aguid,
			    it->adn, input_value(it, k)) != NULL)
				continue;
			e = msg_escape(input_value(it, k), strlen(input_value(it, k)));
			fprintf(fp, "# adopt: \"%s\": %s (from %s)\n", it->adn,
			    e ? e : "?", INPUT_SRC(it));
			free(e);
			(*n)++;
			if (!apply)
				continue;
			/* the item's own value, which outlives ST */
			if (sync_rec_from(&r, si, i, it->aguid, it->adn,
			    input_value(it, k), 1, now) == -1 ||
			    sync_upsert(st, &r) == -1) {
				msg_err("out of memory");
				return -1;
			}
		}
	}
	if (fflush(fp) == EOF) {
		msg_err("write error: %s", strerror(errno));
		return -1;
	}
	if (!apply || *n == 0)
		return 0;
	sync_sort(st);
	return sync_save(dir, st);
}

int
sync_status(FILE *fp, const struct sync_state *st,
    const struct sync_inputs *si, const struct sync_opts *o, int tsv)
{
	const struct sync_rec	*r;
	enum sync_verdict	 v;
	struct sbuf		 b = SBUF_INIT;
	const char		*why;
	char			 na[32];
	size_t			 i;
	int			 bad = 0;

	for (i = 0; i < st->n; i++) {
		r = &st->v[i];
		v = sync_verdict(st, r, si, o, &why);
		if (v != SYNC_VALID)
			bad = 1;
		sync_fmt_time(r->not_after, na, sizeof(na));
		sbuf_reset(&b);
		if (tsv) {
			sync_put_field(&b, sync_verdict_name(v), 0);
			sync_put_field(&b, r->sam, 0);
			sync_put_field(&b, r->dn, 0);
			sync_put_field(&b, r->value, 0);
			sync_put_field(&b, na, 0);
			sync_put_field(&b, r->source, 1);
		} else {
			char *dn = msg_escape(r->dn, strlen(r->dn));
			char *val = msg_escape(r->value, strlen(r->value));
			char *src = msg_escape(r->source, strlen(r->source));

			sbuf_printf(&b, "%-18s %s \"%s\"\n    %s\n    expires "
			    "%s, from %s%s%s\n", sync_verdict_name(v), r->sam,
			    dn ? dn : "?", val ? val : "?", na, src ? src : "?",
			    why[0] ? ": " : "", why);
			free(dn);
			free(val);
			free(src);
		}
		if (b.oom || fwrite(b.s, 1, b.len, fp) != b.len) {
			sbuf_reset(&b);
			msg_err("write error");
			return -1;
		}
	}
	sbuf_reset(&b);
	if (fflush(fp) == EOF) {
		msg_err("write error: %s", strerror(errno));
		return -1;
	}
	return bad;
}
