/*
 * The undo-file round trip: records written by undo_add read back by
 * undo_read, statuses honoured, hostile records refused one by one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "plan.h"
#include "tap.h"
#include "undo.h"

static char	dir[] = "/tmp/test-undo-XXXXXX";

/* Files libldap's reader would take bytes from elsewhere with. */
static const char *const hostile[] = {
	"dn: CN=a,DC=x\nchangetype: modify\nadd: altSecurityIdentities\n"
	    "altSecurityIdentities:< file:///etc/passwd\n-\n",
	"dn: CN=a,DC=x\nchangetype: modify\nadd: altSecurityIdentities\n"
	    "altSecurityIdentities:<file:%2Fetc%2Fpasswd\n-\n",
	"dn: CN=a,DC=x\nchangetype: modify\nadd: altSecurityIdentities\n"
	    "altSecurityIdentities:\n < file:///etc/passwd\n-\n",
	"dn:< file:///etc/passwd\nchangetype: modify\n",
	"INCLUDE: file:///etc/passwd\n",
	"# c\n\nInClUdE:file:passwd\n",
	"dn: CN=a,DC=x\nchangetype: modify\ninclude: file:///x\n",
	"dn: CN=a,DC=x\nchangetype: modify\nadd: altSecurityIdentities\n"
	    "altSecurityIdentities:\r< file:///etc/passwd\n-\n",
	"dn: CN=a,DC=x\nchangetype: modify\nadd: altSecurityIdentities\n"
	    "altSecurityIdentities;binary:< file:///etc/passwd\n-\n",
};
static const char *const hostile_name[] = {
	"a :< file URL value", "a %2F-encoded URL value", "a folded URL value",
	"a URL DN", "an INCLUDE: line", "an include in mixed case",
	"an include: inside a record", "a URL behind a carriage return",
	"a URL value of an attribute with options",
};

static void
write_file(const char *path, const char *text)
{
	FILE	*fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
}

