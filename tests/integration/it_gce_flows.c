/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_gce_flows.c - whole flows of the Compute Engine jobs against
 * gceb-emulator (docs/design/lifecycles.md, docs/design/create.md, docs/design/instances.md,
 * docs/design/metadata.md, docs/design/delete.md): a revision drained to nothing, a zone and a
 * template removed, vanished VMs, metadata updates, the three token sources, and the job lock.
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): setenv(), unsetenv() */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "harness.h"
#include "runner.h"

#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

/* libfaketime deadlocks in the sanitizer runtime's start-up: no purge checks there. */
#if defined(__SANITIZE_ADDRESS__)
# define WITH_FAKETIME 0
#elif defined(__has_feature)
# if __has_feature(address_sanitizer)
#  define WITH_FAKETIME 0
# endif
#endif
#ifndef WITH_FAKETIME
# define WITH_FAKETIME 1
#endif
#define SCOPES                                    \
 "[\"https://www.googleapis.com/auth/compute\", " \
 "\"https://www.googleapis.com/auth/userinfo.email\"]"

static const char TEMPLATE_WEB[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"%s\"\n"
	"  metadata: \"role:web\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char TEMPLATE_DB[] =
	"templates {\n"
	"  base_name: \"db\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-4\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGER[] = "managers { template_base_name: \"%s\" zone: \"%s\" "
			      "minimum_size: %d maximum_size: %d }\n";

/* ---- helpers ---- */

/*
 * The emulator's clock also runs in real time: VM steps of 5 s and
 * operations that end after 60 s (unless polled) keep every "not yet" of
 * these tests true however slowly the jobs run; the tests move the clock.
 */
static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_emu_start(env, "--vm-step-ms", "5000", "--op-ms", "60000", NULL);
	*state = env;
	return 0;
}

static int setup_paged(void **state)
{
	struct it_env *env = it_env_new();

	it_emu_start(env, "--vm-step-ms", "5000", "--op-ms", "60000", "--page-size", "2", NULL);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	(void)it_env_teardown(state);
	(void)unsetenv("GCEB_TOKEN_FILE");
	(void)unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	(void)unsetenv("LD_PRELOAD");
	(void)unsetenv("FAKETIME");
	(void)unsetenv("DONT_FAKE_MONOTONIC");
	return 0;
}

static void write_templates(const struct it_env *env, const char *machine_type, bool with_db)
{
	char text[1024];
	int n;

	n = snprintf(text, sizeof(text), TEMPLATE_WEB, machine_type);
	if (with_db)
		(void)snprintf(text + n, sizeof(text) - (size_t)n, "%s", TEMPLATE_DB);
	it_write_config(env, "templates.cfg", text);
}

/* managers.cfg from (base, zone, min, max) quadruples, terminated by a NULL base. */
static void write_managers(const struct it_env *env, ...)
{
	char text[1024] = "";
	size_t len = 0;
	const char *base;
	va_list ap;

	va_start(ap, env);
	while ((base = va_arg(ap, const char *))) {
		const char *zone = va_arg(ap, const char *);
		int min = va_arg(ap, int), max = va_arg(ap, int);

		len += (size_t)snprintf(text + len, sizeof(text) - len, MANAGER, base, zone, min,
					max);
	}
	va_end(ap);
	it_write_config(env, "managers.cfg", text);
}

static void apply_config(const struct it_env *env)
{
	it_expect(env, 0, "import-config");
	it_expect(env, 0, "process-config");
}

static const cJSON *array(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int count(const struct it_env *env, const char *what)
{
	cJSON *st = it_status(env);
	int n = it_int(array(st, "instance_counts"), what);

	cJSON_Delete(st);
	return n;
}

/* The element of status array @name whose @key field equals @value. */
static const cJSON *find(const cJSON *st, const char *name, const char *key, const char *value)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, array(st, name)) {
		const char *v = it_str(o, key);

		if (v && !strcmp(v, value))
			return o;
	}
	return NULL;
}

/* The active revision id of template @base. */
static void active_revision(const struct it_env *env, const char *base, char out[41])
{
	cJSON *st = it_status(env);
	const char *active = it_str(find(st, "templates", "base_name", base), "active");

	assert_non_null(active);
	(void)snprintf(out, 41, "%s", strchr(active, ' ') + 1);
	cJSON_Delete(st);
}

static const cJSON *emu_list(const cJSON *state, const char *what)
{
	return array(array(state, "compute"), what);
}

/* Emulator objects of @what whose @key field contains @part. */
static int emu_count_matching(const cJSON *state, const char *what, const char *key,
			      const char *part)
{
	const cJSON *o;
	int n = 0;

	cJSON_ArrayForEach(o, emu_list(state, what)) {
		const char *v = it_str(o, key);

		n += v && strstr(v, part);
	}
	return n;
}

static void clear_requests(const struct it_env *env)
{
	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/requests", NULL, NULL));
}

static cJSON *requests(const struct it_env *env)
{
	cJSON *log = it_emu_call(env, "GET", "/_emu/requests", NULL, NULL);

	assert_true(cJSON_IsArray(log));
	return log;
}

/* GET an emulator API resource with the test's own token. */
static cJSON *emu_get(struct it_env *env, const char *path)
{
	long status;
	cJSON *r = it_emu_api(env, "GET", path, NULL, &status);

	assert_int_equal(status, 200);
	return r;
}

static int group_target_size(struct it_env *env, const char *base, const char *rev,
			     const char *zone)
{
	char path[256];
	cJSON *g;
	int n;

	(void)snprintf(path, sizeof(path),
		       "/compute/v1/projects/proj/zones/%s/instanceGroupManagers/%s-%s", zone, base,
		       rev);
	g = emu_get(env, path);
	n = it_int(g, "targetSize");
	cJSON_Delete(g);
	return n;
}

/*
 * Run @job expecting exit @want, @items error lines containing @needle (one per
 * distinct failure: alike ones are grouped), and a summary.
 */
