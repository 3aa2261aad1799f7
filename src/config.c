/*
 * Configuration: the libconfuse option tables, the validators that run
 * while the file is parsed, and the compilation of the parsed tree into
 * the immutable struct config of config.h.
 *
 * Error reporting. libconfuse gives a value callback the section being
 * parsed, whose line is that of the value, but keeps no line per option
 * afterwards. So every value is checked in its parse callback, where
 * the line is known; a callback that finds an error reports it and
 * returns success, so that parsing goes on and every bad value in the
 * file is reported in one run. Only what libconfuse itself rejects (a
 * syntax error, an unknown key, a duplicate section title) stops the
 * parse, and a string, comment or brace left open, which is found
 * before (config_prepare()). Checks that involve several keys run after
 * the parse and use the lines the callbacks recorded.
 *
 * libconfuse keeps its lexer in globals: config_load() is not
 * reentrant and runs on the main thread only (start-up and SIGHUP).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>

#include <confuse.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "access.h"
#include "alarm.h"
#include "config.h"
#include "config_parse.h"
#include "filetype.h"
#include "log.h"
#include "policy.h"

#define CONFIG_ROOT		"root"	/* libconfuse's name of the top level */

/* The C type of the struct config field a number is stored in. */
enum config_ctype {
	CONFIG_CT_INT,
	CONFIG_CT_SIZE,
	CONFIG_CT_U64
};

/*
 * Semantics of a numeric key: its syntax, its range and where it goes.
 * The default is in the libconfuse table below. Every CFG_INT_CB with
 * config_cb_number must have a row here.
 */
struct config_num {
	const char		*section;
	const char		*name;
	enum config_parse_kind	 kind;
	long			 min;
	long			 max;
	const char		*why;	/* reason for min, or NULL */
	size_t			 off;
	enum config_ctype	 ctype;
};

#define NUM_INT(f)	offsetof(struct config, f), CONFIG_CT_INT
#define NUM_SIZE(f)	offsetof(struct config, f), CONFIG_CT_SIZE
#define NUM_U64(f)	offsetof(struct config, f), CONFIG_CT_U64

#define KIB		1024L
#define MIB		(1024L * KIB)
#define GIB		(1024L * MIB)
#define DAY		(24 * 3600L)

static const struct config_num config_nums[] = {
	{ CONFIG_ROOT, "max_sessions", CONFIG_PARSE_COUNT, 1, 1000000, NULL,
	    NUM_INT(max_sessions) },
	{ CONFIG_ROOT, "max_sessions_per_client", CONFIG_PARSE_COUNT, 1,
	    1000000, NULL, NUM_INT(max_sessions_per_client) },
	{ CONFIG_ROOT, "max_bad_commands", CONFIG_PARSE_COUNT, 1, 1000000, NULL,
	    NUM_INT(max_bad_commands) },
	{ CONFIG_ROOT, "shutdown_grace", CONFIG_PARSE_DURATION, 0, DAY, NULL,
	    NUM_INT(shutdown_grace) },

	{ "timeouts", "connect", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.connect) },
	{ "timeouts", "greeting", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.greeting) },
	{ "timeouts", "command", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.command) },
	{ "timeouts", "reply", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.reply) },
	{ "timeouts", "data_block", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.data_block) },
	{ "timeouts", "data_end", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.data_end) },
	{ "timeouts", "idle", CONFIG_PARSE_DURATION, 1, DAY, NULL,
	    NUM_INT(timeouts.idle) },

	/*
	 * The minimums are the sizes RFC 5321 §4.5.3.1 and RFC 5322 §2.1.1
	 * require every implementation to accept: a smaller limit would
	 * refuse or flag conforming mail.
	 */
	{ "limits", "command_line", CONFIG_PARSE_SIZE, 512, 64 * KIB,
	    "RFC 5321 section 4.5.3.1.4", NUM_SIZE(limits.command_line) },
	{ "limits", "reply_line", CONFIG_PARSE_SIZE, 512, 64 * KIB,
	    "RFC 5321 section 4.5.3.1.5", NUM_SIZE(limits.reply_line) },
	{ "limits", "header_line", CONFIG_PARSE_SIZE, 998, MIB,
	    "RFC 5322 section 2.1.1", NUM_SIZE(limits.header_line) },
	{ "limits", "text_line", CONFIG_PARSE_SIZE, 1000, MIB,
	    "RFC 5321 section 4.5.3.1.6", NUM_SIZE(limits.text_line) },
	{ "limits", "recipients", CONFIG_PARSE_COUNT, 1, 1000000, NULL,
	    NUM_SIZE(limits.recipients) },
	{ "limits", "message_size", CONFIG_PARSE_SIZE, KIB, 1024 * GIB, NULL,
	    NUM_U64(limits.message_size) },
	{ "limits", "address", CONFIG_PARSE_SIZE, 256, 4 * KIB,
	    "RFC 5321 section 4.5.3.1.3", NUM_SIZE(limits.address) },
	{ "limits", "mime_depth", CONFIG_PARSE_COUNT, 1, 1000, NULL,
	    NUM_SIZE(limits.mime_depth) },
	{ "limits", "mime_parts", CONFIG_PARSE_COUNT, 1, 1000000, NULL,
	    NUM_SIZE(limits.mime_parts) },

	{ "antivirus", "max_size", CONFIG_PARSE_SIZE, 1, 1024 * GIB, NULL,
	    NUM_U64(av_max_size) },
	{ "antivirus", "threads", CONFIG_PARSE_COUNT, 1, 64, NULL,
	    NUM_INT(av_threads) },
};

/* String keys that name one of a fixed set of values. */
struct config_enum {
	const char	*section;
	const char	*name;
	int		(*parse)(const char *);	/* value, or -1 */
	const char	*choices;		/* for the error message */
};

static int	config_mode_parse(const char *);
static int	config_banner_parse(const char *);
static int	config_access_parse(const char *);
static int	config_av_backend_parse(const char *);
static int	config_av_on_error_parse(const char *);

static const struct config_enum config_enums[] = {
	{ CONFIG_ROOT, "mode", config_mode_parse, "transparent or relay" },
	{ CONFIG_ROOT, "log_level", log_level_parse,
	    "error, warning, info or debug" },
	{ CONFIG_ROOT, "syslog_facility", log_facility_parse,
	    "mail, daemon, user or local0 to local7" },
	{ "alarm", "action", alarm_action_parse, "pass, log, block or close" },
	{ "commands", "profile", policy_profile_parse,
	    "esmtp, mailguard or custom" },
	{ "banner", "mode", config_banner_parse, "pass, mask or replace" },
	{ "access", "default", config_access_parse, "accept or deny" },
	{ "rule", "action", config_access_parse, "accept or deny" },
	{ "antivirus", "backend", config_av_backend_parse,
	    "libclamav or clamd" },
	{ "antivirus", "on_error", config_av_on_error_parse,
	    "tempfail, reject or pass" },
};

/* Sections that live in another section, for the names in messages. */
static const struct {
	const char	*name;
	const char	*parent;
} config_parents[] = {
	{ "object", "access" },
	{ "rule", "access" },
};

/*
 * The longest texts the proxy writes after a reply code: a reply line
 * is at most 512 octets with its CRLF (RFC 5321 §4.5.3.1.5), and these
 * follow "220 " and "554 5.7.1 ".
 */
#define CONFIG_BANNER_MAX	(512 - 4 - 2)
#define CONFIG_REPLY_MAX	(512 - 10 - 2)

/*
 * tls.mode is passthrough, its default (SPEC §4.7), since there is no
 * tls section: STARTTLS is relayed, so the command policy offers it.
 */
#define CONFIG_TLS_ON		1

/* The line of the last value a callback saw for an option. */
struct config_mark {
	const cfg_opt_t	*opt;
	int		 line;
	int		 bad;	/* the value was reported as an error */
};

/* The line where a section starts: its name or title. */
struct config_secline {
	const cfg_t	*sec;
	int		 line;
};

/* State of one config_load(); libconfuse callbacks carry no argument. */
struct config_ld {
	const char		*path;
	config_errfn		 errfn;
	int			 nerrors;
	struct config_mark	*marks;
	size_t			 nmarks;

	/* Alarm sections seen so far, by alarm id. */
	const cfg_t		*alarm_sec[ALARM_COUNT];
	int			 alarm_line[ALARM_COUNT];
	enum alarm_action	 alarm_action[ALARM_COUNT];

	/*
	 * Start lines of the sections in the order they close, from
	 * config_prepare(), and what config_cb_section() matched them to.
	 */
	int			*secopen;
	size_t			 nsecopen;
	size_t			 nsecdone;
	struct config_secline	*seclines;
	size_t			 nseclines;

	/* The line of each antivirus.local_servers entry, by index. */
	int			*local_lines;
	size_t			 nlocal_lines;
};

static struct config_ld	*config_ld;

/*
 * Parsers of the keys with a fixed set of values; the other values
 * are parsed in config_parse.c.
 */

static int
config_mode_parse(const char *s)
{
	if (strcasecmp(s, "transparent") == 0)
		return CONFIG_MODE_TRANSPARENT;
	if (strcasecmp(s, "relay") == 0)
		return CONFIG_MODE_RELAY;
	return -1;
}

static int
config_banner_parse(const char *s)
{
	if (strcasecmp(s, "pass") == 0)
		return POLICY_BANNER_PASS;
	if (strcasecmp(s, "mask") == 0)
		return POLICY_BANNER_MASK;
	if (strcasecmp(s, "replace") == 0)
		return POLICY_BANNER_REPLACE;
	return -1;
}

static int
config_access_parse(const char *s)
{
	if (strcasecmp(s, "accept") == 0)
		return ACCESS_ACCEPT;
	if (strcasecmp(s, "deny") == 0)
		return ACCESS_DENY;
	return -1;
}

static int
config_av_backend_parse(const char *s)
{
	if (strcasecmp(s, "libclamav") == 0)
		return CONFIG_AV_LIBCLAMAV;
	if (strcasecmp(s, "clamd") == 0)
		return CONFIG_AV_CLAMD;
	return -1;
}

