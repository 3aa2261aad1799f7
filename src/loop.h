/*
 * Workers: event loops in threads of their own, each with its own
 * event_base, listening sockets and sessions. The main thread keeps the
 * signals and tells each worker what to do through that worker's sink
 * (worker.c): one notification per worker, never a call into another
 * thread's event_base.
 */
#ifndef SMTPPROXY_LOOP_H
#define SMTPPROXY_LOOP_H

#include <sys/socket.h>

struct config;
struct scan_engine;
struct worker_pool;
struct worker_sink;

/* What a worker's new sessions use; the worker takes its own references. */
struct loop_setup {
	struct config		*conf;
	struct worker_pool	*pool;		/* scanning threads */
	struct scan_engine	*types, *av;	/* either may be NULL */
	struct sockaddr_storage	 up;		/* relay mode: the upstream */
	socklen_t		 uplen;		/* 0: none */
};

/* CPUs this process may run on (sched_getaffinity), at least 1. */
int	loop_ncpu(void);
/*
 * Start n workers (with every signal blocked); each listens on every
 * address of s->conf (SO_REUSEPORT when n > 1) and waits for loop_go().
 * done (on the main thread, through main's sink) is called when every
 * worker has stopped. Returns 0 once all listen, or -1 (logged; the
 * workers that started are stopped).
 */
int	loop_start(int n, const struct loop_setup *, struct worker_sink *main,
	    void (*done)(void));
/* Let the workers serve (after the privileges are dropped). */
void	loop_go(void);
/*
 * A reload: every worker's new sessions use s from now on (open ones
 * keep what they started with) and its listeners follow s->conf.
 */
void	loop_update(const struct loop_setup *);
/*
 * TERM/INT: every worker stops accepting and stops once its sessions
 * are gone.
 */
void	loop_stop(void);
/* shutdown_grace is over: every worker answers its sessions 421 4.3.2. */
void	loop_shutdown(void);
/*
 * After done: join the workers. Once the scanning pool is freed, call
 * loop_free() to run what is still queued for them and free them.
 */
void	loop_join(void);
void	loop_free(void);

#endif
