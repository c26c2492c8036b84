/*
 * Read and write buffers for an LDAP connection, as a liblber Sockbuf
 * layer (see dir_iobuf.h).
 *
 * liblber has a read buffer of its own (ber_sockbuf_io_readahead, made
 * for UDP), but its remove refuses while bytes are still buffered, and
 * liblber then keeps the layer: a connection closed with unread replies
 * in it (an error path, a lost server) would leak it.  It has no write
 * buffer.  This layer always frees, reports buffered bytes as data ready
 * (so libldap parses them instead of polling a socket that has nothing
 * more), and sends what it holds whenever libldap is about to wait: its
 * wait loop (wait4msg) asks every connection whether data is ready before
 * it polls, and that question, with nothing left to read, is when the
 * writes go out.  It also goes out when the buffer is full and when the
 * connection is closed (the unbind).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lber.h>

#include "dir_iobuf.h"

/* A burst of replies or requests (a TLS record is at most 16 KiB + 256). */
/* dir_iobuf_batch's control: an option number liblber does not use */
#define DIR_IOBUF_OPT_BATCH	0x7c01
#define IOBUF_SIZE	(64 * 1024)

struct iobuf {
	size_t		rptr, rend;	/* unread bytes: r[rptr, rend) */
	size_t		wlen;		/* unsent bytes: w[0, wlen) */
	int		werr;		/* errno of a failed send, or 0 */
	int		batch;		/* requests held until a wait */
	int		timeout;	/* seconds a full socket may take */
	unsigned char	r[IOBUF_SIZE];
	unsigned char	w[IOBUF_SIZE];
};

static int
iobuf_setup(Sockbuf_IO_Desc *sbiod, void *arg)
{
	struct iobuf	*p;

	if ((p = malloc(sizeof(*p))) == NULL)
		return -1;
	p->rptr = p->rend = p->wlen = 0;
	p->werr = 0;
	p->batch = 0;
	p->timeout = *(const int *)arg;
	sbiod->sbiod_pvt = p;
	return 0;
}

static int
iobuf_remove(Sockbuf_IO_Desc *sbiod)
{
	free(sbiod->sbiod_pvt);
	sbiod->sbiod_pvt = NULL;
	return 0;
}

/*
 * Writes LEN bytes of BUF to the layer below, waiting (at most the
 * timeout in all) while the socket is full: libldap keeps it
 * non-blocking.  Returns 0, or -1 with errno set.
 */
static int
iobuf_send(Sockbuf_IO_Desc *sbiod, const unsigned char *buf, size_t len)
{
	struct iobuf	*p = sbiod->sbiod_pvt;
	struct pollfd	 pfd;
	time_t		 until = 0;
	ber_slen_t	 r;
	int		 fd = -1, left;

	while (len > 0) {
		r = LBER_SBIOD_WRITE_NEXT(sbiod, (void *)(uintptr_t)buf, len);
		if (r > 0) {
			buf += r;
			len -= (size_t)r;
			continue;
		}
		if (r == 0) {
			errno = EPIPE;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (fd == -1) {
			if (ber_sockbuf_ctrl(sbiod->sbiod_sb,
			    LBER_SB_OPT_GET_FD, &fd) != 1 || fd < 0) {
				errno = EBADF;
				return -1;
			}
			until = time(NULL) + (p->timeout > 0 ? p->timeout :
			    300);
		}
		if ((left = (int)(until - time(NULL))) <= 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, left * 1000) == -1 && errno != EINTR)
			return -1;
	}
	return 0;
}

/*
 * Sends what is buffered.  A failure is kept and reported by the next
 * read (libldap then sees a lost connection), since the requests it
 * carried were already reported sent.
 */
static void
iobuf_flush(Sockbuf_IO_Desc *sbiod)
{
	struct iobuf	*p = sbiod->sbiod_pvt;

	if (p->wlen == 0 || p->werr != 0)
		return;
	if (iobuf_send(sbiod, p->w, p->wlen) == -1)
		p->werr = errno != 0 ? errno : EPIPE;
	p->wlen = 0;
}

