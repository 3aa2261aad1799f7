/*
 * Content inspection of one message.
 *
 * The MIME parser runs as the text streams (cheap, on the event loop).
 * Each leaf part that could be a file - one with a name, or of a type
 * other than text - is spooled as it is decoded: in memory up to
 * INSPECT_MEM bytes per message, then to an unlinked file in spool_dir
 * (mode 0600), so memory stays bounded whatever the message size. At the
 * end of data the spooled parts are typed by libclamav on a worker
 * thread; the verdict is made back on the loop.
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
#define INSPECT_MAXFIND		32
#define INSPECT_CLAMD_TIMEOUT	60	/* seconds per clamd I/O step */

/* One spooled part: an attachment or a part that may be one. */
struct inspect_part {
	TAILQ_ENTRY(inspect_part) entry;
	char			 name[256];	/* "" if it has none */
	char			 type[128];	/* declared MIME type */
	unsigned char		*mem;		/* in memory, or */
	size_t			 len, cap;
	int			 fd;		/* in an unlinked file, or -1 */
	uint64_t		 size;
	struct scan_result	*result;	/* after inspect_scan() */
};
TAILQ_HEAD(inspect_parts, inspect_part);

struct inspect_find {
	int			 alarm;		/* alarm_id or INSPECT_FILETYPE */
	char			 detail[400];
	char			 reply[512];	/* INSPECT_FILETYPE only */
};

struct inspect {
	struct config		*conf;		/* a reference of its own */
	struct scan_engine	*engine;
	struct scan_engine	*av;		/* libclamav with signatures */
	int			 scan_av;	/* anti-virus this message */
	struct inspect_part	 msg;		/* the whole message, for it */
	int			 msg_too_big;	/* over antivirus.max_size */
	struct scan_result	*av_result;
	struct mime		*mime;
	struct inspect_parts	 parts;
	struct inspect_part	*cur;		/* being spooled */
	size_t			 memused;
	int			 error;		/* spooling failed */
	char			 errstr[128];
	int			 scan_error;
	char			 scan_errstr[400];
	struct inspect_find	 finds[INSPECT_MAXFIND];
	int			 nfinds;
};

static int	inspect_spool(struct inspect *, struct inspect_part *,
		    const unsigned char *, size_t);

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

static void
inspect_find(struct inspect *ins, int alarm, const char *detail,
    const char *reply)
{
	struct inspect_find	*f;
	int			 i;

	/* One finding per alarm is enough for the verdict and the log. */
	for (i = 0; i < ins->nfinds && alarm != INSPECT_FILETYPE; i++)
		if (ins->finds[i].alarm == alarm)
			return;
	if (ins->nfinds == INSPECT_MAXFIND)
		return;
	f = &ins->finds[ins->nfinds++];
	f->alarm = alarm;
	snprintf(f->detail, sizeof(f->detail), "%s", detail);
	snprintf(f->reply, sizeof(f->reply), "%s", reply ? reply : "");
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
	inspect_find(ins, INSPECT_FILETYPE, detail, reply);
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

static int
inspect_spool_file(struct inspect *ins, struct inspect_part *p)
{
	char	 path[1024];
	int	 fd;

	if (snprintf(path, sizeof(path), "%s/smtpproxy.XXXXXX",
	    ins->conf->spool_dir) >= (int)sizeof(path))
		return -1;
	/* mkstemp creates it 0600; unlinked at once, gone with the fd. */
	if ((fd = mkstemp(path)) == -1)
		return -1;
	unlink(path);
	if (p->len > 0 && write(fd, p->mem, p->len) != (ssize_t)p->len) {
		close(fd);
		return -1;
	}
	ins->memused -= p->cap;
	free(p->mem);
	p->mem = NULL;
	p->len = p->cap = 0;
	p->fd = fd;
	return 0;
}

static void
inspect_part_begin(void *arg, const struct mime_part *mp)
{
	struct inspect		*ins = arg;
	const struct config	*conf = ins->conf;
	struct inspect_part	*p;
	const char		*ext, *name;
	unsigned		 i;

	if (!conf->filetypes_enabled)
		return;
	/* Every reading of the name a mail client may show. */
	for (i = 0; i <= mp->naltnames; i++) {
		name = i == 0 ? mp->filename : mp->altnames[i - 1];
		if (name[0] != '\0' && conf->nblock_extensions > 0 &&
		    (ext = filetype_ext_match(name,
		    (const char *const *)conf->block_extensions,
		    conf->nblock_extensions)) != NULL) {
			inspect_filetype(ins, name, ext);
			break;
		}
	}
	/* Its bytes come with the part that encloses it. */
	if (mp->enclosed)
		return;
	/* Names only: nothing to type, nothing to spool. */
	if (conf->block_types == 0 && !conf->block_encrypted_archives &&
	    !conf->block_office_macros && !conf->block_packed_executables)
		return;
	/* Text without a name is a message body, not a file. */
	if (mp->filename[0] == '\0' && strncmp(mp->type, "text/", 5) == 0)
		return;
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		ins->error = 1;
		return;
	}
	p->fd = -1;
	snprintf(p->name, sizeof(p->name), "%s", mp->filename[0] != '\0' ?
	    mp->filename : "(unnamed)");
	snprintf(p->type, sizeof(p->type), "%s", mp->type);
	TAILQ_INSERT_TAIL(&ins->parts, p, entry);
	ins->cur = p;
}

