/*
 * Unit tests of config.c: the value parsers, defaults, every key, and
 * the exact "FILE:LINE: message" of every error, loading real files
 * written to a temporary directory.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alarm.h"
#include "config.h"
#include "log.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define MAXERRS		32

static char	 tmpdir[PATH_MAX];
static char	 confpath[PATH_MAX];
static char	*errs[MAXERRS];
static int	 nerrs;

static void
collect(const char *msg)
{
	if (nerrs < MAXERRS)
		errs[nerrs] = strdup(msg);
	nerrs++;
}

static void
clear_errors(void)
{
	int	 i;

	for (i = 0; i < nerrs && i < MAXERRS; i++)
		free(errs[i]);
	nerrs = 0;
}

static void
setup(void)
{
	int	 n;

	n = snprintf(tmpdir, sizeof(tmpdir), "%s/check_config.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert(n > 0 && (size_t)n < sizeof(tmpdir));
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	n = snprintf(confpath, sizeof(confpath), "%s/test.conf", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(confpath));
	nerrs = 0;
}

static void
teardown(void)
{
	clear_errors();
	(void)unlink(confpath);
	(void)rmdir(tmpdir);
}

static void
write_conf(const char *text)
{
	FILE	*fp;

	ck_assert_ptr_nonnull(fp = fopen(confpath, "w"));
	ck_assert_int_eq(fputs(text, fp) >= 0, 1);
	ck_assert_int_eq(fclose(fp), 0);
}

static struct config *
load(const char *text)
{
	clear_errors();
	write_conf(text);
	return config_load(confpath, collect);
}

/* A configuration that must load without a single error. */
static struct config *
load_ok(const char *text)
{
	struct config	*conf;

	conf = load(text);
	if (nerrs > 0)
		ck_abort_msg("unexpected error: %s", errs[0]);
	ck_assert_ptr_nonnull(conf);
	return conf;
}

