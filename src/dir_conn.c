/*
 * The directory connection: connect (the URI list, TLS, the watchdog),
 * bind (simple or SASL, refused in cleartext), the root DSE, and how its
 * errors are said.  Searches are in dir_search.c, modifies in dir_modify.c.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "dir_forest.h"
#include "dir_int.h"
#include "dir_iobuf.h"
#include "msg.h"
#include "sbuf.h"

#define DIR_PWMAX	1024

/* rootDSE supportedCapabilities: LDAP_CAP_ACTIVE_DIRECTORY_OID. */
#define DIR_OID_AD_CAP	"1.2.840.113556.1.4.800"
#define DIR_OID_WHOAMI	"1.3.6.1.4.1.4203.1.11.3"

const char *
dir_err2string(int rc)
{
	return ldap_err2string(rc);
}

/* The server's diagnostic message for the last operation, or "". */
char *
dir_diag(struct dir *d)
{
	char	*s = NULL, *out;

	if (ldap_get_option(d->ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &s) !=
	    LDAP_OPT_SUCCESS || s == NULL)
		return strdup("");
	out = msg_escape(s, strlen(s));
	ldap_memfree(s);
	return out;
}

/* Reports a failed operation WHAT with result RC and the diagnostic. */
void
dir_report(struct dir *d, int rc, const char *what)
{
	char	*diag = NULL;

	/*
	 * A timeout is ours, and a dead connection has no server to explain
	 * it: any diagnostic left is from an earlier operation (Samba's
	 * "00000000: Success").
	 */
	if (rc == LDAP_SERVER_DOWN && d->alive > 1) {
		msg_err("%s: %s: the connection to the directory was lost (the "
		    "server closed it or went away)", d->uri, what);
		d->alive = 0;
		return;
	}
	if (rc != LDAP_TIMEOUT && rc != LDAP_SERVER_DOWN &&
	    rc != LDAP_CONNECT_ERROR)
		diag = dir_diag(d);
	msg_err("%s: %s: %s%s%s%s", d->uri, what, ldap_err2string(rc),
	    diag && *diag ? " (" : "", diag ? diag : "",
	    diag && *diag ? ")" : "");
	free(diag);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT)
		d->alive = 0;
}

/*
 * libldap says why a TLS handshake failed only in its debug log (with
 * GnuTLS: "TLS: peer cert untrusted or revoked (0x42)", "TLS: hostname
 * (h) does not match common name in certificate (c)"); the error it
 * returns reads "(unknown error code)".  Its log goes through one
 * process-wide print function, which has no argument: hence this one
 * file-static buffer, the first TLS reason since dir_tls_watch.
 */
#define DIR_DEBUG_TRACE	0x0001	/* LDAP_DEBUG_TRACE: GnuTLS's reasons */
static char	dir_tls_reason[256];

static void
dir_log_cb(const char *line)
{
	size_t	n;

	if (dir_tls_reason[0] != '\0' || strncmp(line, "TLS: ", 5) != 0 ||
	    strstr(line, "can't connect") != NULL)
		return;
	line += 5;
	n = strcspn(line, "\n");
	while (n > 0 && (line[n - 1] == '.' || line[n - 1] == ' '))
		n--;
	snprintf(dir_tls_reason, sizeof(dir_tls_reason), "%.*s", (int)n, line);
}

/*
 * Collects libldap's TLS error reasons (ON), for the connect and StartTLS
 * only: its trace level is needed, and is costly for everything else.
 */
static void
dir_tls_watch(int on)
{
	int	level = on ? DIR_DEBUG_TRACE : 0;

	if (on) {
		dir_tls_reason[0] = '\0';
		(void)ber_set_option(NULL, LBER_OPT_LOG_PRINT_FN,
		    (const void *)(uintptr_t)dir_log_cb);
	}
	(void)ldap_set_option(NULL, LDAP_OPT_DEBUG_LEVEL, &level);
}

/*
 * Reports a failed connect or StartTLS (WHAT) with what TLS said: the
 * certificate that did not verify, a host name it does not carry, or
 * nothing from TLS at all.
 */
static void
dir_report_tls(struct dir *d, int rc, const char *what)
{
	char	*why;

	why = msg_escape(dir_tls_reason, strlen(dir_tls_reason));
	if (why != NULL && strstr(why, "hostname") != NULL)
		msg_err("%s: %s: TLS: the server's certificate does not name "
		    "the host of the URI (%s); use the name or address the "
		    "certificate is issued to", d->uri, what, why);
	else if (why != NULL && *why != '\0')
		msg_err("%s: %s: TLS certificate verify failure (%s): the "
		    "server's certificate must chain to a CA in TLS_CACERT "
		    "(ldap.conf) or LDAPTLS_CACERT", d->uri, what, why);
	else if (rc == LDAP_CONNECT_ERROR)
		msg_err("%s: %s: the TLS handshake failed (%s)", d->uri, what,
		    ldap_err2string(rc));
	else
		msg_err("%s: %s: %s (nothing answers at this address and port, "
		    "or the server refused the connection)", d->uri, what,
		    ldap_err2string(rc));
	free(why);
	d->alive = 0;
}

