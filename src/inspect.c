/*
 * Content inspection of one message.
 *
 * The MIME parser runs as the text streams (cheap, on the event loop).
 * When file types are to be checked, every leaf part is spooled as it
 * is decoded: in memory up to INSPECT_MEM bytes per message, then into
 * one unlinked file per message in spool_dir (mode 0600), each part a
 * contiguous region of it, so memory stays bounded whatever the message
 * size and descriptors stay bounded whatever the number of parts (two
 * per message at most: this file, and the whole message for the
 * anti-virus scan). At the end of data the spooled parts are typed by
 * libclamav on a worker thread, a region of the file through
 * scan_fd_region(); the verdict is made back on the loop.
 *
 * What is typed (smtpproxy.conf(5), FILE TYPES, says the same):
 *
 * - every leaf part, with libclamav's mail parser on (SCAN_F_MAIL, as
 *   the anti-virus scan): an attached mail (.eml, message/rfc822 sent
 *   base64 or quoted-printable), an mbox, a TNEF winmail.dat, HTML with
 *   data: URIs are opened, and what is inside is typed;
 * - a message body - a "text/" part with no name, not an attachment and
 *   not base64 - is not a file: its own type counts only when libclamav
 *   does not see text in it (plain text, HTML, a "#!" script, a mail),
 *   so an HTML body is not refused as "html" nor a shell script pasted
 *   into a mail as "script"; what libclamav finds inside it counts
 *   (data: URIs of HTML). A body other than HTML whose first
 *   INSPECT_SNIFF bytes are text is read as text, as mail readers show
 *   it, and not handed to libclamav whole (a long text body would cost
 *   a scan for nothing);
 * - in text parts, each uuencoded block ("begin MODE NAME" to "end") is
 *   typed on its own too (libclamav decodes only a file that starts
 *   with one), up to INSPECT_MAXUU per part.
 *
 * Each file libclamav reports is judged as the scan runs; a part keeps
 * only the first file refused, so there is no cap on the number of
 * files. A typing libclamav stopped short of (one of its limits, see
 * scan.c) is never an accept: smtp:252, blocking unless the alarm's
 * action is configured.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/queue.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "access.h"
#include "alarm.h"
#include "config.h"
#include "filetype.h"
#include "inspect.h"
#include "log.h"
#include "mime.h"
#include "scan.h"
#include "scan_clamd.h"

#define INSPECT_MEM		(4 * 1024 * 1024)	/* per message */
#define INSPECT_MAXLOG		32	/* refused attachments logged */
#define INSPECT_MAXUU		16	/* uuencoded blocks typed per part */
#define INSPECT_SNIFF		1024	/* bytes of a body looked at */
#define INSPECT_CLAMD_TIMEOUT	60	/* seconds per clamd I/O step */

/* A uuencoded block inside a text part: [off, off + len) of the part. */
struct inspect_uu {
	uint64_t		 off, len;
	char			 name[256];	/* from its "begin" line */
};

/* One spooled leaf part. */
struct inspect_part {
	TAILQ_ENTRY(inspect_part) entry;
	char			*name;		/* its name, or "(unnamed)" */
	int			 body;		/* a message body (see above) */
	int			 plain;		/* a body that is not HTML */
	int			 binary;	/* a body that is not text */
	size_t			 sniffed;
	int			 text;		/* a "text/" type: uuencode? */
	int			 nameonly;	/* not typed: its uuencoded
						   files' names are checked */
	unsigned char		*mem;		/* in memory, or */
	size_t			 len, cap;
	int			 infile;	/* at off in the spool file */
	uint64_t		 off;
	uint64_t		 size;
	/* uuencoded blocks: the line being read, the blocks found */
	char			 line[256];	/* its start */
	size_t			 linelen;
	int			 linecut;	/* longer than line */
	uint64_t		 linestart;
	int			 in_uu;
	struct inspect_uu	*uu;
	int			 nuu;
	/* what typing found (worker thread) */
	int			 typed;
	char			*refused;	/* the first file refused, */
	const char		*refused_type;	/* and its type */
	int			 incomplete;	/* libclamav stopped short */
	char			 limit[64];
};
TAILQ_HEAD(inspect_parts, inspect_part);

/*
 * A finding, kept for the report. The verdict is made as findings come
 * (inspect_add), so the strongest action wins whatever is kept.
 */
struct inspect_find {
	STAILQ_ENTRY(inspect_find) entry;
	int			 alarm;		/* alarm_id, INSPECT_FILETYPE */
					/* or INSPECT_VIRUS */
	enum alarm_action	 act;		/* as reported */
	char			 detail[];
};
STAILQ_HEAD(inspect_finds, inspect_find);

/* The whole message, spooled for the anti-virus scan. */
struct inspect_msg {
	unsigned char		*mem;		/* in memory, or */
	size_t			 len, cap;
	int			 fd;		/* in an unlinked file, or -1 */
	uint64_t		 size;
};

