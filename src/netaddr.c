/*
 * Socket addresses: their text form, IPv4-mapped IPv6 addresses, and
 * whether a listening address covers another (netaddr.h).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <string.h>

#include "netaddr.h"

char *
netaddr_text(const struct sockaddr *sa, char *buf, size_t bufsz)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;
	char			 host[INET6_ADDRSTRLEN];

	if (bufsz == 0)
		return buf;
	switch (sa != NULL ? sa->sa_family : AF_UNSPEC) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		if (inet_ntop(AF_INET, &sin.sin_addr, host,
		    sizeof(host)) == NULL)
			break;
		(void)snprintf(buf, bufsz, "%s:%u", host,
		    ntohs(sin.sin_port));
		return buf;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		if (inet_ntop(AF_INET6, &sin6.sin6_addr, host,
		    sizeof(host)) == NULL)
			break;
		(void)snprintf(buf, bufsz, "[%s]:%u", host,
		    ntohs(sin6.sin6_port));
		return buf;
	}
	(void)snprintf(buf, bufsz, "unknown");
	return buf;
}

socklen_t
netaddr_unmap(struct sockaddr_storage *ss, socklen_t len)
{
	struct sockaddr_in6	 sin6;
	struct sockaddr_in	 sin;

	if (ss->ss_family != AF_INET6 || len < sizeof(sin6))
		return len;
	memcpy(&sin6, ss, sizeof(sin6));
	if (!IN6_IS_ADDR_V4MAPPED(&sin6.sin6_addr))
		return len;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = sin6.sin6_port;
	memcpy(&sin.sin_addr, &sin6.sin6_addr.s6_addr[12], 4);
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, &sin, sizeof(sin));
	return sizeof(sin);
}

int
netaddr_covers(const struct sockaddr *b, const struct sockaddr *a)
{
	struct sockaddr_in	 a4, b4;
	struct sockaddr_in6	 a6, b6;

	if (a->sa_family != b->sa_family)
		return 0;
	if (a->sa_family == AF_INET) {
		memcpy(&a4, a, sizeof(a4));
		memcpy(&b4, b, sizeof(b4));
		return a4.sin_port == b4.sin_port &&
		    (a4.sin_addr.s_addr == b4.sin_addr.s_addr ||
		    b4.sin_addr.s_addr == htonl(INADDR_ANY));
	}
	if (a->sa_family == AF_INET6) {
		memcpy(&a6, a, sizeof(a6));
		memcpy(&b6, b, sizeof(b6));
		return a6.sin6_port == b6.sin6_port &&
		    (memcmp(&a6.sin6_addr, &b6.sin6_addr,
		    sizeof(a6.sin6_addr)) == 0 ||
		    IN6_IS_ADDR_UNSPECIFIED(&b6.sin6_addr));
	}
	return 0;
}
