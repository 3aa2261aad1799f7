/*
 * One client connection and its upstream connection: the SMTP dialog
 * followed on both sides (RFC 5321, RFC 2920 pipelining, RFC 3207
 * STARTTLS passthrough).
 */
#ifndef SMTPPROXY_SESSION_H
#define SMTPPROXY_SESSION_H

#include <sys/socket.h>

#include <stdint.h>

struct event_base;
struct config;
struct session;

/*
 * Take over an accepted, non-blocking socket, in the calling thread's
 * worker: its loop is base. dst is where the client meant to go
 * (SO_ORIGINAL_DST, or the listener address in relay mode). flags:
 * SESSION_NEW_LOOP when that is the proxy itself, SESSION_NEW_TLS for a
 * tls.listen listener (TLS from the connect on). The session holds a
 * reference to conf for its whole life. First the session is admitted
 * under max_sessions (session_set_max()) and conf's
 * max_sessions_per_client, counted over every worker: over one, nothing
 * is done and SESSION_OVER_MAX or SESSION_OVER_CLIENT is returned (the
 * caller answers and closes fd). Otherwise returns 0, or -1 (fd closed).
 */
#define SESSION_NEW_LOOP	0x01
#define SESSION_NEW_TLS		0x02
#define SESSION_OVER_MAX	1
#define SESSION_OVER_CLIENT	2
int	session_new(struct event_base *, struct config *, int fd,
	    const struct sockaddr *client, socklen_t clientlen,
	    const struct sockaddr *dst, socklen_t dstlen, int flags);
/*
 * Sessions from this address (for max_sessions_per_client), IPv4-mapped
 * IPv6 counted as IPv4: a table look-up, never a walk.
 */
int	session_count_client(const struct sockaddr *);
/* Sessions open in the whole process. */
int	session_count(void);
/* Sessions open in the calling thread's worker. */
int	session_count_worker(void);
/* max_sessions for the whole process (any thread; default: no limit). */
void	session_set_max(int);
/* The calling thread's worker index, logged as worker=N (default 0). */
void	session_set_worker(int);
/* The calling thread's worker is over: free what it kept per worker. */
void	session_worker_end(void);
/*
 * Shutdown: every session of the calling thread's worker still open gets
 * "421 4.3.2" and is closed (after shutdown_grace). Returns the number
 * of sessions closed.
 */
int	session_shutdown_all(void);

struct worker_pool;
struct scan_engine;

/*
 * For the calling thread's worker (each worker calls these on its own
 * thread, at start and on each reload):
 * content scanning: the scanning threads and the engines new messages use,
 * for file types and for anti-virus signatures (the session takes its
 * own references; a message in flight keeps the engines it started
 * with). Any may be NULL; without workers scans run inline.
 */
void	session_set_scanning(struct worker_pool *, struct scan_engine *types,
	    struct scan_engine *av);

/* Relay mode: where every session connects (resolved at start). */
void	session_set_upstream(const struct sockaddr *, socklen_t);

#endif
