/*
 * MIME field bodies and their parameters: see mime_param.h for the
 * contract.
 *
 *   Content-Type: type "/" subtype *(";" parameter)   RFC 2045 §5.1
 *   Content-Transfer-Encoding: mechanism              RFC 2045 §6.1
 *   Content-Disposition: type *(";" parameter)        RFC 2183 §2
 *
 * with comments and white space (RFC 5322 §3.2.2) anywhere between
 * tokens, parameters continued and charset-tagged (RFC 2231), and
 * encoded words (RFC 2047) in file names. Only the parameters wanted
 * (boundary, name, filename) are kept. Every buffer is sized from the
 * field body: a field of n bytes needs at most a few times n.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "b64.h"
#include "mime.h"
#include "mime_param.h"

#define MIME_SECT_MAX		128	/* RFC 2231 sections of a parameter */
#define MIME_ATTR_MAX		80	/* parameter name */

int
mime_param_space(unsigned char c)
{
	return c == ' ' || c == '\t';
}

int
mime_param_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2045 §5.1: token := 1*<any CHAR except SPACE, CTLs, tspecials> */
static int
mime_param_tokenchar(unsigned char c)
{
	return c > 0x20 && c != 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/*
 * RFC 5322 §3.2.2: CFWS. Comments nest and hold quoted-pairs; an
 * unterminated one runs to the end.
 */
static const char *
mime_param_cfws(const char *p, const char *e)
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
		} else if (mime_param_space((unsigned char)*p) || *p == '\r' ||
		    *p == '\n')
			p++;
		else
			break;
	}
	return p;
}

