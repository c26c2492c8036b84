/*
 * Inputs: CSV files (libcsv) and certificate folders.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <csv.h>

#include "csvrow.h"
#include "dir.h"
#include "hex.h"
#include "input.h"
#include "msg.h"
#include "prefetch.h"
#include "utf8.h"
#include "sbuf.h"
#include "trust.h"

#define INPUT_MAX_DEPTH	32
#define INPUT_MAX_DNS	16	/* DNS names of one certificate looked up */
#define INPUT_CSV_OPTS	(CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL)

static const char *const input_attrs[] = {
	[ID_MATCH] = "(certificate)",
	[ID_SAM] = "sAMAccountName",
	[ID_UPN] = "userPrincipalName",
	[ID_DN] = "distinguishedName",
	[ID_SID] = "objectSid",
	[ID_MAIL] = "mail",
};

const char *
input_kind_attr(enum id_kind k)
{
	return input_attrs[k];
}

void
input_free(struct input *in)
{
	size_t	i, t;

	for (i = 0; i < in->n; i++) {
		if (in->items[i].fact.rare != NULL)
			strlist_free(&in->items[i].fact.rare->dns);
		for (t = 0; t < ALTSEC_NTYPES; t++)
			if (!(in->items[i].moved & ALTSEC_BIT(t)))
				free(input_value(&in->items[i], (int)t));
	}
	free(in->items);
	free(in->srcraw);
	arena_free(&in->arena);
	strlist_free(&in->bad);
	certset_free(&in->pool);
	memset(in, 0, sizeof(*in));
}

char *
input_strdup(struct input *in, const char *s, int *oom)
{
	char	*d;

	if (s == NULL)
		return NULL;
	if ((d = arena_strdup(&in->arena, s)) == NULL)
		*oom = 1;
	return d;
}

const struct itemrare input_norare;

/* IT's rare facts, made (zeroed, in IN's arena) on first use; NULL on
 * ENOMEM. */
static struct itemrare *
input_rare(struct input *in, struct item *it)
{
	if (it->fact.rare == NULL && (it->fact.rare = arena_alloc(&in->arena,
	    sizeof(*it->fact.rare))) != NULL)
		memset(it->fact.rare, 0, sizeof(*it->fact.rare));
	return it->fact.rare;
}

char *
input_value(const struct item *it, int k)
{
	unsigned	below = it->types & (ALTSEC_BIT(k) - 1);

	if (!(it->types & ALTSEC_BIT(k)))
		return NULL;
	if (__builtin_popcount(it->types) == 1)
		return it->val.one;
	return it->val.v != NULL ? it->val.v[__builtin_popcount(below)] : NULL;
}

char **
input_slot(struct item *it, int k)
{
	unsigned	below = it->types & (ALTSEC_BIT(k) - 1);

	if (__builtin_popcount(it->types) == 1)
		return &it->val.one;
	return &it->val.v[__builtin_popcount(below)];
}

const char *
input_why(const struct item *it, int k)
{
	const struct itemrare	*r = INPUT_RARE(it);

	if (r->why == NULL || r->why[k] == NULL)
		return "not built";
	return r->why[k];
}

int
input_set_why(struct input *in, struct item *it, int k, const char *why)
{
	struct itemrare	*r;

	if ((r = input_rare(in, it)) == NULL)
		return -1;
	if (r->why == NULL && (r->why = arena_alloc(&in->arena,
	    ALTSEC_NTYPES * sizeof(*r->why))) == NULL)
		return -1;
	r->why[k] = why;
	return 0;
}

/*
 * Sets *FIELD of IT's rare facts to a copy of S; nothing (and no rare
 * facts made) when S is NULL.  Sets *OOM on ENOMEM.
 */
static void
input_rare_str(struct input *in, struct item *it, size_t off, const char *s,
    int *oom)
{
	struct itemrare	*r;

	if (s == NULL)
		return;
	if ((r = input_rare(in, it)) == NULL) {
		*oom = 1;
		return;
	}
	*(char **)(void *)((char *)r + off) = input_strdup(in, s, oom);
}

/*
 * Notes where a row (LINE > 0) or file failed, for the report.  Without
 * memory the report only lacks that line: the error was reported.
 */
static void
input_bad(struct input *in, const char *path, unsigned long line)
{
	struct sbuf	b = SBUF_INIT;

	if (line > 0)
		sbuf_printf(&b, "%s:%lu", path, line);
	else
		sbuf_puts(&b, path);
	if (!b.oom && b.s != NULL)
		(void)strlist_add(&in->bad, b.s);
	sbuf_reset(&b);
}

enum id_kind
input_guess_kind(const char *s)
{
	if (strncasecmp(s, "S-1-", 4) == 0)
		return ID_SID;
	if (strchr(s, '=') != NULL)
		return ID_DN;
	if (strchr(s, '@') != NULL)
		return ID_UPN;
	return ID_SAM;
}

/*
 * "CN=Jane, serial 2B00.., expires 2027-01-01": for messages and notes,
 * made when written from the facts each item holds anyway (a million
 * rows held a description each before).
 */
void
input_desc(const struct item *it, struct sbuf *b)
{
	char	t[32];

	cert_fmt_time(it->fact.not_after, t, sizeof(t));
	sbuf_printf(b, "%s, serial %s, expires %s", it->fact.subject,
	    it->fact.serial, t);
}

/*
 * 1 if S is a fully qualified host name as dNSHostName holds it: labels
 * of letters, digits and hyphens (not at either end), at least two of
 * them, the last not all digits (an IPv4 address is not a host name).
 */
int
input_is_hostname(const char *s)
{
	size_t	n = strlen(s), l, labels = 0;
	const char *p = s, *last = s;

	if (n == 0 || n > 253)
		return 0;
	if (s[n - 1] == '.')
		n--;	/* the root's dot */
	while (p < s + n) {
		l = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
		    "VWXYZ0123456789-");
		if (l == 0 || l > 63 || p[0] == '-' || p[l - 1] == '-' ||
		    (p + l < s + n && p[l] != '.'))
			return 0;
		last = p;
		labels++;
		p += l + 1;
	}
	if (labels < 2 || strspn(last, "0123456789") >= (size_t)(s + n - last))
		return 0;
	return 1;
}

/*
 * Keeps the digest text HEX (2 * N hex digits) as its N bytes in OUT.
 * Returns 0, or -1 when it is not such a text (its digest failed).
 */