static int
config_av_on_error_parse(const char *s)
{
	if (strcasecmp(s, "tempfail") == 0)
		return CONFIG_AV_TEMPFAIL;
	if (strcasecmp(s, "reject") == 0)
		return CONFIG_AV_REJECT;
	if (strcasecmp(s, "pass") == 0)
		return CONFIG_AV_PASS;
	return -1;
}

/*
 * Error reporting.
 */

/* Report "FILE:LINE: message", or "FILE: message" when line is 0. */
static void __attribute__((format(printf, 2, 0)))
config_verror(int line, const char *fmt, va_list ap)
{
	const char	*file = config_ld->path;
	char		 msg[1024], out[1280];
	int		 n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (n < 0)
		(void)snprintf(msg, sizeof(msg), "(unprintable error)");
	else if ((size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	if (line > 0)
		n = snprintf(out, sizeof(out), "%s:%d: %s", file, line, msg);
	else
		n = snprintf(out, sizeof(out), "%s: %s", file, msg);
	if (n < 0 || (size_t)n >= sizeof(out))
		memcpy(out + sizeof(out) - 4, "...", 4);
	config_ld->nerrors++;
	if (config_ld->errfn != NULL)
		config_ld->errfn(out);
}

static void __attribute__((format(printf, 2, 3)))
config_error(int line, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	config_verror(line, fmt, ap);
	va_end(ap);
}

/*
 * libconfuse's own errors: syntax, unknown keys, duplicate titles. The
 * sections libconfuse creates for defaults have no file name, so the
 * name is the load's, not cfg's.
 */
static void
config_cfg_error(cfg_t *cfg, const char *fmt, va_list ap)
{
	config_verror(cfg->line, fmt, ap);
}

/* "access rule \"x\"", "alarm \"smtp:231\"", "limits". */
static const char *
config_secname(const cfg_t *cfg, char *buf, size_t len)
{
	const char	*parent = "";
	size_t		 i;
	int		 n;

	for (i = 0; i < sizeof(config_parents) / sizeof(config_parents[0]);
	    i++)
		if (strcmp(cfg->name, config_parents[i].name) == 0)
			parent = config_parents[i].parent;
	if (cfg->title != NULL)
		n = snprintf(buf, len, "%s%s%s \"%s\"", parent,
		    *parent != '\0' ? " " : "", cfg->name, cfg->title);
	else
		n = snprintf(buf, len, "%s", cfg->name);
	if (n < 0 || (size_t)n >= len)
		(void)snprintf(buf, len, "%s", cfg->name);
	return buf;
}

/*
 * "timeouts.connect", "mode", "alarm \"smtp:231\" action",
 * "access rule \"x\" source".
 */
static const char *
config_keyname(const cfg_t *cfg, const cfg_opt_t *opt, char *buf,
    size_t len)
{
	char	 sec[256];
	int	 n;

	if (strcmp(cfg->name, CONFIG_ROOT) == 0)
		n = snprintf(buf, len, "%s", opt->name);
	else
		n = snprintf(buf, len, "%s%s%s",
		    config_secname(cfg, sec, sizeof(sec)),
		    cfg->title != NULL ? " " : ".", opt->name);
	if (n < 0 || (size_t)n >= len)
		(void)snprintf(buf, len, "%s", opt->name);
	return buf;
}

/* Remember the line of opt's value and whether it was bad. */
static void
config_mark(const cfg_t *cfg, const cfg_opt_t *opt, int bad)
{
	struct config_mark	*m;
	size_t			 i;

	for (i = 0; i < config_ld->nmarks; i++)
		if (config_ld->marks[i].opt == opt)
			break;
	if (i == config_ld->nmarks) {
		m = reallocarray(config_ld->marks, i + 1, sizeof(*m));
		if (m == NULL)
			fatal("config");
		config_ld->marks = m;
		config_ld->nmarks++;
	}
	m = &config_ld->marks[i];
	m->opt = opt;
	m->line = cfg->line;
	m->bad = bad;
}

static const struct config_mark *
config_getmark(const cfg_opt_t *opt)
{
	size_t	 i;

	for (i = 0; i < config_ld->nmarks; i++)
		if (config_ld->marks[i].opt == opt)
			return &config_ld->marks[i];
	return NULL;
}

/* Report a bad value of opt at the current line. */
static void __attribute__((format(printf, 3, 4)))
config_bad(const cfg_t *cfg, const cfg_opt_t *opt, const char *fmt, ...)
{
	char	 key[256], msg[1024];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(msg))
		memcpy(msg + sizeof(msg) - 4, "...", 4);
	config_mark(cfg, opt, 1);
	config_error(cfg->line, "%s: %s",
	    config_keyname(cfg, opt, key, sizeof(key)), msg);
}

/*
 * Value callbacks. Each checks one value at the line it is on, reports
 * a bad one and returns 0 anyway so that parsing goes on; config_load()
 * fails if anything was reported.
 */

static const struct config_num *
config_num_lookup(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(config_nums) / sizeof(config_nums[0]); i++)
		if (strcmp(config_nums[i].section, section) == 0 &&
		    strcmp(config_nums[i].name, name) == 0)
			return &config_nums[i];
	return NULL;
}

static int
config_cb_number(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const struct config_num	*num;
	const char		*unit;
	uint64_t		 v = 0;
	int			 rv;

	*(long *)result = 0;
	if ((num = config_num_lookup(cfg->name, opt->name)) == NULL) {
		config_bad(cfg, opt, "no range defined (internal error)");
		return 0;
	}
	switch (num->kind) {
	case CONFIG_PARSE_COUNT:
		rv = config_parse_number(value, CONFIG_PARSE_COUNT, &v);
		if (rv == -1) {
			config_bad(cfg, opt, "invalid number \"%s\"", value);
			return 0;
		}
		break;
	case CONFIG_PARSE_SIZE:
		rv = config_parse_number(value, CONFIG_PARSE_SIZE, &v);
		if (rv == -1) {
			config_bad(cfg, opt, "invalid size \"%s\" (bytes, or "
			    "a number followed by K, M or G)", value);
			return 0;
		}
		break;
	case CONFIG_PARSE_DURATION:
		rv = config_parse_number(value, CONFIG_PARSE_DURATION, &v);
		if (rv == -1) {
			config_bad(cfg, opt, "invalid duration \"%s\" "
			    "(seconds, or a number followed by s, m or h)",
			    value);
			return 0;
		}
		break;
	default:
		rv = -1;
		break;
	}
	unit = num->kind == CONFIG_PARSE_DURATION ? "s" : "";
	if (rv == -2 || v > (uint64_t)num->max) {
		config_bad(cfg, opt, "\"%s\" is above the maximum of %ld%s",
		    value, num->max, unit);
		return 0;
	}
	if (v < (uint64_t)num->min) {
		config_bad(cfg, opt, "\"%s\" is below the minimum of "
		    "%ld%s%s%s%s", value, num->min, unit,
		    num->why ? " (" : "", num->why ? num->why : "",
		    num->why ? ")" : "");
		return 0;
	}
	config_mark(cfg, opt, 0);
	*(long *)result = (long)v;
	return 0;
}

static const struct config_enum *
config_enum_lookup(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(config_enums) / sizeof(config_enums[0]); i++)
		if (strcmp(config_enums[i].section, section) == 0 &&
		    strcmp(config_enums[i].name, name) == 0)
			return &config_enums[i];
	return NULL;
}

