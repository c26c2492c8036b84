/*
 * The directory connection: connect, bind, paged batched lookups, and
 * asynchronous single-value modifies.  Everything LDAP lives here.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include <ldap.h>
#include <sasl/sasl.h>

#include "altsec.h"
#include "dir.h"
#include "msg.h"
#include "sbuf.h"

/* Keys per search: short filters, and AD's MaxQueryDuration stays far. */
#define DIR_BATCH	100
/* Windows refuses pages larger than 1000 (MaxPageSize). */
#define DIR_PAGE	1000
#define DIR_PWMAX	1024
/* Base searches in flight when reading many entries. */
#define DIR_READ_WINDOW	32

struct dir {
	LDAP		*ld;
	char		*uri;		/* owned */
	char		*base;		/* owned */
	char		*netbios;	/* owned: AD's NetBIOS domain, or NULL */
	struct strlist	 features;	/* supportedControl + Extension */
	struct berval	*txnid;		/* owned by libldap: ber_bvfree */
	int		 alive;
	int		 timeout;
};

static const char *const dir_attrs[] = {
	"sAMAccountName", "userPrincipalName", "mail", "objectSid",
	"altSecurityIdentities", NULL
};

const char *
dir_err2string(int rc)
{
	return ldap_err2string(rc);
}

/* The server's diagnostic message for the last operation, or "". */
static char *
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
static void
dir_report(struct dir *d, int rc, const char *what)
{
	/* a timeout is ours: any diagnostic left is from something else */
	char	*diag = rc == LDAP_TIMEOUT ? NULL : dir_diag(d);

	msg_err("%s: %s: %s%s%s%s", d->uri, what, ldap_err2string(rc),
	    diag && *diag ? " (" : "", diag ? diag : "",
	    diag && *diag ? ")" : "");
	free(diag);
	if (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR ||
	    rc == LDAP_TIMEOUT)
		d->alive = 0;
}

/*
 * Waits for the reply to MSGID (or any, LDAP_RES_ANY), all of it (ALL) or
 * the next message.  Returns 0 with *RES set (the caller frees it), or -1
 * after reporting WHAT: a timeout (the request is abandoned) or a failed
 * connection, which leaves the connection dead.
 */
