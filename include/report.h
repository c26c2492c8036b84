/*
 * report: the --report file, one line per input row, certificate file or
 * plan value with its outcome, for monitoring; and the reason codes that
 * a refusal carries.  A reason code is a short stable string: other
 * modules (policy, sync) set their own codes on an item and they reach
 * the report unchanged.
 */
#ifndef CERTBULK_REPORT_H
#define CERTBULK_REPORT_H

#include <stddef.h>

/* Outcomes. */
#define REPORT_MAPPED	"mapped"	/* values added */
#define REPORT_ALREADY	"already-mapped" /* every value was there */
#define REPORT_PLANNED	"planned"	/* preview: would be added */
#define REPORT_REFUSED	"refused"	/* left out: a failure of the row */
#define REPORT_SKIPPED	"skipped"	/* left out, expected: not a failure */
#define REPORT_FAILED	"failed"	/* the server refused the modify */
#define REPORT_UNSENT	"unsent"	/* not sent (--strict, lost, signal) */
#define REPORT_REMOVED	"removed"	/* values removed (pruning) */

/* Reason codes of refusals. */
#define REASON_EXPIRED		"expired"
#define REASON_NOT_YET_VALID	"not-yet-valid"
#define REASON_UNKNOWN_USER	"unknown-user"	/* no account found */
#define REASON_AMBIGUOUS	"ambiguous-user" /* more than one found */
#define REASON_NO_KEY		"no-account-key" /* nothing to look up by */
#define REASON_BAD_CERT		"bad-certificate" /* no value can be built */
#define REASON_DUP		"duplicate-holder" /* another account has it */
#define REASON_CHAIN		"chain"		/* does not verify (--ca-file) */
#define REASON_REVOKED		"revoked"	/* ... revoked (--crl-file) */
#define REASON_LDAP		"ldap-error"	/* the server refused */
#define REASON_WRONG_DOMAIN	"wrong-domain"	/* DOMAIN\user of another */
#define REASON_SID_MISMATCH	"sid-mismatch"	/* SID extension: another */
#define REASON_OUT_OF_BASE	"out-of-base"	/* DN row outside -b */
#define REASON_BAD_INPUT	"bad-input"	/* row or file unusable */
#define REASON_INPUT_MISSING	"input-missing"	/* --csv/--certdir unusable */
#define REASON_ACCOUNT_CHANGED	"account-changed" /* plan: another object */
#define REASON_SUPERSEDED	"superseded"	/* --prune: a newer card mapped */
#define REASON_NO_WEAK		"no-weak-mapping" /* --upgrade-weak: none held */
#define REASON_PLAN		"refused"	/* generic, no code given */

/*
 * Expected refusals of --certdir runs: counted and reported, not
 * failures, unless --fail-on names them.
 */
#define REPORT_FAIL_EXPIRED	1u
#define REPORT_FAIL_NYV		2u
#define REPORT_FAIL_UNKNOWN	4u

/*
 * Parses --fail-on LIST (expired, not-yet-valid, unknown-user, all) into
 * *MASK.  Returns 0, or -1 after reporting.
 */
int	report_parse_failon(const char *list, unsigned *mask);

/*
 * 1 if a refusal for REASON of an item found from its certificate alone
 * (--certdir) is expected, given the --fail-on MASK; else 0.
 */
int	report_expected(const char *reason, unsigned failon);

/* One line of the report; every field may be NULL but SOURCE, OUTCOME. */
struct report_row {
	const char		*source;	/* "users.csv:3", a path */
	const char		*outcome;	/* REPORT_* */
	const char		*reason;	/* REASON_* or another code */
	const char		*account;	/* DN */
	const char *const	*values;	/* the row's values */
	size_t			 nvalues;
	const char		*cert;		/* SHA-1 thumbprint */
	const char		*detail;	/* e.g. the LDAP result */
	const char		*server;	/* the URI of the DC of another
						   domain the row's change went
						   to, or NULL: report_server's */
};

struct report;

/*
 * Creates the report file PATH (mode 0600, never through a symbolic
 * link; "-" is stdout), CSV with a header line, or a JSON array with one
 * object per line when JSON.  Returns NULL after reporting.
 */
struct report	*report_open(const char *path, int json);
/* Writes one row. 0 or -1 (reported once; later rows are dropped). */
int		 report_row(struct report *, const struct report_row *);
/* Names the domain controller the run read and wrote (dir_server): the
   server field of every row written after; 0 or -1. */
int		 report_server(struct report *, const char *server);
/* Ends, flushes and closes; 0 or -1 (reported). NULL: a no-op, 0. */
int		 report_close(struct report *);

#endif
