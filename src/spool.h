/*
 * spool_dir at start-up (SPEC §5): created when missing, refused when
 * others may look into it.
 */
#ifndef SMTPPROXY_SPOOL_H
#define SMTPPROXY_SPOOL_H

#include <stddef.h>

struct config;

/*
 * Whether conf's spool_dir is fit for use, without changing anything
 * (for -n): only when an inspection that spools is enabled (filetypes,
 * antivirus). A missing directory is fit when its parent exists; an
 * existing one must be a directory without group or other permission
 * bits. Returns 0, or -1 with the reason in err.
 */
int	spool_check(const struct config *, char *err, size_t errlen);
/*
 * spool_check(), then create a missing spool_dir, mode 0700, owned by
 * conf's user when running as root. Returns 0, or -1 with err.
 */
int	spool_prepare(const struct config *, char *err, size_t errlen);
/*
 * The directory that holds path, into buf: 0 if it is an existing
 * directory, else -1.
 */
int	spool_parent(const char *path, char *buf, size_t len);

#endif