static void expect_failures(const struct it_env *env, const char *job, int want, int items,
			    const char *needle)
{
	struct it_result res;
	const char *p;
	char summary[64];
	int lines = 0;

	it_run(env, &res, job, "--timeout-ms", "1000", NULL);
	if (res.status != want || !strstr(res.err, needle))
		print_message("gceb-%s exit %d:\n%s", job, res.status, res.err);
	assert_int_equal(res.status, want);
	for (p = res.err; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, items + 1);
	for (p = res.err; items > 0; items--, p = strchr(p, '\n') + 1)
		assert_true(strstr(p, needle) && strstr(p, needle) < strchr(p, '\n'));
	(void)snprintf(summary, sizeof(summary), " failed");
	assert_non_null(strstr(p, summary));
	it_result_release(&res);
}

static void add_fault(const struct it_env *env, const char *json)
{
	it_emu_post(env, "/_emu/faults", json);
}

/*
 * cleanup-entities with the clock 25 minutes on (libfaketime), so that the
 * entities of deleted VMs are purged (docs/design/cleanup.md (b)). Skipped where
 * libfaketime is missing or cannot be used; returns whether it ran.
 */
static bool purge_deleted(const struct it_env *env)
{
	if (!WITH_FAKETIME || access(FAKETIME_LIB, R_OK) != 0)
		return false;
	assert_int_equal(setenv("LD_PRELOAD", FAKETIME_LIB, 1), 0);
	assert_int_equal(setenv("FAKETIME", "+25m", 1), 0);
	assert_int_equal(setenv("DONT_FAKE_MONOTONIC", "1", 1), 0);
	it_expect(env, 0, "cleanup-entities");
	(void)unsetenv("LD_PRELOAD");
	(void)unsetenv("FAKETIME");
	(void)unsetenv("DONT_FAKE_MONOTONIC");
	return true;
}

/* ---- (a) a template edit drained to nothing ---- */

static int groups_in_state(const cJSON *st, const char *rev)
{
	const cJSON *g;
	int n = 0;

	cJSON_ArrayForEach(g, array(st, "groups"))
		n += !strcmp(it_str(g, "revision"), rev);
	return n;
}

/*
 * docs/design/lifecycles.md "Template config change": the old revision goes through
 * every step of its drain, asserted one job at a time, while the new one
 * grows only into the room the old one leaves in the zone (RSZ-7).
 */
static void revision_roll_drains(void **state)
{
	struct it_env *env = *state;
	char old[41], rev[41], name[128];
	const cJSON *o;
	cJSON *st, *emu;

	write_templates(env, "n1-standard-2", false);
	write_managers(env, "web", "us-a", 3, 5, NULL);
	apply_config(env);
	it_roll_out(env);
	active_revision(env, "web", old);
	assert_int_equal(count(env, "total"), 3);

	/* The edit: a new revision, the old one drained. */
	write_templates(env, "n1-standard-4", false);
	apply_config(env);
	active_revision(env, "web", rev);
	assert_string_not_equal(old, rev);
	st = it_status(env);
	o = find(st, "revisions", "revision", old);
	assert_string_equal(it_str(o, "state"), "drained");
	cJSON_Delete(st);

	/* RSZ-7: maximum 5, the old group holds 3: the new one grows to 2 only. */
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-group-managers");
	it_expect(env, 0, "resize-instance-groups");
	assert_int_equal(group_target_size(env, "web", rev, "us-a"), 2);
	assert_int_equal(group_target_size(env, "web", old, "us-a"), 3);
	it_emu_advance(env, 30);
	it_expect(env, 0, "fetch-instances");
	assert_int_equal(count(env, "total"), 5);

	/* REM-2: never cataloged, so Machine Provider says ENTRY_NOT_FOUND: pending deletion. */
	clear_requests(env);
	it_expect(env, 0, "remove-cataloged-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/delete_machine"), 3);
	assert_int_equal(count(env, "pending_deletion"), 3);
	assert_int_equal(count(env, "cataloged"), 0);

	/* DEL-2: deleteInstances, DONE, deletion_ts; the old group's target drops to 0. */
	it_expect(env, 0, "delete-instances-pending-deletion");
	assert_int_equal(it_emu_count_requests(env, "POST", "/deleteInstances"), 3);
	assert_int_equal(group_target_size(env, "web", old, "us-a"), 0);
	st = it_status_instances(env);
	cJSON_ArrayForEach(o, array(st, "instances")) {
		bool pending = cJSON_IsTrue(array(o, "pending_deletion"));

		assert_int_equal(pending, !strcmp(it_str(o, "revision"), old));
		assert_int_equal(it_int(o, "deletion_ts") > 0, pending);
	}
	cJSON_Delete(st);
	/* DEL-5: again while GCE is deleting them: 400, swallowed. */
	it_expect(env, 0, "delete-instances-pending-deletion");
	assert_int_equal(it_emu_count_requests(env, "POST", "/deleteInstances"), 6);

	/* CLN-1: gone from GCE, so deleted. */
	it_expect(env, 0, "cleanup-entities");
	assert_int_equal(count(env, "deleted"), 0); /* still stopping */
	it_emu_advance(env, 30);
	emu = it_emu_state(env);
	(void)snprintf(name, sizeof(name), "web-%.8s-", old);
	assert_int_equal(emu_count_matching(emu, "instances", "instance", name), 0);
	cJSON_Delete(emu);
	it_expect(env, 0, "cleanup-entities");
	assert_int_equal(count(env, "deleted"), 3);

	/* FET-5: the old group's listing is empty now. */
	it_expect(env, 0, "fetch-instances");
	st = it_status(env);
	o = find(st, "groups", "revision", old);
	assert_int_equal(it_int(o, "instances"), 0);
	assert_non_null(it_str(o, "url"));
	cJSON_Delete(st);

	/* The room is free: the new group grows to its minimum. */
	it_expect(env, 0, "resize-instance-groups");
	assert_int_equal(group_target_size(env, "web", rev, "us-a"), 3);

	/* DIG-2: DELETE the old group; targetLink is its URL, so the url is cleared. */
	clear_requests(env);
	it_expect(env, 0, "delete-instance-group-managers");
	(void)snprintf(name, sizeof(name), "/instanceGroupManagers/web-%s", old);
	assert_int_equal(it_emu_count_requests(env, "DELETE", name), 1);
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/"), 1);
	st = it_status(env);
	assert_null(it_str(find(st, "groups", "revision", old), "url"));
	cJSON_Delete(st);
	/* Nothing left to delete: the next run sends nothing. */
	it_expect(env, 0, "delete-instance-group-managers");
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/"), 1);

	/* DTP-7: the revision still lists its group, so no template DELETE yet. */
	it_expect(env, 0, "delete-instance-templates");
	assert_int_equal(it_emu_count_requests(env, "DELETE", "/global/instanceTemplates/"), 0);

	/* CLN-7: once GCE has deleted the group (404), its entity goes; the revision stays. */
	it_expect(env, 0, "cleanup-entities");
	st = it_status(env);
	assert_int_equal(groups_in_state(st, old), 1); /* the DELETE is still running */
	cJSON_Delete(st);
	it_emu_advance(env, 70);
	it_expect(env, 0, "cleanup-entities");
	st = it_status(env);
	assert_int_equal(groups_in_state(st, old), 0);
	assert_non_null(it_str(find(st, "revisions", "revision", old), "url"));
	cJSON_Delete(st);

	/*
	 * DTP-2: the group entity went only once GCE had deleted the group, so
	 * the template is no longer in use and goes at once; then CLN-9 the
	 * revision. (DTP-6, a 400 in use, is in it_scenarios_9.)
	 */
	it_expect(env, 0, "delete-instance-templates");
	st = it_status(env);
	assert_null(it_str(find(st, "revisions", "revision", old), "url"));
	cJSON_Delete(st);
	it_emu_advance(env, 70);
	it_expect(env, 0, "cleanup-entities");
	it_expect(env, 0, "fetch-instances");

	/* The end state, exactly. */
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instanceTemplates")), 1);
	(void)snprintf(name, sizeof(name), "web-%s", rev);
	assert_string_equal(
		it_str(cJSON_GetArrayItem(emu_list(emu, "instanceTemplates"), 0), "name"), name);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instanceGroupManagers")), 1);
	assert_string_equal(
		it_str(cJSON_GetArrayItem(emu_list(emu, "instanceGroupManagers"), 0), "name"),
		name);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instances")), 3);
	assert_int_equal(emu_count_matching(emu, "instances", "instanceGroupManager", name), 3);
	cJSON_Delete(emu);
	st = it_status(env);
	assert_int_equal(it_array_size(st, "templates"), 1);
	assert_int_equal(
		cJSON_GetArraySize(array(find(st, "templates", "base_name", "web"), "drained")), 0);
	assert_int_equal(it_array_size(st, "revisions"), 1);
	assert_string_equal(it_str(cJSON_GetArrayItem(array(st, "revisions"), 0), "revision"), rev);
	assert_int_equal(it_array_size(st, "groups"), 1);
	assert_int_equal(it_int(cJSON_GetArrayItem(array(st, "groups"), 0), "instances"), 3);
	cJSON_Delete(st);
	/* CLN-2: the deleted VMs' entities go 20 minutes later. */
	if (purge_deleted(env)) {
		assert_int_equal(count(env, "total"), 3);
		assert_int_equal(count(env, "deleted"), 0);
	}
}

