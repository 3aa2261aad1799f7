/*
 * Command and EHLO policy (SPEC §4.2, §4.3): which commands a client may
 * send, which EHLO extensions it is offered, what greeting it sees and
 * which extension each command relies on. Pure: tables and functions,
 * no I/O, no allocation.
 */
#include "autoconf.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "policy.h"

_Static_assert(SMTP_CMD_COUNT <= 32, "policy_cmdmask holds one bit a verb");

#define POLICY_CMD_BIT(v)	((policy_cmdmask)1 << (v))

/*
 * SPEC §4.2. mailguard: the seven commands of RFC 821's minimum
 * implementation (§4.5.1) that Cisco MailGuard lets through. esmtp adds
 * EHLO (RFC 5321 §4.1.1.1), STARTTLS (RFC 3207; dropped when the tls
 * mode is off), AUTH (RFC 4954) and HELP. custom starts empty.
 */
const struct policy_profile_def policy_profile_table[POLICY_PROFILE_COUNT] = {
	[POLICY_PROFILE_ESMTP] = { "esmtp", {
	    SMTP_CMD_HELO, SMTP_CMD_MAIL, SMTP_CMD_RCPT, SMTP_CMD_DATA,
	    SMTP_CMD_RSET, SMTP_CMD_NOOP, SMTP_CMD_QUIT,
	    SMTP_CMD_EHLO, SMTP_CMD_STARTTLS, SMTP_CMD_AUTH, SMTP_CMD_HELP } },
	[POLICY_PROFILE_MAILGUARD] = { "mailguard", {
	    SMTP_CMD_HELO, SMTP_CMD_MAIL, SMTP_CMD_RCPT, SMTP_CMD_DATA,
	    SMTP_CMD_RSET, SMTP_CMD_NOOP, SMTP_CMD_QUIT } },
	[POLICY_PROFILE_CUSTOM] = { "custom", { SMTP_CMD_UNKNOWN } },
};

/*
 * Commands no configuration can allow: they let the client claim
 * another client's identity to the upstream (Postfix XCLIENT_README,
 * XFORWARD_README).
 */
static const policy_cmdmask policy_cmd_never =
    POLICY_CMD_BIT(SMTP_CMD_XCLIENT) | POLICY_CMD_BIT(SMTP_CMD_XFORWARD);

/* The EHLO keywords the proxy knows, with the RFC that defines each. */
const struct policy_ext_def policy_ext_table[POLICY_EXT_COUNT] = {
	{ "SIZE", POLICY_EXT_SIZE },			/* RFC 1870 */
	{ "8BITMIME", POLICY_EXT_8BITMIME },		/* RFC 6152 */
	{ "PIPELINING", POLICY_EXT_PIPELINING },	/* RFC 2920 */
	{ "ENHANCEDSTATUSCODES", POLICY_EXT_ENHANCEDSTATUSCODES },
							/* RFC 2034 */
	{ "DSN", POLICY_EXT_DSN },			/* RFC 3461 */
	{ "SMTPUTF8", POLICY_EXT_SMTPUTF8 },		/* RFC 6531 */
	{ "AUTH", POLICY_EXT_AUTH },			/* RFC 4954 */
	{ "STARTTLS", POLICY_EXT_STARTTLS },		/* RFC 3207 */
	{ "CHUNKING", POLICY_EXT_CHUNKING },		/* RFC 3030 */
	{ "BINARYMIME", POLICY_EXT_BINARYMIME },	/* RFC 3030 */
};

/*
 * Removed whatever the configuration says: BDAT is not inspected, so
 * neither CHUNKING nor BINARYMIME (which needs BDAT) can be offered.
 */
#define POLICY_EXT_NEVER	(POLICY_EXT_CHUNKING | POLICY_EXT_BINARYMIME)

/* Unknown keywords that are not offered even when OTHER is allowed. */
static const char *const policy_ext_refused[] = {
	"XCLIENT",
	"XFORWARD",
};

