/*
 * d2iloop: the baseline certbulk's show is compared with in make bench --
 * read each file named (one DER certificate each), d2i_X509 it and take
 * the SHA-1 of its bytes, printing the thumbprint.  What any tool built
 * on OpenSSL's full decoding pays at least.
 * usage: d2iloop FILE...
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

int
main(int argc, char *argv[])
{
	unsigned char		 buf[65536], md[EVP_MAX_MD_SIZE];
	const unsigned char	*p;
	unsigned int		 ml, j;
	size_t			 n;
	FILE			*fp;
	X509			*x;
	int			 i, bad = 0;

	for (i = 1; i < argc; i++) {
		if ((fp = fopen(argv[i], "rb")) == NULL) {
			perror(argv[i]);
			bad = 1;
			continue;
		}
		n = fread(buf, 1, sizeof(buf), fp);
		fclose(fp);
		p = buf;
		if ((x = d2i_X509(NULL, &p, (long)n)) == NULL ||
		    !EVP_Digest(buf, n, md, &ml, EVP_sha1(), NULL)) {
			fprintf(stderr, "%s: not a certificate\n", argv[i]);
			bad = 1;
		} else {
			printf("%s\t", argv[i]);
			for (j = 0; j < ml; j++)
				printf("%02X", md[j]);
			putchar('\n');
		}
		X509_free(x);
	}
	return bad;
}
