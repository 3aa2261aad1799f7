/*
 * Unit tests for the streaming MIME parser (src/mime.c) and its base64
 * decoder (src/b64.c).
 *
 * Each vector is a message (a fixture under t/mime/, or inline) with
 * what the parser must report: the leaf parts in order (depth, type,
 * file name, disposition, encoding, exact decoded bytes or their size
 * and FNV-1a hash), mime_nparts(), the flags and their details. Every
 * vector is fed under every schedule of tu_sched_get() (whole, a byte
 * at a time, split at every offset, at every pair of offsets for short
 * ones) and under random schedules; the result must be the same.
 */
#include "autoconf.h"

#include <check.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "mime.h"

#include "check_util.h"

#define E7	MIME_ENC_7BIT
#define EB64	MIME_ENC_BASE64
#define EQP	MIME_ENC_QP
#define EUNK	MIME_ENC_UNKNOWN

#define XP_MAX		8	/* parts a vector expects */
#define REC_MAX		16	/* parts a run records */
#define NFLAGS		6
#define RANDOM_SCHEDS	64

/*
 * ck_assert() records every assertion that passes, a write(2) each: on
 * the hot paths (callbacks, one call a byte) only failures are told.
 */
#define MUST(e)		do {						\
	if (!(e))							\
		ck_abort_msg("%s:%d: assertion '%s' failed", __FILE__,	\
		    __LINE__, #e);						\
} while (0)
#define MUST_MSG(e, ...) do {						\
	if (!(e))							\
		ck_abort_msg(__VA_ARGS__);				\
} while (0)

static const struct mime_limits lim_default = { 998, 1000, 20, 1000 };
static const struct mime_limits lim_depth21 = { 998, 1000, 21, 1000 };
static const struct mime_limits lim_depth3 = { 998, 1000, 3, 1000 };
static const struct mime_limits lim_parts3 = { 998, 1000, 20, 3 };
static const struct mime_limits lim_hdr20 = { 20, 1000, 20, 1000 };
static const struct mime_limits lim_text10 = { 998, 10, 20, 1000 };

/* An expected leaf part. */
struct xpart {
	unsigned		 depth;
	const char		*type;
	const char		*filename;
	int			 attachment;
	enum mime_encoding	 encoding;
	const char		*data;		/* NULL: check size and hash */
	size_t			 len;		/* of data, or the size */
	uint64_t		 hash;		/* FNV-1a 64 when data is NULL */
};

struct xdetail {
	int		 flag;
	const char	*text;
};

struct mime_vec {
	const char			*name;
	const char			*file;		/* under t/mime/ */
	const char			*in;		/* or inline */
	size_t				 inlen;
	const struct mime_limits	*lim;		/* NULL: defaults */
	int				 flags;
	struct xdetail			 detail[2];
	unsigned			 nparts;	/* mime_nparts() */
	size_t				 nx;		/* parts reported */
	struct xpart			 x[XP_MAX];
	/* Names of the parts reported for their names only. */
	const char			*encl[4];
};

