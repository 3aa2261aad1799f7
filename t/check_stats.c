/*
 * Counters: the table names every counter once, counts from several
 * threads add up, a gauge goes both ways, alarms are counted in all and
 * by id.
 */
#include "autoconf.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stats.h"

#include "check_util.h"

#define NTHREADS	4
#define NCOUNTS		100000

START_TEST(test_table)
{
	size_t	 i, j;

	for (i = 0; i < STATS_COUNT; i++) {
		ck_assert_ptr_nonnull(stats_table[i].name);
		ck_assert_int_gt((int)strlen(stats_table[i].name), 0);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(stats_table[i].name,
			    stats_table[j].name);
	}
	ck_assert_int_eq(stats_table[STATS_SESSIONS_ACTIVE].gauge, 1);
	ck_assert_int_eq(stats_table[STATS_SESSIONS].gauge, 0);
}
END_TEST

static void *
count(void *arg)
{
	int	 i;

	(void)arg;
	for (i = 0; i < NCOUNTS; i++) {
		stats_inc(STATS_SESSIONS);
		stats_inc(STATS_SESSIONS_ACTIVE);
		stats_add(STATS_BYTES_IN, 3);
		stats_dec(STATS_SESSIONS_ACTIVE);
	}
	stats_alarm(ALARM_BARE_LINE_ENDING);
	return NULL;
}

START_TEST(test_threads)
{
	pthread_t	 t[NTHREADS];
	struct stats	 before, after;
	int		 i;

	stats_sum(&before);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, count, NULL), 0);
	/* Read while they count: never more than they will have counted. */
	stats_sum(&after);
	ck_assert_int_le(after.v[STATS_SESSIONS] - before.v[STATS_SESSIONS],
	    (int64_t)NTHREADS * NCOUNTS);
	for (i = 0; i < NTHREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	stats_sum(&after);
	ck_assert_int_eq(after.v[STATS_SESSIONS] - before.v[STATS_SESSIONS],
	    (int64_t)NTHREADS * NCOUNTS);
	ck_assert_int_eq(after.v[STATS_BYTES_IN] - before.v[STATS_BYTES_IN],
	    (int64_t)NTHREADS * NCOUNTS * 3);
	ck_assert_int_eq(after.v[STATS_SESSIONS_ACTIVE],
	    before.v[STATS_SESSIONS_ACTIVE]);
	ck_assert_int_eq(after.v[STATS_ALARMS] - before.v[STATS_ALARMS],
	    NTHREADS);
	ck_assert_int_eq(after.alarm[ALARM_BARE_LINE_ENDING] -
	    before.alarm[ALARM_BARE_LINE_ENDING], NTHREADS);
	ck_assert_int_eq(after.alarm[ALARM_EMPTY_LINE] -
	    before.alarm[ALARM_EMPTY_LINE], 0);
	ck_assert_int_eq(stats_get(STATS_SESSIONS),
	    after.v[STATS_SESSIONS]);
}
END_TEST

static Suite *
stats_suite(void)
{
	Suite	*s = suite_create("stats");
	TCase	*tc = tcase_create("counters");

	tcase_add_test(tc, test_table);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(stats_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
