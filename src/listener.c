/*
 * Listening sockets. Each accepted connection is checked against the
 * session limits and answered "421 4.7.0" at once when over them (never
 * left pending in the backlog), then handed to a new session with its
 * original destination.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netfilter_ipv4.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "config.h"
#include "listener.h"
#include "log.h"
#include "session.h"

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80	/* linux/netfilter_ipv6/ip6_tables.h */
#endif

/* listen(2) clamps this to net.core.somaxconn: the system maximum. */
#define LISTENER_BACKLOG	65535

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct evconnlistener	*evl;
	struct config_addr	 addr;
};

static TAILQ_HEAD(, listener)	 listeners = TAILQ_HEAD_INITIALIZER(listeners);
static struct config		*listener_conf;

static int
listener_same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		a4 = (const void *)a;
		b4 = (const void *)b;
		return a4->sin_port == b4->sin_port &&
		    (a4->sin_addr.s_addr == b4->sin_addr.s_addr ||
		    b4->sin_addr.s_addr == htonl(INADDR_ANY));
	}
	if (a->sa_family == AF_INET6) {
		a6 = (const void *)a;
		b6 = (const void *)b;
		return a6->sin6_port == b6->sin6_port &&
		    (memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0 ||
		    IN6_IS_ADDR_UNSPECIFIED(&b6->sin6_addr));
	}
	return 0;
}

/*
 * Where the client meant to connect. After a netfilter REDIRECT/DNAT the
 * conntrack entry keeps the original destination (SO_ORIGINAL_DST,
 * IP6T_SO_ORIGINAL_DST); with TPROXY, or with no NAT at all, the local
 * address is the destination. A destination that is one of our own
 * listeners — a client that connected to the proxy directly — would make
 * the proxy connect to itself: *loop_r is set.
 */
static void
listener_orig_dst(int fd, const struct sockaddr_storage *local,
    socklen_t locallen, struct sockaddr_storage *dst, socklen_t *dstlen,
    int *loop_r)
{
	struct listener	*l;
	socklen_t	 len = sizeof(*dst);
	int		 r;

	if (local->ss_family == AF_INET6)
		r = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, dst, &len);
	else
		r = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, dst, &len);
	if (r == -1) {
		memcpy(dst, local, locallen);
		len = locallen;
	}
	*dstlen = len;
	*loop_r = 0;
	TAILQ_FOREACH(l, &listeners, entry)
		if (listener_same_addr((struct sockaddr *)dst,
		    (struct sockaddr *)&l->addr.ss))
			*loop_r = 1;
}

static void
listener_refuse(int fd, const char *why)
{
	static const char	 msg[] = "421 4.7.0 Too many connections\r\n";
	ssize_t			 n;

	/* A fresh socket's send buffer always has room for one line. */
	n = write(fd, msg, sizeof(msg) - 1);
	(void)n;
	session_stats.refused++;
	log_info("event=refused reason=\"%s\"", why);
	close(fd);
}

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct config		*conf = listener_conf;
	struct sockaddr_storage	 local, dst;
	socklen_t		 locallen = sizeof(local), dstlen;
	int			 loop;

	(void)arg;
	if (session_count() >= conf->max_sessions) {
		listener_refuse(fd, "max_sessions");
		return;
	}
	if (session_count_client(sa) >= conf->max_sessions_per_client) {
		listener_refuse(fd, "max_sessions_per_client");
		return;
	}
	if (getsockname(fd, (struct sockaddr *)&local, &locallen) == -1) {
		log_warnx("getsockname: %s", strerror(errno));
		close(fd);
		return;
	}
	if (conf->mode == CONFIG_MODE_TRANSPARENT)
		listener_orig_dst(fd, &local, locallen, &dst, &dstlen, &loop);
	else {
		memcpy(&dst, &local, locallen);
		dstlen = locallen;
		loop = 0;
	}
	session_new(evconnlistener_get_base(evl), conf, fd, sa,
	    (socklen_t)salen, (struct sockaddr *)&dst, dstlen, loop);
}

static void
listener_error(struct evconnlistener *evl, void *arg)
{
	int	 err = EVUTIL_SOCKET_ERROR();

	(void)evl;
	(void)arg;
	/* EMFILE and friends: log and keep listening. */
	log_warnx("event=accept-error error=\"%s\"",
	    evutil_socket_error_to_string(err));
}

int
listener_bind(struct event_base *base, struct config *conf)
{
	struct listener	*l;
	int		 i;
	unsigned	 flags = LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE |
			    LEV_OPT_CLOSE_ON_EXEC;

	listener_conf = conf;
	for (i = 0; i < conf->nlisten; i++) {
		if ((l = calloc(1, sizeof(*l))) == NULL)
			return -1;
		l->addr = conf->listen[i];
		l->evl = evconnlistener_new_bind(base, listener_accept, NULL,
		    flags | (l->addr.ss.ss_family == AF_INET6 ?
		    LEV_OPT_BIND_IPV6ONLY : 0), LISTENER_BACKLOG,
		    (struct sockaddr *)&l->addr.ss, (int)l->addr.sslen);
		if (l->evl == NULL) {
			log_error("cannot listen on %s: %s", l->addr.text,
			    strerror(errno));
			free(l);
			return -1;
		}
		evconnlistener_set_error_cb(l->evl, listener_error);
		TAILQ_INSERT_TAIL(&listeners, l, entry);
		log_info("listening on %s", l->addr.text);
	}
	return 0;
}

void
listener_set_config(struct config *conf)
{
	listener_conf = conf;
}

void
listener_close_all(void)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(&listeners)) != NULL) {
		TAILQ_REMOVE(&listeners, l, entry);
		evconnlistener_free(l->evl);
		free(l);
	}
}
