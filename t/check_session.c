/*
 * The session over real sockets in one process: the test is the client
 * (one end of a socketpair handed to session_new) and the upstream (a
 * loopback listener it accepts from), and turns the event loop by hand.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "session.h"

struct harness {
	struct event_base	*base;
	struct config		*conf;
	int			 client;	/* our end of the client socket */
	int			 lfd;		/* fake upstream listener */
	int			 up;		/* accepted upstream connection */
	char			 cbuf[65536];	/* what the client received */
	size_t			 clen;
	char			 ubuf[65536];	/* what the upstream received */
	size_t			 ulen;
	int			 upstream_eof;
	int			 client_eof;
};

static void
config_error(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

static struct config *
load_config(const char *extra)
{
	char		 path[] = "/tmp/check_session.XXXXXX";
	struct config	*conf;
	FILE		*fp;
	int		 fd;

	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "listen = { \"127.0.0.1:1\" }\nmode = \"relay\"\n"
	    "upstream = \"127.0.0.1:2\"\nhostname = \"proxy.test\"\n%s\n",
	    extra);
	fclose(fp);
	conf = config_load(path, config_error);
	unlink(path);
	ck_assert_ptr_nonnull(conf);
	return conf;
}

static void
nonblock(int fd)
{
	ck_assert_int_ne(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK),
	    -1);
}

static void
h_init(struct harness *h, const char *extra)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 sv[2], one = 1;

	memset(h, 0, sizeof(*h));
	h->up = -1;
	h->base = event_base_new();
	ck_assert_ptr_nonnull(h->base);
	h->conf = load_config(extra);

	h->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ne(h->lfd, -1);
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(h->lfd, (struct sockaddr *)&sin, sizeof(sin)),
	    0);
	ck_assert_int_eq(listen(h->lfd, 8), 0);
	ck_assert_int_eq(getsockname(h->lfd, (struct sockaddr *)&sin, &len),
	    0);
	nonblock(h->lfd);
	session_set_upstream((struct sockaddr *)&sin, len);

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	nonblock(sv[0]);
	nonblock(sv[1]);
	h->client = sv[0];
	ck_assert_int_eq(session_new(h->base, h->conf, sv[1],
	    (struct sockaddr *)&sin, len, (struct sockaddr *)&sin, len, 0),
	    0);
}

static void
h_free(struct harness *h)
{
	close(h->client);
	if (h->up != -1)
		close(h->up);
	close(h->lfd);
	/* Closing our ends lets the session see EOF and free itself. */
	for (int i = 0; i < 50 && session_count() > 0; i++) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		poll(NULL, 0, 2);
	}
	ck_assert_int_eq(session_count(), 0);
	config_unref(h->conf);
	event_base_free(h->base);
}

/* Read what is there without blocking. */
static void
h_drain(struct harness *h)
{
	ssize_t	 n = -1;
	int	 fd;

	if (h->up == -1 && (fd = accept(h->lfd, NULL, NULL)) != -1) {
		nonblock(fd);
		h->up = fd;
		h->upstream_eof = 0;
	}
	while (h->up != -1 && (n = read(h->up, h->ubuf + h->ulen,
	    sizeof(h->ubuf) - 1 - h->ulen)) > 0)
		h->ulen += (size_t)n;
	if (h->up != -1 && n == 0)
		h->upstream_eof = 1;
	h->ubuf[h->ulen] = '\0';
	while ((n = read(h->client, h->cbuf + h->clen,
	    sizeof(h->cbuf) - 1 - h->clen)) > 0)
		h->clen += (size_t)n;
	if (n == 0)
		h->client_eof = 1;
	h->cbuf[h->clen] = '\0';
}

/* Turn the loop until what appears (in the client's or upstream's data). */
static int
h_wait(struct harness *h, const char *buf, const char *what)
{
	int	 i;

	for (i = 0; i < 2000; i++) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		h_drain(h);
		if (strstr(buf, what) != NULL)
			return 1;
		poll(NULL, 0, 1);
	}
	return 0;
}

static void
h_settle(struct harness *h)
{
	for (int i = 0; i < 30; i++) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		h_drain(h);
		poll(NULL, 0, 1);
	}
}

static void
h_client(struct harness *h, const char *s, size_t len)
{
	ck_assert_int_eq(write(h->client, s, len), (ssize_t)len);
}

