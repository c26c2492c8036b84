/*
 * ntauth_ca: reading the CA certificate that ntauth add/remove publish or
 * withdraw.  OpenSSL is used here (not cert.c) because the store needs
 * the certificate's exact DER bytes, which struct cert does not keep.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "hex.h"
#include "msg.h"
#include "ntauth.h"

char *
ntauth_hex(const unsigned char *p, size_t n)
{
	char	*s;

	if ((s = malloc(2 * n + 1)) == NULL)
		return NULL;
	return hex_encode(p, n, s, 0);
}

int
ntauth_unhex(const char *hex, unsigned char **out, size_t *len)
{
	unsigned char	*p;
	size_t		 n = strlen(hex);

	if (n % 2 != 0 || (p = malloc(n / 2 + 1)) == NULL)
		return -1;
	if (hex_decode(hex, n / 2, p) == -1) {
		free(p);
		return -1;
	}
	*out = p;
	*len = n / 2;
	return 0;
}

/* Reads PATH whole (at most 1 MB: a certificate, not a bundle). */
static unsigned char *
ntauth_slurp(const char *path, size_t *len)
{
	FILE		*fp;
	unsigned char	*buf = NULL, *ret = NULL;
	size_t		 n;

	if ((fp = fopen(path, "rb")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(1 << 20)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	n = fread(buf, 1, 1 << 20, fp);
	if (ferror(fp)) {
		msg_err("%s: %s", path, strerror(errno));
		goto out;
	}
	if (n == 1 << 20) {
		msg_err("%s: over 1 MB: not one CA certificate", path);
		goto out;
	}
	*len = n;
	ret = buf;
	buf = NULL;
out:
	free(buf);
	fclose(fp);
	return ret;
}

int
ntauth_ca_read(const char *path, struct ntauth_ca *out)
{
	unsigned char	*buf = NULL, *der = NULL, md[EVP_MAX_MD_SIZE];
	const unsigned char *p;
	X509		*x = NULL, *more = NULL;
	BIO		*bio = NULL;
	char		*subj = NULL, *hex = NULL, *sha1 = NULL;
	unsigned int	 mdlen;
	size_t		 len = 0, i;
	int		 dlen, rc = -1;

	if ((buf = ntauth_slurp(path, &len)) == NULL)
		goto out;
	p = buf;
	if ((x = d2i_X509(NULL, &p, (long)len)) != NULL) {
		if (p != buf + len) {
			msg_err("%s: bytes after the DER certificate: give one "
			    "CA certificate per file", path);
			goto out;
		}
	} else {
		if ((bio = BIO_new_mem_buf(buf, (int)len)) == NULL)
			goto oom;
		x = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		if (x == NULL) {
			msg_err("%s: not a certificate (neither DER nor PEM)",
			    path);
			goto out;
		}
		ERR_clear_error();
		if ((more = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
			msg_err("%s: holds more than one certificate: give one "
			    "CA certificate per file", path);
			goto out;
		}
	}
	ERR_clear_error();
	if ((subj = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0)) ==
	    NULL)
		goto oom;
	/* EXFLAG_CA: basicConstraints with cA TRUE (a v1 root is not
	 * accepted: DCs want a v3 CA) */
	if (!(X509_get_extension_flags(x) & EXFLAG_CA)) {
		msg_err("%s: %s is not a CA certificate (no basicConstraints "
		    "cA:TRUE); the NTAuth store holds issuing CAs only", path,
		    subj);
		goto out;
	}
	if ((X509_get_extension_flags(x) & EXFLAG_KUSAGE) &&
	    !(X509_get_key_usage(x) & KU_KEY_CERT_SIGN)) {
		msg_err("%s: %s has a keyUsage without keyCertSign: it may not "
		    "sign certificates, so it issues no logon certificate",
		    path, subj);
		goto out;
	}
	if ((dlen = i2d_X509(x, &der)) <= 0)
		goto oom;
	if (!X509_digest(x, EVP_sha1(), md, &mdlen) ||
	    (sha1 = ntauth_hex(md, mdlen)) == NULL ||
	    (hex = ntauth_hex(der, (size_t)dlen)) == NULL)
		goto oom;
	for (i = 0; sha1[i] != '\0'; i++)
		if (sha1[i] >= 'a' && sha1[i] <= 'f')
			sha1[i] = (char)(sha1[i] - 'a' + 'A');
	out->hex = hex;
	out->sha1 = sha1;
	/* the one-line form: OpenSSL already escapes control bytes in it */
	out->subject = strdup(subj);
	if (out->subject == NULL) {
		out->hex = out->sha1 = NULL;
		goto oom;
	}
	hex = sha1 = NULL;
	rc = 0;
	goto out;
oom:
	msg_err("%s: out of memory", path);
out:
	free(hex);
	free(sha1);
	OPENSSL_free(subj);
	OPENSSL_free(der);
	X509_free(x);
	X509_free(more);
	BIO_free(bio);
	free(buf);
	return rc;
}

void
ntauth_ca_free(struct ntauth_ca *ca)
{
	if (ca == NULL)
		return;
	free(ca->hex);
	free(ca->sha1);
	free(ca->subject);
	memset(ca, 0, sizeof(*ca));
}
