/*
 * TLS with OpenSSL: see tls.h. The transport follows nginx's event
 * module: SSL_read and SSL_write straight on the non-blocking socket,
 * SSL_ERROR_WANT_READ/WANT_WRITE turned into the readiness the
 * connection layer waits for (a read may want writability, a write
 * readability), partial writes with a moving buffer so that the output
 * evbuffer is written through as for plaintext.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "conn.h"
#include "tls.h"

struct tls {
	SSL	*ssl;
	char	 err[256];
};

static const struct {
	const char	*name;
	int		 version;
} tls_protocols[] = {
	{ "TLSv1", TLS1_VERSION },
	{ "TLSv1.1", TLS1_1_VERSION },
	{ "TLSv1.2", TLS1_2_VERSION },
	{ "TLSv1.3", TLS1_3_VERSION },
};

int
tls_protocol_parse(const char *s)
{
	size_t	 i;

	for (i = 0; i < sizeof(tls_protocols) / sizeof(tls_protocols[0]); i++)
		if (strcmp(s, tls_protocols[i].name) == 0)
			return tls_protocols[i].version;
	return -1;
}

/* OpenSSL's first queued reason, or fallback; the queue is emptied. */
static void
tls_reason(char *why, size_t len, const char *what, const char *fallback)
{
	unsigned long	 e;
	char		 buf[200];

	if ((e = ERR_get_error()) != 0) {
		ERR_error_string_n(e, buf, sizeof(buf));
		snprintf(why, len, "%s: %s", what, buf);
	} else
		snprintf(why, len, "%s: %s", what, fallback);
	ERR_clear_error();
}

