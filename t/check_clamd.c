/*
 * Unit tests for the clamd client (src/scan_clamd.c).
 *
 * Against a real clamd started here: a configuration in a temporary
 * directory (a unix socket there, TCP on a free 127.0.0.1 port,
 * StreamMaxLength 1M) and a one-line signature database for EICAR
 * written at test time. Every case runs over both transports. clamd is
 * stopped at the end whatever the results, and is also told to stop
 * (PR_SET_PDEATHSIG) if this process dies first. Without
 * /usr/sbin/clamd (Debian: clamav-daemon) the program says SKIP and
 * exits 77.
 *
 * Around it, fake servers on sockets of our own prove what the real one
 * cannot show on demand: the bytes on the wire, every shape of answer,
 * a server that never answers, one that hangs up, one that answers
 * before the stream ends.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "scan_clamd.h"

#include "check_util.h"

#ifndef CLAMD_PATH
#define CLAMD_PATH	"/usr/sbin/clamd"	/* clamav-daemon */
#endif

#define STREAM_MAX	(1024 * 1024)	/* clamd's StreamMaxLength */
#define START_WAIT	60		/* seconds for clamd to start */
#define TIMEOUT		10		/* scan_clamd() timeout */
#define CHUNK_MAX	65536		/* the client's chunk size */
#define BIG		(900 * 1024)	/* > unix socket buffers */

/* The EICAR test file (68 bytes, no line end). */
static const char eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
#define EICAR_SIG	"Eicar-Test-Signature"

static const char clean[] = "Nothing to see here.\r\n";

static char	 tmpdir[200];
static char	 sock_path[256];	/* clamd's unix socket */
static char	 tcp_addr[64];		/* clamd's "127.0.0.1:PORT" */
static char	 dead_path[256];	/* a socket path nobody listens on */
static char	 dead_tcp[64];		/* a port nobody listens on */
static char	 dead_tcp6[64];		/* the same on [::1] */
static pid_t	 clamd_pid = -1;

/* The real clamd: 0 over its unix socket, 1 over TCP. */
static const char *
tu_clamd(int transport)
{
	return transport == 0 ? sock_path : tcp_addr;
}

/* tmpdir/name into dst; the names used here always fit. */
static void
tu_path(char *dst, size_t dstsz, const char *name)
{
	int	 n;

	n = snprintf(dst, dstsz, "%s/%s", tmpdir, name);
	if (n < 0 || (size_t)n >= dstsz) {
		fprintf(stderr, "check_clamd: path too long: %s\n", name);
		abort();
	}
}

/* Write len bytes of p to a new file path; -1 on error. */
static int
tu_write_file(const char *path, const void *p, size_t len)
{
	const char	*c = p;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return -1;
	while (len > 0) {
		if ((n = write(fd, c, len)) == -1) {
			if (errno == EINTR)
				continue;
			close(fd);
			return -1;
		}
		c += n;
		len -= (size_t)n;
	}
	return close(fd);
}

/* A port on 127.0.0.1 that was free a moment ago. */
static int
tu_free_port(int family)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len;
	int			 s, port = -1;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sin);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_loopback;
		len = sizeof(*sin6);
	}
	if ((s = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(s, (struct sockaddr *)&ss, len) == 0 &&
	    getsockname(s, (struct sockaddr *)&ss, &len) == 0)
		port = ntohs(family == AF_INET ? sin->sin_port :
		    sin6->sin6_port);
	close(s);
	return port;
}

/* A listening socket for server (a path or "127.0.0.1:PORT"), or -1. */
static int
tu_can_connect(const char *server)
{
	struct sockaddr_un	 sun;
	struct sockaddr_in	 sin;
	struct sockaddr		*sa;
	socklen_t		 len;
	int			 s, ok;

	if (server[0] == '/') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", server);
		sa = (struct sockaddr *)&sun;
		len = sizeof(sun);
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)atoi(strchr(server, ':') + 1));
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	}
	if ((s = socket(sa->sa_family, SOCK_STREAM, 0)) == -1)
		return 0;
	ok = connect(s, sa, len) == 0;
	close(s);
	return ok;
}

