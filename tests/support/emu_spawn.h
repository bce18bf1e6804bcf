/* SPDX-License-Identifier: Apache-2.0 */
/*
 * emu_spawn.h - start gceb-emulator on a free loopback port: the one start
 * sequence of the integration and scenario harness (harness.c) and of the
 * emulator's own tests (tests/emulator/emu_test.c).
 */
#ifndef GCEB_TEST_EMU_SPAWN_H
#define GCEB_TEST_EMU_SPAWN_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Start @bin --listen 127.0.0.1:0 --port-file @port_file and the extra
 * @args (NULL-terminated, may be NULL), and wait up to 5 s for it to write
 * its URL (http://127.0.0.1:PORT) to @port_file; copy that to @url.
 * Returns the emulator's pid, or -1 when it did not start (exited, or wrote
 * nothing in time: then it is killed), with @url empty.
 */
pid_t gceb_test_emu_spawn(const char *bin, const char *port_file, const char *const *args,
			  char *url, size_t len);

#endif
