/* SPDX-License-Identifier: Apache-2.0 */
/* drained.c - the drained IGM set */
#include <stdio.h>
#include <stdlib.h>

#include "drained.h"
#include "entity.h"
#include "state.pb-c.h"

struct collect {
	struct gceb_txn *txn;
	char **keys;
	size_t n;
};

static int add_all(struct collect *c, char *const *keys, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (gceb_strv_find(c->keys, c->n, keys[i]) < 0 &&
		    gceb_strv_push(&c->keys, &c->n, keys[i]) < 0)
			return GCEB_ENOMEM;
	return 0;
}

static int visit_revision(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__Revision *r = (const Gceb__State__Revision *)msg;

	(void)key;
	return add_all(payload, r->drained, r->n_drained);
}

static int visit_template(const char *key, const ProtobufCMessage *msg, void *payload)
{
	const Gceb__State__InstanceTemplate *t = (const Gceb__State__InstanceTemplate *)msg;
	struct collect *c = payload;
	size_t i;
	int r = 0;

	(void)key;
	for (i = 0; r == 0 && i < t->n_drained; i++) {
		Gceb__State__Revision *rev = NULL;

		r = gceb_txn_get(c->txn, GCEB_KIND_REVISION, t->drained[i],
				 (ProtobufCMessage **)&rev, NULL);
		if (r == GCEB_ENOTFOUND) {
			r = 0;
			continue;
		}
		if (r == 0)
			r = add_all(c, rev->active, rev->n_active);
		gceb_entity_free(rev);
	}
	return r;
}

int drained_igm_set(struct gceb_txn *txn, char ***keys, size_t *n, struct gceb_err *err)
{
	struct collect c = { .txn = txn };
	int r;

	r = gceb_txn_foreach(txn, GCEB_KIND_REVISION, NULL, visit_revision, &c, err);
	if (r == 0)
		r = gceb_txn_foreach(txn, GCEB_KIND_TEMPLATE, NULL, visit_template, &c, err);
	if (r < 0) {
		drained_free(c.keys, c.n);
		if (r == GCEB_ENOMEM)
			gceb_err_set(err, r, "out of memory");
		return r;
	}
	*keys = c.keys;
	*n = c.n;
	return 0;
}

void drained_free(char **keys, size_t n)
{
	while (n > 0)
		free(keys[--n]);
	free(keys);
}
