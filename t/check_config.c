/*
 * Unit tests of config.c: the value parsers, defaults, every key, and
 * the exact "FILE:LINE: message" of every error, loading real files
 * written to a temporary directory.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "alarm.h"
#include "config.h"
#include "filetype.h"
#include "log.h"
#include "policy.h"

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

/* A socket address from a numeric IPv4 or IPv6 address. */
static void
sa_make(const char *addr, struct sockaddr_storage *ss)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(25);
		return;
	}
	ck_assert_msg(inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1,
	    "bad test address %s", addr);
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(25);
}

/* One connection and the access decision it must get. */
struct access_case {
	const char		*src;
	const char		*dst;
	enum access_action	 action;
	const char		*rule;		/* NULL: the default */
	const char		*reply;		/* NULL: not checked */
};

static void
check_access(const struct config *conf, const struct access_case *c,
    size_t n)
{
	struct sockaddr_storage	 src, dst;
	const char		*rule, *reply;
	enum access_action	 got;
	size_t			 i;

	ck_assert_ptr_nonnull(conf->access);
	for (i = 0; i < n; i++) {
		sa_make(c[i].src, &src);
		sa_make(c[i].dst, &dst);
		rule = reply = NULL;
		got = access_match(conf->access, (struct sockaddr *)&src,
		    (struct sockaddr *)&dst, &rule, &reply);
		ck_assert_msg(got == c[i].action, "%s -> %s: action %d",
		    c[i].src, c[i].dst, got);
		if (c[i].rule == NULL)
			ck_assert_msg(rule == NULL, "%s -> %s: rule %s",
			    c[i].src, c[i].dst, rule);
		else
			ck_assert_msg(rule != NULL &&
			    strcmp(rule, c[i].rule) == 0,
			    "%s -> %s: rule %s, want %s", c[i].src, c[i].dst,
			    rule != NULL ? rule : "(default)", c[i].rule);
		if (c[i].reply != NULL)
			ck_assert_str_eq(reply, c[i].reply);
	}
}

/* A destination and whether it is one of antivirus.local_servers. */
struct local_case {
	const char	*dst;
	int		 local;
};

static void
check_local(const struct config *conf, const struct local_case *c,
    size_t n)
{
	struct sockaddr_storage	 dst;
	size_t			 i;

	for (i = 0; i < n; i++) {
		sa_make(c[i].dst, &dst);
		ck_assert_msg(access_list_match(conf->access,
		    (const char *const *)conf->av_local_servers,
		    conf->nav_local_servers, (struct sockaddr *)&dst) ==
		    c[i].local, "%s: local is not %d", c[i].dst, c[i].local);
	}
}

/* The verbs a mask allows, as a bit set to compare. */
static uint32_t
allowed_verbs(policy_cmdmask mask)
{
	uint32_t	 bits = 0;
	int		 v;

	for (v = SMTP_CMD_UNKNOWN; v < SMTP_CMD_COUNT; v++)
		if (policy_command_allowed(mask, (enum smtp_verb)v))
			bits |= 1U << v;
	return bits;
}

#define V(verb)		(1U << SMTP_CMD_ ## verb)
#define MAILGUARD	(V(HELO) | V(MAIL) | V(RCPT) | V(DATA) | V(RSET) | \
			    V(NOOP) | V(QUIT))
