/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_fidelity.c - gceb as Compute wants its client (docs/design/compute.md):
 * a requestId on every mutation, a retry after a lost answer not applied
 * twice, a failed insert retried as a new request, listed URLs checked,
 * resize by the name asked for, partial network URLs sent as given.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
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
	"  disk_size_gb: 20\n"
	"%s"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS_TWO_ZONES[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 2 maximum_size: 2 }\n"
	"managers { template_base_name: \"web\" zone: \"us-b\" minimum_size: 1 maximum_size: 1 }\n";
static const char MANAGERS_ONE_ZONE[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 2 maximum_size: 2 }\n";

/* The emulator's clock runs in real time too: slow VM steps and operations keep "not yet" true. */
static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_emu_start(env, "--vm-step-ms", "5000", "--op-ms", "60000", NULL);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	return it_env_teardown(state);
}

static void write_config(const struct it_env *env, const char *extra, const char *managers)
{
	char text[1024];

	(void)snprintf(text, sizeof(text), TEMPLATES, extra);
	it_write_config(env, "templates.cfg", text);
	it_write_config(env, "managers.cfg", managers);
	it_expect(env, 0, "import-config");
	it_expect(env, 0, "process-config");
}

static const cJSON *field(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int emu_count(const struct it_env *env, const char *what)
{
	cJSON *st = it_emu_state(env);
	int n = cJSON_GetArraySize(field(field(st, "compute"), what));

	cJSON_Delete(st);
	return n;
}

static int request_id_reused(const struct it_env *env)
{
	cJSON *stats = it_emu_call(env, "GET", "/_emu/stats", NULL, NULL);
	int n = it_int(stats, "request_id_reused");

	cJSON_Delete(stats);
	return n;
}

static cJSON *requests(const struct it_env *env)
{
	cJSON *log = it_emu_call(env, "GET", "/_emu/requests", NULL, NULL);

	assert_true(cJSON_IsArray(log));
	return log;
}

/* The requestId in a logged request's query, copied to @out ("" if none). */
static void logged_request_id(const cJSON *r, char out[64])
{
	const char *q = it_str(r, "query"), *p = q ? strstr(q, "requestId=") : NULL;

	out[0] = '\0';
	if (p)
		(void)snprintf(out, 64, "%.*s", (int)strcspn(p + 10, "&"), p + 10);
}

/* Whether a logged Compute call changes something (what Compute deduplicates). */
static bool is_mutation(const cJSON *r)
{
	const char *method = it_str(r, "method"), *path = it_str(r, "path");

	if (!path || strncmp(path, "/compute/v1/", 12) != 0)
		return false;
	if (!strcmp(method, "DELETE"))
		return true;
	return !strcmp(method, "POST") && !strstr(path, "/listInstances") &&
	       !strstr(path, "/listManagedInstances") && !strstr(path, "/wait");
}

/* A UUID of version 5's layout: 8-4-4-4-12 lower-case hex, version 5, RFC 4122 variant. */
static bool is_v5_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36 || s[14] != '5' || !strchr("89ab", s[19]))
		return false;
	for (i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
							      !strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

/* Count the logged calls whose method is @method and path contains @part, and their statuses. */
static int count_calls(const struct it_env *env, const char *method, const char *part, int status)
{
	cJSON *log = requests(env);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, log) {
		const char *p = it_str(r, "path");

		n += !strcmp(it_str(r, "method"), method) && p && strstr(p, part) &&
		     (status < 0 || it_int(r, "status") == status);
	}
	cJSON_Delete(log);
	return n;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	(void)nanosleep(&ts, NULL);
}

/* ---- CMP-RID: every mutation carries a requestId ---- */

/*
 * A whole life: roll out to two zones, a metadata update, one zone removed
 * and drained (deleteInstances, the group's DELETE). Every mutation carries
 * a version-5 UUID, and Compute never saw an id reused for another request.
 */
