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
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "session.h"
#include "stats.h"

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

/* A session from client (to it, too): our end of its socketpair. */
static int
h_open(struct harness *h, const struct sockaddr *client, socklen_t len,
    int loop)
{
	int	 sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	nonblock(sv[0]);
	nonblock(sv[1]);
	ck_assert_int_eq(session_new(h->base, h->conf, sv[1], client, len,
	    client, len, loop), 0);
	return sv[0];
}

static void
h_init(struct harness *h, const char *extra)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 one = 1;

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

	h->client = h_open(h, (struct sockaddr *)&sin, len, 0);
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
		/* The buffers may hold NUL bytes. */
		if (memmem(buf, buf == h->ubuf ? h->ulen : buf == h->cbuf ?
		    h->clen : strlen(buf), what, strlen(what)) != NULL)
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

/* A transaction up to the 354: MAIL, RCPT and DATA pipelined. */
static void
h_data(struct harness *h)
{
	CLIENT(h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
	ck_assert(h_wait(h, h->ubuf, "DATA\r\n"));
	h_upstream(h, "250 ok\r\n250 ok\r\n354 go\r\n");
	ck_assert(h_wait(h, h->cbuf, "354 go\r\n"));
}

/* How often an alarm was counted so far, over every thread. */
static int64_t
stats_alarm_count(enum alarm_id id)
{
	struct stats	 st;

	stats_sum(&st);
	return st.alarm[id];
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
	h_data(&h);
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


/* Turn the loop until the client sees EOF (the session closed). */
static int
h_wait_eof(struct harness *h)
{
	for (int i = 0; i < 2000 && !h->client_eof; i++) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		h_drain(h);
		poll(NULL, 0, 1);
	}
	return h->client_eof;
}

static int
count_of(const char *hay, const char *needle)
{
	int	 n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

/*
 * smtp:251 set to "close" and "EHLO x\r\nNOOP\r\n" in one packet: the
 * EHLO reply and the 421 reach the client, once each, then EOF (this
 * was a double free of the head reply).
 */
START_TEST(test_pipelining_close_after_ehlo)
{
	struct harness	 h;

	h_init(&h, "alarm \"smtp:251\" { action = \"close\" }");
	ck_assert(h_wait(&h, h.ubuf, "") && (h_settle(&h), h.up != -1));
	h_upstream(&h, "220 up.test ESMTP\r\n");
	ck_assert(h_wait(&h, h.cbuf, "220 up.test"));
	CLIENT(&h, "EHLO x\r\nNOOP\r\n");
	ck_assert(h_wait(&h, h.ubuf, "EHLO x\r\n"));
	h_upstream(&h, "250-up.test\r\n250 PIPELINING\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "(smtp:251)"), "%s", h.cbuf);
	ck_assert(h_wait_eof(&h));
	ck_assert_int_eq(count_of(h.cbuf, "250 PIPELINING\r\n"), 1);
	ck_assert_int_eq(count_of(h.cbuf, "421 4.7.0"), 1);
	ck_assert_ptr_null(strstr(h.ubuf, "NOOP"));
	h_free(&h);
}
END_TEST

/*
 * Every alarm a command line can raise, set to "close", on a trigger
 * pipelined behind a good command: the good command's reply comes
 * first, then exactly one 421 naming the alarm, then EOF; nothing of
 * the trigger reaches the upstream.
 */
static const struct close_vec {
	const char	*id;
	const char	*trigger;
	const char	*extra;
} close_vecs[] = {
	{ "smtp:217", "NOOP aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "\r\n", "" },
	{ "smtp:219", "\r\n", "" },
	{ "smtp:223", "VRFY root\r\n", "" },
	{ "smtp:241", "NO\nOP\r\n", "" },
	{ "smtp:243", "RSET\r\nRCPT TO:<a@b.test>\r\n", "" },
	{ "smtp:244", "RCPT TO:<e@f.test>\r\n", "limits { recipients = 1 }" },
	{ "smtp:245", "RSET\r\nMAIL FROM:<a@b.test> SIZE=99999999999\r\n",
	    "extensions { enabled = false }" },
	{ "smtp:248", "RSET\r\nMAIL FROM:<a b@c.test>\r\n", "" },
};

START_TEST(test_alarm_close_pipelined)
{
	const struct close_vec	*v = &close_vecs[_i];
	struct harness		 h;
	char			 conf[256], want[64];
	const char		*a, *b;

	snprintf(conf, sizeof(conf), "alarm \"%s\" { action = \"close\" }\n%s",
	    v->id, v->extra);
	h_init(&h, conf);
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
	ck_assert(h_wait(&h, h.ubuf, "RCPT TO:<c@d.test>\r\n"));
	h_client(&h, v->trigger, strlen(v->trigger));
	h_settle(&h);
	h_upstream(&h, "250 2.1.0 mail ok\r\n250 2.1.5 rcpt ok\r\n"
	    "250 2.0.0 rset ok\r\n");
	snprintf(want, sizeof(want), "(%s)", v->id);
	ck_assert_msg(h_wait(&h, h.cbuf, want), "%s: %s", v->id, h.cbuf);
	ck_assert_msg(h_wait_eof(&h), "%s: no EOF", v->id);
	a = strstr(h.cbuf, "rcpt ok");
	b = strstr(h.cbuf, "421 4.7.0");
	ck_assert_msg(a != NULL && b != NULL && a < b, "%s: %s", v->id,
	    h.cbuf);
	ck_assert_int_eq(count_of(h.cbuf, "421 "), 1);
	ck_assert_ptr_null(strstr(h.ubuf, "VRFY"));
	ck_assert_ptr_null(strstr(h.ubuf, "SIZE=99999999999"));
	ck_assert_ptr_null(strstr(h.ubuf, "a b@c.test"));
	ck_assert_ptr_null(strstr(h.ubuf, "e@f.test"));
	h_free(&h);
}
END_TEST

/*
 * RFC 2920 §3.1's own example: "." and QUIT in one write. The end of
 * data is no group end: QUIT waits for the end-of-data reply and gets
 * the upstream's 221; a transaction pipelined after "." is relayed.
 */
START_TEST(test_pipelined_after_end_of_data)
{
	struct harness	 h;
	const char	*a, *b;

	h_init(&h, "");
	h_start(&h);
	h_data(&h);
	CLIENT(&h, "Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<n@b.test>\r\n"
	    "RCPT TO:<c@d.test>\r\nQUIT\r\n");
	ck_assert(h_wait(&h, h.ubuf, "body\r\n.\r\n"));
	h_settle(&h);
	/* Nothing after "." before its reply. */
	ck_assert_ptr_null(strstr(h.ubuf, "n@b.test"));
	h_upstream(&h, "250 2.0.0 queued\r\n");
	ck_assert(h_wait(&h, h.ubuf, "QUIT\r\n"));
	h_upstream(&h, "250 2.1.0 ok\r\n250 2.1.5 ok\r\n221 2.0.0 bye\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "221 2.0.0 bye\r\n"), "%s", h.cbuf);
	ck_assert_ptr_null(strstr(h.cbuf, "smtp:251"));
	a = strstr(h.cbuf, "250 2.0.0 queued");
	b = strstr(h.cbuf, "221 2.0.0 bye");
	ck_assert(a != NULL && b != NULL && a < b);
	h_free(&h);
}
END_TEST

/*
 * Limit replies are no bad commands: 30 recipients over the limit with
 * max_bad_commands = 5 get 30 452s and the session goes on. Commands a
 * client should not send do count, and the one too many gets the 421
 * instead of its refusal: one reply per command.
 */
START_TEST(test_bad_commands_counted)
{
	struct harness	 h;
	char		 line[64];
	int		 i;

	h_init(&h, "max_bad_commands = 5\nlimits { recipients = 1 }");
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\n");
	ck_assert(h_wait(&h, h.ubuf, "RCPT TO:<c@d.test>\r\n"));
	h_upstream(&h, "250 ok\r\n250 ok\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 ok\r\n250 ok\r\n"));
	for (i = 0; i < 30; i++) {
		snprintf(line, sizeof(line), "RCPT TO:<r%d@d.test>\r\n", i);
		h_client(&h, line, strlen(line));
	}
	for (i = 0; i < 200 && count_of(h.cbuf, "452 4.5.3") < 30; i++)
		h_settle(&h);
	ck_assert_int_eq(count_of(h.cbuf, "452 4.5.3"), 30);
	ck_assert_ptr_null(strstr(h.cbuf, "421"));
	h.clen = 0;
	for (i = 0; i < 6; i++)
		CLIENT(&h, "VRFY root\r\n");
	ck_assert(h_wait_eof(&h));
	ck_assert_int_eq(count_of(h.cbuf, "502 5.5.1"), 5);
	ck_assert_int_eq(count_of(h.cbuf, "421 4.7.0"), 1);
	ck_assert_int_eq(count_of(h.cbuf, "\r\n"), 6);
	h_free(&h);
}
END_TEST

/* MAIL/RCPT without angle brackets are accepted and relayed bracketed. */
START_TEST(test_path_without_brackets)
{
	struct harness	 h;

	h_init(&h, "extensions { enabled = false }");
	h_start(&h);
	CLIENT(&h, "MAIL FROM: a@b.test SIZE=10\r\nrcpt to:c@d.test\r\n");
	ck_assert_msg(h_wait(&h, h.ubuf, "RCPT TO:<c@d.test>\r\n"), "%s",
	    h.ubuf);
	ck_assert_ptr_nonnull(strstr(h.ubuf,
	    "MAIL FROM:<a@b.test> SIZE=10\r\n"));
	h_upstream(&h, "250 ok\r\n250 ok\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 ok\r\n250 ok\r\n"));
	ck_assert_ptr_null(strstr(h.cbuf, "smtp:248"));
	h_free(&h);
}
END_TEST

/*
 * A NUL inside a body line goes through as sent; one at a line start
 * is refused with a reply that names it.
 */
START_TEST(test_body_nul)
{
	struct harness	 h;

	h_init(&h, "");
	h_start(&h);
	h_data(&h);
	h_client(&h, "X: y\r\n\r\nabc\0def\r\n.\r\n", 20);
	ck_assert(h_wait(&h, h.ubuf, "\r\n.\r\n"));
	ck_assert_int_eq(memcmp(h.ubuf + h.ulen - 12, "abc\0def\r\n.\r\n",
	    12), 0);
	h_upstream(&h, "250 2.0.0 queued\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 2.0.0 queued"));
	CLIENT(&h, "MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 2.0.0 queued"));
	h_upstream(&h, "250 ok\r\n250 ok\r\n354 go\r\n");
	h_settle(&h);
	h_client(&h, "X: y\r\n\r\n\0.\r\n.\r\n", 15);
	ck_assert_msg(h_wait(&h, h.cbuf, "NUL at the start of a line"), "%s",
	    h.cbuf);
	ck_assert_ptr_nonnull(strstr(h.cbuf, "554 5.6.0"));
	ck_assert_ptr_null(strstr(h.cbuf, "Bare CR or LF"));
	h_free(&h);
}
END_TEST

/*
 * AUTH: a response with a bare LF never smuggles a line upstream; the
 * exchange is cancelled and the client gets a refusal naming smtp:241.
 * A 12000-byte response is relayed whole.
 */
/*
 * smtp:245 set to log: a body over message_size is relayed whole and
 * the alarm is raised once for the message, not for every chunk.
 */
START_TEST(test_message_size_logged_once)
{
	struct harness	 h;
	char		 line[1002];
	int64_t		 before;
	int		 i;

	h_init(&h, "limits { message_size = 1K }\n"
	    "alarm \"smtp:245\" { action = \"log\" }\n");
	h_start(&h);
	h_data(&h);
	before = stats_alarm_count(ALARM_MESSAGE_TOO_LARGE);
	memset(line, 'x', 998);
	memcpy(line + 998, "\r\n", 2);
	h_client(&h, "X: y\r\n\r\n", 8);
	for (i = 0; i < 20; i++) {
		h_client(&h, line, 1000);
		h_settle(&h);
	}
	h_client(&h, ".\r\n", 3);
	ck_assert(h_wait(&h, h.ubuf, "\r\n.\r\n"));
	ck_assert_uint_ge(h.ulen, 20 * 1000);
	h_upstream(&h, "250 2.0.0 queued\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 2.0.0 queued"));
	ck_assert_int_eq(stats_alarm_count(ALARM_MESSAGE_TOO_LARGE) - before,
	    1);
	h_free(&h);
}
END_TEST

