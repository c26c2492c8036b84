/*
 * cert: reading certificates (DER, PEM, PKCS#7) and the facts about each
 * one that the later stages need, as plain C data.  Only this module and
 * msname.c see OpenSSL; everyone else gets struct cert through accessors.
 */
#ifndef CERTBULK_CERT_H
#define CERTBULK_CERT_H

#include <stddef.h>
#include <time.h>

/* Files larger than this are refused: no real certificate bundle is. */
#define CERT_MAX_FILE	(16UL * 1024 * 1024)

struct cert;

/* A list of strings owned by the list. */
struct strlist {
	char	**v;
	size_t	  n;
};

/* Certificates read from one source, in the order they appear in it. */
struct certset {
	struct cert	**v;	/* owned */
	size_t		  n;
};

/*
 * Reads every certificate in the file PATH into SET (appending).  Returns
 * 0, or -1 after printing one line "LABEL: reason" (LABEL NULL: PATH); SET
 * is then unchanged.  PEM blocks that are not certificates are skipped
 * with a note.
 */
int	cert_read_file(const char *path, const char *label, struct certset *set);

/*
 * The first half of cert_read_file, without printing (for a thread that
 * reads files ahead): the bytes of the regular file PATH into *BUF (*LEN
 * bytes; free with cert_load_free).  Returns 0, or -1 with *ERR set to
 * the line cert_read_file would print, "LABEL: reason" (LABEL NULL: PATH;
 * the caller frees it; NULL when out of memory).
 */
int	cert_load_file(const char *path, const char *label, unsigned char **buf,
	    size_t *len, char **err);

/* Clears (a file may hold a private key) and frees what cert_load_file gave. */
void	cert_load_free(unsigned char *buf, size_t len);

/*
 * The second half: given what cert_load_file returned (RC, BUF, LEN, ERR),
 * prints ERR or reads the certificates of BUF into SET as cert_read_mem,
 * and frees BUF and ERR.  Returns 0 or -1, as cert_read_file.
 */
int	cert_read_loaded(const char *label, int rc, unsigned char *buf,
	    size_t len, char *err, struct certset *set);

/*
 * The same for N bytes at BUF; LABEL names the source in messages.  BUF may
 * hold DER, PEM, PKCS#7, or (if B64_OK) base64 DER without PEM armour.
 */
int	cert_read_mem(const char *label, const unsigned char *buf, size_t n,
	    int b64_ok, struct certset *set);

/* Frees the certificate at I of SET and closes the gap. */
void	certset_drop(struct certset *set, size_t i);

/* Frees every certificate in SET and empties it. */
void	certset_free(struct certset *);

/* Frees a list of strings. */
void	strlist_free(struct strlist *);
/* Appends a copy of S; returns 0 or -1 on ENOMEM. */
int	strlist_add(struct strlist *, const char *s);

/*
 * Facts.  Strings are owned by the cert; NULL means "the certificate has
 * none", and for the mapping pieces *_why (also owned, static) says why.
 */
const char	*cert_subject_text(const struct cert *);  /* for people */
const char	*cert_issuer_text(const struct cert *);   /* for people */
const char	*cert_serial_text(const struct cert *);   /* DER octets, hex */
time_t		 cert_not_before(const struct cert *);
time_t		 cert_not_after(const struct cert *);
int		 cert_is_ca(const struct cert *);
const char	*cert_sha256(const struct cert *);
const struct strlist *cert_upns(const struct cert *);
const struct strlist *cert_emails(const struct cert *);	/* SAN rfc822 */
const char	*cert_subject_email(const struct cert *);	/* subject E= */
const char	*cert_subject_cn(const struct cert *);	/* last CN, UTF-8 */
/*
 * The certificate's SID, the one accessor for "which account does the
 * certificate itself name": the SID extension's (1.3.6.1.4.1.311.25.2) or
 * else the SAN URI tag:microsoft.com,2022-09-14:sid:S-1-... ([MS-PKCA]
 * 3.1.5.2.1.6).  NULL when it has neither, or when the two disagree
 * (cert_sid_clash then says so: such a certificate names no one).
 */
const char	*cert_sid(const struct cert *);
const char	*cert_sid_ext(const struct cert *);	/* the extension's */
const char	*cert_sid_uri(const struct cert *);	/* the SAN URI's */
const char	*cert_sid_clash(const struct cert *);	/* or NULL */
const struct strlist *cert_dns(const struct cert *);	/* SAN dNSName */
const struct strlist *cert_ekus(const struct cert *);
const struct strlist *cert_crldps(const struct cert *);

/* Mapping pieces, exactly as the KDC builds them. */
const char	*cert_ms_issuer(const struct cert *, const char **why);
const char	*cert_ms_subject(const struct cert *, const char **why);
const char	*cert_ms_serial(const struct cert *);	/* reversed hex */
const char	*cert_ms_ski(const struct cert *, const char **why);
const char	*cert_sha1(const struct cert *);	/* thumbprint */

/* Problems found while reading the facts (e.g. a bad SAN); may be NULL. */
const struct strlist *cert_problems(const struct cert *);

/*
 * Formats a time as "YYYY-MM-DD HH:MM:SSZ" into BUF (at least 24 bytes).
 */
void	cert_fmt_time(time_t, char *buf, size_t len);

#endif
