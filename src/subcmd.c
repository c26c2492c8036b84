/*
 * subcmd: the parts the directory subcommands share.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "dir_forest.h"
#include "forestconf.h"
#include "msg.h"
#include "subcmd.h"

/* The subcommands' own long options (subcmd_parse), at file scope so that
 * subcmd_find reads them too. */
enum { OPT_TSV = SUBCMD_OPT_OWN, OPT_JSON, OPT_CAFILE, OPT_CRLFILE,
    OPT_CRLCHECK, OPT_JSONFILE, OPT_CSVFILE, OPT_HTMLFILE, OPT_WITHCERTS,
    OPT_STATEDIR, OPT_CERTDIR, OPT_INCSV, OPT_FETCHCRL, OPT_GRACE };
static const struct option subcmd_longopts[] = {
	{ "timeout", required_argument, NULL, SUBCMD_OPT_TIMEOUT },
	{ "allow-cleartext-bind", no_argument, NULL, SUBCMD_OPT_CLEAR },
	{ "dc", required_argument, NULL, SUBCMD_OPT_DC },
	{ "gc", required_argument, NULL, SUBCMD_OPT_GC },
	{ "tsv", no_argument, NULL, OPT_TSV },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "ca-file", required_argument, NULL, OPT_CAFILE },
	{ "crl-file", required_argument, NULL, OPT_CRLFILE },
	{ "crl-check", required_argument, NULL, OPT_CRLCHECK },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};
/* audit's: --json names a file there (verify's prints to stdout) */
static const struct option subcmd_reportopts[] = {
	{ "timeout", required_argument, NULL, SUBCMD_OPT_TIMEOUT },
	{ "allow-cleartext-bind", no_argument, NULL, SUBCMD_OPT_CLEAR },
	{ "dc", required_argument, NULL, SUBCMD_OPT_DC },
	{ "gc", required_argument, NULL, SUBCMD_OPT_GC },
	{ "tsv", no_argument, NULL, OPT_TSV },
	{ "json", required_argument, NULL, OPT_JSONFILE },
	{ "csv", required_argument, NULL, OPT_CSVFILE },
	{ "html", required_argument, NULL, OPT_HTMLFILE },
	{ "with-certificates", no_argument, NULL, OPT_WITHCERTS },
	{ "ca-file", required_argument, NULL, OPT_CAFILE },
	{ "crl-file", required_argument, NULL, OPT_CRLFILE },
	{ "crl-check", required_argument, NULL, OPT_CRLCHECK },
	{ "fetch-crl", no_argument, NULL, OPT_FETCHCRL },
	{ "state-dir", required_argument, NULL, OPT_STATEDIR },
	{ "certdir", required_argument, NULL, OPT_CERTDIR },
	{ "input-csv", required_argument, NULL, OPT_INCSV },
	{ "grace", required_argument, NULL, OPT_GRACE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

/* Option I of getopt table T (the run's, the subcommands', audit's), or
 * NULL past the last. */
static const struct option *
subcmd_table_opt(int t, size_t i)
{
	const struct option	*lo;

	switch (t) {
	case 0: return run_option(i);
	case 1: lo = subcmd_longopts; break;
	case 2: lo = subcmd_reportopts; break;
	default: return NULL;
	}
	return lo[i].name != NULL ? &lo[i] : NULL;
}

/* Whether option NAME takes no argument in some table: --json is a flag
 * of verify's before the name and a file of audit's; the flag is kept. */
static int
subcmd_flag_somewhere(const char *name)
{
	const struct option	*lo;
	size_t			 i;
	int			 t;

	for (t = 0; t < 3; t++)
		for (i = 0; (lo = subcmd_table_opt(t, i)) != NULL; i++)
			if (lo->has_arg == no_argument &&
			    strcmp(lo->name, name) == 0)
				return 1;
	return 0;
}

/*
 * Whether --NAME (LEN bytes, getopt's abbreviations too) takes an
 * argument, from the getopt tables of the run and the subcommands: their
 * next word is never the subcommand's name.
 */
static int
subcmd_takes_arg(const char *name, size_t len)
{
	const struct option	*lo;
	size_t			 i;
	int			 t;

	for (t = 0; t < 3; t++)
		for (i = 0; (lo = subcmd_table_opt(t, i)) != NULL; i++)
			if (lo->has_arg == required_argument &&
			    strncmp(lo->name, name, len) == 0 &&
			    !subcmd_flag_somewhere(lo->name))
				return 1;
	return 0;
}

/* Whether short option C takes an argument: a letter followed by ':' in
 * the run's or the subcommands' getopt string. */
static int
subcmd_short_takes_arg(int c)
{
	static const char *const strs[] = { RUN_SHORTOPTS, SUBCMD_SHORTOPTS };
	const char	*p;
	size_t		 i;

	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (c != ':' && (p = strchr(strs[i], c)) != NULL && p[1] == ':')
			return 1;
	return 0;
}

int
subcmd_find(int argc, char *argv[])
{
	const char	*a;
	int		 i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		if (strcmp(a, "--") == 0)
			return i + 1 < argc ? i + 1 : argc;
		if (a[0] != '-' || a[1] == '\0')
			return i;
		if (a[1] == '-') {
			/* --name=value carries its argument */
			if (strchr(a, '=') == NULL &&
			    subcmd_takes_arg(a + 2, strlen(a + 2)))
				i++;
			continue;
		}
		/* a cluster such as -nb BASE or -bBASE */
		for (a++; *a != '\0'; a++)
			if (subcmd_short_takes_arg((unsigned char)*a)) {
				if (a[1] == '\0')
					i++;
				break;
			}
	}
	return argc;
}

/* A whole number from MIN to MAX in S, or -1. */
static long
subcmd_num(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end != '\0' || end == s || v < min || v > max)
		return -1;
	return v;
}