/* A token, lower case, into buf (truncated). */
static const char *
mime_param_token(const char *p, const char *e, char *buf, size_t size,
    size_t *len_r)
{
	size_t	 n = 0;

	while (p < e && mime_param_tokenchar((unsigned char)*p)) {
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
mime_param_next(const char *p, const char *e)
{
	while (p < e) {
		if (*p == ';')
			return p + 1;
		if (*p == '(') {
			p = mime_param_cfws(p, e);
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
mime_param_list(const char *p, const char *e, char *arena,
    struct mime_param *want, size_t nwant)
{
	char		 attr[MIME_ATTR_MAX];
	const char	*s, *ve;
	char		*v;
	size_t		 alen, vlen;

	while ((p = mime_param_next(p, e)) < e) {
		p = mime_param_cfws(p, e);
		p = mime_param_token(p, e, attr, sizeof(attr), &alen);
		if (alen == 0 || alen + 1 == sizeof(attr))
			continue;
		p = mime_param_cfws(p, e);
		if (p == e || *p != '=')
			continue;
		p = mime_param_cfws(p + 1, e);
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
				if (mime_param_space((unsigned char)s[0]) &&
				    s[1] == '(') {
					ve = s;
					break;
				}
			while (ve > p &&
			    mime_param_space((unsigned char)ve[-1]))
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
mime_param_pct(const char *s, size_t len, char *out)
{
	size_t	 i, n = 0;
	int	 h, l;

	for (i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len &&
		    (h = mime_param_hexval((unsigned char)s[i + 1])) != -1 &&
		    (l = mime_param_hexval((unsigned char)s[i + 2])) != -1) {
			out[n++] = (char)(h << 4 | l);
			i += 2;
		} else
			out[n++] = s[i];
	}
	return n;
}

/* windows-1252 0x80-0x9f (the holes as in ISO 8859-1). */
static const uint16_t mime_param_cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178
};

static int
mime_param_charset(const char *cs, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(cs, name, len) == 0;
}

/*
 * Bytes in charset cs (len cslen) to UTF-8 into out (3 * len bytes).
 * ISO 8859-1 and windows-1252 are converted; UTF-8, US-ASCII and
 * every other charset are copied as they are.
 */
static size_t
mime_param_utf8(const char *cs, size_t cslen, const char *in, size_t len,
    char *out)
{
	size_t		 i, n = 0;
	unsigned	 u;
	unsigned char	 c;
	int		 latin1, cp1252;

	cp1252 = mime_param_charset(cs, cslen, "windows-1252") ||
	    mime_param_charset(cs, cslen, "cp1252");
	latin1 = cp1252 || mime_param_charset(cs, cslen, "iso-8859-1") ||
	    mime_param_charset(cs, cslen, "iso8859-1") ||
	    mime_param_charset(cs, cslen, "iso_8859-1") ||
	    mime_param_charset(cs, cslen, "latin1") ||
	    mime_param_charset(cs, cslen, "l1");
	if (!latin1) {
		memcpy(out, in, len);
		return len;
	}
	for (i = 0; i < len; i++) {
		c = (unsigned char)in[i];
		u = cp1252 && c >= 0x80 && c < 0xa0 ?
		    mime_param_cp1252[c - 0x80] : c;
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
mime_param_2047(struct b64 *hb64, const char *in, size_t len, char *out,
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
		    !mime_param_space((unsigned char)in[j]); j++)
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
			b64_reset(hb64);
			(void)b64_decode(hb64, t, tlen,
			    (unsigned char *)tmp, &blen);
			(void)b64_final(hb64, (unsigned char *)tmp + blen,
			    &flen);
			blen += flen;
		} else {
			for (blen = 0, s = t; s < te; s++) {
				if (*s == '_')
					tmp[blen++] = ' ';
				else if (*s == '=' && te - s > 2 &&
				    (h = mime_param_hexval(
				    (unsigned char)s[1])) != -1 &&
				    (l = mime_param_hexval(
				    (unsigned char)s[2])) != -1) {
					tmp[blen++] = (char)(h << 4 | l);
					s += 2;
				} else
					tmp[blen++] = *s;
			}
		}
		/* §6.2: white space between adjacent words is dropped. */
		if (prevword)
			n = wsat;
		n += mime_param_utf8(cs, cslen, tmp, blen, out + n);
		i = (size_t)(te + 2 - in);
		prevword = 1;
		wsat = n;
		continue;
 literal:
		if (!mime_param_space((unsigned char)in[i]))
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
mime_param_value(struct b64 *hb64, const struct mime_param *w, int name,
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
		n = mime_param_pct(s, len, raw);
		i = 1;
	} else
		i = 0;
	if (w->ext == NULL && w->nsect > 0) {
		for (; i < w->nsect; i++) {
			if (w->sect[i].v == NULL)
				continue;
			if (w->sect[i].enc)
				n += mime_param_pct(w->sect[i].v,
				    w->sect[i].len, raw + n);
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
		n = mime_param_2047(hb64, raw, n, out, tmp);
	else
		n = mime_param_utf8(cs, cslen, raw, n, out);
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
mime_param_name_set(char *dst, size_t size, const char *s, size_t len)
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

/*
 * Parse a file name parameter into dst (left as it is if the parameter
 * is absent). Returns 0, or -1 if out of memory.
 */
static int
mime_param_name(struct b64 *hb64, const struct mime_param *w, char *dst,
    size_t size)
{
	char	*v;
	size_t	 len;

	if (mime_param_value(hb64, w, 1, &v, &len) == -1)
		return -1;
	if (v != NULL)
		mime_param_name_set(dst, size, v, len);
	free(v);
	return 0;
}

/*
 * RFC 2045 §5.1:
 *   content := "Content-Type" ":" type "/" subtype *(";" parameter)
 * RFC 2045 §5.2: a syntactically invalid Content-Type is text/plain.
 * RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace, quoted if
 * need be; RFC 2231 and RFC 2047 forms of "name".
 */
int
mime_param_ctype(struct b64 *hb64, const char *f, size_t flen,
    struct mime_param_ctype *ct_r)
{
	struct mime_param	 want[2];
	const char		*p, *e = f + flen;
	char			 type[64], sub[64], *arena;
	size_t			 tlen, slen = 0;
	int			 rv = 0;

	memset(ct_r, 0, sizeof(*ct_r));
	memset(want, 0, sizeof(want));
	want[0].attr = "boundary";
	want[1].attr = "name";
	p = mime_param_cfws(f, e);
	p = mime_param_token(p, e, type, sizeof(type), &tlen);
	p = mime_param_cfws(p, e);
	if (p < e && *p == '/') {
		p = mime_param_cfws(p + 1, e);
		p = mime_param_token(p, e, sub, sizeof(sub), &slen);
	}
	if (tlen > 0 && slen > 0)
		(void)snprintf(ct_r->type, sizeof(ct_r->type), "%s/%s",
		    type, sub);
	if ((arena = malloc(flen + 1)) == NULL)
		return -1;
	mime_param_list(p, e, arena, want, 2);
	if (mime_param_name(hb64, &want[1], ct_r->name,
	    sizeof(ct_r->name)) == -1)
		rv = -1;
	if (mime_param_value(hb64, &want[0], 0, &ct_r->boundary,
	    &ct_r->blen) == -1)
		rv = -1;
	free(arena);
	return rv;
}

/* RFC 2045 §6.1: mechanism := "7bit" / "8bit" / "binary" / ... */
enum mime_encoding
mime_param_cte(const char *f, size_t flen)
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

	p = mime_param_cfws(f, e);
	(void)mime_param_token(p, e, tok, sizeof(tok), &len);
	for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++)
		if (strcmp(tok, encs[i].name) == 0)
			return encs[i].enc;
	return MIME_ENC_UNKNOWN;
}

/*
 * RFC 2183 §2:
 *   disposition := "Content-Disposition" ":" disposition-type
 *                  *(";" disposition-parm)
 * with filename in its RFC 2231 and RFC 2047 forms.
 */
int
mime_param_cdisp(struct b64 *hb64, const char *f, size_t flen,
    struct mime_param_cdisp *cd_r)
{
	struct mime_param	 want;
	const char		*p, *e = f + flen;
	char			 type[32], *arena;
	size_t			 len;
	int			 rv;

	memset(cd_r, 0, sizeof(*cd_r));
	memset(&want, 0, sizeof(want));
	want.attr = "filename";
	p = mime_param_cfws(f, e);
	p = mime_param_token(p, e, type, sizeof(type), &len);
	cd_r->attachment = strcmp(type, "attachment") == 0;
	if ((arena = malloc(flen + 1)) == NULL)
		return -1;
	mime_param_list(p, e, arena, &want, 1);
	rv = mime_param_name(hb64, &want, cd_r->filename,
	    sizeof(cd_r->filename));
	free(arena);
	return rv;
}
