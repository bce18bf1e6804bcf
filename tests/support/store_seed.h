/* SPDX-License-Identifier: Apache-2.0 */
/* store_seed.h - open the store of an it_env and write entities into it directly, for tests */
#ifndef GCEB_TEST_STORE_SEED_H
#define GCEB_TEST_STORE_SEED_H

#include "entity.h"
#include "harness.h"
#include "store.h"

/* Open (creating it) the store of @env; failing the test if it cannot. */
struct gceb_store *it_store_open(const struct it_env *env);

/* Write entity @msg of @kind at @key, in a transaction of its own. */
void it_store_put(const struct it_env *env, enum gceb_kind kind, const char *key, const void *msg);

#endif
