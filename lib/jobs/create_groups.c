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

/*
 * A drained group whose insert was still running: the group will exist in
 * GCE, so the insert is polled to its end; then the drain deletes it.
 */
static int add_running(struct create_scan *s, const Gceb__State__Revision *r, char *const *keys,
		       size_t n)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < n; i++) {
		Gceb__State__InstanceGroupManager *g = NULL;

		rc = gceb_txn_get(s->txn, GCEB_KIND_IGM, keys[i], (ProtobufCMessage **)&g, NULL);
		if (rc == GCEB_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0 && !g->url && g->insert_operation) {
			rc = create_scan_add(s, keys[i], r->project ? r->project : "", NULL);
			if (rc == 0)
				s->items[s->n - 1]->poll_only = true;
		}
		gceb_entity_free(g);
	}
	return rc;
}

/* Implicitly drained groups: those of the revisions @t drains. */
static int add_drained_revisions(struct create_scan *s, const Gceb__State__InstanceTemplate *t)
{
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < t->n_drained; i++) {
		Gceb__State__Revision *r = NULL;

		rc = gceb_txn_get(s->txn, GCEB_KIND_REVISION, t->drained[i],
				  (ProtobufCMessage **)&r, NULL);
		if (rc == GCEB_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0)
			rc = add_running(s, r, r->active, r->n_active);
		if (rc == 0)
			rc = add_running(s, r, r->drained, r->n_drained);
		gceb_entity_free(r);
	}
	return rc;
}

/*
 * IGM-5: T.active → R with a template URL and a project → each active group
 * without a URL; and the running inserts of drained groups.
 */
static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct create_scan *s = payload;
	Gceb__State__Revision *r = NULL;
	size_t i;
	int rc;

	(void)key;
	rc = add_drained_revisions(s, t);
	if (rc < 0 || !t->active)
		return rc;
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
	/* Explicitly drained groups (zones removed) of the active revision. */
	if (rc == 0)
		rc = add_running(s, r, r->drained, r->n_drained);
	gceb_entity_free(r);
	return rc;
}

int gceb_create_instance_group_managers_run(struct gceb_job *job)
{
	return create_run(job, &group_kind, visit_template);
}
