/* SPDX-License-Identifier: Apache-2.0 */
/* emu_http.c - libmicrohttpd glue: accumulate a request, route it, answer it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "emu.h"
#include "emu_http.h"

/* Called first for every request, with the raw URI: the request starts here. */
static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct emu_req *req = emu_xcalloc(1, sizeof(*req));
	const char *q = strchr(uri, '?');
	char *p, *amp;

	req->conn = conn;
	if (!q) {
		req->path = emu_xstrdup(uri);
		req->query = emu_xstrdup("");
		return req;
	}
	req->path = emu_xstrndup(uri, (size_t)(q - uri));
	req->query = emu_xstrdup(q + 1);

	/* Parsed here rather than by MHD so that the raw query stays available. */
	p = emu_xstrdup(q + 1);
	req->args[0].key = p; /* args[0].key owns the copy, see free_req() */
	while (p && *p && req->nargs < EMU_MAX_ARGS) {
		char *eq;

		amp = strchr(p, '&');
		if (amp)
			*amp = '\0';
		eq = strchr(p, '=');
		if (eq)
			*eq = '\0';
		req->args[req->nargs].key = p;
		req->args[req->nargs].val = eq ? eq + 1 : p + strlen(p);
		(void)emu_pct_decode(req->args[req->nargs].key, true);
		(void)emu_pct_decode(req->args[req->nargs].val, true);
		req->nargs++;
		p = amp ? amp + 1 : NULL;
	}
	if (!req->nargs)
		free(req->args[0].key);
	return req;
}

static void free_req(struct emu_req *req)
{
	if (!req)
		return;
	if (req->nargs)
		free(req->args[0].key);
	free(req->path);
	free(req->query);
	free(req->body);
	free(req->segbuf);
	free(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	free_req(*con_cls);
	*con_cls = NULL;
}

/* Keep the path raw: LUCI config needs to split on '/' before decoding. */
static size_t no_unescape(void *cls, struct MHD_Connection *conn, char *s)
{
	return strlen(s);
}

const char *emu_req_header(struct emu_req *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *emu_req_arg(const struct emu_req *req, const char *name)
{
	size_t i;

	for (i = 0; i < req->nargs; i++) {
		if (strcmp(req->args[i].key, name) == 0)
			return req->args[i].val;
	}
	return NULL;
}

bool emu_req_is(const struct emu_req *req, const char *method)
{
	return strcmp(req->method, method) == 0;
}

int emu_req_split(struct emu_req *req)
{
	char *p, *s;

	free(req->segbuf);
	req->segbuf = emu_xstrdup(req->path);
	req->nsegs = 0;
	p = req->segbuf;
	while (*p == '/')
		p++;
	while (*p) {
		if (req->nsegs == EMU_MAX_SEGS)
			return -1;
		s = strchr(p, '/');
		if (s)
			*s = '\0';
		(void)emu_pct_decode(p, false);
		req->segs[req->nsegs++] = p;
		if (!s)
			break;
		p = s + 1;
	}
	return 0;
}

int emu_req_json(struct emu_req *req, cJSON **out, struct emu_reply *rep)
{
	const char *end = NULL;
	cJSON *j;
	size_t i;

	*out = NULL;
	for (i = 0; i < req->body_len; i++) {
		if (!strchr(" \t\r\n", req->body[i]))
			break;
	}
	if (i == req->body_len)
		return 0;
	j = cJSON_ParseWithLengthOpts(req->body, req->body_len, &end, 0);
	if (j && end) {
		for (; end < req->body + req->body_len; end++) {
			if (!strchr(" \t\r\n", *end))
				break;
		}
	}
	if (!j || end != req->body + req->body_len) {
		cJSON_Delete(j);
		emu_reply_error(rep, 400, "parseError",
				"Invalid JSON payload received. Unexpected token.");
		return -1;
	}
	*out = j;
	return 0;
}

void emu_reply_release(struct emu_reply *rep)
{
	free(rep->body);
	rep->body = NULL;
	rep->len = 0;
}

void emu_reply_json(struct emu_reply *rep, unsigned status, cJSON *json)
{
	emu_reply_release(rep);
	rep->status = status;
	rep->body = cJSON_PrintUnformatted(json);
	rep->len = strlen(rep->body);
	rep->ctype = "application/json; charset=UTF-8";
	cJSON_Delete(json);
}

void emu_reply_text(struct emu_reply *rep, unsigned status, const char *ctype, const char *text)
{
	emu_reply_release(rep);
	rep->status = status;
	rep->body = emu_xstrdup(text);
	rep->len = strlen(text);
	rep->ctype = ctype;
}

/* The Google error envelope (docs/design/compute.md). */
void emu_reply_error(struct emu_reply *rep, unsigned status, const char *reason, const char *fmt,
		     ...)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *err = cJSON_AddObjectToObject(root, "error");
	cJSON *item = cJSON_CreateObject();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddNumberToObject(err, "code", status);
	cJSON_AddStringToObject(err, "message", msg);
	cJSON_AddStringToObject(item, "domain", "global");
	cJSON_AddStringToObject(item, "reason", reason);
	cJSON_AddStringToObject(item, "message", msg);
	cJSON_AddItemToArray(cJSON_AddArrayToObject(err, "errors"), item);
	emu_reply_json(rep, status, root);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void route(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	const char *p = req->path;

	if (emu_req_split(req) < 0) {
		emu_reply_error(rep, 404, "notFound", "The requested URL was not found.");
		return;
	}
	if (has_prefix(p, "/compute/v1/"))
		emu_gce_handle(e, req, rep);
	else if (has_prefix(p, "/_ah/api/catalog/v1/") ||
		 has_prefix(p, "/_ah/api/machine_provider/v1/"))
		emu_mp_handle(e, req, rep);
	else if (has_prefix(p, "/_ah/api/config/v1/"))
		emu_luci_handle(e, req, rep);
	else if (strcmp(p, "/token") == 0)
		emu_auth_handle_token(e, req, rep);
	else if (has_prefix(p, "/computeMetadata/v1/"))
		emu_auth_handle_metadata(e, req, rep);
	else
		emu_reply_error(rep, 404, "notFound", "The requested URL was not found.");
}

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
				      const char *value)
{
	char **acc = cls;
	char *n = emu_xasprintf("%s%s: %s\n", *acc ? *acc : "", key, value ? value : "");

	free(*acc);
	*acc = n;
	return MHD_YES;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, struct emu_reply *rep)
{
	struct MHD_Response *resp;
	enum MHD_Result r;

	resp = MHD_create_response_from_buffer_with_free_callback(rep->len, rep->body, free);
	if (!resp)
		return MHD_NO;
	rep->body = NULL; /* the response owns it now */
	if (rep->ctype)
		(void)MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, rep->ctype);
	if (rep->hdr_name)
		(void)MHD_add_response_header(resp, rep->hdr_name, rep->hdr_value);
	r = MHD_queue_response(conn, rep->status, resp);
	MHD_destroy_response(resp);
	return r;
}

