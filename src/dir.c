/*
 * The directory connection: connect, bind, paged batched lookups, and
 * asynchronous single-value modifies.  Everything LDAP lives here.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
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
#include "ntauth.h"
#include "sbuf.h"

/* Keys per search: short filters, and AD's MaxQueryDuration stays far. */
#define DIR_BATCH	100
/* Windows refuses pages larger than 1000 (MaxPageSize). */
#define DIR_PAGE	1000
#define DIR_PWMAX	1024
/* Base searches in flight when reading many entries. */
#define DIR_READ_WINDOW	32
/*
 * Lookup searches in flight at once (batches and DN rows): over a WAN a
 * lookup costs a round trip, not one per batch.  Few enough that the
 * server's threads are not all taken by one client.
 */
#define DIR_LOOKUP_WINDOW 8
/* Slots of a batch's key hash: a power of two over twice DIR_BATCH. */
#define DIR_KEYSLOTS	256

struct dir {
	LDAP		*ld;
	char		*uri;		/* owned */
	char		*base;		/* owned */
	char		*netbios;	/* owned: AD's NetBIOS domain, or NULL */
	char		*domain;	/* owned: the naming context holding the
					   base: the duplicate check's scope */
	struct strlist	 ncs;		/* namingContexts of the root DSE */
	struct strlist	 features;	/* supportedControl + Extension */
	struct berval	*txnid;		/* owned by libldap: ber_bvfree */
	int		 alive;		/* 0 dead, 1 connecting, 2 connected */
	int		 timeout;
	int		 is_ad;		/* rootDSE: the AD capability OID */
	char		*server;	/* owned: "ADDR port N with TLS" */
	char		*mech;		/* owned: "simple" or the SASL mech */
	char		*ident;		/* owned: who the bind is (whoami) */
};

/* rootDSE supportedCapabilities: LDAP_CAP_ACTIVE_DIRECTORY_OID. */
#define DIR_OID_AD_CAP	"1.2.840.113556.1.4.800"
#define DIR_OID_WHOAMI	"1.3.6.1.4.1.4203.1.11.3"


static const char *const dir_attrs[] = {
	"sAMAccountName", "userPrincipalName", "mail", "objectSid",
	"altSecurityIdentities", "userAccountControl", "objectGUID",
	"dNSHostName", "objectClass", "adminCount", "primaryGroupID", NULL
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

/*
 * Reads the decimal number at *P (digits only: strtoull would take a
 * sign, blanks or "0x"), at most MAX, and moves *P past it.  0 or -1.
 */
static int
dir_sid_num(const char **p, unsigned long long max, unsigned long long *v)
{
	const char	*s = *p;

	*v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (*v > (max - (unsigned long long)(*s - '0')) / 10)
			return -1;
		*v = *v * 10 + (unsigned long long)(*s - '0');
	}
	*p = s;
	return 0;
}

