/*
 * Client commands: the checks every command line goes through before it
 * is forwarded or answered by the proxy (SPEC §3, §4.2-4.4), in this
 * order:
 *
 *   1. lines that arrived when the client had to wait (smtp:251, 242)
 *   2. line syntax: length (smtp:217), bare CR/LF/NUL (smtp:241), empty
 *      (smtp:219)
 *   3. the command policy: profile and allow list (smtp:223); XCLIENT
 *      and XFORWARD are never accepted from a client
 *   4. the dialog: order (smtp:243), paths (smtp:248), recipients
 *      (smtp:244), SIZE (smtp:245), extensions the EHLO reply did not
 *      offer (smtp:223)
 *
 * A check whose alarm is set to "pass" or "log" lets the command go on;
 * "block" answers it here; "close" ends the session with 421. Refusals
 * of commands a client should not send at all count towards
 * max_bad_commands; limit replies (too many recipients, message too
 * large) and pipelining refusals do not: a conforming client meets
 * them in normal operation.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alarm.h"
#include "config.h"
#include "log.h"
#include "policy.h"
#include "session_priv.h"
#include "smtp_cmd.h"
#include "smtp_line.h"

int
command_group_end(enum smtp_verb verb)
{
	switch (verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
	case SMTP_CMD_DATA:
	case SMTP_CMD_QUIT:
	case SMTP_CMD_STARTTLS:
	case SMTP_CMD_AUTH:
	case SMTP_CMD_BDAT:
		return 1;
	default:
		return 0;
	}
}

/* Refusals that say the client sends what it should not. */
static int
command_is_bad(enum alarm_id id)
{
	switch (id) {
	case ALARM_COMMAND_NOT_SUPPORTED:
	case ALARM_OUT_OF_SEQUENCE:
	case ALARM_ADDRESS_INVALID:
	case ALARM_EMPTY_LINE:
	case ALARM_PROTOCOL_OVERFLOW:
		return 1;
	default:
		return 0;
	}
}

/*
 * Refuse a command with an alarm's reply. The one refusal too many is
 * answered with the 421 instead, in command order: one reply per
 * command, and the session closes after it.
 */
static void
command_refuse(struct session *s, enum smtp_verb verb, enum alarm_id id)
{
	if (command_is_bad(id) &&
	    ++s->bad_commands > s->conf->max_bad_commands) {
		log_warnx("session=%016llx event=too-many-bad-commands "
		    "count=%d", (unsigned long long)s->id, s->bad_commands);
		session_quit(s, verb, "421 4.7.0", "Too many bad commands");
		return;
	}
	session_refuse(s, verb, id, NULL);
}

/* Bare CR, bare LF and NUL are never relayed: dropped from the line. */
static size_t
command_strip(char *line, size_t len)
{
	size_t	 i, o;

	for (i = o = 0; i < len; i++)
		if (line[i] != '\r' && line[i] != '\n' && line[i] != '\0')
			line[o++] = line[i];
	line[o] = '\0';
	return o;
}

/*
 * A line of an AUTH exchange (RFC 4954 §4): base64 or "*", not a
 * command, up to SESSION_AUTH_LINE bytes relayed whole. The line checks
 * of commands apply (smtp:241: a bare line end must not smuggle a line
 * of its own upstream). A line that cannot go as sent cancels the
 * exchange ("*"); the upstream's answer to that is the client's reply,
 * or, for a refusal, absorbed behind the proxy's own.
 */
static void
command_auth_line(struct session *s, char *line, size_t len, int lflags,
    size_t total)
{
	enum alarm_action	 act = ALARM_PASS;
	int			 flags = PENDING_GROUP_END;

	if (lflags & (SMTP_LINE_BARE_CR | SMTP_LINE_BARE_LF | SMTP_LINE_NUL)) {
		act = session_alarm(s, ALARM_BARE_LINE_ENDING,
		    "side=client state=auth");
		if (act == ALARM_CLOSE) {
			session_fail_alarm(s, "421 4.7.0",
			    ALARM_BARE_LINE_ENDING);
			return;
		}
		if (act == ALARM_BLOCK)
			flags |= PENDING_ABSORB;
		else
			len = command_strip(line, len);
	}
	if (session_pending_new(s, SMTP_CMD_AUTH, flags) == NULL) {
		session_close(s, "out of memory");
		return;
	}
	/* Never a truncated response: cancel the exchange instead. */
	if (act == ALARM_BLOCK || lflags & SMTP_LINE_OVERFLOW ||
	    total + 2 > SESSION_AUTH_LINE)
		session_upstream_send(s, "*", 1);
	else
		session_upstream_send(s, line, len);
	if (act == ALARM_BLOCK)
		session_refuse(s, SMTP_CMD_UNKNOWN, ALARM_BARE_LINE_ENDING,
		    NULL);
}