/*
 * -o opt[=val] as ldapmodify(1) spells it.  Before, certbulk's -o named
 * the preview file: such a word must not be taken silently.
 */
static int
subcmd_tool_opt(const char *arg, struct dir_opts *o)
{
	const char	*eq = strchr(arg, '=');
	size_t		 n = eq ? (size_t)(eq - arg) : strlen(arg);
	const char	*val = eq ? eq + 1 : "";
	long		 v;

	if (n == 10 && strncmp(arg, "nettimeout", n) == 0) {
		if ((v = subcmd_num(val, 1, 3600)) == -1) {
			msg_err("-o nettimeout=%s: not a number of seconds from "
			    "1 to 3600", val);
			return -1;
		}
		o->nettimeout = (int)v;
		return 0;
	}
	if (n == 9 && (strncmp(arg, "ldif_wrap", n) == 0 ||
	    strncmp(arg, "ldif-wrap", n) == 0)) {
		if (strcmp(val, "no") == 0)
			o->ldif_wrap = 0;
		else if ((v = subcmd_num(val, 2, 100000)) != -1)
			o->ldif_wrap = (int)v;
		else {
			msg_err("-o ldif_wrap=%s: give a line width (2 or more) "
			    "or no", val);
			return -1;
		}
		return 0;
	}
	msg_err("-o %s: not an option of the OpenLDAP tools' -o "
	    "(nettimeout=N, ldif_wrap=N|no); the preview or output file is "
	    "given with --output FILE", arg);
	return -1;
}

int
subcmd_ldap_opt(int ch, char *arg, struct dir_opts *o)
{
	char	*end;
	long	 v;

	switch (ch) {
	case 'b': o->base = arg; break;
	case 'D': o->binddn = arg; break;
	case 'H': o->uri = arg; break;
	case 'O': o->secprops = arg; break;
	case 'R': o->realm = arg; break;
	case 'U': o->authcid = arg; break;
	case 'W': o->prompt = 1; break;
	case 'x': o->simple = 1; break;
	case 'X': o->authzid = arg; break;
	case 'y': o->pwfile = arg; break;
	case 'Y': o->mech = arg; break;
	case 'Z': o->starttls++; break;
	case 'o':
		if (subcmd_tool_opt(arg, o) == -1) {
			usage_print(stderr);
			return -1;
		}
		break;
	case 'w':
		/* ldapmodify's -w: every user on the host could read it */
		explicit_bzero(arg, strlen(arg));
		msg_err("-w: a password on the command line is visible to "
		    "every user of this host; use -y FILE or -W");
		return -1;
	case SUBCMD_OPT_CLEAR: o->allow_cleartext = 1; break;
	case SUBCMD_OPT_DC: o->dc = arg; break;
	case SUBCMD_OPT_GC: o->gc = arg; break;
	case SUBCMD_OPT_DOMURI:
		if (dir_domain_uri_check(arg) == -1)
			return -1;
		if (o->ndomuri == DIR_DOMURI_MAX) {
			msg_err("--domain-uri: at most %d", DIR_DOMURI_MAX);
			return -1;
		}
		o->domuri[o->ndomuri++] = arg;
		break;
	case SUBCMD_OPT_FORESTCONF:
		if (forestconf_read(arg, o) == -1)
			return -1;
		break;
	case SUBCMD_OPT_TIMEOUT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (errno || *end != '\0' || end == arg || v < 1 || v > 3600) {
			msg_err("--timeout %s: not a number from 1 to 3600",
			    arg);
			return -1;
		}
		o->timeout = (int)v;
		break;
	default:
		return 0;
	}
	return 1;
}

