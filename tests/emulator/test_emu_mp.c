/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_mp.c - Machine Provider catalog, leases and lifecycle (docs/design/machine-provider.md)
 */
#include "runner.h"
#include "test_emu_common.h"

#define CAT   "/_ah/api/catalog/v1/"
#define LEASE "/_ah/api/machine_provider/v1/"

static const char add_body[] =
	"{\"dimensions\":{\"backend\":\"GCE\",\"hostname\":\"h1\",\"disk_gb\":100,"
	"\"memory_gb\":30,\"num_cpus\":8,\"os_family\":\"LINUX\"},\"policies\":"
	"{\"backend_attributes\":{\"key\":\"key\",\"value\":\"v\"},"
	"\"machine_service_account\":\"sa@p\",\"on_reclamation\":\"DELETE\"}}";

static int setup(void **state)
{
	static const char *const args[] = { "--mp-cron-ms", "60000", NULL };

	(void)state;
	return start_emu(args);
}

static void add_h1(void)
{
	cJSON *j = CALL("POST", CAT "add_machine", add_body, 200);

	assert_null(emu_str(j, "error"));
	cJSON_Delete(j);
}

static void catalog_add_get_delete(void **state)
{
	cJSON *j;

	(void)state;
	j = CALL("POST", CAT "add_machine", add_body, 200);
	assert_null(emu_str(j, "error"));
	assert_json_str(j, "machine_addition_request.dimensions.backend", "GCE");
	assert_json_str(j, "machine_addition_request.dimensions.num_cpus", "8");
	assert_json_str(j, "machine_addition_request.policies.backend_attributes.0.key", "key");
	cJSON_Delete(j);
	j = CALL("POST", CAT "add_machine", add_body, 200);
	assert_json_str(j, "error", "HOSTNAME_REUSE");
	cJSON_Delete(j);

	j = CALL("POST", CAT "get", "{\"backend\":null,\"hostname\":\"h1\"}", 200);
	assert_json_str(j, "state", "AVAILABLE");
	assert_json_str(j, "dimensions.disk_gb", "100");
	assert_json_str(j, "dimensions.os_family", "LINUX");
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "lease_expiration_ts"));
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"nope\"}", 404));

	j = CALL("POST", CAT "delete_machine", "{\"dimensions\":{\"hostname\":\"h1\"}}", 200);
	assert_null(emu_str(j, "error"));
	cJSON_Delete(j);
	j = CALL("POST", CAT "delete_machine", "{\"dimensions\":{\"hostname\":\"h1\"}}", 200);
	assert_json_str(j, "error", "ENTRY_NOT_FOUND");
	cJSON_Delete(j);
	j = CALL("POST", CAT "delete_machine", "{\"dimensions\":{}}", 200);
	assert_json_str(j, "error", "UNSPECIFIED_HOSTNAME");
	cJSON_Delete(j);
	j = CALL("POST", CAT "add_machine",
		 "{\"dimensions\":{\"backend\":\"VSPHERE\",\"hostname\":\"x\"},\"policies\":{}}",
		 200);
	assert_json_str(j, "error", "MISMATCHED_BACKEND");
	cJSON_Delete(j);
	j = CALL("POST", CAT "add_machines",
		 "{\"requests\":[{\"dimensions\":{\"hostname\":\"a\"},\"policies\":{}},"
		 "{\"dimensions\":{\"hostname\":\"a\"},\"policies\":{}}]}",
		 200);
	assert_null(emu_str(j, "responses.0.error"));
	assert_json_str(j, "responses.1.error", "HOSTNAME_REUSE");
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", CAT "add_machine",
			  "{\"dimensions\":{\"os_family\":\"BEOS\"},"
			  "\"policies\":{}}",
			  400));
}

