/*
 * Compilation of the parsed configuration into the immutable struct
 * config of config.h: the steps config_load() calls once the file is
 * parsed, and the freeing of what they build. The tree comes from
 * config.c through config_priv.h; values were checked by the value
 * callbacks there, and a value reported bad is skipped here and never
 * reported twice. What involves several keys is checked here, and
 * reported at the lines the callbacks recorded.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "config_parse.h"
#include "config_priv.h"
#include "filetype.h"
#include "log.h"
#include "policy.h"
#include "smtp_cmd.h"
#include "spool.h"

/*
 * The addresses to listen on, plain and TPROXY; a bad one was reported
 * by its callback. One address cannot be both.
 */
void
config_build_listen(struct config_sec *root, struct config *conf)
{
	struct config_sec	*tp;
	struct config_addr	*a;
	unsigned int		 i, n, ntp;
	int			 j;

	tp = config_getsec(root, "tproxy");
	n = config_size(root, "listen");
	ntp = config_size(tp, "listen");
	if (n == 0 && ntp == 0) {
		config_error(0, "listen: at least one address is required");
		return;
	}
	for (i = 0; i < n && conf->nlisten < CONFIG_MAX_LISTEN; i++)
		if (config_parse_addr(config_getnstr(root, "listen", i),
		    &conf->listen[conf->nlisten]) == 0)
			conf->nlisten++;
	for (i = 0; i < ntp && conf->ntproxy_listen < CONFIG_MAX_LISTEN; i++) {
		a = &conf->tproxy_listen[conf->ntproxy_listen];
		if (config_parse_addr(config_getnstr(tp, "listen", i), a) == -1)
			continue;
		for (j = 0; j < conf->nlisten; j++)
			if (conf->listen[j].sslen == a->sslen &&
			    memcmp(&conf->listen[j].ss, &a->ss,
			    a->sslen) == 0)
				break;
		if (j < conf->nlisten) {
			config_error(config_line(tp, "listen", NULL),
			    "tproxy.listen: \"%s\" is in listen too",
			    a->text);
			continue;
		}
		conf->ntproxy_listen++;
	}
	conf->tproxy_client_source = config_getbool(tp, "client_source");
	if (conf->tproxy_client_source && ntp == 0)
		config_error(config_line(tp, "client_source", NULL),
		    "tproxy.client_source: only used for the sessions of "
		    "tproxy.listen, which has no address");
}

