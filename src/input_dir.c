/*
 * Certificates from the accounts' userCertificate (and, if asked,
 * userSMIMECertificate): several CAs and Exchange publish them there.
 */
#include <stdlib.h>
#include <string.h>

#include "input_dir.h"
#include "msg.h"
#include "sbuf.h"
#include "trust.h"

struct usercerts {
	struct input	*in;
	struct accounts	*acc;
	unsigned	 types;
	time_t		 now;
	int		 allow_expired;
	size_t		 nth;		/* values of the current account */
	long		 last;		/* its index in acc */
	size_t		 skipped;
};

/*
 * Leaves out of SET the certificates that could not log on anyway, with
 * a note each: an expired one, or one whose EKU excludes logon.  Only for
 * certificates found in the directory, where old and encryption-only
 * certificates stay published; the files an admin names are all checked
 * by the plan and refused loudly.
 */
static void
usercerts_filter(struct usercerts *u, const char *label, struct certset *set)
{
	const char	*why;
	char		 t[32];
	size_t		 i = 0;

	while (i < set->n) {
		why = NULL;
		if (!u->allow_expired && cert_not_after(set->v[i]) < u->now) {
			cert_fmt_time(cert_not_after(set->v[i]), t, sizeof(t));
			msg_note("%s: expired %s (%s); not mapped", label, t,
			    cert_subject_text(set->v[i]));
		} else if (!cert_is_ca(set->v[i]) &&
		    (why = trust_logon_eku(set->v[i])) != NULL)
			msg_note("%s: %s (%s); not mapped", label, why,
			    cert_subject_text(set->v[i]));
		else {
			i++;
			continue;
		}
		u->skipped++;
		certset_drop(set, i);
	}
}

static int
usercerts_cb(void *arg, size_t acct, const char *attr,
    const unsigned char *val, size_t len)
{
	struct usercerts	*u = arg;
	struct certset		 set = { NULL, 0 };
	struct sbuf		 label = SBUF_INIT;
	const char		*dn = u->acc->v[acct].dn;
	long			 n;
	int			 rc = -1;

	if ((long)acct != u->last) {
		u->last = (long)acct;
		u->nth = 0;
	}
	u->nth++;
	sbuf_printf(&label, "\"%s\" %s value %zu", dn, attr, u->nth);
	if (label.oom) {
		msg_err("out of memory");
		goto out;
	}
	/* not a certificate: this account's problem, not the batch's */
	if (cert_read_mem(label.s, val, len, 0, &set) == -1) {
		u->in->errors++;
		rc = 0;
		goto out;
	}
	usercerts_filter(u, label.s, &set);
	/* nothing left (input_add wants at least one certificate) */
	if (set.n > 0 && (n = input_add_certs(u->in, label.s, ID_DN, dn, &set,
	    u->types)) < 0) {
		msg_err("out of memory");
		goto out;
	}
	rc = 0;
out:
	certset_free(&set);
	sbuf_reset(&label);
	return rc;
}

int
input_usercerts(struct input *in, struct dir *d, int smime, unsigned types,
    time_t now, int allow_expired)
{
	struct accounts		 acc = { NULL, 0, NULL, 0 };
	struct usercerts	 u;
	size_t			 before = in->n;
	int			 rc = -1;

	memset(&u, 0, sizeof(u));
	u.in = in;
	u.acc = &acc;
	u.types = types;
	u.now = now;
	u.allow_expired = allow_expired;
	u.last = -1;
	if (dir_scan_usercerts(d, smime, &acc, usercerts_cb, &u) == -1)
		goto out;
	msg_note("%s under %s: %zu accounts hold certificates; %zu "
	    "certificates to map, %zu left out (expired or not for logon)",
	    smime ? "userCertificate and userSMIMECertificate" :
	    "userCertificate", dir_base(d), acc.n, in->n - before, u.skipped);
	rc = 0;
out:
	accounts_free(&acc);
	return rc;
}
