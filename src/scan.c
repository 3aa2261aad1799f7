/*
 * Content scanning with libclamav.
 */
#include "autoconf.h"

#include <clamav.h>

#include "scan.h"

const char *
scan_version(void)
{
	return cl_retver();
}
