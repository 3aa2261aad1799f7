/*
 * Unit tests for the libclamav layer (src/scan.c), against the real
 * libclamav. Every fixture is built at test time in a temporary
 * directory: a minimal PE32 written byte by byte, stored ZIPs (nested,
 * and one encrypted with the traditional PKWARE cipher), OLE2 compound
 * files (with a VBA project, with a Windows Installer CLSID), /bin/true
 * for ELF, scripts, and a one-line signature database for EICAR. The
 * packed executables and the InstallShield MSI come from Debian's
 * clamav-testfiles package; without it those cases say SKIP and pass.
 *
 * What libclamav 1.4 reports for each fixture is asserted as found, so
 * a library that behaves differently fails here first.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan.h"

#include "check_files.h"
#include "check_util.h"

#ifndef TESTFILES
#define TESTFILES	"/usr/share/clamav-testfiles"	/* clamav-testfiles */
#endif

/* The EICAR test file (68 bytes, no line end). */
static const char eicar[] =
    "X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
#define EICAR_SIG	"Eicar-Test-Signature"

static char	 tmpdir[256];

struct tu_olestream {
	const char		*name;
	const unsigned char	*data;
	size_t			 len;		/* >= 4096: regular sectors */
};

/*
 * An OLE2 compound file ([MS-CFB] version 3, 512-byte sectors): the
 * header, one FAT sector (sector 0), one directory sector (sector 1:
 * the root entry with clsid, then up to three streams chained as right
 * siblings) and the streams from sector 2 on. Streams are at least the
 * 4096-byte mini stream cutoff, so no mini stream is needed.
 */
static void
tu_ole2(struct tu_buf *b, const unsigned char clsid[16],
    const struct tu_olestream *s, size_t n)
{
	unsigned char	 hdr[512], fat[512], dir[512], *d;
	uint32_t	 sect = 2, start[3];
	size_t		 i, j, k, nsect;

	ck_assert_uint_le(n, 3);
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8);
	tu_set16(hdr + 0x18, 0x3e);		/* minor version */
	tu_set16(hdr + 0x1a, 3);		/* major version */
	tu_set16(hdr + 0x1c, 0xfffe);		/* little-endian */
	tu_set16(hdr + 0x1e, 9);		/* 512-byte sectors */
	tu_set16(hdr + 0x20, 6);		/* 64-byte mini sectors */
	tu_set32(hdr + 0x2c, 1);		/* FAT sectors */
	tu_set32(hdr + 0x30, 1);		/* first directory sector */
	tu_set32(hdr + 0x38, 4096);		/* mini stream cutoff */
	tu_set32(hdr + 0x3c, 0xfffffffeU);	/* no mini FAT */
	tu_set32(hdr + 0x44, 0xfffffffeU);	/* no DIFAT sectors */
	memset(hdr + 0x4c, 0xff, 109 * 4);
	tu_set32(hdr + 0x4c, 0);		/* DIFAT[0]: FAT in sector 0 */

	memset(fat, 0xff, sizeof(fat));
	tu_set32(fat, 0xfffffffdU);		/* sector 0: FAT */
	tu_set32(fat + 4, 0xfffffffeU);		/* sector 1: end of chain */
	for (i = 0; i < n; i++) {
		ck_assert_uint_ge(s[i].len, 4096);
		nsect = (s[i].len + 511) / 512;
		start[i] = sect;
		for (k = 0; k < nsect; k++, sect++) {
			ck_assert_uint_lt(sect, 128);
			tu_set32(fat + 4 * sect, k + 1 < nsect ? sect + 1 :
			    0xfffffffeU);
		}
	}

	memset(dir, 0, sizeof(dir));
	for (i = 0; i <= n; i++) {
		const char	*name = i == 0 ? "Root Entry" : s[i - 1].name;

		d = dir + 128 * i;
		for (j = 0; name[j] != '\0' && j < 31; j++)
			d[2 * j] = (unsigned char)name[j];
		tu_set16(d + 0x40, (unsigned)(2 * j + 2));
		d[0x42] = i == 0 ? 5 : 2;	/* root storage / stream */
		d[0x43] = 1;			/* black */
		tu_set32(d + 0x44, 0xffffffffU);	/* left */
		tu_set32(d + 0x48, i > 0 && i < n ? (uint32_t)(i + 1) :
		    0xffffffffU);			/* right */
		tu_set32(d + 0x4c, i == 0 && n > 0 ? 1 : 0xffffffffU);
		if (i == 0 && clsid != NULL)
			memcpy(d + 0x50, clsid, 16);
		tu_set32(d + 0x74, i == 0 ? 0xfffffffeU : start[i - 1]);
		tu_set32(d + 0x78, i == 0 ? 0 : (uint32_t)s[i - 1].len);
	}
	for (i = n + 1; i < 4; i++) {
		d = dir + 128 * i;
		tu_set32(d + 0x44, 0xffffffffU);
		tu_set32(d + 0x48, 0xffffffffU);
		tu_set32(d + 0x4c, 0xffffffffU);
	}

	tu_put(b, hdr, sizeof(hdr));
	tu_put(b, fat, sizeof(fat));
	tu_put(b, dir, sizeof(dir));
	for (i = 0; i < n; i++) {
		tu_put(b, s[i].data, s[i].len);
		tu_zero(b, (512 - s[i].len % 512) % 512);
	}
}

/*
 * A Word-style OLE2 file with a VBA project: a "_VBA_PROJECT" stream
 * and a "dir" stream ([MS-OVBA] 2.3.4.2) holding a PROJECTSYSKIND
 * record and the terminator, compressed ([MS-OVBA] 2.4.1) as literal
 * tokens only. That is all libclamav needs to find macros.
 */
