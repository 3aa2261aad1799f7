/*
 * Listening sockets: accept, enforce the session limits, find the
 * original destination, hand the connection to a new session.
 */
#ifndef SMTPPROXY_LISTENER_H
#define SMTPPROXY_LISTENER_H

struct event_base;
struct config;

/*
 * In the calling thread's worker, whose loop is base: listen on every
 * conf->listen address (with SO_REUSEPORT if reuseport: every worker
 * has sockets of its own on the same addresses). Returns 0 or -1
 * (logged).
 */
int	listener_bind(struct event_base *, struct config *, int reuseport);
/*
 * The main thread: apply conf's max_sessions to the whole process
 * (session_set_max()). The first call, once every worker listens and
 * the nscanners scanning threads run, also computes what fits the
 * descriptor limit (RLIMIT_NOFILE) from what is open then: the reserve
 * kept beside two descriptors per session when max_sessions is left to
 * its default (logged; a change on reload is logged too).
 */
void	listener_limits(const struct config *, int nscanners);
/*
 * In a worker, after a reload: accept with this configuration; stop
 * listening on addresses it no longer has (their sessions go on) and
 * listen on those it adds. 0, or -1 if one could not be opened (logged).
 */
int	listener_set_config(struct config *);
/* In a worker: stop accepting new connections (shutdown). */
void	listener_close_all(void);

#endif
