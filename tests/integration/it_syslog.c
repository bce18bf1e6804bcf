/* SPDX-License-Identifier: Apache-2.0 */
/*
 * it_syslog.c - --log syslog, GCEB_LOG and settings.cfg's log: the job's lines
 * reach syslog(3) with the right priority and ident, and none reach stderr.
 *
 * The test gives the job its own /dev/log: in a private mount namespace, a
 * tmpfs over /dev holds the few device nodes a job opens (bound from the
 * real /dev) and the test's datagram socket. That needs root (CI runs as
 * root); without it the test fails rather than pass on nothing.
 */
#define _GNU_SOURCE /* NOLINT(bugprone-reserved-identifier): unshare(), CLONE_NEWNS */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "runner.h"

/* LOG_DAEMON (3 << 3) plus the level: <27> error, <28> warning. */
#define PRI_DAEMON_ERR "<27>"

struct fixture {
	struct it_env env;
	char olddev[200];
	int sock;
};

static void bind_node(const char *olddev, const char *name)
{
	char from[256], to[64];
	FILE *f;

	(void)snprintf(from, sizeof(from), "%s/%s", olddev, name);
	(void)snprintf(to, sizeof(to), "/dev/%s", name);
	f = fopen(to, "w");
	assert_non_null(f);
	(void)fclose(f);
	if (mount(from, to, NULL, MS_BIND, NULL) < 0)
		fail_msg("cannot bind %s: %s", from, strerror(errno));
}

/* This process (and the jobs it starts) get a /dev whose log is our socket. */
static int setup(void **state)
{
	static const char *const nodes[] = { "null", "zero", "full", "random", "urandom" };
	struct fixture *f = calloc(1, sizeof(*f));
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t i;

	assert_non_null(f);
	if (geteuid() != 0)
		fail_msg("it_syslog needs root to give the job its own /dev/log (unshare)");
	it_env_init(&f->env);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		fail_msg("cannot make a private mount namespace: %s", strerror(errno));
	(void)snprintf(f->olddev, sizeof(f->olddev), "%s/olddev", f->env.root);
	assert_int_equal(mkdir(f->olddev, 0700), 0);
	assert_int_equal(mount("/dev", f->olddev, NULL, MS_BIND | MS_REC, NULL), 0);
	assert_int_equal(mount("tmpfs", "/dev", "tmpfs", 0, "mode=0755"), 0);
	for (i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		bind_node(f->olddev, nodes[i]);
	/*
	 * Let go of the real /dev at once: the test directory is removed
	 * recursively later, and must never reach through into it.
	 */
	assert_int_equal(umount2(f->olddev, MNT_DETACH), 0);
	assert_int_equal(rmdir(f->olddev), 0);
	(void)snprintf(sa.sun_path, sizeof(sa.sun_path), "/dev/log");
	f->sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(f->sock >= 0);
	assert_int_equal(bind(f->sock, (struct sockaddr *)&sa, sizeof(sa)), 0);
	it_write_config(&f->env, "templates.cfg", "templates { base_name: \"web\" }\n");
	it_write_config(&f->env, "managers.cfg", "managers { bogus: 1 }\n");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	(void)close(f->sock);
	it_env_cleanup(&f->env);
	free(f);
	return 0;
}

/* Every datagram that arrived, one a line. */
static char *received(int sock)
{
	char *all = calloc(1, 65536), buf[4096];
	struct pollfd p = { .fd = sock, .events = POLLIN };
	size_t len = 0;
	ssize_t n;

	assert_non_null(all);
	while (poll(&p, 1, 200) == 1 && (n = recv(sock, buf, sizeof(buf) - 1, 0)) > 0) {
		buf[n] = '\0';
		len += (size_t)snprintf(all + len, 65536 - len, "%s\n", buf);
	}
	return all;
}

static void expect_syslog(struct fixture *f, const struct it_result *res)
{
	char *log = received(f->sock);

	assert_int_equal(res->status, 78);
	if (res->err[0])
		fail_msg("stderr is not empty with syslog on: %s", res->err);
	/* One line per problem, at error priority, named by the program. */
	if (!strstr(log, PRI_DAEMON_ERR) || !strstr(log, "gceb-import-config[") ||
	    !strstr(log, "managers.cfg:1:"))
		fail_msg("no error line from gceb-import-config in syslog: %s", log);
	free(log);
}

static void log_flag(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };

	(void)it_run(&f->env, &res, "import-config", "--log", "syslog", NULL);
	expect_syslog(f, &res);
	it_result_release(&res);
}

static void log_environment(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };

	assert_int_equal(setenv("GCEB_LOG", "syslog", 1), 0);
	(void)it_run(&f->env, &res, "import-config", NULL);
	assert_int_equal(unsetenv("GCEB_LOG"), 0);
	expect_syslog(f, &res);
	it_result_release(&res);
}

static void log_settings(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };

	it_write_config(&f->env, "settings.cfg", "log: \"syslog\"\n");
	(void)it_run(&f->env, &res, "import-config", NULL);
	expect_syslog(f, &res);
	it_result_release(&res);
}

/* The default is stderr, and a flag wins over settings.cfg. */
static void stderr_wins_by_flag(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };
	char *log;

	it_write_config(&f->env, "settings.cfg", "log: \"syslog\"\n");
	assert_int_equal(it_run(&f->env, &res, "import-config", "--log", "stderr", NULL), 78);
	assert_non_null(strstr(res.err, "gceb-import-config: error: "));
	log = received(f->sock);
	assert_string_equal(log, "");
	free(log);
	it_result_release(&res);
}

/* Anything else is a config error, whichever way it is given. */
static void bad_destination(void **state)
{
	struct fixture *f = *state;
	struct it_result res = { 0 };

	assert_int_equal(it_run(&f->env, &res, "import-config", "--log", "journal", NULL), 78);
	assert_non_null(strstr(res.err, "must be stderr or syslog"));
	it_result_release(&res);
	it_write_config(&f->env, "settings.cfg", "log: \"file\"\n");
	assert_int_equal(it_run(&f->env, &res, "import-config", NULL), 78);
	assert_non_null(strstr(res.err, "settings.cfg:1:"));
	it_result_release(&res);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(log_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(log_environment, setup, teardown),
		cmocka_unit_test_setup_teardown(log_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(stderr_wins_by_flag, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_destination, setup, teardown),
	};

	return gceb_test_run("syslog", tests, argc, argv);
}
