/* SPDX-License-Identifier: Apache-2.0 */
/*
 * http.c - the HTTP engine: libcurl multi, retries with back-off, the root allow-list
 *
 * A submitted request is an xfer on one of three lists: ready (FIFO, waiting
 * for a slot under max_concurrency), flying (attached to the multi handle)
 * or timers (waiting for a retry, sorted by due time). gceb_http_run() moves
 * xfers between them and calls each completion callback outside
 * curl_multi_perform(), so a callback never runs while curl does I/O.
 *
 * All transfers share the multi handle's connection cache, so finished
 * connections are reused by later requests, and HTTP/2 streams are
 * multiplexed over one connection where the server offers it.
 */
#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "auth.h"
#include "buf.h"
#include "gceb/log.h"
#include "http.h"
#include "json.h"
#include "url.h"

/* A chain of curl_easy_setopt(): once one fails, the rest are skipped. */
#define SETOPT(c, e, opt, val) ((c) = (c) != CURLE_OK ? (c) : curl_easy_setopt(e, opt, val))

#ifndef GCEB_VERSION
# define GCEB_VERSION "unknown"
#endif

#define DEFAULT_CONCURRENCY     16
#define DEFAULT_ATTEMPTS        4
#define DEFAULT_ATTEMPT_TIMEOUT 30000L
#define DEFAULT_MAX_RESPONSE    ((size_t)32 * 1024 * 1024)
#define DEFAULT_BACKOFF_BASE    500L
#define BACKOFF_CAP_MS          32000L
#define CONNECT_TIMEOUT_MS      10000L
/* A longer Retry-After than this ends the retries instead of stalling the run. */
#define RETRY_AFTER_MAX_MS      120000L
/* How close to the deadline a run stops starting anything. */
#define DEADLINE_SLACK_MS       10

/* Statuses 0..STATUS_SLOTS-1 are counted; others count as 0. */
#define STATUS_SLOTS 600

static const char *const api_scope[GCEB_API_COUNT] = {
	[GCEB_API_COMPUTE] = "https://www.googleapis.com/auth/compute",
	[GCEB_API_MP] = "https://www.googleapis.com/auth/userinfo.email",
	[GCEB_API_CONFIG] = "https://www.googleapis.com/auth/userinfo.email",
};

/*
 * The header lists of requests sent with one token (or none): built when the
 * token changes, not for every request. Requests in flight hold a reference,
 * as does the engine while the token is current.
 */
enum { HDR_PLAIN, HDR_JSON, HDR_EMPTY_POST, HDR_KINDS };

struct headers {
	unsigned refs;
	char *token; /* NULL without auth */
	struct curl_slist *list[HDR_KINDS];
};

struct xfer {
	struct gceb_http_request *req;
	gceb_http_done_fn done;
	void *payload;
	struct xfer *next; /* on ready, flying or timers */
	int64_t due_ms;    /* on timers: when the next attempt may start */
	int64_t first_ms;  /* start of the first attempt, for the debug log */
	bool endpoints;    /* path starts with /_ah/api/ (cold-start 404s are retried) */
	CURL *easy;        /* while flying */
	/* While flying, a reference to the lists it was sent with. */
	struct headers *headers;
	struct gceb_buf body;
	size_t max_body;
	bool too_big;
	bool limited;       /* the last answer was a rate limit (429, 403 rateLimitExceeded) */
	bool auth_retried;  /* sent again after a 401/403, with a fresh token */
	unsigned token_gen; /* http->token_gen[api] when sent */
	char errbuf[CURL_ERROR_SIZE]; /* CURLOPT_ERRORBUFFER: lives as long as the transfer */
};

/*
 * A configured root, checked once. A pinned root passed the URL rule
 * (url.h): a URL that starts with it has its scheme and host, whatever
 * follows.
 */
struct root {
	char *url;
	size_t len;
	size_t path_at; /* offset of the '/' that ends the authority */
	bool pinned;
	bool plain_http;
};