static uint16_t
addr_port(const struct config_addr *a)
{
	if (a->ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
}

/*
 * Sizes.
 */
static const struct {
	const char	*in;
	int		 rv;
	uint64_t	 out;
} size_tests[] = {
	{ "0", 0, 0 },
	{ "1", 0, 1 },
	{ "512", 0, 512 },
	{ "1K", 0, 1024 },
	{ "1k", 0, 1024 },
	{ "25M", 0, 25 * 1024 * 1024 },
	{ "50m", 0, 50 * 1024 * 1024 },
	{ "2G", 0, 2ULL * 1024 * 1024 * 1024 },
	{ "007", 0, 7 },
	{ "18446744073709551615", 0, UINT64_MAX },
	{ "18446744073709551616", -1, 0 },
	{ "17179869184G", -1, 0 },
	{ "99999999999999999999999", -1, 0 },
	{ "", -1, 0 },
	{ "K", -1, 0 },
	{ "-1", -1, 0 },
	{ "+1", -1, 0 },
	{ " 1", -1, 0 },
	{ "1 ", -1, 0 },
	{ "1 K", -1, 0 },
	{ "1KB", -1, 0 },
	{ "1T", -1, 0 },
	{ "1.5M", -1, 0 },
	{ "0x10", -1, 0 },
	{ "10s", -1, 0 },
};

START_TEST(test_parse_size)
{
	uint64_t	 v = 12345;
	int		 rv;

	rv = config_parse_size(size_tests[_i].in, &v);
	ck_assert_msg(rv == size_tests[_i].rv, "\"%s\": rv %d",
	    size_tests[_i].in, rv);
	if (rv == 0)
		ck_assert_msg(v == size_tests[_i].out, "\"%s\": %llu",
		    size_tests[_i].in, (unsigned long long)v);
}
END_TEST

/*
 * Durations.
 */
static const struct {
	const char	*in;
	int		 rv;
	int		 out;
} duration_tests[] = {
	{ "0", 0, 0 },
	{ "30", 0, 30 },
	{ "30s", 0, 30 },
	{ "5m", 0, 300 },
	{ "1h", 0, 3600 },
	{ "2147483647", 0, INT_MAX },
	{ "596523h", 0, 596523 * 3600 },
	{ "2147483648", -1, 0 },
	{ "596524h", -1, 0 },
	{ "35791395m", -1, 0 },
	{ "", -1, 0 },
	{ "s", -1, 0 },
	{ "-5", -1, 0 },
	{ "5 m", -1, 0 },
	{ "5M", -1, 0 },
	{ "1d", -1, 0 },
	{ "1h30m", -1, 0 },
	{ "1.5h", -1, 0 },
	{ "5ms", -1, 0 },
};

START_TEST(test_parse_duration)
{
	int	 v = 12345, rv;

	rv = config_parse_duration(duration_tests[_i].in, &v);
	ck_assert_msg(rv == duration_tests[_i].rv, "\"%s\": rv %d",
	    duration_tests[_i].in, rv);
	if (rv == 0)
		ck_assert_int_eq(v, duration_tests[_i].out);
}
END_TEST

/*
 * host:port.
 */
static const struct {
	const char	*in;
	const char	*host;	/* NULL: must fail */
	const char	*port;
} hostport_tests[] = {
	{ "127.0.0.1:25", "127.0.0.1", "25" },
	{ "[::1]:25", "::1", "25" },
	{ "[2001:db8::25]:587", "2001:db8::25", "587" },
	{ "mail.example.org:25", "mail.example.org", "25" },
	{ "MX-1.Example.org:65535", "MX-1.Example.org", "65535" },
	{ "localhost:1", "localhost", "1" },
	{ "mail.example.org", NULL, NULL },
	{ "mail.example.org:", NULL, NULL },
	{ ":25", NULL, NULL },
	{ "mail:0", NULL, NULL },
	{ "mail:65536", NULL, NULL },
	{ "mail:99999999999999999999", NULL, NULL },
	{ "mail:-25", NULL, NULL },
	{ "mail:+25", NULL, NULL },
	{ "mail:25x", NULL, NULL },
	{ "mail:smtp", NULL, NULL },
	{ "[::1]", NULL, NULL },
	{ "[::1]:", NULL, NULL },
	{ "[::1:25", NULL, NULL },
	{ "[::1]25", NULL, NULL },
	{ "::1:25", NULL, NULL },
	{ "[]:25", NULL, NULL },
	{ "[mail]:25", NULL, NULL },
	{ "[1.2.3.4]:25", NULL, NULL },
	{ "ma il:25", NULL, NULL },
	{ "-mail:25", NULL, NULL },
	{ "mail-.org:25", NULL, NULL },
	{ "a..b:25", NULL, NULL },
	{ ".a:25", NULL, NULL },
	{ "999.1.1.1:25", NULL, NULL },
	{ "mail\r\n:25", NULL, NULL },
	{ "", NULL, NULL },
};

START_TEST(test_parse_hostport)
{
	char	*host = NULL, *port = NULL;
	int	 rv;

	rv = config_parse_hostport(hostport_tests[_i].in, &host, &port);
	if (hostport_tests[_i].host == NULL) {
		ck_assert_msg(rv == -1, "\"%s\" accepted",
		    hostport_tests[_i].in);
		return;
	}
	ck_assert_msg(rv == 0, "\"%s\" refused", hostport_tests[_i].in);
	ck_assert_str_eq(host, hostport_tests[_i].host);
	ck_assert_str_eq(port, hostport_tests[_i].port);
	free(host);
	free(port);
	/* Validation only. */
	ck_assert_int_eq(config_parse_hostport(hostport_tests[_i].in, NULL,
	    NULL), 0);
}
END_TEST

/*
 * Listening addresses: numeric only.
 */
static const struct {
	const char	*in;
	int		 family;	/* 0: must fail */
	uint16_t	 port;
} addr_tests[] = {
	{ "127.0.0.1:10025", AF_INET, 10025 },
	{ "0.0.0.0:25", AF_INET, 25 },
	{ "[::1]:10025", AF_INET6, 10025 },
	{ "[::]:25", AF_INET6, 25 },
	{ "[::ffff:192.0.2.1]:25", AF_INET6, 25 },
	{ "localhost:25", 0, 0 },
	{ "127.0.0.1", 0, 0 },
	{ "127.1:25", 0, 0 },
	{ "::1:25", 0, 0 },
	{ "[::1]", 0, 0 },
	{ "127.0.0.1:0", 0, 0 },
};

START_TEST(test_parse_addr)
{
	struct config_addr	 a;
	int			 rv;

	rv = config_parse_addr(addr_tests[_i].in, &a);
	if (addr_tests[_i].family == 0) {
		ck_assert_msg(rv == -1, "\"%s\" accepted", addr_tests[_i].in);
		return;
	}
	ck_assert_msg(rv == 0, "\"%s\" refused", addr_tests[_i].in);
	ck_assert_int_eq(a.ss.ss_family, addr_tests[_i].family);
	ck_assert_int_eq(a.sslen, addr_tests[_i].family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	ck_assert_int_eq(addr_port(&a), addr_tests[_i].port);
	ck_assert_str_eq(a.text, addr_tests[_i].in);
}
END_TEST

/*
 * Whole files.
 */

START_TEST(test_defaults)
{
	struct config		*conf;
	struct sockaddr_in	*sin;
	char			 host[256];
	int			 i;

	conf = load_ok("# nothing set\n");
	ck_assert_int_eq(conf->refcnt, 1);
	ck_assert_str_eq(conf->path, confpath);
	ck_assert_int_eq(conf->nlisten, 1);
	ck_assert_str_eq(conf->listen[0].text, "127.0.0.1:10025");
	sin = (struct sockaddr_in *)&conf->listen[0].ss;
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), INADDR_LOOPBACK);
	ck_assert_int_eq(ntohs(sin->sin_port), 10025);
	ck_assert_int_eq(conf->mode, CONFIG_MODE_TRANSPARENT);
	ck_assert_ptr_null(conf->upstream_host);
	ck_assert_ptr_null(conf->upstream_port);
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	ck_assert_str_eq(conf->hostname, host);
	ck_assert_ptr_null(conf->user);
	ck_assert_ptr_null(conf->pidfile);
	ck_assert_int_eq(conf->max_sessions, 10000);
	ck_assert_int_eq(conf->max_sessions_per_client, 100);
	ck_assert_int_eq(conf->shutdown_grace, 30);
	ck_assert_int_eq(conf->inspect, 1);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_INFO);
	ck_assert_int_eq(conf->syslog_facility, log_facility_parse("mail"));

	ck_assert_int_eq(conf->timeouts.connect, 30);
	ck_assert_int_eq(conf->timeouts.greeting, 300);
	ck_assert_int_eq(conf->timeouts.command, 300);
	ck_assert_int_eq(conf->timeouts.reply, 300);
	ck_assert_int_eq(conf->timeouts.data_block, 180);
	ck_assert_int_eq(conf->timeouts.data_end, 600);
	ck_assert_int_eq(conf->timeouts.idle, 300);

	ck_assert_uint_eq(conf->limits.command_line, 512);
	ck_assert_uint_eq(conf->limits.reply_line, 512);
	ck_assert_uint_eq(conf->limits.header_line, 998);
	ck_assert_uint_eq(conf->limits.text_line, 1000);
	ck_assert_uint_eq(conf->limits.recipients, 100);
	ck_assert_uint_eq(conf->limits.message_size, 50 * 1024 * 1024);
	ck_assert_uint_eq(conf->limits.address, 320);

	for (i = 0; i < ALARM_COUNT; i++) {
		ck_assert_int_eq(conf->alarm_action[i], alarm_table[i].action);
		ck_assert_int_eq(conf->alarm_set[i], 0);
	}
	config_unref(conf);
}
END_TEST

