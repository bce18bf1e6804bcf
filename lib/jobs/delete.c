/* SPDX-License-Identifier: Apache-2.0 */
/* delete.c - DELETE a stored GCE URL and clear it */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "delete.h"
#include "entity.h"
#include "gce.h"

struct delete_item {
	struct gceb_run *run;
	const struct delete_kind *k;
	gceb_key key;
	char *url;
};

static void item_free(struct delete_item *item)
{
	free(item->url);
	free(item);
}

/* Clear the url only if it is still the one that was deleted. */
static int clear_url(ProtobufCMessage **msg, void *payload)
{
	const struct delete_item *item = payload;
	char **url;

	if (!*msg)
		return GCEB_UPDATE_KEEP;
	url = item->k->url(*msg);
	if (!*url || strcmp(*url, item->url) != 0)
		return GCEB_UPDATE_KEEP;
	if (gceb_set_string(url, NULL) < 0)
		return GCEB_ENOMEM;
	/* cleanup-entities waits for a 404 before it forgets the entity. */
	item->k->mark_delete_requested(*msg);
	return GCEB_UPDATE_KEEP;
}

/* Two links name the same resource if they resolve to the same URL on our root. */
static bool same_resource(const char *root, const char *a, const char *b)
{
	char *ra = NULL, *rb = NULL;
	bool same;

	if (!strcmp(a, b))
		return true;
	same = gceb_gce_resolve(root, a, &ra, NULL) == 0 &&
	       gceb_gce_resolve(root, b, &rb, NULL) == 0 && !strcmp(ra, rb);
	free(ra);
	free(rb);
	return same;
}

static void on_delete(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct delete_item *item = payload;
	struct gceb_gce_operation op = { 0 };
	struct gceb_err e = { 0 };
	char why[1024];

	(void)http;
	if (req->result == GCEB_ENOTFOUND) {
		(void)run_update(item->run, item->k->what, item->k->kind, item->key, clear_url,
				 item);
	} else if (req->result < 0) {
		run_describe(req, why, sizeof(why));
		run_fail(item->run, item->k->what, item->key, "%s", why);
	} else if (gceb_gce_parse_operation(req->response, req->response_len, &op, &e) < 0) {
		run_fail(item->run, item->k->what, item->key, "DELETE %s: %s", req->url, e.msg);
	} else if (!op.target_link || !same_resource(item->run->root, op.target_link, item->url)) {
		/* The reference's safety check: never forget a URL GCE did not confirm. */
		run_fail(item->run, item->k->what, item->key,
			 "DELETE %s answered for '%s', not for this resource", req->url,
			 op.target_link ? op.target_link : "(no targetLink)");
	} else {
		(void)run_update(item->run, item->k->what, item->k->kind, item->key, clear_url,
				 item);
	}
	gceb_gce_operation_release(&op);
	item_free(item);
}

static void start(struct gceb_run *run, const struct delete_kind *k, const char *key)
{
	struct delete_item *item = calloc(1, sizeof(*item));
	struct gceb_http_request *req = NULL;
	ProtobufCMessage *msg = NULL;
	struct gceb_err e = { 0 };
	const char *url;
	int r;

	if (!item) {
		run_fail(run, k->what, key, "out of memory");
		return;
	}
	*item = (struct delete_item){ .run = run, .k = k };
	(void)snprintf(item->key, sizeof(item->key), "%s", key);
	run->items++;
	if (run_load(run, k->kind, key, (void **)&msg, &e) < 0) {
		run_fail(run, k->what, key, "%s", e.msg);
		goto out;
	}
	url = msg ? k->deletable(msg) : NULL;
	if (!url)
		goto out;
	if (!(item->url = strdup(url))) {
		run_fail(run, k->what, key, "out of memory");
		goto out;
	}
	if (gceb_gce_delete_stored(run->root, item->url, &req, &e) < 0) {
		run_fail(run, k->what, key, "%s", e.msg);
		goto out;
	}
	r = run_submit(run, req, on_delete, item);
	if (r < 0)
		run_fail(run, k->what, key, "out of memory");
	if (r == 0)
		item = NULL;
out:
	gceb_entity_free(msg);
	if (item)
		item_free(item);
}

int delete_run(struct gceb_job *job, const struct delete_kind *k)
{
	struct gceb_txn *txn = NULL;
	struct gceb_run run;
	char **keys = NULL;
	size_t n = 0, i;
	int r;

	run_init(&run, job);
	r = gceb_store_begin(job->store, false, &txn, &job->err);
	if (r < 0)
		return r;
	r = k->scan(txn, &keys, &n, &job->err);
	gceb_txn_abort(&txn);
	for (i = 0; r == 0 && i < n; i++)
		start(&run, k, keys[i]);
	for (i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
	if (r == 0)
		r = run_wait(&run);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
