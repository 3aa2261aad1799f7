/*
 * The PROXY protocol header (HAProxy's proxy-protocol.txt, versions 1
 * and 2) that a load balancer sends before the client's first byte: a
 * pure, resumable parser. No I/O; proxy_accept.c reads the socket.
 */
#ifndef SMTPPROXY_PROXY_H
#define SMTPPROXY_PROXY_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/* Version 1: "PROXY ... \r\n", 107 bytes at most (spec §2.1). */
#define PROXY_V1_MAX		107
/* Version 2: 16 bytes, then the addresses and TLVs (spec §2.2). */
#define PROXY_V2_HEAD		16
/*
 * A version 2 header longer than this (16 + len) is refused: the
 * addresses take 216 bytes at most, HAProxy's TLVs (ALPN, authority,
 * unique id, SSL) a few hundred more.
 */
#define PROXY_V2_MAX		4096

struct proxy {
	/* Result, once proxy_parse() returned 1. */
	int			 version;	/* 1 or 2 */
	/*
	 * No addresses to use: v1 UNKNOWN, v2 LOCAL, v2 PROXY over UNSPEC
	 * or UNIX. The connection's own endpoints stand (spec §2.1, §2.2).
	 */
	int			 local;
	struct sockaddr_storage	 src, dst;	/* unless local */
	socklen_t		 srclen, dstlen;
	const char		*errstr;	/* after a -1 */

	/* Parse state. */
	int			 state;
	size_t			 pos;		/* header bytes seen */
	char			 buf[PROXY_V1_MAX + 1];
	size_t			 total;		/* v2: 16 + len */
	size_t			 tlvpos;	/* v2: where the next TLV starts */
	uint8_t			 fam;		/* v2: family and protocol */
	uint8_t			 prev;		/* v2: the byte before */
};

/* Ready to parse a header. Returns 0. */
int	proxy_init(struct proxy *);
/*
 * Feed bytes. Consumes at most up to the header's last byte, never a
 * byte past it (that byte is the client's), and stores in *used_r how
 * many were consumed. Returns 1 when the header is complete (read
 * version, local, src, dst), 0 when all of len was consumed and more
 * is needed, -1 when the bytes are not a valid header (errstr says
 * why; every later call fails the same way).
 */
int	proxy_parse(struct proxy *, const void *buf, size_t len,
	    size_t *used_r);
void	proxy_free(struct proxy *);

#endif
