/* SPDX-License-Identifier: Apache-2.0 */
/* json.c - cJSON helpers shared by the API clients, and the Google error envelope */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

cJSON *gceb_json_add(bool *oom, cJSON *parent, const char *key, cJSON *item)
{
	bool ok = item && parent &&
		  (key ? cJSON_AddItemToObject(parent, key, item) :
			 cJSON_AddItemToArray(parent, item));

	if (!ok) {
		cJSON_Delete(item);
		*oom = true;
		return NULL;
	}
	return item;
}

cJSON *gceb_json_add_string(bool *oom, cJSON *parent, const char *key, const char *s)
{
	return gceb_json_add(oom, parent, key, cJSON_CreateString(s ? s : ""));
}

int gceb_json_parse_object(const char *what, const char *body, size_t len, cJSON **out,
			   struct gceb_err *err)
{
	const char *end = NULL;
	cJSON *json;
	size_t i;

	if (!body || len == 0)
		return gceb_err_set(err, GCEB_EPARSE, "%s: empty response", what);
	json = cJSON_ParseWithLengthOpts(body, len, &end, 0);
	if (!json) {
		for (i = 0; i < len && body[i] && strchr(" \t\r\n", body[i]); i++)
			;
		if (i < len && body[i] == '<')
			return gceb_err_set(err, GCEB_EPARSE, "%s: response is HTML, not JSON",
					    what);
		return gceb_err_set(err, GCEB_EPARSE,
				    "%s: response is not JSON (error at byte %zu)", what,
				    end ? (size_t)(end - body) : (size_t)0);
	}
	/* Something after the object (a second value, garbage) is not one object. */
	for (i = (size_t)(end - body); i < len; i++)
		if (!body[i] || !strchr(" \t\r\n", body[i]))
			break;
	if (i < len || !cJSON_IsObject(json)) {
		cJSON_Delete(json);
		return gceb_err_set(err, GCEB_EPARSE, "%s: response is not one JSON object", what);
	}
	*out = json;
	return 0;
}

/* The largest integer a JSON number (an IEEE double) holds exactly: 2^53. */
#define JSON_INT_MAX 9007199254740992.0

int gceb_json_bad_field(const char *what, const char *field, const char *why, struct gceb_err *err)
{
	/* A constant return lets the analyzer see every path through here fail. */
	(void)gceb_err_set(err, GCEB_EPARSE, "%s: field '%s' %s", what, field, why);
	return GCEB_EPARSE;
}

const cJSON *gceb_json_member(const cJSON *o, const char *field)
{
	const char *dot = strrchr(field, '.');
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, dot ? dot + 1 : field);

	return cJSON_IsNull(v) ? NULL : v;
}

int gceb_json_string(const char *what, const cJSON *o, const char *field, bool required,
		     const char **out, struct gceb_err *err)
{
	const cJSON *v = gceb_json_member(o, field);

	*out = NULL;
	if (!v)
		return required ? gceb_json_bad_field(what, field, "is missing", err) : 0;
	if (!cJSON_IsString(v))
		return gceb_json_bad_field(what, field, "is not a string", err);
	*out = v->valuestring;
	return 0;
}

/* A decimal int64 string, all of it: "-12", not "12x", " 12" or "". */
static bool decimal_int64(const char *s, int64_t *out)
{
	long long n;
	char *end;

	if (!((s[0] >= '0' && s[0] <= '9') || (s[0] == '-' && s[1] >= '0' && s[1] <= '9')))
		return false;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (*end || errno != 0)
		return false;
	*out = n;
	return true;
}

int gceb_json_int64(const char *what, const cJSON *o, const char *field, bool *present,
		    int64_t *out, struct gceb_err *err)
{
	const cJSON *v = gceb_json_member(o, field);
	bool ok;

	*present = false;
	if (!v)
		return 0;
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;

		ok = d >= -JSON_INT_MAX && d <= JSON_INT_MAX && d == floor(d);
		if (ok)
			*out = (int64_t)d;
	} else {
		ok = cJSON_IsString(v) && decimal_int64(v->valuestring, out);
	}
	if (!ok)
		return gceb_json_bad_field(what, field, "is not an integer", err);
	*present = true;
	return 0;
}

