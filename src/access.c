/*
 * Access rules (SPEC §4.1): objects name address groups, rules are
 * tried in order and the first whose source and destination lists both
 * match decides; no match gives the default. Pure: no I/O; memory is
 * only allocated while the rule set is built.
 *
 * Addresses and CIDRs are parsed with inet_pton(3) and stored as
 * networks with their host bits cleared, so "10.1.2.3/8" is 10.0.0.0/8.
 * An IPv4-mapped IPv6 address (RFC 4291 §2.5.5.2, ::ffff:a.b.c.d, what
 * a dual-stack listener sees for an IPv4 client) is the IPv4 address
 * a.b.c.d, both as a client address and as an entry (an entry
 * ::ffff:a.b.c.d/N with N >= 96 is a.b.c.d/(N-96)). IPv6 entries match
 * only true IPv6 addresses: "::/0" is every IPv6 client, "0.0.0.0/0"
 * every IPv4 client, dual-stack sockets included.
 *
 * An entry is "any", an address, a CIDR or an object name, optionally
 * prefixed with "!". An entry containing ':' or '/' or starting with a
 * digit is an address; anything else must be an object name, a letter
 * or '_' followed by letters, digits, '_', '-' and '.'.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/queue.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "access.h"

#define ACCESS_DEFAULT_REPLY	"Access denied"

/* A network: af is AF_INET (addr[0..3]) or AF_INET6; host bits zero. */
struct access_net {
	int		 af;
	unsigned int	 plen;
	unsigned char	 addr[16];
};

struct access_object {
	TAILQ_ENTRY(access_object)	 entry;
	char				*name;
	struct access_net		*nets;
	size_t				 nnets;
};

enum access_entry_type {
	ACCESS_ENTRY_ANY,
	ACCESS_ENTRY_NET,
	ACCESS_ENTRY_OBJECT
};

struct access_entry {
	enum access_entry_type		 type;
	int				 exclude;	/* "!" */
	struct access_net		 net;
	const struct access_object	*obj;
};

struct access_rule {
	TAILQ_ENTRY(access_rule)	 entry;
	char				*name;
	enum access_action		 action;
	struct access_entry		*src;
	size_t				 nsrc;
	struct access_entry		*dst;
	size_t				 ndst;
	char				*reply;
};

struct access {
	enum access_action		 def;
	TAILQ_HEAD(, access_object)	 objects;
	TAILQ_HEAD(, access_rule)	 rules;
	char				 errbuf[512];
};

static void	access_rule_free(struct access_rule *);
static void	access_object_free(struct access_object *);

/*
 * Format an error into a->errbuf and point *errstr_r at it. A message
 * cut short (a very long entry) ends in "...". Returns -1.
 */
static int __attribute__((format(printf, 3, 4)))
access_error(struct access *a, const char **errstr_r, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(a->errbuf, sizeof(a->errbuf), fmt, ap);
	va_end(ap);
	if (n < 0)
		(void)snprintf(a->errbuf, sizeof(a->errbuf), "invalid entry");
	else if ((size_t)n >= sizeof(a->errbuf))
		memcpy(a->errbuf + sizeof(a->errbuf) - 4, "...", 4);
	*errstr_r = a->errbuf;
	return -1;
}

static size_t
access_af_len(int af)
{
	return af == AF_INET ? 4 : 16;
}

/* Clear the host bits of n. */
static void
access_net_mask(struct access_net *n)
{
	size_t		 i, len = access_af_len(n->af);
	unsigned int	 bits = n->plen;

	for (i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		n->addr[i] &= (unsigned char)(0xff << (8 - bits));
		bits = 0;
	}
}

/*
 * RFC 4291 §2.5.5.2: ::ffff:0:0/96 holds the IPv4 addresses. A network
 * inside it becomes the IPv4 network it stands for.
 */
static void
access_net_unmap(struct access_net *n)
{
	static const unsigned char	 mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};

	if (n->af != AF_INET6 || n->plen < 96 ||
	    memcmp(n->addr, mapped, sizeof(mapped)) != 0)
		return;
	n->af = AF_INET;
	n->plen -= 96;
	memmove(n->addr, n->addr + 12, 4);
	memset(n->addr + 4, 0, 12);
}

/*
 * "a.b.c.d", "a.b.c.d/N" (N 0-32), "IPv6" or "IPv6/N" (N 0-128). The
 * prefix length is 1 to 3 decimal digits. Returns 0 or -1.
 */
