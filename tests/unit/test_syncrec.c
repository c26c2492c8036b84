/*
 * syncrec: owned.tsv's records hold the thumbprint as 32 bytes, not 65
 * bytes of text, and write it back exactly as it was read: upper case as
 * certbulk writes it, lower case, and (kept as text) mixed case, a short
 * or overlong one, non-hex digits and none at all.  A file read and saved
 * again is the same bytes.  The record stays small: 100,000 values of an
 * onboarding apply are 100,000 of them.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sync.h"
#include "tap.h"

#define SHA_UP	"0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define SHA_LO	"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define SHA_MIX	"0123456789abcdef0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define SHA_G	"G123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"

/* the line for account number I with thumbprint SHA */
static void
line(FILE *fp, int i, const char *sha)
{
	fprintf(fp, "0000000000000000000000000000%04d\tCN=u%d,DC=example,DC=com"
	    "\tu%d\tX509:<I>DC=com,CN=CA<SR>%04d\t%s\tCN=CA\t%04d\t"
	    "2030-01-01T00:00:00Z\t/in/users.csv\t/in/users.csv:%d\t"
	    "2026-01-01T00:00:00Z\n", i, i, i, i, sha, i, i + 1);
}

static char *
slurp(const char *path)
{
	FILE	*fp;
	char	*s;
	long	 n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	if ((s = calloc(1, (size_t)n + 1)) != NULL &&
	    fread(s, 1, (size_t)n, fp) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(fp);
	return s;
}

int
main(void)
{
	static const char *const shas[] = { SHA_UP, SHA_LO, SHA_MIX, "ABC",
		SHA_UP "00", SHA_G, "" };
	const size_t	 n = sizeof(shas) / sizeof(shas[0]);
	struct sync_state st;
	char		 tmpl[] = "/tmp/test_syncrec.XXXXXX", path[64];
	char		*before = NULL, *after = NULL;
	FILE		*fp;
	size_t		 i;
	int		 exists = 0, fd;

	tap_ok(sizeof(struct sync_rec) <= 104,
	    "a record is at most 104 bytes");
	if (mkdtemp(tmpl) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/owned.tsv", tmpl);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) == -1 ||
	    (fp = fdopen(fd, "w")) == NULL)
		return 1;
	fputs("# certbulk owned values: the altSecurityIdentities values "
	    "certbulk wrote and may remove (--prune).\n"
	    "# One line per value, tab-separated, \\\\ \\t \\n \\r \\xHH "
	    "escaped; delete a line to disown a value.\n"
	    "# guid\tdn\tsAMAccountName\tvalue\tsha256\tissuer\tserial\t"
	    "not_after\tinput\tsource\twritten\n", fp);
	for (i = 0; i < n; i++)
		line(fp, (int)i, shas[i]);
	fclose(fp);
	before = slurp(path);
	memset(&st, 0, sizeof(st));
	tap_ok(sync_load(tmpl, &st, &exists) == 0 && exists && st.n == n,
	    "the file is read");
	tap_ok(st.n == n && st.v[0].shaform == SYNC_SHA_UPPER &&
	    st.v[1].shaform == SYNC_SHA_LOWER, "one-case thumbprints as bytes");
	tap_ok(st.n == n && st.v[0].sha[0] == 0x01 && st.v[0].sha[31] == 0xef &&
	    st.v[1].sha[1] == 0x11 && st.v[1].sha[31] == 0xff,
	    "... the bytes they spell");
	tap_ok(st.n == n && st.v[2].shaform == SYNC_SHA_TEXT &&
	    st.v[3].shaform == SYNC_SHA_TEXT && st.v[4].shaform ==
	    SYNC_SHA_TEXT && st.v[5].shaform == SYNC_SHA_TEXT,
	    "mixed case, short, long and non-hex kept as text");
	tap_ok(st.n == n && st.v[6].shaform == SYNC_SHA_NONE,
	    "none: empty");
	tap_ok(unlink(path) == 0 && sync_save(tmpl, &st) == 0, "saved again");
	after = slurp(path);
	tap_is(after ? after : "(unreadable)", before ? before : "",
	    "... the same bytes as read");
	sync_state_free(&st);
	unlink(path);
	rmdir(tmpl);
	free(before);
	free(after);
	return tap_done();
}
