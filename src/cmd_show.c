/*
 * certbulk show: the mapping values of certificate files, offline.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "altsec.h"
#include "cert.h"
#include "cmd.h"
#include "msg.h"
#include "prefetch.h"

/*
 * Prints "  LABEL TEXT" with TEXT escaped: names and addresses come from
 * the certificate, and a control byte in them must not reach the terminal.
 */
static void
show_fact(const char *label, const char *text, const char *suffix)
{
	char	*esc;

	if ((esc = msg_escape(text, strlen(text))) == NULL)
		return;
	printf("  %-10s %s%s\n", label, esc, suffix);
	free(esc);
}

static void
show_list(const char *label, const struct strlist *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		show_fact(i == 0 ? label : "", l->v[i], "");
}

/*
 * 1 if S prints as it is: printable ASCII only, and in a --tsv field
 * (FIELD) no backslash.  Most values are; escaping them would only copy.
 */
static int
show_clean(const char *s, int field)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ||
		    (field && *s == '\\'))
			return 0;
	return 1;
}

/*
 * Prints one value line; control characters cannot break the format.  In
 * --tsv the FILE column is escaped reversibly (a tab or line feed in a file
 * name would split the line).
 */
static void
show_value(const char *file, size_t idx, enum altsec_type t, const char *v,
    int tsv)
{
	const char	*e = v, *fe = file;
	char		*esc = NULL, *fesc = NULL;

	if (!show_clean(v, 0) && (e = esc = msg_escape(v, strlen(v))) == NULL)
		return;
	if (tsv) {
		if (show_clean(file, 1) || (fe = fesc = msg_escape_field(file,
		    strlen(file))) != NULL)
			printf("%s\t%zu\t%s\t%s\n", fe, idx,
			    altsec_type_name(t), e);
	} else
		printf("  %-23s %s\n", altsec_type_name(t), e);
	free(fesc);
	free(esc);
}

/* A --tsv row FILE IDX NAME VALUE for a fact (not a mapping form). */
static void
show_tsv_fact(const char *file, size_t idx, const char *name, const char *v)
{
	char	*esc, *fesc;

	esc = msg_escape_field(v, strlen(v));
	fesc = msg_escape_field(file, strlen(file));
	if (esc != NULL && fesc != NULL)
		printf("%s\t%zu\t%s\t%s\n", fesc, idx, name, esc);
	free(esc);
	free(fesc);
}

static void
show_facts(const struct cert *c, time_t now)
{
	char	nb[32], na[32];

	cert_fmt_time(cert_not_before(c), nb, sizeof(nb));
	cert_fmt_time(cert_not_after(c), na, sizeof(na));
	show_fact("Subject:", cert_subject_text(c), "");
	show_fact("Issuer:", cert_issuer_text(c), "");
	show_fact("Serial:", cert_serial_text(c), "");
	printf("  %-10s %s to %s%s\n", "Valid:", nb, na,
	    now > cert_not_after(c) ? " (EXPIRED)" :
	    now < cert_not_before(c) ? " (NOT YET VALID)" : "");
	if (cert_is_ca(c))
		printf("  %-10s %s\n", "CA:", "yes (a CA certificate, not a "
		    "user's)");
	show_list("UPN:", cert_upns(c));
	show_list("E-mail:", cert_emails(c));
	if (cert_emails(c)->n == 0 && cert_subject_email(c) != NULL)
		show_fact("E-mail:", cert_subject_email(c), " (subject E=)");
	if (cert_sid_ext(c) != NULL)
		show_fact("SID:", cert_sid_ext(c), " (SID extension)");
	if (cert_sid_uri(c) != NULL)
		show_fact("SID:", cert_sid_uri(c), " (SAN URI "
		    "tag:microsoft.com,2022-09-14:sid)");
	if (cert_sid_clash(c) != NULL)
		printf("  %-10s %s\n", "", "the two SIDs differ: the "
		    "certificate names no account");
	show_list("DNS:", cert_dns(c));
	show_list("EKU:", cert_ekus(c));
	show_list("CRL DP:", cert_crldps(c));
	printf("  %-10s %s\n", "SHA-256:", cert_sha256(c));
}

