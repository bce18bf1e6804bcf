/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_scenarios_9.c - the rule cases (docs/design) that no other test covers
 * (tests/SCENARIOS.md maps every scenario to its test). Most are about a
 * precondition on stored entities: the test seeds the store directly through
 * lib/store.h, runs the real job binary against gceb-emulator, and checks the
 * emulator's request log ("no call") and the store. GCE answers the emulator
 * does not give by itself (an operation still RUNNING, a foreign
 * targetLink, a listing of VMs that do not exist) are scripted as faults
 * with a body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "entity.h"
#include "harness.h"
#include "runner.h"
#include "store.h"
#include "store_seed.h"

#define R1 "1111111111111111111111111111111111111111"
#define R2 "2222222222222222222222222222222222222222"
#define R3 "3333333333333333333333333333333333333333"

/* A NULL-terminated list of keys, for the seeding helpers. */
#define KEYS(...) ((const char *[]){ __VA_ARGS__, NULL })
#define NO_KEYS   ((const char *[]){ NULL })

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_emu_start(env, NULL);
	*state = env;
	return 0;
}

/* ---- the store, seeded and read directly (no job runs meanwhile) ---- */

/* Entity @key of @kind, or NULL if absent. Free with gceb_entity_free(). */
static void *get(const struct it_env *env, enum gceb_kind kind, const char *key)
{
	struct gceb_store *s = it_store_open(env);
	ProtobufCMessage *msg = NULL;
	struct gceb_txn *txn = NULL;
	int r;

	assert_int_equal(gceb_store_begin(s, false, &txn, NULL), 0);
	r = gceb_txn_get(txn, kind, key, &msg, NULL);
	gceb_txn_abort(&txn);
	gceb_store_close(s);
	assert_true(r == 0 || r == GCEB_ENOTFOUND);
	return msg;
}

static bool exists(const struct it_env *env, enum gceb_kind kind, const char *key)
{
	void *msg = get(env, kind, key);

	gceb_entity_free(msg);
	return msg != NULL;
}

static size_t count_keys(const char **keys)
{
	size_t n = 0;

	while (keys[n])
		n++;
	return n;
}

static void put_template(const struct it_env *env, const char *base, const char *active,
			 const char **drained)
{
	Gceb__State__InstanceTemplate t = GCEB__STATE__INSTANCE_TEMPLATE__INIT;

	t.active = (char *)active;
	t.drained = (char **)drained;
	t.n_drained = count_keys(drained);
	it_store_put(env, GCEB_KIND_TEMPLATE, base, &t);
}

/* A Revision good enough for every request built from it, unless @project is "". */
static void put_revision(const struct it_env *env, const char *key, const char *project,
			 const char *url, const char **active, const char **drained)
{
	Gceb__State__Revision r = GCEB__STATE__REVISION__INIT;
	Gceb__State__ServiceAccount sa = GCEB__STATE__SERVICE_ACCOUNT__INIT, *sas[] = { &sa };

	sa.name = (char *)"bot@p.iam.gserviceaccount.com";
	r.active = (char **)active;
	r.n_active = count_keys(active);
	r.drained = (char **)drained;
	r.n_drained = count_keys(drained);
	r.image_name = (char *)"debian-12";
	r.machine_type = (char *)"n1-standard-2";
	r.project = (char *)project;
	r.url = (char *)url;
	r.service_accounts = sas;
	r.n_service_accounts = 1;
	it_store_put(env, GCEB_KIND_REVISION, key, &r);
}

static void put_group(const struct it_env *env, const char *key, const char *url,
		      const char **instances)
{
	Gceb__State__InstanceGroupManager g = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;

	g.minimum_size = 1;
	g.maximum_size = 5;
	g.url = (char *)url;
	g.instances = (char **)instances;
	g.n_instances = count_keys(instances);
	it_store_put(env, GCEB_KIND_IGM, key, &g);
}

/* An Instance of group @igm (the first three tokens of @key unless given). */
static void put_instance(const struct it_env *env, const char *key, const char *igm,
			 const char *url, Gceb__State__Instance *in)
{
	Gceb__State__Instance def = GCEB__STATE__INSTANCE__INIT;

	if (!in)
		in = &def;
	in->instance_group_manager = (char *)igm;
	in->url = (char *)url;
	it_store_put(env, GCEB_KIND_INSTANCE, key, in);
}

static Gceb__State__Instance *get_instance(const struct it_env *env, const char *key)
{
	return get(env, GCEB_KIND_INSTANCE, key);
}

static Gceb__State__Revision *get_revision(const struct it_env *env, const char *key)
{
	return get(env, GCEB_KIND_REVISION, key);
}

static Gceb__State__InstanceGroupManager *get_group(const struct it_env *env, const char *key)
{
	return get(env, GCEB_KIND_IGM, key);
}

/* The url of entity @key of @kind (a Revision or a group), copied into @out ("" if unset). */
static const char *url_of(const struct it_env *env, enum gceb_kind kind, const char *key, char *out,
			  size_t len)
{
	void *msg = get(env, kind, key);
	const char *url;

	assert_non_null(msg);
	url = kind == GCEB_KIND_REVISION ? ((Gceb__State__Revision *)msg)->url :
					   ((Gceb__State__InstanceGroupManager *)msg)->url;
	(void)snprintf(out, len, "%s", url ? url : "");
	gceb_entity_free(msg);
	return out;
}

static bool has_url(const struct it_env *env, enum gceb_kind kind, const char *key)
{
	char buf[512];

	return url_of(env, kind, key, buf, sizeof(buf))[0] != '\0';
}

static bool strv_equal(char *const *v, size_t n, const char **want)
{
	size_t i;

	if (n != count_keys(want))
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(v[i], want[i]) != 0)
			return false;
	return true;
}

/* ---- the emulator ---- */

/*
 * A Compute URL as Compute (and so the emulator) mints it: Google's root +
 * "compute/v1/projects/p/" + @rest, whichever root gceb calls.
 */
static const char *gce_url(const struct it_env *env, char *out, size_t len, const char *rest)
{
	(void)env;
	(void)snprintf(out, len, "https://www.googleapis.com/compute/v1/projects/p/%s", rest);
	return out;
}

static void clear_requests(const struct it_env *env)
{
	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/requests", NULL, NULL));
}

/* Requests of any method whose path contains @part. */
static int calls(const struct it_env *env, const char *part)
{
	static const char *const methods[] = { "GET", "POST", "DELETE", "PATCH" };
	int n = 0;
	size_t i;

	for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
		n += it_emu_count_requests(env, methods[i], part);
	return n;
}

/* Answer @method @path (fnmatch) with HTTP @status and @body (NULL: an error envelope). */
static void fault(const struct it_env *env, const char *method, const char *path, int status,
		  const char *body, int count)
{
	cJSON *f = cJSON_CreateObject(), *r;
	char *text;
	long st;

	assert_non_null(f);
	(void)cJSON_AddStringToObject(f, "method", method);
	(void)cJSON_AddStringToObject(f, "path", path);
	(void)cJSON_AddStringToObject(f, "action", "status");
	(void)cJSON_AddNumberToObject(f, "status", status);
	if (body)
		(void)cJSON_AddStringToObject(f, "body", body);
	if (count > 0)
		(void)cJSON_AddNumberToObject(f, "count", count);
	text = cJSON_PrintUnformatted(f);
	assert_non_null(text);
	r = it_emu_call(env, "POST", "/_emu/faults", text, &st);
	assert_int_equal(st, 200);
	cJSON_Delete(r);
	cJSON_free(text);
	cJSON_Delete(f);
}

/* An Operation answer: @status, about @target, itself at zones/z/operations/@name. */
static char *operation(const struct it_env *env, const char *name, const char *status,
		       const char *target, const char *error_code)
{
	cJSON *op = cJSON_CreateObject();
	char self[512];
	char *text;

	(void)gce_url(env, self, sizeof(self), "zones/z/operations/");
	(void)strncat(self, name, sizeof(self) - strlen(self) - 1);
	(void)cJSON_AddStringToObject(op, "kind", "compute#operation");
	(void)cJSON_AddStringToObject(op, "name", name);
	(void)cJSON_AddStringToObject(op, "status", status);
	(void)cJSON_AddStringToObject(op, "selfLink", self);
	if (target)
		(void)cJSON_AddStringToObject(op, "targetLink", target);
	if (error_code) {
		cJSON *errors = cJSON_AddArrayToObject(cJSON_AddObjectToObject(op, "error"),
						       "errors"),
		      *e = cJSON_CreateObject();

		(void)cJSON_AddStringToObject(e, "code", error_code);
		(void)cJSON_AddStringToObject(e, "message", "scripted failure");
		cJSON_AddItemToArray(errors, e);
	}
	text = cJSON_PrintUnformatted(op);
	cJSON_Delete(op);
	assert_non_null(text);
	return text;
}

