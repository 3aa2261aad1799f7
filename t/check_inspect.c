/*
 * Unit tests for the content inspection of a message (src/inspect.c)
 * with the real MIME parser and the real libclamav: messages built at
 * test time (a minimal PE32, stored ZIPs, TNEF, uuencode, HTML data:
 * URIs, attached mails), fed in pieces, typed and judged as live.
 *
 *  - archives: every member is typed, the 301st as the first (no cap);
 *    a typing libclamav stopped short of is refused (smtp:252) unless
 *    smtp:252's action is configured;
 *  - containers: what libclamav's mail parser opens is typed;
 *  - text parts: base64 or attachment text parts, and bodies that are
 *    not text, are typed; HTML and "#!" bodies are not files;
 *  - one spool file per message: 1000 parts under a descriptor limit of
 *    64, and the descriptors the inspection holds stay at most two;
 *  - findings: the strongest action wins behind any number of refused
 *    attachments, the report lists the first ones and counts the rest;
 *  - malformed input: no crash, no accept of what was seen refused.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/resource.h>

#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "inspect.h"
#include "scan.h"

#include "check_files.h"
#include "check_util.h"

static char	 spool[256];
static char	 report[1 << 16];
static int	 nreport;

static void
config_error(const char *msg)
{
	fprintf(stderr, "config: %s\n", msg);
}

static struct config *
load_config(const char *extra)
{
	char		 path[] = "/tmp/check_inspect.XXXXXX";
	struct config	*conf;
	FILE		*fp;
	int		 fd;

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_ptr_nonnull(fp = fdopen(fd, "w"));
	fprintf(fp, "listen = { \"127.0.0.1:1\" }\nmode = \"relay\"\n"
	    "upstream = \"127.0.0.1:2\"\nspool_dir = \"%s\"\n%s\n", spool,
	    extra);
	fclose(fp);
	conf = config_load(path, config_error);
	unlink(path);
	ck_assert_ptr_nonnull(conf);
	return conf;
}

#define TYPES	"filetypes {\n enabled = true\n block_types = { " \
		"\"executable\", \"html\", \"script\" }\n}\n"

static void
collect(void *arg, int alarm, enum alarm_action act, const char *detail)
{
	size_t	 n = strlen(report);

	(void)arg;
	nreport++;
	snprintf(report + n, sizeof(report) - n, "%d %s %s\n", alarm,
	    alarm_action_name(act), detail);
}

/* Inspect msg with conf (in pieces of 777 bytes); the verdict. */
static enum inspect_verdict
run(struct config *conf, const struct tu_buf *msg, char *reply,
    size_t replysz)
{
	struct scan_engine	*e;
	struct inspect		*ins;
	enum inspect_verdict	 v;
	char			 err[256];
	size_t			 i, n;

	ck_assert_ptr_nonnull(e = scan_engine_new(NULL, err, sizeof(err)));
	ck_assert_ptr_nonnull(ins = inspect_new(conf, e, NULL, 0));
	for (i = 0; i < msg->len; i += n) {
		n = msg->len - i < 777 ? msg->len - i : 777;
		ck_assert_int_eq(inspect_data(ins, (const char *)msg->p + i,
		    n), 0);
	}
	inspect_end(ins, 0);
	if (inspect_needs_scan(ins))
		inspect_scan(ins);
	report[0] = '\0';
	nreport = 0;
	reply[0] = '\0';
	v = inspect_verdict(ins, collect, NULL, reply, replysz);
	if (getenv("INSPECT_DUMP") != NULL)
		fprintf(stderr, "verdict %d reply '%s'\n%s", v, reply, report);
	inspect_free(ins);
	scan_engine_unref(e);
	return v;
}

/* One configuration, one message: the verdict and the reply. */
static enum inspect_verdict
run1(const char *extra, const struct tu_buf *msg, char *reply,
    size_t replysz)
{
	struct config		*conf = load_config(extra);
	enum inspect_verdict	 v;

	v = run(conf, msg, reply, replysz);
	config_unref(conf);
	return v;
}

/* A message: its header, then parts added with m_part(), m_end(). */
static void
m_head(struct tu_buf *b, const char *subject)
{
	tu_puts(b, "From: a@example.org\r\nTo: b@example.org\r\nSubject: ");
	tu_puts(b, subject);
	tu_puts(b, "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=\"BB\"\r\n\r\npreamble\r\n");
}

