/*
 * The spool directory: what a message too large for memory is written
 * to (inspect.c, one unlinked mode-0600 file per message). The files
 * are private, but their names and sizes are not when others may list
 * the directory, nor is the directory safe from another user's
 * symlinks or files when it is writable by them: the spool must be the
 * daemon's alone.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "spool.h"

/* Inspections that write to spool_dir. */
static int
spool_needed(const struct config *conf)
{
	return conf->filetypes_enabled || conf->av_enabled;
}

/* 1 if spool_dir is missing and may be created, 0 if it exists. */
static int
spool_state(const struct config *conf, char *err, size_t errlen)
{
	struct stat	 st;
	char		 parent[PATH_MAX];

	if (stat(conf->spool_dir, &st) == 0) {
		if (!S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "spool_dir \"%s\" is not a "
			    "directory", conf->spool_dir);
			return -1;
		}
		if ((st.st_mode & 077) != 0) {
			snprintf(err, errlen, "spool_dir \"%s\" has mode %04o: "
			    "group and others must have no access to it "
			    "(chmod 700 \"%s\")", conf->spool_dir,
			    (unsigned)(st.st_mode & 07777), conf->spool_dir);
			return -1;
		}
		return 0;
	}
	if (errno != ENOENT) {
		snprintf(err, errlen, "spool_dir \"%s\": %s", conf->spool_dir,
		    strerror(errno));
		return -1;
	}
	if (spool_parent(conf->spool_dir, parent, sizeof(parent)) == -1) {
		snprintf(err, errlen, "spool_dir \"%s\" is missing and cannot "
		    "be created: its parent \"%s\" is not a directory",
		    conf->spool_dir, parent);
		return -1;
	}
	return 1;
}

int
spool_parent(const char *path, char *buf, size_t len)
{
	struct stat	 st;
	char		*slash;

	if (snprintf(buf, len, "%s", path) >= (int)len ||
	    (slash = strrchr(buf, '/')) == NULL)
		return -1;
	*(slash == buf ? slash + 1 : slash) = '\0';
	return stat(buf, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

int
spool_check(const struct config *conf, char *err, size_t errlen)
{
	if (!spool_needed(conf))
		return 0;
	return spool_state(conf, err, errlen) == -1 ? -1 : 0;
}

int
spool_prepare(const struct config *conf, char *err, size_t errlen)
{
	struct passwd	*pw = NULL;
	int		 r;

	if (!spool_needed(conf))
		return 0;
	if ((r = spool_state(conf, err, errlen)) != 1)
		return r;
	if (mkdir(conf->spool_dir, 0700) == -1) {
		snprintf(err, errlen, "cannot create spool_dir \"%s\": %s",
		    conf->spool_dir, strerror(errno));
		return -1;
	}
	if (conf->user != NULL && geteuid() == 0 &&
	    (pw = getpwnam(conf->user)) != NULL &&
	    chown(conf->spool_dir, pw->pw_uid, pw->pw_gid) == -1) {
		snprintf(err, errlen, "cannot give spool_dir \"%s\" to %s: %s",
		    conf->spool_dir, conf->user, strerror(errno));
		(void)rmdir(conf->spool_dir);
		return -1;
	}
	log_info("event=spool-created path=%s mode=0700 owner=%s",
	    conf->spool_dir, pw != NULL ? conf->user : "self");
	return 0;
}
