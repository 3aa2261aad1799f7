/*
 * STARTTLS and TLS in the dialog (SPEC §4.7, RFC 3207, RFC 8314).
 *
 * tls.mode = passthrough relays STARTTLS and then the bytes (session.c's
 * tunnel); off refuses it; inspect answers it here. An inspected
 * STARTTLS runs in this order:
 *
 *   1. the client's STARTTLS ends a pipelined group; with an upstream
 *      leg to encrypt (tls.upstream, and the upstream's EHLO offered
 *      STARTTLS) it is sent upstream, else answered 220 at once;
 *   2. the upstream's 220: what followed it in the same read is
 *      discarded (smtp:253, the response injection), the client-side
 *      handshake with the upstream runs; a refusal or a failure is a
 *      454 (smtp:254) under "required", else the upstream leg stays in
 *      plaintext (logged);
 *   3. the proxy's own "220 2.0.0 Ready to start TLS" goes to the
 *      client after every earlier reply; what the client sent after
 *      STARTTLS is discarded (smtp:253, the command injection), the
 *      handshake with the client runs;
 *   4. RFC 3207 §4.2: the dialog starts again, the earlier EHLO and any
 *      transaction forgotten; MAIL before a new EHLO is out of
 *      sequence (503 5.5.1, smtp:243); the new EHLO goes upstream
 *      inside its TLS session, and STARTTLS is not offered again.
 *
 * A reconnect after a refused message redoes the upstream's STARTTLS
 * (replayed EHLO, STARTTLS, handshake, EHLO again, all absorbed) before
 * the client's command goes on. The handshakes run in the connection
 * layer (conn_starttls()), never blocking the loop.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>

#include "alarm.h"
#include "config.h"
#include "conn.h"
#include "log.h"
#include "policy.h"
#include "session_priv.h"
#include "smtp_cmd.h"
#include "smtp_line.h"
#include "smtp_reply.h"
#include "stats.h"
#include "tls.h"

#define STARTTLS_READY	"220 2.0.0 Ready to start TLS"

static struct pending	*starttls_pending_after(struct session *,
			    struct pending *, enum smtp_verb, int);

static const char *const starttls_names[] = {
	[SESSION_TLS_NONE] = "none",
	[SESSION_TLS_PASSTHROUGH] = "passthrough",
	[SESSION_TLS_INSPECT] = "inspect"
};

void
starttls_mode(struct session *s, enum session_tls mode)
{
	/* Every session's TLS mode is decided here, once, and counted. */
	if (s->tls == mode)
		return;
	s->tls = mode;
	if (mode == SESSION_TLS_PASSTHROUGH) {
		session_alarm(s, ALARM_TLS_PASSTHROUGH, NULL);
		stats_inc(STATS_TLS_PASSTHROUGH);
	} else if (mode == SESSION_TLS_INSPECT)
		stats_inc(STATS_TLS_INSPECT);
}

