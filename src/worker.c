/*
 * Scanning threads, shared by every event loop, and the way results get
 * back to the loop that asked.
 *
 * Jobs go through one queue under the pool's mutex. Each event loop has
 * a sink: a queue of finished jobs under its own mutex and an eventfd
 * that wakes that loop, written once when the queue stops being empty,
 * however many jobs then finish before the loop takes them. A job's
 * completion goes to the sink of the thread that submitted it, so a
 * scan's result comes back to the loop that owns the session. The same
 * sink carries calls from other threads (worker_post(): the main thread
 * telling a worker loop to reload or stop), so each loop has one
 * notification for everything that crosses threads. No event loop is
 * ever touched from another thread: they run without libevent's locks
 * (EVENT_BASE_FLAG_NOLOCK).
 */
#include "autoconf.h"

#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "worker.h"

struct worker_job {
	STAILQ_ENTRY(worker_job) entry;
	worker_fn		 fn;		/* NULL: a call, no work */
	worker_done_fn		 done;
	void			*arg;
	struct worker_sink	*sink;		/* where done runs */
};
STAILQ_HEAD(worker_queue, worker_job);

/* A loop's inbox: finished jobs and calls for its thread. */
struct worker_sink {
	pthread_mutex_t		 lock;
	struct worker_queue	 done;
	int			 efd;		/* eventfd: done is not empty */
	int			 notified;	/* efd written, not yet read */
	struct event		*ev;
};

struct worker_pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct worker_queue	 todo;
	pthread_t		*threads;	/* every thread ever started */
	int			 nthreads;	/* started */
	int			 running;	/* not told to leave */
	int			 want;		/* size asked for */
	int			 stopping;
};

/* Per thread: the sink this thread's submissions come back to. */
static __thread struct worker_sink *worker_self;

