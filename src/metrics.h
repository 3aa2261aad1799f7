/*
 * The Prometheus endpoint (SPEC §5): GET /metrics in the text format
 * 0.0.4, the counters of stats.h summed over every thread.
 */
#ifndef SMTPPROXY_METRICS_H
#define SMTPPROXY_METRICS_H

struct config;
struct evbuffer;
struct stats;

/*
 * Serve conf's metrics.listen, or nothing when it is unset; on a reload
 * (main thread) move the listener when the address changed. A new
 * address that cannot be bound is logged and the old one kept.
 * Returns 0, or -1 (logged) if the address cannot be bound.
 */
int	metrics_reload(const struct config *);
/* Stop serving (shutdown). */
void	metrics_stop(void);
/* The exposition of st, appended to out. Returns 0 or -1. */
int	metrics_render(struct evbuffer *out, const struct stats *st);
/*
 * A label value as the text format wants it: backslash, double quote
 * and line feed escaped, into out. Returns 0 or -1.
 */
int	metrics_label(struct evbuffer *out, const char *value);

#endif
