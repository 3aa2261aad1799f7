/*
 * Content scanning with libclamav (SPEC §4.5, §4.6).
 *
 * One engine (struct scan_engine) is compiled per configuration or
 * signature load and shared, read-only, by every worker thread; a
 * reload builds a new one and drops the old one's reference, so scans
 * still running finish on the engine they started with. Each scan has
 * its own context (struct scan_ctx) which libclamav hands to the two
 * callbacks set on every engine:
 *
 * - the file inspection callback hands every file libclamav looks at,
 *   the input and everything inside it, with its true type, to the
 *   caller's scan_file_fn as it comes (nothing is collected here, so
 *   there is no cap on the number of files but libclamav's own);
 * - the virus-found callback sorts every alert into a signature match,
 *   an asked-for heuristic, or a scan limit that was hit.
 *
 * What libclamav 1.4 does, and so what the options below are for:
 *
 * - Without CL_SCAN_GENERAL_ALLMATCHES the scan stops at the first
 *   signature match and the files after it are never seen (a ZIP with
 *   EICAR first hides the executable after it), so all-match is always
 *   on. Heuristic alerts are only "potentially unwanted" and, without
 *   CL_SCAN_GENERAL_HEURISTIC_PRECEDENCE (never set), never stop a
 *   scan; in all-match mode every alert reaches the virus-found
 *   callback, heuristic ones when the scan ends, a signature match
 *   sometimes twice.
 * - The encrypted-archive (Heuristics.Encrypted.Zip, .RAR, .7Zip, ...)
 *   and macro (Heuristics.OLE2.ContainsMacros.VBA, .XLM) heuristics
 *   need only their CL_SCAN_HEURISTIC_* bit, not
 *   CL_SCAN_GENERAL_HEURISTICS. That bit would turn on more alerts
 *   (Heuristics.Zip.OverlappingFiles, PE heuristics), so it stays off.
 * - A limit hit (file or scan size, recursion, file count, scan time)
 *   is silent: the part over the limit is skipped and the scan is
 *   "clean"; a file over the file size limit is skipped whole, the
 *   inspection callback never sees it. CL_SCAN_HEURISTIC_EXCEEDS_MAX
 *   turns that into a "Heuristics.Limits.Exceeded.*" alert, which is
 *   always asked for and reported as limits_exceeded, never as a match.
 * - The clean-file cache skips a file (and everything inside it) that
 *   an earlier scan found clean, inspection callback included: the
 *   second copy of a ZIP would show no executable inside, and a file
 *   first scanned without a heuristic would be clean when it is asked
 *   for. The cache is disabled.
 * - LAYER_ATTRIBUTES_DECRYPTED (struct scan_file's decrypted) is not
 *   set on the objects of a PDF that libclamav decrypts with the empty
 *   user password (RC4 and AES alike); expect 0.
 * - An unpacked executable (UPX, ...) is scanned as an unnamed
 *   CL_TYPE_MSEXE one level below the packed one, with no layer
 *   attribute to say so (LAYER_ATTRIBUTES_NORMALIZED is for text
 *   normalization). An executable found inside another (an overlay, a
 *   resource) comes two levels below, an installer's files have names:
 *   so "unnamed executable right below an executable" is unpacking.
 */
#include "autoconf.h"

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <clamav.h>

#include "log.h"
#include "scan.h"

/*
 * Engine limits: libclamav 1.4's own defaults, set here so that a
 * library with smaller ones cannot shrink them. A message is at most
 * limits.message_size (50M by default) and antivirus.max_size (25M);
 * what goes over these is reported as limits_exceeded.
 */
#define SCAN_MAX_SCANSIZE	(400ULL * 1024 * 1024)	/* per scan */
#define SCAN_MAX_FILESIZE	(100ULL * 1024 * 1024)	/* per file */
#define SCAN_MAX_RECURSION	17			/* nesting */
#define SCAN_MAX_FILES		10000			/* files per scan */
#define SCAN_MAX_SCANTIME	120000			/* ms per scan */

