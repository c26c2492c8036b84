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
#include "digest.h"
#include "dir.h"
#include "dir_forest.h"
#include "forest.h"
#include "incr.h"
#include "input.h"
#include "input_dir.h"
#include "kdcev.h"
#include "ldifout.h"
#include "msg.h"
#include "plan.h"
#include "planapply.h"
#include "planfile.h"
#include "replcheck.h"
#include "recheck.h"
#include "report.h"
#include "policy.h"
#include "runlog.h"
#include "sbuf.h"
#include "state.h"
#include "subcmd.h"
#include "crlfetch.h"
#include "sync.h"
#include "trust.h"
#include "undo.h"
#include "undoflow.h"
#include "ntauth.h"
#include "sambakdc.h"
#include "stagetime.h"
#include "upgrade.h"

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
	const char	*out;		/* --output */
	const char	*state_dir;
	const char	*log;
	int		 syslog;
	int		 window;
	int		 txn;
	int		 strict;
	int		 allow_expired;
	int		 is_undo;
	int		 is_apply;	/* certbulk apply PLAN */
	const char	*cafile;	/* --ca-file */
	const char	*crlfile;	/* --crl-file */
	const char	*report;	/* --report */
	int		 report_json;	/* --report-format json */
	unsigned	 failon;	/* --fail-on: REPORT_FAIL_* */
	long		 max_age;	/* --max-age, seconds */
	struct strlist	 fps;		/* the plan's input lines */
	const char	*domain;	/* the plan's: dir_domain */
	int		 crlchain;	/* --crl-check chain */
	int		 fetchcrl;	/* --fetch-crl */
	int		 kdc_samba;	/* --kdc samba: the forms Samba matches */
	int		 upgrade_weak;	/* --upgrade-weak */
	int		 prune_weak;	/* --prune-weak */
	const char	**kdcev;	/* --kdc-events files: owned array */
	size_t		 nkdcev;
	int		 usercert;	/* --from-user-certificate */
	int		 smime;		/* --user-smime */
	int		 argc;		/* the command line, for the log */
	char		**argv;
	struct policy	 pol;		/* --trust-csv, --allow-protected,
					   --scope, --group, --skip-disabled */
	int		 prune;		/* --prune */
	int		 grace;		/* --grace DAYS */
	int		 warn_days;	/* --warn-days DAYS (status) */
	int		 tsv;		/* --tsv (status) */
	int		 full;		/* --full: read every file */
	const char	*verify_on;	/* --verify-on DC2 (replcheck.h) */
	int		 repl_wait;	/* --replication-wait SECONDS */
	struct sbuf	 keyargs;	/* the RUN_KEY_IN options as given */
	struct stagetime *tm;		/* -vv: where the time goes */
	struct undoflow	*uf;		/* undo: slices still being read */
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
	OPT_CAFILE, OPT_CRLFILE, OPT_OUTPUT, OPT_REPORT, OPT_REPORT_FMT,
	OPT_FAILON, OPT_MAXAGE,
	OPT_CRLCHECK, OPT_FETCHCRL,
	OPT_KDC, OPT_UPGRADE, OPT_PRUNEWEAK,
	OPT_KDCEV, OPT_USERCERT, OPT_SMIME,
	OPT_TRUSTCSV, OPT_ALLOWPROT, OPT_SCOPE, OPT_GROUP, OPT_SKIPDIS,
	OPT_PRUNE, OPT_GRACE, OPT_WARN, OPT_TSV, OPT_FULL,
	OPT_VERIFYON, OPT_REPLWAIT
};

/*
 * The run's long options, getopt_long's fields then how each bears on the
 * incremental key (run_incr_key): RUN_KEY_IN for an option that changes
 * what a file's items become (its words go into the key: another value
 * reads every file again), RUN_KEY_OUT for the rest.  A line without one
 * is a bug that test_runkey catches (and run_option_key takes as IN).
 */
struct run_opt {
	const char	*name;
	int		 has_arg;
	int		*flag;
	int		 val;
	int		 key;		/* RUN_KEY_IN or RUN_KEY_OUT */
};

static const struct run_opt run_opts[] = {
	{ "csv", required_argument, NULL, OPT_CSV, RUN_KEY_OUT },
	{ "certdir", required_argument, NULL, OPT_CERTDIR, RUN_KEY_OUT },
	{ "type", required_argument, NULL, OPT_TYPE, RUN_KEY_IN },
	{ "match", required_argument, NULL, OPT_MATCH, RUN_KEY_IN },
	{ "preview", no_argument, NULL, 'n', RUN_KEY_OUT },
	{ "output", required_argument, NULL, OPT_OUTPUT, RUN_KEY_OUT },
	{ "report", required_argument, NULL, OPT_REPORT, RUN_KEY_OUT },
	{ "report-format", required_argument, NULL, OPT_REPORT_FMT, RUN_KEY_OUT },
	{ "fail-on", required_argument, NULL, OPT_FAILON, RUN_KEY_OUT },
	{ "max-age", required_argument, NULL, OPT_MAXAGE, RUN_KEY_OUT },
	{ "state-dir", required_argument, NULL, OPT_STATE, RUN_KEY_OUT },
	{ "window", required_argument, NULL, OPT_WINDOW, RUN_KEY_OUT },
	{ "transaction", required_argument, NULL, OPT_TXN, RUN_KEY_OUT },
	{ "strict", no_argument, NULL, OPT_STRICT, RUN_KEY_OUT },
	{ "log", required_argument, NULL, OPT_LOG, RUN_KEY_OUT },
	{ "syslog", no_argument, NULL, OPT_SYSLOG, RUN_KEY_OUT },
	{ "allow-expired", no_argument, NULL, OPT_EXPIRED, RUN_KEY_IN },
	{ "allow-cleartext-bind", no_argument, NULL, SUBCMD_OPT_CLEAR, RUN_KEY_OUT },
	{ "timeout", required_argument, NULL, SUBCMD_OPT_TIMEOUT, RUN_KEY_OUT },
	{ "dc", required_argument, NULL, SUBCMD_OPT_DC, RUN_KEY_OUT },
	{ "gc", required_argument, NULL, SUBCMD_OPT_GC, RUN_KEY_OUT },
	{ "domain-uri", required_argument, NULL, SUBCMD_OPT_DOMURI, RUN_KEY_OUT },
	{ "forest-config", required_argument, NULL, SUBCMD_OPT_FORESTCONF, RUN_KEY_OUT },
	{ "verify-on", required_argument, NULL, OPT_VERIFYON, RUN_KEY_OUT },
	{ "replication-wait", required_argument, NULL, OPT_REPLWAIT, RUN_KEY_OUT },
	{ "ca-file", required_argument, NULL, OPT_CAFILE, RUN_KEY_IN },
	{ "crl-file", required_argument, NULL, OPT_CRLFILE, RUN_KEY_IN },
	{ "crl-check", required_argument, NULL, OPT_CRLCHECK, RUN_KEY_IN },
	{ "fetch-crl", no_argument, NULL, OPT_FETCHCRL, RUN_KEY_OUT },
	{ "kdc", required_argument, NULL, OPT_KDC, RUN_KEY_IN },
	{ "upgrade-weak", no_argument, NULL, OPT_UPGRADE, RUN_KEY_IN },
	{ "prune-weak", no_argument, NULL, OPT_PRUNEWEAK, RUN_KEY_IN },
	{ "kdc-events", required_argument, NULL, OPT_KDCEV, RUN_KEY_OUT },
	{ "from-user-certificate", no_argument, NULL, OPT_USERCERT, RUN_KEY_OUT },
	{ "user-smime", no_argument, NULL, OPT_SMIME, RUN_KEY_OUT },
	{ "trust-csv", no_argument, NULL, OPT_TRUSTCSV, RUN_KEY_IN },
	{ "allow-protected", required_argument, NULL, OPT_ALLOWPROT, RUN_KEY_IN },
	{ "scope", required_argument, NULL, OPT_SCOPE, RUN_KEY_IN },
	{ "group", required_argument, NULL, OPT_GROUP, RUN_KEY_IN },
	{ "skip-disabled", no_argument, NULL, OPT_SKIPDIS, RUN_KEY_IN },
	{ "prune", no_argument, NULL, OPT_PRUNE, RUN_KEY_OUT },
	{ "grace", required_argument, NULL, OPT_GRACE, RUN_KEY_OUT },
	{ "warn-days", required_argument, NULL, OPT_WARN, RUN_KEY_OUT },
	{ "tsv", no_argument, NULL, OPT_TSV, RUN_KEY_OUT },
	{ "full", no_argument, NULL, OPT_FULL, RUN_KEY_OUT },
	{ "quiet", no_argument, NULL, 'q', RUN_KEY_OUT },
	{ "verbose", no_argument, NULL, 'v', RUN_KEY_OUT },
	{ "help", no_argument, NULL, 'h', RUN_KEY_OUT },
	{ NULL, 0, NULL, 0 }
};