/*
 * The next message for MSGID (or any, LDAP_RES_ANY), all of it (ALL) or
 * the next one: waiting up to the timeout, or (NOWAIT) only one that has
 * already come in.  Returns 1 with *RES set (the caller frees it), 0 if
 * NOWAIT found none, or -1 after reporting WHAT: a timeout (the request is
 * abandoned) or a failed connection, which leaves the connection dead.
 */
static int
dir_result(struct dir *d, int msgid, int all, int nowait, LDAPMessage **res,
    const char *what)
{
	/* a zero timeout: libldap polls, never waits */
	struct timeval	tv = { nowait ? 0 : d->timeout, 0 };
	int		r, err = LDAP_TIMEOUT;

	*res = NULL;
	if ((r = ldap_result(d->ld, msgid, all ? LDAP_MSG_ALL : LDAP_MSG_ONE,
	    &tv, res)) > 0)
		return 1;
	if (r == 0 && nowait)
		return 0;
	if (r == 0 && msgid != LDAP_RES_ANY)
		(void)ldap_abandon_ext(d->ld, msgid, NULL, NULL);
	if (r < 0)
		ldap_get_option(d->ld, LDAP_OPT_RESULT_CODE, &err);
	dir_report(d, err, what);
	d->alive = 0;
	ldap_msgfree(*res);
	*res = NULL;
	return -1;
}

/*
 * Waits for the reply to MSGID (or any, LDAP_RES_ANY), all of it (ALL) or
 * the next message.  Returns 0 with *RES set (the caller frees it), or -1
 * after reporting WHAT (dir_result).
 */
int
dir_wait(struct dir *d, int msgid, int all, LDAPMessage **res,
    const char *what)
{
	return dir_result(d, msgid, all, 0, res, what) == 1 ? 0 : -1;
}

int
dir_poll(struct dir *d, LDAPMessage **res, const char *what)
{
	return dir_result(d, LDAP_RES_ANY, 0, 1, res, what);
}

/* Reads the bind password from -y FILE (its whole contents, as ldap tools). */
static char *
dir_read_pwfile(const char *path)
{
	struct stat	 st;
	char		*pw = NULL;
	ssize_t		 r;
	size_t		 len = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		msg_err("%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		msg_err("%s: not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO))
		msg_warn("%s: password file is readable by others (mode %03o)",
		    path, (unsigned)(st.st_mode & 0777));
	if ((pw = calloc(1, DIR_PWMAX + 1)) == NULL) {
		msg_err("%s: out of memory", path);
		goto out;
	}
	while (len < DIR_PWMAX && (r = read(fd, pw + len, DIR_PWMAX - len)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			msg_err("%s: %s", path, strerror(errno));
			explicit_bzero(pw, DIR_PWMAX);
			free(pw);
			pw = NULL;
			goto out;
		}
		len += (size_t)r;
	}
	if (len == 0)
		msg_warn("%s: password file is empty", path);
out:
	close(fd);
	return pw;
}

