/*
 * digest: OpenSSL's EVP SHA-256, kept out of the modules that must not
 * see OpenSSL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "msg.h"

static void
digest_hex(const unsigned char *md, unsigned n, char hex[DIGEST_HEX])
{
	unsigned	i;

	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	hex[2 * i] = '\0';
}

int
digest_sha256(const void *p, size_t n, char hex[DIGEST_HEX])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned	mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1) {
		msg_err("SHA-256 failed");
		return -1;
	}
	digest_hex(md, mdlen, hex);
	return 0;
}

int
digest_file(const char *path, char hex[DIGEST_HEX])
{
	EVP_MD_CTX	*ctx = NULL;
	unsigned char	 buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned	 mdlen = 0;
	ssize_t		 r;
	int		 fd = -1, rc = -1, e = EIO;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		e = errno;
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		if (EVP_DigestUpdate(ctx, buf, (size_t)r) != 1)
			goto out;
	if (r < 0) {
		e = errno;
		goto out;
	}
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	digest_hex(md, mdlen, hex);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	if (fd != -1)
		close(fd);
	if (rc == -1)
		errno = e;
	return rc;
}

/* The EVP context is the digest: the struct is never defined. */
struct digest *
digest_begin(void)
{
	EVP_MD_CTX	*ctx;

	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		msg_err("SHA-256 failed");
		return NULL;
	}
	return (struct digest *)ctx;
}

int
digest_add(struct digest *d, const void *p, size_t n)
{
	if (EVP_DigestUpdate((EVP_MD_CTX *)d, p, n) != 1) {
		msg_err("SHA-256 failed");
		return -1;
	}
	return 0;
}

int
digest_end(struct digest *d, char hex[DIGEST_HEX])
{
	unsigned char	md[EVP_MAX_MD_SIZE];
	unsigned	mdlen = 0;
	int		rc = -1;

	if (EVP_DigestFinal_ex((EVP_MD_CTX *)d, md, &mdlen) != 1)
		msg_err("SHA-256 failed");
	else {
		digest_hex(md, mdlen, hex);
		rc = 0;
	}
	EVP_MD_CTX_free((EVP_MD_CTX *)d);
	return rc;
}

void
digest_abort(struct digest *d)
{
	EVP_MD_CTX_free((EVP_MD_CTX *)d);
}
