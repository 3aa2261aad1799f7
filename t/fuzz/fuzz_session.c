/*
 * libFuzzer target for the whole session (src/session.c, command.c,
 * tx.c and everything they call), run over real sockets in one
 * process: the client is one end of a socketpair handed to
 * session_new(), the upstream is a listener on 127.0.0.1 (an
 * ephemeral port; FUZZ_SESSION_UNIX=1 uses an AF_UNIX path instead)
 * that session_set_upstream() points relay mode at. The harness plays
 * both peers and turns the event loop with EVLOOP_NONBLOCK until
 * nothing moves after each operation.
 *
 * Input encoding. Byte 0 picks the configuration (value % FZ_NCONF, see
 * fz_conf_text[]); the rest is a sequence of operations, each an opcode
 * byte (value % FZ_NOPS) followed by its arguments. An operation whose
 * arguments are cut short by the end of the input is dropped.
 *
 *   0 CSEND   len:1 bytes:len    client sends bytes
 *   1 CCANNED idx:1              client sends fz_client_canned[idx % n]
 *   2 CREPEAT cnt:1 len:1 bytes  client sends bytes (cnt + 1)^2 * 4
 *                                times (at most FZ_BUDGET bytes an input)
 *   3 USEND   len:1 bytes:len    upstream sends bytes
 *   4 UCANNED idx:1              upstream sends fz_up_canned[idx % n]
 *                                (answers the oldest line it read)
 *   5 UANSWER                    upstream answers every line it read and
 *                                did not answer yet (greeting first if it
 *                                has said nothing): EHLO a long EHLO reply,
 *                                DATA 354, end of data 250, AUTH 334/235,
 *                                STARTTLS 220, QUIT 221, others 250
 *   6 CCLOSE  how:1              client closes (even) or shuts down its
 *                                write side (odd)
 *   7 UCLOSE  how:1              upstream closes: reset (even) or FIN (odd)
 *   8 CREAD   on:1               client reads its replies (odd) or stops
 *                                reading them (even); it reads at start
 *   9 UREAD   on:1               the same for the upstream
 *  10 TIME    secs:1             the clock jumps (secs % 32) + 1 seconds
 *                                forward: timeouts fire
 *  11 RELOAD  idx:1              configuration idx % FZ_NCONF is loaded
 *                                again from its file (as on HUP); sessions
 *                                opened later use it
 *  12 NEWSESS                    the client closes; a new session starts
 *                                (at most FZ_MAXSESS an input)
 *  13 CSENDL  len:2 bytes:len    client sends bytes, len little-endian
 *  14 UREPEAT cnt:1 len:1 bytes  upstream sends bytes, repeated as CREPEAT
 *
 * Data one side cannot send (the other side does not read) within a
 * turn of the loop is dropped. The session's end of the client
 * socketpair has a small send buffer, and the upstream's sockets a
 * small receive buffer, so what a peer that stops reading is sent
 * backs up in the session's output after a few kilobytes.
 *
 * Time: libevent reads CLOCK_MONOTONIC(_COARSE); clock_gettime() is
 * interposed here to add a fake offset that TIME advances, so the
 * configured timeouts (1 to 5 seconds) fire without waiting.
 *
 * Checked (abort() on violation), besides what the sanitizers see:
 *  - the memory the process holds never grows by more than
 *    FUZZ_SESSION_MEM_MB (default 8: eight times the FZ_BUDGET a peer
 *    may send) over the start of the input, whatever the peers send
 *    or leave unread (SPEC "every buffer has a limit"; AddressSanitizer
 *    builds only);
 *  - the upstream never holds more than FZ_OWED_MAX commands it read
 *    and did not answer: the session stops parsing at
 *    SESSION_PENDING_MAX outstanding replies. The harness follows the
 *    dialog from both directions (lines read split on CRLF, replies
 *    written ended by every line not "NNN-"); after a 220 or a reply
 *    written before the line it answers was read, it no longer knows
 *    and does not check;
 *  - every session is freed once both peers are gone (and, after that,
 *    at most SESSION_FLUSH_TIMEOUT has passed), and no descriptor is
 *    left open after an input.
 *
 * Build and run: t/fuzz/run.sh [-t SECONDS] session. FUZZ_DEBUG=1 logs
 * at debug level to stderr.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "session.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/allocator_interface.h>
#define FZ_HAVE_ASAN	1
#endif
#endif

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	clock_gettime(clockid_t, struct timespec *);

#define FZ_NOPS		15
#define FZ_MAXSESS	4
#define FZ_MAXUP	8		/* upstream connections at once */
#define FZ_BUDGET	(1024 * 1024)	/* bytes a side, an input */
#define FZ_MAXQ		4096		/* upstream lines not answered */
#define FZ_PASSES	2000		/* loop turns per operation */
#define FZ_SNDBUF	4096		/* session's client send buffer */
#define FZ_RCVBUF	4096		/* upstream's receive buffer */
#define FZ_SPIN		200		/* idle turns with callbacks active */
/*
 * Commands the upstream may have read and not answered: the session
 * parses nothing while SESSION_PENDING_MAX (256, session_priv.h)
 * replies are outstanding, each forwarded command holds one; a little
 * slack on top.
 */
#define FZ_OWED_MAX	264