/* ---- (b) a zone and a template removed ---- */

/* Every drain step once, in pipeline order, with the clock moved where GCE needs time. */
static void drain_pass(const struct it_env *env)
{
	it_expect(env, 0, "remove-cataloged-instances");
	it_expect(env, 0, "delete-instances-pending-deletion");
	it_emu_advance(env, 30);
	it_expect(env, 0, "cleanup-entities");
	it_expect(env, 0, "fetch-instances");
	it_expect(env, 0, "delete-instance-group-managers");
	/* cleanup-entities forgets a deleted object only once GCE says 404. */
	it_emu_advance(env, 70);
	it_expect(env, 0, "cleanup-entities");
	it_expect(env, 0, "delete-instance-templates");
	it_emu_advance(env, 70);
	it_expect(env, 0, "cleanup-entities");
}

/* docs/design/lifecycles.md "Zone removed": its group moves to R.drained and drains the same way.
 */
static void zone_removed_drains(void **state)
{
	struct it_env *env = *state;
	char rev[41], name[128];
	const cJSON *r;
	cJSON *st, *emu;

	write_templates(env, "n1-standard-2", false);
	write_managers(env, "web", "us-a", 2, 2, "web", "us-b", 2, 2, NULL);
	apply_config(env);
	it_roll_out(env);
	active_revision(env, "web", rev);
	assert_int_equal(count(env, "total"), 4);

	write_managers(env, "web", "us-a", 2, 2, NULL);
	apply_config(env);
	st = it_status(env);
	r = find(st, "revisions", "revision", rev);
	assert_string_equal(it_str(r, "state"), "active");
	assert_int_equal(cJSON_GetArraySize(array(r, "drained_groups")), 1);
	cJSON_Delete(st);

	drain_pass(env);

	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instanceTemplates")), 1);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instanceGroupManagers")), 1);
	assert_int_equal(emu_count_matching(emu, "instanceGroupManagers", "zone", "/zones/us-a"),
			 1);
	(void)snprintf(name, sizeof(name), "web-%.8s-us-b", rev);
	assert_int_equal(emu_count_matching(emu, "instances", "instance", name), 0);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instances")), 2);
	cJSON_Delete(emu);
	st = it_status(env);
	r = find(st, "revisions", "revision", rev);
	assert_int_equal(cJSON_GetArraySize(array(r, "active_groups")), 1);
	assert_int_equal(cJSON_GetArraySize(array(r, "drained_groups")), 0);
	assert_non_null(it_str(r, "url"));
	assert_int_equal(it_array_size(st, "groups"), 1);
	assert_string_equal(it_str(cJSON_GetArrayItem(array(st, "groups"), 0), "zone"), "us-a");
	cJSON_Delete(st);
	assert_int_equal(count(env, "deleted"), 2);
	if (purge_deleted(env))
		assert_int_equal(count(env, "total"), 2);
}