#define ESMTP		(MAILGUARD | V(EHLO) | V(STARTTLS) | V(AUTH) | V(HELP))
#define EXT_DEFAULT	(POLICY_EXT_SIZE | POLICY_EXT_8BITMIME | \
			    POLICY_EXT_PIPELINING | \
			    POLICY_EXT_ENHANCEDSTATUSCODES | POLICY_EXT_DSN | \
			    POLICY_EXT_SMTPUTF8 | POLICY_EXT_AUTH | \
			    POLICY_EXT_STARTTLS)

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
	ck_assert_str_eq(conf->spool_dir, "/var/spool/smtpproxy");
	ck_assert_int_eq(conf->max_sessions, 10000);
	ck_assert_int_eq(conf->max_sessions_set, 0);
	ck_assert_int_eq(conf->max_sessions_per_client, 100);
	ck_assert_int_eq(conf->max_bad_commands, 20);
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
	ck_assert_uint_eq(conf->limits.mime_depth, 20);
	ck_assert_uint_eq(conf->limits.mime_parts, 1000);

	for (i = 0; i < ALARM_COUNT; i++) {
		ck_assert_int_eq(conf->alarm_action[i], alarm_table[i].action);
		ck_assert_int_eq(conf->alarm_set[i], 0);
	}

	ck_assert_int_eq(conf->commands_enabled, 1);
	ck_assert_int_eq(conf->commands_profile, POLICY_PROFILE_ESMTP);
	ck_assert_uint_eq(allowed_verbs(conf->commands_mask), ESMTP);
	ck_assert_int_eq(conf->extensions_enabled, 1);
	ck_assert_uint_eq(conf->extensions_mask, EXT_DEFAULT);
	ck_assert_int_eq(conf->banner_enabled, 1);
	ck_assert_int_eq(conf->banner_mode, POLICY_BANNER_PASS);
	ck_assert_int_eq(conf->banner_ehlo, 0);
	ck_assert_ptr_nonnull(conf->banner_text);
	ck_assert_int_eq(strncmp(conf->banner_text, host, strlen(host)), 0);
	ck_assert_str_eq(conf->banner_text + strlen(host), " ESMTP");
	ck_assert_int_eq(conf->access_enabled, 1);
	{
		static const struct access_case	 c[] = {
			{ "192.0.2.1", "198.51.100.1", ACCESS_ACCEPT, NULL,
			    "Access denied" },
			{ "2001:db8::1", "2001:db8::2", ACCESS_ACCEPT, NULL,
			    NULL },
		};

		check_access(conf, c, NITEMS(c));
	}
	ck_assert_int_eq(conf->filetypes_enabled, 0);
	ck_assert_uint_eq(conf->nblock_extensions, 0);
	ck_assert_ptr_nonnull(conf->block_extensions);
	ck_assert_ptr_null(conf->block_extensions[0]);
	ck_assert_uint_eq(conf->block_types, 0);
	ck_assert_int_eq(conf->block_encrypted_archives, 0);
	ck_assert_int_eq(conf->block_office_macros, 0);
	ck_assert_int_eq(conf->block_packed_executables, 0);
	ck_assert_str_eq(conf->filetypes_reply, "");

	ck_assert_int_eq(conf->av_enabled, 0);
	ck_assert_int_eq(conf->av_backend, CONFIG_AV_LIBCLAMAV);
	ck_assert_str_eq(conf->av_database, "/var/lib/clamav");
	ck_assert_uint_eq(conf->nav_clamd, 1);
	ck_assert_str_eq(conf->av_clamd[0], "/run/clamav/clamd.ctl");
	ck_assert_ptr_null(conf->av_clamd[1]);
	ck_assert_int_eq(conf->av_scan_local, 1);
	ck_assert_int_eq(conf->av_scan_other, 1);
	ck_assert_uint_eq(conf->nav_local_servers, 0);
	ck_assert_ptr_nonnull(conf->av_local_servers);
	ck_assert_ptr_null(conf->av_local_servers[0]);
	ck_assert_uint_eq(conf->av_max_size, 25 * 1024 * 1024);
	ck_assert_int_eq(conf->av_on_error, CONFIG_AV_TEMPFAIL);
	ck_assert_int_eq(conf->av_threads, 2);
	ck_assert_int_eq(conf->workers, 0);
	ck_assert_str_eq(conf->av_reply, "");
	{
		/* An empty list: no server is local. */
		static const struct local_case	 c[] = {
			{ "192.0.2.1", 0 }, { "2001:db8::1", 0 },
		};

		check_local(conf, c, NITEMS(c));
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
	"spool_dir = \"/var/spool/gw//\"\n"
	"max_sessions = 500\n"
	"max_sessions_per_client = \"7\"\n"
	"max_bad_commands = 3\n"
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
	"\tmime_depth = 5\n"
	"\tmime_parts = 50\n"
	"}\n"
	"alarm \"smtp:231\" { action = \"block\" }\n"
	"alarm \"pipelining-violation\" {\n"
	"\taction = close\n"
	"}\n"
	"alarm \"SMTP:242\" { action = \"PASS\" }\n"
	"commands {\n"
	"\tenabled = false\n"
	"\tprofile = \"custom\"\n"
	"\tallow = { \"helo\", \"MAIL\", \"Rcpt\", \"DATA\", \"QUIT\",\n"
	"\t\t\"VRFY\" }\n"
	"}\n"
	"extensions {\n"
	"\tenabled = false\n"
	"\tallow = { \"size\", \"PIPELINING\" }\n"
	"}\n"
	"banner {\n"
	"\tenabled = false\n"
	"\tmode = \"replace\"\n"
	"\ttext = \"mx.example.org ESMTP ready\"\n"
	"\tehlo = true\n"
	"}\n"
	"access {\n"
	"\tenabled = false\n"
	"\tdefault = \"deny\"\n"
	"\tobject \"lan\" { address = { \"10.0.0.0/8\" } }\n"
	"\trule \"lan\" {\n"
	"\t\taction = \"accept\"\n"
	"\t\tsource = { \"lan\" }\n"
	"\t\tdestination = { \"any\" }\n"
	"\t\treply = \"unused\"\n"
	"\t}\n"
	"}\n"
	"filetypes {\n"
	"\tenabled = false\n"
	"\tblock_extensions = { \"exe\", \".SCR\", \"Tar.GZ\", \".exe\",\n"
	"\t\t\"\xc3\xa9t\xc3\xa9\" }\n"
	"\tblock_types = { \"executable\", \"Script\", \"office-macro\" }\n"
	"\tblock_encrypted_archives = true\n"
	"\tblock_office_macros = yes\n"
	"\tblock_packed_executables = on\n"
	"\treply = \"%n is a %t: refused (100%% sure)\"\n"
	"}\n"
	"antivirus {\n"
	"\tenabled = false\n"
	"\tbackend = \"ClamD\"\n"
	"\tdatabase = \"/nonexistent/clamav/main.cvd\"\n"
	"\tclamd = { \"/run/clamd.sock\", \"127.0.0.1:3310\",\n"
	"\t\t\"[2001:db8::5]:3310\", \"clamd.example.lan:3310\" }\n"
	"\tscan_local = false\n"
	"\tscan_other = no\n"
	"\tlocal_servers = { \"lan\", \"!10.9.9.9\",\n"
	"\t\t\"2001:db8:25::/48\" }\n"
	"\tmax_size = 10M\n"
	"\ton_error = \"PASS\"\n"
	"\tthreads = 8\n"
	"\treply = \"%v: refused (100%% sure)\"\n"
	"}\n";

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
	ck_assert_str_eq(conf->spool_dir, "/var/spool/gw");
	ck_assert_int_eq(conf->max_sessions, 500);
	ck_assert_int_eq(conf->max_sessions_set, 1);
	ck_assert_int_eq(conf->max_sessions_per_client, 7);
	ck_assert_int_eq(conf->max_bad_commands, 3);
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
	ck_assert_uint_eq(conf->limits.mime_depth, 5);
	ck_assert_uint_eq(conf->limits.mime_parts, 50);

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

	/* Off, and compiled all the same. */
	ck_assert_int_eq(conf->commands_enabled, 0);
	ck_assert_int_eq(conf->commands_profile, POLICY_PROFILE_CUSTOM);
	ck_assert_uint_eq(allowed_verbs(conf->commands_mask),
	    V(HELO) | V(MAIL) | V(RCPT) | V(DATA) | V(QUIT) | V(VRFY));
	ck_assert_int_eq(conf->extensions_enabled, 0);
	ck_assert_uint_eq(conf->extensions_mask,
	    POLICY_EXT_SIZE | POLICY_EXT_PIPELINING);
	ck_assert_int_eq(conf->banner_enabled, 0);
	ck_assert_int_eq(conf->banner_mode, POLICY_BANNER_REPLACE);
	ck_assert_str_eq(conf->banner_text, "mx.example.org ESMTP ready");
	ck_assert_int_eq(conf->banner_ehlo, 1);
	ck_assert_int_eq(conf->access_enabled, 0);
	{
		static const struct access_case	 c[] = {
			{ "10.1.2.3", "192.0.2.1", ACCESS_ACCEPT, "lan", NULL },
			{ "192.0.2.1", "10.1.2.3", ACCESS_DENY, NULL,
			    "Access denied" },
		};

		check_access(conf, c, NITEMS(c));
	}

	/* Lower case, without the dot, each once; non-ASCII kept. */
	ck_assert_int_eq(conf->filetypes_enabled, 0);
	ck_assert_uint_eq(conf->nblock_extensions, 4);
	ck_assert_str_eq(conf->block_extensions[0], "exe");
	ck_assert_str_eq(conf->block_extensions[1], "scr");
	ck_assert_str_eq(conf->block_extensions[2], "tar.gz");
	ck_assert_str_eq(conf->block_extensions[3], "\xc3\xa9t\xc3\xa9");
	ck_assert_ptr_null(conf->block_extensions[4]);
	ck_assert_uint_eq(conf->block_types, filetype_parse("executable") |
	    filetype_parse("script") | filetype_parse("office-macro"));
	ck_assert_uint_ne(conf->block_types, 0);
	ck_assert_int_eq(conf->block_encrypted_archives, 1);
	ck_assert_int_eq(conf->block_office_macros, 1);
	ck_assert_int_eq(conf->block_packed_executables, 1);
	ck_assert_str_eq(conf->filetypes_reply,
	    "%n is a %t: refused (100%% sure)");

	/* Off: the database and the servers are not checked. */
	ck_assert_int_eq(conf->av_enabled, 0);
	ck_assert_int_eq(conf->av_backend, CONFIG_AV_CLAMD);
	ck_assert_str_eq(conf->av_database, "/nonexistent/clamav/main.cvd");
	ck_assert_uint_eq(conf->nav_clamd, 4);
	ck_assert_str_eq(conf->av_clamd[0], "/run/clamd.sock");
	ck_assert_str_eq(conf->av_clamd[1], "127.0.0.1:3310");
	ck_assert_str_eq(conf->av_clamd[2], "[2001:db8::5]:3310");
	ck_assert_str_eq(conf->av_clamd[3], "clamd.example.lan:3310");
	ck_assert_ptr_null(conf->av_clamd[4]);
	ck_assert_int_eq(conf->av_scan_local, 0);
	ck_assert_int_eq(conf->av_scan_other, 0);
	ck_assert_uint_eq(conf->nav_local_servers, 3);
	ck_assert_str_eq(conf->av_local_servers[0], "lan");
	ck_assert_str_eq(conf->av_local_servers[1], "!10.9.9.9");
	ck_assert_str_eq(conf->av_local_servers[2], "2001:db8:25::/48");
	ck_assert_ptr_null(conf->av_local_servers[3]);
	ck_assert_uint_eq(conf->av_max_size, 10 * 1024 * 1024);
	ck_assert_int_eq(conf->av_on_error, CONFIG_AV_PASS);
	ck_assert_int_eq(conf->av_threads, 8);
	ck_assert_str_eq(conf->av_reply, "%v: refused (100%% sure)");
	{
		/* Objects of a disabled access section. */
		static const struct local_case	 c[] = {
			{ "10.1.2.3", 1 }, { "::ffff:10.1.2.3", 1 },
			{ "10.9.9.9", 0 }, { "192.0.2.1", 0 },
			{ "2001:db8:25::1", 1 }, { "2001:db8:26::1", 0 },
		};

		check_local(conf, c, NITEMS(c));
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
	/* PROXY protocol and metrics (SPEC §5). */
	{ "proxy_protocol = true\n"
	  "trusted_proxies = { \"10.0.0.0/8\", \"2001:db8::/32\", \"192.0.2.1\" }\n",
	    offsetof(struct config, proxy_protocol), 1 },
	{ "trusted_proxies = { \"10.0.0.0/8\", \"::1\" }\n",
	    offsetof(struct config, ntrusted_proxies), 2 },
	{ "proxy_protocol = false\n", offsetof(struct config,
	    proxy_protocol), 0 },
	{ "metrics { listen = \"127.0.0.1:9125\" }\n",
	    offsetof(struct config, metrics_enabled), 1 },
	{ "metrics { listen = \"[::1]:9125\" }\n",
	    offsetof(struct config, metrics_enabled), 1 },
	{ "metrics { listen = \"\" }\n",
	    offsetof(struct config, metrics_enabled), 0 },
	{ "\n", offsetof(struct config, metrics_enabled), 0 },
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
	{ "max_bad_commands = 1\n", offsetof(struct config,
	    max_bad_commands), 1 },
	{ "max_bad_commands = \"1000000\"\n", offsetof(struct config,
	    max_bad_commands), 1000000 },
	{ "commands { enabled = no }\n", offsetof(struct config,
	    commands_enabled), 0 },
	{ "commands { profile = MailGuard }\n", offsetof(struct config,
	    commands_profile), POLICY_PROFILE_MAILGUARD },
	{ "commands { profile = \"esmtp\" }\n", offsetof(struct config,
	    commands_profile), POLICY_PROFILE_ESMTP },
	{ "extensions { enabled = off }\n", offsetof(struct config,
	    extensions_enabled), 0 },
	{ "banner { enabled = false }\n", offsetof(struct config,
	    banner_enabled), 0 },
	{ "banner { mode = mask }\n", offsetof(struct config,
	    banner_mode), POLICY_BANNER_MASK },
	{ "banner { mode = \"PASS\" }\n", offsetof(struct config,
	    banner_mode), POLICY_BANNER_PASS },
	{ "banner { mode = replace }\n", offsetof(struct config,
	    banner_mode), POLICY_BANNER_REPLACE },
	{ "banner { ehlo = yes }\n", offsetof(struct config, banner_ehlo),
	    1 },
	{ "access { enabled = false }\n", offsetof(struct config,
	    access_enabled), 0 },
	/* inspect = false leaves the sections as written. */
	{ "inspect = false\n", offsetof(struct config, commands_enabled),
	    1 },
	{ "inspect = false\n", offsetof(struct config, access_enabled), 1 },
	/* Off, the file types need no spool directory. */
	{ "spool_dir = \"/nonexistent/smtpproxy\"\n"
	  "filetypes { block_types = { archive } }\n",
	    offsetof(struct config, filetypes_enabled), 0 },
	{ "filetypes { enabled = false block_office_macros = true }\n",
	    offsetof(struct config, block_office_macros), 1 },
	{ "filetypes { block_encrypted_archives = yes }\n",
	    offsetof(struct config, block_encrypted_archives), 1 },
	{ "filetypes { block_packed_executables = on }\n",
	    offsetof(struct config, block_packed_executables), 1 },
	/* Any one block_ directive is something to block. */
	{ "spool_dir = \"/tmp\"\n"
	  "filetypes { enabled = true block_types = { ARCHIVE } }\n",
	    offsetof(struct config, filetypes_enabled), 1 },
	{ "spool_dir = \"/tmp/\"\n"
	  "filetypes { enabled = true block_extensions = { exe } }\n",
	    offsetof(struct config, filetypes_enabled), 1 },
	{ "spool_dir = \"/tmp\"\n"
	  "filetypes { enabled = true block_encrypted_archives = true }\n",
	    offsetof(struct config, filetypes_enabled), 1 },
	{ "spool_dir = \"/tmp\"\n"
	  "filetypes { enabled = true block_office_macros = true }\n",
	    offsetof(struct config, filetypes_enabled), 1 },
	{ "spool_dir = \"/tmp\"\n"
	  "filetypes { enabled = true block_packed_executables = true }\n",
	    offsetof(struct config, filetypes_enabled), 1 },
	/* inspect = false leaves the section as written. */
	{ "inspect = false\nspool_dir = \"/tmp\"\n"
	  "filetypes { enabled = true block_types = { msi } }\n",
	    offsetof(struct config, filetypes_enabled), 1 },

	/* Anti-virus. Off, nothing is checked on disk. */
	{ "spool_dir = \"/nonexistent\"\n"
	  "antivirus { database = \"/nonexistent\" }\n",
	    offsetof(struct config, av_enabled), 0 },
	{ "spool_dir = \"/tmp\"\n"
	  "antivirus { enabled = true database = \"/tmp\" }\n",
	    offsetof(struct config, av_enabled), 1 },
	/* The clamd backend needs no database. */
	{ "spool_dir = \"/tmp\"\n"
	  "antivirus { enabled = true backend = clamd\n"
	  "database = \"/nonexistent\" }\n",
	    offsetof(struct config, av_backend), CONFIG_AV_CLAMD },
	{ "antivirus { backend = LIBCLAMAV }\n",
	    offsetof(struct config, av_backend), CONFIG_AV_LIBCLAMAV },
	{ "antivirus { on_error = reject }\n",
	    offsetof(struct config, av_on_error), CONFIG_AV_REJECT },
	{ "antivirus { on_error = \"TempFail\" }\n",
	    offsetof(struct config, av_on_error), CONFIG_AV_TEMPFAIL },
	{ "antivirus { threads = 1 }\n",
	    offsetof(struct config, av_threads), 1 },
	{ "antivirus { threads = 0 }\n",
	    offsetof(struct config, av_threads), 0 },
	{ "workers = 4\n", offsetof(struct config, workers), 4 },
	{ "workers = 1\n", offsetof(struct config, workers), 1 },
	{ "antivirus { threads = \"64\" }\n",
	    offsetof(struct config, av_threads), 64 },
	{ "antivirus { scan_local = off }\n",
	    offsetof(struct config, av_scan_local), 0 },
	/* Local servers only. */
	{ "spool_dir = \"/tmp\"\n"
	  "antivirus { enabled = true database = \"/tmp\"\n"
	  "scan_other = false local_servers = { \"10.0.0.0/8\" } }\n",
	    offsetof(struct config, av_scan_other), 0 },
	/* Other servers only. */
	{ "spool_dir = \"/tmp\"\n"
	  "antivirus { enabled = true database = \"/tmp\"\n"
	  "scan_local = false }\n",
	    offsetof(struct config, av_scan_local), 0 },
	/* inspect = false leaves the section as written. */
	{ "inspect = false\nspool_dir = \"/tmp\"\n"
	  "antivirus { enabled = true database = \"/tmp\" }\n",
	    offsetof(struct config, av_enabled), 1 },
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
 * Command masks: the profiles, allow on top of them, and what is never
 * allowed. STARTTLS is in esmtp since tls.mode is passthrough.
 */
static const struct {
	const char	*text;
	uint32_t	 verbs;
} commands_tests[] = {
	{ "", ESMTP },
	{ "commands { profile = esmtp allow = { ETRN, \"expn\" } }\n",
	    ESMTP | V(ETRN) | V(EXPN) },
	{ "commands { profile = mailguard }\n", MAILGUARD },
	{ "commands { profile = mailguard allow = { EHLO } }\n",
	    MAILGUARD | V(EHLO) },
	{ "commands { profile = mailguard allow = { STARTTLS, HELP } }\n",
	    MAILGUARD | V(STARTTLS) | V(HELP) },
	{ "commands {\n\tprofile = custom\n\tallow = { EHLO, MAIL, RCPT,\n"
	  "\t\tDATA, QUIT }\n}\n",
	    V(EHLO) | V(MAIL) | V(RCPT) | V(DATA) | V(QUIT) },
	{ "commands { profile = esmtp allow += { VRFY } }\n",
	    ESMTP | V(VRFY) },
	/* Duplicates are harmless. */
	{ "commands { allow = { VRFY, vrfy, HELO } }\n", ESMTP | V(VRFY) },
};

START_TEST(test_commands)
{
	struct config	*conf;

	conf = load_ok(commands_tests[_i].text);
	ck_assert_msg(allowed_verbs(conf->commands_mask) ==
	    commands_tests[_i].verbs, "%s: verbs %#x, want %#x",
	    commands_tests[_i].text, allowed_verbs(conf->commands_mask),
	    commands_tests[_i].verbs);
	ck_assert(!policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_XCLIENT));
	ck_assert(!policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_BDAT));
	config_unref(conf);
}
END_TEST

/*
 * Extension masks: allow, less what the command policy refuses while it
 * is enabled.
 */
static const struct {
	const char	*text;
	uint32_t	 mask;
} extensions_tests[] = {
	{ "", EXT_DEFAULT },
	{ "extensions { allow = { } }\n", 0 },
	{ "extensions { allow = { \"Size\", dsn } }\n",
	    POLICY_EXT_SIZE | POLICY_EXT_DSN },
	{ "extensions { allow = { STARTTLS, AUTH, SIZE } }\n",
	    POLICY_EXT_STARTTLS | POLICY_EXT_AUTH | POLICY_EXT_SIZE },
	/* The mailguard profile refuses STARTTLS and AUTH. */
	{ "commands { profile = mailguard }\n",
	    EXT_DEFAULT & ~(uint32_t)(POLICY_EXT_STARTTLS | POLICY_EXT_AUTH) },
	{ "commands { profile = mailguard allow = { AUTH } }\n",
	    EXT_DEFAULT & ~(uint32_t)POLICY_EXT_STARTTLS },
	{ "commands { profile = custom allow = { EHLO, MAIL, RCPT, DATA,\n"
	  "QUIT, STARTTLS } }\n",
	    EXT_DEFAULT & ~(uint32_t)POLICY_EXT_AUTH },
	/* With the command policy off, both commands pass: keep both. */
	{ "commands { enabled = false profile = mailguard }\n",
	    EXT_DEFAULT },
};

