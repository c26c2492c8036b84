/*
 * Chain and revocation checks through X509_verify_cert.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "cert_ossl.h"
#include "crlfetch_ossl.h"
#include "msg.h"
#include "trust.h"

#define OID_SMARTCARD_LOGON	"1.3.6.1.4.1.311.20.2.2"
#define OID_CLIENT_AUTH		"1.3.6.1.5.5.7.3.2"
#define OID_ANY_EKU		"2.5.29.37.0"

struct trust {
	X509_STORE	*store;		/* owned */
	int		 crls;		/* CRL checking on */
	int		 fetched;	/* CRLs from the CDPs (--fetch-crl) */
	enum trust_crlcheck crlcheck;	/* --crl-check */
	struct certset	 cas;		/* owned: the CA file's */
};

void
trust_free(struct trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	certset_free(&t->cas);
	free(t);
}

/* The verifier's flags for CRL checking. */
static unsigned long
trust_crl_flags(const struct trust *t)
{
	if (!t->crls)
		return 0;
	return X509_V_FLAG_CRL_CHECK | (t->crlcheck == TRUST_CRL_CHAIN ?
	    X509_V_FLAG_CRL_CHECK_ALL : 0);
}

/* The untrusted intermediates: the CA certificates of POOL. */
static STACK_OF(X509) *
trust_untrusted(const struct certset *pool)
{
	STACK_OF(X509)	*untrusted;
	X509		*ca;
	size_t		 i;

	if ((untrusted = sk_X509_new_null()) == NULL)
		return NULL;
	for (i = 0; i < pool->n; i++) {
		if (!cert_is_ca(pool->v[i]))
			continue;
		if ((ca = cert_x509(pool->v[i])) == NULL ||
		    !sk_X509_push(untrusted, ca)) {
			X509_free(ca);
			sk_X509_pop_free(untrusted, X509_free);
			return NULL;
		}
	}
	return untrusted;
}

static int
trust_load_crls(struct trust *t, const char *path)
{
	BIO		*bio = NULL;
	X509_CRL	*crl;
	int		 n = 0, rc = -1, pem;
	char		 head[16];

	if ((bio = BIO_new_file(path, "rb")) == NULL) {
		msg_ssl("%s: cannot open", path);
		goto out;
	}
	pem = BIO_read(bio, head, sizeof(head)) > 0 &&
	    memcmp(head, "-----", 5) == 0;
	(void)BIO_reset(bio);
	for (;;) {
		crl = pem ? PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL) :
		    d2i_X509_CRL_bio(bio, NULL);
		if (crl == NULL)
			break;
		if (!X509_STORE_add_crl(t->store, crl)) {
			X509_CRL_free(crl);
			msg_ssl("%s: CRL %d", path, n + 1);
			goto out;
		}
		X509_CRL_free(crl);
		n++;
		if (!pem)
			break;
	}
	ERR_clear_error();
	if (n == 0) {
		msg_err("%s: no CRL in this file", path);
		goto out;
	}
	t->crls = 1;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

struct trust *
trust_load(const char *cafile, const char *crlfile)
{
	struct trust	*t = NULL, *ret = NULL;
	X509		*x = NULL;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->store = X509_STORE_new()) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (cert_read_file(cafile, NULL, &t->cas) == -1)
		goto out;
	for (i = 0; i < t->cas.n; i++) {
		/* the store takes its own reference */
		if ((x = cert_x509(t->cas.v[i])) == NULL ||
		    !X509_STORE_add_cert(t->store, x)) {
			msg_ssl("%s: certificate %zu", cafile, i + 1);
			goto out;
		}
		X509_free(x);
		x = NULL;
	}
	if (crlfile != NULL && trust_load_crls(t, crlfile) == -1)
		goto out;
	ret = t;
	t = NULL;
out:
	X509_free(x);
	trust_free(t);
	return ret;
}

void
trust_set_crl_check(struct trust *t, enum trust_crlcheck mode)
{
	t->crlcheck = mode;
}

