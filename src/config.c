/*
 * Configuration: the libconfuse option tables, the validators that run
 * while the file is parsed, and the load, which has config_build.c
 * compile the parsed tree into the immutable struct config of config.h.
 * The checks of single values that need no libconfuse are in
 * config_check.c; this file is the only one that includes <confuse.h>,
 * and hands the tree to config_build.c through config_priv.h.
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
 * the parse and use the lines the callbacks recorded. A key set twice
 * in one section, or an untitled section given twice, which libconfuse
 * takes silently (the last value wins), is an error too.
 *
 * libconfuse keeps its lexer in globals, and a load its state in
 * config_ld: config_load() holds config_load_lock from start to end, so
 * any thread may load, one at a time (start-up on the main thread, a
 * reload on a worker thread).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <confuse.h>
#include <errno.h>
#include <pthread.h>
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
#include "config_priv.h"
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
	{ CONFIG_ROOT, "workers", CONFIG_PARSE_COUNT, 0, 1024, NULL,
	    NUM_INT(workers) },
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
	{ "antivirus", "threads", CONFIG_PARSE_COUNT, 0, 64, NULL,
	    NUM_INT(av_threads) },
};

/* String keys that name one of a fixed set of values. */
struct config_enum {
	const char	*section;
	const char	*name;
	int		(*parse)(const char *);	/* value, or -1 */
	const char	*choices;		/* for the error message */
};

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
	{ "tls", "mode", config_tls_mode_parse, "off, passthrough or inspect" },
	{ "tls", "upstream", config_tls_upstream_parse,
	    "opportunistic, required or none" },
	{ "tls", "min_protocol", config_tls_protocol_parse,
	    "TLSv1, TLSv1.1, TLSv1.2 or TLSv1.3" },
};

/*
 * String keys whose every value one function of config_check.c checks.
 * Every CFG_STR_CB or CFG_STR_LIST_CB with config_cb_check must have a
 * row here.
 */
struct config_str {
	const char	*section;
	const char	*name;
	int		(*check)(const char *, char *, size_t);
};

static const struct config_str config_strs[] = {
	{ CONFIG_ROOT, "upstream", config_check_upstream },
	{ CONFIG_ROOT, "hostname", config_check_hostname },
	{ CONFIG_ROOT, "user", config_check_user },
	{ CONFIG_ROOT, "pidfile", config_check_pidfile },
	{ CONFIG_ROOT, "spool_dir", config_check_spool_dir },
	{ CONFIG_ROOT, "trusted_proxies", config_check_trusted_proxy },
	{ "metrics", "listen", config_check_metrics_listen },
	{ "commands", "allow", config_check_command },
	{ "extensions", "allow", config_check_extension },
	{ "banner", "text", config_check_banner_text },
	{ "rule", "reply", config_check_rule_reply },
	{ "filetypes", "block_extensions", config_check_block_ext },
	{ "filetypes", "block_types", config_check_block_type },
	{ "filetypes", "reply", config_check_filetypes_reply },
	{ "antivirus", "database", config_check_av_database },
	{ "antivirus", "reply", config_check_av_reply },
	{ "tls", "ciphers", config_check_tls_ciphers },
	{ "tls", "ciphersuites", config_check_tls_ciphersuites },
};

/* Sections that live in another section, for the names in messages. */
static const struct {
	const char	*name;
	const char	*parent;
} config_parents[] = {
	{ "object", "access" },
	{ "rule", "access" },
};

