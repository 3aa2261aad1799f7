/*
 * Socket addresses: the one text form every log line uses (IPv4
 * "a.b.c.d:port", IPv6 "[RFC 5952 text]:port", "unknown"), truncation,
 * IPv4-mapped IPv6 addresses becoming IPv4, and the wildcard and port
 * rules of netaddr_covers() (the loop check of transparent mode).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "netaddr.h"

#include "check_util.h"

/* "192.0.2.1" or "2001:db8::1", with a port. Returns the length. */
static socklen_t
sa_of(const char *text, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	memset(ss, 0, sizeof(*ss));
	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, text, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		sin.sin_port = htons((unsigned short)port);
		memcpy(ss, &sin, sizeof(sin));
		return sizeof(sin);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6.sin6_addr), 1);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((unsigned short)port);
	memcpy(ss, &sin6, sizeof(sin6));
	return sizeof(sin6);
}

static const struct {
	const char	*addr;
	unsigned	 port;
	const char	*text;
} text_vectors[] = {
	{ "192.0.2.7", 40112, "192.0.2.7:40112" },
	{ "0.0.0.0", 0, "0.0.0.0:0" },
	{ "255.255.255.255", 65535, "255.255.255.255:65535" },
	{ "2001:db8::7", 25, "[2001:db8::7]:25" },
	/* RFC 5952: lower case, longest zero run compressed, no zeros. */
	{ "2001:DB8:0:0:0:0:0:1", 25, "[2001:db8::1]:25" },
	{ "2001:db8:0:1:0:0:0:1", 25, "[2001:db8:0:1::1]:25" },
	{ "::1", 10025, "[::1]:10025" },
	{ "::", 10025, "[::]:10025" },
	/* The longest: eight full groups and a five-digit port. */
	{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535" },
	{ "fe80::1:2:3:4", 587, "[fe80::1:2:3:4]:587" },
	/* Still mapped here: netaddr_unmap() is what turns it into IPv4. */
	{ "::ffff:192.0.2.1", 25, "[::ffff:192.0.2.1]:25" },
};

START_TEST(test_text)
{
	struct sockaddr_storage	 ss;
	char			 buf[NETADDR_TEXT_MAX];

	sa_of(text_vectors[_i].addr, text_vectors[_i].port, &ss);
	ck_assert_str_eq(netaddr_text((struct sockaddr *)&ss, buf,
	    sizeof(buf)), text_vectors[_i].text);
	ck_assert_uint_lt(strlen(buf), NETADDR_TEXT_MAX);
}
END_TEST

START_TEST(test_text_other)
{
	struct sockaddr_un	 sun;
	char			 buf[NETADDR_TEXT_MAX], small[8];
	struct sockaddr_storage	 ss;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_str_eq(netaddr_text((struct sockaddr *)&sun, buf,
	    sizeof(buf)), "unknown");
	ck_assert_str_eq(netaddr_text(NULL, buf, sizeof(buf)), "unknown");
	/* Truncated, NUL-terminated. */
	sa_of("2001:db8::7", 25, &ss);
	ck_assert_str_eq(netaddr_text((struct sockaddr *)&ss, small,
	    sizeof(small)), "[2001:d");
	memset(small, 'x', sizeof(small));
	ck_assert_ptr_eq(netaddr_text((struct sockaddr *)&ss, small, 0),
	    small);
	ck_assert_int_eq(small[0], 'x');
}
END_TEST

static const struct {
	const char	*addr;
	const char	*text;	/* after netaddr_unmap() */
	int		 v4;
} unmap_vectors[] = {
	{ "::ffff:192.0.2.1", "192.0.2.1:2525", 1 },
	{ "::ffff:127.0.0.1", "127.0.0.1:2525", 1 },
	{ "::ffff:0.0.0.0", "0.0.0.0:2525", 1 },
	/* Not mapped: IPv4-compatible (deprecated), NAT64, others. */
	{ "::192.0.2.1", "[::192.0.2.1]:2525", 0 },
	{ "64:ff9b::192.0.2.1", "[64:ff9b::c000:201]:2525", 0 },
	{ "::fffe:192.0.2.1", "[::fffe:c000:201]:2525", 0 },
	{ "2001:db8::1", "[2001:db8::1]:2525", 0 },
	{ "::1", "[::1]:2525", 0 },
	{ "192.0.2.1", "192.0.2.1:2525", 1 },
};

START_TEST(test_unmap)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len, got;
	char			 buf[NETADDR_TEXT_MAX];

	len = sa_of(unmap_vectors[_i].addr, 2525, &ss);
	got = netaddr_unmap(&ss, len);
	ck_assert_str_eq(netaddr_text((struct sockaddr *)&ss, buf,
	    sizeof(buf)), unmap_vectors[_i].text);
	if (unmap_vectors[_i].v4) {
		ck_assert_int_eq(ss.ss_family, AF_INET);
		ck_assert_uint_eq(got, sizeof(struct sockaddr_in));
	} else {
		ck_assert_uint_eq(got, len);
	}
}
END_TEST