START_TEST(test_auth_lines)
{
	struct harness	 h;
	static char	 big[12003];

	h_init(&h, "extensions { enabled = false }");
	h_start(&h);
	h.clen = 0;
	CLIENT(&h, "AUTH PLAIN\r\n");
	ck_assert(h_wait(&h, h.ubuf, "AUTH PLAIN\r\n"));
	h_upstream(&h, "334 \r\n");
	ck_assert(h_wait(&h, h.cbuf, "334 \r\n"));
	CLIENT(&h, "dGVzdA==\nXCLIENT ADDR=1.2.3.4\r\n");
	ck_assert(h_wait(&h, h.ubuf, "*\r\n"));
	ck_assert_ptr_null(strstr(h.ubuf, "XCLIENT"));
	h_upstream(&h, "501 5.7.0 cancelled\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "(smtp:241)"), "%s", h.cbuf);
	ck_assert_ptr_null(strstr(h.cbuf, "cancelled"));

	memset(big, 'A', sizeof(big) - 3);
	memcpy(big + sizeof(big) - 3, "\r\n", 3);
	CLIENT(&h, "AUTH LOGIN\r\n");
	ck_assert(h_wait(&h, h.ubuf, "AUTH LOGIN\r\n"));
	h_upstream(&h, "334 VXNlcm5hbWU6\r\n");
	ck_assert(h_wait(&h, h.cbuf, "334 VXNlcm5hbWU6\r\n"));
	h_client(&h, big, strlen(big));
	ck_assert(h_wait(&h, h.ubuf, "AAAA\r\n"));
	ck_assert_ptr_nonnull(strstr(h.ubuf, big));
	h_free(&h);
}
END_TEST

/*
 * A pipelined RSET or a refused MAIL acts on its own transaction: the
 * next one, already started, keeps its sender and recipient count.
 */
START_TEST(test_pipelined_rset_keeps_next_tx)
{
	struct harness	 h;
	char		 path[] = "/tmp/check_session_log.XXXXXX", log[8192];
	ssize_t		 n;
	int		 fd;

	/* The message line is logged on stderr (this test runs forked). */
	fd = mkstemp(path);
	ck_assert_int_ne(fd, -1);
	unlink(path);
	ck_assert_int_ne(dup2(fd, 2), -1);
	log_setlevel(LOG_LEVEL_INFO);
	h_init(&h, "");
	h_start(&h);
	CLIENT(&h, "MAIL FROM:<bad@b.test>\r\nRSET\r\nMAIL FROM:<good@b.test>"
	    "\r\nRCPT TO:<c@d.test>\r\nDATA\r\n");
	ck_assert(h_wait(&h, h.ubuf, "DATA\r\n"));
	h_upstream(&h, "550 no\r\n250 reset\r\n250 ok\r\n250 ok\r\n354 go\r\n");
	ck_assert(h_wait(&h, h.cbuf, "354 go\r\n"));
	CLIENT(&h, "Subject: x\r\n\r\nbody\r\n.\r\n");
	ck_assert(h_wait(&h, h.ubuf, "body\r\n.\r\n"));
	h_upstream(&h, "250 2.0.0 queued\r\n");
	ck_assert(h_wait(&h, h.cbuf, "250 2.0.0 queued\r\n"));
	h_settle(&h);
	n = pread(fd, log, sizeof(log) - 1, 0);
	ck_assert_int_gt(n, 0);
	log[n] = '\0';
	ck_assert_msg(strstr(log, "from=<good@b.test> rcpts=1 ") != NULL, "%s",
	    log);
	h_free(&h);
}
END_TEST

/*
 * A greeting of 120 long lines is masked like a short one: no original
 * character of it reaches the client (this failed open past ~11 KB).
 */
START_TEST(test_long_greeting_masked)
{
	struct harness	 h;
	char		*greet;
	size_t		 off = 0;
	int		 i;

	h_init(&h, "banner { mode = \"mask\" }");
	ck_assert(h_wait(&h, h.ubuf, "") && (h_settle(&h), h.up != -1));
	greet = malloc(120 * 200 + 1);
	ck_assert_ptr_nonnull(greet);
	for (i = 0; i < 120; i++)
		off += (size_t)snprintf(greet + off, 200, "220%csecret.up.test "
		    "%0150d\r\n", i < 119 ? '-' : ' ', i);
	h_upstream(&h, greet);
	free(greet);
	ck_assert_msg(h_wait(&h, h.cbuf, "220 *"), "%.200s", h.cbuf);
	for (i = 0; i < 200 && count_of(h.cbuf, "\r\n") < 120; i++)
		h_settle(&h);
	ck_assert_int_eq(count_of(h.cbuf, "\r\n"), 120);
	ck_assert_ptr_null(strstr(h.cbuf, "secret"));
	h_free(&h);
}
END_TEST

/* Turn the loop until sa has n sessions counted. */
static int
h_wait_count(struct harness *h, const struct sockaddr *sa, int n)
{
	for (int i = 0; i < 500 && session_count_client(sa) != n; i++) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		poll(NULL, 0, 2);
	}
	return session_count_client(sa) == n;
}

