/*
 * Streaming MIME parser: see mime.h for the contract.
 *
 * Three layers, each fed by the one before:
 *
 *  1. Lines (mime_parse). RFC 5322 §2.1 and RFC 5321 §2.3.8: a line
 *     ends with CRLF; a bare LF also ends one here (and is flagged in a
 *     header), a bare CR is a byte of the line. A line is passed on as
 *     it comes, in pieces, except that while a multipart is open the
 *     start of a line that begins with "--" is held until it is known
 *     whether it is a boundary delimiter (at most MIME_HOLD bytes).
 *     RFC 2046 §5.1.1 makes that decision on the line start alone:
 *
 *       dash-boundary := "--" boundary
 *       delimiter := CRLF dash-boundary
 *       close-delimiter := delimiter "--"
 *
 *     "Boundary string comparisons must compare the boundary value
 *     with the beginning of each candidate line. An exact match of the
 *     entire candidate line is not required." The rest of a delimiter
 *     line (transport padding, or anything else) is ignored, and the
 *     CRLF before it belongs to the delimiter, not to the part: a
 *     part's last line break is held back until the next line is known
 *     not to be a delimiter.
 *
 *  2. Header sections (mime_hdr_*). RFC 5322 §2.2: field-name ":"
 *     field-body; §2.2.3: a line starting with WSP continues the field
 *     (unfolding removes the CRLF, keeps the WSP); an empty line ends
 *     the section. Every byte is checked (smtp:122, smtp:231, the line
 *     length of smtp:217); only Content-Type, Content-Transfer-Encoding
 *     and Content-Disposition are kept, up to MIME_FIELD_MAX bytes
 *     unfolded and header_line bytes a line, and parsed when complete.
 *
 *  3. Bodies. A multipart's preamble and epilogue are skipped; a
 *     message/rfc822 (or message/global) body is a new header section
 *     one level deeper; any other entity is a leaf part, decoded
 *     (RFC 2045 §6.7 quoted-printable, §6.8 base64 through b64.c) and
 *     handed to the callbacks.
 *
 * Depth: the message is depth 0; the body parts of a multipart at
 * depth d, and the message inside a message/rfc822 part at depth d,
 * are at depth d + 1. An entity whose children would be deeper than
 * limits.depth is taken as a leaf (smtp:247). Leaf parts are counted;
 * those after limits.parts are parsed but not reported (smtp:247).
 *
 * Memory: the parser holds a few fixed buffers, one unfolded Content-*
 * field (at most MIME_FIELD_MAX bytes) and one boundary per open
 * multipart (at most limits.depth of them), whatever the input.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "mime.h"

#define MIME_BOUNDARY_RFC	70	/* RFC 2046 §5.1.1 */
#define MIME_BOUNDARY_MAX	200	/* longest boundary still followed */
#define MIME_HOLD		(2 + MIME_BOUNDARY_MAX + 2)
#define MIME_FIELD_MAX		(64 * 1024)	/* unfolded field kept */
#define MIME_FIELD_MIN		256	/* first allocation of the field */
#define MIME_NAME_MAX		64	/* field name kept, for details */
#define MIME_DETAIL		128
#define MIME_NFLAGS		6
#define MIME_QP_WS		64	/* white space held by the QP decoder */
#define MIME_SECT_MAX		128	/* RFC 2231 sections of a parameter */
#define MIME_ATTR_MAX		80	/* parameter name */
#define MIME_OBUF		4096	/* decoded bytes per part_data call */
#define MIME_B64_CHUNK		1024	/* base64 text decoded at once */

enum mime_phase {
	MIME_P_HEADER,		/* in the header section of an entity */
	MIME_P_LEAF,		/* in the body of a reported leaf part */
	MIME_P_SKIP,		/* preamble, epilogue, unreported part */
	MIME_P_DONE		/* after mime_finish() */
};

enum mime_lmode {
	MIME_L_STREAM,		/* pass the line on as it comes */
	MIME_L_HOLD,		/* hold it: it may be a delimiter */
	MIME_L_DISCARD		/* rest of a delimiter line */
};

enum mime_eol {
	MIME_EOL_NONE,		/* end of input without a line end */
	MIME_EOL_CRLF,
	MIME_EOL_LF		/* bare LF */
};

enum mime_hstate {
	MIME_H_BOL,		/* nothing of this header line yet */
	MIME_H_NAME,		/* in the field name */
	MIME_H_VALUE		/* in the field body (or a folded line) */
};

enum mime_field {
	MIME_FLD_NONE,		/* no field open (junk line) */
	MIME_FLD_OTHER,		/* a field not kept */
	MIME_FLD_CTYPE,
	MIME_FLD_CTE,
	MIME_FLD_CDISP,
	MIME_FLD_SUBJECT	/* checked, not kept */
};

enum mime_qp {
	MIME_Q_TEXT,
	MIME_Q_EQ,		/* "=" */
	MIME_Q_HEX,		/* "=" and one hex digit */
	MIME_Q_EQWS		/* "=" and white space: a soft break? */
};

enum mime_bstate {
	MIME_B_NONE,		/* no boundary parameter, or empty */
	MIME_B_OK,
	MIME_B_LONG		/* over MIME_BOUNDARY_MAX: not followed */
};

/* An open multipart: its boundary is looked for at line starts. */
struct mime_level {
	char		 boundary[MIME_BOUNDARY_MAX];
	size_t		 blen;
	unsigned	 depth;		/* of the multipart entity */
	int		 digest;	/* multipart/digest */
};

/* What the header section of the current entity says. */
struct mime_entity {
	unsigned		 depth;
	int			 message;	/* an RFC 5322 message header */
	int			 digest;	/* a body part of a digest */
	int			 have_type;
	int			 have_cte;
	int			 have_disp;
	char			 type[128];	/* "" until Content-Type */
	char			 boundary[MIME_BOUNDARY_MAX];
	size_t			 blen;
	enum mime_bstate	 bstate;
	enum mime_encoding	 encoding;
	int			 attachment;
	char			 dispname[256];	/* Content-Disposition */
	char			 typename[256];	/* Content-Type name */
};

struct mime {
	struct mime_limits	 lim;
	struct mime_callbacks	 cb;
	void			*arg;
	int			 flags;
	char			 detail[MIME_NFLAGS][MIME_DETAIL];
	int			 oom;
	unsigned		 nleaf;
	enum mime_phase		 phase;

	/* Open multiparts, outermost first. */
	struct mime_level	*lv;
	size_t			 nlv;
	size_t			 lvcap;
	size_t			 need;		/* bytes held for a decision */

	/* Lines. */
	int			 cr;		/* a CR is pending */
	enum mime_lmode		 lmode;
	int			 lheader;	/* line began in a header */
	int			 lbound;	/* line is a delimiter */
	size_t			 linelen;
	char			 hold[MIME_HOLD];
	size_t			 holdlen;

	/* Header section. */
	struct mime_entity	 ent;
	enum mime_hstate	 hstate;
	enum mime_field		 field;
	char			 name[MIME_NAME_MAX];
	size_t			 namelen;
	size_t			 hlinelen;
	char			*fbuf;
	size_t			 flen;
	size_t			 fcap;
	struct b64		*hb64;		/* RFC 2047 B words */

