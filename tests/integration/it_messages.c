/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_messages.c - what a job prints is one harmless line per message: values
 * from config files are escaped (no forged lines, no terminal escapes), and
 * a long message is never cut silently.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

struct fixture {
	struct it_env env;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	it_env_init(&f->env);
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

/* Every line of @text starts with "gceb-<job>: ". */
static void assert_lines_from(const char *text, const char *program)
{
	const char *line;

	for (line = text; *line; line = strchr(line, '\n') + 1) {
		if (strncmp(line, program, strlen(program)) != 0)
			fail_msg("a line not from %s: '%.*s'", program, (int)strcspn(line, "\n"),
				 line);
		if (!strchr(line, '\n'))
			break;
	}
}

/* A zone holding a newline and a clear-screen sequence. */
static void config_values_escaped(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };

	it_write_config(&f->env, "templates.cfg",
			"templates { base_name: \"web\" project: \"p\" image_name: \"i\" "
			"machine_type: \"m\" }\n");
	it_write_config(&f->env, "managers.cfg",
			"managers { template_base_name: \"web\" zone: "
			"\"us-a\\ngceb-import-config: error: forged\\033[2J\" minimum_size: 1 }\n");
	assert_int_equal(it_run(&f->env, &res, "import-config", NULL), 78);
	assert_null(strchr(res.err, '\033'));
	assert_lines_from(res.err, "gceb-import-config: error: ");
	assert_non_null(strstr(res.err, "zone 'us-a\\ngceb-import-config: error: forged\\x1b[2J'"));
	it_result_release(&res);
}

/* A 5,000-character base name: the reason is still there, after the name. */
static void long_message_keeps_its_reason(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };
	char *cfg = malloc(6000);

	assert_non_null(cfg);
	(void)snprintf(cfg, 6000,
		       "templates { base_name: \"%0*d\" project: \"p\" image_name: \"i\" "
		       "machine_type: \"m\" }\n",
		       5000, 0);
	it_write_config(&f->env, "templates.cfg", cfg);
	it_write_config(&f->env, "managers.cfg", "# no groups\n");
	assert_int_equal(it_run(&f->env, &res, "import-config", NULL), 78);
	assert_non_null(strstr(res.err, "' is longer than 22 characters"));
	free(cfg);
	it_result_release(&res);
}

/* --max-concurrency and GCEB_MAX_CONCURRENCY take settings.cfg's range, 1 to 1024. */
static void concurrency_range_everywhere(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };

	it_write_config(&f->env, "templates.cfg", "# none\n");
	it_write_config(&f->env, "managers.cfg", "# none\n");
	assert_int_equal(
		it_run(&f->env, &res, "fetch-instances", "--max-concurrency", "4294967295", NULL),
		78);
	assert_non_null(strstr(res.err, "must be between 1 and 1024"));
	it_result_release(&res);
	assert_int_equal(setenv("GCEB_MAX_CONCURRENCY", "1025", 1), 0);
	assert_int_equal(it_run(&f->env, &res, "fetch-instances", NULL), 78);
	assert_int_equal(unsetenv("GCEB_MAX_CONCURRENCY"), 0);
	assert_non_null(strstr(res.err, "must be between 1 and 1024"));
	it_result_release(&res);
	it_write_config(&f->env, "settings.cfg", "max_concurrency: 1025\n");
	assert_int_equal(it_run(&f->env, &res, "fetch-instances", NULL), 78);
	assert_non_null(strstr(res.err, "max_concurrency must be between 1 and 1024"));
	it_result_release(&res);
}

/*
 * Run gceb-@job with stdout on @out (NULL: closed) and stderr on /dev/null;
 * its exit status.
 */
static int run_to(const struct fixture *f, const char *out, const char *job, const char *arg)
{
	char bin[512];
	pid_t pid;
	int st;

	(void)snprintf(bin, sizeof(bin), "%s/gceb-%s", GCEB_BIN_DIR, job);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = out ? open(out, O_WRONLY) : -1, err = open("/dev/null", O_WRONLY);

		if (fd >= 0)
			(void)dup2(fd, 1);
		else
			(void)close(1);
		(void)dup2(err, 2);
		execl(bin, bin, "--state-dir", f->env.state_dir, "--config-dir", f->env.config_dir,
		      arg, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Output that cannot be written fails the run (74): help, version, the dry-run plan. */
static void stdout_write_errors(void **state)
{
	struct fixture *f = *state;

	it_write_config(&f->env, "templates.cfg", "# none\n");
	it_write_config(&f->env, "managers.cfg", "# none\n");
	assert_int_equal(run_to(f, "/dev/full", "status", "--help"), 74);
	assert_int_equal(run_to(f, "/dev/full", "fetch-instances", "--version"), 74);
	assert_int_equal(run_to(f, NULL, "status", "--version"), 74);
	assert_int_equal(run_to(f, "/dev/full", "import-config", "-n"), 74);
	assert_int_equal(run_to(f, "/dev/null", "import-config", "-n"), 0);
	assert_int_equal(run_to(f, "/dev/null", "status", "--version"), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(config_values_escaped, setup, teardown),
		cmocka_unit_test_setup_teardown(long_message_keeps_its_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrency_range_everywhere, setup, teardown),
		cmocka_unit_test_setup_teardown(stdout_write_errors, setup, teardown),
	};

	return gceb_test_run("messages", tests, argc, argv);
}
