/* SPDX-License-Identifier: Apache-2.0 */
/*
 * group_memo.h - the group a walk over instances read last. Instance keys
 * start with their group's key, so a walk in key order meets a group's
 * instances one after another: reading (and unpacking the member list of)
 * the group once for all of them, not once per instance.
 */
#ifndef GCEB_JOBS_GROUP_MEMO_H
#define GCEB_JOBS_GROUP_MEMO_H

#include <stdbool.h>

#include "entity.h"
#include "store.h"

struct group_memo {
	gceb_key key;                             /* the group read last; "" before the first */
	Gceb__State__InstanceGroupManager *group; /* NULL: it does not exist */
	int verdict; /* the caller's own decision about this group; -1 until made */
};

/*
 * Make @m hold group @key as @txn sees it, reading it only if @m holds
 * another. Returns 0, or an error from the read (with @err set).
 */
int group_memo_load(struct group_memo *m, struct gceb_txn *txn, const char *key,
		    struct gceb_err *err);

/* Whether the group @m holds lists instance @key among its members. */
bool group_memo_lists(const struct group_memo *m, const char *key);

void group_memo_release(struct group_memo *m);

#endif
