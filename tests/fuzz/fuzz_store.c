/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_store.c - a stored value as the store reads it (gceb_kind_unpack()):
 * unpacked and expanded as each entity kind under a key of that kind, and
 * under a key too short to expand it, then freed. Where it unpacks, no
 * stored-form field is left (lib/compact.h), packing is a fixed point (pack,
 * unpack, pack gives the same bytes), and the fields the jobs hand to the
 * request builders (gce.h, mp.h) come back as a request or a coded refusal,
 * never a crash.
 */
#include <stdbool.h>
#include <string.h>

#include "fuzz.h"
#include "gce.h"
#include "mp.h"
#include "state.pb-c.h"
#include "store.h"

#define ROOT "https://compute.googleapis.com/"
#define REV  "0123abcd89ef0123abcd89ef0123abcd89ef0123"
#define IGM  "fuzz " REV " us-central1-b"

/* A key of each kind, as the store would read the value under it. */
static const char *const keys[GCEB_KIND_COUNT] = {
	[GCEB_KIND_CONFIG] = "current",       [GCEB_KIND_TEMPLATE] = "fuzz",
	[GCEB_KIND_REVISION] = "fuzz " REV,   [GCEB_KIND_IGM] = IGM,
	[GCEB_KIND_INSTANCE] = IGM " fuzz-1",
};

static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(n ? n : 1);

	FUZZ_CHECK(buf);
	*len = protobuf_c_message_pack(msg, buf);
	FUZZ_CHECK(*len == n);
	return buf;
}

/* A builder made a request, or refused with a message. */
static void built(int r, struct gceb_http_request *req, const struct gceb_err *e)
{
	if (r < 0) {
		FUZZ_CHECK(!req && e->msg[0]);
		return;
	}
	FUZZ_CHECK(r == 0 && req && req->url);
	gceb_http_request_free(req);
}

static void use_revision(const Gceb__State__Revision *rev)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };
	int r;

	r = gceb_gce_template_insert(ROOT, "fuzz", REV, rev, &req, &e);
	built(r, req, &e);
	req = NULL;
	r = gceb_mp_add_machine("https://mp.example.com", "fuzz-1", "key", rev, &req, &e);
	built(r, req, &e);
}

static void use_igm(const Gceb__State__InstanceGroupManager *igm)
{
	struct gceb_http_request *req = NULL;
	struct gceb_err e = { 0 };
	int r;

	if (igm->n_instances == 0 || igm->n_instances > GCEB_GCE_DELETE_MAX_INSTANCES)
		return;
	r = gceb_gce_delete_instances(ROOT, "p", "us-central1-b", "fuzz-" REV,
				      (const char *const *)igm->instances, igm->n_instances, &req,
				      &e);
	built(r, req, &e);
}

static void use_instance(const Gceb__State__Instance *inst)
{
	const Gceb__State__MetadataUpdate *u = inst->active_metadata_update;
	struct gceb_http_request *req = NULL;
	char sum[GCEB_SHA1_HEX_LEN + 1];
	struct gceb_err e = { 0 };
	int r;

	if (inst->url) {
		r = gceb_gce_get_stored(ROOT, inst->url, &req, &e);
		built(r, req, &e);
	}
	if (u) {
		r = gceb_gce_metadata_checksum(u->metadata, u->n_metadata, sum);
		FUZZ_CHECK(r == 0 || r == GCEB_ENOMEM);
		FUZZ_CHECK(r != 0 || strlen(sum) == GCEB_SHA1_HEX_LEN);
	}
}

/* Callers must never see the compact form. */
static bool expanded(enum gceb_kind kind, const ProtobufCMessage *msg)
{
	const Gceb__State__Instance *inst = (const Gceb__State__Instance *)(const void *)msg;
	const Gceb__State__InstanceGroupManager *igm =
		(const Gceb__State__InstanceGroupManager *)(const void *)msg;

	if (kind == GCEB_KIND_INSTANCE)
		return !inst->has_igm_from_key && !inst->url_prefix;
	if (kind == GCEB_KIND_IGM)
		return !igm->has_instances_by_name;
	return true;
}

static void decode(enum gceb_kind kind, const char *key, const uint8_t *data, size_t size)
{
	const ProtobufCMessageDescriptor *desc = gceb_kind_descriptor(kind);
	ProtobufCMessage *msg, *again;
	uint8_t *a, *b;
	size_t alen, blen;

	msg = gceb_kind_unpack(kind, key, data, size);
	if (!msg)
		return;
	FUZZ_CHECK(msg->descriptor == desc && protobuf_c_message_check(msg));
	FUZZ_CHECK(expanded(kind, msg));
	/* The full form is a value too (all of "gceb-store 1"), and reads as itself. */
	a = pack(msg, &alen);
	again = gceb_kind_unpack(kind, key, a, alen);
	FUZZ_CHECK(again);
	b = pack(again, &blen);
	FUZZ_CHECK(alen == blen && !memcmp(a, b, alen));
	free(a);
	free(b);
	protobuf_c_message_free_unpacked(again, NULL);

	switch (kind) {
	case GCEB_KIND_REVISION:
		use_revision((const Gceb__State__Revision *)msg);
		break;
	case GCEB_KIND_IGM:
		use_igm((const Gceb__State__InstanceGroupManager *)msg);
		break;
	case GCEB_KIND_INSTANCE:
		use_instance((const Gceb__State__Instance *)msg);
		break;
	case GCEB_KIND_CONFIG:
	case GCEB_KIND_TEMPLATE:
	case GCEB_KIND_COUNT:
		break;
	}
	protobuf_c_message_free_unpacked(msg, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned kind;

	for (kind = 0; kind < GCEB_KIND_COUNT; kind++) {
		decode((enum gceb_kind)kind, keys[kind], data, size);
		decode((enum gceb_kind)kind, "fuzz", data, size);
	}
	return 0;
}
