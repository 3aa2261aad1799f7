/*
 * Per-client session counts: open addressing with linear probing, at
 * most half full (so a probe is short), deletion by backward shift (no
 * tombstones, so a table that sees millions of clients come and go
 * never degrades), shrunk when an eighth full.
 *
 * Clients choose their addresses (an IPv6 client has a /64 to pick
 * from), so the hash is keyed: SipHash-2-4 with a random key per table.
 * Without the key nobody can pick addresses that pile into one probe
 * sequence.
 *
 * Sharing with workers (several event loops in threads; SPEC §5 keeps
 * max_sessions_per_client for the whole process). SO_REUSEPORT spreads
 * one client's connections over the workers by the 4-tuple's hash, so a
 * table per worker would not see the client's other sessions. Instead
 * the shared table (clientcount_shared_*) is CLIENTCOUNT_SHARDS of
 * these, each behind its own mutex, a client's shard picked by a keyed
 * hash of its own. A worker holds one shard's lock for one probe (tens
 * of nanoseconds), and two workers contend only when their clients fall
 * in the same shard; no lock covers the whole table. The check against
 * the limit and the increment are one call under the shard's lock, so
 * that two workers cannot both admit a client's last session.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <pthread.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clientcount.h"

#define CLIENTCOUNT_MIN_SLOTS	64	/* a power of 2 */

struct clientcount_slot {
	unsigned char	 key[16];	/* the IPv6 form of the address */
	uint32_t	 hash;		/* low bits: the home slot */
	uint32_t	 n;		/* sessions; 0: the slot is free */
};

struct clientcount {
	struct clientcount_slot	*slots;
	size_t			 nslots;	/* a power of 2 */
	size_t			 nused;
	uint64_t		 k0, k1;	/* SipHash key */
};

#define ROTL64(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3) do {					\
	v0 += v1; v1 = ROTL64(v1, 13); v1 ^= v0; v0 = ROTL64(v0, 32);	\
	v2 += v3; v3 = ROTL64(v3, 16); v3 ^= v2;			\
	v0 += v3; v3 = ROTL64(v3, 21); v3 ^= v0;			\
	v2 += v1; v1 = ROTL64(v1, 17); v1 ^= v2; v2 = ROTL64(v2, 32);	\
} while (0)

/*
 * SipHash-2-4 (Aumasson and Bernstein, 2012) of a 16-byte key: two
 * message words and the final block, which holds only the length.
 */
static uint32_t
clientcount_hash(const struct clientcount *cc, const unsigned char key[16])
{
	uint64_t	 v0 = cc->k0 ^ UINT64_C(0x736f6d6570736575);
	uint64_t	 v1 = cc->k1 ^ UINT64_C(0x646f72616e646f6d);
	uint64_t	 v2 = cc->k0 ^ UINT64_C(0x6c7967656e657261);
	uint64_t	 v3 = cc->k1 ^ UINT64_C(0x7465646279746573);
	uint64_t	 m[3];
	int		 i;

	memcpy(m, key, 16);
	m[2] = UINT64_C(16) << 56;
	for (i = 0; i < 3; i++) {
		v3 ^= m[i];
		SIPROUND(v0, v1, v2, v3);
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m[i];
	}
	v2 ^= 0xff;
	for (i = 0; i < 4; i++)
		SIPROUND(v0, v1, v2, v3);
	return (uint32_t)(v0 ^ v1 ^ v2 ^ v3);
}

/*
 * The key of sa: IPv4 as its IPv4-mapped IPv6 form (RFC 4291 §2.5.5.2),
 * so that a mapped address and the plain one are the same client.
 * Returns 0, or -1 for another family.
 */
static int
clientcount_key(const struct sockaddr *sa, unsigned char key[16])
{
	const struct sockaddr_in	*sin;
	const struct sockaddr_in6	*sin6;

	switch (sa->sa_family) {
	case AF_INET:
		sin = (const void *)sa;
		memset(key, 0, 10);
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &sin->sin_addr, 4);
		return 0;
	case AF_INET6:
		sin6 = (const void *)sa;
		memcpy(key, &sin6->sin6_addr, 16);
		return 0;
	default:
		return -1;
	}
}

/* The slot holding key, or the free slot where it would go. */
static size_t
clientcount_find(const struct clientcount *cc, const unsigned char key[16],
    uint32_t hash)
{
	const struct clientcount_slot	*sl;
	size_t				 i, mask = cc->nslots - 1;

	for (i = hash & mask;; i = (i + 1) & mask) {
		sl = &cc->slots[i];
		if (sl->n == 0 || (sl->hash == hash &&
		    memcmp(sl->key, key, 16) == 0))
			return i;
	}
}

