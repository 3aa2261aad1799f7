/*
 * Message body (DATA) parser: a byte-at-a-time state machine, so any
 * split of the input between calls gives the same result.
 *
 * RFC 5321 §4.1.1.4: the body ends with CRLF "." CRLF, the first CRLF
 * being the end of the previous line (or the start of the body, for an
 * empty message). §4.5.2: a line is the bytes up to CRLF; if its first
 * byte is "." and it is not the end of data, the "." is removed.
 *
 * A "line" here is what RFC 5321 calls one: it ends with CRLF only. A
 * bare CR or bare LF inside it is rewritten as a line break of the
 * output, but does not start a new input line, so a "." after it is
 * neither the end of data nor a stuffed dot. NUL bytes are dropped.
 * With stuff set, every output line that starts with "." gets one more
 * (§4.5.2, sender side), so the output never holds a line made of a
 * single "."; without it the output is the plain text.
 *
 * The terminator decision needs up to two bytes of look-ahead (".",
 * CR), kept in the state across calls. Neither byte is written before
 * it is known not to be part of the terminator; a held "." is either
 * the terminator or a stuffed dot, so it is never written.
 *
 * The terminator can only follow a real CRLF, which is written as soon
 * as its LF is seen, so at the end of data the last output line is
 * always complete: no CRLF ever needs to be added.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "data.h"

enum data_state {
	DATA_S_BOL,	/* start of an input line, output line empty */
	DATA_S_DOT,	/* start of an input line, "." held */
	DATA_S_DOTCR,	/* start of an input line, "." CR held */
	DATA_S_OBOL,	/* inside an input line, output line empty */
	DATA_S_TEXT,	/* inside an input line and an output line */
	DATA_S_CR,	/* CR held inside a line */
	DATA_S_END	/* end of data seen */
};

void
data_init(struct data_parser *d, int stuff, size_t max_line)
{
	d->state = DATA_S_BOL;
	d->flags = 0;
	d->stuff = stuff;
	d->max_line = max_line;
	d->linelen = 0;
	d->bytes = 0;
	d->lines = 0;
	d->header_bad = 0;
	d->in_header = 1;
	d->hcr = 0;
	d->hlen = 0;
}

/*
 * The header section as sent (RFC 5322 §2.2: CRLF-terminated lines, no
 * NUL), up to the first empty line. Only records; the body parser's
 * flags and output are unaffected.
 */
static void
data_header(struct data_parser *d, char c)
{
	if (d->hcr) {
		d->hcr = 0;
		if (c == '\n') {
			if (d->hlen == 0)
				d->in_header = 0;
			d->hlen = 0;
			return;
		}
		d->header_bad = 1;	/* bare CR */
	}
	if (c == '\r') {
		d->hcr = 1;
		return;
	}
	if (c == '\n' || c == '\0')
		d->header_bad = 1;
	d->hlen++;
}

/* Count one more input byte of the current output line. */
static void
data_count(struct data_parser *d)
{
	d->linelen++;
	if (d->max_line > 0 && d->linelen + 2 > d->max_line)
		d->flags |= DATA_LONG_LINE;
}

/* Write a line break: CRLF for a real one, a bare CR or a bare LF. */
static size_t
data_break(struct data_parser *d, char *out)
{
	out[0] = '\r';
	out[1] = '\n';
	d->linelen = 0;
	d->bytes += 2;
	d->lines++;
	return 2;
}

/* Write the first byte of an output line, stuffing a leading ".". */
static size_t
data_first(struct data_parser *d, char c, char *out)
{
	size_t	 n = 0;

	if (c == '.' && d->stuff)
		out[n++] = '.';
	out[n++] = c;
	d->bytes++;
	data_count(d);
	return n;
}

/*
 * One byte inside a line (states OBOL and TEXT). CR is held; bare LF
 * becomes a break; NUL is dropped at a line start, kept inside a line.
 * Returns the bytes written.
 */
static size_t
data_text(struct data_parser *d, char c, char *out)
{
	switch (c) {
	case '\r':
		d->state = DATA_S_CR;
		return 0;
	case '\n':
		d->flags |= DATA_BARE_LF;
		d->state = DATA_S_OBOL;
		return data_break(d, out);
	case '\0':
		/*
		 * At a line start a NUL could hide a dot from a lax server:
		 * dropped (and smtp:241). Inside a line it hides nothing
		 * and is the sender's: relayed as sent, as MTAs keep it.
		 */
		data_count(d);
		if (d->state == DATA_S_OBOL) {
			d->flags |= DATA_NUL;
			return 0;
		}
		d->flags |= DATA_NUL_TEXT;
		out[0] = c;
		d->bytes++;
		return 1;
	default:
		break;
	}
	if (d->state == DATA_S_OBOL) {
		d->state = DATA_S_TEXT;
		return data_first(d, c, out);
	}
	out[0] = c;
	d->bytes++;
	data_count(d);
	return 1;
}

