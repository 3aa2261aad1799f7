/*
 * Process-wide counters. Every thread that counts (an event loop, a
 * scanning thread) has a block of its own, allocated on its first count
 * and never freed, so counting is a plain add by the block's only
 * writer: no lock and no shared cache line on the hot path. A reader
 * (SIGUSR1, the metrics endpoint) sums the blocks with relaxed loads; a
 * sum may be a moment old but every count in it is whole.
 */
#ifndef SMTPPROXY_STATS_H
#define SMTPPROXY_STATS_H

#include <stdint.h>

#include "alarm.h"

enum stats_id {
	STATS_SESSIONS,			/* sessions accepted */
	STATS_SESSIONS_ACTIVE,		/* gauge: open sessions */
	STATS_REFUSED,			/* over max_sessions[_per_client] */
	STATS_MESSAGES_ACCEPTED,	/* verdict=accept */
	STATS_MESSAGES_REJECTED,	/* verdict=reject */
	STATS_MESSAGES_TEMPFAILED,	/* verdict=tempfail */
	STATS_MESSAGES_UNCERTAIN,	/* verdict=unknown: reply lost after
					   the end of data (RFC 1047) */
	STATS_ALARMS,			/* all alarms, also those at pass */
	STATS_BYTES_IN,			/* message bytes from clients */
	STATS_COUNT
};

/* One row per counter: its dotted name, as logged on SIGUSR1. */
struct stats_def {
	const char	*name;
	int		 gauge;		/* goes down as well as up */
};

extern const struct stats_def	stats_table[STATS_COUNT];

/* A sum over every thread's block. */
struct stats {
	int64_t		 v[STATS_COUNT];
	int64_t		 alarm[ALARM_COUNT];	/* by alarm id */
};

/* Add n (negative for a gauge going down) in the calling thread. */
void	stats_add(enum stats_id, int64_t n);
#define stats_inc(id)	stats_add((id), 1)
#define stats_dec(id)	stats_add((id), -1)
/* Count an alarm: STATS_ALARMS and the alarm's own counter. */
void	stats_alarm(enum alarm_id);
/* Sum every block into *out. Any thread. */
void	stats_sum(struct stats *out);
/* A value of a sum (a shorthand for tests and logs). */
int64_t	stats_get(enum stats_id);

#endif
