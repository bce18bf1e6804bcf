/* SPDX-License-Identifier: Apache-2.0 */
/* test_mp.c - Machine Provider catalog builders and mappers (docs/design/machine-provider.md) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "fixture.h"
#include "gce.h"
#include "json.h"
#include "mp.h"
#include "runner.h"

#define MP      "https://machine-provider.appspot.com"
#define HOST    "pool-0123abcd-us-central1-b-x9k2"
#define KEY     "pool 0123abcd89ef0123abcd89ef0123abcd89ef0123 us-central1-b " HOST
#define ACCOUNT "bot@example-project.iam.gserviceaccount.com"

static const cJSON *get(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void assert_string_member(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = get(o, key);

	if (!cJSON_IsString(v))
		fail_msg("%s is not a string", key);
	assert_string_equal(v->valuestring, want);
}

static void assert_number_member(const cJSON *o, const char *key, double want)
{
	const cJSON *v = get(o, key);

	if (!cJSON_IsNumber(v))
		fail_msg("%s is not a number", key);
	assert_true(v->valuedouble == want);
}

/* ---- machine types ---- */

static void machine_type_table(void **state)
{
	static const struct {
		const char *type;
		int64_t cpus;
		double memory_gb;
	} table[] = {
		{ "f1-micro", 1, 0.6 },        { "g1-small", 1, 1.7 },
		{ "n1-standard-1", 1, 3.75 },  { "n1-standard-2", 2, 7.5 },
		{ "n1-standard-4", 4, 15 },    { "n1-standard-8", 8, 30 },
		{ "n1-standard-16", 16, 60 },  { "n1-standard-32", 32, 120 },
		{ "n1-highcpu-2", 2, 1.8 },    { "n1-highcpu-4", 4, 3.6 },
		{ "n1-highcpu-8", 8, 7.2 },    { "n1-highcpu-16", 16, 12.4 },
		{ "n1-highcpu-32", 32, 28.8 }, { "n1-highmem-2", 2, 13 },
		{ "n1-highmem-4", 4, 26 },     { "n1-highmem-8", 8, 52 },
		{ "n1-highmem-16", 16, 104 },  { "n1-highmem-32", 32, 208 },
	};
	size_t i;

	(void)state;
	assert_int_equal(sizeof(table) / sizeof(table[0]), 18);
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		int64_t cpus = 0;
		double memory = 0;

		assert_true(gceb_mp_machine_type(table[i].type, &cpus, &memory));
		assert_int_equal(cpus, table[i].cpus);
		assert_true(memory == table[i].memory_gb);
	}
}

static void machine_type_custom_and_unknown(void **state)
{
	static const char *const unknown[] = {
		"n2-standard-8",
		"custom-",
		"custom-4",
		"custom-4-",
		"custom-0-1024",
		"custom-4-05120",
		"custom--4-5120",
		"custom-4-5120-ext",
		"custom-4-5120x",
		"custom-12345678-1024",
		"n1-standard-8 ",
		"",
		NULL,
	};
	int64_t cpus = 0;
	double memory = 0;
	size_t i;

	(void)state;
	assert_true(gceb_mp_machine_type("custom-4-5120", &cpus, &memory));
	assert_int_equal(cpus, 4);
	assert_true(memory == 5.0);
	assert_true(gceb_mp_machine_type("custom-1-1536", &cpus, &memory));
	assert_int_equal(cpus, 1);
	assert_true(memory == 1.5);
	for (i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		cpus = -1;
		if (gceb_mp_machine_type(unknown[i], &cpus, &memory))
			fail_msg("'%s' taken as a machine type",
				 unknown[i] ? unknown[i] : "(null)");
		assert_int_equal(cpus, -1);
	}
}

/* ---- builders ---- */

static Gceb__State__Dimensions dims;
static Gceb__State__ServiceAccount sa1, sa2;
static Gceb__State__ServiceAccount *sas[2];

/* The Revision of docs/design/machine-provider.md's example: os_family:LINUX, disk 300,
 * n1-standard-8. */
