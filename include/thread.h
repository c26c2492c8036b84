/*
 * thread: the one way certbulk starts a helper thread (the undo file's
 * fsync, the overlapped recheck and undo reads, show's reader).
 */
#ifndef CERTBULK_THREAD_H
#define CERTBULK_THREAD_H

#include <pthread.h>

/*
 * Starts FN(ARG) on a new thread *T that takes no signal: every signal
 * stays the main thread's, where SIGINT and SIGTERM stop a run between
 * modifies and dir_open's SIGALRM watchdog interrupts a connect that
 * hangs (a signal the kernel gave a helper thread would do neither).
 * 0, or -1 (pthread_create's error in errno).
 */
int	thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

#endif
