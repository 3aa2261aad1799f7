/*
 * The bare cost of libclamav, for the benchmark: the CPU time libclamav
 * takes to type (or, with -d, to scan) files with the engine settings and
 * scan options smtpproxy uses (src/scan.c), with nothing of the proxy
 * around it. contrib/bench/clamcost.sh prints it beside the proxy's CPU
 * time per message.
 *
 *	clamtype [-d database] [-n scans] [-r] [-E] [-M] file...
 *
 * Without -d the engine has no signatures, as the proxy's file typing
 * engine: what is measured is libclamav opening, decoding and typing the
 * file and what is inside it (the file inspection callback sees each).
 * With -d it is the anti-virus engine, the database loaded from that
 * directory or file. Each file is scanned -n times (10 by default); the
 * median CPU time of a scan is reported. -r scans from memory
 * (cl_fmap_open_memory(), as the proxy does with the parts of a message
 * it keeps in memory), else from the descriptor (cl_scandesc_callback(),
 * as it does with spooled messages). -E and -M ask for the
 * encrypted-archive and macro heuristics, as the filetypes settings
 * block_encrypted_archives and block_office_macros do. The mail parser is
 * always on, as in the proxy (SCAN_F_MAIL).
 *
 * Output: a line per file, then
 *	result files=N bytes=B cpu_ms=T
 * where T is the sum over the files of their median CPU time per scan:
 * the bare libclamav cost of one message that carries these files.
 *
 * Build: cc -O2 $(pkg-config --cflags libclamav) clamtype.c \
 *	$(pkg-config --libs libclamav) -o clamtype
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <clamav.h>

/* As src/scan.c. */
#define SCAN_MAX_SCANSIZE	(400ULL * 1024 * 1024)
#define SCAN_MAX_FILESIZE	(100ULL * 1024 * 1024)
#define SCAN_MAX_RECURSION	17
#define SCAN_MAX_FILES		10000
#define SCAN_MAX_SCANTIME	120000

#define SCAN_PARSE	(CL_SCAN_PARSE_ARCHIVE | CL_SCAN_PARSE_ELF |	\
	CL_SCAN_PARSE_PDF | CL_SCAN_PARSE_SWF | CL_SCAN_PARSE_HWP3 |	\
	CL_SCAN_PARSE_XMLDOCS | CL_SCAN_PARSE_OLE2 | CL_SCAN_PARSE_HTML | \
	CL_SCAN_PARSE_PE | CL_SCAN_PARSE_ONENOTE |			\
	CL_SCAN_PARSE_IMAGE | CL_SCAN_PARSE_IMAGE_FUZZY_HASH)

/* What the callbacks saw in one scan. */
struct seen {
	unsigned	 files;
	char		 type[64];	/* of the input itself */
	char		 virus[128];	/* the first alert */
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: clamtype [-d database] [-n scans] [-r] "
	    "[-E] [-M] file...\n");
	exit(2);
}

static cl_error_t
cb_file(int fd, const char *type, const char **ancestors, size_t parent_size,
    const char *name, size_t size, const char *buf, uint32_t depth,
    uint32_t attributes, void *arg)
{
	struct seen	*s = arg;

	(void)fd;
	(void)ancestors;
	(void)parent_size;
	(void)name;
	(void)size;
	(void)buf;
	(void)attributes;
	if (s == NULL || type == NULL)
		return CL_CLEAN;
	if (s->files++ == 0 || depth == 0)
		snprintf(s->type, sizeof(s->type), "%s", type);
	return CL_CLEAN;
}

static void
cb_virus(int fd, const char *virname, void *arg)
{
	struct seen	*s = arg;

	(void)fd;
	if (s != NULL && s->virus[0] == '\0' && virname != NULL)
		snprintf(s->virus, sizeof(s->virus), "%s", virname);
}

static double
cpu_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) == -1)
		err(2, "clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
wall_now(void)
{
	struct timespec	 ts;

	if (clock_gettime(CLOCK_MONOTONIC, &ts) == -1)
		err(2, "clock_gettime");
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static struct cl_engine *
engine_new(const char *database, unsigned *sigs_r)
{
	struct cl_engine	*e;
	cl_error_t		 rc;

	*sigs_r = 0;
	if ((e = cl_engine_new()) == NULL)
		errx(2, "cl_engine_new failed");
	if ((rc = cl_engine_set_num(e, CL_ENGINE_MAX_SCANSIZE,
	    SCAN_MAX_SCANSIZE)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_FILESIZE,
	    SCAN_MAX_FILESIZE)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_RECURSION,
	    SCAN_MAX_RECURSION)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_FILES,
	    SCAN_MAX_FILES)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_MAX_SCANTIME,
	    SCAN_MAX_SCANTIME)) != CL_SUCCESS ||
	    (rc = cl_engine_set_num(e, CL_ENGINE_DISABLE_CACHE, 1)) !=
	    CL_SUCCESS)
		errx(2, "engine limits: %s", cl_strerror(rc));
	if (database != NULL &&
	    (rc = cl_load(database, e, sigs_r, CL_DB_STDOPT)) != CL_SUCCESS)
		errx(2, "%s: %s", database, cl_strerror(rc));
	cl_engine_set_clcb_file_inspection(e, cb_file);
	cl_engine_set_clcb_virus_found(e, cb_virus);
	if ((rc = cl_engine_compile(e)) != CL_SUCCESS)
		errx(2, "cl_engine_compile: %s", cl_strerror(rc));
	return e;
}