/*
 * Run @job expecting exit @want (the failure's class, docs/exit-codes.md)
 * with @failed error lines each containing @needle.
 */
static void expect_failed(const struct it_env *env, const char *job, int want, int failed,
			  const char *needle)
{
	struct it_result res;
	const char *p;
	int n = 0;

	it_run(env, &res, job, NULL);
	for (p = res.err; (p = strstr(p, needle)) != NULL; p++)
		n++;
	if (res.status != want || n != failed)
		print_message("gceb-%s exit %d:\n%s", job, res.status, res.err);
	assert_int_equal(res.status, want);
	assert_int_equal(n, failed);
	it_result_release(&res);
}

/* ---- create-instance-templates (docs/design/create.md) ---- */

/*
 * TPL-1, TPL-2, TPL-3, TPL-7: only the active revision that exists, has a
 * project and has no url gets an insert; the others stay as they were.
 */
static void tpl_scan_and_preconditions(void **state)
{
	struct it_env *env = *state;
	char url[512], got[512];

	put_template(env, "a", "a " R1, NO_KEYS); /* eligible */
	put_revision(env, "a " R1, "p", NULL, NO_KEYS, NO_KEYS);
	put_template(env, "b", "b " R1, NO_KEYS);    /* TPL-1: Revision missing */
	put_template(env, "c", NULL, KEYS("c " R1)); /* only in drained */
	put_revision(env, "c " R1, "p", NULL, NO_KEYS, NO_KEYS);
	put_template(env, "d", "d " R1, NO_KEYS); /* TPL-2: project empty */
	put_revision(env, "d " R1, "", NULL, NO_KEYS, NO_KEYS);
	put_template(env, "e", "e " R1, NO_KEYS); /* TPL-3: url already set */
	put_revision(env, "e " R1, "p",
		     gce_url(env, url, sizeof(url), "global/instanceTemplates/e-" R1), NO_KEYS,
		     NO_KEYS);
	put_template(env, "f", NULL, NO_KEYS); /* T without active */

	it_run_ok(env, "create-instance-templates");
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 1);
	assert_int_equal(calls(env, "instanceTemplates/c-"), 0);
	assert_int_equal(calls(env, "instanceTemplates/d-"), 0);
	assert_int_equal(calls(env, "instanceTemplates/e-"), 0);
	assert_string_equal(url_of(env, GCEB_KIND_REVISION, "a " R1, got, sizeof(got)),
			    gce_url(env, url, sizeof(url), "global/instanceTemplates/a-" R1));
	assert_false(exists(env, GCEB_KIND_REVISION, "b " R1));
	assert_false(has_url(env, GCEB_KIND_REVISION, "c " R1));
	assert_false(has_url(env, GCEB_KIND_REVISION, "d " R1));
	assert_string_equal(url_of(env, GCEB_KIND_REVISION, "e " R1, got, sizeof(got)),
			    gce_url(env, url, sizeof(url), "global/instanceTemplates/e-" R1));
}

/* ---- create-instance-group-managers (docs/design/create.md) ---- */

/*
 * IGM-1 and IGM-5, one negative case per condition: T.active set, Revision
 * exists with url and project, group in R.active (not drained), group
 * entity exists, group url unset. Only "a z1" is inserted.
 */
static void igm_scan_and_preconditions(void **state)
{
	struct it_env *env = *state;
	char url[512], tmpl[512], got[512];

	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", NULL, KEYS("a " R1 " z1", "a " R1 " z2", "a " R1 " z3"),
		     KEYS("a " R1 " z4"));
	/* The template must exist in GCE for the group insert: let the job make it. */
	it_run_ok(env, "create-instance-templates");
	put_group(env, "a " R1 " z1", NULL, NO_KEYS); /* eligible */
	/* z2: no entity (IGM missing) */
	put_group(env, "a " R1 " z3",
		  gce_url(env, url, sizeof(url), "zones/z3/instanceGroupManagers/a-" R1),
		  NO_KEYS);                           /* url already set */
	put_group(env, "a " R1 " z4", NULL, NO_KEYS); /* drained */

	put_template(env, "b", "b " R1, NO_KEYS); /* parent url empty */
	put_revision(env, "b " R1, "p", NULL, KEYS("b " R1 " z1"), NO_KEYS);
	put_group(env, "b " R1 " z1", NULL, NO_KEYS);
	put_template(env, "c", "c " R1, NO_KEYS); /* parent project empty */
	put_revision(env, "c " R1, "",
		     gce_url(env, tmpl, sizeof(tmpl), "global/instanceTemplates/c-" R1),
		     KEYS("c " R1 " z1"), NO_KEYS);
	put_group(env, "c " R1 " z1", NULL, NO_KEYS);
	put_template(env, "d", "d " R1, NO_KEYS); /* parent missing */
	put_group(env, "d " R1 " z1", NULL, NO_KEYS);
	put_template(env, "e", NULL, KEYS("e " R1)); /* T.active unset, R drained */
	put_revision(env, "e " R1, "p",
		     gce_url(env, tmpl, sizeof(tmpl), "global/instanceTemplates/e-" R1),
		     KEYS("e " R1 " z1"), NO_KEYS);
	put_group(env, "e " R1 " z1", NULL, NO_KEYS);
	clear_requests(env);

	it_run_ok(env, "create-instance-group-managers");
	assert_int_equal(it_emu_count_requests(env, "POST", "/instanceGroupManagers"), 1);
	assert_int_equal(it_emu_count_requests(env, "POST", "/zones/z1/instanceGroupManagers"), 1);
	assert_string_equal(
		url_of(env, GCEB_KIND_IGM, "a " R1 " z1", got, sizeof(got)),
		gce_url(env, tmpl, sizeof(tmpl), "zones/z1/instanceGroupManagers/a-" R1));
	assert_false(exists(env, GCEB_KIND_IGM, "a " R1 " z2"));
	assert_string_equal(url_of(env, GCEB_KIND_IGM, "a " R1 " z3", got, sizeof(got)), url);
	assert_false(has_url(env, GCEB_KIND_IGM, "a " R1 " z4"));
	assert_false(has_url(env, GCEB_KIND_IGM, "b " R1 " z1"));
	assert_false(has_url(env, GCEB_KIND_IGM, "c " R1 " z1"));
	assert_false(has_url(env, GCEB_KIND_IGM, "d " R1 " z1"));
	assert_false(has_url(env, GCEB_KIND_IGM, "e " R1 " z1"));
}

/* IGM-4: the insert answers 400: one error line, url unset; the next clean run creates it. */
static void igm_insert_400(void **state)
{
	struct it_env *env = *state;

	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", NULL, KEYS("a " R1 " z1"), NO_KEYS);
	put_group(env, "a " R1 " z1", NULL, NO_KEYS);
	it_run_ok(env, "create-instance-templates");
	fault(env, "POST", "*/instanceGroupManagers", 400, NULL, 1);
	expect_failed(env, "create-instance-group-managers", 1, 1, "HTTP 400");
	assert_false(has_url(env, GCEB_KIND_IGM, "a " R1 " z1"));
	it_run_ok(env, "create-instance-group-managers");
	assert_true(has_url(env, GCEB_KIND_IGM, "a " R1 " z1"));
}

/* ---- fetch-instances (docs/design/instances.md) ---- */

/*
 * FET-1 (adapted by docs/design/departures.md): a group without url, or whose
 * Revision is missing or has no project, is not listed and its instance
 * list is kept. FET-2, FET-5: a listing `{}` empties the list.
 */