/* -W: asks on the terminal with echo off. */
static char *
dir_prompt_pw(const char *prompt)
{
	struct termios	 old, raw;
	char		*pw;
	size_t		 len;
	int		 fd, restore = 0;

	if ((fd = open("/dev/tty", O_RDWR | O_CLOEXEC)) == -1) {
		msg_err("-W: no terminal to ask for the password on (use -y "
		    "FILE)");
		return NULL;
	}
	if ((pw = calloc(1, DIR_PWMAX + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	if (tcgetattr(fd, &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(fd, TCSAFLUSH, &raw) == 0;
	}
	(void)!write(fd, prompt, strlen(prompt));
	len = 0;
	while (len < DIR_PWMAX && read(fd, pw + len, 1) == 1 && pw[len] != '\n')
		len++;
	pw[len] = '\0';
	if (restore)
		(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return pw;
}

static void
dir_free_pw(char *pw)
{
	if (pw != NULL) {
		explicit_bzero(pw, DIR_PWMAX);
		free(pw);
	}
}

struct dir_sasl {
	const struct dir_opts	*o;
	const char		*pw;
	int			 needpw;	/* set when the mech asked */
};

static int
dir_interact(LDAP *ld, unsigned flags, void *defaults, void *in)
{
	struct dir_sasl		*s = defaults;
	sasl_interact_t		*it = in;
	const char		*v;

	(void)ld;
	(void)flags;
	for (; it->id != SASL_CB_LIST_END; it++) {
		v = NULL;
		switch (it->id) {
		case SASL_CB_GETREALM:
			v = s->o->realm;
			break;
		case SASL_CB_AUTHNAME:
			v = s->o->authcid;
			break;
		case SASL_CB_USER:
			v = s->o->authzid;
			break;
		case SASL_CB_PASS:
			if ((v = s->pw) == NULL) {
				s->needpw = 1;
				return LDAP_INAPPROPRIATE_AUTH;
			}
			break;
		default:
			break;
		}
		if (v == NULL)
			v = it->defresult ? it->defresult : "";
		it->result = v;
		it->len = (unsigned)strlen(v);
	}
	return LDAP_SUCCESS;
}

static int
dir_rootdse_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	char	**dnc = arg;

	(void)dir_all(d->ld, e, "supportedControl", &d->features);
	(void)dir_all(d->ld, e, "supportedExtension", &d->features);
	(void)dir_all(d->ld, e, "namingContexts", &d->ncs);
	d->is_ad = dir_has_value(d->ld, e, "supportedCapabilities",
	    DIR_OID_AD_CAP);
	if ((dnc[0] = dir_first(d->ld, e, "defaultNamingContext")) == NULL)
		dnc[0] = dir_first(d->ld, e, "namingContexts");
	dnc[1] = dir_first(d->ld, e, "configurationNamingContext");
	return 0;
}

static int
dir_netbios_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	(void)arg;
	if (d->netbios == NULL)
		d->netbios = dir_first(d->ld, e, "nETBIOSName");
	return 0;
}

/*
 * AD: the NetBIOS name of the domain NC (the default naming context, even
 * when -b names an OU in it), from its crossRef in the Partitions
 * container, so that DOMAIN\user can be checked.
 */
static void
dir_read_netbios(struct dir *d, const char *config, const char *nc)
{
	struct berval	 in, out = { 0, NULL };
	struct sbuf	 base = SBUF_INIT, f = SBUF_INIT;

	in.bv_val = (char *)(uintptr_t)nc;
	in.bv_len = strlen(nc);
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return;
	sbuf_printf(&base, "CN=Partitions,%s", config);
	sbuf_printf(&f, "(&(objectClass=crossRef)(nCName=%s))", out.bv_val);
	ber_memfree(out.bv_val);
	if (!base.oom && !f.oom)
		(void)dir_search(d, base.s, LDAP_SCOPE_ONELEVEL, f.s,
		    (const char *const []){ "nETBIOSName", NULL }, 0,
		    dir_netbios_cb, NULL, NULL);
	sbuf_reset(&base);
	sbuf_reset(&f);
}

const char *
dir_netbios(const struct dir *d)
{
	return d->netbios;
}

/*
 * libldap 2.5 can spin in the TLS handshake forever when a server accepts
 * the connection and then says nothing, whatever the network timeout.
 * Connecting and binding run under this watchdog; nothing has been
 * written anywhere yet, so leaving at once is safe.
 */
static void
dir_watchdog(int sig)
{
	static const char	msg[] = ": no answer from the directory within "
				    "the --timeout (connect, TLS handshake and "
				    "bind)\n";

	(void)sig;
	(void)!write(STDERR_FILENO, msg_progname, strlen(msg_progname));
	(void)!write(STDERR_FILENO, msg, sizeof(msg) - 1);
	_exit(3);	/* CB_EXIT_LDAP */
}

/*
 * What the connection libldap actually made is: with a URI list it falls
 * through to the first server that answers, so the URIs say nothing.
 * Returns 1 if a reusable secret may go over it (TLS is in place on the
 * socket, or it is a local socket), else 0; writes a description for
 * messages to BUF.
 */
static int
dir_conn_protected(struct dir *d, char *buf, size_t len)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 host[INET6_ADDRSTRLEN];
	int			 fd = -1, tls = ldap_tls_inplace(d->ld);

	if (ldap_get_option(d->ld, LDAP_OPT_DESC, &fd) != LDAP_OPT_SUCCESS ||
	    fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(buf, len, "the connection");
		return tls;
	}
	if (ss.ss_family == AF_UNIX) {
		snprintf(buf, len, "a local socket");
		return 1;
	}
	sl = sizeof(ss);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6) ||
	    inet_ntop(ss.ss_family, ss.ss_family == AF_INET ?
	    (const void *)&((struct sockaddr_in *)&ss)->sin_addr :
	    (const void *)&((struct sockaddr_in6 *)&ss)->sin6_addr, host,
	    sizeof(host)) == NULL)
		snprintf(host, sizeof(host), "?");
	snprintf(buf, len, "%s port %u %s", host, (unsigned)ntohs(
	    ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port :
	    ((struct sockaddr_in *)&ss)->sin_port),
	    tls ? "with TLS" : "without TLS");
	return tls;
}

