/*
 * The batch run (certbulk --csv/--certdir) and certbulk undo: options,
 * then the stages in order -- inputs, plan, preview or apply.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "altsec.h"
#include "apply.h"
#include "cmd.h"
#include "dir.h"
#include "incr.h"
#include "input.h"
#include "ldifout.h"
#include "msg.h"
#include "plan.h"
#include "sbuf.h"
#include "state.h"
#include "subcmd.h"
#include "sync.h"
#include "trust.h"
#include "undo.h"

/* An input named on the command line, in order. */
struct source {
	int		 is_dir;	/* --certdir, else --csv */
	const char	*path;		/* argv: not owned */
};

struct runopts {
	struct dir_opts	 dir;
	struct source	*src;		/* owned array */
	size_t		 nsrc;
	unsigned	 types;
	unsigned	 match;
	int		 preview;
	const char	*out;		/* -o */
	const char	*state_dir;
	const char	*log;
	int		 syslog;
	int		 window;
	int		 txn;
	int		 strict;
	int		 allow_expired;
	int		 is_undo;
	const char	*cafile;	/* --ca-file */
	const char	*crlfile;	/* --crl-file */
	int		 prune;		/* --prune */
	int		 grace;		/* --grace DAYS */
	int		 warn_days;	/* --warn-days DAYS (status) */
	int		 tsv;		/* --tsv (status) */
	int		 full;		/* --full: read every file */
};

/* The run state of a batch run (sync.h), for run_apply. */
struct run_sync {
	const char		*dir;
	struct sync_state	*st;
	const struct sync_inputs *si;
	struct state		*lock;	/* taken before the plan */
};

/* The LDAP options (and --timeout, --allow-cleartext-bind) are subcmd's. */
enum {
	OPT_CSV = SUBCMD_OPT_OWN, OPT_CERTDIR, OPT_TYPE, OPT_MATCH, OPT_STATE,
	OPT_WINDOW, OPT_TXN, OPT_STRICT, OPT_LOG, OPT_SYSLOG, OPT_EXPIRED,
	OPT_CAFILE, OPT_CRLFILE, OPT_PRUNE, OPT_GRACE, OPT_WARN, OPT_TSV, OPT_FULL
};

static const struct option run_longopts[] = {
	{ "csv", required_argument, NULL, OPT_CSV },
	{ "certdir", required_argument, NULL, OPT_CERTDIR },
	{ "type", required_argument, NULL, OPT_TYPE },
	{ "match", required_argument, NULL, OPT_MATCH },
	{ "preview", no_argument, NULL, 'n' },
	{ "output", required_argument, NULL, 'o' },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "transaction", required_argument, NULL, OPT_TXN },
	{ "strict", no_argument, NULL, OPT_STRICT },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "allow-expired", no_argument, NULL, OPT_EXPIRED },
	{ "allow-cleartext-bind", no_argument, NULL, SUBCMD_OPT_CLEAR },
	{ "timeout", required_argument, NULL, SUBCMD_OPT_TIMEOUT },
	{ "ca-file", required_argument, NULL, OPT_CAFILE },
	{ "crl-file", required_argument, NULL, OPT_CRLFILE },
	{ "prune", no_argument, NULL, OPT_PRUNE },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "warn-days", required_argument, NULL, OPT_WARN },
	{ "tsv", no_argument, NULL, OPT_TSV },
	{ "full", no_argument, NULL, OPT_FULL },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int