/* Adds the CRLs of C's http:// CDPs; WARNED: URLs already warned about. */
static int
trust_fetch_one(struct trust *t, struct crlfetch *cf, const struct cert *c,
    const struct certset *pool, time_t now, struct strlist *warned)
{
	const struct strlist	*cdps = cert_crldps(c);
	const struct crlinfo	*info;
	X509_CRL		*crl;
	const char		*why, *reason;
	time_t			 when;
	size_t			 i, j;

	for (i = 0; i < cdps->n; i++) {
		if ((info = crlfetch_get(cf, cdps->v[i], &t->cas, pool,
		    now)) == NULL)
			return -1;
		if (!info->usable || (crl = crlfetch_crl(info)) == NULL)
			continue;
		if (crlfetch_lookup(info, c, &when, &reason, &why) == -1 &&
		    why != NULL && strcmp(why, "no CRL") != 0) {
			for (j = 0; j < warned->n; j++)
				if (strcmp(warned->v[j], info->url) == 0)
					break;
			if (j == warned->n) {
				msg_warn("CRL distribution point %s of %s: %s "
				    "(the CRL's issuer is %s)", info->url,
				    cert_subject_text(c), why, info->issuer ?
				    info->issuer : "unknown");
				if (strlist_add(warned, info->url) == -1)
					return -1;
			}
			continue;
		}
		/* the store keeps one copy of each CRL */
		if (!X509_STORE_add_crl(t->store, crl)) {
			msg_ssl("%s: CRL", info->url);
			return -1;
		}
	}
	return 0;
}

int
trust_fetch_crls(struct trust *t, struct crlfetch *cf,
    const struct certset *pool, time_t now)
{
	struct strlist	warned = { NULL, 0 };
	size_t		i;
	int		rc = -1;

	t->crls = 1;
	t->fetched = 1;
	for (i = 0; i < pool->n; i++) {
		if (cert_is_ca(pool->v[i]) && t->crlcheck != TRUST_CRL_CHAIN)
			continue;
		if (trust_fetch_one(t, cf, pool->v[i], pool, now,
		    &warned) == -1)
			goto out;
	}
	for (i = 0; t->crlcheck == TRUST_CRL_CHAIN && i < t->cas.n; i++)
		if (trust_fetch_one(t, cf, t->cas.v[i], pool, now,
		    &warned) == -1)
			goto out;
	rc = 0;
out:
	strlist_free(&warned);
	if (rc == -1)
		msg_err("out of memory");
	return rc;
}

/*
 * A verification context for C at NOW against T's store, with the pool's
 * CA certificates as intermediates and T's CRL flags; NULL with *WHY set.
 * trust_ctx_free releases it and the certificates it holds.
 */
static X509_STORE_CTX *
trust_ctx(const struct trust *t, const struct cert *c,
    const struct certset *pool, time_t now, const char **why)
{
	X509_STORE_CTX		*ctx = NULL;
	STACK_OF(X509)		*untrusted = NULL;
	X509_VERIFY_PARAM	*param;
	X509			*x = NULL;

	*why = "out of memory";
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    (untrusted = trust_untrusted(pool)) == NULL)
		goto fail;
	/* decoded here, not when read: only this check needs the key */
	if ((x = cert_x509(c)) == NULL) {
		*why = "the certificate cannot be decoded";
		goto fail;
	}
	if (!X509_STORE_CTX_init(ctx, t->store, x, untrusted))
		goto fail;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, now);
	if (t->crls)
		X509_VERIFY_PARAM_set_flags(param, trust_crl_flags(t));
	return ctx;
fail:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(x);
	return NULL;
}

static void
trust_ctx_free(X509_STORE_CTX *ctx)
{
	if (ctx != NULL) {
		sk_X509_pop_free(X509_STORE_CTX_get0_untrusted(ctx),
		    X509_free);
		X509_free(X509_STORE_CTX_get0_cert(ctx));
		X509_STORE_CTX_free(ctx);
	}
	ERR_clear_error();
}

