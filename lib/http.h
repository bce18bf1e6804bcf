/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.h - one HTTP engine per job run, on libcurl multi.
 *
 * A job submits requests with a completion callback and then runs the
 * engine, which keeps up to max_concurrency requests in flight over reused
 * connections (HTTP/2 where offered). A callback may submit more requests
 * (a GET after a 409, the next page of a list) and may apply its result to
 * the store in a short write transaction: no transfer is in progress while a
 * callback runs, so no network I/O happens inside a transaction.
 *
 * Retries (docs/design/departures.md): up to max_attempts attempts with exponential
 * back-off and jitter, honouring Retry-After, on network errors, timeouts,
 * 408, 429, 5xx, 403 with reason rateLimitExceeded/userRateLimitExceeded,
 * and a 404 on /_ah/api/ whose Content-Type is not JSON (the Cloud Endpoints
 * cold-start page). A 401, or a 403 without a rate-limit reason, is sent once
 * more with a fresh token (the token is dropped once per API per run).
 * Other statuses reach the callback at once.
 *
 * While a request waits for its retry, other requests proceed. The wait is
 * random in [0, backoff_base_ms * 2^(attempt-1)], capped at 32 s ("full
 * jitter"), and at least the response's Retry-After. A Retry-After over
 * 120 s, or a wait that would pass the deadline, ends the retries.
 *
 * Security: a request is refused (GCEB_EAUTH, nothing sent, no token
 * fetched) unless its URL starts with one of the configured roots; http://
 * only to loopback (127.0.0.0/8, localhost, [::1]); redirects are not
 * followed; TLS is always verified; tokens and headers never appear in logs.
 */
#ifndef GCEB_HTTP_H
#define GCEB_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "gceb/err.h"

struct gceb_http;
struct gceb_auth;

/* Which API a request is for: picks the OAuth scope and labels metrics. */
enum gceb_api {
	GCEB_API_COMPUTE = 0, /* scope https://www.googleapis.com/auth/compute */
	GCEB_API_MP,          /* scope https://www.googleapis.com/auth/userinfo.email */
	GCEB_API_CONFIG,      /* scope https://www.googleapis.com/auth/userinfo.email */
	GCEB_API_COUNT,
};

struct gceb_http_options {
	/*
	 * Roots a request URL must start with (e.g. "https://compute.googleapis.com/").
	 * Each must have a path, so that a root cannot match a longer host name.
	 */
	const char *const *roots;
	size_t n_roots;
	unsigned max_concurrency; /* default 16 */
	unsigned max_attempts;    /* default 4 */
	/*
	 * Every attempt's timeout when positive (--timeout-ms); 0 gives each
	 * request its own (timeout_ms below).
	 */
	long attempt_timeout_ms;
	long deadline_ms;          /* from gceb_http_new(); default 0 = none */
	size_t max_response_bytes; /* default 32 MiB */
	long backoff_base_ms;      /* first retry delay; default 500 */
	/*
	 * A PEM bundle that replaces the system's CA store for every https
	 * peer (settings ca_file); NULL: the system's store.
	 */
	const char *ca_file;
	/*
	 * The CONNECT proxy (http:// or https://host:port) of https requests
	 * (settings proxy); NULL: none. Plain http never goes through it, and
	 * the proxy environment variables are ignored either way.
	 */
	const char *proxy;
};

/* docs/design/http.md: the attempt timeout of Machine Provider and stored-URL calls. */
#define GCEB_SHORT_TIMEOUT_MS 10000L

struct gceb_http_request {
	/* Filled by the caller. Strings are owned by the request (freed by release). */
	const char *method; /* "GET", "POST", "DELETE" (static string) */
	char *url;          /* absolute; query included */
	char *body;         /* JSON text, or NULL for no body (a POST then sends an empty one) */
	enum gceb_api api;
	/*
	 * This call's attempt timeout when the engine sets none (docs/design/http.md:
	 * 10 s for Machine Provider and stored-URL calls); 0 for 30 s.
	 */
	long timeout_ms;

	/* Filled by the engine before the callback. */
	int result;     /* 0 for 2xx; else a GCEB_E* code (see below) */
	long status;    /* last HTTP status, 0 if none was received */
	char *response; /* body, NUL-terminated (may be NULL) */
	size_t response_len;
	char *content_type; /* response Content-Type, or NULL */
	unsigned attempts;
	/* What went wrong, for logs, cut only past GCEB_MSG_MAX with "..."; never holds a token. */
	char error[GCEB_MSG_MAX];
};

/*
 * result after the last attempt (docs/exit-codes.md): 0 (2xx),
 * GCEB_ENOTFOUND (404), GCEB_EEXIST (409), GCEB_EAUTH (401, or 403 without a
 * rate-limit reason, each after one more attempt with a fresh token; or a
 * URL outside the roots), GCEB_EHTTP (other 3xx/4xx, e.g. 400 or 412),
 * GCEB_ERATELIMIT (429 or a rate-limit 403 past the last attempt or the
 * deadline), GCEB_ENET (network error, DNS, TLS, timeout, 5xx, the HTML 404
 * of Cloud Endpoints, a response
 * over max_response_bytes, the deadline), GCEB_ENOMEM. When no token can be
 * had, the token source's code: GCEB_ECONFIG (a bad token or key file),
 * GCEB_ENET (its endpoint unreachable), GCEB_EPARSE (a garbled answer),
 * else GCEB_EAUTH, with its reason.
 */

typedef void (*gceb_http_done_fn)(struct gceb_http *http, struct gceb_http_request *req,
				  void *payload);

/*
 * @opts is copied (roots too). @auth is borrowed and must outlive the engine;
 * NULL sends no Authorization header. Returns 0, GCEB_ECONFIG (a root
 * without a path) or GCEB_ENOMEM.
 */
int gceb_http_new(const struct gceb_http_options *opts, struct gceb_auth *auth,
		  struct gceb_http **out, struct gceb_err *err);
/* NULL is a no-op. Requests still queued are released without their callbacks. */
void gceb_http_free(struct gceb_http *http);

/*
 * Queue @req (the engine takes ownership; it is released after @done
 * returns). Returns 0, or GCEB_ENOMEM (then @req is released at once).
 */
int gceb_http_submit(struct gceb_http *http, struct gceb_http_request *req, gceb_http_done_fn done,
		     void *payload);

/*
 * Run until no request is queued or in flight, or the deadline passes.
 * Returns 0 (each request's outcome went to its callback), or GCEB_ENET when
 * the deadline passed: every request left then got GCEB_ENET, or
 * GCEB_ERATELIMIT if it was waiting after a rate limit (and the run's result
 * is GCEB_ERATELIMIT when all were). Not to be called from a callback.
 */
int gceb_http_run(struct gceb_http *http, struct gceb_err *err);

/*
 * Have @fn(@payload) called when callbacks ran and gceb_http_run() is about
 * to touch the network: before it starts a request (which may fetch a
 * token) or polls (NULL: none). Not after the last callbacks: the run just
 * returns. The job runner commits the store updates of callbacks there.
 */
void gceb_http_before_io(struct gceb_http *http, void (*fn)(void *payload), void *payload);

/*
 * Whether HTTP @status is worth another attempt by itself: 408, 429 or 5xx.
 * (The engine also retries a 403 whose error envelope gives a rate-limit
 * reason.) The one list, shared by the engine and the token fetches.
 */
bool gceb_http_status_transient(long status);

/* Allocate a request with copies of @url and @body (may be NULL). NULL on ENOMEM. */
struct gceb_http_request *gceb_http_request_new(const char *method, enum gceb_api api,
						const char *url, const char *body);
void gceb_http_request_free(struct gceb_http_request *req);

/*
 * Attempts sent so far, by API and status (0 = no response, or a status
 * outside 1..599), for metrics. Refused requests were not sent.
 */
unsigned long gceb_http_count(const struct gceb_http *http, enum gceb_api api, long status);

/*
 * Remove the proxy variables (http_proxy, https_proxy, all_proxy, no_proxy
 * and their upper-case forms) from the process's environment, so that
 * libcurl never reads them: only settings.cfg proxy (GCEB_PROXY) names a
 * proxy. gceb_http_new() calls it; the token fetches of lib/auth.c run in
 * the same process after it.
 */
void gceb_http_ignore_proxy_environment(void);

/*
 * The transport options every easy handle gets (the engine's and the token
 * fetches'): TLS peer and host verification on, against @ca_file when not
 * NULL and then only against it; no proxy but @proxy, and that only when
 * @https (a CONNECT tunnel). @easy is a CURL *; returns the CURLcode of
 * the first curl_easy_setopt() that failed, or CURLE_OK (0).
 */
int gceb_http_transport(void *easy, bool https, const char *ca_file, const char *proxy);

#endif
