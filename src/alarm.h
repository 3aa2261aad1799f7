/*
 * Protocol alarms (SPEC §4.4): one table of ids, names, default actions
 * and refusal replies. Pure: no I/O.
 */
#ifndef SMTPPROXY_ALARM_H
#define SMTPPROXY_ALARM_H

enum alarm_id {
	ALARM_HEADER_INVALID_CHAR,	/* smtp:122 */
	ALARM_PROTOCOL_OVERFLOW,	/* smtp:217 */
	ALARM_EMPTY_LINE,		/* smtp:219 */
	ALARM_COMMAND_NOT_SUPPORTED,	/* smtp:223 */
	ALARM_SUBJECT_8BIT,		/* smtp:231 */
	ALARM_BARE_LINE_ENDING,		/* smtp:241 */
	ALARM_EARLY_TALKER,		/* smtp:242 */
	ALARM_OUT_OF_SEQUENCE,		/* smtp:243 */
	ALARM_TOO_MANY_RECIPIENTS,	/* smtp:244 */
	ALARM_MESSAGE_TOO_LARGE,	/* smtp:245 */
	ALARM_INVALID_REPLY,		/* smtp:246 */
	ALARM_MIME_LIMITS,		/* smtp:247 */
	ALARM_ADDRESS_INVALID,		/* smtp:248 */
	ALARM_TLS_PASSTHROUGH,		/* smtp:249 */
	ALARM_FRAGMENTED_MESSAGE,	/* smtp:250 */
	ALARM_PIPELINING_VIOLATION,	/* smtp:251 */
	ALARM_UNSCANNED,		/* smtp:252 */
	ALARM_STARTTLS_INJECTION,	/* smtp:253 */
	ALARM_TLS_UNAVAILABLE,		/* smtp:254 */
	ALARM_COUNT
};

enum alarm_action {
	ALARM_PASS,	/* ignored, counted */
	ALARM_LOG,	/* logged and counted, traffic goes on */
	ALARM_BLOCK,	/* refused with an explicit reply, session goes on */
	ALARM_CLOSE	/* 421 4.7.0 and close */
};

struct alarm_def {
	enum alarm_id		 id;
	const char		*ident;		/* "smtp:231" */
	const char		*name;		/* "subject-8bit" */
	enum alarm_action	 action;	/* default */
	const char		*level;		/* "minor" / "major" */
	const char		*reply;		/* "554 5.6.0", "" if none */
	const char		*text;		/* reply text before "(id)" */
};

extern const struct alarm_def	alarm_table[ALARM_COUNT];

/* The alarm with this id ("smtp:231") or name ("subject-8bit"), or -1. */
int		 alarm_lookup(const char *);
/* "pass", "log", ... and back; -1 if unknown. */
const char	*alarm_action_name(enum alarm_action);
int		 alarm_action_parse(const char *);

#endif
