/*
 * Unit tests for the CRLF line reader (src/smtp_line.c).
 */
#include "autoconf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_line.h"

#include "check_util.h"

#define F_CR	SMTP_LINE_BARE_CR
#define F_LF	SMTP_LINE_BARE_LF
#define F_NUL	SMTP_LINE_NUL
#define F_OVER	SMTP_LINE_OVERFLOW

#define MAXLINES	8

struct line_exp {
	const char	*s;	/* the bytes kept */
	size_t		 len;
	int		 flags;
	size_t		 total;	/* 0: same as len */
};

/* A complete line that fits: bytes, flags. */
#define L(s, f)		{ TU_S(s), (f), 0 }
/* An overflowing line: bytes kept, flags, bytes seen. */
#define LO(s, f, t)	{ TU_S(s), (f) | F_OVER, (t) }

struct line_vec {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	size_t		 max;
	size_t		 pending;	/* bytes of a partial line */
	int		 nlines;
	struct line_exp	 lines[MAXLINES];
};

static const struct line_vec line_vecs[] = {
	{ "one command", TU_S("HELO example.org\r\n"), 512, 0,
	    1, { L("HELO example.org", 0) } },
	{ "pipelined", TU_S("MAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>"
	    "\r\nDATA\r\n"), 512, 0,
	    3, { L("MAIL FROM:<a@b.example>", 0), L("RCPT TO:<c@d.example>", 0),
	    L("DATA", 0) } },
	{ "empty line", TU_S("\r\n"), 512, 0, 1, { L("", 0) } },
	{ "empty lines", TU_S("\r\n\r\nX\r\n"), 512, 0,
	    3, { L("", 0), L("", 0), L("X", 0) } },
	{ "bare LF kept", TU_S("A\nB\r\n"), 512, 0,
	    1, { L("A\nB", F_LF) } },
	{ "bare LF only", TU_S("\n\n\r\n"), 512, 0,
	    1, { L("\n\n", F_LF) } },
	{ "bare LF does not end a line", TU_S("QUIT\nNOOP\r\n"), 512, 0,
	    1, { L("QUIT\nNOOP", F_LF) } },
	{ "bare CR kept", TU_S("A\rB\r\n"), 512, 0,
	    1, { L("A\rB", F_CR) } },
	{ "CR CR LF", TU_S("A\r\r\n"), 512, 0,
	    1, { L("A\r", F_CR) } },
	{ "LF CR LF", TU_S("A\n\r\n"), 512, 0,
	    1, { L("A\n", F_LF) } },
	{ "LF CR", TU_S("A\n\rB\r\n"), 512, 0,
	    1, { L("A\n\rB", F_LF | F_CR) } },
	{ "CR dot CR", TU_S("A\r.\rB\r\n"), 512, 0,
	    1, { L("A\r.\rB", F_CR) } },
	{ "NUL kept", TU_S("A\0B\r\n"), 512, 0,
	    1, { L("A\0B", F_NUL) } },
	{ "NUL between CR and LF", TU_S("A\r\0\nB\r\n"), 512, 0,
	    1, { L("A\r\0\nB", F_CR | F_NUL | F_LF) } },
	{ "NUL line", TU_S("\0\r\n"), 512, 0, 1, { L("\0", F_NUL) } },
	{ "binary", TU_S("\xff\xfe\x01\x7f\r\n"), 512, 0,
	    1, { L("\xff\xfe\x01\x7f", 0) } },
	{ "at the limit", TU_S("012345\r\n"), 8, 0,
	    1, { L("012345", 0) } },
	{ "one over the limit", TU_S("0123456\r\nok\r\n"), 8, 0,
	    2, { LO("0123456", 0, 7), L("ok", 0) } },
	{ "overflow", TU_S("0123456789\r\nok\r\n"), 8, 0,
	    2, { LO("01234567", 0, 10), L("ok", 0) } },
	{ "overflow with bare CR discarded", TU_S("abcdef\rgh\r\nX\r\n"), 4, 0,
	    2, { LO("abcd", F_CR, 9), L("X", 0) } },
	{ "long overflow", TU_S("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n"
	    "bb\r\n"), 4, 0,
	    2, { LO("aaaa", 0, 40), L("bb", 0) } },
	{ "overflow then partial", TU_S("abcdefgh\r\nabcdef"), 4, 6,
	    1, { LO("abcd", 0, 8) } },
	{ "partial", TU_S("QUIT"), 512, 4, 0, { L("", 0) } },
	{ "partial ending in CR", TU_S("QUIT\r"), 512, 5, 0, { L("", 0) } },
	{ "partial ending in CR CR", TU_S("A\r\r"), 512, 3, 0, { L("", 0) } },
	{ "line then partial CR", TU_S("A\r\nB\r"), 512, 2,
	    1, { L("A", 0) } },
	{ "garbage", TU_S("\x1b[31m\t\b\r\n"), 512, 0,
	    1, { L("\x1b[31m\t\b", 0) } },
	{ "CRLF dot CRLF", TU_S("\r\n.\r\n"), 512, 0,
	    2, { L("", 0), L(".", 0) } },
};

