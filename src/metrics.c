/*
 * The metrics endpoint: libevent's evhttp on a thread of its own, with
 * an event loop of its own.
 *
 * Why a thread and not the sessions' loop: a scraper is a client the
 * proxy does not control. On the sessions' loop, a slow or stuck one
 * (or many) would share the loop's turns with SMTP sessions, and the
 * rendering, a few kilobytes per scrape, would run between their
 * events. On its own loop it shares nothing with them but the
 * counters, which stats_sum() reads without stopping any writer (a
 * block per thread, relaxed loads, stats.h): no session ever waits for
 * a scrape. A connection that sends nothing is closed by evhttp's
 * timeout; it holds a descriptor, not a session.
 *
 * Threads: metrics_reload() and metrics_stop() run on the main thread
 * only. They bind the new listener there (so that a bad address is
 * logged where the reload is) and start the thread; to stop one, they
 * write to its wake-up pipe, and the thread leaves its loop; then they
 * join it and free its loop. The thread touches nothing else.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "alarm.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"

/* Seconds a scraper may take to send its request, or to read. */
#define METRICS_TIMEOUT		10

struct metrics_server {
	struct event_base	*base;
	struct evhttp		*http;
	struct event		*ev_wake;
	int			 wake[2];	/* pipe: main -> thread */
	pthread_t		 thread;
	struct config_addr	 addr;
};

/* Main thread only. */
static struct metrics_server	*metrics_cur;

/* The families: name, type, help. */
struct metrics_family {
	const char	*name;
	const char	*type;
	const char	*help;
};

/* One sample of a counter: its family and label, its stats id. */
struct metrics_row {
	const char	*family;
	const char	*label;		/* NULL: no label */
	const char	*value;
	enum stats_id	 id;
};

static const struct metrics_family metrics_families[] = {
	{ "smtpproxy_sessions_active", "gauge", "Client sessions open." },
	{ "smtpproxy_sessions_total", "counter", "Client sessions accepted." },
	{ "smtpproxy_sessions_refused_total", "counter",
	    "Connections refused over max_sessions or "
	    "max_sessions_per_client." },
	{ "smtpproxy_messages_total", "counter",
	    "Messages by verdict, as logged." },
	{ "smtpproxy_message_bytes_total", "counter",
	    "Message bytes received from clients." },
	{ "smtpproxy_bytes_total", "counter",
	    "Bytes received, by the side they came from." },
	{ "smtpproxy_upstream_errors_total", "counter",
	    "Upstream failures that ended a session, by reason." },
	{ "smtpproxy_tls_sessions_total", "counter", "TLS sessions by mode." },
};

static const struct metrics_row metrics_rows[] = {
	{ "smtpproxy_sessions_active", NULL, NULL, STATS_SESSIONS_ACTIVE },
	{ "smtpproxy_sessions_total", NULL, NULL, STATS_SESSIONS },
	{ "smtpproxy_sessions_refused_total", NULL, NULL, STATS_REFUSED },
	{ "smtpproxy_messages_total", "verdict", "accept",
	    STATS_MESSAGES_ACCEPTED },
	{ "smtpproxy_messages_total", "verdict", "reject",
	    STATS_MESSAGES_REJECTED },
	{ "smtpproxy_messages_total", "verdict", "tempfail",
	    STATS_MESSAGES_TEMPFAILED },
	{ "smtpproxy_messages_total", "verdict", "unknown",
	    STATS_MESSAGES_UNCERTAIN },
	{ "smtpproxy_message_bytes_total", NULL, NULL, STATS_BYTES_IN },
	{ "smtpproxy_bytes_total", "direction", "client", STATS_BYTES_CLIENT },
	{ "smtpproxy_bytes_total", "direction", "upstream",
	    STATS_BYTES_UPSTREAM },
	{ "smtpproxy_upstream_errors_total", "reason", "connect",
	    STATS_UPSTREAM_CONNECT },
	{ "smtpproxy_upstream_errors_total", "reason", "connect_timeout",
	    STATS_UPSTREAM_CONNECT_TIMEOUT },
	{ "smtpproxy_upstream_errors_total", "reason", "timeout",
	    STATS_UPSTREAM_TIMEOUT },
	{ "smtpproxy_upstream_errors_total", "reason", "lost",
	    STATS_UPSTREAM_LOST },
	{ "smtpproxy_upstream_errors_total", "reason", "protocol",
	    STATS_UPSTREAM_PROTOCOL },
	{ "smtpproxy_upstream_errors_total", "reason", "closing",
	    STATS_UPSTREAM_CLOSING },
	{ "smtpproxy_upstream_errors_total", "reason", "replay",
	    STATS_UPSTREAM_REPLAY },
	{ "smtpproxy_tls_sessions_total", "mode", "passthrough",
	    STATS_TLS_PASSTHROUGH },
	{ "smtpproxy_tls_sessions_total", "mode", "inspect",
	    STATS_TLS_INSPECT },
};

