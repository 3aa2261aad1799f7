/*
 * PROXY protocol header parser (HAProxy's proxy-protocol.txt).
 *
 * Version 1 (§2.1), one line of printable US-ASCII:
 *
 *	"PROXY" SP ( "TCP4" | "TCP6" ) SP srcaddr SP dstaddr SP
 *	    srcport SP dstport CRLF
 *	"PROXY" SP "UNKNOWN" [ SP anything ] CRLF
 *
 * 107 bytes at most with its CRLF; addresses as inet_pton(3) reads
 * them (dotted quad for TCP4, RFC 4291 text for TCP6), ports decimal
 * 0-65535 without leading zeros; single spaces. UNKNOWN: the rest of
 * the line is ignored and the connection's own endpoints are used.
 *
 * Version 2 (§2.2), binary:
 *
 *	12 bytes  \r\n\r\n\0\r\nQUIT\n
 *	1 byte    version (high nibble, 2) and command (low: 0 LOCAL,
 *	          1 PROXY; anything else is refused)
 *	1 byte    family (high: 0 UNSPEC, 1 INET, 2 INET6, 3 UNIX) and
 *	          transport (low: 0 UNSPEC, 1 STREAM, 2 DGRAM)
 *	2 bytes   len, network order: the bytes that follow
 *	len bytes addresses (INET 12, INET6 36, UNIX 216), then TLVs
 *	          (1 byte type, 2 bytes length, value)
 *
 * LOCAL (a balancer's own connection, a health check): the rest is
 * skipped and the real endpoints stand. PROXY over UNSPEC or UNIX: the
 * receiver may use the real endpoints (§2.2), and does. Datagrams are
 * refused (this is a stream service). TLVs are skipped, but must tile
 * the rest of the header exactly. A header past PROXY_V2_MAX is
 * refused.
 *
 * The parser never consumes a byte past the header: the client's
 * first bytes follow it in the same segment.
 */
#include "autoconf.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdlib.h>
#include <string.h>

#include "proxy.h"

enum proxy_state {
	PROXY_S_START,		/* first byte: 'P' or '\r' */
	PROXY_S_V1,		/* in the line */
	PROXY_S_V2,		/* in the binary header */
	PROXY_S_DONE,
	PROXY_S_ERROR
};

static const char	proxy_v1_prefix[] = "PROXY ";
static const uint8_t	proxy_v2_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

#define PROXY_CMD_LOCAL		0x0
#define PROXY_CMD_PROXY		0x1
#define PROXY_FAM_UNSPEC	0x00
#define PROXY_FAM_TCP4		0x11
#define PROXY_FAM_TCP6		0x21
#define PROXY_FAM_UNIX_STREAM	0x31
#define PROXY_ADDR_INET		12
#define PROXY_ADDR_INET6	36
#define PROXY_ADDR_UNIX		216

static int
proxy_fail(struct proxy *p, const char *why)
{
	p->state = PROXY_S_ERROR;
	p->errstr = why;
	return -1;
}

/* A decimal port: 1 to 5 digits, no leading zero, 65535 at most. */
static int
proxy_port(const char *s, uint16_t *port_r)
{
	unsigned long	 v = 0;
	size_t		 i, n = strlen(s);

	if (n == 0 || n > 5 || (n > 1 && s[0] == '0'))
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port_r = (uint16_t)v;
	return 0;
}

static int
proxy_v1_addr(int af, const char *addr, const char *port,
    struct sockaddr_storage *ss, socklen_t *len_r)
{
	struct sockaddr_in	*sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)ss;
	uint16_t		 pn;

	memset(ss, 0, sizeof(*ss));
	if (proxy_port(port, &pn) == -1)
		return -1;
	if (af == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(pn);
		*len_r = sizeof(*sin);
		return inet_pton(AF_INET, addr, &sin->sin_addr) == 1 ? 0 : -1;
	}
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(pn);
	*len_r = sizeof(*sin6);
	return inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1 ? 0 : -1;
}

