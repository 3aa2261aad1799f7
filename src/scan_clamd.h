/*
 * Anti-virus through clamd (SPEC §4.6, backend = "clamd"): the message
 * is streamed with INSTREAM to one of several clamd servers, tried in
 * turn. Blocking: worker threads only. No libclamav needed.
 */
#ifndef SMTPPROXY_SCAN_CLAMD_H
#define SMTPPROXY_SCAN_CLAMD_H

#include <stddef.h>

#include "scan.h"

/*
 * Scan len bytes at buf, or (buf NULL) the whole file fd from offset 0,
 * with the first of servers that answers: a unix socket path
 * ("/run/clamav/clamd.ctl") or "host:port" ("127.0.0.1:3310",
 * "[::1]:3310"). timeout bounds each connect, write and read, in
 * seconds. Fills r: SCAN_CLEAN, SCAN_VIRUS with the signature name, or
 * SCAN_ERROR with why (no server reachable, "INSTREAM size limit
 * exceeded" — clamd's StreamMaxLength —, a malformed answer, a
 * timeout). Returns 0 for CLEAN or VIRUS, -1 for ERROR.
 */
int	scan_clamd(const char *const *servers, size_t nservers, int timeout,
	    const void *buf, size_t len, int fd, struct scan_result *r);

#endif