/* Replace a reply's text with the proxy's own and mark it complete. */
static void
starttls_set_reply(struct pending *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
starttls_set_reply(struct pending *p, int code, const char *fmt, ...)
{
	va_list	 ap;

	evbuffer_drain(p->reply, evbuffer_get_length(p->reply));
	va_start(ap, fmt);
	evbuffer_add_vprintf(p->reply, fmt, ap);
	va_end(ap);
	evbuffer_add(p->reply, "\r\n", 2);
	p->code = code;
	p->flags |= PENDING_DONE;
}

/* The name the upstream's certificate must have: the relay host. */
static const char *
starttls_upstream_name(const struct session *s)
{
	return s->conf->mode == CONFIG_MODE_RELAY ? s->conf->upstream_host :
	    NULL;
}

enum alarm_action
starttls_discard(struct session *s, struct evbuffer *in, const char *side)
{
	enum alarm_action	 act;
	char			 detail[64];
	size_t			 n = evbuffer_get_length(in);

	if (n == 0)
		return ALARM_PASS;
	snprintf(detail, sizeof(detail), "side=%s bytes=%zu", side, n);
	act = session_alarm(s, ALARM_STARTTLS_INJECTION, detail);
	/* Whatever the action: never executed, never shown inside TLS. */
	evbuffer_drain(in, n);
	return act;
}

/*
 * The upstream's leg cannot be encrypted, for reason: under "required"
 * alarm smtp:254 and its action, else logged and ALARM_PASS (the
 * upstream's leg goes on in plaintext).
 */
static enum alarm_action
starttls_unavailable(struct session *s, const char *reason)
{
	char	 detail[360];

	snprintf(detail, sizeof(detail), "reason=\"%s\"", reason);
	if (s->conf->tls_upstream == POLICY_TLS_UP_REQUIRED)
		return session_alarm(s, ALARM_TLS_UNAVAILABLE, detail);
	log_info("session=%016llx event=tls-upstream-plain %s",
	    (unsigned long long)s->id, detail);
	return ALARM_PASS;
}

/*
 * The upstream's leg cannot be encrypted (reason): under "required" the
 * client's STARTTLS gets 454 (smtp:254), else the client's leg alone is
 * encrypted. lost: the upstream connection is unusable (a failed
 * handshake) and is dropped; the next command reconnects in plaintext.
 */
static void
starttls_upstream_failed(struct session *s, struct pending *p,
    const char *reason, int lost)
{
	enum alarm_action	 act = starttls_unavailable(s, reason);

	if (act == ALARM_CLOSE) {
		p->flags &= ~PENDING_STARTTLS;
		starttls_set_reply(p, 421, "421 4.7.0 %s %s (%s)",
		    s->conf->hostname, alarm_table[ALARM_TLS_UNAVAILABLE].text,
		    alarm_table[ALARM_TLS_UNAVAILABLE].ident);
		p->flags |= PENDING_CLOSE;
		s->quit_reason = alarm_table[ALARM_TLS_UNAVAILABLE].text;
	} else if (act == ALARM_BLOCK) {
		p->flags &= ~PENDING_STARTTLS;
		starttls_set_reply(p, 454, "%s %s (%s)",
		    alarm_table[ALARM_TLS_UNAVAILABLE].reply,
		    alarm_table[ALARM_TLS_UNAVAILABLE].text,
		    alarm_table[ALARM_TLS_UNAVAILABLE].ident);
	} else
		starttls_set_reply(p, 220, STARTTLS_READY);
	if (lost)
		session_abort_upstream(s);
}

int
starttls_command(struct session *s)
{
	const struct config	*conf = s->conf;
	enum alarm_action	 act;

	if (conf->tls_mode == POLICY_TLS_PASSTHROUGH && !s->implicit_tls)
		return 0;
	if (conf->tls_mode == POLICY_TLS_OFF && !s->implicit_tls) {
		/* Never forwarded, whatever the command policy said. */
		session_refuse(s, SMTP_CMD_STARTTLS,
		    ALARM_COMMAND_NOT_SUPPORTED, NULL);
		return 1;
	}
	if (s->ctls != SESSION_LEG_PLAIN) {
		/* RFC 3207 §4.2: not offered, and not taken, inside TLS. */
		session_alarm(s, ALARM_COMMAND_NOT_SUPPORTED,
		    "command=STARTTLS reason=\"in TLS already\"");
		session_refuse(s, SMTP_CMD_STARTTLS,
		    ALARM_COMMAND_NOT_SUPPORTED, NULL);
		return 1;
	}
	if (conf->tls_upstream != POLICY_TLS_UP_NONE && !s->up_starttls) {
		act = starttls_unavailable(s, "upstream offers no STARTTLS");
		if (act == ALARM_CLOSE) {
			session_quit_alarm(s, SMTP_CMD_STARTTLS,
			    ALARM_TLS_UNAVAILABLE);
			return 1;
		}
		if (act == ALARM_BLOCK) {
			session_refuse(s, SMTP_CMD_STARTTLS,
			    ALARM_TLS_UNAVAILABLE, NULL);
			return 1;
		}
	}
	if (conf->tls_upstream == POLICY_TLS_UP_NONE || !s->up_starttls ||
	    conf->tls_client == NULL) {
		session_local(s, SMTP_CMD_STARTTLS, PENDING_GROUP_END |
		    PENDING_STARTTLS, STARTTLS_READY);
		return 1;
	}
	/* The upstream's leg first (starttls_upstream_reply()). */
	session_forward(s, SMTP_CMD_STARTTLS, "STARTTLS", 8,
	    PENDING_GROUP_END | PENDING_STARTTLS);
	return 1;
}

/* Start the handshake with the upstream after its 220. */
static int
starttls_upstream_begin(struct session *s, struct pending *p)
{
	if ((s->stls_t = tls_new_client(s->conf->tls_client,
	    starttls_upstream_name(s))) == NULL) {
		session_fail(s, "421 4.3.0", "out of memory");
		return -1;
	}
	/* Complete again when the handshake is done. */
	p->flags &= ~PENDING_DONE;
	s->stls = SESSION_LEG_HANDSHAKE;
	smtp_line_reset(&s->sline);
	tls_start(s->server, s->stls_t);
	return 0;
}

/*
 * Implicit TLS, the upstream's leg could not be encrypted: "required"
 * ends the session (the client is in TLS already, there is no STARTTLS
 * to refuse); else the client's EHLO goes on in plaintext, on this
 * connection or, lost, on a new one.
 */
static void
starttls_first_failed(struct session *s, struct pending *p,
    const char *reason, int lost)
{
	struct pending	*ehlo = TAILQ_NEXT(p, entry);

	s->stls_failed = 1;
	p->flags &= ~PENDING_STARTTLS;
	p->flags |= PENDING_DONE;
	if (starttls_unavailable(s, reason) >= ALARM_BLOCK) {
		session_fail_alarm(s, "421 4.7.0", ALARM_TLS_UNAVAILABLE);
		return;
	}
	if (!lost) {
		evbuffer_add_printf(conn_output(s->server), "%s\r\n",
		    s->helo_line);
		session_flush(s);
		return;
	}
	/* A new connection: the EHLO slot goes to it (session_forward). */
	if (ehlo != NULL && ehlo->verb == SMTP_CMD_EHLO)
		ehlo->flags |= PENDING_DONE | PENDING_LOCAL | PENDING_ABSORB;
	session_abort_upstream(s);
	session_forward(s, SMTP_CMD_EHLO, s->helo_line, strlen(s->helo_line),
	    PENDING_GROUP_END);
	session_flush(s);
}

int
starttls_upstream_first(struct session *s, struct pending *p)
{
	const struct config	*conf = s->conf;
	struct pending		*q;

	if (!s->implicit_tls || p->flags & PENDING_ABSORB ||
	    s->stls != SESSION_LEG_PLAIN || s->stls_failed ||
	    conf->tls_upstream == POLICY_TLS_UP_NONE ||
	    conf->tls_client == NULL || s->helo_line == NULL)
		return 0;
	if (!s->up_starttls) {
		s->stls_failed = 1;
		if (starttls_unavailable(s, "upstream offers no STARTTLS") <
		    ALARM_BLOCK)
			return 0;
		p->flags |= PENDING_DONE | PENDING_ABSORB;
		session_fail_alarm(s, "421 4.7.0", ALARM_TLS_UNAVAILABLE);
		return 1;
	}
	/* p is absorbed; STARTTLS, then the EHLO the client gets. */
	p->flags |= PENDING_DONE | PENDING_ABSORB;
	if ((q = starttls_pending_after(s, p, SMTP_CMD_STARTTLS,
	    PENDING_ABSORB | PENDING_STARTTLS)) == NULL ||
	    starttls_pending_after(s, q, SMTP_CMD_EHLO, PENDING_GROUP_END) ==
	    NULL)
		return 1;
	evbuffer_add(conn_output(s->server), "STARTTLS\r\n", 10);
	return 1;
}

void
starttls_upstream_reply(struct session *s, struct pending *p)
{
	char	 reason[64];

	if (p->code == 220) {
		(void)starttls_upstream_begin(s, p);
		return;
	}
	snprintf(reason, sizeof(reason), "upstream refused STARTTLS with %d",
	    p->code);
	if (p->flags & PENDING_ABSORB)
		starttls_first_failed(s, p, reason, 0);
	else
		starttls_upstream_failed(s, p, reason, 0);
}

/* A reply slot right after p (before the client's next ones). */
static struct pending *
starttls_pending_after(struct session *s, struct pending *p,
    enum smtp_verb verb, int flags)
{
	struct pending	*q;

	if ((q = session_pending_new(s, verb, flags)) == NULL) {
		session_close(s, "out of memory");
		return NULL;
	}
	TAILQ_REMOVE(&s->pending, q, entry);
	TAILQ_INSERT_AFTER(&s->pending, p, q, entry);
	return q;
}

int
starttls_replay(struct session *s, struct pending *p)
{
	struct pending	*q;

	if (!s->stls_want || s->stls == SESSION_LEG_TLS)
		return 0;
	if (p->verb == SMTP_CMD_EHLO) {
		if (!s->up_starttls) {
			session_alarm(s, ALARM_TLS_UNAVAILABLE, "reason=\""
			    "upstream offers no STARTTLS on reconnect\"");
			session_fail_alarm(s, "421 4.7.0",
			    ALARM_TLS_UNAVAILABLE);
			return 1;
		}
		if ((q = starttls_pending_after(s, p, SMTP_CMD_STARTTLS,
		    PENDING_ABSORB)) == NULL)
			return 1;
		evbuffer_add(conn_output(s->server), "STARTTLS\r\n", 10);
		return 1;
	}
	if (p->verb == SMTP_CMD_STARTTLS) {
		if (p->code != 220) {
			session_alarm(s, ALARM_TLS_UNAVAILABLE, "reason=\""
			    "upstream refused STARTTLS on reconnect\"");
			session_fail_alarm(s, "421 4.7.0",
			    ALARM_TLS_UNAVAILABLE);
			return 1;
		}
		(void)starttls_upstream_begin(s, p);
		return 1;
	}
	return 0;
}

void
starttls_reply_sent(struct session *s)
{
	(void)starttls_discard(s, conn_input(s->client), "client");
	smtp_line_reset(&s->cline);
	if ((s->ctls_t = tls_new_server(s->conf->tls_server)) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	s->ctls = SESSION_LEG_HANDSHAKE;
	tls_start(s->client, s->ctls_t);
}

int
starttls_implicit(struct session *s)
{
	s->implicit_tls = 1;
	if ((s->ctls_t = tls_new_server(s->conf->tls_server)) == NULL)
		return -1;
	s->ctls = SESSION_LEG_HANDSHAKE;
	tls_start(s->client, s->ctls_t);
	return 0;
}

void
starttls_client_event(struct session *s, short what)
{
	if (what & (CONN_EVENT_ERROR | CONN_EVENT_EOF)) {
		snprintf(s->tls_err, sizeof(s->tls_err), "TLS handshake "
		    "failed: %s", tls_error(s->ctls_t));
		log_warnx("session=%016llx event=tls-error side=client "
		    "error=\"%s\"", (unsigned long long)s->id,
		    tls_error(s->ctls_t));
		s->ctls = SESSION_LEG_PLAIN;
		session_close(s, s->tls_err);
		return;
	}
	s->ctls = SESSION_LEG_TLS;
	tls_describe(s->ctls_t, s->tls_cdesc, sizeof(s->tls_cdesc));
	starttls_mode(s, SESSION_TLS_INSPECT);
	log_info("session=%016llx event=tls side=client tls=%s",
	    (unsigned long long)s->id, s->tls_cdesc);
	if (!s->implicit_tls) {
		/* RFC 3207 §4.2: forget what the client said before. */
		tx_free(s);
		s->offered = 0;
		free(s->helo_line);
		s->helo_line = NULL;
		s->need_ehlo = 1;
		session_set_state(s, SESSION_HELO);
	}
	smtp_line_reset(&s->cline);
	s->early = 0;
	s->early_alarm = -1;
	s->line_fresh = 1;
	session_flush(s);
}

/* The entry the upstream's handshake completes. */
static struct pending *
starttls_upstream_pending(struct session *s)
{
	struct pending	*p;

	TAILQ_FOREACH(p, &s->pending, entry)
		if (!(p->flags & (PENDING_DONE | PENDING_LOCAL)))
			return p;
	return NULL;
}

void
starttls_server_event(struct session *s, short what)
{
	struct pending	*p, *q;

	if ((p = starttls_upstream_pending(s)) == NULL ||
	    p->verb != SMTP_CMD_STARTTLS) {
		SESSION_ASSERT(s, p != NULL && p->verb == SMTP_CMD_STARTTLS);
		return;
	}
	if (what & (CONN_EVENT_ERROR | CONN_EVENT_EOF)) {
		snprintf(s->tls_err, sizeof(s->tls_err), "%s",
		    tls_error(s->stls_t));
		log_warnx("session=%016llx event=tls-error side=upstream "
		    "upstream=%s error=\"%s\"", (unsigned long long)s->id,
		    s->up_text, s->tls_err);
		s->stls = SESSION_LEG_PLAIN;
		if (s->upstream == UPSTREAM_REPLAY) {
			session_alarm(s, ALARM_TLS_UNAVAILABLE, "reason=\""
			    "handshake failed on reconnect\"");
			session_fail_alarm(s, "421 4.7.0",
			    ALARM_TLS_UNAVAILABLE);
			return;
		}
		if (p->flags & PENDING_ABSORB) {
			starttls_first_failed(s, p, s->tls_err, 1);
			return;
		}
		starttls_upstream_failed(s, p, s->tls_err, 1);
		session_flush(s);
		return;
	}
	s->stls = SESSION_LEG_TLS;
	s->stls_want = 1;
	tls_describe(s->stls_t, s->tls_sdesc, sizeof(s->tls_sdesc));
	log_info("session=%016llx event=tls side=upstream tls=%s",
	    (unsigned long long)s->id, s->tls_sdesc);
	smtp_line_reset(&s->sline);
	smtp_reply_clear(&s->reply);
	p->flags |= PENDING_DONE;
	if (s->upstream == UPSTREAM_REPLAY) {
		/* RFC 3207 §4.2: EHLO again, inside TLS. */
		if ((q = starttls_pending_after(s, p, SMTP_CMD_EHLO,
		    PENDING_ABSORB)) == NULL)
			return;
		evbuffer_add_printf(conn_output(s->server), "%s\r\n",
		    s->helo_line);
		return;
	}
	if (p->flags & PENDING_ABSORB) {
		/* Implicit TLS: the client's EHLO again, inside TLS. */
		p->flags &= ~PENDING_STARTTLS;
		evbuffer_add_printf(conn_output(s->server), "%s\r\n",
		    s->helo_line);
		session_flush(s);
		return;
	}
	starttls_set_reply(p, 220, STARTTLS_READY);
	session_flush(s);
}

void
starttls_ehlo_reply(struct session *s)
{
	uint32_t	 ext;
	int		 i;

	s->up_starttls = 0;
	for (i = 1; i < s->reply.nlines; i++)
		if (policy_ehlo_keep(~(uint32_t)0,
		    smtp_reply_text(&s->reply, i), &ext) &&
		    ext == POLICY_EXT_STARTTLS)
			s->up_starttls = 1;
}

uint32_t
starttls_ehlo_mask(struct session *s, uint32_t allowed, int *add_r)
{
	return policy_ehlo_starttls(allowed, s->implicit_tls ?
	    POLICY_TLS_INSPECT : s->conf->tls_mode,
	    s->ctls != SESSION_LEG_PLAIN, add_r);
}

const char *
starttls_log(struct session *s, char *buf, size_t len)
{
	if (s->tls != SESSION_TLS_INSPECT)
		snprintf(buf, len, "tls=%s", starttls_names[s->tls]);
	else
		snprintf(buf, len, "tls=inspect tls_client=%s tls_upstream=%s",
		    s->tls_cdesc[0] != '\0' ? s->tls_cdesc : "none",
		    s->tls_sdesc[0] != '\0' ? s->tls_sdesc : "none");
	return buf;
}
