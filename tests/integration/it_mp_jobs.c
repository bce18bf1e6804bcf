/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_mp_jobs.c - the Machine Provider jobs as binaries against gceb-emulator
 * (docs/design/catalog.md, docs/design/cleanup.md, docs/design/lifecycles.md): the
 * full lease cycle, catalog errors, removal from drained groups, cleanup and
 * the end of a drain, and what Machine Provider faults do to each item.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  metadata: \"role:web\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

/* The same template with other metadata: a new revision, so the old one drains. */
static const char TEMPLATES_V2[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  metadata: \"role:web2\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS_2[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 2 maximum_size: 5 }\n";

static const char MANAGERS_3[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 3 maximum_size: 5 }\n";

static const char MANAGERS_2ZONES[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 maximum_size: 3 }\n"
	"managers { template_base_name: \"web\" zone: \"us-b\" minimum_size: 1 maximum_size: 3 }\n";

static const char MANAGERS_US_A[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 maximum_size: 3 }\n";

/* Emulator, config, import and process-config; the test rolls out. */
static int setup_with(void **state, const char *managers)
{
	struct it_env *env = it_env_new();

	it_write_config(env, "templates.cfg", TEMPLATES);
	it_write_config(env, "managers.cfg", managers);
	it_emu_start(env, NULL);
	it_run_ok(env, "import-config");
	it_run_ok(env, "process-config");
	*state = env;
	return 0;
}

static int setup2(void **state)
{
	return setup_with(state, MANAGERS_2);
}

static int setup3(void **state)
{
	return setup_with(state, MANAGERS_3);
}

static int setup_zones(void **state)
{
	return setup_with(state, MANAGERS_2ZONES);
}

/* ---- reading the store and the emulator ---- */

static bool flag(const cJSON *o, const char *name)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, name));
}

static bool has(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name) != NULL;
}

/* A number, or a decimal string (how the emulator sends int64). */
static long long number(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	if (cJSON_IsNumber(f))
		return (long long)f->valuedouble;
	if (cJSON_IsString(f))
		return strtoll(f->valuestring, NULL, 10);
	return -1;
}

static int count(const cJSON *st, const char *what)
{
	return (int)number(cJSON_GetObjectItemCaseSensitive(st, "instance_counts"), what);
}

/* The stored instance named @name, or NULL. */
static const cJSON *instance(const cJSON *st, const char *name)
{
	const cJSON *in;

	cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(st, "instances")) {
		if (it_str(in, "name") && !strcmp(it_str(in, "name"), name))
			return in;
	}
	return NULL;
}

/* The names of the stored instances that are not deleted, sorted (status lists by key). */
static int names(const struct it_env *env, char out[][64], int max)
{
	cJSON *st = it_status_instances(env);
	const cJSON *in;
	int n = 0;

	cJSON_ArrayForEach(in, cJSON_GetObjectItemCaseSensitive(st, "instances")) {
		if (n < max && !flag(in, "deleted"))
			(void)snprintf(out[n++], 64, "%s", it_str(in, "name"));
	}
	cJSON_Delete(st);
	return n;
}

static const cJSON *emu_mp(const cJSON *s, const char *what)
{
	return cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(s, "machine_provider"), what);
}

static const cJSON *emu_compute(const cJSON *s, const char *what)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(s, "compute"),
						what);
}

/* The catalog entry for @host, or NULL. */
static const cJSON *emu_entry(const cJSON *s, const char *host)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, emu_mp(s, "catalog")) {
		const char *h =
			it_str(cJSON_GetObjectItemCaseSensitive(m, "dimensions"), "hostname");

		if (h && !strcmp(h, host))
			return m;
	}
	return NULL;
}

/* The Compute instance named @name, or NULL. */
static const cJSON *emu_instance(const cJSON *s, const char *name)
{
	const cJSON *in;

	cJSON_ArrayForEach(in, emu_compute(s, "instances")) {
		const char *url = it_str(in, "instance"), *slash = url ? strrchr(url, '/') : NULL;

		if (slash && !strcmp(slash + 1, name))
			return in;
	}
	return NULL;
}

/* The group of zone @zone. */
static const cJSON *emu_group(const cJSON *s, const char *zone)
{
	const cJSON *g;
	char part[64];

	(void)snprintf(part, sizeof(part), "/zones/%s/", zone);
	cJSON_ArrayForEach(g, emu_compute(s, "instanceGroupManagers")) {
		const char *self = it_str(g, "selfLink");

		if (self && strstr(self, part))
			return g;
	}
	return NULL;
}

/* ---- driving the emulator ---- */

static void add_fault(const struct it_env *env, const char *json)
{
	it_emu_post(env, "/_emu/faults", json);
}

static void clear_faults(const struct it_env *env)
{
	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/faults", NULL, NULL));
}