static Gceb__State__Revision example_revision(void)
{
	Gceb__State__Revision r = GCEB__STATE__REVISION__INIT;

	dims = (Gceb__State__Dimensions)GCEB__STATE__DIMENSIONS__INIT;
	dims.has_os_family = true;
	dims.os_family = GCEB__STATE__DIMENSIONS__OSFAMILY__LINUX;
	sa1 = (Gceb__State__ServiceAccount)GCEB__STATE__SERVICE_ACCOUNT__INIT;
	sa2 = (Gceb__State__ServiceAccount)GCEB__STATE__SERVICE_ACCOUNT__INIT;
	sa1.name = (char *)ACCOUNT;
	sa2.name = (char *)"second@example-project.iam.gserviceaccount.com";
	sas[0] = &sa1;
	sas[1] = &sa2;
	r.dimensions = &dims;
	r.has_disk_size_gb = true;
	r.disk_size_gb = 300;
	r.machine_type = (char *)"n1-standard-8";
	r.service_accounts = sas;
	r.n_service_accounts = 2;
	return r;
}

static cJSON *add_machine(const Gceb__State__Revision *r)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };
	cJSON *body;

	assert_int_equal(gceb_mp_add_machine(MP, HOST, KEY, r, &req, &err), 0);
	assert_string_equal(req->method, "POST");
	assert_int_equal(req->api, GCEB_API_MP);
	assert_string_equal(req->url, MP "/_ah/api/catalog/v1/add_machine");
	body = cJSON_Parse(req->body);
	assert_non_null(body);
	gceb_http_request_free(req);
	return body;
}

static void add_machine_example_of_behaviour_5_2(void **state)
{
	Gceb__State__Revision r = example_revision();
	const cJSON *d, *p, *attrs;
	cJSON *body;

	(void)state;
	body = add_machine(&r);
	d = get(body, "dimensions");
	/* {"backend": "GCE", "disk_gb": 300, "hostname": "instance-name", "memory_gb": 30,
	 *  "num_cpus": 8, "os_family": "LINUX"}, with this test's hostname. */
	assert_int_equal(cJSON_GetArraySize(d), 6);
	assert_string_member(d, "backend", "GCE");
	assert_number_member(d, "disk_gb", 300);
	assert_string_member(d, "hostname", HOST);
	assert_number_member(d, "memory_gb", 30);
	assert_number_member(d, "num_cpus", 8);
	assert_string_member(d, "os_family", "LINUX");
	p = get(body, "policies");
	assert_int_equal(cJSON_GetArraySize(p), 3);
	attrs = get(p, "backend_attributes");
	assert_true(cJSON_IsObject(attrs));
	assert_string_member(attrs, "key", "key");
	assert_string_member(attrs, "value", KEY);
	assert_string_member(p, "machine_service_account", ACCOUNT);
	assert_string_member(p, "on_reclamation", "DELETE");
	assert_int_equal(cJSON_GetArraySize(body), 2);
	cJSON_Delete(body);
}

static void add_machine_without_template_dimensions(void **state)
{
	Gceb__State__Revision r = example_revision();
	const cJSON *d;
	cJSON *body;

	(void)state;
	r.dimensions = NULL;
	r.has_disk_size_gb = false;
	r.disk_size_gb = 0;
	r.machine_type = NULL;
	body = add_machine(&r);
	d = get(body, "dimensions");
	/* docs/design/machine-provider.md: {"backend": "GCE", "hostname": "instance-name"}. */
	assert_int_equal(cJSON_GetArraySize(d), 2);
	assert_string_member(d, "backend", "GCE");
	assert_string_member(d, "hostname", HOST);
	cJSON_Delete(body);
}