/* SASL mechanisms that send a reusable password as it is. */
static int
dir_mech_cleartext(const char *mech)
{
	return mech != NULL && (strcasecmp(mech, "PLAIN") == 0 ||
	    strcasecmp(mech, "LOGIN") == 0);
}

/*
 * No -Y and no SASL_MECH in ldap.conf, inside TLS: on Active Directory
 * the library would pick GSS-SPNEGO and then ask for signing and sealing,
 * which AD refuses inside TLS; so pick a GSS mechanism the rootDSE offers
 * and let dir_bind set maxssf=0 for it.  Elsewhere the library picks, as
 * the OpenLDAP tools do.  Returns a mechanism (ldap_memfree) or NULL.
 */
static char *
dir_pick_mech(struct dir *d)
{
	static const char *const pref[] = { "GSS-SPNEGO", "GSSAPI" };
	LDAPMessage	*res = NULL, *e;
	struct timeval	 tv = { d->timeout, 0 };
	char		*attrs[] = { (char *)(uintptr_t)"supportedCapabilities",
			    (char *)(uintptr_t)"supportedSASLMechanisms", NULL };
	char		*out = NULL;
	size_t		 i;

	if (ldap_search_ext_s(d->ld, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    attrs, 0, NULL, NULL, &tv, 1, &res) != LDAP_SUCCESS ||
	    (e = ldap_first_entry(d->ld, res)) == NULL ||
	    !dir_has_value(d->ld, e, attrs[0], DIR_OID_AD_CAP))
		goto out;
	for (i = 0; i < sizeof(pref) / sizeof(pref[0]); i++)
		if (dir_has_value(d->ld, e, attrs[1], pref[i])) {
			out = ber_strdup(pref[i]);
			msg_info("no -Y: Active Directory offers %s; using it "
			    "inside TLS with maxssf=0", pref[i]);
			break;
		}
out:
	ldap_msgfree(res);
	return out;
}

/*
 * Who the server says the bind is, for the log's run-start line: the
 * WhoAmI extended operation (RFC 4532) where the server has it; else
 * what the client knows (the SASL user name, the bind DN).
 */
static void
dir_whoami(struct dir *d, const struct dir_opts *o)
{
	struct berval	*id = NULL;
	struct sbuf	 b = SBUF_INIT;
	char		*user = NULL;

	if (dir_supports(d, DIR_OID_WHOAMI) &&
	    ldap_whoami_s(d->ld, &id, NULL, NULL) == LDAP_SUCCESS) {
		if (id != NULL && id->bv_len > 0)
			sbuf_printf(&b, "%.*s (whoami)", (int)id->bv_len,
			    id->bv_val);
		else
			sbuf_puts(&b, "anonymous (whoami)");
	} else if (!o->simple && ldap_get_option(d->ld,
	    LDAP_OPT_X_SASL_USERNAME, &user) == LDAP_OPT_SUCCESS &&
	    user != NULL)
		sbuf_printf(&b, "%s (SASL user name; the server has no whoami)",
		    user);
	else if (o->binddn != NULL)
		sbuf_printf(&b, "dn:%s (bind DN; the server has no whoami)",
		    o->binddn);
	else
		sbuf_puts(&b, "anonymous (the server has no whoami)");
	ber_bvfree(id);
	ldap_memfree(user);
	free(d->ident);
	d->ident = sbuf_done(&b);
}

