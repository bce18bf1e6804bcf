/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_gce.c - Compute Engine v1 behaviour of gceb-emulator, over HTTP */
#include "runner.h"
#include "test_emu_common.h"

#define PRJ  "/compute/v1/projects/p"
#define TMPL PRJ "/global/instanceTemplates"
#define IGM  PRJ "/zones/z/instanceGroupManagers"
#define IG   PRJ "/zones/z/instanceGroups"

static const char *const default_args[] = { "--seed", "7", NULL };

static int setup(void **state)
{
	(void)state;
	return start_emu(default_args);
}

static void make_template(const char *name)
{
	char body[512];

	(void)snprintf(body, sizeof(body),
		       "{\"name\":\"%s\",\"properties\":{\"machineType\":\"n1-standard-8\","
		       "\"disks\":[{\"boot\":true,\"autoDelete\":true,\"initializeParams\":"
		       "{\"diskSizeGb\":100,\"sourceImage\":\"https://www.googleapis.com/compute/"
		       "v1/projects/ip/global/images/img\"}}],\"metadata\":{\"items\":"
		       "[{\"key\":\"k\",\"value\":\"v\"}]}}}",
		       name);
	cJSON_Delete(CALL("POST", TMPL, body, 200));
	advance(3);
}

static void make_group(const char *name, const char *tmpl, int size)
{
	char body[512];

	(void)snprintf(body, sizeof(body),
		       "{\"name\":\"%s\",\"baseInstanceName\":\"%s-b\",\"instanceTemplate\":"
		       "\"global/instanceTemplates/%s\",\"targetSize\":%d}",
		       name, name, tmpl, size);
	cJSON_Delete(CALL("POST", IGM, body, 200));
	advance(3);
}

static cJSON *get_group(const char *name)
{
	char url[256];

	(void)snprintf(url, sizeof(url), IGM "/%s", name);
	return CALL("GET", url, NULL, 200);
}

static int group_count(const char *name, const char *action)
{
	cJSON *g = get_group(name);
	char path[64];
	int n;

	(void)snprintf(path, sizeof(path), "currentActions.%s", action);
	n = (int)emu_num(g, path);
	cJSON_Delete(g);
	return n;
}

/* listInstances items (all pages); returns the count, first URL into first. */
static int list_instances(const char *group, char *first, size_t size)
{
	char url[512];
	const char *tok = NULL;
	int n = 0;
	cJSON *j = NULL;

	do {
		const cJSON *it;

		(void)snprintf(url, sizeof(url), IG "/%s/listInstances?maxResults=500%s%s", group,
			       tok ? "&pageToken=" : "", tok ? tok : "");
		cJSON_Delete(j);
		j = CALL("POST", url, NULL, 200);
		cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "items")) {
			if (n == 0 && first)
				(void)snprintf(first, size, "%s", emu_str(it, "instance"));
			n++;
		}
		tok = emu_str(j, "nextPageToken");
	} while (tok);
	cJSON_Delete(j);
	return n;
}

static void template_insert_get_delete(void **state)
{
	char url[512];
	cJSON *op, *t;

	(void)state;
	op = CALL("POST", TMPL,
		  "{\"name\":\"t1\",\"properties\":{\"disks\":[{\"initializeParams\":"
		  "{\"diskSizeGb\":10}}]}}",
		  200);
	assert_json_str(op, "kind", "compute#operation");
	/* Links carry Compute's root, whatever root was called. */
	(void)snprintf(url, sizeof(url),
		       EMU_TEST_CANONICAL "compute/v1/projects/p/global/instanceTemplates/t1");
	assert_json_str(op, "targetLink", url);
	assert_json_str(op, "status", "PENDING");
	/* The side effect lands when the operation is DONE. */
	cJSON_Delete(CALL("GET", TMPL "/t1", NULL, 404));
	cJSON_Delete(CALL("GET", emu_str(op, "selfLink"), NULL, 200));
	cJSON_Delete(op);
	t = CALL("GET", TMPL "/t1", NULL, 200);
	assert_json_str(t, "selfLink", url);
	assert_json_str(t, "kind", "compute#instanceTemplate");
	assert_json_str(t, "properties.disks.0.initializeParams.diskSizeGb", "10");
	cJSON_Delete(t);
	t = CALL("GET", TMPL, NULL, 200);
	assert_json_str(t, "items.0.name", "t1");
	cJSON_Delete(t);

	op = CALL("DELETE", url, NULL, 200);
	assert_json_str(op, "targetLink", url);
	assert_json_str(op, "operationType", "delete");
	cJSON_Delete(CALL("GET", emu_str(op, "selfLink"), NULL, 200));
	cJSON_Delete(op);
	cJSON_Delete(CALL("GET", TMPL "/t1", NULL, 404));
	cJSON_Delete(CALL("DELETE", TMPL "/t1", NULL, 404));
	t = CALL("GET", TMPL, NULL, 200);
	assert_null(cJSON_GetObjectItemCaseSensitive(t, "items"));
	cJSON_Delete(t);
}

