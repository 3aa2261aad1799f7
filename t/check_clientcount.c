/*
 * Per-client session counts: the keys (IPv4 /32, IPv6 /128, mapped
 * IPv4 as IPv4, ports ignored), collisions in one probe sequence,
 * growth and shrinking, and a random run against a plain array; the
 * shared table: add_max's limit, and threads admitting and releasing
 * sessions at once never admit past the limit nor lose a count.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "clientcount.h"

#include "check_util.h"

/* "192.0.2.1" or "2001:db8::1" (optionally ":port" after "]") */
static const struct sockaddr *
addr(const char *text, unsigned port, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return (const struct sockaddr *)ss;
}

/* Address number i of a family: 10.x.y.z or 2001:db8::x:y. */
static const struct sockaddr *
addr_n(int v6, uint32_t i, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (!v6) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(0x0a000000 | i);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr.s6_addr[0] = 0x20;
		sin6->sin6_addr.s6_addr[1] = 0x01;
		sin6->sin6_addr.s6_addr[2] = 0x0d;
		sin6->sin6_addr.s6_addr[3] = 0xb8;
		sin6->sin6_addr.s6_addr[12] = (uint8_t)(i >> 24);
		sin6->sin6_addr.s6_addr[13] = (uint8_t)(i >> 16);
		sin6->sin6_addr.s6_addr[14] = (uint8_t)(i >> 8);
		sin6->sin6_addr.s6_addr[15] = (uint8_t)i;
	}
	return (const struct sockaddr *)ss;
}

enum step_op { ADD, DEL, GET };

/* One step of a scenario: op on addr:port, what it returns, then size. */
struct step {
	enum step_op	 op;
	const char	*addr;
	unsigned	 port;
	int		 ret;
	size_t		 size;
};

static const struct step keys[] = {
	/* IPv4 /32: the port does not matter, the last octet does. */
	{ ADD, "192.0.2.1", 1025, 1, 1 },
	{ ADD, "192.0.2.1", 1026, 2, 1 },
	{ GET, "192.0.2.1", 0, 2, 1 },
	{ GET, "192.0.2.2", 0, 0, 1 },
	{ ADD, "192.0.2.2", 1025, 1, 2 },
	/* IPv4-mapped IPv6 is the same client as plain IPv4. */
	{ GET, "::ffff:192.0.2.1", 0, 2, 2 },
	{ ADD, "::ffff:192.0.2.1", 4000, 3, 2 },
	{ GET, "192.0.2.1", 0, 3, 2 },
	{ DEL, "::ffff:192.0.2.1", 4000, 2, 2 },
	{ DEL, "192.0.2.1", 1025, 1, 2 },
	/* IPv4-compatible (::a.b.c.d) and NAT64 forms are not IPv4. */
	{ GET, "::192.0.2.1", 0, 0, 2 },
	{ GET, "64:ff9b::192.0.2.1", 0, 0, 2 },
	/* IPv6 /128: every bit counts, the port does not. */
	{ ADD, "2001:db8::1", 25, 1, 3 },
	{ ADD, "2001:db8::1", 26, 2, 3 },
	{ GET, "2001:db8::2", 0, 0, 3 },
	{ GET, "2001:db8::1:0:0:1", 0, 0, 3 },
	{ ADD, "2001:db8::2", 25, 1, 4 },
	{ ADD, "::1", 25, 1, 5 },
	{ GET, "127.0.0.1", 0, 0, 5 },
	/* Down to zero, and never below it. */
	{ DEL, "192.0.2.1", 1026, 0, 4 },
	{ GET, "192.0.2.1", 0, 0, 4 },
	{ DEL, "192.0.2.1", 1026, -1, 4 },
	{ DEL, "::ffff:192.0.2.1", 1026, -1, 4 },
	{ GET, "192.0.2.1", 0, 0, 4 },
	{ DEL, "198.51.100.7", 1, -1, 4 },
	{ ADD, "192.0.2.1", 1026, 1, 5 },
	{ DEL, "2001:db8::1", 0, 1, 5 },
	{ DEL, "2001:db8::1", 0, 0, 4 },
	{ DEL, "2001:db8::1", 0, -1, 4 },
	{ DEL, "2001:db8::2", 0, 0, 3 },
	{ DEL, "::1", 0, 0, 2 },
	{ DEL, "192.0.2.2", 0, 0, 1 },
	{ DEL, "192.0.2.1", 0, 0, 0 },
	{ GET, "192.0.2.1", 0, 0, 0 },
};