/*
 * MAIL and RCPT parameters and the extension that defines each. BODY is
 * 8BITMIME's (RFC 6152 §2) except BODY=BINARYMIME (RFC 3030 §3).
 */
static const struct {
	const char	*keyword;
	uint32_t	 ext;
} policy_params[] = {
	{ "SIZE",	POLICY_EXT_SIZE },	/* RFC 1870 §6 */
	{ "BODY",	POLICY_EXT_8BITMIME },	/* RFC 6152 §2 */
	{ "SMTPUTF8",	POLICY_EXT_SMTPUTF8 },	/* RFC 6531 §3.4 */
	{ "RET",	POLICY_EXT_DSN },	/* RFC 3461 §4.3 */
	{ "ENVID",	POLICY_EXT_DSN },	/* RFC 3461 §4.4 */
	{ "NOTIFY",	POLICY_EXT_DSN },	/* RFC 3461 §4.1 */
	{ "ORCPT",	POLICY_EXT_DSN },	/* RFC 3461 §4.2 */
	{ "AUTH",	POLICY_EXT_AUTH },	/* RFC 4954 §5 */
};

#define POLICY_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Error text naming the bad entry; valid until the next call. */
static char	policy_errbuf[128];

int
policy_profile_parse(const char *s)
{
	int	 i;

	if (s == NULL)
		return -1;
	for (i = 0; i < POLICY_PROFILE_COUNT; i++)
		if (strcasecmp(s, policy_profile_table[i].name) == 0)
			return i;
	return -1;
}

