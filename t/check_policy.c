/*
 * Unit tests for the command and EHLO policy (src/policy.c): the
 * profile and extension tables, command masks, EHLO filtering and
 * rebuilding, banner rendering and the extensions a command needs.
 */
#include "autoconf.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "policy.h"
#include "smtp_cmd.h"

#include "check_util.h"

#define MAXV	16

/* SPEC §3: the default extensions { allow }. */
#define EXT_DEFAULT	(POLICY_EXT_SIZE | POLICY_EXT_8BITMIME |	\
	POLICY_EXT_PIPELINING | POLICY_EXT_ENHANCEDSTATUSCODES |	\
	POLICY_EXT_DSN | POLICY_EXT_SMTPUTF8 | POLICY_EXT_AUTH |	\
	POLICY_EXT_STARTTLS)
#define EXT_ALL		0xffffffffU

/* Every POLICY_EXT_* but OTHER, transcribed from policy.h. */
static const struct {
	const char	*keyword;
	uint32_t	 bit;
} ext_spec[] = {
	{ "SIZE", POLICY_EXT_SIZE },
	{ "8BITMIME", POLICY_EXT_8BITMIME },
	{ "PIPELINING", POLICY_EXT_PIPELINING },
	{ "ENHANCEDSTATUSCODES", POLICY_EXT_ENHANCEDSTATUSCODES },
	{ "DSN", POLICY_EXT_DSN },
	{ "SMTPUTF8", POLICY_EXT_SMTPUTF8 },
	{ "AUTH", POLICY_EXT_AUTH },
	{ "STARTTLS", POLICY_EXT_STARTTLS },
	{ "CHUNKING", POLICY_EXT_CHUNKING },
	{ "BINARYMIME", POLICY_EXT_BINARYMIME },
};

static size_t
tu_count(const char *const *v)
{
	size_t	 n = 0;

	while (n < MAXV && v[n] != NULL)
		n++;
	return n;
}

/*
 * The profile table: one row per enum policy_profile, names unique and
 * parsed back, verbs unique in a row, never UNKNOWN/XCLIENT/XFORWARD.
 */
START_TEST(test_profile_table)
{
	const struct policy_profile_def	*p, *q;
	size_t				 i, j, k, n;

	ck_assert_int_eq(TU_NELEM(policy_profile_table), POLICY_PROFILE_COUNT);
	ck_assert_int_eq(POLICY_PROFILE_CUSTOM + 1, POLICY_PROFILE_COUNT);
	ck_assert_int_eq(policy_profile_parse("esmtp"), POLICY_PROFILE_ESMTP);
	ck_assert_int_eq(policy_profile_parse("mailguard"),
	    POLICY_PROFILE_MAILGUARD);
	ck_assert_int_eq(policy_profile_parse("custom"), POLICY_PROFILE_CUSTOM);
	for (i = 0; i < POLICY_PROFILE_COUNT; i++) {
		p = &policy_profile_table[i];
		ck_assert_ptr_nonnull(p->name);
		ck_assert_int_eq(policy_profile_parse(p->name), (int)i);
		for (j = 0; j < POLICY_PROFILE_COUNT; j++) {
			q = &policy_profile_table[j];
			if (i != j)
				ck_assert_msg(strcasecmp(p->name, q->name) != 0,
				    "profile %s twice", p->name);
		}
		for (n = 0; n < SMTP_CMD_COUNT &&
		    p->verbs[n] != SMTP_CMD_UNKNOWN; n++) {
			ck_assert_int_lt(p->verbs[n], SMTP_CMD_COUNT);
			ck_assert_int_ne(p->verbs[n], SMTP_CMD_XCLIENT);
			ck_assert_int_ne(p->verbs[n], SMTP_CMD_XFORWARD);
			for (k = 0; k < n; k++)
				ck_assert_msg(p->verbs[k] != p->verbs[n],
				    "%s: %s twice", p->name,
				    smtp_cmd_name(p->verbs[n]));
		}
		ck_assert_uint_lt(n, SMTP_CMD_COUNT);	/* terminated */
		for (; n < SMTP_CMD_COUNT; n++)
			ck_assert_int_eq(p->verbs[n], SMTP_CMD_UNKNOWN);
	}
}
END_TEST

/*
 * The extension table: every POLICY_EXT_* but OTHER exactly once, one
 * bit each, keywords unique ignoring case.
 */
START_TEST(test_ext_table)
{
	const struct policy_ext_def	*e;
	uint32_t			 all = 0;
	size_t				 i, j;

	ck_assert_int_eq(TU_NELEM(policy_ext_table), POLICY_EXT_COUNT);
	ck_assert_int_eq(TU_NELEM(ext_spec), POLICY_EXT_COUNT);
	for (i = 0; i < POLICY_EXT_COUNT; i++) {
		e = &policy_ext_table[i];
		ck_assert_ptr_nonnull(e->keyword);
		ck_assert_msg(e->bit != 0 && (e->bit & (e->bit - 1)) == 0,
		    "%s: not one bit", e->keyword);
		ck_assert_uint_ne(e->bit, POLICY_EXT_OTHER);
		ck_assert_msg((all & e->bit) == 0, "bit of %s twice",
		    e->keyword);
		all |= e->bit;
		for (j = 0; j < i; j++)
			ck_assert_msg(strcasecmp(e->keyword,
			    policy_ext_table[j].keyword) != 0,
			    "keyword %s twice", e->keyword);
	}
	for (i = 0; i < TU_NELEM(ext_spec); i++) {
		ck_assert_uint_eq(policy_ext_parse(ext_spec[i].keyword),
		    ext_spec[i].bit);
		ck_assert_msg(all & ext_spec[i].bit, "%s missing",
		    ext_spec[i].keyword);
	}
	ck_assert_uint_eq(policy_ext_parse("size"), POLICY_EXT_SIZE);
	ck_assert_uint_eq(policy_ext_parse("Starttls"), POLICY_EXT_STARTTLS);
	ck_assert_uint_eq(policy_ext_parse("SIZ"), 0);
	ck_assert_uint_eq(policy_ext_parse("SIZES"), 0);
	ck_assert_uint_eq(policy_ext_parse("SIZE 100"), 0);
	ck_assert_uint_eq(policy_ext_parse("XCLIENT"), 0);
	ck_assert_uint_eq(policy_ext_parse(""), 0);
	ck_assert_uint_eq(policy_ext_parse(NULL), 0);
}
END_TEST

