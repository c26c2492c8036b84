/*
 * certdiff.h: reads the same bytes with certbulk's reader (cert_der.c, no
 * key decoding) and with the reference reader (d2i_X509) and compares
 * everything they yield: success or refusal, every fact, every mapping
 * value.  Shared by tests/unit/test_certdiff.c and
 * tests/fuzz/fuzz_cert_diff.c.
 */
#ifndef CERTBULK_CERTDIFF_H
#define CERTBULK_CERTDIFF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "altsec.h"
#include "cert.h"
#include "cert_ossl.h"

static int
certdiff_str(const char *a, const char *b)
{
	return (a == NULL || b == NULL) ? a != b : strcmp(a, b) != 0;
}

static int
certdiff_list(const struct strlist *a, const struct strlist *b)
{
	size_t	i;

	if (a->n != b->n)
		return 1;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 1;
	return 0;
}

/*
 * Compares two certificates; returns NULL if they agree, else the name of
 * the first fact that differs.
 */
static const char *
certdiff_cert(const struct cert *a, const struct cert *b)
{
	const char	*wa, *wb, *ya, *yb;
	char		*va, *vb;
	int		 t, fa, fb, d;

	if (certdiff_str(cert_subject_text(a), cert_subject_text(b)))
		return "subject text";
	if (certdiff_str(cert_issuer_text(a), cert_issuer_text(b)))
		return "issuer text";
	if (certdiff_str(cert_serial_text(a), cert_serial_text(b)))
		return "serial";
	if (cert_not_before(a) != cert_not_before(b) ||
	    cert_not_after(a) != cert_not_after(b))
		return "validity";
	if (cert_is_ca(a) != cert_is_ca(b))
		return "is CA";
	if (certdiff_str(cert_sha256(a), cert_sha256(b)) ||
	    certdiff_str(cert_sha1(a), cert_sha1(b)))
		return "thumbprint";
	if (certdiff_list(cert_upns(a), cert_upns(b)))
		return "UPNs";
	if (certdiff_list(cert_emails(a), cert_emails(b)))
		return "SAN e-mails";
	if (certdiff_str(cert_subject_email(a), cert_subject_email(b)))
		return "subject e-mail";
	if (certdiff_str(cert_sid(a), cert_sid(b)))
		return "SID";
	if (certdiff_str(cert_sid_ext(a), cert_sid_ext(b)) ||
	    certdiff_str(cert_sid_uri(a), cert_sid_uri(b)) ||
	    certdiff_str(cert_sid_clash(a), cert_sid_clash(b)))
		return "SID sources (extension, SAN URI)";
	if (certdiff_list(cert_dns(a), cert_dns(b)))
		return "SAN DNS names";
	if (certdiff_str(cert_subject_cn(a), cert_subject_cn(b)))
		return "subject CN";
	if (certdiff_list(cert_ekus(a), cert_ekus(b)))
		return "EKUs";
	if (certdiff_list(cert_crldps(a), cert_crldps(b)))
		return "CRL DPs";
	if (certdiff_list(cert_problems(a), cert_problems(b)))
		return "problems";
	if (certdiff_str(cert_ms_issuer(a, &wa), cert_ms_issuer(b, &wb)) ||
	    certdiff_str(wa, wb))
		return "CryptoAPI issuer";
	if (certdiff_str(cert_ms_subject(a, &wa), cert_ms_subject(b, &wb)) ||
	    certdiff_str(wa, wb))
		return "CryptoAPI subject";
	if (certdiff_str(cert_ms_serial(a), cert_ms_serial(b)))
		return "reversed serial";
	if (certdiff_str(cert_ms_ski(a, &wa), cert_ms_ski(b, &wb)) ||
	    certdiff_str(wa, wb))
		return "SKI";
	for (t = 0; t < ALTSEC_NTYPES; t++) {
		va = altsec_value(a, (enum altsec_type)t, &ya, &fa);
		vb = altsec_value(b, (enum altsec_type)t, &yb, &fb);
		d = certdiff_str(va, vb) || certdiff_str(ya, yb) || fa != fb;
		free(va);
		free(vb);
		if (d)
			return altsec_type_name((enum altsec_type)t);
	}
	return NULL;
}

/*
 * Reads BUF both ways.  Returns NULL if both refuse it, or both accept it
 * with the same facts; else what differs.  *NCERTS: certificates read.
 * The fast reader reads BUF twice: cert_der.c keeps the last issuer name it
 * decoded and takes any issuer field starting with the same bytes from it,
 * so the first read decodes with whatever the previous input left there
 * and the second (this input's own issuer now kept) from the memo; both
 * must agree with d2i_X509.
 */
static const char *
certdiff(const unsigned char *buf, size_t n, int b64_ok, size_t *ncerts)
{
	struct certset	 fast = { NULL, 0 }, again = { NULL, 0 };
	struct certset	 full = { NULL, 0 };
	const char	*diff = NULL;
	size_t		 i;
	int		 rf, ra, rr;

	rf = cert_read_mem("fast", buf, n, b64_ok, &fast);
	ra = cert_read_mem("fast", buf, n, b64_ok, &again);
	rr = cert_read_mem_full("full", buf, n, b64_ok, &full);
	*ncerts = fast.n;
	if (rf != rr)
		diff = rf == 0 ? "accepted by the fast reader only" :
		    "accepted by d2i_X509 only";
	else if (ra != rr)
		diff = ra == 0 ? "accepted by the fast reader only, issuer "
		    "from the memo" : "refused by the fast reader, issuer from "
		    "the memo";
	else if (fast.n != full.n || again.n != full.n)
		diff = "number of certificates";
	for (i = 0; diff == NULL && i < fast.n; i++)
		if ((diff = certdiff_cert(fast.v[i], full.v[i])) == NULL &&
		    certdiff_cert(again.v[i], full.v[i]) != NULL)
			diff = "a fact (issuer from the memo)";
	certset_free(&fast);
	certset_free(&again);
	certset_free(&full);
	return diff;
}

#endif
