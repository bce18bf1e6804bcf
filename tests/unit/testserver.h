/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testserver.h - a scripted HTTP server on 127.0.0.1 (libmicrohttpd, one
 * thread per connection) that records what it was sent, for the http and
 * auth unit tests.
 */
#ifndef GCEB_TESTSERVER_H
#define GCEB_TESTSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ts_reply {
	unsigned status;              /* 0: 200 */
	const char *content_type;     /* NULL: application/json */
	const char *body;             /* NULL: empty */
	size_t body_len;              /* 0: strlen(body) */
	const char *retry_after;      /* Retry-After header, or NULL */
	const char *content_encoding; /* Content-Encoding header, or NULL */
	unsigned delay_ms;            /* wait before answering */
	bool reset;                   /* close the connection instead of answering */
};

struct ts_request {
	char method[16];
	char path[256];
	char *body; /* NUL-terminated */
	size_t body_len;
	char *authorization; /* header values, NULL when absent */
	char *content_type;
	char *content_length;
	char *metadata_flavor;
	char *user_agent;
	char *accept_encoding;
	unsigned n_user_agent, n_accept_encoding; /* how many of each header came */
	int64_t at_ms;                            /* monotonic, when the request was complete */
};

/* Called with the server's lock held, for each complete request. */
typedef void (*ts_handler_fn)(const struct ts_request *rq, struct ts_reply *reply, void *arg);

/* Replies in order; the last one repeats. */
struct ts_script {
	const struct ts_reply *replies;
	size_t n;
	size_t next;
};
void ts_script_handler(const struct ts_request *rq, struct ts_reply *reply, void *arg);

struct testserver;

struct testserver *ts_start(ts_handler_fn fn, void *arg);
void ts_stop(struct testserver *ts); /* NULL is a no-op */
/* "http://127.0.0.1:<port><path>" in @buf. */
const char *ts_url(const struct testserver *ts, const char *path, char *buf, size_t size);
unsigned ts_requests(struct testserver *ts);
const struct ts_request *ts_request(struct testserver *ts, unsigned i);
unsigned ts_connections(struct testserver *ts);
unsigned ts_max_active(struct testserver *ts);

int64_t ts_now_ms(void);

#endif
