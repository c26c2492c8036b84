/*
 * ntauth: planning certbulk ntauth add/remove and the undo of their
 * records.  Read-only: the changes go through the run's preview, undo
 * file and apply like any other (cmd_run.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "ntauth.h"

int
ntauth_is_dn(const char *dn)
{
	return strncasecmp(dn, NTAUTH_PREFIX, strlen(NTAUTH_PREFIX)) == 0 &&
	    strncasecmp(dn + strlen(NTAUTH_PREFIX), "CN=Configuration,",
	    strlen("CN=Configuration,")) == 0;
}

/* The store as hex strings; 1 if the entry is missing, -1 on failure. */
static int
ntauth_current(struct dir *d, char **dn, struct strlist *cur)
{
	struct dir_blobs	 b = { NULL, NULL, 0 };
	char			*h;
	size_t			 i;
	int			 r, rc = -1;

	if ((r = dir_ntauth_read(d, dn, &b)) == -1)
		goto out;
	for (i = 0; i < b.n; i++) {
		if ((h = ntauth_hex(b.v[i], b.len[i])) == NULL ||
		    strlist_add(cur, h) == -1) {
			free(h);
			msg_err("out of memory");
			goto out;
		}
		free(h);
	}
	rc = r;
out:
	dir_blobs_free(&b);
	return rc;
}

/* Exact byte comparison: cACertificate is an octet string. */
static int
ntauth_has(const struct strlist *l, const char *hex)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], hex) == 0)
			return 1;
	return 0;
}

/* Removes HEX from L. */
static void
ntauth_drop(struct strlist *l, const char *hex)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		if (strcasecmp(l->v[i], hex) == 0) {
			free(l->v[i]);
			l->v[i] = l->v[--l->n];
			return;
		}
}

/* Adds to OUT a change on DN of one value, ADD or delete. */
static struct change *
ntauth_change(struct changes *out, const char *dn, const char *hex, int add,
    int entry)
{
	struct change	*c;

	if ((c = changes_add(out, dn)) == NULL ||
	    strlist_add(add ? &c->add : &c->del, hex) == -1) {
		msg_err("out of memory");
		return NULL;
	}
	c->attr = NTAUTH_ATTR;
	c->entry = entry;
	return c;
}

int
ntauth_plan(struct dir *d, const struct ntauth_ca *ca, int remove,
    struct changes *out)
{
	struct strlist	 cur = { NULL, 0 };
	struct change	*c;
	char		*dn = NULL, *subj = NULL, note[256];
	int		 r, rc = -1, entry = 0;

	if ((r = ntauth_current(d, &dn, &cur)) == -1)
		goto out;
	subj = msg_escape(ca->subject, strlen(ca->subject));
	if (!remove && ntauth_has(&cur, ca->hex)) {
		msg_note("%s (SHA-1 %s) is already in the NTAuth store: nothing "
		    "to add", subj ? subj : "?", ca->sha1);
		rc = 0;
		goto out;
	}
	if (remove && !ntauth_has(&cur, ca->hex)) {
		msg_note("%s (SHA-1 %s) is not in the NTAuth store%s: nothing "
		    "to remove", subj ? subj : "?", ca->sha1, r == 1 ?
		    " (the forest has no NTAuthCertificates entry)" : "");
		rc = 0;
		goto out;
	}
	if (!remove && r == 1) {
		entry = 1;
		msg_note("the forest has no NTAuth store: %s is created (class "
		    "certificationAuthority, as certutil -dspublish does)", dn);
	} else if (remove && cur.n == 1) {
		/* the class requires cACertificate: no empty store */
		entry = -1;
		msg_note("%s is the store's only certificate: the entry %s is "
		    "deleted (certificationAuthority requires a cACertificate "
		    "value); the undo file re-creates it", subj ? subj : "?",
		    dn);
	}
	if ((c = ntauth_change(out, dn, ca->hex, !remove, entry)) == NULL)
		goto out;
	snprintf(note, sizeof(note), "ntauth %s: %s, SHA-1 %s", remove ?
	    "remove" : "add", entry == 1 ? "entry created" : entry == -1 ?
	    "entry deleted" : "one cACertificate value", ca->sha1);
	if (strlist_add(&c->notes, note) == -1 || (subj != NULL &&
	    strlist_add(&c->notes, ca->subject) == -1)) {
		msg_err("out of memory");
		goto out;
	}
	rc = 0;
out:
	free(subj);
	free(dn);
	strlist_free(&cur);
	return rc;
}

int
ntauth_plan_undo(struct dir *d, const struct changes *want,
    struct changes *out, size_t *bad)
{
	struct strlist		 cur = { NULL, 0 };
	const struct change	*w;
	char			*dn = NULL;
	size_t			 i, j;
	int			 r = 0, rc = -1, read = 0;

	for (i = 0; i < want->n; i++) {
		w = &want->v[i];
		if (w->attr == NULL)
			continue;
		if (!read) {
			if ((r = ntauth_current(d, &dn, &cur)) == -1)
				goto out;
			read = 1;
		}
		if (!dir_dn_equal(w->dn, dn)) {
			msg_err("\"%s\": cACertificate record for another entry "
			    "than this forest's NTAuth store (%s); not undone",
			    w->dn, dn);
			(*bad)++;
			continue;
		}
		/*
		 * Records are replayed in order against the store as each
		 * leaves it, tracked in CUR (R: 1 while the entry is gone);
		 * one value per change, so that removing the last value
		 * becomes a delete of the entry and adding to no entry an
		 * add of it.
		 */
		for (j = 0; j < w->del.n; j++) {
			if (!ntauth_has(&cur, w->del.v[j]))
				continue;
			if (ntauth_change(out, dn, w->del.v[j], 0, cur.n == 1 ?
			    -1 : 0) == NULL)
				goto out;
			ntauth_drop(&cur, w->del.v[j]);
			if (cur.n == 0)
				r = 1;
		}
		for (j = 0; j < w->add.n; j++) {
			if (ntauth_has(&cur, w->add.v[j]))
				continue;
			if (ntauth_change(out, dn, w->add.v[j], 1, r == 1) ==
			    NULL || strlist_add(&cur, w->add.v[j]) == -1)
				goto out;
			r = 0;
		}
	}
	rc = 0;
out:
	free(dn);
	strlist_free(&cur);
	return rc;
}