struct inspect {
	struct config		*conf;		/* a reference of its own */
	struct scan_engine	*engine;
	struct scan_engine	*av;		/* libclamav with signatures */
	int			 scan_av;	/* anti-virus this message */
	struct inspect_msg	 msg;		/* the whole message, for it */
	int			 msg_too_big;	/* over antivirus.max_size */
	struct scan_result	*av_result;
	struct mime		*mime;
	struct inspect_parts	 parts;
	struct inspect_part	*cur;		/* being spooled */
	int			 spool_fd;	/* the parts' file, or -1 */
	uint64_t		 spool_end;
	size_t			 memused;	/* bytes kept in memory */
	int			 error;		/* spooling failed */
	char			 errstr[128];
	int			 scan_error;
	char			 scan_errstr[400];
	/* the verdict so far, and what is reported */
	enum inspect_verdict	 v;
	char			 reply[512];
	struct inspect_finds	 finds;
	uint32_t		 seen[ALARM_CLOSE + 1]; /* alarms, per action */
	unsigned		 nrefusals;	/* refusals kept */
	uint64_t		 unlogged;	/* refusals not kept */
};

_Static_assert(ALARM_COUNT <= 32, "one bit of inspect.seen per alarm");

/* The alarms the MIME parser's flags stand for. */
static const struct {
	int		 flag;
	enum alarm_id	 alarm;
} inspect_flags[] = {
	{ MIME_F_HEADER_CHAR, ALARM_HEADER_INVALID_CHAR },
	{ MIME_F_SUBJECT_8BIT, ALARM_SUBJECT_8BIT },
	{ MIME_F_HEADER_LONG, ALARM_PROTOCOL_OVERFLOW },
	{ MIME_F_BODY_LONG, ALARM_PROTOCOL_OVERFLOW },
	{ MIME_F_LIMITS, ALARM_MIME_LIMITS },
	{ MIME_F_PARTIAL, ALARM_FRAGMENTED_MESSAGE },
};

int
inspect_wanted(const struct config *conf)
{
	size_t	 i;

	if (!conf->inspect)
		return 0;
	if (conf->filetypes_enabled || conf->av_enabled)
		return 1;
	for (i = 0; i < sizeof(inspect_flags) / sizeof(inspect_flags[0]); i++)
		if (conf->alarm_action[inspect_flags[i].alarm] != ALARM_PASS)
			return 1;
	return 0;
}

/* The rank of a verdict: the strongest wins. */
static int
inspect_rank(enum inspect_verdict v)
{
	switch (v) {
	case INSPECT_CLOSE:
		return 3;
	case INSPECT_REJECT:
		return 2;
	case INSPECT_TEMPFAIL:
		return 1;
	default:
		return 0;
	}
}

/*
 * What an alarm does to this message: its configured action. Long
 * header and body lines are common in real mail: smtp:217 only logs
 * unless it was configured (its default blocks long commands and
 * replies).
 */
static enum alarm_action
inspect_alarm_action(const struct inspect *ins, int alarm)
{
	if (alarm == ALARM_PROTOCOL_OVERFLOW && !ins->conf->alarm_set[alarm])
		return ALARM_LOG;
	return ins->conf->alarm_action[alarm];
}

/*
 * A finding. alarm: an alarm_id with the action act it takes here, or
 * INSPECT_FILETYPE / INSPECT_VIRUS with a reply (ALARM_PASS for the
 * reason of a tempfail). reply: the refusal, or NULL for an alarm's own
 * ("554 5.6.0 TEXT (ID)", "421 4.7.0 TEXT (ID)" to close).
 *
 * The verdict is updated here, close > reject > tempfail > accept, the
 * first reply of the strongest kind being the one the client gets; so
 * nothing that is not kept for the report can change it. Kept for the
 * report: one finding per alarm and action, the first INSPECT_MAXLOG
 * refusals (the others are counted and reported as one line).
 */
static void
inspect_add(struct inspect *ins, int alarm, enum alarm_action act,
    const char *detail, const char *reply)
{
	struct inspect_find	*f;
	enum inspect_verdict	 v = INSPECT_ACCEPT;
	char			 buf[512];
	const char		*text;
	size_t			 n;

	if (alarm >= 0) {
		/* Alarms that never refuse by default have no text. */
		text = alarm_table[alarm].text[0] != '\0' ?
		    alarm_table[alarm].text : alarm_table[alarm].name;
		if (act == ALARM_CLOSE) {
			v = INSPECT_CLOSE;
			snprintf(buf, sizeof(buf), "421 4.7.0 %s (%s)", text,
			    alarm_table[alarm].ident);
			reply = buf;
		} else if (act == ALARM_BLOCK) {
			v = INSPECT_REJECT;
			if (reply == NULL) {
				/* smtp:217 refuses a message with 554 5.6.0. */
				snprintf(buf, sizeof(buf), "554 5.6.0 %s (%s)",
				    text, alarm_table[alarm].ident);
				reply = buf;
			}
		}
	} else if (act == ALARM_PASS || (reply != NULL && reply[0] == '4'))
		v = INSPECT_TEMPFAIL;
	else
		v = INSPECT_REJECT;
	if (inspect_rank(v) > inspect_rank(ins->v)) {
		ins->v = v;
		snprintf(ins->reply, sizeof(ins->reply), "%s",
		    reply != NULL ? reply : "");
	}

	if (alarm >= 0) {
		if (ins->seen[act] & (1U << alarm))
			return;
		ins->seen[act] |= 1U << alarm;
	} else if (ins->nrefusals == INSPECT_MAXLOG) {
		ins->unlogged++;
		return;
	} else
		ins->nrefusals++;
	n = strlen(detail) + 1;
	if ((f = malloc(sizeof(*f) + n)) == NULL) {
		ins->unlogged++;
		return;
	}
	f->alarm = alarm;
	f->act = act;
	memcpy(f->detail, detail, n);
	STAILQ_INSERT_TAIL(&ins->finds, f, entry);
}

