/* SPDX-License-Identifier: Apache-2.0 */
/* test_http.c - the HTTP engine against a scripted loopback server */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "auth.h"
#include "gceb/log.h"
#include "http.h"
#include "runner.h"
#include "testserver.h"

#define TOKEN "ya29.secret-test-token"

/* What a callback saw, copied before the engine releases the request. */
struct outcome {
	int calls;
	int result;
	long status;
	unsigned attempts;
	size_t response_len;
	char response[128];
	char content_type[64];
	char error[GCEB_MSG_MAX];
};

static void record(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct outcome *o = payload;

	o->calls++;
	o->result = req->result;
	o->status = req->status;
	o->attempts = req->attempts;
	o->response_len = req->response_len;
	(void)snprintf(o->response, sizeof(o->response), "%s", req->response ? req->response : "");
	(void)snprintf(o->content_type, sizeof(o->content_type), "%s",
		       req->content_type ? req->content_type : "");
	(void)snprintf(o->error, sizeof(o->error), "%s", req->error);
}

static struct gceb_http_options options(const char *const *roots, size_t n_roots)
{
	return (struct gceb_http_options){
		.roots = roots,
		.n_roots = n_roots,
		.attempt_timeout_ms = 5000,
		.backoff_base_ms = 5,
	};
}

static struct gceb_http *engine(const struct gceb_http_options *o, struct gceb_auth *auth)
{
	struct gceb_err err = { 0 };
	struct gceb_http *http = NULL;

	assert_int_equal(gceb_http_new(o, auth, &http, &err), 0);
	return http;
}

static void submit(struct gceb_http *http, const char *method, const char *url, const char *body,
		   struct outcome *o)
{
	struct gceb_http_request *req = gceb_http_request_new(method, GCEB_API_COMPUTE, url, body);

	assert_non_null(req);
	assert_int_equal(gceb_http_submit(http, req, record, o), 0);
}

static int run(struct gceb_http *http)
{
	struct gceb_err err = { 0 };

	return gceb_http_run(http, &err);
}

/* One request through a fresh engine rooted at the server; the server follows @replies. */
static void one(const struct ts_reply *replies, size_t n, unsigned max_attempts, const char *path,
		struct outcome *o)
{
	struct ts_script *script = calloc(1, sizeof(*script));
	struct testserver *ts;
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[256];
	const char *roots[1];

	assert_non_null(script);
	script->replies = replies;
	script->n = n;
	ts = ts_start(ts_script_handler, script);
	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_attempts = max_attempts;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, path, url, sizeof(url)), NULL, o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o->calls, 1);
	assert_int_equal(ts_requests(ts), o->attempts);
	gceb_http_free(http);
	ts_stop(ts);
	free(script);
}

static void get_returns_body_status_and_counts(void **state)
{
	static const struct ts_reply ok = { .body = "{\"kind\":\"compute#instance\"}" };
	struct ts_script script = { &ok, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/compute/v1/x", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.calls, 1);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.status, 200);
	assert_int_equal(o.attempts, 1);
	assert_string_equal(o.response, ok.body);
	assert_int_equal(o.response_len, strlen(ok.body));
	assert_string_equal(o.content_type, "application/json");
	assert_int_equal(gceb_http_count(http, GCEB_API_COMPUTE, 200), 1);
	assert_int_equal(gceb_http_count(http, GCEB_API_MP, 200), 0);
	assert_int_equal(ts_requests(ts), 1);
	assert_string_equal(ts_request(ts, 0)->method, "GET");
	assert_string_equal(ts_request(ts, 0)->path, "/compute/v1/x");
	assert_null(ts_request(ts, 0)->authorization);
	gceb_http_free(http);
	ts_stop(ts);
}

/*
 * User-Agent and Accept-Encoding come from gceb's header list: each exactly
 * once (curl leaves its own out), and a gzip answer is still decoded.
 */
static void fixed_headers_once_and_gzip_decoded(void **state)
{
	/* gzip of {"kind":"compute#instance"}, with mtime 0 */
	static const unsigned char gz[] = {
		0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xff, 0xab, 0x56,
		0xca, 0xce, 0xcc, 0x4b, 0x51, 0xb2, 0x52, 0x4a, 0xce, 0xcf, 0x2d, 0x28,
		0x2d, 0x49, 0x55, 0xce, 0xcc, 0x2b, 0x2e, 0x49, 0xcc, 0x4b, 0x4e, 0x55,
		0xaa, 0x05, 0x00, 0x05, 0xe5, 0xce, 0xed, 0x1b, 0x00, 0x00, 0x00,
	};
	static const struct ts_reply zipped = { .body = (const char *)gz,
						.body_len = sizeof(gz),
						.content_encoding = "gzip" };
	struct ts_script script = { &zipped, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];
	const struct ts_request *rq;

	(void)state;
	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/compute/v1/x", url, sizeof(url)), NULL, &o);
	submit(http, "POST", ts_url(ts, "/compute/v1/y", url, sizeof(url)), "{}", &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.calls, 2);
	assert_int_equal(o.result, 0);
	assert_string_equal(o.response, "{\"kind\":\"compute#instance\"}");
	assert_int_equal(ts_requests(ts), 2);
	for (unsigned i = 0; i < 2; i++) {
		rq = ts_request(ts, i);
		assert_int_equal(rq->n_user_agent, 1);
		assert_string_equal(rq->user_agent, "gceb/" GCEB_VERSION);
		assert_int_equal(rq->n_accept_encoding, 1);
		assert_non_null(strstr(rq->accept_encoding, "gzip"));
	}
	gceb_http_free(http);
	ts_stop(ts);
}

static void concurrency_cap_is_honoured(void **state)
{
	static const struct ts_reply slow = { .body = "{}", .delay_ms = 150 };
	struct ts_script script = { &slow, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o[9] = { { 0 } };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];
	size_t i;

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_concurrency = 3;
	http = engine(&opts, NULL);
	for (i = 0; i < 9; i++)
		submit(http, "GET", ts_url(ts, "/slow", url, sizeof(url)), NULL, &o[i]);
	assert_int_equal(run(http), 0);
	for (i = 0; i < 9; i++)
		assert_int_equal(o[i].result, 0);
	assert_int_equal(ts_requests(ts), 9);
	assert_int_equal(ts_max_active(ts), 3);
	gceb_http_free(http);
	ts_stop(ts);
}

static void connections_are_reused(void **state)
{
	static const struct ts_reply ok = { .body = "{}", .delay_ms = 20 };
	struct ts_script script = { &ok, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o[12] = { { 0 } };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];
	size_t i;

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_concurrency = 2;
	http = engine(&opts, NULL);
	for (i = 0; i < 12; i++)
		submit(http, "GET", ts_url(ts, "/r", url, sizeof(url)), NULL, &o[i]);
	assert_int_equal(run(http), 0);
	for (i = 0; i < 12; i++)
		assert_int_equal(o[i].result, 0);
	assert_int_equal(ts_requests(ts), 12);
	assert_in_range(ts_connections(ts), 1, 2);
	gceb_http_free(http);
	ts_stop(ts);
}

static void transient_statuses_are_retried(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 500 }, { .status = 503 },        { .status = 429 },
		{ .status = 408 }, { .body = "{\"ok\":1}" },
	};
	struct outcome o = { 0 };

	one(replies, 5, 5, "/x", &o);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 5);
	assert_string_equal(o.response, "{\"ok\":1}");
}