/* Configurations, all in relay mode with short timeouts. */
static const char fz_conf_common[] =
    "listen = { \"127.0.0.1:1\" }\n"
    "mode = \"relay\"\n"
    "upstream = \"127.0.0.1:2\"\n"
    "hostname = \"proxy.test\"\n"
    "timeouts { connect = 2 greeting = 3 command = 4 reply = 3\n"
    "    data_block = 2 data_end = 3 idle = 5 }\n";

static const char *const fz_conf_text[] = {
	/* 0: defaults */
	"",
	/* 1: small limits */
	"limits { message_size = 1K recipients = 2 }\n"
	"max_bad_commands = 3\n",
	/* 2: file types and header alarms */
	"filetypes { enabled = true block_extensions = { \"exe\", "
	"\"tar.gz\" } }\n"
	"alarm \"smtp:231\" { action = \"block\" }\n"
	"alarm \"smtp:122\" { action = \"block\" }\n"
	"alarm \"smtp:247\" { action = \"block\" }\n"
	"alarm \"smtp:250\" { action = \"block\" }\n",
	/* 3: alarms that close */
	"alarm \"smtp:251\" { action = \"close\" }\n"
	"alarm \"smtp:241\" { action = \"close\" }\n"
	"alarm \"smtp:217\" { action = \"close\" }\n"
	"alarm \"smtp:219\" { action = \"close\" }\n"
	"alarm \"smtp:243\" { action = \"close\" }\n"
	"alarm \"smtp:245\" { action = \"close\" }\n"
	"alarm \"smtp:223\" { action = \"close\" }\n"
	"limits { message_size = 1K }\n",
	/* 4: banner masked, EHLO host replaced, few extensions */
	"banner { mode = \"mask\" ehlo = true }\n"
	"extensions { allow = { \"SIZE\", \"PIPELINING\", \"8BITMIME\" } }\n",
	/* 5: banner replaced, MailGuard commands, pipelining closes */
	"banner { mode = \"replace\" text = \"gw.test ESMTP\" }\n"
	"commands { profile = \"mailguard\" }\n"
	"alarm \"smtp:251\" { action = \"close\" }\n"
	"limits { message_size = 1K }\n",
	/* 6: no inspection at all */
	"inspect = false\n"
	"limits { message_size = 1K }\n",
	/* 7: lenient alarms, extra commands */
	"alarm \"smtp:217\" { action = \"log\" }\n"
	"alarm \"smtp:241\" { action = \"log\" }\n"
	"alarm \"smtp:219\" { action = \"pass\" }\n"
	"alarm \"smtp:251\" { action = \"log\" }\n"
	"alarm \"smtp:243\" { action = \"log\" }\n"
	"alarm \"smtp:245\" { action = \"log\" }\n"
	"alarm \"smtp:242\" { action = \"block\" }\n"
	"commands { allow = { \"VRFY\", \"EXPN\", \"ETRN\" } }\n"
	"limits { message_size = 1K }\n",
	/* 8: access denied */
	"access { default = \"deny\" }\n",
	/* 9: custom commands, no extension filter, early talk and
	   pipelining close */
	"commands { profile = \"custom\" allow = { \"HELO\", \"EHLO\", "
	"\"MAIL\", \"RCPT\", \"DATA\", \"QUIT\", \"AUTH\", \"VRFY\" } }\n"
	"extensions { enabled = false }\n"
	"alarm \"smtp:242\" { action = \"close\" }\n"
	"alarm \"smtp:251\" { action = \"close\" }\n"
	"limits { message_size = 1K }\n",
	/* 10: no STARTTLS */
	"tls { mode = \"off\" }\n",
	/* 11: STARTTLS answered by the proxy; the peers' bytes after it go
	   to OpenSSL's handshake (@DIR@: the harness's directory, where
	   fz_conf_init() makes the certificate) */
	"tls { mode = \"inspect\" certificate = \"@DIR@/cert.pem\"\n"
	"key = \"@DIR@/key.pem\" }\n"
	"alarm \"smtp:253\" { action = \"close\" }\n",
	/* 12: the same, the upstream leg required */
	"tls { mode = \"inspect\" certificate = \"@DIR@/cert.pem\"\n"
	"key = \"@DIR@/key.pem\" upstream = \"required\" }\n",
};
#define FZ_NCONF	(sizeof(fz_conf_text) / sizeof(fz_conf_text[0]))

static const char *const fz_client_canned[] = {
	"EHLO client.test\r\n",
	"HELO client.test\r\n",
	"MAIL FROM:<a@b.test>\r\n",
	"RCPT TO:<c@d.test>\r\n",
	"DATA\r\n",
	"Subject: x\r\nFrom: a@b.test\r\n\r\nbody\r\n.\r\n",
	"QUIT\r\n",
	"NOOP\r\n",
	"RSET\r\n",
	"STARTTLS\r\n",
	"AUTH PLAIN AGFAYg==\r\n",
	"AUTH LOGIN\r\n",
	"MAIL FROM:<a@b.test> SIZE=99999999 BODY=8BITMIME\r\n",
	"BDAT 5 LAST\r\n",
	"MIME-Version: 1.0\r\n"
	"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	"--b\r\nContent-Type: application/octet-stream\r\n"
	"Content-Disposition: attachment; filename*=UTF-8''x%2Eexe\r\n"
	"Content-Transfer-Encoding: base64\r\n\r\nTVqQAAMAAAAEAAAA\r\n"
	"--b--\r\n",
	"\r\n.\r\n",
	"MAIL FROM:<a@b.test>\r\nRCPT TO:<c@d.test>\r\nDATA\r\n",
	"Subject: \xe9t\xe9\r\n\r\n",
	"XCLIENT ADDR=192.0.2.1\r\n",
	"VRFY root\r\n",
};
#define FZ_NCCANNED	(sizeof(fz_client_canned) / sizeof(fz_client_canned[0]))

