/*
 * Worker threads. Jobs go through one queue under a mutex; finished jobs
 * go through another, and an eventfd wakes the loop to run their
 * completions: one write when the queue of finished jobs stops being
 * empty, however many jobs then finish before the loop takes them. The
 * event loop itself is never touched from a worker thread, so it runs
 * without libevent's locks (EVENT_BASE_FLAG_NOLOCK).
 */
#include "autoconf.h"

#include <sys/eventfd.h>
#include <sys/queue.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "log.h"
#include "worker.h"

struct worker_job {
	STAILQ_ENTRY(worker_job) entry;
	worker_fn		 fn;
	worker_done_fn		 done;
	void			*arg;
};
STAILQ_HEAD(worker_queue, worker_job);

struct worker_pool {
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	struct worker_queue	 todo;
	struct worker_queue	 done;
	int			 efd;		/* eventfd: done is not empty */
	int			 notified;	/* efd written, not yet read */
	struct event		*ev_done;
	pthread_t		*threads;
	int			 nthreads;
	int			 busy;		/* queued or running */
	int			 stopping;
};

/* Wake the loop. An eventfd write fails only when its counter is full. */
static void
worker_notify(struct worker_pool *wp)
{
	uint64_t	 one = 1;

	while (write(wp->efd, &one, sizeof(one)) == -1 && errno == EINTR)
		;
}

static void *
worker_main(void *arg)
{
	struct worker_pool	*wp = arg;
	struct worker_job	*job;

	pthread_mutex_lock(&wp->lock);
	for (;;) {
		while (STAILQ_EMPTY(&wp->todo) && !wp->stopping)
			pthread_cond_wait(&wp->cond, &wp->lock);
		if ((job = STAILQ_FIRST(&wp->todo)) == NULL)
			break;		/* stopping, queue drained */
		STAILQ_REMOVE_HEAD(&wp->todo, entry);
		pthread_mutex_unlock(&wp->lock);
		job->fn(job->arg);
		pthread_mutex_lock(&wp->lock);
		STAILQ_INSERT_TAIL(&wp->done, job, entry);
		if (!wp->notified) {
			wp->notified = 1;
			worker_notify(wp);
		}
	}
	pthread_mutex_unlock(&wp->lock);
	return NULL;
}

/* On the loop: run the completions of finished jobs. */
static void
worker_done(evutil_socket_t fd, short ev, void *arg)
{
	struct worker_pool	*wp = arg;
	struct worker_queue	 done;
	struct worker_job	*job;

	uint64_t		 n;

	(void)fd;
	(void)ev;
	pthread_mutex_lock(&wp->lock);
	/* Read under the lock: a worker writes again once this is 0. */
	if (wp->notified && read(wp->efd, &n, sizeof(n)) == -1 &&
	    errno != EAGAIN)
		log_warnx("worker eventfd: %s", strerror(errno));
	wp->notified = 0;
	STAILQ_INIT(&done);
	STAILQ_CONCAT(&done, &wp->done);
	pthread_mutex_unlock(&wp->lock);
	while ((job = STAILQ_FIRST(&done)) != NULL) {
		STAILQ_REMOVE_HEAD(&done, entry);
		pthread_mutex_lock(&wp->lock);
		wp->busy--;
		pthread_mutex_unlock(&wp->lock);
		job->done(job->arg);
		free(job);
	}
}

struct worker_pool *
worker_pool_new(struct event_base *base, int nthreads)
{
	struct worker_pool	*wp;
	int			 i, error;

	if (nthreads < 1)
		nthreads = 1;
	if ((wp = calloc(1, sizeof(*wp))) == NULL)
		return NULL;
	STAILQ_INIT(&wp->todo);
	STAILQ_INIT(&wp->done);
	pthread_mutex_init(&wp->lock, NULL);
	pthread_cond_init(&wp->cond, NULL);
	if ((wp->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) == -1) {
		log_error("eventfd: %s", strerror(errno));
		goto fail;
	}
	if ((wp->ev_done = event_new(base, wp->efd, EV_READ | EV_PERSIST,
	    worker_done, wp)) == NULL ||
	    event_add(wp->ev_done, NULL) == -1 ||
	    (wp->threads = calloc((size_t)nthreads,
	    sizeof(*wp->threads))) == NULL)
		goto fail;
	for (i = 0; i < nthreads; i++) {
		if ((error = pthread_create(&wp->threads[i], NULL, worker_main,
		    wp)) != 0) {
			log_error("worker thread: %s", strerror(error));
			break;
		}
		wp->nthreads++;
	}
	if (wp->nthreads == 0)
		goto fail;
	return wp;
 fail:
	if (wp->ev_done != NULL)
		event_free(wp->ev_done);
	if (wp->efd != -1)
		close(wp->efd);
	free(wp->threads);
	pthread_mutex_destroy(&wp->lock);
	pthread_cond_destroy(&wp->cond);
	free(wp);
	return NULL;
}

int
worker_submit(struct worker_pool *wp, worker_fn fn, worker_done_fn done,
    void *arg)
{
	struct worker_job	*job;

	if ((job = calloc(1, sizeof(*job))) == NULL)
		return -1;
	job->fn = fn;
	job->done = done;
	job->arg = arg;
	pthread_mutex_lock(&wp->lock);
	STAILQ_INSERT_TAIL(&wp->todo, job, entry);
	wp->busy++;
	pthread_cond_signal(&wp->cond);
	pthread_mutex_unlock(&wp->lock);
	return 0;
}

int
worker_busy(struct worker_pool *wp)
{
	int	 n;

	pthread_mutex_lock(&wp->lock);
	n = wp->busy;
	pthread_mutex_unlock(&wp->lock);
	return n;
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
	worker_done(-1, 0, wp);
	event_free(wp->ev_done);
	close(wp->efd);
	free(wp->threads);
	pthread_mutex_destroy(&wp->lock);
	pthread_cond_destroy(&wp->cond);
	free(wp);
}
