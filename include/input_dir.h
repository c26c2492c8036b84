/*
 * input_dir: certificates already published in the directory
 * (userCertificate, and userSMIMECertificate if asked) as batch items,
 * each tied to the account that holds it.
 */
#ifndef CERTBULK_INPUT_DIR_H
#define CERTBULK_INPUT_DIR_H

#include <time.h>

#include "dir.h"
#include "input.h"

/*
 * Reads the certificates of every account under the base (one paged
 * search) into IN as items named by the account's DN.  A value that is
 * not a certificate is that account's error (reported, counted in
 * IN->errors); the others go on.  Certificates that cannot serve for
 * logon are left out with a note: expired ones at NOW (unless
 * ALLOW_EXPIRED) and those whose extended key usage excludes it.
 * Returns 0, or -1 when the directory failed (reported).
 */
int	input_usercerts(struct input *in, struct dir *d, int smime,
	    unsigned types, time_t now, int allow_expired);

#endif
