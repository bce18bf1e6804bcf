/* SPDX-License-Identifier: Apache-2.0 */
/* testserver.c - the scripted libmicrohttpd server of the http and auth tests */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "testserver.h"

#define MAX_RECORDED 256

struct testserver {
	struct MHD_Daemon *d;
	unsigned short port;
	ts_handler_fn fn;
	void *arg;
	pthread_mutex_t lock;
	struct ts_request seen[MAX_RECORDED];
	unsigned n_seen;
	unsigned connections;
	unsigned active;
	unsigned max_active;
};

/* The body of one request as it arrives. */
struct upload {
	char *p;
	size_t len;
};

int64_t ts_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ts_script_handler(const struct ts_request *rq, struct ts_reply *reply, void *arg)
{
	struct ts_script *s = arg;

	*reply = s->replies[s->next < s->n ? s->next : s->n - 1];
	s->next++;
}

static char *header(struct MHD_Connection *c, const char *name)
{
	const char *v = MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);

	return v ? strdup(v) : NULL;
}

struct header_count {
	const char *name;
	unsigned n;
};

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct header_count *hc = cls;

	(void)kind;
	(void)value;
	if (!strcasecmp(key, hc->name))
		hc->n++;
	return MHD_YES;
}

/* Duplicates are what a header list that curl also fills in would give. */
static unsigned header_count(struct MHD_Connection *c, const char *name)
{
	struct header_count hc = { name, 0 };

	(void)MHD_get_connection_values(c, MHD_HEADER_KIND, count_header, &hc);
	return hc.n;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *data_size, void **con_cls)
{
	struct testserver *ts = cls;
	struct upload *up = *con_cls;
	struct ts_reply reply = { 0 };
	struct ts_request *rq = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	size_t len;

	if (!up) {
		*con_cls = calloc(1, sizeof(*up));
		return *con_cls ? MHD_YES : MHD_NO;
	}
	if (*data_size) {
		char *p = realloc(up->p, up->len + *data_size + 1);

		if (!p)
			return MHD_NO;
		memcpy(p + up->len, data, *data_size);
		up->p = p;
		up->len += *data_size;
		up->p[up->len] = '\0';
		*data_size = 0;
		return MHD_YES;
	}

	(void)pthread_mutex_lock(&ts->lock);
	if (ts->n_seen < MAX_RECORDED) {
		rq = &ts->seen[ts->n_seen++];
		(void)snprintf(rq->method, sizeof(rq->method), "%s", method);
		(void)snprintf(rq->path, sizeof(rq->path), "%s", url);
		rq->body = up->p ? up->p : strdup("");
		rq->body_len = up->len;
		up->p = NULL;
		rq->authorization = header(c, "Authorization");
		rq->content_type = header(c, "Content-Type");
		rq->content_length = header(c, "Content-Length");
		rq->metadata_flavor = header(c, "Metadata-Flavor");
		rq->user_agent = header(c, "User-Agent");
		rq->accept_encoding = header(c, "Accept-Encoding");
		rq->n_user_agent = header_count(c, "User-Agent");
		rq->n_accept_encoding = header_count(c, "Accept-Encoding");
		rq->at_ms = ts_now_ms();
		ts->fn(rq, &reply, ts->arg);
	}
	if (++ts->active > ts->max_active)
		ts->max_active = ts->active;
	(void)pthread_mutex_unlock(&ts->lock);

	if (reply.delay_ms)
		(void)usleep(reply.delay_ms * 1000U);
	(void)pthread_mutex_lock(&ts->lock);
	ts->active--;
	(void)pthread_mutex_unlock(&ts->lock);
	if (!rq || reply.reset)
		return MHD_NO; /* MHD drops the connection without an answer */

	len = reply.body_len ? reply.body_len : reply.body ? strlen(reply.body) : 0;
	resp = MHD_create_response_from_buffer(len, (void *)(reply.body ? reply.body : ""),
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	(void)MHD_add_response_header(resp, "Content-Type",
				      reply.content_type ? reply.content_type : "application/json");
	if (reply.retry_after)
		(void)MHD_add_response_header(resp, "Retry-After", reply.retry_after);
	if (reply.content_encoding)
		(void)MHD_add_response_header(resp, "Content-Encoding", reply.content_encoding);
	ret = MHD_queue_response(c, reply.status ? reply.status : 200, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct upload *up = *con_cls;

	if (up)
		free(up->p);
	free(up);
	*con_cls = NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	struct testserver *ts = cls;

	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	(void)pthread_mutex_lock(&ts->lock);
	ts->connections++;
	(void)pthread_mutex_unlock(&ts->lock);
}

struct testserver *ts_start(ts_handler_fn fn, void *arg)
{
	struct testserver *ts = calloc(1, sizeof(*ts));
	struct sockaddr_in sa = { 0 };
	const union MHD_DaemonInfo *info;

	if (!ts)
		return NULL;
	ts->fn = fn;
	ts->arg = arg;
	(void)pthread_mutex_init(&ts->lock, NULL);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ts->d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD, 0,
				 NULL, NULL, on_request, ts, MHD_OPTION_SOCK_ADDR, &sa,
				 MHD_OPTION_NOTIFY_COMPLETED, on_completed, ts,
				 MHD_OPTION_NOTIFY_CONNECTION, on_connection, ts, MHD_OPTION_END);
	info = ts->d ? MHD_get_daemon_info(ts->d, MHD_DAEMON_INFO_BIND_PORT) : NULL;
	if (!info) {
		ts_stop(ts);
		return NULL;
	}
	ts->port = info->port;
	return ts;
}

void ts_stop(struct testserver *ts)
{
	unsigned i;

	if (!ts)
		return;
	if (ts->d)
		MHD_stop_daemon(ts->d);
	for (i = 0; i < ts->n_seen; i++) {
		free(ts->seen[i].body);
		free(ts->seen[i].authorization);
		free(ts->seen[i].content_type);
		free(ts->seen[i].content_length);
		free(ts->seen[i].metadata_flavor);
		free(ts->seen[i].user_agent);
		free(ts->seen[i].accept_encoding);
	}
	(void)pthread_mutex_destroy(&ts->lock);
	free(ts);
}

const char *ts_url(const struct testserver *ts, const char *path, char *buf, size_t size)
{
	(void)snprintf(buf, size, "http://127.0.0.1:%u%s", (unsigned)ts->port, path);
	return buf;
}

unsigned ts_requests(struct testserver *ts)
{
	unsigned n;

	(void)pthread_mutex_lock(&ts->lock);
	n = ts->n_seen;
	(void)pthread_mutex_unlock(&ts->lock);
	return n;
}

/* Only for requests already answered: the record does not change after that. */
const struct ts_request *ts_request(struct testserver *ts, unsigned i)
{
	return i < ts_requests(ts) ? &ts->seen[i] : NULL;
}

unsigned ts_connections(struct testserver *ts)
{
	unsigned n;

	(void)pthread_mutex_lock(&ts->lock);
	n = ts->connections;
	(void)pthread_mutex_unlock(&ts->lock);
	return n;
}

unsigned ts_max_active(struct testserver *ts)
{
	unsigned n;

	(void)pthread_mutex_lock(&ts->lock);
	n = ts->max_active;
	(void)pthread_mutex_unlock(&ts->lock);
	return n;
}
