/*
 * certbulk: maps certificates to Active Directory accounts through
 * altSecurityIdentities, in bulk, with a preview and an undo file.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "msg.h"
#include "subcmd.h"

void
usage_print(void *fp)
{
	fputs(
"usage: certbulk [-cnqvxWZ] [-H URI] [-b BASE] [-D BINDDN] [-y PASSWDFILE]\n"
"                [-Y MECH] [-U AUTHCID] [-X AUTHZID] [-R REALM] [-O SECPROPS]\n"
"                [-o OPT=VAL] [--output FILE] [--report FILE]\n"
"                [--report-format csv|json] [--fail-on LIST]\n"
"                [--type LIST] [--match LIST] [--state-dir DIR]\n"
"                [--window N] [--transaction N] [--timeout SECONDS]\n"
"                [--strict] [--allow-expired] [--kdc windows|samba]\n"
"                [--upgrade-weak [--prune-weak]] [--ca-file FILE]\n"
"                [--crl-file FILE]\n"
"                [--crl-check leaf|chain] [--fetch-crl]\n"
"                [--allow-cleartext-bind] [--dc HOST] [--gc URI]\n"
"                [--domain-uri DOMAIN=URI]... [--forest-config FILE]\n"
"                [--verify-on DC2 [--replication-wait SECONDS]]\n"
"                [--trust-csv] [--allow-protected NAME] [--scope DN]\n"
"                [--group DN] [--skip-disabled]\n"
"                [--log FILE] [--syslog] [--prune] [--grace DAYS] [--full]\n"
"                [--kdc-events FILE]\n"
"                --csv FILE | --certdir DIR | --from-user-certificate\n"
"                [--user-smime] ...\n"
"       certbulk --kdc-events FILE... [--output FILE]\n"
"       certbulk [options] adopt [-n] [--output FILE] --csv FILE | --certdir DIR ...\n"
"       certbulk status [--state-dir DIR] [--tsv] [--warn-days DAYS]\n"
"                [--grace DAYS] [--ca-file FILE [--crl-file FILE]] [INPUTS]\n"
"       certbulk [LDAP options] undo [-n] [--output FILE] [--state-dir DIR]\n"
"                UNDOFILE...\n"
"       certbulk [LDAP options] apply [-n] [--max-age DURATION] [--output FILE]\n"
"                [--report FILE] [--state-dir DIR] PLAN\n"
"       certbulk show [--type LIST] [--tsv [--sid]] FILE...\n"
"       certbulk [LDAP options] verify [--tsv | --json] [--ca-file FILE]\n"
"                [--crl-file FILE] [--crl-check leaf|chain] CERT...\n"
"       certbulk [LDAP options] ntauth [--tsv] [--ca-file FILE]\n"
"       certbulk [LDAP options] ntauth add|remove [-n] [--output FILE]\n"
"                [--state-dir DIR] CA.cer\n"
"       certbulk [LDAP options] audit [--tsv] [--ca-file FILE] [--json FILE]\n"
"                [--csv FILE] [--html FILE] [--with-certificates]\n"
"                [--state-dir DIR] [--certdir DIR] [--input-csv FILE]\n"
"                [--crl-file FILE] [--crl-check leaf|chain] [--fetch-crl]\n"
"                [--grace DAYS] [CERT...]\n"
"       certbulk check-cdp [--tsv | --json] [--ca-file FILE] [--timeout S]\n"
"                CERT...\n"
"       certbulk --help | --version\n", fp);
}

/* --help: the synopsis and one line per option; certbulk(1) has the rest. */
static void
help_print(void)
{
	usage_print(stdout);
	fputs(
"\n"
"Maps certificates to Active Directory accounts by adding the\n"
"altSecurityIdentities values a domain controller derives from them.\n"
"\n"
"Inputs:\n"
"  --csv FILE           CSV with a header: user (or sAMAccountName,\n"
"                       userPrincipalName, distinguishedName, mail,\n"
"                       objectSid), certificate, optional types\n"
"  --certdir DIR        every .cer .crt .der .pem .p7b .p7c regular file\n"
"                       below DIR\n"
"  --from-user-certificate\n"
"                       the certificates in the accounts' userCertificate\n"
"                       under -b (expired and non-logon ones left out)\n"
"  --user-smime         and in their userSMIMECertificate\n"
"  --kdc-events FILE    KDC events 39/40/41 (Export-Csv or wevtutil /f:xml):\n"
"                       map only the certificates they name; alone, list\n"
"                       them (account, issuer, serial, thumbprint, ...)\n"
"  --match LIST         how --certdir certificates find accounts:\n"
"                       sid,upn,email (default: all three), dns (SAN DNS\n"
"                       name or host-name CN to a computer's dNSHostName)\n"
"  --type LIST          mapping forms, or strong or all (X509IssuerSID\n"
"                       only by name)\n"
"                       (default: X509IssuerSerialNumber)\n"
"  --allow-expired      map expired certificates too\n"
"  --upgrade-weak       map the accounts that hold a weak value of an input\n"
"                       certificate (found by it) with the strong values\n"
"  --prune-weak         with --upgrade-weak: and delete the weak values\n"
"                       replaced, in the same modify\n"
"  --kdc samba          write the strong values in the form a Samba KDC\n"
"                       matches (default: windows)\n"
"  --ca-file FILE       refuse certificates that do not chain to these CAs\n"
"  --crl-file FILE      and check revocation with these CRLs\n"
"  --fetch-crl          and with the CRLs of the certificates' http:// CRL\n"
"                       distribution points (cached in the state folder\n"
"                       until their nextUpdate; --timeout applies)\n"
"  --crl-check leaf|chain  a CRL for the certificate only (default), or\n"
"                       for every CA of its chain too\n"
"Policy (each refusal is that row's error, with a reason code):\n"
"  --trust-csv          map a CSV row whose certificate names another\n"
"                       account (SID, UPN, e-mail), with a warning\n"
"  --allow-protected NAME  map this protected account (sAMAccountName,\n"
"                       UPN, DN or SID; repeatable): adminCount=1,\n"
"                       protected groups, krbtgt, RID 500, DCs, delegation\n"
"  --scope DN           only accounts under DN (repeatable: any of them)\n"
"  --group DN           only members of DN, nested groups included\n"
"                       (repeatable: any of them)\n"
"  --skip-disabled      refuse disabled accounts (default: a warning)\n"
"Directory (as ldapmodify; ldap.conf and LDAP* variables apply):\n"
"  -H URI  -b BASE  -x (simple bind)  -D BINDDN  -y PASSWDFILE  -W (prompt)\n"
"  -Y MECH  -U AUTHCID  -X AUTHZID  -R REALM  -O SECPROPS  -Z / -ZZ StartTLS\n"
"  -o nettimeout=SECONDS, -o ldif_wrap=WIDTH|no  as the OpenLDAP tools\n"
"  --allow-cleartext-bind  allow a password (simple, SASL PLAIN/LOGIN) on a\n"
"                       connection with neither TLS nor a local socket\n"
"  --timeout SECONDS    connect and reply timeout (default 30)\n"
"  --dc HOST            every read and write on this one domain controller\n"
"                       (in place of -H's host; its scheme and port kept);\n"
"                       the preview, undo file and log name it\n"
"  --gc URI             the Global Catalog for the duplicate-holder checks\n"
"                       of runs and audit (default: the DC's own GC port\n"
"                       when the forest has more than one domain)\n"
"  --domain-uri DOMAIN=URI\n"
"                       a writable DC of another domain (DNS name or NC DN):\n"
"                       its accounts found through the GC are changed there,\n"
"                       referrals to it may be followed (repeatable)\n"
"  --forest-config FILE the same, \"DOMAIN URI\" a line (# comments); owned\n"
"                       by you or root, not group/other-writable\n"
"Run:\n"
"  -n, --preview        write the plan as LDIF, change nothing\n"
"  --output FILE        -n: write the preview (a plan for apply) to FILE;\n"
"                       else the LDIF of what was applied (mode 0600)\n"
"  --report FILE        one line per row or file with its outcome and\n"
"                       reason code (mode 0600)\n"
"  --report-format csv|json  (default csv)\n"
"  --fail-on LIST       --certdir: make these expected refusals failures:\n"
"                       expired,not-yet-valid,unknown-user or all\n"
"  --state-dir DIR      undo files and lock (default /var/lib/certbulk\n"
"                       for root, else $XDG_STATE_HOME/certbulk); must be\n"
"                       yours or root's, not group/other-writable\n"
"  --window N           modifies in flight (default 128)\n"
"  --transaction N      N accounts per RFC 5805 transaction, if offered\n"
"                       (not with slapd 2.5.13: it can crash)\n"
"  --strict             stop after the first failed account; remove a\n"
"                       value another run put on a second account meanwhile\n"
"  -c                   continue after errors (the default)\n"
"  --verify-on DC2      after the run, re-read every changed account on DC2\n"
"                       (a host in place of -H's, or a URI) until the\n"
"                       changes have replicated; status 1 if some have not\n"
"  --replication-wait SECONDS  how long --verify-on waits (default 300)\n"
"  --prune              remove values certbulk added (state folder:\n"
"                       owned.tsv) whose certificate expired, was\n"
"                       revoked, left its input or was superseded\n"
"  --grace DAYS         keep a renewed certificate's predecessor this\n"
"                       long after the new value is in place (default 0)\n"
"  --full               read every file and look up every account (by\n"
"                       default --certdir files unchanged since the last\n"
"                       run that mapped them are not read again)\n"
"  --log FILE, --syslog a record of the run: start (version, arguments,\n"
"                       server, bind identity), every value changed with\n"
"                       its certificate's thumbprint, summary; -q quiets\n"
"                       the terminal, never the log\n"
"  -q, -v               errors only; more detail\n"
"apply PLAN (exactly a reviewed preview, each value only if the account is\n"
"  the same object, the value on no other account, the certificate valid):\n"
"  --max-age DURATION   refuse an older plan (default 24h; s, m, h, d)\n"
"show:\n"
"  --tsv                FILE<TAB>INDEX<TAB>TYPE<TAB>VALUE lines (FILE\n"
"                       escaped: \\\\ \\t \\n \\r \\xHH)\n"
"  --sid                with --tsv, rows SIDExtension and SANURISID too\n"
"adopt (values already in place become certbulk's, for --prune):\n"
"  -n                   list them only (\"# adopt:\" lines)\n"
"status (owned values; valid, expiring, expired, revoked,\n"
"        removed-from-input, superseded; no directory needed):\n"
"  --warn-days DAYS     expiring within DAYS (default 30)\n"
"  --tsv                STATE<TAB>SAM<TAB>DN<TAB>VALUE<TAB>NOT-AFTER<TAB>SOURCE\n"
"  exit 0 every value valid, 1 otherwise\n"
"verify (which account each certificate logs on as; read-only):\n"
"  --tsv                FILE<TAB>INDEX<TAB>VERDICT<TAB>ACCOUNTS<TAB>REASON\n"
"                       <TAB>SAMBA (what a Samba KDC will not match)\n"
"  --json               one JSON array with every check\n"
"  --ca-file, --crl-file, --crl-check  also check the chain a DC would\n"
"                       build (revocation as for a run), and\n"
"                       NTAuth for certificates mapped by UPN or SID\n"
"  exit 0 only when every certificate maps strongly to one account\n"
"ntauth (the forest's NTAuth store):\n"
"  --tsv                SHA1<TAB>NOT-AFTER<TAB>SUBJECT lines\n"
"  --ca-file FILE       exit 1 unless every CA in FILE is in the store\n"
"ntauth add|remove CA.cer (publish or withdraw one CA, as certutil\n"
"  -dspublish; a run: -n, -o, --state-dir, undo file)\n"
"audit (every altSecurityIdentities value under the base; read-only):\n"
"  --tsv                KIND<TAB>DN<TAB>VALUE<TAB>DETAIL lines\n"
"  --ca-file FILE       also: are these issuing CAs in the NTAuth store\n"
"  --json FILE, --csv FILE, --html FILE  also write the problems there\n"
"                       (HTML: one self-contained sortable page)\n"
"  --with-certificates  also: accounts with userCertificate but no mapping,\n"
"                       serials forward against their own certificates\n"
"  --state-dir DIR      the run state to check (default: the state folder):\n"
"                       owned values expired, superseded (--grace DAYS),\n"
"                       revoked (--ca-file with --crl-file, --crl-check,\n"
"                       --fetch-crl) or gone from the inputs given\n"
"                       (--certdir DIR, --input-csv FILE); notes: owned\n"
"                       values removed by hand, owned accounts deleted\n"
"  exit 0 no problem found, 1 problems found, 2 usage, 3 directory,\n"
"  4 a report file could not be written, 5 an input could not be read\n"
"check-cdp (what each certificate's CRL distribution points serve):\n"
"  --tsv                FILE<TAB>INDEX<TAB>URL<TAB>ANSWERED<TAB>CRL-ISSUER\n"
"                       <TAB>THIS-UPDATE<TAB>NEXT-UPDATE<TAB>STALE<TAB>\n"
"                       SIGNATURE<TAB>ON-CRL<TAB>REVOCATION<TAB>PROBLEM\n"
"  --json               one JSON array\n"
"  --ca-file FILE       the CAs whose keys check the CRLs' signatures\n"
"  exit 0 every http:// CDP answered with a current, verified CRL that\n"
"  does not list the certificate, 1 otherwise\n"
"\n"
"Exit status: 0 done (expected --certdir refusals included), 1 some rows,\n"
"files or accounts failed or were refused, 2 usage (also a missing -b base\n"
"or a password that would go in clear), 3 directory unreachable, TLS or\n"
"bind failed, no read access, connection lost, 4 state folder (untrusted,\n"
"full), lock, undo, --log, --output or --report file, 5 an input missing\n"
"or unreadable, or a plan refused whole.\n"
"See certbulk(1) for the reference.\n", stdout);
}

