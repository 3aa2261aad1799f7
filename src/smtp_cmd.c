/*
 * SMTP command parser (RFC 5321 §4.1): verbs, MAIL/RCPT paths and ESMTP
 * parameters. Pure: no I/O, no allocation.
 */
#include "autoconf.h"

#include <arpa/inet.h>

#include <string.h>
#include <strings.h>

#include "smtp_cmd.h"

/* Indexed by enum smtp_verb. */
static const char *const smtp_cmd_names[SMTP_CMD_COUNT] = {
	"UNKNOWN",
	"HELO",
	"EHLO",
	"MAIL",
	"RCPT",
	"DATA",
	"RSET",
	"NOOP",
	"QUIT",
	"VRFY",
	"EXPN",
	"HELP",
	"STARTTLS",
	"AUTH",
	"BDAT",
	"TURN",
	"ETRN",
	"XCLIENT",
	"XFORWARD",
};

#define SMTP_CMD_VERBMAX	15

static int
smtp_cmd_isalpha(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int
smtp_cmd_isdigit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static unsigned char
smtp_cmd_toupper(unsigned char c)
{
	return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c;
}

/*
 * RFC 5321 §4.1.1: "verb" SP parameters CRLF, or "verb" CRLF. The verb
 * is 1 to 15 ASCII letters; anything else is not a command.
 */
int
smtp_cmd_parse(const char *line, size_t len, struct smtp_cmd *cmd,
    const char **errstr_r)
{
	size_t	 i;
	int	 v;

	memset(cmd, 0, sizeof(*cmd));
	cmd->verb = SMTP_CMD_UNKNOWN;
	cmd->args = "";
	if (len == 0) {
		*errstr_r = "empty command line";
		return -1;
	}
	for (i = 0; i < len && smtp_cmd_isalpha((unsigned char)line[i]); i++) {
		if (i >= SMTP_CMD_VERBMAX) {
			*errstr_r = "command verb too long";
			return -1;
		}
		cmd->name[i] = (char)smtp_cmd_toupper((unsigned char)line[i]);
	}
	cmd->name[i] = '\0';
	if (i == 0) {
		*errstr_r = "command does not start with a verb";
		return -1;
	}
	if (i < len) {
		if (line[i] != ' ') {
			*errstr_r = "verb not followed by a space";
			return -1;
		}
		cmd->args = line + i + 1;
		cmd->argslen = len - i - 1;
	}
	for (v = SMTP_CMD_UNKNOWN + 1; v < SMTP_CMD_COUNT; v++)
		if (strcmp(cmd->name, smtp_cmd_names[v]) == 0) {
			cmd->verb = (enum smtp_verb)v;
			break;
		}
	return 0;
}

const char *
smtp_cmd_name(enum smtp_verb verb)
{
	if ((int)verb < 0 || verb >= SMTP_CMD_COUNT)
		return smtp_cmd_names[SMTP_CMD_UNKNOWN];
	return smtp_cmd_names[verb];
}

/*
 * A cursor over the path between the angle brackets. Every scanner
 * below advances p->i on success and returns 0, or returns -1 with
 * p->i anywhere and p->err set.
 */
struct smtp_cmd_cur {
	const char	*s;
	size_t		 len;
	size_t		 i;
	int		 utf8;
	const char	*err;
};

static int
smtp_cmd_peek(const struct smtp_cmd_cur *p)
{
	return p->i < p->len ? (unsigned char)p->s[p->i] : -1;
}

/*
 * RFC 5322 §3.2.3 atext, as RFC 5321 §4.1.2 uses it; RFC 6531 §3.3 adds
 * UTF8-non-ascii when SMTPUTF8 is in use.
 */
static int
smtp_cmd_isatext(int c, int utf8)
{
	if (c < 0)
		return 0;
	if (c >= 0x80)
		return utf8;
	if (smtp_cmd_isalpha(c) || smtp_cmd_isdigit(c))
		return 1;
	return c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* Let-dig = ALPHA / DIGIT, plus UTF8-non-ascii (RFC 6531 U-label). */
static int
smtp_cmd_isletdig(int c, int utf8)
{
	if (c < 0)
		return 0;
	if (c >= 0x80)
		return utf8;
	return smtp_cmd_isalpha(c) || smtp_cmd_isdigit(c);
}

/* Dot-string = Atom *("." Atom); Atom = 1*atext */
static int
smtp_cmd_dotstring(struct smtp_cmd_cur *p)
{
	for (;;) {
		if (!smtp_cmd_isatext(smtp_cmd_peek(p), p->utf8)) {
			p->err = "invalid character in local part";
			return -1;
		}
		while (smtp_cmd_isatext(smtp_cmd_peek(p), p->utf8))
			p->i++;
		if (smtp_cmd_peek(p) != '.')
			return 0;
		p->i++;
	}
}

/*
 * Quoted-string = DQUOTE *QcontentSMTP DQUOTE
 * QcontentSMTP = qtextSMTP / quoted-pairSMTP
 * qtextSMTP = %d32-33 / %d35-91 / %d93-126
 * quoted-pairSMTP = %d92 %d32-126
 */
static int
smtp_cmd_quoted(struct smtp_cmd_cur *p)
{
	int	 c;

	p->i++;				/* DQUOTE */
	for (;;) {
		c = smtp_cmd_peek(p);
		if (c == '"') {
			p->i++;
			return 0;
		}
		if (c == '\\') {
			p->i++;
			c = smtp_cmd_peek(p);
			if (c < 32 || c > 126) {
				p->err = "invalid quoted pair in local part";
				return -1;
			}
			p->i++;
			continue;
		}
		if (c < 0) {
			p->err = "unterminated quoted local part";
			return -1;
		}
		if ((c >= 32 && c <= 126) || (c >= 0x80 && p->utf8)) {
			p->i++;
			continue;
		}
		p->err = "invalid character in quoted local part";
		return -1;
	}
}

/*
 * Domain = sub-domain *("." sub-domain)
 * sub-domain = Let-dig [Ldh-str]
 * Ldh-str = *( ALPHA / DIGIT / "-" ) Let-dig
 */
static int
smtp_cmd_domain(struct smtp_cmd_cur *p)
{
	int	 c, last;

	for (;;) {
		if (!smtp_cmd_isletdig(smtp_cmd_peek(p), p->utf8)) {
			p->err = "invalid domain";
			return -1;
		}
		last = 0;
		while ((c = smtp_cmd_peek(p)) == '-' ||
		    smtp_cmd_isletdig(c, p->utf8)) {
			last = c;
			p->i++;
		}
		if (last == '-') {
			p->err = "domain label ends with a hyphen";
			return -1;
		}
		if (smtp_cmd_peek(p) != '.')
			return 0;
		p->i++;
	}
}

/* Snum = 1*3DIGIT, representing a decimal integer value in 0-255 */
static int
smtp_cmd_ipv4(const char *s, size_t len)
{
	size_t	 i = 0, n;
	int	 part, v;

	for (part = 0; part < 4; part++) {
		if (part > 0) {
			if (i >= len || s[i] != '.')
				return -1;
			i++;
		}
		for (n = 0, v = 0; i < len && n < 4 &&
		    smtp_cmd_isdigit((unsigned char)s[i]); i++, n++)
			v = v * 10 + (s[i] - '0');
		if (n == 0 || n > 3 || v > 255)
			return -1;
	}
	return i == len ? 0 : -1;
}

/*
 * address-literal = "[" ( IPv4-address-literal / IPv6-address-literal /
 *                         General-address-literal ) "]"
 * IPv6-address-literal = "IPv6:" IPv6-addr
 * General-address-literal = Standardized-tag ":" 1*dcontent
 * dcontent = %d33-90 / %d94-126
 */
static int
smtp_cmd_literal(struct smtp_cmd_cur *p)
{
	char		 v6[64];
	struct in6_addr	 in6;
	const char	*lit;
	size_t		 start, end, j, tag;

	start = ++p->i;			/* "[" */
	while (p->i < p->len && p->s[p->i] != ']')
		p->i++;
	if (p->i >= p->len) {
		p->err = "unterminated address literal";
		return -1;
	}
	end = p->i++;
	lit = p->s + start;
	if (end - start >= 5 && strncasecmp(lit, "IPv6:", 5) == 0) {
		if (end - start - 5 >= sizeof(v6))
			goto bad;
		memcpy(v6, lit + 5, end - start - 5);
		v6[end - start - 5] = '\0';
		if (inet_pton(AF_INET6, v6, &in6) != 1)
			goto bad;
		return 0;
	}
	if (smtp_cmd_ipv4(lit, end - start) == 0)
		return 0;
	/* Standardized-tag = Ldh-str, then ":" and dcontent. */
	for (tag = 0; tag < end - start && lit[tag] != ':'; tag++)
		if (!smtp_cmd_isalpha((unsigned char)lit[tag]) &&
		    !smtp_cmd_isdigit((unsigned char)lit[tag]) &&
		    lit[tag] != '-')
			goto bad;
	if (tag == 0 || tag == end - start || lit[tag - 1] == '-' ||
	    tag + 1 == end - start)
		goto bad;
	for (j = tag + 1; j < end - start; j++)
		if ((unsigned char)lit[j] < 33 || (unsigned char)lit[j] > 126 ||
		    lit[j] == '[' || lit[j] == '\\' || lit[j] == ']')
			goto bad;
	return 0;
 bad:
	p->err = "invalid address literal";
	return -1;
}

/*
 * Mailbox = Local-part "@" ( Domain / address-literal )
 * Local-part = Dot-string / Quoted-string
 */
static int
smtp_cmd_mailbox(struct smtp_cmd_cur *p)
{
	if (smtp_cmd_peek(p) == '"') {
		if (smtp_cmd_quoted(p) == -1)
			return -1;
	} else if (smtp_cmd_dotstring(p) == -1)
		return -1;
	if (smtp_cmd_peek(p) != '@') {
		p->err = "missing @domain in address";
		return -1;
	}
	p->i++;
	if (smtp_cmd_peek(p) == '[')
		return smtp_cmd_literal(p);
	return smtp_cmd_domain(p);
}

/*
 * A-d-l = At-domain *( "," At-domain ) ; source route, accepted and
 * kept (RFC 5321 §4.1.2, Appendix C)
 * At-domain = "@" Domain
 */
static int
smtp_cmd_adl(struct smtp_cmd_cur *p)
{
	for (;;) {
		p->i++;			/* "@" */
		if (smtp_cmd_domain(p) == -1)
			return -1;
		if (smtp_cmd_peek(p) == ':') {
			p->i++;
			return 0;
		}
		if (smtp_cmd_peek(p) != ',') {
			p->err = "invalid source route";
			return -1;
		}
		p->i++;
		if (smtp_cmd_peek(p) != '@') {
			p->err = "invalid source route";
			return -1;
		}
	}
}

/*
 * The end of the path: the first ">" outside a quoted string. Returns
 * its offset from s, or -1 if there is none.
 */
static long
smtp_cmd_pathend(const char *s, size_t len)
{
	size_t	 i;
	int	 quoted = 0;

	for (i = 0; i < len; i++) {
		if (quoted && s[i] == '\\' && i + 1 < len)
			i++;
		else if (s[i] == '"')
			quoted = !quoted;
		else if (!quoted && s[i] == '>')
			return (long)i;
	}
	return -1;
}

/*
 * Reverse-path = Path / "<>"
 * Forward-path = Path
 * Path = "<" [ A-d-l ":" ] Mailbox ">"
 * RCPT TO also takes "<Postmaster>" without a domain (§4.1.1.3).
 *
 * path gets every byte between the brackets, a source route included.
 * maxpath 0 sets no limit but pathsz. *params_r points into args (it
 * ends where args does) or at a constant "".
 */
int
smtp_cmd_path(const char *args, size_t argslen, const char *prefix,
    size_t maxpath, int smtputf8, char *path, size_t pathsz,
    const char **params_r, const char **errstr_r)
{
	struct smtp_cmd_cur	 cur;
	size_t			 plen, i, n;
	long			 end;
	int			 bracket;

	if (pathsz > 0)
		path[0] = '\0';
	*params_r = "";
	plen = strlen(prefix);
	if (argslen < plen || strncasecmp(args, prefix, plen) != 0) {
		*errstr_r = "syntax error in parameters";
		return -1;
	}
	i = plen;
	if (i < argslen && args[i] == ' ')
		i++;
	/*
	 * "FROM:a@b" without brackets is not RFC 5321, but many scripts
	 * send it and MTAs take it (Postfix's strict_rfc821_envelopes =
	 * no): a bare Mailbox, up to the first SP, held to the same
	 * syntax. The caller relays the bracketed form.
	 */
	bracket = i < argslen && args[i] == '<';
	if (bracket) {
		i++;
		if ((end = smtp_cmd_pathend(args + i, argslen - i)) == -1) {
			*errstr_r = "address not in angle brackets";
			return -1;
		}
		n = (size_t)end;
	} else {
		for (n = 0; i + n < argslen && args[i + n] != ' '; n++)
			;
		if (n == 0) {
			*errstr_r = "empty address";
			return -1;
		}
	}
	if ((maxpath > 0 && n > maxpath) || n >= pathsz) {
		*errstr_r = "address too long";
		return -1;
	}

	memset(&cur, 0, sizeof(cur));
	cur.s = args + i;
	cur.len = n;
	cur.utf8 = smtputf8;
	if (n == 0) {
		if (strcasecmp(prefix, "FROM:") != 0) {
			*errstr_r = "empty address";
			return -1;
		}
	} else if (strcasecmp(prefix, "TO:") == 0 && n == 10 &&
	    strncasecmp(cur.s, "Postmaster", 10) == 0) {
		/* RFC 5321 §4.1.1.3 "<Postmaster>" */
	} else {
		if (smtp_cmd_peek(&cur) == '@' && smtp_cmd_adl(&cur) == -1) {
			*errstr_r = cur.err;
			return -1;
		}
		if (smtp_cmd_mailbox(&cur) == -1) {
			*errstr_r = cur.err;
			return -1;
		}
		if (cur.i != cur.len) {
			*errstr_r = "invalid character in address";
			return -1;
		}
	}
	memcpy(path, cur.s, n);
	path[n] = '\0';

	/* §4.1.2: Mail-parameters follow after one SP; extra SP tolerated. */
	i += n + (bracket ? 1 : 0);
	if (i < argslen && args[i] != ' ') {
		*errstr_r = "garbage after address";
		return -1;
	}
	while (i < argslen && args[i] == ' ')
		i++;
	if (i < argslen)
		*params_r = args + i;
	return 0;
}

/*
 * esmtp-param = esmtp-keyword ["=" esmtp-value]   (RFC 5321 §4.1.2)
 * Parameters are separated by one or more SP.
 */
int
smtp_cmd_param(const char *params, const char *name, char *val,
    size_t valsz)
{
	const char	*p, *kw, *v;
	size_t		 nlen, klen, vlen;

	nlen = strlen(name);
	p = params;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return 0;
		kw = p;
		while (*p != '\0' && *p != ' ' && *p != '=')
			p++;
		klen = (size_t)(p - kw);
		v = p;
		if (*p == '=')
			v = ++p;
		while (*p != '\0' && *p != ' ')
			p++;
		vlen = (size_t)(p - v);
		if (klen != nlen || strncasecmp(kw, name, nlen) != 0)
			continue;
		if (val != NULL && valsz > 0) {
			if (vlen >= valsz)
				vlen = valsz - 1;
			memcpy(val, v, vlen);
			val[vlen] = '\0';
		}
		return 1;
	}
}
