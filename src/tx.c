/*
 * The transaction: MAIL to the end of data, its message body and the
 * verdict on it.
 *
 * The message body is never copied as it came: data.c rebuilds it line
 * by line with canonical CRLF and the proxy's own dot-stuffing, so the
 * upstream can only ever see the end of data the proxy writes, and the
 * proxy writes it only once the verdict on the message is in. A refused
 * message is never terminated: the upstream connection is dropped before
 * the terminator and the next transaction gets a new one, on which the
 * client's EHLO/HELO is replayed.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/socket.h>

#include <stdio.h>
#include <stdlib.h>

#include <event2/buffer.h>
#include "conn.h"
#include <event2/event.h>

#include "alarm.h"
#include "config.h"
#include "data.h"
#include "inspect.h"
#include "log.h"
#include "session.h"
#include "session_priv.h"
#include "smtp_cmd.h"
#include "stats.h"
#include "worker.h"

/* A message's inspection on a worker thread. */
struct tx_job {
	uint64_t		 id;
	struct inspect		*ins;
};

static void	tx_end_of_data(struct session *);
static void	tx_inspect_report(void *, int, enum alarm_action,
		    const char *);
static void	tx_inspect_verdict(struct session *, struct pending *,
		    struct inspect *);
static void	tx_verdict(struct session *, struct pending *,
		    enum inspect_verdict, const char *);
static void	tx_job_run(void *);
static void	tx_job_done(void *);

void
tx_free(struct session *s)
{
	if (s->tx != NULL)
		inspect_free(s->tx->ins);
	free(s->tx);
	s->tx = NULL;
}

struct tx *
tx_new(struct session *s)
{
	tx_free(s);
	if ((s->tx = calloc(1, sizeof(*s->tx))) == NULL)
		return NULL;
	s->tx->seq = ++s->tx_seq;
	data_init(&s->tx->data, 1, s->conf->limits.text_line);
	return s->tx;
}

void
tx_body_start(struct session *s)
{
	if (inspect_wanted(s->conf)) {
		s->tx->ins = inspect_new(s->conf, session_type_engine(),
		    session_av_engine(), inspect_av_wanted(s->conf,
		    s->conf->mode == CONFIG_MODE_RELAY ?
		    session_relay_addr() :
		    (struct sockaddr *)&s->dst_ss));
		s->tx->bol = 1;
		/* Nothing uninspected passes: no memory, a 451 at the end. */
		s->tx->ins_failed = s->tx->ins == NULL;
	}
}

/*
 * The verdict on a complete message body: at once when nothing needs a
 * worker thread, else when the scan comes back (tx_job_done). The
 * terminator is written only from tx_verdict().
 */