/*
 * Opens /dev/null on each of the descriptors 0-2 that is closed: otherwise
 * the next open() (the LDAP socket, the undo file) would take its number,
 * and messages or the preview would be written into it.  0 or -1.
 */
static int
main_std_fds(void)
{
	int	fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		/* the lowest free number: FD itself, as 0..FD-1 are open */
		if ((nfd = open("/dev/null", O_RDWR)) == -1)
			return -1;
		if (nfd != fd) {
			(void)close(nfd);
			return -1;
		}
	}
	return 0;
}

int
main(int argc, char *argv[])
{
	int	sub;

	/* first thing: nothing may be opened on a closed 0, 1 or 2 */
	if (main_std_fds() == -1)
		return CB_EXIT_LOCAL;
	/* A server gone mid-run must give an error, not kill us on write. */
	(void)signal(SIGPIPE, SIG_IGN);
	if (argc > 1 && strcmp(argv[1], "show") == 0)
		return show_main(argc - 1, argv + 1);
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-V") == 0)) {
		printf("certbulk %s\n", CB_VERSION);
		return CB_EXIT_OK;
	}
	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		help_print();
		return CB_EXIT_OK;
	}
	/* subcommands take the LDAP options before or after their name */
	sub = subcmd_find(argc, argv);
	if (sub < argc && strcmp(argv[sub], "verify") == 0)
		return verify_main(argc, argv);
	if (sub < argc && strcmp(argv[sub], "ntauth") == 0)
		return ntauth_main(argc, argv);
	if (sub < argc && strcmp(argv[sub], "audit") == 0)
		return audit_main(argc, argv);
	if (sub < argc && strcmp(argv[sub], "check-cdp") == 0)
		return checkcdp_main(argc, argv);
	return run_main(argc, argv);
}
