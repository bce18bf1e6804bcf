/* SPDX-License-Identifier: Apache-2.0 */
/* emu_fault.c - scripted faults matched by method and path, and the request log */
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static const char *default_reason(unsigned status)
{
	switch (status) {
	case 400:
		return "badRequest";
	case 401:
		return "authError";
	case 403:
		return "forbidden";
	case 404:
		return "notFound";
	case 409:
		return "alreadyExists";
	case 412:
		return "conditionNotMet";
	case 429:
		return "rateLimitExceeded";
	default:
		return status >= 500 ? "backendError" : "invalid";
	}
}

static const char *jstr(const cJSON *in, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(in, name);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static void fault_free(struct emu_fault *f)
{
	if (!f)
		return;
	free(f->method);
	free(f->path);
	free(f->body);
	free(f->ctype);
	free(f);
}

/*
 * A rule: {"method","path" (fnmatch pattern),"action":"status|reset|truncate|delay",
 * "status","reason","message","body","content_type","delay_ms","count","probability"}.
 */
int emu_fault_add(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	struct emu_fault *f = emu_xcalloc(1, sizeof(*f));
	const char *action = jstr(in, "action");
	const char *path = jstr(in, "path");
	int64_t v;
	struct emu_fault **tail;
	const cJSON *p;

	if (!cJSON_IsObject(in) || !path) {
		emu_reply_error(rep, 400, "required", "a fault rule needs a 'path' pattern");
		fault_free(f);
		return -1;
	}
	f->path = emu_xstrdup(path);
	f->method = jstr(in, "method") ? emu_xstrdup(jstr(in, "method")) : NULL;
	f->status = emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "status"), &v) ?
			    (unsigned)v :
			    0;
	f->delay_ms =
		emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "delay_ms"), &v) ? v : 0;
	f->remaining = emu_json_get_int(cJSON_GetObjectItemCaseSensitive(in, "count"), &v) ? v : -1;
	p = cJSON_GetObjectItemCaseSensitive(in, "probability");
	f->probability = cJSON_IsNumber(p) ? p->valuedouble : 1.0;

	if (!action)
		action = f->status ? "status" : "delay";
	if (strcmp(action, "status") == 0)
		f->action = EMU_FAULT_STATUS;
	else if (strcmp(action, "reset") == 0)
		f->action = EMU_FAULT_RESET;
	else if (strcmp(action, "truncate") == 0)
		f->action = EMU_FAULT_TRUNCATE;
	else if (strcmp(action, "delay") == 0)
		f->action = EMU_FAULT_DELAY;
	if (f->action == EMU_FAULT_NONE ||
	    (f->action == EMU_FAULT_STATUS && (f->status < 100 || f->status > 599))) {
		emu_reply_error(rep, 400, "invalid", "bad fault action or status");
		fault_free(f);
		return -1;
	}
	if (f->action == EMU_FAULT_STATUS) {
		if (jstr(in, "body")) {
			f->body = emu_xstrdup(jstr(in, "body"));
			f->ctype =
				emu_xstrdup(jstr(in, "content_type") ? jstr(in, "content_type") :
								       "text/html; charset=UTF-8");
		} else {
			struct emu_reply tmp = { 0 };
			const char *reason = jstr(in, "reason");
			const char *msg = jstr(in, "message");

			emu_reply_error(&tmp, f->status,
					reason ? reason : default_reason(f->status), "%s",
					msg ? msg : "Injected fault");
			f->body = tmp.body;
			f->ctype = emu_xstrdup(jstr(in, "content_type") ? jstr(in, "content_type") :
									  tmp.ctype);
		}
	}
	for (tail = &e->faults; *tail; tail = &(*tail)->next)
		;
	*tail = f;
	return 0;
}

void emu_fault_clear(struct emu *e)
{
	while (e->faults) {
		struct emu_fault *f = e->faults;

		e->faults = f->next;
		fault_free(f);
	}
}

static const char *action_name(enum emu_fault_action a)
{
	switch (a) {
	case EMU_FAULT_STATUS:
		return "status";
	case EMU_FAULT_RESET:
		return "reset";
	case EMU_FAULT_TRUNCATE:
		return "truncate";
	case EMU_FAULT_DELAY:
		return "delay";
	case EMU_FAULT_NONE:
		break;
	}
	return "none";
}

