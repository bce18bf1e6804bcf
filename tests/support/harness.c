/* SPDX-License-Identifier: Apache-2.0 */
/* harness.c - run gceb binaries for integration tests */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier): nftw() */
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <signal.h>

#include "emu_spawn.h"
#include "harness.h"
#include "runner.h"

void it_env_init(struct it_env *env)
{
	strcpy(env->root, "/tmp/gceb-it-XXXXXX");
	assert_non_null(mkdtemp(env->root));
	(void)snprintf(env->state_dir, sizeof(env->state_dir), "%s/state", env->root);
	(void)snprintf(env->config_dir, sizeof(env->config_dir), "%s/etc", env->root);
	assert_int_equal(mkdir(env->config_dir, 0755), 0);
	/* The operator makes the state directory; the jobs never do. */
	assert_int_equal(mkdir(env->state_dir, 0700), 0);
}

struct it_env *it_env_new(void)
{
	struct it_env *env = calloc(1, sizeof(*env));

	assert_non_null(env);
	it_env_init(env);
	return env;
}

int it_env_teardown(void **state)
{
	struct it_env *env = *state;

	it_emu_stop(env);
	it_env_cleanup(env);
	free(env);
	*state = NULL;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void it_env_cleanup(struct it_env *env)
{
	(void)nftw(env->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Everything under the top directory, not the directory itself. */
static int rm_below(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	return ftw->level == 0 ? 0 : remove(path);
}

void it_clear_dir(const char *dir)
{
	assert_int_equal(nftw(dir, rm_below, 16, FTW_DEPTH | FTW_PHYS), 0);
}

void it_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void it_write_config(const struct it_env *env, const char *name, const char *text)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/%s", env->config_dir, name);
	it_write_file(path, text, strlen(text));
}

int it_tmpfd(void)
{
	char path[] = "/tmp/gceb-it-XXXXXX";
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	(void)unlink(path);
	return fd;
}

char *it_slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	(void)lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			char *bigger = realloc(buf, cap * 2);

			assert_non_null(bigger);
			buf = bigger;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

/*
 * Start gceb-@job with the arguments in @ap, stdout on @out_fd and stderr on
 * @err_fd. With @offset (a libfaketime offset such as "+21m") the job runs
 * under faketime(1), so its time() is moved and nothing else is.
 */
static pid_t spawn_job(const struct it_env *env, int out_fd, int err_fd, const char *offset,
		       const char *job, va_list ap)
{
	char bin[512], *argv[40];
	const char *a;
	int argc = 0;
	pid_t pid;

	(void)snprintf(bin, sizeof(bin), "%s/gceb-%s", GCEB_BIN_DIR, job);
	if (offset) {
		argv[argc++] = (char *)"faketime";
		argv[argc++] = (char *)"-f";
		argv[argc++] = (char *)offset;
	}
	argv[argc++] = bin;
	if (env) {
		argv[argc++] = (char *)"--state-dir";
		argv[argc++] = (char *)env->state_dir;
		argv[argc++] = (char *)"--config-dir";
		argv[argc++] = (char *)env->config_dir;
	}
	while ((a = va_arg(ap, const char *)) && argc < 39)
		argv[argc++] = (char *)a;
	argv[argc] = NULL;

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)dup2(out_fd, 1);
		(void)dup2(err_fd, 2);
		if (offset) {
			char asan[512];
			const char *old = getenv("ASAN_OPTIONS");

			/*
			 * For an ASan build: libfaketime is preloaded, so ASan's runtime
			 * is not first in the list; and ASan's allocator reads the
			 * monotonic clock to pace its release to the OS, which enters
			 * libfaketime's lazy set-up, whose dlsym() mallocs: a deadlock.
			 */
			(void)snprintf(asan, sizeof(asan),
				       "%s%sverify_asan_link_order=0:"
				       "allocator_release_to_os_interval_ms=-1",
				       old ? old : "", old && *old ? ":" : "");
			(void)setenv("ASAN_OPTIONS", asan, 1);
			/* Move the wall clock only; the HTTP engine's timers stay real. */
			(void)setenv("DONT_FAKE_MONOTONIC", "1", 1);
			(void)setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
			execvp("faketime", argv);
		} else {
			execv(bin, argv);
		}
		_exit(127);
	}
	return pid;
}

