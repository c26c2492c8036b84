/*
 * findings: the problems audit finds, kept for the monitoring outputs
 * (--json, --csv, --html files) besides the terminal report.
 */
#ifndef CERTBULK_FINDINGS_H
#define CERTBULK_FINDINGS_H

#include <stddef.h>
#include <time.h>

/* One problem; all strings owned, exactly as read (not escaped). */
struct finding {
	char	*kind;		/* malformed, weak-only, duplicate, ... */
	char	*dn;		/* the account, or "" */
	char	*value;		/* the value concerned, or "" */
	char	*detail;
	int	 problem;	/* counts for the exit status (else a note) */
};

struct findings {
	struct finding	*v;	/* owned */
	size_t			 n;
	/* what was scanned, for the summary (not owned) */
	const char		*uri;
	const char		*base;
	time_t			 when;
	size_t			 accounts;
	size_t			 values;
};

/* Appends a copy of one problem.  0, or -1 on ENOMEM (reported). */
int	findings_add(struct findings *, const char *kind, const char *dn,
	    const char *value, const char *detail);
/* The same for a finding that is not a problem (a note: the run state
 * behind the directory).  0 or -1. */
int	findings_note(struct findings *, const char *kind, const char *dn,
	    const char *value, const char *detail);
void	findings_free(struct findings *);

/*
 * Write R to PATH (created or truncated, mode 0600, never through a
 * symbolic link).  Everything from the directory is escaped for the
 * format: JSON strings (control bytes as \u00XX, bytes that are not
 * UTF-8 as the text \xHH), CSV fields quoted by libcsv (a field that a
 * spreadsheet would read as a formula gets a leading '), and HTML text
 * with & < > " ' as entities (and bidi controls as the text \u{HHHH}).  The HTML page is self-contained: inline
 * CSS, and a small inline script that sorts a table by the column whose
 * header is clicked, or on load as the URL fragment
 * #sort=KIND:COLUMN[:desc] says.  0, or -1 after reporting.
 */
int	findings_json(const struct findings *r, const char *path);
int	findings_csv(const struct findings *r, const char *path);
int	findings_html(const struct findings *r, const char *path);

#endif
