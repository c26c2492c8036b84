/*
 * kdcev: the KDC's own record of certificate logons that strong mapping
 * (KB5014754) refuses or will refuse -- events 39, 40 and 41 of the
 * Kerberos Key Distribution Center in the domain controllers' System log
 * -- read from an export: Get-WinEvent ... | Export-Csv (the Message text,
 * or named columns), or wevtutil qe System /f:xml (EventData).
 */
#ifndef CERTBULK_KDCEV_H
#define CERTBULK_KDCEV_H

#include <stddef.h>
#include <stdio.h>

#include "cert.h"
#include "input.h"

/* Files larger than this are refused. */
#define KDCEV_MAX_FILE	(256UL * 1024 * 1024)

/* One event.  Every string is owned, NULL when the event had none. */
struct kdcevent {
	char		*src;		/* "FILE:LINE" or "FILE: event N" */
	unsigned	 id;		/* 39, 40 or 41 */
	char		*time;		/* TimeCreated as exported */
	char		*dc;		/* the DC that logged it */
	char		*account;	/* AccountName ("User:") */
	char		*subject;
	char		*issuer;	/* as the KDC printed it */
	char		*serial;	/* hex digits, upper case, as printed */
	char		*thumb;		/* SHA-1, 40 hex digits, upper case */
	char		*csid;		/* event 41: the certificate's SID */
	int		 used;		/* a given certificate matched it */
};

struct kdcevents {
	struct kdcevent	*v;	/* owned */
	size_t		 n;
	size_t		 errors; /* events that were reported and skipped */
	size_t		 other;	/* records that are not KDC 39/40/41 */
};

/*
 * Reads the export PATH (CSV or XML, told by its first character; UTF-8,
 * or UTF-16 with a byte order mark) and appends its events 39, 40 and 41
 * to EV.  An event that names no certificate (no thumbprint, no issuer
 * and serial) is reported with its place and counted in EV->errors.
 * Returns 0, or -1 when the file as a whole cannot be used (reported).
 */
int	kdcev_read(const char *path, struct kdcevents *ev);

/*
 * Reads N bytes at BUF as kdcev_read does; LABEL names the source in
 * messages.  For the unit tests and the fuzzer.
 */
int	kdcev_read_mem(const char *label, const char *buf, size_t n,
	    struct kdcevents *ev);

/* Frees every event and empties EV. */
void	kdcev_free(struct kdcevents *ev);

/*
 * 1 if E names certificate C: its thumbprint is C's SHA-1, or its serial
 * number is C's (in either byte order: see the man page) and its issuer is
 * C's (a full DN in either order, or the issuer's CN).  Else 0.
 */
int	kdcev_names(const struct kdcevent *e, const struct cert *c);

/*
 * Writes the to-do list to FP: a header line, then one tab-separated line
 * per account and certificate the events name (fields escaped as
 * msg_escape_field does, "-" when empty): account, event ids, how many
 * events, the time of the first of them in the export, issuer, serial,
 * thumbprint, subject, DC.  *NOUT: lines written.  Returns 0 or -1
 * (reported).
 */
int	kdcev_todo(const struct kdcevents *ev, FILE *fp, size_t *nout);

/*
 * Keeps of IN's items (read with keep_certs) exactly those whose
 * certificate an event of EV names; says how many were left out, and
 * warns once per certificate named by events that no item matched.
 * Returns 0 or -1 (ENOMEM, reported).
 */
int	kdcev_select(struct kdcevents *ev, struct input *in);

#endif
