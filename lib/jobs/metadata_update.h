/* SPDX-License-Identifier: Apache-2.0 */
/* metadata_update.h - MetadataUpdate values (docs/design/metadata.md): build, merge, checksum */
#ifndef GCEB_JOBS_METADATA_UPDATE_H
#define GCEB_JOBS_METADATA_UPDATE_H

#include <stddef.h>

#include "state.pb-c.h"

/*
 * A new update holding the union of @n updates' maps, later keys winning,
 * items sorted by key, checksum set, no url or operation_ts. NULL on
 * allocation failure.
 */
Gceb__State__MetadataUpdate *metadata_merge(Gceb__State__MetadataUpdate *const *updates, size_t n);

/*
 * Add @key (with @value, or NULL to delete it) to update @u, replacing an
 * item of the same key, and refresh the checksum. Returns 0 or GCEB_ENOMEM.
 */
int metadata_set(Gceb__State__MetadataUpdate *u, const char *key, const char *value);

/* Append @u (taken over) to @in's pending updates. Returns 0 or GCEB_ENOMEM. */
int metadata_queue(Gceb__State__Instance *in, Gceb__State__MetadataUpdate *u);

#endif
