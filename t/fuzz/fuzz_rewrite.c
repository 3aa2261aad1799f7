/*
 * libFuzzer target for the greeting and EHLO rewrites (src/policy.c
 * policy_banner_render(), policy_ehlo_rebuild()), with the output
 * buffer sized the way session.c sizes it. A rewrite that the policy
 * wants must never fail (the reply would otherwise go unfiltered or the
 * session be lost), and what it writes must hold the policy:
 *
 *  - it always succeeds with the session's buffer size;
 *  - every line is "NNN-" or "NNN " text CRLF, the last one "NNN " (or
 *    "NNN" CRLF without text);
 *  - mask: every character after "NNN-"/"NNN " is '*';
 *  - EHLO: every line after the first is one policy_ehlo_keep() keeps,
 *    and CHUNKING and BINARYMIME never appear.
 *
 * Input: byte 0 picks the mode (pass, mask, replace, EHLO), byte 1 and
 * 2 the allowed extension mask; the rest is the reply's line texts,
 * separated by LF (CR and NUL are dropped, as no reply line holds them),
 * at most SMTP_REPLY_MAXLINES of them.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "smtp_reply.h"

#define FUZZ_CHECK(c)	do { if (!(c)) { fprintf(stderr,		\
	"fuzz_rewrite: check failed: %s\n", #c); abort(); } } while (0)

static const char	*host = "proxy.example";

/* One output line: code, separator, text; returns the text length. */
static size_t
fuzz_line(const char *p, const char *end, int code, int *last_r)
{
	const char	*eol;
	char		 want[4];

	snprintf(want, sizeof(want), "%03d", code);
	FUZZ_CHECK(end - p >= 5 && memcmp(p, want, 3) == 0);
	if (p[3] == '\r') {
		/* "NNN" CRLF: a last line without text. */
		FUZZ_CHECK(p[4] == '\n');
		*last_r = 1;
		return 0;
	}
	FUZZ_CHECK(end - p >= 6 && (p[3] == '-' || p[3] == ' '));
	*last_r = p[3] == ' ';
	eol = memchr(p + 4, '\r', (size_t)(end - p - 4));
	FUZZ_CHECK(eol != NULL && eol + 1 < end && eol[1] == '\n');
	return (size_t)(eol - (p + 4));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char	*lines[SMTP_REPLY_MAXLINES];
	char		*text, *out, *p, *end, save;
	size_t		 i, n = 0, o, bufsz, len, kwlen;
	uint32_t	 allowed, offered, ext;
	int		 mode, r, last = 0, code = 220, first = 1;

	if (size < 3)
		return 0;
	mode = data[0] % 4;
	allowed = (uint32_t)data[1] | (uint32_t)data[2] << 8;
	if ((text = malloc(size)) == NULL)
		abort();
	lines[n++] = text;
	for (i = 3, o = 0; i < size; i++) {
		if (data[i] == '\r' || data[i] == '\0')
			continue;
		if (data[i] == '\n') {
			if (n == SMTP_REPLY_MAXLINES)
				break;
			text[o++] = '\0';
			lines[n++] = text + o;
			continue;
		}
		text[o++] = (char)data[i];
	}
	text[o] = '\0';

	/* As session_reply_rewrite() sizes it. */
	bufsz = strlen(host) + strlen(host) + 64;
	for (i = 0; i < n; i++)
		bufsz += strlen(lines[i]) + 8;
	if ((out = malloc(bufsz)) == NULL)
		abort();
	if (mode == 3) {
		code = 250;
		r = policy_ehlo_rebuild(allowed, lines, n, data[0] & 4 ? host :
		    NULL, out, bufsz, &offered);
	} else
		r = policy_banner_render(mode == 0 ? POLICY_BANNER_PASS :
		    mode == 1 ? POLICY_BANNER_MASK : POLICY_BANNER_REPLACE,
		    host, 220, lines, n, out, bufsz);
	FUZZ_CHECK(r >= 0);

	for (p = out, end = out + r; p < end; first = 0) {
		FUZZ_CHECK(!last);
		len = fuzz_line(p, end, code, &last);
		if (mode == 1)
			for (i = 0; i < len; i++)
				FUZZ_CHECK(p[4 + i] == '*');
		if (mode == 3 && !first) {
			/* The line's text, NUL-terminated in place. */
			save = p[4 + len];
			p[4 + len] = '\0';
			FUZZ_CHECK(policy_ehlo_keep(allowed, p + 4, &ext) == 1);
			kwlen = strcspn(p + 4, " ");
			FUZZ_CHECK(!(kwlen == 8 &&
			    strncasecmp(p + 4, "CHUNKING", 8) == 0) &&
			    !(kwlen == 10 &&
			    strncasecmp(p + 4, "BINARYMIME", 10) == 0));
			p[4 + len] = save;
		}
		p += len == 0 && p[3] == '\r' ? 5 : 4 + len + 2;
	}
	FUZZ_CHECK(last);
	free(out);
	free(text);
	return 0;
}