static void add_machine_overrides_and_typed_dimensions(void **state)
{
	Gceb__State__Revision r = example_revision();
	const cJSON *d;
	cJSON *body;

	(void)state;
	dims.has_backend = true;
	dims.backend = GCEB__STATE__DIMENSIONS__BACKEND__VSPHERE;
	dims.hostname = (char *)"from-config";
	dims.has_num_cpus = true;
	dims.num_cpus = 2;
	dims.has_memory_gb = true;
	dims.memory_gb = 1.5;
	dims.has_disk_gb = true;
	dims.disk_gb = 10;
	dims.has_linux_flavor = true;
	dims.linux_flavor = GCEB__STATE__DIMENSIONS__LINUX_FLAVOR__UBUNTU;
	dims.os_version = (char *)"16.04";
	dims.os_family = GCEB__STATE__DIMENSIONS__OSFAMILY__WINDOWS;
	r.machine_type = (char *)"n1-highcpu-2";
	body = add_machine(&r);
	d = get(body, "dimensions");
	assert_int_equal(cJSON_GetArraySize(d), 8);
	assert_string_member(d, "backend", "GCE");
	assert_string_member(d, "hostname", HOST);
	assert_number_member(d, "disk_gb", 300);
	assert_number_member(d, "num_cpus", 2);
	assert_number_member(d, "memory_gb", 1.8);
	assert_string_member(d, "linux_flavor", "UBUNTU");
	assert_string_member(d, "os_family", "WINDOWS");
	assert_string_member(d, "os_version", "16.04");
	cJSON_Delete(body);

	/* Without a disk size or a known type, the template's own values stand. */
	r.disk_size_gb = 0;
	r.machine_type = (char *)"e2-medium";
	body = add_machine(&r);
	d = get(body, "dimensions");
	assert_number_member(d, "disk_gb", 10);
	assert_number_member(d, "num_cpus", 2);
	assert_number_member(d, "memory_gb", 1.5);
	cJSON_Delete(body);
}

static void add_machine_unknown_and_custom_types(void **state)
{
	Gceb__State__Revision r = example_revision();
	const cJSON *d;
	cJSON *body;

	(void)state;
	/* docs/design/departures.md: an unknown type is cataloged without num_cpus and memory_gb.
	 */
	r.machine_type = (char *)"n2-standard-8";
	body = add_machine(&r);
	d = get(body, "dimensions");
	assert_null(get(d, "num_cpus"));
	assert_null(get(d, "memory_gb"));
	assert_number_member(d, "disk_gb", 300);
	cJSON_Delete(body);

	r.machine_type = (char *)"custom-6-23040";
	body = add_machine(&r);
	d = get(body, "dimensions");
	assert_number_member(d, "num_cpus", 6);
	assert_number_member(d, "memory_gb", 22.5);
	cJSON_Delete(body);
}

static void add_machine_refuses_bad_input(void **state)
{
	Gceb__State__Revision r = example_revision();
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(gceb_mp_add_machine(MP, "Bad Host", KEY, &r, &req, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "hostname"));
	assert_int_equal(gceb_mp_add_machine(MP, NULL, KEY, &r, &req, &err), GCEB_EPARSE);
	assert_int_equal(gceb_mp_add_machine(MP, HOST, "", &r, &req, &err), GCEB_EPARSE);
	r.n_service_accounts = 0;
	assert_int_equal(gceb_mp_add_machine(MP, HOST, KEY, &r, &req, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "service account"));
	r = example_revision();
	dims.os_family = (Gceb__State__Dimensions__OSFamily)42;
	assert_int_equal(gceb_mp_add_machine(MP, HOST, KEY, &r, &req, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "os_family"));
	assert_null(req);
}

static void get_and_delete_machine_bodies(void **state)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err err = { 0 };

	(void)state;
	/* A trailing slash on the root does not double. */
	assert_int_equal(gceb_mp_get("http://127.0.0.1:40123/", HOST, &req, &err), 0);
	assert_string_equal(req->method, "POST");
	assert_int_equal(req->api, GCEB_API_MP);
	assert_int_equal(req->timeout_ms, 10000); /* docs/design/http.md */
	assert_string_equal(req->url, "http://127.0.0.1:40123/_ah/api/catalog/v1/get");
	assert_string_equal(req->body, "{\"hostname\":\"" HOST "\"}");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_mp_delete_machine(MP, HOST, &req, &err), 0);
	assert_string_equal(req->url, MP "/_ah/api/catalog/v1/delete_machine");
	assert_string_equal(req->body, "{\"dimensions\":{\"hostname\":\"" HOST "\"}}");
	gceb_http_request_free(req);
	req = NULL;
	assert_int_equal(gceb_mp_get(MP, "x\",\"backend\":\"DUMMY", &req, &err), GCEB_EPARSE);
	assert_int_equal(gceb_mp_delete_machine(MP, "", &req, &err), GCEB_EPARSE);
	assert_null(req);
}

