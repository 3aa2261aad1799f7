/*
 * libFuzzer target for the streaming MIME parser (src/mime.c, with
 * src/b64.c): the input is a message, fed whole, split in two at a
 * point the input chooses, and a byte at a time.
 *
 * Checked invariants (abort() on violation):
 *  - the three feedings give the same flags, mime_nparts(), details
 *    and callbacks (each part's fields and decoded bytes, hashed);
 *  - callbacks come in order: part_begin, part_data*, part_end, with
 *    index 0, 1, ..., size counting the bytes passed so far; a part
 *    reported for its names only comes as begin and end, no data;
 *  - a part's depth is within limits.depth, at most limits.parts parts
 *    are reported, type and every reading of the name are terminated
 *    strings with no control characters, no reading repeats another;
 *  - a flag has a detail and a detail has its flag.
 *
 * Build (not part of make; t/fuzz/run.sh does this):
 *   clang -fsanitize=fuzzer,address -Isrc -I. t/fuzz/fuzz_mime.c \
 *       src/mime.c src/mime_param.c src/b64.c -lcrypto
 *   ./a.out -max_total_time=30 t/fuzz/corpus/mime
 */
#include "autoconf.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mime.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_CHECK(e)	do { if (!(e)) abort(); } while (0)

struct fuzz_run {
	const struct mime_limits *lim;
	uint64_t		 hash;
	unsigned		 nbegin;
	unsigned		 nencl;		/* of them enclosed */
	unsigned		 cur;		/* index of the open part */
	int			 open;
	uint64_t		 size;
};