/* Command masks: profile + allow + tls_on -> exactly these verbs. */
struct mask_vec {
	enum policy_profile	 profile;
	const char		*allow[MAXV];
	int			 tls_on;
	enum smtp_verb		 verbs[MAXV];
};

#define MG	SMTP_CMD_HELO, SMTP_CMD_MAIL, SMTP_CMD_RCPT, SMTP_CMD_DATA, \
		SMTP_CMD_RSET, SMTP_CMD_NOOP, SMTP_CMD_QUIT

static const struct mask_vec mask_vecs[] = {
	{ POLICY_PROFILE_MAILGUARD, { NULL }, 1, { MG } },
	{ POLICY_PROFILE_MAILGUARD, { NULL }, 0, { MG } },
	{ POLICY_PROFILE_ESMTP, { NULL }, 1, { MG, SMTP_CMD_EHLO,
	    SMTP_CMD_STARTTLS, SMTP_CMD_AUTH, SMTP_CMD_HELP } },
	{ POLICY_PROFILE_ESMTP, { NULL }, 0, { MG, SMTP_CMD_EHLO,
	    SMTP_CMD_AUTH, SMTP_CMD_HELP } },
	{ POLICY_PROFILE_CUSTOM, { NULL }, 1, { SMTP_CMD_UNKNOWN } },
	/* allow adds, case-insensitive */
	{ POLICY_PROFILE_MAILGUARD, { "vrfy", "ETRN" }, 1, { MG,
	    SMTP_CMD_VRFY, SMTP_CMD_ETRN } },
	{ POLICY_PROFILE_MAILGUARD, { "EHLO", "Expn", "TURN", "BDAT" }, 0,
	    { MG, SMTP_CMD_EHLO, SMTP_CMD_EXPN, SMTP_CMD_TURN,
	    SMTP_CMD_BDAT } },
	{ POLICY_PROFILE_ESMTP, { "VRFY", "EXPN", "TURN", "ETRN", "BDAT" }, 1,
	    { MG, SMTP_CMD_EHLO, SMTP_CMD_STARTTLS, SMTP_CMD_AUTH,
	    SMTP_CMD_HELP, SMTP_CMD_VRFY, SMTP_CMD_EXPN, SMTP_CMD_TURN,
	    SMTP_CMD_ETRN, SMTP_CMD_BDAT } },
	{ POLICY_PROFILE_ESMTP, { "HELO", "helo" }, 1, { MG, SMTP_CMD_EHLO,
	    SMTP_CMD_STARTTLS, SMTP_CMD_AUTH, SMTP_CMD_HELP } },
	{ POLICY_PROFILE_CUSTOM, { "HELO", "MAIL", "RCPT", "DATA", "QUIT" }, 1,
	    { SMTP_CMD_HELO, SMTP_CMD_MAIL, SMTP_CMD_RCPT, SMTP_CMD_DATA,
	    SMTP_CMD_QUIT } },
	{ POLICY_PROFILE_CUSTOM, { "STARTTLS", "EHLO" }, 1, { SMTP_CMD_STARTTLS,
	    SMTP_CMD_EHLO } },
	/* STARTTLS needs the tls mode, even when listed */
	{ POLICY_PROFILE_CUSTOM, { "STARTTLS", "EHLO" }, 0, { SMTP_CMD_EHLO } },
	{ POLICY_PROFILE_ESMTP, { "STARTTLS" }, 0, { MG, SMTP_CMD_EHLO,
	    SMTP_CMD_AUTH, SMTP_CMD_HELP } },
	/* XCLIENT and XFORWARD never */
	{ POLICY_PROFILE_ESMTP, { "XCLIENT", "xforward", "BDAT" }, 1, { MG,
	    SMTP_CMD_EHLO, SMTP_CMD_STARTTLS, SMTP_CMD_AUTH, SMTP_CMD_HELP,
	    SMTP_CMD_BDAT } },
	{ POLICY_PROFILE_CUSTOM, { "XCLIENT", "XFORWARD" }, 1,
	    { SMTP_CMD_UNKNOWN } },
};

START_TEST(test_commands)
{
	const struct mask_vec	*v = &mask_vecs[_i];
	policy_cmdmask		 mask = 0, wantmask = 0;
	const char		*errstr = NULL;
	int			 want[SMTP_CMD_COUNT], verb;
	size_t			 i;

	ck_assert_msg(policy_commands(v->profile, v->allow, tu_count(v->allow),
	    v->tls_on, &mask, &errstr) == 0, "%s", errstr);
	memset(want, 0, sizeof(want));
	for (i = 0; i < MAXV && v->verbs[i] != SMTP_CMD_UNKNOWN; i++) {
		want[v->verbs[i]] = 1;
		wantmask |= (policy_cmdmask)1 << v->verbs[i];
	}
	/* The mask itself, as a caller may test bits directly. */
	ck_assert_msg(mask == wantmask, "mask %#x, want %#x", mask, wantmask);
	for (verb = 0; verb < SMTP_CMD_COUNT; verb++)
		ck_assert_msg(policy_command_allowed(mask,
		    (enum smtp_verb)verb) == want[verb], "%s allow %s: %s %d",
		    policy_profile_table[v->profile].name,
		    v->allow[0] != NULL ? v->allow[0] : "-",
		    smtp_cmd_name((enum smtp_verb)verb), !want[verb]);
}
END_TEST