/*
 * max_sessions_per_client counts: each session from an address counts
 * once, an IPv4-mapped IPv6 client as its IPv4 address, a denied or a
 * refused (loop) session too while it is open, and every one is
 * uncounted as it is freed.
 */
START_TEST(test_client_counts)
{
	struct harness		 h;
	struct sockaddr_in	 lo, denied;
	struct sockaddr_in6	 mapped;
	char			 buf[256];
	ssize_t			 n;
	int			 fd_denied, fd_loop, i;

	h_init(&h, "access { object \"bad\" { address = { \"192.0.2.66\" } }\n"
	    "rule \"no-bad\" { action = \"deny\" source = { \"bad\" } } }");
	memset(&lo, 0, sizeof(lo));
	lo.sin_family = AF_INET;
	lo.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lo.sin_port = htons(4444);
	denied = lo;
	ck_assert_int_eq(inet_pton(AF_INET, "192.0.2.66", &denied.sin_addr),
	    1);
	memset(&mapped, 0, sizeof(mapped));
	mapped.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "::ffff:127.0.0.1",
	    &mapped.sin6_addr), 1);

	ck_assert_int_eq(session_count_client((struct sockaddr *)&lo), 1);
	ck_assert_int_eq(session_count_client((struct sockaddr *)&mapped), 1);
	fd_loop = h_open(&h, (struct sockaddr *)&mapped, sizeof(mapped), 1);
	fd_denied = h_open(&h, (struct sockaddr *)&denied, sizeof(denied), 0);
	ck_assert_int_eq(session_count(), 3);
	ck_assert_int_eq(session_count_client((struct sockaddr *)&lo), 2);
	ck_assert_int_eq(session_count_client((struct sockaddr *)&denied), 1);

	/* The denied client is answered and stays counted until it goes. */
	for (i = 0, n = 0; i < 500 && n <= 0; i++) {
		event_base_loop(h.base, EVLOOP_NONBLOCK);
		n = read(fd_denied, buf, sizeof(buf) - 1);
		poll(NULL, 0, 1);
	}
	ck_assert_int_gt(n, 0);
	buf[n] = '\0';
	ck_assert_msg(strncmp(buf, "554 5.7.1 ", 10) == 0, "%s", buf);
	ck_assert_int_eq(session_count_client((struct sockaddr *)&denied), 1);
	close(fd_denied);
	ck_assert(h_wait_count(&h, (struct sockaddr *)&denied, 0));
	ck_assert_int_eq(session_count_client((struct sockaddr *)&lo), 2);
	close(fd_loop);
	ck_assert(h_wait_count(&h, (struct sockaddr *)&lo, 1));
	ck_assert_int_eq(session_count(), 1);
	h_free(&h);
	ck_assert_int_eq(session_count_client((struct sockaddr *)&lo), 0);
	ck_assert_int_eq(session_count_client((struct sockaddr *)&mapped), 0);
}
END_TEST

