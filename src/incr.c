/*
 * Incremental reading: which --certdir files are unchanged since the
 * last finished run.  See include/incr.h.
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "incr.h"
#include "msg.h"
#include "sbuf.h"
#include "sync.h"

#define INCR_FILE	"inputs.tsv"
#define INCR_IDENT_MAX	96

struct incr_ent {
	char	*path;		/* in the incr's arena, all */
	char	*ident;
	char	*shas;		/* thumbprints, comma-separated */
	size_t	 first, n;	/* items, when read by this run */
	int	 skipped;	/* unchanged and left unread */
	int	 read;		/* read by this run */
};

struct incr {
	struct incr_ent	*v;	/* owned; v[0..nold) sorted by path */
	size_t		 n, nold;
	char		*key;
	/*
	 * The identity of each of the last INPUT_AHEAD files asked about
	 * (incr_skip), taken before the file was read, for incr_seen: the
	 * files asked about are read ahead, so seen comes up to
	 * INPUT_AHEAD asks later.  A ring; asked counts the asks.
	 */
	struct {
		char	*path;	/* owned */
		char	 ident[INCR_IDENT_MAX];
	}		 cur[INPUT_AHEAD];
	size_t		 asked, told;	/* asks; the next one seen may be */
	size_t		 nskipped;
	char		**shas;	/* owned array; the strings in arena */
	size_t		 nshas;
	size_t		 capshas;
	struct arena	 arena;	/* the entries' strings: a night's
				   inputs.tsv has a line per file */
	int		 full;
	int		 loaded;	/* read with the same key */
};

void
incr_ident(const char *path, char *buf, size_t len)
{
	struct stat	st;

	if (stat(path, &st) == -1) {
		snprintf(buf, len, "-");
		return;
	}
	snprintf(buf, len, "%lld %lld.%09ld %lld.%09ld %llu:%llu",
	    (long long)st.st_size, (long long)st.st_mtim.tv_sec,
	    st.st_mtim.tv_nsec, (long long)st.st_ctim.tv_sec,
	    st.st_ctim.tv_nsec, (unsigned long long)st.st_dev,
	    (unsigned long long)st.st_ino);
}

static int
incr_entcmp(const void *a, const void *b)
{
	return strcmp(((const struct incr_ent *)a)->path,
	    ((const struct incr_ent *)b)->path);
}

static struct incr_ent *
incr_push(struct incr *x)
{
	struct incr_ent	*v;

	if ((v = realloc(x->v, (x->n + 1) * sizeof(*v))) == NULL)
		return NULL;
	x->v = v;
	memset(&v[x->n], 0, sizeof(*v));
	return &v[x->n++];
}

void
incr_free(struct incr *x)
{
	size_t	i;

	if (x == NULL)
		return;
	arena_free(&x->arena);
	free(x->shas);
	free(x->v);
	free(x->key);
	for (i = 0; i < INPUT_AHEAD; i++)
		free(x->cur[i].path);
	free(x);
}

