/*
 * The alarm table of SPEC §4.4. One row per enum alarm_id, in enum
 * order (t/check_alarm.c proves it): id, name, default action, level,
 * refusal reply code and enhanced status code (RFC 3463), and the reply
 * text that goes before "(smtp:NNN)".
 *
 * Where the table gives two refusals, the row holds the one for the
 * command dialog and the caller picks the other:
 *   smtp:217  500 5.5.2 for command/reply lines; header and body lines
 *             are refused 554 5.6.0 and default to log (a caller that
 *             reports a long header or body line uses ALARM_LOG unless
 *             the configuration sets the alarm's action).
 *   smtp:241  500 5.5.2 for commands; 554 5.6.0 in a message body.
 * Alarms that never refuse (smtp:249, smtp:252, smtp:253) have an empty
 * reply.
 */
#include "autoconf.h"

#include <stddef.h>
#include <strings.h>

#include "alarm.h"

const struct alarm_def alarm_table[ALARM_COUNT] = {
	{ ALARM_HEADER_INVALID_CHAR, "smtp:122", "header-invalid-char",
	    ALARM_LOG, "minor", "554 5.6.0", "Invalid character in header" },
	{ ALARM_PROTOCOL_OVERFLOW, "smtp:217", "protocol-overflow",
	    ALARM_BLOCK, "major", "500 5.5.2", "Line too long" },
	{ ALARM_EMPTY_LINE, "smtp:219", "empty-line",
	    ALARM_BLOCK, "minor", "500 5.5.2", "Empty command" },
	{ ALARM_COMMAND_NOT_SUPPORTED, "smtp:223", "command-not-supported",
	    ALARM_BLOCK, "minor", "502 5.5.1", "Command not permitted" },
	{ ALARM_SUBJECT_8BIT, "smtp:231", "subject-8bit",
	    ALARM_LOG, "minor", "554 5.6.0", "8-bit characters in Subject" },
	{ ALARM_BARE_LINE_ENDING, "smtp:241", "bare-line-ending",
	    ALARM_BLOCK, "major", "500 5.5.2", "Bare CR or LF" },
	{ ALARM_EARLY_TALKER, "smtp:242", "early-talker",
	    ALARM_LOG, "minor", "554 5.5.1", "Command sent before greeting" },
	{ ALARM_OUT_OF_SEQUENCE, "smtp:243", "out-of-sequence",
	    ALARM_BLOCK, "minor", "503 5.5.1", "Bad sequence of commands" },
	{ ALARM_TOO_MANY_RECIPIENTS, "smtp:244", "too-many-recipients",
	    ALARM_BLOCK, "minor", "452 4.5.3", "Too many recipients" },
	{ ALARM_MESSAGE_TOO_LARGE, "smtp:245", "message-too-large",
	    ALARM_BLOCK, "minor", "552 5.3.4", "Message too large" },
	{ ALARM_INVALID_REPLY, "smtp:246", "invalid-reply",
	    ALARM_CLOSE, "major", "421 4.4.0", "Invalid reply from upstream" },
	{ ALARM_MIME_LIMITS, "smtp:247", "mime-limits",
	    ALARM_BLOCK, "major", "554 5.6.0", "MIME structure over limits" },
	{ ALARM_ADDRESS_INVALID, "smtp:248", "address-invalid",
	    ALARM_BLOCK, "minor", "501 5.1.3", "Invalid address" },
	{ ALARM_TLS_PASSTHROUGH, "smtp:249", "tls-passthrough",
	    ALARM_LOG, "minor", "", "" },
	{ ALARM_FRAGMENTED_MESSAGE, "smtp:250", "fragmented-message",
	    ALARM_BLOCK, "major", "554 5.6.0",
	    "Fragmented message not allowed" },
	{ ALARM_PIPELINING_VIOLATION, "smtp:251", "pipelining-violation",
	    ALARM_BLOCK, "major", "554 5.5.0", "Pipelining violation" },
	{ ALARM_UNSCANNED, "smtp:252", "unscanned",
	    ALARM_LOG, "major", "", "" },
	{ ALARM_STARTTLS_INJECTION, "smtp:253", "starttls-injection",
	    ALARM_LOG, "major", "", "" },
	{ ALARM_TLS_UNAVAILABLE, "smtp:254", "tls-unavailable",
	    ALARM_BLOCK, "major", "454 4.7.0", "TLS not available" },
};

/* Indexed by enum alarm_action; there is no silent drop (SPEC §4.4). */
static const char *const alarm_actions[] = {
	"pass", "log", "block", "close"
};

#define ALARM_NACTIONS	(sizeof(alarm_actions) / sizeof(alarm_actions[0]))

/*
 * Match an id ("smtp:231") or a name ("subject-8bit"), ignoring case.
 * Returns the enum alarm_id, or -1 for NULL or an unknown string.
 */
int
alarm_lookup(const char *s)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ALARM_COUNT; i++)
		if (strcasecmp(s, alarm_table[i].ident) == 0 ||
		    strcasecmp(s, alarm_table[i].name) == 0)
			return i;
	return -1;
}

/* Name of an action, or NULL for a value outside enum alarm_action. */
const char *
alarm_action_name(enum alarm_action a)
{
	if ((int)a < 0 || (size_t)a >= ALARM_NACTIONS)
		return NULL;
	return alarm_actions[a];
}

/* The enum alarm_action named s (ignoring case), or -1. */
int
alarm_action_parse(const char *s)
{
	size_t	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < ALARM_NACTIONS; i++)
		if (strcasecmp(s, alarm_actions[i]) == 0)
			return (int)i;
	return -1;
}
