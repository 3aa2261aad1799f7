/*
 * The SMTP session: one client, one upstream, the dialog in between.
 *
 * Commands are parsed as they arrive and kept in a queue of pending
 * replies, one entry per command, in command order (RFC 2920 §3.1:
 * replies come back in the order of the commands). An entry is answered
 * either by the proxy itself (a refusal) or by the upstream; replies go
 * to the client only from the head of the queue, so a local refusal in
 * the middle of a pipelined group waits for the upstream replies before
 * it.
 *
 * After a command that ends a pipelined group (EHLO, HELO, DATA, end of
 * data, STARTTLS, QUIT, AUTH) the proxy parses nothing more until that
 * command's reply is in. Bytes that arrived before that reply was sent
 * were pipelined without permission (alarm smtp:251).
 *
 * The transaction, its message body and the verdict on it are in tx.c.
 * When a refused message cost the upstream connection, the next command
 * that needs one connects again and the client's EHLO/HELO is replayed.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/param.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>

#include "access.h"
#include "alarm.h"
#include "clientcount.h"
#include "compat.h"
#include "config.h"
#include "conn.h"
#include "deadline.h"
#include "log.h"
#include "netaddr.h"
#include "policy.h"
#include "scan.h"
#include "session.h"
#include "session_priv.h"
#include "smtp_cmd.h"
#include "smtp_line.h"
#include "stats.h"
#include "smtp_reply.h"

static const char *session_state_names[SESSION_STATE_COUNT] = {
	"greeting", "helo", "ready", "mail", "rcpt", "body", "auth",
	"tunnel", "refused", "closing"
};

TAILQ_HEAD(session_list, session);
LIST_HEAD(session_bucket, session);

/*
 * What is per worker and what is shared (STYLE 17). A worker is a thread
 * running one event loop (loop.c); its sessions never leave it, so what
 * only its sessions use is thread-local and needs no lock. Tests and -t
 * run on one thread, which is then the only worker.
 *
 * Per worker (__thread):
 *  - sessions, session_nhere: this worker's open sessions, for the
 *    shutdown and its own count;
 *  - session_tab: the same sessions by id (session_find(), which a scan
 *    result coming back uses): a chained hash table that grows with
 *    them, never a walk;
 *  - npending_total: outstanding replies of this worker's sessions
 *    (SESSION_PENDING_TOTAL bounds each worker's memory);
 *  - relay_ss, session_workers, session_engine, session_av: what new
 *    sessions and messages of this worker use, set on its own thread at
 *    start-up and by each reload (the engines are references of its own).
 *  - session_worker: the worker's index, in the connect log line.
 */
static __thread struct session_list	 sessions;	/* TAILQ_INIT at the
							   first session */
static __thread int			 session_nhere;
static __thread struct session_bucket	*session_tab;
static __thread size_t			 session_tabsize;	/* power of 2 */
static __thread int			 npending_total;
static __thread struct sockaddr_storage	 relay_ss;
static __thread socklen_t		 relay_sslen;
static __thread struct worker_pool	*session_workers;
static __thread struct scan_engine	*session_engine;	/* file types */
static __thread struct scan_engine	*session_av;		/* signatures */
static __thread int			 session_worker;

/*
 * Shared by every worker:
 *  - session_total: open sessions in the process (max_sessions), an
 *    atomic counter taken in session_new() before anything else and
 *    given back if it went over session_max;
 *  - session_max: max_sessions as the listener applies it (atomic);
 *  - session_clients: sessions per client address (max_sessions_per_
 *    client), the sharded table of clientcount.c, a lock per shard;
 *  - session_next_id: ids unique in the process (atomic), seeded once
 *    from the clock so that ids of two runs differ.
 * Counted in session_new(), uncounted in session_unlink().
 */
static atomic_int			 session_total;
static atomic_int			 session_max = INT_MAX;
static struct clientcount_shared	*session_clients;
static _Atomic uint64_t			 session_next_id;
static pthread_once_t			 session_once = PTHREAD_ONCE_INIT;

static void	session_flush_replies(struct session *);
static void	session_parse(struct session *);
static int	session_can_process(struct session *);

static void	session_client_read(struct conn *, void *);
static void	session_client_write(struct conn *, void *);
static void	session_client_event(struct conn *, short, void *);
static void	session_server_read(struct conn *, void *);
static void	session_server_write(struct conn *, void *);
static void	session_server_event(struct conn *, short, void *);
static void	session_process(struct session *);
static int	session_connect(struct session *, int);
static void	session_drop_upstream(struct session *);

void
session_set_state(struct session *s, enum session_state new)
{
	if (s->state == new)
		return;
	log_debug("session=%016llx state %s -> %s",
	    (unsigned long long)s->id, session_state_names[s->state],
	    session_state_names[new]);
	s->state = new;
}

void
session_invariant(struct session *s, const char *cond, const char *func,
    int line)
{
#ifdef SMTPPROXY_DEBUG
	fatalx("session=%016llx invariant \"%s\" broken in %s:%d",
	    (unsigned long long)s->id, cond, func, line);
#else
	log_error("session=%016llx event=internal-error check=\"%s\" "
	    "at=%s:%d", (unsigned long long)s->id, cond, func, line);
	session_close(s, "internal error");
#endif
}

size_t
session_upstream_queued(struct session *s)
{
	size_t	 n = evbuffer_get_length(s->upq);

	if (s->server != NULL)
		n += evbuffer_get_length(conn_output(s->server));
	return n;
}

struct tx *
session_tx_of(struct session *s, const struct pending *p)
{
	if (s->tx != NULL && p->tx_seq != 0 && s->tx->seq == p->tx_seq)
		return s->tx;
	return NULL;
}

/*
 * Alarms: logged once per occurrence with the session id, counted, and
 * the configured action returned for the caller to apply.
 */
enum alarm_action
session_alarm(struct session *s, enum alarm_id id, const char *detail)
{
	enum alarm_action	 action = s->conf->alarm_action[id];

	/*
	 * inspect = false: a plain SMTP-aware relay that refuses nothing
	 * and spends nothing on alarms.
	 */
	if (!s->conf->inspect)
		return ALARM_PASS;
	session_alarm_log(s, id, action, detail);
	return action;
}

void
session_alarm_log(struct session *s, enum alarm_id id,
    enum alarm_action action, const char *detail)
{
	stats_alarm(id);
	if (action != ALARM_PASS)
		log_warnx("session=%016llx alarm=%s name=%s action=%s%s%s",
		    (unsigned long long)s->id, alarm_table[id].ident,
		    alarm_table[id].name, alarm_action_name(action),
		    detail ? " " : "", detail ? detail : "");
}

struct pending *
session_pending_new(struct session *s, enum smtp_verb verb, int flags)
{
	struct pending	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->reply = evbuffer_new()) == NULL) {
		free(p);
		return NULL;
	}
	p->verb = verb;
	p->flags = flags;
	p->tx_seq = s->tx != NULL ? s->tx->seq : 0;
	if (flags & PENDING_GROUP_END)
		s->waiting++;
	TAILQ_INSERT_TAIL(&s->pending, p, entry);
	s->npending++;
	npending_total++;
	return p;
}

static void
session_pending_free(struct session *s, struct pending *p)
{
	TAILQ_REMOVE(&s->pending, p, entry);
	if (p->flags & PENDING_GROUP_END)
		s->waiting--;
	s->npending--;
	npending_total--;
	evbuffer_free(p->reply);
	free(p);
}

