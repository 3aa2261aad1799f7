/*
 * Anti-virus through clamd (SPEC §4.6, backend = "clamd").
 *
 * The INSTREAM command, clamd(8): the client sends "zINSTREAM\0", then
 * chunks of <length, 4 bytes in network order><data>, then a chunk of
 * length 0. clamd answers with one NUL-terminated line (the "z" prefix
 * asks for NUL rather than newline):
 *
 *	stream: OK
 *	stream: NAME FOUND
 *	REASON ERROR	e.g. "INSTREAM size limit exceeded. ERROR"
 *
 * clamd answers before the stream ends only to refuse it (over its
 * StreamMaxLength), and then closes the connection; so while sending
 * we also watch for an answer, and stop sending when one comes.
 *
 * Servers are tried in order. A server that gives no answer (the
 * address does not resolve, connect fails or times out, the connection
 * breaks or times out before a single byte of answer) is logged and the
 * next one is tried. Whatever a server answers, even an error or
 * something malformed, is final: the stream may well be the cause, and
 * another server would say the same.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "scan_clamd.h"

#define CLAMD_CHUNK	65536		/* data bytes per chunk */
#define CLAMD_ANSWER	1024		/* longest answer accepted */

/* The command, sent with its NUL. */
static const char clamd_cmd[] = "zINSTREAM";

/* How a try with one server ended. */
enum clamd_try {
	CLAMD_ANSWERED,		/* r holds the server's verdict: final */
	CLAMD_NO_ANSWER,	/* why says what failed: try the next one */
	CLAMD_LOCAL		/* reading the input failed (r): final */
};

/* What clamd_send() saw. */
enum clamd_sent {
	CLAMD_SENT,		/* everything was sent */
	CLAMD_EARLY,		/* the server answered or closed first */
	CLAMD_FAILED		/* error or timeout, in why */
};