/* Everything libclamav can open, except mail unless SCAN_F_MAIL. */
#define SCAN_PARSE	(CL_SCAN_PARSE_ARCHIVE | CL_SCAN_PARSE_ELF |	\
	CL_SCAN_PARSE_PDF | CL_SCAN_PARSE_SWF | CL_SCAN_PARSE_HWP3 |	\
	CL_SCAN_PARSE_XMLDOCS | CL_SCAN_PARSE_OLE2 | CL_SCAN_PARSE_HTML | \
	CL_SCAN_PARSE_PE | CL_SCAN_PARSE_ONENOTE |			\
	CL_SCAN_PARSE_IMAGE | CL_SCAN_PARSE_IMAGE_FUZZY_HASH)

#define HEUR_LIMITS	"Heuristics.Limits.Exceeded"
#define HEUR_ENCRYPTED	"Heuristics.Encrypted."
#define HEUR_MACROS	"Heuristics.OLE2.ContainsMacros"

struct scan_engine {
	struct cl_engine	*cl;
	unsigned		 sigs;
	atomic_uint		 refs;
};

/*
 * The last file reported at each depth, while it is the innermost open
 * one: what an unpacked image's container is looked up in.
 */
#define SCAN_LEVELS	(SCAN_MAX_RECURSION + 2)

struct scan_level {
	struct scan_file	 f;
	int			 valid;
};

/* One scan: what the callbacks fill. */
struct scan_ctx {
	struct scan_result	*r;
	int			 flags;		/* SCAN_F_* */
	int			 signature;	/* r->virus holds a signature */
	char			 heuristic[128]; /* the first asked heuristic */
	scan_file_fn		 fn;
	void			*arg;
	struct scan_level	 level[SCAN_LEVELS];
};

/* A region of an open file, for cl_fmap_open_handle(). */
struct scan_region {
	int		 fd;
	uint64_t	 off;
};

static pthread_once_t	 scan_once = PTHREAD_ONCE_INIT;
static cl_error_t	 scan_init_error = CL_SUCCESS;
/*
 * The first and the last libclamav error of this thread since
 * scan_engine_new() cleared them: for a broken database, the first says
 * what ("Problem parsing database at line 1"), the last which file.
 */
static _Thread_local char scan_first_error[128];
static _Thread_local char scan_last_error[128];

/*
 * libclamav's messages: errors are kept for scan_engine_new()'s message;
 * all are logged at debug level only, since a crafted attachment makes
 * libclamav complain and a peer must not be able to fill the log.
 * context is the scan's struct scan_ctx during a scan, else NULL.
 */
static void
scan_cb_msg(enum cl_msg severity, const char *fullmsg, const char *msg,
    void *context)
{
	char	 esc[256];
	size_t	 n;

	(void)fullmsg;
	(void)context;
	if (msg == NULL)
		return;
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		n--;
	if (severity == CL_MSG_ERROR) {
		if (scan_first_error[0] == '\0')
			snprintf(scan_first_error, sizeof(scan_first_error),
			    "%.*s", (int)n, msg);
		snprintf(scan_last_error, sizeof(scan_last_error), "%.*s",
		    (int)n, msg);
	}
	if (log_getlevel() >= LOG_LEVEL_DEBUG)
		log_debug("libclamav: %s",
		    log_escape(esc, sizeof(esc), msg, n));
}

static void
scan_init(void)
{
	cl_set_clcb_msg(scan_cb_msg);
	scan_init_error = cl_init(CL_INIT_DEFAULT);
}

const char *
scan_version(void)
{
	return cl_retver();
}

/* Copy src into dst (size dstsz), truncating; dst is always a string. */
static void
scan_copy(char *dst, size_t dstsz, const char *src)
{
	snprintf(dst, dstsz, "%s", src != NULL ? src : "");
}

static int
scan_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Executables that can hold an unpacked image: PE, which libclamav 1.4
 * unpacks, and ELF, should a later one unpack it.
 */
static int
scan_is_exec(const char *type)
{
	return strcmp(type, "CL_TYPE_MSEXE") == 0 ||
	    strcmp(type, "CL_TYPE_ELF") == 0;
}

