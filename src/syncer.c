/*
 * Background fsync for the undo file (see syncer.h).  The thread does
 * nothing but fsync: all writes stay in the caller's thread, so what is
 * durable is exactly what was written before the request was made.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "syncer.h"
#include "thread.h"

struct syncer {
	int		 fd;
	pthread_t	 thread;
	pthread_mutex_t	 mu;
	pthread_cond_t	 asked_cv;	/* asked grew, or stop */
	pthread_cond_t	 done_cv;	/* done grew, or err */
	long		 asked;
	long		 done;
	int		 err;		/* errno of a failed fsync, sticky */
	int		 stop;
};

static void *
syncer_main(void *arg)
{
	struct syncer	*s = arg;
	long		 target;
	int		 r, e;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && s->err == 0 && s->asked <= s->done)
			pthread_cond_wait(&s->asked_cv, &s->mu);
		if (s->err != 0 || (s->stop && s->asked <= s->done))
			break;
		target = s->asked;
		pthread_mutex_unlock(&s->mu);
		r = fsync(s->fd);
		e = errno;
		pthread_mutex_lock(&s->mu);
		if (r == -1)
			s->err = e != 0 ? e : EIO;
		else if (target > s->done)
			s->done = target;
		pthread_cond_broadcast(&s->done_cv);
	}
	pthread_cond_broadcast(&s->done_cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

struct syncer *
syncer_new(int fd)
{
	struct syncer	*s;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->fd = fd;
	if (pthread_mutex_init(&s->mu, NULL) != 0) {
		free(s);
		return NULL;
	}
	if (pthread_cond_init(&s->asked_cv, NULL) != 0)
		goto fail_mu;
	if (pthread_cond_init(&s->done_cv, NULL) != 0)
		goto fail_asked;
	if (thread_start(&s->thread, syncer_main, s) == -1)
		goto fail_done;
	return s;
fail_done:
	pthread_cond_destroy(&s->done_cv);
fail_asked:
	pthread_cond_destroy(&s->asked_cv);
fail_mu:
	pthread_mutex_destroy(&s->mu);
	free(s);
	return NULL;
}

void
syncer_ask(struct syncer *s, long upto)
{
	pthread_mutex_lock(&s->mu);
	if (upto > s->asked) {
		s->asked = upto;
		pthread_cond_signal(&s->asked_cv);
	}
	pthread_mutex_unlock(&s->mu);
}

int
syncer_wait(struct syncer *s, long upto)
{
	int	rc = 0;

	pthread_mutex_lock(&s->mu);
	if (upto > s->asked) {	/* never asked for: ask now */
		s->asked = upto;
		pthread_cond_signal(&s->asked_cv);
	}
	while (s->done < upto && s->err == 0)
		pthread_cond_wait(&s->done_cv, &s->mu);
	if (s->done < upto) {
		errno = s->err;
		rc = -1;
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

long
syncer_durable(struct syncer *s)
{
	long	d;

	pthread_mutex_lock(&s->mu);
	d = s->done;
	pthread_mutex_unlock(&s->mu);
	return d;
}

void
syncer_free(struct syncer *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->stop = 1;
	pthread_cond_signal(&s->asked_cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->asked_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