/* The index of s in names (exact, as the configuration writes it), or -1. */
static int
policy_name_index(const char *const *names, int n, const char *s)
{
	int	 i;

	for (i = 0; s != NULL && i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

int
policy_tls_parse(const char *s)
{
	static const char *const	 names[] = {
		[POLICY_TLS_OFF] = "off",
		[POLICY_TLS_PASSTHROUGH] = "passthrough",
		[POLICY_TLS_INSPECT] = "inspect"
	};

	return policy_name_index(names, (int)(sizeof(names) /
	    sizeof(names[0])), s);
}

int
policy_tls_upstream_parse(const char *s)
{
	static const char *const	 names[] = {
		[POLICY_TLS_UP_OPPORTUNISTIC] = "opportunistic",
		[POLICY_TLS_UP_REQUIRED] = "required",
		[POLICY_TLS_UP_NONE] = "none"
	};

	return policy_name_index(names, (int)(sizeof(names) /
	    sizeof(names[0])), s);
}

uint32_t
policy_ehlo_starttls(uint32_t allowed, enum policy_tls mode, int in_tls,
    int *add_r)
{
	*add_r = 0;
	switch (mode) {
	case POLICY_TLS_OFF:
		return allowed & ~(uint32_t)POLICY_EXT_STARTTLS;
	case POLICY_TLS_PASSTHROUGH:
		return allowed;
	case POLICY_TLS_INSPECT:
		if (in_tls)
			return allowed & ~(uint32_t)POLICY_EXT_STARTTLS;
		*add_r = (allowed & POLICY_EXT_STARTTLS) != 0;
		return allowed;
	}
	return allowed & ~(uint32_t)POLICY_EXT_STARTTLS;
}

/* A known verb by name (case-insensitive), or SMTP_CMD_UNKNOWN. */
static enum smtp_verb
policy_verb_lookup(const char *name)
{
	int	 v;

	for (v = SMTP_CMD_UNKNOWN + 1; v < SMTP_CMD_COUNT; v++)
		if (strcasecmp(name, smtp_cmd_name((enum smtp_verb)v)) == 0)
			return (enum smtp_verb)v;
	return SMTP_CMD_UNKNOWN;
}

/*
 * A listed XCLIENT/XFORWARD is accepted and ignored, and so is a listed
 * STARTTLS when tls_on is 0: the proxy cannot follow a TLS handshake it
 * has not agreed to (SPEC §4.7 tls.mode = off). On error *mask_r is
 * left alone.
 */
int
policy_commands(enum policy_profile profile, const char *const *allow,
    size_t nallow, int tls_on, policy_cmdmask *mask_r, const char **errstr_r)
{
	const struct policy_profile_def	*p;
	policy_cmdmask			 mask = 0;
	enum smtp_verb			 v;
	size_t				 i;
	int				 n;

	if ((int)profile < 0 || (int)profile >= POLICY_PROFILE_COUNT) {
		*errstr_r = "unknown command profile";
		return -1;
	}
	p = &policy_profile_table[profile];
	for (i = 0; i < POLICY_NELEM(p->verbs) &&
	    p->verbs[i] != SMTP_CMD_UNKNOWN; i++)
		mask |= POLICY_CMD_BIT(p->verbs[i]);
	for (i = 0; i < nallow; i++) {
		if (allow[i] == NULL ||
		    (v = policy_verb_lookup(allow[i])) == SMTP_CMD_UNKNOWN) {
			n = snprintf(policy_errbuf, sizeof(policy_errbuf),
			    "unknown command \"%s\" in allow",
			    allow[i] != NULL ? allow[i] : "");
			if (n < 0 || (size_t)n >= sizeof(policy_errbuf))
				(void)snprintf(policy_errbuf,
				    sizeof(policy_errbuf),
				    "unknown command in allow");
			*errstr_r = policy_errbuf;
			return -1;
		}
		mask |= POLICY_CMD_BIT(v);
	}
	mask &= ~policy_cmd_never;
	if (!tls_on)
		mask &= ~POLICY_CMD_BIT(SMTP_CMD_STARTTLS);
	*mask_r = mask;
	return 0;
}

int
policy_command_allowed(policy_cmdmask mask, enum smtp_verb verb)
{
	if ((int)verb <= SMTP_CMD_UNKNOWN || (int)verb >= SMTP_CMD_COUNT)
		return 0;
	if (policy_cmd_never & POLICY_CMD_BIT(verb))
		return 0;
	return (mask & POLICY_CMD_BIT(verb)) != 0;
}

/* The extension bit of keyword s[0..len), case-insensitive; 0 if none. */
static uint32_t
policy_ext_lookup(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < POLICY_EXT_COUNT; i++)
		if (strlen(policy_ext_table[i].keyword) == len &&
		    strncasecmp(s, policy_ext_table[i].keyword, len) == 0)
			return policy_ext_table[i].bit;
	return 0;
}

uint32_t
policy_ext_parse(const char *keyword)
{
	if (keyword == NULL)
		return 0;
	return policy_ext_lookup(keyword, strlen(keyword));
}

static int
policy_isalnum(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

/*
 * RFC 5321 §4.1.1.1:
 *   ehlo-line    = ehlo-keyword *( SP ehlo-param )
 *   ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
 * The keyword may also end at "=": "AUTH=LOGIN PLAIN" is the draft form
 * of RFC 4954 AUTH that servers still announce for old clients. Returns
 * the keyword's length, 0 if the line does not start with one.
 */
static size_t
policy_ehlo_keyword(const char *text)
{
	size_t	 len;

	if (!policy_isalnum((unsigned char)text[0]))
		return 0;
	for (len = 1; policy_isalnum((unsigned char)text[len]) ||
	    text[len] == '-'; len++)
		;
	if (text[len] != '\0' && text[len] != ' ' && text[len] != '=')
		return 0;
	return len;
}

/*
 * A line is kept when its keyword's bit is in allowed (an unknown
 * keyword's bit is POLICY_EXT_OTHER), except CHUNKING and BINARYMIME,
 * XCLIENT and XFORWARD, and a line that is not an ehlo-line, which are
 * always removed. ext_r may be NULL.
 */
int
policy_ehlo_keep(uint32_t allowed, const char *text, uint32_t *ext_r)
{
	uint32_t	 bit;
	size_t		 len, i;

	if (ext_r != NULL)
		*ext_r = POLICY_EXT_OTHER;
	if ((len = policy_ehlo_keyword(text)) == 0)
		return 0;
	if ((bit = policy_ext_lookup(text, len)) == 0) {
		for (i = 0; i < POLICY_NELEM(policy_ext_refused); i++)
			if (strlen(policy_ext_refused[i]) == len &&
			    strncasecmp(text, policy_ext_refused[i], len) == 0)
				return 0;
		bit = POLICY_EXT_OTHER;
	}
	if (ext_r != NULL)
		*ext_r = bit;
	if (bit & POLICY_EXT_NEVER)
		return 0;
	return (allowed & bit) != 0;
}

/*
 * Append one reply line "NNN-text" CRLF (more follow) or "NNN text" CRLF
 * (last; "NNN" CRLF if text is empty, RFC 5321 §4.2: textstring is
 * 1*char). With mask, every byte of text is written as '*'. Keeps out
 * NUL-terminated. Returns 0, or -1 if it does not fit.
 */
static int
policy_put_line(char *out, size_t outsz, size_t *len_r, int code, int last,
    const char *text, int mask)
{
	size_t	 tlen = strlen(text), need, o = *len_r;
	int	 n;

	if (o >= outsz)
		return -1;
	n = snprintf(out + o, outsz - o, "%03d", code);
	if (n != 3 || (size_t)n >= outsz - o)
		return -1;
	o += 3;
	need = (last && tlen == 0 ? 0 : 1) + tlen + 2;
	if (need >= outsz - o)		/* and the NUL */
		return -1;
	if (!last || tlen > 0)
		out[o++] = last ? ' ' : '-';
	if (mask)
		memset(out + o, '*', tlen);
	else
		memcpy(out + o, text, tlen);
	o += tlen;
	out[o++] = '\r';
	out[o++] = '\n';
	out[o] = '\0';
	*len_r = o;
	return 0;
}

static int
policy_fail(char *out, size_t outsz)
{
	if (outsz > 0)
		out[0] = '\0';
	return -1;
}

/*
 * RFC 5321 §4.1.1.1:
 *   ehlo-ok-rsp = ( "250" SP Domain [ SP ehlo-greet ] CRLF )
 *               / ( "250-" Domain [ SP ehlo-greet ] CRLF
 *                   *( "250-" ehlo-line CRLF )
 *                   "250" SP ehlo-line CRLF )
 * The reply stays valid whichever lines go: the last line kept is the
 * one written "250 ". host replaces the whole first line (Domain and
 * ehlo-greet, which may name the upstream's software too).
 */
int
policy_ehlo_rebuild(uint32_t allowed, const char *const *lines,
    size_t nlines, const char *host, char *out, size_t outsz,
    uint32_t *offered_r)
{
	return policy_ehlo_rebuild_tls(allowed, 0, lines, nlines, host, out,
	    outsz, offered_r);
}

int
policy_ehlo_rebuild_tls(uint32_t allowed, int add_starttls,
    const char *const *lines, size_t nlines, const char *host, char *out,
    size_t outsz, uint32_t *offered_r)
{
	const char	*first;
	uint32_t	 ext, offered = 0;
	size_t		 i, last = 0, len = 0;
	int		 add;

	*offered_r = 0;
	for (i = 1; i < nlines; i++)
		if (policy_ehlo_keep(allowed, lines[i], &ext)) {
			last = i;
			offered |= ext;
		}
	add = add_starttls && !(offered & POLICY_EXT_STARTTLS);
	offered = 0;
	first = host != NULL ? host : nlines > 0 ? lines[0] : "";
	if (policy_put_line(out, outsz, &len, 250, last == 0 && !add, first,
	    0) == -1)
		return policy_fail(out, outsz);
	for (i = 1; i <= last; i++) {
		if (!policy_ehlo_keep(allowed, lines[i], &ext))
			continue;
		offered |= ext;
		if (policy_put_line(out, outsz, &len, 250, i == last && !add,
		    lines[i], 0) == -1)
			return policy_fail(out, outsz);
	}
	if (add) {
		if (policy_put_line(out, outsz, &len, 250, 1, "STARTTLS",
		    0) == -1)
			return policy_fail(out, outsz);
		offered |= POLICY_EXT_STARTTLS;
	}
	if (len > (size_t)INT_MAX)
		return policy_fail(out, outsz);
	*offered_r = offered;
	return (int)len;
}

/*
 * RFC 5321 §4.2: Greeting = ( "220 " (Domain / address-literal)
 * [ SP textstring ] CRLF ) / ( "220-" ... *( "220-" [ textstring ] CRLF )
 * "220" [ SP textstring ] CRLF ). code is the upstream's (a 421 or 554
 * refusal greeting keeps its code in every mode, so the client is not
 * told the service is ready when it is not). replace with text NULL or
 * "" sends "ESMTP". Returns -1 also for a code that is not three digits.
 */
int
policy_banner_render(enum policy_banner mode, const char *text, int code,
    const char *const *lines, size_t nlines, char *out, size_t outsz)
{
	size_t	 i, len = 0;
	int	 mask;

	if (code < 100 || code > 999)
		return policy_fail(out, outsz);
	switch (mode) {
	case POLICY_BANNER_REPLACE:
		if (text == NULL || text[0] == '\0')
			text = "ESMTP";
		if (policy_put_line(out, outsz, &len, code, 1, text, 0) == -1)
			return policy_fail(out, outsz);
		break;
	case POLICY_BANNER_PASS:
	case POLICY_BANNER_MASK:
		mask = mode == POLICY_BANNER_MASK;
		if (nlines == 0 &&
		    policy_put_line(out, outsz, &len, code, 1, "", 0) == -1)
			return policy_fail(out, outsz);
		for (i = 0; i < nlines; i++)
			if (policy_put_line(out, outsz, &len, code,
			    i + 1 == nlines, lines[i], mask) == -1)
				return policy_fail(out, outsz);
		break;
	default:
		return policy_fail(out, outsz);
	}
	if (len > (size_t)INT_MAX)
		return policy_fail(out, outsz);
	return (int)len;
}

/*
 * RFC 5321 §4.1.2: Mail-parameters = esmtp-param *(SP esmtp-param),
 * esmtp-param = esmtp-keyword ["=" esmtp-value]. Keywords and the BODY
 * value are case-insensitive. params NULL is no parameters.
 */
uint32_t
policy_cmd_needs(const struct smtp_cmd *cmd, const char *params)
{
	const char	*p, *kw, *val;
	size_t		 klen, vlen, i;
	uint32_t	 need = 0, ext;

	switch (cmd->verb) {
	case SMTP_CMD_BDAT:
		return POLICY_EXT_CHUNKING;	/* RFC 3030 §2 */
	case SMTP_CMD_STARTTLS:
		return POLICY_EXT_STARTTLS;
	case SMTP_CMD_AUTH:
		return POLICY_EXT_AUTH;
	case SMTP_CMD_MAIL:
	case SMTP_CMD_RCPT:
		break;
	default:
		return 0;
	}
	for (p = params != NULL ? params : ""; *p != '\0';) {
		if (*p == ' ') {
			p++;
			continue;
		}
		kw = p;
		while (*p != '\0' && *p != ' ' && *p != '=')
			p++;
		klen = (size_t)(p - kw);
		val = p;
		if (*p == '=')
			val = ++p;
		while (*p != '\0' && *p != ' ')
			p++;
		vlen = (size_t)(p - val);

		ext = POLICY_EXT_OTHER;
		for (i = 0; i < POLICY_NELEM(policy_params); i++)
			if (strlen(policy_params[i].keyword) == klen &&
			    strncasecmp(kw, policy_params[i].keyword,
			    klen) == 0) {
				ext = policy_params[i].ext;
				break;
			}
		if (klen == 4 && strncasecmp(kw, "BODY", 4) == 0 &&
		    vlen == 10 &&
		    strncasecmp(val, "BINARYMIME", 10) == 0)
			ext = POLICY_EXT_BINARYMIME;
		need |= ext;
	}
	return need;
}