int
main(void)
{
	struct changes	 cs = { NULL, 0 }, back = { NULL, 0 };
	struct change	*c;
	struct undo	*u;
	char		 path[128], bad_path[128], path2[128], link[128];
	char		 made[UNDO_MADE_MAX], name[128];
	size_t		 bad;
	int		 i;

	msg_verbosity = -1;
	umask(022);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/undo.ldif", dir);
	for (i = 0; i < 4; i++) {
		char dn[64], v[64];

		snprintf(dn, sizeof(dn), "CN=u%d,DC=x", i);
		snprintf(v, sizeof(v), "X509:<I>CN=\"a, b\"<SR>0%d", i);
		c = changes_add(&cs, dn);
		strlist_add(&c->add, v);
		strlist_add(&c->notes, "from test.csv:2: CN=Jos\xc3\xa9");
	}
	strlist_add(&cs.v[3].del, "Kerberos:old@REALM");
	u = undo_create(path, "test header\nsecond line");
	tap_ok(u != NULL, "undo file created");
	for (i = 0; i < 4; i++)
		undo_add(u, &cs.v[i]);
	undo_sync(u);
	undo_mark(u, cs.v[0].rec, UNDO_DONE);
	undo_mark(u, cs.v[1].rec, UNDO_FAILED);
	undo_mark(u, cs.v[2].rec, UNDO_UNSENT);
	/* record 4 stays pending */
	tap_ok(undo_close(u) == 0, "undo file closed");
	tap_ok(access(path, R_OK) == 0, "undo file exists");

	tap_ok(undo_read(path, &back, &bad, NULL) == 0 && bad == 0, "read back");
	tap_ok(back.n == 2, "failed and unsent records are left out");
	if (back.n == 2) {
		tap_is(back.v[0].dn, "CN=u0,DC=x", "done record kept");
		tap_is(back.v[1].dn, "CN=u3,DC=x", "pending record kept");
		tap_ok(back.v[0].del.n == 1 && back.v[0].add.n == 0,
		    "the inverse of an add is a delete");
		tap_is(back.v[0].del.v[0], "X509:<I>CN=\"a, b\"<SR>00",
		    "values survive byte for byte");
		tap_ok(back.v[1].add.n == 1 && back.v[1].del.n == 1,
		    "the inverse of a delete is an add");
		tap_ok(back.v[0].notes.n == 1 &&
		    strcmp(back.v[0].notes.v[0],
		    "from test.csv:2: CN=Jos\xc3\xa9") == 0,
		    "notes are carried over");
	}
	changes_free(&back);

	snprintf(bad_path, sizeof(bad_path), "%s/bad.ldif", dir);
	write_file(bad_path,
	    "dn: CN=a,DC=x\nchangetype: add\nobjectClass: top\n\n"
	    "dn: CN=b,DC=x\nchangetype: modify\nreplace: altSecurityIdentities\n"
	    "altSecurityIdentities: x\n-\n\n"
	    "dn: CN=c,DC=x\nchangetype: modify\ndelete: member\nmember: x\n-\n\n"
	    "dn: CN=d,DC=x\nchangetype: modify\ndelete: altSecurityIdentities\n"
	    "altSecurityIdentities:: WDUwOTo8ST4=\n-\n");
	tap_ok(undo_read(bad_path, &back, &bad, NULL) == 0, "hostile file read");
	tap_ok(bad == 3, "add, replace and other attributes are refused");
	tap_ok(back.n == 1 && strcmp(back.v[0].del.v[0], "X509:<I>") == 0,
	    "the good record (base64 value) is kept");
	changes_free(&back);
	tap_ok(undo_read("/nonexistent/undo.ldif", &back, &bad, NULL) == -1,
	    "a missing file fails");
	/* fuzz_undo crash: ldif_read_record reported a record, gave no buffer */
	write_file(bad_path, "1-\n\n-\n\n1\n\n-");
	tap_ok(undo_read(bad_path, &back, &bad, NULL) == -1 && back.n == 0,
	    "a file of dashes and digits is refused, without a crash");
	changes_free(&back);

	/* libldap follows URLs and includes by itself: none may reach it */
	for (i = 0; i < (int)(sizeof(hostile) / sizeof(hostile[0])); i++) {
		write_file(bad_path, hostile[i]);
		snprintf(name, sizeof(name), "refused whole: %s",
		    hostile_name[i]);
		tap_ok(undo_read(bad_path, &back, &bad, NULL) == -1 &&
		    back.n == 0, name);
		changes_free(&back);
	}

	/* a delete: block without values would remove every value */
	write_file(bad_path, "dn: CN=e,DC=x\nchangetype: modify\n"
	    "delete: altSecurityIdentities\n-\n\n"
	    "dn: CN=f,DC=x\nchangetype: modify\n"
	    "add: altSecurityIdentities\n\n");
	tap_ok(undo_read(bad_path, &back, &bad, NULL) == 0 && bad == 2 &&
	    back.n == 0, "empty delete: and add: blocks are bad records");
	changes_free(&back);

	/* a status line is trusted only as the record's first line */
	write_file(bad_path, "# certbulk-record: 1 status: done\n"
	    "# certbulk-record: 1 status: failed\n"
	    "dn: CN=g,DC=x\nchangetype: modify\n"
	    "delete: altSecurityIdentities\naltSecurityIdentities: v\n-\n\n"
	    "# certbulk-record: 2 status: failed and more\n"
	    "dn: CN=h,DC=x\nchangetype: modify\n"
	    "delete: altSecurityIdentities\naltSecurityIdentities: v\n-\n");
	tap_ok(undo_read(bad_path, &back, &bad, NULL) == 0 && bad == 1 &&
	    back.n == 1 && strcmp(back.v[0].dn, "CN=g,DC=x") == 0,
	    "a later status-like line is a note; a malformed status is bad");
	changes_free(&back);

	/* a note with newlines cannot forge a status line */
	snprintf(path2, sizeof(path2), "%s/forged.ldif", dir);
	u = undo_create(path2, "certbulk\nmade 2026-01-02T03:04:05.678Z by x");
	c = changes_add(&cs, "CN=forged,DC=x");
	strlist_add(&c->add, "X509:<I>CN=a<SR>01");
	strlist_add(&c->notes,
	    "from x\n# certbulk-record: 1 status: failed\ny.cer: CN=a");
	undo_add(u, c);
	undo_close(u);
	tap_ok(undo_read(path2, &back, &bad, made) == 0 && back.n == 1 &&
	    bad == 0, "the forged status line does not skip the record");
	tap_ok(back.n == 1 && back.v[0].notes.n == 1 &&
	    strstr(back.v[0].notes.v[0], "\\x0A# certbulk-record") != NULL,
	    "the note's newlines are escaped");
	tap_is(made, "2026-01-02T03:04:05.678", "the header's run time is read");
	changes_free(&back);

	/* the objectGUID line counts only right after the status line */
	write_file(bad_path, "# certbulk-record: 1 status: done\n"
	    "# certbulk-guid: 00112233445566778899aabbccddeeff\n"
	    "dn: CN=i,DC=x\nchangetype: modify\n"
	    "delete: altSecurityIdentities\naltSecurityIdentities: v\n-\n\n"
	    "# certbulk-record: 2 status: done\n# note\n"
	    "# certbulk-guid: 00112233445566778899aabbccddeeff\n"
	    "dn: CN=j,DC=x\nchangetype: modify\n"
	    "delete: altSecurityIdentities\naltSecurityIdentities: v\n-\n");
	tap_ok(undo_read(bad_path, &back, &bad, NULL) == 0 && back.n == 2 &&
	    back.v[0].guid != NULL && strcmp(back.v[0].guid,
	    "00112233445566778899aabbccddeeff") == 0 &&
	    back.v[1].guid == NULL && back.v[1].notes.n == 2,
	    "the GUID is read from its place only");
	changes_free(&back);

	/* the file must be ours and closed to others, and no link */
	chmod(path2, 0620);
	tap_ok(undo_read(path2, &back, &bad, NULL) == -1,
	    "a group-writable undo file is refused");
	chmod(path2, 0600);
	snprintf(link, sizeof(link), "%s/link.ldif", dir);
	tap_ok(symlink(path2, link) == 0 &&
	    undo_read(link, &back, &bad, NULL) == -1,
	    "an undo file read through a symbolic link is refused");
	if (geteuid() == 0) {
		tap_ok(chown(path2, 65534, 65534) == 0 &&
		    undo_read(path2, &back, &bad, NULL) == -1,
		    "an undo file of another user is refused");
	} else
		tap_ok(1, "# SKIP not root: cannot give a file away");
	changes_free(&back);
	unlink(link);
	unlink(path2);

	changes_free(&cs);
	unlink(path);
	unlink(bad_path);
	rmdir(dir);
	return tap_done();
}