START_TEST(test_keys)
{
	struct clientcount	*cc = clientcount_new();
	struct sockaddr_storage	 ss;
	const struct step	*st;
	const struct sockaddr	*sa;
	size_t			 i;
	int			 r = 0;

	ck_assert_ptr_nonnull(cc);
	for (i = 0; i < TU_NELEM(keys); i++) {
		st = &keys[i];
		sa = addr(st->addr, st->port, &ss);
		switch (st->op) {
		case ADD:
			r = clientcount_add(cc, sa);
			break;
		case DEL:
			r = clientcount_del(cc, sa);
			break;
		case GET:
			r = clientcount_get(cc, sa);
			break;
		}
		ck_assert_msg(r == st->ret, "step %zu (%s): %d, not %d", i,
		    st->addr, r, st->ret);
		ck_assert_msg(clientcount_size(cc) == st->size,
		    "step %zu (%s): size %zu, not %zu", i, st->addr,
		    clientcount_size(cc), st->size);
	}
	clientcount_free(&cc);
	ck_assert_ptr_null(cc);
	clientcount_free(&cc);
}
END_TEST

/* Other families (a unix socket in tests) are not counted at all. */
START_TEST(test_other_family)
{
	struct clientcount	*cc = clientcount_new();
	struct sockaddr_un	 sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(clientcount_add(cc, (struct sockaddr *)&sun), 0);
	ck_assert_int_eq(clientcount_get(cc, (struct sockaddr *)&sun), 0);
	ck_assert_int_eq(clientcount_del(cc, (struct sockaddr *)&sun), 0);
	ck_assert_uint_eq(clientcount_size(cc), 0);
	clientcount_free(&cc);
}
END_TEST

/*
 * Collisions: addresses whose probes start at the same slot (and at the
 * one after it) form one cluster; taking any of them out, in any order,
 * must leave every other one found, with its count.
 */
#define COLL_N	8

static const int coll_orders[][COLL_N] = {
	{ 0, 1, 2, 3, 4, 5, 6, 7 },
	{ 7, 6, 5, 4, 3, 2, 1, 0 },
	{ 3, 0, 6, 1, 7, 2, 5, 4 },
	{ 1, 3, 5, 7, 0, 2, 4, 6 },
};

START_TEST(test_collisions)
{
	struct clientcount	*cc = clientcount_new();
	struct sockaddr_storage	 ss[COLL_N], tmp;
	const int		*order = coll_orders[_i];
	size_t			 home0 = 0, h;
	uint32_t		 i;
	int			 n = 0, k, j, count[COLL_N], gone[COLL_N];

	ck_assert_ptr_nonnull(cc);
	/* Five on one home slot, three on the next; few enough not to grow. */
	for (i = 0; n < COLL_N && i < 1000000; i++) {
		h = clientcount_home(cc, addr_n(i & 1, i, &tmp));
		if (n == 0)
			home0 = h;
		if (h == home0 + (n < 5 ? 0 : 1) && (n > 0 || h < 63)) {
			ss[n] = tmp;
			n++;
		}
	}
	ck_assert_int_eq(n, COLL_N);
	for (k = 0; k < COLL_N; k++) {
		count[k] = k + 1;
		gone[k] = 0;
		for (j = 0; j <= k; j++)
			ck_assert_int_eq(clientcount_add(cc,
			    (struct sockaddr *)&ss[k]), j + 1);
	}
	ck_assert_uint_eq(clientcount_slots(cc), 64);
	ck_assert_uint_eq(clientcount_size(cc), COLL_N);
	for (k = 0; k < COLL_N; k++) {
		while (count[order[k]] > 0)
			ck_assert_int_eq(clientcount_del(cc,
			    (struct sockaddr *)&ss[order[k]]),
			    --count[order[k]]);
		gone[order[k]] = 1;
		ck_assert_int_eq(clientcount_del(cc,
		    (struct sockaddr *)&ss[order[k]]), -1);
		for (j = 0; j < COLL_N; j++)
			ck_assert_int_eq(clientcount_get(cc,
			    (struct sockaddr *)&ss[j]), gone[j] ? 0 : j + 1);
		ck_assert_uint_eq(clientcount_size(cc), COLL_N - k - 1);
	}
	clientcount_free(&cc);
}
END_TEST

