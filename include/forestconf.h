/*
 * forestconf: --forest-config FILE, the writable domain controllers of the
 * forest's domains in a file (what --domain-uri gives one at a time):
 *
 *   # comment
 *   DOMAIN URI
 *
 * one domain a line, DOMAIN a DNS name or a naming context's DN, URI as
 * for --domain-uri.  Trusted as the state folder's files are: a regular
 * file, not a symbolic link, owned by the running user or root, not
 * writable by group or others.
 */
#ifndef CERTBULK_FORESTCONF_H
#define CERTBULK_FORESTCONF_H

#include "dir.h"

/*
 * Reads PATH and adds each line's domain to O's --domain-uri list.  The
 * strings are kept until the process ends.  Returns 0, or -1 after
 * reporting (the file refused, a bad line named by its number, too many
 * domains).
 */
int	forestconf_read(const char *path, struct dir_opts *o);

#endif
