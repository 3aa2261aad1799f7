/*
 * Unit tests for the access rules (src/access.c): CIDR edges for IPv4
 * and IPv6, IPv4-mapped clients, objects, "!" excludes with the list
 * semantics of SPEC §4.1, first match wins, the default, and errors
 * that name the bad entry.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

#include "check_util.h"

#define MAXENT	6

/* Number of entries of a NULL-terminated list. */
static size_t
tu_count(const char *const *v)
{
	size_t	 n = 0;

	while (n < MAXENT && v[n] != NULL)
		n++;
	return n;
}

/* An address as a sockaddr; NULL for s == NULL. */
static const struct sockaddr *
tu_sa(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	if (s == NULL)
		return NULL;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, s, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(25);
	} else if (inet_pton(AF_INET6, s, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(25);
	} else
		ck_abort_msg("test address %s", s);
	return (const struct sockaddr *)ss;
}

/*
 * The objects every list test may name. EMPTY has no address: it
 * contains nothing.
 */
static const char *const obj_lan[] = { "10.0.0.0/8", "2001:db8::/32", NULL };
static const char *const obj_mx[] = { "10.0.0.25", "2001:db8::25", NULL };
static const char *const obj_dmz[] = { "192.0.2.0/28", "198.51.100.7",
	NULL };

static struct access *
tu_objects(enum access_action def)
{
	struct access	*a;
	const char	*errstr = NULL;

	ck_assert_ptr_nonnull(a = access_new(def));
	ck_assert_msg(access_object(a, "LAN", obj_lan, tu_count(obj_lan),
	    &errstr) == 0, "%s", errstr);
	ck_assert_int_eq(access_object(a, "MX", obj_mx, tu_count(obj_mx),
	    &errstr), 0);
	ck_assert_int_eq(access_object(a, "dmz_hosts-1.a", obj_dmz,
	    tu_count(obj_dmz), &errstr), 0);
	ck_assert_int_eq(access_object(a, "EMPTY", NULL, 0, &errstr), 0);
	return a;
}

/*
 * One address against one list. The list is checked three ways: as the
 * source of a rule, as its destination, and with access_list_match().
 */
struct list_vec {
	const char	*entries[MAXENT];
	const char	*addr;
	int		 match;
};