	/* Leaf part. */
	struct mime_part	 part;
	enum mime_eol		 peol;		/* line end held back */
	struct b64		*b64;
	enum mime_qp		 qp;
	char			 qhex;
	char			 qws[MIME_QP_WS];
	size_t			 qwslen;
	unsigned char		 obuf[MIME_OBUF];
	size_t			 olen;
};

static void	mime_deliver(struct mime *, const char *, size_t);
static void	mime_headers_end(struct mime *);

/*
 * Record flag, with a note on its first finding.
 */
static void
mime_flag(struct mime *m, int flag, const char *fmt, ...)
{
	va_list	 ap;
	int	 i;

	if (m->flags & flag)
		return;
	m->flags |= flag;
	for (i = 0; i < MIME_NFLAGS; i++)
		if (flag == 1 << i)
			break;
	if (i == MIME_NFLAGS)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(m->detail[i], sizeof(m->detail[i]), fmt, ap);
	va_end(ap);
}

static int
mime_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

static int
mime_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Lines
 */

/* Where the next line starts: hold it if a boundary may start it. */
static void
mime_line_reset(struct mime *m)
{
	m->linelen = 0;
	m->holdlen = 0;
	m->lbound = 0;
	m->lmode = m->nlv > 0 ? MIME_L_HOLD : MIME_L_STREAM;
	m->lheader = m->phase == MIME_P_HEADER;
}

/* Bytes to hold before a line start can be told from a delimiter. */
static void
mime_level_need(struct mime *m)
{
	size_t	 i;

	m->need = 4;
	for (i = 0; i < m->nlv; i++)
		if (4 + m->lv[i].blen > m->need)
			m->need = 4 + m->lv[i].blen;
}

/*
 * smtp:217 for body lines: RFC 5321 §4.5.3.1.6 counts the CRLF, as
 * text_line does. Delimiter lines are body lines too.
 */
static void
mime_body_long(struct mime *m)
{
	if ((!m->lheader || m->lbound) && m->lim.text_line > 0 &&
	    m->linelen + 2 > m->lim.text_line)
		mime_flag(m, MIME_F_BODY_LONG, "body line over %zu bytes",
		    m->lim.text_line);
}

/*
 * The open multipart whose delimiter starts line l (len bytes), the
 * innermost first, or -1. *close_r: it is the close-delimiter.
 */
static int
mime_boundary_match(const struct mime *m, const char *l, size_t len,
    int *close_r)
{
	const struct mime_level	*v;
	size_t			 i;

	if (len < 2 || l[0] != '-' || l[1] != '-')
		return -1;
	for (i = m->nlv; i-- > 0;) {
		v = &m->lv[i];
		if (len < 2 + v->blen || memcmp(l + 2, v->boundary,
		    v->blen) != 0)
			continue;
		*close_r = len >= 4 + v->blen && l[2 + v->blen] == '-' &&
		    l[3 + v->blen] == '-';
		return (int)i;
	}
	return -1;
}

/*
 * A header section ends without its empty line (a delimiter, or the
 * end of input): take it as ended, until no entity is left in one.
 */
static void
mime_headers_close(struct mime *m)
{
	while (m->phase == MIME_P_HEADER && !m->oom)
		mime_headers_end(m);
}

static void	mime_leaf_end(struct mime *);

/*
 * RFC 2046 §5.1.1: a delimiter of open multipart i. It ends whatever
 * was open inside (a part, a header section, deeper multiparts that
 * never saw their close-delimiter), then starts the next body part, or
 * for a close-delimiter the epilogue.
 */
static void
mime_boundary(struct mime *m, size_t i, int close)
{
	mime_headers_close(m);
	if (m->phase == MIME_P_LEAF) {
		/* The CRLF before the delimiter is part of it. */
		m->peol = MIME_EOL_NONE;
		mime_leaf_end(m);
	}
	if (m->nlv > i + 1) {
		mime_flag(m, MIME_F_LIMITS, "unterminated multipart");
		m->nlv = i + 1;
	}
	if (close) {
		m->nlv = i;
		m->phase = MIME_P_SKIP;
	} else {
		memset(&m->ent, 0, sizeof(m->ent));
		m->ent.depth = m->lv[i].depth + 1;
		m->ent.digest = m->lv[i].digest;
		m->phase = MIME_P_HEADER;
		m->hstate = MIME_H_BOL;
		m->field = MIME_FLD_NONE;
		m->hlinelen = 0;
	}
	mime_level_need(m);
}

/* Decide on the held line start: a delimiter, or line content. */
static void
mime_hold_decide(struct mime *m)
{
	int	 i, close = 0;

	i = mime_boundary_match(m, m->hold, m->holdlen, &close);
	if (i == -1) {
		m->lmode = MIME_L_STREAM;
		mime_deliver(m, m->hold, m->holdlen);
	} else {
		m->lmode = MIME_L_DISCARD;
		m->lbound = 1;
		mime_body_long(m);
		mime_boundary(m, (size_t)i, close);
	}
	m->holdlen = 0;
}

/* n bytes of the current line (a bare CR among them, no LF). */
static void
mime_line_bytes(struct mime *m, const char *p, size_t n)
{
	size_t	 take;

	m->linelen += n;
	mime_body_long(m);
	while (n > 0 && !m->oom) {
		switch (m->lmode) {
		case MIME_L_DISCARD:
			return;
		case MIME_L_STREAM:
			mime_deliver(m, p, n);
			return;
		case MIME_L_HOLD:
			/* Known at once not to start with "--": no copy. */
			if (m->holdlen == 0 && (p[0] != '-' ||
			    (n > 1 && p[1] != '-'))) {
				m->lmode = MIME_L_STREAM;
				break;
			}
			take = m->need - m->holdlen;
			if (take > n)
				take = n;
			memcpy(m->hold + m->holdlen, p, take);
			m->holdlen += take;
			p += take;
			n -= take;
			if (m->hold[0] != '-' ||
			    (m->holdlen > 1 && m->hold[1] != '-')) {
				m->lmode = MIME_L_STREAM;
				mime_deliver(m, m->hold, m->holdlen);
				m->holdlen = 0;
			} else if (m->holdlen == m->need)
				mime_hold_decide(m);
			break;
		}
	}
}

static void	mime_hdr_eol(struct mime *, enum mime_eol);
static void	mime_leaf_eol(struct mime *, enum mime_eol);

static void
mime_line_end(struct mime *m, enum mime_eol eol)
{
	if (m->lmode == MIME_L_HOLD && m->holdlen > 0)
		mime_hold_decide(m);
	if (!m->lbound) {
		switch (m->phase) {
		case MIME_P_HEADER:
			mime_hdr_eol(m, eol);
			break;
		case MIME_P_LEAF:
			if (m->peol != MIME_EOL_NONE)
				mime_leaf_eol(m, m->peol);
			m->peol = eol;
			break;
		default:
			break;
		}
	}
	mime_line_reset(m);
}