#define FZ_GREETING	"220 up.test ESMTP ready\r\n"
#define FZ_EHLO \
	"250-up.test hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n" \
	"250-8BITMIME\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250-STARTTLS\r\n" \
	"250-AUTH PLAIN LOGIN\r\n250-AUTH=PLAIN\r\n250-XCLIENT NAME ADDR\r\n" \
	"250-DSN\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n"

/* Entries 14 and 15 are filled in by fz_canned_init(). */
static const char *fz_up_canned[] = {
	FZ_GREETING,
	FZ_EHLO,
	"250 2.0.0 ok\r\n",
	"354 go ahead\r\n",
	"250 2.0.0 queued as X\r\n",
	"221 2.0.0 bye\r\n",
	"334 VXNlcm5hbWU6\r\n",
	"235 2.7.0 ok\r\n",
	"220 2.0.0 ready to start TLS\r\n",
	"421 4.3.2 closing\r\n",
	"451 4.3.0 try later\r\n",
	"550 5.1.1 no\r\n",
	"220-up.test\r\n220-multi\r\n220 line\r\n",
	"250 up.test\r\n",
	NULL,		/* a 6 KB multi-line 250 */
	NULL,		/* an 11 KB multi-line greeting */
};
#define FZ_NUCANNED	(sizeof(fz_up_canned) / sizeof(fz_up_canned[0]))

static char	fz_long250[6 * 1024];
static char	fz_long220[12 * 1024];

/* What an upstream line was, to answer it. */
enum fz_line {
	FZ_L_EHLO, FZ_L_HELO, FZ_L_DATA, FZ_L_EOD, FZ_L_QUIT,
	FZ_L_STARTTLS, FZ_L_AUTH, FZ_L_AUTH_IR, FZ_L_AUTH_RESP, FZ_L_OTHER
};

/* Bytes one side is sending: pat repeated, total bytes, off sent. */
struct fz_out {
	const uint8_t	*pat;
	size_t		 patlen, total, off;
	const uint8_t	*rep;		/* pat repeated, replen bytes */
	size_t		 replen;
};

/*
 * One upstream connection, and what it owes: every command line it
 * read (split on CRLF, as the session sends them) is queued until a
 * reply the harness wrote answers it (every line written that is not
 * "NNN-" ends a reply; the first reply is the greeting).
 */
struct fz_up {
	int		 fd;
	int		 greeted;	/* the harness sent it something */
	int		 body;		/* between 354 and "." */
	int		 auth;		/* next line answers a 334 */
	int		 unchecked;	/* a reply written ahead of the lines
					   read, or a 220 (TLS): q is a guess */
	char		 line[1024];
	size_t		 linelen;
	int		 cr;		/* last byte read was CR */
	char		 rline[4];	/* start of the reply line written */
	size_t		 rlinelen;
	int		 nreplies;	/* complete replies written */
	uint8_t		 q[FZ_MAXQ];	/* lines not answered, enum fz_line */
	size_t		 qhead, qlen;
};

struct fz {
	struct event_base	*base;
	struct config		*conf;	/* for new sessions */
	int			 client;	/* our end, -1: closed */
	int			 client_read;
	int			 up_read;
	struct fz_up		 up[FZ_MAXUP];	/* the last one is current */
	int			 nup;
	int			 nsess;
	size_t			 cbudget, ubudget;
	struct fz_out		 cout, uout;
	size_t			 mem0;	/* memory held at the start */
	size_t			 mem_peak;
	int			 fd_mark;	/* lowest free descriptor */
};

static struct config	*fz_conf[FZ_NCONF];
static char		 fz_dir[80];
static char		 fz_conf_path[FZ_NCONF][96];
static int		 fz_lfd = -1;
static char		 fz_unix_path[108];
static struct sockaddr_storage fz_up_ss;
static socklen_t	 fz_up_sslen;
static size_t		 fz_mem_limit;
static int		 fz_debug;		/* $FUZZ_DEBUG: trace */
static int		 fz_spin_check = 1;	/* $FUZZ_SESSION_SPIN */
static long long	 fz_clock_offset;	/* seconds */
static uint8_t		 fz_buf[256 * 1024];	/* what the peers read */
static uint8_t		 fz_crep[64 * 1024], fz_urep[64 * 1024];
static uint8_t		 fz_answer[256 * 1024];
static struct fz	 fz;
static const struct linger fz_linger0 = { 1, 0 };	/* close: reset */

static void
fz_die(const char *msg)
{
	fprintf(stderr, "fuzz_session: %s\n", msg);
	abort();
}