static int
iobuf_ctrl(Sockbuf_IO_Desc *sbiod, int opt, void *arg)
{
	struct iobuf	*p = sbiod->sbiod_pvt;

	if (opt == DIR_IOBUF_OPT_BATCH) {
		p->batch = *(const int *)arg;
		if (!p->batch)
			iobuf_flush(sbiod);
		return 1;
	}
	if (opt == LBER_SB_OPT_DATA_READY) {
		if (p->rptr < p->rend)
			return 1;
		/* libldap is about to poll: the requests go out first */
		iobuf_flush(sbiod);
		if (p->werr != 0)
			return 1;	/* the read reports it */
	}
	return LBER_SBIOD_CTRL_NEXT(sbiod, opt, arg);
}

static ber_slen_t
iobuf_read(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	struct iobuf	*p = sbiod->sbiod_pvt;
	ber_slen_t	 r;
	size_t		 n;

	if (p->rptr == p->rend) {
		/* no reply comes for a request not yet sent */
		iobuf_flush(sbiod);
		if (p->werr != 0) {
			errno = p->werr;
			return -1;
		}
		/* a large read gains nothing from a copy */
		if (len >= IOBUF_SIZE)
			return LBER_SBIOD_READ_NEXT(sbiod, buf, len);
		/* one system call for all the socket holds; -1 keeps errno
		 * (EAGAIN: libldap polls), 0 is the end of the stream */
		if ((r = LBER_SBIOD_READ_NEXT(sbiod, p->r, IOBUF_SIZE)) <= 0)
			return r;
		p->rptr = 0;
		p->rend = (size_t)r;
	}
	n = p->rend - p->rptr;
	if (n > len)
		n = len;
	memcpy(buf, p->r + p->rptr, n);
	p->rptr += n;
	if (p->rptr == p->rend)
		p->rptr = p->rend = 0;
	return (ber_slen_t)n;
}

static ber_slen_t
iobuf_write(Sockbuf_IO_Desc *sbiod, void *buf, ber_len_t len)
{
	struct iobuf	*p = sbiod->sbiod_pvt;

	if (p->werr != 0) {
		errno = p->werr;
		return -1;
	}
	/* not batching: each request is written as libldap makes it */
	if (!p->batch && p->wlen == 0) {
		if (iobuf_send(sbiod, buf, len) == -1)
			return -1;
		return (ber_slen_t)len;
	}
	if (len > IOBUF_SIZE - p->wlen) {
		iobuf_flush(sbiod);
		if (p->werr != 0) {
			errno = p->werr;
			return -1;
		}
		if (len > IOBUF_SIZE) {
			if (iobuf_send(sbiod, buf, len) == -1)
				return -1;
			return (ber_slen_t)len;
		}
	}
	memcpy(p->w + p->wlen, buf, len);
	p->wlen += len;
	return (ber_slen_t)len;
}

static int
iobuf_close(Sockbuf_IO_Desc *sbiod)
{
	/* the unbind (and TLS's close_notify) before the socket closes */
	iobuf_flush(sbiod);
	return 0;
}

static Sockbuf_IO dir_iobuf_io = {
	iobuf_setup,	/* sbi_setup */
	iobuf_remove,	/* sbi_remove */
	iobuf_ctrl,	/* sbi_ctrl */
	iobuf_read,	/* sbi_read */
	iobuf_write,	/* sbi_write */
	iobuf_close	/* sbi_close: the layer below closes the socket */
};

void
dir_iobuf_batch(LDAP *ld, int on)
{
	Sockbuf	*sb = NULL;

	/* unknown options go down the layers to ours (0 if it is absent) */
	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) == LDAP_OPT_SUCCESS &&
	    sb != NULL)
		(void)ber_sockbuf_ctrl(sb, DIR_IOBUF_OPT_BATCH, &on);
}

int
dir_iobuf_push(LDAP *ld, int timeout)
{
	Sockbuf	*sb = NULL;

	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) != LDAP_OPT_SUCCESS ||
	    sb == NULL)
		return -1;
	/*
	 * Provider level, over the TCP (or local socket) layer and under
	 * TLS and SASL, which liblber keeps at the higher levels: what is
	 * buffered is the raw bytes of the socket, in order.
	 */
	if (ber_sockbuf_add_io(sb, &dir_iobuf_io, LBER_SBIOD_LEVEL_PROVIDER,
	    &timeout) != 0)
		return -1;
	return 0;
}