START_TEST(test_extensions)
{
	struct config	*conf;

	conf = load_ok(extensions_tests[_i].text);
	ck_assert_msg(conf->extensions_mask == extensions_tests[_i].mask,
	    "%s: mask %#x, want %#x", extensions_tests[_i].text,
	    conf->extensions_mask, extensions_tests[_i].mask);
	config_unref(conf);
}
END_TEST

START_TEST(test_banner)
{
	struct config	*conf;

	conf = load_ok("hostname = \"gw.example.lan\"\n"
	    "banner { mode = replace }\n");
	ck_assert_int_eq(conf->banner_mode, POLICY_BANNER_REPLACE);
	ck_assert_str_eq(conf->banner_text, "gw.example.lan ESMTP");
	config_unref(conf);

	conf = load_ok("hostname = \"gw.example.lan\"\n"
	    "banner { mode = replace text = \"\" }\n");
	ck_assert_str_eq(conf->banner_text, "gw.example.lan ESMTP");
	config_unref(conf);

	conf = load_ok("banner {\n\tmode = \"replace\"\n"
	    "\ttext = \"Mail \\\"gateway\\\" ~!@#$%^&*()\"\n}\n");
	ck_assert_str_eq(conf->banner_text, "Mail \"gateway\" ~!@#$%^&*()");
	config_unref(conf);

	/* The longest text that fits a 512-octet reply line. */
	{
		char	 text[1024];
		int	 n;

		n = snprintf(text, sizeof(text), "banner { mode = replace "
		    "text = \"%0506d\" }\n", 0);
		ck_assert(n > 0 && (size_t)n < sizeof(text));
		conf = load_ok(text);
		ck_assert_uint_eq(strlen(conf->banner_text), 506);
		config_unref(conf);
	}
}
END_TEST

/*
 * Access rules: objects, first match in file order, "!" excludes, IPv6,
 * IPv4-mapped clients, the default and the replies.
 */
static const char access_conf[] =
	"access {\n"
	"\tdefault = deny\n"
	"\trule \"trusted\" {\n"
	"\t\taction = accept\n"
	"\t\tsource = { \"net\", \"!bad\" }\n"
	"\t}\n"
	"\trule \"bad\" {\n"
	"\t\taction = deny\n"
	"\t\tsource = { \"bad\" }\n"
	"\t\treply = \"You are not welcome here\"\n"
	"\t}\n"
	"\trule \"v6\" {\n"
	"\t\taction = accept\n"
	"\t\tsource = { \"2001:db8::/32\" }\n"
	"\t\tdestination = { \"any\" }\n"
	"\t}\n"
	"\trule \"not-to-mx\" {\n"
	"\t\taction = deny\n"
	"\t\tdestination = { \"!mx\" }\n"
	"\t}\n"
	"\trule \"to-mx\" { action = accept }\n"
	/* Objects may follow the rules that use them. */
	"\tobject \"net\" { address = { \"10.0.0.0/8\" } }\n"
	"\tobject \"bad\" {\n"
	"\t\taddress = { \"10.6.6.0/24\", \"10.7.7.7\" }\n"
	"\t}\n"
	"\tobject \"mx\" { address = { \"192.0.2.25\", \"2001:db8::25\" } }\n"
	"}\n";

START_TEST(test_access)
{
	static const struct access_case	 c[] = {
		{ "10.1.2.3", "203.0.113.9", ACCESS_ACCEPT, "trusted", NULL },
		{ "::ffff:10.1.2.3", "203.0.113.9", ACCESS_ACCEPT, "trusted",
		    NULL },
		{ "10.6.6.1", "192.0.2.25", ACCESS_DENY, "bad",
		    "You are not welcome here" },
		{ "10.7.7.7", "203.0.113.9", ACCESS_DENY, "bad", NULL },
		{ "10.7.7.8", "203.0.113.9", ACCESS_ACCEPT, "trusted", NULL },
		{ "198.51.100.1", "203.0.113.9", ACCESS_DENY, "not-to-mx",
		    "Access denied" },
		{ "2001:db8::1", "2001:db8::99", ACCESS_ACCEPT, "v6", NULL },
		{ "198.51.100.1", "192.0.2.25", ACCESS_ACCEPT, "to-mx", NULL },
		{ "2001:db9::1", "2001:db8::25", ACCESS_ACCEPT, "to-mx", NULL },
	};
	struct config	*conf;

	conf = load_ok(access_conf);
	check_access(conf, c, NITEMS(c));
	config_unref(conf);

	/* Without rules, the default alone decides. */
	conf = load_ok("access { default = deny }\n");
	check_access(conf, &(const struct access_case){ "192.0.2.1",
	    "192.0.2.2", ACCESS_DENY, NULL, "Access denied" }, 1);
	config_unref(conf);
}
END_TEST

/*
 * Comments: line numbers after them are right, they may sit inside a
 * list, and what looks like a comment inside a string is kept.
 */
/*
 * Anti-virus lists: clamd added to, local servers with objects defined
 * further down, "!" and "any" entries as in access rules.
 */
