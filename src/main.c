/*
 * certbulk: maps certificates to Active Directory accounts through
 * altSecurityIdentities, in bulk, with a preview and an undo file.
 */
#include <stdio.h>
#include <string.h>

#include "cmd.h"
#include "msg.h"

void
usage_print(void *fp)
{
	fprintf(fp,
"usage: certbulk [-cnqvZ] [-H URI] [-b BASE] [-D DN] [-y FILE | -W] [-x]\n"
"                [-Y MECH] [-U AUTHCID] [-X AUTHZID] [-R REALM] [-O PROPS]\n"
"                [--type LIST] [--match LIST] [-o FILE] [--state-dir DIR]\n"
"                [--window N] [--transaction N] [--strict] [--log FILE]\n"
"                [--allow-expired] [--allow-cleartext-bind]\n"
"                --csv FILE | --certdir DIR ...\n"
"       certbulk undo [LDAP options] [-n] [-o FILE] [--state-dir DIR] FILE\n"
"       certbulk show [--type LIST] [--tsv] FILE...\n"
"       certbulk --help | --version\n"
"See certbulk(1) for the reference.\n");
}

int
main(int argc, char *argv[])
{
	if (argc > 1 && strcmp(argv[1], "show") == 0)
		return show_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-V") == 0)) {
		printf("certbulk %s\n", CB_VERSION);
		return CB_EXIT_OK;
	}
	return run_main(argc, argv);
}
