/*
 * libFuzzer target for the PROXY protocol parser (src/proxy.c).
 *
 * Checked invariants (abort() on violation):
 *  - whole and one byte at a time give the same result, the same
 *    consumed length and the same addresses;
 *  - a header is never longer than its version allows (107 bytes for
 *    version 1, PROXY_V2_MAX for version 2) and the parser never
 *    consumes a byte past it;
 *  - a failure has a reason, and stays a failure.
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(e)	do { if (!(e)) abort(); } while (0)

static int
fuzz_run(const uint8_t *d, size_t n, size_t step, struct proxy *p,
    size_t *used_r)
{
	size_t	 pos = 0, chunk, used;
	int	 r = 0;

	proxy_init(p);
	while (pos < n) {
		chunk = n - pos < step ? n - pos : step;
		r = proxy_parse(p, d + pos, chunk, &used);
		FUZZ_CHECK(used <= chunk);
		pos += used;
		if (r != 0)
			break;
		FUZZ_CHECK(used == chunk);
	}
	*used_r = pos;
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	struct proxy	 a, b;
	size_t		 ua, ub, more;
	int		 ra, rb;

	ra = fuzz_run(d, n, n > 0 ? n : 1, &a, &ua);
	rb = fuzz_run(d, n, 1, &b, &ub);
	FUZZ_CHECK(ra == rb);
	if (ra == -1) {
		FUZZ_CHECK(a.errstr != NULL && b.errstr != NULL);
		FUZZ_CHECK(strcmp(a.errstr, b.errstr) == 0);
		FUZZ_CHECK(proxy_parse(&a, "x", 1, &more) == -1);
	}
	if (ra == 1) {
		FUZZ_CHECK(ua == ub);
		FUZZ_CHECK(a.version == b.version && a.local == b.local);
		FUZZ_CHECK(a.version == 1 ? ua <= PROXY_V1_MAX :
		    ua <= PROXY_V2_MAX);
		if (!a.local) {
			FUZZ_CHECK(a.srclen == b.srclen &&
			    a.dstlen == b.dstlen);
			FUZZ_CHECK(memcmp(&a.src, &b.src, a.srclen) == 0);
			FUZZ_CHECK(memcmp(&a.dst, &b.dst, a.dstlen) == 0);
			FUZZ_CHECK(a.src.ss_family == a.dst.ss_family);
		}
		FUZZ_CHECK(proxy_parse(&a, "x", 1, &more) == 1 && more == 0);
	}
	if (ra == 0)
		FUZZ_CHECK(ua == n && ub == n);
	proxy_free(&a);
	proxy_free(&b);
	return 0;
}