static int
access_net_parse(const char *s, struct access_net *n)
{
	char		 buf[INET6_ADDRSTRLEN];
	const char	*slash, *p;
	size_t		 alen, ndig;
	unsigned int	 plen, max;

	memset(n, 0, sizeof(*n));
	slash = strchr(s, '/');
	alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -1;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1)
		n->af = AF_INET;
	else if (inet_pton(AF_INET6, buf, n->addr) == 1)
		n->af = AF_INET6;
	else
		return -1;
	max = n->af == AF_INET ? 32 : 128;
	plen = max;
	if (slash != NULL) {
		plen = 0;
		for (p = slash + 1, ndig = 0; *p >= '0' && *p <= '9'; p++) {
			if (++ndig > 3)
				return -1;
			plen = plen * 10 + (unsigned int)(*p - '0');
		}
		if (ndig == 0 || *p != '\0' || plen > max)
			return -1;
	}
	n->plen = plen;
	access_net_mask(n);
	access_net_unmap(n);
	return 0;
}

/* The client or server address as a host network, or -1 if not IP. */
static int
access_net_from_sa(const struct sockaddr *sa, struct access_net *n)
{
	struct sockaddr_in	 sin;
	struct sockaddr_in6	 sin6;

	memset(n, 0, sizeof(*n));
	if (sa == NULL)
		return -1;
	switch (sa->sa_family) {
	case AF_INET:
		memcpy(&sin, sa, sizeof(sin));
		n->af = AF_INET;
		n->plen = 32;
		memcpy(n->addr, &sin.sin_addr, 4);
		return 0;
	case AF_INET6:
		memcpy(&sin6, sa, sizeof(sin6));
		n->af = AF_INET6;
		n->plen = 128;
		memcpy(n->addr, &sin6.sin6_addr, 16);
		access_net_unmap(n);
		return 0;
	default:
		return -1;
	}
}

