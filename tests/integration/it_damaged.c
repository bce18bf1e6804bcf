/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_damaged.c - damaged inputs get a clear error and lose nothing
 * (docs/exit-codes.md, docs/operations.md): a data.mdb cut short or empty,
 * a FIFO in place of a config, settings, token or key file, a 0-byte
 * templates.cfg or managers.cfg, LUCI content that is not what its hash
 * says, a symlink planted at the metrics writer's temporary name, and a
 * store that gceb-status may read but not write.
 *
 * Every binary runs with an alarm: a job that blocks (as on a FIFO before)
 * dies of SIGALRM, status 142, instead of hanging the suite.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

#define RUN_LIMIT_S 15

static const char TEMPLATES[] = "templates {\n"
				"  base_name: \"web\"\n"
				"  project: \"proj\"\n"
				"  image_name: \"debian-12\"\n"
				"  machine_type: \"n1-standard-2\"\n"
				"}\n";
static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 }\n";

static int setup(void **state)
{
	struct it_env *env = calloc(1, sizeof(*env));

	assert_non_null(env);
	it_env_init(env);
	it_write_config(env, "templates.cfg", TEMPLATES);
	it_write_config(env, "managers.cfg", MANAGERS);
	*state = env;
	return 0;
}

static int teardown(void **state)
{
	struct it_env *env = *state;

	it_emu_stop(env);
	it_env_cleanup(env);
	free(env);
	return 0;
}

/* How a run differs from it_run(): a user to run as, a symlink to plant. */
struct run_how {
	bool as_nobody;           /* through setpriv, as uid and gid 65534 */
	const char *plant_dir;    /* plant <dir>/gceb_<job>.prom.tmp.<pid> ... */
	const char *plant_target; /* ... pointing here */
};

static char *slurp(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)n + 1);

	assert_non_null(buf);
	assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
	buf[n] = '\0';
	return buf;
}

static int run(const struct it_env *env, struct it_result *res, const struct run_how *how,
	       const char *job, ...)
{
	char bin[512], *argv[40], out_path[] = "/tmp/gceb-it-out-XXXXXX",
				  err_path[] = "/tmp/gceb-it-err-XXXXXX";
	const struct run_how none = { 0 };
	int argc = 0, status, out_fd, err_fd;
	const char *a;
	va_list ap;
	pid_t pid;

	how = how ? how : &none;
	(void)snprintf(bin, sizeof(bin), "%s/gceb-%s", GCEB_BIN_DIR, job);
	if (how->as_nobody) {
		argv[argc++] = (char *)"setpriv";
		argv[argc++] = (char *)"--reuid=65534";
		argv[argc++] = (char *)"--regid=65534";
		argv[argc++] = (char *)"--clear-groups";
	}
	argv[argc++] = bin;
	argv[argc++] = (char *)"--state-dir";
	argv[argc++] = (char *)env->state_dir;
	argv[argc++] = (char *)"--config-dir";
	argv[argc++] = (char *)env->config_dir;
	va_start(ap, job);
	while ((a = va_arg(ap, const char *)) && argc < 39)
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
		/* The pid stays through exec: the name the old writer would have used. */
		if (how->plant_dir) {
			char link[512];

			(void)snprintf(link, sizeof(link), "%s/gceb_%s.prom.tmp.%ld",
				       how->plant_dir, job, (long)getpid());
			if (symlink(how->plant_target, link) != 0)
				_exit(126);
		}
		(void)alarm(RUN_LIMIT_S); /* kept across exec */
		execvp(argv[0], argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	res->status = status;
	res->out = slurp(out_fd);
	res->err = slurp(err_fd);
	(void)close(out_fd);
	(void)close(err_fd);
	return status;
}

/* Run @job, expect @want, and @part (and @part2, if not NULL) in its stderr. */
static void expect(const struct it_env *env, int want, const char *part, const char *part2,
		   const char *job, const char *arg1, const char *arg2)
{
	struct it_result res;

	(void)run(env, &res, NULL, job, arg1, arg2, NULL);
	if (res.status != want || !strstr(res.err, part) || (part2 && !strstr(res.err, part2)))
		print_message("gceb-%s: exit %d, stderr: %s\n", job, res.status, res.err);
	assert_int_equal(res.status, want);
	assert_non_null(strstr(res.err, part));
	if (part2)
		assert_non_null(strstr(res.err, part2));
	it_result_release(&res);
}

static void data_path(const struct it_env *env, char *path, size_t len)
{
	(void)snprintf(path, len, "%s/db/data.mdb", env->state_dir);
}

static off_t size_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_size;
}