static const char every_key[] =
	"# every key, none at its default\n"
	"listen = { \"192.0.2.1:25\", \"[::1]:2525\",\n"
	"           \"0.0.0.0:587\" }\n"
	"mode = \"relay\"\n"
	"upstream = \"[2001:db8::1]:10026\"\n"
	"hostname = \"gw.example.lan\"\n"
	"user = \"root\"\n"
	"pidfile = \"/run/smtpproxy.pid\"\n"
	"max_sessions = 500\n"
	"max_sessions_per_client = \"7\"\n"
	"shutdown_grace = 2m\n"
	"inspect = false\n"
	"log_level = \"debug\"\n"
	"syslog_facility = \"local3\"\n"
	"timeouts {\n"
	"\tconnect = 10s\n"
	"\tgreeting = \"1m\"\n"
	"\tcommand = 1h\n"
	"\treply = 45\n"
	"\tdata_block = 2m\n"
	"\tdata_end = 20m\n"
	"\tidle = 90s\n"
	"}\n"
	"limits {\n"
	"\tcommand_line = 1K\n"
	"\treply_line = \"2k\"\n"
	"\theader_line = 2000\n"
	"\ttext_line = 64K\n"
	"\trecipients = 50\n"
	"\tmessage_size = 25M\n"
	"\taddress = 512\n"
	"}\n"
	"alarm \"smtp:231\" { action = \"block\" }\n"
	"alarm \"pipelining-violation\" {\n"
	"\taction = close\n"
	"}\n"
	"alarm \"SMTP:242\" { action = \"PASS\" }\n";

START_TEST(test_every_key)
{
	struct config		*conf;
	int			 i;

	conf = load_ok(every_key);
	ck_assert_int_eq(conf->nlisten, 3);
	ck_assert_str_eq(conf->listen[0].text, "192.0.2.1:25");
	ck_assert_int_eq(conf->listen[0].ss.ss_family, AF_INET);
	ck_assert_int_eq(addr_port(&conf->listen[0]), 25);
	ck_assert_str_eq(conf->listen[1].text, "[::1]:2525");
	ck_assert_int_eq(conf->listen[1].ss.ss_family, AF_INET6);
	ck_assert_int_eq(addr_port(&conf->listen[1]), 2525);
	ck_assert_str_eq(conf->listen[2].text, "0.0.0.0:587");
	ck_assert_int_eq(conf->mode, CONFIG_MODE_RELAY);
	ck_assert_str_eq(conf->upstream_host, "2001:db8::1");
	ck_assert_str_eq(conf->upstream_port, "10026");
	ck_assert_str_eq(conf->hostname, "gw.example.lan");
	ck_assert_str_eq(conf->user, "root");
	ck_assert_str_eq(conf->pidfile, "/run/smtpproxy.pid");
	ck_assert_int_eq(conf->max_sessions, 500);
	ck_assert_int_eq(conf->max_sessions_per_client, 7);
	ck_assert_int_eq(conf->shutdown_grace, 120);
	ck_assert_int_eq(conf->inspect, 0);
	ck_assert_int_eq(conf->log_level, LOG_LEVEL_DEBUG);
	ck_assert_int_eq(conf->syslog_facility, log_facility_parse("local3"));

	ck_assert_int_eq(conf->timeouts.connect, 10);
	ck_assert_int_eq(conf->timeouts.greeting, 60);
	ck_assert_int_eq(conf->timeouts.command, 3600);
	ck_assert_int_eq(conf->timeouts.reply, 45);
	ck_assert_int_eq(conf->timeouts.data_block, 120);
	ck_assert_int_eq(conf->timeouts.data_end, 1200);
	ck_assert_int_eq(conf->timeouts.idle, 90);

	ck_assert_uint_eq(conf->limits.command_line, 1024);
	ck_assert_uint_eq(conf->limits.reply_line, 2048);
	ck_assert_uint_eq(conf->limits.header_line, 2000);
	ck_assert_uint_eq(conf->limits.text_line, 65536);
	ck_assert_uint_eq(conf->limits.recipients, 50);
	ck_assert_uint_eq(conf->limits.message_size, 25 * 1024 * 1024);
	ck_assert_uint_eq(conf->limits.address, 512);

	for (i = 0; i < ALARM_COUNT; i++) {
		ck_assert_int_eq(conf->alarm_set[i],
		    i == ALARM_SUBJECT_8BIT ||
		    i == ALARM_PIPELINING_VIOLATION ||
		    i == ALARM_EARLY_TALKER);
		switch (i) {
		case ALARM_SUBJECT_8BIT:
			ck_assert_int_eq(conf->alarm_action[i], ALARM_BLOCK);
			break;
		case ALARM_PIPELINING_VIOLATION:
			ck_assert_int_eq(conf->alarm_action[i], ALARM_CLOSE);
			break;
		case ALARM_EARLY_TALKER:
			ck_assert_int_eq(conf->alarm_action[i], ALARM_PASS);
			break;
		default:
			ck_assert_int_eq(conf->alarm_action[i],
			    alarm_table[i].action);
			break;
		}
	}
	config_unref(conf);
}
END_TEST