static void template_conflict_while_insert_running(void **state)
{
	cJSON *err;

	(void)state;
	cJSON_Delete(CALL("POST", TMPL, "{\"name\":\"t1\"}", 200));
	err = CALL("POST", TMPL, "{\"name\":\"t1\"}", 409);
	assert_json_str(err, "error.errors.0.reason", "alreadyExists");
	assert_json_str(err, "error.message",
			"The resource 'projects/p/global/instanceTemplates/t1' already exists");
	cJSON_Delete(err);
	advance(3);
	cJSON_Delete(CALL("POST", TMPL, "{\"name\":\"t1\"}", 409));
	err = CALL("POST", TMPL, "{\"name\":\"Bad_Name\"}", 400);
	assert_json_str(err, "error.errors.0.reason", "invalid");
	cJSON_Delete(err);
	cJSON_Delete(CALL("POST", TMPL, "{}", 400));
}

static void operation_polls_and_retention(void **state)
{
	static const char *const args[] = { "--op-polls",        "3",    "--op-ms", "100000",
					    "--op-retention-ms", "5000", NULL };
	char self[512];
	cJSON *op;

	(void)state;
	restart(args);
	op = CALL("POST", TMPL, "{\"name\":\"t1\"}", 200);
	(void)snprintf(self, sizeof(self), "%s", emu_str(op, "selfLink"));
	assert_non_null(strstr(self, "/compute/v1/projects/p/global/operations/operation-"));
	cJSON_Delete(op);
	op = CALL("GET", self, NULL, 200);
	assert_json_str(op, "status", "RUNNING");
	assert_int_equal((int)emu_num(op, "progress"), 50);
	cJSON_Delete(op);
	op = CALL("GET", self, NULL, 200);
	assert_json_str(op, "status", "RUNNING");
	cJSON_Delete(op);
	op = CALL("GET", self, NULL, 200);
	assert_json_str(op, "status", "DONE");
	assert_int_equal((int)emu_num(op, "progress"), 100);
	assert_non_null(emu_str(op, "endTime"));
	assert_null(cJSON_GetObjectItemCaseSensitive(op, "error"));
	cJSON_Delete(op);
	cJSON_Delete(CALL("GET", TMPL "/t1", NULL, 200));
	advance(6);
	cJSON_Delete(CALL("GET", self, NULL, 404));
	cJSON_Delete(CALL("GET", PRJ "/zones/z/operations/operation-nope", NULL, 404));
}

static void group_insert_needs_template(void **state)
{
	static const char body[] = "{\"name\":\"m\",\"baseInstanceName\":\"m\","
				   "\"instanceTemplate\":\"global/instanceTemplates/none\"}";
	cJSON *err;

	(void)state;
	err = CALL("POST", IGM, body, 404);
	assert_json_str(err, "error.errors.0.reason", "notFound");
	cJSON_Delete(err);
	CTL("/_emu/config", "{\"missing_template\":400}");
	cJSON_Delete(CALL("POST", IGM, body, 400));
	make_template("t1");
	make_group("m", "t1", 0);
	cJSON_Delete(CALL("POST", IGM,
			  "{\"name\":\"m\",\"baseInstanceName\":\"m\",\"instanceTemplate\":"
			  "\"https://www.googleapis.com/compute/v1/projects/p/global/"
			  "instanceTemplates/t1\"}",
			  409));
	err = CALL("GET", IGM, NULL, 200);
	assert_json_str(err, "items.0.name", "m");
	assert_json_str(err, "kind", "compute#instanceGroupManagerList");
	cJSON_Delete(err);
}