/*
 * STARTTLS per tls.mode over the session (SPEC §4.7). The certificate
 * for inspect is made with openssl(1) once per run.
 */
static char	 tls_dir[] = "/tmp/check_session_tls.XXXXXX";

static const char *
tls_conf(const char *upstream)
{
	static char	 buf[1024];
	char		 cmd[512];
	int		 n;

	if (strchr(tls_dir, 'X') != NULL) {
		ck_assert_ptr_nonnull(mkdtemp(tls_dir));
		n = snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey "
		    "rsa:2048 -nodes -days 1 -subj /CN=proxy.test -keyout "
		    "%s/key.pem -out %s/cert.pem >/dev/null 2>&1", tls_dir,
		    tls_dir);
		ck_assert(n > 0 && (size_t)n < sizeof(cmd));
		ck_assert_int_eq(system(cmd), 0);
	}
	n = snprintf(buf, sizeof(buf), "tls { mode = inspect certificate = "
	    "\"%s/cert.pem\" key = \"%s/key.pem\" upstream = %s }", tls_dir,
	    tls_dir, upstream);
	ck_assert(n > 0 && (size_t)n < sizeof(buf));
	return buf;
}

/* The contexts are built: the files can go. */
static void
tls_cleanup(void)
{
	char	 path[256];

	(void)snprintf(path, sizeof(path), "%s/key.pem", tls_dir);
	(void)unlink(path);
	(void)snprintf(path, sizeof(path), "%s/cert.pem", tls_dir);
	(void)unlink(path);
	(void)rmdir(tls_dir);
}

