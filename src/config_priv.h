/*
 * Internals of the configuration, shared by config.c (libconfuse: the
 * option tables, the value callbacks, the parsed tree and the load),
 * config_check.c (checks of values and paths) and config_build.c (the
 * compilation of the parsed tree into struct config). Nothing else
 * includes this file, and only config.c includes <confuse.h>.
 */
#ifndef SMTPPROXY_CONFIG_PRIV_H
#define SMTPPROXY_CONFIG_PRIV_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "config_parse.h"

struct config;

/*
 * The size of a reason from config_check.c: that of the message of a
 * bad value in config.c, so that a long reason is cut the same way.
 */
#define CONFIG_WHY_MAX		1024

/*
 * config.c: errors, and the parsed tree for the compilation.
 */

/*
 * Report "FILE:LINE: message" for the file being loaded, or "FILE:
 * message" when line is 0; config_load() then fails. Only while
 * config_load() runs.
 */
void		 config_error(int line, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* strdup(), fatal() when out of memory. */
char		*config_strdup(const char *);

/* The keys with a fixed set of values: the value, or -1. */
int		 config_mode_parse(const char *);
int		 config_banner_parse(const char *);
int		 config_access_parse(const char *);
int		 config_av_backend_parse(const char *);
int		 config_av_on_error_parse(const char *);

/*
 * A section of the parsed file, its values as the value callbacks left
 * them: each value was checked there, and one reported bad is skipped
 * by the compilation rather than reported twice. Opaque: only config.c
 * knows the tree is libconfuse's. Valid while config_load() runs.
 * Names are those of config.c's option tables; "" is not a name.
 */
struct config_sec;

/* The section name in sec (not a multiple one). */
struct config_sec	*config_getsec(struct config_sec *, const char *);
/* Section i of the multiple section name in sec, in file order. */
struct config_sec	*config_getnsec(struct config_sec *, const char *,
			    unsigned int);
/* The title of a section, NULL if it has none. */
const char		*config_title(struct config_sec *);
/* The line where a section starts (its name or title). */
int			 config_secline(struct config_sec *);
/* "access rule \"x\"", "alarm \"smtp:231\"", "limits", into buf. */
const char		*config_secname(struct config_sec *, char *buf,
			    size_t len);
/* How many values key has, or how many sections of that name. */
unsigned int		 config_size(struct config_sec *, const char *key);
const char		*config_getstr(struct config_sec *, const char *key);
/* Value i of the list key. */
const char		*config_getnstr(struct config_sec *, const char *key,
			    unsigned int);
/* 1 or 0. */
int			 config_getbool(struct config_sec *, const char *key);
/*
 * The line of the last value of key, 0 if the file did not set it;
 * *bad_r (unless NULL) says whether a callback reported it.
 */
int			 config_line(struct config_sec *, const char *key,
			    int *bad_r);
/*
 * The line of entry i of local_servers in av, the antivirus section; 0
 * if the file did not set the list.
 */
int			 config_local_server_line(struct config_sec *av,
			    unsigned int i);

/*
 * config_check.c: checks that need neither libconfuse nor the tree.
 * Each value check takes a value as written and returns 0, or -1 with
 * the reason in why (CONFIG_WHY_MAX bytes), which names the value.
 */

/*
 * A number written as kind (config_parse_number()), from min to max,
 * into *v_r. min_why, if not NULL, says where min comes from.
 */
int	 config_check_number(const char *, enum config_parse_kind, long min,
	    long max, const char *min_why, uint64_t *v_r, char *why, size_t);
int	 config_check_upstream(const char *, char *why, size_t);
int	 config_check_hostname(const char *, char *why, size_t);
int	 config_check_user(const char *, char *why, size_t);
int	 config_check_pidfile(const char *, char *why, size_t);
int	 config_check_spool_dir(const char *, char *why, size_t);
int	 config_check_trusted_proxy(const char *, char *why, size_t);
int	 config_check_metrics_listen(const char *, char *why, size_t);
int	 config_check_banner_text(const char *, char *why, size_t);
int	 config_check_rule_reply(const char *, char *why, size_t);
int	 config_check_command(const char *, char *why, size_t);
int	 config_check_extension(const char *, char *why, size_t);
int	 config_check_block_ext(const char *, char *why, size_t);
int	 config_check_block_type(const char *, char *why, size_t);
int	 config_check_filetypes_reply(const char *, char *why, size_t);
int	 config_check_av_database(const char *, char *why, size_t);
/* One clamd server; whether it is listed twice is config.c's check. */
int	 config_check_clamd(const char *, char *why, size_t);
int	 config_check_av_reply(const char *, char *why, size_t);
/* tls.ciphers and tls.ciphersuites: strings OpenSSL accepts. */
int	 config_check_tls_ciphers(const char *, char *why, size_t);
int	 config_check_tls_ciphersuites(const char *, char *why, size_t);
int	 config_tls_mode_parse(const char *);
int	 config_tls_upstream_parse(const char *);
int	 config_tls_protocol_parse(const char *);
/*
 * May the daemon use path, an absolute path, with the permissions
 * want_dir (S_I?OTH bits) if it is a directory, or want_file if it is
 * a regular file (0: it must be a directory)? Started as root, it runs
 * as user (if not NULL), so then user's permissions decide: search on
 * every directory of the path, and want on path, the way the kernel
 * decides them (access control lists aside). Returns 0, or -1 with the
 * reason in why.
 */
int	 config_check_path(const char *path, const char *user,
	    mode_t want_dir, mode_t want_file, char *why, size_t len);

/*
 * config_build.c: the compilation, one step per part of struct config,
 * in the order config_load() calls them. Each reads root, the top of
 * the parsed file, fills its part of conf and reports what involves
 * several keys through config_error().
 */

void	 config_build_listen(struct config_sec *root, struct config *);
void	 config_build_mode(struct config_sec *root, struct config *);
void	 config_build_strings(struct config_sec *root, struct config *);
/*
 * Before config_build_commands(): tls.mode decides whether STARTTLS is
 * a command at all. Builds the SSL_CTXs (config_tls.c).
 */
void	 config_build_tls(struct config_sec *root, struct config *);
void	 config_build_commands(struct config_sec *root, struct config *);
/* After config_build_commands(): the command mask limits it. */
void	 config_build_extensions(struct config_sec *root, struct config *);
/* After config_build_strings(): the default text is the host name. */
void	 config_build_banner(struct config_sec *root, struct config *);
void	 config_build_access(struct config_sec *root, struct config *);
void	 config_build_filetypes(struct config_sec *root, struct config *);
/* After config_build_strings(): the database is checked as user. */
void	 config_build_antivirus(struct config_sec *root, struct config *);
/* Last: whether the directory is needed depends on the inspections. */
void	 config_build_spool(struct config_sec *root, struct config *);
void	 config_build_proxy(struct config_sec *root, struct config *);
void	 config_build_metrics(struct config_sec *root, struct config *);
/* The SSL_CTXs of conf (config_tls.c). */
void	 config_free_tls(struct config *);
/* Free conf and everything in it, built or partly built. */
void	 config_build_free(struct config *);

#endif