int
dir_sid_to_bin(const char *sid, unsigned char *out, size_t *len)
{
	unsigned long long	 v;
	const char		*p;
	int			 i, n = 0;

	/* S-1-<authority, 48 bits>(-<sub-authority, 32 bits>){0,15} */
	if (strncasecmp(sid, "S-1-", 4) != 0)
		return -1;
	p = sid + 4;
	if (dir_sid_num(&p, 0xffffffffffffULL, &v) == -1)
		return -1;
	out[0] = 1;
	for (i = 0; i < 6; i++)
		out[2 + i] = (unsigned char)(v >> (8 * (5 - i)));
	while (*p == '-') {
		p++;
		if (n == 15 || dir_sid_num(&p, 0xffffffffULL, &v) == -1)
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

int
dir_sid_valid(const char *sid)
{
	unsigned char	b[8 + 4 * 15];
	size_t		n;

	return dir_sid_to_bin(sid, b, &n) == 0;
}

int
dir_dn_valid(const char *dn)
{
	LDAPDN	ldn = NULL;
	int	ok;

	/* the empty DN is the rootDSE, never an account */
	ok = *dn != '\0' && ldap_str2dn(dn, &ldn, LDAP_DN_FORMAT_LDAPV3) ==
	    LDAP_SUCCESS && ldn != NULL;
	ldap_dnfree(ldn);
	return ok;
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

/* objectGUID as 32 lower-case hex digits (bytes as stored), or NULL. */
static char *
dir_guid_hex(LDAP *ld, LDAPMessage *e)
{
	struct berval	**vals;
	char		 *s = NULL;
	size_t		  i;

	if ((vals = ldap_get_values_len(ld, e, "objectGUID")) == NULL)
		return NULL;
	if (vals[0] != NULL && vals[0]->bv_len == 16 &&
	    (s = malloc(33)) != NULL) {
		for (i = 0; i < 16; i++)
			snprintf(s + 2 * i, 3, "%02x",
			    (unsigned char)vals[0]->bv_val[i]);
	}
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
 * Result codes by which a server refuses one lookup, not the directory as
 * a whole: they fail that key only.  For a base search (a DN row) that is
 * anything about the DN; for a subtree search from the base, only what a
 * filter value can cause (a missing or forbidden base is the directory's
 * problem, and stays fatal).
 */
static int
dir_key_rc(int rc, int scope)
{
	switch (rc) {
	case LDAP_PROTOCOL_ERROR:	/* AD: a filter value it cannot take */
	case LDAP_INAPPROPRIATE_MATCHING:
	case LDAP_CONSTRAINT_VIOLATION:
	case LDAP_INVALID_SYNTAX:
	case LDAP_UNWILLING_TO_PERFORM:
	case LDAP_OTHER:
		return 1;
	case LDAP_PARTIAL_RESULTS:	/* LDAPv2-style referral */
	case LDAP_REFERRAL:		/* a DN in another naming context */
	case LDAP_NO_SUCH_OBJECT:
	case LDAP_ALIAS_PROBLEM:
	case LDAP_INVALID_DN_SYNTAX:
	case LDAP_ALIAS_DEREF_PROBLEM:
	case LDAP_INSUFFICIENT_ACCESS:
		return scope == LDAP_SCOPE_BASE;
	}
	return 0;
}

/*
 * One search, paged if PAGED, calling CB for every entry.  Continuation
 * references (AD's Configuration partition) are ignored.  Returns 0, 1 if
 * the base does not exist, or -1 after reporting.  With KEYERR, a result
 * code dir_key_rc() counts as one lookup's is not reported but stored in
 * *KEYERR, and 2 is returned; the diagnostic is left in the connection.
 */
static int
dir_search(struct dir *d, const char *base, int scope, const char *filter,
    const char *const *attrs, int paged,
    int (*cb)(struct dir *, LDAPMessage *, void *), void *arg, int *keyerr)
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
					if (err != LDAP_SUCCESS && keyerr != NULL &&
					    dir_key_rc(err, scope)) {
						*keyerr = err;
						rc = 2;
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

/* 1 if ATTR of E holds VALUE (compared exactly, e.g. an OID). */
static int
dir_has_value(LDAP *ld, LDAPMessage *e, const char *attr, const char *value)
{
	struct berval	**v;
	size_t		  i;
	int		  r = 0;

	if ((v = ldap_get_values_len(ld, e, attr)) == NULL)
		return 0;
	for (i = 0; v[i] != NULL && !r; i++)
		r = v[i]->bv_len == strlen(value) &&
		    memcmp(v[i]->bv_val, value, v[i]->bv_len) == 0;
	ldap_value_free_len(v);
	return r;
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
	char	*a = dir_dn_norm(x), *b = dir_dn_norm(y);
	int	 r;

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
	struct sigaction sa, oldsa;
	int		 r, v3 = LDAP_VERSION3;

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
	    "(altSecurityIdentities=*)", dir_attrs, 1, dir_scan_cb, acc, NULL) == 0 ?
	    0 : -1;
}

/* dir_scan_certs: the caller's callback and its argument. */
struct dir_certs_arg {
	int	(*cb)(void *, const char *, const struct strlist *,
		    const struct dir_blobs *);
	void	*arg;
};

static int
dir_certs_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_certs_arg	 *a = arg;
	struct dir_blobs	  certs = { NULL, NULL, 0 };
	struct strlist		  altsec = { NULL, 0 };
	struct berval		**vals = NULL;
	char			 *dn = NULL, *v;
	size_t			  i;
	int			  rc = -1;

	if ((dn = ldap_get_dn(d->ld, e)) == NULL)
		goto oom;
	if ((vals = ldap_get_values_len(d->ld, e, "userCertificate")) != NULL)
		for (i = 0; vals[i] != NULL; i++) {
			unsigned char	**nv;
			size_t		 *nl;

			if ((nv = realloc(certs.v, (certs.n + 1) *
			    sizeof(*nv))) == NULL)
				goto oom;
			certs.v = nv;
			if ((nl = realloc(certs.len, (certs.n + 1) *
			    sizeof(*nl))) == NULL)
				goto oom;
			certs.len = nl;
			if ((certs.v[certs.n] = malloc(vals[i]->bv_len + 1)) ==
			    NULL)
				goto oom;
			memcpy(certs.v[certs.n], vals[i]->bv_val,
			    vals[i]->bv_len);
			certs.len[certs.n++] = vals[i]->bv_len;
		}
	ldap_value_free_len(vals);
	vals = ldap_get_values_len(d->ld, e, "altSecurityIdentities");
	for (i = 0; vals != NULL && vals[i] != NULL; i++) {
		/* a value with a NUL byte is kept up to it: audit shows it */
		if ((v = strndup(vals[i]->bv_val, vals[i]->bv_len)) == NULL ||
		    strlist_add(&altsec, v) == -1) {
			free(v);
			goto oom;
		}
		free(v);
	}
	rc = a->cb(a->arg, dn, &altsec, &certs);
	goto out;
oom:
	msg_err("out of memory");
out:
	ldap_value_free_len(vals);
	ldap_memfree(dn);
	dir_blobs_free(&certs);
	strlist_free(&altsec);
	return rc;
}

/* What dir_scan_usercerts passes through dir_search. */
struct dir_certscan {
	struct accounts	*acc;
	int		 smime;
	int		(*cb)(void *, size_t, const char *, const unsigned char *,
			    size_t);
	void		*arg;
};

static int
dir_certscan_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	static const char *const attrs[] = { "userCertificate",
	    "userSMIMECertificate" };
	struct dir_certscan	 *s = arg;
	struct berval		**vals;
	long			  idx;
	size_t			  a, i;
	int			  rc = 0;

	if ((idx = dir_account(d, e, s->acc)) < 0)
		return -1;
	for (a = 0; a < (s->smime ? 2u : 1u) && rc == 0; a++) {
		if ((vals = ldap_get_values_len(d->ld, e, attrs[a])) == NULL)
			continue;
		for (i = 0; vals[i] != NULL && rc == 0; i++)
			rc = s->cb(s->arg, (size_t)idx, attrs[a],
			    (const unsigned char *)vals[i]->bv_val,
			    vals[i]->bv_len);
		ldap_value_free_len(vals);
	}
	return rc;
}

int
dir_scan_certs(struct dir *d, int (*cb)(void *arg, const char *dn,
    const struct strlist *altsec, const struct dir_blobs *certs), void *arg)
{
	struct dir_certs_arg	a = { cb, arg };

	return dir_search(d, d->base, LDAP_SCOPE_SUBTREE, "(userCertificate=*)",
	    (const char *const []){ "userCertificate", "altSecurityIdentities",
	    NULL }, 1, dir_certs_cb, &a, NULL) == 0 ? 0 : -1;
}

int
dir_scan_usercerts(struct dir *d, int smime, struct accounts *acc,
    int (*cb)(void *, size_t, const char *, const unsigned char *, size_t),
    void *arg)
{
	const char		*attrs[16];
	struct dir_certscan	 s;
	size_t			 i;

	/*
	 * Asked for plainly: Samba refuses the ;binary option on this
	 * attribute, and AD returns the DER either way.
	 */
	for (i = 0; dir_attrs[i] != NULL; i++)
		attrs[i] = dir_attrs[i];
	attrs[i++] = "userCertificate";
	if (smime)
		attrs[i++] = "userSMIMECertificate";
	attrs[i] = NULL;
	s.acc = acc;
	s.smime = smime;
	s.cb = cb;
	s.arg = arg;
	return dir_search(d, d->base, LDAP_SCOPE_SUBTREE, smime ?
	    "(&(objectClass=user)(|(userCertificate=*)"
	    "(userSMIMECertificate=*)))" :
	    "(&(objectClass=user)(userCertificate=*))", attrs, 1,
	    dir_certscan_cb, &s, NULL) == 0 ? 0 : -1;
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
	    (const char *const []){ attr, NULL }, 0, dir_attr_cb, &a, NULL) != 0) {
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
	    dir_config_cb, &config, NULL) != 0)
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
	    dir_blobs_cb, out, NULL);
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
		free(acc->v[i].guid);
		free(acc->v[i].dns);
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