static int
dir_bind(struct dir *d, const struct dir_opts *o, int *usage_err)
{
	struct dir_sasl	 s = { o, NULL, 0 };
	struct berval	 cred = { 0, NULL };
	struct sbuf	 pbuf = SBUF_INIT;
	const char	*props;
	char		*pw = NULL, *mech = NULL, conn[128];
	int		 r, rc = -1, protected_conn;

	/*
	 * Decided on the live connection, before a password is read, asked
	 * for or sent: TLS on this socket, or a local socket.
	 */
	protected_conn = dir_conn_protected(d, conn, sizeof(conn));
	free(d->server);
	d->server = strdup(conn);
	if (!o->simple && o->mech == NULL)
		(void)ldap_get_option(d->ld, LDAP_OPT_X_SASL_MECH, &mech);
	/* no -Y: against AD inside TLS, a GSS mechanism (see dir_pick_mech) */
	if (!o->simple && o->mech == NULL && mech == NULL &&
	    ldap_tls_inplace(d->ld))
		mech = dir_pick_mech(d);
	if (!protected_conn && !o->allow_cleartext && (o->simple ?
	    o->binddn != NULL || o->pwfile != NULL || o->prompt :
	    dir_mech_cleartext(o->mech ? o->mech : mech))) {
		msg_err("%s: refusing a %s bind: connected to %s, which is "
		    "unencrypted, and the password would go in clear; use "
		    "ldaps://, -ZZ, ldapi:// or SASL (-Y GSSAPI), or "
		    "--allow-cleartext-bind", d->uri, o->simple ? "simple" :
		    o->mech ? o->mech : mech, conn);
		*usage_err = 1;
		goto out;
	}
	msg_info("%s: connected to %s", d->uri, conn);
	if (o->pwfile != NULL && (pw = dir_read_pwfile(o->pwfile)) == NULL) {
		*usage_err = 1;
		goto out;
	}
	if (pw == NULL && o->prompt &&
	    (pw = dir_prompt_pw(o->simple ? "Enter LDAP Password: " :
	    "Enter SASL Password: ")) == NULL) {
		*usage_err = 1;
		goto out;
	}
	alarm((unsigned)d->timeout + 1);	/* the watchdog of dir_open */
	if (o->simple) {
		if (o->binddn != NULL && pw == NULL) {
			msg_err("-D given without a password: use -y FILE or "
			    "-W");
			*usage_err = 1;
			goto out;
		}
		if (pw != NULL) {
			cred.bv_val = pw;
			cred.bv_len = strlen(pw);
		}
		r = ldap_sasl_bind_s(d->ld, o->binddn, LDAP_SASL_SIMPLE, &cred,
		    NULL, NULL, NULL);
	} else {
		props = o->secprops;
		/*
		 * The server picks the mechanism: on an unprotected
		 * connection, none that sends the password as it is.
		 */
		if (o->mech == NULL && mech == NULL && !protected_conn &&
		    !o->allow_cleartext) {
			sbuf_printf(&pbuf, "%s%snoanonymous,noplain",
			    props ? props : "", props ? "," : "");
			if (pbuf.oom) {
				msg_err("out of memory");
				goto out;
			}
			props = pbuf.s;
		}
		/*
		 * AD refuses GSSAPI signing and sealing inside TLS (result
		 * 53); TLS protects the session already.
		 */
		if (props == NULL && ldap_tls_inplace(d->ld) &&
		    strncasecmp(o->mech ? o->mech : mech ? mech : "",
		    "GSS", 3) == 0) {
			props = "maxssf=0";
			msg_info("%s inside TLS: using -O maxssf=0",
			    o->mech ? o->mech : mech);
		}
		if (props != NULL && (r = ldap_set_option(d->ld,
		    LDAP_OPT_X_SASL_SECPROPS, props)) != LDAP_OPT_SUCCESS) {
			msg_err("-O %s: invalid SASL security properties",
			    props);
			*usage_err = 1;
			goto out;
		}
		s.pw = pw;
		r = ldap_sasl_interactive_bind_s(d->ld, o->binddn,
		    o->mech ? o->mech : mech, NULL, NULL, LDAP_SASL_QUIET,
		    dir_interact, &s);
		if (s.needpw) {
			msg_err("SASL %s needs a password: use -y FILE or -W",
			    o->mech ? o->mech : mech ? mech : "bind");
			*usage_err = 1;
			goto out;
		}
	}
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, o->simple ? "simple bind failed" :
		    "SASL bind failed");
		if (r == LDAP_STRONG_AUTH_REQUIRED)
			msg_err("hint: the server wants a protected connection "
			    "(ldaps://, -ZZ) or SASL signing");
		else if (r == LDAP_INVALID_CREDENTIALS && pw != NULL &&
		    cred.bv_len > 0 && pw[cred.bv_len - 1] == '\n')
			msg_err("hint: %s ends with a newline, which -y sends as "
			    "part of the password", o->pwfile);
		goto out;
	}
	free(d->mech);
	d->mech = strdup(o->simple ? "simple" : o->mech ? o->mech : mech ?
	    mech : "SASL (the library's choice)");
	rc = 0;
out:
	sbuf_reset(&pbuf);
	ldap_memfree(mech);
	dir_free_pw(pw);
	return rc;
}