/* Formats into a fixed buffer; a message that does not fit is cut. */
static void	clamd_msg(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

static void
clamd_msg(char *dst, size_t dstsz, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(dst, dstsz, fmt, ap);
	va_end(ap);
	/* Cut messages keep their start, which says what went wrong. */
	if (n < 0 && dstsz > 0)
		dst[0] = '\0';
}

/* Monotonic milliseconds. */
static int64_t
clamd_now_ms(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait up to ms milliseconds for events on s, resuming after a signal
 * with the time left. Returns the revents seen, 0 on timeout, or -1
 * with errno.
 */
static int
clamd_poll(int s, short events, int ms)
{
	struct pollfd	 pfd;
	int64_t		 end, left;
	int		 n;

	end = clamd_now_ms() + ms;
	left = ms;
	for (;;) {
		pfd.fd = s;
		pfd.events = events;
		pfd.revents = 0;
		if ((n = poll(&pfd, 1, (int)left)) == -1) {
			if (errno != EINTR)
				return -1;
			if ((left = end - clamd_now_ms()) <= 0)
				return 0;
			continue;
		}
		return n == 0 ? 0 : pfd.revents;
	}
}

/*
 * Wait up to ms milliseconds for the connection in progress on s.
 * 0 when connected, -1 with why.
 */
static int
clamd_connected(int s, int ms, char *why, size_t whysz)
{
	socklen_t	 len;
	int		 rev, err;

	if ((rev = clamd_poll(s, POLLOUT, ms)) == -1) {
		clamd_msg(why, whysz, "poll: %s", strerror(errno));
		return -1;
	}
	if (rev == 0) {
		clamd_msg(why, whysz, "connect: timed out");
		return -1;
	}
	len = sizeof(err);
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
		clamd_msg(why, whysz, "getsockopt: %s", strerror(errno));
		return -1;
	}
	if (err != 0) {
		clamd_msg(why, whysz, "connect: %s", strerror(err));
		return -1;
	}
	return 0;
}

/*
 * A non-blocking stream socket connected to sa within ms milliseconds,
 * or -1 with why.
 */
static int
clamd_connect_sa(const struct sockaddr *sa, socklen_t salen, int ms,
    char *why, size_t whysz)
{
	int	 s;

	s = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (s == -1) {
		clamd_msg(why, whysz, "socket: %s", strerror(errno));
		return -1;
	}
	if (connect(s, sa, salen) == -1) {
		/*
		 * In progress (TCP), or interrupted, when it goes on all
		 * the same; anything else (a unix socket with a full
		 * listen queue says EAGAIN) is a failure.
		 */
		if (errno != EINPROGRESS && errno != EINTR) {
			clamd_msg(why, whysz, "connect: %s", strerror(errno));
			goto fail;
		}
		if (clamd_connected(s, ms, why, whysz) == -1)
			goto fail;
	}
	return s;
fail:
	close(s);
	return -1;
}

/*
 * A socket connected to server: an absolute unix socket path, or
 * "host:port" with host a name, an IPv4 address or a bracketed IPv6
 * address; every address of a name is tried, each within ms. A name is
 * resolved by the system resolver, under its own timeouts. -1 with why
 * on failure.
 */
static int
clamd_connect(const char *server, int ms, char *why, size_t whysz)
{
	struct sockaddr_un	 su;
	struct addrinfo		 hints, *res, *ai;
	char			 host[NI_MAXHOST];
	const char		*port, *h, *colon;
	size_t			 hlen;
	int			 s, rc;

	if (server[0] == '/') {
		memset(&su, 0, sizeof(su));
		su.sun_family = AF_UNIX;
		if (strlen(server) >= sizeof(su.sun_path)) {
			clamd_msg(why, whysz, "socket path too long");
			return -1;
		}
		memcpy(su.sun_path, server, strlen(server) + 1);
		return clamd_connect_sa((struct sockaddr *)&su, sizeof(su),
		    ms, why, whysz);
	}

	if (server[0] == '[') {
		h = server + 1;
		if ((colon = strchr(h, ']')) == NULL || colon[1] != ':') {
			clamd_msg(why, whysz, "not [address]:port");
			return -1;
		}
		hlen = (size_t)(colon - h);
		port = colon + 2;
	} else {
		h = server;
		if ((colon = strchr(h, ':')) == NULL ||
		    strchr(colon + 1, ':') != NULL) {
			clamd_msg(why, whysz, "not host:port");
			return -1;
		}
		hlen = (size_t)(colon - h);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host) || *port == '\0') {
		clamd_msg(why, whysz, "not host:port");
		return -1;
	}
	memcpy(host, h, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		clamd_msg(why, whysz, "%s", rc == EAI_SYSTEM ?
		    strerror(errno) : gai_strerror(rc));
		return -1;
	}
	s = -1;
	for (ai = res; ai != NULL && s == -1; ai = ai->ai_next)
		s = clamd_connect_sa(ai->ai_addr, ai->ai_addrlen, ms, why,
		    whysz);
	freeaddrinfo(res);
	return s;
}

/*
 * Send the iovcnt buffers of iov (consumed as they go) to s, waiting
 * at most ms milliseconds for each step. Stops with CLAMD_EARLY as soon
 * as the server has something to say or closes: what it says then is
 * its answer.
 */