/*
 * A held CR turned out bare: write it as a break, then handle c as a
 * byte inside the same input line.
 */
static size_t
data_bare_cr(struct data_parser *d, char c, char *out)
{
	size_t	 n;

	d->flags |= DATA_BARE_CR;
	n = data_break(d, out);
	d->state = DATA_S_OBOL;
	return n + data_text(d, c, out + n);
}

/*
 * The end of a run of ordinary bytes that starts at in[i]: the first CR,
 * LF or NUL at or after i, or inlen. Searched with memchr, which works a
 * vector at a time, not a byte at a time: every body byte goes through
 * here.
 */
static size_t
data_run(const char *in, size_t i, size_t inlen)
{
	const char	*end = in + inlen, *p;

	if ((p = memchr(in + i, '\n', inlen - i)) != NULL)
		end = p;
	if ((p = memchr(in + i, '\r', (size_t)(end - (in + i)))) != NULL)
		end = p;
	if ((p = memchr(in + i, '\0', (size_t)(end - (in + i)))) != NULL)
		end = p;
	return (size_t)(end - in);
}

/*
 * The fast path, from an ordinary byte in[i] inside a line: runs of
 * ordinary bytes are copied as they are, and so are the CRLFs between
 * lines that start with an ordinary byte other than "." - what the
 * state machine would do byte by byte, BOL, OBOL, TEXT, CR, BOL. Stops
 * before anything else (CR, LF or NUL not in such a CRLF, a line start
 * with ".", the end of in); the state is TEXT then. Returns where it
 * stopped.
 */
static size_t
data_lines(struct data_parser *d, const char *in, size_t i, size_t inlen,
    char *out, size_t *o_r)
{
	size_t	 k, o = *o_r;
	char	 c;

	for (;;) {
		k = data_run(in, i + 1, inlen);
		memcpy(out + o, in + i, k - i);
		o += k - i;
		d->bytes += k - i;
		d->linelen += k - i;
		if (d->max_line > 0 && d->linelen + 2 > d->max_line)
			d->flags |= DATA_LONG_LINE;
		if (inlen - k < 3 || in[k] != '\r' || in[k + 1] != '\n')
			break;
		c = in[k + 2];
		if (c == '.' || c == '\r' || c == '\n' || c == '\0')
			break;
		o += data_break(d, out + o);
		i = k + 2;
	}
	*o_r = o;
	return k;
}

/*
 * Output bound: each input byte writes at most 2 bytes ("..", or CRLF
 * for a bare line end); a CR held from the previous call may add its
 * own 2 here. Hence 2 * inlen + 2 (data.h).
 */
int
data_parse(struct data_parser *d, const char *in, size_t inlen,
    size_t *used_r, char *out, size_t *outlen_r)
{
	size_t	 i, o = 0;
	char	 c;

	*outlen_r = 0;
	if (d->state == DATA_S_END) {
		*used_r = 0;
		return 1;
	}
	for (i = 0; i < inlen; i++) {
		c = in[i];
		if (d->in_header)
			data_header(d, c);
		switch (d->state) {
		case DATA_S_BOL:
			if (c == '.') {
				d->linelen = 1;
				d->state = DATA_S_DOT;
				break;
			}
			/* Even a bare LF or a NUL ends the line start. */
			d->state = DATA_S_OBOL;
			o += data_text(d, c, out + o);
			break;
		case DATA_S_DOT:
			if (c == '\r') {
				d->state = DATA_S_DOTCR;
				break;
			}
			/* "." and more on the line: a stuffed dot. */
			d->state = DATA_S_OBOL;
			o += data_text(d, c, out + o);
			break;
		case DATA_S_DOTCR:
			if (c == '\n') {
				/* CRLF "." CRLF (§4.1.1.4). */
				d->state = DATA_S_END;
				d->linelen = 0;
				*used_r = i + 1;
				*outlen_r = o;
				return 1;
			}
			/* ".", bare CR, more: the dot was stuffed. */
			o += data_bare_cr(d, c, out + o);
			break;
		case DATA_S_CR:
			if (c == '\n') {
				o += data_break(d, out + o);
				d->state = DATA_S_BOL;
				break;
			}
			o += data_bare_cr(d, c, out + o);
			break;
		case DATA_S_TEXT:
			if (c != '\r' && c != '\n' && c != '\0' &&
			    !d->in_header) {
				i = data_lines(d, in, i, inlen, out, &o) - 1;
				break;
			}
			/* FALLTHROUGH */
		case DATA_S_OBOL:
			o += data_text(d, c, out + o);
			break;
		default:
			break;
		}
	}
	*used_r = inlen;
	*outlen_r = o;
	return 0;
}

const char *
data_flags_text(int flags)
{
	return flags & (DATA_BARE_CR | DATA_BARE_LF) ? "Bare CR or LF" :
	    "NUL at the start of a line";
}