struct gceb_http {
	struct gceb_http_options o; /* defaults filled in; o.roots is not kept */
	struct root *roots;
	char *ca_file, *proxy;  /* copies of o.ca_file and o.proxy, which point at them */
	struct gceb_auth *auth; /* borrowed */
	CURLM *multi;
	CURL **idle; /* easy handles kept for reuse, at most max_concurrency */
	size_t n_idle;
	/* The lists for each API's current token (their scopes differ). */
	struct headers *headers[GCEB_API_COUNT];
	struct xfer *ready, *ready_tail, *flying, *timers;
	unsigned n_flying;
	int64_t deadline; /* monotonic ms, 0 for none */
	/*
	 * The sockets libcurl wants watched and when it wants to be called
	 * back (curl_multi_socket_action): each wake-up then touches only the
	 * transfers with something to do, where curl_multi_perform would check
	 * every transfer in flight, with a poll(2) each.
	 */
	struct pollfd *fds, *hits;
	size_t n_fds, cap_fds;
	int64_t curl_due; /* monotonic ms, -1 for none */
	uint64_t rng;
	bool running;
	bool nosignal;                    /* CURLOPT_NOSIGNAL: SIGPIPE is ignored already */
	void (*before_io)(void *payload); /* gceb_http_before_io() */
	void *before_io_payload;
	bool called_back; /* since before_io was last called */
	/*
	 * A 401 or 403 makes the engine drop the API's token and fetch a new
	 * one, once per API per run; token_gen counts those refreshes, so that
	 * a request sent with the old token is retried once with the new one.
	 */
	unsigned token_gen[GCEB_API_COUNT];
	bool refreshed[GCEB_API_COUNT];
	unsigned long counts[GCEB_API_COUNT][STATUS_SLOTS];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* splitmix64: jitter only needs to spread clients apart, not to be secret. */
static uint64_t rng_next(struct gceb_http *http)
{
	uint64_t z = (http->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void set_error(struct gceb_http_request *req, const char *fmt, ...) GCEB_PRINTF(2, 3);
static void set_error(struct gceb_http_request *req, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	(void)gceb_vformat(req->error, sizeof(req->error), fmt, ap);
	va_end(ap);
}

/*
 * Whether @url may be sent to at all (url.h: https, or http to a loopback
 * host). Sets *@plain_http, and *@path (owned, free()), the path as curl
 * sends it, when @path is non-NULL. Returns 0, GCEB_EAUTH (refused or
 * malformed, with the reason) or GCEB_ENOMEM.
 */
static int check_url(const char *url, bool *plain_http, char **path, struct gceb_err *err)
{
	struct gceb_err e = { 0 };
	struct gceb_url u;

	if (gceb_url_check(url, GCEB_EAUTH, &u, &e) < 0)
		return gceb_err_set(err, GCEB_EAUTH, "refusing to send a request: %s", e.msg);
	if (path && !(*path = gceb_url_path(&u)))
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	*plain_http = u.plain_http;
	return 0;
}

/* CURLMOPT_SOCKETFUNCTION: keep http->fds what libcurl wants watched. */
static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct gceb_http *http = userp;
	size_t i;

	(void)easy;
	(void)socketp;
	for (i = 0; i < http->n_fds && http->fds[i].fd != s; i++)
		;
	if (what == CURL_POLL_REMOVE) {
		if (i < http->n_fds)
			http->fds[i] = http->fds[--http->n_fds];
		return 0;
	}
	if (i == http->n_fds) {
		if (http->n_fds == http->cap_fds) {
			size_t cap = http->cap_fds ? 2 * http->cap_fds : 16;
			struct pollfd *f = realloc(http->fds, cap * sizeof(*f));
			struct pollfd *h = f ? realloc(http->hits, cap * sizeof(*h)) : NULL;

			if (f)
				http->fds = f;
			if (h)
				http->hits = h;
			if (!f || !h)
				return -1; /* libcurl fails the transfer */
			http->cap_fds = cap;
		}
		http->fds[http->n_fds++] = (struct pollfd){ .fd = s };
	}
	http->fds[i].events = (short)(((what & CURL_POLL_IN) ? POLLIN : 0) |
				      ((what & CURL_POLL_OUT) ? POLLOUT : 0));
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when libcurl wants socket_action(CURL_SOCKET_TIMEOUT). */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct gceb_http *http = userp;

	(void)multi;
	http->curl_due = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

/* isalnum() without the locale: URLs are ASCII. */
static bool ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static int add_root(struct gceb_http *http, const char *url, struct gceb_err *err)
{
	struct root *root = &http->roots[http->o.n_roots];
	const char *auth = strstr(url, "://") + 3;
	struct gceb_url u;

	root->url = strdup(url);
	if (!root->url)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	http->o.n_roots++;
	root->len = strlen(url);
	root->path_at = (size_t)(strchr(auth, '/') - url);
	/*
	 * A root the URL rule refuses is kept, unpinned, so that every URL
	 * under it is refused by check_url() with the reason.
	 */
	if (gceb_url_check(url, GCEB_EAUTH, &u, NULL) == 0) {
		root->pinned = true;
		root->plain_http = u.plain_http;
	}
	return 0;
}

/* @opts with the defaults filled in; the strings are the engine's own copies. */
static void set_options(struct gceb_http *http, const struct gceb_http_options *opts)
{
	http->o = *opts;
	http->ca_file = opts->ca_file ? strdup(opts->ca_file) : NULL;
	http->proxy = opts->proxy ? strdup(opts->proxy) : NULL;
	http->o.ca_file = http->ca_file;
	http->o.proxy = http->proxy;
	if (!http->o.max_concurrency)
		http->o.max_concurrency = DEFAULT_CONCURRENCY;
	if (!http->o.max_attempts)
		http->o.max_attempts = DEFAULT_ATTEMPTS;
	if (http->o.attempt_timeout_ms < 0)
		http->o.attempt_timeout_ms = 0;
	if (!http->o.max_response_bytes)
		http->o.max_response_bytes = DEFAULT_MAX_RESPONSE;
	if (http->o.backoff_base_ms <= 0)
		http->o.backoff_base_ms = DEFAULT_BACKOFF_BASE;
	if (http->o.deadline_ms > 0)
		http->deadline = now_ms() + http->o.deadline_ms;
}

int gceb_http_new(const struct gceb_http_options *opts, struct gceb_auth *auth,
		  struct gceb_http **out, struct gceb_err *err)
{
	struct gceb_http *http = calloc(1, sizeof(*http));
	struct sigaction sa;
	size_t i, n;
	int r;

	if (!http)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(http);
		return gceb_err_set(err, GCEB_ENOMEM, "cannot initialise libcurl");
	}
	http->auth = auth;
	set_options(http, opts);
	gceb_http_ignore_proxy_environment();
	if (getrandom(&http->rng, sizeof(http->rng), GRND_NONBLOCK) != (ssize_t)sizeof(http->rng))
		http->rng = (uint64_t)now_ms() ^ ((uint64_t)getpid() << 32);

	/*
	 * Unless told that the application ignores SIGPIPE, libcurl ignores it
	 * around every call, with three rt_sigaction(2) each time. The job
	 * main ignores it. CURLOPT_NOSIGNAL would also stop the alarm() that
	 * times out a synchronous resolver, so only with the threaded one.
	 */
	http->nosignal = sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN &&
			 (curl_version_info(CURLVERSION_NOW)->features & CURL_VERSION_ASYNCHDNS);

	n = opts->n_roots;
	http->o.roots = NULL;
	http->o.n_roots = 0;
	http->roots = calloc(n ? n : 1, sizeof(*http->roots));
	http->idle = calloc(http->o.max_concurrency, sizeof(*http->idle));
	http->multi = curl_multi_init();
	http->curl_due = -1;
	if (!http->roots || !http->idle || !http->multi || (opts->ca_file && !http->ca_file) ||
	    (opts->proxy && !http->proxy) ||
	    curl_multi_setopt(http->multi, CURLMOPT_SOCKETFUNCTION, on_socket) != CURLM_OK ||
	    curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http) != CURLM_OK ||
	    curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, on_timer) != CURLM_OK ||
	    curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http) != CURLM_OK) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		/*
		 * Without a '/' after the authority, the root "https://a.com" would
		 * also admit "https://a.com.example.net/".
		 */
		const char *root = opts->roots[i];
		const char *auth_start = strstr(root, "://");

		if (!auth_start || !strchr(auth_start + 3, '/')) {
			r = gceb_err_set(err, GCEB_ECONFIG,
					 "API root '%s' must end in a path ('/')", root);
			goto out;
		}
		r = add_root(http, root, err);
		if (r < 0)
			goto out;
	}
	*out = http;
	http = NULL;
	r = 0;
