/*
 * Metrics exposition: label values escaped as the text format 0.0.4
 * wants, every counter of stats.h exposed once, histogram buckets
 * cumulative with +Inf equal to the count.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "metrics.h"
#include "stats.h"

#include "check_util.h"

/* The rendered text, NUL-terminated; free it. */
static char *
text_of(struct evbuffer *b)
{
	size_t	 n = evbuffer_get_length(b);
	char	*s = malloc(n + 1);

	ck_assert_ptr_nonnull(s);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	return s;
}

static const struct {
	const char	*in;
	const char	*out;
} label_vecs[] = {
	{ "plain", "plain" },
	{ "", "" },
	{ "a\"b", "a\\\"b" },
	{ "back\\slash", "back\\\\slash" },
	{ "two\nlines", "two\\nlines" },
	{ "\"\\\n", "\\\"\\\\\\n" },
	{ "tab\tand\rcr", "tab\tand\rcr" },
};

START_TEST(test_label)
{
	struct evbuffer	*b = evbuffer_new();
	char		*s;

	ck_assert_int_eq(metrics_label(b, label_vecs[_i].in), 0);
	s = text_of(b);
	ck_assert_str_eq(s, label_vecs[_i].out);
	free(s);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_every_counter)
{
	struct evbuffer	*b = evbuffer_new();
	struct stats	 st;
	char		*s, want[64];
	size_t		 i;

	memset(&st, 0, sizeof(st));
	/* Values no two samples share. */
	for (i = 0; i < STATS_COUNT; i++)
		st.v[i] = 7000001 + (int64_t)i * 7;
	ck_assert_int_eq(metrics_render(b, &st), 0);
	s = text_of(b);
	for (i = 0; i < STATS_COUNT; i++) {
		/* The sum of all alarms is the sum of smtpproxy_alarms_total. */
		if (i == STATS_ALARMS)
			continue;
		snprintf(want, sizeof(want), " %lld\n", (long long)st.v[i]);
		ck_assert_msg(strstr(s, want) != NULL, "counter %s not exposed",
		    stats_table[i].name);
		ck_assert_msg(strstr(strstr(s, want) + 1, want) == NULL,
		    "counter %s exposed twice", stats_table[i].name);
	}
	ck_assert_ptr_nonnull(strstr(s,
	    "# TYPE smtpproxy_sessions_active gauge\n"
	    "smtpproxy_sessions_active 7000008\n"));
	ck_assert_ptr_nonnull(strstr(s,
	    "smtpproxy_alarms_total{id=\"smtp:241\",name=\"bare-line-ending\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_build_info{version=\""
	    PACKAGE_VERSION "\"} 1\n"));
	free(s);
	evbuffer_free(b);
}
END_TEST

START_TEST(test_histogram)
{
	struct evbuffer	*b = evbuffer_new();
	struct stats	 st;
	char		*s;

	memset(&st, 0, sizeof(st));
	st.hist[STATS_ENGINE_CLAMD][0] = 2;		/* <= 1 ms */
	st.hist[STATS_ENGINE_CLAMD][5] = 3;		/* <= 50 ms */
	st.hist[STATS_ENGINE_CLAMD][STATS_NBUCKETS] = 1;	/* > 10 s */
	st.hist_usec[STATS_ENGINE_CLAMD] = 12500000;
	ck_assert_int_eq(metrics_render(b, &st), 0);
	s = text_of(b);
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_bucket"
	    "{engine=\"clamd\",le=\"0.001\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_bucket"
	    "{engine=\"clamd\",le=\"0.025\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_bucket"
	    "{engine=\"clamd\",le=\"0.05\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_bucket"
	    "{engine=\"clamd\",le=\"10\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_bucket"
	    "{engine=\"clamd\",le=\"+Inf\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_sum"
	    "{engine=\"clamd\"} 12.500000\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_count"
	    "{engine=\"clamd\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(s, "smtpproxy_scan_duration_seconds_count"
	    "{engine=\"filetypes\"} 0\n"));
	free(s);
	evbuffer_free(b);
}
END_TEST

/* stats_observe() files a duration under the first bound it fits. */
START_TEST(test_observe)
{
	struct stats	 before, after;

	stats_sum(&before);
	stats_observe(STATS_ENGINE_LIBCLAMAV, 1000);	/* 1 ms: first */
	stats_observe(STATS_ENGINE_LIBCLAMAV, 1001);	/* next */
	stats_observe(STATS_ENGINE_LIBCLAMAV, 60000000);	/* +Inf */
	stats_sum(&after);
	ck_assert_int_eq(after.hist[STATS_ENGINE_LIBCLAMAV][0] -
	    before.hist[STATS_ENGINE_LIBCLAMAV][0], 1);
	ck_assert_int_eq(after.hist[STATS_ENGINE_LIBCLAMAV][1] -
	    before.hist[STATS_ENGINE_LIBCLAMAV][1], 1);
	ck_assert_int_eq(after.hist[STATS_ENGINE_LIBCLAMAV][STATS_NBUCKETS] -
	    before.hist[STATS_ENGINE_LIBCLAMAV][STATS_NBUCKETS], 1);
	ck_assert_int_eq(after.hist_usec[STATS_ENGINE_LIBCLAMAV] -
	    before.hist_usec[STATS_ENGINE_LIBCLAMAV], 60002001);
}
END_TEST

static Suite *
metrics_suite(void)
{
	Suite	*s = suite_create("metrics");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_label, 0, TU_NELEM(label_vecs));
	tcase_add_test(tc, test_every_counter);
	tcase_add_test(tc, test_histogram);
	tcase_add_test(tc, test_observe);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(metrics_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
