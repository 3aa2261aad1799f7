/*
 * The connection layer over socketpairs (and one loopback connect):
 * the test holds the peer end and turns the event loop by hand.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/buffer.h>
#include <event2/event.h>

#include "conn.h"

struct h {
	struct event_base	*base;
	struct conn		*c;
	int			 peer;
	int			 reads, writes, events;
	short			 last_event;
	int			 last_errno;
	size_t			 consume;	/* drained per read callback */
	int			 free_on_event;
	int			 disable_on_read;
};

static void
h_read(struct conn *c, void *arg)
{
	struct h	*h = arg;
	struct evbuffer	*in = conn_input(c);
	size_t		 n = evbuffer_get_length(in);

	h->reads++;
	if (h->consume > 0)
		evbuffer_drain(in, n < h->consume ? n : h->consume);
	if (h->disable_on_read)
		conn_disable(c, EV_READ);
}

static void
h_write(struct conn *c, void *arg)
{
	struct h	*h = arg;

	(void)c;
	h->writes++;
}

static void
h_event(struct conn *c, short what, void *arg)
{
	struct h	*h = arg;

	h->events++;
	h->last_event = what;
	h->last_errno = errno;
	if (h->free_on_event) {
		conn_free(c);
		h->c = NULL;
	}
}

static void
h_init(struct h *h)
{
	int	 sv[2];

	memset(h, 0, sizeof(*h));
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	h->peer = sv[1];
	h->c = conn_new(h->base, sv[0]);
	ck_assert_ptr_nonnull(h->c);
	conn_setcb(h->c, h_read, h_write, h_event, h);
}

static void
h_done(struct h *h)
{
	if (h->c != NULL)
		conn_free(h->c);
	if (h->peer != -1)
		close(h->peer);
	event_base_free(h->base);
}

static void
turn(struct h *h, int n)
{
	while (n-- > 0)
		event_base_loop(h->base, EVLOOP_NONBLOCK);
}

/* Run the loop for ms milliseconds (the descriptor event never ends). */
static void
dispatch_for(struct h *h, int ms)
{
	struct timeval	 tv = { ms / 1000, (ms % 1000) * 1000 };

	event_base_loopexit(h->base, &tv);
	event_base_dispatch(h->base);
}

/* Read everything the peer has now. */
static size_t
drain_peer(int fd)
{
	char	 buf[65536];
	ssize_t	 r;
	size_t	 total = 0;
	int	 fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	while ((r = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)r;
	fcntl(fd, F_SETFL, fl);
	return total;
}

START_TEST(test_read_basic)
{
	struct h	 h;

	h_init(&h);
	ck_assert_int_eq(write(h.peer, "hello\r\n", 7), 7);
	turn(&h, 3);
	ck_assert_int_ge(h.reads, 1);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 7);
	/* Edge-triggered: a second write is a second edge. */
	ck_assert_int_eq(write(h.peer, "again\r\n", 7), 7);
	turn(&h, 3);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 14);
	ck_assert_int_eq(h.events, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_data_before_conn)
{
	struct h	 h;
	int		 sv[2];

	memset(&h, 0, sizeof(h));
	h.base = event_base_new();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ck_assert_int_eq(write(sv[1], "early", 5), 5);
	h.peer = sv[1];
	h.c = conn_new(h.base, sv[0]);
	conn_setcb(h.c, h_read, h_write, h_event, &h);
	turn(&h, 3);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 5);
	h_done(&h);
}
END_TEST

START_TEST(test_big_read_all)
{
	struct h	 h;
	static char	 buf[200000];
	size_t		 off = 0;
	ssize_t		 r;
	int		 i;

	h_init(&h);
	memset(buf, 'x', sizeof(buf));
	fcntl(h.peer, F_SETFL, O_NONBLOCK);
	for (i = 0; i < 200 && (off < sizeof(buf) ||
	    evbuffer_get_length(conn_input(h.c)) < sizeof(buf)); i++) {
		if (off < sizeof(buf) && (r = write(h.peer, buf + off,
		    sizeof(buf) - off)) > 0)
			off += (size_t)r;
		turn(&h, 1);
	}
	/* No edge lost: everything arrived though no more edges come. */
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), sizeof(buf));
	h_done(&h);
}
END_TEST