static const struct mime_vec mime_vecs[] = {
	/* Fixtures. */
	{ .name = "plain message", .file = "plain.eml", .nparts = 1,
	  .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("Hello Bob,\r\n\r\nthis is a "
		"plain message.\r\n-- \r\nAlice\r\n"), 0 } } },
	{ .name = "three nested multiparts", .file = "nested3.eml",
	  .nparts = 5, .nx = 5, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("Top text."), 0 },
	    { 2, "text/plain", "", 0, E7, TU_S("Alternative text."), 0 },
	    { 3, "text/html", "", 0, EQP, TU_S("<p>caf\xc3\xa9</p>"), 0 },
	    { 3, "image/png", "dot.png", 0, EB64,
		TU_S("\x89PNG\r\n\x1a\n"), 0 },
	    { 1, "application/pdf", "report.pdf", 1, EB64,
		TU_S("%PDF-1.4\n%\xc7\xec\x8f\xa2\n"), 0 } } },
	{ .name = "base64 with garbage", .file = "b64.eml", .nparts = 3,
	  .nx = 3, .x = {
	    { 1, "application/octet-stream", "blob.bin", 0, EB64, NULL, 300,
		0xbbe00f0e3bffa255ULL },
	    { 1, "text/plain", "", 0, EB64, TU_S("ABCD"), 0 },
	    { 1, "text/plain", "", 0, EB64, TU_S("AA"), 0 } } },
	{ .name = "quoted-printable", .file = "qp.eml", .nparts = 1,
	  .nx = 1, .x = {
	    { 0, "text/plain", "", 0, EQP, TU_S("soft break and caf\xc3\xa9 "
		"and lower\xc3\xa9\r\ntrailing spaces\r\ninvalid =ZZ escape "
		"and =4 and = alone\r\nsoft with paddingend=\r\n"), 0 } } },
	{ .name = "RFC 2231 file names", .file = "rfc2231.eml", .nparts = 7,
	  .nx = 7, .x = {
	    { 1, "text/plain", "na\xc3\xafve.txt", 1, E7, TU_S("a"), 0 },
	    { 1, "application/vnd.ms-excel", "\xe2\x82\xac rates.xls", 1, E7,
		TU_S("b"), 0 },
	    { 1, "application/msword", "long-name.doc", 1, E7, TU_S("c"), 0 },
	    { 1, "application/octet-stream", "fallback.bin", 0, E7,
		TU_S("d"), 0 },
	    { 1, "text/plain", "caf\xc3\xa9.txt", 0, E7, TU_S("e"), 0 },
	    { 1, "text/plain", "disp.txt", 1, E7, TU_S("f"), 0 },
	    { 1, "application/octet-stream", "ab.exe", 1, E7, TU_S("g"),
		0 } } },
	{ .name = "RFC 2047 file names", .file = "rfc2047.eml", .nparts = 7,
	  .nx = 7, .x = {
	    { 1, "text/plain", "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82"
		".txt", 1, E7, TU_S("1"), 0 },
	    { 1, "application/pdf", "caf\xc3\xa9 menu.pdf", 1, E7, TU_S("2"),
		0 },
	    { 1, "application/zip", "part1 part2.zip", 1, E7, TU_S("3"), 0 },
	    { 1, "text/plain", "na\xc3\xafve.txt", 0, E7, TU_S("4"), 0 },
	    { 1, "application/msword", "report final v2.doc", 1, E7,
		TU_S("5"), 0 },
	    { 1, "text/plain", "=?utf-8?x?abc?=.txt", 1, E7, TU_S("6"), 0 },
	    { 1, "text/plain", "\xe2\x82\xacuro.txt", 1, E7, TU_S("7"),
		0 } } },
	{ .name = "header folding", .file = "folding.eml", .nparts = 2,
	  .nx = 2, .x = {
	    { 1, "application/octet-stream", "very-long-file-name.tar.gz", 1,
		E7, TU_S("data"), 0 },
	    { 1, "application/octet-stream", "only-type .bin", 0, E7,
		TU_S("more"), 0 } } },
	{ .name = "message/rfc822 recursed", .file = "rfc822.eml",
	  .nparts = 5, .nx = 4, .encl = { "orig.eml" }, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("See attached."), 0 },
	    { 3, "text/plain", "", 0, E7, TU_S("Inner text."), 0 },
	    { 3, "application/zip", "inner.zip", 0, EB64,
		TU_S("PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), 0 },
	    { 2, "text/plain", "", 0, E7, TU_S("Plain nested body."), 0 } } },
	{ .name = "message/partial", .file = "partial.eml",
	  .flags = MIME_F_PARTIAL,
	  .detail = { { MIME_F_PARTIAL, "message/partial part" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "message/partial", "", 0, E7, TU_S("From: a@example.org\r\n"
		"Subject: fragmented\r\nContent-Type: application/octet-stream"
		"\r\n\r\nAAAA\r\n"), 0 } } },
	{ .name = "multipart/digest", .file = "digest.eml", .nparts = 3,
	  .nx = 3, .x = {
	    { 2, "text/plain", "", 0, E7, TU_S("First body."), 0 },
	    { 2, "text/plain", "", 0, E7, TU_S("Second body."), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("Not a message."), 0 } } },
	{ .name = "missing close boundary", .file = "bad-noclose.eml",
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "unterminated multipart" } },
	  .nparts = 2, .nx = 2, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("one"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("two\r\n"), 0 } } },
	{ .name = "no boundary parameter", .file = "bad-noboundary.eml",
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "multipart/mixed without boundary" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "multipart/mixed", "", 0, E7, TU_S("--x\r\nContent-Type: "
		"text/plain\r\n\r\nhidden\r\n--x--\r\n"), 0 } } },
	{ .name = "boundary over 70 characters", .file = "bad-longboundary.eml",
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "boundary of 75 characters over 70" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("long"), 0 } } },
	{ .name = "depth 21 over 20", .file = "deep21.eml",
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "depth 21 over 20" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 20, "multipart/mixed", "", 0, E7, TU_S("--=_lvl21_=\r\n"
		"Content-Type: text/plain\r\n\r\ndeep\r\n--=_lvl21_=--"), 0 } } },
	{ .name = "depth 21 allowed", .file = "deep21.eml",
	  .lim = &lim_depth21, .nparts = 1, .nx = 1, .x = {
	    { 21, "text/plain", "", 0, E7, TU_S("deep"), 0 } } },
	{ .name = "depth 4 over 3", .file = "deep21.eml", .lim = &lim_depth3,
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "depth 4 over 3" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 3, "multipart/mixed", "", 0, E7, NULL, 1471,
		0xb8352cdea353dddaULL } } },
	{ .name = "parts over the limit", .file = "parts5.eml",
	  .lim = &lim_parts3, .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "parts 4 over 3" } },
	  .nparts = 5, .nx = 3, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("part 1"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("part 2"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("part 3"), 0 } } },
	{ .name = "parts at the limit", .file = "parts5.eml", .nparts = 5,
	  .nx = 5, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("part 1"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("part 2"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("part 3"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("part 4"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("part 5"), 0 } } },
	{ .name = "long header and body lines", .file = "long-lines.eml",
	  .flags = MIME_F_HEADER_LONG | MIME_F_BODY_LONG,
	  .detail = { { MIME_F_HEADER_LONG, "header X-Long line over 998 "
		"bytes" }, { MIME_F_BODY_LONG, "body line over 1000 bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, NULL, 1509,
		0xe48b3b523e0e9487ULL } } },
	/* A long line is flagged and read whole, as readers do. */
	{ .name = "boundary past the header line limit", .file =
	  "long-ctype.eml", .flags = MIME_F_HEADER_LONG,
	  .detail = { { MIME_F_HEADER_LONG, "header Content-Type line over "
		"998 bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("hidden"), 0 } } },
	{ .name = "raw 8-bit Subject", .file = "subject-8bit.eml",
	  .flags = MIME_F_SUBJECT_8BIT,
	  .detail = { { MIME_F_SUBJECT_8BIT, "Subject has raw 8-bit bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("body\r\n"), 0 } } },
	{ .name = "encoded-word Subject", .file = "subject-encoded.eml",
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("body\r\n"), 0 } } },

	/* Header characters (smtp:122, smtp:231). */
	{ .name = "NUL in From", .in = TU_S("From: a\0b@example.org\r\n\r\n"
	  "x\r\n"), .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "NUL in header From" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x\r\n"), 0 } } },
	{ .name = "bare CR in Subject", .in = TU_S("Subject: a\rb\r\n\r\nx"),
	  .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "bare CR in header Subject" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "bare LF in To", .in = TU_S("To: x\nSubject: y\r\n\r\nx"),
	  .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "bare LF in header To" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "escape in a header", .in = TU_S("X-Esc: \x1b[31mred\r\n"
	  "\r\nx"), .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "control character 0x1b in "
		"header X-Esc" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "DEL in a header", .in = TU_S("X-Del: a\x7f\r\n\r\nx"),
	  .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "control character 0x7f in "
		"header X-Del" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	/* Not a field name: the body starts there, as readers see it. */
	{ .name = "NUL in a field name", .in = TU_S("Fr\0m: a\r\n\r\nx"),
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "header section without its empty "
		"line" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("Fr\0m: a\r\n\r\nx"), 0 } } },
	{ .name = "bare LF ends the header", .in = TU_S("Subject: x\r\n\n"
	  "body\r\n"), .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "bare LF in the header "
		"section" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("body\r\n"), 0 } } },
	{ .name = "tabs are fine", .in = TU_S("Subject:\tx\r\n\ty\r\n\r\nx"),
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "NUL in a body is data", .in = TU_S("Subject: x\r\n\r\n"
	  "a\0b\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("a\0b\r\n"), 0 } } },
	{ .name = "bare CR in a body is data", .in = TU_S("Subject: x\r\n\r\n"
	  "a\rb\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("a\rb\r\n"), 0 } } },
	{ .name = "bare LF message", .in = TU_S("Subject: x\nContent-Type: "
	  "text/plain\n\nline1\nline2\n"), .flags = MIME_F_HEADER_CHAR,
	  .detail = { { MIME_F_HEADER_CHAR, "bare LF in header Subject" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("line1\nline2\n"), 0 } } },
	{ .name = "8-bit in a folded Subject", .in = TU_S("Subject: a\r\n "
	  "caf\xc3\xa9\r\n\r\nx"), .flags = MIME_F_SUBJECT_8BIT,
	  .detail = { { MIME_F_SUBJECT_8BIT, "Subject has raw 8-bit "
		"bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "8-bit in another header", .in = TU_S("From: Zo\xc3\xab "
	  "<z@example.org>\r\nSubject: ok\r\n\r\nx"), .nparts = 1, .nx = 1,
	  .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "Subject of a body part is not checked", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nSubject: "
	  "caf\xc3\xa9\r\n\r\nx\r\n--b--\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "Subject of an attached message is checked", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Type: message/rfc822\r\n\r\nSubject: caf\xc3\xa9\r\n\r\n"
	  "x\r\n--b--\r\n"), .flags = MIME_F_SUBJECT_8BIT,
	  .detail = { { MIME_F_SUBJECT_8BIT, "Subject has raw 8-bit "
		"bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 2, "text/plain", "", 0, E7, TU_S("x"), 0 } } },

	/* Line lengths (smtp:217). */
	{ .name = "header line over a small limit", .in = TU_S("Subject: "
	  "0123456789abcdefghij\r\n\r\nx"), .lim = &lim_hdr20,
	  .flags = MIME_F_HEADER_LONG,
	  .detail = { { MIME_F_HEADER_LONG, "header Subject line over 20 "
		"bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "header line at the limit", .in = TU_S("Subject: "
	  "0123456789a\r\n\r\nx"), .lim = &lim_hdr20, .nparts = 1, .nx = 1,
	  .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "body line at the limit", .in = TU_S("\r\n12345678\r\n"),
	  .lim = &lim_text10, .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("12345678\r\n"), 0 } } },
	{ .name = "body line over the limit", .in = TU_S("\r\n123456789\r\n"),
	  .lim = &lim_text10, .flags = MIME_F_BODY_LONG,
	  .detail = { { MIME_F_BODY_LONG, "body line over 10 bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("123456789\r\n"), 0 } } },

	/* Multipart structure (RFC 2046 §5.1.1). */
	{ .name = "preamble, padding, junk, epilogue", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=\"xy\"\r\n\r\npreamble --xy"
	  " not at start\r\n--xy  \t\r\n\r\nfirst\r\n--xyz junk\r\n\r\n"
	  "second\r\n--xy-- trailing\r\nepilogue\r\n--xy\r\nignored\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "boundary "
		"delimiter followed by other characters" } },
	  .nparts = 2, .nx = 2, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("first"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("second"), 0 } } },
	{ .name = "empty parts", .in = TU_S("Content-Type: multipart/mixed; "
	  "boundary=b\r\n\r\n--b\r\n--b\r\n\r\n\r\n--b\r\nContent-Disposition:"
	  " attachment; filename=evil.exe\r\n--b--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line" } },
	  .nparts = 3, .nx = 3, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S(""), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S(""), 0 },
	    { 1, "text/plain", "evil.exe", 1, E7, TU_S(""), 0 } } },
	{ .name = "header section only", .in = TU_S("Subject: hi\r\n"
	  "Content-Type: text/html\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/html", "", 0, E7, TU_S(""), 0 } } },
	{ .name = "empty input", .in = TU_S(""), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S(""), 0 } } },
	{ .name = "inner multipart closed by the outer", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=o\r\n\r\n--o\r\n"
	  "Content-Type: multipart/mixed; boundary=i\r\n\r\n--i\r\n\r\n"
	  "inner\r\n--o\r\n\r\nnext\r\n--o--\r\n"), .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "unterminated multipart" } },
	  .nparts = 2, .nx = 2, .x = {
	    { 2, "text/plain", "", 0, E7, TU_S("inner"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("next"), 0 } } },
	{ .name = "comments and a quoted boundary", .in = TU_S(
	  "Content-Type: (c) Multipart/Mixed (c2) ; (c3) BOUNDARY = \"q\\\"b\""
	  " (c4); name=foo\r\n\r\n--q\"b\r\nContent-Type: application/pdf; "
	  "name=report.pdf (the report)\r\n\r\nx\r\n--q\"b--\r\n"),
	  .nparts = 2, .nx = 1, .encl = { "foo" }, .x = {
	    { 1, "application/pdf", "report.pdf", 0, E7, TU_S("x"), 0 } } },
	/* As Python's email reads it; others take the last: smtp:247. */
	{ .name = "first Content-Type wins", .in = TU_S("Content-Type: "
	  "text/plain\r\nContent-Type: application/x-msdownload\r\n\r\nx"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "a Content-* "
		"field repeated with another value" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "Content-Type repeated as it was", .in = TU_S(
	  "Content-Type: text/html\r\nContent-Type: text/html\r\n\r\nx"),
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/html", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "invalid Content-Type is text/plain", .in = TU_S(
	  "Content-Type: garbage\r\n\r\nx"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "type in upper case", .in = TU_S("Content-Type: TEXT/HTML; "
	  "CHARSET=utf-8\r\n\r\nx"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/html", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "empty boundary", .in = TU_S("Content-Type: multipart/mixed;"
	  " boundary=\"\"\r\n\r\n--\r\nx\r\n"), .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "multipart/mixed without boundary" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "multipart/mixed", "", 0, E7, TU_S("--\r\nx\r\n"), 0 } } },
	{ .name = "close delimiter without CRLF", .in = TU_S("Content-Type: "
	  "multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--"),
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "delimiter after a bare CR", .in = TU_S("Content-Type: "
	  "multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r--b--\r\n"),
	  .flags = MIME_F_LIMITS,
	  .detail = { { MIME_F_LIMITS, "unterminated multipart" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("x\r--b--\r\n"), 0 } } },
	{ .name = "header line without a colon", .in = TU_S("Subject: x\r\n"
	  "this is not a header\r\nContent-Type: text/html\r\n\r\nx"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("this is not a header\r\n"
		"Content-Type: text/html\r\n\r\nx"), 0 } } },

	/* A multipart or a message parsed inside, named: names only. */
	{ .name = "a named message/rfc822 and multipart", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=B; name=\"top.exe\"\r\n\r\n"
	  "--B\r\nContent-Type: message/rfc822\r\n"
	  "Content-Disposition: attachment; filename=fwd.exe\r\n\r\n"
	  "Subject: in\r\n\r\nhi\r\n--B--\r\n"),
	  .nparts = 3, .nx = 1, .x = {
	    { 2, "text/plain", "", 0, E7, TU_S("hi"), 0 } },
	  .encl = { "top.exe", "fwd.exe" } },
	/*
	 * Readers end a header section at the first line that is neither
	 * a field nor folded (Python's email package): so does the parser,
	 * and flags it. The attachment after it is seen, whatever else.
	 */
	{ .name = "top header runs into the first delimiter", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=B\r\n--B\r\n"
	  "Content-Disposition: attachment; filename=evil.exe\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\nTVqQAA==\r\n--B--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "evil.exe", 1, EB64, TU_S("MZ\x90\0"), 0 } } },
	{ .name = "part header runs into base64", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
	  "Content-Type: application/zip; name=a.zip\r\n"
	  "Content-Disposition: attachment; filename=evil.exe\r\n"
	  "Content-Transfer-Encoding: base64\r\nUEsDBA==\r\n\r\n"
	  "--B--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "application/zip", "evil.exe", 1, EB64, TU_S("PK\3\4"),
		0 } } },
	{ .name = "field name with a space before its colon", .in = TU_S(
	  "Subject: x\r\nContent-Type : text/html\r\nX: y\r\n\r\nbody"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("Content-Type : text/html\r\n"
		"X: y\r\n\r\nbody"), 0 } } },
	{ .name = "mbox From line in the header", .in = TU_S("From a@b Mon "
	  "Jan  1 00:00:00 2024\r\nSubject: x\r\nContent-Type: text/html\r\n"
	  "\r\nbody"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/html", "", 0, E7, TU_S("body"), 0 } } },
	{ .name = "header section of a message/rfc822 part runs into a line",
	  .in = TU_S("Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n"
	  "Content-Type: multipart/mixed; boundary=C\r\n--C\r\n"
	  "Content-Type: application/x-msdownload; name=\"evil.exe\"\r\n\r\n"
	  "MZ\r\n--C--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 2, "application/x-msdownload", "evil.exe", 0, E7, TU_S("MZ"),
		0 } } },
	{ .name = "a name at the end of a 1200-byte line", .in = TU_S(
	  "Content-Type: application/octet-stream; x=\""
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	  "\"; name=\"evil.exe\"\r\n\r\nMZ"),
	  .flags = MIME_F_HEADER_LONG, .detail = { { MIME_F_HEADER_LONG,
		"header Content-Type line over 998 bytes" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "application/octet-stream", "evil.exe", 0, E7, TU_S("MZ"),
		0 } } },
	/*
	 * RFC 2046's prefix rule against readers that want the whole line
	 * (Python's email package): "--BBcd" is a delimiter of "BB" for
	 * one, the part going on for the other. Flagged.
	 */
	{ .name = "delimiter followed by other characters", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"
	  "Content-Type: text/plain\r\n\r\nhello\r\n--BBcd\r\n"
	  "Content-Disposition: attachment; filename=a.exe\r\n\r\nMZ\r\n"
	  "--BB--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "boundary "
		"delimiter followed by other characters" } },
	  .nparts = 2, .nx = 2, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("hello"), 0 },
	    { 1, "text/plain", "a.exe", 1, E7, TU_S("MZ"), 0 } } },
	{ .name = "close delimiter followed by a dash", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n\r\n"
	  "x\r\n--BB-\r\n\r\ny\r\n--BB--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "boundary "
		"delimiter followed by other characters" } },
	  .nparts = 2, .nx = 2, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("x"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("y"), 0 } } },
	{ .name = "boundary parameter with white space at its end", .in =
	  TU_S("Content-Type: multipart/mixed; boundary=\"BB \"\r\n\r\n"
	  "--BB \r\n\r\nx\r\n--BB--\r\n"),
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("x"), 0 } } },
	{ .name = "delimiter with padding only", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=BB\r\n\r\n--BB \t \r\n\r\n"
	  "x\r\n--BB-- \r\n"),
	  .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("x"), 0 } } },

	/* Messages and encodings. */
	{ .name = "message/rfc822 at the top", .in = TU_S("Content-Type: "
	  "message/rfc822\r\n\r\nSubject: inner\r\nContent-Type: text/html\r\n"
	  "\r\n<p>x</p>\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 1, "text/html", "", 0, E7, TU_S("<p>x</p>\r\n"), 0 } } },
	/*
	 * An encoded message/rfc822 is decoded and parsed as the message
	 * it holds: its parts are reported, typed, one level deeper; the
	 * encoded part only for its names.
	 */
	{ .name = "encoded message/rfc822 is parsed", .in = TU_S(
	  "Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64"
	  "\r\n\r\nU3ViamVjdDogeA0KDQpoaQ0K\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, E7, TU_S("hi\r\n"), 0 } } },
	{ .name = "an attachment in a base64 message/rfc822", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
	  "Content-Type: message/rfc822; name=fwd.eml\r\n"
	  "Content-Transfer-Encoding: base64\r\n\r\n"
	  "Q29udGVudC1UeXBlOiBtdWx0aXBhcnQvbWl4ZWQ7IGJvdW5kYXJ5PUMNCg0KLS1D\r\n"
	  "DQpDb250ZW50LURpc3Bvc2l0aW9uOiBhdHRhY2htZW50OyBmaWxlbmFtZT1ldmls\r\n"
	  "LmV4ZQ0KDQpNWg0KLS1DLS0NCg==\r\n"
	  "--B\r\nContent-Type: text/plain\r\n\r\nafter\r\n--B--\r\n"),
	  .nparts = 3, .nx = 2, .x = {
	    { 3, "text/plain", "evil.exe", 1, E7, TU_S("MZ"), 0 },
	    { 1, "text/plain", "", 0, E7, TU_S("after"), 0 } },
	  .encl = { "fwd.eml" } },
	{ .name = "a quoted-printable message/rfc822 with a flaw inside",
	  .in = TU_S("Content-Type: message/rfc822\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
	  "Content-Type: multipart/mixed; boundary=3DC\r\n--C\r\n"
	  "Content-Type: application/octet-stream; name=3D\"a.exe\"\r\n\r\n"
	  "MZ\r\n--C--\r\n"),
	  .flags = MIME_F_LIMITS, .detail = { { MIME_F_LIMITS, "header "
		"section without its empty line (in an attached message)" } },
	  .nparts = 1, .nx = 1, .x = {
	    { 2, "application/octet-stream", "a.exe", 0, E7, TU_S("MZ"),
		0 } } },
	/* Any message type holds a message, in any unknown encoding too. */
	{ .name = "message/news and an unknown encoding", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
	  "Content-Type: message/news\r\n\r\nSubject: n\r\n"
	  "Content-Disposition: attachment; filename=a.exe\r\n\r\nMZ\r\n"
	  "--B\r\nContent-Type: message/rfc822\r\n"
	  "Content-Transfer-Encoding: x-unknown\r\n\r\nSubject: u\r\n"
	  "Content-Disposition: attachment; filename=b.exe\r\n\r\nMZ\r\n"
	  "--B--\r\n"),
	  .nparts = 2, .nx = 2, .x = {
	    { 2, "text/plain", "a.exe", 1, E7, TU_S("MZ"), 0 },
	    { 2, "text/plain", "b.exe", 1, E7, TU_S("MZ"), 0 } } },
	{ .name = "unknown encoding passed through", .in = TU_S(
	  "Content-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 a\r\n"),
	  .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, EUNK, TU_S("begin 644 a\r\n"), 0 } } },
	{ .name = "no final line end", .in = TU_S("Subject: x\r\n\r\nno "
	  "newline"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "", 0, E7, TU_S("no newline"), 0 } } },
	{ .name = "QP soft break before a delimiter", .in = TU_S(
	  "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Transfer-Encoding: quoted-printable\r\n\r\nab=\r\n"
	  "c=3\r\n--b--\r\n"), .nparts = 1, .nx = 1, .x = {
	    { 1, "text/plain", "", 0, EQP, TU_S("abc=3"), 0 } } },
	{ .name = "control characters in a file name", .in = TU_S(
	  "Content-Disposition: attachment; filename*=utf-8''a%00b%0A.exe\r\n"
	  "\r\nx"), .nparts = 1, .nx = 1, .x = {
	    { 0, "text/plain", "a_b_.exe", 1, E7, TU_S("x"), 0 } } },
};

