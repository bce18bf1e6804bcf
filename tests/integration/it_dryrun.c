/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_dryrun.c - -n is a plan: every mutation printed whole, nothing made on
 * disk (no store, no lock file), each job's plan labelled by gceb-run-all.
 */
#include <dirent.h>
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

/* A metadata value far longer than the 200 bytes a plan line used to keep. */
#define LONG_VALUE                                                                    \
 "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789" \
 "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghij" \
 "klmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz-the-end"

static const char TEMPLATES[] =
	"templates {\n"
	"  base_name: \"web\" project: \"proj\" image_name: \"debian-12\"\n"
	"  machine_type: \"n1-standard-2\"\n"
	"  metadata: \"startup:" LONG_VALUE "\"\n"
	"  service_accounts { name: \"bot@proj.iam.gserviceaccount.com\" }\n"
	"}\n";
static const char MANAGERS[] =
	"managers { template_base_name: \"web\" zone: \"us-a\" minimum_size: 1 }\n";

static int setup(void **state)
{
	struct it_env *env = it_env_new();

	it_write_config(env, "templates.cfg", TEMPLATES);
	it_write_config(env, "managers.cfg", MANAGERS);
	*state = env;
	return 0;
}

/* How many entries @dir holds besides . and .. */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	const struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) // cppcheck-suppress readdirCalled ; one thread
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	(void)closedir(d);
	return n;
}

/* Before any real run: a plan for each job, and the state directory stays empty. */
static void plan_without_a_store(void **state)
{
	struct it_env *env = *state;
	struct it_result res;

	assert_int_equal(it_run(env, &res, "run-all", "-n", NULL), 0);
	assert_non_null(strstr(res.out, "== gceb-import-config\n"));
	assert_non_null(strstr(res.out, "would import config revision "));
	assert_non_null(strstr(res.out, "== gceb-cleanup-entities\nno store yet in '"));
	assert_non_null(strstr(res.out, "a real run of gceb-fetch-instances would create it"));
	it_result_release(&res);
	assert_int_equal(entries(env->state_dir), 0);
}

/* With a store: no lock file is made, and the plan prints each body whole. */
static void plan_is_whole_and_makes_nothing(void **state)
{
	struct it_env *env = *state;
	struct it_result res;
	char locks[300];
	const char *line;

	it_emu_start(env, NULL);
	it_run_ok(env, "import-config");
	it_run_ok(env, "process-config");
	/* What the real runs made: a dry run must not make it again. */
	(void)snprintf(locks, sizeof(locks), "%s/locks/import-config.lock", env->state_dir);
	assert_int_equal(unlink(locks), 0);
	(void)snprintf(locks, sizeof(locks), "%s/locks/process-config.lock", env->state_dir);
	assert_int_equal(unlink(locks), 0);
	(void)snprintf(locks, sizeof(locks), "%s/locks", env->state_dir);
	assert_int_equal(rmdir(locks), 0);
	assert_int_equal(it_run(env, &res, "create-instance-templates", "-n", NULL), 0);
	line = strstr(res.out, "would POST ");
	assert_non_null(line);
	/* One line: the whole body, to its closing brace. */
	assert_non_null(strstr(line, LONG_VALUE));
	assert_non_null(strstr(line, "}\n"));
	assert_true(strstr(line, LONG_VALUE) < strchr(line, '\n'));
	it_result_release(&res);
	(void)snprintf(locks, sizeof(locks), "%s/locks", env->state_dir);
	assert_int_equal(access(locks, F_OK), -1);
	assert_int_equal(it_emu_count_requests(env, "POST", "/global/instanceTemplates"), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(plan_without_a_store, setup, it_env_teardown),
		cmocka_unit_test_setup_teardown(plan_is_whole_and_makes_nothing, setup,
						it_env_teardown),
	};

	return gceb_test_run("dryrun", tests, argc, argv);
}