static int
dir_wait(struct dir *d, int msgid, int all, LDAPMessage **res,
    const char *what)
{
	struct timeval	tv = { d->timeout, 0 };
	int		r, err = LDAP_TIMEOUT;

	*res = NULL;
	if ((r = ldap_result(d->ld, msgid, all ? LDAP_MSG_ALL : LDAP_MSG_ONE,
	    &tv, res)) > 0)
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

int
dir_sid_to_bin(const char *sid, unsigned char *out, size_t *len)
{
	unsigned long long	 v;
	const char		*p;
	char			*end;
	int			 i, n = 0;

	if (strncasecmp(sid, "S-1-", 4) != 0)
		return -1;
	p = sid + 4;
	errno = 0;
	v = strtoull(p, &end, 10);
	if (errno || end == p || v > 0xffffffffffffULL)
		return -1;
	out[0] = 1;
	for (i = 0; i < 6; i++)
		out[2 + i] = (unsigned char)(v >> (8 * (5 - i)));
	for (p = end; *p == '-'; p = end) {
		if (n == 15)
			return -1;
		errno = 0;
		v = strtoull(p + 1, &end, 10);
		if (errno || end == p + 1 || v > 0xffffffffULL)
			return -1;
		for (i = 0; i < 4; i++)
			out[8 + 4 * n + i] = (unsigned char)(v >> (8 * i));
		n++;
	}
	if (*p != '\0')
		return -1;
	out[1] = (unsigned char)n;
	*len = 8 + 4 * (size_t)n;
	return 0;
}

static char *
dir_sid_to_text(const struct berval *bv)
{
	const unsigned char	*b = (const unsigned char *)bv->bv_val;
	struct sbuf		 s = SBUF_INIT;
	unsigned long long	 auth = 0;
	size_t			 i, n;

	if (bv->bv_len < 8 || bv->bv_len != 8 + 4 * (size_t)b[1])
		return NULL;
	n = b[1];
	for (i = 0; i < 6; i++)
		auth = auth << 8 | b[2 + i];
	sbuf_printf(&s, "S-%u-%llu", b[0], auth);
	for (i = 0; i < n; i++)
		sbuf_printf(&s, "-%" PRIu32, (uint32_t)b[8 + 4 * i] |
		    (uint32_t)b[9 + 4 * i] << 8 | (uint32_t)b[10 + 4 * i] << 16 |
		    (uint32_t)b[11 + 4 * i] << 24);
	return sbuf_done(&s);
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

/* Reads one attribute's first value as a string, or NULL. */
static char *
dir_first(LDAP *ld, LDAPMessage *e, const char *attr)
{
	struct berval	**vals;
	char		 *s = NULL;

	if ((vals = ldap_get_values_len(ld, e, attr)) == NULL)
		return NULL;
	if (vals[0] != NULL)
		s = strndup(vals[0]->bv_val, vals[0]->bv_len);
	ldap_value_free_len(vals);
	return s;
}

static int
dir_all(LDAP *ld, LDAPMessage *e, const char *attr, struct strlist *out)
{
	struct berval	**vals;
	char		 *s;
	size_t		  i;
	int		  rc = 0;

	if ((vals = ldap_get_values_len(ld, e, attr)) == NULL)
		return 0;
	for (i = 0; vals[i] != NULL && rc == 0; i++) {
		if ((s = strndup(vals[i]->bv_val, vals[i]->bv_len)) == NULL ||
		    strlist_add(out, s) == -1)
			rc = -1;
		free(s);
	}
	ldap_value_free_len(vals);
	return rc;
}

/*
 * One search, paged if PAGED, calling CB for every entry.  Continuation
 * references (AD's Configuration partition) are ignored.  Returns 0, 1 if
 * the base does not exist, or -1 after reporting.
 */
static int
dir_search(struct dir *d, const char *base, int scope, const char *filter,
    const char *const *attrs, int paged,
    int (*cb)(struct dir *, LDAPMessage *, void *), void *arg)
{
	struct berval	 cookie = { 0, NULL };
	struct timeval	 tv = { d->timeout, 0 };
	LDAPControl	*pc = NULL, *ctrls[2] = { NULL, NULL }, **sctrls = NULL;
	LDAPControl	*resp;
	LDAPMessage	*res = NULL, *m;
	ber_int_t	 count;
	int		 msgid, r, err, rc = -1, done;
	char		 what[64];

	snprintf(what, sizeof(what), "search");
	do {
		if (paged) {
			if ((r = ldap_create_page_control(d->ld, DIR_PAGE,
			    &cookie, 0, &pc)) != LDAP_SUCCESS) {
				dir_report(d, r, "paged results control");
				goto out;
			}
			ctrls[0] = pc;
		}
		r = ldap_search_ext(d->ld, base, scope, filter,
		    (char **)(uintptr_t)attrs, 0, paged ? ctrls : NULL, NULL,
		    &tv, 0, &msgid);
		ldap_control_free(pc);
		pc = NULL;
		if (r != LDAP_SUCCESS) {
			dir_report(d, r, what);
			goto out;
		}
		for (done = 0; !done; ) {
			if (dir_wait(d, msgid, 0, &res, what) == -1)
				goto out;
			for (m = ldap_first_message(d->ld, res); m != NULL;
			    m = ldap_next_message(d->ld, m)) {
				switch (ldap_msgtype(m)) {
				case LDAP_RES_SEARCH_ENTRY:
					if (cb(d, m, arg) == -1)
						goto out;
					break;
				case LDAP_RES_SEARCH_REFERENCE:
					break;
				case LDAP_RES_SEARCH_RESULT:
					done = 1;
					r = ldap_parse_result(d->ld, m, &err,
					    NULL, NULL, NULL, &sctrls, 0);
					if (r != LDAP_SUCCESS) {
						dir_report(d, r, what);
						goto out;
					}
					if (err == LDAP_NO_SUCH_OBJECT &&
					    scope == LDAP_SCOPE_BASE) {
						rc = 1;
						goto out;
					}
					if (err != LDAP_SUCCESS) {
						ldap_set_option(d->ld,
						    LDAP_OPT_RESULT_CODE, &err);
						dir_report(d, err, what);
						goto out;
					}
					break;
				}
			}
			ldap_msgfree(res);
			res = NULL;
		}
		ber_memfree(cookie.bv_val);
		cookie.bv_val = NULL;
		cookie.bv_len = 0;
		if (paged && sctrls != NULL && (resp = ldap_control_find(
		    LDAP_CONTROL_PAGEDRESULTS, sctrls, NULL)) != NULL &&
		    ldap_parse_pageresponse_control(d->ld, resp, &count,
		    &cookie) != LDAP_SUCCESS) {
			dir_report(d, LDAP_DECODING_ERROR, "paged results");
			goto out;
		}
		ldap_controls_free(sctrls);
		sctrls = NULL;
	} while (cookie.bv_len > 0);
	rc = 0;
out:
	ldap_controls_free(sctrls);
	ldap_msgfree(res);
	ber_memfree(cookie.bv_val);
	return rc;
}

static int
dir_rootdse_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	char	**dnc = arg;

	(void)dir_all(d->ld, e, "supportedControl", &d->features);
	(void)dir_all(d->ld, e, "supportedExtension", &d->features);
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
		    dir_netbios_cb, NULL);
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

static int
dir_bind(struct dir *d, const struct dir_opts *o, int protected_conn,
    int *usage_err)
{
	struct dir_sasl	 s = { o, NULL, 0 };
	struct berval	 cred = { 0, NULL };
	const char	*props;
	char		*pw = NULL, *mech = NULL;
	int		 r, rc = -1;

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
		if ((o->binddn != NULL || pw != NULL) && !protected_conn &&
		    !o->allow_cleartext) {
			msg_err("%s: refusing a simple bind over an unencrypted "
			    "connection: use ldaps://, -ZZ, ldapi:// or SASL "
			    "(-Y GSSAPI), or --allow-cleartext-bind", d->uri);
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
		if (o->mech == NULL)
			(void)ldap_get_option(d->ld, LDAP_OPT_X_SASL_MECH,
			    &mech);
		props = o->secprops;
		/*
		 * AD refuses GSSAPI signing and sealing inside TLS (result
		 * 53); TLS protects the session already.
		 */
		if (props == NULL && ldap_tls_inplace(d->ld) &&
		    strcasecmp(o->mech ? o->mech : mech ? mech : "",
		    "GSSAPI") == 0) {
			props = "maxssf=0";
			msg_info("GSSAPI inside TLS: using -O maxssf=0");
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
	rc = 0;
out:
	ldap_memfree(mech);
	dir_free_pw(pw);
	return rc;
}

struct dir *
dir_open(const struct dir_opts *o, int *usage_err)
{
	struct dir	*d = NULL, *ret = NULL;
	struct timeval	 tv;
	char		*dnc[2] = { NULL, NULL }, *uri = NULL, *defbase = NULL;
	struct sigaction sa, oldsa;
	const char	*scheme_end;
	int		 r, v3 = LDAP_VERSION3, protected_conn;

	*usage_err = 0;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	d->timeout = o->timeout > 0 ? o->timeout : 30;
	d->alive = 1;
	if ((r = ldap_initialize(&d->ld, o->uri)) != LDAP_SUCCESS) {
		msg_err("%s: %s", o->uri ? o->uri : "ldap.conf URI",
		    ldap_err2string(r));
		*usage_err = 1;
		goto out;
	}
	(void)ldap_get_option(d->ld, LDAP_OPT_URI, &uri);
	d->uri = strdup(uri ? uri : "(default)");
	ldap_memfree(uri);
	if (d->uri == NULL)
		goto out;
	tv.tv_sec = d->timeout;
	tv.tv_usec = 0;
	ldap_set_option(d->ld, LDAP_OPT_PROTOCOL_VERSION, &v3);
	ldap_set_option(d->ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(d->ld, LDAP_OPT_NETWORK_TIMEOUT, &tv);
	ldap_set_option(d->ld, LDAP_OPT_TIMEOUT, &tv);
	/* Refuse a cleartext password before anything goes on the wire. */
	if (o->simple && (o->binddn != NULL || o->pwfile != NULL ||
	    o->prompt) && !o->allow_cleartext && o->starttls == 0 &&
	    strncasecmp(d->uri, "ldap://", 7) == 0) {
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
	if ((r = ldap_connect(d->ld)) != LDAP_SUCCESS) {
		/* libldap cannot tell a refused TLS certificate from silence */
		dir_report(d, r, strncasecmp(d->uri, "ldaps:", 6) != 0 ?
		    "cannot connect" : "cannot connect (if the server is up, "
		    "check that its certificate verifies against TLS_CACERT "
		    "and names the host in the URI)");
		goto out;
	}
	if (o->starttls > 0 && strncasecmp(d->uri, "ldaps:", 6) != 0) {
		alarm((unsigned)d->timeout + 1);
		if ((r = ldap_start_tls_s(d->ld, NULL, NULL)) != LDAP_SUCCESS) {
			dir_report(d, r, "StartTLS failed");
			if (o->starttls > 1 || r == LDAP_SERVER_DOWN ||
			    r == LDAP_CONNECT_ERROR)
				goto out;
			msg_warn("%s: going on without StartTLS (use -ZZ to "
			    "require it)", d->uri);
		}
	}
	scheme_end = strstr(d->uri, "://");
	protected_conn = ldap_tls_inplace(d->ld) || (scheme_end != NULL &&
	    scheme_end - d->uri == 5 && strncasecmp(d->uri, "ldapi", 5) == 0);
	alarm(0);	/* -W may wait for a person; dir_bind re-arms */
	if (dir_bind(d, o, protected_conn, usage_err) == -1)
		goto out;
	alarm((unsigned)d->timeout + 1);
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "defaultNamingContext", "namingContexts",
	    "configurationNamingContext", "supportedControl",
	    "supportedExtension", NULL }, 0, dir_rootdse_cb, dnc) != 0) {
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
	if (dnc[1] != NULL && dnc[0] != NULL)
		dir_read_netbios(d, dnc[1], dnc[0]);
	msg_info("connected to %s, base %s%s%s", d->uri, d->base,
	    d->netbios ? ", domain " : "", d->netbios ? d->netbios : "");
	ret = d;
	d = NULL;
out:
	alarm(0);
	(void)sigaction(SIGALRM, &oldsa, NULL);
	ldap_memfree(defbase);
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
	if (d->ld != NULL)
		ldap_unbind_ext_s(d->ld, NULL, NULL);
	if (d->txnid != NULL)
		ber_bvfree(d->txnid);
	strlist_free(&d->features);
	free(d->uri);
	free(d->base);
	free(d->netbios);
	free(d);
}

const char *dir_base(const struct dir *d) { return d->base; }
const char *dir_uri(const struct dir *d) { return d->uri; }
int dir_alive(const struct dir *d) { return d->alive; }

int
dir_supports(const struct dir *d, const char *oid)
{
	size_t	i;

	for (i = 0; i < d->features.n; i++)
		if (strcmp(d->features.v[i], oid) == 0)
			return 1;
	return 0;
}

void
dir_blobs_free(struct dir_blobs *b)
{
	size_t	i;

	for (i = 0; i < b->n; i++)
		free(b->v[i]);
	free(b->v);
	free(b->len);
	b->v = NULL;
	b->len = NULL;
	b->n = 0;
}

static int
dir_config_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	char	**config = arg;

	free(*config);
	*config = dir_first(d->ld, e, "configurationNamingContext");
	return 0;
}

static int
dir_blobs_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_blobs	 *b = arg;
	struct berval		**vals;
	unsigned char		**nv;
	size_t			 *nl, i;
	int			  rc = -1;

	if ((vals = ldap_get_values_len(d->ld, e, "cACertificate")) == NULL)
		return 0;
	for (i = 0; vals[i] != NULL; i++) {
		if ((nv = realloc(b->v, (b->n + 1) * sizeof(*nv))) == NULL)
			goto out;
		b->v = nv;
		if ((nl = realloc(b->len, (b->n + 1) * sizeof(*nl))) == NULL)
			goto out;
		b->len = nl;
		if ((b->v[b->n] = malloc(vals[i]->bv_len + 1)) == NULL)
			goto out;
		memcpy(b->v[b->n], vals[i]->bv_val, vals[i]->bv_len);
		b->len[b->n] = vals[i]->bv_len;
		b->n++;
	}
	rc = 0;
out:
	if (rc == -1)
		msg_err("out of memory");
	ldap_value_free_len(vals);
	return rc;
}

static long	dir_account(struct dir *, LDAPMessage *, struct accounts *);

static int
dir_scan_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	return dir_account(d, e, arg) < 0 ? -1 : 0;
}

