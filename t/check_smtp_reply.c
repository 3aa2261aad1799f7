/*
 * Unit tests for the reply parser (src/smtp_reply.c), fed through the
 * line reader as the upstream side does.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_line.h"
#include "smtp_reply.h"

#include "check_util.h"

#define MAXTEXT	4

struct reply_vec {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	int		 rc;		/* 1 done, 0 more, -1 bad */
	int		 code;		/* when rc is 1 */
	int		 nlines;
	const char	*text[MAXTEXT];
};

static const struct reply_vec reply_vecs[] = {
	/* Valid replies (RFC 5321 §4.2). */
	{ "greeting", TU_S("220 mx.example.org ESMTP\r\n"), 1, 220, 1,
	    { "mx.example.org ESMTP" } },
	{ "multi-line EHLO", TU_S("250-mx.example.org\r\n250-SIZE 10240000\r\n"
	    "250-PIPELINING\r\n250 HELP\r\n"), 1, 250, 4,
	    { "mx.example.org", "SIZE 10240000", "PIPELINING", "HELP" } },
	{ "code only", TU_S("250\r\n"), 1, 250, 1, { "" } },
	{ "code and space", TU_S("250 \r\n"), 1, 250, 1, { "" } },
	{ "empty continuation", TU_S("250-\r\n250 ok\r\n"), 1, 250, 2,
	    { "", "ok" } },
	{ "code-only continuation", TU_S("250-a\r\n250\r\n"), 1, 250, 2,
	    { "a", "" } },
	{ "354", TU_S("354 End data with <CR><LF>.<CR><LF>\r\n"), 1, 354, 1,
	    { "End data with <CR><LF>.<CR><LF>" } },
	{ "enhanced code", TU_S("421 4.4.2 closing\r\n"), 1, 421, 1,
	    { "4.4.2 closing" } },
	{ "tab in text", TU_S("250 ok\tfine\r\n"), 1, 250, 1,
	    { "ok\tfine" } },
	{ "UTF-8 text", TU_S("250 d\xc3\xa9j\xc3\xa0\r\n"), 1, 250, 1,
	    { "d\xc3\xa9j\xc3\xa0" } },
	{ "lowest code", TU_S("200 x\r\n"), 1, 200, 1, { "x" } },
	{ "highest code", TU_S("559 x\r\n"), 1, 559, 1, { "x" } },
	{ "space after hyphen", TU_S("250- a\r\n250 b\r\n"), 1, 250, 2,
	    { " a", "b" } },
	{ "stops at the last line", TU_S("250 one\r\n250 two\r\n"), 1, 250, 1,
	    { "one" } },

	/* Incomplete. */
	{ "continuation only", TU_S("250-a\r\n"), 0, 0, 0, { NULL } },
	{ "no CRLF", TU_S("250 ok"), 0, 0, 0, { NULL } },
	{ "held CR", TU_S("250 ok\r"), 0, 0, 0, { NULL } },
	{ "bare LF endings", TU_S("250-a\n250 b\n"), 0, 0, 0, { NULL } },

	/* Invalid (smtp:246, smtp:219). */
	{ "empty line", TU_S("\r\n"), -1, 0, 0, { NULL } },
	{ "code 600", TU_S("600 x\r\n"), -1, 0, 0, { NULL } },
	{ "code 199", TU_S("199 x\r\n"), -1, 0, 0, { NULL } },
	{ "code 100", TU_S("100 x\r\n"), -1, 0, 0, { NULL } },
	{ "code 000", TU_S("000 x\r\n"), -1, 0, 0, { NULL } },
	{ "second digit 6", TU_S("260 x\r\n"), -1, 0, 0, { NULL } },
	{ "two digits", TU_S("25 x\r\n"), -1, 0, 0, { NULL } },
	{ "two digits alone", TU_S("25\r\n"), -1, 0, 0, { NULL } },
	{ "four digits", TU_S("2500 x\r\n"), -1, 0, 0, { NULL } },
	{ "letter after code", TU_S("250x\r\n"), -1, 0, 0, { NULL } },
	{ "letter in code", TU_S("2a0 x\r\n"), -1, 0, 0, { NULL } },
	{ "leading space", TU_S(" 250 x\r\n"), -1, 0, 0, { NULL } },
	{ "tab after code", TU_S("250\tx\r\n"), -1, 0, 0, { NULL } },
	{ "text only", TU_S("hello\r\n"), -1, 0, 0, { NULL } },
	{ "code change", TU_S("250-a\r\n251 b\r\n"), -1, 0, 0, { NULL } },
	{ "class change", TU_S("250-a\r\n550 b\r\n"), -1, 0, 0, { NULL } },
	{ "bad continuation", TU_S("250-a\r\n250b\r\n"), -1, 0, 0, { NULL } },
	{ "empty continuation line", TU_S("250-a\r\n\r\n"), -1, 0, 0,
	    { NULL } },
	{ "NUL in text", TU_S("250 a\0b\r\n"), -1, 0, 0, { NULL } },
	{ "NUL in code", TU_S("2\00050 x\r\n"), -1, 0, 0, { NULL } },
	{ "control in text", TU_S("250 a\x01\r\n"), -1, 0, 0, { NULL } },
	{ "DEL in text", TU_S("250 a\x7f\r\n"), -1, 0, 0, { NULL } },
	{ "escape in text", TU_S("250 \x1b[2J\r\n"), -1, 0, 0, { NULL } },
	{ "bare CR in text", TU_S("250 a\rb\r\n"), -1, 0, 0, { NULL } },
	{ "bare LF in text", TU_S("250 a\n250 b\r\n"), -1, 0, 0, { NULL } },
	{ "bare LF ending, CRLF later", TU_S("250-a\n250 b\n\r\n"), -1, 0, 0,
	    { NULL } },
	{ "binary", TU_S("\xff\xfe\xfd\r\n"), -1, 0, 0, { NULL } },
};