/* A part: its header lines (CRLF-terminated), then its body as is. */
static void
m_part(struct tu_buf *b, const char *headers, const void *body, size_t len)
{
	tu_puts(b, "--BB\r\n");
	tu_puts(b, headers);
	tu_puts(b, "\r\n");
	tu_put(b, body, len);
	if (len < 2 || memcmp((const char *)body + len - 2, "\r\n", 2) != 0)
		tu_puts(b, "\r\n");
}

/* A part whose body is a string. */
static void
m_parts(struct tu_buf *b, const char *headers, const char *body)
{
	m_part(b, headers, body, strlen(body));
}

/* A base64 part. */
static void
m_part64(struct tu_buf *b, const char *headers, const struct tu_buf *data)
{
	struct tu_buf	 enc = { NULL, 0, 0 };
	char		 h[1024];

	tu_base64(&enc, data->p, data->len);
	snprintf(h, sizeof(h), "%sContent-Transfer-Encoding: base64\r\n",
	    headers);
	m_part(b, h, enc.p, enc.len);
	tu_free(&enc);
}

static void
m_end(struct tu_buf *b)
{
	tu_puts(b, "--BB--\r\n");
}

#define OCTET	"Content-Type: application/octet-stream\r\n"
#define TEXT	"Content-Type: text/plain\r\n"

/* ------------------------------------------------------------------ */

/*
 * A zip of 300 text files and then a PE: the PE is found (before, only
 * the first 256 files were typed and smtp:252 was logged). A zip of
 * text files passes.
 */
START_TEST(test_archive_many)
{
	struct tu_zipent	 ent[301];
	char			 names[300][16], reply[600];
	struct tu_buf		 zip = { NULL, 0, 0 }, pe = { NULL, 0, 0 },
				 msg = { NULL, 0, 0 };
	size_t			 i;

	tu_pe(&pe);
	for (i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "f%03zu.txt", i);
		ent[i].name = names[i];
		ent[i].data = (const unsigned char *)names[i];
		ent[i].len = strlen(names[i]);
		ent[i].password = NULL;
	}
	ent[300].name = "z.exe";
	ent[300].data = pe.p;
	ent[300].len = pe.len;
	ent[300].password = NULL;
	tu_zip(&zip, ent, 301);
	m_head(&msg, "many");
	m_part64(&msg, OCTET "Content-Disposition: attachment; "
	    "filename=\"many.zip\"\r\n", &zip);
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_str_eq(reply, "554 5.7.1 Attachment \"many.zip/z.exe\" "
	    "(executable) not allowed");
	ck_assert_ptr_null(strstr(report, "smtp:252"));

	tu_free(&zip);
	tu_free(&msg);
	tu_zip(&zip, ent, 300);
	m_head(&msg, "many");
	m_part64(&msg, OCTET "Content-Disposition: attachment; "
	    "filename=\"many.zip\"\r\n", &zip);
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_ACCEPT);
	ck_assert_str_eq(report, "");
	tu_free(&zip);
	tu_free(&pe);
	tu_free(&msg);
}
END_TEST

/*
 * Text nested 25 ZIPs deep (libclamav stops at 17): the typing is
 * incomplete, so the message is refused with smtp:252; with smtp:252
 * configured to log, it is logged and accepted (the administrator's
 * choice), and configured to close, it closes.
 */
