/*
 * Sessions open per client address, for max_sessions_per_client: a hash
 * table keyed by the address (IPv4 /32, IPv6 /128; an IPv4-mapped IPv6
 * address is its IPv4 address), O(1) per accept and per close.
 * A table is pure (no I/O, no locks); the shared table below is the one
 * the workers use, a table per shard under a lock each.
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
 * The same if sa has fewer than max sessions: else -2, nothing changed.
 */
int	clientcount_add_max(struct clientcount *, const struct sockaddr *,
	    int max);
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

/*
 * The shared table, for any thread: the same calls, each under the lock
 * of the address's shard only. clientcount_shared_add() admits a
 * session only below max (the check and the count are one step);
 * clientcount_shared_size() takes each shard's lock in turn.
 */
struct clientcount_shared;

struct clientcount_shared *clientcount_shared_new(void);
void	clientcount_shared_free(struct clientcount_shared **);
int	clientcount_shared_add(struct clientcount_shared *,
	    const struct sockaddr *, int max);
int	clientcount_shared_del(struct clientcount_shared *,
	    const struct sockaddr *);
int	clientcount_shared_get(struct clientcount_shared *,
	    const struct sockaddr *);
size_t	clientcount_shared_size(struct clientcount_shared *);

#endif
