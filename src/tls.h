/*
 * TLS with OpenSSL (SPEC §4.7): the SSL_CTXs a configuration compiles
 * (the server side the clients see, the client side for upstreams), the
 * checks of the tls keys, and the SSL transport of the connection layer
 * (struct conn_io): SSL_read/SSL_write on the non-blocking socket, the
 * handshake driven by the same edge-triggered loop as plaintext, so a
 * TLS side keeps write-through and backpressure. Only this file includes
 * OpenSSL headers; the rest of the proxy sees struct tls and SSL_CTX as
 * opaque pointers.
 */
#ifndef SMTPPROXY_TLS_H
#define SMTPPROXY_TLS_H

#include <stddef.h>

struct conn;
struct ssl_ctx_st;	/* OpenSSL's SSL_CTX */
struct tls;

/* "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" -> OpenSSL's version, or -1. */
int	tls_protocol_parse(const char *);
/* A TLS 1.2 cipher list / TLS 1.3 cipher suites OpenSSL accepts: 0 or -1. */
int	tls_check_ciphers(const char *, char *why, size_t);
int	tls_check_ciphersuites(const char *, char *why, size_t);

/*
 * The context that answers clients: certificate chain and key (PEM
 * files; the key must match the certificate), minimum protocol, cipher
 * strings ("" keeps OpenSSL's defaults). NULL with the reason in why.
 */
struct ssl_ctx_st *tls_server_ctx(const char *cert, const char *key,
	    int min_proto, const char *ciphers, const char *suites, char *why,
	    size_t);
/*
 * The context for upstreams. verify: the peer's chain is checked
 * against ca (a file or a directory; NULL or "": the system store).
 */
struct ssl_ctx_st *tls_client_ctx(int min_proto, const char *ciphers,
	    const char *suites, int verify, const char *ca, char *why, size_t);
/* Accepts NULL. */
void	tls_ctx_free(struct ssl_ctx_st *);

/*
 * One TLS side of a session, the server end (a client of the proxy) or
 * the client end (an upstream). name, if not NULL, is sent as SNI
 * (unless it is an address) and, with verification, checked against
 * the certificate. NULL when out of memory.
 */
struct tls	*tls_new_server(struct ssl_ctx_st *);
struct tls	*tls_new_client(struct ssl_ctx_st *, const char *name);
/*
 * Hand t to c: the output still queued goes out in plaintext, then the
 * handshake runs; CONN_EVENT_TLS (with ERROR or EOF if it failed)
 * reports its end. From now on c owns t: it frees t when it is freed.
 */
void	 tls_start(struct conn *, struct tls *);
/* Why the handshake or a read/write failed, OpenSSL's reason. */
const char *tls_error(const struct tls *);
/* "TLSv1.3/TLS_AES_256_GCM_SHA384" of an established session, into buf. */
const char *tls_describe(const struct tls *, char *buf, size_t);

#endif
