/*
 * Unit tests for the user-facing file types (src/filetype.c): the table
 * is unique (names, libclamav type names, extensions) and complete
 * (every type name libclamav 1.4 reports is in a row or deliberately in
 * none), names parse back, and extension matching handles double
 * extensions, case, trailing dots and spaces, and paths.
 */
#include "autoconf.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "filetype.h"

#include "check_util.h"

/*
 * Every type name in libclamav 1.4's filetypes table (the CL_TYPE_*
 * strings in libclamav.so.12), plus the two scan.c reports itself.
 */
static const char *const cl_types[] = {
	"CL_TYPE_7Z", "CL_TYPE_7ZSFX", "CL_TYPE_ALZ", "CL_TYPE_ANY",
	"CL_TYPE_APM", "CL_TYPE_ARJ", "CL_TYPE_ARJSFX", "CL_TYPE_AUTOIT",
	"CL_TYPE_BINARY_DATA", "CL_TYPE_BINHEX", "CL_TYPE_BZ",
	"CL_TYPE_CABSFX", "CL_TYPE_CPIO_CRC", "CL_TYPE_CPIO_NEWC",
	"CL_TYPE_CPIO_ODC", "CL_TYPE_CPIO_OLD", "CL_TYPE_CRYPTFF",
	"CL_TYPE_DMG", "CL_TYPE_EGG", "CL_TYPE_EGGSFX", "CL_TYPE_ELF",
	"CL_TYPE_GIF", "CL_TYPE_GPT", "CL_TYPE_GRAPHICS", "CL_TYPE_GZ",
	"CL_TYPE_HTML", "CL_TYPE_HTML_UTF16", "CL_TYPE_HWP3", "CL_TYPE_HWP5",
	"CL_TYPE_HWPOLE2", "CL_TYPE_IGNORED", "CL_TYPE_INTERNAL",
	"CL_TYPE_ISHIELD_MSI", "CL_TYPE_ISO9660", "CL_TYPE_JAVA",
	"CL_TYPE_JPEG", "CL_TYPE_LHA_LZH", "CL_TYPE_LNK", "CL_TYPE_MACHO",
	"CL_TYPE_MACHO_UNIBIN", "CL_TYPE_MAIL", "CL_TYPE_MBR",
	"CL_TYPE_MHTML", "CL_TYPE_MSCAB", "CL_TYPE_MSCHM", "CL_TYPE_MSEXE",
	"CL_TYPE_MSOLE2", "CL_TYPE_MSPPT", "CL_TYPE_MSSZDD",
	"CL_TYPE_MSWORD", "CL_TYPE_MSXL", "CL_TYPE_NULSFT",
	"CL_TYPE_OLD_TAR", "CL_TYPE_ONENOTE", "CL_TYPE_OOXML_HWP",
	"CL_TYPE_OOXML_PPT", "CL_TYPE_OOXML_WORD", "CL_TYPE_OOXML_XL",
	"CL_TYPE_PART_ANY", "CL_TYPE_PART_HFSPLUS", "CL_TYPE_PDF",
	"CL_TYPE_PNG", "CL_TYPE_POSIX_TAR", "CL_TYPE_PS",
	"CL_TYPE_PYTHON_COMPILED", "CL_TYPE_RAR", "CL_TYPE_RARSFX",
	"CL_TYPE_RIFF", "CL_TYPE_RTF", "CL_TYPE_SCRENC", "CL_TYPE_SCRIPT",
	"CL_TYPE_SFX", "CL_TYPE_SIS", "CL_TYPE_SWF", "CL_TYPE_TEXT_ASCII",
	"CL_TYPE_TEXT_UTF16BE", "CL_TYPE_TEXT_UTF16LE", "CL_TYPE_TEXT_UTF8",
	"CL_TYPE_TIFF", "CL_TYPE_TNEF", "CL_TYPE_UDF", "CL_TYPE_UUENCODED",
	"CL_TYPE_XAR", "CL_TYPE_XDP", "CL_TYPE_XML_HWP", "CL_TYPE_XML_WORD",
	"CL_TYPE_XML_XL", "CL_TYPE_XZ", "CL_TYPE_ZIP", "CL_TYPE_ZIPSFX",
	/* scan.c's refinements */
	"CL_TYPE_MSI",
};

/*
 * The types deliberately in no row: text and data, encodings and mail
 * (their content is typed when libclamav decodes it), internal names,
 * and media and formats with no policy meaning of their own.
 */
