/* SPDX-License-Identifier: Apache-2.0 */
/* harness.h - run gceb binaries in a scratch state/config directory and look at the result */
#ifndef GCEB_IT_HARNESS_H
#define GCEB_IT_HARNESS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

struct it_env {
	char root[64];        /* scratch directory */
	char state_dir[128];  /* <root>/state */
	char config_dir[128]; /* <root>/etc */
};

struct it_result {
	int status; /* exit status, or 128 + signal */
	char *out;  /* whole stdout, NUL-terminated */
	char *err;  /* whole stderr */
};

void it_env_init(struct it_env *env);
void it_env_cleanup(struct it_env *env);

/* Write @text to <config_dir>/@name. */
void it_write_config(const struct it_env *env, const char *name, const char *text);
void it_write_file(const char *path, const void *data, size_t len);

/*
 * Run gceb-@job with --state-dir and --config-dir of @env and the extra
 * arguments (NULL-terminated). Returns the exit status; @res may be NULL.
 */
int it_run(const struct it_env *env, struct it_result *res, const char *job, ...);
void it_result_release(struct it_result *res);

/* gceb-status --json, parsed. Caller frees with cJSON_Delete. */
cJSON *it_status(const struct it_env *env);

/* Number of elements of the array at @path in the status JSON (e.g. "templates"). */
int it_array_size(const cJSON *status, const char *name);

#endif