START_TEST(test_incomplete)
{
	struct tu_buf	 cur = { NULL, 0, 0 }, next = { NULL, 0, 0 },
			 msg = { NULL, 0, 0 };
	char		 reply[600];
	int		 n;

	tu_puts(&cur, "just text\r\n");
	for (n = 0; n < 25; n++) {
		tu_zip1(&next, n == 0 ? "a.txt" : "deeper.zip", cur.p,
		    cur.len, NULL);
		tu_free(&cur);
		cur = next;
		memset(&next, 0, sizeof(next));
	}
	m_head(&msg, "deep");
	m_part64(&msg, OCTET "Content-Disposition: attachment; "
	    "filename=\"deep.zip\"\r\n", &cur);
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_str_eq(reply, "554 5.7.1 Attachment \"deep.zip\" could not "
	    "be inspected completely (smtp:252)");
	ck_assert_msg(strstr(report, "block attachment=\"deep.zip\" reason="
	    "\"file typing incomplete: Heuristics.Limits.Exceeded") != NULL,
	    "%s", report);

	ck_assert_int_eq(run1(TYPES "alarm \"smtp:252\" { action = \"log\" }",
	    &msg, reply, sizeof(reply)), INSPECT_ACCEPT);
	ck_assert_msg(strstr(report, "log attachment=\"deep.zip\"") != NULL,
	    "%s", report);
	ck_assert_int_eq(run1(TYPES "alarm \"unscanned\" { action = "
	    "\"close\" }", &msg, reply, sizeof(reply)), INSPECT_CLOSE);
	ck_assert_str_eq(reply, "421 4.7.0 unscanned (smtp:252)");

	/* Names only (block_extensions): nothing typed, nothing refused. */
	ck_assert_int_eq(run1("filetypes {\n enabled = true\n "
	    "block_extensions = { \"exe\" }\n}\n", &msg, reply,
	    sizeof(reply)), INSPECT_ACCEPT);
	tu_free(&cur);
	tu_free(&msg);
}
END_TEST

/* A mail with the PE attached (base64), as a file. */
static void
inner_mail(struct tu_buf *b, const struct tu_buf *pe)
{
	m_head(b, "inner");
	m_parts(b, TEXT, "see attached\r\n");
	m_part64(b, OCTET "Content-Disposition: attachment; "
	    "filename=\"inner.exe\"\r\n", pe);
	m_end(b);
}

enum { C_EML, C_RFC822_B64, C_RFC822_QP, C_TNEF, C_HTML_DATA, C_UU,
    C_UU_NOEND, C_MBOX, C_COUNT };

/*
 * The name in the reply: the part's, and the file's inside when there
 * is one (libclamav names a data: URI "attachment"). An attached
 * message encoded base64 or quoted-printable is decoded and parsed by
 * the MIME parser: its attachment is a part of its own.
 */
static const char *const container_reply[C_COUNT] = {
	"Attachment \"fwd.eml/inner.exe\" (executable) not allowed",
	"Attachment \"inner.exe\" (executable) not allowed",
	"Attachment \"inner.exe\" (executable) not allowed",
	"Attachment \"winmail.dat\" (executable) not allowed",
	"Attachment \"(unnamed)/attachment\" (executable) not allowed",
	"Attachment \"(unnamed)/evil.exe\" (executable) not allowed",
	"Attachment \"(unnamed)/evil.exe\" (executable) not allowed",
	"Attachment \"box.mbox/inner.exe\" (executable) not allowed",
};