static int run_job(const struct it_env *env, struct it_result *res, const char *offset,
		   const char *job, va_list ap)
{
	int out_fd = it_tmpfd(), err_fd = it_tmpfd(), status;

	status = it_wait(spawn_job(env, out_fd, err_fd, offset, job, ap));
	if (res) {
		res->status = status;
		res->out = it_slurp(out_fd);
		res->err = it_slurp(err_fd);
	}
	(void)close(out_fd);
	(void)close(err_fd);
	return status;
}

int it_spawn(const struct it_env *env, int out_fd, int err_fd, const char *job, ...)
{
	va_list ap;
	pid_t pid;

	va_start(ap, job);
	pid = spawn_job(env, out_fd, err_fd, NULL, job, ap);
	va_end(ap);
	return pid;
}

int it_wait(int pid)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int it_run(const struct it_env *env, struct it_result *res, const char *job, ...)
{
	va_list ap;
	int r;

	va_start(ap, job);
	r = run_job(env, res, NULL, job, ap);
	va_end(ap);
	return r;
}

int it_run_at(const struct it_env *env, struct it_result *res, const char *offset, const char *job,
	      ...)
{
	va_list ap;
	int r;

	va_start(ap, job);
	r = run_job(env, res, offset, job, ap);
	va_end(ap);
	return r;
}

void it_expect_at(const char *file, int line, const struct it_env *env, int want, const char *job,
		  ...)
{
	struct it_result res;
	va_list ap;

	va_start(ap, job);
	(void)run_job(env, &res, NULL, job, ap);
	va_end(ap);
	if (res.status != want || (want == 0 && res.err[0]))
		print_message("gceb-%s exit %d (want %d):\n%s", job, res.status, want, res.err);
	_assert_int_equal((LargestIntegralType)res.status, (LargestIntegralType)want, file, line);
	if (want == 0)
		_assert_string_equal(res.err, "", file, line);
	it_result_release(&res);
}

void it_result_release(struct it_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

static cJSON *status_json(const struct it_env *env, const char *instances)
{
	struct it_result res;
	cJSON *json;

	assert_int_equal(it_run(env, &res, "status", "--json", instances, NULL), 0);
	json = cJSON_Parse(res.out);
	if (!json)
		print_message("status output: %s\nstderr: %s\n", res.out, res.err);
	assert_non_null(json);
	it_result_release(&res);
	return json;
}

cJSON *it_status(const struct it_env *env)
{
	return status_json(env, NULL);
}

cJSON *it_status_instances(const struct it_env *env)
{
	return status_json(env, "--instances");
}

const char *it_str(const cJSON *o, const char *name)
{
	return cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));
}

int it_int(const cJSON *o, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsNumber(f) ? f->valueint : -1;
}

int it_array_size(const cJSON *status, const char *name)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(status, name));
}

