/*
 * Listening sockets. Each accepted connection is checked against the
 * session limits and answered "421 4.7.0" at once when over them (never
 * left pending in the backlog), then handed to a new session with its
 * original destination.
 *
 * Out of descriptors (EMFILE, ENFILE), accept(2) fails while the
 * connection stays in the backlog, so the listening socket stays
 * readable: retrying at once would spin. Instead the listeners are
 * disabled and re-enabled from a timer, 100 ms after the first failure,
 * doubling up to 1 s while failures go on; and a reserve descriptor
 * (/dev/null, opened at start) is given up for a moment to accept the
 * waiting connections one by one and answer them "421 4.7.0", so that
 * no client is left without a byte. The error is logged once a second
 * at most, each line with how many accept(2) calls failed and how many
 * connections were refused since the last one.
 *
 * That is the exception, not the plan: unless the configuration sets
 * max_sessions, it is lowered at start-up to what the descriptor limit
 * (RLIMIT_NOFILE) has room for, so that the limit refuses a client
 * before the descriptors run out.
 *
 * Workers: each worker thread has listening sockets of its own on every
 * address (SO_REUSEPORT when there are several workers: the kernel
 * spreads new connections over them), with its own back-off and reserve
 * descriptor; all of that is thread-local. The limits are the sessions'
 * (session.c counts them for the whole process).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netfilter_ipv4.h>

#include <dirent.h>
#include <netdb.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>

#include "access.h"
#include "compat.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "netaddr.h"
#include "proxy_accept.h"
#include "session.h"
#include "stats.h"

#ifndef IP6T_SO_ORIGINAL_DST
#define IP6T_SO_ORIGINAL_DST	80	/* linux/netfilter_ipv6/ip6_tables.h */
#endif

/* listen(2) clamps this to net.core.somaxconn: the system maximum. */
#define LISTENER_BACKLOG	65535

/* What a listening socket is for: which of the three address lists. */
enum listener_kind {
	LISTENER_PLAIN,		/* listen */
	LISTENER_TPROXY,	/* tproxy.listen: IP_TRANSPARENT */
	LISTENER_TLS,		/* tls.listen: implicit TLS (RFC 8314) */
	LISTENER_NKINDS
};

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	struct evconnlistener	*evl;
	struct config_addr	 addr;
	enum listener_kind	 kind;
};

/* How a kind is shown after an address, in errors and in the log. */
static const char *const listener_kind_text[LISTENER_NKINDS] = {
	"", " (tproxy)", " (tls)"
};
static const char *const listener_kind_log[LISTENER_NKINDS] = {
	"", " tproxy=yes", " tls=implicit"
};

/* The addresses of conf that listeners of a kind listen on. */
static void
listener_addrs(const struct config *conf, enum listener_kind kind,
    const struct config_addr **addrs_r, int *n_r)
{
	switch (kind) {
	case LISTENER_TPROXY:
		*addrs_r = conf->tproxy_listen;
		*n_r = conf->ntproxy_listen;
		break;
	case LISTENER_TLS:
		*addrs_r = conf->tls_listen;
		*n_r = conf->ntls_listen;
		break;
	default:
		*addrs_r = conf->listen;
		*n_r = conf->nlisten;
		break;
	}
}

/* Back-off after a failed accept(2), in milliseconds. */
#define LISTENER_BACKOFF_MIN	100
#define LISTENER_BACKOFF_MAX	1000
/* Connections refused with the reserve descriptor per failure, at most. */
#define LISTENER_SHED_MAX	64

/* Per worker: its listening sockets, and the configuration they use. */
static __thread TAILQ_HEAD(, listener) listeners;	/* TAILQ_INIT at bind */
static __thread struct config	*listener_conf;
static __thread struct event_base *listener_base;
static __thread int		 listener_reuseport;

/*
 * Descriptors a session may take: the client's and the upstream's.
 * Beside them the proxy keeps a reserve free: what is open when it
 * starts to accept (standard streams, the log, the event loop's and the
 * worker threads' own, the listeners, the reserve descriptor below),
 * LISTENER_FD_PER_SCANNER for each scanning thread (a clamd connection,
 * libclamav's temporary files) and LISTENER_FD_SPARE for the rest: spool
 * files of messages over the in-memory budget, signatures reloaded on
 * HUP, the log reconnecting.
 */
