/*
 * Socket addresses as the proxy shows and compares them. Pure: no I/O.
 *
 * Every log line prints an address the same way: "192.0.2.7:40112" for
 * IPv4, "[2001:db8::7]:40112" for IPv6 (RFC 5952 text, as inet_ntop(3)
 * writes it, in brackets as RFC 3986 writes a host), "unknown" for
 * anything else. An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2,
 * ::ffff:a.b.c.d) is an IPv4 client: netaddr_unmap() turns it into the
 * AF_INET address before the logs, the access rules and the per-client
 * counts see it.
 */
#ifndef SMTPPROXY_NETADDR_H
#define SMTPPROXY_NETADDR_H

#include <sys/socket.h>

#include <stddef.h>

/* Room for the longest text: "[" INET6_ADDRSTRLEN-1 "]:65535" and NUL. */
#define NETADDR_TEXT_MAX	56

/*
 * Write sa's text form into buf (truncated to bufsz, always
 * NUL-terminated when bufsz > 0); returns buf. sa may be NULL
 * ("unknown").
 */
char		*netaddr_text(const struct sockaddr *sa, char *buf,
		    size_t bufsz);
/*
 * If ss holds an IPv4-mapped IPv6 address, rewrite it as the AF_INET
 * address with the same port. Returns the length of what ss holds now
 * (len if nothing changed).
 */
socklen_t	 netaddr_unmap(struct sockaddr_storage *ss, socklen_t len);
/*
 * 1 if a and b are the same address and port, or b is the wildcard
 * address of a's family (0.0.0.0, ::) with a's port; 0 otherwise
 * (other families never match).
 */
int		 netaddr_covers(const struct sockaddr *b,
		    const struct sockaddr *a);

#endif