/* Unknown command names are errors that name them. */
struct cmderr_vec {
	enum policy_profile	 profile;
	const char		*allow[MAXV];
	const char		*expect;
};

static const struct cmderr_vec cmderr_vecs[] = {
	{ POLICY_PROFILE_ESMTP, { "XEXCH50" },
	    "unknown command \"XEXCH50\" in allow" },
	{ POLICY_PROFILE_ESMTP, { "VRFY", "FOO" }, "unknown command \"FOO\"" },
	{ POLICY_PROFILE_CUSTOM, { "UNKNOWN" }, "unknown command \"UNKNOWN\"" },
	{ POLICY_PROFILE_CUSTOM, { "" }, "unknown command \"\"" },
	{ POLICY_PROFILE_CUSTOM, { "HELO " }, "unknown command \"HELO \"" },
	{ POLICY_PROFILE_CUSTOM, { "MAIL FROM" }, "unknown command" },
	{ POLICY_PROFILE_MAILGUARD, { "HEL" }, "unknown command \"HEL\"" },
	{ (enum policy_profile)3, { NULL }, "unknown command profile" },
	{ (enum policy_profile)-1, { NULL }, "unknown command profile" },
};

START_TEST(test_commands_errors)
{
	const struct cmderr_vec	*v = &cmderr_vecs[_i];
	policy_cmdmask		 mask = 0x5a5a;
	const char		*errstr = NULL;

	ck_assert_int_eq(policy_commands(v->profile, v->allow,
	    tu_count(v->allow), 1, &mask, &errstr), -1);
	ck_assert_ptr_nonnull(errstr);
	ck_assert_msg(strstr(errstr, v->expect) != NULL, "\"%s\"", errstr);
	ck_assert_uint_eq(mask, 0x5a5a);
}
END_TEST

START_TEST(test_command_allowed_edges)
{
	ck_assert_int_eq(policy_command_allowed(~(policy_cmdmask)0,
	    SMTP_CMD_UNKNOWN), 0);
	ck_assert_int_eq(policy_command_allowed(~(policy_cmdmask)0,
	    SMTP_CMD_XCLIENT), 0);
	ck_assert_int_eq(policy_command_allowed(~(policy_cmdmask)0,
	    SMTP_CMD_XFORWARD), 0);
	ck_assert_int_eq(policy_command_allowed(~(policy_cmdmask)0,
	    SMTP_CMD_COUNT), 0);
	ck_assert_int_eq(policy_command_allowed(~(policy_cmdmask)0,
	    (enum smtp_verb)-1), 0);
	ck_assert_int_eq(policy_command_allowed(~(policy_cmdmask)0,
	    SMTP_CMD_VRFY), 1);
	ck_assert_int_eq(policy_command_allowed(0, SMTP_CMD_HELO), 0);

	ck_assert_int_eq(policy_profile_parse("ESMTP"), POLICY_PROFILE_ESMTP);
	ck_assert_int_eq(policy_profile_parse("MailGuard"),
	    POLICY_PROFILE_MAILGUARD);
	ck_assert_int_eq(policy_profile_parse(""), -1);
	ck_assert_int_eq(policy_profile_parse("smtp"), -1);
	ck_assert_int_eq(policy_profile_parse("esmtp "), -1);
	ck_assert_int_eq(policy_profile_parse(NULL), -1);
}
END_TEST

/* One EHLO line: keep or remove, and its extension bit. */
struct keep_vec {
	uint32_t	 allowed;
	const char	*text;
	int		 keep;
	uint32_t	 ext;
};

static const struct keep_vec keep_vecs[] = {
	{ EXT_DEFAULT, "SIZE 10240000", 1, POLICY_EXT_SIZE },
	{ EXT_DEFAULT, "SIZE", 1, POLICY_EXT_SIZE },
	{ EXT_DEFAULT, "size 1000", 1, POLICY_EXT_SIZE },
	{ EXT_DEFAULT, "8BITMIME", 1, POLICY_EXT_8BITMIME },
	{ EXT_DEFAULT, "PIPELINING", 1, POLICY_EXT_PIPELINING },
	{ EXT_DEFAULT, "ENHANCEDSTATUSCODES", 1,
	    POLICY_EXT_ENHANCEDSTATUSCODES },
	{ EXT_DEFAULT, "DSN", 1, POLICY_EXT_DSN },
	{ EXT_DEFAULT, "SMTPUTF8", 1, POLICY_EXT_SMTPUTF8 },
	{ EXT_DEFAULT, "STARTTLS", 1, POLICY_EXT_STARTTLS },
	{ EXT_DEFAULT, "AUTH PLAIN LOGIN", 1, POLICY_EXT_AUTH },
	{ EXT_DEFAULT, "AUTH=LOGIN", 1, POLICY_EXT_AUTH },
	{ EXT_DEFAULT, "auth=login plain", 1, POLICY_EXT_AUTH },
	{ EXT_DEFAULT, "Auth GSSAPI", 1, POLICY_EXT_AUTH },
	/* removed until BDAT is inspected, whatever allowed says */
	{ EXT_DEFAULT, "CHUNKING", 0, POLICY_EXT_CHUNKING },
	{ EXT_DEFAULT, "BINARYMIME", 0, POLICY_EXT_BINARYMIME },
	{ EXT_ALL, "CHUNKING", 0, POLICY_EXT_CHUNKING },
	{ EXT_ALL, "binarymime", 0, POLICY_EXT_BINARYMIME },
	/* unknown keywords */
	{ EXT_DEFAULT, "VRFY", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "ETRN", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "EXPN", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "X-EXPS GSSAPI NTLM", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "DELIVERBY 300", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "SIZEX", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "SIZ 100", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "AUTHX PLAIN", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT | POLICY_EXT_OTHER, "VRFY", 1, POLICY_EXT_OTHER },
	{ EXT_DEFAULT | POLICY_EXT_OTHER, "X-EXPS GSSAPI", 1,
	    POLICY_EXT_OTHER },
	/* never offered */
	{ EXT_DEFAULT, "XCLIENT NAME ADDR PROTO HELO", 0, POLICY_EXT_OTHER },
	{ EXT_DEFAULT, "XFORWARD NAME ADDR", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, "XCLIENT NAME ADDR", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, "xforward", 0, POLICY_EXT_OTHER },
	/* allowed narrower than the default */
	{ EXT_DEFAULT & ~POLICY_EXT_STARTTLS, "STARTTLS", 0,
	    POLICY_EXT_STARTTLS },
	{ EXT_DEFAULT & ~POLICY_EXT_AUTH, "AUTH=LOGIN", 0, POLICY_EXT_AUTH },
	{ 0, "SIZE 1", 0, POLICY_EXT_SIZE },
	/* not an ehlo-line */
	{ EXT_ALL, "", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, " SIZE", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, "-SIZE", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, "SIZE\t100", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, "SI_ZE", 0, POLICY_EXT_OTHER },
	{ EXT_ALL, "=LOGIN", 0, POLICY_EXT_OTHER },
};

