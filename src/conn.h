/*
 * One side of a session: a stream socket, its input and output
 * evbuffers, watermarks and timeouts. The only module that touches a
 * socket: the descriptor is registered once, edge-triggered, for reading
 * and writing; input is read into reserved evbuffer space until the
 * kernel has no more (or reading is paused); output is written through
 * in the loop turn it was added in, and writability is waited for only
 * after the kernel refused bytes.
 *
 * The callbacks keep bufferevent's meaning: read when new input arrived,
 * write when the output drained to its low watermark after a write,
 * event for CONN_EVENT_EOF / ERROR / TIMEOUT (with READING or WRITING)
 * and CONNECTED. They never run from inside a conn_* call: a side that
 * is enabled again is read from the loop, not recursively.
 *
 * The bytes move through a struct conn_io (plain readv/writev now,
 * SSL_read/SSL_write later), so the loop and the backpressure are the
 * same for every transport.
 */
#ifndef SMTPPROXY_CONN_H
#define SMTPPROXY_CONN_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stddef.h>

struct conn;
struct evbuffer;
struct event_base;
struct timeval;

#define CONN_EVENT_READING	0x01
#define CONN_EVENT_WRITING	0x02
#define CONN_EVENT_EOF		0x10
#define CONN_EVENT_ERROR	0x20
#define CONN_EVENT_TIMEOUT	0x40
#define CONN_EVENT_CONNECTED	0x80
/* The handshake of conn_starttls() ended; with ERROR or EOF: it failed. */
#define CONN_EVENT_TLS		0x100

/* Largest read; also what one read reserves in the input buffer. */
#define CONN_READ_MAX		(64 * 1024)

typedef void	(*conn_data_cb)(struct conn *, void *);
typedef void	(*conn_event_cb)(struct conn *, short, void *);

/*
 * The transport. read and write move bytes between the iovecs and the
 * peer: >0 bytes moved, 0 end of stream (read only), -1 with errno set.
 * A transport that would block returns -1 with errno EAGAIN and stores
 * in *want_r what it waits for, EV_READ or EV_WRITE (TLS: SSL_read can
 * want writability, SSL_write readability); the conn waits for that
 * edge before it calls the same direction again. short_drains: a read
 * or write that moved fewer bytes than offered means the kernel buffer
 * is empty/full (true of a plain socket, not of TLS records).
 *
 * A transport that starts with a handshake (conn_starttls()) has
 * handshake: 1 done, -1 with *want_r set to wait for that readiness,
 * -1 with *want_r 0 failed. close, if set, runs before the descriptor
 * is closed (reset: the connection is being reset, send nothing) and
 * frees ctx.
 */
struct conn_io {
	ssize_t	(*read)(struct conn *, void *ctx, const struct iovec *,
		    int, int *want_r);
	ssize_t	(*write)(struct conn *, void *ctx, const struct iovec *,
		    int, int *want_r);
	int	 short_drains;
	int	(*handshake)(struct conn *, void *ctx, int *want_r);
	void	(*close)(struct conn *, void *ctx, int reset);
};

/* readv/writev on the descriptor. */
extern const struct conn_io conn_io_plain;

/*
 * A connected socket (an accepted client); the conn owns fd from now on,
 * also on failure (NULL, fd closed). Reading and writing are enabled.
 */
struct conn	*conn_new(struct event_base *, int fd);
/*
 * A non-blocking connect to sa; CONN_EVENT_CONNECTED (or ERROR, with
 * errno) follows from the loop. NULL with errno set if the socket could
 * not be made or the connect failed at once.
 */
struct conn	*conn_connect(struct event_base *, const struct sockaddr *,
		    socklen_t);
/*
 * The same from the source address src (its port is ignored; NULL: the
 * system's choice), which need not be this host's: the socket gets
 * IP_TRANSPARENT (IPV6_TRANSPARENT), which takes CAP_NET_ADMIN or
 * CAP_NET_RAW, and the replies must be routed back to this host (the
 * TPROXY set-up of smtpproxy.conf(5)). NULL with errno set (EPERM
 * without the capability).
 */
struct conn	*conn_connect_from(struct event_base *,
		    const struct sockaddr *, socklen_t,
		    const struct sockaddr *src, socklen_t srclen);
/*
 * 0 if this process may give a socket IP_TRANSPARENT (what a source
 * address of conn_connect_from() needs), -1 with errno (EPERM) if not.
 */
int		 conn_source_allowed(void);
/*
 * 1 if the socket has IP_TRANSPARENT: a client accepted on a TPROXY
 * listener (accepted sockets inherit it).
 */
int		 conn_transparent(struct conn *);
void		 conn_setcb(struct conn *, conn_data_cb readcb,
		    conn_data_cb writecb, conn_event_cb eventcb, void *arg);
/* Count the bytes read (after the transport) in counter stats_id. */
void		 conn_count_reads(struct conn *, int stats_id);
/* Replace the transport (TLS after STARTTLS); ctx is passed to it. */
void		 conn_set_io(struct conn *, const struct conn_io *, void *ctx);
/*
 * Start a transport with a handshake (TLS): reading stops now; the
 * output already queued is written with the old transport; then io
 * takes over and its handshake runs from the loop, and CONN_EVENT_TLS
 * reports its end (alone: done, reading and writing go on through io;
 * with ERROR or EOF: failed, the conn is dead). The conn owns ctx from
 * now on (io->close frees it, whatever happens).
 */
void		 conn_starttls(struct conn *, const struct conn_io *, void *ctx);
/* The descriptor, for a transport's own use (SSL_set_fd) only. */
int		 conn_fd(const struct conn *);
/* EV_READ and/or EV_WRITE. Enabling reading reads from the loop. */
void		 conn_enable(struct conn *, short);
void		 conn_disable(struct conn *, short);
short		 conn_get_enabled(const struct conn *);
struct evbuffer	*conn_input(struct conn *);
struct evbuffer	*conn_output(struct conn *);
/*
 * EV_READ: stop reading while the input holds high bytes or more
 * (0: no limit; low is ignored). EV_WRITE: the write callback runs when
 * a write leaves low bytes or fewer (high is ignored).
 */
void		 conn_setwatermark(struct conn *, short, size_t low,
		    size_t high);
/*
 * NULL disarms. The read timeout runs while reading is enabled and not
 * paused and no byte arrives; the write timeout while output (or a
 * connect) is pending and no byte leaves. Setting one restarts it.
 */
void		 conn_set_timeouts(struct conn *, const struct timeval *rd,
		    const struct timeval *wr);
/* Close and free; from a callback of this conn too. */
void		 conn_free(struct conn *);
/*
 * The same, but reset (RST) the connection if bytes are still unsent,
 * in the output buffer or in the kernel: a peer that stopped reading
 * would otherwise keep it, and a FIN queued behind them, for ever.
 */
void		 conn_close_reset(struct conn *);

#endif