cJSON *emu_fault_dump(struct emu *e)
{
	cJSON *arr = cJSON_CreateArray();
	const struct emu_fault *f;

	for (f = e->faults; f; f = f->next) {
		cJSON *o = cJSON_CreateObject();

		if (f->method)
			cJSON_AddStringToObject(o, "method", f->method);
		cJSON_AddStringToObject(o, "path", f->path);
		cJSON_AddStringToObject(o, "action", action_name(f->action));
		if (f->status)
			cJSON_AddNumberToObject(o, "status", f->status);
		if (f->delay_ms)
			cJSON_AddNumberToObject(o, "delay_ms", (double)f->delay_ms);
		cJSON_AddNumberToObject(o, "remaining", (double)f->remaining);
		cJSON_AddNumberToObject(o, "probability", f->probability);
		cJSON_AddNumberToObject(o, "hits", (double)f->hits);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

/* The first live rule that matches decides; its count goes down by one. */
bool emu_fault_match(struct emu *e, const struct emu_req *req, struct emu_fault_hit *hit)
{
	struct emu_fault *f;

	for (f = e->faults; f; f = f->next) {
		if (f->remaining == 0)
			continue;
		if (f->method && strcmp(f->method, req->method) != 0)
			continue;
		if (fnmatch(f->path, req->path, 0) != 0)
			continue;
		if (f->probability < 1.0 &&
		    (double)(emu_rand(e) >> 11) * 0x1.0p-53 >= f->probability)
			continue;
		if (f->remaining > 0)
			f->remaining--;
		f->hits++;
		hit->action = f->action;
		hit->status = f->status;
		hit->delay_ms = f->delay_ms;
		hit->body = f->body ? emu_xstrdup(f->body) : NULL;
		hit->ctype = f->ctype ? emu_xstrdup(f->ctype) : NULL;
		return true;
	}
	return false;
}

static void log_ent_release(struct emu_log_ent *l)
{
	free(l->method);
	free(l->path);
	free(l->query);
	free(l->headers);
	free(l->body);
	memset(l, 0, sizeof(*l));
}

/* A ring of the last log_cap requests; control requests are not recorded. */
/* Compute reads are GETs and the two list POSTs; writes are the other calls. */
static void emu_count(struct emu *e, const struct emu_req *req)
{
	const char *p = req->path;
	size_t n = strlen(p);

	if (!strncmp(p, "/compute/", 9)) {
		if (!strcmp(req->method, "GET") ||
		    (n >= 14 && !strcmp(p + n - 14, "/listInstances")) ||
		    (n >= 21 && !strcmp(p + n - 21, "/listManagedInstances")))
			e->count_compute_read++;
		else
			e->count_compute_write++;
	} else if (!strncmp(p, "/_ah/api/catalog/", 17) ||
		   !strncmp(p, "/_ah/api/machine_provider/", 26)) {
		e->count_mp++;
	} else {
		e->count_other++;
	}
}

cJSON *emu_stats_dump(const struct emu *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "requests",
				(double)(e->count_compute_read + e->count_compute_write +
					 e->count_mp + e->count_other));
	cJSON_AddNumberToObject(o, "compute_read", (double)e->count_compute_read);
	cJSON_AddNumberToObject(o, "compute_write", (double)e->count_compute_write);
	cJSON_AddNumberToObject(o, "machine_provider", (double)e->count_mp);
	cJSON_AddNumberToObject(o, "other", (double)e->count_other);
	cJSON_AddNumberToObject(o, "request_id_reused", (double)e->count_request_id_reused);
	return o;
}

void emu_log_add(struct emu *e, const struct emu_req *req, const char *headers, unsigned status)
{
	struct emu_log_ent *l;
	size_t n = req->body_len < EMU_LOG_BODY_MAX ? req->body_len : EMU_LOG_BODY_MAX;

	emu_count(e, req);
	if (!e->log_cap)
		return;
	l = &e->log[e->log_seq % e->log_cap];
	log_ent_release(l);
	l->seq = ++e->log_seq;
	l->time = emu_now(e);
	l->method = emu_xstrdup(req->method);
	l->path = emu_xstrdup(req->path);
	l->query = emu_xstrdup(req->query);
	l->headers = emu_xstrdup(headers ? headers : "");
	l->body = req->body ? emu_xstrndup(req->body, n) : emu_xstrdup("");
	l->body_len = req->body_len;
	l->status = status;
	if (e->log_len < e->log_cap)
		e->log_len++;
}

static cJSON *headers_json(const char *h)
{
	cJSON *o = cJSON_CreateObject();

	while (*h) {
		const char *nl = strchr(h, '\n');
		const char *colon = strstr(h, ": ");
		char *k, *v;

		if (!nl)
			break;
		if (colon && colon < nl) {
			k = emu_xstrndup(h, (size_t)(colon - h));
			v = emu_xstrndup(colon + 2, (size_t)(nl - colon - 2));
			cJSON_AddStringToObject(o, k, v);
			free(k);
			free(v);
		}
		h = nl + 1;
	}
	return o;
}

cJSON *emu_log_dump(struct emu *e, uint64_t since)
{
	cJSON *arr = cJSON_CreateArray();
	uint64_t s;

	for (s = e->log_seq - e->log_len + 1; s <= e->log_seq && e->log_len; s++) {
		const struct emu_log_ent *l = &e->log[(s - 1) % e->log_cap];
		char ts[40];
		cJSON *o;

		if (l->seq <= since)
			continue;
		o = cJSON_CreateObject();
		emu_rfc3339(l->time, ts, sizeof(ts));
		cJSON_AddNumberToObject(o, "seq", (double)l->seq);
		cJSON_AddStringToObject(o, "time", ts);
		cJSON_AddStringToObject(o, "method", l->method);
		cJSON_AddStringToObject(o, "path", l->path);
		cJSON_AddStringToObject(o, "query", l->query);
		cJSON_AddItemToObject(o, "headers", headers_json(l->headers));
		cJSON_AddStringToObject(o, "body", l->body);
		cJSON_AddNumberToObject(o, "body_length", (double)l->body_len);
		cJSON_AddNumberToObject(o, "status", l->status);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void emu_log_clear(struct emu *e)
{
	size_t i;

	for (i = 0; e->log && i < e->log_cap; i++)
		log_ent_release(&e->log[i]);
	e->log_len = 0;
}
