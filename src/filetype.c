/*
 * File type names for users (SPEC §4.5). One table row per user-facing
 * type: its name, the libclamav type names ("CL_TYPE_*") that are that
 * type, and the file name extensions that usually stand for it. A
 * libclamav type name or an extension appears in at most one row; the
 * unit test proves it, and that every type name libclamav 1.4 reports
 * is either in a row or deliberately in none (plain text, binary data,
 * mail and other encodings carry no policy meaning of their own).
 *
 * Two names in the table are not libclamav's: scan.c reports an OLE2
 * file whose root storage CLSID is a Windows Installer one as
 * "CL_TYPE_MSI", and text that starts with "#!" as "CL_TYPE_SCRIPT"
 * (libclamav types both as it types a Word document and plain text).
 *
 * What libclamav cannot tell, the extensions must: JavaScript, VBScript,
 * PowerShell and batch files are plain text to it (CL_TYPE_TEXT_ASCII),
 * so "script" is mostly known by name (filetype_of_ext()). A
 * macro-enabled Office document is typed like any other Office document;
 * "office-macro" is the macro heuristic (SCAN_F_MACROS) plus the
 * macro-enabled extensions.
 *
 * Pure: names only, no libclamav header.
 */
#include "autoconf.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "filetype.h"

#define FT_NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct filetype_def {
	const char		*name;
	const char *const	*cltypes;	/* NULL-terminated */
	const char *const	*exts;		/* NULL-terminated, no dot */
};

static const char *const exe_types[] = {
	"CL_TYPE_MSEXE", "CL_TYPE_ELF", "CL_TYPE_MACHO",
	"CL_TYPE_MACHO_UNIBIN", NULL
};
static const char *const exe_exts[] = {
	"exe", "com", "scr", "pif", "cpl", "dll", "sys", "ocx", "drv",
	"efi", NULL
};

static const char *const script_types[] = {
	"CL_TYPE_SCRIPT",	/* scan.c: "#!" text */
	"CL_TYPE_SCRENC",	/* Microsoft Script Encoder (.jse, .vbe) */
	"CL_TYPE_AUTOIT",	/* AutoIt script inside an executable */
	NULL
};
static const char *const script_exts[] = {
	"js", "jse", "vbs", "vbe", "vb", "wsf", "wsh", "hta", "ps1", "psm1",
	"psd1", "bat", "cmd", "sh", "bash", "ksh", "csh", "zsh", "py", "pyw",
	"pl", "rb", "php", NULL
};

static const char *const msi_types[] = {
	"CL_TYPE_MSI",		/* scan.c: OLE2 with an installer CLSID */
	NULL
};
static const char *const msi_exts[] = {
	"msi", "msp", "mst", NULL
};

static const char *const archive_types[] = {
	"CL_TYPE_ZIP", "CL_TYPE_RAR", "CL_TYPE_7Z", "CL_TYPE_GZ",
	"CL_TYPE_BZ", "CL_TYPE_XZ", "CL_TYPE_ARJ", "CL_TYPE_MSCAB",
	"CL_TYPE_MSSZDD", "CL_TYPE_POSIX_TAR", "CL_TYPE_OLD_TAR",
	"CL_TYPE_CPIO_OLD", "CL_TYPE_CPIO_ODC", "CL_TYPE_CPIO_NEWC",
	"CL_TYPE_CPIO_CRC", "CL_TYPE_EGG", "CL_TYPE_ALZ", "CL_TYPE_LHA_LZH",
	"CL_TYPE_SIS", "CL_TYPE_MSCHM", "CL_TYPE_ISO9660", "CL_TYPE_UDF",
	"CL_TYPE_DMG", "CL_TYPE_XAR", "CL_TYPE_APM", "CL_TYPE_GPT",
	"CL_TYPE_MBR",
	/* archives found inside an executable (self-extractors) */
	"CL_TYPE_ZIPSFX", "CL_TYPE_RARSFX", "CL_TYPE_7ZSFX",
	"CL_TYPE_CABSFX", "CL_TYPE_ARJSFX", "CL_TYPE_EGGSFX", "CL_TYPE_SFX",
	"CL_TYPE_NULSFT", "CL_TYPE_ISHIELD_MSI",
	NULL
};
static const char *const archive_exts[] = {
	"zip", "zipx", "rar", "7z", "gz", "tgz", "bz2", "tbz", "tbz2", "xz",
	"txz", "arj", "cab", "tar", "cpio", "egg", "alz", "lha", "lzh",
	"sis", "chm", "iso", "img", "udf", "dmg", "xar", "ace", "z", "jar",
	NULL
};