/* A lessee leases @host for @seconds, forced by the control API. */
static void force_lease(const struct it_env *env, const char *host, int seconds)
{
	char body[160];

	(void)snprintf(body, sizeof(body), "{\"hostname\": \"%s\", \"seconds\": %d}", host,
		       seconds);
	it_emu_post(env, "/_emu/mp/lease", body);
}

/* The lease expires now and Machine Provider reclaims the machine. */
static void expire(const struct it_env *env, const char *host)
{
	char body[128];

	(void)snprintf(body, sizeof(body), "{\"hostname\": \"%s\"}", host);
	it_emu_post(env, "/_emu/mp/expire", body);
}

/* ---- running jobs ---- */

static void roll_out(struct it_env *env)
{
	it_run_ok(env, "create-instance-templates");
	it_run_ok(env, "create-instance-group-managers");
	it_run_ok(env, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_run_ok(env, "fetch-instances");
}

static int lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/*
 * Run @job expecting exit @want (the failures' class): @groups error lines,
 * each naming @needle (failures alike but for their item are one line), and
 * the summary "@failed of @total items failed".
 */
static void expect_failures(const struct it_env *env, const char *job, int want, int failed,
			    int total, int groups, const char *needle)
{
	struct it_result res;
	char summary[64];
	const char *p = NULL;
	int n = 0;

	(void)snprintf(summary, sizeof(summary), "%d of %d item%s failed", failed, total,
		       total == 1 ? "" : "s");
	it_run(env, &res, job, "--timeout-ms", "2000", NULL);
	if (res.status != want || !strstr(res.err, summary) || lines(res.err) != groups + 1)
		print_message("gceb-%s exit %d:\n%s", job, res.status, res.err);
	assert_int_equal(res.status, want);
	assert_non_null(strstr(res.err, summary));
	assert_int_equal(lines(res.err), groups + 1);
	for (p = res.err; (p = strstr(p, needle)) != NULL; p++)
		n++;
	assert_int_equal(n, groups);
	it_result_release(&res);
}

/* Roll out and catalog; returns the instance names in @out. */
static int cataloged(struct it_env *env, char out[][64], int max)
{
	int n;

	roll_out(env);
	it_run_ok(env, "catalog-instances");
	n = names(env, out, max);
	assert_true(n > 0);
	return n;
}

/* ---- the full lease cycle (docs/design/lifecycles.md, docs/design/machine-provider.md) ---- */

static void full_lease_cycle(void **state)
{
	struct it_env *env = *state;
	char v[4][64], body[256];
	long long ts_a, ts_b;
	cJSON *st, *emu, *r;
	const cJSON *e, *in;
	long code;
	int i;

	roll_out(env);
	assert_int_equal(names(env, v, 4), 2);

	/* (1) cataloged: in the store, and AVAILABLE in Machine Provider with our policies. */
	it_run_ok(env, "catalog-instances");
	st = it_status_instances(env);
	assert_int_equal(count(st, "cataloged"), 2);
	assert_int_equal(count(st, "leased"), 0);
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 2);
	for (i = 0; i < 2; i++) {
		e = emu_entry(emu, v[i]);
		assert_non_null(e);
		assert_string_equal(it_str(e, "state"), "AVAILABLE");
		assert_string_equal(
			it_str(cJSON_GetObjectItemCaseSensitive(e, "dimensions"), "backend"),
			"GCE");
		assert_string_equal(
			it_str(cJSON_GetObjectItemCaseSensitive(e, "policies"), "on_reclamation"),
			"DELETE");
	}
	cJSON_Delete(emu);

	/* (2) v[0] leased through the machine_provider API and a cron tick, v[1] forced. */
	(void)snprintf(body, sizeof(body),
		       "{\"request_id\": \"req-1\", \"dimensions\": {\"hostname\": \"%s\"}, "
		       "\"duration\": 600}",
		       v[0]);
	r = it_emu_api(env, "POST", "/_ah/api/machine_provider/v1/lease", body, &code);
	assert_int_equal(code, 200);
	assert_string_equal(it_str(r, "state"), "UNTRIAGED");
	cJSON_Delete(r);
	it_emu_post(env, "/_emu/mp/tick", "{}");
	r = it_emu_api(env, "POST", "/_ah/api/machine_provider/v1/lease", body, &code);
	assert_string_equal(it_str(r, "state"), "FULFILLED");
	assert_string_equal(it_str(r, "hostname"), v[0]);
	cJSON_Delete(r);
	force_lease(env, v[1], 600);
	emu = it_emu_state(env);
	assert_string_equal(it_str(emu_entry(emu, v[0]), "state"), "LEASED");
	assert_string_equal(it_str(emu_entry(emu, v[1]), "state"), "LEASED");
	ts_a = number(emu_entry(emu, v[0]), "lease_expiration_ts");
	ts_b = number(emu_entry(emu, v[1]), "lease_expiration_ts");
	assert_true(ts_a > 0 && ts_b > 0);
	cJSON_Delete(emu);

	/* (3) the leases are recorded, and resize counts them: max(2, ceil(1.1 * 2)) = 3. */
	it_run_ok(env, "update-cataloged-instances");
	st = it_status_instances(env);
	assert_int_equal(count(st, "leased"), 2);
	assert_int_equal(number(instance(st, v[0]), "lease_expiration_ts"), ts_a);
	assert_int_equal(number(instance(st, v[1]), "lease_expiration_ts"), ts_b);
	assert_false(flag(instance(st, v[0]), "pending_deletion"));
	cJSON_Delete(st);
	it_run_ok(env, "resize-instance-groups");
	emu = it_emu_state(env);
	assert_int_equal(number(emu_group(emu, "us-a"), "targetSize"), 3);
	cJSON_Delete(emu);
	it_emu_advance(env, 30);
	it_run_ok(env, "fetch-instances");
	it_run_ok(env, "catalog-instances");
	assert_int_equal(names(env, v, 4), 3);
	st = it_status_instances(env);
	assert_int_equal(count(st, "cataloged"), 3);
	cJSON_Delete(st);

	/* (4) both leases end; Machine Provider reclaims and deletes the two entries. */
	st = it_status_instances(env);
	for (i = 0, in = NULL; i < 3; i++)
		if (!flag(instance(st, v[i]), "leased"))
			in = instance(st, v[i]);
	assert_non_null(in);
	/* v[3] is the VM that was not leased. */
	(void)snprintf(v[3], 64, "%s", it_str(in, "name"));
	cJSON_Delete(st);
	for (i = 0; i < 3; i++)
		if (strcmp(v[i], v[3]) != 0)
			expire(env, v[i]);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 1);
	assert_non_null(emu_entry(emu, v[3]));
	cJSON_ArrayForEach(e, emu_mp(emu, "leases"))
		assert_false(has(e, "hostname"));
	cJSON_Delete(emu);

	/* (5) a JSON 404 from get: pending deletion, lease cleared, still cataloged. */
	it_run_ok(env, "update-cataloged-instances");
	st = it_status_instances(env);
	assert_int_equal(count(st, "pending_deletion"), 2);
	assert_int_equal(count(st, "leased"), 0);
	assert_int_equal(count(st, "cataloged"), 3);
	assert_false(flag(instance(st, v[3]), "pending_deletion"));
	cJSON_Delete(st);

	/* (6) deleted in GCE: deletion_ts set, DELETING, the group's target down to 1. */
	it_run_ok(env, "delete-instances-pending-deletion");
	st = it_status_instances(env);
	emu = it_emu_state(env);
	for (i = 0; i < 3; i++) {
		if (!strcmp(v[i], v[3]))
			continue;
		assert_true(has(instance(st, v[i]), "deletion_ts"));
		assert_false(flag(instance(st, v[i]), "deleted"));
		assert_string_equal(it_str(emu_instance(emu, v[i]), "currentAction"), "DELETING");
	}
	assert_false(has(instance(st, v[3]), "deletion_ts"));
	assert_int_equal(number(emu_group(emu, "us-a"), "targetSize"), 1);
	cJSON_Delete(emu);
	cJSON_Delete(st);
	it_emu_advance(env, 10);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instances")), 1);
	assert_non_null(emu_instance(emu, v[3]));
	cJSON_Delete(emu);

	/* (7) cleanup sees the 404: deleted; purged only after 20 minutes. */
	it_run_ok(env, "cleanup-entities");
	st = it_status_instances(env);
	assert_int_equal(count(st, "deleted"), 2);
	assert_int_equal(count(st, "total"), 3);
	cJSON_Delete(st);
	assert_int_equal(it_run_at(env, NULL, "+19m", "cleanup-entities", NULL), 0);
	st = it_status_instances(env);
	assert_int_equal(count(st, "total"), 3);
	cJSON_Delete(st);
	assert_int_equal(it_run_at(env, NULL, "+21m", "cleanup-entities", NULL), 0);
	st = it_status_instances(env);
	assert_int_equal(count(st, "total"), 1);
	assert_non_null(instance(st, v[3]));
	cJSON_Delete(st);

	/* (8) refilled: back to the minimum of 2, and the new VM is cataloged. */
	it_run_ok(env, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_run_ok(env, "fetch-instances");
	it_run_ok(env, "catalog-instances");
	st = it_status_instances(env);
	assert_int_equal(count(st, "total"), 2);
	assert_int_equal(count(st, "cataloged"), 2);
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_int_equal(number(emu_group(emu, "us-a"), "targetSize"), 2);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instances")), 2);
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 2);
	cJSON_Delete(emu);
}

