/*
 * What the BSD headers have and glibc's lack, and Linux socket options
 * that older C library headers do not define.
 */
#ifndef SMTPPROXY_COMPAT_H
#define SMTPPROXY_COMPAT_H

#include <sys/queue.h>

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#ifndef IP_TRANSPARENT
#define IP_TRANSPARENT		19	/* linux/in.h */
#endif
#ifndef IPV6_TRANSPARENT
#define IPV6_TRANSPARENT	75	/* linux/in6.h */
#endif
#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT	24	/* linux/in.h, Linux 4.2 */
#endif

#endif
