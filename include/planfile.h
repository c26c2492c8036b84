/*
 * planfile: the reviewed plan.  A preview (certbulk -n --output FILE) is
 * an LDIF file that ldapmodify also takes; its comments carry what
 * "certbulk apply FILE" checks before it writes:
 *
 *   # certbulk-plan: 1 sha256=HEX        everything after this line
 *   # certbulk-plan-made: EPOCH          when the plan was made
 *   # certbulk-plan-domain: DN           the domain it was made against
 *   # certbulk-plan-input: KIND sha256=HEX PATH   one per input
 *   ...
 *   # certbulk-guid: HEX                 per record: the account's GUID
 *   # certbulk-value: N sha1=HEX not-before=T not-after=T  per value
 *
 * An edited plan (the digest differs), one made for another directory,
 * one older than --max-age, or one in a file that is not the running
 * user's (or root's) or is writable by others, is refused whole.
 */
#ifndef CERTBULK_PLANFILE_H
#define CERTBULK_PLANFILE_H

#include <stddef.h>
#include <time.h>

#include "plan.h"
#include "sbuf.h"

#define PLANFILE_TAG	"# certbulk-plan: 1 sha256="
#define PLANFILE_MADE	"certbulk-plan-made: "
#define PLANFILE_DOMAIN	"certbulk-plan-domain: "
#define PLANFILE_INPUT	"certbulk-plan-input: "

/* What a plan says of one value it adds: its certificate. */
struct planval {
	char		sha1[41];
	long long	not_before;
	long long	not_after;
};

struct planfile {
	struct changes	  cs;		/* the records; guid when given */
	struct planval	**vals;		/* owned: per record, per add value */
	unsigned long	 *line;		/* owned: per record, its first line */
	time_t		  made;
	char		 *domain;	/* owned: as written (escaped) */
	struct strlist	  inputs;	/* the input lines, as written */
};

/*
 * Wraps BODY (the preview: header comments and records) into a plan in
 * OUT: the integrity line, then BODY.  0 or -1 (reported).
 */
int	planfile_seal(struct sbuf *out, const char *body, size_t len);

/*
 * Reads and checks the plan PATH into PF: the file's owner and mode, the
 * integrity line, the header, every record (with libldap's LDIF reader:
 * modify records of altSecurityIdentities only, a certbulk-value line for
 * every value added).  Returns 0, or -1 when the plan is refused
 * (reported, with why).
 */
int	planfile_read(const char *path, struct planfile *pf);

/* Frees everything. */
void	planfile_free(struct planfile *pf);

#endif
