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
 *     unfolded and header_line bytes a line, and parsed when complete
 *     (mime_param.c).
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
#include "mime_param.h"

#define MIME_BOUNDARY_RFC	70	/* RFC 2046 §5.1.1 */
#define MIME_BOUNDARY_MAX	200	/* longest boundary still followed */
#define MIME_HOLD		(2 + MIME_BOUNDARY_MAX + 2)
#define MIME_FIELD_MAX		(64 * 1024)	/* unfolded field kept */
#define MIME_FIELD_MIN		256	/* first allocation of the field */
#define MIME_NAME_MAX		64	/* field name kept, for details */
#define MIME_DETAIL		128
#define MIME_NFLAGS		6
#define MIME_QP_WS		64	/* white space held by the QP decoder */
#define MIME_OBUF		4096	/* decoded bytes per part_data call */
#define MIME_B64_CHUNK		1024	/* base64 text decoded at once */
#define MIME_ENCODED_MAX	3	/* encoded messages in encoded ones */

enum mime_phase {
	MIME_P_HEADER,		/* in the header section of an entity */
	MIME_P_LEAF,		/* in the body of a reported leaf part */
	MIME_P_SKIP,		/* preamble, epilogue, unreported part */
	MIME_P_DONE		/* after mime_finish() */
};

enum mime_lmode {
	MIME_L_STREAM,		/* pass the line on as it comes */
	MIME_L_HOLD,		/* hold it: a delimiter? a header field? */
	MIME_L_DISCARD		/* rest of a delimiter line */
};

/* What a held line start turned out to be. */
enum mime_start {
	MIME_S_MORE,		/* not known yet */
	MIME_S_LINE,		/* content of the current entity */
	MIME_S_DELIM,		/* a delimiter of an open multipart */
	MIME_S_NOFIELD		/* in a header section, not a field */
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
	unsigned		 nfields;	/* header fields seen */
	int			 digest;	/* a body part of a digest */
	int			 have_type;
	int			 have_cte;
	int			 have_disp;
	char			*fbody[3];	/* those three fields' bodies */
	size_t			 fbodylen[3];
	/* "" until Content-Type */
	char			 type[MIME_PARAM_TYPE_SIZE];
	char			 boundary[MIME_BOUNDARY_MAX];
	size_t			 blen;
	enum mime_bstate	 bstate;
	enum mime_encoding	 encoding;
	int			 attachment;
	/*
	 * File names from Content-Disposition and Content-Type; NULL
	 * when the field has no name parameter (allocated only for one
	 * that has: most entities have none).
	 */
	struct mime_param_name	*dispname;
	struct mime_param_name	*typename;
};

struct mime {
	struct mime_limits	 lim;
	struct mime_callbacks	 cb;
	void			*arg;
	int			 flags;
	char			*detail[MIME_NFLAGS]; /* MIME_DETAIL, once
						   the flag is found */
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
	int			 lpad;		/* delimiter: padding only yet */
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
	/*
	 * An encoded message/rfc822 part: its decoded bytes go to the
	 * part and to a parser of their own, whose parts are reported
	 * as enclosed in this one (names only).
	 */
	struct mime		*child;
	unsigned		 cdepth;	/* child's depth 0 here */
	struct mime_part	 cpart;		/* child's open part, as ours */
	int			 cskip;		/* child's part not reported */
	unsigned		 nenc;		/* encoded messages around us */
	int			 hidden;	/* leaf not reported: encoded
						   message, its child reports */
	enum mime_eol		 peol;		/* line end held back */
	struct b64		*b64;
	enum mime_qp		 qp;
	char			 qhex;
	char			 qws[MIME_QP_WS];
	size_t			 qwslen;
	unsigned char		*obuf;		/* MIME_OBUF, for the first leaf
						   whose bytes someone reads */
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
	if ((m->detail[i] = malloc(MIME_DETAIL)) == NULL) {
		m->oom = 1;
		return;
	}
	va_start(ap, fmt);
	(void)vsnprintf(m->detail[i], MIME_DETAIL, fmt, ap);
	va_end(ap);
}

