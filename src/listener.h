/*
 * Listening sockets: accept, enforce the session limits, find the
 * original destination, hand the connection to a new session.
 */
#ifndef SMTPPROXY_LISTENER_H
#define SMTPPROXY_LISTENER_H

struct event_base;
struct config;

/*
 * Bind every conf->listen address; returns 0 or -1 (logged). Called
 * once everything the proxy keeps open is (the log, the scanning
 * threads, nscanners of them, and the signatures): what is open then,
 * and what the scanning threads may open, is the reserve kept beside
 * two descriptors per session when max_sessions is left to its default
 * (logged).
 */
int	listener_bind(struct event_base *, struct config *, int nscanners);
/*
 * Start accepting with this configuration (also after a reload; a new
 * max_sessions is logged).
 */
void	listener_set_config(struct config *);
/* Stop accepting new connections (shutdown). */
void	listener_close_all(void);

#endif
