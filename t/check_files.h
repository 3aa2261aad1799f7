/*
 * Test files built byte by byte, shared by the unit tests that feed
 * real libclamav: a growable buffer, a minimal PE32, stored ZIPs (one
 * encrypted with the traditional PKWARE cipher), base64, TNEF,
 * uuencode.
 */
#ifndef SMTPPROXY_CHECK_FILES_H
#define SMTPPROXY_CHECK_FILES_H

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A growable byte buffer for the fixture writers. */
struct tu_buf {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

static inline void
tu_put(struct tu_buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2 + 64;
		ck_assert_ptr_nonnull(b->p = realloc(b->p, b->cap));
	}
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static inline void
tu_puts(struct tu_buf *b, const char *s)
{
	tu_put(b, s, strlen(s));
}

static inline void
tu_put16(struct tu_buf *b, unsigned v)
{
	unsigned char	 c[2] = { (unsigned char)v, (unsigned char)(v >> 8) };

	tu_put(b, c, 2);
}

static inline void
tu_put32(struct tu_buf *b, uint32_t v)
{
	unsigned char	 c[4] = { (unsigned char)v, (unsigned char)(v >> 8),
	    (unsigned char)(v >> 16), (unsigned char)(v >> 24) };

	tu_put(b, c, 4);
}

static inline void
tu_zero(struct tu_buf *b, size_t n)
{
	while (n-- > 0)
		tu_put(b, "", 1);
}

static inline void
tu_free(struct tu_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static inline void
tu_set16(unsigned char *p, unsigned v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
}

static inline void
tu_set32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

/*
 * A minimal valid PE32 console executable, 1024 bytes: a DOS header
 * whose e_lfanew points at the PE signature, a COFF header for i386
 * with one section, a PE32 optional header (image base 0x400000,
 * sections aligned to 0x1000 in memory and 0x200 in the file, 16 empty
 * data directories) and one .text section holding "ret".
 */
static inline void
tu_pe(struct tu_buf *b)
{
	unsigned char	 h[0x400], *coff, *opt, *sec;

	memset(h, 0, sizeof(h));
	h[0] = 'M';
	h[1] = 'Z';
	tu_set32(h + 0x3c, 0x40);		/* e_lfanew */
	memcpy(h + 0x40, "PE\0\0", 4);
	coff = h + 0x44;
	tu_set16(coff + 0, 0x014c);		/* Machine: i386 */
	tu_set16(coff + 2, 1);			/* NumberOfSections */
	tu_set16(coff + 16, 0xe0);		/* SizeOfOptionalHeader */
	tu_set16(coff + 18, 0x0102);		/* EXECUTABLE | 32BIT */
	opt = coff + 20;
	tu_set16(opt + 0, 0x010b);		/* PE32 */
	opt[2] = 1;				/* linker version */
	tu_set32(opt + 4, 0x200);		/* SizeOfCode */
	tu_set32(opt + 16, 0x1000);		/* AddressOfEntryPoint */
	tu_set32(opt + 20, 0x1000);		/* BaseOfCode */
	tu_set32(opt + 24, 0x2000);		/* BaseOfData */
	tu_set32(opt + 28, 0x400000);		/* ImageBase */
	tu_set32(opt + 32, 0x1000);		/* SectionAlignment */
	tu_set32(opt + 36, 0x200);		/* FileAlignment */
	tu_set16(opt + 40, 4);			/* OS version 4.0 */
	tu_set16(opt + 48, 4);			/* subsystem version 4.0 */
	tu_set32(opt + 56, 0x2000);		/* SizeOfImage */
	tu_set32(opt + 60, 0x200);		/* SizeOfHeaders */
	tu_set16(opt + 68, 3);			/* Subsystem: console */
	tu_set32(opt + 72, 0x100000);		/* stack reserve */
	tu_set32(opt + 76, 0x1000);		/* stack commit */
	tu_set32(opt + 80, 0x100000);		/* heap reserve */
	tu_set32(opt + 84, 0x1000);		/* heap commit */
	tu_set32(opt + 92, 16);			/* NumberOfRvaAndSizes */
	sec = opt + 0xe0;
	memcpy(sec, ".text", 5);
	tu_set32(sec + 8, 0x1000);		/* VirtualSize */
	tu_set32(sec + 12, 0x1000);		/* VirtualAddress */
	tu_set32(sec + 16, 0x200);		/* SizeOfRawData */
	tu_set32(sec + 20, 0x200);		/* PointerToRawData */
	tu_set32(sec + 36, 0x60000020);		/* CODE | EXECUTE | READ */
	h[0x200] = 0xc3;			/* ret */
	tu_put(b, h, sizeof(h));
}

/* CRC-32 (ISO-HDLC, as ZIP uses it) without the pre/post inversion. */
static inline uint32_t
tu_crc_byte(uint32_t crc, unsigned char c)
{
	int	 k;

	crc ^= c;
	for (k = 0; k < 8; k++)
		crc = (crc >> 1) ^ (0xedb88320U & (0U - (crc & 1)));
	return crc;
}

static inline uint32_t
tu_crc32(const unsigned char *p, size_t n)
{
	uint32_t	 crc = 0xffffffffU;

	while (n-- > 0)
		crc = tu_crc_byte(crc, *p++);
	return crc ^ 0xffffffffU;
}

/* The traditional PKWARE cipher (APPNOTE.TXT 6.1). */
struct tu_zipcrypto {
	uint32_t	 k[3];
};

static inline void
tu_zc_update(struct tu_zipcrypto *z, unsigned char c)
{
	z->k[0] = tu_crc_byte(z->k[0], c);
	z->k[1] = (z->k[1] + (z->k[0] & 0xff)) * 134775813U + 1;
	z->k[2] = tu_crc_byte(z->k[2], (unsigned char)(z->k[1] >> 24));
}

static inline unsigned char
tu_zc_encrypt(struct tu_zipcrypto *z, unsigned char c)
{
	unsigned	 t = (z->k[2] | 2) & 0xffff;
	unsigned char	 out = (unsigned char)(c ^ ((t * (t ^ 1)) >> 8));

	tu_zc_update(z, c);
	return out;
}

struct tu_zipent {
	const char		*name;
	const unsigned char	*data;
	size_t			 len;
	const char		*password;	/* NULL: not encrypted */
};

/* A ZIP of stored (uncompressed) entries, optionally encrypted. */
static inline void
tu_zip(struct tu_buf *b, const struct tu_zipent *e, size_t n)
{
	struct tu_buf		 cd = { NULL, 0, 0 };
	struct tu_zipcrypto	 z;
	uint32_t		 crc, off, csize;
	unsigned char		 hdr[12], c;
	size_t			 i, j;
	const char		*pw;
	unsigned		 flags;

	for (i = 0; i < n; i++) {
		crc = tu_crc32(e[i].data, e[i].len);
		flags = e[i].password != NULL ? 1 : 0;
		csize = (uint32_t)e[i].len + (flags ? 12 : 0);
		off = (uint32_t)b->len;
		tu_put32(b, 0x04034b50);
		tu_put16(b, 20);		/* version needed */
		tu_put16(b, flags);
		tu_put16(b, 0);			/* stored */
		tu_put16(b, 0);			/* time */
		tu_put16(b, 0x21);		/* date: 1980-01-01 */
		tu_put32(b, crc);
		tu_put32(b, csize);
		tu_put32(b, (uint32_t)e[i].len);
		tu_put16(b, (unsigned)strlen(e[i].name));
		tu_put16(b, 0);
		tu_put(b, e[i].name, strlen(e[i].name));
		if (flags) {
			z.k[0] = 0x12345678;
			z.k[1] = 0x23456789;
			z.k[2] = 0x34567890;
			for (pw = e[i].password; *pw != '\0'; pw++)
				tu_zc_update(&z, (unsigned char)*pw);
			for (j = 0; j < 11; j++)
				hdr[j] = (unsigned char)(0x5a + 7 * j);
			hdr[11] = (unsigned char)(crc >> 24);
			for (j = 0; j < 12; j++) {
				c = tu_zc_encrypt(&z, hdr[j]);
				tu_put(b, &c, 1);
			}
			for (j = 0; j < e[i].len; j++) {
				c = tu_zc_encrypt(&z, e[i].data[j]);
				tu_put(b, &c, 1);
			}
		} else
			tu_put(b, e[i].data, e[i].len);

		tu_put32(&cd, 0x02014b50);
		tu_put16(&cd, 0x031e);		/* made by: Unix, 3.0 */
		tu_put16(&cd, 20);
		tu_put16(&cd, flags);
		tu_put16(&cd, 0);
		tu_put16(&cd, 0);
		tu_put16(&cd, 0x21);
		tu_put32(&cd, crc);
		tu_put32(&cd, csize);
		tu_put32(&cd, (uint32_t)e[i].len);
		tu_put16(&cd, (unsigned)strlen(e[i].name));
		tu_put16(&cd, 0);		/* extra */
		tu_put16(&cd, 0);		/* comment */
		tu_put16(&cd, 0);		/* disk */
		tu_put16(&cd, 0);		/* internal attributes */
		tu_put32(&cd, 0100644U << 16);	/* external: -rw-r--r-- */
		tu_put32(&cd, off);
		tu_put(&cd, e[i].name, strlen(e[i].name));
	}
	off = (uint32_t)b->len;
	tu_put(b, cd.p, cd.len);
	tu_put32(b, 0x06054b50);
	tu_put16(b, 0);
	tu_put16(b, 0);
	tu_put16(b, (unsigned)n);
	tu_put16(b, (unsigned)n);
	tu_put32(b, (uint32_t)cd.len);
	tu_put32(b, off);
	tu_put16(b, 0);
	tu_free(&cd);
}

/* RFC 2045 base64, lines of 76. */
static inline void
tu_base64(struct tu_buf *b, const unsigned char *p, size_t n)
{
	static const char	 al[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char			 q[4];
	size_t			 i, col = 0;
	uint32_t		 v;

	for (i = 0; i < n; i += 3) {
		v = (uint32_t)p[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = al[v >> 18 & 63];
		q[1] = al[v >> 12 & 63];
		q[2] = i + 1 < n ? al[v >> 6 & 63] : '=';
		q[3] = i + 2 < n ? al[v & 63] : '=';
		tu_put(b, q, 4);
		if ((col += 4) == 76) {
			tu_put(b, "\r\n", 2);
			col = 0;
		}
	}
	tu_put(b, "\r\n", 2);
}

/* A ZIP holding one entry. */
static inline void
tu_zip1(struct tu_buf *b, const char *name, const void *data, size_t len,
    const char *password)
{
	struct tu_zipent	 e = { name, data, len, password };

	tu_zip(b, &e, 1);
}

/* One TNEF attribute: level, id (tag | type << 16), length, data, sum. */
static inline void
tu_tnef_attr(struct tu_buf *b, unsigned level, uint32_t id,
    const void *data, size_t len)
{
	const unsigned char	*d = data;
	unsigned		 sum = 0;
	size_t			 i;

	tu_put(b, (unsigned char[]){ (unsigned char)level }, 1);
	tu_put32(b, id);
	tu_put32(b, (uint32_t)len);
	tu_put(b, data, len);
	for (i = 0; i < len; i++)
		sum += d[i];
	tu_put16(b, sum & 0xffff);
}

/*
 * A TNEF (winmail.dat) stream: signature 0x223e9f78, a key, message
 * attributes (version, class), then the attachment: rendering data,
 * its title and its data ([MS-OXTNEF] 2.1.3).
 */
static inline void
tu_tnef(struct tu_buf *b, const char *title, const struct tu_buf *att)
{
	static const unsigned char	 rend[14] = { 1, 0, 0xff, 0xff, 0xff,
	    0xff };
	unsigned char			 ver[4] = { 0, 0, 1, 0 };

	tu_put32(b, 0x223e9f78);
	tu_put16(b, 1);
	tu_tnef_attr(b, 1, 0x00089006, ver, 4);
	tu_tnef_attr(b, 1, 0x00078008, "IPM.Microsoft Mail.Note", 24);
	tu_tnef_attr(b, 2, 0x00069002, rend, sizeof(rend));
	tu_tnef_attr(b, 2, 0x00018010, title, strlen(title) + 1);
	tu_tnef_attr(b, 2, 0x0006800f, att->p, att->len);
}

/* uuencode (the historical format: 45 bytes a line, "`" for 0). */
static inline void
tu_uuencode(struct tu_buf *b, const char *name, const struct tu_buf *in)
{
	size_t	 i, j, n;
	char	 line[70];

	tu_put(b, "begin 644 ", 10);
	tu_put(b, name, strlen(name));
	tu_put(b, "\r\n", 2);
	for (i = 0; i < in->len; i += 45) {
		n = in->len - i < 45 ? in->len - i : 45;
		line[0] = (char)(' ' + n);
		for (j = 0; j < n; j += 3) {
			unsigned c0 = in->p[i + j];
			unsigned c1 = j + 1 < n ? in->p[i + j + 1] : 0;
			unsigned c2 = j + 2 < n ? in->p[i + j + 2] : 0;
			unsigned v[4] = { c0 >> 2, (c0 << 4 | c1 >> 4) & 63,
			    (c1 << 2 | c2 >> 6) & 63, c2 & 63 };
			int k;

			for (k = 0; k < 4; k++)
				line[1 + j / 3 * 4 + (size_t)k] = v[k] ?
				    (char)(' ' + v[k]) : '`';
		}
		tu_put(b, line, 1 + (n + 2) / 3 * 4);
		tu_put(b, "\r\n", 2);
	}
	tu_put(b, "`\r\nend\r\n", 9);
}

/*
 * A fresh directory TMPDIR/NAME.XXXXXX (or under /tmp) in dst. Returns
 * 0, or -1 after saying why.
 */
static inline int
tu_tmpdir(char *dst, size_t dstsz, const char *name)
{
	const char	*base;
	int		 n;

	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	n = snprintf(dst, dstsz, "%s/%s.XXXXXX", base, name);
	if (n < 0 || (size_t)n >= dstsz || mkdtemp(dst) == NULL) {
		fprintf(stderr, "%s: temporary directory: %s\n", name,
		    strerror(errno));
		return -1;
	}
	return 0;
}

/* Run the suite; the number of failed tests. */
static inline int
tu_run_suite(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}

#endif
