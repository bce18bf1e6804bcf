/* SPDX-License-Identifier: Apache-2.0 */
/* create.c - insert a GCE resource and wait for its operation */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "gce.h"

void create_free(struct create_item *item)
{
	free(item->project);
	free(item->template_url);
	free(item);
}

struct set_url {
	const struct create_kind *k;
	const char *url;       /* set url to this (NULL: leave it) */
	const char *operation; /* set insert_operation to this (NULL: leave it) */
	const char *clear_if;  /* clear insert_operation if it equals this */
};

/* Re-check in the write transaction: the entity may have changed since the scan. */
static int apply(ProtobufCMessage **msg, void *payload)
{
	const struct set_url *s = payload;
	char **url, **op;

	if (!*msg)
		return GCEB_UPDATE_KEEP;
	url = s->k->url(*msg);
	op = s->k->operation(*msg);
	if (s->url && (!*url || strcmp(*url, s->url) != 0) && gceb_set_string(url, s->url) < 0)
		return GCEB_ENOMEM;
	if (s->url && gceb_set_string(op, NULL) < 0)
		return GCEB_ENOMEM;
	if (s->operation && !*url && gceb_set_string(op, s->operation) < 0)
		return GCEB_ENOMEM;
	if (s->clear_if && *op && !strcmp(*op, s->clear_if) && gceb_set_string(op, NULL) < 0)
		return GCEB_ENOMEM;
	return GCEB_UPDATE_KEEP;
}

static void update(struct create_item *item, const struct set_url *s)
{
	(void)run_update(item->run, item->k->what, item->k->kind, item->key, apply, (void *)s);
}

static void fail_request(struct create_item *item, const struct gceb_http_request *req)
{
	char why[1024];

	run_describe(req, why, sizeof(why));
	run_fail(item->run, item->k->what, item->key, "%s", why);
}

static void on_poll(struct gceb_http *http, struct gceb_http_request *req, void *payload);

/* A server-minted link must resolve onto the configured root (decisions.md). */
static bool link_ok(struct create_item *item, const char *link)
{
	struct gceb_err e = { 0 };
	char *url = NULL;
	int r = gceb_gce_resolve(item->run->root, link, &url, &e);

	free(url);
	if (r < 0)
		run_fail(item->run, item->k->what, item->key, "refusing link '%s': %s", link,
			 e.msg);
	return r == 0;
}

static void poll_operation(struct create_item *item, const char *op_url)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };

	if (gceb_gce_get_stored(item->run->root, op_url, &req, &e) < 0 ||
	    run_submit(item->run, req, on_poll, item) < 0) {
		run_fail(item->run, item->k->what, item->key, "operation '%s': %s", op_url,
			 e.msg[0] ? e.msg : "out of memory");
		create_free(item);
	}
}

/* An operation answer, from the insert itself or from a poll. Frees @item when done. */
static void handle_operation(struct create_item *item, const struct gceb_http_request *req,
			     bool may_poll)
{
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };

	if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_fail(item->run, item->k->what, item->key, "%s %s: %s", req->method, req->url,
			 e.msg);
	} else if (op.done && op.has_error) {
		run_fail(item->run, item->k->what, item->key,
			 "insert failed: %s: %s; it will be retried",
			 op.error_code ? op.error_code : "error",
			 op.error_message ? op.error_message : "(no message)");
		update(item, &(struct set_url){ .k = item->k, .clear_if = op.self_link });
	} else if (op.done && !op.target_link) {
		run_fail(item->run, item->k->what, item->key, "operation '%s' has no targetLink",
			 op.self_link);
	} else if (op.done && !link_ok(item, op.target_link)) {
		/* Never store a link on another host: its token would follow it. */
	} else if (op.done) {
		update(item, &(struct set_url){ .k = item->k, .url = op.target_link });
	} else {
		update(item, &(struct set_url){ .k = item->k, .operation = op.self_link });
		if (may_poll) {
			/* One poll now: most inserts finish within a round trip or two. */
			char *url = op.self_link;

			op.self_link = NULL;
			gceb_gce_operation_release(&op);
			poll_operation(item, url);
			free(url);
			return;
		}
	}
	gceb_gce_operation_release(&op);
	create_free(item);
}

static void on_poll(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct create_item *item = payload;

	(void)http;
	if (req->result == GCEB_ENOTFOUND) {
		/* Operations expire: forget it; a new insert finds the resource with a 409. */
		update(item, &(struct set_url){ .k = item->k, .clear_if = req->url });
		create_free(item);
		return;
	}
	if (req->result < 0) {
		fail_request(item, req);
		create_free(item);
		return;
	}
	handle_operation(item, req, false);
}