static uint32_t
scan_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/*
 * Is this OLE2 compound file ([MS-CFB]) a Windows Installer file? Its
 * root directory entry (entry 0 of the first directory sector, whose
 * number is at header offset 0x30; sectors are 1 << (uint16 at 0x1e)
 * bytes and sector n starts at (n + 1) << shift) carries the CLSID
 * {000C1084-0000-0000-C000-000000000046} for an installer database,
 * ...1086... for a patch and ...1082... for a transform; the CLSID is at
 * 0x50 in the entry, stored little-endian.
 */
static int
scan_is_msi(const unsigned char *b, size_t len)
{
	static const unsigned char magic[8] = {
		0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1
	};
	static const unsigned char tail[14] = {
		0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x46
	};
	const unsigned char	*clsid;
	unsigned		 shift;
	uint32_t		 dirsect;
	uint64_t		 off;

	if (len < 512 || memcmp(b, magic, sizeof(magic)) != 0)
		return 0;
	shift = (unsigned)b[0x1e] | (unsigned)b[0x1f] << 8;
	if (shift != 9 && shift != 12)
		return 0;
	dirsect = scan_le32(b + 0x30);
	if (dirsect >= 0xfffffffaU)
		return 0;
	off = ((uint64_t)dirsect + 1) << shift;
	if (off > len || len - off < 128 || b[off + 0x42] != 5)
		return 0;
	clsid = b + off + 0x50;
	if (clsid[1] != 0x10 || memcmp(clsid + 2, tail, sizeof(tail)) != 0)
		return 0;
	return clsid[0] == 0x84 || clsid[0] == 0x86 || clsid[0] == 0x82;
}

/* The type to record: libclamav's, refined (see struct scan_file). */
static const char *
scan_refine(const char *type, const char *buf, size_t len)
{
	if (buf == NULL)
		return type;
	if (strcmp(type, "CL_TYPE_MSOLE2") == 0 &&
	    scan_is_msi((const unsigned char *)buf, len))
		return "CL_TYPE_MSI";
	if ((strcmp(type, "CL_TYPE_TEXT_ASCII") == 0 ||
	    strcmp(type, "CL_TYPE_TEXT_UTF8") == 0) &&
	    len >= 2 && buf[0] == '#' && buf[1] == '!')
		return "CL_TYPE_SCRIPT";
	return type;
}

/* libclamav's names for what it extracted without one: "clamav-HEX.tmp". */
static int
scan_tmpname(const char *name)
{
	size_t	 n = strlen(name);

	return n > 11 && scan_prefix(name, "clamav-") &&
	    strcmp(name + n - 4, ".tmp") == 0;
}

/*
 * A new file f: if it is an unnamed executable right below an
 * executable (the innermost open file one level up: files come in the
 * order libclamav reaches them, so that is its container), the
 * container was unpacked: report it again, packed. Then f is the
 * innermost open file at its depth.
 */
static void
scan_levels(struct scan_ctx *c, const struct scan_file *f)
{
	struct scan_level	*up;
	unsigned		 d = f->depth, i;

	if (d >= SCAN_LEVELS)
		return;
	if (d > 0 && f->name[0] == '\0' && scan_is_exec(f->type)) {
		up = &c->level[d - 1];
		if (up->valid && scan_is_exec(up->f.type) && !up->f.packed) {
			up->f.packed = 1;
			if (c->fn != NULL)
				c->fn(c->arg, &up->f);
		}
	}
	c->level[d].f = *f;
	c->level[d].valid = 1;
	for (i = d + 1; i < SCAN_LEVELS; i++)
		c->level[i].valid = 0;
}

static cl_error_t
scan_cb_file(int fd, const char *type, const char **ancestors,
    size_t parent_size, const char *name, size_t size, const char *buf,
    uint32_t depth, uint32_t attributes, void *arg)
{
	struct scan_ctx		*c = arg;
	struct scan_file	 f;

	(void)fd;
	(void)ancestors;
	(void)parent_size;
	if (c == NULL || type == NULL)
		return CL_CLEAN;
	if (attributes & LAYER_ATTRIBUTES_NORMALIZED)
		return CL_CLEAN;
	memset(&f, 0, sizeof(f));
	f.seq = c->r->nfiles++;
	scan_copy(f.type, sizeof(f.type), scan_refine(type, buf, size));
	if (name != NULL && !scan_tmpname(name))
		scan_copy(f.name, sizeof(f.name), name);
	f.depth = depth;
	f.decrypted = (attributes & LAYER_ATTRIBUTES_DECRYPTED) != 0;
	f.size = size;
	scan_levels(c, &f);
	if (c->fn != NULL)
		c->fn(c->arg, &f);
	return CL_CLEAN;
}

