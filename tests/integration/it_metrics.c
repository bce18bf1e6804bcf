/* SPDX-License-Identifier: Apache-2.0 */
/* it_metrics.c - --metrics-dir: the textfile-collector files the jobs write */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

static const char TEMPLATES[] = "templates { base_name: \"web\" project: \"proj\" "
				"image_name: \"debian-12\" machine_type: \"n1-standard-2\" }\n";
static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 2 }\n";

struct fixture {
	struct it_env env;
	char dir[160];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	it_env_init(&f->env);
	(void)snprintf(f->dir, sizeof(f->dir), "%s/metrics", f->env.root);
	assert_int_equal(mkdir(f->dir, 0755), 0);
	it_write_config(&f->env, "templates.cfg", TEMPLATES);
	it_write_config(&f->env, "managers.cfg", MANAGERS);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	it_env_cleanup(&f->env);
	free(f);
	return 0;
}

static char *slurp_file(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(fp);
	assert_non_null(buf);
	(void)fread(buf, 1, 65535, fp);
	(void)fclose(fp);
	return buf;
}

static char *metrics(const struct fixture *f, const char *job)
{
	char path[256];

	(void)snprintf(path, sizeof(path), "%s/gceb_%s.prom", f->dir, job);
	return slurp_file(path);
}

static double sample(const char *text, const char *series)
{
	const char *p = strstr(text, series);

	if (!p)
		print_message("no '%s' in:\n%s\n", series, text);
	assert_non_null(p);
	return strtod(p + strlen(series), NULL);
}

static void run_with_metrics(const struct fixture *f, const char *job, int expect)
{
	assert_int_equal(it_run(&f->env, NULL, job, "--metrics-dir", f->dir, NULL), expect);
}

/* A good run: timestamps, duration, exit status, config_valid for each file. */
static void import_writes_its_file(void **state)
{
	struct fixture *f = *state;
	char *m;

	run_with_metrics(f, "import-config", 0);
	m = metrics(f, "import-config");
	assert_true(sample(m, "gceb_job_last_run_timestamp_seconds{gceb_job=\"import-config\"} ") >
		    1e9);
	assert_true(
		sample(m, "gceb_job_last_success_timestamp_seconds{gceb_job=\"import-config\"} ") >
		1e9);
	assert_true(sample(m, "gceb_job_exit_status{gceb_job=\"import-config\"} ") == 0);
	assert_true(sample(m, "gceb_config_valid{file=\"templates.cfg\"} ") == 1);
	assert_true(sample(m, "gceb_config_valid{file=\"managers.cfg\"} ") == 1);
	free(m);
}

/* A bad managers.cfg: valid 0 for that file only; the last success is kept from before. */
static void failure_keeps_last_success(void **state)
{
	struct fixture *f = *state;
	double success;
	char *m;

	run_with_metrics(f, "import-config", 0);
	m = metrics(f, "import-config");
	success = sample(m, "gceb_job_last_success_timestamp_seconds{gceb_job=\"import-config\"} ");
	free(m);
	it_write_config(&f->env, "managers.cfg", "managers { bogus: 1 }");
	run_with_metrics(f, "import-config", 78);
	m = metrics(f, "import-config");
	assert_true(sample(m, "gceb_job_exit_status{gceb_job=\"import-config\"} ") == 78);
	assert_true(
		sample(m, "gceb_job_last_success_timestamp_seconds{gceb_job=\"import-config\"} ") ==
		success);
	assert_true(sample(m, "gceb_config_valid{file=\"templates.cfg\"} ") == 1);
	assert_true(sample(m, "gceb_config_valid{file=\"managers.cfg\"} ") == 0);
	free(m);
}

/*
 * A run that finds the lock held counts a skip and how long the lock has been
 * held, and leaves the last run's gauges alone: a hung job must not look
 * healthy. The count carries over.
 */