static const char *stored_revision(const cJSON *st)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(st, "config"), "revision");

	return cJSON_IsString(r) ? r->valuestring : NULL;
}

/* <state>/db, as an existing store directory; the state directory may exist already. */
static void make_store_dir(const struct it_env *env, char *path, size_t len)
{
	(void)snprintf(path, len, "%s/db", env->state_dir);
	assert_true(mkdir(env->state_dir, 0700) == 0 || errno == EEXIST);
	assert_int_equal(mkdir(path, 0700), 0);
}

/* A data.mdb shorter than its meta page says: 74 from every binary, no SIGBUS. */
static void store_cut_short_refused(void **state)
{
	static const char *const jobs[] = { "status", "import-config", "process-config",
					    "fetch-instances" };
	struct it_env *env = *state;
	char path[256];
	off_t cut;
	size_t i;

	it_run_ok(env, "import-config");
	data_path(env, path, sizeof(path));
	/* Both meta pages stay, the pages they point at go: what LMDB would map. */
	cut = (off_t)2 * 4096;
	assert_true(size_of(path) > cut);
	assert_int_equal(truncate(path, cut), 0);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
		expect(env, 74, "data.mdb' is cut short", "mdb_copy", jobs[i], NULL, NULL);
	assert_int_equal(size_of(path), cut); /* left as it was for the operator */
	/* Cut inside the first meta page. */
	assert_int_equal(truncate(path, 100), 0);
	expect(env, 74, "ends inside its first meta page", "mdb_copy", "status", NULL, NULL);
	expect(env, 74, "ends inside its first meta page", "mdb_copy", "import-config", NULL, NULL);
	assert_int_equal(size_of(path), 100);
}

/* A 0-byte data.mdb is refused, not replaced by an empty store. */
static void empty_store_file_refused(void **state)
{
	struct it_env *env = *state;
	char path[256];

	make_store_dir(env, path, sizeof(path));
	data_path(env, path, sizeof(path));
	it_write_file(path, "", 0);
	expect(env, 74, "data.mdb' is empty (0 bytes)", "mdb_copy", "import-config", NULL, NULL);
	expect(env, 74, "data.mdb' is empty (0 bytes)", NULL, "process-config", NULL, NULL);
	expect(env, 74, "data.mdb' is empty (0 bytes)", NULL, "status", NULL, NULL);
	assert_int_equal(size_of(path), 0);
}

/* A missing data.mdb in an existing state directory is still created on first use. */
static void missing_store_file_created(void **state)
{
	struct it_env *env = *state;
	char path[256];
	cJSON *st;

	make_store_dir(env, path, sizeof(path));
	it_run_ok(env, "import-config");
	st = it_status(env);
	assert_non_null(stored_revision(st));
	cJSON_Delete(st);
}

static void make_fifo(const char *path)
{
	(void)unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
}