/*
 * Sort one alert: a limit hit, a heuristic (kept if asked for), or
 * else a signature. The first of each kind is kept.
 */
static void
scan_alert(struct scan_ctx *c, const char *virname)
{
	int	 asked;

	if (virname == NULL || *virname == '\0')
		return;
	if (scan_prefix(virname, HEUR_LIMITS)) {
		if (!c->r->limits_exceeded)
			scan_copy(c->r->limit, sizeof(c->r->limit), virname);
		c->r->limits_exceeded = 1;
		return;
	}
	if (scan_prefix(virname, HEUR_ENCRYPTED))
		asked = c->flags & SCAN_F_ENCRYPTED;
	else if (scan_prefix(virname, HEUR_MACROS))
		asked = c->flags & SCAN_F_MACROS;
	else {
		if (!c->signature) {
			scan_copy(c->r->virus, sizeof(c->r->virus), virname);
			c->signature = 1;
		}
		return;
	}
	if (asked && c->heuristic[0] == '\0')
		scan_copy(c->heuristic, sizeof(c->heuristic), virname);
}

static void
scan_cb_virus(int fd, const char *virname, void *arg)
{
	(void)fd;
	if (arg != NULL)
		scan_alert(arg, virname);
}

/* "DATABASE: what (first error; last error)" */
static void
scan_load_error(char *err, size_t errsz, const char *database,
    cl_error_t rc)
{
	if (scan_first_error[0] == '\0')
		snprintf(err, errsz, "%s: %s", database, cl_strerror(rc));
	else if (strcmp(scan_first_error, scan_last_error) == 0)
		snprintf(err, errsz, "%s: %s (%s)", database, cl_strerror(rc),
		    scan_first_error);
	else
		snprintf(err, errsz, "%s: %s (%s; %s)", database,
		    cl_strerror(rc), scan_first_error, scan_last_error);
}

struct scan_engine *
scan_engine_new(const char *database, char *err, size_t errsz)
{
	struct scan_engine	*e;
	cl_error_t		 rc;

	scan_copy(err, errsz, "");
	if (pthread_once(&scan_once, scan_init) != 0) {
		snprintf(err, errsz, "libclamav: cannot initialize");
		return NULL;
	}
	if (scan_init_error != CL_SUCCESS) {
		snprintf(err, errsz, "libclamav: cl_init: %s",
		    cl_strerror(scan_init_error));
		return NULL;
	}
	if ((e = calloc(1, sizeof(*e))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	atomic_init(&e->refs, 1);
	if ((e->cl = cl_engine_new()) == NULL) {
		snprintf(err, errsz, "libclamav: cannot create an engine");
		goto fail;
	}
	if ((rc = cl_engine_set_num(e->cl, CL_ENGINE_MAX_SCANSIZE,
	    SCAN_MAX_SCANSIZE)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e->cl, CL_ENGINE_MAX_FILESIZE,
	    SCAN_MAX_FILESIZE)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e->cl, CL_ENGINE_MAX_RECURSION,
	    SCAN_MAX_RECURSION)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e->cl, CL_ENGINE_MAX_FILES,
	    SCAN_MAX_FILES)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e->cl, CL_ENGINE_MAX_SCANTIME,
	    SCAN_MAX_SCANTIME)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e->cl, CL_ENGINE_DISABLE_CACHE, 1)) !=
	    CL_SUCCESS) {
		snprintf(err, errsz, "libclamav: engine limits: %s",
		    cl_strerror(rc));
		goto fail;
	}
	if (database != NULL) {
		scan_first_error[0] = scan_last_error[0] = '\0';
		rc = cl_load(database, e->cl, &e->sigs, CL_DB_STDOPT);
		if (rc != CL_SUCCESS) {
			scan_load_error(err, errsz, database, rc);
			goto fail;
		}
		if (e->sigs == 0) {
			snprintf(err, errsz, "%s: no signatures", database);
			goto fail;
		}
	}
	cl_engine_set_clcb_file_inspection(e->cl, scan_cb_file);
	cl_engine_set_clcb_virus_found(e->cl, scan_cb_virus);
	if ((rc = cl_engine_compile(e->cl)) != CL_SUCCESS) {
		snprintf(err, errsz, "libclamav: compiling the engine: %s",
		    cl_strerror(rc));
		goto fail;
	}
	return e;

 fail:
	if (e->cl != NULL)
		cl_engine_free(e->cl);
	free(e);
	return NULL;
}