int gceb_json_bool(const char *what, const cJSON *o, const char *field, bool *present, bool *out,
		   struct gceb_err *err)
{
	const cJSON *v = gceb_json_member(o, field);

	*present = false;
	*out = false;
	if (!v)
		return 0;
	if (!cJSON_IsBool(v))
		return gceb_json_bad_field(what, field, "is not a boolean", err);
	*present = true;
	*out = cJSON_IsTrue(v);
	return 0;
}

int gceb_json_typed(const char *what, const cJSON *o, const char *field, int type,
		    const cJSON **out, struct gceb_err *err)
{
	const cJSON *v = gceb_json_member(o, field);

	*out = NULL;
	if (!v)
		return 0;
	if (!(type == cJSON_Array ? cJSON_IsArray(v) : cJSON_IsObject(v)))
		return gceb_json_bad_field(
			what, field, type == cJSON_Array ? "is not an array" : "is not an object",
			err);
	*out = v;
	return 0;
}

/* ---- Google's error envelope ---- */

void gceb_api_error_release(struct gceb_api_error *e)
{
	if (!e)
		return;
	free(e->reason);
	free(e->message);
	free(e->status);
	memset(e, 0, sizeof(*e));
}

static bool rate_limit_reason(const char *reason)
{
	return reason &&
	       (!strcmp(reason, "rateLimitExceeded") || !strcmp(reason, "userRateLimitExceeded"));
}

/* error.errors[]: the first entry's reason and message; whether any says "rate limit". */
static int envelope_errors(const char *what, const cJSON *errors, struct gceb_api_error *e,
			   const char **reason, const char **message, struct gceb_err *err)
{
	const cJSON *first = cJSON_GetArrayItem(errors, 0), *item;
	int r;

	if (first && !cJSON_IsObject(first))
		return gceb_json_bad_field(what, "error.errors[0]", "is not an object", err);
	if (first &&
	    ((r = gceb_json_string(what, first, "error.errors[0].reason", false, reason, err)) <
		     0 ||
	     (r = gceb_json_string(what, first, "error.errors[0].message", false, message, err)) <
		     0))
		return r;
	cJSON_ArrayForEach(item, errors) {
		if (cJSON_IsObject(item) &&
		    rate_limit_reason(
			    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(item, "reason"))))
			e->rate_limited = true;
	}
	return 0;
}

static int copy_str(const char *s, char **out)
{
	*out = NULL;
	if (s && !(*out = strdup(s)))
		return GCEB_ENOMEM;
	return 0;
}

int gceb_api_error_parse(const char *body, size_t len, struct gceb_api_error *out,
			 struct gceb_err *err)
{
	static const char what[] = "error response";
	const char *message, *status, *reason = NULL, *first_message = NULL;
	struct gceb_api_error e = { 0 };
	const cJSON *error, *errors;
	cJSON *json = NULL;
	bool present;
	int r;

	if ((r = gceb_json_parse_object(what, body, len, &json, err)) < 0)
		return r;
	if ((r = gceb_json_typed(what, json, "error", cJSON_Object, &error, err)) < 0)
		goto out;
	if (!error) {
		r = gceb_json_bad_field(what, "error", "is missing", err);
		goto out;
	}
	if ((r = gceb_json_int64(what, error, "error.code", &present, &e.code, err)) < 0 ||
	    (r = gceb_json_string(what, error, "error.message", false, &message, err)) < 0 ||
	    (r = gceb_json_string(what, error, "error.status", false, &status, err)) < 0 ||
	    (r = gceb_json_typed(what, error, "error.errors", cJSON_Array, &errors, err)) < 0 ||
	    (r = envelope_errors(what, errors, &e, &reason, &first_message, err)) < 0)
		goto out;
	if (!present) {
		r = gceb_json_bad_field(what, "error.code", "is missing", err);
		goto out;
	}
	if (copy_str(reason, &e.reason) < 0 || copy_str(status, &e.status) < 0 ||
	    copy_str(message ? message : first_message, &e.message) < 0) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	*out = e;
	memset(&e, 0, sizeof(e));
out:
	gceb_api_error_release(&e);
	cJSON_Delete(json);
	return r;
}
