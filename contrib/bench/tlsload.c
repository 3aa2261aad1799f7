/*
 * tlsload: a TLS SMTP load generator, and a STARTTLS-capable null
 * server, for contrib/bench/tlsbench.sh.
 *
 * Client:  tlsload -p PORT [-H HOST] [-c CONNS] [-m MESSAGES] [-l BYTES]
 *                  [-t implicit|starttls|plain] [-R]
 *   CONNS worker processes (default 8) share MESSAGES (default 1000),
 *   one connection per message: connect, TLS at connect (implicit) or
 *   after EHLO/STARTTLS (starttls, then EHLO again), MAIL, RCPT, DATA,
 *   a BYTES body (default 10240), QUIT. -R resumes TLS sessions from
 *   the last one the worker had (RFC 8446 tickets / RFC 5077). Prints
 *   one line:
 *     messages=N failed=N seconds=S msgs_per_s=X handshakes_per_s=Y
 *     resumed=N client_cpu_us_per_msg=Z
 *   the last one is the generator's own CPU, to show it is not the
 *   bottleneck.
 *
 * Server:  tlsload -S PORT -C CERT -K KEY
 *   An SMTP null server (a thread per connection) that offers and does
 *   STARTTLS and discards every message with "250 2.0.0 Ok"; SIGTERM
 *   stops it.
 *
 * The certificate is not verified: this measures cost, not trust.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct io {
	int	 fd;
	SSL	*ssl;
	char	 buf[16384];
	size_t	 len;
};

static int
io_write(struct io *io, const void *p, size_t n)
{
	size_t	 off = 0, w;
	ssize_t	 r;

	while (off < n) {
		if (io->ssl != NULL) {
			if (SSL_write_ex(io->ssl, (const char *)p + off,
			    n - off, &w) != 1)
				return -1;
			off += w;
			continue;
		}
		if ((r = write(io->fd, (const char *)p + off, n - off)) <= 0)
			return -1;
		off += (size_t)r;
	}
	return 0;
}

static int
io_fill(struct io *io)
{
	size_t	 got;
	ssize_t	 r;

	if (io->len == sizeof(io->buf))
		return -1;
	if (io->ssl != NULL) {
		if (SSL_read_ex(io->ssl, io->buf + io->len,
		    sizeof(io->buf) - io->len, &got) != 1)
			return -1;
		io->len += got;
		return 0;
	}
	if ((r = read(io->fd, io->buf + io->len, sizeof(io->buf) -
	    io->len)) <= 0)
		return -1;
	io->len += (size_t)r;
	return 0;
}

static void
io_close(struct io *io)
{
	if (io->ssl != NULL) {
		(void)SSL_shutdown(io->ssl);
		SSL_free(io->ssl);
	}
	ERR_clear_error();
	close(io->fd);
}

/* One line without CRLF into line; -1 at the end or on error. */
static int
io_line(struct io *io, char *line, size_t sz)
{
	char	*nl;
	size_t	 n;

	while ((nl = memchr(io->buf, '\n', io->len)) == NULL)
		if (io_fill(io) == -1)
			return -1;
	n = (size_t)(nl - io->buf) + 1;
	if (n - 1 < sz) {
		memcpy(line, io->buf, n - 1);
		line[n - 1] = '\0';
		if (n >= 2 && line[n - 2] == '\r')
			line[n - 2] = '\0';
	} else
		line[0] = '\0';
	memmove(io->buf, io->buf + n, io->len - n);
	io->len -= n;
	return 0;
}

/* A whole reply; its code, or -1. *starttls_r: a STARTTLS line. */
static int
io_reply(struct io *io, int *starttls_r)
{
	char	 line[1024];

	for (;;) {
		if (io_line(io, line, sizeof(line)) == -1 || strlen(line) < 3)
			return -1;
		if (starttls_r != NULL && strncasecmp(line + 4, "STARTTLS",
		    8) == 0)
			*starttls_r = 1;
		if (line[3] != '-')
			return atoi(line);
	}
}

static int
cmd(struct io *io, const char *s, int want)
{
	return io_write(io, s, strlen(s)) == 0 && io_reply(io, NULL) == want ?
	    0 : -1;
}

/* ---------------------------------------------------------------- */

enum mode { MODE_PLAIN, MODE_IMPLICIT, MODE_STARTTLS };

struct client {
	struct sockaddr_in	 sin;
	enum mode		 mode;
	int			 resume;
	SSL_CTX			*ctx;
	SSL_SESSION		*sess;
	char			*body;
	size_t			 bodylen;
	long			 handshakes, resumed;
};

static int
client_tls(struct client *cl, struct io *io)
{
	if ((io->ssl = SSL_new(cl->ctx)) == NULL)
		return -1;
	SSL_set_fd(io->ssl, io->fd);
	SSL_set_app_data(io->ssl, cl);
	if (cl->resume && cl->sess != NULL)
		SSL_set_session(io->ssl, cl->sess);
	if (SSL_connect(io->ssl) != 1)
		return -1;
	cl->handshakes++;
	if (SSL_session_reused(io->ssl))
		cl->resumed++;
	return 0;
}

