/* SPDX-License-Identifier: Apache-2.0 */
/* store_seed.c - seed the store of an integration test directly */
#include <stddef.h>

#include "runner.h"
#include "store_seed.h"

struct gceb_store *it_store_open(const struct it_env *env)
{
	struct gceb_store *s = NULL;
	struct gceb_err e = { 0 };

	if (gceb_store_open(env->state_dir, (size_t)GCEB_STORE_DEFAULT_MAP_MIB << 20, 0, &s, &e) <
	    0)
		print_message("store: %s\n", e.msg);
	assert_non_null(s);
	return s;
}

void it_store_put(const struct it_env *env, enum gceb_kind kind, const char *key, const void *msg)
{
	struct gceb_store *s = it_store_open(env);
	struct gceb_txn *txn = NULL;

	assert_int_equal(gceb_store_begin(s, true, &txn, NULL), 0);
	assert_int_equal(gceb_txn_put(txn, kind, key, msg, NULL), 0);
	assert_int_equal(gceb_txn_commit(&txn, NULL), 0);
	gceb_store_close(s);
}
