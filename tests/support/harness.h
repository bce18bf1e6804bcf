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
	char emu_url[128];    /* http://127.0.0.1:PORT of a running emulator, or "" */
	int emu_pid;
	char emu_token[512]; /* for the test's own API calls */
};

struct it_result {
	int status; /* exit status, or 128 + signal */
	char *out;  /* whole stdout, NUL-terminated */
	char *err;  /* whole stderr */
};

void it_env_init(struct it_env *env);
void it_env_cleanup(struct it_env *env);
/* Remove everything in @dir, keeping @dir (a lost state directory's contents). */
void it_clear_dir(const char *dir);

/* it_env_init() of a new it_env on the heap, for a cmocka setup's *state. */
struct it_env *it_env_new(void);
/*
 * The cmocka teardown of an it_env_new() state: stop its emulator if one
 * runs, remove the scratch directory, free it.
 */
int it_env_teardown(void **state);

/* Write @text to <config_dir>/@name. */
void it_write_config(const struct it_env *env, const char *name, const char *text);
void it_write_file(const char *path, const void *data, size_t len);

/* A temporary file, already unlinked, for a child's output; and all of it, NUL-terminated. */
int it_tmpfd(void);
char *it_slurp(int fd);

/*
 * Run gceb-@job with --state-dir and --config-dir of @env and the extra
 * arguments (NULL-terminated). Returns the exit status; @res may be NULL.
 */
int it_run(const struct it_env *env, struct it_result *res, const char *job, ...);

/*
 * it_run() with the job's clock moved by @offset, a libfaketime offset such
 * as "+21m" (faketime(1) from the Debian package faketime): for what
 * depends on gceb_now(), e.g. the 20-minute purge delay.
 */
int it_run_at(const struct it_env *env, struct it_result *res, const char *offset, const char *job,
	      ...);
void it_result_release(struct it_result *res);

/*
 * Start gceb-@job as it_run() does, with stdout on @out_fd and stderr on
 * @err_fd, and return its pid without waiting; it_wait() waits for it and
 * returns its exit status, or 128 + signal.
 */
int it_spawn(const struct it_env *env, int out_fd, int err_fd, const char *job, ...);
int it_wait(int pid);

/* gceb-status --json, parsed. Caller frees with cJSON_Delete. */
cJSON *it_status(const struct it_env *env);
/* gceb-status --json --instances, parsed. */
cJSON *it_status_instances(const struct it_env *env);

/* The string member @name of @o, or NULL; the number member as an int, or -1. */
const char *it_str(const cJSON *o, const char *name);
int it_int(const cJSON *o, const char *name);

/* Number of elements of the array at @path in the status JSON (e.g. "templates"). */
int it_array_size(const cJSON *status, const char *name);

/*
 * Start gceb-emulator on a free loopback port with the extra arguments
 * (NULL-terminated), write settings.cfg pointing gceb at it, and point the
 * metadata-server token source at it (GCE_METADATA_HOST) for the jobs run
 * after this.
 */
void it_emu_start(struct it_env *env, ...);
/* SIGTERM the emulator and check that it exited cleanly. */
void it_emu_stop(struct it_env *env);

/*
 * Call the emulator: @method @path (relative to its root) with JSON @body
 * (may be NULL). Returns the parsed answer (NULL if not JSON); *@status gets
 * the HTTP status if @status is not NULL. Caller frees with cJSON_Delete.
 */
cJSON *it_emu_call(const struct it_env *env, const char *method, const char *path, const char *body,
		   long *status);

/* Like it_emu_call, with a bearer token minted for the test (all scopes). */
cJSON *it_emu_api(struct it_env *env, const char *method, const char *path, const char *body,
		  long *status);

/* POST JSON @body to the emulator's control @path and assert 200. */
void it_emu_post(const struct it_env *env, const char *path, const char *body);

/* GET /_emu/state (assert 200), parsed. Caller frees with cJSON_Delete. */
cJSON *it_emu_state(const struct it_env *env);

/* Advance the emulator's clock by @seconds. */
void it_emu_advance(const struct it_env *env, int seconds);

/* The emulator's request log entries whose method is @method and path contains @part. */
int it_emu_count_requests(const struct it_env *env, const char *method, const char *part);

/*
 * Run gceb-@job with the arguments (NULL-terminated) and assert that it
 * exits @want, and with 0 that it wrote nothing to stderr; a failure names
 * @file:@line. it_expect(env, want, job, args...) is the usual spelling.
 */
void it_expect_at(const char *file, int line, const struct it_env *env, int want, const char *job,
		  ...);
#define it_expect(env, want, ...) it_expect_at(__FILE__, __LINE__, (env), (want), __VA_ARGS__, NULL)

/* Run @job and assert it exits 0 with nothing on stderr. */
void it_run_ok(const struct it_env *env, const char *job);

/*
 * The first rollout of an imported config: templates, groups, their sizes,
 * 30 emulated seconds for the VMs to come up, and their listing.
 */
void it_roll_out(const struct it_env *env);

#endif