static const struct list_vec list_vecs[] = {
	/* IPv4 CIDR edges */
	{ { "10.0.0.0/8" }, "10.0.0.0", 1 },
	{ { "10.0.0.0/8" }, "10.255.255.255", 1 },
	{ { "10.0.0.0/8" }, "9.255.255.255", 0 },
	{ { "10.0.0.0/8" }, "11.0.0.0", 0 },
	{ { "0.0.0.0/0" }, "1.2.3.4", 1 },
	{ { "0.0.0.0/0" }, "255.255.255.255", 1 },
	{ { "0.0.0.0/0" }, "2001:db8::1", 0 },
	{ { "1.2.3.4/0" }, "200.1.1.1", 1 },
	{ { "192.0.2.10/32" }, "192.0.2.10", 1 },
	{ { "192.0.2.10/32" }, "192.0.2.11", 0 },
	{ { "192.0.2.10" }, "192.0.2.10", 1 },
	{ { "192.0.2.10" }, "192.0.2.9", 0 },
	{ { "192.0.2.10/31" }, "192.0.2.10", 1 },
	{ { "192.0.2.10/31" }, "192.0.2.11", 1 },
	{ { "192.0.2.10/31" }, "192.0.2.9", 0 },
	{ { "192.0.2.10/31" }, "192.0.2.12", 0 },
	{ { "192.0.2.11/31" }, "192.0.2.10", 1 },
	{ { "192.0.2.0/25" }, "192.0.2.127", 1 },
	{ { "192.0.2.0/25" }, "192.0.2.128", 0 },
	{ { "172.16.0.0/12" }, "172.31.255.255", 1 },
	{ { "172.16.0.0/12" }, "172.32.0.0", 0 },
	{ { "10.0.0.0/008" }, "10.9.9.9", 1 },
	/* host bits set: the network they belong to */
	{ { "10.1.2.3/8" }, "10.200.0.1", 1 },
	{ { "10.1.2.3/8" }, "11.1.2.3", 0 },
	{ { "192.0.2.77/24" }, "192.0.2.1", 1 },
	{ { "192.0.2.77/24" }, "192.0.3.77", 0 },

	/* IPv6 CIDR edges */
	{ { "::/0" }, "2001:db8::1", 1 },
	{ { "::/0" }, "::1", 1 },
	{ { "::/0" }, "1.2.3.4", 0 },
	{ { "::/0" }, "::ffff:1.2.3.4", 0 },
	{ { "2001:db8::/32" }, "2001:db8:ffff:ffff::1", 1 },
	{ { "2001:db8::/32" }, "2001:db9::1", 0 },
	{ { "2001:db8::/32" }, "2001:db7:ffff::1", 0 },
	{ { "2001:db8::1/128" }, "2001:db8::1", 1 },
	{ { "2001:db8::1/128" }, "2001:db8::2", 0 },
	{ { "2001:db8::1" }, "2001:db8::1", 1 },
	{ { "2001:DB8::1" }, "2001:db8:0:0:0:0:0:1", 1 },
	{ { "2001:db8::/127" }, "2001:db8::", 1 },
	{ { "2001:db8::/127" }, "2001:db8::1", 1 },
	{ { "2001:db8::/127" }, "2001:db8::2", 0 },
	{ { "2001:db8::/33" }, "2001:db8:7fff::1", 1 },
	{ { "2001:db8::/33" }, "2001:db8:8000::1", 0 },
	{ { "2001:db8::1234/64" }, "2001:db8::ffff", 1 },
	{ { "2001:db8::1234/64" }, "2001:db8:0:1::1", 0 },
	{ { "::1" }, "::1", 1 },
	{ { "::1" }, "127.0.0.1", 0 },

	/* IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) is IPv4 */
	{ { "10.0.0.0/8" }, "::ffff:10.1.2.3", 1 },
	{ { "10.0.0.0/8" }, "::ffff:11.1.2.3", 0 },
	{ { "192.0.2.10" }, "::ffff:192.0.2.10", 1 },
	{ { "0.0.0.0/0" }, "::ffff:0.0.0.0", 1 },
	{ { "::ffff:10.0.0.0/104" }, "10.1.2.3", 1 },
	{ { "::ffff:10.0.0.0/104" }, "::ffff:10.1.2.3", 1 },
	{ { "::ffff:10.0.0.0/104" }, "11.0.0.1", 0 },
	{ { "::ffff:192.0.2.1" }, "192.0.2.1", 1 },
	{ { "::ffff:192.0.2.1" }, "192.0.2.2", 0 },
	{ { "::ffff:0:0/96" }, "203.0.113.9", 1 },
	{ { "!10.0.0.5" }, "::ffff:10.0.0.5", 0 },

	/* any */
	{ { "any" }, "192.0.2.1", 1 },
	{ { "any" }, "2001:db8::1", 1 },
	{ { "ANY" }, "::ffff:192.0.2.1", 1 },
	{ { "!any" }, "192.0.2.1", 0 },
	{ { "any", "!any" }, "2001:db8::1", 0 },

	/* excludes: in some entry, in no "!" entry */
	{ { "10.0.0.0/8", "!10.0.0.5" }, "10.0.0.5", 0 },
	{ { "10.0.0.0/8", "!10.0.0.5" }, "10.0.0.6", 1 },
	{ { "10.0.0.0/8", "!10.0.0.5" }, "11.0.0.5", 0 },
	{ { "!10.0.0.5", "10.0.0.0/8" }, "10.0.0.5", 0 },
	{ { "!10.0.0.5", "10.0.0.0/8" }, "10.0.0.4", 1 },
	{ { "10.0.0.0/8", "!10.0.0.0/24", "10.0.0.7" }, "10.0.0.7", 0 },
	{ { "10.0.0.0/8", "!10.0.0.0/24", "10.0.0.7" }, "10.0.1.7", 1 },
	/* only "!" entries: everything not excluded */
	{ { "!10.0.0.5" }, "10.0.0.5", 0 },
	{ { "!10.0.0.5" }, "10.0.0.6", 1 },
	{ { "!10.0.0.5" }, "2001:db8::1", 1 },
	{ { "!10.0.0.0/8", "!192.168.0.0/16" }, "192.168.1.1", 0 },
	{ { "!10.0.0.0/8", "!192.168.0.0/16" }, "10.0.0.1", 0 },
	{ { "!10.0.0.0/8", "!192.168.0.0/16" }, "172.16.0.1", 1 },
	{ { "!2001:db8::/32" }, "2001:db8::1", 0 },
	{ { "!2001:db8::/32" }, "2001:db9::1", 1 },

	/* objects */
	{ { "LAN" }, "10.1.1.1", 1 },
	{ { "LAN" }, "2001:db8::5", 1 },
	{ { "LAN" }, "::ffff:10.1.1.1", 1 },
	{ { "LAN" }, "192.0.2.1", 0 },
	{ { "LAN", "!MX" }, "10.0.0.25", 0 },
	{ { "LAN", "!MX" }, "2001:db8::25", 0 },
	{ { "LAN", "!MX" }, "10.0.0.26", 1 },
	{ { "!LAN" }, "192.0.2.1", 1 },
	{ { "!LAN" }, "10.0.0.1", 0 },
	{ { "any", "!LAN" }, "10.0.0.1", 0 },
	{ { "any", "!LAN" }, "2001:db9::1", 1 },
	{ { "MX", "dmz_hosts-1.a" }, "192.0.2.15", 1 },
	{ { "MX", "dmz_hosts-1.a" }, "192.0.2.16", 0 },
	{ { "MX", "dmz_hosts-1.a" }, "198.51.100.7", 1 },
	{ { "MX", "dmz_hosts-1.a" }, "10.0.0.25", 1 },
	{ { "EMPTY" }, "10.0.0.1", 0 },
	{ { "!EMPTY" }, "10.0.0.1", 1 },
	{ { "EMPTY", "192.0.2.1" }, "192.0.2.1", 1 },
	{ { "LAN", "!MX", "MX" }, "10.0.0.25", 0 },
};