unsigned
scan_engine_signatures(const struct scan_engine *e)
{
	return e != NULL ? e->sigs : 0;
}

struct scan_engine *
scan_engine_ref(struct scan_engine *e)
{
	if (e != NULL)
		atomic_fetch_add(&e->refs, 1);
	return e;
}

void
scan_engine_unref(struct scan_engine *e)
{
	if (e == NULL || atomic_fetch_sub(&e->refs, 1) != 1)
		return;
	cl_engine_free(e->cl);
	free(e);
}

static void
scan_begin(struct scan_ctx *c, struct scan_result *r, int flags,
    scan_file_fn fn, void *arg, struct cl_scan_options *o)
{
	memset(r, 0, sizeof(*r));
	r->status = SCAN_CLEAN;
	memset(c, 0, sizeof(*c));
	c->r = r;
	c->flags = flags;
	c->fn = fn;
	c->arg = arg;

	memset(o, 0, sizeof(*o));
	o->general = CL_SCAN_GENERAL_ALLMATCHES;
	o->parse = SCAN_PARSE;
	if (flags & SCAN_F_MAIL)
		o->parse |= CL_SCAN_PARSE_MAIL;
	o->heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX;
	if (flags & SCAN_F_ENCRYPTED)
		o->heuristic |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE;
	if (flags & SCAN_F_MACROS)
		o->heuristic |= CL_SCAN_HEURISTIC_MACROS;
}

/* The verdict from what the callbacks and libclamav's return said. */
static int
scan_end(struct scan_ctx *c, cl_error_t rc, const char *virname)
{
	struct scan_result	*r = c->r;

	switch (rc) {
	case CL_CLEAN:
	case CL_VERIFIED:	/* trusted by a signature database */
		break;
	case CL_VIRUS:
		/* Normally already seen by scan_cb_virus(). */
		scan_alert(c, virname);
		break;
	case CL_ETIMEOUT:
	case CL_EMAXREC:
	case CL_EMAXSIZE:
	case CL_EMAXFILES:
		if (!r->limits_exceeded)
			scan_copy(r->limit, sizeof(r->limit), cl_strerror(rc));
		r->limits_exceeded = 1;
		break;
	default:
		/* A match found before the error still stands. */
		if (c->signature || c->heuristic[0] != '\0')
			break;
		r->status = SCAN_ERROR;
		snprintf(r->error, sizeof(r->error), "libclamav: %s",
		    cl_strerror(rc));
		return -1;
	}
	if (c->signature)
		r->status = SCAN_VIRUS;
	else if (c->heuristic[0] != '\0') {
		r->status = SCAN_VIRUS;
		scan_copy(r->virus, sizeof(r->virus), c->heuristic);
	}
	return 0;
}

static int
scan_fail(struct scan_result *r, const char *msg)
{
	r->status = SCAN_ERROR;
	scan_copy(r->error, sizeof(r->error), msg);
	return -1;
}

/* Scan a map; closes it. */
static int
scan_map(struct scan_engine *e, cl_fmap_t *map, const char *name,
    struct scan_ctx *c, struct cl_scan_options *o)
{
	const char	*virname = NULL;
	unsigned long	 scanned = 0;
	cl_error_t	 rc;

	rc = cl_scanmap_callback(map, name, &virname, &scanned, e->cl, o, c);
	cl_fmap_close(map);
	return scan_end(c, rc, virname);
}

int
scan_memory(struct scan_engine *e, const void *buf, size_t len,
    const char *name, int flags, scan_file_fn fn, void *arg,
    struct scan_result *r)
{
	struct cl_scan_options	 o;
	struct scan_ctx		 c;
	cl_fmap_t		*map;

