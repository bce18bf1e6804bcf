/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compact.c - what the store leaves out of a value because its key says it
 *
 * An Instance, key "<base> <rev> <zone> <name>", repeats its group's key in
 * instance_group_manager and its zone and name in url
 * ("<prefix>/zones/<zone>/instances/<name>"); a group lists its instances by
 * full key, "<group key> <name>" each. At 100,000 instances that was most of
 * the store, and the scanning jobs map all of it (issue 7). The stored form
 * drops those parts and says so with the "stored form only" fields of
 * proto/state.proto, so that an unset field is never taken for a dropped
 * one. A part is dropped only where expanding gives the very same string
 * back: get(put(x)) == x for every message under every key.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compact.h"

/* "/zones/<zone>/instances/<name>", both from a key of at most GCEB_STORE_MAX_KEY bytes. */
#define SUFFIX_MAX (GCEB_STORE_MAX_KEY + sizeof("/zones//instances/"))

/*
 * What an Instance key says about its value: the length of its group's key
 * (the first three tokens) and the end of its URL. False for a key with
 * fewer than four tokens, which says nothing.
 */
static bool instance_key(const char *key, size_t *igm_len, char suffix[SUFFIX_MAX])
{
	const char *space[3], *p = key;
	size_t i;
	int n;

	for (i = 0; i < 3; i++) {
		p = strchr(p, ' ');
		if (!p)
			return false;
		space[i] = p++;
	}
	*igm_len = (size_t)(space[2] - key);
	/* The name is the rest of the key: it ends the URL either way. */
	n = snprintf(suffix, SUFFIX_MAX, "/zones/%.*s/instances/%s", (int)(space[2] - space[1] - 1),
		     space[1] + 1, space[2] + 1);
	return n > 0 && (size_t)n < SUFFIX_MAX;
}

static int compact_instance(const char *key, const Gceb__State__Instance *in,
			    struct gceb_compact *c)
{
	Gceb__State__Instance *out = &c->msg.instance;
	char suffix[SUFFIX_MAX];
	size_t igm_len;

	/* Callers never see these fields, so they cannot have set them. */
	assert(!in->has_igm_from_key && !in->url_prefix);
	*out = *in;
	if (!instance_key(key, &igm_len, suffix))
		return 0;
	if (in->instance_group_manager && strlen(in->instance_group_manager) == igm_len &&
	    memcmp(in->instance_group_manager, key, igm_len) == 0) {
		out->instance_group_manager = NULL;
		out->has_igm_from_key = 1;
		out->igm_from_key = 1;
	}
	if (in->url) {
		size_t len = strlen(in->url), slen = strlen(suffix);

		if (len >= slen && strcmp(in->url + len - slen, suffix) == 0) {
			c->url_prefix = strndup(in->url, len - slen);
			if (!c->url_prefix)
				return GCEB_ENOMEM;
			out->url = NULL;
			out->url_prefix = c->url_prefix;
		}
	}
	return 0;
}

/* The name in @entry if it is "<key> <name>" and @name has no space, else NULL. */
static const char *own_name(const char *key, size_t key_len, const char *entry)
{
	if (strncmp(entry, key, key_len) != 0 || entry[key_len] != ' ' ||
	    strchr(entry + key_len + 1, ' '))
		return NULL;
	return entry + key_len + 1;
}

static int compact_igm(const char *key, const Gceb__State__InstanceGroupManager *in,
		       struct gceb_compact *c)
{
	Gceb__State__InstanceGroupManager *out = &c->msg.igm;
	size_t i, key_len = strlen(key);
	bool any = false;