int
dir_scan_mapped(struct dir *d, struct accounts *acc)
{
	return dir_search(d, d->base, LDAP_SCOPE_SUBTREE,
	    "(altSecurityIdentities=*)", dir_attrs, 1, dir_scan_cb, acc) == 0 ?
	    0 : -1;
}

struct dir_attr_arg {
	const char	*attr;
	char		*val;
};

static int
dir_attr_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_attr_arg	*a = arg;

	free(a->val);
	a->val = dir_first(d->ld, e, a->attr);
	return 0;
}

int
dir_rootdse_attr(struct dir *d, const char *attr, char **out)
{
	struct dir_attr_arg	a = { attr, NULL };

	*out = NULL;
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ attr, NULL }, 0, dir_attr_cb, &a) != 0) {
		free(a.val);
		return -1;
	}
	*out = a.val;
	return a.val == NULL ? 1 : 0;
}

int
dir_ntauth_read(struct dir *d, char **dn, struct dir_blobs *out)
{
	struct sbuf	 b = SBUF_INIT;
	char		*config = NULL;
	int		 r, rc = -1;

	*dn = NULL;
	dir_blobs_free(out);
	if (dir_search(d, "", LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "configurationNamingContext", NULL }, 0,
	    dir_config_cb, &config) != 0)
		goto out;
	if (config == NULL) {
		msg_err("%s: the root DSE names no configuration naming "
		    "context: not Active Directory?", d->uri);
		goto out;
	}
	sbuf_printf(&b, "CN=NTAuthCertificates,CN=Public Key Services,"
	    "CN=Services,%s", config);
	if (b.oom) {
		msg_err("out of memory");
		goto out;
	}
	r = dir_search(d, b.s, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "cACertificate", NULL }, 0,
	    dir_blobs_cb, out);
	if (r == -1)
		goto out;
	*dn = sbuf_done(&b);
	if (*dn == NULL) {
		msg_err("out of memory");
		goto out;
	}
	rc = r;
