/*
 * Resumable CRLF line reader shared by the command and reply sides.
 *
 * RFC 5321 §2.3.8: lines end with CRLF and nothing else. A bare CR, a
 * bare LF or a NUL never ends a line; they stay in the line and are
 * reported in flags so the caller can raise alarm smtp:241. A line
 * longer than the limit is consumed and discarded up to its CRLF so the
 * dialog stays in step; it is reported with SMTP_LINE_OVERFLOW and only
 * its first max bytes are kept.
 */
#ifndef SMTPPROXY_SMTP_LINE_H
#define SMTPPROXY_SMTP_LINE_H

#include <stddef.h>

#define SMTP_LINE_BARE_CR	0x01	/* CR not followed by LF */
#define SMTP_LINE_BARE_LF	0x02	/* LF not preceded by CR */
#define SMTP_LINE_NUL		0x04	/* NUL byte */
#define SMTP_LINE_OVERFLOW	0x08	/* longer than max (CRLF included) */

struct smtp_line {
	char	*buf;		/* the line without its CRLF, NUL-terminated */
	size_t	 len;		/* bytes in buf (may contain NUL bytes) */
	size_t	 cap;		/* bytes buf has room for, NUL excluded */
	size_t	 max;		/* limit, CRLF included (RFC 5321: 512) */
	size_t	 total;		/* bytes of the line seen, CRLF excluded */
	int	 flags;		/* SMTP_LINE_* of the current line */
	int	 cr;		/* last byte seen was a CR */
	int	 done;		/* buf holds a complete line */
};

/* max is the line limit including CRLF; returns -1 if out of memory. */
int	smtp_line_init(struct smtp_line *, size_t max);
/*
 * Feed bytes. Consumes at most up to and including one line's CRLF and
 * stores in *used_r how many bytes were consumed. Returns 1 when a line
 * is complete (read buf, len, flags), 0 when all of len was consumed and
 * more is needed. The next call after a 1 starts a new line. Returns -1
 * if out of memory (the buffer grows with the line): the line is lost,
 * the caller gives up on the stream.
 */
int	smtp_line_parse(struct smtp_line *, const char *buf, size_t len,
	    size_t *used_r);
/* Forget any partial line (after STARTTLS, RFC 3207 §5). */
void	smtp_line_reset(struct smtp_line *);
void	smtp_line_free(struct smtp_line *);

#endif