/* A new entity: forget the last one. */
static void
mime_entity_reset(struct mime *m)
{
	int	 k;

	for (k = 0; k < 3; k++)
		free(m->ent.fbody[k]);
	free(m->ent.dispname);
	free(m->ent.typename);
	memset(&m->ent, 0, sizeof(m->ent));
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
	m->lpad = 0;
	m->lheader = m->phase == MIME_P_HEADER;
	m->lmode = m->nlv > 0 || m->lheader ? MIME_L_HOLD : MIME_L_STREAM;
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
	if (m->phase == MIME_P_HEADER && m->ent.nfields > 0)
		mime_flag(m, MIME_F_LIMITS, "header section without its "
		    "empty line");
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
		mime_entity_reset(m);
		m->ent.depth = m->lv[i].depth + 1;
		m->ent.digest = m->lv[i].digest;
		m->phase = MIME_P_HEADER;
		m->hstate = MIME_H_BOL;
		m->field = MIME_FLD_NONE;
		m->hlinelen = 0;
	}
	mime_level_need(m);
}

/*
 * The rest of a delimiter line. RFC 2046 allows transport padding
 * there and ignores anything else; readers that want the whole line
 * to match (Python's email package) see no delimiter at all, and the
 * part going on. Two readings of one message: smtp:247.
 */
static void
mime_delim_pad(struct mime *m, const char *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n && m->lpad; i++)
		if (!mime_param_space((unsigned char)p[i])) {
			m->lpad = 0;
			mime_flag(m, MIME_F_LIMITS, "boundary delimiter "
			    "followed by other characters");
		}
}

/*
 * What the held line start is. In a multipart, a delimiter of an open
 * one, decided on m->need bytes (RFC 2046 §5.1.1: the line start
 * alone). In a header section, RFC 5322 §2.2 as readers apply it (a
 * line that is neither a field nor folded ends the section; Python's
 * email package: '^(From |[\041-\071\073-\176]*:|[\t ])'), decided at
 * the first byte that is not a field-name character. A name longer
 * than the hold goes on as a field: the header layer flags it if no
 * colon comes. final: the line ended.
 */
static enum mime_start
mime_hold_check(struct mime *m, int final, int *i_r, int *close_r)
{
	const char	*h = m->hold;
	size_t		 n = m->holdlen, i;
	unsigned char	 c;

	if (m->nlv > 0 && (n < 1 || h[0] == '-') && (n < 2 || h[1] == '-')) {
		if (n < m->need && !final)
			return MIME_S_MORE;
		if ((*i_r = mime_boundary_match(m, h, n, close_r)) != -1)
			return MIME_S_DELIM;
	}
	if (m->phase != MIME_P_HEADER || n == 0 ||
	    mime_param_space((unsigned char)h[0]))
		return n == 0 && !final ? MIME_S_MORE : MIME_S_LINE;
	for (i = 0; i < n; i++) {
		c = (unsigned char)h[i];
		if (c == ':')
			return MIME_S_LINE;
		if (c < 0x21 || c > 0x7e)
			break;
	}
	if (i == n)
		return final ? MIME_S_NOFIELD : n < sizeof(m->hold) ?
		    MIME_S_MORE : MIME_S_LINE;
	/* An mbox "From " line: readers skip it, the section goes on. */
	if (n >= 5 && memcmp(h, "From ", 5) == 0)
		return MIME_S_LINE;
	return MIME_S_NOFIELD;
}

/*
 * Decide on the held line start if it can be: a delimiter, content of
 * the entity, or a line that ends a header section without its empty
 * line, after which it is decided again as a line of the body.
 */
