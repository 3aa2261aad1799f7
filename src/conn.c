/*
 * The connection layer: see conn.h for the contract.
 *
 * Readiness is edge-triggered (one event, EV_READ | EV_WRITE | EV_ET |
 * EV_PERSIST, registered once; EV_CLOSED too where the backend has it).
 * An edge only says "something changed", so each direction remembers
 * whether it is blocked (rblock, wblock: the readiness the transport
 * waits for, or 0). A direction that is not blocked may be tried at any
 * time; one that is blocked is tried again only after its edge. Nothing
 * calls epoll_ctl after the registration: pausing reading or writing is
 * a flag here, not a change of interest in the kernel.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "compat.h"
#include "conn.h"
#include "deadline.h"
#include "stats.h"

#define CONN_IOV		16
#define CONN_WRITE_MAX		(256 * 1024)	/* offered to one write */
#define CONN_READS_PER_TURN	8	/* then yield to other events */

#define CONN_TODO_READ		0x01
#define CONN_TODO_WRITE		0x02

/* A transport with a handshake (conn_starttls()). */
#define CONN_HS_NONE		0	/* none, or done */
#define CONN_HS_FLUSH		1	/* old output going out first */
#define CONN_HS_RUN		2	/* the handshake runs */

struct conn {
	struct event_base	*base;
	int			 fd;
	const struct conn_io	*io;
	void			*io_ctx;
	struct evbuffer		*in, *out;
	struct event		*ev;		/* the descriptor, once */
	struct event		*ev_defer;	/* work for the next turn */
	struct deadline		 rtimer, wtimer;
	struct timeval		 rtv, wtv;
	int			 rtv_set, wtv_set;
	conn_data_cb		 readcb, writecb;
	conn_event_cb		 eventcb;
	void			*arg;
	short			 enabled;	/* EV_READ | EV_WRITE */
	short			 rblock, wblock; /* readiness awaited, or 0 */
	int			 hs;		/* CONN_HS_* */
	short			 hsblock;	/* readiness the handshake awaits */
	const struct conn_io	*next_io;	/* CONN_HS_FLUSH: then this */
	void			*next_ctx;
	int			 todo;		/* CONN_TODO_* */
	size_t			 rhigh, wlow;
	int			 connecting;
	int			 rdhup;		/* the peer shut its side */
	int			 eof;		/* read returned 0 or failed */
	int			 early_close;	/* EV_CLOSED is reported */
	int			 busy;		/* in a handler of ours */
	int			 dead;		/* freed while busy */
	int			 stats_id;	/* bytes read, or -1 */
};

static ssize_t
conn_plain_read(struct conn *c, void *ctx, const struct iovec *iov, int n,
    int *want_r)
{
	ssize_t	 r;

	(void)ctx;
	do
		r = readv(c->fd, iov, n);
	while (r == -1 && errno == EINTR);
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		*want_r = EV_READ;
	return r;
}

