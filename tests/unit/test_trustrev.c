/*
 * trust_revocation and --crl-check against a PKI made here with OpenSSL:
 * a root, an issuing CA and leaves, and CRLs that are current, stale,
 * forged (the issuer's name, another key) or missing.  The verdict must
 * be "revoked" only on a current CRL with a good signature: the sync
 * branch's --prune removes values on it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "msg.h"
#include "tap.h"
#include "trust.h"

static char	dir[] = "/tmp/cb-trustrev.XXXXXX";
static time_t	now;

static EVP_PKEY *
key(void)
{
	return EVP_EC_gen("P-256");
}

static void
name_cn(X509_NAME *n, const char *cn)
{
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
}

static void
ext(X509 *x, X509 *iss, int nid, const char *v)
{
	X509V3_CTX	 ctx;
	X509_EXTENSION	*e;

	X509V3_set_ctx(&ctx, iss, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, v)) != NULL) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
}

/* A certificate CN, serial SERIAL, signed by ISS/IKEY (NULL: itself). */
static X509 *
mkcert(const char *cn, long serial, EVP_PKEY *k, X509 *iss, EVP_PKEY *ikey,
    int ca)
{
	X509	*x = X509_new();

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_time_adj(X509_getm_notBefore(x), -86400, &now);
	X509_time_adj(X509_getm_notAfter(x), 86400L * 365, &now);
	name_cn(X509_get_subject_name(x), cn);
	X509_set_issuer_name(x, iss ? X509_get_subject_name(iss) :
	    X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	ext(x, iss ? iss : x, NID_basic_constraints, ca ? "critical,CA:TRUE" :
	    "critical,CA:FALSE");
	ext(x, iss ? iss : x, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" :
	    "critical,digitalSignature");
	X509_sign(x, ikey ? ikey : k, EVP_sha256());
	return x;
}

/* A CRL of ISS (signed with K) listing SERIALS, valid FROM..TO (offsets
 * from now, seconds). */
static X509_CRL *
mkcrl(X509 *iss, EVP_PKEY *k, const long *serials, size_t n, long from,
    long to)
{
	X509_CRL	*c = X509_CRL_new();
	ASN1_TIME	*t = ASN1_TIME_new();
	size_t		 i;

	X509_CRL_set_version(c, 1);
	X509_CRL_set_issuer_name(c, X509_get_subject_name(iss));
	X509_time_adj(t, from, &now);
	X509_CRL_set1_lastUpdate(c, t);
	X509_time_adj(t, to, &now);
	X509_CRL_set1_nextUpdate(c, t);
	for (i = 0; i < n; i++) {
		X509_REVOKED	*r = X509_REVOKED_new();
		ASN1_INTEGER	*s = ASN1_INTEGER_new();

		ASN1_INTEGER_set(s, serials[i]);
		X509_REVOKED_set_serialNumber(r, s);
		X509_time_adj(t, from, &now);
		X509_REVOKED_set_revocationDate(r, t);
		X509_CRL_add0_revoked(c, r);
		ASN1_INTEGER_free(s);
	}
	X509_CRL_sort(c);
	X509_CRL_sign(c, k, EVP_sha256());
	ASN1_TIME_free(t);
	return c;
}

static char *
path(const char *name)
{
	static char	buf[8][256];
	static int	k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

static void
write_certs(const char *name, X509 *a, X509 *b)
{
	FILE	*fp = fopen(path(name), "w");

	PEM_write_X509(fp, a);
	if (b != NULL)
		PEM_write_X509(fp, b);
	fclose(fp);
}

static void
write_crls(const char *name, X509_CRL *a, X509_CRL *b)
{
	FILE	*fp = fopen(path(name), "w");

	PEM_write_X509_CRL(fp, a);
	if (b != NULL)
		PEM_write_X509_CRL(fp, b);
	fclose(fp);
}

static const char *const revname[] = { "good", "revoked", "unknown" };

/* The verdict for certificate file CERT with CAS, CRLS and MODE. */
static const char *
verdict(const char *crls, enum trust_crlcheck mode, const char *cert,
    const char *cas)
{
	struct trust	*t;
	struct certset	 set = { NULL, 0 }, pool = { NULL, 0 };
	const char	*why, *r = "load failed";

	if ((t = trust_load(path(cas), crls ? path(crls) : NULL)) == NULL)
		return r;
	trust_set_crl_check(t, mode);
	if (cert_read_file(path(cert), NULL, &set) == 0 && set.n == 1)
		r = revname[trust_revocation(t, set.v[0], &pool, now, &why)];
	certset_free(&set);
	trust_free(t);
	return r;
}

int
main(void)
{
	EVP_PKEY	*rk, *ik, *fk, *lk;
	static const char *const files[] = { "cas.pem", "cas2.pem",
	    "rootonly.pem", "alice.pem", "bob.pem", "carol.pem", "iss.crl",
	    "both.crl", "both3.crl", "root.crl", "stale.crl", "stalegood.crl",
	    "forged.crl" };
	X509		*root, *iss, *fake, *alice, *bob, *iss2, *carol;
	X509_CRL	*icrl, *rcrl, *stale, *forged, *rcrl2, *stale_good;
	X509_CRL	*c2crl;
	size_t		 i;
	const long	 bobserial[] = { 0x1002 }, iss2serial[] = { 0x2002 };
	const long	 aliceserial[] = { 0x1001 };

	msg_verbosity = MSG_SILENT;
	now = time(NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	rk = key();
	ik = key();
	fk = key();
	lk = key();
	root = mkcert("rev root", 1, rk, NULL, NULL, 1);
	iss = mkcert("rev issuing", 0x2001, ik, root, rk, 1);
	/* the same issuing CA's name with another key, revoked by the root */
	iss2 = mkcert("rev issuing", 0x2002, fk, root, rk, 1);
	fake = mkcert("rev issuing", 9, fk, NULL, NULL, 1);
	alice = mkcert("alice", 0x1001, lk, iss, ik, 0);
	bob = mkcert("bob", 0x1002, lk, iss, ik, 0);
	icrl = mkcrl(iss, ik, bobserial, 1, -3600, 86400);
	rcrl = mkcrl(root, rk, NULL, 0, -3600, 86400);
	rcrl2 = mkcrl(root, rk, iss2serial, 1, -3600, 86400);
	stale = mkcrl(iss, ik, bobserial, 1, -86400 * 8, -86400);
	stale_good = mkcrl(iss, ik, NULL, 0, -86400 * 8, -86400);
	forged = mkcrl(fake, fk, aliceserial, 1, -3600, 86400);
	write_certs("cas.pem", root, iss);
	write_certs("alice.pem", alice, NULL);
	write_certs("bob.pem", bob, NULL);
	write_crls("iss.crl", icrl, NULL);
	write_crls("both.crl", icrl, rcrl);
	write_crls("root.crl", rcrl, NULL);
	write_crls("stale.crl", stale, NULL);
	write_crls("stalegood.crl", stale_good, NULL);
	write_crls("forged.crl", forged, NULL);

	tap_is(verdict("iss.crl", TRUST_CRL_LEAF, "alice.pem", "cas.pem"),
	    "good", "leaf: not on the issuing CA's current CRL: good");
	tap_is(verdict("iss.crl", TRUST_CRL_LEAF, "bob.pem", "cas.pem"),
	    "revoked", "leaf: on it: revoked");
	tap_is(verdict(NULL, TRUST_CRL_LEAF, "bob.pem", "cas.pem"),
	    "unknown", "no CRL checking: unknown, never revoked");
	tap_is(verdict("root.crl", TRUST_CRL_LEAF, "bob.pem", "cas.pem"),
	    "unknown", "only another CA's CRL: unknown");
	tap_is(verdict("stale.crl", TRUST_CRL_LEAF, "bob.pem", "cas.pem"),
	    "unknown", "listed on a stale CRL: unknown, not revoked");
	tap_is(verdict("stalegood.crl", TRUST_CRL_LEAF, "alice.pem",
	    "cas.pem"), "unknown", "not on a stale CRL: unknown, not good");
	tap_is(verdict("forged.crl", TRUST_CRL_LEAF, "alice.pem", "cas.pem"),
	    "unknown", "listed on a forged CRL (issuer's name, other key): "
	    "unknown");
	tap_is(verdict("iss.crl", TRUST_CRL_CHAIN, "alice.pem", "cas.pem"),
	    "unknown", "chain: the root's CRL missing: unknown");
	tap_is(verdict("both.crl", TRUST_CRL_CHAIN, "alice.pem", "cas.pem"),
	    "good", "chain: both CRLs, nothing revoked: good");
	tap_is(verdict("both.crl", TRUST_CRL_CHAIN, "bob.pem", "cas.pem"),
	    "revoked", "chain: the leaf revoked: revoked");
	/* iss2 (the revoked CA) in the trust file in place of iss */
	write_certs("cas2.pem", root, iss2);
	carol = mkcert("carol", 0x1003, lk, iss2, fk, 0);
	c2crl = mkcrl(iss2, fk, NULL, 0, -3600, 86400);
	write_certs("carol.pem", carol, NULL);
	write_crls("both3.crl", rcrl2, c2crl);
	tap_is(verdict("both3.crl", TRUST_CRL_CHAIN, "carol.pem", "cas2.pem"),
	    "revoked", "chain: its CA revoked by the root: revoked");
	tap_is(verdict("both3.crl", TRUST_CRL_LEAF, "carol.pem", "cas2.pem"),
	    "good", "leaf: its CA's revocation is not looked at");
	write_certs("rootonly.pem", root, NULL);
	tap_is(verdict("iss.crl", TRUST_CRL_LEAF, "bob.pem", "rootonly.pem"),
	    "unknown", "the issuing CA nowhere: its CRL cannot be checked: "
	    "unknown");
	X509_free(root);
	X509_free(iss);
	X509_free(iss2);
	X509_free(fake);
	X509_free(alice);
	X509_free(bob);
	X509_free(carol);
	X509_CRL_free(icrl);
	X509_CRL_free(rcrl);
	X509_CRL_free(rcrl2);
	X509_CRL_free(stale);
	X509_CRL_free(stale_good);
	X509_CRL_free(forged);
	X509_CRL_free(c2crl);
	EVP_PKEY_free(rk);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(fk);
	EVP_PKEY_free(lk);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		(void)unlink(path(files[i]));
	(void)rmdir(dir);
	return tap_done();
}
