/* SPDX-License-Identifier: Apache-2.0 */
/* emu_http.h - starting and stopping the HTTP server (emu_http.c) */
#ifndef EMU_HTTP_H
#define EMU_HTTP_H

#include <stdbool.h>

struct emu;

/* Serves on the listening socket fd; returns an opaque daemon or NULL. */
void *emu_http_start(struct emu *e, int fd, bool verbose);
void emu_http_stop(void *daemon);

#endif