/*
 * Apply an alarm to a command: returns 1 if the command was answered
 * (refused, or the session closed), 0 if it goes on.
 */
static int
command_alarm(struct session *s, enum smtp_verb verb, enum alarm_id id,
    const char *detail)
{
	switch (session_alarm(s, id, detail)) {
	case ALARM_PASS:
	case ALARM_LOG:
		return 0;
	case ALARM_BLOCK:
		command_refuse(s, verb, id);
		return 1;
	case ALARM_CLOSE:
		/* After the replies still due, in order; nothing more read. */
		session_quit_alarm(s, verb, id);
		return 1;
	}
	return 1;
}

/* The reverse-path for the message log line, escaped, in brackets. */
static void
command_tx_from(struct session *s, const char *path, const struct smtp_cmd *cmd)
{
	char	 esc[SESSION_FROM_MAX - 2], from[SESSION_FROM_MAX];

	if (path != NULL)
		log_escape(esc, sizeof(esc), path, strlen(path));
	else
		log_escape(esc, sizeof(esc), cmd->args, cmd->argslen);
	snprintf(from, sizeof(from), "<%s>", esc);
	free(s->tx->from);
	s->tx->from = strdup(from);	/* NULL: logged as "" */
}

/*
 * MAIL and RCPT as relayed: "MAIL FROM:<path>[ params]", whatever
 * spacing, case or missing brackets the client used, so the upstream
 * reads the path the policy checked. Returns a string to free, or NULL.
 */
static char *
command_canonical(const struct smtp_cmd *cmd, const char *path,
    const char *params)
{
	const char	*end = cmd->args + cmd->argslen;
	char		*out;

	if (asprintf(&out, "%s:<%s>%s%.*s", cmd->verb == SMTP_CMD_MAIL ?
	    "MAIL FROM" : "RCPT TO", path, *params != '\0' ? " " : "",
	    *params != '\0' ? (int)(end - params) : 0, params) == -1)
		return NULL;
	return out;
}

/*
 * Order of the dialog as the client sends it (RFC 5321 §4.1.4): the
 * transaction exists from the MAIL command on, so pipelined RCPT and
 * DATA after it are in sequence before their replies are in.
 */
static int
command_in_sequence(struct session *s, enum smtp_verb verb)
{
	/* RFC 3207 §4.2: after the TLS handshake, EHLO comes first. */
	if (s->need_ehlo && (verb == SMTP_CMD_MAIL || verb == SMTP_CMD_RCPT ||
	    verb == SMTP_CMD_DATA || verb == SMTP_CMD_BDAT))
		return 0;
	switch (verb) {
	case SMTP_CMD_MAIL:
		return s->tx == NULL;
	case SMTP_CMD_RCPT:
		return s->tx != NULL;
	case SMTP_CMD_DATA:
	case SMTP_CMD_BDAT:
		return s->tx != NULL && s->tx->rcpts_sent > 0;
	default:
		return 1;
	}
}

/*
 * MAIL and RCPT: the path (smtp:248), the extensions its parameters use
 * (smtp:223), SIZE (smtp:245), the recipient count (smtp:244). Returns
 * 1 if the command was answered here.
 */
