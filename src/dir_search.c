/*
 * The directory's reads: paged searches, account lookups (batched keys,
 * several searches in flight on the one connection), scans of mapped
 * accounts and published certificates, entries read by DN or GUID, and
 * the policy lookups (group members, protected groups).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldap.h>

#include "altsec.h"
#include "dir_int.h"
#include "hex.h"
#include "msg.h"
#include "ntauth.h"
#include "sbuf.h"

/* Keys per search: short filters, and AD's MaxQueryDuration stays far. */
#define DIR_BATCH	100
/* Windows refuses pages larger than 1000 (MaxPageSize). */
#define DIR_PAGE	1000
/* Base searches in flight when reading many entries. */
#define DIR_READ_WINDOW	32
/*
 * Lookup searches in flight at once (batches and DN rows): over a WAN a
 * lookup costs a round trip, not one per batch.  Few enough that the
 * server's threads are not all taken by one client.
 */
#define DIR_LOOKUP_WINDOW 8
/* Slots of a batch's key hash: a power of two over twice DIR_BATCH. */
#define DIR_KEYSLOTS	256

static const char *const dir_attrs[] = {
	"sAMAccountName", "userPrincipalName", "mail", "objectSid",
	"altSecurityIdentities", "userAccountControl", "objectGUID",
	"dNSHostName", "objectClass", "adminCount", "primaryGroupID", NULL
};
/*
 * What a duplicate check reads of a holder: its DN and values.  A re-run,
 * and the recheck after an apply, find every account of the batch holding
 * its values: the other ten attributes were a third of the client's work
 * parsing them, and the server's sending them.
 */
static const char *const dir_holder_attrs[] = {
	"altSecurityIdentities", NULL
};

/*
 * Reads the decimal number at *P (digits only: strtoull would take a
 * sign, blanks or "0x"), at most MAX, and moves *P past it.  0 or -1.
 */
static int
dir_sid_num(const char **p, unsigned long long max, unsigned long long *v)
{
	const char	*s = *p;

	*v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*v > (max - (unsigned long long)(*s - '0')) / 10)
			return -1;
		*v = *v * 10 + (unsigned long long)(*s - '0');
	}
	*p = s;
	return 0;
}

int
dir_sid_to_bin(const char *sid, unsigned char *out, size_t *len)
{
	unsigned long long	 v;
	const char		*p;
	int			 i, n = 0;

	/* S-1-<authority, 48 bits>(-<sub-authority, 32 bits>){0,15} */
	if (strncasecmp(sid, "S-1-", 4) != 0)
		return -1;
	p = sid + 4;
	if (dir_sid_num(&p, 0xffffffffffffULL, &v) == -1)
		return -1;
	out[0] = 1;
	for (i = 0; i < 6; i++)
		out[2 + i] = (unsigned char)(v >> (8 * (5 - i)));
	while (*p == '-') {
		p++;
		if (n == 15 || dir_sid_num(&p, 0xffffffffULL, &v) == -1)
			return -1;
		for (i = 0; i < 4; i++)
			out[8 + 4 * n + i] = (unsigned char)(v >> (8 * i));
		n++;
	}
	if (*p != '\0')
		return -1;
	out[1] = (unsigned char)n;
	*len = 8 + 4 * (size_t)n;
	return 0;
}

int
dir_sid_valid(const char *sid)
{
	unsigned char	b[8 + 4 * 15];
	size_t		n;

	return dir_sid_to_bin(sid, b, &n) == 0;
}

int
dir_dn_valid(const char *dn)
{
	LDAPDN	ldn = NULL;
	int	ok;

	/* the empty DN is the rootDSE, never an account */
	ok = *dn != '\0' && ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) ==
	    LDAP_SUCCESS && ldn != NULL;
	ldap_dnfree(ldn);
	return ok;
}

static char *
dir_sid_to_text(const struct berval *bv)
{
	const unsigned char	*b = (const unsigned char *)bv->bv_val;
	struct sbuf		 s = SBUF_INIT;
	unsigned long long	 auth = 0;
	size_t			 i, n;

	if (bv->bv_len < 8 || bv->bv_len != 8 + 4 * (size_t)b[1])
		return NULL;
	n = b[1];
	for (i = 0; i < 6; i++)
		auth = auth << 8 | b[2 + i];
	sbuf_printf(&s, "S-%u-%llu", b[0], auth);
	for (i = 0; i < n; i++)
		sbuf_printf(&s, "-%" PRIu32, (uint32_t)b[8 + 4 * i] |
		    (uint32_t)b[9 + 4 * i] << 8 | (uint32_t)b[10 + 4 * i] << 16 |
		    (uint32_t)b[11 + 4 * i] << 24);
	return sbuf_done(&s);
}

/* Reads one attribute's first value as a string, or NULL. */
char *
dir_first(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval	**vals;
	char		 *s = NULL;

	if ((vals = ldap_get_values_len(ld, e, attr)) == NULL)
		return NULL;
	if (vals[0] != NULL)
		s = strndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return s;
}

/*
 * An objectGUID value as 32 lower-case hex digits (bytes as stored), or
 * NULL: not 16 bytes, or out of memory.
 */
static char *
dir_guid_text(const struct berval *bv)
{
	char	*s;

	if (bv == NULL || bv->bv_val == NULL || bv->bv_len != 16 ||
	    (s = malloc(33)) == NULL)
		return NULL;
	return hex_encode((const unsigned char *)bv->bv_val, 16, s, 0);
}

/* objectGUID of E as dir_guid_text gives it, or NULL. */
static char *
dir_guid_hex(LDAP *ld, LDAPMessage *e)
{
	struct berval	**vals;
	char		 *s;

	if ((vals = ldap_get_values_len(ld, e, "objectGUID")) == NULL)
		return NULL;
	s = dir_guid_text(vals[0]);
	ldap_value_free_len(vals);
	return s;
}

int
dir_all(LDAP *ld, LDAPMessage *e, const char *attr, struct strlist *out)
{
	struct berval	**vals;
	char		 *s;
	size_t		  i;
	int		  rc = 0;

	if ((vals = ldap_get_values_len(ld, e, attr)) == NULL)
		return 0;
	for (i = 0; vals[i] != NULL && rc == 0; i++) {
		if ((s = strndup(vals[i]->bv_val, vals[i]->bv_len)) == NULL ||
		    strlist_add(out, s) == -1)
			rc = -1;
		free(s);
	}
	ldap_value_free_len(vals);
	return rc;
}

/*
 * Result codes by which a server refuses one lookup, not the directory as
 * a whole: they fail that key only.  For a base search (a DN row) that is
 * anything about the DN; for a subtree search from the base, only what a
 * filter value can cause (a missing or forbidden base is the directory's
 * problem, and stays fatal).
 */
static int
dir_key_rc(int rc, int scope)
{
	switch (rc) {
	case LDAP_PROTOCOL_ERROR:	/* AD: a filter value it cannot take */
	case LDAP_INAPPROPRIATE_MATCHING:
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_OTHER:
		return 1;
	case LDAP_PARTIAL_RESULTS:	/* LDAPv2-style referral */
	case LDAP_REFERRAL:		/* a DN in another naming context */
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_ALIAS_PROBLEM:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_ALIAS_DEREF_PROBLEM:
	case LDAP_INSUFFICIENT_ACCESS:
		return scope == LDAP_SCOPE_BASE;
	}
	return 0;
}

/*
 * One search, paged if PAGED, calling CB for every entry.  Continuation
 * references (AD's Configuration partition) are ignored.  Returns 0, 1 if
 * the base does not exist, or -1 after reporting.  With KEYERR, a result
 * code dir_key_rc() counts as one lookup's is not reported but stored in
 * *KEYERR, and 2 is returned; the diagnostic is left in the connection.
 */
