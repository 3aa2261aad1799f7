/*
 * Sessions open per client address, for max_sessions_per_client: a hash
 * table keyed by the address (IPv4 /32, IPv6 /128; an IPv4-mapped IPv6
 * address is its IPv4 address), O(1) per accept and per close.
 * Pure: no I/O, no locks (see clientcount.c for how workers share it).
 */
#ifndef SMTPPROXY_CLIENTCOUNT_H
#define SMTPPROXY_CLIENTCOUNT_H

#include <sys/socket.h>

#include <stddef.h>

struct clientcount;

/* An empty table with a random hash key; NULL out of memory. */
struct clientcount	*clientcount_new(void);
/* Free *cc (NULL is fine) and set *cc to NULL. */
void	clientcount_free(struct clientcount **);
/*
 * One more session from sa. Returns its new count (>= 1), 0 for an
 * address that is neither AF_INET nor AF_INET6 (not counted), or -1 out
 * of memory (nothing changed).
 */
int	clientcount_add(struct clientcount *, const struct sockaddr *);
/*
 * One session from sa less. Returns the count left (0 when the address
 * is gone from the table), or -1 if sa has no session counted, which is
 * a caller's bug: nothing changes, a count never goes below 0.
 * Addresses clientcount_add() does not count return 0.
 */
int	clientcount_del(struct clientcount *, const struct sockaddr *);
/* Sessions counted for sa (0 if none). */
int	clientcount_get(const struct clientcount *, const struct sockaddr *);
/* Addresses with at least one session. */
size_t	clientcount_size(const struct clientcount *);
/*
 * For tests: the table's slots, and the slot sa's probe starts from
 * (sa must be AF_INET or AF_INET6); both change when the table grows or
 * shrinks.
 */
size_t	clientcount_slots(const struct clientcount *);
size_t	clientcount_home(const struct clientcount *, const struct sockaddr *);

#endif
