/*
 * Helpers shared by the Check unit tests.
 *
 * Every streaming parser is fed each test vector under every schedule
 * of tu_sched_get(): whole, one byte at a time, split once at every
 * offset, and (for short vectors) split twice at every pair of
 * offsets. The result must not depend on the schedule.
 */
#ifndef SMTPPROXY_CHECK_UTIL_H
#define SMTPPROXY_CHECK_UTIL_H

#include <sys/stat.h>

#include <errno.h>
#include <ftw.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* A string literal and its length, NUL bytes included. */
#define TU_S(s)		(s), (sizeof(s) - 1)
#define TU_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Vectors up to this length are also split at every pair of offsets. */
#define TU_PAIR_MAX	48

struct tu_sched {
	int	 bytewise;
	int	 ncut;
	size_t	 cut[2];
	char	 desc[64];
};

/* How many schedules tu_sched_get() knows for an input of n bytes. */
static inline size_t
tu_sched_count(size_t n)
{
	size_t	 c = 2;

	if (n > 1)
		c += n - 1;
	if (n > 2 && n <= TU_PAIR_MAX)
		c += (n - 1) * (n - 2) / 2;
	return c;
}

/* Schedule k (0 <= k < tu_sched_count(n)) for an input of n bytes. */
static inline void
tu_sched_get(size_t k, size_t n, struct tu_sched *s)
{
	size_t	 i, j;

	memset(s, 0, sizeof(*s));
	if (k == 0) {
		snprintf(s->desc, sizeof(s->desc), "whole");
		return;
	}
	if (k == 1) {
		s->bytewise = 1;
		snprintf(s->desc, sizeof(s->desc), "byte at a time");
		return;
	}
	k -= 2;
	if (n > 1 && k < n - 1) {
		s->ncut = 1;
		s->cut[0] = k + 1;
		snprintf(s->desc, sizeof(s->desc), "split at %zu", s->cut[0]);
		return;
	}
	k -= n > 1 ? n - 1 : 0;
	for (i = 1; i + 1 < n; i++)
		for (j = i + 1; j < n; j++) {
			if (k-- != 0)
				continue;
			s->ncut = 2;
			s->cut[0] = i;
			s->cut[1] = j;
			snprintf(s->desc, sizeof(s->desc), "split at %zu,%zu",
			    i, j);
			return;
		}
}

/* Length of the chunk that starts at pos under schedule s. */
static inline size_t
tu_sched_next(const struct tu_sched *s, size_t pos, size_t n)
{
	int	 i;

	if (pos >= n)
		return 0;
	if (s->bytewise)
		return 1;
	for (i = 0; i < s->ncut; i++)
		if (s->cut[i] > pos)
			return s->cut[i] - pos;
	return n - pos;
}

/*
 * Printable form of len bytes for assertion messages, C escapes for
 * everything else. Four rotating buffers, so one message can use four.
 */
static inline const char *
tu_esc(const char *p, size_t len)
{
	static char	 bufs[4][1024];
	static int	 which;
	char		*b = bufs[which++ & 3];
	size_t		 i, o = 0;
	unsigned char	 c;

	for (i = 0; i < len && o + 5 < sizeof(bufs[0]); i++) {
		c = (unsigned char)p[i];
		if (c == '\r')
			o += (size_t)snprintf(b + o, 5, "\\r");
		else if (c == '\n')
			o += (size_t)snprintf(b + o, 5, "\\n");
		else if (c == '\\')
			o += (size_t)snprintf(b + o, 5, "\\\\");
		else if (c >= 0x20 && c < 0x7f)
			b[o++] = (char)c;
		else
			o += (size_t)snprintf(b + o, 5, "\\x%02x", c);
	}
	b[o] = '\0';
	return b;
}

/* Equal byte strings (lengths included). */
static inline int
tu_eq(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* nftw() callback of tu_rmtree(): remove, and say so when it fails. */
static inline int
tu_rm(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) == -1)
		fprintf(stderr, "cannot remove %s: %s\n", path,
		    strerror(errno));
	return 0;
}

/* Remove a test's temporary directory and everything in it. */
static inline void
tu_rmtree(const char *dir)
{
	nftw(dir, tu_rm, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
