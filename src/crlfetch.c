/*
 * CRLs from the CRL distribution points, with OpenSSL's HTTP client.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/http.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert_ossl.h"
#include "crlfetch_ossl.h"
#include "msg.h"
#include "sbuf.h"
#include "state.h"

/* Same-server redirects followed; another server is never asked. */
#define CRLFETCH_REDIRECTS	3

/* One URL.  INFO comes first: crlfetch_crl finds the rest from it. */
struct crlsrc {
	struct crlinfo	 info;
	char		*url;		/* owned */
	char		*issuer;	/* owned */
	char		*why;		/* owned */
	X509_CRL	*crl;		/* owned, or NULL */
};

struct crlfetch {
	char		 *cachedir;	/* owned: DIR/crl-cache, or NULL */
	int		  cfd;		/* the cache folder, -1 not open yet,
					   -2 not usable */
	int		  timeout;
	int		  warn;
	struct crlsrc	**v;		/* owned */
	size_t		  n;
};

struct crlfetch *
crlfetch_new(const char *cachedir, int timeout, int warn)
{
	struct crlfetch	*cf;
	struct sbuf	 b = SBUF_INIT;

	if ((cf = calloc(1, sizeof(*cf))) == NULL)
		return NULL;
	cf->cfd = -2;
	cf->timeout = timeout;
	cf->warn = warn;
	if (cachedir != NULL) {
		sbuf_printf(&b, "%s/crl-cache", cachedir);
		if ((cf->cachedir = sbuf_done(&b)) == NULL) {
			free(cf);
			return NULL;
		}
		cf->cfd = -1;
	}
	return cf;
}

void
crlfetch_free(struct crlfetch *cf)
{
	size_t	i;

	if (cf == NULL)
		return;
	for (i = 0; i < cf->n; i++) {
		free(cf->v[i]->url);
		free(cf->v[i]->issuer);
		free(cf->v[i]->why);
		X509_CRL_free(cf->v[i]->crl);
		free(cf->v[i]);
	}
	free(cf->v);
	if (cf->cfd >= 0)
		(void)close(cf->cfd);
	free(cf->cachedir);
	free(cf);
}

X509_CRL *
crlfetch_crl(const struct crlinfo *info)
{
	return ((const struct crlsrc *)(const void *)info)->crl;
}

int
crlfetch_is_http(const char *url)
{
	return strncasecmp(url, "http://", 7) == 0;
}

/* The queued OpenSSL reason, for a message; clears the queue. */
static void
crlfetch_sslwhy(char *buf, size_t len)
{
	unsigned long	 e, first = 0;
	const char	*data = NULL, *d, *r;
	int		 flags;

	/* the first error is the cause; its data names the detail */
	while ((e = ERR_get_error_all(NULL, NULL, NULL, &d, &flags)) != 0)
		if (first == 0) {
			first = e;
			data = (flags & ERR_TXT_STRING) && d != NULL &&
			    *d != '\0' ? d : NULL;
		}
	r = first ? ERR_reason_error_string(first) : NULL;
	if (r == NULL)
		r = "failed";
	if (data != NULL)
		snprintf(buf, len, "%s (%s)", r, data);
	else
		snprintf(buf, len, "%s", r);
	ERR_clear_error();
}

static void crlfetch_set_why(struct crlsrc *, const char *, ...) MSG_FMT(2, 3);

static void
crlfetch_set_why(struct crlsrc *s, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	free(s->why);
	s->why = strdup(buf);
	s->info.why = s->why != NULL ? s->why : "out of memory";
}

/*
 * GET URL; at most CRLFETCH_MAX bytes of DER.  Returns the body (caller
 * frees, *LEN set) or NULL with WHY (LEN bytes) filled in.
 */