/* One scan of fd (or of mem, when not NULL); returns its CPU time. */
static double
scan_once(struct cl_engine *e, int fd, const void *mem, size_t len,
    const char *name, struct cl_scan_options *o, struct seen *s)
{
	const char	*virname = NULL;
	unsigned long	 scanned = 0;
	cl_fmap_t	*map;
	cl_error_t	 rc;
	double		 t0;

	memset(s, 0, sizeof(*s));
	t0 = cpu_now();
	if (mem != NULL) {
		if ((map = cl_fmap_open_memory(mem, len)) == NULL)
			errx(2, "%s: cannot map", name);
		rc = cl_scanmap_callback(map, name, &virname, &scanned, e, o,
		    s);
		cl_fmap_close(map);
	} else {
		if (lseek(fd, 0, SEEK_SET) == -1)
			err(2, "%s", name);
		rc = cl_scandesc_callback(fd, name, &virname, &scanned, e, o,
		    s);
	}
	t0 = cpu_now() - t0;
	if (rc == CL_VIRUS && s->virus[0] == '\0' && virname != NULL)
		snprintf(s->virus, sizeof(s->virus), "%s", virname);
	else if (rc != CL_CLEAN && rc != CL_VIRUS && rc != CL_VERIFIED)
		snprintf(s->virus, sizeof(s->virus), "(%s)", cl_strerror(rc));
	return t0;
}

int
main(int argc, char *argv[])
{
	struct cl_scan_options	 o;
	struct cl_engine	*e;
	struct seen		 s;
	struct stat		 st;
	const char		*database = NULL;
	double			*t, total = 0, load;
	unsigned long long	 bytes = 0;
	unsigned		 sigs;
	char			*mem;
	cl_error_t		 rc;
	int			 c, fd, i, n = 10, inmem = 0, heur = 0;
	int			 nfiles = 0;

	while ((c = getopt(argc, argv, "d:n:rEMh")) != -1) {
		switch (c) {
		case 'd':
			database = optarg;
			break;
		case 'n':
			n = atoi(optarg);
			if (n <= 0)
				usage();
			break;
		case 'r':
			inmem = 1;
			break;
		case 'E':
			heur |= CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE;
			break;
		case 'M':
			heur |= CL_SCAN_HEURISTIC_MACROS;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0)
		usage();

	if ((rc = cl_init(CL_INIT_DEFAULT)) != CL_SUCCESS)
		errx(2, "cl_init: %s", cl_strerror(rc));
	load = wall_now();
	e = engine_new(database, &sigs);
	load = wall_now() - load;
	printf("clamtype: libclamav %s, %s, loaded in %.2f s; %d scan(s) "
	    "per file from %s\n", cl_retver(), database != NULL ?
	    "anti-virus engine" : "file typing engine (no signatures)",
	    load, n, inmem ? "memory" : "the descriptor");
	if (database != NULL)
		printf("clamtype: %u signatures from %s\n", sigs, database);

	/* As scan_begin() in src/scan.c, with SCAN_F_MAIL. */
	memset(&o, 0, sizeof(o));
	o.general = CL_SCAN_GENERAL_ALLMATCHES;
	o.parse = SCAN_PARSE | CL_SCAN_PARSE_MAIL;
	o.heuristic = CL_SCAN_HEURISTIC_EXCEEDS_MAX | heur;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		err(2, "calloc");
	for (; argc > 0; argc--, argv++) {
		if ((fd = open(argv[0], O_RDONLY)) == -1)
			err(2, "%s", argv[0]);
		if (fstat(fd, &st) == -1)
			err(2, "%s", argv[0]);
		mem = NULL;
		if (inmem) {
			if ((mem = malloc(st.st_size > 0 ? st.st_size : 1)) ==
			    NULL)
				err(2, "malloc");
			if (read(fd, mem, st.st_size) != st.st_size)
				errx(2, "%s: short read", argv[0]);
		}
		for (i = 0; i < n; i++)
			t[i] = scan_once(e, fd, mem, st.st_size, argv[0], &o,
			    &s);
		qsort(t, n, sizeof(*t), cmp_double);
		printf("%s: %lld bytes, CPU per scan %.3f ms median "
		    "(%.3f-%.3f), %.2f ms/MB; %u file(s) seen, type %s%s%s\n",
		    argv[0], (long long)st.st_size, t[n / 2] * 1e3, t[0] * 1e3,
		    t[n - 1] * 1e3, st.st_size > 0 ? t[n / 2] * 1e3 /
		    (st.st_size / 1e6) : 0, s.files,
		    s.type[0] != '\0' ? s.type : "?",
		    s.virus[0] != '\0' ? ", alert " : "", s.virus);
		total += t[n / 2];
		nfiles++;
		bytes += st.st_size;
		free(mem);
		close(fd);
	}
	printf("result files=%d bytes=%llu cpu_ms=%.3f\n", nfiles,
	    bytes, total * 1e3);
	free(t);
	cl_engine_free(e);
	return 0;
}
