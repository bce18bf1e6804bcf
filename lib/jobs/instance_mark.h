/* SPDX-License-Identifier: Apache-2.0 */
/* instance_mark.h - the small atomic changes several jobs make to an Instance */
#ifndef GCEB_JOBS_INSTANCE_MARK_H
#define GCEB_JOBS_INSTANCE_MARK_H

#include "store.h"

/*
 * Mark for deletion (behaviour.md §4.7): if not already pending deletion,
 * set pending_deletion and clear the lease. cataloged is left as it is.
 */
int mark_for_deletion(ProtobufCMessage **msg, void *payload);

/* Set deleted, only for an instance pending deletion (cleanup (a)). */
int mark_deleted_pending(ProtobufCMessage **msg, void *payload);

/* Set deleted whatever else is true (cleanup (c), orphans). */
int mark_deleted(ProtobufCMessage **msg, void *payload);

#endif