int
dir_search(struct dir *d, const char *base, int scope, const char *filter,
    const char *const *attrs, int paged,
    int (*cb)(struct dir *, LDAPMessage *, void *), void *arg, int *keyerr)
{
	struct berval	 cookie = { 0, NULL };
	struct timeval	 tv = { d->timeout, 0 };
	LDAPControl	*pc = NULL, *ctrls[2] = { NULL, NULL }, **sctrls = NULL;
	LDAPControl	*resp;
	LDAPMessage	*res = NULL, *m;
	ber_int_t	 count;
	int		 msgid, r, err, rc = -1, done;
	char		 what[64];

	snprintf(what, sizeof(what), "search");
	do {
		if (paged) {
			if ((r = ldap_create_page_control(d->ld, DIR_PAGE,
			    &cookie, 0, &pc)) != LDAP_SUCCESS) {
				dir_report(d, r, "paged results control");
				goto out;
			}
			ctrls[0] = pc;
		}
		r = ldap_search_ext(d->ld, base, scope, filter,
		    (char **)(uintptr_t)attrs, 0, paged ? ctrls : NULL, NULL,
		    &tv, 0, &msgid);
		ldap_control_free(pc);
		pc = NULL;
		if (r != LDAP_SUCCESS) {
			dir_report(d, r, what);
			goto out;
		}
		for (done = 0; !done; ) {
			if (dir_wait(d, msgid, 0, &res, what) == -1)
				goto out;
			for (m = ldap_first_message(d->ld, res); m != NULL;
			    m = ldap_next_message(d->ld, m)) {
				switch (ldap_msgtype(m)) {
				case LDAP_RES_SEARCH_ENTRY:
					if (cb(d, m, arg) == -1)
						goto out;
					break;
				case LDAP_RES_SEARCH_REFERENCE:
					break;
				case LDAP_RES_SEARCH_RESULT:
					done = 1;
					r = ldap_parse_result(d->ld, m, &err,
					    NULL, NULL, NULL, &sctrls, 0);
					if (r != LDAP_SUCCESS) {
						dir_report(d, r, what);
						goto out;
					}
					if (err == LDAP_NO_SUCH_OBJECT &&
					    scope == LDAP_SCOPE_BASE) {
						rc = 1;
						goto out;
					}
					if (err != LDAP_SUCCESS && keyerr != NULL &&
					    dir_key_rc(err, scope)) {
						*keyerr = err;
						rc = 2;
						goto out;
					}
					if (err != LDAP_SUCCESS) {
						ldap_set_option(d->ld,
						    LDAP_OPT_RESULT_CODE, &err);
						dir_report(d, err, what);
						goto out;
					}
					break;
				}
			}
			ldap_msgfree(res);
			res = NULL;
		}
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (paged && sctrls != NULL && (resp = ldap_control_find(
		    LDAP_CONTROL_PAGEDRESULTS, sctrls, NULL)) != NULL &&
		    ldap_parse_pageresponse_control(d->ld, resp, &count,
		    &cookie) != LDAP_SUCCESS) {
			dir_report(d, LDAP_DECODING_ERROR, "paged results");
			goto out;
		}
		ldap_controls_free(sctrls);
		sctrls = NULL;
	} while (cookie.bv_len > 0);
	rc = 0;
out:
	ldap_controls_free(sctrls);
	ldap_msgfree(res);
	ber_memfree(cookie.bv_val);
	return rc;
}

/* 1 if ATTR of E holds VALUE (compared exactly, e.g. an OID). */
int
dir_has_value(LDAP *ld, LDAPMessage *e, const char *attr, const char *value)
{
	struct berval	**v;
	size_t		  i;
	int		  r = 0;

	if ((v = ldap_get_values_len(ld, e, attr)) == NULL)
		return 0;
	for (i = 0; v[i] != NULL && !r; i++)
		r = v[i]->bv_len == strlen(value) &&
		    memcmp(v[i]->bv_val, value, v[i]->bv_len) == 0;
	ldap_value_free_len(v);
	return r;
}

void
dir_blobs_free(struct dir_blobs *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
	free(b->len);
	b->v = NULL;
	b->len = NULL;
	b->n = 0;
}

static int
dir_config_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	char	**config = arg;

	free(*config);
	*config = dir_first(d->ld, e, "configurationNamingContext");
	return 0;
}

static int
dir_blobs_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_blobs	 *b = arg;
	struct berval		**vals;
	unsigned char		**nv;
	size_t			 *nl, i;
	int			  rc = -1;

	if ((vals = ldap_get_values_len(d->ld, e, "cACertificate")) == NULL)
		return 0;
	for (i = 0; vals[i] != NULL; i++) {
		if ((nv = realloc(b->v, (b->n + 1) * sizeof(*nv))) == NULL)
			goto out;
		b->v = nv;
		if ((nl = realloc(b->len, (b->n + 1) * sizeof(*nl))) == NULL)
			goto out;
		b->len = nl;
		if ((b->v[b->n] = malloc(vals[i]->bv_len + 1)) == NULL)
			goto out;
		memcpy(b->v[b->n], vals[i]->bv_val, vals[i]->bv_len);
		b->len[b->n] = vals[i]->bv_len;
		b->n++;
	}
	rc = 0;
out:
	if (rc == -1)
		msg_err("out of memory");
	ldap_value_free_len(vals);
	return rc;
}

static long	dir_account(struct dir *, LDAPMessage *, struct accounts *);

static int
dir_scan_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	return dir_account(d, e, arg) < 0 ? -1 : 0;
}

int
dir_scan_mapped(struct dir *d, struct accounts *acc)
{
	return dir_search(d, d->base, LDAP_SCOPE_SUBTREE,
	    "(altSecurityIdentities=*)", dir_attrs, 1, dir_scan_cb, acc, NULL) == 0 ?
	    0 : -1;
}

/* dir_scan_certs: the caller's callback and its argument. */
struct dir_certs_arg {
	int	(*cb)(void *, const char *, const struct strlist *,
		    const struct dir_blobs *);
	void	*arg;
};

static int
dir_certs_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_certs_arg	 *a = arg;
	struct dir_blobs	  certs = { NULL, NULL, 0 };
	struct strlist		  altsec = { NULL, 0 };
	struct berval		**vals = NULL;
	char			 *dn = NULL, *v;
	size_t			  i;
	int			  rc = -1;

	if ((dn = ldap_get_dn(d->ld, e)) == NULL)
		goto oom;
	if ((vals = ldap_get_values_len(d->ld, e, "userCertificate")) != NULL)
		for (i = 0; vals[i] != NULL; i++) {
			unsigned char	**nv;
			size_t		 *nl;

			if ((nv = realloc(certs.v, (certs.n + 1) *
			    sizeof(*nv))) == NULL)
				goto oom;
			certs.v = nv;
			if ((nl = realloc(certs.len, (certs.n + 1) *
			    sizeof(*nl))) == NULL)
				goto oom;
			certs.len = nl;
			if ((certs.v[certs.n] = malloc(vals[i]->bv_len + 1)) ==
			    NULL)
				goto oom;
			memcpy(certs.v[certs.n], vals[i]->bv_val,
			    vals[i]->bv_len);
			certs.len[certs.n++] = vals[i]->bv_len;
		}
	ldap_value_free_len(vals);
	vals = ldap_get_values_len(d->ld, e, "altSecurityIdentities");
	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		/* a value with a NUL byte is kept up to it: audit shows it */
		if ((v = strndup(vals[i]->bv_val, vals[i]->bv_len)) == NULL ||
		    strlist_add(&altsec, v) == -1) {
			free(v);
			goto oom;
		}
		free(v);
	}
	rc = a->cb(a->arg, dn, &altsec, &certs);
	goto out;
oom:
	msg_err("out of memory");
out:
	ldap_value_free_len(vals);
	ldap_memfree(dn);
	dir_blobs_free(&certs);
	strlist_free(&altsec);
	return rc;
}

/* What dir_scan_usercerts passes through dir_search. */
struct dir_certscan {
	struct accounts	*acc;
	int		 smime;
	int		(*cb)(void *, size_t, const char *, const unsigned char *,
			    size_t);
	void		*arg;
};

