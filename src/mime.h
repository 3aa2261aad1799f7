/*
 * Streaming MIME parser (RFC 2045-2049, RFC 5322): pure, resumable, no
 * I/O. Fed the message text as the client meant it (unstuffed, CRLF
 * lines, in pieces of any size), it follows the header and the multipart
 * structure, decodes leaf parts (base64, quoted-printable) and hands
 * their bytes to callbacks, and records what it found for the alarms:
 *
 *   MIME_F_HEADER_CHAR   smtp:122  NUL, bare CR/LF or other control
 *                                  characters in a header line
 *   MIME_F_SUBJECT_8BIT  smtp:231  raw non-ASCII bytes in Subject
 *                                  (RFC 2047 encoded words are fine)
 *   MIME_F_HEADER_LONG   smtp:217  header line over limits.header_line
 *   MIME_F_BODY_LONG     smtp:217  body line over limits.text_line
 *   MIME_F_LIMITS        smtp:247  nesting over mime_depth, parts over
 *                                  mime_parts, malformed boundaries
 *   MIME_F_PARTIAL       smtp:250  a message/partial part
 *
 * Nothing here ever fails on bad input: a malformed message is parsed as
 * far as it goes and flagged.
 */
#ifndef SMTPPROXY_MIME_H
#define SMTPPROXY_MIME_H

#include <stddef.h>
#include <stdint.h>

#define MIME_F_HEADER_CHAR	0x01
#define MIME_F_SUBJECT_8BIT	0x02
#define MIME_F_HEADER_LONG	0x04
#define MIME_F_BODY_LONG	0x08
#define MIME_F_LIMITS		0x10
#define MIME_F_PARTIAL		0x20

#define MIME_NAME_SIZE		256	/* a file name and its NUL */
#define MIME_ALTNAMES		8	/* other readings of a name kept */

enum mime_encoding {
	MIME_ENC_7BIT,
	MIME_ENC_8BIT,
	MIME_ENC_BINARY,
	MIME_ENC_BASE64,
	MIME_ENC_QP,
	MIME_ENC_UNKNOWN	/* passed through undecoded */
};

struct mime_limits {
	size_t	 header_line;	/* 998 */
	size_t	 text_line;	/* 1000 */
	size_t	 depth;		/* 20 */
	size_t	 parts;		/* 1000 */
};

/* A leaf part, as the callbacks see it. */
struct mime_part {
	unsigned		 index;		/* 0, 1, ... in message order */
	unsigned		 depth;		/* 0: the message itself */
	char			 type[128];	/* "application/pdf", lower case;
						   "text/plain" by default */
	/*
	 * UTF-8, decoded from Content-Disposition filename or else
	 * Content-Type name (RFC 2231, RFC 2047), as Python's email
	 * package reads it; "" if none. A name too long loses its
	 * middle, never its end.
	 */
	char			 filename[MIME_NAME_SIZE];
	/*
	 * The other readings of the name, where readers could differ:
	 * Content-Type name beside Content-Disposition filename, plain
	 * filename beside filename*, a first beside a repeated one, a
	 * second decoding (UTF-16 byte order, raw bytes of a name that
	 * does not decode). Each is a name a mail client may show; the
	 * policy checks them all. None repeats filename or another.
	 * naltnames of them; NULL when there is none. The parser's
	 * storage: valid during the callback, to be copied if kept.
	 */
	char			(*altnames)[MIME_NAME_SIZE];
	unsigned		 naltnames;
	/*
	 * Reported for its names only, part_end at once, no part_data:
	 * a multipart or message entity that has a name (its bytes are
	 * the parts inside it, reported as parts of their own; those of
	 * an encoded message decoded first).
	 */
	int			 enclosed;
	int			 attachment;	/* disposition attachment */
	enum mime_encoding	 encoding;
	uint64_t		 size;		/* decoded bytes so far */
};

struct mime_callbacks {
	void	(*part_begin)(void *arg, const struct mime_part *);
	/* Decoded bytes of the part, in order, in pieces of any size. */
	void	(*part_data)(void *arg, const struct mime_part *,
		    const unsigned char *data, size_t len);
	void	(*part_end)(void *arg, const struct mime_part *);
};

struct mime;

/* cb may be NULL (flags only). Returns NULL if out of memory. */
struct mime	*mime_new(const struct mime_limits *,
		    const struct mime_callbacks *cb, void *arg);
/* Feed message text; any split. Returns 0, or -1 if out of memory. */
int		 mime_parse(struct mime *, const char *buf, size_t len);
/* End of the message: closes open parts (flags an unterminated
 * multipart). Returns 0 or -1. */
int		 mime_finish(struct mime *);
/* MIME_F_* seen so far. */
int		 mime_flags(const struct mime *);
/* A short human-readable note on the first finding of flag, or "". */
const char	*mime_detail(const struct mime *, int flag);
unsigned	 mime_nparts(const struct mime *);
void		 mime_free(struct mime *);

#endif
