/*
 * Unit tests for the alarm table (src/alarm.c): unique, complete and
 * equal to SPEC §4.4.
 */
#include "autoconf.h"

#include <check.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alarm.h"

#include "check_util.h"

/* SPEC §4.4, transcribed independently of src/alarm.c. */
static const struct {
	enum alarm_id		 id;
	const char		*ident;
	const char		*name;
	enum alarm_action	 action;
	const char		*reply;
} spec[] = {
	{ ALARM_HEADER_INVALID_CHAR, "smtp:122", "header-invalid-char",
	    ALARM_LOG, "554 5.6.0" },
	{ ALARM_PROTOCOL_OVERFLOW, "smtp:217", "protocol-overflow",
	    ALARM_BLOCK, "500 5.5.2" },
	{ ALARM_EMPTY_LINE, "smtp:219", "empty-line",
	    ALARM_BLOCK, "500 5.5.2" },
	{ ALARM_COMMAND_NOT_SUPPORTED, "smtp:223", "command-not-supported",
	    ALARM_BLOCK, "502 5.5.1" },
	{ ALARM_SUBJECT_8BIT, "smtp:231", "subject-8bit",
	    ALARM_LOG, "554 5.6.0" },
	{ ALARM_BARE_LINE_ENDING, "smtp:241", "bare-line-ending",
	    ALARM_BLOCK, "500 5.5.2" },
	{ ALARM_EARLY_TALKER, "smtp:242", "early-talker",
	    ALARM_LOG, "554 5.5.1" },
	{ ALARM_OUT_OF_SEQUENCE, "smtp:243", "out-of-sequence",
	    ALARM_BLOCK, "503 5.5.1" },
	{ ALARM_TOO_MANY_RECIPIENTS, "smtp:244", "too-many-recipients",
	    ALARM_BLOCK, "452 4.5.3" },
	{ ALARM_MESSAGE_TOO_LARGE, "smtp:245", "message-too-large",
	    ALARM_BLOCK, "552 5.3.4" },
	{ ALARM_INVALID_REPLY, "smtp:246", "invalid-reply",
	    ALARM_CLOSE, "421 4.4.0" },
	{ ALARM_MIME_LIMITS, "smtp:247", "mime-limits",
	    ALARM_BLOCK, "554 5.6.0" },
	{ ALARM_ADDRESS_INVALID, "smtp:248", "address-invalid",
	    ALARM_BLOCK, "501 5.1.3" },
	{ ALARM_TLS_PASSTHROUGH, "smtp:249", "tls-passthrough",
	    ALARM_LOG, "" },
	{ ALARM_FRAGMENTED_MESSAGE, "smtp:250", "fragmented-message",
	    ALARM_BLOCK, "554 5.6.0" },
	{ ALARM_PIPELINING_VIOLATION, "smtp:251", "pipelining-violation",
	    ALARM_BLOCK, "554 5.5.0" },
	{ ALARM_UNSCANNED, "smtp:252", "unscanned",
	    ALARM_LOG, "" },
	{ ALARM_STARTTLS_INJECTION, "smtp:253", "starttls-injection",
	    ALARM_LOG, "" },
	{ ALARM_TLS_UNAVAILABLE, "smtp:254", "tls-unavailable",
	    ALARM_BLOCK, "454 4.7.0" },
};

/* Short reply texts fixed by the protocol layer's callers. */
static const struct {
	enum alarm_id	 id;
	const char	*text;
} spec_text[] = {
	{ ALARM_PROTOCOL_OVERFLOW, "Line too long" },
	{ ALARM_EMPTY_LINE, "Empty command" },
	{ ALARM_COMMAND_NOT_SUPPORTED, "Command not permitted" },
	{ ALARM_BARE_LINE_ENDING, "Bare CR or LF" },
	{ ALARM_OUT_OF_SEQUENCE, "Bad sequence of commands" },
	{ ALARM_INVALID_REPLY, "Invalid reply from upstream" },
	{ ALARM_PIPELINING_VIOLATION, "Pipelining violation" },
	{ ALARM_TLS_UNAVAILABLE, "TLS not available" },
};

