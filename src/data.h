/*
 * Message body (DATA) parser: pure, resumable, no I/O.
 *
 * RFC 5321 §4.1.1.4 and §4.5.2: the body is a sequence of lines ending
 * with CRLF; the end of data is a line holding a single "." — the bytes
 * CRLF "." CRLF, where the first CRLF is the previous line's (or the
 * start of the body). A line starting with "." had a dot added by the
 * client, which the receiver removes.
 *
 * Nothing but that exact sequence ends the message: a bare CR, a bare
 * LF or a NUL never does (SMTP smuggling, CVE-2023-51764/51765/51766).
 * The parser rebuilds the body as canonical lines: bare CR and bare LF
 * become CRLF line breaks, a NUL where a line starts is dropped (a NUL
 * inside a line is kept: it cannot end anything), and (with stuff set)
 * every output line starting with "." gets the proxy's own extra dot.
 * What it writes can therefore never contain an end of data, whatever
 * the client sent; what it saw is reported in flags for smtp:241.
 */
#ifndef SMTPPROXY_DATA_H
#define SMTPPROXY_DATA_H

#include <stddef.h>
#include <stdint.h>

#define DATA_BARE_CR	0x01
#define DATA_BARE_LF	0x02
#define DATA_NUL	0x04	/* NUL where a line starts (could hide a
				   dot: "CRLF NUL . CRLF") */
#define DATA_LONG_LINE	0x08	/* a line over max_line (CRLF included) */
#define DATA_NUL_TEXT	0x10	/* NUL inside a line's text */

struct data_parser {
	int		 state;		/* private */
	int		 flags;		/* DATA_* seen so far in this body */
	int		 stuff;		/* dot-stuff the output (wire form) */
	size_t		 max_line;	/* for DATA_LONG_LINE; 0: no check */
	size_t		 linelen;	/* private: current input line length */
	uint64_t	 bytes;		/* unstuffed body bytes written out */
	uint64_t	 lines;		/* complete lines written out */
	/*
	 * The header section (up to the first empty line) as sent: NUL,
	 * bare CR or bare LF there (smtp:122), which the rebuilt text no
	 * longer shows. Independent of flags.
	 */
	int		 header_bad;
	int		 in_header;	/* private */
	int		 hcr;		/* private: CR held */
	size_t		 hlen;		/* private: header line length */
};

/* stuff: 1 for the wire form sent upstream, 0 for the plain text. */
void	data_init(struct data_parser *, int stuff, size_t max_line);
/*
 * Consume up to inlen bytes of body. Writes the rebuilt body to out,
 * which must hold at least 2 * inlen + 2 bytes, and its length to
 * *outlen_r; *used_r gets the bytes of in consumed. Returns 1 when the
 * end of data was reached (its bytes are consumed, not written; a final
 * line without CRLF is completed with one), 0 when all of in was used
 * and more is needed.
 */
int	data_parse(struct data_parser *, const char *in, size_t inlen,
	    size_t *used_r, char *out, size_t *outlen_r);

/*
 * What a body with these DATA_* flags did, for the smtp:241 refusal:
 * "Bare CR or LF" or "NUL at the start of a line".
 */
const char *data_flags_text(int flags);

#endif
