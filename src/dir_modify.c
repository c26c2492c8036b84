/*
 * The directory's writes: single-value modifies sent asynchronously
 * (the apply pipeline waits for them), the NTAuth entry's creation, and
 * LDAP transactions (RFC 5805) where the server has them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldap.h>

#include "dir_int.h"
#include "dir_iobuf.h"
#include "msg.h"
#include "ntauth.h"
#include "sbuf.h"

/*
 * Fills an LDAPMod of single values of ATTR (NULL: altSecurityIdentities);
 * the bervals point into VALS, or for a binary ATTR into bytes decoded
 * from VALS' hex, kept in BIN for the caller to free.  0 or -1 (reported).
 */
static int
dir_fill_mod(LDAPMod *m, int op, const char *attr, char *const *vals,
    size_t n, struct berval *bv, struct berval **bvp, unsigned char **bin)
{
	size_t	i, len;

	for (i = 0; i < n; i++) {
		if (attr != NULL) {
			if (ntauth_unhex(vals[i], &bin[i], &len) == -1) {
				msg_err("out of memory");
				return -1;
			}
			bv[i].bv_val = (char *)bin[i];
			bv[i].bv_len = len;
		} else {
			bv[i].bv_val = vals[i];
			bv[i].bv_len = strlen(vals[i]);
		}
		bvp[i] = &bv[i];
	}
	bvp[n] = NULL;
	m->mod_op = op | LDAP_MOD_BVALUES;
	m->mod_type = (char *)(uintptr_t)(attr ? attr :
	    "altSecurityIdentities");
	m->mod_bvalues = bvp;
	return 0;
}

/*
 * Sends the add of the NTAuth entry holding DM's cACertificate values,
 * with what its class certificationAuthority requires, as certutil
 * -dspublish makes it: cn, and one zero byte in authorityRevocationList
 * and certificateRevocationList.
 */
static int
dir_ntauth_add_send(struct dir *d, const struct dir_mod *dm,
    LDAPMod *cert)
{
	static char	 zero[1] = { 0 };
	struct berval	 zbv = { 1, zero }, *zv[2] = { &zbv, NULL };
	char		*oc[] = { (char *)(uintptr_t)"top",
			    (char *)(uintptr_t)"certificationAuthority", NULL };
	char		*cn[] = { (char *)(uintptr_t)"NTAuthCertificates", NULL };
	LDAPMod		 m[4], *mp[6];
	int		 msgid = -1, r;

	m[0].mod_op = LDAP_MOD_ADD;
	m[0].mod_type = (char *)(uintptr_t)"objectClass";
	m[0].mod_values = oc;
	m[1].mod_op = LDAP_MOD_ADD;
	m[1].mod_type = (char *)(uintptr_t)"cn";
	m[1].mod_values = cn;
	m[2].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
	m[2].mod_type = (char *)(uintptr_t)"authorityRevocationList";
	m[2].mod_bvalues = zv;
	m[3].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
	m[3].mod_type = (char *)(uintptr_t)"certificateRevocationList";
	m[3].mod_bvalues = zv;
	mp[0] = &m[0];
	mp[1] = &m[1];
	mp[2] = cert;
	mp[3] = &m[2];
	mp[4] = &m[3];
	mp[5] = NULL;
	r = ldap_add_ext(d->ld, dm->dn, mp, NULL, NULL, &msgid);
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "add");
		msgid = -1;
	}
	return msgid;
}

void
dir_write_batch(struct dir *d, int on)
{
	dir_iobuf_batch(d->ld, on);
}

int
dir_mod_send(struct dir *d, const struct dir_mod *dm, int permissive)
{
	LDAPMod		 mods[2], *mp[3];
	LDAPControl	 pc, tc, *ctrls[3];
	struct berval	*bv = NULL, **bvp = NULL;
	unsigned char	**bin = NULL;
	size_t		 nv = dm->nadd + dm->ndel, k = 0, c = 0, i;
	int		 msgid = -1, r;

	if ((bv = calloc(nv + 1, sizeof(*bv))) == NULL ||
	    (bvp = calloc(nv + 2, sizeof(*bvp))) == NULL ||
	    (bin = calloc(nv + 1, sizeof(*bin))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (dm->entry == -1) {		/* the NTAuth entry's last value */
		r = ldap_delete_ext(d->ld, dm->dn, NULL, NULL, &msgid);
		if (r != LDAP_SUCCESS) {
			dir_report(d, r, "delete");
			msgid = -1;
		}
		goto out;
	}
	/* Deletes first: a value moving between forms stays consistent. */
	if (dm->ndel > 0) {
		if (dir_fill_mod(&mods[k], LDAP_MOD_DELETE, dm->attr, dm->del,
		    dm->ndel, bv, bvp, bin) == -1)
			goto out;
		mp[k] = &mods[k];
		k++;
	}
	if (dm->nadd > 0) {
		if (dir_fill_mod(&mods[k], LDAP_MOD_ADD, dm->attr, dm->add,
		    dm->nadd, bv + dm->ndel, bvp + dm->ndel + (dm->ndel > 0),
		    bin + dm->ndel) == -1)
			goto out;
		mp[k] = &mods[k];
		k++;
	}
	mp[k] = NULL;
	if (dm->entry == 1) {
		msgid = k == 1 && dm->ndel == 0 ? dir_ntauth_add_send(d, dm,
		    mp[0]) : -1;
		goto out;
	}
	if (permissive) {
		memset(&pc, 0, sizeof(pc));
		pc.ldctl_oid = (char *)(uintptr_t)DIR_OID_PERMISSIVE;
		ctrls[c++] = &pc;
	}
	if (d->txnid != NULL) {
		memset(&tc, 0, sizeof(tc));
		tc.ldctl_oid = (char *)(uintptr_t)LDAP_CONTROL_TXN_SPEC;
		tc.ldctl_value = *d->txnid;
		tc.ldctl_iscritical = 1;
		ctrls[c++] = &tc;
	}
	ctrls[c] = NULL;
	r = ldap_modify_ext(d->ld, dm->dn, mp, c ? ctrls : NULL, NULL, &msgid);
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "modify");
		msgid = -1;
	}
out:
	for (i = 0; bin != NULL && i < nv; i++)
		free(bin[i]);
	free(bin);
	free(bv);
	free(bvp);
	return msgid;
}

