/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_tls.c - the pipeline over real TLS and HTTP/2: nghttpx (tests/support/
 * tls.h) terminates both in front of gceb-emulator, with a CA and server
 * certificates made in the test and given to gceb as ca_file. The fleet
 * converges; a job's requests share one h2 connection; a certificate that
 * does not verify is refused before anything reaches the emulator; a
 * ca_file that is missing or not PEM is a config error (78).
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

#include "harness.h"
#include "runner.h"
#include "tls.h"

#define SCOPES                                    \
 "[\"https://www.googleapis.com/auth/compute\", " \
 "\"https://www.googleapis.com/auth/userinfo.email\"]"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\"\n"
	"  project: \"proj\"\n"
	"  image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  dimensions: \"os_family:LINUX\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";

static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 2 maximum_size: 4 }\n"
	"managers { template_base_name: \"web\" zone: \"us-b\" minimum_size: 2 maximum_size: 4 }\n";

static const char FAKE_PEM[] = "-----BEGIN CERTIFICATE-----\n"
			       "bm90IGEgY2VydGlmaWNhdGU=\n"
			       "-----END CERTIFICATE-----\n";

struct fixture {
	struct it_env *env;
	struct it_tls tls;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->env = it_env_new();
	it_write_config(f->env, "templates.cfg", TEMPLATES);
	it_write_config(f->env, "managers.cfg", MANAGERS);
	it_tls_init(f->env, &f->tls);
	it_emu_start(f->env, "--seed", "1", "--token-audience", f->tls.token_uri, NULL);
	it_run_ok(f->env, "import-config");
	it_run_ok(f->env, "process-config");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	void *env = f->env;

	it_tls_stop(&f->tls);
	(void)unsetenv("GCEB_TOKEN_FILE");
	(void)unsetenv("GCEB_CA_FILE");
	(void)unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	free(f);
	return it_env_teardown(&env);
}

/* API requests the emulator answered since it started (GET /_emu/stats). */
static int emu_requests(const struct it_env *env)
{
	cJSON *s = it_emu_call(env, "GET", "/_emu/stats", NULL, NULL);
	int n = it_int(s, "requests");

	assert_true(n >= 0);
	cJSON_Delete(s);
	return n;
}

/* Running VMs and Machine Provider catalog entries in the emulator. */
static void emu_fleet(const struct it_env *env, int *running, int *cataloged)
{
	cJSON *st = it_emu_state(env), *m;
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(st, "compute");

	*running = 0;
	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(c, "instances")) {
		const char *s = it_str(m, "status"), *a = it_str(m, "currentAction");

		*running += s && a && !strcmp(s, "RUNNING") && !strcmp(a, "NONE");
	}
	*cataloged = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st, "machine_provider"), "catalog"));
	cJSON_Delete(st);
}

/* Run gceb-@job (no extra arguments) and return its exit status and stderr (free()). */
static int run(const struct it_env *env, const char *job, char **err)
{
	struct it_result res;
	int st = it_run(env, &res, job, NULL);

	*err = res.err;
	res.err = NULL;
	it_result_release(&res);
	return st;
}

/*
 * The whole pipeline over TLS + HTTP/2 to the fleet's end state: four VMs
 * running, each cataloged once; and the front saw only h2.
 */
static void fleet_converges(void **state)
{
	struct fixture *f = *state;
	int round, running = 0, cataloged = 0;
	char *log, *line, *save = NULL;

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	it_tls_settings(f->env, &f->tls, NULL);
	for (round = 0; round < 20 && (running != 4 || cataloged != 4); round++) {
		char *err;
		int st = run(f->env, "run-all", &err);

		if (st != 0 && st != 1)
			print_message("round %d: gceb-run-all exit %d:\n%s", round, st, err);
		assert_true(st == 0 || st == 1);
		free(err);
		it_emu_advance(f->env, 30);
		emu_fleet(f->env, &running, &cataloged);
	}
	assert_int_equal(running, 4);
	assert_int_equal(cataloged, 4);
	log = it_tls_access_log(&f->tls);
	assert_true(strlen(log) > 0);
	for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "h2 ", 3) != 0)
			print_message("not h2: %s\n", line);
		assert_true(strncmp(line, "h2 ", 3) == 0);
	}
	free(log);
}

/*
 * One job's requests are streams of one h2 connection: every line the
 * front logged for the run has ALPN h2 and the same client port.
 */