int
trust_verify(const struct trust *t, const struct cert *c,
    const struct certset *pool, time_t now, const char **why)
{
	X509_STORE_CTX		*ctx;
	int			 rc = -1, err;

	if ((ctx = trust_ctx(t, c, pool, now, why)) == NULL)
		goto out;
	if (X509_verify_cert(ctx) != 1) {
		err = X509_STORE_CTX_get_error(ctx);
		if (err == X509_V_ERR_UNABLE_TO_GET_CRL && t->fetched)
			*why = "revocation unknown: no usable CRL of its "
			    "issuer (see the warnings about its CRL "
			    "distribution points; without an http:// one, "
			    "give the CRL with --crl-file)";
		else if (err == X509_V_ERR_CRL_HAS_EXPIRED)
			*why = "revocation unknown: the CRL of its issuer is "
			    "past its nextUpdate";
		else
			*why = X509_verify_cert_error_string(err);
		goto out;
	}
	*why = NULL;
	rc = 0;
out:
	trust_ctx_free(ctx);
	return rc;
}

/* What trust_revocation's verifier callback saw. */
struct trust_seen {
	int	revoked;	/* a CRL lists a certificate checked */
	int	problem;	/* a CRL could not be had or used */
	int	err;		/* the first CRL problem */
};

static int
trust_rev_cb(int ok, X509_STORE_CTX *ctx)
{
	struct trust_seen	*seen;
	int			 err;

	if (ok)
		return ok;
	seen = X509_STORE_CTX_get_app_data(ctx);
	err = X509_STORE_CTX_get_error(ctx);
	switch (err) {
	case X509_V_ERR_CERT_REVOKED:
		seen->revoked = 1;
		break;
	case X509_V_ERR_UNABLE_TO_GET_CRL:
	case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
	case X509_V_ERR_CRL_HAS_EXPIRED:
	case X509_V_ERR_CRL_NOT_YET_VALID:
	case X509_V_ERR_CRL_SIGNATURE_FAILURE:
	case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
	case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
	case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
	case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
	case X509_V_ERR_DIFFERENT_CRL_SCOPE:
	case X509_V_ERR_UNHANDLED_CRITICAL_CRL_EXTENSION:
	case X509_V_ERR_CRL_PATH_VALIDATION_ERROR:
		if (!seen->problem)
			seen->err = err;
		seen->problem = 1;
		break;
	default:
		break;
	}
	/* go on: every certificate's CRL is looked at */
	return 1;
}

enum trust_rev
trust_revocation(const struct trust *t, const struct cert *c,
    const struct certset *pool, time_t now, const char **why)
{
	X509_STORE_CTX		*ctx = NULL;
	struct trust_seen	 seen = { 0, 0, 0 };
	enum trust_rev		 rev = TRUST_REV_UNKNOWN;

	if (!t->crls) {
		*why = "no CRL checking (--crl-file, --fetch-crl)";
		goto out;
	}
	if ((ctx = trust_ctx(t, c, pool, now, why)) == NULL)
		goto out;
	X509_STORE_CTX_set_app_data(ctx, &seen);
	X509_STORE_CTX_set_verify_cb(ctx, trust_rev_cb);
	(void)X509_verify_cert(ctx);
	/*
	 * A listing on a CRL that is stale or otherwise in doubt does not
	 * make "revoked": only a current, verified CRL may lead to a value
	 * being removed.
	 */
	if (seen.problem) {
		*why = X509_verify_cert_error_string(seen.err);
		rev = TRUST_REV_UNKNOWN;
	} else if (seen.revoked) {
		*why = "certificate revoked";
		rev = TRUST_REV_REVOKED;
	} else {
		*why = NULL;
		rev = TRUST_REV_GOOD;
	}
out:
	trust_ctx_free(ctx);
	return rev;
}

const char *
trust_logon_eku(const struct cert *c)
{
	const struct strlist	*ekus = cert_ekus(c);
	size_t			 i;

	if (ekus->n == 0)
		return NULL;
	for (i = 0; i < ekus->n; i++)
		if (strcmp(ekus->v[i], OID_SMARTCARD_LOGON) == 0 ||
		    strcmp(ekus->v[i], OID_CLIENT_AUTH) == 0 ||
		    strcmp(ekus->v[i], OID_ANY_EKU) == 0)
			return NULL;
	return "its extended key usage has neither Client Authentication nor "
	    "Smart Card Logon, so domain controllers will not accept it for "
	    "logon";
}