static void on_get(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct create_item *item = payload;
	struct gceb_err e = { 0 };
	char *self = NULL;

	(void)http;
	if (req->result == GCEB_ENOTFOUND)
		/* Taken (409) but not there yet: the first insert is still running. */
		gceb_info("%s '%s': being created by an earlier insert; next run looks again",
			  item->k->what, item->key);
	else if (req->result < 0)
		fail_request(item, req);
	else if (gceb_gce_parse_self_link(req->response, req->response_len, &self, &e) < 0)
		run_fail(item->run, item->k->what, item->key, "%s %s: %s", req->method, req->url,
			 e.msg);
	else if (link_ok(item, self))
		update(item, &(struct set_url){ .k = item->k, .url = self });
	free(self);
	create_free(item);
}

static void on_insert(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct create_item *item = payload;
	struct gceb_http_request *get = NULL;
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result == GCEB_EEXIST) {
		/* It exists already (a crash after the insert, or a retry): adopt it. */
		if (item->k->get(item, &get, &e) < 0 ||
		    run_submit(item->run, get, on_get, item) < 0) {
			run_fail(item->run, item->k->what, item->key, "%s",
				 e.msg[0] ? e.msg : "out of memory");
			create_free(item);
		}
		return;
	}
	if (req->result < 0) {
		fail_request(item, req);
		create_free(item);
		return;
	}
	handle_operation(item, req, true);
}

void create_start(struct create_item *item)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };
	ProtobufCMessage *msg = NULL;
	char *pending = NULL;
	int r;

	item->run->items++;
	if (run_load(item->run, item->k->kind, item->key, (void **)&msg, &e) < 0) {
		run_fail(item->run, item->k->what, item->key, "%s", e.msg);
		goto out;
	}
	if (!msg || *item->k->url(msg))
		goto out; /* gone, or created meanwhile */
	pending = *item->k->operation(msg);
	if (pending) {
		poll_operation(item, pending);
		item = NULL;
		goto out;
	}
	if (item->poll_only)
		goto out; /* drained since: nothing is inserted for it any more */
	if (item->k->insert(item, msg, &req, &e) < 0) {
		run_fail(item->run, item->k->what, item->key, "%s", e.msg);
		goto out;
	}
	r = run_submit(item->run, req, on_insert, item);
	if (r < 0)
		run_fail(item->run, item->k->what, item->key, "out of memory");
	if (r == 0)
		item = NULL;
out:
	gceb_entity_free(msg);
	if (item)
		create_free(item);
}

int create_scan_add(struct create_scan *s, const char *key, const char *project,
		    const char *template_url)
{
	struct create_item *item = calloc(1, sizeof(*item)), **v;

	v = realloc(s->items, (s->n + 1) * sizeof(*v));
	if (v)
		s->items = v;
	if (!item || !v || !(item->project = strdup(project)) ||
	    (template_url && !(item->template_url = strdup(template_url)))) {
		if (item)
			create_free(item);
		return GCEB_ENOMEM;
	}
	item->run = s->run;
	item->k = s->k;
	(void)snprintf(item->key, sizeof(item->key), "%s", key);
	(void)gceb_key_token(key, 0, item->base, sizeof(item->base));
	(void)gceb_key_token(key, 1, item->rev, sizeof(item->rev));
	(void)gceb_key_token(key, 2, item->zone, sizeof(item->zone));
	s->items[s->n++] = item;
	return 0;
}

int create_run(struct gceb_job *job, const struct create_kind *k, gceb_store_visit_fn visit)
{
	struct gceb_run run;
	struct create_scan s = { .run = &run, .k = k };
	size_t i;
	int r;

	run_init(&run, job);
	r = gceb_store_begin(job->store, false, &s.txn, &job->err);
	if (r < 0)
		return r;
	r = gceb_txn_foreach(s.txn, GCEB_KIND_TEMPLATE, NULL, visit, &s, &job->err);
	gceb_txn_abort(&s.txn);
	for (i = 0; i < s.n; i++) {
		if (r == 0)
			create_start(s.items[i]); /* takes the item over */
		else
			create_free(s.items[i]);
	}
	free(s.items);
	if (r == GCEB_ENOMEM && !job->err.msg[0])
		gceb_err_set(&job->err, r, "out of memory");
	if (r == 0)
		r = run_wait(&run);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