#define RUN_NOPTS	(sizeof(run_opts) / sizeof(run_opts[0]))

/* run_opts in getopt_long's form, made on first use. */
static const struct option *
run_getopt_table(void)
{
	static struct option	lo[RUN_NOPTS];
	size_t			i;

	if (lo[0].name == NULL)
		for (i = 0; i < RUN_NOPTS; i++) {
			lo[i].name = run_opts[i].name;
			lo[i].has_arg = run_opts[i].has_arg;
			lo[i].flag = run_opts[i].flag;
			lo[i].val = run_opts[i].val;
		}
	return lo;
}

const struct option *
run_option(size_t i)
{
	const struct option	*lo = run_getopt_table();

	return i < RUN_NOPTS && lo[i].name != NULL ? &lo[i] : NULL;
}

/* The short options that change what a file's items become: -H and -b
 * (another directory, another subtree).  The rest of RUN_SHORTOPTS is
 * RUN_KEY_OUT. */
static const char run_short_keyed[] = "Hb";

int
run_option_key(int ch)
{
	size_t	i;

	for (i = 0; i < RUN_NOPTS && run_opts[i].name != NULL; i++)
		if (run_opts[i].val == ch)
			return run_opts[i].key != RUN_KEY_OUT ? RUN_KEY_IN :
			    RUN_KEY_OUT;
	if (ch > 0 && ch < 256 && ch != ':' &&
	    strchr(RUN_SHORTOPTS, ch) != NULL)
		return strchr(run_short_keyed, ch) != NULL ? RUN_KEY_IN :
		    RUN_KEY_OUT;
	return RUN_KEY_IN;	/* unknown: the safe side */
}

/* Appends option CH and its ARG (or none) to B, one a line, for the key. */
static void
run_key_note(struct sbuf *b, int ch, const char *arg)
{
	size_t	i;

	for (i = 0; i < RUN_NOPTS && run_opts[i].name != NULL; i++)
		if (run_opts[i].val == ch)
			break;
	if (i < RUN_NOPTS && run_opts[i].name != NULL)
		sbuf_printf(b, "\n--%s", run_opts[i].name);
	else
		sbuf_printf(b, "\n-%c", ch);
	if (arg != NULL)
		sbuf_printf(b, " %s", arg);
}

int
run_option_classified(size_t i)
{
	return i < RUN_NOPTS && (run_opts[i].key == RUN_KEY_IN ||
	    run_opts[i].key == RUN_KEY_OUT);
}

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
		else if (n == 3 && strncasecmp(p, "dns", 3) == 0)
			m |= MATCH_DNS;
		else {
			msg_err("--match: unknown method \"%.*s\" (known: sid, "
			    "upn, email, dns)", (int)n, p);
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

/*
 * A duration: a number with s, m, h or d (seconds without), e.g. 24h.
 * 0, or -1 after reporting.
 */
static int
run_duration(const char *opt, const char *arg, long *out)
{
	char	*end;
	long	 v, mul = 1;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*end == 's')
		end++;
	else if (*end == 'm')
		mul = 60, end++;
	else if (*end == 'h')
		mul = 3600, end++;
	else if (*end == 'd')
		mul = 86400, end++;
	if (errno || end == arg || *end != '\0' || v < 1 ||
	    v > 3650L * 86400 / mul) {
		msg_err("%s %s: not a duration (a number with s, m, h or d, "
		    "e.g. 24h)", opt, arg);
		return -1;
	}
	*out = v * mul;
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
	/*
	 * 128 in flight: through a 2 ms round trip the modifies of 20,000
	 * accounts took 6.6-7.5 s at 128 against 9.2-10.5 s at 32; on
	 * loopback the two are level.  The write-ahead rule holds for any
	 * window (a record is durable before its modify is sent).
	 */
	o->window = 128;
	o->max_age = 24 * 3600;
	o->warn_days = 30;
	o->repl_wait = 300;
	optind = 1;
	while ((ch = getopt_long(argc, argv, RUN_SHORTOPTS,
	    run_getopt_table(), NULL)) != -1) {
		/* the options that change the items, as given, for the key */
		if (ch != '?' && run_option_key(ch) == RUN_KEY_IN)
			run_key_note(&o->keyargs, ch, optarg);
		if ((r = subcmd_ldap_opt(ch, optarg, &o->dir)) == -1)
			return -1;
		if (r == 1)
			continue;
		switch (ch) {
		case 'c': break;	/* the default: go on after errors */
		case 'n': o->preview = 1; break;
		case OPT_OUTPUT: o->out = optarg; break;
		case OPT_REPORT: o->report = optarg; break;
		case OPT_REPORT_FMT:
			if (strcasecmp(optarg, "json") == 0)
				o->report_json = 1;
			else if (strcasecmp(optarg, "csv") == 0)
				o->report_json = 0;
			else {
				msg_err("--report-format %s: csv or json", optarg);
				return -1;
			}
			break;
		case OPT_FAILON:
			if (report_parse_failon(optarg, &o->failon) == -1)
				return -1;
			break;
		case OPT_MAXAGE:
			if (run_duration("--max-age", optarg, &o->max_age) == -1)
				return -1;
			break;
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
		case OPT_KDCEV: {
			const char	**k;

			if (o->is_undo)
				goto usage;
			if ((k = realloc(o->kdcev, (o->nkdcev + 1) *
			    sizeof(*k))) == NULL) {
				msg_err("out of memory");
				return -1;
			}
			o->kdcev = k;
			k[o->nkdcev++] = optarg;
			break;
		}
		case OPT_USERCERT:
			if (o->is_undo)
				goto usage;
			o->usercert = 1;
			break;
		case OPT_SMIME: o->smime = 1; break;
		case OPT_PRUNE: o->prune = 1; break;
		case OPT_TSV: o->tsv = 1; break;
		case OPT_FULL: o->full = 1; break;
		case OPT_VERIFYON: o->verify_on = optarg; break;
		case OPT_REPLWAIT:
			if (run_number("--replication-wait", optarg, 0, 86400,
			    &o->repl_wait) == -1)
				return -1;
			break;
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
		case OPT_CRLCHECK:
			if (subcmd_crl_check(optarg, &o->crlchain) == -1)
				return -1;
			break;
		case OPT_FETCHCRL: o->fetchcrl = 1; break;
		case OPT_STRICT: o->strict = 1; break;
		case OPT_LOG: o->log = optarg; break;
		case OPT_SYSLOG: o->syslog = 1; break;
		case OPT_EXPIRED: o->allow_expired = 1; break;
		case OPT_UPGRADE: o->upgrade_weak = 1; break;
		case OPT_PRUNEWEAK: o->prune_weak = 1; break;
		case OPT_KDC:
			if (strcasecmp(optarg, "samba") == 0)
				o->kdc_samba = 1;
			else if (strcasecmp(optarg, "windows") == 0)
				o->kdc_samba = 0;
			else {
				msg_err("--kdc %s: windows (the default) or "
				    "samba", optarg);
				return -1;
			}
			break;
		case OPT_TRUSTCSV: o->pol.trust_csv = 1; break;
		case OPT_SKIPDIS: o->pol.skip_disabled = 1; break;
		case OPT_ALLOWPROT:
		case OPT_SCOPE:
		case OPT_GROUP:
			if (ch != OPT_ALLOWPROT && !dir_dn_valid(optarg)) {
				msg_err("--%s %s: not a distinguished name",
				    ch == OPT_SCOPE ? "scope" : "group", optarg);
				return -1;
			}
			if (strlist_add(ch == OPT_ALLOWPROT ? &o->pol.allow :
			    ch == OPT_SCOPE ? &o->pol.scope : &o->pol.groups,
			    optarg) == -1) {
				msg_err("out of memory");
				return -1;
			}
			break;
		default:
			goto usage;
		}
	}
	if (subcmd_ldap_check(&o->dir) == -1)
		return -1;
	if (o->verify_on != NULL && o->preview)
		msg_warn("--verify-on: a preview changes nothing; nothing is "
		    "waited for");
	if (o->crlfile != NULL && o->cafile == NULL) {
		msg_err("--crl-file needs --ca-file");
		return -1;
	}
	if (o->prune_weak && !o->upgrade_weak) {
		msg_err("--prune-weak needs --upgrade-weak");
		return -1;
	}
	if (o->fetchcrl && o->cafile == NULL) {
		msg_err("--fetch-crl needs --ca-file");
		return -1;
	}
	if (o->smime && !o->usercert) {
		msg_err("--user-smime needs --from-user-certificate");
		return -1;
	}
	return 0;
usage:
	usage_print(stderr);
	return -1;
}

