/*
 * incr: incremental reading.  The state folder's inputs.tsv keeps the
 * identity of every --certdir file whose certificates a finished run
 * mapped (or found mapped): path, size, mtime, ctime, device and inode,
 * and the SHA-256 thumbprints of its certificates.  The next run leaves
 * such a file unread when its identity is unchanged, so its certificates
 * are neither decoded nor their accounts looked up; --full reads all.
 * Files that had a problem are not kept and so are read every run.
 */
#ifndef CERTBULK_INCR_H
#define CERTBULK_INCR_H

#include <stddef.h>

#include "input.h"
#include "plan.h"

struct incr;

/*
 * Loads DIR/inputs.tsv for a run whose options give KEY (what the values
 * depend on besides the files: --type, --match, the CA and CRL files);
 * with FULL, or another KEY, nothing is skipped.  NULL after reporting.
 */
struct incr	*incr_open(const char *dir, const char *key, int full);
void		 incr_free(struct incr *);
/* input hooks (struct input's skip and seen), ARG an incr */
int		 incr_skip(void *arg, const char *path);
void		 incr_seen(void *arg, const char *path, size_t first, size_t n);
/* Files left unread, and their thumbprints (owned by the incr, sorted
 * with strcasecmp). */
size_t		 incr_skipped(const struct incr *);
char		**incr_shas(struct incr *, size_t *n);
/*
 * After the run: rewrites DIR/inputs.tsv with the files left unread and
 * those read whose items were all mapped and whose accounts' changes were
 * done.  0 or -1 (reported).
 */
int		 incr_save(struct incr *, const char *dir, const struct input *in,
		    const struct changes *cs);
/* "size mtime ctime dev:ino" of PATH into BUF (at least 96 bytes), or
 * "-" if it cannot be stat'ed. */
void		 incr_ident(const char *path, char *buf, size_t len);

#endif