static int
config_cb_enum(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const struct config_enum	*e;

	*(const char **)result = value;
	if ((e = config_enum_lookup(cfg->name, opt->name)) == NULL)
		config_bad(cfg, opt, "no values defined (internal error)");
	else if (e->parse(value) == -1)
		config_bad(cfg, opt, "invalid value \"%s\" (%s)", value,
		    e->choices);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

static int
config_cb_bool(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	int	 b;

	if ((b = cfg_parse_boolean(value)) == -1) {
		config_bad(cfg, opt, "invalid boolean \"%s\" (true or false)",
		    value);
		b = 0;
	} else
		config_mark(cfg, opt, 0);
	*(int *)result = b;
	return 0;
}

/* listen: one numeric address per list element. */
static int
config_cb_listen(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	struct config_addr	 a, prev;
	const char		*errstr;
	unsigned int		 i;

	*(const char **)result = value;
	/* libconfuse has added the slot for this value already. */
	if (opt->nvalues == CONFIG_MAX_LISTEN + 1) {
		config_bad(cfg, opt, "too many addresses (at most %d)",
		    CONFIG_MAX_LISTEN);
		return 0;
	}
	if (config_parse_addr_errstr(value, &a, &errstr) == -1) {
		config_bad(cfg, opt, "invalid address \"%s\": %s", value,
		    errstr);
		return 0;
	}
	for (i = 0; i + 1 < opt->nvalues; i++) {
		if (opt->values[i]->string == NULL ||
		    config_parse_addr(opt->values[i]->string, &prev) == -1)
			continue;
		if (prev.sslen == a.sslen &&
		    memcmp(&prev.ss, &a.ss, a.sslen) == 0) {
			config_bad(cfg, opt, "duplicate address \"%s\"",
			    value);
			return 0;
		}
	}
	config_mark(cfg, opt, 0);
	return 0;
}

/* upstream: "host:port"; "" is unset. */
static int
config_cb_upstream(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const char	*errstr;

	*(const char **)result = value;
	if (*value != '\0' &&
	    config_parse_hostport_errstr(value, NULL, NULL, &errstr) == -1)
		config_bad(cfg, opt, "invalid address \"%s\": %s", value,
		    errstr);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/* hostname: goes into replies, so only a host name; "" is the default. */
static int
config_cb_hostname(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	*(const char **)result = value;
	if (*value != '\0' && config_parse_hostname(value) == -1)
		config_bad(cfg, opt, "invalid host name \"%s\"", value);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/* user: must exist now, so that -n catches a typo; "" is unset. */
static int
config_cb_user(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	*(const char **)result = value;
	if (*value != '\0' && getpwnam(value) == NULL)
		config_bad(cfg, opt, "unknown user \"%s\"", value);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/* pidfile: absolute, as the daemon changes directory; "" is unset. */
static int
config_cb_pidfile(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	*(const char **)result = value;
	if (*value != '\0' && *value != '/')
		config_bad(cfg, opt, "\"%s\" is not an absolute path", value);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/*
 * spool_dir: absolute, as the daemon changes directory. Whether it is
 * there is checked after the parse, and only when something spools.
 */
static int
config_cb_spool_dir(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	size_t	 len;

	*(const char **)result = value;
	if (*value != '/')
		config_bad(cfg, opt, "\"%s\" is not an absolute path", value);
	else if ((len = strlen(value)) > CONFIG_SPOOL_DIR_MAX)
		config_bad(cfg, opt, "%zu characters, more than the %d "
		    "allowed", len, CONFIG_SPOOL_DIR_MAX);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/*
 * A text the proxy puts after a reply code: printable ASCII, so that it
 * can neither end the reply line early nor carry bytes a client cannot
 * read (RFC 5321 §4.2 textstring), and short enough for the line.
 */
static int
config_check_text(cfg_t *cfg, cfg_opt_t *opt, const char *value, size_t max)
{
	const unsigned char	*p;
	size_t			 len;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			config_bad(cfg, opt, "control character 0x%02x (only "
			    "printable ASCII goes into a reply)", *p);
			return -1;
		}
		if (*p > 0x7f) {
			config_bad(cfg, opt, "non-ASCII byte 0x%02x (only "
			    "printable ASCII goes into a reply)", *p);
			return -1;
		}
	}
	if ((len = strlen(value)) > max) {
		config_bad(cfg, opt, "%zu characters, more than the %zu a "
		    "reply line has room for (RFC 5321 section 4.5.3.1.5)",
		    len, max);
		return -1;
	}
	config_mark(cfg, opt, 0);
	return 0;
}

/* banner.text: "" is the default text. */
static int
config_cb_banner_text(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	*(const char **)result = value;
	(void)config_check_text(cfg, opt, value, CONFIG_BANNER_MAX);
	return 0;
}

/* access rule reply: the text of "554 5.7.1 <reply>". */
static int
config_cb_rule_reply(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	*(const char **)result = value;
	(void)config_check_text(cfg, opt, value, CONFIG_REPLY_MAX);
	return 0;
}

/*
 * commands.allow: one command name per element, checked against the
 * command policy itself. Allowing XCLIENT or XFORWARD, which the policy
 * would ignore, or BDAT, which the proxy cannot follow since CHUNKING
 * is never offered, is an error rather than a surprise at run time.
 */
static int
config_cb_command(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	policy_cmdmask	 mask;
	const char	*errstr;

	*(const char **)result = value;
	/* With tls_on, only XCLIENT and XFORWARD leave the mask empty. */
	if (policy_commands(POLICY_PROFILE_CUSTOM, &value, 1, 1, &mask,
	    &errstr) == -1)
		config_bad(cfg, opt, "unknown command \"%s\"", value);
	else if (mask == 0)
		config_bad(cfg, opt, "\"%s\" cannot be allowed: it would let "
		    "the client pose as another client to the upstream",
		    value);
	else if (policy_command_allowed(mask, SMTP_CMD_BDAT))
		config_bad(cfg, opt, "\"%s\" cannot be allowed: BDAT is not "
		    "inspected, so CHUNKING is never offered", value);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/* The keyword of an extension bit, for messages. */
static const char *
config_ext_name(uint32_t bit)
{
	size_t	 i;

	for (i = 0; i < POLICY_EXT_COUNT; i++)
		if (policy_ext_table[i].bit == bit)
			return policy_ext_table[i].keyword;
	return "?";
}

/* extensions.allow: one EHLO keyword the proxy can follow per element. */
static int
config_cb_extension(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	char		 known[256];
	uint32_t	 bit;
	size_t		 i, len = 0, left;
	int		 n;

	*(const char **)result = value;
	bit = policy_ext_parse(value);
	if (bit == POLICY_EXT_CHUNKING) {
		config_bad(cfg, opt, "%s cannot be offered: BDAT is not "
		    "inspected", config_ext_name(bit));
		return 0;
	}
	if (bit == POLICY_EXT_BINARYMIME) {
		config_bad(cfg, opt, "%s cannot be offered: it needs BDAT, "
		    "which is not inspected", config_ext_name(bit));
		return 0;
	}
	if (bit != 0) {
		config_mark(cfg, opt, 0);
		return 0;
	}

	/* "SIZE, 8BITMIME, ... or STARTTLS", from the policy's table. */
	known[0] = '\0';
	for (i = 0, left = POLICY_EXT_COUNT - 2; i < POLICY_EXT_COUNT; i++) {
		bit = policy_ext_table[i].bit;
		if (bit == POLICY_EXT_CHUNKING || bit == POLICY_EXT_BINARYMIME)
			continue;
		n = snprintf(known + len, sizeof(known) - len, "%s%s",
		    len == 0 ? "" : left == 1 ? " or " : ", ",
		    policy_ext_table[i].keyword);
		if (n < 0 || (size_t)n >= sizeof(known) - len)
			break;
		len += (size_t)n;
		left--;
	}
	config_bad(cfg, opt, "unknown extension \"%s\" (%s)", value, known);
	return 0;
}

/*
 * filetypes.block_extensions: "exe" or ".exe", or "tar.gz" for what
 * filetype_ext_match() takes as a double extension. Each error is an
 * entry that could never match a file name: a "/" or "\\" separates
 * directories, no name ends in an empty part between dots, and Windows
 * drops trailing dots and spaces (and so does filetype_ext_match()).
 */
static int
config_cb_block_ext(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const char	*ext, *p, *why = NULL;

	*(const char **)result = value;
	ext = *value == '.' ? value + 1 : value;
	if (*ext == '\0') {
		config_bad(cfg, opt, "empty extension");
		return 0;
	}
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			config_bad(cfg, opt, "invalid extension: control "
			    "character 0x%02x", (unsigned char)*p);
			return 0;
		}
	for (p = ext; *p != '\0' && why == NULL; p++) {
		if (*p == '/')
			why = "contains \"/\"";
		else if (*p == '\\')
			why = "contains \"\\\"";
		else if (*p == '.' && (p == ext || p[-1] == '.'))
			why = "empty part between dots";
	}
	if (why == NULL && ext[strlen(ext) - 1] == '.')
		why = "ends with a dot";
	if (why == NULL && ext[strlen(ext) - 1] == ' ')
		why = "ends with a space";
	if (why != NULL)
		config_bad(cfg, opt, "invalid extension \"%s\": %s", value,
		    why);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/* filetypes.block_types: one name of filetype.c's table per element. */
static int
config_cb_block_type(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	char		 known[512];
	const char	*name;
	size_t		 i, n, len = 0;
	int		 w;

	*(const char **)result = value;
	if (filetype_parse(value) != 0) {
		config_mark(cfg, opt, 0);
		return 0;
	}

	/* "executable, script, ... or java", from the table. */
	known[0] = '\0';
	n = filetype_count();
	for (i = 0; i < n; i++) {
		name = filetype_row(i, NULL, NULL);
		w = snprintf(known + len, sizeof(known) - len, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", name);
		if (w < 0 || (size_t)w >= sizeof(known) - len)
			break;
		len += (size_t)w;
	}
	config_bad(cfg, opt, "unknown type \"%s\" (%s)", value, known);
	return 0;
}

/*
 * filetypes.reply: a reply text with the placeholders of
 * CONFIG_FILETYPES_REPLY; any other "%" is an error now rather than a
 * surprise in a refusal. "" is the default text.
 */
static int
config_cb_filetypes_reply(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const char	*p;

	*(const char **)result = value;
	if (config_check_text(cfg, opt, value, CONFIG_REPLY_MAX) == -1)
		return 0;
	for (p = value; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] == 'n' || p[1] == 't' || p[1] == '%')
			continue;
		config_bad(cfg, opt, "unknown placeholder \"%%%.1s\" (%%n is "
		    "the attachment's name, %%t its type, %%%% a percent "
		    "sign)", p + 1);
		return 0;
	}
	return 0;
}

/*
 * antivirus.database: a directory or a file of signatures, absolute, as
 * the daemon changes directory. Whether it can be read is checked after
 * the parse, and only when the libclamav backend is enabled.
 */
static int
config_cb_av_database(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	size_t	 len;

	*(const char **)result = value;
	if (*value != '/')
		config_bad(cfg, opt, "\"%s\" is not an absolute path", value);
	else if ((len = strlen(value)) >= PATH_MAX)
		config_bad(cfg, opt, "%zu characters, more than the %d "
		    "allowed", len, PATH_MAX - 1);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/*
 * antivirus.clamd: one clamd server per element, a unix socket as an
 * absolute path or "host:port". Whether it answers is not checked:
 * clamd may start after the proxy, and the servers are tried in turn
 * for each message.
 */
static int
config_cb_clamd(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	struct sockaddr_un	 sun;
	const char		*errstr;
	size_t			 len;
	unsigned int		 i;

	*(const char **)result = value;
	if (*value == '\0') {
		config_bad(cfg, opt, "empty entry (a unix socket as an "
		    "absolute path, or \"host:port\")");
		return 0;
	}
	if (*value == '/') {
		if ((len = strlen(value)) >= sizeof(sun.sun_path)) {
			config_bad(cfg, opt, "socket path of %zu characters, "
			    "more than the %zu of a unix socket address", len,
			    sizeof(sun.sun_path) - 1);
			return 0;
		}
	} else if (config_parse_hostport_errstr(value, NULL, NULL,
	    &errstr) == -1) {
		config_bad(cfg, opt, "invalid server \"%s\": %s (a unix "
		    "socket as an absolute path, or \"host:port\")", value,
		    errstr);
		return 0;
	}
	/* libconfuse has added the slot for this value already. */
	for (i = 0; i + 1 < opt->nvalues; i++) {
		if (opt->values[i]->string != NULL &&
		    strcmp(opt->values[i]->string, value) == 0) {
			config_bad(cfg, opt, "duplicate server \"%s\"", value);
			return 0;
		}
	}
	config_mark(cfg, opt, 0);
	return 0;
}

/*
 * antivirus.local_servers: the entries are checked after the parse, as
 * they may name objects of an access section further down; here the
 * line of each is recorded, for its error.
 */
static int
config_cb_local_server(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	int	*v;
	size_t	 i;

	*(const char **)result = value;
	/* libconfuse has added the slot for this value already. */
	i = opt->nvalues > 0 ? (size_t)opt->nvalues - 1 : 0;
	if (i >= config_ld->nlocal_lines) {
		v = reallocarray(config_ld->local_lines, i + 1, sizeof(*v));
		if (v == NULL)
			fatal("config");
		memset(v + config_ld->nlocal_lines, 0,
		    (i + 1 - config_ld->nlocal_lines) * sizeof(*v));
		config_ld->local_lines = v;
		config_ld->nlocal_lines = i + 1;
	}
	config_ld->local_lines[i] = cfg->line;
	config_mark(cfg, opt, 0);
	return 0;
}

/*
 * antivirus.reply: a reply text with the placeholders of
 * CONFIG_AV_REPLY; any other "%" is an error. "" is the default text.
 */
static int
config_cb_av_reply(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const char	*p;

	*(const char **)result = value;
	if (config_check_text(cfg, opt, value, CONFIG_REPLY_MAX) == -1)
		return 0;
	for (p = value; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] == 'v' || p[1] == '%')
			continue;
		config_bad(cfg, opt, "unknown placeholder \"%%%.1s\" (%%v is "
		    "the virus name, %%%% a percent sign)", p + 1);
		return 0;
	}
	return 0;
}

static void
config_alarm_unknown(const cfg_t *sec)
{
	config_error(sec->line, "alarm \"%s\": unknown alarm "
	    "(an id such as smtp:231 or a name such as subject-8bit)",
	    sec->title);
}

/*
 * alarm "ID-or-NAME" { action = ... }: the section's title is checked
 * here, where the line is known. The same alarm named twice (by id and
 * by name, or in different case) is an error.
 */
static int
config_cb_alarm_action(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	int	 id, action;

	config_cb_enum(cfg, opt, value, result);
	if ((id = alarm_lookup(cfg->title)) == -1) {
		config_alarm_unknown(cfg);
		return 0;
	}
	if (config_ld->alarm_sec[id] != NULL &&
	    config_ld->alarm_sec[id] != cfg) {
		config_error(cfg->line, "alarm \"%s\": already set at "
		    "line %d as \"%s\"", cfg->title,
		    config_ld->alarm_line[id],
		    config_ld->alarm_sec[id]->title);
		return 0;
	}
	config_ld->alarm_sec[id] = cfg;
	config_ld->alarm_line[id] = cfg->line;
	if ((action = alarm_action_parse(value)) != -1)
		config_ld->alarm_action[id] = (enum alarm_action)action;
	return 0;
}

/*
 * Called by libconfuse as each section closes, in the order they close,
 * which is the order of config_ld->secopen[]: remember where the
 * section starts, for errors found after the parse.
 */
static int
config_cb_section(cfg_t *cfg, cfg_opt_t *opt)
{
	struct config_secline	*sl;
	cfg_t			*sec;
	size_t			 i;
	int			 line;

	(void)cfg;
	if (cfg_opt_size(opt) == 0 ||
	    (sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1)) == NULL)
		return 0;
	line = config_ld->nsecdone < config_ld->nsecopen ?
	    config_ld->secopen[config_ld->nsecdone] : 0;
	config_ld->nsecdone++;
	for (i = 0; i < config_ld->nseclines; i++)
		if (config_ld->seclines[i].sec == sec)
			break;
	if (i == config_ld->nseclines) {
		sl = reallocarray(config_ld->seclines, i + 1, sizeof(*sl));
		if (sl == NULL)
			fatal("config");
		config_ld->seclines = sl;
		config_ld->nseclines++;
	}
	config_ld->seclines[i].sec = sec;
	config_ld->seclines[i].line = line;
	return 0;
}

/* Where sec starts, or, if that is unknown, where it ends. */
static int
config_secline(const cfg_t *sec)
{
	size_t	 i;

	for (i = 0; i < config_ld->nseclines; i++)
		if (config_ld->seclines[i].sec == sec &&
		    config_ld->seclines[i].line > 0)
			return config_ld->seclines[i].line;
	return sec->line;
}

/*
 * The option tables. Defaults are here; ranges of numbers are in
 * config_nums[], value sets in config_enums[].
 */

static cfg_opt_t config_timeouts_opts[] = {	/* RFC 5321 §4.5.3.2 */
	CFG_INT_CB("connect", 30, CFGF_NONE, config_cb_number),
	CFG_INT_CB("greeting", 5 * 60, CFGF_NONE, config_cb_number),
	CFG_INT_CB("command", 5 * 60, CFGF_NONE, config_cb_number),
	CFG_INT_CB("reply", 5 * 60, CFGF_NONE, config_cb_number),
	CFG_INT_CB("data_block", 3 * 60, CFGF_NONE, config_cb_number),
	CFG_INT_CB("data_end", 10 * 60, CFGF_NONE, config_cb_number),
	CFG_INT_CB("idle", 5 * 60, CFGF_NONE, config_cb_number),
	CFG_END()
};

static cfg_opt_t config_limits_opts[] = {
	CFG_INT_CB("command_line", 512, CFGF_NONE, config_cb_number),
	CFG_INT_CB("reply_line", 512, CFGF_NONE, config_cb_number),
	CFG_INT_CB("header_line", 998, CFGF_NONE, config_cb_number),
	CFG_INT_CB("text_line", 1000, CFGF_NONE, config_cb_number),
	CFG_INT_CB("recipients", 100, CFGF_NONE, config_cb_number),
	CFG_INT_CB("message_size", 50 * MIB, CFGF_NONE, config_cb_number),
	CFG_INT_CB("address", 320, CFGF_NONE, config_cb_number),
	CFG_INT_CB("mime_depth", 20, CFGF_NONE, config_cb_number),
	CFG_INT_CB("mime_parts", 1000, CFGF_NONE, config_cb_number),
	CFG_END()
};

static cfg_opt_t config_alarm_opts[] = {
	CFG_STR_CB("action", NULL, CFGF_NODEFAULT, config_cb_alarm_action),
	CFG_END()
};

static cfg_opt_t config_commands_opts[] = {	/* SPEC §4.2 */
	CFG_BOOL_CB("enabled", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("profile", "esmtp", CFGF_NONE, config_cb_enum),
	CFG_STR_LIST_CB("allow", "{}", CFGF_NONE, config_cb_command),
	CFG_END()
};

static cfg_opt_t config_extensions_opts[] = {	/* SPEC §3 */
	CFG_BOOL_CB("enabled", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_LIST_CB("allow", "{SIZE, 8BITMIME, PIPELINING, "
	    "ENHANCEDSTATUSCODES, DSN, SMTPUTF8, AUTH, STARTTLS}", CFGF_NONE,
	    config_cb_extension),
	CFG_END()
};

static cfg_opt_t config_banner_opts[] = {	/* SPEC §4.3 */
	CFG_BOOL_CB("enabled", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("mode", "pass", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("text", "", CFGF_NONE, config_cb_banner_text),
	CFG_BOOL_CB("ehlo", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_END()
};

/*
 * Access rules (SPEC §4.1). Entries are checked by access.c when the
 * rule set is built after the parse, so an object may be defined after
 * the rules that use it.
 */
static cfg_opt_t config_object_opts[] = {
	CFG_STR_LIST("address", "{}", CFGF_NONE),
	CFG_END()
};

static cfg_opt_t config_rule_opts[] = {
	CFG_STR_CB("action", NULL, CFGF_NODEFAULT, config_cb_enum),
	CFG_STR_LIST("source", "{any}", CFGF_NONE),
	CFG_STR_LIST("destination", "{any}", CFGF_NONE),
	CFG_STR_CB("reply", "Access denied", CFGF_NONE,
	    config_cb_rule_reply),
	CFG_END()
};

static cfg_opt_t config_access_opts[] = {
	CFG_BOOL_CB("enabled", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("default", "accept", CFGF_NONE, config_cb_enum),
	CFG_SEC("object", config_object_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("rule", config_rule_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()
};

static cfg_opt_t config_filetypes_opts[] = {	/* SPEC §4.5 */
	CFG_BOOL_CB("enabled", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_STR_LIST_CB("block_extensions", "{}", CFGF_NONE,
	    config_cb_block_ext),
	CFG_STR_LIST_CB("block_types", "{}", CFGF_NONE, config_cb_block_type),
	CFG_BOOL_CB("block_encrypted_archives", cfg_false, CFGF_NONE,
	    config_cb_bool),
	CFG_BOOL_CB("block_office_macros", cfg_false, CFGF_NONE,
	    config_cb_bool),
	CFG_BOOL_CB("block_packed_executables", cfg_false, CFGF_NONE,
	    config_cb_bool),
	CFG_STR_CB("reply", "", CFGF_NONE, config_cb_filetypes_reply),
	CFG_END()
};

static cfg_opt_t config_antivirus_opts[] = {	/* SPEC §4.6 */
	CFG_BOOL_CB("enabled", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("backend", "libclamav", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("database", "/var/lib/clamav", CFGF_NONE,
	    config_cb_av_database),
	CFG_STR_LIST_CB("clamd", "{\"/run/clamav/clamd.ctl\"}", CFGF_NONE,
	    config_cb_clamd),
	CFG_BOOL_CB("scan_local", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_BOOL_CB("scan_other", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_LIST_CB("local_servers", "{}", CFGF_NONE,
	    config_cb_local_server),
	CFG_INT_CB("max_size", 25 * MIB, CFGF_NONE, config_cb_number),
	CFG_STR_CB("on_error", "tempfail", CFGF_NONE, config_cb_enum),
	CFG_INT_CB("threads", 2, CFGF_NONE, config_cb_number),
	CFG_STR_CB("reply", "", CFGF_NONE, config_cb_av_reply),
	CFG_END()
};

static cfg_opt_t config_opts[] = {
	CFG_STR_LIST_CB("listen", "{127.0.0.1:10025}", CFGF_NONE,
	    config_cb_listen),
	CFG_STR_CB("mode", "transparent", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("upstream", "", CFGF_NONE, config_cb_upstream),
	CFG_STR_CB("hostname", "", CFGF_NONE, config_cb_hostname),
	CFG_STR_CB("user", "", CFGF_NONE, config_cb_user),
	CFG_STR_CB("pidfile", "", CFGF_NONE, config_cb_pidfile),
	CFG_STR_CB("spool_dir", "/var/spool/smtpproxy", CFGF_NONE,
	    config_cb_spool_dir),
	CFG_INT_CB("max_sessions", 10000, CFGF_NONE, config_cb_number),
	CFG_INT_CB("max_sessions_per_client", 100, CFGF_NONE,
	    config_cb_number),
	CFG_INT_CB("max_bad_commands", 20, CFGF_NONE, config_cb_number),
	CFG_INT_CB("shutdown_grace", 30, CFGF_NONE, config_cb_number),
	CFG_BOOL_CB("inspect", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("log_level", "info", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("syslog_facility", "mail", CFGF_NONE, config_cb_enum),
	CFG_SEC("timeouts", config_timeouts_opts, CFGF_NONE),
	CFG_SEC("limits", config_limits_opts, CFGF_NONE),
	CFG_SEC("alarm", config_alarm_opts,
	    CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_SEC("commands", config_commands_opts, CFGF_NONE),
	CFG_SEC("extensions", config_extensions_opts, CFGF_NONE),
	CFG_SEC("banner", config_banner_opts, CFGF_NONE),
	CFG_SEC("access", config_access_opts, CFGF_NONE),
	CFG_SEC("filetypes", config_filetypes_opts, CFGF_NONE),
	CFG_SEC("antivirus", config_antivirus_opts, CFGF_NONE),
	CFG_END()
};

/*
 * Compilation of the parsed tree. Values were checked by the callbacks;
 * a value reported bad is skipped here and never reported twice.
 */

static char *
config_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("config");
	return p;
}

/* Line of the last value of key, 0 if the file did not set it. */
static int
config_line(cfg_t *sec, const char *key, int *bad_r)
{
	const struct config_mark	*m;

	m = config_getmark(cfg_getopt(sec, key));
	if (bad_r != NULL)
		*bad_r = m != NULL && m->bad;
	return m != NULL ? m->line : 0;
}

static void
config_build_numbers(cfg_t *root, struct config *conf)
{
	const struct config_num	*num;
	cfg_t			*sec;
	char			*field;
	long			 v;
	size_t			 i;

	for (i = 0; i < sizeof(config_nums) / sizeof(config_nums[0]); i++) {
		num = &config_nums[i];
		sec = strcmp(num->section, CONFIG_ROOT) == 0 ? root :
		    cfg_getsec(root, num->section);
		v = cfg_getint(sec, num->name);
		field = (char *)conf + num->off;
		switch (num->ctype) {
		case CONFIG_CT_INT:
			*(int *)(void *)field = (int)v;
			break;
		case CONFIG_CT_SIZE:
			*(size_t *)(void *)field = (size_t)v;
			break;
		case CONFIG_CT_U64:
			*(uint64_t *)(void *)field = (uint64_t)v;
			break;
		}
	}
}

static void
config_build_listen(cfg_t *root, struct config *conf)
{
	unsigned int	 i, n;

	n = cfg_size(root, "listen");
	if (n == 0) {
		config_error(0, "listen: at least one address is required");
		return;
	}
	for (i = 0; i < n && conf->nlisten < CONFIG_MAX_LISTEN; i++)
		if (config_parse_addr(cfg_getnstr(root, "listen", i),
		    &conf->listen[conf->nlisten]) == 0)
			conf->nlisten++;
}

static void
config_build_mode(cfg_t *root, struct config *conf)
{
	const char	*upstream;
	int		 mode, mode_line, mode_bad, up_line, up_bad;

	mode_line = config_line(root, "mode", &mode_bad);
	up_line = config_line(root, "upstream", &up_bad);
	if ((mode = config_mode_parse(cfg_getstr(root, "mode"))) == -1)
		mode = CONFIG_MODE_TRANSPARENT;
	conf->mode = (enum config_mode)mode;
	upstream = cfg_getstr(root, "upstream");
	if (mode_bad || up_bad)
		return;

	if (conf->mode == CONFIG_MODE_TRANSPARENT && *upstream != '\0') {
		/*
		 * Ignoring it would leave the administrator believing mail
		 * goes there: transparent mode uses the original
		 * destination of each connection.
		 */
		config_error(up_line, "upstream: only used with "
		    "mode = relay (mode is transparent)");
		return;
	}
	if (conf->mode == CONFIG_MODE_RELAY) {
		if (*upstream == '\0') {
			config_error(mode_line,
			    "mode = relay requires upstream = \"host:port\"");
			return;
		}
		if (config_parse_hostport(upstream, &conf->upstream_host,
		    &conf->upstream_port) == -1)
			fatal("config");
	}
}

static void
config_build_strings(cfg_t *root, struct config *conf)
{
	char		 name[256];
	const char	*s;
	int		 v;

	s = cfg_getstr(root, "hostname");
	if (*s == '\0') {
		if (gethostname(name, sizeof(name)) == -1)
			name[0] = '\0';
		name[sizeof(name) - 1] = '\0';
		s = config_parse_hostname(name) == 0 ? name : "localhost";
	}
	conf->hostname = config_strdup(s);
	if (*(s = cfg_getstr(root, "user")) != '\0')
		conf->user = config_strdup(s);
	if (*(s = cfg_getstr(root, "pidfile")) != '\0')
		conf->pidfile = config_strdup(s);

	v = log_level_parse(cfg_getstr(root, "log_level"));
	conf->log_level = v == -1 ? LOG_LEVEL_INFO : v;
	v = log_facility_parse(cfg_getstr(root, "syslog_facility"));
	conf->syslog_facility = v == -1 ? log_facility_parse("mail") : v;
	conf->inspect = cfg_getbool(root, "inspect") ? 1 : 0;
}

/* Sections without an action never reached config_cb_alarm_action(). */
static void
config_build_alarms(cfg_t *root, struct config *conf)
{
	cfg_t		*sec;
	unsigned int	 i, n;
	int		 id;

	n = cfg_size(root, "alarm");
	for (i = 0; i < n; i++) {
		sec = cfg_getnsec(root, "alarm", i);
		if (cfg_size(sec, "action") != 0)
			continue;
		if (alarm_lookup(cfg_title(sec)) == -1)
			config_alarm_unknown(sec);
		else
			config_error(sec->line,
			    "alarm \"%s\": missing action", cfg_title(sec));
	}
	for (id = 0; id < ALARM_COUNT; id++) {
		conf->alarm_action[id] = config_ld->alarm_action[id];
		conf->alarm_set[id] = config_ld->alarm_sec[id] != NULL;
	}
}

/* The values of list key in sec, as an array to free; *n_r its size. */
static const char **
config_strlist(cfg_t *sec, const char *key, size_t *n_r)
{
	const char	**v;
	unsigned int	  i, n;

	n = cfg_size(sec, key);
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		fatal("config");
	for (i = 0; i < n; i++)
		v[i] = cfg_getnstr(sec, key, i);
	*n_r = n;
	return v;
}

/*
 * The command mask of the profile and allow. A custom profile must keep
 * the commands of a mail transaction, or no mail could pass at all.
 */
static void
config_build_commands(cfg_t *root, struct config *conf)
{
	static const enum smtp_verb	 needed[] = {
		SMTP_CMD_MAIL, SMTP_CMD_RCPT, SMTP_CMD_DATA, SMTP_CMD_QUIT
	};
	cfg_t		 *sec;
	const char	**allow, *errstr;
	char		  missing[128];
	size_t		  nallow, i, len = 0;
	int		  profile, profile_line, profile_bad, allow_line;
	int		  allow_bad, n;

	sec = cfg_getsec(root, "commands");
	conf->commands_enabled = cfg_getbool(sec, "enabled") ? 1 : 0;
	profile_line = config_line(sec, "profile", &profile_bad);
	allow_line = config_line(sec, "allow", &allow_bad);
	if ((profile = policy_profile_parse(cfg_getstr(sec, "profile"))) == -1)
		profile = POLICY_PROFILE_ESMTP;
	conf->commands_profile = (enum policy_profile)profile;
	if (profile_bad || allow_bad)
		return;

	allow = config_strlist(sec, "allow", &nallow);
	if (policy_commands(conf->commands_profile, allow, nallow,
	    CONFIG_TLS_ON, &conf->commands_mask, &errstr) == -1)
		config_error(allow_line, "commands.allow: %s", errstr);
	free(allow);
	if (conf->commands_profile != POLICY_PROFILE_CUSTOM)
		return;

	missing[0] = '\0';
	if (!policy_command_allowed(conf->commands_mask, SMTP_CMD_HELO) &&
	    !policy_command_allowed(conf->commands_mask, SMTP_CMD_EHLO)) {
		n = snprintf(missing, sizeof(missing), "HELO or EHLO");
		len = n > 0 ? (size_t)n : 0;
	}
	for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (policy_command_allowed(conf->commands_mask, needed[i]))
			continue;
		n = snprintf(missing + len, sizeof(missing) - len, "%s%s",
		    len > 0 ? ", " : "", smtp_cmd_name(needed[i]));
		if (n > 0 && (size_t)n < sizeof(missing) - len)
			len += (size_t)n;
	}
	if (len > 0)
		config_error(allow_line > 0 ? allow_line : profile_line,
		    "commands.allow: profile \"custom\" must allow HELO or "
		    "EHLO, MAIL, RCPT, DATA and QUIT (missing %s)", missing);
}

/*
 * The EHLO keywords that may be offered. An extension whose command the
 * command policy refuses is not offered: a client would be told it may
 * use it, then refused.
 */
static void
config_build_extensions(cfg_t *root, struct config *conf)
{
	cfg_t		*sec;
	uint32_t	 mask = 0;
	unsigned int	 i, n;

	sec = cfg_getsec(root, "extensions");
	conf->extensions_enabled = cfg_getbool(sec, "enabled") ? 1 : 0;
	n = cfg_size(sec, "allow");
	for (i = 0; i < n; i++)
		mask |= policy_ext_parse(cfg_getnstr(sec, "allow", i));
	mask &= ~(uint32_t)(POLICY_EXT_CHUNKING | POLICY_EXT_BINARYMIME);
	if (conf->commands_enabled) {
		if (!policy_command_allowed(conf->commands_mask,
		    SMTP_CMD_STARTTLS))
			mask &= ~(uint32_t)POLICY_EXT_STARTTLS;
		if (!policy_command_allowed(conf->commands_mask, SMTP_CMD_AUTH))
			mask &= ~(uint32_t)POLICY_EXT_AUTH;
	}
	conf->extensions_mask = mask;
}

/* The greeting policy; the replacement text defaults to the host name. */
static void
config_build_banner(cfg_t *root, struct config *conf)
{
	static const char *const	 modes[] = {
		[POLICY_BANNER_PASS] = "pass",
		[POLICY_BANNER_MASK] = "mask",
		[POLICY_BANNER_REPLACE] = "replace"
	};
	cfg_t		*sec;
	const char	*text;
	char		*buf;
	size_t		 len;
	int		 mode, mode_bad, text_line, text_bad;

	sec = cfg_getsec(root, "banner");
	conf->banner_enabled = cfg_getbool(sec, "enabled") ? 1 : 0;
	conf->banner_ehlo = cfg_getbool(sec, "ehlo") ? 1 : 0;
	(void)config_line(sec, "mode", &mode_bad);
	text_line = config_line(sec, "text", &text_bad);
	if ((mode = config_banner_parse(cfg_getstr(sec, "mode"))) == -1)
		mode = POLICY_BANNER_PASS;
	conf->banner_mode = (enum policy_banner)mode;
	text = cfg_getstr(sec, "text");

	/* As with upstream: ignoring the text would hide a mistake. */
	if (!mode_bad && !text_bad && *text != '\0' &&
	    conf->banner_mode != POLICY_BANNER_REPLACE)
		config_error(text_line, "banner.text: only used with mode = "
		    "replace (mode is %s)", modes[conf->banner_mode]);

	if (*text != '\0') {
		conf->banner_text = config_strdup(text);
		return;
	}
	/* "ESMTP" tells senders they may use EHLO (RFC 5321 §3.1). */
	len = strlen(conf->hostname) + sizeof(" ESMTP");
	if ((buf = malloc(len)) == NULL)
		fatal("config");
	if (snprintf(buf, len, "%s ESMTP", conf->hostname) != (int)len - 1)
		fatal("config: banner");
	conf->banner_text = buf;
}

/*
 * Define the objects of the access section sec in a. A bad object is
 * reported if report is set, and defined without addresses all the
 * same, so that what uses it is not reported too.
 */
static void
config_access_objects(cfg_t *sec, struct access *a, int report)
{
	cfg_t		 *s;
	const char	**addrs, *errstr;
	size_t		  naddrs;
	unsigned int	  i, n;

	n = cfg_size(sec, "object");
	for (i = 0; i < n; i++) {
		s = cfg_getnsec(sec, "object", i);
		addrs = config_strlist(s, "address", &naddrs);
		if (access_object(a, cfg_title(s), addrs, naddrs,
		    &errstr) == -1) {
			if (report)
				config_error(config_secline(s), "access: %s",
				    errstr);
			(void)access_object(a, cfg_title(s), NULL, 0, &errstr);
		}
		free(addrs);
	}
}

/*
 * The access rule set: every object, then the rules in file order.
 * access.c checks the entries; its errors name the object or rule and
 * are reported at the line where that section starts.
 */
static void
config_build_access(cfg_t *root, struct config *conf)
{
	cfg_t		 *sec, *s;
	const char	**src, **dst, *errstr;
	char		  name[256];
	size_t		  nsrc, ndst;
	unsigned int	  i, n;
	int		  def, action, bad;

	sec = cfg_getsec(root, "access");
	conf->access_enabled = cfg_getbool(sec, "enabled") ? 1 : 0;
	if ((def = config_access_parse(cfg_getstr(sec, "default"))) == -1)
		def = ACCESS_ACCEPT;
	if ((conf->access = access_new((enum access_action)def)) == NULL)
		fatal("config");
	config_access_objects(sec, conf->access, 1);

	n = cfg_size(sec, "rule");
	for (i = 0; i < n; i++) {
		s = cfg_getnsec(sec, "rule", i);
		(void)config_secname(s, name, sizeof(name));
		if (cfg_size(s, "action") == 0) {
			config_error(config_secline(s), "%s: missing action",
			    name);
			continue;
		}
		/*
		 * An empty list would match every address (access.h): say
		 * so rather than guess what was meant.
		 */
		if (cfg_size(s, "source") == 0 ||
		    cfg_size(s, "destination") == 0) {
			config_error(config_secline(s), "%s %s: empty list "
			    "(write { \"any\" } for every address)", name,
			    cfg_size(s, "source") == 0 ? "source" :
			    "destination");
			continue;
		}
		(void)config_line(s, "action", &bad);
		if (bad)
			continue;
		(void)config_line(s, "reply", &bad);
		if (bad)
			continue;
		action = config_access_parse(cfg_getstr(s, "action"));
		src = config_strlist(s, "source", &nsrc);
		dst = config_strlist(s, "destination", &ndst);
		if (access_rule(conf->access, cfg_title(s),
		    (enum access_action)action, src, nsrc, dst, ndst,
		    cfg_getstr(s, "reply"), &errstr) == -1)
			config_error(config_secline(s), "access: %s", errstr);
		free(src);
		free(dst);
	}
}

/*
 * The file type rules. Extensions are kept as filetype_ext_match()
 * wants them, each once. An enabled section that blocks nothing is an
 * error: it would cost a scan of every message and refuse nothing,
 * which is surely not what was meant.
 */
static void
config_build_filetypes(cfg_t *root, struct config *conf)
{
	cfg_t		*sec;
	const char	*ext;
	char		*e, **v;
	size_t		 j;
	unsigned int	 i, n;
	int		 enabled_line;

	sec = cfg_getsec(root, "filetypes");
	conf->filetypes_enabled = cfg_getbool(sec, "enabled") ? 1 : 0;
	conf->block_encrypted_archives =
	    cfg_getbool(sec, "block_encrypted_archives") ? 1 : 0;
	conf->block_office_macros = cfg_getbool(sec, "block_office_macros") ?
	    1 : 0;
	conf->block_packed_executables =
	    cfg_getbool(sec, "block_packed_executables") ? 1 : 0;
	conf->filetypes_reply = config_strdup(cfg_getstr(sec, "reply"));

	n = cfg_size(sec, "block_types");
	for (i = 0; i < n; i++)
		conf->block_types |= filetype_parse(cfg_getnstr(sec,
		    "block_types", i));

	n = cfg_size(sec, "block_extensions");
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		fatal("config");
	conf->block_extensions = v;
	for (i = 0; i < n; i++) {
		ext = cfg_getnstr(sec, "block_extensions", i);
		if (*ext == '.')
			ext++;
		if (*ext == '\0')	/* reported */
			continue;
		e = config_strdup(ext);
		for (j = 0; e[j] != '\0'; j++)
			e[j] = (char)tolower((unsigned char)e[j]);
		for (j = 0; j < conf->nblock_extensions; j++)
			if (strcmp(v[j], e) == 0)
				break;
		if (j < conf->nblock_extensions) {
			free(e);
			continue;
		}
		v[conf->nblock_extensions++] = e;
	}

	/* A list of bad entries only was reported already. */
	enabled_line = config_line(sec, "enabled", NULL);
	if (conf->filetypes_enabled && cfg_size(sec, "block_extensions") == 0 &&
	    cfg_size(sec, "block_types") == 0 &&
	    !conf->block_encrypted_archives && !conf->block_office_macros &&
	    !conf->block_packed_executables)
		config_error(enabled_line, "filetypes: enabled, but blocks "
		    "nothing (set block_extensions, block_types or a "
		    "block_* switch)");
}

/*
 * Does pw, a member of groups, have the permissions want (as S_I?OTH
 * bits) on st? The kernel's rule: the owner's bits, else the group's,
 * else the others'.
 */
static int
config_may(const struct stat *st, const struct passwd *pw,
    const gid_t *groups, int ngroups, mode_t want)
{
	int	 i;

	if (st->st_uid == pw->pw_uid)
		return (st->st_mode & (want << 6)) == (want << 6);
	for (i = 0; i < ngroups; i++)
		if (groups[i] == st->st_gid)
			return (st->st_mode & (want << 3)) == (want << 3);
	return (st->st_mode & want) == want;
}

/* The access(2) mode of permissions given as S_I?OTH bits. */
static int
config_amode(mode_t want)
{
	return ((want & S_IROTH) ? R_OK : 0) | ((want & S_IWOTH) ? W_OK : 0) |
	    ((want & S_IXOTH) ? X_OK : 0);
}

/*
 * May the daemon use path, an absolute path, with the permissions
 * want_dir (S_I?OTH bits) if it is a directory, or want_file if it is
 * a regular file (0: it must be a directory)? Started as root, it runs
 * as user (if not NULL), so then user's permissions decide: search on
 * every directory of the path, and want on path, the way the kernel
 * decides them (access control lists aside). Returns 0, or -1 with the
 * reason in why.
 */
static int
config_path_usable(const char *path, const char *user, mode_t want_dir,
    mode_t want_file, char *why, size_t len)
{
	struct stat	 st;
	struct statvfs	 sv;
	struct passwd	*pw;
	gid_t		*groups = NULL;
	char		 dir[PATH_MAX];
	size_t		 i, plen;
	mode_t		 want;
	int		 ngroups = 64, n;

	if (stat(path, &st) == -1) {
		n = snprintf(why, len, "%s", strerror(errno));
		goto fail;
	}
	if (S_ISDIR(st.st_mode))
		want = want_dir;
	else if (want_file != 0 && S_ISREG(st.st_mode))
		want = want_file;
	else {
		n = want_file == 0 ? snprintf(why, len, "%s",
		    strerror(ENOTDIR)) : snprintf(why, len, "neither a "
		    "directory nor a regular file");
		goto fail;
	}
	if (user == NULL || geteuid() != 0 || (pw = getpwnam(user)) == NULL ||
	    pw->pw_uid == 0) {
		if (faccessat(AT_FDCWD, path, config_amode(want),
		    AT_EACCESS) == -1) {
			n = snprintf(why, len, "%s", strerror(errno));
			goto fail;
		}
		return 0;
	}

	if ((want & S_IWOTH) && statvfs(path, &sv) == 0 &&
	    (sv.f_flag & ST_RDONLY)) {
		n = snprintf(why, len, "%s", strerror(EROFS));
		goto fail;
	}
	/* A first call with too small an array says how many. */
	do {
		free(groups);
		if ((groups = reallocarray(NULL, (size_t)ngroups,
		    sizeof(*groups))) == NULL)
			fatal("config");
	} while (getgrouplist(pw->pw_name, pw->pw_gid, groups,
	    &ngroups) == -1);

	if (stat("/", &st) == -1 ||
	    !config_may(&st, pw, groups, ngroups, S_IXOTH)) {
		n = snprintf(why, len, "user \"%s\" may not search \"/\"",
		    user);
		goto fail;
	}
	if ((plen = strlen(path)) >= sizeof(dir))
		fatal("config: path too long");
	for (i = 1; i < plen; i++) {
		if (path[i] != '/')
			continue;
		memcpy(dir, path, i);
		dir[i] = '\0';
		if (stat(dir, &st) == -1 ||
		    !config_may(&st, pw, groups, ngroups, S_IXOTH)) {
			n = snprintf(why, len, "user \"%s\" may not search "
			    "\"%s\"", user, dir);
			goto fail;
		}
	}
	if (stat(path, &st) == -1 ||
	    !config_may(&st, pw, groups, ngroups, want)) {
		n = snprintf(why, len, "not %s by user \"%s\"",
		    (want & S_IWOTH) ? "writable" : "readable", user);
		goto fail;
	}
	free(groups);
	return 0;

 fail:
	free(groups);
	if (n < 0 || (size_t)n >= len)
		(void)snprintf(why, len, "unusable");
	return -1;
}

/* The values of list key in sec, as NULL-terminated copies. */
static char **
config_strcopies(cfg_t *sec, const char *key, size_t *n_r)
{
	char		**v;
	unsigned int	  i, n;

	n = cfg_size(sec, key);
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		fatal("config");
	for (i = 0; i < n; i++)
		v[i] = config_strdup(cfg_getnstr(sec, key, i));
	*n_r = n;
	return v;
}

/*
 * antivirus.local_servers, entry by entry as access.c parses lists
 * (SPEC §4.1), with the objects of the access section, each bad entry
 * at its line. The entries go into rules of a scratch rule set that
 * holds those objects too: a rule added to the real one would decide
 * connections.
 */
static void
config_check_local_servers(cfg_t *root, cfg_t *sec)
{
	struct access		*scratch;
	const struct config_mark *m;
	const char		*entry, *errstr, *why;
	char			 name[64], prefix[128];
	unsigned int		 i, n;
	int			 line, w;

	if ((n = cfg_size(sec, "local_servers")) == 0)
		return;
	if ((scratch = access_new(ACCESS_ACCEPT)) == NULL)
		fatal("config");
	/* Bad objects are reported by config_build_access(). */
	config_access_objects(cfg_getsec(root, "access"), scratch, 0);
	m = config_getmark(cfg_getopt(sec, "local_servers"));
	for (i = 0; i < n; i++) {
		entry = cfg_getnstr(sec, "local_servers", i);
		(void)snprintf(name, sizeof(name), "local_servers.%u", i);
		if (access_rule(scratch, name, ACCESS_ACCEPT, &entry, 1, NULL,
		    0, NULL, &errstr) == 0)
			continue;
		/* "rule \"NAME\" source: why": the rule is ours. */
		why = errstr;
		w = snprintf(prefix, sizeof(prefix), "rule \"%s\" source: ",
		    name);
		if (w > 0 && (size_t)w < sizeof(prefix) &&
		    strncmp(errstr, prefix, (size_t)w) == 0)
			why = errstr + w;
		line = i < config_ld->nlocal_lines ?
		    config_ld->local_lines[i] : 0;
		if (line == 0 && m != NULL)
			line = m->line;
		config_error(line, "antivirus.local_servers: %s", why);
	}
	access_free(scratch);
}

/*
 * The anti-virus settings. The libclamav database must be readable by
 * the daemon's user when the backend is enabled: an error now rather
 * than at the first scan; its signatures are left to the daemon, which
 * loads them once per configuration. The clamd servers are not
 * contacted. An enabled section that scans no mail is an error, as
 * with file types.
 */
static void
config_build_antivirus(cfg_t *root, struct config *conf)
{
	cfg_t		*sec;
	const char	*db;
	char		 why[PATH_MAX + 64];
	int		 v, enabled_line, backend_line, backend_bad, db_line;
	int		 db_bad, local_bad, other_bad;

	sec = cfg_getsec(root, "antivirus");
	conf->av_enabled = cfg_getbool(sec, "enabled") ? 1 : 0;
	if ((v = config_av_backend_parse(cfg_getstr(sec, "backend"))) == -1)
		v = CONFIG_AV_LIBCLAMAV;
	conf->av_backend = (enum config_av_backend)v;
	if ((v = config_av_on_error_parse(cfg_getstr(sec, "on_error"))) == -1)
		v = CONFIG_AV_TEMPFAIL;
	conf->av_on_error = (enum config_av_on_error)v;
	conf->av_scan_local = cfg_getbool(sec, "scan_local") ? 1 : 0;
	conf->av_scan_other = cfg_getbool(sec, "scan_other") ? 1 : 0;
	conf->av_database = config_strdup(cfg_getstr(sec, "database"));
	conf->av_reply = config_strdup(cfg_getstr(sec, "reply"));
	conf->av_clamd = config_strcopies(sec, "clamd", &conf->nav_clamd);
	conf->av_local_servers = config_strcopies(sec, "local_servers",
	    &conf->nav_local_servers);

	enabled_line = config_line(sec, "enabled", NULL);
	backend_line = config_line(sec, "backend", &backend_bad);
	db_line = config_line(sec, "database", &db_bad);
	(void)config_line(sec, "scan_local", &local_bad);
	(void)config_line(sec, "scan_other", &other_bad);

	/* Whether enabled or not, as upstream with relay mode. */
	if (!backend_bad && conf->av_backend == CONFIG_AV_CLAMD &&
	    conf->nav_clamd == 0)
		config_error(backend_line, "antivirus: backend = clamd "
		    "requires at least one server in clamd");
	config_check_local_servers(root, sec);
	if (!conf->av_enabled)
		return;

	if (!local_bad && !other_bad && !conf->av_scan_other &&
	    (!conf->av_scan_local || conf->nav_local_servers == 0))
		config_error(enabled_line, "antivirus: enabled, but scans "
		    "nothing (%s)", conf->av_scan_local ? "scan_other is "
		    "false and local_servers is empty" : "scan_local and "
		    "scan_other are false");

	db = conf->av_database;
	if (!backend_bad && !db_bad &&
	    conf->av_backend == CONFIG_AV_LIBCLAMAV &&
	    config_path_usable(db, conf->user, S_IROTH | S_IXOTH, S_IROTH,
	    why, sizeof(why)) == -1)
		config_error(db_line > 0 ? db_line : enabled_line,
		    "antivirus.database: cannot use \"%s\": %s", db, why);
}

/*
 * The spool directory, without trailing slashes. It must be usable
 * when an enabled inspection spools there: an error now, from -n or a
 * reload, rather than a temporary failure for every message later. The
 * error is at the line of spool_dir, or of the first "enabled" that
 * needs it.
 */
static void
config_build_spool(cfg_t *root, struct config *conf)
{
	const struct {
		const char	*section;
		int		 enabled;
	} spoolers[] = {
		{ "filetypes", conf->filetypes_enabled },
		{ "antivirus", conf->av_enabled },
	};
	const char	*needed[2];
	char		*dir, why[PATH_MAX + 64];
	size_t		 len, i, nneeded = 0;
	int		 line, bad;

	line = config_line(root, "spool_dir", &bad);
	dir = config_strdup(cfg_getstr(root, "spool_dir"));
	for (len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--)
		dir[len - 1] = '\0';
	conf->spool_dir = dir;

	/* Every inspection that spools is here. */
	for (i = 0; i < sizeof(spoolers) / sizeof(spoolers[0]); i++) {
		if (!spoolers[i].enabled)
			continue;
		needed[nneeded++] = spoolers[i].section;
		if (line == 0)
			line = config_line(cfg_getsec(root,
			    spoolers[i].section), "enabled", NULL);
	}
	if (bad || nneeded == 0)
		return;
	if (config_path_usable(dir, conf->user, S_IWOTH | S_IXOTH, 0, why,
	    sizeof(why)) == -1)
		config_error(line, "spool_dir: cannot use \"%s\": %s "
		    "(needed by %s%s%s)", dir, why, needed[0],
		    nneeded > 1 ? " and " : "", nneeded > 1 ? needed[1] : "");
}

static void
config_free(struct config *conf)
{
	size_t	 i;

	free(conf->path);
	free(conf->upstream_host);
	free(conf->upstream_port);
	free(conf->hostname);
	free(conf->user);
	free(conf->pidfile);
	free(conf->banner_text);
	access_free(conf->access);
	free(conf->spool_dir);
	for (i = 0; i < conf->nblock_extensions; i++)
		free(conf->block_extensions[i]);
	free(conf->block_extensions);
	free(conf->filetypes_reply);
	free(conf->av_database);
	if (conf->av_clamd != NULL)
		for (i = 0; i < conf->nav_clamd; i++)
			free(conf->av_clamd[i]);
	free(conf->av_clamd);
	if (conf->av_local_servers != NULL)
		for (i = 0; i < conf->nav_local_servers; i++)
			free(conf->av_local_servers[i]);
	free(conf->av_local_servers);
	free(conf->av_reply);
	free(conf);
}

#define CONFIG_MAX_FILE	(1024 * 1024)

/* The whole file, NUL-terminated, in *buf_r; 0 or -1 after reporting. */
static int
config_read(const char *path, char **buf_r, size_t *len_r)
{
	struct stat	 st;
	FILE		*fp;
	char		*buf = NULL;
	size_t		 len = 0, n;
	int		 rv = -1;

	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) == -1) {
		config_error(0, "cannot open: %s", strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		config_error(0, "cannot open: %s", strerror(EISDIR));
		goto done;
	}
	if ((buf = malloc(CONFIG_MAX_FILE + 1)) == NULL)
		fatal("config");
	while ((n = fread(buf + len, 1, CONFIG_MAX_FILE + 1 - len, fp)) > 0)
		if ((len += n) > CONFIG_MAX_FILE)
			break;
	if (ferror(fp)) {
		config_error(0, "cannot read: %s", strerror(errno));
		goto done;
	}
	if (len > CONFIG_MAX_FILE) {
		config_error(0, "file larger than %d bytes", CONFIG_MAX_FILE);
		goto done;
	}
	buf[len] = '\0';
	*buf_r = buf;
	*len_r = len;
	buf = NULL;
	rv = 0;
 done:
	free(buf);
	if (fp != NULL)
		fclose(fp);
	return rv;
}

/*
 * Prepare the text for libconfuse: blank out comments, keeping their
 * newlines, and check that every string, comment and brace is closed.
 *
 * The lexer of libconfuse 3.3 counts lines wrongly after a comment,
 * which would make every reported line number wrong, and it refuses a
 * comment inside a list; so libconfuse never sees a comment. Comments
 * are "#" to the end of the line anywhere outside a string, and "//" to
 * the end of the line or "/" "*" to "*" "/" where a token starts.
 * Strings are "..." and '...' with backslash escapes.
 *
 * libconfuse takes the end of the file as the end of an open section
 * and reports an open string at the last line; here each is reported
 * at the line where it opens. Returns 0, or -1 after reporting.
 *
 * libconfuse keeps only the line where a section ends. So the line
 * where each section starts (that of the name or title before its "{";
 * a "{" after "=" opens a list) goes into config_ld->secopen[], in the
 * order the sections end, which is the order libconfuse calls
 * config_cb_section() in.
 */
#define CONFIG_MAX_DEPTH	32

static void
config_secopen_add(int line)
{
	int	*v;

	v = reallocarray(config_ld->secopen, config_ld->nsecopen + 1,
	    sizeof(*v));
	if (v == NULL)
		fatal("config");
	config_ld->secopen = v;
	config_ld->secopen[config_ld->nsecopen++] = line;
}

static int
config_prepare(char *buf, size_t len)
{
	enum { CODE, DQUOTE, SQUOTE, LINE, BLOCK }	 st = CODE;
	int		 braces[CONFIG_MAX_DEPTH];
	int		 owner[CONFIG_MAX_DEPTH];	/* section: its line */
	size_t		 i, depth = 0;
	int		 line = 1, opened = 0, start = 1, lastline = 0;
	char		 c, next, last = '\0';

	for (i = 0; i < len; i++) {
		c = buf[i];
		next = i + 1 < len ? buf[i + 1] : '\0';
		if (c == '\n')
			line++;
		switch (st) {
		case CODE:
			if (c == '"' || c == '\'') {
				st = c == '"' ? DQUOTE : SQUOTE;
				opened = line;
			} else if (c == '#' || (start && c == '/' &&
			    next == '/')) {
				st = LINE;
				buf[i] = ' ';
			} else if (start && c == '/' && next == '*') {
				st = BLOCK;
				opened = line;
				buf[i++] = ' ';
				buf[i] = ' ';
			} else if (c == '{') {
				if (depth < CONFIG_MAX_DEPTH) {
					braces[depth] = line;
					owner[depth] = last == '=' ? 0 :
					    lastline;
				}
				depth++;
			} else if (c == '}' && depth > 0) {
				depth--;	/* libconfuse reports extras */
				if (depth < CONFIG_MAX_DEPTH && owner[depth] > 0)
					config_secopen_add(owner[depth]);
			}
			if (st == CODE && strchr(" \t\r\n", c) == NULL) {
				last = c;
				lastline = line;
			}
			start = strchr(" \t\r\n={}()+,", c) != NULL;
			break;
		case DQUOTE:
		case SQUOTE:
			if (c == '\\' && next != '\0') {
				if (next == '\n')
					line++;
				i++;
			} else if (c == (st == DQUOTE ? '"' : '\'')) {
				st = CODE;
				last = c;
				lastline = line;
			}
			start = 1;
			break;
		case LINE:
			if (c == '\n')
				st = CODE;
			else
				buf[i] = ' ';
			start = 1;
			break;
		case BLOCK:
			if (c == '*' && next == '/') {
				buf[i++] = ' ';
				buf[i] = ' ';
				st = CODE;
			} else if (c != '\n')
				buf[i] = ' ';
			start = 1;
			break;
		}
	}
	switch (st) {
	case DQUOTE:
	case SQUOTE:
		config_error(opened, "unterminated string");
		return -1;
	case BLOCK:
		config_error(opened, "unterminated comment");
		return -1;
	default:
		break;
	}
	if (depth > 0) {
		config_error(braces[depth > CONFIG_MAX_DEPTH ?
		    CONFIG_MAX_DEPTH - 1 : depth - 1], "{ is never closed");
		return -1;
	}
	return 0;
}

/*
 * Have config_cb_section() called as each section in opts ends; prefix
 * is the path of opts' section, "" at the top. A nested section must
 * be in a section libconfuse creates by default (not CFGF_MULTI).
 */
static void
config_watch_sections(cfg_t *root, const cfg_opt_t *opts,
    const char *prefix)
{
	const cfg_opt_t	*o;
	char		 path[128];
	int		 n;

	for (o = opts; o->name != NULL; o++) {
		if (o->type != CFGT_SEC)
			continue;
		n = snprintf(path, sizeof(path), "%s%s%s", prefix,
		    *prefix != '\0' ? "|" : "", o->name);
		if (n < 0 || (size_t)n >= sizeof(path) ||
		    cfg_getopt(root, path) == NULL)
			fatal("config: no section %s", path);
		(void)cfg_set_validate_func(root, path, config_cb_section);
		config_watch_sections(root, o->subopts, path);
	}
}

/*
 * Parse and compile path. Every error goes to errfn (which may be NULL
 * to only count them) as "FILE:LINE: message", or "FILE: message" when
 * it concerns no line. Returns a configuration with refcnt 1, or NULL
 * if anything was wrong.
 */
struct config *
config_load(const char *path, config_errfn errfn)
{
	struct config_ld	 ld;
	struct config		*conf = NULL;
	cfg_t			*root = NULL;
	FILE			*fp = NULL;
	char			*buf = NULL;
	size_t			 len;
	int			 i;

	memset(&ld, 0, sizeof(ld));
	ld.path = path;
	ld.errfn = errfn;
	for (i = 0; i < ALARM_COUNT; i++)
		ld.alarm_action[i] = alarm_table[i].action;
	config_ld = &ld;

	if (config_read(path, &buf, &len) == -1 ||
	    config_prepare(buf, len) == -1)
		goto fail;
	/* fmemopen() of nothing fails; an empty file is a newline. */
	if (len == 0)
		buf[len++] = '\n';
	if ((fp = fmemopen(buf, len, "r")) == NULL)
		fatal("config: fmemopen");

	if ((root = cfg_init(config_opts, CFGF_NONE)) == NULL)
		fatal("config");
	cfg_set_error_function(root, config_cfg_error);
	config_watch_sections(root, config_opts, "");
	/* cfg_parse_fp() names the file "FILE" unless told otherwise. */
	root->filename = config_strdup(path);
	if (cfg_parse_fp(root, fp) != CFG_SUCCESS) {
		if (ld.nerrors == 0)
			config_error(root->line, "syntax error");
		goto fail;
	}

	if ((conf = calloc(1, sizeof(*conf))) == NULL)
		fatal("config");
	conf->refcnt = 1;
	conf->path = config_strdup(path);
	config_build_listen(root, conf);
	config_build_mode(root, conf);
	config_build_strings(root, conf);
	config_build_numbers(root, conf);
	config_build_alarms(root, conf);
	config_build_commands(root, conf);
	config_build_extensions(root, conf);
	config_build_banner(root, conf);
	config_build_access(root, conf);
	config_build_filetypes(root, conf);
	config_build_antivirus(root, conf);
	config_build_spool(root, conf);
	if (ld.nerrors > 0)
		goto fail;

	cfg_free(root);
	fclose(fp);
	free(buf);
	free(ld.marks);
	free(ld.secopen);
	free(ld.seclines);
	free(ld.local_lines);
	config_ld = NULL;
	return conf;

 fail:
	if (conf != NULL)
		config_free(conf);
	if (root != NULL)
		cfg_free(root);
	if (fp != NULL)
		fclose(fp);
	free(buf);
	free(ld.marks);
	free(ld.secopen);
	free(ld.seclines);
	free(ld.local_lines);
	config_ld = NULL;
	return NULL;
}

/* Take a reference; single-threaded use. Returns conf. */
struct config *
config_ref(struct config *conf)
{
	conf->refcnt++;
	return conf;
}

void
config_unref(struct config *conf)
{
	if (conf == NULL)
		return;
	if (--conf->refcnt > 0)
		return;
	config_free(conf);
}