static void
tx_end_of_data(struct session *s)
{
	struct pending		*p;
	enum alarm_action	 act;
	struct tx		*tx = s->tx;

	session_set_state(s, SESSION_READY);
	if (tx->ins_failed) {
		session_abort_upstream(s);
		session_local(s, SMTP_CMD_DATA, PENDING_EOD |
		    PENDING_GROUP_END, "451 4.3.0 Message could not be "
		    "inspected, try again later");
		return;
	}
	if (tx->too_large) {
		/* The upstream was dropped when the limit was crossed. */
		session_local(s, SMTP_CMD_DATA, PENDING_EOD |
		    PENDING_GROUP_END | (tx->too_large == ALARM_CLOSE ?
		    PENDING_CLOSE : 0), "%s %s (%s)",
		    tx->too_large == ALARM_CLOSE ? "421 4.7.0" :
		    alarm_table[ALARM_MESSAGE_TOO_LARGE].reply,
		    alarm_table[ALARM_MESSAGE_TOO_LARGE].text,
		    alarm_table[ALARM_MESSAGE_TOO_LARGE].ident);
		return;
	}
	if (tx->data.flags & (DATA_BARE_CR | DATA_BARE_LF | DATA_NUL)) {
		act = session_alarm(s, ALARM_BARE_LINE_ENDING, "side=body");
		if (act == ALARM_BLOCK || act == ALARM_CLOSE) {
			session_abort_upstream(s);
			session_local(s, SMTP_CMD_DATA,
			    PENDING_EOD | PENDING_GROUP_END |
			    (act == ALARM_CLOSE ? PENDING_CLOSE : 0),
			    "%s %s in message (%s)",
			    act == ALARM_CLOSE ? "421 4.7.0" : "554 5.6.0",
			    data_flags_text(tx->data.flags),
			    alarm_table[ALARM_BARE_LINE_ENDING].ident);
			return;
		}
	}
	/*
	 * Held: the end of data is written only once the verdict is in;
	 * until then the entry is the proxy's, not the upstream's.
	 */
	if ((p = session_pending_new(s, SMTP_CMD_DATA, PENDING_EOD |
	    PENDING_GROUP_END | PENDING_LOCAL | PENDING_VERDICT)) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	if (tx->ins == NULL) {
		tx_verdict(s, p, INSPECT_ACCEPT, "");
		return;
	}
	inspect_end(tx->ins, tx->data.header_bad);
	if (inspect_needs_scan(tx->ins) && session_worker_pool() != NULL) {
		struct tx_job	*job;

		if ((job = calloc(1, sizeof(*job))) == NULL) {
			tx_verdict(s, p, INSPECT_TEMPFAIL,
			    "451 4.3.0 Out of memory, try again later");
			return;
		}
		/* The job owns the inspection; it finds s again by id. */
		job->id = s->id;
		job->ins = tx->ins;
		tx->ins = NULL;
		if (worker_submit(session_worker_pool(), tx_job_run,
		    tx_job_done, job) == -1) {
			inspect_free(job->ins);
			free(job);
			tx_verdict(s, p, INSPECT_TEMPFAIL,
			    "451 4.3.0 Out of memory, try again later");
		}
		return;
	}
	if (inspect_needs_scan(tx->ins))
		inspect_scan(tx->ins);	/* no workers: -t, or tests */
	tx_inspect_verdict(s, p, tx->ins);
}

/* Log a finding of the content inspection. */
static void
tx_inspect_report(void *arg, int alarm, enum alarm_action act,
    const char *detail)
{
	struct session	*s = arg;

	if (alarm == INSPECT_FILETYPE)
		log_warnx("session=%016llx event=%s %s",
		    (unsigned long long)s->id, act == ALARM_PASS ?
		    "inspect-error" : "attachment-refused", detail);
	else if (alarm == INSPECT_VIRUS)
		log_warnx("session=%016llx event=antivirus %s",
		    (unsigned long long)s->id, detail);
	else
		session_alarm_log(s, (enum alarm_id)alarm, act, detail);
}

static void
tx_inspect_verdict(struct session *s, struct pending *p,
    struct inspect *ins)
{
	char			 reply[300];
	enum inspect_verdict	 v;

	reply[0] = '\0';
	v = inspect_verdict(ins, tx_inspect_report, s, reply,
	    sizeof(reply));
	tx_verdict(s, p, v, reply);
}

/*
 * Apply the verdict on a held message: accepted, the end of data goes
 * upstream and the upstream's own reply will answer the client; refused,
 * the upstream connection is dropped before any terminator and the
 * client gets the refusal.
 */
static void
tx_verdict(struct session *s, struct pending *p, enum inspect_verdict v,
    const char *reply)
{
	p->flags &= ~PENDING_VERDICT;
	if (v == INSPECT_ACCEPT && s->server != NULL) {
		p->flags &= ~PENDING_LOCAL;
		evbuffer_add(conn_output(s->server), ".\r\n", 3);
		session_timeouts(s);
		return;
	}
	if (v == INSPECT_ACCEPT)
		reply = "451 4.4.2 Upstream connection lost, try again later";
	session_abort_upstream(s);
	evbuffer_add_printf(p->reply, "%s\r\n", reply);
	p->code = atoi(reply);
	p->flags |= PENDING_DONE;
	if (v == INSPECT_CLOSE)
		p->flags |= PENDING_CLOSE;
}

static void
tx_job_run(void *arg)
{
	struct tx_job	*job = arg;

	inspect_scan(job->ins);
}

/* Back on the loop: the session may be gone; then the result is too. */
static void
tx_job_done(void *arg)
{
	struct tx_job	*job = arg;
	struct session	*s;
	struct pending	*p;

	s = session_find(job->id);
	if (s != NULL && !s->closing) {
		TAILQ_FOREACH(p, &s->pending, entry)
			if (p->flags & PENDING_VERDICT)
				break;
		if (p != NULL) {
			tx_inspect_verdict(s, p, job->ins);
			session_flush(s);
		}
	}
	inspect_free(job->ins);
	free(job);
}

/* Body bytes: rebuilt by the data parser and streamed upstream. */
int
tx_body(struct session *s, struct evbuffer *in)
{
	struct evbuffer		*out;
	struct evbuffer_iovec	 iov;
	enum alarm_action	 act;
	unsigned char		*src;
	size_t			 inlen, used, outlen;
	int			 done = 0;
	char			 detail[64];

	while (!done && (inlen = evbuffer_get_length(in)) > 0) {
		/* A refused body is read to its end and dropped. */
		if (s->tx->too_large || s->server == NULL) {
			out = s->discard;
			evbuffer_drain(out, evbuffer_get_length(out));
		} else
			out = conn_output(s->server);
		if (evbuffer_get_length(out) > SESSION_HIWAT) {
			/* Backpressure: resume from the write callback. */
			conn_disable(s->client, EV_READ);
			conn_setwatermark(s->server, EV_WRITE,
			    SESSION_LOWAT, 0);
			return 0;
		}
		if (inlen > 16384)
			inlen = 16384;
		src = evbuffer_pullup(in, (ev_ssize_t)inlen);
		if (evbuffer_reserve_space(out, (ev_ssize_t)(2 * inlen + 2),
		    &iov, 1) < 1) {
			session_close(s, "out of memory");
			return -1;
		}
		done = data_parse(&s->tx->data, (const char *)src, inlen,
		    &used, iov.iov_base, &outlen);
		iov.iov_len = outlen;
		if (s->tx->ins != NULL && !s->tx->too_large)
			/* The text the client meant: stuffing off. */
			inspect_wire(s->tx->ins, &s->tx->bol, iov.iov_base,
			    outlen);
		evbuffer_commit_space(out, &iov, 1);
		evbuffer_drain(in, used);
		s->cprogress++;
		stats_add(STATS_BYTES_IN, (int64_t)used);
		/* Once a message: with log or pass the body goes on. */
		if (s->tx->data.bytes > s->conf->limits.message_size &&
		    !s->tx->size_alarm) {
			s->tx->size_alarm = 1;
			snprintf(detail, sizeof(detail), "limit=%llu",
			    (unsigned long long)s->conf->limits.message_size);
			act = session_alarm(s, ALARM_MESSAGE_TOO_LARGE, detail);
			if (act == ALARM_BLOCK || act == ALARM_CLOSE) {
				s->tx->too_large = (int)act;
				session_abort_upstream(s);
			}
		}
	}
	if (done)
		tx_end_of_data(s);
	return 0;
}

void
tx_log_uncertain(struct session *s, const char *reason)
{
	s->messages++;
	stats_inc(STATS_MESSAGES_UNCERTAIN);
	log_warnx("session=%016llx event=message from=%s rcpts=%d size=%llu "
	    "verdict=unknown reason=\"%s\" note=\"no reply after the end of "
	    "data: the message may have been delivered\"",
	    (unsigned long long)s->id, s->tx ? s->tx->from : "",
	    s->tx ? s->tx->rcpts : 0,
	    s->tx ? (unsigned long long)s->tx->data.bytes : 0ULL, reason);
}

void
tx_log_message(struct session *s, struct pending *p)
{
	char		 reply[256];
	const char	*verdict;
	size_t		 len;
	unsigned char	*r;

	s->messages++;
	verdict = !(p->flags & PENDING_LOCAL) ? "accept" :
	    p->code / 100 == 4 ? "tempfail" : "reject";
	stats_inc(verdict[0] == 'a' ? STATS_MESSAGES_ACCEPTED :
	    verdict[0] == 't' ? STATS_MESSAGES_TEMPFAILED :
	    STATS_MESSAGES_REJECTED);
	len = evbuffer_get_length(p->reply);
	r = evbuffer_pullup(p->reply, (ev_ssize_t)len);
	while (len > 0 && (r[len - 1] == '\r' || r[len - 1] == '\n'))
		len--;
	log_info("session=%016llx event=message from=%s rcpts=%d size=%llu "
	    "verdict=%s reply=\"%s\"", (unsigned long long)s->id,
	    s->tx ? s->tx->from : "", s->tx ? s->tx->rcpts : 0,
	    s->tx ? (unsigned long long)s->tx->data.bytes : 0ULL,
	    verdict,
	    log_escape(reply, sizeof(reply), (const char *)r, len));
	tx_free(s);
}