struct line_got {
	int	 nlines;
	char	 s[MAXLINES][64];
	size_t	 len[MAXLINES];
	int	 flags[MAXLINES];
	size_t	 total[MAXLINES];
	size_t	 pending;
};

/* Run v under schedule s and collect the lines. */
static void
line_run(const struct line_vec *v, const struct tu_sched *s,
    struct line_got *g)
{
	struct smtp_line	 l;
	size_t			 pos = 0, n, used;
	int			 rc;

	memset(g, 0, sizeof(*g));
	ck_assert_int_eq(smtp_line_init(&l, v->max), 0);
	while ((n = tu_sched_next(s, pos, v->inlen)) > 0) {
		used = (size_t)-1;
		rc = smtp_line_parse(&l, v->in + pos, n, &used);
		ck_assert_msg(rc == 0 || rc == 1, "%s: rc %d", v->name, rc);
		ck_assert_msg(used <= n, "%s (%s): used %zu of %zu", v->name,
		    s->desc, used, n);
		ck_assert_msg(rc == 1 || used == n, "%s (%s): rc 0 used %zu "
		    "of %zu", v->name, s->desc, used, n);
		ck_assert_msg(l.len <= v->max && l.buf[l.len] == '\0',
		    "%s: buffer bound", v->name);
		pos += used;
		if (rc != 1)
			continue;
		ck_assert_msg(used > 0, "%s: line from no bytes", v->name);
		ck_assert_int_lt(g->nlines, MAXLINES);
		ck_assert_uint_lt(l.len, sizeof(g->s[0]));
		memcpy(g->s[g->nlines], l.buf, l.len);
		g->len[g->nlines] = l.len;
		g->flags[g->nlines] = l.flags;
		g->total[g->nlines] = l.total;
		g->nlines++;
	}
	g->pending = l.done ? 0 : l.total + (size_t)l.cr;
	smtp_line_free(&l);
	ck_assert_ptr_null(l.buf);
}

START_TEST(test_line_vectors)
{
	const struct line_vec	*v = &line_vecs[_i];
	struct tu_sched		 s;
	struct line_got		 g;
	const struct line_exp	*e;
	size_t			 k, total;
	int			 j;

	for (k = 0; k < tu_sched_count(v->inlen); k++) {
		tu_sched_get(k, v->inlen, &s);
		line_run(v, &s, &g);
		ck_assert_msg(g.nlines == v->nlines, "%s (%s): %d lines, "
		    "expected %d", v->name, s.desc, g.nlines, v->nlines);
		for (j = 0; j < g.nlines; j++) {
			e = &v->lines[j];
			total = e->total ? e->total : e->len;
			ck_assert_msg(tu_eq(g.s[j], g.len[j], e->s, e->len),
			    "%s (%s): line %d \"%s\", expected \"%s\"",
			    v->name, s.desc, j, tu_esc(g.s[j], g.len[j]),
			    tu_esc(e->s, e->len));
			ck_assert_msg(g.flags[j] == e->flags, "%s (%s): line "
			    "%d flags %#x, expected %#x", v->name, s.desc, j,
			    g.flags[j], e->flags);
			ck_assert_msg(g.total[j] == total, "%s (%s): line %d "
			    "total %zu, expected %zu", v->name, s.desc, j,
			    g.total[j], total);
		}
		ck_assert_msg(g.pending == v->pending, "%s (%s): pending %zu, "
		    "expected %zu", v->name, s.desc, g.pending, v->pending);
	}
}
END_TEST

/* One call returns at most one line and stops right after its CRLF. */
START_TEST(test_line_stops_after_crlf)
{
	static const char	 in[] = "A\r\nB\r\n";
	struct smtp_line	 l;
	size_t			 used;

	ck_assert_int_eq(smtp_line_init(&l, 512), 0);
	ck_assert_int_eq(smtp_line_parse(&l, in, 6, &used), 1);
	ck_assert_uint_eq(used, 3);
	ck_assert_str_eq(l.buf, "A");
	ck_assert_int_eq(smtp_line_parse(&l, in + 3, 3, &used), 1);
	ck_assert_uint_eq(used, 3);
	ck_assert_str_eq(l.buf, "B");
	ck_assert_int_eq(smtp_line_parse(&l, in, 0, &used), 0);
	ck_assert_uint_eq(used, 0);
	ck_assert_uint_eq(l.len, 0);
	smtp_line_free(&l);
}
END_TEST