/* Greeting, then EHLO with the upstream's reply ehlo. */
static void
h_start_ehlo(struct harness *h, const char *ehlo)
{
	ck_assert(h_wait(h, h->ubuf, "") && (h_settle(h), h->up != -1));
	h_upstream(h, "220 up.test ESMTP\r\n");
	ck_assert(h_wait(h, h->cbuf, "220 up.test ESMTP\r\n"));
	CLIENT(h, "EHLO client.test\r\n");
	ck_assert(h_wait(h, h->ubuf, "EHLO client.test\r\n"));
	h_upstream(h, ehlo);
	ck_assert(h_wait(h, h->cbuf, "250 "));
	h_settle(h);
}

/* A TLS record header (a ClientHello) at off in what the upstream got. */
static void
h_wait_record(struct harness *h, size_t off)
{
	for (int i = 0; i < 500 && h->ulen < off + 5; i++) {
		event_base_loop(h->base, EVLOOP_NONBLOCK);
		h_drain(h);
		poll(NULL, 0, 1);
	}
	ck_assert_uint_ge(h->ulen, off + 5);
	ck_assert_int_eq((unsigned char)h->ubuf[off], 0x16);
	ck_assert_int_eq((unsigned char)h->ubuf[off + 1], 0x03);
}

/* The client's leg alone: STARTTLS offered though the upstream has none. */
START_TEST(test_starttls_inspect_client_injection)
{
	struct harness	 h;
	int64_t		 alarms;

	h_init(&h, tls_conf("none"));
	tls_cleanup();
	h_start_ehlo(&h, "250-up.test\r\n250 PIPELINING\r\n");
	ck_assert_msg(strstr(h.cbuf, "250-PIPELINING\r\n250 STARTTLS\r\n") !=
	    NULL, "%s", h.cbuf);
	alarms = stats_alarm_count(ALARM_STARTTLS_INJECTION);
	h.clen = 0;
	/* The command injection: MAIL in the same write as STARTTLS. */
	CLIENT(&h, "STARTTLS\r\nMAIL FROM:<smuggled@x.test>\r\n");
	ck_assert(h_wait(&h, h.cbuf, "220 2.0.0 Ready to start TLS\r\n"));
	h_settle(&h);
	/* One reply, then nothing in plaintext; one alarm (smtp:253). */
	ck_assert_str_eq(h.cbuf, "220 2.0.0 Ready to start TLS\r\n");
	ck_assert_int_eq(stats_alarm_count(ALARM_STARTTLS_INJECTION),
	    alarms + 1);
	/* Neither STARTTLS nor the MAIL went upstream. */
	ck_assert_ptr_null(strstr(h.ubuf, "STARTTLS"));
	ck_assert_ptr_null(strstr(h.ubuf, "smuggled"));
	/* A client that then goes away mid-handshake: the session ends. */
	h_free(&h);
}
END_TEST