/* Every enum value has its row, in enum order, as SPEC §4.4 says. */
START_TEST(test_alarm_complete)
{
	const struct alarm_def	*a;
	int			 i;

	ck_assert_int_eq(TU_NELEM(spec), ALARM_COUNT);
	ck_assert_int_eq(TU_NELEM(alarm_table), ALARM_COUNT);
	for (i = 0; i < ALARM_COUNT; i++) {
		a = &alarm_table[i];
		ck_assert_int_eq(spec[i].id, i);
		ck_assert_msg(a->id == (enum alarm_id)i, "row %d has id %d",
		    i, a->id);
		ck_assert_ptr_nonnull(a->ident);
		ck_assert_ptr_nonnull(a->name);
		ck_assert_ptr_nonnull(a->level);
		ck_assert_ptr_nonnull(a->reply);
		ck_assert_ptr_nonnull(a->text);
		ck_assert_str_eq(a->ident, spec[i].ident);
		ck_assert_str_eq(a->name, spec[i].name);
		ck_assert_msg(a->action == spec[i].action, "%s: action %s",
		    a->ident, alarm_action_name(a->action));
		ck_assert_str_eq(a->reply, spec[i].reply);
	}
	for (i = 0; i < (int)TU_NELEM(spec_text); i++)
		ck_assert_str_eq(alarm_table[spec_text[i].id].text,
		    spec_text[i].text);
}
END_TEST

/* No id or name twice, not even in another case or as each other. */
START_TEST(test_alarm_unique)
{
	const struct alarm_def	*a, *b;
	int			 i, j;

	for (i = 0; i < ALARM_COUNT; i++)
		for (j = 0; j < ALARM_COUNT; j++) {
			a = &alarm_table[i];
			b = &alarm_table[j];
			ck_assert_msg(strcasecmp(a->ident, b->name) != 0,
			    "%s is also a name", a->ident);
			if (i == j)
				continue;
			ck_assert_msg(strcasecmp(a->ident, b->ident) != 0,
			    "id %s twice", a->ident);
			ck_assert_msg(strcasecmp(a->name, b->name) != 0,
			    "name %s twice", a->name);
		}
}
END_TEST

/*
 * Every row is well formed: "smtp:NNN" ids in increasing order,
 * lower-case names, a known level, and a reply "NNN C.S.D" (RFC 5321
 * §4.2, RFC 3463) whose classes agree, with a text; or no reply and
 * no text. The text leaves the "(smtp:NNN)" to the caller.
 */
START_TEST(test_alarm_format)
{
	const struct alarm_def	*a;
	const char		*r, *p;
	int			 i;

	for (i = 0; i < ALARM_COUNT; i++) {
		a = &alarm_table[i];
		ck_assert_msg(strlen(a->ident) == 8 &&
		    strncmp(a->ident, "smtp:", 5) == 0 &&
		    isdigit((unsigned char)a->ident[5]) &&
		    isdigit((unsigned char)a->ident[6]) &&
		    isdigit((unsigned char)a->ident[7]), "bad id %s", a->ident);
		if (i > 0)
			ck_assert_msg(strcmp(alarm_table[i - 1].ident,
			    a->ident) < 0, "%s out of order", a->ident);
		for (p = a->name; *p != '\0'; p++)
			ck_assert_msg(islower((unsigned char)*p) ||
			    isdigit((unsigned char)*p) || *p == '-',
			    "bad name %s", a->name);
		ck_assert_msg(strcmp(a->level, "minor") == 0 ||
		    strcmp(a->level, "major") == 0, "%s: level %s", a->ident,
		    a->level);
		ck_assert_ptr_nonnull(alarm_action_name(a->action));
		r = a->reply;
		if (*r == '\0') {
			ck_assert_str_eq(a->text, "");
			continue;
		}
		ck_assert_msg(strlen(r) == 9 && r[3] == ' ' && r[5] == '.' &&
		    r[7] == '.' && r[0] >= '4' && r[0] <= '5' &&
		    isdigit((unsigned char)r[1]) &&
		    isdigit((unsigned char)r[2]) && r[4] == r[0] &&
		    isdigit((unsigned char)r[6]) &&
		    isdigit((unsigned char)r[8]), "%s: bad reply %s",
		    a->ident, r);
		ck_assert_msg(*a->text != '\0', "%s: no text", a->ident);
		ck_assert_msg(strchr(a->text, '(') == NULL &&
		    strchr(a->text, '\r') == NULL &&
		    strchr(a->text, '\n') == NULL, "%s: text", a->ident);
	}
}
END_TEST

