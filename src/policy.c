/*
 * policy: identity agreement, protected accounts, scope, disabled
 * accounts.  The checks use only what the account lookup read (see
 * dir_attrs) and what policy_load read once per run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "altsec.h"
#include "msg.h"
#include "policy.h"
#include "sbuf.h"

/*
 * The groups AD protects with AdminSDHolder (and that a stolen
 * certificate would make its holder a member of): domain RIDs, then
 * builtin ones (S-1-5-32-RID).  Enterprise Admins (519) is a member of
 * every domain's Administrators, so it is found from a child domain too.
 */
static const unsigned policy_rids[] = {
	512,	/* Domain Admins */
	516,	/* Domain Controllers */
	518,	/* Schema Admins */
	519,	/* Enterprise Admins */
	521,	/* Read-only Domain Controllers */
	526,	/* Key Admins */
	527,	/* Enterprise Key Admins */
};
static const unsigned policy_builtin[] = {
	544,	/* Administrators */
	548,	/* Account Operators */
	549,	/* Server Operators */
	550,	/* Print Operators */
	551,	/* Backup Operators */
	552,	/* Replicator */
};
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

void
policy_free(struct policy *p)
{
	strlist_free(&p->allow);
	strlist_free(&p->scope);
	strlist_free(&p->groups);
	strlist_free(&p->grpname);
	accounts_free(&p->prot);
	accounts_free(&p->members);
	free(p->prot_grp);
	p->prot_grp = NULL;
	p->loaded = 0;
}

/* Records that accounts FROM.. of p->prot were found in group GRP. */
static int
policy_mark(struct policy *p, size_t from, size_t grp)
{
	size_t	*v, i;

	if (p->prot.n == 0)
		return 0;
	if ((v = realloc(p->prot_grp, p->prot.n * sizeof(*v))) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	p->prot_grp = v;
	for (i = from; i < p->prot.n; i++)
		v[i] = grp;
	return 0;
}

int
policy_load(struct policy *p, struct dir *d)
{
	struct strlist	 gdns = { NULL, 0 };
	size_t		 i, before;
	int		 chain = dir_is_ad(d), r, rc = -1;

	for (i = 0; i < p->scope.n; i++) {
		if ((r = dir_entry_exists(d, p->scope.v[i])) == -1)
			goto out;
		if (r == 1) {
			msg_err("--scope %s: no such entry in this directory",
			    p->scope.v[i]);
			rc = 1;
			goto out;
		}
	}
	for (i = 0; i < p->groups.n; i++) {
		if ((r = dir_entry_exists(d, p->groups.v[i])) == -1)
			goto out;
		if (r == 1) {
			msg_err("--group %s: no such entry in this directory",
			    p->groups.v[i]);
			rc = 1;
			goto out;
		}
		before = p->members.n;
		if (dir_group_members(d, p->groups.v[i], chain,
		    &p->members) == -1)
			goto out;
		msg_info("--group %s: %zu member accounts", p->groups.v[i],
		    p->members.n - before);
	}
	/* never silently everyone: say what --group means here */
	if (p->groups.n > 0 && !chain)
		msg_warn("this directory is not Active Directory: it has no "
		    "in-chain matching rule (1.2.840.113556.1.4.1941), so "
		    "--group takes the direct members named by memberOf only "
		    "(nested groups are not followed; without a memberOf "
		    "attribute, no account is a member)");
	if (dir_protected_groups(d, policy_rids, NELEM(policy_rids),
	    policy_builtin, NELEM(policy_builtin), &gdns, &p->grpname) == -1)
		goto out;
	for (i = 0; i < gdns.n; i++) {
		before = p->prot.n;
		if (dir_group_members(d, gdns.v[i], chain, &p->prot) == -1 ||
		    policy_mark(p, before, i) == -1)
			goto out;
	}
	msg_info("protected groups: %zu found, %zu member accounts%s",
	    gdns.n, p->prot.n, chain ? " (nested groups followed)" :
	    " (direct members only)");
	p->loaded = 1;
	rc = 0;
out:
	strlist_free(&gdns);
	return rc;
}

/* The RID: the last sub-authority of SID, or 0. */
static unsigned long
policy_rid(const char *sid)
{
	const char	*p;

	if (sid == NULL || (p = strrchr(sid, '-')) == NULL)
		return 0;
	return strtoul(p + 1, NULL, 10);
}

/* 1 if --allow-protected names A (sAMAccountName, UPN, DN or SID). */
static int
policy_allowed(const struct policy *p, const struct account *a)
{
	const char	*n;
	size_t		 i;

	for (i = 0; i < p->allow.n; i++) {
		n = p->allow.v[i];
		if ((a->sam != NULL && strcasecmp(n, a->sam) == 0) ||
		    (a->upn != NULL && altsec_casecmp(n, a->upn) == 0) ||
		    (a->sid != NULL && strcasecmp(n, a->sid) == 0) ||
		    (strchr(n, '=') != NULL && dir_dn_equal(n, a->dn)))
			return 1;
	}
	return 0;
}

/* Appends why A is a protected account to B ("; "-separated). */
static void
policy_protected_why(const struct policy *p, const struct account *a,
    struct sbuf *b)
{
	unsigned long	 rid = policy_rid(a->sid);
	long		 i;
	size_t		 k;
	const char	*sep = "";

#define WHY(...)	do { sbuf_puts(b, sep); sbuf_printf(b, __VA_ARGS__); \
			    sep = "; "; } while (0)
	if ((a->sam != NULL && (strcasecmp(a->sam, "krbtgt") == 0 ||
	    strncasecmp(a->sam, "krbtgt_", 7) == 0)) || rid == 502)
		WHY("the KDC's own account (krbtgt)");
	if (rid == 500)
		WHY("the built-in Administrator (RID 500)");
	if (a->uac & DIR_UAC_SERVER_TRUST)
		WHY("a domain controller (SERVER_TRUST_ACCOUNT)");
	if (a->uac & DIR_UAC_PARTIAL_SECRETS)
		WHY("a read-only domain controller (PARTIAL_SECRETS_ACCOUNT)");
	if (a->uac & DIR_UAC_TRUSTED_DELEG)
		WHY("trusted for unconstrained delegation "
		    "(TRUSTED_FOR_DELEGATION)");
	if (a->uac & DIR_UAC_T2A4D)
		WHY("trusted to authenticate for delegation "
		    "(TRUSTED_TO_AUTH_FOR_DELEGATION)");
	if (a->admincount)
		WHY("adminCount=1 (a present or past member of a protected "
		    "group)");
	if ((i = accounts_find(&p->prot, a->dn)) >= 0)
		WHY("a member of the protected group %s",
		    p->grpname.v[p->prot_grp[i]]);
	for (k = 0; k < NELEM(policy_rids); k++)
		if (a->pgid == policy_rids[k])
			WHY("its primary group is a protected group (RID %lu)",
			    a->pgid);
#undef WHY
}