/*
 * Header fields
 */

/* Field name for details: printable ASCII, the rest as "?". */
static const char *
mime_hdr_name(const struct mime *m, char *buf, size_t size)
{
	size_t	 i, n;

	n = m->namelen < size - 1 ? m->namelen : size - 1;
	for (i = 0; i < n; i++)
		buf[i] = m->name[i] > 0x20 && m->name[i] < 0x7f ?
		    m->name[i] : '?';
	buf[n] = '\0';
	return buf;
}

/* Where in the header section: "header From", "a header field name". */
static const char *
mime_hdr_where(const struct mime *m, char *buf, size_t size)
{
	char	 name[MIME_NAME_MAX + 1];

	if (m->hstate == MIME_H_VALUE && m->field != MIME_FLD_NONE)
		(void)snprintf(buf, size, "header %s",
		    mime_hdr_name(m, name, sizeof(name)));
	else if (m->hstate == MIME_H_NAME)
		(void)snprintf(buf, size, "a header field name");
	else
		(void)snprintf(buf, size, "the header section");
	return buf;
}

/*
 * RFC 5322 §2.2: a field body is VCHAR and WSP; §3.6.5 (Subject) is
 * unstructured text, ASCII unless encoded (RFC 2047). NUL, a bare CR
 * and other controls are smtp:122, raw 8-bit in Subject smtp:231.
 */
static void
mime_hdr_check(struct mime *m, unsigned char c)
{
	char	 where[MIME_NAME_MAX + 32];

	if (c >= 0x80) {
		if (m->field == MIME_FLD_SUBJECT && m->hstate == MIME_H_VALUE)
			mime_flag(m, MIME_F_SUBJECT_8BIT,
			    "Subject has raw 8-bit bytes");
		return;
	}
	if ((c >= 0x20 && c != 0x7f) || c == '\t' ||
	    (m->flags & MIME_F_HEADER_CHAR))
		return;
	(void)mime_hdr_where(m, where, sizeof(where));
	if (c == '\0')
		mime_flag(m, MIME_F_HEADER_CHAR, "NUL in %s", where);
	else if (c == '\r')
		mime_flag(m, MIME_F_HEADER_CHAR, "bare CR in %s", where);
	else
		mime_flag(m, MIME_F_HEADER_CHAR,
		    "control character 0x%02x in %s", c, where);
}

/* Append c to the kept field, up to MIME_FIELD_MAX bytes. */
static void
mime_field_add(struct mime *m, char c)
{
	char	*n;
	size_t	 cap;

	if (m->flen == m->fcap) {
		if (m->fcap >= MIME_FIELD_MAX)
			return;
		cap = m->fcap == 0 ? MIME_FIELD_MIN : m->fcap * 2;
		if (cap > MIME_FIELD_MAX)
			cap = MIME_FIELD_MAX;
		if ((n = realloc(m->fbuf, cap)) == NULL) {
			m->oom = 1;
			return;
		}
		m->fbuf = n;
		m->fcap = cap;
	}
	m->fbuf[m->flen++] = c;
}

/* The field name is complete (at its ":"): keep the field or not. */
static void
mime_field_begin(struct mime *m)
{
	size_t	 n = m->namelen;

	/* RFC 5322 §4.5 (obs-optional): WSP before the colon. */
	while (n > 0 && mime_space((unsigned char)m->name[n - 1]))
		n--;
	m->namelen = n;
	m->flen = 0;
	m->field = MIME_FLD_OTHER;
	if (n == 12 && strncasecmp(m->name, "content-type", n) == 0) {
		if (!m->ent.have_type)
			m->field = MIME_FLD_CTYPE;
	} else if (n == 25 && strncasecmp(m->name,
	    "content-transfer-encoding", n) == 0) {
		if (!m->ent.have_cte)
			m->field = MIME_FLD_CTE;
	} else if (n == 19 && strncasecmp(m->name, "content-disposition",
	    n) == 0) {
		if (!m->ent.have_disp)
			m->field = MIME_FLD_CDISP;
	} else if (n == 7 && strncasecmp(m->name, "subject", n) == 0 &&
	    m->ent.message)
		m->field = MIME_FLD_SUBJECT;
}

static void	mime_ctype(struct mime *, const char *, size_t);
static void	mime_cte(struct mime *, const char *, size_t);
static void	mime_cdisp(struct mime *, const char *, size_t);

/* The open field is complete: parse it if it is kept. */
static void
mime_field_end(struct mime *m)
{
	const char	*f = m->fbuf != NULL ? m->fbuf : "";

	switch (m->field) {
	case MIME_FLD_CTYPE:
		m->ent.have_type = 1;
		mime_ctype(m, f, m->flen);
		break;
	case MIME_FLD_CTE:
		m->ent.have_cte = 1;
		mime_cte(m, f, m->flen);
		break;
	case MIME_FLD_CDISP:
		m->ent.have_disp = 1;
		mime_cdisp(m, f, m->flen);
		break;
	default:
		break;
	}
	m->field = MIME_FLD_NONE;
	m->flen = 0;
}

static int
mime_kept(const struct mime *m)
{
	return m->field == MIME_FLD_CTYPE || m->field == MIME_FLD_CTE ||
	    m->field == MIME_FLD_CDISP;
}

/* n bytes of a header line. */
static void
mime_hdr_bytes(struct mime *m, const char *p, size_t n)
{
	char		 name[MIME_NAME_MAX + 1];
	size_t		 i;
	unsigned char	 c;

	for (i = 0; i < n && !m->oom; i++) {
		c = (unsigned char)p[i];
		if (m->hstate == MIME_H_BOL) {
			if (mime_space(c))
				m->hstate = MIME_H_VALUE;
			else {
				mime_field_end(m);
				m->hstate = MIME_H_NAME;
				m->namelen = 0;
			}
		}
		mime_hdr_check(m, c);
		/* RFC 5322 §2.1.1; the rest of the line is not parsed. */
		if (++m->hlinelen > m->lim.header_line &&
		    m->lim.header_line > 0) {
			if (m->hstate == MIME_H_VALUE &&
			    m->field != MIME_FLD_NONE)
				mime_flag(m, MIME_F_HEADER_LONG,
				    "header %s line over %zu bytes",
				    mime_hdr_name(m, name, sizeof(name)),
				    m->lim.header_line);
			else
				mime_flag(m, MIME_F_HEADER_LONG,
				    "header line over %zu bytes",
				    m->lim.header_line);
			continue;
		}
		if (m->hstate == MIME_H_NAME) {
			if (c == ':') {
				mime_field_begin(m);
				m->hstate = MIME_H_VALUE;
			} else if (m->namelen < sizeof(m->name))
				m->name[m->namelen++] = (char)c;
		} else if (mime_kept(m))
			mime_field_add(m, (char)c);
	}
}