static unsigned char *
crlfetch_http(const char *url, int timeout, size_t *len, char *why,
    size_t whylen)
{
	OSSL_HTTP_REQ_CTX	*rctx = NULL;
	BIO			*resp = NULL;
	char			*host = NULL, *port = NULL, *path = NULL;
	char			*redir = NULL, *nhost = NULL, *nport = NULL;
	char			*npath = NULL, reason[512];
	unsigned char		*ret = NULL, *p;
	long			 n;
	int			 ssl, nssl, hops = 0;

	if (!OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path,
	    NULL, NULL) || ssl) {
		crlfetch_sslwhy(reason, sizeof(reason));
		snprintf(why, whylen, "not a usable http:// URL: %s", reason);
		goto out;
	}
	for (;;) {
		/* proxy NULL: http_proxy and no_proxy from the environment */
		if ((rctx = OSSL_HTTP_open(host, port, NULL, NULL, 0, NULL,
		    NULL, NULL, NULL, 0, timeout)) == NULL ||
		    !OSSL_HTTP_set1_request(rctx, path, NULL, NULL, NULL, NULL,
		    1, CRLFETCH_MAX, -1, 0)) {
			crlfetch_sslwhy(reason, sizeof(reason));
			snprintf(why, whylen, "no answer: %s", reason);
			goto out;
		}
		if ((resp = OSSL_HTTP_exchange(rctx, &redir)) != NULL)
			break;
		if (redir == NULL) {
			crlfetch_sslwhy(reason, sizeof(reason));
			snprintf(why, whylen, "%s: %s",
			    strcasestr(reason, "max resp len") != NULL ?
			    "the answer is too large" :
			    strcasestr(reason, "asn1") != NULL ||
			    strcasestr(reason, "content") != NULL ?
			    "the answer is not a DER CRL" :
			    strcasestr(reason, "received error") != NULL ?
			    "the server answered with an error" :
			    "no answer", reason);
			goto out;
		}
		ERR_clear_error();
		(void)OSSL_HTTP_close(rctx, 1);
		rctx = NULL;
		/*
		 * A redirect is followed on the same server only: the CRL's
		 * signature is checked anyway, but a CDP that sends the
		 * fetch to another host is a change the admin should see.
		 */
		if (++hops > CRLFETCH_REDIRECTS) {
			snprintf(why, whylen, "too many redirects");
			goto out;
		}
		if (redir[0] == '/') {
			OPENSSL_free(path);
			if ((path = OPENSSL_strdup(redir)) == NULL) {
				snprintf(why, whylen, "out of memory");
				goto out;
			}
		} else if (!OSSL_HTTP_parse_url(redir, &nssl, NULL, &nhost,
		    &nport, NULL, &npath, NULL, NULL) || nssl ||
		    strcasecmp(nhost, host) != 0 || strcmp(nport, port) != 0) {
			ERR_clear_error();
			snprintf(why, whylen, "redirected to another server "
			    "or to https (%.300s): not followed", redir);
			goto out;
		} else {
			OPENSSL_free(path);
			path = npath;
			npath = NULL;
		}
		OPENSSL_free(nhost);
		OPENSSL_free(nport);
		nhost = nport = NULL;
		OPENSSL_free(redir);
		redir = NULL;
	}
	if ((n = BIO_get_mem_data(resp, (char **)&p)) <= 0 ||
	    (size_t)n > CRLFETCH_MAX) {
		snprintf(why, whylen, "an empty answer");
		goto out;
	}
	if ((ret = malloc((size_t)n)) == NULL) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	memcpy(ret, p, (size_t)n);
	*len = (size_t)n;
out:
	ERR_clear_error();
	BIO_free(resp);
	if (rctx != NULL)
		(void)OSSL_HTTP_close(rctx, ret != NULL);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	OPENSSL_free(redir);
	OPENSSL_free(nhost);
	OPENSSL_free(nport);
	OPENSSL_free(npath);
	return ret;
}

/* Tries one issuer candidate C: 1 signature good, 0 not this issuer's
 * name, -1 its name but not its key. */