/* An alarm with its configured action. */
static void
inspect_alarm(struct inspect *ins, int alarm, const char *detail)
{
	inspect_add(ins, alarm, inspect_alarm_action(ins, alarm), detail,
	    NULL);
}

/*
 * "Virus found: NAME", or the configured reply with %v (the virus
 * name) and %% replaced.
 */
static void
inspect_virus_text(const char *fmt, const char *virus, char *text,
    size_t textsz)
{
	char	 safe[100];
	size_t	 i, o = 0;
	int	 n;

	/* A signature name goes into a reply: printable ASCII, bounded. */
	for (i = 0; virus[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = virus[i] > 0x20 && virus[i] < 0x7f ? virus[i] : '?';
	safe[i] = '\0';
	virus = safe;
	if (fmt == NULL || *fmt == '\0') {
		snprintf(text, textsz, "Virus found: %s", virus);
		return;
	}
	for (i = 0; fmt[i] != '\0' && o + 1 < textsz; i++) {
		if (fmt[i] == '%' && (fmt[i + 1] == 'v' || fmt[i + 1] == '%')) {
			n = snprintf(text + o, textsz - o, "%s",
			    fmt[i + 1] == 'v' ? virus : "%");
			o = n < 0 || (size_t)n >= textsz - o ? textsz - 1 :
			    o + (size_t)n;
			i++;
		} else
			text[o++] = fmt[i];
	}
	text[o] = '\0';
}

/*
 * The refusal text of the file type rules: the configured reply with %n
 * (attachment name), %t (type) and %% replaced, or SPEC's default.
 */
static void
inspect_filetype(struct inspect *ins, const char *name, const char *type)
{
	const char	*fmt = ins->conf->filetypes_reply;
	char		 text[500], detail[400], reply[512], safe[128];
	size_t		 o = 0, i;

	/* Peer-supplied names go into a reply: printable ASCII only. */
	for (i = 0; name[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"' ?
		    name[i] : '?';
	safe[i] = '\0';
	if (fmt == NULL || *fmt == '\0')
		snprintf(text, sizeof(text), "Attachment \"%s\" (%s) not "
		    "allowed", safe, type);
	else {
		for (i = 0; fmt[i] != '\0' && o + 1 < sizeof(text); i++) {
			const char *sub = NULL;

			if (fmt[i] == '%' && fmt[i + 1] == 'n')
				sub = safe;
			else if (fmt[i] == '%' && fmt[i + 1] == 't')
				sub = type;
			else if (fmt[i] == '%' && fmt[i + 1] == '%')
				sub = "%";
			if (sub != NULL) {
				o += (size_t)snprintf(text + o,
				    sizeof(text) - o, "%s", sub);
				if (o >= sizeof(text))
					o = sizeof(text) - 1;
				i++;
			} else
				text[o++] = fmt[i];
		}
		text[o] = '\0';
	}
	snprintf(reply, sizeof(reply), "554 5.7.1 %s", text);
	snprintf(detail, sizeof(detail), "attachment=\"%s\" type=%s", safe,
	    type);
	inspect_add(ins, INSPECT_FILETYPE, ALARM_BLOCK, detail, reply);
}

/*
 * A part whose typing libclamav stopped short of: never an accept for
 * file types. smtp:252 with its action if the configuration sets one,
 * else it blocks.
 */
static void
inspect_incomplete(struct inspect *ins, const char *name, const char *why)
{
	enum alarm_action	 act = ALARM_BLOCK;
	char			 detail[400], reply[512], safe[128];
	size_t			 i;

	for (i = 0; name[i] != '\0' && i + 1 < sizeof(safe); i++)
		safe[i] = name[i] >= 0x20 && name[i] < 0x7f && name[i] != '"' ?
		    name[i] : '?';
	safe[i] = '\0';
	if (ins->conf->alarm_set[ALARM_UNSCANNED])
		act = ins->conf->alarm_action[ALARM_UNSCANNED];
	snprintf(detail, sizeof(detail), "attachment=\"%s\" reason=\"file "
	    "typing incomplete: %s\"", safe, why);
	snprintf(reply, sizeof(reply), "554 5.7.1 Attachment \"%s\" could "
	    "not be inspected completely (%s)", safe,
	    alarm_table[ALARM_UNSCANNED].ident);
	inspect_add(ins, ALARM_UNSCANNED, act, detail, reply);
}

int
inspect_av_wanted(const struct config *conf, const struct sockaddr *dst)
{
	int	 local;

	if (!conf->inspect || !conf->av_enabled)
		return 0;
	local = conf->nav_local_servers > 0 && access_list_match(conf->access,
	    (const char *const *)conf->av_local_servers,
	    conf->nav_local_servers, dst);
	return local ? conf->av_scan_local : conf->av_scan_other;
}

/* An unlinked file in spool_dir (mkstemp: mode 0600), or -1. */
static int
inspect_tmpfile(struct inspect *ins)
{
	char	 path[1024];
	int	 fd;

	if (snprintf(path, sizeof(path), "%s/smtpproxy.XXXXXX",
	    ins->conf->spool_dir) >= (int)sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	return fd;
}

/* write(2) all of it. */
static int
inspect_write(int fd, const void *buf, size_t len)
{
	const unsigned char	*b = buf;
	ssize_t			 n;

	while (len > 0) {
		if ((n = write(fd, b, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Grow an in-memory spool within the message's budget. Returns 1 if
 * the bytes were added, 0 if they do not fit the budget (the caller
 * moves the spool to a file), -1 out of memory.
 */
static int
inspect_mem(struct inspect *ins, unsigned char **mem, size_t *len,
    size_t *cap, const unsigned char *data, size_t n)
{
	unsigned char	*nm;
	size_t		 c;

	/* The budget counts bytes kept (the buffers may be up to twice). */
	if (ins->memused + n > INSPECT_MEM)
		return 0;
	if (*len + n > *cap) {
		c = *cap ? *cap : 4096;
		while (c < *len + n)
			c *= 2;
		if ((nm = realloc(*mem, c)) == NULL)
			return -1;
		*mem = nm;
		*cap = c;
	}
	memcpy(*mem + *len, data, n);
	*len += n;
	ins->memused += n;
	return 1;
}

static void
inspect_mem_free(struct inspect *ins, unsigned char **mem, size_t *len,
    size_t *cap)
{
	ins->memused -= *len;
	free(*mem);
	*mem = NULL;
	*len = *cap = 0;
}

static int
inspect_spool_error(struct inspect *ins, const char *what)
{
	snprintf(ins->errstr, sizeof(ins->errstr), "%s %s: %s", what,
	    ins->conf->spool_dir, strerror(errno));
	return -1;
}

/*
 * Bytes of part p: in memory within the message's budget, else at the
 * end of the message's spool file, where p then lies whole from p->off
 * (parts are spooled one after the other, never two at once).
 */
static int
inspect_spool_part(struct inspect *ins, struct inspect_part *p,
    const unsigned char *data, size_t len)
{
	int	 rc;

	p->size += len;
	if (!p->infile) {
		if ((rc = inspect_mem(ins, &p->mem, &p->len, &p->cap, data,
		    len)) == 1)
			return 0;
		if (rc == -1)
			return -1;
		if (ins->spool_fd == -1 &&
		    (ins->spool_fd = inspect_tmpfile(ins)) == -1)
			return inspect_spool_error(ins, "spool");
		p->infile = 1;
		p->off = ins->spool_end;
		if (inspect_write(ins->spool_fd, p->mem, p->len) == -1)
			return inspect_spool_error(ins, "spool write");
		ins->spool_end += p->len;
		inspect_mem_free(ins, &p->mem, &p->len, &p->cap);
	}
	if (inspect_write(ins->spool_fd, data, len) == -1)
		return inspect_spool_error(ins, "spool write");
	ins->spool_end += len;
	return 0;
}

/* The whole message, for the anti-virus scan: memory, then a file. */
static int
inspect_spool_msg(struct inspect *ins, const unsigned char *data,
    size_t len)
{
	struct inspect_msg	*m = &ins->msg;
	int			 rc;

	m->size += len;
	if (m->fd == -1) {
		if ((rc = inspect_mem(ins, &m->mem, &m->len, &m->cap, data,
		    len)) == 1)
			return 0;
		if (rc == -1)
			return -1;
		if ((m->fd = inspect_tmpfile(ins)) == -1)
			return inspect_spool_error(ins, "spool");
		if (inspect_write(m->fd, m->mem, m->len) == -1)
			return inspect_spool_error(ins, "spool write");
		inspect_mem_free(ins, &m->mem, &m->len, &m->cap);
	}
	if (inspect_write(m->fd, data, len) == -1)
		return inspect_spool_error(ins, "spool write");
	return 0;
}

/*
 * A complete line of a text part (without its line end): the start
 * ("begin MODE NAME", MODE octal) or the end ("end") of a uuencoded
 * block. end is the part offset right after the line.
 */
static void
inspect_uu_line(struct inspect_part *p, uint64_t end)
{
	struct inspect_uu	*u;
	const char		*l = p->line, *name;
	size_t			 n = p->linelen, i;

	while (n > 0 && (l[n - 1] == '\r' || l[n - 1] == ' '))
		n--;
	/* A name that does not fit would lose its end. */
	if (p->linecut && !p->in_uu && ((n >= 6 && memcmp(l, "begin ",
	    6) == 0) || (n >= 8 && memcmp(l, "=ybegin ", 8) == 0))) {
		p->incomplete = 1;
		snprintf(p->limit, sizeof(p->limit), "a uuencoded file name "
		    "over %zu bytes", sizeof(p->line));
		return;
	}
	if (p->in_uu) {
		if (n != 3 || memcmp(l, "end", 3) != 0)
			return;
		p->in_uu = 0;
		p->uu[p->nuu - 1].len = end - p->uu[p->nuu - 1].off;
		return;
	}
	/*
	 * yEnc ("=ybegin ... name=NAME") and BinHex, which mail readers
	 * open too, are not decoded here: their names are checked, and a
	 * typing that cannot see inside them is incomplete.
	 */
	if (n >= 40 && memcmp(l, "(This file must be converted with BinHex",
	    40) == 0) {
		p->incomplete = 1;
		snprintf(p->limit, sizeof(p->limit), "a BinHex file");
		return;
	}
	if (n > 8 && memcmp(l, "=ybegin ", 8) == 0) {
		for (i = 8; i + 5 < n && memcmp(l + i, " name=", 6) != 0; i++)
			;
		p->incomplete = 1;
		snprintf(p->limit, sizeof(p->limit), "a yEnc file");
		if (i + 5 >= n)
			return;
		name = l + i + 6;
	} else {
		if (n < 9 || memcmp(l, "begin ", 6) != 0)
			return;
		for (i = 6; i < n && l[i] >= '0' && l[i] <= '7'; i++)
			;
		if (i == 6 || i > 10 || i >= n || l[i] != ' ')
			return;
		name = l + i + 1;
	}
	if (p->nuu == INSPECT_MAXUU) {
		p->incomplete = 1;
		snprintf(p->limit, sizeof(p->limit), "more than %d uuencoded "
		    "files", INSPECT_MAXUU);
		return;
	}
	if (p->uu == NULL &&
	    (p->uu = calloc(INSPECT_MAXUU, sizeof(*p->uu))) == NULL) {
		p->incomplete = 1;
		snprintf(p->limit, sizeof(p->limit), "out of memory");
		return;
	}
	u = &p->uu[p->nuu++];
	u->off = p->linestart;
	u->len = 0;
	snprintf(u->name, sizeof(u->name), "%.*s", (int)(n - (size_t)(name - l)),
	    name);
	p->in_uu = 1;
}

/*
 * Follow the lines of a text part's decoded bytes (offset base): only
 * the first bytes of each line are looked at.
 */
static void
inspect_uu_scan(struct inspect_part *p, const unsigned char *data,
    size_t len, uint64_t base)
{
	const unsigned char	*nl;
	size_t			 i = 0, n, room;

	while (i < len) {
		nl = memchr(data + i, '\n', len - i);
		n = (nl != NULL ? (size_t)(nl - data) : len) - i;
		room = sizeof(p->line) - p->linelen;
		memcpy(p->line + p->linelen, data + i, n < room ? n : room);
		p->linelen += n < room ? n : room;
		if (n > room)
			p->linecut = 1;
		if (nl == NULL)
			return;
		i += n + 1;
		inspect_uu_line(p, base + i);
		p->linelen = 0;
		p->linecut = 0;
		p->linestart = base + i;
	}
}

/*
 * Does the start of a message body look like text? Control characters
 * other than the usual white space (and ESC, for ISO-2022 text) or a
 * NUL say that it is not: then the body is typed as a file.
 */
static void
inspect_sniff(struct inspect_part *p, const unsigned char *data, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && p->sniffed < INSPECT_SNIFF; i++, p->sniffed++)
		if ((data[i] < 0x20 && data[i] != '\t' && data[i] != '\n' &&
		    data[i] != '\r' && data[i] != '\f' && data[i] != '\v' &&
		    data[i] != 0x1b) || data[i] == 0x7f)
			p->binary = 1;
}

static void
inspect_part_free(struct inspect_part *p)
{
	free(p->name);
	free(p->mem);
	free(p->uu);
	free(p->refused);
	free(p);
}

/*
 * One reading of a file's name against the rules that go by names:
 * block_extensions, and the types known by their extension (scripts,
 * macro-enabled documents). in: the part a uuencoded file is in, or
 * NULL. Returns 1 if it is refused.
 */
static int
inspect_name(struct inspect *ins, const char *name, const char *in)
{
	const struct config	*conf = ins->conf;
	const char		*ext = NULL;
	char			 full[600];
	filetype_mask		 m;

	if (name[0] == '\0')
		return 0;
	if (conf->nblock_extensions > 0)
		ext = filetype_ext_match(name,
		    (const char *const *)conf->block_extensions,
		    conf->nblock_extensions);
	m = filetype_of_ext(name) & (filetype_parse("script") |
	    filetype_parse("office-macro")) & conf->block_types;
	if (ext == NULL && m == 0)
		return 0;
	if (in != NULL)
		(void)snprintf(full, sizeof(full), "%s/%s", in, name);
	else
		(void)snprintf(full, sizeof(full), "%s", name);
	inspect_filetype(ins, full, ext != NULL ? ext : filetype_name(m));
	return 1;
}

static void
inspect_part_begin(void *arg, const struct mime_part *mp)
{
	struct inspect		*ins = arg;
	const struct config	*conf = ins->conf;
	struct inspect_part	*p;
	unsigned		 i;
	int			 nameonly;

	if (!conf->filetypes_enabled)
		return;
	/* Every reading of the name a mail client may show. */
	for (i = 0; i <= mp->naltnames; i++)
		if (inspect_name(ins, i == 0 ? mp->filename :
		    mp->altnames[i - 1], NULL))
			break;
	/* Its bytes are the parts inside it, reported on their own. */
	if (mp->enclosed)
		return;
	/*
	 * Names only: nothing is typed or spooled, but the names of the
	 * uuencoded files in a text part are names too.
	 */
	nameonly = conf->block_types == 0 && !conf->block_encrypted_archives &&
	    !conf->block_office_macros && !conf->block_packed_executables;
	if (nameonly && strncmp(mp->type, "text/", 5) != 0)
		return;
	/* Every leaf part is typed (see the top of this file). */
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->name = strdup(mp->filename[0] != '\0' ? mp->filename :
	    "(unnamed)")) == NULL) {
		free(p);
		ins->error = 1;
		return;
	}
	p->text = strncmp(mp->type, "text/", 5) == 0;
	p->body = p->text && mp->filename[0] == '\0' && !mp->attachment &&
	    mp->encoding != MIME_ENC_BASE64;
	p->plain = p->body && strcmp(mp->type, "text/html") != 0;
	p->nameonly = nameonly;
	TAILQ_INSERT_TAIL(&ins->parts, p, entry);
	ins->cur = p;
}

static void
inspect_part_data(void *arg, const struct mime_part *mp,
    const unsigned char *data, size_t len)
{
	struct inspect		*ins = arg;
	struct inspect_part	*p = ins->cur;

	(void)mp;
	if (p == NULL || ins->error)
		return;
	if (p->text)
		inspect_uu_scan(p, data, len, p->size);
	if (p->nameonly) {
		p->size += len;
		return;
	}
	if (p->plain && p->sniffed < INSPECT_SNIFF)
		inspect_sniff(p, data, len);
	if (inspect_spool_part(ins, p, data, len) == -1)
		ins->error = 1;
}

static void
inspect_part_end(void *arg, const struct mime_part *mp)
{
	struct inspect		*ins = arg;
	struct inspect_part	*p = ins->cur;
	int			 i;

	/* A part reported for its names: the open part goes on. */
	if (mp->enclosed)
		return;
	ins->cur = NULL;
	if (p == NULL || !p->text)
		return;
	/* A last line without a line end; a block without "end". */
	if (p->linelen > 0)
		inspect_uu_line(p, p->size);
	if (p->in_uu)
		p->uu[p->nuu - 1].len = p->size - p->uu[p->nuu - 1].off;
	p->in_uu = 0;
	for (i = 0; i < p->nuu; i++)
		if (inspect_name(ins, p->uu[i].name, p->name))
			break;
	if (p->nameonly) {
		TAILQ_REMOVE(&ins->parts, p, entry);
		inspect_part_free(p);
	}
}

static const struct mime_callbacks inspect_callbacks = {
	inspect_part_begin, inspect_part_data, inspect_part_end
};

struct inspect *
inspect_new(struct config *conf, struct scan_engine *engine,
    struct scan_engine *av, int scan_av)
{
	struct inspect		*ins;
	struct mime_limits	 lim;

	if ((ins = calloc(1, sizeof(*ins))) == NULL)
		return NULL;
	ins->conf = conf;
	ins->msg.fd = -1;
	ins->spool_fd = -1;
	TAILQ_INIT(&ins->parts);
	STAILQ_INIT(&ins->finds);
	lim.header_line = conf->limits.header_line;
	lim.text_line = conf->limits.text_line;
	lim.depth = conf->limits.mime_depth;
	lim.parts = conf->limits.mime_parts;
	if ((ins->mime = mime_new(&lim, &inspect_callbacks, ins)) == NULL) {
		free(ins);
		return NULL;
	}
	config_ref(conf);
	if (engine != NULL && conf->filetypes_enabled)
		ins->engine = scan_engine_ref(engine);
	ins->scan_av = scan_av;
	if (av != NULL && scan_av)
		ins->av = scan_engine_ref(av);
	return ins;
}

int
inspect_data(struct inspect *ins, const char *text, size_t len)
{
	if (mime_parse(ins->mime, text, len) == -1)
		ins->error = 1;
	if (ins->scan_av && !ins->msg_too_big && !ins->error) {
		/* Over max_size: not scanned, and said so (smtp:252). */
		if (ins->msg.size + len > ins->conf->av_max_size) {
			ins->msg_too_big = 1;
			inspect_mem_free(ins, &ins->msg.mem, &ins->msg.len,
			    &ins->msg.cap);
			if (ins->msg.fd != -1) {
				close(ins->msg.fd);
				ins->msg.fd = -1;
			}
		} else if (inspect_spool_msg(ins, (const unsigned char *)text,
		    len) == -1)
			ins->error = 1;
	}
	return ins->error ? -1 : 0;
}

void
inspect_wire(struct inspect *ins, int *bol, const char *buf, size_t len)
{
	const char	*nl;
	size_t		 i = 0, start = 0;

	/* Line by line (memchr), not byte by byte: this sees every byte. */
	while (i < len) {
		if (*bol && buf[i] == '.') {
			inspect_data(ins, buf + start, i - start);
			start = i + 1;
		}
		if ((nl = memchr(buf + i, '\n', len - i)) == NULL) {
			*bol = 0;
			break;
		}
		i = (size_t)(nl - buf) + 1;
		*bol = 1;
	}
	inspect_data(ins, buf + start, len - start);
}

void
inspect_end(struct inspect *ins, int header_bad)
{
	size_t	 i;
	int	 flags;
	char	 detail[160];

	if (mime_finish(ins->mime) == -1)
		ins->error = 1;
	flags = mime_flags(ins->mime);
	if (header_bad)
		inspect_alarm(ins, ALARM_HEADER_INVALID_CHAR, "detail=\"NUL or "
		    "bare CR/LF in the header\"");
	for (i = 0; i < sizeof(inspect_flags) / sizeof(inspect_flags[0]); i++)
		if (flags & inspect_flags[i].flag) {
			snprintf(detail, sizeof(detail), "detail=\"%s\"",
			    mime_detail(ins->mime, inspect_flags[i].flag));
			inspect_alarm(ins, (int)inspect_flags[i].alarm, detail);
		}
}

int
inspect_needs_scan(const struct inspect *ins)
{
	if (ins->error)
		return 0;
	return (ins->engine != NULL && !TAILQ_EMPTY(&ins->parts)) ||
	    (ins->scan_av && !ins->msg_too_big);
}

/* The whole message through the anti-virus backend. */
static void
inspect_scan_av(struct inspect *ins)
{
	const struct config	*conf = ins->conf;
	struct scan_result	*r;
	struct inspect_msg	*m = &ins->msg;

	if ((r = ins->av_result = calloc(1, sizeof(*r))) == NULL) {
		ins->scan_error = 1;
		snprintf(ins->scan_errstr, sizeof(ins->scan_errstr),
		    "out of memory");
		return;
	}
	if (conf->av_backend == CONFIG_AV_CLAMD)
		scan_clamd((const char *const *)conf->av_clamd,
		    conf->nav_clamd, INSPECT_CLAMD_TIMEOUT,
		    m->fd == -1 ? (const void *)(m->mem != NULL ? m->mem :
		    (unsigned char *)"") : NULL, m->len, m->fd, r);
	else if (ins->av == NULL) {
		r->status = SCAN_ERROR;
		snprintf(r->error, sizeof(r->error), "no signatures loaded");
	} else if (m->fd != -1)
		scan_fd(ins->av, m->fd, "message", SCAN_F_MAIL, NULL, NULL, r);
	else
		scan_memory(ins->av, m->mem, m->len, "message", SCAN_F_MAIL,
		    NULL, NULL, r);
}

/* One typing scan of (part of) a part: what the callback judges with. */
struct inspect_typing {
	const struct config	*conf;
	struct inspect_part	*p;
	const char		*sub;		/* a uuencoded block's name */
	char			*nomem;		/* set when out of memory */
};

/*
 * Each file libclamav reports, as it comes: the first one the type
 * rules refuse is kept, the rest need no memory. What libclamav types
 * only as text (scripts) or cannot tell without the macro heuristic is
 * known by its name inside an archive.
 */
static void
inspect_cb_file(void *arg, const struct scan_file *f)
{
	struct inspect_typing	*t = arg;
	const struct config	*conf = t->conf;
	struct inspect_part	*p = t->p;
	filetype_mask		 m, byname;
	char			 name[600];
	int			 named;

	if (p->refused_type != NULL)
		return;
	/* A message body is not a file unless it is not text. */
	if (p->body && t->sub == NULL && f->depth == 0 &&
	    filetype_is_text(f->type))
		return;
	named = f->depth > 0 && f->name[0] != '\0';
	byname = filetype_parse("script") | filetype_parse("office-macro");
	m = (filetype_of(f->type) | (named ? filetype_of_ext(f->name) &
	    byname : 0)) & conf->block_types;
	if (m == 0 && !(conf->block_packed_executables && f->packed))
		return;
	if (t->sub != NULL && named)
		snprintf(name, sizeof(name), "%s/%s/%s", p->name, t->sub,
		    f->name);
	else if (t->sub != NULL || named)
		snprintf(name, sizeof(name), "%s/%s", p->name,
		    t->sub != NULL ? t->sub : f->name);
	else
		snprintf(name, sizeof(name), "%s", p->name);
	if ((p->refused = strdup(name)) == NULL) {
		t->nomem = p->name;
		return;
	}
	p->refused_type = m != 0 ? filetype_name(m) : "packed-executable";
}

/*
 * Type [off, off + len) of part p (a uuencoded block when sub is set).
 * Returns 0, or -1 on an engine error (ins->scan_error set).
 */
static int
inspect_type(struct inspect *ins, struct inspect_part *p, uint64_t off,
    uint64_t len, const char *sub, int flags)
{
	struct inspect_typing	 t;
	struct scan_result	 r;
	const char		*name = sub != NULL ? sub : p->name;

	t.conf = ins->conf;
	t.p = p;
	t.sub = sub;
	t.nomem = NULL;
	if (p->infile)
		scan_fd_region(ins->engine, ins->spool_fd, p->off + off, len,
		    name, flags, inspect_cb_file, &t, &r);
	else
		scan_memory(ins->engine, p->mem != NULL ? p->mem + off : NULL,
		    (size_t)len, name, flags, inspect_cb_file, &t, &r);
	if (r.status == SCAN_ERROR || t.nomem != NULL) {
		ins->scan_error = 1;
		snprintf(ins->scan_errstr, sizeof(ins->scan_errstr),
		    "%s: %s", p->name, t.nomem != NULL ? "out of memory" :
		    r.error);
		return -1;
	}
	if (r.limits_exceeded && !p->incomplete) {
		p->incomplete = 1;
		snprintf(p->limit, sizeof(p->limit), "%s", r.limit);
	}
	if (r.status != SCAN_VIRUS || p->refused_type != NULL)
		return 0;
	/* The heuristics asked for are the only way to a match here. */
	if ((p->refused = strdup(p->name)) == NULL) {
		ins->scan_error = 1;
		snprintf(ins->scan_errstr, sizeof(ins->scan_errstr),
		    "out of memory");
		return -1;
	}
	if (strstr(r.virus, "Encrypted") != NULL)
		p->refused_type = "encrypted-archive";
	else if (strstr(r.virus, "Macro") != NULL)
		p->refused_type = "office-macro";
	else
		p->refused_type = "heuristic";
	return 0;
}

void
inspect_scan(struct inspect *ins)
{
	struct inspect_part	*p;
	int			 flags = SCAN_F_MAIL, i;

	if (ins->conf->block_encrypted_archives)
		flags |= SCAN_F_ENCRYPTED;
	if (ins->conf->block_office_macros ||
	    ins->conf->block_types & filetype_parse("office-macro"))
		flags |= SCAN_F_MACROS;
	if (ins->scan_av && !ins->msg_too_big)
		inspect_scan_av(ins);
	if (ins->engine == NULL)
		return;
	TAILQ_FOREACH(p, &ins->parts, entry) {
		p->typed = 1;
		/* A text body is read as text: only its uuencode counts. */
		if ((!p->plain || p->binary) &&
		    inspect_type(ins, p, 0, p->size, NULL, flags) == -1)
			return;
		for (i = 0; i < p->nuu && p->refused_type == NULL; i++)
			if (inspect_type(ins, p, p->uu[i].off, p->uu[i].len,
			    p->uu[i].name, flags) == -1)
				return;
	}
}

/* What typing found in one part, against the type rules. */
static void
inspect_typed(struct inspect *ins, struct inspect_part *p)
{
	/* Its names were checked when it began (inspect_name). */
	if (p->refused_type != NULL)
		inspect_filetype(ins, p->refused, p->refused_type);
	else if (p->incomplete)
		inspect_incomplete(ins, p->name, p->limit);
}

/*
 * The anti-virus result as findings: a virus refuses the message; an
 * engine failure follows on_error; a message not scanned whole is never
 * passed silently (smtp:252).
 */
static void
inspect_av_verdict(struct inspect *ins)
{
	const struct config	*conf = ins->conf;
	const struct scan_result *r = ins->av_result;
	char			 detail[400], reply[512], text[300];

	if (ins->msg_too_big) {
		snprintf(detail, sizeof(detail), "reason=\"over antivirus."
		    "max_size\" size>%llu", (unsigned long long)
		    conf->av_max_size);
		inspect_alarm(ins, ALARM_UNSCANNED, detail);
		return;
	}
	if (r == NULL)
		return;
	if (r->status == SCAN_VIRUS) {
		inspect_virus_text(conf->av_reply, r->virus, text,
		    sizeof(text));
		snprintf(reply, sizeof(reply), "554 5.7.1 %s", text);
		snprintf(detail, sizeof(detail), "virus=\"%s\"",
		    log_escape(text, sizeof(text), r->virus,
		    strlen(r->virus)));
		inspect_add(ins, INSPECT_VIRUS, ALARM_BLOCK, detail, reply);
		return;
	}
	if (r->status == SCAN_ERROR) {
		snprintf(detail, sizeof(detail), "reason=\"anti-virus: %s\"",
		    r->error);
		switch (conf->av_on_error) {
		case CONFIG_AV_PASS:
			inspect_alarm(ins, ALARM_UNSCANNED, detail);
			break;
		case CONFIG_AV_REJECT:
			inspect_add(ins, INSPECT_VIRUS, ALARM_BLOCK, detail,
			    "554 5.7.1 Message could not be scanned for "
			    "viruses");
			break;
		default:
			inspect_add(ins, INSPECT_VIRUS, ALARM_BLOCK, detail,
			    "451 4.3.0 Message could not be scanned for "
			    "viruses, try again later");
			break;
		}
		return;
	}
	if (r->limits_exceeded) {
		snprintf(detail, sizeof(detail), "reason=\"anti-virus scan "
		    "limits exceeded: %s\"", r->limit);
		inspect_alarm(ins, ALARM_UNSCANNED, detail);
	}
}

enum inspect_verdict
inspect_verdict(struct inspect *ins, inspect_report_fn report, void *arg,
    char *reply, size_t replysz)
{
	struct inspect_part	*p;
	struct inspect_find	*f;
	char			 detail[600];

	if (ins->error || ins->scan_error) {
		/* Nothing unscanned passes; nothing is lost: try again. */
		snprintf(detail, sizeof(detail), "reason=\"%s\"", ins->error ?
		    (ins->errstr[0] != '\0' ? ins->errstr : "out of memory") :
		    ins->scan_errstr);
		inspect_add(ins, INSPECT_FILETYPE, ALARM_PASS, detail,
		    "451 4.3.0 Message could not be inspected, try again "
		    "later");
	} else {
		if (ins->scan_av)
			inspect_av_verdict(ins);
		TAILQ_FOREACH(p, &ins->parts, entry)
			if (p->typed)
				inspect_typed(ins, p);
	}
	STAILQ_FOREACH(f, &ins->finds, entry)
		report(arg, f->alarm, f->act, f->detail);
	if (ins->unlogged > 0) {
		snprintf(detail, sizeof(detail), "more=%llu note=\"further "
		    "refused attachments not listed\"",
		    (unsigned long long)ins->unlogged);
		report(arg, INSPECT_FILETYPE, ALARM_BLOCK, detail);
	}
	if (ins->v != INSPECT_ACCEPT)
		snprintf(reply, replysz, "%s", ins->reply);
	return ins->v;
}

void
inspect_free(struct inspect *ins)
{
	struct inspect_part	*p;
	struct inspect_find	*f;

	if (ins == NULL)
		return;
	while ((p = TAILQ_FIRST(&ins->parts)) != NULL) {
		TAILQ_REMOVE(&ins->parts, p, entry);
		inspect_part_free(p);
	}
	while ((f = STAILQ_FIRST(&ins->finds)) != NULL) {
		STAILQ_REMOVE_HEAD(&ins->finds, entry);
		free(f);
	}
	if (ins->spool_fd != -1)
		close(ins->spool_fd);
	mime_free(ins->mime);
	if (ins->engine != NULL)
		scan_engine_unref(ins->engine);
	if (ins->av != NULL)
		scan_engine_unref(ins->av);
	if (ins->msg.fd != -1)
		close(ins->msg.fd);
	free(ins->msg.mem);
	free(ins->av_result);
	config_unref(ins->conf);
	free(ins);
}