static void
mime_hdr_eol(struct mime *m, enum mime_eol eol)
{
	char	 where[MIME_NAME_MAX + 32];

	if (eol == MIME_EOL_LF)
		mime_flag(m, MIME_F_HEADER_CHAR, "bare LF in %s",
		    mime_hdr_where(m, where, sizeof(where)));
	if (m->hstate == MIME_H_BOL) {
		/* RFC 5322 §2.1: the empty line ends the header section. */
		if (eol != MIME_EOL_NONE)
			mime_headers_end(m);
		return;
	}
	/* A line without a colon is no field, nor its folded lines. */
	if (m->hstate == MIME_H_NAME)
		m->field = MIME_FLD_NONE;
	m->hstate = MIME_H_BOL;
	m->hlinelen = 0;
}

/*
 * Field bodies: Content-Type, Content-Transfer-Encoding,
 * Content-Disposition
 */

/* RFC 2045 §5.1: token := 1*<any CHAR except SPACE, CTLs, tspecials> */
static int
mime_tokenchar(unsigned char c)
{
	return c > 0x20 && c != 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/*
 * RFC 5322 §3.2.2: CFWS. Comments nest and hold quoted-pairs; an
 * unterminated one runs to the end.
 */
static const char *
mime_cfws(const char *p, const char *e)
{
	size_t	 depth = 0;

	while (p < e) {
		if (depth > 0) {
			if (*p == '\\' && p + 1 < e)
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')')
				depth--;
			p++;
		} else if (*p == '(') {
			depth = 1;
			p++;
		} else if (mime_space((unsigned char)*p) || *p == '\r' ||
		    *p == '\n')
			p++;
		else
			break;
	}
	return p;
}

/* A token, lower case, into buf (truncated). */
static const char *
mime_token(const char *p, const char *e, char *buf, size_t size,
    size_t *len_r)
{
	size_t	 n = 0;

	while (p < e && mime_tokenchar((unsigned char)*p)) {
		if (n + 1 < size)
			buf[n++] = (char)(*p >= 'A' && *p <= 'Z' ?
			    *p - 'A' + 'a' : *p);
		p++;
	}
	buf[n] = '\0';
	*len_r = n;
	return p;
}

/* Past the next ";" outside quoted strings and comments, or e. */
static const char *
mime_next_param(const char *p, const char *e)
{
	while (p < e) {
		if (*p == ';')
			return p + 1;
		if (*p == '(') {
			p = mime_cfws(p, e);
			continue;
		}
		if (*p == '"') {
			for (p++; p < e && *p != '"'; p++)
				if (*p == '\\' && p + 1 < e)
					p++;
		}
		if (p < e)
			p++;
	}
	return e;
}

/*
 * One parameter wanted from a field, with its RFC 2231 forms:
 *   attr=value         plain (RFC 2045 §5.1), maybe RFC 2047 words
 *   attr*=cs'lang'v    extended (RFC 2231 §4)
 *   attr*N=v attr*N*=v continuations (RFC 2231 §3, §4.1)
 * Values point into the caller's arena, unquoted.
 */
struct mime_param {
	const char	*attr;
	const char	*plain;
	size_t		 plainlen;
	const char	*ext;
	size_t		 extlen;
	size_t		 nsect;		/* 1 + highest section seen */
	struct {
		const char	*v;
		size_t		 len;
		int		 enc;
	}		 sect[MIME_SECT_MAX];
};

/* Keep value v of attribute attr if some wanted parameter is it. */
static void
mime_param_keep(struct mime_param *want, size_t nwant, const char *attr,
    size_t alen, const char *v, size_t vlen)
{
	struct mime_param	*w;
	const char		*s;
	size_t			 i, wlen, idx;
	int			 enc;

	for (i = 0; i < nwant; i++) {
		w = &want[i];
		wlen = strlen(w->attr);
		if (alen < wlen || memcmp(attr, w->attr, wlen) != 0)
			continue;
		if (alen == wlen) {
			if (w->plain == NULL) {
				w->plain = v;
				w->plainlen = vlen;
			}
			return;
		}
		if (attr[wlen] != '*')
			continue;
		if (alen == wlen + 1) {
			if (w->ext == NULL) {
				w->ext = v;
				w->extlen = vlen;
			}
			return;
		}
		/* RFC 2231 §3: "*" section-number, then "*" if encoded. */
		idx = 0;
		enc = 0;
		for (s = attr + wlen + 1; s < attr + alen; s++) {
			if (*s >= '0' && *s <= '9' && idx < MIME_SECT_MAX)
				idx = idx * 10 + (size_t)(*s - '0');
			else if (*s == '*' && s + 1 == attr + alen &&
			    s > attr + wlen + 1)
				enc = 1;
			else
				break;
		}
		if (s != attr + alen || idx >= MIME_SECT_MAX ||
		    w->sect[idx].v != NULL)
			continue;
		w->sect[idx].v = v;
		w->sect[idx].len = vlen;
		w->sect[idx].enc = enc;
		if (idx + 1 > w->nsect)
			w->nsect = idx + 1;
		return;
	}
}

/*
 * RFC 2045 §5.1, RFC 2183 §2:
 *   *(";" parameter)   parameter := attribute "=" value
 *   value := token / quoted-string
 * p is after the type; the values wanted go to want, unquoted into
 * arena (at least e - p bytes). Real mail is forgiven: an unquoted
 * value runs to the next ";" (minus a trailing comment and white
 * space), an unterminated quoted string to the end.
 */
static void
mime_params(const char *p, const char *e, char *arena,
    struct mime_param *want, size_t nwant)
{
	char		 attr[MIME_ATTR_MAX];
	const char	*s, *ve;
	char		*v;
	size_t		 alen, vlen;

	while ((p = mime_next_param(p, e)) < e) {
		p = mime_cfws(p, e);
		p = mime_token(p, e, attr, sizeof(attr), &alen);
		if (alen == 0 || alen + 1 == sizeof(attr))
			continue;
		p = mime_cfws(p, e);
		if (p == e || *p != '=')
			continue;
		p = mime_cfws(p + 1, e);
		v = arena;
		vlen = 0;
		if (p < e && *p == '"') {
			/* RFC 5322 §3.2.4: quoted-string, quoted-pair. */
			for (p++; p < e && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < e)
					p++;
				v[vlen++] = *p;
			}
			if (p < e)
				p++;
		} else {
			for (ve = p; ve < e && *ve != ';'; ve++)
				;
			for (s = p; s + 1 < ve; s++)
				if (mime_space((unsigned char)s[0]) &&
				    s[1] == '(') {
					ve = s;
					break;
				}
			while (ve > p && mime_space((unsigned char)ve[-1]))
				ve--;
			vlen = (size_t)(ve - p);
			memcpy(v, p, vlen);
			p = ve;
		}
		arena += vlen;
		mime_param_keep(want, nwant, attr, alen, v, vlen);
	}
}

/* RFC 2231 §4: "%" 2HEX is an octet; a bad "%" is kept. */
static size_t
mime_pct(const char *s, size_t len, char *out)
{
	size_t	 i, n = 0;
	int	 h, l;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (h = mime_hexval((unsigned char)s[i + 1])) != -1 &&
		    (l = mime_hexval((unsigned char)s[i + 2])) != -1) {
			out[n++] = (char)(h << 4 | l);
			i += 2;
		} else
			out[n++] = s[i];
	}
	return n;
}