START_TEST(test_high_watermark)
{
	struct h	 h;
	static char	 buf[10000];
	int		 i;

	h_init(&h);
	conn_setwatermark(h.c, EV_READ, 0, 1000);
	memset(buf, 'y', sizeof(buf));
	ck_assert_int_eq(write(h.peer, buf, sizeof(buf)), (int)sizeof(buf));
	turn(&h, 5);
	/* Paused at the high watermark. */
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 1000);
	/* Consuming resumes it, with no new edge from the peer. */
	for (i = 0; i < 30; i++) {
		evbuffer_drain(conn_input(h.c), 1000);
		turn(&h, 2);
	}
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 0);
	ck_assert_int_ge(h.reads, 10);
	h_done(&h);
}
END_TEST

START_TEST(test_disable_enable_buffered)
{
	struct h	 h;

	h_init(&h);
	h.disable_on_read = 1;
	ck_assert_int_eq(write(h.peer, "one", 3), 3);
	turn(&h, 3);
	ck_assert_int_eq(h.reads, 1);
	ck_assert_int_eq(write(h.peer, "two", 3), 3);
	turn(&h, 3);
	/* Disabled: the edge came, but nothing is read. */
	ck_assert_int_eq(h.reads, 1);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 3);
	h.disable_on_read = 0;
	conn_enable(h.c, EV_READ);
	/* Not read inside conn_enable (no recursion)... */
	ck_assert_int_eq(h.reads, 1);
	turn(&h, 3);
	/* ...but at once from the loop, though no new edge comes. */
	ck_assert_int_eq(h.reads, 2);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 6);
	h_done(&h);
}
END_TEST

START_TEST(test_write_through)
{
	struct h	 h;
	char		 buf[64];
	ssize_t		 r;

	h_init(&h);
	evbuffer_add(conn_output(h.c), "250 ", 4);
	evbuffer_add(conn_output(h.c), "ok\r\n", 4);
	/* Nothing written inside the add. */
	ck_assert_uint_eq(evbuffer_get_length(conn_output(h.c)), 8);
	turn(&h, 1);
	ck_assert_uint_eq(evbuffer_get_length(conn_output(h.c)), 0);
	ck_assert_int_eq(h.writes, 1);
	r = read(h.peer, buf, sizeof(buf));
	ck_assert_int_eq(r, 8);
	ck_assert_int_eq(memcmp(buf, "250 ok\r\n", 8), 0);
	h_done(&h);
}
END_TEST

START_TEST(test_partial_writes)
{
	struct h	 h;
	static char	 buf[1 << 20];
	size_t		 got = 0;
	int		 sz = 4096, i;

	h_init(&h);
	ck_assert_int_eq(setsockopt(h.peer, SOL_SOCKET, SO_RCVBUF, &sz,
	    sizeof(sz)), 0);
	memset(buf, 'z', sizeof(buf));
	evbuffer_add(conn_output(h.c), buf, sizeof(buf));
	turn(&h, 3);
	/* The kernel took part; the rest waits for writability. */
	ck_assert_uint_gt(evbuffer_get_length(conn_output(h.c)), 0);
	ck_assert_int_eq(h.writes, 0);
	for (i = 0; i < 2000 && got < sizeof(buf); i++) {
		got += drain_peer(h.peer);
		turn(&h, 1);
	}
	ck_assert_uint_eq(got, sizeof(buf));
	ck_assert_uint_eq(evbuffer_get_length(conn_output(h.c)), 0);
	ck_assert_int_eq(h.writes, 1);
	ck_assert_int_eq(h.events, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_write_lowat)
{
	struct h	 h;
	static char	 buf[1 << 20];
	size_t		 got = 0;
	int		 i;

	h_init(&h);
	conn_setwatermark(h.c, EV_WRITE, 512 * 1024, 0);
	memset(buf, 'w', sizeof(buf));
	evbuffer_add(conn_output(h.c), buf, sizeof(buf));
	turn(&h, 2);
	for (i = 0; i < 2000 && h.writes == 0; i++) {
		got += drain_peer(h.peer);
		turn(&h, 1);
	}
	/* Called once the output is at or below the low watermark. */
	ck_assert_int_ge(h.writes, 1);
	ck_assert_uint_le(evbuffer_get_length(conn_output(h.c)), 512 * 1024);
	h_done(&h);
}
END_TEST

START_TEST(test_write_disabled)
{
	struct h	 h;

	h_init(&h);
	conn_disable(h.c, EV_WRITE);
	evbuffer_add(conn_output(h.c), "x", 1);
	turn(&h, 3);
	ck_assert_uint_eq(evbuffer_get_length(conn_output(h.c)), 1);
	conn_enable(h.c, EV_WRITE);
	turn(&h, 2);
	ck_assert_uint_eq(evbuffer_get_length(conn_output(h.c)), 0);
	h_done(&h);
}
END_TEST

START_TEST(test_eof)
{
	struct h	 h;

	h_init(&h);
	ck_assert_int_eq(write(h.peer, "last", 4), 4);
	close(h.peer);
	h.peer = -1;
	turn(&h, 4);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 4);
	ck_assert_int_eq(h.events, 1);
	ck_assert_int_eq(h.last_event, CONN_EVENT_READING | CONN_EVENT_EOF);
	h_done(&h);
}
END_TEST