static int
command_path(struct session *s, const struct smtp_cmd *cmd, char *path,
    size_t pathsz, int *pathok_r, const char **params_r)
{
	const struct config	*conf = s->conf;
	const char		*params = "", *errstr;
	char			 detail[128], val[32];
	uint64_t		 size;
	uint32_t		 needs;
	int			 mail = cmd->verb == SMTP_CMD_MAIL;

	*pathok_r = smtp_cmd_path(cmd->args, cmd->argslen,
	    mail ? "FROM:" : "TO:", conf->limits.address,
	    (s->offered & POLICY_EXT_SMTPUTF8) != 0, path, pathsz, &params,
	    &errstr) == 0;
	if (!*pathok_r) {
		snprintf(detail, sizeof(detail), "command=%s reason=\"%s\"",
		    smtp_cmd_name(cmd->verb), errstr);
		if (command_alarm(s, cmd->verb, ALARM_ADDRESS_INVALID, detail))
			return 1;
		params = "";
	}
	needs = policy_cmd_needs(cmd, params);
	if (conf->extensions_enabled && (needs & ~s->offered) != 0) {
		snprintf(detail, sizeof(detail), "command=%s reason=\"parameter"
		    " of an extension not offered\"", smtp_cmd_name(cmd->verb));
		if (command_alarm(s, cmd->verb, ALARM_COMMAND_NOT_SUPPORTED,
		    detail))
			return 1;
	}
	if (mail && smtp_cmd_param(params, "SIZE", val, sizeof(val)) &&
	    sscanf(val, "%" SCNu64, &size) == 1 &&
	    size > conf->limits.message_size) {
		snprintf(detail, sizeof(detail), "size=%" PRIu64 " limit=%"
		    PRIu64, size, conf->limits.message_size);
		if (command_alarm(s, cmd->verb, ALARM_MESSAGE_TOO_LARGE,
		    detail))
			return 1;
	}
	if (!mail && s->tx != NULL &&
	    s->tx->rcpts_sent >= conf->limits.recipients) {
		snprintf(detail, sizeof(detail), "limit=%zu",
		    conf->limits.recipients);
		if (command_alarm(s, cmd->verb, ALARM_TOO_MANY_RECIPIENTS,
		    detail))
			return 1;
	}
	*params_r = params;
	return 0;
}