START_TEST(test_access_list)
{
	const struct list_vec	*v = &list_vecs[_i];
	struct sockaddr_storage	 ss, other;
	const struct sockaddr	*sa;
	struct access		*a;
	const char		*errstr = NULL, *rule, *reply;
	size_t			 n = tu_count(v->entries);
	enum access_action	 act;

	a = tu_objects(ACCESS_ACCEPT);
	ck_assert_msg(access_rule(a, "src", ACCESS_DENY, v->entries, n, NULL,
	    0, NULL, &errstr) == 0, "%s", errstr);
	sa = tu_sa(v->addr, &ss);

	/* As a source: the rule denies exactly when the list matches. */
	act = access_match(a, sa, tu_sa("203.0.113.1", &other), &rule,
	    &reply);
	ck_assert_msg((act == ACCESS_DENY) == v->match,
	    "source %s in {%s,%s,%s}: %d", v->addr, v->entries[0],
	    v->entries[1] != NULL ? v->entries[1] : "",
	    v->entries[2] != NULL ? v->entries[2] : "", act);
	if (v->match)
		ck_assert_str_eq(rule, "src");
	else
		ck_assert_ptr_null(rule);
	access_free(a);

	/* As a destination. */
	a = tu_objects(ACCESS_DENY);
	ck_assert_int_eq(access_rule(a, "dst", ACCESS_ACCEPT, NULL, 0,
	    v->entries, n, NULL, &errstr), 0);
	act = access_match(a, tu_sa("203.0.113.1", &other), sa, &rule,
	    &reply);
	ck_assert_msg((act == ACCESS_ACCEPT) == v->match,
	    "destination %s in {%s,...}", v->addr, v->entries[0]);

	/* Alone. */
	ck_assert_msg(access_list_match(a, v->entries, n, sa) == v->match,
	    "list_match %s in {%s,...}", v->addr, v->entries[0]);
	access_free(a);
}
END_TEST

