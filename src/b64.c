/*
 * Streaming base64 decoder over OpenSSL's EVP_DecodeUpdate().
 *
 * EVP_DecodeUpdate() alone is not enough for mail: it stops at the
 * first character outside the alphabet, at "-", and at base64 that goes
 * on after "=" padding, and what it accepts depends on where the caller
 * split the input. So the input is filtered here first (RFC 2045 §6.8:
 * characters outside the alphabet are ignored) and cut into whole
 * 4-character groups; OpenSSL only ever sees complete groups, and a
 * padded group only as the last group of a call, so its context is
 * empty between calls and the output depends on the characters alone.
 *
 * RFC 4648 §4:
 *   alphabet  A-Z a-z 0-9 "+" "/"; "=" pads the last group:
 *   xx== (one byte), xxx= (two bytes).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "b64.h"

/* Groups handed to OpenSSL at once; a multiple of 4. */
#define B64_BATCH	256

struct b64 {
	EVP_ENCODE_CTX	*ctx;
	char		 group[4];	/* the group being filled */
	size_t		 ngroup;
	size_t		 skipped;
};

/* What each byte is to the decoder. */
enum b64_class {
	B64_C_SKIP,		/* white space: ignored */
	B64_C_ALPHA,		/* the alphabet */
	B64_C_PAD,		/* "=" */
	B64_C_JUNK		/* anything else: ignored, counted */
};

static enum b64_class
b64_class(unsigned char c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '+' || c == '/')
		return B64_C_ALPHA;
	if (c == '=')
		return B64_C_PAD;
	if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f')
		return B64_C_SKIP;
	return B64_C_JUNK;
}

/* Shared by every decoder, built once: enum b64_class of each byte. */
static unsigned char	 b64_classes[256];
static pthread_once_t	 b64_classes_once = PTHREAD_ONCE_INIT;

static void
b64_classes_init(void)
{
	int	 i;

	for (i = 0; i < 256; i++)
		b64_classes[i] = (unsigned char)b64_class((unsigned char)i);
}

struct b64 *
b64_new(void)
{
	struct b64	*b;

	if (pthread_once(&b64_classes_once, b64_classes_init) != 0)
		return NULL;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	if ((b->ctx = EVP_ENCODE_CTX_new()) == NULL) {
		free(b);
		return NULL;
	}
	b64_reset(b);
	return b;
}

void
b64_reset(struct b64 *b)
{
	EVP_DecodeInit(b->ctx);
	b->ngroup = 0;
	b->skipped = 0;
}

/* Decode len characters (whole groups) of batch, appending to out. */
static int
b64_flush(struct b64 *b, const char *batch, size_t len, unsigned char *out,
    size_t *outlen)
{
	int	 n = 0;

	if (len == 0)
		return 0;
	if (EVP_DecodeUpdate(b->ctx, out + *outlen, &n,
	    (const unsigned char *)batch, (int)len) == -1 || n < 0) {
		EVP_DecodeInit(b->ctx);
		return -1;
	}
	*outlen += (size_t)n;
	return 0;
}

int
b64_decode(struct b64 *b, const char *in, size_t inlen, unsigned char *out,
    size_t *outlen_r)
{
	char		 batch[B64_BATCH];
	size_t		 i, nbatch;
	int		 rv = 0;

	*outlen_r = 0;
	/* The group left by the call before starts the batch. */
	memcpy(batch, b->group, b->ngroup);
	nbatch = b->ngroup;
	for (i = 0; i < inlen; i++) {
		switch (b64_classes[(unsigned char)in[i]]) {
		case B64_C_ALPHA:
			batch[nbatch++] = in[i];
			if (nbatch < sizeof(batch))
				continue;
			break;
		case B64_C_PAD:
			/*
			 * Padding after two or three characters ends the
			 * group; any other "=" (the second pad of "xx==",
			 * or one with no group to end) says nothing more.
			 */
			if (nbatch % 4 == 1)
				b->skipped++;
			if (nbatch % 4 < 2) {
				nbatch -= nbatch % 4;
				continue;
			}
			while (nbatch % 4 != 0)
				batch[nbatch++] = '=';
			/* A padded group must end what OpenSSL is given. */
			break;
		case B64_C_JUNK:
			b->skipped++;
			continue;
		default:
			continue;
		}
		if (b64_flush(b, batch, nbatch, out, outlen_r) == -1)
			rv = -1;
		nbatch = 0;
	}
	/* Whole groups go now, the rest waits for the next call. */
	b->ngroup = nbatch % 4;
	memcpy(b->group, batch + nbatch - b->ngroup, b->ngroup);
	if (b64_flush(b, batch, nbatch - b->ngroup, out, outlen_r) == -1)
		rv = -1;
	return rv;
}

int
b64_final(struct b64 *b, unsigned char *out, size_t *outlen_r)
{
	unsigned char	 tail[B64_FINAL_MAX];
	int		 n = 0, rv = 0;

	*outlen_r = 0;
	/* A last group of one character holds no whole byte. */
	if (b->ngroup == 1)
		b->skipped++;
	if (b->ngroup >= 2) {
		while (b->ngroup < 4)
			b->group[b->ngroup++] = '=';
		rv = b64_flush(b, b->group, 4, out, outlen_r);
	}
	/* Nothing is left in OpenSSL's context; this only checks that. */
	if (EVP_DecodeFinal(b->ctx, tail, &n) == -1 || n != 0)
		rv = -1;
	EVP_DecodeInit(b->ctx);
	b->ngroup = 0;
	return rv;
}

size_t
b64_skipped(const struct b64 *b)
{
	return b->skipped;
}

void
b64_free(struct b64 *b)
{
	if (b == NULL)
		return;
	EVP_ENCODE_CTX_free(b->ctx);
	free(b);
}