/* ---- catalog-instances (docs/design/catalog.md) ---- */

/* CAT-4: an entry that already exists (HOSTNAME_REUSE) counts as cataloged. */
static void catalog_hostname_reuse(void **state)
{
	struct it_env *env = *state;
	char v[2][64], body[256];
	cJSON *st, *emu, *r;
	long code;

	roll_out(env);
	assert_int_equal(names(env, v, 2), 2);
	(void)snprintf(body, sizeof(body),
		       "{\"dimensions\": {\"hostname\": \"%s\"}, \"policies\": {}}", v[0]);
	r = it_emu_api(env, "POST", "/_ah/api/catalog/v1/add_machine", body, &code);
	assert_int_equal(code, 200);
	assert_null(cJSON_GetObjectItemCaseSensitive(r, "error"));
	cJSON_Delete(r);

	it_run_ok(env, "catalog-instances");
	st = it_status_instances(env);
	assert_true(flag(instance(st, v[0]), "cataloged"));
	assert_true(flag(instance(st, v[1]), "cataloged"));
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 2);
	cJSON_Delete(emu);
	/* Ours, the job's two; and cataloged instances are not sent again. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/add_machine"), 3);
	it_run_ok(env, "catalog-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/add_machine"), 3);
}

/* CAT-3: another error enum: that item is not cataloged, one line, exit 1; retried next run. */
static void catalog_business_error(void **state)
{
	struct it_env *env = *state;
	cJSON *st, *emu;

	roll_out(env);
	add_fault(env, "{\"path\": \"*/catalog/v1/add_machine\", \"status\": 200, \"count\": 1, "
		       "\"body\": \"{\\\"error\\\": \\\"INVALID_PROJECT\\\"}\", "
		       "\"content_type\": \"application/json\"}");
	expect_failures(env, "catalog-instances", 1, 1, 2, 1, "add_machine: INVALID_PROJECT");
	st = it_status_instances(env);
	assert_int_equal(count(st, "cataloged"), 1);
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 1);
	cJSON_Delete(emu);

	it_run_ok(env, "catalog-instances");
	st = it_status_instances(env);
	assert_int_equal(count(st, "cataloged"), 2);
	cJSON_Delete(st);
}

