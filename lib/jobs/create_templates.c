/* SPDX-License-Identifier: Apache-2.0 */
/*
 * create_templates.c - gceb-create-instance-templates: create the GCE
 * instance template of every active revision that has none yet
 * (behaviour.md §4.3, with the insert awaited as decisions.md §10.3 says).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "create.h"
#include "gce.h"
#include "gceb/jobs.h"

static char **revision_url(ProtobufCMessage *msg)
{
	return &((Gceb__State__Revision *)msg)->url;
}

static char **revision_operation(ProtobufCMessage *msg)
{
	return &((Gceb__State__Revision *)msg)->insert_operation;
}

static int build_insert(const struct create_item *item, const ProtobufCMessage *msg,
			struct gceb_http_request **out, struct gceb_err *err)
{
	return gceb_gce_template_insert(item->run->root, item->base, item->rev,
					(const Gceb__State__Revision *)msg, out, err);
}

static int build_get(const struct create_item *item, struct gceb_http_request **out,
		     struct gceb_err *err)
{
	char name[128];

	(void)snprintf(name, sizeof(name), "%s-%s", item->base, item->rev);
	return gceb_gce_template_get(item->run->root, item->project, name, out, err);
}

static const struct create_kind template_kind = {
	.kind = GCEB_KIND_REVISION,
	.what = "revision",
	.url = revision_url,
	.operation = revision_operation,
	.insert = build_insert,
	.get = build_get,
};

/*
 * TPL-7: an active revision that exists, has a project and has no template
 * yet; and the running inserts of drained revisions.
 */
static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct create_scan *s = payload;
	Gceb__State__Revision *r = NULL;
	size_t i;
	int rc;

	(void)key;
	/*
	 * A drained revision whose template insert was still running: the
	 * template will exist in GCE, so the insert is polled to its end; then
	 * the drain deletes it.
	 */
	for (i = 0; i < t->n_drained; i++) {
		rc = gceb_txn_get(s->txn, GCEB_KIND_REVISION, t->drained[i],
				  (ProtobufCMessage **)&r, NULL);
		if (rc == GCEB_ENOTFOUND)
			continue;
		if (rc < 0)
			return rc;
		if (!r->url && r->insert_operation) {
			rc = create_scan_add(s, t->drained[i], r->project ? r->project : "", NULL);
			if (rc == 0)
				s->items[s->n - 1]->poll_only = true;
		}
		gceb_entity_free(r);
		r = NULL;
		if (rc < 0)
			return rc;
	}
	if (!t->active)
		return 0;
	rc = gceb_txn_get(s->txn, GCEB_KIND_REVISION, t->active, (ProtobufCMessage **)&r, NULL);
	if (rc == GCEB_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (!r->url && r->project && *r->project)
		rc = create_scan_add(s, t->active, r->project, NULL);
	gceb_entity_free(r);
	return rc;
}

int gceb_create_instance_templates_run(struct gceb_job *job)
{
	return create_run(job, &template_kind, visit_template);
}