static void fetch_preconditions_and_empty_listing(void **state)
{
	struct it_env *env = *state;
	char url[512];
	Gceb__State__InstanceGroupManager *g;

	put_group(env, "a " R1 " z1", NULL, KEYS("a " R1 " z1 vm-1")); /* no url */
	put_group(env, "b " R1 " z1",                                  /* Revision missing */
		  gce_url(env, url, sizeof(url), "zones/z1/instanceGroupManagers/b-" R1),
		  KEYS("b " R1 " z1 vm-1"));
	put_revision(env, "c " R1, "", NULL, NO_KEYS, NO_KEYS); /* no project */
	put_group(env, "c " R1 " z1",
		  gce_url(env, url, sizeof(url), "zones/z1/instanceGroupManagers/c-" R1),
		  KEYS("c " R1 " z1 vm-1"));
	put_revision(env, "d " R1, "p", NULL, NO_KEYS, NO_KEYS); /* lists `{}` */
	put_group(env, "d " R1 " z9",
		  gce_url(env, url, sizeof(url), "zones/z9/instanceGroupManagers/d-" R1),
		  KEYS("d " R1 " z9 vm-1"));
	fault(env, "POST", "*/zones/z9/instanceGroups/*/listInstances", 200, "{}", 0);

	it_run_ok(env, "fetch-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/listInstances"), 1);
	assert_int_equal(it_emu_count_requests(env, "POST", "/zones/z9/"), 1);
	g = get_group(env, "a " R1 " z1");
	assert_true(strv_equal(g->instances, g->n_instances, KEYS("a " R1 " z1 vm-1")));
	gceb_entity_free(g);
	g = get_group(env, "b " R1 " z1");
	assert_true(strv_equal(g->instances, g->n_instances, KEYS("b " R1 " z1 vm-1")));
	gceb_entity_free(g);
	g = get_group(env, "c " R1 " z1");
	assert_true(strv_equal(g->instances, g->n_instances, KEYS("c " R1 " z1 vm-1")));
	gceb_entity_free(g);
	g = get_group(env, "d " R1 " z9");
	assert_int_equal(g->n_instances, 0);
	gceb_entity_free(g);
}

/*
 * FET-6, FET-7, FET-9: a listed VM whose Instance exists without a url is
 * left untouched; one without an entity is created with the listed url and
 * its group's key (the key of `base rev zone name` minus the name).
 */
static void fetch_existing_untouched_new_created(void **state)
{
	struct it_env *env = *state;
	char url[512], v1[512], v2[512], page[1200];
	Gceb__State__InstanceGroupManager *g;
	Gceb__State__Instance *in;

	put_revision(env, "a " R1, "p", NULL, NO_KEYS, NO_KEYS);
	put_group(env, "a " R1 " z8",
		  gce_url(env, url, sizeof(url), "zones/z8/instanceGroupManagers/a-" R1), NO_KEYS);
	put_instance(env, "a " R1 " z8 vm-1", "a " R1 " z8", NULL, NULL);
	(void)gce_url(env, v1, sizeof(v1), "zones/z8/instances/vm-1");
	(void)gce_url(env, v2, sizeof(v2), "zones/z8/instances/vm-2");
	(void)snprintf(page, sizeof(page),
		       "{\"items\": [{\"instance\": \"%s\", \"status\": \"RUNNING\"}, "
		       "{\"instance\": \"%s\", \"status\": \"RUNNING\"}]}",
		       v1, v2);
	fault(env, "POST", "*/zones/z8/instanceGroups/*/listInstances", 200, page, 0);

	it_run_ok(env, "fetch-instances");
	in = get_instance(env, "a " R1 " z8 vm-1");
	assert_null(in->url); /* FET-6: untouched */
	gceb_entity_free(in);
	in = get_instance(env, "a " R1 " z8 vm-2");
	assert_non_null(in); /* FET-7 */
	assert_string_equal(in->url, v2);
	assert_string_equal(in->instance_group_manager, "a " R1 " z8"); /* FET-9 */
	gceb_entity_free(in);
	g = get_group(env, "a " R1 " z8");
	assert_true(strv_equal(g->instances, g->n_instances,
			       KEYS("a " R1 " z8 vm-1", "a " R1 " z8 vm-2")));
	gceb_entity_free(g);
}

/* ---- catalog-instances (docs/design/catalog.md) ---- */

/*
 * CAT-1, CAT-2: instance missing / already cataloged / pending deletion /
 * group missing / Revision missing / no service accounts: no add_machine;
 * the one eligible instance is added and cataloged.
 */
static void catalog_preconditions(void **state)
{
	struct it_env *env = *state;
	Gceb__State__Instance flags = GCEB__STATE__INSTANCE__INIT;
	Gceb__State__Revision *r;
	Gceb__State__Instance *in;

	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", NULL, KEYS("a " R1 " z1"), NO_KEYS);
	put_group(env, "a " R1 " z1", "x",
		  KEYS("a " R1 " z1 vm-ok", "a " R1 " z1 vm-cat", "a " R1 " z1 vm-pend",
		       "a " R1 " z1 vm-gone"));
	put_instance(env, "a " R1 " z1 vm-ok", "a " R1 " z1", "x", NULL);
	flags.has_cataloged = flags.cataloged = true;
	put_instance(env, "a " R1 " z1 vm-cat", "a " R1 " z1", "x", &flags);
	flags = (Gceb__State__Instance)GCEB__STATE__INSTANCE__INIT;
	flags.has_pending_deletion = flags.pending_deletion = true;
	put_instance(env, "a " R1 " z1 vm-pend", "a " R1 " z1", "x", &flags);
	/* vm-gone: listed, no entity */

	put_template(env, "b", "b " R1, NO_KEYS); /* Revision missing */
	put_group(env, "b " R1 " z1", "x", KEYS("b " R1 " z1 vm-b"));
	put_instance(env, "b " R1 " z1 vm-b", "b " R1 " z1", "x", NULL);

	put_template(env, "c", "c " R1, NO_KEYS); /* no service accounts */
	put_revision(env, "c " R1, "p", NULL, KEYS("c " R1 " z1"), NO_KEYS);
	r = get_revision(env, "c " R1);
	r->n_service_accounts = 0;
	it_store_put(env, GCEB_KIND_REVISION, "c " R1, r);
	r->n_service_accounts = 1;
	gceb_entity_free(r);
	put_group(env, "c " R1 " z1", "x", KEYS("c " R1 " z1 vm-c"));
	put_instance(env, "c " R1 " z1 vm-c", "c " R1 " z1", "x", NULL);

	put_template(env, "d", "d " R1, NO_KEYS); /* group missing */
	put_revision(env, "d " R1, "p", NULL, KEYS("d " R1 " z1"), NO_KEYS);
	put_instance(env, "d " R1 " z1 vm-d", "d " R1 " z1", "x", NULL);

	it_run_ok(env, "catalog-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/add_machine"), 1);
	in = get_instance(env, "a " R1 " z1 vm-ok");
	assert_true(in->cataloged);
	gceb_entity_free(in);
	assert_false(exists(env, GCEB_KIND_INSTANCE, "a " R1 " z1 vm-gone"));
	in = get_instance(env, "a " R1 " z1 vm-pend");
	assert_false(in->cataloged);
	gceb_entity_free(in);
	in = get_instance(env, "b " R1 " z1 vm-b");
	assert_false(in->cataloged);
	gceb_entity_free(in);
	in = get_instance(env, "c " R1 " z1 vm-c");
	assert_false(in->cataloged);
	gceb_entity_free(in);
	in = get_instance(env, "d " R1 " z1 vm-d");
	assert_false(in->cataloged);
	gceb_entity_free(in);
}

/* ---- update-cataloged-instances (docs/design/catalog.md) ---- */

/* UPD-1: not cataloged (or already pending deletion): no get call, nothing changes. */
static void update_preconditions(void **state)
{
	struct it_env *env = *state;
	Gceb__State__Instance flags = GCEB__STATE__INSTANCE__INIT;
	Gceb__State__Instance *in;

	put_instance(env, "a " R1 " z1 vm-1", "a " R1 " z1", "x", NULL);
	flags.has_cataloged = flags.cataloged = true;
	flags.has_pending_deletion = flags.pending_deletion = true;
	put_instance(env, "a " R1 " z1 vm-2", "a " R1 " z1", "x", &flags);

	it_run_ok(env, "update-cataloged-instances");
	assert_int_equal(calls(env, "/_ah/api/catalog/"), 0);
	in = get_instance(env, "a " R1 " z1 vm-1");
	assert_false(in->cataloged || in->pending_deletion || in->has_lease_expiration_ts);
	gceb_entity_free(in);
}

/*
 * UPD-2, UPD-4: an unset lease is set from the answer, a different one
 * replaced, an equal one leaves the entity unwritten (last_updated kept).
 */