START_TEST(test_antivirus)
{
	static const struct local_case	 c1[] = {
		{ "192.0.2.25", 1 }, { "::ffff:192.0.2.25", 1 },
		{ "192.0.2.26", 0 }, { "192.0.2.28", 0 },
		{ "2001:db8::25", 1 }, { "2001:db8::26", 0 },
	}, c2[] = {
		{ "10.1.2.3", 0 }, { "192.0.2.1", 1 }, { "2001:db8::1", 1 },
	}, c3[] = {
		{ "10.1.2.3", 1 }, { "2001:db8::1", 1 },
	};
	struct config	*conf;

	conf = load_ok("antivirus {\n"
	    "\tclamd += { \"127.0.0.1:3310\" }\n"
	    "\tlocal_servers = { \"mailservers\", \"!192.0.2.26\",\n"
	    "\t\t\"2001:db8::25\" }\n"
	    "\tmax_size = 1\n"
	    "}\n"
	    "access {\n"
	    "\tobject \"mailservers\" { address = { \"192.0.2.24/30\" } }\n"
	    "}\n");
	ck_assert_uint_eq(conf->nav_clamd, 2);
	ck_assert_str_eq(conf->av_clamd[0], "/run/clamav/clamd.ctl");
	ck_assert_str_eq(conf->av_clamd[1], "127.0.0.1:3310");
	ck_assert_ptr_null(conf->av_clamd[2]);
	ck_assert_uint_eq(conf->nav_local_servers, 3);
	ck_assert_uint_eq(conf->av_max_size, 1);
	check_local(conf, c1, NITEMS(c1));
	/* No rule came of the list. */
	ck_assert_int_eq(access_match(conf->access, NULL, NULL, NULL, NULL),
	    ACCESS_ACCEPT);
	config_unref(conf);

	/* Only "!" entries: every server but those. */
	conf = load_ok("antivirus { local_servers = { \"!10.0.0.0/8\" }\n"
	    "max_size = 1024G }\n");
	ck_assert_uint_eq(conf->av_max_size, 1024ULL * 1024 * 1024 * 1024);
	check_local(conf, c2, NITEMS(c2));
	config_unref(conf);

	conf = load_ok("antivirus { local_servers = { ANY } }\n"
	    "access { default = deny }\n");
	check_local(conf, c3, NITEMS(c3));
	ck_assert_int_eq(access_match(conf->access, NULL, NULL, NULL, NULL),
	    ACCESS_DENY);
	config_unref(conf);
}
END_TEST

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
	/* PROXY protocol and metrics. */
	{ "\nproxy_protocol = true\n",
	    { ":2: proxy_protocol: trusted_proxies is empty, so every "
	      "connection would be refused" } },
	{ "proxy_protocol = maybe\n",
	    { ":1: proxy_protocol: invalid boolean \"maybe\" (true or "
	      "false)" } },
	{ "trusted_proxies = {\n\"10.0.0.0/33\",\n\"any\",\n\"!10.1.2.3\",\n"
	  "\"lb.example\" }\n",
	    { ":2: trusted_proxies: \"10.0.0.0/33\" is not an address or a "
	      "CIDR",
	      ":3: trusted_proxies: \"any\" is not an address or a CIDR",
	      ":4: trusted_proxies: \"!10.1.2.3\" is not an address or a "
	      "CIDR",
	      ":5: trusted_proxies: \"lb.example\" is not an address or a "
	      "CIDR" } },
	{ "metrics {\n\tlisten = \"localhost:9125\"\n}\n",
	    { ":2: metrics.listen: invalid address \"localhost:9125\": a "
	      "numeric IPv4 or [IPv6] address is required" } },
	{ "metrics { listen = \"127.0.0.1\" }\n",
	    { ":1: metrics.listen: invalid address \"127.0.0.1\": missing "
	      "port" } },
	{ "metrics { port = 9125 }\n", { ":1: no such option 'port'" } },
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

	/* tls.listen beside listen and tproxy.listen. */
	{ "listen = { \"127.0.0.1:25\" }\n"
	  "tls {\n\tlisten = { \"127.0.0.1:465\", \"127.0.0.1:25\" }\n}\n",
	    { ":3: tls.listen: \"127.0.0.1:25\" is in listen too" } },
	{ "tproxy { listen = { \"127.0.0.1:26\" } }\n"
	  "tls { listen = { \"127.0.0.1:26\" } }\n",
	    { ":2: tls.listen: \"127.0.0.1:26\" is in tproxy.listen too" } },

	/* tproxy. */
	{ "tproxy { listen = { \"[::1]\" } }\n",
	    { ":1: tproxy.listen: invalid address \"[::1]\": missing port" } },
	{ "tproxy {\n\tlisten = { \"[::]:26\", \"[::]:26\" }\n}\n",
	    { ":2: tproxy.listen: duplicate address \"[::]:26\"" } },
	{ "listen = { \"[::]:26\" }\n"
	  "tproxy {\n\tlisten = { \"0.0.0.0:26\", \"[::]:26\" }\n}\n",
	    { ":3: tproxy.listen: \"[::]:26\" is in listen too" } },
	{ "tproxy {\n\tclient_source = true\n}\n",
	    { ":2: tproxy.client_source: only used for the sessions of "
	      "tproxy.listen, which has no address" } },
	{ "tproxy { client_source = maybe }\n",
	    { ":1: tproxy.client_source: invalid boolean \"maybe\" (true or "
	      "false)" } },
	{ "listen = { }\ntproxy { listen = { } }\n",
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

	/* Workers: 0 (one per CPU) to 1024. */
	{ "workers = -1\n",
	    { ":1: workers: invalid number \"-1\"" } },
	{ "workers = 1025\n",
	    { ":1: workers: \"1025\" is above the maximum of 1024" } },
	{ "workers = all\n",
	    { ":1: workers: invalid number \"all\"" } },

	/* Refused commands, MIME limits. */
	{ "max_bad_commands = 0\n",
	    { ":1: max_bad_commands: \"0\" is below the minimum of 1" } },
	{ "max_bad_commands = 1000001\n",
	    { ":1: max_bad_commands: \"1000001\" is above the maximum of "
	      "1000000" } },
	{ "max_bad_commands = 20K\n",
	    { ":1: max_bad_commands: invalid number \"20K\"" } },
	{ "limits {\n\tmime_depth = 0\n}\n",
	    { ":2: limits.mime_depth: \"0\" is below the minimum of 1" } },
	{ "limits { mime_depth = 1001 }\n",
	    { ":1: limits.mime_depth: \"1001\" is above the maximum of "
	      "1000" } },
	{ "limits { mime_parts = 0 }\n",
	    { ":1: limits.mime_parts: \"0\" is below the minimum of 1" } },
	{ "limits { mime_parts = 1000001 }\n",
	    { ":1: limits.mime_parts: \"1000001\" is above the maximum of "
	      "1000000" } },
	{ "limits { mime_parts = 1K }\n",
	    { ":1: limits.mime_parts: invalid number \"1K\"" } },

	/* Commands. */
	{ "commands {\n\tprofile = \"strict\"\n}\n",
	    { ":2: commands.profile: invalid value \"strict\" (esmtp, "
	      "mailguard or custom)" } },
	{ "commands { enabled = maybe }\n",
	    { ":1: commands.enabled: invalid boolean \"maybe\" (true or "
	      "false)" } },
	{ "commands {\n\tallow = { \"VRFY\",\n\t\t\"FOO\" }\n}\n",
	    { ":3: commands.allow: unknown command \"FOO\"" } },
	{ "commands { allow = { \"\" } }\n",
	    { ":1: commands.allow: unknown command \"\"" } },
	{ "commands { allow = { \"MAIL FROM\" } }\n",
	    { ":1: commands.allow: unknown command \"MAIL FROM\"" } },
	{ "commands { allow = { \"XCLIENT\" } }\n",
	    { ":1: commands.allow: \"XCLIENT\" cannot be allowed: it would "
	      "let the client pose as another client to the upstream" } },
	{ "commands { allow = { xforward } }\n",
	    { ":1: commands.allow: \"xforward\" cannot be allowed: it would "
	      "let the client pose as another client to the upstream" } },
	{ "commands { allow = { BDAT } }\n",
	    { ":1: commands.allow: \"BDAT\" cannot be allowed: BDAT is not "
	      "inspected, so CHUNKING is never offered" } },
	{ "commands {\n\tprofile = custom\n}\n",
	    { ":2: commands.allow: profile \"custom\" must allow HELO or "
	      "EHLO, MAIL, RCPT, DATA and QUIT (missing HELO or EHLO, MAIL, "
	      "RCPT, DATA, QUIT)" } },
	{ "commands {\n\tprofile = custom\n\tallow = { HELO, MAIL,\n"
	  "\t\tRCPT }\n}\n",
	    { ":4: commands.allow: profile \"custom\" must allow HELO or "
	      "EHLO, MAIL, RCPT, DATA and QUIT (missing DATA, QUIT)" } },
	/* A bad name is reported alone. */
	{ "commands { profile = custom allow = { VRFY, NOPE } }\n",
	    { ":1: commands.allow: unknown command \"NOPE\"" } },

	/* Extensions. */
	{ "extensions {\n\tallow = { \"SIZE\", \"X-FOO\" }\n}\n",
	    { ":2: extensions.allow: unknown extension \"X-FOO\" (SIZE, "
	      "8BITMIME, PIPELINING, ENHANCEDSTATUSCODES, DSN, SMTPUTF8, "
	      "AUTH or STARTTLS)" } },
	{ "extensions { allow = { XCLIENT } }\n",
	    { ":1: extensions.allow: unknown extension \"XCLIENT\" (SIZE, "
	      "8BITMIME, PIPELINING, ENHANCEDSTATUSCODES, DSN, SMTPUTF8, "
	      "AUTH or STARTTLS)" } },
	{ "extensions { allow = { CHUNKING } }\n",
	    { ":1: extensions.allow: CHUNKING cannot be offered: BDAT is not "
	      "inspected" } },
	{ "extensions { allow += { \"binarymime\" } }\n",
	    { ":1: extensions.allow: BINARYMIME cannot be offered: it needs "
	      "BDAT, which is not inspected" } },
	{ "extensions { enabled = 2 }\n",
	    { ":1: extensions.enabled: invalid boolean \"2\" (true or "
	      "false)" } },

	/* Banner. */
	{ "banner {\n\tmode = \"hide\"\n}\n",
	    { ":2: banner.mode: invalid value \"hide\" (pass, mask or "
	      "replace)" } },
	{ "banner { mode = replace\n\ttext = \"a\\r\\nb\" }\n",
	    { ":2: banner.text: control character 0x0d (only printable ASCII "
	      "goes into a reply)" } },
	{ "banner { mode = replace text = \"tab\\there\" }\n",
	    { ":1: banner.text: control character 0x09 (only printable ASCII "
	      "goes into a reply)" } },
	{ "banner { mode = replace text = \"a\\x7f\" }\n",
	    { ":1: banner.text: control character 0x7f (only printable ASCII "
	      "goes into a reply)" } },
	{ "banner { mode = replace text = \"caf\xc3\xa9\" }\n",
	    { ":1: banner.text: non-ASCII byte 0xc3 (only printable ASCII "
	      "goes into a reply)" } },
	{ "banner {\n\ttext = \"gw ESMTP\"\n}\n",
	    { ":2: banner.text: only used with mode = replace (mode is "
	      "pass)" } },
	{ "banner { mode = mask text = \"x\" }\n",
	    { ":1: banner.text: only used with mode = replace (mode is "
	      "mask)" } },
	{ "banner { ehlo = sometimes }\n",
	    { ":1: banner.ehlo: invalid boolean \"sometimes\" (true or "
	      "false)" } },

	/* Access. */
	{ "access {\n\tdefault = \"reject\"\n}\n",
	    { ":2: access.default: invalid value \"reject\" (accept or "
	      "deny)" } },
	{ "access { bogus = 1 }\n",
	    { ":1: no such option 'bogus'" } },
	{ "access {\n\trule \"r\" {\n\t\taction = drop\n\t}\n}\n",
	    { ":3: access rule \"r\" action: invalid value \"drop\" (accept "
	      "or deny)" } },
	{ "access {\n\trule \"r\" {\n\t\tsource = { any }\n\t}\n}\n",
	    { ":2: access rule \"r\": missing action" } },
	{ "access {\n\trule \"r\"\n\t{\n\t\tsource = { \"lan\" }\n"
	  "\t\taction = deny\n\t}\n}\n",
	    { ":2: access: rule \"r\" source: unknown object \"lan\"" } },
	{ "access {\n\trule \"r\" {\n\t\taction = deny\n"
	  "\t\tdestination = { \"10.0.0.1\",\n\t\t\t\"10.0.0.256\" }\n"
	  "\t}\n}\n",
	    { ":2: access: rule \"r\" destination: invalid address "
	      "\"10.0.0.256\"" } },
	{ "access { rule \"r\" { action = deny source = { \"!\" } } }\n",
	    { ":1: access: rule \"r\" source: invalid entry \"!\"" } },
	{ "access { rule \"r\" { action = deny source = { \"a b\" } } }\n",
	    { ":1: access: rule \"r\" source: invalid entry \"a b\"" } },
	{ "access {\n\trule \"r\" {\n\t\taction = accept\n"
	  "\t\tsource = { }\n\t}\n}\n",
	    { ":2: access rule \"r\" source: empty list (write { \"any\" } "
	      "for every address)" } },
	{ "access { rule \"r\" { action = accept destination = { } } }\n",
	    { ":1: access rule \"r\" destination: empty list (write "
	      "{ \"any\" } for every address)" } },
	{ "access {\n\trule \"r\" {\n\t\taction = deny\n"
	  "\t\treply = \"no\\nway\"\n\t}\n}\n",
	    { ":4: access rule \"r\" reply: control character 0x0a (only "
	      "printable ASCII goes into a reply)" } },
	{ "access { rule \"\" { action = deny } }\n",
	    { ":1: access: rule without a name" } },
	{ "access {\n\trule \"r\" { action = deny }\n"
	  "\trule \"r\" { action = accept }\n}\n",
	    { ":3: found duplicate title 'r'" } },
	{ "access {\n\tobject \"lan\" {\n"
	  "\t\taddress = { \"192.168.1.0/24\",\n\t\t\t\"192.168.1.300\" }\n"
	  "\t}\n}\n",
	    { ":2: access: object \"lan\": invalid address "
	      "\"192.168.1.300\"" } },
	{ "access { object \"a\" { address = { \"10.0.0.0/33\" } } }\n",
	    { ":1: access: object \"a\": invalid address \"10.0.0.0/33\"" } },
	{ "access { object \"a\" { address = { \"!10.0.0.0/8\" } } }\n",
	    { ":1: access: object \"a\": invalid address \"!10.0.0.0/8\"" } },
	{ "access { object \"a\" { address = { \"any\" } } }\n",
	    { ":1: access: object \"a\": invalid address \"any\"" } },
	{ "access { object \"1lan\" { } }\n",
	    { ":1: access: invalid object name \"1lan\"" } },
	{ "access { object \"any\" { } }\n",
	    { ":1: access: invalid object name \"any\"" } },
	{ "access {\n\tobject \"lan\" { address = { \"10.0.0.0/8\" } }\n"
	  "\tobject \"lan\" { }\n}\n",
	    { ":3: found duplicate title 'lan'" } },
	/* A bad object is reported once, not again by the rules using it. */
	{ "access {\n\tobject \"lan\" { address = { \"x\" } }\n"
	  "\trule \"r\" { action = accept source = { \"lan\" } }\n}\n",
	    { ":2: access: object \"lan\": invalid address \"x\"" } },
	/* Each section's own line, whatever ends or starts on it. */
	{ "limits {\n} access { rule \"a\" { action = accept\n"
	  "source = { \"x1\" } } rule \"b\" { source = { \"x2\" }\n"
	  "action = deny } object \"c\" { address = { \"y\" }\n} }\n",
	    { ":4: access: object \"c\": invalid address \"y\"",
	      ":2: access: rule \"a\" source: unknown object \"x1\"",
	      ":3: access: rule \"b\" source: unknown object \"x2\"" } },

	/* Spool directory. */
	{ "spool_dir = \"var/spool/smtpproxy\"\n",
	    { ":1: spool_dir: \"var/spool/smtpproxy\" is not an absolute "
	      "path" } },
	{ "spool_dir = \"\"\n",
	    { ":1: spool_dir: \"\" is not an absolute path" } },
	{ "spool_dir = \"/nonexistent/smtpproxy//\"\n"
	  "filetypes {\n\tenabled = true\n\tblock_types = { executable }\n}\n",
	    { ":1: spool_dir: cannot use \"/nonexistent/smtpproxy\": No such "
	      "file or directory (needed by filetypes)" } },
	{ "filetypes {\n\tenabled = true\n\tblock_types = { executable }\n"
	  "}\nspool_dir = \"/dev/null\"\n",
	    { ":5: spool_dir: cannot use \"/dev/null\": Not a directory "
	      "(needed by filetypes)" } },
	/* A bad spool_dir is reported once. */
	{ "spool_dir = \"spool\"\n"
	  "filetypes { enabled = true block_types = { executable } }\n",
	    { ":1: spool_dir: \"spool\" is not an absolute path" } },

	/* File types. */
	{ "spool_dir = \"/tmp\"\nfiletypes {\n\tenabled = true\n}\n",
	    { ":3: filetypes: enabled, but blocks nothing (set "
	      "block_extensions, block_types or a block_* switch)" } },
	{ "spool_dir = \"/tmp\"\nfiletypes {\n\tenabled = true\n"
	  "\tblock_extensions = { }\n\tblock_types = { }\n"
	  "\tblock_office_macros = false\n}\n",
	    { ":3: filetypes: enabled, but blocks nothing (set "
	      "block_extensions, block_types or a block_* switch)" } },
	{ "filetypes { enabled = sometimes }\n",
	    { ":1: filetypes.enabled: invalid boolean \"sometimes\" (true or "
	      "false)" } },
	{ "filetypes {\n\tblock_encrypted_archives = 1\n"
	  "\tblock_office_macros = maybe\n"
	  "\tblock_packed_executables = \"\"\n}\n",
	    { ":2: filetypes.block_encrypted_archives: invalid boolean \"1\" "
	      "(true or false)",
	      ":3: filetypes.block_office_macros: invalid boolean \"maybe\" "
	      "(true or false)",
	      ":4: filetypes.block_packed_executables: invalid boolean \"\" "
	      "(true or false)" } },
	{ "filetypes { block_mime = { } }\n",
	    { ":1: no such option 'block_mime'" } },
	{ "filetypes {\n\tblock_extensions = { \"exe\",\n\t\t\"\" }\n}\n",
	    { ":3: filetypes.block_extensions: empty extension" } },
	{ "filetypes { block_extensions = { \".\" } }\n",
	    { ":1: filetypes.block_extensions: empty extension" } },
	{ "filetypes { block_extensions = { \"..\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \"..\": "
	      "empty part between dots" } },
	{ "filetypes { block_extensions = { \"..exe\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \"..exe\": "
	      "empty part between dots" } },
	{ "filetypes { block_extensions = { \"tar..gz\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \"tar..gz\": "
	      "empty part between dots" } },
	{ "filetypes { block_extensions = { \"exe.\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \"exe.\": "
	      "ends with a dot" } },
	{ "filetypes { block_extensions = { \".exe \" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \".exe \": "
	      "ends with a space" } },
	{ "filetypes { block_extensions = { \"bin/exe\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \"bin/exe\": "
	      "contains \"/\"" } },
	{ "filetypes { block_extensions = { \".a\\\\b\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension \".a\\b\": "
	      "contains \"\\\"" } },
	{ "filetypes { block_extensions = { \"e\\txe\" } }\n",
	    { ":1: filetypes.block_extensions: invalid extension: control "
	      "character 0x09" } },
	/* Every bad entry of a list, each at its line. */
	{ "filetypes {\n\tblock_extensions = { \"\",\n\t\t\"/\" }\n}\n",
	    { ":2: filetypes.block_extensions: empty extension",
	      ":3: filetypes.block_extensions: invalid extension \"/\": "
	      "contains \"/\"" } },
	/* Bad entries are not also "blocks nothing". */
	{ "spool_dir = \"/tmp\"\n"
	  "filetypes { enabled = true block_extensions = { \"\" } }\n",
	    { ":2: filetypes.block_extensions: empty extension" } },
	{ "filetypes {\n\treply = \"no %x\"\n}\n",
	    { ":2: filetypes.reply: unknown placeholder \"%x\" (%n is the "
	      "attachment's name, %t its type, %% a percent sign)" } },
	{ "filetypes { reply = \"%N (%T)\" }\n",
	    { ":1: filetypes.reply: unknown placeholder \"%N\" (%n is the "
	      "attachment's name, %t its type, %% a percent sign)" } },
	{ "filetypes { reply = \"100%\" }\n",
	    { ":1: filetypes.reply: unknown placeholder \"%\" (%n is the "
	      "attachment's name, %t its type, %% a percent sign)" } },
	{ "filetypes { reply = \"%%%\" }\n",
	    { ":1: filetypes.reply: unknown placeholder \"%\" (%n is the "
	      "attachment's name, %t its type, %% a percent sign)" } },
	{ "filetypes { reply = \"%n\\r\\n250 OK\" }\n",
	    { ":1: filetypes.reply: control character 0x0d (only printable "
	      "ASCII goes into a reply)" } },
	{ "filetypes { reply = \"%n refus\xc3\xa9\" }\n",
	    { ":1: filetypes.reply: non-ASCII byte 0xc3 (only printable "
	      "ASCII goes into a reply)" } },

	/* Anti-virus. */
	{ "antivirus {\n\tenabled = perhaps\n\tscan_local = 2\n"
	  "\tscan_other = \"\"\n}\n",
	    { ":2: antivirus.enabled: invalid boolean \"perhaps\" (true or "
	      "false)",
	      ":3: antivirus.scan_local: invalid boolean \"2\" (true or "
	      "false)",
	      ":4: antivirus.scan_other: invalid boolean \"\" (true or "
	      "false)" } },
	{ "antivirus {\n\tbackend = \"clamav\"\n\ton_error = drop\n}\n",
	    { ":2: antivirus.backend: invalid value \"clamav\" (libclamav or "
	      "clamd)",
	      ":3: antivirus.on_error: invalid value \"drop\" (tempfail, "
	      "reject or pass)" } },
	{ "antivirus {\n\tmax_size = 0\n\tthreads = -1\n}\n",
	    { ":2: antivirus.max_size: \"0\" is below the minimum of 1",
	      ":3: antivirus.threads: invalid number \"-1\"" } },
	{ "antivirus { max_size = 1T threads = 65 }\n",
	    { ":1: antivirus.max_size: invalid size \"1T\" (bytes, or a "
	      "number followed by K, M or G)",
	      ":1: antivirus.threads: \"65\" is above the maximum of 64" } },
	{ "antivirus { max_size = 1025G threads = 2.5 }\n",
	    { ":1: antivirus.max_size: \"1025G\" is above the maximum of "
	      "1099511627776",
	      ":1: antivirus.threads: invalid number \"2.5\"" } },
	{ "antivirus { scan_all = true }\n",
	    { ":1: no such option 'scan_all'" } },
	{ "antivirus {\n\tdatabase = \"var/lib/clamav\"\n}\n",
	    { ":2: antivirus.database: \"var/lib/clamav\" is not an absolute "
	      "path" } },
	{ "antivirus { database = \"\" }\n",
	    { ":1: antivirus.database: \"\" is not an absolute path" } },
	/* Checked when enabled with libclamav, at the database line. */
	{ "spool_dir = \"/tmp\"\nantivirus {\n\tenabled = true\n"
	  "\tdatabase = \"/nonexistent/clamav\"\n}\n",
	    { ":4: antivirus.database: cannot use \"/nonexistent/clamav\": "
	      "No such file or directory" } },
	{ "spool_dir = \"/tmp\"\nantivirus {\n\tdatabase = \"/dev/null\"\n"
	  "\tenabled = true\n}\n",
	    { ":3: antivirus.database: cannot use \"/dev/null\": neither a "
	      "directory nor a regular file" } },
	/* A bad database is reported once. */
	{ "spool_dir = \"/tmp\"\n"
	  "antivirus { enabled = true database = \"clamav\" }\n",
	    { ":2: antivirus.database: \"clamav\" is not an absolute "
	      "path" } },
	/* The clamd servers, each at its line. */
	{ "antivirus {\n\tclamd = { \"clamd.ctl\",\n\t\t\"\",\n"
	  "\t\t\"::1:3310\", \"[::1]:0\",\n"
	  "\t\t\"127.0.0.1:3310\", \"127.0.0.1:3310\" }\n}\n",
	    { ":2: antivirus.clamd: invalid server \"clamd.ctl\": missing "
	      "port (a unix socket as an absolute path, or \"host:port\")",
	      ":3: antivirus.clamd: empty entry (a unix socket as an "
	      "absolute path, or \"host:port\")",
	      ":4: antivirus.clamd: invalid server \"::1:3310\": an IPv6 "
	      "address must be in brackets, as in [::1]:25 (a unix socket "
	      "as an absolute path, or \"host:port\")",
	      ":4: antivirus.clamd: invalid server \"[::1]:0\": invalid "
	      "port (1 to 65535) (a unix socket as an absolute path, or "
	      "\"host:port\")",
	      ":5: antivirus.clamd: duplicate server \"127.0.0.1:3310\"" } },
	{ "antivirus {\n\tclamd += { \"/run/clamav/clamd.ctl\" }\n}\n",
	    { ":2: antivirus.clamd: duplicate server "
	      "\"/run/clamav/clamd.ctl\"" } },
	/* Enabled or not, as upstream with relay mode. */
	{ "antivirus {\n\tbackend = clamd\n\tclamd = { }\n}\n",
	    { ":2: antivirus: backend = clamd requires at least one server "
	      "in clamd" } },
	/* The local servers, each bad entry at its line. */
	{ "antivirus {\n\tlocal_servers = { \"lan\",\n"
	  "\t\t\"10.0.0.0/33\", \"!\",\n\t\t\"mail server\",\n"
	  "\t\t\"\", \"!lan\", \"any\" }\n}\n",
	    { ":2: antivirus.local_servers: unknown object \"lan\"",
	      ":3: antivirus.local_servers: invalid address \"10.0.0.0/33\"",
	      ":3: antivirus.local_servers: invalid entry \"!\"",
	      ":4: antivirus.local_servers: invalid entry \"mail server\"",
	      ":5: antivirus.local_servers: empty entry",
	      ":5: antivirus.local_servers: unknown object \"!lan\"" } },
	/* Objects are those of the access section, found after the parse. */
	{ "antivirus { local_servers = { \"mx\", \"2001:db8::/129\" } }\n"
	  "access { object \"mx\" { address = { \"192.0.2.25\" } } }\n",
	    { ":1: antivirus.local_servers: invalid address "
	      "\"2001:db8::/129\"" } },
	/* A bad object is reported once, not again by the list. */
	{ "antivirus { local_servers = { \"mx\" } }\n"
	  "access {\n\tobject \"mx\" { address = { \"mx.example\" } }\n}\n",
	    { ":3: access: object \"mx\": invalid address \"mx.example\"" } },
	/* A list set twice: an error, and the last one is checked. */
	{ "antivirus {\n\tlocal_servers = { \"x\" }\n"
	  "\tlocal_servers = { \"10.0.0.1\",\n\t\t\"y\" }\n}\n",
	    { ":3: antivirus.local_servers: already set at line 2",
	      ":4: antivirus.local_servers: unknown object \"y\"" } },
	{ "spool_dir = \"/tmp\"\nantivirus {\n\tenabled = true\n"
	  "\tdatabase = \"/tmp\"\n\tscan_local = false\n"
	  "\tscan_other = false\n}\n",
	    { ":3: antivirus: enabled, but scans nothing (scan_local and "
	      "scan_other are false)" } },
	{ "spool_dir = \"/tmp\"\nantivirus {\n\tenabled = true\n"
	  "\tdatabase = \"/tmp\"\n\tscan_other = false\n}\n",
	    { ":3: antivirus: enabled, but scans nothing (scan_other is false "
	      "and local_servers is empty)" } },
	/* Bad entries are not also "scans nothing". */
	{ "spool_dir = \"/tmp\"\nantivirus {\n\tenabled = true\n"
	  "\tdatabase = \"/tmp\"\n\tscan_other = false\n"
	  "\tlocal_servers = { \"!\" }\n}\n",
	    { ":6: antivirus.local_servers: invalid entry \"!\"" } },
	{ "antivirus {\n\treply = \"%n found\"\n}\n",
	    { ":2: antivirus.reply: unknown placeholder \"%n\" (%v is the "
	      "virus name, %% a percent sign)" } },
	{ "antivirus { reply = \"%V\" }\n",
	    { ":1: antivirus.reply: unknown placeholder \"%V\" (%v is the "
	      "virus name, %% a percent sign)" } },
	{ "antivirus { reply = \"%v 100%\" }\n",
	    { ":1: antivirus.reply: unknown placeholder \"%\" (%v is the "
	      "virus name, %% a percent sign)" } },
	{ "antivirus { reply = \"%v\\r\\n250 OK\" }\n",
	    { ":1: antivirus.reply: control character 0x0d (only printable "
	      "ASCII goes into a reply)" } },
	{ "antivirus { reply = \"Virus trouv\xc3\xa9: %v\" }\n",
	    { ":1: antivirus.reply: non-ASCII byte 0xc3 (only printable "
	      "ASCII goes into a reply)" } },
	/* The spool directory, for anti-virus and file types. */
	{ "spool_dir = \"/nonexistent/spool\"\nantivirus {\n"
	  "\tenabled = true\n\tdatabase = \"/tmp\"\n}\n",
	    { ":1: spool_dir: cannot use \"/nonexistent/spool\": No such "
	      "file or directory (needed by antivirus)" } },
	{ "antivirus { enabled = true database = \"/tmp\" }\n"
	  "filetypes { enabled = true block_types = { pdf } }\n"
	  "spool_dir = \"/dev/null/\"\n",
	    { ":3: spool_dir: cannot use \"/dev/null\": Not a directory "
	      "(needed by filetypes and antivirus)" } },

	/*
	 * A key set twice in one section, an untitled section given twice:
	 * libconfuse would keep the last value silently.
	 */
	{ "max_sessions = 1\nmax_sessions = 2\n",
	    { ":2: max_sessions: already set at line 1" } },
	{ "max_sessions = 1\nmax_sessions = \"x\"\nmax_sessions = 3\n",
	    { ":2: max_sessions: already set at line 1",
	      ":2: max_sessions: invalid number \"x\"",
	      ":3: max_sessions: already set at line 2" } },
	{ "listen = { \"127.0.0.1:1\" }\nlisten = { \"127.0.0.1:2\" }\n",
	    { ":2: listen: already set at line 1" } },
	{ "inspect = false\n\ninspect = true\n",
	    { ":3: inspect: already set at line 1" } },
	{ "limits {\n\trecipients = 5\n\trecipients = 6\n}\n",
	    { ":3: limits.recipients: already set at line 2" } },
	{ "limits { recipients = 5 }\nlimits { command_line = 600 }\n",
	    { ":2: limits: already set at line 1" } },
	{ "limits { recipients = 5 }\n\nlimits {\n\trecipients = 6\n}\n",
	    { ":4: limits.recipients: already set at line 1",
	      ":3: limits: already set at line 1" } },
	{ "antivirus { }\nantivirus { enabled = false }\n",
	    { ":2: antivirus: already set at line 1" } },
	{ "timeouts { }\ntimeouts { }\ntimeouts { }\n",
	    { ":2: timeouts: already set at line 1",
	      ":3: timeouts: already set at line 1" } },
	{ "access { default = accept }\naccess { default = deny }\n",
	    { ":2: access.default: already set at line 1",
	      ":2: access: already set at line 1" } },
	{ "alarm \"smtp:241\" { action = log action = close }\n",
	    { ":1: alarm \"smtp:241\" action: already set at line 1" } },
	{ "access {\n\trule \"r\" { action = accept source = { any }\n"
	  "\t\tsource = { \"10.0.0.0/8\" } }\n}\n",
	    { ":3: access rule \"r\" source: already set at line 2" } },
	{ "access {\n\tobject \"o\" {\n\t\taddress = { \"10.0.0.1\" }\n"
	  "\t\taddress = { \"10.0.0.2\" }\n\t}\n}\n",
	    { ":4: access object \"o\" address: already set at line 3" } },

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