static int
input_digest_set(unsigned char *out, size_t n, const char *hex)
{
	if (strlen(hex) != 2 * n)
		return -1;
	return hex_decode(hex, n, out);
}

/* Upper-case hex of the N bytes P into BUF (2 * N + 1 bytes), as
 * cert_hex wrote the digests. */
static const char *
input_digest_hex(const unsigned char *p, size_t n, char *buf)
{
	return hex_encode(p, n, buf, 1);
}

const char *
input_sha1(const struct item *it, char buf[INPUT_SHA1_HEX])
{
	if (!it->fact.has_sha1)
		return NULL;
	return input_digest_hex(it->fact.sha1, sizeof(it->fact.sha1), buf);
}

const char *
input_sha256(const struct item *it, char buf[INPUT_SHA256_HEX])
{
	if (!it->fact.has_sha256)
		return NULL;
	/* upper case, as cert_sha256 wrote it */
	return input_digest_hex(it->fact.sha256, sizeof(it->fact.sha256),
	    buf);
}

/*
 * Takes from C what the plan needs of IT: its values for the forms IT
 * wants (or why each cannot be built) and the facts for lookups and
 * messages.  Returns 0 or -1 (ENOMEM).
 */
static int
input_facts(struct input *in, struct item *it, const struct cert *c)
{
	struct itemcert	*f = &it->fact;
	struct itemrare	*r = NULL;
	const char	*why;
	int		 k, fallback, oom = 0;

	f->subject = input_strdup(in, cert_subject_text(c), &oom);
	f->not_before = cert_not_before(c);
	f->not_after = cert_not_after(c);
	f->sid = input_strdup(in, cert_sid(c), &oom);
	input_rare_str(in, it, offsetof(struct itemrare, sid_clash),
	    cert_sid_clash(c), &oom);
	if (cert_dns(c)->n > 0 && (r = input_rare(in, it)) == NULL)
		oom = 1;
	for (k = 0; r != NULL && k < (int)cert_dns(c)->n && k < INPUT_MAX_DNS;
	    k++)
		if (strlist_add(&r->dns, cert_dns(c)->v[k]) == -1)
			oom = 1;
	/* a device certificate without a DNS SAN: its CN, if a host name */
	if ((r == NULL || r->dns.n == 0) && cert_subject_cn(c) != NULL &&
	    input_is_hostname(cert_subject_cn(c))) {
		if ((r = input_rare(in, it)) == NULL ||
		    strlist_add(&r->dns, cert_subject_cn(c)) == -1)
			oom = 1;
		else
			r->dns_from_cn = 1;
	}
	if (cert_upns(c)->n > 0)
		f->upn = input_strdup(in, cert_upns(c)->v[0], &oom);
	if (cert_emails(c)->n > 0)
		input_rare_str(in, it, offsetof(struct itemrare, email),
		    cert_emails(c)->v[0], &oom);
	input_rare_str(in, it, offsetof(struct itemrare, subj_email),
	    cert_subject_email(c), &oom);
	if ((why = trust_logon_eku(c)) != NULL) {
		if ((r = input_rare(in, it)) == NULL)
			oom = 1;
		else
			r->eku_why = why;
	}
	/* held as bytes, written as the text cert_sha1 gave (input_sha1) */
	if (cert_sha1(c) != NULL) {
		if (input_digest_set(f->sha1, sizeof(f->sha1),
		    cert_sha1(c)) == -1)
			oom = 1;
		else
			f->has_sha1 = 1;
	}
	/* made on first use: "?" only when that ran out of memory, and the
	 * run state keys on it, so that is this row's error */
	if (*cert_sha256(c) == '?')
		oom = 1;
	if (input_digest_set(f->sha256, sizeof(f->sha256),
	    cert_sha256(c)) == -1)
		oom = 1;
	else
		f->has_sha256 = 1;
	/* a batch is mostly one issuing CA: one copy of its name */
	if (in->issuer != NULL && cert_issuer_text(c) != NULL &&
	    strcmp(in->issuer, cert_issuer_text(c)) == 0)
		f->issuer = in->issuer;
	else if ((f->issuer = input_strdup(in, cert_issuer_text(c), &oom)) !=
	    NULL)
		in->issuer = f->issuer;
	f->serial = input_strdup(in, cert_serial_text(c), &oom);
	/* more than one form: their slots in the arena (input_slot) */
	if (__builtin_popcount(it->types) > 1 && (it->val.v = arena_alloc(
	    &in->arena, (size_t)__builtin_popcount(it->types) *
	    sizeof(*it->val.v))) == NULL)
		return -1;
	for (k = 0; k < ALTSEC_NTYPES; k++) {
		if (!(it->types & ALTSEC_BIT(k)))
			continue;
		*input_slot(it, k) = altsec_value(c, (enum altsec_type)k, &why,
		    &fallback);
		if (*input_slot(it, k) == NULL &&
		    input_set_why(in, it, k, why) == -1)
			oom = 1;
		if (fallback)
			f->fallback |= ALTSEC_BIT(k);
	}
	return oom ? -1 : 0;
}

/*
 * Frees what an item owns; the item is left zeroed (its strings stay in
 * the input's arena until input_free).
 */
static void
input_item_free(struct item *it)
{
	int	k;

	if (it->fact.rare != NULL)
		strlist_free(&it->fact.rare->dns);
	for (k = 0; k < ALTSEC_NTYPES; k++)
		if (!(it->moved & ALTSEC_BIT(k)))
			free(input_value(it, k));
	memset(it, 0, sizeof(*it));
}

/*
 * Sets IT's source label: ESC (escaped), its LINE (0: none) and the
 * position NTH (0: none) of its certificate in a row or file of several.
 * A CSV row's file is held once for all its rows (in->srcfile) and the line
 * in the item; a label INPUT_SRC_BUF cannot hold, or with a position, is
 * held whole, as a --certdir file's path is.  B is scratch.  0 or -1.
 */
static int
input_src_set(struct input *in, struct item *it, const char *esc,
    unsigned long line, size_t nth, struct sbuf *b)
{
	int	oom = 0;

	if (line > 0 && line <= UINT32_MAX && nth == 0 &&
	    strlen(esc) < INPUT_SRC_BUF - sizeof(":4294967295")) {
		if (in->srcfile == NULL || strcmp(in->srcfile, esc) != 0)
			in->srcfile = input_strdup(in, esc, &oom);
		it->src = in->srcfile;
		it->line = (uint32_t)line;
		return oom ? -1 : 0;
	}
	sbuf_reset(b);
	sbuf_puts(b, esc);
	if (line > 0)
		sbuf_printf(b, ":%lu", line);
	if (nth > 0)
		sbuf_printf(b, " [%zu]", nth);
	if (b->oom)
		return -1;
	it->src = input_strdup(in, b->s, &oom);
	it->line = 0;
	return oom ? -1 : 0;
}