static void
mime_hold_decide(struct mime *m, int final)
{
	int	 i, close = 0;
	size_t	 n;

	for (;;) {
		switch (mime_hold_check(m, final, &i, &close)) {
		case MIME_S_MORE:
			return;
		case MIME_S_LINE:
			n = m->holdlen;
			m->holdlen = 0;
			m->lmode = MIME_L_STREAM;
			mime_deliver(m, m->hold, n);
			return;
		case MIME_S_DELIM:
			m->lmode = MIME_L_DISCARD;
			m->lbound = 1;
			m->lpad = 1;
			mime_body_long(m);
			/* What follows the boundary must be padding. */
			n = 2 + m->lv[i].blen + (close ? 2 : 0);
			mime_boundary(m, (size_t)i, close);
			mime_delim_pad(m, m->hold + n, m->holdlen - n);
			m->holdlen = 0;
			return;
		case MIME_S_NOFIELD:
			mime_flag(m, MIME_F_LIMITS, "header section without "
			    "its empty line");
			mime_headers_end(m);
			if (m->oom)
				return;
			m->lheader = m->phase == MIME_P_HEADER;
			mime_body_long(m);
			if (m->nlv == 0 && !m->lheader)
				m->lmode = MIME_L_STREAM;
			if (m->lmode == MIME_L_STREAM) {
				n = m->holdlen;
				m->holdlen = 0;
				mime_deliver(m, m->hold, n);
				return;
			}
			break;
		}
	}
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
			mime_delim_pad(m, p, n);
			return;
		case MIME_L_STREAM:
			mime_deliver(m, p, n);
			return;
		case MIME_L_HOLD:
			/* Known at once to be neither: no copy. */
			if (m->holdlen == 0 && m->phase != MIME_P_HEADER &&
			    (p[0] != '-' || (n > 1 && p[1] != '-'))) {
				m->lmode = MIME_L_STREAM;
				break;
			}
			take = sizeof(m->hold) - m->holdlen;
			if (take > n)
				take = n;
			memcpy(m->hold + m->holdlen, p, take);
			m->holdlen += take;
			p += take;
			n -= take;
			mime_hold_decide(m, 0);
			break;
		}
	}
}

static void	mime_hdr_eol(struct mime *, enum mime_eol);
static void	mime_leaf_eol(struct mime *, enum mime_eol);

static void
mime_line_end(struct mime *m, enum mime_eol eol)
{
	if (m->lmode == MIME_L_HOLD)
		mime_hold_decide(m, 1);
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
		if (m->fcap >= MIME_FIELD_MAX) {
			/* Its end would be lost: a name's extension. */
			mime_flag(m, MIME_F_LIMITS, "a Content-* field over "
			    "%d bytes", MIME_FIELD_MAX);
			return;
		}
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
	while (n > 0 && mime_param_space((unsigned char)m->name[n - 1]))
		n--;
	m->namelen = n;
	m->flen = 0;
	m->field = MIME_FLD_OTHER;
	m->ent.nfields++;
	if (n == 12 && strncasecmp(m->name, "content-type", n) == 0)
		m->field = MIME_FLD_CTYPE;
	else if (n == 25 && strncasecmp(m->name,
	    "content-transfer-encoding", n) == 0)
		m->field = MIME_FLD_CTE;
	else if (n == 19 && strncasecmp(m->name, "content-disposition",
	    n) == 0)
		m->field = MIME_FLD_CDISP;
	else if (n == 7 && strncasecmp(m->name, "subject", n) == 0 &&
	    m->ent.message)
		m->field = MIME_FLD_SUBJECT;
}

static void	mime_ctype(struct mime *, const char *, size_t);
static void	mime_cte(struct mime *, const char *, size_t);
static void	mime_cdisp(struct mime *, const char *, size_t);

/*
 * The open field is complete: parse it if it is kept. A Content-*
 * field given again with another body is read by some readers and not
 * by others (Python's email takes the first): smtp:247.
 */
