/*
 * A pool of scanning threads for work that must never run on an event
 * loop, shared by every loop, and sinks: the way a finished job, or a
 * call from another thread, reaches one loop. A job runs on a pool
 * thread; its completion runs on the loop of the thread that submitted
 * it.
 */
#ifndef SMTPPROXY_WORKER_H
#define SMTPPROXY_WORKER_H

struct event_base;
struct worker_pool;
struct worker_sink;

typedef void	(*worker_fn)(void *job);	/* on a pool thread */
typedef void	(*worker_done_fn)(void *job);	/* on the sink's loop */

/*
 * The calling thread's sink on base, the loop this thread runs: jobs
 * this thread submits come back there. NULL on failure.
 */
struct worker_sink *worker_sink_new(struct event_base *);
/*
 * Run what is still queued for the sink (in the calling thread), then
 * free it. Call once no job or call can still be on its way to it (the
 * pool freed, no thread posting). Accepts NULL.
 */
void	worker_sink_free(struct worker_sink *);
/* Any thread: run fn(arg) on the sink's loop. 0, or -1 out of memory. */
int	worker_post(struct worker_sink *, worker_done_fn fn, void *arg);

/*
 * Start nthreads scanning threads (at least 1), with every signal
 * blocked. They never touch an event loop. NULL on failure.
 */
struct worker_pool *worker_pool_new(int nthreads);
/*
 * Grow or shrink to nthreads (at least 1); a thread that leaves
 * finishes its job first. Returns the threads the pool will have.
 */
int	worker_pool_resize(struct worker_pool *, int nthreads);
/*
 * Queue a job; done is called on the calling thread's sink after fn
 * returned. 0, or -1 (out of memory, or the thread has no sink).
 */
int	worker_submit(struct worker_pool *, worker_fn fn, worker_done_fn done,
	    void *job);
/*
 * Stop: wait for running and queued jobs (their completions are queued
 * on their sinks), join the threads, free the pool. Accepts NULL.
 */
void	worker_pool_free(struct worker_pool *);

#endif