const char *
input_src(const struct item *it, char buf[INPUT_SRC_BUF])
{
	if (it->line == 0)
		return it->src != NULL ? it->src : "";
	snprintf(buf, INPUT_SRC_BUF, "%s:%" PRIu32, it->src, it->line);
	return buf;
}

/*
 * Adds one item per end-entity certificate of SET.  Each item takes its
 * values and facts now; the certificate is released unless IN keeps
 * certificates (CA certificates are always kept, for chain building).
 * SET is left empty.  SRC labels them, with LINE when not 0 (a CSV
 * row's: "SRC:LINE").  Returns how many items were added, or -1 (ENOMEM).
 */
static long
input_add(struct input *in, const char *src, unsigned long line,
    enum id_kind kind, const char *ident, const char *domain,
    struct certset *set, unsigned types)
{
	struct item	*v, *it;
	struct sbuf	 b = SBUF_INIT;
	char		*esc = NULL;
	size_t		 i, ee = 0, cap;
	long		 added = 0;
	int		 oom = 0, lent = 0;
	struct cert	**pv;

	for (i = 0; i < set->n; i++)
		if (!cert_is_ca(set->v[i]))
			ee++;
	/* room for the certificates kept, if any (not a realloc per row) */
	if (ee < set->n || in->keep_certs) {
		if ((pv = realloc(in->pool.v, (in->pool.n + set->n) *
		    sizeof(*pv))) == NULL)
			goto fail;
		in->pool.v = pv;
	}
	if (in->n + ee > in->cap) {
		/* doubling: a million rows are not a million copies */
		for (cap = in->cap ? in->cap : 64; cap < in->n + ee; cap *= 2)
			;
		if ((v = realloc(in->items, cap * sizeof(*v))) == NULL)
			goto fail;
		in->items = v;
		in->cap = cap;
	}
	for (i = 0; i < set->n; i++) {
		if (cert_is_ca(set->v[i])) {
			if (line > 0)
				msg_info("%s:%lu: certificate %zu is a CA "
				    "certificate, not mapped", src, line,
				    i + 1);
			else
				msg_info("%s: certificate %zu is a CA "
				    "certificate, not mapped", src, i + 1);
			in->pool.v[in->pool.n++] = set->v[i];
			set->v[i] = NULL;
			continue;
		}
		it = &in->items[in->n];
		memset(it, 0, sizeof(*it));
		sbuf_reset(&b);
		/*
		 * Escaped once here: the label goes into messages and into
		 * the comments of the preview and undo files, where a line
		 * feed in a file name would start a line of its own.
		 */
		if (esc == NULL && line > 0 && in->srcraw != NULL &&
		    in->srcfile != NULL && strcmp(in->srcraw, src) == 0) {
			/* the file of the row before: escaped then */
			esc = (char *)(uintptr_t)in->srcfile;
			lent = 1;
		}
		if (esc == NULL && (esc = msg_escape(src, strlen(src))) == NULL)
			goto fail;
		if (input_src_set(in, it, esc, line, set->n > 1 ? i + 1 : 0,
		    &b) == -1)
			oom = 1;
		it->ident = input_strdup(in, ident, &oom);
		it->domain = input_strdup(in, domain, &oom);
		it->kind = kind;
		it->types = types;
		it->acct = -1;
		it->chg = -1;
		if (oom || input_facts(in, it, set->v[i]) == -1) {
			input_item_free(it);
			goto fail;
		}
		if (in->keep_certs) {
			if (input_rare(in, it) == NULL) {
				input_item_free(it);
				goto fail;
			}
			it->fact.rare->cert = set->v[i];
			in->pool.v[in->pool.n++] = set->v[i];
			set->v[i] = NULL;
		}
		in->n++;
		added++;
	}
	if (esc != NULL && !lent && line > 0 && in->srcfile != NULL &&
	    strcmp(in->srcfile, esc) == 0) {
		free(in->srcraw);
		in->srcraw = strdup(src);	/* NULL: escaped again */
	}
	if (!lent)
		free(esc);
	sbuf_reset(&b);
	certset_free(set);	/* the certificates not kept */
	return added;
fail:
	if (!lent)
		free(esc);
	sbuf_reset(&b);
	certset_free(set);
	return -1;
}

long
input_add_certs(struct input *in, const char *src, enum id_kind kind,
    const char *ident, struct certset *set, unsigned types)
{
	return input_add(in, src, 0, kind, ident, NULL, set, types);
}

void
input_keep(struct input *in, const unsigned char *keep)
{
	size_t	i, n = 0;

	for (i = 0; i < in->n; i++) {
		if (keep[i])
			in->items[n++] = in->items[i];
		else
			input_item_free(&in->items[i]);
	}
	in->n = n;
}

/* Columns a CSV header may name. */
enum col {
	COL_USER, COL_SAM, COL_UPN, COL_DN, COL_MAIL, COL_SID, COL_CERT,
	COL_TYPES, COL_NCOLS
};

static const struct {
	const char	*name;
	enum id_kind	 kind;
} input_cols[COL_NCOLS] = {
	[COL_USER] = { "user", ID_MATCH },
	[COL_SAM] = { "sAMAccountName", ID_SAM },
	[COL_UPN] = { "userPrincipalName", ID_UPN },
	[COL_DN] = { "distinguishedName", ID_DN },
	[COL_MAIL] = { "mail", ID_MAIL },
	[COL_SID] = { "objectSid", ID_SID },
	[COL_CERT] = { "certificate", ID_MATCH },
	[COL_TYPES] = { "types", ID_MATCH },
};

/*
 * Rows held back so that their certificate files can be read ahead on
 * the other core (prefetch.h) while the rows before them are decoded:
 * the fields of up to INPUT_BATCH rows, NUL-terminated one after the
 * other in buf, then replayed in order through csv_row_do exactly as
 * they would have been processed one by one.  A few thousand rows are a
 * few hundred KB, and enough to keep the reader ahead.
 */
#define INPUT_BATCH	2048