static void
h_upstream(struct harness *h, const char *s)
{
	ck_assert_int_ne(h->up, -1);
	ck_assert_int_eq(write(h->up, s, strlen(s)), (ssize_t)strlen(s));
}

#define CLIENT(h, s)	h_client(h, s, sizeof(s) - 1)

/* Greeting and EHLO through a fresh session. */
static void
h_start(struct harness *h)
{
	ck_assert(h_wait(h, h->ubuf, "") && (h_settle(h), h->up != -1));
	h_upstream(h, "220 up.test ESMTP\r\n");
	ck_assert_msg(h_wait(h, h->cbuf, "220 up.test ESMTP\r\n"), "%s",
	    h->cbuf);
	CLIENT(h, "EHLO client.test\r\n");
	ck_assert(h_wait(h, h->ubuf, "EHLO client.test\r\n"));
	h_upstream(h, "250-up.test\r\n250 PIPELINING\r\n");
	ck_assert(h_wait(h, h->cbuf, "250 PIPELINING\r\n"));
}

START_TEST(test_relay_message)
{
	struct harness	 h;

	h_init(&h, "");
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
	ck_assert(h_wait(&h, h.ubuf, "DATA\r\n"));
	h_upstream(&h, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n354 go\r\n");
	ck_assert(h_wait(&h, h.cbuf, "354 go\r\n"));
	CLIENT(&h, "Subject: x\r\n\r\n..dot\r\nline\r\n.\r\n");
	ck_assert_msg(h_wait(&h, h.ubuf, "..dot\r\nline\r\n.\r\n"), "%s",
	    h.ubuf);
	h_upstream(&h, "250 2.0.0 queued\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 2.0.0 queued\r\n"));
	/* Replies arrived in command order. */
	ck_assert_ptr_nonnull(strstr(h.cbuf, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n"
	    "354 go\r\n"));
	CLIENT(&h, "QUIT\r\n");
	ck_assert(h_wait(&h, h.ubuf, "QUIT\r\n"));
	h_upstream(&h, "221 bye\r\n");
	ck_assert(h_wait(&h, h.cbuf, "221 bye\r\n"));
	h_free(&h);
}
END_TEST

START_TEST(test_pipelined_local_refusal_in_order)
{
	struct harness	 h;
	const char	*a, *b, *c;

	h_init(&h, "");
	h_start(&h);
	/* MAIL, an empty line (smtp:219), RCPT, all in one packet. */
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\n\r\nRCPT TO:<c@d.test>\r\n");
	ck_assert(h_wait(&h, h.ubuf, "RCPT TO:<c@d.test>\r\n"));
	h_settle(&h);
	/* The local refusal waits for the upstream's MAIL reply. */
	ck_assert_ptr_null(strstr(h.cbuf, "smtp:219"));
	h_upstream(&h, "250 2.1.0 mail ok\r\n250 2.1.5 rcpt ok\r\n");
	ck_assert(h_wait(&h, h.cbuf, "rcpt ok\r\n"));
	a = strstr(h.cbuf, "mail ok");
	b = strstr(h.cbuf, "500 5.5.2");
	c = strstr(h.cbuf, "rcpt ok");
	ck_assert(a != NULL && b != NULL && c != NULL);
	ck_assert(a < b && b < c);
	ck_assert_ptr_nonnull(strstr(b, "(smtp:219)"));
	/* The empty line never reached the upstream. */
	ck_assert_ptr_null(strstr(h.ubuf, "\r\n\r\n"));
	h_free(&h);
}
END_TEST