static void every_mutation_carries_a_request_id(void **state)
{
	struct it_env *env = *state;
	cJSON *log, *st;
	const cJSON *r, *in;
	char id[64], host[128] = "";
	int mutations = 0, kinds[6] = { 0 };

	write_config(env, "", MANAGERS_TWO_ZONES);
	it_roll_out(env);
	st = it_status_instances(env);
	cJSON_ArrayForEach(in, field(st, "instances"))
		if (!host[0] && it_str(in, "name"))
			(void)snprintf(host, sizeof(host), "%s", it_str(in, "name"));
	cJSON_Delete(st);
	assert_true(host[0] != '\0');
	it_expect(env, 0, "set-metadata", "--hostname", host, "color=blue");
	it_expect(env, 0, "schedule-metadata-tasks");
	it_expect(env, 0, "schedule-metadata-tasks");
	write_config(env, "", MANAGERS_ONE_ZONE);
	it_expect(env, 0, "remove-cataloged-instances");
	it_expect(env, 0, "delete-instances-pending-deletion");
	it_emu_advance(env, 30);
	it_expect(env, 0, "cleanup-entities");
	it_expect(env, 0, "fetch-instances");
	it_expect(env, 0, "delete-instance-group-managers");

	log = requests(env);
	cJSON_ArrayForEach(r, log) {
		const char *path = it_str(r, "path");

		if (!is_mutation(r))
			continue;
		mutations++;
		logged_request_id(r, id);
		if (!is_v5_uuid(id))
			fail_msg("%s %s?%s: no requestId of version 5's form", it_str(r, "method"),
				 path, it_str(r, "query"));
		kinds[0] += strstr(path, "/global/instanceTemplates") != NULL;
		kinds[1] += !strcmp(it_str(r, "method"), "POST") &&
			    strstr(path, "/instanceGroupManagers") && !strstr(path, "Managers/");
		kinds[2] += strstr(path, "/resize") != NULL;
		kinds[3] += strstr(path, "/setMetadata") != NULL;
		kinds[4] += strstr(path, "/deleteInstances") != NULL;
		kinds[5] += !strcmp(it_str(r, "method"), "DELETE");
	}
	cJSON_Delete(log);
	/* Each kind of mutation was seen, so each was checked. */
	assert_true(kinds[0] >= 1 && kinds[1] >= 2 && kinds[2] >= 2 && kinds[3] >= 1 &&
		    kinds[4] >= 1 && kinds[5] >= 1);
	assert_true(mutations >= 8);
	assert_int_equal(request_id_reused(env), 0);
}

/* ---- CMP-RID-1: a lost answer, retried, is the same request ---- */

/*
 * The template insert is applied by Compute, and its answer is held back
 * while the job is SIGKILLed. The next run sends the same insert with the
 * same requestId: Compute answers with the first operation (no 409, no
 * second insert), and the template is adopted from it.
 */