START_TEST(test_eof_after_short_read)
{
	struct h	 h;

	h_init(&h);
	ck_assert_int_eq(write(h.peer, "a", 1), 1);
	turn(&h, 3);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 1);
	shutdown(h.peer, SHUT_WR);
	turn(&h, 3);
	ck_assert_int_eq(h.last_event, CONN_EVENT_READING | CONN_EVENT_EOF);
	h_done(&h);
}
END_TEST

START_TEST(test_write_error)
{
	struct h	 h;

	h_init(&h);
	close(h.peer);
	h.peer = -1;
	h.free_on_event = 1;
	evbuffer_add(conn_output(h.c), "lost", 4);
	turn(&h, 4);
	/* EOF or EPIPE: either way one event, and freeing in it is safe. */
	ck_assert_int_ge(h.events, 1);
	ck_assert_ptr_null(h.c);
	h_done(&h);
}
END_TEST

START_TEST(test_write_error_enabled)
{
	struct h	 h;

	h_init(&h);
	conn_disable(h.c, EV_READ);
	close(h.peer);
	h.peer = -1;
	evbuffer_add(conn_output(h.c), "lost", 4);
	turn(&h, 4);
	ck_assert_int_eq(h.events, 1);
	ck_assert_int_eq(h.last_event, CONN_EVENT_WRITING | CONN_EVENT_ERROR);
	ck_assert_int_eq(h.last_errno, EPIPE);
	ck_assert_int_eq(conn_get_enabled(h.c) & EV_WRITE, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_read_timeout)
{
	struct h	 h;
	struct timeval	 tv = { 0, 50000 };

	h_init(&h);
	conn_set_timeouts(h.c, &tv, NULL);
	dispatch_for(&h, 300);
	ck_assert_int_eq(h.last_event, CONN_EVENT_READING | CONN_EVENT_TIMEOUT);
	ck_assert_int_eq(conn_get_enabled(h.c) & EV_READ, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_read_timeout_paused)
{
	struct h	 h;
	struct timeval	 tv = { 0, 50000 };
	struct timeval	 wait = { 0, 200000 };

	h_init(&h);
	conn_set_timeouts(h.c, &tv, NULL);
	conn_disable(h.c, EV_READ);
	/* Reading disabled: no read timeout. */
	event_base_loopexit(h.base, &wait);
	event_base_dispatch(h.base);
	ck_assert_int_eq(h.events, 0);
	h_done(&h);
}
END_TEST

START_TEST(test_write_timeout)
{
	struct h	 h;
	struct timeval	 tv = { 0, 100000 };
	static char	 buf[1 << 20];
	int		 sz = 4096;

	h_init(&h);
	setsockopt(h.peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	conn_set_timeouts(h.c, NULL, &tv);
	/* Idle with nothing to write: no timeout. */
	turn(&h, 2);
	ck_assert_int_eq(h.events, 0);
	memset(buf, 'q', sizeof(buf));
	evbuffer_add(conn_output(h.c), buf, sizeof(buf));
	dispatch_for(&h, 400);
	ck_assert_int_eq(h.last_event,
	    CONN_EVENT_WRITING | CONN_EVENT_TIMEOUT);
	h_done(&h);
}
END_TEST

START_TEST(test_free_in_read)
{
	struct h	 h;

	h_init(&h);
	h.free_on_event = 1;
	ck_assert_int_eq(write(h.peer, "x", 1), 1);
	close(h.peer);
	h.peer = -1;
	turn(&h, 4);
	ck_assert_ptr_null(h.c);
	h_done(&h);
}
END_TEST

START_TEST(test_connect)
{
	struct h		 h;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 lfd, afd, i;
	char			 buf[8];

	memset(&h, 0, sizeof(h));
	h.base = event_base_new();
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(lfd, 1), 0);
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	h.c = conn_connect(h.base, (struct sockaddr *)&sin, len);
	ck_assert_ptr_nonnull(h.c);
	conn_setcb(h.c, h_read, h_write, h_event, &h);
	evbuffer_add(conn_output(h.c), "EHLO\r\n", 6);
	for (i = 0; i < 10 && h.events == 0; i++)
		turn(&h, 1);
	ck_assert_int_eq(h.last_event, CONN_EVENT_CONNECTED);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ne(afd, -1);
	turn(&h, 2);
	ck_assert_int_eq(read(afd, buf, sizeof(buf)), 6);
	ck_assert_int_eq(write(afd, "220 x\r\n", 7), 7);
	for (i = 0; i < 10 && h.reads == 0; i++)
		turn(&h, 1);
	ck_assert_uint_eq(evbuffer_get_length(conn_input(h.c)), 7);
	close(afd);
	close(lfd);
	h.peer = -1;
	h_done(&h);
}
END_TEST

START_TEST(test_connect_refused)
{
	struct h		 h;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 lfd, i;

	memset(&h, 0, sizeof(h));
	h.base = event_base_new();
	/* A port nobody listens on: bind, note it, close. */
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(lfd, (struct sockaddr *)&sin, sizeof(sin));
	getsockname(lfd, (struct sockaddr *)&sin, &len);
	close(lfd);
	h.c = conn_connect(h.base, (struct sockaddr *)&sin, len);
	if (h.c == NULL) {
		ck_assert_int_eq(errno, ECONNREFUSED);
	} else {
		conn_setcb(h.c, h_read, h_write, h_event, &h);
		for (i = 0; i < 10 && h.events == 0; i++)
			turn(&h, 1);
		ck_assert_int_eq(h.last_event, CONN_EVENT_ERROR);
		ck_assert_int_eq(h.last_errno, ECONNREFUSED);
	}
	h.peer = -1;
	h_done(&h);
}
END_TEST

/*
 * A listening socket on 127.0.0.1, a port of the system's choice, in
 * *sin; transparent: with IP_TRANSPARENT (root only).
 */
static int
listen_lo(struct sockaddr_in *sin, int transparent)
{
	socklen_t	 len = sizeof(*sin);
	int		 fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(fd, -1);
	if (transparent)
		ck_assert_int_eq(setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT,
		    &one, sizeof(one)), 0);
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sin, sizeof(*sin)), 0);
	ck_assert_int_eq(listen(fd, 2), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sin, &len), 0);
	return fd;
}