/* A FIFO in place of an input file is refused at once, naming the file (exit 78). */
static void fifo_inputs_refused(void **state)
{
	struct it_env *env = *state;
	char path[256], flag[300];

	it_run_ok(env, "import-config"); /* a store, for the jobs that need one */
	(void)snprintf(path, sizeof(path), "%s/templates.cfg", env->config_dir);
	make_fifo(path);
	expect(env, 78, path, "is a FIFO, not a regular file", "import-config", NULL, NULL);
	assert_int_equal(unlink(path), 0); /* writing would wait for a reader */
	it_write_config(env, "templates.cfg", TEMPLATES);
	(void)snprintf(path, sizeof(path), "%s/managers.cfg", env->config_dir);
	make_fifo(path);
	expect(env, 78, path, "is a FIFO, not a regular file", "import-config", NULL, NULL);
	assert_int_equal(unlink(path), 0);
	it_write_config(env, "managers.cfg", MANAGERS);

	/* settings.cfg is read by every binary, before its lock. */
	(void)snprintf(path, sizeof(path), "%s/settings.cfg", env->config_dir);
	make_fifo(path);
	expect(env, 78, path, "is a FIFO", "status", NULL, NULL);
	expect(env, 78, path, "is a FIFO", "import-config", NULL, NULL);
	assert_int_equal(unlink(path), 0);

	(void)snprintf(path, sizeof(path), "%s/token", env->root);
	make_fifo(path);
	(void)snprintf(flag, sizeof(flag), "--token-file=%s", path);
	expect(env, 78, "token file", "is a FIFO", "fetch-instances", flag, NULL);
	(void)snprintf(path, sizeof(path), "%s/key.json", env->root);
	make_fifo(path);
	(void)snprintf(flag, sizeof(flag), "--key-file=%s", path);
	expect(env, 78, "key file", "is a FIFO", "fetch-instances", flag, NULL);
	/* A directory is no better. */
	(void)snprintf(flag, sizeof(flag), "--token-file=%s", env->root);
	expect(env, 78, "token file", "is a directory", "fetch-instances", flag, NULL);
}

/* A 0-byte templates.cfg or managers.cfg is refused; the stored config stays. */
static void empty_config_refused(void **state)
{
	struct it_env *env = *state;
	char before[64];
	cJSON *st;

	it_run_ok(env, "import-config");
	st = it_status(env);
	(void)snprintf(before, sizeof(before), "%s", stored_revision(st));
	cJSON_Delete(st);

	it_write_config(env, "managers.cfg", "");
	expect(env, 78, "managers.cfg is empty (0 bytes)", "a comment", "import-config", NULL,
	       NULL);
	it_write_config(env, "managers.cfg", MANAGERS);
	it_write_config(env, "templates.cfg", "");
	expect(env, 78, "templates.cfg is empty (0 bytes)", NULL, "import-config", NULL, NULL);
	st = it_status(env);
	assert_string_equal(stored_revision(st), before);
	cJSON_Delete(st);

	/* An intentionally empty fleet says so. */
	it_write_config(env, "templates.cfg", "# no templates: every group is drained\n");
	it_write_config(env, "managers.cfg", "# no groups\n");
	it_run_ok(env, "import-config");
	st = it_status(env);
	assert_string_not_equal(stored_revision(st), before);
	cJSON_Delete(st);
}

static void luci_env(struct it_env *env, char *luci, size_t len)
{
	char served[160], path[256];

	(void)snprintf(served, sizeof(served), "%s/served", env->root);
	assert_int_equal(mkdir(served, 0755), 0);
	(void)snprintf(path, sizeof(path), "%s/templates.cfg", served);
	it_write_file(path, TEMPLATES, strlen(TEMPLATES));
	(void)snprintf(path, sizeof(path), "%s/managers.cfg", served);
	it_write_file(path, MANAGERS, strlen(MANAGERS));
	it_emu_start(env, "--config-dir", served, NULL);
	(void)snprintf(luci, len, "--luci-config=%s/_ah/api/config/v1/", env->emu_url);
}

/*
 * LUCI content must match its content_hash: an answer emptied on the way
 * (here, by an injected fault) is refused, exit 76; a file that really is
 * empty is refused like a 0-byte file in the directory, exit 78.
 */
