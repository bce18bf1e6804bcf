/* SPDX-License-Identifier: Apache-2.0 */
/*
 * entity.h - small mutations of stored entities (keys: lib/fleet.h).
 *
 * Every string and array in an entity is malloc'd, so that the store can
 * free any entity with protobuf_c_message_free_unpacked(msg, NULL).
 */
#ifndef GCEB_ENTITY_H
#define GCEB_ENTITY_H

#include <stdbool.h>
#include <stddef.h>

#include "gceb/err.h"
#include "state.pb-c.h"
#include "store.h"

/* Room for any store key. */
typedef char gceb_key[GCEB_STORE_MAX_KEY + 1];

/* Replace *@field with a copy of @value (NULL clears it). Returns 0 or GCEB_ENOMEM. */
int gceb_set_string(char **field, const char *value);

/* Append a copy of @s to the list (*@v, *@n). Returns 0 or GCEB_ENOMEM. */
int gceb_strv_push(char ***v, size_t *n, const char *s);
/* Index of the first element equal to @s, or -1. */
long gceb_strv_find(char *const *v, size_t n, const char *s);
/* Remove (and free) element @i, keeping the order of the rest. */
void gceb_strv_remove(char **v, size_t *n, size_t i);

/* New empty entities, all fields unset. NULL on allocation failure. */
Gceb__State__InstanceTemplate *gceb_template_new(void);
Gceb__State__Revision *gceb_revision_new(void);
Gceb__State__InstanceGroupManager *gceb_igm_new(void);
Gceb__State__StoredConfig *gceb_stored_config_new(void);

/* Free any entity (NULL is a no-op). */
void gceb_entity_free(void *msg);

#endif
