/*
 * Listening sockets: accept, enforce the session limits, find the
 * original destination, hand the connection to a new session.
 */
#ifndef SMTPPROXY_LISTENER_H
#define SMTPPROXY_LISTENER_H

struct event_base;
struct config;

/* Bind every conf->listen address; returns 0 or -1 (logged). */
int	listener_bind(struct event_base *, struct config *);
/* Start accepting with this configuration (also after a reload). */
void	listener_set_config(struct config *);
/* Stop accepting new connections (shutdown). */
void	listener_close_all(void);

#endif