static const char *const cl_untyped[] = {
	"CL_TYPE_ANY", "CL_TYPE_BINARY_DATA", "CL_TYPE_IGNORED",
	"CL_TYPE_INTERNAL", "CL_TYPE_PART_ANY", "CL_TYPE_PART_HFSPLUS",
	"CL_TYPE_TEXT_ASCII", "CL_TYPE_TEXT_UTF8", "CL_TYPE_TEXT_UTF16BE",
	"CL_TYPE_TEXT_UTF16LE", "CL_TYPE_BINHEX", "CL_TYPE_UUENCODED",
	"CL_TYPE_MAIL", "CL_TYPE_TNEF", "CL_TYPE_CRYPTFF", "CL_TYPE_PS",
	"CL_TYPE_RIFF", "CL_TYPE_SWF", "CL_TYPE_PYTHON_COMPILED",
};

/* SPEC §4.5 names the first ones; the rest are ours. */
static const char *const user_types[] = {
	"executable", "script", "msi", "archive", "office", "office-macro",
	"pdf", "image", "html", "shortcut", "java",
};

static int
tu_in(const char *s, const char *const *v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

static int
tu_bits(filetype_mask m)
{
	int	 n = 0;

	for (; m != 0; m &= m - 1)
		n++;
	return n;
}

/* Rows: names unique, parsed back in any case, bit i for row i. */
START_TEST(test_table_names)
{
	size_t		 i, j, n = filetype_count();
	const char	*name, *other;
	char		 upper[64];

	ck_assert_uint_eq(n, TU_NELEM(user_types));
	ck_assert_uint_le(n, sizeof(filetype_mask) * 8);
	ck_assert_ptr_null(filetype_row(n, NULL, NULL));
	for (i = 0; i < n; i++) {
		ck_assert_ptr_nonnull(name = filetype_row(i, NULL, NULL));
		ck_assert_str_eq(name, user_types[i]);
		ck_assert_uint_eq(filetype_parse(name),
		    (filetype_mask)1 << i);
		for (j = 0; name[j] != '\0' && j + 1 < sizeof(upper); j++)
			upper[j] = (char)(name[j] >= 'a' && name[j] <= 'z' ?
			    name[j] - 'a' + 'A' : name[j]);
		upper[j] = '\0';
		ck_assert_uint_eq(filetype_parse(upper),
		    (filetype_mask)1 << i);
		ck_assert_str_eq(filetype_name((filetype_mask)1 << i), name);
		for (j = 0; j < i; j++) {
			other = filetype_row(j, NULL, NULL);
			ck_assert_str_ne(name, other);
		}
	}
	ck_assert_uint_eq(filetype_parse("exe"), 0);
	ck_assert_uint_eq(filetype_parse(""), 0);
	ck_assert_uint_eq(filetype_parse(NULL), 0);
	ck_assert_ptr_null(filetype_name(0));
	/* The first name in a mask, in table order. */
	ck_assert_str_eq(filetype_name(filetype_parse("archive") |
	    filetype_parse("msi")), "msi");
}
END_TEST

/*
 * Type names: each in at most one row, each a name libclamav (or
 * scan.c) really reports, and every such name in a row or in the
 * untyped list, never both.
 */
START_TEST(test_table_cltypes)
{
	const char *const	*ct, *const *ct2;
	size_t			 i, j, k, l;
	filetype_mask		 m;

	for (i = 0; i < filetype_count(); i++) {
		filetype_row(i, &ct, NULL);
		ck_assert_ptr_nonnull(ct);
		for (k = 0; ct[k] != NULL; k++) {
			ck_assert_msg(tu_in(ct[k], cl_types,
			    TU_NELEM(cl_types)), "%s in row %s is no "
			    "libclamav type", ct[k], filetype_row(i, NULL,
			    NULL));
			ck_assert_msg(!tu_in(ct[k], cl_untyped,
			    TU_NELEM(cl_untyped)), "%s typed and untyped",
			    ct[k]);
			for (j = 0; j <= i; j++) {
				filetype_row(j, &ct2, NULL);
				for (l = 0; ct2[l] != NULL; l++)
					if (j != i || l != k)
						ck_assert_str_ne(ct[k],
						    ct2[l]);
			}
		}
	}
	for (i = 0; i < TU_NELEM(cl_types); i++) {
		m = filetype_of(cl_types[i]);
		if (tu_in(cl_types[i], cl_untyped, TU_NELEM(cl_untyped)))
			ck_assert_msg(m == 0, "%s should be untyped",
			    cl_types[i]);
		else
			ck_assert_msg(tu_bits(m) == 1, "%s is in %d rows",
			    cl_types[i], tu_bits(m));
	}
	for (i = 0; i < TU_NELEM(cl_untyped); i++)
		ck_assert(tu_in(cl_untyped[i], cl_types, TU_NELEM(cl_types)));
	ck_assert_uint_eq(filetype_of("cl_type_msexe"), 0);
	ck_assert_uint_eq(filetype_of(""), 0);
	ck_assert_uint_eq(filetype_of(NULL), 0);
}
END_TEST

/* Extensions: unique across rows, no dot, lower case, non-empty. */
START_TEST(test_table_exts)
{
	const char *const	*ex, *const *ct, *const *ex2;
	size_t			 i, j, k, l;
	char			 name[64];

	for (i = 0; i < filetype_count(); i++) {
		filetype_row(i, &ct, &ex);
		ck_assert_ptr_nonnull(ex);
		/* Every row is reachable by content or by name. */
		ck_assert(ct[0] != NULL || ex[0] != NULL);
		for (k = 0; ex[k] != NULL; k++) {
			ck_assert_uint_gt(strlen(ex[k]), 0);
			ck_assert_ptr_null(strchr(ex[k], '.'));
			for (l = 0; ex[k][l] != '\0'; l++)
				ck_assert(!(ex[k][l] >= 'A' &&
				    ex[k][l] <= 'Z'));
			for (j = 0; j <= i; j++) {
				filetype_row(j, NULL, &ex2);
				for (l = 0; ex2[l] != NULL; l++)
					if (j != i || l != k)
						ck_assert_str_ne(ex[k],
						    ex2[l]);
			}
			snprintf(name, sizeof(name), "file.%s", ex[k]);
			ck_assert_uint_eq(filetype_of_ext(name),
			    (filetype_mask)1 << i);
		}
	}
}
END_TEST

/* What SPEC §4.5 and the scan layer rely on. */
static const struct {
	const char	*cltype;
	const char	*user;		/* NULL: untyped */
} of_vecs[] = {
	{ "CL_TYPE_MSEXE", "executable" },
	{ "CL_TYPE_ELF", "executable" },
	{ "CL_TYPE_MACHO", "executable" },
	{ "CL_TYPE_MACHO_UNIBIN", "executable" },
	{ "CL_TYPE_SCRIPT", "script" },
	{ "CL_TYPE_MSI", "msi" },
	{ "CL_TYPE_MSOLE2", "office" },
	{ "CL_TYPE_OOXML_WORD", "office" },
	{ "CL_TYPE_ZIP", "archive" },
	{ "CL_TYPE_RAR", "archive" },
	{ "CL_TYPE_7Z", "archive" },
	{ "CL_TYPE_GZ", "archive" },
	{ "CL_TYPE_POSIX_TAR", "archive" },
	{ "CL_TYPE_ISO9660", "archive" },
	{ "CL_TYPE_MSCAB", "archive" },
	{ "CL_TYPE_PDF", "pdf" },
	{ "CL_TYPE_PNG", "image" },
	{ "CL_TYPE_HTML", "html" },
	{ "CL_TYPE_LNK", "shortcut" },
	{ "CL_TYPE_TEXT_ASCII", NULL },
	{ "CL_TYPE_BINARY_DATA", NULL },
	{ "CL_TYPE_MAIL", NULL },
};

START_TEST(test_of)
{
	filetype_mask	 m = filetype_of(of_vecs[_i].cltype);

	if (of_vecs[_i].user == NULL)
		ck_assert_uint_eq(m, 0);
	else
		ck_assert_msg(m == filetype_parse(of_vecs[_i].user),
		    "%s: got %s", of_vecs[_i].cltype,
		    filetype_name(m) ? filetype_name(m) : "(none)");
}
END_TEST

static const char *const block_exts[] = { "exe", ".SCR", "js", "tar.gz" };

static const struct {
	const char	*filename;
	const char	*match;		/* NULL: none */
} ext_vecs[] = {
	{ "a.exe", "exe" },
	{ "A.EXE", "exe" },
	{ "a.ExE", "exe" },
	{ "invoice.pdf.exe", "exe" },
	{ "invoice.exe.pdf", NULL },
	{ "a.exe.", "exe" },
	{ "a.exe ", "exe" },
	{ "a.exe . . ", "exe" },
	{ "a.exe.\t", NULL },
	{ "a.scr", ".SCR" },
	{ "a.Scr.", ".SCR" },
	{ ".exe", "exe" },
	{ "exe", NULL },
	{ "aexe", NULL },
	{ "a.exe2", NULL },
	{ "a.xexe", NULL },
	{ "a.e xe", NULL },
	{ "", NULL },
	{ ".", NULL },
	{ " ", NULL },
	{ "C:\\Users\\x\\a.exe", "exe" },
	{ "dir/a.exe", "exe" },
	{ "dir.exe/a", NULL },
	{ "dir.exe/", NULL },
	{ "a.js", "js" },
	{ "a.json", NULL },
	{ "a.tar.gz", "tar.gz" },
	{ "a.TAR.GZ ", "tar.gz" },
	{ "a.gz", NULL },
	{ "atar.gz", NULL },
	{ "a\xe2\x80\xaegpj.exe", "exe" },	/* U+202E: shows as a.exe.jpg */
};

START_TEST(test_ext_match)
{
	const char	*got;

	got = filetype_ext_match(ext_vecs[_i].filename, block_exts,
	    TU_NELEM(block_exts));
	if (ext_vecs[_i].match == NULL)
		ck_assert_msg(got == NULL, "\"%s\" matched %s",
		    tu_esc(ext_vecs[_i].filename,
		    strlen(ext_vecs[_i].filename)), got);
	else
		ck_assert_msg(got != NULL &&
		    strcmp(got, ext_vecs[_i].match) == 0,
		    "\"%s\": got %s", tu_esc(ext_vecs[_i].filename,
		    strlen(ext_vecs[_i].filename)), got ? got : "NULL");
}
END_TEST

START_TEST(test_ext_edges)
{
	const char *const	 none[] = { NULL, "" };

	ck_assert_ptr_null(filetype_ext_match(NULL, block_exts,
	    TU_NELEM(block_exts)));
	ck_assert_ptr_null(filetype_ext_match("a.exe", NULL, 3));
	ck_assert_ptr_null(filetype_ext_match("a.exe", block_exts, 0));
	/* NULL and empty entries match nothing, not every name. */
	ck_assert_ptr_null(filetype_ext_match("a.exe", none, 2));
	ck_assert_ptr_null(filetype_ext_match("a.", none, 2));
	/* The first matching entry is returned. */
	ck_assert_str_eq(filetype_ext_match("a.tar.gz",
	    (const char *const[]){ "gz", "tar.gz" }, 2), "gz");
}
END_TEST

/* Names libclamav types only as text are typed by extension. */
static const struct {
	const char	*filename;
	const char	*user;		/* NULL: none */
} ofext_vecs[] = {
	{ "run.js", "script" },
	{ "run.VBS", "script" },
	{ "run.ps1", "script" },
	{ "run.bat", "script" },
	{ "run.cmd ", "script" },
	{ "run.sh", "script" },
	{ "setup.msi", "msi" },
	{ "report.docm", "office-macro" },
	{ "report.xlsm.", "office-macro" },
	{ "report.docx", "office" },
	{ "invoice.pdf.exe", "executable" },
	{ "photo.jpg", "image" },
	{ "a.tar.gz", "archive" },
	{ "a.tgz", "archive" },
	{ "a.lnk", "shortcut" },
	{ "notes.txt", NULL },
	{ "noext", NULL },
	{ "", NULL },
};

START_TEST(test_of_ext)
{
	filetype_mask	 m = filetype_of_ext(ofext_vecs[_i].filename);

	if (ofext_vecs[_i].user == NULL)
		ck_assert_uint_eq(m, 0);
	else
		ck_assert_msg(m == filetype_parse(ofext_vecs[_i].user),
		    "%s: got %s", ofext_vecs[_i].filename,
		    filetype_name(m) ? filetype_name(m) : "(none)");
	ck_assert_uint_eq(filetype_of_ext(NULL), 0);
}
END_TEST

static Suite *
filetype_suite(void)
{
	Suite	*s = suite_create("filetype");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_table_names);
	tcase_add_test(tc, test_table_cltypes);
	tcase_add_test(tc, test_table_exts);
	tcase_add_loop_test(tc, test_of, 0, TU_NELEM(of_vecs));
	tcase_add_loop_test(tc, test_ext_match, 0, TU_NELEM(ext_vecs));
	tcase_add_test(tc, test_ext_edges);
	tcase_add_loop_test(tc, test_of_ext, 0, TU_NELEM(ofext_vecs));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(filetype_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