static void group_grows_over_time(void **state)
{
	char inst[512], tmpl_url[512];
	cJSON *j, *op;
	const cJSON *it;
	bool has_tmpl = false, has_creator = false;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 0);
	j = get_group("m");
	assert_int_equal((int)emu_num(j, "targetSize"), 0);
	assert_int_equal((int)emu_num(j, "currentActions.none"), 0);
	assert_int_equal((int)emu_num(j, "currentActions.restarting"), 0);
	cJSON_Delete(j);

	op = CALL("POST", IGM "/m/resize?size=3", NULL, 200);
	assert_json_str(op, "status", "DONE");
	cJSON_Delete(op);
	j = get_group("m");
	assert_int_equal((int)emu_num(j, "targetSize"), 3);
	assert_int_equal((int)emu_num(j, "currentActions.creating"), 3);
	cJSON_Delete(j);
	/* Not yet VMs: listed as managed, not in the instance group. */
	assert_int_equal(list_instances("m", NULL, 0), 0);
	j = CALL("POST", IGM "/m/listManagedInstances", NULL, 200);
	assert_json_str(j, "managedInstances.0.currentAction", "CREATING");
	assert_null(emu_str(j, "managedInstances.0.instanceStatus"));
	assert_non_null(strstr(emu_str(j, "managedInstances.0.instance"), "/instances/m-b-"));
	cJSON_Delete(j);

	advance(1);
	assert_int_equal(list_instances("m", inst, sizeof(inst)), 3);
	j = CALL("GET", inst, NULL, 200);
	assert_json_str(j, "status", "PROVISIONING");
	cJSON_Delete(j);
	advance(10);
	assert_int_equal(group_count("m", "none"), 3);
	assert_int_equal(group_count("m", "creating"), 0);
	j = CALL("GET", inst, NULL, 200);
	assert_json_str(j, "status", "RUNNING");
	assert_json_str(j, "selfLink", inst);
	(void)snprintf(tmpl_url, sizeof(tmpl_url), "https://www.googleapis.com" TMPL "/t1");
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(
				       cJSON_GetObjectItemCaseSensitive(j, "metadata"), "items")) {
		if (strcmp(emu_str(it, "key"), "instance-template") == 0)
			has_tmpl = strcmp(emu_str(it, "value"), tmpl_url) == 0;
		if (strcmp(emu_str(it, "key"), "created-by") == 0)
			has_creator = strstr(emu_str(it, "value"), "/instanceGroupManagers/m");
	}
	assert_true(has_tmpl);
	assert_true(has_creator);
	assert_non_null(emu_str(j, "metadata.fingerprint"));
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", IGM "/m/resize", NULL, 400));
	cJSON_Delete(CALL("POST", IGM "/nope/resize?size=1", NULL, 404));
}

static void group_shrinks(void **state)
{
	(void)state;
	make_template("t1");
	make_group("m", "t1", 3);
	advance(10);
	assert_int_equal(group_count("m", "none"), 3);
	cJSON_Delete(CALL("POST", IGM "/m/resize?size=1", NULL, 200));
	assert_int_equal(group_count("m", "deleting"), 2);
	assert_int_equal(list_instances("m", NULL, 0), 1);
	advance(10);
	assert_int_equal(group_count("m", "deleting"), 0);
	assert_int_equal(group_count("m", "none"), 1);
}