/*
 * A reply goes to the client: copied, so that thousands of small
 * replies cost their bytes in the output, not a buffer chain each.
 */
static void
session_write_reply(struct session *s, struct pending *p)
{
	size_t	 len;

	if (p->flags & PENDING_ABSORB)
		return;
	if (p->flags & PENDING_EOD)
		tx_log_message(s, p);
	len = evbuffer_get_length(p->reply);
	evbuffer_add(conn_output(s->client),
	    evbuffer_pullup(p->reply, (ev_ssize_t)len), len);
}

/*
 * A closing reply is queued: nothing more is parsed, so nothing more is
 * read either (a full read-ahead that is never consumed would keep
 * libevent calling back for ever).
 */
static void
session_quitting(struct session *s, const char *reason)
{
	s->quitting = 1;
	s->quit_reason = reason;
	conn_disable(s->client, EV_READ);
}

void
session_quit_alarm(struct session *s, enum smtp_verb verb, enum alarm_id id)
{
	session_local(s, verb, PENDING_CLOSE, "421 4.7.0 %s %s (%s)",
	    s->conf->hostname, alarm_table[id].text, alarm_table[id].ident);
	session_quitting(s, alarm_table[id].text);
}

void
session_quit(struct session *s, enum smtp_verb verb, const char *code,
    const char *reason)
{
	session_local(s, verb, PENDING_CLOSE, "%s %s %s", code,
	    s->conf->hostname, reason);
	session_quitting(s, reason);
}

/*
 * Queue a reply made by the proxy, in command order. text is
 * "CODE X.Y.Z text" without CRLF.
 */
void
session_local(struct session *s, enum smtp_verb verb, int flags,
    const char *fmt, ...)
{
	struct pending	*p;
	va_list		 ap;

	if ((p = session_pending_new(s, verb, flags | PENDING_LOCAL |
	    PENDING_DONE)) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	va_start(ap, fmt);
	evbuffer_add_vprintf(p->reply, fmt, ap);
	va_end(ap);
	evbuffer_add(p->reply, "\r\n", 2);
	p->code = atoi(fmt);
}

/* The refusal reply of an alarm, e.g. "500 5.5.2 Line too long (smtp:217)". */
void
session_refuse(struct session *s, enum smtp_verb verb, enum alarm_id id,
    const char *code)
{
	session_local(s, verb, 0, "%s %s (%s)",
	    code ? code : alarm_table[id].reply, alarm_table[id].text,
	    alarm_table[id].ident);
}

/*
 * Arm one deadline: kept running while the same thing is awaited with
 * no progress, restarted when either changes.
 */
static void
session_timer(struct deadline *d, int sec, uint64_t progress, int *sec_r,
    uint64_t *at_r)
{
	struct timeval	 tv;

	if (sec == *sec_r && progress == *at_r)
		return;
	*sec_r = sec;
	*at_r = progress;
	if (sec == 0) {
		deadline_clear(d);
		return;
	}
	tv.tv_sec = sec;
	tv.tv_usec = 0;
	deadline_set(d, &tv);
}

/*
 * Arm both sides' timeouts for what the dialog waits for now. Write
 * timeouts bound a side that stops reading (an upstream that takes no
 * more of the body, a client that takes no replies); the dialog
 * deadlines run whether or not a side is being read, so backpressure
 * never suspends them.
 */
void
session_timeouts(struct session *s)
{
	struct timeval	 ctv, stv;
	struct pending	*p;
	int		 csec = 0, ssec = 0;

	if (s->state == SESSION_CLOSING)
		return;		/* session_close() bounds the last write */
	if (s->state == SESSION_TUNNEL) {
		/* Opaque bytes: idle is the gap between them. */
		ctv.tv_sec = stv.tv_sec = s->conf->timeouts.idle;
		ctv.tv_usec = stv.tv_usec = 0;
		session_timer(&s->ctimer, 0, 0, &s->ctimer_sec,
		    &s->ctimer_at);
		session_timer(&s->stimer, 0, 0, &s->stimer_sec,
		    &s->stimer_at);
		conn_set_timeouts(s->client, &ctv, &ctv);
		if (s->server != NULL)
			conn_set_timeouts(s->server, &stv, &stv);
		return;
	}
	if (TAILQ_EMPTY(&s->pending)) {
		if (s->state == SESSION_BODY)
			csec = s->conf->timeouts.data_block;
		else if (s->tx != NULL)
			csec = s->conf->timeouts.command;
		else
			csec = s->conf->timeouts.idle;
	}
	TAILQ_FOREACH(p, &s->pending, entry) {
		if (p->flags & (PENDING_DONE | PENDING_LOCAL))
			continue;
		if (p->flags & PENDING_GREETING)
			ssec = s->conf->timeouts.greeting;
		else if (p->flags & PENDING_EOD)
			ssec = s->conf->timeouts.data_end;
		else
			ssec = s->conf->timeouts.reply;
		break;
	}
	session_timer(&s->ctimer, csec, s->cprogress, &s->ctimer_sec,
	    &s->ctimer_at);
	ctv.tv_sec = s->conf->timeouts.command;
	ctv.tv_usec = 0;
	conn_set_timeouts(s->client, NULL, &ctv);
	if (s->server == NULL || s->upstream == UPSTREAM_CONNECTING) {
		/* Connecting: bounded by timeouts.connect (session_connect). */
		session_timer(&s->stimer, 0, 0, &s->stimer_sec,
		    &s->stimer_at);
		return;
	}
	session_timer(&s->stimer, ssec, s->sprogress, &s->stimer_sec,
	    &s->stimer_at);
	stv.tv_sec = s->state == SESSION_BODY ? s->conf->timeouts.data_block :
	    s->conf->timeouts.reply;
	stv.tv_usec = 0;
	conn_set_timeouts(s->server, NULL, &stv);
}

static void
session_client_timeout(struct session *s)
{
	log_info("session=%016llx event=timeout side=client state=%s",
	    (unsigned long long)s->id, session_state_names[s->state]);
	session_fail(s, "421 4.4.2", "timeout");
}

static void
session_server_timeout(struct session *s)
{
	log_info("session=%016llx event=timeout side=upstream",
	    (unsigned long long)s->id);
	/* Could not connect: unavailable; connected: timed out. */
	stats_inc(s->upstream == UPSTREAM_CONNECTING ?
	    STATS_UPSTREAM_CONNECT_TIMEOUT : STATS_UPSTREAM_TIMEOUT);
	session_fail(s, s->upstream == UPSTREAM_CONNECTING ?
	    "421 4.4.1" : "421 4.4.2", "upstream timeout");
}

static void
session_ctimer(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)ev;
	if (!deadline_due(&s->ctimer))
		return;
	s->ctimer_sec = 0;
	if (!s->closing)
		session_client_timeout(s);
}

static void
session_stimer(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;

	(void)fd;
	(void)ev;
	if (!deadline_due(&s->stimer))
		return;
	s->stimer_sec = 0;
	if (!s->closing)
		session_server_timeout(s);
}

/* Send a command line upstream, or keep it until the upstream is ready. */
void
session_upstream_send(struct session *s, const char *line, size_t len)
{
	struct evbuffer	*out;

	if (s->upstream == UPSTREAM_READY)
		out = conn_output(s->server);
	else
		out = s->upq;
	evbuffer_add(out, line, len);
	evbuffer_add(out, "\r\n", 2);
}