/* Opens --output FILE (mode 0600) or stdout. */
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
	/* the one DC every read and write went to (--dc pins it) */
	sbuf_puts(&b, "\ndomain controller ");
	run_put_escaped(&b, dir_server(d));
	if (extra != NULL)
		sbuf_printf(&b, "\n%s", extra);
	return sbuf_done(&b);
}

/* Writes the LDIF in B to --output (or stdout). 0 or -1 (reported). */
static int
run_write(const struct runopts *o, const struct sbuf *b)
{
	FILE	*fp;
	int	 rc = -1;

	if ((fp = run_open_out(o->out)) == NULL)
		return -1;
	if ((b->len > 0 && fwrite(b->s, 1, b->len, fp) != b->len) ||
	    fflush(fp) == EOF || ferror(fp))
		msg_err("%s: write error: %s", o->out ? o->out : "stdout",
		    strerror(errno));
	else
		rc = 0;
	if (fp != stdout && fclose(fp) == EOF && rc == 0) {
		msg_err("%s: %s", o->out, strerror(errno));
		rc = -1;
	}
	return rc;
}

/*
 * The lines "certbulk apply" checks: when the plan was made, against
 * which domain, from which inputs (planfile.h).
 */
static void
run_plan_meta(struct sbuf *b, const struct runopts *o, struct dir *d)
{
	struct sbuf	m = SBUF_INIT;
	size_t		i;

	sbuf_printf(&m, PLANFILE_MADE "%lld\n" PLANFILE_DOMAIN "%s",
	    (long long)time(NULL), dir_domain(d));
	for (i = 0; i < o->fps.n; i++)
		sbuf_printf(&m, "\n" PLANFILE_INPUT "%s", o->fps.v[i]);
	if (m.oom)
		b->oom = 1;
	else
		ldifout_comment(b, m.s);
	sbuf_reset(&m);
}

/* One account's record of the preview into B (emptied first). */
static void
run_preview_record(struct sbuf *b, const struct runopts *o, int plan,
    const struct change *c)
{
	sbuf_clear(b);
	/* the account as an object: apply checks it is the same */
	if (plan && c->guid != NULL)
		sbuf_printf(b, "# certbulk-guid: %s\n", c->guid);
	/* an account of another domain: the DC it is changed on */
	if (c->server != NULL)
		sbuf_printf(b, "# certbulk-server: %s\n", c->server);
	ldifout_record_wrap(b, c, 0, o->dir.ldif_wrap);
}

/*
 * The preview.  A run's preview is a reviewed plan (planfile.h): sealed
 * with its SHA-256 so that "certbulk apply" takes it only unchanged.
 * Written a record at a time, never held whole (a million accounts are
 * hundreds of megabytes of LDIF): the records are formatted twice, once
 * for the seal that heads the file and once to write them.
 */