START_TEST(test_unmap_short)
{
	struct sockaddr_storage	 ss;

	/* A length too short for a sockaddr_in6 is left alone. */
	sa_of("::ffff:192.0.2.1", 25, &ss);
	ck_assert_uint_eq(netaddr_unmap(&ss, 8), 8);
	ck_assert_int_eq(ss.ss_family, AF_INET6);
}
END_TEST

static const struct {
	const char	*listen;
	unsigned	 lport;
	const char	*dst;
	unsigned	 dport;
	int		 covers;
} cover_vectors[] = {
	{ "127.0.0.1", 10025, "127.0.0.1", 10025, 1 },
	{ "0.0.0.0", 10025, "192.0.2.1", 10025, 1 },
	{ "0.0.0.0", 10025, "192.0.2.1", 25, 0 },
	{ "127.0.0.1", 10025, "127.0.0.2", 10025, 0 },
	{ "::1", 10025, "::1", 10025, 1 },
	{ "::", 10025, "2001:db8::25", 10025, 1 },
	{ "::", 10025, "2001:db8::25", 25, 0 },
	{ "::1", 10025, "2001:db8::25", 10025, 0 },
	/* A family never covers the other: [::] is IPv6 only. */
	{ "::", 10025, "127.0.0.1", 10025, 0 },
	{ "0.0.0.0", 10025, "::1", 10025, 0 },
	{ "::", 10025, "::ffff:127.0.0.1", 10025, 1 },
	/* The listener is the first argument: a wildcard dst covers none. */
	{ "127.0.0.1", 10025, "0.0.0.0", 10025, 0 },
	{ "::1", 10025, "::", 10025, 0 },
};

START_TEST(test_covers)
{
	struct sockaddr_storage	 l, d;

	sa_of(cover_vectors[_i].listen, cover_vectors[_i].lport, &l);
	sa_of(cover_vectors[_i].dst, cover_vectors[_i].dport, &d);
	ck_assert_int_eq(netaddr_covers((struct sockaddr *)&l,
	    (struct sockaddr *)&d), cover_vectors[_i].covers);
}
END_TEST

static Suite *
netaddr_suite(void)
{
	Suite	*s = suite_create("netaddr");
	TCase	*tc = tcase_create("netaddr");

	tcase_add_loop_test(tc, test_text, 0, (int)TU_NELEM(text_vectors));
	tcase_add_test(tc, test_text_other);
	tcase_add_loop_test(tc, test_unmap, 0, (int)TU_NELEM(unmap_vectors));
	tcase_add_test(tc, test_unmap_short);
	tcase_add_loop_test(tc, test_covers, 0,
	    (int)TU_NELEM(cover_vectors));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(netaddr_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