/* Loads that must succeed, with one field checked. */
static const struct {
	const char	*text;
	size_t		 off;		/* of an int field, or -1 */
	int		 want;
} ok_tests[] = {
	{ "listen = { \"[::1]:10025\" }\n", (size_t)-1, 0 },
	{ "listen += { \"[::1]:10025\" }\n", offsetof(struct config,
	    nlisten), 2 },
	{ "mode = transparent\n", offsetof(struct config, mode),
	    CONFIG_MODE_TRANSPARENT },
	{ "mode = \"relay\"\nupstream = \"mail.example.org:25\"\n",
	    offsetof(struct config, mode), CONFIG_MODE_RELAY },
	{ "upstream = \"\"\n", offsetof(struct config, mode),
	    CONFIG_MODE_TRANSPARENT },
	{ "shutdown_grace = 0\n", offsetof(struct config, shutdown_grace),
	    0 },
	{ "shutdown_grace = 1h\n", offsetof(struct config, shutdown_grace),
	    3600 },
	{ "max_sessions = 1000000\n", offsetof(struct config,
	    max_sessions), 1000000 },
	{ "inspect = no\n", offsetof(struct config, inspect), 0 },
	{ "inspect = \"true\"\n", offsetof(struct config, inspect), 1 },
	{ "log_level = WARNING\n", offsetof(struct config, log_level),
	    LOG_LEVEL_WARNING },
	{ "log_level = error\n", offsetof(struct config, log_level),
	    LOG_LEVEL_ERROR },
	{ "timeouts { connect = 1 }\n", offsetof(struct config,
	    timeouts.connect), 1 },
	{ "timeouts { idle = 24h }\n", offsetof(struct config,
	    timeouts.idle), 86400 },
	{ "/* C comment */ // line comment\n# hash\n", (size_t)-1, 0 },
	{ "alarm \"subject-8bit\" { action = pass }\n", offsetof(struct
	    config, alarm_action[ALARM_SUBJECT_8BIT]), ALARM_PASS },
	{ "alarm \"smtp:246\" { action = log }\n", offsetof(struct
	    config, alarm_action[ALARM_INVALID_REPLY]), ALARM_LOG },
	/* The same section twice: last action wins. */
	{ "alarm \"smtp:241\" { action = log action = close }\n",
	    offsetof(struct config, alarm_action[ALARM_BARE_LINE_ENDING]),
	    ALARM_CLOSE },
};

START_TEST(test_ok)
{
	struct config	*conf;
	int		 v;

	conf = load_ok(ok_tests[_i].text);
	if (ok_tests[_i].off != (size_t)-1) {
		memcpy(&v, (char *)conf + ok_tests[_i].off, sizeof(v));
		ck_assert_msg(v == ok_tests[_i].want, "%s: got %d, want %d",
		    ok_tests[_i].text, v, ok_tests[_i].want);
	}
	config_unref(conf);
}
END_TEST

/*
 * Comments: line numbers after them are right, they may sit inside a
 * list, and what looks like a comment inside a string is kept.
 */
START_TEST(test_comments)
{
	struct config	*conf;
	char		 want[PATH_MAX + 64];
	int		 n;

	conf = load_ok(
	    "# hash\n"
	    "// slashes\n"
	    "/* block\n"
	    "   comment */ listen = {\n"
	    "\t\"127.0.0.1:10025\",\t# first\n"
	    "\t\"[::1]:10025\"\t// second\n"
	    "\t/* none */ }\n"
	    "pidfile = \"/run/a#b//c/*d*/\\\"e'.pid\" # \"not a string\n"
	    "user = 'root' // 'x\n"
	    "max_sessions=5#no space\n");
	ck_assert_int_eq(conf->nlisten, 2);
	ck_assert_str_eq(conf->listen[1].text, "[::1]:10025");
	ck_assert_str_eq(conf->pidfile, "/run/a#b//c/*d*/\"e'.pid");
	ck_assert_str_eq(conf->user, "root");
	ck_assert_int_eq(conf->max_sessions, 5);
	config_unref(conf);

	ck_assert_ptr_null(load(
	    "# one\n"
	    "# two\n"
	    "/* three\n"
	    "   four */\n"
	    "listen = { \"127.0.0.1:1\", # five\n"
	    "\t\"127.0.0.1\" }\n"
	    "// seven\n"
	    "foo = 1\n"));
	ck_assert_int_eq(nerrs, 2);
	n = snprintf(want, sizeof(want), "%s:6: listen: invalid address "
	    "\"127.0.0.1\": missing port", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);
	n = snprintf(want, sizeof(want), "%s:8: no such option 'foo'",
	    confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[1], want);
}
END_TEST