/* ---- update-cataloged-instances (docs/design/catalog.md) and Machine Provider faults ---- */

/* Two cataloged instances, both leased by Machine Provider; their names in @v. */
static void leased_pair(struct it_env *env, char v[][64])
{
	assert_int_equal(cataloged(env, v, 2), 2);
	force_lease(env, v[0], 600);
	force_lease(env, v[1], 600);
}

/* How many stored instances have a lease, are pending deletion. */
static void expect_counts(const struct it_env *env, int leased, int pending)
{
	cJSON *st = it_status_instances(env);

	assert_int_equal(count(st, "leased"), leased);
	assert_int_equal(count(st, "pending_deletion"), pending);
	assert_int_equal(count(st, "cataloged"), 2);
	cJSON_Delete(st);
}

/*
 * A fault that hits one get: that item fails with one line (exit @want), the
 * other records its lease.
 */
static void get_fault_one(void **state, const char *fault, int want, const char *needle)
{
	struct it_env *env = *state;
	char v[2][64];

	leased_pair(env, v);
	add_fault(env, fault);
	expect_failures(env, "update-cataloged-instances", want, 1, 2, 1, needle);
	expect_counts(env, 1, 0);
	clear_faults(env);
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 2, 0);
}

/*
 * A refusal of every get: each is sent once more with a fresh token, then
 * both items fail alike, one line for the two, exit 77; nothing changes.
 */
static void get_refused_all(void **state, const char *fault, const char *needle)
{
	struct it_env *env = *state;
	char v[2][64];

	leased_pair(env, v);
	add_fault(env, fault);
	expect_failures(env, "update-cataloged-instances", 77, 2, 2, 1, needle);
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/get"), 4);
	expect_counts(env, 0, 0);
	clear_faults(env);
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 2, 0);
}

static void update_401(void **state)
{
	get_refused_all(state,
			"{\"path\": \"*/catalog/v1/get\", \"status\": 401, \"reason\": "
			"\"required\"}",
			"HTTP 401 required");
}

static void update_403(void **state)
{
	get_refused_all(state,
			"{\"path\": \"*/catalog/v1/get\", \"status\": 403, \"reason\": "
			"\"forbidden\"}",
			"HTTP 403 forbidden");
}

static void update_broken_json(void **state)
{
	get_fault_one(state,
		      "{\"path\": \"*/catalog/v1/get\", \"status\": 200, \"count\": 1, "
		      "\"body\": \"{\\\"lease_expiration_ts\\\": \", "
		      "\"content_type\": \"application/json\"}",
		      76, "/_ah/api/catalog/v1/get");
}