/* The complete line, CRLF included, is in p->buf[0 .. p->pos). */
static int
proxy_v1_line(struct proxy *p)
{
	char	 line[PROXY_V1_MAX + 1], *tok[6], *s;
	size_t	 n = 0;
	int	 af;

	memcpy(line, p->buf, p->pos - 2);
	line[p->pos - 2] = '\0';
	s = line + sizeof(proxy_v1_prefix) - 1;
	if (strncmp(s, "UNKNOWN", 7) == 0 && (s[7] == '\0' || s[7] == ' ')) {
		p->local = 1;
		return 1;
	}
	/* Single spaces: an empty field is an error. */
	for (s = line; n < 6; n++) {
		tok[n] = s;
		if ((s = strchr(s, ' ')) == NULL) {
			n++;
			break;
		}
		*s++ = '\0';
	}
	if (n != 6 || s != NULL)
		return proxy_fail(p, "version 1: not six fields");
	if (strcmp(tok[1], "TCP4") == 0)
		af = AF_INET;
	else if (strcmp(tok[1], "TCP6") == 0)
		af = AF_INET6;
	else
		return proxy_fail(p, "version 1: protocol is not TCP4, TCP6 "
		    "or UNKNOWN");
	if (proxy_v1_addr(af, tok[2], tok[4], &p->src, &p->srclen) == -1)
		return proxy_fail(p, "version 1: bad source address or port");
	if (proxy_v1_addr(af, tok[3], tok[5], &p->dst, &p->dstlen) == -1)
		return proxy_fail(p, "version 1: bad destination address or "
		    "port");
	return 1;
}

static int
proxy_v1_byte(struct proxy *p, unsigned char c)
{
	unsigned char	 prev = p->pos > 0 ? (unsigned char)p->buf[p->pos - 1] :
			    0;

	if (p->pos >= PROXY_V1_MAX)
		return proxy_fail(p, "version 1: longer than 107 bytes");
	p->buf[p->pos++] = (char)c;
	if (p->pos <= sizeof(proxy_v1_prefix) - 1) {
		if (c != (unsigned char)proxy_v1_prefix[p->pos - 1])
			return proxy_fail(p, "not a PROXY protocol header");
		return 0;
	}
	if (prev == '\r' && c != '\n')
		return proxy_fail(p, "version 1: bare CR");
	if (c == '\n') {
		if (prev != '\r')
			return proxy_fail(p, "version 1: bare LF");
		return proxy_v1_line(p);
	}
	if (c != '\r' && (c < 0x20 || c > 0x7e))
		return proxy_fail(p, "version 1: control or non-ASCII byte");
	return 0;
}

/* The fixed 16 bytes are in: what follows, and how it is read. */
static int
proxy_v2_head(struct proxy *p)
{
	const uint8_t	*b = (const uint8_t *)p->buf;
	size_t		 len, addr;

	len = (size_t)b[14] << 8 | b[15];
	p->total = PROXY_V2_HEAD + len;
	if (p->total > PROXY_V2_MAX)
		return proxy_fail(p, "version 2: longer than 4096 bytes");
	p->fam = b[13];
	if ((b[12] & 0x0f) == PROXY_CMD_LOCAL) {
		p->local = 1;
		p->tlvpos = p->total;	/* all skipped */
		return 0;
	}
	switch (p->fam) {
	case PROXY_FAM_TCP4:
		addr = PROXY_ADDR_INET;
		break;
	case PROXY_FAM_TCP6:
		addr = PROXY_ADDR_INET6;
		break;
	case PROXY_FAM_UNSPEC:
		p->local = 1;
		addr = 0;
		break;
	case PROXY_FAM_UNIX_STREAM:
		p->local = 1;
		addr = PROXY_ADDR_UNIX;
		break;
	default:
		if ((p->fam & 0x0f) == 0x2)
			return proxy_fail(p, "version 2: a datagram "
			    "connection");
		return proxy_fail(p, "version 2: unknown address family or "
		    "transport");
	}
	if (len < addr)
		return proxy_fail(p, "version 2: address block truncated");
	p->tlvpos = PROXY_V2_HEAD + addr;
	return 0;
}

