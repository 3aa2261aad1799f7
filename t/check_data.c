/*
 * Unit tests for the DATA body parser (src/data.c).
 *
 * The smuggling vectors (SPEC §3; CVE-2023-51764, CVE-2023-51765,
 * CVE-2023-51766) put a fake end of data between "a" and "b", followed
 * by the real one: the message must end only at the real one, and the
 * wire form must hold no end of data of its own.
 */
#include "autoconf.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"

#include "check_util.h"

#define D_CR	DATA_BARE_CR
#define D_LF	DATA_BARE_LF
#define D_NUL	DATA_NUL
#define D_LONG	DATA_LONG_LINE

#define ALL	((size_t)-1)	/* used: the whole input */

struct data_vec {
	const char	*name;
	const char	*in;
	size_t		 inlen;
	size_t		 max_line;
	int		 rc;		/* 1: end of data reached */
	size_t		 used;		/* consumed; ALL: inlen */
	const char	*wire;		/* output with stuff = 1 */
	size_t		 wirelen;
	const char	*text;		/* output with stuff = 0 */
	size_t		 textlen;
	int		 flags;
};

static const struct data_vec data_vecs[] = {
	/* RFC 5321 §4.1.1.4 and §4.5.2. */
	{ "empty body", TU_S(".\r\n"), 0, 1, ALL,
	    TU_S(""), TU_S(""), 0 },
	{ "one line", TU_S("hello\r\n.\r\n"), 0, 1, ALL,
	    TU_S("hello\r\n"), TU_S("hello\r\n"), 0 },
	{ "empty line", TU_S("\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n"), TU_S("\r\n"), 0 },
	{ "empty lines", TU_S("\r\n\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n\r\n"), TU_S("\r\n\r\n"), 0 },
	{ "headers and body", TU_S("Subject: x\r\n\r\nbody\r\n.\r\n"), 0, 1,
	    ALL, TU_S("Subject: x\r\n\r\nbody\r\n"),
	    TU_S("Subject: x\r\n\r\nbody\r\n"), 0 },
	{ "stuffed dot", TU_S("..\r\n.\r\n"), 0, 1, ALL,
	    TU_S("..\r\n"), TU_S(".\r\n"), 0 },
	{ "stuffed dot text", TU_S("a\r\n..b\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..b\r\n"), TU_S("a\r\n.b\r\n"), 0 },
	{ "three dots", TU_S("a\r\n...\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n...\r\n"), TU_S("a\r\n..\r\n"), 0 },
	{ "unstuffed dot removed", TU_S("a\r\n.b\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\nb\r\n"), TU_S("a\r\nb\r\n"), 0 },
	{ "dot space", TU_S("a\r\n. \r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n \r\n"), TU_S("a\r\n \r\n"), 0 },
	{ "dot tab", TU_S("a\r\n.\t\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\t\r\n"), TU_S("a\r\n\t\r\n"), 0 },
	{ "space dot", TU_S("a\r\n .\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n .\r\nb\r\n"), TU_S("a\r\n .\r\nb\r\n"), 0 },
	{ "dot inside a line", TU_S("a.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a.\r\nb\r\n"), TU_S("a.\r\nb\r\n"), 0 },
	{ "binary", TU_S("\xff\xfe\x80\x01\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\xff\xfe\x80\x01\r\n"), TU_S("\xff\xfe\x80\x01\r\n"), 0 },
	{ "data after the end", TU_S("a\r\n.\r\nQUIT\r\n"), 0, 1, 6,
	    TU_S("a\r\n"), TU_S("a\r\n"), 0 },
	{ "pipelined after the end", TU_S(".\r\nMAIL FROM:<>\r\n"), 0, 1, 3,
	    TU_S(""), TU_S(""), 0 },

	/* No end yet: bytes that might be the terminator are held. */
	{ "no terminator", TU_S("a\r\nb\r\n"), 0, 0, ALL,
	    TU_S("a\r\nb\r\n"), TU_S("a\r\nb\r\n"), 0 },
	{ "no CRLF", TU_S("abc"), 0, 0, ALL,
	    TU_S("abc"), TU_S("abc"), 0 },
	{ "held CR", TU_S("a\r"), 0, 0, ALL,
	    TU_S("a"), TU_S("a"), 0 },
	{ "held dot", TU_S("a\r\n."), 0, 0, ALL,
	    TU_S("a\r\n"), TU_S("a\r\n"), 0 },
	{ "held dot CR", TU_S("a\r\n.\r"), 0, 0, ALL,
	    TU_S("a\r\n"), TU_S("a\r\n"), 0 },
	{ "held dot at start", TU_S("."), 0, 0, ALL,
	    TU_S(""), TU_S(""), 0 },
	{ "empty input", TU_S(""), 0, 0, ALL, TU_S(""), TU_S(""), 0 },

	/* Smuggling: a fake end of data between "a" and "b". */
	{ "LF . LF", TU_S("a\n.\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_LF },
	{ "LF . CRLF", TU_S("a\n.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_LF },
	{ "CRLF . LF", TU_S("a\r\n.\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\nb\r\n"), TU_S("a\r\n\r\nb\r\n"), D_LF },
	{ "CR . CR", TU_S("a\r.\rb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_CR },
	{ "CR . LF", TU_S("a\r.\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_CR | D_LF },
	{ "LF . CR", TU_S("a\n.\rb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_CR | D_LF },
	{ "CR . CRLF", TU_S("a\r.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_CR },
	{ "CRLF NUL . CRLF", TU_S("a\r\n\0.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n..\r\nb\r\n"), TU_S("a\r\n.\r\nb\r\n"), D_NUL },
	{ "CRLF . NUL CRLF", TU_S("a\r\n.\0\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\nb\r\n"), TU_S("a\r\n\r\nb\r\n"), D_NUL },
	{ "CRLF . CR NUL LF", TU_S("a\r\n.\r\0\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n\r\nb\r\n"), TU_S("a\r\n\r\n\r\nb\r\n"),
	    D_CR | D_NUL | D_LF },
	{ "CR NUL LF . CRLF", TU_S("a\r\0\n.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n..\r\nb\r\n"), TU_S("a\r\n\r\n.\r\nb\r\n"),
	    D_CR | D_NUL | D_LF },
	{ "CRLF . CR CR", TU_S("a\r\n.\r\rb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n\r\nb\r\n"), TU_S("a\r\n\r\n\r\nb\r\n"), D_CR },
	{ "CRLF . CR CRLF", TU_S("a\r\n.\r\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n\r\nb\r\n"), TU_S("a\r\n\r\n\r\nb\r\n"), D_CR },
	{ "CRLF . CR . CRLF", TU_S("a\r\n.\r.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n..\r\nb\r\n"), TU_S("a\r\n\r\n.\r\nb\r\n"), D_CR },
	{ "CRLF . CR text", TU_S("a\r\n.\rx\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\nx\r\n"), TU_S("a\r\n\r\nx\r\n"), D_CR },
	{ "CRLF . LF . CRLF", TU_S("a\r\n.\n.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n..\r\nb\r\n"), TU_S("a\r\n\r\n.\r\nb\r\n"), D_LF },
	{ "CRLF LF . CRLF", TU_S("a\r\n\n.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n..\r\nb\r\n"), TU_S("a\r\n\r\n.\r\nb\r\n"), D_LF },
	{ "CRLF CR . CRLF", TU_S("a\r\n\r.\r\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n..\r\nb\r\n"), TU_S("a\r\n\r\n.\r\nb\r\n"), D_CR },
	{ "LF LF . LF LF", TU_S("a\n\n.\n\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n..\r\n\r\nb\r\n"), TU_S("a\r\n\r\n.\r\n\r\nb\r\n"),
	    D_LF },
	{ "LF . LF at the start", TU_S("\n.\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n..\r\nb\r\n"), TU_S("\r\n.\r\nb\r\n"), D_LF },
	{ "LF . CRLF at the start", TU_S("\n.\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n..\r\n"), TU_S("\r\n.\r\n"), D_LF },
	{ "CR . CRLF at the start", TU_S("\r.\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n..\r\n"), TU_S("\r\n.\r\n"), D_CR },
	{ "NUL . CRLF at the start", TU_S("\0.\r\n.\r\n"), 0, 1, ALL,
	    TU_S("..\r\n"), TU_S(".\r\n"), D_NUL },
	{ ". LF at the start", TU_S(".\nb\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\nb\r\n"), TU_S("\r\nb\r\n"), D_LF },
	{ ". CR . at the start", TU_S(".\r.\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n..\r\n"), TU_S("\r\n.\r\n"), D_CR },
	{ "only bare LF, no end", TU_S("a\n.\n"), 0, 0, ALL,
	    TU_S("a\r\n..\r\n"), TU_S("a\r\n.\r\n"), D_LF },
	{ "only bare CR, no end", TU_S("a\r.\r"), 0, 0, ALL,
	    TU_S("a\r\n.."), TU_S("a\r\n."), D_CR },
	{ "CR . CR LF... no end", TU_S("a\r.\r\n"), 0, 0, ALL,
	    TU_S("a\r\n..\r\n"), TU_S("a\r\n.\r\n"), D_CR },

	/* The real end after a bare line end is still the real end. */
	{ "CR before CRLF . CRLF", TU_S("a\r\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n"), TU_S("a\r\n\r\n"), D_CR },
	{ "LF before CRLF . CRLF", TU_S("a\n\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\r\n\r\n"), TU_S("a\r\n\r\n"), D_LF },
	{ "NUL before CRLF . CRLF", TU_S("a\0\r\n.\r\n"), 0, 1, ALL,
	    TU_S("a\0\r\n"), TU_S("a\0\r\n"), DATA_NUL_TEXT },
	{ "NUL inside a line is kept", TU_S("abc\0def\r\n.\r\n"), 0, 1, ALL,
	    TU_S("abc\0def\r\n"), TU_S("abc\0def\r\n"), DATA_NUL_TEXT },
	{ "CR CR LF . CRLF at the start", TU_S("\r\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n\r\n"), TU_S("\r\n\r\n"), D_CR },
	{ "NULs only", TU_S("\0\0\0\r\n.\r\n"), 0, 1, ALL,
	    TU_S("\r\n"), TU_S("\r\n"), D_NUL },

	/* Line length (RFC 5321 §4.5.3.1.6), CRLF included. */
	{ "line at the limit", TU_S("01234567\r\n.\r\n"), 10, 1, ALL,
	    TU_S("01234567\r\n"), TU_S("01234567\r\n"), 0 },
	{ "line over the limit", TU_S("012345678\r\n.\r\n"), 10, 1, ALL,
	    TU_S("012345678\r\n"), TU_S("012345678\r\n"), D_LONG },
	{ "stuffed dot counts", TU_S("..1234567\r\n.\r\n"), 10, 1, ALL,
	    TU_S("..1234567\r\n"), TU_S(".1234567\r\n"), D_LONG },
	{ "bare LF splits lines", TU_S("01234567\n01234567\r\n.\r\n"), 10, 1,
	    ALL, TU_S("01234567\r\n01234567\r\n"),
	    TU_S("01234567\r\n01234567\r\n"), D_LF },
	{ "no limit", TU_S("0123456789012345678901234567890\r\n.\r\n"), 0, 1,
	    ALL, TU_S("0123456789012345678901234567890\r\n"),
	    TU_S("0123456789012345678901234567890\r\n"), 0 },
};

struct data_got {
	int		 rc;
	size_t		 used;
	char		 out[256];
	size_t		 outlen;
	int		 flags;
	uint64_t	 bytes, lines;
};

/*
 * Feed in under schedule s. Each call gets an output buffer of exactly
 * the documented 2 * inlen + 2 bytes, on the heap so that a write past
 * it is caught by AddressSanitizer.
 */
static void
data_run(const char *in, size_t inlen, int stuff, size_t max_line,
    const struct tu_sched *s, struct data_got *g)
{
	struct data_parser	 d;
	char			*out;
	size_t			 pos = 0, n, used, outlen;
	int			 rc = 0;

	memset(g, 0, sizeof(*g));
	data_init(&d, stuff, max_line);
	while (rc == 0 && (n = tu_sched_next(s, pos, inlen)) > 0) {
		out = malloc(2 * n + 2);
		ck_assert_ptr_nonnull(out);
		used = outlen = (size_t)-1;
		rc = data_parse(&d, in + pos, n, &used, out, &outlen);
		ck_assert(rc == 0 || rc == 1);
		ck_assert_uint_le(used, n);
		ck_assert(rc == 1 || used == n);
		ck_assert_uint_le(outlen, 2 * n + 2);
		ck_assert_uint_le(g->outlen + outlen, sizeof(g->out));
		memcpy(g->out + g->outlen, out, outlen);
		g->outlen += outlen;
		pos += used;
		free(out);
	}
	if (rc == 1) {
		/* After the end, nothing more is taken. */
		out = malloc(2 * 4 + 2);
		ck_assert_ptr_nonnull(out);
		ck_assert_int_eq(data_parse(&d, "x\r\n.", 4, &used, out,
		    &outlen), 1);
		ck_assert_uint_eq(used, 0);
		ck_assert_uint_eq(outlen, 0);
		free(out);
	}
	g->rc = rc;
	g->used = pos;
	g->flags = d.flags;
	g->bytes = d.bytes;
	g->lines = d.lines;
}

/*
 * The wire form is safe: every CR is followed by LF and every LF
 * preceded by CR, no line starts with NUL, and every line that starts
 * with "." starts with ".." (so no line is a lone ".", the end of data).
 */
static int
data_wire_safe(const char *p, size_t len, const char **why_r)
{
	size_t	 i;
	int	 bol = 1;

	for (i = 0; i < len; i++) {
		if (bol && p[i] == '\0') {
			*why_r = "NUL at a line start";
			return 0;
		}
		if (p[i] == '\r' && (i + 1 == len || p[i + 1] != '\n')) {
			*why_r = "bare CR";
			return 0;
		}
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r')) {
			*why_r = "bare LF";
			return 0;
		}
		if (bol && p[i] == '.' && (i + 1 == len || p[i + 1] != '.')) {
			*why_r = "an unstuffed leading dot";
			return 0;
		}
		bol = p[i] == '\n';
	}
	return 1;
}

static uint64_t
data_count_crlf(const char *p, size_t len)
{
	uint64_t	 n = 0;
	size_t		 i;

	for (i = 0; i + 1 < len; i++)
		if (p[i] == '\r' && p[i + 1] == '\n')
			n++;
	return n;
}

START_TEST(test_data_vectors)
{
	const struct data_vec	*v = &data_vecs[_i];
	struct tu_sched		 s;
	struct data_got		 g;
	const char		*exp, *why;
	size_t			 k, explen, used;
	int			 stuff;

	used = v->used == ALL ? v->inlen : v->used;
	for (stuff = 0; stuff <= 1; stuff++) {
		exp = stuff ? v->wire : v->text;
		explen = stuff ? v->wirelen : v->textlen;
		for (k = 0; k < tu_sched_count(v->inlen); k++) {
			tu_sched_get(k, v->inlen, &s);
			data_run(v->in, v->inlen, stuff, v->max_line, &s, &g);
			ck_assert_msg(g.rc == v->rc, "%s (stuff %d, %s): rc "
			    "%d, expected %d", v->name, stuff, s.desc, g.rc,
			    v->rc);
			ck_assert_msg(g.used == used, "%s (stuff %d, %s): used "
			    "%zu, expected %zu", v->name, stuff, s.desc,
			    g.used, used);
			ck_assert_msg(tu_eq(g.out, g.outlen, exp, explen),
			    "%s (stuff %d, %s): out \"%s\", expected \"%s\"",
			    v->name, stuff, s.desc, tu_esc(g.out, g.outlen),
			    tu_esc(exp, explen));
			ck_assert_msg(g.flags == v->flags, "%s (stuff %d, %s): "
			    "flags %#x, expected %#x", v->name, stuff, s.desc,
			    g.flags, v->flags);
			/* bytes and lines describe the unstuffed text. */
			ck_assert_msg(g.bytes == v->textlen, "%s: bytes %ju",
			    v->name, (uintmax_t)g.bytes);
			ck_assert_msg(g.lines == data_count_crlf(v->text,
			    v->textlen), "%s: lines %ju", v->name,
			    (uintmax_t)g.lines);
			if (stuff)
				ck_assert_msg(data_wire_safe(g.out, g.outlen,
				    &why), "%s (%s): wire form has %s",
				    v->name, s.desc, why);
		}
	}
}
END_TEST

/* A tiny deterministic generator, so failures can be replayed. */
static uint32_t
data_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/*
 * Random bodies over the bytes that matter (CR, LF, ".", NUL, text),
 * each followed by a real end of data, fed whole and in random chunks:
 *  - the result does not depend on the chunks;
 *  - the wire form is safe (data_wire_safe);
 *  - a strict receiver reading the wire form plus ".\r\n" sees exactly
 *    our plain text and nothing unusual (only NULs inside lines, which
 *    are relayed as sent): proxy and upstream agree on
 *    the message and on where it ends.
 */
START_TEST(test_data_random)
{
	static const char	 alphabet[] = "\r\n.\0a";
	struct data_parser	 d;
	struct tu_sched		 whole, s;
	struct data_got		 g1, g2, plain;
	char			 in[80], wire[300], *out;
	const char		*why;
	size_t			 n, i, used, outlen, wlen;
	uint32_t		 seed = 5321;
	int			 iter, rc;

	memset(&whole, 0, sizeof(whole));
	for (iter = 0; iter < 20000; iter++) {
		n = data_rand(&seed) % 60;
		for (i = 0; i < n; i++)
			in[i] = alphabet[data_rand(&seed) % 5];
		memcpy(in + n, "\r\n.\r\n", 5);
		n += 5;

		data_run(in, n, 1, 0, &whole, &g1);
		ck_assert_int_eq(g1.rc, 1);
		ck_assert_msg(data_wire_safe(g1.out, g1.outlen, &why),
		    "\"%s\": wire form has %s", tu_esc(in, n), why);
		ck_assert(g1.outlen == 0 ||
		    g1.out[g1.outlen - 1] == '\n');

		/* Random chunks. */
		memset(&s, 0, sizeof(s));
		s.ncut = 2;
		s.cut[0] = data_rand(&seed) % n;
		s.cut[1] = s.cut[0] + data_rand(&seed) % (n - s.cut[0]);
		data_run(in, n, 1, 0, &s, &g2);
		ck_assert(g2.rc == 1 && g2.used == g1.used);
		ck_assert(tu_eq(g1.out, g1.outlen, g2.out, g2.outlen));
		ck_assert_int_eq(g1.flags, g2.flags);

		/* The plain text of the same input. */
		data_run(in, n, 0, 0, &whole, &plain);
		ck_assert_uint_eq(plain.bytes, g1.bytes);

		/* What a strict upstream makes of the wire form. */
		ck_assert_uint_le(g1.outlen + 3, sizeof(wire));
		memcpy(wire, g1.out, g1.outlen);
		memcpy(wire + g1.outlen, ".\r\n", 3);
		wlen = g1.outlen + 3;
		out = malloc(2 * wlen + 2);
		ck_assert_ptr_nonnull(out);
		data_init(&d, 0, 0);
		rc = data_parse(&d, wire, wlen, &used, out, &outlen);
		ck_assert_msg(rc == 1 && used == wlen, "\"%s\": upstream "
		    "stops at %zu of %zu", tu_esc(in, n), used, wlen);
		/* Nothing unusual but the NULs inside lines it relays. */
		ck_assert_int_eq(d.flags & ~DATA_NUL_TEXT, 0);
		ck_assert_msg(tu_eq(out, outlen, plain.out, plain.outlen),
		    "\"%s\": upstream reads \"%s\", proxy \"%s\"",
		    tu_esc(in, n), tu_esc(out, outlen),
		    tu_esc(plain.out, plain.outlen));
		free(out);
	}
}
END_TEST

/* A large body in odd-sized chunks: counters and output stay exact. */
START_TEST(test_data_large)
{
	struct data_parser	 d;
	char			*in, *out;
	size_t			 n = 100000 * 4 + 3, i, pos = 0, used;
	size_t			 chunk;
	size_t			 outlen, total = 0;
	int			 rc = 0;

	in = malloc(n);
	ck_assert_ptr_nonnull(in);
	for (i = 0; i < 100000; i++)
		memcpy(in + i * 4, i % 2 ? "ab\r\n" : ".a\r\n", 4);
	memcpy(in + n - 3, ".\r\n", 3);
	out = malloc(2 * 4099 + 2);
	ck_assert_ptr_nonnull(out);
	data_init(&d, 1, 1000);
	for (chunk = 1; rc == 0; chunk = chunk * 7 % 4099 + 1) {
		if (chunk > n - pos)
			chunk = n - pos;
		rc = data_parse(&d, in + pos, chunk, &used, out, &outlen);
		pos += used;
		total += outlen;
	}
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(pos, n);
	/* ".a" lines lose their stuffed dot in the text... */
	ck_assert_uint_eq(d.bytes, 100000 * 4 - 50000);
	ck_assert_uint_eq(d.lines, 100000);
	/* ...and "a" needs no stuffing in the wire form. */
	ck_assert_uint_eq(total, n - 3 - 50000);
	ck_assert_int_eq(d.flags, 0);
	free(in);
	free(out);
}
END_TEST

/* The header section as sent: NUL or bare CR/LF there (smtp:122). */
static const struct {
	const char	*in;
	size_t		 len;
	int		 bad;
} header_vecs[] = {
	{ TU_S("X: ok\r\nY: ok\r\n\r\nbody\r\n.\r\n"), 0 },
	{ TU_S("X: a\0b\r\n\r\nbody\r\n.\r\n"), 1 },
	{ TU_S("X: a\nY: b\r\n\r\nbody\r\n.\r\n"), 1 },
	{ TU_S("X: a\rY: b\r\n\r\nbody\r\n.\r\n"), 1 },
	/* After the empty line it is the body's business, not the header's. */
	{ TU_S("X: ok\r\n\r\nbo\0dy\nmore\r\n.\r\n"), 0 },
	{ TU_S("X: ok\r\n.\r\n"), 0 },
	{ TU_S("\r\nX: a\0\r\n.\r\n"), 0 },
};

START_TEST(test_data_header)
{
	struct data_parser	 d;
	char			 out[256];
	size_t			 used, outlen, i;
	const char		*in = header_vecs[_i].in;
	size_t			 len = header_vecs[_i].len;

	/* Whole, then one byte at a time: the same answer. */
	data_init(&d, 1, 0);
	ck_assert_int_eq(data_parse(&d, in, len, &used, out, &outlen), 1);
	ck_assert_int_eq(d.header_bad, header_vecs[_i].bad);
	data_init(&d, 1, 0);
	for (i = 0; i < len; i++)
		data_parse(&d, in + i, 1, &used, out, &outlen);
	ck_assert_int_eq(d.header_bad, header_vecs[_i].bad);
}
END_TEST

static Suite *
data_suite(void)
{
	Suite	*s = suite_create("data");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_data_vectors, 0, TU_NELEM(data_vecs));
	tcase_add_test(tc, test_data_random);
	tcase_add_test(tc, test_data_large);
	tcase_add_loop_test(tc, test_data_header, 0, TU_NELEM(header_vecs));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(data_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