/* 1 if host address h lies in network net. */
static int
access_net_contains(const struct access_net *net, const struct access_net *h)
{
	unsigned int	 full = net->plen / 8, rest = net->plen % 8;
	unsigned char	 mask;

	if (net->af != h->af)
		return 0;
	if (memcmp(net->addr, h->addr, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (unsigned char)(0xff << (8 - rest));
	return (h->addr[full] & mask) == net->addr[full];
}

static int
access_isalpha(int c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Object name: (ALPHA / "_") *(ALPHA / DIGIT / "_" / "-" / "."). */
static int
access_name_valid(const char *s)
{
	const char	*p;

	if (!access_isalpha((unsigned char)s[0]) && s[0] != '_')
		return 0;
	for (p = s + 1; *p != '\0'; p++)
		if (!access_isalpha((unsigned char)*p) && *p != '_' &&
		    *p != '-' && *p != '.' && !(*p >= '0' && *p <= '9'))
			return 0;
	return strcasecmp(s, "any") != 0;
}

/* An entry that is not "any" and not a name must be an address. */
static int
access_looks_like_address(const char *s)
{
	return (s[0] >= '0' && s[0] <= '9') || strchr(s, ':') != NULL ||
	    strchr(s, '/') != NULL;
}

static const struct access_object *
access_object_find(const struct access *a, const char *name)
{
	const struct access_object	*o;

	if (a == NULL)
		return NULL;
	TAILQ_FOREACH(o, &a->objects, entry)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/*
 * Parse one list entry. Returns 0, or -1 with *why_r "invalid address",
 * "unknown object" or "invalid entry". Objects are looked up in a
 * (which may be NULL: no objects).
 */
static int
access_entry_parse(const struct access *a, const char *s,
    struct access_entry *e, const char **why_r)
{
	const char	*p = s;

	memset(e, 0, sizeof(*e));
	if (*p == '!') {
		e->exclude = 1;
		p++;
	}
	if (strcasecmp(p, "any") == 0) {
		e->type = ACCESS_ENTRY_ANY;
		return 0;
	}
	if (access_looks_like_address(p)) {
		if (access_net_parse(p, &e->net) == -1) {
			*why_r = "invalid address";
			return -1;
		}
		e->type = ACCESS_ENTRY_NET;
		return 0;
	}
	if (!access_name_valid(p)) {
		*why_r = "invalid entry";
		return -1;
	}
	if ((e->obj = access_object_find(a, p)) == NULL) {
		*why_r = "unknown object";
		return -1;
	}
	e->type = ACCESS_ENTRY_OBJECT;
	return 0;
}

/* 1 if host h (NULL: not an IP address) is in entry e, "!" ignored. */
static int
access_entry_contains(const struct access_entry *e,
    const struct access_net *h)
{
	size_t	 i;

	switch (e->type) {
	case ACCESS_ENTRY_ANY:
		return 1;
	case ACCESS_ENTRY_NET:
		return h != NULL && access_net_contains(&e->net, h);
	case ACCESS_ENTRY_OBJECT:
		if (h == NULL)
			return 0;
		for (i = 0; i < e->obj->nnets; i++)
			if (access_net_contains(&e->obj->nets[i], h))
				return 1;
		return 0;
	}
	return 0;
}

/*
 * SPEC §4.1: a list matches when the address is in some entry without
 * "!" (or there is no such entry, which includes the empty list) and in
 * no "!" entry.
 */
static int
access_list_contains(const struct access_entry *v, size_t n,
    const struct access_net *h)
{
	size_t	 i;
	int	 positive = 0, hit = 0;

	for (i = 0; i < n; i++) {
		if (v[i].exclude) {
			if (access_entry_contains(&v[i], h))
				return 0;
			continue;
		}
		positive = 1;
		if (!hit && access_entry_contains(&v[i], h))
			hit = 1;
	}
	return positive ? hit : 1;
}

/*
 * Compile a rule's list; which is "source" or "destination" for error
 * messages. Returns 0 or -1 with *errstr_r naming rule, list and entry.
 */
static int
access_list_compile(struct access *a, const char *rule, const char *which,
    const char *const *v, size_t n, struct access_entry **list_r,
    size_t *n_r, const char **errstr_r)
{
	struct access_entry	*list = NULL;
	const char		*why;
	size_t			 i;

	*list_r = NULL;
	*n_r = 0;
	if (n == 0)
		return 0;
	if ((list = calloc(n, sizeof(*list))) == NULL)
		return access_error(a, errstr_r, "out of memory");
	for (i = 0; i < n; i++) {
		if (v[i] == NULL || v[i][0] == '\0') {
			free(list);
			return access_error(a, errstr_r,
			    "rule \"%s\" %s: empty entry", rule, which);
		}
		if (access_entry_parse(a, v[i], &list[i], &why) == -1) {
			free(list);
			return access_error(a, errstr_r,
			    "rule \"%s\" %s: %s \"%s\"", rule, which, why,
			    v[i]);
		}
	}
	*list_r = list;
	*n_r = n;
	return 0;
}

/* Reply text goes into an SMTP reply line: printable ASCII only. */
static int
access_reply_valid(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

struct access *
access_new(enum access_action def)
{
	struct access	*a;

	if (def != ACCESS_ACCEPT && def != ACCESS_DENY)
		return NULL;
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->def = def;
	TAILQ_INIT(&a->objects);
	TAILQ_INIT(&a->rules);
	return a;
}

static void
access_object_free(struct access_object *o)
{
	free(o->name);
	free(o->nets);
	free(o);
}

static void
access_rule_free(struct access_rule *r)
{
	free(r->name);
	free(r->src);
	free(r->dst);
	free(r->reply);
	free(r);
}

void
access_free(struct access *a)
{
	struct access_object	*o;
	struct access_rule	*r;

	if (a == NULL)
		return;
	while ((r = TAILQ_FIRST(&a->rules)) != NULL) {
		TAILQ_REMOVE(&a->rules, r, entry);
		access_rule_free(r);
	}
	while ((o = TAILQ_FIRST(&a->objects)) != NULL) {
		TAILQ_REMOVE(&a->objects, o, entry);
		access_object_free(o);
	}
	free(a);
}

/*
 * An object holds addresses and CIDRs only: no "!", no "any", no other
 * object. An object without addresses is allowed and contains nothing.
 */
int
access_object(struct access *a, const char *name, const char *const *addrs,
    size_t naddrs, const char **errstr_r)
{
	struct access_object	*o;
	size_t			 i;

	if (name == NULL || !access_name_valid(name))
		return access_error(a, errstr_r, "invalid object name \"%s\"",
		    name != NULL ? name : "");
	if (access_object_find(a, name) != NULL)
		return access_error(a, errstr_r, "object \"%s\" defined twice",
		    name);
	if ((o = calloc(1, sizeof(*o))) == NULL ||
	    (o->name = strdup(name)) == NULL ||
	    (naddrs > 0 &&
	    (o->nets = calloc(naddrs, sizeof(*o->nets))) == NULL)) {
		if (o != NULL)
			access_object_free(o);
		return access_error(a, errstr_r, "out of memory");
	}
	for (i = 0; i < naddrs; i++) {
		if (addrs[i] == NULL ||
		    access_net_parse(addrs[i], &o->nets[i]) == -1) {
			access_error(a, errstr_r,
			    "object \"%s\": invalid address \"%s\"", name,
			    addrs[i] != NULL ? addrs[i] : "");
			access_object_free(o);
			return -1;
		}
	}
	o->nnets = naddrs;
	TAILQ_INSERT_TAIL(&a->objects, o, entry);
	return 0;
}

int
access_rule(struct access *a, const char *name, enum access_action action,
    const char *const *source, size_t nsource,
    const char *const *destination, size_t ndestination, const char *reply,
    const char **errstr_r)
{
	struct access_rule	*r;

	if (name == NULL || name[0] == '\0')
		return access_error(a, errstr_r, "rule without a name");
	if (!access_reply_valid(name))
		return access_error(a, errstr_r, "invalid rule name \"%s\"",
		    name);
	TAILQ_FOREACH(r, &a->rules, entry)
		if (strcmp(r->name, name) == 0)
			return access_error(a, errstr_r,
			    "rule \"%s\" defined twice", name);
	if (action != ACCESS_ACCEPT && action != ACCESS_DENY)
		return access_error(a, errstr_r, "rule \"%s\": invalid action",
		    name);
	if (reply != NULL && !access_reply_valid(reply))
		return access_error(a, errstr_r,
		    "rule \"%s\": reply must be printable ASCII", name);

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->name = strdup(name)) == NULL ||
	    (reply != NULL && reply[0] != '\0' &&
	    (r->reply = strdup(reply)) == NULL)) {
		if (r != NULL)
			access_rule_free(r);
		return access_error(a, errstr_r, "out of memory");
	}
	r->action = action;
	if (access_list_compile(a, name, "source", source, nsource, &r->src,
	    &r->nsrc, errstr_r) == -1 ||
	    access_list_compile(a, name, "destination", destination,
	    ndestination, &r->dst, &r->ndst, errstr_r) == -1) {
		access_rule_free(r);
		return -1;
	}
	TAILQ_INSERT_TAIL(&a->rules, r, entry);
	return 0;
}

/*
 * src or dst NULL or not AF_INET/AF_INET6 is an unknown address: it is
 * in "any" only (so it matches an empty list, an "any" list and a list
 * of "!" entries). rule_r and reply_r may be NULL.
 */
enum access_action
access_match(const struct access *a, const struct sockaddr *src,
    const struct sockaddr *dst, const char **rule_r, const char **reply_r)
{
	const struct access_rule	*r;
	struct access_net		 s, d;
	const struct access_net		*sp, *dp;

	sp = access_net_from_sa(src, &s) == 0 ? &s : NULL;
	dp = access_net_from_sa(dst, &d) == 0 ? &d : NULL;
	TAILQ_FOREACH(r, &a->rules, entry) {
		if (!access_list_contains(r->src, r->nsrc, sp) ||
		    !access_list_contains(r->dst, r->ndst, dp))
			continue;
		if (rule_r != NULL)
			*rule_r = r->name;
		if (reply_r != NULL)
			*reply_r = r->reply != NULL ? r->reply :
			    ACCESS_DEFAULT_REPLY;
		return r->action;
	}
	if (rule_r != NULL)
		*rule_r = NULL;
	if (reply_r != NULL)
		*reply_r = ACCESS_DEFAULT_REPLY;
	return a->def;
}

/*
 * An empty list matches nothing here: local_servers = { } means no
 * server is local, not every server. Entries are parsed on every call;
 * a may be NULL (no objects). The
 * caller validates the list once at load, e.g. as the source of a rule
 * in a scratch rule set (access_rule() names a bad entry); an entry
 * that does not parse here is in nothing: it never includes and never
 * excludes.
 */
int
access_list_match(const struct access *a, const char *const *entries,
    size_t nentries, const struct sockaddr *addr)
{
	struct access_entry	 e;
	struct access_net	 h;
	const struct access_net	*hp;
	const char		*why;
	size_t			 i;
	int			 positive = 0, hit = 0;

	if (nentries == 0)
		return 0;
	hp = access_net_from_sa(addr, &h) == 0 ? &h : NULL;
	for (i = 0; i < nentries; i++) {
		if (entries[i] == NULL)
			continue;
		if (access_entry_parse(a, entries[i], &e, &why) == -1) {
			if (entries[i][0] != '!')
				positive = 1;
			continue;
		}
		if (e.exclude) {
			if (access_entry_contains(&e, hp))
				return 0;
			continue;
		}
		positive = 1;
		if (access_entry_contains(&e, hp))
			hit = 1;
	}
	return positive ? hit : 1;
}