static void insert_killed_in_flight_is_not_applied_twice(void **state)
{
	struct it_env *env = *state;
	char first[64] = "", second[64] = "";
	cJSON *log, *st;
	const cJSON *r;
	int pid, status, i, ops = 0;

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_emu_post(env, "/_emu/faults",
		    "{\"method\": \"POST\", \"path\": \"*/global/instanceTemplates\", "
		    "\"action\": \"delay\", \"delay_ms\": 3000, \"count\": 1}");
	pid = it_spawn(env, it_tmpfd(), it_tmpfd(), "create-instance-templates", NULL);
	/* Applied: the emulator holds the template (its name taken) and waits to answer. */
	for (i = 0; i < 200 && emu_count(env, "instanceTemplates") == 0; i++)
		sleep_ms(50);
	assert_int_equal(emu_count(env, "instanceTemplates"), 1);
	assert_int_equal(kill(pid, SIGKILL), 0);
	status = it_wait(pid);
	assert_int_equal(status, 128 + SIGKILL);

	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-templates");

	log = requests(env);
	cJSON_ArrayForEach(r, log) {
		if (strcmp(it_str(r, "method"), "POST") != 0 ||
		    !strstr(it_str(r, "path"), "/global/instanceTemplates"))
			continue;
		assert_int_equal(it_int(r, "status"), 200); /* never 409 */
		logged_request_id(r, first[0] ? second : first);
	}
	cJSON_Delete(log);
	assert_true(is_v5_uuid(first));
	assert_string_equal(first, second);
	assert_int_equal(count_calls(env, "POST", "/global/instanceTemplates", -1), 2);
	assert_int_equal(count_calls(env, "GET", "/global/instanceTemplates/", -1), 0);

	st = it_emu_state(env);
	assert_int_equal(cJSON_GetArraySize(field(field(st, "compute"), "instanceTemplates")), 1);
	cJSON_ArrayForEach(r, field(field(st, "compute"), "operations"))
		ops += !strcmp(it_str(r, "operationType"), "insert") &&
		       strstr(it_str(r, "targetLink"), "/global/instanceTemplates/");
	cJSON_Delete(st);
	assert_int_equal(ops, 1);
	assert_int_equal(request_id_reused(env), 0);
	st = it_status(env);
	assert_non_null(it_str(cJSON_GetArrayItem(field(st, "revisions"), 0), "url"));
	cJSON_Delete(st);
}

/* ---- CMP-RID-1: a failed insert is retried as a new request ---- */

static void failed_insert_retried_with_a_new_id(void **state)
{
	struct it_env *env = *state;
	char ids[2][64] = { "", "" };
	struct it_result res;
	cJSON *log, *st;
	const cJSON *r;
	int n = 0;

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_emu_post(env, "/_emu/gce/op-failure",
		    "{\"operationType\": \"insert\", \"target\": \"*instanceTemplates*\", "
		    "\"code\": \"QUOTA_EXCEEDED\", \"count\": 1}");
	assert_int_equal(it_run(env, &res, "create-instance-templates", NULL), 1);
	assert_non_null(strstr(res.err, "QUOTA_EXCEEDED"));
	it_result_release(&res);
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-templates");

	log = requests(env);
	cJSON_ArrayForEach(r, log)
		if (!strcmp(it_str(r, "method"), "POST") &&
		    strstr(it_str(r, "path"), "/global/instanceTemplates") && n < 2)
			logged_request_id(r, ids[n++]);
	cJSON_Delete(log);
	assert_int_equal(n, 2);
	assert_true(is_v5_uuid(ids[0]) && is_v5_uuid(ids[1]));
	assert_string_not_equal(ids[0], ids[1]);
	st = it_status(env);
	assert_non_null(it_str(cJSON_GetArrayItem(field(st, "revisions"), 0), "url"));
	cJSON_Delete(st);
	assert_int_equal(request_id_reused(env), 0);
}

/* ---- CMP-RID-2: after a DELETE, the same name again is a new request ---- */

static int emu_templates_alive(const struct it_env *env)
{
	cJSON *st = it_emu_state(env);
	const cJSON *t;
	int n = 0;

	cJSON_ArrayForEach(t, field(field(st, "compute"), "instanceTemplates"))
		n += cJSON_IsTrue(field(t, "_visible")) && !cJSON_IsTrue(field(t, "_deleting"));
	cJSON_Delete(st);
	return n;
}

/*
 * A revision drained until GCE accepted its template's DELETE, then made
 * active again before its entity is forgotten: the insert of the same name
 * must be a new request (a new requestId), or Compute would answer with the
 * first insert's operation and gceb would adopt a template that is gone.
 */
