/*
 * Checks of configuration values that need neither libconfuse nor the
 * parsed tree: one value as written, for the value callbacks of
 * config.c, which report the reason at the value's line; and whether
 * the daemon's user may use a path, for the compilation of spool_dir
 * and antivirus.database in config_build.c.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/un.h>

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
#include <unistd.h>

#include "access.h"
#include "config.h"
#include "config_parse.h"
#include "config_priv.h"
#include "filetype.h"
#include "log.h"
#include "policy.h"
#include "smtp_cmd.h"

/*
 * The longest texts the proxy writes after a reply code: a reply line
 * is at most 512 octets with its CRLF (RFC 5321 §4.5.3.1.5), and these
 * follow "220 " and "554 5.7.1 ".
 */
#define CONFIG_BANNER_MAX	(512 - 4 - 2)
#define CONFIG_REPLY_MAX	(512 - 10 - 2)

/*
 * The reason into why; returns -1. A reason too long for why is cut
 * and ends in "...", as config.c cuts the message of a bad value.
 */
static int __attribute__((format(printf, 3, 4)))
config_check_fail(char *why, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(why, len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= len)
		memcpy(why + len - 4, "...", 4);
	return -1;
}

int
config_check_number(const char *value, enum config_parse_kind kind,
    long min, long max, const char *min_why, uint64_t *v_r, char *why,
    size_t len)
{
	const char	*unit;
	uint64_t	 v = 0;
	int		 rv;

	switch (kind) {
	case CONFIG_PARSE_COUNT:
		rv = config_parse_number(value, CONFIG_PARSE_COUNT, &v);
		if (rv == -1)
			return config_check_fail(why, len,
			    "invalid number \"%s\"", value);
		break;
	case CONFIG_PARSE_SIZE:
		rv = config_parse_number(value, CONFIG_PARSE_SIZE, &v);
		if (rv == -1)
			return config_check_fail(why, len,
			    "invalid size \"%s\" (bytes, or a number "
			    "followed by K, M or G)", value);
		break;
	case CONFIG_PARSE_DURATION:
		rv = config_parse_number(value, CONFIG_PARSE_DURATION, &v);
		if (rv == -1)
			return config_check_fail(why, len, "invalid duration "
			    "\"%s\" (seconds, or a number followed by s, m or "
			    "h)", value);
		break;
	default:
		rv = -1;
		break;
	}
	unit = kind == CONFIG_PARSE_DURATION ? "s" : "";
	if (rv == -2 || v > (uint64_t)max)
		return config_check_fail(why, len, "\"%s\" is above the "
		    "maximum of %ld%s", value, max, unit);
	if (v < (uint64_t)min)
		return config_check_fail(why, len, "\"%s\" is below the "
		    "minimum of %ld%s%s%s%s", value, min, unit,
		    min_why ? " (" : "", min_why ? min_why : "",
		    min_why ? ")" : "");
	*v_r = v;
	return 0;
}

/* upstream: "host:port"; "" is unset. */
int
config_check_upstream(const char *value, char *why, size_t len)
{
	const char	*errstr;

	if (*value != '\0' &&
	    config_parse_hostport_errstr(value, NULL, NULL, &errstr) == -1)
		return config_check_fail(why, len,
		    "invalid address \"%s\": %s", value, errstr);
	return 0;
}

/* hostname: goes into replies, so only a host name; "" is the default. */
int
config_check_hostname(const char *value, char *why, size_t len)
{
	if (*value != '\0' && config_parse_hostname(value) == -1)
		return config_check_fail(why, len, "invalid host name \"%s\"",
		    value);
	return 0;
}

/* user: must exist now, so that -n catches a typo; "" is unset. */
int
config_check_user(const char *value, char *why, size_t len)
{
	if (*value != '\0' && getpwnam(value) == NULL)
		return config_check_fail(why, len, "unknown user \"%s\"",
		    value);
	return 0;
}

/* pidfile: absolute, as the daemon changes directory; "" is unset. */
int
config_check_pidfile(const char *value, char *why, size_t len)
{
	if (*value != '\0' && *value != '/')
		return config_check_fail(why, len,
		    "\"%s\" is not an absolute path", value);
	return 0;
}

