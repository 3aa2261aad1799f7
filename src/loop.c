/*
 * Workers (SPEC §5): event loops in threads. Each worker thread creates
 * its event_base (without libevent's locks: nothing but its own thread
 * touches it), its sink for scan results and calls from the main thread
 * (worker.c), and its listening sockets; sessions it accepts live and
 * die on it. What a worker keeps for itself is thread-local in session.c
 * and listener.c; what all share is said there.
 *
 * Start-up: every worker binds its listeners before the main thread
 * drops privileges (setresuid(2) in glibc applies to every thread), then
 * waits at a gate until loop_go(). A reload reaches each worker as a
 * call on its sink carrying references of its own to the new
 * configuration and engines; TERM and the end of shutdown_grace too.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sched.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "loop.h"
#include "scan.h"
#include "session.h"
#include "worker.h"

#define LOOP_POLL_USEC	200000	/* stopping: is the worker idle yet? */
#define LOOP_DRAIN_SEC	2	/* after the 421s: let them be written */

struct loop {
	int			 index;
	pthread_t		 thread;
	int			 started;	/* thread created */
	struct event_base	*base;		/* freed by loop_free() */
	struct worker_sink	*sink;		/* freed by loop_free() */
	struct event		*ev_poll;	/* stopping */
	struct loop_setup	*setup;		/* for the thread to apply */
};

/* A call for a worker: a setup to apply, or a stop. */
struct loop_call {
	struct loop		*l;
	struct loop_setup	 s;		/* references of its own */
};

/*
 * Shared, written by the main thread only: the workers, and the start
 * gate (under loop_lock).
 */
static struct loop		*loops;
static int			 nloops;
static struct worker_sink	*loop_main;	/* the main thread's sink */
static void			(*loop_done)(void);
static int			 loop_nstopped;	/* main thread only */
static pthread_mutex_t		 loop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t		 loop_cond = PTHREAD_COND_INITIALIZER;
static int			 loop_nbound;	/* listening, or failed */
static int			 loop_failed;
static int			 loop_gate;	/* 1 go, -1 give up */

/* Per worker: the configuration its listeners use (a reference). */
static __thread struct config	*loop_conf;

int
loop_ncpu(void)
{
	cpu_set_t	 set;
	int		 n;

	if (sched_getaffinity(0, sizeof(set), &set) == -1 ||
	    (n = CPU_COUNT(&set)) < 1)
		return 1;
	return n;
}

/* A copy of s with references of its own. */
static void
loop_setup_ref(struct loop_setup *dst, const struct loop_setup *s)
{
	*dst = *s;
	config_ref(dst->conf);
	if (dst->types != NULL)
		scan_engine_ref(dst->types);
	if (dst->av != NULL)
		scan_engine_ref(dst->av);
}

static void
loop_setup_unref(struct loop_setup *s)
{
	if (s->types != NULL)
		scan_engine_unref(s->types);
	if (s->av != NULL)
		scan_engine_unref(s->av);
	config_unref(s->conf);
}

/* In the worker: new sessions use s (the session takes its own refs). */
static void
loop_apply(struct loop_setup *s)
{
	struct config	*old = loop_conf;

	session_set_scanning(s->pool, s->types, s->av);
	if (s->uplen > 0)
		session_set_upstream((struct sockaddr *)&s->up, s->uplen);
	loop_conf = config_ref(s->conf);
	if (old != NULL)
		(void)listener_set_config(loop_conf);
	config_unref(old);
}

/* Is the call running on its worker? Not once that one has stopped. */
static int
loop_mine(const struct loop *l)
{
	return pthread_equal(pthread_self(), l->thread);
}

static void
loop_call_update(void *arg)
{
	struct loop_call	*c = arg;

	if (loop_mine(c->l))
		loop_apply(&c->s);
	loop_setup_unref(&c->s);
	free(c);
}

static void
loop_poll(evutil_socket_t fd, short ev, void *arg)
{
	struct loop	*l = arg;

	(void)fd;
	(void)ev;
	if (session_count_worker() == 0)
		event_base_loopexit(l->base, NULL);
}

static void
loop_call_stop(void *arg)
{
	struct loop	*l = arg;
	struct timeval	 tv = { 0, LOOP_POLL_USEC };

	if (!loop_mine(l) || l->ev_poll != NULL)
		return;
	listener_close_all();
	if (session_count_worker() == 0) {
		event_base_loopexit(l->base, NULL);
		return;
	}
	if ((l->ev_poll = event_new(l->base, -1, EV_PERSIST, loop_poll,
	    l)) == NULL || event_add(l->ev_poll, &tv) == -1)
		event_base_loopexit(l->base, NULL);
}

static void
loop_call_shutdown(void *arg)
{
	struct loop	*l = arg;

	if (!loop_mine(l))
		return;
	session_shutdown_all();
	/* Let the last replies drain, then stop. */
	event_base_loopexit(l->base, &(struct timeval){ LOOP_DRAIN_SEC, 0 });
}

