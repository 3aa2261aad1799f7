/*
 * Content scanning with libclamav. Only scan*.c include <clamav.h>.
 */
#ifndef SMTPPROXY_SCAN_H
#define SMTPPROXY_SCAN_H

/* libclamav's version string, for -V. */
const char	*scan_version(void);

#endif