static void update_lease_recorded(void **state)
{
	struct it_env *env = *state;
	Gceb__State__Instance flags = GCEB__STATE__INSTANCE__INIT, *in;
	int64_t stamp;

	flags.has_cataloged = flags.cataloged = true;
	put_instance(env, "a " R1 " z1 vm-1", "a " R1 " z1", "x", &flags);
	fault(env, "POST", "*/catalog/v1/get", 200, "{\"lease_expiration_ts\": \"1500000000\"}", 1);
	it_run_ok(env, "update-cataloged-instances");
	in = get_instance(env, "a " R1 " z1 vm-1");
	assert_true(in->has_lease_expiration_ts);
	assert_int_equal(in->lease_expiration_ts, 1500000000);
	assert_false(in->pending_deletion);
	gceb_entity_free(in);

	fault(env, "POST", "*/catalog/v1/get", 200, "{\"lease_expiration_ts\": \"1600000000\"}", 2);
	it_run_ok(env, "update-cataloged-instances");
	in = get_instance(env, "a " R1 " z1 vm-1");
	assert_int_equal(in->lease_expiration_ts, 1600000000);
	stamp = in->last_updated;
	gceb_entity_free(in);
	(void)sleep(1); /* a rewrite would stamp a later second */
	it_run_ok(env, "update-cataloged-instances");
	in = get_instance(env, "a " R1 " z1 vm-1");
	assert_int_equal(in->lease_expiration_ts, 1600000000);
	assert_int_equal(in->last_updated, stamp);
	gceb_entity_free(in);
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/get"), 3);
}

/* ---- schedule-metadata-tasks (docs/design/metadata.md) ---- */

static void put_md_item(Gceb__State__MetadataItem *it, const char *key, const char *value)
{
	*it = (Gceb__State__MetadataItem)GCEB__STATE__METADATA_ITEM__INIT;
	it->key = (char *)key;
	it->value = (char *)value;
}

/* The value of @key in @u, or NULL. */
static const char *md_value(const Gceb__State__MetadataUpdate *u, const char *key)
{
	size_t i;

	for (i = 0; i < u->n_metadata; i++)
		if (!strcmp(u->metadata[i]->key, key))
			return u->metadata[i]->value ? u->metadata[i]->value : "(null)";
	return NULL;
}

/*
 * MD-5: three pending {k1:v1}, {k2:v2}, {k3:v3,k1:value} compress into one
 * active {k1:value, k2:v2, k3:v3}; an instance with an active update keeps
 * its pending ones (MD-5 "active exists"). MD-7: an active update whose
 * group, Revision or project is missing sends nothing and stays.
 */
static void metadata_compress_and_update_preconditions(void **state)
{
	struct it_env *env = *state;
	Gceb__State__MetadataItem i1, i2, i3, i4, *l1[] = { &i1 }, *l2[] = { &i2 },
						  *l3[] = { &i3, &i4 };
	Gceb__State__MetadataUpdate u1 = GCEB__STATE__METADATA_UPDATE__INIT,
				    u2 = GCEB__STATE__METADATA_UPDATE__INIT,
				    u3 = GCEB__STATE__METADATA_UPDATE__INIT,
				    *pending[] = { &u1, &u2, &u3 };
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT, *got;
	char url[512];

	put_md_item(&i1, "k1", "v1");
	put_md_item(&i2, "k2", "v2");
	put_md_item(&i3, "k3", "v3");
	put_md_item(&i4, "k1", "value");
	u1.metadata = l1;
	u1.n_metadata = 1;
	u2.metadata = l2;
	u2.n_metadata = 1;
	u3.metadata = l3;
	u3.n_metadata = 2;
	in.pending_metadata_updates = pending;
	in.n_pending_metadata_updates = 3;
	put_instance(env, "a " R1 " z1 vm-1", "a " R1 " z1",
		     gce_url(env, url, sizeof(url), "zones/z1/instances/vm-1"), &in);

	/* MD-7: group missing (a), Revision missing (b), project empty (c). */
	put_revision(env, "c " R1, "", NULL, NO_KEYS, NO_KEYS);
	put_group(env, "b " R1 " z1", "x", NO_KEYS);
	put_group(env, "c " R1 " z1", "x", NO_KEYS);
	in.pending_metadata_updates = NULL;
	in.n_pending_metadata_updates = 0;
	in.active_metadata_update = &u2;
	u2.checksum = (char *)"c";
	put_instance(env, "a " R1 " z2 vm-2", "a " R1 " z2",
		     gce_url(env, url, sizeof(url), "zones/z2/instances/vm-2"), &in);
	put_instance(env, "b " R1 " z1 vm-3", "b " R1 " z1",
		     gce_url(env, url, sizeof(url), "zones/z1/instances/vm-3"), &in);
	/* MD-5 "active exists": this one also has a pending update, kept as it is. */
	in.pending_metadata_updates = pending;
	in.n_pending_metadata_updates = 1;
	put_instance(env, "c " R1 " z1 vm-4", "c " R1 " z1",
		     gce_url(env, url, sizeof(url), "zones/z1/instances/vm-4"), &in);

	it_run_ok(env, "schedule-metadata-tasks");
	it_run_ok(env, "schedule-metadata-tasks");
	assert_int_equal(calls(env, "/instances/"), 0);

	got = get_instance(env, "a " R1 " z1 vm-1");
	assert_int_equal(got->n_pending_metadata_updates, 0);
	assert_non_null(got->active_metadata_update);
	assert_int_equal(got->active_metadata_update->n_metadata, 3);
	assert_string_equal(md_value(got->active_metadata_update, "k1"), "value");
	assert_string_equal(md_value(got->active_metadata_update, "k2"), "v2");
	assert_string_equal(md_value(got->active_metadata_update, "k3"), "v3");
	assert_null(got->active_metadata_update->url);
	gceb_entity_free(got);
	got = get_instance(env, "c " R1 " z1 vm-4");
	assert_int_equal(got->n_pending_metadata_updates, 1);
	assert_string_equal(md_value(got->active_metadata_update, "k2"), "v2");
	assert_null(got->active_metadata_update->url);
	gceb_entity_free(got);
	got = get_instance(env, "b " R1 " z1 vm-3");
	assert_null(got->active_metadata_update->url);
	gceb_entity_free(got);
}

/*
 * MD-2, MD-4: the update sets the active url and operation_ts; a check
 * while the operation is not DONE changes nothing; DONE clears the active
 * update and keeps what was queued meanwhile. An instance without an
 * active update is never polled (MD-4 "no active").
 */
static void metadata_associate_and_check(void **state)
{
	struct it_env *env = *state;
	Gceb__State__MetadataItem i1, *l1[] = { &i1 };
	Gceb__State__MetadataUpdate u1 = GCEB__STATE__METADATA_UPDATE__INIT, *pending[] = { &u1 };
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT, *got;
	char url[512], op_url[512], body[1024];
	char *op;

	put_revision(env, "a " R1, "p", NULL, NO_KEYS, NO_KEYS);
	put_group(env, "a " R1 " z1", "x", NO_KEYS);
	put_md_item(&i1, "color", "blue");
	u1.metadata = l1;
	u1.n_metadata = 1;
	in.pending_metadata_updates = pending;
	in.n_pending_metadata_updates = 1;
	put_instance(env, "a " R1 " z1 vm-1", "a " R1 " z1",
		     gce_url(env, url, sizeof(url), "zones/z1/instances/vm-1"), &in);
	put_instance(env, "a " R1 " z1 vm-2", "a " R1 " z1",
		     gce_url(env, url, sizeof(url), "zones/z1/instances/vm-2"), NULL);
	(void)snprintf(body, sizeof(body),
		       "{\"kind\": \"compute#instance\", \"name\": \"vm-1\", \"metadata\": "
		       "{\"fingerprint\": \"Zm9v\", \"items\": [{\"key\": \"role\", "
		       "\"value\": \"web\"}]}}");
	fault(env, "GET", "*/zones/z1/instances/vm-1", 200, body, 0);
	op = operation(env, "op-md", "PENDING", url, NULL);
	fault(env, "POST", "*/zones/z1/instances/vm-1/setMetadata", 200, op, 1);
	free(op);
	(void)gce_url(env, op_url, sizeof(op_url), "zones/z/operations/op-md");

	it_run_ok(env, "schedule-metadata-tasks"); /* compress */
	it_run_ok(env, "schedule-metadata-tasks"); /* update */
	assert_int_equal(it_emu_count_requests(env, "POST", "/setMetadata"), 1);
	assert_int_equal(calls(env, "/instances/vm-2"), 0);
	got = get_instance(env, "a " R1 " z1 vm-1");
	assert_string_equal(got->active_metadata_update->url, op_url); /* MD-2 */
	assert_true(got->active_metadata_update->has_operation_ts);
	assert_true(got->active_metadata_update->operation_ts > 0);
	/* Queued while the operation runs (MD-4: DONE keeps it). */
	got->pending_metadata_updates = pending;
	got->n_pending_metadata_updates = 1;
	it_store_put(env, GCEB_KIND_INSTANCE, "a " R1 " z1 vm-1", got);
	got->pending_metadata_updates = NULL;
	got->n_pending_metadata_updates = 0;
	gceb_entity_free(got);

	op = operation(env, "op-md", "RUNNING", url, NULL);
	fault(env, "GET", "*/operations/op-md", 200, op, 1);
	free(op);
	clear_requests(env);
	it_run_ok(env, "schedule-metadata-tasks"); /* check: still running */
	assert_int_equal(calls(env, "/operations/op-md"), 1);
	assert_int_equal(it_emu_count_requests(env, "POST", "/setMetadata"), 0);
	got = get_instance(env, "a " R1 " z1 vm-1");
	assert_string_equal(got->active_metadata_update->url, op_url);
	assert_int_equal(got->n_pending_metadata_updates, 1);
	gceb_entity_free(got);

	op = operation(env, "op-md", "DONE", url, NULL);
	fault(env, "GET", "*/operations/op-md", 200, op, 1);
	free(op);
	it_run_ok(env, "schedule-metadata-tasks"); /* check: DONE */
	got = get_instance(env, "a " R1 " z1 vm-1");
	assert_null(got->active_metadata_update);
	assert_int_equal(got->n_pending_metadata_updates, 1);
	gceb_entity_free(got);
}