static void delete_instances(void **state)
{
	char inst[512], body[700];
	cJSON *op, *err;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 3);
	advance(10);
	assert_int_equal(list_instances("m", inst, sizeof(inst)), 3);
	(void)snprintf(body, sizeof(body), "{\"instances\":[\"%s\"]}", inst);
	op = CALL("POST", IGM "/m/deleteInstances", body, 200);
	assert_json_str(op, "status", "DONE");
	cJSON_Delete(op);
	op = get_group("m");
	assert_int_equal((int)emu_num(op, "targetSize"), 2);
	assert_int_equal((int)emu_num(op, "currentActions.deleting"), 1);
	cJSON_Delete(op);
	assert_int_equal(list_instances("m", NULL, 0), 2);
	/* already being deleted: 400 */
	err = CALL("POST", IGM "/m/deleteInstances", body, 400);
	cJSON_Delete(err);
	advance(10);
	cJSON_Delete(CALL("GET", inst, NULL, 404));
	cJSON_Delete(CALL("POST", IGM "/m/deleteInstances", body, 400));
	cJSON_Delete(CALL("POST", IGM "/m/deleteInstances",
			  "{\"instances\":[\"zones/z/instances/nobody\"]}", 400));
	cJSON_Delete(CALL("POST", IGM "/m/deleteInstances", "{\"instances\":\"x\"}", 400));
}

static void group_delete_waits_for_members(void **state)
{
	char self[512];
	cJSON *op, *err;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 2);
	advance(10);
	op = CALL("DELETE", IGM "/m", NULL, 200);
	(void)snprintf(self, sizeof(self), "%s", emu_str(op, "selfLink"));
	assert_non_null(strstr(self, "/zones/z/operations/"));
	cJSON_Delete(op);
	op = CALL("GET", self, NULL, 200);
	assert_json_str(op, "status", "RUNNING");
	cJSON_Delete(op);
	err = CALL("DELETE", TMPL "/t1", NULL, 400);
	assert_json_str(err, "error.errors.0.reason", "resourceInUseByAnotherResource");
	assert_json_str(err, "error.message",
			"The instance_template resource 'projects/p/global/instanceTemplates/t1' "
			"is already being used by 'projects/p/zones/z/instanceGroupManagers/m'");
	cJSON_Delete(err);
	cJSON_Delete(CALL("POST", IGM "/m/resize?size=5", NULL, 400));
	advance(10);
	op = CALL("GET", self, NULL, 200);
	assert_json_str(op, "status", "DONE");
	cJSON_Delete(op);
	cJSON_Delete(CALL("GET", IGM "/m", NULL, 404));
	cJSON_Delete(CALL("POST", IG "/m/listInstances", NULL, 404));
	cJSON_Delete(CALL("DELETE", TMPL "/t1", NULL, 200));
}

static void set_metadata_fingerprints(void **state)
{
	char inst[512], url[600], body[800], fp[64], old[64];
	cJSON *j, *op;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 1);
	advance(10);
	assert_int_equal(list_instances("m", inst, sizeof(inst)), 1);
	(void)snprintf(url, sizeof(url), "%s/setMetadata", inst);
	j = CALL("GET", inst, NULL, 200);
	(void)snprintf(fp, sizeof(fp), "%s", emu_str(j, "metadata.fingerprint"));
	cJSON_Delete(j);

	j = CALL("POST", url, "{\"fingerprint\":\"stale\",\"items\":[]}", 412);
	assert_json_str(j, "error.errors.0.reason", "conditionNotMet");
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", url, "{\"items\":[]}", 412));

	(void)snprintf(body, sizeof(body),
		       "{\"kind\":\"compute#metadata\",\"fingerprint\":\"%s\",\"items\":[{\"key\":"
		       "\"a\",\"value\":\"1\"}]}",
		       fp);
	op = CALL("POST", url, body, 200);
	assert_json_str(op, "operationType", "setMetadata");
	assert_json_str(op, "targetLink", inst);
	cJSON_Delete(CALL("GET", emu_str(op, "selfLink"), NULL, 200));
	cJSON_Delete(op);
	j = CALL("GET", inst, NULL, 200);
	assert_string_not_equal(emu_str(j, "metadata.fingerprint"), fp);
	assert_json_str(j, "metadata.items.0.key", "a");
	assert_null(emu_str(j, "metadata.items.1.key"));
	(void)snprintf(old, sizeof(old), "%s", emu_str(j, "metadata.fingerprint"));
	cJSON_Delete(j);

	/* another writer rotates the fingerprint */
	(void)snprintf(body, sizeof(body), "{\"instance\":\"%s\"}", inst);
	CTL("/_emu/gce/fingerprint", body);
	(void)snprintf(body, sizeof(body), "{\"fingerprint\":\"%s\",\"items\":[]}", old);
	cJSON_Delete(CALL("POST", url, body, 412));

	/* scripted form: a DONE operation with CONDITION_NOT_MET */
	CTL("/_emu/config", "{\"metadata_op_error\":true}");
	op = CALL("POST", url, body, 200);
	cJSON_Delete(CALL("GET", emu_str(op, "selfLink"), NULL, 200));
	cJSON_Delete(op);
	j = CALL("GET", inst, NULL, 200);
	assert_json_str(j, "metadata.items.0.key", "a");
	cJSON_Delete(j);
}

