/*
 * Content inspection of one message (SPEC §3, §4.4, §4.5): the header
 * and MIME alarms of the streaming MIME parser, attachment names, and
 * true file types (also inside archives) from libclamav. The same code
 * serves live traffic and "smtpproxy -t".
 *
 * Life of a message: inspect_new() at DATA; inspect_data() with the
 * message text as it streams (on the event loop: parsing only, cheap);
 * inspect_end() at the end of data; inspect_scan() on a worker thread
 * when inspect_needs_scan() says so; inspect_verdict() back on the loop.
 */
#ifndef SMTPPROXY_INSPECT_H
#define SMTPPROXY_INSPECT_H

#include <sys/socket.h>

#include <stddef.h>

#include "alarm.h"

struct config;
struct inspect;
struct scan_engine;

/* Refusals that are not alarms: a file type or extension rule, a virus
 * (or an anti-virus failure answered per on_error). */
#define INSPECT_FILETYPE	(-1)
#define INSPECT_VIRUS		(-2)

enum inspect_verdict {
	INSPECT_ACCEPT,
	INSPECT_REJECT,		/* reply is a 5xx */
	INSPECT_TEMPFAIL,	/* reply is a 4xx: could not inspect */
	INSPECT_CLOSE		/* reply is a 421: an alarm says close */
};

/*
 * Does this configuration inspect content at all? False when every
 * content alarm is "pass" and file types are off: then no parser runs.
 */
int	inspect_wanted(const struct config *);
/*
 * Start inspecting a message. types is the engine for file types (NULL
 * when they are off); av the anti-virus engine with signatures (NULL
 * with the clamd backend or when anti-virus is off); scan_av says
 * whether this message is to be scanned for viruses (anti-virus on and
 * scan_local / scan_other for its destination). The configuration and
 * the engines are referenced for the life of the inspection, which may
 * outlive the session on a worker thread (a reload meanwhile frees
 * nothing it reads); inspect_free() drops them. NULL if out of memory.
 */
struct inspect	*inspect_new(struct config *, struct scan_engine *types,
		    struct scan_engine *av, int scan_av);
/*
 * Is mail to this destination scanned for viruses (antivirus enabled,
 * and scan_local or scan_other as dst is a local server or not)?
 */
int	inspect_av_wanted(const struct config *, const struct sockaddr *dst);
/* Message text (unstuffed, CRLF lines), in pieces. 0, or -1 (memory or
 * spool error: the verdict becomes a tempfail). */
int	inspect_data(struct inspect *, const char *text, size_t len);
/*
 * Message text in its wire form, as the data parser (data.c) writes it
 * with stuff set: a "." starting a line (*bol: at a line start, 1 before
 * the first call) is the dot-stuffing, taken off before inspect_data()
 * (RFC 5321 §4.5.2). The live path and -t both feed the inspection so.
 */
void	inspect_wire(struct inspect *, int *bol, const char *wire,
	    size_t len);
/*
 * The end of the message. header_bad: the header section as sent had a
 * NUL or a bare CR/LF that the text given to inspect_data() no longer
 * shows (struct data_parser's header_bad); it counts as smtp:122.
 */
void	inspect_end(struct inspect *, int header_bad);
/* Is there work for a worker thread (attachments to type)? */
int	inspect_needs_scan(const struct inspect *);
/* The blocking part; worker threads only. */
void	inspect_scan(struct inspect *);

/*
 * Called once per finding so the caller can log and count it: alarm is
 * an alarm_id with the action the verdict applies, or INSPECT_FILETYPE
 * for an attachment refused by the file type rules (or, with action
 * ALARM_PASS, for the reason of a tempfail).
 */
typedef void	(*inspect_report_fn)(void *arg, int alarm,
		    enum alarm_action, const char *detail);

/*
 * The verdict, after inspect_end() (and inspect_scan() if needed).
 * Reports every finding, then writes the reply for the client into
 * reply ("554 5.7.1 ...", without CRLF) unless the verdict is
 * INSPECT_ACCEPT.
 */
enum inspect_verdict inspect_verdict(struct inspect *, inspect_report_fn,
	    void *arg, char *reply, size_t replysz);
/* Free the inspection and drop its references. Accepts NULL. */
void	inspect_free(struct inspect *);

#endif