/* 1 if URL is among the referrals D has seen already. */
static int
dir_ref_known(const struct dir *d, const char *url)
{
	size_t	i;

	for (i = 0; i < d->referrals.n; i++)
		if (strcmp(d->referrals.v[i], url) == 0)
			return 1;
	return 0;
}

/* The reply RES to a modify (freed here), as dir_mod_wait returns it. */
static void
dir_mod_result(struct dir *d, LDAPMessage *res, int *msgid, int *rc,
    char **diag)
{
	char		*text = NULL, **refs = NULL;
	const char	*shown;
	size_t		 i;
	int		 r;

	*msgid = ldap_msgid(res);
	r = ldap_parse_result(d->ld, res, rc, NULL, &text, &refs, NULL, 1);
	if (r != LDAP_SUCCESS)
		*rc = r;
	/* a referral (a read-only DC): kept for forest_apply, which follows
	 * it only within the forest; never chased by libldap */
	for (i = 0; r == LDAP_SUCCESS && *rc == LDAP_REFERRAL &&
	    refs != NULL && refs[i] != NULL; i++)
		if (!dir_ref_known(d, refs[i]) &&
		    strlist_add(&d->referrals, refs[i]) == -1)
			msg_err("out of memory");
	shown = text != NULL && *text != '\0' ? text : refs != NULL &&
	    refs[0] != NULL ? refs[0] : "";
	*diag = msg_escape(shown, strlen(shown));
	ber_memvfree((void **)refs);
	ldap_memfree(text);
	if (*diag == NULL)
		*diag = strdup("");
}

int
dir_mod_wait(struct dir *d, int *msgid, int *rc, char **diag)
{
	LDAPMessage	*res = NULL;

	if (dir_wait(d, LDAP_RES_ANY, 1, &res, "waiting for modify replies") ==
	    -1)
		return -1;
	dir_mod_result(d, res, msgid, rc, diag);
	return 0;
}

int
dir_mod_poll(struct dir *d, int *msgid, int *rc, char **diag)
{
	LDAPMessage	*res = NULL;
	int		 r;

	if ((r = dir_poll(d, &res, "waiting for modify replies")) == 1)
		dir_mod_result(d, res, msgid, rc, diag);
	return r;
}

int
dir_txn_begin(struct dir *d)
{
	int	r;

	if ((r = ldap_txn_start_s(d->ld, NULL, NULL, &d->txnid)) !=
	    LDAP_SUCCESS) {
		dir_report(d, r, "transaction start");
		d->txnid = NULL;
		return -1;
	}
	return 0;
}

/*
 * Ends the transaction.  The reply is parsed here rather than by
 * ldap_txn_end_s, which in libldap 2.5 fails with "Decoding error" on a
 * refused commit and loses the server's reason.
 */
int
dir_txn_end(struct dir *d, int commit, int *failed)
{
	LDAPMessage	*res = NULL;
	struct berval	*data = NULL;
	BerElement	*ber = NULL;
	ber_len_t	 len;
	ber_int_t	 id;
	char		*text = NULL, *diag;
	int		 r, msgid, err = LDAP_OTHER, rc = -1;

	*failed = -1;
	r = ldap_txn_end(d->ld, commit, d->txnid, NULL, NULL, &msgid);
	ber_bvfree(d->txnid);
	d->txnid = NULL;
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "transaction end");
		return -1;
	}
	if (dir_wait(d, msgid, 1, &res, "transaction end") == -1)
		goto out;
	if ((r = ldap_parse_result(d->ld, res, &err, NULL, &text, NULL, NULL,
	    0)) != LDAP_SUCCESS)
		err = r;
	/* txnEndRes: SEQUENCE { messageID of the failed update OPTIONAL } */
	if (err != LDAP_SUCCESS && ldap_parse_extended_result(d->ld, res, NULL,
	    &data, 0) == LDAP_SUCCESS && data != NULL &&
	    (ber = ber_init(data)) != NULL &&
	    ber_scanf(ber, "{") != LBER_ERROR &&
	    ber_peek_tag(ber, &len) == LBER_INTEGER &&
	    ber_scanf(ber, "i", &id) != LBER_ERROR)
		*failed = (int)id;
	if (err != LDAP_SUCCESS) {
		diag = msg_escape(text ? text : "", text ? strlen(text) : 0);
		msg_err("%s: transaction %s refused: %s (%d)%s%s%s", d->uri,
		    commit ? "commit" : "abort", ldap_err2string(err), err,
		    diag && *diag ? ": \"" : "", diag ? diag : "",
		    diag && *diag ? "\"" : "");
		free(diag);
		goto out;
	}
	rc = 0;
out:
	if (ber != NULL)
		ber_free(ber, 1);
	ber_bvfree(data);
	ldap_memfree(text);
	ldap_msgfree(res);
	return rc;
}
