/*
 * A deadline on a libevent timer, cheap to move. Moving a deadline
 * later (every read or reply restarts a timeout) only stores the new
 * time: the timer stays where it is in libevent's heap, and when it
 * fires early the callback re-arms it for what is left, as nginx and
 * HAProxy keep their timers. Only a deadline that moves earlier, or one
 * with no timer pending, costs an event_add.
 */
#ifndef SMTPPROXY_DEADLINE_H
#define SMTPPROXY_DEADLINE_H

#include <sys/time.h>

#include <event2/event.h>

struct deadline {
	struct event	*ev;
	struct timeval	 when;		/* the loop's clock */
	int		 armed;
};

/* 0, or -1 if the timer could not be made. cb gets arg. */
int	deadline_init(struct deadline *, struct event_base *,
	    event_callback_fn cb, void *arg);
void	deadline_free(struct deadline *);
/* Due after this long from now (restarts a running deadline). */
void	deadline_set(struct deadline *, const struct timeval *after);
void	deadline_clear(struct deadline *);
int	deadline_armed(const struct deadline *);
/*
 * The first call of the timer's callback: 1 when the deadline is
 * reached (it is then disarmed), 0 when it was cleared or moved later
 * (re-armed for the rest): the callback returns then.
 */
int	deadline_due(struct deadline *);

#endif