static void network_reset_is_retried(void **state)
{
	static const struct ts_reply replies[] = { { .reset = true }, { .body = "{}" } };
	struct outcome o = { 0 };

	one(replies, 2, 4, "/x", &o);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 2);
}

static void attempt_timeout_is_retried(void **state)
{
	static const struct ts_reply replies[] = { { .delay_ms = 600 }, { .body = "{}" } };
	struct ts_script script = { replies, 2, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.attempt_timeout_ms = 200;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/x", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 2);
	assert_int_equal(gceb_http_count(http, GCEB_API_COMPUTE, 0), 1);
	gceb_http_free(http);
	ts_stop(ts);
}

/*
 * A request's own timeout (docs/design/http.md's 10 s calls) holds when the engine sets
 * none; --timeout-ms, the engine's, overrides it.
 */
static void request_timeout_unless_the_engine_sets_one(void **state)
{
	static const struct ts_reply replies[] = { { .delay_ms = 600, .body = "{}" } };
	const long engine_timeouts[] = { 0, 5000 };
	const unsigned want_attempts[] = { 4, 1 };

	(void)state;
	for (size_t i = 0; i < 2; i++) {
		struct ts_script script = { replies, 1, 0 };
		struct testserver *ts = ts_start(ts_script_handler, &script);
		struct gceb_http_request *req;
		struct outcome o = { 0 };
		struct gceb_http_options opts;
		struct gceb_http *http;
		char root[64], url[128];
		const char *roots[1];

		assert_non_null(ts);
		roots[0] = ts_url(ts, "/", root, sizeof(root));
		opts = options(roots, 1);
		opts.attempt_timeout_ms = engine_timeouts[i];
		opts.backoff_base_ms = 1;
		http = engine(&opts, NULL);
		req = gceb_http_request_new("GET", GCEB_API_MP, ts_url(ts, "/x", url, sizeof(url)),
					    NULL);
		assert_non_null(req);
		req->timeout_ms = 200;
		assert_int_equal(gceb_http_submit(http, req, record, &o), 0);
		(void)run(http);
		assert_int_equal(o.attempts, want_attempts[i]);
		assert_int_equal(o.result, i == 0 ? GCEB_ENET : 0);
		gceb_http_free(http);
		ts_stop(ts);
	}
}

static void retry_after_is_honoured(void **state)
{
	static const struct ts_reply replies[] = { { .status = 503, .retry_after = "1" },
						   { .body = "{}" } };
	struct ts_script script = { replies, 2, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/x", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.result, 0);
	assert_int_equal(ts_requests(ts), 2);
	assert_true(ts_request(ts, 1)->at_ms - ts_request(ts, 0)->at_ms >= 1000);
	gceb_http_free(http);
	ts_stop(ts);
}

static void rate_limited_403_is_retried(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 403,
		  .body = "{\"error\":{\"errors\":[{\"domain\":\"usageLimits\","
			  "\"reason\":\"rateLimitExceeded\"}],\"code\":403}}" },
		{ .body = "{}" },
	};
	struct outcome o = { 0 };

	one(replies, 2, 4, "/x", &o);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 2);
}

/* Rate limits past the last attempt are their own class (exit 75), not "unavailable". */
static void rate_limits_past_the_attempts_are_eratelimit(void **state)
{
	static const struct ts_reply r429[] = { { .status = 429 } };
	static const struct ts_reply r403[] = {
		{ .status = 403,
		  .body = "{\"error\":{\"errors\":[{\"domain\":\"usageLimits\","
			  "\"reason\":\"rateLimitExceeded\"}],\"code\":403}}" },
	};
	static const struct ts_reply r503[] = { { .status = 503 } };
	struct outcome a = { 0 }, b = { 0 }, c = { 0 };

	one(r429, 1, 2, "/x", &a);
	assert_int_equal(a.result, GCEB_ERATELIMIT);
	assert_int_equal(a.attempts, 2);
	one(r403, 1, 2, "/x", &b);
	assert_int_equal(b.result, GCEB_ERATELIMIT);
	assert_int_equal(b.attempts, 2);
	one(r503, 1, 2, "/x", &c);
	assert_int_equal(c.result, GCEB_ENET);
}