#define LISTENER_FD_PER_SESSION	2
#define LISTENER_FD_PER_SCANNER	4
#define LISTENER_FD_SPARE	16

/*
 * max_sessions as the listener applies it (listener_limit()): the
 * configured one, a default lowered to listener_fits, the sessions the
 * descriptor limit has room for (computed once, when every worker is
 * listening). Shared: written by the main thread only, before the
 * workers accept and on reload; the workers see the limit through
 * session_set_max().
 */
static int			 listener_max_sessions;
static int			 listener_fits = INT_MAX;
static int			 listener_reserve_fds;
static rlim_t			 listener_nofile = RLIM_INFINITY;

/*
 * Out of descriptors (per worker, on its loop's thread): the reserve,
 * the timer that re-enables the listeners and the current back-off, and
 * what the rate-limited log line sums up.
 */
static __thread int		 listener_reserve = -1;
static __thread struct event	*listener_ev_resume;
static __thread int		 listener_paused;
static __thread long		 listener_backoff = LISTENER_BACKOFF_MIN;
static __thread struct event	*listener_ev_report;	/* next log line */
static __thread struct timespec	 listener_logged;	/* CLOCK_MONOTONIC */
static __thread int		 listener_lasterr;	/* errno of the last
							   failure */
static __thread unsigned	 listener_errors;	/* not logged yet */
static __thread unsigned	 listener_shed;		/* refused, not
							   logged yet */

/* A destination that is one of this worker's listeners: a loop (SPEC §2). */
static int
listener_is_loop(const struct sockaddr *dst)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &listeners, entry)
		if (netaddr_covers((struct sockaddr *)&l->addr.ss, dst))
			return 1;
	return 0;
}

/*
 * Where the client meant to connect. After a netfilter REDIRECT/DNAT the
 * conntrack entry keeps the original destination (SO_ORIGINAL_DST,
 * IP6T_SO_ORIGINAL_DST); on a TPROXY listener (tproxy), or with no NAT
 * at all, the local address is the destination: TPROXY rewrites no
 * address, the socket is accepted with the address the client chose. A
 * destination that is one of our own listeners — a client that
 * connected to the proxy directly — would make the proxy connect to
 * itself: *loop_r is set. An IPv4-mapped destination is made IPv4.
 */
static void
listener_orig_dst(int fd, int tproxy, const struct sockaddr_storage *local,
    socklen_t locallen, struct sockaddr_storage *dst, socklen_t *dstlen,
    int *loop_r)
{
	socklen_t	 len = sizeof(*dst);
	int		 r;

	if (tproxy)
		r = -1;
	else if (local->ss_family == AF_INET6)
		r = getsockopt(fd, SOL_IPV6, IP6T_SO_ORIGINAL_DST, dst, &len);
	else
		r = getsockopt(fd, SOL_IP, SO_ORIGINAL_DST, dst, &len);
	if (r == -1) {
		memcpy(dst, local, locallen);
		len = locallen;
	}
	*dstlen = netaddr_unmap(dst, len);
	*loop_r = listener_is_loop((struct sockaddr *)dst);
}

#define LISTENER_BUSY	"Too many connections, try again later"
#define LISTENER_UNTRUSTED \
	"Connections are accepted only through a trusted proxy"

/*
 * The original destination a PROXY protocol header names; the same loop
 * check as for SO_ORIGINAL_DST.
 */
static void
listener_header_dst(const struct sockaddr *hdst, socklen_t hdstlen,
    struct sockaddr_storage *dst, socklen_t *dstlen, int *loop_r)
{
	memcpy(dst, hdst, hdstlen);
	*dstlen = netaddr_unmap(dst, hdstlen);
	*loop_r = listener_is_loop((struct sockaddr *)dst);
}

static void	listener_send_421_text(int, const char *);

/* Answer a connection the proxy cannot serve now, and close it. */
static void
listener_send_421(int fd)
{
	listener_send_421_text(fd, LISTENER_BUSY);
}

static void
listener_send_421_text(int fd, const char *text)
{
	char	 msg[512];
	ssize_t	 n;
	int	 len;

	len = snprintf(msg, sizeof(msg), "421 4.7.0 %s %s\r\n",
	    listener_conf->hostname, text);
	if (len < 0 || (size_t)len >= sizeof(msg))
		len = snprintf(msg, sizeof(msg), "421 4.7.0 %s\r\n", text);
	/* A fresh socket's send buffer always has room for one line. */
	n = write(fd, msg, (size_t)len);
	(void)n;
	stats_inc(STATS_REFUSED);
	close(fd);
}