static void update_wrong_type(void **state)
{
	get_fault_one(state,
		      "{\"path\": \"*/catalog/v1/get\", \"status\": 200, \"count\": 1, "
		      "\"body\": \"{\\\"lease_expiration_ts\\\": \\\"soon\\\"}\", "
		      "\"content_type\": \"application/json\"}",
		      76, "field 'lease_expiration_ts' is not a number");
}

/* A transient fault twice (500, then the Endpoints HTML 404): retried in the run, all fine. */
static void update_retried(void **state)
{
	struct it_env *env = *state;
	char v[2][64];

	leased_pair(env, v);
	add_fault(env, "{\"path\": \"*/catalog/v1/get\", \"status\": 500, \"count\": 1}");
	add_fault(env, "{\"path\": \"*/catalog/v1/get\", \"status\": 404, \"count\": 1, "
		       "\"body\": \"<html><body>Not Found</body></html>\", "
		       "\"content_type\": \"text/html\"}");
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 2, 0);
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/get"), 4);
}

/*
 * A fault on every get (5xx, or the HTML 404 of a cold Endpoints front end):
 * four attempts each, every item fails alike (one line), exit 69, nothing
 * changes, and above all nothing is marked for deletion. A clean run
 * converges.
 */
static void get_fault_all(void **state, const char *fault, const char *needle)
{
	struct it_env *env = *state;
	char v[2][64];

	leased_pair(env, v);
	add_fault(env, fault);
	expect_failures(env, "update-cataloged-instances", 69, 2, 2, 1, needle);
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/get"), 8);
	expect_counts(env, 0, 0);
	clear_faults(env);
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 2, 0);
}

static void update_html_404_not_deleted(void **state)
{
	get_fault_all(state,
		      "{\"path\": \"*/catalog/v1/get\", \"status\": 404, "
		      "\"body\": \"<html><body>Not Found</body></html>\", "
		      "\"content_type\": \"text/html\"}",
		      "HTTP 404");
}

static void update_500(void **state)
{
	get_fault_all(state, "{\"path\": \"*/catalog/v1/get\", \"status\": 500}", "HTTP 500");
}

/* UPD-3 by fault: a JSON 404 is "no such entry": that item is marked for deletion, exit 0. */
static void update_json_404_marks(void **state)
{
	struct it_env *env = *state;
	char v[2][64];

	leased_pair(env, v);
	add_fault(env, "{\"path\": \"*/catalog/v1/get\", \"status\": 404, \"count\": 1}");
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 1, 1);
	/* Once pending deletion, it is no longer asked about. */
	it_run_ok(env, "update-cataloged-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/get"), 3);
}

/* -n still asks Machine Provider (get only reads), says what it would write, writes nothing. */
static void update_dry_run(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char v[2][64];

	leased_pair(env, v);
	it_run(env, &res, "update-cataloged-instances", "-n", NULL);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out, "would write instance"));
	it_result_release(&res);
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/get"), 2);
	expect_counts(env, 0, 0);
}

/* A get answer without lease_expiration_ts changes nothing: a stale lease is not cleared. */
static void update_missing_field(void **state)
{
	struct it_env *env = *state;
	char v[2][64];

	leased_pair(env, v);
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 2, 0);
	add_fault(env, "{\"path\": \"*/catalog/v1/get\", \"status\": 200, \"body\": \"{}\", "
		       "\"content_type\": \"application/json\"}");
	it_run_ok(env, "update-cataloged-instances");
	expect_counts(env, 2, 0);
}

/* ---- remove-cataloged-instances (docs/design/catalog.md) ---- */

/* Publish a new template revision: the old one (and its group) is drained. */
static void drain_revision(struct it_env *env)
{
	cJSON *st;

	it_write_config(env, "templates.cfg", TEMPLATES_V2);
	it_run_ok(env, "import-config");
	it_run_ok(env, "process-config");
	st = it_status_instances(env);
	assert_int_equal(it_array_size(st, "revisions"), 2);
	cJSON_Delete(st);
}

/*
 * REM-2, REM-3, REM-4: of a drained group, the uncataloged VM (ENTRY_NOT_FOUND)
 * and the idle one (success) are marked; the leased one waits (LEASED: exit
 * 0, an info line with -v, nothing changes) until Machine Provider reclaims it.
 */