/*
 * libevent's clock, shifted by fz_clock_offset. CLOCK_REALTIME is left
 * alone: libFuzzer's own timers use it.
 */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
	static int	(*real)(clockid_t, struct timespec *);
	int		 r;

	if (real == NULL &&
	    (real = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT,
	    "clock_gettime")) == NULL)
		fz_die("no clock_gettime");
	r = real(id, ts);
	if (r == 0 && (id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_COARSE ||
	    id == CLOCK_MONOTONIC_RAW || id == CLOCK_BOOTTIME))
		ts->tv_sec += fz_clock_offset;
	return r;
}

static void
fz_nonblock(int fd)
{
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1)
		fz_die("fcntl");
}

static size_t
fz_mem(void)
{
#ifdef FZ_HAVE_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return 0;
#endif
}

static void
fz_canned_init(void)
{
	size_t	 o = 0;
	int	 i;

	for (i = 0; i < 99; i++)
		o += (size_t)snprintf(fz_long250 + o, sizeof(fz_long250) - o,
		    "250-line %02d of a long reply, long enough to fill the "
		    "buffer\r\n", i);
	snprintf(fz_long250 + o, sizeof(fz_long250) - o, "250 end\r\n");
	o = 0;
	for (i = 0; i < 127; i++)
		o += (size_t)snprintf(fz_long220 + o, sizeof(fz_long220) - o,
		    "220-up.test line %03d of a banner that says which software "
		    "and version runs here\r\n", i);
	snprintf(fz_long220 + o, sizeof(fz_long220) - o,
	    "220 up.test ESMTP\r\n");
	fz_up_canned[14] = fz_long250;
	fz_up_canned[15] = fz_long220;
}