/* ---- delete-instances-pending-deletion (docs/design/instances.md) ---- */

static void put_pending(const struct it_env *env, const char *key, const char *igm, const char *url,
			bool pending, int64_t deletion_ts)
{
	Gceb__State__Instance in = GCEB__STATE__INSTANCE__INIT;

	in.has_pending_deletion = true;
	in.pending_deletion = pending;
	if (deletion_ts) {
		in.has_deletion_ts = true;
		in.deletion_ts = deletion_ts;
	}
	put_instance(env, key, igm, url, &in);
}

/*
 * DEL-1: not pending / no url / group missing / Revision missing / project
 * empty: no deleteInstances. DEL-3: deletion_ts already set, DONE: the call
 * is made and deletion_ts kept. DEL-4: not DONE: no deletion_ts. DEL-6: 403
 * is an error.
 */
static void delete_instances_cases(void **state)
{
	struct it_env *env = *state;
	Gceb__State__Instance *in;
	char url[512];
	char *op;

	put_revision(env, "a " R1, "p", NULL, NO_KEYS, NO_KEYS);
	put_revision(env, "c " R1, "", NULL, NO_KEYS, NO_KEYS);
	put_group(env, "a " R1 " z1", "x", NO_KEYS);
	put_group(env, "a " R1 " z2", "x", NO_KEYS);
	put_group(env, "a " R1 " z3", "x", NO_KEYS);
	put_group(env, "b " R1 " z1", "x", NO_KEYS);
	put_group(env, "c " R1 " z1", "x", NO_KEYS);
	(void)gce_url(env, url, sizeof(url), "zones/z/instances/vm");
	put_pending(env, "a " R1 " z1 vm-not", "a " R1 " z1", url, false, 0);
	put_pending(env, "a " R1 " z1 vm-nourl", "a " R1 " z1", NULL, true, 0);
	put_pending(env, "a " R1 " z9 vm-nogroup", "a " R1 " z9", url, true, 0);
	put_pending(env, "b " R1 " z1 vm-norev", "b " R1 " z1", url, true, 0);
	put_pending(env, "c " R1 " z1 vm-noproj", "c " R1 " z1", url, true, 0);
	it_run_ok(env, "delete-instances-pending-deletion");
	assert_int_equal(calls(env, "/deleteInstances"), 0);

	put_pending(env, "a " R1 " z1 vm-ts", "a " R1 " z1", url, true, 12345);
	put_pending(env, "a " R1 " z2 vm-run", "a " R1 " z2", url, true, 0);
	put_pending(env, "a " R1 " z3 vm-403", "a " R1 " z3", url, true, 0);
	op = operation(env, "op-d1", "DONE", NULL, NULL);
	fault(env, "POST", "*/zones/z1/instanceGroupManagers/*/deleteInstances", 200, op, 0);
	free(op);
	op = operation(env, "op-d2", "RUNNING", NULL, NULL);
	fault(env, "POST", "*/zones/z2/instanceGroupManagers/*/deleteInstances", 200, op, 0);
	free(op);
	fault(env, "POST", "*/zones/z3/instanceGroupManagers/*/deleteInstances", 403, NULL, 0);
	expect_failed(env, "delete-instances-pending-deletion", 77, 1, "HTTP 403");
	/* The 403 is sent once more, with a fresh token (http.h). */
	assert_int_equal(calls(env, "/deleteInstances"), 4);
	in = get_instance(env, "a " R1 " z1 vm-ts");
	assert_int_equal(in->deletion_ts, 12345);
	gceb_entity_free(in);
	in = get_instance(env, "a " R1 " z2 vm-run");
	assert_false(in->has_deletion_ts);
	gceb_entity_free(in);
	in = get_instance(env, "a " R1 " z3 vm-403");
	assert_false(in->has_deletion_ts);
	gceb_entity_free(in);
}

/* ---- resize-instance-groups (docs/design/instances.md) ---- */

/*
 * RSZ-1: group missing / url unset / Revision missing / project empty:
 * neither GET nor resize. RSZ-2: a GET answer without currentActions: no
 * resize (gceb reports the item as failed: the idle count is unknown).
 */
static void resize_preconditions(void **state)
{
	struct it_env *env = *state;
	char url[512];

	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", NULL, KEYS("a " R1 " z1", "a " R1 " z2"), NO_KEYS);
	put_group(env, "a " R1 " z1", NULL, NO_KEYS); /* url unset; z2 missing */
	put_template(env, "b", "b " R1, NO_KEYS);     /* Revision missing */
	put_group(env, "b " R1 " z1", "x", NO_KEYS);
	put_template(env, "c", "c " R1, NO_KEYS); /* project empty */
	put_revision(env, "c " R1, "", NULL, KEYS("c " R1 " z1"), NO_KEYS);
	put_group(env, "c " R1 " z1", "x", NO_KEYS);
	it_run_ok(env, "resize-instance-groups");
	assert_int_equal(calls(env, "/instanceGroupManagers"), 0);

	put_template(env, "d", "d " R1, NO_KEYS);
	put_revision(env, "d " R1, "p", NULL, KEYS("d " R1 " z5"), NO_KEYS);
	put_group(env, "d " R1 " z5",
		  gce_url(env, url, sizeof(url), "zones/z5/instanceGroupManagers/d-" R1), NO_KEYS);
	fault(env, "GET", "*/zones/z5/instanceGroupManagers/*", 200,
	      "{\"kind\": \"compute#instanceGroupManager\", \"name\": \"d-" R1
	      "\", \"targetSize\": 0}",
	      0);
	expect_failed(env, "resize-instance-groups", 76, 1, "currentActions");
	assert_int_equal(it_emu_count_requests(env, "GET", "/zones/z5/instanceGroupManagers/"), 1);
	assert_int_equal(calls(env, "/resize"), 0);
}

/* ---- remove-cataloged-instances (docs/design/catalog.md) ---- */

/* REM-1: a drained group lists an instance that has no entity: no delete_machine. */
static void remove_missing_instance(void **state)
{
	struct it_env *env = *state;

	put_template(env, "a", NULL, KEYS("a " R1));
	put_revision(env, "a " R1, "p", NULL, KEYS("a " R1 " z1"), NO_KEYS);
	put_group(env, "a " R1 " z1", "x", KEYS("a " R1 " z1 vm-1"));
	it_run_ok(env, "remove-cataloged-instances");
	assert_int_equal(calls(env, "/delete_machine"), 0);
	assert_false(exists(env, GCEB_KIND_INSTANCE, "a " R1 " z1 vm-1"));
}

/* ---- delete-instance-group-managers / delete-instance-templates (docs/design/delete.md) ---- */

/*
 * DIG-1..8: the drained set (explicit: in R.drained; implicit: R in
 * T.drained, group in R.active) minus groups with instances or without
 * url; then each DELETE answer: a matching targetLink or 404 clears the
 * url; a foreign targetLink or 400 keeps it and is an error.
 */
