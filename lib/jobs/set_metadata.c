/* SPDX-License-Identifier: Apache-2.0 */
/*
 * set_metadata.c - gceb-set-metadata: queue a metadata update for one
 * instance (by hostname) or for every live instance of a template
 * (docs/design/departures.md). gceb-schedule-metadata-tasks applies it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "fleet.h"
#include "gceb/jobs.h"
#include "metadata_update.h"

/* Keys collected by the walk: the instances to queue the update for. */
struct key_list {
	char **v;
	size_t n;
};

struct match {
	const char *hostname; /* or NULL */
	struct key_list keys;
};

static bool live(const Gceb__State__Instance *in)
{
	return !in->pending_deletion && !in->deleted;
}

static int visit_instance(const struct gceb_entity *e, void *payload, struct gceb_err *err)
{
	struct match *m = payload;

	if (!live(e->instance) || (m->hostname && strcmp(e->ref.name, m->hostname) != 0))
		return 0;
	if (gceb_strv_push(&m->keys.v, &m->keys.n, e->key) < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	return 0;
}

static int queue(Gceb__State__Instance **inp, void *payload, struct gceb_err *err)
{
	Gceb__State__Instance *in = *inp;
	Gceb__State__MetadataUpdate *const *u = payload;
	Gceb__State__MetadataUpdate *copy;

	if (!in || !live(in))
		return GCEB_UPDATE_KEEP;
	copy = metadata_merge(u, 1);
	if (!copy || metadata_queue(in, copy) < 0) {
		gceb_entity_free(copy);
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
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

static const char *arg_hostname;
static const char *arg_template;

/* Instances of template @base (all if NULL) that @m takes; a base that is no key has none. */
static int find(struct gceb_store *store, const char *base, struct match *m, struct gceb_err *err)
{
	struct gceb_txn *txn = NULL;
	struct gceb_ref t;
	int r;

	if (base && gceb_ref_parse(&t, GCEB_KIND_TEMPLATE, base, NULL) < 0)
		return 0;
	r = gceb_store_begin(store, false, &txn, err);
	if (r == 0)
		r = gceb_fleet_foreach(txn, GCEB_KIND_INSTANCE, base ? &t : NULL, NULL,
				       visit_instance, m, err);
	gceb_txn_abort(&txn);
	return r;
}

static int run(struct gceb_job *job)
{
	Gceb__State__MetadataUpdate u = GCEB__STATE__METADATA_UPDATE__INIT, *up = &u;
	const char *hostname = arg_hostname, *template_base = arg_template;
	struct match m = { .hostname = hostname };
	size_t i, queued = 0;
	int r;

	if (!hostname == !template_base)
		return gceb_err_set(&job->err, GCEB_EUSAGE,
				    "give exactly one of --hostname and --template");
	r = parse_operands(job, up);
	if (r < 0)
		goto out;
	r = find(job->store, template_base, &m, &job->err);
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
		struct gceb_ref ref;

		r = gceb_ref_parse(&ref, GCEB_KIND_INSTANCE, m.keys.v[i], &job->err);
		if (r == 0)
			r = gceb_fleet_update_instance(job->store, &ref, queue, &up, &changed,
						       &job->err);
		if (r < 0)
			goto out;
		queued += changed;
	}
	gceb_info("queued the update for %zu instance%s", queued, queued == 1 ? "" : "s");
out:
	while (m.keys.n > 0)
		free(m.keys.v[--m.keys.n]);
	free(m.keys.v);
	/* u lives on the stack: free only what it points to. */
	for (i = 0; i < u.n_metadata; i++)
		gceb_entity_free(u.metadata[i]);
	free(u.metadata);
	free(u.checksum);
	return r;
}

static const struct gceb_opt opts[] = {
	GCEB_OPT_STRING('H', "hostname", &arg_hostname, "NAME", "the VM to update"),
	GCEB_OPT_STRING('t', "template", &arg_template, "BASE", "every live VM of template BASE"),
	GCEB_OPT_END,
};

const struct gceb_job_spec gceb_set_metadata_spec = {
	.name = "set-metadata",
	.summary = "Queue a metadata update for one VM or for every VM of a template.",
	.operands = "KEY=VALUE|KEY...",
	.opts = opts,
	.needs = GCEB_NEED_STORE,
	.run = run,
};