static void
fz_conf_error(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/* A private directory for the configurations, the spool, the socket. */
static void
fz_dir_init(void)
{
	const char	*tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz_session.XXXXXX", tmp);
	if (mkdtemp(fz_dir) == NULL)
		fz_die("mkdtemp");
}

static void
fz_conf_init(void)
{
	FILE		*fp;
	size_t		 i;
	char		 cmd[512];
	const char	*t, *at;

	snprintf(cmd, sizeof(cmd), "openssl req -x509 -newkey rsa:2048 "
	    "-nodes -days 1 -subj /CN=proxy.test -keyout %s/key.pem -out "
	    "%s/cert.pem >/dev/null 2>&1", fz_dir, fz_dir);
	if (system(cmd) != 0)
		fz_die("cannot make the TLS certificate (openssl)");
	for (i = 0; i < FZ_NCONF; i++) {
		snprintf(fz_conf_path[i], sizeof(fz_conf_path[i]),
		    "%s/%zu.conf", fz_dir, i);
		if ((fp = fopen(fz_conf_path[i], "w")) == NULL)
			fz_die("cannot write a configuration");
		fprintf(fp, "%sspool_dir = \"%s\"\n", fz_conf_common, fz_dir);
		for (t = fz_conf_text[i]; (at = strstr(t, "@DIR@")) != NULL;
		    t = at + 5)
			fprintf(fp, "%.*s%s", (int)(at - t), t, fz_dir);
		fputs(t, fp);
		fclose(fp);
		if ((fz_conf[i] = config_load(fz_conf_path[i],
		    fz_conf_error)) == NULL) {
			fprintf(stderr, "fuzz_session: configuration %zu does "
			    "not load:\n%s%s", i, fz_conf_common,
			    fz_conf_text[i]);
			abort();
		}
	}
}

static void
fz_cleanup(void)
{
	size_t	 i;

	for (i = 0; i < FZ_NCONF; i++)
		if (fz_conf_path[i][0] != '\0')
			unlink(fz_conf_path[i]);
	if (fz_unix_path[0] != '\0')
		unlink(fz_unix_path);
	if (fz_dir[0] != '\0') {
		char	 path[128];

		snprintf(path, sizeof(path), "%s/cert.pem", fz_dir);
		unlink(path);
		snprintf(path, sizeof(path), "%s/key.pem", fz_dir);
		unlink(path);
		rmdir(fz_dir);
	}
}

static void
fz_listen_init(void)
{
	struct sockaddr_in	 sin;
	struct sockaddr_un	 sun;
	const char		*e = getenv("FUZZ_SESSION_UNIX");
	socklen_t		 len;
	int			 one = 1, rcvbuf = FZ_RCVBUF;

	if (e != NULL && *e == '1') {
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		if ((size_t)snprintf(fz_unix_path, sizeof(fz_unix_path),
		    "%s/upstream.sock", fz_dir) >= sizeof(sun.sun_path))
			fz_die("socket path too long");
		memcpy(sun.sun_path, fz_unix_path, strlen(fz_unix_path));
		if ((fz_lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
		    bind(fz_lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
			fz_die("cannot bind the upstream socket");
		memcpy(&fz_up_ss, &sun, sizeof(sun));
		fz_up_sslen = sizeof(sun);
	} else {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if ((fz_lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
			fz_die("socket");
		setsockopt(fz_lfd, SOL_SOCKET, SO_REUSEADDR, &one,
		    sizeof(one));
		/*
		 * Accepted sockets inherit it: a small window, so that an
		 * upstream that stops reading backs the session's output up
		 * within the budget, not in the kernel's buffers.
		 */
		setsockopt(fz_lfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		    sizeof(rcvbuf));
		len = sizeof(sin);
		if (bind(fz_lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
		    getsockname(fz_lfd, (struct sockaddr *)&sin, &len) == -1)
			fz_die("cannot bind the upstream socket");
		memcpy(&fz_up_ss, &sin, len);
		fz_up_sslen = len;
	}
	if (listen(fz_lfd, 64) == -1)
		fz_die("listen");
	fz_nonblock(fz_lfd);
	session_set_upstream((struct sockaddr *)&fz_up_ss, fz_up_sslen);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*e;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	log_init(1, 0);
	/* Below LOG_LEVEL_ERROR: nothing is logged unless asked for. */
	fz_debug = getenv("FUZZ_DEBUG") != NULL;
	log_setlevel(fz_debug ? LOG_LEVEL_DEBUG : -1);
	if ((e = getenv("FUZZ_SESSION_SPIN")) != NULL && *e == '0')
		fz_spin_check = 0;
	e = getenv("FUZZ_SESSION_MEM_MB");
	fz_mem_limit = (size_t)(e != NULL ? atoi(e) : 8) * 1024 * 1024;
	atexit(fz_cleanup);
	fz_canned_init();
	fz_dir_init();
	fz_conf_init();
	fz_listen_init();
	return 0;
}

/* Classify one complete line the upstream read and queue its answer. */
static void
fz_up_line(struct fz_up *u, const char *line, size_t len)
{
	enum fz_line	 t = FZ_L_OTHER;

	if (u->body) {
		if (len != 1 || line[0] != '.')
			return;
		u->body = 0;
		t = FZ_L_EOD;
	} else if (u->auth) {
		u->auth = 0;
		t = FZ_L_AUTH_RESP;
	} else if (len >= 4 && strncasecmp(line, "EHLO", 4) == 0)
		t = FZ_L_EHLO;
	else if (len >= 4 && strncasecmp(line, "HELO", 4) == 0)
		t = FZ_L_HELO;
	else if (len >= 4 && strncasecmp(line, "DATA", 4) == 0)
		t = FZ_L_DATA;	/* whatever follows: a 354 opens a body */
	else if (len == 4 && strncasecmp(line, "QUIT", 4) == 0)
		t = FZ_L_QUIT;
	else if (len == 8 && strncasecmp(line, "STARTTLS", 8) == 0)
		t = FZ_L_STARTTLS;
	else if (len > 5 && strncasecmp(line, "AUTH ", 5) == 0)
		/* "AUTH PLAIN response": an initial response, no 334. */
		t = memchr(line + 5, ' ', len - 5) != NULL ? FZ_L_AUTH_IR :
		    FZ_L_AUTH;
	if (u->qlen == FZ_MAXQ)
		return;
	u->q[(u->qhead + u->qlen++) % FZ_MAXQ] = (uint8_t)t;
}

/*
 * Lines end in CRLF only: a bare LF the session relays inside a line (or
 * a body) ends nothing, so a body line "." after one is no terminator.
 */
static void
fz_up_bytes(struct fz_up *u, const uint8_t *p, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && u->cr) {
			if (u->linelen > 0)
				u->linelen--;	/* the CR */
			fz_up_line(u, u->line, u->linelen);
			u->linelen = 0;
		} else if (u->linelen < sizeof(u->line))
			u->line[u->linelen++] = (char)p[i];
		u->cr = p[i] == '\r';
	}
}

/*
 * A reply the harness wrote is complete: it answers the oldest line
 * read (what a DATA or AUTH line then means for the lines after it
 * follows from its code). Written before the line it answers was read,
 * or a 220 (STARTTLS, or what the session may take for it: after it
 * bytes go through as they are), it leaves the count unknown: the
 * queue still says what to answer, but is no longer checked.
 */
static void
fz_up_reply(struct fz_up *u, int code)
{
	enum fz_line	 t;

	if (u->nreplies++ == 0)
		return;		/* the greeting */
	if (u->qlen == 0) {
		u->unchecked = 1;
		return;
	}
	t = (enum fz_line)u->q[u->qhead];
	u->qhead = (u->qhead + 1) % FZ_MAXQ;
	u->qlen--;
	if (code == 220)
		u->unchecked = 1;
	else if (t == FZ_L_DATA && code == 354)
		u->body = 1;
	else if (t == FZ_L_AUTH && code == 334)
		u->auth = 1;
}

/*
 * Bytes the harness wrote to the session as the upstream. Split on LF
 * (a CRLF line the session reads starts where one of these does), so
 * never fewer replies are counted than the session sees.
 */
static void
fz_up_sent(struct fz_up *u, const uint8_t *p, size_t n)
{
	size_t	 i;
	int	 code;

	for (i = 0; i < n; i++) {
		if (p[i] != '\n') {
			if (u->rlinelen < sizeof(u->rline))
				u->rline[u->rlinelen] = (char)p[i];
			u->rlinelen++;
			continue;
		}
		if (u->rlinelen >= 4 && u->rline[3] == '-' &&
		    u->rline[0] >= '0' && u->rline[0] <= '9' &&
		    u->rline[1] >= '0' && u->rline[1] <= '9' &&
		    u->rline[2] >= '0' && u->rline[2] <= '9') {
			u->rlinelen = 0;
			continue;	/* more lines of this reply */
		}
		code = 0;
		if (u->rlinelen >= 3)
			code = (u->rline[0] - '0') * 100 +
			    (u->rline[1] - '0') * 10 + (u->rline[2] - '0');
		fz_up_reply(u, code);
		u->rlinelen = 0;
	}
}

static void
fz_up_close(struct fz *f, int i, int reset)
{
	if (f->up[i].fd == -1)
		return;
	if (reset)
		setsockopt(f->up[i].fd, SOL_SOCKET, SO_LINGER, &fz_linger0,
		    sizeof(fz_linger0));
	close(f->up[i].fd);
	f->up[i].fd = -1;
}

static struct fz_up *
fz_up_current(struct fz *f)
{
	if (f->nup == 0 || f->up[f->nup - 1].fd == -1)
		return NULL;
	return &f->up[f->nup - 1];
}

/*
 * Write as much of o as fd takes now, what the upstream u writes
 * tracked (u NULL: the client). Returns the bytes written.
 */
static size_t
fz_push(int fd, struct fz_out *o, struct fz_up *u)
{
	size_t	 n, moved = 0, start;
	ssize_t	 w;

	while (fd != -1 && o->off < o->total) {
		/* o->rep holds the pattern repeated: write from its phase. */
		start = o->off % o->patlen;
		n = o->replen - start;
		if (n > o->total - o->off)
			n = o->total - o->off;
		if ((w = write(fd, o->rep + start, n)) <= 0)
			break;
		if (u != NULL)
			fz_up_sent(u, o->rep + start, (size_t)w);
		o->off += (size_t)w;
		moved += (size_t)w;
	}
	return moved;
}

/* Send len bytes at p, reps times, from the next turns of the loop. */
static void
fz_out_set(struct fz_out *o, uint8_t *rep, size_t repsz, const uint8_t *p,
    size_t len, size_t reps)
{
	size_t	 i;

	o->pat = p;
	o->patlen = len;
	o->total = len * reps;
	o->off = 0;
	if (reps == 1) {
		o->rep = p;
		o->replen = len;
		return;
	}
	/* Whole patterns, at least one: len is at most 255. */
	for (i = 0; i + len <= repsz; i += len)
		memcpy(rep + i, p, len);
	o->rep = rep;
	o->replen = i;
}

/* One turn of the peers: accept, read, write. Returns bytes moved. */
static size_t
fz_io(struct fz *f)
{
	struct fz_up	*u;
	size_t		 moved = 0;
	ssize_t		 n;
	int		 fd, i, one = 1;
	char		 msg[96];

	while ((fd = accept(fz_lfd, NULL, NULL)) != -1) {
		fz_nonblock(fd);
		/*
		 * Without it a reply written while the last one is not yet
		 * acknowledged waits for a delayed ACK (40 ms): longer than
		 * the turns of the loop wait, so the session would see it
		 * only one operation later. (Fails harmlessly on AF_UNIX.)
		 */
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (f->nup == FZ_MAXUP) {
			/* No room: refused with a reset. */
			setsockopt(fd, SOL_SOCKET, SO_LINGER, &fz_linger0,
			    sizeof(fz_linger0));
			close(fd);
			continue;
		}
		memset(&f->up[f->nup], 0, sizeof(f->up[f->nup]));
		f->up[f->nup++].fd = fd;
		moved++;
	}
	for (i = 0; i < f->nup; i++) {
		u = &f->up[i];
		while (f->up_read && u->fd != -1 &&
		    (n = read(u->fd, fz_buf, sizeof(fz_buf))) != -1) {
			if (n == 0) {
				/* The session closed it: so do we. */
				fz_up_close(f, i, 0);
				moved++;
				break;
			}
			moved += (size_t)n;
			if (i == f->nup - 1)
				fz_up_bytes(u, fz_buf, (size_t)n);
		}
	}
	while (f->client_read && f->client != -1 &&
	    (n = read(f->client, fz_buf, sizeof(fz_buf))) > 0)
		moved += (size_t)n;
	moved += fz_push(f->client, &f->cout, NULL);
	if ((u = fz_up_current(f)) != NULL) {
		moved += fz_push(u->fd, &f->uout, u);
		if (!u->unchecked && u->qlen > FZ_OWED_MAX) {
			snprintf(msg, sizeof(msg), "the upstream read %zu "
			    "commands not answered (limit %d)", u->qlen,
			    FZ_OWED_MAX);
			fz_die(msg);
		}
	}
	return moved;
}

/*
 * One turn of the event loop. EVLOOP_NONBLOCK alone returns only once no
 * callback is active, which never happens while the session spins; the
 * zero loopexit ends the loop after one round. Returns how many
 * callbacks are still active.
 */
static int
fz_loop(struct fz *f)
{
	static const struct timeval	 zero = { 0, 0 };

	event_base_loopexit(f->base, &zero);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	return event_base_get_num_events(f->base, EVENT_BASE_COUNT_ACTIVE);
}

/*
 * Turn the loop until nothing moves and no callback is pending; what
 * cannot be sent by then is dropped.
 */
static void
fz_run(struct fz *f)
{
	size_t	 mem, n, moved = 0;
	int	 i, active, idle = 0, spin = 0;
	char	 msg[128];

	for (i = 0; i < FZ_PASSES && idle < 3; i++) {
		active = fz_loop(f);
		if ((n = fz_io(f)) > 0) {
			idle = spin = 0;
			moved += n;
		} else if (active > 0) {
			/* Callbacks that run and run with nothing to do. */
			if (++spin == FZ_SPIN && fz_spin_check)
				fz_die("the event loop spins: callbacks stay "
				    "active with no I/O on either side");
		} else
			idle++;
		mem = fz_mem();
		if (mem > f->mem_peak)
			f->mem_peak = mem;
		if (fz_mem_limit > 0 && mem > f->mem0 &&
		    mem - f->mem0 > fz_mem_limit) {
			snprintf(msg, sizeof(msg), "memory held grew by %zu "
			    "bytes (limit %zu)", mem - f->mem0, fz_mem_limit);
			fz_die(msg);
		}
	}
	if (fz_debug)
		fprintf(stderr, "fuzz_session: %d turns, %zu bytes moved, "
		    "client sent %zu/%zu, upstream sent %zu/%zu\n", i, moved,
		    f->cout.off, f->cout.total, f->uout.off, f->uout.total);
	f->cout.total = f->cout.off = 0;
	f->uout.total = f->uout.off = 0;
}

static void
fz_client_send(struct fz *f, const uint8_t *p, size_t len, size_t reps)
{
	if (f->client == -1 || len == 0)
		return;
	if (reps > f->cbudget / len)
		reps = f->cbudget / len;
	f->cbudget -= reps * len;
	fz_out_set(&f->cout, fz_crep, sizeof(fz_crep), p, len, reps);
	fz_run(f);
}

static void
fz_up_send(struct fz *f, const uint8_t *p, size_t len, size_t reps)
{
	struct fz_up	*u;

	/* Whatever the session connected meanwhile is accepted first. */
	fz_io(f);
	if ((u = fz_up_current(f)) == NULL || len == 0)
		return;
	if (reps > f->ubudget / len)
		reps = f->ubudget / len;
	f->ubudget -= reps * len;
	u->greeted = 1;
	fz_out_set(&f->uout, fz_urep, sizeof(fz_urep), p, len, reps);
	fz_run(f);
}

/* The answer to a line (fz_up_reply() sees what it means once sent). */
static const char *
fz_answer_line(enum fz_line t)
{
	switch (t) {
	case FZ_L_EHLO:
		return FZ_EHLO;
	case FZ_L_HELO:
		return "250 up.test\r\n";
	case FZ_L_DATA:
		return "354 go ahead\r\n";
	case FZ_L_EOD:
		return "250 2.0.0 queued as X\r\n";
	case FZ_L_QUIT:
		return "221 2.0.0 bye\r\n";
	case FZ_L_STARTTLS:
		return "220 2.0.0 ready to start TLS\r\n";
	case FZ_L_AUTH:
		return "334 VXNlcm5hbWU6\r\n";
	case FZ_L_AUTH_IR:
	case FZ_L_AUTH_RESP:
		return "235 2.7.0 ok\r\n";
	default:
		return "250 2.0.0 ok\r\n";
	}
}

static void
fz_up_answer(struct fz *f)
{
	struct fz_up	*u;
	const char	*a;
	size_t		 len = 0, alen, i;

	fz_io(f);
	if ((u = fz_up_current(f)) == NULL)
		return;
	if (!u->greeted) {
		memcpy(fz_answer, FZ_GREETING, sizeof(FZ_GREETING) - 1);
		len = sizeof(FZ_GREETING) - 1;
	}
	/* Taken off the queue as they are written (fz_up_sent()). */
	for (i = 0; i < u->qlen; i++) {
		a = fz_answer_line((enum fz_line)u->q[(u->qhead + i) %
		    FZ_MAXQ]);
		alen = strlen(a);
		if (len + alen > sizeof(fz_answer))
			break;
		memcpy(fz_answer + len, a, alen);
		len += alen;
	}
	fz_up_send(f, fz_answer, len, 1);
}

/* A canned reply answers the oldest line read (fz_up_sent()). */
static void
fz_up_canned_send(struct fz *f, size_t idx)
{
	const char	*r = fz_up_canned[idx];

	fz_up_send(f, (const uint8_t *)r, strlen(r), 1);
}

static void
fz_client_close(struct fz *f)
{
	if (f->client != -1)
		close(f->client);
	f->client = -1;
}

static void
fz_session_start(struct fz *f)
{
	struct sockaddr_in	 sin;
	int			 sv[2], sz = FZ_SNDBUF;

	if (f->nsess == FZ_MAXSESS)
		return;
	f->nsess++;
	fz_client_close(f);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(0xc0000207);	/* 192.0.2.7 */
	sin.sin_port = htons(40000);
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		fz_die("socketpair");
	fz_nonblock(sv[0]);
	fz_nonblock(sv[1]);
	setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	f->client = sv[0];
	f->client_read = 1;
	/* session_new() owns sv[1] from here, even when it fails. */
	if (session_new(f->base, f->conf, sv[1], (struct sockaddr *)&sin,
	    sizeof(sin), (struct sockaddr *)&sin, sizeof(sin), 0) == -1)
		return;
	fz_run(f);
}

static void
fz_reload(struct fz *f, size_t idx)
{
	struct config	*conf;

	if ((conf = config_load(fz_conf_path[idx], NULL)) == NULL)
		fz_die("reload failed");
	config_unref(f->conf);
	f->conf = conf;
}

/* Both peers go away; every session must be freed. */
static void
fz_finish(struct fz *f)
{
	int	 i, fd;

	fz_client_close(f);
	f->up_read = 1;
	for (i = 0; i < 100 && session_count() > 0; i++) {
		fz_run(f);
		for (int j = 0; j < f->nup; j++)
			fz_up_close(f, j, 1);
		if (session_count() > 0 && i > 3)
			fz_clock_offset += 11;	/* > SESSION_FLUSH_TIMEOUT */
	}
	if (session_count() != 0)
		fz_die("a session was not freed after both peers left");
	if (fz_debug)
		fprintf(stderr, "fuzz_session: memory peak %zu bytes over the "
		    "start\n", f->mem_peak - f->mem0);
	fz_loop(f);
	for (i = 0; i < f->nup; i++)
		fz_up_close(f, i, 1);
	while ((fd = accept(fz_lfd, NULL, NULL)) != -1)
		close(fd);
	config_unref(f->conf);
	event_base_free(f->base);
	f->base = NULL;
	if ((fd = dup(0)) == -1)
		fz_die("dup");
	close(fd);
	if (fd != f->fd_mark)
		fz_die("a descriptor was left open");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz	*f = &fz;
	const uint8_t	*end = data + size, *p;
	size_t		 len, reps;
	int		 op;

	if (size < 1)
		return 0;
	memset(f, 0, sizeof(*f));
	f->client = -1;
	f->up_read = 1;
	f->cbudget = f->ubudget = FZ_BUDGET;
	/* The sanitizers open descriptors of their own between inputs. */
	if ((f->fd_mark = dup(0)) == -1)
		fz_die("dup");
	close(f->fd_mark);
	if ((f->base = event_base_new()) == NULL)
		fz_die("event_base_new");
	f->conf = config_ref(fz_conf[data[0] % FZ_NCONF]);
	f->mem0 = f->mem_peak = fz_mem();
	fz_session_start(f);
	for (p = data + 1; p < end;) {
		op = *p++ % FZ_NOPS;
		switch (op) {
		case 0:		/* CSEND */
		case 3:		/* USEND */
			if (p >= end || (len = *p) > (size_t)(end - p - 1))
				goto done;
			p++;
			if (op == 0)
				fz_client_send(f, p, len, 1);
			else
				fz_up_send(f, p, len, 1);
			p += len;
			break;
		case 1:		/* CCANNED */
			if (p >= end)
				goto done;
			len = *p++ % FZ_NCCANNED;
			fz_client_send(f, (const uint8_t *)fz_client_canned[len],
			    strlen(fz_client_canned[len]), 1);
			break;
		case 2:		/* CREPEAT */
		case 14:	/* UREPEAT */
			if (end - p < 2)
				goto done;
			reps = ((size_t)p[0] + 1) * ((size_t)p[0] + 1) * 4;
			len = p[1];
			p += 2;
			if (len > (size_t)(end - p))
				goto done;
			if (op == 2)
				fz_client_send(f, p, len, reps);
			else
				fz_up_send(f, p, len, reps);
			p += len;
			break;
		case 4:		/* UCANNED */
			if (p >= end)
				goto done;
			fz_up_canned_send(f, *p++ % FZ_NUCANNED);
			break;
		case 5:		/* UANSWER */
			fz_up_answer(f);
			break;
		case 6:		/* CCLOSE */
			if (p >= end)
				goto done;
			if (f->client != -1 && *p & 1)
				shutdown(f->client, SHUT_WR);
			else
				fz_client_close(f);
			p++;
			fz_run(f);
			break;
		case 7:		/* UCLOSE */
			if (p >= end)
				goto done;
			fz_io(f);
			if (f->nup > 0)
				fz_up_close(f, f->nup - 1, !(*p & 1));
			p++;
			fz_run(f);
			break;
		case 8:		/* CREAD */
		case 9:		/* UREAD */
			if (p >= end)
				goto done;
			if (op == 8)
				f->client_read = *p++ & 1;
			else
				f->up_read = *p++ & 1;
			fz_run(f);
			break;
		case 10:	/* TIME */
			if (p >= end)
				goto done;
			fz_clock_offset += *p++ % 32 + 1;
			fz_run(f);
			break;
		case 11:	/* RELOAD */
			if (p >= end)
				goto done;
			fz_reload(f, *p++ % FZ_NCONF);
			break;
		case 12:	/* NEWSESS */
			fz_session_start(f);
			break;
		case 13:	/* CSENDL */
			if (end - p < 2)
				goto done;
			len = (size_t)p[0] | (size_t)p[1] << 8;
			p += 2;
			if (len > (size_t)(end - p))
				goto done;
			fz_client_send(f, p, len, 1);
			p += len;
			break;
		}
	}
 done:
	fz_finish(f);
	return 0;
}
