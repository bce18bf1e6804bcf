/* SPDX-License-Identifier: Apache-2.0 */
/* metadata_update.c - MetadataUpdate values */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "entity.h"
#include "gce.h"
#include "metadata_update.h"

static int cmp_item(const void *a, const void *b)
{
	Gceb__State__MetadataItem *const *x = a, *const *y = b;

	return strcmp((*x)->key, (*y)->key);
}

static int refresh_checksum(Gceb__State__MetadataUpdate *u)
{
	char sum[GCEB_SHA1_HEX_LEN + 1];

	if (u->n_metadata > 1)
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
		qsort(u->metadata, u->n_metadata, sizeof(*u->metadata), cmp_item);
	if (gceb_gce_metadata_checksum(u->metadata, u->n_metadata, sum) < 0)
		return GCEB_ENOMEM;
	return gceb_set_string(&u->checksum, sum);
}

static int put_item(Gceb__State__MetadataUpdate *u, const char *key, const char *value)
{
	static const Gceb__State__MetadataItem init = GCEB__STATE__METADATA_ITEM__INIT;
	Gceb__State__MetadataItem *item = NULL, **v;
	size_t i;

	for (i = 0; i < u->n_metadata && !item; i++)
		if (!strcmp(u->metadata[i]->key, key))
			item = u->metadata[i];
	if (!item) {
		/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
		v = realloc(u->metadata, (u->n_metadata + 1) * sizeof(*v));
		if (!v)
			return GCEB_ENOMEM;
		u->metadata = v;
		item = malloc(sizeof(*item));
		if (!item)
			return GCEB_ENOMEM;
		*item = init;
		u->metadata[u->n_metadata++] = item;
		if (gceb_set_string(&item->key, key) < 0)
			return GCEB_ENOMEM;
	}
	return gceb_set_string(&item->value, value);
}

int metadata_set(Gceb__State__MetadataUpdate *u, const char *key, const char *value)
{
	if (put_item(u, key, value) < 0)
		return GCEB_ENOMEM;
	return refresh_checksum(u);
}

Gceb__State__MetadataUpdate *metadata_merge(Gceb__State__MetadataUpdate *const *updates, size_t n)
{
	static const Gceb__State__MetadataUpdate init = GCEB__STATE__METADATA_UPDATE__INIT;
	Gceb__State__MetadataUpdate *u = malloc(sizeof(*u));
	size_t i, j;

	if (!u)
		return NULL;
	*u = init;
	for (i = 0; i < n; i++)
		for (j = 0; j < updates[i]->n_metadata; j++)
			if (put_item(u, updates[i]->metadata[j]->key,
				     updates[i]->metadata[j]->value) < 0)
				goto fail;
	if (refresh_checksum(u) < 0)
		goto fail;
	return u;
fail:
	gceb_entity_free(u);
	return NULL;
}

int metadata_queue(Gceb__State__Instance *in, Gceb__State__MetadataUpdate *u)
{
	size_t n = in->n_pending_metadata_updates + 1;
	Gceb__State__MetadataUpdate **v;

	/* NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers, by element */
	v = realloc(in->pending_metadata_updates, n * sizeof(*v));
	if (!v)
		return GCEB_ENOMEM;
	in->pending_metadata_updates = v;
	v[in->n_pending_metadata_updates++] = u;
	return 0;
}