/*
 * conn_connect_from(): the connection comes from the source address
 * given (127.0.0.9, a local address on lo, so the replies come back
 * without a TPROXY set-up), the socket is transparent, and an accepted
 * socket is transparent only from a transparent listener. Without the
 * capability (not root) it fails with EPERM, and conn_source_allowed()
 * says so beforehand.
 */
START_TEST(test_connect_from)
{
	struct h		 h;
	struct sockaddr_in	 sin, src, peer;
	socklen_t		 len = sizeof(sin), plen = sizeof(peer);
	struct conn		*ac;
	int			 lfd, afd, i;
	char			 text[INET_ADDRSTRLEN];

	memset(&h, 0, sizeof(h));
	h.base = event_base_new();
	lfd = listen_lo(&sin, 0);
	memset(&src, 0, sizeof(src));
	src.sin_family = AF_INET;
	src.sin_port = htons(25);	/* ignored: the system picks one */
	ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.9", &src.sin_addr), 1);
	h.c = conn_connect_from(h.base, (struct sockaddr *)&sin, len,
	    (struct sockaddr *)&src, sizeof(src));
	if (geteuid() != 0) {
		ck_assert_ptr_null(h.c);
		ck_assert_int_eq(errno, EPERM);
		ck_assert_int_eq(conn_source_allowed(), -1);
		close(lfd);
		h.peer = -1;
		h_done(&h);
		return;
	}
	ck_assert_int_eq(conn_source_allowed(), 0);
	ck_assert_ptr_nonnull(h.c);
	ck_assert_int_eq(conn_transparent(h.c), 1);
	conn_setcb(h.c, h_read, h_write, h_event, &h);
	for (i = 0; i < 10 && h.events == 0; i++)
		turn(&h, 1);
	ck_assert_int_eq(h.last_event, CONN_EVENT_CONNECTED);
	afd = accept(lfd, (struct sockaddr *)&peer, &plen);
	ck_assert_int_ne(afd, -1);
	inet_ntop(AF_INET, &peer.sin_addr, text, sizeof(text));
	ck_assert_str_eq(text, "127.0.0.9");
	ck_assert_uint_ne(ntohs(peer.sin_port), 25);
	/* A plain listener's connection is not transparent... */
	ac = conn_new(h.base, afd);
	ck_assert_ptr_nonnull(ac);
	ck_assert_int_eq(conn_transparent(ac), 0);
	conn_free(ac);
	conn_free(h.c);
	h.c = NULL;
	close(lfd);
	/* ...one of an IP_TRANSPARENT listener is (it inherits the flag). */
	lfd = listen_lo(&sin, 1);
	h.c = conn_connect(h.base, (struct sockaddr *)&sin, len);
	ck_assert_ptr_nonnull(h.c);
	ck_assert_int_eq(conn_transparent(h.c), 0);
	afd = accept(lfd, NULL, NULL);
	ck_assert_int_ne(afd, -1);
	ac = conn_new(h.base, afd);
	ck_assert_ptr_nonnull(ac);
	ck_assert_int_eq(conn_transparent(ac), 1);
	conn_free(ac);
	close(lfd);
	h.peer = -1;
	h_done(&h);
}
END_TEST