/* An internal mail server's rules (SPEC §4.1): first match wins. */
static const char *const r_bad[] = { "10.66.0.0/16", NULL };
static const char *const r_mx[] = { "MX", NULL };
static const char *const r_lan[] = { "LAN", NULL };
static const char *const r_notmx[] = { "!MX", NULL };

struct match_vec {
	const char		*src;
	const char		*dst;
	enum access_action	 action;
	const char		*rule;
	const char		*reply;
};

static const struct match_vec match_vecs[] = {
	/* block-bad comes before lan-to-mx, which would accept */
	{ "10.66.1.1", "10.0.0.25", ACCESS_DENY, "block-bad",
	    "Infected host, call the helpdesk" },
	{ "10.0.0.25", "192.0.2.1", ACCESS_ACCEPT, "mx-anywhere",
	    "Access denied" },
	{ "10.0.0.25", "2001:db8::99", ACCESS_ACCEPT, "mx-anywhere",
	    "Access denied" },
	{ "10.1.1.1", "10.0.0.25", ACCESS_ACCEPT, "lan-to-mx",
	    "Access denied" },
	{ "2001:db8::7", "2001:db8::25", ACCESS_ACCEPT, "lan-to-mx",
	    "Access denied" },
	{ "10.1.1.1", "192.0.2.1", ACCESS_DENY, "lan-elsewhere",
	    "Use the mail server" },
	{ "::ffff:10.1.1.1", "::ffff:10.0.0.25", ACCESS_ACCEPT, "lan-to-mx",
	    "Access denied" },
	{ "::ffff:10.1.1.1", "::ffff:192.0.2.1", ACCESS_DENY, "lan-elsewhere",
	    "Use the mail server" },
	/* nothing matches: the default */
	{ "192.0.2.1", "10.0.0.25", ACCESS_DENY, NULL, "Access denied" },
	{ "2001:db9::1", "10.0.0.25", ACCESS_DENY, NULL, "Access denied" },
	/* an unknown address is in "any" and in no address */
	{ NULL, "10.0.0.25", ACCESS_DENY, NULL, "Access denied" },
	{ "10.0.0.25", NULL, ACCESS_ACCEPT, "mx-anywhere", "Access denied" },
	{ "10.1.1.1", NULL, ACCESS_DENY, "lan-elsewhere",
	    "Use the mail server" },
};

static struct access *
tu_mailserver(void)
{
	struct access	*a = tu_objects(ACCESS_DENY);
	const char	*errstr = NULL;

	ck_assert_int_eq(access_rule(a, "block-bad", ACCESS_DENY, r_bad, 1,
	    NULL, 0, "Infected host, call the helpdesk", &errstr), 0);
	ck_assert_int_eq(access_rule(a, "mx-anywhere", ACCESS_ACCEPT, r_mx, 1,
	    NULL, 0, NULL, &errstr), 0);
	ck_assert_int_eq(access_rule(a, "lan-to-mx", ACCESS_ACCEPT, r_lan, 1,
	    r_mx, 1, "", &errstr), 0);
	ck_assert_int_eq(access_rule(a, "lan-elsewhere", ACCESS_DENY, r_lan, 1,
	    r_notmx, 1, "Use the mail server", &errstr), 0);
	return a;
}

START_TEST(test_access_match)
{
	const struct match_vec	*v = &match_vecs[_i];
	struct sockaddr_storage	 s, d;
	struct access		*a = tu_mailserver();
	const char		*rule = "x", *reply = NULL;

	ck_assert_int_eq(access_match(a, tu_sa(v->src, &s), tu_sa(v->dst, &d),
	    &rule, &reply), v->action);
	if (v->rule == NULL)
		ck_assert_ptr_null(rule);
	else
		ck_assert_str_eq(rule, v->rule);
	ck_assert_str_eq(reply, v->reply);
	/* rule_r and reply_r are optional */
	ck_assert_int_eq(access_match(a, tu_sa(v->src, &s), tu_sa(v->dst, &d),
	    NULL, NULL), v->action);
	access_free(a);
}
END_TEST

