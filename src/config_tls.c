/*
 * The tls section (SPEC §4.7) compiled: the mode, the upstream policy,
 * the implicit TLS listeners, and the two SSL_CTXs, built once here so
 * that a session only takes a reference (an SSL made from them). A
 * certificate or key that cannot be loaded, a key that does not match
 * its certificate, a CA that cannot be read: errors at the line of the
 * key that names the file, found by -n as by a reload.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_parse.h"
#include "config_priv.h"
#include "policy.h"
#include "tls.h"

int
config_tls_mode_parse(const char *s)
{
	return policy_tls_parse(s);
}

int
config_tls_upstream_parse(const char *s)
{
	return policy_tls_upstream_parse(s);
}

int
config_tls_protocol_parse(const char *s)
{
	return tls_protocol_parse(s);
}

int
config_check_tls_ciphers(const char *s, char *why, size_t len)
{
	return *s == '\0' ? 0 : tls_check_ciphers(s, why, len);
}

int
config_check_tls_ciphersuites(const char *s, char *why, size_t len)
{
	return *s == '\0' ? 0 : tls_check_ciphersuites(s, why, len);
}

/*
 * A file the context needs: set, and readable by the daemon's user (a
 * reload after the privileges are dropped reads it again).
 */
static int
config_tls_file(struct config_sec *sec, const struct config *conf,
    const char *key, const char *path, int line)
{
	char	 why[CONFIG_WHY_MAX];

	if (*path == '\0') {
		config_error(line, "tls.%s: required with tls.mode = inspect "
		    "or tls.listen", key);
		return -1;
	}
	if (config_check_path(path, conf->user, S_IROTH | S_IXOTH, S_IROTH,
	    why, sizeof(why)) == -1) {
		config_error(config_line(sec, key, NULL), "tls.%s: cannot use "
		    "\"%s\": %s", key, path, why);
		return -1;
	}
	return 0;
}

/* Is a one of the n addresses of list? */
static int
config_tls_same(const struct config_addr *a, const struct config_addr *list,
    int n)
{
	int	 i;

	for (i = 0; i < n; i++)
		if (list[i].sslen == a->sslen &&
		    memcmp(&list[i].ss, &a->ss, a->sslen) == 0)
			return 1;
	return 0;
}

void
config_build_tls(struct config_sec *root, struct config *conf)
{
	struct config_sec	*sec;
	struct config_addr	*a;
	const char		*other;
	const char		*cert, *key, *ca, *ciphers, *suites;
	char			 why[CONFIG_WHY_MAX];
	unsigned int		 i, n;
	int			 v, bad, any_bad = 0, line, mode_line;
	static const char *const keys[] = { "mode", "upstream",
	    "min_protocol", "ciphers", "ciphersuites", "listen",
	    "upstream_verify" };

	sec = config_getsec(root, "tls");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		(void)config_line(sec, keys[i], &bad);
		any_bad |= bad;
	}
	v = policy_tls_parse(config_getstr(sec, "mode"));
	conf->tls_mode = v == -1 ? POLICY_TLS_PASSTHROUGH : (enum policy_tls)v;
	v = policy_tls_upstream_parse(config_getstr(sec, "upstream"));
	conf->tls_upstream = v == -1 ? POLICY_TLS_UP_OPPORTUNISTIC :
	    (enum policy_tls_upstream)v;
	conf->tls_upstream_verify = config_getbool(sec, "upstream_verify");
	v = tls_protocol_parse(config_getstr(sec, "min_protocol"));
	conf->tls_min_protocol = v == -1 ? tls_protocol_parse("TLSv1.2") : v;
	n = config_size(sec, "listen");
	for (i = 0; i < n && conf->ntls_listen < CONFIG_MAX_LISTEN; i++) {
		a = &conf->tls_listen[conf->ntls_listen];
		if (config_parse_addr(config_getnstr(sec, "listen", i), a) ==
		    -1)
			continue;
		/* One socket cannot be plaintext and TLS at once. */
		other = config_tls_same(a, conf->listen, conf->nlisten) ?
		    "listen" : config_tls_same(a, conf->tproxy_listen,
		    conf->ntproxy_listen) ? "tproxy.listen" : NULL;
		if (other != NULL) {
			config_error(config_line(sec, "listen", NULL),
			    "tls.listen: \"%s\" is in %s too", a->text,
			    other);
			any_bad = 1;
			continue;
		}
		conf->ntls_listen++;
	}
	if (any_bad)
		return;

	cert = config_getstr(sec, "certificate");
	key = config_getstr(sec, "key");
	ca = config_getstr(sec, "ca");
	ciphers = config_getstr(sec, "ciphers");
	suites = config_getstr(sec, "ciphersuites");
	mode_line = config_line(sec, "mode", NULL);
	if (mode_line == 0)
		mode_line = config_line(sec, "listen", NULL);
	if (mode_line == 0)
		mode_line = config_secline(sec);
	if (conf->tls_mode != POLICY_TLS_INSPECT && conf->ntls_listen == 0)
		return;		/* the proxy terminates no TLS */

	if (config_tls_file(sec, conf, "certificate", cert, mode_line) ==
	    -1 || config_tls_file(sec, conf, "key", key, mode_line) == -1)
		return;
	conf->tls_server = tls_server_ctx(cert, key, conf->tls_min_protocol,
	    ciphers, suites, why, sizeof(why));
	if (conf->tls_server == NULL) {
		line = strncmp(why, "key", 3) == 0 ?
		    config_line(sec, "key", NULL) :
		    config_line(sec, "certificate", NULL);
		config_error(line, "tls: \"%s\": %s", strncmp(why, "key", 3) ==
		    0 ? key : cert, why);
		return;
	}
	if (conf->tls_upstream == POLICY_TLS_UP_NONE)
		return;
	if (*ca != '\0' && config_tls_file(sec, conf, "ca", ca, mode_line) ==
	    -1)
		return;
	conf->tls_client = tls_client_ctx(conf->tls_min_protocol, ciphers,
	    suites, conf->tls_upstream_verify, ca, why, sizeof(why));
	if (conf->tls_client == NULL) {
		line = config_line(sec, "ca", NULL);
		config_error(line > 0 ? line : mode_line, "tls: %s", why);
		return;
	}
}

void
config_free_tls(struct config *conf)
{
	tls_ctx_free(conf->tls_server);
	tls_ctx_free(conf->tls_client);
	conf->tls_server = conf->tls_client = NULL;
}
