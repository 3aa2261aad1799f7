/*
 * A connection from a trusted load balancer before it is a session:
 * its PROXY protocol header read without blocking the loop (SPEC §5).
 */
#ifndef SMTPPROXY_PROXY_ACCEPT_H
#define SMTPPROXY_PROXY_ACCEPT_H

#include <sys/socket.h>

struct event_base;
struct config;

/* Seconds a trusted proxy has to send its whole header. */
#define PROXY_ACCEPT_TIMEOUT	5

/*
 * What to do with the connection once its header is read: client is
 * the header's source (or the peer, for a header without addresses),
 * dst the header's destination or NULL; arg is proxy_accept_start()'s.
 * Owns fd from then on.
 */
typedef void	(*proxy_accept_cb)(struct event_base *, struct config *,
		    int fd, const struct sockaddr *client, socklen_t clientlen,
		    const struct sockaddr *dst, socklen_t dstlen, void *arg);

/*
 * Read the header of fd, an accepted non-blocking socket from peer, on
 * base's thread, and hand the connection to done. A header missing,
 * malformed or not complete within PROXY_ACCEPT_TIMEOUT is logged and
 * the connection closed without a byte: the peer is a misconfigured
 * balancer, not an SMTP client. Bytes after the header stay in the
 * socket for the session. Holds a reference to conf until done.
 * Returns 0, or -1 (fd closed).
 */
int	proxy_accept_start(struct event_base *, struct config *, int fd,
	    const struct sockaddr *peer, socklen_t peerlen, proxy_accept_cb done,
	    void *arg);
/* Connections of this thread waiting for their header. */
int	proxy_accept_count(void);
/* Close every connection of this thread still waiting (shutdown). */
void	proxy_accept_close_all(void);

#endif