/* Move every entry into a table of nslots; -1 out of memory (unchanged). */
static int
clientcount_resize(struct clientcount *cc, size_t nslots)
{
	struct clientcount_slot	*old = cc->slots, *ns;
	size_t			 i, j, oldn = cc->nslots, mask = nslots - 1;

	if ((ns = calloc(nslots, sizeof(*ns))) == NULL)
		return -1;
	for (i = 0; i < oldn; i++) {
		if (old[i].n == 0)
			continue;
		for (j = old[i].hash & mask; ns[j].n != 0; j = (j + 1) & mask)
			;
		ns[j] = old[i];
	}
	free(old);
	cc->slots = ns;
	cc->nslots = nslots;
	return 0;
}

static void
clientcount_seed(struct clientcount *cc)
{
	uint64_t	 k[2];
	struct timespec	 ts;

	if (getrandom(k, sizeof(k), GRND_NONBLOCK) != (ssize_t)sizeof(k)) {
		/* Early at boot: weaker, but still not known outside. */
		clock_gettime(CLOCK_REALTIME, &ts);
		k[0] = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30) ^
		    (uint64_t)(uintptr_t)cc;
		k[1] = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&k ^
		    (uint64_t)clock();
	}
	cc->k0 = k[0];
	cc->k1 = k[1];
}

struct clientcount *
clientcount_new(void)
{
	struct clientcount	*cc;

	if ((cc = calloc(1, sizeof(*cc))) == NULL)
		return NULL;
	if ((cc->slots = calloc(CLIENTCOUNT_MIN_SLOTS,
	    sizeof(*cc->slots))) == NULL) {
		free(cc);
		return NULL;
	}
	cc->nslots = CLIENTCOUNT_MIN_SLOTS;
	clientcount_seed(cc);
	return cc;
}

void
clientcount_free(struct clientcount **ccp)
{
	if (*ccp == NULL)
		return;
	free((*ccp)->slots);
	free(*ccp);
	*ccp = NULL;
}

/*
 * Where sa is in cc: its key, hash and slot (or the free slot where it
 * would go). Returns 0, or -1 for a family that is not counted.
 */
static int
clientcount_lookup(const struct clientcount *cc, const struct sockaddr *sa,
    unsigned char key[16], uint32_t *hash_r, size_t *slot_r)
{
	if (clientcount_key(sa, key) == -1)
		return -1;
	*hash_r = clientcount_hash(cc, key);
	*slot_r = clientcount_find(cc, key, *hash_r);
	return 0;
}

int
clientcount_add(struct clientcount *cc, const struct sockaddr *sa)
{
	return clientcount_add_max(cc, sa, INT_MAX);
}

int
clientcount_add_max(struct clientcount *cc, const struct sockaddr *sa,
    int max)
{
	struct clientcount_slot	*sl;
	unsigned char		 key[16];
	uint32_t		 hash;
	size_t			 i;

	if (clientcount_lookup(cc, sa, key, &hash, &i) == -1)
		return 0;
	if (cc->slots[i].n >= (uint32_t)max)
		return -2;
	if (cc->slots[i].n == 0 && 2 * (cc->nused + 1) > cc->nslots) {
		if (clientcount_resize(cc, 2 * cc->nslots) == -1)
			return -1;
		i = clientcount_find(cc, key, hash);
	}
	sl = &cc->slots[i];
	if (sl->n == 0) {
		memcpy(sl->key, key, 16);
		sl->hash = hash;
		cc->nused++;
	}
	return (int)++sl->n;
}

/*
 * Free slot i by backward shift (Knuth, TAOCP vol. 3, 6.4, algorithm R):
 * each later entry of the cluster whose home is not cyclically in
 * (i, j] moves back into the hole, so that every probe still finds it.
 */
static void
clientcount_remove_slot(struct clientcount *cc, size_t i)
{
	size_t	 j = i, home, mask = cc->nslots - 1;

	for (;;) {
		j = (j + 1) & mask;
		if (cc->slots[j].n == 0)
			break;
		home = cc->slots[j].hash & mask;
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		cc->slots[i] = cc->slots[j];
		i = j;
	}
	memset(&cc->slots[i], 0, sizeof(cc->slots[i]));
	cc->nused--;
}

int
clientcount_del(struct clientcount *cc, const struct sockaddr *sa)
{
	unsigned char	 key[16];
	uint32_t	 hash, n;
	size_t		 i;

	if (clientcount_lookup(cc, sa, key, &hash, &i) == -1)
		return 0;
	if (cc->slots[i].n == 0)
		return -1;
	if ((n = --cc->slots[i].n) > 0)
		return (int)n;
	clientcount_remove_slot(cc, i);
	/* Shrinking may fail: the larger table is still correct. */
	if (cc->nslots > CLIENTCOUNT_MIN_SLOTS && 8 * cc->nused < cc->nslots)
		(void)clientcount_resize(cc, cc->nslots / 2);
	return 0;
}