static int
dir_certscan_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	static const char *const attrs[] = { "userCertificate",
	    "userSMIMECertificate" };
	struct dir_certscan	 *s = arg;
	struct berval		**vals;
	long			  idx;
	size_t			  a, i;
	int			  rc = 0;

	if ((idx = dir_account(d, e, s->acc)) < 0)
		return -1;
	for (a = 0; a < (s->smime ? 2u : 1u) && rc == 0; a++) {
		if ((vals = ldap_get_values_len(d->ld, e, attrs[a])) == NULL)
			continue;
		for (i = 0; vals[i] != NULL && rc == 0; i++)
			rc = s->cb(s->arg, (size_t)idx, attrs[a],
			    (const unsigned char *)vals[i]->bv_val,
			    vals[i]->bv_len);
		ldap_value_free_len(vals);
	}
	return rc;
}

int
dir_scan_certs(struct dir *d, int (*cb)(void *arg, const char *dn,
    const struct strlist *altsec, const struct dir_blobs *certs), void *arg)
{
	struct dir_certs_arg	a = { cb, arg };

	return dir_search(d, d->base, LDAP_SCOPE_SUBTREE, "(userCertificate=*)",
	    (const char *const []){ "userCertificate", "altSecurityIdentities",
	    NULL }, 1, dir_certs_cb, &a, NULL) == 0 ? 0 : -1;
}

int
dir_scan_usercerts(struct dir *d, int smime, struct accounts *acc,
    int (*cb)(void *, size_t, const char *, const unsigned char *, size_t),
    void *arg)
{
	const char		*attrs[16];
	struct dir_certscan	 s;
	size_t			 i;

	/*
	 * Asked for plainly: Samba refuses the ;binary option on this
	 * attribute, and AD returns the DER either way.
	 */
	for (i = 0; dir_attrs[i] != NULL; i++)
		attrs[i] = dir_attrs[i];
	attrs[i++] = "userCertificate";
	if (smime)
		attrs[i++] = "userSMIMECertificate";
	attrs[i] = NULL;
	s.acc = acc;
	s.smime = smime;
	s.cb = cb;
	s.arg = arg;
	return dir_search(d, d->base, LDAP_SCOPE_SUBTREE, smime ?
	    "(&(objectClass=user)(|(userCertificate=*)"
	    "(userSMIMECertificate=*)))" :
	    "(&(objectClass=user)(userCertificate=*))", attrs, 1,
	    dir_certscan_cb, &s, NULL) == 0 ? 0 : -1;
}

struct dir_attr_arg {
	const char	*attr;
	char		*val;
};

static int
dir_attr_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_attr_arg	*a = arg;

	free(a->val);
	a->val = dir_first(d->ld, e, a->attr);
	return 0;
}

int
dir_rootdse_attr(struct dir *d, const char *attr, char **out)
{
	struct dir_attr_arg	a = { attr, NULL };

	*out = NULL;
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ attr, NULL }, 0, dir_attr_cb, &a, NULL) != 0) {
		free(a.val);
		return -1;
	}
	*out = a.val;
	return a.val == NULL ? 1 : 0;
}

int
dir_ntauth_read(struct dir *d, char **dn, struct dir_blobs *out)
{
	struct sbuf	 b = SBUF_INIT;
	char		*config = NULL;
	int		 r, rc = -1;

	*dn = NULL;
	dir_blobs_free(out);
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "configurationNamingContext", NULL }, 0,
	    dir_config_cb, &config, NULL) != 0)
		goto out;
	if (config == NULL) {
		msg_err("%s: the root DSE names no configuration naming "
		    "context: not Active Directory?", d->uri);
		goto out;
	}
	sbuf_printf(&b, "CN=NTAuthCertificates,CN=Public Key Services,"
	    "CN=Services,%s", config);
	if (b.oom) {
		msg_err("out of memory");
		goto out;
	}
	r = dir_search(d, b.s, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "cACertificate", NULL }, 0,
	    dir_blobs_cb, out, NULL);
	if (r == -1)
		goto out;
	*dn = sbuf_done(&b);
	if (*dn == NULL) {
		msg_err("out of memory");
		goto out;
	}
	rc = r;
out:
	if (rc == -1)
		dir_blobs_free(out);
	sbuf_reset(&b);
	free(config);
	return rc;
}

void
accounts_free(struct accounts *acc)
{
	size_t	i;

	for (i = 0; i < acc->n; i++)
		strlist_free(&acc->v[i].altsec);
	free(acc->v);
	free(acc->slot);
	arena_free(&acc->arena);
	memset(acc, 0, sizeof(*acc));
}