static void forbidden_403_is_not_retried(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 403,
		  .body = "{\"error\":{\"errors\":[{\"reason\":\"forbidden\"}],\"code\":403}}" },
		{ .body = "{}" },
	};
	struct outcome o = { 0 };

	one(replies, 2, 4, "/x", &o);
	assert_int_equal(o.result, GCEB_EAUTH);
	assert_int_equal(o.status, 403);
	assert_int_equal(o.attempts, 1);
	assert_non_null(strstr(o.response, "forbidden"));
}

static void json_404_is_not_retried(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 404, .body = "{\"error\":{\"code\":404}}" },
		{ .body = "{}" },
	};
	static const struct ts_reply html[] = {
		{ .status = 404, .content_type = "text/html", .body = "<html>" },
		{ .body = "{}" },
	};
	struct outcome o = { 0 }, p = { 0 };

	one(replies, 2, 4, "/_ah/api/catalog/v1/get", &o);
	assert_int_equal(o.result, GCEB_ENOTFOUND);
	assert_int_equal(o.attempts, 1);
	/* An HTML 404 outside Cloud Endpoints is a real 404 too. */
	one(html, 2, 4, "/compute/v1/x", &p);
	assert_int_equal(p.result, GCEB_ENOTFOUND);
	assert_int_equal(p.attempts, 1);
}

static void endpoints_html_404_is_retried(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 404, .content_type = "text/html; charset=UTF-8", .body = "<html>" },
		{ .body = "{}" },
	};
	struct outcome o = { 0 };

	one(replies, 2, 4, "/_ah/api/catalog/v1/get", &o);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 2);
}

/* One that stays: the API is not up (exit 69), not a 404 that says the entry is gone. */
static void endpoints_html_404_that_stays_is_unavailable(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 404, .content_type = "text/html; charset=UTF-8", .body = "<html>" },
	};
	struct outcome o = { 0 };

	one(replies, 1, 3, "/_ah/api/catalog/v1/get", &o);
	assert_int_equal(o.result, GCEB_ENET);
	assert_int_equal(o.status, 404);
	assert_int_equal(o.attempts, 3);
}