int
metrics_label(struct evbuffer *out, const char *v)
{
	size_t	 n;

	for (; *v != '\0'; v += n) {
		n = strcspn(v, "\\\"\n");
		if (n > 0 && evbuffer_add(out, v, n) == -1)
			return -1;
		if (v[n] == '\0')
			break;
		if (evbuffer_add_printf(out, "\\%c", v[n] == '\n' ? 'n' :
		    v[n]) == -1)
			return -1;
		n++;
	}
	return 0;
}

static int
metrics_head(struct evbuffer *out, const char *name, const char *type,
    const char *help)
{
	return evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name,
	    help, name, type) == -1 ? -1 : 0;
}

/* name{label="value"} */
static int
metrics_sample(struct evbuffer *out, const char *name, const char *label,
    const char *value)
{
	if (evbuffer_add_printf(out, "%s", name) == -1)
		return -1;
	if (label == NULL)
		return 0;
	if (evbuffer_add_printf(out, "{%s=\"", label) == -1 ||
	    metrics_label(out, value) == -1 ||
	    evbuffer_add(out, "\"}", 2) == -1)
		return -1;
	return 0;
}

static int
metrics_alarms(struct evbuffer *out, const struct stats *st)
{
	size_t	 i;

	if (metrics_head(out, "smtpproxy_alarms_total", "counter",
	    "Alarms raised, by id, at any action.") == -1)
		return -1;
	for (i = 0; i < ALARM_COUNT; i++)
		if (evbuffer_add_printf(out,
		    "smtpproxy_alarms_total{id=\"") == -1 ||
		    metrics_label(out, alarm_table[i].ident) == -1 ||
		    evbuffer_add_printf(out, "\",name=\"") == -1 ||
		    metrics_label(out, alarm_table[i].name) == -1 ||
		    evbuffer_add_printf(out, "\"} %lld\n",
		    (long long)st->alarm[i]) == -1)
			return -1;
	return 0;
}

/* Cumulative buckets, le="+Inf" equal to _count, _sum in seconds. */
static int
metrics_histogram(struct evbuffer *out, const struct stats *st)
{
	const char	*name = "smtpproxy_scan_duration_seconds";
	int64_t		 cum;
	size_t		 e, b;

	if (metrics_head(out, name, "histogram", "Time a scan of one "
	    "message took, by engine.") == -1)
		return -1;
	for (e = 0; e < STATS_ENGINE_COUNT; e++) {
		cum = 0;
		for (b = 0; b <= STATS_NBUCKETS; b++) {
			cum += st->hist[e][b];
			if (evbuffer_add_printf(out, "%s_bucket{engine=\"",
			    name) == -1 ||
			    metrics_label(out, stats_engine_names[e]) == -1)
				return -1;
			if (b < STATS_NBUCKETS ? evbuffer_add_printf(out,
			    "\",le=\"%g\"} %lld\n", stats_buckets[b],
			    (long long)cum) == -1 : evbuffer_add_printf(out,
			    "\",le=\"+Inf\"} %lld\n", (long long)cum) == -1)
				return -1;
		}
		if (evbuffer_add_printf(out, "%s_sum{engine=\"", name) == -1 ||
		    metrics_label(out, stats_engine_names[e]) == -1 ||
		    evbuffer_add_printf(out, "\"} %.6f\n",
		    (double)st->hist_usec[e] / 1e6) == -1 ||
		    evbuffer_add_printf(out, "%s_count{engine=\"", name) == -1 ||
		    metrics_label(out, stats_engine_names[e]) == -1 ||
		    evbuffer_add_printf(out, "\"} %lld\n", (long long)cum) == -1)
			return -1;
	}
	return 0;
}

int
metrics_render(struct evbuffer *out, const struct stats *st)
{
	const struct metrics_family	*f;
	const struct metrics_row	*r;
	size_t				 i, j;

	for (i = 0; i < sizeof(metrics_families) /
	    sizeof(metrics_families[0]); i++) {
		f = &metrics_families[i];
		if (metrics_head(out, f->name, f->type, f->help) == -1)
			return -1;
		for (j = 0; j < sizeof(metrics_rows) / sizeof(metrics_rows[0]);
		    j++) {
			r = &metrics_rows[j];
			if (strcmp(r->family, f->name) != 0)
				continue;
			if (metrics_sample(out, r->family, r->label,
			    r->value) == -1 || evbuffer_add_printf(out,
			    " %lld\n", (long long)st->v[r->id]) == -1)
				return -1;
		}
	}
	if (metrics_alarms(out, st) == -1 || metrics_histogram(out, st) == -1)
		return -1;
	if (metrics_head(out, "smtpproxy_build_info", "gauge",
	    "The running version; the value is 1.") == -1 ||
	    evbuffer_add_printf(out, "smtpproxy_build_info{version=\"") ==
	    -1 || metrics_label(out, PACKAGE_VERSION) == -1 ||
	    evbuffer_add_printf(out, "\"} 1\n") == -1)
		return -1;
	return 0;
}