static ssize_t
conn_plain_write(struct conn *c, void *ctx, const struct iovec *iov, int n,
    int *want_r)
{
	struct msghdr	 msg;
	ssize_t		 r;

	(void)ctx;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = (struct iovec *)(uintptr_t)iov;
	msg.msg_iovlen = (size_t)n;
	/* sendmsg: a peer that left gives EPIPE, never SIGPIPE. */
	do
		r = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	while (r == -1 && errno == EINTR);
	if (r == -1 && errno == ENOTSOCK) {
		do
			r = writev(c->fd, iov, n);
		while (r == -1 && errno == EINTR);
	}
	if (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		*want_r = EV_WRITE;
	return r;
}

const struct conn_io conn_io_plain = {
	conn_plain_read, conn_plain_write, 1, NULL, NULL
};

static void	conn_io_cb(evutil_socket_t, short, void *);
static void	conn_defer_cb(evutil_socket_t, short, void *);
static void	conn_rtimer_cb(evutil_socket_t, short, void *);
static void	conn_wtimer_cb(evutil_socket_t, short, void *);
static void	conn_outbuf_cb(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);
static void	conn_inbuf_cb(struct evbuffer *,
		    const struct evbuffer_cb_info *, void *);

/* Reading is wanted: enabled, not at the high watermark, not ended. */
static int
conn_reading(const struct conn *c)
{
	return (c->enabled & EV_READ) && !c->eof && !c->connecting &&
	    c->fd != -1 && c->hs == CONN_HS_NONE && (c->rhigh == 0 ||
	    evbuffer_get_length(c->in) < c->rhigh);
}

static int
conn_writing(const struct conn *c)
{
	return (c->enabled & EV_WRITE) && !c->connecting && c->fd != -1 &&
	    c->hs != CONN_HS_RUN && evbuffer_get_length(c->out) > 0;
}

static void
conn_schedule(struct conn *c, int what)
{
	if (c->ev_defer == NULL)
		return;
	c->todo |= what;
	event_active(c->ev_defer, EV_TIMEOUT, 0);
}

/* Arm or disarm the timers for what is awaited now; restart: re-arm. */
static void
conn_timers(struct conn *c, int restart_r, int restart_w)
{
	if (c->rtimer.ev == NULL)
		return;
	if (c->rtv_set && conn_reading(c)) {
		if (restart_r || !deadline_armed(&c->rtimer))
			deadline_set(&c->rtimer, &c->rtv);
	} else
		deadline_clear(&c->rtimer);
	if (c->wtv_set && (c->connecting || conn_writing(c))) {
		if (restart_w || !deadline_armed(&c->wtimer))
			deadline_set(&c->wtimer, &c->wtv);
	} else
		deadline_clear(&c->wtimer);
}

static struct conn *
conn_alloc(struct event_base *base, int fd)
{
	struct conn	*c;
	short		 evs = EV_READ | EV_WRITE | EV_ET | EV_PERSIST;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->base = base;
	c->fd = fd;
	c->io = &conn_io_plain;
	c->stats_id = -1;
	if (event_base_get_features(base) & EV_FEATURE_EARLY_CLOSE) {
		evs |= EV_CLOSED;
		c->early_close = 1;
	}
	if ((c->in = evbuffer_new()) == NULL ||
	    (c->out = evbuffer_new()) == NULL ||
	    (c->ev = event_new(base, fd, evs, conn_io_cb, c)) == NULL ||
	    (c->ev_defer = event_new(base, -1, 0, conn_defer_cb, c)) == NULL ||
	    deadline_init(&c->rtimer, base, conn_rtimer_cb, c) == -1 ||
	    deadline_init(&c->wtimer, base, conn_wtimer_cb, c) == -1 ||
	    evbuffer_add_cb(c->out, conn_outbuf_cb, c) == NULL ||
	    evbuffer_add_cb(c->in, conn_inbuf_cb, c) == NULL ||
	    event_add(c->ev, NULL) == -1) {
		c->fd = -1;	/* the caller closes it */
		conn_free(c);
		return NULL;
	}
	c->enabled = EV_READ | EV_WRITE;
	return c;
}

struct conn *
conn_new(struct event_base *base, int fd)
{
	struct conn	*c;
	int		 one = 1;

	if (evutil_make_socket_nonblocking(fd) == -1 ||
	    (c = conn_alloc(base, fd)) == NULL) {
		close(fd);
		return NULL;
	}
	/* Not a TCP socket (a socketpair in the tests): nothing to do. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * Input that came before the registration is reported by it
	 * (epoll checks readiness when a descriptor is added): wait.
	 */
	c->rblock = EV_READ;
	return c;
}

struct conn *
conn_connect(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen)
{
	return conn_connect_from(base, sa, salen, NULL, 0);
}

/*
 * A source address that is not this host's needs IP_TRANSPARENT
 * (IPV6_TRANSPARENT) before bind(2); IP_BIND_ADDRESS_NO_PORT lets
 * connect(2) pick the port for the whole 4-tuple, so that many upstream
 * connections from one client address do not run out of ports at bind.
 */
static int
conn_bind_source(int fd, const struct sockaddr *src, socklen_t srclen)
{
	struct sockaddr_storage	 ss;
	int			 one = 1, v6 = src->sa_family == AF_INET6;

	if (srclen > sizeof(ss)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(&ss, src, srclen);
	if (v6)
		((struct sockaddr_in6 *)(void *)&ss)->sin6_port = 0;
	else
		((struct sockaddr_in *)(void *)&ss)->sin_port = 0;
	if (setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one, sizeof(one)) == -1)
		return -1;
	(void)setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
	    sizeof(one));
	return bind(fd, (struct sockaddr *)&ss, srclen);
}