static const char *const office_types[] = {
	"CL_TYPE_MSOLE2", "CL_TYPE_MSWORD", "CL_TYPE_MSXL", "CL_TYPE_MSPPT",
	"CL_TYPE_OOXML_WORD", "CL_TYPE_OOXML_XL", "CL_TYPE_OOXML_PPT",
	"CL_TYPE_XML_WORD", "CL_TYPE_XML_XL", "CL_TYPE_RTF",
	"CL_TYPE_ONENOTE", "CL_TYPE_HWP3", "CL_TYPE_HWP5",
	"CL_TYPE_HWPOLE2", "CL_TYPE_OOXML_HWP", "CL_TYPE_XML_HWP",
	NULL
};
static const char *const office_exts[] = {
	"doc", "dot", "docx", "dotx", "xls", "xlt", "xlsx", "xltx", "xlsb",
	"ppt", "pot", "pps", "pptx", "potx", "ppsx", "rtf", "odt", "ods",
	"odp", "one", "hwp", NULL
};

/* No libclamav type: macros show as the SCAN_F_MACROS heuristic. */
static const char *const macro_types[] = {
	NULL
};
static const char *const macro_exts[] = {
	"docm", "dotm", "xlsm", "xltm", "xlam", "pptm", "potm", "ppam",
	"ppsm", "sldm", NULL
};

static const char *const pdf_types[] = {
	"CL_TYPE_PDF", "CL_TYPE_XDP", NULL
};
static const char *const pdf_exts[] = {
	"pdf", "xdp", NULL
};

static const char *const image_types[] = {
	"CL_TYPE_GIF", "CL_TYPE_JPEG", "CL_TYPE_PNG", "CL_TYPE_TIFF",
	"CL_TYPE_GRAPHICS", NULL
};
static const char *const image_exts[] = {
	"gif", "jpg", "jpeg", "jpe", "png", "tif", "tiff", "bmp", "webp",
	NULL
};

static const char *const html_types[] = {
	"CL_TYPE_HTML", "CL_TYPE_HTML_UTF16", "CL_TYPE_MHTML", NULL
};
static const char *const html_exts[] = {
	"htm", "html", "shtml", "xhtml", "mht", "mhtml", NULL
};

static const char *const shortcut_types[] = {
	"CL_TYPE_LNK", NULL
};
static const char *const shortcut_exts[] = {
	"lnk", "url", "scf", NULL
};

static const char *const java_types[] = {
	"CL_TYPE_JAVA", NULL
};
static const char *const java_exts[] = {
	"class", "jnlp", NULL
};

/* Row i is bit 1 << i; order is the order of filetype_name(). */
static const struct filetype_def filetype_rows[] = {
	{ "executable",		exe_types,	exe_exts },
	{ "script",		script_types,	script_exts },
	{ "msi",		msi_types,	msi_exts },
	{ "archive",		archive_types,	archive_exts },
	{ "office",		office_types,	office_exts },
	{ "office-macro",	macro_types,	macro_exts },
	{ "pdf",		pdf_types,	pdf_exts },
	{ "image",		image_types,	image_exts },
	{ "html",		html_types,	html_exts },
	{ "shortcut",		shortcut_types,	shortcut_exts },
	{ "java",		java_types,	java_exts }
};

_Static_assert(FT_NELEM(filetype_rows) <= sizeof(filetype_mask) * 8,
    "one bit of filetype_mask per row");