void it_emu_start(struct it_env *env, ...)
{
	char bin[512], port_file[256], settings[512], host[128];
	const char *args[40];
	size_t n = 0;
	va_list ap;

	(void)snprintf(bin, sizeof(bin), "%s/tests/emulator/gceb-emulator", GCEB_BUILD_DIR);
	(void)snprintf(port_file, sizeof(port_file), "%s/emu.url", env->root);
	va_start(ap, env);
	while (n < 39 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	env->emu_pid =
		gceb_test_emu_spawn(bin, port_file, args, env->emu_url, sizeof(env->emu_url));
	if (env->emu_pid < 0)
		fail_msg("%s did not start", bin);
	assert_true(strncmp(env->emu_url, "http://", 7) == 0);
	(void)snprintf(settings, sizeof(settings), "mp_server: \"%s\"\ncompute_api_root: \"%s/\"\n",
		       env->emu_url, env->emu_url);
	it_write_config(env, "settings.cfg", settings);
	(void)snprintf(host, sizeof(host), "%s", env->emu_url + 7);
	assert_int_equal(setenv("GCE_METADATA_HOST", host, 1), 0);
}

void it_emu_stop(struct it_env *env)
{
	int status;

	if (env->emu_pid <= 0)
		return;
	assert_int_equal(kill(env->emu_pid, SIGTERM), 0);
	assert_int_equal(waitpid(env->emu_pid, &status, 0), env->emu_pid);
	env->emu_pid = 0;
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static size_t collect(char *data, size_t size, size_t n, void *payload)
{
	struct it_result *res = payload;
	size_t len = res->out ? strlen(res->out) : 0;
	char *p = realloc(res->out, len + size * n + 1);

	assert_non_null(p);
	memcpy(p + len, data, size * n);
	p[len + size * n] = '\0';
	res->out = p;
	return size * n;
}

static cJSON *emu_request(const struct it_env *env, const char *method, const char *path,
			  const char *body, const char *token, long *status)
{
	struct it_result res = { 0 };
	struct curl_slist *headers = NULL;
	char auth[600];
	char url[1024];
	CURL *curl = curl_easy_init();
	cJSON *json;
	long code = 0;

	assert_non_null(curl);
	(void)snprintf(url, sizeof(url), "%s%s", env->emu_url, path);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	if (token) {
		(void)snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		headers = curl_slist_append(headers, auth);
	}
	(void)curl_easy_setopt(curl, CURLOPT_URL, url);
	(void)curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	(void)curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	(void)curl_easy_setopt(curl, CURLOPT_WRITEDATA, &res);
	(void)curl_easy_setopt(curl, CURLOPT_TIMEOUT, 30L);
	if (body)
		(void)curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	assert_int_equal(curl_easy_perform(curl), CURLE_OK);
	(void)curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (status)
		*status = code;
	json = res.out ? cJSON_Parse(res.out) : NULL;
	free(res.out);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return json;
}

cJSON *it_emu_call(const struct it_env *env, const char *method, const char *path, const char *body,
		   long *status)
{
	return emu_request(env, method, path, body, NULL, status);
}

cJSON *it_emu_api(struct it_env *env, const char *method, const char *path, const char *body,
		  long *status)
{
	if (!env->emu_token[0]) {
		long st;
		cJSON *t = it_emu_call(env, "POST", "/_emu/tokens",
				       "{\"email\": \"test@example.com\", \"scopes\": "
				       "[\"https://www.googleapis.com/auth/cloud-platform\", "
				       "\"https://www.googleapis.com/auth/userinfo.email\"]}",
				       &st);
		const cJSON *tok = cJSON_GetObjectItemCaseSensitive(t, "access_token");

		assert_int_equal(st, 200);
		assert_true(cJSON_IsString(tok));
		(void)snprintf(env->emu_token, sizeof(env->emu_token), "%s", tok->valuestring);
		cJSON_Delete(t);
	}
	return emu_request(env, method, path, body, env->emu_token, status);
}

int it_emu_count_requests(const struct it_env *env, const char *method, const char *part)
{
	cJSON *log = it_emu_call(env, "GET", "/_emu/requests", NULL, NULL), *r, *list;
	int n = 0;

	assert_non_null(log);
	list = cJSON_IsArray(log) ? log : cJSON_GetObjectItemCaseSensitive(log, "requests");
	cJSON_ArrayForEach(r, list) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, "method");
		const cJSON *p = cJSON_GetObjectItemCaseSensitive(r, "path");

		if (cJSON_IsString(m) && cJSON_IsString(p) && !strcmp(m->valuestring, method) &&
		    strstr(p->valuestring, part))
			n++;
	}
	cJSON_Delete(log);
	return n;
}

void it_emu_post(const struct it_env *env, const char *path, const char *body)
{
	long status;
	cJSON *r = it_emu_call(env, "POST", path, body, &status);

	if (status != 200)
		print_message("POST %s %s: %ld\n", path, body, status);
	assert_int_equal(status, 200);
	cJSON_Delete(r);
}

cJSON *it_emu_state(const struct it_env *env)
{
	long status;
	cJSON *s = it_emu_call(env, "GET", "/_emu/state", NULL, &status);

	assert_int_equal(status, 200);
	return s;
}

void it_emu_advance(const struct it_env *env, int seconds)
{
	char body[64];
	long status;
	cJSON *r;

	(void)snprintf(body, sizeof(body), "{\"seconds\": %d}", seconds);
	r = it_emu_call(env, "POST", "/_emu/clock/advance", body, &status);
	assert_int_equal(status, 200);
	cJSON_Delete(r);
}

void it_run_ok(const struct it_env *env, const char *job)
{
	struct it_result res;

	it_run(env, &res, job, NULL);
	if (res.status != 0 || res.err[0])
		print_message("gceb-%s exit %d:\n%s", job, res.status, res.err);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.err, "");
	it_result_release(&res);
}

void it_roll_out(const struct it_env *env)
{
	it_expect(env, 0, "create-instance-templates");
	it_expect(env, 0, "create-instance-group-managers");
	it_expect(env, 0, "resize-instance-groups");
	it_emu_advance(env, 30);
	it_expect(env, 0, "fetch-instances");
}