/* Transparent, or relay to upstream, which then must be set. */
void
config_build_mode(struct config_sec *root, struct config *conf)
{
	const char	*upstream;
	int		 mode, mode_line, mode_bad, up_line, up_bad;

	mode_line = config_line(root, "mode", &mode_bad);
	up_line = config_line(root, "upstream", &up_bad);
	if ((mode = config_mode_parse(config_getstr(root, "mode"))) == -1)
		mode = CONFIG_MODE_TRANSPARENT;
	conf->mode = (enum config_mode)mode;
	upstream = config_getstr(root, "upstream");
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

/* Host name (this host's by default), user, pidfile, logging, inspect. */
void
config_build_strings(struct config_sec *root, struct config *conf)
{
	char		 name[256];
	const char	*s;
	int		 v;

	s = config_getstr(root, "hostname");
	if (*s == '\0') {
		if (gethostname(name, sizeof(name)) == -1)
			name[0] = '\0';
		name[sizeof(name) - 1] = '\0';
		s = config_parse_hostname(name) == 0 ? name : "localhost";
	}
	conf->hostname = config_strdup(s);
	if (*(s = config_getstr(root, "user")) != '\0')
		conf->user = config_strdup(s);
	if (*(s = config_getstr(root, "pidfile")) != '\0')
		conf->pidfile = config_strdup(s);

	v = log_level_parse(config_getstr(root, "log_level"));
	conf->log_level = v == -1 ? LOG_LEVEL_INFO : v;
	v = log_facility_parse(config_getstr(root, "syslog_facility"));
	conf->syslog_facility = v == -1 ? log_facility_parse("mail") : v;
	conf->inspect = config_getbool(root, "inspect");
}

/* The values of list key in sec, as an array to free; *n_r its size. */
static const char **
config_build_strlist(struct config_sec *sec, const char *key, size_t *n_r)
{
	const char	**v;
	unsigned int	  i, n;

	n = config_size(sec, key);
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		fatal("config");
	for (i = 0; i < n; i++)
		v[i] = config_getnstr(sec, key, i);
	*n_r = n;
	return v;
}

/*
 * The command mask of the profile and allow. A custom profile must keep
 * the commands of a mail transaction, or no mail could pass at all.
 */
void
config_build_commands(struct config_sec *root, struct config *conf)
{
	static const enum smtp_verb	 needed[] = {
		SMTP_CMD_MAIL, SMTP_CMD_RCPT, SMTP_CMD_DATA, SMTP_CMD_QUIT
	};
	struct config_sec	 *sec;
	const char		**allow, *errstr;
	char			  missing[128];
	size_t			  nallow, i, len = 0;
	int			  profile, profile_line, profile_bad;
	int			  allow_line, allow_bad, n;

	sec = config_getsec(root, "commands");
	conf->commands_enabled = config_getbool(sec, "enabled");
	profile_line = config_line(sec, "profile", &profile_bad);
	allow_line = config_line(sec, "allow", &allow_bad);
	profile = policy_profile_parse(config_getstr(sec, "profile"));
	if (profile == -1)
		profile = POLICY_PROFILE_ESMTP;
	conf->commands_profile = (enum policy_profile)profile;
	if (profile_bad || allow_bad)
		return;

	allow = config_build_strlist(sec, "allow", &nallow);
	if (policy_commands(conf->commands_profile, allow, nallow,
	    conf->tls_mode != POLICY_TLS_OFF, &conf->commands_mask,
	    &errstr) == -1)
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
void
config_build_extensions(struct config_sec *root, struct config *conf)
{
	struct config_sec	*sec;
	uint32_t		 mask = 0;
	unsigned int		 i, n;

	sec = config_getsec(root, "extensions");
	conf->extensions_enabled = config_getbool(sec, "enabled");
	n = config_size(sec, "allow");
	for (i = 0; i < n; i++)
		mask |= policy_ext_parse(config_getnstr(sec, "allow", i));
	mask &= ~(uint32_t)(POLICY_EXT_CHUNKING | POLICY_EXT_BINARYMIME);
	if (conf->tls_mode == POLICY_TLS_OFF)
		mask &= ~(uint32_t)POLICY_EXT_STARTTLS;
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
void
config_build_banner(struct config_sec *root, struct config *conf)
{
	static const char *const	 modes[] = {
		[POLICY_BANNER_PASS] = "pass",
		[POLICY_BANNER_MASK] = "mask",
		[POLICY_BANNER_REPLACE] = "replace"
	};
	struct config_sec	*sec;
	const char		*text;
	char			*buf;
	size_t			 len;
	int			 mode, mode_bad, text_line, text_bad;

	sec = config_getsec(root, "banner");
	conf->banner_enabled = config_getbool(sec, "enabled");
	conf->banner_ehlo = config_getbool(sec, "ehlo");
	(void)config_line(sec, "mode", &mode_bad);
	text_line = config_line(sec, "text", &text_bad);
	if ((mode = config_banner_parse(config_getstr(sec, "mode"))) == -1)
		mode = POLICY_BANNER_PASS;
	conf->banner_mode = (enum policy_banner)mode;
	text = config_getstr(sec, "text");

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
config_build_objects(struct config_sec *sec, struct access *a, int report)
{
	struct config_sec	 *s;
	const char		**addrs, *errstr;
	size_t			  naddrs;
	unsigned int		  i, n;

	n = config_size(sec, "object");
	for (i = 0; i < n; i++) {
		s = config_getnsec(sec, "object", i);
		addrs = config_build_strlist(s, "address", &naddrs);
		if (access_object(a, config_title(s), addrs, naddrs,
		    &errstr) == -1) {
			if (report)
				config_error(config_secline(s), "access: %s",
				    errstr);
			(void)access_object(a, config_title(s), NULL, 0,
			    &errstr);
		}
		free(addrs);
	}
}

/*
 * The access rule set: every object, then the rules in file order.
 * access.c checks the entries; its errors name the object or rule and
 * are reported at the line where that section starts.
 */
void
config_build_access(struct config_sec *root, struct config *conf)
{
	struct config_sec	 *sec, *s;
	const char		**src, **dst, *errstr;
	char			  name[256];
	size_t			  nsrc, ndst;
	unsigned int		  i, n;
	int			  def, action, bad;

	sec = config_getsec(root, "access");
	conf->access_enabled = config_getbool(sec, "enabled");
	if ((def = config_access_parse(config_getstr(sec, "default"))) == -1)
		def = ACCESS_ACCEPT;
	if ((conf->access = access_new((enum access_action)def)) == NULL)
		fatal("config");
	config_build_objects(sec, conf->access, 1);

	n = config_size(sec, "rule");
	for (i = 0; i < n; i++) {
		s = config_getnsec(sec, "rule", i);
		(void)config_secname(s, name, sizeof(name));
		if (config_size(s, "action") == 0) {
			config_error(config_secline(s), "%s: missing action",
			    name);
			continue;
		}
		/*
		 * An empty list would match every address (access.h): say
		 * so rather than guess what was meant.
		 */
		if (config_size(s, "source") == 0 ||
		    config_size(s, "destination") == 0) {
			config_error(config_secline(s), "%s %s: empty list "
			    "(write { \"any\" } for every address)", name,
			    config_size(s, "source") == 0 ? "source" :
			    "destination");
			continue;
		}
		(void)config_line(s, "action", &bad);
		if (bad)
			continue;
		(void)config_line(s, "reply", &bad);
		if (bad)
			continue;
		action = config_access_parse(config_getstr(s, "action"));
		src = config_build_strlist(s, "source", &nsrc);
		dst = config_build_strlist(s, "destination", &ndst);
		if (access_rule(conf->access, config_title(s),
		    (enum access_action)action, src, nsrc, dst, ndst,
		    config_getstr(s, "reply"), &errstr) == -1)
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
void
config_build_filetypes(struct config_sec *root, struct config *conf)
{
	struct config_sec	*sec;
	const char		*ext;
	char			*e, **v;
	size_t			 j;
	unsigned int		 i, n;
	int			 enabled_line;

	sec = config_getsec(root, "filetypes");
	conf->filetypes_enabled = config_getbool(sec, "enabled");
	conf->block_encrypted_archives =
	    config_getbool(sec, "block_encrypted_archives");
	conf->block_office_macros = config_getbool(sec, "block_office_macros");
	conf->block_packed_executables =
	    config_getbool(sec, "block_packed_executables");
	conf->filetypes_reply = config_strdup(config_getstr(sec, "reply"));

	n = config_size(sec, "block_types");
	for (i = 0; i < n; i++)
		conf->block_types |= filetype_parse(config_getnstr(sec,
		    "block_types", i));

	n = config_size(sec, "block_extensions");
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		fatal("config");
	conf->block_extensions = v;
	for (i = 0; i < n; i++) {
		ext = config_getnstr(sec, "block_extensions", i);
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
	if (conf->filetypes_enabled &&
	    config_size(sec, "block_extensions") == 0 &&
	    config_size(sec, "block_types") == 0 &&
	    !conf->block_encrypted_archives && !conf->block_office_macros &&
	    !conf->block_packed_executables)
		config_error(enabled_line, "filetypes: enabled, but blocks "
		    "nothing (set block_extensions, block_types or a "
		    "block_* switch)");
}

/* The values of list key in sec, as NULL-terminated copies. */
static char **
config_build_strcopies(struct config_sec *sec, const char *key, size_t *n_r)
{
	char		**v;
	unsigned int	  i, n;

	n = config_size(sec, key);
	if ((v = calloc((size_t)n + 1, sizeof(*v))) == NULL)
		fatal("config");
	for (i = 0; i < n; i++)
		v[i] = config_strdup(config_getnstr(sec, key, i));
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
config_build_local_servers(struct config_sec *root, struct config_sec *sec)
{
	struct access		*scratch;
	const char		*entry, *errstr, *why;
	char			 name[64], prefix[128];
	unsigned int		 i, n;
	int			 w;

	if ((n = config_size(sec, "local_servers")) == 0)
		return;
	if ((scratch = access_new(ACCESS_ACCEPT)) == NULL)
		fatal("config");
	/* Bad objects are reported by config_build_access(). */
	config_build_objects(config_getsec(root, "access"), scratch, 0);
	for (i = 0; i < n; i++) {
		entry = config_getnstr(sec, "local_servers", i);
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
		config_error(config_local_server_line(sec, i),
		    "antivirus.local_servers: %s", why);
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
void
config_build_antivirus(struct config_sec *root, struct config *conf)
{
	struct config_sec	*sec;
	const char		*db;
	char			 why[PATH_MAX + 64];
	int			 v, enabled_line, backend_line, backend_bad;
	int			 db_line, db_bad, local_bad, other_bad;

	sec = config_getsec(root, "antivirus");
	conf->av_enabled = config_getbool(sec, "enabled");
	if ((v = config_av_backend_parse(config_getstr(sec, "backend"))) == -1)
		v = CONFIG_AV_LIBCLAMAV;
	conf->av_backend = (enum config_av_backend)v;
	v = config_av_on_error_parse(config_getstr(sec, "on_error"));
	if (v == -1)
		v = CONFIG_AV_TEMPFAIL;
	conf->av_on_error = (enum config_av_on_error)v;
	conf->av_scan_local = config_getbool(sec, "scan_local");
	conf->av_scan_other = config_getbool(sec, "scan_other");
	conf->av_database = config_strdup(config_getstr(sec, "database"));
	conf->av_reply = config_strdup(config_getstr(sec, "reply"));
	conf->av_clamd = config_build_strcopies(sec, "clamd",
	    &conf->nav_clamd);
	conf->av_local_servers = config_build_strcopies(sec, "local_servers",
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
	config_build_local_servers(root, sec);
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
	    config_check_path(db, conf->user, S_IROTH | S_IXOTH, S_IROTH,
	    why, sizeof(why)) == -1)
		config_error(db_line > 0 ? db_line : enabled_line,
		    "antivirus.database: cannot use \"%s\": %s", db, why);
}

/*
 * The spool directory, without trailing slashes. It must be usable
 * when an enabled inspection spools there: an error now, from -n or a
 * reload, rather than a temporary failure for every message later. The
 * error is at the line of spool_dir, or of the first "enabled" that
 * needs it. A missing one whose parent exists is no error: it is
 * created at start-up (spool.c), where its mode is checked too.
 */
void
config_build_spool(struct config_sec *root, struct config *conf)
{
	const struct {
		const char	*section;
		int		 enabled;
	} spoolers[] = {
		{ "filetypes", conf->filetypes_enabled },
		{ "antivirus", conf->av_enabled },
	};
	const char	*needed[2];
	struct stat	 st;
	char		*dir, why[PATH_MAX + 64], parent[PATH_MAX];
	size_t		 len, i, nneeded = 0;
	int		 line, bad;

	line = config_line(root, "spool_dir", &bad);
	dir = config_strdup(config_getstr(root, "spool_dir"));
	for (len = strlen(dir); len > 1 && dir[len - 1] == '/'; len--)
		dir[len - 1] = '\0';
	conf->spool_dir = dir;

	/* Every inspection that spools is here. */
	for (i = 0; i < sizeof(spoolers) / sizeof(spoolers[0]); i++) {
		if (!spoolers[i].enabled)
			continue;
		needed[nneeded++] = spoolers[i].section;
		if (line == 0)
			line = config_line(config_getsec(root,
			    spoolers[i].section), "enabled", NULL);
	}
	if (bad || nneeded == 0)
		return;
	/* Missing: created at start-up (spool.c) if its parent exists. */
	if (stat(dir, &st) == -1 && errno == ENOENT &&
	    spool_parent(dir, parent, sizeof(parent)) == 0)
		return;
	if (config_check_path(dir, conf->user, S_IWOTH | S_IXOTH, 0, why,
	    sizeof(why)) == -1)
		config_error(line, "spool_dir: cannot use \"%s\": %s "
		    "(needed by %s%s%s)", dir, why, needed[0],
		    nneeded > 1 ? " and " : "", nneeded > 1 ? needed[1] : "");
}

/*
 * PROXY protocol (SPEC §5): with proxy_protocol on, only trusted_proxies
 * may connect, so an empty list would refuse everyone.
 */
void
config_build_proxy(struct config_sec *root, struct config *conf)
{
	const char	**v;
	size_t		  i, n;
	int		  line;

	conf->proxy_protocol = config_getbool(root, "proxy_protocol");
	v = config_build_strlist(root, "trusted_proxies", &n);
	if ((conf->trusted_proxies = calloc(n + 1, sizeof(char *))) == NULL)
		fatal("config");
	for (i = 0; i < n; i++)
		conf->trusted_proxies[i] = config_strdup(v[i]);
	conf->ntrusted_proxies = n;
	free(v);
	if (conf->proxy_protocol && n == 0) {
		line = config_line(root, "proxy_protocol", NULL);
		config_error(line, "proxy_protocol: trusted_proxies is empty, "
		    "so every connection would be refused");
	}
}

/* metrics.listen: "" leaves the endpoint off. */
void
config_build_metrics(struct config_sec *root, struct config *conf)
{
	const char	*s;

	s = config_getstr(config_getsec(root, "metrics"), "listen");
	if (*s != '\0' && config_parse_addr(s, &conf->metrics_listen) == 0)
		conf->metrics_enabled = 1;
}

void
config_build_free(struct config *conf)
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
	if (conf->trusted_proxies != NULL)
		for (i = 0; i < conf->ntrusted_proxies; i++)
			free(conf->trusted_proxies[i]);
	free(conf->trusted_proxies);
	config_free_tls(conf);
	free(conf);
}