/* docs/design/lifecycles.md "Template removed": T.active moves to T.drained; then T itself goes. */
static void template_removed_drains(void **state)
{
	struct it_env *env = *state;
	char db[41];
	cJSON *st, *emu;

	write_templates(env, "n1-standard-2", true);
	write_managers(env, "web", "us-a", 1, 1, "db", "us-a", 2, 2, "db", "us-b", 1, 1, NULL);
	apply_config(env);
	it_roll_out(env);
	active_revision(env, "db", db);
	assert_int_equal(count(env, "total"), 4);

	write_templates(env, "n1-standard-2", false);
	write_managers(env, "web", "us-a", 1, 1, NULL);
	apply_config(env);
	st = it_status(env);
	assert_null(it_str(find(st, "templates", "base_name", "db"), "active"));
	assert_string_equal(it_str(find(st, "revisions", "revision", db), "state"), "drained");
	cJSON_Delete(st);

	drain_pass(env);

	emu = it_emu_state(env);
	assert_int_equal(emu_count_matching(emu, "instanceTemplates", "name", "db-"), 0);
	assert_int_equal(emu_count_matching(emu, "instanceGroupManagers", "name", "db-"), 0);
	assert_int_equal(emu_count_matching(emu, "instances", "instance", "/instances/db-"), 0);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instanceTemplates")), 1);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instanceGroupManagers")), 1);
	assert_int_equal(cJSON_GetArraySize(emu_list(emu, "instances")), 1);
	cJSON_Delete(emu);
	/* CLN-8: no trace of db is left in the store. */
	st = it_status(env);
	assert_null(find(st, "templates", "base_name", "db"));
	assert_null(find(st, "revisions", "base_name", "db"));
	assert_null(find(st, "groups", "base_name", "db"));
	assert_int_equal(it_array_size(st, "templates"), 1);
	assert_int_equal(it_array_size(st, "revisions"), 1);
	assert_int_equal(it_array_size(st, "groups"), 1);
	cJSON_Delete(st);
	if (purge_deleted(env))
		assert_int_equal(count(env, "total"), 1);
}

/* ---- (c) fetch-instances: pages, and VMs that vanish (docs/design/departures.md) ---- */

/* The store's instance named @name, from gceb-status --instances. */
static bool instance_deleted(const struct it_env *env, const char *name)
{
	cJSON *st = it_status_instances(env);
	const cJSON *in = find(st, "instances", "name", name);
	bool deleted;

	assert_non_null(in);
	deleted = cJSON_IsTrue(array(in, "deleted"));
	cJSON_Delete(st);
	return deleted;
}

static void vanished_instance_marked_deleted(void **state)
{
	struct it_env *env = *state;
	char rev[41], path[256], gone[64] = "";
	const cJSON *in;
	cJSON *st, *emu, *r;
	long status;

	write_templates(env, "n1-standard-2", false);
	write_managers(env, "web", "us-a", 5, 5, NULL);
	apply_config(env);
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-group-managers");
	it_expect(env, 0, "resize-instance-groups");
	it_emu_advance(env, 30);

	/* FET-4: five VMs in pages of two: three listInstances calls. */
	clear_requests(env);
	it_expect(env, 0, "fetch-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/listInstances"), 3);
	assert_int_equal(count(env, "total"), 5);
	st = it_status(env);
	assert_int_equal(it_int(cJSON_GetArrayItem(array(st, "groups"), 0), "instances"), 5);
	cJSON_Delete(st);

	/* Someone shrinks the group behind gceb's back. */
	active_revision(env, "web", rev);
	(void)snprintf(path, sizeof(path),
		       "/compute/v1/projects/proj/zones/us-a/instanceGroupManagers/web-%s/"
		       "resize?size=4",
		       rev);
	r = it_emu_api(env, "POST", path, NULL, &status);
	assert_int_equal(status, 200);
	cJSON_Delete(r);

	/* While it is being deleted it is not listed, but GET still finds it: nothing marked. */
	clear_requests(env);
	it_expect(env, 0, "fetch-instances");
	assert_int_equal(it_emu_count_requests(env, "GET", "/instances/"), 1);
	assert_int_equal(count(env, "deleted"), 0);
	st = it_status(env);
	assert_int_equal(it_int(cJSON_GetArrayItem(array(st, "groups"), 0), "instances"), 4);
	cJSON_Delete(st);

	/* Gone: GET 404, marked deleted; the other four are untouched. */
	it_emu_advance(env, 30);
	emu = it_emu_state(env);
	st = it_status_instances(env);
	cJSON_ArrayForEach(in, array(st, "instances")) {
		char url_part[128];

		(void)snprintf(url_part, sizeof(url_part), "/instances/%s", it_str(in, "name"));
		if (emu_count_matching(emu, "instances", "instance", url_part) == 0)
			(void)snprintf(gone, sizeof(gone), "%s", it_str(in, "name"));
	}
	cJSON_Delete(st);
	cJSON_Delete(emu);
	assert_true(gone[0]);
	it_expect(env, 0, "fetch-instances");
	st = it_status(env);
	assert_int_equal(it_int(array(st, "instance_counts"), "deleted"), 1);
	assert_int_equal(it_int(array(st, "instance_counts"), "pending_deletion"), 0);
	assert_int_equal(it_int(cJSON_GetArrayItem(array(st, "groups"), 0), "instances"), 4);
	cJSON_Delete(st);
	assert_true(instance_deleted(env, gone));
	/* Checked once: a deleted entity is not asked about again. */
	clear_requests(env);
	it_expect(env, 0, "fetch-instances");
	assert_int_equal(it_emu_count_requests(env, "GET", "/instances/"), 0);
	if (purge_deleted(env))
		assert_int_equal(count(env, "total"), 4);
}

/* ---- (d) metadata updates (docs/design/metadata.md, docs/design/departures.md) ---- */

/* One VM of a fresh rollout of one template (minimum @size) in us-a; its name in @name. */
static void metadata_setup(struct it_env *env, int size, char *name, size_t len)
{
	cJSON *st;

	write_templates(env, "n1-standard-2", false);
	write_managers(env, "web", "us-a", size, size, NULL);
	apply_config(env);
	it_roll_out(env);
	st = it_status_instances(env);
	(void)snprintf(name, len, "%s",
		       it_str(cJSON_GetArrayItem(array(st, "instances"), 0), "name"));
	cJSON_Delete(st);
}