struct reply_got {
	int	 rc;
	int	 code;
	int	 nlines;
	char	 text[MAXTEXT][64];
};

/* Feed v under schedule s through smtp_line (limit 512) and the parser. */
static void
reply_run(const struct reply_vec *v, const struct tu_sched *s,
    struct reply_got *g)
{
	struct smtp_line	 l;
	struct smtp_reply	 r;
	const char		*errstr;
	size_t			 pos = 0, n, used;
	int			 i, rc = 0;

	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(smtp_line_init(&l, 512), 0);
	smtp_reply_init(&r);
	while (rc == 0 && (n = tu_sched_next(s, pos, v->inlen)) > 0) {
		if (smtp_line_parse(&l, v->in + pos, n, &used) == 1) {
			errstr = NULL;
			rc = smtp_reply_line(&r, l.buf, l.len, &errstr);
			ck_assert_msg(rc != -1 || errstr != NULL,
			    "%s: error without errstr", v->name);
		}
		pos += used;
	}
	g->rc = rc;
	g->code = r.code;
	g->nlines = r.nlines;
	for (i = 0; rc == 1 && i < r.nlines && i < MAXTEXT; i++)
		snprintf(g->text[i], sizeof(g->text[i]), "%s",
		    smtp_reply_text(&r, i));
	smtp_reply_free(&r);
	smtp_line_free(&l);
}

START_TEST(test_reply_vectors)
{
	const struct reply_vec	*v = &reply_vecs[_i];
	struct tu_sched		 s;
	struct reply_got	 g;
	size_t			 k;
	int			 i;

	for (k = 0; k < tu_sched_count(v->inlen); k++) {
		tu_sched_get(k, v->inlen, &s);
		reply_run(v, &s, &g);
		ck_assert_msg(g.rc == v->rc, "%s (%s): rc %d, expected %d",
		    v->name, s.desc, g.rc, v->rc);
		if (v->rc != 1)
			continue;
		ck_assert_msg(g.code == v->code, "%s: code %d", v->name,
		    g.code);
		ck_assert_msg(g.nlines == v->nlines, "%s: %d lines", v->name,
		    g.nlines);
		for (i = 0; i < g.nlines && i < MAXTEXT; i++)
			ck_assert_msg(strcmp(g.text[i], v->text[i]) == 0,
			    "%s (%s): line %d \"%s\", expected \"%s\"",
			    v->name, s.desc, i, g.text[i], v->text[i]);
	}
}
END_TEST