START_TEST(test_ehlo_keep)
{
	const struct keep_vec	*v = &keep_vecs[_i];
	uint32_t		 ext = 0x1234;

	ck_assert_msg(policy_ehlo_keep(v->allowed, v->text, &ext) == v->keep,
	    "\"%s\" with %#x", v->text, v->allowed);
	ck_assert_msg(ext == v->ext, "\"%s\": ext %#x", v->text, ext);
	ck_assert_int_eq(policy_ehlo_keep(v->allowed, v->text, NULL),
	    v->keep);
}
END_TEST

/*
 * A well-formed multi-line reply (RFC 5321 §4.2.1): CRLF lines, code
 * then "-" on every line but the last, " " or nothing on the last.
 */
static void
tu_reply_valid(const char *out, size_t len, const char *code)
{
	const char	*p = out, *eol;
	int		 last = 0;

	ck_assert_uint_eq(strlen(out), len);
	ck_assert_uint_gt(len, 0);
	while (p < out + len) {
		ck_assert_msg(!last, "line after the last: %s",
		    tu_esc(out, len));
		eol = strstr(p, "\r\n");
		ck_assert_ptr_nonnull(eol);
		ck_assert_int_eq(strncmp(p, code, 3), 0);
		ck_assert_ptr_null(memchr(p, '\r', (size_t)(eol - p)));
		ck_assert_ptr_null(memchr(p, '\n', (size_t)(eol - p)));
		if (eol - p == 3 || p[3] == ' ')
			last = 1;
		else
			ck_assert_msg(p[3] == '-', "%s", tu_esc(out, len));
		p = eol + 2;
	}
	ck_assert_msg(last, "no last line: %s", tu_esc(out, len));
}

/* EHLO rebuild: the lines kept, "250 " on the last, host replaced. */
struct rebuild_vec {
	uint32_t	 allowed;
	const char	*lines[MAXV];
	const char	*host;
	const char	*out;
	uint32_t	 offered;
};

