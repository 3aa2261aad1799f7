/*
 * Deadlines that move without touching libevent's timer heap
 * (deadline.h).
 */
#include "autoconf.h"

#include <sys/time.h>

#include <event2/event.h>

#include "deadline.h"

int
deadline_init(struct deadline *d, struct event_base *base,
    event_callback_fn cb, void *arg)
{
	d->armed = 0;
	timerclear(&d->when);
	d->ev = evtimer_new(base, cb, arg);
	return d->ev == NULL ? -1 : 0;
}

void
deadline_free(struct deadline *d)
{
	if (d->ev != NULL)
		event_free(d->ev);
	d->ev = NULL;
	d->armed = 0;
}

void
deadline_set(struct deadline *d, const struct timeval *after)
{
	struct timeval	 now, fire;

	event_base_gettimeofday_cached(event_get_base(d->ev), &now);
	timeradd(&now, after, &d->when);
	d->armed = 1;
	/* A timer that fires no later re-arms itself for the rest. */
	if (evtimer_pending(d->ev, &fire) && !timercmp(&fire, &d->when, >))
		return;
	evtimer_add(d->ev, after);
}

void
deadline_clear(struct deadline *d)
{
	/* The timer may stay pending: it finds nothing armed. */
	d->armed = 0;
}

int
deadline_armed(const struct deadline *d)
{
	return d->armed;
}

int
deadline_due(struct deadline *d)
{
	struct timeval	 now, left;

	if (!d->armed)
		return 0;
	event_base_gettimeofday_cached(event_get_base(d->ev), &now);
	if (timercmp(&now, &d->when, <)) {
		timersub(&d->when, &now, &left);
		evtimer_add(d->ev, &left);
		return 0;
	}
	d->armed = 0;
	return 1;
}