out:
	if (rc == -1)
		dir_blobs_free(out);
	sbuf_reset(&b);
	free(config);
	return rc;
}

void
accounts_free(struct accounts *acc)
{
	size_t	i;

	for (i = 0; i < acc->n; i++) {
		free(acc->v[i].dn);
		free(acc->v[i].sam);
		free(acc->v[i].upn);
		free(acc->v[i].mail);
		free(acc->v[i].sid);
		strlist_free(&acc->v[i].altsec);
	}
	free(acc->v);
	free(acc->slot);
	memset(acc, 0, sizeof(*acc));
}

/* FNV-1a over the ASCII-lowered DN: DNs compare case-insensitively. */
static size_t
accounts_hash(const char *dn)
{
	uint64_t	h = 14695981039346656037ULL;

	for (; *dn != '\0'; dn++) {
		h ^= (unsigned char)(*dn >= 'A' && *dn <= 'Z' ? *dn + 32 : *dn);
		h *= 1099511628211ULL;
	}
	return (size_t)h;
}

long
accounts_find(const struct accounts *acc, const char *dn)
{
	size_t	i, s;

	if (acc->nslot == 0)
		return -1;
	for (i = accounts_hash(dn) & (acc->nslot - 1); (s = acc->slot[i]) != 0;
	    i = (i + 1) & (acc->nslot - 1))
		if (strcasecmp(acc->v[s - 1].dn, dn) == 0)
			return (long)(s - 1);
	return -1;
}

