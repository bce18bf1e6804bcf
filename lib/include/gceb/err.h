/* SPDX-License-Identifier: Apache-2.0 */
/* err.h - error codes and the error carrier every fallible call fills in */
#ifndef GCEB_ERR_H
#define GCEB_ERR_H

#include <stdarg.h>
#include <stddef.h>

#define GCEB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define GCEB_NODISCARD    __attribute__((warn_unused_result))

/*
 * Library functions return 0 on success or one of these (negative) codes.
 * A code exists only where a caller branches on it or it maps to its own
 * exit status (see gceb_exit_status()).
 */
enum gceb_errcode {
	GCEB_OK = 0,
	GCEB_ENOMEM = -1,    /* out of memory */
	GCEB_EUSAGE = -2,    /* bad option or operand */
	GCEB_ECONFIG = -3,   /* config missing or invalid */
	GCEB_EIO = -4,       /* filesystem failure */
	GCEB_ESTORE = -5,    /* LMDB store failure, or a store we do not understand */
	GCEB_ENOTFOUND = -6, /* entity or remote resource does not exist */
	GCEB_ENET = -7,      /* network failure, timeout, 5xx, 429 after retries */
	GCEB_EHTTP = -8,     /* unexpected HTTP status */
	GCEB_EAUTH = -9,     /* credentials rejected (401/403), or none to be had */
	GCEB_EPARSE = -10,   /* malformed response or stored value */
	GCEB_ELOCKED = -11,  /* another run of this job holds the lock */
	GCEB_EPARTIAL = -12, /* the run finished and some items failed */
	GCEB_EEXIST = -13,   /* remote resource already exists (409) */
	GCEB_EBUG = -14,     /* broken invariant */
	GCEB_ERATELIMIT =
		-15, /* rate-limited (429, 403 rateLimitExceeded) past retries or the deadline */
};

/*
 * The bound of a message. Longer ones are cut there, and a cut message ends
 * in "..." so that a reader knows (gceb_format()).
 */
#define GCEB_MSG_MAX 4096

/* The one-line human detail of a failure, written by the innermost layer. */
struct gceb_err {
	int code;               /* 0 or enum gceb_errcode */
	char msg[GCEB_MSG_MAX]; /* lower-case start, no trailing period */
};

/*
 * vsnprintf() into @buf of @size bytes (at least 4), with a cut marked:
 * a text that does not fit ends in "...". Returns the length written.
 */
size_t gceb_vformat(char *buf, size_t size, const char *fmt, va_list ap) GCEB_PRINTF(3, 0);
size_t gceb_format(char *buf, size_t size, const char *fmt, ...) GCEB_PRINTF(3, 4);

/*
 * Record a failure in @err (which may be NULL) and return @code, so that a
 * failure is one line: return gceb_err_set(err, GCEB_EIO, "open '%s': %s", ...);
 */
int gceb_err_set(struct gceb_err *err, int code, const char *fmt, ...) GCEB_PRINTF(3, 4);

/* Forget any recorded failure. */
void gceb_err_clear(struct gceb_err *err);

/* A short generic text for @code, used when no message was recorded. */
const char *gceb_strerror(int code);

/* The process exit status for a job that ended with @code (style: sysexits). */
int gceb_exit_status(int code);

#endif