static void
tu_ole2_macro(struct tu_buf *b)
{
	static const unsigned char records[] = {
		0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00,
		0x10, 0x00, 0x00, 0x00, 0x00, 0x00
	};
	unsigned char		 vba[4096], dir[4096];
	struct tu_olestream	 s[2];
	size_t			 i, o;

	memset(vba, 0, sizeof(vba));
	memcpy(vba, "\xcc\x61\xff\xff\x00", 5);
	memset(dir, 0, sizeof(dir));
	dir[0] = 0x01;				/* signature */
	dir[1] = 0x00;				/* chunk header */
	dir[2] = 0xb0;
	for (i = 0, o = 3; i < sizeof(records); i += 8) {
		dir[o++] = 0x00;		/* flags: 8 literals */
		memcpy(dir + o, records + i, 8);
		o += 8;
	}
	s[0].name = "_VBA_PROJECT";
	s[0].data = vba;
	s[0].len = sizeof(vba);
	s[1].name = "dir";
	s[1].data = dir;
	s[1].len = sizeof(dir);
	tu_ole2(b, NULL, s, 2);
}

/* An OLE2 file with one stream and the given root CLSID. */
static void
tu_ole2_plain(struct tu_buf *b, const unsigned char clsid[16])
{
	unsigned char		 data[4096];
	struct tu_olestream	 s = { "WordDocument", data, sizeof(data) };

	memset(data, 'x', sizeof(data));
	tu_ole2(b, clsid, &s, 1);
}

/* {000C1084-0000-0000-C000-000000000046}: a Windows Installer database. */
static const unsigned char clsid_msi[16] = {
	0x84, 0x10, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46
};
/* {00020906-0000-0000-C000-000000000046}: a Word document. */
static const unsigned char clsid_word[16] = {
	0x06, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x46
};

/* A MIME message with the given attachment, base64-encoded. */
static void
tu_mail(struct tu_buf *b, const char *filename, const struct tu_buf *att)
{
	static const char	 head[] =
	    "From: a@example.org\r\n"
	    "To: b@example.org\r\n"
	    "Subject: invoice\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b1\"\r\n"
	    "\r\n"
	    "--b1\r\n"
	    "Content-Type: text/plain\r\n"
	    "\r\n"
	    "See attached.\r\n"
	    "--b1\r\n"
	    "Content-Type: application/octet-stream\r\n"
	    "Content-Transfer-Encoding: base64\r\n"
	    "Content-Disposition: attachment; filename=\"";
	static const char	 tail[] = "--b1--\r\n";

	tu_put(b, head, sizeof(head) - 1);
	tu_put(b, filename, strlen(filename));
	tu_put(b, "\"\r\n\r\n", 5);
	tu_base64(b, att->p, att->len);
	tu_put(b, tail, sizeof(tail) - 1);
}

static void
tu_path(char *dst, size_t dstsz, const char *name)
{
	int	 n;

	n = snprintf(dst, dstsz, "%s/%s", tmpdir, name);
	ck_assert(n > 0 && (size_t)n < dstsz);
}

static void
tu_write(const char *name, const void *p, size_t len)
{
	char	 path[512];
	FILE	*f;

	tu_path(path, sizeof(path), name);
	ck_assert_ptr_nonnull(f = fopen(path, "wb"));
	ck_assert_uint_eq(fwrite(p, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* A whole file into b; 0, or -1 if it cannot be read. */
static int
tu_read(const char *path, struct tu_buf *b)
{
	unsigned char	 chunk[8192];
	size_t		 n;
	FILE		*f;

	if ((f = fopen(path, "rb")) == NULL)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		tu_put(b, chunk, n);
	fclose(f);
	return 0;
}

/* Writes the EICAR signature database; its path in dst. */
static void
tu_eicar_db(char *dst, size_t dstsz)
{
	char	 line[256];
	size_t	 i, o;

	o = (size_t)snprintf(line, sizeof(line), "%s:0:*:", EICAR_SIG);
	for (i = 0; i < sizeof(eicar) - 1; i++)
		o += (size_t)snprintf(line + o, sizeof(line) - o, "%02x",
		    (unsigned char)eicar[i]);
	o += (size_t)snprintf(line + o, sizeof(line) - o, "\n");
	ck_assert_uint_lt(o, sizeof(line));
	tu_write("eicar.ndb", line, o);
	tu_path(dst, dstsz, "eicar.ndb");
}

static struct scan_engine *
tu_engine(const char *db)
{
	struct scan_engine	*e;
	char			 err[256];

	e = scan_engine_new(db, err, sizeof(err));
	ck_assert_msg(e != NULL, "scan_engine_new: %s", err);
	return e;
}

static struct scan_engine *
tu_engine_eicar(void)
{
	char	 db[512];

	tu_eicar_db(db, sizeof(db));
	return tu_engine(db);
}

/*
 * What a scan reported: the result and the files, recorded by
 * tu_record() from scan.c's callback (a packed executable's second
 * report updates its first).
 */
#define TU_MAXREC	512

struct tu_result {
	struct scan_result	 s;
	struct scan_file	 files[TU_MAXREC];
	int			 nfiles;	/* recorded */
	uint64_t		 calls;
};

static void
tu_record(void *arg, const struct scan_file *f)
{
	struct tu_result	*r = arg;

	r->calls++;
	if (f->seq < (uint64_t)r->nfiles) {
		r->files[f->seq] = *f;
		return;
	}
	ck_assert_uint_eq(f->seq, (uint64_t)r->nfiles);
	if (r->nfiles < TU_MAXREC)
		r->files[r->nfiles++] = *f;
}

static int
tu_scan_memory(struct scan_engine *e, const void *buf, size_t len,
    const char *name, int flags, struct tu_result *r)
{
	r->nfiles = 0;
	r->calls = 0;
	return scan_memory(e, buf, len, name, flags, tu_record, r, &r->s);
}

static int
tu_scan_fd(struct scan_engine *e, int fd, const char *name, int flags,
    struct tu_result *r)
{
	r->nfiles = 0;
	r->calls = 0;
	return scan_fd(e, fd, name, flags, tu_record, r, &r->s);
}

/* The index of the first file of type at depth, or -1. */
static int
tu_find(const struct tu_result *r, const char *type, unsigned depth)
{
	int	 i;

	for (i = 0; i < r->nfiles; i++)
		if (r->files[i].depth == depth &&
		    strcmp(r->files[i].type, type) == 0)
			return i;
	return -1;
}

static void
tu_dump(const struct tu_result *r)
{
	int	 i;

	fprintf(stderr, "status=%d virus=%s error=%s nfiles=%d/%llu "
	    "limits=%d (%s)\n", r->s.status, r->s.virus, r->s.error,
	    r->nfiles, (unsigned long long)r->s.nfiles,
	    r->s.limits_exceeded, r->s.limit);
	for (i = 0; i < r->nfiles; i++)
		fprintf(stderr, "  depth=%u type=%s name=\"%s\" size=%llu "
		    "decrypted=%d packed=%d\n", r->files[i].depth,
		    r->files[i].type, r->files[i].name,
		    (unsigned long long)r->files[i].size,
		    r->files[i].decrypted, r->files[i].packed);
}

static void
tu_scan(struct scan_engine *e, const struct tu_buf *b, const char *name,
    int flags, struct tu_result *r)
{
	ck_assert_int_eq(tu_scan_memory(e, b->p, b->len, name, flags, r), 0);
	if (getenv("SCAN_DUMP") != NULL)
		tu_dump(r);
}

/* The PE is typed as such, with its name and size, and not packed. */
START_TEST(test_pe)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 pe = { NULL, 0, 0 };
	struct tu_result	 r;

	tu_pe(&pe);
	tu_scan(e, &pe, "setup.exe", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSEXE");
	ck_assert_str_eq(r.files[0].name, "setup.exe");
	ck_assert_uint_eq(r.files[0].depth, 0);
	ck_assert_uint_eq(r.files[0].size, pe.len);
	ck_assert_int_eq(r.files[0].packed, 0);
	ck_assert_int_eq(r.files[0].decrypted, 0);
	ck_assert_int_eq(r.s.limits_exceeded, 0);

	/* A renamed executable is still one. */
	tu_scan(e, &pe, "notes.txt", 0, &r);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSEXE");
	ck_assert_str_eq(r.files[0].name, "notes.txt");

	/* No name. */
	tu_scan(e, &pe, NULL, 0, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSEXE");
	tu_free(&pe);
	scan_engine_unref(e);
}
END_TEST

/* A ZIP holding the PE renamed .txt: ZIP at depth 0, PE at depth 1. */
START_TEST(test_zip_pe)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 i;

	tu_pe(&pe);
	tu_zip1(&zip, "readme.txt", pe.p, pe.len, NULL);
	tu_scan(e, &zip, "docs.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 2);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ZIP");
	ck_assert_str_eq(r.files[0].name, "docs.zip");
	ck_assert_uint_eq(r.files[0].depth, 0);
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "readme.txt");
	ck_assert_uint_eq(r.files[i].size, pe.len);
	ck_assert_int_eq(r.files[i].packed, 0);
	ck_assert_int_eq(r.files[0].packed, 0);
	tu_free(&pe);
	tu_free(&zip);
	scan_engine_unref(e);
}
END_TEST

/* ZIP in ZIP: the PE at depth 2 under its own name. */
START_TEST(test_zip_nested)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 pe = { NULL, 0, 0 }, in = { NULL, 0, 0 },
				 out = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 i;

	tu_pe(&pe);
	tu_zip1(&in, "inner.exe", pe.p, pe.len, NULL);
	tu_zip1(&out, "inner.zip", in.p, in.len, NULL);
	tu_scan(e, &out, "outer.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 3);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ZIP");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_ZIP", 1), 0);
	ck_assert_str_eq(r.files[i].name, "inner.zip");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 2), 0);
	ck_assert_str_eq(r.files[i].name, "inner.exe");
	tu_free(&pe);
	tu_free(&in);
	tu_free(&out);
	scan_engine_unref(e);
}
END_TEST