/* Defaults, empty lists, and two rules matching the same traffic. */
START_TEST(test_access_default)
{
	static const char *const any[] = { "any" };
	static const char *const net[] = { "192.0.2.0/24" };
	struct sockaddr_storage	 s, d;
	struct access		*a;
	const char		*rule, *reply, *errstr;

	ck_assert_ptr_null(access_new((enum access_action)7));

	/* No rules: the default, both ways. */
	ck_assert_ptr_nonnull(a = access_new(ACCESS_ACCEPT));
	ck_assert_int_eq(access_match(a, tu_sa("192.0.2.1", &s),
	    tu_sa("10.0.0.1", &d), &rule, &reply), ACCESS_ACCEPT);
	ck_assert_ptr_null(rule);
	access_free(a);
	ck_assert_ptr_nonnull(a = access_new(ACCESS_DENY));
	ck_assert_int_eq(access_match(a, tu_sa("192.0.2.1", &s),
	    tu_sa("10.0.0.1", &d), &rule, &reply), ACCESS_DENY);
	ck_assert_ptr_null(rule);
	ck_assert_str_eq(reply, "Access denied");
	ck_assert_int_eq(access_match(a, NULL, NULL, &rule, &reply),
	    ACCESS_DENY);

	/* A rule that does not match leaves the default. */
	ck_assert_int_eq(access_rule(a, "net", ACCESS_ACCEPT, net, 1, NULL, 0,
	    NULL, &errstr), 0);
	ck_assert_int_eq(access_match(a, tu_sa("198.51.100.1", &s),
	    tu_sa("10.0.0.1", &d), &rule, &reply), ACCESS_DENY);
	ck_assert_ptr_null(rule);
	ck_assert_int_eq(access_match(a, tu_sa("192.0.2.200", &s),
	    tu_sa("10.0.0.1", &d), &rule, &reply), ACCESS_ACCEPT);
	ck_assert_str_eq(rule, "net");

	/* Empty lists are "any", unknown addresses included. */
	ck_assert_int_eq(access_rule(a, "all", ACCESS_ACCEPT, NULL, 0, NULL, 0,
	    NULL, &errstr), 0);
	ck_assert_int_eq(access_match(a, NULL, NULL, &rule, &reply),
	    ACCESS_ACCEPT);
	ck_assert_str_eq(rule, "all");
	access_free(a);

	/* First match wins between identical matches. */
	ck_assert_ptr_nonnull(a = access_new(ACCESS_ACCEPT));
	ck_assert_int_eq(access_rule(a, "first", ACCESS_DENY, any, 1, any, 1,
	    "first", &errstr), 0);
	ck_assert_int_eq(access_rule(a, "second", ACCESS_ACCEPT, any, 1, any, 1,
	    "second", &errstr), 0);
	ck_assert_int_eq(access_match(a, tu_sa("2001:db8::1", &s),
	    tu_sa("192.0.2.1", &d), &rule, &reply), ACCESS_DENY);
	ck_assert_str_eq(rule, "first");
	ck_assert_str_eq(reply, "first");
	access_free(a);
	access_free(NULL);
}
END_TEST

/*
 * Errors name the bad entry. A failed object or rule is not added: the
 * set behaves as before.
 */
enum err_kind {
	ERR_OBJECT,
	ERR_SOURCE,
	ERR_DESTINATION
};

struct err_vec {
	enum err_kind	 kind;
	const char	*name;
	const char	*entries[MAXENT];
	const char	*expect;
};

