#include <pthread.h>
#include <stdlib.h>

#include "cert.h"
#include "prefetch.h"
#include "thread.h"

/*
 * Files read ahead: enough to keep the reader busy while the caller works
 * through a run of small files, few enough that a million names do not
 * mean a million buffers.
 */
#define PREFETCH_AHEAD	64

struct prefetch_slot {
	unsigned char	*buf;	/* owned until taken */
	size_t		 len;
	char		*err;	/* owned until taken */
	int		 rc;
};

struct prefetch {
	char *const	*paths;	/* the caller's */
	size_t		 n;
	size_t		 done;	/* files read by the thread */
	size_t		 taken;	/* files handed to the caller */
	int		 stop;
	int		 waiting_reader, waiting_caller;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv_reader;	/* a slot was freed, or stop */
	pthread_cond_t	 cv_caller;	/* a file was read */
	pthread_t	 thread;
	struct prefetch_slot slot[PREFETCH_AHEAD];
};

static void *
prefetch_run(void *arg)
{
	struct prefetch		*p = arg;
	struct prefetch_slot	 s;
	size_t			 i;
	int			 stop;

	for (i = 0; i < p->n; i++) {
		pthread_mutex_lock(&p->mu);
		while (!p->stop && i - p->taken >= PREFETCH_AHEAD) {
			p->waiting_reader = 1;
			pthread_cond_wait(&p->cv_reader, &p->mu);
			p->waiting_reader = 0;
		}
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		/* the slot is the reader's alone until done moves past it */
		s.buf = NULL;
		s.len = 0;
		s.rc = cert_load_file(p->paths[i], NULL, &s.buf, &s.len,
		    &s.err);
		pthread_mutex_lock(&p->mu);
		p->slot[i % PREFETCH_AHEAD] = s;
		p->done = i + 1;
		if (p->waiting_caller)
			pthread_cond_signal(&p->cv_caller);
		pthread_mutex_unlock(&p->mu);
	}
	return NULL;
}

struct prefetch *
prefetch_start(char *const *paths, size_t n)
{
	struct prefetch	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->paths = paths;
	p->n = n;
	/* default attributes: glibc's init functions cannot fail then */
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cv_reader, NULL);
	pthread_cond_init(&p->cv_caller, NULL);
	if (thread_start(&p->thread, prefetch_run, p) == -1) {
		pthread_cond_destroy(&p->cv_reader);
		pthread_cond_destroy(&p->cv_caller);
		pthread_mutex_destroy(&p->mu);
		free(p);
		return NULL;
	}
	return p;
}

int
prefetch_next(struct prefetch *p, unsigned char **buf, size_t *len,
    char **err)
{
	struct prefetch_slot	*s;
	int			 rc;

	pthread_mutex_lock(&p->mu);
	while (p->done <= p->taken) {
		p->waiting_caller = 1;
		pthread_cond_wait(&p->cv_caller, &p->mu);
		p->waiting_caller = 0;
	}
	s = &p->slot[p->taken % PREFETCH_AHEAD];
	*buf = s->buf;
	*len = s->len;
	*err = s->err;
	rc = s->rc;
	s->buf = NULL;
	s->err = NULL;
	p->taken++;
	/*
	 * The reader, once it is ahead, is woken when half the files ahead
	 * are taken, not at each one: a wake-up is two system calls and a
	 * switch on each side, as much as reading a small file.
	 */
	if (p->waiting_reader && p->done - p->taken <= PREFETCH_AHEAD / 2)
		pthread_cond_signal(&p->cv_reader);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

void
prefetch_stop(struct prefetch *p)
{
	size_t	i;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = 1;
	pthread_cond_signal(&p->cv_reader);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	for (i = p->taken; i < p->done; i++) {
		cert_load_free(p->slot[i % PREFETCH_AHEAD].buf,
		    p->slot[i % PREFETCH_AHEAD].len);
		free(p->slot[i % PREFETCH_AHEAD].err);
	}
	pthread_cond_destroy(&p->cv_reader);
	pthread_cond_destroy(&p->cv_caller);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