/*
 * An encrypted ZIP: Heuristics.Encrypted.Zip only when asked; without,
 * clean, and the ZIP is still seen (its content cannot be).
 */
START_TEST(test_zip_encrypted)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	struct tu_result	 r;

	tu_pe(&pe);
	tu_zip1(&zip, "payload.exe", pe.p, pe.len, "secret");
	tu_write("encrypted.zip", zip.p, zip.len);

	tu_scan(e, &zip, "encrypted.zip", SCAN_F_ENCRYPTED, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, "Heuristics.Encrypted.Zip");
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_ZIP", 0), 0);

	tu_scan(e, &zip, "encrypted.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_str_eq(r.s.virus, "");
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_ZIP", 0), 0);
	ck_assert_int_lt(tu_find(&r, "CL_TYPE_MSEXE", 1), 0);

	/* The other heuristic does not report it. */
	tu_scan(e, &zip, "encrypted.zip", SCAN_F_MACROS, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);

	/* Asked for after a clean scan of the same bytes: no stale cache. */
	tu_scan(e, &zip, "encrypted.zip", SCAN_F_ENCRYPTED, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	tu_free(&pe);
	tu_free(&zip);
	scan_engine_unref(e);
}
END_TEST

/* The hand-made encrypted ZIP is a real one: unzip takes the password. */
START_TEST(test_zip_encrypted_unzip)
{
	struct tu_buf	 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	char		 cmd[1024], path[512];

	if (system("command -v unzip >/dev/null 2>&1") != 0) {
		fprintf(stderr, "SKIP: test_zip_encrypted_unzip: no unzip\n");
		return;
	}
	tu_pe(&pe);
	tu_zip1(&zip, "payload.exe", pe.p, pe.len, "secret");
	tu_write("check.zip", zip.p, zip.len);
	tu_path(path, sizeof(path), "check.zip");
	snprintf(cmd, sizeof(cmd),
	    "unzip -qq -t -P secret '%s' >/dev/null 2>&1", path);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(cmd, sizeof(cmd),
	    "unzip -qq -t -P wrong '%s' >/dev/null 2>&1", path);
	ck_assert_int_ne(system(cmd), 0);
	tu_free(&pe);
	tu_free(&zip);
}
END_TEST

/* ELF (/bin/true), from memory and from a descriptor. */
START_TEST(test_elf)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 elf = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 fd;

	ck_assert_int_eq(tu_read("/bin/true", &elf), 0);
	tu_scan(e, &elf, "true", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ELF");
	ck_assert_uint_eq(r.files[0].size, elf.len);

	ck_assert_int_ge(fd = open("/bin/true", O_RDONLY), 0);
	ck_assert_int_eq(tu_scan_fd(e, fd, "true.bin", 0, &r), 0);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ELF");
	ck_assert_str_eq(r.files[0].name, "true.bin");
	ck_assert_uint_eq(r.files[0].size, elf.len);
	/* The whole file, whatever the offset. */
	ck_assert_int_ne(lseek(fd, 0, SEEK_END), -1);
	ck_assert_int_eq(tu_scan_fd(e, fd, "true.bin", 0, &r), 0);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ELF");
	ck_assert_uint_eq(r.files[0].size, elf.len);
	close(fd);
	tu_free(&elf);
	scan_engine_unref(e);
}
END_TEST

/*
 * Scripts: libclamav types them all as text; scan.c makes a "#!" file
 * CL_TYPE_SCRIPT. The rest is for the extension rules.
 */
static const struct {
	const char	*name;
	const char	*content;
	const char	*type;
} script_vecs[] = {
	{ "run.sh", "#!/bin/sh\necho hello\n", "CL_TYPE_SCRIPT" },
	{ "run.txt", "#!/usr/bin/env python3\nprint(1)\n", "CL_TYPE_SCRIPT" },
	{ "run.js", "var x = 1;\nWScript.Echo(\"hi\");\n",
	    "CL_TYPE_TEXT_ASCII" },
	{ "run.vbs", "Dim x\r\nx = 1\r\nMsgBox \"hi\"\r\n",
	    "CL_TYPE_TEXT_ASCII" },
	{ "run.ps1", "Write-Host \"hello\"\n$x = Get-Process\n",
	    "CL_TYPE_TEXT_ASCII" },
	{ "run.bat", "@echo off\r\necho hi\r\n", "CL_TYPE_TEXT_ASCII" },
	{ "page.html", "<html><body><script>alert(1)</script></body></html>\n",
	    "CL_TYPE_HTML" },
	{ "notes.txt", "just # text #! here\n", "CL_TYPE_TEXT_ASCII" },
};

START_TEST(test_script)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 b = { NULL, 0, 0 };
	struct tu_result	 r;

	tu_put(&b, script_vecs[_i].content, strlen(script_vecs[_i].content));
	tu_scan(e, &b, script_vecs[_i].name, 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_ge(r.nfiles, 1);
	ck_assert_msg(strcmp(r.files[0].type, script_vecs[_i].type) == 0,
	    "%s: %s", script_vecs[_i].name, r.files[0].type);
	tu_free(&b);
	scan_engine_unref(e);
}
END_TEST

/* EICAR plain, inside a ZIP, in a ZIP in a ZIP, and from a file. */
START_TEST(test_eicar)
{
	struct scan_engine	*e = tu_engine_eicar();
	struct tu_buf		 b = { NULL, 0, 0 }, zip = { NULL, 0, 0 },
				 zip2 = { NULL, 0, 0 };
	struct tu_result	 r;
	char			 path[512];
	int			 fd;

	ck_assert_uint_eq(scan_engine_signatures(e), 1);
	tu_put(&b, eicar, sizeof(eicar) - 1);
	tu_scan(e, &b, "eicar.com", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_msg(strncmp(r.s.virus, EICAR_SIG, strlen(EICAR_SIG)) == 0,
	    "virus %s", r.s.virus);
	ck_assert_int_eq(r.nfiles, 1);

	tu_zip1(&zip, "eicar.com", eicar, sizeof(eicar) - 1, NULL);
	tu_scan(e, &zip, "eicar.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, EICAR_SIG ".UNOFFICIAL");
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_ZIP", 0), 0);
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_TEXT_ASCII", 1), 0);

	tu_zip1(&zip2, "eicar.zip", zip.p, zip.len, NULL);
	tu_scan(e, &zip2, "eicar2.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, EICAR_SIG ".UNOFFICIAL");

	tu_write("eicar.com", eicar, sizeof(eicar) - 1);
	tu_path(path, sizeof(path), "eicar.com");
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);
	ck_assert_int_eq(tu_scan_fd(e, fd, "eicar.com", 0, &r), 0);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, EICAR_SIG ".UNOFFICIAL");
	close(fd);

	/* Clean things stay clean with signatures loaded. */
	tu_free(&b);
	tu_pe(&b);
	tu_scan(e, &b, "setup.exe", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	tu_free(&b);
	tu_free(&zip);
	tu_free(&zip2);
	scan_engine_unref(e);
}
END_TEST

/*
 * All-match: EICAR first in a ZIP does not hide the executable after it,
 * and a signature wins over a heuristic.
 */
START_TEST(test_allmatch)
{
	struct scan_engine	*e = tu_engine_eicar();
	struct tu_buf		 pe = { NULL, 0, 0 }, enc = { NULL, 0, 0 },
				 zip = { NULL, 0, 0 };
	struct tu_zipent	 ent[3];
	struct tu_result	 r;
	int			 i;

	tu_pe(&pe);
	tu_zip1(&enc, "hidden.txt", "hello", 5, "secret");
	ent[0].name = "eicar.com";
	ent[0].data = (const unsigned char *)eicar;
	ent[0].len = sizeof(eicar) - 1;
	ent[0].password = NULL;
	ent[1].name = "enc.zip";
	ent[1].data = enc.p;
	ent[1].len = enc.len;
	ent[1].password = NULL;
	ent[2].name = "tool.exe";
	ent[2].data = pe.p;
	ent[2].len = pe.len;
	ent[2].password = NULL;
	tu_zip(&zip, ent, 3);
	tu_scan(e, &zip, "mixed.zip", SCAN_F_ENCRYPTED, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, EICAR_SIG ".UNOFFICIAL");
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_ZIP", 1), 0);
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "tool.exe");

	/* Without the signature, the heuristic is what matched. */
	ent[0].data = (const unsigned char *)"harmless\n";
	ent[0].len = 9;
	tu_free(&zip);
	tu_zip(&zip, ent, 3);
	tu_scan(e, &zip, "mixed.zip", SCAN_F_ENCRYPTED, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, "Heuristics.Encrypted.Zip");
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	tu_free(&pe);
	tu_free(&enc);
	tu_free(&zip);
	scan_engine_unref(e);
}
END_TEST

/*
 * The clean-file cache is off: a second scan of the same ZIP still sees
 * the executable inside (with the cache, libclamav skips the whole ZIP).
 */
START_TEST(test_no_cache)
{
	struct scan_engine	*e = tu_engine_eicar();
	struct tu_buf		 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 n;

	tu_pe(&pe);
	tu_zip1(&zip, "tool.exe", pe.p, pe.len, NULL);
	for (n = 0; n < 3; n++) {
		tu_scan(e, &zip, "tool.zip", 0, &r);
		ck_assert_int_eq(r.s.status, SCAN_CLEAN);
		ck_assert_msg(tu_find(&r, "CL_TYPE_MSEXE", 1) >= 0,
		    "scan %d missed the executable", n + 1);
	}
	tu_free(&pe);
	tu_free(&zip);
	scan_engine_unref(e);
}
END_TEST

/*
 * A whole message: with SCAN_F_MAIL libclamav decodes the MIME parts
 * and sees the executable in the attached ZIP; without, it is one
 * CL_TYPE_MAIL file.
 */
START_TEST(test_mail)
{
	struct scan_engine	*e = tu_engine_eicar();
	struct tu_buf		 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 },
				 msg = { NULL, 0, 0 }, eb = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 i;

	tu_pe(&pe);
	tu_zip1(&zip, "invoice.exe", pe.p, pe.len, NULL);
	tu_mail(&msg, "invoice.zip", &zip);
	tu_scan(e, &msg, NULL, SCAN_F_MAIL, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MAIL");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_ZIP", 1), 0);
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 2), 0);
	ck_assert_str_eq(r.files[i].name, "invoice.exe");

	tu_scan(e, &msg, NULL, 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MAIL");

	tu_free(&msg);
	tu_put(&eb, eicar, sizeof(eicar) - 1);
	tu_mail(&msg, "eicar.com", &eb);
	tu_scan(e, &msg, NULL, SCAN_F_MAIL, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, EICAR_SIG ".UNOFFICIAL");
	tu_free(&pe);
	tu_free(&zip);
	tu_free(&msg);
	tu_free(&eb);
	scan_engine_unref(e);
}
END_TEST

