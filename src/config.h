/*
 * The compiled configuration: built once by config_load(), immutable
 * afterwards, shared by reference between sessions. A reload builds a
 * new one; sessions keep the one they started with.
 */
#ifndef SMTPPROXY_CONFIG_H
#define SMTPPROXY_CONFIG_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include "alarm.h"

#define CONFIG_MAX_LISTEN		16

enum config_mode {
	CONFIG_MODE_TRANSPARENT,
	CONFIG_MODE_RELAY
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
};

struct config {
	int			 refcnt;
	char			*path;

	struct config_addr	 listen[CONFIG_MAX_LISTEN];
	int			 nlisten;
	enum config_mode		 mode;
	char			*upstream_host;	/* relay mode */
	char			*upstream_port;
	char			*hostname;
	char			*user;		/* NULL: stay */
	char			*pidfile;	/* NULL: none */
	int			 max_sessions;
	int			 max_sessions_per_client;
	int			 shutdown_grace;	/* seconds */
	int			 log_level;	/* LOG_LEVEL_* */
	int			 syslog_facility;
	int			 inspect;

	struct config_timeouts	 timeouts;
	struct config_limits	 limits;
	enum alarm_action	 alarm_action[ALARM_COUNT];
};

/* Called once per error with "FILE:LINE: message". */
typedef void	(*config_errfn)(const char *);

/*
 * Parse and validate path. Returns a configuration with refcnt 1, or
 * NULL after reporting every error through errfn.
 */
struct config	*config_load(const char *path, config_errfn errfn);
struct config	*config_ref(struct config *);
/* Drop a reference; frees at zero. Accepts NULL. */
void		 config_unref(struct config *);

/* "25M" -> 26214400 etc.; returns -1 on syntax error or overflow. */
int		 config_parse_size(const char *, uint64_t *);
/* "30s", "5m", "1h", "90" -> seconds; -1 on error. */
int		 config_parse_duration(const char *, int *);
/*
 * "host:port", "[v6]:port", "v4:port": numeric host parsed into addr
 * (for listen), names allowed when host_r is given (for upstream).
 * Returns 0 or -1.
 */
int		 config_parse_hostport(const char *, char **host_r,
		    char **port_r);
int		 config_parse_addr(const char *, struct config_addr *);

#endif