static int
crlfetch_try(X509_CRL *crl, const struct cert *c)
{
	X509	*x;
	int	 r = 0;

	if (!cert_is_ca(c) || (x = cert_x509(c)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	if (X509_NAME_cmp(X509_get_subject_name(x),
	    X509_CRL_get_issuer(crl)) == 0)
		r = X509_CRL_verify(crl, X509_get0_pubkey(x)) == 1 ? 1 : -1;
	ERR_clear_error();
	X509_free(x);
	return r;
}

/* 1 verified, 0 no CA of the issuer's name, -1 bad signature. */
static int
crlfetch_verify(X509_CRL *crl, const struct certset *cas,
    const struct certset *pool)
{
	const struct certset	*sets[2] = { cas, pool };
	size_t			 i, k;
	int			 r, seen = 0;

	for (k = 0; k < 2; k++)
		for (i = 0; sets[k] != NULL && i < sets[k]->n; i++) {
			if ((r = crlfetch_try(crl, sets[k]->v[i])) == 1)
				return 1;
			if (r == -1)
				seen = 1;
		}
	return seen ? -1 : 0;
}

static time_t
crlfetch_time(const ASN1_TIME *t)
{
	struct tm	tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return 0;
	return timegm(&tm);
}

/*
 * Opens DIR/crl-cache (both created 0700), once; 0 or -1 (no cache).  As
 * every file of the state folder, it is trusted only if ours (or root's)
 * and closed to group and others: whoever can write a CRL there could
 * not forge one (signatures are checked), but could hide a newer one.
 */
static int
crlfetch_cache_open(struct crlfetch *cf)
{
	char	*dir = NULL, *slash;
	int	 dfd = -1, fd = -1;

	if (cf->cfd >= 0)
		return 0;
	if (cf->cfd == -2)
		return -1;
	cf->cfd = -2;
	if ((dir = strdup(cf->cachedir)) == NULL)
		goto out;
	slash = strrchr(dir, '/');
	*slash = '\0';
	if ((mkdir(dir, 0700) == -1 && errno != EEXIST) ||
	    (dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		msg_warn("%s: %s; CRLs are not cached", dir, errno == ELOOP ||
		    errno == ENOTDIR ? "not a folder (a symbolic link?)" :
		    strerror(errno));
		goto out;
	}
	if (state_trusted(dfd, dir, "state folder", 1) == -1)
		goto out;
	if ((mkdirat(dfd, "crl-cache", 0700) == -1 && errno != EEXIST) ||
	    (fd = openat(dfd, "crl-cache", O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) == -1) {
		msg_warn("%s: %s; CRLs are not cached", cf->cachedir,
		    errno == ELOOP || errno == ENOTDIR ? "not a folder (a "
		    "symbolic link?)" : strerror(errno));
		goto out;
	}
	if (state_trusted(fd, cf->cachedir, "CRL cache folder", 1) == -1)
		goto out;
	cf->cfd = fd;
	fd = -1;
out:
	if (fd != -1)
		(void)close(fd);
	if (dfd != -1)
		(void)close(dfd);
	free(dir);
	return cf->cfd >= 0 ? 0 : -1;
}

/* The cache file's name for URL: the SHA-256 of the URL, in hex. */
static int
crlfetch_cache_name(const char *url, char *name, size_t len)
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen = 0, i;

	if (len < 2 * 32 + 5 || !EVP_Digest(url, strlen(url), md, &mdlen,
	    EVP_sha256(), NULL) || mdlen != 32) {
		ERR_clear_error();
		return -1;
	}
	for (i = 0; i < mdlen; i++)
		snprintf(name + 2 * i, 3, "%02x", md[i]);
	memcpy(name + 2 * mdlen, ".crl", 5);
	return 0;
}

/* The cached CRL of URL, or NULL (none, or not trusted: reported). */
static X509_CRL *
crlfetch_cache_read(struct crlfetch *cf, const char *url)
{
	struct sbuf		 b = SBUF_INIT;
	struct stat		 st;
	X509_CRL		*crl = NULL;
	unsigned char		*buf = NULL;
	const unsigned char	*p;
	char			 name[80];
	ssize_t			 r;
	size_t			 got = 0;
	int			 fd = -1;

	if (crlfetch_cache_open(cf) == -1 ||
	    crlfetch_cache_name(url, name, sizeof(name)) == -1)
		goto out;
	sbuf_printf(&b, "%s/%s", cf->cachedir, name);
	if (b.oom)
		goto out;
	if ((fd = openat(cf->cfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK)) == -1) {
		if (errno != ENOENT)
			msg_warn("%s: %s; not used", b.s, errno == ELOOP ?
			    "a symbolic link" : strerror(errno));
		goto out;
	}
	if (state_trusted(fd, b.s, "CRL cache file", 0) == -1)
		goto out;
	if (fstat(fd, &st) == -1 || st.st_size <= 0 ||
	    (unsigned long long)st.st_size > CRLFETCH_MAX ||
	    (buf = malloc((size_t)st.st_size)) == NULL)
		goto out;
	while (got < (size_t)st.st_size) {
		r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			goto out;
		got += (size_t)r;
	}
	p = buf;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)got)) == NULL ||
	    p != buf + got) {
		X509_CRL_free(crl);
		crl = NULL;
		ERR_clear_error();
		msg_warn("%s: not a CRL; not used", b.s);
	}
out:
	if (fd != -1)
		(void)close(fd);
	free(buf);
	sbuf_reset(&b);
	return crl;
}