/* Wake the loop. An eventfd write fails only when its counter is full. */
static void
worker_notify(struct worker_sink *ws)
{
	uint64_t	 one = 1;

	while (write(ws->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

/* Any thread: queue job on its sink and wake that loop. */
static void
worker_deliver(struct worker_job *job)
{
	struct worker_sink	*ws = job->sink;

	pthread_mutex_lock(&ws->lock);
	STAILQ_INSERT_TAIL(&ws->done, job, entry);
	if (!ws->notified) {
		ws->notified = 1;
		worker_notify(ws);
	}
	pthread_mutex_unlock(&ws->lock);
}

static void *
worker_main(void *arg)
{
	struct worker_pool	*wp = arg;
	struct worker_job	*job;

	pthread_mutex_lock(&wp->lock);
	for (;;) {
		while (STAILQ_EMPTY(&wp->todo) && !wp->stopping &&
		    wp->running <= wp->want)
			pthread_cond_wait(&wp->cond, &wp->lock);
		if (wp->running > wp->want && !wp->stopping) {
			wp->running--;		/* the pool shrank */
			break;
		}
		if ((job = STAILQ_FIRST(&wp->todo)) == NULL)
			break;		/* stopping, queue drained */
		STAILQ_REMOVE_HEAD(&wp->todo, entry);
		pthread_mutex_unlock(&wp->lock);
		job->fn(job->arg);
		worker_deliver(job);
		pthread_mutex_lock(&wp->lock);
	}
	pthread_mutex_unlock(&wp->lock);
	return NULL;
}

/* On the sink's loop: run the completions and calls queued for it. */
static void
worker_sink_run(evutil_socket_t fd, short ev, void *arg)
{
	struct worker_sink	*ws = arg;
	struct worker_queue	 done;
	struct worker_job	*job;
	uint64_t		 n;

	(void)fd;
	(void)ev;
	pthread_mutex_lock(&ws->lock);
	/* Read under the lock: a worker writes again once this is 0. */
	if (ws->notified && read(ws->efd, &n, sizeof(n)) == -1 &&
	    errno != EAGAIN)
		log_warnx("worker eventfd: %s", strerror(errno));
	ws->notified = 0;
	STAILQ_INIT(&done);
	STAILQ_CONCAT(&done, &ws->done);
	pthread_mutex_unlock(&ws->lock);
	while ((job = STAILQ_FIRST(&done)) != NULL) {
		STAILQ_REMOVE_HEAD(&done, entry);
		job->done(job->arg);
		free(job);
	}
}

struct worker_sink *
worker_sink_new(struct event_base *base)
{
	struct worker_sink	*ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return NULL;
	STAILQ_INIT(&ws->done);
	pthread_mutex_init(&ws->lock, NULL);
	if ((ws->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_error("eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((ws->ev = event_new(base, ws->efd, EV_READ | EV_PERSIST,
	    worker_sink_run, ws)) == NULL || event_add(ws->ev, NULL) == -1)
		goto fail;
	worker_self = ws;
	return ws;
 fail:
	if (ws->ev != NULL)
		event_free(ws->ev);
	if (ws->efd != -1)
		close(ws->efd);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
	return NULL;
}

void
worker_sink_free(struct worker_sink *ws)
{
	if (ws == NULL)
		return;
	worker_sink_run(-1, 0, ws);
	if (worker_self == ws)
		worker_self = NULL;
	event_free(ws->ev);
	close(ws->efd);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}

int
worker_post(struct worker_sink *ws, worker_done_fn fn, void *arg)
{
	struct worker_job	*job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->done = fn;
	job->arg = arg;
	job->sink = ws;
	worker_deliver(job);
	return 0;
}

/* Start threads until n run; the caller holds wp->lock. */
static void
worker_grow(struct worker_pool *wp, int n)
{
	pthread_t	*t;
	sigset_t	 all, old;
	int		 error;

	/* Signals belong to the main thread's loop. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (wp->running < n) {
		if ((t = reallocarray(wp->threads, (size_t)wp->nthreads + 1,
		    sizeof(*t))) == NULL)
			break;
		wp->threads = t;
		if ((error = pthread_create(&wp->threads[wp->nthreads], NULL,
		    worker_main, wp)) != 0) {
			log_error("worker thread: %s", strerror(error));
			break;
		}
		wp->nthreads++;
		wp->running++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

struct worker_pool *
worker_pool_new(int nthreads)
{
	struct worker_pool	*wp;

	if (nthreads < 1)
		nthreads = 1;
	if ((wp = calloc(1, sizeof(*wp))) == NULL)
		return NULL;
	STAILQ_INIT(&wp->todo);
	pthread_mutex_init(&wp->lock, NULL);
	pthread_cond_init(&wp->cond, NULL);
	wp->want = nthreads;
	pthread_mutex_lock(&wp->lock);
	worker_grow(wp, nthreads);
	pthread_mutex_unlock(&wp->lock);
	if (wp->running == 0) {
		worker_pool_free(wp);
		return NULL;
	}
	return wp;
}

int
worker_pool_resize(struct worker_pool *wp, int nthreads)
{
	int	 n;

	if (nthreads < 1)
		nthreads = 1;
	pthread_mutex_lock(&wp->lock);
	wp->want = nthreads;
	if (wp->running < nthreads)
		worker_grow(wp, nthreads);
	else
		pthread_cond_broadcast(&wp->cond);	/* some leave */
	n = wp->running < nthreads ? wp->running : nthreads;
	pthread_mutex_unlock(&wp->lock);
	return n;
}

int
worker_submit(struct worker_pool *wp, worker_fn fn, worker_done_fn done,
    void *arg)
{
	struct worker_job	*job;

	if (worker_self == NULL || (job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->fn = fn;
	job->done = done;
	job->arg = arg;
	job->sink = worker_self;
	pthread_mutex_lock(&wp->lock);
	STAILQ_INSERT_TAIL(&wp->todo, job, entry);
	pthread_cond_signal(&wp->cond);
	pthread_mutex_unlock(&wp->lock);
	return 0;
}

void
worker_pool_free(struct worker_pool *wp)
{
	int	 i;

	if (wp == NULL)
		return;
	pthread_mutex_lock(&wp->lock);
	wp->stopping = 1;
	pthread_cond_broadcast(&wp->cond);
	pthread_mutex_unlock(&wp->lock);
	for (i = 0; i < wp->nthreads; i++)
		pthread_join(wp->threads[i], NULL);
	free(wp->threads);
	pthread_mutex_destroy(&wp->lock);
	pthread_cond_destroy(&wp->cond);
	free(wp);
}