struct csvbrow {
	size_t		 off;	/* its first field's index in foff */
	size_t		 nf;
	unsigned long	 line;
	unsigned long	 nul;
	long		 pf;	/* its file's index in the prefetch, or -1 */
};

struct csvbatch {
	struct sbuf	 buf;	/* the rows' fields, each NUL-terminated */
	/*
	 * Where each field starts in buf (owned): not found by walking
	 * the NULs, as trimming a field in place writes one of its own.
	 */
	size_t		*foff;
	size_t		 nfoff, cap_foff;
	size_t		 pend;	/* fields of the row being read, */
	size_t		 row_off; /* whose first starts here in buf */
	struct csvbrow	*rows;	/* owned */
	size_t		 n, cap_rows;
	char		**f;	/* owned: a replayed row's fields (into buf) */
	size_t		 cap_f;
};

struct csvctx {
	struct input	*in;
	const char	*path;
	char		*dir;		/* owned: the CSV file's folder */
	unsigned	 types;
	int		 col[COL_NCOLS]; /* field index, -1 if absent */
	int		 idcol;		/* the identifier column (enum col) */
	int		 have_header;
	int		 fatal;		/* the header is unusable */
	unsigned long	 line;		/* first line of the current row */
	unsigned long	 nul;		/* line of a NUL byte in this row, or 0 */
	struct csvrow	 row;		/* fields of the current row (a view
					   of batch.buf: f is batch.f) */
	struct csvbatch	 batch;		/* rows not yet processed */
	struct sbuf	 label, pathb;	/* a row's, kept for the next row */
	struct prefetch	*pf;		/* the batch's files, read ahead */
	long		 pf_taken;	/* files taken from pf so far */
	long		 pf_row;	/* the current row's file in pf, or -1 */
	struct sbuf	 pf_buf;	/* the files' paths, NUL after each, */
	char		**pf_paths;	/* owned: pointers into pf_buf */
	int		 oom;
};

static int csv_read_cert(struct csvctx *, const char *, const char *,
    struct certset *);

/* Makes row R of the batch the current row (c->row).  0 or -1. */
static int
csv_view(struct csvctx *c, const struct csvbrow *r)
{
	struct csvbatch	*b = &c->batch;
	char		**nf;
	size_t		 i;

	if (r->nf > b->cap_f) {
		if ((nf = reallocarray(b->f, r->nf, sizeof(*nf))) == NULL)
			return -1;
		b->f = nf;
		b->cap_f = r->nf;
	}
	for (i = 0; i < r->nf; i++)
		b->f[i] = b->buf.s + b->foff[r->off + i];
	c->row.f = b->f;
	c->row.nf = r->nf;
	return 0;
}

static void
csv_field(void *s, size_t len, void *arg)
{
	struct csvctx	*c = arg;
	struct csvbatch	*b = &c->batch;
	size_t		*nf, cap;

	if (c->oom)
		return;
	if (b->nfoff == b->cap_foff) {
		cap = b->cap_foff ? b->cap_foff * 2 : 1024;
		if ((nf = reallocarray(b->foff, cap, sizeof(*nf))) == NULL) {
			c->oom = 1;
			return;
		}
		b->foff = nf;
		b->cap_foff = cap;
	}
	b->foff[b->nfoff++] = b->buf.len;
	/* libcsv passes NULL for an empty field (sbuf_add copies nothing) */
	sbuf_add(&b->buf, s, len);
	sbuf_putc(&b->buf, '\0');
	if (b->buf.oom) {
		c->oom = 1;
		return;
	}
	b->pend++;
}

/* Drops the fields of the row being read (a syntax error in it). */
static void
csv_clear(struct csvctx *c)
{
	struct csvbatch	*b = &c->batch;

	b->buf.len = b->row_off;
	if (b->buf.s != NULL)
		b->buf.s[b->buf.len] = '\0';
	b->nfoff -= b->pend;
	b->pend = 0;
}

/* Trims white space in place. */
static char *
input_trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/*
 * Other names that exports use for the columns (Excel, HR systems,
 * PowerShell's Export-Csv), compared ignoring case, blanks, "-" and "_".
 */
static const struct {
	const char	*name;
	enum col	 col;
} input_aliases[] = {
	{ "username", COL_USER }, { "account", COL_USER },
	{ "login", COL_USER }, { "identity", COL_USER },
	{ "sam", COL_SAM }, { "samaccount", COL_SAM },
	{ "upn", COL_UPN }, { "userprincipal", COL_UPN },
	{ "dn", COL_DN },
	{ "email", COL_MAIL }, { "emailaddress", COL_MAIL },
	{ "mailaddress", COL_MAIL }, { "emailaddr", COL_MAIL },
	{ "sid", COL_SID },
	{ "cert", COL_CERT }, { "certfile", COL_CERT },
	{ "certpath", COL_CERT }, { "certificatefile", COL_CERT },
	{ "certificatepath", COL_CERT }, { "certificates", COL_CERT },
	{ "type", COL_TYPES }, { "mappingtypes", COL_TYPES },
};

/* 1 if A and B are equal ignoring case, blanks, "-" and "_". */
static int
input_name_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == ' ' || *a == '-' || *a == '_')
			a++;
		while (*b == ' ' || *b == '-' || *b == '_')
			b++;
		if (*a == '\0' || *b == '\0')
			return *a == *b;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		a++;
		b++;
	}
}

/* The column a header NAME means, or COL_NCOLS. */
static int
input_col_of(const char *name)
{
	size_t	i;
	int	k;

	for (k = 0; k < COL_NCOLS; k++)
		if (input_name_eq(name, input_cols[k].name))
			return k;
	for (i = 0; i < sizeof(input_aliases) / sizeof(input_aliases[0]); i++)
		if (input_name_eq(name, input_aliases[i].name))
			return (int)input_aliases[i].col;
	return COL_NCOLS;
}

