/* SPDX-License-Identifier: Apache-2.0 */
/*
 * resize_groups.c - gceb-resize-instance-groups: keep each active group at
 * max(minimum, ceil(1.1 x leased)), within its maximum less what older
 * revisions still hold in the zone, and at most idle + 100 per run
 * (docs/design/instances.md; an unset maximum means unlimited, capped at 1000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet.h"
#include "gce.h"
#include "gceb/jobs.h"
#include "run.h"

/* What the group's item knows once its counts are read. */
struct resize {
	char *project;
	char name[GCEB_GCE_NAME_MAX + 1];   /* the group asked for, and resized */
	uint32_t generation;                /* the group's resize_generation */
	char salt[GCEB_GCE_NONCE_LEN + 16]; /* its request_nonce and generation */
	struct gceb_gce_resize_input in;
};

static void resize_free(void *data)
{
	struct resize *z = data;

	if (z)
		free(z->project);
	free(z);
}

/* CMP-RID-3: once a resize is accepted, the next is a new request even at the same size. */
static int next_generation(Gceb__State__InstanceGroupManager **g, void *payload,
			   struct gceb_err *err)
{
	const uint32_t *sent = payload;

	if (*g && (*g)->resize_generation == *sent) {
		(*g)->resize_generation = *sent + 1;
		(*g)->has_resize_generation = true;
	}
	return GCEB_UPDATE_KEEP;
}

static void on_resize(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct resize *z = item->data;

	/* The answer's error list is ignored, as in the reference: the next run looks again. */
	if (req->result < 0)
		run_item_fail_request(item, req);
	else
		(void)run_update_group(item->run, item->what, &item->ref, next_generation,
				       &z->generation);
}

static void on_get(struct run_item *item, struct gceb_http_request *req, void *arg)
{
	struct resize *z = item->data;
	struct gceb_http_request *resize = NULL;
	struct gceb_gce_igm igm = { 0 };
	struct gceb_err e = { 0 };
	int64_t size;

	if (req->result < 0) {
		run_item_fail_request(item, req);
		goto out;
	}
	if (gceb_gce_parse_igm(req->response, req->response_len, &igm, &e) < 0) {
		run_item_fail_code(item, e.code, "%s: %s", req->url, e.msg);
		goto out;
	}
	if (!igm.has_none) {
		/* RSZ-2: without currentActions.none the idle count is unknown. */
		run_item_fail_code(item, GCEB_EPARSE, "%s: no currentActions.none in the answer",
				   req->url);
		goto out;
	}
	z->in.idle = igm.none;
	z->in.target_size = igm.target_size;
	if (!gceb_gce_resize_size(&z->in, &size))
		goto out;
	/* CMP-4: the group asked for, whatever name the answer gives. */
	if (gceb_gce_resize(item->run->root, z->project, item->ref.zone, z->name, (int32_t)size,
			    &resize, &e) < 0 ||
	    gceb_gce_add_request_id(resize, z->salt, &e) < 0) {
		gceb_http_request_free(resize);
		run_item_fail_code(item, e.code, "%s", e.msg);
		goto out;
	}
	gceb_info("group '%s': resize from %lld to %lld", item->key, (long long)igm.target_size,
		  (long long)size);
	(void)run_item_submit(item, resize, on_resize, NULL);
out:
	gceb_gce_igm_release(&igm);
}

struct count {
	const struct gceb_ref *self;
	const char *self_key;
	int64_t sum;
};

/* Σ members of the template's other groups in the same zone (any revision). */
static int count_other(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	struct count *c = payload;

	if (!gceb_ref_equal(&e->ref, c->self) && !strcmp(e->ref.zone, c->self->zone))
		c->sum += (int64_t)e->group->n_instances;
	return 0;
}

/* Leased instances of this group (a lease expiry, or leased indefinitely:
 * docs/design/departures.md). */
static int count_leased(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	const Gceb__State__Instance *in = e->instance;
	struct count *c = payload;

	if (in->instance_group_manager && !strcmp(in->instance_group_manager, c->self_key) &&
	    (in->has_lease_expiration_ts || in->leased_indefinitely))
		c->sum++;
	return 0;
}

