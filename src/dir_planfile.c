/*
 * planfile: writing the integrity line of a reviewed plan, and reading a
 * plan back with libldap's LDIF reader (ldif_read_record, then
 * ldap_parse_ldif_record).  A dir_ file: it needs <ldap.h> for the
 * parsed record's types.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <lber.h>
#include <ldap.h>
#include <ldif.h>

#include "digest.h"
#include "msg.h"
#include "planfile.h"
#include "state.h"

#define PLANFILE_MAX	(512UL * 1024 * 1024)	/* refused above */
#define PLANFILE_GUID	"# certbulk-guid: "
/* a record of an account of another domain, and its DC (forest.h) */
#define PLANFILE_SERVER	"# certbulk-server: "
#define PLANFILE_VALUE	"# " PLAN_VALUE_NOTE
#define PLANFILE_ATTR	"altSecurityIdentities"

int
planfile_seal(struct sbuf *out, const char *body, size_t len)
{
	char	hex[DIGEST_HEX];

	if (digest_sha256(body, len, hex) == -1)
		return -1;
	sbuf_printf(out, PLANFILE_TAG "%s\n", hex);
	sbuf_add(out, body, len);
	if (out->oom) {
		msg_err("out of memory");
		return -1;
	}
	return 0;
}

void
planfile_free(struct planfile *pf)
{
	size_t	i;

	for (i = 0; pf->vals != NULL && i < pf->cs.n; i++)
		free(pf->vals[i]);
	free(pf->vals);
	free(pf->line);
	changes_free(&pf->cs);
	free(pf->domain);
	strlist_free(&pf->inputs);
	memset(pf, 0, sizeof(*pf));
}