START_TEST(test_limits_minimum)
{
	struct config	*conf;

	conf = load_ok("limits { command_line = 512 reply_line = 512\n"
	    "header_line = 998 text_line = 1000 address = 256\n"
	    "recipients = 1 message_size = 1K }\n");
	ck_assert_uint_eq(conf->limits.command_line, 512);
	ck_assert_uint_eq(conf->limits.address, 256);
	ck_assert_uint_eq(conf->limits.message_size, 1024);
	config_unref(conf);
}
END_TEST

START_TEST(test_listen_max)
{
	struct config	*conf;
	char		 text[4096];
	size_t		 off;
	int		 i, n;

	off = 0;
	n = snprintf(text, sizeof(text), "listen = {\n");
	ck_assert(n > 0);
	off += (size_t)n;
	for (i = 0; i < CONFIG_MAX_LISTEN; i++) {
		n = snprintf(text + off, sizeof(text) - off,
		    "%s\"127.0.0.1:%d\"\n", i ? "," : "", 10000 + i);
		ck_assert(n > 0 && (size_t)n < sizeof(text) - off);
		off += (size_t)n;
	}
	n = snprintf(text + off, sizeof(text) - off, "}\n");
	ck_assert(n > 0 && (size_t)n < sizeof(text) - off);
	conf = load_ok(text);
	ck_assert_int_eq(conf->nlisten, CONFIG_MAX_LISTEN);
	ck_assert_int_eq(addr_port(&conf->listen[CONFIG_MAX_LISTEN - 1]),
	    10000 + CONFIG_MAX_LISTEN - 1);
	config_unref(conf);

	/* One more is refused at the line of the extra address. */
	n = snprintf(text + off, sizeof(text) - off,
	    ",\"127.0.0.1:9999\"\n}\n");
	ck_assert(n > 0 && (size_t)n < sizeof(text) - off);
	ck_assert_ptr_null(load(text));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(text, sizeof(text), "%s:%d: listen: too many addresses "
	    "(at most %d)", confpath, CONFIG_MAX_LISTEN + 2,
	    CONFIG_MAX_LISTEN);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_str_eq(errs[0], text);
}
END_TEST

/*
 * Files with errors: every error, in order, as "FILE:LINE: message";
 * expected messages start at the ':' after FILE.
 */
