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
#include "group_memo.h"
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

struct drained {
	char **groups; /* the drained IGM set */
	size_t n;
	struct group_memo memo;
};

/*
 * Instances of the drained groups (§2.10) not yet pending deletion, asked
 * from the instance's side: its key names its group's.
 */
static int pick(struct gceb_txn *txn, const char *key, const ProtobufCMessage *msg, void *payload,
		struct gceb_err *err)
{
	const Gceb__State__Instance *in = (const Gceb__State__Instance *)msg;
	struct drained *d = payload;
	gceb_key gk;
	int r;

	if (in->pending_deletion || !gceb_key_prefix(key, 3, gk) ||
	    gceb_strv_find(d->groups, d->n, gk) < 0)
		return 0;
	r = group_memo_load(&d->memo, txn, gk, err);
	return r < 0 ? r : group_memo_lists(&d->memo, key);
}

int gceb_remove_cataloged_instances_run(struct gceb_job *job)
{
	struct drained d = { .memo.verdict = -1 };
	struct run_source src = { .kind = GCEB_KIND_INSTANCE, .pick = pick, .payload = &d };
	struct gceb_txn *txn = NULL;
	struct gceb_run run;
	int r;

	run_init(&run, job);
	r = gceb_store_begin(job->store, false, &txn, &job->err);
	if (r < 0)
		return r;
	r = drained_igm_set(txn, &d.groups, &d.n, &job->err);
	gceb_txn_abort(&txn);
	/* Nothing drained, nothing to walk. */
	if (r == 0 && d.n > 0)
		r = run_items(&run, "instance", &src, build, on_delete);
	drained_free(d.groups, d.n);
	group_memo_release(&d.memo);
	if (r == 0)
		r = run_finish(&run);
	return r;
}