/* Indexes the last account added; grows the table as needed. */
static int
accounts_index(struct accounts *acc)
{
	size_t	*slot, n, i, j;

	if (2 * acc->n > acc->nslot) {
		n = acc->nslot ? 2 * acc->nslot : 64;
		if ((slot = calloc(n, sizeof(*slot))) == NULL)
			return -1;
		free(acc->slot);
		acc->slot = slot;
		acc->nslot = n;
		j = 0;
	} else
		j = acc->n - 1;
	for (; j < acc->n; j++) {
		for (i = accounts_hash(acc->v[j].dn) & (acc->nslot - 1);
		    acc->slot[i] != 0; i = (i + 1) & (acc->nslot - 1))
			;
		acc->slot[i] = j + 1;
	}
	return 0;
}

/* Adds the entry to ACC unless present; returns its index or -1. */
static long
dir_account(struct dir *d, LDAPMessage *e, struct accounts *acc)
{
	struct account	 a, *v;
	struct berval	**sids;
	char		 *dn;
	long		  idx;

	memset(&a, 0, sizeof(a));
	if ((dn = ldap_get_dn(d->ld, e)) == NULL)
		return -1;
	idx = accounts_find(acc, dn);
	if (idx >= 0) {
		ldap_memfree(dn);
		return idx;
	}
	a.dn = strdup(dn);
	ldap_memfree(dn);
	a.sam = dir_first(d->ld, e, "sAMAccountName");
	a.upn = dir_first(d->ld, e, "userPrincipalName");
	a.mail = dir_first(d->ld, e, "mail");
	if ((sids = ldap_get_values_len(d->ld, e, "objectSid")) != NULL) {
		if (sids[0] != NULL)
			a.sid = dir_sid_to_text(sids[0]);
		ldap_value_free_len(sids);
	}
	if (a.dn == NULL || dir_all(d->ld, e, "altSecurityIdentities",
	    &a.altsec) == -1 ||
	    (v = realloc(acc->v, (acc->n + 1) * sizeof(*v))) == NULL) {
		free(a.dn);
		free(a.sam);
		free(a.upn);
		free(a.mail);
		free(a.sid);
		strlist_free(&a.altsec);
		msg_err("out of memory");
		return -1;
	}
	v[acc->n++] = a;
	acc->v = v;
	if (accounts_index(acc) == -1) {
		msg_err("out of memory");
		return -1;
	}
	return (long)acc->n - 1;
}