/* The line of the last value a callback saw for an option. */
struct config_mark {
	const cfg_opt_t	*opt;
	int		 line;	/* 0 for a default */
	int		 bad;	/* the value was reported as an error */
	int		 dflt;	/* the values are the default list's */
	int		 dfltline;	/* the lexer's line as it was parsed */
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
	size_t			 maxmarks;	/* allocated */
	/* Index + 1 into marks[] by option, 0 for none (config_mark_slot()). */
	size_t			*slots;
	size_t			 nslots;	/* 0 or a power of 2 */

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

static pthread_mutex_t	 config_load_lock = PTHREAD_MUTEX_INITIALIZER;
static struct config_ld	*config_ld;	/* under config_load_lock */

/*
 * Parsers of the keys with a fixed set of values; the other values
 * are parsed in config_parse.c.
 */

/* One fixed-value keyword and what it stands for. */
struct config_word {
	const char	*name;
	int		 value;
};

static const struct config_word config_modes[] = {
	{ "transparent", CONFIG_MODE_TRANSPARENT },
	{ "relay", CONFIG_MODE_RELAY },
	{ NULL, -1 }
};
static const struct config_word config_banners[] = {
	{ "pass", POLICY_BANNER_PASS },
	{ "mask", POLICY_BANNER_MASK },
	{ "replace", POLICY_BANNER_REPLACE },
	{ NULL, -1 }
};
static const struct config_word config_access_actions[] = {
	{ "accept", ACCESS_ACCEPT },
	{ "deny", ACCESS_DENY },
	{ NULL, -1 }
};
static const struct config_word config_av_backends[] = {
	{ "libclamav", CONFIG_AV_LIBCLAMAV },
	{ "clamd", CONFIG_AV_CLAMD },
	{ NULL, -1 }
};
static const struct config_word config_av_on_errors[] = {
	{ "tempfail", CONFIG_AV_TEMPFAIL },
	{ "reject", CONFIG_AV_REJECT },
	{ "pass", CONFIG_AV_PASS },
	{ NULL, -1 }
};

/* The value of keyword s (case-insensitive) in words, or -1. */
static int
config_word(const char *s, const struct config_word *words)
{
	for (; words->name != NULL; words++)
		if (strcasecmp(s, words->name) == 0)
			return words->value;
	return -1;
}

int
config_mode_parse(const char *s)
{
	return config_word(s, config_modes);
}

int
config_banner_parse(const char *s)
{
	return config_word(s, config_banners);
}

int
config_access_parse(const char *s)
{
	return config_word(s, config_access_actions);
}

int
config_av_backend_parse(const char *s)
{
	return config_word(s, config_av_backends);
}

int
config_av_on_error_parse(const char *s)
{
	return config_word(s, config_av_on_errors);
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

void
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
config_cfg_secname(const cfg_t *cfg, char *buf, size_t len)
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
		    config_cfg_secname(cfg, sec, sizeof(sec)),
		    cfg->title != NULL ? " " : ".", opt->name);
	if (n < 0 || (size_t)n >= len)
		(void)snprintf(buf, len, "%s", opt->name);
	return buf;
}

/*
 * The marks are found by their option through a hash table with linear
 * probing: a file of thousands of rules has tens of thousands of them.
 */
static size_t
config_mark_slot(const cfg_opt_t *opt)
{
	uint64_t	 h = (uint64_t)(uintptr_t)opt;
	size_t		 i, mask = config_ld->nslots - 1;

	h = (h ^ (h >> 29)) * UINT64_C(0x9e3779b97f4a7c15);
	for (i = (size_t)(h >> 32) & mask; config_ld->slots[i] != 0 &&
	    config_ld->marks[config_ld->slots[i] - 1].opt != opt;
	    i = (i + 1) & mask)
		;
	return i;
}

/* The mark of opt, or NULL. */
static struct config_mark *
config_getmark(const cfg_opt_t *opt)
{
	size_t	 i;

	if (config_ld->nslots == 0)
		return NULL;
	i = config_mark_slot(opt);
	return config_ld->slots[i] != 0 ?
	    &config_ld->marks[config_ld->slots[i] - 1] : NULL;
}

/* A new, zeroed mark for opt, which has none. */
static struct config_mark *
config_newmark(const cfg_opt_t *opt)
{
	struct config_mark	*m;
	size_t			 i, n;

	if (config_ld->nmarks == config_ld->maxmarks) {
		n = config_ld->maxmarks > 0 ? config_ld->maxmarks * 2 : 64;
		if ((m = reallocarray(config_ld->marks, n, sizeof(*m))) == NULL)
			fatal("config");
		config_ld->marks = m;
		config_ld->maxmarks = n;
	}
	/* At most half full: rebuild twice as large. */
	if (2 * (config_ld->nmarks + 1) > config_ld->nslots) {
		n = config_ld->nslots > 0 ? config_ld->nslots * 2 : 128;
		free(config_ld->slots);
		if ((config_ld->slots = calloc(n, sizeof(size_t))) == NULL)
			fatal("config");
		config_ld->nslots = n;
		for (i = 0; i < config_ld->nmarks; i++)
			config_ld->slots[config_mark_slot(
			    config_ld->marks[i].opt)] = i + 1;
	}
	m = &config_ld->marks[config_ld->nmarks++];
	memset(m, 0, sizeof(*m));
	m->opt = opt;
	config_ld->slots[config_mark_slot(opt)] = config_ld->nmarks;
	return m;
}