static void reinsert_after_delete_is_a_new_request(void **state)
{
	struct it_env *env = *state;
	char ids[2][64] = { "", "" };
	cJSON *log;
	const cJSON *r;
	int n = 0;

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_roll_out(env);
	/* A tag more: a new revision, and the first one drains. */
	write_config(env, "  tags: \"edited\"\n", MANAGERS_ONE_ZONE);
	it_roll_out(env);
	it_expect(env, 0, "remove-cataloged-instances");
	it_expect(env, 0, "delete-instances-pending-deletion");
	it_emu_advance(env, 30);
	it_expect(env, 0, "cleanup-entities");
	it_expect(env, 0, "fetch-instances");
	it_expect(env, 0, "delete-instance-group-managers");
	it_emu_advance(env, 70);
	it_expect(env, 0, "cleanup-entities");
	it_expect(env, 0, "delete-instance-templates");
	it_emu_advance(env, 70);
	assert_int_equal(emu_templates_alive(env), 1);

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_expect(env, 0, "create-instance-templates");
	it_emu_advance(env, 70);
	it_expect(env, 0, "create-instance-templates");
	assert_int_equal(emu_templates_alive(env), 2);

	log = requests(env);
	cJSON_ArrayForEach(r, log) {
		const char *body = it_str(r, "body");

		/* The inserts of the first revision: no "edited" tag. */
		if (!strcmp(it_str(r, "method"), "POST") &&
		    strstr(it_str(r, "path"), "/global/instanceTemplates") && body &&
		    !strstr(body, "edited") && n < 2)
			logged_request_id(r, ids[n++]);
	}
	cJSON_Delete(log);
	assert_int_equal(n, 2);
	assert_string_not_equal(ids[0], ids[1]);
	assert_int_equal(request_id_reused(env), 0);
}

/* ---- CMP-RID-3: a resize to the same size, later, is a new request ---- */

static int target_size(struct it_env *env)
{
	cJSON *st = it_emu_state(env);
	int n = it_int(cJSON_GetArrayItem(field(field(st, "compute"), "instanceGroupManagers"), 0),
		       "targetSize");

	cJSON_Delete(st);
	return n;
}

/*
 * gceb resizes the group to 2; someone else resizes it to 0; gceb's next
 * resize to 2 is the same call as its first, and must still be applied.
 */
static void resize_again_to_the_same_size(void **state)
{
	struct it_env *env = *state;
	cJSON *st, *answer;
	char path[512];
	long status = 0;

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_roll_out(env);
	assert_int_equal(target_size(env), 2);
	st = it_status(env);
	(void)snprintf(path, sizeof(path),
		       "/compute/v1/projects/proj/zones/us-a/instanceGroupManagers/web-%s/"
		       "resize?size=0",
		       it_str(cJSON_GetArrayItem(field(st, "revisions"), 0), "revision"));
	cJSON_Delete(st);
	answer = it_emu_api(env, "POST", path, NULL, &status);
	assert_int_equal(status, 200);
	cJSON_Delete(answer);
	assert_int_equal(target_size(env), 0);
	it_emu_advance(env, 60);
	it_expect(env, 0, "resize-instance-groups");
	assert_int_equal(target_size(env), 2);
	assert_int_equal(request_id_reused(env), 0);
}

/* ---- CMP-1, CMP-2: what the insert body says ---- */

static void int64_as_string_and_partial_network_as_given(void **state)
{
	struct it_env *env = *state;
	cJSON *log, *body = NULL;
	const cJSON *r;

	write_config(env, "  network_url: \"projects/proj/global/networks/default\"\n",
		     MANAGERS_ONE_ZONE);
	it_expect(env, 0, "create-instance-templates");
	log = requests(env);
	cJSON_ArrayForEach(r, log)
		if (!body && !strcmp(it_str(r, "method"), "POST") &&
		    strstr(it_str(r, "path"), "/global/instanceTemplates"))
			body = cJSON_Parse(it_str(r, "body"));
	cJSON_Delete(log);
	assert_non_null(body);
	{
		const cJSON *props = field(body, "properties");
		const cJSON *params =
			field(cJSON_GetArrayItem(field(props, "disks"), 0), "initializeParams");
		const cJSON *nic = cJSON_GetArrayItem(field(props, "networkInterfaces"), 0);

		assert_true(cJSON_IsString(field(params, "diskSizeGb")));
		assert_string_equal(it_str(params, "diskSizeGb"), "20");
		assert_string_equal(it_str(nic, "network"),
				    "projects/proj/global/networks/default");
	}
	cJSON_Delete(body);
}

