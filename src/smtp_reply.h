/*
 * SMTP reply parser (RFC 5321 §4.2): pure, no I/O, fed one line at a
 * time by smtp_line.
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 */
#ifndef SMTPPROXY_SMTP_REPLY_H
#define SMTPPROXY_SMTP_REPLY_H

#include <stddef.h>

#define SMTP_REPLY_MAXLINES	128	/* more lines: an invalid reply */

struct smtp_reply {
	int	 code;			/* 200..559, 0 before the first line */
	int	 nlines;
	char	*text;			/* lines' text after "NNN-"/"NNN ",
					   each NUL-terminated, back to back */
	size_t	 textlen, textcap;
	size_t	*off;			/* line i starts at text+off[i] */
	int	 offcap;		/* entries off has room for */
};

void	smtp_reply_init(struct smtp_reply *);
/*
 * Feed one line (without CRLF). Returns 1 when this was the last line
 * of the reply, 0 when more lines follow, -1 with *errstr_r when the
 * line is not "NNN-text" / "NNN text" / "NNN", has a code outside
 * 2xx-5xx, changes code between lines of one reply, contains NUL or
 * control characters other than HT, or the reply has too many lines.
 * After 1 or -1 call smtp_reply_clear() before the next reply.
 */
int	smtp_reply_line(struct smtp_reply *, const char *line, size_t len,
	    const char **errstr_r);
/* Text of line i (0-based), NUL-terminated. */
const char *smtp_reply_text(const struct smtp_reply *, int i);
void	smtp_reply_clear(struct smtp_reply *);
void	smtp_reply_free(struct smtp_reply *);

#endif