static void delete_groups_cases(void **state)
{
	struct it_env *env = *state;
	char u[8][512], got[512], *op;
	int i;

	for (i = 0; i < 8; i++) {
		char rest[128];

		(void)snprintf(rest, sizeof(rest), "zones/z%d/instanceGroupManagers/g", i);
		(void)gce_url(env, u[i], sizeof(u[i]), rest);
	}
	/* DIG-8: no entities, nothing drained. */
	it_run_ok(env, "delete-instance-group-managers");
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/"), 0);
	/* a: R active, with z0 active (DIG-8 only active), z1..z5 explicitly drained. */
	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", NULL, KEYS("a " R1 " z0"),
		     KEYS("a " R1 " z1", "a " R1 " z2", "a " R1 " z3", "a " R1 " z4", "a " R1 " z5",
			  "a " R1 " z9"));
	put_group(env, "a " R1 " z0", u[0], NO_KEYS);
	put_group(env, "a " R1 " z1", u[1], NO_KEYS);                /* DIG-5: 404 */
	put_group(env, "a " R1 " z2", u[2], KEYS("a " R1 " z2 vm")); /* DIG-7: instances */
	put_group(env, "a " R1 " z3", NULL, NO_KEYS);                /* DIG-4: no url */
	put_group(env, "a " R1 " z4", u[4], NO_KEYS);                /* DIG-3: foreign targetLink */
	put_group(env, "a " R1 " z5", u[5], NO_KEYS);                /* DIG-6: 400 */
	/* z9: DIG-1, no entity */
	/* b: implicitly drained (DIG-8), DONE with its own targetLink (DIG-2). */
	put_template(env, "b", NULL, KEYS("b " R1));
	put_revision(env, "b " R1, "p", NULL, KEYS("b " R1 " z6"), NO_KEYS);
	put_group(env, "b " R1 " z6", u[6], NO_KEYS);
	/* c: a group without Revision is in no drained set. */
	put_group(env, "c " R1 " z7", u[7], NO_KEYS);

	op = operation(env, "op-g6", "DONE", u[6], NULL);
	fault(env, "DELETE", "*/zones/z6/instanceGroupManagers/g", 200, op, 0);
	free(op);
	op = operation(env, "op-g4", "DONE", u[7], NULL);
	fault(env, "DELETE", "*/zones/z4/instanceGroupManagers/g", 200, op, 0);
	free(op);
	fault(env, "DELETE", "*/zones/z5/instanceGroupManagers/g", 400, NULL, 0);

	/* A 400 (class 1) and an answer about another group (malformed, 76): 76. */
	expect_failed(env, "delete-instance-group-managers", 76, 2, "group 'a " R1 " z");
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/instanceGroupManagers/"), 4);
	for (i = 1; i <= 6; i++) {
		char part[64];
		int want = i == 1 || i == 4 || i == 5 || i == 6;

		(void)snprintf(part, sizeof(part), "/zones/z%d/", i);
		assert_int_equal(it_emu_count_requests(env, "DELETE", part), want);
	}
	assert_string_equal(url_of(env, GCEB_KIND_IGM, "a " R1 " z0", got, sizeof(got)), u[0]);
	assert_false(has_url(env, GCEB_KIND_IGM, "a " R1 " z1"));
	assert_string_equal(url_of(env, GCEB_KIND_IGM, "a " R1 " z2", got, sizeof(got)), u[2]);
	assert_string_equal(url_of(env, GCEB_KIND_IGM, "a " R1 " z4", got, sizeof(got)), u[4]);
	assert_string_equal(url_of(env, GCEB_KIND_IGM, "a " R1 " z5", got, sizeof(got)), u[5]);
	assert_false(has_url(env, GCEB_KIND_IGM, "b " R1 " z6"));
	assert_string_equal(url_of(env, GCEB_KIND_IGM, "c " R1 " z7", got, sizeof(got)), u[7]);
}

/*
 * DTP-1..8: every T's drained revisions (the active one ignored) without
 * groups and with a url; then the same answers as DIG-1..6.
 */
static void delete_templates_cases(void **state)
{
	struct it_env *env = *state;
	char u[8][512], got[512], *op;
	int i;

	for (i = 0; i < 8; i++) {
		char rest[128];

		(void)snprintf(rest, sizeof(rest), "global/instanceTemplates/t%d", i);
		(void)gce_url(env, u[i], sizeof(u[i]), rest);
	}
	/* DTP-8: no entities, nothing drained. */
	it_run_ok(env, "delete-instance-templates");
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/"), 0);
	put_template(env, "a", "a " R1, KEYS("a " R2, "a " R3)); /* a T with two drained */
	put_revision(env, "a " R1, "p", u[0], NO_KEYS, NO_KEYS); /* active: ignored */
	put_revision(env, "a " R2, "p", u[1], NO_KEYS, NO_KEYS); /* DTP-5: 404 */
	put_revision(env, "a " R3, "p", u[2], NO_KEYS, NO_KEYS); /* DTP-2: targetLink = url */
	put_template(env, "b", NULL, KEYS("b " R1, "b " R2, "b " R3, "b 4"));
	put_revision(env, "b " R1, "p", u[3], KEYS("b " R1 " z"), NO_KEYS); /* active IGMs */
	put_revision(env, "b " R2, "p", u[4], NO_KEYS, KEYS("b " R2 " z")); /* drained IGMs */
	put_revision(env, "b " R3, "p", NULL, NO_KEYS, NO_KEYS);            /* DTP-4: no url */
	/* "b 4": DTP-1, missing */
	put_template(env, "c", NULL, KEYS("c " R1, "c " R2));
	put_revision(env, "c " R1, "p", u[5], NO_KEYS, NO_KEYS); /* DTP-3: foreign targetLink */
	put_revision(env, "c " R2, "p", u[6], NO_KEYS, NO_KEYS); /* DTP-6: 400 */
	put_template(env, "d", NULL, NO_KEYS);                   /* T with none */

	op = operation(env, "op-t2", "DONE", u[2], NULL);
	fault(env, "DELETE", "*/instanceTemplates/t2", 200, op, 0);
	free(op);
	op = operation(env, "op-t5", "DONE", u[7], NULL);
	fault(env, "DELETE", "*/instanceTemplates/t5", 200, op, 0);
	free(op);
	fault(env, "DELETE", "*/instanceTemplates/t6", 400, NULL, 0);

	/* A 400 (class 1) and an answer about another template (malformed, 76): 76. */
	expect_failed(env, "delete-instance-templates", 76, 2, "revision 'c ");
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/instanceTemplates/"), 4);
	for (i = 0; i < 7; i++) {
		char part[64];
		int want = i == 1 || i == 2 || i == 5 || i == 6;

		(void)snprintf(part, sizeof(part), "/instanceTemplates/t%d", i);
		assert_int_equal(it_emu_count_requests(env, "DELETE", part), want);
	}
	assert_true(has_url(env, GCEB_KIND_REVISION, "a " R1));
	assert_false(has_url(env, GCEB_KIND_REVISION, "a " R2));
	assert_false(has_url(env, GCEB_KIND_REVISION, "a " R3));
	assert_true(has_url(env, GCEB_KIND_REVISION, "b " R1));
	assert_true(has_url(env, GCEB_KIND_REVISION, "b " R2));
	assert_string_equal(url_of(env, GCEB_KIND_REVISION, "c " R1, got, sizeof(got)), u[5]);
	assert_string_equal(url_of(env, GCEB_KIND_REVISION, "c " R2, got, sizeof(got)), u[6]);
}

/* ---- cleanup-entities (docs/design/cleanup.md) ---- */

/*
 * CLN-1, CLN-10, CLN-11: of the instances pending deletion, one without url
 * is not checked; a GET that succeeds keeps it; 404 marks it deleted; 403 is
 * an error. One neither pending nor drained is not checked (CLN-11).
 * CLN-3: of the never-cataloged instances, only those of an explicitly or
 * implicitly drained group are checked, and 404 marks them deleted.
 */