static void set_metadata_op_error_reported(void **state)
{
	char inst[512], url[600];
	cJSON *j, *op;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 1);
	advance(10);
	assert_int_equal(list_instances("m", inst, sizeof(inst)), 1);
	(void)snprintf(url, sizeof(url), "%s/setMetadata", inst);
	CTL("/_emu/config", "{\"metadata_op_error\":true}");
	op = CALL("POST", url, "{\"fingerprint\":\"stale\"}", 200);
	j = CALL("GET", emu_str(op, "selfLink"), NULL, 200);
	assert_json_str(j, "status", "DONE");
	assert_json_str(j, "error.errors.0.code", "CONDITION_NOT_MET");
	assert_int_equal((int)emu_num(j, "httpErrorStatusCode"), 412);
	cJSON_Delete(j);
	cJSON_Delete(op);
}

static void instance_delete_is_recreated(void **state)
{
	char inst[512];
	cJSON *op;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 2);
	advance(10);
	assert_int_equal(list_instances("m", inst, sizeof(inst)), 2);
	op = CALL("DELETE", inst, NULL, 200);
	assert_json_str(op, "operationType", "delete");
	cJSON_Delete(op);
	assert_int_equal(group_count("m", "recreating"), 1);
	advance(2);
	cJSON_Delete(CALL("GET", inst, NULL, 404));
	advance(10);
	cJSON_Delete(CALL("GET", inst, NULL, 200));
	assert_int_equal(group_count("m", "none"), 2);
}

static void control_deletes_vm_behind_group(void **state)
{
	char inst[512], body[600];

	(void)state;
	make_template("t1");
	make_group("m", "t1", 1);
	advance(10);
	assert_int_equal(list_instances("m", inst, sizeof(inst)), 1);
	(void)snprintf(body, sizeof(body), "{\"instance\":\"%s\"}", inst);
	CTL("/_emu/gce/kill", body);
	advance(2);
	cJSON_Delete(CALL("GET", inst, NULL, 404));
	assert_int_equal(group_count("m", "recreating"), 1);
}

static void pagination_forced_page_size(void **state)
{
	static const char *const args[] = { "--page-size", "2", NULL };
	char url[600];
	cJSON *j, *j2;
	int n;

	(void)state;
	restart(args);
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"m\",\"size\":5}");
	CTL("/_emu/gce/seed",
	    "{\"project\":\"p\",\"zone\":\"z\",\"template\":\"t\",\"group\":\"m2\",\"size\":1}");
	j = CALL("POST", IG "/m/listInstances?maxResults=500", "{}", 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 2);
	assert_non_null(emu_str(j, "nextPageToken"));
	/* a token from another list is refused */
	(void)snprintf(url, sizeof(url), IG "/m2/listInstances?pageToken=%s",
		       emu_str(j, "nextPageToken"));
	cJSON_Delete(CALL("POST", url, NULL, 400));
	cJSON_Delete(j);
	n = list_instances("m", NULL, 0);
	assert_int_equal(n, 5);
	cJSON_Delete(CALL("POST", IG "/m/listInstances?pageToken=garbage", NULL, 400));
	cJSON_Delete(CALL("POST", IG "/m/listInstances?maxResults=501", NULL, 400));
	cJSON_Delete(CALL("POST", IG "/m/listInstances?maxResults=-1", NULL, 400));
	j = CALL("POST", IG "/m/listInstances", "{\"instanceState\":\"RUNNING\"}", 200);
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", IG "/m/listInstances", "{\"instanceState\":\"ODD\"}", 400));
	/* listManagedInstances of a PAGELESS group (the default) is one answer */
	j = CALL("POST", IGM "/m/listManagedInstances?maxResults=1", NULL, 200);
	assert_int_equal(
		cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "managedInstances")), 5);
	assert_null(emu_str(j, "nextPageToken"));
	cJSON_Delete(j);
	/* and a PAGINATED one pages the same way as listInstances */
	cJSON_Delete(CALL("POST", IGM,
			  "{\"name\":\"pg\",\"baseInstanceName\":\"pg\",\"instanceTemplate\":"
			  "\"global/instanceTemplates/t\",\"targetSize\":2,"
			  "\"listManagedInstancesResults\":\"PAGINATED\"}",
			  200));
	advance(3);
	j = CALL("GET", IGM "/pg", NULL, 200);
	assert_json_str(j, "listManagedInstancesResults", "PAGINATED");
	cJSON_Delete(j);
	j = CALL("POST", IGM "/pg/listManagedInstances?maxResults=1", NULL, 200);
	assert_int_equal(
		cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "managedInstances")), 1);
	(void)snprintf(url, sizeof(url), IGM "/pg/listManagedInstances?maxResults=1&pageToken=%s",
		       emu_str(j, "nextPageToken"));
	j2 = CALL("POST", url, NULL, 200);
	assert_string_not_equal(emu_str(j, "managedInstances.0.instance"),
				emu_str(j2, "managedInstances.0.instance"));
	cJSON_Delete(j);
	cJSON_Delete(j2);
}

