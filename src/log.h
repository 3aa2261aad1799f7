/*
 * Logging: one line per event, key=value, to syslog (facility mail by
 * default) or to stderr in the foreground. The log functions may be
 * called from any thread; log_init() once, before threads start.
 */
#ifndef SMTPPROXY_LOG_H
#define SMTPPROXY_LOG_H

#include <stddef.h>

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_WARNING,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG
};

/* Start logging; foreground logs to stderr, otherwise syslog(facility). */
void	log_init(int foreground, int facility);
/* Messages above level are dropped; -v raises it at run time. */
void	log_setlevel(int level);
int	log_getlevel(void);
/* Name of a level ("error", ...), or -1 from log_level_parse() if unknown. */
int	log_level_parse(const char *);
/* syslog facility number of "mail", "local0", ..., or -1. */
int	log_facility_parse(const char *);

void	log_error(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
/* Start-up errors and broken invariants only: log and exit(1). */
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

/*
 * Escape a peer-supplied string for a log line: printable ASCII except
 * '"' and '\\' is kept, everything else becomes \xNN. The result is
 * always NUL-terminated and truncated to fit; returns dst.
 */
char	*log_escape(char *dst, size_t dstsz, const char *src, size_t srclen);

#endif
