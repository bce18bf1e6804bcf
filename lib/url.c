/* SPDX-License-Identifier: Apache-2.0 */
/* url.c - the URL parser and the loopback rule (url.h) */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "url.h"

/* The longest host the parser looks at: a DNS name is at most 253 bytes. */
#define HOST_MAX 253

/* The character classes, without the locale: URLs are ASCII. */
static bool is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alnum(char c)
{
	return is_lower(c) || (c >= 'A' && c <= 'Z') || is_digit(c);
}

/* Why @url is malformed, in @err; returns @code. */
static int malformed(const char *url, int code, const char *why, struct gceb_err *err)
{
	return gceb_err_set(err, code, "malformed URL '%.200s%s': %s", url,
			    strlen(url) > 200 ? "..." : "", why);
}

/* scheme "://": the scheme in lower case, as the APIs write it. */
static const char *parse_scheme(const char *p, struct gceb_url *u, const char **why)
{
	bool upper = false;

	u->scheme = p;
	for (; is_alnum(*p) || *p == '+' || *p == '-' || *p == '.'; p++)
		upper = upper || (*p >= 'A' && *p <= 'Z');
	u->scheme_len = (size_t)(p - u->scheme);
	if (u->scheme_len == 0 || !is_alnum(*u->scheme) || is_digit(*u->scheme))
		*why = "no scheme (\"https://\")";
	else if (strncmp(p, "://", 3) != 0)
		*why = "no \"://\" after the scheme";
	else if (upper)
		*why = "the scheme must be lower case";
	else
		*why = NULL;
	if (*why)
		return NULL;
	u->plain_http = u->scheme_len == 4 && !strncmp(u->scheme, "http", 4);
	return p + 3;
}

/* Whether the @len bytes at @h are dot-separated labels of letters, digits and '-'. */
static bool dns_name(const char *h, size_t len)
{
	size_t i, label = 0;

	for (i = 0; i < len; i++) {
		if (h[i] == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (is_alnum(h[i]) || h[i] == '-') {
			label++;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* A bracketed IPv6 address: inet_pton(3) decides, so no zone and no garbage. */
static bool ipv6_literal(const char *h, size_t len, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN + 1];

	if (len < 3 || h[0] != '[' || h[len - 1] != ']' || len - 2 >= sizeof(buf))
		return false;
	memcpy(buf, h + 1, len - 2);
	buf[len - 2] = '\0';
	return inet_pton(AF_INET6, buf, a) == 1;
}

static const char *parse_host(const char *p, struct gceb_url *u, const char **why)
{
	struct in6_addr a6;

	u->host = p;
	if (*p == '[') {
		p = strchr(p, ']');
		p = p ? p + 1 : u->host + strlen(u->host);
	} else {
		p += strcspn(p, ":/?#");
	}
	u->host_len = (size_t)(p - u->host);
	if (u->host_len == 0) {
		*why = "no host";
		return NULL;
	}
	if (u->host_len > HOST_MAX || (*u->host == '[' ? !ipv6_literal(u->host, u->host_len, &a6) :
							 !dns_name(u->host, u->host_len))) {
		*why = "the host is not a DNS name, an IPv4 address or a bracketed IPv6 address";
		return NULL;
	}
	u->loopback = gceb_url_host_is_loopback(u->host, u->host_len);
	return p;
}

static const char *parse_port(const char *p, struct gceb_url *u, const char **why)
{
	unsigned long port = 0;
	const char *digits;

	u->port = 0;
	if (*p != ':')
		return p;
	for (digits = ++p; is_digit(*p) && p - digits < 6; p++)
		port = port * 10 + (unsigned long)(*p - '0');
	if (p == digits || port < 1 || port > 65535 || is_digit(*p)) {
		*why = "the port is not a number from 1 to 65535";
		return NULL;
	}
	u->port = (unsigned)port;
	return p;
}

/* After the authority: a path, query or fragment of printable ASCII. */
static bool check_rest(const char *p, const char **why)
{
	if (*p && !strchr("/?#", *p)) {
		*why = "something other than a path after the host and port";
		return false;
	}
	for (; *p; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f || *p == '"' ||
		    *p == '\\') {
			*why = "a space, control character, quote or backslash";
			return false;
		}
	return true;
}

int gceb_url_parse(const char *url, int code, struct gceb_url *u, struct gceb_err *err)
{
	const char *why = NULL;
	const char *p;

	memset(u, 0, sizeof(*u));
	if (!url || !*url)
		return gceb_err_set(err, code, "malformed URL '': empty");
	p = parse_scheme(url, u, &why);
	/* "http://localhost:x@evil/" goes to evil: user info is refused, not read. */
	if (p && memchr(p, '@', strcspn(p, "/?#"))) {
		p = NULL;
		why = "user info (\"user@\") is not allowed";
	}
	if (p)
		p = parse_host(p, u, &why);
	if (p)
		p = parse_port(p, u, &why);
	if (!p || !check_rest(p, &why))
		return malformed(url, code, why, err);
	u->rest = p;
	return 0;
}

int gceb_url_check(const char *url, int code, struct gceb_url *u, struct gceb_err *err)
{
	struct gceb_url local;
	int r;

	if (!u)
		u = &local;
	r = gceb_url_parse(url, code, u, err);
	if (r < 0)
		return r;
	if ((u->scheme_len == 5 && !strncmp(u->scheme, "https", 5)) ||
	    (u->plain_http && u->loopback))
		return 0;
	return gceb_err_set(err, code,
			    "%.*s to '%.*s' is not allowed: only https, or http to a loopback host "
			    "(127.0.0.0/8, [::1], localhost)",
			    (int)u->scheme_len, u->scheme, (int)u->host_len, u->host);
}

bool gceb_url_host_is_loopback(const char *host, size_t len)
{
	char buf[INET_ADDRSTRLEN + 1];
	struct in6_addr a6;
	struct in_addr a4;

	if (len == 9 && !strncasecmp(host, "localhost", 9))
		return true;
	if (len > 0 && host[0] == '[')
		return ipv6_literal(host, len, &a6) && IN6_IS_ADDR_LOOPBACK(&a6);
	/* inet_pton takes only the dotted quad: "127.1" and "127.0.0.1.example" are names. */
	if (len >= sizeof(buf))
		return false;
	memcpy(buf, host, len);
	buf[len] = '\0';
	return inet_pton(AF_INET, buf, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

/* Drop the last segment of the output path @out (RFC 3986 §5.2.4, step 2C). */
static void drop_segment(char *out, size_t *n)
{
	while (*n > 0 && out[--*n] != '/')
		;
	out[*n] = '\0';
}

char *gceb_url_path(const struct gceb_url *u)
{
	size_t len = strcspn(u->rest, "?#"), n = 0;
	const char *in = u->rest, *end = u->rest + len;
	char *out = malloc(len + 2);
	bool dot = false; /* the last segment was "." or "..": the path ends in a '/' */

	if (!out)
		return NULL;
	while (in < end) {
		size_t seg = (size_t)(end - in - 1); /* the segment after the '/' at @in */
		const char *slash = memchr(in + 1, '/', seg);

		if (slash)
			seg = (size_t)(slash - in - 1);
		dot = (seg == 1 && in[1] == '.') || (seg == 2 && in[1] == '.' && in[2] == '.');
		if (seg == 2 && dot) {
			drop_segment(out, &n);
		} else if (!dot) {
			memcpy(out + n, in, seg + 1);
			n += seg + 1;
		}
		in += seg + 1;
	}
	if (n == 0 || dot)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}
