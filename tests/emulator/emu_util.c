/* SPDX-License-Identifier: Apache-2.0 */
/* emu_util.c - allocation that cannot fail, percent-decoding, name checks */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static void oom(size_t n)
{
	(void)fprintf(stderr, "gceb-emulator: fatal: out of memory allocating %zu bytes\n", n);
	abort();
}

void *emu_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *emu_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		oom(n * size);
	return p;
}

void *emu_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *emu_xstrdup(const char *s)
{
	return emu_xstrndup(s, strlen(s));
}

char *emu_xstrndup(const char *s, size_t n)
{
	char *p = emu_xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *emu_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		abort();
	p = emu_xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	(void)vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes %XX in place (and '+' as a space when plus is set, as form
 * encoding does). A malformed escape is kept as it is. Returns the new length.
 */
size_t emu_pct_decode(char *s, bool plus)
{
	char *w = s;
	const char *r = s;

	while (*r) {
		if (*r == '%' && hexval(r[1]) >= 0 && hexval(r[2]) >= 0) {
			*w++ = (char)(hexval(r[1]) * 16 + hexval(r[2]));
			r += 3;
		} else if (plus && *r == '+') {
			*w++ = ' ';
			r++;
		} else {
			*w++ = *r++;
		}
	}
	*w = '\0';
	return (size_t)(w - s);
}

/* RFC 1035 label: [a-z]([-a-z0-9]{0,61}[a-z0-9])?, at most max characters. */
bool emu_valid_name(const char *s, size_t max)
{
	size_t n = strlen(s);
	size_t i;

	if (n == 0 || n > max || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	for (i = 1; i < n; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return false;
	}
	return true;
}

int emu_set_link_root(struct emu *e, const char *root)
{
	const char *host;
	size_t n;

	if (strcmp(root, "self") == 0)
		root = e->root;
	if (strncmp(root, "https://", 8) == 0)
		host = root + 8;
	else if (strncmp(root, "http://", 7) == 0)
		host = root + 7;
	else
		return -1;
	n = strlen(root);
	if (!*host || *host == '/' || strpbrk(root, "?# \t\r\n\"\\") || n > 400)
		return -1;
	free(e->link_root);
	free(e->compute_root);
	e->link_root = emu_xasprintf("%s%s", root, root[n - 1] == '/' ? "" : "/");
	e->compute_root = emu_xasprintf("%scompute/v1/", e->link_root);
	return 0;
}
