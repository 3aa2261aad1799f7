/*
 * Pure parsers of configuration values: numbers with units, host names,
 * "host:port" and listen addresses. No libconfuse, no state: config.c
 * calls them from its value callbacks, and the unit tests call them
 * directly.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_parse.h"

/*
 * Leading decimal digits of s into *v_r, *end_r past them. Returns 0,
 * -1 if s does not start with a digit, -2 if the number passes max.
 */
static int
config_parse_digits(const char *s, uint64_t max, const char **end_r,
    uint64_t *v_r)
{
	uint64_t	 v = 0, d;
	const char	*p;

	if (*s < '0' || *s > '9')
		return -1;
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		d = (uint64_t)(*p - '0');
		if (v > (max - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*end_r = p;
	*v_r = v;
	return 0;
}

/*
 * Decimal digits and an optional one-letter unit: units[i] multiplies
 * by mults[i]. Returns 0, -1 on a syntax error, -2 if the result passes
 * max.
 */
static int
config_parse_unit(const char *s, const char *units, const uint64_t *mults,
    uint64_t max, uint64_t *v_r)
{
	const char	*p, *u;
	uint64_t	 v, mult = 1;
	int		 rv;

	if ((rv = config_parse_digits(s, UINT64_MAX, &p, &v)) == -1)
		return -1;
	if (rv == -2) {
		/* Too many digits; still a syntax error if garbage follows. */
		p = s + strspn(s, "0123456789");
		if (*p != '\0' && (p[1] != '\0' ||
		    strchr(units, *p) == NULL))
			return -1;
		return -2;
	}
	if (*p != '\0') {
		if (p[1] != '\0' || (u = strchr(units, *p)) == NULL)
			return -1;
		mult = mults[u - units];
	}
	if (v > max / mult)
		return -2;
	*v_r = v * mult;
	return 0;
}

int
config_parse_number(const char *s, enum config_parse_kind kind,
    uint64_t *v_r)
{
	static const uint64_t	 size_mults[] = {
		1024, 1024, 1024 * 1024, 1024 * 1024,
		1024 * 1024 * 1024, 1024 * 1024 * 1024
	};
	static const uint64_t	 duration_mults[] = { 1, 60, 3600 };

	switch (kind) {
	case CONFIG_PARSE_COUNT:
		return config_parse_unit(s, "", NULL, UINT64_MAX, v_r);
	case CONFIG_PARSE_SIZE:
		return config_parse_unit(s, "kKmMgG", size_mults, UINT64_MAX,
		    v_r);
	case CONFIG_PARSE_DURATION:
		return config_parse_unit(s, "smh", duration_mults, INT_MAX,
		    v_r);
	}
	return -1;
}

/*
 * Bytes: decimal digits with an optional K, M or G (either case; powers
 * of 1024). No sign, no space, no other suffix.
 */
int
config_parse_size(const char *s, uint64_t *size_r)
{
	return config_parse_number(s, CONFIG_PARSE_SIZE, size_r) == 0 ?
	    0 : -1;
}

/* Seconds: decimal digits with an optional s, m or h; at most INT_MAX. */
int
config_parse_duration(const char *s, int *secs_r)
{
	uint64_t	 v;

	if (config_parse_number(s, CONFIG_PARSE_DURATION, &v) != 0)
		return -1;
	*secs_r = (int)v;
	return 0;
}

/*
 * RFC 1123 §2.1 host name: dot-separated labels of letters, digits and
 * hyphens, 1 to 63 octets, not starting or ending with a hyphen; 253
 * octets at most. A name made only of digits and dots must be a valid
 * IPv4 address.
 */
int
config_parse_hostname(const char *s)
{
	const char	*p;
	size_t		 label = 0;
	int		 alpha = 0;
	struct in_addr	 in;

	if (*s == '\0' || strlen(s) > 253)
		return -1;
	for (p = s; *p != '\0'; p++) {
		if (*p == '.') {
			if (label == 0 || p[-1] == '-')
				return -1;
			label = 0;
			continue;
		}
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    *p == '-')
			alpha = 1;
		else if (*p < '0' || *p > '9')
			return -1;
		if (label == 0 && *p == '-')
			return -1;
		if (++label > 63)
			return -1;
	}
	if (label == 0 || p[-1] == '-')
		return -1;
	if (!alpha && inet_pton(AF_INET, s, &in) != 1)
		return -1;
	return 0;
}

/* "host:port" taken apart. */
struct config_hostport {
	char		 host[256];	/* without brackets */
	const char	*port;		/* the port as written, in the input */
	uint16_t	 portnum;
	int		 v6;		/* host was in brackets */
};

/*
 * Split "host:port" or "[IPv6]:port". Hosts are host names or IPv4
 * addresses, or IPv6 addresses in brackets; ports are 1 to 65535 in
 * decimal. Returns 0, or -1 with a reason in *errstr_r.
 */
static int
config_hostport(const char *s, struct config_hostport *hp,
    const char **errstr_r)
{
	const char	*colon, *hs, *he, *p;
	uint64_t	 port;
	struct in6_addr	 in6;
	size_t		 hlen;

	memset(hp, 0, sizeof(*hp));
	if (*s == '[') {
		hp->v6 = 1;
		hs = s + 1;
		if ((he = strchr(hs, ']')) == NULL) {
			*errstr_r = "missing ] after the IPv6 address";
			return -1;
		}
		if (he[1] != ':') {
			*errstr_r = he[1] == '\0' ? "missing port" :
			    "expected :port after ]";
			return -1;
		}
		colon = he + 1;
	} else {
		hs = s;
		if ((colon = strchr(s, ':')) == NULL) {
			*errstr_r = "missing port";
			return -1;
		}
		if (strchr(colon + 1, ':') != NULL) {
			*errstr_r = "an IPv6 address must be in brackets, "
			    "as in [::1]:25";
			return -1;
		}
		he = colon;
	}
	hlen = (size_t)(he - hs);
	if (hlen == 0) {
		*errstr_r = "missing host";
		return -1;
	}
	if (hlen >= sizeof(hp->host)) {
		*errstr_r = "host too long";
		return -1;
	}
	memcpy(hp->host, hs, hlen);
	hp->host[hlen] = '\0';
	if (hp->v6) {
		if (inet_pton(AF_INET6, hp->host, &in6) != 1) {
			*errstr_r = "invalid IPv6 address";
			return -1;
		}
	} else if (config_parse_hostname(hp->host) == -1) {
		*errstr_r = "invalid host name or IPv4 address";
		return -1;
	}

	if (colon[1] == '\0') {
		*errstr_r = "missing port";
		return -1;
	}
	if (config_parse_digits(colon + 1, 65535, &p, &port) != 0 ||
	    *p != '\0' || port == 0) {
		*errstr_r = "invalid port (1 to 65535)";
		return -1;
	}
	hp->port = colon + 1;
	hp->portnum = (uint16_t)port;
	return 0;
}

int
config_parse_hostport_errstr(const char *s, char **host_r, char **port_r,
    const char **errstr_r)
{
	struct config_hostport	 hp;
	char			*host = NULL, *port = NULL;

	if (config_hostport(s, &hp, errstr_r) == -1)
		return -1;
	if ((host_r != NULL && (host = strdup(hp.host)) == NULL) ||
	    (port_r != NULL && (port = strdup(hp.port)) == NULL)) {
		free(host);
		*errstr_r = "out of memory";
		return -1;
	}
	if (host_r != NULL)
		*host_r = host;
	if (port_r != NULL)
		*port_r = port;
	return 0;
}

int
config_parse_hostport(const char *s, char **host_r, char **port_r)
{
	const char	*errstr;

	return config_parse_hostport_errstr(s, host_r, port_r, &errstr);
}

int
config_parse_addr_errstr(const char *s, struct config_addr *a,
    const char **errstr_r)
{
	struct config_hostport	 hp;
	struct sockaddr_in	*sin;
	struct sockaddr_in6	*sin6;
	int			 n;

	if (config_hostport(s, &hp, errstr_r) == -1)
		return -1;
	memset(a, 0, sizeof(*a));
	if (hp.v6) {
		sin6 = (struct sockaddr_in6 *)&a->ss;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(hp.portnum);
		if (inet_pton(AF_INET6, hp.host, &sin6->sin6_addr) != 1) {
			*errstr_r = "invalid IPv6 address";
			return -1;
		}
		a->sslen = sizeof(*sin6);
	} else {
		sin = (struct sockaddr_in *)&a->ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(hp.portnum);
		if (inet_pton(AF_INET, hp.host, &sin->sin_addr) != 1) {
			*errstr_r = "a numeric IPv4 or [IPv6] address "
			    "is required";
			return -1;
		}
		a->sslen = sizeof(*sin);
	}
	n = snprintf(a->text, sizeof(a->text), "%s", s);
	if (n < 0 || (size_t)n >= sizeof(a->text)) {
		*errstr_r = "address too long";
		return -1;
	}
	return 0;
}

int
config_parse_addr(const char *s, struct config_addr *a)
{
	const char	*errstr;

	return config_parse_addr_errstr(s, a, &errstr);
}