static const struct rebuild_vec rebuild_vecs[] = {
	/* Postfix 3.7; its last line (CHUNKING) goes */
	{ EXT_DEFAULT, { "mx.example.org", "PIPELINING", "SIZE 10240000",
	    "VRFY", "ETRN", "STARTTLS", "ENHANCEDSTATUSCODES", "8BITMIME",
	    "DSN", "SMTPUTF8", "CHUNKING" }, NULL,
	    "250-mx.example.org\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n"
	    "250-STARTTLS\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n"
	    "250-DSN\r\n"
	    "250 SMTPUTF8\r\n",
	    POLICY_EXT_PIPELINING | POLICY_EXT_SIZE | POLICY_EXT_STARTTLS |
	    POLICY_EXT_ENHANCEDSTATUSCODES | POLICY_EXT_8BITMIME |
	    POLICY_EXT_DSN | POLICY_EXT_SMTPUTF8 },
	/* the same with tls.mode = off and the host replaced */
	{ EXT_DEFAULT & ~POLICY_EXT_STARTTLS, { "mx.example.org",
	    "PIPELINING", "SIZE 10240000", "VRFY", "ETRN", "STARTTLS",
	    "ENHANCEDSTATUSCODES", "8BITMIME", "DSN", "SMTPUTF8",
	    "CHUNKING" }, "gw.example.lan",
	    "250-gw.example.lan\r\n"
	    "250-PIPELINING\r\n"
	    "250-SIZE 10240000\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-8BITMIME\r\n"
	    "250-DSN\r\n"
	    "250 SMTPUTF8\r\n",
	    POLICY_EXT_PIPELINING | POLICY_EXT_SIZE |
	    POLICY_EXT_ENHANCEDSTATUSCODES | POLICY_EXT_8BITMIME |
	    POLICY_EXT_DSN | POLICY_EXT_SMTPUTF8 },
	/* Exchange: greeting text replaced with the host too */
	{ EXT_DEFAULT, { "mail.contoso.com Hello [192.0.2.1]",
	    "SIZE 37748736", "PIPELINING", "DSN", "ENHANCEDSTATUSCODES",
	    "STARTTLS", "X-ANONYMOUSTLS", "AUTH NTLM", "X-EXPS GSSAPI NTLM",
	    "8BITMIME", "BINARYMIME", "CHUNKING", "XRDST", "XEXCH50" },
	    "gw.example.lan",
	    "250-gw.example.lan\r\n"
	    "250-SIZE 37748736\r\n"
	    "250-PIPELINING\r\n"
	    "250-DSN\r\n"
	    "250-ENHANCEDSTATUSCODES\r\n"
	    "250-STARTTLS\r\n"
	    "250-AUTH NTLM\r\n"
	    "250 8BITMIME\r\n",
	    POLICY_EXT_SIZE | POLICY_EXT_PIPELINING | POLICY_EXT_DSN |
	    POLICY_EXT_ENHANCEDSTATUSCODES | POLICY_EXT_STARTTLS |
	    POLICY_EXT_AUTH | POLICY_EXT_8BITMIME },
	/* without the host, the greeting text stays */
	{ EXT_DEFAULT, { "mail.contoso.com Hello [192.0.2.1]", "SIZE" }, NULL,
	    "250-mail.contoso.com Hello [192.0.2.1]\r\n"
	    "250 SIZE\r\n", POLICY_EXT_SIZE },
	/* the upstream's relay helpers never reach the client */
	{ EXT_ALL, { "mx.example.org", "XCLIENT NAME ADDR PROTO HELO",
	    "XFORWARD NAME ADDR PROTO HELO", "SIZE 1000" }, NULL,
	    "250-mx.example.org\r\n"
	    "250 SIZE 1000\r\n", POLICY_EXT_SIZE },
	/* both AUTH forms */
	{ EXT_DEFAULT, { "mx.example.org", "AUTH PLAIN LOGIN",
	    "AUTH=PLAIN LOGIN" }, NULL,
	    "250-mx.example.org\r\n"
	    "250-AUTH PLAIN LOGIN\r\n"
	    "250 AUTH=PLAIN LOGIN\r\n", POLICY_EXT_AUTH },
	/* OTHER allowed: unknown keywords kept */
	{ EXT_DEFAULT | POLICY_EXT_OTHER, { "mx", "VRFY", "CHUNKING",
	    "ETRN" }, NULL,
	    "250-mx\r\n"
	    "250-VRFY\r\n"
	    "250 ETRN\r\n", POLICY_EXT_OTHER },
	/* everything removed: one line */
	{ EXT_DEFAULT, { "mx.example.org", "CHUNKING", "XCLIENT NAME",
	    "VRFY" }, NULL, "250 mx.example.org\r\n", 0 },
	{ EXT_DEFAULT, { "mx.example.org", "CHUNKING" }, "gw",
	    "250 gw\r\n", 0 },
	{ EXT_DEFAULT, { "mx.example.org" }, NULL,
	    "250 mx.example.org\r\n", 0 },
	{ EXT_DEFAULT, { "mx.example.org" }, "gw.example.lan",
	    "250 gw.example.lan\r\n", 0 },
	{ 0, { "mx.example.org", "SIZE 1", "PIPELINING" }, NULL,
	    "250 mx.example.org\r\n", 0 },
	/* only the first and the last kept */
	{ EXT_DEFAULT, { "mx", "CHUNKING", "VRFY", "DSN" }, NULL,
	    "250-mx\r\n"
	    "250 DSN\r\n", POLICY_EXT_DSN },
	/* a reply line "250-" with no text is no extension */
	{ EXT_ALL, { "mx", "", "DSN", "" }, NULL,
	    "250-mx\r\n"
	    "250 DSN\r\n", POLICY_EXT_DSN },
};

START_TEST(test_ehlo_rebuild)
{
	const struct rebuild_vec	*v = &rebuild_vecs[_i];
	char				 out[1024];
	uint32_t			 offered = 0x5a5a;
	size_t				 n = tu_count(v->lines), len, sz;
	int				 rc;

	rc = policy_ehlo_rebuild(v->allowed, v->lines, n, v->host, out,
	    sizeof(out), &offered);
	ck_assert_int_ge(rc, 0);
	ck_assert_msg(strcmp(out, v->out) == 0, "got\n%s\nwant\n%s",
	    tu_esc(out, strlen(out)), tu_esc(v->out, strlen(v->out)));
	ck_assert_int_eq(rc, (int)strlen(v->out));
	ck_assert_uint_eq(offered, v->offered);
	tu_reply_valid(out, (size_t)rc, "250");

	/* Every smaller buffer fails cleanly; the exact size works. */
	len = (size_t)rc;
	for (sz = 0; sz <= len; sz++) {
		memset(out, 'Z', sizeof(out));
		ck_assert_int_eq(policy_ehlo_rebuild(v->allowed, v->lines, n,
		    v->host, out, sz, &offered), -1);
		if (sz > 0)
			ck_assert_int_eq(out[0], '\0');
		ck_assert_int_eq(out[sz], 'Z');
	}
	memset(out, 'Z', sizeof(out));
	ck_assert_int_eq(policy_ehlo_rebuild(v->allowed, v->lines, n,
	    v->host, out, len + 1, &offered), rc);
	ck_assert_str_eq(out, v->out);
	ck_assert_int_eq(out[len + 1], 'Z');
}
END_TEST

/*
 * STARTTLS in the EHLO reply per tls.mode (SPEC §4.7): off removes it,
 * passthrough leaves it to the upstream, inspect offers it whether the
 * upstream does or not, but never inside TLS.
 */
static const struct {
	enum policy_tls	 mode;
	int		 in_tls;
	int		 upstream_offers;
	const char	*out;
} starttls_vecs[] = {
	{ POLICY_TLS_OFF, 0, 1, "250-mx\r\n250 PIPELINING\r\n" },
	{ POLICY_TLS_OFF, 0, 0, "250-mx\r\n250 PIPELINING\r\n" },
	{ POLICY_TLS_PASSTHROUGH, 0, 1,
	    "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n" },
	{ POLICY_TLS_PASSTHROUGH, 0, 0, "250-mx\r\n250 PIPELINING\r\n" },
	{ POLICY_TLS_INSPECT, 0, 1,
	    "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n" },
	{ POLICY_TLS_INSPECT, 0, 0,
	    "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n" },
	{ POLICY_TLS_INSPECT, 1, 1, "250-mx\r\n250 PIPELINING\r\n" },
	{ POLICY_TLS_INSPECT, 1, 0, "250-mx\r\n250 PIPELINING\r\n" },
	{ POLICY_TLS_PASSTHROUGH, 1, 1,
	    "250-mx\r\n250-PIPELINING\r\n250 STARTTLS\r\n" },
};