/* FNV-1a over the ASCII-lowered DN: DNs compare case-insensitively. */
static size_t
accounts_hash(const char *dn)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *dn != '\0'; dn++) {
		h ^= (unsigned char)(*dn >= 'A' && *dn <= 'Z' ? *dn + 32 : *dn);
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

/* accounts_find of DN, whose accounts_hash is H. */
static long
accounts_find_h(const struct accounts *acc, const char *dn, size_t h)
{
	size_t	i, s;

	if (acc->nslot == 0)
		return -1;
	for (i = h & (acc->nslot - 1); (s = acc->slot[i]) != 0;
	    i = (i + 1) & (acc->nslot - 1))
		if (strcasecmp(acc->v[s - 1].dn, dn) == 0)
			return (long)(s - 1);
	return -1;
}

long
accounts_find(const struct accounts *acc, const char *dn)
{
	return accounts_find_h(acc, dn, accounts_hash(dn));
}

void
accounts_unindex(struct accounts *acc)
{
	free(acc->slot);
	acc->slot = NULL;
	acc->nslot = 0;
}

/* Indexes the last account added, whose DN's accounts_hash is H; grows
 * the table as needed (all of it when it was dropped, accounts_unindex). */
static int
accounts_index(struct accounts *acc, size_t h)
{
	size_t	*slot, n, i, j;

	if (2 * acc->n > acc->nslot) {
		n = acc->nslot ? 2 * acc->nslot : 64;
		while (2 * acc->n > n)
			n *= 2;
		if ((slot = calloc(n, sizeof(*slot))) == NULL)
			return -1;
		free(acc->slot);
		acc->slot = slot;
		acc->nslot = n;
		j = 0;
	} else
		j = acc->n - 1;
	for (; j < acc->n; j++) {
		/* the last one's hash is known: one pass over its DN less */
		for (i = (j + 1 == acc->n ? h : accounts_hash(acc->v[j].dn)) &
		    (acc->nslot - 1);
		    acc->slot[i] != 0; i = (i + 1) & (acc->nslot - 1))
			;
		acc->slot[i] = j + 1;
	}
	return 0;
}

/* 1 if the entry is a computer account (objectClass computer), else 0. */
/* Room for one more account: doubled, as accounts come one by one.  0/-1. */
static int
accounts_grow(struct accounts *acc)
{
	struct account	*v;
	size_t		 cap;

	if (acc->n < acc->cap)
		return 0;
	cap = acc->cap < 16 ? 16 : acc->cap * 2;
	if ((v = reallocarray(acc->v, cap, sizeof(*v))) == NULL)
		return -1;
	acc->v = v;
	acc->cap = cap;
	return 0;
}

/* The attributes dir_account_read takes, in the order of its switch. */
static const char *const dir_acct_types[] = {
	"sAMAccountName", "userPrincipalName", "mail", "dNSHostName",
	"objectClass", "userAccountControl", "adminCount", "primaryGroupID",
	"objectSid", "objectGUID", "altSecurityIdentities"
};

/* The first value of VALS as a string; NULL if none (*OOM on ENOMEM). */
static char *
dir_bv_first(const struct berval *vals, int *oom)
{
	char	*s;

	if (vals == NULL || vals[0].bv_val == NULL)
		return NULL;
	if ((s = strndup(vals[0].bv_val, vals[0].bv_len)) == NULL)
		*oom = 1;
	return s;
}

/* The number in the first value of VALS (as strtoul/strtol read it). */
static long long
dir_bv_num(const struct berval *vals, int is_signed, int *oom)
{
	char		*s;
	long long	 v = 0;

	if ((s = dir_bv_first(vals, oom)) != NULL)
		v = is_signed ? strtol(s, NULL, 10) : (long long)strtoul(s,
		    NULL, 10);
	free(s);
	return v;
}

/*
 * Reads entry E into A in one pass over its attributes: looking each one
 * up with ldap_get_values_len parsed the entry from its start eleven
 * times, a tenth of a run's CPU.  The first occurrence of a type counts,
 * and types compare as there (whole, case-insensitively), so A is what
 * those calls gave.  Values point into the entry (as in ldapsearch) and
 * are copied.  Returns 0, -1 out of memory, or -2 for an entry whose DN
 * libldap cannot parse; A's strings are the caller's either way.
 */
static int
dir_account_read(struct dir *d, LDAPMessage *e, struct account *a)
{
	BerElement	*ber = NULL;
	struct berval	 dn, at, *vals = NULL;
	size_t		 k, i, nt = sizeof(dir_acct_types) /
			    sizeof(dir_acct_types[0]);
	unsigned	 seen = 0;
	char		*s;
	int		 r, oom = 0;

	if (ldap_get_dn_ber(d->ld, e, &ber, &dn) != LDAP_SUCCESS ||
	    dn.bv_val == NULL) {
		if (ber != NULL)
			ber_free(ber, 0);
		return -2;
	}
	if ((a->dn = strndup(dn.bv_val, dn.bv_len)) == NULL)
		oom = 1;
	for (r = ldap_get_attribute_ber(d->ld, e, ber, &at, &vals);
	    r == LDAP_SUCCESS && at.bv_val != NULL && !oom;
	    r = ldap_get_attribute_ber(d->ld, e, ber, &at, &vals)) {
		for (k = 0; k < nt && (strlen(dir_acct_types[k]) !=
		    at.bv_len || strncasecmp(dir_acct_types[k], at.bv_val,
		    at.bv_len) != 0); k++)
			;
		if (k < nt && !(seen & 1u << k)) {
			seen |= 1u << k;
			switch (k) {
			case 0: a->sam = dir_bv_first(vals, &oom); break;
			case 1: a->upn = dir_bv_first(vals, &oom); break;
			case 2: a->mail = dir_bv_first(vals, &oom); break;
			case 3: a->dns = dir_bv_first(vals, &oom); break;
			case 4:
				for (i = 0; vals != NULL &&
				    vals[i].bv_val != NULL; i++)
					if (vals[i].bv_len == 8 &&
					    strncasecmp(vals[i].bv_val,
					    "computer", 8) == 0)
						a->computer = 1;
				break;
			case 5:
				a->uac = (unsigned long)dir_bv_num(vals, 0,
				    &oom);
				break;
			case 6:
				a->admincount = dir_bv_num(vals, 1, &oom) != 0;
				break;
			case 7:
				a->pgid = (unsigned long)dir_bv_num(vals, 0,
				    &oom);
				break;
			case 8:
				if (vals != NULL && vals[0].bv_val != NULL)
					a->sid = dir_sid_to_text(&vals[0]);
				break;
			case 9:
				if (vals != NULL)
					a->guid = dir_guid_text(&vals[0]);
				break;
			default:
				for (i = 0; vals != NULL &&
				    vals[i].bv_val != NULL && !oom; i++) {
					s = strndup(vals[i].bv_val,
					    vals[i].bv_len);
					if (s == NULL ||
					    strlist_add(&a->altsec, s) == -1)
						oom = 1;
					free(s);
				}
				break;
			}
		}
		ber_memfree(vals);
		vals = NULL;
	}
	ber_memfree(vals);
	ber_free(ber, 0);
	return oom ? -1 : 0;
}

/* Adds the entry to ACC unless present; returns its index or -1. */
static long
dir_account(struct dir *d, LDAPMessage *e, struct accounts *acc)
{
	struct account	 a;
	char		 *s;
	char		**str[] = { &a.dn, &a.sam, &a.upn, &a.mail, &a.sid,
			    &a.guid, &a.dns };
	long		  idx;
	size_t		  i, h;
	int		  r;

	memset(&a, 0, sizeof(a));
	if ((r = dir_account_read(d, e, &a)) != 0 ||
	    accounts_grow(acc) == -1) {
		free(a.dn);
		free(a.sam);
		free(a.upn);
		free(a.mail);
		free(a.sid);
		free(a.guid);
		free(a.dns);
		strlist_free(&a.altsec);
		if (r != -2)
			msg_err("out of memory");
		return -1;
	}
	h = accounts_hash(a.dn);
	idx = accounts_find_h(acc, a.dn, h);
	if (idx >= 0) {
		for (i = 0; i < sizeof(str) / sizeof(str[0]); i++)
			free(*str[i]);
		strlist_free(&a.altsec);
		return idx;
	}
	/* into the arena: a batch holds a million accounts at once */
	for (i = 0; i < sizeof(str) / sizeof(str[0]); i++) {
		s = *str[i] != NULL ? arena_strdup(&acc->arena, *str[i]) : NULL;
		if (s == NULL && *str[i] != NULL) {
			for (; i < sizeof(str) / sizeof(str[0]); i++)
				free(*str[i]);
			strlist_free(&a.altsec);
			msg_err("out of memory");
			return -1;
		}
		free(*str[i]);
		*str[i] = s;
	}
	acc->v[acc->n++] = a;
	if (accounts_index(acc, h) == -1) {
		msg_err("out of memory");
		return -1;
	}
	return (long)acc->n - 1;
}

static int
dir_add_hit(struct dir_key *k, size_t idx)
{
	size_t	i, *h;

	for (i = 0; i < k->nhits; i++)
		if (k->hits[i] == idx)
			return 0;
	if ((h = realloc(k->hits, (k->nhits + 1) * sizeof(*h))) == NULL)
		return -1;
	h[k->nhits++] = idx;
	k->hits = h;
	return 0;
}

static int
dir_matches(const struct account *a, const struct dir_key *k)
{
	size_t	i;

	if (strcasecmp(k->attr, "sAMAccountName") == 0)
		return a->sam && strcasecmp(a->sam, k->value) == 0;
	/* beyond ASCII, as the server's caseIgnoreMatch (see dir_lookup) */
	if (strcasecmp(k->attr, "userPrincipalName") == 0)
		return a->upn && altsec_casecmp(a->upn, k->value) == 0;
	if (strcasecmp(k->attr, "mail") == 0)
		return a->mail && altsec_casecmp(a->mail, k->value) == 0;
	if (strcasecmp(k->attr, "objectSid") == 0)
		return a->sid && strcasecmp(a->sid, k->value) == 0;
	/* host names are ASCII; AD compares them ignoring case */
	if (strcasecmp(k->attr, "dNSHostName") == 0)
		return a->dns && strcasecmp(a->dns, k->value) == 0;
	if (strcasecmp(k->attr, "altSecurityIdentities") == 0) {
		for (i = 0; i < a->altsec.n; i++)
			if (altsec_casecmp(a->altsec.v[i], k->value) == 0)
				return 1;
	}
	return 0;
}

/* Reports that the bind cannot read altSecurityIdentities of DN; -1. */
static int
dir_unreadable(struct dir *d, const char *dn)
{
	char	*e = msg_escape(dn, strlen(dn));

	msg_err("%s: the bind may not read altSecurityIdentities (seen on "
	    "\"%s\"): certbulk cannot see the values accounts hold, so it "
	    "could neither avoid duplicates nor undo; refusing to go on.  "
	    "Bind as an account with read access to the attribute (it may be "
	    "confidential, or delegated for writing only)", d->uri,
	    e ? e : "?");
	free(e);
	return -1;
}

int
dir_check_readable(struct dir *d, const char *dn)
{
	struct timeval	 tv = { d->timeout, 0 };
	struct berval	 probe = { 19,
			    (char *)(uintptr_t)"certbulk-read-probe" };
	LDAPMessage	*res = NULL, *e;
	char		*attrs[] = { (char *)(uintptr_t)"altSecurityIdentities",
			    NULL };
	char		*edn;
	int		 r, rc = -1;

	/* any entry that holds a value must show it */
	r = ldap_search_ext_s(d->ld, d->domain, LDAP_SCOPE_SUBTREE,
	    "(altSecurityIdentities=*)", attrs, 0, NULL, NULL, &tv, 1, &res);
	if ((r == LDAP_SUCCESS || r == LDAP_SIZELIMIT_EXCEEDED) &&
	    (e = ldap_first_entry(d->ld, res)) != NULL) {
		struct berval **v = ldap_get_values_len(d->ld, e, attrs[0]);

		if (v != NULL) {
			ldap_value_free_len(v);
			rc = 0;
		} else if ((edn = ldap_get_dn(d->ld, e)) != NULL) {
			(void)dir_unreadable(d, edn);
			ldap_memfree(edn);
		}
		goto out;
	}
	if (r == LDAP_SERVER_DOWN || r == LDAP_TIMEOUT) {
		dir_report(d, r, "checking read access");
		goto out;
	}
	/*
	 * Nothing found: no values anywhere, or the attribute cannot even be
	 * searched.  A compare on an account tells: the server answers
	 * false or "no such attribute" only to a bind that may see it.
	 */
	if (dn == NULL) {
		rc = 0;
		goto out;
	}
	r = ldap_compare_ext_s(d->ld, dn, attrs[0], &probe, NULL, NULL);
	if (r == LDAP_INSUFFICIENT_ACCESS) {
		(void)dir_unreadable(d, dn);
		goto out;
	}
	if (r == LDAP_SERVER_DOWN || r == LDAP_TIMEOUT) {
		dir_report(d, r, "checking read access");
		goto out;
	}
	rc = 0;
out:
	ldap_msgfree(res);
	return rc;
}

/* Appends "(attr=escaped-value)" to F. */
static int
dir_filter_term(struct sbuf *f, const struct dir_key *k)
{
	struct berval	 in, out = { 0, NULL };
	unsigned char	 sid[8 + 4 * 15];
	size_t		 sidlen, i;

	if (strcasecmp(k->attr, "objectSid") == 0) {
		/* binary form, escaped byte by byte: AD and slapd agree */
		if (dir_sid_to_bin(k->value, sid, &sidlen) == -1)
			return -1;
		sbuf_puts(f, "(objectSid=");
		for (i = 0; i < sidlen; i++)
			sbuf_printf(f, "\\%02x", sid[i]);
		sbuf_putc(f, ')');
		return 0;
	}
	in.bv_val = (char *)(uintptr_t)k->value;
	in.bv_len = strlen(k->value);
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return -1;
	sbuf_printf(f, "(%s=%s)", k->attr, out.bv_val);
	ber_memfree(out.bv_val);
	return 0;
}

struct dir_batch {
	struct dir_key	*keys;
	size_t		 n;
	struct accounts	*acc;
	int		 base;	/* one key searched: every entry is its */
	size_t		 unmatched; /* entries no key matched on our side */
	int		 values; /* keys: altSecurityIdentities values */
	int		 hashed; /* keys are in kslot: see dir_batch_hash */
	size_t		 kslot[DIR_KEYSLOTS]; /* key index + 1, 0 empty */
	unsigned long	 khash[DIR_KEYSLOTS]; /* altsec_casehash of it */
};

/*
 * Hashes the batch's keys by their folded value, so that each entry
 * returned is compared only with the keys that may match it (not with
 * every key of the batch).  DN keys never match an entry here.
 */
static void
dir_batch_hash(struct dir_batch *b)
{
	size_t		i, s, p;
	unsigned long	h;

	memset(b->kslot, 0, sizeof(b->kslot));
	b->hashed = 0;
	for (i = 0; i < b->n; i++) {
		if (strcasecmp(b->keys[i].attr, "distinguishedName") == 0)
			continue;
		h = altsec_casehash(b->keys[i].value);
		for (s = h & (DIR_KEYSLOTS - 1), p = 0; b->kslot[s] != 0 &&
		    p < DIR_KEYSLOTS; s = (s + 1) & (DIR_KEYSLOTS - 1), p++)
			;
		if (b->kslot[s] != 0)
			return;	/* full (more keys than DIR_BATCH): compare all */
		b->kslot[s] = i + 1;
		b->khash[s] = h;
	}
	b->hashed = 1;
}

/* Adds A (index IDX) to the hits of the keys of B whose value is V. */
static int
dir_batch_hits(struct dir_batch *b, const struct account *a, size_t idx,
    const char *v, int *any)
{
	unsigned long	h;
	size_t		s, k;

	if (v == NULL)
		return 0;
	h = altsec_casehash(v);
	for (s = h & (DIR_KEYSLOTS - 1); (k = b->kslot[s]) != 0;
	    s = (s + 1) & (DIR_KEYSLOTS - 1)) {
		if (b->khash[s] != h || !dir_matches(a, &b->keys[k - 1]))
			continue;
		*any = 1;
		if (dir_add_hit(&b->keys[k - 1], idx) == -1)
			return -1;
	}
	return 0;
}

static int
dir_batch_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_batch	*b = arg;
	long			 idx;
	size_t			 i;
	int			 any = 0;

	if ((idx = dir_account(d, e, b->acc)) < 0)
		return -1;
	/*
	 * Found by its altSecurityIdentities, yet none came back: the bind
	 * may search the attribute but not read it.
	 */
	if (b->values && b->acc->v[idx].altsec.n == 0)
		return dir_unreadable(d, b->acc->v[idx].dn);
	if (!b->base && b->hashed) {
		const struct account *a = &b->acc->v[idx];

		if (dir_batch_hits(b, a, (size_t)idx, a->sam, &any) == -1 ||
		    dir_batch_hits(b, a, (size_t)idx, a->upn, &any) == -1 ||
		    dir_batch_hits(b, a, (size_t)idx, a->mail, &any) == -1 ||
		    dir_batch_hits(b, a, (size_t)idx, a->sid, &any) == -1)
			return -1;
		for (i = 0; i < a->altsec.n; i++)
			if (dir_batch_hits(b, a, (size_t)idx, a->altsec.v[i],
			    &any) == -1)
				return -1;
		if (!any)
			b->unmatched++;
		return 0;
	}
	for (i = 0; i < b->n; i++) {
		if (!b->base && !dir_matches(&b->acc->v[idx], &b->keys[i]))
			continue;
		any = 1;
		if (dir_add_hit(&b->keys[i], (size_t)idx) == -1)
			return -1;
	}
	if (!any)
		b->unmatched++;
	return 0;
}

