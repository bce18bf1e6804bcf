/* SPDX-License-Identifier: Apache-2.0 */
/* emu_map.c - string hash table and the sequence-ordered list used for paging */
#include <stdlib.h>
#include <string.h>

#include "emu.h"

uint64_t emu_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static size_t find(const struct emu_map *m, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (m->cap - 1);

	while (m->slots[i].key) {
		if (m->slots[i].hash == h && strcmp(m->slots[i].key, key) == 0)
			return i;
		i = (i + 1) & (m->cap - 1);
	}
	return i;
}

static void grow(struct emu_map *m)
{
	struct emu_map_slot *old = m->slots;
	size_t oldcap = m->cap;
	size_t i;

	m->cap = oldcap ? oldcap * 2 : 16;
	m->slots = emu_xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++) {
		if (old[i].key)
			m->slots[find(m, old[i].key, old[i].hash)] = old[i];
	}
	free(old);
}

void *emu_map_get(const struct emu_map *m, const char *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = find(m, key, emu_hash(key));
	return m->slots[i].key ? m->slots[i].val : NULL;
}

void emu_map_put(struct emu_map *m, const char *key, void *val)
{
	uint64_t h = emu_hash(key);
	size_t i;

	if ((m->len + 1) * 4 >= m->cap * 3)
		grow(m);
	i = find(m, key, h);
	if (!m->slots[i].key)
		m->len++;
	m->slots[i].key = key;
	m->slots[i].hash = h;
	m->slots[i].val = val;
}

/* Linear probing: deletion shifts the rest of the cluster back (no tombstones). */
void *emu_map_del(struct emu_map *m, const char *key)
{
	size_t i, j, home;
	void *val;

	if (!m->cap)
		return NULL;
	i = find(m, key, emu_hash(key));
	if (!m->slots[i].key)
		return NULL;
	val = m->slots[i].val;
	m->slots[i].key = NULL;
	m->len--;
	j = i;
	for (;;) {
		j = (j + 1) & (m->cap - 1);
		if (!m->slots[j].key)
			break;
		home = (size_t)m->slots[j].hash & (m->cap - 1);
		/* move j into the hole at i unless its home lies cyclically in (i, j] */
		if ((j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j))) {
			m->slots[i] = m->slots[j];
			m->slots[j].key = NULL;
			i = j;
		}
	}
	return val;
}

void emu_map_release(struct emu_map *m)
{
	free(m->slots);
	m->slots = NULL;
	m->cap = 0;
	m->len = 0;
}

void emu_olist_init(struct emu *e, struct emu_olist *l)
{
	memset(l, 0, sizeof(*l));
	l->id = emu_next_seq(e);
}

static void compact(struct emu_olist *l)
{
	size_t i, w = 0;

	for (i = 0; i < l->len; i++) {
		if (l->v[i].p)
			l->v[w++] = l->v[i];
	}
	l->len = w;
}

void emu_olist_add(struct emu_olist *l, uint64_t seq, void *p)
{
	if (l->len == l->cap) {
		if (l->len > 64 && l->live * 2 < l->len) {
			compact(l);
		} else {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->v = emu_xrealloc(l->v, l->cap * sizeof(*l->v));
		}
	}
	l->v[l->len].seq = seq;
	l->v[l->len].p = p;
	l->len++;
	l->live++;
	l->byname_ok = false;
}

/* Index of the first entry whose seq is greater than seq. */
size_t emu_olist_after(const struct emu_olist *l, uint64_t seq)
{
	size_t lo = 0, hi = l->len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (l->v[mid].seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void emu_olist_remove(struct emu_olist *l, uint64_t seq)
{
	size_t i = emu_olist_after(l, seq);

	if (i == 0 || l->v[i - 1].seq != seq || !l->v[i - 1].p)
		return;
	l->v[i - 1].p = NULL;
	l->live--;
	l->byname_ok = false;
}

void emu_olist_release(struct emu_olist *l)
{
	free(l->v);
	l->v = NULL;
	free(l->byname);
	l->byname = NULL;
	l->nbyname = 0;
	l->byname_ok = false;
	l->len = 0;
	l->cap = 0;
	l->live = 0;
}