START_TEST(test_close_reset)
{
	struct h	 h;
	static char	 buf[1 << 20];
	int		 sz = 4096;
	char		 b[16];

	h_init(&h);
	setsockopt(h.peer, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	memset(buf, 'r', sizeof(buf));
	evbuffer_add(conn_output(h.c), buf, sizeof(buf));
	turn(&h, 2);
	conn_close_reset(h.c);
	h.c = NULL;
	/* The peer sees the end (a socketpair has no RST) at once. */
	drain_peer(h.peer);
	ck_assert_int_eq(read(h.peer, b, sizeof(b)), 0);
	h_done(&h);
}
END_TEST

/* A transport that returns EAGAIN once per call pair, as TLS may. */
static int	 flaky_calls;

static ssize_t
flaky_read(struct conn *c, void *ctx, const struct iovec *iov, int n,
    int *want_r)
{
	(void)ctx;
	if (flaky_calls++ % 2 == 0) {
		*want_r = EV_READ;
		errno = EAGAIN;
		return -1;
	}
	return conn_io_plain.read(c, NULL, iov, n, want_r);
}

static const struct conn_io flaky_io = {
	flaky_read, NULL, 0, NULL, NULL
};

START_TEST(test_io_hook)
{
	struct h	 h;
	struct conn_io	 io = flaky_io;
	int		 i;

	io.write = conn_io_plain.write;
	h_init(&h);
	conn_set_io(h.c, &io, NULL);
	ck_assert_int_eq(write(h.peer, "abc", 3), 3);
	/* EAGAIN waits for the next edge: the next write gives one. */
	for (i = 0; i < 5; i++) {
		turn(&h, 2);
		if (evbuffer_get_length(conn_input(h.c)) >= 3)
			break;
		ck_assert_int_eq(write(h.peer, "d", 1), 1);
	}
	ck_assert_uint_ge(evbuffer_get_length(conn_input(h.c)), 3);
	h_done(&h);
}
END_TEST

static Suite *
conn_suite(void)
{
	Suite	*s = suite_create("conn");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_read_basic);
	tcase_add_test(tc, test_data_before_conn);
	tcase_add_test(tc, test_big_read_all);
	tcase_add_test(tc, test_high_watermark);
	tcase_add_test(tc, test_disable_enable_buffered);
	tcase_add_test(tc, test_write_through);
	tcase_add_test(tc, test_partial_writes);
	tcase_add_test(tc, test_write_lowat);
	tcase_add_test(tc, test_write_disabled);
	tcase_add_test(tc, test_eof);
	tcase_add_test(tc, test_eof_after_short_read);
	tcase_add_test(tc, test_write_error);
	tcase_add_test(tc, test_write_error_enabled);
	tcase_add_test(tc, test_read_timeout);
	tcase_add_test(tc, test_read_timeout_paused);
	tcase_add_test(tc, test_write_timeout);
	tcase_add_test(tc, test_free_in_read);
	tcase_add_test(tc, test_connect);
	tcase_add_test(tc, test_connect_refused);
	tcase_add_test(tc, test_connect_from);
	tcase_add_test(tc, test_close_reset);
	tcase_add_test(tc, test_io_hook);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	signal(SIGPIPE, SIG_IGN);
	sr = srunner_create(conn_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