/*
 * Does libconfuse parse a default for opt through its value callback? It
 * does for a list with a value ("{any}", not "{}"), as the section is
 * created: before the file's first value of that section, at line 0 for
 * the sections cfg_init() creates, at the title's line for a titled one.
 */
static int
config_default_list(const cfg_opt_t *opt)
{
	return (opt->flags & CFGF_LIST) && opt->def.parsed != NULL &&
	    strspn(opt->def.parsed, "{} \t") != strlen(opt->def.parsed);
}

/*
 * Remember the line of opt's value and whether it was bad. Every value
 * callback calls this once per value. A value that starts a new
 * assignment of a key the file set before in the same section (a second
 * "max_sessions = 1", a second "listen = { ... }") is an error, where
 * libconfuse silently keeps the last one; the next element of a list is
 * no new assignment, nor is "+=", which appends. Defaults do not count.
 * A list assigned "{ }" leaves no value, so no trace here.
 */
static void
config_mark(const cfg_t *cfg, const cfg_opt_t *opt, int bad)
{
	struct config_mark	*m;
	char			 key[256];
	int			 fresh;

	/* A new assignment, or the next element of the same list. */
	fresh = !(opt->flags & CFGF_LIST) || opt->nvalues == 1;
	if ((m = config_getmark(opt)) == NULL) {
		m = config_newmark(opt);
		m->dflt = fresh && config_default_list(opt);
		m->dfltline = cfg->line;
	} else {
		if (fresh && !m->dflt && m->line > 0) {
			config_error(cfg->line, "%s: already set at line %d",
			    config_keyname(cfg, opt, key, sizeof(key)),
			    m->line);
			bad = 1;
		}
		/* What follows the default's elements is the file's. */
		if (fresh || cfg->line != m->dfltline)
			m->dflt = 0;
	}
	m->opt = opt;
	m->line = m->dflt ? 0 : cfg->line;
	m->bad = bad;
}


/* Report a bad value of opt at the current line. */
static void __attribute__((format(printf, 3, 4)))
config_bad(const cfg_t *cfg, const cfg_opt_t *opt, const char *fmt, ...)
{
	char	 key[256], msg[CONFIG_WHY_MAX];
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
	char			 why[CONFIG_WHY_MAX];
	uint64_t		 v;

	*(long *)result = 0;
	if ((num = config_num_lookup(cfg->name, opt->name)) == NULL)
		config_bad(cfg, opt, "no range defined (internal error)");
	else if (config_check_number(value, num->kind, num->min, num->max,
	    num->why, &v, why, sizeof(why)) == -1)
		config_bad(cfg, opt, "%s", why);
	else {
		config_mark(cfg, opt, 0);
		*(long *)result = (long)v;
	}
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

static const struct config_str *
config_str_lookup(const char *section, const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(config_strs) / sizeof(config_strs[0]); i++)
		if (strcmp(config_strs[i].section, section) == 0 &&
		    strcmp(config_strs[i].name, name) == 0)
			return &config_strs[i];
	return NULL;
}

/* A string value, or one element of a list, checked by config_strs[]. */
static int
config_cb_check(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	const struct config_str	*str;
	char			 why[CONFIG_WHY_MAX];

	*(const char **)result = value;
	if ((str = config_str_lookup(cfg->name, opt->name)) == NULL)
		config_bad(cfg, opt, "no check defined (internal error)");
	else if (str->check(value, why, sizeof(why)) == -1)
		config_bad(cfg, opt, "%s", why);
	else
		config_mark(cfg, opt, 0);
	return 0;
}

