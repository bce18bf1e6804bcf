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

#include "harness.h"

void it_env_init(struct it_env *env)
{
	strcpy(env->root, "/tmp/gceb-it-XXXXXX");
	assert_non_null(mkdtemp(env->root));
	(void)snprintf(env->state_dir, sizeof(env->state_dir), "%s/state", env->root);
	(void)snprintf(env->config_dir, sizeof(env->config_dir), "%s/etc", env->root);
	assert_int_equal(mkdir(env->config_dir, 0755), 0);
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

static char *slurp(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	ssize_t n;

	assert_non_null(buf);
	(void)lseek(fd, 0, SEEK_SET);
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
	}
	buf[len] = '\0';
	return buf;
}

int it_run(const struct it_env *env, struct it_result *res, const char *job, ...)
{
	char bin[512], *argv[32];
	int argc = 0, status, out_fd, err_fd;
	char out_path[] = "/tmp/gceb-it-out-XXXXXX", err_path[] = "/tmp/gceb-it-err-XXXXXX";
	const char *a;
	va_list ap;
	pid_t pid;

	(void)snprintf(bin, sizeof(bin), "%s/gceb-%s", GCEB_BIN_DIR, job);
	argv[argc++] = bin;
	if (env) {
		argv[argc++] = (char *)"--state-dir";
		argv[argc++] = (char *)env->state_dir;
		argv[argc++] = (char *)"--config-dir";
		argv[argc++] = (char *)env->config_dir;
	}
	va_start(ap, job);
	while ((a = va_arg(ap, const char *)) && argc < 31)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	out_fd = mkstemp(out_path);
	err_fd = mkstemp(err_path);
	assert_true(out_fd >= 0 && err_fd >= 0);
	(void)unlink(out_path);
	(void)unlink(err_path);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		(void)dup2(out_fd, 1);
		(void)dup2(err_fd, 2);
		execv(bin, argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	if (res) {
		res->status = status;
		res->out = slurp(out_fd);
		res->err = slurp(err_fd);
	}
	(void)close(out_fd);
	(void)close(err_fd);
	return status;
}

void it_result_release(struct it_result *res)
{
	free(res->out);
	free(res->err);
	res->out = res->err = NULL;
}

cJSON *it_status(const struct it_env *env)
{
	struct it_result res;
	cJSON *json;

	assert_int_equal(it_run(env, &res, "status", "--json", NULL), 0);
	json = cJSON_Parse(res.out);
	if (!json)
		print_message("status output: %s\nstderr: %s\n", res.out, res.err);
	assert_non_null(json);
	it_result_release(&res);
	return json;
}

int it_array_size(const cJSON *status, const char *name)
{
	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(status, name));
}
