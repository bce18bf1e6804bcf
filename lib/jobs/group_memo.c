/* SPDX-License-Identifier: Apache-2.0 */
/* group_memo.c - the group a walk over instances read last */
#include <stdio.h>
#include <string.h>

#include "group_memo.h"

int group_memo_load(struct group_memo *m, struct gceb_txn *txn, const char *key,
		    struct gceb_err *err)
{
	int r;

	if (m->key[0] && !strcmp(m->key, key))
		return 0;
	group_memo_release(m);
	r = gceb_txn_get(txn, GCEB_KIND_IGM, key, (ProtobufCMessage **)&m->group, err);
	if (r == GCEB_ENOTFOUND)
		r = 0;
	if (r == 0)
		(void)snprintf(m->key, sizeof(m->key), "%s", key);
	return r;
}

bool group_memo_lists(const struct group_memo *m, const char *key)
{
	return m->group && gceb_strv_find(m->group->instances, m->group->n_instances, key) >= 0;
}

void group_memo_release(struct group_memo *m)
{
	gceb_entity_free(m->group);
	*m = (struct group_memo){ .verdict = -1 };
}