/*
 * Many addresses: 10,000 of each family, some with several sessions.
 * The table grows to stay at most half full, every count is right, and
 * emptied it shrinks back.
 */
#define MANY	10000

START_TEST(test_many)
{
	struct clientcount	*cc = clientcount_new();
	struct sockaddr_storage	 ss;
	uint32_t		 i;
	int			 v6, j;

	ck_assert_ptr_nonnull(cc);
	for (i = 0; i < MANY; i++)
		for (v6 = 0; v6 < 2; v6++)
			for (j = 0; j < (int)(i % 3) + 1; j++)
				ck_assert_int_eq(clientcount_add(cc,
				    addr_n(v6, i, &ss)), j + 1);
	ck_assert_uint_eq(clientcount_size(cc), 2 * MANY);
	ck_assert_uint_ge(clientcount_slots(cc), 4 * MANY);
	ck_assert_uint_le(clientcount_slots(cc), 8 * MANY);
	for (i = 0; i < MANY; i++)
		for (v6 = 0; v6 < 2; v6++)
			ck_assert_int_eq(clientcount_get(cc,
			    addr_n(v6, i, &ss)), (int)(i % 3) + 1);
	/* The next addresses are not there. */
	ck_assert_int_eq(clientcount_get(cc, addr_n(0, MANY, &ss)), 0);
	ck_assert_int_eq(clientcount_get(cc, addr_n(1, MANY, &ss)), 0);
	/* Take one session from each, then the rest, backwards. */
	for (i = 0; i < MANY; i++)
		for (v6 = 0; v6 < 2; v6++)
			ck_assert_int_eq(clientcount_del(cc,
			    addr_n(v6, i, &ss)), (int)(i % 3));
	ck_assert_uint_eq(clientcount_size(cc), 2 * (MANY - MANY / 3 - 1));
	for (i = MANY; i-- > 0;)
		for (v6 = 0; v6 < 2; v6++)
			for (j = (int)(i % 3); j > 0; j--)
				ck_assert_int_eq(clientcount_del(cc,
				    addr_n(v6, i, &ss)), j - 1);
	ck_assert_uint_eq(clientcount_size(cc), 0);
	ck_assert_uint_eq(clientcount_slots(cc), 64);
	for (i = 0; i < MANY; i += 97)
		ck_assert_int_eq(clientcount_get(cc, addr_n(1, i, &ss)), 0);
	clientcount_free(&cc);
}
END_TEST

/*
 * Random adds and deletes over a few hundred addresses, checked against
 * a plain array after each: counts match, and never go below zero.
 */
#define RAND_ADDRS	300
#define RAND_OPS	200000

START_TEST(test_random_model)
{
	struct clientcount	*cc = clientcount_new();
	struct sockaddr_storage	 ss;
	static int		 model[RAND_ADDRS];
	uint64_t		 x = UINT64_C(0x2545f4914f6cdd1d);
	size_t			 used = 0;
	int			 k, op, r;
	long			 t;

	ck_assert_ptr_nonnull(cc);
	memset(model, 0, sizeof(model));
	for (t = 0; t < RAND_OPS; t++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		k = (int)((x >> 8) % RAND_ADDRS);
		/* Phases that fill and drain the table, to grow and shrink. */
		op = (int)(x % 8) < ((t / 20000) % 2 ? 5 : 3);
		addr_n(k & 1, (uint32_t)k, &ss);
		if (op) {
			r = clientcount_add(cc, (struct sockaddr *)&ss);
			if (model[k]++ == 0)
				used++;
			ck_assert_int_eq(r, model[k]);
		} else {
			r = clientcount_del(cc, (struct sockaddr *)&ss);
			if (model[k] == 0)
				ck_assert_int_eq(r, -1);
			else {
				if (--model[k] == 0)
					used--;
				ck_assert_int_eq(r, model[k]);
			}
		}
		ck_assert_uint_eq(clientcount_size(cc), used);
		ck_assert_int_eq(clientcount_get(cc, (struct sockaddr *)&ss),
		    model[k]);
		ck_assert_uint_ge(clientcount_slots(cc), 2 * used);
	}
	for (k = 0; k < RAND_ADDRS; k++)
		ck_assert_int_eq(clientcount_get(cc,
		    addr_n(k & 1, (uint32_t)k, &ss)), model[k]);
	clientcount_free(&cc);
}
END_TEST

