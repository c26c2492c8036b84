/*
 * subcmd: what the directory subcommands (verify, and those after it)
 * share: finding the subcommand's name among the options, and the LDAP
 * options, which they take before or after their name as undo does.
 */
#ifndef CERTBULK_SUBCMD_H
#define CERTBULK_SUBCMD_H

#include "dir.h"

/* getopt short options for the LDAP options, as ldapmodify spells them. */
#define SUBCMD_LDAP_SHORT	"b:D:H:o:O:R:U:w:WxX:y:Y:Z"
/* ... and with the read-only subcommands' own (subcmd_parse) */
#define SUBCMD_SHORTOPTS	SUBCMD_LDAP_SHORT "hqv"

/* Long option values: SUBCMD_OPT_* for the shared ones, then each
 * subcommand's own from SUBCMD_OPT_OWN on. */
enum {
	SUBCMD_OPT_TIMEOUT = 256,
	SUBCMD_OPT_CLEAR,
	SUBCMD_OPT_DC,
	SUBCMD_OPT_GC,
	SUBCMD_OPT_DOMURI,
	SUBCMD_OPT_FORESTCONF,
	SUBCMD_OPT_OWN
};

/*
 * The index in ARGV of the first operand (the word that is not an option
 * or an option's argument), or ARGC if there is none.  Which options take
 * an argument comes from the getopt tables of the run (run_option) and of
 * the subcommands, with getopt's unambiguous abbreviations of long ones.
 */
int	subcmd_find(int argc, char *argv[]);

/*
 * Applies LDAP option CH (a short option letter or SUBCMD_OPT_*) with
 * ARG to O.  -o takes the OpenLDAP tools' opt[=val]: nettimeout=N and
 * ldif_wrap=N|no; anything else (an old "-o FILE") is a usage error that
 * names --output.  Returns 1 if CH was an LDAP option, 0 if not, -1 after
 * reporting a bad one (-w: a password on the command line).
 */
int	subcmd_ldap_opt(int ch, char *arg, struct dir_opts *o);

/* Checks that the LDAP options go together: 0, or -1 after reporting. */
int	subcmd_ldap_check(const struct dir_opts *o);

/*
 * --crl-check ARG: sets *CHAIN to 0 for "leaf", 1 for "chain".  0, or -1
 * after reporting another word.
 */
int	subcmd_crl_check(const char *arg, int *chain);

/* What the read-only subcommands (verify, ntauth, audit) take. */
struct subcmd_opts {
	struct dir_opts	 dir;
	int		 tsv;		/* --tsv */
	int		 json;		/* --json (SUBCMD_JSON) */
	const char	*cafile;	/* --ca-file */
	const char	*crlfile;	/* --crl-file (SUBCMD_CRL) */
	int		 crlchain;	/* --crl-check chain (SUBCMD_CRL) */
	/* SUBCMD_REPORT (audit): report files, and --with-certificates */
	const char	*json_file;	/* --json FILE */
	const char	*csv_file;	/* --csv FILE */
	const char	*html_file;	/* --html FILE */
	int		 with_certs;	/* --with-certificates */
	/* SUBCMD_REPORT (audit): the run state and the inputs to judge its
	   owned values by */
	const char	*state_dir;	/* --state-dir */
	const char	**inputs;	/* owned (the array, not the strings):
					   --certdir DIR, --input-csv FILE */
	unsigned char	*input_dir;	/* owned: per input, 1 a --certdir */
	size_t		 ninputs;
	int		 fetchcrl;	/* --fetch-crl */
	int		 grace;		/* --grace DAYS */
};
#define SUBCMD_JSON	1u	/* the subcommand takes --json */
#define SUBCMD_CRL	2u	/* ... and --crl-file, --crl-check */
#define SUBCMD_REPORT	4u	/* --json FILE, --csv FILE, --html FILE,
				   --with-certificates and the run state's
				   options (audit) */

/*
 * Parses the options of subcommand NAME (the LDAP options, -q -v -h,
 * --tsv, --ca-file, and what EXTRA allows) before and after its name into
 * O, and leaves optind at the first operand after the name.  Returns 0,
 * 1 for --help, or -1 after reporting a usage error.
 */
int	subcmd_parse(int argc, char *argv[], const char *name, unsigned extra,
	    struct subcmd_opts *o);
/* Frees what subcmd_parse allocated in O (the input list). */
void	subcmd_opts_free(struct subcmd_opts *o);

#endif