/* An executable inside each container libclamav's mail parser opens. */
START_TEST(test_containers)
{
	struct tu_buf	 pe = { NULL, 0, 0 }, in = { NULL, 0, 0 },
			 body = { NULL, 0, 0 }, msg = { NULL, 0, 0 },
			 enc = { NULL, 0, 0 };
	char		 reply[600];
	size_t		 i;

	tu_pe(&pe);
	m_head(&msg, "container");
	m_parts(&msg, TEXT, "hello\r\n");
	switch (_i) {
	case C_EML:
		inner_mail(&in, &pe);
		m_part64(&msg, OCTET "Content-Disposition: attachment; "
		    "filename=\"fwd.eml\"\r\n", &in);
		break;
	case C_RFC822_B64:
		inner_mail(&in, &pe);
		m_part64(&msg, "Content-Type: message/rfc822\r\n", &in);
		break;
	case C_RFC822_QP:
		/*
		 * base64 inside, so QP leaves it as it is. The inner
		 * boundary becomes "BC": its "--BB" lines, not encoded by
		 * QP, would end the outer part.
		 */
		inner_mail(&in, &pe);
		for (i = 0; i < in.len; i++) {
			if (in.p[i] == '=')
				tu_puts(&body, "=3D");
			else if (in.p[i] == 'B' && i > 0 && i + 2 < in.len &&
			    in.p[i + 1] == 'B' && (in.p[i - 1] == '"' ||
			    (in.p[i - 1] == '-' && i > 1 && in.p[i - 2] == '-' &&
			    (i == 2 || in.p[i - 3] == '\n'))) &&
			    strchr("\"\r-", in.p[i + 2]) != NULL) {
				tu_puts(&body, "BC");
				i++;
			} else
				tu_put(&body, in.p + i, 1);
		}
		m_part(&msg, "Content-Type: message/rfc822\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n",
		    body.p, body.len);
		break;
	case C_TNEF:
		tu_tnef(&in, "evil.exe", &pe);
		m_part64(&msg, "Content-Type: application/ms-tnef; "
		    "name=\"winmail.dat\"\r\n", &in);
		break;
	case C_HTML_DATA:
		tu_base64(&enc, pe.p, pe.len);
		tu_puts(&body, "<html><body><p>hi</p><a href=\"data:"
		    "application/octet-stream;base64,");
		for (i = 0; i < enc.len; i++)
			if (enc.p[i] != '\r' && enc.p[i] != '\n')
				tu_put(&body, enc.p + i, 1);
		tu_puts(&body, "\">x</a></body></html>\r\n");
		/* quoted-printable would do, 7bit is simpler */
		m_part(&msg, "Content-Type: text/html\r\n", body.p, body.len);
		break;
	case C_UU:
	case C_UU_NOEND:
		/* a harmless block first: each block is typed */
		tu_puts(&body, "Two files below.\r\n\r\n");
		tu_puts(&in, "harmless text\r\n");
		tu_uuencode(&body, "notes.txt", &in);
		tu_puts(&body, "\r\nand\r\n\r\n");
		tu_uuencode(&body, "evil.exe", &pe);
		if (_i == C_UU_NOEND)
			body.len -= 5;	/* no "end" line */
		m_part(&msg, TEXT, body.p, body.len);
		break;
	case C_MBOX:
		tu_puts(&body, "From a@example.org Mon Jan  1 00:00:00 2024\r\n");
		inner_mail(&in, &pe);
		tu_put(&body, in.p, in.len);
		m_part64(&msg, OCTET "Content-Disposition: attachment; "
		    "filename=\"box.mbox\"\r\n", &body);
		break;
	default:
		ck_abort();
	}
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_msg(strncmp(reply, "554 5.7.1 Attachment ", 21) == 0 &&
	    strstr(reply, "(executable) not allowed") != NULL &&
	    strstr(reply, container_reply[_i]) != NULL, "reply %s", reply);
	tu_free(&pe);
	tu_free(&in);
	tu_free(&body);
	tu_free(&msg);
	tu_free(&enc);
}
END_TEST

/*
 * Text parts (item: unnamed text parts were never typed): a PE sent as
 * text/plain is typed when it is base64, an attachment, or a body that
 * is not text; a plain HTML body, a "#!" body, a text body that merely
 * mentions "begin 644" are not files and pass block_types html and
 * script.
 */