static void cleanup_instances(void **state)
{
	struct it_env *env = *state;
	char url[512];
	Gceb__State__Instance *in;
	static const struct {
		const char *key, *name;
		bool pending, with_url, deleted;
	} cases[] = {
		/* CLN-1 */
		{ "a " R1 " z1 p-nourl", NULL, true, false, false },
		{ "a " R1 " z1 p-alive", "p-alive", true, true, false },
		{ "a " R1 " z1 p-gone", "p-gone", true, true, true },
		{ "a " R1 " z1 p-403", "p-403", true, true, false },
		/* CLN-3 on the active group a z1: not drained */
		{ "a " R1 " z1 d-active", "d-active", false, true, false },
		/* explicitly drained (a z2 in R.drained) */
		{ "a " R1 " z2 d-explicit", "d-explicit", false, true, true },
		{ "a " R1 " z2 d-nourl", NULL, false, false, false },
		/* implicitly drained (b R1 in T.drained) */
		{ "b " R1 " z1 d-implicit", "d-implicit", false, true, true },
		/* Revision missing (c), template missing (d) */
		{ "c " R1 " z1 d-norev", "d-norev", false, true, false },
		{ "d " R1 " z1 d-not", "d-not", false, true, false },
	};
	size_t i;

	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", "x", KEYS("a " R1 " z1"), KEYS("a " R1 " z2"));
	put_group(env, "a " R1 " z1", "x", NO_KEYS);
	put_group(env, "a " R1 " z2", "x", NO_KEYS);
	put_template(env, "b", NULL, KEYS("b " R1));
	put_revision(env, "b " R1, "p", "x", KEYS("b " R1 " z1"), NO_KEYS);
	put_group(env, "b " R1 " z1", "x", NO_KEYS);
	put_group(env, "c " R1 " z1", "x", NO_KEYS);
	put_revision(env, "d " R1, "p", "x", NO_KEYS, KEYS("d " R1 " z1"));
	put_group(env, "d " R1 " z1", "x", NO_KEYS);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char rest[128], igm[128];

		/* The group is the key's first three tokens. */
		(void)snprintf(igm, sizeof(igm), "%.*s",
			       (int)(strrchr(cases[i].key, ' ') - cases[i].key), cases[i].key);
		(void)snprintf(rest, sizeof(rest), "zones/z1/instances/%s",
			       cases[i].name ? cases[i].name : "none");
		put_pending(env, cases[i].key, igm,
			    cases[i].with_url ? gce_url(env, url, sizeof(url), rest) : NULL,
			    cases[i].pending, 0);
	}
	fault(env, "GET", "*/instances/p-alive", 200,
	      "{\"kind\": \"compute#instance\", \"name\": \"p-alive\"}", 0);
	fault(env, "GET", "*/instances/p-403", 403, NULL, 0);
	/* The others are unknown to the emulator: 404. */

	expect_failed(env, "cleanup-entities", 77, 1, "HTTP 403");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char part[128];
		int want = cases[i].with_url && strcmp(cases[i].name, "d-active") != 0 &&
			   strcmp(cases[i].name, "d-norev") != 0 &&
			   strcmp(cases[i].name, "d-not") != 0;

		/* The 403 is sent once more, with a fresh token (http.h). */
		if (cases[i].name && !strcmp(cases[i].name, "p-403"))
			want = 2;
		if (cases[i].name) {
			(void)snprintf(part, sizeof(part), "/instances/%s", cases[i].name);
			if (it_emu_count_requests(env, "GET", part) != want)
				print_message("%s: %d GETs\n", cases[i].key,
					      it_emu_count_requests(env, "GET", part));
			assert_int_equal(it_emu_count_requests(env, "GET", part), want);
		}
		in = get_instance(env, cases[i].key);
		assert_non_null(in); /* CLN-2: only deleted ones are purged, and not yet */
		if (in->deleted != cases[i].deleted)
			print_message("%s: deleted %d\n", cases[i].key, in->deleted);
		assert_int_equal(in->deleted, cases[i].deleted);
		gceb_entity_free(in);
	}
}

/*
 * CLN-7, CLN-8, CLN-9 (CLN-4..6 over the drained set and every template):
 * group, revision and template entities go only when nothing refers to
 * anything in GCE any more, and their parents' lists lose just them.
 */
static void cleanup_entities_cases(void **state)
{
	struct it_env *env = *state;
	Gceb__State__Revision *r;
	Gceb__State__InstanceTemplate *t;

	/* CLN-7 on a: z1 url, z2 instances, z0 active: kept; z3 explicitly drained: goes. */
	put_template(env, "a", "a " R1, NO_KEYS);
	put_revision(env, "a " R1, "p", "x", KEYS("a " R1 " z0"),
		     KEYS("a " R1 " z1", "a " R1 " z2", "a " R1 " z3", "a " R1 " z4"));
	put_group(env, "a " R1 " z0", NULL, NO_KEYS);
	put_group(env, "a " R1 " z1", "x", NO_KEYS);
	put_group(env, "a " R1 " z2", NULL, KEYS("a " R1 " z2 vm"));
	put_group(env, "a " R1 " z3", NULL, NO_KEYS);
	put_group(env, "a " R1 " z4", "x", NO_KEYS);
	/* Implicitly drained: R.active = [z1, z2, z3], z2 goes, R in T.drained. */
	put_template(env, "b", "b " R2, KEYS("b " R1));
	put_revision(env, "b " R1, "p", "x", KEYS("b " R1 " z1", "b " R1 " z2", "b " R1 " z3"),
		     NO_KEYS);
	put_group(env, "b " R1 " z1", "x", NO_KEYS);
	put_group(env, "b " R1 " z2", NULL, NO_KEYS);
	put_group(env, "b " R1 " z3", "x", NO_KEYS);
	put_revision(env, "b " R2, "p", "x", NO_KEYS, NO_KEYS); /* CLN-9: T.active: kept */
	/* CLN-7 "T missing": kept. */
	put_revision(env, "c " R1, "p", "x", NO_KEYS, KEYS("c " R1 " z1"));
	put_group(env, "c " R1 " z1", NULL, NO_KEYS);
	/* CLN-9: d.drained = [R1 url, R2 active IGMs, R3 gone..., "d x" drained IGMs]. */
	put_template(env, "d", NULL,
		     KEYS("d " R1, "d " R2, "d " R3, "d 4", "d 5")); /* d 5: missing */
	put_revision(env, "d " R1, "p", "x", NO_KEYS, NO_KEYS);
	put_revision(env, "d " R2, "p", NULL, KEYS("d " R2 " zz"), NO_KEYS);
	put_revision(env, "d " R3, "p", NULL, NO_KEYS, NO_KEYS);
	put_revision(env, "d 4", "p", NULL, NO_KEYS, KEYS("d 4 zz"));
	put_group(env, "d " R2 " zz", "x", NO_KEYS);
	put_group(env, "d 4 zz", "x", NO_KEYS);
	/* CLN-8: e active set, f drained non-empty: kept; g neither: goes. */
	put_template(env, "e", "e " R1, NO_KEYS);
	put_template(env, "f", NULL, KEYS("f " R1));
	put_revision(env, "f " R1, "p", "x", NO_KEYS, NO_KEYS);
	put_template(env, "g", NULL, NO_KEYS);
	/* CLN-7 "Revision missing": kept. */
	put_group(env, "h " R1 " z1", NULL, NO_KEYS);

	it_run_ok(env, "cleanup-entities");
	assert_true(exists(env, GCEB_KIND_IGM, "h " R1 " z1"));
	assert_true(exists(env, GCEB_KIND_IGM, "a " R1 " z0"));
	assert_true(exists(env, GCEB_KIND_IGM, "a " R1 " z1"));
	assert_true(exists(env, GCEB_KIND_IGM, "a " R1 " z2"));
	assert_false(exists(env, GCEB_KIND_IGM, "a " R1 " z3"));
	assert_true(exists(env, GCEB_KIND_IGM, "a " R1 " z4"));
	r = get_revision(env, "a " R1);
	assert_true(strv_equal(r->active, r->n_active, KEYS("a " R1 " z0")));
	assert_true(strv_equal(r->drained, r->n_drained,
			       KEYS("a " R1 " z1", "a " R1 " z2", "a " R1 " z4")));
	gceb_entity_free(r);
	assert_false(exists(env, GCEB_KIND_IGM, "b " R1 " z2"));
	r = get_revision(env, "b " R1);
	assert_true(strv_equal(r->active, r->n_active, KEYS("b " R1 " z1", "b " R1 " z3")));
	gceb_entity_free(r);
	assert_true(exists(env, GCEB_KIND_REVISION, "b " R2));
	assert_true(exists(env, GCEB_KIND_IGM, "c " R1 " z1"));

	assert_true(exists(env, GCEB_KIND_REVISION, "d " R1));
	assert_true(exists(env, GCEB_KIND_REVISION, "d " R2));
	assert_false(exists(env, GCEB_KIND_REVISION, "d " R3));
	assert_true(exists(env, GCEB_KIND_REVISION, "d 4"));
	t = get(env, GCEB_KIND_TEMPLATE, "d");
	assert_true(strv_equal(t->drained, t->n_drained, KEYS("d " R1, "d " R2, "d 4", "d 5")));
	gceb_entity_free(t);

	assert_true(exists(env, GCEB_KIND_TEMPLATE, "e"));
	assert_true(exists(env, GCEB_KIND_TEMPLATE, "f"));
	assert_false(exists(env, GCEB_KIND_TEMPLATE, "g"));
}