/*
 * A command that goes to the upstream: queue its reply slot, connect
 * again if a refused message cost the upstream connection.
 */
void
session_forward(struct session *s, enum smtp_verb verb, const char *line,
    size_t len, int flags)
{
	/* The replayed greeting and EHLO come first in reply order. */
	if (s->upstream == UPSTREAM_NONE && session_connect(s, 1) == -1)
		return;
	if (session_pending_new(s, verb, flags) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	session_upstream_send(s, line, len);
}

/*
 * Is there client input that the dialog lets us parse now? Not while a
 * group-ending command waits for its reply, before the greeting, or
 * while reading from the client is paused for backpressure.
 */
static int
session_can_process(struct session *s)
{
	return !s->closing && !s->quitting && s->waiting == 0 &&
	    s->state != SESSION_GREETING &&
	    conn_get_enabled(s->client) & EV_READ &&
	    evbuffer_get_length(conn_input(s->client)) > 0;
}

/*
 * May another command be parsed, or must the client wait (its read
 * disabled) until what it already caused has drained? Bounded: the
 * replies it does not read, the replies still outstanding (per session,
 * and over all sessions while this one has any), the commands the
 * upstream has not read.
 */
static int
session_may_parse(struct session *s)
{
	if (evbuffer_get_length(conn_output(s->client)) >
	    SESSION_HIWAT)
		return 0;
	if (s->state == SESSION_BODY)
		return 1;	/* tx_body() bounds the upstream side */
	if (s->npending >= SESSION_PENDING_MAX ||
	    (npending_total >= SESSION_PENDING_TOTAL && s->npending > 0))
		return 0;
	return session_upstream_queued(s) <= SESSION_HIWAT;
}

/*
 * Nothing can be parsed until a reply is in (the greeting, a group end):
 * once the read-ahead is full, stop reading instead of letting libevent
 * report the same full buffer over and over (a busy loop). The reply
 * resumes it (session_flush).
 */
static void
session_input_full(struct session *s)
{
	if (evbuffer_get_length(conn_input(s->client)) >=
	    SESSION_INPUT_MAX)
		conn_disable(s->client, EV_READ);
}

/*
 * Something drained (client output, upstream output, replies): read
 * the client again if it was stopped for backpressure and may go on.
 */
static void
session_resume(struct session *s)
{
	if (s->closing || s->quitting || s->state == SESSION_TUNNEL ||
	    s->state == SESSION_GREETING || s->waiting > 0 ||
	    conn_get_enabled(s->client) & EV_READ)
		return;
	if (s->state == SESSION_BODY && s->server != NULL &&
	    evbuffer_get_length(conn_output(s->server)) >
	    SESSION_LOWAT)
		return;
	if (!session_may_parse(s))
		return;
	conn_enable(s->client, EV_READ);
	session_process(s);
}

/*
 * Parse what the client sent, as far as the dialog allows: nothing
 * after a group-ending command until its reply is in. Replies made on
 * the way are flushed; when that ends a group, parsing goes on here, in
 * a loop, never by recursion.
 */
static void
session_process(struct session *s)
{
	if (s->processing)
		return;
	s->processing = 1;
	while (!s->closing && !s->quitting && s->state != SESSION_CLOSING) {
		session_parse(s);
		if (s->closing)
			break;
		session_flush_replies(s);
		if (!session_can_process(s))
			break;
	}
	s->processing = 0;
}

/* One pass over the client's input. */
static void
session_parse(struct session *s)
{
	struct evbuffer		*in;
	unsigned char		*p;
	size_t			 len, used;
	int			 done;

	in = conn_input(s->client);
	while (evbuffer_get_length(in) > 0 && !s->closing && !s->quitting) {
		if (s->state == SESSION_TUNNEL) {
			if (s->server == NULL)
				break;
			evbuffer_add_buffer(conn_output(s->server),
			    in);
			if (evbuffer_get_length(conn_output(
			    s->server)) > SESSION_HIWAT)
				conn_disable(s->client, EV_READ);
			break;
		}
		if (s->waiting > 0 || s->state == SESSION_GREETING) {
			session_input_full(s);
			break;
		}
		if (!session_may_parse(s)) {
			/* Backpressure: resumed by session_resume(). */
			conn_disable(s->client, EV_READ);
			break;
		}
		if (s->state == SESSION_BODY) {
			if (tx_body(s, in) == -1)
				return;
			if (s->state == SESSION_BODY)
				break;
			continue;
		}
		if (s->line_fresh) {
			s->line_early = s->early > 0;
			s->line_fresh = 0;
		}
		len = evbuffer_get_length(in);
		p = evbuffer_pullup(in, (ev_ssize_t)len);
		done = smtp_line_parse(&s->cline, (const char *)p, len, &used);
		if (done == -1) {
			session_fail(s, "421 4.3.0", "out of memory");
			return;
		}
		evbuffer_drain(in, used);
		s->early = s->early > used ? s->early - used : 0;
		if (done == 1) {
			s->line_fresh = 1;
			s->cprogress++;
			command_line(s, s->cline.buf, s->cline.len,
			    s->cline.flags, s->cline.total);
		}
		if (s->early == 0 && s->line_fresh)
			s->early_alarm = -1;
	}
}

/*
 * The reply to the head group-ending command has gone out: whatever
 * the client sent before it saw that reply was pipelined without
 * permission (RFC 2920 §3.1).
 */
static enum alarm_action
session_check_early(struct session *s, enum smtp_verb verb)
{
	struct evbuffer		*in = conn_input(s->client);
	enum alarm_action	 act;
	char			 detail[64];

	if (evbuffer_get_length(in) == 0)
		return ALARM_PASS;
	/* RFC 3207 §5: anything sent before the 220 is discarded. */
	if (verb == SMTP_CMD_STARTTLS)
		return starttls_discard(s, in, "client");
	snprintf(detail, sizeof(detail), "after=%s bytes=%zu",
	    smtp_cmd_name(verb), evbuffer_get_length(in));
	act = session_alarm(s, ALARM_PIPELINING_VIOLATION, detail);
	if (act == ALARM_CLOSE)
		return act;
	if (act == ALARM_BLOCK) {
		s->early = evbuffer_get_length(in);
		s->early_alarm = ALARM_PIPELINING_VIOLATION;
	}
	return act;
}

/*
 * Effects of a complete upstream reply on the dialog. May rewrite the
 * reply (a DATA refused for pipelining).
 */
static void
session_reply_effect(struct session *s, struct pending *p)
{
	int	 ok = p->code >= 200 && p->code < 300;

	if (p->flags & PENDING_GREETING) {
		session_set_state(s, SESSION_HELO);
		if (s->early_talker == ALARM_BLOCK) {
			s->early = evbuffer_get_length(
			    conn_input(s->client));
			s->early_alarm = ALARM_EARLY_TALKER;
		}
		return;
	}
	if (p->flags & PENDING_EOD)
		return;		/* counted when the reply goes out */
	switch (p->verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		if (ok) {
			/* After HELO no service extension may be used. */
			if (p->verb == SMTP_CMD_HELO)
				s->offered = 0;
			s->need_ehlo = 0;
			tx_free(s);
			session_set_state(s, SESSION_READY);
		}
		break;
	/*
	 * A pipelined command may have started the next transaction
	 * already: a reply acts only on the transaction it was sent in.
	 */
	case SMTP_CMD_MAIL:
		if (ok)
			session_set_state(s, SESSION_MAIL);
		else if (session_tx_of(s, p) != NULL)
			tx_free(s);
		break;
	case SMTP_CMD_RCPT:
		if (ok && session_tx_of(s, p) != NULL) {
			s->tx->rcpts++;
			session_set_state(s, SESSION_RCPT);
		}
		break;
	case SMTP_CMD_RSET:
		/* The transaction was ended when RSET was parsed. */
		if (ok && s->tx == NULL && (s->state == SESSION_MAIL ||
		    s->state == SESSION_RCPT))
			session_set_state(s, SESSION_READY);
		break;
	case SMTP_CMD_DATA:
		if (p->code != 354)
			break;
		if (s->tx == NULL && tx_new(s) == NULL) {
			session_fail(s, "421 4.3.0", "out of memory");
			return;
		}
		if (evbuffer_get_length(conn_input(s->client)) >
		    0) {
			if (session_check_early(s, p->verb) == ALARM_CLOSE) {
				/* Not a 354 the client could act on. */
				p->flags |= PENDING_ABSORB;
				session_fail_alarm(s, "421 4.7.0",
				    ALARM_PIPELINING_VIOLATION);
				return;
			}
			if (s->early_alarm != -1) {
				/*
				 * The body came before the 354: refuse
				 * the message; the upstream, now in DATA,
				 * must never see a terminator.
				 */
				evbuffer_drain(p->reply,
				    evbuffer_get_length(p->reply));
				evbuffer_add_printf(p->reply,
				    "554 5.5.0 %s (%s)\r\n",
				    alarm_table[ALARM_PIPELINING_VIOLATION].text,
				    alarm_table[ALARM_PIPELINING_VIOLATION].ident);
				p->code = 554;
				session_abort_upstream(s);
				tx_free(s);
				session_set_state(s, SESSION_READY);
				p->flags &= ~PENDING_GROUP_END;
				s->waiting--;
				return;
			}
			p->flags &= ~PENDING_GROUP_END;
			s->waiting--;
		}
		session_set_state(s, SESSION_BODY);
		tx_body_start(s);
		break;
	case SMTP_CMD_AUTH:
		if (p->code == 334)
			session_set_state(s, SESSION_AUTH);
		else if (s->state == SESSION_AUTH)
			session_set_state(s, SESSION_READY);
		break;
	case SMTP_CMD_QUIT:
		p->flags |= PENDING_CLOSE;
		break;
	case SMTP_CMD_STARTTLS:
		if (p->flags & PENDING_STARTTLS) {
			starttls_upstream_reply(s, p);
			break;
		}
		if (p->code == 220) {
			starttls_mode(s, SESSION_TLS_PASSTHROUGH);
			tx_free(s);
			session_set_state(s, SESSION_TUNNEL);
		}
		break;
	default:
		break;
	}
}

/*
 * Write every complete reply at the head of the queue to the client,
 * in command order; then go on parsing if no group is open.
 */
void
session_flush(struct session *s)
{
	session_flush_replies(s);
	/* A group closed: parse what waited behind it (never re-entered). */
	if (!s->processing && session_can_process(s))
		session_process(s);
	else if (!s->closing)
		session_resume(s);	/* fewer replies outstanding */
}

/*
 * Each entry is off the queue before anything that may end the session
 * runs: session_fail() writes and frees what is complete itself.
 */
static void
session_flush_replies(struct session *s)
{
	struct pending	*p;
	enum smtp_verb	 verb;
	int		 flags;

	while ((p = TAILQ_FIRST(&s->pending)) != NULL &&
	    p->flags & PENDING_DONE) {
		session_write_reply(s, p);
		flags = p->flags;
		verb = p->verb;
		session_pending_free(s, p);
		if (flags & PENDING_CLOSE) {
			session_close(s, s->quit_reason != NULL ?
			    s->quit_reason : "quit");
			return;
		}
		/*
		 * The last open group has its reply: what came before it
		 * was pipelined without permission. The end of data is
		 * not a group end (RFC 2920 §3.1 sends "." and QUIT
		 * together): what follows it waits for its reply, in
		 * order, and is no violation.
		 */
		if (flags & PENDING_GROUP_END && !(flags & PENDING_ABSORB) &&
		    !(flags & PENDING_EOD) && s->waiting == 0 &&
		    session_check_early(s, verb) == ALARM_CLOSE) {
			session_fail_alarm(s, "421 4.7.0",
			    ALARM_PIPELINING_VIOLATION);
			return;
		}
		if (flags & PENDING_STARTTLS) {
			starttls_reply_sent(s);
			if (s->closing)
				return;
		}
	}
	session_timeouts(s);
}

/*
 * The greeting and the EHLO reply as the policy wants them seen (SPEC
 * §4.3, §3): banner masked or replaced, EHLO extensions filtered to
 * those the proxy can follow. Returns 1 if it wrote p->reply, 0 if the
 * reply goes as it came, -1 if a rewrite the policy wants could not be
 * made (out of memory): the reply must not go as it came.
 *
 * The output buffer is sized from the reply itself (every line at most
 * "NNN-" text CRLF, the host name or banner text on top), so a long
 * greeting or EHLO reply is rewritten like a short one.
 */
static int
session_reply_rewrite(struct session *s, struct pending *p)
{
	const struct config	*conf = s->conf;
	const char		*lines[SMTP_REPLY_MAXLINES];
	char			*buf;
	size_t			 bufsz;
	int			 i, n;
	uint32_t		 allowed;
	int			 add;

	bufsz = strlen(conf->hostname) + strlen(conf->banner_text) + 64;
	for (i = 0; i < s->reply.nlines; i++) {
		lines[i] = smtp_reply_text(&s->reply, i);
		bufsz += strlen(lines[i]) + 8;
	}
	if (p->flags & PENDING_GREETING) {
		if (!conf->inspect || !conf->banner_enabled ||
		    conf->banner_mode == POLICY_BANNER_PASS ||
		    (conf->banner_mode == POLICY_BANNER_REPLACE &&
		    p->code != 220))
			return 0;
		if ((buf = malloc(bufsz)) == NULL)
			return -1;
		n = policy_banner_render(conf->banner_mode, conf->banner_text,
		    p->code, lines, (size_t)s->reply.nlines, buf, bufsz);
	} else if (p->verb == SMTP_CMD_EHLO && p->code == 250) {
		/*
		 * CHUNKING and BINARYMIME go even with the filter off: the
		 * proxy cannot follow BDAT.
		 */
		allowed = conf->inspect && conf->extensions_enabled ?
		    conf->extensions_mask : ~(uint32_t)0;
		allowed = starttls_ehlo_mask(s, allowed, &add);
		if ((buf = malloc(bufsz)) == NULL)
			return -1;
		n = policy_ehlo_rebuild_tls(allowed, add, lines,
		    (size_t)s->reply.nlines, conf->inspect &&
		    conf->banner_enabled && conf->banner_ehlo ?
		    conf->hostname : NULL, buf, bufsz, &s->offered);
	} else
		return 0;
	if (n < 0 || evbuffer_add(p->reply, buf, (size_t)n) == -1) {
		free(buf);
		return -1;
	}
	free(buf);
	return 1;
}

/* A complete reply from the upstream: give it to its command. */
static void
session_upstream_reply(struct session *s)
{
	struct pending	*p;
	int		 i, r;

	TAILQ_FOREACH(p, &s->pending, entry)
		if (!(p->flags & (PENDING_DONE | PENDING_LOCAL)))
			break;
	if (p == NULL) {
		/* RFC 5321 §3.8: a server may send 421 at any time. */
		if (s->reply.code == 421) {
			stats_inc(STATS_UPSTREAM_CLOSING);
			session_fail(s, "421 4.4.2", "upstream closing");
			return;
		}
		session_alarm(s, ALARM_INVALID_REPLY, "reason=unsolicited");
		stats_inc(STATS_UPSTREAM_PROTOCOL);
		session_fail(s, "421 4.4.0", "Unsolicited reply from upstream "
		    "(smtp:246)");
		return;
	}
	p->code = s->reply.code;
	s->sprogress++;
	if (p->verb == SMTP_CMD_EHLO && p->code == 250) {
		starttls_ehlo_reply(s);
		/* Implicit TLS: the upstream's STARTTLS comes first. */
		if (s->upstream == UPSTREAM_READY &&
		    starttls_upstream_first(s, p))
			return;
	}
	if (!(p->flags & PENDING_ABSORB) &&
	    (r = session_reply_rewrite(s, p)) != 0) {
		if (r == -1) {
			/* Fail closed: never the upstream's reply unfiltered. */
			session_fail(s, "421 4.3.0", "out of memory");
			return;
		}
	} else
		for (i = 0; i < s->reply.nlines; i++)
			evbuffer_add_printf(p->reply, "%d%c%s\r\n",
			    s->reply.code, i + 1 < s->reply.nlines ? '-' : ' ',
			    smtp_reply_text(&s->reply, i));
	p->flags |= PENDING_DONE;

	if (s->upstream == UPSTREAM_REPLAY) {
		/* Greeting, then the replayed EHLO/HELO, absorbed. */
		if (p->code < 200 || p->code >= 300) {
			stats_inc(STATS_UPSTREAM_REPLAY);
			session_fail(s, "421 4.4.1", "upstream refused replay");
			return;
		}
		if (p->flags & PENDING_GREETING && s->helo_line != NULL)
			evbuffer_add_printf(conn_output(s->server),
			    "%s\r\n", s->helo_line);
		else if (starttls_replay(s, p))
			return;		/* STARTTLS redone first */
		else {
			s->upstream = UPSTREAM_READY;
			evbuffer_add_buffer(conn_output(s->server),
			    s->upq);
		}
		return;
	}
	session_reply_effect(s, p);
}

/*
 * The upstream connection is up. Its greeting can be read before the
 * connect event is seen, so both paths come here first.
 */
static void
session_upstream_connected(struct session *s, struct conn *c)
{
	if (s->upstream != UPSTREAM_CONNECTING)
		return;
	if (s->replay)
		s->upstream = UPSTREAM_REPLAY;
	else {
		s->upstream = UPSTREAM_READY;
		evbuffer_add_buffer(conn_output(c), s->upq);
	}
	session_timeouts(s);
}

static void
session_server_read(struct conn *c, void *arg)
{
	struct session		*s = arg;
	struct evbuffer		*in = conn_input(c);
	unsigned char		*buf;
	const char		*errstr;
	enum alarm_action	 act;
	size_t			 len, used;
	int			 r;

	SESSION_ASSERT(s, c == s->server && !s->closing);
	if (s->closing)
		return;
	session_upstream_connected(s, c);
	while (!s->closing && s->server == c &&
	    (len = evbuffer_get_length(in)) > 0) {
		if (s->state == SESSION_TUNNEL) {
			evbuffer_add_buffer(conn_output(s->client),
			    in);
			if (evbuffer_get_length(conn_output(
			    s->client)) > SESSION_HIWAT)
				conn_disable(c, EV_READ);
			break;
		}
		buf = evbuffer_pullup(in, (ev_ssize_t)len);
		r = smtp_line_parse(&s->sline, (const char *)buf, len, &used);
		if (r == -1) {
			session_fail(s, "421 4.3.0", "out of memory");
			return;
		}
		evbuffer_drain(in, used);
		if (r == 0)
			break;
		if (s->sline.flags & SMTP_LINE_OVERFLOW ||
		    s->sline.total + 2 > s->conf->limits.reply_line) {
			act = session_alarm(s, ALARM_PROTOCOL_OVERFLOW,
			    "side=upstream");
			if (act == ALARM_CLOSE) {
				stats_inc(STATS_UPSTREAM_PROTOCOL);
				session_fail_alarm(s, "421 4.4.0",
				    ALARM_PROTOCOL_OVERFLOW);
				return;
			}
			/*
			 * Blocked: the excess does not reach the client. The
			 * reply itself must: replacing it would make the two
			 * sides disagree on what the upstream accepted.
			 */
			if (act == ALARM_BLOCK && s->sline.len + 2 >
			    s->conf->limits.reply_line) {
				s->sline.len = s->conf->limits.reply_line - 2;
				s->sline.buf[s->sline.len] = '\0';
			}
		}
		if (s->sline.len == 0) {
			if (session_alarm(s, ALARM_EMPTY_LINE,
			    "side=upstream") == ALARM_CLOSE) {
				stats_inc(STATS_UPSTREAM_PROTOCOL);
				session_fail_alarm(s, "421 4.4.0",
				    ALARM_EMPTY_LINE);
				return;
			}
			continue;
		}
		r = smtp_reply_line(&s->reply, s->sline.buf, s->sline.len,
		    &errstr);
		if (r == -1) {
			char	 esc[80], detail[160];

			snprintf(detail, sizeof(detail), "reason=\"%s\" "
			    "line=\"%s\"", errstr, log_escape(esc, sizeof(esc),
			    s->sline.buf, s->sline.len));
			smtp_reply_clear(&s->reply);
			/*
			 * A reply that cannot be read cannot be matched to
			 * its command: the dialog is lost whatever the
			 * action, so it is always closed.
			 */
			session_alarm(s, ALARM_INVALID_REPLY, detail);
			stats_inc(STATS_UPSTREAM_PROTOCOL);
			session_fail(s, "421 4.4.0", "Invalid reply from "
			    "upstream (smtp:246)");
			return;
		}
		if (r == 1) {
			session_upstream_reply(s);
			smtp_reply_clear(&s->reply);
		}
		if (!s->closing && s->server == c &&
		    s->stls == SESSION_LEG_HANDSHAKE) {
			/* Nothing after the 220 is shown inside TLS. */
			(void)starttls_discard(s, in, "upstream");
			break;
		}
	}
	if (!s->closing)
		session_flush(s);
}

static void
session_server_write(struct conn *c, void *arg)
{
	struct session	*s = arg;

	SESSION_ASSERT(s, c == s->server);
	if (s->closing)
		return;
	/* Below the low watermark again: read the client on. */
	conn_setwatermark(s->server, EV_WRITE, 0, 0);
	if (s->state == SESSION_TUNNEL) {
		conn_enable(s->client, EV_READ);
		session_process(s);
		return;
	}
	session_resume(s);
}

static void
session_server_event(struct conn *c, short what, void *arg)
{
	struct session	*s = arg;

	SESSION_ASSERT(s, c == s->server && !s->closing);
	if (s->closing)
		return;
	if (what & CONN_EVENT_TLS) {
		starttls_server_event(s, what);
		return;
	}
	if (what & CONN_EVENT_CONNECTED) {
		session_upstream_connected(s, c);
		return;
	}
	if (what & CONN_EVENT_TIMEOUT) {
		session_server_timeout(s);
		return;
	}
	if (s->upstream == UPSTREAM_CONNECTING) {
		log_info("session=%016llx event=upstream-error upstream=%s "
		    "error=\"%s\"", (unsigned long long)s->id, s->up_text,
		    strerror(errno));
		stats_inc(STATS_UPSTREAM_CONNECT);
		session_fail(s, "421 4.4.1", "upstream unavailable");
		return;
	}
	if (s->state == SESSION_TUNNEL) {
		session_close(s, "upstream closed");
		return;
	}
	stats_inc(STATS_UPSTREAM_LOST);
	session_fail(s, "421 4.4.2", "upstream lost");
}

/*
 * tproxy.client_source: a session accepted on a TPROXY listener (its
 * socket is transparent) connects upstream from the client's address,
 * when the upstream has the client's address family. NULL: from the
 * proxy's own address.
 */
static const struct sockaddr *
session_upstream_source(struct session *s, const struct sockaddr *up,
    socklen_t *len_r)
{
	if (!s->conf->tproxy_client_source || !conn_transparent(s->client))
		return NULL;
	if (s->client_ss.ss_family != up->sa_family) {
		log_info("session=%016llx event=client-source-skipped "
		    "client=%s upstream=%s reason=\"address family\"",
		    (unsigned long long)s->id, s->client_text, s->up_text);
		return NULL;
	}
	*len_r = s->client_ss.ss_family == AF_INET6 ?
	    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	return (const struct sockaddr *)&s->client_ss;
}

/*
 * Open the upstream connection. replay: this is a second connection in
 * the session; its greeting and the replayed EHLO/HELO are absorbed.
 */
static int
session_connect(struct session *s, int replay)
{
	const struct sockaddr	*sa, *src;
	socklen_t		 salen, srclen = 0;
	struct timeval		 tv;

	if (s->conf->mode == CONFIG_MODE_RELAY) {
		sa = (const struct sockaddr *)&relay_ss;
		salen = relay_sslen;
	} else {
		sa = (const struct sockaddr *)&s->dst_ss;
		salen = s->dst_ss.ss_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	}
	netaddr_text(sa, s->up_text, sizeof(s->up_text));
	s->upstream = UPSTREAM_CONNECTING;
	s->replay = replay;
	smtp_line_reset(&s->sline);
	smtp_reply_clear(&s->reply);
	if (replay) {
		log_info("session=%016llx event=reconnect upstream=%s",
		    (unsigned long long)s->id, s->up_text);
		if (session_pending_new(s, SMTP_CMD_UNKNOWN,
		    PENDING_ABSORB | PENDING_GREETING) == NULL ||
		    (s->helo_line != NULL && session_pending_new(s,
		    SMTP_CMD_EHLO, PENDING_ABSORB) == NULL)) {
			session_close(s, "out of memory");
			return -1;
		}
	}
	src = session_upstream_source(s, sa, &srclen);
	if ((s->server = conn_connect_from(s->base, sa, salen, src,
	    srclen)) == NULL) {
		log_info("session=%016llx event=upstream-error upstream=%s "
		    "error=\"%s\"", (unsigned long long)s->id, s->up_text,
		    strerror(errno));
		stats_inc(STATS_UPSTREAM_CONNECT);
		session_fail(s, "421 4.4.1", "upstream unavailable");
		return -1;
	}
	conn_setcb(s->server, session_server_read, session_server_write,
	    session_server_event, s);
	conn_count_reads(s->server, STATS_BYTES_UPSTREAM);
	tv.tv_sec = s->conf->timeouts.connect;
	tv.tv_usec = 0;
	conn_set_timeouts(s->server, &tv, &tv);
	return 0;
}

/*
 * Close the upstream connection. Bytes it has not taken yet (an upstream
 * that stopped reading a body) would keep the connection, and a FIN
 * queued behind them, alive for ever: then it is reset instead, which
 * also tells it plainly that the transaction is void.
 */
static void
session_drop_upstream(struct session *s)
{
	if (s->server == NULL)
		return;
	conn_close_reset(s->server);
	s->server = NULL;
	s->stls_t = NULL;
	s->stls = SESSION_LEG_PLAIN;
}

/*
 * Drop the upstream connection without ever sending what would end a
 * message (RFC 5321 §4.1.1.4: an unterminated message is not
 * delivered). The next command that needs the upstream reconnects.
 */
void
session_abort_upstream(struct session *s)
{
	struct pending	*p, *next;

	session_drop_upstream(s);
	s->upstream = UPSTREAM_NONE;
	evbuffer_drain(s->upq, evbuffer_get_length(s->upq));
	/* Replies the old upstream still owed are answered here. */
	TAILQ_FOREACH_SAFE(p, &s->pending, entry, next) {
		if (p->flags & (PENDING_DONE | PENDING_LOCAL))
			continue;
		p->flags |= PENDING_DONE | PENDING_LOCAL;
		p->code = 451;
		evbuffer_add_printf(p->reply,
		    "451 4.3.0 Transaction aborted, try again\r\n");
	}
}

/*
 * Give up on the session: the client gets code (a "421 x.y.z") if the
 * dialog allows a reply, after every reply already due, then close.
 */
void
session_fail(struct session *s, const char *code, const char *reason)
{
	struct pending	*p, *next;
	struct evbuffer	*out = conn_output(s->client);
	int		 last;

	if (s->closing)
		return;
	/* Replies already complete still go out, in order. */
	TAILQ_FOREACH_SAFE(p, &s->pending, entry, next) {
		if (!(p->flags & PENDING_DONE))
			break;
		session_write_reply(s, p);
		last = p->flags & PENDING_CLOSE;
		session_pending_free(s, p);
		if (last) {
			code = NULL;	/* its own last reply is out */
			break;
		}
	}
	/* A client in its handshake cannot read a plaintext reply. */
	if (code != NULL && s->state != SESSION_TUNNEL &&
	    s->ctls != SESSION_LEG_HANDSHAKE)
		evbuffer_add_printf(out, "%s %s %s\r\n", code,
		    s->conf->hostname, reason);
	session_close(s, reason);
}

/* Close for an alarm whose action is "close": the reply names it. */
void
session_fail_alarm(struct session *s, const char *code, enum alarm_id id)
{
	char	 text[128];

	snprintf(text, sizeof(text), "%s (%s)", alarm_table[id].text,
	    alarm_table[id].ident);
	session_fail(s, code, text);
}

/*
 * Undo what session_new() counted: the list, the totals and the
 * client's count. Called once per session, as it is freed.
 */
static void
session_unlink(struct session *s)
{
	TAILQ_REMOVE(&sessions, s, entry);
	LIST_REMOVE(s, hentry);
	session_nhere--;
	atomic_fetch_sub(&session_total, 1);
	stats_dec(STATS_SESSIONS_ACTIVE);
	if (clientcount_shared_del(session_clients,
	    (struct sockaddr *)&s->client_ss) == -1)
		log_error("session=%016llx event=internal-error "
		    "check=\"client counted\"", (unsigned long long)s->id);
}

/* The bucket of id in this worker's table (Fibonacci hashing). */
static struct session_bucket *
session_bucket(uint64_t id)
{
	return &session_tab[((id * UINT64_C(0x9e3779b97f4a7c15)) >> 32) &
	    (session_tabsize - 1)];
}

/*
 * Enter s in this worker's table, doubled when it holds as many
 * sessions as buckets. -1 out of memory (s not entered).
 */
static int
session_tab_add(struct session *s)
{
	struct session_bucket	*old = session_tab, *nt;
	struct session		*t;
	size_t			 i, oldn = session_tabsize;
	size_t			 n = oldn == 0 ? 64 : 2 * oldn;

	if ((size_t)session_nhere >= oldn) {
		if ((nt = calloc(n, sizeof(*nt))) == NULL)
			return -1;
		session_tab = nt;
		session_tabsize = n;
		for (i = 0; i < oldn; i++)
			while ((t = LIST_FIRST(&old[i])) != NULL) {
				LIST_REMOVE(t, hentry);
				LIST_INSERT_HEAD(session_bucket(t->id), t,
				    hentry);
			}
		free(old);
	}
	LIST_INSERT_HEAD(session_bucket(s->id), s, hentry);
	return 0;
}

static void
session_init_shared(void)
{
	struct timespec	 ts;

	if ((session_clients = clientcount_shared_new()) == NULL)
		fatalx("out of memory");
	clock_gettime(CLOCK_REALTIME, &ts);
	atomic_store(&session_next_id, ((uint64_t)ts.tv_sec << 24) ^
	    (uint64_t)ts.tv_nsec);
}

/*
 * Admit one more session from client under max_sessions and conf's
 * max_sessions_per_client: 0 (counted), SESSION_OVER_MAX,
 * SESSION_OVER_CLIENT, or -1 out of memory (nothing counted).
 */
static int
session_admit(const struct config *conf, const struct sockaddr *client)
{
	int	 n;

	if (atomic_fetch_add(&session_total, 1) >= atomic_load(&session_max)) {
		atomic_fetch_sub(&session_total, 1);
		return SESSION_OVER_MAX;
	}
	n = clientcount_shared_add(session_clients, client,
	    conf->max_sessions_per_client);
	if (n >= 0)
		return 0;
	atomic_fetch_sub(&session_total, 1);
	return n == -2 ? SESSION_OVER_CLIENT : -1;
}

static void
session_free(evutil_socket_t fd, short ev, void *arg)
{
	struct session	*s = arg;
	struct pending	*p;
	char		 tls[200];

	(void)fd;
	(void)ev;
	log_info("session=%016llx event=close client=%s orig_dst=%s helo=%s "
	    "messages=%d duration=%lld %s reason=\"%s\"",
	    (unsigned long long)s->id, s->client_text, s->dst_text,
	    s->helo[0] ? s->helo : "-", s->messages,
	    (long long)(time(NULL) - s->started),
	    starttls_log(s, tls, sizeof(tls)), s->close_reason);
	while ((p = TAILQ_FIRST(&s->pending)) != NULL)
		session_pending_free(s, p);
	session_drop_upstream(s);
	if (s->client != NULL) {
		conn_free(s->client);
		s->client = NULL;
	}
	if (s->upq != NULL)
		evbuffer_free(s->upq);
	if (s->discard != NULL)
		evbuffer_free(s->discard);
	smtp_line_free(&s->cline);
	smtp_line_free(&s->sline);
	smtp_reply_free(&s->reply);
	tx_free(s);
	free(s->helo_line);
	event_free(s->ev_free);
	deadline_free(&s->ctimer);
	deadline_free(&s->stimer);
	session_unlink(s);
	config_unref(s->conf);
	free(s);
}

/*
 * The one way out: stop reading, drop the upstream, let the client's
 * last replies drain (bounded), then free everything.
 */
void
session_close(struct session *s, const char *reason)
{
	struct timeval	 tv = { SESSION_FLUSH_TIMEOUT, 0 };
	struct pending	*p;

	if (s->closing)
		return;
	s->closing = 1;
	s->close_reason = reason;
	/*
	 * RFC 1047: the terminator went upstream and its reply never came
	 * back. The client gets no 250 (a 4xx, or it left), so it will
	 * send again; say that the upstream may have the message already.
	 * A terminator still in our output buffer never left: nothing was
	 * delivered then.
	 */
	TAILQ_FOREACH(p, &s->pending, entry)
		if ((p->flags & (PENDING_EOD | PENDING_DONE | PENDING_LOCAL)) ==
		    PENDING_EOD && s->server != NULL &&
		    evbuffer_get_length(conn_output(s->server)) == 0)
			tx_log_uncertain(s, reason);
	session_set_state(s, SESSION_CLOSING);
	deadline_clear(&s->ctimer);
	deadline_clear(&s->stimer);
	session_drop_upstream(s);
	/*
	 * Nothing left to write, or no way to write it: after a write
	 * error libevent has stopped writing, so no callback would ever
	 * come to free the session.
	 */
	if (s->client == NULL ||
	    evbuffer_get_length(conn_output(s->client)) == 0 ||
	    !(conn_get_enabled(s->client) & EV_WRITE)) {
		/* Freed from the loop: callers up the stack still hold s. */
		event_active(s->ev_free, 0, 0);
		return;
	}
	conn_disable(s->client, EV_READ);
	conn_setwatermark(s->client, EV_WRITE, 0, 0);
	conn_set_timeouts(s->client, NULL, &tv);
}

static void
session_client_read(struct conn *c, void *arg)
{
	struct session		*s = arg;

	SESSION_ASSERT(s, c == s->client);
	if (s->state == SESSION_GREETING && !s->closing) {
		/*
		 * Talking before the greeting (smtp:242): checked once; the
		 * bytes wait, bounded by the read watermark.
		 */
		if (s->early_talker == -1)
			s->early_talker = session_alarm(s, ALARM_EARLY_TALKER,
			    NULL);
		if (s->early_talker == ALARM_CLOSE)
			session_fail_alarm(s, "421 4.7.0", ALARM_EARLY_TALKER);
		else
			session_input_full(s);
		return;
	}
	session_process(s);
}

static void
session_client_write(struct conn *c, void *arg)
{
	struct session	*s = arg;

	SESSION_ASSERT(s, c == s->client);
	if (s->closing) {
		event_active(s->ev_free, 0, 0);
		return;
	}
	if (s->state == SESSION_TUNNEL) {
		if (s->server != NULL)
			conn_enable(s->server, EV_READ);
		return;
	}
	session_resume(s);
}

static void
session_client_event(struct conn *c, short what, void *arg)
{
	struct session	*s = arg;

	SESSION_ASSERT(s, c == s->client);
	if (s->closing) {
		/* The client is gone or will not read its last reply. */
		event_active(s->ev_free, 0, 0);
		return;
	}
	if (what & CONN_EVENT_TLS) {
		starttls_client_event(s, what);
		return;
	}
	if (what & CONN_EVENT_TIMEOUT) {
		session_client_timeout(s);
		return;
	}
	if (what & CONN_EVENT_EOF)
		session_close(s, s->state == SESSION_BODY ?
		    "client disconnected during data" : "client disconnected");
	else
		session_close(s, "client error");
}

int
session_new(struct event_base *base, struct config *conf, int fd,
    const struct sockaddr *client, socklen_t clientlen,
    const struct sockaddr *dst, socklen_t dstlen, int flags)
{
	int		 loop = (flags & SESSION_NEW_LOOP) != 0;
	struct session	*s;
	struct pending	*p;
	const char	*rule, *reply;
	int		 n;

	pthread_once(&session_once, session_init_shared);
	if ((n = session_admit(conf, client)) != 0) {
		if (n == -1)
			close(fd);
		return n;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		atomic_fetch_sub(&session_total, 1);
		clientcount_shared_del(session_clients, client);
		close(fd);
		return -1;
	}
	s->id = atomic_fetch_add(&session_next_id, 1);
	s->conf = config_ref(conf);
	s->base = base;
	s->started = time(NULL);
	s->close_reason = "";
	s->early_alarm = -1;
	s->early_talker = -1;
	s->line_fresh = 1;
	TAILQ_INIT(&s->pending);
	memcpy(&s->client_ss, client, clientlen);
	memcpy(&s->dst_ss, dst, dstlen);
	netaddr_text(client, s->client_text, sizeof(s->client_text));
	netaddr_text(dst, s->dst_text, sizeof(s->dst_text));
	/* Counted by session_admit() above; session_unlink() undoes all. */
	if (session_tab_add(s) == -1) {
		atomic_fetch_sub(&session_total, 1);
		clientcount_shared_del(session_clients, client);
		config_unref(s->conf);
		free(s);
		close(fd);
		return -1;
	}
	if (sessions.tqh_last == NULL)
		TAILQ_INIT(&sessions);
	TAILQ_INSERT_TAIL(&sessions, s, entry);
	session_nhere++;
	stats_inc(STATS_SESSIONS);
	stats_inc(STATS_SESSIONS_ACTIVE);

	s->ev_free = event_new(base, -1, 0, session_free, s);
	(void)deadline_init(&s->ctimer, base, session_ctimer, s);
	(void)deadline_init(&s->stimer, base, session_stimer, s);
	s->client = conn_new(base, fd);	/* owns fd, closed on failure */
	if (s->ev_free == NULL || s->ctimer.ev == NULL ||
	    s->stimer.ev == NULL || s->client == NULL) {
		if (s->ev_free != NULL)
			event_free(s->ev_free);
		deadline_free(&s->ctimer);
		deadline_free(&s->stimer);
		session_unlink(s);
		config_unref(s->conf);
		if (s->client != NULL)
			conn_free(s->client);
		free(s);
		return -1;
	}
	conn_setcb(s->client, session_client_read, session_client_write,
	    session_client_event, s);
	conn_count_reads(s->client, STATS_BYTES_CLIENT);
	conn_setwatermark(s->client, EV_READ, 0, SESSION_INPUT_MAX);
	if ((s->upq = evbuffer_new()) == NULL ||
	    (s->discard = evbuffer_new()) == NULL ||
	    smtp_line_init(&s->cline,
	    conf->alarm_action[ALARM_PROTOCOL_OVERFLOW] >= ALARM_BLOCK ?
	    MAX(conf->limits.command_line, SESSION_AUTH_LINE) :
	    SESSION_LONGLINE) == -1 ||
	    smtp_line_init(&s->sline, SESSION_LONGLINE) == -1)
		goto fail;
	smtp_reply_init(&s->reply);
	log_info("session=%016llx event=connect client=%s orig_dst=%s "
	    "worker=%d%s", (unsigned long long)s->id, s->client_text,
	    s->dst_text, session_worker,
	    flags & SESSION_NEW_TLS ? " tls=implicit" : "");
	if (flags & SESSION_NEW_TLS && starttls_implicit(s) == -1)
		goto fail;

	if (loop) {
		log_warnx("session=%016llx event=loop orig_dst=%s",
		    (unsigned long long)s->id, s->dst_text);
		session_set_state(s, SESSION_REFUSED);
		session_local(s, SMTP_CMD_UNKNOWN, 0, "554 5.4.6 %s Mail loop: "
		    "the destination is this proxy", conf->hostname);
		session_flush(s);
		return 0;
	}
	/* In relay mode the destination is where the mail really goes. */
	if (conf->inspect && conf->access_enabled && access_match(conf->access,
	    client, conf->mode == CONFIG_MODE_RELAY ?
	    (const struct sockaddr *)&relay_ss : dst, &rule, &reply) ==
	    ACCESS_DENY) {
		/* SPEC §4.1: answered, never just closed; upstream untouched. */
		log_warnx("session=%016llx event=denied rule=%s client=%s "
		    "orig_dst=%s", (unsigned long long)s->id,
		    rule != NULL ? rule : "default", s->client_text,
		    s->dst_text);
		session_set_state(s, SESSION_REFUSED);
		session_local(s, SMTP_CMD_UNKNOWN, 0, "554 5.7.1 %s", reply);
		session_flush(s);
		return 0;
	}
	if ((p = session_pending_new(s, SMTP_CMD_UNKNOWN,
	    PENDING_GREETING)) == NULL)
		goto fail;
	if (session_connect(s, 0) == -1)
		return 0;	/* the client has its 421 */
	session_timeouts(s);
	return 0;
 fail:
	session_close(s, "out of memory");
	return -1;
}

int
session_count_client(const struct sockaddr *sa)
{
	return session_clients != NULL ?
	    clientcount_shared_get(session_clients, sa) : 0;
}

int
session_count(void)
{
	return atomic_load(&session_total);
}

int
session_count_worker(void)
{
	return session_nhere;
}

void
session_set_max(int max)
{
	atomic_store(&session_max, max);
}

void
session_set_worker(int index)
{
	session_worker = index;
}

void
session_worker_end(void)
{
	if (session_nhere > 0)
		return;		/* left open at exit: the process ends */
	free(session_tab);
	session_tab = NULL;
	session_tabsize = 0;
}

struct session *
session_find(uint64_t id)
{
	struct session	*s;

	if (session_tabsize == 0)
		return NULL;
	LIST_FOREACH(s, session_bucket(id), hentry)
		if (s->id == id)
			break;
	return s;
}

int
session_shutdown_all(void)
{
	struct session	*s, *next;
	int		 n = 0;

	TAILQ_FOREACH_SAFE(s, &sessions, entry, next) {
		if (s->closing)
			continue;
		session_fail(s, "421 4.3.2", "shutting down");
		n++;
	}
	return n;
}

void
session_set_scanning(struct worker_pool *workers, struct scan_engine *types,
    struct scan_engine *av)
{
	session_workers = workers;
	if (session_engine != NULL)
		scan_engine_unref(session_engine);
	session_engine = types != NULL ? scan_engine_ref(types) : NULL;
	if (session_av != NULL)
		scan_engine_unref(session_av);
	session_av = av != NULL ? scan_engine_ref(av) : NULL;
}

void
session_set_upstream(const struct sockaddr *sa, socklen_t salen)
{
	memcpy(&relay_ss, sa, salen);
	relay_sslen = salen;
}

struct worker_pool *
session_worker_pool(void)
{
	return session_workers;
}

struct scan_engine *
session_type_engine(void)
{
	return session_engine;
}

struct scan_engine *
session_av_engine(void)
{
	return session_av;
}

const struct sockaddr *
session_relay_addr(void)
{
	return (const struct sockaddr *)&relay_ss;
}