/* The value of metadata key @key on VM @name in the emulator, or NULL; @buf holds it. */
static const char *vm_metadata(struct it_env *env, const char *name, const char *key, char *buf,
			       size_t len)
{
	char path[256];
	const cJSON *item;
	cJSON *vm;
	const char *found = NULL;

	(void)snprintf(path, sizeof(path), "/compute/v1/projects/proj/zones/us-a/instances/%s",
		       name);
	vm = emu_get(env, path);
	cJSON_ArrayForEach(item, array(array(vm, "metadata"), "items")) {
		if (!strcmp(it_str(item, "key"), key)) {
			(void)snprintf(buf, len, "%s", it_str(item, "value"));
			found = buf;
		}
	}
	cJSON_Delete(vm);
	return found;
}

/* Requests in the log since the last clear: setMetadata POSTs, instance GETs, operation GETs. */
static void expect_md_calls(const struct it_env *env, int gets, int sets, int polls)
{
	assert_int_equal(it_emu_count_requests(env, "GET", "/instances/"), gets);
	assert_int_equal(it_emu_count_requests(env, "POST", "/setMetadata"), sets);
	assert_int_equal(it_emu_count_requests(env, "GET", "/operations/"), polls);
}

/* One schedule-metadata-tasks run, clean, with the calls it is expected to make. */
static void md_run(const struct it_env *env, int gets, int sets, int polls)
{
	clear_requests(env);
	it_expect(env, 0, "schedule-metadata-tasks");
	expect_md_calls(env, gets, sets, polls);
}

/* compress -> update (GET, setMetadata with the fingerprint) -> check (DONE clears it). */
static void metadata_set_and_delete(void **state)
{
	struct it_env *env = *state;
	char name[64], other[64], v[128];
	const cJSON *in;
	cJSON *st, *log, *body;

	metadata_setup(env, 2, name, sizeof(name));
	assert_string_equal(vm_metadata(env, name, "role", v, sizeof(v)), "web");

	it_expect(env, 0, "set-metadata", "--hostname", name, "color=blue", "size=L");
	md_run(env, 0, 0, 0); /* compress */
	md_run(env, 1, 1, 0); /* update */
	/* The setMetadata body: every item, with the fingerprint the GET gave. */
	log = requests(env);
	cJSON_ArrayForEach(in, log) {
		if (!strcmp(it_str(in, "method"), "POST")) {
			body = cJSON_Parse(it_str(in, "body"));
			assert_non_null(it_str(body, "fingerprint"));
			assert_int_equal(cJSON_GetArraySize(array(body, "items")), 5);
			cJSON_Delete(body);
		}
	}
	cJSON_Delete(log);
	/* Applied when the operation is DONE. */
	md_run(env, 0, 0, 1); /* check: DONE, the update is cleared */
	assert_string_equal(vm_metadata(env, name, "color", v, sizeof(v)), "blue");
	assert_string_equal(vm_metadata(env, name, "size", v, sizeof(v)), "L");
	assert_string_equal(vm_metadata(env, name, "role", v, sizeof(v)), "web");
	assert_non_null(vm_metadata(env, name, "instance-template", v, sizeof(v)));
	md_run(env, 0, 0, 0); /* nothing left */

	/* A bare KEY deletes it; an absent key is not sent at all. */
	it_expect(env, 0, "set-metadata", "--hostname", name, "role", "nosuchkey");
	md_run(env, 0, 0, 0);
	md_run(env, 1, 1, 0);
	log = requests(env);
	cJSON_ArrayForEach(in, log) {
		if (!strcmp(it_str(in, "method"), "POST")) {
			assert_null(strstr(it_str(in, "body"), "nosuchkey"));
			assert_null(strstr(it_str(in, "body"), "\"role\""));
		}
	}
	cJSON_Delete(log);
	md_run(env, 0, 0, 1);
	assert_null(vm_metadata(env, name, "role", v, sizeof(v)));
	assert_string_equal(vm_metadata(env, name, "color", v, sizeof(v)), "blue");

	/* --template: every live VM of the template. */
	it_expect(env, 0, "set-metadata", "--template", "web", "zone-note=hi");
	md_run(env, 0, 0, 0);
	md_run(env, 2, 2, 0);
	md_run(env, 0, 0, 2);
	st = it_status_instances(env);
	cJSON_ArrayForEach(in, array(st, "instances")) {
		(void)snprintf(other, sizeof(other), "%s", it_str(in, "name"));
		assert_string_equal(vm_metadata(env, other, "zone-note", v, sizeof(v)), "hi");
	}
	cJSON_Delete(st);
	assert_string_equal(vm_metadata(env, name, "color", v, sizeof(v)), "blue");
	md_run(env, 0, 0, 0);
}

/* set-metadata refuses what it cannot queue, with exit 64. */
static void metadata_usage_errors(void **state)
{
	struct it_env *env = *state;
	char name[64];

	metadata_setup(env, 1, name, sizeof(name));
	it_expect(env, 64, "set-metadata", "--hostname", "web-nosuch", "k=v");
	it_expect(env, 64, "set-metadata", "--template", "db", "k=v");
	it_expect(env, 64, "set-metadata", "--hostname", name);
	it_expect(env, 64, "set-metadata", "--hostname", name, "=v");
	it_expect(env, 64, "set-metadata", "--hostname", name, "--template", "web", "k=v");
	md_run(env, 0, 0, 0);
}