static void list_filter(void **state)
{
	cJSON *j;

	(void)state;
	make_template("a-1");
	make_template("a-2");
	make_template("b-1");
	j = CALL("GET", TMPL "?filter=name+eq+%22a-.*%22", NULL, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 2);
	cJSON_Delete(j);
	j = CALL("GET", TMPL "?filter=name%20ne%20a-.*", NULL, 200);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	assert_json_str(j, "items.0.name", "b-1");
	cJSON_Delete(j);
	cJSON_Delete(CALL("GET", TMPL "?filter=zone+eq+x", NULL, 400));
}

static void schema_rejects_unknown_and_mistyped(void **state)
{
	cJSON *err;

	(void)state;
	err = CALL("POST", TMPL, "{\"name\":\"t\",\"properties\":{\"disks\":[{\"bot\":true}]}}",
		   400);
	assert_non_null(strstr(emu_str(err, "error.message"), "Unknown name \"bot\""));
	assert_non_null(strstr(emu_str(err, "error.message"), "resource.properties.disks[0]"));
	cJSON_Delete(err);
	err = CALL("POST", TMPL, "{\"name\":\"t\",\"properties\":{\"canIpForward\":\"yes\"}}", 400);
	assert_non_null(strstr(emu_str(err, "error.message"), "TYPE_BOOL"));
	cJSON_Delete(err);
	cJSON_Delete(CALL("POST", TMPL,
			  "{\"name\":\"t\",\"properties\":{\"tags\":{\"items\":[1]}}}", 400));
	cJSON_Delete(CALL("POST", TMPL, "[1,2]", 400));
	cJSON_Delete(CALL("POST", TMPL, "{\"name\":\"t\",\"description\":null}", 200));
	advance(3);
	cJSON_Delete(CALL("POST", IGM,
			  "{\"name\":\"m\",\"baseInstanceName\":\"m\",\"instanceTemplate\":"
			  "\"projects/p/global/instanceTemplates/t\",\"targetSize\":\"2\"}",
			  200));
	cJSON_Delete(
		CALL("POST", IGM, "{\"name\":\"m2\",\"baseInstanceName\":\"m\",\"size\":1}", 400));
}

static void quota_limits_members(void **state)
{
	cJSON *j;
	const cJSON *it;
	int errors = 0;

	(void)state;
	CTL("/_emu/gce/zone",
	    "{\"project\":\"p\",\"zone\":\"z\",\"capacity\":1,\"code\":\"QUOTA_EXCEEDED\"}");
	make_template("t1");
	make_group("m", "t1", 3);
	advance(10);
	assert_int_equal(group_count("m", "none"), 1);
	assert_int_equal(group_count("m", "creating"), 2);
	j = CALL("POST", IGM "/m/listManagedInstances", NULL, 200);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(j, "managedInstances")) {
		const char *code = emu_str(it, "lastAttempt.errors.errors.0.code");

		if (code && strcmp(code, "QUOTA_EXCEEDED") == 0)
			errors++;
	}
	assert_int_equal(errors, 2);
	cJSON_Delete(j);
	CTL("/_emu/gce/zone", "{\"project\":\"p\",\"zone\":\"z\",\"capacity\":-1}");
	advance(10);
	assert_int_equal(group_count("m", "none"), 3);
}

