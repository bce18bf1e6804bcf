/* SPDX-License-Identifier: Apache-2.0 */
/* log.c - stderr logging; library code logs only at debug (style.md §5) */
#include <stdarg.h>
#include <stdio.h>

#include "gceb/log.h"

static const char *program = "gceb";
static int max_level = GCEB_LOG_WARNING;

void gceb_log_set_program(const char *name)
{
	program = name;
}

void gceb_log_set_level(int level)
{
	max_level = level;
}

int gceb_log_level(void)
{
	return max_level;
}

void gceb_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	char line[2048];
	va_list ap;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	(void)vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line, so lines of concurrent jobs do not interleave. */
	(void)fprintf(stderr, "%s: %s: %s\n", program, names[level], line);
}