/* antivirus.clamd: one server per element (config_check_clamd()). */
static int
config_cb_clamd(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	char		 why[CONFIG_WHY_MAX];
	unsigned int	 i;

	*(const char **)result = value;
	if (config_check_clamd(value, why, sizeof(why)) == -1) {
		config_bad(cfg, opt, "%s", why);
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

/* A list element checked after the parse (access entries): its line. */
static int
config_cb_plain(cfg_t *cfg, cfg_opt_t *opt, const char *value,
    void *result)
{
	*(const char **)result = value;
	config_mark(cfg, opt, 0);
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
 * section starts, for errors found after the parse. libconfuse merges
 * a second section of an untitled name ("limits { } limits { }") into
 * the first: that is an error, reported where the second one starts.
 */
static int
config_cb_section(cfg_t *cfg, cfg_opt_t *opt)
{
	struct config_secline	*sl;
	cfg_t			*sec;
	char			 name[256];
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
	if (i < config_ld->nseclines && !(opt->flags & CFGF_MULTI)) {
		config_error(line, "%s: already set at line %d",
		    config_cfg_secname(sec, name, sizeof(name)),
		    config_ld->seclines[i].line);
		return 0;	/* the first one's line stays */
	}
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

/*
 * The option tables. Defaults are here; ranges of numbers are in
 * config_nums[], value sets in config_enums[], the checks of other
 * strings in config_strs[].
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
	CFG_STR_LIST_CB("allow", "{}", CFGF_NONE, config_cb_check),
	CFG_END()
};

static cfg_opt_t config_extensions_opts[] = {	/* SPEC §3 */
	CFG_BOOL_CB("enabled", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_LIST_CB("allow", "{SIZE, 8BITMIME, PIPELINING, "
	    "ENHANCEDSTATUSCODES, DSN, SMTPUTF8, AUTH, STARTTLS}", CFGF_NONE,
	    config_cb_check),
	CFG_END()
};

static cfg_opt_t config_banner_opts[] = {	/* SPEC §4.3 */
	CFG_BOOL_CB("enabled", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("mode", "pass", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("text", "", CFGF_NONE, config_cb_check),
	CFG_BOOL_CB("ehlo", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_END()
};

/*
 * Access rules (SPEC §4.1). Entries are checked by access.c when the
 * rule set is built after the parse, so an object may be defined after
 * the rules that use it.
 */
static cfg_opt_t config_object_opts[] = {
	CFG_STR_LIST_CB("address", "{}", CFGF_NONE, config_cb_plain),
	CFG_END()
};

static cfg_opt_t config_rule_opts[] = {
	CFG_STR_CB("action", NULL, CFGF_NODEFAULT, config_cb_enum),
	CFG_STR_LIST_CB("source", "{any}", CFGF_NONE, config_cb_plain),
	CFG_STR_LIST_CB("destination", "{any}", CFGF_NONE, config_cb_plain),
	CFG_STR_CB("reply", "Access denied", CFGF_NONE, config_cb_check),
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
	CFG_STR_LIST_CB("block_extensions", "{}", CFGF_NONE, config_cb_check),
	CFG_STR_LIST_CB("block_types", "{}", CFGF_NONE, config_cb_check),
	CFG_BOOL_CB("block_encrypted_archives", cfg_false, CFGF_NONE,
	    config_cb_bool),
	CFG_BOOL_CB("block_office_macros", cfg_false, CFGF_NONE,
	    config_cb_bool),
	CFG_BOOL_CB("block_packed_executables", cfg_false, CFGF_NONE,
	    config_cb_bool),
	CFG_STR_CB("reply", "", CFGF_NONE, config_cb_check),
	CFG_END()
};

static cfg_opt_t config_antivirus_opts[] = {	/* SPEC §4.6 */
	CFG_BOOL_CB("enabled", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("backend", "libclamav", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("database", "/var/lib/clamav", CFGF_NONE, config_cb_check),
	CFG_STR_LIST_CB("clamd", "{\"/run/clamav/clamd.ctl\"}", CFGF_NONE,
	    config_cb_clamd),
	CFG_BOOL_CB("scan_local", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_BOOL_CB("scan_other", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_LIST_CB("local_servers", "{}", CFGF_NONE,
	    config_cb_local_server),
	CFG_INT_CB("max_size", 25 * MIB, CFGF_NONE, config_cb_number),
	CFG_STR_CB("on_error", "tempfail", CFGF_NONE, config_cb_enum),
	CFG_INT_CB("threads", 2, CFGF_NONE, config_cb_number),
	CFG_STR_CB("reply", "", CFGF_NONE, config_cb_check),
	CFG_END()
};

/*
 * TLS (SPEC §4.7). The files are checked as the contexts are built
 * (config_tls.c), with the lines recorded here.
 */
static cfg_opt_t config_tls_opts[] = {
	CFG_STR_CB("mode", "passthrough", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("certificate", "", CFGF_NONE, config_cb_plain),
	CFG_STR_CB("key", "", CFGF_NONE, config_cb_plain),
	CFG_STR_CB("upstream", "opportunistic", CFGF_NONE, config_cb_enum),
	CFG_BOOL_CB("upstream_verify", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("ca", "", CFGF_NONE, config_cb_plain),
	CFG_STR_CB("ciphers", "", CFGF_NONE, config_cb_check),
	CFG_STR_CB("ciphersuites", "", CFGF_NONE, config_cb_check),
	CFG_STR_CB("min_protocol", "TLSv1.2", CFGF_NONE, config_cb_enum),
	CFG_STR_LIST_CB("listen", "{}", CFGF_NONE, config_cb_listen),
	CFG_END()
};

/* TPROXY listeners and the upstream's source address (smtpproxy.conf(5)). */
static cfg_opt_t config_tproxy_opts[] = {
	CFG_STR_LIST_CB("listen", "{}", CFGF_NONE, config_cb_listen),
	CFG_BOOL_CB("client_source", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_END()
};

static cfg_opt_t config_metrics_opts[] = {
	CFG_STR_CB("listen", "", CFGF_NONE, config_cb_check),
	CFG_END()
};

static cfg_opt_t config_opts[] = {
	CFG_STR_LIST_CB("listen", "{127.0.0.1:10025}", CFGF_NONE,
	    config_cb_listen),
	CFG_STR_CB("mode", "transparent", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("upstream", "", CFGF_NONE, config_cb_check),
	CFG_STR_CB("hostname", "", CFGF_NONE, config_cb_check),
	CFG_STR_CB("user", "", CFGF_NONE, config_cb_check),
	CFG_STR_CB("pidfile", "", CFGF_NONE, config_cb_check),
	CFG_STR_CB("spool_dir", "/var/spool/smtpproxy", CFGF_NONE,
	    config_cb_check),
	CFG_INT_CB("max_sessions", 10000, CFGF_NONE, config_cb_number),
	CFG_INT_CB("max_sessions_per_client", 100, CFGF_NONE,
	    config_cb_number),
	CFG_INT_CB("max_bad_commands", 20, CFGF_NONE, config_cb_number),
	CFG_INT_CB("workers", 0, CFGF_NONE, config_cb_number),
	CFG_INT_CB("shutdown_grace", 30, CFGF_NONE, config_cb_number),
	CFG_BOOL_CB("inspect", cfg_true, CFGF_NONE, config_cb_bool),
	CFG_STR_CB("log_level", "info", CFGF_NONE, config_cb_enum),
	CFG_STR_CB("syslog_facility", "mail", CFGF_NONE, config_cb_enum),
	CFG_BOOL_CB("proxy_protocol", cfg_false, CFGF_NONE, config_cb_bool),
	CFG_STR_LIST_CB("trusted_proxies", "{}", CFGF_NONE, config_cb_check),
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
	CFG_SEC("tls", config_tls_opts, CFGF_NONE),
	CFG_SEC("tproxy", config_tproxy_opts, CFGF_NONE),
	CFG_SEC("metrics", config_metrics_opts, CFGF_NONE),
	CFG_END()
};

/*
 * The parsed tree, for config_build.c (config_priv.h): a struct
 * config_sec is a cfg_t.
 */

#define CONFIG_CFG(sec)	((cfg_t *)(void *)(sec))
#define CONFIG_SEC(cfg)	((struct config_sec *)(void *)(cfg))

char *
config_strdup(const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		fatal("config");
	return p;
}

struct config_sec *
config_getsec(struct config_sec *sec, const char *name)
{
	return CONFIG_SEC(cfg_getsec(CONFIG_CFG(sec), name));
}

struct config_sec *
config_getnsec(struct config_sec *sec, const char *name, unsigned int i)
{
	return CONFIG_SEC(cfg_getnsec(CONFIG_CFG(sec), name, i));
}

const char *
config_title(struct config_sec *sec)
{
	return cfg_title(CONFIG_CFG(sec));
}

/* Where sec starts, or, if that is unknown, where it ends. */
int
config_secline(struct config_sec *sec)
{
	size_t	 i;

	for (i = 0; i < config_ld->nseclines; i++)
		if (config_ld->seclines[i].sec == CONFIG_CFG(sec) &&
		    config_ld->seclines[i].line > 0)
			return config_ld->seclines[i].line;
	return CONFIG_CFG(sec)->line;
}

const char *
config_secname(struct config_sec *sec, char *buf, size_t len)
{
	return config_cfg_secname(CONFIG_CFG(sec), buf, len);
}

unsigned int
config_size(struct config_sec *sec, const char *key)
{
	return cfg_size(CONFIG_CFG(sec), key);
}

const char *
config_getstr(struct config_sec *sec, const char *key)
{
	return cfg_getstr(CONFIG_CFG(sec), key);
}

const char *
config_getnstr(struct config_sec *sec, const char *key, unsigned int i)
{
	return cfg_getnstr(CONFIG_CFG(sec), key, i);
}

int
config_getbool(struct config_sec *sec, const char *key)
{
	return cfg_getbool(CONFIG_CFG(sec), key) ? 1 : 0;
}

int
config_line(struct config_sec *sec, const char *key, int *bad_r)
{
	const struct config_mark	*m;

	m = config_getmark(cfg_getopt(CONFIG_CFG(sec), key));
	if (bad_r != NULL)
		*bad_r = m != NULL && m->bad;
	return m != NULL ? m->line : 0;
}

/* Recorded by config_cb_local_server(); else the line of the list. */
int
config_local_server_line(struct config_sec *av, unsigned int i)
{
	const struct config_mark	*m;
	int				 line;

	m = config_getmark(cfg_getopt(CONFIG_CFG(av), "local_servers"));
	line = i < config_ld->nlocal_lines ? config_ld->local_lines[i] : 0;
	if (line == 0 && m != NULL)
		line = m->line;
	return line;
}

/*
 * The parts of struct config that come from config.c's own state: the
 * numbers, with config_nums[], and the alarms, from what
 * config_cb_alarm_action() saw. config_build.c compiles the rest.
 */

static void
config_load_numbers(cfg_t *root, struct config *conf)
{
	const struct config_num	*num;
	const struct config_mark	*m;
	cfg_t			*sec;
	char			*field;
	long			 v;
	size_t			 i;

	/* A number's default has no mark: only the file's values do. */
	m = config_getmark(cfg_getopt(root, "max_sessions"));
	conf->max_sessions_set = m != NULL && m->line > 0;

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

/* Sections without an action never reached config_cb_alarm_action(). */
static void
config_load_alarms(cfg_t *root, struct config *conf)
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
	struct config_sec	*tree;
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
	pthread_mutex_lock(&config_load_lock);
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
	atomic_init(&conf->refcnt, 1);
	conf->path = config_strdup(path);
	tree = CONFIG_SEC(root);
	config_build_listen(tree, conf);
	config_build_mode(tree, conf);
	config_build_strings(tree, conf);
	config_load_numbers(root, conf);
	config_load_alarms(root, conf);
	config_build_tls(tree, conf);
	config_build_commands(tree, conf);
	config_build_extensions(tree, conf);
	config_build_banner(tree, conf);
	config_build_access(tree, conf);
	config_build_filetypes(tree, conf);
	config_build_antivirus(tree, conf);
	config_build_spool(tree, conf);
	config_build_proxy(tree, conf);
	config_build_metrics(tree, conf);
	if (ld.nerrors > 0)
		goto fail;

	cfg_free(root);
	fclose(fp);
	free(buf);
	free(ld.marks);
	free(ld.slots);
	free(ld.secopen);
	free(ld.seclines);
	free(ld.local_lines);
	config_ld = NULL;
	pthread_mutex_unlock(&config_load_lock);
	return conf;

 fail:
	if (conf != NULL)
		config_build_free(conf);
	if (root != NULL)
		cfg_free(root);
	if (fp != NULL)
		fclose(fp);
	free(buf);
	free(ld.marks);
	free(ld.slots);
	free(ld.secopen);
	free(ld.seclines);
	free(ld.local_lines);
	config_ld = NULL;
	pthread_mutex_unlock(&config_load_lock);
	return NULL;
}

/* Take a reference; any thread. Returns conf. */
struct config *
config_ref(struct config *conf)
{
	atomic_fetch_add(&conf->refcnt, 1);
	return conf;
}

/* The thread that drops the last reference frees the configuration. */
void
config_unref(struct config *conf)
{
	if (conf == NULL || atomic_fetch_sub(&conf->refcnt, 1) != 1)
		return;
	config_build_free(conf);
}