/* Reply texts one character over what a reply line has room for. */
START_TEST(test_text_too_long)
{
	char	 text[1024], want[PATH_MAX + 256];
	int	 n;

	n = snprintf(text, sizeof(text), "banner {\n\tmode = replace\n"
	    "\ttext = \"%0507d\"\n}\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_ptr_null(load(text));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(want, sizeof(want), "%s:3: banner.text: 507 characters, "
	    "more than the 506 a reply line has room for (RFC 5321 section "
	    "4.5.3.1.5)", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);

	n = snprintf(text, sizeof(text), "access { rule \"r\" {\n"
	    "\taction = deny\n\treply = \"%0501d\"\n} }\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_ptr_null(load(text));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(want, sizeof(want), "%s:3: access rule \"r\" reply: 501 "
	    "characters, more than the 500 a reply line has room for (RFC "
	    "5321 section 4.5.3.1.5)", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);

	/* 500 fits. */
	n = snprintf(text, sizeof(text), "access { rule \"r\" {\n"
	    "\taction = deny\n\treply = \"%0500d\"\n} }\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));

	/* The file type reply, before its placeholders are replaced. */
	n = snprintf(text, sizeof(text), "filetypes {\n"
	    "\treply = \"%%n%0499d\"\n}\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_ptr_null(load(text));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(want, sizeof(want), "%s:2: filetypes.reply: 501 "
	    "characters, more than the 500 a reply line has room for (RFC "
	    "5321 section 4.5.3.1.5)", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);
	n = snprintf(text, sizeof(text), "filetypes {\n"
	    "\treply = \"%%n%0498d\"\n}\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));

	/* The anti-virus reply, before %v is replaced. */
	n = snprintf(text, sizeof(text), "antivirus {\n"
	    "\treply = \"%%v%0499d\"\n}\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_ptr_null(load(text));
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(want, sizeof(want), "%s:2: antivirus.reply: 501 "
	    "characters, more than the 500 a reply line has room for (RFC "
	    "5321 section 4.5.3.1.5)", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_str_eq(errs[0], want);
	n = snprintf(text, sizeof(text), "antivirus {\n"
	    "\treply = \"%%v%0498d\"\n}\n", 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));
}
END_TEST

/*
 * block_types: every name of the file type table, in any case, and an
 * unknown name answered with the list of them all.
 */
START_TEST(test_block_types)
{
	struct config	*conf;
	const char	*name;
	char		 text[2048], list[512], want[PATH_MAX + 1024];
	size_t		 i, n, off = 0, loff = 0;
	filetype_mask	 all = 0;
	int		 w;

	n = filetype_count();
	ck_assert_uint_gt(n, 0);
	w = snprintf(text, sizeof(text), "filetypes {\n\tblock_types = {");
	ck_assert(w > 0);
	off = (size_t)w;
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(name = filetype_row(i, NULL, NULL));
		all |= filetype_parse(name);
		/* Odd rows in upper case. */
		w = snprintf(text + off, sizeof(text) - off, "%s \"%s\"",
		    i > 0 ? "," : "", name);
		ck_assert(w > 0 && (size_t)w < sizeof(text) - off);
		if (i % 2 == 1)
			for (w = 0; text[off + (size_t)w] != '\0'; w++)
				text[off + (size_t)w] = (char)toupper(
				    (unsigned char)text[off + (size_t)w]);
		off += strlen(text + off);
		w = snprintf(list + loff, sizeof(list) - loff, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", name);
		ck_assert(w > 0 && (size_t)w < sizeof(list) - loff);
		loff += (size_t)w;
	}
	w = snprintf(text + off, sizeof(text) - off, " }\n}\n");
	ck_assert(w > 0 && (size_t)w < sizeof(text) - off);
	conf = load_ok(text);
	ck_assert_uint_eq(conf->block_types, all);
	ck_assert_uint_eq(all, (filetype_mask)((1ULL << n) - 1));
	config_unref(conf);

	ck_assert_ptr_null(load("filetypes {\n\tblock_types = { \"archive\","
	    "\n\t\t\"exe\", \"\" }\n}\n"));
	ck_assert_int_eq(nerrs, 2);
	w = snprintf(want, sizeof(want), "%s:3: filetypes.block_types: "
	    "unknown type \"exe\" (%s)", confpath, list);
	ck_assert(w > 0 && (size_t)w < sizeof(want));
	ck_assert_str_eq(errs[0], want);
	w = snprintf(want, sizeof(want), "%s:3: filetypes.block_types: "
	    "unknown type \"\" (%s)", confpath, list);
	ck_assert(w > 0 && (size_t)w < sizeof(want));
	ck_assert_str_eq(errs[1], want);
}
END_TEST

/* Load text, which must fail with the one error FILE:line: msg. */
static void
load_fails(const char *text, int line, const char *msg)
{
	char	 want[PATH_MAX * 2];
	int	 n;

	ck_assert_ptr_null(load(text));
	n = snprintf(want, sizeof(want), "%s:%d: %s", confpath, line, msg);
	ck_assert(n > 0 && (size_t)n < sizeof(want));
	ck_assert_msg(nerrs == 1, "%d errors, first \"%s\", want \"%s\"",
	    nerrs, nerrs > 0 ? errs[0] : "", want);
	ck_assert_str_eq(errs[0], want);
}

/*
 * The spool directory is checked only when file types are enabled, as
 * the user the daemon will run as: a root daemon with user set drops
 * to that user, any other stays who it is.
 */
START_TEST(test_spool_dir)
{
	struct config	*conf;
	struct passwd	*pw;
	char		 spool[PATH_MAX], text[PATH_MAX * 2];
	char		 msg[PATH_MAX * 2];
	int		 n;

	n = snprintf(spool, sizeof(spool), "%s/spool", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(spool));

	/* Missing, its parent missing too. */
	n = snprintf(text, sizeof(text), "filetypes {\n\tenabled = true\n"
	    "\tblock_extensions = { exe }\n}\nspool_dir = \"%s/sub/\"\n",
	    spool);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "spool_dir: cannot use \"%s/sub\": No "
	    "such file or directory (needed by filetypes)", spool);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 5, msg);

	/* Missing, its parent there: created at start-up, not by a load. */
	n = snprintf(text, sizeof(text), "filetypes {\n\tenabled = true\n"
	    "\tblock_extensions = { exe }\n}\nspool_dir = \"%s/\"\n", spool);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));
	ck_assert_int_eq(access(spool, F_OK), -1);

	/* There and ours. */
	ck_assert_int_eq(mkdir(spool, 0700), 0);
	conf = load_ok(text);
	ck_assert_str_eq(conf->spool_dir, spool);
	ck_assert_int_eq(conf->filetypes_enabled, 1);
	ck_assert_uint_eq(conf->nblock_extensions, 1);
	config_unref(conf);

	/* Not writable. */
	ck_assert_int_eq(chmod(spool, 0500), 0);
	if (geteuid() != 0) {
		n = snprintf(msg, sizeof(msg), "spool_dir: cannot use \"%s\": "
		    "Permission denied (needed by filetypes)", spool);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 5, msg);
	} else {
		/* Root writes anywhere: root without user stays root. */
		config_unref(load_ok(text));

		/* With user, that user's permissions decide. */
		ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
		ck_assert_int_eq(chmod(tmpdir, 0700), 0);
		n = snprintf(text, sizeof(text), "user = nobody\n"
		    "spool_dir = \"%s\"\nfiletypes { enabled = true\n"
		    "block_types = { executable } }\n", spool);
		ck_assert(n > 0 && (size_t)n < sizeof(text));
		n = snprintf(msg, sizeof(msg), "spool_dir: cannot use \"%s\": "
		    "user \"nobody\" may not search \"%s\" (needed by "
		    "filetypes)", spool, tmpdir);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 2, msg);

		ck_assert_int_eq(chmod(tmpdir, 0711), 0);
		n = snprintf(msg, sizeof(msg), "spool_dir: cannot use \"%s\": "
		    "not writable by user \"nobody\" (needed by filetypes)",
		    spool);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 2, msg);
		ck_assert_int_eq(chmod(spool, 0777), 0);
		config_unref(load_ok(text));
		ck_assert_int_eq(chmod(spool, 0700), 0);
		load_fails(text, 2, msg);
		/* The owner's bits. */
		ck_assert_int_eq(chown(spool, pw->pw_uid, (gid_t)-1), 0);
		config_unref(load_ok(text));
		ck_assert_int_eq(chmod(spool, 0070), 0);
		load_fails(text, 2, msg);
		/* The group's bits. */
		ck_assert_int_eq(chown(spool, 0, pw->pw_gid), 0);
		config_unref(load_ok(text));
		ck_assert_int_eq(chmod(spool, 0707), 0);
		load_fails(text, 2, msg);
		ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	}

	/* A file, and a directory in a file. */
	ck_assert_int_eq(chmod(spool, 0700), 0);
	ck_assert_int_eq(rmdir(spool), 0);
	write_conf("");
	n = snprintf(text, sizeof(text), "spool_dir = \"%s\"\n"
	    "filetypes { enabled = true block_office_macros = true }\n",
	    confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "spool_dir: cannot use \"%s\": Not "
	    "a directory (needed by filetypes)", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 1, msg);
	n = snprintf(text, sizeof(text), "spool_dir = \"%s/x\"\n"
	    "filetypes { enabled = true block_office_macros = true }\n",
	    confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "spool_dir: cannot use \"%s/x\": Not "
	    "a directory (needed by filetypes)", confpath);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 1, msg);
}
END_TEST