/* 412 (stale fingerprint): the item fails with one line; the next run reads it afresh. */
static void metadata_412_retried(void **state)
{
	struct it_env *env = *state;
	char name[64], v[128];

	metadata_setup(env, 1, name, sizeof(name));
	it_expect(env, 0, "set-metadata", "--hostname", name, "color=green");
	md_run(env, 0, 0, 0);
	add_fault(env,
		  "{\"method\": \"POST\", \"path\": \"*/setMetadata\", \"action\": \"status\", "
		  "\"status\": 412, \"reason\": \"conditionNotMet\", \"message\": \"Supplied "
		  "fingerprint does not match current metadata fingerprint.\", \"count\": 1}");
	clear_requests(env);
	expect_failures(env, "schedule-metadata-tasks", 1, 1, "HTTP 412 conditionNotMet");
	expect_md_calls(env, 1, 1, 0); /* not retried within the run */
	assert_null(vm_metadata(env, name, "color", v, sizeof(v)));
	md_run(env, 1, 1, 0); /* update again, with a fresh GET */
	md_run(env, 0, 0, 1);
	assert_string_equal(vm_metadata(env, name, "color", v, sizeof(v)), "green");
	md_run(env, 0, 0, 0);
}

/*
 * An operation DONE with an error (emulator knob metadata_op_error: a stale
 * fingerprint fails in the operation instead of with 412): the update is
 * rescheduled, merged with what was queued meanwhile, and applied next time.
 */
static void metadata_op_error_rescheduled(void **state)
{
	struct it_env *env = *state;
	char name[64], v[128], fault[1024];
	struct it_result res;
	cJSON *log;
	const cJSON *in;

	metadata_setup(env, 1, name, sizeof(name));
	it_emu_post(env, "/_emu/config", "{\"metadata_op_error\": true}");
	it_expect(env, 0, "set-metadata", "--hostname", name, "color=blue");
	md_run(env, 0, 0, 0);
	/* The GET answers with an old fingerprint once, as if another writer had been first. */
	(void)snprintf(
		fault, sizeof(fault),
		"{\"method\": \"GET\", \"path\": \"*/instances/%s\", \"action\": \"status\", "
		"\"status\": 200, \"count\": 1, \"body\": \"{\\\"kind\\\": "
		"\\\"compute#instance\\\", \\\"name\\\": \\\"%s\\\", \\\"metadata\\\": "
		"{\\\"fingerprint\\\": \\\"c3RhbGU=\\\", \\\"items\\\": [{\\\"key\\\": "
		"\\\"role\\\", \\\"value\\\": \\\"web\\\"}]}}\"}",
		name, name);
	add_fault(env, fault);
	md_run(env, 1, 1, 0); /* the setMetadata is accepted: an operation */
	/* Queued while that operation is in flight. */
	it_expect(env, 0, "set-metadata", "--hostname", name, "size=XL");

	/* check: DONE with CONDITION_NOT_MET: logged, rescheduled (no url: the next run updates).
	 */
	clear_requests(env);
	it_run(env, &res, "schedule-metadata-tasks", NULL);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.err, "CONDITION_NOT_MET"));
	assert_non_null(strstr(res.err, "rescheduled"));
	it_result_release(&res);
	expect_md_calls(env, 0, 0, 1);
	assert_null(vm_metadata(env, name, "color", v, sizeof(v)));

	/* The active update merged with the pending one: one setMetadata carries both. */
	md_run(env, 1, 1, 0);
	log = requests(env);
	cJSON_ArrayForEach(in, log) {
		if (!strcmp(it_str(in, "method"), "POST")) {
			assert_non_null(strstr(it_str(in, "body"), "\"color\""));
			assert_non_null(strstr(it_str(in, "body"), "\"XL\""));
		}
	}
	cJSON_Delete(log);
	md_run(env, 0, 0, 1);
	assert_string_equal(vm_metadata(env, name, "color", v, sizeof(v)), "blue");
	assert_string_equal(vm_metadata(env, name, "size", v, sizeof(v)), "XL");
	md_run(env, 0, 0, 0);
}

/* ---- (e) auth: the three token sources ---- */

/* Every Compute and Machine Provider call in the log carried a bearer token; returns how many. */
static int api_calls_with_token(const struct it_env *env, const char *token)
{
	cJSON *log = requests(env);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, log) {
		const char *path = it_str(r, "path");
		const char *auth = it_str(array(r, "headers"), "Authorization");

		if (!path ||
		    (strncmp(path, "/compute/", 9) != 0 && strncmp(path, "/_ah/api/", 9) != 0))
			continue;
		if (!auth || strncmp(auth, "Bearer ", 7) != 0)
			print_message("%s %s without a token\n", it_str(r, "method"), path);
		assert_non_null(auth);
		assert_int_equal(strncmp(auth, "Bearer ", 7), 0);
		if (token)
			assert_string_equal(auth + 7, token);
		n++;
	}
	cJSON_Delete(log);
	return n;
}

static int requests_to(const struct it_env *env, const char *prefix)
{
	cJSON *log = requests(env);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, log)
		n += !strncmp(it_str(r, "path"), prefix, strlen(prefix));
	cJSON_Delete(log);
	return n;
}

static void mint_token(const struct it_env *env, char *out, size_t len)
{
	long status;
	cJSON *t = it_emu_call(
		env, "POST", "/_emu/tokens",
		"{\"email\": \"runner@proj.iam.gserviceaccount.com\", \"scopes\": " SCOPES "}",
		&status);

	assert_int_equal(status, 200);
	assert_non_null(it_str(t, "access_token"));
	(void)snprintf(out, len, "%s", it_str(t, "access_token"));
	cJSON_Delete(t);
}

static void write_secret(const char *path, const char *text, mode_t mode)
{
	it_write_file(path, text, strlen(text));
	assert_int_equal(chmod(path, mode), 0);
}

/* Two templates, so that a run has two items. */
static void auth_config(struct it_env *env)
{
	write_templates(env, "n1-standard-2", true);
	write_managers(env, "web", "us-a", 1, 2, "db", "us-a", 1, 2, NULL);
	apply_config(env);
}

/* The default: the metadata server at GCE_METADATA_HOST (what the harness sets). */
static void auth_metadata_server(void **state)
{
	struct it_env *env = *state;
	cJSON *log;
	const cJSON *r;
	int md = 0;

	auth_config(env);
	clear_requests(env);
	it_roll_out(env);
	assert_true(api_calls_with_token(env, NULL) >= 8);
	log = requests(env);
	cJSON_ArrayForEach(r, log) {
		if (strncmp(it_str(r, "path"), "/computeMetadata/", 17) != 0)
			continue;
		assert_string_equal(it_str(array(r, "headers"), "Metadata-Flavor"), "Google");
		md++;
	}
	cJSON_Delete(log);
	/* One token per run (one scope): the four runs asked four times. */
	assert_int_equal(md, 4);
}