static void remove_drained(void **state)
{
	struct it_env *env = *state;
	char v[3][64], idle[64] = "", leased[64] = "", uncat[64] = "";
	struct it_result res;
	cJSON *st, *emu;
	const cJSON *in;
	int i;

	roll_out(env);
	add_fault(env, "{\"path\": \"*/catalog/v1/add_machine\", \"status\": 200, \"count\": 1, "
		       "\"body\": \"{\\\"error\\\": \\\"INVALID_PROJECT\\\"}\", "
		       "\"content_type\": \"application/json\"}");
	expect_failures(env, "catalog-instances", 1, 1, 3, 1, "add_machine: INVALID_PROJECT");
	assert_int_equal(names(env, v, 3), 3);
	st = it_status_instances(env);
	for (i = 0; i < 3; i++) {
		in = instance(st, v[i]);
		if (!flag(in, "cataloged"))
			(void)snprintf(uncat, sizeof(uncat), "%s", v[i]);
		else if (!leased[0])
			(void)snprintf(leased, sizeof(leased), "%s", v[i]);
		else
			(void)snprintf(idle, sizeof(idle), "%s", v[i]);
	}
	cJSON_Delete(st);
	assert_true(uncat[0] && leased[0] && idle[0]);
	force_lease(env, leased, 600);
	it_run_ok(env, "update-cataloged-instances");
	drain_revision(env);

	it_run(env, &res, "remove-cataloged-instances", "-v", NULL);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.err, "is leased: waiting"));
	assert_non_null(strstr(res.err, leased));
	it_result_release(&res);
	st = it_status_instances(env);
	in = instance(st, uncat);
	assert_true(flag(in, "pending_deletion"));
	assert_false(flag(in, "cataloged"));
	in = instance(st, idle);
	assert_true(flag(in, "pending_deletion"));
	assert_true(flag(in, "cataloged"));
	in = instance(st, leased);
	assert_false(flag(in, "pending_deletion"));
	assert_true(flag(in, "leased"));
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_null(emu_entry(emu, idle));
	assert_string_equal(it_str(emu_entry(emu, leased), "state"), "LEASED");
	cJSON_Delete(emu);

	/* Still leased: asked again, still waiting, nothing changes. */
	it_run_ok(env, "remove-cataloged-instances");
	assert_int_equal(it_emu_count_requests(env, "POST", "/catalog/v1/delete_machine"), 4);
	st = it_status_instances(env);
	assert_false(flag(instance(st, leased), "pending_deletion"));
	cJSON_Delete(st);

	/* Reclaimed: ENTRY_NOT_FOUND now, so it is marked too. */
	expire(env, leased);
	it_run_ok(env, "remove-cataloged-instances");
	st = it_status_instances(env);
	assert_true(flag(instance(st, leased), "pending_deletion"));
	assert_int_equal(count(st, "pending_deletion"), 3);
	assert_int_equal(count(st, "leased"), 0);
	cJSON_Delete(st);
}

/*
 * delete_machine faults: another error enum fails its item only; a 403
 * fails its item; a persistent HTML 404 fails every item and marks nothing.
 */
static void remove_faults(void **state)
{
	struct it_env *env = *state;
	char v[2][64];
	cJSON *st;

	assert_int_equal(cataloged(env, v, 2), 2);
	drain_revision(env);

	add_fault(env, "{\"path\": \"*/catalog/v1/delete_machine\", \"status\": 404, "
		       "\"body\": \"<html><body>Not Found</body></html>\", "
		       "\"content_type\": \"text/html\"}");
	expect_failures(env, "remove-cataloged-instances", 69, 2, 2, 1, "HTTP 404");
	st = it_status_instances(env);
	assert_int_equal(count(st, "pending_deletion"), 0);
	cJSON_Delete(st);
	clear_faults(env);

	add_fault(env, "{\"path\": \"*/catalog/v1/delete_machine\", \"status\": 200, "
		       "\"count\": 1, \"body\": \"{\\\"error\\\": \\\"MISMATCHED_BACKEND\\\"}\", "
		       "\"content_type\": \"application/json\"}");
	expect_failures(env, "remove-cataloged-instances", 1, 1, 2, 1,
			"delete_machine: MISMATCHED_BACKEND");
	st = it_status_instances(env);
	assert_int_equal(count(st, "pending_deletion"), 1);
	cJSON_Delete(st);

	/* Refused with the fresh token too: credentials refused. */
	add_fault(env, "{\"path\": \"*/catalog/v1/delete_machine\", \"status\": 403, "
		       "\"count\": 2}");
	expect_failures(env, "remove-cataloged-instances", 77, 1, 1, 1, "HTTP 403");
	st = it_status_instances(env);
	assert_int_equal(count(st, "pending_deletion"), 1);
	cJSON_Delete(st);

	it_run_ok(env, "remove-cataloged-instances");
	st = it_status_instances(env);
	assert_int_equal(count(st, "pending_deletion"), 2);
	cJSON_Delete(st);
}

/* ---- cleanup-entities (docs/design/cleanup.md) ---- */

