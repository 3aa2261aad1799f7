/*
 * A pool of worker threads for work that must never run on the event
 * loop (content scanning). A job runs on a worker thread; its completion
 * runs back on the event loop, in the thread that owns the base.
 */
#ifndef SMTPPROXY_WORKER_H
#define SMTPPROXY_WORKER_H

struct event_base;
struct worker_pool;

typedef void	(*worker_fn)(void *job);	/* on a worker thread */
typedef void	(*worker_done_fn)(void *job);	/* on the event loop */

/*
 * Start nthreads workers (at least 1). They never touch base: it may be
 * a loop without locks. Returns NULL on failure.
 */
struct worker_pool *worker_pool_new(struct event_base *, int nthreads);
/* Queue a job; done is called on the loop after fn returned. 0 or -1. */
int	worker_submit(struct worker_pool *, worker_fn fn, worker_done_fn done,
	    void *job);
/* Jobs queued or running. */
int	worker_busy(struct worker_pool *);
/*
 * Stop: wait for running and queued jobs, run their completions, join
 * the threads, free the pool. Accepts NULL.
 */
void	worker_pool_free(struct worker_pool *);

#endif