static void attempts_are_capped(void **state)
{
	static const struct ts_reply replies[] = { { .status = 503 } };
	struct ts_script script = { replies, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_attempts = 3;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/x", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.result, GCEB_ENET);
	assert_int_equal(o.status, 503);
	assert_int_equal(o.attempts, 3);
	assert_int_equal(ts_requests(ts), 3);
	assert_int_equal(gceb_http_count(http, GCEB_API_COMPUTE, 503), 3);
	assert_non_null(strstr(o.error, "HTTP 503"));
	gceb_http_free(http);
	ts_stop(ts);
}

static void response_over_cap_fails(void **state)
{
	static char big[64 * 1024];
	struct ts_reply reply = { .body = big };
	struct ts_script script = { &reply, 1, 0 };
	struct testserver *ts;
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	memset(big, 'x', sizeof(big) - 1);
	ts = ts_start(ts_script_handler, &script);
	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_response_bytes = 1024;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/big", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.result, GCEB_ENET);
	assert_int_equal(o.attempts, 1);
	assert_int_equal(o.response_len, 0);
	assert_non_null(strstr(o.error, "larger than 1024 bytes"));
	gceb_http_free(http);
	ts_stop(ts);
}

/* A token file readable only by its owner, as auth.c demands. */
static struct gceb_auth *token_auth(char *path, size_t size, const char *token, mode_t mode)
{
	struct gceb_auth_options ao = { .token_file = path };
	struct gceb_err err = { 0 };
	struct gceb_auth *auth = NULL;
	int fd;

	(void)snprintf(path, size, "/tmp/gceb-test-http-token-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, token, strlen(token)), (ssize_t)strlen(token));
	assert_int_equal(fchmod(fd, mode), 0);
	(void)close(fd);
	assert_int_equal(gceb_auth_new(&ao, &auth, &err), 0);
	return auth;
}

static void urls_outside_the_roots_are_refused_unsent(void **state)
{
	static const struct ts_reply ok = { .body = "{}" };
	struct ts_script sa = { &ok, 1, 0 }, sb = { &ok, 1, 0 };
	struct testserver *a = ts_start(ts_script_handler, &sa);
	struct testserver *b = ts_start(ts_script_handler, &sb);
	struct outcome o1 = { 0 }, o2 = { 0 }, o3 = { 0 };
	struct gceb_http_options opts;
	struct gceb_auth *auth;
	struct gceb_http *http;
	char root[64], url[128], token_file[64];
	const char *roots[1];

	assert_non_null(a);
	assert_non_null(b);
	auth = token_auth(token_file, sizeof(token_file), TOKEN "\n", 0600);
	roots[0] = ts_url(a, "/api/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, auth);
	submit(http, "GET", ts_url(b, "/api/x", url, sizeof(url)), NULL, &o1);
	submit(http, "POST", ts_url(a, "/other", url, sizeof(url)), "{}", &o2);
	submit(http, "GET", "https://attacker.example/api/x", NULL, &o3);
	assert_int_equal(run(http), 0);
	assert_int_equal(o1.result, GCEB_EAUTH);
	assert_int_equal(o2.result, GCEB_EAUTH);
	assert_int_equal(o3.result, GCEB_EAUTH);
	assert_int_equal(o1.attempts, 0);
	assert_string_equal(o3.error, "refusing to send a request to 'attacker.example' outside "
				      "the configured API roots");
	assert_non_null(strstr(o1.error, "'127.0.0.1' outside the configured API roots"));
	assert_int_equal(ts_requests(a), 0);
	assert_int_equal(ts_requests(b), 0);
	assert_int_equal(ts_connections(b), 0);
	gceb_http_free(http);
	gceb_auth_free(auth);
	(void)unlink(token_file);
	ts_stop(a);
	ts_stop(b);
}

static void root_without_path_is_rejected(void **state)
{
	const char *roots[] = { "https://compute.googleapis.com" };
	struct gceb_http_options opts = options(roots, 1);
	struct gceb_err err = { 0 };
	struct gceb_http *http = NULL;

	assert_int_equal(gceb_http_new(&opts, NULL, &http, &err), GCEB_ECONFIG);
	assert_null(http);
	assert_non_null(strstr(err.msg, "https://compute.googleapis.com"));
}

static void plain_http_off_loopback_is_refused_before_curl(void **state)
{
	const char *roots[] = { "http://10.255.255.1/" };
	struct gceb_http_options opts = options(roots, 1);
	struct outcome o = { 0 };
	struct gceb_http *http = engine(&opts, NULL);
	int64_t t0 = ts_now_ms();

	submit(http, "GET", "http://10.255.255.1/compute/v1/x", NULL, &o);
	assert_int_equal(run(http), 0);
	assert_true(ts_now_ms() - t0 < 100); /* a connect attempt would hang far longer */
	assert_int_equal(o.result, GCEB_EAUTH);
	assert_int_equal(o.attempts, 0);
	assert_non_null(strstr(o.error, "http to '10.255.255.1' is not allowed"));
	assert_int_equal(gceb_http_count(http, GCEB_API_COMPUTE, 0), 0);
	gceb_http_free(http);
}

/* Roots whose host cannot be pinned once: every URL under them is checked whole. */
static void odd_roots_are_checked_on_every_url(void **state)
{
	static const struct {
		const char *root, *url, *error;
	} cases[] = {
		/* user info: the host is "evil" */
		{ "http://127.0.0.1:8080@evil/", "http://127.0.0.1:8080@evil/x",
		  "refusing to send a request: malformed URL 'http://127.0.0.1:8080@evil/x': user "
		  "info" },
		{ "http://127.0.0.1:80801/", "http://127.0.0.1:80801/x",
		  "refusing to send a request: malformed URL 'http://127.0.0.1:80801/x'" },
		{ "http://localhost.evil/", "http://localhost.evil/x",
		  "refusing to send a request: http to 'localhost.evil' is not allowed" },
		{ "ftp://127.0.0.1/", "ftp://127.0.0.1/x",
		  "refusing to send a request: ftp to '127.0.0.1' is not allowed" },
	};
	struct gceb_auth *auth;
	char token_file[64];
	size_t i;

	auth = token_auth(token_file, sizeof(token_file), TOKEN "\n", 0600);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *roots[] = { cases[i].root };
		struct gceb_http_options opts = options(roots, 1);
		struct gceb_http *http = engine(&opts, auth);
		struct outcome o = { 0 };

		submit(http, "GET", cases[i].url, NULL, &o);
		assert_int_equal(run(http), 0);
		assert_int_equal(o.result, GCEB_EAUTH);
		assert_int_equal(o.attempts, 0);
		assert_non_null(strstr(o.error, cases[i].error));
		gceb_http_free(http);
	}
	gceb_auth_free(auth);
	(void)unlink(token_file);
}

/* Under a root checked once, a URL that curl would read differently is checked whole. */
static void urls_under_a_root_are_checked_as_curl_reads_them(void **state)
{
	static const struct ts_reply ok = { .body = "{}" };
	static const struct {
		const char *path;
		int result;
		const char *sent; /* the path the server saw */
	} cases[] = {
		{ "/apix", 0, "/apix" },                /* the root has no final '/' */
		{ "/api/a/../b?q=/../c", 0, "/api/b" }, /* libmicrohttpd drops the query */
		{ "/api/%2e%2e/x", 0, "/api/../x" },    /* sent as is, decoded by the server */
		{ "/api/x?p=a%2Fb#frag", 0, "/api/x" },
		{ "/api/x y", GCEB_EAUTH, NULL },
		{ "/api/x\ty", GCEB_EAUTH, NULL },
		{ "/api/x\x7f", GCEB_EAUTH, NULL },
	};
	struct ts_script script = { &ok, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];
	unsigned sent = 0;
	size_t i;

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/api", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_concurrency = 1; /* keep the server's order */
	http = engine(&opts, NULL);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct outcome o = { 0 };

		submit(http, "GET", ts_url(ts, cases[i].path, url, sizeof(url)), NULL, &o);
		assert_int_equal(run(http), 0);
		assert_int_equal(o.result, cases[i].result);
		if (cases[i].result) {
			assert_int_equal(o.attempts, 0);
			assert_non_null(
				strstr(o.error, "refusing to send a request: malformed URL"));
			continue;
		}
		assert_int_equal(ts_requests(ts), sent + 1);
		assert_string_equal(ts_request(ts, sent)->path, cases[i].sent);
		sent++;
	}
	gceb_http_free(http);
	ts_stop(ts);
}

/* The cold-start retry goes by the path curl sends, dot segments removed. */
static void endpoints_path_is_read_after_dot_segments(void **state)
{
	static const struct ts_reply replies[] = {
		{ .status = 404, .content_type = "text/html; charset=UTF-8", .body = "<html>" },
		{ .body = "{}" },
	};
	struct outcome o = { 0 };

	one(replies, 2, 4, "/x/../_ah/api/catalog/v1/get", &o);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 2);
}