/* One line for every connection refused before it is a session. */
static void
listener_log_refused(const struct sockaddr *client, const char *why)
{
	char	 text[NETADDR_TEXT_MAX];

	log_info("event=refused reason=\"%s\" client=%s", why,
	    netaddr_text(client, text, sizeof(text)));
}

static void
listener_refuse(int fd, const struct sockaddr *client, const char *why)
{
	listener_send_421(fd);
	listener_log_refused(client, why);
}

/*
 * The client's address as the sessions see it: an IPv4-mapped IPv6
 * address is the IPv4 address (netaddr.h), so that the logs, the
 * access rules and the per-client counts see one form of it.
 */
static socklen_t
listener_peer(const struct sockaddr *sa, int salen,
    struct sockaddr_storage *peer)
{
	socklen_t	 len;

	len = salen > 0 && (size_t)salen <= sizeof(*peer) ?
	    (socklen_t)salen : 0;
	memset(peer, 0, sizeof(*peer));
	memcpy(peer, sa, len);
	return netaddr_unmap(peer, len);
}

/*
 * A connection whose client is known: sa, the peer or the client a
 * PROXY protocol header names (then hdst is the header's destination,
 * the original destination in transparent mode; else NULL).
 */
static void
listener_admit(struct event_base *base, struct config *conf, int fd,
    const struct sockaddr *sa, socklen_t salen, const struct sockaddr *hdst,
    socklen_t hdstlen, void *arg)
{
	struct listener		*l = arg;
	struct sockaddr_storage	 local, dst, peer;
	socklen_t		 locallen = sizeof(local), dstlen, peerlen;
	int			 loop;

	peerlen = listener_peer(sa, (int)salen, &peer);
	sa = (struct sockaddr *)&peer;
	if (getsockname(fd, (struct sockaddr *)&local, &locallen) == -1) {
		log_warnx("getsockname: %s", strerror(errno));
		close(fd);
		return;
	}
	if (conf->mode == CONFIG_MODE_TRANSPARENT && hdst != NULL)
		listener_header_dst(hdst, hdstlen, &dst, &dstlen, &loop);
	else if (conf->mode == CONFIG_MODE_TRANSPARENT)
		listener_orig_dst(fd, l->kind == LISTENER_TPROXY, &local, locallen, &dst,
		    &dstlen, &loop);
	else {
		memcpy(&dst, &local, locallen);
		dstlen = locallen;
		loop = 0;
	}
	/* The limits are checked and counted in one step, in session_new(). */
	switch (session_new(base, conf, fd, sa, peerlen,
	    (struct sockaddr *)&dst, dstlen, (loop ? SESSION_NEW_LOOP : 0) |
	    (l->kind == LISTENER_TLS ? SESSION_NEW_TLS : 0))) {
	case SESSION_OVER_MAX:
		listener_refuse(fd, sa, "max_sessions");
		break;
	case SESSION_OVER_CLIENT:
		listener_refuse(fd, sa, "max_sessions_per_client");
		break;
	}
}

static void
listener_accept(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct config		*conf = listener_conf;
	struct event_base	*base = evconnlistener_get_base(evl);
	struct sockaddr_storage	 peer;
	socklen_t		 peerlen;

	listener_backoff = LISTENER_BACKOFF_MIN;
	if (!conf->proxy_protocol) {
		listener_admit(base, conf, fd, sa, (socklen_t)salen, NULL, 0,
		    arg);
		return;
	}
	peerlen = listener_peer(sa, salen, &peer);
	sa = (struct sockaddr *)&peer;
	/* Connections waiting for their header count against the limit. */
	if (session_count() + proxy_accept_count() >= listener_max_sessions) {
		listener_refuse(fd, sa, "max_sessions");
		return;
	}
	/* SPEC §5: only a trusted proxy's bytes are read as a header. */
	if (!access_list_match(conf->access,
	    (const char *const *)conf->trusted_proxies,
	    conf->ntrusted_proxies, sa)) {
		listener_send_421_text(fd, LISTENER_UNTRUSTED);
		listener_log_refused(sa, "untrusted proxy");
		return;
	}
	proxy_accept_start(base, conf, fd, sa, peerlen, listener_admit, arg);
}

