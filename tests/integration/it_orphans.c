/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_orphans.c - what GCE holds and the store does not know
 * (docs/design/orphans.md): gceb-sweep-orphans adopts a template and group
 * named as gceb names them and the drain path removes them, near-miss names
 * are left alone (SWP-2), and a state directory lost in the middle of a
 * revision roll converges again with the active VMs untouched and the old
 * revision gone from GCE and from the Machine Provider catalog.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

#define HEX_A "0123456789abcdef0123456789abcdef01234567"
#define HEX_B "89abcdef0123456789abcdef0123456789abcdef"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"%s\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS[] = "managers { template_base_name: \"web\" zone: \"us-a\" "
			       "minimum_size: %d maximum_size: %d }\n";

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_emu_start(env, "--vm-step-ms", "5000", "--op-ms", "60000", NULL);
	*state = env;
	return 0;
}

static void write_config(const struct it_env *env, const char *machine_type, int min, int max)
{
	char text[1024];

	(void)snprintf(text, sizeof(text), TEMPLATES, machine_type);
	it_write_config(env, "templates.cfg", text);
	(void)snprintf(text, sizeof(text), MANAGERS, min, max);
	it_write_config(env, "managers.cfg", text);
}

static const cJSON *member(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* The active revision id of "web". */
static void active_revision(const struct it_env *env, char out[41])
{
	cJSON *st = it_status(env);
	const cJSON *t;

	cJSON_ArrayForEach(t, member(st, "templates")) {
		if (!strcmp(it_str(t, "base_name"), "web"))
			(void)snprintf(out, 41, "%s", strchr(it_str(t, "active"), ' ') + 1);
	}
	cJSON_Delete(st);
}

/* A template and group named @name in us-a with @size running VMs, behind gceb's back. */
static void seed(const struct it_env *env, const char *name, int size)
{
	char body[512];

	(void)snprintf(
		body, sizeof(body),
		"{\"project\":\"proj\",\"zone\":\"us-a\",\"template\":\"%s\",\"group\":\"%s\","
		"\"size\":%d,\"base\":\"%.20s-x\"}",
		name, name, size, name);
	it_emu_post(env, "/_emu/gce/seed", body);
}

/* Whether GCE has the template and the group @name (not being deleted). */
static bool gce_has(struct it_env *env, const char *what, const char *name)
{
	char path[256];
	long status = 0;

	if (!strcmp(what, "template"))
		(void)snprintf(path, sizeof(path),
			       "/compute/v1/projects/proj/global/instanceTemplates/%s", name);
	else
		(void)snprintf(path, sizeof(path),
			       "/compute/v1/projects/proj/zones/us-a/instanceGroupManagers/%s",
			       name);
	cJSON_Delete(it_emu_api(env, "GET", path, NULL, &status));
	assert_true(status == 200 || status == 404);
	return status == 200;
}

/* The VMs GCE has in group @group: "name id" lines, sorted by the emulator's order. */
static char *group_vms(struct it_env *env, const char *group)
{
	cJSON *st = it_emu_state(env);
	const cJSON *in;
	size_t len = 0, cap = 4096;
	char *out = calloc(1, cap);

	assert_non_null(out);
	cJSON_ArrayForEach(in, member(member(st, "compute"), "instances")) {
		const char *url = it_str(in, "instance"), *igm = it_str(in, "instanceGroupManager");
		char path[512];
		long status;
		cJSON *vm;

		if (!igm || strcmp(strrchr(igm, '/') + 1, group) != 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s", strstr(url, "/compute/v1/"));
		vm = it_emu_api(env, "GET", path, NULL, &status);
		assert_int_equal(status, 200);
		len += (size_t)snprintf(out + len, cap - len, "%s %s\n", it_str(vm, "name"),
					it_str(vm, "id"));
		assert_true(len < cap);
		cJSON_Delete(vm);
	}
	cJSON_Delete(st);
	return out;
}

/* Catalog entries whose hostname starts with @prefix; fails on a hostname listed twice. */
static int catalog_count(const struct it_env *env, const char *prefix)
{
	cJSON *st = it_emu_state(env);
	const cJSON *a, *b, *cat = member(member(st, "machine_provider"), "catalog");
	int n = 0;

	cJSON_ArrayForEach(a, cat) {
		const char *h = it_str(member(a, "dimensions"), "hostname");

		assert_non_null(h);
		cJSON_ArrayForEach(b, cat) {
			if (a != b)
				assert_string_not_equal(
					h, it_str(member(b, "dimensions"), "hostname"));
		}
		n += !strncmp(h, prefix, strlen(prefix));
	}
	cJSON_Delete(st);
	return n;
}

/* Rounds of gceb-run-all (some may fail an item that waits for GCE), the clock moved between. */
static void rounds(const struct it_env *env, int n)
{
	while (n-- > 0) {
		struct it_result res;

		it_run(env, &res, "run-all", NULL);
		if (res.status != 0 && res.status != 1)
			print_message("gceb-run-all exit %d:\n%s", res.status, res.err);
		assert_true(res.status == 0 || res.status == 1);
		it_result_release(&res);
		it_emu_advance(env, 70);
	}
}

/* The revision @rev in gceb-status, or NULL. */
static const cJSON *status_revision(const cJSON *st, const char *rev)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, member(st, "revisions")) {
		if (!strcmp(it_str(r, "revision"), rev))
			return r;
	}
	return NULL;
}

