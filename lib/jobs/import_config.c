/* SPDX-License-Identifier: Apache-2.0 */
/*
 * import_config.c - gceb-import-config: read templates.cfg and managers.cfg
 * from the config directory or from the LUCI config service, validate them,
 * and store them with their revision (docs/design/config.md). A bad config never
 * replaces the last good one.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "entity.h"
#include "fleet.h"
#include "gceb/jobs.h"
#include "http.h"
#include "luciconfig.h"
#include "store.h"

struct config_text {
	char *templates;
	size_t templates_len;
	char *managers;
	size_t managers_len;
	char revision[128];
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
	if ((rt = gceb_config_check_not_empty(tpath, ct->templates_len, err)) < 0 ||
	    (rt = gceb_config_check_not_empty(mpath, ct->managers_len, err)) < 0)
		return rt;
	gceb_config_dir_revision(ct->templates, ct->templates_len, ct->managers, ct->managers_len,
				 ct->revision);
	return 0;
}

/* One file of the config set, as the LUCI config service has it. */
struct luci_file {
	const char *path;
	struct gceb_job *job;
	const char *base;
	struct gceb_luci_hash hash;
	bool missing;
	char *text;
	size_t len;
	int result;
	char error[GCEB_MSG_MAX];
};

static void file_fail(struct luci_file *f, int code, const char *why)
{
	f->result = code;
	(void)gceb_format(f->error, sizeof(f->error), "%s", why);
}

static void on_content(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct luci_file *f = payload;
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result < 0)
		file_fail(f, req->result, req->error);
	else if (gceb_luci_parse_content(req->response, req->response_len, GCEB_CONFIG_MAX_BYTES,
					 &f->text, &f->len, &e) < 0 ||
		 gceb_luci_check_content(f->text, f->len, f->hash.content_hash, &e) < 0 ||
		 gceb_config_check_not_empty(f->path, f->len, &e) < 0)
		file_fail(f, e.code, e.msg);
}

static void on_hash(struct gceb_http *http, struct gceb_http_request *req, void *payload)
{
	struct luci_file *f = payload;
	struct gceb_err e = { 0 };

	(void)http;
	if (req->result == GCEB_ENOTFOUND)
		f->missing = true; /* the file, or the config set, does not exist for us */
	else if (req->result < 0)
		file_fail(f, req->result, req->error);
	else if (gceb_luci_parse_hash(req->response, req->response_len, &f->hash, &e) < 0)
		file_fail(f, e.code, e.msg);
}

static int luci_step(struct luci_file *files, size_t n, bool by_hash, struct gceb_err *err)
{
	struct gceb_http *http = files[0].job->http;
	size_t i;
	int r;

	for (i = 0; i < n; i++) {
		struct gceb_http_request *req = NULL;
		struct gceb_luci_hash *h = &files[i].hash;

		if (by_hash && (files[i].missing || files[i].result < 0))
			continue;
		r = by_hash ? gceb_luci_get_by_hash(files[i].base, h->content_hash, &req, err) :
			      gceb_luci_get_hash(files[i].base,
						 files[0].job->settings.luci_config_set,
						 files[i].path, &req, err);
		if (r == 0)
			r = gceb_http_submit(http, req, by_hash ? on_content : on_hash, &files[i]);
		if (r < 0)
			return r;
	}
	r = gceb_http_run(http, err);
	for (i = 0; r == 0 && i < n; i++)
		if (files[i].result < 0)
			r = gceb_err_set(err, files[i].result, "config service, %s: %s",
					 files[i].path, files[i].error);
	return r;
}

/*
 * docs/design/luci-config.md: both hashes first; the two revisions must agree; then both
 * contents, unless the revision is @current (then ct->templates stays NULL).
 */
static int read_config_luci(struct gceb_job *job, const char *current, struct config_text *ct,
			    struct gceb_err *err)
{
	const char *base = job->settings.luci_config;
	struct luci_file f[2] = {
		{ .path = "templates.cfg", .job = job, .base = base },
		{ .path = "managers.cfg", .job = job, .base = base },
	};
	int r;

	r = luci_step(f, 2, false, err);
	if (r < 0)
		goto out;
	if (f[0].missing || f[1].missing) {
		r = gceb_err_set(err, GCEB_ECONFIG,
				 "config set '%s' has no %s at %s, nothing imported",
				 job->settings.luci_config_set,
				 f[0].missing && f[1].missing ? "templates.cfg or managers.cfg" :
				 f[0].missing                 ? "templates.cfg" :
								"managers.cfg",
				 base);
		goto out;
	}
	/* luci_step() returned 0: both answers parsed, and a parsed answer has a revision. */
	/* NOLINTNEXTLINE(clang-analyzer-core.NonNullParamChecker) */
	if (strcmp(f[0].hash.revision, f[1].hash.revision) != 0) {
		r = gceb_err_set(err, GCEB_ECONFIG,
				 "templates.cfg is at revision %s but managers.cfg at %s: "
				 "waiting for both to agree, nothing imported",
				 f[0].hash.revision, f[1].hash.revision);
		goto out;
	}
	(void)snprintf(ct->revision, sizeof(ct->revision), "%s", f[0].hash.revision);
	if (current && !strcmp(current, ct->revision))
		goto out; /* content is not compared (docs/design/config.md) */
	r = luci_step(f, 2, true, err);
	if (r < 0)
		goto out;
	ct->templates = f[0].text;
	ct->templates_len = f[0].len;
	ct->managers = f[1].text;
	ct->managers_len = f[1].len;
	f[0].text = f[1].text = NULL;
out:
	gceb_luci_hash_release(&f[0].hash);
	gceb_luci_hash_release(&f[1].hash);
	free(f[0].text);
	free(f[1].text);
	return r;
}

