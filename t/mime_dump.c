/*
 * mime_dump: run one message through the streaming MIME parser
 * (src/mime.c) as the live proxy does, and print what it reports, for
 * t/mime_diff.py, which compares it with Python's email package.
 *
 * Usage: mime_dump [FILE]   (standard input without FILE)
 *
 * The input must be what the SMTP body layer hands the inspector: the
 * message dot-unstuffed, with CRLF line ends (the driver converts
 * LF-only files first). The limits are the defaults of src/config.c;
 * the text is fed in read(2)-sized pieces, as it arrives.
 *
 * Output, one JSON object a line: one per leaf part, at its end,
 *   {"index":0,"depth":1,"type":"application/x-msdownload",
 *    "filename":"a.exe","altnames":["a.exe.txt"],"enclosed":0,
 *    "attachment":1,"encoding":"base64","size":1234}
 * then one for the message,
 *   {"flags":16,"names":["limits"],"details":{"limits":"..."},
 *    "nparts":3}
 * Strings are the parser's bytes: '"', '\' and control characters are
 * escaped, other bytes (UTF-8 or not) are written as they are.
 * Exit status 0, or 2 on an error (unreadable file, out of memory).
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

static const struct mime_limits dump_limits = { 998, 1000, 20, 1000 };

static const struct {
	int		 flag;
	const char	*name;
} dump_flags[] = {
	{ MIME_F_HEADER_CHAR,	"header_char" },	/* smtp:122 */
	{ MIME_F_SUBJECT_8BIT,	"subject_8bit" },	/* smtp:231 */
	{ MIME_F_HEADER_LONG,	"header_long" },	/* smtp:217 */
	{ MIME_F_BODY_LONG,	"body_long" },		/* smtp:217 */
	{ MIME_F_LIMITS,	"limits" },		/* smtp:247 */
	{ MIME_F_PARTIAL,	"partial" },		/* smtp:250 */
};
#define DUMP_NFLAGS	(sizeof(dump_flags) / sizeof(dump_flags[0]))

static const char *const dump_encodings[] = {
	"7bit", "8bit", "binary", "base64", "quoted-printable", "unknown"
};

static const char *
dump_encoding(enum mime_encoding e)
{
	if ((size_t)e >= sizeof(dump_encodings) / sizeof(dump_encodings[0]))
		return "?";
	return dump_encodings[e];
}

static void
dump_string(const char *s)
{
	const unsigned char	*u;

	putchar('"');
	for (u = (const unsigned char *)s; *u != '\0'; u++) {
		if (*u == '"' || *u == '\\')
			printf("\\%c", *u);
		else if (*u < 0x20 || *u == 0x7f)
			printf("\\u%04x", *u);
		else
			putchar(*u);
	}
	putchar('"');
}

static void
dump_part_end(void *arg, const struct mime_part *p)
{
	unsigned	 i;

	(void)arg;
	printf("{\"index\":%u,\"depth\":%u,\"type\":", p->index, p->depth);
	dump_string(p->type);
	printf(",\"filename\":");
	dump_string(p->filename);
	printf(",\"altnames\":[");
	for (i = 0; i < p->naltnames && i < MIME_ALTNAMES; i++) {
		if (i > 0)
			putchar(',');
		dump_string(p->altnames[i]);
	}
	printf("],\"enclosed\":%d,\"attachment\":%d,\"encoding\":\"%s\","
	    "\"size\":%llu}\n", p->enclosed, p->attachment,
	    dump_encoding(p->encoding), (unsigned long long)p->size);
}

static const struct mime_callbacks dump_callbacks = {
	NULL, NULL, dump_part_end
};

static void
dump_summary(const struct mime *m)
{
	size_t	 i;
	int	 flags = mime_flags(m), n = 0;

	printf("{\"flags\":%d,\"names\":[", flags);
	for (i = 0; i < DUMP_NFLAGS; i++)
		if (flags & dump_flags[i].flag)
			printf("%s\"%s\"", n++ > 0 ? "," : "",
			    dump_flags[i].name);
	printf("],\"details\":{");
	for (i = 0, n = 0; i < DUMP_NFLAGS; i++)
		if (flags & dump_flags[i].flag) {
			printf("%s\"%s\":", n++ > 0 ? "," : "",
			    dump_flags[i].name);
			dump_string(mime_detail(m, dump_flags[i].flag));
		}
	printf("},\"nparts\":%u}\n", mime_nparts(m));
}

int
main(int argc, char *argv[])
{
	FILE		*f = stdin;
	struct mime	*m;
	char		 buf[16384];
	size_t		 n;
	int		 rc = 0;

	if (argc > 2) {
		fprintf(stderr, "usage: mime_dump [FILE]\n");
		return 2;
	}
	if (argc == 2 && (f = fopen(argv[1], "rb")) == NULL) {
		perror(argv[1]);
		return 2;
	}
	if ((m = mime_new(&dump_limits, &dump_callbacks, NULL)) == NULL) {
		fprintf(stderr, "mime_dump: out of memory\n");
		return 2;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (mime_parse(m, buf, n) == -1) {
			rc = 2;
			break;
		}
	if (ferror(f)) {
		perror(argc == 2 ? argv[1] : "stdin");
		rc = 2;
	}
	if (rc == 0 && mime_finish(m) == -1)
		rc = 2;
	if (rc == 0)
		dump_summary(m);
	else
		fprintf(stderr, "mime_dump: parse failed (out of memory)\n");
	mime_free(m);
	if (f != stdin)
		fclose(f);
	return rc;
}
