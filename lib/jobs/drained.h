/* SPDX-License-Identifier: Apache-2.0 */
/* drained.h - the drained IGM set of behaviour.md §2.10 */
#ifndef GCEB_JOBS_DRAINED_H
#define GCEB_JOBS_DRAINED_H

#include <stddef.h>

#include "store.h"

/*
 * Every key in the drained list of every Revision (explicitly drained),
 * and every key in the active list of each Revision that its template lists
 * as drained (implicitly drained). Keys may dangle; duplicates are dropped.
 * *@keys is owned by the caller (free each, then the array).
 */
int drained_igm_set(struct gceb_txn *txn, char ***keys, size_t *n, struct gceb_err *err);

void drained_free(char **keys, size_t n);

#endif
