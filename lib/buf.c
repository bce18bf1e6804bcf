/* SPDX-License-Identifier: Apache-2.0 */
/* buf.c - growable NUL-terminated buffer */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

static bool grow(struct gceb_buf *b, size_t extra)
{
	size_t want, cap;
	char *p;

	if (b->oom)
		return false;
	if (extra > (size_t)-1 / 2 - b->len) {
		b->oom = true;
		return false;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void gceb_buf_add(struct gceb_buf *b, const void *data, size_t len)
{
	if (!grow(b, len))
		return;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void gceb_buf_adds(struct gceb_buf *b, const char *s)
{
	gceb_buf_add(b, s, strlen(s));
}

void gceb_buf_addc(struct gceb_buf *b, char c)
{
	gceb_buf_add(b, &c, 1);
}

void gceb_buf_vaddf(struct gceb_buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0 && grow(b, (size_t)n)) {
		(void)vsnprintf(b->p + b->len, (size_t)n + 1, fmt, again);
		b->len += (size_t)n;
	}
	va_end(again);
}

void gceb_buf_addf(struct gceb_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gceb_buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *gceb_buf_detach(struct gceb_buf *b)
{
	char *p = b->oom ? NULL : b->p;

	if (b->oom)
		free(b->p);
	*b = (struct gceb_buf)GCEB_BUF_INIT;
	return p;
}

void gceb_buf_release(struct gceb_buf *b)
{
	free(b->p);
	*b = (struct gceb_buf)GCEB_BUF_INIT;
}