/* RSZ-1: the group, its revision and the counts on one fresh read. */
static int prepare(struct gceb_txn *txn, const struct gceb_ref *ref, struct resize **out,
		   struct gceb_err *err)
{
	struct gceb_ref rref = gceb_ref_up(ref, GCEB_KIND_REVISION);
	struct gceb_ref tref = gceb_ref_up(ref, GCEB_KIND_TEMPLATE);
	gceb_key self;
	struct count other = { .self = ref }, leased = { .self = ref, .self_key = self };
	Gceb__State__InstanceGroupManager *g = NULL;
	Gceb__State__Revision *r = NULL;
	struct resize *z = NULL;
	int rc;

	*out = NULL;
	gceb_ref_key(ref, self);
	rc = gceb_fleet_get_group(txn, ref, &g, err);
	if (rc == 0)
		rc = gceb_fleet_get_revision(txn, &rref, &r, err);
	if (rc == GCEB_ENOTFOUND ||
	    (rc == 0 && (!g || !r || !g->url || !r->project || !*r->project))) {
		rc = 0;
		goto out;
	}
	if (rc != 0)
		goto out;
	z = calloc(1, sizeof(*z));
	if (!z || !(z->project = strdup(r->project))) {
		rc = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	rc = gceb_fleet_foreach(txn, GCEB_KIND_IGM, &tref, NULL, count_other, &other, err);
	if (rc == 0)
		rc = gceb_fleet_foreach(txn, GCEB_KIND_INSTANCE, ref, NULL, count_leased, &leased,
					err);
	if (rc < 0)
		goto out;
	/* CMP-RID-3: the group's lifecycle and how many resizes it had. */
	z->generation = g->resize_generation;
	(void)snprintf(z->salt, sizeof(z->salt), "%.*s/%u", GCEB_GCE_NONCE_LEN,
		       g->request_nonce ? g->request_nonce : "", (unsigned)z->generation);
	z->in.minimum_size = g->minimum_size;
	z->in.maximum_size = g->maximum_size;
	z->in.other = other.sum;
	z->in.leased = leased.sum;
	*out = z;
	z = NULL;
out:
	resize_free(z);
	gceb_entity_free(g);
	gceb_entity_free(r);
	return rc;
}

static int build(struct run_item *item, struct gceb_err *err)
{
	struct gceb_http_request *req = NULL;
	struct gceb_txn *txn = NULL;
	struct resize *z = NULL;
	int rc;

	rc = gceb_store_begin(item->run->job->store, false, &txn, err);
	if (rc == 0)
		rc = prepare(txn, &item->ref, &z, err);
	gceb_txn_abort(&txn);
	if (rc < 0 || !z)
		return rc;
	item->data = z;
	item->free_data = resize_free;
	rc = gceb_fleet_name(&item->ref, GCEB_NAME_GROUP, z->name, err);
	if (rc == 0)
		rc = gceb_gce_igm_get(item->run->root, z->project, item->ref.zone, z->name, &req,
				      err);
	if (rc == 0)
		rc = run_item_submit(item, req, on_get, NULL);
	return rc;
}

/* Every active group (fleet.h). @payload is the state memo. */
static int pick(struct gceb_txn *txn, const struct gceb_entity *e, void *payload,
		struct gceb_err *err)
{
	enum gceb_group_state state;
	int rc = gceb_state_memo_group(payload, txn, &e->ref, &state, err);

	return rc < 0 ? rc : state == GCEB_GROUP_ACTIVE;
}

static int run(struct gceb_job *job)
{
	struct gceb_state_memo m = { 0 };
	const struct run_source src = {
		.kind = GCEB_KIND_IGM, .pick = pick, .payload = &m, .what = "group", .build = build
	};
	int rc = run_job(job, &src);

	gceb_state_memo_release(&m);
	return rc;
}

const struct gceb_job_spec gceb_resize_instance_groups_spec = {
	.name = "resize-instance-groups",
	.summary = "Grow each active group to its minimum, or to 1.1 x its leased VMs.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP,
	.run = run,
};