static int
dir_add_hit(struct dir_key *k, size_t idx)
{
	size_t	i, *h;

	for (i = 0; i < k->nhits; i++)
		if (k->hits[i] == idx)
			return 0;
	if ((h = realloc(k->hits, (k->nhits + 1) * sizeof(*h))) == NULL)
		return -1;
	h[k->nhits++] = idx;
	k->hits = h;
	return 0;
}

static int
dir_matches(const struct account *a, const struct dir_key *k)
{
	size_t	i;

	if (strcasecmp(k->attr, "sAMAccountName") == 0)
		return a->sam && strcasecmp(a->sam, k->value) == 0;
	if (strcasecmp(k->attr, "userPrincipalName") == 0)
		return a->upn && strcasecmp(a->upn, k->value) == 0;
	if (strcasecmp(k->attr, "mail") == 0)
		return a->mail && strcasecmp(a->mail, k->value) == 0;
	if (strcasecmp(k->attr, "objectSid") == 0)
		return a->sid && strcasecmp(a->sid, k->value) == 0;
	if (strcasecmp(k->attr, "altSecurityIdentities") == 0) {
		for (i = 0; i < a->altsec.n; i++)
			if (altsec_casecmp(a->altsec.v[i], k->value) == 0)
				return 1;
	}
	return 0;
}

struct dir_batch {
	struct dir_key	*keys;
	size_t		 n;
	struct accounts	*acc;
	int		 base;	/* a base search: the entry is the key's */
};

static int
dir_batch_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_batch	*b = arg;
	long			 idx;
	size_t			 i;

	if ((idx = dir_account(d, e, b->acc)) < 0)
		return -1;
	for (i = 0; i < b->n; i++)
		if ((b->base || dir_matches(&b->acc->v[idx], &b->keys[i])) &&
		    dir_add_hit(&b->keys[i], (size_t)idx) == -1)
			return -1;
	return 0;
}

/* Appends "(attr=escaped-value)" to F. */
static int
dir_filter_term(struct sbuf *f, const struct dir_key *k)
{
	struct berval	 in, out = { 0, NULL };
	unsigned char	 sid[8 + 4 * 15];
	size_t		 sidlen, i;

	if (strcasecmp(k->attr, "objectSid") == 0) {
		/* binary form, escaped byte by byte: AD and slapd agree */
		if (dir_sid_to_bin(k->value, sid, &sidlen) == -1)
			return -1;
		sbuf_puts(f, "(objectSid=");
		for (i = 0; i < sidlen; i++)
			sbuf_printf(f, "\\%02x", sid[i]);
		sbuf_putc(f, ')');
		return 0;
	}
	in.bv_val = (char *)(uintptr_t)k->value;
	in.bv_len = strlen(k->value);
	if (ldap_bv2escaped_filter_value(&in, &out) != 0)
		return -1;
	sbuf_printf(f, "(%s=%s)", k->attr, out.bv_val);
	ber_memfree(out.bv_val);
	return 0;
}

int
dir_lookup(struct dir *d, struct dir_key *keys, size_t n,
    struct accounts *acc)
{
	struct dir_batch	 b;
	struct sbuf		 f = SBUF_INIT;
	size_t			 i, j, terms;
	int			 r, users, rc = -1;

	b.acc = acc;
	/* DNs are looked up one base search each. */
	for (i = 0; i < n; i++) {
		if (strcasecmp(keys[i].attr, "distinguishedName") != 0)
			continue;
		b.keys = &keys[i];
		b.n = 1;
		b.base = 1;
		r = dir_search(d, keys[i].value, LDAP_SCOPE_BASE,
		    "(objectClass=user)", dir_attrs, 0, dir_batch_cb, &b);
		if (r == -1)
			goto out;
	}
	for (i = 0; i < n; i = j) {
		sbuf_reset(&f);
		users = strcasecmp(keys[i].attr, "altSecurityIdentities") != 0;
		/* objectClass=user: users, computers, inetOrgPersons; no contacts */
		sbuf_puts(&f, users ? "(&(objectClass=user)(|" : "(|");
		for (j = i, terms = 0; j < n && terms < DIR_BATCH; j++) {
			if (strcasecmp(keys[j].attr, "distinguishedName") == 0)
				continue;
			if ((strcasecmp(keys[j].attr,
			    "altSecurityIdentities") != 0) != users)
				break;
			if (dir_filter_term(&f, &keys[j]) == -1) {
				msg_err("cannot build a search filter for %s=%s",
				    keys[j].attr, keys[j].value);
				goto out;
			}
			terms++;
		}
		sbuf_puts(&f, users ? "))" : ")");
		if (terms == 0)
			continue;
		if (f.oom) {
			msg_err("out of memory");
			goto out;
		}
		b.keys = &keys[i];
		b.n = j - i;
		b.base = 0;
		msg_debug("search %s", f.s);
		if (dir_search(d, d->base, LDAP_SCOPE_SUBTREE, f.s, dir_attrs, 1,
		    dir_batch_cb, &b) != 0)
			goto out;
	}
	rc = 0;
out:
	sbuf_reset(&f);
	return rc;
}

