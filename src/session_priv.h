/*
 * Internals of the session, shared by session.c (connections, reply
 * queue, upstream), command.c (client commands and their policy) and
 * tx.c (the transaction: message body and verdict). Nothing else
 * includes this file.
 */
#ifndef SMTPPROXY_SESSION_PRIV_H
#define SMTPPROXY_SESSION_PRIV_H

#include <sys/queue.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "alarm.h"
#include "deadline.h"
#include "data.h"
#include "smtp_cmd.h"
#include "smtp_line.h"
#include "smtp_reply.h"

struct conn;
struct evbuffer;
struct event;
struct event_base;
struct scan_engine;
struct tls;
struct worker_pool;

#define SESSION_HIWAT		(256 * 1024)	/* stop reading the other side */
#define SESSION_LOWAT		(64 * 1024)	/* resume below this */
#define SESSION_INPUT_MAX	(64 * 1024)	/* command input read-ahead */
#define SESSION_LONGLINE	(64 * 1024)	/* kept whole when 217 is not
						   blocking */
#define SESSION_FLUSH_TIMEOUT	10		/* seconds to write a last reply */
#define SESSION_AUTH_LINE	12288		/* RFC 4954 §4: an AUTH line */
#define SESSION_FROM_MAX	512		/* the reverse-path logged */
/*
 * Outstanding replies (commands parsed, reply not yet written to the
 * client): over the per-session bound, or over the process-wide one
 * while this session has any, the client is not read until they drain.
 */
#define SESSION_PENDING_MAX	256
#define SESSION_PENDING_TOTAL	65536

enum session_state {
	SESSION_GREETING,	/* waiting for the upstream greeting */
	SESSION_HELO,		/* waiting for HELO/EHLO */
	SESSION_READY,		/* no transaction */
	SESSION_MAIL,		/* MAIL accepted */
	SESSION_RCPT,		/* a RCPT accepted */
	SESSION_BODY,		/* after 354: message body */
	SESSION_AUTH,		/* after 334: an AUTH exchange line */
	SESSION_TUNNEL,		/* after STARTTLS 220: bytes relayed as is */
	SESSION_REFUSED,	/* everything answered locally (loop) */
	SESSION_CLOSING,	/* last reply being written */
	SESSION_STATE_COUNT
};


enum upstream_state {
	UPSTREAM_NONE,		/* not connected (after an abort) */
	UPSTREAM_CONNECTING,
	UPSTREAM_REPLAY,	/* greeting and replayed EHLO being absorbed */
	UPSTREAM_READY
};

#define PENDING_DONE		0x01	/* reply complete */
#define PENDING_LOCAL		0x02	/* answered by the proxy */
#define PENDING_GROUP_END	0x04	/* nothing parsed until its reply */
#define PENDING_ABSORB		0x08	/* reply not for the client */
#define PENDING_GREETING	0x10
#define PENDING_EOD		0x20	/* end of data */
#define PENDING_CLOSE		0x40	/* close after this reply */
#define PENDING_VERDICT		0x80	/* end of data held for a scan */
#define PENDING_STARTTLS	0x100	/* the proxy's 220 to STARTTLS: the
					   client's handshake follows it */

/* What the session's TLS is (the log's tls=), set by starttls_mode(). */
enum session_tls {
	SESSION_TLS_NONE,
	SESSION_TLS_PASSTHROUGH,
	SESSION_TLS_INSPECT
};

/* One leg of an inspected session. */
enum session_leg {
	SESSION_LEG_PLAIN,
	SESSION_LEG_HANDSHAKE,
	SESSION_LEG_TLS
};

struct pending {
	TAILQ_ENTRY(pending)	 entry;
	enum smtp_verb		 verb;
	int			 flags;
	int			 code;
	uint64_t		 tx_seq;	/* transaction it was sent in */
	struct evbuffer		*reply;		/* complete reply, CRLFs */
};
TAILQ_HEAD(pending_queue, pending);

/* One transaction: MAIL to the end of data (or RSET). */
struct tx {
	uint64_t		 seq;		/* per session, from 1 */
	char			*from;		/* "<path>" escaped, for the log;
						   NULL out of memory */
	int			 rcpts;		/* accepted by the upstream */
	size_t			 rcpts_sent;	/* RCPT commands forwarded */
	struct data_parser	 data;
	struct inspect		*ins;		/* content inspection, or NULL */
	int			 bol;		/* next wire byte starts a line */
	int			 ins_failed;	/* inspection could not start */
	int			 too_large;	/* action taken on a body over
						   message_size, 0 if none */
	int			 size_alarm;	/* smtp:245 raised for it */
};

struct session {
	TAILQ_ENTRY(session)	 entry;		/* the worker's sessions */
	LIST_ENTRY(session)	 hentry;	/* its table by id */
	uint64_t		 id;
	struct config		*conf;
	struct event_base	*base;
	enum session_state	 state;
	time_t			 started;