run_number(const char *opt, const char *arg, int min, int max, int *out)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || *end != '\0' || end == arg || v < min || v > max) {
		msg_err("%s %s: not a number from %d to %d", opt, arg, min, max);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int
run_match(const char *arg, unsigned *out)
{
	const char	*p = arg;
	size_t		 n;
	unsigned	 m = 0;

	while (*p != '\0') {
		n = strcspn(p, ",");
		if (n == 3 && strncasecmp(p, "sid", 3) == 0)
			m |= MATCH_SID;
		else if (n == 3 && strncasecmp(p, "upn", 3) == 0)
			m |= MATCH_UPN;
		else if (n == 5 && strncasecmp(p, "email", 5) == 0)
			m |= MATCH_EMAIL;
		else {
			msg_err("--match: unknown method \"%.*s\" (known: sid, "
			    "upn, email)", (int)n, p);
			return -1;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	if (m == 0) {
		msg_err("--match: no method given");
		return -1;
	}
	*out = m;
	return 0;
}

/* Parses the options common to the run and undo.  -1: usage error. */
static int
run_parse(int argc, char *argv[], struct runopts *o, int *help)
{
	struct source	*s;
	const char	*bad;
	int		 ch, r;

	*help = 0;
	o->types = ALTSEC_BIT(ALTSEC_ISSUER_SERIAL);
	o->match = MATCH_SID | MATCH_UPN | MATCH_EMAIL;
	o->window = 32;
	o->warn_days = 30;
	optind = 1;
	while ((ch = getopt_long(argc, argv, SUBCMD_LDAP_SHORT "chno:qv",
	    run_longopts, NULL)) != -1) {
		if ((r = subcmd_ldap_opt(ch, optarg, &o->dir)) == -1)
			return -1;
		if (r == 1)
			continue;
		switch (ch) {
		case 'c': break;	/* the default: go on after errors */
		case 'n': o->preview = 1; break;
		case 'o': o->out = optarg; break;
		case 'q': msg_verbosity = -1; break;
		case 'v': msg_verbosity++; break;
		case 'h':
			*help = 1;
			return 0;
		case OPT_CSV:
		case OPT_CERTDIR:
			if (o->is_undo)
				goto usage;
			if ((s = realloc(o->src, (o->nsrc + 1) * sizeof(*s))) ==
			    NULL) {
				msg_err("out of memory");
				return -1;
			}
			o->src = s;
			s[o->nsrc].is_dir = ch == OPT_CERTDIR;
			s[o->nsrc].path = optarg;
			o->nsrc++;
			break;
		case OPT_TYPE:
			if (altsec_parse_types(optarg, &o->types, &bad) == -1) {
				msg_err("--type: unknown mapping form \"%.*s\"",
				    (int)strcspn(bad, ","), bad);
				return -1;
			}
			break;
		case OPT_MATCH:
			if (run_match(optarg, &o->match) == -1)
				return -1;
			break;
		case OPT_STATE: o->state_dir = optarg; break;
		case OPT_WINDOW:
			if (run_number("--window", optarg, 1, 1024,
			    &o->window) == -1)
				return -1;
			break;
		case OPT_TXN:
			if (run_number("--transaction", optarg, 1, 10000,
			    &o->txn) == -1)
				return -1;
			break;
		case OPT_PRUNE: o->prune = 1; break;
		case OPT_TSV: o->tsv = 1; break;
		case OPT_FULL: o->full = 1; break;
		case OPT_GRACE:
			if (run_number("--grace", optarg, 0, 36500,
			    &o->grace) == -1)
				return -1;
			break;
		case OPT_WARN:
			if (run_number("--warn-days", optarg, 0, 36500,
			    &o->warn_days) == -1)
				return -1;
			break;
		case OPT_CAFILE: o->cafile = optarg; break;
		case OPT_CRLFILE: o->crlfile = optarg; break;
		case OPT_STRICT: o->strict = 1; break;
		case OPT_LOG: o->log = optarg; break;
		case OPT_SYSLOG: o->syslog = 1; break;
		case OPT_EXPIRED: o->allow_expired = 1; break;
		default:
			goto usage;
		}
	}
	if (subcmd_ldap_check(&o->dir) == -1)
		return -1;
	if (o->crlfile != NULL && o->cafile == NULL) {
		msg_err("--crl-file needs --ca-file");
		return -1;
	}
	return 0;
usage:
	usage_print(stderr);
	return -1;
}

/* Opens -o FILE (mode 0600) or stdout. */
static FILE *
run_open_out(const char *path)
{
	FILE	*fp;
	int	 fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return stdout;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0600)) == -1) {
		msg_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	(void)fchmod(fd, 0600);
	if ((fp = fdopen(fd, "w")) == NULL) {
		msg_err("%s: %s", path, strerror(errno));
		close(fd);
	}
	return fp;
}

/* Appends printable text of S (outside strings: URIs, names) to B. */
static void
run_put_escaped(struct sbuf *b, const char *s)
{
	char	*e;

	if ((e = msg_escape(s, strlen(s))) == NULL) {
		b->oom = 1;
		return;
	}
	sbuf_puts(b, e);
	free(e);
}

/*
 * Comments saying who made a file, when, against which directory.  The
 * "made" time (UTC, milliseconds) orders several undo files.
 */
static char *
run_header(const char *what, struct dir *d, const char *extra)
{
	struct sbuf	 b = SBUF_INIT;
	struct passwd	*pw;
	char		 stamp[32], host[HOST_NAME_MAX + 1];
	struct timespec	 ts;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "?");
	host[sizeof(host) - 1] = '\0';
	pw = getpwuid(geteuid());
	sbuf_printf(&b, "certbulk %s: %s\n", CB_VERSION, what);
	sbuf_printf(&b, "made %s.%03ldZ by ", stamp, ts.tv_nsec / 1000000);
	run_put_escaped(&b, pw ? pw->pw_name : "?");
	sbuf_puts(&b, " on ");
	run_put_escaped(&b, host);
	sbuf_puts(&b, "\ndirectory ");
	run_put_escaped(&b, dir_uri(d));
	sbuf_puts(&b, ", base ");
	run_put_escaped(&b, dir_base(d));
	if (extra != NULL)
		sbuf_printf(&b, "\n%s", extra);
	return sbuf_done(&b);
}