static void one_job_one_connection(void **state)
{
	struct fixture *f = *state;
	char *before, *after, *line, *save = NULL, port[16] = "";
	int round, running = 0, cataloged = 0, lines = 0;
	size_t skip;

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	it_tls_settings(f->env, &f->tls, NULL);
	for (round = 0; round < 20 && (running != 4 || cataloged != 4); round++) {
		char *err;

		(void)run(f->env, "run-all", &err);
		free(err);
		it_emu_advance(f->env, 30);
		emu_fleet(f->env, &running, &cataloged);
	}
	assert_int_equal(cataloged, 4);
	before = it_tls_access_log(&f->tls);
	skip = strlen(before);
	free(before);
	/* One Machine Provider get per cataloged instance: four requests at once. */
	it_run_ok(f->env, "update-cataloged-instances");
	after = it_tls_access_log(&f->tls);
	for (line = strtok_r(after + skip, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char alpn[16], p[16];

		assert_int_equal(sscanf(line, "%15s %15s", alpn, p), 2);
		assert_string_equal(alpn, "h2");
		if (!port[0])
			(void)snprintf(port, sizeof(port), "%s", p);
		if (strcmp(port, p) != 0)
			print_message("second connection: %s (first port %s)\n", line, port);
		assert_string_equal(p, port);
		lines++;
	}
	assert_true(lines >= 4);
	free(after);
}

/* A token file, so that the run sends nothing before its first API request. */
static void use_token_file(const struct fixture *f)
{
	char path[256], token[512];
	long status;
	cJSON *t = it_emu_call(
		f->env, "POST", "/_emu/tokens",
		"{\"email\": \"bot@proj.iam.gserviceaccount.com\", \"scopes\": " SCOPES "}",
		&status);

	assert_int_equal(status, 200);
	(void)snprintf(token, sizeof(token), "%s", it_str(t, "access_token"));
	cJSON_Delete(t);
	(void)snprintf(path, sizeof(path), "%s/token", f->env->root);
	it_write_file(path, token, strlen(token));
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(setenv("GCEB_TOKEN_FILE", path, 1), 0);
}

/*
 * A certificate that does not verify fails the run with the TLS reason and
 * the URL, and nothing reaches the emulator: the handshake failed before
 * the request was sent. (Today a TLS failure is a failed item, exit 1, as
 * any network error is; the exit status is only checked to be non-zero.)
 */
static void expect_refused(struct fixture *f, enum it_tls_cert which, const char *reason)
{
	int before;
	char *err;

	it_tls_start(f->env, &f->tls, which);
	it_tls_settings(f->env, &f->tls, NULL);
	use_token_file(f);
	before = emu_requests(f->env);
	/* An API that cannot be reached safely is unavailable: 69 (exit-codes.md). */
	assert_int_equal(run(f->env, "create-instance-templates", &err), 69);
	if (!strstr(err, reason))
		print_message("stderr: %s\n", err);
	assert_non_null(strstr(err, reason));
	assert_non_null(strstr(f->tls.url, "localhost"));
	assert_non_null(strstr(err, f->tls.url));
	free(err);
	assert_int_equal(emu_requests(f->env), before);
	/* And nghttpx passed nothing on. */
	err = it_tls_access_log(&f->tls);
	assert_string_equal(err, "");
	free(err);
}

static void wrong_ca_refused(void **state)
{
	expect_refused(*state, IT_TLS_OTHER_CA, "unable to get local issuer certificate");
}

static void other_host_refused(void **state)
{
	expect_refused(
		*state, IT_TLS_OTHER_HOST,
		"no alternative certificate subject name matches target host name 'localhost'");
}

static void expired_refused(void **state)
{
	expect_refused(*state, IT_TLS_EXPIRED, "certificate has expired");
}

/*
 * A key whose token_uri is on the TLS front: the JWT goes over TLS + h2,
 * verified with ca_file like the API roots, and nothing goes to the
 * metadata server.
 */
static void token_endpoint_over_tls(void **state)
{
	struct fixture *f = *state;
	char path[256], *log;

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	it_tls_settings(f->env, &f->tls, NULL);
	(void)snprintf(path, sizeof(path), "%s/key.json", f->env->root);
	it_tls_key_file(f->env, path, f->tls.token_uri);
	assert_int_equal(setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1), 0);
	assert_int_equal(unsetenv("GCE_METADATA_HOST"), 0);
	it_run_ok(f->env, "create-instance-templates");
	assert_int_equal(it_emu_count_requests(f->env, "GET", "/computeMetadata/"), 0);
	log = it_tls_access_log(&f->tls);
	assert_non_null(strstr(log, " POST /token 200"));
	/* The insert carries its requestId (docs/design/compute.md). */
	assert_non_null(
		strstr(log, " POST /compute/v1/projects/proj/global/instanceTemplates?requestId="));
	free(log);
}