/* 1 if the entry is a computer account (objectClass computer), else 0. */
static int
dir_is_computer(LDAP *ld, LDAPMessage *e)
{
	struct berval	**vals;
	size_t		  i;
	int		  yes = 0;

	if ((vals = ldap_get_values_len(ld, e, "objectClass")) == NULL)
		return 0;
	for (i = 0; vals[i] != NULL; i++)
		if (vals[i]->bv_len == 8 &&
		    strncasecmp(vals[i]->bv_val, "computer", 8) == 0)
			yes = 1;
	ldap_value_free_len(vals);
	return yes;
}

/* Adds the entry to ACC unless present; returns its index or -1. */
static long
dir_account(struct dir *d, LDAPMessage *e, struct accounts *acc)
{
	struct account	 a, *v;
	struct berval	**sids;
	char		 *dn, *uac;
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
	a.dns = dir_first(d->ld, e, "dNSHostName");
	a.computer = dir_is_computer(d->ld, e);
	if ((uac = dir_first(d->ld, e, "userAccountControl")) != NULL)
		a.uac = strtoul(uac, NULL, 10);
	free(uac);
	/* read with the account: the policy checks need no search of their own */
	if ((uac = dir_first(d->ld, e, "adminCount")) != NULL)
		a.admincount = strtol(uac, NULL, 10) != 0;
	free(uac);
	if ((uac = dir_first(d->ld, e, "primaryGroupID")) != NULL)
		a.pgid = strtoul(uac, NULL, 10);
	free(uac);
	if ((sids = ldap_get_values_len(d->ld, e, "objectSid")) != NULL) {
		if (sids[0] != NULL)
			a.sid = dir_sid_to_text(sids[0]);
		ldap_value_free_len(sids);
	}
	a.guid = dir_guid_hex(d->ld, e);
	if (a.dn == NULL || dir_all(d->ld, e, "altSecurityIdentities",
	    &a.altsec) == -1 ||
	    (v = realloc(acc->v, (acc->n + 1) * sizeof(*v))) == NULL) {
		free(a.dn);
		free(a.sam);
		free(a.upn);
		free(a.mail);
		free(a.sid);
		free(a.guid);
		free(a.dns);
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
	/* beyond ASCII, as the server's caseIgnoreMatch (see dir_lookup) */
	if (strcasecmp(k->attr, "userPrincipalName") == 0)
		return a->upn && altsec_casecmp(a->upn, k->value) == 0;
	if (strcasecmp(k->attr, "mail") == 0)
		return a->mail && altsec_casecmp(a->mail, k->value) == 0;
	if (strcasecmp(k->attr, "objectSid") == 0)
		return a->sid && strcasecmp(a->sid, k->value) == 0;
	/* host names are ASCII; AD compares them ignoring case */
	if (strcasecmp(k->attr, "dNSHostName") == 0)
		return a->dns && strcasecmp(a->dns, k->value) == 0;
	if (strcasecmp(k->attr, "altSecurityIdentities") == 0) {
		for (i = 0; i < a->altsec.n; i++)
			if (altsec_casecmp(a->altsec.v[i], k->value) == 0)
				return 1;
	}
	return 0;
}

/* Reports that the bind cannot read altSecurityIdentities of DN; -1. */
static int
dir_unreadable(struct dir *d, const char *dn)
{
	char	*e = msg_escape(dn, strlen(dn));

	msg_err("%s: the bind may not read altSecurityIdentities (seen on "
	    "\"%s\"): certbulk cannot see the values accounts hold, so it "
	    "could neither avoid duplicates nor undo; refusing to go on.  "
	    "Bind as an account with read access to the attribute (it may be "
	    "confidential, or delegated for writing only)", d->uri,
	    e ? e : "?");
	free(e);
	return -1;
}

int
dir_check_readable(struct dir *d, const char *dn)
{
	struct timeval	 tv = { d->timeout, 0 };
	struct berval	 probe = { 19,
			    (char *)(uintptr_t)"certbulk-read-probe" };
	LDAPMessage	*res = NULL, *e;
	char		*attrs[] = { (char *)(uintptr_t)"altSecurityIdentities",
			    NULL };
	char		*edn;
	int		 r, rc = -1;

	/* any entry that holds a value must show it */
	r = ldap_search_ext_s(d->ld, d->domain, LDAP_SCOPE_SUBTREE,
	    "(altSecurityIdentities=*)", attrs, 0, NULL, NULL, &tv, 1, &res);
	if ((r == LDAP_SUCCESS || r == LDAP_SIZELIMIT_EXCEEDED) &&
	    (e = ldap_first_entry(d->ld, res)) != NULL) {
		struct berval **v = ldap_get_values_len(d->ld, e, attrs[0]);

		if (v != NULL) {
			ldap_value_free_len(v);
			rc = 0;
		} else if ((edn = ldap_get_dn(d->ld, e)) != NULL) {
			(void)dir_unreadable(d, edn);
			ldap_memfree(edn);
		}
		goto out;
	}
	if (r == LDAP_SERVER_DOWN || r == LDAP_TIMEOUT) {
		dir_report(d, r, "checking read access");
		goto out;
	}
	/*
	 * Nothing found: no values anywhere, or the attribute cannot even be
	 * searched.  A compare on an account tells: the server answers
	 * false or "no such attribute" only to a bind that may see it.
	 */
	if (dn == NULL) {
		rc = 0;
		goto out;
	}
	r = ldap_compare_ext_s(d->ld, dn, attrs[0], &probe, NULL, NULL);
	if (r == LDAP_INSUFFICIENT_ACCESS) {
		(void)dir_unreadable(d, dn);
		goto out;
	}
	if (r == LDAP_SERVER_DOWN || r == LDAP_TIMEOUT) {
		dir_report(d, r, "checking read access");
		goto out;
	}
	rc = 0;
out:
	ldap_msgfree(res);
	return rc;
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

struct dir_batch {
	struct dir_key	*keys;
	size_t		 n;
	struct accounts	*acc;
	int		 base;	/* one key searched: every entry is its */
	size_t		 unmatched; /* entries no key matched on our side */
	int		 values; /* keys: altSecurityIdentities values */
	int		 hashed; /* keys are in kslot: see dir_batch_hash */
	size_t		 kslot[DIR_KEYSLOTS]; /* key index + 1, 0 empty */
	unsigned long	 khash[DIR_KEYSLOTS]; /* altsec_casehash of it */
};

/*
 * Hashes the batch's keys by their folded value, so that each entry
 * returned is compared only with the keys that may match it (not with
 * every key of the batch).  DN keys never match an entry here.
 */
static void
dir_batch_hash(struct dir_batch *b)
{
	size_t		i, s, p;
	unsigned long	h;

	memset(b->kslot, 0, sizeof(b->kslot));
	b->hashed = 0;
	for (i = 0; i < b->n; i++) {
		if (strcasecmp(b->keys[i].attr, "distinguishedName") == 0)
			continue;
		h = altsec_casehash(b->keys[i].value);
		for (s = h & (DIR_KEYSLOTS - 1), p = 0; b->kslot[s] != 0 &&
		    p < DIR_KEYSLOTS; s = (s + 1) & (DIR_KEYSLOTS - 1), p++)
			;
		if (b->kslot[s] != 0)
			return;	/* full (more keys than DIR_BATCH): compare all */
		b->kslot[s] = i + 1;
		b->khash[s] = h;
	}
	b->hashed = 1;
}

/* Adds A (index IDX) to the hits of the keys of B whose value is V. */
static int
dir_batch_hits(struct dir_batch *b, const struct account *a, size_t idx,
    const char *v, int *any)
{
	unsigned long	h;
	size_t		s, k;

	if (v == NULL)
		return 0;
	h = altsec_casehash(v);
	for (s = h & (DIR_KEYSLOTS - 1); (k = b->kslot[s]) != 0;
	    s = (s + 1) & (DIR_KEYSLOTS - 1)) {
		if (b->khash[s] != h || !dir_matches(a, &b->keys[k - 1]))
			continue;
		*any = 1;
		if (dir_add_hit(&b->keys[k - 1], idx) == -1)
			return -1;
	}
	return 0;
}

static int
dir_batch_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_batch	*b = arg;
	long			 idx;
	size_t			 i;
	int			 any = 0;

	if ((idx = dir_account(d, e, b->acc)) < 0)
		return -1;
	/*
	 * Found by its altSecurityIdentities, yet none came back: the bind
	 * may search the attribute but not read it.
	 */
	if (b->values && b->acc->v[idx].altsec.n == 0)
		return dir_unreadable(d, b->acc->v[idx].dn);
	if (!b->base && b->hashed) {
		const struct account *a = &b->acc->v[idx];

		if (dir_batch_hits(b, a, (size_t)idx, a->sam, &any) == -1 ||
		    dir_batch_hits(b, a, (size_t)idx, a->upn, &any) == -1 ||
		    dir_batch_hits(b, a, (size_t)idx, a->mail, &any) == -1 ||
		    dir_batch_hits(b, a, (size_t)idx, a->sid, &any) == -1)
			return -1;
		for (i = 0; i < a->altsec.n; i++)
			if (dir_batch_hits(b, a, (size_t)idx, a->altsec.v[i],
			    &any) == -1)
				return -1;
		if (!any)
			b->unmatched++;
		return 0;
	}
	for (i = 0; i < b->n; i++) {
		if (!b->base && !dir_matches(&b->acc->v[idx], &b->keys[i]))
			continue;
		any = 1;
		if (dir_add_hit(&b->keys[i], (size_t)idx) == -1)
			return -1;
	}
	if (!any)
		b->unmatched++;
	return 0;
}

/* Sets K's error: "cannot look up ATTR=VALUE: TEXT (DIAGNOSTIC)". */
static void
dir_key_fail(struct dir *d, struct dir_key *k, int rc, const char *why)
{
	struct sbuf	 b = SBUF_INIT;
	char		*diag = rc != LDAP_SUCCESS ? dir_diag(d) : NULL;

	sbuf_printf(&b, "cannot look up %s=%s: ", k->attr, k->value);
	if (why != NULL)
		sbuf_puts(&b, why);
	else if (rc == LDAP_REFERRAL || rc == LDAP_PARTIAL_RESULTS)
		sbuf_puts(&b, "the server refers to another server (outside "
		    "this directory's naming context?)");
	else
		sbuf_printf(&b, "the server answered \"%s\"",
		    ldap_err2string(rc));
	if (diag != NULL && *diag != '\0')
		sbuf_printf(&b, " (%s)", diag);
	free(diag);
	free(k->err);
	k->err = sbuf_done(&b);
	if (k->err == NULL)
		k->err = strdup("cannot look up: out of memory");
}

/*
 * Searches the non-DN keys KEYS[0..N) in one filter; B says how hits are
 * told apart.  Returns 0, 2 if the server refused the search (result code
 * in *KEYERR), or -1 after reporting.
 */
/*
 * The filter for the non-DN keys KEYS[0..N) into F; *TERMS gets how many
 * keys it names (a key that cannot be put in a filter gets its error).
 * Returns 0, or -1 out of memory (reported).
 */
static int
dir_batch_filter(struct dir *d, struct dir_key *keys, size_t n,
    struct sbuf *f, size_t *terms)
{
	size_t		 j;
	int		 users;

	*terms = 0;
	users = strcasecmp(keys[0].attr, "altSecurityIdentities") != 0;
	/* objectClass=user: users, computers, inetOrgPersons; no contacts */
	sbuf_puts(f, users ? "(&(objectClass=user)(|" : "(|");
	for (j = 0; j < n; j++) {
		if (strcasecmp(keys[j].attr, "distinguishedName") == 0 ||
		    keys[j].err != NULL)
			continue;
		if (dir_filter_term(f, &keys[j]) == -1) {
			dir_key_fail(d, &keys[j], LDAP_SUCCESS, "not a value "
			    "that can be searched for");
			continue;
		}
		(*terms)++;
	}
	sbuf_puts(f, users ? "))" : ")");
	if (f->oom) {
		msg_err("out of memory");
		return -1;
	}
	return 0;
}

static int
dir_lookup_batch(struct dir *d, struct dir_key *keys, size_t n,
    struct dir_batch *b, int *keyerr)
{
	struct sbuf	 f = SBUF_INIT;
	size_t		 terms;
	int		 users, r, rc = -1;

	users = strcasecmp(keys[0].attr, "altSecurityIdentities") != 0;
	if (dir_batch_filter(d, keys, n, &f, &terms) == -1)
		goto out;
	if (terms == 0) {
		rc = 0;
		goto out;
	}
	b->keys = keys;
	b->n = n;
	b->values = !users;
	b->hashed = 0;
	msg_debug("search %s", f.s);
	/* values are looked for in the whole domain, accounts in -b */
	if ((r = dir_search(d, users ? d->base : d->domain, LDAP_SCOPE_SUBTREE,
	    f.s, dir_attrs, 1, dir_batch_cb, b, keyerr)) == -1)
		goto out;
	rc = r == 2 ? 2 : 0;
out:
	sbuf_reset(&f);
	return rc;
}

/* One lookup search in flight: a batch of keys, or one DN row. */
struct dir_flight {
	int		 msgid;		/* -1: the slot is free */
	const char	*base;		/* not owned */
	int		 scope;
	char		*filter;	/* owned */
	struct berval	 cookie;	/* owned (libldap): the next page */
	int		 refused;	/* the server refused the batch */
	struct dir_batch b;
};

/* Sends F's search, or its next page.  0 or -1 (reported). */
static int
dir_flight_send(struct dir *d, struct dir_flight *f)
{
	struct timeval	 tv = { d->timeout, 0 };
	LDAPControl	*pc = NULL, *ctrls[2] = { NULL, NULL };
	int		 paged = f->scope != LDAP_SCOPE_BASE, r;

	if (paged) {
		if ((r = ldap_create_page_control(d->ld, DIR_PAGE, &f->cookie,
		    0, &pc)) != LDAP_SUCCESS) {
			dir_report(d, r, "paged results control");
			return -1;
		}
		ctrls[0] = pc;
	}
	r = ldap_search_ext(d->ld, f->base, f->scope, f->filter,
	    (char **)(uintptr_t)dir_attrs, 0, paged ? ctrls : NULL, NULL, &tv,
	    0, &f->msgid);
	ldap_control_free(pc);
	if (r != LDAP_SUCCESS) {
		f->msgid = -1;
		dir_report(d, r, "search");
		return -1;
	}
	return 0;
}

static void
dir_flight_clear(struct dir_flight *f)
{
	free(f->filter);
	ber_memfree(f->cookie.bv_val);
	f->filter = NULL;
	f->cookie.bv_val = NULL;
	f->cookie.bv_len = 0;
	f->msgid = -1;
	f->refused = 0;
}

/*
 * Sets F up for the next search of the lookup (DN rows first, then
 * batches of keys from *POS on) and sends it.  Returns 1 if sent, 0 when
 * there is nothing left, -1 after reporting.
 */
static int
dir_flight_next(struct dir *d, struct dir_key *keys, size_t n,
    size_t *dnpos, size_t *pos, struct accounts *acc, struct dir_flight *f)
{
	struct sbuf	 fb = SBUF_INIT;
	size_t		 i, j, k, terms;
	int		 users;

	memset(&f->b, 0, offsetof(struct dir_batch, kslot));
	f->b.acc = acc;
	for (; *dnpos < n; (*dnpos)++) {
		if (strcasecmp(keys[*dnpos].attr, "distinguishedName") != 0)
			continue;
		f->b.keys = &keys[*dnpos];
		f->b.n = 1;
		f->b.base = 1;
		f->base = keys[*dnpos].value;
		f->scope = LDAP_SCOPE_BASE;
		if ((f->filter = strdup("(objectClass=user)")) == NULL) {
			msg_err("out of memory");
			return -1;
		}
		(*dnpos)++;
		return dir_flight_send(d, f) == -1 ? -1 : 1;
	}
	for (i = *pos; i < n; i = j) {
		users = strcasecmp(keys[i].attr, "altSecurityIdentities") != 0;
		for (j = i, k = 0; j < n && k < DIR_BATCH; j++) {
			if (strcasecmp(keys[j].attr, "distinguishedName") == 0)
				continue;
			if ((strcasecmp(keys[j].attr,
			    "altSecurityIdentities") != 0) != users)
				break;
			k++;
		}
		*pos = j;
		if (dir_batch_filter(d, &keys[i], j - i, &fb, &terms) == -1) {
			sbuf_reset(&fb);
			return -1;
		}
		if (terms == 0) {
			sbuf_reset(&fb);
			continue;
		}
		if ((f->filter = sbuf_done(&fb)) == NULL) {
			msg_err("out of memory");
			return -1;
		}
		msg_debug("search %s", f->filter);
		f->b.keys = &keys[i];
		f->b.n = j - i;
		f->b.values = !users;
		dir_batch_hash(&f->b);
		/* values are looked for in the whole domain, accounts in -b */
		f->base = users ? d->base : d->domain;
		f->scope = LDAP_SCOPE_SUBTREE;
		return dir_flight_send(d, f) == -1 ? -1 : 1;
	}
	return 0;
}

/*
 * Takes one reply message M of F's search.  Returns 0 (more to come), 1
 * when F's lookup is complete, -1 after reporting.
 */
static int
dir_flight_msg(struct dir *d, struct dir_flight *f, LDAPMessage *m)
{
	LDAPControl	**sctrls = NULL, *resp;
	ber_int_t	 count;
	int		 r, err, rc = -1;

	switch (ldap_msgtype(m)) {
	case LDAP_RES_SEARCH_ENTRY:
		return dir_batch_cb(d, m, &f->b);
	case LDAP_RES_SEARCH_RESULT:
		break;
	default:	/* continuation references: ignored */
		return 0;
	}
	r = ldap_parse_result(d->ld, m, &err, NULL, NULL, NULL, &sctrls, 0);
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "search");
		goto out;
	}
	ber_memfree(f->cookie.bv_val);
	f->cookie.bv_val = NULL;
	f->cookie.bv_len = 0;
	if (err == LDAP_NO_SUCH_OBJECT && f->scope == LDAP_SCOPE_BASE) {
		rc = 1;		/* no such DN: no hit */
		goto out;
	}
	if (err != LDAP_SUCCESS && dir_key_rc(err, f->scope)) {
		/* a DN the server refuses is that row's error */
		if (f->scope == LDAP_SCOPE_BASE)
			dir_key_fail(d, f->b.keys, err, NULL);
		else
			f->refused = 1;
		rc = 1;
		goto out;
	}
	if (err != LDAP_SUCCESS) {
		ldap_set_option(d->ld, LDAP_OPT_RESULT_CODE, &err);
		dir_report(d, err, "search");
		goto out;
	}
	if (f->scope != LDAP_SCOPE_BASE && sctrls != NULL &&
	    (resp = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, sctrls,
	    NULL)) != NULL && ldap_parse_pageresponse_control(d->ld, resp,
	    &count, &f->cookie) != LDAP_SUCCESS) {
		dir_report(d, LDAP_DECODING_ERROR, "paged results");
		goto out;
	}
	if (f->cookie.bv_len > 0) {	/* the next page, in the same slot */
		rc = dir_flight_send(d, f) == -1 ? -1 : 0;
		goto out;
	}
	rc = 1;