out:
	gceb_http_free(http);
	return r;
}

static void headers_put(struct headers *h)
{
	size_t i;

	if (!h || --h->refs > 0)
		return;
	for (i = 0; i < HDR_KINDS; i++)
		curl_slist_free_all(h->list[i]);
	free(h->token);
	free(h);
}

static void xfer_free(struct xfer *x)
{
	if (!x)
		return;
	gceb_http_request_free(x->req);
	gceb_buf_release(&x->body);
	free(x);
}

static void release_easy(struct gceb_http *http, struct xfer *x)
{
	if (!x->easy)
		return;
	(void)curl_multi_remove_handle(http->multi, x->easy);
	if (http->idle && http->n_idle < http->o.max_concurrency)
		http->idle[http->n_idle++] = x->easy;
	else
		curl_easy_cleanup(x->easy);
	x->easy = NULL;
	headers_put(x->headers);
	x->headers = NULL;
}

static void free_list(struct gceb_http *http, struct xfer *x)
{
	while (x) {
		struct xfer *next = x->next;

		release_easy(http, x);
		xfer_free(x);
		x = next;
	}
}

void gceb_http_free(struct gceb_http *http)
{
	size_t i;

	if (!http)
		return;
	free_list(http, http->flying);
	free_list(http, http->ready);
	free_list(http, http->timers);
	for (i = 0; http->idle && i < http->n_idle; i++)
		curl_easy_cleanup(http->idle[i]);
	free(http->idle);
	for (i = 0; i < GCEB_API_COUNT; i++)
		headers_put(http->headers[i]);
	for (i = 0; i < http->o.n_roots; i++)
		free(http->roots[i].url);
	free(http->roots);
	free(http->ca_file);
	free(http->proxy);
	(void)curl_multi_cleanup(http->multi);
	curl_global_cleanup();
	free(http->fds);
	free(http->hits);
	free(http);
}

static void push_ready(struct gceb_http *http, struct xfer *x)
{
	x->next = NULL;
	if (http->ready_tail)
		http->ready_tail->next = x;
	else
		http->ready = x;
	http->ready_tail = x;
}

static struct xfer *pop_ready(struct gceb_http *http)
{
	struct xfer *x = http->ready;

	if (x) {
		http->ready = x->next;
		if (!http->ready)
			http->ready_tail = NULL;
		x->next = NULL;
	}
	return x;
}

int gceb_http_submit(struct gceb_http *http, struct gceb_http_request *req, gceb_http_done_fn done,
		     void *payload)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (!x) {
		gceb_http_request_free(req);
		return GCEB_ENOMEM;
	}
	assert((unsigned)req->api < GCEB_API_COUNT);
	x->req = req;
	x->done = done;
	x->payload = payload;
	x->max_body = http->o.max_response_bytes;
	push_ready(http, x);
	return 0;
}

/* Hand the outcome to the caller and forget the request. */
static void complete(struct gceb_http *http, struct xfer *x, int result)
{
	release_easy(http, x);
	x->req->result = result;
	if (result == 0)
		x->req->error[0] = '\0';
	x->done(http, x->req, x->payload);
	http->called_back = true;
	xfer_free(x);
}

