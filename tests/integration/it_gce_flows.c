/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_gce_flows.c - whole flows of the Compute Engine jobs against
 * gceb-emulator (behaviour.md §6, §9.3-§9.5, §9.8-§9.10, §9.12): a revision
 * drained to nothing, a zone and a template removed, vanished VMs, metadata
 * updates, the three token sources, and the job lock.
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

#define FAKETIME_LIB "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"
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

static int setup(void **state)
{
	struct it_env *env = calloc(1, sizeof(*env));

	it_env_init(env);
	it_emu_start(env, NULL);
	*state = env;
	return 0;
}

static int setup_paged(void **state)
{
	struct it_env *env = calloc(1, sizeof(*env));

	it_env_init(env);
	it_emu_start(env, "--page-size", "2", NULL);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct it_env *env = *state;

	it_emu_stop(env);
	it_env_cleanup(env);
	free(env);
	(void)unsetenv("GCEB_TOKEN_FILE");
	(void)unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	return 0;
}

/* Run gceb-@job with the options that follow, expecting exit @want; stderr must be empty when 0. */
#define run_expect(env, want, ...)                                         \
 do {                                                                      \
  struct it_result r_;                                                     \
  it_run((env), &r_, __VA_ARGS__, NULL);                                   \
  if (r_.status != (want) || ((want) == 0 && r_.err[0]))                   \
   print_message("gceb-%s exit %d:\n%s", #__VA_ARGS__, r_.status, r_.err); \
  assert_int_equal(r_.status, (want));                                     \
  if ((want) == 0)                                                         \
   assert_string_equal(r_.err, "");                                        \
  it_result_release(&r_);                                                  \
 } while (0)

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
	run_expect(env, 0, "import-config");
	run_expect(env, 0, "process-config");
}

static void roll_out(const struct it_env *env)
{
	run_expect(env, 0, "create-instance-templates");
	run_expect(env, 0, "create-instance-group-managers");
	run_expect(env, 0, "resize-instance-groups");
	it_emu_advance(env, 30);
	run_expect(env, 0, "fetch-instances");
}

static const char *field(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(f) ? f->valuestring : NULL;
}

static int number(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(f) ? f->valueint : -1;
}

static const cJSON *array(const cJSON *o, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(o, name);
}

/* gceb-status --json --instances, parsed. */
static cJSON *status_all(const struct it_env *env)
{
	struct it_result res;
	cJSON *json;

	assert_int_equal(it_run(env, &res, "status", "--json", "--instances", NULL), 0);
	json = cJSON_Parse(res.out);
	assert_non_null(json);
	it_result_release(&res);
	return json;
}

static int count(const struct it_env *env, const char *what)
{
	cJSON *st = it_status(env);
	int n = number(array(st, "instance_counts"), what);

	cJSON_Delete(st);
	return n;
}

/* The element of status array @name whose @key field equals @value. */
static const cJSON *find(const cJSON *st, const char *name, const char *key, const char *value)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, array(st, name)) {
		const char *v = field(o, key);

		if (v && !strcmp(v, value))
			return o;
	}
	return NULL;
}

/* The active revision id of template @base. */
static void active_revision(const struct it_env *env, const char *base, char out[41])
{
	cJSON *st = it_status(env);
	const char *active = field(find(st, "templates", "base_name", base), "active");

	assert_non_null(active);
	(void)snprintf(out, 41, "%s", strchr(active, ' ') + 1);
	cJSON_Delete(st);
}

static cJSON *emu_state(const struct it_env *env)
{
	long status;
	cJSON *s = it_emu_call(env, "GET", "/_emu/state", NULL, &status);

	assert_int_equal(status, 200);
	return s;
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
		const char *v = field(o, key);

		n += v && strstr(v, part);
	}
	return n;
}

static void emu_post(const struct it_env *env, const char *path, const char *body)
{
	long status;
	cJSON *r = it_emu_call(env, "POST", path, body, &status);

	if (status != 200)
		print_message("POST %s %s: %ld\n", path, body, status);
	assert_int_equal(status, 200);
	cJSON_Delete(r);
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
	n = number(g, "targetSize");
	cJSON_Delete(g);
	return n;
}

/* Run @job expecting exit 1, one error line per failed item containing @needle, and a summary. */
static void expect_failures(const struct it_env *env, const char *job, int items,
			    const char *needle)
{
	struct it_result res;
	const char *p;
	char summary[64];
	int lines = 0;

	it_run(env, &res, job, "--timeout-ms", "1000", NULL);
	if (res.status != 1 || !strstr(res.err, needle))
		print_message("gceb-%s exit %d:\n%s", job, res.status, res.err);
	assert_int_equal(res.status, 1);
	for (p = res.err; (p = strchr(p, '\n')); p++)
		lines++;
	assert_int_equal(lines, items + 1);
	for (p = res.err; items > 0; items--, p = strchr(p, '\n') + 1)
		assert_true(strstr(p, needle) && strstr(p, needle) < strchr(p, '\n'));
	(void)snprintf(summary, sizeof(summary), "item%s failed", lines == 2 ? "" : "s");
	assert_non_null(strstr(p, summary));
	it_result_release(&res);
}

