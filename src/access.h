/*
 * Access rules (SPEC §4.1): named objects (address groups) and ordered
 * rules, first match wins. Pure: no I/O.
 *
 * A list of entries matches an address when the address is in some
 * entry without "!" (or the list has only "!" entries) and in no entry
 * with "!". Entries are "any", an IPv4/IPv6 address, a CIDR, or an
 * object name.
 */
#ifndef SMTPPROXY_ACCESS_H
#define SMTPPROXY_ACCESS_H

#include <sys/socket.h>

#include <stddef.h>

struct access;

enum access_action {
	ACCESS_ACCEPT,
	ACCESS_DENY
};

/* An empty rule set whose default is def. NULL if out of memory. */
struct access	*access_new(enum access_action def);
void		 access_free(struct access *);

/*
 * Define object name with its addresses/CIDRs (no "!", no object names,
 * no "any"). Returns 0, or -1 with *errstr_r ("invalid address \"x\"",
 * "object \"x\" defined twice", ...).
 */
int	access_object(struct access *, const char *name,
	    const char *const *addrs, size_t naddrs, const char **errstr_r);
/*
 * Append a rule. source and destination are entry lists as above; an
 * empty list means "any". Object names must be defined before use.
 * reply is the text of the deny reply (NULL: a default). Returns 0 or
 * -1 with *errstr_r naming the bad entry.
 */
int	access_rule(struct access *, const char *name, enum access_action,
	    const char *const *source, size_t nsource,
	    const char *const *destination, size_t ndestination,
	    const char *reply, const char **errstr_r);
/*
 * The first rule matching (source, destination), or the default.
 * *rule_r gets the rule's name (NULL for the default) and *reply_r the
 * deny reply text. Returns the action.
 */
enum access_action access_match(const struct access *,
	    const struct sockaddr *src, const struct sockaddr *dst,
	    const char **rule_r, const char **reply_r);
/*
 * An address list alone (for antivirus local_servers): 1 if addr
 * matches entries (same semantics, objects of a resolved), 0 if not.
 * Unlike a rule's list, an empty list matches nothing.
 */
int	access_list_match(const struct access *, const char *const *entries,
	    size_t nentries, const struct sockaddr *addr);

#endif