static const struct err_vec err_vecs[] = {
	{ ERR_OBJECT, "N", { "10.0.0.0/33" },
	    "object \"N\": invalid address \"10.0.0.0/33\"" },
	{ ERR_OBJECT, "N", { "192.0.2.1", "2001:db8::/129" },
	    "object \"N\": invalid address \"2001:db8::/129\"" },
	{ ERR_OBJECT, "N", { "!10.0.0.1" }, "invalid address \"!10.0.0.1\"" },
	{ ERR_OBJECT, "N", { "any" }, "invalid address \"any\"" },
	{ ERR_OBJECT, "N", { "LAN" }, "invalid address \"LAN\"" },
	{ ERR_OBJECT, "N", { "" }, "invalid address \"\"" },
	{ ERR_OBJECT, "N", { "example.org" },
	    "invalid address \"example.org\"" },
	{ ERR_OBJECT, "LAN", { "10.0.0.1" }, "object \"LAN\" defined twice" },
	{ ERR_OBJECT, "bad name", { "10.0.0.1" },
	    "invalid object name \"bad name\"" },
	{ ERR_OBJECT, "any", { "10.0.0.1" }, "invalid object name \"any\"" },
	{ ERR_OBJECT, "Any", { "10.0.0.1" }, "invalid object name \"Any\"" },
	{ ERR_OBJECT, "!N", { "10.0.0.1" }, "invalid object name \"!N\"" },
	{ ERR_OBJECT, "10net", { "10.0.0.1" },
	    "invalid object name \"10net\"" },
	{ ERR_OBJECT, "", { "10.0.0.1" }, "invalid object name \"\"" },

	{ ERR_SOURCE, "r", { "10.0.0.0/33" },
	    "rule \"r\" source: invalid address \"10.0.0.0/33\"" },
	{ ERR_DESTINATION, "r", { "2001:db8::/129" },
	    "rule \"r\" destination: invalid address \"2001:db8::/129\"" },
	{ ERR_SOURCE, "r", { "any", "!10.0.0.0/33" },
	    "invalid address \"!10.0.0.0/33\"" },
	{ ERR_SOURCE, "r", { "NOPE" },
	    "rule \"r\" source: unknown object \"NOPE\"" },
	{ ERR_DESTINATION, "r", { "!NOPE" },
	    "rule \"r\" destination: unknown object \"!NOPE\"" },
	{ ERR_SOURCE, "r", { "lan" }, "unknown object \"lan\"" },
	{ ERR_SOURCE, "r", { "garbage!!" }, "invalid entry \"garbage!!\"" },
	{ ERR_SOURCE, "r", { "$%&" }, "invalid entry \"$%&\"" },
	{ ERR_SOURCE, "r", { " 10.0.0.1" }, "invalid entry \" 10.0.0.1\"" },
	{ ERR_SOURCE, "r", { "!" }, "invalid entry \"!\"" },
	{ ERR_SOURCE, "r", { "!!10.0.0.1" }, "invalid entry \"!!10.0.0.1\"" },
	{ ERR_SOURCE, "r", { "" }, "rule \"r\" source: empty entry" },
	{ ERR_SOURCE, "r", { "10.0.0" }, "invalid address \"10.0.0\"" },
	{ ERR_SOURCE, "r", { "10.0.0.256" }, "invalid address \"10.0.0.256\"" },
	{ ERR_SOURCE, "r", { "10.0.0.1 " }, "invalid address \"10.0.0.1 \"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/" }, "invalid address \"1.2.3.4/\"" },
	{ ERR_SOURCE, "r", { "/8" }, "invalid address \"/8\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/-1" }, "invalid address \"1.2.3.4/-1\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/+8" }, "invalid address \"1.2.3.4/+8\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/ 8" }, "invalid address \"1.2.3.4/ 8\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/8/8" },
	    "invalid address \"1.2.3.4/8/8\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/0008" },
	    "invalid address \"1.2.3.4/0008\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/4294967304" },
	    "invalid address \"1.2.3.4/4294967304\"" },
	{ ERR_SOURCE, "r", { "1.2.3.4/8x" }, "invalid address \"1.2.3.4/8x\"" },
	{ ERR_SOURCE, "r", { "::/200" }, "invalid address \"::/200\"" },
	{ ERR_SOURCE, "r", { "::1::2" }, "invalid address \"::1::2\"" },
	{ ERR_SOURCE, "r", { "fe80::1%eth0" },
	    "invalid address \"fe80::1%eth0\"" },
	{ ERR_SOURCE, "r", { "2001:db8:0:0:0:0:0:0:1" },
	    "invalid address \"2001:db8:0:0:0:0:0:0:1\"" },
	{ ERR_SOURCE, "r", { "[2001:db8::1]" },
	    "invalid address \"[2001:db8::1]\"" },
	{ ERR_SOURCE, "r", { "0x0a000001" }, "invalid address \"0x0a000001\"" },
	{ ERR_SOURCE, "r", { "167772161" }, "invalid address \"167772161\"" },
	{ ERR_SOURCE, "r", { "010.0.0.1" }, "invalid address \"010.0.0.1\"" },
	{ ERR_SOURCE, "", { "any" }, "rule without a name" },
	{ ERR_SOURCE, "used", { "any" }, "rule \"used\" defined twice" },
};