static void
tu_sleep_ms(long ms)
{
	struct timespec	 ts = { ms / 1000, (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static double
tu_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Print a file to stderr, for a clamd that did not come up. */
static void
tu_cat(const char *path)
{
	char	 buf[4096];
	size_t	 n;
	FILE	*fp;

	if ((fp = fopen(path, "r")) == NULL)
		return;
	fprintf(stderr, "--- %s\n", path);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		fwrite(buf, 1, n, stderr);
	fclose(fp);
}

/*
 * n bytes of clean text with, if with_eicar, EICAR as the last bytes.
 * The caller frees.
 */
static char *
tu_big(size_t n, int with_eicar)
{
	char	*b;
	size_t	 i;

	ck_assert_ptr_nonnull(b = malloc(n));
	for (i = 0; i < n; i++)
		b[i] = clean[i % (sizeof(clean) - 1)];
	if (with_eicar) {
		ck_assert_uint_ge(n, sizeof(eicar) - 1);
		memcpy(b + n - (sizeof(eicar) - 1), eicar, sizeof(eicar) - 1);
	}
	return b;
}

/* A file holding len bytes of p, open for reading, its offset at EOF. */
static int
tu_fd(const char *name, const void *p, size_t len)
{
	char	 path[256];
	int	 fd;

	tu_path(path, sizeof(path), name);
	ck_assert_int_eq(tu_write_file(path, p, len), 0);
	ck_assert_int_ne(fd = open(path, O_RDONLY), -1);
	/* The client must read from offset 0 whatever the offset. */
	ck_assert_int_ne(lseek(fd, 0, SEEK_END), -1);
	return fd;
}

/*
 * Fake servers: a listening socket and, except for FAKE_SILENT, a
 * thread that serves one connection and records what came.
 */
enum fake_mode {
	FAKE_SILENT,	/* listen, never accept: nothing ever answers */
	FAKE_ANSWER,	/* read the whole stream, then send the answer */
	FAKE_EARLY,	/* read the command, answer at once, hang up */
	FAKE_HANGUP	/* read the command, hang up without a word */
};

struct fake {
	enum fake_mode	 mode;
	const char	*answer;	/* sent as is: include the NUL */
	size_t		 answerlen;
	int		 lfd;
	char		 addr[256];	/* for scan_clamd() */
	pthread_t	 thr;
	int		 running;
	/* What the connection brought. */
	int		 accepted;
	char		 cmd[16];
	unsigned char	*data;
	size_t		 len;
	size_t		 maxchunk;
	int		 terminated;	/* the zero-length chunk came */
};

static int
fake_readn(int fd, void *p, size_t n)
{
	unsigned char	*c = p;
	ssize_t		 r;

	while (n > 0) {
		if ((r = read(fd, c, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return -1;
		c += r;
		n -= (size_t)r;
	}
	return 0;
}

static void *
fake_main(void *arg)
{
	struct fake	*f = arg;
	struct pollfd	 pfd = { f->lfd, POLLIN, 0 };
	unsigned char	 hdr[4];
	uint32_t	 n;
	int		 fd;

	if (poll(&pfd, 1, 20000) != 1)
		return NULL;
	if ((fd = accept(f->lfd, NULL, NULL)) == -1)
		return NULL;
	f->accepted = 1;
	if (fake_readn(fd, f->cmd, 10) == -1)
		goto done;
	if (f->mode == FAKE_HANGUP)
		goto done;
	if (f->mode == FAKE_ANSWER) {
		for (;;) {
			if (fake_readn(fd, hdr, 4) == -1)
				goto done;
			n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
			    (uint32_t)hdr[2] << 8 | hdr[3];
			if (n == 0) {
				f->terminated = 1;
				break;
			}
			if (n > f->maxchunk)
				f->maxchunk = n;
			if ((f->data = realloc(f->data, f->len + n)) == NULL ||
			    fake_readn(fd, f->data + f->len, n) == -1)
				goto done;
			f->len += n;
		}
	}
	if (write(fd, f->answer, f->answerlen) == -1)
		goto done;
done:
	close(fd);
	return NULL;
}

/* Start f (mode, answer set) listening on family; 0, or -1 if none. */
static int
fake_start(struct fake *f, int family)
{
	static int		 seq;
	struct sockaddr_un	 sun;
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;
	struct sockaddr		*sa;
	socklen_t		 len;
	char			 name[64];

	f->lfd = -1;
	f->running = 0;
	if (family == AF_UNIX) {
		snprintf(name, sizeof(name), "fake-%d-%d.sock", (int)getpid(),
		    seq++);
		tu_path(f->addr, sizeof(f->addr), name);
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		ck_assert_uint_lt(strlen(f->addr), sizeof(sun.sun_path));
		memcpy(sun.sun_path, f->addr, strlen(f->addr) + 1);
		sa = (struct sockaddr *)&sun;
		len = sizeof(sun);
	} else if (family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sa = (struct sockaddr *)&sin;
		len = sizeof(sin);
	} else {
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		sin6.sin6_addr = in6addr_loopback;
		sa = (struct sockaddr *)&sin6;
		len = sizeof(sin6);
	}
	if ((f->lfd = socket(family, SOCK_STREAM, 0)) == -1)
		return -1;
	if (bind(f->lfd, sa, len) == -1 || listen(f->lfd, 4) == -1 ||
	    getsockname(f->lfd, sa, &len) == -1) {
		close(f->lfd);
		f->lfd = -1;
		return -1;
	}
	if (family == AF_INET)
		snprintf(f->addr, sizeof(f->addr), "127.0.0.1:%d",
		    ntohs(sin.sin_port));
	else if (family == AF_INET6)
		snprintf(f->addr, sizeof(f->addr), "[::1]:%d",
		    ntohs(sin6.sin6_port));
	if (f->mode != FAKE_SILENT) {
		ck_assert_int_eq(pthread_create(&f->thr, NULL, fake_main, f),
		    0);
		f->running = 1;
	}
	return 0;
}

static void
fake_stop(struct fake *f)
{
	if (f->running)
		pthread_join(f->thr, NULL);
	f->running = 0;
	if (f->lfd != -1)
		close(f->lfd);
	f->lfd = -1;
	free(f->data);
	f->data = NULL;
}

/* rc and r say CLEAN. */
#define ck_clean(rc, r) do {						\
	ck_assert_msg((rc) == 0 && (r).status == SCAN_CLEAN,		\
	    "expected CLEAN, got rc %d status %d virus \"%s\" "		\
	    "error \"%s\"", (rc), (r).status, (r).virus, (r).error);	\
	ck_assert_str_eq((r).virus, "");				\
} while (0)

/* rc and r say VIRUS with a name containing sig. */
#define ck_virus(rc, r, sig) do {					\
	ck_assert_msg((rc) == 0 && (r).status == SCAN_VIRUS,		\
	    "expected VIRUS, got rc %d status %d error \"%s\"",		\
	    (rc), (r).status, (r).error);				\
	ck_assert_msg(strstr((r).virus, (sig)) != NULL,			\
	    "virus \"%s\", expected %s", (r).virus, (sig));		\
} while (0)

/* rc and r say ERROR with a message containing what. */
#define ck_error(rc, r, what) do {					\
	ck_assert_msg((rc) == -1 && (r).status == SCAN_ERROR,		\
	    "expected ERROR, got rc %d status %d virus \"%s\"",		\
	    (rc), (r).status, (r).virus);				\
	ck_assert_msg(strstr((r).error, (what)) != NULL,		\
	    "error \"%s\", expected \"%s\"", (r).error, (what));	\
} while (0)

START_TEST(test_clean)
{
	const char *const	 srv[] = { tu_clamd(_i) };
	struct scan_result	 r;
	int			 rc;

	rc = scan_clamd(srv, 1, TIMEOUT, clean, sizeof(clean) - 1, -1, &r);
	ck_clean(rc, r);
	/* An empty message is a stream of one zero-length chunk. */
	rc = scan_clamd(srv, 1, TIMEOUT, "", 0, -1, &r);
	ck_clean(rc, r);
}
END_TEST

START_TEST(test_eicar)
{
	const char *const	 srv[] = { tu_clamd(_i) };
	struct scan_result	 r;
	char			*b;
	int			 rc;

	rc = scan_clamd(srv, 1, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	ck_virus(rc, r, EICAR_SIG);
	ck_assert_str_eq(r.error, "");

	/* Many chunks, the signature in the last one. */
	b = tu_big(BIG, 1);
	rc = scan_clamd(srv, 1, TIMEOUT, b, BIG, -1, &r);
	ck_virus(rc, r, EICAR_SIG);
	free(b);
}
END_TEST

START_TEST(test_fd)
{
	const char *const	 srv[] = { tu_clamd(_i) };
	struct scan_result	 r;
	char			*b;
	int			 fd, rc;

	fd = tu_fd("eicar", eicar, sizeof(eicar) - 1);
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
	ck_virus(rc, r, EICAR_SIG);
	/* Again: the first scan moved no offset it depends on. */
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
	ck_virus(rc, r, EICAR_SIG);
	close(fd);

	b = tu_big(BIG, 1);
	fd = tu_fd("big-eicar", b, BIG);
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
	ck_virus(rc, r, EICAR_SIG);
	close(fd);
	free(b);

	b = tu_big(BIG, 0);
	fd = tu_fd("big-clean", b, BIG);
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
	ck_clean(rc, r);
	close(fd);
	free(b);

	fd = tu_fd("empty", "", 0);
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
	ck_clean(rc, r);
	close(fd);
}
END_TEST

START_TEST(test_size_limit)
{
	const char *const	 srv[] = { tu_clamd(_i) };
	struct scan_result	 r;
	char			*b;
	int			 fd, rc;

	b = tu_big(2 * STREAM_MAX, 1);
	rc = scan_clamd(srv, 1, TIMEOUT, b, 2 * STREAM_MAX, -1, &r);
	ck_error(rc, r, "size limit exceeded");
	ck_assert_str_eq(r.virus, "");

	fd = tu_fd("over", b, 2 * STREAM_MAX);
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
	ck_error(rc, r, "size limit exceeded");
	close(fd);
	free(b);

	/* Exactly the limit still fits. */
	b = tu_big(STREAM_MAX, 1);
	rc = scan_clamd(srv, 1, TIMEOUT, b, STREAM_MAX, -1, &r);
	ck_virus(rc, r, EICAR_SIG);
	free(b);
}
END_TEST

START_TEST(test_failover)
{
	static const char *const bad[] = {
		"127.0.0.1", "[::1", "[::1]3310", "::1:3310", "host:",
		":3310", "no-such-host.invalid:3310", "127.0.0.1:notaport",
	};
	struct scan_result	 r;
	const char		*srv[3];
	size_t			 i;
	int			 rc;

	srv[0] = dead_path;
	srv[1] = tu_clamd(_i);
	rc = scan_clamd(srv, 2, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	ck_virus(rc, r, EICAR_SIG);

	srv[0] = dead_tcp;
	srv[1] = dead_tcp6;
	srv[2] = tu_clamd(_i);
	rc = scan_clamd(srv, 3, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	ck_virus(rc, r, EICAR_SIG);

	/* Addresses that cannot work are passed over like dead servers. */
	for (i = 0; i < TU_NELEM(bad); i++) {
		srv[0] = bad[i];
		srv[1] = tu_clamd(_i);
		rc = scan_clamd(srv, 2, TIMEOUT, clean, sizeof(clean) - 1, -1,
		    &r);
		ck_clean(rc, r);
	}

	/* The first server that answers is the only one asked. */
	srv[0] = tu_clamd(_i);
	srv[1] = dead_path;
	rc = scan_clamd(srv, 2, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	ck_virus(rc, r, EICAR_SIG);
}
END_TEST

START_TEST(test_all_dead)
{
	const char *const	 srv[] = { dead_path, dead_tcp, dead_tcp6 };
	struct scan_result	 r;
	int			 fd, rc;

	rc = scan_clamd(srv, 3, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	ck_error(rc, r, "no server answered");
	ck_assert_str_eq(r.virus, "");

	fd = tu_fd("dead", eicar, sizeof(eicar) - 1);
	rc = scan_clamd(srv, 3, TIMEOUT, NULL, 0, fd, &r);
	ck_error(rc, r, "no server answered");
	close(fd);

	rc = scan_clamd(srv, 0, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	ck_error(rc, r, "no server");
	rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, -1, &r);
	ck_error(rc, r, "nothing to scan");
}
END_TEST

/* A directory cannot be read: our error, no server is to blame. */
START_TEST(test_read_error)
{
	const char *const	 srv[] = { sock_path, tcp_addr };
	struct scan_result	 r;
	int			 fd, rc;

	ck_assert_int_ne(fd = open(tmpdir, O_RDONLY | O_DIRECTORY), -1);
	rc = scan_clamd(srv, 2, TIMEOUT, NULL, 0, fd, &r);
	ck_error(rc, r, "reading the message");
	close(fd);
}
END_TEST

/*
 * A server that accepts (the kernel does, on its listen queue) but
 * never answers, with a small message (the answer times out) and with
 * one too big for the socket buffers (sending times out): after the
 * timeout, the next server answers.
 */
START_TEST(test_silent)
{
	struct fake		 f = { .mode = FAKE_SILENT };
	struct scan_result	 r;
	const char		*srv[2];
	double			 t0, dt;
	char			*b;
	int			 rc;

	ck_assert_int_eq(fake_start(&f, _i == 0 ? AF_UNIX : AF_INET), 0);
	srv[0] = f.addr;
	srv[1] = tu_clamd(_i);
	t0 = tu_now();
	rc = scan_clamd(srv, 2, 1, eicar, sizeof(eicar) - 1, -1, &r);
	dt = tu_now() - t0;
	ck_virus(rc, r, EICAR_SIG);
	ck_assert_msg(dt > 0.9 && dt < 5, "took %.2f s", dt);

	b = tu_big(_i == 0 ? BIG : 16 * STREAM_MAX, 0);
	t0 = tu_now();
	rc = scan_clamd(srv, 1, 1, b, _i == 0 ? BIG : 16 * STREAM_MAX, -1,
	    &r);
	dt = tu_now() - t0;
	ck_error(rc, r, "timed out");
	ck_assert_msg(dt > 0.9 && dt < 5, "took %.2f s", dt);
	free(b);
	fake_stop(&f);
}
END_TEST

/* A server that hangs up without answering is passed over. */
START_TEST(test_hangup)
{
	struct fake		 f = { .mode = FAKE_HANGUP };
	struct scan_result	 r;
	const char		*srv[2];
	int			 rc;

	ck_assert_int_eq(fake_start(&f, _i == 0 ? AF_UNIX : AF_INET), 0);
	srv[0] = f.addr;
	srv[1] = tu_clamd(_i);
	rc = scan_clamd(srv, 2, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	fake_stop(&f);
	ck_virus(rc, r, EICAR_SIG);
	ck_assert_int_eq(f.accepted, 1);
}
END_TEST

/*
 * A server that answered is final, even with an error: the second one
 * (the real clamd, which would find EICAR) is not asked.
 */
START_TEST(test_answer_final)
{
	static const char	 ans[] = "INSTREAM size limit exceeded. ERROR";
	struct fake		 f = { .mode = FAKE_ANSWER, .answer = ans,
				    .answerlen = sizeof(ans) };
	struct scan_result	 r;
	const char		*srv[2];
	int			 rc;

	ck_assert_int_eq(fake_start(&f, AF_UNIX), 0);
	srv[0] = f.addr;
	srv[1] = tu_clamd(_i);
	rc = scan_clamd(srv, 2, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	fake_stop(&f);
	ck_error(rc, r, "INSTREAM size limit exceeded");
	ck_error(rc, r, f.addr);
	ck_assert_ptr_null(strstr(r.error, "exceeded."));
}
END_TEST

/*
 * The bytes on the wire: "zINSTREAM\0", chunks of at most 64 KiB that
 * add up to the input, from a buffer and from a file whose offset is
 * at its end, then the zero-length chunk.
 */
START_TEST(test_wire)
{
	static const char	 ok[] = "stream: OK";
	static const size_t	 sizes[] = { 0, 1, CHUNK_MAX - 1, CHUNK_MAX,
				    CHUNK_MAX + 1, 3 * CHUNK_MAX + 17 };
	struct fake		 f = { .mode = FAKE_ANSWER, .answer = ok,
				    .answerlen = sizeof(ok) };
	struct scan_result	 r;
	const char		*srv[1];
	size_t			 i, n;
	char			*b;
	int			 fd, rc, byfd;

	for (i = 0; i < 2 * TU_NELEM(sizes); i++) {
		n = sizes[i / 2];
		byfd = i % 2;
		b = tu_big(n + 1, 0);
		ck_assert_int_eq(fake_start(&f, AF_UNIX), 0);
		srv[0] = f.addr;
		if (byfd) {
			fd = tu_fd("wire", b, n);
			rc = scan_clamd(srv, 1, TIMEOUT, NULL, 0, fd, &r);
			close(fd);
		} else
			rc = scan_clamd(srv, 1, TIMEOUT, b, n, -1, &r);
		pthread_join(f.thr, NULL);
		f.running = 0;
		ck_clean(rc, r);
		ck_assert_msg(memcmp(f.cmd, "zINSTREAM\0", 10) == 0,
		    "command \"%s\"", tu_esc(f.cmd, 10));
		ck_assert_msg(f.terminated, "size %zu fd %d: no terminator",
		    n, byfd);
		ck_assert_msg(f.len == n && (n == 0 ||
		    memcmp(f.data, b, n) == 0),
		    "size %zu fd %d: got %zu different bytes", n, byfd, f.len);
		ck_assert_uint_le(f.maxchunk, CHUNK_MAX);
		fake_stop(&f);
		free(b);
		memset(&f, 0, sizeof(f));
		f.mode = FAKE_ANSWER;
		f.answer = ok;
		f.answerlen = sizeof(ok);
	}
}
END_TEST

/* Every shape of answer, from a fake server. */
static const struct answer_vec {
	const char	*answer;
	size_t		 len;		/* NUL included when sent */
	enum scan_status status;
	const char	*expect;	/* in virus or error */
} answer_vecs[] = {
	{ TU_S("stream: OK\0"), SCAN_CLEAN, "" },
	{ TU_S("stream: OK\n\0"), SCAN_CLEAN, "" },
	{ TU_S("stream: Win.Test.EICAR_HDB-1 FOUND\0"), SCAN_VIRUS,
	    "Win.Test.EICAR_HDB-1" },
	/* AllMatch: several answers; the first names the virus. */
	{ TU_S("stream: First FOUND\0stream: Second FOUND\0"), SCAN_VIRUS,
	    "First" },
	/* A name is escaped before it can reach a log or a reply. */
	{ TU_S("stream: Bad\x01\"Name FOUND\0"), SCAN_VIRUS,
	    "Bad\\x01\\x22Name" },
	{ TU_S("Can't allocate memory ERROR\0"), SCAN_ERROR,
	    "clamd: Can't allocate memory (" },
	{ TU_S("stream: Something odd. ERROR\0"), SCAN_ERROR,
	    "clamd: Something odd (" },
	{ TU_S("stream: OK"), SCAN_ERROR, "connection closed" },
	{ TU_S("stream: \0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("stream: FOUND\0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("stream: OKAY\0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("OK\0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("ERROR\0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("Eicar FOUND\0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("\0"), SCAN_ERROR, "malformed answer" },
	{ TU_S("stream: \x80\xff\0"), SCAN_ERROR, "\\x80\\xff" },
};

START_TEST(test_answers)
{
	const struct answer_vec	*v = &answer_vecs[_i];
	struct fake		 f = { .mode = FAKE_ANSWER,
				    .answer = v->answer, .answerlen = v->len };
	struct scan_result	 r;
	const char		*srv[2];
	int			 rc;

	ck_assert_int_eq(fake_start(&f, AF_UNIX), 0);
	srv[0] = f.addr;
	srv[1] = sock_path;	/* never asked: the fake answered */
	rc = scan_clamd(srv, 2, TIMEOUT, clean, sizeof(clean) - 1, -1, &r);
	fake_stop(&f);
	ck_assert_msg(r.status == v->status, "answer \"%s\": status %d, "
	    "expected %d (virus \"%s\" error \"%s\")",
	    tu_esc(v->answer, v->len), r.status, v->status, r.virus,
	    r.error);
	ck_assert_int_eq(rc, v->status == SCAN_ERROR ? -1 : 0);
	if (v->status == SCAN_VIRUS)
		ck_assert_str_eq(r.virus, v->expect);
	else
		ck_assert_str_eq(r.virus, "");
	if (v->status == SCAN_ERROR)
		ck_assert_msg(strstr(r.error, v->expect) != NULL,
		    "answer \"%s\": error \"%s\", expected \"%s\"",
		    tu_esc(v->answer, v->len), r.error, v->expect);
	else
		ck_assert_str_eq(r.error, "");
}
END_TEST

/*
 * A server that answers while the stream is still coming and hangs up,
 * as clamd does over StreamMaxLength: the client stops sending, takes
 * the answer, and a write to the closed socket raises no SIGPIPE (its
 * default action would kill this test).
 */
START_TEST(test_early)
{
	static const char	 ans[] = "INSTREAM size limit exceeded. ERROR";
	struct fake		 f = { .mode = FAKE_EARLY, .answer = ans,
				    .answerlen = sizeof(ans) };
	struct scan_result	 r;
	const char		*srv[1];
	char			*b;
	int			 rc;

	ck_assert_ptr_ne(signal(SIGPIPE, SIG_DFL), SIG_ERR);
	b = tu_big(8 * STREAM_MAX, 0);
	ck_assert_int_eq(fake_start(&f, _i == 0 ? AF_UNIX : AF_INET), 0);
	srv[0] = f.addr;
	rc = scan_clamd(srv, 1, TIMEOUT, b, 8 * STREAM_MAX, -1, &r);
	fake_stop(&f);
	ck_error(rc, r, "INSTREAM size limit exceeded");
	free(b);
}
END_TEST

static volatile sig_atomic_t	 tu_alarms;

static void
tu_alarm(int sig)
{
	(void)sig;
	tu_alarms++;
}

/* Signals every millisecond, without SA_RESTART: EINTR everywhere. */
START_TEST(test_eintr)
{
	const char *const	 srv[] = { dead_path, tu_clamd(_i) };
	struct itimerval	 it = { { 0, 1000 }, { 0, 1000 } };
	struct itimerval	 off = { { 0, 0 }, { 0, 0 } };
	struct sigaction	 sa;
	struct scan_result	 r;
	char			*b;
	int			 i, fd, rc;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tu_alarm;
	sigemptyset(&sa.sa_mask);
	ck_assert_int_eq(sigaction(SIGALRM, &sa, NULL), 0);
	b = tu_big(BIG, 1);
	fd = tu_fd("eintr", b, BIG);
	ck_assert_int_eq(setitimer(ITIMER_REAL, &it, NULL), 0);
	for (i = 0; i < 5; i++) {
		rc = scan_clamd(srv, 2, TIMEOUT, b, BIG, -1, &r);
		ck_virus(rc, r, EICAR_SIG);
		rc = scan_clamd(srv, 2, TIMEOUT, NULL, 0, fd, &r);
		ck_virus(rc, r, EICAR_SIG);
	}
	ck_assert_int_eq(setitimer(ITIMER_REAL, &off, NULL), 0);
	ck_assert_int_gt(tu_alarms, 0);
	close(fd);
	free(b);
}
END_TEST

/* "[::1]:PORT" reaches an IPv6 server. */
START_TEST(test_ipv6)
{
	static const char	 ans[] = "stream: Six FOUND";
	struct fake		 f = { .mode = FAKE_ANSWER, .answer = ans,
				    .answerlen = sizeof(ans) };
	struct scan_result	 r;
	const char		*srv[2];
	int			 rc;

	if (fake_start(&f, AF_INET6) == -1) {
		fprintf(stderr, "SKIP: test_ipv6: no ::1\n");
		return;
	}
	srv[0] = dead_tcp6;
	srv[1] = f.addr;
	rc = scan_clamd(srv, 2, TIMEOUT, eicar, sizeof(eicar) - 1, -1, &r);
	fake_stop(&f);
	ck_virus(rc, r, "Six");
	ck_assert_uint_eq(f.len, sizeof(eicar) - 1);
}
END_TEST

/* Configure, start and wait for clamd; -1 (and why on stderr) if not. */
static int
clamd_start(void)
{
	char		 db[256], ndb[256], conf[256], logpath[256];
	char		 out[256], sig[512], text[2048];
	size_t		 i, o;
	pid_t		 parent = getpid();
	double		 end;
	int		 n, port, fd, st;

	tu_path(db, sizeof(db), "db");
	tu_path(ndb, sizeof(ndb), "db/test.ndb");
	tu_path(conf, sizeof(conf), "clamd.conf");
	tu_path(logpath, sizeof(logpath), "clamd.log");
	tu_path(out, sizeof(out), "clamd.out");
	tu_path(sock_path, sizeof(sock_path), "clamd.sock");
	tu_path(dead_path, sizeof(dead_path), "dead.sock");
	if (mkdir(db, 0700) == -1) {
		fprintf(stderr, "check_clamd: %s: %s\n", db, strerror(errno));
		return -1;
	}

	/* NAME:TARGET:OFFSET:HEX, any file type, anywhere. */
	o = (size_t)snprintf(sig, sizeof(sig), "%s:0:*:", EICAR_SIG);
	for (i = 0; i < sizeof(eicar) - 1; i++)
		o += (size_t)snprintf(sig + o, sizeof(sig) - o, "%02x",
		    (unsigned char)eicar[i]);
	o += (size_t)snprintf(sig + o, sizeof(sig) - o, "\n");
	if (o >= sizeof(sig) || tu_write_file(ndb, sig, o) == -1)
		return -1;

	if ((port = tu_free_port(AF_INET)) == -1)
		return -1;
	snprintf(tcp_addr, sizeof(tcp_addr), "127.0.0.1:%d", port);
	if ((n = tu_free_port(AF_INET)) == -1 || n == port)
		return -1;
	snprintf(dead_tcp, sizeof(dead_tcp), "127.0.0.1:%d", n);
	snprintf(dead_tcp6, sizeof(dead_tcp6), "[::1]:%d", n);

	/* User is left out: clamd keeps the user it was started as. */
	n = snprintf(text, sizeof(text),
	    "LocalSocket %s\n"
	    "TCPSocket %d\n"
	    "TCPAddr 127.0.0.1\n"
	    "DatabaseDirectory %s\n"
	    "Foreground yes\n"
	    "LogFile %s\n"
	    "LogTime yes\n"
	    "StreamMaxLength %d\n",
	    sock_path, port, db, logpath, STREAM_MAX);
	if (n < 0 || (size_t)n >= sizeof(text) ||
	    tu_write_file(conf, text, (size_t)n) == -1)
		return -1;

	fflush(NULL);
	if ((clamd_pid = fork()) == -1) {
		fprintf(stderr, "check_clamd: fork: %s\n", strerror(errno));
		return -1;
	}
	if (clamd_pid == 0) {
		/* Stop with us, however we end. */
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 ||
		    getppid() != parent)
			_exit(127);
		if ((fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) ==
		    -1 || dup2(fd, STDOUT_FILENO) == -1 ||
		    dup2(fd, STDERR_FILENO) == -1)
			_exit(127);
		close(fd);
		if ((fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, STDIN_FILENO) == -1)
			_exit(127);
		close(fd);
		execl(CLAMD_PATH, "clamd", "-c", conf, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", CLAMD_PATH, strerror(errno));
		_exit(127);
	}

	/* It listens once its database is loaded. */
	end = tu_now() + START_WAIT;
	while (tu_now() < end) {
		if (waitpid(clamd_pid, &st, WNOHANG) == clamd_pid) {
			clamd_pid = -1;
			fprintf(stderr, "check_clamd: clamd exited (%d)\n", st);
			tu_cat(out);
			tu_cat(logpath);
			return -1;
		}
		if (tu_can_connect(sock_path) && tu_can_connect(tcp_addr))
			return 0;
		tu_sleep_ms(100);
	}
	fprintf(stderr, "check_clamd: clamd not ready in %d s\n", START_WAIT);
	tu_cat(out);
	tu_cat(logpath);
	return -1;
}

/* Stop clamd: SIGTERM, then SIGKILL if it lingers. */
static void
clamd_stop(void)
{
	double	 end;
	int	 st;

	if (clamd_pid == -1)
		return;
	if (kill(clamd_pid, SIGTERM) == -1)
		fprintf(stderr, "check_clamd: kill: %s\n", strerror(errno));
	end = tu_now() + 10;
	while (waitpid(clamd_pid, &st, WNOHANG) == 0) {
		if (tu_now() > end) {
			kill(clamd_pid, SIGKILL);
			waitpid(clamd_pid, &st, 0);
			break;
		}
		tu_sleep_ms(50);
	}
	clamd_pid = -1;
}

static Suite *
clamd_suite(void)
{
	Suite	*s = suite_create("clamd");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	/* Loop tests over the transport: 0 unix socket, 1 TCP. */
	tcase_add_loop_test(tc, test_clean, 0, 2);
	tcase_add_loop_test(tc, test_eicar, 0, 2);
	tcase_add_loop_test(tc, test_fd, 0, 2);
	tcase_add_loop_test(tc, test_size_limit, 0, 2);
	tcase_add_loop_test(tc, test_failover, 0, 2);
	tcase_add_test(tc, test_all_dead);
	tcase_add_test(tc, test_read_error);
	tcase_add_loop_test(tc, test_silent, 0, 2);
	tcase_add_loop_test(tc, test_hangup, 0, 2);
	tcase_add_loop_test(tc, test_answer_final, 0, 2);
	tcase_add_test(tc, test_wire);
	tcase_add_loop_test(tc, test_answers, 0, TU_NELEM(answer_vecs));
	tcase_add_loop_test(tc, test_early, 0, 2);
	tcase_add_loop_test(tc, test_eintr, 0, 2);
	tcase_add_test(tc, test_ipv6);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner		*sr;
	const char	*base;
	int		 failed, n;

	if (access(CLAMD_PATH, X_OK) == -1) {
		fprintf(stderr, "SKIP: check_clamd: no %s (Debian: "
		    "clamav-daemon)\n", CLAMD_PATH);
		return 77;
	}
	/* A unix socket path must fit in sun_path (108 bytes). */
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0' ||
	    strlen(base) > 60)
		base = "/tmp";
	n = snprintf(tmpdir, sizeof(tmpdir), "%s/check_clamd.XXXXXX", base);
	if (n < 0 || (size_t)n >= sizeof(tmpdir) || mkdtemp(tmpdir) == NULL) {
		fprintf(stderr, "check_clamd: temporary directory: %s\n",
		    strerror(errno));
		return EXIT_FAILURE;
	}
	if (clamd_start() == -1) {
		clamd_stop();
		tu_rmtree(tmpdir);
		return EXIT_FAILURE;
	}
	sr = srunner_create(clamd_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	clamd_stop();
	tu_rmtree(tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