START_TEST(test_bare_lf_refused_then_reconnect)
{
	struct harness	 h;

	h_init(&h, "");
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
	ck_assert(h_wait(&h, h.ubuf, "DATA\r\n"));
	h_upstream(&h, "250 ok\r\n250 ok\r\n354 go\r\n");
	ck_assert(h_wait(&h, h.cbuf, "354 go\r\n"));
	/* Smuggling attempt: "\n.\n" then a second transaction. */
	CLIENT(&h, "hello\n.\nMAIL FROM:<evil@x.test>\r\n.\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "554 5.6.0"), "%s", h.cbuf);
	ck_assert_ptr_nonnull(strstr(h.cbuf, "(smtp:241)"));
	/* The upstream lost its connection before any terminator. */
	ck_assert(h_wait(&h, "", "") || 1);
	for (int i = 0; i < 200 && !h.upstream_eof; i++) {
		event_base_loop(h.base, EVLOOP_NONBLOCK);
		h_drain(&h);
		poll(NULL, 0, 1);
	}
	ck_assert(h.upstream_eof);
	ck_assert_ptr_null(strstr(h.ubuf, "\r\n.\r\n"));
	ck_assert_ptr_null(strstr(h.ubuf, "\n.\n"));

	/* The next transaction gets a new upstream with EHLO replayed. */
	close(h.up);
	h.up = -1;
	h.ulen = 0;
	h.clen = 0;
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\n");
	ck_assert(h_wait(&h, h.ubuf, "") && (h_settle(&h), h.up != -1));
	ck_assert_int_eq(h.ulen, 0);	/* nothing before the greeting */
	h_upstream(&h, "220 again\r\n");
	ck_assert(h_wait(&h, h.ubuf, "EHLO client.test\r\n"));
	h_upstream(&h, "250 up.test\r\n");
	ck_assert(h_wait(&h, h.ubuf, "MAIL FROM:<a@b.test>\r\n"));
	h_upstream(&h, "250 2.1.0 ok\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 2.1.0 ok\r\n"));
	/* The absorbed greeting and EHLO reply never reached the client. */
	ck_assert_ptr_null(strstr(h.cbuf, "again"));
	ck_assert_ptr_null(strstr(h.cbuf, "up.test"));
	h_free(&h);
}
END_TEST

START_TEST(test_body_before_354_is_refused)
{
	struct harness	 h;

	h_init(&h, "");
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
	ck_assert(h_wait(&h, h.ubuf, "DATA\r\n"));
	CLIENT(&h, "Subject: early\r\n\r\nbody\r\n.\r\n");
	h_settle(&h);
	h_upstream(&h, "250 ok\r\n250 ok\r\n354 go\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "(smtp:251)"), "%s", h.cbuf);
	ck_assert_ptr_nonnull(strstr(h.cbuf, "554 5.5.0"));
	ck_assert_ptr_null(strstr(h.cbuf, "354 go"));
	/* One refusal per early line, in order, and nothing relayed. */
	h_settle(&h);
	ck_assert_ptr_null(strstr(h.ubuf, "early"));
	h_free(&h);
}
END_TEST

START_TEST(test_invalid_reply_closes)
{
	struct harness	 h;

	h_init(&h, "");
	h_start(&h);
	CLIENT(&h, "NOOP\r\n");
	ck_assert(h_wait(&h, h.ubuf, "NOOP\r\n"));
	h_upstream(&h, "hello there\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "421 4.4.0"), "%s", h.cbuf);
	ck_assert_ptr_nonnull(strstr(h.cbuf, "(smtp:246)"));
	for (int i = 0; i < 200 && !h.client_eof; i++) {
		event_base_loop(h.base, EVLOOP_NONBLOCK);
		h_drain(&h);
		poll(NULL, 0, 1);
	}
	ck_assert(h.client_eof);
	h_free(&h);
}
END_TEST

START_TEST(test_upstream_lost)
{
	struct harness	 h;

	h_init(&h, "");
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\n");
	ck_assert(h_wait(&h, h.ubuf, "MAIL"));
	close(h.up);
	h.up = -1;
	ck_assert_msg(h_wait(&h, h.cbuf, "421 4.4.2"), "%s", h.cbuf);
	h_free(&h);
}
END_TEST

START_TEST(test_split_bytes)
{
	struct harness	 h;
	const char	*cmd = "MAIL FROM:<a@b.test>\r\n";

	h_init(&h, "");
	h_start(&h);
	for (const char *p = cmd; *p != '\0'; p++) {
		h_client(&h, p, 1);
		h_settle(&h);
		if (p[1] != '\0')
			ck_assert_ptr_null(strstr(h.ubuf, "MAIL"));
	}
	ck_assert(h_wait(&h, h.ubuf, cmd));
	h_free(&h);
}
END_TEST

static Suite *
session_suite(void)
{
	Suite	*s = suite_create("session");
	TCase	*tc = tcase_create("dialog");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_relay_message);
	tcase_add_test(tc, test_pipelined_local_refusal_in_order);
	tcase_add_test(tc, test_bare_lf_refused_then_reconnect);
	tcase_add_test(tc, test_body_before_354_is_refused);
	tcase_add_test(tc, test_invalid_reply_closes);
	tcase_add_test(tc, test_upstream_lost);
	tcase_add_test(tc, test_split_bytes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	log_init(1, 0);
	log_setlevel(getenv("CHECK_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	sr = srunner_create(session_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