START_TEST(test_ehlo_starttls)
{
	const char	*with[] = { "mx", "PIPELINING", "STARTTLS" };
	const char	*without[] = { "mx", "PIPELINING" };
	char		 out[256];
	uint32_t	 allowed, offered;
	int		 add, rc;

	allowed = policy_ehlo_starttls(EXT_DEFAULT, starttls_vecs[_i].mode,
	    starttls_vecs[_i].in_tls, &add);
	if (starttls_vecs[_i].upstream_offers)
		rc = policy_ehlo_rebuild_tls(allowed, add, with, 3, NULL, out,
		    sizeof(out), &offered);
	else
		rc = policy_ehlo_rebuild_tls(allowed, add, without, 2, NULL,
		    out, sizeof(out), &offered);
	ck_assert_int_eq(rc, (int)strlen(starttls_vecs[_i].out));
	ck_assert_str_eq(out, starttls_vecs[_i].out);
	ck_assert_int_eq((offered & POLICY_EXT_STARTTLS) != 0,
	    strstr(out, "STARTTLS") != NULL);
	tu_reply_valid(out, (size_t)rc, "250");
	/* A buffer one byte short fails, the added line included. */
	if (starttls_vecs[_i].upstream_offers)
		ck_assert_int_eq(policy_ehlo_rebuild_tls(allowed, add, with, 3,
		    NULL, out, (size_t)rc, &offered), -1);
	else
		ck_assert_int_eq(policy_ehlo_rebuild_tls(allowed, add,
		    without, 2, NULL, out, (size_t)rc, &offered), -1);
}
END_TEST

/* A one-line EHLO reply gets STARTTLS as a second line. */
START_TEST(test_ehlo_starttls_one_line)
{
	const char	*lines[] = { "mx greets you" };
	char		 out[128];
	uint32_t	 offered;
	int		 add;

	(void)policy_ehlo_starttls(EXT_DEFAULT, POLICY_TLS_INSPECT, 0, &add);
	ck_assert_int_eq(add, 1);
	ck_assert_int_gt(policy_ehlo_rebuild_tls(EXT_DEFAULT, add, lines, 1,
	    NULL, out, sizeof(out), &offered), 0);
	ck_assert_str_eq(out, "250-mx greets you\r\n250 STARTTLS\r\n");
	ck_assert_uint_eq(offered, POLICY_EXT_STARTTLS);
	/* Not allowed by extensions.allow: not added. */
	(void)policy_ehlo_starttls(EXT_DEFAULT & ~POLICY_EXT_STARTTLS,
	    POLICY_TLS_INSPECT, 0, &add);
	ck_assert_int_eq(add, 0);
	ck_assert_int_eq(policy_tls_parse("inspect"), POLICY_TLS_INSPECT);
	ck_assert_int_eq(policy_tls_parse("Inspect"), -1);
	ck_assert_int_eq(policy_tls_upstream_parse("required"),
	    POLICY_TLS_UP_REQUIRED);
	ck_assert_int_eq(policy_tls_upstream_parse(""), -1);
}
END_TEST

/* The greeting in the three banner modes (SPEC §4.3). */
struct banner_vec {
	enum policy_banner	 mode;
	const char		*text;
	int			 code;
	const char		*lines[MAXV];
	const char		*out;
};

static const struct banner_vec banner_vecs[] = {
	{ POLICY_BANNER_PASS, NULL, 220, { "mx.example.org ESMTP Postfix" },
	    "220 mx.example.org ESMTP Postfix\r\n" },
	{ POLICY_BANNER_MASK, NULL, 220, { "mx.example.org ESMTP Postfix" },
	    "220 ****************************\r\n" },
	{ POLICY_BANNER_REPLACE, "gw.example.lan ESMTP", 220,
	    { "mx.example.org ESMTP Postfix" },
	    "220 gw.example.lan ESMTP\r\n" },
	/* multi-line */
	{ POLICY_BANNER_PASS, NULL, 220, { "mx.example.org ESMTP",
	    "No UCE", "Welcome" },
	    "220-mx.example.org ESMTP\r\n"
	    "220-No UCE\r\n"
	    "220 Welcome\r\n" },
	{ POLICY_BANNER_MASK, NULL, 220, { "mx.example.org ESMTP",
	    "No UCE", "Welcome" },
	    "220-********************\r\n"
	    "220-******\r\n"
	    "220 *******\r\n" },
	{ POLICY_BANNER_REPLACE, "gw.example.lan ESMTP", 220,
	    { "mx.example.org ESMTP", "No UCE", "Welcome" },
	    "220 gw.example.lan ESMTP\r\n" },
	/* tabs and empty texts */
	{ POLICY_BANNER_MASK, NULL, 220, { "a\tb" }, "220 ***\r\n" },
	{ POLICY_BANNER_MASK, NULL, 220, { "mx", "" },
	    "220-**\r\n"
	    "220\r\n" },
	{ POLICY_BANNER_PASS, NULL, 220, { "", "mx" },
	    "220-\r\n"
	    "220 mx\r\n" },
	{ POLICY_BANNER_PASS, NULL, 220, { "" }, "220\r\n" },
	{ POLICY_BANNER_MASK, NULL, 220, { NULL }, "220\r\n" },
	{ POLICY_BANNER_REPLACE, NULL, 220, { "mx" }, "220 ESMTP\r\n" },
	{ POLICY_BANNER_REPLACE, "", 220, { "mx" }, "220 ESMTP\r\n" },
	/* refusal greetings keep their code */
	{ POLICY_BANNER_PASS, NULL, 554, { "mx.example.org no service" },
	    "554 mx.example.org no service\r\n" },
	{ POLICY_BANNER_MASK, NULL, 421, { "mx busy", "try later" },
	    "421-*******\r\n"
	    "421 *********\r\n" },
	{ POLICY_BANNER_REPLACE, "gw ESMTP", 554, { "mx" },
	    "554 gw ESMTP\r\n" },
};

