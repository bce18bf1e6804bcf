/* SPDX-License-Identifier: Apache-2.0 */
/* file.c - open an input file without blocking, and only a regular file */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

static const char *type_name(mode_t mode)
{
	return S_ISFIFO(mode) ? "a FIFO" :
	       S_ISDIR(mode)  ? "a directory" :
	       S_ISCHR(mode)  ? "a character device" :
	       S_ISBLK(mode)  ? "a block device" :
	       S_ISSOCK(mode) ? "a socket" :
				"an unknown kind of file";
}

static int not_regular(const char *path, const char *what, mode_t mode, struct gceb_err *err)
{
	return gceb_err_set(err, GCEB_ECONFIG, "%s '%s' is %s, not a regular file", what, path,
			    type_name(mode));
}

int gceb_file_open(const char *path, const char *what, int open_code, struct stat *st,
		   struct gceb_err *err)
{
	int fd, flags, e;

	/* O_NONBLOCK: opening a FIFO for reading would wait for a writer. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT)
			return gceb_err_set(err, GCEB_ENOTFOUND, "%s '%s' does not exist", what,
					    path);
		/* A socket cannot be opened at all (ENXIO): say what it is. */
		if (e == ENXIO && stat(path, st) == 0 && !S_ISREG(st->st_mode))
			return not_regular(path, what, st->st_mode, err);
		return gceb_err_set(err, open_code, "cannot open %s '%s': %s", what, path,
				    strerror(e));
	}
	if (fstat(fd, st) < 0) {
		e = errno;
		(void)close(fd);
		return gceb_err_set(err, open_code, "cannot stat %s '%s': %s", what, path,
				    strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		(void)close(fd);
		return not_regular(path, what, st->st_mode, err);
	}
	/* Reads of a regular file do not block anyway; clear the flag so none ever sees EAGAIN. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		e = errno;
		(void)close(fd);
		return gceb_err_set(err, open_code, "cannot open %s '%s': %s", what, path,
				    strerror(e));
	}
	return fd;
}
