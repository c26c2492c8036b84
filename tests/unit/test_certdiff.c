/*
 * Differential test of the certificate readers: every file named on the
 * command line (or, without arguments, the fuzz corpus
 * tests/fuzz/corpus/cert) is read with the fast reader and with d2i_X509,
 * as is each of its truncations and single-byte corruptions; the two must
 * accept and refuse the same inputs and give identical facts and values.
 * tests/t/22-certdiff.t runs it over every certificate mkcerts.sh makes.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "certdiff.h"
#include "msg.h"
#include "sbuf.h"
#include "tap.h"

static unsigned char *
slurp(const char *path, size_t *n)
{
	FILE		*fp;
	unsigned char	*buf = NULL;
	long		 len;

	if ((fp = fopen(path, "rb")) == NULL)
		return NULL;
	if (fseek(fp, 0, SEEK_END) == 0 && (len = ftell(fp)) > 0 &&
	    fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len)) != NULL &&
	    fread(buf, 1, (size_t)len, fp) != (size_t)len) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		*n = (size_t)len;
	fclose(fp);
	return buf;
}

static int mutate;

/* One file: as is, then mutated.  Returns the number of disagreements. */
static int
check_file(const char *path)
{
	struct sbuf	 name = SBUF_INIT;
	unsigned char	*buf, *m = NULL;
	const char	*d;
	size_t		 n = 0, i, nc, accepted = 0, tried = 0;
	int		 bad = 0, bit;

	if ((buf = slurp(path, &n)) == NULL || (m = malloc(n)) == NULL) {
		sbuf_printf(&name, "%s: readable", path);
		tap_ok(0, name.s);
		goto out;
	}
	d = certdiff(buf, n, 1, &nc);
	sbuf_printf(&name, "%s: %zu certificate(s), same facts and values",
	    path, nc);
	tap_ok(d == NULL, name.s);
	if (d != NULL)
		printf("#   differs: %s\n", d);
	if (!mutate || n > 4096)	/* 3n double decodes: small files only */
		goto out;
	/* every truncation, then each byte with one bit flipped */
	for (i = 0; i < n && bad < 5; i++, tried++) {
		if ((d = certdiff(buf, i, 1, &nc)) != NULL) {
			printf("#   %s truncated to %zu bytes: %s\n", path, i, d);
			bad++;
		}
		accepted += nc > 0;
	}
	for (i = 0; i < n && bad < 5; i++)
		for (bit = 0; bit < 8 && bad < 5; bit += 7, tried++) {
			memcpy(m, buf, n);
			m[i] ^= (unsigned char)(1u << bit);
			if ((d = certdiff(m, n, 1, &nc)) != NULL) {
				printf("#   %s byte %zu bit %d flipped: %s\n",
				    path, i, bit, d);
				bad++;
			}
			accepted += nc > 0;
		}
	sbuf_reset(&name);
	sbuf_printf(&name, "%s: %zu truncated or corrupted copies (%zu "
	    "accepted) read alike", path, tried, accepted);
	tap_ok(bad == 0, name.s);
out:
	sbuf_reset(&name);
	free(buf);
	free(m);
	return bad;
}

static int
check_dir(const char *dir)
{
	DIR		*dp;
	struct dirent	*de;
	struct stat	 st;
	struct sbuf	 p = SBUF_INIT;
	int		 files = 0;

	if ((dp = opendir(dir)) == NULL) {
		printf("# %s: cannot open\n", dir);
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		sbuf_reset(&p);
		sbuf_printf(&p, "%s/%s", dir, de->d_name);
		if (p.oom || stat(p.s, &st) == -1 || !S_ISREG(st.st_mode))
			continue;
		check_file(p.s);
		files++;
	}
	sbuf_reset(&p);
	closedir(dp);
	return files;
}

int
main(int argc, char *argv[])
{
	struct stat	st;
	int		i, files = 0;

	msg_verbosity = MSG_SILENT;
	mutate = argc < 2 || strcmp(argv[1], "-m") == 0;
	if (argc < 2)
		files += check_dir("tests/fuzz/corpus/cert") > 0;
	for (i = 1 + (argc > 1 && mutate); i < argc; i++) {
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
			files += check_dir(argv[i]) > 0;
		else
			files += check_file(argv[i]) == 0;
		mutate = 0;	/* -m: the first name only */
	}
	tap_is(files > 0 ? "yes" : "no", "yes",
	    "certificates were found to compare");
	return tap_done();
}
