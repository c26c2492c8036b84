/*
 * certbulk ntauth: the forest's NTAuth store (cACertificate of
 * CN=NTAuthCertificates,CN=Public Key Services,CN=Services in the
 * configuration naming context), whose CAs domain controllers accept for
 * certificate logon through implicit (UPN, SID) mapping.  Lists it and,
 * with --ca-file, tells whether the given issuing CAs are in it.
 * Read-only; ntauth add and remove are runs (cmd_run.c, ntauth.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cert.h"
#include "cmd.h"
#include "dir.h"
#include "msg.h"
#include "subcmd.h"

static void
put_esc(const char *s)
{
	char	*e;

	if ((e = msg_escape(s, strlen(s))) == NULL)
		return;
	fputs(e, stdout);
	free(e);
}

static int
ntauth_parse(int argc, char *argv[], struct subcmd_opts *o)
{
	int	r;

	if ((r = subcmd_parse(argc, argv, "ntauth", 0, o)) != 0)
		return r;
	if (optind < argc) {
		msg_err("ntauth: unexpected argument \"%s\" (add CA.cer or "
		    "remove CA.cer change the store)", argv[optind]);
		return -1;
	}
	return 0;
}

/* 1 if SET holds a certificate with C's thumbprint. */
static int
ntauth_has(const struct certset *set, const struct cert *c)
{
	size_t	i;

	for (i = 0; i < set->n; i++)
		if (strcasecmp(cert_sha1(set->v[i]), cert_sha1(c)) == 0)
			return 1;
	return 0;
}

int
ntauth_main(int argc, char *argv[])
{
	struct subcmd_opts		 o;
	struct dir		*d = NULL;
	struct dir_blobs	 blobs = { NULL, NULL, 0 };
	struct certset		 store = { NULL, 0 }, given = { NULL, 0 };
	char			*dn = NULL, label[64], na[32];
	size_t			 i, missing = 0, bad = 0;
	int			 rc = CB_EXIT_USAGE, r, usage_err, exists;

	/*
	 * ntauth add|remove change the directory: they are a run, with the
	 * run's options (-n, -o, --state-dir, --log), preview and undo file.
	 */
	r = subcmd_find(argc, argv);	/* "ntauth", as main() found it */
	if (r < argc && (r += subcmd_find(argc - r, argv + r)) < argc &&
	    (strcmp(argv[r], "add") == 0 || strcmp(argv[r], "remove") == 0))
		return run_main(argc, argv);
	memset(&o, 0, sizeof(o));
	if ((r = ntauth_parse(argc, argv, &o)) != 0) {
		if (r == 1) {
			usage_print(stdout);
			rc = CB_EXIT_OK;
		}
		goto out;
	}
	if (o.cafile != NULL && cert_read_file(o.cafile, NULL, &given) == -1)
		goto out;
	if ((d = dir_open(&o.dir, &usage_err)) == NULL) {
		rc = usage_err ? CB_EXIT_USAGE : CB_EXIT_LDAP;
		goto out;
	}
	if ((r = dir_ntauth_read(d, &dn, &blobs)) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	exists = r == 0;
	for (i = 0; i < blobs.n; i++) {
		snprintf(label, sizeof(label), "NTAuth cACertificate %zu",
		    i + 1);
		/* one bad value is reported and the others still listed */
		if (cert_read_mem(label, blobs.v[i], blobs.len[i], 0,
		    &store) == -1)
			bad++;
	}
	if (!o.tsv) {
		if (!exists)
			printf("no NTAuth store: %s does not exist\n", dn);
		else
			printf("NTAuth store %s: %zu certificate%s\n", dn,
			    store.n, store.n == 1 ? "" : "s");
	}
	for (i = 0; i < store.n; i++) {
		cert_fmt_time(cert_not_after(store.v[i]), na, sizeof(na));
		if (o.tsv) {
			printf("%s\t%s\t", cert_sha1(store.v[i]), na);
			put_esc(cert_subject_text(store.v[i]));
			printf("\n");
			continue;
		}
		printf("  ");
		put_esc(cert_subject_text(store.v[i]));
		printf("\n    SHA-1 %s, valid until %s%s%s\n",
		    cert_sha1(store.v[i]), na,
		    time(NULL) > cert_not_after(store.v[i]) ? " (EXPIRED)" : "",
		    cert_is_ca(store.v[i]) ? "" : ", NOT a CA certificate");
	}
	for (i = 0; i < given.n; i++) {
		if (!ntauth_has(&store, given.v[i])) {
			missing++;
			msg_warn("%s: %s (SHA-1 %s) is not in the NTAuth store: "
			    "DCs refuse its certificates for implicit (UPN, "
			    "SID) mapping", o.cafile,
			    cert_subject_text(given.v[i]),
			    cert_sha1(given.v[i]));
		} else if (!o.tsv)
			msg_note("%s: %s is in the NTAuth store", o.cafile,
			    cert_subject_text(given.v[i]));
	}
	if (fflush(stdout) == EOF || ferror(stdout)) {
		msg_err("standard output: write error");
		rc = CB_EXIT_SOME;
		goto out;
	}
	rc = missing > 0 || bad > 0 ? CB_EXIT_SOME : CB_EXIT_OK;
out:
	certset_free(&store);
	certset_free(&given);
	dir_blobs_free(&blobs);
	free(dn);
	dir_close(d);
	return rc;
}
