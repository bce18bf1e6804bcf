/* SPDX-License-Identifier: Apache-2.0 */
/*
 * url.h - the one URL parser and the one rule for where gceb may send.
 *
 * Every URL gceb is given (settings, flags, the environment, a key file's
 * token_uri) or builds (the HTTP engine's requests) passes through here, so
 * that a URL accepted when the settings are read is one the engine sends.
 *
 * The parser takes the subset of RFC 3986 absolute URLs the APIs use:
 *   scheme "://" host [ ":" port ] [ path-query-fragment ]
 * with a lower-case scheme; no user info ('@' in the authority: a URL
 * naming one host before the '@' and another after it is refused, not
 * guessed at); a host that is a DNS name of letters, digits, '-' and '.'
 * (no empty label), a dotted IPv4 address, or a bracketed IPv6 address
 * (no zone); a port of 1 to 65535 when the ':' is there. The rest starts
 * with '/', '?' or '#' and holds no control character, space, '"' or '\'.
 * Percent escapes are allowed only after the authority.
 *
 * The rule: https anywhere; plain http only to a loopback host, which is
 * "localhost" (any case), an IPv4 address in 127.0.0.0/8 or the IPv6
 * address ::1 (in brackets). Anything else, ftp included, is refused.
 */
#ifndef GCEB_URL_H
#define GCEB_URL_H

#include <stdbool.h>
#include <stddef.h>

#include "gceb/err.h"

/* A parsed URL: spans into the string given to gceb_url_parse(), not copies. */
struct gceb_url {
	const char *scheme;
	size_t scheme_len;
	const char *host; /* IPv6 with its brackets */
	size_t host_len;
	unsigned port;    /* 0 when the URL gives none */
	const char *rest; /* what follows the authority: "" or from '/', '?' or '#' */
	bool plain_http;  /* the scheme is "http" */
	bool loopback;    /* the host is a loopback host (above) */
};

/*
 * Parse @url into @u. Returns 0, or @code with "malformed URL '<url>': <why>"
 * in @err (the URL is cut short in the message when long).
 */
int gceb_url_parse(const char *url, int code, struct gceb_url *u, struct gceb_err *err);

/*
 * gceb_url_parse(), then the rule: https, or http to a loopback host.
 * Returns 0 (with @u filled in; @u may be NULL), or @code with the reason.
 */
int gceb_url_check(const char *url, int code, struct gceb_url *u, struct gceb_err *err);

/* Whether the @len bytes at @host name a loopback host (above). */
bool gceb_url_host_is_loopback(const char *host, size_t len);

/*
 * The path of @u as an HTTP client sends it: up to the query or fragment,
 * with "." and ".." segments removed (RFC 3986 §5.2.4), "/" when empty.
 * Returns a malloc()ed string, or NULL when out of memory.
 */
char *gceb_url_path(const struct gceb_url *u);

#endif
