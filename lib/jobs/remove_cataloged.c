/* SPDX-License-Identifier: Apache-2.0 */
/*
 * remove_cataloged.c - gceb-remove-cataloged-instances: take every instance
 * of a drained group out of the Machine Provider catalog and mark it for
 * deletion (behaviour.md §4.11). A leased machine is refused (LEASED) and
 * waits until Machine Provider reclaims it.
 */
#include <stdlib.h>
#include <string.h>

#include "drained.h"
#include "gceb/jobs.h"
#include "instance_mark.h"
#include "mp.h"
#include "run.h"

static void on_delete(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct run_item *item = payload;
	struct gceb_err e = { 0 };
	char *error = NULL;

	(void)http;
	if (req->result < 0) {
		run_item_fail_request(item, req);
	} else if (gceb_mp_parse_manipulation(req->response, req->response_len, &error, &e) < 0) {
		run_fail(item->run, "instance", item->key, "%s: %s", req->url, e.msg);
	} else if (!error || !strcmp(error, "ENTRY_NOT_FOUND")) {
		(void)run_update(item->run, "instance", GCEB_KIND_INSTANCE, item->key,
				 mark_for_deletion, NULL);
	} else if (!strcmp(error, "LEASED")) {
		/* In use: it goes once its lease ends and Machine Provider reclaims it. */
		gceb_info("instance '%s' is leased: waiting for its lease to end", item->key);
	} else {
		run_fail(item->run, "instance", item->key, "delete_machine: %s", error);
	}
	free(error);
	free(item);
}

/* REM-1: the instance still exists and is not pending deletion. */
static int build(struct gceb_run *run, const char *key, struct gceb_http_request **out,
		 struct gceb_err *err)
{
	Gceb__State__Instance *in = NULL;
	char name[64];
	int rc;

	*out = NULL;
	rc = run_load(run, GCEB_KIND_INSTANCE, key, (void **)&in, err);
	if (rc == 0 && in && !in->pending_deletion && gceb_key_token(key, 3, name, sizeof(name)))
		rc = gceb_mp_delete_machine(run->job->mp_server, name, out, err);
	gceb_entity_free(in);
	return rc;
}

/* Instances of the drained groups (§2.10) not yet pending deletion. */
static int scan(struct gceb_run *run, struct key_list *keys)
{
	struct gceb_txn *txn = NULL;
	char **groups = NULL;
	size_t n = 0, i, j;
	int r;

	r = gceb_store_begin(run->job->store, false, &txn, &run->job->err);
	if (r < 0)
		return r;
	r = drained_igm_set(txn, &groups, &n, &run->job->err);
	for (i = 0; r == 0 && i < n; i++) {
		Gceb__State__InstanceGroupManager *g = NULL;

		r = gceb_txn_get(txn, GCEB_KIND_IGM, groups[i], (ProtobufCMessage **)&g,
				 &run->job->err);
		if (r == GCEB_ENOTFOUND) {
			r = 0;
			continue;
		}
		for (j = 0; r == 0 && j < g->n_instances; j++) {
			Gceb__State__Instance *in = NULL;

			r = gceb_txn_get(txn, GCEB_KIND_INSTANCE, g->instances[j],
					 (ProtobufCMessage **)&in, &run->job->err);
			if (r == GCEB_ENOTFOUND) {
				r = 0;
				continue;
			}
			if (r == 0 && !in->pending_deletion &&
			    gceb_strv_push(&keys->v, &keys->n, g->instances[j]) < 0)
				r = gceb_err_set(&run->job->err, GCEB_ENOMEM, "out of memory");
			gceb_entity_free(in);
		}
		gceb_entity_free(g);
	}
	drained_free(groups, n);
	gceb_txn_abort(&txn);
	return r;
}

int gceb_remove_cataloged_instances_run(struct gceb_job *job)
{
	struct key_list keys = { 0 };
	struct gceb_run run;
	int r;

	run_init(&run, job);
	r = scan(&run, &keys);
	if (r == 0)
		r = run_items(&run, "instance", &keys, build, on_delete);
	key_list_release(&keys);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