/* Replaces the cached copy of URL by the N bytes at DER, atomically. */
static void
crlfetch_cache_write(struct crlfetch *cf, const char *url,
    const unsigned char *der, size_t n)
{
	char	name[80], tmp[120];
	ssize_t	r;
	size_t	off = 0;
	int	fd = -1, ok = 0;

	if (crlfetch_cache_open(cf) == -1 ||
	    crlfetch_cache_name(url, name, sizeof(name)) == -1)
		return;
	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	(void)unlinkat(cf->cfd, tmp, 0);
	if ((fd = openat(cf->cfd, tmp, O_WRONLY | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0600)) == -1)
		goto out;
	while (off < n) {
		if ((r = write(fd, der + off, n - off)) <= 0)
			goto out;
		off += (size_t)r;
	}
	if (fsync(fd) == -1 || close(fd) == -1) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (renameat(cf->cfd, tmp, cf->cfd, name) == -1)
		goto out;
	ok = 1;
out:
	if (fd != -1)
		(void)close(fd);
	if (!ok) {
		msg_warn("%s/%s: %s; the CRL of %s is not cached",
		    cf->cachedir, name, strerror(errno), url);
		(void)unlinkat(cf->cfd, tmp, 0);
	}
}

/* Fills S's facts from CRL (taken), checked against CAS and POOL. */
static void
crlfetch_take(struct crlsrc *s, X509_CRL *crl, const struct certset *cas,
    const struct certset *pool, time_t now)
{
	BIO	*bio;
	char	*p, when[32];
	long	 n;

	X509_CRL_free(s->crl);
	s->crl = crl;
	free(s->issuer);
	s->issuer = NULL;
	if ((bio = BIO_new(BIO_s_mem())) != NULL &&
	    X509_NAME_print_ex(bio, X509_CRL_get_issuer(crl), 0,
	    XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0 &&
	    (n = BIO_get_mem_data(bio, &p)) >= 0)
		s->issuer = msg_escape(p, (size_t)n);
	BIO_free(bio);
	ERR_clear_error();
	s->info.issuer = s->issuer;
	s->info.this_update = crlfetch_time(X509_CRL_get0_lastUpdate(crl));
	s->info.next_update = crlfetch_time(X509_CRL_get0_nextUpdate(crl));
	s->info.sig = crlfetch_verify(crl, cas, pool);
	s->info.usable = s->info.sig == 1;
	s->info.stale = s->info.next_update != 0 && s->info.next_update <= now;
	free(s->why);
	s->why = NULL;
	s->info.why = NULL;
	if (s->info.sig == -1)
		crlfetch_set_why(s, "bad signature: the CRL is not signed by "
		    "the key of %s", s->issuer ? s->issuer : "its issuer");
	else if (s->info.sig == 0)
		crlfetch_set_why(s, "signature not checked: no CA certificate "
		    "of its issuer %s is known (--ca-file)",
		    s->issuer ? s->issuer : "");
	else if (s->info.stale) {
		cert_fmt_time(s->info.next_update, when, sizeof(when));
		crlfetch_set_why(s, "stale CRL: its nextUpdate %s has passed",
		    when);
	}
}

/* Fetches (or reads from the cache) the CRL of S. */
static void
crlfetch_load(struct crlfetch *cf, struct crlsrc *s,
    const struct certset *cas, const struct certset *pool, time_t now)
{
	X509_CRL		*cached = NULL, *crl = NULL;
	unsigned char		*der = NULL;
	const unsigned char	*p;
	char			 why[700];
	size_t			 n = 0;

	if (!crlfetch_is_http(s->url)) {
		crlfetch_set_why(s, "%s", strncasecmp(s->url, "ldap:", 5) == 0 ?
		    "an ldap:// CDP: not fetched (only http:// is; give the "
		    "CRL with --crl-file)" : "not an http:// URL: not fetched");
		return;
	}
	if (cf->cachedir != NULL && (cached = crlfetch_cache_read(cf,
	    s->url)) != NULL) {
		crlfetch_take(s, cached, cas, pool, now);
		cached = NULL;
		/* a CRL without nextUpdate is asked for again every run */
		if (s->info.usable && !s->info.stale &&
		    s->info.next_update != 0) {
			s->info.cached = 1;
			msg_debug("%s: CRL from the cache", s->url);
			return;
		}
	}
	msg_info("fetching the CRL at %s", s->url);
	if ((der = crlfetch_http(s->url, cf->timeout, &n, why,
	    sizeof(why))) == NULL) {
		if (s->crl != NULL && s->info.usable) {
			/* keep the stale cached copy: the verifier says so */
			s->info.cached = 1;
			crlfetch_set_why(s, "%s; the cached CRL is stale",
			    why);
		} else {
			X509_CRL_free(s->crl);
			s->crl = NULL;
			s->info.usable = 0;
			crlfetch_set_why(s, "%s", why);
		}
		return;
	}
	p = der;
	if ((crl = d2i_X509_CRL(NULL, &p, (long)n)) == NULL || p != der + n) {
		X509_CRL_free(crl);
		ERR_clear_error();
		crlfetch_set_why(s, "the answer is not a DER CRL%s",
		    s->crl != NULL ? "; the cached CRL is stale" : "");
		if (s->crl == NULL || !s->info.usable) {
			X509_CRL_free(s->crl);
			s->crl = NULL;
			s->info.usable = 0;
		}
		goto out;
	}
	s->info.fetched = 1;
	s->info.cached = 0;
	crlfetch_take(s, crl, cas, pool, now);
	/* only a CRL whose signature verified is worth keeping */
	if (cf->cachedir != NULL && s->info.usable)
		crlfetch_cache_write(cf, s->url, der, n);
out:
	free(der);
}

const struct crlinfo *
crlfetch_get(struct crlfetch *cf, const char *url, const struct certset *cas,
    const struct certset *pool, time_t now)
{
	struct crlsrc	**nv, *s;
	char		 *e;
	size_t		  i;

	for (i = 0; i < cf->n; i++)
		if (strcmp(cf->v[i]->url, url) == 0)
			return &cf->v[i]->info;
	if ((nv = realloc(cf->v, (cf->n + 1) * sizeof(*nv))) == NULL)
		return NULL;
	cf->v = nv;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->url = strdup(url)) == NULL) {
		free(s);
		return NULL;
	}
	s->info.url = s->url;
	cf->v[cf->n++] = s;
	crlfetch_load(cf, s, cas, pool, now);
	/* every AD CS certificate names an ldap:// CDP: not worth a warning */
	if (s->info.why != NULL && (cf->warn || msg_verbosity > 0)) {
		e = msg_escape(url, strlen(url));
		if (cf->warn && crlfetch_is_http(url))
			msg_warn("CRL distribution point %s: %s", e ? e : "?",
			    s->info.why);
		else
			msg_info("CRL distribution point %s: %s", e ? e : "?",
			    s->info.why);
		free(e);
	}
	return &s->info;
}

