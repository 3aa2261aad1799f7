/*
 * smtpproxy: options, start-up, signals.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include "config.h"
#include "conn.h"
#include "data.h"
#include "inspect.h"
#include "listener.h"
#include "log.h"
#include "scan.h"
#include "session.h"
#include "stats.h"
#include "worker.h"

#ifndef SYSCONFDIR
#define SYSCONFDIR	"/usr/local/etc"
#endif

static struct config	*conf;
static const char	*conf_path = SYSCONFDIR "/smtpproxy.conf";
static int		 verbose;
static struct event	*ev_grace;
static struct event	*ev_poll;
static struct worker_pool *workers;
static struct scan_engine *types;	/* file typing; NULL if not needed */
static struct scan_engine *av;		/* anti-virus signatures, or NULL */

static void
usage(void)
{
	fprintf(stderr, "usage: smtpproxy [-dnVv] [-f file] [-t message]\n");
	exit(1);
}

static void
print_error(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

/* The errors of a reload, from the worker thread that loads the file. */
static void
log_config_error(const char *msg)
{
	log_error("%s", msg);
}

static void
print_version(void)
{
	printf("smtpproxy %s\n", PACKAGE_VERSION);
	printf("libevent %s\n", event_get_version());
	printf("OpenSSL %s\n", OpenSSL_version(OPENSSL_VERSION_STRING));
	printf("libclamav %s\n", scan_version());
}

/*
 * The engines content inspection needs for this configuration: file
 * typing without signatures (file types on), and the anti-virus engine
 * with its signatures (anti-virus on with the libclamav backend). Slow
 * with a real signature database: at start-up, or on a worker thread.
 * Returns 0, or -1 with a message in err.
 */
static int
load_engines(const struct config *c, struct scan_engine **types_r,
    struct scan_engine **av_r, char *err, size_t errsz)
{
	char	 why[200];

	*types_r = *av_r = NULL;
	if (!c->inspect)
		return 0;
	if (c->filetypes_enabled &&
	    (*types_r = scan_engine_new(NULL, why, sizeof(why))) == NULL) {
		snprintf(err, errsz, "file types: %s", why);
		return -1;
	}
	if (c->av_enabled && c->av_backend == CONFIG_AV_LIBCLAMAV &&
	    (*av_r = scan_engine_new(c->av_database, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errsz, "antivirus: %s", why);
		if (*types_r != NULL)
			scan_engine_unref(*types_r);
		*types_r = NULL;
		return -1;
	}
	return 0;
}

static void
print_finding(void *arg, int alarm, enum alarm_action act,
    const char *detail)
{
	(void)arg;
	if (alarm == INSPECT_FILETYPE)
		printf("%s %s\n", act == ALARM_PASS ? "error" :
		    "attachment-refused", detail);
	else if (alarm == INSPECT_VIRUS)
		printf("antivirus %s\n", detail);
	else
		printf("alarm=%s name=%s action=%s %s\n",
		    alarm_table[alarm].ident, alarm_table[alarm].name,
		    alarm_action_name(act), detail);
}

/*
 * -t's input: the message file as a client sends it after DATA. A file
 * with LF line ends only (the usual form on disk) gets CRLF, as mail
 * clients and swaks send it; any other file is sent as it is, bare CR
 * or LF included, and judged as such. Lines starting with "." are
 * dot-stuffed, and the end of data follows (a last line without a line
 * end is completed first, as clients do).
 */
struct t_client {
	int	 lf_only;
	int	 bol;		/* at the start of a CRLF line */
	int	 cr;		/* the last byte was CR */
};

/* Client bytes for in[0..n) into out (room for 3 * n); their length. */
static size_t
t_client_bytes(struct t_client *t, const char *in, size_t n, char *out)
{
	size_t	 i, o = 0;

	for (i = 0; i < n; i++) {
		if (t->bol && in[i] == '.')
			out[o++] = '.';
		if (in[i] == '\n' && t->lf_only)
			out[o++] = '\r';
		out[o++] = in[i];
		t->bol = in[i] == '\n' && (t->lf_only || t->cr);
		t->cr = in[i] == '\r';
	}
	return o;
}

/* Through the body layer (data.c) and into the inspection, as live. */
static void
t_body(struct data_parser *d, struct inspect *ins, int *bol,
    const char *in, size_t n)
{
	static char	 out[2 * 3 * 65536 + 8];
	size_t		 used, outlen;

	int		 end;

	while (n > 0) {
		end = data_parse(d, in, n, &used, out, &outlen);
		if (ins != NULL)
			inspect_wire(ins, bol, out, outlen);
		if (end)
			return;
		in += used;
		n -= used;
	}
}

/*
 * The body layer's own refusals, before content inspection, as the
 * live path (tx.c) makes them: over limits.message_size (smtp:245),
 * bare CR/LF or NUL at a line start (smtp:241). 1 if refused.
 */
static int
t_body_alarms(const struct config *c, const struct data_parser *d,
    char *reply, size_t replysz)
{
	enum alarm_action	 act;
	char			 detail[64];

	if (d->bytes > c->limits.message_size) {
		act = c->alarm_action[ALARM_MESSAGE_TOO_LARGE];
		snprintf(detail, sizeof(detail), "limit=%llu",
		    (unsigned long long)c->limits.message_size);
		if (act != ALARM_PASS)
			print_finding(NULL, ALARM_MESSAGE_TOO_LARGE, act,
			    detail);
		if (act == ALARM_BLOCK || act == ALARM_CLOSE) {
			snprintf(reply, replysz, "%s %s (%s)",
			    act == ALARM_CLOSE ? "421 4.7.0" :
			    alarm_table[ALARM_MESSAGE_TOO_LARGE].reply,
			    alarm_table[ALARM_MESSAGE_TOO_LARGE].text,
			    alarm_table[ALARM_MESSAGE_TOO_LARGE].ident);
			return 1;
		}
	}
	if (d->flags & (DATA_BARE_CR | DATA_BARE_LF | DATA_NUL)) {
		act = c->alarm_action[ALARM_BARE_LINE_ENDING];
		if (act != ALARM_PASS)
			print_finding(NULL, ALARM_BARE_LINE_ENDING, act,
			    "side=body");
		if (act == ALARM_BLOCK || act == ALARM_CLOSE) {
			snprintf(reply, replysz, "%s %s in message (%s)",
			    act == ALARM_CLOSE ? "421 4.7.0" : "554 5.6.0",
			    data_flags_text(d->flags),
			    alarm_table[ALARM_BARE_LINE_ENDING].ident);
			return 1;
		}
	}
	return 0;
}

/*
 * -t: the content inspection of live traffic, on a message file: the
 * same body layer (data.c, then the dot-stuffing taken off), the same
 * alarms and the same inspection. Exit 0 accept, 1 reject, 2 error.
 */
static int
test_message(struct config *c, const char *path)
{
	struct scan_engine	*e = NULL, *eav = NULL;
	struct inspect		*ins = NULL;
	struct data_parser	 d;
	struct t_client		 tc;
	enum inspect_verdict	 v = INSPECT_ACCEPT;
	static char		 buf[65536], cbuf[3 * 65536 + 8];
	char			 err[256], reply[300];
	size_t			 n, i;
	int			 bol = 1, cr = 0, lf = 0, rc = 2;
	FILE			*fp;

	if ((fp = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return 2;
	}
	if (!c->inspect) {
		/* inspect = false: live mail passes, nothing is checked. */
		fclose(fp);
		printf("verdict: accept\n");
		return 0;
	}
	/* LF line ends only? (a first pass: the file may be big) */
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		for (i = 0; i < n; i++) {
			cr |= buf[i] == '\r';
			lf |= buf[i] == '\n';
		}
	if (ferror(fp) || fseek(fp, 0, SEEK_SET) == -1)
		goto ioerr;
	memset(&tc, 0, sizeof(tc));
	tc.bol = 1;
	tc.lf_only = lf && !cr;
	if (tc.lf_only)
		fprintf(stderr, "note: %s has LF line ends; read with CRLF, "
		    "as a mail client sends it\n", path);
	if (inspect_wanted(c)) {
		if (load_engines(c, &e, &eav, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s\n", err);
			fclose(fp);
			return 2;
		}
		/* No destination offline: scanned if either direction is. */
		if ((ins = inspect_new(c, e, eav, c->av_enabled &&
		    (c->av_scan_local || c->av_scan_other))) == NULL) {
			fprintf(stderr, "out of memory\n");
			goto done;
		}
	}
	data_init(&d, 1, c->limits.text_line);
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0)
		t_body(&d, ins, &bol, cbuf, t_client_bytes(&tc, buf, n, cbuf));
	if (ferror(fp))
		goto ioerr;
	if (!tc.bol)
		t_body(&d, ins, &bol, "\r\n", 2);
	t_body(&d, ins, &bol, ".\r\n", 3);
	if (t_body_alarms(c, &d, reply, sizeof(reply)))
		v = INSPECT_REJECT;
	else if (ins != NULL) {
		inspect_end(ins, d.header_bad);
		if (inspect_needs_scan(ins))
			inspect_scan(ins);
		v = inspect_verdict(ins, print_finding, NULL, reply,
		    sizeof(reply));
	}
	if (v == INSPECT_ACCEPT) {
		printf("verdict: accept\n");
		rc = 0;
	} else {
		printf("verdict: %s %s\n", v == INSPECT_TEMPFAIL ?
		    "tempfail" : "reject", reply);
		rc = v == INSPECT_TEMPFAIL ? 2 : 1;
	}
	goto done;

 ioerr:
	fprintf(stderr, "%s: %s\n", path, strerror(errno));
	rc = 2;
 done:
	fclose(fp);
	inspect_free(ins);
	if (e != NULL)
		scan_engine_unref(e);
	if (eav != NULL)
		scan_engine_unref(eav);
	return rc;
}

/* Relay mode: resolve upstream once, at start and on reload. */
static int
resolve_upstream(struct config *c, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errsz)
{
	struct addrinfo	 hints, *res;
	int		 error;

	*sslen = 0;
	if (c->mode != CONFIG_MODE_RELAY)
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	error = getaddrinfo(c->upstream_host, c->upstream_port, &hints, &res);
	if (error != 0) {
		snprintf(err, errsz, "upstream %s:%s: %s", c->upstream_host,
		    c->upstream_port, gai_strerror(error));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static void
drop_privileges(const char *user)
{
	struct passwd	*pw;

	if (user == NULL) {
		if (geteuid() == 0)
			log_warnx("running as root: set \"user\" to drop "
			    "privileges");
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("user %s: no such user", user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
}

/*
 * The pidfile is written before the privileges are dropped and removed
 * at exit by the daemon's user, which needs write permission on its
 * directory: one of its own, such as /run/smtpproxy, not /run itself.
 * The path is the one written at start-up, whatever a reload says.
 */
static char	*pidfile;

static void
write_pidfile(const char *path)
{
	FILE	*fp;

	if (path == NULL)
		return;
	if ((pidfile = strdup(path)) == NULL)
		fatal("pidfile");
	if ((fp = fopen(path, "w")) == NULL)
		fatal("%s", path);
	if (fprintf(fp, "%ld\n", (long)getpid()) < 0 || fclose(fp) == EOF)
		fatal("%s", path);
}

static void
remove_pidfile(void)
{
	if (pidfile == NULL)
		return;
	if (unlink(pidfile) == -1)
		log_warnx("event=pidfile-not-removed path=%s uid=%ld "
		    "error=\"%s\"", pidfile, (long)geteuid(), strerror(errno));
	free(pidfile);
	pidfile = NULL;
}

/*
 * A reload in progress. Everything slow runs on a worker thread in
 * reload_run(), never on the event loop: parsing and compiling the file
 * (a large rule set takes seconds), resolving the upstream, loading
 * signatures. reload_done() applies the result on the loop.
 */
struct reload {
	struct config		*conf;		/* NULL if the file is bad */
	struct scan_engine	*types, *av;
	struct sockaddr_storage	 up;
	socklen_t		 uplen;
	int			 failed;
	char			 err[256];	/* "" if already logged */
};
static struct reload	*reloading;
static int		 stopping;	/* the loop is over: apply nothing */

/*
 * tproxy.client_source needs CAP_NET_ADMIN or CAP_NET_RAW for each
 * upstream connection, after the privileges are dropped: -1 with the
 * reason in err if the process does not have it.
 */
static int
check_client_source(const struct config *c, char *err, size_t errsz)
{
	if (!c->tproxy_client_source || conn_source_allowed() == 0)
		return 0;
	snprintf(err, errsz, "tproxy.client_source: cannot connect from "
	    "client addresses (%s): that takes CAP_NET_ADMIN or CAP_NET_RAW, "
	    "which \"user\" gives up (smtpproxy.conf(5), TPROXY)",
	    strerror(errno));
	return -1;
}

/* On a worker thread; config_load() logs each FILE:LINE error itself. */
static void
reload_run(void *arg)
{
	struct reload	*r = arg;

	if ((r->conf = config_load(conf_path, log_config_error)) == NULL) {
		r->failed = 1;
		return;
	}
	r->failed = resolve_upstream(r->conf, &r->up, &r->uplen, r->err,
	    sizeof(r->err)) == -1 || check_client_source(r->conf, r->err,
	    sizeof(r->err)) == -1 || load_engines(r->conf, &r->types, &r->av,
	    r->err, sizeof(r->err)) == -1;
}

static void
reload_free(struct reload *r)
{
	if (r->types != NULL)
		scan_engine_unref(r->types);
	if (r->av != NULL)
		scan_engine_unref(r->av);
	config_unref(r->conf);
	free(r);
}

/* Swap: new sessions use the new ones; open ones keep theirs. */
static void
reload_done(void *arg)
{
	struct reload	*r = arg;

	reloading = NULL;
	if (stopping) {
		reload_free(r);
		return;
	}
	if (r->failed) {
		if (r->err[0] != '\0')
			log_error("%s", r->err);
		log_error("event=reload-failed: keeping the running "
		    "configuration");
		reload_free(r);
		return;
	}
	if (r->uplen > 0)
		session_set_upstream((struct sockaddr *)&r->up, r->uplen);
	if (types != NULL)
		scan_engine_unref(types);
	if (av != NULL)
		scan_engine_unref(av);
	types = r->types;
	av = r->av;
	session_set_scanning(workers, types, av);
	config_unref(conf);
	conf = r->conf;
	listener_set_config(conf);
	log_setlevel(conf->log_level + verbose);
	log_info("event=reloaded signatures=%u", av != NULL ?
	    scan_engine_signatures(av) : 0);
	free(r);
}

static void
on_hup(evutil_socket_t sig, short ev, void *arg)
{
	struct reload	*r;

	(void)sig;
	(void)ev;
	(void)arg;
	if (reloading != NULL) {
		log_warnx("event=reload-busy: a reload is in progress");
		return;
	}
	log_info("event=reload path=%s", conf_path);
	/* Traffic goes on while the worker thread loads. */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    worker_submit(workers, reload_run, reload_done, r) == -1) {
		free(r);
		log_error("event=reload-failed: out of memory");
		return;
	}
	reloading = r;
}

static void
on_grace(evutil_socket_t fd, short ev, void *arg)
{
	struct event_base	*base = arg;

	(void)fd;
	(void)ev;
	if (session_count() == 0) {
		event_base_loopexit(base, NULL);
		return;
	}
	log_info("event=shutdown-grace-over sessions=%d", session_count());
	session_shutdown_all();
	/* Let the last replies drain, then stop. */
	event_base_loopexit(base, &(struct timeval){ 2, 0 });
}

static void
on_poll_idle(evutil_socket_t fd, short ev, void *arg)
{
	struct event_base	*base = arg;

	(void)fd;
	(void)ev;
	if (session_count() == 0)
		event_base_loopexit(base, NULL);
}

static void
on_term(evutil_socket_t sig, short ev, void *arg)
{
	struct event_base	*base = arg;
	struct timeval		 tv = { conf->shutdown_grace, 0 };
	struct timeval		 ptv = { 0, 200000 };

	(void)ev;
	if (ev_grace != NULL) {
		log_info("event=shutdown-now");
		on_grace(-1, 0, base);
		return;
	}
	log_info("event=shutdown signal=%d sessions=%d grace=%d",
	    (int)sig, session_count(), conf->shutdown_grace);
	listener_close_all();
	ev_grace = evtimer_new(base, on_grace, base);
	evtimer_add(ev_grace, &tv);
	ev_poll = event_new(base, -1, EV_PERSIST, on_poll_idle, base);
	event_add(ev_poll, &ptv);
}

/* SIGUSR1: the counters, summed over every thread, one line. */
static void
on_usr1(evutil_socket_t sig, short ev, void *arg)
{
	struct stats	 st;
	char		 line[1024];
	size_t		 off = 0, i;
	int		 n;

	(void)sig;
	(void)ev;
	(void)arg;
	stats_sum(&st);
	for (i = 0; i < STATS_COUNT; i++) {
		n = snprintf(line + off, sizeof(line) - off, " %s=%lld",
		    stats_table[i].name, (long long)st.v[i]);
		if (n < 0 || (size_t)n >= sizeof(line) - off)
			break;
		off += (size_t)n;
	}
	log_info("event=counters%s", line);
}

int
main(int argc, char *argv[])
{
	struct event_config	*evcfg;
	struct event_base	*base;
	struct event		*ev_hup, *ev_term, *ev_int, *ev_usr1;
	const char		*testfile = NULL;
	struct sockaddr_storage	 upss;
	socklen_t		 upsslen;
	char			 err[256];
	int			 ch, foreground = 0, check = 0, nscanners;

	while ((ch = getopt(argc, argv, "df:nt:Vv")) != -1) {
		switch (ch) {
		case 'd':
			foreground = 1;
			break;
		case 'f':
			conf_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 't':
			testfile = optarg;
			break;
		case 'V':
			print_version();
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	if ((conf = config_load(conf_path, print_error)) == NULL)
		return testfile != NULL ? 2 : 1;
	if (testfile != NULL) {
		log_init(1, 0);
		log_setlevel(LOG_LEVEL_ERROR);
		ch = test_message(conf, testfile);
		config_unref(conf);
		return ch;
	}
	if (check) {
		printf("configuration OK\n");
		config_unref(conf);
		return 0;
	}

	log_init(foreground, conf->syslog_facility);
	log_setlevel(conf->log_level + verbose);
	signal(SIGPIPE, SIG_IGN);
	if (!foreground && daemon(0, 0) == -1)
		fatal("daemon");

	/*
	 * Only this thread touches the loop: worker threads hand results
	 * back through an eventfd (worker.c), so libevent takes no locks.
	 */
	if ((evcfg = event_config_new()) == NULL ||
	    event_config_set_flag(evcfg, EVENT_BASE_FLAG_NOLOCK) == -1 ||
	    (base = event_base_new_with_config(evcfg)) == NULL)
		fatalx("cannot create the event loop");
	event_config_free(evcfg);
	if (load_engines(conf, &types, &av, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (av != NULL)
		log_info("event=signatures-loaded count=%u",
		    scan_engine_signatures(av));
	/* Scans never run on the event loop. */
	nscanners = conf->av_enabled ? conf->av_threads : 2;
	if ((workers = worker_pool_new(base, nscanners)) == NULL)
		fatalx("cannot start the worker threads");
	session_set_scanning(workers, types, av);
	if (resolve_upstream(conf, &upss, &upsslen, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (upsslen > 0)
		session_set_upstream((struct sockaddr *)&upss, upsslen);
	if (listener_bind(base, conf, nscanners) == -1)
		return 1;
	write_pidfile(conf->pidfile);
	drop_privileges(conf->user);
	if (check_client_source(conf, err, sizeof(err)) == -1)
		fatalx("%s", err);

	ev_hup = evsignal_new(base, SIGHUP, on_hup, base);
	ev_term = evsignal_new(base, SIGTERM, on_term, base);
	ev_int = evsignal_new(base, SIGINT, on_term, base);
	ev_usr1 = evsignal_new(base, SIGUSR1, on_usr1, base);
	evsignal_add(ev_hup, NULL);
	evsignal_add(ev_term, NULL);
	evsignal_add(ev_int, NULL);
	evsignal_add(ev_usr1, NULL);
	log_info("event=start version=%s mode=%s", PACKAGE_VERSION,
	    conf->mode == CONFIG_MODE_RELAY ? "relay" : "transparent");

	event_base_dispatch(base);

	stopping = 1;
	log_info("event=stop");
	remove_pidfile();
	event_free(ev_hup);
	event_free(ev_term);
	event_free(ev_int);
	event_free(ev_usr1);
	if (ev_grace != NULL)
		event_free(ev_grace);
	if (ev_poll != NULL)
		event_free(ev_poll);
	listener_close_all();
	session_set_scanning(NULL, NULL, NULL);
	worker_pool_free(workers);
	if (types != NULL)
		scan_engine_unref(types);
	if (av != NULL)
		scan_engine_unref(av);
	config_unref(conf);
	event_base_free(base);
	return 0;
}