int
subcmd_ldap_check(const struct dir_opts *o)
{
	if (o->simple && o->mech != NULL) {
		msg_err("-x (simple bind) and -Y (SASL) exclude each other");
		return -1;
	}
	if (o->pwfile != NULL && o->prompt) {
		msg_err("-y and -W exclude each other");
		return -1;
	}
	return 0;
}

int
subcmd_crl_check(const char *arg, int *chain)
{
	if (strcmp(arg, "leaf") == 0)
		*chain = 0;
	else if (strcmp(arg, "chain") == 0)
		*chain = 1;
	else {
		msg_err("--crl-check %s: give leaf (the certificate's own CRL, "
		    "the default) or chain (the CRL of every CA too)", arg);
		return -1;
	}
	return 0;
}

int
subcmd_parse(int argc, char *argv[], const char *name, unsigned extra,
    struct subcmd_opts *o)
{
	const char	**in;
	unsigned char	 *isdir;
	long		  v;
	int		  ch, r;

	optind = 1;
	while ((ch = getopt_long(argc, argv, SUBCMD_SHORTOPTS,
	    (extra & SUBCMD_REPORT) ? subcmd_reportopts : subcmd_longopts,
	    NULL)) != -1) {
		if ((r = subcmd_ldap_opt(ch, optarg, &o->dir)) == -1)
			return -1;
		if (r == 1)
			continue;
		switch (ch) {
		case 'q': msg_verbosity = -1; break;
		case 'v': msg_verbosity++; break;
		case 'h': return 1;
		case OPT_TSV: o->tsv = 1; break;
		case OPT_CAFILE: o->cafile = optarg; break;
		case OPT_JSONFILE: o->json_file = optarg; break;
		case OPT_CSVFILE: o->csv_file = optarg; break;
		case OPT_HTMLFILE: o->html_file = optarg; break;
		case OPT_WITHCERTS: o->with_certs = 1; break;
		case OPT_STATEDIR: o->state_dir = optarg; break;
		case OPT_FETCHCRL: o->fetchcrl = 1; break;
		case OPT_GRACE:
			if ((v = subcmd_num(optarg, 0, 36500)) == -1) {
				msg_err("--grace %s: not a number of days from 0 "
				    "to 36500", optarg);
				return -1;
			}
			o->grace = (int)v;
			break;
		case OPT_CERTDIR:
		case OPT_INCSV:
			if ((in = reallocarray(o->inputs, o->ninputs + 1,
			    sizeof(*in))) == NULL) {
				msg_err("out of memory");
				return -1;
			}
			o->inputs = in;
			if ((isdir = realloc(o->input_dir, o->ninputs + 1)) ==
			    NULL) {
				msg_err("out of memory");
				return -1;
			}
			o->input_dir = isdir;
			o->inputs[o->ninputs] = optarg;
			o->input_dir[o->ninputs++] = ch == OPT_CERTDIR;
			break;
		case OPT_JSON:
			if (extra & SUBCMD_JSON) {
				o->json = 1;
				break;
			}
			msg_err("%s does not take --json", name);
			usage_print(stderr);
			return -1;
		case OPT_CRLFILE:
			if (extra & SUBCMD_CRL) {
				o->crlfile = optarg;
				break;
			}
			msg_err("%s does not take --crl-file", name);
			usage_print(stderr);
			return -1;
		case OPT_CRLCHECK:
			if (!(extra & SUBCMD_CRL)) {
				msg_err("%s does not take --crl-check", name);
				usage_print(stderr);
				return -1;
			}
			if (subcmd_crl_check(optarg, &o->crlchain) == -1)
				return -1;
			break;
		default:
			usage_print(stderr);
			return -1;
		}
	}
	if (subcmd_ldap_check(&o->dir) == -1)
		return -1;
	if (o->tsv && o->json) {
		msg_err("%s: --tsv and --json exclude each other", name);
		return -1;
	}
	if (o->crlfile != NULL && o->cafile == NULL) {
		msg_err("--crl-file needs --ca-file");
		return -1;
	}
	if (o->fetchcrl && o->cafile == NULL) {
		msg_err("--fetch-crl needs --ca-file (the CAs whose keys check "
		    "the CRLs' signatures)");
		return -1;
	}
	if (optind >= argc || strcmp(argv[optind], name) != 0) {
		usage_print(stderr);
		return -1;
	}
	optind++;
	return 0;
}

void
subcmd_opts_free(struct subcmd_opts *o)
{
	free(o->inputs);
	free(o->input_dir);
	o->inputs = NULL;
	o->input_dir = NULL;
	o->ninputs = 0;
}