/* ---- metrics (docs/design/store.md) ---- */

static long sample(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	return p ? strtol(p + strlen(series), NULL, 10) : -1;
}

/*
 * CNT-1 as gceb-status shows it: instances per template (groups[].instances
 * summed, and the gceb_instances gauge); nothing stored, nothing shown.
 */
static void instance_counts_per_base(void **state)
{
	struct it_env *env = *state;
	char dir[256], path[300], *text;
	long sums[3] = { 0 };
	const cJSON *g;
	cJSON *st;
	FILE *f;
	long len;

	assert_false(exists(env, GCEB_KIND_IGM, "a " R1 " z1")); /* an empty store */
	st = it_status(env);
	assert_int_equal(it_array_size(st, "groups"), 0);
	cJSON_Delete(st);

	put_group(env, "a " R1 " z1", "x", KEYS("a " R1 " z1 v1", "a " R1 " z1 v2"));
	put_group(env, "a " R1 " z2", "x", KEYS("a " R1 " z2 v3"));
	put_group(env, "b " R1 " z1", "x", KEYS("b " R1 " z1 v4"));
	put_group(env, "c " R1 " z1", "x", NO_KEYS);
	put_instance(env, "a " R1 " z1 v1", "a " R1 " z1", "x", NULL);
	put_instance(env, "a " R1 " z1 v2", "a " R1 " z1", "x", NULL);
	put_instance(env, "a " R1 " z2 v3", "a " R1 " z2", "x", NULL);
	put_instance(env, "b " R1 " z1 v4", "b " R1 " z1", "x", NULL);

	st = it_status(env);
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(st, "groups")) {
		const char *base = cJSON_GetObjectItemCaseSensitive(g, "base_name")->valuestring;

		sums[base[0] - 'a'] +=
			(long)cJSON_GetObjectItemCaseSensitive(g, "instances")->valuedouble;
	}
	cJSON_Delete(st);
	assert_int_equal(sums[0], 3);
	assert_int_equal(sums[1], 1);
	assert_int_equal(sums[2], 0);

	(void)snprintf(dir, sizeof(dir), "%s/metrics", env->root);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(it_run(env, NULL, "status", "--metrics-dir", dir, NULL), 0);
	(void)snprintf(path, sizeof(path), "%s/gceb_status.prom", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	(void)fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)len, f), (size_t)len);
	(void)fclose(f);
	assert_int_equal(sample(text, "gceb_instances{template=\"a\",zone=\"z1\",state=\"idle\"} "),
			 2);
	assert_int_equal(sample(text, "gceb_instances{template=\"a\",zone=\"z2\",state=\"idle\"} "),
			 1);
	assert_int_equal(sample(text, "gceb_instances{template=\"b\",zone=\"z1\",state=\"idle\"} "),
			 1);
	assert_null(strstr(text, "gceb_instances{template=\"c\""));
	free(text);
}

/* ---- group states: gceb-status and the drain jobs agree (lib/fleet.h) ---- */

/* The "state" gceb-status --json gives group @key ("base rev zone"). */
static const char *status_state(const cJSON *status, const char *key)
{
	const cJSON *g, *groups = cJSON_GetObjectItemCaseSensitive(status, "groups");
	char k[256];

	cJSON_ArrayForEach(g, groups) {
		(void)snprintf(k, sizeof(k), "%s %s %s",
			       cJSON_GetObjectItemCaseSensitive(g, "base_name")->valuestring,
			       cJSON_GetObjectItemCaseSensitive(g, "revision")->valuestring,
			       cJSON_GetObjectItemCaseSensitive(g, "zone")->valuestring);
		if (!strcmp(k, key))
			return cJSON_GetObjectItemCaseSensitive(g, "state")->valuestring;
	}
	return "(absent)";
}

/*
 * One group of each state, in zone z1 with an instance and in zone z2 with
 * a URL and no instances: a R1 is T.active (active), a R2 is in T.drained
 * (drained), a R3 is neither (unreferenced: gceb-status used to call its
 * groups drained), a R4 does not exist (orphan). gceb-status names the four
 * states, and the drain jobs act on the drained groups only.
 */
static void group_states_agree(void **state)
{
	static const struct {
		const char *rev, *state;
	} groups[] = {
		{ R1, "active" },
		{ R2, "drained" },
		{ R3, "unreferenced" },
		{ "4444444444444444444444444444444444444444", "orphan" },
	};
	struct it_env *env = *state;
	char key[128], vm[160], url[512], rest[128];
	Gceb__State__Instance *in;
	cJSON *status;
	size_t i;

	put_template(env, "a", "a " R1, KEYS("a " R2));
	for (i = 0; i < 3; i++) {
		char z1[96], z2[96];

		(void)snprintf(z1, sizeof(z1), "a %s z1", groups[i].rev);
		(void)snprintf(z2, sizeof(z2), "a %s z2", groups[i].rev);
		(void)snprintf(key, sizeof(key), "a %s", groups[i].rev);
		put_revision(env, key, "p", NULL, KEYS(z1, z2), NO_KEYS);
	}
	for (i = 0; i < 4; i++) {
		(void)snprintf(key, sizeof(key), "a %s z1", groups[i].rev);
		(void)snprintf(vm, sizeof(vm), "%s vm-%zu", key, i);
		put_group(env, key, "x", KEYS(vm));
		(void)snprintf(rest, sizeof(rest), "zones/z1/instances/vm-%zu", i);
		put_instance(env, vm, key, gce_url(env, url, sizeof(url), rest), NULL);
		(void)snprintf(key, sizeof(key), "a %s z2", groups[i].rev);
		(void)snprintf(rest, sizeof(rest), "zones/z2-%zu/instanceGroupManagers/g", i);
		put_group(env, key, gce_url(env, url, sizeof(url), rest), NO_KEYS);
	}

	status = it_status(env);
	assert_non_null(status);
	for (i = 0; i < 4; i++) {
		(void)snprintf(key, sizeof(key), "a %s z1", groups[i].rev);
		assert_string_equal(status_state(status, key), groups[i].state);
		(void)snprintf(key, sizeof(key), "a %s z2", groups[i].rev);
		assert_string_equal(status_state(status, key), groups[i].state);
	}
	cJSON_Delete(status);

	it_run_ok(env, "remove-cataloged-instances");
	it_run_ok(env, "delete-instance-group-managers");
	assert_int_equal(calls(env, "/delete_machine"), 1);
	for (i = 0; i < 4; i++) {
		bool drained = !strcmp(groups[i].state, "drained");

		(void)snprintf(vm, sizeof(vm), "a %s z1 vm-%zu", groups[i].rev, i);
		in = get_instance(env, vm);
		assert_non_null(in);
		if (in->pending_deletion != drained)
			print_message("%s: pending_deletion %d\n", vm, in->pending_deletion);
		assert_int_equal(in->pending_deletion, drained);
		gceb_entity_free(in);
		(void)snprintf(rest, sizeof(rest), "/zones/z2-%zu/instanceGroupManagers/", i);
		assert_int_equal(it_emu_count_requests(env, "DELETE", rest), drained);
		(void)snprintf(key, sizeof(key), "a %s z2", groups[i].rev);
		assert_int_equal(has_url(env, GCEB_KIND_IGM, key), !drained);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tpl_scan_and_preconditions, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(igm_scan_and_preconditions, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(igm_insert_400, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(fetch_preconditions_and_empty_listing, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(fetch_existing_untouched_new_created, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(catalog_preconditions, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_preconditions, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_lease_recorded, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(metadata_compress_and_update_preconditions, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(metadata_associate_and_check, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(delete_instances_cases, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(resize_preconditions, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(remove_missing_instance, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(delete_groups_cases, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(delete_templates_cases, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(cleanup_instances, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(cleanup_entities_cases, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(instance_counts_per_base, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(group_states_agree, setup, it_env_teardown),
	};

	return gceb_test_run("scenarios_9", tests, argc, argv);
}