/* ---- mappers ---- */

static int manipulation(const char *name, char **error)
{
	struct gceb_err err = { 0 };
	size_t len;
	char *text = gceb_test_fixture("mp", name, &len);
	int r = gceb_mp_parse_manipulation(text, len, error, &err);

	free(text);
	return r;
}

static void manipulation_errors(void **state)
{
	char *error = (char *)"unchanged";

	(void)state;
	assert_int_equal(manipulation("add_machine_ok.json", &error), 0);
	assert_null(error);
	assert_int_equal(manipulation("add_machine_hostname_reuse.json", &error), 0);
	assert_string_equal(error, "HOSTNAME_REUSE");
	free(error);
	assert_int_equal(manipulation("delete_machine_ok.json", &error), 0);
	assert_null(error);
	assert_int_equal(manipulation("delete_machine_entry_not_found.json", &error), 0);
	assert_string_equal(error, "ENTRY_NOT_FOUND");
	free(error);
	assert_int_equal(manipulation("delete_machine_leased.json", &error), 0);
	assert_string_equal(error, "LEASED");
	free(error);
	/* An error this code does not know is kept as sent. */
	assert_int_equal(manipulation("delete_machine_unknown_error.json", &error), 0);
	assert_string_equal(error, "BACKEND_ON_FIRE");
	free(error);
}

static int manipulation_text(const char *text, char **error, struct gceb_err *err)
{
	return gceb_mp_parse_manipulation(text, strlen(text), error, err);
}

static void manipulation_numbers_and_bad_input(void **state)
{
	struct gceb_err err = { 0 };
	char *error = NULL;
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(manipulation_text("{\"error\": 9}", &error, &err), 0);
	assert_string_equal(error, "LEASED");
	free(error);
	assert_int_equal(manipulation_text("{\"error\": 77}", &error, &err), 0);
	assert_string_equal(error, "77");
	free(error);
	assert_int_equal(manipulation_text("{\"error\": \"\"}", &error, &err), 0);
	assert_null(error);
	assert_int_equal(manipulation_text("{\"error\": null}", &error, &err), 0);
	assert_null(error);
	assert_int_equal(manipulation_text("{}", &error, &err), 0);
	assert_null(error);

	error = (char *)"unchanged";
	assert_int_equal(manipulation_text("{\"error\": true}", &error, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "'error'"));
	assert_int_equal(manipulation_text("{\"error\": {\"code\": 1}}", &error, &err),
			 GCEB_EPARSE);
	assert_int_equal(manipulation_text("{\"error\": 1.5}", &error, &err), GCEB_EPARSE);
	assert_int_equal(manipulation_text("[\"HOSTNAME_REUSE\"]", &error, &err), GCEB_EPARSE);
	assert_int_equal(manipulation_text("", &error, &err), GCEB_EPARSE);
	text = gceb_test_fixture("mp", "error_404_cold_start.html", &len);
	assert_int_equal(gceb_mp_parse_manipulation(text, len, &error, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "HTML"));
	free(text);
	text = gceb_test_fixture("mp", "truncated.json", &len);
	assert_int_equal(gceb_mp_parse_manipulation(text, len, &error, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "not JSON"));
	free(text);
	assert_string_equal(error, "unchanged");
}

static int get_fixture(const char *name, struct gceb_mp_machine *m, struct gceb_err *err)
{
	size_t len;
	char *text = gceb_test_fixture("mp", name, &len);
	int r = gceb_mp_parse_get(text, len, m, err);

	free(text);
	return r;
}

static void get_answers(void **state)
{
	struct gceb_mp_machine m;
	struct gceb_err err = { 0 };

	(void)state;
	assert_int_equal(get_fixture("get_leased_string.json", &m, &err), 0);
	assert_true(m.has_lease_expiration_ts);
	assert_int_equal(m.lease_expiration_ts, 1496851234);
	assert_false(m.leased_indefinitely);
	assert_int_equal(get_fixture("get_leased_number.json", &m, &err), 0);
	assert_true(m.has_lease_expiration_ts);
	assert_int_equal(m.lease_expiration_ts, 1496854834);
	assert_int_equal(get_fixture("get_available.json", &m, &err), 0);
	assert_false(m.has_lease_expiration_ts);
	assert_false(m.leased_indefinitely);
	/* docs/design/departures.md: leased_indefinitely counts as leased. */
	assert_int_equal(get_fixture("get_leased_indefinitely.json", &m, &err), 0);
	assert_false(m.has_lease_expiration_ts);
	assert_true(m.leased_indefinitely);
}