static const struct {
	const char	*text;
	const char	*errs[6];
} err_tests[] = {
	/* Top-level strings. */
	{ "mode = \"bridge\"\n",
	    { ":1: mode: invalid value \"bridge\" (transparent or relay)" } },
	{ "\nmode = relay\n",
	    { ":2: mode = relay requires upstream = \"host:port\"" } },
	{ "upstream = \"mail.example.org:25\"\n",
	    { ":1: upstream: only used with mode = relay "
	      "(mode is transparent)" } },
	{ "mode = transparent\n\nupstream = \"mx:25\"\n",
	    { ":3: upstream: only used with mode = relay "
	      "(mode is transparent)" } },
	{ "mode = relay\nupstream = \"mail.example.org\"\n",
	    { ":2: upstream: invalid address \"mail.example.org\": "
	      "missing port" } },
	{ "mode = relay\nupstream = \"mail.example.org:0\"\n",
	    { ":2: upstream: invalid address \"mail.example.org:0\": "
	      "invalid port (1 to 65535)" } },
	{ "mode = relay\nupstream = \"mx:65536\"\n",
	    { ":2: upstream: invalid address \"mx:65536\": "
	      "invalid port (1 to 65535)" } },
	{ "mode = relay\nupstream = \"::1:25\"\n",
	    { ":2: upstream: invalid address \"::1:25\": an IPv6 address "
	      "must be in brackets, as in [::1]:25" } },
	{ "mode = relay\nupstream = \"[::1]\"\n",
	    { ":2: upstream: invalid address \"[::1]\": missing port" } },
	{ "mode = relay\nupstream = \"[::g]:25\"\n",
	    { ":2: upstream: invalid address \"[::g]:25\": "
	      "invalid IPv6 address" } },
	{ "mode = relay\nupstream = \"bad_host:25\"\n",
	    { ":2: upstream: invalid address \"bad_host:25\": "
	      "invalid host name or IPv4 address" } },
	{ "hostname = \"gw example\"\n",
	    { ":1: hostname: invalid host name \"gw example\"" } },
	{ "user = \"no-such-user-smtpproxy\"\n",
	    { ":1: user: unknown user \"no-such-user-smtpproxy\"" } },
	{ "pidfile = \"run/smtpproxy.pid\"\n",
	    { ":1: pidfile: \"run/smtpproxy.pid\" is not an absolute "
	      "path" } },
	{ "log_level = \"loud\"\n",
	    { ":1: log_level: invalid value \"loud\" (error, warning, info "
	      "or debug)" } },
	{ "syslog_facility = \"kern\"\n",
	    { ":1: syslog_facility: invalid value \"kern\" (mail, daemon, "
	      "user or local0 to local7)" } },
	{ "inspect = \"maybe\"\n",
	    { ":1: inspect: invalid boolean \"maybe\" (true or false)" } },

	/* listen. */
	{ "listen = { \"localhost:25\" }\n",
	    { ":1: listen: invalid address \"localhost:25\": a numeric IPv4 "
	      "or [IPv6] address is required" } },
	{ "listen = { \"127.0.0.1\" }\n",
	    { ":1: listen: invalid address \"127.0.0.1\": missing port" } },
	{ "listen = { \"127.0.0.1:25\",\n\"[::1]:25\",\n"
	  "\"127.0.0.1:25\" }\n",
	    { ":3: listen: duplicate address \"127.0.0.1:25\"" } },
	{ "listen = { }\n",
	    { ": listen: at least one address is required" } },

	/* Numbers. */
	{ "max_sessions = abc\n",
	    { ":1: max_sessions: invalid number \"abc\"" } },
	{ "max_sessions = 10K\n",
	    { ":1: max_sessions: invalid number \"10K\"" } },
	{ "max_sessions = -1\n",
	    { ":1: max_sessions: invalid number \"-1\"" } },
	{ "max_sessions = 0\n",
	    { ":1: max_sessions: \"0\" is below the minimum of 1" } },
	{ "max_sessions_per_client = 1000001\n",
	    { ":1: max_sessions_per_client: \"1000001\" is above the "
	      "maximum of 1000000" } },
	{ "max_sessions = 99999999999999999999999\n",
	    { ":1: max_sessions: \"99999999999999999999999\" is above the "
	      "maximum of 1000000" } },
	{ "shutdown_grace = 5 m\n",
	    { ":1: no such option 'm'" } },
	{ "shutdown_grace = \"5 m\"\n",
	    { ":1: shutdown_grace: invalid duration \"5 m\" (seconds, or a "
	      "number followed by s, m or h)" } },
	{ "shutdown_grace = 25h\n",
	    { ":1: shutdown_grace: \"25h\" is above the maximum of "
	      "86400s" } },
	{ "timeouts {\n\tconnect = 0\n}\n",
	    { ":2: timeouts.connect: \"0\" is below the minimum of 1s" } },
	{ "timeouts {\n\tgreeting = -5\n}\n",
	    { ":2: timeouts.greeting: invalid duration \"-5\" (seconds, or "
	      "a number followed by s, m or h)" } },
	{ "timeouts {\n\tidle = 5x\n}\n",
	    { ":2: timeouts.idle: invalid duration \"5x\" (seconds, or a "
	      "number followed by s, m or h)" } },
	{ "timeouts { command = 99999999999h }\n",
	    { ":1: timeouts.command: \"99999999999h\" is above the maximum "
	      "of 86400s" } },
	{ "limits {\n\tcommand_line = 511\n}\n",
	    { ":2: limits.command_line: \"511\" is below the minimum of 512 "
	      "(RFC 5321 section 4.5.3.1.4)" } },
	{ "limits {\n\treply_line = 100\n}\n",
	    { ":2: limits.reply_line: \"100\" is below the minimum of 512 "
	      "(RFC 5321 section 4.5.3.1.5)" } },
	{ "limits { header_line = 78 }\n",
	    { ":1: limits.header_line: \"78\" is below the minimum of 998 "
	      "(RFC 5322 section 2.1.1)" } },
	{ "limits { text_line = 999 }\n",
	    { ":1: limits.text_line: \"999\" is below the minimum of 1000 "
	      "(RFC 5321 section 4.5.3.1.6)" } },
	{ "limits { address = 100 }\n",
	    { ":1: limits.address: \"100\" is below the minimum of 256 "
	      "(RFC 5321 section 4.5.3.1.3)" } },
	{ "limits { command_line = 1M }\n",
	    { ":1: limits.command_line: \"1M\" is above the maximum of "
	      "65536" } },
	{ "limits { message_size = 50X }\n",
	    { ":1: limits.message_size: invalid size \"50X\" (bytes, or a "
	      "number followed by K, M or G)" } },
	{ "limits { message_size = \"-1\" }\n",
	    { ":1: limits.message_size: invalid size \"-1\" (bytes, or a "
	      "number followed by K, M or G)" } },
	{ "limits { message_size = 2048G }\n",
	    { ":1: limits.message_size: \"2048G\" is above the maximum of "
	      "1099511627776" } },
	{ "limits { message_size = 18446744073709551616 }\n",
	    { ":1: limits.message_size: \"18446744073709551616\" is above "
	      "the maximum of 1099511627776" } },
	{ "limits { recipients = 0 }\n",
	    { ":1: limits.recipients: \"0\" is below the minimum of 1" } },

	/* Alarms. */
	{ "alarm \"smtp:999\" { action = block }\n",
	    { ":1: alarm \"smtp:999\": unknown alarm (an id such as "
	      "smtp:231 or a name such as subject-8bit)" } },
	{ "alarm \"no-such-alarm\" {\n\taction = block\n}\n",
	    { ":2: alarm \"no-such-alarm\": unknown alarm (an id such as "
	      "smtp:231 or a name such as subject-8bit)" } },
	{ "alarm \"smtp:231\" {\n\taction = \"drop\"\n}\n",
	    { ":2: alarm \"smtp:231\" action: invalid value \"drop\" (pass, "
	      "log, block or close)" } },
	{ "alarm \"smtp:231\" {\n}\n",
	    { ":2: alarm \"smtp:231\": missing action" } },
	{ "alarm \"smtp:999\" { }\n",
	    { ":1: alarm \"smtp:999\": unknown alarm (an id such as "
	      "smtp:231 or a name such as subject-8bit)" } },
	{ "alarm \"smtp:231\" { action = block }\n"
	  "alarm \"subject-8bit\" { action = log }\n",
	    { ":2: alarm \"subject-8bit\": already set at line 1 as "
	      "\"smtp:231\"" } },
	{ "alarm \"smtp:231\" { action = block }\n"
	  "alarm \"smtp:231\" { action = log }\n",
	    { ":2: found duplicate title 'smtp:231'" } },
	{ "alarm { action = block }\n",
	    { ":1: missing title for section 'alarm'" } },

	{ "listen += { \"127.0.0.1:10025\" }\n",
	    { ":1: listen: duplicate address \"127.0.0.1:10025\"" } },

	/* Lines stay right after comments of every kind. */
	{ "# x\n/* y\n */\n// z\nmax_sessions = 0 # c\n",
	    { ":5: max_sessions: \"0\" is below the minimum of 1" } },
	{ "max_sessions = 5 # c\n/* c */ mode = \"x\" // c\n",
	    { ":2: mode: invalid value \"x\" (transparent or relay)" } },

	/* libconfuse's own errors stop the parse. */
	{ "# comment\nfoo = 1\n",
	    { ":2: no such option 'foo'" } },
	{ "timeouts {\n\tconnect = 5\n\tconect = 5\n}\n",
	    { ":3: no such option 'conect'" } },
	{ "limits { bogus { } }\n",
	    { ":1: no such option 'bogus'" } },
	{ "mode = \n",
	    { ":2: premature end of file" } },
	{ "mode = \"relay\n\n",
	    { ":1: unterminated string" } },
	{ "mode = 'relay\n\n",
	    { ":1: unterminated string" } },
	{ "timeouts {\n\tconnect = 5\n",
	    { ":1: { is never closed" } },
	{ "timeouts {\n}\nlimits {\n\talarm \"x\" {\n}\n",
	    { ":3: { is never closed" } },
	{ "listen = { \"127.0.0.1:25\"\n",
	    { ":1: { is never closed" } },
	{ "mode = relay /* comment\n\n",
	    { ":1: unterminated comment" } },
	{ "}\n",
	    { ":1: unexpected closing brace" } },
	{ "inspect = yes = no\n",
	    { ":1: unexpected token '='" } },
	{ "mode relay\n",
	    { ":1: missing equal sign after option 'mode'" } },

	/* Errors before a stopping one are reported too. */
	{ "mode = \"bridge\"\nlimits { address = 1 }\nfoo = 1\n",
	    { ":1: mode: invalid value \"bridge\" (transparent or relay)",
	      ":2: limits.address: \"1\" is below the minimum of 256 "
	      "(RFC 5321 section 4.5.3.1.3)",
	      ":3: no such option 'foo'" } },
};

