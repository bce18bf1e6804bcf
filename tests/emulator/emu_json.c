/* SPDX-License-Identifier: Apache-2.0 */
/* emu_json.c - check request bodies against compute-v1-subset.json, like GCE does */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"

extern const char emu_schema_json[];
extern const size_t emu_schema_json_len;

int emu_schema_load(struct emu *e)
{
	cJSON *doc = cJSON_ParseWithLength(emu_schema_json, emu_schema_json_len);

	if (!doc)
		return -1;
	e->schema = doc;
	return 0;
}

void emu_schema_free(struct emu *e)
{
	cJSON_Delete(e->schema);
	e->schema = NULL;
}

cJSON *emu_json_int64(int64_t v)
{
	char buf[32];

	(void)snprintf(buf, sizeof(buf), "%" PRId64, v);
	return cJSON_CreateString(buf);
}

/* Accepts a JSON number or a decimal string (int64 fields come both ways). */
bool emu_json_get_int(const cJSON *j, int64_t *out)
{
	char *end;
	long long v;

	if (cJSON_IsNumber(j)) {
		if (j->valuedouble != floor(j->valuedouble) || fabs(j->valuedouble) > 9e15)
			return false;
		*out = (int64_t)j->valuedouble;
		return true;
	}
	if (!cJSON_IsString(j) || !j->valuestring[0])
		return false;
	v = strtoll(j->valuestring, &end, 10);
	if (*end)
		return false;
	*out = v;
	return true;
}

/*
 * The subset marks 64-bit integers as "string", like the discovery document,
 * but the API also takes a JSON number for them. These are the ones gceb or
 * its tests may send as numbers.
 */
static bool is_int64_field(const char *name)
{
	static const char *const names[] = { "id",
					     "targetId",
					     "diskSizeGb",
					     "provisionedIops",
					     "provisionedThroughput",
					     "sourceImageId" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(name, names[i]) == 0)
			return true;
	}
	return false;
}

struct ctx {
	struct emu *e;
	struct emu_reply *rep;
	char path[512];
};

static int check(struct ctx *c, const cJSON *type, const cJSON *v, const char *field);

static int bad_value(struct ctx *c, const char *want, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);

	emu_reply_error(c->rep, 400, "invalid", "Invalid value at '%s' (%s), %.64s", c->path, want,
			s);
	free(s);
	return -1;
}

static int check_object(struct ctx *c, const cJSON *fields, const cJSON *v)
{
	const cJSON *f;
	size_t n = strlen(c->path);

	if (!cJSON_IsObject(v))
		return bad_value(c, "TYPE_MESSAGE", v);
	cJSON_ArrayForEach(f, v) {
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(fields, f->string);

		if (!t) {
			emu_reply_error(
				c->rep, 400, "invalid",
				"Invalid JSON payload received. Unknown name \"%s\" at '%s': "
				"Cannot find field.",
				f->string, c->path);
			return -1;
		}
		(void)snprintf(c->path + n, sizeof(c->path) - n, ".%s", f->string);
		if (check(c, t, f, f->string) < 0)
			return -1;
		c->path[n] = '\0';
	}
	return 0;
}

static int check_array(struct ctx *c, const cJSON *elem, const cJSON *v, const char *field)
{
	const cJSON *x;
	size_t n = strlen(c->path);
	size_t i = 0;

	if (!cJSON_IsArray(v))
		return bad_value(c, "TYPE_ARRAY", v);
	cJSON_ArrayForEach(x, v) {
		(void)snprintf(c->path + n, sizeof(c->path) - n, "[%zu]", i++);
		if (check(c, elem, x, field) < 0)
			return -1;
	}
	c->path[n] = '\0';
	return 0;
}

static int check_named(struct ctx *c, const char *t, const cJSON *v, const char *field)
{
	size_t n = strlen(t);
	const cJSON *schemas = cJSON_GetObjectItemCaseSensitive(c->e->schema, "schemas");
	const cJSON *s;

	if (n > 2 && strcmp(t + n - 2, "[]") == 0) {
		char *elem = emu_xstrndup(t, n - 2);
		cJSON *et;
		int r;

		if (strncmp(elem, "Schema$", 7) == 0)
			memmove(elem, elem + 7, strlen(elem + 7) + 1);
		et = cJSON_CreateString(elem);
		r = check_array(c, et, v, field);
		cJSON_Delete(et);
		free(elem);
		return r;
	}
	if (strcmp(t, "string") == 0) {
		if (cJSON_IsString(v))
			return 0;
		if (cJSON_IsNumber(v) && is_int64_field(field))
			return 0;
		return bad_value(c, "TYPE_STRING", v);
	}
	if (strcmp(t, "number") == 0) {
		int64_t dummy;

		if (cJSON_IsNumber(v) || (cJSON_IsString(v) && emu_json_get_int(v, &dummy)))
			return 0;
		return bad_value(c, "TYPE_NUMBER", v);
	}
	if (strcmp(t, "boolean") == 0)
		return cJSON_IsBool(v) ? 0 : bad_value(c, "TYPE_BOOL", v);
	if (strncmp(t, "Schema$", 7) == 0)
		t += 7;
	s = cJSON_GetObjectItemCaseSensitive(schemas, t);
	if (s)
		return check_object(c, s, v);
	/* "any" and the few entries the extraction mangled: accept anything. */
	return 0;
}

static int check(struct ctx *c, const cJSON *type, const cJSON *v, const char *field)
{
	if (cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(type))
		return check_named(c, type->valuestring, v, field);
	if (cJSON_IsArray(type) && cJSON_GetArraySize(type) == 2) {
		const cJSON *kind = cJSON_GetArrayItem(type, 0);
		const cJSON *elem = cJSON_GetArrayItem(type, 1);
		const cJSON *x;

		if (cJSON_IsString(kind) && strcmp(kind->valuestring, "array") == 0)
			return check_array(c, elem, v, field);
		if (!cJSON_IsObject(v))
			return bad_value(c, "TYPE_MESSAGE", v);
		cJSON_ArrayForEach(x, v) {
			if (check(c, elem, x, x->string) < 0)
				return -1;
		}
		return 0;
	}
	if (cJSON_IsObject(type) && cJSON_GetObjectItemCaseSensitive(type, "inline"))
		return check_object(c, cJSON_GetObjectItemCaseSensitive(type, "inline"), v);
	return 0;
}

int emu_schema_check(struct emu *e, const char *schema, const cJSON *body, struct emu_reply *rep)
{
	struct ctx c = { .e = e, .rep = rep, .path = "resource" };
	cJSON *t;
	int r;

	if (!body)
		return 0; /* an empty body is an empty message */
	t = cJSON_CreateString(schema);
	r = check(&c, t, body, "resource");
	cJSON_Delete(t);
	return r;
}