static void luci_content_checked(void **state)
{
	struct it_env *env = *state;
	char luci[256];
	long status;
	cJSON *st;

	luci_env(env, luci, sizeof(luci));
	cJSON_Delete(it_emu_call(
		env, "POST", "/_emu/faults",
		"{\"path\": \"/_ah/api/config/v1/config/v1*\", \"action\": "
		"\"status\", \"status\": 200, \"body\": \"{\\\"content\\\": \\\"\\\"}\"}",
		&status));
	assert_int_equal(status, 200);
	expect(env, 76, "does not match its content_hash", "nothing imported", "import-config",
	       luci, NULL);
	st = it_status(env);
	assert_null(stored_revision(st));
	cJSON_Delete(st);
	cJSON_Delete(it_emu_call(env, "DELETE", "/_emu/faults", NULL, &status));
	assert_int_equal(status, 200);

	cJSON_Delete(
		it_emu_call(env, "POST", "/_emu/luci/publish",
			    "{\"revision\": \"r2\", \"files\": {\"templates.cfg\": \"# none\", "
			    "\"managers.cfg\": \"\"}}",
			    &status));
	assert_int_equal(status, 200);
	expect(env, 78, "managers.cfg is empty (0 bytes)", NULL, "import-config", luci, NULL);
	st = it_status(env);
	assert_null(stored_revision(st));
	cJSON_Delete(st);
}

/*
 * The metrics writer's temporary is its own (mkstemp): a symlink planted at
 * the name the writer used to open with O_CREAT|O_TRUNC is not followed.
 */
static void metrics_temporary_not_followed(void **state)
{
	struct it_env *env = *state;
	char dir[256], victim[256], prom[300], flag[300], buf[64] = "";
	const struct run_how plant = { .plant_dir = dir, .plant_target = victim };
	struct it_result res;
	struct stat st;
	FILE *f;

	(void)snprintf(dir, sizeof(dir), "%s/metrics", env->root);
	(void)snprintf(victim, sizeof(victim), "%s/victim", env->root);
	(void)snprintf(prom, sizeof(prom), "%s/gceb_import-config.prom", dir);
	(void)snprintf(flag, sizeof(flag), "--metrics-dir=%s", dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	it_write_file(victim, "keep\n", 5);
	assert_int_equal(run(env, &res, &plant, "import-config", flag, NULL), 0);
	assert_string_equal(res.err, "");
	it_result_release(&res);
	f = fopen(victim, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	(void)fclose(f);
	assert_string_equal(buf, "keep\n");
	assert_int_equal(lstat(prom, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0644);
}

/* gceb-status reads a store it may read but not write (its lock file). */
static void status_reads_store_it_cannot_write(void **state)
{
	struct it_env *env = *state;
	const struct run_how how = { .as_nobody = geteuid() == 0 };
	char db[256], path[300];
	struct it_result res;

	it_run_ok(env, "import-config");
	(void)snprintf(db, sizeof(db), "%s/db", env->state_dir);
	if (how.as_nobody) {
		/* Root ignores permissions: the reader is nobody, who may only read. */
		assert_int_equal(chmod(env->root, 0755), 0);
		assert_int_equal(chmod(env->state_dir, 0755), 0);
		assert_int_equal(chmod(db, 0755), 0);
		(void)snprintf(path, sizeof(path), "%s/data.mdb", db);
		assert_int_equal(chmod(path, 0644), 0);
		(void)snprintf(path, sizeof(path), "%s/lock.mdb", db);
		assert_int_equal(chmod(path, 0644), 0);
	} else {
		(void)snprintf(path, sizeof(path), "%s/lock.mdb", db);
		assert_int_equal(chmod(path, 0444), 0);
		assert_int_equal(chmod(db, 0555), 0);
	}
	(void)run(env, &res, &how, "status", NULL);
	if (res.status != 0)
		print_message("stderr: %s\n", res.err);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out, "config revision: "));
	it_result_release(&res);
	(void)run(env, &res, &how, "status", "--json", NULL);
	assert_int_equal(res.status, 0);
	it_result_release(&res);
	if (!how.as_nobody) {
		assert_int_equal(chmod(db, 0700), 0);
		assert_int_equal(chmod(path, 0600), 0);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(store_cut_short_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_store_file_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_store_file_created, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_inputs_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(empty_config_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(luci_content_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(metrics_temporary_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(status_reads_store_it_cannot_write, setup,
						teardown),
	};

	return gceb_test_run("damaged", tests, argc, argv);
}