static void
inspect_part_data(void *arg, const struct mime_part *mp,
    const unsigned char *data, size_t len)
{
	struct inspect		*ins = arg;

	(void)mp;
	if (ins->cur == NULL || ins->error)
		return;
	if (inspect_spool(ins, ins->cur, data, len) == -1)
		ins->error = 1;
}

static void
inspect_part_end(void *arg, const struct mime_part *mp)
{
	struct inspect	*ins = arg;

	if (!mp->enclosed)
		ins->cur = NULL;
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
	snprintf(ins->msg.name, sizeof(ins->msg.name), "message");
	TAILQ_INIT(&ins->parts);
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

/* Spool bytes of p: memory within the message budget, then a file. */
static int
inspect_spool(struct inspect *ins, struct inspect_part *p,
    const unsigned char *data, size_t len)
{
	unsigned char	*n;
	size_t		 cap;

	p->size += len;
	if (p->fd == -1 && ins->memused + len > INSPECT_MEM &&
	    inspect_spool_file(ins, p) == -1) {
		snprintf(ins->errstr, sizeof(ins->errstr), "spool %s: %s",
		    ins->conf->spool_dir, strerror(errno));
		return -1;
	}
	if (p->fd != -1) {
		if (write(p->fd, data, len) != (ssize_t)len) {
			snprintf(ins->errstr, sizeof(ins->errstr),
			    "spool write: %s", strerror(errno));
			return -1;
		}
		return 0;
	}
	if (p->len + len > p->cap) {
		cap = p->cap ? p->cap : 4096;
		while (cap < p->len + len)
			cap *= 2;
		if ((n = realloc(p->mem, cap)) == NULL)
			return -1;
		ins->memused += cap - p->cap;
		p->mem = n;
		p->cap = cap;
	}
	memcpy(p->mem + p->len, data, len);
	p->len += len;
	return 0;
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
			free(ins->msg.mem);
			ins->msg.mem = NULL;
			ins->memused -= ins->msg.cap;
			ins->msg.len = ins->msg.cap = 0;
			if (ins->msg.fd != -1) {
				close(ins->msg.fd);
				ins->msg.fd = -1;
			}
		} else if (inspect_spool(ins, &ins->msg,
		    (const unsigned char *)text, len) == -1)
			ins->error = 1;
	}
	return ins->error ? -1 : 0;
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
		inspect_find(ins, ALARM_HEADER_INVALID_CHAR, "detail=\"NUL or "
		    "bare CR/LF in the header\"", NULL);
	for (i = 0; i < sizeof(inspect_flags) / sizeof(inspect_flags[0]); i++)
		if (flags & inspect_flags[i].flag) {
			snprintf(detail, sizeof(detail), "detail=\"%s\"",
			    mime_detail(ins->mime, inspect_flags[i].flag));
			inspect_find(ins, (int)inspect_flags[i].alarm, detail,
			    NULL);
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
	struct inspect_part	*m = &ins->msg;

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
		scan_fd(ins->av, m->fd, "message", SCAN_F_MAIL, r);
	else
		scan_memory(ins->av, m->mem, m->len, "message", SCAN_F_MAIL,
		    r);
}

