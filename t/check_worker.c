/*
 * The scanning pool and the sinks (worker.c): a job's completion runs
 * on the loop of the thread that submitted it, whichever pool thread
 * ran it; a call posted from another thread runs on the sink's loop; a
 * resize changes how many jobs run at once; freeing a sink runs what is
 * still queued for it.
 */
#include "autoconf.h"

#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "worker.h"

#include "check_util.h"

#define JOBS	200

/* One event loop on a thread of its own, as a worker has. */
struct loop_t {
	pthread_t		 thread;
	struct event_base	*base;
	struct worker_sink	*sink;
	struct worker_pool	*pool;
	int			 done;		/* completions run */
	int			 wrong;		/* run on another thread */
	int			 posted;	/* calls run */
	atomic_int		 ready;
};

struct job_t {
	struct loop_t	*l;
	atomic_int	*ran;
};

static void
job_run(void *arg)
{
	struct job_t	*j = arg;

	atomic_fetch_add(j->ran, 1);
}

static void
job_done(void *arg)
{
	struct job_t	*j = arg;

	if (!pthread_equal(pthread_self(), j->l->thread))
		j->l->wrong++;
	if (++j->l->done == JOBS)
		event_base_loopexit(j->l->base, NULL);
	free(j);
}

static void
call_posted(void *arg)
{
	struct loop_t	*l = arg;

	if (!pthread_equal(pthread_self(), l->thread))
		l->wrong++;
	l->posted++;
}

static atomic_int	 ran;

static void
start_jobs(evutil_socket_t fd, short ev, void *arg)
{
	struct loop_t	*l = arg;
	struct job_t	*j;
	int		 i;

	(void)fd;
	(void)ev;
	for (i = 0; i < JOBS; i++) {
		ck_assert_ptr_nonnull(j = calloc(1, sizeof(*j)));
		j->l = l;
		j->ran = &ran;
		ck_assert_int_eq(worker_submit(l->pool, job_run, job_done, j),
		    0);
	}
}

static void *
loop_main(void *arg)
{
	struct loop_t	*l = arg;

	ck_assert_ptr_nonnull(l->base = event_base_new());
	ck_assert_ptr_nonnull(l->sink = worker_sink_new(l->base));
	event_base_once(l->base, -1, EV_TIMEOUT, start_jobs, l, NULL);
	atomic_store(&l->ready, 1);
	event_base_dispatch(l->base);
	return NULL;
}

START_TEST(test_results_to_their_loop)
{
	struct worker_pool	*wp;
	struct loop_t		 l[3];
	int			 i;

	atomic_store(&ran, 0);
	ck_assert_ptr_nonnull(wp = worker_pool_new(4));
	memset(l, 0, sizeof(l));
	for (i = 0; i < 3; i++) {
		l[i].pool = wp;
		ck_assert_int_eq(pthread_create(&l[i].thread, NULL, loop_main,
		    &l[i]), 0);
	}
	for (i = 0; i < 3; i++)
		pthread_join(l[i].thread, NULL);
	worker_pool_free(wp);
	ck_assert_int_eq(atomic_load(&ran), 3 * JOBS);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(l[i].done, JOBS);
		ck_assert_int_eq(l[i].wrong, 0);
		worker_sink_free(l[i].sink);
		event_base_free(l[i].base);
	}
}
END_TEST

static void *
post_loop(void *arg)
{
	struct loop_t	*l = arg;

	ck_assert_ptr_nonnull(l->base = event_base_new());
	ck_assert_ptr_nonnull(l->sink = worker_sink_new(l->base));
	atomic_store(&l->ready, 1);
	while (l->posted < 10)
		event_base_loop(l->base, EVLOOP_ONCE);
	return NULL;
}

/* Calls from the main thread run on the loop; a thread without a sink
 * cannot submit. */
START_TEST(test_post)
{
	struct worker_pool	*wp;
	struct loop_t		 l;
	int			 i;

	memset(&l, 0, sizeof(l));
	ck_assert_ptr_nonnull(wp = worker_pool_new(1));
	ck_assert_int_eq(worker_submit(wp, job_run, job_done, NULL), -1);
	ck_assert_int_eq(pthread_create(&l.thread, NULL, post_loop, &l), 0);
	while (!atomic_load(&l.ready))
		usleep(1000);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(worker_post(l.sink, call_posted, &l), 0);
	pthread_join(l.thread, NULL);
	ck_assert_int_eq(l.posted, 10);
	ck_assert_int_eq(l.wrong, 0);
	worker_sink_free(l.sink);
	event_base_free(l.base);
	worker_pool_free(wp);
}
END_TEST

/* Jobs that wait, each for up to 2 s, until n run at once. */
static atomic_int	 inside, peak;
static int		 want_at_once;

static void
wait_job(void *arg)
{
	struct timespec	 t0, t;
	int		 n;

	(void)arg;
	n = atomic_fetch_add(&inside, 1) + 1;
	for (int p = atomic_load(&peak); n > p &&
	    !atomic_compare_exchange_weak(&peak, &p, n);)
		;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		usleep(1000);
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (atomic_load(&peak) < want_at_once && t.tv_sec - t0.tv_sec < 2);
	atomic_fetch_sub(&inside, 1);
}

static int	 waits_done;

static void
wait_done(void *arg)
{
	(void)arg;
	waits_done++;
}

/* Submit n waiting jobs from this thread and run their completions. */
static int
peak_of(struct worker_pool *wp, struct event_base *base, int n, int want)
{
	int	 i;

	atomic_store(&inside, 0);
	atomic_store(&peak, 0);
	want_at_once = want;
	waits_done = 0;
	for (i = 0; i < n; i++)
		ck_assert_int_eq(worker_submit(wp, wait_job, wait_done, NULL),
		    0);
	while (waits_done < n)
		event_base_loop(base, EVLOOP_ONCE);
	return atomic_load(&peak);
}

START_TEST(test_resize)
{
	struct event_base	*base;
	struct worker_sink	*ws;
	struct worker_pool	*wp;

	ck_assert_ptr_nonnull(base = event_base_new());
	ck_assert_ptr_nonnull(ws = worker_sink_new(base));
	ck_assert_ptr_nonnull(wp = worker_pool_new(1));
	ck_assert_int_eq(peak_of(wp, base, 3, 3), 1);
	ck_assert_int_eq(worker_pool_resize(wp, 3), 3);
	ck_assert_int_eq(peak_of(wp, base, 3, 3), 3);
	ck_assert_int_eq(worker_pool_resize(wp, 2), 2);
	ck_assert_int_eq(peak_of(wp, base, 4, 3), 2);
	ck_assert_int_eq(worker_pool_resize(wp, 0), 1);
	ck_assert_int_eq(peak_of(wp, base, 2, 2), 1);
	/* Jobs still queued when the pool goes: their completions wait in
	 * the sink, which runs them as it is freed. */
	waits_done = 0;
	want_at_once = 0;
	ck_assert_int_eq(worker_submit(wp, wait_job, wait_done, NULL), 0);
	ck_assert_int_eq(worker_submit(wp, wait_job, wait_done, NULL), 0);
	worker_pool_free(wp);
	ck_assert_int_eq(waits_done, 0);
	worker_sink_free(ws);
	ck_assert_int_eq(waits_done, 2);
	event_base_free(base);
}
END_TEST

static Suite *
worker_suite(void)
{
	Suite	*s = suite_create("worker");
	TCase	*tc = tcase_create("pool");

	tcase_add_test(tc, test_results_to_their_loop);
	tcase_add_test(tc, test_post);
	tcase_add_test(tc, test_resize);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(worker_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
