/*
 * delayproxy: a TCP proxy on 127.0.0.1 that delivers every chunk it reads
 * DELAY_US/2 microseconds after it arrived, in each direction, so a round
 * trip gains DELAY_US: a WAN next door, for make bench.  Per connection
 * and direction one thread reads and stamps chunks and one writes each at
 * its stamp plus the delay (clock_nanosleep on an absolute time), so
 * requests are delayed, not serialised.  Exits by itself after LIFETIME
 * seconds.  Not for anything but the benchmark.
 * usage: delayproxy TARGET_PORT DELAY_US LIFETIME  (prints its own port)
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct chunk {
	struct chunk	*next;
	struct timespec	 due;
	size_t		 len;	/* 0: end of stream */
	unsigned char	 data[16384];
};

struct pipe_dir {
	int		 from, to;
	struct chunk	*head, *tail;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
};

static long	delay_ns;

static void *
reader(void *arg)
{
	struct pipe_dir	*p = arg;
	struct chunk	*c;
	ssize_t		 r;

	for (;;) {
		if ((c = malloc(sizeof(*c))) == NULL)
			abort();
		do
			r = read(p->from, c->data, sizeof(c->data));
		while (r == -1 && errno == EINTR);
		clock_gettime(CLOCK_MONOTONIC, &c->due);
		c->due.tv_nsec += delay_ns;
		while (c->due.tv_nsec >= 1000000000L) {
			c->due.tv_nsec -= 1000000000L;
			c->due.tv_sec++;
		}
		c->len = r > 0 ? (size_t)r : 0;
		c->next = NULL;
		pthread_mutex_lock(&p->mu);
		if (p->tail != NULL)
			p->tail->next = c;
		else
			p->head = c;
		p->tail = c;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		if (r <= 0)
			return NULL;
	}
}

static void *
writer(void *arg)
{
	struct pipe_dir	*p = arg;
	struct chunk	*c;
	size_t		 off;
	ssize_t		 w;
	int		 done = 0;

	while (!done) {
		pthread_mutex_lock(&p->mu);
		while (p->head == NULL)
			pthread_cond_wait(&p->cv, &p->mu);
		c = p->head;
		if ((p->head = c->next) == NULL)
			p->tail = NULL;
		pthread_mutex_unlock(&p->mu);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &c->due,
		    NULL) == EINTR)
			;
		if (c->len == 0) {
			shutdown(p->to, SHUT_WR);
			done = 1;
		}
		for (off = 0; off < c->len; off += (size_t)w)
			if ((w = write(p->to, c->data + off, c->len - off)) <= 0) {
				done = 1;
				break;
			}
		free(c);
	}
	return NULL;
}

struct conn {
	struct pipe_dir	up, down;
};

static void *
serve(void *arg)
{
	struct conn	*c = arg;
	pthread_t	 t[4];
	int		 i;

	pthread_create(&t[0], NULL, reader, &c->up);
	pthread_create(&t[1], NULL, writer, &c->up);
	pthread_create(&t[2], NULL, reader, &c->down);
	pthread_create(&t[3], NULL, writer, &c->down);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	close(c->up.from);
	close(c->down.from);
	free(c);
	return NULL;
}

int
main(int argc, char *argv[])
{
	struct sockaddr_in	 a;
	socklen_t		 al = sizeof(a);
	struct conn		*c;
	pthread_t		 t;
	int			 ls, cs, ts, one = 1, port;

	if (argc != 4) {
		fprintf(stderr, "usage: delayproxy TARGET_PORT DELAY_US "
		    "LIFETIME\n");
		return 2;
	}
	port = atoi(argv[1]);
	delay_ns = atol(argv[2]) * 1000L / 2;	/* half each way */
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)atoi(argv[3]));		/* stops by itself */
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    bind(ls, (struct sockaddr *)&a, sizeof(a)) == -1 ||
	    listen(ls, 64) == -1 ||
	    getsockname(ls, (struct sockaddr *)&a, &al) == -1) {
		perror("delayproxy");
		return 1;
	}
	printf("%d\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		if ((cs = accept(ls, NULL, NULL)) == -1)
			continue;
		memset(&a, 0, sizeof(a));
		a.sin_family = AF_INET;
		a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		a.sin_port = htons((unsigned short)port);
		if ((ts = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
		    connect(ts, (struct sockaddr *)&a, sizeof(a)) == -1) {
			close(cs);
			if (ts != -1)
				close(ts);
			continue;
		}
		setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(ts, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if ((c = calloc(1, sizeof(*c))) == NULL)
			abort();
		c->up.from = cs;
		c->up.to = ts;
		c->down.from = ts;
		c->down.to = cs;
		pthread_mutex_init(&c->up.mu, NULL);
		pthread_cond_init(&c->up.cv, NULL);
		pthread_mutex_init(&c->down.mu, NULL);
		pthread_cond_init(&c->down.cv, NULL);
		pthread_create(&t, NULL, serve, c);
		pthread_detach(t);
	}
}