static void
csv_header(struct csvctx *c)
{
	struct sbuf	 ign = SBUF_INIT;
	size_t		 i, nign = 0;
	int		 k, ids = 0;
	char		*name;

	c->have_header = 1;
	for (k = 0; k < COL_NCOLS; k++)
		c->col[k] = -1;
	for (i = 0; i < c->row.nf; i++) {
		name = input_trim(c->row.f[i]);
		/* a UTF-8 byte order mark (Excel's "CSV UTF-8") */
		if (i == 0 && strncmp(name, "\xef\xbb\xbf", 3) == 0)
			name += 3;
		k = input_col_of(name);
		if (k == COL_NCOLS) {
			/* one warning for the file, not one per row */
			sbuf_printf(&ign, "%s\"%s\"", nign++ ? ", " : "", name);
			continue;
		}
		if (c->col[k] != -1) {
			msg_err("%s:%lu: column \"%s\" names the %s column a "
			    "second time", c->path, c->line, name,
			    input_cols[k].name);
			c->fatal = 1;
			break;
		}
		c->col[k] = (int)i;
		if (k != COL_CERT && k != COL_TYPES) {
			c->idcol = k;
			ids++;
		}
	}
	if (nign > 0 && !c->fatal)
		msg_warn("%s:%lu: column%s %s ignored (not one certbulk "
		    "reads)", c->path, c->line, nign > 1 ? "s" : "",
		    ign.s ? ign.s : "?");
	sbuf_reset(&ign);
	if (c->fatal)
		return;
	if (ids != 1 || c->col[COL_CERT] == -1) {
		msg_err("%s:%lu: the header must name exactly one account column "
		    "(user, sAMAccountName, userPrincipalName, "
		    "distinguishedName, mail or objectSid; also accepted: "
		    "username, account, login, sam, upn, dn, sid, email, "
		    "\"Email Address\") and a certificate column (certificate; "
		    "also accepted: cert, \"cert file\", \"certificate "
		    "path\"), and optionally types", c->path, c->line);
		c->fatal = 1;
	}
}

static const char *
csv_get(struct csvctx *c, int col)
{
	char	*v = csvrow_get(&c->row, c->col[col]);

	return v != NULL ? input_trim(v) : "";
}

/* An inline certificate: PEM text, or long base64 without a path shape. */
static int
input_inline(const char *v)
{
	size_t	n = strlen(v);

	if (strstr(v, "-----BEGIN") != NULL)
		return 1;
	return n >= 64 && strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmn"
	    "opqrstuvwxyz0123456789+/=\r\n\t ") == n && strchr(v, '.') == NULL;
}

/* Appends ":LINE" (what "%lu" gives, without printf's cost per row). */
static void
csv_put_line(struct sbuf *b, unsigned long line)
{
	char	 num[24], *q = num + sizeof(num);

	do
		*--q = (char)('0' + line % 10);
	while ((line /= 10) != 0);
	*--q = ':';
	sbuf_add(b, q, (size_t)(num + sizeof(num) - q));
}

static void
csv_row_do(struct csvctx *c)
{
	struct certset	 set = { NULL, 0 };
	/* the buffers of the row before: no malloc per row */
	struct sbuf	 label = c->label, path = c->pathb;
	size_t		 l0;
	struct stat	 st;
	const char	*ident, *certv, *typev, *bad;
	char		*domain = NULL;
	enum id_kind	 kind;
	unsigned	 types = c->types;
	size_t		 i;
	int		 empty = 1;
	long		 n;

	if (c->oom || c->fatal)
		goto out;
	if (c->nul != 0) {
		/* only this row: the rows after it are read as usual */
		if (!c->have_header) {
			msg_err("%s:%lu: NUL byte in the header row: not a text "
			    "CSV file (UTF-16? save it as CSV UTF-8)", c->path,
			    c->nul);
			c->fatal = 1;
			goto out;
		}
		msg_err("%s:%lu: NUL byte in the row (line %lu); row skipped",
		    c->path, c->line, c->nul);
		goto bad;
	}
	for (i = 0; i < c->row.nf; i++)
		if (*input_trim(c->row.f[i]) != '\0')
			empty = 0;
	if (empty)
		goto out;
	if (!c->have_header) {
		csv_header(c);
		goto out;
	}
	sbuf_clear(&label);
	sbuf_clear(&path);
	sbuf_puts(&label, c->path);
	csv_put_line(&label, c->line);
	if (label.oom) {
		c->oom = 1;
		goto out;
	}
	l0 = label.len;
	ident = csv_get(c, c->idcol);
	certv = csv_get(c, COL_CERT);
	typev = csv_get(c, COL_TYPES);
	if (*ident == '\0') {
		msg_err("%s: no account named in column \"%s\"; row skipped",
		    label.s, input_cols[c->idcol].name);
		goto bad;
	}
	if (!utf8_valid(ident, strlen(ident))) {
		msg_err("%s: the account \"%s\" is not valid UTF-8 (save the "
		    "CSV as UTF-8); row skipped", label.s, ident);
		goto bad;
	}
	if (*certv == '\0') {
		msg_err("%s: no certificate for %s; row skipped", label.s,
		    ident);
		goto bad;
	}
	if (*typev != '\0' && altsec_parse_types(typev, &types, &bad) == -1) {
		msg_err("%s: unknown mapping form \"%.*s\" in column types; row "
		    "skipped", label.s, (int)strcspn(bad, ","), bad);
		goto bad;
	}
	kind = input_cols[c->idcol].kind;
	if (c->idcol == COL_USER) {
		kind = input_guess_kind(ident);
		/* DOMAIN\user: the plan checks DOMAIN against the directory */
		if (kind == ID_SAM && strchr(ident, '\\') != NULL) {
			if ((domain = strndup(ident, (size_t)(strchr(ident,
			    '\\') - ident))) == NULL) {
				c->oom = 1;
				goto out;
			}
			ident = strchr(ident, '\\') + 1;
		}
	}
	/* checked here, so that the directory never sees a malformed key */
	if (kind == ID_SID && !dir_sid_valid(ident)) {
		msg_err("%s: \"%s\" is not a SID (S-1-<authority>-<up to 15 "
		    "sub-authorities>, each at most 4294967295); row skipped",
		    label.s, ident);
		goto bad;
	}
	if (kind == ID_DN && !dir_dn_valid(ident)) {
		msg_err("%s: \"%s\" is not a valid distinguished name (RFC "
		    "4514, e.g. CN=Smith\\, John,OU=Staff,DC=example,DC=com); "
		    "row skipped", label.s, ident);
		goto bad;
	}
	if (certv[0] != '/') {
		sbuf_puts(&path, c->dir);
		sbuf_putc(&path, '/');
	}
	sbuf_puts(&path, certv);
	if (path.oom) {
		c->oom = 1;
		goto out;
	}
	/*
	 * A Windows path (certs\jane.cer, from an export made on Windows):
	 * its folders, relative to the CSV file's, unless a file of that
	 * very name exists.  An absolute one names another machine's disk.
	 */
	if (strchr(certv, '\\') != NULL && !input_inline(certv) &&
	    stat(path.s, &st) == -1) {
		if (certv[0] == '\\' || (isalpha((unsigned char)certv[0]) &&
		    certv[1] == ':')) {
			msg_err("%s: \"%s\" is an absolute Windows path, which "
			    "names a file on another machine; give the path "
			    "relative to the CSV file's folder; row skipped",
			    label.s, certv);
			goto bad;
		}
		sbuf_clear(&path);
		sbuf_printf(&path, "%s/", c->dir);
		for (i = 0; certv[i] != '\0'; i++)
			sbuf_putc(&path, certv[i] == '\\' ? '/' : certv[i]);
		if (path.oom) {
			c->oom = 1;
			goto out;
		}
	}
	/* a value that names an existing file is that file, whatever its shape */
	if (input_inline(certv) && stat(path.s, &st) == -1) {
		if (cert_read_mem(label.s, (const unsigned char *)certv,
		    strlen(certv), 1, &set) == -1)
			goto bad;
	} else {
		/* "FILE:LINE: CERT" for the file's messages, then "FILE:LINE" */
		sbuf_puts(&label, ": ");
		sbuf_puts(&label, certv);
		if (path.oom || label.oom) {
			c->oom = 1;
			goto out;
		}
		if (csv_read_cert(c, path.s, label.s, &set) == -1)
			goto bad;
		label.len = l0;
		label.s[l0] = '\0';
	}
	if ((n = input_add(c->in, c->path, c->line, kind, ident, domain,
	    &set, types)) < 0) {
		c->oom = 1;
		goto out;
	}
	/* an e-mail address in the user column: UPN first, then mail */
	for (i = c->in->n - (size_t)n; c->idcol == COL_USER && kind == ID_UPN &&
	    i < c->in->n; i++)
		c->in->items[i].upn_or_mail = 1;
	if (n == 0) {
		msg_err("%s: only CA certificates, nothing to map; row skipped",
		    label.s);
		goto bad;
	}
	goto out;
bad:
	c->in->errors++;
	input_bad(c->in, c->path, c->line);
out:
	free(domain);
	certset_free(&set);
	if (label.oom)
		sbuf_reset(&label);
	if (path.oom)
		sbuf_reset(&path);
	c->label = label;
	c->pathb = path;
}