START_TEST(test_errors)
{
	struct config	*conf;
	char		 want[1024];
	int		 i, n, nwant;

	conf = load(err_tests[_i].text);
	for (nwant = 0; nwant < (int)NITEMS(err_tests[_i].errs) &&
	    err_tests[_i].errs[nwant] != NULL; nwant++)
		;
	ck_assert_msg(conf == NULL, "loaded: %s", err_tests[_i].text);
	ck_assert_msg(nerrs == nwant, "%d errors, want %d, first \"%s\": %s",
	    nerrs, nwant, nerrs > 0 ? errs[0] : "", err_tests[_i].text);
	for (i = 0; i < nwant; i++) {
		n = snprintf(want, sizeof(want), "%s%s", confpath,
		    err_tests[_i].errs[i]);
		ck_assert(n > 0 && (size_t)n < sizeof(want));
		ck_assert_str_eq(errs[i], want);
	}
}
END_TEST

/* Many bad values, each on its line: all of them reported, in order. */
START_TEST(test_all_errors_reported)
{
	static const char	*const want[] = {
		":2: listen: invalid address \"[::1]:0\": invalid port "
		    "(1 to 65535)",
		":4: max_sessions: invalid number \"many\"",
		":6: timeouts.connect: invalid duration \"1y\" (seconds, or "
		    "a number followed by s, m or h)",
		":9: limits.command_line: \"256\" is below the minimum of "
		    "512 (RFC 5321 section 4.5.3.1.4)",
		":11: alarm \"smtp:777\": unknown alarm (an id such as "
		    "smtp:231 or a name such as subject-8bit)",
		":12: mode = relay requires upstream = \"host:port\"",
	};
	char	 buf[1024];
	size_t	 i;
	int	 n;

	ck_assert_ptr_null(load(
	    "listen = { \"127.0.0.1:10025\",\n"		/* 1 */
	    "\t\"[::1]:0\" }\n"				/* 2 */
	    "hostname = \"gw.example.lan\"\n"		/* 3 */
	    "max_sessions = many\n"			/* 4 */
	    "timeouts {\n"				/* 5 */
	    "\tconnect = 1y\n"				/* 6 */
	    "}\n"					/* 7 */
	    "limits {\n"				/* 8 */
	    "\tcommand_line = 256\n"			/* 9 */
	    "}\n"					/* 10 */
	    "alarm \"smtp:777\" { action = block }\n"	/* 11 */
	    "mode = relay\n"));				/* 12 */
	ck_assert_int_eq(nerrs, (int)NITEMS(want));
	for (i = 0; i < NITEMS(want); i++) {
		n = snprintf(buf, sizeof(buf), "%s%s", confpath, want[i]);
		ck_assert(n > 0 && (size_t)n < sizeof(buf));
		ck_assert_str_eq(errs[i], buf);
	}
}
END_TEST