static int get_text(const char *text, struct gceb_mp_machine *m, struct gceb_err *err)
{
	return gceb_mp_parse_get(text, strlen(text), m, err);
}

static void get_edge_cases_and_bad_input(void **state)
{
	struct gceb_mp_machine m;
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"\"}", &m, &err), 0);
	assert_false(m.has_lease_expiration_ts);
	assert_int_equal(get_text("{\"lease_expiration_ts\": null}", &m, &err), 0);
	assert_false(m.has_lease_expiration_ts);
	/* 0 is falsy in the reference: no lease. */
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"0\"}", &m, &err), 0);
	assert_false(m.has_lease_expiration_ts);
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"4102444800\", "
				  "\"leased_indefinitely\": false}",
				  &m, &err),
			 0);
	assert_int_equal(m.lease_expiration_ts, 4102444800);
	assert_false(m.leased_indefinitely);

	m.lease_expiration_ts = 7;
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"soon\"}", &m, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "lease_expiration_ts"));
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"-5\"}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"12.5\"}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("{\"lease_expiration_ts\": 12.5}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("{\"lease_expiration_ts\": -1}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("{\"lease_expiration_ts\": \"99999999999999999999\"}", &m, &err),
			 GCEB_EPARSE);
	assert_int_equal(get_text("{\"lease_expiration_ts\": true}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("{\"lease_expiration_ts\": [1]}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("{\"leased_indefinitely\": \"true\"}", &m, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "leased_indefinitely"));
	assert_int_equal(get_text("{\"leased_indefinitely\": 1}", &m, &err), GCEB_EPARSE);
	assert_int_equal(get_text("\"LEASED\"", &m, &err), GCEB_EPARSE);
	text = gceb_test_fixture("mp", "error_404_cold_start.html", &len);
	assert_int_equal(gceb_mp_parse_get(text, len, &m, &err), GCEB_EPARSE);
	assert_non_null(strstr(err.msg, "HTML"));
	free(text);
	text = gceb_test_fixture("mp", "truncated.json", &len);
	assert_int_equal(gceb_mp_parse_get(text, len, &m, &err), GCEB_EPARSE);
	free(text);
	assert_int_equal(m.lease_expiration_ts, 7);
}

static void http_error_envelope_reads_as_gce_error(void **state)
{
	struct gceb_api_error e = { 0 };
	struct gceb_err err = { 0 };
	size_t len;
	char *text;

	(void)state;
	/* Machine Provider's HTTP errors use the same Google envelope
	 * (docs/design/machine-provider.md). */
	text = gceb_test_fixture("mp", "error_404_not_found.json", &len);
	assert_int_equal(gceb_api_error_parse(text, len, &e, &err), 0);
	free(text);
	assert_int_equal(e.code, 404);
	assert_string_equal(e.reason, "notFound");
	gceb_api_error_release(&e);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(machine_type_table),
		cmocka_unit_test(machine_type_custom_and_unknown),
		cmocka_unit_test(add_machine_example_of_behaviour_5_2),
		cmocka_unit_test(add_machine_without_template_dimensions),
		cmocka_unit_test(add_machine_overrides_and_typed_dimensions),
		cmocka_unit_test(add_machine_unknown_and_custom_types),
		cmocka_unit_test(add_machine_refuses_bad_input),
		cmocka_unit_test(get_and_delete_machine_bodies),
		cmocka_unit_test(manipulation_errors),
		cmocka_unit_test(manipulation_numbers_and_bad_input),
		cmocka_unit_test(get_answers),
		cmocka_unit_test(get_edge_cases_and_bad_input),
		cmocka_unit_test(http_error_envelope_reads_as_gce_error),
	};

	return gceb_test_run("mp", tests, argc, argv);
}
