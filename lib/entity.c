/* SPDX-License-Identifier: Apache-2.0 */
/* entity.c - keys and small mutations of stored entities */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"

static int key_join(gceb_key out, const char *const *parts, size_t n)
{
	size_t i, len = 0;

	for (i = 0; i < n; i++) {
		size_t l = strlen(parts[i]);

		if (len + l + (i ? 1 : 0) > GCEB_STORE_MAX_KEY)
			return GCEB_EUSAGE;
		if (i)
			out[len++] = ' ';
		memcpy(out + len, parts[i], l);
		len += l;
	}
	out[len] = '\0';
	return 0;
}

int gceb_key_revision(gceb_key out, const char *base, const char *rev)
{
	const char *parts[] = { base, rev };

	return key_join(out, parts, 2);
}

int gceb_key_igm(gceb_key out, const char *base, const char *rev, const char *zone)
{
	const char *parts[] = { base, rev, zone };

	return key_join(out, parts, 3);
}

int gceb_key_instance(gceb_key out, const char *base, const char *rev, const char *zone,
		      const char *name)
{
	const char *parts[] = { base, rev, zone, name };

	return key_join(out, parts, 4);
}

bool gceb_key_token(const char *key, unsigned n, char *out, size_t out_len)
{
	const char *p = key, *end;
	size_t len;

	while (n-- > 0) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	end = strchr(p, ' ');
	len = end ? (size_t)(end - p) : strlen(p);
	if (len >= out_len)
		return false;
	memcpy(out, p, len);
	out[len] = '\0';
	return true;
}

bool gceb_key_prefix(const char *key, unsigned n, gceb_key out)
{
	const char *p = key;
	size_t len;

	while (n-- > 0) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		p++;
	}
	len = (size_t)(p - key) - 1;
	if (p == key || len >= sizeof(gceb_key))
		return false;
	memcpy(out, key, len);
	out[len] = '\0';
	return true;
}

int gceb_set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (value) {
		copy = strdup(value);
		if (!copy)
			return GCEB_ENOMEM;
	}
	free(*field);
	*field = copy;
	return 0;
}

int gceb_strv_push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));
	char *copy;

	if (!nv)
		return GCEB_ENOMEM;
	*v = nv;
	copy = strdup(s);
	if (!copy)
		return GCEB_ENOMEM;
	nv[(*n)++] = copy;
	return 0;
}

long gceb_strv_find(char *const *v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return (long)i;
	return -1;
}

void gceb_strv_remove(char **v, size_t *n, size_t i)
{
	free(v[i]);
	memmove(v + i, v + i + 1, (*n - i - 1) * sizeof(*v));
	(*n)--;
}

#define DEFINE_NEW(fn, type, init) \
 type *fn(void)                    \
 {                                 \
  type *m = malloc(sizeof(*m));    \
  if (m)                           \
   *m = (type)init;                \
  return m;                        \
 }

DEFINE_NEW(gceb_template_new, Gceb__State__InstanceTemplate, GCEB__STATE__INSTANCE_TEMPLATE__INIT)
DEFINE_NEW(gceb_revision_new, Gceb__State__Revision, GCEB__STATE__REVISION__INIT)
DEFINE_NEW(gceb_igm_new, Gceb__State__InstanceGroupManager,
	   GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT)
DEFINE_NEW(gceb_instance_new, Gceb__State__Instance, GCEB__STATE__INSTANCE__INIT)
DEFINE_NEW(gceb_stored_config_new, Gceb__State__StoredConfig, GCEB__STATE__STORED_CONFIG__INIT)

void gceb_entity_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}
