/* SPDX-License-Identifier: Apache-2.0 */
/* log.h - one-line messages on stderr: "gceb-<job>: <level>: <text>" */
#ifndef GCEB_LOG_H
#define GCEB_LOG_H

#include <stdbool.h>
#include <stddef.h>

#include "gceb/err.h"

enum gceb_log_level {
	GCEB_LOG_ERROR = 0,
	GCEB_LOG_WARNING = 1,
	GCEB_LOG_INFO = 2,
	GCEB_LOG_DEBUG = 3,
};

/* Name shown in front of every line; the string must outlive the process. */
void gceb_log_set_program(const char *name);
/* Messages above @level are dropped. The default is GCEB_LOG_WARNING (quiet success). */
void gceb_log_set_level(int level);
int gceb_log_level(void);

/*
 * Send the lines to syslog(3) (facility daemon, the level as priority, the
 * program name as ident) instead of stderr. Call after gceb_log_set_program().
 */
void gceb_log_to_syslog(bool on);

/*
 * Copy @in to @out (@len bytes) with control characters, C1 controls and
 * bytes that are not UTF-8 escaped (\n, \t, \r, \xNN), so a value from a
 * file or an answer prints as one harmless line. Returns the length
 * written, or @len if @in did not fit (then @out holds what did).
 */
size_t gceb_log_escape(const char *in, char *out, size_t len);

void gceb_log(int level, const char *fmt, ...) GCEB_PRINTF(2, 3);

#define gceb_error(...) gceb_log(GCEB_LOG_ERROR, __VA_ARGS__)
#define gceb_warn(...)  gceb_log(GCEB_LOG_WARNING, __VA_ARGS__)
#define gceb_info(...)  gceb_log(GCEB_LOG_INFO, __VA_ARGS__)
#define gceb_debug(...) gceb_log(GCEB_LOG_DEBUG, __VA_ARGS__)

#endif