struct conn *
conn_connect_from(struct event_base *base, const struct sockaddr *sa,
    socklen_t salen, const struct sockaddr *src, socklen_t srclen)
{
	struct conn	*c;
	int		 fd, saved;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return NULL;
	if ((src != NULL && conn_bind_source(fd, src, srclen) == -1) ||
	    (connect(fd, sa, salen) == -1 && errno != EINPROGRESS)) {
		saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	if ((c = conn_alloc(base, fd)) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	/* Done when the socket is writable (EV_WRITE); SO_ERROR says how. */
	c->connecting = 1;
	c->wblock = EV_WRITE;
	c->rblock = EV_READ;
	return c;
}

int
conn_source_allowed(void)
{
	int	 fd, one = 1, r, saved;

	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	r = setsockopt(fd, IPPROTO_IP, IP_TRANSPARENT, &one, sizeof(one));
	saved = errno;
	close(fd);
	errno = saved;
	return r == -1 ? -1 : 0;
}

int
conn_transparent(struct conn *c)
{
	socklen_t	 len = sizeof(int);
	int		 on = 0;

	/* One flag of the socket, read the same way for both families. */
	if (getsockopt(c->fd, IPPROTO_IP, IP_TRANSPARENT, &on, &len) == -1)
		return 0;
	return on != 0;
}

void
conn_setcb(struct conn *c, conn_data_cb readcb, conn_data_cb writecb,
    conn_event_cb eventcb, void *arg)
{
	c->readcb = readcb;
	c->writecb = writecb;
	c->eventcb = eventcb;
	c->arg = arg;
}

void
conn_count_reads(struct conn *c, int stats_id)
{
	c->stats_id = stats_id;
}

void
conn_set_io(struct conn *c, const struct conn_io *io, void *ctx)
{
	c->io = io;
	c->io_ctx = ctx;
	/* The new transport may hold bytes already: try both ways. */
	c->rblock = c->wblock = 0;
	conn_schedule(c, CONN_TODO_READ | CONN_TODO_WRITE);
}

void
conn_starttls(struct conn *c, const struct conn_io *io, void *ctx)
{
	c->next_io = io;
	c->next_ctx = ctx;
	c->hs = CONN_HS_FLUSH;
	conn_timers(c, 0, 0);
	conn_schedule(c, CONN_TODO_WRITE);
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

void
conn_enable(struct conn *c, short what)
{
	short	 was = c->enabled;

	c->enabled |= what & (EV_READ | EV_WRITE);
	if ((what & EV_READ) && !(was & EV_READ)) {
		conn_schedule(c, CONN_TODO_READ);
		conn_timers(c, 1, 0);
	}
	if ((what & EV_WRITE) && !(was & EV_WRITE)) {
		conn_schedule(c, CONN_TODO_WRITE);
		conn_timers(c, 0, 1);
	}
}

void
conn_disable(struct conn *c, short what)
{
	c->enabled &= ~(what & (EV_READ | EV_WRITE));
	conn_timers(c, 0, 0);
}

short
conn_get_enabled(const struct conn *c)
{
	return c->enabled;
}

struct evbuffer *
conn_input(struct conn *c)
{
	return c->in;
}

struct evbuffer *
conn_output(struct conn *c)
{
	return c->out;
}

void
conn_setwatermark(struct conn *c, short what, size_t low, size_t high)
{
	int	 was;

	if (what & EV_READ) {
		was = conn_reading(c);
		c->rhigh = high;
		if (!was && conn_reading(c))
			conn_schedule(c, CONN_TODO_READ);
		conn_timers(c, 0, 0);
	}
	if (what & EV_WRITE)
		c->wlow = low;
}

void
conn_set_timeouts(struct conn *c, const struct timeval *rd,
    const struct timeval *wr)
{
	c->rtv_set = rd != NULL;
	if (rd != NULL)
		c->rtv = *rd;
	c->wtv_set = wr != NULL;
	if (wr != NULL)
		c->wtv = *wr;
	conn_timers(c, 1, 1);
}

static void
conn_release(struct conn *c, int reset)
{
	/* The transport's state (an SSL) goes with the conn, whatever path. */
	if (c->next_io != NULL && c->next_io->close != NULL)
		c->next_io->close(c, c->next_ctx, 1);
	c->next_io = NULL;
	c->next_ctx = NULL;
	if (c->io->close != NULL && c->fd != -1)
		c->io->close(c, c->io_ctx, reset);
	c->io = &conn_io_plain;
	c->io_ctx = NULL;
	if (c->ev != NULL)
		event_free(c->ev);
	if (c->ev_defer != NULL)
		event_free(c->ev_defer);
	deadline_free(&c->rtimer);
	deadline_free(&c->wtimer);
	c->ev = c->ev_defer = NULL;
	if (c->fd != -1) {
		close(c->fd);
		c->fd = -1;
	}
}

static void
conn_destroy(struct conn *c)
{
	if (c->in != NULL)
		evbuffer_free(c->in);
	if (c->out != NULL)
		evbuffer_free(c->out);
	free(c);
}

void
conn_free(struct conn *c)
{
	if (c == NULL)
		return;
	conn_release(c, 0);
	if (c->busy > 0) {
		/* A handler of ours is on the stack: it frees on return. */
		c->dead = 1;
		return;
	}
	conn_destroy(c);
}

void
conn_close_reset(struct conn *c)
{
	struct linger	 lg = { 1, 0 };
	int		 unsent = 0;

	if (c->fd != -1 && (evbuffer_get_length(c->out) > 0 ||
	    (ioctl(c->fd, SIOCOUTQ, &unsent) == 0 && unsent > 0))) {
		(void)setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
		    sizeof(lg));
		conn_release(c, 1);
	}
	conn_free(c);
}

/* Leave a handler: 1 if the conn was freed meanwhile (do not touch it). */
static int
conn_leave(struct conn *c)
{
	if (--c->busy > 0)
		return c->dead;
	if (c->dead) {
		conn_destroy(c);
		return 1;
	}
	return 0;
}

static void
conn_event(struct conn *c, short what)
{
	if (c->eventcb != NULL)
		c->eventcb(c, what, c->arg);
}

static int
conn_read_fail(struct conn *c, int err)
{
	c->eof = 1;
	conn_timers(c, 0, 0);
	errno = err;
	conn_event(c, CONN_EVENT_READING | CONN_EVENT_ERROR);
	return c->dead ? -1 : 0;
}

/*
 * Run the handshake as far as it goes: 0 (done, waiting, or failed and
 * reported), or -1 if a callback freed c.
 */
static int
conn_do_handshake(struct conn *c)
{
	int	 r, want = 0;

	r = c->io->handshake(c, c->io_ctx, &want);
	if (r == -1 && want != 0) {
		c->hsblock = (short)want;
		return 0;
	}
	c->hs = CONN_HS_NONE;
	c->hsblock = 0;
	if (r == -1) {
		c->eof = 1;
		c->enabled = 0;
		conn_timers(c, 0, 0);
		conn_event(c, CONN_EVENT_TLS | CONN_EVENT_ERROR);
		return c->dead ? -1 : 0;
	}
	/* The transport may hold records already: try both ways. */
	c->rblock = c->wblock = 0;
	conn_schedule(c, CONN_TODO_READ | CONN_TODO_WRITE);
	conn_timers(c, 1, 1);
	conn_event(c, CONN_EVENT_TLS);
	return c->dead ? -1 : 0;
}

/* The old transport's output is out: the new one takes over. */
static int
conn_hs_begin(struct conn *c)
{
	c->io = c->next_io;
	c->io_ctx = c->next_ctx;
	c->next_io = NULL;
	c->next_ctx = NULL;
	c->hs = CONN_HS_RUN;
	c->hsblock = 0;
	return conn_do_handshake(c);
}

/* Write what the transport takes; 0, or -1 if a callback freed c. */
static int
conn_do_write(struct conn *c)
{
	struct evbuffer_iovec	 v[CONN_IOV];
	struct iovec		 iov[CONN_IOV];
	ssize_t			 r;
	size_t			 offered;
	int			 i, n, want, wrote = 0;

	while (conn_writing(c) && c->wblock == 0) {
		n = evbuffer_peek(c->out, CONN_WRITE_MAX, NULL, v, CONN_IOV);
		if (n > CONN_IOV)
			n = CONN_IOV;
		offered = 0;
		for (i = 0; i < n; i++) {
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
			offered += v[i].iov_len;
		}
		want = 0;
		r = c->io->write(c, c->io_ctx, iov, n, &want);
		if (r == -1 && want != 0) {
			c->wblock = (short)want;
			break;
		}
		if (r <= 0) {
			c->enabled &= ~EV_WRITE;
			conn_timers(c, 0, 0);
			conn_event(c, CONN_EVENT_WRITING | CONN_EVENT_ERROR);
			return c->dead ? -1 : 0;
		}
		evbuffer_drain(c->out, (size_t)r);
		wrote = 1;
		if ((size_t)r < offered && c->io->short_drains)
			c->wblock = EV_WRITE;
	}
	conn_timers(c, 0, wrote);
	if (c->hs == CONN_HS_FLUSH && evbuffer_get_length(c->out) == 0 &&
	    !c->connecting && c->fd != -1)
		return conn_hs_begin(c);
	if (wrote && evbuffer_get_length(c->out) <= c->wlow &&
	    c->writecb != NULL) {
		c->writecb(c, c->arg);
		if (c->dead)
			return -1;
	}
	return 0;
}

/* Read until the transport has no more or reading stops. */
static int
conn_do_read(struct conn *c)
{
	struct evbuffer_iovec	 v[2];
	struct iovec		 iov[2];
	ssize_t			 r;
	size_t			 room, offered, got;
	int			 i, n, want, turns = 0;

	while (conn_reading(c) && c->rblock == 0) {
		if (++turns > CONN_READS_PER_TURN) {
			/* Fair to the other sessions: go on next turn. */
			conn_schedule(c, CONN_TODO_READ);
			break;
		}
		room = CONN_READ_MAX;
		if (c->rhigh > 0 && c->rhigh - evbuffer_get_length(c->in) <
		    room)
			room = c->rhigh - evbuffer_get_length(c->in);
		n = evbuffer_reserve_space(c->in, (ev_ssize_t)room, v, 2);
		if (n <= 0)
			return conn_read_fail(c, ENOMEM);
		offered = 0;
		for (i = 0; i < n; i++) {
			if (v[i].iov_len > room - offered)
				v[i].iov_len = room - offered;
			iov[i].iov_base = v[i].iov_base;
			iov[i].iov_len = v[i].iov_len;
			offered += v[i].iov_len;
		}
		want = 0;
		r = c->io->read(c, c->io_ctx, iov, n, &want);
		if (r == -1 && want != 0) {
			evbuffer_commit_space(c->in, v, 0);
			c->rblock = (short)want;
			break;
		}
		if (r <= 0) {
			evbuffer_commit_space(c->in, v, 0);
			c->eof = 1;
			conn_timers(c, 0, 0);
			conn_event(c, CONN_EVENT_READING |
			    (r == 0 ? CONN_EVENT_EOF : CONN_EVENT_ERROR));
			return c->dead ? -1 : 0;
		}
		got = (size_t)r;
		if (c->stats_id != -1)
			stats_add((enum stats_id)c->stats_id, (int64_t)got);
		for (i = 0; i < n; i++) {
			if ((size_t)r < v[i].iov_len)
				v[i].iov_len = (size_t)r;
			r -= (ssize_t)v[i].iov_len;
		}
		evbuffer_commit_space(c->in, v, n);
		/*
		 * A short read emptied the socket; a later byte is a new
		 * edge. Not so for a FIN that came already (no new edge):
		 * read on to see it. Without EV_CLOSED, read to EAGAIN.
		 */
		if (got < offered && c->io->short_drains && c->early_close &&
		    !c->rdhup)
			c->rblock = EV_READ;
		conn_timers(c, 1, 0);
		if (c->readcb != NULL) {
			c->readcb(c, c->arg);
			if (c->dead)
				return -1;
		}
	}
	return 0;
}

static void
conn_connected(struct conn *c)
{
	socklen_t	 len = sizeof(int);
	int		 err = 0, one = 1;

	c->connecting = 0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		c->eof = 1;
		c->enabled = 0;
		conn_timers(c, 0, 0);
		errno = err;
		conn_event(c, CONN_EVENT_ERROR);
		return;
	}
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	conn_timers(c, 1, 1);
	conn_event(c, CONN_EVENT_CONNECTED);
}

static void
conn_io_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	c->busy++;
	if (what & EV_CLOSED)
		c->rdhup = 1;
	if (what & (EV_READ | EV_CLOSED)) {
		if (c->rblock == EV_READ)
			c->rblock = 0;
		if (c->wblock == EV_READ)
			c->wblock = 0;
		if (c->hsblock == EV_READ)
			c->hsblock = 0;
	}
	if (what & EV_WRITE) {
		if (c->wblock == EV_WRITE)
			c->wblock = 0;
		if (c->rblock == EV_WRITE)
			c->rblock = 0;
		if (c->hsblock == EV_WRITE)
			c->hsblock = 0;
	}
	if (c->connecting) {
		if (c->wblock != 0)
			goto out;	/* not writable yet */
		conn_connected(c);
		if (c->dead || c->eof)
			goto out;
	}
	if (c->hs == CONN_HS_RUN && c->hsblock == 0 &&
	    (conn_do_handshake(c) == -1 || c->eof))
		goto out;
	if (conn_do_write(c) == -1)
		goto out;
	(void)conn_do_read(c);
out:
	(void)conn_leave(c);
}