struct incr *
incr_open(const char *dir, const char *key, int full)
{
	struct incr	*x, *ret = NULL;
	struct incr_ent	*e;
	FILE		*fp = NULL;
	char		*line = NULL, *f[4], *p;
	size_t		 cap = 0, lineno = 0, i;
	ssize_t		 len;
	int		 absent, samekey = 0;

	if ((x = calloc(1, sizeof(*x))) == NULL || (x->key = strdup(key)) ==
	    NULL) {
		msg_err("out of memory");
		goto out;
	}
	x->full = full;
	if (full) {
		ret = x;
		goto out;
	}
	if ((fp = sync_open_read(dir, INCR_FILE, &absent)) == NULL) {
		if (absent)
			ret = x;
		goto out;
	}
	while ((len = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (strncmp(line, "key\t", 4) == 0) {
			samekey = sync_unescape(line + 4) == 0 &&
			    strcmp(line + 4, key) == 0;
			continue;
		}
		if (!samekey)
			break;	/* other options: every file is read */
		for (i = 0, p = line; i < 4; i++) {
			f[i] = p;
			p += strcspn(p, "\t");
			if (*p != '\0')
				*p++ = '\0';
			else if (i < 3)
				break;
		}
		if (i < 4 || sync_unescape(f[0]) == -1) {
			/* a bad line: that file is read again */
			msg_warn("%s/" INCR_FILE ":%zu: not a file line; "
			    "ignored", dir, lineno);
			continue;
		}
		if ((e = incr_push(x)) == NULL ||
		    (e->path = arena_strdup(&x->arena, f[0])) == NULL ||
		    (e->ident = arena_strdup(&x->arena, f[1])) == NULL ||
		    (e->shas = arena_strdup(&x->arena, f[3])) == NULL) {
			msg_err("out of memory");
			goto out;
		}
		(void)f[2];
	}
	if (x->n > 1)
		qsort(x->v, x->n, sizeof(*x->v), incr_entcmp);
	x->nold = x->n;
	x->loaded = samekey;
	ret = x;
out:
	if (fp != NULL)
		fclose(fp);
	free(line);
	if (ret == NULL)
		incr_free(x);
	return ret;
}

static struct incr_ent *
incr_find(struct incr *x, const char *path)
{
	struct incr_ent	k;

	if (x->nold == 0)	/* no v to search (NULL) */
		return NULL;
	k.path = (char *)(uintptr_t)path;
	return bsearch(&k, x->v, x->nold, sizeof(*x->v), incr_entcmp);
}

int
incr_skip(void *arg, const char *path)
{
	struct incr	*x = arg;
	struct incr_ent	*e;
	size_t		 k = x->asked++ % INPUT_AHEAD;
	const char	*cur = x->cur[k].ident;

	/* taken before the read: a change while reading shows next time */
	incr_ident(path, x->cur[k].ident, sizeof(x->cur[k].ident));
	free(x->cur[k].path);
	x->cur[k].path = strdup(path);
	if (x->full || (e = incr_find(x, path)) == NULL ||
	    strcmp(e->ident, cur) != 0 || strcmp(cur, "-") == 0)
		return 0;
	e->skipped = 1;
	x->nskipped++;
	return 1;
}

void
incr_seen(void *arg, const char *path, size_t first, size_t n)
{
	struct incr	*x = arg;
	struct incr_ent	*e;
	char		 own[INCR_IDENT_MAX];
	const char	*cur = NULL;
	size_t		 k;

	/* its ask: seen comes in the order of the asks, some skipped */
	if (x->asked - x->told > INPUT_AHEAD)
		x->told = x->asked - INPUT_AHEAD;
	for (; x->told < x->asked; x->told++) {
		k = x->told % INPUT_AHEAD;
		if (x->cur[k].path != NULL && strcmp(x->cur[k].path,
		    path) == 0) {
			cur = x->cur[k].ident;
			x->told++;
			break;
		}
	}
	if (cur == NULL) {
		incr_ident(path, own, sizeof(own));
		cur = own;
	}
	if ((e = incr_push(x)) == NULL || (e->path = arena_strdup(&x->arena,
	    path)) == NULL || (e->ident = arena_strdup(&x->arena, cur)) ==
	    NULL) {
		/* not kept: the file is read again next time */
		if (e != NULL)
			e->read = 0;
		return;
	}
	e->first = first;
	e->n = n;
	e->read = 1;
}

size_t
incr_skipped(const struct incr *x)
{
	return x->nskipped;
}

static int
incr_strcasecmpp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

char **
incr_shas(struct incr *x, size_t *n)
{
	char	**v, *p, *s;
	size_t	  i, c;

	for (i = 0; i < x->nold; i++) {
		if (!x->v[i].skipped || x->v[i].shas[0] == '\0')
			continue;
		/* cut in place: the thumbprints point into the copy */
		if ((s = arena_strdup(&x->arena, x->v[i].shas)) == NULL)
			goto oom;
		for (p = strtok(s, ","); p != NULL; p = strtok(NULL, ",")) {
			if (x->nshas == x->capshas) {
				c = x->capshas < 64 ? 64 : 2 * x->capshas;
				if ((v = reallocarray(x->shas, c,
				    sizeof(*v))) == NULL)
					goto oom;
				x->shas = v;
				x->capshas = c;
			}
			x->shas[x->nshas++] = p;
		}
	}
	if (x->nshas > 1)
		if (x->nshas > 1)
			qsort(x->shas, x->nshas, sizeof(*x->shas),
			    incr_strcasecmpp);
	*n = x->nshas;
	return x->shas;
oom:
	msg_err("out of memory");
	*n = 0;
	return NULL;
}

static int
incr_dncmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

int
incr_save(struct incr *x, const char *dir, const struct input *in,
    const struct changes *cs)
{
	struct sbuf	 b = SBUF_INIT;
	struct incr_ent	*e;
	const struct item *it;
	char		**notdone = NULL, *esc;
	size_t		 i, j, nnd = 0;
	int		 ok, rc = -1;

	/* nothing read, nothing gone: the file stays as it is */
	if (x->loaded && x->n == x->nold && x->nskipped == x->nold)
		return 0;
	/* the accounts whose change did not happen: their files are read
	 * again next time */
	if (cs->n > 0 && (notdone = calloc(cs->n, sizeof(*notdone))) == NULL)
		goto oom;
	for (i = 0; i < cs->n; i++)
		if (cs->v[i].status != CHANGE_DONE)
			notdone[nnd++] = cs->v[i].dn;
	if (nnd > 1)
		if (nnd > 1)
			qsort(notdone, nnd, sizeof(*notdone), incr_dncmp);
	sbuf_puts(&b, "# certbulk input files: --certdir files a run mapped; "
	    "unchanged ones are not read again (certbulk --full reads all)\n"
	    "# path\tsize mtime ctime dev:inode\t-\tsha256,...\nkey\t");
	if ((esc = msg_escape_field(x->key, strlen(x->key))) == NULL)
		goto oom;
	sbuf_printf(&b, "%s\n", esc);
	free(esc);
	for (i = 0; i < x->n; i++) {
		e = &x->v[i];
		if (i < x->nold && !e->skipped)
			continue;	/* gone, or read again below */
		if (i >= x->nold) {
			if (!e->read)
				continue;
			ok = 1;
			for (j = e->first; ok && j < e->first + e->n; j++) {
				it = &in->items[j];
				if (it->failed || it->adn == NULL ||
				    (nnd > 0 && bsearch(&it->adn, notdone, nnd,
				    sizeof(*notdone), incr_dncmp) != NULL))
					ok = 0;
			}
			if (!ok)
				continue;
			e->shas = NULL;
			{
				struct sbuf s = SBUF_INIT;
				char hex[INPUT_SHA256_HEX];
				const char *h;

				for (j = e->first; j < e->first + e->n; j++) {
					h = input_sha256(&in->items[j], hex);
					sbuf_printf(&s, "%s%s", j > e->first ?
					    "," : "", h != NULL ? h : "");
				}
				if (!s.oom)
					e->shas = arena_strdup(&x->arena,
					    s.s != NULL ? s.s : "");
				sbuf_reset(&s);
				if (e->shas == NULL)
					goto oom;
			}
		}
		if ((esc = msg_escape_field(e->path, strlen(e->path))) == NULL)
			goto oom;
		sbuf_printf(&b, "%s\t%s\t-\t%s\n", esc, e->ident, e->shas);
		free(esc);
	}
	if (b.oom)
		goto oom;
	rc = sync_write_atomic(dir, INCR_FILE, b.s, b.len);
	goto out;
oom:
	msg_err("out of memory");
out:
	free(notdone);
	sbuf_reset(&b);
	return rc;
}