START_TEST(test_access_errors)
{
	static const char *const used_src[] = { "10.0.0.0/8" };
	const struct err_vec	*v = &err_vecs[_i];
	struct sockaddr_storage	 s, d;
	struct access		*a = tu_objects(ACCESS_ACCEPT);
	const char		*errstr = NULL, *rule;
	size_t			 n = tu_count(v->entries);
	int			 rc = 0;

	ck_assert_int_eq(access_rule(a, "used", ACCESS_DENY, used_src, 1,
	    NULL, 0, NULL, &errstr), 0);
	switch (v->kind) {
	case ERR_OBJECT:
		rc = access_object(a, v->name, v->entries, n, &errstr);
		break;
	case ERR_SOURCE:
		rc = access_rule(a, v->name, ACCESS_DENY, v->entries, n,
		    NULL, 0, NULL, &errstr);
		break;
	case ERR_DESTINATION:
		rc = access_rule(a, v->name, ACCESS_DENY, NULL, 0,
		    v->entries, n, NULL, &errstr);
		break;
	}
	ck_assert_int_eq(rc, -1);
	ck_assert_ptr_nonnull(errstr);
	ck_assert_msg(strstr(errstr, v->expect) != NULL,
	    "error \"%s\", expected \"%s\"", errstr, v->expect);

	/* Nothing was added: only "used" denies. */
	ck_assert_int_eq(access_match(a, tu_sa("192.0.2.1", &s),
	    tu_sa("192.0.2.2", &d), &rule, NULL), ACCESS_ACCEPT);
	ck_assert_int_eq(access_match(a, tu_sa("10.0.0.1", &s),
	    tu_sa("192.0.2.2", &d), &rule, NULL), ACCESS_DENY);
	ck_assert_str_eq(rule, "used");
	access_free(a);
}
END_TEST

/* Rule-level errors that are not about an entry. */
START_TEST(test_access_rule_errors)
{
	static const char *const any[] = { "any" };
	struct access	*a;
	const char	*errstr = NULL;
	char		 longname[2000];

	ck_assert_ptr_nonnull(a = access_new(ACCESS_ACCEPT));
	ck_assert_int_eq(access_rule(a, NULL, ACCESS_DENY, any, 1, NULL, 0,
	    NULL, &errstr), -1);
	ck_assert_str_eq(errstr, "rule without a name");
	ck_assert_int_eq(access_rule(a, "r", (enum access_action)5, any, 1,
	    NULL, 0, NULL, &errstr), -1);
	ck_assert_str_eq(errstr, "rule \"r\": invalid action");
	ck_assert_int_eq(access_rule(a, "r", ACCESS_DENY, any, 1, NULL, 0,
	    "bad\r\n250 ok", &errstr), -1);
	ck_assert_str_eq(errstr, "rule \"r\": reply must be printable ASCII");
	ck_assert_int_eq(access_rule(a, "r", ACCESS_DENY, any, 1, NULL, 0,
	    "caf\xc3\xa9", &errstr), -1);
	ck_assert_int_eq(access_rule(a, "r\n", ACCESS_DENY, any, 1, NULL, 0,
	    NULL, &errstr), -1);

	/* A very long bad entry is cut short, not overflowed. */
	memset(longname, 'x', sizeof(longname) - 1);
	longname[0] = '1';
	longname[sizeof(longname) - 1] = '\0';
	{
		const char	*v[] = { longname };

		ck_assert_int_eq(access_rule(a, "r", ACCESS_DENY, v, 1, NULL,
		    0, NULL, &errstr), -1);
		ck_assert_ptr_nonnull(strstr(errstr, "invalid address \"1xx"));
		ck_assert_uint_lt(strlen(errstr), sizeof(longname));
		ck_assert_str_eq(errstr + strlen(errstr) - 3, "...");
		ck_assert_int_eq(access_object(a, "O", v, 1, &errstr), -1);
		ck_assert_str_eq(errstr + strlen(errstr) - 3, "...");
	}
	access_free(a);
}
END_TEST