START_TEST(test_banner)
{
	const struct banner_vec	*v = &banner_vecs[_i];
	char			 out[512];
	size_t			 n = tu_count(v->lines), len, sz;
	int			 rc;
	char			 code[4];

	rc = policy_banner_render(v->mode, v->text, v->code, v->lines, n,
	    out, sizeof(out));
	ck_assert_int_ge(rc, 0);
	ck_assert_msg(strcmp(out, v->out) == 0, "got %s want %s",
	    tu_esc(out, strlen(out)), tu_esc(v->out, strlen(v->out)));
	ck_assert_int_eq(rc, (int)strlen(v->out));
	snprintf(code, sizeof(code), "%d", v->code);
	tu_reply_valid(out, (size_t)rc, code);

	len = (size_t)rc;
	for (sz = 0; sz <= len; sz++) {
		memset(out, 'Z', sizeof(out));
		ck_assert_int_eq(policy_banner_render(v->mode, v->text,
		    v->code, v->lines, n, out, sz), -1);
		if (sz > 0)
			ck_assert_int_eq(out[0], '\0');
		ck_assert_int_eq(out[sz], 'Z');
	}
	ck_assert_int_eq(policy_banner_render(v->mode, v->text, v->code,
	    v->lines, n, out, len + 1), rc);
	ck_assert_str_eq(out, v->out);
}
END_TEST

/* Mask keeps the length of every line and nothing of its text. */
START_TEST(test_banner_mask_length)
{
	static const char *const lines[] = {
		"mx.example.org ESMTP Postfix (Debian/GNU)",
		"Sendmail 8.17.1/8.17.1; Mon, 1 Jan 2024 00:00:00 +0000",
	};
	char		 out[512];
	const char	*p;
	size_t		 i;
	int		 rc;

	rc = policy_banner_render(POLICY_BANNER_MASK, "ignored", 220, lines, 2,
	    out, sizeof(out));
	ck_assert_int_eq(rc, (int)(2 * 6 + strlen(lines[0]) +
	    strlen(lines[1])));
	p = out;
	for (i = 0; i < 2; i++) {
		ck_assert_int_eq(strncmp(p, i == 0 ? "220-" : "220 ", 4), 0);
		p += 4;
		ck_assert_uint_eq(strspn(p, "*"), strlen(lines[i]));
		p += strlen(lines[i]);
		ck_assert_int_eq(strncmp(p, "\r\n", 2), 0);
		p += 2;
	}
	ck_assert_ptr_null(strstr(out, "Postfix"));
	ck_assert_ptr_null(strstr(out, "Sendmail"));
}
END_TEST

START_TEST(test_banner_errors)
{
	static const char *const lines[] = { "mx" };
	char	 out[64];

	ck_assert_int_eq(policy_banner_render(POLICY_BANNER_PASS, NULL, 99,
	    lines, 1, out, sizeof(out)), -1);
	ck_assert_int_eq(policy_banner_render(POLICY_BANNER_PASS, NULL, 1000,
	    lines, 1, out, sizeof(out)), -1);
	ck_assert_int_eq(policy_banner_render(POLICY_BANNER_MASK, NULL, -220,
	    lines, 1, out, sizeof(out)), -1);
	ck_assert_int_eq(policy_banner_render((enum policy_banner)9, NULL, 220,
	    lines, 1, out, sizeof(out)), -1);
	ck_assert_str_eq(out, "");
}
END_TEST

/* The extensions a command relies on. */
struct needs_vec {
	const char	*line;
	const char	*params;
	uint32_t	 needs;
};

static const struct needs_vec needs_vecs[] = {
	{ "MAIL FROM:<a@example.org>", "", 0 },
	{ "MAIL FROM:<a@example.org>", NULL, 0 },
	{ "MAIL FROM:<a@example.org> SIZE=1000", "SIZE=1000",
	    POLICY_EXT_SIZE },
	{ "MAIL FROM:<>", "size=1000", POLICY_EXT_SIZE },
	{ "MAIL FROM:<>", "BODY=8BITMIME", POLICY_EXT_8BITMIME },
	{ "MAIL FROM:<>", "body=8bitmime", POLICY_EXT_8BITMIME },
	{ "MAIL FROM:<>", "BODY=7BIT", POLICY_EXT_8BITMIME },
	{ "MAIL FROM:<>", "BODY=BINARYMIME", POLICY_EXT_BINARYMIME },
	{ "MAIL FROM:<>", "Body=BinaryMIME", POLICY_EXT_BINARYMIME },
	{ "MAIL FROM:<>", "BODY=BINARYMIMEX", POLICY_EXT_8BITMIME },
	{ "MAIL FROM:<>", "SMTPUTF8", POLICY_EXT_SMTPUTF8 },
	{ "MAIL FROM:<>", "RET=HDRS", POLICY_EXT_DSN },
	{ "MAIL FROM:<>", "ENVID=QQ314159", POLICY_EXT_DSN },
	{ "MAIL FROM:<>", "RET=FULL ENVID=x", POLICY_EXT_DSN },
	{ "MAIL FROM:<>", "AUTH=<>", POLICY_EXT_AUTH },
	{ "MAIL FROM:<>", "AUTH=a+40example.org", POLICY_EXT_AUTH },
	{ "MAIL FROM:<>", "SIZE=1 BODY=8BITMIME SMTPUTF8",
	    POLICY_EXT_SIZE | POLICY_EXT_8BITMIME | POLICY_EXT_SMTPUTF8 },
	{ "MAIL FROM:<>", "  SIZE=1   RET=HDRS  ",
	    POLICY_EXT_SIZE | POLICY_EXT_DSN },
	{ "MAIL FROM:<>", "BODY=BINARYMIME SIZE=5",
	    POLICY_EXT_BINARYMIME | POLICY_EXT_SIZE },
	/* parameters of extensions the proxy does not follow */
	{ "MAIL FROM:<>", "XFOO=1", POLICY_EXT_OTHER },
	{ "MAIL FROM:<>", "SIZEX=1", POLICY_EXT_OTHER },
	{ "MAIL FROM:<>", "MT-PRIORITY=3 SIZE=1",
	    POLICY_EXT_OTHER | POLICY_EXT_SIZE },
	{ "MAIL FROM:<>", "REQUIRETLS", POLICY_EXT_OTHER },
	{ "MAIL FROM:<>", "=1", POLICY_EXT_OTHER },
	/* RCPT */
	{ "RCPT TO:<b@example.org>", "", 0 },
	{ "RCPT TO:<b@example.org>", "NOTIFY=SUCCESS,FAILURE", POLICY_EXT_DSN },
	{ "RCPT TO:<b@example.org>", "ORCPT=rfc822;b@example.org",
	    POLICY_EXT_DSN },
	{ "RCPT TO:<b@example.org>", "NOTIFY=NEVER ORCPT=rfc822;b@x",
	    POLICY_EXT_DSN },
	{ "RCPT TO:<b@example.org>", "XRCPTFORWARD=1", POLICY_EXT_OTHER },
	/* verbs */
	{ "BDAT 100 LAST", NULL, POLICY_EXT_CHUNKING },
	{ "BDAT 0 LAST", "SIZE=1", POLICY_EXT_CHUNKING },
	{ "STARTTLS", NULL, POLICY_EXT_STARTTLS },
	{ "AUTH PLAIN AGFAAGI=", NULL, POLICY_EXT_AUTH },
	{ "AUTH LOGIN", "SIZE=1", POLICY_EXT_AUTH },
	{ "EHLO client.example", NULL, 0 },
	{ "HELO client.example", "SIZE=1", 0 },
	{ "DATA", NULL, 0 },
	{ "VRFY root", "SMTPUTF8", 0 },
	{ "FOOBAR x", NULL, 0 },
	{ "XCLIENT ADDR=192.0.2.1", NULL, 0 },
};