	scan_begin(&c, r, flags, fn, arg, &o);
	if (e == NULL)
		return scan_fail(r, "no scan engine");
	if (len == 0)
		return 0;	/* nothing to scan is clean */
	if (buf == NULL)
		return scan_fail(r, "no input");
	if ((map = cl_fmap_open_memory(buf, len)) == NULL)
		return scan_fail(r, "libclamav: cannot map the input");
	return scan_map(e, map, name, &c, &o);
}

int
scan_fd(struct scan_engine *e, int fd, const char *name, int flags,
    scan_file_fn fn, void *arg, struct scan_result *r)
{
	struct cl_scan_options	 o;
	struct scan_ctx		 c;
	const char		*virname = NULL;
	unsigned long		 scanned = 0;
	cl_error_t		 rc;

	scan_begin(&c, r, flags, fn, arg, &o);
	if (e == NULL)
		return scan_fail(r, "no scan engine");
	if (fd < 0)
		return scan_fail(r, "no input");
	rc = cl_scandesc_callback(fd, name, &virname, &scanned, e->cl, &o,
	    &c);
	return scan_end(&c, rc, virname);
}

/* libclamav's reads of a region: pread(2) at the region's offset. */
static off_t
scan_pread(void *handle, void *buf, size_t count, off_t offset)
{
	const struct scan_region	*g = handle;
	ssize_t				 n;

	do
		n = pread(g->fd, buf, count, (off_t)g->off + offset);
	while (n == -1 && errno == EINTR);
	return (off_t)n;
}

/*
 * A region, mapped read-only and scanned from memory: libclamav reads
 * the page cache in place. Else (mmap refused) through
 * cl_fmap_open_handle() with our own pread callback (the map's own
 * offset argument stays 0: the callback adds the region's start, so
 * libclamav sees a file of len bytes), as cl_scandesc() does for a
 * descriptor. The map comes first because libclamav preads into pages
 * of its own that each fault when first written, and in a process with
 * threads on other CPUs every such fault flushes their TLBs too: on a
 * large spooled part, more than its typing costs.
 */
int
scan_fd_region(struct scan_engine *e, int fd, uint64_t off, uint64_t len,
    const char *name, int flags, scan_file_fn fn, void *arg,
    struct scan_result *r)
{
	struct cl_scan_options	 o;
	struct scan_ctx		 c;
	struct scan_region	 g;
	cl_fmap_t		*map;
	struct stat		 st;
	void			*mem;
	uint64_t		 page;
	size_t			 skip;
	int			 rv;

	scan_begin(&c, r, flags, fn, arg, &o);
	if (e == NULL)
		return scan_fail(r, "no scan engine");
	if (fd < 0)
		return scan_fail(r, "no input");
	if (len == 0)
		return 0;
	if (len > SIZE_MAX)
		return scan_fail(r, "input too large");
	/* Within the file only: a page past its end would be SIGBUS. */
	page = (uint64_t)sysconf(_SC_PAGESIZE);
	skip = (size_t)(off % page);
	if (fstat(fd, &st) == 0 && st.st_size >= 0 &&
	    off <= (uint64_t)st.st_size && len <= (uint64_t)st.st_size - off &&
	    len <= SIZE_MAX - skip &&
	    (mem = mmap(NULL, (size_t)len + skip, PROT_READ, MAP_PRIVATE, fd,
	    (off_t)(off - skip))) != MAP_FAILED) {
		if ((map = cl_fmap_open_memory((const char *)mem + skip,
		    (size_t)len)) == NULL) {
			(void)munmap(mem, (size_t)len + skip);
			return scan_fail(r, "libclamav: cannot map the input");
		}
		rv = scan_map(e, map, name, &c, &o);
		(void)munmap(mem, (size_t)len + skip);
		return rv;
	}
	g.fd = fd;
	g.off = off;
	if ((map = cl_fmap_open_handle(&g, 0, (size_t)len, scan_pread, 1)) ==
	    NULL)
		return scan_fail(r, "libclamav: cannot map the input");
	return scan_map(e, map, name, &c, &o);
}