	assert(!in->has_instances_by_name);
	*out = *in;
	for (i = 0; i < in->n_instances; i++) {
		/* It would read back as a name: store the list as it is. */
		if (!strchr(in->instances[i], ' '))
			return 0;
		any = any || own_name(key, key_len, in->instances[i]);
	}
	if (!any)
		return 0;
	c->instances = malloc(in->n_instances * sizeof(*c->instances));
	if (!c->instances)
		return GCEB_ENOMEM;
	for (i = 0; i < in->n_instances; i++) {
		const char *name = own_name(key, key_len, in->instances[i]);

		/* protobuf-c's char ** holds borrowed strings here; packing only reads them. */
		c->instances[i] = (char *)(name ? name : in->instances[i]);
	}
	out->instances = c->instances;
	out->has_instances_by_name = 1;
	out->instances_by_name = 1;
	return 0;
}

int gceb_compact(enum gceb_kind kind, const char *key, const ProtobufCMessage *msg,
		 struct gceb_compact *c, const ProtobufCMessage **out)
{
	int r = 0;

	*c = (struct gceb_compact){ 0 };
	*out = msg;
	if (kind == GCEB_KIND_INSTANCE)
		r = compact_instance(key, (const Gceb__State__Instance *)(const void *)msg, c);
	else if (kind == GCEB_KIND_IGM)
		r = compact_igm(key, (const Gceb__State__InstanceGroupManager *)(const void *)msg,
				c);
	else
		return 0;
	if (r == 0)
		*out = &c->msg.base;
	return r;
}

void gceb_compact_release(struct gceb_compact *c)
{
	free(c->url_prefix);
	free(c->instances);
	c->url_prefix = NULL;
	c->instances = NULL;
}

/* A new string of the @n bytes at @a followed by @b. */
static char *concat(const char *a, size_t n, const char *b)
{
	size_t len = strlen(b);
	char *s = malloc(n + len + 1);

	if (s) {
		memcpy(s, a, n);
		memcpy(s + n, b, len + 1);
	}
	return s;
}

static int expand_instance(const char *key, Gceb__State__Instance *m)
{
	char suffix[SUFFIX_MAX];
	size_t igm_len;
	char *s;

	if (!m->has_igm_from_key && !m->url_prefix)
		return 0;
	/* A marker next to a value, or a key too short to expand it: not ours. */
	if (!instance_key(key, &igm_len, suffix))
		return GCEB_EPARSE;
	if (m->has_igm_from_key) {
		if (!m->igm_from_key || m->instance_group_manager)
			return GCEB_EPARSE;
		s = strndup(key, igm_len);
		if (!s)
			return GCEB_ENOMEM;
		m->instance_group_manager = s;
		m->has_igm_from_key = 0;
		m->igm_from_key = 0;
	}
	if (m->url_prefix) {
		if (m->url)
			return GCEB_EPARSE;
		s = concat(m->url_prefix, strlen(m->url_prefix), suffix);
		if (!s)
			return GCEB_ENOMEM;
		m->url = s;
		free(m->url_prefix);
		m->url_prefix = NULL;
	}
	return 0;
}

static int expand_igm(const char *key, Gceb__State__InstanceGroupManager *m)
{
	size_t i, key_len = strlen(key);

	if (!m->has_instances_by_name)
		return 0;
	if (!m->instances_by_name)
		return GCEB_EPARSE;
	for (i = 0; i < m->n_instances; i++) {
		size_t len = strlen(m->instances[i]);
		char *s;

		if (strchr(m->instances[i], ' '))
			continue; /* stored as it is */
		s = malloc(key_len + 1 + len + 1);
		if (!s)
			return GCEB_ENOMEM;
		memcpy(s, key, key_len);
		s[key_len] = ' ';
		memcpy(s + key_len + 1, m->instances[i], len + 1);
		free(m->instances[i]);
		m->instances[i] = s;
	}
	m->has_instances_by_name = 0;
	m->instances_by_name = 0;
	return 0;
}

int gceb_expand(enum gceb_kind kind, const char *key, ProtobufCMessage *msg)
{
	if (kind == GCEB_KIND_INSTANCE)
		return expand_instance(key, (Gceb__State__Instance *)(void *)msg);
	if (kind == GCEB_KIND_IGM)
		return expand_igm(key, (Gceb__State__InstanceGroupManager *)(void *)msg);
	return 0;
}
