/*
 * The compiled configuration: built once by config_load(), immutable
 * afterwards, shared by reference between sessions. A reload builds a
 * new one; sessions keep the one they started with.
 */
#ifndef SMTPPROXY_CONFIG_H
#define SMTPPROXY_CONFIG_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "alarm.h"
#include "config_parse.h"
#include "filetype.h"
#include "policy.h"

struct access;
struct ssl_ctx_st;

#define CONFIG_MAX_LISTEN		16
/* spool_dir's length at most: a 1024-byte path holds it and a name. */
#define CONFIG_SPOOL_DIR_MAX		960

/*
 * The refusal text of a file type rule when filetypes.reply is empty
 * (SPEC §4.5), after "554 5.7.1 ". Placeholders, in it and in
 * filetypes.reply: %n the attachment's name, %t its type (a name of
 * filetype.h), %% a percent sign; config_load() accepts no other "%".
 * The name comes from the message: whoever expands the text must make
 * it printable ASCII and shorten it so that the reply fits one line.
 */
#define CONFIG_FILETYPES_REPLY	"Attachment \"%n\" (%t) not allowed"

/*
 * The refusal text of an infected message when antivirus.reply is
 * empty (SPEC §4.6), after "554 5.7.1 ". Placeholders, in it and in
 * antivirus.reply: %v the name of what was found, %% a percent sign;
 * config_load() accepts no other "%". The name comes from the engine:
 * whoever expands the text must make it printable ASCII and shorten it
 * so that the reply fits one line.
 */
#define CONFIG_AV_REPLY		"Virus found: %v"

enum config_mode {
	CONFIG_MODE_TRANSPARENT,
	CONFIG_MODE_RELAY
};

enum config_av_backend {
	CONFIG_AV_LIBCLAMAV,	/* in-process, on the worker threads */
	CONFIG_AV_CLAMD		/* INSTREAM to the servers of av_clamd */
};

/* What a message gets when the anti-virus engine fails on it. */
enum config_av_on_error {
	CONFIG_AV_TEMPFAIL,	/* 451 4.3.0: the sender tries again */
	CONFIG_AV_REJECT,	/* 554: refused */
	CONFIG_AV_PASS		/* delivered unscanned, smtp:252 */
};

struct config_addr {
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 text[128];	/* as configured */
};

struct config_timeouts {		/* seconds; RFC 5321 §4.5.3.2 defaults */
	int	 connect;
	int	 greeting;
	int	 command;
	int	 reply;
	int	 data_block;
	int	 data_end;
	int	 idle;
};

struct config_limits {
	size_t	 command_line;
	size_t	 reply_line;
	size_t	 header_line;
	size_t	 text_line;
	size_t	 recipients;
	uint64_t message_size;
	size_t	 address;
	size_t	 mime_depth;		/* nested multiparts */
	size_t	 mime_parts;		/* parts in one message */
};

struct config {
	/*
	 * Shared between the event loop and the worker threads (a scan job
	 * owns a reference to the configuration it reads): changed only
	 * through config_ref() and config_unref(), atomically.
	 */
	atomic_int		 refcnt;
	char			*path;

	struct config_addr	 listen[CONFIG_MAX_LISTEN];
	int			 nlisten;
	/*
	 * tproxy section: listeners with IP_TRANSPARENT, for the TPROXY
	 * target (the destination is the socket's local address), and
	 * whether their sessions connect upstream from the client's
	 * address.
	 */
	struct config_addr	 tproxy_listen[CONFIG_MAX_LISTEN];
	int			 ntproxy_listen;
	int			 tproxy_client_source;
	enum config_mode		 mode;
	char			*upstream_host;	/* relay mode */
	char			*upstream_port;
	char			*hostname;
	char			*user;		/* NULL: stay */
	char			*pidfile;	/* NULL: none */
	/*
	 * Absolute, without a trailing "/". Checked to be a directory the
	 * daemon's user can write only when an inspection that spools is
	 * enabled (filetypes, antivirus).
	 */
	char			*spool_dir;
	/*
	 * The file's value, or the default (10000). listener.c lowers a
	 * default to what the descriptor limit has room for; a value the
	 * file sets (max_sessions_set) is kept.
	 */
	int			 max_sessions;
	int			 max_sessions_set;
	int			 max_sessions_per_client;
	int			 max_bad_commands;	/* refusals, then 421 */
	int			 workers;	/* event loops, 0: one per CPU */
	int			 shutdown_grace;	/* seconds */
	int			 log_level;	/* LOG_LEVEL_* */
	int			 syslog_facility;
	int			 inspect;

	struct config_timeouts	 timeouts;
	struct config_limits	 limits;
	enum alarm_action	 alarm_action[ALARM_COUNT];
	int			 alarm_set[ALARM_COUNT];	/* in the file */