/* windows-1252 0x80-0x9f (the holes as in ISO 8859-1). */
static const uint16_t mime_cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178
};

static int
mime_charset_is(const char *cs, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(cs, name, len) == 0;
}

/*
 * Bytes in charset cs (len cslen) to UTF-8 into out (3 * len bytes).
 * ISO 8859-1 and windows-1252 are converted; UTF-8, US-ASCII and
 * every other charset are copied as they are.
 */
static size_t
mime_utf8(const char *cs, size_t cslen, const char *in, size_t len,
    char *out)
{
	size_t		 i, n = 0;
	unsigned	 u;
	unsigned char	 c;
	int		 latin1, cp1252;

	cp1252 = mime_charset_is(cs, cslen, "windows-1252") ||
	    mime_charset_is(cs, cslen, "cp1252");
	latin1 = cp1252 || mime_charset_is(cs, cslen, "iso-8859-1") ||
	    mime_charset_is(cs, cslen, "iso8859-1") ||
	    mime_charset_is(cs, cslen, "iso_8859-1") ||
	    mime_charset_is(cs, cslen, "latin1") ||
	    mime_charset_is(cs, cslen, "l1");
	if (!latin1) {
		memcpy(out, in, len);
		return len;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		u = cp1252 && c >= 0x80 && c < 0xa0 ? mime_cp1252[c - 0x80] :
		    c;
		if (u < 0x80)
			out[n++] = (char)u;
		else if (u < 0x800) {
			out[n++] = (char)(0xc0 | u >> 6);
			out[n++] = (char)(0x80 | (u & 0x3f));
		} else {
			out[n++] = (char)(0xe0 | u >> 12);
			out[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
			out[n++] = (char)(0x80 | (u & 0x3f));
		}
	}
	return n;
}

/*
 * RFC 2047 §2, §4, §6.2 (and RFC 2231 §5 for a "*language" suffix):
 *   encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
 * B is base64, Q is "_" for space and "=" 2HEX for an octet. Words are
 * decoded to UTF-8; white space between two encoded words is dropped;
 * everything else is copied. out holds 3 * len bytes, tmp len + 3.
 * Encoded words are also accepted where RFC 2047 §5 does not allow
 * them (in quoted strings): that is where mailers put file names.
 */
static size_t
mime_2047(struct mime *m, const char *in, size_t len, char *out,
    char *tmp)
{
	const char	*cs, *t, *te, *s;
	size_t		 i, j, n = 0, cslen, tlen, wsat = 0, blen, flen;
	int		 prevword = 0, h, l;
	char		 enc;

	for (i = 0; i < len;) {
		if (in[i] != '=' || i + 1 >= len || in[i + 1] != '?')
			goto literal;
		cs = in + i + 2;
		for (j = i + 2; j < len && in[j] != '?' &&
		    !mime_space((unsigned char)in[j]); j++)
			;
		if (j + 2 >= len || in[j] != '?' || j == i + 2 ||
		    in[j + 2] != '?')
			goto literal;
		enc = in[j + 1];
		if (enc != 'B' && enc != 'b' && enc != 'Q' && enc != 'q')
			goto literal;
		t = in + j + 3;
		for (te = t; te + 1 < in + len && !(te[0] == '?' &&
		    te[1] == '='); te++)
			;
		if (te + 1 >= in + len)
			goto literal;
		cslen = (size_t)(in + j - cs);
		if ((s = memchr(cs, '*', cslen)) != NULL)
			cslen = (size_t)(s - cs);
		tlen = (size_t)(te - t);
		if (enc == 'B' || enc == 'b') {
			b64_reset(m->hb64);
			(void)b64_decode(m->hb64, t, tlen,
			    (unsigned char *)tmp, &blen);
			(void)b64_final(m->hb64, (unsigned char *)tmp + blen,
			    &flen);
			blen += flen;
		} else {
			for (blen = 0, s = t; s < te; s++) {
				if (*s == '_')
					tmp[blen++] = ' ';
				else if (*s == '=' && te - s > 2 &&
				    (h = mime_hexval((unsigned char)s[1])) !=
				    -1 && (l = mime_hexval((unsigned char)
				    s[2])) != -1) {
					tmp[blen++] = (char)(h << 4 | l);
					s += 2;
				} else
					tmp[blen++] = *s;
			}
		}
		/* §6.2: white space between adjacent words is dropped. */
		if (prevword)
			n = wsat;
		n += mime_utf8(cs, cslen, tmp, blen, out + n);
		i = (size_t)(te + 2 - in);
		prevword = 1;
		wsat = n;
		continue;
 literal:
		if (!mime_space((unsigned char)in[i]))
			prevword = 0;
		out[n++] = in[i++];
	}
	return n;
}

/*
 * The value of parameter w, RFC 2231 forms first, into a new buffer
 * (NUL-terminated) at *val_r, or NULL if absent. name: a file name,
 * converted to UTF-8 and RFC 2047-decoded; otherwise the bytes (a
 * boundary). Returns 0, or -1 if out of memory.
 */
static int
mime_param_value(struct mime *m, const struct mime_param *w, int name,
    char **val_r, size_t *len_r)
{
	const char	*cs = "", *s, *q;
	char		*raw, *out = NULL, *tmp = NULL;
	size_t		 i, total = 0, n = 0, cslen = 0, len;

	*val_r = NULL;
	*len_r = 0;
	if (w->ext != NULL)
		total = w->extlen;
	else if (w->nsect > 0)
		for (i = 0; i < w->nsect; i++)
			total += w->sect[i].len;
	else if (w->plain != NULL)
		total = w->plainlen;
	else
		return 0;
	if ((raw = malloc(total + 1)) == NULL)
		return -1;
	if (w->ext != NULL || (w->nsect > 0 && w->sect[0].enc)) {
		/* RFC 2231 §4: charset "'" [language] "'" octets */
		s = w->ext != NULL ? w->ext : w->sect[0].v;
		len = w->ext != NULL ? w->extlen : w->sect[0].len;
		if ((q = memchr(s, '\'', len)) != NULL &&
		    memchr(q + 1, '\'', len - (size_t)(q + 1 - s)) != NULL) {
			cs = s;
			cslen = (size_t)(q - s);
			q = memchr(q + 1, '\'', len - (size_t)(q + 1 - s));
			len -= (size_t)(q + 1 - s);
			s = q + 1;
		}
		n = mime_pct(s, len, raw);
		i = 1;
	} else
		i = 0;
	if (w->ext == NULL && w->nsect > 0) {
		for (; i < w->nsect; i++) {
			if (w->sect[i].v == NULL)
				continue;
			if (w->sect[i].enc)
				n += mime_pct(w->sect[i].v, w->sect[i].len,
				    raw + n);
			else {
				memcpy(raw + n, w->sect[i].v, w->sect[i].len);
				n += w->sect[i].len;
			}
		}
	} else if (w->ext == NULL) {
		memcpy(raw, w->plain, w->plainlen);
		n = w->plainlen;
	}
	raw[n] = '\0';
	if (!name) {
		*val_r = raw;
		*len_r = n;
		return 0;
	}
	if ((out = malloc(3 * n + 1)) == NULL ||
	    (tmp = malloc(n + 3)) == NULL) {
		free(raw);
		free(out);
		return -1;
	}
	if (w->ext == NULL && w->nsect == 0)
		n = mime_2047(m, raw, n, out, tmp);
	else
		n = mime_utf8(cs, cslen, raw, n, out);
	out[n] = '\0';
	free(tmp);
	free(raw);
	*val_r = out;
	*len_r = n;
	return 0;
}

/*
 * A file name into dst (256 bytes): controls become "_"; a name too
 * long loses its middle, not its end, so the extension is kept.
 */
static void
mime_name_set(char *dst, size_t size, const char *s, size_t len)
{
	size_t	 i, n = 0, head, tail;

	if (len < size) {
		head = len;
		tail = 0;
	} else {
		head = (size - 1) / 2;
		while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
			head--;
		tail = size - 1 - head - 3;
		while (tail > 0 &&
		    ((unsigned char)s[len - tail] & 0xc0) == 0x80)
			tail--;
	}
	for (i = 0; i < head + tail; i++) {
		if (i == head && tail > 0) {
			memcpy(dst + n, "...", 3);
			n += 3;
		}
		dst[n] = s[i < head ? i : len - tail + (i - head)];
		if ((unsigned char)dst[n] < 0x20 || dst[n] == 0x7f)
			dst[n] = '_';
		n++;
	}
	dst[n] = '\0';
}

/* Parse a file name parameter into dst. */
static void
mime_name(struct mime *m, const struct mime_param *w, char *dst,
    size_t size)
{
	char	*v;
	size_t	 len;

	if (mime_param_value(m, w, 1, &v, &len) == -1) {
		m->oom = 1;
		return;
	}
	if (v != NULL)
		mime_name_set(dst, size, v, len);
	free(v);
}

/*
 * RFC 2045 §5.1:
 *   content := "Content-Type" ":" type "/" subtype *(";" parameter)
 * RFC 2045 §5.2: a syntactically invalid Content-Type is text/plain.
 * RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace, quoted if
 * need be; RFC 2231 and RFC 2047 forms of "name".
 */
static void
mime_ctype(struct mime *m, const char *f, size_t flen)
{
	struct mime_param	 want[2];
	const char		*p, *e = f + flen;
	char			 type[64], sub[64], *arena, *b;
	size_t			 tlen, slen = 0, blen;

	memset(want, 0, sizeof(want));
	want[0].attr = "boundary";
	want[1].attr = "name";
	p = mime_cfws(f, e);
	p = mime_token(p, e, type, sizeof(type), &tlen);
	p = mime_cfws(p, e);
	if (p < e && *p == '/') {
		p = mime_cfws(p + 1, e);
		p = mime_token(p, e, sub, sizeof(sub), &slen);
	}
	if (tlen > 0 && slen > 0)
		(void)snprintf(m->ent.type, sizeof(m->ent.type), "%s/%s",
		    type, sub);
	if ((arena = malloc(flen + 1)) == NULL) {
		m->oom = 1;
		return;
	}
	mime_params(p, e, arena, want, 2);
	mime_name(m, &want[1], m->ent.typename, sizeof(m->ent.typename));
	if (mime_param_value(m, &want[0], 0, &b, &blen) == -1)
		m->oom = 1;
	else if (b != NULL && blen > MIME_BOUNDARY_MAX)
		m->ent.bstate = MIME_B_LONG;
	else if (b != NULL && blen > 0) {
		memcpy(m->ent.boundary, b, blen);
		m->ent.blen = blen;
		m->ent.bstate = MIME_B_OK;
	}
	if (b != NULL)
		m->ent.blen = blen;
	free(b);
	free(arena);
}

/* RFC 2045 §6.1: mechanism := "7bit" / "8bit" / "binary" / ... */
static void
mime_cte(struct mime *m, const char *f, size_t flen)
{
	static const struct {
		const char		*name;
		enum mime_encoding	 enc;
	} encs[] = {
		{ "7bit", MIME_ENC_7BIT },
		{ "8bit", MIME_ENC_8BIT },
		{ "binary", MIME_ENC_BINARY },
		{ "base64", MIME_ENC_BASE64 },
		{ "quoted-printable", MIME_ENC_QP },
	};
	const char	*p, *e = f + flen;
	char		 tok[32];
	size_t		 i, len;

	p = mime_cfws(f, e);
	(void)mime_token(p, e, tok, sizeof(tok), &len);
	m->ent.encoding = MIME_ENC_UNKNOWN;
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		if (strcmp(tok, encs[i].name) == 0)
			m->ent.encoding = encs[i].enc;
}

/*
 * RFC 2183 §2:
 *   disposition := "Content-Disposition" ":" disposition-type
 *                  *(";" disposition-parm)
 * with filename in its RFC 2231 and RFC 2047 forms.
 */
static void
mime_cdisp(struct mime *m, const char *f, size_t flen)
{
	struct mime_param	 want;
	const char		*p, *e = f + flen;
	char			 type[32], *arena;
	size_t			 len;

	memset(&want, 0, sizeof(want));
	want.attr = "filename";
	p = mime_cfws(f, e);
	p = mime_token(p, e, type, sizeof(type), &len);
	m->ent.attachment = strcmp(type, "attachment") == 0;
	if ((arena = malloc(flen + 1)) == NULL) {
		m->oom = 1;
		return;
	}
	mime_params(p, e, arena, &want, 1);
	mime_name(m, &want, m->ent.dispname, sizeof(m->ent.dispname));
	free(arena);
}

/*
 * Entities
 */

/* Start the message inside a message/rfc822 entity. */
static void
mime_entity_message(struct mime *m, unsigned depth)
{
	memset(&m->ent, 0, sizeof(m->ent));
	m->ent.depth = depth;
	m->ent.message = 1;
	m->phase = MIME_P_HEADER;
	m->hstate = MIME_H_BOL;
	m->field = MIME_FLD_NONE;
	m->hlinelen = 0;
}

static int
mime_push(struct mime *m)
{
	struct mime_level	*n;
	size_t			 cap;

	if (m->nlv == m->lvcap) {
		cap = m->lvcap == 0 ? 4 : m->lvcap * 2;
		if ((n = reallocarray(m->lv, cap, sizeof(*n))) == NULL) {
			m->oom = 1;
			return -1;
		}
		m->lv = n;
		m->lvcap = cap;
	}
	n = &m->lv[m->nlv++];
	memcpy(n->boundary, m->ent.boundary, m->ent.blen);
	n->blen = m->ent.blen;
	n->depth = m->ent.depth;
	n->digest = strcmp(m->ent.type, "multipart/digest") == 0;
	mime_level_need(m);
	return 0;
}

static void
mime_part_data(struct mime *m, const unsigned char *p, size_t n)
{
	if (n == 0)
		return;
	m->part.size += n;
	if (m->cb.part_data != NULL)
		m->cb.part_data(m->arg, &m->part, p, n);
}

/*
 * Decoded bytes are gathered in obuf, so that part_data gets pieces of
 * a useful size rather than one a line; pieces as large go straight.
 */
static void
mime_oflush(struct mime *m)
{
	mime_part_data(m, m->obuf, m->olen);
	m->olen = 0;
}

static void
mime_oput(struct mime *m, char c)
{
	m->obuf[m->olen++] = (unsigned char)c;
	if (m->olen == sizeof(m->obuf))
		mime_oflush(m);
}

static void
mime_out(struct mime *m, const char *p, size_t n)
{
	size_t	 take;

	if (n >= sizeof(m->obuf)) {
		mime_oflush(m);
		mime_part_data(m, (const unsigned char *)p, n);
		return;
	}
	while (n > 0) {
		take = sizeof(m->obuf) - m->olen;
		if (take > n)
			take = n;
		memcpy(m->obuf + m->olen, p, take);
		m->olen += take;
		p += take;
		n -= take;
		if (m->olen == sizeof(m->obuf))
			mime_oflush(m);
	}
}

/* A leaf part starts: report it unless over limits.parts. */
static void
mime_leaf_begin(struct mime *m, const char *type)
{
	struct mime_part	*pt = &m->part;

	if (m->nleaf < UINT32_MAX)
		m->nleaf++;
	if (m->nleaf > m->lim.parts) {
		mime_flag(m, MIME_F_LIMITS, "parts %u over %zu", m->nleaf,
		    m->lim.parts);
		m->phase = MIME_P_SKIP;
		return;
	}
	memset(pt, 0, sizeof(*pt));
	pt->index = m->nleaf - 1;
	pt->depth = m->ent.depth;
	(void)snprintf(pt->type, sizeof(pt->type), "%s", type);
	(void)snprintf(pt->filename, sizeof(pt->filename), "%s",
	    m->ent.dispname[0] != '\0' ? m->ent.dispname : m->ent.typename);
	pt->attachment = m->ent.attachment;
	pt->encoding = m->ent.encoding;
	pt->size = 0;
	b64_reset(m->b64);
	m->qp = MIME_Q_TEXT;
	m->qwslen = 0;
	m->olen = 0;
	m->peol = MIME_EOL_NONE;
	m->phase = MIME_P_LEAF;
	if (m->cb.part_begin != NULL)
		m->cb.part_begin(m->arg, pt);
}

/*
 * The header section of the current entity is complete (its empty
 * line, a delimiter, or the end of input): what is its body?
 */
static void
mime_headers_end(struct mime *m)
{
	struct mime_entity	*e = &m->ent;
	const char		*type;

	mime_field_end(m);
	type = e->type[0] != '\0' ? e->type :
	    e->digest ? "message/rfc822" : "text/plain";
	if (strncmp(type, "multipart/", 10) == 0) {
		if (e->bstate == MIME_B_NONE)
			mime_flag(m, MIME_F_LIMITS, "%s without boundary",
			    type);
		else if (e->blen > MIME_BOUNDARY_RFC)
			mime_flag(m, MIME_F_LIMITS,
			    "boundary of %zu characters over %d", e->blen,
			    MIME_BOUNDARY_RFC);
		if (e->bstate != MIME_B_OK)
			goto leaf;
		if ((size_t)e->depth + 1 > m->lim.depth) {
			mime_flag(m, MIME_F_LIMITS, "depth %u over %zu",
			    e->depth + 1, m->lim.depth);
			goto leaf;
		}
		if (mime_push(m) == -1)
			return;
		/* RFC 2046 §5.1.1: the preamble is to be ignored. */
		m->phase = MIME_P_SKIP;
		return;
	}
	/*
	 * RFC 2046 §5.2.1: message/rfc822 is 7bit, 8bit or binary; an
	 * encoded one is not looked into. RFC 6532 §3.5: message/global.
	 */
	if ((strcmp(type, "message/rfc822") == 0 ||
	    strcmp(type, "message/global") == 0) &&
	    (e->encoding == MIME_ENC_7BIT || e->encoding == MIME_ENC_8BIT ||
	    e->encoding == MIME_ENC_BINARY)) {
		if ((size_t)e->depth + 1 > m->lim.depth) {
			mime_flag(m, MIME_F_LIMITS, "depth %u over %zu",
			    e->depth + 1, m->lim.depth);
			goto leaf;
		}
		mime_entity_message(m, e->depth + 1);
		return;
	}
	/* RFC 2046 §5.2.2: a fragment cannot be inspected whole. */
	if (strcmp(type, "message/partial") == 0)
		mime_flag(m, MIME_F_PARTIAL, "message/partial part");
 leaf:
	mime_leaf_begin(m, type);
}

/*
 * Leaf bodies
 */

/* RFC 2045 §6.7 rule (3): white space held may be transport padding. */
static void
mime_qp_ws(struct mime *m)
{
	size_t	 i;

	for (i = 0; i < m->qwslen; i++)
		mime_oput(m, m->qws[i]);
	m->qwslen = 0;
}

static void
mime_qp_text(struct mime *m, char c)
{
	if (mime_space((unsigned char)c)) {
		if (m->qwslen == sizeof(m->qws))
			mime_qp_ws(m);
		m->qws[m->qwslen++] = c;
	} else if (c == '=') {
		mime_qp_ws(m);
		m->qp = MIME_Q_EQ;
	} else {
		mime_qp_ws(m);
		mime_oput(m, c);
	}
}

/*
 * RFC 2045 §6.7:
 *   qp-line := *(qp-segment transport-padding CRLF)
 *              qp-part transport-padding
 *   qp-segment := qp-section *(SPACE / TAB) "="   (a soft line break)
 *   hex-octet := "=" 2(DIGIT / "A" / "B" / "C" / "D" / "E" / "F")
 * Lower-case hex digits are accepted; an "=" that starts no escape
 * is kept with what follows it (§6.7, note (2)).
 */
static void
mime_qp_bytes(struct mime *m, const char *p, size_t n)
{
	size_t	 i;
	char	 c;
	int	 h, l;

	for (i = 0; i < n; i++) {
		c = p[i];
		switch (m->qp) {
		case MIME_Q_TEXT:
			mime_qp_text(m, c);
			break;
		case MIME_Q_EQ:
			if (mime_hexval((unsigned char)c) != -1) {
				m->qhex = c;
				m->qp = MIME_Q_HEX;
			} else if (mime_space((unsigned char)c)) {
				m->qws[m->qwslen++] = c;
				m->qp = MIME_Q_EQWS;
			} else {
				mime_oput(m, '=');
				m->qp = MIME_Q_TEXT;
				mime_qp_text(m, c);
			}
			break;
		case MIME_Q_HEX:
			h = mime_hexval((unsigned char)m->qhex);
			m->qp = MIME_Q_TEXT;
			if ((l = mime_hexval((unsigned char)c)) != -1)
				mime_oput(m, (char)(h << 4 | l));
			else {
				mime_oput(m, '=');
				mime_oput(m, m->qhex);
				mime_qp_text(m, c);
			}
			break;
		case MIME_Q_EQWS:
			if (mime_space((unsigned char)c) &&
			    m->qwslen < sizeof(m->qws)) {
				m->qws[m->qwslen++] = c;
				break;
			}
			/* "=" and white space inside a line: no escape. */
			mime_oput(m, '=');
			m->qp = MIME_Q_TEXT;
			mime_qp_ws(m);
			mime_qp_text(m, c);
			break;
		}
	}
}

/* End of an encoded line (eol) or of the part (MIME_EOL_NONE). */
static void
mime_qp_eol(struct mime *m, enum mime_eol eol)
{
	switch (m->qp) {
	case MIME_Q_TEXT:
		/* A hard line break; trailing white space is padding. */
		m->qwslen = 0;
		if (eol == MIME_EOL_CRLF)
			mime_oput(m, '\r');
		if (eol != MIME_EOL_NONE)
			mime_oput(m, '\n');
		break;
	case MIME_Q_EQ:
	case MIME_Q_EQWS:
		/* A soft line break. */
		m->qwslen = 0;
		break;
	case MIME_Q_HEX:
		mime_oput(m, '=');
		mime_oput(m, m->qhex);
		if (eol == MIME_EOL_CRLF)
			mime_oput(m, '\r');
		if (eol != MIME_EOL_NONE)
			mime_oput(m, '\n');
		break;
	}
	m->qp = MIME_Q_TEXT;
}

static void
mime_leaf_data(struct mime *m, const char *p, size_t n)
{
	size_t	 take, olen;

	switch (m->part.encoding) {
	case MIME_ENC_BASE64:
		/* Decoded in place at the end of obuf. */
		while (n > 0) {
			take = n < MIME_B64_CHUNK ? n : MIME_B64_CHUNK;
			if (sizeof(m->obuf) - m->olen < B64_DECODE_MAX(take))
				mime_oflush(m);
			if (b64_decode(m->b64, p, take, m->obuf + m->olen,
			    &olen) == 0)
				m->olen += olen;
			p += take;
			n -= take;
		}
		break;
	case MIME_ENC_QP:
		mime_qp_bytes(m, p, n);
		break;
	default:
		mime_out(m, p, n);
		break;
	}
}

/* A line end inside the part (not the one before a delimiter). */
static void
mime_leaf_eol(struct mime *m, enum mime_eol eol)
{
	switch (m->part.encoding) {
	case MIME_ENC_BASE64:
		break;
	case MIME_ENC_QP:
		mime_qp_eol(m, eol);
		break;
	default:
		if (eol == MIME_EOL_CRLF)
			mime_oput(m, '\r');
		if (eol != MIME_EOL_NONE)
			mime_oput(m, '\n');
		break;
	}
}

static void
mime_leaf_end(struct mime *m)
{
	size_t	 olen;

	if (m->part.encoding == MIME_ENC_BASE64) {
		if (sizeof(m->obuf) - m->olen < B64_FINAL_MAX)
			mime_oflush(m);
		if (b64_final(m->b64, m->obuf + m->olen, &olen) == 0)
			m->olen += olen;
	} else if (m->part.encoding == MIME_ENC_QP)
		mime_qp_eol(m, MIME_EOL_NONE);
	mime_oflush(m);
	m->phase = MIME_P_SKIP;
	if (m->cb.part_end != NULL)
		m->cb.part_end(m->arg, &m->part);
}

/* Line content for the current entity. */
static void
mime_deliver(struct mime *m, const char *p, size_t n)
{
	switch (m->phase) {
	case MIME_P_HEADER:
		mime_hdr_bytes(m, p, n);
		break;
	case MIME_P_LEAF:
		if (m->peol != MIME_EOL_NONE) {
			mime_leaf_eol(m, m->peol);
			m->peol = MIME_EOL_NONE;
		}
		mime_leaf_data(m, p, n);
		break;
	default:
		break;
	}
}

/*
 * Interface
 */

struct mime *
mime_new(const struct mime_limits *lim, const struct mime_callbacks *cb,
    void *arg)
{
	struct mime	*m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if ((m->b64 = b64_new()) == NULL || (m->hb64 = b64_new()) == NULL) {
		mime_free(m);
		return NULL;
	}
	if (lim != NULL)
		m->lim = *lim;
	else {
		m->lim.header_line = 998;
		m->lim.text_line = 1000;
		m->lim.depth = 20;
		m->lim.parts = 1000;
	}
	if (cb != NULL)
		m->cb = *cb;
	m->arg = arg;
	mime_entity_message(m, 0);
	mime_line_reset(m);
	return m;
}

int
mime_parse(struct mime *m, const char *buf, size_t len)
{
	const char	*p = buf, *e = buf + len, *q, *r;

	if (m->oom)
		return -1;
	if (m->phase == MIME_P_DONE)
		return 0;
	while (p < e && !m->oom) {
		if (m->cr) {
			m->cr = 0;
			if (*p == '\n') {
				p++;
				mime_line_end(m, MIME_EOL_CRLF);
				continue;
			}
			/* A bare CR is a byte of the line. */
			mime_line_bytes(m, "\r", 1);
		}
		/* The line content up to the next CR or LF. */
		if ((q = memchr(p, '\n', (size_t)(e - p))) == NULL)
			q = e;
		if ((r = memchr(p, '\r', (size_t)(q - p))) != NULL)
			q = r;
		if (q > p)
			mime_line_bytes(m, p, (size_t)(q - p));
		if (q == e)
			break;
		if (*q == '\r')
			m->cr = 1;
		else
			mime_line_end(m, MIME_EOL_LF);
		p = q + 1;
	}
	return m->oom ? -1 : 0;
}

int
mime_finish(struct mime *m)
{
	if (m->oom)
		return -1;
	if (m->phase == MIME_P_DONE)
		return 0;
	if (m->cr) {
		m->cr = 0;
		mime_line_bytes(m, "\r", 1);
	}
	if (m->linelen > 0)
		mime_line_end(m, MIME_EOL_NONE);
	mime_headers_close(m);
	if (m->phase == MIME_P_LEAF) {
		/* No delimiter follows: the last line end is the part's. */
		if (m->peol != MIME_EOL_NONE)
			mime_leaf_eol(m, m->peol);
		m->peol = MIME_EOL_NONE;
		mime_leaf_end(m);
	}
	if (m->nlv > 0) {
		mime_flag(m, MIME_F_LIMITS, "unterminated multipart");
		m->nlv = 0;
	}
	m->phase = MIME_P_DONE;
	return m->oom ? -1 : 0;
}

int
mime_flags(const struct mime *m)
{
	return m->flags;
}

const char *
mime_detail(const struct mime *m, int flag)
{
	int	 i;

	for (i = 0; i < MIME_NFLAGS; i++)
		if (flag & (1 << i))
			return m->detail[i];
	return "";
}

unsigned
mime_nparts(const struct mime *m)
{
	return m->nleaf;
}

void
mime_free(struct mime *m)
{
	if (m == NULL)
		return;
	b64_free(m->b64);
	b64_free(m->hb64);
	free(m->lv);
	free(m->fbuf);
	free(m);
}