/* A VBA project: Heuristics.OLE2.ContainsMacros.VBA only when asked. */
START_TEST(test_macro)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 doc = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	struct tu_result	 r;

	tu_ole2_macro(&doc);
	tu_write("macro.doc", doc.p, doc.len);
	tu_scan(e, &doc, "report.doc", SCAN_F_MACROS, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, "Heuristics.OLE2.ContainsMacros.VBA");
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSOLE2");

	tu_scan(e, &doc, "report.doc", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSOLE2");

	tu_scan(e, &doc, "report.doc", SCAN_F_ENCRYPTED, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);

	/* Inside a ZIP too. */
	tu_zip1(&zip, "report.doc", doc.p, doc.len, NULL);
	tu_scan(e, &zip, "report.zip", SCAN_F_MACROS, &r);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);
	ck_assert_str_eq(r.s.virus, "Heuristics.OLE2.ContainsMacros.VBA");
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_MSOLE2", 1), 0);
	tu_free(&doc);
	tu_free(&zip);
	scan_engine_unref(e);
}
END_TEST

/* OLE2 with an installer CLSID is CL_TYPE_MSI, a Word one stays OLE2. */
START_TEST(test_msi)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 b = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	struct tu_result	 r;

	tu_ole2_plain(&b, clsid_msi);
	tu_scan(e, &b, "setup.msi", 0, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSI");
	tu_zip1(&zip, "readme.doc", b.p, b.len, NULL);
	tu_scan(e, &zip, "setup.zip", 0, &r);
	ck_assert_int_ge(tu_find(&r, "CL_TYPE_MSI", 1), 0);
	tu_free(&b);
	tu_free(&zip);

	tu_ole2_plain(&b, clsid_word);
	tu_scan(e, &b, "letter.doc", 0, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSOLE2");
	tu_free(&b);
	tu_ole2_plain(&b, NULL);
	tu_scan(e, &b, "letter.doc", 0, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSOLE2");
	tu_free(&b);
	scan_engine_unref(e);
}
END_TEST

/* A real MSI, inside an InstallShield setup.exe (clamav-testfiles). */
START_TEST(test_msi_installshield)
{
	struct scan_engine	*e;
	struct tu_buf		 b = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 i;

	if (tu_read(TESTFILES "/clam_ISmsi_int.exe", &b) == -1) {
		fprintf(stderr, "SKIP: test_msi_installshield: install the "
		    "clamav-testfiles package\n");
		return;
	}
	e = tu_engine(NULL);
	tu_scan(e, &b, "clam_ISmsi_int.exe", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSEXE");
	for (i = 0; i < r.nfiles; i++)
		if (strcmp(r.files[i].name, "clam.msi") == 0)
			break;
	ck_assert_int_lt(i, r.nfiles);
	ck_assert_str_eq(r.files[i].type, "CL_TYPE_MSI");
	tu_free(&b);
	scan_engine_unref(e);
}
END_TEST

/*
 * Packed executables (clamav-testfiles): libclamav unpacks each and
 * scans the image as an unnamed executable one level down.
 */
static const char *const packed_vecs[] = {
	"clam-upx.exe", "clam-aspack.exe", "clam-mew.exe", "clam-pespin.exe",
	"clam-petite.exe", "clam-upack.exe", "clam-wwpack.exe", "clam-yc.exe",
};

START_TEST(test_packed)
{
	struct scan_engine	*e;
	struct tu_buf		 b = { NULL, 0, 0 }, zip = { NULL, 0, 0 };
	struct tu_result	 r;
	char			 path[512];
	int			 i;

	snprintf(path, sizeof(path), "%s/%s", TESTFILES, packed_vecs[_i]);
	if (tu_read(path, &b) == -1) {
		fprintf(stderr, "SKIP: test_packed %s: install the "
		    "clamav-testfiles package\n", packed_vecs[_i]);
		return;
	}
	e = tu_engine(NULL);
	tu_scan(e, &b, packed_vecs[_i], 0, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSEXE");
	ck_assert_msg(r.files[0].packed, "%s not packed", packed_vecs[_i]);
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "");

	/* Inside a ZIP: the member is the packed one. */
	tu_zip1(&zip, packed_vecs[_i], b.p, b.len, NULL);
	tu_scan(e, &zip, "tools.zip", 0, &r);
	ck_assert_int_eq(r.files[0].packed, 0);
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, packed_vecs[_i]);
	ck_assert_int_eq(r.files[i].packed, 1);
	tu_free(&b);
	tu_free(&zip);
	scan_engine_unref(e);
}
END_TEST

/*
 * Not packed: a plain executable, one with another appended (libclamav
 * finds that one two levels down), and an NSIS installer.
 */
START_TEST(test_not_packed)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 b = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 i;

	tu_pe(&b);
	tu_scan(e, &b, "a.exe", 0, &r);
	ck_assert_int_eq(r.files[0].packed, 0);
	tu_free(&b);
	if (tu_read(TESTFILES "/clam.exe", &b) == -1 ||
	    tu_read(TESTFILES "/clam.exe", &b) == -1) {
		fprintf(stderr, "SKIP: test_not_packed overlay: install the "
		    "clamav-testfiles package\n");
		tu_free(&b);
		scan_engine_unref(e);
		return;
	}
	tu_scan(e, &b, "overlay.exe", 0, &r);
	for (i = 0; i < r.nfiles; i++)
		ck_assert_int_eq(r.files[i].packed, 0);
	tu_free(&b);
	if (tu_read(TESTFILES "/clam-nsis.exe", &b) == 0) {
		tu_scan(e, &b, "setup.exe", 0, &r);
		ck_assert_int_eq(r.files[0].packed, 0);
		tu_free(&b);
	}
	scan_engine_unref(e);
}
END_TEST

/*
 * Limits: ZIPs nested deeper than libclamav's recursion limit. The
 * scan is clean but says it is incomplete.
 */
START_TEST(test_limits)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 cur = { NULL, 0, 0 }, next = { NULL, 0, 0 };
	struct tu_result	 r;
	int			 n;

	tu_pe(&cur);
	for (n = 0; n < 25; n++) {
		tu_zip1(&next, n == 0 ? "deep.exe" : "deeper.zip", cur.p,
		    cur.len, NULL);
		tu_free(&cur);
		cur = next;
		memset(&next, 0, sizeof(next));
	}
	tu_scan(e, &cur, "deep.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.s.limits_exceeded, 1);
	ck_assert_int_lt(tu_find(&r, "CL_TYPE_MSEXE", 25), 0);
	tu_free(&cur);

	/* Within the limits: complete. */
	tu_pe(&cur);
	tu_zip1(&next, "a.exe", cur.p, cur.len, NULL);
	tu_scan(e, &next, "ok.zip", 0, &r);
	ck_assert_int_eq(r.s.limits_exceeded, 0);
	tu_free(&cur);
	tu_free(&next);
	scan_engine_unref(e);
}
END_TEST

/*
 * No cap on files: a ZIP of 300 text files and then a PE reports all
 * 302 files, the PE last, and the scan is complete.
 */
START_TEST(test_many_files)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_zipent	 ent[301];
	char			 names[300][16];
	struct tu_buf		 zip = { NULL, 0, 0 }, pe = { NULL, 0, 0 };
	struct tu_result	 r;
	size_t			 i;

	tu_pe(&pe);
	for (i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "f%03zu.txt", i);
		ent[i].name = names[i];
		ent[i].data = (const unsigned char *)names[i];
		ent[i].len = strlen(names[i]);
		ent[i].password = NULL;
	}
	ent[300].name = "last.exe";
	ent[300].data = pe.p;
	ent[300].len = pe.len;
	ent[300].password = NULL;
	tu_zip(&zip, ent, TU_NELEM(ent));
	tu_scan(e, &zip, "many.zip", 0, &r);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 302);
	ck_assert_uint_eq(r.s.nfiles, 302);
	ck_assert_uint_eq(r.calls, 302);
	ck_assert_int_eq(r.s.limits_exceeded, 0);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ZIP");
	ck_assert_str_eq(r.files[1].name, "f000.txt");
	ck_assert_str_eq(r.files[301].type, "CL_TYPE_MSEXE");
	ck_assert_str_eq(r.files[301].name, "last.exe");
	for (i = 0; i < 302; i++)
		ck_assert_uint_eq(r.files[i].seq, i);
	tu_free(&zip);
	tu_free(&pe);
	scan_engine_unref(e);
}
END_TEST

