/*
 * Deadlines: moving one later leaves its timer where it was and still
 * fires only when the new time is reached; moving one earlier fires
 * early; a cleared one never fires. Only lower bounds on time are
 * asserted, so a loaded machine cannot fail them.
 */
#include "autoconf.h"

#include <sys/time.h>

#include <check.h>
#include <time.h>

#include <event2/event.h>

#include "deadline.h"

#include "check_util.h"

struct fixture {
	struct event_base	*base;
	struct deadline		 d;
	int			 fired;
	double			 at;		/* ms after start */
	struct timespec		 start;
};

static double
elapsed_ms(const struct timespec *start)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) * 1e3 +
	    (double)(now.tv_nsec - start->tv_nsec) / 1e6;
}

static void
fired(evutil_socket_t fd, short ev, void *arg)
{
	struct fixture	*f = arg;

	(void)fd;
	(void)ev;
	if (!deadline_due(&f->d))
		return;
	f->fired++;
	f->at = elapsed_ms(&f->start);
}

static void
ms(struct timeval *tv, long n)
{
	tv->tv_sec = n / 1000;
	tv->tv_usec = (n % 1000) * 1000;
}

static void
setup(struct fixture *f)
{
	f->fired = 0;
	f->at = 0;
	ck_assert_ptr_nonnull(f->base = event_base_new());
	ck_assert_int_eq(deadline_init(&f->d, f->base, fired, f), 0);
	clock_gettime(CLOCK_MONOTONIC, &f->start);
}

static void
run_for(struct fixture *f, long n)
{
	struct timeval	 tv;

	ms(&tv, n);
	event_base_loopexit(f->base, &tv);
	event_base_dispatch(f->base);
}

static void
teardown(struct fixture *f)
{
	deadline_free(&f->d);
	event_base_free(f->base);
}

START_TEST(test_moved_later)
{
	struct fixture	 f;
	struct timeval	 tv, fire;

	setup(&f);
	ms(&tv, 30);
	deadline_set(&f.d, &tv);
	ms(&tv, 150);
	deadline_set(&f.d, &tv);
	/* The timer was not moved: it still fires first at 30 ms. */
	ck_assert(evtimer_pending(f.d.ev, &fire));
	ck_assert(timercmp(&fire, &f.d.when, <));
	run_for(&f, 600);
	ck_assert_int_eq(f.fired, 1);
	ck_assert(f.at >= 149.0);
	ck_assert(!deadline_armed(&f.d));
	teardown(&f);
}
END_TEST

START_TEST(test_moved_earlier)
{
	struct fixture	 f;
	struct timeval	 tv;

	setup(&f);
	ms(&tv, 5000);
	deadline_set(&f.d, &tv);
	ms(&tv, 20);
	deadline_set(&f.d, &tv);
	run_for(&f, 1000);
	ck_assert_int_eq(f.fired, 1);
	ck_assert(f.at >= 19.0);
	teardown(&f);
}
END_TEST

START_TEST(test_cleared)
{
	struct fixture	 f;
	struct timeval	 tv;

	setup(&f);
	ms(&tv, 20);
	deadline_set(&f.d, &tv);
	ck_assert(deadline_armed(&f.d));
	deadline_clear(&f.d);
	ck_assert(!deadline_armed(&f.d));
	run_for(&f, 100);
	ck_assert_int_eq(f.fired, 0);
	/* Set again after a clear: fires once. */
	deadline_set(&f.d, &tv);
	run_for(&f, 500);
	ck_assert_int_eq(f.fired, 1);
	teardown(&f);
}
END_TEST

static Suite *
deadline_suite(void)
{
	Suite	*s = suite_create("deadline");
	TCase	*tc = tcase_create("timer");

	tcase_add_test(tc, test_moved_later);
	tcase_add_test(tc, test_moved_earlier);
	tcase_add_test(tc, test_cleared);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(deadline_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