static int lines_with(const char *text, const char *needle)
{
	int n = 0;

	for (; (text = strstr(text, needle)); text++)
		n++;
	return n;
}

/* SWP-1..7: an orphan adopted and drained; near misses left alone. */
static void orphan_removed_near_misses_kept(void **state)
{
	static const char *const near[] = {
		"web-" HEX_A "0",                              /* 41 hex digits */
		"web-0123456789abcdef0123456789abcdef0123456", /* 39 */
		"webx-" HEX_A,                                 /* another base name */
		"gone-" HEX_A,                                 /* a base name not configured */
	};
	struct it_env *env = *state;
	struct it_result res;
	char active[41], orphan[64], *before, *after;
	cJSON *st;
	size_t i;

	write_config(env, "n1-standard-2", 1, 3);
	rounds(env, 6);
	active_revision(env, active);
	(void)snprintf(orphan, sizeof(orphan), "web-%s", active);
	before = group_vms(env, orphan);
	assert_int_equal(lines_with(before, "\n"), 1);

	(void)snprintf(orphan, sizeof(orphan), "web-%s", HEX_A);
	seed(env, orphan, 2);
	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++)
		seed(env, near[i], 1);

	/* -n: what it would adopt, nothing written. */
	it_run(env, &res, "sweep-orphans", "-n", NULL);
	assert_int_equal(res.status, 0);
	assert_int_equal(lines_with(res.out, "would adopt "), 2);
	assert_non_null(strstr(res.out, "would adopt template"));
	assert_non_null(strstr(res.out, "as drained group 'web " HEX_A " us-a'"));
	it_result_release(&res);
	st = it_status(env);
	assert_null(status_revision(st, HEX_A));
	cJSON_Delete(st);

	/* Names GCE refuses to hold (upper case) or that only start right, served as a listing. */
	it_emu_post(env, "/_emu/faults",
		    "{\"method\":\"GET\",\"path\":\"*/global/instanceTemplates\","
		    "\"action\":\"status\",\"status\":200,\"count\":1,\"body\":"
		    "\"{\\\"items\\\":["
		    "{\\\"name\\\":\\\"web-0123456789ABCDEF0123456789abcdef01234567\\\","
		    "\\\"selfLink\\\":\\\"https://www.googleapis.com/compute/v1/projects/proj/"
		    "global/instanceTemplates/web-0123456789ABCDEF0123456789abcdef01234567\\\"},"
		    "{\\\"name\\\":\\\"web-" HEX_A "-x\\\","
		    "\\\"selfLink\\\":\\\"https://www.googleapis.com/compute/v1/projects/proj/"
		    "global/instanceTemplates/web-" HEX_A "-x\\\"}]}\"}");
	it_run(env, &res, "sweep-orphans", "-n", NULL);
	assert_int_equal(res.status, 0);
	assert_int_equal(lines_with(res.out, "would adopt template"), 0);
	assert_int_equal(lines_with(res.out, "would adopt group"), 1);
	it_result_release(&res);

	/* -v names each adoption. */
	it_run(env, &res, "sweep-orphans", "-v", NULL);
	assert_int_equal(res.status, 0);
	assert_int_equal(lines_with(res.err, ": info: adopted "), 2);
	assert_non_null(strstr(res.err, "as drained revision 'web " HEX_A "'"));
	it_result_release(&res);
	st = it_status(env);
	assert_string_equal(it_str(status_revision(st, HEX_A), "state"), "drained");
	assert_non_null(it_str(status_revision(st, HEX_A), "url"));
	cJSON_Delete(st);
	/* Known now: a second sweep adopts nothing. */
	it_run(env, &res, "sweep-orphans", "-v", NULL);
	assert_int_equal(res.status, 0);
	assert_null(strstr(res.err, "adopted"));
	it_result_release(&res);

	rounds(env, 8);
	assert_false(gce_has(env, "group", orphan));
	assert_false(gce_has(env, "template", orphan));
	for (i = 0; i < sizeof(near) / sizeof(near[0]); i++) {
		assert_true(gce_has(env, "group", near[i]));
		assert_true(gce_has(env, "template", near[i]));
	}
	/* The active revision's VM is the one it had. */
	(void)snprintf(orphan, sizeof(orphan), "web-%s", active);
	after = group_vms(env, orphan);
	assert_string_equal(before, after);
	free(before);
	free(after);
	st = it_status(env);
	assert_int_equal(it_array_size(st, "revisions"), 1);
	cJSON_Delete(st);
}