/* --token-file, and GCEB_TOKEN_FILE: that token, and no metadata server. */
static void auth_token_file(void **state)
{
	struct it_env *env = *state;
	char token[256], path[256];
	struct it_result res;

	auth_config(env);
	mint_token(env, token, sizeof(token));
	(void)snprintf(path, sizeof(path), "%s/token", env->root);
	write_secret(path, token, 0600);
	assert_int_equal(unsetenv("GCE_METADATA_HOST"), 0);
	clear_requests(env);
	it_expect(env, 0, "create-instance-templates", "--token-file", path);
	assert_int_equal(api_calls_with_token(env, token), 4); /* two inserts, two polls */
	assert_int_equal(requests_to(env, "/computeMetadata/"), 0);

	assert_int_equal(setenv("GCEB_TOKEN_FILE", path, 1), 0);
	clear_requests(env);
	it_run(env, &res, "create-instance-group-managers", "-vv", NULL);
	assert_int_equal(res.status, 0);
	/* Never logged, even at debug level. */
	assert_null(strstr(res.err, token));
	it_result_release(&res);
	assert_int_equal(api_calls_with_token(env, token), 4);
	assert_int_equal(requests_to(env, "/computeMetadata/"), 0);
}

/* A Google JSON key for a new RSA key whose public half the emulator knows. Returns the email. */
static const char *make_key_file(const struct it_env *env, const char *path, mode_t mode)
{
	static const char email[] = "keyed@proj.iam.gserviceaccount.com";
	EVP_PKEY *pkey = EVP_RSA_gen(2048);
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	char *priv_pem = NULL, *pub_pem = NULL, *text;
	char uri[256];
	cJSON *o;
	long n;

	assert_non_null(pkey);
	assert_non_null(priv);
	assert_non_null(pub);
	assert_int_equal(PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(PEM_write_bio_PUBKEY(pub, pkey), 1);
	n = BIO_get_mem_data(priv, &priv_pem);
	priv_pem = strndup(priv_pem, (size_t)n);
	n = BIO_get_mem_data(pub, &pub_pem);
	pub_pem = strndup(pub_pem, (size_t)n);
	assert_non_null(strstr(priv_pem, "-----BEGIN PRIVATE KEY-----"));

	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "pem", pub_pem);
	text = cJSON_PrintUnformatted(o);
	it_emu_post(env, "/_emu/keys", text);
	free(text);
	cJSON_Delete(o);

	(void)snprintf(uri, sizeof(uri), "%s/token", env->emu_url);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "type", "service_account");
	cJSON_AddStringToObject(o, "project_id", "proj");
	cJSON_AddStringToObject(o, "private_key_id", "key-1");
	cJSON_AddStringToObject(o, "private_key", priv_pem);
	cJSON_AddStringToObject(o, "client_email", email);
	cJSON_AddStringToObject(o, "token_uri", uri);
	text = cJSON_Print(o);
	write_secret(path, text, mode);
	free(text);
	cJSON_Delete(o);
	free(priv_pem);
	free(pub_pem);
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pkey);
	return email;
}

/* The email the emulator issued the bearer token of the last API call to. */
static void last_caller(const struct it_env *env, char *out, size_t len)
{
	cJSON *log = requests(env), *st = it_emu_state(env);
	const char *auth = NULL;
	const cJSON *r;

	cJSON_ArrayForEach(r, log) {
		const char *path = it_str(r, "path");

		if (path && !strncmp(path, "/compute/", 9))
			auth = it_str(array(r, "headers"), "Authorization");
	}
	assert_non_null(auth);
	out[0] = '\0';
	cJSON_ArrayForEach(r, array(st, "tokens")) {
		const char *token = it_str(r, "access_token");

		if (token && !strcmp(token, auth + 7))
			(void)snprintf(out, len, "%s", it_str(r, "email"));
	}
	cJSON_Delete(st);
	cJSON_Delete(log);
}

/* GOOGLE_APPLICATION_CREDENTIALS, and --key-file: a JWT exchanged at the key's token_uri. */
static void auth_key_file(void **state)
{
	struct it_env *env = *state;
	char path[256], who[128];
	const char *email;
	cJSON *log;

	auth_config(env);
	(void)snprintf(path, sizeof(path), "%s/key.json", env->root);
	email = make_key_file(env, path, 0600);
	assert_int_equal(unsetenv("GCE_METADATA_HOST"), 0);
	assert_int_equal(setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1), 0);
	clear_requests(env);
	it_expect(env, 0, "create-instance-templates");
	/* One token exchange for the run, then every call with that token. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/token"), 1);
	log = requests(env);
	assert_string_equal(it_str(cJSON_GetArrayItem(log, 0), "path"), "/token");
	cJSON_Delete(log);
	assert_int_equal(api_calls_with_token(env, NULL), 4);
	assert_int_equal(requests_to(env, "/computeMetadata/"), 0);
	last_caller(env, who, sizeof(who));
	assert_string_equal(who, email);

	assert_int_equal(unsetenv("GOOGLE_APPLICATION_CREDENTIALS"), 0);
	clear_requests(env);
	it_expect(env, 0, "create-instance-group-managers", "--key-file", path);
	assert_int_equal(it_emu_count_requests(env, "POST", "/token"), 1);
	assert_int_equal(api_calls_with_token(env, NULL), 4);
	last_caller(env, who, sizeof(who));
	assert_string_equal(who, email);
}

/* Exit 78 with one clear line, and not one request sent. */
static void expect_refused(const struct it_env *env, const char *path, const char *opt)
{
	struct it_result res;
	char want[512];

	clear_requests(env);
	if (opt)
		it_run(env, &res, "create-instance-templates", opt, path, NULL);
	else
		it_run(env, &res, "create-instance-templates", NULL);
	(void)snprintf(want, sizeof(want), "'%s' is readable by others; chmod 600 it\n", path);
	if (res.status != 78)
		print_message("exit %d:\n%s", res.status, res.err);
	assert_int_equal(res.status, 78);
	assert_non_null(strstr(res.err, want));
	assert_ptr_equal(strchr(res.err, '\n') + 1, res.err + strlen(res.err));
	it_result_release(&res);
	assert_int_equal(requests_to(env, "/"), 0);
}