static void lock_skips_counted(void **state)
{
	struct fixture *f = *state;
	double success, last_run;
	char path[256];
	struct timespec old[2] = { { .tv_sec = 1000000000 }, { .tv_sec = 1000000000 } };
	char *m;
	int fd;

	run_with_metrics(f, "import-config", 0);
	m = metrics(f, "import-config");
	success = sample(m, "gceb_job_last_success_timestamp_seconds{gceb_job=\"import-config\"} ");
	last_run = sample(m, "gceb_job_last_run_timestamp_seconds{gceb_job=\"import-config\"} ");
	assert_true(sample(m, "gceb_job_lock_held_seconds{gceb_job=\"import-config\"} ") == 0);
	free(m);
	(void)snprintf(path, sizeof(path), "%s/locks/import-config.lock", f->env.state_dir);
	fd = open(path, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	/* As if the holder had taken it long ago. */
	assert_int_equal(futimens(fd, old), 0);
	run_with_metrics(f, "import-config", 0);
	run_with_metrics(f, "import-config", 0);
	(void)close(fd);
	m = metrics(f, "import-config");
	assert_true(sample(m, "gceb_job_lock_skips_total{gceb_job=\"import-config\"} ") == 2);
	assert_true(sample(m, "gceb_job_lock_held_seconds{gceb_job=\"import-config\"} ") > 1e8);
	assert_true(
		sample(m, "gceb_job_last_success_timestamp_seconds{gceb_job=\"import-config\"} ") ==
		success);
	assert_true(sample(m, "gceb_job_last_run_timestamp_seconds{gceb_job=\"import-config\"} ") ==
		    last_run);
	assert_true(
		sample(m, "gceb_job_runs_total{gceb_job=\"import-config\",result=\"success\"} ") ==
		1);
	assert_true(
		sample(m,
		       "gceb_job_last_lock_skip_timestamp_seconds{gceb_job=\"import-config\"} ") >=
		last_run);
	/* The config gauges of the last real run stay in the file. */
	assert_true(sample(m, "gceb_config_valid{file=\"templates.cfg\"} ") == 1);
	free(m);
	/* A run that takes the lock again: held is 0, the skips stay counted. */
	run_with_metrics(f, "import-config", 0);
	m = metrics(f, "import-config");
	assert_true(sample(m, "gceb_job_lock_held_seconds{gceb_job=\"import-config\"} ") == 0);
	assert_true(sample(m, "gceb_job_lock_skips_total{gceb_job=\"import-config\"} ") == 2);
	free(m);
}

/*
 * Counters add up across runs, kept in the state directory: a cleared
 * metrics directory does not reset them.
 */
static void counters_are_cumulative(void **state)
{
	struct fixture *f = *state;
	char path[256];
	char *m;

	run_with_metrics(f, "import-config", 0);
	(void)snprintf(path, sizeof(path), "%s/gceb_import-config.prom", f->dir);
	assert_int_equal(unlink(path), 0);
	it_write_config(&f->env, "managers.cfg", "managers { bogus: 1 }");
	run_with_metrics(f, "import-config", 78);
	m = metrics(f, "import-config");
	assert_true(
		sample(m, "gceb_job_runs_total{gceb_job=\"import-config\",result=\"success\"} ") ==
		1);
	assert_true(
		sample(m, "gceb_job_runs_total{gceb_job=\"import-config\",result=\"failure\"} ") ==
		1);
	assert_non_null(strstr(m, "# TYPE gceb_job_runs_total counter\n"));
	free(m);
}

/* A state file that is not ours is said so, and the counters start again. */
static void damaged_state_restarts_counters(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };
	char path[256];
	FILE *fp;
	char *m;

	run_with_metrics(f, "import-config", 0);
	(void)snprintf(path, sizeof(path), "%s/metrics/import-config.state", f->env.state_dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	(void)fputs("gceb-metrics 1\ngceb_job_runs_total{result=\"success\"} lots\n", fp);
	(void)fclose(fp);
	assert_int_equal(it_run(&f->env, &res, "import-config", "--metrics-dir", f->dir, NULL), 0);
	assert_non_null(strstr(res.err, "is not a gceb metrics state file"));
	it_result_release(&res);
	m = metrics(f, "import-config");
	assert_true(
		sample(m, "gceb_job_runs_total{gceb_job=\"import-config\",result=\"success\"} ") ==
		1);
	free(m);
	/* A FIFO planted there is not waited on: said so, and replaced. */
	assert_int_equal(unlink(path), 0);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(it_run(&f->env, &res, "import-config", "--metrics-dir", f->dir, NULL), 0);
	assert_non_null(strstr(res.err, "is a FIFO"));
	it_result_release(&res);
}

/* No label Prometheus owns: job and instance are renamed exported_* when scraped. */
static void no_reserved_labels(void **state)
{
	struct fixture *f = *state;
	char *m;

	run_with_metrics(f, "import-config", 0);
	run_with_metrics(f, "process-config", 0);
	assert_int_equal(it_run(&f->env, NULL, "status", "--metrics-dir", f->dir, NULL), 0);
	m = metrics(f, "import-config");
	assert_null(strstr(m, "{job="));
	assert_null(strstr(m, ",job="));
	assert_null(strstr(m, "instance="));
	free(m);
	m = metrics(f, "status");
	assert_null(strstr(m, "{job="));
	assert_null(strstr(m, "instance="));
	free(m);
}

/*
 * Each family whole: its HELP and TYPE, then all its samples, and never met
 * again (the exposition format's rule, which promtool does not check).
 */
static void assert_families_whole(const char *text, const char *file)
{
	char family[128] = "", seen[4096] = " ", name[160];
	const char *line;

	for (line = text; *line; line = strchr(line, '\n') + 1) {
		size_t n = strcspn(line, "{ \n");

		if (!strncmp(line, "# TYPE ", 7)) {
			(void)snprintf(family, sizeof(family), "%.*s", (int)strcspn(line + 7, " "),
				       line + 7);
			(void)snprintf(name, sizeof(name), " %s ", family);
			if (strstr(seen, name))
				fail_msg("%s: family %s appears twice", file, family);
			(void)strncat(seen, name + 1, sizeof(seen) - strlen(seen) - 1);
		} else if (line[0] != '#' && line[0] != '\n' &&
			   (n != strlen(family) || strncmp(line, family, n) != 0)) {
			fail_msg("%s: sample '%.*s' is not in its family's block (after %s)", file,
				 (int)n, line, family);
		}
		if (!strchr(line, '\n'))
			break;
	}
}

/*
 * "promtool check metrics" with @path on its stdin (no shell between): its
 * exit status, or -1 when it could not be run (127 when not installed).
 */
static int promtool_check(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), status;
	pid_t pid;

	if (fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		if (dup2(fd, STDIN_FILENO) == STDIN_FILENO)
			(void)execlp("promtool", "promtool", "check", "metrics", (char *)NULL);
		_exit(127);
	}
	(void)close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Every file passes promtool's own check (families whole, HELP and TYPE, names). */
static void promtool_accepts_every_file(void **state)
{
	struct fixture *f = *state;
	static const char *const jobs[] = { "import-config", "process-config", "status" };
	char path[512];
	char *m;
	size_t i;

	run_with_metrics(f, "import-config", 0);
	run_with_metrics(f, "process-config", 0);
	assert_int_equal(it_run(&f->env, NULL, "status", "--metrics-dir", f->dir, NULL), 0);
	for (i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++) {
		(void)snprintf(path, sizeof(path), "%s/gceb_%s.prom", f->dir, jobs[i]);
		m = metrics(f, jobs[i]);
		assert_families_whole(m, jobs[i]);
		free(m);
		if (promtool_check(path) != 0)
			fail_msg("promtool check metrics failed for gceb_%s.prom (is Debian's "
				 "prometheus package installed? scripts/install-deps installs it)",
				 jobs[i]);
	}
}

/* gceb-status adds instance counts and group sizes. */
static void status_adds_fleet_gauges(void **state)
{
	struct fixture *f = *state;
	char *m;

	run_with_metrics(f, "import-config", 0);
	run_with_metrics(f, "process-config", 0);
	assert_int_equal(it_run(&f->env, NULL, "status", "--metrics-dir", f->dir, NULL), 0);
	m = metrics(f, "status");
	assert_true(sample(m, "gceb_group_minimum_size{template=\"web\",zone=\"us-a\"} ") == 2);
	assert_non_null(strstr(m, "gceb_group_maximum_size{template=\"web\",zone=\"us-a\"} +Inf"));
	free(m);
}

/* --dry-run changes nothing, metrics files included. */
static void dry_run_writes_no_metrics(void **state)
{
	struct fixture *f = *state;
	char path[256];

	assert_int_equal(
		it_run(&f->env, NULL, "import-config", "-n", "--metrics-dir", f->dir, NULL), 0);
	(void)snprintf(path, sizeof(path), "%s/gceb_import-config.prom", f->dir);
	assert_int_equal(access(path, F_OK), -1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(import_writes_its_file, setup, teardown),
		cmocka_unit_test_setup_teardown(failure_keeps_last_success, setup, teardown),
		cmocka_unit_test_setup_teardown(lock_skips_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(counters_are_cumulative, setup, teardown),
		cmocka_unit_test_setup_teardown(damaged_state_restarts_counters, setup, teardown),
		cmocka_unit_test_setup_teardown(no_reserved_labels, setup, teardown),
		cmocka_unit_test_setup_teardown(promtool_accepts_every_file, setup, teardown),
		cmocka_unit_test_setup_teardown(status_adds_fleet_gauges, setup, teardown),
		cmocka_unit_test_setup_teardown(dry_run_writes_no_metrics, setup, teardown),
	};

	return gceb_test_run("metrics", tests, argc, argv);
}