/*
 * libclamav's own file count limit (10000 files a scan) is reported as
 * an incomplete scan, with its name; a NULL callback is fine.
 */
START_TEST(test_max_files)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_zipent	*ent;
	char			(*names)[16];
	struct tu_buf		 zip = { NULL, 0, 0 };
	struct scan_result	 s;
	size_t			 i, n = 10050;

	ck_assert_ptr_nonnull(ent = calloc(n, sizeof(*ent)));
	ck_assert_ptr_nonnull(names = calloc(n, sizeof(*names)));
	for (i = 0; i < n; i++) {
		snprintf(names[i], sizeof(names[i]), "f%05zu", i);
		ent[i].name = names[i];
		ent[i].data = (const unsigned char *)"x";
		ent[i].len = 1;
	}
	tu_zip(&zip, ent, n);
	ck_assert_int_eq(scan_memory(e, zip.p, zip.len, "huge.zip", 0, NULL,
	    NULL, &s), 0);
	ck_assert_int_eq(s.status, SCAN_CLEAN);
	ck_assert_int_eq(s.limits_exceeded, 1);
	ck_assert_msg(strstr(s.limit, "MaxFiles") != NULL ||
	    strstr(s.limit, "files") != NULL, "limit %s", s.limit);
	ck_assert_uint_le(s.nfiles, 10001);
	tu_free(&zip);
	free(ent);
	free(names);
	scan_engine_unref(e);
}
END_TEST

