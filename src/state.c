#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "sbuf.h"
#include "state.h"

struct state {
	char	*dir;	/* owned */
	int	 lockfd;
};

int
state_trusted(int fd, const char *path, const char *what, int isdir)
{
	struct stat	st;

	if (fstat(fd, &st) == -1) {
		msg_err("%s: %s", path, strerror(errno));
		return -1;
	}
	if (isdir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
		msg_err("%s: the %s is not a %s; refused", path, what,
		    isdir ? "folder" : "regular file");
		return -1;
	}
	if (st.st_uid != geteuid() && st.st_uid != 0) {
		msg_err("%s: the %s belongs to uid %lu, not to you (uid %lu) or "
		    "root; refused, as another user could have written it",
		    path, what, (unsigned long)st.st_uid,
		    (unsigned long)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		msg_err("%s: the %s is writable by %s (mode %03o); refused (chmod "
		    "go-w %s)", path, what, (st.st_mode & S_IWOTH) ? "others" :
		    "its group", (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

char *
state_default_dir(void)
{
	struct sbuf	 b = SBUF_INIT;
	const char	*x, *home;

	if (geteuid() == 0)
		return strdup("/var/lib/certbulk");
	if ((x = getenv("XDG_STATE_HOME")) != NULL && x[0] == '/')
		sbuf_printf(&b, "%s/certbulk", x);
	else if ((home = getenv("HOME")) != NULL && home[0] == '/')
		sbuf_printf(&b, "%s/.local/state/certbulk", home);
	else
		return NULL;
	return sbuf_done(&b);
}

/* mkdir -p with MODE for the last component, 0700 for new parents too. */
static int
state_mkdirs(const char *dir)
{
	char	*p, *s;
	int	 rc = -1;

	if ((p = strdup(dir)) == NULL)
		return -1;
	for (s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0700) == -1 && errno != EEXIST) {
			msg_err("%s: cannot create the state folder: %s", p,
			    strerror(errno));
			goto out;
		}
		*s = c;
		if (c == '\0')
			break;
	}
	rc = 0;
out:
	free(p);
	return rc;
}

struct state *
state_open(const char *dir)
{
	struct state	*s = NULL, *ret = NULL;
	struct stat	 st;
	struct sbuf	 b = SBUF_INIT;
	char		 holder[256], host[HOST_NAME_MAX + 1], stamp[32];
	ssize_t		 n;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 dfd = -1;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->dir = strdup(dir)) == NULL) {
		msg_err("out of memory");
		goto out;
	}
	s->lockfd = -1;
	/* "link/" would make lstat and O_NOFOLLOW follow the link */
	for (n = (ssize_t)strlen(s->dir); n > 1 && s->dir[n - 1] == '/'; n--)
		s->dir[n - 1] = '\0';
	dir = s->dir;
	if (state_mkdirs(dir) == -1)
		goto out;
	/*
	 * Whoever may write in the state folder decides what a later undo
	 * writes to the directory: it must be ours (or root's), not a link
	 * to somewhere else, and closed to group and others.
	 */
	if (lstat(dir, &st) == -1) {
		msg_err("%s: %s", dir, strerror(errno));
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		msg_err("%s: the state folder is a symbolic link; refused (give "
		    "the real folder with --state-dir)", dir);
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		msg_err("%s: the state folder: %s", dir, strerror(errno));
		goto out;
	}
	if (state_trusted(dfd, dir, "state folder", 1) == -1)
		goto out;
	sbuf_printf(&b, "%s/lock", dir);
	if (b.oom)
		goto out;
	if ((s->lockfd = openat(dfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK, 0600)) == -1) {
		msg_err("%s: %s", b.s, errno == ELOOP ? "a symbolic link; "
		    "refused" : strerror(errno));
		goto out;
	}
	if (state_trusted(s->lockfd, b.s, "lock file", 0) == -1)
		goto out;
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK) {
			msg_err("%s: %s", b.s, strerror(errno));
			goto out;
		}
		n = pread(s->lockfd, holder, sizeof(holder) - 1, 0);
		holder[n > 0 ? n : 0] = '\0';
		holder[strcspn(holder, "\n")] = '\0';
		msg_err("%s: another certbulk run holds the lock (%s); try again "
		    "when it has finished", b.s, holder[0] ? holder : "holder "
		    "unknown");
		goto out;
	}
	if (gethostname(host, sizeof(host)) == -1)
		strcpy(host, "?");
	host[sizeof(host) - 1] = '\0';
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	n = snprintf(holder, sizeof(holder), "pid %ld on %s since %s\n",
	    (long)getpid(), host, stamp);
	if (ftruncate(s->lockfd, 0) == -1 ||
	    pwrite(s->lockfd, holder, (size_t)n, 0) != n)
		msg_warn("%s: cannot record the lock holder", b.s);
	ret = s;
	s = NULL;
out:
	if (dfd != -1)
		close(dfd);
	sbuf_reset(&b);
	state_close(s);
	return ret;
}

void
state_close(struct state *s)
{
	if (s == NULL)
		return;
	if (s->lockfd != -1)
		close(s->lockfd);	/* releases the flock */
	free(s->dir);
	free(s);
}

char *
state_undo_path(const struct state *s)
{
	struct sbuf	 b = SBUF_INIT;
	struct stat	 st;
	struct timespec	 ts;
	struct tm	 tm;
	char		 stamp[32];
	int		 tries;

	/* Names sort in time order: milliseconds make them unique. */
	for (tries = 0; tries < 100; tries++) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
		sbuf_reset(&b);
		sbuf_printf(&b, "%s/undo-%s.%03ldZ.ldif", s->dir, stamp,
		    ts.tv_nsec / 1000000);
		if (b.oom || lstat(b.s, &st) == -1)
			break;
		usleep(1000);
	}
	return sbuf_done(&b);
}