/*
 * Starts reading ahead the files the batch's rows name: only the plain
 * case (a path, not inline PEM or base64 and not a Windows path, whose
 * file is found with stat() as the row is processed), in a row that has
 * an account and a certificate.  Working the paths out has no side
 * effects; a row that then fails before its read leaves its file unused.
 * Nothing is read ahead when anything fails here: the rows read their
 * files themselves.
 */
static void
csv_pf_start(struct csvctx *c)
{
	struct csvbatch	*b = &c->batch;
	const char	*ident, *certv;
	size_t		 i, n = 0;
	char		*q;

	sbuf_clear(&c->pf_buf);
	for (i = 0; i < b->n; i++) {
		b->rows[i].pf = -1;
		if (b->rows[i].nul != 0 || csv_view(c, &b->rows[i]) == -1)
			continue;
		ident = csv_get(c, c->idcol);
		certv = csv_get(c, COL_CERT);
		if (*ident == '\0' || *certv == '\0' ||
		    strchr(certv, '\\') != NULL || input_inline(certv))
			continue;
		/* the path csv_row_do makes of it */
		if (certv[0] != '/') {
			sbuf_puts(&c->pf_buf, c->dir);
			sbuf_putc(&c->pf_buf, '/');
		}
		sbuf_puts(&c->pf_buf, certv);
		sbuf_putc(&c->pf_buf, '\0');
		b->rows[i].pf = (long)n++;
	}
	if (c->pf_buf.oom) {
		sbuf_reset(&c->pf_buf);	/* not sticky for the next batch */
		goto none;
	}
	if (n == 0 || (c->pf_paths = reallocarray(NULL, n,
	    sizeof(*c->pf_paths))) == NULL)
		goto none;
	for (i = 0, q = c->pf_buf.s; i < n; i++) {
		c->pf_paths[i] = q;
		q += strlen(q) + 1;
	}
	c->pf_taken = 0;
	if ((c->pf = prefetch_start(c->pf_paths, n)) != NULL)
		return;
none:
	for (i = 0; i < b->n; i++)
		b->rows[i].pf = -1;
}

/*
 * cert_read_file for the current row: its file's bytes from the reader
 * when it read that very path (files of rows that failed before their
 * read are dropped on the way), else read here.  The reader was given
 * the path alone, so an error line names the path: it is made to name
 * LABEL, as cert_read_file(PATH, LABEL) would have.
 */
static int
csv_read_cert(struct csvctx *c, const char *path, const char *label,
    struct certset *set)
{
	unsigned char	*buf = NULL;
	size_t		 len = 0, pl;
	char		*err = NULL, *e;
	int		 rc = -1;

	if (c->pf == NULL || c->pf_row < c->pf_taken ||
	    strcmp(c->pf_paths[c->pf_row], path) != 0)
		return cert_read_file(path, label, set);
	while (c->pf_taken <= c->pf_row) {
		cert_load_free(buf, len);
		free(err);
		buf = NULL;
		len = 0;
		rc = prefetch_next(c->pf, &buf, &len, &err);
		c->pf_taken++;
	}
	pl = strlen(path);
	if (rc == -1 && err != NULL && strncmp(err, path, pl) == 0 &&
	    strncmp(err + pl, ": ", 2) == 0) {
		if ((e = malloc(strlen(label) + strlen(err + pl) + 1)) != NULL) {
			strcpy(e, label);
			strcat(e, err + pl);
		}
		free(err);
		err = e;	/* NULL: "LABEL: out of memory" */
	}
	return cert_read_loaded(label, rc, buf, len, err, set);
}

/*
 * Processes the rows held back, in order, with their files read ahead.
 * The parser's position (c->line, c->nul, c->oom) is as it was: rows
 * read before running out of memory are processed as they would have
 * been one by one.
 */