/* ... and a token endpoint whose certificate does not verify gets no JWT. */
static void token_endpoint_verified(void **state)
{
	struct fixture *f = *state;
	char path[256], *err;
	int before;

	it_tls_start(f->env, &f->tls, IT_TLS_OTHER_CA);
	it_tls_settings(f->env, &f->tls, NULL);
	(void)snprintf(path, sizeof(path), "%s/key.json", f->env->root);
	it_tls_key_file(f->env, path, f->tls.token_uri);
	assert_int_equal(setenv("GOOGLE_APPLICATION_CREDENTIALS", path, 1), 0);
	before = emu_requests(f->env);
	/* An API that cannot be reached safely is unavailable: 69 (exit-codes.md). */
	assert_int_equal(run(f->env, "create-instance-templates", &err), 69);
	if (!strstr(err, "unable to get local issuer certificate") ||
	    !strstr(err, f->tls.token_uri))
		print_message("stderr: %s\n", err);
	assert_non_null(strstr(err, "unable to get local issuer certificate"));
	assert_non_null(strstr(err, f->tls.token_uri));
	free(err);
	assert_int_equal(emu_requests(f->env), before);
	err = it_tls_access_log(&f->tls);
	assert_string_equal(err, "");
	free(err);
}

/* Exit 78 naming the setting and the file, and not one request sent. */
static void expect_ca_config_error(struct fixture *f, const char *want, const char *flag,
				   const char *value)
{
	struct it_result res;
	int before = emu_requests(f->env);

	it_run(f->env, &res, "create-instance-templates", flag, value, NULL);
	if (res.status != 78 || !strstr(res.err, want))
		print_message("exit %d: %s\n", res.status, res.err);
	assert_int_equal(res.status, 78);
	assert_non_null(strstr(res.err, want));
	it_result_release(&res);
	assert_int_equal(emu_requests(f->env), before);
}

static void bad_ca_file_is_config_error(void **state)
{
	struct fixture *f = *state;
	char missing[256], not_pem[256], want[512];

	it_tls_start(f->env, &f->tls, IT_TLS_GOOD);
	it_tls_settings(f->env, &f->tls, NULL);
	use_token_file(f);
	(void)snprintf(missing, sizeof(missing), "%s/no-such.pem", f->env->root);
	(void)snprintf(not_pem, sizeof(not_pem), "%s/not.pem", f->env->root);
	it_write_file(not_pem, "hello\n", 6);

	(void)snprintf(want, sizeof(want), "'%s' does not exist", missing);
	expect_ca_config_error(f, want, "--ca-file", missing);
	(void)snprintf(want, sizeof(want), "'%s' holds no PEM certificate", not_pem);
	expect_ca_config_error(f, want, "--ca-file", not_pem);
	/* The marker alone is not enough: the certificate must parse. */
	it_write_file(not_pem, FAKE_PEM, strlen(FAKE_PEM));
	expect_ca_config_error(f, want, "--ca-file", not_pem);
	it_write_file(not_pem, "hello\n", 6);
	/* A directory, and the environment's spelling. */
	assert_int_equal(setenv("GCEB_CA_FILE", f->tls.dir, 1), 0);
	expect_ca_config_error(f, "not a regular file", NULL, NULL);
	/* The flag wins over the environment, which wins over settings.cfg. */
	it_expect(f->env, 0, "create-instance-templates", "--ca-file", f->tls.ca_file);
	assert_int_equal(setenv("GCEB_CA_FILE", f->tls.ca_file, 1), 0);
	(void)snprintf(want, sizeof(want),
		       "mp_server: \"%s\"\ncompute_api_root: \"%s/\"\n"
		       "ca_file: \"%s\"\n",
		       f->tls.url, f->tls.url, not_pem);
	it_write_config(f->env, "settings.cfg", want);
	it_expect(f->env, 0, "create-instance-templates");
	assert_int_equal(unsetenv("GCEB_CA_FILE"), 0);
	(void)snprintf(want, sizeof(want), "'%s' holds no PEM certificate", not_pem);
	expect_ca_config_error(f, want, NULL, NULL);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(fleet_converges, setup, teardown),
		cmocka_unit_test_setup_teardown(one_job_one_connection, setup, teardown),
		cmocka_unit_test_setup_teardown(wrong_ca_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(other_host_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(expired_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(token_endpoint_over_tls, setup, teardown),
		cmocka_unit_test_setup_teardown(token_endpoint_verified, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_ca_file_is_config_error, setup, teardown),
	};

	return gceb_test_run("tls", tests, argc, argv);
}
