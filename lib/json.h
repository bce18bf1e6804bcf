/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - the cJSON helpers the API clients share (gce.c, mp.c).
 * Internal to lib/: it names cJSON.
 */
#ifndef GCEB_JSON_H
#define GCEB_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "gceb/err.h"

/*
 * Add @item to @parent (under @key, or appended when @key is NULL). A NULL
 * @item or @parent is an earlier allocation failure: *@oom records it, so a
 * builder checks once, before printing. Returns @item, or NULL.
 */
cJSON *gceb_json_add(bool *oom, cJSON *parent, const char *key, cJSON *item);

/* gceb_json_add() of a string; NULL is sent as "". */
cJSON *gceb_json_add_string(bool *oom, cJSON *parent, const char *key, const char *s);

/*
 * Parse @len bytes of @body as exactly one JSON object (whitespace around
 * it allowed). GCEB_EPARSE says what was wrong, naming @what: empty, HTML,
 * not JSON (with the byte offset), or not one object.
 */
int gceb_json_parse_object(const char *what, const char *body, size_t len, cJSON **out,
			   struct gceb_err *err);

#endif