/* FNV-1a 64, as the fixtures' hashes were computed. */
static uint64_t
mime_fnv(const void *p, size_t len)
{
	const unsigned char	*u = p;
	uint64_t		 h = 0xcbf29ce484222325ULL;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= u[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* What one run reported. */
struct rec_part {
	struct mime_part	 p;		/* as at part_begin */
	char			 alt[MIME_ALTNAMES][MIME_NAME_SIZE];
	unsigned char		*data;
	size_t			 len;
	size_t			 cap;
	int			 ended;
};

struct rec {
	struct rec_part		 parts[REC_MAX];
	size_t			 n;
	unsigned		 next;		/* index of the next part */
	/* Parts enclosed in an encoded message part: their names. */
	char			 encl[REC_MAX][MIME_NAME_SIZE];
	size_t			 nencl;
	int			 open;
	int			 flags;
	char			 detail[NFLAGS][128];
	unsigned		 nparts;
};

static void
rec_begin(void *arg, const struct mime_part *p)
{
	struct rec	*r = arg;

	MUST(p->index == r->next);
	r->next++;
	if (p->enclosed) {
		MUST(r->nencl < REC_MAX);
		memcpy(r->encl[r->nencl++], p->filename, MIME_NAME_SIZE);
		return;
	}
	MUST_MSG(!r->open, "part_begin inside a part");
	MUST(p->size == 0);
	MUST(strlen(p->type) < sizeof(p->type));
	MUST(strlen(p->filename) < sizeof(p->filename));
	MUST(r->n < REC_MAX);
	r->parts[r->n].p = *p;
	/* The parser's names last as long as the call: keep a copy. */
	if (p->altnames != NULL) {
		memcpy(r->parts[r->n].alt, p->altnames,
		    sizeof(r->parts[r->n].alt));
		r->parts[r->n].p.altnames = r->parts[r->n].alt;
	}
	r->open = 1;
}

static void
rec_data(void *arg, const struct mime_part *p, const unsigned char *d,
    size_t len)
{
	struct rec	*r = arg;
	struct rec_part	*rp;

	MUST_MSG(r->open, "part_data outside a part");
	MUST(len > 0);
	rp = &r->parts[r->n];
	MUST(p->index == rp->p.index);
	MUST(strcmp(p->type, rp->p.type) == 0);
	MUST(strcmp(p->filename, rp->p.filename) == 0);
	if (rp->len + len > rp->cap) {
		rp->cap = (rp->len + len) * 2;
		MUST((rp->data = realloc(rp->data, rp->cap)) != NULL);
	}
	memcpy(rp->data + rp->len, d, len);
	rp->len += len;
	MUST(p->size == rp->len);
}

static void
rec_end(void *arg, const struct mime_part *p)
{
	struct rec	*r = arg;
	struct rec_part	*rp;

	if (p->enclosed)
		return;
	MUST_MSG(r->open, "part_end outside a part");
	rp = &r->parts[r->n];
	MUST(p->index == rp->p.index);
	MUST(p->size == rp->len);
	rp->ended = 1;
	r->open = 0;
	r->n++;
}

static const struct mime_callbacks rec_cb = { rec_begin, rec_data, rec_end };

static void
rec_free(struct rec *r)
{
	size_t	 i;

	for (i = 0; i < REC_MAX; i++)
		free(r->parts[i].data);
}

/* A random schedule: chunks of 1 to max bytes. */
struct rsched {
	uint32_t	 seed;
	size_t		 max;
};

static uint32_t
mime_rand(uint32_t *state)
{
	*state = *state * 1103515245u + 12345u;
	return (*state >> 16) & 0x7fff;
}

/*
 * Parse in (n bytes) under schedule s (or rs if s is NULL) into r.
 */
static void
mime_run(const char *in, size_t n, const struct mime_limits *lim,
    const struct tu_sched *s, struct rsched *rs, struct rec *r)
{
	struct mime	*m;
	size_t		 pos = 0, chunk;
	int		 i;

	memset(r, 0, sizeof(*r));
	MUST((m = mime_new(lim, &rec_cb, r)) != NULL);
	while (pos < n) {
		if (s != NULL)
			chunk = tu_sched_next(s, pos, n);
		else {
			chunk = 1 + mime_rand(&rs->seed) % rs->max;
			if (chunk > n - pos)
				chunk = n - pos;
		}
		MUST(mime_parse(m, in + pos, chunk) == 0);
		pos += chunk;
	}
	MUST(mime_finish(m) == 0);
	MUST_MSG(!r->open, "a part left open");
	r->flags = mime_flags(m);
	r->nparts = mime_nparts(m);
	for (i = 0; i < NFLAGS; i++)
		(void)snprintf(r->detail[i], sizeof(r->detail[i]), "%s",
		    mime_detail(m, 1 << i));
	mime_free(m);
}

static void
mime_check(const struct mime_vec *v, const struct rec *r, const char *how)
{
	const struct xpart	*x;
	const struct rec_part	*rp;
	size_t			 i;
	int			 f;

	MUST_MSG(r->flags == v->flags, "%s (%s): flags %#x, expected %#x"
	    " (%s / %s / %s)", v->name, how, r->flags, v->flags, r->detail[0],
	    r->detail[2], r->detail[4]);
	for (i = 0; i < 2; i++) {
		if (v->detail[i].flag == 0)
			continue;
		for (f = 0; f < NFLAGS; f++)
			if (v->detail[i].flag == 1 << f)
				break;
		MUST(f < NFLAGS);
		MUST_MSG(strcmp(r->detail[f], v->detail[i].text) == 0,
		    "%s (%s): detail \"%s\", expected \"%s\"", v->name, how,
		    r->detail[f], v->detail[i].text);
	}
	for (f = 0; f < NFLAGS; f++)
		MUST_MSG((r->detail[f][0] != '\0') ==
		    ((r->flags & 1 << f) != 0), "%s: detail without flag",
		    v->name);
	MUST_MSG(r->nparts == v->nparts, "%s (%s): nparts %u, expected "
	    "%u", v->name, how, r->nparts, v->nparts);
	MUST_MSG(r->n == v->nx, "%s (%s): %zu parts reported, expected "
	    "%zu", v->name, how, r->n, v->nx);
	for (i = 0; i < TU_NELEM(v->encl) && v->encl[i] != NULL; i++)
		MUST_MSG(i < r->nencl && strcmp(r->encl[i], v->encl[i]) == 0,
		    "%s (%s): enclosed part %zu \"%s\", expected \"%s\"",
		    v->name, how, i, i < r->nencl ? r->encl[i] : "(none)",
		    v->encl[i]);
	MUST_MSG(r->nencl == i, "%s (%s): %zu enclosed parts, expected %zu",
	    v->name, how, r->nencl, i);
	for (i = 0; i < v->nx; i++) {
		x = &v->x[i];
		rp = &r->parts[i];
		MUST(rp->ended);
		MUST_MSG(rp->p.depth == x->depth, "%s (%s) part %zu: "
		    "depth %u, expected %u", v->name, how, i, rp->p.depth,
		    x->depth);
		MUST_MSG(strcmp(rp->p.type, x->type) == 0, "%s (%s) part "
		    "%zu: type \"%s\", expected \"%s\"", v->name, how, i,
		    rp->p.type, x->type);
		MUST_MSG(strcmp(rp->p.filename, x->filename) == 0,
		    "%s (%s) part %zu: filename \"%s\", expected \"%s\"",
		    v->name, how, i, tu_esc(rp->p.filename,
		    strlen(rp->p.filename)), tu_esc(x->filename,
		    strlen(x->filename)));
		MUST_MSG(rp->p.attachment == x->attachment, "%s (%s) part "
		    "%zu: attachment %d", v->name, how, i, rp->p.attachment);
		MUST_MSG(rp->p.encoding == x->encoding, "%s (%s) part "
		    "%zu: encoding %d", v->name, how, i, rp->p.encoding);
		if (x->data != NULL)
			MUST_MSG(tu_eq((const char *)rp->data, rp->len,
			    x->data, x->len), "%s (%s) part %zu: \"%s\", "
			    "expected \"%s\"", v->name, how, i,
			    tu_esc((const char *)rp->data, rp->len),
			    tu_esc(x->data, x->len));
		else
			MUST_MSG(rp->len == x->len && mime_fnv(rp->data,
			    rp->len) == x->hash, "%s (%s) part %zu: %zu bytes "
			    "hash %#jx, expected %zu %#jx", v->name, how, i,
			    rp->len, (uintmax_t)mime_fnv(rp->data, rp->len),
			    x->len, (uintmax_t)x->hash);
	}
}

/* A fixture from t/mime/. */
static char *
mime_slurp(const char *file, size_t *len_r)
{
	const char	*top;
	char		 path[PATH_MAX], *buf;
	FILE		*fp;
	long		 len;
	int		 n;

	if ((top = getenv("TOP_SRCDIR")) == NULL)
		top = ".";
	n = snprintf(path, sizeof(path), "%s/t/mime/%s", top, file);
	ck_assert(n > 0 && (size_t)n < sizeof(path));
	ck_assert_msg((fp = fopen(path, "rb")) != NULL, "%s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	ck_assert((len = ftell(fp)) > 0);
	rewind(fp);
	ck_assert_ptr_nonnull(buf = malloc((size_t)len));
	ck_assert_uint_eq(fread(buf, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	*len_r = (size_t)len;
	return buf;
}

START_TEST(test_mime_vectors)
{
	const struct mime_vec	*v = &mime_vecs[_i];
	const struct mime_limits *lim;
	struct tu_sched		 s;
	struct rsched		 rs;
	struct rec		 r;
	char			*buf = NULL, how[64];
	const char		*in;
	size_t			 n, k;

	if (v->file != NULL) {
		buf = mime_slurp(v->file, &n);
		in = buf;
	} else {
		in = v->in;
		n = v->inlen;
	}
	lim = v->lim != NULL ? v->lim : &lim_default;
	for (k = 0; k < tu_sched_count(n); k++) {
		tu_sched_get(k, n, &s);
		mime_run(in, n, lim, &s, NULL, &r);
		mime_check(v, &r, s.desc);
		rec_free(&r);
	}
	for (k = 0; k < RANDOM_SCHEDS; k++) {
		rs.seed = (uint32_t)(k * 2654435761u) ^ (uint32_t)n;
		rs.max = k % 4 == 0 ? 3 : k % 4 == 1 ? 17 : 200;
		(void)snprintf(how, sizeof(how), "random %zu", k);
		mime_run(in, n, lim, NULL, &rs, &r);
		mime_check(v, &r, how);
		rec_free(&r);
	}
	free(buf);
}
END_TEST

/*
 * Random messages over the bytes that matter (line ends, boundaries,
 * header names, encodings, "=", base64 text) give the same callbacks
 * and flags whole and in random pieces.
 */
static uint64_t	 rnd_hash;

static void
rnd_begin(void *arg, const struct mime_part *p)
{
	struct mime_part	 q = *p;
	unsigned		 i;

	(void)arg;
	q.altnames = NULL;	/* where they are: hash what they say */
	rnd_hash = mime_fnv(&q, sizeof(q)) ^ (rnd_hash * 31);
	for (i = 0; i < p->naltnames; i++)
		rnd_hash = mime_fnv(p->altnames[i], MIME_NAME_SIZE) ^
		    (rnd_hash * 31);
}

static void
rnd_data(void *arg, const struct mime_part *p, const unsigned char *d,
    size_t len)
{
	size_t	 i;

	(void)arg;
	(void)p;
	for (i = 0; i < len; i++) {
		rnd_hash ^= d[i];
		rnd_hash *= 0x100000001b3ULL;
	}
}

static void
rnd_end(void *arg, const struct mime_part *p)
{
	(void)arg;
	rnd_hash = (rnd_hash ^ p->size) * 0x100000001b3ULL;
}

static uint64_t
rnd_run(const char *in, size_t n, const struct mime_limits *lim,
    uint32_t *seed, size_t max, int *flags_r, unsigned *nparts_r)
{
	static const struct mime_callbacks cb = { rnd_begin, rnd_data,
	    rnd_end };
	struct mime	*m;
	size_t		 pos = 0, chunk;

	rnd_hash = 0;
	MUST((m = mime_new(lim, &cb, NULL)) != NULL);
	while (pos < n) {
		chunk = max == 0 ? n - pos : 1 + mime_rand(seed) % max;
		if (chunk > n - pos)
			chunk = n - pos;
		MUST(mime_parse(m, in + pos, chunk) == 0);
		pos += chunk;
	}
	MUST(mime_finish(m) == 0);
	*flags_r = mime_flags(m);
	*nparts_r = mime_nparts(m);
	mime_free(m);
	return rnd_hash;
}

/*
 * Without a part_data callback the parts' bytes are only counted: the
 * sizes part_end sees are those a reader of the bytes sees, in every
 * encoding, whole and byte at a time.
 */
static uint64_t	 sizes_seen[8];
static size_t	 nsizes_seen;

static void
sizes_end(void *arg, const struct mime_part *p)
{
	(void)arg;
	if (nsizes_seen < TU_NELEM(sizes_seen))
		sizes_seen[nsizes_seen++] = p->size;
}

START_TEST(test_mime_count_only)
{
	static const char msg[] =
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\n\r\nplain text\r\nline two\r\n"
	    "--b\r\nContent-Transfer-Encoding: base64\r\n\r\n"
	    "QUJDREVGR0g=\r\nSUpL\r\n"
	    "--b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	    "a=3Db=\r\nc \r\nd\r\n"
	    "--b--\r\n";
	static const struct mime_callbacks counted = { NULL, NULL,
	    sizes_end };
	struct rec	 r;
	struct mime	*m;
	size_t		 i, step;

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(m = mime_new(NULL, &rec_cb, &r));
	ck_assert_int_eq(mime_parse(m, msg, sizeof(msg) - 1), 0);
	ck_assert_int_eq(mime_finish(m), 0);
	mime_free(m);
	ck_assert_uint_eq(r.n, 3);
	for (step = 0; step < 2; step++) {
		nsizes_seen = 0;
		ck_assert_ptr_nonnull(m = mime_new(NULL, &counted, NULL));
		for (i = 0; i < sizeof(msg) - 1; i += step == 0 ?
		    sizeof(msg) - 1 : 1)
			ck_assert_int_eq(mime_parse(m, msg + i, step == 0 ?
			    sizeof(msg) - 1 : 1), 0);
		ck_assert_int_eq(mime_finish(m), 0);
		mime_free(m);
		ck_assert_uint_eq(nsizes_seen, 3);
		for (i = 0; i < 3; i++) {
			ck_assert_uint_gt(r.parts[i].len, 0);
			ck_assert_uint_eq(sizes_seen[i], r.parts[i].len);
		}
	}
	rec_free(&r);
}
END_TEST

START_TEST(test_mime_random)
{
	static const char *const tokens[] = {
	    "\r\n", "\r\n", "\r\n", "\n", "\r", "\0", " ", "\t", "--", "--a",
	    "--a--", "--bb", "--bb--", "=", "=4", "=41", "QUJD", "QQ==", "x",
	    "\xc3\xa9", "Subject: ", "Content-Type: multipart/mixed; "
	    "boundary=a", "Content-Type: multipart/digest; boundary=bb",
	    "Content-Type: message/rfc822", "Content-Type: message/partial",
	    "Content-Transfer-Encoding: base64",
	    "Content-Transfer-Encoding: quoted-printable",
	    "Content-Disposition: attachment; filename*0*=utf-8''a%41; "
	    "filename*1=\"b.exe\"", "name=\"=?utf-8?q?a=41?= =?utf-8?b?QQ==?=\"",
	    "\r\n\r\n", ";", "\"", "(",
	};
	static const struct mime_limits lim = { 30, 40, 3, 4 };
	char		 in[600];
	size_t		 n, len, i;
	uint32_t	 seed = 2045, cseed;
	uint64_t	 h1, h2;
	int		 iter, f1, f2;
	unsigned	 p1, p2;

	for (iter = 0; iter < 20000; iter++) {
		n = 0;
		len = mime_rand(&seed) % 60;
		for (i = 0; i < len; i++) {
			const char	*t;
			size_t		 tl;

			t = tokens[mime_rand(&seed) % TU_NELEM(tokens)];
			tl = t[0] == '\0' ? 1 : strlen(t);
			if (n + tl > sizeof(in))
				break;
			memcpy(in + n, t, tl);
			n += tl;
		}
		h1 = rnd_run(in, n, &lim, &seed, 0, &f1, &p1);
		cseed = seed;
		h2 = rnd_run(in, n, &lim, &cseed, 1, &f2, &p2);
		MUST_MSG(h1 == h2 && f1 == f2 && p1 == p2, "\"%s\": "
		    "byte at a time differs", tu_esc(in, n));
		h2 = rnd_run(in, n, &lim, &cseed, 7, &f2, &p2);
		MUST_MSG(h1 == h2 && f1 == f2 && p1 == p2, "\"%s\": "
		    "random pieces differ", tu_esc(in, n));
		(void)mime_rand(&seed);
	}
}
END_TEST

/* A file name too long for the part keeps its start and its end. */
/*
 * Every reading of a name a reader may take (RFC 2231 forms beside
 * the plain one, repeated parameters, charsets through iconv), the one
 * Python's email package takes first.
 */
static const struct name_vec {
	const char	*field;		/* header lines, CRLF-terminated */
	const char	*names[6];	/* filename, then altnames */
	int		 flags;
} name_vecs[] = {
	{ "Content-Disposition: filename=\"evil.exe\"\r\n",
	  { "evil.exe" }, 0 },
	{ "Content-Disposition: ; filename=evil.exe\r\n", { "evil.exe" }, 0 },
	{ "Content-Type: name=\"evil.exe\"\r\n", { "evil.exe" }, 0 },
	{ "Content-Disposition: attachment; filename=\"a.txt\"; "
	  "filename*=utf-8''b.exe\r\n", { "a.txt", "b.exe" }, 0 },
	{ "Content-Disposition: attachment; filename=\"a.txt\"; "
	  "filename=\"b.exe\"\r\n", { "a.txt", "b.exe" }, 0 },
	{ "Content-Type: application/x; name=\"a.exe\"\r\n"
	  "Content-Disposition: attachment; filename=\"b.txt\"\r\n",
	  { "b.txt", "a.exe" }, 0 },
	{ "Content-Disposition: attachment; filename*0=\"ev\"; "
	  "filename*1=\"il.exe\"; filename=\"x.txt\"\r\n",
	  { "x.txt", "evil.exe", "ev" }, 0 },
	{ "Content-Disposition: attachment; "
	  "filename=\"=?utf-8?q?evil.exe?=\"\r\n",
	  { "evil.exe", "=?utf-8?q?evil.exe?=" }, 0 },
	/* UTF-16 and UTF-32: a mark decides, or both byte orders. */
	{ "Content-Disposition: attachment; filename*=utf-16''"
	  "e%00v%00i%00l%00.%00e%00x%00e%00\r\n",
	  { "evil.exe", "\xe6\x94\x80\xe7\x98\x80\xe6\xa4\x80\xe6\xb0\x80"
	    "\xe2\xb8\x80\xe6\x94\x80\xe7\xa0\x80\xe6\x94\x80" }, 0 },
	{ "Content-Disposition: attachment; filename*=UTF-16''"
	  "%FE%FF%00e%00.%00e%00x%00e\r\n", { "e.exe" }, 0 },
	{ "Content-Disposition: attachment; filename*=utf-16be''"
	  "%00e%00.%00e%00x%00e\r\n", { "e.exe" }, 0 },
	{ "Content-Disposition: attachment; filename*=utf-32''"
	  "e%00%00%00.%00%00%00e%00%00%00x%00%00%00e%00%00%00\r\n",
	  { "e.exe", "\xef\xbf\xbd.exe\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
	  0 },
	{ "Content-Disposition: attachment; filename=\""
	  "=?utf-16le?b?ZQB2AGkAbAAuAGUAeABlAA==?=\"\r\n",
	  { "evil.exe", "=?utf-16le?b?ZQB2AGkAbAAuAGUAeABlAA==?=" }, 0 },
	{ "Content-Disposition: attachment; filename*=utf-7''+AGU-vil.exe\r\n",
	  { "evil.exe" }, 0 },
	{ "Content-Disposition: attachment; filename*=iso-8859-1''"
	  "caf%E9.exe\r\n", { "caf\xc3\xa9.exe" }, 0 },
	{ "Content-Disposition: attachment; filename*=windows-1252''"
	  "%80.exe\r\n", { "\xe2\x82\xac.exe" }, 0 },
	/* Adjacent words in one charset are joined, then decoded. */
	{ "Content-Disposition: attachment; filename=\""
	  "=?utf-16le?B?ZQB2AGkA?= =?utf-16le?B?bAAuAGUAeABlAA==?=\"\r\n",
	  { "evil.exe", "=?utf-16le?B?ZQB2AGkA?= =?utf-16le?B?bAAuAGUAeABlAA==?=" },
	  0 },
	{ "Content-Disposition: attachment; filename=\""
	  "=?utf-16le?B?ZQB2AGkAbAAuAGUA?= =?utf-16le?B?eABlAA==?= x\"\r\n",
	  { "evil.exe x", "=?utf-16le?B?ZQB2AGkAbAAuAGUA?= "
	    "=?utf-16le?B?eABlAA==?= x" }, 0 },
	{ "Content-Disposition: attachment; filename=\""
	  "=?iso-8859-1?Q?caf=E9?= =?utf-8?Q?.exe?=\"\r\n",
	  { "caf\xc3\xa9.exe", "=?iso-8859-1?Q?caf=E9?= =?utf-8?Q?.exe?=" },
	  0 },
	/* Text after the closing quote: split another way by some. */
	{ "Content-Disposition: attachment; filename=\"a.exe\\\"; x=\".txt\""
	  "\r\n", { "a.exe\"; x=" }, MIME_F_LIMITS },
	/* Charset names as Python folds them; glibc's without dashes. */
	{ "Content-Disposition: attachment; filename=\""
	  "=?utf-16-le?B?YQAuAGUAeABlAA==?=\"\r\n",
	  { "a.exe", "=?utf-16-le?B?YQAuAGUAeABlAA==?=" }, 0 },
	{ "Content-Disposition: attachment; filename*=UTF_16_LE''"
	  "a%00.%00e%00x%00e%00\r\n", { "a.exe" }, 0 },
	/* A charset that expands much: the name's end is kept. */
	{ "Content-Disposition: attachment; filename=\"=?TSCII?B?"
	  "goKCgoKCgoKCgoKCgoKCgoKC?= =?us-ascii?Q?.exe?=\"\r\n",
	  { NULL }, 0 },
	/* Not known, not plain ASCII: no reading is sure. */
	{ "Content-Disposition: attachment; filename*=x-unknown''"
	  "%82%a0.exe\r\n", { NULL }, MIME_F_LIMITS },
	/* An RFC 2231 form given twice: joined by some, picked by others. */
	{ "Content-Disposition: attachment; filename*=utf-8''a.txt; "
	  "filename*=utf-8''a.exe\r\n", { NULL }, MIME_F_LIMITS },
	{ "Content-Disposition: attachment; filename*0=a.txt; "
	  "filename*0=a.exe\r\n", { NULL }, MIME_F_LIMITS },
	/* An unknown charset: the bytes; one that does not decode: both. */
	{ "Content-Disposition: attachment; filename*=x-unknown''"
	  "evil.exe\r\n", { "evil.exe" }, 0 },
	{ "Content-Disposition: attachment; filename*=shift_jis''"
	  "%82%a0%ff.exe\r\n", { "\xe3\x81\x82\xef\xbf\xbd.exe",
	  "\x82\xa0\xff.exe" }, 0 },
	/* Boundaries that disagree: no reading is safe. */
	{ "Content-Type: multipart/mixed; boundary=a; boundary=b\r\n",
	  { NULL }, MIME_F_LIMITS },
	{ "Content-Type: multipart/mixed; boundary=a; boundary*=''b\r\n",
	  { NULL }, MIME_F_LIMITS },
};

START_TEST(test_mime_names)
{
	const struct name_vec	*v = &name_vecs[_i];
	struct tu_sched		 whole;
	struct rec		 r;
	char			 in[1024];
	size_t			 n, i;

	memset(&whole, 0, sizeof(whole));
	n = (size_t)snprintf(in, sizeof(in), "%s\r\n--a--\r\n", v->field);
	mime_run(in, n, &lim_default, &whole, NULL, &r);
	ck_assert_int_eq(r.flags, v->flags);
	if (v->names[0] == NULL) {
		rec_free(&r);
		return;
	}
	ck_assert_uint_eq(r.n, 1);
	ck_assert_str_eq(r.parts[0].p.filename, v->names[0]);
	for (i = 1; i < TU_NELEM(v->names) && v->names[i] != NULL; i++) {
		ck_assert_uint_gt(r.parts[0].p.naltnames, i - 1);
		ck_assert_str_eq(r.parts[0].p.altnames[i - 1], v->names[i]);
	}
	ck_assert_uint_eq(r.parts[0].p.naltnames, i - 1);
	rec_free(&r);
}
END_TEST

/*
 * A name's end is never lost: RFC 2231 sections past those followed,
 * and a folded field past the 64 KiB kept, are smtp:247.
 */
START_TEST(test_mime_name_limits)
{
	struct tu_sched	 whole;
	struct rec	 r;
	char		*in;
	size_t		 n = 0, i, size = 200 * 1024;

	memset(&whole, 0, sizeof(whole));
	ck_assert_ptr_nonnull(in = malloc(size));
	n = (size_t)snprintf(in, size, "Content-Disposition: attachment");
	for (i = 0; i < 130; i++)
		n += (size_t)snprintf(in + n, size - n, ";\r\n filename*%zu="
		    "\"%s\"", i, i == 129 ? ".exe" : "a");
	n += (size_t)snprintf(in + n, size - n, "\r\n\r\nx");
	mime_run(in, n, &lim_default, &whole, NULL, &r);
	ck_assert_int_eq(r.flags, MIME_F_LIMITS);
	ck_assert_str_eq(r.detail[4], "a file name in more sections, forms "
	    "or readings than followed");
	rec_free(&r);

	n = (size_t)snprintf(in, size, "Content-Type: application/x; x=\"");
	for (i = 0; i < 1000; i++)
		n += (size_t)snprintf(in + n, size - n, "%070zu\r\n ", i);
	n += (size_t)snprintf(in + n, size - n, "\"; name=evil.exe\r\n\r\nx");
	mime_run(in, n, &lim_default, &whole, NULL, &r);
	ck_assert_int_eq(r.flags, MIME_F_LIMITS);
	ck_assert_str_eq(r.detail[4], "a Content-* field over 65536 bytes");
	rec_free(&r);
	free(in);
}
END_TEST

/* Base64 of n bytes at p into out (4 * (n + 2) / 3 + 1 bytes), no breaks. */
static size_t
b64_encode_test(const char *p, size_t n, char *out)
{
	static const char	 a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789+/";
	const unsigned char	*u = (const unsigned char *)p;
	size_t			 i, o = 0;
	unsigned		 v;

	for (i = 0; i < n; i += 3) {
		v = (unsigned)u[i] << 16 | (i + 1 < n ? u[i + 1] << 8 : 0) |
		    (i + 2 < n ? u[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		out[o++] = i + 1 < n ? a[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? a[v & 63] : '=';
	}
	out[o] = '\0';
	return o;
}

/*
 * The decoder against the encoder: random bytes, base64 in lines of any
 * length (aligned on groups or not, so that groups cross line ends),
 * white space and junk between characters, fed in random pieces: the
 * bytes come back, and only the junk is counted as skipped.
 */
START_TEST(test_b64_lines)
{
	unsigned char	 raw[700], dec[1200], tail[B64_FINAL_MAX];
	char		 enc[1000], in[4096];
	struct b64	*b;
	uint32_t	 seed = 4648;
	size_t		 n, e, k, len, line, pos, chunk, dlen, got, junk;
	int		 iter;

	ck_assert_ptr_nonnull(b = b64_new());
	for (iter = 0; iter < 3000; iter++) {
		n = mime_rand(&seed) % sizeof(raw);
		for (k = 0; k < n; k++)
			raw[k] = (unsigned char)mime_rand(&seed);
		e = b64_encode_test((const char *)raw, n, enc);
		line = 1 + mime_rand(&seed) % 90;
		len = junk = 0;
		for (k = 0; k < e; k++) {
			in[len++] = enc[k];
			if ((k + 1) % line == 0)
				len += (size_t)snprintf(in + len,
				    sizeof(in) - len, "\r\n");
			if (mime_rand(&seed) % 50 == 0) {
				in[len++] = "* \t!"[mime_rand(&seed) % 4];
				if (in[len - 1] == '*' || in[len - 1] == '!')
					junk++;
			}
		}
		b64_reset(b);
		dlen = 0;
		for (pos = 0; pos < len; pos += chunk) {
			chunk = 1 + mime_rand(&seed) % 200;
			if (chunk > len - pos)
				chunk = len - pos;
			ck_assert_int_eq(b64_decode(b, in + pos, chunk,
			    dec + dlen, &got), 0);
			dlen += got;
		}
		ck_assert_int_eq(b64_final(b, tail, &got), 0);
		memcpy(dec + dlen, tail, got);
		dlen += got;
		ck_assert_uint_eq(dlen, n);
		ck_assert_int_eq(memcmp(dec, raw, n), 0);
		ck_assert_uint_eq(b64_skipped(b), junk);
	}
	b64_free(b);
}
END_TEST

/*
 * Messages encoded in encoded messages are parsed three levels deep;
 * deeper, the part is typed whole and the message refused (smtp:247),
 * so that nesting cannot multiply the parsing work.
 */
START_TEST(test_mime_encoded_nesting)
{
	static const char	 hdr[] = "Content-Type: message/rfc822\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n";
	struct tu_sched		 whole;
	struct rec		 r;
	char			*msg, *enc;
	size_t			 n, size = 64 * 1024;
	int			 level, levels;

	memset(&whole, 0, sizeof(whole));
	ck_assert_ptr_nonnull(msg = malloc(size));
	ck_assert_ptr_nonnull(enc = malloc(2 * size));
	for (levels = 3; levels <= 4; levels++) {
		n = (size_t)snprintf(msg, size, "Content-Disposition: "
		    "attachment; filename=in.exe\r\n\r\nMZ");
		for (level = 0; level < levels; level++) {
			(void)b64_encode_test(msg, n, enc);
			n = (size_t)snprintf(msg, size, "%s%s\r\n", hdr, enc);
		}
		mime_run(msg, n, &lim_default, &whole, NULL, &r);
		if (levels == 3) {
			ck_assert_int_eq(r.flags, 0);
			ck_assert_uint_eq(r.n, 1);
			ck_assert_str_eq(r.parts[0].p.filename, "in.exe");
			ck_assert_uint_eq(r.parts[0].p.depth, 3);
		} else {
			ck_assert_int_eq(r.flags, MIME_F_LIMITS);
			ck_assert_str_eq(r.detail[4], "encoded messages nested "
			    "over 3 (in an attached message)");
			ck_assert_uint_eq(r.n, 1);
			ck_assert_str_eq(r.parts[0].p.type, "message/rfc822");
		}
		rec_free(&r);
	}
	free(msg);
	free(enc);
}
END_TEST

START_TEST(test_mime_long_name)
{
	struct tu_sched	 whole;
	struct rec	 r;
	char		 in[600], want[256];
	size_t		 n, i;

	memset(&whole, 0, sizeof(whole));
	n = (size_t)snprintf(in, sizeof(in), "Content-Disposition: "
	    "attachment; filename=\"");
	memset(in + n, 'a', 296);
	n += 296;
	n += (size_t)snprintf(in + n, sizeof(in) - n, ".exe\"\r\n\r\nx");
	mime_run(in, n, &lim_default, &whole, NULL, &r);
	ck_assert_uint_eq(r.n, 1);
	memset(want, 'a', 127);
	memcpy(want + 127, "...", 3);
	memset(want + 130, 'a', 121);
	memcpy(want + 251, ".exe", 5);
	ck_assert_str_eq(r.parts[0].p.filename, want);
	rec_free(&r);

	/* UTF-8 sequences are not cut. */
	n = (size_t)snprintf(in, sizeof(in), "Content-Disposition: "
	    "attachment; filename=\"");
	for (i = 0; i < 150; i++) {
		in[n++] = '\xc3';
		in[n++] = '\xa9';
	}
	n += (size_t)snprintf(in + n, sizeof(in) - n, ".exe\"\r\n\r\nx");
	mime_run(in, n, &lim_default, &whole, NULL, &r);
	ck_assert_uint_eq(r.n, 1);
	n = strlen(r.parts[0].p.filename);
	ck_assert_uint_le(n, 255);
	ck_assert_str_eq(r.parts[0].p.filename + n - 4, ".exe");
	ck_assert_msg(strstr(r.parts[0].p.filename, "\xa9...\xc3") != NULL,
	    "%s", tu_esc(r.parts[0].p.filename, n));
	rec_free(&r);
}
END_TEST

/*
 * Huge input stays bounded: a 4 MiB header line and a 4 MiB folded
 * Content-Type are flagged and cut; a 4 MiB base64 line decodes whole.
 */
START_TEST(test_mime_huge)
{
	static const struct mime_callbacks cb = { rnd_begin, rnd_data,
	    rnd_end };
	struct mime	*m;
	struct b64	*b;
	char		*big;
	unsigned char	*dec;
	size_t		 i, n = 4 * 1024 * 1024, dlen, flen;
	uint64_t	 h;

	ck_assert_ptr_nonnull(big = malloc(n));
	memset(big, 'h', n);
	ck_assert_ptr_nonnull(m = mime_new(&lim_default, NULL, NULL));
	ck_assert_int_eq(mime_parse(m, "X-Big: ", 7), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(mime_parse(m, big, n), 0);
	ck_assert_int_eq(mime_parse(m,
	    TU_S("\r\nContent-Type: multipart/mixed; a=\"")), 0);
	for (i = 0; i < 4096; i++) {
		ck_assert_int_eq(mime_parse(m, big, 900), 0);
		ck_assert_int_eq(mime_parse(m, "\r\n ", 3), 0);
	}
	ck_assert_int_eq(mime_parse(m,
	    TU_S("\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n")), 0);
	ck_assert_int_eq(mime_finish(m), 0);
	/* The boundary is past the 64 KiB kept of the field: refused. */
	ck_assert_int_eq(mime_flags(m), MIME_F_HEADER_LONG | MIME_F_LIMITS);
	ck_assert_str_eq(mime_detail(m, MIME_F_HEADER_LONG),
	    "header X-Big line over 998 bytes");
	ck_assert_str_eq(mime_detail(m, MIME_F_LIMITS),
	    "a Content-* field over 65536 bytes");
	mime_free(m);

	/* base64 on one line: decoded whole, flagged long. */
	for (i = 0; i < n; i++)
		big[i] = "QUJD"[i % 4];
	ck_assert_ptr_nonnull(m = mime_new(&lim_default, &cb, NULL));
	rnd_hash = 0;
	ck_assert_int_eq(mime_parse(m,
	    TU_S("Content-Transfer-Encoding: base64\r\n\r\n")), 0);
	ck_assert_int_eq(mime_parse(m, big, n), 0);
	ck_assert_int_eq(mime_finish(m), 0);
	ck_assert_int_eq(mime_flags(m), MIME_F_BODY_LONG);
	h = rnd_hash;
	mime_free(m);

	ck_assert_ptr_nonnull(dec = malloc(n));
	for (i = 0; i < n / 4 * 3; i++)
		dec[i] = "ABC"[i % 3];
	dlen = n / 4 * 3;
	rnd_hash = 0;
	{
		struct mime_part p;

		memset(&p, 0, sizeof(p));
		p.index = 0;
		(void)snprintf(p.type, sizeof(p.type), "text/plain");
		p.encoding = MIME_ENC_BASE64;
		rnd_begin(NULL, &p);
		rnd_data(NULL, &p, dec, dlen);
		p.size = dlen;
		rnd_end(NULL, &p);
	}
	ck_assert(h == rnd_hash);

	/* And the decoder alone agrees. */
	ck_assert_ptr_nonnull(b = b64_new());
	free(dec);
	ck_assert_ptr_nonnull(dec = malloc(B64_DECODE_MAX(n)));
	ck_assert_int_eq(b64_decode(b, big, n, dec, &dlen), 0);
	ck_assert_int_eq(b64_final(b, dec + dlen, &flen), 0);
	ck_assert_uint_eq(dlen + flen, n / 4 * 3);
	b64_free(b);
	free(dec);
	free(big);
}
END_TEST

/* cb NULL: flags only. After mime_finish(), input is ignored. */
START_TEST(test_mime_interface)
{
	struct mime	*m;
	struct rec	 r;

	ck_assert_ptr_nonnull(m = mime_new(&lim_default, NULL, NULL));
	ck_assert_int_eq(mime_parse(m, TU_S("Subject: \xff\r\n\r\nx\r\n")),
	    0);
	ck_assert_int_eq(mime_finish(m), 0);
	ck_assert_int_eq(mime_flags(m), MIME_F_SUBJECT_8BIT);
	ck_assert_uint_eq(mime_nparts(m), 1);
	ck_assert_str_eq(mime_detail(m, MIME_F_HEADER_CHAR), "");
	ck_assert_str_eq(mime_detail(m, 0), "");
	ck_assert_int_eq(mime_finish(m), 0);
	mime_free(m);
	mime_free(NULL);

	memset(&r, 0, sizeof(r));
	ck_assert_ptr_nonnull(m = mime_new(&lim_default, &rec_cb, &r));
	ck_assert_int_eq(mime_parse(m, TU_S("\r\nabc")), 0);
	ck_assert_int_eq(mime_finish(m), 0);
	ck_assert_int_eq(mime_parse(m, TU_S("\r\n--x\r\nmore\r\n")), 0);
	ck_assert_int_eq(mime_finish(m), 0);
	ck_assert_uint_eq(r.n, 1);
	ck_assert(tu_eq((const char *)r.parts[0].data, r.parts[0].len,
	    TU_S("abc")));
	mime_free(m);
	rec_free(&r);
}
END_TEST

/* base64 decoder: RFC 4648 §4 and RFC 2045 §6.8. */
struct b64_vec {
	const char	*in;
	size_t		 inlen;
	const char	*out;
	size_t		 outlen;
	size_t		 skipped;
};

static const struct b64_vec b64_vecs[] = {
	{ TU_S(""), TU_S(""), 0 },
	{ TU_S("QQ=="), TU_S("A"), 0 },
	{ TU_S("QUI="), TU_S("AB"), 0 },
	{ TU_S("QUJD"), TU_S("ABC"), 0 },
	{ TU_S("QUJDRA=="), TU_S("ABCD"), 0 },
	{ TU_S("QU\r\nJD\r\n"), TU_S("ABC"), 0 },
	{ TU_S(" Q U J D "), TU_S("ABC"), 0 },
	{ TU_S("QUJ"), TU_S("AB"), 0 },		/* no padding */
	{ TU_S("QU"), TU_S("A"), 0 },
	{ TU_S("Q"), TU_S(""), 1 },		/* no whole byte */
	{ TU_S("QQ==QUI="), TU_S("AAB"), 0 },	/* glued encodings */
	{ TU_S("QQ===="), TU_S("A"), 0 },
	{ TU_S("=QUJD"), TU_S("ABC"), 0 },
	{ TU_S("Q=UJD"), TU_S("P\x90"), 1 },	/* "UJD" pads to "UJD=" */
	{ TU_S("!Q*U-J.D"), TU_S("ABC"), 4 },
	{ TU_S("QU\0JD"), TU_S("ABC"), 1 },
	{ TU_S("/+/+"), TU_S("\xff\xef\xfe"), 0 },
	{ TU_S("AAAA"), TU_S("\0\0\0"), 0 },
};

START_TEST(test_b64_vectors)
{
	const struct b64_vec	*v = &b64_vecs[_i];
	struct tu_sched		 s;
	struct b64		*b;
	unsigned char		 out[64], *o;
	size_t			 k, pos, chunk, len, total;

	ck_assert_ptr_nonnull(b = b64_new());
	for (k = 0; k < tu_sched_count(v->inlen); k++) {
		tu_sched_get(k, v->inlen, &s);
		b64_reset(b);
		total = 0;
		for (pos = 0; (chunk = tu_sched_next(&s, pos, v->inlen)) > 0;
		    pos += chunk) {
			/* Exactly the documented room, on the heap. */
			ck_assert_ptr_nonnull(o = malloc(B64_DECODE_MAX(chunk)));
			ck_assert_int_eq(b64_decode(b, v->in + pos, chunk, o,
			    &len), 0);
			ck_assert_uint_le(len, B64_DECODE_MAX(chunk));
			ck_assert_uint_le(total + len, sizeof(out));
			memcpy(out + total, o, len);
			total += len;
			free(o);
		}
		ck_assert_int_eq(b64_final(b, out + total, &len), 0);
		ck_assert_msg(b64_skipped(b) == v->skipped, "\"%s\" (%s): "
		    "skipped %zu", tu_esc(v->in, v->inlen), s.desc,
		    b64_skipped(b));
		ck_assert_uint_le(len, B64_FINAL_MAX);
		total += len;
		ck_assert_msg(tu_eq((const char *)out, total, v->out,
		    v->outlen), "\"%s\" (%s): \"%s\", expected \"%s\"",
		    tu_esc(v->in, v->inlen), s.desc,
		    tu_esc((const char *)out, total),
		    tu_esc(v->out, v->outlen));
	}
	b64_free(b);
	b64_free(NULL);
}
END_TEST

static Suite *
mime_suite(void)
{
	Suite	*s = suite_create("mime");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_mime_vectors, 0, TU_NELEM(mime_vecs));
	tcase_add_test(tc, test_mime_random);
	tcase_add_test(tc, test_mime_long_name);
	tcase_add_loop_test(tc, test_mime_names, 0, TU_NELEM(name_vecs));
	tcase_add_test(tc, test_mime_name_limits);
	tcase_add_test(tc, test_mime_encoded_nesting);
	tcase_add_test(tc, test_mime_huge);
	tcase_add_test(tc, test_mime_interface);
	tcase_add_test(tc, test_mime_count_only);
	tcase_add_test(tc, test_b64_lines);
	tcase_add_loop_test(tc, test_b64_vectors, 0, TU_NELEM(b64_vecs));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(mime_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