/* Sets K's error: "cannot look up ATTR=VALUE: TEXT (DIAGNOSTIC)". */
static void
dir_key_fail(struct dir *d, struct dir_key *k, int rc, const char *why)
{
	struct sbuf	 b = SBUF_INIT;
	char		*diag = rc != LDAP_SUCCESS ? dir_diag(d) : NULL;

	sbuf_printf(&b, "cannot look up %s=%s: ", k->attr, k->value);
	if (why != NULL)
		sbuf_puts(&b, why);
	else if (rc == LDAP_REFERRAL || rc == LDAP_PARTIAL_RESULTS)
		sbuf_puts(&b, "the server refers to another server (outside "
		    "this directory's naming context?)");
	else
		sbuf_printf(&b, "the server answered \"%s\"",
		    ldap_err2string(rc));
	if (diag != NULL && *diag != '\0')
		sbuf_printf(&b, " (%s)", diag);
	free(diag);
	free(k->err);
	k->err = sbuf_done(&b);
	if (k->err == NULL)
		k->err = strdup("cannot look up: out of memory");
}

/*
 * Searches the non-DN keys KEYS[0..N) in one filter; B says how hits are
 * told apart.  Returns 0, 2 if the server refused the search (result code
 * in *KEYERR), or -1 after reporting.
 */
