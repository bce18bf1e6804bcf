/* SPDX-License-Identifier: Apache-2.0 */
/*
 * delete_groups.c - gceb-delete-instance-group-managers: delete in GCE each
 * drained group that has no instances left (behaviour.md §4.12).
 */
#include <stdio.h>
#include <stdlib.h>

#include "delete.h"
#include "drained.h"
#include "entity.h"
#include "gceb/jobs.h"

static char **group_url(ProtobufCMessage *msg)
{
	return &((Gceb__State__InstanceGroupManager *)msg)->url;
}

static void group_delete_requested(ProtobufCMessage *msg)
{
	Gceb__State__InstanceGroupManager *g = (Gceb__State__InstanceGroupManager *)msg;

	g->has_delete_requested = g->delete_requested = true;
}

/* DIG-7: no URL to delete while instances are known (drained status is not re-checked). */
static const char *deletable(const ProtobufCMessage *msg)
{
	const Gceb__State__InstanceGroupManager *g = (const Gceb__State__InstanceGroupManager *)msg;

	return g->n_instances == 0 && g->url && *g->url ? g->url : NULL;
}

static int scan(struct gceb_txn *txn, char ***keys, size_t *n, struct gceb_err *err)
{
	char **drained = NULL;
	size_t nd = 0, i;
	int r;

	r = drained_igm_set(txn, &drained, &nd, err);
	for (i = 0; r == 0 && i < nd; i++) {
		Gceb__State__InstanceGroupManager *g = NULL;

		r = gceb_txn_get(txn, GCEB_KIND_IGM, drained[i], (ProtobufCMessage **)&g, err);
		if (r == GCEB_ENOTFOUND) {
			r = 0;
			continue;
		}
		if (r == 0 && deletable(&g->base) && gceb_strv_push(keys, n, drained[i]) < 0)
			r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		gceb_entity_free(g);
	}
	drained_free(drained, nd);
	return r;
}

int gceb_delete_instance_group_managers_run(struct gceb_job *job)
{
	static const struct delete_kind kind = {
		.kind = GCEB_KIND_IGM,
		.what = "group",
		.url = group_url,
		.mark_delete_requested = group_delete_requested,
		.deletable = deletable,
		.scan = scan,
	};

	return delete_run(job, &kind);
}