/* access_list_match() beyond the shared vectors. */
START_TEST(test_access_list_match)
{
	static const char *const bad[] = { "10.0.0.0/33", "192.0.2.1" };
	static const char *const badx[] = { "!10.0.0.0/33" };
	static const char *const badonly[] = { "NOPE" };
	static const char *const obj[] = { "LAN" };
	static const char *const nobj[] = { "!LAN" };
	static const char *const nulls[] = { NULL, "192.0.2.1" };
	struct sockaddr_storage	 ss;
	struct access		*a = tu_objects(ACCESS_ACCEPT);

	/* Empty: no server is local. */
	ck_assert_int_eq(access_list_match(a, NULL, 0,
	    tu_sa("192.0.2.1", &ss)), 0);
	/* Entries that do not parse are in nothing. */
	ck_assert_int_eq(access_list_match(a, bad, 2,
	    tu_sa("192.0.2.1", &ss)), 1);
	ck_assert_int_eq(access_list_match(a, bad, 2,
	    tu_sa("10.0.0.1", &ss)), 0);
	ck_assert_int_eq(access_list_match(a, badx, 1,
	    tu_sa("10.0.0.1", &ss)), 1);
	ck_assert_int_eq(access_list_match(a, badonly, 1,
	    tu_sa("10.0.0.1", &ss)), 0);
	ck_assert_int_eq(access_list_match(a, nulls, 2,
	    tu_sa("192.0.2.1", &ss)), 1);
	/* Objects resolve in a; without a there are none. */
	ck_assert_int_eq(access_list_match(a, obj, 1,
	    tu_sa("10.0.0.1", &ss)), 1);
	ck_assert_int_eq(access_list_match(NULL, obj, 1,
	    tu_sa("10.0.0.1", &ss)), 0);
	ck_assert_int_eq(access_list_match(NULL, nobj, 1,
	    tu_sa("10.0.0.1", &ss)), 1);
	/* An unknown address is in no address. */
	ck_assert_int_eq(access_list_match(a, obj, 1, NULL), 0);
	ck_assert_int_eq(access_list_match(a, nobj, 1, NULL), 1);
	access_free(a);
}
END_TEST

/* A non-IP socket address is an unknown address. */
START_TEST(test_access_unix)
{
	static const char *const lan[] = { "LAN" };
	struct sockaddr_storage	 ss;
	struct access		*a = tu_objects(ACCESS_ACCEPT);
	const char		*errstr, *rule;

	memset(&ss, 0, sizeof(ss));
	ss.ss_family = AF_UNIX;
	ck_assert_int_eq(access_rule(a, "lan", ACCESS_DENY, lan, 1, NULL, 0,
	    NULL, &errstr), 0);
	ck_assert_int_eq(access_match(a, (struct sockaddr *)&ss,
	    (struct sockaddr *)&ss, &rule, NULL), ACCESS_ACCEPT);
	ck_assert_ptr_null(rule);
	access_free(a);
}
END_TEST

static Suite *
access_suite(void)
{
	Suite	*s = suite_create("access");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_access_list, 0, TU_NELEM(list_vecs));
	tcase_add_loop_test(tc, test_access_match, 0, TU_NELEM(match_vecs));
	tcase_add_test(tc, test_access_default);
	tcase_add_loop_test(tc, test_access_errors, 0, TU_NELEM(err_vecs));
	tcase_add_test(tc, test_access_rule_errors);
	tcase_add_test(tc, test_access_list_match);
	tcase_add_test(tc, test_access_unix);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(access_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
