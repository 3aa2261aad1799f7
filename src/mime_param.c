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

#include <sys/types.h>

#include <errno.h>
#include <iconv.h>
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
#define MIME_CHARSET_MAX	128	/* charset name */
#define MIME_AMBIG_ALT		0x01	/* a second reading is wanted */
#define MIME_AMBIG_BAD		0x02	/* no reading is sure */

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
	const char	*plain;		/* the first plain value */
	size_t		 plainlen;
	const char	*last;		/* the last one, if repeated */
	size_t		 lastlen;
	const char	*ext;
	size_t		 extlen;
	size_t		 nsect;		/* 1 + highest section seen */
	int		 over;		/* a section past MIME_SECT_MAX */
	int		 junk;		/* text after a closing quote */
	struct {
		const char	*v;
		size_t		 len;
		int		 enc;
	}		 sect[MIME_SECT_MAX];
};

/* The forms of a parameter, in the order Python's email reads them. */
enum mime_pform {
	MIME_PF_PLAIN,		/* the first plain value */
	MIME_PF_EXT,		/* attr*= */
	MIME_PF_SECT,		/* the sections, joined */
	MIME_PF_SECT0,		/* the first section alone */
	MIME_PF_LAST,		/* the last plain value */
	MIME_PF_COUNT
};

/*
 * Keep value v of attribute attr if some wanted parameter is it; junk:
 * text followed its closing quote.
 */
static void
mime_param_keep(struct mime_param *want, size_t nwant, const char *attr,
    size_t alen, const char *v, size_t vlen, int junk)
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
		if (junk && (alen == wlen || attr[wlen] == '*'))
			w->junk = 1;
		if (alen == wlen) {
			if (w->plain == NULL) {
				w->plain = v;
				w->plainlen = vlen;
			} else {
				w->last = v;
				w->lastlen = vlen;
			}
			return;
		}
		if (attr[wlen] != '*')
			continue;
		if (alen == wlen + 1) {
			if (w->ext == NULL) {
				w->ext = v;
				w->extlen = vlen;
			} else
				w->over = 1;
			return;
		}
		/* RFC 2231 §3: "*" section-number, then "*" if encoded. */
		idx = 0;
		enc = 0;
		for (s = attr + wlen + 1; s < attr + alen; s++) {
			if (*s >= '0' && *s <= '9') {
				if (idx < MIME_SECT_MAX)
					idx = idx * 10 + (size_t)(*s - '0');
			} else if (*s == '*' && s + 1 == attr + alen &&
			    s > attr + wlen + 1)
				enc = 1;
			else
				break;
		}
		if (s != attr + alen)
			continue;
		if (idx >= MIME_SECT_MAX) {
			/* Its bytes would be lost: a name's end. */
			w->over = 1;
			return;
		}
		if (w->sect[idx].v != NULL) {
			w->over = 1;
			return;
		}
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
 * p is after the type (at a parameter if at_param: the type is
 * missing); the values wanted go to want, unquoted into arena (at
 * least e - p bytes). Real mail is forgiven: an unquoted value runs to
 * the next ";" (minus a trailing comment and white space), an
 * unterminated quoted string to the end.
 */
static void
mime_param_list(const char *p, const char *e, int at_param, char *arena,
    struct mime_param *want, size_t nwant)
{
	char		 attr[MIME_ATTR_MAX];
	const char	*s, *ve;
	char		*v;
	size_t		 alen, vlen;
	int		 junk;

