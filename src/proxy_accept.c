/*
 * Connections from a trusted proxy, between accept(2) and the session:
 * the PROXY protocol header (proxy.c parses it) is read from the
 * socket as it arrives, with a timer, on the accepting loop.
 *
 * The header must not swallow the client's first bytes, which may come
 * in the same segment (an early talker, or a pipelining client behind
 * a balancer that does not wait for the greeting): each read peeks
 * (MSG_PEEK), the parser says how many of the peeked bytes are header,
 * and exactly those are then taken from the socket. The parser takes
 * every byte it is given until the header is complete, so the socket
 * never stays readable with bytes already seen (no busy loop on a
 * level-triggered event).
 *
 * Per thread: each event loop has its own list (a connection waits on
 * the loop that accepted it).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "netaddr.h"
#include "proxy.h"
#include "proxy_accept.h"

struct proxy_wait {
	LIST_ENTRY(proxy_wait)	 entry;
	int			 fd;
	struct event		*ev_read;
	struct event		*ev_timer;
	struct event_base	*base;
	struct config		*conf;
	proxy_accept_cb		 done;
	void			*arg;
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;
	struct proxy		 hdr;
};

static __thread LIST_HEAD(, proxy_wait) proxy_waits;
static __thread int		 proxy_nwaits;

/* Forget w; its fd stays open when keep_fd is set. */
static void
proxy_accept_free(struct proxy_wait *w, int keep_fd)
{
	LIST_REMOVE(w, entry);
	proxy_nwaits--;
	event_free(w->ev_read);
	event_free(w->ev_timer);
	if (!keep_fd)
		close(w->fd);
	config_unref(w->conf);
	proxy_free(&w->hdr);
	free(w);
}

static void
proxy_accept_fail(struct proxy_wait *w, const char *why)
{
	char	 peer[160];

	netaddr_text((struct sockaddr *)&w->peer, peer, sizeof(peer));
	log_warnx("event=proxy-header-error proxy=%s reason=\"%s\"", peer,
	    why);
	proxy_accept_free(w, 0);
}

static void
proxy_accept_done(struct proxy_wait *w)
{
	struct proxy	*h = &w->hdr;
	struct event_base *base = w->base;
	struct config	*conf = config_ref(w->conf);
	proxy_accept_cb	 done = w->done;
	void		*arg = w->arg;
	char		 peer[160], client[160];
	int		 fd = w->fd;

	if (log_getlevel() >= LOG_LEVEL_DEBUG) {
		netaddr_text((struct sockaddr *)&w->peer, peer, sizeof(peer));
		if (h->local)
			snprintf(client, sizeof(client), "local");
		else
			netaddr_text((struct sockaddr *)&h->src, client,
			    sizeof(client));
		log_debug("event=proxy-header version=%d proxy=%s client=%s",
		    h->version, peer, client);
	}
	if (h->local)
		done(base, conf, fd, (struct sockaddr *)&w->peer, w->peerlen,
		    NULL, 0, arg);
	else
		done(base, conf, fd, (struct sockaddr *)&h->src, h->srclen,
		    (struct sockaddr *)&h->dst, h->dstlen, arg);
	config_unref(conf);
	proxy_accept_free(w, 1);
}

static void
proxy_accept_read(evutil_socket_t fd, short ev, void *arg)
{
	struct proxy_wait	*w = arg;
	char			 buf[512];
	ssize_t			 n, m;
	size_t			 used;
	int			 r;

	(void)ev;
	if ((n = recv(fd, buf, sizeof(buf), MSG_PEEK)) == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			return;
		proxy_accept_fail(w, strerror(errno));
		return;
	}
	if (n == 0) {
		proxy_accept_fail(w, w->hdr.version == 0 ?
		    "closed before a header" : "closed within the header");
		return;
	}
	r = proxy_parse(&w->hdr, buf, (size_t)n, &used);
	/* Take what was header; the bytes peeked are there to take. */
	if (used > 0 && (m = recv(fd, buf, used, 0)) != (ssize_t)used) {
		proxy_accept_fail(w, m == -1 ? strerror(errno) :
		    "short read");
		return;
	}
	if (r == -1)
		proxy_accept_fail(w, w->hdr.errstr);
	else if (r == 1)
		proxy_accept_done(w);
}

static void
proxy_accept_timeout(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	proxy_accept_fail(arg, "no complete header within 5 seconds");
}

int
proxy_accept_start(struct event_base *base, struct config *conf, int fd,
    const struct sockaddr *peer, socklen_t peerlen, proxy_accept_cb done,
    void *arg)
{
	struct proxy_wait	*w;
	struct timeval		 tv = { PROXY_ACCEPT_TIMEOUT, 0 };

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		close(fd);
		return -1;
	}
	w->fd = fd;
	w->base = base;
	w->done = done;
	w->arg = arg;
	memcpy(&w->peer, peer, peerlen);
	w->peerlen = peerlen;
	proxy_init(&w->hdr);
	w->ev_read = event_new(base, fd, EV_READ | EV_PERSIST,
	    proxy_accept_read, w);
	w->ev_timer = evtimer_new(base, proxy_accept_timeout, w);
	if (w->ev_read == NULL || w->ev_timer == NULL ||
	    event_add(w->ev_read, NULL) == -1 ||
	    evtimer_add(w->ev_timer, &tv) == -1) {
		if (w->ev_read != NULL)
			event_free(w->ev_read);
		if (w->ev_timer != NULL)
			event_free(w->ev_timer);
		free(w);
		close(fd);
		return -1;
	}
	w->conf = config_ref(conf);
	LIST_INSERT_HEAD(&proxy_waits, w, entry);
	proxy_nwaits++;
	return 0;
}

int
proxy_accept_count(void)
{
	return proxy_nwaits;
}

void
proxy_accept_close_all(void)
{
	struct proxy_wait	*w;

	while ((w = LIST_FIRST(&proxy_waits)) != NULL)
		proxy_accept_free(w, 0);
}