/* The network is next (a token fetch, a poll): first, what callbacks did is settled. */
static void settle(struct gceb_http *http)
{
	if (http->called_back && http->before_io)
		http->before_io(http->before_io_payload);
	http->called_back = false;
}

static size_t on_write(char *data, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;

	if (n > x->max_body - x->body.len) {
		x->too_big = true;
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	}
	gceb_buf_add(&x->body, data, n);
	return x->body.oom ? 0 : n;
}

/*
 * Whether everything after the authority is a path and query that curl takes
 * as it is: RFC 3986 characters, no fragment, no dot segment (curl would
 * remove it), no escape in the path (nothing to decode), not over curl's
 * length limit. Stricter than curl, so that a URL passing it under a pinned
 * root is one check_url() would accept with that root's scheme and
 * host and with the same path.
 */
static bool plain_tail(const char *tail)
{
	bool query = false;
	size_t i;

	for (i = 0; tail[i]; i++) {
		char c = tail[i];

		if (!ascii_alnum(c) && !strchr("-._~!$&'()*+,;=:@/?%", c))
			return false;
		if ((c == '%' && !query) || (c == '/' && tail[i + 1] == '.'))
			return false;
		query = query || c == '?';
	}
	return i < 1000000; /* far under curl's 8,000,000 for a whole URL */
}

/* The root @url starts with: a pinned one if any, else any, else NULL. */
static const struct root *find_root(const struct gceb_http *http, const char *url)
{
	const struct root *found = NULL;
	size_t i;

	for (i = 0; i < http->o.n_roots; i++) {
		const struct root *root = &http->roots[i];

		if (strncmp(url, root->url, root->len) != 0)
			continue;
		if (root->pinned)
			return root;
		found = root;
	}
	return found;
}

/* The host of @url for a message, or the URL itself if it cannot be parsed. */
static void url_host(const char *url, char *buf, size_t size)
{
	struct gceb_url u;

	if (gceb_url_parse(url, GCEB_EAUTH, &u, NULL) == 0)
		(void)snprintf(buf, size, "%.*s", (int)u.host_len, u.host);
	else
		(void)gceb_format(buf, size, "%s", url);
}

/*
 * Everything that decides whether a request may leave happens here, before
 * curl sees it: the root allow-list, the scheme, then the token.
 */
static int prepare(struct gceb_http *http, struct xfer *x, bool *plain_http, const char **token)
{
	struct gceb_http_request *req = x->req;
	const struct root *root;
	struct gceb_err err = { 0 };
	char *path = NULL;
	int r;

	root = find_root(http, req->url);
	if (!root) {
		char host[256];

		url_host(req->url, host, sizeof(host));
		set_error(req,
			  "refusing to send a request to '%s' outside the configured API roots",
			  host);
		return GCEB_EAUTH;
	}
	if (root->pinned && plain_tail(req->url + root->path_at)) {
		/* The host was checked once, with the root. */
		*plain_http = root->plain_http;
		x->endpoints = !strncmp(req->url + root->path_at, "/_ah/api/", 9);
	} else {
		r = check_url(req->url, plain_http, &path, &err);
		if (r < 0) {
			set_error(req, "%s", err.msg);
			return r;
		}
		x->endpoints = path && !strncmp(path, "/_ah/api/", 9);
		free(path);
	}
	*token = NULL;
	if (http->auth) {
		r = gceb_auth_token(http->auth, api_scope[req->api], token, &err);
		if (r < 0) {
			set_error(req, "%s '%s': no token: %s", req->method, req->url, err.msg);
			/*
			 * The token source's class is the request's (exit-codes.md): a
			 * bad token or key file is config, an unreachable token endpoint
			 * is unavailable, a garbled answer malformed; anything else is
			 * credentials refused, or none to be had.
			 */
			return r == GCEB_ENOMEM || r == GCEB_ECONFIG || r == GCEB_ENET ||
					       r == GCEB_EPARSE ?
				       r :
				       GCEB_EAUTH;
		}
	}
	return 0;
}

/*
 * A header list: the lines every request sends, then @auth (if any), @a and
 * @b (if any). User-Agent and Accept-Encoding are given here, once, rather
 * than through CURLOPT_USERAGENT and CURLOPT_ACCEPT_ENCODING alone, for which
 * curl formats the same line again for every request; it leaves out its own
 * line when the list has one. CURLOPT_ACCEPT_ENCODING stays set, as that is
 * what makes curl decode the answer.
 */
static struct curl_slist *header_list(const char *auth, const char *a, const char *b)
{
	struct curl_slist *h = NULL, *next;
	/* The first entry is one literal, joined with GCEB_VERSION, not a missing comma. */
	const char *v[] = {
		"User-Agent: gceb/" GCEB_VERSION, // NOLINT(bugprone-suspicious-missing-comma)
		"Accept-Encoding: gzip, deflate", auth, a, b
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (!v[i])
			continue;
		next = curl_slist_append(h, v[i]);
		if (!next) {
			curl_slist_free_all(h);
			return NULL;
		}
		h = next;
	}
	return h;
}

/* Headers for one attempt in x->headers, built anew only for a new token; false when out of memory.
 */
