/*
 * test_policy: policy_check's rules, table-driven, on made-up accounts
 * and rows (the directory side is tests/t/70-*-policy.t).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "policy.h"
#include "tap.h"

#define DOM	"S-1-5-21-1-2-3"

static const struct {
	const char	*name;
	enum id_kind	 kind;
	const char	*csid, *cupn, *cmail, *csubj;	/* the certificate */
	const char	*dn, *sam, *upn, *mail, *sid;	/* the account */
	unsigned long	 uac, pgid;
	int		 admincount;
	int		 trust, skipdis;
	const char	*allow, *scope;
	const char	*want;				/* reason or NULL */
} cases[] = {
	{ "all agree", ID_SAM, DOM "-1104", "a@x.lan", "A@X.LAN", NULL,
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", "a@x.lan", DOM "-1104",
	  0, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "no identity in the certificate", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", "a@x.lan", DOM "-1104",
	  0, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "UPN differs", ID_SAM, NULL, "b@x.lan", NULL, NULL,
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", NULL, DOM "-1104",
	  0, 0, 0, 0, 0, NULL, NULL, POLICY_IDENTITY },
	{ "UPN differs, --trust-csv", ID_SAM, NULL, "b@x.lan", NULL, NULL,
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", NULL, DOM "-1104",
	  0, 0, 0, 1, 0, NULL, NULL, NULL },
	{ "SID differs", ID_UPN, DOM "-1105", NULL, NULL, NULL,
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", NULL, DOM "-1104",
	  0, 0, 0, 0, 0, NULL, NULL, POLICY_IDENTITY },
	{ "SID differs in the last digit only", ID_UPN, DOM "-11040", NULL,
	  NULL, NULL, "CN=a,CN=Users,DC=x", "a", NULL, NULL, DOM "-1104",
	  0, 0, 0, 0, 0, NULL, NULL, POLICY_IDENTITY },
	{ "e-mail is the account's UPN", ID_SAM, NULL, NULL, "a@x.lan", NULL,
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", "first.last@x.lan", NULL,
	  0, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "subject e-mail differs", ID_SAM, NULL, NULL, NULL, "b@x.lan",
	  "CN=a,CN=Users,DC=x", "a", "a@x.lan", "a@x.lan", NULL,
	  0, 0, 0, 0, 0, NULL, NULL, POLICY_IDENTITY },
	{ "--certdir: UPN not compared here", ID_MATCH, NULL, "b@x.lan", NULL,
	  NULL, "CN=a,CN=Users,DC=x", "a", "a@x.lan", NULL, NULL,
	  0, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "krbtgt", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=krbtgt,CN=Users,DC=x", "krbtgt", NULL, NULL, DOM "-502",
	  0, 0, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "krbtgt_ of an RODC", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=krbtgt_4711,CN=Users,DC=x", "krbtgt_4711", NULL, NULL,
	  DOM "-1601", 0, 0, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "RID 500 renamed", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=root,CN=Users,DC=x", "root", NULL, NULL, DOM "-500",
	  0, 0, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "RID 5000 is not 500", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=u,CN=Users,DC=x", "u", NULL, NULL, DOM "-5000",
	  0, 0, 0, 0, 0, NULL, NULL, NULL },
	{ "DC", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=DC1,OU=Domain Controllers,DC=x", "DC1$", NULL, NULL,
	  DOM "-1000", 0x82000, 516, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "unconstrained delegation", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=SRV,CN=Computers,DC=x", "SRV$", NULL, NULL, DOM "-1200",
	  0x81000, 515, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "protocol transition", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=svc,CN=Users,DC=x", "svc", NULL, NULL, DOM "-1201",
	  0x1000200, 513, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "adminCount", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=adm,CN=Users,DC=x", "adm", NULL, NULL, DOM "-1202",
	  0x200, 513, 1, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "primary group Domain Admins", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=adm,CN=Users,DC=x", "adm", NULL, NULL, DOM "-1203",
	  0x200, 512, 0, 0, 0, NULL, NULL, POLICY_PROTECTED },
	{ "allowed by sAMAccountName", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=adm,CN=Users,DC=x", "adm", NULL, NULL, DOM "-1202",
	  0x200, 513, 1, 0, 0, "ADM", NULL, NULL },
	{ "allowed by DN", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=adm,CN=Users,DC=x", "adm", NULL, NULL, DOM "-1202",
	  0x200, 513, 1, 0, 0, "cn=adm, cn=users, dc=x", NULL, NULL },
	{ "allowed by SID", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=root,CN=Users,DC=x", "root", NULL, NULL, DOM "-500",
	  0, 0, 0, 0, 0, DOM "-500", NULL, NULL },
	{ "another allowed, not this one", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=root,CN=Users,DC=x", "root", NULL, NULL, DOM "-500",
	  0, 0, 0, 0, 0, "adm", NULL, POLICY_PROTECTED },
	{ "disabled: a warning", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=u,CN=Users,DC=x", "u", NULL, NULL, NULL,
	  0x202, 513, 0, 0, 0, NULL, NULL, NULL },
	{ "disabled, --skip-disabled", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=u,CN=Users,DC=x", "u", NULL, NULL, NULL,
	  0x202, 513, 0, 0, 1, NULL, NULL, POLICY_DISABLED },
	{ "in --scope", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=u,OU=Staff,DC=x", "u", NULL, NULL, NULL,
	  0x200, 513, 0, 0, 0, NULL, "ou=staff,dc=x", NULL },
	{ "outside --scope", ID_SAM, NULL, NULL, NULL, NULL,
	  "CN=u,OU=Staffing,DC=x", "u", NULL, NULL, NULL,
	  0x200, 513, 0, 0, 0, NULL, "OU=Staff,DC=x", POLICY_SCOPE },
};

int
main(void)
{
	struct policy	 p;
	struct item	 it;
	struct itemrare	 rare;
	struct account	 a;
	const char	*got;
	size_t		 i;

	msg_verbosity = MSG_SILENT;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&p, 0, sizeof(p));
		memset(&it, 0, sizeof(it));
		memset(&a, 0, sizeof(a));
		p.trust_csv = cases[i].trust;
		p.skip_disabled = cases[i].skipdis;
		if (cases[i].allow != NULL)
			(void)strlist_add(&p.allow, cases[i].allow);
		if (cases[i].scope != NULL)
			(void)strlist_add(&p.scope, cases[i].scope);
		it.src = (char *)(uintptr_t)"t.csv:2";
		it.kind = cases[i].kind;
		it.fact.sid = (char *)(uintptr_t)cases[i].csid;
		it.fact.upn = (char *)(uintptr_t)cases[i].cupn;
		/* the rare facts live out of line (input.h) */
		memset(&rare, 0, sizeof(rare));
		rare.email = (char *)(uintptr_t)cases[i].cmail;
		rare.subj_email = (char *)(uintptr_t)cases[i].csubj;
		it.fact.rare = &rare;
		a.dn = (char *)(uintptr_t)cases[i].dn;
		a.sam = (char *)(uintptr_t)cases[i].sam;
		a.upn = (char *)(uintptr_t)cases[i].upn;
		a.mail = (char *)(uintptr_t)cases[i].mail;
		a.sid = (char *)(uintptr_t)cases[i].sid;
		a.uac = cases[i].uac;
		a.pgid = cases[i].pgid;
		a.admincount = cases[i].admincount;
		got = policy_check(&p, &it, &a);
		tap_is(got, cases[i].want, cases[i].name);
		policy_free(&p);
	}
	tap_ok(policy_check(NULL, &it, &a) == NULL, "no policy: no checks");
	return tap_done();
}