/*
 * The URL rule of lib/url.h, as settings.cfg applies it (test_url.c): the
 * engine sends to any 127.0.0.0/8 address and refuses user info.
 */
static void engine_applies_the_url_rule(void **state)
{
	static const struct ts_reply ok = { .body = "{}" };
	struct ts_script script = { &ok, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	const char *roots[] = { "http://localhost:P@evil.invalid/", NULL };
	struct outcome o1 = { 0 }, o2 = { 0 };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];

	assert_non_null(ts);
	/* 127.0.0.2 is loopback (whether the server listens there or not). */
	(void)ts_url(ts, "/", url, sizeof(url));
	(void)snprintf(root, sizeof(root), "http://127.0.0.2%s", strrchr(url, ':'));
	roots[1] = root;
	opts = options(roots, 2);
	opts.max_attempts = 1;
	http = engine(&opts, NULL);
	submit(http, "GET", "http://localhost:P@evil.invalid/x", NULL, &o1);
	(void)snprintf(url, sizeof(url), "%sx", root);
	submit(http, "GET", url, NULL, &o2);
	assert_int_equal(run(http), 0);
	assert_int_equal(o1.result, GCEB_EAUTH);
	assert_int_equal(o1.attempts, 0);
	assert_string_equal(o1.error,
			    "refusing to send a request: malformed URL "
			    "'http://localhost:P@evil.invalid/x': user info (\"user@\") is "
			    "not allowed");
	/* Sent: answered, or refused by the kernel, but not by the URL rule. */
	assert_int_equal(o2.attempts, 1);
	assert_int_not_equal(o2.result, GCEB_EAUTH);
	gceb_http_free(http);
	ts_stop(ts);
}

struct chain {
	char url[128];
	struct outcome first, second;
};

static void record_second(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	record(http, req, &((struct chain *)payload)->second);
}

static void record_first_then_follow(struct gceb_http *http, struct gceb_http_request *req,
				     void *payload)
{
	struct chain *c = payload;
	struct gceb_http_request *next;

	record(http, req, &c->first);
	/* The 409 then GET pattern of the insert jobs. */
	next = gceb_http_request_new("GET", GCEB_API_COMPUTE, c->url, NULL);
	assert_non_null(next);
	assert_int_equal(gceb_http_submit(http, next, record_second, c), 0);
}

static void callbacks_can_submit_follow_ups(void **state)
{
	static const struct ts_reply replies[] = { { .status = 409, .body = "{}" },
						   { .body = "{\"name\":\"t\"}" } };
	struct ts_script script = { replies, 2, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct gceb_http_options opts;
	struct gceb_http_request *req;
	struct chain c = { 0 };
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, NULL);
	(void)ts_url(ts, "/t", c.url, sizeof(c.url));
	req = gceb_http_request_new("POST", GCEB_API_COMPUTE, ts_url(ts, "/t", url, sizeof(url)),
				    "{\"name\":\"t\"}");
	assert_non_null(req);
	assert_int_equal(gceb_http_submit(http, req, record_first_then_follow, &c), 0);
	assert_int_equal(run(http), 0);
	assert_int_equal(c.first.result, GCEB_EEXIST);
	assert_int_equal(c.second.calls, 1);
	assert_int_equal(c.second.result, 0);
	assert_string_equal(c.second.response, "{\"name\":\"t\"}");
	assert_int_equal(ts_requests(ts), 2);
	gceb_http_free(http);
	ts_stop(ts);
}

/* What the before-I/O hook saw of a chain of two requests. */
struct before_io_seen {
	struct chain *c;
	struct testserver *ts;
	int first_call; /* requests the server had at the first call after the first answer */
	int calls;
};

static void before_io(void *payload)
{
	struct before_io_seen *h = payload;

	if (h->c->first.calls == 1 && h->first_call < 0)
		h->first_call = (int)ts_requests(h->ts);
	h->calls++;
}

/* The job runner commits there: after the answers, before any network I/O. */
static void before_io_hook_runs_before_the_follow_up_goes_out(void **state)
{
	static const struct ts_reply replies[] = { { .status = 409, .body = "{}" },
						   { .body = "{\"name\":\"t\"}" } };
	struct ts_script script = { replies, 2, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct gceb_http_options opts;
	struct gceb_http_request *req;
	struct chain c = { 0 };
	struct before_io_seen h = { .c = &c, .ts = ts, .first_call = -1 };
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, NULL);
	gceb_http_before_io(http, before_io, &h);
	(void)ts_url(ts, "/t", c.url, sizeof(c.url));
	req = gceb_http_request_new("POST", GCEB_API_COMPUTE, ts_url(ts, "/t", url, sizeof(url)),
				    "{\"name\":\"t\"}");
	assert_non_null(req);
	assert_int_equal(gceb_http_submit(http, req, record_first_then_follow, &c), 0);
	assert_int_equal(run(http), 0);
	assert_int_equal(c.second.calls, 1);
	assert_int_equal(h.first_call, 1); /* the follow-up was not sent yet */
	assert_int_equal(h.calls, 1);      /* only once a callback ran, not after the last */
	gceb_http_free(http);
	ts_stop(ts);
}