static bool add_headers(struct gceb_http *http, struct xfer *x, const char *token)
{
	struct headers *h = http->headers[x->req->api];
	struct gceb_buf auth = GCEB_BUF_INIT;

	if (!h || (token ? !h->token || strcmp(token, h->token) != 0 : h->token != NULL)) {
		bool oom;

		h = calloc(1, sizeof(*h));
		if (!h)
			return false;
		h->refs = 1;
		if (token)
			gceb_buf_addf(&auth, "Authorization: Bearer %s", token);
		h->token = token ? strdup(token) : NULL;
		oom = auth.oom || (token && !h->token);
		/*
		 * "Content-Type:" drops the form type curl would give an empty
		 * POST; "Expect:", the 100-continue round trip for large bodies.
		 */
		h->list[HDR_PLAIN] = header_list(auth.p, NULL, NULL);
		h->list[HDR_JSON] = header_list(
			auth.p, "Content-Type: application/json; charset=utf-8", "Expect:");
		h->list[HDR_EMPTY_POST] = header_list(auth.p, "Content-Type:", "Expect:");
		gceb_buf_release(&auth);
		if (oom || !h->list[HDR_PLAIN] || !h->list[HDR_JSON] || !h->list[HDR_EMPTY_POST]) {
			headers_put(h);
			return false;
		}
		/* Requests in flight keep the old lists until they are done. */
		headers_put(http->headers[x->req->api]);
		http->headers[x->req->api] = h;
	}
	h->refs++;
	x->headers = h;
	return true;
}

/* An attempt's timeout: the engine's, else the request's, else the default; within the deadline. */
static long attempt_timeout(const struct gceb_http *http, const struct gceb_http_request *req)
{
	long timeout = http->o.attempt_timeout_ms > 0 ? http->o.attempt_timeout_ms :
		       req->timeout_ms > 0            ? req->timeout_ms :
							DEFAULT_ATTEMPT_TIMEOUT;

	if (http->deadline) {
		int64_t left = http->deadline - now_ms();

		if (left < timeout)
			timeout = left > 1 ? (long)left : 1;
	}
	return timeout;
}