static int
run_preview(const struct runopts *o, struct dir *d, const struct changes *cs)
{
	struct sbuf	 b = SBUF_INIT;
	FILE		*fp;
	char		*head;
	size_t		 i;
	int		 rc = -1;

	if ((fp = run_open_out(o->out)) == NULL)
		return -1;
	head = run_header(o->is_undo ? "preview of an undo" :
	    "preview; nothing has been changed", d,
	    "apply with: ldapmodify -f FILE, or ldifde -i -f FILE");
	if (head != NULL)
		ldifout_comment(&b, head);
	free(head);
	sbuf_putc(&b, '\n');
	for (i = 0; i < cs->n; i++) {
		ldifout_record(&b, &cs->v[i], 0);
		if (b.len > 65536 || i + 1 == cs->n) {
			if (b.oom || fwrite(b.s, 1, b.len, fp) != b.len)
				break;
			sbuf_reset(&b);
		}
	}
	if (cs->n == 0 && !b.oom && b.s != NULL)
		fwrite(b.s, 1, b.len, fp);
	if (b.oom)
		msg_err("out of memory");
	else if (fflush(fp) == EOF || ferror(fp))
		msg_err("%s: write error: %s", o->out ? o->out : "stdout",
		    strerror(errno));
	else
		rc = 0;
	if (fp != stdout && fclose(fp) == EOF && rc == 0) {
		msg_err("%s: %s", o->out, strerror(errno));
		rc = -1;
	}
	sbuf_reset(&b);
	return rc;
}

/* What run_recheck's report collects. */
struct run_dups {
	char	*const *vals;
	char	*const *owners;
	unsigned char	*flag;	/* per value: found on another account */
	size_t		 n;	/* values flagged */
	int		 strict;
};

static void
run_dup_report(void *arg, size_t i, const char *holder, const char *err)
{
	struct run_dups	*r = arg;
	char		*v, *h;

	if (err != NULL) {
		msg_warn("\"%s\": %s; could not check it again after the run",
		    r->owners[i], err);
		return;
	}
	v = msg_escape(r->vals[i], strlen(r->vals[i]));
	h = msg_escape(holder, strlen(holder));

	msg_err("\"%s\": %s, added by this run, is now on \"%s\" as well "
	    "(another run at the same time?): either account can log on "
	    "with it; %s", r->owners[i], v ? v : "?", h ? h : "?", r->strict ?
	    "--strict: removing it again from the account this run gave it to" :
	    "remove it from the wrong one (or run with --strict)");
	free(v);
	free(h);
	if (!r->flag[i]) {
		r->flag[i] = 1;
		r->n++;
	}
}

/*
 * After the modifies: each value this run added is searched for again
 * (the whole domain, batched), since another run with another state
 * folder may have given it to a second account meanwhile.  With --strict
 * this run's copy is removed again.  That removal needs no undo record of
 * its own: the run's record for the account (delete the value) already
 * restores the state before the run whether or not the removal happened.
 * Returns the number of values found twice, or -1 (directory failure).
 */