/*
 * Rate-limited until the next wait would pass the deadline: the request
 * gives up as rate-limited (exit 75), not as unavailable.
 */
static void deadline_after_a_rate_limit_is_eratelimit(void **state)
{
	static const struct ts_reply replies[] = { { .status = 429, .retry_after = "1" } };
	struct ts_script script = { replies, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_err err = { 0 };
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	/* Room for one wait of Retry-After's second, not for two. */
	opts.deadline_ms = 1700;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/x", url, sizeof(url)), NULL, &o);
	assert_int_equal(gceb_http_run(http, &err), 0);
	assert_int_equal(o.result, GCEB_ERATELIMIT);
	assert_int_equal(o.status, 429);
	assert_int_equal(o.attempts, 2);
	gceb_http_free(http);
	ts_stop(ts);
}

/*
 * The deadline fails a request still waiting after a rate limit (here for
 * the one slot, held by a slow request) as rate-limited; the slow one as
 * unavailable.
 */
static void deadline_fails_a_rate_limited_wait_as_eratelimit(void **state)
{
	static const struct ts_reply replies[] = { { .status = 429, .retry_after = "1" },
						   { .body = "{}", .delay_ms = 5000 } };
	struct ts_script script = { replies, 2, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome a = { 0 }, b = { 0 };
	struct gceb_http_options opts;
	struct gceb_err err = { 0 };
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.deadline_ms = 1700;
	opts.max_concurrency = 1;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/a", url, sizeof(url)), NULL, &a);
	submit(http, "GET", ts_url(ts, "/b", url, sizeof(url)), NULL, &b);
	(void)gceb_http_run(http, &err);
	assert_int_equal(a.result, GCEB_ERATELIMIT);
	assert_int_equal(a.attempts, 1);
	assert_non_null(strstr(a.error, "while rate-limited"));
	assert_int_equal(b.result, GCEB_ENET);
	gceb_http_free(http);
	ts_stop(ts);
}

static void deadline_fails_what_is_left(void **state)
{
	static const struct ts_reply slow = { .body = "{}", .delay_ms = 1000 };
	struct ts_script script = { &slow, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 }, q = { 0 };
	struct gceb_http_options opts;
	struct gceb_err err = { 0 };
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];
	int64_t t0;

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.deadline_ms = 300;
	opts.max_concurrency = 1;
	http = engine(&opts, NULL);
	submit(http, "GET", ts_url(ts, "/slow", url, sizeof(url)), NULL, &o);
	submit(http, "GET", ts_url(ts, "/queued", url, sizeof(url)), NULL, &q);
	t0 = ts_now_ms();
	assert_int_equal(gceb_http_run(http, &err), GCEB_ENET);
	assert_true(ts_now_ms() - t0 < 900);
	assert_non_null(strstr(err.msg, "deadline"));
	assert_int_equal(o.result, GCEB_ENET);
	assert_int_equal(q.result, GCEB_ENET);
	assert_int_equal(q.attempts, 0);
	gceb_http_free(http);
	ts_stop(ts);
}

/* Run @http with stderr in a file; returns what was written (owned). */
static char *run_capturing_stderr(struct gceb_http *http)
{
	char path[] = "/tmp/gceb-test-http-log-XXXXXX";
	int fd = mkstemp(path), saved = dup(2);
	char *text = calloc(1, 65536);

	assert_true(fd >= 0 && saved >= 0);
	assert_non_null(text);
	(void)fflush(stderr);
	assert_true(dup2(fd, 2) == 2);
	assert_int_equal(run(http), 0);
	(void)fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	(void)close(saved);
	assert_true(pread(fd, text, 65535, 0) >= 0);
	(void)close(fd);
	(void)unlink(path);
	return text;
}

static void token_is_sent_and_never_logged(void **state)
{
	static const struct ts_reply replies[] = { { .status = 500 }, { .body = "{}" } };
	struct ts_script script = { replies, 2, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_auth *auth;
	struct gceb_http *http;
	char root[64], url[128], token_file[64];
	const char *roots[1];
	int level = gceb_log_level();
	char *log;

	assert_non_null(ts);
	auth = token_auth(token_file, sizeof(token_file), TOKEN "\nsecond line\n", 0600);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, auth);
	submit(http, "POST", ts_url(ts, "/x", url, sizeof(url)), "{\"a\":1}", &o);
	gceb_log_set_level(GCEB_LOG_DEBUG);
	log = run_capturing_stderr(http);
	gceb_log_set_level(level);
	assert_int_equal(o.result, 0);
	assert_int_equal(ts_requests(ts), 2);
	assert_string_equal(ts_request(ts, 0)->authorization, "Bearer " TOKEN);
	assert_string_equal(ts_request(ts, 1)->authorization, "Bearer " TOKEN);
	assert_non_null(strstr(log, "POST '"));
	assert_non_null(strstr(log, "attempt 2"));
	assert_null(strstr(log, "secret-test-token"));
	assert_null(strstr(log, "Bearer"));
	free(log);
	gceb_http_free(http);
	gceb_auth_free(auth);
	(void)unlink(token_file);
	ts_stop(ts);
}

/* Header lists are kept while the token lasts, and the next token gets its own. */
static void a_new_token_is_sent_once_it_comes(void **state)
{
	static const struct ts_reply replies[] = {
		{ .body = "{\"access_token\":\"t-1\",\"expires_in\":2,\"token_type\":\"Bearer\"}" },
		{ .body = "{}" },
		{ .body = "{}" },
		{ .body = "{\"access_token\":\"t-2\",\"expires_in\":2,\"token_type\":\"Bearer\"}" },
		{ .body = "{}" },
	};
	struct ts_script script = { replies, 5, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o[3] = { { 0 } };
	struct gceb_auth_options ao = { 0 };
	struct gceb_http_options opts;
	struct gceb_err err = { 0 };
	struct gceb_auth *auth;
	struct gceb_http *http;
	char root[64], url[128], host[64];
	const char *roots[1];

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	(void)snprintf(host, sizeof(host), "%s", root + strlen("http://"));
	*strchr(host, '/') = '\0';
	ao.metadata_host = host;
	assert_int_equal(gceb_auth_new(&ao, &auth, &err), 0);
	opts = options(roots, 1);
	opts.max_concurrency = 1; /* keep the server's order */
	http = engine(&opts, auth);
	submit(http, "GET", ts_url(ts, "/a", url, sizeof(url)), NULL, &o[0]);
	submit(http, "POST", ts_url(ts, "/b", url, sizeof(url)), "{}", &o[1]);
	assert_int_equal(run(http), 0);
	/* The token is refreshed halfway through its 2 s. */
	(void)nanosleep(&(struct timespec){ .tv_sec = 1, .tv_nsec = 100000000L }, NULL);
	submit(http, "POST", ts_url(ts, "/c", url, sizeof(url)), "{}", &o[2]);
	assert_int_equal(run(http), 0);
	assert_int_equal(ts_requests(ts), 5);
	assert_string_equal(ts_request(ts, 1)->authorization, "Bearer t-1");
	assert_null(ts_request(ts, 1)->content_type);
	assert_string_equal(ts_request(ts, 2)->authorization, "Bearer t-1");
	assert_string_equal(ts_request(ts, 2)->content_type, "application/json; charset=utf-8");
	assert_string_equal(ts_request(ts, 4)->path, "/c");
	assert_string_equal(ts_request(ts, 4)->authorization, "Bearer t-2");
	assert_string_equal(ts_request(ts, 4)->content_type, "application/json; charset=utf-8");
	gceb_http_free(http);
	gceb_auth_free(auth);
	ts_stop(ts);
}

/* An engine whose token source is the test server's metadata path (like a_new_token_...). */
static struct gceb_http *metadata_engine(struct testserver *ts, char *root, size_t len,
					 const char **roots, struct gceb_auth **auth)
{
	struct gceb_auth_options ao = { 0 };
	struct gceb_http_options opts;
	struct gceb_err err = { 0 };
	static char host[64];

	roots[0] = ts_url(ts, "/", root, len);
	(void)snprintf(host, sizeof(host), "%s", root + strlen("http://"));
	*strchr(host, '/') = '\0';
	ao.metadata_host = host;
	assert_int_equal(gceb_auth_new(&ao, auth, &err), 0);
	opts = options(roots, 1);
	opts.max_concurrency = 1; /* keep the server's order */
	return engine(&opts, *auth);
}

/* A 401 drops the token: the request goes once more with a fresh one, and succeeds. */
static void a_401_is_retried_once_with_a_fresh_token(void **state)
{
	static const struct ts_reply replies[] = {
		{ .body = "{\"access_token\":\"t-1\",\"expires_in\":3600}" },
		{ .status = 401 },
		{ .body = "{\"access_token\":\"t-2\",\"expires_in\":3600}" },
		{ .body = "{}" },
	};
	struct ts_script script = { replies, 4, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_auth *auth;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	http = metadata_engine(ts, root, sizeof(root), roots, &auth);
	submit(http, "GET", ts_url(ts, "/a", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	assert_int_equal(o.result, 0);
	assert_int_equal(o.attempts, 2);
	assert_int_equal(ts_requests(ts), 4);
	assert_string_equal(ts_request(ts, 1)->authorization, "Bearer t-1");
	assert_string_equal(ts_request(ts, 3)->authorization, "Bearer t-2");
	gceb_http_free(http);
	gceb_auth_free(auth);
	ts_stop(ts);
}

/*
 * A 403 with the fresh token too is credentials refused; the token is
 * refreshed once per API per run, so a later request refused with the
 * fresh token fails at once, and no third token is fetched.
 */
static void a_403_after_one_refresh_is_credentials_refused(void **state)
{
	static const struct ts_reply replies[] = {
		{ .body = "{\"access_token\":\"t-1\",\"expires_in\":3600}" },
		{ .status = 403,
		  .body = "{\"error\":{\"errors\":[{\"reason\":\"forbidden\"}],\"code\":403}}" },
		{ .body = "{\"access_token\":\"t-2\",\"expires_in\":3600}" },
		{ .status = 403,
		  .body = "{\"error\":{\"errors\":[{\"reason\":\"forbidden\"}],\"code\":403}}" },
	};
	struct ts_script script = { replies, 4, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome a = { 0 }, b = { 0 };
	struct gceb_auth *auth;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];

	assert_non_null(ts);
	http = metadata_engine(ts, root, sizeof(root), roots, &auth);
	submit(http, "GET", ts_url(ts, "/a", url, sizeof(url)), NULL, &a);
	assert_int_equal(run(http), 0);
	submit(http, "GET", ts_url(ts, "/b", url, sizeof(url)), NULL, &b);
	assert_int_equal(run(http), 0);
	assert_int_equal(a.result, GCEB_EAUTH);
	assert_int_equal(a.attempts, 2);
	assert_int_equal(b.result, GCEB_EAUTH);
	assert_int_equal(b.attempts, 1);
	assert_int_equal(ts_requests(ts), 5);
	assert_string_equal(ts_request(ts, 3)->authorization, "Bearer t-2");
	assert_string_equal(ts_request(ts, 4)->authorization, "Bearer t-2");
	gceb_http_free(http);
	gceb_auth_free(auth);
	ts_stop(ts);
}

static void auth_failure_fails_the_request_unsent(void **state)
{
	static const struct ts_reply ok = { .body = "{}" };
	struct ts_script script = { &ok, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o = { 0 };
	struct gceb_http_options opts;
	struct gceb_auth *auth;
	struct gceb_http *http;
	char root[64], url[128], token_file[64];
	const char *roots[1];

	assert_non_null(ts);
	auth = token_auth(token_file, sizeof(token_file), TOKEN "\n", 0644);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	http = engine(&opts, auth);
	submit(http, "GET", ts_url(ts, "/x", url, sizeof(url)), NULL, &o);
	assert_int_equal(run(http), 0);
	/* A token file others can read is the operator's to fix: config (exit 78). */
	assert_int_equal(o.result, GCEB_ECONFIG);
	assert_non_null(strstr(o.error, "chmod 600"));
	assert_int_equal(ts_requests(ts), 0);
	gceb_http_free(http);
	gceb_auth_free(auth);
	(void)unlink(token_file);
	ts_stop(ts);
}

static void post_bodies_and_empty_posts(void **state)
{
	static const struct ts_reply ok = { .body = "{}" };
	struct ts_script script = { &ok, 1, 0 };
	struct testserver *ts = ts_start(ts_script_handler, &script);
	struct outcome o[3] = { { 0 } };
	struct gceb_http_options opts;
	struct gceb_http *http;
	char root[64], url[128];
	const char *roots[1];
	const struct ts_request *rq;
	unsigned i;

	assert_non_null(ts);
	roots[0] = ts_url(ts, "/", root, sizeof(root));
	opts = options(roots, 1);
	opts.max_concurrency = 1; /* keep the server's order */
	http = engine(&opts, NULL);
	submit(http, "POST", ts_url(ts, "/resize", url, sizeof(url)), NULL, &o[0]);
	submit(http, "POST", ts_url(ts, "/insert", url, sizeof(url)), "{\"name\":\"n\"}", &o[1]);
	submit(http, "DELETE", ts_url(ts, "/t", url, sizeof(url)), NULL, &o[2]);
	assert_int_equal(run(http), 0);
	for (i = 0; i < 3; i++)
		assert_int_equal(o[i].result, 0);
	assert_int_equal(ts_requests(ts), 3);
	rq = ts_request(ts, 0);
	assert_string_equal(rq->method, "POST");
	assert_int_equal(rq->body_len, 0);
	assert_string_equal(rq->content_length, "0");
	assert_null(rq->content_type);
	rq = ts_request(ts, 1);
	assert_string_equal(rq->method, "POST");
	assert_string_equal(rq->body, "{\"name\":\"n\"}");
	assert_string_equal(rq->content_type, "application/json; charset=utf-8");
	rq = ts_request(ts, 2);
	assert_string_equal(rq->method, "DELETE");
	assert_int_equal(rq->body_len, 0);
	gceb_http_free(http);
	ts_stop(ts);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(get_returns_body_status_and_counts),
		cmocka_unit_test(fixed_headers_once_and_gzip_decoded),
		cmocka_unit_test(concurrency_cap_is_honoured),
		cmocka_unit_test(connections_are_reused),
		cmocka_unit_test(transient_statuses_are_retried),
		cmocka_unit_test(network_reset_is_retried),
		cmocka_unit_test(attempt_timeout_is_retried),
		cmocka_unit_test(request_timeout_unless_the_engine_sets_one),
		cmocka_unit_test(retry_after_is_honoured),
		cmocka_unit_test(rate_limited_403_is_retried),
		cmocka_unit_test(rate_limits_past_the_attempts_are_eratelimit),
		cmocka_unit_test(forbidden_403_is_not_retried),
		cmocka_unit_test(json_404_is_not_retried),
		cmocka_unit_test(endpoints_html_404_is_retried),
		cmocka_unit_test(endpoints_html_404_that_stays_is_unavailable),
		cmocka_unit_test(attempts_are_capped),
		cmocka_unit_test(response_over_cap_fails),
		cmocka_unit_test(urls_outside_the_roots_are_refused_unsent),
		cmocka_unit_test(root_without_path_is_rejected),
		cmocka_unit_test(plain_http_off_loopback_is_refused_before_curl),
		cmocka_unit_test(odd_roots_are_checked_on_every_url),
		cmocka_unit_test(urls_under_a_root_are_checked_as_curl_reads_them),
		cmocka_unit_test(endpoints_path_is_read_after_dot_segments),
		cmocka_unit_test(engine_applies_the_url_rule),
		cmocka_unit_test(callbacks_can_submit_follow_ups),
		cmocka_unit_test(before_io_hook_runs_before_the_follow_up_goes_out),
		cmocka_unit_test(deadline_fails_what_is_left),
		cmocka_unit_test(deadline_after_a_rate_limit_is_eratelimit),
		cmocka_unit_test(deadline_fails_a_rate_limited_wait_as_eratelimit),
		cmocka_unit_test(token_is_sent_and_never_logged),
		cmocka_unit_test(a_new_token_is_sent_once_it_comes),
		cmocka_unit_test(a_401_is_retried_once_with_a_fresh_token),
		cmocka_unit_test(a_403_after_one_refresh_is_credentials_refused),
		cmocka_unit_test(auth_failure_fails_the_request_unsent),
		cmocka_unit_test(post_bodies_and_empty_posts),
	};

	return gceb_test_run("http", tests, argc, argv);
}