/* The headers, method and body of @x's request. */
static CURLcode set_method(CURL *e, const struct xfer *x)
{
	const struct gceb_http_request *req = x->req;
	bool post = !strcmp(req->method, "POST");
	const char *body = req->body ? req->body : "";
	CURLcode c = CURLE_OK;

	SETOPT(c, e, CURLOPT_HTTPHEADER,
	       x->headers->list[req->body ? HDR_JSON :
				post      ? HDR_EMPTY_POST :
					    HDR_PLAIN]);
	if (req->body || post) {
		/* No body: POSTFIELDS "" so curl sends Content-Length: 0, not stdin. */
		SETOPT(c, e, CURLOPT_POSTFIELDS, body);
		SETOPT(c, e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	}
	if (!post && strcmp(req->method, "GET") != 0)
		SETOPT(c, e, CURLOPT_CUSTOMREQUEST, req->method);
	return c;
}

static CURLcode setup_easy(struct gceb_http *http, struct xfer *x, bool plain_http,
			   const char *token)
{
	CURL *e = x->easy;
	CURLcode c = CURLE_OK;

	if (!add_headers(http, x, token))
		return CURLE_OUT_OF_MEMORY;
	SETOPT(c, e, CURLOPT_URL, x->req->url);
	SETOPT(c, e, CURLOPT_PROTOCOLS_STR, plain_http ? "http,https" : "https");
	/* Redirects stay off (the default): a 3xx is an error, as in the reference. */
	SETOPT(c, e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	SETOPT(c, e, CURLOPT_PIPEWAIT, 1L);
	SETOPT(c, e, CURLOPT_TIMEOUT_MS, attempt_timeout(http, x->req));
	SETOPT(c, e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	SETOPT(c, e, CURLOPT_ERRORBUFFER, x->errbuf);
	SETOPT(c, e, CURLOPT_WRITEFUNCTION, on_write);
	SETOPT(c, e, CURLOPT_WRITEDATA, x);
	SETOPT(c, e, CURLOPT_PRIVATE, x);
	SETOPT(c, e, CURLOPT_NOSIGNAL, (long)http->nosignal);
	/* Lists compress well; on_write caps the decoded size, so no bomb gets through. */
	SETOPT(c, e, CURLOPT_ACCEPT_ENCODING, "");
	if (c == CURLE_OK)
		c = (CURLcode)gceb_http_transport(e, !plain_http, http->ca_file, http->proxy);
	if (c == CURLE_OK)
		c = set_method(e, x);
	return c;
}

void gceb_http_ignore_proxy_environment(void)
{
	static const char *const names[] = { "http_proxy",  "HTTP_PROXY", "https_proxy",
					     "HTTPS_PROXY", "all_proxy",  "ALL_PROXY",
					     "no_proxy",    "NO_PROXY" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		(void)unsetenv(names[i]);
}

int gceb_http_transport(void *easy, bool https, const char *ca_file, const char *proxy)
{
	CURL *e = easy;
	CURLcode c = CURLE_OK;

	/* curl's defaults, set anyway: nothing may turn verification off. */
	SETOPT(c, e, CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(c, e, CURLOPT_SSL_VERIFYHOST, 2L);
	SETOPT(c, e, CURLOPT_PROXY_SSL_VERIFYPEER, 1L);
	SETOPT(c, e, CURLOPT_PROXY_SSL_VERIFYHOST, 2L);
	if (ca_file) {
		/* Only the bundle: the built-in CA directory would add the system's store. */
		SETOPT(c, e, CURLOPT_CAINFO, ca_file);
		SETOPT(c, e, CURLOPT_CAPATH, (char *)NULL);
		SETOPT(c, e, CURLOPT_PROXY_CAINFO, ca_file);
		SETOPT(c, e, CURLOPT_PROXY_CAPATH, (char *)NULL);
	}
	/*
	 * With a proxy configured: an https request goes through a CONNECT
	 * tunnel, so the proxy sees only the host and port; a plain http one
	 * (the metadata server, a loopback root) would carry its token in
	 * clear, so it never goes there (PROXY ""). NOPROXY "" keeps no_proxy
	 * from exempting a host. Without one, nothing is set per request:
	 * gceb_http_ignore_proxy_environment() has taken the variables away,
	 * and CURLOPT_PROXY "" on every handle cost a fifth of a Machine
	 * Provider get's CPU (docs/performance.md).
	 */
	if (proxy) {
		SETOPT(c, e, CURLOPT_PROXY, https ? proxy : "");
		SETOPT(c, e, CURLOPT_NOPROXY, "");
		if (https)
			SETOPT(c, e, CURLOPT_HTTPPROXYTUNNEL, 1L);
	}
	return (int)c;
}

/* Start the next attempt of @x, or complete it if it may not be sent. */
static void start(struct gceb_http *http, struct xfer *x)
{
	struct gceb_http_request *req = x->req;
	const char *token = NULL;
	bool plain_http = false;
	CURLMcode mc;
	CURLcode c;
	int r;

	settle(http);
	r = prepare(http, x, &plain_http, &token);
	if (r < 0) {
		complete(http, x, r);
		return;
	}
	if (http->n_idle) {
		x->easy = http->idle[--http->n_idle];
		curl_easy_reset(x->easy); /* keeps the DNS and TLS session caches */
	} else {
		x->easy = curl_easy_init();
	}
	if (!x->easy) {
		set_error(req, "%s '%s': out of memory", req->method, req->url);
		complete(http, x, GCEB_ENOMEM);
		return;
	}
	gceb_buf_release(&x->body);
	x->too_big = false;
	x->errbuf[0] = '\0';
	/* Both fail only for want of memory (or a bug, which the message shows). */
	c = setup_easy(http, x, plain_http, token);
	if (c != CURLE_OK) {
		set_error(req, "%s '%s': %s", req->method, req->url, curl_easy_strerror(c));
		complete(http, x, GCEB_ENOMEM);
		return;
	}
	mc = curl_multi_add_handle(http->multi, x->easy);
	if (mc != CURLM_OK) {
		set_error(req, "%s '%s': %s", req->method, req->url, curl_multi_strerror(mc));
		complete(http, x, GCEB_ENOMEM);
		return;
	}
	if (!req->attempts)
		x->first_ms = now_ms();
	req->attempts++;
	x->token_gen = http->token_gen[req->api];
	x->next = http->flying;
	http->flying = x;
	http->n_flying++;
}

static void unlink_flying(struct gceb_http *http, struct xfer *x)
{
	struct xfer **p;

	for (p = &http->flying; *p; p = &(*p)->next) {
		if (*p == x) {
			*p = x->next;
			x->next = NULL;
			http->n_flying--;
			return;
		}
	}
}

static bool is_json(const char *content_type)
{
	return content_type && !strncasecmp(content_type, "application/json", 16);
}

/* A 403 whose Google error envelope gives a rate-limit reason. */
static bool rate_limited(const struct gceb_http_request *req)
{
	struct gceb_api_error e = { 0 };
	bool hit;

	if (!req->response)
		return false;
	hit = gceb_api_error_parse(req->response, req->response_len, &e, NULL) == 0 &&
	      e.rate_limited;
	gceb_api_error_release(&e);
	return hit;
}

bool gceb_http_status_transient(long status)
{
	return status >= 500 || status == 408 || status == 429;
}

/* ... and a 403 that says "rate limit" (http.h). */
static bool transient_status(long status, bool limited)
{
	return gceb_http_status_transient(status) || (status == 403 && limited);
}

static int status_result(long status, bool limited)
{
	if (status >= 200 && status < 300)
		return 0;
	if (status == 429 || (status == 403 && limited))
		return GCEB_ERATELIMIT;
	if (transient_status(status, limited))
		return GCEB_ENET;
	if (status == 404)
		return GCEB_ENOTFOUND;
	if (status == 409)
		return GCEB_EEXIST;
	if (status == 401 || status == 403)
		return GCEB_EAUTH;
	return GCEB_EHTTP;
}

/*
 * Record what attempt @x got. Returns the request result, and sets *@retry
 * when the failure is transient.
 */
static int collect(struct gceb_http *http, struct xfer *x, CURLcode code, bool *retry)
{
	struct gceb_http_request *req = x->req;
	const char *ct = NULL;
	long status = 0;
	bool oom, limited;

	*retry = false;
	x->limited = false;
	(void)curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
	(void)curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct);
	req->status = status;
	http->counts[req->api][status >= 0 && status < STATUS_SLOTS ? status : 0]++;
	free(req->content_type);
	req->content_type = ct ? strdup(ct) : NULL;
	free(req->response);
	oom = x->body.oom || (ct && !req->content_type);
	req->response_len = x->body.len;
	req->response = gceb_buf_detach(&x->body);
	if (oom) {
		set_error(req, "%s '%s': out of memory", req->method, req->url);
		return GCEB_ENOMEM;
	}
	if (x->too_big) {
		set_error(req, "%s '%s': response larger than %zu bytes", req->method, req->url,
			  x->max_body);
		return GCEB_ENET;
	}
	if (code != CURLE_OK) {
		set_error(req, "%s '%s': %s", req->method, req->url,
			  x->errbuf[0] ? x->errbuf : curl_easy_strerror(code));
		*retry = true;
		return GCEB_ENET;
	}
	if (status >= 200 && status < 300)
		return 0;
	set_error(req, "%s '%s': HTTP %ld", req->method, req->url, status);
	limited = status == 403 && rate_limited(req);
	x->limited = status == 429 || limited;
	/* The HTML 404 of a Cloud Endpoints front end still starting: the API is not up yet. */
	if (status == 404 && x->endpoints && !is_json(req->content_type)) {
		*retry = true;
		return GCEB_ENET;
	}
	*retry = transient_status(status, limited);
	return status_result(status, limited);
}

static void add_timer(struct gceb_http *http, struct xfer *x)
{
	struct xfer **p = &http->timers;

	while (*p && (*p)->due_ms <= x->due_ms)
		p = &(*p)->next;
	x->next = *p;
	*p = x;
}

/* Full jitter: uniform in [0, min(cap, base * 2^(attempt-1))]. */
static int64_t backoff_ms(struct gceb_http *http, unsigned attempt)
{
	int64_t ceiling = http->o.backoff_base_ms;

	while (--attempt > 0 && ceiling < BACKOFF_CAP_MS)
		ceiling *= 2;
	if (ceiling > BACKOFF_CAP_MS)
		ceiling = BACKOFF_CAP_MS;
	return (int64_t)(rng_next(http) % (uint64_t)(ceiling + 1));
}

/*
 * Whether a 401 or 403 (not a rate limit) gets one more attempt with a fresh
 * token (design/auth.md): the first such answer per API drops the token, so
 * that the next attempt fetches another; a request sent before that drop is
 * retried once with the new token too. Once a fresh token was refused as
 * well, the credentials are refused.
 */
static bool retry_with_fresh_token(struct gceb_http *http, struct xfer *x, int r)
{
	enum gceb_api api = x->req->api;

	if (r != GCEB_EAUTH || !http->auth || x->auth_retried ||
	    (x->req->status != 401 && x->req->status != 403))
		return false;
	if (x->token_gen == http->token_gen[api] && http->refreshed[api])
		return false; /* refused with the fresh token already */
	if (x->token_gen == http->token_gen[api]) {
		gceb_auth_forget(http->auth, api_scope[api]);
		http->refreshed[api] = true;
		http->token_gen[api]++;
	}
	x->auth_retried = true;
	return true;
}

static void finish_attempt(struct gceb_http *http, struct xfer *x, CURLcode code)
{
	struct gceb_http_request *req = x->req;
	const char *failure = NULL;
	curl_off_t retry_after = 0;
	int64_t now = now_ms(), wait;
	char next[64] = "";
	bool retry, again = false;
	int r;

	unlink_flying(http, x);
	r = collect(http, x, code, &retry);
	(void)curl_easy_getinfo(x->easy, CURLINFO_RETRY_AFTER, &retry_after);
	release_easy(http, x);
	if (x->too_big)
		failure = "response over max_response_bytes";
	else if (code != CURLE_OK)
		failure = x->errbuf[0] ? x->errbuf : curl_easy_strerror(code);

	wait = backoff_ms(http, req->attempts);
	if (retry_after > RETRY_AFTER_MAX_MS / 1000)
		wait = RETRY_AFTER_MAX_MS + 1;
	else if (retry_after * 1000 > wait)
		wait = (int64_t)retry_after * 1000;
	if (retry_with_fresh_token(http, x, r)) {
		/* Not a transient failure: no back-off, and not one of max_attempts. */
		(void)snprintf(next, sizeof(next), ", retrying with a fresh token");
		wait = 0;
		again = true;
	} else if (retry && req->attempts >= http->o.max_attempts) {
		(void)snprintf(next, sizeof(next), ", giving up: no attempts left");
	} else if (retry && wait > RETRY_AFTER_MAX_MS) {
		(void)snprintf(next, sizeof(next), ", giving up: Retry-After too long");
	} else if (retry && http->deadline && now + wait >= http->deadline) {
		(void)snprintf(next, sizeof(next), ", giving up: the deadline is too close");
	} else if (retry) {
		(void)snprintf(next, sizeof(next), ", retrying in %lld ms", (long long)wait);
		again = true;
	}
	/* Method, URL and outcome only: headers (and so the token) are never logged. */
	gceb_debug("%s '%s': attempt %u after %lld ms: HTTP %ld%s%s%s", req->method, req->url,
		   req->attempts, (long long)(now - x->first_ms), req->status, failure ? ", " : "",
		   failure ? failure : "", next);
	if (again) {
		x->due_ms = now + wait;
		add_timer(http, x);
		return;
	}
	complete(http, x, r);
}

static void reap(struct gceb_http *http)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(http->multi, &left))) {
		CURLcode code = m->data.result;
		char *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		(void)curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &x);
		/* m is invalid once its handle is removed, so code was copied out. */
		finish_attempt(http, (struct xfer *)(void *)x, code);
	}
}