/* CLN-3: a never-cataloged VM of a drained group that is gone becomes deleted; nothing else. */
static void cleanup_drained_uncataloged(void **state)
{
	struct it_env *env = *state;
	char v[2][64], uncat[64] = "", body[512], path[256];
	const cJSON *in;
	cJSON *st, *r;
	long code;
	int i;

	roll_out(env);
	add_fault(env, "{\"path\": \"*/catalog/v1/add_machine\", \"status\": 200, \"count\": 1, "
		       "\"body\": \"{\\\"error\\\": \\\"INVALID_PROJECT\\\"}\", "
		       "\"content_type\": \"application/json\"}");
	expect_failures(env, "catalog-instances", 1, 1, 2, 1, "add_machine: INVALID_PROJECT");
	assert_int_equal(names(env, v, 2), 2);
	st = it_status_instances(env);
	for (i = 0; i < 2; i++)
		if (!flag(instance(st, v[i]), "cataloged"))
			(void)snprintf(uncat, sizeof(uncat), "%s", v[i]);
	in = instance(st, uncat);
	assert_non_null(in);
	(void)snprintf(path, sizeof(path),
		       "/compute/v1/projects/proj/zones/us-a/instanceGroupManagers/web-%s/"
		       "deleteInstances",
		       it_str(in, "revision"));
	(void)snprintf(body, sizeof(body), "{\"instances\": [\"%s\"]}", it_str(in, "url"));
	cJSON_Delete(st);
	drain_revision(env);

	/* While the VM exists, nothing. */
	it_run_ok(env, "cleanup-entities");
	st = it_status_instances(env);
	assert_int_equal(count(st, "deleted"), 0);
	cJSON_Delete(st);

	/* Someone else deletes it. */
	r = it_emu_api(env, "POST", path, body, &code);
	assert_int_equal(code, 200);
	cJSON_Delete(r);
	it_emu_advance(env, 10);
	it_run_ok(env, "cleanup-entities");
	st = it_status_instances(env);
	in = instance(st, uncat);
	assert_true(flag(in, "deleted"));
	assert_false(flag(in, "pending_deletion"));
	assert_int_equal(count(st, "deleted"), 1);
	cJSON_Delete(st);
	/* cleanup never deletes in GCE. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/deleteInstances"), 1);
}

/* Every job once, in pipeline order, then let the emulator's VMs and operations move. */
static void pipeline(struct it_env *env)
{
	static const char *const jobs[] = {
		"import-config",
		"process-config",
		"create-instance-templates",
		"create-instance-group-managers",
		"fetch-instances",
		"catalog-instances",
		"update-cataloged-instances",
		"delete-instances-pending-deletion",
		"resize-instance-groups",
		"remove-cataloged-instances",
		"delete-instance-group-managers",
		"delete-instance-templates",
		"cleanup-entities",
	};
	size_t i;

	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		it_run_ok(env, jobs[i]);
	it_emu_advance(env, 10);
}

/* Run the pipeline until @done, at most @max times. */
static void converge(struct it_env *env, bool (*done)(const cJSON *st), int max)
{
	cJSON *st;
	bool ok = false;
	int i;

	for (i = 0; i < max && !ok; i++) {
		pipeline(env);
		st = it_status_instances(env);
		ok = done(st);
		if (!ok && i == max - 1) {
			char *text = cJSON_Print(st);

			print_message("not converged: %s\n", text);
			free(text);
		}
		cJSON_Delete(st);
	}
	assert_true(ok);
	/* The deleted instances go 20 minutes later. */
	assert_int_equal(it_run_at(env, NULL, "+21m", "cleanup-entities", NULL), 0);
}

static bool nothing_left(const cJSON *st)
{
	return it_array_size(st, "templates") == 0 && it_array_size(st, "revisions") == 0 &&
	       it_array_size(st, "groups") == 0;
}

/* CLN-6/7/8/9 at the end of a drain: a template removed from the config disappears. */
static void drain_template_removed(void **state)
{
	struct it_env *env = *state;
	char v[2][64];
	cJSON *st, *emu;

	assert_int_equal(cataloged(env, v, 2), 2);
	force_lease(env, v[0], 60);
	it_write_config(env, "templates.cfg", "# no templates: the fleet is drained\n");
	it_write_config(env, "managers.cfg", "# no groups\n");
	pipeline(env);
	/* The leased VM waits for its lease; the other goes. */
	st = it_status_instances(env);
	assert_false(flag(instance(st, v[0]), "pending_deletion"));
	assert_true(flag(instance(st, v[1]), "pending_deletion"));
	cJSON_Delete(st);
	expire(env, v[0]);
	converge(env, nothing_left, 8);
	st = it_status_instances(env);
	assert_int_equal(count(st, "total"), 0);
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instanceTemplates")), 0);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instanceGroupManagers")), 0);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instances")), 0);
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 0);
	cJSON_Delete(emu);
}

