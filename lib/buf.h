/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h - a growable byte buffer that is always NUL-terminated.
 *
 * Appends never fail visibly: an allocation failure sets @oom and later
 * appends do nothing, so a builder checks once at the end.
 */
#ifndef GCEB_BUF_H
#define GCEB_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "gceb/err.h"

struct gceb_buf {
	char *p;
	size_t len;
	size_t cap;
	bool oom;
};

#define GCEB_BUF_INIT \
 {                    \
  NULL, 0, 0, false   \
 }

void gceb_buf_add(struct gceb_buf *b, const void *data, size_t len);
void gceb_buf_adds(struct gceb_buf *b, const char *s);
void gceb_buf_addc(struct gceb_buf *b, char c);
void gceb_buf_addf(struct gceb_buf *b, const char *fmt, ...) GCEB_PRINTF(2, 3);
void gceb_buf_vaddf(struct gceb_buf *b, const char *fmt, va_list ap) GCEB_PRINTF(2, 0);
/* Hand the string to the caller (NULL if empty or out of memory) and reset @b. */
char *gceb_buf_detach(struct gceb_buf *b);
void gceb_buf_release(struct gceb_buf *b);

#endif