/*
 * Fail every request still held; those that callbacks submit meanwhile fail
 * too. One waiting to retry after a rate limit fails as rate-limited.
 * Returns whether every one failed so (and at least one failed).
 */
static bool fail_all(struct gceb_http *http, int result, const char *why)
{
	bool all_limited = true, any = false;

	for (;;) {
		struct xfer *x = http->flying;

		if (x) {
			unlink_flying(http, x);
		} else if (http->timers) {
			x = http->timers;
			http->timers = x->next;
		} else {
			x = pop_ready(http);
		}
		if (!x)
			break;
		any = true;
		all_limited = all_limited && x->limited;
		set_error(x->req, "%s '%s': %s%s", x->req->method, x->req->url, why,
			  x->limited ? " while rate-limited" : "");
		complete(http, x, x->limited ? GCEB_ERATELIMIT : result);
	}
	return any && all_limited;
}

static int64_t poll_wait_ms(const struct gceb_http *http, int64_t now)
{
	int64_t wait = 1000;

	if ((http->ready && http->n_flying < http->o.max_concurrency) ||
	    (!http->flying && !http->timers))
		return 0;
	if (http->timers && http->timers->due_ms - now < wait)
		wait = http->timers->due_ms - now;
	if (http->deadline && http->deadline - now < wait)
		wait = http->deadline - now;
	return wait > 0 ? wait : 0;
}

