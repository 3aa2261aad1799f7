/*
 * SMTP command parser (RFC 5321 §4.1): pure, no I/O.
 */
#ifndef SMTPPROXY_SMTP_CMD_H
#define SMTPPROXY_SMTP_CMD_H

#include <stddef.h>

/* Order matters: smtp_cmd_names[] in smtp_cmd.c follows it. */
enum smtp_verb {
	SMTP_CMD_UNKNOWN = 0,
	SMTP_CMD_HELO,
	SMTP_CMD_EHLO,
	SMTP_CMD_MAIL,
	SMTP_CMD_RCPT,
	SMTP_CMD_DATA,
	SMTP_CMD_RSET,
	SMTP_CMD_NOOP,
	SMTP_CMD_QUIT,
	SMTP_CMD_VRFY,
	SMTP_CMD_EXPN,
	SMTP_CMD_HELP,
	SMTP_CMD_STARTTLS,
	SMTP_CMD_AUTH,
	SMTP_CMD_BDAT,
	SMTP_CMD_TURN,
	SMTP_CMD_ETRN,
	SMTP_CMD_XCLIENT,
	SMTP_CMD_XFORWARD,
	SMTP_CMD_COUNT
};

struct smtp_cmd {
	enum smtp_verb	 verb;
	char		 name[16];	/* verb as sent, upper-cased, truncated */
	const char	*args;		/* after the verb and one SP, or "" */
	size_t		 argslen;
};

/*
 * Split a complete command line (without CRLF) into verb and arguments.
 * The verb is case-insensitive. Returns 0, or -1 with *errstr_r set for
 * an empty line or a verb that is not 1-15 letters followed by SP or the
 * end of the line. An unknown but well-formed verb returns 0 with
 * SMTP_CMD_UNKNOWN. args points into line.
 */
int	smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *,
	    const char **errstr_r);
/* Upper-case name of a verb, "UNKNOWN" for SMTP_CMD_UNKNOWN. */
const char *smtp_cmd_name(enum smtp_verb);

/*
 * MAIL FROM / RCPT TO arguments: "FROM:<path> [params]" (RFC 5321
 * §4.1.2; one space after the colon is tolerated, as many clients send
 * it, and so is a Mailbox without the angle brackets, ending at SP). prefix is "FROM:" or "TO:". On success fills path (without the
 * angle brackets, NUL-terminated, at most pathsz - 1 bytes) and points
 * *params_r at the ESMTP parameters (possibly ""). Returns 0, or -1 with
 * *errstr_r for a missing prefix, an unclosed bracket, a path longer than
 * maxpath bytes, or characters outside RFC 5321 Mailbox syntax
 * (controls, SP, 8-bit unless smtputf8 is set).
 */
int	smtp_cmd_path(const char *args, size_t argslen, const char *prefix,
	    size_t maxpath, int smtputf8, char *path, size_t pathsz,
	    const char **params_r, const char **errstr_r);

/*
 * Find ESMTP parameter name (case-insensitive) in params, e.g. "SIZE".
 * Returns 1 and the value (after '=', up to the next SP, NUL-terminated
 * into val) if present, 0 if absent.
 */
int	smtp_cmd_param(const char *params, const char *name, char *val,
	    size_t valsz);

#endif
