/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import_config.c - gceb-import-config: read templates.cfg and managers.cfg
 * from the config directory, validate them, and store them with their
 * revision (behaviour.md §3.7). A bad config never replaces the last good one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "entity.h"
#include "gceb/jobs.h"
#include "store.h"

struct config_text {
	char *templates;
	size_t templates_len;
	char *managers;
	size_t managers_len;
	char revision[GCEB_SHA1_HEX_LEN + 1];
};

static int read_config_dir(const char *dir, struct config_text *ct, struct gceb_err *err)
{
	char tpath[PATH_MAX], mpath[PATH_MAX];
	int rt, rm;

	if ((size_t)snprintf(tpath, sizeof(tpath), "%s/templates.cfg", dir) >= sizeof(tpath) ||
	    (size_t)snprintf(mpath, sizeof(mpath), "%s/managers.cfg", dir) >= sizeof(mpath))
		return gceb_err_set(err, GCEB_ECONFIG, "config directory path too long");
	rt = gceb_config_read_file(tpath, &ct->templates, &ct->templates_len, err);
	if (rt < 0 && rt != GCEB_ENOTFOUND)
		return rt;
	rm = gceb_config_read_file(mpath, &ct->managers, &ct->managers_len, err);
	if (rm < 0 && rm != GCEB_ENOTFOUND)
		return rm;
	if (rt == GCEB_ENOTFOUND && rm == GCEB_ENOTFOUND)
		return gceb_err_set(
			err, GCEB_ECONFIG,
			"neither templates.cfg nor managers.cfg in '%s', nothing imported", dir);
	/* Both files are required: half a config would drain every group. */
	if (rt == GCEB_ENOTFOUND || rm == GCEB_ENOTFOUND)
		return gceb_err_set(err, GCEB_ECONFIG, "%s: no such file, nothing imported",
				    rt == GCEB_ENOTFOUND ? tpath : mpath);
	gceb_config_dir_revision(ct->templates, ct->templates_len, ct->managers, ct->managers_len,
				 ct->revision);
	return 0;
}

static int stored_revision(struct gceb_store *store, char **out, struct gceb_err *err)
{
	ProtobufCMessage *msg = NULL;
	struct gceb_txn *txn = NULL;
	int r;

	r = gceb_store_begin(store, false, &txn, err);
	if (r < 0)
		return r;
	r = gceb_txn_get(txn, GCEB_KIND_CONFIG, "current", &msg, err);
	if (r == GCEB_ENOTFOUND) {
		r = 0;
	} else if (r == 0) {
		const char *rev = ((Gceb__State__StoredConfig *)msg)->revision;

		if (rev && !(*out = strdup(rev)))
			r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	}
	gceb_entity_free(msg);
	gceb_txn_abort(&txn);
	return r;
}

static int write_config(ProtobufCMessage **msg, void *payload)
{
	const struct config_text *ct = payload;
	Gceb__State__StoredConfig *c = (Gceb__State__StoredConfig *)*msg;

	if (!c) {
		c = gceb_stored_config_new();
		if (!c)
			return GCEB_ENOMEM;
		*msg = &c->base;
	}
	if (gceb_set_string(&c->revision, ct->revision) < 0 ||
	    gceb_set_string(&c->template_config, ct->templates) < 0 ||
	    gceb_set_string(&c->manager_config, ct->managers) < 0 ||
	    gceb_set_string(&c->updated_by, "") < 0)
		return GCEB_ENOMEM;
	c->has_updated_ts = true;
	c->updated_ts = gceb_now();
	return GCEB_UPDATE_KEEP;
}

int gceb_import_config_run(struct gceb_job *job)
{
	struct config_text ct = { 0 };
	struct gceb_config cfg = { 0 };
	struct gceb_diags diags = { 0 };
	char *current = NULL;
	size_t i;
	int r;

	r = read_config_dir(job->settings.config_dir, &ct, &job->err);
	if (r < 0)
		goto out;
	r = stored_revision(job->store, &current, &job->err);
	if (r < 0)
		goto out;
	/* The revision comes from the content, so an equal one means nothing changed. */
	if (current && !strcmp(current, ct.revision)) {
		gceb_info("config revision %s is already imported", ct.revision);
		goto out;
	}
	r = gceb_config_parse("templates.cfg", ct.templates, ct.templates_len, "managers.cfg",
			      ct.managers, ct.managers_len, &cfg, &diags, &job->err);
	for (i = 0; i < diags.n; i++)
		gceb_error("%s/%s", job->settings.config_dir, diags.v[i]);
	if (r < 0)
		goto out;
	r = gceb_store_update(job->store, GCEB_KIND_CONFIG, "current", write_config, &ct, NULL,
			      &job->err);
	if (r < 0)
		goto out;
	if (job->dry_run)
		(void)printf("would import config revision %s (%zu templates, %zu managers)\n",
			     ct.revision, cfg.templates->n_templates, cfg.managers->n_managers);
	else
		gceb_info("imported config revision %s (%zu templates, %zu managers)", ct.revision,
			  cfg.templates->n_templates, cfg.managers->n_managers);
out:
	gceb_config_release(&cfg);
	gceb_diags_release(&diags);
	free(current);
	free(ct.templates);
	free(ct.managers);
	return r;
}
