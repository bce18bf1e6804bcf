/* SPDX-License-Identifier: Apache-2.0 */
/*
 * set_metadata.c - gceb-set-metadata: queue a metadata update for one
 * instance (by hostname) or for every live instance of a template
 * (decisions.md). gceb-schedule-metadata-tasks applies it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gceb/jobs.h"
#include "metadata_update.h"
#include "run.h"

struct match {
	const char *hostname; /* or NULL */
	struct key_list keys;
};

static bool live(const Gceb__State__Instance *in)
{
	return !in->pending_deletion && !in->deleted;
}

static int visit_instance(const char *key, const ProtobufCMessage *msg, void *payload)
{
	struct match *m = payload;
	char name[GCEB_STORE_MAX_KEY + 1];

	if (!live((const Gceb__State__Instance *)msg))
		return 0;
	if (m->hostname &&
	    (!gceb_key_token(key, 3, name, sizeof(name)) || strcmp(name, m->hostname) != 0))
		return 0;
	return gceb_strv_push(&m->keys.v, &m->keys.n, key);
}

static int queue(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;
	const Gceb__State__MetadataUpdate *u = payload;
	Gceb__State__MetadataUpdate *copy;

	if (!in || !live(in))
		return GCEB_UPDATE_KEEP;
	copy = metadata_merge((Gceb__State__MetadataUpdate *const *)&u, 1);
	if (!copy)
		return GCEB_ENOMEM;
	if (metadata_queue(in, copy) < 0) {
		gceb_entity_free(copy);
		return GCEB_ENOMEM;
	}
	return GCEB_UPDATE_KEEP;
}

/* "KEY=VALUE" sets KEY; a bare "KEY" removes it. */
static int parse_operands(struct gceb_job *job, Gceb__State__MetadataUpdate *u)
{
	int i;

	if (job->argc == 0)
		return gceb_err_set(&job->err, GCEB_EUSAGE,
				    "nothing to set: give KEY=VALUE or KEY");
	for (i = 0; i < job->argc; i++) {
		char *arg = job->argv[i], *eq = strchr(arg, '=');
		int r;

		if (eq == arg || !*arg)
			return gceb_err_set(&job->err, GCEB_EUSAGE, "'%s' has an empty key", arg);
		if (eq)
			*eq = '\0';
		r = metadata_set(u, arg, eq ? eq + 1 : NULL);
		if (eq)
			*eq = '=';
		if (r < 0)
			return gceb_err_set(&job->err, r, "out of memory");
	}
	return 0;
}

int gceb_set_metadata_run(struct gceb_job *job, const char *hostname, const char *template_base)
{
	Gceb__State__MetadataUpdate u = GCEB__STATE__METADATA_UPDATE__INIT, *up = &u;
	struct match m = { .hostname = hostname };
	char prefix[GCEB_STORE_MAX_KEY + 2] = "";
	struct gceb_txn *txn = NULL;
	size_t i, queued = 0;
	int r;

	if (!hostname == !template_base)
		return gceb_err_set(&job->err, GCEB_EUSAGE,
				    "give exactly one of --hostname and --template");
	r = parse_operands(job, up);
	if (r < 0)
		goto out;
	if (template_base)
		(void)snprintf(prefix, sizeof(prefix), "%s ", template_base);
	r = gceb_store_begin(job->store, false, &txn, &job->err);
	if (r < 0)
		goto out;
	r = gceb_txn_foreach(txn, GCEB_KIND_INSTANCE, prefix, visit_instance, &m, &job->err);
	gceb_txn_abort(&txn);
	if (r < 0)
		goto out;
	if (m.keys.n == 0) {
		r = gceb_err_set(&job->err, GCEB_EUSAGE, "no live instance %s '%s'",
				 hostname ? "named" : "of template",
				 hostname ? hostname : template_base);
		goto out;
	}
	for (i = 0; i < m.keys.n; i++) {
		bool changed = false;

		r = gceb_store_update(job->store, GCEB_KIND_INSTANCE, m.keys.v[i], queue, up,
				      &changed, &job->err);
		if (r < 0)
			goto out;
		queued += changed;
	}
	gceb_info("queued the update for %zu instance%s", queued, queued == 1 ? "" : "s");
out:
	key_list_release(&m.keys);
	/* u lives on the stack: free only what it points to. */
	for (i = 0; i < u.n_metadata; i++)
		gceb_entity_free(u.metadata[i]);
	free(u.metadata);
	free(u.checksum);
	return r;
}