/*
 * The filter for the non-DN keys KEYS[0..N) into F; *TERMS gets how many
 * keys it names (a key that cannot be put in a filter gets its error).
 * Returns 0, or -1 out of memory (reported).
 */
static int
dir_batch_filter(struct dir *d, struct dir_key *keys, size_t n,
    struct sbuf *f, size_t *terms)
{
	size_t		 j;
	int		 users;

	*terms = 0;
	users = strcasecmp(keys[0].attr, "altSecurityIdentities") != 0;
	/* objectClass=user: users, computers, inetOrgPersons; no contacts */
	sbuf_puts(f, users ? "(&(objectClass=user)(|" : "(|");
	for (j = 0; j < n; j++) {
		if (strcasecmp(keys[j].attr, "distinguishedName") == 0 ||
		    keys[j].err != NULL)
			continue;
		if (dir_filter_term(f, &keys[j]) == -1) {
			dir_key_fail(d, &keys[j], LDAP_SUCCESS, "not a value "
			    "that can be searched for");
			continue;
		}
		(*terms)++;
	}
	sbuf_puts(f, users ? "))" : ")");
	if (f->oom) {
		msg_err("out of memory");
		return -1;
	}
	return 0;
}

static int
dir_lookup_batch(struct dir *d, struct dir_key *keys, size_t n,
    const char *const *attrs, struct dir_batch *b, int *keyerr)
{
	struct sbuf	 f = SBUF_INIT;
	size_t		 terms;
	int		 users, r, rc = -1;

	users = strcasecmp(keys[0].attr, "altSecurityIdentities") != 0;
	if (dir_batch_filter(d, keys, n, &f, &terms) == -1)
		goto out;
	if (terms == 0) {
		rc = 0;
		goto out;
	}
	b->keys = keys;
	b->n = n;
	b->values = !users;
	b->hashed = 0;
	msg_debug("search %s", f.s);
	/* values are looked for in the whole domain, accounts in -b */
	if ((r = dir_search(d, users ? d->base : d->domain, LDAP_SCOPE_SUBTREE,
	    f.s, attrs, 1, dir_batch_cb, b, keyerr)) == -1)
		goto out;
	rc = r == 2 ? 2 : 0;
out:
	sbuf_reset(&f);
	return rc;
}

/* One lookup search in flight: a batch of keys, or one DN row. */
struct dir_flight {
	int		 msgid;		/* -1: the slot is free */
	const char	*base;		/* not owned */
	int		 scope;
	char		*filter;	/* owned */
	struct berval	 cookie;	/* owned (libldap): the next page */
	int		 refused;	/* the server refused the batch */
	const char *const *attrs;	/* what to read of each entry */
	struct dir_batch b;
};

/* Sends F's search, or its next page.  0 or -1 (reported). */
static int
dir_flight_send(struct dir *d, struct dir_flight *f)
{
	struct timeval	 tv = { d->timeout, 0 };
	LDAPControl	*pc = NULL, *ctrls[2] = { NULL, NULL };
	int		 paged = f->scope != LDAP_SCOPE_BASE, r;

	if (paged) {
		if ((r = ldap_create_page_control(d->ld, DIR_PAGE, &f->cookie,
		    0, &pc)) != LDAP_SUCCESS) {
			dir_report(d, r, "paged results control");
			return -1;
		}
		ctrls[0] = pc;
	}
	r = ldap_search_ext(d->ld, f->base, f->scope, f->filter,
	    (char **)(uintptr_t)f->attrs, 0, paged ? ctrls : NULL, NULL, &tv,
	    0, &f->msgid);
	ldap_control_free(pc);
	if (r != LDAP_SUCCESS) {
		f->msgid = -1;
		dir_report(d, r, "search");
		return -1;
	}
	return 0;
}

static void
dir_flight_clear(struct dir_flight *f)
{
	free(f->filter);
	ber_memfree(f->cookie.bv_val);
	f->filter = NULL;
	f->cookie.bv_val = NULL;
	f->cookie.bv_len = 0;
	f->msgid = -1;
	f->refused = 0;
}

/*
 * Sets F up for the next search of the lookup (DN rows first, then
 * batches of keys from *POS on) and sends it.  Returns 1 if sent, 0 when
 * there is nothing left, -1 after reporting.
 */
static int
dir_flight_next(struct dir *d, struct dir_key *keys, size_t n,
    size_t *dnpos, size_t *pos, struct accounts *acc, struct dir_flight *f)
{
	struct sbuf	 fb = SBUF_INIT;
	size_t		 i, j, k, terms;
	int		 users;

	memset(&f->b, 0, offsetof(struct dir_batch, kslot));
	f->b.acc = acc;
	for (; *dnpos < n; (*dnpos)++) {
		if (strcasecmp(keys[*dnpos].attr, "distinguishedName") != 0)
			continue;
		f->b.keys = &keys[*dnpos];
		f->b.n = 1;
		f->b.base = 1;
		f->base = keys[*dnpos].value;
		f->scope = LDAP_SCOPE_BASE;
		if ((f->filter = strdup("(objectClass=user)")) == NULL) {
			msg_err("out of memory");
			return -1;
		}
		(*dnpos)++;
		return dir_flight_send(d, f) == -1 ? -1 : 1;
	}
	for (i = *pos; i < n; i = j) {
		users = strcasecmp(keys[i].attr, "altSecurityIdentities") != 0;
		for (j = i, k = 0; j < n && k < DIR_BATCH; j++) {
			if (strcasecmp(keys[j].attr, "distinguishedName") == 0)
				continue;
			if ((strcasecmp(keys[j].attr,
			    "altSecurityIdentities") != 0) != users)
				break;
			k++;
		}
		*pos = j;
		if (dir_batch_filter(d, &keys[i], j - i, &fb, &terms) == -1) {
			sbuf_reset(&fb);
			return -1;
		}
		if (terms == 0) {
			sbuf_reset(&fb);
			continue;
		}
		if ((f->filter = sbuf_done(&fb)) == NULL) {
			msg_err("out of memory");
			return -1;
		}
		msg_debug("search %s", f->filter);
		f->b.keys = &keys[i];
		f->b.n = j - i;
		f->b.values = !users;
		dir_batch_hash(&f->b);
		/* values are looked for in the whole domain, accounts in -b */
		f->base = users ? d->base : d->domain;
		f->scope = LDAP_SCOPE_SUBTREE;
		return dir_flight_send(d, f) == -1 ? -1 : 1;
	}
	return 0;
}

/*
 * Takes one reply message M of F's search.  Returns 0 (more to come), 1
 * when F's lookup is complete, -1 after reporting.
 */
static int
dir_flight_msg(struct dir *d, struct dir_flight *f, LDAPMessage *m)
{
	LDAPControl	**sctrls = NULL, *resp;
	ber_int_t	 count;
	int		 r, err, rc = -1;

	switch (ldap_msgtype(m)) {
	case LDAP_RES_SEARCH_ENTRY:
		return dir_batch_cb(d, m, &f->b);
	case LDAP_RES_SEARCH_RESULT:
		break;
	default:	/* continuation references: ignored */
		return 0;
	}
	r = ldap_parse_result(d->ld, m, &err, NULL, NULL, NULL, &sctrls, 0);
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "search");
		goto out;
	}
	ber_memfree(f->cookie.bv_val);
	f->cookie.bv_val = NULL;
	f->cookie.bv_len = 0;
	if (err == LDAP_NO_SUCH_OBJECT && f->scope == LDAP_SCOPE_BASE) {
		rc = 1;		/* no such DN: no hit */
		goto out;
	}
	if (err != LDAP_SUCCESS && dir_key_rc(err, f->scope)) {
		/* a DN the server refuses is that row's error */
		if (f->scope == LDAP_SCOPE_BASE)
			dir_key_fail(d, f->b.keys, err, NULL);
		else
			f->refused = 1;
		rc = 1;
		goto out;
	}
	if (err != LDAP_SUCCESS) {
		ldap_set_option(d->ld, LDAP_OPT_RESULT_CODE, &err);
		dir_report(d, err, "search");
		goto out;
	}
	if (f->scope != LDAP_SCOPE_BASE && sctrls != NULL &&
	    (resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls,
	    NULL)) != NULL && ldap_parse_pageresponse_control(d->ld, resp,
	    &count, &f->cookie) != LDAP_SUCCESS) {
		dir_report(d, LDAP_DECODING_ERROR, "paged results");
		goto out;
	}
	if (f->cookie.bv_len > 0) {	/* the next page, in the same slot */
		rc = dir_flight_send(d, f) == -1 ? -1 : 0;
		goto out;
	}
	rc = 1;
