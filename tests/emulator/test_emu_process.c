/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_process.c - options, loopback-only binding, port file, seed, time scale */
#include <fcntl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "runner.h"
#include "test_emu_common.h"

static int setup(void **state)
{
	static const char *const args[] = { "--no-auth", NULL };

	(void)state;
	return start_emu(args);
}

/* Runs the emulator to completion with its output discarded; the exit status. */
static int run(const char *const *args)
{
	const char *argv[16] = { GCEB_EMULATOR };
	size_t n = 1;
	int status;
	pid_t pid;

	while (args[n - 1] && n < 15) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);

		(void)dup2(fd, 1);
		(void)dup2(fd, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	(void)waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void help_and_bad_options(void **state)
{
	static const char *const help[] = { "--help", NULL };
	static const char *const bogus[] = { "--bogus", NULL };
	static const char *const any[] = { "--listen", "0.0.0.0:0", NULL };
	static const char *const lan[] = { "--listen", "10.1.2.3:0", NULL };
	static const char *const junk[] = { "--listen", "nonsense", NULL };
	static const char *const scale[] = { "--time-scale", "-2", NULL };
	static const char *const key[] = { "--sa-public-key", "/nonexistent.pem", NULL };

	(void)state;
	assert_int_equal(run(help), 0);
	assert_int_equal(run(bogus), 1);
	assert_int_equal(run(any), 1);
	assert_int_equal(run(lan), 1);
	assert_int_equal(run(junk), 1);
	assert_int_equal(run(scale), 1);
	assert_int_equal(run(key), 1);
}

static void port_file_names_the_root(void **state)
{
	(void)state;
	assert_memory_equal(P.root, "http://127.0.0.1:", 17);
	assert_true(strtol(strrchr(P.root, ':') + 1, NULL, 10) > 0);
	cJSON_Delete(CALL("GET", "/_emu/health", NULL, 200));
}

static void first_name(char *out, size_t size)
{
	cJSON *j;

	cJSON_Delete(CALL("POST", "/compute/v1/projects/p/global/instanceTemplates",
			  "{\"name\":\"t\"}", 200));
	advance(3);
	cJSON_Delete(CALL("POST", "/compute/v1/projects/p/zones/z/instanceGroupManagers",
			  "{\"name\":\"m\",\"baseInstanceName\":\"m\",\"instanceTemplate\":"
			  "\"global/instanceTemplates/t\",\"targetSize\":2}",
			  200));
	advance(3);
	j = CALL("POST",
		 "/compute/v1/projects/p/zones/z/instanceGroupManagers/m/listManagedInstances",
		 NULL, 200);
	(void)snprintf(out, size, "%s", strrchr(emu_str(j, "managedInstances.0.instance"), '/'));
	cJSON_Delete(j);
}

static void seed_makes_names_deterministic(void **state)
{
	static const char *const a[] = { "--no-auth", "--seed", "42", NULL };
	static const char *const b[] = { "--no-auth", "--seed", "43", NULL };
	char n1[128], n2[128], n3[128];

	(void)state;
	restart(a);
	first_name(n1, sizeof(n1));
	restart(a);
	first_name(n2, sizeof(n2));
	restart(b);
	first_name(n3, sizeof(n3));
	assert_string_equal(n1, n2);
	assert_string_not_equal(n1, n3);
}

static void time_scale_speeds_the_clock(void **state)
{
	static const char *const args[] = { "--no-auth", "--time-scale", "3600", NULL };
	struct timespec ts = { .tv_sec = 0, .tv_nsec = 300000000 };
	cJSON *a, *b;

	(void)state;
	restart(args);
	a = CALL("GET", "/_emu/clock", NULL, 200);
	(void)nanosleep(&ts, NULL);
	b = CALL("GET", "/_emu/clock", NULL, 200);
	/* 0.3 s of real time is at least 15 virtual minutes */
	assert_true(emu_num(b, "now_ms") - emu_num(a, "now_ms") >= 900000);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void sigterm_exits_cleanly(void **state)
{
	(void)state;
	assert_int_equal(emu_proc_stop(&P), 0);
	assert_int_equal(start_emu(NULL), 0); /* for the teardown */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(help_and_bad_options, setup, teardown),
		cmocka_unit_test_setup_teardown(port_file_names_the_root, setup, teardown),
		cmocka_unit_test_setup_teardown(seed_makes_names_deterministic, setup, teardown),
		cmocka_unit_test_setup_teardown(time_scale_speeds_the_clock, setup, teardown),
		cmocka_unit_test_setup_teardown(sigterm_exits_cleanly, setup, teardown),
	};

	return gceb_test_run("emulator.process", tests, argc, argv);
}
