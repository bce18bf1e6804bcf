/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_compact.c - the stored form of Instances and groups: what is left
 * out, and that every value reads back as exactly what was put.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compact.h"
#include "runner.h"
#include "state.pb-c.h"
#include "store.h"

#define PREFIX "https://compute.googleapis.com/compute/v1/projects/p"
#define IGM    "web 0123abcd us-central1-a"
#define KEY    IGM " web-0123abcd-x9k2"
#define URL    PREFIX "/zones/us-central1-a/instances/web-0123abcd-x9k2"

static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
	uint8_t *buf = malloc(protobuf_c_message_get_packed_size(msg) + 1);

	assert_non_null(buf);
	*len = protobuf_c_message_pack(msg, buf);
	return buf;
}

/*
 * Put @msg as entity @key through the stored form and read it back as the
 * store does: the same bytes must come out. Returns the stored size.
 */
static size_t roundtrip(enum gceb_kind kind, const char *key, const ProtobufCMessage *msg)
{
	const ProtobufCMessage *stored;
	struct gceb_compact c;
	ProtobufCMessage *back;
	uint8_t *want, *got, *raw;
	size_t want_len, got_len, raw_len;

	assert_int_equal(gceb_compact(kind, key, msg, &c, &stored), 0);
	raw = pack(stored, &raw_len);
	gceb_compact_release(&c);
	back = gceb_kind_unpack(kind, key, raw, raw_len);
	assert_non_null(back);
	want = pack(msg, &want_len);
	got = pack(back, &got_len);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	protobuf_c_message_free_unpacked(back, NULL);
	free(want);
	free(got);
	free(raw);
	return raw_len;
}

static size_t full_size(const ProtobufCMessage *msg)
{
	return protobuf_c_message_get_packed_size(msg);
}

static void instance_drops_group_and_url_the_key_gives(void **state)
{
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	const Gceb__State__Instance *st;
	const ProtobufCMessage *stored;
	char igm[] = IGM, url[] = URL;
	struct gceb_compact c;
	size_t n;

	inst.instance_group_manager = igm;
	inst.url = url;
	inst.has_cataloged = 1;
	inst.cataloged = 1;
	assert_int_equal(gceb_compact(GCEB_KIND_INSTANCE, KEY, &inst.base, &c, &stored), 0);
	st = (const Gceb__State__Instance *)(const void *)stored;
	assert_null(st->instance_group_manager);
	assert_true(st->has_igm_from_key && st->igm_from_key);
	assert_null(st->url);
	assert_string_equal(st->url_prefix, PREFIX);
	assert_true(st->cataloged);
	/* The caller's message is untouched. */
	assert_ptr_equal(inst.url, url);
	assert_ptr_equal(inst.instance_group_manager, igm);
	gceb_compact_release(&c);

	n = roundtrip(GCEB_KIND_INSTANCE, KEY, &inst.base);
	assert_true(n + strlen(IGM) + strlen(URL) - strlen(PREFIX) <= full_size(&inst.base));
}

static void instance_roundtrips_under_any_key(void **state)
{
	static const struct {
		const char *key, *igm, *url;
	} cases[] = {
		{ KEY, NULL, NULL }, /* unset stays unset, not "elided" */
		{ KEY, "web 0123abcd us-central1-b", PREFIX "/zones/us-central1-b/instances/x" },
		{ KEY, "web 0123abcd", PREFIX "/zones/us-central1-a/instances/web-0123abcd-x9k" },
		{ KEY, IGM " ", URL "/" },
		{ KEY, "", "" },
		{ KEY, IGM, "/zones/us-central1-a/instances/web-0123abcd-x9k2" }, /* empty prefix */
		{ KEY, IGM, URL "/zones/us-central1-a/instances/web-0123abcd-x9k2" },
		{ KEY, NULL, "zones/us-central1-a/instances/web-0123abcd-x9k2" },
		/* Odd keys: too few tokens, empty tokens, a name with a space. */
		{ "a", "a", "p/zones/a/instances/a" },
		{ "a b c", "a b c", "p/zones/c/instances/c" },
		{ "a  b c", "a  b", "p/zones//instances/c" },
		{ "a b z n m", "a b z", "p/zones/z/instances/n m" },
		{ "   ", "  ", "/zones//instances/" },
	};
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		inst.instance_group_manager = (char *)cases[i].igm;
		inst.url = (char *)cases[i].url;
		(void)roundtrip(GCEB_KIND_INSTANCE, cases[i].key, &inst.base);
	}
}