size_t
filetype_count(void)
{
	return FT_NELEM(filetype_rows);
}

const char *
filetype_row(size_t i, const char *const **cltypes_r,
    const char *const **exts_r)
{
	if (i >= FT_NELEM(filetype_rows))
		return NULL;
	if (cltypes_r != NULL)
		*cltypes_r = filetype_rows[i].cltypes;
	if (exts_r != NULL)
		*exts_r = filetype_rows[i].exts;
	return filetype_rows[i].name;
}

filetype_mask
filetype_parse(const char *name)
{
	size_t	 i;

	if (name == NULL)
		return 0;
	for (i = 0; i < FT_NELEM(filetype_rows); i++)
		if (strcasecmp(name, filetype_rows[i].name) == 0)
			return (filetype_mask)1 << i;
	return 0;
}

filetype_mask
filetype_of(const char *cltype)
{
	filetype_mask	 m = 0;
	size_t		 i, j;

	if (cltype == NULL)
		return 0;
	for (i = 0; i < FT_NELEM(filetype_rows); i++)
		for (j = 0; filetype_rows[i].cltypes[j] != NULL; j++)
			if (strcmp(cltype, filetype_rows[i].cltypes[j]) == 0)
				m |= (filetype_mask)1 << i;
	return m;
}

int
filetype_is_text(const char *cltype)
{
	static const char *const text[] = {
		"CL_TYPE_TEXT_ASCII", "CL_TYPE_TEXT_UTF8",
		"CL_TYPE_TEXT_UTF16LE", "CL_TYPE_TEXT_UTF16BE",
		"CL_TYPE_HTML", "CL_TYPE_HTML_UTF16", "CL_TYPE_MAIL",
		"CL_TYPE_SCRIPT", "CL_TYPE_UUENCODED"
	};
	size_t	 i;

	if (cltype == NULL)
		return 0;
	for (i = 0; i < FT_NELEM(text); i++)
		if (strcmp(cltype, text[i]) == 0)
			return 1;
	return 0;
}

const char *
filetype_name(filetype_mask m)
{
	size_t	 i;

	for (i = 0; i < FT_NELEM(filetype_rows); i++)
		if (m & ((filetype_mask)1 << i))
			return filetype_rows[i].name;
	return NULL;
}

/*
 * Length of filename without the trailing dots and spaces that Windows
 * drops when it creates a file ("a.exe. ." is a.exe).
 */
static size_t
filetype_trimmed_len(const char *filename)
{
	size_t	 n = strlen(filename);

	while (n > 0 && (filename[n - 1] == '.' || filename[n - 1] == ' '))
		n--;
	return n;
}

/*
 * Do the first n bytes of filename end with "." ext (case-insensitive)?
 * ext may start with the dot and may hold more dots ("tar.gz").
 */
static int
filetype_ends_with(const char *filename, size_t n, const char *ext)
{
	size_t	 elen;

	if (*ext == '.')
		ext++;
	elen = strlen(ext);
	if (elen == 0 || elen + 1 > n)
		return 0;
	if (filename[n - elen - 1] != '.')
		return 0;
	return strncasecmp(filename + n - elen, ext, elen) == 0;
}

const char *
filetype_ext_match(const char *filename, const char *const *exts,
    size_t nexts)
{
	size_t	 i, n;

	if (filename == NULL || exts == NULL)
		return NULL;
	n = filetype_trimmed_len(filename);
	for (i = 0; i < nexts; i++)
		if (exts[i] != NULL && filetype_ends_with(filename, n, exts[i]))
			return exts[i];
	return NULL;
}

filetype_mask
filetype_of_ext(const char *filename)
{
	filetype_mask	 m = 0;
	size_t		 i, n;

	if (filename == NULL)
		return 0;
	for (i = 0; i < FT_NELEM(filetype_rows); i++) {
		for (n = 0; filetype_rows[i].exts[n] != NULL; n++)
			;
		if (filetype_ext_match(filename, filetype_rows[i].exts, n)
		    != NULL)
			m |= (filetype_mask)1 << i;
	}
	return m;
}
