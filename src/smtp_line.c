/*
 * Resumable CRLF line reader (RFC 5321 §2.3.8, §4.5.3.1.4).
 *
 * Only the two bytes CR LF end a line. A CR is held back until the next
 * byte is known: LF makes the pair a line end (also when the CR was the
 * last byte of one buffer and the LF the first of the next); anything
 * else makes it a bare CR that stays in the line. A bare LF and a NUL
 * also stay in the line. Each is reported in flags.
 *
 * The buffer never grows past max bytes: a longer line keeps its first
 * max bytes, the rest is read and dropped up to the CRLF, and the line
 * is returned at its CRLF with SMTP_LINE_OVERFLOW, so the dialog stays
 * in step with the peer whatever it sends. Up to max, it grows with the
 * line (doubling from SMTP_LINE_START bytes) and goes back to that once
 * a line longer than SMTP_LINE_KEEP is done: an idle session holds a
 * few hundred bytes, not the limit of an AUTH line or a long reply.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "smtp_line.h"

#define SMTP_LINE_START		256	/* bytes first allocated */
#define SMTP_LINE_KEEP		1024	/* kept between lines */

/* Start a new line, keeping a small buffer. */
static void
smtp_line_clear(struct smtp_line *l)
{
	char	*p;

	if (l->buf != NULL && l->cap > SMTP_LINE_KEEP &&
	    (p = realloc(l->buf, SMTP_LINE_START + 1)) != NULL) {
		l->buf = p;
		l->cap = SMTP_LINE_START;
	}
	l->len = 0;
	l->total = 0;
	l->flags = 0;
	l->cr = 0;
	l->done = 0;
	if (l->buf != NULL)
		l->buf[0] = '\0';
}

/*
 * Append one byte of line content. total counts every byte; only the
 * first max are stored. The line overflows once it cannot fit in max
 * with its CRLF. Returns 0, or -1 if the buffer could not grow.
 */
static int
smtp_line_add(struct smtp_line *l, char c)
{
	size_t	 cap;
	char	*p;

	l->total++;
	if (l->total + 2 > l->max)
		l->flags |= SMTP_LINE_OVERFLOW;
	if (l->len >= l->max)
		return 0;
	if (l->len == l->cap) {
		cap = l->cap * 2 < l->max ? l->cap * 2 : l->max;
		if ((p = realloc(l->buf, cap + 1)) == NULL)
			return -1;
		l->buf = p;
		l->cap = cap;
	}
	l->buf[l->len++] = c;
	l->buf[l->len] = '\0';
	return 0;
}

int
smtp_line_init(struct smtp_line *l, size_t max)
{
	memset(l, 0, sizeof(*l));
	l->max = max;
	l->cap = max < SMTP_LINE_START ? max : SMTP_LINE_START;
	if ((l->buf = malloc(l->cap + 1)) == NULL)
		return -1;
	smtp_line_clear(l);
	return 0;
}

int
smtp_line_parse(struct smtp_line *l, const char *buf, size_t len,
    size_t *used_r)
{
	size_t	 i;
	char	 c;

	if (l->done)
		smtp_line_clear(l);
	for (i = 0; i < len; i++) {
		c = buf[i];
		if (l->cr) {
			l->cr = 0;
			if (c == '\n') {
				l->done = 1;
				*used_r = i + 1;
				return 1;
			}
			/* The held CR was not followed by LF. */
			l->flags |= SMTP_LINE_BARE_CR;
			if (smtp_line_add(l, '\r') == -1)
				goto nomem;
		}
		switch (c) {
		case '\r':
			l->cr = 1;
			break;
		case '\n':
			l->flags |= SMTP_LINE_BARE_LF;
			break;
		case '\0':
			l->flags |= SMTP_LINE_NUL;
			break;
		}
		if (c != '\r' && smtp_line_add(l, c) == -1)
			goto nomem;
	}
	*used_r = len;
	return 0;
nomem:
	*used_r = i;
	return -1;
}

void
smtp_line_reset(struct smtp_line *l)
{
	smtp_line_clear(l);
}

void
smtp_line_free(struct smtp_line *l)
{
	free(l->buf);
	l->buf = NULL;
	l->cap = 0;
	l->len = 0;
	l->total = 0;
	l->flags = 0;
	l->cr = 0;
	l->done = 0;
}