	struct sockaddr_storage	 client_ss, dst_ss;
	char			 client_text[64], dst_text[64], up_text[64];

	struct conn	*client;
	struct conn	*server;
	enum upstream_state	 upstream;
	struct evbuffer		*upq;		/* commands waiting for READY */
	struct evbuffer		*discard;	/* a refused body's bytes */

	struct smtp_line	 cline;		/* client command lines */
	struct smtp_line	 sline;		/* upstream reply lines */
	struct smtp_reply	 reply;
	struct pending_queue	 pending;
	int			 npending;	/* entries in pending */
	int			 waiting;	/* group-ending entries queued */
	int			 quitting;	/* a closing reply is queued: parse
						   nothing more */
	const char		*quit_reason;	/* logged when it goes out */
	size_t			 early;		/* bytes sent too early */
	int			 early_alarm;	/* -1, or refuse those lines */
	int			 line_fresh;	/* next byte starts a line */
	int			 line_early;	/* this line began too early */
	int			 replay;	/* absorb greeting and EHLO */
	int			 processing;	/* in session_process() */
	int			 early_talker;	/* action of smtp:242, or -1 */
	struct event		*ev_free;
	/*
	 * Dialog deadlines (timeouts.*): each bounds a whole command, body
	 * block or reply, not the gap between two bytes. Re-armed only
	 * when what is awaited changes or progress is made (a complete
	 * line or reply, body bytes consumed), never by a partial line.
	 */
	struct deadline		 ctimer, stimer;
	int			 ctimer_sec, stimer_sec;	/* armed, 0: off */
	uint64_t		 ctimer_at, stimer_at;	/* progress then */
	uint64_t		 cprogress;	/* lines, body chunks */
	uint64_t		 sprogress;	/* complete replies */

	uint32_t		 offered;	/* POLICY_EXT_* the client saw */
	char			*helo_line;	/* to replay on a new upstream */
	char			 helo[128];	/* for the log */
	struct tx		*tx;
	uint64_t		 tx_seq;	/* of the last transaction */
	int			 messages;
	int			 bad_commands;
	int			 closing;
	const char		*close_reason;

	/*
	 * TLS (starttls.c). ctls_t and stls_t belong to the conns (freed
	 * with them) and are valid while s->client / s->server are.
	 */
	enum session_tls	 tls;
	enum session_leg	 ctls, stls;	/* client's, upstream's leg */
	struct tls		*ctls_t, *stls_t;
	int			 stls_want;	/* redo STARTTLS on reconnect */
	int			 stls_failed;	/* implicit TLS: no more tries */
	int			 up_starttls;	/* last EHLO reply offered it */
	int			 need_ehlo;	/* TLS restart, no EHLO yet */
	int			 implicit_tls;	/* TLS from the connect on */
	char			 tls_cdesc[80], tls_sdesc[80];
	char			 tls_err[300];	/* the close reason */
};

/* session.c, for command.c and tx.c */
/*
 * A broken invariant of the session (a callback in a state it cannot
 * run in, a side used after it was dropped): fatal in debug builds, the
 * session closed otherwise. Never a wild pointer.
 */