/* Unset, spool_dir is reported at the line of what needs it. */
START_TEST(test_spool_dir_default)
{
	struct stat	 st;

	if (stat("/var/spool/smtpproxy", &st) == 0 || errno != ENOENT ||
	    stat("/var/spool", &st) == -1)
		return;		/* the default exists here, or cannot */
	/* Missing under /var/spool: created at start-up, so no error. */
	config_unref(load_ok("# file types\nfiletypes {\n"
	    "\tblock_types = { pdf }\n\tenabled = true\n}\n"));
}
END_TEST

START_TEST(test_spool_dir_long)
{
	char	 text[2 * CONFIG_SPOOL_DIR_MAX], msg[128];
	int	 n;

	n = snprintf(text, sizeof(text), "spool_dir = \"/%0*d\"\n",
	    CONFIG_SPOOL_DIR_MAX - 1, 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));
	n = snprintf(text, sizeof(text), "spool_dir = \"/%0*d\"\n",
	    CONFIG_SPOOL_DIR_MAX, 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "spool_dir: %d characters, more than "
	    "the %d allowed", CONFIG_SPOOL_DIR_MAX + 1, CONFIG_SPOOL_DIR_MAX);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 1, msg);
}
END_TEST

/*
 * The signature database: a directory or a file that the daemon's user
 * can read, checked only when the libclamav backend is enabled, at the
 * line of database.
 */
START_TEST(test_av_database)
{
	struct config	*conf;
	struct passwd	*pw;
	char		 db[PATH_MAX], file[PATH_MAX], sub[PATH_MAX];
	char		 text[PATH_MAX * 2], msg[PATH_MAX * 2];
	const char	*fmt;
	int		 n, fd;

	fmt = "spool_dir = \"/tmp\"\nantivirus {\n\tenabled = true\n"
	    "\tdatabase = \"%s\"\n}\n";
	n = snprintf(db, sizeof(db), "%s/clamav", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(db));
	n = snprintf(file, sizeof(file), "%s/main.cvd", db);
	ck_assert(n > 0 && (size_t)n < sizeof(file));

	/* Missing. */
	n = snprintf(text, sizeof(text), fmt, db);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "antivirus.database: cannot use "
	    "\"%s\": No such file or directory", db);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 4, msg);

	/* A directory, and a file in it. */
	ck_assert_int_eq(mkdir(db, 0700), 0);
	conf = load_ok(text);
	ck_assert_str_eq(conf->av_database, db);
	ck_assert_int_eq(conf->av_enabled, 1);
	config_unref(conf);
	ck_assert_int_ne(fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0600),
	    -1);
	ck_assert_int_eq(close(fd), 0);
	n = snprintf(text, sizeof(text), fmt, file);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));

	/* A file is no directory. */
	n = snprintf(sub, sizeof(sub), "%s/daily.cld", file);
	ck_assert(n > 0 && (size_t)n < sizeof(sub));
	n = snprintf(text, sizeof(text), fmt, sub);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "antivirus.database: cannot use "
	    "\"%s\": Not a directory", sub);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 4, msg);

	/* Unreadable. */
	ck_assert_int_eq(chmod(file, 0200), 0);
	n = snprintf(text, sizeof(text), fmt, file);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	if (geteuid() != 0) {
		n = snprintf(msg, sizeof(msg), "antivirus.database: cannot "
		    "use \"%s\": Permission denied", file);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 4, msg);
	} else {
		/* Root reads anything: root without user stays root. */
		config_unref(load_ok(text));

		/* With user, that user's permissions decide. */
		ck_assert_ptr_nonnull(pw = getpwnam("nobody"));
		fmt = "user = nobody\nspool_dir = \"/tmp\"\nantivirus {\n"
		    "\tenabled = true\n\tdatabase = \"%s\"\n}\n";
		ck_assert_int_eq(chmod(tmpdir, 0700), 0);
		n = snprintf(text, sizeof(text), fmt, db);
		ck_assert(n > 0 && (size_t)n < sizeof(text));
		n = snprintf(msg, sizeof(msg), "antivirus.database: cannot "
		    "use \"%s\": user \"nobody\" may not search \"%s\"", db,
		    tmpdir);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 5, msg);

		ck_assert_int_eq(chmod(tmpdir, 0711), 0);
		n = snprintf(msg, sizeof(msg), "antivirus.database: cannot "
		    "use \"%s\": not readable by user \"nobody\"", db);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 5, msg);
		/* A directory is read and searched. */
		ck_assert_int_eq(chmod(db, 0744), 0);
		load_fails(text, 5, msg);
		ck_assert_int_eq(chmod(db, 0711), 0);
		load_fails(text, 5, msg);
		ck_assert_int_eq(chmod(db, 0755), 0);
		config_unref(load_ok(text));

		n = snprintf(text, sizeof(text), fmt, file);
		ck_assert(n > 0 && (size_t)n < sizeof(text));
		n = snprintf(msg, sizeof(msg), "antivirus.database: cannot "
		    "use \"%s\": not readable by user \"nobody\"", file);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		load_fails(text, 5, msg);
		ck_assert_int_eq(chmod(file, 0644), 0);
		config_unref(load_ok(text));
		/* The owner's bits. */
		ck_assert_int_eq(chown(file, pw->pw_uid, (gid_t)-1), 0);
		ck_assert_int_eq(chmod(file, 0400), 0);
		config_unref(load_ok(text));
		ck_assert_int_eq(chmod(file, 0044), 0);
		load_fails(text, 5, msg);
		ck_assert_int_eq(chmod(tmpdir, 0700), 0);
	}

	/* Gone: not checked for clamd, nor when off. */
	ck_assert_int_eq(unlink(file), 0);
	ck_assert_int_eq(rmdir(db), 0);
	n = snprintf(text, sizeof(text), "spool_dir = \"/tmp\"\n"
	    "antivirus { enabled = true backend = clamd database = \"%s\" }\n",
	    file);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	conf = load_ok(text);
	ck_assert_int_eq(conf->av_backend, CONFIG_AV_CLAMD);
	config_unref(conf);
	n = snprintf(text, sizeof(text), "antivirus { enabled = false "
	    "database = \"%s\" }\n", file);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	conf = load_ok(text);
	ck_assert_int_eq(conf->av_enabled, 0);
	config_unref(conf);
}
END_TEST