/* The reserve descriptor; -1 if there is none, which only costs the 421. */
static void
listener_reserve_open(void)
{
	if (listener_reserve == -1)
		listener_reserve = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/*
 * Out of descriptors: give up the reserve to accept the connections
 * waiting on fd, answer each 421 and close it, then take the reserve
 * back. Another thread may take the freed slot first: then accept(2)
 * fails again and the rest waits for the next try.
 */
static void
listener_shed_waiting(int fd)
{
	int	 c, i;

	for (i = 0; i < LISTENER_SHED_MAX && listener_reserve != -1; i++) {
		close(listener_reserve);
		listener_reserve = -1;
		c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
		if (c != -1) {
			listener_send_421(c);
			listener_shed++;
		}
		listener_reserve_open();
		if (c == -1)
			break;
	}
}

static void
listener_resume(evutil_socket_t fd, short ev, void *arg)
{
	struct listener	*l;

	(void)fd;
	(void)ev;
	(void)arg;
	listener_paused = 0;
	listener_reserve_open();
	TAILQ_FOREACH(l, &listeners, entry)
		evconnlistener_enable(l->evl);
}

/* Stop accepting for the back-off, which doubles up to its maximum. */
static void
listener_pause(void)
{
	struct listener	*l;
	struct timeval	 tv;

	if (listener_paused)
		return;
	TAILQ_FOREACH(l, &listeners, entry)
		evconnlistener_disable(l->evl);
	tv.tv_sec = listener_backoff / 1000;
	tv.tv_usec = (listener_backoff % 1000) * 1000;
	evtimer_add(listener_ev_resume, &tv);
	listener_paused = 1;
	if ((listener_backoff *= 2) > LISTENER_BACKOFF_MAX)
		listener_backoff = LISTENER_BACKOFF_MAX;
}

/* One line for the failures and refusals since the last one. */
static void
listener_report(evutil_socket_t fd, short ev, void *arg)
{
	(void)fd;
	(void)ev;
	(void)arg;
	if (listener_errors == 0)
		return;
	log_warnx("event=accept-error error=\"%s\" errors=%u refused=%u "
	    "backoff_ms=%ld reserve=%s",
	    evutil_socket_error_to_string(listener_lasterr), listener_errors,
	    listener_shed, listener_backoff, listener_reserve != -1 ?
	    "yes" : "no");
	clock_gettime(CLOCK_MONOTONIC, &listener_logged);
	listener_errors = listener_shed = 0;
}

/*
 * accept(2) failed with an error libevent does not retry itself (it
 * retries EAGAIN, EINTR, ECONNABORTED): most likely EMFILE or ENFILE,
 * which would come back at once. Logged at once if the last line is a
 * second old, else summed up in one line when the second is over.
 */
static void
listener_error(struct evconnlistener *evl, void *arg)
{
	struct timespec	 now;
	struct timeval	 tv;
	long		 ms;

	(void)arg;
	listener_lasterr = EVUTIL_SOCKET_ERROR();
	listener_errors++;
	if (listener_lasterr == EMFILE || listener_lasterr == ENFILE)
		listener_shed_waiting(evconnlistener_get_fd(evl));
	listener_pause();
	if (evtimer_pending(listener_ev_report, NULL))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - listener_logged.tv_sec) * 1000 +
	    (now.tv_nsec - listener_logged.tv_nsec) / 1000000;
	if ((listener_logged.tv_sec == 0 && listener_logged.tv_nsec == 0) ||
	    ms >= 1000) {
		listener_report(-1, 0, NULL);
		return;
	}
	tv.tv_sec = 0;
	tv.tv_usec = (1000 - ms) * 1000;
	evtimer_add(listener_ev_report, &tv);
}

/*
 * Descriptors open below the limit (a number at or above it does not
 * stop accept(2) from finding a free one below): from /proc/self/fd, or
 * by asking each number if /proc is not there.
 */
static int
listener_fds_open(rlim_t nofile)
{
	struct dirent	*de;
	DIR		*d;
	long		 fd, max;
	int		 n = 0;

	if ((d = opendir("/proc/self/fd")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			fd = strtol(de->d_name, NULL, 10);
			if (fd != dirfd(d) && (rlim_t)fd < nofile)
				n++;
		}
		closedir(d);
		return n;
	}
	max = nofile < 65536 ? (long)nofile : 65536;
	for (fd = 0; fd < max; fd++)
		if (fcntl((int)fd, F_GETFD) != -1)
			n++;
	return n;
}