static bool one_zone_left(const cJSON *st)
{
	const cJSON *r = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "revisions"), 0);

	return it_array_size(st, "groups") == 1 && it_array_size(st, "revisions") == 1 &&
	       cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(r, "drained_groups")) == 0;
}

/* CLN-7, explicitly drained: a zone removed from managers.cfg disappears; the other stays. */
static void drain_zone_removed(void **state)
{
	struct it_env *env = *state;
	char v[2][64], keep[64] = "";
	cJSON *st, *emu;
	const cJSON *g;
	int i;

	assert_int_equal(cataloged(env, v, 2), 2);
	st = it_status_instances(env);
	for (i = 0; i < 2; i++)
		if (!strcmp(it_str(instance(st, v[i]), "zone"), "us-a"))
			(void)snprintf(keep, sizeof(keep), "%s", v[i]);
	cJSON_Delete(st);
	assert_true(keep[0]);
	it_write_config(env, "managers.cfg", MANAGERS_US_A);
	converge(env, one_zone_left, 8);

	st = it_status_instances(env);
	g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st, "groups"), 0);
	assert_string_equal(it_str(g, "zone"), "us-a");
	assert_string_equal(it_str(g, "state"), "active");
	assert_int_equal(count(st, "total"), 1);
	assert_true(flag(instance(st, keep), "cataloged"));
	assert_false(flag(instance(st, keep), "pending_deletion"));
	cJSON_Delete(st);
	emu = it_emu_state(env);
	assert_null(emu_group(emu, "us-b"));
	assert_non_null(emu_group(emu, "us-a"));
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instances")), 1);
	assert_non_null(emu_instance(emu, keep));
	assert_int_equal(cJSON_GetArraySize(emu_mp(emu, "catalog")), 1);
	cJSON_Delete(emu);
}

/* Only the new revision and its group are left. */
static bool one_group_left(const cJSON *st)
{
	return it_array_size(st, "groups") == 1 && it_array_size(st, "revisions") == 1;
}

/*
 * A group (or template) whose insert is still running when its revision is
 * drained has no URL yet, but will exist in GCE: cleanup must not forget
 * it, and the insert must be polled to its end, so that the drain deletes
 * what it made.
 */
static void running_insert_drained(struct it_env *env, bool group)
{
	cJSON *st, *emu;

	cJSON_Delete(it_emu_call(env, "POST", "/_emu/config",
				 "{\"op_polls\": 100, \"op_ms\": 100000000}", NULL));
	it_run_ok(env, "create-instance-templates");
	if (group) {
		/* The template insert is polled to DONE; the group insert is left running. */
		cJSON_Delete(it_emu_call(env, "POST", "/_emu/config", "{\"op_polls\": 1}", NULL));
		it_run_ok(env, "create-instance-templates");
		cJSON_Delete(it_emu_call(env, "POST", "/_emu/config", "{\"op_polls\": 100}", NULL));
		it_run_ok(env, "create-instance-group-managers");
	}
	drain_revision(env);
	it_run_ok(env, "cleanup-entities");
	st = it_status_instances(env);
	assert_int_equal(it_array_size(st, "revisions"), 2);
	if (group)
		assert_int_equal(it_array_size(st, "groups"), 2);
	cJSON_Delete(st);

	cJSON_Delete(it_emu_call(env, "POST", "/_emu/config", "{\"op_polls\": 1, \"op_ms\": 2000}",
				 NULL));
	it_emu_advance(env, 10);
	converge(env, one_group_left, 8);
	emu = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instanceGroupManagers")), 1);
	assert_int_equal(cJSON_GetArraySize(emu_compute(emu, "instanceTemplates")), 1);
	cJSON_Delete(emu);
}

static void drained_group_insert_running(void **state)
{
	running_insert_drained(*state, true);
}

static void drained_template_insert_running(void **state)
{
	running_insert_drained(*state, false);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(full_lease_cycle, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(catalog_hostname_reuse, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(catalog_business_error, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_401, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_403, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_broken_json, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_wrong_type, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_retried, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_html_404_not_deleted, setup2,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(update_500, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_dry_run, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_json_404_marks, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(update_missing_field, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(remove_drained, setup3, it_env_teardown),
		cmocka_unit_test_setup_teardown(remove_faults, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(cleanup_drained_uncataloged, setup2,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(drain_template_removed, setup2, it_env_teardown),
		cmocka_unit_test_setup_teardown(drain_zone_removed, setup_zones, it_env_teardown),
		cmocka_unit_test_setup_teardown(drained_group_insert_running, setup2,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(drained_template_insert_running, setup2,
						it_env_teardown),
	};

	return gceb_test_run("mp_jobs", tests, argc, argv);
}
