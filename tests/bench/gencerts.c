/*
 * gencerts: N distinct user certificates, fast, for the benchmark.
 * usage: gencerts N OUTDIR  ->  OUTDIR/certs/benchI.cer, OUTDIR/users.csv
 * One CA and one leaf key; each certificate has its own serial, subject
 * and SAN UPN.  Not for anything but benchmarks.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

static X509 *
make_cert(X509_NAME *issuer, EVP_PKEY *key, EVP_PKEY *signer, long serial,
    const char *cn, const char *upn_ext)
{
	X509		*x = X509_new();
	X509_NAME	*subj = X509_NAME_new();
	X509V3_CTX	 ctx;
	X509_EXTENSION	*ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_NAME_add_entry_by_txt(subj, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, issuer ? issuer : subj);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24 * 365);
	X509_set_pubkey(x, key);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if (upn_ext != NULL) {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name,
		    upn_ext);
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	} else {
		ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints,
		    "critical,CA:TRUE");
		X509_add_ext(x, ext, -1);
		X509_EXTENSION_free(ext);
	}
	X509_sign(x, signer, EVP_sha256());
	X509_NAME_free(subj);
	return x;
}

int
main(int argc, char *argv[])
{
	EVP_PKEY	*cakey, *key;
	X509		*ca, *x;
	FILE		*csv, *fp;
	char		 path[4096], cn[64], ext[256];
	long		 i, n;

	if (argc != 3 || (n = atol(argv[1])) <= 0) {
		fprintf(stderr, "usage: gencerts N OUTDIR\n");
		return 2;
	}
	cakey = EVP_EC_gen("P-256");
	key = EVP_EC_gen("P-256");
	ca = make_cert(NULL, cakey, cakey, 1, "Bench CA", NULL);
	snprintf(path, sizeof(path), "%s/certs", argv[2]);
	mkdir(argv[2], 0700);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/users.csv", argv[2]);
	if ((csv = fopen(path, "w")) == NULL)
		return 1;
	fprintf(csv, "user,certificate\n");
	for (i = 0; i < n; i++) {
		snprintf(cn, sizeof(cn), "bench%ld", i);
		snprintf(ext, sizeof(ext), "otherName:1.3.6.1.4.1.311.20.2.3;"
		    "UTF8:%s@test.certbulk.lan", cn);
		x = make_cert(X509_get_subject_name(ca), key, cakey,
		    0x10000 + i, cn, ext);
		snprintf(path, sizeof(path), "%s/certs/%s.cer", argv[2], cn);
		if ((fp = fopen(path, "wb")) == NULL)
			return 1;
		i2d_X509_fp(fp, x);
		fclose(fp);
		fprintf(csv, "%s,certs/%s.cer\n", cn, cn);
		X509_free(x);
	}
	fclose(csv);
	X509_free(ca);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
	return 0;
}