/* Prints one certificate; returns how many forms could not be built. */
static void
show_cert(const char *file, size_t idx, const struct cert *c,
    unsigned types, int tsv, time_t now)
{
	const struct strlist	*probs = cert_problems(c);
	const char		*why;
	char			*v, *esc;
	size_t			 i;
	int			 t, fallback;

	if (tsv == 0) {
		if ((esc = msg_escape(file, strlen(file))) != NULL)
			printf("%s [%zu]\n", esc, idx);
		free(esc);
		show_facts(c, now);
	}
	for (i = 0; i < probs->n; i++)
		msg_warn("%s [%zu]: %s", file, idx, probs->v[i]);
	/*
	 * The SIDs are facts, not mapping values: rows of their own in --tsv
	 * only when asked (--sid), so that scripts reading values see none.
	 */
	if (tsv == 2 && cert_sid_ext(c) != NULL)
		show_tsv_fact(file, idx, "SIDExtension", cert_sid_ext(c));
	if (tsv == 2 && cert_sid_uri(c) != NULL)
		show_tsv_fact(file, idx, "SANURISID", cert_sid_uri(c));
	for (t = 0; t < ALTSEC_NTYPES; t++) {
		if (!(types & ALTSEC_BIT(t)))
			continue;
		if ((v = altsec_value(c, (enum altsec_type)t, &why,
		    &fallback)) == NULL) {
			msg_warn("%s [%zu]: no %s value: %s", file, idx,
			    altsec_type_name((enum altsec_type)t), why);
			continue;
		}
		if (fallback)
			msg_warn("%s [%zu]: X509RFC822 taken from the subject's "
			    "E= attribute: the certificate has no "
			    "subjectAltName e-mail", file, idx);
		show_value(file, idx, (enum altsec_type)t, v, tsv);
		free(v);
	}
	if (!tsv)
		printf("\n");
}

int
show_main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "type", required_argument, NULL, 't' },
		{ "tsv", no_argument, NULL, 'T' },
		{ "sid", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 }
	};
	struct certset	 set = { NULL, 0 };
	struct prefetch	*pf = NULL;
	const char	*bad;
	unsigned char	*buf;
	char		*err;
	unsigned	 types = ALTSEC_STRONG;
	time_t		 now = time(NULL);
	size_t		 i, len;
	int		 ch, tsv = 0, sids = 0, failed = 0, t, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "hqt:v", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (altsec_parse_types(optarg, &types, &bad) == -1) {
				msg_err("--type: unknown mapping form \"%.*s\" "
				    "(known: strong, all, X509IssuerSerialNumber,"
				    " X509SKI, X509SHA1PublicKey, "
				    "X509IssuerSubject, X509SubjectOnly, "
				    "X509RFC822, X509Issuer, X509IssuerSID)",
				    (int)strcspn(bad, ","), bad);
				return CB_EXIT_USAGE;
			}
			break;
		case 'T':
			tsv = 1;
			break;
		case 'S':
			sids = 1;
			break;
		case 'q':
			msg_verbosity = -1;
			break;
		case 'v':
			msg_verbosity++;
			break;
		case 'h':
			usage_print(stdout);
			return CB_EXIT_OK;
		default:
			usage_print(stderr);
			return CB_EXIT_USAGE;
		}
	}
	if (optind == argc) {
		msg_err("show: no certificate file given");
		usage_print(stderr);
		return CB_EXIT_USAGE;
	}
	if (sids && !tsv) {
		msg_err("show: --sid is for --tsv (the text output always shows "
		    "the SIDs)");
		return CB_EXIT_USAGE;
	}
	if (sids)
		tsv = 2;
	for (t = 0; t < ALTSEC_NTYPES; t++)
		if ((types & ALTSEC_BIT(t)) && !altsec_is_strong(t)) {
			msg_warn("weak mapping forms requested: domain "
			    "controllers in full enforcement (KB5014754) "
			    "ignore them for certificate logon");
			break;
		}
	/* output in large writes unless someone watches it line by line */
	if (!isatty(STDOUT_FILENO))
		(void)setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	/* the next files are read on the other core while these decode */
	if (argc - optind > 1)
		pf = prefetch_start(argv + optind, (size_t)(argc - optind));
	for (; optind < argc; optind++) {
		if (pf != NULL) {
			buf = NULL;
			len = 0;
			rc = prefetch_next(pf, &buf, &len, &err);
			rc = cert_read_loaded(argv[optind], rc, buf, len, err,
			    &set);
		} else
			rc = cert_read_file(argv[optind], NULL, &set);
		if (rc == -1) {
			failed = 1;
			continue;
		}
		for (i = 0; i < set.n; i++)
			show_cert(argv[optind], i + 1, set.v[i], types, tsv,
			    now);
		certset_free(&set);
	}
	prefetch_stop(pf);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		msg_err("standard output: write error");
		return CB_EXIT_SOME;
	}
	return failed ? CB_EXIT_SOME : CB_EXIT_OK;
}