/* The response injection: bytes after the upstream's 220. */
START_TEST(test_starttls_inspect_upstream_injection)
{
	struct harness	 h;
	int64_t		 alarms;
	size_t		 off;

	h_init(&h, tls_conf("opportunistic"));
	tls_cleanup();
	h_start_ehlo(&h, "250-up.test\r\n250 STARTTLS\r\n");
	CLIENT(&h, "STARTTLS\r\n");
	ck_assert(h_wait(&h, h.ubuf, "STARTTLS\r\n"));
	off = h.ulen;
	alarms = stats_alarm_count(ALARM_STARTTLS_INJECTION);
	h.clen = 0;
	h_upstream(&h, "220 go ahead\r\n250 injected\r\n");
	/* The proxy's ClientHello: a TLS handshake record. */
	h_wait_record(&h, off);
	h_settle(&h);
	ck_assert_int_eq(stats_alarm_count(ALARM_STARTTLS_INJECTION),
	    alarms + 1);
	/* The client waits for the upstream's handshake: no reply yet. */
	ck_assert_uint_eq(h.clen, 0);
	/* The upstream goes away in its handshake: the client's STARTTLS
	 * gets its 220 (opportunistic), the upstream leg is dropped. */
	close(h.up);
	h.up = -1;
	ck_assert(h_wait(&h, h.cbuf, "220 2.0.0 Ready to start TLS\r\n"));
	ck_assert_ptr_null(strstr(h.cbuf, "injected"));
	h_free(&h);
}
END_TEST