/*
 * spool_dir: absolute, as the daemon changes directory. Whether it is
 * there is checked after the parse, and only when something spools.
 */
int
config_check_spool_dir(const char *value, char *why, size_t len)
{
	size_t	 n;

	if (*value != '/')
		return config_check_fail(why, len,
		    "\"%s\" is not an absolute path", value);
	if ((n = strlen(value)) > CONFIG_SPOOL_DIR_MAX)
		return config_check_fail(why, len, "%zu characters, more than "
		    "the %d allowed", n, CONFIG_SPOOL_DIR_MAX);
	return 0;
}

/*
 * trusted_proxies: an address or a CIDR, as an access object holds
 * them (SPEC §4.1): no "!", no "any", no object name.
 */
int
config_check_trusted_proxy(const char *value, char *why, size_t len)
{
	struct access	*a;
	const char	*errstr;
	int		 r;

	if ((a = access_new(ACCESS_DENY)) == NULL)
		fatal("config");
	r = access_object(a, "trusted_proxies", &value, 1, &errstr);
	access_free(a);
	if (r == -1)
		return config_check_fail(why, len, "\"%s\" is not an address "
		    "or a CIDR", value);
	return 0;
}

/* metrics.listen: "" (off) or a numeric address and port, as listen. */
int
config_check_metrics_listen(const char *value, char *why, size_t len)
{
	struct config_addr	 a;
	const char		*errstr;

	if (*value != '\0' && config_parse_addr_errstr(value, &a,
	    &errstr) == -1)
		return config_check_fail(why, len, "invalid address \"%s\": "
		    "%s", value, errstr);
	return 0;
}

/*
 * A text the proxy puts after a reply code: printable ASCII, so that it
 * can neither end the reply line early nor carry bytes a client cannot
 * read (RFC 5321 §4.2 textstring), and short enough for the line.
 */
static int
config_check_text(const char *value, size_t max, char *why, size_t len)
{
	const unsigned char	*p;
	size_t			 n;

	for (p = (const unsigned char *)value; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return config_check_fail(why, len, "control character "
			    "0x%02x (only printable ASCII goes into a reply)",
			    *p);
		if (*p > 0x7f)
			return config_check_fail(why, len, "non-ASCII byte "
			    "0x%02x (only printable ASCII goes into a reply)",
			    *p);
	}
	if ((n = strlen(value)) > max)
		return config_check_fail(why, len, "%zu characters, more than "
		    "the %zu a reply line has room for (RFC 5321 section "
		    "4.5.3.1.5)", n, max);
	return 0;
}

/* banner.text: "" is the default text. */
int
config_check_banner_text(const char *value, char *why, size_t len)
{
	return config_check_text(value, CONFIG_BANNER_MAX, why, len);
}

/* access rule reply: the text of "554 5.7.1 <reply>". */
int
config_check_rule_reply(const char *value, char *why, size_t len)
{
	return config_check_text(value, CONFIG_REPLY_MAX, why, len);
}

/*
 * commands.allow: one command name per element, checked against the
 * command policy itself. Allowing XCLIENT or XFORWARD, which the policy
 * would ignore, or BDAT, which the proxy cannot follow since CHUNKING
 * is never offered, is an error rather than a surprise at run time.
 */
int
config_check_command(const char *value, char *why, size_t len)
{
	policy_cmdmask	 mask;
	const char	*errstr;

	/* With tls_on, only XCLIENT and XFORWARD leave the mask empty. */
	if (policy_commands(POLICY_PROFILE_CUSTOM, &value, 1, 1, &mask,
	    &errstr) == -1)
		return config_check_fail(why, len, "unknown command \"%s\"",
		    value);
	if (mask == 0)
		return config_check_fail(why, len, "\"%s\" cannot be allowed: "
		    "it would let the client pose as another client to the "
		    "upstream", value);
	if (policy_command_allowed(mask, SMTP_CMD_BDAT))
		return config_check_fail(why, len, "\"%s\" cannot be allowed: "
		    "BDAT is not inspected, so CHUNKING is never offered",
		    value);
	return 0;
}