START_TEST(test_text_parts)
{
	struct tu_buf	 pe = { NULL, 0, 0 }, msg = { NULL, 0, 0 },
			 qp = { NULL, 0, 0 };
	char		 reply[600];
	size_t		 i;

	tu_pe(&pe);
	m_head(&msg, "t1");
	m_part64(&msg, TEXT "Content-Disposition: attachment\r\n", &pe);
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_str_eq(reply, "554 5.7.1 Attachment \"(unnamed)\" "
	    "(executable) not allowed");
	tu_free(&msg);

	m_head(&msg, "t2");
	m_part64(&msg, TEXT, &pe);
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	tu_free(&msg);

	/* quoted-printable, inline, unnamed: the content is not text */
	for (i = 0; i < pe.len; i++) {
		char	 h[4];

		if (i > 0 && i % 25 == 0)
			tu_puts(&qp, "=\r\n");
		snprintf(h, sizeof(h), "=%02X", pe.p[i]);
		tu_puts(&qp, h);
	}
	m_head(&msg, "t3");
	m_part(&msg, TEXT "Content-Transfer-Encoding: quoted-printable\r\n",
	    qp.p, qp.len);
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	tu_free(&msg);

	m_head(&msg, "t4");
	m_parts(&msg, "Content-Type: text/html\r\n",
	    "<html><body><script>x=1</script><p>hi</p></body></html>\r\n");
	m_parts(&msg, TEXT, "#!/bin/sh\r\necho pasted into a mail\r\n");
	m_parts(&msg, TEXT, "begin 644 is how uuencode starts\r\nbegin 9 x\r\n"
	    "begin 644\r\n");
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_ACCEPT);
	ck_assert_str_eq(report, "");
	tu_free(&msg);

	/* The same "#!" text as a named attachment is a script. */
	m_head(&msg, "t5");
	m_parts(&msg, TEXT "Content-Disposition: attachment; filename="
	    "\"run.txt\"\r\n", "#!/bin/sh\r\necho hi\r\n");
	m_end(&msg);
	ck_assert_int_eq(run1(TYPES, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_str_eq(reply, "554 5.7.1 Attachment \"run.txt\" (script) "
	    "not allowed");
	tu_free(&msg);
	tu_free(&qp);
	tu_free(&pe);
}
END_TEST

static int
count_fds(void)
{
	DIR		*d;
	struct dirent	*de;
	int		 n = 0;

	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* A message of nparts base64 parts of 7 KB; the last one a PE if pe. */
static void
many_parts(struct tu_buf *msg, int nparts, const struct tu_buf *pe)
{
	struct tu_buf	 data = { NULL, 0, 0 };
	char		 h[200];
	int		 i;

	for (i = 0; i < 7 * 1024; i++)
		tu_put(&data, (const unsigned char *)"0123456789abcdef\n" +
		    i % 17, 1);
	m_head(msg, "parts");
	for (i = 0; i < nparts; i++) {
		snprintf(h, sizeof(h), OCTET "Content-Disposition: attachment;"
		    " filename=\"part%04d.dat\"\r\n", i);
		m_part64(msg, h, i == nparts - 1 && pe != NULL ? pe : &data);
	}
	m_end(msg);
	tu_free(&data);
}

/*
 * 1000 parts of 7 KB (7 MB, over the 4 MB kept in memory) with at most
 * 64 descriptors: typed from one spool file, never a tempfail; the PE
 * in the last part is found. While the message is spooled the
 * inspection holds one descriptor (two with the anti-virus copy).
 */
START_TEST(test_descriptors)
{
	struct config		*conf;
	struct scan_engine	*e;
	struct inspect		*ins;
	struct tu_buf		 msg = { NULL, 0, 0 }, pe = { NULL, 0, 0 };
	struct rlimit		 rl;
	char			 reply[600], err[256];
	int			 base;

	tu_pe(&pe);
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	rl.rlim_cur = 64;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	conf = load_config(TYPES "limits { mime_parts = 5000 }");

	many_parts(&msg, 1000, NULL);
	ck_assert_int_eq(run(conf, &msg, reply, sizeof(reply)),
	    INSPECT_ACCEPT);
	ck_assert_str_eq(report, "");
	tu_free(&msg);
	many_parts(&msg, 1000, &pe);
	ck_assert_int_eq(run(conf, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_str_eq(reply, "554 5.7.1 Attachment \"part0999.dat\" "
	    "(executable) not allowed");

	ck_assert_ptr_nonnull(e = scan_engine_new(NULL, err, sizeof(err)));
	base = count_fds();
	ck_assert_ptr_nonnull(ins = inspect_new(conf, e, NULL, 0));
	ck_assert_int_eq(inspect_data(ins, (const char *)msg.p, msg.len), 0);
	inspect_end(ins, 0);
	ck_assert_int_le(count_fds(), base + 1);
	inspect_free(ins);
	ck_assert_int_eq(count_fds(), base);
	scan_engine_unref(e);
	config_unref(conf);
	tu_free(&msg);
	tu_free(&pe);
}
END_TEST

/*
 * 40 refused attachments, then an alarm whose action is close: the
 * message is closed (421, the alarm's id), not merely refused; the
 * report lists 32 refusals, says how many more, and the alarm. The same
 * with the alarm at block: the first refusal's reply.
 */
START_TEST(test_findings)
{
	struct tu_buf	 msg = { NULL, 0, 0 };
	char		 reply[600], h[200];
	int		 i;

	tu_puts(&msg, "From: a@example.org\r\nTo: b@example.org\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
	    "boundary=\"BB\"\r\n\r\n");
	for (i = 0; i < 40; i++) {
		snprintf(h, sizeof(h), OCTET "Content-Disposition: attachment;"
		    " filename=\"f%02d.exe\"\r\n", i);
		m_parts(&msg, h, "x\r\n");
	}
	/* a part header with a control character: smtp:122, at the end */
	m_parts(&msg, TEXT "X-Note: bad\001char\r\n", "end\r\n");
	m_end(&msg);
	ck_assert_int_eq(run1("filetypes {\n enabled = true\n "
	    "block_extensions = { \"exe\" }\n}\nalarm \"smtp:122\" { action = "
	    "\"close\" }\n", &msg, reply, sizeof(reply)), INSPECT_CLOSE);
	ck_assert_msg(strncmp(reply, "421 4.7.0 ", 10) == 0 &&
	    strstr(reply, "(smtp:122)") != NULL, "reply %s", reply);
	ck_assert_int_eq(nreport, 32 + 1 + 1);
	ck_assert_msg(strstr(report, "more=8 ") != NULL, "%s", report);
	ck_assert_msg(strstr(report, "f31.exe") != NULL, "%s", report);
	ck_assert_ptr_null(strstr(report, "f32.exe"));
	ck_assert_msg(strstr(report, "close detail=") != NULL, "%s", report);

	ck_assert_int_eq(run1("filetypes {\n enabled = true\n "
	    "block_extensions = { \"exe\" }\n}\nalarm \"smtp:122\" { action = "
	    "\"block\" }\n", &msg, reply, sizeof(reply)), INSPECT_REJECT);
	ck_assert_str_eq(reply, "554 5.7.1 Attachment \"f00.exe\" (exe) not "
	    "allowed");
	tu_free(&msg);
}
END_TEST

/*
 * Malformed input: truncated base64 and ZIP, a TNEF cut short, a
 * uuencoded block cut short, "begin" lines of every shape, an
 * unterminated multipart. Nothing crashes (the sanitizer build runs
 * this too); a PE seen is refused even when the rest is broken.
 */
/*
 * The rules that go by names see every reading of a name, the parts of
 * named containers, and the files a text part holds uuencoded or yEnc
 * encoded, with block_extensions alone too (nothing typed).
 */
#define EXTS	"filetypes {\n enabled = true\n block_extensions = { " \
		"\"exe\" }\n}\n"

START_TEST(test_names)
{
	struct tu_buf		 msg = { NULL, 0, 0 }, body = { NULL, 0, 0 },
				 in = { NULL, 0, 0 };
	char			 reply[600];
	const char		*conf = _i < 4 ? EXTS : TYPES, *want;

	m_head(&msg, "names");
	switch (_i % 4) {
	case 0:
		/* filename* beside filename: Python reads the plain one. */
		m_parts(&msg, OCTET "Content-Disposition: attachment; "
		    "filename=\"a.txt\"; filename*=utf-8''a.exe\r\n", "x");
		want = "a.exe";
		break;
	case 1:
		tu_puts(&in, "harmless\r\n");
		tu_puts(&body, "see below\r\n\r\n");
		tu_uuencode(&body, "evil.exe", &in);
		m_part(&msg, TEXT, body.p, body.len);
		want = "(unnamed)/evil.exe";
		break;
	case 2:
		m_parts(&msg, TEXT, "=ybegin line=128 size=2 name=evil.exe\r\n"
		    "ab\r\n=yend size=2\r\n");
		want = "(unnamed)/evil.exe";
		break;
	default:
		/* A named multipart: readers list it. */
		m_parts(&msg, "Content-Type: multipart/mixed; boundary=CC; "
		    "name=\"box.exe\"\r\n", "--CC\r\n\r\nx\r\n--CC--\r\n");
		want = "box.exe";
		break;
	}
	m_end(&msg);
	if (_i == 4) {
		/* A script by its second reading, types on. */
		tu_free(&msg);
		m_head(&msg, "names");
		m_parts(&msg, OCTET "Content-Disposition: attachment; "
		    "filename=\"a.txt\"; filename*=utf-8''a.js\r\n", "x");
		m_end(&msg);
		want = "a.js\" (script)";
	}
	ck_assert_int_eq(run1(conf, &msg, reply, sizeof(reply)),
	    INSPECT_REJECT);
	ck_assert_msg(strstr(reply, want) != NULL, "reply %s, want %s", reply,
	    want);
	tu_free(&msg);
	tu_free(&body);
	tu_free(&in);
}
END_TEST

START_TEST(test_malformed)
{
	struct tu_buf	 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 },
			 t = { NULL, 0, 0 }, msg = { NULL, 0, 0 },
			 uu = { NULL, 0, 0 };
	char		 reply[600];
	enum inspect_verdict v;

	tu_pe(&pe);
	tu_zip1(&zip, "a.exe", pe.p, pe.len, NULL);
	zip.len -= 30;
	tu_tnef(&t, "evil.exe", &pe);
	t.len -= 600;
	tu_uuencode(&uu, "cut.exe", &pe);
	uu.len /= 2;
	m_head(&msg, "broken");
	m_part64(&msg, OCTET "Content-Disposition: attachment; "
	    "filename=\"cut.zip\"\r\n", &zip);
	m_part64(&msg, "Content-Type: application/ms-tnef\r\n", &t);
	m_parts(&msg, TEXT, "begin\r\nbegin 644\r\nbegin 7777777 x\r\n"
	    "begin 644 \r\nend\r\nend\r\n");
	m_part(&msg, TEXT, uu.p, uu.len);
	tu_puts(&msg, "--BB\r\n" OCTET "Content-Transfer-Encoding: base64\r\n"
	    "\r\nTVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAA=\r\n"
	    "!!!not base64!!!\r\n");
	v = run1(TYPES, &msg, reply, sizeof(reply));
	ck_assert_int_ne(v, INSPECT_ACCEPT);
	ck_assert_int_ne(v, INSPECT_TEMPFAIL);
	tu_free(&pe);
	tu_free(&zip);
	tu_free(&t);
	tu_free(&uu);
	tu_free(&msg);
}
END_TEST

/*
 * The message in its wire form (inspect_wire): a dot that starts a line
 * is the stuffing and goes, in whatever pieces the text comes, and a dot
 * elsewhere stays. A body line of 998 characters after its stuffed dot
 * is within limits.text_line (1000 with CRLF): smtp:217 only if the dot
 * were kept; one of 999 is over.
 */
START_TEST(test_wire)
{
	struct config	*conf = load_config("alarm \"smtp:217\" "
			    "{ action = \"block\" }\n");
	struct scan_engine *e;
	struct inspect	*ins;
	struct tu_buf	 msg = { NULL, 0, 0 };
	static const size_t steps[] = { 1, 7, 100000 };
	char		 line[1001], reply[600], err[256];
	size_t		 i, k, step, body;
	int		 bol, over;

	ck_assert_ptr_nonnull(e = scan_engine_new(NULL, err, sizeof(err)));
	for (over = 0; over < 2; over++) {
		msg.len = 0;
		tu_puts(&msg, "Subject: dots\r\n\r\n..\r\na.b\r\n");
		/* The wire form of a line that starts with a dot. */
		body = 998 + (size_t)over;
		line[0] = '.';
		memset(line + 1, '.', 1);
		memset(line + 2, 'x', body - 1);
		line[body + 1] = '\0';
		tu_puts(&msg, line);
		tu_puts(&msg, "\r\n.x\r\n");
		for (k = 0; k < sizeof(steps) / sizeof(steps[0]); k++) {
			step = steps[k];
			ck_assert_ptr_nonnull(ins = inspect_new(conf, e, NULL,
			    0));
			bol = 1;
			for (i = 0; i < msg.len; i += step)
				inspect_wire(ins, &bol, (const char *)msg.p +
				    i, msg.len - i < step ? msg.len - i : step);
			ck_assert_int_eq(bol, 1);
			inspect_end(ins, 0);
			report[0] = '\0';
			nreport = 0;
			reply[0] = '\0';
			ck_assert_int_eq(inspect_verdict(ins, collect, NULL,
			    reply, sizeof(reply)), over ? INSPECT_REJECT :
			    INSPECT_ACCEPT);
			ck_assert_int_eq(nreport, over);
			inspect_free(ins);
		}
	}
	scan_engine_unref(e);
	config_unref(conf);
	tu_free(&msg);
}
END_TEST

static Suite *
inspect_suite(void)
{
	Suite	*s = suite_create("inspect");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_archive_many);
	tcase_add_test(tc, test_incomplete);
	tcase_add_loop_test(tc, test_containers, 0, C_COUNT);
	tcase_add_test(tc, test_text_parts);
	tcase_add_test(tc, test_descriptors);
	tcase_add_test(tc, test_findings);
	tcase_add_loop_test(tc, test_names, 0, 5);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_wire);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int	 failed;

	/* Fixtures live in one directory, removed at the end. */
	if (tu_tmpdir(spool, sizeof(spool), "check_inspect") == -1)
		return EXIT_FAILURE;
	failed = tu_run_suite(inspect_suite());
	tu_rmtree(spool);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