/* The upstream's 220 split over two writes, STARTTLS a byte at a time. */
START_TEST(test_starttls_inspect_split)
{
	struct harness	 h;
	const char	*cmd = "STARTTLS\r\n";
	size_t		 i, off;

	h_init(&h, tls_conf("opportunistic"));
	tls_cleanup();
	h_start_ehlo(&h, "250-up.test\r\n250 STARTTLS\r\n");
	for (i = 0; cmd[i] != '\0'; i++) {
		h_client(&h, cmd + i, 1);
		h_settle(&h);
	}
	ck_assert(h_wait(&h, h.ubuf, "STARTTLS\r\n"));
	off = h.ulen;
	h_upstream(&h, "22");
	h_settle(&h);
	ck_assert_uint_eq(h.ulen, off);		/* no handshake on half a reply */
	h_upstream(&h, "0 go\r\n");
	h_wait_record(&h, off);
	h_free(&h);
}
END_TEST

START_TEST(test_starttls_off)
{
	struct harness	 h;

	h_init(&h, "tls { mode = off }");
	h_start_ehlo(&h, "250-up.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n");
	ck_assert_ptr_null(strstr(h.cbuf, "STARTTLS"));
	CLIENT(&h, "STARTTLS\r\nNOOP\r\n");
	ck_assert_msg(h_wait(&h, h.cbuf, "502 5.5.1 Command not permitted "
	    "(smtp:223)\r\n"), "%s", h.cbuf);
	ck_assert(h_wait(&h, h.ubuf, "NOOP\r\n"));
	ck_assert_ptr_null(strstr(h.ubuf, "STARTTLS"));
	h_free(&h);
}
END_TEST

START_TEST(test_starttls_passthrough_offered)
{
	struct harness	 h;

	h_init(&h, "");
	h_start_ehlo(&h, "250-up.test\r\n250-STARTTLS\r\n250 PIPELINING\r\n");
	ck_assert_ptr_nonnull(strstr(h.cbuf, "250-STARTTLS\r\n"));
	CLIENT(&h, "STARTTLS\r\n");
	ck_assert(h_wait(&h, h.ubuf, "STARTTLS\r\n"));
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
	tcase_add_test(tc, test_pipelining_close_after_ehlo);
	tcase_add_loop_test(tc, test_alarm_close_pipelined, 0,
	    (int)(sizeof(close_vecs) / sizeof(close_vecs[0])));
	tcase_add_test(tc, test_pipelined_after_end_of_data);
	tcase_add_test(tc, test_bad_commands_counted);
	tcase_add_test(tc, test_path_without_brackets);
	tcase_add_test(tc, test_body_nul);
	tcase_add_test(tc, test_message_size_logged_once);
	tcase_add_test(tc, test_auth_lines);
	tcase_add_test(tc, test_pipelined_rset_keeps_next_tx);
	tcase_add_test(tc, test_long_greeting_masked);
	tcase_add_test(tc, test_client_counts);
	tcase_add_test(tc, test_starttls_inspect_client_injection);
	tcase_add_test(tc, test_starttls_inspect_upstream_injection);
	tcase_add_test(tc, test_starttls_inspect_split);
	tcase_add_test(tc, test_starttls_off);
	tcase_add_test(tc, test_starttls_passthrough_offered);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 failed;

	signal(SIGPIPE, SIG_IGN);
	log_init(1, 0);
	log_setlevel(getenv("CHECK_DEBUG") ? LOG_LEVEL_DEBUG : LOG_LEVEL_ERROR);
	sr = srunner_create(session_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
