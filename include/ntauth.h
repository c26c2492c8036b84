/*
 * ntauth: certbulk ntauth add/remove, planned as a run's changes.  The
 * forest's NTAuth store is the cACertificate attribute (binary, one DER
 * certificate per value) of CN=NTAuthCertificates,CN=Public Key Services,
 * CN=Services,<configuration naming context>, an object of class
 * certificationAuthority.  Its values travel through the run's plan,
 * preview, undo file and apply as lowercase hex strings (struct change:
 * attr NTAUTH_ATTR), decoded to bytes only for LDIF and LDAP.
 */
#ifndef CERTBULK_NTAUTH_H
#define CERTBULK_NTAUTH_H

#include <stddef.h>

#include "dir.h"
#include "plan.h"

#define NTAUTH_ATTR	"cACertificate"
/* The entry's RDN and parents, the configuration naming context after. */
#define NTAUTH_PREFIX	"CN=NTAuthCertificates,CN=Public Key Services," \
			"CN=Services,"

/* A CA certificate file as ntauth add/remove take it. */
struct ntauth_ca {
	char	*hex;		/* owned: the DER bytes in lowercase hex */
	char	*sha1;		/* owned: thumbprint, uppercase hex */
	char	*subject;	/* owned: for people (not escaped) */
};

/*
 * Reads PATH (PEM or DER), which must hold exactly one certificate, and
 * checks that it is a CA certificate: basicConstraints cA TRUE and, when
 * keyUsage is present, keyCertSign in it (a CA that may not sign
 * certificates issues no logon certificates).  Returns 0, or -1 after
 * reporting why (file, reason).  OUT is written only on success; free it
 * with ntauth_ca_free.
 */
int	ntauth_ca_read(const char *path, struct ntauth_ca *out);
void	ntauth_ca_free(struct ntauth_ca *);

/*
 * Plans adding (REMOVE 0) or removing CA from the store into OUT: one
 * change of one value, an add of the entry when the forest has none, or
 * a delete of the entry when CA is its only certificate (the class
 * requires cACertificate).  A CA already there (add) or absent (remove)
 * plans nothing and says so.  Returns 0, or -1 (directory, reported).
 */
int	ntauth_plan(struct dir *, const struct ntauth_ca *ca, int remove,
	    struct changes *out);

/*
 * Plans the NTAuth records of an undo file (those of WANT with attr set,
 * in order) into OUT against the store as it is now, as plan_undo does
 * for accounts: values already added or already gone are dropped; adding
 * to a store that is gone re-creates the entry; deleting its last value
 * deletes it.  Records for another DN than the forest's NTAuth entry are
 * reported and counted in *BAD.  Returns 0, or -1 (directory, reported).
 */
int	ntauth_plan_undo(struct dir *, const struct changes *want,
	    struct changes *out, size_t *bad);

/* 1 if DN names an NTAuth entry (NTAUTH_PREFIX, then CN=Configuration). */
int	ntauth_is_dn(const char *dn);

/*
 * Hex to bytes: *OUT (caller frees) gets strlen(HEX)/2 bytes.  Returns
 * 0, or -1 if HEX is not an even number of hex digits or on ENOMEM.
 */
int	ntauth_unhex(const char *hex, unsigned char **out, size_t *len);
/* Bytes to lowercase hex; NULL on ENOMEM. */
char	*ntauth_hex(const unsigned char *p, size_t n);

#endif