static void instance_keeps_its_other_fields(void **state)
{
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	Gceb__State__MetadataUpdate up = GCEB__STATE__METADATA_UPDATE__INIT;
	Gceb__State__MetadataUpdate *pending[] = { &up, &up };
	Gceb__State__MetadataItem item = GCEB__STATE__METADATA_ITEM__INIT;
	Gceb__State__MetadataItem *items[] = { &item };
	char igm[] = IGM, url[] = URL, k[] = "k", v[] = "v", sum[] = "abc";

	item.key = k;
	item.value = v;
	up.n_metadata = 1;
	up.metadata = items;
	up.checksum = sum;
	up.url = url;
	inst.instance_group_manager = igm;
	inst.url = url;
	inst.has_lease_expiration_ts = 1;
	inst.lease_expiration_ts = 1700000000;
	inst.has_pending_deletion = 1;
	inst.has_last_updated = 1;
	inst.last_updated = 42;
	inst.active_metadata_update = &up;
	inst.n_pending_metadata_updates = 2;
	inst.pending_metadata_updates = pending;
	assert_true(roundtrip(GCEB_KIND_INSTANCE, KEY, &inst.base) < full_size(&inst.base));
}

static void igm_lists_its_own_instances_by_name(void **state)
{
	Gceb__State__InstanceGroupManager igm = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;
	const Gceb__State__InstanceGroupManager *st;
	const ProtobufCMessage *stored;
	char a[] = IGM " web-a", b[] = "web 0123abcd us-central1-b web-b", c_[] = IGM " web-c";
	char *list[] = { a, b, c_ };
	struct gceb_compact c;

	igm.n_instances = 3;
	igm.instances = list;
	igm.has_minimum_size = 1;
	igm.minimum_size = 3;
	assert_int_equal(gceb_compact(GCEB_KIND_IGM, IGM, &igm.base, &c, &stored), 0);
	st = (const Gceb__State__InstanceGroupManager *)(const void *)stored;
	assert_true(st->has_instances_by_name && st->instances_by_name);
	assert_int_equal(st->n_instances, 3);
	assert_string_equal(st->instances[0], "web-a");
	assert_string_equal(st->instances[1], b); /* another group's: kept whole */
	assert_string_equal(st->instances[2], "web-c");
	assert_int_equal(st->minimum_size, 3);
	assert_string_equal(igm.instances[0], IGM " web-a");
	gceb_compact_release(&c);

	assert_true(roundtrip(GCEB_KIND_IGM, IGM, &igm.base) + 2 * strlen(IGM) <=
		    full_size(&igm.base));
}

static void igm_keeps_entries_that_are_not_its_names(void **state)
{
	static const char *const lists[][4] = {
		{ IGM " a", IGM "x b", "web 0123abcd", IGM " " }, /* prefix, not a token */
		{ IGM " a", IGM " b c", "x y", NULL },            /* a name with a space */
		{ IGM " a", "loose", NULL },                      /* no space: list kept whole */
		{ "", IGM " a", NULL },
		{ "x y z a", "x y z b", NULL }, /* nothing of ours */
		{ NULL },
	};
	Gceb__State__InstanceGroupManager igm = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;
	size_t i, n;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		n = 0;
		while (n < 4 && lists[i][n])
			n++;
		igm.n_instances = n;
		igm.instances = (char **)lists[i];
		(void)roundtrip(GCEB_KIND_IGM, IGM, &igm.base);
	}
	/* A list kept whole carries no marker at all. */
	igm.n_instances = 2;
	igm.instances = (char **)lists[2];
	assert_int_equal(roundtrip(GCEB_KIND_IGM, IGM, &igm.base), full_size(&igm.base));
}