/* Unset, database is reported at the line of enabled. */
START_TEST(test_av_database_default)
{
	struct stat	 st;

	if (stat("/var/lib/clamav", &st) == 0 || errno != ENOENT)
		return;		/* the default exists here */
	load_fails("spool_dir = \"/tmp\"\n# anti-virus\nantivirus {\n"
	    "\tenabled = true\n}\n", 4, "antivirus.database: cannot use "
	    "\"/var/lib/clamav\": No such file or directory");
}
END_TEST

/* A unix socket path must fit a socket address. */
START_TEST(test_av_clamd_long)
{
	struct sockaddr_un	 sun;
	char			 text[512], msg[256];
	size_t			 max = sizeof(sun.sun_path) - 1;
	int			 n;

	n = snprintf(text, sizeof(text), "antivirus {\n\tbackend = clamd\n"
	    "\tclamd = { \"/%0*d\" }\n}\n", (int)max - 1, 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	config_unref(load_ok(text));
	n = snprintf(text, sizeof(text), "antivirus {\n\tbackend = clamd\n"
	    "\tclamd = { \"/%0*d\" }\n}\n", (int)max, 0);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "antivirus.clamd: socket path of %zu "
	    "characters, more than the %zu of a unix socket address",
	    max + 1, max);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 3, msg);
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

/*
 * References are taken and dropped on the event loop and on the worker
 * threads (a scan job owns one): none may be lost.
 */
#define REF_THREADS	4
#define REF_ROUNDS	200000

static void *
ref_loop(void *arg)
{
	struct config	*conf = arg;
	int		 i;

	for (i = 0; i < REF_ROUNDS; i++) {
		config_ref(conf);
		config_unref(conf);
	}
	return NULL;
}

START_TEST(test_refcount_threads)
{
	struct config	*conf;
	pthread_t	 t[REF_THREADS];
	int		 i;

	conf = load_ok("");
	for (i = 0; i < REF_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, ref_loop, conf), 0);
	for (i = 0; i < REF_THREADS; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	ck_assert_int_eq(conf->refcnt, 1);
	config_unref(conf);
}
END_TEST

/*
 * What is not a duplicate: "+=" appends to a list (the default or the
 * file's), a list element on the next line, the default of a rule's
 * source replaced on the line that opens the rule, the same key in two
 * titled sections.
 */
START_TEST(test_not_duplicates)
{
	struct config	*conf;

	conf = load_ok("listen = { \"127.0.0.1:1\" }\n"
	    "listen += { \"127.0.0.1:2\",\n\t\"127.0.0.1:3\" }\n");
	ck_assert_int_eq(conf->nlisten, 3);
	config_unref(conf);
	conf = load_ok("extensions { allow += { \"SIZE\" } }\n");
	config_unref(conf);
	conf = load_ok("access {\n"
	    "\trule \"a\" { action = deny source = { \"10.0.0.0/8\" } }\n"
	    "\trule \"b\" { source = { \"10.1.0.0/16\" } action = deny\n"
	    "\t\tdestination = { \"192.0.2.1\" } }\n"
	    "\trule \"c\" {\n\t\taction = accept\n\t}\n}\n"
	    "alarm \"smtp:241\" { action = log }\n"
	    "alarm \"smtp:231\" { action = log }\n");
	config_unref(conf);
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
	"max_sessions", "max_sessions_per_client", "max_bad_commands",
	"workers", "shutdown_grace", "inspect", "log_level", "syslog_facility",
	"timeouts", "connect", "greeting", "command", "reply", "data_block",
	"data_end", "idle", "limits", "command_line", "reply_line",
	"header_line", "text_line", "recipients", "message_size", "address",
	"mime_depth", "mime_parts", "alarm", "action", "commands", "enabled",
	"profile", "allow", "extensions", "banner", "text", "ehlo", "access",
	"default", "object", "rule", "source", "destination", "spool_dir",
	"filetypes", "block_extensions", "block_types",
	"block_encrypted_archives", "block_office_macros",
	"block_packed_executables", "antivirus", "backend", "database",
	"clamd", "scan_local", "scan_other", "local_servers", "max_size",
	"on_error", "threads", "tls", "tproxy", "client_source",
};

/*
 * Directives that appear in several sections have one entry in the
 * manual for each; in a section, a directive's entry follows the
 * section's own.
 */
static const struct {
	const char	*section;
	const char	*key;
} man_nested[] = {
	{ "commands", "enabled" }, { "commands", "profile" },
	{ "commands", "allow" },
	{ "extensions", "enabled" }, { "extensions", "allow" },
	{ "banner", "enabled" }, { "banner", "mode" }, { "banner", "text" },
	{ "banner", "ehlo" },
	{ "access", "enabled" }, { "access", "default" },
	{ "access", "object" }, { "access", "address" },
	{ "access", "rule" }, { "access", "action" }, { "access", "source" },
	{ "access", "destination" }, { "access", "reply" },
	{ "filetypes", "enabled" }, { "filetypes", "block_extensions" },
	{ "filetypes", "block_types" },
	{ "filetypes", "block_encrypted_archives" },
	{ "filetypes", "block_office_macros" },
	{ "filetypes", "block_packed_executables" },
	{ "filetypes", "reply" },
	{ "antivirus", "enabled" }, { "antivirus", "backend" },
	{ "antivirus", "database" }, { "antivirus", "clamd" },
	{ "antivirus", "scan_local" }, { "antivirus", "scan_other" },
	{ "antivirus", "local_servers" }, { "antivirus", "max_size" },
	{ "antivirus", "on_error" }, { "antivirus", "threads" },
	{ "antivirus", "reply" },
	{ "tls", "mode" }, { "tls", "certificate" }, { "tls", "key" },
	{ "tls", "upstream" }, { "tls", "upstream_verify" }, { "tls", "ca" },
	{ "tls", "ciphers" }, { "tls", "ciphersuites" },
	{ "tls", "min_protocol" }, { "tls", "listen" },
	{ "tproxy", "listen" }, { "tproxy", "client_source" },
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
	ck_assert_str_eq(conf->spool_dir, "/var/spool/smtpproxy");
	/* Left to the descriptor limit: not written as a value. */
	ck_assert_int_eq(conf->max_sessions, 10000);
	ck_assert_int_eq(conf->max_sessions_set, 0);
	ck_assert_int_eq(conf->filetypes_enabled, 0);
	ck_assert_str_eq(conf->filetypes_reply, "");
	/* The anti-virus at its defaults, written out. */
	ck_assert_int_eq(conf->av_enabled, 0);
	ck_assert_int_eq(conf->av_backend, CONFIG_AV_LIBCLAMAV);
	ck_assert_str_eq(conf->av_database, "/var/lib/clamav");
	ck_assert_uint_eq(conf->nav_clamd, 1);
	ck_assert_str_eq(conf->av_clamd[0], "/run/clamav/clamd.ctl");
	ck_assert_int_eq(conf->av_scan_local, 1);
	ck_assert_int_eq(conf->av_scan_other, 1);
	ck_assert_uint_eq(conf->nav_local_servers, 0);
	ck_assert_uint_eq(conf->av_max_size, 25 * 1024 * 1024);
	ck_assert_int_eq(conf->av_on_error, CONFIG_AV_TEMPFAIL);
	ck_assert_int_eq(conf->av_threads, 2);
	ck_assert_str_eq(conf->av_reply, "");
	config_unref(conf);
	free(text);
}
END_TEST

/*
 * The Cisco MailGuard preset: the seven commands, a masked banner, no
 * STARTTLS.
 */
START_TEST(test_mailguard_conf)
{
	struct config	*conf;
	char		*text;

	text = slurp("conf/mailguard.conf");
	conf = load_ok(text);
	ck_assert_int_eq(conf->mode, CONFIG_MODE_TRANSPARENT);
	ck_assert_int_eq(conf->commands_enabled, 1);
	ck_assert_int_eq(conf->commands_profile, POLICY_PROFILE_MAILGUARD);
	ck_assert_uint_eq(allowed_verbs(conf->commands_mask), MAILGUARD);
	ck_assert(policy_command_allowed(conf->commands_mask, SMTP_CMD_HELO));
	ck_assert(policy_command_allowed(conf->commands_mask, SMTP_CMD_QUIT));
	ck_assert(!policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_EHLO));
	ck_assert(!policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_VRFY));
	ck_assert_int_eq(conf->tls_mode, POLICY_TLS_OFF);
	ck_assert(!policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_STARTTLS));
	ck_assert_int_eq(conf->extensions_enabled, 1);
	ck_assert_uint_eq(conf->extensions_mask, POLICY_EXT_SIZE |
	    POLICY_EXT_8BITMIME | POLICY_EXT_PIPELINING |
	    POLICY_EXT_ENHANCEDSTATUSCODES | POLICY_EXT_DSN |
	    POLICY_EXT_SMTPUTF8);
	ck_assert_int_eq(conf->banner_enabled, 1);
	ck_assert_int_eq(conf->banner_mode, POLICY_BANNER_MASK);
	ck_assert_int_eq(conf->banner_ehlo, 0);
	ck_assert_int_eq(conf->max_bad_commands, 20);
	ck_assert_int_eq(conf->inspect, 1);
	config_unref(conf);
	free(text);
}
END_TEST

/*
 * The internal mail server preset: the mail server sends anywhere, the
 * LAN reaches the gateway only, the rest of the LAN is refused with a
 * reply, the Internet reaches the mail server, nothing else passes.
 */
START_TEST(test_internal_mailserver_conf)
{
	static const struct access_case	 c[] = {
		{ "192.168.10.25", "203.0.113.5", ACCESS_ACCEPT,
		    "mailserver-out", NULL },
		{ "192.168.10.25", "192.168.10.1", ACCESS_ACCEPT,
		    "mailserver-out", NULL },
		{ "192.168.10.50", "192.168.10.1", ACCESS_ACCEPT,
		    "lan-to-gateway", NULL },
		{ "::ffff:192.168.10.50", "::ffff:192.168.10.1",
		    ACCESS_ACCEPT, "lan-to-gateway", NULL },
		{ "192.168.10.50", "203.0.113.5", ACCESS_DENY,
		    "lan-direct-smtp", "Direct SMTP from the LAN is not "
		    "allowed; send mail through 192.168.10.1" },
		{ "192.168.10.50", "192.168.10.25", ACCESS_DENY,
		    "lan-direct-smtp", NULL },
		{ "::ffff:192.168.10.99", "2001:db8::25", ACCESS_DENY,
		    "lan-direct-smtp", NULL },
		{ "198.51.100.7", "192.168.10.25", ACCESS_ACCEPT, "inbound",
		    NULL },
		{ "2001:db8::7", "192.168.10.25", ACCESS_ACCEPT, "inbound",
		    NULL },
		{ "198.51.100.7", "192.168.10.50", ACCESS_DENY, NULL,
		    "Access denied" },
		{ "198.51.100.7", "203.0.113.5", ACCESS_DENY, NULL, NULL },
	};
	struct config	*conf;
	char		*text;

	text = slurp("conf/internal-mailserver.conf");
	conf = load_ok(text);
	ck_assert_int_eq(conf->mode, CONFIG_MODE_TRANSPARENT);
	ck_assert_int_eq(conf->access_enabled, 1);
	check_access(conf, c, NITEMS(c));
	/* The rest is at its defaults. */
	ck_assert_int_eq(conf->commands_profile, POLICY_PROFILE_ESMTP);
	ck_assert_int_eq(conf->banner_mode, POLICY_BANNER_PASS);
	config_unref(conf);
	free(text);
}
END_TEST

