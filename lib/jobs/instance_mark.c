/* SPDX-License-Identifier: Apache-2.0 */
/* instance_mark.c - small atomic changes to an Instance */
#include "instance_mark.h"
#include "state.pb-c.h"

int mark_for_deletion(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;

	(void)payload;
	if (!in || in->pending_deletion)
		return GCEB_UPDATE_KEEP;
	in->has_pending_deletion = true;
	in->pending_deletion = true;
	in->has_lease_expiration_ts = false;
	in->lease_expiration_ts = 0;
	in->has_leased_indefinitely = false;
	in->leased_indefinitely = false;
	return GCEB_UPDATE_KEEP;
}

int mark_deleted_pending(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;

	if (!in || !in->pending_deletion)
		return GCEB_UPDATE_KEEP;
	return mark_deleted(msg, payload);
}

int mark_deleted(ProtobufCMessage **msg, void *payload)
{
	Gceb__State__Instance *in = (Gceb__State__Instance *)*msg;

	(void)payload;
	if (in && !in->deleted) {
		in->has_deleted = true;
		in->deleted = true;
	}
	return GCEB_UPDATE_KEEP;
}