/* TLS 1.3 sends its tickets after the handshake: keep the newest. */
static int
client_new_session(SSL *ssl, SSL_SESSION *sess)
{
	struct client	*cl = SSL_get_app_data(ssl);

	if (cl == NULL)
		return 0;
	if (cl->sess != NULL)
		SSL_SESSION_free(cl->sess);
	cl->sess = sess;
	return 1;
}

static int
client_message(struct client *cl)
{
	struct io	 io;
	int		 one = 1, ok = -1, st = 0;

	memset(&io, 0, sizeof(io));
	if ((io.fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	setsockopt(io.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(io.fd, (struct sockaddr *)&cl->sin, sizeof(cl->sin)) ==
	    -1)
		goto out;
	if (cl->mode == MODE_IMPLICIT && client_tls(cl, &io) == -1)
		goto out;
	if (io_reply(&io, NULL) != 220)
		goto out;
	if (io_write(&io, "EHLO load.test\r\n", 16) == -1 ||
	    io_reply(&io, &st) != 250)
		goto out;
	if (cl->mode == MODE_STARTTLS) {
		if (!st || cmd(&io, "STARTTLS\r\n", 220) == -1 ||
		    client_tls(cl, &io) == -1)
			goto out;
		if (cmd(&io, "EHLO load.test\r\n", 250) == -1)
			goto out;
	}
	if (cmd(&io, "MAIL FROM:<load@load.test>\r\n", 250) == -1 ||
	    cmd(&io, "RCPT TO:<sink@sink.test>\r\n", 250) == -1 ||
	    cmd(&io, "DATA\r\n", 354) == -1 ||
	    io_write(&io, cl->body, cl->bodylen) == -1 ||
	    cmd(&io, ".\r\n", 250) == -1 ||
	    cmd(&io, "QUIT\r\n", 221) == -1)
		goto out;
	ok = 0;
 out:
	io_close(&io);
	return ok;
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A worker: n messages; writes "ok failed handshakes resumed" to fd. */
static void
client_worker(struct client *cl, long n, int fd)
{
	char	 out[128];
	long	 i, ok = 0, failed = 0;
	int	 len;

	for (i = 0; i < n; i++) {
		if (client_message(cl) == 0)
			ok++;
		else
			failed++;
	}
	len = snprintf(out, sizeof(out), "%ld %ld %ld %ld\n", ok, failed,
	    cl->handshakes, cl->resumed);
	if (write(fd, out, (size_t)len) != len)
		_exit(1);
	_exit(0);
}

static int
client_run(const char *host, int port, int conns, long messages,
    size_t size, enum mode mode, int resume)
{
	struct client	 cl;
	struct rusage	 ru;
	double		 t0, t1, cpu;
	long		 ok = 0, failed = 0, hs = 0, res = 0, a, b, c, d;
	int		 pfd[2], i;
	size_t		 k;
	FILE		*fp;

	memset(&cl, 0, sizeof(cl));
	cl.sin.sin_family = AF_INET;
	cl.sin.sin_port = htons((unsigned short)port);
	if (inet_pton(AF_INET, host, &cl.sin.sin_addr) != 1) {
		fprintf(stderr, "tlsload: bad address %s\n", host);
		return 2;
	}
	cl.mode = mode;
	cl.resume = resume;
	if ((cl.ctx = SSL_CTX_new(TLS_client_method())) == NULL)
		return 2;
	SSL_CTX_set_verify(cl.ctx, SSL_VERIFY_NONE, NULL);
	if (resume) {
		SSL_CTX_set_session_cache_mode(cl.ctx, SSL_SESS_CACHE_CLIENT |
		    SSL_SESS_CACHE_NO_INTERNAL_STORE);
		SSL_CTX_sess_set_new_cb(cl.ctx, client_new_session);
	} else
		SSL_CTX_set_options(cl.ctx, SSL_OP_NO_TICKET);
	/* Headers and a body of size bytes of 76-character lines. */
	cl.body = malloc(size + 256);
	if (cl.body == NULL)
		return 2;
	k = (size_t)snprintf(cl.body, 256, "Subject: load\r\nFrom: "
	    "<load@load.test>\r\n\r\n");
	while (k + 78 <= size + 200) {
		memset(cl.body + k, 'x', 76);
		memcpy(cl.body + k + 76, "\r\n", 2);
		k += 78;
	}
	cl.bodylen = k;
	if (pipe(pfd) == -1)
		return 2;
	t0 = now();
	for (i = 0; i < conns; i++) {
		long	 n = messages / conns + (i < messages % conns);

		switch (fork()) {
		case -1:
			return 2;
		case 0:
			close(pfd[0]);
			client_worker(&cl, n, pfd[1]);
		default:
			break;
		}
	}
	close(pfd[1]);
	fp = fdopen(pfd[0], "r");
	while (fp != NULL && fscanf(fp, "%ld %ld %ld %ld", &a, &b, &c, &d) ==
	    4) {
		ok += a;
		failed += b;
		hs += c;
		res += d;
	}
	while (wait(NULL) > 0)
		;
	t1 = now();
	getrusage(RUSAGE_CHILDREN, &ru);
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	    ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	printf("messages=%ld failed=%ld seconds=%.3f msgs_per_s=%.1f "
	    "handshakes_per_s=%.1f resumed=%ld client_cpu_us_per_msg=%.0f\n",
	    ok, failed, t1 - t0, (double)ok / (t1 - t0),
	    (double)hs / (t1 - t0), res, ok > 0 ? cpu * 1e6 / (double)ok : 0);
	return failed > 0 ? 1 : 0;
}

/* ---------------------------------------------------------------- */

static SSL_CTX	*server_ctx;

static void *
server_conn(void *arg)
{
	struct io	 io;
	char		 line[1024];
	int		 data = 0;

	memset(&io, 0, sizeof(io));
	io.fd = (int)(intptr_t)arg;
	if (io_write(&io, "220 sink.test ESMTP\r\n", 21) == -1)
		goto out;
	while (io_line(&io, line, sizeof(line)) == 0) {
		if (data) {
			if (strcmp(line, ".") == 0) {
				data = 0;
				if (io_write(&io, "250 2.0.0 Ok\r\n", 14) == -1)
					break;
			}
			continue;
		}
		if (strncasecmp(line, "EHLO", 4) == 0) {
			const char *r = io.ssl == NULL ?
			    "250-sink.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n" :
			    "250-sink.test\r\n250 PIPELINING\r\n";

			if (io_write(&io, r, strlen(r)) == -1)
				break;
		} else if (strcasecmp(line, "STARTTLS") == 0 &&
		    io.ssl == NULL) {
			if (io_write(&io, "220 2.0.0 go\r\n", 14) == -1)
				break;
			io.len = 0;
			if ((io.ssl = SSL_new(server_ctx)) == NULL)
				break;
			SSL_set_fd(io.ssl, io.fd);
			if (SSL_accept(io.ssl) != 1)
				break;
		} else if (strcasecmp(line, "DATA") == 0) {
			data = 1;
			if (io_write(&io, "354 go\r\n", 8) == -1)
				break;
		} else if (strcasecmp(line, "QUIT") == 0) {
			(void)io_write(&io, "221 bye\r\n", 9);
			break;
		} else if (io_write(&io, "250 ok\r\n", 8) == -1)
			break;
	}
 out:
	io_close(&io);
	return NULL;
}

static int
server_run(int port, const char *cert, const char *key)
{
	struct sockaddr_in	 sin;
	pthread_attr_t		 attr;
	pthread_t		 t;
	int			 lfd, fd, one = 1;

	if ((server_ctx = SSL_CTX_new(TLS_server_method())) == NULL ||
	    SSL_CTX_use_certificate_chain_file(server_ctx, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(server_ctx, key, SSL_FILETYPE_PEM) !=
	    1) {
		ERR_print_errors_fp(stderr);
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((lfd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ==
	    -1 || bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(lfd, 4096) == -1) {
		perror("tlsload: listen");
		return 2;
	}
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		if ((fd = accept(lfd, NULL, NULL)) == -1) {
			if (errno == EINTR)
				continue;
			perror("tlsload: accept");
			return 2;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (pthread_create(&t, &attr, server_conn,
		    (void *)(intptr_t)fd) != 0)
			close(fd);
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: tlsload -p PORT [-H HOST] [-c CONNS] "
	    "[-m MESSAGES] [-l BYTES] [-t implicit|starttls|plain] [-R]\n"
	    "       tlsload -S PORT -C CERT -K KEY\n");
	exit(2);
}

int
main(int argc, char *argv[])
{
	const char	*host = "127.0.0.1", *cert = NULL, *key = NULL;
	enum mode	 mode = MODE_IMPLICIT;
	long		 messages = 1000;
	size_t		 size = 10240;
	int		 ch, port = 0, sport = 0, conns = 8, resume = 0;

	signal(SIGPIPE, SIG_IGN);
	while ((ch = getopt(argc, argv, "H:p:c:m:l:t:RS:C:K:")) != -1) {
		switch (ch) {
		case 'H': host = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'm': messages = atol(optarg); break;
		case 'l': size = (size_t)atol(optarg); break;
		case 't':
			if (strcmp(optarg, "implicit") == 0)
				mode = MODE_IMPLICIT;
			else if (strcmp(optarg, "starttls") == 0)
				mode = MODE_STARTTLS;
			else if (strcmp(optarg, "plain") == 0)
				mode = MODE_PLAIN;
			else
				usage();
			break;
		case 'R': resume = 1; break;
		case 'S': sport = atoi(optarg); break;
		case 'C': cert = optarg; break;
		case 'K': key = optarg; break;
		default: usage();
		}
	}
	if (sport > 0) {
		if (cert == NULL || key == NULL)
			usage();
		return server_run(sport, cert, key);
	}
	if (port <= 0 || conns <= 0 || messages <= 0)
		usage();
	return client_run(host, port, conns, messages, size, mode, resume);
}