/* SMTP_REPLY_MAXLINES lines are a reply; one more is not. */
START_TEST(test_reply_max_lines)
{
	struct smtp_reply	 r;
	const char		*errstr;
	char			 line[32];
	int			 i, rc, extra;

	smtp_reply_init(&r);
	for (extra = 0; extra <= 1; extra++) {
		smtp_reply_clear(&r);
		for (i = 0; i < SMTP_REPLY_MAXLINES - 1 + extra; i++) {
			snprintf(line, sizeof(line), "250-line %d", i);
			rc = smtp_reply_line(&r, line, strlen(line), &errstr);
			ck_assert_int_eq(rc, 0);
		}
		rc = smtp_reply_line(&r, "250 last", 8, &errstr);
		if (extra) {
			ck_assert_int_eq(rc, -1);
			ck_assert_str_eq(errstr, "too many reply lines");
		} else {
			ck_assert_int_eq(rc, 1);
			ck_assert_int_eq(r.nlines, SMTP_REPLY_MAXLINES);
			ck_assert_str_eq(smtp_reply_text(&r, 0), "line 0");
			ck_assert_str_eq(smtp_reply_text(&r, 126), "line 126");
			ck_assert_str_eq(smtp_reply_text(&r,
			    SMTP_REPLY_MAXLINES - 1), "last");
		}
	}
	smtp_reply_free(&r);
}
END_TEST

/* clear() starts a new reply with the buffer kept; text() is bounded. */
START_TEST(test_reply_clear)
{
	struct smtp_reply	 r;
	const char		*errstr;

	smtp_reply_init(&r);
	ck_assert_str_eq(smtp_reply_text(&r, 0), "");
	ck_assert_int_eq(smtp_reply_line(&r, "250-a", 5, &errstr), 0);
	ck_assert_int_eq(smtp_reply_line(&r, "250 b", 5, &errstr), 1);
	ck_assert_str_eq(smtp_reply_text(&r, 1), "b");
	ck_assert_str_eq(smtp_reply_text(&r, 2), "");
	ck_assert_str_eq(smtp_reply_text(&r, -1), "");
	/* Line starts are kept for the lines there are, not the limit. */
	ck_assert_int_le(r.offcap, 8);
	smtp_reply_clear(&r);
	ck_assert_int_eq(r.code, 0);
	ck_assert_int_eq(r.nlines, 0);
	/* A different code is fine in the next reply. */
	ck_assert_int_eq(smtp_reply_line(&r, "550 5.1.1 no", 12, &errstr), 1);
	ck_assert_int_eq(r.code, 550);
	ck_assert_str_eq(smtp_reply_text(&r, 0), "5.1.1 no");
	smtp_reply_free(&r);
	ck_assert_ptr_null(r.text);
	smtp_reply_free(&r);
}
END_TEST

/* Long lines grow the text buffer without losing earlier lines. */
START_TEST(test_reply_long_lines)
{
	struct smtp_reply	 r;
	const char		*errstr;
	char			 line[600];
	int			 i;

	smtp_reply_init(&r);
	memset(line, 'x', sizeof(line));
	memcpy(line, "250-", 4);
	for (i = 0; i < 20; i++) {
		line[4] = (char)('a' + i);
		ck_assert_int_eq(smtp_reply_line(&r, line, sizeof(line),
		    &errstr), 0);
	}
	for (i = 0; i < 20; i++) {
		ck_assert_uint_eq(strlen(smtp_reply_text(&r, i)),
		    sizeof(line) - 4);
		ck_assert_int_eq(smtp_reply_text(&r, i)[0], 'a' + i);
	}
	smtp_reply_free(&r);
}
END_TEST

static Suite *
smtp_reply_suite(void)
{
	Suite	*s = suite_create("smtp_reply");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_reply_vectors, 0, TU_NELEM(reply_vecs));
	tcase_add_test(tc, test_reply_max_lines);
	tcase_add_test(tc, test_reply_clear);
	tcase_add_test(tc, test_reply_long_lines);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(smtp_reply_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