void
inspect_scan(struct inspect *ins)
{
	struct inspect_part	*p;
	int			 flags = 0;

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
		if ((p->result = calloc(1, sizeof(*p->result))) == NULL) {
			ins->scan_error = 1;
			return;
		}
		if (p->fd != -1)
			scan_fd(ins->engine, p->fd, p->name, flags, p->result);
		else
			scan_memory(ins->engine, p->mem, p->len, p->name,
			    flags, p->result);
		if (p->result->status == SCAN_ERROR) {
			ins->scan_error = 1;
			snprintf(ins->scan_errstr, sizeof(ins->scan_errstr),
			    "%s: %s", p->name, p->result->error);
			return;
		}
	}
}

/* What libclamav found in one spooled part, against the type rules. */
static void
inspect_typed(struct inspect *ins, struct inspect_part *p)
{
	const struct config	*conf = ins->conf;
	const struct scan_result *r = p->result;
	const struct scan_file	*f;
	filetype_mask		 m, byname;
	char			 name[520];
	int			 i;

	if (r->limits_exceeded || r->truncated) {
		char	 detail[400];

		/* SPEC §4.4: never silent; the action is smtp:252's. */
		snprintf(detail, sizeof(detail), "attachment=\"%s\" "
		    "reason=\"%s\"", p->name, r->truncated ?
		    "more files than recorded" : "scan limits exceeded");
		inspect_find(ins, ALARM_UNSCANNED, detail, NULL);
	}
	/*
	 * What libclamav types only as text (scripts) or cannot tell
	 * without the macro heuristic is known by its name; everything
	 * else by its content.
	 */
	byname = filetype_parse("script") | filetype_parse("office-macro");
	if ((m = filetype_of_ext(p->name) & byname & conf->block_types) != 0) {
		inspect_filetype(ins, p->name, filetype_name(m));
		return;
	}
	for (i = 0; i < r->nfiles; i++) {
		f = &r->files[i];
		m = (filetype_of(f->type) | (f->depth > 0 && f->name[0] != '\0' ?
		    filetype_of_ext(f->name) & byname : 0)) & conf->block_types;
		if (m == 0 && !(conf->block_packed_executables && f->packed))
			continue;
		if (f->depth > 0 && f->name[0] != '\0')
			snprintf(name, sizeof(name), "%s/%s", p->name,
			    f->name);
		else
			snprintf(name, sizeof(name), "%s", p->name);
		inspect_filetype(ins, name, m != 0 ? filetype_name(m) :
		    "packed-executable");
		return;
	}
	if (r->status != SCAN_VIRUS)
		return;
	/* The heuristics asked for are the only way to a match here. */
	if (strstr(r->virus, "Encrypted") != NULL)
		inspect_filetype(ins, p->name, "encrypted-archive");
	else if (strstr(r->virus, "Macro") != NULL)
		inspect_filetype(ins, p->name, "office-macro");
	else
		inspect_filetype(ins, p->name, r->virus);
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
		inspect_find(ins, ALARM_UNSCANNED, detail, NULL);
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
		inspect_find(ins, INSPECT_VIRUS, detail, reply);
		return;
	}
	if (r->status == SCAN_ERROR) {
		snprintf(detail, sizeof(detail), "reason=\"anti-virus: %s\"",
		    r->error);
		switch (conf->av_on_error) {
		case CONFIG_AV_PASS:
			inspect_find(ins, ALARM_UNSCANNED, detail, NULL);
			break;
		case CONFIG_AV_REJECT:
			inspect_find(ins, INSPECT_VIRUS, detail, "554 5.7.1 "
			    "Message could not be scanned for viruses");
			break;
		default:
			inspect_find(ins, INSPECT_VIRUS, detail, "451 4.3.0 "
			    "Message could not be scanned for viruses, try "
			    "again later");
			break;
		}
		return;
	}
	if (r->limits_exceeded || r->truncated) {
		snprintf(detail, sizeof(detail), "reason=\"anti-virus scan "
		    "limits exceeded\"");
		inspect_find(ins, ALARM_UNSCANNED, detail, NULL);
	}
}