/* Two tables hash with different keys: probes cannot be predicted. */
START_TEST(test_keyed)
{
	struct clientcount	*a = clientcount_new(), *b = clientcount_new();
	struct sockaddr_storage	 ss;
	uint32_t		 i;
	int			 same = 0;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 64; i++)
		if (clientcount_home(a, addr_n(1, i, &ss)) ==
		    clientcount_home(b, addr_n(1, i, &ss)))
			same++;
	/* 1 in 64 by chance: a handful, not all. */
	ck_assert_int_lt(same, 16);
	clientcount_free(&a);
	clientcount_free(&b);
}
END_TEST

/* add_max: at the limit, -2 and nothing changes; below it, counted. */
START_TEST(test_add_max)
{
	struct clientcount		*cc = clientcount_new();
	struct clientcount_shared	*cs = clientcount_shared_new();
	struct sockaddr_storage		 ss;
	struct sockaddr_un		 sun;
	const struct sockaddr		*a = addr("192.0.2.1", 25, &ss);
	int				 i;

	ck_assert_ptr_nonnull(cc);
	ck_assert_ptr_nonnull(cs);
	for (i = 1; i <= 3; i++) {
		ck_assert_int_eq(clientcount_add_max(cc, a, 3), i);
		ck_assert_int_eq(clientcount_shared_add(cs, a, 3), i);
	}
	ck_assert_int_eq(clientcount_add_max(cc, a, 3), -2);
	ck_assert_int_eq(clientcount_shared_add(cs, a, 3), -2);
	ck_assert_int_eq(clientcount_get(cc, a), 3);
	ck_assert_int_eq(clientcount_shared_get(cs, a), 3);
	ck_assert_int_eq(clientcount_shared_del(cs, a), 2);
	ck_assert_int_eq(clientcount_shared_add(cs, a, 3), 3);
	ck_assert_uint_eq(clientcount_shared_size(cs), 1);
	/* Not counted: another family. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(clientcount_shared_add(cs,
	    (struct sockaddr *)&sun, 1), 0);
	ck_assert_int_eq(clientcount_shared_del(cs,
	    (struct sockaddr *)&sun), 0);
	for (i = 3; i > 0; i--)
		ck_assert_int_eq(clientcount_shared_del(cs, a), i - 1);
	ck_assert_int_eq(clientcount_shared_del(cs, a), -1);
	ck_assert_uint_eq(clientcount_shared_size(cs), 0);
	clientcount_free(&cc);
	clientcount_shared_free(&cs);
	ck_assert_ptr_null(cs);
}
END_TEST

/*
 * Threads as workers: each admits sessions from a few hot addresses
 * (shared by all threads) and many of its own, under a limit, and
 * releases them again. At no time may a hot address have more than the
 * limit (each thread checks what it was admitted, and the total per
 * address is checked against the limit after every round), and at the
 * end every count is back to zero.
 */
#define MT_THREADS	4
#define MT_HOT		8
#define MT_LIMIT	5
#define MT_ROUNDS	2000

struct mt_arg {
	struct clientcount_shared	*cs;
	int				 index;
	int				 admitted[MT_HOT];	/* held now */
	long				 total;		/* admissions */
	int				 over;		/* past the limit */
};

static void *
mt_run(void *p)
{
	struct mt_arg		*a = p;
	struct sockaddr_storage	 ss;
	int			 r, h, n, i;

	for (r = 0; r < MT_ROUNDS; r++) {
		for (h = 0; h < MT_HOT; h++) {
			n = clientcount_shared_add(a->cs,
			    addr_n(h & 1, (uint32_t)h, &ss), MT_LIMIT);
			if (n > MT_LIMIT || n == -1 || n == 0)
				a->over++;
			if (n > 0) {
				a->admitted[h]++;
				a->total++;
			}
		}
		/* Addresses of this thread only: the table grows, shrinks. */
		for (i = 0; i < 50; i++)
			ck_assert_int_eq(clientcount_shared_add(a->cs,
			    addr_n(0, (uint32_t)(1000 + a->index * 100 + i),
			    &ss), 1000), 1);
		for (i = 0; i < 50; i++)
			ck_assert_int_eq(clientcount_shared_del(a->cs,
			    addr_n(0, (uint32_t)(1000 + a->index * 100 + i),
			    &ss)), 0);
		for (h = 0; h < MT_HOT; h++)
			while (a->admitted[h] > 0) {
				if (clientcount_shared_del(a->cs, addr_n(h & 1,
				    (uint32_t)h, &ss)) < 0)
					a->over++;
				a->admitted[h]--;
			}
	}
	return NULL;
}

START_TEST(test_threads)
{
	struct clientcount_shared	*cs = clientcount_shared_new();
	struct mt_arg			 args[MT_THREADS];
	pthread_t			 t[MT_THREADS];
	struct sockaddr_storage		 ss;
	long				 total = 0;
	int				 i, h;

	ck_assert_ptr_nonnull(cs);
	memset(args, 0, sizeof(args));
	for (i = 0; i < MT_THREADS; i++) {
		args[i].cs = cs;
		args[i].index = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, mt_run, &args[i]),
		    0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(args[i].over, 0);
		total += args[i].total;
	}
	/* Every thread got some of the hot addresses' sessions. */
	for (i = 0; i < MT_THREADS; i++)
		ck_assert_int_gt(args[i].total, 0);
	ck_assert_int_ge(total, (long)MT_ROUNDS * MT_HOT);
	for (h = 0; h < MT_HOT; h++)
		ck_assert_int_eq(clientcount_shared_get(cs,
		    addr_n(h & 1, (uint32_t)h, &ss)), 0);
	ck_assert_uint_eq(clientcount_shared_size(cs), 0);
	clientcount_shared_free(&cs);
}
END_TEST