static void operation_fails_asynchronously(void **state)
{
	cJSON *op, *j;

	(void)state;
	CTL("/_emu/gce/op-failure",
	    "{\"operationType\":\"insert\",\"target\":\"*/instanceTemplates/bad\",\"code\":"
	    "\"RESOURCE_NOT_FOUND\",\"message\":\"The resource 'projects/ip/global/images/x' was "
	    "not found\",\"http_status\":404}");
	op = CALL("POST", TMPL, "{\"name\":\"bad\"}", 200);
	j = CALL("GET", emu_str(op, "selfLink"), NULL, 200);
	assert_json_str(j, "status", "DONE");
	assert_json_str(j, "error.errors.0.code", "RESOURCE_NOT_FOUND");
	assert_int_equal((int)emu_num(j, "httpErrorStatusCode"), 404);
	assert_json_str(j, "httpErrorMessage", "NOT FOUND");
	cJSON_Delete(j);
	cJSON_Delete(op);
	cJSON_Delete(CALL("GET", TMPL "/bad", NULL, 404));
	/* the rule was for one operation: a retry succeeds */
	cJSON_Delete(CALL("POST", TMPL, "{\"name\":\"bad\"}", 200));
}

static void group_ops_running_knob(void **state)
{
	cJSON *op;

	(void)state;
	make_template("t1");
	make_group("m", "t1", 0);
	CTL("/_emu/config", "{\"igm_ops_running\":true}");
	op = CALL("POST", IGM "/m/resize?size=1", NULL, 200);
	assert_string_not_equal(emu_str(op, "status"), "DONE");
	cJSON_Delete(op);
	assert_int_equal(group_count("m", "creating"), 1);
}

static void unknown_paths(void **state)
{
	cJSON *err;

	(void)state;
	err = CALL("GET", PRJ "/zones/z/disks", NULL, 501);
	assert_json_str(err, "error.errors.0.reason", "notImplemented");
	cJSON_Delete(err);
	cJSON_Delete(CALL("GET", PRJ "/nothing/here", NULL, 404));
	cJSON_Delete(CALL("GET", "/compute/v1/projects/BAD!/global/instanceTemplates", NULL, 400));
	cJSON_Delete(CALL("PUT", TMPL "/t", NULL, 404));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(template_insert_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(template_conflict_while_insert_running, setup,
						teardown),
		cmocka_unit_test_setup_teardown(operation_polls_and_retention, setup, teardown),
		cmocka_unit_test_setup_teardown(group_insert_needs_template, setup, teardown),
		cmocka_unit_test_setup_teardown(group_grows_over_time, setup, teardown),
		cmocka_unit_test_setup_teardown(group_shrinks, setup, teardown),
		cmocka_unit_test_setup_teardown(delete_instances, setup, teardown),
		cmocka_unit_test_setup_teardown(group_delete_waits_for_members, setup, teardown),
		cmocka_unit_test_setup_teardown(set_metadata_fingerprints, setup, teardown),
		cmocka_unit_test_setup_teardown(set_metadata_op_error_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(instance_delete_is_recreated, setup, teardown),
		cmocka_unit_test_setup_teardown(control_deletes_vm_behind_group, setup, teardown),
		cmocka_unit_test_setup_teardown(pagination_forced_page_size, setup, teardown),
		cmocka_unit_test_setup_teardown(list_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(schema_rejects_unknown_and_mistyped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(quota_limits_members, setup, teardown),
		cmocka_unit_test_setup_teardown(operation_fails_asynchronously, setup, teardown),
		cmocka_unit_test_setup_teardown(group_ops_running_knob, setup, teardown),
		cmocka_unit_test_setup_teardown(unknown_paths, setup, teardown),
	};

	return gceb_test_run("emulator.gce", tests, argc, argv);
}