static void add_fault(const struct it_env *env, const char *json)
{
	emu_post(env, "/_emu/faults", json);
}

/*
 * cleanup-entities with the clock 25 minutes on (libfaketime), so that the
 * entities of deleted VMs are purged (behaviour.md §4.14 (b)). Skipped where
 * libfaketime is missing; returns whether it ran.
 */
static bool purge_deleted(const struct it_env *env)
{
	if (access(FAKETIME_LIB, R_OK) != 0)
		return false;
	assert_int_equal(setenv("LD_PRELOAD", FAKETIME_LIB, 1), 0);
	assert_int_equal(setenv("FAKETIME", "+25m", 1), 0);
	assert_int_equal(setenv("DONT_FAKE_MONOTONIC", "1", 1), 0);
	run_expect(env, 0, "cleanup-entities");
	(void)unsetenv("LD_PRELOAD");
	(void)unsetenv("FAKETIME");
	(void)unsetenv("DONT_FAKE_MONOTONIC");
	return true;
}

/* ---- (e) auth: the three token sources ---- */

/* Every Compute and Machine Provider call in the log carried a bearer token; returns how many. */
static int api_calls_with_token(const struct it_env *env, const char *token)
{
	cJSON *log = requests(env);
	const cJSON *r;
	int n = 0;

	cJSON_ArrayForEach(r, log) {
		const char *path = field(r, "path");
		const char *auth = field(array(r, "headers"), "Authorization");

		if (strncmp(path, "/compute/", 9) != 0 && strncmp(path, "/_ah/api/", 9) != 0)
			continue;
		if (!auth || strncmp(auth, "Bearer ", 7) != 0)
			print_message("%s %s without a token\n", field(r, "method"), path);
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
		n += !strncmp(field(r, "path"), prefix, strlen(prefix));
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
	assert_non_null(field(t, "access_token"));
	(void)snprintf(out, len, "%s", field(t, "access_token"));
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
	roll_out(env);
	assert_true(api_calls_with_token(env, NULL) >= 8);
	log = requests(env);
	cJSON_ArrayForEach(r, log) {
		if (strncmp(field(r, "path"), "/computeMetadata/", 17) != 0)
			continue;
		assert_string_equal(field(array(r, "headers"), "Metadata-Flavor"), "Google");
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
	run_expect(env, 0, "create-instance-templates", "--token-file", path);
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
	emu_post(env, "/_emu/keys", text);
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
	cJSON *log = requests(env), *st = emu_state(env);
	const char *auth = NULL;
	const cJSON *r;

	cJSON_ArrayForEach(r, log) {
		if (!strncmp(field(r, "path"), "/compute/", 9))
			auth = field(array(r, "headers"), "Authorization");
	}
	assert_non_null(auth);
	out[0] = '\0';
	cJSON_ArrayForEach(r, array(st, "tokens")) {
		if (!strcmp(field(r, "access_token"), auth + 7))
			(void)snprintf(out, len, "%s", field(r, "email"));
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
	run_expect(env, 0, "create-instance-templates");
	/* One token exchange for the run, then every call with that token. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/token"), 1);
	log = requests(env);
	assert_string_equal(field(cJSON_GetArrayItem(log, 0), "path"), "/token");
	cJSON_Delete(log);
	assert_int_equal(api_calls_with_token(env, NULL), 4);
	assert_int_equal(requests_to(env, "/computeMetadata/"), 0);
	last_caller(env, who, sizeof(who));
	assert_string_equal(who, email);

	assert_int_equal(unsetenv("GOOGLE_APPLICATION_CREDENTIALS"), 0);
	clear_requests(env);
	run_expect(env, 0, "create-instance-group-managers", "--key-file", path);
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
	emu_post(env, "/_emu/tokens/revoke", body);
	assert_int_equal(setenv("GCEB_TOKEN_FILE", path, 1), 0);
	clear_requests(env);
	expect_failures(env, "create-instance-templates", 2, "HTTP 401 authError");
	/* Not retried: one attempt per item. */
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 2);
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

	run_expect(env, 0, "create-instance-templates");
	it_run(env, &res, "create-instance-templates", "-v", NULL);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.err, "is held by another run, skipping this run"));
	it_result_release(&res);
	assert_int_equal(requests_to(env, "/"), 0);
	/* Another job's lock is its own. */
	run_expect(env, 0, "fetch-instances");

	assert_int_equal(close(fd), 0);
	run_expect(env, 0, "create-instance-templates");
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(auth_metadata_server, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_token_file, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_key_file, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_file_readable_by_others, setup, teardown),
		cmocka_unit_test_setup_teardown(auth_revoked_token, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_held_skips, setup, teardown),
	};

	(void)setup_paged;
	(void)purge_deleted;
	(void)group_target_size;
	(void)emu_count_matching;
	(void)active_revision;
	(void)count;
	(void)status_all;
	(void)add_fault;
	return cmocka_run_group_tests_name("gce_flows", tests, NULL, NULL);
}