/* DN in LDAPv3 string form, or NULL (not a DN, or ENOMEM); ldap_memfree. */
static char *
dir_dn_norm(const char *dn)
{
	char	*out = NULL;

	if (ldap_dn_normalize(dn, LDAP_DN_FORMAT_LDAP, &out,
	    LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
		return NULL;
	return out;
}

int
dir_dn_under(const char *dn, const char *base)
{
	char	*a = dir_dn_norm(dn), *b = dir_dn_norm(base);
	size_t	 la, lb;
	int	 r = 0;

	if (a != NULL && b != NULL) {
		la = strlen(a);
		lb = strlen(b);
		/* the root DSE ("") holds everything */
		r = lb == 0 || (la >= lb && strcasecmp(a + la - lb, b) == 0 &&
		    (la == lb || a[la - lb - 1] == ','));
	}
	ldap_memfree(a);
	ldap_memfree(b);
	return r;
}

int
dir_dn_equal(const char *x, const char *y)
{
	char	*a, *b;
	int	 r;

	/* the same text is the same DN (and normalizing is not free: the
	 * run state's commit compares a DN per value written) */
	if (strcmp(x, y) == 0)
		return 1;
	a = dir_dn_norm(x);
	b = dir_dn_norm(y);
	r = a != NULL && b != NULL ? strcasecmp(a, b) == 0 :
	    strcasecmp(x, y) == 0;
	ldap_memfree(a);
	ldap_memfree(b);
	return r;
}

/*
 * The duplicate check's scope: the whole naming context that holds the
 * base (AD's defaultNamingContext when -b is in it), not just -b, since a
 * value on an account in another OU logs on all the same.
 */
static int
dir_pick_domain(struct dir *d, const char *dnc)
{
	const char	*best = NULL;
	size_t		 i;

	if (dnc != NULL && dir_dn_under(d->base, dnc))
		best = dnc;
	for (i = 0; best == NULL && i < d->ncs.n; i++)
		if (dir_dn_under(d->base, d->ncs.v[i]) && *d->ncs.v[i] != '\0')
			best = d->ncs.v[i];
	if ((d->domain = strdup(best != NULL ? best : d->base)) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	return 0;
}

/*
 * The search base must be an entry the bind can see: a wrong -b would
 * otherwise read as a "No such object" from some later search.  FROM says
 * where the base came from.  0, or -1 after reporting (*USAGE_ERR set when
 * the base itself is wrong).
 */
static int
dir_check_base(struct dir *d, const char *from, int *usage_err)
{
	struct timeval	 tv = { d->timeout, 0 };
	LDAPMessage	*res = NULL;
	LDAPDN		 dn = NULL;
	char		*attrs[] = { (char *)(uintptr_t)LDAP_NO_ATTRS, NULL };
	char		*base;
	int		 r, rc = -1;

	if ((base = msg_escape(d->base, strlen(d->base))) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	if (ldap_str2dn(d->base, &dn, LDAP_DN_FORMAT_LDAP) != LDAP_SUCCESS) {
		msg_err("%s %s: not a valid DN", from, base);
		*usage_err = 1;
		goto out;
	}
	r = ldap_search_ext_s(d->ld, d->base, LDAP_SCOPE_BASE,
	    "(objectClass=*)", attrs, 0, NULL, NULL, &tv, 1, &res);
	switch (r) {
	case LDAP_SUCCESS:
		if (ldap_count_entries(d->ld, res) > 0) {
			rc = 0;
			break;
		}
		/* FALLTHROUGH */
	case LDAP_NO_SUCH_OBJECT:
		msg_err("%s %s: no such entry in %s (or the bind may not see "
		    "it); give the DN of an existing container, or leave -b "
		    "out to use the domain", from, base, d->uri);
		*usage_err = 1;
		break;
	case LDAP_INVALID_DN_SYNTAX:
		msg_err("%s %s: the server says this is not a valid DN", from,
		    d->base);
		*usage_err = 1;
		break;
	case LDAP_REFERRAL:
		msg_err("%s %s: held by another server or partition (the "
		    "server answers with a referral); give a base in this "
		    "directory's domain", from, base);
		*usage_err = 1;
		break;
	default:
		dir_report(d, r, from);
		break;
	}
out:
	free(base);
	ldap_dnfree(dn);
	ldap_msgfree(res);
	return rc;
}

/*
 * TLS_REQCERT (ldap.conf) or LDAPTLS_REQCERT never or allow turns
 * off the check of the server's certificate.  It is the OpenLDAP way and
 * is honoured, but a run that may be talking to an impostor says so every
 * time, also in --log and syslog.
 */
static void
dir_warn_reqcert(LDAP *ld)
{
	const char	*what;
	int		 v;

	if (ldap_get_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &v) !=
	    LDAP_OPT_SUCCESS)
		return;
	switch (v) {
	case LDAP_OPT_X_TLS_NEVER:
		what = "never";
		break;
	case LDAP_OPT_X_TLS_ALLOW:
		what = "allow";
		break;
	default:	/* try: a server always shows a certificate */
		return;
	}
	msg_warn("TLS certificate checking is off (LDAPTLS_REQCERT or "
	    "TLS_REQCERT in ldap.conf is \"%s\"): the directory server is "
	    "not authenticated, anyone on the network path could pose as it "
	    "and read the bind password; set it to \"demand\"", what);
}

/* 1 if every URI of the list (blanks or commas between) is ldap://. */
static int
dir_uris_plain(const char *list)
{
	const char	*p = list;
	size_t		 n;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		if ((n = strcspn(p, " \t,")) == 0)
			break;
		if (n < 7 || strncasecmp(p, "ldap://", 7) != 0)
			return 0;
		p += n;
	}
	return 1;
}

struct dir *
dir_open(const struct dir_opts *o, int *usage_err)
{
	struct dir	*d = NULL, *ret = NULL;
	struct timeval	 tv;
	char		*dnc[2] = { NULL, NULL }, *uri = NULL, *defbase = NULL;
	char		*pinned = NULL;
	struct sigaction sa, oldsa;
	int		 r, v3 = LDAP_VERSION3;

	*usage_err = 0;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	d->timeout = o->timeout > 0 ? o->timeout : 30;
	d->alive = 1;
	/* --dc: this one DC, whatever -H's name resolves to (dir_forest.h) */
	if (o->dc != NULL && (pinned = dir_uri_with_host(o->uri, o->dc, 0)) ==
	    NULL) {
		*usage_err = 1;
		goto out;
	}
	if ((r = ldap_initialize(&d->ld, pinned ? pinned : o->uri)) !=
	    LDAP_SUCCESS) {
		msg_err("%s: %s", o->uri ? o->uri : "ldap.conf URI",
		    ldap_err2string(r));
		*usage_err = 1;
		goto out;
	}
	dir_warn_reqcert(d->ld);
	(void)ldap_get_option(d->ld, LDAP_OPT_URI, &uri);
	d->uri = strdup(uri ? uri : "(default)");
	ldap_memfree(uri);
	if (d->uri == NULL)
		goto out;
	tv.tv_sec = d->timeout;
	tv.tv_usec = 0;
	ldap_set_option(d->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(d->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(d->ld, LDAP_OPT_TIMEOUT, &tv);
	/* -o nettimeout=N, as the OpenLDAP tools: the TCP connect only */
	if (o->nettimeout > 0)
		tv.tv_sec = o->nettimeout;
	ldap_set_option(d->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	/*
	 * Every URI plain ldap:// and no StartTLS: a password could only go
	 * in clear, so say so before connecting.  Any other list is judged
	 * on the connection made (dir_bind).
	 */
	if (o->simple && (o->binddn != NULL || o->pwfile != NULL ||
	    o->prompt) && !o->allow_cleartext && o->starttls == 0 &&
	    dir_uris_plain(d->uri)) {
		msg_err("%s: refusing a simple bind over an unencrypted "
		    "connection: use ldaps://, -ZZ, ldapi:// or SASL (-Y "
		    "GSSAPI), or --allow-cleartext-bind", d->uri);
		*usage_err = 1;
		goto out;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = dir_watchdog;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(SIGALRM, &sa, &oldsa);
	/* connect with handshake, StartTLS, bind, root DSE: each may take
	 * the timeout, and no more */
	alarm((unsigned)d->timeout + 1);
	dir_tls_watch(1);
	if ((r = ldap_connect(d->ld)) != LDAP_SUCCESS) {
		dir_report_tls(d, r, "cannot connect");
		goto out;
	}
	d->alive = 2;	/* connected: a later SERVER_DOWN is a lost one */
	if (o->starttls > 0 && !ldap_tls_inplace(d->ld)) {
		alarm((unsigned)d->timeout + 1);
		if ((r = ldap_start_tls_s(d->ld, NULL, NULL)) != LDAP_SUCCESS) {
			if (r == LDAP_CONNECT_ERROR || r == LDAP_SERVER_DOWN) {
				dir_report_tls(d, r, "StartTLS failed");
				goto out;
			}
			dir_report(d, r, "StartTLS failed");
			if (o->starttls > 1 || r == LDAP_SERVER_DOWN ||
			    r == LDAP_CONNECT_ERROR)
				goto out;
			msg_warn("%s: going on without StartTLS (use -ZZ to "
			    "require it)", d->uri);
		}
	}
	dir_tls_watch(0);
	alarm(0);	/* -W may wait for a person; dir_bind re-arms */
	if (dir_bind(d, o, usage_err) == -1)
		goto out;
	/* replies read and requests sent in bursts, not a system call each
	 * (without the buffers the connection works as before) */
	(void)dir_iobuf_push(d->ld, d->timeout);
	alarm((unsigned)d->timeout + 1);
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "defaultNamingContext", "namingContexts",
	    "configurationNamingContext", "supportedControl",
	    "supportedExtension", "supportedCapabilities", NULL }, 0,
	    dir_rootdse_cb, dnc, NULL) != 0) {
		msg_err("%s: cannot read the root DSE", d->uri);
		goto out;
	}
	if (o->base != NULL)
		d->base = strdup(o->base);
	else if (ldap_get_option(d->ld, LDAP_OPT_DEFBASE, &defbase) ==
	    LDAP_OPT_SUCCESS && defbase != NULL && *defbase != '\0')
		d->base = strdup(defbase);
	else if (dnc[0] != NULL)
		d->base = strdup(dnc[0]);
	else {
		msg_err("%s: no search base: the server names no default "
		    "naming context; give -b BASE", d->uri);
		*usage_err = 1;
		goto out;
	}
	if (d->base == NULL)
		goto out;
	dir_whoami(d, o);
	if (dir_check_base(d, o->base != NULL ? "-b" : defbase != NULL &&
	    *defbase != '\0' ? "BASE (ldap.conf)" : "the default naming "
	    "context", usage_err) == -1)
		goto out;
	if (dir_pick_domain(d, dnc[0]) == -1)
		goto out;
	if (dnc[1] != NULL && dnc[0] != NULL)
		dir_read_netbios(d, dnc[1], dnc[0]);
	msg_info("connected to %s, base %s%s%s", d->uri, d->base,
	    d->netbios ? ", domain " : "", d->netbios ? d->netbios : "");
	ret = d;
	d = NULL;
out:
	dir_tls_watch(0);
	alarm(0);
	(void)sigaction(SIGALRM, &oldsa, NULL);
	ldap_memfree(defbase);
	free(pinned);
	free(dnc[0]);
	free(dnc[1]);
	dir_close(d);
	return ret;
}

void
dir_close(struct dir *d)
{
	if (d == NULL)
		return;
	dir_close(d->gc);
	dir_forest_free(d->forest);
	strlist_free(&d->referrals);
	if (d->ld != NULL)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	if (d->txnid != NULL)
		ber_bvfree(d->txnid);
	strlist_free(&d->features);
	strlist_free(&d->ncs);
	free(d->uri);
	free(d->base);
	free(d->domain);
	free(d->netbios);
	free(d->server);
	free(d->mech);
	free(d->ident);
	free(d);
}

const char *dir_base(const struct dir *d) { return d->base; }
const char *dir_domain(const struct dir *d) { return d->domain; }
const char *dir_uri(const struct dir *d) { return d->uri; }
int dir_alive(const struct dir *d) { return d->alive; }
int dir_is_ad(const struct dir *d) { return d->is_ad; }
const char *dir_server(const struct dir *d) { return d->server ? d->server : "?"; }
const char *dir_mech(const struct dir *d) { return d->mech ? d->mech : "?"; }
const char *dir_identity(const struct dir *d) { return d->ident ? d->ident : "?"; }

int
dir_supports(const struct dir *d, const char *oid)
{
	size_t	i;

	for (i = 0; i < d->features.n; i++)
		if (strcmp(d->features.v[i], oid) == 0)
			return 1;
	return 0;
}

static int
dir_same_server(const struct dir *a, const struct dir *b)
{
	struct sockaddr_storage	 sa, sb;
	socklen_t		 la = sizeof(sa), lb = sizeof(sb);
	ber_socket_t		 fa = -1, fb = -1;

	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	if (ldap_get_option(a->ld, LDAP_OPT_DESC, &fa) != LDAP_OPT_SUCCESS ||
	    ldap_get_option(b->ld, LDAP_OPT_DESC, &fb) != LDAP_OPT_SUCCESS ||
	    fa < 0 || fb < 0 ||
	    getpeername(fa, (struct sockaddr *)&sa, &la) == -1 ||
	    getpeername(fb, (struct sockaddr *)&sb, &lb) == -1)
		return 0;
	return la == lb && memcmp(&sa, &sb, la) == 0;
}

struct dir *
dir_open_twin(const struct dir_opts *opts, struct dir *d, const char *for_,
    const char *instead)
{
	struct dir_opts	 o2 = *opts;
	struct dir	*d2;
	int		 usage_err;

	o2.uri = dir_uri(d);
	o2.dc = NULL;
	o2.base = dir_base(d);
	if ((d2 = dir_open(&o2, &usage_err)) == NULL) {
		msg_info("a second connection for %s failed: %s", for_,
		    instead);
		return NULL;
	}
	if (!dir_same_server(d, d2)) {
		msg_info("the second connection for %s reached another "
		    "server: %s", for_, instead);
		dir_close(d2);
		return NULL;
	}
	return d2;
}
