/*
 * What the per-client limit costs an accept with many sessions open.
 * Opens N sessions (default 9000, from N/10 client addresses, ten each;
 * the destination is the proxy itself, so each is refused "554" and held
 * open without an upstream), then times session_count_client() for
 * addresses that have sessions and for one that has none, and the
 * accept path without the accept(2) itself: the check, then session_new()
 * of one more session, closed again.
 *
 *   make contrib/bench/accept-cost && contrib/bench/accept-cost [N]
 *
 * Needs 2N + a few descriptors (ulimit -n).
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "config.h"
#include "log.h"
#include "session.h"

#define CLIENTS_EACH	10

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
addr(struct sockaddr_in *sin, unsigned i)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(0x0a000000 | i);
	sin->sin_port = htons(1024 + i % 60000);
}

/* A session from client number i; returns our end of its socket. */
static int
open_one(struct event_base *base, struct config *conf, unsigned i)
{
	struct sockaddr_in	 sin;
	int			 sv[2];

	addr(&sin, i);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == -1) {
		perror("socketpair (raise ulimit -n)");
		exit(1);
	}
	if (session_new(base, conf, sv[1], (struct sockaddr *)&sin,
	    sizeof(sin), (struct sockaddr *)&sin, sizeof(sin), 1) == -1) {
		fprintf(stderr, "session_new failed\n");
		exit(1);
	}
	return sv[0];
}

static void
print_error(const char *msg)
{
	fprintf(stderr, "%s\n", msg);
}

int
main(int argc, char *argv[])
{
	struct event_base	*base;
	struct config		*conf;
	struct sockaddr_in	 sin;
	char			 path[] = "/tmp/accept-cost.XXXXXX";
	FILE			*fp;
	double			 t0, t1;
	unsigned		 n = 9000, i, rounds = 200000;
	volatile int		 sink = 0;
	int			*fds, fd;

	if (argc > 1)
		n = (unsigned)strtoul(argv[1], NULL, 10);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	log_init(1, 0);
	log_setlevel(LOG_LEVEL_ERROR);
	if ((fd = mkstemp(path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		return 1;
	fprintf(fp, "mode = \"relay\"\nupstream = \"127.0.0.1:9\"\n"
	    "hostname = \"bench.test\"\n");
	fclose(fp);
	conf = config_load(path, print_error);
	unlink(path);
	if (conf == NULL || (base = event_base_new()) == NULL)
		return 1;
	if ((fds = calloc(n, sizeof(*fds))) == NULL)
		return 1;
	for (i = 0; i < n; i++)
		fds[i] = open_one(base, conf, i / CLIENTS_EACH);
	event_base_loop(base, EVLOOP_NONBLOCK);
	printf("sessions open: %d\n", session_count());

	t0 = now();
	for (i = 0; i < rounds; i++) {
		addr(&sin, i % (n / CLIENTS_EACH));
		sink += session_count_client((struct sockaddr *)&sin);
	}
	t1 = now();
	printf("session_count_client, address with %d sessions: %.1f ns\n",
	    CLIENTS_EACH, (t1 - t0) / rounds * 1e9);

	addr(&sin, 0xffffff);
	t0 = now();
	for (i = 0; i < rounds; i++)
		sink += session_count_client((struct sockaddr *)&sin);
	t1 = now();
	printf("session_count_client, new address: %.1f ns\n",
	    (t1 - t0) / rounds * 1e9);

	/* The accept path at n sessions: check, open one, close it. */
	rounds = 20000;
	t0 = now();
	for (i = 0; i < rounds; i++) {
		addr(&sin, n + i);
		sink += session_count_client((struct sockaddr *)&sin);
		fd = open_one(base, conf, n + i);
		close(fd);
		event_base_loop(base, EVLOOP_NONBLOCK);
	}
	t1 = now();
	printf("check + session_new + close, at %u sessions: %.2f us\n", n,
	    (t1 - t0) / rounds * 1e6);

	for (i = 0; i < n; i++)
		close(fds[i]);
	for (i = 0; i < 100 && session_count() > 0; i++)
		event_base_loop(base, EVLOOP_NONBLOCK);
	free(fds);
	config_unref(conf);
	event_base_free(base);
	return sink < 0;
}