/*
 * Identity agreement for a CSV row: the certificate's SID, UPN and
 * e-mail addresses against the account the row names.  Appends each
 * disagreement to B; returns how many.
 */
static int
policy_identity(const struct item *it, const struct account *a,
    struct sbuf *b)
{
	const char	*mails[2] = { INPUT_RARE(it)->email,
			    INPUT_RARE(it)->subj_email };
	const char	*sep = "";
	int		 n = 0, i;

	/* SIDs compare exactly; only the "S" may be in either case */
	if (it->fact.sid != NULL && a->sid != NULL &&
	    strcasecmp(it->fact.sid, a->sid) != 0) {
		sbuf_printf(b, "%sthe certificate's SID is %s, the account's "
		    "objectSid %s", sep, it->fact.sid, a->sid);
		sep = "; ";
		n++;
	}
	/* as AD compares them: case-insensitively */
	if (it->fact.upn != NULL && a->upn != NULL &&
	    altsec_casecmp(it->fact.upn, a->upn) != 0) {
		sbuf_printf(b, "%sthe certificate's UPN is %s, the account's "
		    "userPrincipalName %s", sep, it->fact.upn, a->upn);
		sep = "; ";
		n++;
	}
	for (i = 0; i < 2; i++) {
		if (mails[i] == NULL || (i == 1 && mails[0] != NULL &&
		    altsec_casecmp(mails[0], mails[1]) == 0))
			continue;
		/* an address is the account's if it is its mail or its UPN */
		if ((a->mail == NULL && a->upn == NULL) ||
		    (a->mail != NULL && altsec_casecmp(mails[i], a->mail) ==
		    0) || (a->upn != NULL && altsec_casecmp(mails[i],
		    a->upn) == 0))
			continue;
		sbuf_printf(b, "%sthe certificate's %s e-mail is %s, the "
		    "account's %s %s", sep, i == 0 ? "SAN" : "subject",
		    mails[i], a->mail ? "mail" : "userPrincipalName",
		    a->mail ? a->mail : a->upn);
		sep = "; ";
		n++;
	}
	return n;
}

