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
#include "msg.h"
#include "trust.h"

#define OID_SMARTCARD_LOGON	"1.3.6.1.4.1.311.20.2.2"
#define OID_CLIENT_AUTH		"1.3.6.1.5.5.7.3.2"
#define OID_ANY_EKU		"2.5.29.37.0"

struct trust {
	X509_STORE	*store;		/* owned */
	int		 crls;		/* CRL checking on */
};

void
trust_free(struct trust *t)
{
	if (t == NULL)
		return;
	X509_STORE_free(t->store);
	free(t);
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
	struct certset	 cas = { NULL, 0 };
	X509		*x = NULL;
	size_t		 i;

	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->store = X509_STORE_new()) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (cert_read_file(cafile, NULL, &cas) == -1)
		goto out;
	for (i = 0; i < cas.n; i++) {
		/* the store takes its own reference */
		if ((x = cert_x509(cas.v[i])) == NULL ||
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
	certset_free(&cas);
	trust_free(t);
	return ret;
}

int
trust_verify(const struct trust *t, const struct cert *c,
    const struct certset *pool, time_t now, const char **why)
{
	X509_STORE_CTX		*ctx = NULL;
	STACK_OF(X509)		*untrusted = NULL;
	X509_VERIFY_PARAM	*param;
	X509			*x = NULL, *ca;
	size_t			 i;
	int			 rc = -1;

	*why = "out of memory";
	if ((ctx = X509_STORE_CTX_new()) == NULL ||
	    (untrusted = sk_X509_new_null()) == NULL)
		goto out;
	for (i = 0; i < pool->n; i++) {
		if (!cert_is_ca(pool->v[i]))
			continue;
		if ((ca = cert_x509(pool->v[i])) == NULL)
			goto out;
		if (!sk_X509_push(untrusted, ca)) {
			X509_free(ca);
			goto out;
		}
	}
	/* decoded here, not when read: only this check needs the key */
	if ((x = cert_x509(c)) == NULL) {
		*why = "the certificate cannot be decoded";
		goto out;
	}
	if (!X509_STORE_CTX_init(ctx, t->store, x, untrusted))
		goto out;
	param = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_time(param, now);
	if (t->crls)
		X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_CRL_CHECK |
		    X509_V_FLAG_CRL_CHECK_ALL);
	if (X509_verify_cert(ctx) != 1) {
		*why = X509_verify_cert_error_string(
		    X509_STORE_CTX_get_error(ctx));
		goto out;
	}
	*why = NULL;
	rc = 0;
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(x);
	return rc;
}

int
trust_revoked(const char *why)
{
	/* trust_verify's reasons are OpenSSL's static strings */
	return why != NULL && strcmp(why, X509_verify_cert_error_string(
	    X509_V_ERR_CERT_REVOKED)) == 0;
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
