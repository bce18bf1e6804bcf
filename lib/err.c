/* SPDX-License-Identifier: Apache-2.0 */
/* err.c - the error carrier and the code -> exit status table */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "gceb/err.h"

size_t gceb_vformat(char *buf, size_t size, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, size, fmt, ap);

	if (n < 0) {
		buf[0] = '\0';
		return 0;
	}
	if ((size_t)n < size)
		return (size_t)n;
	/* Cut: say so, rather than end mid-word as if that were all. */
	memcpy(buf + size - 4, "...", 4);
	return size - 1;
}

size_t gceb_format(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = gceb_vformat(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

int gceb_err_set(struct gceb_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	(void)gceb_vformat(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

void gceb_err_clear(struct gceb_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *gceb_strerror(int code)
{
	switch ((enum gceb_errcode)code) {
	case GCEB_OK:
		return "success";
	case GCEB_ENOMEM:
		return "out of memory";
	case GCEB_EUSAGE:
		return "bad usage";
	case GCEB_ECONFIG:
		return "invalid configuration";
	case GCEB_EIO:
		return "input/output error";
	case GCEB_ESTORE:
		return "store error";
	case GCEB_ENOTFOUND:
		return "not found";
	case GCEB_ENET:
		return "remote service unavailable";
	case GCEB_EHTTP:
		return "unexpected HTTP response";
	case GCEB_EAUTH:
		return "credentials rejected";
	case GCEB_EPARSE:
		return "malformed data";
	case GCEB_ELOCKED:
		return "another run holds the lock";
	case GCEB_EPARTIAL:
		return "some items failed";
	case GCEB_EEXIST:
		return "already exists";
	case GCEB_EBUG:
		return "internal error";
	case GCEB_ERATELIMIT:
		return "rate-limited";
	}
	return "unknown error";
}

int gceb_exit_status(int code)
{
	switch ((enum gceb_errcode)code) {
	case GCEB_OK:
	case GCEB_ELOCKED: /* overlap is normal under load (docs/design/departures.md) */
		return EX_OK;
	case GCEB_EPARTIAL:
		return 1;
	case GCEB_EUSAGE:
		return EX_USAGE;
	case GCEB_ENET:
		return EX_UNAVAILABLE;
	case GCEB_ERATELIMIT:
		return EX_TEMPFAIL;
	case GCEB_ENOMEM:
		return EX_OSERR;
	case GCEB_EIO:
	case GCEB_ESTORE:
		return EX_IOERR;
	case GCEB_EHTTP:
	case GCEB_EPARSE:
	case GCEB_EEXIST:
	case GCEB_ENOTFOUND:
		return EX_PROTOCOL;
	case GCEB_EAUTH:
		return EX_NOPERM;
	case GCEB_ECONFIG:
		return EX_CONFIG;
	case GCEB_EBUG:
		return EX_SOFTWARE;
	}
	return EX_SOFTWARE;
}