out:
	ldap_controls_free(sctrls);
	return rc;
}

/* A batch to look up again key by key: [first, first + n), refused? */
struct dir_redo {
	size_t	first;
	size_t	n;
	int	refused;
};

/*
 * The searches of a lookup go out DIR_LOOKUP_WINDOW at a time on the one
 * connection and their replies are taken as they come, each routed to its
 * search by message id; a search is sent as soon as a slot is free.
 */
static int
dir_lookup_attrs(struct dir *d, struct dir_key *keys, size_t n,
    const char *const *attrs, struct accounts *acc)
{
	struct dir_flight	*fl = NULL;
	struct dir_redo		*redo = NULL, *rv;
	struct dir_batch	 b;
	LDAPMessage		*res = NULL, *m;
	size_t			 dnpos = 0, pos = 0, busy = 0, nredo = 0;
	size_t			 i, k, s;
	int			 r, err, msgid, more = 1, rc = -1;

	if ((fl = calloc(DIR_LOOKUP_WINDOW, sizeof(*fl))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (s = 0; s < DIR_LOOKUP_WINDOW; s++) {
		fl[s].msgid = -1;
		fl[s].attrs = attrs;
	}
	for (;;) {
		for (s = 0; more && s < DIR_LOOKUP_WINDOW; s++) {
			if (fl[s].msgid != -1)
				continue;
			if ((r = dir_flight_next(d, keys, n, &dnpos, &pos, acc,
			    &fl[s])) == -1) {
				dir_flight_clear(&fl[s]);
				goto out;
			}
			if (r == 0) {
				dir_flight_clear(&fl[s]);
				more = 0;
			} else
				busy++;
		}
		if (busy == 0)
			break;
		if (dir_wait(d, LDAP_RES_ANY, 0, &res, "search") == -1)
			goto out;
		msgid = ldap_msgid(res);
		for (s = 0; s < DIR_LOOKUP_WINDOW && (msgid == -1 ||
		    fl[s].msgid != msgid); s++)
			;
		if (s == DIR_LOOKUP_WINDOW) {	/* not ours */
			ldap_msgfree(res);
			res = NULL;
			continue;
		}
		r = 0;
		for (m = ldap_first_message(d->ld, res); m != NULL && r == 0;
		    m = ldap_next_message(d->ld, m))
			r = dir_flight_msg(d, &fl[s], m);
		ldap_msgfree(res);
		res = NULL;
		if (r == -1)
			goto out;
		if (r == 0)
			continue;
		if (fl[s].scope != LDAP_SCOPE_BASE && (fl[s].refused ||
		    fl[s].b.unmatched > 0)) {
			if ((rv = realloc(redo, (nredo + 1) * sizeof(*rv))) ==
			    NULL) {
				msg_err("out of memory");
				goto out;
			}
			redo = rv;
			redo[nredo].first = (size_t)(fl[s].b.keys - keys);
			redo[nredo].n = fl[s].b.n;
			redo[nredo++].refused = fl[s].refused;
		}
		dir_flight_clear(&fl[s]);
		busy--;
	}
	/*
	 * The server refused a batch (one value it cannot take), or found
	 * entries that no value matches by our comparison (its matching rule
	 * folds case differently): one search per key, so that a refusal
	 * fails only its key and the server's own match decides which entry
	 * is whose.
	 */
	memset(&b, 0, offsetof(struct dir_batch, kslot));
	b.acc = acc;
	for (i = 0; i < nredo; i++)
		for (k = redo[i].first; k < redo[i].first + redo[i].n; k++) {
			if (strcasecmp(keys[k].attr, "distinguishedName") == 0 ||
			    keys[k].err != NULL || (!redo[i].refused &&
			    keys[k].nhits > 0))
				continue;
			b.base = 1;
			if ((r = dir_lookup_batch(d, &keys[k], 1, attrs, &b,
			    &err)) == -1)
				goto out;
			if (r == 2)
				dir_key_fail(d, &keys[k], err, NULL);
		}
	rc = 0;
out:
	ldap_msgfree(res);
	for (s = 0; fl != NULL && s < DIR_LOOKUP_WINDOW; s++) {
		if (fl[s].msgid != -1 && d->alive)
			(void)ldap_abandon_ext(d->ld, fl[s].msgid, NULL, NULL);
		dir_flight_clear(&fl[s]);
	}
	free(fl);
	free(redo);
	return rc;
}

int
dir_lookup(struct dir *d, struct dir_key *keys, size_t n,
    struct accounts *acc)
{
	return dir_lookup_attrs(d, keys, n, dir_attrs, acc);
}

int
dir_lookup_holders(struct dir *d, struct dir_key *keys, size_t n,
    struct accounts *acc)
{
	return dir_lookup_attrs(d, keys, n, dir_holder_attrs, acc);
}

void
dir_keys_free(struct dir_key *keys, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(keys[i].hits);
		free(keys[i].err);
		keys[i].hits = NULL;
		keys[i].err = NULL;
		keys[i].nhits = 0;
	}
}

static int
dir_altsec_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	return dir_all(d->ld, e, "altSecurityIdentities", arg);
}

int
dir_read_altsec(struct dir *d, const char *dn, struct strlist *out)
{
	strlist_free(out);
	return dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "altSecurityIdentities", NULL }, 0,
	    dir_altsec_cb, out, NULL);
}

int
dir_read_many(struct dir *d, char *const *dns, size_t n, struct strlist *out,
    int *found, char **guids)
{
	const char *const attrs[] = { "altSecurityIdentities", "objectGUID",
			    NULL };
	struct timeval	 tv = { d->timeout, 0 };
	LDAPMessage	*res = NULL, *m;
	size_t		 next = 0, inflight = 0, i, idx, s;
	/*
	 * The requests in flight, by slot: a reply is matched against at
	 * most DIR_READ_WINDOW of them, not against every request sent so
	 * far (that was quadratic in the number of entries).
	 */
	int		 ids[DIR_READ_WINDOW];
	size_t		 of[DIR_READ_WINDOW];
	int		 msgid, r, err, rc = -1;

	for (s = 0; s < DIR_READ_WINDOW; s++)
		ids[s] = -1;
	for (i = 0; i < n; i++) {
		found[i] = 0;
		strlist_free(&out[i]);
		if (guids != NULL)
			guids[i] = NULL;
	}
	while (next < n || inflight > 0) {
		for (s = 0; inflight < DIR_READ_WINDOW && next < n; s++) {
			if (ids[s] != -1)
				continue;	/* slot in use */
			r = ldap_search_ext(d->ld, dns[next], LDAP_SCOPE_BASE,
			    "(objectClass=*)", (char **)(uintptr_t)attrs, 0,
			    NULL, NULL, &tv, 0, &ids[s]);
			if (r != LDAP_SUCCESS) {
				ids[s] = -1;
				dir_report(d, r, "search");
				goto out;
			}
			of[s] = next++;
			inflight++;
		}
		if (dir_wait(d, LDAP_RES_ANY, 1, &res, "search") == -1)
			goto out;
		msgid = ldap_msgid(res);
		for (s = 0; s < DIR_READ_WINDOW && ids[s] != msgid; s++)
			;
		if (s == DIR_READ_WINDOW || msgid == -1) {	/* not ours */
			ldap_msgfree(res);
			res = NULL;
			continue;
		}
		inflight--;
		ids[s] = -1;
		idx = of[s];
		for (m = ldap_first_message(d->ld, res); m != NULL;
		    m = ldap_next_message(d->ld, m)) {
			if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY) {
				found[idx] = 1;
				if (guids != NULL && guids[idx] == NULL)
					guids[idx] = dir_guid_hex(d->ld, m);
				if (dir_all(d->ld, m, attrs[0], &out[idx]) == -1) {
					msg_err("out of memory");
					goto out;
				}
			} else if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT) {
				r = ldap_parse_result(d->ld, m, &err, NULL, NULL,
				    NULL, NULL, 0);
				if (r == LDAP_SUCCESS && err != LDAP_SUCCESS &&
				    err != LDAP_NO_SUCH_OBJECT) {
					ldap_set_option(d->ld,
					    LDAP_OPT_RESULT_CODE, &err);
					dir_report(d, err, dns[idx]);
					goto out;
				}
			}
		}
		ldap_msgfree(res);
		res = NULL;
	}
	rc = 0;
