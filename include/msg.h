/*
 * msg: every message the program prints to stderr goes through here, so
 * that -q and -v, the program name prefix and --log behave the same way
 * everywhere, and so that nothing from outside (file names, CSV fields,
 * certificate names, server messages) reaches a terminal, log or syslog
 * with raw control bytes or invalid UTF-8: every message is escaped as
 * msg_escape does.
 */
#ifndef CERTBULK_MSG_H
#define CERTBULK_MSG_H

#include <stddef.h>

/* The two globals the program has: its name and how talkative it is. */
extern const char	*msg_progname;
extern int		 msg_verbosity;	/* -1 quiet, 0 normal, 1.. -v */
#define MSG_SILENT	(-2)	/* not even errors: the fuzzers */

#define MSG_FMT(a, b) __attribute__((format(printf, a, b)))

/* "certbulk: TEXT": an error; always printed. */
void	msg_err(const char *, ...) MSG_FMT(1, 2);
/* "certbulk: warning: TEXT"; suppressed by -q. */
void	msg_warn(const char *, ...) MSG_FMT(1, 2);
/* "certbulk: note: TEXT"; suppressed by -q. */
void	msg_note(const char *, ...) MSG_FMT(1, 2);
/*
 * The audit trail: always to the --log file and syslog (even with -q),
 * on stderr with -v only.  For what a run did, line by line.
 */
void	msg_audit(const char *, ...) MSG_FMT(1, 2);
/* "certbulk: TEXT" with -v only. */
void	msg_info(const char *, ...) MSG_FMT(1, 2);
/* "certbulk: debug: TEXT" with -vv only. */
void	msg_debug(const char *, ...) MSG_FMT(1, 2);
/* Reports an OpenSSL failure: TEXT plus the queued OpenSSL reason. */
void	msg_ssl(const char *, ...) MSG_FMT(1, 2);

/*
 * Also copies every message (with a timestamp) to FP, e.g. the --log
 * file.  NULL stops copying.  The caller keeps ownership of FP.
 */
void	msg_set_log(void *fp);

/* Also sends every message to syslog (facility user) when ON. */
void	msg_set_syslog(int on);

/*
 * Returns a printable copy of N bytes at P: control bytes, DEL and bytes
 * that are not valid UTF-8 become \xHH.  Caller frees; NULL on ENOMEM.
 */
char	*msg_escape(const char *p, size_t n);
/*
 * As msg_escape, for one field of a tab-separated line, reversibly:
 * backslash, tab, line feed and carriage return become \\ \t \n \r.
 * Caller frees; NULL on ENOMEM.
 */
char	*msg_escape_field(const char *p, size_t n);

struct sbuf;
/*
 * Appends N bytes at P to B escaped as msg_escape (FIELD 0) or
 * msg_escape_field (FIELD 1) would, without a copy of their own.
 */
void	msg_escape_to(struct sbuf *b, const char *p, size_t n, int field);

#endif