/* ---- CMP-3: a listed URL passes the check of every stored link ---- */

static void listing_with_foreign_url(struct it_env *env, const char *url)
{
	char fault[1024];
	struct it_result res;
	cJSON *st;

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-group-managers");
	(void)snprintf(fault, sizeof(fault),
		       "{\"method\": \"POST\", \"path\": \"*/listInstances\", \"action\": "
		       "\"status\", \"status\": 200, \"body\": \"{\\\"items\\\": "
		       "[{\\\"instance\\\": \\\"%s\\\"}]}\", \"content_type\": "
		       "\"application/json\", \"count\": 1}",
		       url);
	it_emu_post(env, "/_emu/faults", fault);
	assert_int_equal(it_run(env, &res, "fetch-instances", NULL), 1);
	if (!strstr(res.err, url))
		print_message("%s", res.err);
	assert_non_null(strstr(res.err, url));
	it_result_release(&res);
	st = it_status_instances(env);
	assert_int_equal(it_array_size(st, "instances"), 0);
	assert_int_equal(it_int(cJSON_GetArrayItem(field(st, "groups"), 0), "instances"), 0);
	cJSON_Delete(st);
}

static void listed_url_on_another_host_is_not_stored(void **state)
{
	listing_with_foreign_url(*state, "https://evil.example/compute/v1/projects/proj/"
					 "zones/us-a/instances/web-vm1");
}

static void listed_url_with_dot_dot_is_not_stored(void **state)
{
	listing_with_foreign_url(*state, "https://www.googleapis.com/compute/v1/projects/proj/"
					 "zones/us-a/instances/../instances/web-vm1");
}

static void listed_url_of_another_zone_is_not_stored(void **state)
{
	listing_with_foreign_url(*state, "https://www.googleapis.com/compute/v1/projects/proj/"
					 "zones/us-b/instances/web-vm1");
}

/* ---- CMP-4: resize by the name asked for ---- */

static void resize_uses_the_name_it_asked_for(void **state)
{
	struct it_env *env = *state;

	write_config(env, "", MANAGERS_ONE_ZONE);
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-group-managers");
	it_emu_post(env, "/_emu/faults",
		    "{\"method\": \"GET\", \"path\": \"*/instanceGroupManagers/web-*\", "
		    "\"action\": \"status\", \"status\": 200, \"body\": \"{\\\"name\\\": "
		    "\\\"other-group\\\", \\\"targetSize\\\": 0, \\\"currentActions\\\": "
		    "{\\\"none\\\": 0}}\", \"content_type\": \"application/json\", \"count\": 1}");
	it_expect(env, 0, "resize-instance-groups");
	assert_int_equal(count_calls(env, "POST", "other-group", -1), 0);
	assert_int_equal(count_calls(env, "POST", "/instanceGroupManagers/web-", 200), 1);
	assert_int_equal(count_calls(env, "POST", "/resize", 200), 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(every_mutation_carries_a_request_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(insert_killed_in_flight_is_not_applied_twice, setup,
						teardown),
		cmocka_unit_test_setup_teardown(failed_insert_retried_with_a_new_id, setup,
						teardown),
		cmocka_unit_test_setup_teardown(reinsert_after_delete_is_a_new_request, setup,
						teardown),
		cmocka_unit_test_setup_teardown(resize_again_to_the_same_size, setup, teardown),
		cmocka_unit_test_setup_teardown(int64_as_string_and_partial_network_as_given, setup,
						teardown),
		cmocka_unit_test_setup_teardown(listed_url_on_another_host_is_not_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(listed_url_with_dot_dot_is_not_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(listed_url_of_another_zone_is_not_stored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(resize_uses_the_name_it_asked_for, setup, teardown),
	};

	return gceb_test_run("it_fidelity", tests, argc, argv);
}