/* A token or key file that others can read is refused before anything is sent. */
static void auth_file_readable_by_others(void **state)
{
	struct it_env *env = *state;
	char token[256], path[256], key[256];

	auth_config(env);
	mint_token(env, token, sizeof(token));
	(void)snprintf(path, sizeof(path), "%s/token", env->root);
	write_secret(path, token, 0644);
	expect_refused(env, path, "--token-file");
	assert_int_equal(setenv("GCEB_TOKEN_FILE", path, 1), 0);
	expect_refused(env, path, NULL);
	assert_int_equal(unsetenv("GCEB_TOKEN_FILE"), 0);

	(void)snprintf(key, sizeof(key), "%s/key.json", env->root);
	(void)make_key_file(env, key, 0644);
	expect_refused(env, key, "--key-file");
	assert_int_equal(setenv("GOOGLE_APPLICATION_CREDENTIALS", key, 1), 0);
	expect_refused(env, key, NULL);
}

/* A revoked token: every call is 401, each item fails with one line, exit 1. */
static void auth_revoked_token(void **state)
{
	struct it_env *env = *state;
	char token[256], path[256], body[512];
	struct it_result res;

	auth_config(env);
	mint_token(env, token, sizeof(token));
	(void)snprintf(path, sizeof(path), "%s/token", env->root);
	write_secret(path, token, 0600);
	(void)snprintf(body, sizeof(body), "{\"token\": \"%s\"}", token);
	it_emu_post(env, "/_emu/tokens/revoke", body);
	assert_int_equal(setenv("GCEB_TOKEN_FILE", path, 1), 0);
	clear_requests(env);
	/* Credentials refused (77); both items failed alike: one line for the two. */
	expect_failures(env, "create-instance-templates", 77, 1, "HTTP 401 authError");
	/* Retried once with the token read again (still revoked), not more. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 4);
	it_run(env, &res, "create-instance-templates", NULL);
	assert_null(strstr(res.err, token));
	it_result_release(&res);
}

/* ---- (f) the job lock ---- */

/* A run that finds its job's lock held exits 0, says nothing, and sends nothing. */
static void lock_held_skips(void **state)
{
	struct it_env *env = *state;
	char lockdir[256], lock[300];
	struct it_result res;
	int fd;

	write_templates(env, "n1-standard-2", false);
	write_managers(env, "web", "us-a", 1, 2, NULL);
	apply_config(env);
	(void)snprintf(lockdir, sizeof(lockdir), "%s/locks", env->state_dir);
	(void)snprintf(lock, sizeof(lock), "%s/create-instance-templates.lock", lockdir);
	fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		assert_int_equal(mkdir(lockdir, 0700), 0);
		fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	}
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	clear_requests(env);

	it_expect(env, 0, "create-instance-templates");
	it_run(env, &res, "create-instance-templates", "-v", NULL);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.err, "is held by another run, skipping this run"));
	it_result_release(&res);
	assert_int_equal(requests_to(env, "/"), 0);
	/* Another job's lock is its own. */
	it_expect(env, 0, "fetch-instances");

	assert_int_equal(close(fd), 0);
	it_expect(env, 0, "create-instance-templates");
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 1);
}

/* ---- docs: every binary's --help names its page, which documents every long option ---- */

static char *slurp_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	(void)fclose(f);
	return buf;
}

static void help_names_documented_page(void **state)
{
	static const char *const jobs[] = {
		"create-instance-templates",
		"create-instance-group-managers",
		"fetch-instances",
		"resize-instance-groups",
		"delete-instances-pending-deletion",
		"schedule-metadata-tasks",
		"set-metadata",
		"delete-instance-group-managers",
		"delete-instance-templates",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		struct it_result res;
		char want[128], path[512], opt[64];
		const char *p;
		char *page;

		it_run(NULL, &res, jobs[i], "--help", NULL);
		assert_int_equal(res.status, 0);
		(void)snprintf(want, sizeof(want), "see man gceb-%s (docs/gceb-%s.md)\n", jobs[i],
			       jobs[i]);
		assert_non_null(strstr(res.out, want));
		(void)snprintf(path, sizeof(path), "%s/docs/gceb-%s.md", GCEB_SOURCE_DIR, jobs[i]);
		page = slurp_file(path);
		if (!page)
			print_message("no page %s\n", path);
		assert_non_null(page);
		/* Each --name the help lists is in the page's option table. */
		for (p = res.out; (p = strstr(p, " --"));) {
			size_t n = strcspn(p + 1, " \n`");
			char spaced[80], quoted[80];

			(void)snprintf(opt, sizeof(opt), "%.*s", (int)n, p + 1);
			(void)snprintf(spaced, sizeof(spaced), "%s ", opt);
			(void)snprintf(quoted, sizeof(quoted), "%s`", opt);
			if (!strstr(page, spaced) && !strstr(page, quoted))
				print_message("%s: %s is not documented\n", path, opt);
			assert_true(strstr(page, spaced) || strstr(page, quoted));
			p += 1 + n;
		}
		free(page);
		it_result_release(&res);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(revision_roll_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(zone_removed_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(template_removed_drains, setup, teardown),
		cmocka_unit_test_setup_teardown(vanished_instance_marked_deleted, setup_paged,
						teardown),
		cmocka_unit_test_setup_teardown(metadata_set_and_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(metadata_usage_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(metadata_412_retried, setup, teardown),
		cmocka_unit_test_setup_teardown(metadata_op_error_rescheduled, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_metadata_server, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_token_file, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_file_readable_by_others, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_revoked_token, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_held_skips, setup, teardown),
		cmocka_unit_test(help_names_documented_page),
	};

	return gceb_test_run("gce_flows", tests, argc, argv);
}
