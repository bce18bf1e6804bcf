/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - one line per message, on stderr or through syslog(3); library
 * code logs only at debug.
 *
 * Every line is escaped here, at its one way out: names, URLs and messages
 * come from config files and API answers, and a newline or an escape
 * sequence in one of them must not forge a log line or drive a terminal.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "gceb/log.h"

static const char *program = "gceb";
static int max_level = GCEB_LOG_WARNING;
static bool to_syslog;

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

void gceb_log_to_syslog(bool on)
{
	if (on && !to_syslog)
		openlog(program, LOG_PID, LOG_DAEMON);
	else if (!on && to_syslog)
		closelog();
	to_syslog = on;
}

/* The length of the UTF-8 sequence at @s if it is a valid one, else 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n, i;

	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* U+0080..U+009F: the C1 controls, which some terminals obey (CSI). */
	if (n == 2 && s[0] == 0xc2 && s[1] < 0xa0)
		return 0;
	return n;
}

size_t gceb_log_escape(const char *in, char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)in;
	size_t n = 0;

	if (len == 0)
		return 0;
	while (*s) {
		char esc[5] = { 0 };
		size_t u = *s >= 0x80 ? utf8_len(s) : 1;

		if (*s == '\n' || *s == '\t' || *s == '\r') {
			esc[0] = '\\';
			esc[1] = (char)(*s == '\n' ? 'n' : *s == '\t' ? 't' : 'r');
		} else if (*s < 0x20 || *s == 0x7f || u == 0) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hex[*s >> 4];
			esc[3] = hex[*s & 15];
			u = 1;
		}
		if (esc[0]) {
			if (n + strlen(esc) >= len)
				break;
			memcpy(out + n, esc, strlen(esc));
			n += strlen(esc);
		} else {
			if (n + u >= len)
				break;
			memcpy(out + n, s, u);
			n += u;
		}
		s += u;
	}
	out[n] = '\0';
	return *s ? len : n;
}

void gceb_log(int level, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const int priorities[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	static const char cut[] = " [...]";
	char raw[8192], line[4 * sizeof(raw)];
	va_list ap;
	int n;

	if (level > max_level)
		return;
	va_start(ap, fmt);
	n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* A cut is said, never silent: the end of a message is often its reason. */
	if (n >= (int)sizeof(raw))
		memcpy(raw + sizeof(raw) - sizeof(cut), cut, sizeof(cut));
	(void)gceb_log_escape(raw, line, sizeof(line));
	if (to_syslog)
		syslog(priorities[level], "%s: %s", names[level], line);
	else
		/* One write per line, so lines of concurrent jobs do not interleave. */
		(void)fprintf(stderr, "%s: %s: %s\n", program, names[level], line);
}
