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
#define MIME_PARAM_NAME_SIZE	256	/* a file name and its NUL */

struct b64;

/* What a Content-Type field body says. */
struct mime_param_ctype {
	/* "type/subtype", lower case; "" if invalid (RFC 2045 §5.2). */
	char	 type[MIME_PARAM_TYPE_SIZE];
	/* The name parameter, as mime_param_cdisp's filename. */
	char	 name[MIME_PARAM_NAME_SIZE];
	/*
	 * The boundary parameter as written (unquoted, RFC 2231 forms
	 * joined), NUL-terminated, blen bytes before the NUL; NULL if
	 * absent. Any length: the caller decides what is too long, and
	 * frees it.
	 */
	char	*boundary;
	size_t	 blen;
};

/* What a Content-Disposition field body says. */
struct mime_param_cdisp {
	int	 attachment;	/* disposition type "attachment" */
	/*
	 * The filename parameter: UTF-8 (RFC 2231 and RFC 2047 decoded,
	 * ISO 8859-1 and windows-1252 converted), control characters
	 * as "_", a name too long shortened in its middle so that the
	 * extension is kept; "" if none.
	 */
	char	 filename[MIME_PARAM_NAME_SIZE];
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