static void
mime_field_end(struct mime *m)
{
	const char	*f = m->fbuf != NULL ? m->fbuf : "";
	int		*have = NULL, k = 0;

	switch (m->field) {
	case MIME_FLD_CTYPE:
		have = &m->ent.have_type;
		break;
	case MIME_FLD_CTE:
		have = &m->ent.have_cte;
		k = 1;
		break;
	case MIME_FLD_CDISP:
		have = &m->ent.have_disp;
		k = 2;
		break;
	default:
		break;
	}
	if (have != NULL) {
		if (*have) {
			if (m->flen != m->ent.fbodylen[k] ||
			    memcmp(f, m->ent.fbody[k], m->flen) != 0)
				mime_flag(m, MIME_F_LIMITS, "a Content-* field "
				    "repeated with another value");
		} else {
			/* Kept to tell a repeated field from the first. */
			*have = 1;
			if ((m->ent.fbody[k] = malloc(m->flen + 1)) == NULL) {
				m->oom = 1;
				return;
			}
			memcpy(m->ent.fbody[k], f, m->flen);
			m->ent.fbodylen[k] = m->flen;
			if (k == 0)
				mime_ctype(m, f, m->flen);
			else if (k == 1)
				mime_cte(m, f, m->flen);
			else
				mime_cdisp(m, f, m->flen);
		}
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
			if (mime_param_space(c))
				m->hstate = MIME_H_VALUE;
			else {
				mime_field_end(m);
				m->hstate = MIME_H_NAME;
				m->namelen = 0;
			}
		}
		mime_hdr_check(m, c);
		/*
		 * RFC 5322 §2.1.1. Flagged, and parsed all the same:
		 * readers do, and a name's end is on the line's end.
		 */
		if (++m->hlinelen > m->lim.header_line &&
		    m->lim.header_line > 0 &&
		    !(m->flags & MIME_F_HEADER_LONG)) {
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
	/*
	 * A line without a colon is no field, nor its folded lines. Only
	 * an mbox "From " line or a name longer than the line start held
	 * gets here (mime_hold_check): the latter other readers take for
	 * the first line of the body.
	 */
	if (m->hstate == MIME_H_NAME) {
		if (m->namelen < 5 || memcmp(m->name, "From ", 5) != 0)
			mime_flag(m, MIME_F_LIMITS, "header line of %zu "
			    "bytes without a colon", m->hlinelen);
		m->field = MIME_FLD_NONE;
	}
	m->hstate = MIME_H_BOL;
	m->hlinelen = 0;
}

/*
 * Field bodies: Content-Type, Content-Transfer-Encoding,
 * Content-Disposition
 */

/* Keep what a field says of a file name, if it says anything. */
static void
mime_keep_name(struct mime *m, struct mime_param_name **keep,
    const struct mime_param_name *name)
{
	free(*keep);
	*keep = NULL;
	if (name->nname == 0 && !name->over && !name->split && !name->bad)
		return;
	if ((*keep = malloc(sizeof(**keep))) == NULL) {
		m->oom = 1;
		return;
	}
	**keep = *name;
}

/* Content-Type: the type, the name parameter, the boundary. */
static void
mime_ctype(struct mime *m, const char *f, size_t flen)
{
	struct mime_param_ctype	 ct;

	if (mime_param_ctype(m->hb64, f, flen, &ct) == -1)
		m->oom = 1;
	memcpy(m->ent.type, ct.type, sizeof(m->ent.type));
	mime_keep_name(m, &m->ent.typename, &ct.name);
	if (ct.boundary_ambiguous)
		mime_flag(m, MIME_F_LIMITS, "boundary parameters that "
		    "disagree");
	if (ct.boundary != NULL && ct.blen > MIME_BOUNDARY_MAX)
		m->ent.bstate = MIME_B_LONG;
	else if (ct.boundary != NULL && ct.blen > 0) {
		memcpy(m->ent.boundary, ct.boundary, ct.blen);
		m->ent.bstate = MIME_B_OK;
	}
	/* Even when too long: the detail of smtp:247 says how long. */
	if (ct.boundary != NULL)
		m->ent.blen = ct.blen;
	free(ct.boundary);
}

static void
mime_cte(struct mime *m, const char *f, size_t flen)
{
	m->ent.encoding = mime_param_cte(f, flen);
}

/* Content-Disposition: attachment or not, the filename parameter. */
static void
mime_cdisp(struct mime *m, const char *f, size_t flen)
{
	struct mime_param_cdisp	 cd;

	if (mime_param_cdisp(m->hb64, f, flen, &cd) == -1)
		m->oom = 1;
	m->ent.attachment = cd.attachment;
	mime_keep_name(m, &m->ent.dispname, &cd.filename);
}

/*
 * Entities
 */

/* Start the message inside a message/rfc822 entity. */
static void
mime_entity_message(struct mime *m, unsigned depth)
{
	mime_entity_reset(m);
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
	if (!m->hidden && m->cb.part_data != NULL)
		m->cb.part_data(m->arg, &m->part, p, n);
	if (m->child != NULL && mime_parse(m->child, (const char *)p,
	    n) == -1)
		m->oom = 1;
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
	if (m->obuf == NULL) {
		m->part.size++;		/* nobody reads it: count it */
		return;
	}
	m->obuf[m->olen++] = (unsigned char)c;
	if (m->olen == MIME_OBUF)
		mime_oflush(m);
}

static void
mime_out(struct mime *m, const char *p, size_t n)
{
	size_t	 take;

	if (m->obuf == NULL) {
		m->part.size += n;
		return;
	}
	if (n >= MIME_OBUF) {
		mime_oflush(m);
		mime_part_data(m, (const unsigned char *)p, n);
		return;
	}
	while (n > 0) {
		take = MIME_OBUF - m->olen;
		if (take > n)
			take = n;
		memcpy(m->obuf + m->olen, p, take);
		m->olen += take;
		p += take;
		n -= take;
		if (m->olen == MIME_OBUF)
			mime_oflush(m);
	}
}

/*
 * One more part: its index, or -1 past limits.parts (smtp:247; the
 * part is parsed but not reported).
 */
static int
mime_count_part(struct mime *m)
{
	if (m->nleaf < UINT32_MAX)
		m->nleaf++;
	if (m->nleaf > m->lim.parts) {
		mime_flag(m, MIME_F_LIMITS, "parts %u over %zu", m->nleaf,
		    m->lim.parts);
		return -1;
	}
	return (int)(m->nleaf - 1);
}

/* Report part p for its names only (part_begin, part_end, no data). */
static void
mime_report_names(struct mime *m, struct mime_part *p)
{
	int	 index;

	if ((index = mime_count_part(m)) == -1)
		return;
	p->index = (unsigned)index;
	p->enclosed = 1;
	if (m->cb.part_begin != NULL)
		m->cb.part_begin(m->arg, p);
	if (m->cb.part_end != NULL)
		m->cb.part_end(m->arg, p);
}

static void	mime_leaf_names(struct mime *, struct mime_part *);

/*
 * An entity that is no leaf (a multipart, a message parsed as one)
 * but has a name: readers list it as an attachment all the same.
 */
static void
mime_container_names(struct mime *m, const char *type)
{
	struct mime_part	 p;

	if ((m->ent.dispname == NULL || m->ent.dispname->nname == 0) &&
	    (m->ent.typename == NULL || m->ent.typename->nname == 0))
		return;
	memset(&p, 0, sizeof(p));
	p.depth = m->ent.depth;
	(void)snprintf(p.type, sizeof(p.type), "%s", type);
	mime_leaf_names(m, &p);
	p.attachment = m->ent.attachment;
	p.encoding = m->ent.encoding;
	mime_report_names(m, &p);
	free(p.altnames);
}

/*
 * The parts of the message inside an encoded message part, as this
 * parser's callbacks see them: one level deeper than that part,
 * numbered among this parser's parts. The encoded part itself is not
 * reported (its names are, mime_container_names): the parts inside are
 * typed one by one, as the parts of a message sent as it is.
 */
static void
mime_child_part_begin(void *arg, const struct mime_part *cp)
{
	struct mime		*m = arg;
	struct mime_part	 p;
	int			 index;

	if (cp->enclosed) {
		p = *cp;
		p.depth += m->cdepth;
		mime_report_names(m, &p);
		return;
	}
	if ((index = mime_count_part(m)) == -1) {
		m->cskip = 1;
		return;
	}
	m->cskip = 0;
	m->cpart = *cp;
	m->cpart.index = (unsigned)index;
	m->cpart.depth += m->cdepth;
	if (m->cb.part_begin != NULL)
		m->cb.part_begin(m->arg, &m->cpart);
}

static void
mime_child_part_data(void *arg, const struct mime_part *cp,
    const unsigned char *d, size_t n)
{
	struct mime	*m = arg;

	if (m->cskip)
		return;
	m->cpart.size = cp->size;
	if (m->cb.part_data != NULL)
		m->cb.part_data(m->arg, &m->cpart, d, n);
}

static void
mime_child_part_end(void *arg, const struct mime_part *cp)
{
	struct mime	*m = arg;

	if (cp->enclosed || m->cskip)
		return;
	m->cpart.size = cp->size;
	if (m->cb.part_end != NULL)
		m->cb.part_end(m->arg, &m->cpart);
}

static const struct mime_callbacks mime_child_cb = {
	mime_child_part_begin, mime_child_part_data, mime_child_part_end
};

static void
mime_child_begin(struct mime *m, unsigned depth)
{
	struct mime_limits	 lim = m->lim;

	lim.depth -= depth;
	if ((m->child = mime_new(&lim, &mime_child_cb, m)) == NULL) {
		m->oom = 1;
		return;
	}
	m->child->nenc = m->nenc + 1;
	m->cdepth = depth;
	m->cskip = 1;
}

/* The encoded message is complete: what its parser found is ours. */
static void
mime_child_end(struct mime *m)
{
	struct mime	*c = m->child;
	int		 i;

	if (c == NULL)
		return;
	m->child = NULL;
	if (mime_finish(c) == -1)
		m->oom = 1;
	for (i = 0; i < MIME_NFLAGS; i++)
		if (c->flags & (1 << i) && !(m->flags & (1 << i)))
			mime_flag(m, 1 << i, "%s%s", mime_detail(c, 1 << i),
			    c->nenc > 1 ? "" : " (in an attached message)");
	mime_free(c);
}

/* Add a reading of a part's name unless it has it already. */
static void
mime_leaf_name(struct mime *m, struct mime_part *pt, const char *name)
{
	unsigned	 i;

	if (pt->filename[0] == '\0') {
		memcpy(pt->filename, name, strlen(name) + 1);
		return;
	}
	if (strcmp(pt->filename, name) == 0)
		return;
	for (i = 0; i < pt->naltnames; i++)
		if (strcmp(pt->altnames[i], name) == 0)
			return;
	if (pt->naltnames == MIME_ALTNAMES) {
		mime_flag(m, MIME_F_LIMITS, "more readings of a file name "
		    "than followed");
		return;
	}
	if (pt->altnames == NULL && (pt->altnames = calloc(MIME_ALTNAMES,
	    sizeof(*pt->altnames))) == NULL) {
		m->oom = 1;
		return;
	}
	memcpy(pt->altnames[pt->naltnames++], name, strlen(name) + 1);
}

/*
 * The part's name as Python's email package reads it (Content-
 * Disposition filename, else Content-Type name), and every other
 * reading of both.
 */
static void
mime_leaf_names(struct mime *m, struct mime_part *pt)
{
	const struct mime_param_name	*r[2] = { m->ent.dispname,
					    m->ent.typename };
	unsigned			 i, j;

	for (i = 0; i < 2; i++) {
		if (r[i] == NULL)
			continue;
		if (r[i]->over)
			mime_flag(m, MIME_F_LIMITS, "a file name in more "
			    "sections, forms or readings than followed");
		if (r[i]->split)
			mime_flag(m, MIME_F_LIMITS, "a file name with text "
			    "after its closing quote");
		if (r[i]->bad)
			mime_flag(m, MIME_F_LIMITS, "a file name the proxy "
			    "cannot decode for sure");
		for (j = 0; j < r[i]->nname; j++)
			mime_leaf_name(m, pt, r[i]->name[j]);
	}
}

/* A leaf part starts: report it unless over limits.parts. */
static void
mime_leaf_begin(struct mime *m, const char *type, int hidden)
{
	struct mime_part	*pt = &m->part;
	int			 index = 0;

	if (!hidden && (index = mime_count_part(m)) == -1) {
		m->phase = MIME_P_SKIP;
		return;
	}
	/*
	 * The decoded bytes are gathered for part_data and an encoded
	 * message's parser; without either, they are only counted.
	 */
	if (m->obuf == NULL && (hidden || m->cb.part_data != NULL) &&
	    (m->obuf = malloc(MIME_OBUF)) == NULL) {
		m->oom = 1;
		m->phase = MIME_P_SKIP;
		return;
	}
	free(pt->altnames);
	memset(pt, 0, sizeof(*pt));
	pt->index = (unsigned)index;
	pt->depth = m->ent.depth;
	(void)snprintf(pt->type, sizeof(pt->type), "%s", type);
	mime_leaf_names(m, pt);
	pt->attachment = m->ent.attachment;
	pt->encoding = m->ent.encoding;
	pt->size = 0;
	b64_reset(m->b64);
	m->qp = MIME_Q_TEXT;
	m->qwslen = 0;
	m->olen = 0;
	m->peol = MIME_EOL_NONE;
	m->phase = MIME_P_LEAF;
	m->hidden = hidden;
	if (!hidden && m->cb.part_begin != NULL)
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
		mime_container_names(m, type);
		if (mime_push(m) == -1)
			return;
		/* RFC 2046 §5.1.1: the preamble is to be ignored. */
		m->phase = MIME_P_SKIP;
		return;
	}
	/* RFC 2046 §5.2.2: a fragment cannot be inspected whole. */
	if (strcmp(type, "message/partial") == 0) {
		mime_flag(m, MIME_F_PARTIAL, "message/partial part");
		goto leaf;
	}
	/*
	 * Any other message type holds a message, as readers parse it
	 * (Python's email walks into message/anything). RFC 2046 §5.2.1
	 * has message/rfc822 7bit, 8bit or binary (RFC 6532 §3.5:
	 * message/global): one encoded all the same, which mail clients
	 * open, is decoded and parsed one level deeper, at most
	 * MIME_ENCODED_MAX such levels; with an encoding the proxy does
	 * not know, its bytes are parsed as they are, as readers do.
	 */
	if (strncmp(type, "message/", 8) == 0) {
		if ((size_t)e->depth + 1 > m->lim.depth) {
			mime_flag(m, MIME_F_LIMITS, "depth %u over %zu",
			    e->depth + 1, m->lim.depth);
			goto leaf;
		}
		if (e->encoding != MIME_ENC_BASE64 &&
		    e->encoding != MIME_ENC_QP) {
			mime_container_names(m, type);
			mime_entity_message(m, e->depth + 1);
			return;
		}
		if (m->nenc + 1 > MIME_ENCODED_MAX) {
			mime_flag(m, MIME_F_LIMITS, "encoded messages nested "
			    "over %d", MIME_ENCODED_MAX);
			goto leaf;
		}
		mime_container_names(m, type);
		mime_leaf_begin(m, type, 1);
		mime_child_begin(m, e->depth + 1);
		return;
	}
 leaf:
	mime_leaf_begin(m, type, 0);
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
	if (mime_param_space((unsigned char)c)) {
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
			if (mime_param_hexval((unsigned char)c) != -1) {
				m->qhex = c;
				m->qp = MIME_Q_HEX;
			} else if (mime_param_space((unsigned char)c)) {
				m->qws[m->qwslen++] = c;
				m->qp = MIME_Q_EQWS;
			} else {
				mime_oput(m, '=');
				m->qp = MIME_Q_TEXT;
				mime_qp_text(m, c);
			}
			break;
		case MIME_Q_HEX:
			h = mime_param_hexval((unsigned char)m->qhex);
			m->qp = MIME_Q_TEXT;
			if ((l = mime_param_hexval((unsigned char)c)) != -1)
				mime_oput(m, (char)(h << 4 | l));
			else {
				mime_oput(m, '=');
				mime_oput(m, m->qhex);
				mime_qp_text(m, c);
			}
			break;
		case MIME_Q_EQWS:
			if (mime_param_space((unsigned char)c) &&
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
	unsigned char	 count[B64_DECODE_MAX(MIME_B64_CHUNK)];
	size_t		 take, olen;

	switch (m->part.encoding) {
	case MIME_ENC_BASE64:
		/* Decoded in place at the end of obuf. */
		while (n > 0) {
			take = n < MIME_B64_CHUNK ? n : MIME_B64_CHUNK;
			if (m->obuf == NULL) {
				/* Nobody reads it: decoded to be counted. */
				if (b64_decode(m->b64, p, take, count,
				    &olen) == 0)
					m->part.size += olen;
				p += take;
				n -= take;
				continue;
			}
			if (MIME_OBUF - m->olen < B64_DECODE_MAX(take))
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
	unsigned char	 count[B64_FINAL_MAX];
	size_t		 olen;

	if (m->part.encoding == MIME_ENC_BASE64 && m->obuf == NULL) {
		if (b64_final(m->b64, count, &olen) == 0)
			m->part.size += olen;
	} else if (m->part.encoding == MIME_ENC_BASE64) {
		if (MIME_OBUF - m->olen < B64_FINAL_MAX)
			mime_oflush(m);
		if (b64_final(m->b64, m->obuf + m->olen, &olen) == 0)
			m->olen += olen;
	} else if (m->part.encoding == MIME_ENC_QP)
		mime_qp_eol(m, MIME_EOL_NONE);
	mime_oflush(m);
	m->phase = MIME_P_SKIP;
	mime_child_end(m);
	if (!m->hidden && m->cb.part_end != NULL)
		m->cb.part_end(m->arg, &m->part);
	m->hidden = 0;
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
			return m->detail[i] != NULL ? m->detail[i] : "";
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
	int	 k;

	if (m == NULL)
		return;
	mime_free(m->child);
	mime_entity_reset(m);
	free(m->part.altnames);
	free(m->obuf);
	for (k = 0; k < MIME_NFLAGS; k++)
		free(m->detail[k]);
	b64_free(m->b64);
	b64_free(m->hb64);
	free(m->lv);
	free(m->fbuf);
	free(m);
}