static long
run_recheck(const struct runopts *o, struct dir *d, const struct changes *cs)
{
	struct run_dups	 r;
	struct dir_mod	 m;
	char		**vals = NULL, **owners = NULL, *diag = NULL;
	size_t		 i, j, n = 0, k;
	long		 ret = -1;
	int		 msgid, lrc;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].status == CHANGE_DONE)
			n += cs->v[i].add.n;
	if (n == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	if ((vals = calloc(n, sizeof(*vals))) == NULL ||
	    (owners = calloc(n, sizeof(*owners))) == NULL ||
	    (r.flag = calloc(n, 1)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < cs->n; i++)
		for (j = 0; cs->v[i].status == CHANGE_DONE &&
		    j < cs->v[i].add.n; j++) {
			vals[k] = cs->v[i].add.v[j];
			owners[k++] = cs->v[i].dn;
		}
	r.vals = vals;
	r.owners = owners;
	r.strict = o->strict;
	if (plan_dup_check(d, vals, owners, n, run_dup_report, &r) == -1)
		goto out;
	for (k = 0; o->strict && k < n; k++) {
		if (!r.flag[k])
			continue;
		memset(&m, 0, sizeof(m));
		m.dn = owners[k];
		m.del = &vals[k];
		m.ndel = 1;
		if (dir_mod_send(d, &m, dir_supports(d, DIR_OID_PERMISSIVE)) ==
		    -1 || dir_mod_wait(d, &msgid, &lrc, &diag) == -1)
			goto out;
		if (lrc != DIR_RC_SUCCESS && lrc != DIR_RC_NO_SUCH_ATTR)
			msg_err("\"%s\": removing the value again failed: "
			    "%s%s%s", owners[k], dir_err2string(lrc),
			    *diag ? ": " : "", diag);
		free(diag);
		diag = NULL;
	}
	if (r.n > 0)
		msg_err("%zu value%s added by this run %s on two accounts%s",
		    r.n, r.n > 1 ? "s" : "", r.n > 1 ? "are" : "is",
		    o->strict ? " (removed again from this run's accounts)" :
		    "");
	ret = (long)r.n;
out:
	free(diag);
	free(vals);
	free(owners);
	free(r.flag);
	return ret;
}

/* Takes the lock, writes the undo file ahead, applies. */
static int
run_apply(const struct runopts *o, struct dir *d, struct changes *cs,
    struct apply_stats *st, char **undo_out, int *started,
    struct run_sync *rs)
{
	struct state		*s = NULL;
	struct undo		*u = NULL;
	struct apply_opts	 ao;
	char			*dirpath = NULL, *path = NULL, *head = NULL;
	long			 dups;
	int			 rc = CB_EXIT_LOCAL;

	if (rs != NULL && rs->lock != NULL)
		s = rs->lock;	/* held since the plan */
	else if (o->state_dir == NULL &&
	    (dirpath = state_default_dir()) == NULL) {
		msg_err("no state folder: give --state-dir DIR");
		goto out;
	}
	if (s == NULL &&
	    (s = state_open(o->state_dir ? o->state_dir : dirpath)) == NULL)
		goto out;
	if ((path = state_undo_path(s)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	/* the run state's journal first: it names the undo file */
	if (rs != NULL && sync_journal(rs->dir, cs, rs->si, path) == -1)
		goto out;
	head = run_header(o->is_undo ? "undo file of an undo" : "undo file",
	    d, "revert with: certbulk undo [LDAP options] THIS-FILE\n"
	    "records marked failed or unsent were not applied");
	if (head == NULL || (u = undo_create(path, head)) == NULL)
		goto out;
	msg_note("undo file: %s", path);
	memset(&ao, 0, sizeof(ao));
	ao.window = o->window;
	ao.txn = o->txn;
	ao.strict = o->strict;
	ao.progress = isatty(STDERR_FILENO) && msg_verbosity == 0;
	rc = CB_EXIT_OK;
	*started = 1;
	apply_catch_signals();
	if (apply_run(d, cs, u, &ao, st) == -1) {
		rc = st->journal ? CB_EXIT_LOCAL : st->lost ? CB_EXIT_LDAP :
		    (st->failed || st->interrupted) ? CB_EXIT_SOME :
		    CB_EXIT_LOCAL;
		if (st->journal)
			msg_err("%s: the undo file cannot grow (state folder "
			    "full?): stopped before sending more; %zu accounts "
			    "were not sent, what was sent is covered by the "
			    "undo file; make room and run again", path,
			    st->unsent);
		else if (st->interrupted)
			msg_err("interrupted: %zu accounts were not sent; run "
			    "again to finish", st->unsent);
		else if (st->lost)
			msg_err("connection lost: %zu accounts were not sent and "
			    "%zu got no reply (the undo file covers them); run "
			    "again when the directory is back", st->unsent,
			    st->unknown);
		else if (o->strict && st->failed)
			msg_err("--strict: stopped after the first failure; %zu "
			    "accounts were not sent", st->unsent);
	}
	if (!st->lost && !st->interrupted) {
		if ((dups = run_recheck(o, d, cs)) == -1)
			rc = CB_EXIT_LDAP;
		else if (dups > 0 && rc == CB_EXIT_OK)
			rc = CB_EXIT_SOME;
	}
	if (undo_close(u) == -1)
		rc = CB_EXIT_LOCAL;
	u = NULL;
	if (rs != NULL && sync_commit(rs->dir, rs->st, cs, rs->si,
	    time(NULL)) == -1)
		rc = CB_EXIT_LOCAL;
	*undo_out = path;
	path = NULL;
out:
	if (u != NULL)
		(void)undo_close(u);
	free(head);
	free(path);
	free(dirpath);
	if (rs == NULL || s != rs->lock)
		state_close(s);
	return rc;
}

/* What an undo or run left aside, beyond the counts of the stages. */
struct run_skips {
	size_t	input;		/* bad input rows/files, or bad undo records */
	size_t	missing;	/* undo: records of entries that are gone */
	size_t	refused;	/* undo: values another account holds */
	size_t	prune;		/* --prune: owned values to remove */
};

static void
run_summary(const char *what, int is_undo, const struct plan_stats *ps,
    const struct apply_stats *as, const struct run_skips *sk,
    const char *undo, int preview, size_t nchanges)
{
	struct sbuf	b = SBUF_INIT;

	sbuf_printf(&b, "%s: ", what);
	if (ps != NULL)
		sbuf_printf(&b, "%zu certificates, %zu accounts examined, "
		    "%zu already up to date, ", ps->items, ps->accounts,
		    ps->uptodate);
	if (preview)
		sbuf_printf(&b, "%zu accounts to change", nchanges);
	if (preview && ps != NULL)
		sbuf_printf(&b, " (%zu values to add, %zu to remove)",
		    ps->values, sk->prune);
	else
		sbuf_printf(&b, "%zu accounts changed (%zu values added, %zu "
		    "removed), %zu failed", as->done, as->added, as->removed,
		    as->failed);
	if (!preview && as->unsent + as->unknown > 0)
		sbuf_printf(&b, ", %zu not sent, %zu without a reply",
		    as->unsent, as->unknown);
	if (ps != NULL)
		sbuf_printf(&b, ", %zu certificates refused", ps->refused);
	if (sk->input > 0)
		sbuf_printf(&b, is_undo ? ", %zu bad undo records skipped" :
		    ", %zu input rows or files skipped", sk->input);
	if (sk->missing > 0)
		sbuf_printf(&b, ", %zu undo records skipped: their entries no "
		    "longer exist", sk->missing);
	if (sk->refused > 0)
		sbuf_printf(&b, ", %zu values not added back: another account "
		    "holds them", sk->refused);
	if (undo != NULL)
		sbuf_printf(&b, "; undo file %s", undo);
	if (b.s != NULL)
		msg_note("%s", b.s);	/* with -q: only in --log and syslog */
	sbuf_reset(&b);
}

/* The last stage, for runs and undos alike: preview, or apply. */
static int
run_output(const struct runopts *o, struct dir *d, struct changes *cs,
    const struct plan_stats *ps, const struct run_skips *sk,
    struct apply_stats *as, struct run_sync *rs)
{
	char	*undo = NULL;
	int	 rc, started = 0;

	if (o->preview) {
		rc = run_preview(o, d, cs) == -1 ? CB_EXIT_LOCAL : CB_EXIT_OK;
		run_summary(o->is_undo ? "undo preview" : "preview", o->is_undo,
		    ps, as, sk, NULL, 1, cs->n);
	} else if (cs->n == 0) {
		rc = CB_EXIT_OK;
		/* the state still learns of renamed accounts, lost values */
		if (rs != NULL && sync_commit(rs->dir, rs->st, cs, rs->si,
		    time(NULL)) == -1)
			rc = CB_EXIT_LOCAL;
		run_summary(o->is_undo ? "undo: nothing to change" :
		    "nothing to change", o->is_undo, ps, as, sk, NULL, 0, 0);
	} else {
		rc = run_apply(o, d, cs, as, &undo, &started, rs);
		if (!started)	/* no undo file, so nothing was sent */
			msg_err("%s not done: nothing was changed in the "
			    "directory (%zu accounts were to change)",
			    o->is_undo ? "undo" : "run", cs->n);
		else
			run_summary(rc == CB_EXIT_LOCAL ? (o->is_undo ?
			    "undo stopped" : "stopped") : o->is_undo ?
			    "undo done" : "done", o->is_undo, ps, as, sk, undo,
			    0, cs->n);
	}
	free(undo);
	return rc;
}

static int
run_connect(const struct runopts *o, struct dir **d)
{
	int	usage_err;

	if ((*d = dir_open(&o->dir, &usage_err)) == NULL)
		return usage_err ? CB_EXIT_USAGE : CB_EXIT_LDAP;
	return CB_EXIT_OK;
}

static int
run_log(const struct runopts *o, FILE **logfp)
{
	int	fd;

	if (o->syslog)
		msg_set_syslog(1);
	if (o->log == NULL)
		return 0;
	/* never through a link; an existing log must be ours, as undo files */
	if ((fd = open(o->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0600)) == -1) {
		msg_err("%s: %s", o->log, errno == ELOOP ? "a symbolic link; "
		    "the --log file is not written through links" :
		    strerror(errno));
		return -1;
	}
	if (state_trusted(fd, o->log, "--log file", 0) == -1) {
		close(fd);
		return -1;
	}
	if ((*logfp = fdopen(fd, "a")) == NULL) {
		msg_err("%s: %s", o->log, strerror(errno));
		close(fd);
		return -1;
	}
	msg_set_log(*logfp);
	return 0;
}

static int	undo_body(struct runopts *, int, char *[]);

/*
 * What the values of unchanged files depend on besides the files: the
 * forms, the matching, the CA and CRL files.  Another key reads all.
 */
static char *
run_incr_key(const struct runopts *o, const char *sdir, int *owned)
{
	struct sbuf	b = SBUF_INIT;
	struct stat	sb;
	char		ca[96] = "", crl[96] = "";

	sbuf_printf(&b, "%s/owned.tsv", sdir);
	*owned = b.s != NULL && lstat(b.s, &sb) == 0;
	sbuf_reset(&b);

	if (o->cafile != NULL)
		incr_ident(o->cafile, ca, sizeof(ca));
	if (o->crlfile != NULL)
		incr_ident(o->crlfile, crl, sizeof(crl));
	sbuf_printf(&b, "types %u match %u allow-expired %d ca %s %s crl %s %s",
	    o->types, o->match, o->allow_expired, o->cafile ? o->cafile : "-",
	    ca, o->crlfile ? o->crlfile : "-", crl);
	return sbuf_done(&b);
}
static int	sync_body(struct runopts *, const char *, struct input *,
		    char **, size_t *, struct trust *);
static int	sync_adopt_body(const struct runopts *, const char *,
		    struct sync_state *, const struct sync_inputs *);

int
run_main(int argc, char *argv[])
{
	struct runopts		 o;
	struct input		 in;
	struct dir		*d = NULL;
	struct changes		 cs = { NULL, 0 };
	struct plan_stats	 ps;
	struct apply_stats	 as;
	struct plan_opts	 po;
	struct run_skips	 sk;
	struct trust		*trust = NULL;
	FILE			*logfp = NULL;
	struct sync_state	 sst = { NULL, 0 };
	struct sync_inputs	 si;
	struct sync_opts	 so;
	struct run_sync		 rs;
	struct incr		*inc = NULL;
	char			**roots = NULL, *dirpath = NULL, *key = NULL;
	const char		*sub = NULL, *sdir;
	size_t			 i, *first = NULL;
	int			 help, rc = CB_EXIT_USAGE, t, exists;

	memset(&o, 0, sizeof(o));
	memset(&in, 0, sizeof(in));
	memset(&as, 0, sizeof(as));
	memset(&si, 0, sizeof(si));
	memset(&rs, 0, sizeof(rs));
	if (run_parse(argc, argv, &o, &help) == -1)
		goto out;
	if (help) {
		usage_print(stdout);
		rc = CB_EXIT_OK;
		goto out;
	}
	/* --log and --syslog: for runs and undos alike */
	if (run_log(&o, &logfp) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (optind < argc && strcmp(argv[optind], "undo") == 0) {
		/* certbulk [options] undo [options] FILE... */
		if (o.nsrc > 0) {
			msg_err("undo takes undo files, not --csv or --certdir");
			goto out;
		}
		o.is_undo = 1;
		rc = undo_body(&o, argc - optind - 1, argv + optind + 1);
		goto out;
	}
	if (optind < argc && (strcmp(argv[optind], "adopt") == 0 ||
	    strcmp(argv[optind], "status") == 0))
		sub = argv[optind++];
	if (optind < argc) {
		msg_err("unexpected argument \"%s\" (inputs are given with "
		    "--csv FILE or --certdir DIR)", argv[optind]);
		usage_print(stderr);
		goto out;
	}
	if (o.nsrc == 0 && (sub == NULL || strcmp(sub, "status") != 0)) {
		msg_err("no input: give --csv FILE or --certdir DIR");
		usage_print(stderr);
		goto out;
	}
	for (t = 0; t < ALTSEC_NTYPES; t++)
		if ((o.types & ALTSEC_BIT(t)) && !altsec_is_strong(t))
			msg_warn("%s is a weak mapping: domain controllers in "
			    "full enforcement (KB5014754) ignore it for "
			    "certificate logon", altsec_type_name(t));
	if (o.cafile != NULL &&
	    (trust = trust_load(o.cafile, o.crlfile)) == NULL) {
		rc = CB_EXIT_USAGE;
		goto out;
	}
	/* Stage 1: inputs, all checked before anything else.  Certificates
	 * are kept past reading only for the chain checks. */
	in.keep_certs = trust != NULL;
	if (o.nsrc > 0 && ((roots = calloc(o.nsrc, sizeof(*roots))) == NULL ||
	    (first = calloc(o.nsrc, sizeof(*first))) == NULL)) {
		msg_err("out of memory");
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (o.state_dir == NULL && (dirpath = state_default_dir()) == NULL) {
		msg_err("no state folder: give --state-dir DIR");
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	sdir = o.state_dir ? o.state_dir : dirpath;
	/* a nightly run reads only the --certdir files that changed */
	if (sub == NULL) {
		/* without owned.tsv the state is rebuilt from every input */
		if ((key = run_incr_key(&o, sdir, &t)) == NULL ||
		    (inc = incr_open(sdir, key, o.full || !t)) == NULL) {
			rc = CB_EXIT_LOCAL;
			goto out;
		}
		in.skip = incr_skip;
		in.seen = incr_seen;
		in.hook_arg = inc;
	}
	for (i = 0; i < o.nsrc; i++) {
		roots[i] = (char *)(uintptr_t)o.src[i].path;
		first[i] = in.n;	/* the run state: which input, per item */
		if ((o.src[i].is_dir ? input_certdir(&in, o.src[i].path, o.types) :
		    input_csv(&in, o.src[i].path, o.types)) == -1)
			in.errors++;
	}
	if (sub != NULL && strcmp(sub, "status") == 0) {
		rc = sync_body(&o, sdir, &in, roots, first, trust);
		goto out;
	}
	if (inc != NULL && incr_skipped(inc) > 0)
		msg_note("%zu certificate files unchanged since the last run, "
		    "not read (--full reads them)", incr_skipped(inc));
	if (in.n == 0 && (inc == NULL || incr_skipped(inc) == 0)) {
		msg_err("no certificate to map");
		rc = CB_EXIT_SOME;
		goto out;
	}
	/* Stage 2: the plan, read-only. */
	if ((rc = run_connect(&o, &d)) != CB_EXIT_OK)
		goto out;
	po.match = o.match;
	po.types = o.types;
	po.allow_expired = o.allow_expired;
	po.now = time(NULL);
	po.trust = trust;
	/* each item's values and input, before the plan moves them */
	if (sync_inputs(&si, &in, roots, first, o.nsrc) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (inc != NULL && incr_skipped(inc) > 0 &&
	    (si.skipsha = incr_shas(inc, &si.nskipsha)) == NULL) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (plan_build(d, &in, &po, &cs, &ps) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	if (sync_inputs_planned(&si) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	/*
	 * The run state, under the lock from here to its update (a preview
	 * reads it without): settled with the directory, then pruned.
	 */
	rc = CB_EXIT_LOCAL;
	if (!o.preview && (rs.lock = state_open(sdir)) == NULL)
		goto out;
	/* a preview without --prune shows no more than it did before */
	if (o.preview && !o.prune && sub == NULL)
		exists = 1;
	else if (sync_load(sdir, &sst, &exists) == -1 ||
	    sync_reconcile(sdir, d, &sst, exists, &si, !o.preview) == -1)
		goto out;
	memset(&sk, 0, sizeof(sk));
	memset(&so, 0, sizeof(so));
	so.now = po.now;
	so.prune = o.prune;
	so.grace = (long)o.grace * 86400;
	so.allow_expired = o.allow_expired;
	if (sub != NULL) {	/* adopt */
		rc = sync_adopt_body(&o, sdir, &sst, &si);
		if (rc == CB_EXIT_OK && ps.refused > 0)
			rc = CB_EXIT_SOME;
		goto out;
	}
	if (sync_unsupersede(&sst, &si, &so, &cs, &ps.values) == -1 ||
	    sync_prune(d, &sst, &si, &so, &cs, &sk.prune) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	/* Stage 3: preview, or undo file and apply. */
	sk.input = in.errors;
	rs.dir = sdir;
	rs.st = &sst;
	rs.si = &si;
	rc = run_output(&o, d, &cs, &ps, &sk, &as, o.preview ? NULL : &rs);
	if (!o.preview && inc != NULL && incr_save(inc, sdir, &in, &cs) == -1)
		rc = CB_EXIT_LOCAL;
	if (rc == CB_EXIT_OK && (in.errors > 0 || ps.refused > 0 ||
	    as.failed > 0))
		rc = CB_EXIT_SOME;
out:
	incr_free(inc);
	free(key);
	state_close(rs.lock);
	sync_state_free(&sst);
	sync_inputs_free(&si);
	free(roots);
	free(first);
	free(dirpath);
	trust_free(trust);
	changes_free(&cs);
	dir_close(d);
	input_free(&in);
	free(o.src);
	msg_set_log(NULL);
	if (logfp != NULL)
		fclose(logfp);
	return rc;
}

/* An undo file as read, with the run time its header records. */
struct undo_src {
	const char	*path;		/* argv: not owned */
	char		 made[UNDO_MADE_MAX];
	struct changes	 cs;
	size_t		 arg;		/* position on the command line */
};

/* Newest run first; the same time keeps the command line's order. */
static int
undo_srccmp(const void *a, const void *b)
{
	const struct undo_src	*x = a, *y = b;
	int			 c;

	if ((c = strcmp(y->made, x->made)) != 0)
		return c;
	return x->arg < y->arg ? -1 : x->arg > y->arg;
}

/*
 * Reads every undo file, then orders them newest run first whatever the
 * order given: replaying an older run's file after a newer one would
 * bring back what the newer run (e.g. an undo) took away.
 */
static int
undo_read_all(int nfiles, char *files[], struct changes *want, size_t *bad)
{
	struct undo_src	*src = NULL;
	struct change	*v;
	size_t		 b, i, j;
	int		 rc = -1, moved = 0;

	*bad = 0;
	if ((src = calloc((size_t)nfiles, sizeof(*src))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0; i < (size_t)nfiles; i++) {
		src[i].path = files[i];
		src[i].arg = i;
		if (undo_read(files[i], &src[i].cs, &b, src[i].made) == -1)
			goto out;
		*bad += b;
	}
	for (i = 0; nfiles > 1 && i < (size_t)nfiles; i++)
		if (src[i].made[0] == '\0') {
			msg_err("%s: no run time in its header (not written by "
			    "certbulk?), so it cannot be put in order with the "
			    "other undo files; undo it on its own", files[i]);
			goto out;
		}
	qsort(src, (size_t)nfiles, sizeof(*src), undo_srccmp);
	for (i = 0; i < (size_t)nfiles; i++)
		if (src[i].arg != i)
			moved = 1;
	if (moved) {
		msg_note("undo files are replayed newest run first, not in the "
		    "order given:");
		for (i = 0; i < (size_t)nfiles; i++)
			msg_note("  %s (run of %sZ)", src[i].path, src[i].made);
	}
	for (i = 0; i < (size_t)nfiles; i++) {
		if (src[i].cs.n == 0)
			continue;
		if ((v = realloc(want->v, (want->n + src[i].cs.n) *
		    sizeof(*v))) == NULL) {
			msg_err("out of memory");
			goto out;
		}
		want->v = v;
		for (j = 0; j < src[i].cs.n; j++)
			want->v[want->n++] = src[i].cs.v[j];
		free(src[i].cs.v);
		src[i].cs.v = NULL;
		src[i].cs.n = 0;
	}
	rc = 0;
out:
	for (i = 0; src != NULL && i < (size_t)nfiles; i++)
		changes_free(&src[i].cs);
	free(src);
	return rc;
}

static int
undo_body(struct runopts *op, int nfiles, char *files[])
{
	struct runopts		 o = *op;
	struct dir		*d = NULL;
	struct changes		 want = { NULL, 0 }, cs = { NULL, 0 };
	struct apply_stats	 as;
	struct run_skips	 sk = { 0, 0, 0 };
	int			 rc = CB_EXIT_USAGE;

	memset(&as, 0, sizeof(as));
	if (nfiles == 0) {
		msg_err("undo: no undo file given");
		usage_print(stderr);
		goto out;
	}
	/* Every file is read and checked before the directory is touched. */
	if (undo_read_all(nfiles, files, &want, &sk.input) == -1) {
		rc = CB_EXIT_SOME;
		goto out;
	}
	if ((rc = run_connect(&o, &d)) != CB_EXIT_OK)
		goto out;
	if (plan_undo(d, &want, &cs, &sk.missing, &sk.refused) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	rc = run_output(&o, d, &cs, NULL, &sk, &as, NULL);
	if (rc == CB_EXIT_OK && (sk.input > 0 || sk.missing > 0 ||
	    sk.refused > 0 || as.failed > 0))
		rc = CB_EXIT_SOME;
out:
	changes_free(&want);
	changes_free(&cs);
	dir_close(d);
	return rc;
}

/* certbulk adopt: the values already in place become owned. */
static int
sync_adopt_body(const struct runopts *o, const char *sdir,
    struct sync_state *st, const struct sync_inputs *si)
{
	FILE	*fp;
	size_t	 n;
	int	 rc = CB_EXIT_LOCAL;

	if ((fp = run_open_out(o->out)) == NULL)
		return CB_EXIT_LOCAL;
	if (sync_adopt(sdir, st, si, !o->preview, fp, &n, time(NULL)) == 0)
		rc = CB_EXIT_OK;
	if (fp != stdout)
		fclose(fp);
	if (rc == CB_EXIT_OK)
		msg_note("%s: %zu values %s", o->preview ? "adopt preview" :
		    "adopt done", n, o->preview ? "to take ownership of" :
		    "now owned by certbulk");
	if (rc == CB_EXIT_OK && si->in->errors > 0)
		rc = CB_EXIT_SOME;
	return rc;
}

/* certbulk status: the owned values and their certificates' state. */
static int
sync_body(struct runopts *o, const char *sdir, struct input *in,
    char **roots, size_t *first, struct trust *trust)
{
	struct sync_state	 st = { NULL, 0 };
	struct sync_inputs	 si;
	struct sync_opts	 so;
	const char		*why;
	size_t			 i;
	int			 exists, r, rc = CB_EXIT_LOCAL;

	memset(&si, 0, sizeof(si));
	if (sync_load(sdir, &st, &exists) == -1)
		goto out;
	if (!exists)
		msg_warn("%s: no run state (owned.tsv) yet", sdir);
	if (o->nsrc > 0 && sync_inputs(&si, in, roots, first, o->nsrc) == -1)
		goto out;
	/* the revocation verdict, as a run gets it from the plan */
	for (i = 0; trust != NULL && i < in->n; i++)
		if (in->items[i].cert != NULL && trust_verify(trust,
		    in->items[i].cert, &in->pool, time(NULL), &why) == -1 &&
		    trust_revoked(why))
			in->items[i].revoked = 1;
	memset(&so, 0, sizeof(so));
	so.now = time(NULL);
	so.warn = (long)o->warn_days * 86400;
	so.grace = (long)o->grace * 86400;
	so.allow_expired = o->allow_expired;
	if ((r = sync_status(stdout, &st, o->nsrc > 0 ? &si : NULL, &so,
	    o->tsv)) == -1)
		goto out;
	rc = r == 1 || in->errors > 0 ? CB_EXIT_SOME : CB_EXIT_OK;
out:
	sync_inputs_free(&si);
	sync_state_free(&st);
	return rc;
}