int
clientcount_get(const struct clientcount *cc, const struct sockaddr *sa)
{
	unsigned char	 key[16];
	uint32_t	 hash;
	size_t		 i;

	if (clientcount_lookup(cc, sa, key, &hash, &i) == -1)
		return 0;
	return (int)cc->slots[i].n;
}

size_t
clientcount_size(const struct clientcount *cc)
{
	return cc->nused;
}

size_t
clientcount_slots(const struct clientcount *cc)
{
	return cc->nslots;
}

size_t
clientcount_home(const struct clientcount *cc, const struct sockaddr *sa)
{
	unsigned char	 key[16];

	if (clientcount_key(sa, key) == -1)
		return 0;
	return clientcount_hash(cc, key) & (cc->nslots - 1);
}

/* The shared table: CLIENTCOUNT_SHARDS tables, a lock each. */
#define CLIENTCOUNT_SHARDS	64	/* a power of 2 */

struct clientcount_shard {
	pthread_mutex_t		 lock;
	struct clientcount	*cc;
} __attribute__((aligned(64)));		/* a cache line each */

struct clientcount_shared {
	struct clientcount_shard shards[CLIENTCOUNT_SHARDS];
	struct clientcount	 picker;	/* only its key: the shard */
};

struct clientcount_shared *
clientcount_shared_new(void)
{
	struct clientcount_shared	*cs;
	int				 i;

	if ((cs = aligned_alloc(64, sizeof(*cs))) == NULL)
		return NULL;
	memset(cs, 0, sizeof(*cs));
	clientcount_seed(&cs->picker);
	for (i = 0; i < CLIENTCOUNT_SHARDS; i++) {
		pthread_mutex_init(&cs->shards[i].lock, NULL);
		if ((cs->shards[i].cc = clientcount_new()) == NULL) {
			clientcount_shared_free(&cs);
			return NULL;
		}
	}
	return cs;
}

void
clientcount_shared_free(struct clientcount_shared **csp)
{
	int	 i;

	if (*csp == NULL)
		return;
	for (i = 0; i < CLIENTCOUNT_SHARDS; i++) {
		clientcount_free(&(*csp)->shards[i].cc);
		pthread_mutex_destroy(&(*csp)->shards[i].lock);
	}
	free(*csp);
	*csp = NULL;
}

/* The shard of sa, or NULL for a family that is not counted. */
static struct clientcount_shard *
clientcount_shard(struct clientcount_shared *cs, const struct sockaddr *sa)
{
	unsigned char	 key[16];

	if (clientcount_key(sa, key) == -1)
		return NULL;
	return &cs->shards[clientcount_hash(&cs->picker, key) &
	    (CLIENTCOUNT_SHARDS - 1)];
}

enum clientcount_op { CLIENTCOUNT_ADD, CLIENTCOUNT_DEL, CLIENTCOUNT_GET };

/* One call on sa's shard, under its lock. */
static int
clientcount_shared_op(struct clientcount_shared *cs,
    const struct sockaddr *sa, enum clientcount_op op, int max)
{
	struct clientcount_shard	*sh;
	int				 n;

	if ((sh = clientcount_shard(cs, sa)) == NULL)
		return 0;
	pthread_mutex_lock(&sh->lock);
	switch (op) {
	case CLIENTCOUNT_ADD:
		n = clientcount_add_max(sh->cc, sa, max);
		break;
	case CLIENTCOUNT_DEL:
		n = clientcount_del(sh->cc, sa);
		break;
	default:
		n = clientcount_get(sh->cc, sa);
		break;
	}
	pthread_mutex_unlock(&sh->lock);
	return n;
}

int
clientcount_shared_add(struct clientcount_shared *cs,
    const struct sockaddr *sa, int max)
{
	return clientcount_shared_op(cs, sa, CLIENTCOUNT_ADD, max);
}

int
clientcount_shared_del(struct clientcount_shared *cs,
    const struct sockaddr *sa)
{
	return clientcount_shared_op(cs, sa, CLIENTCOUNT_DEL, 0);
}

int
clientcount_shared_get(struct clientcount_shared *cs,
    const struct sockaddr *sa)
{
	return clientcount_shared_op(cs, sa, CLIENTCOUNT_GET, 0);
}

size_t
clientcount_shared_size(struct clientcount_shared *cs)
{
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < CLIENTCOUNT_SHARDS; i++) {
		pthread_mutex_lock(&cs->shards[i].lock);
		n += clientcount_size(cs->shards[i].cc);
		pthread_mutex_unlock(&cs->shards[i].lock);
	}
	return n;
}