int
crlfetch_lookup(const struct crlinfo *info, const struct cert *c,
    time_t *when, const char **reason, const char **why)
{
	X509_CRL	*crl = crlfetch_crl(info);
	X509_REVOKED	*rev = NULL;
	ASN1_ENUMERATED	*code;
	X509		*x = NULL;
	int		 rc = -1, crit;
	long		 r;

	*reason = NULL;
	*when = 0;
	if (crl == NULL) {
		*why = "no CRL";
		goto out;
	}
	if ((x = cert_x509(c)) == NULL) {
		*why = "the certificate cannot be decoded";
		goto out;
	}
	if (X509_NAME_cmp(X509_get_issuer_name(x),
	    X509_CRL_get_issuer(crl)) != 0) {
		*why = "the CRL is another issuer's";
		goto out;
	}
	if (X509_CRL_get0_by_cert(crl, &rev, x) == 0) {
		*why = NULL;
		rc = 0;
		goto out;
	}
	*when = crlfetch_time(X509_REVOKED_get0_revocationDate(rev));
	if ((code = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit,
	    NULL)) != NULL) {
		r = ASN1_ENUMERATED_get(code);
		ASN1_ENUMERATED_free(code);
		switch (r) {
		case 1: *reason = "keyCompromise"; break;
		case 2: *reason = "cACompromise"; break;
		case 3: *reason = "affiliationChanged"; break;
		case 4: *reason = "superseded"; break;
		case 5: *reason = "cessationOfOperation"; break;
		case 6: *reason = "certificateHold"; break;
		case 9: *reason = "privilegeWithdrawn"; break;
		case 10: *reason = "aACompromise"; break;
		default: *reason = "unspecified"; break;
		}
	}
	*why = NULL;
	rc = 1;
out:
	ERR_clear_error();
	X509_free(x);
	return rc;
}
