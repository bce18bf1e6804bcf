/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_textproto.c - the text-format parser (textproto.h) on one input, as
 * each config.proto file type and as test_textproto's every-scalar schema:
 * no crash, no leak, GCEB_ECONFIG with a message and nothing written on
 * failure; on success every recorded position is found again, and printing
 * the message and parsing that gives a message that packs to the same bytes.
 */
#include <stdbool.h>
#include <string.h>

#include "alltypes.pb-c.h"
#include "config.pb-c.h"
#include "fuzz.h"
#include "textproto.h"

static const ProtobufCMessageDescriptor *const descs[] = {
	&gceb__config__instance_template_config__descriptor,
	&gceb__config__instance_group_manager_config__descriptor,
	&gceb__config__settings_cfg__descriptor,
	&gceb__test__all_types__descriptor,
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

static void round_trip(const ProtobufCMessageDescriptor *desc, const ProtobufCMessage *msg)
{
	ProtobufCMessage *again = NULL;
	struct gceb_err e = { 0 };
	uint8_t *a, *b;
	size_t alen, blen;
	char *text = NULL;
	int r;

	r = gceb_textproto_print(msg, &text, &e);
	if (r == GCEB_ENOMEM)
		return;
	FUZZ_CHECK(r == 0 && text);
	r = gceb_textproto_parse(desc, "printed", text, strlen(text), &again, NULL, &e);
	if (r != 0)
		(void)fprintf(stderr, "%s\n--- printed:\n%s", e.msg, text);
	FUZZ_CHECK(r == 0 || r == GCEB_ENOMEM);
	if (r == 0) {
		a = pack(msg, &alen);
		b = pack(again, &blen);
		FUZZ_CHECK(alen == blen && !memcmp(a, b, alen));
		free(a);
		free(b);
		protobuf_c_message_free_unpacked(again, NULL);
	}
	free(text);
}

static void parse(const ProtobufCMessageDescriptor *desc, const char *text, size_t len)
{
	struct gceb_textproto_locs locs = { 0 };
	struct gceb_err e = { 0 };
	static ProtobufCMessage untouched; /* what a failure must leave in *out */
	ProtobufCMessage *msg = &untouched;
	unsigned line, column;
	size_t i;
	int r;

	r = gceb_textproto_parse(desc, "fuzz.txtpb", text, len, &msg, &locs, &e);
	if (r < 0) {
		FUZZ_CHECK_FAILURE(r, &e, GCEB_ECONFIG, GCEB_ECONFIG);
		FUZZ_CHECK(msg == &untouched);
		FUZZ_CHECK(locs.n == 0);
		gceb_textproto_locs_release(&locs);
		return;
	}
	FUZZ_CHECK(msg && msg->descriptor == desc);
	for (i = 0; i < locs.n; i++) {
		const struct gceb_textproto_loc *l = &locs.v[i];

		FUZZ_CHECK(
			gceb_textproto_find(&locs, l->msg, l->field_id, l->index, &line, &column));
		FUZZ_CHECK(line >= 1 && column >= 1);
	}
	round_trip(desc, msg);
	protobuf_c_message_free_unpacked(msg, NULL);
	gceb_textproto_locs_release(&locs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < sizeof(descs) / sizeof(descs[0]); i++)
		parse(descs[i], (const char *)data, size);
	return 0;
}