/*
 * Regions of one file: three inputs at their offsets, each typed as if
 * it were a file of its own; the file offset is not moved (pread), a
 * region past the end of the file is empty, and a bad descriptor fails.
 */
START_TEST(test_region)
{
	struct scan_engine	*e = tu_engine_eicar();
	struct tu_buf		 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 },
				 all = { NULL, 0, 0 };
	struct tu_result	 r;
	char			 path[512];
	uint64_t		 ope, ozip, oeicar;
	int			 fd, i;

	tu_pe(&pe);
	tu_zip1(&zip, "inner.exe", pe.p, pe.len, NULL);
	tu_put(&all, "some text before\r\n", 18);
	ope = all.len;
	tu_put(&all, pe.p, pe.len);
	ozip = all.len;
	tu_put(&all, zip.p, zip.len);
	oeicar = all.len;
	tu_put(&all, eicar, sizeof(eicar) - 1);
	tu_put(&all, "trailing\r\n", 10);
	tu_write("regions.bin", all.p, all.len);
	tu_path(path, sizeof(path), "regions.bin");
	ck_assert_int_ge(fd = open(path, O_RDONLY), 0);

	r.nfiles = 0;
	ck_assert_int_eq(scan_fd_region(e, fd, ope, pe.len, "a.exe", 0,
	    tu_record, &r, &r.s), 0);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MSEXE");
	ck_assert_str_eq(r.files[0].name, "a.exe");
	ck_assert_uint_eq(r.files[0].size, pe.len);
	ck_assert_int_eq(lseek(fd, 0, SEEK_CUR), 0);

	r.nfiles = 0;
	ck_assert_int_eq(scan_fd_region(e, fd, ozip, zip.len, "b.zip", 0,
	    tu_record, &r, &r.s), 0);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_ZIP");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "inner.exe");

	r.nfiles = 0;
	ck_assert_int_eq(scan_fd_region(e, fd, oeicar, sizeof(eicar) - 1,
	    "c.com", 0, tu_record, &r, &r.s), 0);
	ck_assert_int_eq(r.s.status, SCAN_VIRUS);

	/* The text before alone is text, not the PE after it. */
	r.nfiles = 0;
	ck_assert_int_eq(scan_fd_region(e, fd, 0, ope, "t.txt", 0,
	    tu_record, &r, &r.s), 0);
	ck_assert_int_eq(r.nfiles, 1);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_TEXT_ASCII");

	/* Past the end: nothing to read, no file, no crash. */
	r.nfiles = 0;
	scan_fd_region(e, fd, all.len + 100, 50, "x", 0, tu_record, &r,
	    &r.s);
	ck_assert_int_ne(r.s.status, SCAN_VIRUS);
	ck_assert_int_eq(scan_fd_region(e, fd, 0, 0, "empty", 0, NULL,
	    NULL, &r.s), 0);
	close(fd);
	ck_assert_int_eq(scan_fd_region(e, -1, 0, 10, "x", 0, NULL, NULL,
	    &r.s), -1);
	ck_assert_int_eq(r.s.status, SCAN_ERROR);
	ck_assert_int_eq(scan_fd_region(NULL, 0, 0, 10, "x", 0, NULL, NULL,
	    &r.s), -1);
	tu_free(&pe);
	tu_free(&zip);
	tu_free(&all);
	scan_engine_unref(e);
}
END_TEST

