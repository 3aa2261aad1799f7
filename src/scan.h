/*
 * Content scanning with libclamav: true file types (also inside
 * archives) through the file inspection callback, the encrypted-archive
 * and Office-macro heuristics, and signatures when a database is
 * loaded. Only scan*.c include <clamav.h>. Thread-safe: one engine is
 * shared by all worker threads (libclamav engines are read-only once
 * compiled).
 */
#ifndef SMTPPROXY_SCAN_H
#define SMTPPROXY_SCAN_H

#include <stddef.h>
#include <stdint.h>

/* What to ask of a scan. */
#define SCAN_F_ENCRYPTED	0x01	/* heuristic: encrypted archives */
#define SCAN_F_MACROS		0x02	/* heuristic: OLE2 macros */
#define SCAN_F_MAIL		0x04	/* parse the input as a mail message */

enum scan_status {
	SCAN_CLEAN,
	SCAN_VIRUS,	/* a signature or an asked-for heuristic matched */
	SCAN_ERROR
};

/*
 * One file libclamav looked at: the input itself or something inside,
 * handed to the caller's scan_file_fn as libclamav reaches it, so that
 * every file is seen whatever their number (up to libclamav's own
 * limits, see scan.c) and nothing is kept that the caller does not
 * keep. The normalized views libclamav makes of a file
 * (LAYER_ATTRIBUTES_NORMALIZED: HTML and script text rewritten for
 * matching) are not files and are not reported.
 *
 * type is libclamav's type name ("CL_TYPE_MSEXE", ...) with two
 * refinements libclamav does not make: an OLE2 file (CL_TYPE_MSOLE2)
 * whose root storage CLSID is a Windows Installer database, patch or
 * transform is "CL_TYPE_MSI", and text (CL_TYPE_TEXT_ASCII or _UTF8)
 * starting with "#!" is "CL_TYPE_SCRIPT". libclamav has no type of its
 * own for either, and types .js, .vbs, .ps1 and .bat files as text.
 *
 * packed: libclamav unpacked this executable (UPX, ASPack, Petite, MEW,
 * Upack, PESpin, WWPack, yC, ...): its unpacked image was scanned as an
 * unnamed executable one level deeper. That is known only when the
 * unpacked image arrives, so a packed executable is reported twice:
 * first with packed 0, then again (same seq) with packed 1, right
 * before its unpacked image. Only what libclamav's PE unpackers open is
 * seen; a packer it does not know looks unpacked.
 */
struct scan_file {
	uint64_t	 seq;		/* 0, 1, ... in the order reached */
	char		 type[40];	/* "CL_TYPE_MSEXE", ... */
	char		 name[256];	/* in its archive, or "" (depth 0: */
					/* the name given to scan_*()); */
					/* libclamav's own temporary names */
					/* ("clamav-....tmp") are "" */
	unsigned	 depth;		/* 0: the input itself */
	int		 decrypted;	/* extracted by decrypting a layer */
	int		 packed;	/* an executable libclamav unpacked */
	uint64_t	 size;
};

/*
 * Called on the scanning thread for each file, in order (and once more
 * for a packed executable, see above). The struct is valid for the call
 * only.
 */
typedef void	(*scan_file_fn)(void *arg, const struct scan_file *);

/*
 * status is SCAN_VIRUS when a signature matched (virus is its name,
 * e.g. "Eicar-Test-Signature.UNOFFICIAL"; libclamav's own detections
 * named "Heuristics.W32...", "Heuristics.Phishing..." count as
 * signatures) or, with none, when an asked-for heuristic did (virus is
 * "Heuristics.Encrypted.Zip", "Heuristics.OLE2.ContainsMacros.VBA", ...).
 * A signature name wins over a heuristic name when both are found.
 *
 * limits_exceeded: libclamav stopped short of part of the input (file
 * or scan size, recursion depth, file count or time limit): the scan is
 * incomplete even when status is SCAN_CLEAN, and the caller decides
 * (SPEC smtp:252). libclamav reports this as
 * "Heuristics.Limits.Exceeded.*", never as a match; limit is the first
 * such name ("Heuristics.Limits.Exceeded.MaxRecursion"), or the error
 * libclamav returned ("CL_EMAXFILES"...).
 */
struct scan_result {
	enum scan_status	 status;
	char			 virus[128];	/* what matched, for SCAN_VIRUS */
	char			 error[128];	/* for SCAN_ERROR */
	uint64_t		 nfiles;	/* files reported */
	int			 limits_exceeded; /* the scan is incomplete */
	char			 limit[64];	/* which limit */
};

struct scan_engine;

/* libclamav's version string, for -V. */
const char	*scan_version(void);
/*
 * A compiled engine. database: a directory or file of signatures, or
 * NULL for none (types and heuristics only). Returns NULL and a message
 * in err on failure (a missing or broken database).
 */
struct scan_engine *scan_engine_new(const char *database, char *err,
		    size_t errsz);
/* Signatures loaded (0 without a database). */
unsigned	 scan_engine_signatures(const struct scan_engine *);
struct scan_engine *scan_engine_ref(struct scan_engine *);
void		 scan_engine_unref(struct scan_engine *);

/*
 * Scan a buffer / an open regular file (all of it, whatever the file
 * offset; the offset is left undefined) / the len bytes at offset off
 * of an open file (read with pread(2): the file offset is untouched, so
 * the caller may go on appending to the file elsewhere, and one file
 * can hold many inputs). name is what the input is called (an
 * attachment's file name) or NULL. Every file inside is reported to fn
 * (may be NULL) even after a match. Blocking: worker threads only; any
 * number of scans may share an engine. Returns 0 with status
 * SCAN_CLEAN or SCAN_VIRUS, or -1 with SCAN_ERROR and a message in
 * error (what was reported before the error stands).
 */
int	scan_memory(struct scan_engine *, const void *buf, size_t len,
	    const char *name, int flags, scan_file_fn fn, void *arg,
	    struct scan_result *);
int	scan_fd(struct scan_engine *, int fd, const char *name, int flags,
	    scan_file_fn fn, void *arg, struct scan_result *);
int	scan_fd_region(struct scan_engine *, int fd, uint64_t off,
	    uint64_t len, const char *name, int flags, scan_file_fn fn,
	    void *arg, struct scan_result *);

#endif
