/*
 * Parsers of configuration values. Pure: no libconfuse, no state, no
 * I/O. Each takes a NUL-terminated value as written in the file.
 */
#ifndef SMTPPROXY_CONFIG_PARSE_H
#define SMTPPROXY_CONFIG_PARSE_H

#include <stdint.h>

struct config_addr;		/* config.h */

/* How a number is written. */
enum config_parse_kind {
	CONFIG_PARSE_COUNT,	/* plain decimal number */
	CONFIG_PARSE_SIZE,	/* bytes, or K, M, G (powers of 1024) */
	CONFIG_PARSE_DURATION	/* seconds, or s, m, h */
};

/*
 * A number written as kind into *v_r: decimal digits, then for a size
 * or a duration an optional one-letter unit. Returns 0; -1 on a syntax
 * error; -2 if the value passes UINT64_MAX, or INT_MAX seconds for a
 * duration. *v_r is set only on 0.
 */
int		 config_parse_number(const char *, enum config_parse_kind,
		    uint64_t *v_r);
/*
 * "512", "64K", "25M", "1G" (K, M, G in either case, powers of 1024)
 * -> bytes; -1 on anything else, a sign or overflow.
 */
int		 config_parse_size(const char *, uint64_t *);
/* "90", "30s", "5m", "1h" -> seconds up to INT_MAX; -1 on error. */
int		 config_parse_duration(const char *, int *);
/*
 * An RFC 1123 host name of at most 253 octets, or an IPv4 address if
 * it is all digits and dots. Returns 0 or -1.
 */
int		 config_parse_hostname(const char *);
/*
 * "host:port", "IPv4:port" or "[IPv6]:port" with a port of 1 to 65535,
 * for upstream. Stores malloc'ed copies of the host (without brackets)
 * and the port in *host_r and *port_r unless they are NULL. Returns 0
 * or -1.
 */
int		 config_parse_hostport(const char *, char **host_r,
		    char **port_r);
/* The same, with the reason for -1 in *errstr_r (a static string). */
int		 config_parse_hostport_errstr(const char *, char **host_r,
		    char **port_r, const char **errstr_r);
/* Numeric "IPv4:port" or "[IPv6]:port" into addr, for listen; 0 or -1. */
int		 config_parse_addr(const char *, struct config_addr *);
/* The same, with the reason for -1 in *errstr_r (a static string). */
int		 config_parse_addr_errstr(const char *, struct config_addr *,
		    const char **errstr_r);

#endif