out:
	ldap_msgfree(res);
	return rc;
}

struct dir_byguid {
	char		*dn;	/* owned by the caller once found */
	struct strlist	*out;
	int		 n;
};

static int
dir_byguid_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_byguid	*g = arg;
	char			*dn;

	if (g->n++ > 0)
		return 0;	/* objectGUID is unique; keep the first */
	if ((dn = ldap_get_dn(d->ld, e)) == NULL ||
	    (g->dn = strdup(dn)) == NULL ||
	    dir_all(d->ld, e, "altSecurityIdentities", g->out) == -1) {
		ldap_memfree(dn);
		msg_err("out of memory");
		return -1;
	}
	ldap_memfree(dn);
	return 0;
}

int
dir_find_guid(struct dir *d, const char *guid, char **dn,
    struct strlist *out)
{
	const char *const attrs[] = { "altSecurityIdentities", NULL };
	struct dir_byguid g = { NULL, out, 0 };
	struct sbuf	 b = SBUF_INIT;
	size_t		 i;
	int		 r = -1;

	*dn = NULL;
	strlist_free(out);
	if (strlen(guid) != 32 || strspn(guid, "0123456789abcdef") != 32) {
		msg_err("%s: not an objectGUID", guid);
		return -1;
	}
	/* AD and Samba find an entry by GUID wherever it moved in the domain */
	if (d->netbios != NULL) {
		sbuf_printf(&b, "<GUID=%s>", guid);
		if (b.oom)
			goto oom;
		r = dir_search(d, b.s, LDAP_SCOPE_BASE, "(objectClass=*)",
		    attrs, 0, dir_byguid_cb, &g, NULL);
		if (r == -1)
			goto out;
		if (g.n > 0)
			goto found;
		sbuf_reset(&b);
	}
	/* elsewhere: a search of the domain, the GUID's bytes escaped */
	sbuf_puts(&b, "(objectGUID=");
	for (i = 0; i < 32; i += 2)
		sbuf_printf(&b, "\\%.2s", guid + i);
	sbuf_putc(&b, ')');
	if (b.oom)
		goto oom;
	if ((r = dir_search(d, d->domain, LDAP_SCOPE_SUBTREE, b.s, attrs, 0,
	    dir_byguid_cb, &g, NULL)) == -1)
		goto out;
	if (g.n == 0) {
		r = 1;
		goto out;
	}
found:
	*dn = g.dn;
	g.dn = NULL;
	r = 0;
	goto out;
oom:
	msg_err("out of memory");
	r = -1;
out:
	free(g.dn);
	sbuf_reset(&b);
	return r;
}

/* Policy lookups (see policy.c): group members, the protected groups. */

static int
dir_member_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	return dir_account(d, e, arg) < 0 ? -1 : 0;
}

int
dir_group_members(struct dir *d, const char *group, int chain,
    struct accounts *out)
{
	struct berval	 in, esc = { 0, NULL };
	struct sbuf	 f = SBUF_INIT;
	int		 r, err, rc = -1;

	in.bv_val = (char *)(uintptr_t)group;
	in.bv_len = strlen(group);
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0) {
		msg_err("out of memory");
		goto out;
	}
	/* the in-chain rule follows nested groups on the server's side */
	sbuf_printf(&f, "(&(objectClass=user)(memberOf%s=%s))",
	    chain ? ":1.2.840.113556.1.4.1941:" : "", esc.bv_val);
	if (f.oom) {
		msg_err("out of memory");
		goto out;
	}
	msg_debug("search %s", f.s);
	r = dir_search(d, d->domain, LDAP_SCOPE_SUBTREE, f.s, dir_attrs, 1,
	    dir_member_cb, out, &err);
	if (r == -1)
		goto out;
	if (r == 2) {
		msg_err("%s: cannot list the members of \"%s\": %s", d->uri,
		    group, ldap_err2string(err));
		goto out;
	}
	rc = 0;
out:
	ber_memfree(esc.bv_val);
	sbuf_reset(&f);
	return rc;
}

struct dir_groups {
	struct strlist	*dns;
	struct strlist	*names;
	char		*sid;
};

static int
dir_groups_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_groups	*g = arg;
	struct berval		**v;
	char			*dn, *name;
	int			 rc;

	if (g->names == NULL) {	/* the domain object: its SID */
		if ((v = ldap_get_values_len(d->ld, e, "objectSid")) != NULL) {
			if (v[0] != NULL && g->sid == NULL)
				g->sid = dir_sid_to_text(v[0]);
			ldap_value_free_len(v);
		}
		return 0;
	}
	if ((dn = ldap_get_dn(d->ld, e)) == NULL)
		return -1;
	name = dir_first(d->ld, e, "sAMAccountName");
	rc = strlist_add(g->dns, dn) == -1 || strlist_add(g->names,
	    name ? name : dn) == -1 ? -1 : 0;
	ldap_memfree(dn);
	free(name);
	return rc;
}

int
dir_protected_groups(struct dir *d, const unsigned *rids, size_t nrids,
    const unsigned *builtin, size_t nbuiltin, struct strlist *dns,
    struct strlist *names)
{
	struct dir_groups g = { NULL, NULL, NULL };
	struct dir_key	 k;
	struct sbuf	 f = SBUF_INIT, sid = SBUF_INIT;
	size_t		 i;
	int		 r, rc = -1;

	/* the domain's SID: the domain groups' SIDs are it plus a RID */
	if (dir_search(d, d->domain, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "objectSid", NULL }, 0, dir_groups_cb,
	    &g, NULL) == -1)
		goto out;
	g.dns = dns;
	g.names = names;
	sbuf_puts(&f, "(&(objectClass=group)(|");
	memset(&k, 0, sizeof(k));
	k.attr = "objectSid";
	for (i = 0; g.sid != NULL && i < nrids; i++) {
		sbuf_reset(&sid);
		sbuf_printf(&sid, "%s-%u", g.sid, rids[i]);
		k.value = sid.s;
		if (sid.oom || dir_filter_term(&f, &k) == -1)
			goto oom;
	}
	for (i = 0; i < nbuiltin; i++) {
		sbuf_reset(&sid);
		sbuf_printf(&sid, "S-1-5-32-%u", builtin[i]);
		k.value = sid.s;
		if (sid.oom || dir_filter_term(&f, &k) == -1)
			goto oom;
	}
	sbuf_puts(&f, "))");
	if (f.oom)
		goto oom;
	if ((r = dir_search(d, d->domain, LDAP_SCOPE_SUBTREE, f.s,
	    (const char *const []){ "sAMAccountName", NULL }, 1, dir_groups_cb,
	    &g, NULL)) == -1)
		goto out;
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	free(g.sid);
	sbuf_reset(&f);
	sbuf_reset(&sid);
	return rc;
}

int
dir_entry_exists(struct dir *d, const char *dn)
{
	struct accounts	 none = { NULL, 0, NULL, 0 };
	int		 r, err;

	r = dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ LDAP_NO_ATTRS, NULL }, 0, dir_member_cb,
	    &none, &err);
	accounts_free(&none);
	if (r == -1)
		return -1;
	return r == 0 ? 0 : 1;
}