static void
conn_defer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;
	int		 todo = c->todo;

	(void)fd;
	(void)what;
	c->todo = 0;
	c->busy++;
	if (c->hs == CONN_HS_RUN && c->hsblock == 0 && c->fd != -1 &&
	    (conn_do_handshake(c) == -1 || c->eof))
		goto out;
	if ((todo & CONN_TODO_WRITE) && conn_do_write(c) == -1)
		goto out;
	if (todo & CONN_TODO_READ)
		(void)conn_do_read(c);
out:
	(void)conn_leave(c);
}

/* A timeout on one direction: it stops, and the owner is told. */
static void
conn_timeout(struct conn *c, short ev, short what)
{
	c->busy++;
	c->enabled &= ~ev;
	conn_timers(c, 0, 0);
	conn_event(c, what | CONN_EVENT_TIMEOUT);
	(void)conn_leave(c);
}

static void
conn_rtimer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (deadline_due(&c->rtimer))
		conn_timeout(arg, EV_READ, CONN_EVENT_READING);
}

static void
conn_wtimer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct conn	*c = arg;

	(void)fd;
	(void)what;
	if (deadline_due(&c->wtimer))
		conn_timeout(arg, EV_WRITE, CONN_EVENT_WRITING);
}

/* Output added: write it this loop turn, once, however often it grew. */
static void
conn_outbuf_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;

	(void)b;
	if (c->fd == -1 || (c->busy > 0 && info->n_added == 0))
		return;
	if (info->n_added > 0 && conn_writing(c) && c->wblock == 0)
		conn_schedule(c, CONN_TODO_WRITE);
	if (info->n_added > 0 || info->n_deleted > 0)
		conn_timers(c, 0, 0);
}

/* Input consumed below the high watermark: read on, from the loop. */
static void
conn_inbuf_cb(struct evbuffer *b, const struct evbuffer_cb_info *info,
    void *arg)
{
	struct conn	*c = arg;
	size_t		 len;

	(void)b;
	if (c->fd == -1 || c->rhigh == 0 || info->n_deleted == 0)
		return;
	len = info->orig_size - info->n_deleted + info->n_added;
	if (info->orig_size >= c->rhigh && len < c->rhigh &&
	    conn_reading(c)) {
		conn_schedule(c, CONN_TODO_READ);
		conn_timers(c, 1, 0);
	}
}