static void other_kinds_are_stored_as_they_are(void **state)
{
	Gceb__State__InstanceTemplate tpl = GCEB__STATE__INSTANCE_TEMPLATE__INIT;
	const ProtobufCMessage *stored;
	char active[] = "web web";
	struct gceb_compact c;

	tpl.active = active;
	assert_int_equal(gceb_compact(GCEB_KIND_TEMPLATE, "web", &tpl.base, &c, &stored), 0);
	assert_ptr_equal(stored, &tpl.base);
	gceb_compact_release(&c);
	assert_int_equal(roundtrip(GCEB_KIND_TEMPLATE, "web", &tpl.base), full_size(&tpl.base));
}

/* Unpack hand-made stored bytes of @kind under @key. */
static ProtobufCMessage *unpack_as(enum gceb_kind kind, const char *key,
				   const ProtobufCMessage *stored)
{
	ProtobufCMessage *msg;
	size_t len;
	uint8_t *raw = pack(stored, &len);

	msg = gceb_kind_unpack(kind, key, raw, len);
	free(raw);
	return msg;
}

static void compact_forms_that_cannot_expand_do_not_unpack(void **state)
{
	Gceb__State__Instance inst = GCEB__STATE__INSTANCE__INIT;
	Gceb__State__InstanceGroupManager igm = GCEB__STATE__INSTANCE_GROUP_MANAGER__INIT;
	char prefix[] = PREFIX, url[] = URL, group[] = IGM;
	ProtobufCMessage *msg;

	inst.has_igm_from_key = 1;
	inst.igm_from_key = 1;
	msg = unpack_as(GCEB_KIND_INSTANCE, KEY, &inst.base);
	assert_non_null(msg); /* the control: this one expands */
	assert_string_equal(((Gceb__State__Instance *)msg)->instance_group_manager, IGM);
	assert_false(((Gceb__State__Instance *)msg)->has_igm_from_key);
	protobuf_c_message_free_unpacked(msg, NULL);
	/* A key without the tokens the value left out. */
	assert_null(unpack_as(GCEB_KIND_INSTANCE, "web 0123abcd us-central1-a", &inst.base));
	assert_null(unpack_as(GCEB_KIND_INSTANCE, "web", &inst.base));
	/* A marker next to the value it stands for. */
	inst.instance_group_manager = group;
	assert_null(unpack_as(GCEB_KIND_INSTANCE, KEY, &inst.base));
	inst.instance_group_manager = NULL;
	inst.igm_from_key = 0;
	assert_null(unpack_as(GCEB_KIND_INSTANCE, KEY, &inst.base));

	inst = (Gceb__State__Instance)GCEB__STATE__INSTANCE__INIT;
	inst.url_prefix = prefix;
	msg = unpack_as(GCEB_KIND_INSTANCE, KEY, &inst.base);
	assert_non_null(msg);
	assert_string_equal(((Gceb__State__Instance *)msg)->url, URL);
	assert_null(((Gceb__State__Instance *)msg)->url_prefix);
	protobuf_c_message_free_unpacked(msg, NULL);
	assert_null(unpack_as(GCEB_KIND_INSTANCE, "a b c", &inst.base));
	inst.url = url;
	assert_null(unpack_as(GCEB_KIND_INSTANCE, KEY, &inst.base));

	igm.has_instances_by_name = 1;
	assert_null(unpack_as(GCEB_KIND_IGM, IGM, &igm.base)); /* present but false */
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(instance_drops_group_and_url_the_key_gives),
		cmocka_unit_test(instance_roundtrips_under_any_key),
		cmocka_unit_test(instance_keeps_its_other_fields),
		cmocka_unit_test(igm_lists_its_own_instances_by_name),
		cmocka_unit_test(igm_keeps_entries_that_are_not_its_names),
		cmocka_unit_test(other_kinds_are_stored_as_they_are),
		cmocka_unit_test(compact_forms_that_cannot_expand_do_not_unpack),
	};

	return gceb_test_run("compact", tests, argc, argv);
}
