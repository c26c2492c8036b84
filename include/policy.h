/*
 * policy: which accounts a run may change, and whether a CSV row's
 * certificate belongs to the account the row names.  Every refusal is a
 * row error (the batch goes on) with one of the stable reason codes
 * below, for reports and monitoring.
 */
#ifndef CERTBULK_POLICY_H
#define CERTBULK_POLICY_H

#include <stddef.h>

#include "cert.h"
#include "dir.h"
#include "input.h"

/* Reason codes of the refusals made here (stable: reports use them). */
#define POLICY_IDENTITY		"identity-mismatch"
#define POLICY_PROTECTED	"protected"
#define POLICY_SCOPE		"out-of-scope"
#define POLICY_DISABLED		"disabled"

struct policy {
	/* options; the strings are copies, owned */
	struct strlist	 allow;		/* --allow-protected NAME */
	struct strlist	 scope;		/* --scope DN */
	struct strlist	 groups;	/* --group DN */
	int		 trust_csv;	/* --trust-csv */
	int		 skip_disabled;	/* --skip-disabled */
	/* from the directory, by policy_load; owned */
	struct accounts	 prot;		/* members of the protected groups */
	size_t		*prot_grp;	/* per prot account: index in grpname */
	struct strlist	 grpname;	/* the protected groups' names */
	struct accounts	 members;	/* members of the --group groups */
	int		 loaded;
};

/*
 * Reads what the checks need from the directory, a fixed number of
 * searches per run whatever the batch's size: the members of the
 * protected groups and of each --group (transitively where the server
 * has the in-chain rule; directly by memberOf elsewhere, with a
 * warning), and that each --scope and --group entry exists.  Returns 0,
 * 1 when an option names nothing (reported: a usage error), or -1 when
 * the directory failed (reported).
 */
int	policy_load(struct policy *, struct dir *);

/*
 * Checks IT against its account A: identities, scope, protection,
 * disabled.  Refusals and warnings are reported, naming the row and the
 * account.  Returns NULL to go on, or the reason code of a refusal.
 */
const char *policy_check(const struct policy *, const struct item *it,
	    const struct account *a);

/* Frees what the policy owns; the struct can be filled again. */
void	policy_free(struct policy *);

#endif
