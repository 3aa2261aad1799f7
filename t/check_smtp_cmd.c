/*
 * Unit tests for the command parser (src/smtp_cmd.c).
 */
#include "autoconf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_cmd.h"
#include "smtp_line.h"

#include "check_util.h"

/* smtp_cmd_parse(): verb and arguments (RFC 5321 §4.1.1). */
struct cmd_vec {
	const char	*line;
	size_t		 len;
	int		 rc;
	enum smtp_verb	 verb;
	const char	*name;
	const char	*args;
};

static const struct cmd_vec cmd_vecs[] = {
	{ TU_S("HELO example.org"), 0, SMTP_CMD_HELO, "HELO", "example.org" },
	{ TU_S("ehlo example.org"), 0, SMTP_CMD_EHLO, "EHLO", "example.org" },
	{ TU_S("MAIL FROM:<a@b.example>"), 0, SMTP_CMD_MAIL, "MAIL",
	    "FROM:<a@b.example>" },
	{ TU_S("Rcpt TO:<a@b.example>"), 0, SMTP_CMD_RCPT, "RCPT",
	    "TO:<a@b.example>" },
	{ TU_S("DATA"), 0, SMTP_CMD_DATA, "DATA", "" },
	{ TU_S("RSET"), 0, SMTP_CMD_RSET, "RSET", "" },
	{ TU_S("NOOP"), 0, SMTP_CMD_NOOP, "NOOP", "" },
	{ TU_S("NOOP "), 0, SMTP_CMD_NOOP, "NOOP", "" },
	{ TU_S("NOOP hello"), 0, SMTP_CMD_NOOP, "NOOP", "hello" },
	{ TU_S("QUIT"), 0, SMTP_CMD_QUIT, "QUIT", "" },
	{ TU_S("VRFY root"), 0, SMTP_CMD_VRFY, "VRFY", "root" },
	{ TU_S("EXPN staff"), 0, SMTP_CMD_EXPN, "EXPN", "staff" },
	{ TU_S("HELP"), 0, SMTP_CMD_HELP, "HELP", "" },
	{ TU_S("StartTLS"), 0, SMTP_CMD_STARTTLS, "STARTTLS", "" },
	{ TU_S("AUTH PLAIN AGFAAGI="), 0, SMTP_CMD_AUTH, "AUTH",
	    "PLAIN AGFAAGI=" },
	{ TU_S("BDAT 100 LAST"), 0, SMTP_CMD_BDAT, "BDAT", "100 LAST" },
	{ TU_S("TURN"), 0, SMTP_CMD_TURN, "TURN", "" },
	{ TU_S("ETRN example.org"), 0, SMTP_CMD_ETRN, "ETRN", "example.org" },
	{ TU_S("XCLIENT ADDR=192.0.2.1"), 0, SMTP_CMD_XCLIENT, "XCLIENT",
	    "ADDR=192.0.2.1" },
	{ TU_S("xforward NAME=spoofed"), 0, SMTP_CMD_XFORWARD, "XFORWARD",
	    "NAME=spoofed" },
	{ TU_S("HELO  two spaces"), 0, SMTP_CMD_HELO, "HELO", " two spaces" },
	{ TU_S("FOOBAR x"), 0, SMTP_CMD_UNKNOWN, "FOOBAR", "x" },
	{ TU_S("X"), 0, SMTP_CMD_UNKNOWN, "X", "" },
	{ TU_S("HEL"), 0, SMTP_CMD_UNKNOWN, "HEL", "" },
	{ TU_S("HELOO x"), 0, SMTP_CMD_UNKNOWN, "HELOO", "x" },
	{ TU_S("ABCDEFGHIJKLMNO"), 0, SMTP_CMD_UNKNOWN, "ABCDEFGHIJKLMNO", "" },
	{ TU_S("HELO x\ry"), 0, SMTP_CMD_HELO, "HELO", "x\ry" },

	{ TU_S(""), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S(" "), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S(" HELO x"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("ABCDEFGHIJKLMNOP"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("ABCDEFGHIJKLMNOPQRSTUVWXYZ x"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("HELO\tx"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("HE1O x"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("MAIL:FROM:<a@b>"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("MAILFROM:<a@b>"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("QUIT\n"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("QUIT\r"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("\0HELO x"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("HELO\0x"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("\xc3\x89HLO x"), -1, SMTP_CMD_UNKNOWN, "", "" },
	{ TU_S("220 hello"), -1, SMTP_CMD_UNKNOWN, "", "" },
};

START_TEST(test_cmd_parse)
{
	const struct cmd_vec	*v = &cmd_vecs[_i];
	struct smtp_cmd		 cmd;
	const char		*errstr = NULL;
	int			 rc;

	rc = smtp_cmd_parse(v->line, v->len, &cmd, &errstr);
	ck_assert_msg(rc == v->rc, "\"%s\": rc %d, expected %d",
	    tu_esc(v->line, v->len), rc, v->rc);
	if (rc == -1) {
		ck_assert_ptr_nonnull(errstr);
		return;
	}
	ck_assert_msg(cmd.verb == v->verb, "\"%s\": verb %d",
	    tu_esc(v->line, v->len), cmd.verb);
	ck_assert_str_eq(cmd.name, v->name);
	ck_assert_msg(tu_eq(cmd.args, cmd.argslen, v->args, strlen(v->args)),
	    "\"%s\": args \"%s\"", tu_esc(v->line, v->len),
	    tu_esc(cmd.args, cmd.argslen));
	/* args points into the line (or is a constant ""). */
	if (cmd.argslen > 0)
		ck_assert(cmd.args > v->line && cmd.args < v->line + v->len);
}
END_TEST

/* Every verb parses back to itself; the name table follows the enum. */
START_TEST(test_cmd_names)
{
	struct smtp_cmd	 cmd;
	const char	*errstr, *name;
	int		 v;

	ck_assert_str_eq(smtp_cmd_name(SMTP_CMD_UNKNOWN), "UNKNOWN");
	ck_assert_str_eq(smtp_cmd_name(SMTP_CMD_COUNT), "UNKNOWN");
	ck_assert_str_eq(smtp_cmd_name((enum smtp_verb)-1), "UNKNOWN");
	ck_assert_str_eq(smtp_cmd_name(SMTP_CMD_HELO), "HELO");
	ck_assert_str_eq(smtp_cmd_name(SMTP_CMD_XFORWARD), "XFORWARD");
	for (v = SMTP_CMD_UNKNOWN + 1; v < SMTP_CMD_COUNT; v++) {
		name = smtp_cmd_name((enum smtp_verb)v);
		ck_assert_str_ne(name, "UNKNOWN");
		ck_assert_int_eq(smtp_cmd_parse(name, strlen(name), &cmd,
		    &errstr), 0);
		ck_assert_int_eq(cmd.verb, v);
		ck_assert_str_eq(cmd.name, name);
	}
}
END_TEST

/* smtp_cmd_path(): RFC 5321 §4.1.2 Path, Reverse-path, Forward-path. */
struct path_vec {
	const char	*args;
	size_t		 len;
	const char	*prefix;
	size_t		 maxpath;
	int		 utf8;
	int		 rc;
	const char	*path;
	const char	*params;
};

#define FROM	"FROM:"
#define TO	"TO:"

static const struct path_vec path_vecs[] = {
	/* Plain paths and parameters. */
	{ TU_S("FROM:<a@example.org>"), FROM, 320, 0, 0, "a@example.org", "" },
	{ TU_S("from:<a@example.org>"), FROM, 320, 0, 0, "a@example.org", "" },
	{ TU_S("FROM: <a@example.org>"), FROM, 320, 0, 0, "a@example.org", "" },
	{ TU_S("TO:<b@example.org>"), TO, 320, 0, 0, "b@example.org", "" },
	{ TU_S("To: <b@example.org>"), TO, 320, 0, 0, "b@example.org", "" },
	{ TU_S("FROM:<a@example.org> SIZE=1000"), FROM, 320, 0, 0,
	    "a@example.org", "SIZE=1000" },
	{ TU_S("FROM:<a@example.org> SIZE=1000 BODY=8BITMIME"), FROM, 320, 0,
	    0, "a@example.org", "SIZE=1000 BODY=8BITMIME" },
	{ TU_S("FROM:<a@example.org>  SIZE=1"), FROM, 320, 0, 0,
	    "a@example.org", "SIZE=1" },
	{ TU_S("FROM:<a@example.org> "), FROM, 320, 0, 0, "a@example.org", "" },
	{ TU_S("TO:<b@example.org> NOTIFY=NEVER"), TO, 320, 0, 0,
	    "b@example.org", "NOTIFY=NEVER" },
	{ TU_S("FROM:<first.last+tag@mail.example.org>"), FROM, 320, 0, 0,
	    "first.last+tag@mail.example.org", "" },
	{ TU_S("FROM:<!#$%&'*+-/=?^_`{|}~@example.org>"), FROM, 320, 0, 0,
	    "!#$%&'*+-/=?^_`{|}~@example.org", "" },
	{ TU_S("FROM:<a@x>"), FROM, 320, 0, 0, "a@x", "" },
	{ TU_S("FROM:<a@1-2.example>"), FROM, 320, 0, 0, "a@1-2.example", "" },
	{ TU_S("FROM:<a@xn--bcher-kva.example>"), FROM, 320, 0, 0,
	    "a@xn--bcher-kva.example", "" },

	/* Null reverse-path (§4.5.5) and Postmaster (§4.1.1.3). */
	{ TU_S("FROM:<>"), FROM, 320, 0, 0, "", "" },
	{ TU_S("FROM:<> SIZE=10"), FROM, 320, 0, 0, "", "SIZE=10" },
	{ TU_S("FROM: <>"), FROM, 320, 0, 0, "", "" },
	{ TU_S("TO:<>"), TO, 320, 0, -1, NULL, NULL },
	{ TU_S("TO:<Postmaster>"), TO, 320, 0, 0, "Postmaster", "" },
	{ TU_S("TO:<postmaster>"), TO, 320, 0, 0, "postmaster", "" },
	{ TU_S("FROM:<Postmaster>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("TO:<Postmaster@example.org>"), TO, 320, 0, 0,
	    "Postmaster@example.org", "" },

	/* Quoted local parts. */
	{ TU_S("FROM:<\"john doe\"@example.org>"), FROM, 320, 0, 0,
	    "\"john doe\"@example.org", "" },
	{ TU_S("FROM:<\"a>b\"@example.org>"), FROM, 320, 0, 0,
	    "\"a>b\"@example.org", "" },
	{ TU_S("FROM:<\"a\\\"b\"@example.org>"), FROM, 320, 0, 0,
	    "\"a\\\"b\"@example.org", "" },
	{ TU_S("FROM:<\"a\\\\\"@example.org>"), FROM, 320, 0, 0,
	    "\"a\\\\\"@example.org", "" },
	{ TU_S("FROM:<\"\"@example.org>"), FROM, 320, 0, 0,
	    "\"\"@example.org", "" },
	{ TU_S("FROM:<\"a@b\"@example.org>"), FROM, 320, 0, 0,
	    "\"a@b\"@example.org", "" },

	/* Source routes (§4.1.2 A-d-l, accepted and kept). */
	{ TU_S("TO:<@a.example,@b.example:u@c.example>"), TO, 320, 0, 0,
	    "@a.example,@b.example:u@c.example", "" },
	{ TU_S("TO:<@a.example:u@c.example>"), TO, 320, 0, 0,
	    "@a.example:u@c.example", "" },
	{ TU_S("TO:<@a.example,b.example:u@c.example>"), TO, 320, 0, -1,
	    NULL, NULL },
	{ TU_S("TO:<@a.example>"), TO, 320, 0, -1, NULL, NULL },
	{ TU_S("TO:<@:u@c.example>"), TO, 320, 0, -1, NULL, NULL },

	/* Address literals (§4.1.3). */
	{ TU_S("FROM:<a@[192.0.2.1]>"), FROM, 320, 0, 0, "a@[192.0.2.1]", "" },
	{ TU_S("FROM:<a@[IPv6:2001:db8::1]>"), FROM, 320, 0, 0,
	    "a@[IPv6:2001:db8::1]", "" },
	{ TU_S("FROM:<a@[ipv6:::1]>"), FROM, 320, 0, 0, "a@[ipv6:::1]", "" },
	{ TU_S("FROM:<a@[x-tag:some.thing]>"), FROM, 320, 0, 0,
	    "a@[x-tag:some.thing]", "" },
	{ TU_S("FROM:<a@[192.0.2.256]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[192.0.2]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[1920.0.2.1]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[IPv6:zz::1]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[IPv6:192.0.2.1]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[tag:]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[tag-:x]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[tag:a b]>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[192.0.2.1>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@[192.0.2.1]x>"), FROM, 320, 0, -1, NULL, NULL },

	/* SMTPUTF8 (RFC 6531 §3.3). */
	{ TU_S("FROM:<j\xc3\xb6rg@example.org>"), FROM, 320, 0, -1, NULL,
	    NULL },
	{ TU_S("FROM:<j\xc3\xb6rg@example.org> SMTPUTF8"), FROM, 320, 1, 0,
	    "j\xc3\xb6rg@example.org", "SMTPUTF8" },
	{ TU_S("FROM:<a@b\xc3\xbc" "cher.example>"), FROM, 320, 0, -1, NULL,
	    NULL },
	{ TU_S("FROM:<a@b\xc3\xbc" "cher.example>"), FROM, 320, 1, 0,
	    "a@b\xc3\xbc" "cher.example", "" },
	{ TU_S("FROM:<\"j\xc3\xb6rg\"@example.org>"), FROM, 320, 1, 0,
	    "\"j\xc3\xb6rg\"@example.org", "" },

	/* Length: maxpath counts the bytes between the brackets. */
	{ TU_S("FROM:<abcd@ef.gh>"), FROM, 10, 0, 0, "abcd@ef.gh", "" },
	{ TU_S("FROM:<abcde@ef.gh>"), FROM, 10, 0, -1, NULL, NULL },

	/* Missing or wrong prefix, brackets. */
	{ TU_S(""), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("<a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("TO:<a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org>"), TO, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM :<a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:  <a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:\t<a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	/* Without brackets: a bare Mailbox up to SP, as MTAs accept. */
	{ TU_S("FROM:a@example.org"), FROM, 320, 0, 0, "a@example.org", "" },
	{ TU_S("FROM: a@example.org"), FROM, 320, 0, 0, "a@example.org", "" },
	{ TU_S("FROM: a@example.org SIZE=10"), FROM, 320, 0, 0,
	    "a@example.org", "SIZE=10" },
	{ TU_S("TO: b@example.net  NOTIFY=NEVER"), TO, 320, 0, 0,
	    "b@example.net", "NOTIFY=NEVER" },
	{ TU_S("TO:Postmaster"), TO, 320, 0, 0, "Postmaster", "" },
	{ TU_S("FROM:a"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:a b@example.org"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:a\0b@example.org"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:abcde@ef.gh"), FROM, 10, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<<a@example.org>>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org>>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org>SIZE=1"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a<b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<\"abc@example.org>"), FROM, 320, 0, -1, NULL, NULL },

	/* Characters outside Mailbox syntax. */
	{ TU_S("FROM:<a b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example .org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:< a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org >"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\x01@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\0@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@exa\0mple.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\r\n@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\x7f@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\t@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<\"a\x01\"@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<\"a\\\x01\"@example.org>"), FROM, 320, 0, -1, NULL,
	    NULL },
	{ TU_S("FROM:<a(comment)@example.org>"), FROM, 320, 0, -1, NULL,
	    NULL },
	{ TU_S("FROM:<a,b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a;b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\\b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a\"b\"@example.org>"), FROM, 320, 0, -1, NULL, NULL },

	/* Local part and domain structure. */
	{ TU_S("FROM:<a>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a..b@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<.a@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a.@example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example..org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@.example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example.org.>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@-example.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@example-.org>"), FROM, 320, 0, -1, NULL, NULL },
	{ TU_S("FROM:<a@exa_mple.org>"), FROM, 320, 0, -1, NULL, NULL },
};

START_TEST(test_cmd_path)
{
	const struct path_vec	*v = &path_vecs[_i];
	char			 path[512];
	const char		*params = NULL, *errstr = NULL;
	int			 rc;

	memset(path, 'X', sizeof(path));
	rc = smtp_cmd_path(v->args, v->len, v->prefix, v->maxpath, v->utf8,
	    path, sizeof(path), &params, &errstr);
	ck_assert_msg(rc == v->rc, "\"%s\" (%s): rc %d, expected %d (%s)",
	    tu_esc(v->args, v->len), v->prefix, rc, v->rc,
	    errstr ? errstr : "");
	if (rc == -1) {
		ck_assert_ptr_nonnull(errstr);
		return;
	}
	ck_assert_str_eq(path, v->path);
	ck_assert_str_eq(params, v->params);
}
END_TEST

/* The path must fit the caller's buffer, whatever maxpath says. */
START_TEST(test_cmd_path_bufsize)
{
	static const char	 a[] = "FROM:<abcd@ef.gh>";
	char			 path[11];
	const char		*params, *errstr;

	ck_assert_int_eq(smtp_cmd_path(a, strlen(a), "FROM:", 0, 0, path,
	    sizeof(path), &params, &errstr), 0);
	ck_assert_str_eq(path, "abcd@ef.gh");
	ck_assert_int_eq(smtp_cmd_path(a, strlen(a), "FROM:", 320, 0, path,
	    sizeof(path) - 1, &params, &errstr), -1);
	ck_assert_int_eq(smtp_cmd_path(a, strlen(a), "FROM:", 320, 0, path,
	    0, &params, &errstr), -1);
}
END_TEST

/* A path of 320 bytes passes limits.address, 321 does not (smtp:248). */
START_TEST(test_cmd_path_limit)
{
	char		 args[400], path[400];
	const char	*params, *errstr;
	size_t		 n, len;

	for (n = 319; n <= 322; n++) {
		/* "FROM:<" local "@example.org>", path n bytes long */
		len = n - strlen("@example.org");
		memcpy(args, "FROM:<", 6);
		memset(args + 6, 'a', len);
		memcpy(args + 6 + len, "@example.org>", 13);
		ck_assert_int_eq(smtp_cmd_path(args, 6 + n + 1, "FROM:", 320,
		    0, path, sizeof(path), &params, &errstr),
		    n <= 320 ? 0 : -1);
		if (n <= 320)
			ck_assert_uint_eq(strlen(path), n);
	}
}
END_TEST

/* smtp_cmd_param(): esmtp-param lookup (RFC 5321 §4.1.2). */
struct param_vec {
	const char	*params;
	const char	*name;
	size_t		 valsz;
	int		 rc;
	const char	*val;
};

static const struct param_vec param_vecs[] = {
	{ "SIZE=1000", "SIZE", 32, 1, "1000" },
	{ "SIZE=1000 BODY=8BITMIME", "BODY", 32, 1, "8BITMIME" },
	{ "SIZE=1000 BODY=8BITMIME", "size", 32, 1, "1000" },
	{ "body=8bitmime", "BODY", 32, 1, "8bitmime" },
	{ "SIZE=1 SMTPUTF8", "SMTPUTF8", 32, 1, "" },
	{ "SMTPUTF8 SIZE=1", "SIZE", 32, 1, "1" },
	{ "  SIZE=5  ", "SIZE", 32, 1, "5" },
	{ "SIZE=", "SIZE", 32, 1, "" },
	{ "SIZE=123456", "SIZE", 4, 1, "123" },
	{ "SIZE=1000", "BODY", 32, 0, "" },
	{ "SIZEX=1000", "SIZE", 32, 0, "" },
	{ "XSIZE=1000", "SIZE", 32, 0, "" },
	{ "SIZ=1000", "SIZE", 32, 0, "" },
	{ "", "SIZE", 32, 0, "" },
	{ "BODY=SIZE=1", "SIZE", 32, 0, "" },
	{ "RET=HDRS ENVID=x=y", "ENVID", 32, 1, "x=y" },
};

START_TEST(test_cmd_param)
{
	const struct param_vec	*v = &param_vecs[_i];
	char			 val[32];
	int			 rc;

	memset(val, 'X', sizeof(val));
	val[sizeof(val) - 1] = '\0';
	rc = smtp_cmd_param(v->params, v->name, val, v->valsz);
	ck_assert_msg(rc == v->rc, "\"%s\" %s: rc %d", v->params, v->name, rc);
	if (rc == 1)
		ck_assert_str_eq(val, v->val);
	/* Presence only. */
	ck_assert_int_eq(smtp_cmd_param(v->params, v->name, NULL, 0), v->rc);
}
END_TEST

/*
 * A pipelined client dialog through the line reader and the command
 * parser, under every schedule: the same commands and paths come out.
 */
static const char cmd_stream[] =
    "EHLO client.example\r\n"
    "MAIL FROM:<a@example.org> SIZE=42\r\n"
    "RCPT TO:<b@example.org>\r\n"
    "RCPT TO:<\"c d\"@example.org> NOTIFY=NEVER\r\n"
    "DATA\r\n";

static const struct {
	enum smtp_verb	 verb;
	const char	*path;
	const char	*params;
} cmd_stream_exp[] = {
	{ SMTP_CMD_EHLO, NULL, NULL },
	{ SMTP_CMD_MAIL, "a@example.org", "SIZE=42" },
	{ SMTP_CMD_RCPT, "b@example.org", "" },
	{ SMTP_CMD_RCPT, "\"c d\"@example.org", "NOTIFY=NEVER" },
	{ SMTP_CMD_DATA, NULL, NULL },
};

START_TEST(test_cmd_stream)
{
	struct smtp_line	 l;
	struct smtp_cmd		 cmd;
	struct tu_sched		 s;
	char			 path[330];
	const char		*errstr, *params;
	size_t			 k, pos, n, used;
	size_t			 len = sizeof(cmd_stream) - 1;
	unsigned int		 got;

	for (k = 0; k < tu_sched_count(len); k++) {
		tu_sched_get(k, len, &s);
		ck_assert_int_eq(smtp_line_init(&l, 512), 0);
		got = 0;
		pos = 0;
		while ((n = tu_sched_next(&s, pos, len)) > 0) {
			if (smtp_line_parse(&l, cmd_stream + pos, n,
			    &used) == 1) {
				ck_assert_uint_lt(got,
				    TU_NELEM(cmd_stream_exp));
				ck_assert_int_eq(l.flags, 0);
				ck_assert_int_eq(smtp_cmd_parse(l.buf, l.len,
				    &cmd, &errstr), 0);
				ck_assert_int_eq(cmd.verb,
				    cmd_stream_exp[got].verb);
				if (cmd_stream_exp[got].path != NULL) {
					ck_assert_int_eq(smtp_cmd_path(cmd.args,
					    cmd.argslen, cmd.verb ==
					    SMTP_CMD_MAIL ? "FROM:" : "TO:",
					    320, 0, path, sizeof(path),
					    &params, &errstr), 0);
					ck_assert_str_eq(path,
					    cmd_stream_exp[got].path);
					ck_assert_str_eq(params,
					    cmd_stream_exp[got].params);
				}
				got++;
			}
			pos += used;
		}
		ck_assert_msg(got == TU_NELEM(cmd_stream_exp), "%s: %u "
		    "commands", s.desc, got);
		smtp_line_free(&l);
	}
}
END_TEST

static Suite *
smtp_cmd_suite(void)
{
	Suite	*s = suite_create("smtp_cmd");
	TCase	*tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cmd_parse, 0, TU_NELEM(cmd_vecs));
	tcase_add_test(tc, test_cmd_names);
	tcase_add_loop_test(tc, test_cmd_path, 0, TU_NELEM(path_vecs));
	tcase_add_test(tc, test_cmd_path_bufsize);
	tcase_add_test(tc, test_cmd_path_limit);
	tcase_add_loop_test(tc, test_cmd_param, 0, TU_NELEM(param_vecs));
	tcase_add_test(tc, test_cmd_stream);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(smtp_cmd_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