/*
 * The limit under contention: threads race to admit one address's
 * sessions, holding all they get; exactly the limit are admitted.
 */
#define RACE_LIMIT	37

struct race_arg {
	struct clientcount_shared	*cs;
	pthread_barrier_t		*go;
	int				 got;
};

static void *
race_run(void *p)
{
	struct race_arg		*a = p;
	struct sockaddr_storage	 ss;
	int			 i;

	pthread_barrier_wait(a->go);
	for (i = 0; i < 100; i++)
		if (clientcount_shared_add(a->cs, addr("2001:db8::25", 0, &ss),
		    RACE_LIMIT) > 0)
			a->got++;
	return NULL;
}

START_TEST(test_threads_limit)
{
	struct clientcount_shared	*cs = clientcount_shared_new();
	struct race_arg			 args[MT_THREADS];
	pthread_t			 t[MT_THREADS];
	pthread_barrier_t		 go;
	struct sockaddr_storage		 ss;
	int				 i, got = 0;

	ck_assert_ptr_nonnull(cs);
	pthread_barrier_init(&go, NULL, MT_THREADS);
	for (i = 0; i < MT_THREADS; i++) {
		args[i].cs = cs;
		args[i].go = &go;
		args[i].got = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, race_run,
		    &args[i]), 0);
	}
	for (i = 0; i < MT_THREADS; i++) {
		pthread_join(t[i], NULL);
		got += args[i].got;
	}
	ck_assert_int_eq(got, RACE_LIMIT);
	ck_assert_int_eq(clientcount_shared_get(cs, addr("2001:db8::25", 0,
	    &ss)), RACE_LIMIT);
	pthread_barrier_destroy(&go);
	clientcount_shared_free(&cs);
}
END_TEST

static Suite *
clientcount_suite(void)
{
	Suite	*s = suite_create("clientcount");
	TCase	*tc = tcase_create("table");

	tcase_add_test(tc, test_keys);
	tcase_add_test(tc, test_other_family);
	tcase_add_loop_test(tc, test_collisions, 0,
	    (int)TU_NELEM(coll_orders));
	tcase_add_test(tc, test_many);
	tcase_add_test(tc, test_random_model);
	tcase_add_test(tc, test_keyed);
	suite_add_tcase(s, tc);
	tc = tcase_create("shared");
	tcase_add_test(tc, test_add_max);
	tcase_add_test(tc, test_threads);
	tcase_add_test(tc, test_threads_limit);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(clientcount_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
