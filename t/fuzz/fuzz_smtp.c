/*
 * libFuzzer target for the pure SMTP parsers: the input is read as a
 * client command stream (smtp_line, smtp_cmd_parse, smtp_cmd_path,
 * smtp_cmd_param), as an upstream reply stream (smtp_reply_line) and as
 * a message body (data_parse).
 *
 * Checked invariants (abort() on violation):
 *  - smtp_line and data_parse give the same result whole and in chunks;
 *  - a line never holds more than its limit;
 *  - replies have codes 200-559 and at most SMTP_REPLY_MAXLINES lines;
 *  - an accepted path fits its limits and holds no control or space
 *    outside a quoted local part;
 *  - the wire form of a body has no bare CR, bare LF or NUL and no
 *    end of data ("." alone after a line start), and a strict receiver
 *    reading it sees exactly the parser's plain text.
 *
 * Build (not part of make):
 *   clang -fsanitize=fuzzer,address -Isrc -I. t/fuzz/fuzz_smtp.c \
 *       src/smtp_line.c src/smtp_cmd.c src/smtp_reply.c src/data.c
 *   ./a.out -max_total_time=30 t/fuzz/corpus/smtp
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "data.h"
#include "smtp_cmd.h"
#include "smtp_line.h"
#include "smtp_reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(e)	do { if (!(e)) abort(); } while (0)

/* FNV-1a over a line's bytes and attributes, to compare two runs. */
static uint64_t
fuzz_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*u = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= u[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
fuzz_path(const struct smtp_cmd *cmd, int smtputf8)
{
	char		 path[321], val[32];
	const char	*params, *errstr, *prefix;
	size_t		 i, n;
	int		 quoted = 0;

	prefix = cmd->verb == SMTP_CMD_MAIL ? "FROM:" : "TO:";
	if (smtp_cmd_path(cmd->args, cmd->argslen, prefix, 256, smtputf8,
	    path, sizeof(path), &params, &errstr) == -1) {
		FUZZ_CHECK(errstr != NULL);
		return;
	}
	n = strlen(path);
	FUZZ_CHECK(n <= 256);
	for (i = 0; i < n; i++) {
		FUZZ_CHECK((unsigned char)path[i] >= 0x20 &&
		    path[i] != 0x7f);
		FUZZ_CHECK(smtputf8 || (unsigned char)path[i] < 0x80);
		if (quoted && path[i] == '\\')
			i++;
		else if (path[i] == '"')
			quoted = !quoted;
		else
			FUZZ_CHECK(quoted || path[i] != ' ');
	}
	FUZZ_CHECK(!quoted);
	FUZZ_CHECK(params >= cmd->args || *params == '\0');
	(void)smtp_cmd_param(params, "SIZE", val, sizeof(val));
	(void)smtp_cmd_param(params, "BODY", NULL, 0);
}

/*
 * The command and reply sides. Returns a hash of the lines seen, so
 * that the caller can compare two feeding schedules.
 */
static uint64_t
fuzz_lines(const uint8_t *data, size_t size, size_t max, size_t chunk,
    int smtputf8)
{
	struct smtp_line	 l;
	struct smtp_reply	 r;
	struct smtp_cmd		 cmd;
	const char		*in = (const char *)data, *errstr;
	uint64_t		 h = 0xcbf29ce484222325ULL;
	size_t			 pos = 0, n, used;
	int			 rc, i;

	if (smtp_line_init(&l, max) == -1)
		abort();
	smtp_reply_init(&r);
	while (pos < size) {
		n = size - pos < chunk ? size - pos : chunk;
		rc = smtp_line_parse(&l, in + pos, n, &used);
		FUZZ_CHECK(used <= n && (rc == 1 || used == n));
		FUZZ_CHECK(l.len <= max && l.buf[l.len] == '\0');
		pos += used;
		if (rc != 1)
			continue;
		FUZZ_CHECK(l.total >= l.len);
		FUZZ_CHECK(!!(l.flags & SMTP_LINE_OVERFLOW) ==
		    (l.total + 2 > max));
		FUZZ_CHECK(!!(l.flags & SMTP_LINE_NUL) ==
		    (memchr(l.buf, '\0', l.len) != NULL) ||
		    (l.flags & SMTP_LINE_OVERFLOW));
		h = fuzz_hash(h, &l.len, sizeof(l.len));
		h = fuzz_hash(h, &l.total, sizeof(l.total));
		h = fuzz_hash(h, &l.flags, sizeof(l.flags));
		h = fuzz_hash(h, l.buf, l.len);

		if (smtp_cmd_parse(l.buf, l.len, &cmd, &errstr) == 0) {
			FUZZ_CHECK(cmd.verb >= SMTP_CMD_UNKNOWN &&
			    cmd.verb < SMTP_CMD_COUNT);
			FUZZ_CHECK(strlen(cmd.name) >= 1 &&
			    strlen(cmd.name) <= 15);
			FUZZ_CHECK(cmd.argslen == 0 ||
			    (cmd.args > l.buf &&
			    cmd.args + cmd.argslen == l.buf + l.len));
			if (cmd.verb == SMTP_CMD_MAIL ||
			    cmd.verb == SMTP_CMD_RCPT)
				fuzz_path(&cmd, smtputf8);
		} else
			FUZZ_CHECK(errstr != NULL);

		rc = smtp_reply_line(&r, l.buf, l.len, &errstr);
		if (rc >= 0) {
			FUZZ_CHECK(r.code >= 200 && r.code <= 559);
			FUZZ_CHECK(r.nlines >= 1 &&
			    r.nlines <= SMTP_REPLY_MAXLINES);
			for (i = 0; i < r.nlines; i++)
				FUZZ_CHECK(strlen(smtp_reply_text(&r, i)) <
				    max);
		}
		if (rc != 0)
			smtp_reply_clear(&r);
	}
	smtp_reply_free(&r);
	smtp_line_free(&l);
	return h;
}

struct fuzz_body {
	int		 rc;
	size_t		 used;
	char		*out;
	size_t		 outlen;
	int		 flags;
	uint64_t	 bytes, lines;
};

/* Run data_parse over in, chunk bytes at a time. */
static void
fuzz_data(const char *in, size_t size, int stuff, size_t chunk,
    struct fuzz_body *b)
{
	struct data_parser	 d;
	size_t			 pos = 0, n, used, outlen;
	int			 rc = 0;

	memset(b, 0, sizeof(*b));
	if ((b->out = malloc(2 * size + 2)) == NULL)
		abort();
	data_init(&d, stuff, 1000);
	while (rc == 0 && pos < size) {
		n = size - pos < chunk ? size - pos : chunk;
		rc = data_parse(&d, in + pos, n, &used, b->out + b->outlen,
		    &outlen);
		FUZZ_CHECK(used <= n && (rc == 1 || used == n));
		FUZZ_CHECK(outlen <= 2 * n + 2);
		b->outlen += outlen;
		pos += used;
	}
	b->rc = rc;
	b->used = pos;
	b->flags = d.flags;
	b->bytes = d.bytes;
	b->lines = d.lines;
}

/*
 * No bare CR, bare LF or NUL at a line start (a NUL inside a line is
 * relayed as sent); every leading "." is stuffed.
 */
static void
fuzz_wire_safe(const char *p, size_t len)
{
	size_t	 i;
	int	 bol = 1;

	for (i = 0; i < len; i++) {
		FUZZ_CHECK(!bol || p[i] != '\0');
		FUZZ_CHECK(p[i] != '\r' || (i + 1 < len && p[i + 1] == '\n'));
		FUZZ_CHECK(p[i] != '\n' || (i > 0 && p[i - 1] == '\r'));
		/* A line starting with "." starts with "..": stuffed. */
		FUZZ_CHECK(!bol || p[i] != '.' ||
		    (i + 1 < len && p[i + 1] == '.'));
		bol = p[i] == '\n';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_body	 whole, chunked, plain, again;
	const char		*in = (const char *)data;
	char			*wire;
	size_t			 max, chunk;
	uint64_t		 h1, h2;

	if (size == 0)
		return 0;
	/* The first byte picks the limits; all bytes are parsed. */
	max = 3 + (size_t)(data[0] & 0x3f) * 9;
	chunk = 1 + (data[0] >> 6) * 3;

	h1 = fuzz_lines(data, size, max, size, data[0] & 1);
	h2 = fuzz_lines(data, size, max, chunk, data[0] & 1);
	FUZZ_CHECK(h1 == h2);
	h2 = fuzz_lines(data, size, max, 1, data[0] & 1);
	FUZZ_CHECK(h1 == h2);

	fuzz_data(in, size, 1, size, &whole);
	fuzz_data(in, size, 1, 1, &chunked);
	FUZZ_CHECK(whole.rc == chunked.rc && whole.used == chunked.used &&
	    whole.flags == chunked.flags && whole.outlen == chunked.outlen &&
	    memcmp(whole.out, chunked.out, whole.outlen) == 0);
	fuzz_wire_safe(whole.out, whole.outlen);
	fuzz_data(in, size, 0, chunk, &plain);
	FUZZ_CHECK(plain.rc == whole.rc && plain.used == whole.used &&
	    plain.flags == whole.flags && plain.bytes == whole.bytes &&
	    plain.lines == whole.lines && plain.outlen == plain.bytes);

	/*
	 * At the end of data the wire form ends with CRLF (or is empty):
	 * a strict receiver reading it and a terminator stops exactly at
	 * the terminator and reads our plain text.
	 */
	if (whole.rc == 1) {
		FUZZ_CHECK(whole.outlen == 0 ||
		    (whole.outlen >= 2 && whole.out[whole.outlen - 1] == '\n'));
		if ((wire = malloc(whole.outlen + 3)) == NULL)
			abort();
		memcpy(wire, whole.out, whole.outlen);
		memcpy(wire + whole.outlen, ".\r\n", 3);
		fuzz_data(wire, whole.outlen + 3, 0, whole.outlen + 3, &again);
		FUZZ_CHECK(again.rc == 1 && again.used == whole.outlen + 3);
		/* NULs inside lines are relayed as sent, nothing else. */
		FUZZ_CHECK((again.flags & ~(DATA_LONG_LINE |
		    DATA_NUL_TEXT)) == 0);
		FUZZ_CHECK(again.outlen == plain.outlen &&
		    memcmp(again.out, plain.out, plain.outlen) == 0);
		free(again.out);
		free(wire);
	}
	free(whole.out);
	free(chunked.out);
	free(plain.out);
	return 0;
}