static int
tls_check_string(const char *s, int suites, char *why, size_t len)
{
	SSL_CTX	*ctx;
	int	 ok;

	if ((ctx = SSL_CTX_new(TLS_method())) == NULL) {
		tls_reason(why, len, "cannot check", "out of memory");
		return -1;
	}
	ERR_clear_error();
	ok = suites ? SSL_CTX_set_ciphersuites(ctx, s) :
	    SSL_CTX_set_cipher_list(ctx, s);
	SSL_CTX_free(ctx);
	if (!ok) {
		snprintf(why, len, "\"%s\": no %s that OpenSSL knows", s,
		    suites ? "TLS 1.3 cipher suite" : "cipher");
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int
tls_check_ciphers(const char *s, char *why, size_t len)
{
	return tls_check_string(s, 0, why, len);
}

int
tls_check_ciphersuites(const char *s, char *why, size_t len)
{
	return tls_check_string(s, 1, why, len);
}

/* What both contexts share: protocols, ciphers, the modes of the I/O. */
static SSL_CTX *
tls_ctx_common(const SSL_METHOD *method, int min_proto, const char *ciphers,
    const char *suites, char *why, size_t len)
{
	SSL_CTX	*ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(method)) == NULL) {
		tls_reason(why, len, "SSL_CTX_new", "out of memory");
		return NULL;
	}
	if (!SSL_CTX_set_min_proto_version(ctx, min_proto)) {
		tls_reason(why, len, "min_protocol", "not supported");
		goto fail;
	}
	/* An older minimum than OpenSSL's security level allows. */
	if (min_proto < TLS1_2_VERSION)
		SSL_CTX_set_security_level(ctx, 0);
	if (ciphers != NULL && *ciphers != '\0' &&
	    !SSL_CTX_set_cipher_list(ctx, ciphers)) {
		tls_reason(why, len, "ciphers", "no cipher");
		goto fail;
	}
	if (suites != NULL && *suites != '\0' &&
	    !SSL_CTX_set_ciphersuites(ctx, suites)) {
		tls_reason(why, len, "ciphersuites", "no cipher suite");
		goto fail;
	}
	/*
	 * Write-through from an evbuffer: a record may take part of a
	 * chunk, and the retry after WANT_WRITE comes from the same
	 * bytes at another address when the buffer moved.
	 */
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE |
	    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	/* SMTP peers close after QUIT without close_notify: an end. */
	SSL_CTX_set_options(ctx, SSL_OP_IGNORE_UNEXPECTED_EOF |
	    SSL_OP_NO_RENEGOTIATION);
	return ctx;
 fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct ssl_ctx_st *
tls_server_ctx(const char *cert, const char *key, int min_proto,
    const char *ciphers, const char *suites, char *why, size_t len)
{
	SSL_CTX		*ctx;
	unsigned long	 e;

	if ((ctx = tls_ctx_common(TLS_server_method(), min_proto, ciphers,
	    suites, why, len)) == NULL)
		return NULL;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		tls_reason(why, len, "certificate", "cannot load");
		goto fail;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		e = ERR_peek_last_error();
		if (ERR_GET_LIB(e) == ERR_LIB_X509 &&
		    ERR_GET_REASON(e) == X509_R_KEY_VALUES_MISMATCH) {
			snprintf(why, len, "key: does not match the "
			    "certificate");
			ERR_clear_error();
		} else
			tls_reason(why, len, "key", "cannot load");
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_reason(why, len, "key", "does not match the certificate");
		goto fail;
	}
	/* Resumption by tickets; no server-side cache to grow. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
 fail:
	SSL_CTX_free(ctx);
	return NULL;
}

struct ssl_ctx_st *
tls_client_ctx(int min_proto, const char *ciphers, const char *suites,
    int verify, const char *ca, char *why, size_t len)
{
	SSL_CTX		*ctx;
	struct stat	 st;
	int		 ok;

	if ((ctx = tls_ctx_common(TLS_client_method(), min_proto, ciphers,
	    suites, why, len)) == NULL)
		return NULL;
	if (ca != NULL && *ca != '\0') {
		if (stat(ca, &st) == -1) {
			snprintf(why, len, "ca: \"%s\": %s", ca,
			    strerror(errno));
			goto fail;
		}
		ok = S_ISDIR(st.st_mode) ?
		    SSL_CTX_load_verify_locations(ctx, NULL, ca) :
		    SSL_CTX_load_verify_locations(ctx, ca, NULL);
		if (ok != 1) {
			tls_reason(why, len, "ca", "cannot load");
			goto fail;
		}
	} else if (verify && SSL_CTX_set_default_verify_paths(ctx) != 1) {
		tls_reason(why, len, "ca", "no system store");
		goto fail;
	}
	SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
	    NULL);
	return ctx;
 fail:
	SSL_CTX_free(ctx);
	return NULL;
}

void
tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

static struct tls *
tls_new(SSL_CTX *ctx)
{
	struct tls	*t;

	if (ctx == NULL || (t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	if ((t->ssl = SSL_new(ctx)) == NULL) {
		ERR_clear_error();
		free(t);
		return NULL;
	}
	return t;
}

struct tls *
tls_new_server(struct ssl_ctx_st *ctx)
{
	struct tls	*t;

	if ((t = tls_new(ctx)) != NULL)
		SSL_set_accept_state(t->ssl);
	return t;
}

/* An IPv4 or IPv6 literal: no SNI (RFC 6066 §3), checked as an address. */
static int
tls_is_address(const char *name)
{
	unsigned char	 buf[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, buf) == 1 ||
	    inet_pton(AF_INET6, name, buf) == 1;
}

struct tls *
tls_new_client(struct ssl_ctx_st *ctx, const char *name)
{
	struct tls	*t;
	int		 ok = 1;

	if ((t = tls_new(ctx)) == NULL)
		return NULL;
	SSL_set_connect_state(t->ssl);
	if (name != NULL && *name != '\0') {
		if (tls_is_address(name))
			ok = X509_VERIFY_PARAM_set1_ip_asc(
			    SSL_get0_param(t->ssl), name) == 1;
		else
			ok = SSL_set_tlsext_host_name(t->ssl, name) == 1 &&
			    SSL_set1_host(t->ssl, name) == 1;
	}
	if (!ok) {
		ERR_clear_error();
		SSL_free(t->ssl);
		free(t);
		return NULL;
	}
	return t;
}

/*
 * The outcome of a failed SSL call: -1 with errno EAGAIN and *want_r
 * for WANT_READ/WANT_WRITE, 0 for the peer's close_notify (or a plain
 * end of stream, SSL_OP_IGNORE_UNEXPECTED_EOF), -1 with the reason kept
 * otherwise.
 */
static int
tls_fail(struct tls *t, int r, int *want_r)
{
	int	 e = SSL_get_error(t->ssl, r), saved = errno;
	long	 vr;

	switch (e) {
	case SSL_ERROR_WANT_READ:
		*want_r = EV_READ;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_WANT_WRITE:
		*want_r = EV_WRITE;
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0) {
			snprintf(t->err, sizeof(t->err), "%s", saved != 0 ?
			    strerror(saved) : "connection closed");
			errno = saved != 0 ? saved : EPIPE;
			return -1;
		}
		break;
	default:
		break;
	}
	if ((vr = SSL_get_verify_result(t->ssl)) != X509_V_OK) {
		snprintf(t->err, sizeof(t->err), "certificate verify "
		    "failed: %s", X509_verify_cert_error_string(vr));
		ERR_clear_error();
	} else
		tls_reason(t->err, sizeof(t->err), "TLS", "error");
	errno = EIO;
	return -1;
}