/*
 * tls { }: the contexts are built at load, and every file, protocol and
 * cipher string is checked there, at the line of its key. The
 * certificates are made with openssl(1) in the test's directory.
 */
static void
tls_make_cert(const char *name, const char *cn)
{
	char	 cmd[PATH_MAX * 3];
	int	 n;

	n = snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 "
	    "-nodes -days 1 -subj /CN=%s -keyout %s/%s.key -out %s/%s.crt "
	    ">/dev/null 2>&1", cn, tmpdir, name, tmpdir, name);
	ck_assert(n > 0 && (size_t)n < sizeof(cmd));
	ck_assert_msg(system(cmd) == 0, "%s", cmd);
}

static void
tls_unlink(const char *name)
{
	char	 path[PATH_MAX];
	int	 n;

	n = snprintf(path, sizeof(path), "%s/%s.key", tmpdir, name);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	(void)unlink(path);
	n = snprintf(path, sizeof(path), "%s/%s.crt", tmpdir, name);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	(void)unlink(path);
}

START_TEST(test_tls)
{
	struct config	*conf;
	char		 text[PATH_MAX * 4], msg[PATH_MAX * 2];
	char		 crt[PATH_MAX], key[PATH_MAX], key2[PATH_MAX];
	int		 n;

	tls_make_cert("a", "a.test");
	tls_make_cert("b", "b.test");
	n = snprintf(crt, sizeof(crt), "%s/a.crt", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(crt));
	n = snprintf(key, sizeof(key), "%s/a.key", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(key));
	n = snprintf(key2, sizeof(key2), "%s/b.key", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(key2));

	/* The default: passthrough, no context, STARTTLS offered. */
	conf = load_ok("");
	ck_assert_int_eq(conf->tls_mode, POLICY_TLS_PASSTHROUGH);
	ck_assert_ptr_null(conf->tls_server);
	ck_assert_ptr_null(conf->tls_client);
	ck_assert(policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_STARTTLS));
	ck_assert(conf->extensions_mask & POLICY_EXT_STARTTLS);
	config_unref(conf);

	/* off: neither the command nor the extension. */
	conf = load_ok("tls { mode = off }\n");
	ck_assert_int_eq(conf->tls_mode, POLICY_TLS_OFF);
	ck_assert(!policy_command_allowed(conf->commands_mask,
	    SMTP_CMD_STARTTLS));
	ck_assert(!(conf->extensions_mask & POLICY_EXT_STARTTLS));
	config_unref(conf);
	/* Also with the command policy off. */
	conf = load_ok("commands { enabled = false }\ntls { mode = off }\n");
	ck_assert(!(conf->extensions_mask & POLICY_EXT_STARTTLS));
	config_unref(conf);

	/* inspect: both contexts. */
	n = snprintf(text, sizeof(text), "tls {\n\tmode = inspect\n"
	    "\tcertificate = \"%s\"\n\tkey = \"%s\"\n"
	    "\tmin_protocol = TLSv1.3\n\tciphers = \"HIGH:!aNULL\"\n"
	    "\tciphersuites = \"TLS_AES_128_GCM_SHA256\"\n"
	    "\tlisten = { \"127.0.0.1:10465\" }\n}\n", crt, key);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	conf = load_ok(text);
	ck_assert_int_eq(conf->tls_mode, POLICY_TLS_INSPECT);
	ck_assert_int_eq(conf->tls_upstream, POLICY_TLS_UP_OPPORTUNISTIC);
	ck_assert_ptr_nonnull(conf->tls_server);
	ck_assert_ptr_nonnull(conf->tls_client);
	ck_assert_int_eq(conf->ntls_listen, 1);
	ck_assert_int_eq(addr_port(&conf->tls_listen[0]), 10465);
	config_unref(conf);
	/* upstream = none: no client context. */
	n = snprintf(text, sizeof(text), "tls {\n\tmode = inspect\n"
	    "\tcertificate = \"%s\"\n\tkey = \"%s\"\n\tupstream = none\n}\n",
	    crt, key);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	conf = load_ok(text);
	ck_assert_int_eq(conf->tls_upstream, POLICY_TLS_UP_NONE);
	ck_assert_ptr_null(conf->tls_client);
	config_unref(conf);

	/* Without a certificate. */
	load_fails("\ntls {\n\tmode = inspect\n}\n", 3, "tls.certificate: "
	    "required with tls.mode = inspect or tls.listen");
	load_fails("tls {\n\tlisten = { \"127.0.0.1:10465\" }\n}\n", 2,
	    "tls.certificate: required with tls.mode = inspect or "
	    "tls.listen");
	/* Missing. */
	n = snprintf(text, sizeof(text), "tls {\n\tmode = inspect\n"
	    "\tcertificate = \"%s/none.crt\"\n\tkey = \"%s\"\n}\n", tmpdir,
	    key);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "tls.certificate: cannot use "
	    "\"%s/none.crt\": No such file or directory", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 3, msg);
	/* A key that is not the certificate's. */
	n = snprintf(text, sizeof(text), "tls {\n\tmode = inspect\n"
	    "\tcertificate = \"%s\"\n\n\tkey = \"%s\"\n}\n", crt, key2);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	conf = load(text);
	ck_assert_ptr_null(conf);
	ck_assert_int_eq(nerrs, 1);
	n = snprintf(msg, sizeof(msg), "%s:5: tls: \"%s\": key: ", confpath,
	    key2);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	ck_assert_msg(strncmp(errs[0], msg, strlen(msg)) == 0, "%s", errs[0]);
	ck_assert_ptr_nonnull(strstr(errs[0], "does not match"));
	/* A certificate file that holds no certificate. */
	n = snprintf(text, sizeof(text), "tls {\n\tmode = inspect\n"
	    "\tcertificate = \"%s\"\n\tkey = \"%s\"\n}\n", key, key);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_ptr_null(load(text));
	ck_assert_int_eq(nerrs, 1);
	ck_assert_ptr_nonnull(strstr(errs[0], ":3: tls: "));
	ck_assert_ptr_nonnull(strstr(errs[0], "certificate: "));
	/* Unreadable by the user the daemon runs as. */
	if (geteuid() == 0 && getpwnam("nobody") != NULL) {
		ck_assert_int_eq(chmod(tmpdir, 0711), 0);
		ck_assert_int_eq(chmod(crt, 0644), 0);
		ck_assert_int_eq(chmod(key, 0600), 0);
		n = snprintf(text, sizeof(text), "user = nobody\ntls {\n"
		    "\tmode = inspect\n\tcertificate = \"%s\"\n"
		    "\tkey = \"%s\"\n}\n", crt, key);
		ck_assert(n > 0 && (size_t)n < sizeof(text));
		n = snprintf(msg, sizeof(msg), "tls.key: cannot use \"%s\": ",
		    key);
		ck_assert(n > 0 && (size_t)n < sizeof(msg));
		ck_assert_ptr_null(load(text));
		ck_assert_int_eq(nerrs, 1);
		ck_assert_msg(strstr(errs[0], ":5: ") != NULL, "%s", errs[0]);
		ck_assert_ptr_nonnull(strstr(errs[0], msg));
	}
	/* A CA that is not there. */
	n = snprintf(text, sizeof(text), "tls {\n\tmode = inspect\n"
	    "\tcertificate = \"%s\"\n\tkey = \"%s\"\n\tupstream_verify = true\n"
	    "\tca = \"%s/ca.pem\"\n}\n", crt, key, tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	n = snprintf(msg, sizeof(msg), "tls.ca: cannot use \"%s/ca.pem\": No "
	    "such file or directory", tmpdir);
	ck_assert(n > 0 && (size_t)n < sizeof(msg));
	load_fails(text, 6, msg);

	/* Values. */
	load_fails("tls {\n\tmode = decrypt\n}\n", 2, "tls.mode: invalid "
	    "value \"decrypt\" (off, passthrough or inspect)");
	load_fails("tls {\n\tupstream = always\n}\n", 2, "tls.upstream: "
	    "invalid value \"always\" (opportunistic, required or none)");
	load_fails("tls {\n\tmin_protocol = \"TLSv1.4\"\n}\n", 2,
	    "tls.min_protocol: invalid value \"TLSv1.4\" (TLSv1, TLSv1.1, "
	    "TLSv1.2 or TLSv1.3)");
	load_fails("tls {\n\tmin_protocol = \"SSLv3\"\n}\n", 2,
	    "tls.min_protocol: invalid value \"SSLv3\" (TLSv1, TLSv1.1, "
	    "TLSv1.2 or TLSv1.3)");
	load_fails("tls {\n\n\tciphers = \"NOPE-NOTHING\"\n}\n", 3,
	    "tls.ciphers: \"NOPE-NOTHING\": no cipher that OpenSSL knows");
	load_fails("tls {\n\tciphersuites = \"TLS_FOO_BAR\"\n}\n", 2,
	    "tls.ciphersuites: \"TLS_FOO_BAR\": no TLS 1.3 cipher suite that "
	    "OpenSSL knows");
	load_fails("tls {\n\tupstream_verify = maybe\n}\n", 2,
	    "tls.upstream_verify: invalid boolean \"maybe\" (true or false)");
	load_fails("tls {\n\tlisten = { \"127.0.0.1:0\" }\n}\n", 2,
	    "tls.listen: invalid address \"127.0.0.1:0\": invalid port "
	    "(1 to 65535)");
	tls_unlink("a");
	tls_unlink("b");
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
	for (i = 0; i < NITEMS(man_nested); i++) {
		const char	*sec;

		n = snprintf(want, sizeof(want), "\n.It Ic %s",
		    man_nested[i].section);
		ck_assert(n > 0 && (size_t)n < sizeof(want));
		ck_assert_msg((sec = strstr(man, want)) != NULL,
		    "smtpproxy.conf.5 lacks %s", man_nested[i].section);
		n = snprintf(want, sizeof(want), "\n.It Ic %s",
		    man_nested[i].key);
		ck_assert(n > 0 && (size_t)n < sizeof(want));
		ck_assert_msg(strstr(sec, want) != NULL,
		    "smtpproxy.conf.5 lacks %s in %s", man_nested[i].key,
		    man_nested[i].section);
	}
	/* Every file type, with what it matches. */
	for (i = 0; i < filetype_count(); i++) {
		const char	*name = filetype_row(i, NULL, NULL);

		n = snprintf(want, sizeof(want), "\n.It Cm %s\n", name);
		ck_assert(n > 0 && (size_t)n < sizeof(want));
		ck_assert_msg(strstr(man, want) != NULL,
		    "smtpproxy.conf.5 lacks file type %s", name);
		n = snprintf(want, sizeof(want), "#   %s ", name);
		ck_assert(n > 0 && (size_t)n < sizeof(want));
		ck_assert_msg(strstr(conf, want) != NULL,
		    "smtpproxy.conf lacks file type %s", name);
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
	tcase_add_loop_test(tc, test_commands, 0, NITEMS(commands_tests));
	tcase_add_loop_test(tc, test_extensions, 0,
	    NITEMS(extensions_tests));
	tcase_add_test(tc, test_banner);
	tcase_add_test(tc, test_access);
	tcase_add_test(tc, test_antivirus);
	tcase_add_test(tc, test_refcount);
	tcase_add_test(tc, test_refcount_threads);
	tcase_add_test(tc, test_not_duplicates);
	tcase_add_test(tc, test_reload);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_errors, 0, NITEMS(err_tests));
	tcase_add_test(tc, test_all_errors_reported);
	tcase_add_test(tc, test_text_too_long);
	tcase_add_test(tc, test_block_types);
	tcase_add_test(tc, test_spool_dir);
	tcase_add_test(tc, test_spool_dir_default);
	tcase_add_test(tc, test_spool_dir_long);
	tcase_add_test(tc, test_av_database);
	tcase_add_test(tc, test_tls);
	tcase_add_test(tc, test_av_database_default);
	tcase_add_test(tc, test_av_clamd_long);
	tcase_add_test(tc, test_missing_file);
	suite_add_tcase(s, tc);

	tc = tcase_create("shipped");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_shipped_conf);
	tcase_add_test(tc, test_mailguard_conf);
	tcase_add_test(tc, test_internal_mailserver_conf);
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