START_TEST(test_cmd_needs)
{
	const struct needs_vec	*v = &needs_vecs[_i];
	struct smtp_cmd		 cmd;
	const char		*errstr;
	uint32_t		 needs;

	ck_assert_int_eq(smtp_cmd_parse(v->line, strlen(v->line), &cmd,
	    &errstr), 0);
	needs = policy_cmd_needs(&cmd, v->params);
	ck_assert_msg(needs == v->needs, "%s [%s]: %#x, want %#x", v->line,
	    v->params != NULL ? v->params : "(null)", needs, v->needs);
}
END_TEST

/*
 * Together: the client may use what the rebuilt EHLO offered and gets
 * smtp:223 for the rest.
 */
START_TEST(test_ehlo_then_needs)
{
	static const char *const lines[] = { "mx.example.org", "SIZE 1000",
		"8BITMIME", "BINARYMIME", "CHUNKING", "DSN" };
	static const char *const allow[] = { "SIZE", "8BITMIME", "PIPELINING",
		"ENHANCEDSTATUSCODES", "DSN", "SMTPUTF8", "AUTH", "STARTTLS" };
	struct smtp_cmd	 cmd;
	char		 out[256];
	const char	*errstr;
	uint32_t	 allowed = 0, offered;
	size_t		 i;

	for (i = 0; i < TU_NELEM(allow); i++)
		allowed |= policy_ext_parse(allow[i]);
	ck_assert_uint_eq(allowed, EXT_DEFAULT);
	ck_assert_int_gt(policy_ehlo_rebuild(allowed, lines, TU_NELEM(lines),
	    NULL, out, sizeof(out), &offered), 0);
	ck_assert_uint_eq(offered, POLICY_EXT_SIZE | POLICY_EXT_8BITMIME |
	    POLICY_EXT_DSN);

	ck_assert_int_eq(smtp_cmd_parse(TU_S("MAIL FROM:<>"), &cmd, &errstr),
	    0);
	ck_assert_uint_eq(policy_cmd_needs(&cmd, "SIZE=10 BODY=8BITMIME") &
	    ~offered, 0);
	ck_assert_uint_ne(policy_cmd_needs(&cmd, "BODY=BINARYMIME") & ~offered,
	    0);
	ck_assert_uint_ne(policy_cmd_needs(&cmd, "SMTPUTF8") & ~offered, 0);
	ck_assert_int_eq(smtp_cmd_parse(TU_S("BDAT 10 LAST"), &cmd, &errstr),
	    0);
	ck_assert_uint_ne(policy_cmd_needs(&cmd, NULL) & ~offered, 0);
}
END_TEST

static Suite *
policy_suite(void)
{
	Suite	*s = suite_create("policy");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_profile_table);
	tcase_add_test(tc, test_ext_table);
	tcase_add_loop_test(tc, test_commands, 0, TU_NELEM(mask_vecs));
	tcase_add_loop_test(tc, test_commands_errors, 0,
	    TU_NELEM(cmderr_vecs));
	tcase_add_test(tc, test_command_allowed_edges);
	tcase_add_loop_test(tc, test_ehlo_keep, 0, TU_NELEM(keep_vecs));
	tcase_add_loop_test(tc, test_ehlo_rebuild, 0, TU_NELEM(rebuild_vecs));
	tcase_add_loop_test(tc, test_ehlo_starttls, 0,
	    TU_NELEM(starttls_vecs));
	tcase_add_test(tc, test_ehlo_starttls_one_line);
	tcase_add_loop_test(tc, test_banner, 0, TU_NELEM(banner_vecs));
	tcase_add_test(tc, test_banner_mask_length);
	tcase_add_test(tc, test_banner_errors);
	tcase_add_loop_test(tc, test_cmd_needs, 0, TU_NELEM(needs_vecs));
	tcase_add_test(tc, test_ehlo_then_needs);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(policy_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
