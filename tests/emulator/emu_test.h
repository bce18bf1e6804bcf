/* SPDX-License-Identifier: Apache-2.0 */
/* emu_test.h - start gceb-emulator as a subprocess and talk to it over HTTP */
#ifndef EMU_TEST_H
#define EMU_TEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

/* The root of the links the emulator mints by default, as Compute. */
#define EMU_TEST_CANONICAL "https://www.googleapis.com/"

struct emu_proc {
	pid_t pid;
	char dir[64];    /* temporary directory: port file, keys, configs */
	char root[128];  /* http://127.0.0.1:PORT */
	char token[128]; /* sent as a bearer token when set */
	void *curl;      /* one keep-alive handle */
};

struct emu_res {
	long status;
	char *body;
	size_t len;
	cJSON *json;
	char ctype[128];
	char flavor[64]; /* Metadata-Flavor response header */
	double secs;
	int curl_err; /* CURLcode, 0 when a response arrived */
};

/*
 * Starts the emulator with --listen 127.0.0.1:0 --port-file and the given
 * extra arguments (NULL-terminated, may be NULL) and waits for the port
 * file. Unless "--no-auth" is among args, mints a token with every scope.
 */
int emu_proc_start(struct emu_proc *p, const char *const *args);
/* SIGTERM, then wait: the exit status, or -1 if it had to be killed. */
int emu_proc_stop(struct emu_proc *p);

/*
 * url: absolute, or a path below p->root; one under EMU_TEST_CANONICAL is
 * sent to p->root instead. headers: NULL-terminated or NULL.
 */
int emu_http(struct emu_proc *p, const char *method, const char *url, const char *body, size_t len,
	     const char *const *headers, struct emu_res *out);
void emu_res_release(struct emu_res *r);

/* Convenience for tests: the parsed JSON answer (caller frees), status in *status. */
cJSON *emu_json(struct emu_proc *p, const char *method, const char *url, const char *body,
		long *status);
/* POST a control call; returns the parsed answer or NULL unless it is 200. */
cJSON *emu_ctl(struct emu_proc *p, const char *path, const char *body);
const char *emu_str(const cJSON *j, const char *dotted_path);
double emu_num(const cJSON *j, const char *dotted_path);
/* Writes data to p->dir/name and returns the full path (static buffer). */
const char *emu_write_file(struct emu_proc *p, const char *name, const char *data);

#endif