/* 1 if A is inside --scope and --group (each when given). */
static int
policy_in_scope(const struct policy *p, const struct account *a)
{
	size_t	i;
	int	in = p->scope.n == 0;

	for (i = 0; i < p->scope.n && !in; i++)
		in = dir_dn_under(a->dn, p->scope.v[i]);
	if (in && p->groups.n > 0)
		in = accounts_find(&p->members, a->dn) >= 0;
	return in;
}

/* "--scope A, B and --group C": what the scope is, for messages. */
static void
policy_scope_text(const struct policy *p, struct sbuf *b)
{
	size_t	i;

	for (i = 0; i < p->scope.n; i++)
		sbuf_printf(b, "%s%s", i ? " or " : "under ", p->scope.v[i]);
	if (p->scope.n > 0 && p->groups.n > 0)
		sbuf_puts(b, " and ");
	for (i = 0; i < p->groups.n; i++)
		sbuf_printf(b, "%s%s", i ? " or " : "a member of ",
		    p->groups.v[i]);
}

const char *
policy_check(const struct policy *p, const struct item *it,
    const struct account *a)
{
	struct sbuf	 b = SBUF_INIT;
	const char	*code = NULL;

	if (p == NULL)
		return NULL;
	/* a CSV row names its account; the certificate must agree */
	if (it->kind != ID_MATCH && policy_identity(it, a, &b) > 0) {
		if (!p->trust_csv) {
			msg_err("%s: the certificate is not \"%s\"'s: %s; not "
			    "mapped [%s] (--trust-csv maps it anyway)",
			    INPUT_SRC(it),
			    a->dn, b.s ? b.s : "?", POLICY_IDENTITY);
			code = POLICY_IDENTITY;
			goto out;
		}
		msg_warn("%s: the certificate does not agree with \"%s\": %s; "
		    "mapped as the CSV says (--trust-csv)", INPUT_SRC(it),
		    a->dn,
		    b.s ? b.s : "?");
	}
	sbuf_reset(&b);
	if (!policy_in_scope(p, a)) {
		policy_scope_text(p, &b);
		msg_err("%s: \"%s\" is outside the scope of this run (%s); not "
		    "mapped [%s]", INPUT_SRC(it), a->dn, b.s ? b.s : "?",
		    POLICY_SCOPE);
		code = POLICY_SCOPE;
		goto out;
	}
	sbuf_reset(&b);
	policy_protected_why(p, a, &b);
	if (b.len > 0) {
		if (!policy_allowed(p, a)) {
			msg_err("%s: \"%s\" is a protected account: %s; whoever "
			    "holds this certificate could log on as it; not "
			    "mapped [%s] (--allow-protected %s maps it)",
			    INPUT_SRC(it), a->dn, b.s, POLICY_PROTECTED,
			    a->sam ? a->sam : a->dn);
			code = POLICY_PROTECTED;
			goto out;
		}
		msg_warn("%s: \"%s\" is a protected account: %s; mapped because "
		    "--allow-protected names it", INPUT_SRC(it), a->dn, b.s);
	}
	if (a->uac & DIR_UAC_DISABLED) {
		if (p->skip_disabled) {
			msg_err("%s: \"%s\" is disabled; not mapped [%s] "
			    "(--skip-disabled)", INPUT_SRC(it), a->dn,
			    POLICY_DISABLED);
			code = POLICY_DISABLED;
			goto out;
		}
		msg_warn("%s: \"%s\" is disabled (mapped all the same; "
		    "--skip-disabled leaves disabled accounts out)",
		    INPUT_SRC(it),
		    a->dn);
	}
out:
	sbuf_reset(&b);
	return code;
}