/* reset forgets a partial line, including a held CR (RFC 3207 §5). */
START_TEST(test_line_reset)
{
	struct smtp_line	 l;
	size_t			 used;

	ck_assert_int_eq(smtp_line_init(&l, 512), 0);
	ck_assert_int_eq(smtp_line_parse(&l, "EHLO x\r", 7, &used), 0);
	smtp_line_reset(&l);
	ck_assert_int_eq(smtp_line_parse(&l, "\nQUIT\r\n", 7, &used), 1);
	ck_assert_uint_eq(used, 7);
	ck_assert_str_eq(l.buf, "\nQUIT");
	ck_assert_int_eq(l.flags, SMTP_LINE_BARE_LF);
	smtp_line_reset(&l);
	ck_assert_int_eq(smtp_line_parse(&l, "\0\0\0", 3, &used), 0);
	smtp_line_reset(&l);
	ck_assert_int_eq(smtp_line_parse(&l, "OK\r\n", 4, &used), 1);
	ck_assert_str_eq(l.buf, "OK");
	ck_assert_int_eq(l.flags, 0);
	smtp_line_free(&l);
	smtp_line_free(&l);	/* twice is harmless */
}
END_TEST

/* A 1 MB line never makes the buffer grow past max. */
START_TEST(test_line_bounded)
{
	struct smtp_line	 l;
	char			*big;
	size_t			 n = 1 << 20, pos = 0, used;
	int			 rc = 0;

	big = malloc(n + 2);
	ck_assert_ptr_nonnull(big);
	memset(big, 'x', n);
	big[n] = '\r';
	big[n + 1] = '\n';
	ck_assert_int_eq(smtp_line_init(&l, 512), 0);
	while (pos < n + 2) {
		rc = smtp_line_parse(&l, big + pos,
		    n + 2 - pos < 1000 ? n + 2 - pos : 1000, &used);
		ck_assert_uint_le(l.len, 512);
		pos += used;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(l.len, 512);
	ck_assert_uint_eq(l.total, n);
	ck_assert_int_eq(l.flags, SMTP_LINE_OVERFLOW);
	smtp_line_free(&l);
	free(big);
}
END_TEST

/*
 * The buffer grows with the line up to max, keeps a long line whole, and
 * is small again for the next line: an idle reader does not hold max.
 */
START_TEST(test_line_grows)
{
	struct smtp_line	 l;
	char			*big;
	size_t			 n = 40000, pos = 0, used, step;
	int			 rc = 0, pass;

	big = malloc(n + 8);
	ck_assert_ptr_nonnull(big);
	for (pos = 0; pos < n; pos++)
		big[pos] = (char)('a' + pos % 26);
	memcpy(big + n, "\r\nQUIT\r\n", 8);
	for (pass = 0; pass < 2; pass++) {
		step = pass == 0 ? n + 8 : 1;	/* whole, byte at a time */
		ck_assert_int_eq(smtp_line_init(&l, 65536), 0);
		ck_assert_uint_le(l.cap, 1024);
		pos = 0;
		do {
			rc = smtp_line_parse(&l, big + pos,
			    n + 8 - pos < step ? n + 8 - pos : step, &used);
			pos += used;
		} while (rc == 0 && pos < n + 8);
		ck_assert_int_eq(rc, 1);
		ck_assert_uint_eq(l.len, n);
		ck_assert_uint_eq(l.total, n);
		ck_assert_int_eq(l.flags, 0);
		ck_assert_int_eq(memcmp(l.buf, big, n), 0);
		ck_assert_int_eq(l.buf[n], '\0');
		do {
			rc = smtp_line_parse(&l, big + pos,
			    n + 8 - pos < step ? n + 8 - pos : step, &used);
			pos += used;
		} while (rc == 0 && pos < n + 8);
		ck_assert_int_eq(rc, 1);
		ck_assert_str_eq(l.buf, "QUIT");
		ck_assert_uint_le(l.cap, 1024);
		smtp_line_free(&l);
	}
	free(big);
}
END_TEST

static Suite *
smtp_line_suite(void)
{
	Suite	*s = suite_create("smtp_line");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_line_vectors, 0, TU_NELEM(line_vecs));
	tcase_add_test(tc, test_line_stops_after_crlf);
	tcase_add_test(tc, test_line_reset);
	tcase_add_test(tc, test_line_bounded);
	tcase_add_test(tc, test_line_grows);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(smtp_line_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