static ssize_t
tls_read(struct conn *c, void *ctx, const struct iovec *iov, int n,
    int *want_r)
{
	struct tls	*t = ctx;
	size_t		 total = 0, got, off;
	int		 i, r;

	(void)c;
	for (i = 0; i < n; i++) {
		for (off = 0; off < iov[i].iov_len; off += got) {
			ERR_clear_error();
			r = SSL_read_ex(t->ssl, (char *)iov[i].iov_base + off,
			    iov[i].iov_len - off, &got);
			if (r == 1) {
				total += got;
				continue;
			}
			/* What was read first; the condition comes again. */
			if (total > 0)
				return (ssize_t)total;
			return tls_fail(t, r, want_r);
		}
	}
	return (ssize_t)total;
}

static ssize_t
tls_write(struct conn *c, void *ctx, const struct iovec *iov, int n,
    int *want_r)
{
	struct tls	*t = ctx;
	size_t		 total = 0, put, off;
	int		 i, r;

	(void)c;
	for (i = 0; i < n; i++) {
		for (off = 0; off < iov[i].iov_len; off += put) {
			ERR_clear_error();
			r = SSL_write_ex(t->ssl, (const char *)iov[i].iov_base +
			    off, iov[i].iov_len - off, &put);
			if (r == 1) {
				total += put;
				continue;
			}
			if (total > 0)
				return (ssize_t)total;
			r = tls_fail(t, r, want_r);
			if (r == 0) {
				errno = EPIPE;	/* a write has no end */
				r = -1;
			}
			return r;
		}
	}
	return (ssize_t)total;
}

static int
tls_handshake(struct conn *c, void *ctx, int *want_r)
{
	struct tls	*t = ctx;
	int		 r;

	(void)c;
	ERR_clear_error();
	if ((r = SSL_do_handshake(t->ssl)) == 1)
		return 1;
	if (tls_fail(t, r, want_r) == 0)
		snprintf(t->err, sizeof(t->err), "peer closed the handshake");
	return -1;
}

/* close_notify once, without waiting for the peer's; then free. */
static void
tls_close(struct conn *c, void *ctx, int reset)
{
	struct tls	*t = ctx;

	(void)c;
	if (!reset && SSL_is_init_finished(t->ssl))
		(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
}

static const struct conn_io tls_io = {
	tls_read, tls_write, 0, tls_handshake, tls_close
};

void
tls_start(struct conn *c, struct tls *t)
{
	SSL_set_fd(t->ssl, conn_fd(c));
	conn_starttls(c, &tls_io, t);
}

const char *
tls_error(const struct tls *t)
{
	return t->err[0] != '\0' ? t->err : "unknown error";
}

const char *
tls_describe(const struct tls *t, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", SSL_get_version(t->ssl),
	    SSL_get_cipher_name(t->ssl));
	return buf;
}
