/* SPDX-License-Identifier: Apache-2.0 */
/* test_emu_common.h - cmocka helpers shared by the emulator tests */
#ifndef TEST_EMU_COMMON_H
#define TEST_EMU_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "emu_test.h"

static struct emu_proc P;

static inline int start_emu(const char *const *args)
{
	return emu_proc_start(&P, args);
}

/* The emulator must exit 0 on SIGTERM: under ASan that also means no leaks. */
static inline int teardown(void **state)
{
	(void)state;
	return emu_proc_stop(&P) == 0 ? 0 : -1;
}

static inline void restart(const char *const *args)
{
	assert_int_equal(emu_proc_stop(&P), 0);
	assert_int_equal(start_emu(args), 0);
}

#define CALL(method, url, body, want) call_(method, url, body, want, __FILE__, __LINE__)

static inline cJSON *call_(const char *method, const char *url, const char *body, long want,
			   const char *file, int line)
{
	struct emu_res r;
	cJSON *j;

	(void)emu_http(&P, method, url, body, 0, NULL, &r);
	if (r.status != want)
		(void)fprintf(stderr, "%s:%d: %s %s: HTTP %ld, want %ld: %.600s\n", file, line,
			      method, url, r.status, want, r.body ? r.body : "");
	_assert_int_equal((uintmax_t)r.status, (uintmax_t)want, file, line);
	j = r.json;
	r.json = NULL;
	emu_res_release(&r);
	return j;
}

#define CTL(path, body) ctl_(path, body, __FILE__, __LINE__)

static inline void ctl_(const char *path, const char *body, const char *file, int line)
{
	cJSON *j = emu_ctl(&P, path, body);

	_assert_true(j != NULL, path, file, line);
	cJSON_Delete(j);
}

static inline void advance(int seconds)
{
	char body[64];

	(void)snprintf(body, sizeof(body), "{\"seconds\":%d}", seconds);
	CTL("/_emu/clock/advance", body);
}

#define assert_json_str(j, path, want) \
 assert_string_equal(emu_str(j, path) ? emu_str(j, path) : "(null)", want)

#endif