static enum clamd_sent
clamd_send(int s, struct iovec *iov, int iovcnt, int ms, char *why,
    size_t whysz)
{
	struct msghdr	 msg;
	ssize_t		 n;
	size_t		 done;
	int		 rev;

	while (iovcnt > 0) {
		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		if ((rev = clamd_poll(s, POLLIN | POLLOUT, ms)) == -1) {
			clamd_msg(why, whysz, "poll: %s", strerror(errno));
			return CLAMD_FAILED;
		}
		if (rev == 0) {
			clamd_msg(why, whysz, "send: timed out");
			return CLAMD_FAILED;
		}
		if (rev & (POLLIN | POLLHUP))
			return CLAMD_EARLY;
		/* POLLOUT, or POLLERR: sendmsg() says which error. */
		memset(&msg, 0, sizeof(msg));
		msg.msg_iov = iov;
		msg.msg_iovlen = (size_t)iovcnt;
		if ((n = sendmsg(s, &msg, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			/* Closed by the server: it may have answered. */
			if (errno == EPIPE || errno == ECONNRESET)
				return CLAMD_EARLY;
			clamd_msg(why, whysz, "send: %s", strerror(errno));
			return CLAMD_FAILED;
		}
		for (done = (size_t)n; iovcnt > 0 && done >= iov->iov_len;
		    iov++, iovcnt--)
			done -= iov->iov_len;
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + done;
			iov->iov_len -= done;
		}
	}
	return CLAMD_SENT;
}

/*
 * Read the server's answer into buf, up to and without its NUL
 * terminator, waiting at most ms milliseconds for each read. Returns
 * 1 with a complete answer in buf (NUL-terminated), 0 when bytes came
 * but no terminator (buf holds them, why says why), -1 when nothing
 * came (why says why).
 */
static int
clamd_recv(int s, char *buf, size_t bufsz, int ms, char *why, size_t whysz)
{
	ssize_t	 n;
	size_t	 len = 0;
	int	 rev;

	buf[0] = '\0';
	while (len + 1 < bufsz) {
		if ((rev = clamd_poll(s, POLLIN, ms)) == -1) {
			clamd_msg(why, whysz, "poll: %s", strerror(errno));
			break;
		}
		if (rev == 0) {
			clamd_msg(why, whysz, "no answer: timed out");
			break;
		}
		if ((n = recv(s, buf + len, bufsz - 1 - len, 0)) == -1) {
			if (errno == EINTR || errno == EAGAIN ||
			    errno == EWOULDBLOCK)
				continue;
			clamd_msg(why, whysz, "recv: %s", strerror(errno));
			break;
		}
		if (n == 0) {
			clamd_msg(why, whysz, "connection closed%s",
			    len == 0 ? " without an answer" : "");
			break;
		}
		if (memchr(buf + len, '\0', (size_t)n) != NULL)
			return 1;
		len += (size_t)n;
		buf[len] = '\0';
	}
	if (len + 1 >= bufsz)
		clamd_msg(why, whysz, "answer too long");
	return len > 0 ? 0 : -1;
}

/* s ends with suffix: its length without it, or -1. */
static ssize_t
clamd_suffix(const char *s, size_t len, const char *suffix)
{
	size_t	 slen = strlen(suffix);

	if (len < slen || memcmp(s + len - slen, suffix, slen) != 0)
		return -1;
	return (ssize_t)(len - slen);
}

/* Turn a complete answer from server into r. */
static void
clamd_parse(const char *server, const char *ans, struct scan_result *r)
{
	static const char	 prefix[] = "stream: ";
	const size_t		 plen = sizeof(prefix) - 1;
	char			 esc[CLAMD_ANSWER];
	const char		*p = ans;
	size_t			 len = strlen(ans);
	ssize_t			 n;
	int			 stream;

	/* Tolerate a newline before the NUL. */
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if ((stream = len >= plen && memcmp(p, prefix, plen) == 0)) {
		p += plen;
		len -= plen;
	}
	/* Errors may come without the prefix. */
	if ((n = clamd_suffix(p, len, " ERROR")) > 0) {
		len = (size_t)n;
		if (p[len - 1] == '.')
			len--;
		r->status = SCAN_ERROR;
		clamd_msg(r->error, sizeof(r->error), "clamd: %s (%s)",
		    log_escape(esc, sizeof(esc), p, len), server);
		return;
	}
	if (stream && len == 2 && memcmp(p, "OK", 2) == 0) {
		r->status = SCAN_CLEAN;
		return;
	}
	if (stream && (n = clamd_suffix(p, len, " FOUND")) > 0) {
		r->status = SCAN_VIRUS;
		log_escape(r->virus, sizeof(r->virus), p, (size_t)n);
		return;
	}
	r->status = SCAN_ERROR;
	clamd_msg(r->error, sizeof(r->error),
	    "clamd: malformed answer \"%s\" (%s)",
	    log_escape(esc, sizeof(esc), ans, strlen(ans)), server);
}

/*
 * One try with server: stream the input (buf and len, or fd through
 * chunk, a CLAMD_CHUNK buffer, when buf is NULL) and read the answer.
 * r is filled unless the result is CLAMD_NO_ANSWER.
 */
static enum clamd_try
clamd_try(const char *server, int ms, const unsigned char *buf, size_t len,
    int fd, unsigned char *chunk, struct scan_result *r, char *why,
    size_t whysz)
{
	struct iovec		 iov[2];
	char			 ans[CLAMD_ANSWER], esc[CLAMD_ANSWER];
	enum clamd_sent		 sent;
	uint32_t		 hdr;
	off_t			 off = 0;
	ssize_t			 n;
	int			 s, rc;

	if ((s = clamd_connect(server, ms, why, whysz)) == -1)
		return CLAMD_NO_ANSWER;

	iov[0].iov_base = (void *)(uintptr_t)clamd_cmd;
	iov[0].iov_len = sizeof(clamd_cmd);
	sent = clamd_send(s, iov, 1, ms, why, whysz);
	while (sent == CLAMD_SENT) {
		if (buf != NULL) {
			n = (ssize_t)(len - (size_t)off < CLAMD_CHUNK ?
			    len - (size_t)off : CLAMD_CHUNK);
			iov[1].iov_base = (void *)(uintptr_t)(buf + off);
		} else {
			while ((n = pread(fd, chunk, CLAMD_CHUNK, off)) == -1 &&
			    errno == EINTR)
				;
			if (n == -1) {
				r->status = SCAN_ERROR;
				clamd_msg(r->error, sizeof(r->error),
				    "clamd: reading the message: %s",
				    strerror(errno));
				close(s);
				return CLAMD_LOCAL;
			}
			iov[1].iov_base = chunk;
		}
		iov[1].iov_len = (size_t)n;
		hdr = htonl((uint32_t)n);
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		sent = clamd_send(s, iov, n > 0 ? 2 : 1, ms, why, whysz);
		if (n == 0)
			break;		/* the terminating chunk */
		off += n;
	}
	if (sent == CLAMD_FAILED) {
		close(s);
		return CLAMD_NO_ANSWER;
	}

	rc = clamd_recv(s, ans, sizeof(ans), ms, why, whysz);
	close(s);
	if (rc == -1)
		return CLAMD_NO_ANSWER;
	if (rc == 0) {
		r->status = SCAN_ERROR;
		clamd_msg(r->error, sizeof(r->error),
		    "clamd: %s: \"%s\" (%s)", why,
		    log_escape(esc, sizeof(esc), ans, strlen(ans)), server);
		return CLAMD_ANSWERED;
	}
	clamd_parse(server, ans, r);
	return CLAMD_ANSWERED;
}

/*
 * See scan_clamd.h. A timeout below one second counts as one second:
 * a worker thread never waits without bound.
 */
int
scan_clamd(const char *const *servers, size_t nservers, int timeout,
    const void *buf, size_t len, int fd, struct scan_result *r)
{
	unsigned char	*chunk = NULL;
	char		 why[128], last[128], esc[256];
	enum clamd_try	 t = CLAMD_NO_ANSWER;
	size_t		 i;
	int		 ms;

	memset(r, 0, sizeof(*r));
	r->status = SCAN_ERROR;
	if (timeout < 1)
		timeout = 1;
	ms = timeout > INT_MAX / 1000 ? INT_MAX : timeout * 1000;
	if (nservers == 0) {
		clamd_msg(r->error, sizeof(r->error),
		    "clamd: no server configured");
		return -1;
	}
	if (buf == NULL) {
		if (fd < 0) {
			clamd_msg(r->error, sizeof(r->error),
			    "clamd: nothing to scan");
			return -1;
		}
		if ((chunk = malloc(CLAMD_CHUNK)) == NULL) {
			clamd_msg(r->error, sizeof(r->error),
			    "clamd: out of memory");
			return -1;
		}
	}

	last[0] = '\0';
	for (i = 0; i < nservers; i++) {
		why[0] = '\0';
		t = clamd_try(servers[i], ms, buf, len, fd, chunk, r, why,
		    sizeof(why));
		if (t != CLAMD_NO_ANSWER)
			break;
		log_warnx("clamd server=\"%s\" error=\"%s\"",
		    log_escape(esc, sizeof(esc), servers[i],
		    strlen(servers[i])), why);
		clamd_msg(last, sizeof(last), "%s: %s", servers[i], why);
	}
	free(chunk);
	if (t == CLAMD_NO_ANSWER) {
		r->status = SCAN_ERROR;
		clamd_msg(r->error, sizeof(r->error),
		    "clamd: no server answered (%s)", last);
	}
	return r->status == SCAN_ERROR ? -1 : 0;
}
