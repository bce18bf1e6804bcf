/* SPDX-License-Identifier: Apache-2.0 */
/* json.c - cJSON helpers shared by the API clients */
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
