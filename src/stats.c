/*
 * Counters: a block per counting thread, summed when read (stats.h).
 */
#include "autoconf.h"

#include <sys/queue.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

const struct stats_def stats_table[STATS_COUNT] = {
	[STATS_SESSIONS] =		{ "sessions", 0 },
	[STATS_SESSIONS_ACTIVE] =	{ "active", 1 },
	[STATS_REFUSED] =		{ "refused", 0 },
	[STATS_MESSAGES_ACCEPTED] =	{ "messages_accepted", 0 },
	[STATS_MESSAGES_REJECTED] =	{ "messages_rejected", 0 },
	[STATS_MESSAGES_TEMPFAILED] =	{ "messages_tempfailed", 0 },
	[STATS_MESSAGES_UNCERTAIN] =	{ "messages_uncertain", 0 },
	[STATS_ALARMS] =		{ "alarms", 0 },
	[STATS_BYTES_IN] =		{ "bytes_in", 0 },
	[STATS_BYTES_CLIENT] =		{ "bytes_client", 0 },
	[STATS_BYTES_UPSTREAM] =	{ "bytes_upstream", 0 },
	[STATS_UPSTREAM_CONNECT] =	{ "upstream_connect", 0 },
	[STATS_UPSTREAM_CONNECT_TIMEOUT] = { "upstream_connect_timeout", 0 },
	[STATS_UPSTREAM_TIMEOUT] =	{ "upstream_timeout", 0 },
	[STATS_UPSTREAM_LOST] =		{ "upstream_lost", 0 },
	[STATS_UPSTREAM_PROTOCOL] =	{ "upstream_protocol", 0 },
	[STATS_UPSTREAM_CLOSING] =	{ "upstream_closing", 0 },
	[STATS_UPSTREAM_REPLAY] =	{ "upstream_replay", 0 },
	[STATS_TLS_PASSTHROUGH] =	{ "tls_passthrough", 0 },
	[STATS_TLS_INSPECT] =		{ "tls_inspect", 0 },
};

/* From a millisecond to ten seconds: a typing to a slow clamd. */
const double stats_buckets[STATS_NBUCKETS] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10
};

const char *const stats_engine_names[STATS_ENGINE_COUNT] = {
	[STATS_ENGINE_FILETYPES] =	"filetypes",
	[STATS_ENGINE_LIBCLAMAV] =	"libclamav",
	[STATS_ENGINE_CLAMD] =		"clamd",
};

struct stats_block {
	SLIST_ENTRY(stats_block) entry;
	int64_t			 v[STATS_COUNT];
	int64_t			 alarm[ALARM_COUNT];
	int64_t			 hist[STATS_ENGINE_COUNT][STATS_NBUCKETS + 1];
	int64_t			 hist_usec[STATS_ENGINE_COUNT];
};
SLIST_HEAD(stats_blocks, stats_block);

/* Shared: the list of blocks, changed only when a thread first counts. */
static pthread_mutex_t		 stats_lock = PTHREAD_MUTEX_INITIALIZER;
static struct stats_blocks	 stats_blocks =
    SLIST_HEAD_INITIALIZER(stats_blocks);
/* Per thread: its own block. */
static __thread struct stats_block *stats_self;

static struct stats_block *
stats_block(void)
{
	struct stats_block	*b;

	if ((b = stats_self) != NULL)
		return b;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		fatal("stats");
	pthread_mutex_lock(&stats_lock);
	SLIST_INSERT_HEAD(&stats_blocks, b, entry);
	pthread_mutex_unlock(&stats_lock);
	stats_self = b;
	return b;
}

/* The block's only writer is this thread: a relaxed store suffices. */
static void
stats_bump(int64_t *v, int64_t n)
{
	__atomic_store_n(v, *v + n, __ATOMIC_RELAXED);
}

void
stats_add(enum stats_id id, int64_t n)
{
	stats_bump(&stats_block()->v[id], n);
}

void
stats_alarm(enum alarm_id id)
{
	struct stats_block	*b = stats_block();

	stats_bump(&b->v[STATS_ALARMS], 1);
	stats_bump(&b->alarm[id], 1);
}

void
stats_observe(enum stats_engine e, int64_t usec)
{
	struct stats_block	*b = stats_block();
	size_t			 i;

	for (i = 0; i < STATS_NBUCKETS; i++)
		if ((double)usec <= stats_buckets[i] * 1e6)
			break;
	stats_bump(&b->hist[e][i], 1);
	stats_bump(&b->hist_usec[e], usec);
}

void
stats_sum(struct stats *out)
{
	struct stats_block	*b;
	size_t			 i, j;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&stats_lock);
	SLIST_FOREACH(b, &stats_blocks, entry) {
		for (i = 0; i < STATS_COUNT; i++)
			out->v[i] += __atomic_load_n(&b->v[i],
			    __ATOMIC_RELAXED);
		for (i = 0; i < ALARM_COUNT; i++)
			out->alarm[i] += __atomic_load_n(&b->alarm[i],
			    __ATOMIC_RELAXED);
		for (i = 0; i < STATS_ENGINE_COUNT; i++) {
			for (j = 0; j <= STATS_NBUCKETS; j++)
				out->hist[i][j] += __atomic_load_n(
				    &b->hist[i][j], __ATOMIC_RELAXED);
			out->hist_usec[i] += __atomic_load_n(
			    &b->hist_usec[i], __ATOMIC_RELAXED);
		}
	}
	pthread_mutex_unlock(&stats_lock);
}

int64_t
stats_get(enum stats_id id)
{
	struct stats	 st;

	stats_sum(&st);
	return st.v[id];
}