/* Lookup by id and by name, ignoring case; anything else is -1. */
START_TEST(test_alarm_lookup)
{
	char	 up[64];
	size_t	 j;
	int	 i;

	for (i = 0; i < ALARM_COUNT; i++) {
		ck_assert_int_eq(alarm_lookup(alarm_table[i].ident), i);
		ck_assert_int_eq(alarm_lookup(alarm_table[i].name), i);
		ck_assert_int_eq(alarm_lookup(spec[i].ident), i);
		ck_assert_int_eq(alarm_lookup(spec[i].name), i);
		for (j = 0; alarm_table[i].name[j] != '\0' &&
		    j < sizeof(up) - 1; j++)
			up[j] = (char)toupper((unsigned char)
			    alarm_table[i].name[j]);
		up[j] = '\0';
		ck_assert_int_eq(alarm_lookup(up), i);
	}
	ck_assert_int_eq(alarm_lookup("SMTP:231"), ALARM_SUBJECT_8BIT);
	ck_assert_int_eq(alarm_lookup("smtp:241"), ALARM_BARE_LINE_ENDING);
	ck_assert_int_eq(alarm_lookup("pipelining-violation"),
	    ALARM_PIPELINING_VIOLATION);
	ck_assert_int_eq(alarm_lookup(NULL), -1);
	ck_assert_int_eq(alarm_lookup(""), -1);
	ck_assert_int_eq(alarm_lookup("smtp:"), -1);
	ck_assert_int_eq(alarm_lookup("smtp:999"), -1);
	ck_assert_int_eq(alarm_lookup("smtp:2310"), -1);
	ck_assert_int_eq(alarm_lookup("smtp:23"), -1);
	ck_assert_int_eq(alarm_lookup("231"), -1);
	ck_assert_int_eq(alarm_lookup(" smtp:231"), -1);
	ck_assert_int_eq(alarm_lookup("subject-8bit "), -1);
	ck_assert_int_eq(alarm_lookup("subject"), -1);
}
END_TEST

/* Actions by name and back; there is no silent drop (SPEC §4.4). */
START_TEST(test_alarm_actions)
{
	static const char	*names[] = { "pass", "log", "block", "close" };
	int			 a;

	for (a = ALARM_PASS; a <= ALARM_CLOSE; a++) {
		ck_assert_str_eq(alarm_action_name((enum alarm_action)a),
		    names[a]);
		ck_assert_int_eq(alarm_action_parse(names[a]), a);
	}
	ck_assert_int_eq(alarm_action_parse("BLOCK"), ALARM_BLOCK);
	ck_assert_int_eq(alarm_action_parse("drop"), -1);
	ck_assert_int_eq(alarm_action_parse("deny"), -1);
	ck_assert_int_eq(alarm_action_parse(""), -1);
	ck_assert_int_eq(alarm_action_parse("blocks"), -1);
	ck_assert_int_eq(alarm_action_parse(NULL), -1);
	ck_assert_ptr_null(alarm_action_name((enum alarm_action)(ALARM_CLOSE +
	    1)));
	ck_assert_ptr_null(alarm_action_name((enum alarm_action)-1));
}
END_TEST

static Suite *
alarm_suite(void)
{
	Suite	*s = suite_create("alarm");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_alarm_complete);
	tcase_add_test(tc, test_alarm_unique);
	tcase_add_test(tc, test_alarm_format);
	tcase_add_test(tc, test_alarm_lookup);
	tcase_add_test(tc, test_alarm_actions);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(alarm_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