void
dir_keys_free(struct dir_key *keys, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(keys[i].hits);
		keys[i].hits = NULL;
		keys[i].nhits = 0;
	}
}

static int
dir_altsec_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	return dir_all(d->ld, e, "altSecurityIdentities", arg);
}

int
dir_read_altsec(struct dir *d, const char *dn, struct strlist *out)
{
	strlist_free(out);
	return dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "altSecurityIdentities", NULL }, 0,
	    dir_altsec_cb, out);
}

int
dir_read_many(struct dir *d, char *const *dns, size_t n, struct strlist *out,
    int *found)
{
	const char *const attrs[] = { "altSecurityIdentities", NULL };
	struct timeval	 tv = { d->timeout, 0 };
	LDAPMessage	*res = NULL, *m;
	size_t		 next = 0, inflight = 0, i, idx;
	int		*ids = NULL, msgid, r, err, rc = -1;

	if (n > 0 && (ids = malloc(n * sizeof(*ids))) == NULL) {
		msg_err("out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		ids[i] = -1;
		found[i] = 0;
		strlist_free(&out[i]);
	}
	while (next < n || inflight > 0) {
		while (inflight < DIR_READ_WINDOW && next < n) {
			r = ldap_search_ext(d->ld, dns[next], LDAP_SCOPE_BASE,
			    "(objectClass=*)", (char **)(uintptr_t)attrs, 0,
			    NULL, NULL, &tv, 0, &ids[next]);
			if (r != LDAP_SUCCESS) {
				dir_report(d, r, "search");
				goto out;
			}
			next++;
			inflight++;
		}
		if (dir_wait(d, LDAP_RES_ANY, 1, &res, "search") == -1)
			goto out;
		msgid = ldap_msgid(res);
		for (idx = 0; idx < next && ids[idx] != msgid; idx++)
			;
		if (idx == next) {	/* not ours */
			ldap_msgfree(res);
			res = NULL;
			continue;
		}
		inflight--;
		ids[idx] = -1;
		for (m = ldap_first_message(d->ld, res); m != NULL;
		    m = ldap_next_message(d->ld, m)) {
			if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY) {
				found[idx] = 1;
				if (dir_all(d->ld, m, attrs[0], &out[idx]) == -1) {
					msg_err("out of memory");
					goto out;
				}
			} else if (ldap_msgtype(m) == LDAP_RES_SEARCH_RESULT) {
				r = ldap_parse_result(d->ld, m, &err, NULL, NULL,
				    NULL, NULL, 0);
				if (r == LDAP_SUCCESS && err != LDAP_SUCCESS &&
				    err != LDAP_NO_SUCH_OBJECT) {
					ldap_set_option(d->ld,
					    LDAP_OPT_RESULT_CODE, &err);
					dir_report(d, err, dns[idx]);
					goto out;
				}
			}
		}
		ldap_msgfree(res);
		res = NULL;
	}
	rc = 0;
out:
	ldap_msgfree(res);
	free(ids);
	return rc;
}

/* Fills an LDAPMod of single values; the bervals point into VALS. */
static void
dir_fill_mod(LDAPMod *m, int op, char *const *vals, size_t n,
    struct berval *bv, struct berval **bvp)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		bv[i].bv_val = vals[i];
		bv[i].bv_len = strlen(vals[i]);
		bvp[i] = &bv[i];
	}
	bvp[n] = NULL;
	m->mod_op = op | LDAP_MOD_BVALUES;
	m->mod_type = (char *)(uintptr_t)"altSecurityIdentities";
	m->mod_bvalues = bvp;
}