static void
csv_flush(struct csvctx *c)
{
	struct csvbatch	*b = &c->batch;
	unsigned long	 line = c->line, nul = c->nul;
	size_t		 i;
	int		 oom = c->oom;

	if (b->n == 0)
		goto out;
	c->oom = 0;
	if (c->have_header && !c->fatal && b->n > 1)
		csv_pf_start(c);
	for (i = 0; i < b->n; i++) {
		c->line = b->rows[i].line;
		c->nul = b->rows[i].nul;
		c->pf_row = b->rows[i].pf;
		if (csv_view(c, &b->rows[i]) == -1)
			c->oom = 1;
		csv_row_do(c);
		if (c->oom)
			break;
	}
	prefetch_stop(c->pf);
	c->pf = NULL;
	free(c->pf_paths);
	c->pf_paths = NULL;
	c->pf_row = -1;
	c->row.f = NULL;
	c->row.nf = 0;
	c->oom |= oom;
	c->line = line;
	c->nul = nul;
out:
	b->n = 0;
	sbuf_clear(&b->buf);
	b->nfoff = 0;
	b->row_off = 0;
	b->pend = 0;
}

/*
 * libcsv's end of a row: the row is held back (the header is processed
 * at once: it says which columns the rows have).
 */
static void
csv_row(int term, void *arg)
{
	struct csvctx	*c = arg;
	struct csvbatch	*b = &c->batch;
	struct csvbrow	*nr;
	size_t		 cap;

	(void)term;
	if (c->oom || c->fatal)
		goto drop;
	if (b->n == b->cap_rows) {
		cap = b->cap_rows ? b->cap_rows * 2 : 64;
		if ((nr = reallocarray(b->rows, cap, sizeof(*nr))) == NULL) {
			c->oom = 1;
			goto drop;
		}
		b->rows = nr;
		b->cap_rows = cap;
	}
	nr = &b->rows[b->n++];
	nr->off = b->nfoff - b->pend;
	nr->nf = b->pend;
	nr->line = c->line;
	nr->nul = c->nul;
	nr->pf = -1;
	b->row_off = b->buf.len;
	b->pend = 0;
	c->nul = 0;
	if (!c->have_header || b->n >= INPUT_BATCH)
		csv_flush(c);
	return;
drop:
	c->nul = 0;
	csv_clear(c);
}

/*
 * Parses N bytes of line LINENO.  A syntax error skips the row it is in
 * (counted) and starts the parser afresh.  0, or -1 if the parser cannot
 * be set up again.
 */
static int
input_csv_feed(struct csv_parser *p, struct csvctx *c, char *buf, size_t n,
    unsigned long lineno, int delim)
{
	if (n == 0 || csv_parse(p, buf, n, csv_field, csv_row, c) == n)
		return 0;
	csv_clear(c);
	csv_flush(c);
	msg_err("%s:%lu: %s; row skipped", c->path, lineno,
	    csv_strerror(csv_error(p)));
	c->in->errors++;
	input_bad(c->in, c->path, lineno);
	c->nul = 0;
	csv_free(p);
	csv_clear(c);
	if (csv_init(p, INPUT_CSV_OPTS) != 0) {
		msg_err("%s: out of memory", c->path);
		return -1;
	}
	if (delim != 0)
		csv_set_delim(p, (unsigned char)delim);
	return 0;
}