static void lease_fulfil_expire_reclaim(void **state)
{
	static const char lease[] =
		"{\"request_id\":\"r1\",\"dimensions\":{\"os_family\":\"LINUX\"},\"duration\":120}";
	cJSON *j;
	char ts[32];

	(void)state;
	add_h1();
	j = CALL("POST", LEASE "lease", lease, 200);
	assert_json_str(j, "state", "UNTRIAGED");
	assert_json_str(j, "client_request_id", "r1");
	assert_int_equal(strlen(emu_str(j, "request_hash")), 40);
	cJSON_Delete(j);
	advance(60); /* one cron period: process-lease-requests */
	j = CALL("POST", LEASE "lease", lease, 200);
	assert_json_str(j, "state", "FULFILLED");
	assert_json_str(j, "hostname", "h1");
	(void)snprintf(ts, sizeof(ts), "%s", emu_str(j, "lease_expiration_ts"));
	cJSON_Delete(j);
	j = CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 200);
	assert_json_str(j, "state", "LEASED");
	assert_json_str(j, "lease_expiration_ts", ts);
	cJSON_Delete(j);
	j = CALL("POST", CAT "delete_machine", "{\"dimensions\":{\"hostname\":\"h1\"}}", 200);
	assert_json_str(j, "error", "LEASED");
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 200));

	advance(180); /* past expiry: reclaimed, the entry is deleted */
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 404));
	j = CALL("POST", LEASE "lease", lease, 200);
	assert_json_str(j, "state", "FULFILLED");
	assert_null(emu_str(j, "hostname"));
	cJSON_Delete(j);
	j = CALL("POST", LEASE "release", "{\"request_id\":\"r1\"}", 200);
	assert_json_str(j, "error", "ALREADY_RECLAIMED");
	cJSON_Delete(j);
	j = CALL("POST", CAT "delete_machine", "{\"dimensions\":{\"hostname\":\"h1\"}}", 200);
	assert_json_str(j, "error", "ENTRY_NOT_FOUND");
	cJSON_Delete(j);
}

static void release_then_reclaim(void **state)
{
	cJSON *j;

	(void)state;
	add_h1();
	cJSON_Delete(CALL("POST", LEASE "lease",
			  "{\"request_id\":\"r\",\"dimensions\":{},\"duration\":\"3600\"}", 200));
	j = CALL("POST", LEASE "release", "{\"request_id\":\"r\"}", 200);
	assert_json_str(j, "error", "NOT_FULFILLED");
	cJSON_Delete(j);
	advance(60);
	j = CALL("POST", LEASE "release", "{\"request_id\":\"r\"}", 200);
	assert_null(emu_str(j, "error"));
	cJSON_Delete(j);
	j = CALL("POST", LEASE "release", "{\"request_id\":\"zz\"}", 200);
	assert_json_str(j, "error", "NOT_FOUND");
	cJSON_Delete(j);
	advance(60); /* release processed: expiry = now */
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 200));
	advance(60); /* next reclamation pass */
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 404));
}

static void lease_validation_and_dedupe(void **state)
{
	static const struct {
		const char *body;
		const char *error;
	} cases[] = {
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"duration\":10,"
		  "\"lease_expiration_ts\":1}",
		  "MUTUAL_EXCLUSION_ERROR" },
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"duration\":-5}",
		  "NONPOSITIVE_DEADLINE" },
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"duration\":172801}",
		  "LEASE_TOO_LONG" },
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"lease_expiration_ts\":5}",
		  "LEASE_EXPIRATION_TS_ERROR" },
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"duration\":0}",
		  "LEASE_LENGTH_UNSPECIFIED" },
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"duration\":5,\"pubsub_topic\":\"!\"}",
		  "INVALID_TOPIC" },
		{ "{\"request_id\":\"a\",\"dimensions\":{},\"duration\":5,"
		  "\"pubsub_project\":\"my-project\"}",
		  "UNSPECIFIED_TOPIC" },
	};
	size_t i;
	cJSON *j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		j = CALL("POST", LEASE "lease", cases[i].body, 200);
		assert_json_str(j, "error", cases[i].error);
		cJSON_Delete(j);
	}
	cJSON_Delete(CALL("POST", LEASE "lease", "{\"dimensions\":{}}", 400));
	cJSON_Delete(CALL("POST", LEASE "lease", "{\"request_id\":\"a\",\"duration\":5}", 400));
	j = CALL("POST", LEASE "lease", "{\"request_id\":\"d\",\"dimensions\":{},\"duration\":5}",
		 200);
	assert_json_str(j, "state", "UNTRIAGED");
	cJSON_Delete(j);
	j = CALL("POST", LEASE "lease", "{\"request_id\":\"d\",\"dimensions\":{},\"duration\":6}",
		 200);
	assert_json_str(j, "error", "REQUEST_ID_REUSE");
	cJSON_Delete(j);
}