static void
proxy_v2_addrs(struct proxy *p)
{
	const uint8_t		*b = (const uint8_t *)p->buf + PROXY_V2_HEAD;
	struct sockaddr_in	*s4 = (struct sockaddr_in *)&p->src;
	struct sockaddr_in	*d4 = (struct sockaddr_in *)&p->dst;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&p->src;
	struct sockaddr_in6	*d6 = (struct sockaddr_in6 *)&p->dst;

	memset(&p->src, 0, sizeof(p->src));
	memset(&p->dst, 0, sizeof(p->dst));
	if (p->fam == PROXY_FAM_TCP4) {
		s4->sin_family = d4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, b, 4);
		memcpy(&d4->sin_addr, b + 4, 4);
		memcpy(&s4->sin_port, b + 8, 2);
		memcpy(&d4->sin_port, b + 10, 2);
		p->srclen = p->dstlen = sizeof(*s4);
		return;
	}
	s6->sin6_family = d6->sin6_family = AF_INET6;
	memcpy(&s6->sin6_addr, b, 16);
	memcpy(&d6->sin6_addr, b + 16, 16);
	memcpy(&s6->sin6_port, b + 32, 2);
	memcpy(&d6->sin6_port, b + 34, 2);
	p->srclen = p->dstlen = sizeof(*s6);
}

static int
proxy_v2_byte(struct proxy *p, unsigned char c)
{
	size_t	 at = p->pos++;

	if (at < sizeof(p->buf))
		p->buf[at] = (char)c;
	if (at < sizeof(proxy_v2_sig)) {
		if (c != proxy_v2_sig[at])
			return proxy_fail(p, "version 2: bad signature");
		return 0;
	}
	if (at == 12 && ((c >> 4) != 2 ||
	    ((c & 0x0f) != PROXY_CMD_LOCAL && (c & 0x0f) != PROXY_CMD_PROXY)))
		return proxy_fail(p, (c >> 4) != 2 ? "version 2: unsupported "
		    "version" : "version 2: unknown command");
	if (at == PROXY_V2_HEAD - 1 && proxy_v2_head(p) == -1)
		return -1;
	/* A TLV: its type at tlvpos, its length in the next two bytes. */
	if (at >= PROXY_V2_HEAD && at == p->tlvpos + 2) {
		p->tlvpos += 3 + ((size_t)p->prev << 8 | c);
		if (p->tlvpos > p->total)
			return proxy_fail(p, "version 2: a TLV runs past the "
			    "header");
	}
	p->prev = c;
	if (at + 1 < PROXY_V2_HEAD || at + 1 < p->total)
		return 0;
	if (p->tlvpos != p->total)
		return proxy_fail(p, "version 2: truncated TLV");
	if (!p->local)
		proxy_v2_addrs(p);
	return 1;
}

int
proxy_init(struct proxy *p)
{
	memset(p, 0, sizeof(*p));
	p->state = PROXY_S_START;
	return 0;
}

int
proxy_parse(struct proxy *p, const void *buf, size_t len, size_t *used_r)
{
	const unsigned char	*b = buf;
	size_t			 i;
	int			 r = 0;

	*used_r = 0;
	if (p->state == PROXY_S_ERROR)
		return -1;
	if (p->state == PROXY_S_DONE)
		return 1;
	for (i = 0; i < len && r == 0; i++) {
		if (p->state == PROXY_S_START) {
			if (b[i] == proxy_v1_prefix[0]) {
				p->state = PROXY_S_V1;
				p->version = 1;
			} else if (b[i] == proxy_v2_sig[0]) {
				p->state = PROXY_S_V2;
				p->version = 2;
			} else {
				r = proxy_fail(p, "not a PROXY protocol "
				    "header");
				break;
			}
		}
		r = p->state == PROXY_S_V1 ? proxy_v1_byte(p, b[i]) :
		    proxy_v2_byte(p, b[i]);
	}
	*used_r = i;
	if (r == 1)
		p->state = PROXY_S_DONE;
	return r;
}

void
proxy_free(struct proxy *p)
{
	(void)p;
}