	while (at_param || (p = mime_param_next(p, e)) < e) {
		at_param = 0;
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
		junk = 0;
		if (p < e && *p == '"') {
			/* RFC 5322 §3.2.4: quoted-string, quoted-pair. */
			for (p++; p < e && *p != '"'; p++) {
				if (*p == '\\' && p + 1 < e)
					p++;
				v[vlen++] = *p;
			}
			if (p < e)
				p++;
			/*
			 * Readers that split at the next ";" first take
			 * the rest for the value too.
			 */
			s = mime_param_cfws(p, e);
			junk = s < e && *s != ';';
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
		mime_param_keep(want, nwant, attr, alen, v, vlen, junk);
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

static int
mime_param_charset(const char *cs, const char *name)
{
	return strcasecmp(cs, name) == 0;
}

static size_t
mime_param_copy(const char *in, size_t len, char *out, size_t size)
{
	if (len > size)
		len = size;
	memcpy(out, in, len);
	return len;
}

/*
 * iconv(3) from charset name (lower case, "_" as "-", as Python's codec
 * lookup folds it) to UTF-8: glibc knows "utf-16le" but not "utf-16-le",
 * so the name without its dashes is tried too. (iconv_t)-1 if neither.
 */
static iconv_t
mime_param_iconv_open(const char *name)
{
	iconv_t	 cd;
	char	 bare[MIME_CHARSET_MAX];
	size_t	 i, n = 0;

	if ((cd = iconv_open("UTF-8", name)) != (iconv_t)-1)
		return cd;
	for (i = 0; name[i] != '\0'; i++)
		if (name[i] != '-')
			bare[n++] = name[i];
	bare[n] = '\0';
	return iconv_open("UTF-8", bare);
}

/*
 * in (len bytes in charset name) to UTF-8 through iconv(3), into out
 * (size bytes). A byte that does not convert becomes U+FFFD and sets
 * *lossy_r; output cut short for want of room sets *cut_r. Returns the
 * bytes written, or (size_t)-1 if iconv does not know the charset.
 */
static size_t
mime_param_iconv(const char *name, const char *in, size_t len, char *out,
    size_t size, int *lossy_r, int *cut_r)
{
	iconv_t	 cd;
	char	*ip = (char *)(uintptr_t)in, *op = out;
	size_t	 il = len, ol = size;

	if ((cd = mime_param_iconv_open(name)) == (iconv_t)-1)
		return (size_t)-1;
	while (il > 0 && iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		if (errno == E2BIG || ol < 3) {
			*cut_r = 1;
			break;
		}
		/* EILSEQ, or EINVAL at the end: skip one byte. */
		*lossy_r = 1;
		memcpy(op, "\xef\xbf\xbd", 3);
		op += 3;
		ol -= 3;
		ip++;
		il--;
	}
	(void)iconv(cd, NULL, NULL, &op, &ol);
	iconv_close(cd);
	return size - ol;
}

/* Bytes that read the same in every charset that is an ASCII superset. */
static int
mime_param_plain(const char *in, size_t len)
{
	size_t	 i;

	for (i = 0; i < len; i++)
		if ((unsigned char)in[i] < 0x20 || (unsigned char)in[i] >= 0x7f)
			return 0;
	return 1;
}

/*
 * Bytes in charset cs (cslen bytes, not terminated) to UTF-8 into out
 * (size bytes; 16 * len is enough). US-ASCII, UTF-8 and an unnamed
 * charset are copied. *ambig_r gets MIME_AMBIG_ALT when a second
 * reading is wanted, given by alt: UTF-16 or UTF-32 without a byte
 * order mark is read little-endian, then big-endian; a value that does
 * not decode, lossily, then as its raw bytes. It gets MIME_AMBIG_BAD
 * when no reading is sure: a charset iconv does not know with bytes
 * that are not plain ASCII (copied), or output cut short.
 */
static size_t
mime_param_decode(const char *cs, size_t cslen, const char *in, size_t len,
    char *out, size_t size, int alt, int *ambig_r)
{
	const unsigned char	*u = (const unsigned char *)in;
	char			 name[MIME_CHARSET_MAX];
	int			 lossy = 0, cut = 0, w = 0;
	size_t			 i, n;

	if (cslen == 0)
		return mime_param_copy(in, len, out, size);
	if (cslen >= sizeof(name)) {
		if (!mime_param_plain(in, len))
			*ambig_r |= MIME_AMBIG_BAD;
		return mime_param_copy(in, len, out, size);
	}
	for (i = 0; i < cslen; i++)
		name[i] = cs[i] == '_' ? '-' : (char)(cs[i] >= 'A' &&
		    cs[i] <= 'Z' ? cs[i] - 'A' + 'a' : cs[i]);
	name[cslen] = '\0';
	if (mime_param_charset(name, "us-ascii") ||
	    mime_param_charset(name, "utf-8") ||
	    mime_param_charset(name, "utf8"))
		return mime_param_copy(in, len, out, size);
	if (mime_param_charset(name, "utf-16") ||
	    mime_param_charset(name, "utf16") ||
	    mime_param_charset(name, "ucs-2") ||
	    mime_param_charset(name, "unicode"))
		w = 16;
	else if (mime_param_charset(name, "utf-32") ||
	    mime_param_charset(name, "utf32") ||
	    mime_param_charset(name, "ucs-4"))
		w = 32;
	if (w == 16 && !(len >= 2 && ((u[0] == 0xff && u[1] == 0xfe) ||
	    (u[0] == 0xfe && u[1] == 0xff))))
		(void)snprintf(name, sizeof(name), "UTF-16%s",
		    alt ? "BE" : "LE");
	else if (w == 32 && !(len >= 4 && ((u[0] == 0xff && u[1] == 0xfe &&
	    u[2] == 0 && u[3] == 0) || (u[0] == 0 && u[1] == 0 &&
	    u[2] == 0xfe && u[3] == 0xff))))
		(void)snprintf(name, sizeof(name), "UTF-32%s",
		    alt ? "BE" : "LE");
	else
		w = 0;
	if (w != 0)
		*ambig_r |= MIME_AMBIG_ALT;
	if ((n = mime_param_iconv(name, in, len, out, size, &lossy,
	    &cut)) == (size_t)-1) {
		if (!mime_param_plain(in, len))
			*ambig_r |= MIME_AMBIG_BAD;
		return mime_param_copy(in, len, out, size);
	}
	if (cut)
		*ambig_r |= MIME_AMBIG_BAD;
	if (!lossy || w != 0)
		return n;
	*ambig_r |= MIME_AMBIG_ALT;
	return alt ? mime_param_copy(in, len, out, size) : n;
}

/*
 * RFC 2047 §2, §4, §6.2 (and RFC 2231 §5 for a "*language" suffix):
 *   encoded-word = "=?" charset "?" encoding "?" encoded-text "?="
 * B is base64, Q is "_" for space and "=" 2HEX for an octet. Words are
 * decoded to UTF-8 (alt, *ambig_r: as mime_param_decode); white space
 * between two encoded words is dropped, and the bytes of adjacent
 * words in one charset are joined before they are decoded (a character
 * split between two words, as Python's decode_header reads it);
 * everything else is copied. out holds size bytes (4 * len is
 * enough), tmp len + 3. Encoded words are also accepted where RFC 2047
 * §5 does not allow them (in quoted strings): that is where mailers
 * put file names.
 */
static size_t
mime_param_2047(struct b64 *hb64, const char *in, size_t len, char *out,
    size_t size, char *tmp, int alt, int *ambig_r)
{
	const char	*cs = "", *wcs, *t, *te, *s;
	size_t		 i, j, n = 0, cslen = 0, wcslen, tlen, pend = 0, ws = 0;
	size_t		 blen, flen;
	int		 h, l, noend = 0;
	char		 enc;

	for (i = 0; i < len && n < size;) {
		/* Once no "?=" is left, no word can end: linear time. */
		if (noend || in[i] != '=' || i + 1 >= len || in[i + 1] != '?')
			goto literal;
		wcs = in + i + 2;
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
		if (te + 1 >= in + len) {
			noend = 1;
			goto literal;
		}
		wcslen = (size_t)(in + j - wcs);
		if ((s = memchr(wcs, '*', wcslen)) != NULL)
			wcslen = (size_t)(s - wcs);
		/* Another charset: what is pending is decoded first. */
		if (pend > 0 && (wcslen != cslen ||
		    strncasecmp(wcs, cs, cslen) != 0)) {
			n += mime_param_decode(cs, cslen, tmp, pend, out + n,
			    size - n, alt, ambig_r);
			pend = 0;
		}
		ws = 0;		/* §6.2: dropped between two words */
		cs = wcs;
		cslen = wcslen;
		tlen = (size_t)(te - t);
		if (enc == 'B' || enc == 'b') {
			b64_reset(hb64);
			(void)b64_decode(hb64, t, tlen,
			    (unsigned char *)tmp + pend, &blen);
			(void)b64_final(hb64, (unsigned char *)tmp + pend + blen,
			    &flen);
			pend += blen + flen;
		} else {
			for (s = t; s < te; s++) {
				if (*s == '_')
					tmp[pend++] = ' ';
				else if (*s == '=' && te - s > 2 &&
				    (h = mime_param_hexval(
				    (unsigned char)s[1])) != -1 &&
				    (l = mime_param_hexval(
				    (unsigned char)s[2])) != -1) {
					tmp[pend++] = (char)(h << 4 | l);
					s += 2;
				} else
					tmp[pend++] = *s;
			}
		}
		i = (size_t)(te + 2 - in);
		continue;
 literal:
		/* White space after a word is held: another may follow. */
		if (cslen > 0 && mime_param_space((unsigned char)in[i])) {
			ws++;
			i++;
			continue;
		}
		if (pend > 0)
			n += mime_param_decode(cs, cslen, tmp, pend, out + n,
			    size - n, alt, ambig_r);
		n += mime_param_copy(in + i - ws, ws, out + n, size - n);
		pend = ws = cslen = 0;
		if (n < size)
			out[n++] = in[i];
		i++;
	}
	if (pend > 0)
		n += mime_param_decode(cs, cslen, tmp, pend, out + n, size - n,
		    alt, ambig_r);
	n += mime_param_copy(in + i - ws, ws, out + n, size - n);
	if (i < len || n == size)
		*ambig_r |= MIME_AMBIG_BAD;	/* cut short */
	return n;
}

/*
 * The bytes of form f of parameter w into raw (room for every value of
 * the field), RFC 2231 %-decoded, and its charset (*cs_r, *cslen_r;
 * empty if none). Returns the length, or -1 if w has no such form.
 */
static ssize_t
mime_param_raw(const struct mime_param *w, enum mime_pform f, char *raw,
    const char **cs_r, size_t *cslen_r)
{
	const char	*s, *q;
	size_t		 i, n = 0, len, nsect = w->nsect;

	*cs_r = "";
	*cslen_r = 0;
	switch (f) {
	case MIME_PF_PLAIN:
	case MIME_PF_LAST:
		s = f == MIME_PF_PLAIN ? w->plain : w->last;
		len = f == MIME_PF_PLAIN ? w->plainlen : w->lastlen;
		if (s == NULL)
			return -1;
		memcpy(raw, s, len);
		return (ssize_t)len;
	case MIME_PF_SECT0:
		if (nsect < 2)
			return -1;
		nsect = 1;
		/* FALLTHROUGH */
	case MIME_PF_SECT:
		if (nsect == 0)
			return -1;
		s = w->sect[0].v;
		len = w->sect[0].len;
		i = 0;
		break;
	case MIME_PF_EXT:
		if ((s = w->ext) == NULL)
			return -1;
		len = w->extlen;
		nsect = 0;
		break;
	default:
		return -1;
	}
	if (f == MIME_PF_EXT || (s != NULL && w->sect[0].enc)) {
		/* RFC 2231 §4: charset "'" [language] "'" octets */
		if ((q = memchr(s, '\'', len)) != NULL &&
		    memchr(q + 1, '\'', len - (size_t)(q + 1 - s)) != NULL) {
			*cs_r = s;
			*cslen_r = (size_t)(q - s);
			q = memchr(q + 1, '\'', len - (size_t)(q + 1 - s));
			len -= (size_t)(q + 1 - s);
			s = q + 1;
		}
		n = mime_param_pct(s, len, raw);
		i = 1;
	}
	for (; i < nsect; i++) {
		if (w->sect[i].v == NULL)
			continue;
		if (w->sect[i].enc)
			n += mime_param_pct(w->sect[i].v, w->sect[i].len,
			    raw + n);
		else {
			memcpy(raw + n, w->sect[i].v, w->sect[i].len);
			n += w->sect[i].len;
		}
	}
	return (ssize_t)n;
}

/*
 * A file name into dst (size bytes): controls become "_"; a name too
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

/* Add a reading of a name, unless it is empty or there already. */
static void
mime_param_reading(struct mime_param_name *r, const char *s, size_t len)
{
	char		 buf[MIME_PARAM_NAME_SIZE];
	unsigned	 i;

	if (len == 0)
		return;
	mime_param_name_set(buf, sizeof(buf), s, len);
	for (i = 0; i < r->nname; i++)
		if (strcmp(r->name[i], buf) == 0)
			return;
	if (r->nname == MIME_PARAM_READINGS) {
		r->over = 1;
		return;
	}
	memcpy(r->name[r->nname++], buf, strlen(buf) + 1);
}

/*
 * Every reading of file name parameter w into *r (see mime_param.h).
 * flen bounds every value. Returns 0, or -1 if out of memory.
 */
static int
mime_param_name(struct b64 *hb64, const struct mime_param *w, size_t flen,
    struct mime_param_name *r)
{
	const char	*cs;
	char		*raw, *out, *tmp;
	size_t		 cslen, size = 16 * flen + 16, n;
	ssize_t		 len;
	int		 f, alt, ambig;

	memset(r, 0, sizeof(*r));
	r->over = w->over;
	r->split = w->junk;
	raw = malloc(flen + 1);
	out = malloc(size);
	tmp = malloc(flen + 3);
	if (raw == NULL || out == NULL || tmp == NULL) {
		free(raw);
		free(out);
		free(tmp);
		return -1;
	}
	for (f = 0; f < MIME_PF_COUNT; f++) {
		if ((len = mime_param_raw(w, (enum mime_pform)f, raw, &cs,
		    &cslen)) == -1)
			continue;
		for (alt = 0, ambig = 0; alt == 0 ||
		    (alt == 1 && ambig & MIME_AMBIG_ALT); alt++) {
			if (f == MIME_PF_PLAIN || f == MIME_PF_LAST)
				n = mime_param_2047(hb64, raw, (size_t)len, out,
				    size, tmp, alt, &ambig);
			else
				n = mime_param_decode(cs, cslen, raw,
				    (size_t)len, out, size, alt, &ambig);
			mime_param_reading(r, out, n);
		}
		if (ambig & MIME_AMBIG_BAD)
			r->bad = 1;
		/* Encoded words left as they are (Python's compat32). */
		if (f == MIME_PF_PLAIN || f == MIME_PF_LAST)
			mime_param_reading(r, raw, (size_t)len);
	}
	free(raw);
	free(out);
	free(tmp);
	return 0;
}

/*
 * The boundary: the form Python's email reads (the first plain value,
 * then the RFC 2231 ones), as bytes, in a new buffer. Any other form
 * that differs makes it ambiguous. Returns 0, or -1 if out of memory.
 */
static int
mime_param_boundary(const struct mime_param *w, size_t flen,
    struct mime_param_ctype *ct)
{
	const char	*cs;
	char		*raw;
	size_t		 cslen;
	ssize_t		 len;
	int		 f;

	for (f = 0; f < MIME_PF_COUNT; f++) {
		if (f == MIME_PF_SECT0)
			continue;
		if ((raw = malloc(flen + 1)) == NULL)
			return -1;
		if ((len = mime_param_raw(w, (enum mime_pform)f, raw, &cs,
		    &cslen)) == -1) {
			free(raw);
			continue;
		}
		/*
		 * RFC 2046 §5.1.1 ends a boundary with bcharsnospace;
		 * readers strip white space there (Python's email).
		 */
		while (len > 0 && mime_param_space((unsigned char)raw[len - 1]))
			len--;
		raw[len] = '\0';
		if (w->junk || w->over)
			ct->boundary_ambiguous = 1;
		if (ct->boundary == NULL) {
			ct->boundary = raw;
			ct->blen = (size_t)len;
			continue;
		}
		if ((size_t)len != ct->blen ||
		    memcmp(raw, ct->boundary, ct->blen) != 0)
			ct->boundary_ambiguous = 1;
		free(raw);
	}
	return 0;
}

/*
 * After the type: is p at a parameter (attribute "="), the type being
 * missing? Readers take it as one.
 */
static int
mime_param_at_param(const char *p, const char *e)
{
	return mime_param_cfws(p, e) < e && *mime_param_cfws(p, e) == '=';
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
	struct mime_param	*want;
	const char		*p, *e = f + flen;
	char			 type[64], sub[64], *arena;
	size_t			 tlen, slen = 0;
	int			 rv = 0, at_param = 0;

	memset(ct_r, 0, sizeof(*ct_r));
	if ((want = calloc(2, sizeof(*want))) == NULL)
		return -1;
	want[0].attr = "boundary";
	want[1].attr = "name";
	p = mime_param_cfws(f, e);
	p = mime_param_token(p, e, type, sizeof(type), &tlen);
	if (mime_param_at_param(p, e)) {
		p = f;
		at_param = 1;
	} else {
		p = mime_param_cfws(p, e);
		if (p < e && *p == '/') {
			p = mime_param_cfws(p + 1, e);
			p = mime_param_token(p, e, sub, sizeof(sub), &slen);
		}
		if (tlen > 0 && slen > 0)
			(void)snprintf(ct_r->type, sizeof(ct_r->type), "%s/%s",
			    type, sub);
	}
	if ((arena = malloc(flen + 1)) == NULL) {
		free(want);
		return -1;
	}
	mime_param_list(p, e, at_param, arena, want, 2);
	if (mime_param_name(hb64, &want[1], flen, &ct_r->name) == -1 ||
	    mime_param_boundary(&want[0], flen, ct_r) == -1)
		rv = -1;
	free(arena);
	free(want);
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
	struct mime_param	*want;
	const char		*p, *e = f + flen;
	char			 type[32], *arena;
	size_t			 len;
	int			 rv, at_param = 0;

	memset(cd_r, 0, sizeof(*cd_r));
	if ((want = calloc(1, sizeof(*want))) == NULL)
		return -1;
	want->attr = "filename";
	p = mime_param_cfws(f, e);
	p = mime_param_token(p, e, type, sizeof(type), &len);
	if (mime_param_at_param(p, e)) {
		p = f;
		at_param = 1;
	} else
		cd_r->attachment = strcmp(type, "attachment") == 0;
	if ((arena = malloc(flen + 1)) == NULL) {
		free(want);
		return -1;
	}
	mime_param_list(p, e, at_param, arena, want, 1);
	rv = mime_param_name(hb64, want, flen, &cd_r->filename);
	free(arena);
	free(want);
	return rv;
}