/* On the main thread: one more worker has stopped. */
static void
loop_stopped(void *arg)
{
	(void)arg;
	if (++loop_nstopped == nloops && loop_done != NULL)
		loop_done();
}

/* Tell the main thread that this worker has bound (or failed). */
static int
loop_report(int ok)
{
	int	 gate;

	pthread_mutex_lock(&loop_lock);
	loop_nbound++;
	if (!ok)
		loop_failed = 1;
	pthread_cond_broadcast(&loop_cond);
	while (loop_gate == 0)
		pthread_cond_wait(&loop_cond, &loop_lock);
	gate = loop_gate;
	pthread_mutex_unlock(&loop_lock);
	return gate;
}

static void *
loop_thread(void *arg)
{
	struct loop		*l = arg;
	struct event_config	*evcfg;
	int			 ok = 0;

	session_set_worker(l->index);
	if ((evcfg = event_config_new()) != NULL &&
	    event_config_set_flag(evcfg, EVENT_BASE_FLAG_NOLOCK) == 0)
		l->base = event_base_new_with_config(evcfg);
	if (evcfg != NULL)
		event_config_free(evcfg);
	if (l->base == NULL)
		log_error("worker %d: cannot create the event loop", l->index);
	else if ((l->sink = worker_sink_new(l->base)) != NULL) {
		loop_apply(l->setup);
		ok = listener_bind(l->base, loop_conf, nloops > 1) == 0;
	}
	if (loop_report(ok) == 1)
		event_base_dispatch(l->base);
	listener_close_all();
	if (l->ev_poll != NULL) {
		event_free(l->ev_poll);
		l->ev_poll = NULL;
	}
	session_set_scanning(NULL, NULL, NULL);
	session_worker_end();
	config_unref(loop_conf);
	loop_conf = NULL;
	if (worker_post(loop_main, loop_stopped, l) == -1)
		fatalx("out of memory");
	return NULL;
}

int
loop_start(int n, const struct loop_setup *s, struct worker_sink *main_sink,
    void (*done)(void))
{
	struct loop_setup	 setup;
	sigset_t		 all, old;
	int			 i, error;

	if ((loops = calloc((size_t)n, sizeof(*loops))) == NULL)
		return -1;
	nloops = n;
	loop_main = main_sink;
	loop_done = done;
	setup = *s;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	for (i = 0; i < n; i++) {
		loops[i].index = i;
		loops[i].setup = &setup;
		if ((error = pthread_create(&loops[i].thread, NULL,
		    loop_thread, &loops[i])) != 0) {
			log_error("worker thread: %s", strerror(error));
			break;
		}
		loops[i].started = 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_mutex_lock(&loop_lock);
	if (i < n)
		loop_failed = 1;
	while (loop_nbound < i)
		pthread_cond_wait(&loop_cond, &loop_lock);
	if (loop_failed)
		loop_gate = -1;
	pthread_cond_broadcast(&loop_cond);
	pthread_mutex_unlock(&loop_lock);
	for (i = 0; i < n; i++)
		loops[i].setup = NULL;
	if (loop_failed) {
		loop_done = NULL;
		loop_join();
		return -1;
	}
	return 0;
}

void
loop_go(void)
{
	pthread_mutex_lock(&loop_lock);
	loop_gate = 1;
	pthread_cond_broadcast(&loop_cond);
	pthread_mutex_unlock(&loop_lock);
}

void
loop_update(const struct loop_setup *s)
{
	struct loop_call	*c;
	int			 i;

	for (i = 0; i < nloops; i++) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			log_error("worker %d: reload: out of memory", i);
			continue;
		}
		c->l = &loops[i];
		loop_setup_ref(&c->s, s);
		if (worker_post(loops[i].sink, loop_call_update, c) == -1) {
			log_error("worker %d: reload: out of memory", i);
			loop_setup_unref(&c->s);
			free(c);
		}
	}
}

/* Post fn to every worker; out of memory is fatal (nothing else works). */
static void
loop_post_all(void (*fn)(void *))
{
	int	 i;

	for (i = 0; i < nloops; i++)
		if (worker_post(loops[i].sink, fn, &loops[i]) == -1)
			fatalx("out of memory");
}

void
loop_stop(void)
{
	loop_post_all(loop_call_stop);
}

void
loop_shutdown(void)
{
	loop_post_all(loop_call_shutdown);
}

void
loop_join(void)
{
	int	 i;

	for (i = 0; i < nloops; i++)
		if (loops[i].started) {
			pthread_join(loops[i].thread, NULL);
			loops[i].started = 0;
		}
}

void
loop_free(void)
{
	int	 i;

	for (i = 0; i < nloops; i++) {
		worker_sink_free(loops[i].sink);
		if (loops[i].base != NULL)
			event_base_free(loops[i].base);
	}
	free(loops);
	loops = NULL;
	nloops = 0;
}