START_TEST(test_missing_file)
{
	char	 want[PATH_MAX + 64];
	int	 n;

	clear_errors();
	ck_assert_ptr_null(config_load(confpath, collect));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(want, sizeof(want), "%s: cannot open: No such file or "
	    "directory", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);

	clear_errors();
	ck_assert_ptr_null(config_load(tmpdir, collect));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(want, sizeof(want), "%s: cannot open: Is a directory",
	    tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);

	/* Without an error function, errors are only counted. */
	ck_assert_ptr_null(config_load(confpath, NULL));
}
END_TEST

START_TEST(test_refcount)
{
	struct config	*conf;

	conf = load_ok("");
	ck_assert_int_eq(conf->refcnt, 1);
	ck_assert_ptr_eq(config_ref(conf), conf);
	ck_assert_int_eq(conf->refcnt, 2);
	config_unref(conf);
	ck_assert_int_eq(conf->refcnt, 1);
	ck_assert_int_eq(conf->max_sessions, 10000);
	config_unref(conf);	/* freed: the sanitizer build checks */
	config_unref(NULL);
}
END_TEST

/* Two loads live side by side, as during a reload. */
START_TEST(test_reload)
{
	struct config	*old, *new;

	old = load_ok("max_sessions = 10\n");
	new = load_ok("max_sessions = 20\n");
	ck_assert_ptr_ne(old, new);
	ck_assert_int_eq(old->max_sessions, 10);
	ck_assert_int_eq(new->max_sessions, 20);
	/* A bad new file leaves nothing behind. */
	ck_assert_ptr_null(load("max_sessions = 0\n"));
	ck_assert_int_eq(old->max_sessions, 10);
	config_unref(old);
	config_unref(new);
}
END_TEST

/*
 * The shipped configuration loads, and it and the manual document
 * every directive.
 */
static const char *const directives[] = {
	"listen", "mode", "upstream", "hostname", "user", "pidfile",
	"max_sessions", "max_sessions_per_client", "shutdown_grace",
	"inspect", "log_level", "syslog_facility", "timeouts", "connect",
	"greeting", "command", "reply", "data_block", "data_end", "idle",
	"limits", "command_line", "reply_line", "header_line", "text_line",
	"recipients", "message_size", "address", "alarm", "action",
};

static char *
slurp(const char *rel)
{
	const char	*top;
	char		 path[PATH_MAX], *buf;
	FILE		*fp;
	long		 len;
	int		 n;

	if ((top = getenv("TOP_SRCDIR")) == NULL)
		top = ".";
	n = snprintf(path, sizeof(path), "%s/%s", top, rel);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ck_assert_msg((fp = fopen(path, "r")) != NULL, "%s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	ck_assert((len = ftell(fp)) > 0);
	rewind(fp);
	ck_assert_ptr_nonnull(buf = malloc((size_t)len + 1));
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	return buf;
}

START_TEST(test_shipped_conf)
{
	struct config	*conf;
	char		*text;

	text = slurp("conf/smtpproxy.conf");
	conf = load_ok(text);
	ck_assert_int_eq(conf->mode, CONFIG_MODE_RELAY);
	ck_assert_str_eq(conf->upstream_host, "127.0.0.1");
	ck_assert_str_eq(conf->upstream_port, "25");
	ck_assert_int_eq(conf->nlisten, 1);
	ck_assert_str_eq(conf->listen[0].text, "127.0.0.1:10025");
	ck_assert_int_eq(conf->inspect, 1);
	config_unref(conf);
	free(text);
}
END_TEST

START_TEST(test_documented)
{
	char	*conf, *man, want[128];
	size_t	 i;
	int	 n;

	conf = slurp("conf/smtpproxy.conf");
	man = slurp("man/smtpproxy.conf.5");
	for (i = 0; i < NITEMS(directives); i++) {
		n = snprintf(want, sizeof(want), "\n.It Ic %s", directives[i]);
		ck_assert(n > 0 && (size_t)n < sizeof(want));
		ck_assert_msg(strstr(man, want) != NULL,
		    "smtpproxy.conf.5 lacks %s", directives[i]);
		ck_assert_msg(strstr(conf, directives[i]) != NULL,
		    "smtpproxy.conf lacks %s", directives[i]);
	}
	for (i = 0; i < ALARM_COUNT; i++) {
		ck_assert_msg(strstr(man, alarm_table[i].name) != NULL,
		    "smtpproxy.conf.5 lacks %s", alarm_table[i].name);
		ck_assert_msg(strstr(conf, alarm_table[i].ident) != NULL,
		    "smtpproxy.conf lacks %s", alarm_table[i].ident);
	}
	free(conf);
	free(man);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite	*s;
	TCase	*tc;

	s = suite_create("config");

	tc = tcase_create("parsers");
	tcase_add_loop_test(tc, test_parse_size, 0, NITEMS(size_tests));
	tcase_add_loop_test(tc, test_parse_duration, 0,
	    NITEMS(duration_tests));
	tcase_add_loop_test(tc, test_parse_hostport, 0,
	    NITEMS(hostport_tests));
	tcase_add_loop_test(tc, test_parse_addr, 0, NITEMS(addr_tests));
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_every_key);
	tcase_add_loop_test(tc, test_ok, 0, NITEMS(ok_tests));
	tcase_add_test(tc, test_comments);
	tcase_add_test(tc, test_limits_minimum);
	tcase_add_test(tc, test_listen_max);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_reload);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, NITEMS(err_tests));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_conf);
	tcase_add_test(tc, test_documented);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner	*sr;
	int	 nfailed;

	sr = srunner_create(config_suite());
	srunner_run_all(sr, CK_NORMAL);
	nfailed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nfailed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
