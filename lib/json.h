/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - the cJSON helpers the API clients share (gce.c, mp.c,
 * luciconfig.c, http.c): building, parsing one object, typed field getters
 * and Google's error envelope. Internal to lib/: it names cJSON.
 */
#ifndef GCEB_JSON_H
#define GCEB_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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

/*
 * Field getters. @field names the member for messages, in full
 * ("error.errors[0].reason"); the member looked up in @o is its last
 * component. A JSON null is an absent member. A wrong type is GCEB_EPARSE
 * "<what>: field '<field>' <why>".
 */

/* "<what>: field '<field>' <why>" as GCEB_EPARSE; always returns GCEB_EPARSE. */
int gceb_json_bad_field(const char *what, const char *field, const char *why, struct gceb_err *err);

/* The member of @o that @field names (its last component), or NULL when absent or null. */
const cJSON *gceb_json_member(const cJSON *o, const char *field);

/* A string, borrowed from @o; *@out NULL when absent (an error when @required). */
int gceb_json_string(const char *what, const cJSON *o, const char *field, bool required,
		     const char **out, struct gceb_err *err);

/*
 * An int64, as a JSON number (an integer within +-2^53) or a decimal string
 * (the API's int64 encoding). *@present says whether it was there.
 */
int gceb_json_int64(const char *what, const cJSON *o, const char *field, bool *present,
		    int64_t *out, struct gceb_err *err);

/* A boolean; *@present says whether it was there (*@out false when not). */
int gceb_json_bool(const char *what, const cJSON *o, const char *field, bool *present, bool *out,
		   struct gceb_err *err);

/* An object (@type cJSON_Object) or array (cJSON_Array); *@out NULL when absent. */
int gceb_json_typed(const char *what, const cJSON *o, const char *field, int type,
		    const cJSON **out, struct gceb_err *err);

/*
 * Google's error envelope, the body of a non-2xx answer of Compute Engine
 * and Machine Provider:
 *   {"error": {"code": 403, "message": "...", "status": "PERMISSION_DENIED",
 *              "errors": [{"reason": "rateLimitExceeded", "message": "..."}]}}
 */
struct gceb_api_error {
	int64_t code;      /* error.code, required */
	char *reason;      /* error.errors[0].reason, or NULL */
	char *message;     /* error.message, else error.errors[0].message, or NULL */
	char *status;      /* error.status, or NULL */
	bool rate_limited; /* some errors[].reason is rateLimitExceeded or userRateLimitExceeded */
};

/* Parse an error envelope. GCEB_EPARSE when @body is not one; release @out after a 0. */
int gceb_api_error_parse(const char *body, size_t len, struct gceb_api_error *out,
			 struct gceb_err *err);
void gceb_api_error_release(struct gceb_api_error *e);

#endif
