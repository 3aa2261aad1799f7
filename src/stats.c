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
};

struct stats_block {
	SLIST_ENTRY(stats_block) entry;
	int64_t			 v[STATS_COUNT];
	int64_t			 alarm[ALARM_COUNT];
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
stats_sum(struct stats *out)
{
	struct stats_block	*b;
	size_t			 i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&stats_lock);
	SLIST_FOREACH(b, &stats_blocks, entry) {
		for (i = 0; i < STATS_COUNT; i++)
			out->v[i] += __atomic_load_n(&b->v[i],
			    __ATOMIC_RELAXED);
		for (i = 0; i < ALARM_COUNT; i++)
			out->alarm[i] += __atomic_load_n(&b->alarm[i],
			    __ATOMIC_RELAXED);
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