static int stored_revision(struct gceb_store *store, char **out, struct gceb_err *err)
{
	Gceb__State__StoredConfig *c = NULL;
	struct gceb_txn *txn = NULL;
	int r;

	r = gceb_store_begin(store, false, &txn, err);
	if (r < 0)
		return r;
	r = gceb_fleet_get_config(txn, &c, err);
	if (r == GCEB_ENOTFOUND)
		r = 0;
	else if (r == 0 && c->revision && !(*out = strdup(c->revision)))
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	gceb_entity_free(c);
	gceb_txn_abort(&txn);
	return r;
}

static int write_config(Gceb__State__StoredConfig **cp, void *payload, struct gceb_err *err)
{
	const struct config_text *ct = payload;
	Gceb__State__StoredConfig *c = *cp;

	if (!c) {
		c = gceb_stored_config_new();
		if (!c)
			return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		*cp = c;
	}
	if (gceb_set_string(&c->revision, ct->revision) < 0 ||
	    gceb_set_string(&c->template_config, ct->templates) < 0 ||
	    gceb_set_string(&c->manager_config, ct->managers) < 0 ||
	    gceb_set_string(&c->updated_by, "") < 0)
		return gceb_err_set(err, GCEB_ENOMEM, "out of memory");
	c->has_updated_ts = true;
	c->updated_ts = gceb_now();
	return GCEB_UPDATE_KEEP;
}

/* config_valid per file (docs/operations.md): a file is valid if no problem names it. */
static char *validity_metrics(const struct gceb_diags *diags)
{
	static const char *const files[] = { "templates.cfg", "managers.cfg" };
	bool valid[2] = { true, true };
	char text[512];
	size_t f, i;

	for (i = 0; i < diags->n; i++)
		for (f = 0; f < 2; f++)
			if (!strncmp(diags->v[i], files[f], strlen(files[f])))
				valid[f] = false;
	(void)snprintf(
		text, sizeof(text),
		"# HELP gceb_config_valid Whether the last config read was valid, per file.\n"
		"# TYPE gceb_config_valid gauge\n"
		"gceb_config_valid{file=\"templates.cfg\"} %d\n"
		"gceb_config_valid{file=\"managers.cfg\"} %d\n",
		valid[0], valid[1]);
	return strdup(text);
}

static int run(struct gceb_job *job)
{
	struct config_text ct = { 0 };
	struct gceb_config cfg = { 0 };
	struct gceb_diags diags = { 0 };
	char *current = NULL;
	size_t i;
	int r;

	/* No store: a dry run before the first real run (lib/job.c). */
	r = job->store ? stored_revision(job->store, &current, &job->err) : 0;
	if (r < 0)
		goto out;
	if (job->settings.luci_config)
		r = read_config_luci(job, current, &ct, &job->err);
	else
		r = read_config_dir(job->settings.config_dir, &ct, &job->err);
	if (r < 0)
		goto out;
	/* The revision comes from the content, so an equal one means nothing changed. */
	if (current && !strcmp(current, ct.revision)) {
		/* As the reference: an unchanged revision is a valid one (docs/design/config.md).
		 */
		gceb_info("config revision %s is already imported", ct.revision);
		if (job->settings.metrics_dir && !(job->metrics_extra = validity_metrics(&diags)))
			r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	r = gceb_config_parse("templates.cfg", ct.templates, ct.templates_len, "managers.cfg",
			      ct.managers, ct.managers_len, &cfg, &diags, &job->err);
	for (i = 0; i < diags.n; i++)
		gceb_error("%s/%s",
			   job->settings.luci_config ? job->settings.luci_config_set :
						       job->settings.config_dir,
			   diags.v[i]);
	if (job->settings.metrics_dir && !(job->metrics_extra = validity_metrics(&diags)) && r == 0)
		r = gceb_err_set(&job->err, GCEB_ENOMEM, "out of memory");
	if (r < 0)
		goto out;
	if (job->store)
		r = gceb_fleet_update_config(job->store, write_config, &ct, NULL, &job->err);
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

const struct gceb_job_spec gceb_import_config_spec = {
	.name = "import-config",
	.summary = "Validate templates.cfg and managers.cfg and store them as the config in force.",
	.needs = GCEB_NEED_STORE | GCEB_NEED_LOCK | GCEB_NEED_HTTP | GCEB_NEED_LUCI |
		 GCEB_PLAN_WITHOUT_STORE,
	.run = run,
};