/* Reads the whole trusted file PATH into *BUF (NUL-terminated). */
static int
planfile_slurp(const char *path, char **buf, size_t *len)
{
	struct stat	 sb;
	char		*b = NULL;
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1) {
		msg_err("%s: %s", path, errno == ELOOP ? "a symbolic link; "
		    "plans are not read through links" : strerror(errno));
		return -1;
	}
	/* a plan decides what is written: it must be ours, as undo files */
	if (state_trusted(fd, path, "plan", 0) == -1)
		goto out;
	if (fstat(fd, &sb) == -1) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if ((unsigned long long)sb.st_size > PLANFILE_MAX) {
		msg_err("%s: too large for a plan", path);
		goto out;
	}
	if ((b = malloc((size_t)sb.st_size + 1)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	while (n < (size_t)sb.st_size &&
	    (r = read(fd, b + n, (size_t)sb.st_size - n)) > 0)
		n += (size_t)r;
	if (n != (size_t)sb.st_size) {
		msg_err("%s: cannot read: %s", path, strerror(errno));
		goto out;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	b = NULL;
	rc = 0;
out:
	free(b);
	close(fd);
	return rc;
}

/* "# certbulk-value: N sha1=HEX not-before=T not-after=T" into PV[N]. */
static int
planfile_value(const char *l, size_t len, struct planval *pv, size_t npv,
    unsigned char *seen)
{
	char		 line[256], sha1[41];
	unsigned long	 idx;
	long long	 nb, na;
	int		 used = 0;

	if (len >= sizeof(line))
		return -1;
	memcpy(line, l, len);
	line[len] = '\0';
	if (sscanf(line, PLANFILE_VALUE "%lu sha1=%40[-0-9a-fA-F] "
	    "not-before=%lld not-after=%lld%n", &idx, sha1, &nb, &na,
	    &used) != 4 || (size_t)used != len || idx >= npv || seen[idx])
		return -1;
	snprintf(pv[idx].sha1, sizeof(pv[idx].sha1), "%s", sha1);
	pv[idx].not_before = nb;
	pv[idx].not_after = na;
	seen[idx] = 1;
	return 0;
}

/* A bervals list into L, refusing NUL bytes.  0 or -1. */
static int
planfile_vals(struct berval **bv, struct strlist *l)
{
	char	*v;
	size_t	 i;
	int	 rc;

	for (i = 0; bv != NULL && bv[i] != NULL; i++) {
		if (memchr(bv[i]->bv_val, '\0', bv[i]->bv_len) != NULL)
			return -1;
		if ((v = strndup(bv[i]->bv_val, bv[i]->bv_len)) == NULL)
			return -1;
		rc = strlist_add(l, v);
		free(v);
		if (rc == -1)
			return -1;
	}
	return i > 0 ? 0 : -1;	/* "add:" without values: refused */
}

/* One record: BUF as ldif_read_record gave it, from line LINE. */
static int
planfile_record(const char *path, unsigned long line, char *buf,
    struct planfile *pf)
{
	LDIFRecord	 lr;
	struct berval	 rb;
	struct change	*c = NULL;
	struct planval	*pv = NULL, **vv;
	unsigned long	*lv;
	unsigned char	*seen = NULL;
	char		 guid[33] = "", *l, *eol, *copy = NULL, *dn;
	const char	*why = "not as certbulk writes it";
	size_t		 i;
	int		 op, body = 0, parsed = 0, other = 0, rc = -1;

	for (l = buf; *l != '\0'; l = eol + (*eol == '\n')) {
		eol = l + strcspn(l, "\n");
		if (*l != '#') {
			body = 1;
			continue;
		}
		if (strncmp(l, PLANFILE_SERVER, strlen(PLANFILE_SERVER)) == 0)
			other = 1;
		if ((size_t)(eol - l) == strlen(PLANFILE_GUID) + 32 &&
		    strncmp(l, PLANFILE_GUID, strlen(PLANFILE_GUID)) == 0 &&
		    strspn(l + strlen(PLANFILE_GUID), "0123456789abcdef") ==
		    32) {
			memcpy(guid, l + strlen(PLANFILE_GUID), 32);
			guid[32] = '\0';
		}
	}
	if (!body)
		return 0;	/* comments only: the header */
	/*
	 * apply checks and writes a plan on -H's DC only: a record for
	 * another domain's DC is refused rather than sent to the wrong one
	 */
	if (other) {
		msg_err("%s:%lu: it changes an account of another domain of "
		    "the forest on that domain's DC; apply takes plans of one "
		    "domain only (run certbulk again to write it); the plan is "
		    "refused", path, line);
		return -1;
	}
	/* ldap_parse_ldif_record consumes its buffer: the comments are
	 * read again below from this copy */
	if ((copy = strdup(buf)) == NULL)
		goto oom;
	memset(&lr, 0, sizeof(lr));
	rb.bv_val = buf;
	rb.bv_len = strlen(buf);
	if (ldap_parse_ldif_record(&rb, line, &lr, "certbulk",
	    LDIF_NO_CONTROLS) != LDAP_SUCCESS) {
		why = "malformed LDIF";
		goto bad;
	}
	parsed = 1;
	if (lr.lr_op != LDAP_REQ_MODIFY) {
		why = "not a changetype: modify record";
		goto bad;
	}
	if (lr.lr_dn.bv_len == 0 || memchr(lr.lr_dn.bv_val, '\0',
	    lr.lr_dn.bv_len) != NULL)
		goto bad;
	if ((vv = realloc(pf->vals, (pf->cs.n + 1) * sizeof(*vv))) == NULL)
		goto oom;
	pf->vals = vv;
	vv[pf->cs.n] = NULL;
	if ((lv = realloc(pf->line, (pf->cs.n + 1) * sizeof(*lv))) == NULL)
		goto oom;
	pf->line = lv;
	lv[pf->cs.n] = line;
	if ((dn = strndup(lr.lr_dn.bv_val, lr.lr_dn.bv_len)) == NULL)
		goto oom;
	c = changes_add(&pf->cs, dn);
	free(dn);
	if (c == NULL || (guid[0] != '\0' && (c->guid = strdup(guid)) == NULL))
		goto oom;
	for (i = 0; lr.lrop_mods != NULL && lr.lrop_mods[i] != NULL; i++) {
		op = lr.lrop_mods[i]->mod_op & ~LDAP_MOD_BVALUES;
		if (strcasecmp(lr.lrop_mods[i]->mod_type, PLANFILE_ATTR) != 0) {
			why = "it changes another attribute than "
			    PLANFILE_ATTR;
			goto bad;
		}
		if ((op != LDAP_MOD_ADD && op != LDAP_MOD_DELETE) ||
		    planfile_vals(lr.lrop_mods[i]->mod_bvalues, op ==
		    LDAP_MOD_ADD ? &c->add : &c->del) == -1) {
			why = "only add: and delete: blocks of single values";
			goto bad;
		}
	}
	if (c->add.n + c->del.n == 0)
		goto bad;
	/* every value added is tied to its certificate */
	if (c->add.n > 0 && ((pv = calloc(c->add.n, sizeof(*pv))) == NULL ||
	    (seen = calloc(c->add.n, 1)) == NULL))
		goto oom;
	for (l = copy; *l != '\0'; l = eol + (*eol == '\n')) {
		eol = l + strcspn(l, "\n");
		if (strncmp(l, PLANFILE_VALUE, strlen(PLANFILE_VALUE)) != 0)
			continue;
		if (planfile_value(l, (size_t)(eol - l), pv, c->add.n,
		    seen) == -1) {
			why = "a certbulk-value line is not as certbulk "
			    "writes it";
			goto bad;
		}
	}
	for (i = 0; i < c->add.n; i++)
		if (!seen[i]) {
			why = "a value without its certbulk-value line";
			goto bad;
		}
	pf->vals[pf->cs.n - 1] = pv;
	pv = NULL;
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
	goto out;
bad:
	msg_err("%s:%lu: %s; the plan is refused", path, line, why);
out:
	if (parsed)
		ldap_ldif_record_done(&lr);
	free(pv);
	free(seen);
	free(copy);
	return rc;
}

/* One logical line V of the header: a certbulk-plan-* line into PF. */
static int
planfile_header(const char *v, struct planfile *pf)
{
	char		*end;
	long long	 t;

	if (v[0] != '#' || v[1] != ' ')
		return 0;
	v += 2;
	if (strncmp(v, PLANFILE_MADE, strlen(PLANFILE_MADE)) == 0) {
		errno = 0;
		t = strtoll(v + strlen(PLANFILE_MADE), &end, 10);
		if (errno || *end != '\0' || t <= 0)
			return -1;
		pf->made = (time_t)t;
	} else if (strncmp(v, PLANFILE_DOMAIN, strlen(PLANFILE_DOMAIN)) == 0) {
		free(pf->domain);
		if ((pf->domain = strdup(v + strlen(PLANFILE_DOMAIN))) == NULL)
			return -1;
	} else if (strncmp(v, PLANFILE_INPUT, strlen(PLANFILE_INPUT)) == 0 &&
	    strlist_add(&pf->inputs, v + strlen(PLANFILE_INPUT)) == -1)
		return -1;
	return 0;
}

/* Checks one complete logical line V (from line START). 0 or -1. */
static int
planfile_logical(const char *path, unsigned long start, const char *v,
    int header, struct planfile *pf)
{
	size_t	c = strcspn(v, ":");

	if (v[0] != '#' && (strncasecmp(v, "include:", 8) == 0 ||
	    (v[c] == ':' && v[c + 1] == '<'))) {
		msg_err("%s:%lu: a URL value or include: line; the plan is "
		    "refused", path, start);
		return -1;
	}
	if (header && planfile_header(v, pf) == -1) {
		msg_err("%s:%lu: a certbulk-plan line not as certbulk writes "
		    "it; the plan is refused", path, start);
		return -1;
	}
	return 0;
}

/*
 * Every logical line (continuations joined, as libldap reads them): no
 * URL value (":<", which libldap would read from a file) and no
 * include: line anywhere; and the header's certbulk-plan-* lines.
 */
static int
planfile_lines(const char *path, const char *p, struct planfile *pf)
{
	struct sbuf	 cur = SBUF_INIT;
	const char	*l = p, *eol;
	unsigned long	 lno = 2, start = 2;	/* line 1 is the seal */
	int		 header = 1, rc = -1;

	while (*l != '\0') {
		eol = l + strcspn(l, "\n");
		if (*l == ' ' && cur.s != NULL)
			sbuf_add(&cur, l + 1, (size_t)(eol - l - 1));
		else {
			if (cur.oom) {
				msg_err("out of memory");
				goto out;
			}
			if (cur.s != NULL && planfile_logical(path, start,
			    cur.s, header, pf) == -1)
				goto out;
			sbuf_reset(&cur);
			if (l == eol)
				header = 0;	/* ends at the first blank */
			else {
				start = lno;
				sbuf_add(&cur, l, (size_t)(eol - l));
			}
		}
		lno++;
		l = *eol != '\0' ? eol + 1 : eol;
	}
	if (cur.oom) {
		msg_err("out of memory");
		goto out;
	}
	if (cur.s != NULL && planfile_logical(path, start, cur.s, header,
	    pf) == -1)
		goto out;
	if (pf->made == 0 || pf->domain == NULL) {
		msg_err("%s: the plan's header (certbulk-plan-made, "
		    "certbulk-plan-domain) is missing; the plan is refused",
		    path);
		goto out;
	}
	rc = 0;
out:
	sbuf_reset(&cur);
	return rc;
}

int
planfile_read(const char *path, struct planfile *pf)
{
	LDIFFP		 lfp = { NULL, NULL };
	char		*raw = NULL, *body, *buf = NULL, hex[DIGEST_HEX];
	char		*work = NULL, *l;
	size_t		 len, taglen = strlen(PLANFILE_TAG), blen;
	unsigned long	 line = 1, start;
	int		 buflen = 0, r, rc = -1;

	memset(pf, 0, sizeof(*pf));
	if (planfile_slurp(path, &raw, &len) == -1)
		goto out;
	/* certbulk writes neither; libldap drops CRs inside lines */
	if (memchr(raw, '\0', len) != NULL || memchr(raw, '\r', len) != NULL) {
		msg_err("%s: a NUL byte or carriage return; not a plan as "
		    "certbulk writes it, refused", path);
		goto out;
	}
	if (len < taglen + 65 || strncmp(raw, PLANFILE_TAG, taglen) != 0 ||
	    raw[taglen + 64] != '\n' ||
	    strspn(raw + taglen, "0123456789abcdef") != 64) {
		msg_err("%s: not a plan written by certbulk -n --output (its "
		    "first line must be \"" PLANFILE_TAG "...\"); refused",
		    path);
		goto out;
	}
	body = raw + taglen + 65;
	blen = len - taglen - 65;
	if (digest_sha256(body, blen, hex) == -1)
		goto out;
	if (memcmp(hex, raw + taglen, 64) != 0) {
		msg_err("%s: the plan was changed after it was made (its "
		    "SHA-256 is not the one in its first line); refused: "
		    "make a new preview and review that", path);
		goto out;
	}
	if (planfile_lines(path, body, pf) == -1)
		goto out;
	/* libldap's reader takes a stream; the checked bytes are its input */
	if ((work = malloc(blen + 1)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	memcpy(work, body, blen + 1);
	if ((lfp.fp = fmemopen(work, blen, "r")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if ((r = ldif_read_record(&lfp, &line, &buf, &buflen)) <= 0)
			break;
		if (buf == NULL)
			continue;
		/* the record's first line: LINE is the blank one after it */
		for (start = line, l = buf; *l != '\0'; l++)
			start -= *l == '\n' && start > 1;
		if (planfile_record(path, start, buf, pf) == -1)
			goto out;
	}
	if (r < 0) {
		msg_err("%s:%lu: cannot read LDIF; the plan is refused", path,
		    line);
		goto out;
	}
	rc = 0;
out:
	if (lfp.fp != NULL)
		fclose(lfp.fp);
	ber_memfree(buf);
	free(work);
	free(raw);
	if (rc == -1)
		planfile_free(pf);
	return rc;
}
