/*
 * Field bodies of the header fields the MIME parser (mime.c) keeps:
 * Content-Type (RFC 2045 §5.1), Content-Transfer-Encoding (RFC 2045
 * §6.1) and Content-Disposition (RFC 2183 §2), with parameters in
 * their RFC 2231 forms (continuations, charsets) and the RFC 2047
 * encoded words mailers put in file names. Pure: an unfolded field
 * body in, values out, no state between calls, no I/O. Bad syntax is
 * never an error: it is parsed as far as it goes.
 */
#ifndef SMTPPROXY_MIME_PARAM_H
#define SMTPPROXY_MIME_PARAM_H

#include <stddef.h>

#include "mime.h"

#define MIME_PARAM_TYPE_SIZE	128	/* "type/subtype" and its NUL */
#define MIME_PARAM_NAME_SIZE	MIME_NAME_SIZE	/* a file name, NUL */
#define MIME_PARAM_READINGS	8	/* readings of one name kept */

struct b64;

/*
 * A file name parameter as readers may read it. RFC 2231 (sections,
 * charsets) and RFC 2047 (encoded words, in quotes too) decoded to
 * UTF-8 through iconv(3); control characters as "_"; a name too long
 * shortened in its middle so that its end is kept.
 *
 * name[0] is the reading of Python's email package (the plain
 * parameter before its RFC 2231 forms, the first of repeated ones);
 * the others are what other readers may take: the RFC 2231 form beside
 * the plain one, the last of repeated ones, the first section alone,
 * the encoded words left as they are, and a second decoding where one
 * is not certain (UTF-16 and UTF-32 without a byte order mark are read
 * both ways; a value that does not decode is read lossily and as its
 * raw bytes). No two are the same; nname is 0 if there is none.
 */
struct mime_param_name {
	char		 name[MIME_PARAM_READINGS][MIME_PARAM_NAME_SIZE];
	unsigned	 nname;
	/*
	 * Readings or RFC 2231 sections beyond those followed, or an RFC
	 * 2231 form given twice (readers join or pick differently).
	 */
	int		 over;
	/*
	 * Text after the closing quote of a value: readers that split
	 * parameters at ";" first read another name.
	 */
	int		 split;
	/*
	 * A charset iconv(3) does not know for bytes that are not plain
	 * ASCII, or a decoding cut short: no reading is sure.
	 */
	int		 bad;
};

/* What a Content-Type field body says. */
struct mime_param_ctype {
	/* "type/subtype", lower case; "" if invalid (RFC 2045 §5.2). */
	char	 type[MIME_PARAM_TYPE_SIZE];
	/* The name parameter. */
	struct mime_param_name	 name;
	/*
	 * The boundary parameter as written (unquoted, RFC 2231 forms
	 * joined), NUL-terminated, blen bytes before the NUL; NULL if
	 * absent. Any length: the caller decides what is too long, and
	 * frees it.
	 */
	char	*boundary;
	size_t	 blen;
	/* Boundary parameters that disagree (repeated, RFC 2231). */
	int	 boundary_ambiguous;
};

/* What a Content-Disposition field body says. */
struct mime_param_cdisp {
	/*
	 * Disposition type "attachment". Parameters are read even when
	 * the type is missing ("Content-Disposition: filename=a.exe"),
	 * as readers do.
	 */
	int			 attachment;
	struct mime_param_name	 filename;
};

/*
 * Parse Content-Type field body f (len bytes) into *ct_r. hb64 is a
 * base64 decoder for RFC 2047 B words (reset before each use). Returns
 * 0, or -1 if out of memory; *ct_r is always set, with what was parsed
 * before memory ran out.
 */
int		 mime_param_ctype(struct b64 *hb64, const char *f,
		    size_t len, struct mime_param_ctype *ct_r);
/*
 * Content-Transfer-Encoding field body f (len bytes): its mechanism,
 * MIME_ENC_UNKNOWN if it is none of RFC 2045 §6.1.
 */
enum mime_encoding mime_param_cte(const char *f, size_t len);
/* Parse Content-Disposition field body f as mime_param_ctype(). */
int		 mime_param_cdisp(struct b64 *hb64, const char *f,
		    size_t len, struct mime_param_cdisp *cd_r);

/* SP or HT (RFC 5322 WSP). */
int	mime_param_space(unsigned char);
/* The value of a hex digit, or -1. */
int	mime_param_hexval(unsigned char);

#endif
