/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete_templates.c - gceb-delete-instance-templates: delete in GCE the
 * template of each drained revision whose groups are all gone
 * (behaviour.md §4.13).
 */
#include "delete.h"
#include "entity.h"
#include "gceb/jobs.h"

static char **revision_url(ProtobufCMessage *msg)
{
	return &((Gceb__State__Revision *)msg)->url;
}

static void revision_delete_requested(ProtobufCMessage *msg)
{
	Gceb__State__Revision *r = (Gceb__State__Revision *)msg;

	r->has_delete_requested = r->delete_requested = true;
}

/* DTP-7: nothing to delete while the revision still lists groups. */
static const char *deletable(const ProtobufCMessage *msg)
{
	const Gceb__State__Revision *r = (const Gceb__State__Revision *)msg;

	return r->n_active == 0 && r->n_drained == 0 && r->url && *r->url ? r->url : NULL;
}

struct collect {
	struct gceb_txn *txn;
	char ***keys;
	size_t *n;
	struct gceb_err *err;
};

static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct collect *c = payload;
	size_t i;
	int r = 0;

	(void)key;
	for (i = 0; r == 0 && i < t->n_drained; i++) {
		Gceb__State__Revision *rev = NULL;

		r = gceb_txn_get(c->txn, GCEB_KIND_REVISION, t->drained[i],
				 (ProtobufCMessage **)&rev, c->err);
		if (r == GCEB_ENOTFOUND) {
			r = 0;
			continue;
		}
		if (r == 0 && deletable(&rev->base) &&
		    gceb_strv_push(c->keys, c->n, t->drained[i]) < 0)
			r = GCEB_ENOMEM;
		gceb_entity_free(rev);
	}
	return r;
}

static int scan(struct gceb_txn *txn, char ***keys, size_t *n, struct gceb_err *err)
{
	struct collect c = { txn, keys, n, err };
	int r = gceb_txn_foreach(txn, GCEB_KIND_TEMPLATE, NULL, visit_template, &c, err);

	if (r == GCEB_ENOMEM)
		gceb_err_set(err, r, "out of memory");
	return r;
}

int gceb_delete_instance_templates_run(struct gceb_job *job)
{
	static const struct delete_kind kind = {
		.kind = GCEB_KIND_REVISION,
		.what = "revision",
		.url = revision_url,
		.mark_delete_requested = revision_delete_requested,
		.deletable = deletable,
		.scan = scan,
	};

	return delete_run(job, &kind);
}