/* Waits for what comes first (a socket, libcurl's timer, ours) and lets libcurl act on it. */
static CURLMcode drive(struct gceb_http *http, int *running)
{
	int64_t wait = poll_wait_ms(http, now_ms());
	size_t i, n = 0;
	CURLMcode mc = CURLM_OK;
	int k;

	if (http->curl_due >= 0 && http->curl_due - now_ms() < wait)
		wait = http->curl_due - now_ms() > 0 ? http->curl_due - now_ms() : 0;
	k = poll(http->fds, (nfds_t)http->n_fds, (int)wait);
	if (k < 0 && errno != EINTR)
		return CURLM_OUT_OF_MEMORY; /* poll fails only for want of memory here */
	/* The callbacks change http->fds, so act on a copy of the ready ones. */
	for (i = 0; k > 0 && i < http->n_fds; i++)
		if (http->fds[i].revents)
			http->hits[n++] = http->fds[i];
	for (i = 0; mc == CURLM_OK && i < n; i++) {
		short re = http->hits[i].revents;
		int ev = ((re & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
			 ((re & POLLOUT) ? CURL_CSELECT_OUT : 0) |
			 ((re & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);

		mc = curl_multi_socket_action(http->multi, http->hits[i].fd, ev, running);
	}
	if (mc == CURLM_OK && http->curl_due >= 0 && now_ms() >= http->curl_due) {
		http->curl_due = -1; /* the callback may set the next one */
		mc = curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, running);
	}
	return mc;
}

int gceb_http_run(struct gceb_http *http, struct gceb_err *err)
{
	int r = 0;

	assert(!http->running); /* not from a callback */
	http->running = true;
	for (;;) {
		int64_t now = now_ms();
		CURLMcode mc;
		int running;

		if (!http->flying && !http->ready && !http->timers)
			break;
		/*
		 * Within DEADLINE_SLACK_MS of the deadline nothing more can be
		 * answered: curl cuts an attempt to what is left and may end it a
		 * millisecond early, which must not start a queued request.
		 */
		if (http->deadline && now + DEADLINE_SLACK_MS >= http->deadline) {
			bool limited = fail_all(http, GCEB_ENET, "the run's deadline passed");

			r = gceb_err_set(err, limited ? GCEB_ERATELIMIT : GCEB_ENET,
					 "the run's deadline of %ld ms passed%s",
					 http->o.deadline_ms, limited ? " while rate-limited" : "");
			break;
		}
		while (http->timers && http->timers->due_ms <= now) {
			struct xfer *x = http->timers;

			http->timers = x->next;
			push_ready(http, x);
		}
		while (http->ready && http->n_flying < http->o.max_concurrency)
			start(http, pop_ready(http));

		settle(http);
		mc = drive(http, &running);
		if (mc == CURLM_OK)
			reap(http);
		if (mc != CURLM_OK) {
			(void)fail_all(http, GCEB_ENET, curl_multi_strerror(mc));
			r = gceb_err_set(err, GCEB_ENET, "libcurl: %s", curl_multi_strerror(mc));
			break;
		}
	}
	http->running = false;
	return r;
}

void gceb_http_before_io(struct gceb_http *http, void (*fn)(void *payload), void *payload)
{
	http->before_io = fn;
	http->before_io_payload = payload;
}

unsigned long gceb_http_count(const struct gceb_http *http, enum gceb_api api, long status)
{
	if ((unsigned)api >= GCEB_API_COUNT || status < 0 || status >= STATUS_SLOTS)
		return 0;
	return http->counts[api][status];
}
