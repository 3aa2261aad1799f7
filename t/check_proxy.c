/*
 * PROXY protocol parser: valid v1 and v2 headers give their addresses
 * and stop at their last byte (what follows is the client's); malformed
 * ones fail with a reason. Every vector is fed under every schedule of
 * check_util.h (whole, byte at a time, split at every offset).
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

#include "check_util.h"

#define V2SIG	"\r\n\r\n\0\r\nQUIT\n"
#define TAIL	"EHLO client.example\r\n"

struct proxy_vec {
	const char	*in;
	size_t		 inlen;
	size_t		 hdrlen;	/* the header's bytes; 0 if invalid */
	int		 version;
	int		 local;
	const char	*src;		/* "addr port", unless local */
	const char	*dst;
	const char	*err;		/* a word of errstr when invalid */
};

#define OK(s, hl, v, loc, src, dst) \
	{ TU_S(s TAIL), (hl), (v), (loc), (src), (dst), NULL }
#define BAD(s, err) \
	{ TU_S(s), 0, 0, 0, NULL, NULL, (err) }

static const struct proxy_vec vecs[] = {
	OK("PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\r\n", 44, 1, 0,
	    "192.0.2.1 12345", "198.51.100.2 25"),
	OK("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n", 44, 1, 0,
	    "0.0.0.0 0", "255.255.255.255 65535"),
	OK("PROXY TCP6 2001:db8::1 2001:db8::2 4000 10025\r\n", 47, 1, 0,
	    "2001:db8::1 4000", "2001:db8::2 10025"),
	OK("PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n", 104, 1,
	    0, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535",
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535"),
	OK("PROXY UNKNOWN\r\n", 15, 1, 1, NULL, NULL),
	OK("PROXY UNKNOWN ffff::1 ffff::2 1 2\r\n", 35, 1, 1, NULL, NULL),
	/* v2 PROXY TCP4, no TLV. */
	OK(V2SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02"
	    "\x30\x39" "\x00\x19", 28, 2, 0, "192.0.2.1 12345",
	    "198.51.100.2 25"),
	/* v2 PROXY TCP6. */
	OK(V2SIG "\x21\x21\x00\x24"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x02"
	    "\x0f\xa0" "\x27\x29", 52, 2, 0, "2001:db8::1 4000",
	    "2001:db8::2 10025"),
	/* v2 PROXY TCP4 with an ALPN TLV and an empty NOOP TLV. */
	OK(V2SIG "\x21\x11\x00\x14" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02"
	    "\x30\x39" "\x00\x19" "\x01\x00\x02" "h2" "\x04\x00\x00", 36, 2,
	    0, "192.0.2.1 12345", "198.51.100.2 25"),
	/* v2 LOCAL, nothing after; LOCAL with addresses, ignored. */
	OK(V2SIG "\x20\x00\x00\x00", 16, 2, 1, NULL, NULL),
	OK(V2SIG "\x20\x11\x00\x0c" "\x7f\x00\x00\x01" "\x7f\x00\x00\x01"
	    "\x30\x39" "\x00\x19", 28, 2, 1, NULL, NULL),
	/* v2 PROXY over UNSPEC: the real endpoints. */
	OK(V2SIG "\x21\x00\x00\x03" "\x04\x00\x00", 19, 2, 1, NULL, NULL),

	BAD("EHLO client.example\r\n", "not a PROXY"),
	BAD("GET / HTTP/1.0\r\n", "not a PROXY"),
	BAD("proxy TCP4 192.0.2.1 198.51.100.2 12345 25\r\n", "not a PROXY"),
	BAD("PROXY\r\n", "not a PROXY"),
	BAD("\0PROXY TCP4", "not a PROXY"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\n", "bare LF"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 12345 25\rX\n", "bare CR"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2\r12345 25\r\n", "bare CR"),
	BAD("PROXY TCP4 192.0.2.1\0198.51.100.2 12345 25\r\n", "control"),
	BAD("PROXY TCP4 192.0.2.1\t198.51.100.2 12345 25\r\n", "control"),
	BAD("PROXY TCP4 192.0.2.\xe9 198.51.100.2 12345 25\r\n", "control"),
	BAD("PROXY TCP4 192.0.2.1  198.51.100.2 12345 25\r\n", "six fields"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 12345\r\n", "six fields"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 12345 25 \r\n", "six fields"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 1 2 3\r\n", "six fields"),
	BAD("PROXY \r\n", "six fields"),
	BAD("PROXY UNKNOWNX\r\n", "six fields"),
	BAD("PROXY UDP4 192.0.2.1 198.51.100.2 12345 25\r\n", "protocol"),
	BAD("PROXY TCP4 ::1 ::2 12345 25\r\n", "source"),
	BAD("PROXY TCP6 192.0.2.1 198.51.100.2 12345 25\r\n", "source"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.256 12345 25\r\n", "destination"),
	BAD("PROXY TCP4 192.0.2.01 198.51.100.2 12345 25\r\n", "source"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 65536 25\r\n", "source"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 025 25\r\n", "source"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 -1 25\r\n", "source"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 12345 2x\r\n", "destination"),
	BAD("PROXY TCP4 192.0.2.1 198.51.100.2 12345 123456\r\n",
	    "destination"),
	BAD("PROXY UNKNOWN aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
	    "longer than 107"),
	BAD("\r\n\r\n\0\r\nQUIX\n\x21\x11\x00\x00", "signature"),
	BAD("\r\nEHLO x\r\n", "signature"),
	BAD(V2SIG "\x11\x11\x00\x0c", "version"),
	BAD(V2SIG "\x22\x11\x00\x0c", "command"),
	BAD(V2SIG "\x21\x12\x00\x0c", "datagram"),
	BAD(V2SIG "\x21\x22\x00\x24", "datagram"),
	BAD(V2SIG "\x21\x41\x00\x0c", "unknown address family"),
	BAD(V2SIG "\x21\x13\x00\x0c", "unknown address family"),
	BAD(V2SIG "\x21\x11\x00\x08" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02",
	    "truncated"),
	BAD(V2SIG "\x21\x21\x00\x0c", "truncated"),
	BAD(V2SIG "\x21\x11\x0f\xf1", "longer than 4096"),
	BAD(V2SIG "\x21\x11\xff\xff", "longer than 4096"),
	BAD(V2SIG "\x21\x11\x00\x0f" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02"
	    "\x30\x39" "\x00\x19" "\x01\x00\x05" "abcde", "past the header"),
	BAD(V2SIG "\x21\x11\x00\x0e" "\xc0\x00\x02\x01" "\xc6\x33\x64\x02"
	    "\x30\x39" "\x00\x19" "\x01\x00" "EHLO", "truncated TLV"),
};

static void
addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char	 a[INET6_ADDRSTRLEN];

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		inet_ntop(AF_INET, &sin->sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s %u", a, ntohs(sin->sin_port));
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		inet_ntop(AF_INET6, &sin6->sin6_addr, a, sizeof(a));
		snprintf(buf, len, "%s %u", a, ntohs(sin6->sin6_port));
	}
}

/* Feed in under schedule k; returns the result, *used_r the consumed. */
static int
feed(const char *in, size_t n, size_t k, struct proxy *p, size_t *used_r,
    const char **desc_r)
{
	static struct tu_sched	 s;
	size_t			 pos = 0, chunk, used;
	int			 r = 0;

	tu_sched_get(k, n, &s);
	*desc_r = s.desc;
	proxy_init(p);
	while ((chunk = tu_sched_next(&s, pos, n)) > 0) {
		r = proxy_parse(p, in + pos, chunk, &used);
		ck_assert_uint_le(used, chunk);
		pos += used;
		if (r != 0)
			break;
		ck_assert_uint_eq(used, chunk);
	}
	*used_r = pos;
	return r;
}

START_TEST(test_proxy_vectors)
{
	const struct proxy_vec	*v = &vecs[_i];
	struct proxy		 p;
	char			 text[128];
	const char		*desc;
	size_t			 k, used, more;
	int			 r;

	for (k = 0; k < tu_sched_count(v->inlen); k++) {
		r = feed(v->in, v->inlen, k, &p, &used, &desc);
		if (v->hdrlen == 0) {
			ck_assert_msg(r == -1, "%s (%s): r=%d",
			    tu_esc(v->in, v->inlen), desc, r);
			ck_assert_ptr_nonnull(p.errstr);
			ck_assert_msg(strstr(p.errstr, v->err) != NULL,
			    "%s (%s): \"%s\", want \"%s\"",
			    tu_esc(v->in, v->inlen), desc, p.errstr, v->err);
			/* Failed once, failed for good. */
			ck_assert_int_eq(proxy_parse(&p, "x", 1, &more), -1);
			proxy_free(&p);
			continue;
		}
		ck_assert_msg(r == 1, "%s (%s): r=%d %s",
		    tu_esc(v->in, v->inlen), desc, r,
		    p.errstr != NULL ? p.errstr : "");
		/* Not one byte of the client's. */
		ck_assert_msg(used == v->hdrlen, "%s (%s): used %zu, want %zu",
		    tu_esc(v->in, v->inlen), desc, used, v->hdrlen);
		ck_assert_int_eq(p.version, v->version);
		ck_assert_int_eq(p.local, v->local);
		if (!v->local) {
			addr_text(&p.src, text, sizeof(text));
			ck_assert_str_eq(text, v->src);
			addr_text(&p.dst, text, sizeof(text));
			ck_assert_str_eq(text, v->dst);
			ck_assert_uint_eq(p.srclen, p.src.ss_family == AF_INET ?
			    sizeof(struct sockaddr_in) :
			    sizeof(struct sockaddr_in6));
		}
		/* Done stays done and takes nothing more. */
		ck_assert_int_eq(proxy_parse(&p, "x", 1, &more), 1);
		ck_assert_uint_eq(more, 0);
		proxy_free(&p);
	}
}
END_TEST

/* Built at run time: a UNIX block (216 bytes) and the longest header. */
static size_t
v2_header(unsigned char *b, uint8_t fam, size_t len, size_t addr)
{
	size_t	 i, o = 16;

	memcpy(b, V2SIG, 12);
	b[12] = 0x21;
	b[13] = fam;
	b[14] = (unsigned char)(len >> 8);
	b[15] = (unsigned char)len;
	memset(b + o, 0x7f, addr);
	o += addr;
	/* Fill the rest with TLVs of at most 255 bytes. */
	while (o < 16 + len) {
		i = 16 + len - o - 3;
		if (i > 255)
			i = 255;
		if (16 + len - o - 3 - i < 3 && 16 + len - o - 3 - i > 0)
			i -= 3;
		b[o] = 0xe0;
		b[o + 1] = (unsigned char)(i >> 8);
		b[o + 2] = (unsigned char)i;
		memset(b + o + 3, 'x', i);
		o += 3 + i;
	}
	return o;
}

START_TEST(test_proxy_v2_sizes)
{
	unsigned char	 b[PROXY_V2_MAX + 64];
	struct proxy	 p;
	const char	*desc;
	size_t		 n, used, k;
	int		 r;

	/* PROXY over UNIX stream: real endpoints; 216 + a TLV. */
	n = v2_header(b, 0x31, 216 + 10, 216);
	memcpy(b + n, TU_S(TAIL));
	for (k = 0; k < 3; k++) {
		r = feed((const char *)b, n + sizeof(TAIL) - 1, k, &p, &used,
		    &desc);
		ck_assert_int_eq(r, 1);
		ck_assert_uint_eq(used, n);
		ck_assert_int_eq(p.local, 1);
	}
	/* UNIX with its address block cut short. */
	n = v2_header(b, 0x31, 200, 0);
	r = feed((const char *)b, n, 0, &p, &used, &desc);
	ck_assert_int_eq(r, -1);
	/* The longest header accepted, TCP4 + TLVs, and one byte more. */
	n = v2_header(b, 0x11, PROXY_V2_MAX - 16, 12);
	ck_assert_uint_eq(n, PROXY_V2_MAX);
	for (k = 0; k < 2; k++) {
		r = feed((const char *)b, n, k, &p, &used, &desc);
		ck_assert_msg(r == 1, "%s: %s", desc,
		    p.errstr != NULL ? p.errstr : "");
		ck_assert_uint_eq(used, n);
	}
	n = v2_header(b, 0x11, PROXY_V2_MAX - 15, 12);
	r = feed((const char *)b, n, 0, &p, &used, &desc);
	ck_assert_int_eq(r, -1);
	ck_assert_uint_eq(used, 16);
}
END_TEST

static Suite *
proxy_suite(void)
{
	Suite	*s = suite_create("proxy");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_proxy_vectors, 0, TU_NELEM(vecs));
	tcase_add_test(tc, test_proxy_v2_sizes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(proxy_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