/* State lost in the middle of a roll: the active VMs kept, the old revision removed. */
static void state_loss_mid_roll(void **state)
{
	struct it_env *env = *state;
	char old[41], rev[41], group[64], cmd[256], *before, *after;
	cJSON *st;

	write_config(env, "n1-standard-2", 2, 4);
	rounds(env, 6);
	active_revision(env, old);
	assert_int_equal(catalog_count(env, "web-"), 2);

	/* The roll: the new revision's group gets VMs, the old one still stands. */
	write_config(env, "n1-standard-4", 2, 4);
	it_expect(env, 0, "import-config");
	it_expect(env, 0, "process-config");
	active_revision(env, rev);
	assert_string_not_equal(old, rev);
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-group-managers");
	it_expect(env, 0, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_expect(env, 0, "fetch-instances");
	it_expect(env, 0, "catalog-instances");
	(void)snprintf(group, sizeof(group), "web-%s", rev);
	before = group_vms(env, group);
	assert_int_equal(lines_with(before, "\n"), 2);
	assert_int_equal(catalog_count(env, "web-"), 4);

	/* The state directory's contents lost; the directory stays (jobs never create it). */
	it_clear_dir(env->state_dir);

	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/requests", NULL, NULL));
	rounds(env, 10);

	/* The active revision adopted what it had: same VMs, none deleted, none cataloged twice. */
	after = group_vms(env, group);
	assert_string_equal(before, after);
	(void)snprintf(cmd, sizeof(cmd), "/instanceGroupManagers/%s/deleteInstances", group);
	assert_int_equal(it_emu_count_requests(env, "POST", cmd), 0);
	(void)snprintf(cmd, sizeof(cmd), "web-%.8s-", rev);
	assert_int_equal(catalog_count(env, cmd), 2);
	/* The old revision: template, group and VMs gone from GCE, VMs from the catalog. */
	(void)snprintf(group, sizeof(group), "web-%s", old);
	assert_false(gce_has(env, "group", group));
	assert_false(gce_has(env, "template", group));
	(void)snprintf(cmd, sizeof(cmd), "web-%.8s-", old);
	assert_int_equal(catalog_count(env, cmd), 0);
	free(before);
	free(after);
	st = it_status(env);
	assert_int_equal(it_array_size(st, "revisions"), 1);
	assert_string_equal(it_str(cJSON_GetArrayItem(member(st, "revisions"), 0), "revision"),
			    rev);
	cJSON_Delete(st);
}

/* SWP-7: a failed listing fails the template's item; what the other listings found is adopted. */
static void failed_listing_fails_item(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char orphan[64];
	cJSON *st;

	write_config(env, "n1-standard-2", 1, 3);
	rounds(env, 6);
	(void)snprintf(orphan, sizeof(orphan), "web-%s", HEX_B);
	seed(env, orphan, 1);
	it_emu_post(env, "/_emu/faults",
		    "{\"method\":\"GET\",\"path\":\"*/global/instanceTemplates\","
		    "\"status\":403,\"reason\":\"forbidden\"}");
	it_run(env, &res, "sweep-orphans", "-v", NULL);
	/* A 403 that is no rate limit, again after a fresh token: credentials refused. */
	if (res.status != 77)
		print_message("gceb-sweep-orphans exit %d:\n%s", res.status, res.err);
	assert_int_equal(res.status, 77);
	assert_non_null(strstr(res.err, "error: template 'web': GET "));
	assert_non_null(strstr(res.err, "HTTP 403"));
	assert_non_null(strstr(res.err, "error: 1 of 1 item failed"));
	assert_int_equal(lines_with(res.err, ": info: adopted group "), 1);
	it_result_release(&res);
	st = it_status(env);
	assert_string_equal(it_str(status_revision(st, HEX_B), "state"), "drained");
	assert_null(it_str(status_revision(st, HEX_B), "url")); /* its template is not known yet */
	cJSON_Delete(st);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(orphan_removed_near_misses_kept, setup,
						it_env_teardown),
		cmocka_unit_test_setup_teardown(state_loss_mid_roll, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(failed_listing_fails_item, setup, it_env_teardown),
	};

	return gceb_test_run("orphans", tests, argc, argv);
}