int
dir_mod_send(struct dir *d, const struct dir_mod *dm, int permissive)
{
	LDAPMod		 mods[2], *mp[3];
	LDAPControl	 pc, tc, *ctrls[3];
	struct berval	*bv = NULL, **bvp = NULL;
	size_t		 nv = dm->nadd + dm->ndel, k = 0, c = 0;
	int		 msgid = -1, r;

	if ((bv = calloc(nv + 1, sizeof(*bv))) == NULL ||
	    (bvp = calloc(nv + 2, sizeof(*bvp))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	/* Deletes first: a value moving between forms stays consistent. */
	if (dm->ndel > 0) {
		dir_fill_mod(&mods[k], LDAP_MOD_DELETE, dm->del, dm->ndel, bv,
		    bvp);
		mp[k] = &mods[k];
		k++;
	}
	if (dm->nadd > 0) {
		dir_fill_mod(&mods[k], LDAP_MOD_ADD, dm->add, dm->nadd,
		    bv + dm->ndel, bvp + dm->ndel + (dm->ndel > 0));
		mp[k] = &mods[k];
		k++;
	}
	mp[k] = NULL;
	if (permissive) {
		memset(&pc, 0, sizeof(pc));
		pc.ldctl_oid = (char *)(uintptr_t)DIR_OID_PERMISSIVE;
		ctrls[c++] = &pc;
	}
	if (d->txnid != NULL) {
		memset(&tc, 0, sizeof(tc));
		tc.ldctl_oid = (char *)(uintptr_t)LDAP_CONTROL_TXN_SPEC;
		tc.ldctl_value = *d->txnid;
		tc.ldctl_iscritical = 1;
		ctrls[c++] = &tc;
	}
	ctrls[c] = NULL;
	r = ldap_modify_ext(d->ld, dm->dn, mp, c ? ctrls : NULL, NULL, &msgid);
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "modify");
		msgid = -1;
	}
out:
	free(bv);
	free(bvp);
	return msgid;
}

int
dir_mod_wait(struct dir *d, int *msgid, int *rc, char **diag)
{
	LDAPMessage	*res = NULL;
	char		*text = NULL;
	int		 r;

	if (dir_wait(d, LDAP_RES_ANY, 1, &res, "waiting for modify replies") ==
	    -1)
		return -1;
	*msgid = ldap_msgid(res);
	r = ldap_parse_result(d->ld, res, rc, NULL, &text, NULL, NULL, 1);
	if (r != LDAP_SUCCESS)
		*rc = r;
	*diag = msg_escape(text ? text : "", text ? strlen(text) : 0);
	ldap_memfree(text);
	if (*diag == NULL)
		*diag = strdup("");
	return 0;
}

int
dir_txn_begin(struct dir *d)
{
	int	r;

	if ((r = ldap_txn_start_s(d->ld, NULL, NULL, &d->txnid)) !=
	    LDAP_SUCCESS) {
		dir_report(d, r, "transaction start");
		d->txnid = NULL;
		return -1;
	}
	return 0;
}

/*
 * Ends the transaction.  The reply is parsed here rather than by
 * ldap_txn_end_s, which in libldap 2.5 fails with "Decoding error" on a
 * refused commit and loses the server's reason.
 */
int
dir_txn_end(struct dir *d, int commit, int *failed)
{
	LDAPMessage	*res = NULL;
	struct berval	*data = NULL;
	BerElement	*ber = NULL;
	ber_len_t	 len;
	ber_int_t	 id;
	char		*text = NULL, *diag;
	int		 r, msgid, err = LDAP_OTHER, rc = -1;

	*failed = -1;
	r = ldap_txn_end(d->ld, commit, d->txnid, NULL, NULL, &msgid);
	ber_bvfree(d->txnid);
	d->txnid = NULL;
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "transaction end");
		return -1;
	}
	if (dir_wait(d, msgid, 1, &res, "transaction end") == -1)
		goto out;
	if ((r = ldap_parse_result(d->ld, res, &err, NULL, &text, NULL, NULL,
	    0)) != LDAP_SUCCESS)
		err = r;
	/* txnEndRes: SEQUENCE { messageID of the failed update OPTIONAL } */
	if (err != LDAP_SUCCESS && ldap_parse_extended_result(d->ld, res, NULL,
	    &data, 0) == LDAP_SUCCESS && data != NULL &&
	    (ber = ber_init(data)) != NULL &&
	    ber_scanf(ber, "{") != LBER_ERROR &&
	    ber_peek_tag(ber, &len) == LBER_INTEGER &&
	    ber_scanf(ber, "i", &id) != LBER_ERROR)
		*failed = (int)id;
	if (err != LDAP_SUCCESS) {
		diag = msg_escape(text ? text : "", text ? strlen(text) : 0);
		msg_err("%s: transaction %s refused: %s (%d)%s%s%s", d->uri,
		    commit ? "commit" : "abort", ldap_err2string(err), err,
		    diag && *diag ? ": \"" : "", diag ? diag : "",
		    diag && *diag ? "\"" : "");
		free(diag);
		goto out;
	}
	rc = 0;
out:
	if (ber != NULL)
		ber_free(ber, 1);
	ber_bvfree(data);
	ldap_memfree(text);
	ldap_msgfree(res);
	return rc;
}
