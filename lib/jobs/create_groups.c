/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create_groups.c - gceb-create-instance-group-managers: create the managed
 * instance group of every active zone of an active revision whose template
 * exists (behaviour.md §4.4; groups start empty, resize grows them).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "gce.h"
#include "gceb/jobs.h"

static char **group_url(ProtobufCMessage *msg)
{
	return &((Gceb__State__InstanceGroupManager *)msg)->url;
}

static char **group_operation(ProtobufCMessage *msg)
{
	return &((Gceb__State__InstanceGroupManager *)msg)->insert_operation;
}

static int build_insert(const struct create_item *item, const ProtobufCMessage *msg,
			struct gceb_http_request **out, struct gceb_err *err)
{
	(void)msg;
	return gceb_gce_igm_insert(item->run->root, item->project, item->zone, item->base,
				   item->rev, item->template_url, out, err);
}

static int build_get(const struct create_item *item, struct gceb_http_request **out,
		     struct gceb_err *err)
{
	char name[128];

	(void)snprintf(name, sizeof(name), "%s-%s", item->base, item->rev);
	return gceb_gce_igm_get(item->run->root, item->project, item->zone, name, out, err);
}

static const struct create_kind group_kind = {
	.kind = GCEB_KIND_IGM,
	.what = "group",
	.url = group_url,
	.operation = group_operation,
	.insert = build_insert,
	.get = build_get,
};

/* IGM-5: T.active → R with a template URL and a project → each active group without a URL. */
static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct create_scan *s = payload;
	Gceb__State__Revision *r = NULL;
	size_t i;
	int rc;

	(void)key;
	if (!t->active)
		return 0;
	rc = gceb_txn_get(s->txn, GCEB_KIND_REVISION, t->active, (ProtobufCMessage **)&r, NULL);
	if (rc == GCEB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	for (i = 0; rc == 0 && r->url && r->project && *r->project && i < r->n_active; i++) {
		Gceb__State__InstanceGroupManager *g = NULL;

		rc = gceb_txn_get(s->txn, GCEB_KIND_IGM, r->active[i], (ProtobufCMessage **)&g,
				  NULL);
		if (rc == GCEB_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0 && !g->url)
			rc = create_scan_add(s, r->active[i], r->project, r->url);
		gceb_entity_free(g);
	}
	gceb_entity_free(r);
	return rc;
}

int gceb_create_instance_group_managers_run(struct gceb_job *job)
{
	return create_run(job, &group_kind, visit_template);
}
