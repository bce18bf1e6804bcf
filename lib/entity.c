/* SPDX-License-Identifier: Apache-2.0 */
/* entity.c - small mutations of stored entities */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"

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

/* NOLINTBEGIN(bugprone-macro-parentheses): a type argument cannot be parenthesized */
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
DEFINE_NEW(gceb_stored_config_new, Gceb__State__StoredConfig, GCEB__STATE__STORED_CONFIG__INIT)
/* NOLINTEND(bugprone-macro-parentheses) */

void gceb_entity_free(void *msg)
{
	if (msg)
		protobuf_c_message_free_unpacked(msg, NULL);
}
