/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_file.c - input files are opened without blocking, and only regular
 * files are taken. An alarm turns a blocking open (a FIFO with no writer)
 * into a failure instead of a hung test.
 */
#define _XOPEN_SOURCE 700 /* NOLINT(bugprone-reserved-identifier): nftw() */
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "file.h"
#include "runner.h"

struct dir {
	char path[64];
};

static int setup(void **state)
{
	struct dir *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	strcpy(d->path, "/tmp/gceb-file-XXXXXX");
	assert_non_null(mkdtemp(d->path));
	*state = d;
	(void)alarm(10);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

static int teardown(void **state)
{
	struct dir *d = *state;

	(void)alarm(0);
	assert_int_equal(nftw(d->path, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
	free(d);
	return 0;
}

static void join(const struct dir *d, const char *name, char *out, size_t len)
{
	(void)snprintf(out, len, "%s/%s", d->path, name);
}

static void regular_file_opens(void **state)
{
	struct gceb_err e = { 0 };
	char path[128], buf[8] = "";
	struct stat st;
	FILE *f;
	int fd;

	join(*state, "templates.cfg", path, sizeof(path));
	f = fopen(path, "w");
	assert_non_null(f);
	assert_true(fputs("# x\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	fd = gceb_file_open(path, "config file", GCEB_EIO, &st, &e);
	assert_true(fd >= 0);
	assert_int_equal(st.st_size, 4);
	/* Blocking again: a read is a plain read. */
	assert_int_equal(read(fd, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "# x\n");
	(void)close(fd);
}

static void missing_file_is_not_found(void **state)
{
	struct gceb_err e = { 0 };
	char path[128];
	struct stat st;

	join(*state, "nope.cfg", path, sizeof(path));
	assert_int_equal(gceb_file_open(path, "config file", GCEB_EIO, &st, &e), GCEB_ENOTFOUND);
	assert_non_null(strstr(e.msg, "does not exist"));
	assert_non_null(strstr(e.msg, path));
}

/* Before, open(2) waited for a writer forever. */
static void fifo_refused_at_once(void **state)
{
	struct gceb_err e = { 0 };
	char path[128], *text = NULL, want[256];
	struct stat st;
	size_t len = 0;

	join(*state, "settings.cfg", path, sizeof(path));
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(gceb_file_open(path, "token file", GCEB_ECONFIG, &st, &e), GCEB_ECONFIG);
	(void)snprintf(want, sizeof(want), "token file '%s' is a FIFO, not a regular file", path);
	assert_string_equal(e.msg, want);
	/* Every config and settings file is read through it. */
	assert_int_equal(gceb_config_read_file(path, &text, &len, &e), GCEB_ECONFIG);
	assert_null(text);
	assert_non_null(strstr(e.msg, "is a FIFO"));
}

static void other_kinds_refused(void **state)
{
	struct gceb_err e = { 0 };
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	const struct dir *d = *state;
	struct stat st;
	int s;

	assert_int_equal(gceb_file_open(d->path, "key file", GCEB_ECONFIG, &st, &e), GCEB_ECONFIG);
	assert_non_null(strstr(e.msg, "is a directory, not a regular file"));
	assert_int_equal(gceb_file_open("/dev/null", "key file", GCEB_ECONFIG, &st, &e),
			 GCEB_ECONFIG);
	assert_non_null(strstr(e.msg, "is a character device"));
	/* A socket cannot even be opened: it is still named for what it is. */
	join(d, "sock", sun.sun_path, sizeof(sun.sun_path));
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_true(s >= 0);
	assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(gceb_file_open(sun.sun_path, "config file", GCEB_EIO, &st, &e),
			 GCEB_ECONFIG);
	assert_non_null(strstr(e.msg, "is a socket, not a regular file"));
	(void)close(s);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(regular_file_opens, setup, teardown),
		cmocka_unit_test_setup_teardown(missing_file_is_not_found, setup, teardown),
		cmocka_unit_test_setup_teardown(fifo_refused_at_once, setup, teardown),
		cmocka_unit_test_setup_teardown(other_kinds_refused, setup, teardown),
	};

	return gceb_test_run("file", tests, argc, argv);
}