/* The keyword of an extension bit, for messages. */
static const char *
config_check_ext_name(uint32_t bit)
{
	size_t	 i;

	for (i = 0; i < POLICY_EXT_COUNT; i++)
		if (policy_ext_table[i].bit == bit)
			return policy_ext_table[i].keyword;
	return "?";
}

/* extensions.allow: one EHLO keyword the proxy can follow per element. */
int
config_check_extension(const char *value, char *why, size_t len)
{
	char		 known[256];
	uint32_t	 bit;
	size_t		 i, klen = 0, left;
	int		 n;

	bit = policy_ext_parse(value);
	if (bit == POLICY_EXT_CHUNKING)
		return config_check_fail(why, len, "%s cannot be offered: BDAT "
		    "is not inspected", config_check_ext_name(bit));
	if (bit == POLICY_EXT_BINARYMIME)
		return config_check_fail(why, len, "%s cannot be offered: it "
		    "needs BDAT, which is not inspected",
		    config_check_ext_name(bit));
	if (bit != 0)
		return 0;

	/* "SIZE, 8BITMIME, ... or STARTTLS", from the policy's table. */
	known[0] = '\0';
	for (i = 0, left = POLICY_EXT_COUNT - 2; i < POLICY_EXT_COUNT; i++) {
		bit = policy_ext_table[i].bit;
		if (bit == POLICY_EXT_CHUNKING || bit == POLICY_EXT_BINARYMIME)
			continue;
		n = snprintf(known + klen, sizeof(known) - klen, "%s%s",
		    klen == 0 ? "" : left == 1 ? " or " : ", ",
		    policy_ext_table[i].keyword);
		if (n < 0 || (size_t)n >= sizeof(known) - klen)
			break;
		klen += (size_t)n;
		left--;
	}
	return config_check_fail(why, len, "unknown extension \"%s\" (%s)",
	    value, known);
}

/*
 * filetypes.block_extensions: "exe" or ".exe", or "tar.gz" for what
 * filetype_ext_match() takes as a double extension. Each error is an
 * entry that could never match a file name: a "/" or "\\" separates
 * directories, no name ends in an empty part between dots, and Windows
 * drops trailing dots and spaces (and so does filetype_ext_match()).
 */
int
config_check_block_ext(const char *value, char *why, size_t len)
{
	const char	*ext, *p, *bad = NULL;

	ext = *value == '.' ? value + 1 : value;
	if (*ext == '\0')
		return config_check_fail(why, len, "empty extension");
	for (p = value; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return config_check_fail(why, len, "invalid extension: "
			    "control character 0x%02x", (unsigned char)*p);
	for (p = ext; *p != '\0' && bad == NULL; p++) {
		if (*p == '/')
			bad = "contains \"/\"";
		else if (*p == '\\')
			bad = "contains \"\\\"";
		else if (*p == '.' && (p == ext || p[-1] == '.'))
			bad = "empty part between dots";
	}
	if (bad == NULL && ext[strlen(ext) - 1] == '.')
		bad = "ends with a dot";
	if (bad == NULL && ext[strlen(ext) - 1] == ' ')
		bad = "ends with a space";
	if (bad != NULL)
		return config_check_fail(why, len, "invalid extension \"%s\": "
		    "%s", value, bad);
	return 0;
}

/* filetypes.block_types: one name of filetype.c's table per element. */
int
config_check_block_type(const char *value, char *why, size_t len)
{
	char		 known[512];
	const char	*name;
	size_t		 i, n, klen = 0;
	int		 w;

	if (filetype_parse(value) != 0)
		return 0;

	/* "executable, script, ... or java", from the table. */
	known[0] = '\0';
	n = filetype_count();
	for (i = 0; i < n; i++) {
		name = filetype_row(i, NULL, NULL);
		w = snprintf(known + klen, sizeof(known) - klen, "%s%s",
		    i == 0 ? "" : i + 1 == n ? " or " : ", ", name);
		if (w < 0 || (size_t)w >= sizeof(known) - klen)
			break;
		klen += (size_t)w;
	}
	return config_check_fail(why, len, "unknown type \"%s\" (%s)", value,
	    known);
}

/*
 * filetypes.reply: a reply text with the placeholders of
 * CONFIG_FILETYPES_REPLY; any other "%" is an error now rather than a
 * surprise in a refusal. "" is the default text.
 */
int
config_check_filetypes_reply(const char *value, char *why, size_t len)
{
	const char	*p;

	if (config_check_text(value, CONFIG_REPLY_MAX, why, len) == -1)
		return -1;
	for (p = value; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] == 'n' || p[1] == 't' || p[1] == '%')
			continue;
		return config_check_fail(why, len, "unknown placeholder "
		    "\"%%%.1s\" (%%n is the attachment's name, %%t its type, "
		    "%%%% a percent sign)", p + 1);
	}
	return 0;
}