enum inspect_verdict
inspect_verdict(struct inspect *ins, inspect_report_fn report, void *arg,
    char *reply, size_t replysz)
{
	struct inspect_part	*p;
	struct inspect_find	*f;
	enum inspect_verdict	 v = INSPECT_ACCEPT;
	enum alarm_action	 act;
	const char		*text;
	int			 i;

	if (ins->error || ins->scan_error) {
		char	 detail[600];

		/* Nothing unscanned passes; nothing is lost: try again. */
		snprintf(reply, replysz, "451 4.3.0 Message could not be "
		    "inspected, try again later");
		snprintf(detail, sizeof(detail), "reason=\"%s\"", ins->error ?
		    (ins->errstr[0] != '\0' ? ins->errstr : "out of memory") :
		    ins->scan_errstr);
		report(arg, INSPECT_FILETYPE, ALARM_PASS, detail);
		return INSPECT_TEMPFAIL;
	}
	if (ins->scan_av)
		inspect_av_verdict(ins);
	TAILQ_FOREACH(p, &ins->parts, entry)
		if (p->result != NULL)
			inspect_typed(ins, p);
	for (i = 0; i < ins->nfinds; i++) {
		f = &ins->finds[i];
		if (f->alarm == INSPECT_FILETYPE || f->alarm == INSPECT_VIRUS) {
			report(arg, f->alarm, ALARM_BLOCK, f->detail);
			if (v == INSPECT_ACCEPT || (v == INSPECT_TEMPFAIL &&
			    f->reply[0] == '5')) {
				v = f->reply[0] == '4' ? INSPECT_TEMPFAIL :
				    INSPECT_REJECT;
				snprintf(reply, replysz, "%s", f->reply);
			}
			continue;
		}
		act = ins->conf->alarm_action[f->alarm];
		/*
		 * Long header and body lines are common in real mail: log
		 * unless smtp:217 was configured (its default blocks long
		 * commands and replies).
		 */
		if (f->alarm == ALARM_PROTOCOL_OVERFLOW &&
		    !ins->conf->alarm_set[f->alarm])
			act = ALARM_LOG;
		report(arg, f->alarm, act, f->detail);
		/* Alarms that never refuse by default have no text. */
		text = alarm_table[f->alarm].text[0] != '\0' ?
		    alarm_table[f->alarm].text : alarm_table[f->alarm].name;
		if (act == ALARM_CLOSE && v != INSPECT_CLOSE) {
			v = INSPECT_CLOSE;
			snprintf(reply, replysz, "421 4.7.0 %s (%s)", text,
			    alarm_table[f->alarm].ident);
		} else if (act == ALARM_BLOCK && v == INSPECT_ACCEPT) {
			v = INSPECT_REJECT;
			/* smtp:217 refuses a message with 554 5.6.0. */
			snprintf(reply, replysz, "554 5.6.0 %s (%s)", text,
			    alarm_table[f->alarm].ident);
		}
	}
	return v;
}

void
inspect_free(struct inspect *ins)
{
	struct inspect_part	*p;

	if (ins == NULL)
		return;
	while ((p = TAILQ_FIRST(&ins->parts)) != NULL) {
		TAILQ_REMOVE(&ins->parts, p, entry);
		if (p->fd != -1)
			close(p->fd);
		free(p->mem);
		free(p->result);
		free(p);
	}
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
