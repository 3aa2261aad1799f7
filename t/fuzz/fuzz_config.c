/*
 * libFuzzer target for the configuration loader (src/config*.c and the
 * libconfuse grammar under it): the input is written to a file and
 * loaded as smtpproxy -n would. Whatever the file holds, the loader
 * reports errors (or accepts it) and frees everything: no crash, no
 * leak, no error message without "FILE:LINE: " or the file's name.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

#define FUZZ_CHECK(c)	do { if (!(c)) { fprintf(stderr,		\
	"fuzz_config: check failed: %s\n", #c); abort(); } } while (0)

static char	 fuzz_path[64];

/* Every error names the file it is about. */
static void
fuzz_error(const char *msg)
{
	FUZZ_CHECK(msg != NULL && strstr(msg, fuzz_path) != NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*conf;
	FILE		*fp;
	int		 fd;

	snprintf(fuzz_path, sizeof(fuzz_path), "/tmp/fuzz_config.XXXXXX");
	if ((fd = mkstemp(fuzz_path)) == -1 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, fp) != size)
		abort();
	fclose(fp);
	if ((conf = config_load(fuzz_path, fuzz_error)) != NULL)
		config_unref(conf);
	unlink(fuzz_path);
	return 0;
}