	/*
	 * Inspections (SPEC §4.1-4.3). Each *_enabled is the "enabled" of
	 * its section as written; a check runs when inspect is set too.
	 * What they control is compiled even when they are off.
	 */
	int			 commands_enabled;
	enum policy_profile	 commands_profile;
	policy_cmdmask		 commands_mask;	/* policy_command_allowed() */

	int			 extensions_enabled;
	/*
	 * POLICY_EXT_* the EHLO reply may offer: extensions.allow less
	 * STARTTLS and AUTH when the commands policy refuses them.
	 */
	uint32_t		 extensions_mask;

	int			 banner_enabled;
	enum policy_banner	 banner_mode;
	char			*banner_text;	/* "<hostname> ESMTP" if unset */
	int			 banner_ehlo;	/* EHLO's host name -> hostname */

	int			 access_enabled;
	struct access		*access;	/* never NULL once loaded */

	/*
	 * File types (SPEC §4.5). block_extensions: lower case, without the
	 * leading dot, no duplicates, NULL-terminated; pass it to
	 * filetype_ext_match() as (const char *const *). An entry may hold
	 * dots ("tar.gz"). filetypes_reply is never NULL; "" stands for
	 * CONFIG_FILETYPES_REPLY.
	 */
	int			 filetypes_enabled;
	char			**block_extensions;
	size_t			 nblock_extensions;
	filetype_mask		 block_types;
	int			 block_encrypted_archives;
	int			 block_office_macros;
	int			 block_packed_executables;
	char			*filetypes_reply;

	/*
	 * Anti-virus (SPEC §4.6). av_database: an absolute path, checked
	 * to be readable when the libclamav backend is enabled (its
	 * signatures are not loaded here). av_clamd: unix socket paths
	 * (absolute) and "host:port" strings as written, at least one with
	 * the clamd backend, for scan_clamd(). av_local_servers: entries
	 * of an access list (SPEC §4.1), validated, for
	 * access_list_match() with this configuration's access (its
	 * objects). All three lists are NULL-terminated; pass them as
	 * (const char *const *). A message to a local server is scanned
	 * when av_scan_local is set, any other when av_scan_other is.
	 * A message over av_max_size is not scanned (smtp:252, not
	 * on_error). av_reply is never NULL; "" stands for CONFIG_AV_REPLY.
	 */
	int			 av_enabled;
	enum config_av_backend	 av_backend;
	char			*av_database;
	char			**av_clamd;
	size_t			 nav_clamd;
	int			 av_scan_local;
	int			 av_scan_other;
	char			**av_local_servers;
	size_t			 nav_local_servers;
	uint64_t		 av_max_size;
	enum config_av_on_error	 av_on_error;
	int			 av_threads;	/* scans at once, 0 to 64; 0:
						   one per CPU */
	char			*av_reply;

	/*
	 * PROXY protocol (SPEC §5). trusted_proxies: addresses and CIDRs,
	 * validated, NULL-terminated, for access_list_match(); never empty
	 * when proxy_protocol is set.
	 */
	int			 proxy_protocol;
	char			**trusted_proxies;
	size_t			 ntrusted_proxies;

	/* metrics.listen; metrics_enabled is 0 when it is "". */
	int			 metrics_enabled;
	struct config_addr	 metrics_listen;

	/*
	 * TLS (SPEC §4.7). The contexts are built once here and freed with
	 * the configuration; an SSL made from one holds its own reference,
	 * so a session in TLS keeps its context across a reload.
	 * tls_server: for clients (inspect mode or tls.listen), else NULL;
	 * tls_client: for upstreams (tls_upstream is not none), else NULL.
	 * tls_listen: implicit TLS listeners (RFC 8314).
	 */
	enum policy_tls		 tls_mode;
	enum policy_tls_upstream tls_upstream;
	int			 tls_upstream_verify;
	int			 tls_min_protocol;	/* OpenSSL's version */
	struct ssl_ctx_st	*tls_server;
	struct ssl_ctx_st	*tls_client;
	struct config_addr	 tls_listen[CONFIG_MAX_LISTEN];
	int			 ntls_listen;
};

/*
 * Called once per error with "FILE:LINE: message", or "FILE: message"
 * for an error that concerns no line (a file that cannot be opened).
 */
typedef void	(*config_errfn)(const char *);

/*
 * Parse and validate path. Returns a configuration with refcnt 1, or
 * NULL after reporting every error through errfn (NULL: only count).
 * Any thread may call it; loads are serialised (libconfuse's lexer is
 * global), so errfn runs on the calling thread, one load at a time.
 */
struct config	*config_load(const char *path, config_errfn errfn);
/* Take a reference and return the configuration; any thread. */
struct config	*config_ref(struct config *);
/*
 * Drop a reference; the last one frees the configuration, on whichever
 * thread drops it. Any thread; accepts NULL.
 */
void		 config_unref(struct config *);

#endif