#define SESSION_ASSERT(s, cond)						\
	((cond) ? (void)0 : session_invariant((s), #cond, __func__, __LINE__))
void	session_invariant(struct session *, const char *, const char *, int);
/*
 * Queue a reply made by the proxy after which the session closes
 * (a 421): nothing the client sent after it is parsed.
 */
void	session_quit(struct session *, enum smtp_verb, const char *code,
	    const char *reason);
/* The same for an alarm whose action is "close": the reply names it. */
void	session_quit_alarm(struct session *, enum smtp_verb, enum alarm_id);
/* The transaction p was sent in, if it is still the current one. */
struct tx *session_tx_of(struct session *, const struct pending *);
/* Bytes waiting to go upstream (its output and the reconnect queue). */
size_t	session_upstream_queued(struct session *);
void	session_set_state(struct session *, enum session_state);
enum alarm_action session_alarm(struct session *, enum alarm_id,
	    const char *detail);
/* Queue a reply made by the proxy, in command order ("CODE X.Y.Z text"). */
void	session_local(struct session *, enum smtp_verb, int flags,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The refusal of an alarm: "<code> <text> (<id>)"; code NULL: the table's. */
void	session_refuse(struct session *, enum smtp_verb, enum alarm_id,
	    const char *code);
/* Send a command upstream (connecting again if needed), its reply queued. */
void	session_forward(struct session *, enum smtp_verb, const char *line,
	    size_t len, int flags);
/* Send a line upstream without a reply slot of its own. */
void	session_upstream_send(struct session *, const char *, size_t);
struct pending *session_pending_new(struct session *, enum smtp_verb, int);
/* Log and count an alarm with the action applied to it. */
void	session_alarm_log(struct session *, enum alarm_id, enum alarm_action,
	    const char *detail);
void	session_fail(struct session *, const char *code, const char *reason);
void	session_fail_alarm(struct session *, const char *code, enum alarm_id);
void	session_close(struct session *, const char *reason);
/*
 * Drop the upstream without ending a message; replies it still owed
 * become local 451s. The next command that needs it reconnects.
 */
void	session_abort_upstream(struct session *);
/* Arm both sides' timeouts for what the dialog waits for now. */
void	session_timeouts(struct session *);
/* Write the complete replies at the head of the queue, then parse on. */
void	session_flush(struct session *);
/*
 * The open session of this worker with this id, or NULL (it may be
 * closing): a hash look-up.
 */
struct session *session_find(uint64_t id);
/* Set by session_set_scanning(); NULL when not configured. */
struct worker_pool *session_worker_pool(void);
struct scan_engine *session_type_engine(void);
struct scan_engine *session_av_engine(void);
/* Relay mode: where every session connects (session_set_upstream()). */
const struct sockaddr *session_relay_addr(void);

/* tx.c */
/* Start a transaction at MAIL (ending any other); NULL: out of memory. */
struct tx *tx_new(struct session *);
/* End the transaction, if any: s->tx is freed and set to NULL. */
void	tx_free(struct session *);
/* After the 354: start the content inspection if the policy wants one. */
void	tx_body_start(struct session *);
/*
 * Body bytes from the client's input, rebuilt and streamed upstream
 * with backpressure; at the end of data the terminator is held for the
 * verdict. Returns 0, or -1 if the session was closed.
 */
int	tx_body(struct session *, struct evbuffer *in);
/* The summary line of a message whose end-of-data reply goes out. */
void	tx_log_message(struct session *, struct pending *);
/* The same for a message whose reply was lost after the terminator. */
void	tx_log_uncertain(struct session *, const char *reason);

/* starttls.c: STARTTLS and TLS in the dialog (SPEC §4.7) */
/*
 * The one place where a session's TLS mode is decided (logged as tls=):
 * passthrough when the upstream's 220 to STARTTLS is relayed, inspect
 * when the client's leg is in TLS.
 */
void	starttls_mode(struct session *, enum session_tls);
/* A client's STARTTLS: 1 if answered here (inspect), 0 to forward it. */
int	starttls_command(struct session *);
/*
 * Bytes that came after STARTTLS (side "client") or after its 220
 * (side "upstream") before the handshake: discarded (smtp:253).
 * Returns the alarm's action.
 */
enum alarm_action starttls_discard(struct session *, struct evbuffer *,
	    const char *side);
/* The upstream's reply to a STARTTLS the proxy sent for the client. */
void	starttls_upstream_reply(struct session *, struct pending *);
/*
 * In the replay of a reconnect: the reply p of the replayed EHLO, or
 * the 220 to STARTTLS: 1 if STARTTLS is redone first (then the replay
 * goes on from starttls), 0 to carry on.
 */
int	starttls_replay(struct session *, struct pending *);
/*
 * Implicit TLS: the reply p to the client's EHLO offers STARTTLS and the
 * upstream leg is to be encrypted: p is absorbed, STARTTLS, the
 * handshake and EHLO again run first, and the client gets the reply to
 * that EHLO. 1 if so (or if the session failed), 0 to go on with p.
 */
int	starttls_upstream_first(struct session *, struct pending *);
/* The proxy's 220 went out: the client's handshake starts. */
void	starttls_reply_sent(struct session *);
/* CONN_EVENT_TLS on either side. */
void	starttls_client_event(struct session *, short);
void	starttls_server_event(struct session *, short);
/* A 250 reply to EHLO is in s->reply: did the upstream offer STARTTLS? */
void	starttls_ehlo_reply(struct session *);
/* The EHLO reply the client sees: allowed mask, STARTTLS to add. */
uint32_t starttls_ehlo_mask(struct session *, uint32_t allowed, int *add_r);
/* Implicit TLS: the handshake starts at once. -1 when out of memory. */
int	starttls_implicit(struct session *);
/* "tls=inspect tls_client=... tls_upstream=..." for the close line. */
const char *starttls_log(struct session *, char *, size_t);

/* command.c */
/*
 * One complete command line from the client (without CRLF; line is
 * writable and NUL-terminated at len). lflags and total come from the
 * line reader. Applies the command policy, then answers locally or
 * forwards.
 */
void	command_line(struct session *, char *line, size_t len, int lflags,
	    size_t total);
/* RFC 2920 §3.1: commands after which the client must wait. */
int	command_group_end(enum smtp_verb);

#endif