/*
 * The sessions the descriptor limit has room for, with nscanners
 * scanning threads, from what is open now (once the listeners are).
 */
static void
listener_fit(int nscanners)
{
	struct rlimit	 rl;
	rlim_t		 room;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1) {
		log_warnx("event=getrlimit error=\"%s\"", strerror(errno));
		return;
	}
	listener_nofile = rl.rlim_cur;
	listener_reserve_fds = LISTENER_FD_SPARE +
	    LISTENER_FD_PER_SCANNER * nscanners;
	if (rl.rlim_cur == RLIM_INFINITY) {
		listener_fits = INT_MAX;
		return;
	}
	listener_reserve_fds += listener_fds_open(rl.rlim_cur);
	room = rl.rlim_cur > (rlim_t)listener_reserve_fds ?
	    (rl.rlim_cur - (rlim_t)listener_reserve_fds) /
	    LISTENER_FD_PER_SESSION : 0;
	/* Too few descriptors for even one: let one try anyway. */
	listener_fits = room < 1 ? 1 : room > INT_MAX ? INT_MAX : (int)room;
}

/*
 * max_sessions for conf: the file's value, even above what fits (with a
 * warning: the reserve descriptor then answers the clients past it), or
 * the default, lowered to what fits. Logged at start-up and when a
 * reload changes it.
 */
static void
listener_limit(const struct config *conf)
{
	char	 nofile[32], fits[32];
	int	 max;

	max = conf->max_sessions;
	if (!conf->max_sessions_set && max > listener_fits)
		max = listener_fits;
	if (max == listener_max_sessions)
		return;
	listener_max_sessions = max;
	if (listener_nofile == RLIM_INFINITY)
		snprintf(nofile, sizeof(nofile), "unlimited");
	else
		snprintf(nofile, sizeof(nofile), "%llu",
		    (unsigned long long)listener_nofile);
	if (listener_fits == INT_MAX)
		snprintf(fits, sizeof(fits), "unlimited");
	else
		snprintf(fits, sizeof(fits), "%d", listener_fits);
	if (conf->max_sessions_set && max > listener_fits)
		log_warnx("event=max-sessions-over-nofile max_sessions=%d "
		    "fits=%s nofile=%s reserve=%d: past %s sessions clients "
		    "may find the proxy out of descriptors; raise the "
		    "descriptor limit or lower max_sessions", max, fits,
		    nofile, listener_reserve_fds, fits);
	else
		log_info("event=max-sessions max_sessions=%d source=%s "
		    "fits=%s nofile=%s reserve=%d", max,
		    conf->max_sessions_set ? "config" :
		    max < conf->max_sessions ? "nofile" : "default", fits,
		    nofile, listener_reserve_fds);
}

/*
 * A listening socket for a, bound, non-blocking and close-on-exec:
 * SO_REUSEADDR; on IPv6, IPV6_V6ONLY always, whatever the system default
 * (net.ipv6.bindv6only) says, so "[::]:port" is IPv6 only and
 * "0.0.0.0:port" can be bound beside it (one socket per family); with
 * tproxy, IP_TRANSPARENT (IPV6_TRANSPARENT) so that TPROXY can hand it
 * connections to any address (CAP_NET_ADMIN or CAP_NET_RAW). Returns
 * the descriptor, or -1 with errno set. With several workers each has
 * its own socket on the address (SO_REUSEPORT): the kernel spreads the
 * connections over them.
 */
static int
listener_socket(const struct config_addr *a, int tproxy)
{
	int	 fd, one = 1, saved, v6 = a->ss.ss_family == AF_INET6;

	fd = socket(a->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 ||
	    (listener_reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT,
	    &one, sizeof(one)) == -1) ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
	    sizeof(one)) == -1) ||
	    (tproxy && setsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP,
	    v6 ? IPV6_TRANSPARENT : IP_TRANSPARENT, &one,
	    sizeof(one)) == -1) ||
	    bind(fd, (const struct sockaddr *)&a->ss, a->sslen) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* Listen on a in this worker; 0, or -1 (logged). */
