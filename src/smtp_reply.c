/*
 * SMTP reply parser (RFC 5321 §4.2, §4.2.1), one line at a time.
 *
 *   Reply-line = *( Reply-code "-" [ textstring ] CRLF )
 *                Reply-code [ SP textstring ] CRLF
 *   Reply-code = %x32-35 %x30-35 %x30-39
 *   textstring = 1*(%d09 / %d32-126)
 *
 * Every line of a multi-line reply carries the same code (§4.2.1). Text
 * bytes above 126 are accepted (RFC 6531 §3.7.4 lets UTF-8 appear in
 * replies); NUL and other controls but HT are not.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

void
smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof(*r));
}

/* Room for one more line start: 8 at first (most replies have fewer). */
static int
smtp_reply_grow(struct smtp_reply *r)
{
	size_t	*off;
	int	 cap = r->offcap == 0 ? 8 : r->offcap * 2;

	if (cap > SMTP_REPLY_MAXLINES)
		cap = SMTP_REPLY_MAXLINES;
	if ((off = realloc(r->off, (size_t)cap * sizeof(*off))) == NULL)
		return -1;
	r->off = off;
	r->offcap = cap;
	return 0;
}

/* Append len bytes and a NUL to the text buffer; -1 if out of memory. */
static int
smtp_reply_append(struct smtp_reply *r, const char *s, size_t len)
{
	char	*p;
	size_t	 cap;

	if (r->textcap - r->textlen < len + 1) {
		cap = r->textcap > 0 ? r->textcap : 128;
		while (cap - r->textlen < len + 1) {
			if (cap > SIZE_MAX / 2)
				return -1;
			cap *= 2;
		}
		if ((p = realloc(r->text, cap)) == NULL)
			return -1;
		r->text = p;
		r->textcap = cap;
	}
	memcpy(r->text + r->textlen, s, len);
	r->text[r->textlen + len] = '\0';
	r->textlen += len + 1;
	return 0;
}

int
smtp_reply_line(struct smtp_reply *r, const char *line, size_t len,
    const char **errstr_r)
{
	const unsigned char	*u = (const unsigned char *)line;
	size_t			 i;
	int			 code, last;

	if (len == 0) {
		*errstr_r = "empty reply line";
		return -1;
	}
	if (len < 3 || u[0] < '2' || u[0] > '5' || u[1] < '0' || u[1] > '5' ||
	    u[2] < '0' || u[2] > '9') {
		*errstr_r = "reply does not start with a valid code";
		return -1;
	}
	code = (u[0] - '0') * 100 + (u[1] - '0') * 10 + (u[2] - '0');
	if (len == 3 || u[3] == ' ')
		last = 1;
	else if (u[3] == '-')
		last = 0;
	else {
		*errstr_r = "reply code not followed by space or hyphen";
		return -1;
	}
	for (i = 4; i < len; i++)
		if ((u[i] < 32 && u[i] != '\t') || u[i] == 127) {
			*errstr_r = "control character in reply";
			return -1;
		}
	if (r->nlines > 0 && code != r->code) {
		*errstr_r = "reply code changes between lines";
		return -1;
	}
	if (r->nlines >= SMTP_REPLY_MAXLINES) {
		*errstr_r = "too many reply lines";
		return -1;
	}
	if (r->nlines == r->offcap && smtp_reply_grow(r) == -1) {
		*errstr_r = "out of memory";
		return -1;
	}
	r->off[r->nlines] = r->textlen;
	if (smtp_reply_append(r, len > 4 ? line + 4 : "",
	    len > 4 ? len - 4 : 0) == -1) {
		*errstr_r = "out of memory";
		return -1;
	}
	r->code = code;
	r->nlines++;
	return last;
}

const char *
smtp_reply_text(const struct smtp_reply *r, int i)
{
	if (i < 0 || i >= r->nlines || r->text == NULL)
		return "";
	return r->text + r->off[i];
}

void
smtp_reply_clear(struct smtp_reply *r)
{
	r->code = 0;
	r->nlines = 0;
	r->textlen = 0;
}

void
smtp_reply_free(struct smtp_reply *r)
{
	free(r->text);
	r->text = NULL;
	free(r->off);
	r->off = NULL;
	r->offcap = 0;
	r->textlen = 0;
	r->textcap = 0;
	r->code = 0;
	r->nlines = 0;
}