static int
run_preview(const struct runopts *o, struct dir *d, const struct changes *cs)
{
	struct sbuf	 b = SBUF_INIT, rec = SBUF_INIT;
	struct digest	*dg = NULL;
	char		*head, hex[DIGEST_HEX];
	FILE		*fp = NULL;
	size_t		 i;
	int		 plan = !o->is_undo && !o->is_apply, rc = -1, werr = 0;

	head = run_header(o->is_undo ? "preview of an undo" : o->is_apply ?
	    "preview of applying a plan now; nothing has been changed" :
	    "preview; nothing has been changed", d, plan ?
	    "apply exactly this plan with: certbulk [LDAP options] apply "
	    "FILE\n(ldapmodify -f FILE or ldifde -i -f FILE apply it "
	    "without certbulk's checks)" :
	    "apply with: ldapmodify -f FILE, or ldifde -i -f FILE");
	if (head != NULL)
		ldifout_comment(&b, head);
	else
		b.oom = 1;
	free(head);
	if (plan)
		run_plan_meta(&b, o, d);
	sbuf_putc(&b, '\n');
	if (b.oom) {
		msg_err("out of memory");
		goto out;
	}
	if (plan) {
		if ((dg = digest_begin()) == NULL ||
		    digest_add(dg, b.s, b.len) == -1)
			goto out;
		for (i = 0; i < cs->n; i++) {
			run_preview_record(&rec, o, plan, &cs->v[i]);
			if (rec.oom) {
				msg_err("out of memory");
				goto out;
			}
			if (digest_add(dg, rec.s, rec.len) == -1)
				goto out;
		}
		rc = digest_end(dg, hex);
		dg = NULL;
		if (rc == -1)
			goto out;
		rc = -1;
	}
	if ((fp = run_open_out(o->out)) == NULL)
		goto out;
	if (plan && fprintf(fp, PLANFILE_TAG "%s\n", hex) < 0)
		werr = 1;
	if (fwrite(b.s, 1, b.len, fp) != b.len)
		werr = 1;
	for (i = 0; i < cs->n && !werr; i++) {
		run_preview_record(&rec, o, plan, &cs->v[i]);
		if (rec.oom) {
			msg_err("out of memory");
			goto out;
		}
		if (rec.len > 0 && fwrite(rec.s, 1, rec.len, fp) != rec.len)
			werr = 1;
	}
	if (werr || fflush(fp) == EOF || ferror(fp)) {
		msg_err("%s: write error: %s", o->out ? o->out : "stdout",
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fp != NULL && fp != stdout && fclose(fp) == EOF && rc == 0) {
		msg_err("%s: %s", o->out, strerror(errno));
		rc = -1;
	}
	digest_abort(dg);
	sbuf_reset(&b);
	sbuf_reset(&rec);
	return rc;
}

/*
 * --output with a run that writes: the LDIF of what was applied (the
 * changes the server accepted), never a preview that looks applied.
 */
static int
run_write_applied(const struct runopts *o, struct dir *d,
    const struct changes *cs)
{
	struct sbuf	 b = SBUF_INIT;
	char		*head;
	size_t		 i, n = 0;
	int		 rc = -1;

	for (i = 0; i < cs->n; i++)
		n += cs->v[i].status == CHANGE_DONE;
	if ((head = run_header(o->is_undo ? "what this undo applied" :
	    "what this run applied", d, NULL)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	ldifout_comment(&b, head);
	free(head);
	sbuf_printf(&b, "# %zu of %zu modifies were applied; the others "
	    "failed or were not sent\n\n", n, cs->n);
	for (i = 0; i < cs->n; i++)
		if (cs->v[i].status == CHANGE_DONE)
			ldifout_record_wrap(&b, &cs->v[i], 0, o->dir.ldif_wrap);
	if (b.oom)
		msg_err("out of memory");
	else
		rc = run_write(o, &b);
	sbuf_reset(&b);
	return rc;
}

/* What run_recheck's report collects. */
struct run_dups {
	char	*const *vals;
	char	*const *owners;
	unsigned char	*flag;	/* per value: found on another account */
	size_t		 n;	/* values flagged */
	size_t		 off;	/* index of the first value passed */
	int		 strict;
};

static void
run_dup_report(void *arg, size_t i, const char *holder, const char *err)
{
	struct run_dups	*r = arg;
	char		*v, *h;

	i += r->off;
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

#define RUN_RECHECK_SLICE	1000	/* values per plan_dup_check */

/*
 * After the modifies: each value this run added is searched for again
 * (the whole domain, batched), since another run with another state
 * folder may have given it to a second account meanwhile.  With --strict
 * this run's copy is removed again.  That removal needs no undo record of
 * its own: the run's record for the account (delete the value) already
 * restores the state before the run whether or not the removal happened.
 * Changes [0, CHECKED) were rechecked during the run (recheck.h), with
 * HITS found; the rest is checked here.
 * Returns the number of values found twice, or -1 (directory failure).
 */
static long
run_recheck(const struct runopts *o, struct dir *d, const struct changes *cs,
    size_t checked, const struct recheck_hit *hits, size_t nhits)
{
	struct run_dups	 r;
	struct dir_mod	 m;
	char		**vals = NULL, **owners = NULL, *diag = NULL;
	size_t		*kof = NULL;	/* per change: its first value's k */
	size_t		 i, j, n = 0, k, span;
	long		 ret = -1;
	int		 msgid, lrc;

	/* accounts of other domains (forest.h) are not checked again: the
	 * strict removal would go to -H's DC */
	for (i = 0; i < cs->n; i++)
		if (cs->v[i].status == CHANGE_DONE && cs->v[i].attr == NULL &&
		    !cs->v[i].foreign)
			n += cs->v[i].add.n;
	if (n == 0)
		return 0;
	memset(&r, 0, sizeof(r));
	if ((vals = calloc(n, sizeof(*vals))) == NULL ||
	    (owners = calloc(n, sizeof(*owners))) == NULL ||
	    (r.flag = calloc(n, 1)) == NULL ||
	    (kof = calloc(cs->n + 1, sizeof(*kof))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (i = 0, k = 0; i < cs->n; i++)
		for (kof[i] = k, j = 0; cs->v[i].status == CHANGE_DONE &&
		    cs->v[i].attr == NULL && !cs->v[i].foreign &&
		    j < cs->v[i].add.n; j++) {
			vals[k] = cs->v[i].add.v[j];
			owners[k++] = cs->v[i].dn;
		}
	r.vals = vals;
	r.owners = owners;
	kof[cs->n] = k;
	r.strict = o->strict;
	for (i = 0; i < nhits; i++)
		run_dup_report(&r, kof[hits[i].chg] + hits[i].val,
		    hits[i].holder, hits[i].err);
	/* a slice at a time: the searches of every value at once (an undo
	 * read in slices rechecks all of them here) would hold all their
	 * keys and replies at the run's peak */
	for (r.off = kof[checked]; r.off < n; r.off += span) {
		span = n - r.off < RUN_RECHECK_SLICE ? n - r.off :
		    RUN_RECHECK_SLICE;
		if (plan_dup_check(d, vals + r.off, owners + r.off, span,
		    run_dup_report, &r) == -1)
			goto out;
	}
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
	free(kof);
	free(diag);
	free(vals);
	free(owners);
	free(r.flag);
	return ret;
}

/* Moves the changes of FROM to the end of TO (FROM is left empty). */
static int
run_changes_move(struct changes *to, struct changes *from)
{
	struct change	*c;
	size_t		 i;

	for (i = 0; i < from->n; i++) {
		if ((c = changes_add(to, from->v[i].dn)) == NULL) {
			msg_err("out of memory");
			memmove(from->v, from->v + i, (from->n - i) *
			    sizeof(*from->v));
			from->n -= i;
			return -1;
		}
		free(c->dn);
		*c = from->v[i];
	}
	from->n = 0;
	return 0;
}

/* Whether a change of CS goes to a DC other than -H's (struct change's
 * server: another domain's, or where a referral was followed). */
static int
run_any_server(const struct changes *cs)
{
	size_t	i;

	for (i = 0; i < cs->n; i++)
		if (cs->v[i].server != NULL)
			return 1;
	return 0;
}

/*
 * An undo read in slices (undoflow.h): after the first slice's modifies,
 * each next slice as it is read, into the same undo file; their changes
 * join CS for the report and --output.  After a stop the slices still
 * read are counted as not sent.  Returns as apply_run.
 */
static int
run_apply_flow(struct undoflow *uf, struct dir *d, struct changes *cs,
    struct undo *u, const struct apply_opts *ao, struct apply_stats *st)
{
	struct changes		 next = { NULL, 0, 0 };
	struct apply_stats	 s2;
	int			 r, rc = 0;

	while ((r = undoflow_next(uf, &next)) == 1) {
		if (next.n == 0)
			continue;
		if (rc == -1) {		/* stopped: read, not sent */
			st->unsent += next.n;
		} else {
			rc = apply_run(d, &next, u, ao, &s2);
			st->done += s2.done;
			st->failed += s2.failed;
			st->unsent += s2.unsent;
			st->unknown += s2.unknown;
			st->added += s2.added;
			st->removed += s2.removed;
			st->lost |= s2.lost;
			st->journal |= s2.journal;
			st->interrupted |= s2.interrupted;
		}
		if (run_changes_move(cs, &next) == -1) {
			st->journal = 1;	/* a local failure */
			rc = -1;
			break;
		}
	}
	if (r == -1) {
		/* the entries could not be read: what was sent stands */
		st->lost = 1;
		rc = -1;
	}
	changes_free(&next);
	return rc;
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
	struct recheck		*rk = NULL;
	struct recheck_hit	*hits = NULL;
	char			*dirpath = NULL, *path = NULL, *head = NULL;
	size_t			 checked, nhits = 0;
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
	/* the recheck goes along with the modifies (not in transactions:
	 * a group's outcome is known at its end only; not when changes go
	 * to other domains' DCs: those are not rechecked) */
	if (ao.txn == 0 && o->uf == NULL && !run_any_server(cs) &&
	    (rk = recheck_start(&o->dir, d, cs)) != NULL) {
		ao.settled = recheck_settled;
		ao.settled_arg = rk;
	}
	stagetime_mark(o->tm, "undo file and run state journal");
	if (forest_apply(d, cs, u, &ao, st) == -1 || (o->uf != NULL &&
	    run_apply_flow(o->uf, d, cs, u, &ao, st) == -1)) {
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
	if (rk != NULL) {
		recheck_finish(rk, &checked, &hits, &nhits);
		msg_debug("recheck: %zu of %zu accounts rechecked while the "
		    "modifies went out", checked, cs->n);
	} else
		recheck_finish(NULL, &checked, &hits, &nhits);
	stagetime_mark(o->tm, "modifies");
	if (!st->lost && !st->interrupted) {
		if ((dups = run_recheck(o, d, cs, checked, hits, nhits)) == -1)
			rc = CB_EXIT_LDAP;
		else if (dups > 0 && rc == CB_EXIT_OK)
			rc = CB_EXIT_SOME;
	}
	if (undo_close(u) == -1)
		rc = CB_EXIT_LOCAL;
	u = NULL;
	stagetime_mark(o->tm, "duplicate recheck");
	if (rs != NULL && sync_commit(rs->dir, rs->st, cs, rs->si,
	    time(NULL)) == -1)
		rc = CB_EXIT_LOCAL;
	stagetime_mark(o->tm, "run state commit");
	*undo_out = path;
	path = NULL;
out:
	recheck_hits_free(hits, nhits);
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
	else if (!preview)
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
	int	 rc, r, started = 0;

	if (o->preview) {
		rc = run_preview(o, d, cs) == -1 ? CB_EXIT_LOCAL : CB_EXIT_OK;
		run_summary(o->is_undo ? "undo preview" : o->is_apply ?
		    "plan preview" : "preview", o->is_undo,
		    ps, as, sk, NULL, 1, cs->n);
		return rc;
	}
	if (cs->n == 0) {
		rc = CB_EXIT_OK;
		/* the state still learns of renamed accounts, lost values */
		if (rs != NULL && sync_commit(rs->dir, rs->st, cs, rs->si,
		    time(NULL)) == -1)
			rc = CB_EXIT_LOCAL;
		run_summary(o->is_undo ? "undo: nothing to change" :
		    "nothing to change", o->is_undo, ps, as, sk, NULL, 0, 0);
	} else {
		rc = run_apply(o, d, cs, as, &undo, &started, rs);
		/* the run state is saved: its records (one per owned value)
		 * need not add to the log lines, output and reports after */
		if (rs != NULL)
			sync_state_free(rs->st);
		runlog_changes(cs);
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
	/* --output with a run that writes: what it applied, even nothing */
	if (o->out != NULL && run_write_applied(o, d, cs) == -1 &&
	    rc == CB_EXIT_OK)
		rc = CB_EXIT_LOCAL;
	/* last, every file written: only what was done is waited for, and
	 * a failed check does not hide the run's own status */
	if (started && o->verify_on != NULL && (r = replcheck_run(&o->dir,
	    dir_uri(d), o->verify_on, o->repl_wait, cs)) != 0 &&
	    rc == CB_EXIT_OK)
		rc = r == 1 ? CB_EXIT_SOME : CB_EXIT_LDAP;
	free(undo);
	return rc;
}

static int
run_connect(const struct runopts *o, struct dir **d)
{
	int	usage_err;

	if ((*d = dir_open(&o->dir, &usage_err)) == NULL)
		return usage_err ? CB_EXIT_USAGE : CB_EXIT_LDAP;
	if (dir_forest_attach(*d, &o->dir) == -1) {
		dir_close(*d);
		*d = NULL;
		return CB_EXIT_LDAP;
	}
	if (o->dir.dc != NULL)
		msg_note("pinned to domain controller %s (%s)", dir_uri(*d),
		    dir_server(*d));
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
static int	apply_body(struct runopts *, int, char *[]);

/* The outcome of change C for the report; DETAIL gets an LDAP result. */
static const char *
run_chg_outcome(const struct runopts *o, const struct change *c,
    const char **reason, char *detail, size_t dlen)
{
	*reason = NULL;
	detail[0] = '\0';
	if (o->preview)
		return REPORT_PLANNED;
	if (c->status == CHANGE_DONE)
		return REPORT_MAPPED;
	if (c->status == CHANGE_FAILED) {
		*reason = REASON_LDAP;
		snprintf(detail, dlen, "%s (%d)", dir_err2string(c->result),
		    c->result);
		return REPORT_FAILED;
	}
	return REPORT_UNSENT;
}

/*
 * One report row per item (CSV row or certificate file).  Returns the
 * number of refusals that are failures (not expected ones).
 */
static size_t
run_report_items(struct report *rep, const struct runopts *o,
    const struct input *in, const struct changes *cs,
    const struct accounts *unused, struct dir *d)
{
	const struct item	*it;
	const char		*vals[ALTSEC_NTYPES], *outcome, *reason;
	struct dir		*h;
	char			 detail[128], *why, sha1hex[INPUT_SHA1_HEX];
	char			 srcbuf[INPUT_SRC_BUF];
	size_t			 i, nv, failing = 0;
	struct report_row	 w;
	int			 k;

	(void)unused;
	for (i = 0; i < in->bad.n; i++) {
		memset(&w, 0, sizeof(w));
		w.source = in->bad.v[i];
		w.outcome = REPORT_REFUSED;
		w.reason = REASON_BAD_INPUT;
		(void)report_row(rep, &w);
	}
	for (i = 0; i < in->n; i++) {
		it = &in->items[i];
		memset(&w, 0, sizeof(w));
		detail[0] = '\0';
		for (k = 0, nv = 0; k < ALTSEC_NTYPES; k++)
			if (input_value(it, k) != NULL)
				vals[nv++] = input_value(it, k);
		reason = NULL;
		if (it->failed) {
			reason = it->reason ? it->reason : REASON_PLAN;
			if (strcmp(reason, REASON_SUPERSEDED) == 0 ||
			    (it->from_dir && report_expected(reason,
			    o->failon)))
				outcome = REPORT_SKIPPED;
			else {
				outcome = REPORT_REFUSED;
				failing++;
			}
		} else if (it->moved == 0 || it->chg < 0)
			outcome = REPORT_ALREADY;
		else
			outcome = run_chg_outcome(o, &cs->v[it->chg], &reason,
			    detail, sizeof(detail));
		w.source = input_src(it, srcbuf);
		w.outcome = outcome;
		w.reason = reason;
		w.account = it->chg >= 0 ? cs->v[it->chg].dn : it->acct_dn;
		w.server = it->chg >= 0 ? cs->v[it->chg].server : NULL;
		/* an account of another domain with nothing to change: the DC
		 * it was read on (connected already, dir_forest.h) */
		if (d != NULL && it->chg < 0 && it->acct_dn != NULL &&
		    strcmp(outcome, REPORT_ALREADY) == 0) {
			if ((h = dir_home(d, it->acct_dn, &why)) != NULL &&
			    h != d)
				w.server = dir_uri(h);
			free(why);
		}
		w.values = vals;
		w.nvalues = nv;
		w.cert = input_sha1(it, sha1hex);
		w.detail = detail[0] ? detail : NULL;
		(void)report_row(rep, &w);
	}
	return failing;
}

/* One report row per change (undo: no input rows). */
static void
run_report_changes(struct report *rep, const struct runopts *o,
    const struct changes *cs, const char *src)
{
	struct report_row	 w;
	const char		*reason;
	char			 detail[128];
	size_t			 i;

	for (i = 0; i < cs->n; i++) {
		memset(&w, 0, sizeof(w));
		w.source = src;
		w.outcome = run_chg_outcome(o, &cs->v[i], &reason, detail,
		    sizeof(detail));
		if (strcmp(w.outcome, REPORT_MAPPED) == 0 &&
		    cs->v[i].add.n == 0)
			w.outcome = REPORT_REMOVED;
		w.reason = reason;
		w.account = cs->v[i].dn;
		w.server = cs->v[i].server;
		w.values = (const char *const *)cs->v[i].add.v;
		w.nvalues = cs->v[i].add.n;
		w.detail = detail[0] ? detail : NULL;
		(void)report_row(rep, &w);
	}
}

/* Report rows of --prune: one per account whose values were removed. */
static void
run_report_removed(struct report *rep, const struct runopts *o,
    const struct changes *cs)
{
	struct report_row	 w;
	const char		*reason;
	char			 detail[128];
	size_t			 i;

	for (i = 0; i < cs->n; i++) {
		if (cs->v[i].del.n == 0 || cs->v[i].attr != NULL)
			continue;
		memset(&w, 0, sizeof(w));
		w.source = "prune";
		w.outcome = run_chg_outcome(o, &cs->v[i], &reason, detail,
		    sizeof(detail));
		if (strcmp(w.outcome, REPORT_MAPPED) == 0)
			w.outcome = REPORT_REMOVED;
		w.reason = reason;
		w.account = cs->v[i].dn;
		w.server = cs->v[i].server;
		w.values = (const char *const *)cs->v[i].del.v;
		w.nvalues = cs->v[i].del.n;
		w.detail = detail[0] ? detail : (o->preview ?
		    "to be removed (--prune)" : NULL);
		(void)report_row(rep, &w);
	}
}

/* A report row for an input that could not be read at all. */
static void
run_report_input(struct report *rep, const char *path)
{
	struct report_row	w;

	memset(&w, 0, sizeof(w));
	w.source = path;
	w.outcome = REPORT_REFUSED;
	w.reason = REASON_INPUT_MISSING;
	(void)report_row(rep, &w);
}

/*
 * The plan's line for input I: kind, SHA-256 of a CSV's bytes, or of the
 * list of a folder's certificates (path and thumbprint, as read).
 */
static int
run_fingerprint(struct runopts *o, const struct source *src,
    const struct input *in, size_t from, int ok)
{
	struct sbuf	 b = SBUF_INIT;
	char		 hex[DIGEST_HEX], *e = NULL, sha1hex[INPUT_SHA1_HEX];
	const char	*sha1;
	size_t		 i;
	int		 rc = -1;

	if (!ok)
		snprintf(hex, sizeof(hex), "unreadable");
	else if (!src->is_dir) {
		if (digest_file(src->path, hex) == -1)
			snprintf(hex, sizeof(hex), "unreadable");
	} else {
		for (i = from; i < in->n; i++)
			sbuf_printf(&b, "%s\t%s\n", INPUT_SRC(&in->items[i]),
			    (sha1 = input_sha1(&in->items[i], sha1hex)) !=
			    NULL ? sha1 : "");
		if (b.oom || digest_sha256(b.s ? b.s : "", b.len, hex) == -1)
			goto out;
	}
	sbuf_reset(&b);
	if ((e = msg_escape(src->path, strlen(src->path))) == NULL)
		goto out;
	sbuf_printf(&b, "%s sha256=%s %s", src->is_dir ? "certdir" : "csv",
	    hex, e);
	if (b.oom || strlist_add(&o->fps, b.s) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1)
		msg_err("out of memory");
	free(e);
	sbuf_reset(&b);
	return rc;
}

/*
 * --fetch-crl: the CRLs of the inputs' CDPs, cached in the state folder,
 * before the directory is asked.  A CDP that fails only warns.
 */
static int
run_fetch_crls(const struct runopts *o, struct trust *trust,
    const struct input *in, time_t now, struct crlfetch **cf)
{
	char	*dirpath = NULL;
	int	 rc = CB_EXIT_LOCAL;

	if (o->state_dir == NULL && (dirpath = state_default_dir()) == NULL) {
		msg_err("no state folder for the CRL cache: give --state-dir "
		    "DIR");
		goto out;
	}
	if ((*cf = crlfetch_new(o->state_dir ? o->state_dir : dirpath,
	    o->dir.timeout > 0 ? o->dir.timeout : 30, 1)) == NULL ||
	    trust_fetch_crls(trust, *cf, &in->pool, now) == -1) {
		rc = CB_EXIT_SOME;
		goto out;
	}
	rc = CB_EXIT_OK;
out:
	free(dirpath);
	return rc;
}
static int	ntauth_body(struct runopts *, int, char *[]);

/*
 * --kdc-events without certificates: the list of what the KDC saw, for
 * --output FILE (0600) or standard output.  Nothing is looked up.
 */
static int
run_kdc_todo(const struct runopts *o, const struct kdcevents *ev)
{
	FILE	*fp;
	size_t	 n;
	int	 rc = CB_EXIT_LOCAL;

	if ((fp = run_open_out(o->out)) == NULL)
		return CB_EXIT_LOCAL;
	if (kdcev_todo(ev, fp, &n) == 0) {
		msg_note("--kdc-events: %zu events 39/40/41, %zu certificates "
		    "to map (give them with --csv or --certdir)%s", ev->n, n,
		    ev->other ? "; other events skipped" : "");
		rc = ev->errors > 0 ? CB_EXIT_SOME : CB_EXIT_OK;
	}
	if (fp != stdout && fclose(fp) == EOF && rc != CB_EXIT_LOCAL) {
		msg_err("%s: %s", o->out, strerror(errno));
		rc = CB_EXIT_LOCAL;
	}
	return rc;
}

/*
 * What the values of unchanged files depend on besides the files: the
 * forms, the matching, the CA and CRL files, the policy, the directory.
 * Another key reads all.
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
	/* the CA and CRL files' identity: their content, not their names */
	sbuf_printf(&b, "ca %s crl %s", ca, crl);
	/* every option that changes what a file's items become (RUN_KEY_IN
	 * in run_opts), with its words as given */
	if (o->keyargs.s != NULL)
		sbuf_puts(&b, o->keyargs.s);
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
	struct report		*rep = NULL;
	struct crlfetch		*cf = NULL;
	struct kdcevents	 ev = { NULL, 0, 0, 0 };
	FILE			*logfp = NULL;
	struct sync_state	 sst = { NULL, 0 };
	struct sync_inputs	 si;
	struct sync_opts	 so;
	struct run_sync		 rs;
	struct incr		*inc = NULL;
	char			**roots = NULL, *dirpath = NULL, *key = NULL;
	const char		*sub = NULL, *sdir;
	size_t			 i, *first = NULL, from, before, missing = 0;
	size_t			 failing = 0;
	unsigned		 intypes;
	int			 help, rc = CB_EXIT_USAGE, t, ok, exists;
	struct stagetime	 tm;

	stagetime_start(&tm);
	memset(&o, 0, sizeof(o));
	o.tm = &tm;
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
		if (o.nsrc > 0 || o.usercert || o.nkdcev > 0) {
			msg_err("undo takes undo files, not --csv, --certdir, "
			    "--from-user-certificate or --kdc-events");
			goto out;
		}
		o.is_undo = 1;
		o.argc = argc;
		o.argv = argv;
		rc = undo_body(&o, argc - optind - 1, argv + optind + 1);
		goto out;
	}
	if (optind < argc && strcmp(argv[optind], "apply") == 0) {
		/* certbulk [options] apply [options] PLAN */
		if (o.nsrc > 0) {
			msg_err("apply takes a plan (certbulk -n --output "
			    "FILE), not --csv or --certdir");
			goto out;
		}
		o.is_apply = 1;
		rc = apply_body(&o, argc - optind - 1, argv + optind + 1);
		goto out;
	}
	if (optind < argc && strcmp(argv[optind], "ntauth") == 0) {
		/* certbulk [options] ntauth add|remove CA.cer */
		rc = ntauth_body(&o, argc - optind - 1, argv + optind + 1);
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
	if (o.nsrc == 0 && !o.usercert && o.nkdcev == 0 &&
	    (sub == NULL || strcmp(sub, "status") != 0)) {
		msg_err("no input: give --csv FILE, --certdir DIR, "
		    "--from-user-certificate or --kdc-events FILE");
		usage_print(stderr);
		goto out;
	}
	/* the KDC's events: which certificates to map, or the to-do list */
	for (i = 0; i < o.nkdcev; i++)
		if (kdcev_read(o.kdcev[i], &ev) == -1) {
			rc = CB_EXIT_SOME;
			goto out;
		}
	if (o.nkdcev > 0 && o.nsrc == 0 && !o.usercert) {
		rc = run_kdc_todo(&o, &ev);
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
	if (trust != NULL)
		trust_set_crl_check(trust, o.crlchain ? TRUST_CRL_CHAIN :
		    TRUST_CRL_LEAF);
	/* Stage 1: inputs, all checked before anything else.  Certificates
	 * are kept past reading only for the chain checks. */
	in.keep_certs = trust != NULL || o.nkdcev > 0;
	if (o.report != NULL &&
	    (rep = report_open(o.report, o.report_json)) == NULL) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	/* one more: --from-user-certificate is an input of its own */
	if ((roots = calloc(o.nsrc + 1, sizeof(*roots))) == NULL ||
	    (first = calloc(o.nsrc + 1, sizeof(*first))) == NULL) {
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
		/*
		 * Without owned.tsv the state is rebuilt from every input.
		 * Every file is read too with --fetch-crl (tonight's CRL may
		 * revoke an unchanged file's certificate), --kdc-events (the
		 * events pick among all) and --from-user-certificate.
		 */
		if ((key = run_incr_key(&o, sdir, &t)) == NULL ||
		    (inc = incr_open(sdir, key, o.full || !t || o.fetchcrl ||
		    o.nkdcev > 0 || o.usercert)) == NULL) {
			rc = CB_EXIT_LOCAL;
			goto out;
		}
		in.skip = incr_skip;
		in.seen = incr_seen;
		in.hook_arg = inc;
	}
	/* --upgrade-weak: the weak forms too, to find the accounts by */
	intypes = o.types | (o.upgrade_weak ? UPGRADE_WEAK_TYPES : 0);
	for (i = 0; i < o.nsrc; i++) {
		roots[i] = (char *)(uintptr_t)o.src[i].path;
		first[i] = in.n;	/* the run state: which input, per item */
		before = from = in.n;
		ok = (o.src[i].is_dir ? input_certdir(&in, o.src[i].path,
		    intypes) : input_csv(&in, o.src[i].path, intypes)) == 0;
		if (!ok) {
			/* a share not mounted is not an expired certificate */
			in.errors++;
			missing++;
			run_report_input(rep, o.src[i].path);
		}
		for (; before < in.n && o.src[i].is_dir; before++)
			in.items[before].from_dir = 1;
		if (run_fingerprint(&o, &o.src[i], &in, from, ok) == -1) {
			rc = CB_EXIT_LOCAL;
			goto out;
		}
	}
	if (sub != NULL && strcmp(sub, "status") == 0) {
		rc = sync_body(&o, sdir, &in, roots, first, trust);
		goto out;
	}
	if (inc != NULL && incr_skipped(inc) > 0)
		msg_note("%zu certificate files unchanged since the last run, "
		    "not read (--full reads them)", incr_skipped(inc));
	/* certificates published in the directory: read over the run's
	 * connection, opened early for them */
	if (o.usercert) {
		rc = run_connect(&o, &d);
		runlog_start(argc, argv, d);
		if (rc != CB_EXIT_OK)
			goto out;
		roots[o.nsrc] = (char *)(uintptr_t)"--from-user-certificate";
		first[o.nsrc] = in.n;
		if (input_usercerts(&in, d, o.smime, intypes, time(NULL),
		    o.allow_expired) == -1) {
			rc = CB_EXIT_LDAP;
			goto out;
		}
	}
	if (o.nkdcev > 0 && kdcev_select(&ev, &in) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	/* --kdc samba: the strong values in the form Samba's KDC matches */
	if (o.kdc_samba && sambakdc_items(&in) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (in.n == 0 && (inc == NULL || incr_skipped(inc) == 0)) {
		msg_err("no certificate to map");
		rc = missing > 0 ? CB_EXIT_INPUT : CB_EXIT_SOME;
		goto out;
	}
	stagetime_mark(&tm, "inputs read");
	po.now = time(NULL);
	if (o.fetchcrl && (rc = run_fetch_crls(&o, trust, &in, po.now,
	    &cf)) != CB_EXIT_OK)
		goto out;
	/* Stage 2: the plan, read-only. */
	rc = d == NULL ? run_connect(&o, &d) : CB_EXIT_OK;
	runlog_start(argc, argv, d);
	if (rc != CB_EXIT_OK)
		goto out;
	if (report_server(rep, dir_server(d)) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if ((t = policy_load(&o.pol, d)) != 0) {
		rc = t == 1 ? CB_EXIT_USAGE : CB_EXIT_LDAP;
		goto out;
	}
	po.pol = &o.pol;
	po.match = o.match;
	po.types = o.types;
	po.allow_expired = o.allow_expired;
	po.trust = trust;
	po.failon = o.failon;
	po.upgrade_weak = o.upgrade_weak;
	po.prune_weak = o.prune_weak;
	/* each item's values and input, before the plan moves them */
	/* (it points at them: the weak ones --upgrade-weak frees, copied) */
	if (sync_inputs_copying(&si, &in, roots, first, o.nsrc + (o.usercert ?
	    1 : 0), o.upgrade_weak ? UPGRADE_WEAK_TYPES & ~o.types : 0) == -1) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (inc != NULL && incr_skipped(inc) > 0 &&
	    (si.skipsha = incr_shas(inc, &si.nskipsha)) == NULL) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	stagetime_mark(&tm, "connect and policy");
	if (plan_build(d, &in, &po, &cs, &ps) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	stagetime_mark(&tm, "plan (lookups, duplicate checks)");
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
	stagetime_mark(&tm, "run state reconciled");
	sk.input = in.errors;
	rs.dir = sdir;
	rs.st = &sst;
	rs.si = &si;
	rc = run_output(&o, d, &cs, &ps, &sk, &as, o.preview ? NULL : &rs);
	if (!o.preview && inc != NULL && incr_save(inc, sdir, &in, &cs) == -1)
		rc = CB_EXIT_LOCAL;
	stagetime_mark(&tm, o.preview ? "preview written" : "output");
	failing = run_report_items(rep, &o, &in, &cs, NULL, d);
	run_report_removed(rep, &o, &cs);
	if (ps.refused > failing)
		msg_note("%zu certificates skipped as expected (expired, not "
		    "yet valid, or no account in this domain): not failures "
		    "(--fail-on makes them so)", ps.refused - failing);
	/* the order of EXIT STATUS: 2, 4, 3, then 5 before 1 */
	if ((rc == CB_EXIT_OK || rc == CB_EXIT_SOME) && missing > 0)
		rc = CB_EXIT_INPUT;
	else if (rc == CB_EXIT_OK && (in.errors > 0 || failing > 0 ||
	    as.failed > 0 || ev.errors > 0))
		rc = CB_EXIT_SOME;
out:
	if (report_close(rep) == -1 && (rc == CB_EXIT_OK ||
	    rc == CB_EXIT_SOME || rc == CB_EXIT_INPUT))
		rc = CB_EXIT_LOCAL;
	strlist_free(&o.fps);
	crlfetch_free(cf);
	kdcev_free(&ev);
	free(o.kdcev);
	if (logfp != NULL || o.syslog)
		runlog_start(argc, argv, NULL);	/* if not written yet */
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
	policy_free(&o.pol);
	free(o.src);
	sbuf_reset(&o.keyargs);
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
	struct report		*rep = NULL;
	size_t			 i, j, unrouted = 0;
	int			 rc = CB_EXIT_USAGE, t = 0;

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
	stagetime_mark(o.tm, "undo files read");
	rc = run_connect(&o, &d);
	runlog_start(op->argc, op->argv, d);
	if (rc != CB_EXIT_OK)
		goto out;
	/* NTAuth records (ntauth add/remove) first, then the accounts */
	if (ntauth_plan_undo(d, &want, &cs, &sk.input) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	for (i = j = 0; i < want.n; i++) {	/* planned: leave them out */
		if (want.v[i].attr == NULL) {
			want.v[j++] = want.v[i];
			continue;
		}
		free(want.v[i].dn);
		free(want.v[i].guid);
		free(want.v[i].server);
		strlist_free(&want.v[i].add);
		strlist_free(&want.v[i].del);
		strlist_free(&want.v[i].notes);
	}
	want.n = j;
	stagetime_mark(o.tm, "connect");
	/*
	 * A large undo, all on -H's domain: its entries are read in slices
	 * while the modifies of the slices before go out (the values it
	 * adds back checked first: undoflow.h).  Records of other domains'
	 * DCs are routed whole.
	 */
	if (!o.preview && o.txn == 0 && !run_any_server(&want) &&
	    undoflow_fits(&want) && (o.uf = undoflow_start(&o.dir, d, &want,
	    &sk.missing, &sk.refused)) != NULL) {
		/* the first slice with a change, for run_output to start */
		while (cs.n == 0 && (t = undoflow_next(o.uf, &cs)) == 1)
			;
		if (cs.n == 0 && t == -1) {
			rc = CB_EXIT_LDAP;
			goto out;
		}
	} else if (forest_plan_undo(d, &want, &cs, &sk.missing, &sk.refused,
	    &unrouted) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	stagetime_mark(o.tm, "undo plan (entries read)");
	if (o.report != NULL &&
	    ((rep = report_open(o.report, o.report_json)) == NULL ||
	    report_server(rep, dir_server(d)) == -1)) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	sk.input += unrouted;	/* records of a domain with no DC: skipped */
	rc = run_output(&o, d, &cs, NULL, &sk, &as, NULL);
	run_report_changes(rep, &o, &cs, "undo");
	if (rc == CB_EXIT_OK && (sk.input > 0 || sk.missing > 0 ||
	    sk.refused > 0 || as.failed > 0))
		rc = CB_EXIT_SOME;
out:
	if (report_close(rep) == -1 && (rc == CB_EXIT_OK ||
	    rc == CB_EXIT_SOME || rc == CB_EXIT_INPUT))
		rc = CB_EXIT_LOCAL;
	undoflow_free(o.uf);
	changes_free(&want);
	changes_free(&cs);
	dir_close(d);
	return rc;
}

/* Notes the plan's CSV inputs that changed since: applied as reviewed. */
static void
apply_note_inputs(const struct planfile *pf)
{
	char		 hex[DIGEST_HEX];
	const char	*l, *path;
	size_t		 i;

	for (i = 0; i < pf->inputs.n; i++) {
		l = pf->inputs.v[i];
		if (strncmp(l, "csv sha256=", 11) != 0 || strlen(l) < 11 + 65 ||
		    l[11 + 64] != ' ')
			continue;
		path = l + 11 + 65;
		if (digest_file(path, hex) == -1)
			msg_note("%s, an input of the plan, is gone or "
			    "unreadable now; the plan is applied as reviewed",
			    path);
		else if (strncmp(hex, l + 11, 64) != 0)
			msg_note("%s changed since the plan was made; the plan "
			    "is applied as reviewed, not the file's new "
			    "content", path);
	}
}

/* Report rows of a plan's apply: one per value the plan adds. */
static void
apply_report(struct report *rep, const struct runopts *o, const char *path,
    const struct planfile *pf, struct planres **res,
    const struct changes *cs)
{
	struct report_row	 w;
	struct sbuf		 src = SBUF_INIT;
	const struct change	*rec;
	const char		*v;
	char			 detail[128];
	size_t			 i, j;

	for (i = 0; i < pf->cs.n; i++) {
		rec = &pf->cs.v[i];
		for (j = 0; j < rec->add.n; j++) {
			memset(&w, 0, sizeof(w));
			detail[0] = '\0';
			sbuf_reset(&src);
			sbuf_printf(&src, "%s:%lu", path, pf->line[i]);
			w.source = src.s ? src.s : path;
			w.outcome = res[i][j].outcome;
			w.reason = res[i][j].reason;
			if (strcmp(w.outcome, REPORT_PLANNED) == 0 &&
			    res[i][j].chg >= 0)
				w.outcome = run_chg_outcome(o,
				    &cs->v[res[i][j].chg], &w.reason, detail,
				    sizeof(detail));
			w.account = res[i][j].chg >= 0 ?
			    cs->v[res[i][j].chg].dn : rec->dn;
			v = rec->add.v[j];
			w.values = &v;
			w.nvalues = 1;
			w.cert = pf->vals[i][j].sha1;
			w.detail = detail[0] ? detail : NULL;
			(void)report_row(rep, &w);
		}
	}
	sbuf_reset(&src);
}

/*
 * certbulk apply PLAN: exactly the reviewed preview, each value only if
 * its preconditions still hold (planapply.h); nothing else.
 */
static int
apply_body(struct runopts *op, int nargs, char *args[])
{
	struct runopts		 o = *op;
	struct planfile		 pf;
	struct planres		**res = NULL;
	struct dir		*d = NULL;
	struct changes		 cs = { NULL, 0 };
	struct apply_stats	 as;
	struct run_skips	 sk = { 0, 0, 0 };
	struct report		*rep = NULL;
	size_t			 refused = 0;
	time_t			 now = time(NULL);
	char			*dom = NULL;
	int			 rc = CB_EXIT_USAGE;

	memset(&as, 0, sizeof(as));
	memset(&pf, 0, sizeof(pf));
	if (nargs != 1) {
		msg_err("apply: give one plan (a preview written with "
		    "certbulk -n --output FILE)");
		usage_print(stderr);
		goto out;
	}
	/* the whole plan is checked before the directory is touched */
	if (planfile_read(args[0], &pf) == -1) {
		rc = CB_EXIT_INPUT;
		goto out;
	}
	if (pf.made > now + 300 || now - pf.made > o.max_age) {
		msg_err("%s: the plan was made %lld minutes %s; %s: make a new "
		    "preview and review it", args[0], (long long)(pf.made >
		    now ? pf.made - now : now - pf.made) / 60, pf.made > now ?
		    "in the future (clock?)" : "ago", pf.made > now ?
		    "refused" : "older than --max-age allows, refused");
		rc = CB_EXIT_INPUT;
		goto out;
	}
	apply_note_inputs(&pf);
	if ((rc = run_connect(&o, &d)) != CB_EXIT_OK)
		goto out;
	if ((dom = msg_escape(dir_domain(d), strlen(dir_domain(d)))) ==
	    NULL) {
		msg_err("out of memory");
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (strcasecmp(dom, pf.domain) != 0) {
		msg_err("%s: the plan was made for the domain %s, this "
		    "directory is %s; refused", args[0], pf.domain, dom);
		rc = CB_EXIT_INPUT;
		goto out;
	}
	if (o.report != NULL &&
	    ((rep = report_open(o.report, o.report_json)) == NULL ||
	    report_server(rep, dir_server(d)) == -1)) {
		rc = CB_EXIT_LOCAL;
		goto out;
	}
	if (planapply_check(d, &pf, now, &cs, &res, &refused) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	rc = run_output(&o, d, &cs, NULL, &sk, &as, NULL);
	if (refused > 0)
		msg_note("%zu value%s of the plan not applied: %s "
		    "precondition no longer holds", refused, refused > 1 ?
		    "s" : "", refused > 1 ? "their" : "its");
	apply_report(rep, &o, args[0], &pf, res, &cs);
	if (rc == CB_EXIT_OK && (refused > 0 || as.failed > 0))
		rc = CB_EXIT_SOME;
out:
	if (report_close(rep) == -1 && (rc == CB_EXIT_OK ||
	    rc == CB_EXIT_SOME || rc == CB_EXIT_INPUT))
		rc = CB_EXIT_LOCAL;
	planapply_res_free(res, pf.cs.n);
	planfile_free(&pf);
	free(dom);
	changes_free(&cs);
	dir_close(d);
	return rc;
}

/*
 * certbulk [options] ntauth add|remove CA.cer: the Linux counterpart of
 * certutil -dspublish -f CA.cer NTAuthCA (and of removing it), planned by
 * ntauth.c and then previewed or applied like any run.
 */
static int
ntauth_body(struct runopts *op, int nargs, char *args[])
{
	struct runopts		 o = *op;
	struct ntauth_ca	 ca;
	struct dir		*d = NULL;
	struct changes		 cs = { NULL, 0 };
	struct apply_stats	 as;
	struct run_skips	 sk = { 0, 0, 0 };
	int			 rc = CB_EXIT_USAGE, remove;

	memset(&ca, 0, sizeof(ca));
	memset(&as, 0, sizeof(as));
	if (o.nsrc > 0 || o.cafile != NULL) {
		msg_err("ntauth add/remove take one CA certificate file, not "
		    "--csv, --certdir or --ca-file");
		goto out;
	}
	if (nargs != 2 || (strcmp(args[0], "add") != 0 &&
	    strcmp(args[0], "remove") != 0)) {
		msg_err("usage: certbulk [LDAP options] ntauth add|remove "
		    "[-n] [--output FILE] [--state-dir DIR] CA.cer");
		goto out;
	}
	remove = strcmp(args[0], "remove") == 0;
	/* a file that is not one CA certificate changes nothing */
	if (ntauth_ca_read(args[1], &ca) == -1) {
		rc = CB_EXIT_SOME;
		goto out;
	}
	if ((rc = run_connect(&o, &d)) != CB_EXIT_OK)
		goto out;
	if (ntauth_plan(d, &ca, remove, &cs) == -1) {
		rc = CB_EXIT_LDAP;
		goto out;
	}
	rc = run_output(&o, d, &cs, NULL, &sk, &as, NULL);
	if (rc == CB_EXIT_OK && as.failed > 0)
		rc = CB_EXIT_SOME;
	if (!o.preview && as.done > 0)
		msg_note("domain controllers and clients pick up the NTAuth "
		    "change at their next Group Policy refresh (90 minutes "
		    "or so); to make a Windows machine take it now: certutil "
		    "-pulse (or gpupdate /force)");
out:
	ntauth_ca_free(&ca);
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
	int			 exists, r, rc = CB_EXIT_LOCAL;

	memset(&si, 0, sizeof(si));
	if (sync_load(sdir, &st, &exists) == -1)
		goto out;
	if (!exists)
		msg_warn("%s: no run state (owned.tsv) yet", sdir);
	if (o->nsrc > 0 && sync_inputs(&si, in, roots, first, o->nsrc) == -1)
		goto out;
	/* the revocation verdict, as a run gets it from the plan */
	sync_mark_revoked(in, trust, time(NULL));
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