static int
listener_open(const struct config_addr *a, enum listener_kind kind)
{
	struct listener	*l;
	char		 text[NETADDR_TEXT_MAX];
	int		 fd;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -1;
	l->addr = *a;
	l->kind = kind;
	if ((fd = listener_socket(a, kind == LISTENER_TPROXY)) == -1 ||
	    (l->evl = evconnlistener_new(listener_base, listener_accept, l,
	    LEV_OPT_CLOSE_ON_FREE, LISTENER_BACKLOG, fd)) == NULL) {
		log_error("cannot listen on %s%s: %s", a->text,
		    listener_kind_text[kind], strerror(errno));
		if (fd != -1)
			close(fd);
		free(l);
		return -1;
	}
	evconnlistener_set_error_cb(l->evl, listener_error);
	if (listener_paused)
		evconnlistener_disable(l->evl);
	TAILQ_INSERT_TAIL(&listeners, l, entry);
	netaddr_text((const struct sockaddr *)&a->ss, text, sizeof(text));
	log_info("listening on %s%s%s", text, a->ss.ss_family == AF_INET6 ?
	    " ipv6_only=yes" : "", listener_kind_log[kind]);
	return 0;
}

static void
listener_free(struct listener *l)
{
	TAILQ_REMOVE(&listeners, l, entry);
	evconnlistener_free(l->evl);
	free(l);
}

static int
listener_addr_eq(const struct config_addr *a, const struct config_addr *b)
{
	return a->sslen == b->sslen && memcmp(&a->ss, &b->ss, a->sslen) == 0;
}

int
listener_bind(struct event_base *base, struct config *conf, int reuseport)
{
	const struct config_addr *addrs;
	enum listener_kind	 kind;
	int			 i, n;

	if (listeners.tqh_last == NULL)
		TAILQ_INIT(&listeners);
	listener_conf = conf;
	listener_base = base;
	listener_reuseport = reuseport;
	listener_reserve_open();
	if (listener_reserve == -1)
		log_warnx("event=no-reserve-descriptor error=\"%s\"",
		    strerror(errno));
	if ((listener_ev_resume == NULL &&
	    (listener_ev_resume = evtimer_new(base, listener_resume,
	    NULL)) == NULL) || (listener_ev_report == NULL &&
	    (listener_ev_report = evtimer_new(base, listener_report,
	    NULL)) == NULL))
		return -1;
	for (kind = 0; kind < LISTENER_NKINDS; kind++) {
		listener_addrs(conf, kind, &addrs, &n);
		for (i = 0; i < n; i++)
			if (listener_open(&addrs[i], kind) == -1)
				return -1;
	}
	return 0;
}

void
listener_limits(const struct config *conf, int nscanners)
{
	static int	 fitted;

	if (!fitted) {
		listener_fit(nscanners);
		fitted = 1;
	}
	listener_limit(conf);
	session_set_max(listener_max_sessions);
}


int
listener_set_config(struct config *conf)
{
	const struct config_addr *addrs;
	struct listener		*l, *next;
	enum listener_kind	 kind;
	int			 i, n, failed = 0;

	listener_conf = conf;
	/* Removed addresses: no new connections; open sessions go on. */
	TAILQ_FOREACH_SAFE(l, &listeners, entry, next) {
		listener_addrs(conf, l->kind, &addrs, &n);
		for (i = 0; i < n; i++)
			if (listener_addr_eq(&l->addr, &addrs[i]))
				break;
		if (i == n) {
			log_info("event=listen-closed addr=%s%s", l->addr.text,
			    listener_kind_log[l->kind]);
			listener_free(l);
		}
	}
	for (kind = 0; kind < LISTENER_NKINDS; kind++) {
		listener_addrs(conf, kind, &addrs, &n);
		for (i = 0; i < n; i++) {
			TAILQ_FOREACH(l, &listeners, entry)
				if (l->kind == kind &&
				    listener_addr_eq(&l->addr, &addrs[i]))
					break;
			if (l == NULL && listener_open(&addrs[i], kind) == -1)
				failed = -1;
		}
	}
	return failed;
}

void
listener_close_all(void)
{
	struct listener	*l;

	proxy_accept_close_all();
	while ((l = TAILQ_FIRST(&listeners)) != NULL)
		listener_free(l);
	if (listener_ev_resume != NULL) {
		event_free(listener_ev_resume);
		listener_ev_resume = NULL;
	}
	if (listener_ev_report != NULL) {
		listener_report(-1, 0, NULL);
		event_free(listener_ev_report);
		listener_ev_report = NULL;
	}
	listener_paused = 0;
	if (listener_reserve != -1) {
		close(listener_reserve);
		listener_reserve = -1;
	}
}
