/* SPDX-License-Identifier: Apache-2.0 */
/*
 * file.h - opening an input file (config, settings, token, key) safely.
 *
 * A FIFO in place of a config file would block open(2) forever, and a
 * device or directory would be read as nonsense: the file is opened
 * without blocking, checked to be a regular file, and only then read,
 * in blocking mode. Internal to lib/.
 */
#ifndef GCEB_FILE_H
#define GCEB_FILE_H

#include <sys/stat.h>

#include "gceb/err.h"

/*
 * Open @path read-only (O_NONBLOCK|O_NOCTTY|O_CLOEXEC, then O_NONBLOCK
 * cleared) and fstat it into *@st. Returns the descriptor, or:
 * GCEB_ENOTFOUND ("<what> '<path>' does not exist") for a missing file;
 * GCEB_ECONFIG ("<what> '<path>' is a FIFO, not a regular file") for
 * anything but a regular file; @open_code for any other failure, with the
 * system's reason. @what names the file's role, such as "config file".
 */
int gceb_file_open(const char *path, const char *what, int open_code, struct stat *st,
		   struct gceb_err *err);

#endif
