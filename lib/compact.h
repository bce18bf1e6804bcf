/* SPDX-License-Identifier: Apache-2.0 */
/*
 * compact.h - the stored form of entities, without what their keys say.
 *
 * lib/store.c packs gceb_compact()'s form of what it is given and runs
 * gceb_expand() on everything it unpacks, so that nothing else in gceb sees
 * the "stored form only" fields of proto/state.proto. Internal to lib/.
 */
#ifndef GCEB_COMPACT_H
#define GCEB_COMPACT_H

#include <protobuf-c/protobuf-c.h>

#include "state.pb-c.h"
#include "store.h"

/* The stored form of one entity while it is packed. */
struct gceb_compact {
	union {
		ProtobufCMessage base;
		Gceb__State__InstanceGroupManager igm;
		Gceb__State__Instance instance;
	} msg;            /* a shallow copy, borrowing the caller's strings */
	char *url_prefix; /* owned */
	char **instances; /* owned array; its strings are borrowed */
};

/*
 * Point *@out at the stored form of @msg, entity @key of @kind: @c's message,
 * or @msg itself where nothing can be left out. Both must outlive *@out.
 * Returns 0 or GCEB_ENOMEM; release @c with gceb_compact_release() either way.
 */
int gceb_compact(enum gceb_kind kind, const char *key, const ProtobufCMessage *msg,
		 struct gceb_compact *c, const ProtobufCMessage **out);
void gceb_compact_release(struct gceb_compact *c);

/*
 * Turn @msg, the unpacked value of entity @key of @kind, back into what was
 * put, in place; a full value (as "gceb-store 1" wrote them all) is left as
 * it is. Returns 0, GCEB_EPARSE for a stored form that @key cannot expand,
 * or GCEB_ENOMEM. On failure @msg is only fit for freeing.
 */
int gceb_expand(enum gceb_kind kind, const char *key, ProtobufCMessage *msg);

#endif