static uint64_t
fuzz_hash(uint64_t h, const void *p, size_t len)
{
	const unsigned char	*u = p;
	size_t			 i;

	for (i = 0; i < len; i++) {
		h ^= u[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
fuzz_begin(void *arg, const struct mime_part *p)
{
	struct fuzz_run	*r = arg;
	const char	*name;
	size_t		 i, n;
	unsigned	 j;

	FUZZ_CHECK(p->enclosed || !r->open);
	FUZZ_CHECK(p->index == r->nbegin);
	FUZZ_CHECK(p->size == 0);
	FUZZ_CHECK(p->depth <= r->lim->depth);
	FUZZ_CHECK(memchr(p->type, '\0', sizeof(p->type)) != NULL);
	FUZZ_CHECK(p->naltnames <= MIME_ALTNAMES);
	FUZZ_CHECK(p->naltnames == 0 || p->filename[0] != '\0');
	for (j = 0; j <= p->naltnames; j++) {
		name = j == 0 ? p->filename : p->altnames[j - 1];
		FUZZ_CHECK(memchr(name, '\0', MIME_NAME_SIZE) != NULL);
		n = strlen(name);
		FUZZ_CHECK(j == 0 || n > 0);
		for (i = 0; i < n; i++)
			FUZZ_CHECK((unsigned char)name[i] >= 0x20 &&
			    name[i] != 0x7f);
		for (i = 0; i < j; i++)
			FUZZ_CHECK(strcmp(name, i == 0 ? p->filename :
			    p->altnames[i - 1]) != 0);
		r->hash = fuzz_hash(r->hash, name, n + 1);
	}
	n = strlen(p->filename);
	FUZZ_CHECK(p->encoding >= MIME_ENC_7BIT &&
	    p->encoding <= MIME_ENC_UNKNOWN);
	r->nbegin++;
	if (p->enclosed) {
		r->nencl++;
		r->hash = fuzz_hash(r->hash, "e", 1);
		return;
	}
	r->open = 1;
	r->cur = p->index;
	r->size = 0;
	r->hash = fuzz_hash(r->hash, &p->index, sizeof(p->index));
	r->hash = fuzz_hash(r->hash, &p->depth, sizeof(p->depth));
	r->hash = fuzz_hash(r->hash, p->type, strlen(p->type) + 1);
	r->hash = fuzz_hash(r->hash, p->filename, n + 1);
	r->hash = fuzz_hash(r->hash, &p->attachment, sizeof(p->attachment));
	r->hash = fuzz_hash(r->hash, &p->encoding, sizeof(p->encoding));
}

static void
fuzz_data(void *arg, const struct mime_part *p, const unsigned char *d,
    size_t len)
{
	struct fuzz_run	*r = arg;

	FUZZ_CHECK(r->open);
	FUZZ_CHECK(p->index == r->cur);
	FUZZ_CHECK(len > 0);
	r->size += len;
	FUZZ_CHECK(p->size == r->size);
	/* Not the pieces: only the bytes must not depend on the split. */
	r->hash = fuzz_hash(r->hash, d, len);
}

static void
fuzz_end(void *arg, const struct mime_part *p)
{
	struct fuzz_run	*r = arg;

	if (p->enclosed) {
		FUZZ_CHECK(p->index + 1 == r->nbegin);
		return;
	}
	FUZZ_CHECK(r->open);
	FUZZ_CHECK(p->index == r->cur);
	FUZZ_CHECK(p->size == r->size);
	r->open = 0;
	r->hash = fuzz_hash(r->hash, "|", 1);
	r->hash = fuzz_hash(r->hash, &r->size, sizeof(r->size));
}

static const struct mime_callbacks fuzz_cb = {
	fuzz_begin, fuzz_data, fuzz_end
};

struct fuzz_result {
	uint64_t	 hash;
	int		 flags;
	unsigned	 nparts;
	unsigned	 nbegin;
};

/* Feed in[0..size) in pieces cut at cut (0: whole) or of chunk bytes. */
static void
fuzz_run(const char *in, size_t size, const struct mime_limits *lim,
    size_t cut, size_t chunk, struct fuzz_result *res)
{
	struct fuzz_run	 r;
	struct mime	*m;
	const char	*d;
	size_t		 pos = 0, n;
	int		 i;

	memset(&r, 0, sizeof(r));
	r.lim = lim;
	r.hash = 0xcbf29ce484222325ULL;
	if ((m = mime_new(lim, &fuzz_cb, &r)) == NULL)
		abort();
	if (cut > 0) {
		FUZZ_CHECK(mime_parse(m, in, cut) == 0);
		pos = cut;
	}
	while (pos < size) {
		n = chunk == 0 ? size - pos : chunk;
		if (n > size - pos)
			n = size - pos;
		FUZZ_CHECK(mime_parse(m, in + pos, n) == 0);
		pos += n;
	}
	FUZZ_CHECK(mime_finish(m) == 0);
	FUZZ_CHECK(!r.open);
	res->flags = mime_flags(m);
	res->nparts = mime_nparts(m);
	res->nbegin = r.nbegin;
	FUZZ_CHECK(res->nbegin <= res->nparts);
	FUZZ_CHECK(res->nbegin <= lim->parts);
	FUZZ_CHECK(res->nparts <= lim->parts || (res->flags & MIME_F_LIMITS));
	for (i = 0; i < 6; i++) {
		d = mime_detail(m, 1 << i);
		FUZZ_CHECK((d[0] != '\0') == ((res->flags & 1 << i) != 0));
		r.hash = fuzz_hash(r.hash, d, strlen(d) + 1);
	}
	res->hash = r.hash;
	mime_free(m);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mime_limits	 lim;
	struct fuzz_result	 whole, split, bytes;
	const char		*in;
	size_t			 cut;

	if (size < 3)
		return 0;
	/*
	 * The first three bytes pick the limits and the split point; the
	 * rest is the message. Small limits reach the limit paths.
	 */
	lim.header_line = data[0] & 0x80 ? 998 : 8 + (data[0] & 0x3f);
	lim.text_line = data[0] & 0x40 ? 1000 : 10 + (data[0] & 0x3f);
	lim.depth = 1 + (data[1] & 0x07);
	lim.parts = 1 + (data[1] >> 3);
	in = (const char *)data + 3;
	size -= 3;
	cut = size > 0 ? data[2] * size / 255 : 0;

	fuzz_run(in, size, &lim, 0, 0, &whole);
	fuzz_run(in, size, &lim, cut, 0, &split);
	FUZZ_CHECK(whole.hash == split.hash && whole.flags == split.flags &&
	    whole.nparts == split.nparts && whole.nbegin == split.nbegin);
	fuzz_run(in, size, &lim, 0, 1, &bytes);
	FUZZ_CHECK(whole.hash == bytes.hash && whole.flags == bytes.flags &&
	    whole.nparts == bytes.nparts && whole.nbegin == bytes.nbegin);
	return 0;
}