/*
 * antivirus.database: a directory or a file of signatures, absolute, as
 * the daemon changes directory. Whether it can be read is checked after
 * the parse, and only when the libclamav backend is enabled.
 */
int
config_check_av_database(const char *value, char *why, size_t len)
{
	size_t	 n;

	if (*value != '/')
		return config_check_fail(why, len,
		    "\"%s\" is not an absolute path", value);
	if ((n = strlen(value)) >= PATH_MAX)
		return config_check_fail(why, len, "%zu characters, more than "
		    "the %d allowed", n, PATH_MAX - 1);
	return 0;
}

/*
 * antivirus.clamd: one clamd server per element, a unix socket as an
 * absolute path or "host:port". Whether it answers is not checked:
 * clamd may start after the proxy, and the servers are tried in turn
 * for each message.
 */
int
config_check_clamd(const char *value, char *why, size_t len)
{
	struct sockaddr_un	 sun;
	const char		*errstr;
	size_t			 n;

	if (*value == '\0')
		return config_check_fail(why, len, "empty entry (a unix socket "
		    "as an absolute path, or \"host:port\")");
	if (*value == '/') {
		if ((n = strlen(value)) >= sizeof(sun.sun_path))
			return config_check_fail(why, len, "socket path of %zu "
			    "characters, more than the %zu of a unix socket "
			    "address", n, sizeof(sun.sun_path) - 1);
	} else if (config_parse_hostport_errstr(value, NULL, NULL,
	    &errstr) == -1)
		return config_check_fail(why, len, "invalid server \"%s\": %s "
		    "(a unix socket as an absolute path, or \"host:port\")",
		    value, errstr);
	return 0;
}

/*
 * antivirus.reply: a reply text with the placeholders of
 * CONFIG_AV_REPLY; any other "%" is an error. "" is the default text.
 */
int
config_check_av_reply(const char *value, char *why, size_t len)
{
	const char	*p;

	if (config_check_text(value, CONFIG_REPLY_MAX, why, len) == -1)
		return -1;
	for (p = value; (p = strchr(p, '%')) != NULL; p += 2) {
		if (p[1] == 'v' || p[1] == '%')
			continue;
		return config_check_fail(why, len, "unknown placeholder "
		    "\"%%%.1s\" (%%v is the virus name, %%%% a percent sign)",
		    p + 1);
	}
	return 0;
}

/*
 * Does pw, a member of groups, have the permissions want (as S_I?OTH
 * bits) on st? The kernel's rule: the owner's bits, else the group's,
 * else the others'.
 */
static int
config_check_may(const struct stat *st, const struct passwd *pw,
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
config_check_amode(mode_t want)
{
	return ((want & S_IROTH) ? R_OK : 0) | ((want & S_IWOTH) ? W_OK : 0) |
	    ((want & S_IXOTH) ? X_OK : 0);
}

int
config_check_path(const char *path, const char *user, mode_t want_dir,
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
		if (faccessat(AT_FDCWD, path, config_check_amode(want),
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
	    !config_check_may(&st, pw, groups, ngroups, S_IXOTH)) {
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
		    !config_check_may(&st, pw, groups, ngroups, S_IXOTH)) {
			n = snprintf(why, len, "user \"%s\" may not search "
			    "\"%s\"", user, dir);
			goto fail;
		}
	}
	if (stat(path, &st) == -1 ||
	    !config_check_may(&st, pw, groups, ngroups, want)) {
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
