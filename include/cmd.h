/*
 * cmd: the subcommands.  Each returns the process exit status; only
 * main() exits.
 */
#ifndef CERTBULK_CMD_H
#define CERTBULK_CMD_H

#include <stddef.h>

#define CB_EXIT_OK	0	/* everything done */
#define CB_EXIT_SOME	1	/* some inputs or accounts failed */
#define CB_EXIT_USAGE	2	/* bad options or arguments */
#define CB_EXIT_LDAP	3	/* directory unreachable, bind failed, lost */
#define CB_EXIT_LOCAL	4	/* state folder, lock or undo file problem */
#define CB_EXIT_INPUT	5	/* an input (--csv, --certdir, a plan) is
				   missing, unreadable or refused whole */

#define CB_VERSION	"0.1.0"

/* certbulk show [--type LIST] [--tsv] FILE... */
int	show_main(int argc, char *argv[]);
/*
 * certbulk [options] --csv FILE | --certdir DIR ... (the batch run), and
 * certbulk [options] undo [options] FILE... (its operand "undo"), and
 * certbulk [options] apply [options] PLAN (its operand "apply").
 */
int	run_main(int argc, char *argv[]);
/* The run's getopt short options besides SUBCMD_LDAP_SHORT's. */
#define RUN_SHORTOPTS_OWN	"chnqv"
#define RUN_SHORTOPTS		SUBCMD_LDAP_SHORT RUN_SHORTOPTS_OWN
/*
 * The run's long option I (its getopt_long form; subcmd_find reads which
 * take an argument), or NULL past the last.  Static storage.
 */
struct option;
const struct option	*run_option(size_t i);
/*
 * How run option CH (a short option's letter or a long one's getopt
 * value) bears on the incremental key: RUN_KEY_IN if it changes what a
 * file's items become (its words go into the key, so another value reads
 * every file again), RUN_KEY_OUT if not.  An option without a class (or
 * unknown) is IN: a forgotten one costs a full read, not a stale skip.
 */
#define RUN_KEY_IN	1
#define RUN_KEY_OUT	2
int	run_option_key(int ch);
/* Whether run_option(I) has its RUN_KEY_* set in the option table. */
int	run_option_classified(size_t i);

/* certbulk [LDAP options] verify [options] CERT... */
int	verify_main(int argc, char *argv[]);

/* certbulk [LDAP options] ntauth [--tsv] [--ca-file FILE] */
int	ntauth_main(int argc, char *argv[]);

/* certbulk [LDAP options] audit [--tsv] [--ca-file FILE] */
int	audit_main(int argc, char *argv[]);

/* certbulk check-cdp [--tsv | --json] [--ca-file FILE] CERT... */
int	checkcdp_main(int argc, char *argv[]);
/* Prints the synopsis to FP. */
void	usage_print(void *fp);

#endif
