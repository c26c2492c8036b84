/*
 * upgrade: which weak values a strong mapping replaces (--upgrade-weak).
 */
#include <stdlib.h>

#include "altsec.h"
#include "upgrade.h"

long
upgrade_replaced(char *const *vals, const struct strlist *altsec,
    struct strlist *out)
{
	size_t	i;
	long	n = 0;
	int	k;

	for (i = 0; i < altsec->n; i++)
		for (k = 0; k < ALTSEC_NTYPES; k++) {
			if (!(UPGRADE_WEAK_TYPES & ALTSEC_BIT(k)) ||
			    vals[k] == NULL ||
			    altsec_casecmp(vals[k], altsec->v[i]) != 0)
				continue;
			if (strlist_add(out, altsec->v[i]) == -1)
				return -1;
			n++;
			break;
		}
	return n;
}