out:
	ldap_controls_free(sctrls);
	return rc;
}

/* A batch to look up again key by key: [first, first + n), refused? */
struct dir_redo {
	size_t	first;
	size_t	n;
	int	refused;
};

/*
 * The searches of a lookup go out DIR_LOOKUP_WINDOW at a time on the one
 * connection and their replies are taken as they come, each routed to its
 * search by message id; a search is sent as soon as a slot is free.
 */
int
dir_lookup(struct dir *d, struct dir_key *keys, size_t n,
    struct accounts *acc)
{
	struct dir_flight	*fl = NULL;
	struct dir_redo		*redo = NULL, *rv;
	struct dir_batch	 b;
	LDAPMessage		*res = NULL, *m;
	size_t			 dnpos = 0, pos = 0, busy = 0, nredo = 0;
	size_t			 i, k, s;
	int			 r, err, msgid, more = 1, rc = -1;

	if ((fl = calloc(DIR_LOOKUP_WINDOW, sizeof(*fl))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	for (s = 0; s < DIR_LOOKUP_WINDOW; s++)
		fl[s].msgid = -1;
	for (;;) {
		for (s = 0; more && s < DIR_LOOKUP_WINDOW; s++) {
			if (fl[s].msgid != -1)
				continue;
			if ((r = dir_flight_next(d, keys, n, &dnpos, &pos, acc,
			    &fl[s])) == -1) {
				dir_flight_clear(&fl[s]);
				goto out;
			}
			if (r == 0) {
				dir_flight_clear(&fl[s]);
				more = 0;
			} else
				busy++;
		}
		if (busy == 0)
			break;
		if (dir_wait(d, LDAP_RES_ANY, 0, &res, "search") == -1)
			goto out;
		msgid = ldap_msgid(res);
		for (s = 0; s < DIR_LOOKUP_WINDOW && (msgid == -1 ||
		    fl[s].msgid != msgid); s++)
			;
		if (s == DIR_LOOKUP_WINDOW) {	/* not ours */
			ldap_msgfree(res);
			res = NULL;
			continue;
		}
		r = 0;
		for (m = ldap_first_message(d->ld, res); m != NULL && r == 0;
		    m = ldap_next_message(d->ld, m))
			r = dir_flight_msg(d, &fl[s], m);
		ldap_msgfree(res);
		res = NULL;
		if (r == -1)
			goto out;
		if (r == 0)
			continue;
		if (fl[s].scope != LDAP_SCOPE_BASE && (fl[s].refused ||
		    fl[s].b.unmatched > 0)) {
			if ((rv = realloc(redo, (nredo + 1) * sizeof(*rv))) ==
			    NULL) {
				msg_err("out of memory");
				goto out;
			}
			redo = rv;
			redo[nredo].first = (size_t)(fl[s].b.keys - keys);
			redo[nredo].n = fl[s].b.n;
			redo[nredo++].refused = fl[s].refused;
		}
		dir_flight_clear(&fl[s]);
		busy--;
	}
	/*
	 * The server refused a batch (one value it cannot take), or found
	 * entries that no value matches by our comparison (its matching rule
	 * folds case differently): one search per key, so that a refusal
	 * fails only its key and the server's own match decides which entry
	 * is whose.
	 */
	memset(&b, 0, offsetof(struct dir_batch, kslot));
	b.acc = acc;
	for (i = 0; i < nredo; i++)
		for (k = redo[i].first; k < redo[i].first + redo[i].n; k++) {
			if (strcasecmp(keys[k].attr, "distinguishedName") == 0 ||
			    keys[k].err != NULL || (!redo[i].refused &&
			    keys[k].nhits > 0))
				continue;
			b.base = 1;
			if ((r = dir_lookup_batch(d, &keys[k], 1, &b, &err)) ==
			    -1)
				goto out;
			if (r == 2)
				dir_key_fail(d, &keys[k], err, NULL);
		}
	rc = 0;
out:
	ldap_msgfree(res);
	for (s = 0; fl != NULL && s < DIR_LOOKUP_WINDOW; s++) {
		if (fl[s].msgid != -1 && d->alive)
			(void)ldap_abandon_ext(d->ld, fl[s].msgid, NULL, NULL);
		dir_flight_clear(&fl[s]);
	}
	free(fl);
	free(redo);
	return rc;
}

void
dir_keys_free(struct dir_key *keys, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(keys[i].hits);
		free(keys[i].err);
		keys[i].hits = NULL;
		keys[i].err = NULL;
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
	    dir_altsec_cb, out, NULL);
}

int
dir_read_many(struct dir *d, char *const *dns, size_t n, struct strlist *out,
    int *found, char **guids)
{
	const char *const attrs[] = { "altSecurityIdentities", "objectGUID",
			    NULL };
	struct timeval	 tv = { d->timeout, 0 };
	LDAPMessage	*res = NULL, *m;
	size_t		 next = 0, inflight = 0, i, idx, s;
	/*
	 * The requests in flight, by slot: a reply is matched against at
	 * most DIR_READ_WINDOW of them, not against every request sent so
	 * far (that was quadratic in the number of entries).
	 */
	int		 ids[DIR_READ_WINDOW];
	size_t		 of[DIR_READ_WINDOW];
	int		 msgid, r, err, rc = -1;

	for (s = 0; s < DIR_READ_WINDOW; s++)
		ids[s] = -1;
	for (i = 0; i < n; i++) {
		found[i] = 0;
		strlist_free(&out[i]);
		if (guids != NULL)
			guids[i] = NULL;
	}
	while (next < n || inflight > 0) {
		for (s = 0; inflight < DIR_READ_WINDOW && next < n; s++) {
			if (ids[s] != -1)
				continue;	/* slot in use */
			r = ldap_search_ext(d->ld, dns[next], LDAP_SCOPE_BASE,
			    "(objectClass=*)", (char **)(uintptr_t)attrs, 0,
			    NULL, NULL, &tv, 0, &ids[s]);
			if (r != LDAP_SUCCESS) {
				ids[s] = -1;
				dir_report(d, r, "search");
				goto out;
			}
			of[s] = next++;
			inflight++;
		}
		if (dir_wait(d, LDAP_RES_ANY, 1, &res, "search") == -1)
			goto out;
		msgid = ldap_msgid(res);
		for (s = 0; s < DIR_READ_WINDOW && ids[s] != msgid; s++)
			;
		if (s == DIR_READ_WINDOW || msgid == -1) {	/* not ours */
			ldap_msgfree(res);
			res = NULL;
			continue;
		}
		inflight--;
		ids[s] = -1;
		idx = of[s];
		for (m = ldap_first_message(d->ld, res); m != NULL;
		    m = ldap_next_message(d->ld, m)) {
			if (ldap_msgtype(m) == LDAP_RES_SEARCH_ENTRY) {
				found[idx] = 1;
				if (guids != NULL && guids[idx] == NULL)
					guids[idx] = dir_guid_hex(d->ld, m);
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
	return rc;
}

struct dir_byguid {
	char		*dn;	/* owned by the caller once found */
	struct strlist	*out;
	int		 n;
};

static int
dir_byguid_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_byguid	*g = arg;
	char			*dn;

	if (g->n++ > 0)
		return 0;	/* objectGUID is unique; keep the first */
	if ((dn = ldap_get_dn(d->ld, e)) == NULL ||
	    (g->dn = strdup(dn)) == NULL ||
	    dir_all(d->ld, e, "altSecurityIdentities", g->out) == -1) {
		ldap_memfree(dn);
		msg_err("out of memory");
		return -1;
	}
	ldap_memfree(dn);
	return 0;
}

int
dir_find_guid(struct dir *d, const char *guid, char **dn,
    struct strlist *out)
{
	const char *const attrs[] = { "altSecurityIdentities", NULL };
	struct dir_byguid g = { NULL, out, 0 };
	struct sbuf	 b = SBUF_INIT;
	size_t		 i;
	int		 r = -1;

	*dn = NULL;
	strlist_free(out);
	if (strlen(guid) != 32 || strspn(guid, "0123456789abcdef") != 32) {
		msg_err("%s: not an objectGUID", guid);
		return -1;
	}
	/* AD and Samba find an entry by GUID wherever it moved in the domain */
	if (d->netbios != NULL) {
		sbuf_printf(&b, "<GUID=%s>", guid);
		if (b.oom)
			goto oom;
		r = dir_search(d, b.s, LDAP_SCOPE_BASE, "(objectClass=*)",
		    attrs, 0, dir_byguid_cb, &g, NULL);
		if (r == -1)
			goto out;
		if (g.n > 0)
			goto found;
		sbuf_reset(&b);
	}
	/* elsewhere: a search of the domain, the GUID's bytes escaped */
	sbuf_puts(&b, "(objectGUID=");
	for (i = 0; i < 32; i += 2)
		sbuf_printf(&b, "\\%.2s", guid + i);
	sbuf_putc(&b, ')');
	if (b.oom)
		goto oom;
	if ((r = dir_search(d, d->domain, LDAP_SCOPE_SUBTREE, b.s, attrs, 0,
	    dir_byguid_cb, &g, NULL)) == -1)
		goto out;
	if (g.n == 0) {
		r = 1;
		goto out;
	}
found:
	*dn = g.dn;
	g.dn = NULL;
	r = 0;
	goto out;
oom:
	msg_err("out of memory");
	r = -1;
out:
	free(g.dn);
	sbuf_reset(&b);
	return r;
}

/*
 * Fills an LDAPMod of single values of ATTR (NULL: altSecurityIdentities);
 * the bervals point into VALS, or for a binary ATTR into bytes decoded
 * from VALS' hex, kept in BIN for the caller to free.  0 or -1 (reported).
 */
static int
dir_fill_mod(LDAPMod *m, int op, const char *attr, char *const *vals,
    size_t n, struct berval *bv, struct berval **bvp, unsigned char **bin)
{
	size_t	i, len;

	for (i = 0; i < n; i++) {
		if (attr != NULL) {
			if (ntauth_unhex(vals[i], &bin[i], &len) == -1) {
				msg_err("out of memory");
				return -1;
			}
			bv[i].bv_val = (char *)bin[i];
			bv[i].bv_len = len;
		} else {
			bv[i].bv_val = vals[i];
			bv[i].bv_len = strlen(vals[i]);
		}
		bvp[i] = &bv[i];
	}
	bvp[n] = NULL;
	m->mod_op = op | LDAP_MOD_BVALUES;
	m->mod_type = (char *)(uintptr_t)(attr ? attr :
	    "altSecurityIdentities");
	m->mod_bvalues = bvp;
	return 0;
}

/*
 * Sends the add of the NTAuth entry holding DM's cACertificate values,
 * with what its class certificationAuthority requires, as certutil
 * -dspublish makes it: cn, and one zero byte in authorityRevocationList
 * and certificateRevocationList.
 */
static int
dir_ntauth_add_send(struct dir *d, const struct dir_mod *dm,
    LDAPMod *cert)
{
	static char	 zero[1] = { 0 };
	struct berval	 zbv = { 1, zero }, *zv[2] = { &zbv, NULL };
	char		*oc[] = { (char *)(uintptr_t)"top",
			    (char *)(uintptr_t)"certificationAuthority", NULL };
	char		*cn[] = { (char *)(uintptr_t)"NTAuthCertificates", NULL };
	LDAPMod		 m[4], *mp[6];
	int		 msgid = -1, r;

	m[0].mod_op = LDAP_MOD_ADD;
	m[0].mod_type = (char *)(uintptr_t)"objectClass";
	m[0].mod_values = oc;
	m[1].mod_op = LDAP_MOD_ADD;
	m[1].mod_type = (char *)(uintptr_t)"cn";
	m[1].mod_values = cn;
	m[2].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
	m[2].mod_type = (char *)(uintptr_t)"authorityRevocationList";
	m[2].mod_bvalues = zv;
	m[3].mod_op = LDAP_MOD_ADD | LDAP_MOD_BVALUES;
	m[3].mod_type = (char *)(uintptr_t)"certificateRevocationList";
	m[3].mod_bvalues = zv;
	mp[0] = &m[0];
	mp[1] = &m[1];
	mp[2] = cert;
	mp[3] = &m[2];
	mp[4] = &m[3];
	mp[5] = NULL;
	r = ldap_add_ext(d->ld, dm->dn, mp, NULL, NULL, &msgid);
	if (r != LDAP_SUCCESS) {
		dir_report(d, r, "add");
		msgid = -1;
	}
	return msgid;
}

int
dir_mod_send(struct dir *d, const struct dir_mod *dm, int permissive)
{
	LDAPMod		 mods[2], *mp[3];
	LDAPControl	 pc, tc, *ctrls[3];
	struct berval	*bv = NULL, **bvp = NULL;
	unsigned char	**bin = NULL;
	size_t		 nv = dm->nadd + dm->ndel, k = 0, c = 0, i;
	int		 msgid = -1, r;

	if ((bv = calloc(nv + 1, sizeof(*bv))) == NULL ||
	    (bvp = calloc(nv + 2, sizeof(*bvp))) == NULL ||
	    (bin = calloc(nv + 1, sizeof(*bin))) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	if (dm->entry == -1) {		/* the NTAuth entry's last value */
		r = ldap_delete_ext(d->ld, dm->dn, NULL, NULL, &msgid);
		if (r != LDAP_SUCCESS) {
			dir_report(d, r, "delete");
			msgid = -1;
		}
		goto out;
	}
	/* Deletes first: a value moving between forms stays consistent. */
	if (dm->ndel > 0) {
		if (dir_fill_mod(&mods[k], LDAP_MOD_DELETE, dm->attr, dm->del,
		    dm->ndel, bv, bvp, bin) == -1)
			goto out;
		mp[k] = &mods[k];
		k++;
	}
	if (dm->nadd > 0) {
		if (dir_fill_mod(&mods[k], LDAP_MOD_ADD, dm->attr, dm->add,
		    dm->nadd, bv + dm->ndel, bvp + dm->ndel + (dm->ndel > 0),
		    bin + dm->ndel) == -1)
			goto out;
		mp[k] = &mods[k];
		k++;
	}
	mp[k] = NULL;
	if (dm->entry == 1) {
		msgid = k == 1 && dm->ndel == 0 ? dir_ntauth_add_send(d, dm,
		    mp[0]) : -1;
		goto out;
	}
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
	for (i = 0; bin != NULL && i < nv; i++)
		free(bin[i]);
	free(bin);
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

/* Policy lookups (see policy.c): group members, the protected groups. */

static int
dir_member_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	return dir_account(d, e, arg) < 0 ? -1 : 0;
}

int
dir_group_members(struct dir *d, const char *group, int chain,
    struct accounts *out)
{
	struct berval	 in, esc = { 0, NULL };
	struct sbuf	 f = SBUF_INIT;
	int		 r, err, rc = -1;

	in.bv_val = (char *)(uintptr_t)group;
	in.bv_len = strlen(group);
	if (ldap_bv2escaped_filter_value(&in, &esc) != 0) {
		msg_err("out of memory");
		goto out;
	}
	/* the in-chain rule follows nested groups on the server's side */
	sbuf_printf(&f, "(&(objectClass=user)(memberOf%s=%s))",
	    chain ? ":1.2.840.113556.1.4.1941:" : "", esc.bv_val);
	if (f.oom) {
		msg_err("out of memory");
		goto out;
	}
	msg_debug("search %s", f.s);
	r = dir_search(d, d->domain, LDAP_SCOPE_SUBTREE, f.s, dir_attrs, 1,
	    dir_member_cb, out, &err);
	if (r == -1)
		goto out;
	if (r == 2) {
		msg_err("%s: cannot list the members of \"%s\": %s", d->uri,
		    group, ldap_err2string(err));
		goto out;
	}
	rc = 0;
out:
	ber_memfree(esc.bv_val);
	sbuf_reset(&f);
	return rc;
}

struct dir_groups {
	struct strlist	*dns;
	struct strlist	*names;
	char		*sid;
};

static int
dir_groups_cb(struct dir *d, LDAPMessage *e, void *arg)
{
	struct dir_groups	*g = arg;
	struct berval		**v;
	char			*dn, *name;
	int			 rc;

	if (g->names == NULL) {	/* the domain object: its SID */
		if ((v = ldap_get_values_len(d->ld, e, "objectSid")) != NULL) {
			if (v[0] != NULL && g->sid == NULL)
				g->sid = dir_sid_to_text(v[0]);
			ldap_value_free_len(v);
		}
		return 0;
	}
	if ((dn = ldap_get_dn(d->ld, e)) == NULL)
		return -1;
	name = dir_first(d->ld, e, "sAMAccountName");
	rc = strlist_add(g->dns, dn) == -1 || strlist_add(g->names,
	    name ? name : dn) == -1 ? -1 : 0;
	ldap_memfree(dn);
	free(name);
	return rc;
}

int
dir_protected_groups(struct dir *d, const unsigned *rids, size_t nrids,
    const unsigned *builtin, size_t nbuiltin, struct strlist *dns,
    struct strlist *names)
{
	struct dir_groups g = { NULL, NULL, NULL };
	struct dir_key	 k;
	struct sbuf	 f = SBUF_INIT, sid = SBUF_INIT;
	size_t		 i;
	int		 r, rc = -1;

	/* the domain's SID: the domain groups' SIDs are it plus a RID */
	if (dir_search(d, d->domain, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ "objectSid", NULL }, 0, dir_groups_cb,
	    &g, NULL) == -1)
		goto out;
	g.dns = dns;
	g.names = names;
	sbuf_puts(&f, "(&(objectClass=group)(|");
	memset(&k, 0, sizeof(k));
	k.attr = "objectSid";
	for (i = 0; g.sid != NULL && i < nrids; i++) {
		sbuf_reset(&sid);
		sbuf_printf(&sid, "%s-%u", g.sid, rids[i]);
		k.value = sid.s;
		if (sid.oom || dir_filter_term(&f, &k) == -1)
			goto oom;
	}
	for (i = 0; i < nbuiltin; i++) {
		sbuf_reset(&sid);
		sbuf_printf(&sid, "S-1-5-32-%u", builtin[i]);
		k.value = sid.s;
		if (sid.oom || dir_filter_term(&f, &k) == -1)
			goto oom;
	}
	sbuf_puts(&f, "))");
	if (f.oom)
		goto oom;
	if ((r = dir_search(d, d->domain, LDAP_SCOPE_SUBTREE, f.s,
	    (const char *const []){ "sAMAccountName", NULL }, 1, dir_groups_cb,
	    &g, NULL)) == -1)
		goto out;
	rc = 0;
	goto out;
oom:
	msg_err("out of memory");
out:
	free(g.sid);
	sbuf_reset(&f);
	sbuf_reset(&sid);
	return rc;
}

int
dir_entry_exists(struct dir *d, const char *dn)
{
	struct accounts	 none = { NULL, 0, NULL, 0 };
	int		 r, err;

	r = dir_search(d, dn, LDAP_SCOPE_BASE, "(objectClass=*)",
	    (const char *const []){ LDAP_NO_ATTRS, NULL }, 0, dir_member_cb,
	    &none, &err);
	accounts_free(&none);
	if (r == -1)
		return -1;
	return r == 0 ? 0 : 1;
}
