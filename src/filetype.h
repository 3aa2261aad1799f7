/*
 * File type names for users (SPEC §4.5): "executable", "script", "msi",
 * "archive", ... each standing for a set of libclamav type names
 * ("CL_TYPE_MSEXE", ...). Pure: names only, no libclamav header.
 */
#ifndef SMTPPROXY_FILETYPE_H
#define SMTPPROXY_FILETYPE_H

#include <stddef.h>
#include <stdint.h>

/* A set of user-facing types, one bit each. */
typedef uint32_t	filetype_mask;

/*
 * The table, one row per user-facing type (row i is bit 1 << i): its
 * name, and NULL-terminated lists of the libclamav type names and the
 * extensions (without the dot) that are that type. Returns NULL for i
 * >= filetype_count(). For the table's tests and for documentation.
 */
size_t		 filetype_count(void);
const char	*filetype_row(size_t i, const char *const **cltypes_r,
		    const char *const **exts_r);

/* "executable" -> its bit, 0 if unknown (case-insensitive). */
filetype_mask	filetype_parse(const char *);
/*
 * The user-facing types a libclamav type ("CL_TYPE_ZIP") belongs to, 0
 * for none. Besides libclamav's names, scan.c reports "CL_TYPE_MSI" and
 * "CL_TYPE_SCRIPT" (see struct scan_file).
 */
filetype_mask	filetype_of(const char *cltype);
/*
 * The user-facing types whose usual extensions filename ends with
 * (filetype_ext_match() rules), for what libclamav types only as text:
 * "a.js" is a script, "a.docm" an office-macro document.
 */
filetype_mask	filetype_of_ext(const char *filename);
/*
 * Is this libclamav type text a mail reader shows rather than a file
 * (plain text in any encoding, HTML, a mail, "#!" text, uuencoded
 * text)? For message bodies, which are typed but are not files.
 */
int		filetype_is_text(const char *cltype);
/* The first user-facing name in mask (for a refusal reply), or NULL. */
const char	*filetype_name(filetype_mask);
/*
 * Does filename's last extension match one of exts (case-insensitive,
 * with or without the dot: "exe", ".exe")? "invoice.pdf.exe" ends with
 * exe. Trailing dots and spaces, which Windows drops, are ignored
 * ("a.exe." and "a.exe " are exe). An entry with dots ("tar.gz")
 * matches that many extensions. Returns the matching entry or NULL.
 */
const char	*filetype_ext_match(const char *filename,
		    const char *const *exts, size_t nexts);

#endif