static void acl_and_auth(void **state)
{
	struct emu_res r;
	static const char *const bad[] = { "Authorization: Bearer nope", NULL };
	char saved[128];

	(void)state;
	CTL("/_emu/mp/acl", "{\"email\":\"test@emulator\",\"groups\":[\"user\"]}");
	cJSON_Delete(CALL("POST", CAT "add_machine", add_body, 403));
	CTL("/_emu/mp/acl", "{\"email\":\"test@emulator\",\"groups\":[\"backend\"]}");
	cJSON_Delete(CALL("POST", LEASE "lease", "{\"request_id\":\"x\"}", 403));
	CTL("/_emu/mp/acl", "{\"email\":\"test@emulator\",\"groups\":[\"admin\"]}");
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"x\"}", 400));
	(void)emu_http(&P, "POST", CAT "get", "{}", 0, bad, &r);
	assert_int_equal(r.status, 401);
	emu_res_release(&r);
	(void)snprintf(saved, sizeof(saved), "%s", P.token);
	P.token[0] = '\0';
	cJSON_Delete(CALL("POST", CAT "get", "{}", 403));
	(void)snprintf(P.token, sizeof(P.token), "%s", saved);
	cJSON_Delete(CALL("POST", CAT "nope", "{}", 404));
	cJSON_Delete(CALL("GET", CAT "get", NULL, 404));
}

/* The real server asks "catalog admin?" before "backend?" (issue 14). */
static void admin_checked_before_backend(void **state)
{
	cJSON *j;

	(void)state;
	add_h1();
	/* a get names a machine: no hostname is a bad request, not a miss */
	j = CALL("POST", CAT "get", "{}", 400);
	assert_json_str(j, "error.message", "Hostname unspecified.");
	cJSON_Delete(j);
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":null}", 400));
	CTL("/_emu/mp/acl", "{\"email\":\"test@emulator\",\"groups\":[\"backend\",\"admin\"]}");
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 400));
	j = CALL("POST", CAT "get", "{\"backend\":\"GCE\",\"hostname\":\"h1\"}", 200);
	assert_json_str(j, "state", "AVAILABLE");
	cJSON_Delete(j);
	j = CALL("POST", CAT "add_machine",
		 "{\"dimensions\":{\"hostname\":\"h2\"},\"policies\":{}}", 200);
	assert_json_str(j, "error", "UNSPECIFIED_BACKEND");
	cJSON_Delete(j);
	j = CALL("POST", CAT "delete_machine", "{\"dimensions\":{\"hostname\":\"h1\"}}", 200);
	assert_json_str(j, "error", "UNSPECIFIED_BACKEND");
	cJSON_Delete(j);
}

static void control_lease_and_expire(void **state)
{
	cJSON *j;

	(void)state;
	add_h1();
	CTL("/_emu/mp/lease", "{\"hostname\":\"h1\",\"seconds\":600}");
	j = CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 200);
	assert_json_str(j, "state", "LEASED");
	cJSON_Delete(j);
	CTL("/_emu/mp/expire", "{\"hostname\":\"h1\"}");
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 404));
	add_h1();
	CTL("/_emu/mp/lease", "{\"hostname\":\"h1\"}");
	CTL("/_emu/mp/release", "{\"hostname\":\"h1\"}");
	CTL("/_emu/mp/tick", NULL); /* the release sets the expiry to now */
	advance(2);
	CTL("/_emu/mp/tick", NULL); /* expiry < now: reclaimed */
	cJSON_Delete(CALL("POST", CAT "get", "{\"hostname\":\"h1\"}", 404));
	j = emu_ctl(&P, "/_emu/mp/lease", "{\"hostname\":\"none\"}");
	assert_null(j);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(catalog_add_get_delete, setup, teardown),
		cmocka_unit_test_setup_teardown(lease_fulfil_expire_reclaim, setup, teardown),
		cmocka_unit_test_setup_teardown(release_then_reclaim, setup, teardown),
		cmocka_unit_test_setup_teardown(lease_validation_and_dedupe, setup, teardown),
		cmocka_unit_test_setup_teardown(acl_and_auth, setup, teardown),
		cmocka_unit_test_setup_teardown(admin_checked_before_backend, setup, teardown),
		cmocka_unit_test_setup_teardown(control_lease_and_expire, setup, teardown),
	};

	return gceb_test_run("emulator.mp", tests, argc, argv);
}