static enum MHD_Result finish(struct emu *e, struct emu_req *req)
{
	struct emu_reply rep = { .status = 500 };
	struct emu_fault_hit hit = { .action = EMU_FAULT_NONE };
	char *headers = NULL;
	bool control = has_prefix(req->path, "/_emu/");
	int64_t delay = 0;
	enum MHD_Result r;

	if (!control && e->log_cap)
		(void)MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_header,
						&headers);

	(void)pthread_mutex_lock(&e->lock);
	emu_run_timers(e);
	if (req->too_large)
		emu_reply_error(&rep, 413, "requestTooLarge", "Request body exceeds %zu bytes.",
				EMU_BODY_MAX);
	else if (!control && emu_fault_match(e, req, &hit) && hit.action == EMU_FAULT_STATUS)
		emu_reply_text(&rep, hit.status, hit.ctype, hit.body);
	else if (hit.action != EMU_FAULT_RESET && control)
		emu_control_handle(e, req, &rep);
	else if (hit.action != EMU_FAULT_RESET)
		route(e, req, &rep);
	if (!control) {
		emu_log_add(e, req, headers, hit.action == EMU_FAULT_RESET ? 0 : rep.status);
		delay = e->k.latency_ms;
	}
	/* Any request may finish an operation someone waits for. */
	(void)pthread_cond_broadcast(&e->changed);
	(void)pthread_mutex_unlock(&e->lock);

	free(headers);
	delay += hit.delay_ms;
	if (delay > 0)
		sleep_ms(delay);
	if (hit.action == EMU_FAULT_RESET) {
		r = MHD_NO; /* MHD closes the connection without an answer */
	} else {
		if (hit.action == EMU_FAULT_TRUNCATE)
			rep.len /= 2;
		r = send_reply(req->conn, &rep);
	}
	emu_reply_release(&rep);
	free(hit.body);
	free(hit.ctype); /* rep.ctype may point here */
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct emu *e = cls;
	struct emu_req *req = *con_cls;
	const char *cl;

	if (!req)
		return MHD_NO;
	if (!req->method) {
		req->method = method;
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						 MHD_HTTP_HEADER_CONTENT_LENGTH);
		/*
		 * Read the body to the end and drop it, then answer 413: an answer
		 * before the body is read makes MHD close the connection while the
		 * client still sends, and the client may then see a reset before it
		 * reads the 413 (emulator.garbage failed so, now and then).
		 */
		if (cl && strtoull(cl, NULL, 10) > EMU_BODY_MAX)
			req->too_large = true;
		return MHD_YES;
	}
	if (*upload_data_size) {
		size_t n = *upload_data_size;

		if (!req->too_large && req->body_len + n > EMU_BODY_MAX) {
			req->too_large = true;
			free(req->body);
			req->body = NULL;
			req->body_len = 0;
		}
		if (!req->too_large) {
			req->body = emu_xrealloc(req->body, req->body_len + n + 1);
			memcpy(req->body + req->body_len, upload_data, n);
			req->body_len += n;
			req->body[req->body_len] = '\0';
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return finish(e, req);
}

static void log_mhd(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
	(void)fputs("gceb-emulator: debug: ", stderr);
	(void)vfprintf(stderr, fmt, ap);
}

void *emu_http_start(struct emu *e, int fd, bool verbose)
{
	unsigned flags =
		MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL;

	if (verbose)
		flags |= MHD_USE_ERROR_LOG;
	return MHD_start_daemon(flags, 0, NULL, NULL, on_request, e, MHD_OPTION_EXTERNAL_LOGGER,
				log_mhd, e, MHD_OPTION_LISTEN_SOCKET, fd,
				MHD_OPTION_URI_LOG_CALLBACK, on_uri, e, MHD_OPTION_NOTIFY_COMPLETED,
				on_completed, e, MHD_OPTION_UNESCAPE_CALLBACK, no_unescape, e,
				MHD_OPTION_CONNECTION_TIMEOUT, 120U, MHD_OPTION_CONNECTION_LIMIT,
				1000U, MHD_OPTION_END);
}

void emu_http_stop(void *daemon)
{
	if (daemon)
		MHD_stop_daemon(daemon);
}