/* On the metrics thread. */
static void
metrics_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer	*body;
	struct stats	 st;
	const char	*path;

	(void)arg;
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "Not Found");
		return;
	}
	if (evhttp_request_get_command(req) != EVHTTP_REQ_GET &&
	    evhttp_request_get_command(req) != EVHTTP_REQ_HEAD) {
		evhttp_send_error(req, HTTP_BADMETHOD, "Method Not Allowed");
		return;
	}
	if ((body = evbuffer_new()) == NULL) {
		evhttp_send_error(req, HTTP_INTERNAL, "Out of memory");
		return;
	}
	stats_sum(&st);
	if (metrics_render(body, &st) == -1) {
		evbuffer_free(body);
		evhttp_send_error(req, HTTP_INTERNAL, "Out of memory");
		return;
	}
	evhttp_add_header(evhttp_request_get_output_headers(req),
	    "Content-Type", "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void
metrics_wake(evutil_socket_t fd, short ev, void *arg)
{
	struct metrics_server	*m = arg;

	(void)fd;
	(void)ev;
	event_base_loopbreak(m->base);
}

static void *
metrics_thread(void *arg)
{
	struct metrics_server	*m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

static void
metrics_free(struct metrics_server *m)
{
	if (m->http != NULL)
		evhttp_free(m->http);
	if (m->ev_wake != NULL)
		event_free(m->ev_wake);
	if (m->base != NULL)
		event_base_free(m->base);
	if (m->wake[0] != -1)
		close(m->wake[0]);
	if (m->wake[1] != -1)
		close(m->wake[1]);
	free(m);
}

static struct metrics_server *
metrics_start(const struct config_addr *addr)
{
	struct metrics_server	*m;
	evutil_socket_t		 fd = -1;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->wake[0] = m->wake[1] = -1;
	m->addr = *addr;
	if (pipe2(m->wake, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (m->base = event_base_new()) == NULL ||
	    (m->http = evhttp_new(m->base)) == NULL ||
	    (m->ev_wake = event_new(m->base, m->wake[0], EV_READ,
	    metrics_wake, m)) == NULL || event_add(m->ev_wake, NULL) == -1)
		goto fail;
	if ((fd = socket(addr->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1 ||
	    evutil_make_listen_socket_reuseable(fd) == -1 ||
	    bind(fd, (const struct sockaddr *)&addr->ss, addr->sslen) == -1 ||
	    listen(fd, 128) == -1) {
		log_error("event=metrics-error listen=%s error=\"%s\"",
		    addr->text, strerror(errno));
		if (fd != -1)
			close(fd);
		goto fail;
	}
	if (evhttp_accept_socket(m->http, fd) == -1) {
		close(fd);
		goto fail;
	}
	evhttp_set_timeout(m->http, METRICS_TIMEOUT);
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_gencb(m->http, metrics_request, NULL);
	if (pthread_create(&m->thread, NULL, metrics_thread, m) != 0)
		goto fail;
	log_info("event=metrics-listening listen=%s", addr->text);
	return m;
 fail:
	metrics_free(m);
	return NULL;
}

void
metrics_stop(void)
{
	struct metrics_server	*m = metrics_cur;
	ssize_t			 n;

	if (m == NULL)
		return;
	metrics_cur = NULL;
	n = write(m->wake[1], "x", 1);
	(void)n;
	pthread_join(m->thread, NULL);
	log_info("event=metrics-closed listen=%s", m->addr.text);
	metrics_free(m);
}

int
metrics_reload(const struct config *conf)
{
	struct metrics_server	*m;

	if (!conf->metrics_enabled) {
		metrics_stop();
		return 0;
	}
	if (metrics_cur != NULL && metrics_cur->addr.sslen ==
	    conf->metrics_listen.sslen && memcmp(&metrics_cur->addr.ss,
	    &conf->metrics_listen.ss, conf->metrics_listen.sslen) == 0)
		return 0;
	/* The new one first: if it cannot listen, the old one stays. */
	if ((m = metrics_start(&conf->metrics_listen)) == NULL)
		return -1;
	metrics_stop();
	metrics_cur = m;
	return 0;
}
