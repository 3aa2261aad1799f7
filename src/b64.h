/*
 * Streaming base64 decoder (RFC 2045 §6.8, RFC 4648 §4) for MIME bodies
 * and RFC 2047 encoded words: a thin wrapper around OpenSSL's
 * EVP_DecodeUpdate(), so that the MIME parser itself includes no
 * OpenSSL header.
 *
 * RFC 2045 §6.8: "Any characters outside of the base64 alphabet are to
 * be ignored in base64-encoded data." The decoder skips them (line
 * breaks, white space, garbage) and never fails on input. Padding ends
 * a 4-character group early; base64 that goes on after padding (two
 * encodings glued together) is decoded too, and a last group left
 * without padding is completed by b64_final(). The result never
 * depends on how the input is split between calls.
 */
#ifndef SMTPPROXY_B64_H
#define SMTPPROXY_B64_H

#include <stddef.h>

/*
 * Output room b64_decode() needs for inlen input bytes: with up to 3
 * characters held from the call before, no more than 3 bytes come out
 * of every 4 characters.
 */
#define B64_DECODE_MAX(inlen)	(3 * ((inlen) + 3) / 4)
/* Output room b64_final() needs. */
#define B64_FINAL_MAX		3

struct b64;

/* A new decoder, or NULL if out of memory. */
struct b64	*b64_new(void);
/* Forget everything fed so far: ready for a new encoded text. */
void		 b64_reset(struct b64 *);
/*
 * Decode inlen bytes of base64 text. out must hold B64_DECODE_MAX(inlen)
 * bytes; *outlen_r gets the bytes written. Returns 0, or -1 if OpenSSL
 * failed (nothing of in is then written).
 */
int		 b64_decode(struct b64 *, const char *in, size_t inlen,
		    unsigned char *out, size_t *outlen_r);
/*
 * End of the encoded text: decodes a last group left without padding
 * into out (B64_FINAL_MAX bytes) and resets the decoder. Returns 0 or
 * -1 as b64_decode().
 */
int		 b64_final(struct b64 *, unsigned char *out, size_t *outlen_r);
/* Characters skipped so far that were neither base64 nor white space. */
size_t		 b64_skipped(const struct b64 *);
void		 b64_free(struct b64 *);

#endif