void
command_line(struct session *s, char *line, size_t len, int lflags,
    size_t total)
{
	const struct config	*conf = s->conf;
	struct smtp_cmd		 cmd;
	const char		*errstr;
	char			 esc[80], detail[96], path[512];
	char			*canon = NULL;
	const char		*params;
	size_t			 limit;
	int			 pathok = 0;

	if (s->line_early && s->early_alarm != -1) {
		/* Sent before a reply the client had to wait for. */
		session_refuse(s, SMTP_CMD_UNKNOWN, s->early_alarm, NULL);
		return;
	}
	if (s->state == SESSION_REFUSED) {
		if (smtp_cmd_parse(line, len, &cmd, &errstr) == 0 &&
		    cmd.verb == SMTP_CMD_QUIT)
			session_local(s, SMTP_CMD_QUIT, PENDING_CLOSE,
			    "221 2.0.0 Bye");
		else
			session_local(s, SMTP_CMD_UNKNOWN, 0,
			    "503 5.5.1 Session refused");
		return;
	}
	if (s->state == SESSION_AUTH) {
		command_auth_line(s, line, len, lflags, total);
		return;
	}

	/*
	 * RFC 5321 §4.5.3.1.4: 512 octets with the CRLF; an AUTH command
	 * with its initial response may take RFC 4954's 12288.
	 */
	limit = conf->limits.command_line;
	if (len >= 5 && strncasecmp(line, "AUTH ", 5) == 0 &&
	    limit < SESSION_AUTH_LINE)
		limit = SESSION_AUTH_LINE;
	if (lflags & SMTP_LINE_OVERFLOW || total + 2 > limit) {
		if (command_alarm(s, SMTP_CMD_UNKNOWN, ALARM_PROTOCOL_OVERFLOW,
		    "side=client"))
			return;
		if (lflags & SMTP_LINE_OVERFLOW) {
			/* Over even the pass/log ceiling: not kept whole. */
			command_refuse(s, SMTP_CMD_UNKNOWN,
			    ALARM_PROTOCOL_OVERFLOW);
			return;
		}
	}
	if (lflags & (SMTP_LINE_BARE_CR | SMTP_LINE_BARE_LF | SMTP_LINE_NUL)) {
		if (command_alarm(s, SMTP_CMD_UNKNOWN, ALARM_BARE_LINE_ENDING,
		    "side=client"))
			return;
		len = command_strip(line, len);
	}
	if (len == 0) {
		if (command_alarm(s, SMTP_CMD_UNKNOWN, ALARM_EMPTY_LINE,
		    "side=client"))
			return;
		/* Let through: not a command, the upstream answers it. */
		session_forward(s, SMTP_CMD_UNKNOWN, line, len, 0);
		return;
	}

	if (smtp_cmd_parse(line, len, &cmd, &errstr) == -1) {
		cmd.verb = SMTP_CMD_UNKNOWN;
		cmd.args = "";
		cmd.argslen = 0;
		snprintf(cmd.name, sizeof(cmd.name), "?");
	}
	/* AUTH arguments are credentials: not even in a debug log. */
	log_debug("session=%016llx command=\"%s\"", (unsigned long long)s->id,
	    log_escape(esc, sizeof(esc), line,
	    cmd.verb == SMTP_CMD_AUTH ? 4 : len));

	snprintf(detail, sizeof(detail), "command=%s",
	    log_escape(esc, sizeof(esc), cmd.name, strlen(cmd.name)));
	if (cmd.verb == SMTP_CMD_XCLIENT || cmd.verb == SMTP_CMD_XFORWARD) {
		/* Only a trusted proxy may say who the client is: never. */
		session_alarm(s, ALARM_COMMAND_NOT_SUPPORTED, detail);
		command_refuse(s, cmd.verb, ALARM_COMMAND_NOT_SUPPORTED);
		return;
	}
	if (conf->commands_enabled &&
	    !policy_command_allowed(conf->commands_mask, cmd.verb) &&
	    command_alarm(s, cmd.verb, ALARM_COMMAND_NOT_SUPPORTED, detail))
		return;
	if (!command_in_sequence(s, cmd.verb) &&
	    command_alarm(s, cmd.verb, ALARM_OUT_OF_SEQUENCE, detail))
		return;
	if (conf->extensions_enabled && cmd.verb != SMTP_CMD_MAIL &&
	    cmd.verb != SMTP_CMD_RCPT &&
	    (policy_cmd_needs(&cmd, "") & ~s->offered) != 0 &&
	    command_alarm(s, cmd.verb, ALARM_COMMAND_NOT_SUPPORTED,
	    "reason=\"extension not offered\""))
		return;

	switch (cmd.verb) {
	case SMTP_CMD_HELO:
	case SMTP_CMD_EHLO:
		free(s->helo_line);
		s->helo_line = strndup(line, len);
		log_escape(s->helo, sizeof(s->helo), cmd.args, cmd.argslen);
		break;
	case SMTP_CMD_MAIL:
		if (command_path(s, &cmd, path, sizeof(path), &pathok,
		    &params))
			return;
		if (tx_new(s) == NULL) {
			session_close(s, "out of memory");
			return;
		}
		command_tx_from(s, pathok ? path : NULL, &cmd);
		if (pathok && (canon = command_canonical(&cmd, path, params)) == NULL) {
			session_close(s, "out of memory");
			return;
		}
		break;
	case SMTP_CMD_RCPT:
		if (command_path(s, &cmd, path, sizeof(path), &pathok,
		    &params))
			return;
		if (s->tx != NULL)
			s->tx->rcpts_sent++;
		if (pathok && (canon = command_canonical(&cmd, path, params)) == NULL) {
			session_close(s, "out of memory");
			return;
		}
		break;
	case SMTP_CMD_RSET:
		/* Pipelined commands after RSET start afresh. */
		tx_free(s);
		break;
	case SMTP_CMD_STARTTLS:
		if (starttls_command(s))
			return;
		break;
	case SMTP_CMD_QUIT:
		/* No upstream left (a refused message): nothing to ask. */
		if (s->upstream == UPSTREAM_NONE) {
			session_local(s, SMTP_CMD_QUIT, PENDING_CLOSE,
			    "221 2.0.0 Bye");
			return;
		}
		break;
	default:
		break;
	}
	if (canon != NULL) {
		line = canon;
		len = strlen(canon);
	}
	session_forward(s, cmd.verb, line, len,
	    command_group_end(cmd.verb) ? PENDING_GROUP_END : 0);
	free(canon);
}