/*
 * Containers the mail parser opens (SCAN_F_MAIL): an attached mail, a
 * TNEF winmail.dat, HTML with a data: URI; a file that starts with
 * uuencode. libclamav's temporary names for what it extracts are "".
 * Without SCAN_F_MAIL the executable inside TNEF and HTML is not seen.
 */
START_TEST(test_containers)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_buf		 pe = { NULL, 0, 0 }, b = { NULL, 0, 0 },
				 enc = { NULL, 0, 0 };
	struct tu_result	 r;
	size_t			 j;
	int			 i;

	tu_pe(&pe);
	tu_tnef(&b, "evil.exe", &pe);
	tu_scan(e, &b, "winmail.dat", SCAN_F_MAIL, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_TNEF");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "");
	tu_scan(e, &b, "winmail.dat", 0, &r);
	ck_assert_int_lt(tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	tu_free(&b);

	/* The data: URI on one line, as browsers and readers want it. */
	tu_base64(&enc, pe.p, pe.len);
	tu_puts(&b, "<html><body><p>hi</p><a href=\"data:application/"
	    "octet-stream;base64,");
	for (j = 0; j < enc.len; j++)
		if (enc.p[j] != '\r' && enc.p[j] != '\n')
			tu_put(&b, enc.p + j, 1);
	tu_puts(&b, "\">x</a></body></html>\r\n");
	tu_free(&enc);
	tu_scan(e, &b, "page.html", SCAN_F_MAIL, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_HTML");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 2), 0);
	tu_scan(e, &b, "page.html", 0, &r);
	ck_assert_int_lt(tu_find(&r, "CL_TYPE_MSEXE", 2), 0);
	tu_free(&b);

	tu_uuencode(&b, "evil.exe", &pe);
	tu_scan(e, &b, "uu.txt", SCAN_F_MAIL, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_UUENCODED");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "");
	tu_free(&b);

	tu_mail(&b, "evil.exe", &pe);
	tu_scan(e, &b, "fwd.eml", SCAN_F_MAIL, &r);
	ck_assert_str_eq(r.files[0].type, "CL_TYPE_MAIL");
	ck_assert_int_ge(i = tu_find(&r, "CL_TYPE_MSEXE", 1), 0);
	ck_assert_str_eq(r.files[i].name, "evil.exe");
	tu_free(&b);
	tu_free(&pe);
	scan_engine_unref(e);
}
END_TEST

/* Missing, broken and empty databases fail with a message. */
START_TEST(test_bad_database)
{
	struct scan_engine	*e;
	char			 err[256], path[512];

	tu_write("broken.ndb", "this is not a signature\n", 24);
	tu_path(path, sizeof(path), "broken.ndb");
	err[0] = '\0';
	e = scan_engine_new(path, err, sizeof(err));
	ck_assert_ptr_null(e);
	ck_assert_msg(strstr(err, "broken.ndb") != NULL, "err: %s", err);
	ck_assert_msg(strstr(err, "Malformed database") != NULL, "err: %s",
	    err);

	tu_path(path, sizeof(path), "no-such.cvd");
	err[0] = '\0';
	ck_assert_ptr_null(scan_engine_new(path, err, sizeof(err)));
	ck_assert_msg(strstr(err, "no-such.cvd") != NULL, "err: %s", err);

	tu_path(path, sizeof(path), "empty");
	ck_assert_int_eq(mkdir(path, 0700), 0);
	err[0] = '\0';
	ck_assert_ptr_null(scan_engine_new(path, err, sizeof(err)));
	ck_assert_msg(err[0] != '\0', "no message");

	/* A small err buffer is filled, not overrun. */
	tu_path(path, sizeof(path), "broken.ndb");
	memset(err, 'x', sizeof(err));
	ck_assert_ptr_null(scan_engine_new(path, err, 8));
	ck_assert_uint_eq(strlen(err), 7);
	ck_assert_int_eq(err[8], 'x');
}
END_TEST

/* Edges: empty input, no engine, a bad descriptor. */
START_TEST(test_edges)
{
	struct scan_engine	*e = tu_engine(NULL);
	struct tu_result	 r;

	ck_assert_uint_eq(scan_engine_signatures(e), 0);
	ck_assert_uint_eq(scan_engine_signatures(NULL), 0);
	ck_assert_int_eq(tu_scan_memory(e, "", 0, "empty.txt", 0, &r), 0);
	ck_assert_int_eq(r.s.status, SCAN_CLEAN);
	ck_assert_int_eq(r.nfiles, 0);
	ck_assert_int_eq(tu_scan_memory(NULL, "x", 1, NULL, 0, &r), -1);
	ck_assert_int_eq(r.s.status, SCAN_ERROR);
	ck_assert_str_ne(r.s.error, "");
	ck_assert_int_eq(tu_scan_fd(e, -1, NULL, 0, &r), -1);
	ck_assert_int_eq(r.s.status, SCAN_ERROR);
	ck_assert_int_eq(tu_scan_fd(e, 9999, NULL, 0, &r), -1);
	ck_assert_int_eq(r.s.status, SCAN_ERROR);
	ck_assert_str_ne(r.s.error, "");
	ck_assert_ptr_nonnull(scan_version());
	ck_assert_str_ne(scan_version(), "");
	scan_engine_unref(NULL);
	ck_assert_ptr_null(scan_engine_ref(NULL));
	scan_engine_unref(e);
}
END_TEST

/*
 * One engine, many threads: each scan has its own result, and the
 * engine outlives the reference its creator dropped (as on a reload)
 * until the last scan lets go.
 */
#define NTHREADS	4
#define NSCANS		25

struct tu_worker {
	struct scan_engine	*e;
	const struct tu_buf	*zip;
	const struct tu_buf	*eicar;
	int			 bad;
};

static void *
tu_worker_run(void *arg)
{
	struct tu_worker	*w = arg;
	struct tu_result	*r;
	int			 n;

	if ((r = malloc(sizeof(*r))) == NULL) {
		w->bad++;
		return NULL;
	}
	for (n = 0; n < NSCANS; n++) {
		if (tu_scan_memory(w->e, w->zip->p, w->zip->len, "t.zip",
		    SCAN_F_ENCRYPTED, r) != 0 || r->s.status != SCAN_CLEAN ||
		    tu_find(r, "CL_TYPE_MSEXE", 1) < 0)
			w->bad++;
		if (tu_scan_memory(w->e, w->eicar->p, w->eicar->len, "e.com",
		    0, r) != 0 || r->s.status != SCAN_VIRUS ||
		    strncmp(r->s.virus, EICAR_SIG, strlen(EICAR_SIG)) != 0)
			w->bad++;
	}
	free(r);
	scan_engine_unref(w->e);
	return NULL;
}

START_TEST(test_threads)
{
	struct scan_engine	*e = tu_engine_eicar();
	struct tu_buf		 pe = { NULL, 0, 0 }, zip = { NULL, 0, 0 },
				 eb = { NULL, 0, 0 };
	struct tu_worker	 w[NTHREADS];
	pthread_t		 t[NTHREADS];
	int			 i;

	tu_pe(&pe);
	tu_zip1(&zip, "tool.exe", pe.p, pe.len, NULL);
	tu_put(&eb, eicar, sizeof(eicar) - 1);
	for (i = 0; i < NTHREADS; i++) {
		w[i].e = scan_engine_ref(e);
		w[i].zip = &zip;
		w[i].eicar = &eb;
		w[i].bad = 0;
		ck_assert_int_eq(pthread_create(&t[i], NULL, tu_worker_run,
		    &w[i]), 0);
	}
	scan_engine_unref(e);	/* the workers' references keep it */
	for (i = 0; i < NTHREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_int_eq(w[i].bad, 0);
	}
	tu_free(&pe);
	tu_free(&zip);
	tu_free(&eb);
}
END_TEST

static Suite *
scan_suite(void)
{
	Suite	*s = suite_create("scan");
	TCase	*tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_pe);
	tcase_add_test(tc, test_zip_pe);
	tcase_add_test(tc, test_zip_nested);
	tcase_add_test(tc, test_zip_encrypted);
	tcase_add_test(tc, test_zip_encrypted_unzip);
	tcase_add_test(tc, test_elf);
	tcase_add_loop_test(tc, test_script, 0, TU_NELEM(script_vecs));
	tcase_add_test(tc, test_eicar);
	tcase_add_test(tc, test_allmatch);
	tcase_add_test(tc, test_no_cache);
	tcase_add_test(tc, test_mail);
	tcase_add_test(tc, test_macro);
	tcase_add_test(tc, test_msi);
	tcase_add_test(tc, test_msi_installshield);
	tcase_add_loop_test(tc, test_packed, 0, TU_NELEM(packed_vecs));
	tcase_add_test(tc, test_not_packed);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_many_files);
	tcase_add_test(tc, test_max_files);
	tcase_add_test(tc, test_region);
	tcase_add_test(tc, test_containers);
	tcase_add_test(tc, test_bad_database);
	tcase_add_test(tc, test_edges);
	tcase_add_test(tc, test_threads);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	int	 failed;

	/* Fixtures live in one directory, removed at the end. */
	if (tu_tmpdir(tmpdir, sizeof(tmpdir), "check_scan") == -1)
		return EXIT_FAILURE;
	failed = tu_run_suite(scan_suite());
	tu_rmtree(tmpdir);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