int
input_csv(struct input *in, const char *path, unsigned types)
{
	struct csv_parser	 p;
	struct csvctx		 c;
	FILE			*fp = NULL;
	char			*line = NULL, *slash, *nul;
	size_t			 cap = 0, len, off;
	ssize_t			 r;
	unsigned long		 lineno = 0;
	int			 init = 0, rc = -1, delim = 0, err;

	memset(&c, 0, sizeof(c));
	c.pf_row = -1;
	c.in = in;
	c.path = path;
	c.types = types;
	if ((c.dir = strdup(path)) == NULL)
		goto out;
	if ((slash = strrchr(c.dir, '/')) != NULL)
		*(slash == c.dir ? slash + 1 : slash) = '\0';
	else
		strcpy(c.dir, ".");
	if ((fp = fopen(path, "re")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (csv_init(&p, INPUT_CSV_OPTS) != 0) {
		msg_err("%s: out of memory", path);
		goto out;
	}
	init = 1;
	while ((r = getline(&line, &cap, fp)) != -1) {
		lineno++;
		len = (size_t)r;
		off = 0;
		if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0)
			off = 3;	/* UTF-8 byte order mark */
		if (lineno == 1 && len >= 2 && (memcmp(line, "\xff\xfe", 2) == 0 ||
		    memcmp(line, "\xfe\xff", 2) == 0)) {
			msg_err("%s: UTF-16 text: save the CSV as UTF-8 (in Excel: "
			    "\"CSV UTF-8\")", path);
			goto out;
		}
		if (p.pstate == 0) {
			/* between rows: comment lines are skipped */
			if (line[off] == '#')
				continue;
			c.line = lineno;
		}
		if (!c.have_header && delim == 0 &&
		    strspn(line + off, " \t\r\n") != len - off) {
			/* the header tells the separator: "," or Excel's ";" */
			delim = memchr(line + off, ',', len - off) ? ',' :
			    memchr(line + off, ';', len - off) ? ';' :
			    memchr(line + off, '\t', len - off) ? '\t' : ',';
			csv_set_delim(&p, (unsigned char)delim);
		}
		/*
		 * A NUL byte spoils the row it is in, not the file: the text
		 * before it is parsed as usual, then the row is marked, and
		 * the rest (NULs made blanks) is parsed to find the row's end.
		 */
		if ((nul = memchr(line + off, '\0', len - off)) != NULL) {
			if (input_csv_feed(&p, &c, line + off,
			    (size_t)(nul - (line + off)), lineno, delim) == -1)
				goto out;
			off = (size_t)(nul - line);
			if (c.nul == 0)
				c.nul = lineno;
			for (; nul != NULL; nul = memchr(nul, '\0',
			    len - (size_t)(nul - line)))
				*nul = ' ';
		}
		if (input_csv_feed(&p, &c, line + off, len - off, lineno,
		    delim) == -1)
			goto out;
		if (c.oom) {
			csv_flush(&c);
			msg_err("%s:%lu: out of memory", path, lineno);
			goto out;
		}
		if (c.fatal)
			goto out;
	}
	if (ferror(fp)) {
		err = errno;
		csv_flush(&c);
		msg_err("%s: %s", path, strerror(err));
		goto out;
	}
	if (csv_fini(&p, csv_field, csv_row, &c) != 0) {
		csv_clear(&c);
		csv_flush(&c);
		msg_err("%s:%lu: unterminated quoted field at end of file; row "
		    "skipped", path, c.line);
		in->errors++;
		input_bad(in, path, c.line);
		csv_clear(&c);
	}
	csv_flush(&c);
	if (c.fatal || c.oom)
		goto out;
	if (!c.have_header) {
		msg_err("%s: empty: no header row", path);
		goto out;
	}
	rc = 0;
out:
	if (init)
		csv_free(&p);
	sbuf_reset(&c.batch.buf);
	free(c.batch.rows);
	free(c.batch.foff);
	free(c.batch.f);
	sbuf_reset(&c.pf_buf);
	sbuf_reset(&c.label);
	sbuf_reset(&c.pathb);
	free(line);
	free(c.dir);
	if (fp != NULL)
		fclose(fp);
	return rc;
}

static int
input_certext(const char *name)
{
	static const char *const exts[] = {
		".cer", ".crt", ".der", ".pem", ".p7b", ".p7c", NULL
	};
	size_t	n = strlen(name), i;

	for (i = 0; exts[i] != NULL; i++)
		if (n > 4 && strcasecmp(name + n - 4, exts[i]) == 0)
			return 1;
	return 0;
}

static int
input_namecmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collects the certificate files below DIR into L.  A subfolder that cannot
 * be read, or is nested too deep, and a certificate-named entry that is not
 * a regular file (a FIFO would block the run) are reported, counted in
 * *ERRORS and skipped: one bad entry must not drop the rest of the folder.
 * Returns 0; 1 when DIR itself cannot be read (reported); -1 on ENOMEM.
 */
static int
input_walk(const char *dir, int depth, struct strlist *l, size_t *errors)
{
	DIR		*d;
	struct dirent	*de;
	struct stat	 st, tst;
	struct strlist	 names = { NULL, 0 };
	struct sbuf	 p = SBUF_INIT;
	size_t		 i;
	int		 r, rc = -1;

	if ((d = opendir(dir)) == NULL) {
		msg_err("%s: cannot read the folder: %s%s", dir, strerror(errno),
		    depth > 0 ? "; folder skipped" : "");
		return 1;
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strlist_add(&names, de->d_name) == -1)
			goto out;
	}
	if (errno != 0) {
		msg_err("%s: cannot read the folder: %s%s", dir, strerror(errno),
		    depth > 0 ? "; folder skipped" : "");
		rc = 1;
		goto out;
	}
	/* qsort(NULL, 0) is undefined behaviour: an empty folder has no list */
	if (names.n > 1)
		qsort(names.v, names.n, sizeof(*names.v), input_namecmp);
	for (i = 0; i < names.n; i++) {
		sbuf_reset(&p);
		sbuf_printf(&p, "%s/%s", dir, names.v[i]);
		if (p.oom)
			goto out;
		if (lstat(p.s, &st) == -1) {
			msg_err("%s: %s; skipped", p.s, strerror(errno));
			(*errors)++;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			if (depth + 1 > INPUT_MAX_DEPTH) {
				msg_err("%s: folders nested more than %d deep; "
				    "folder skipped", p.s, INPUT_MAX_DEPTH);
				(*errors)++;
			} else if ((r = input_walk(p.s, depth + 1, l,
			    errors)) == -1)
				goto out;
			else if (r == 1)
				(*errors)++;
			continue;
		}
		if (!input_certext(names.v[i]))
			continue;
		/* symlinked folders are not followed (no loops); files are */
		if (S_ISLNK(st.st_mode) && stat(p.s, &tst) == 0)
			st = tst;
		if (!S_ISREG(st.st_mode)) {
			msg_err("%s: not a regular file; skipped", p.s);
			(*errors)++;
			continue;
		}
		if (strlist_add(l, p.s) == -1)
			goto out;
	}
	rc = 0;
out:
	if (rc == -1)
		msg_err("%s: out of memory", dir);
	sbuf_reset(&p);
	strlist_free(&names);
	closedir(d);
	return rc;
}

int
input_certdir(struct input *in, const char *dir, unsigned types)
{
	struct strlist	 files = { NULL, 0 };
	struct certset	 set = { NULL, 0 };
	struct prefetch	*pf = NULL;
	struct stat	 st;
	char		*rp[INPUT_AHEAD], *err;
	unsigned char	 want[INPUT_AHEAD], *buf;
	size_t		 i, before, start = 0, end = 0, nr, len;
	int		 rc = -1, r;

	if (stat(dir, &st) == -1) {
		msg_err("%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		msg_err("%s: not a directory (--certdir wants a folder)", dir);
		return -1;
	}
	if (input_walk(dir, 0, &files, &in->errors) != 0)
		goto out;
	if (files.n == 0)
		msg_warn("%s: no certificate files (.cer .crt .der .pem .p7b "
		    ".p7c)", dir);
	for (i = 0; i < files.n; i++) {
		/*
		 * The files of the next INPUT_AHEAD, read ahead on another
		 * thread while these are decoded: those not unchanged since
		 * the last run, asked first, so that each one's identity is
		 * taken before its read (input.h).
		 */
		if (i == end) {
			prefetch_stop(pf);
			pf = NULL;
			nr = 0;
			for (start = end = i; end < files.n &&
			    end < start + INPUT_AHEAD; end++) {
				want[end - start] = in->skip == NULL ||
				    in->skip(in->hook_arg, files.v[end]) != 1;
				if (want[end - start])
					rp[nr++] = files.v[end];
			}
			pf = nr > 1 ? prefetch_start(rp, nr) : NULL;
		}
		if (!want[i - start])
			continue;	/* unchanged since the last run */
		if (pf != NULL) {
			buf = NULL;
			len = 0;
			r = prefetch_next(pf, &buf, &len, &err);
			r = cert_read_loaded(files.v[i], r, buf, len, err,
			    &set);
		} else
			r = cert_read_file(files.v[i], NULL, &set);
		if (r == -1) {
			in->errors++;
			input_bad(in, files.v[i], 0);
			continue;
		}
		before = in->n;
		if (input_add(in, files.v[i], 0, ID_MATCH, NULL, NULL, &set,
		    types) < 0) {
			msg_err("out of memory");
			goto out;
		}
		if (in->seen != NULL)
			in->seen(in->hook_arg, files.v[i], before, in->n - before);
	}
	rc = 0;
out:
	prefetch_stop(pf);
	certset_free(&set);
	strlist_free(&files);
	return rc;
}
