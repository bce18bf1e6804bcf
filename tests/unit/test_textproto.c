/* SPDX-License-Identifier: Apache-2.0 */
/* test_textproto.c - the text format parser against protoc, and its errors */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alltypes.pb-c.h"
#include "config.pb-c.h"
#include "fixture.h"
#include "runner.h"
#include "state.pb-c.h"
#include "textproto.h"

#define CORPUS_DIR GCEB_FIXTURE_DIR "/textproto"

/* Every message type a corpus file may name in its "# proto-message:" line. */
static const ProtobufCMessageDescriptor *const corpus_types[] = {
	&gceb__test__all_types__descriptor,
	&gceb__config__instance_template_config__descriptor,
	&gceb__config__instance_group_manager_config__descriptor,
	&gceb__config__settings_cfg__descriptor,
	&gceb__state__revision__descriptor,
};

static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(msg);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	assert_int_equal(protobuf_c_message_pack(msg, buf), *len);
	return buf;
}

static const ProtobufCMessageDescriptor *corpus_type(const char *text)
{
	const char *line = strstr(text, "# proto-message: ");
	size_t i, n;

	assert_non_null(line);
	line += strlen("# proto-message: ");
	n = strcspn(line, "\n");
	for (i = 0; i < sizeof(corpus_types) / sizeof(corpus_types[0]); i++)
		if (strlen(corpus_types[i]->name) == n && !memcmp(corpus_types[i]->name, line, n))
			return corpus_types[i];
	fail_msg("no descriptor for %.*s", (int)n, line);
	return NULL;
}

typedef void corpus_fn(const char *stem, const char *text, size_t len,
		       const ProtobufCMessageDescriptor *desc);

/* Run @fn on every fixtures/textproto/<stem>.txtpb. */
static void for_each_corpus_file(corpus_fn *fn)
{
	DIR *dir = opendir(CORPUS_DIR);
	struct dirent *de;
	char path[512];
	size_t n = 0, len;
	char *text;

	assert_non_null(dir);
	/* cppcheck-suppress readdirCalled ; one thread, and readdir_r is deprecated (glibc 2.24) */
	while ((de = readdir(dir))) {
		const char *dot = strrchr(de->d_name, '.');

		if (!dot || strcmp(dot, ".txtpb") != 0)
			continue;
		(void)snprintf(path, sizeof(path), "%s/%s", CORPUS_DIR, de->d_name);
		text = gceb_test_read_file(path, &len);
		(void)snprintf(path, sizeof(path), "%.*s", (int)(dot - de->d_name), de->d_name);
		fn(path, text, len, corpus_type(text));
		free(text);
		n++;
	}
	(void)closedir(dir);
	assert_true(n >= 9);
}

static ProtobufCMessage *parse_ok(const ProtobufCMessageDescriptor *desc, const char *name,
				  const char *text, size_t len, struct gceb_textproto_locs *locs)
{
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;
	int r;

	r = gceb_textproto_parse(desc, name, text, len, &msg, locs, &err);
	if (r != 0)
		fail_msg("%s: %s", name, err.msg);
	assert_non_null(msg);
	return msg;
}

static void check_oracle(const char *stem, const char *text, size_t len,
			 const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *msg = parse_ok(desc, stem, text, len, NULL);
	size_t got_len, want_len;
	uint8_t *got = pack(msg, &got_len);
	char path[512];
	char *want;

	(void)snprintf(path, sizeof(path), "%s/%s.bin", GCEB_TEXTPROTO_BIN_DIR, stem);
	want = gceb_test_read_file(path, &want_len);
	print_message("%s: %zu bytes\n", stem, want_len);
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
	free(want);
	free(got);
	protobuf_c_message_free_unpacked(msg, NULL);
}

/* Every corpus file packs to the bytes protoc --encode made of it. */
static void test_oracle(void **state)
{
	(void)state;
	for_each_corpus_file(check_oracle);
}

static void check_round_trip(const char *stem, const char *text, size_t len,
			     const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *first = parse_ok(desc, stem, text, len, NULL);
	ProtobufCMessage *second;
	struct gceb_err err = { 0 };
	char *printed = NULL, *reprinted = NULL;
	uint8_t *a, *b;
	size_t alen, blen;

	assert_int_equal(gceb_textproto_print(first, &printed, &err), 0);
	second = parse_ok(desc, "printed", printed, strlen(printed), NULL);
	a = pack(first, &alen);
	b = pack(second, &blen);
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	/* Printing is canonical: the printed text prints as itself. */
	assert_int_equal(gceb_textproto_print(second, &reprinted, &err), 0);
	assert_string_equal(printed, reprinted);
	free(a);
	free(b);
	free(printed);
	free(reprinted);
	protobuf_c_message_free_unpacked(first, NULL);
	protobuf_c_message_free_unpacked(second, NULL);
}

/* Print then parse gives the same packed bytes, for every corpus file. */
static void test_round_trip(void **state)
{
	(void)state;
	for_each_corpus_file(check_round_trip);
}

/* The exact canonical text: number order, indentation, escapes, enum names. */
static void test_print_canonical(void **state)
{
	static const char text[] =
		"r_nested { child { s: 'x' } }\n"
		"f_enum: 2 f_bytes: \"\\0\\n\\\"\\x7f\\200\" f_string: 'caf\\u00e9\\t\\\\'\n"
		"f_sint32: -3 f_int32: 1 f_double: 0.1 f_float: 0.1 f_bool: t\n"
		"r_double: [1e300, -0.0, inf, nan] r_uint64: 18446744073709551615\n";
	static const char want[] = "f_int32: 1\n"
				   "f_sint32: -3\n"
				   "f_float: 0.1\n"
				   "f_double: 0.1\n"
				   "f_bool: true\n"
				   "f_string: \"caf\\303\\251\\t\\\\\"\n"
				   "f_bytes: \"\\000\\n\\\"\\177\\200\"\n"
				   "f_enum: BLUE\n"
				   "r_uint64: 18446744073709551615\n"
				   "r_double: 1e+300\n"
				   "r_double: -0\n"
				   "r_double: inf\n"
				   "r_double: nan\n"
				   "r_nested {\n"
				   "  child {\n"
				   "    s: \"x\"\n"
				   "  }\n"
				   "}\n";
	ProtobufCMessage *msg =
		parse_ok(&gceb__test__all_types__descriptor, "t", text, strlen(text), NULL);
	struct gceb_err err = { 0 };
	char *out = NULL;

	(void)state;
	assert_int_equal(gceb_textproto_print(msg, &out, &err), 0);
	assert_string_equal(out, want);
	free(out);
	protobuf_c_message_free_unpacked(msg, NULL);

	/* An empty message prints as an empty string, not NULL. */
	msg = parse_ok(&gceb__test__all_types__descriptor, "t", "", 0, NULL);
	assert_int_equal(gceb_textproto_print(msg, &out, &err), 0);
	assert_string_equal(out, "");
	free(out);
	protobuf_c_message_free_unpacked(msg, NULL);
}

/* Unset fields keep protobuf-c's defaults, which free_unpacked must not free. */
static void test_defaults(void **state)
{
	Gceb__Test__AllTypes *m;

	(void)state;
	m = (Gceb__Test__AllTypes *)parse_ok(&gceb__test__all_types__descriptor, "t", "f_int32: 0",
					     10, NULL);
	assert_true(m->has_f_int32);
	assert_false(m->has_d_int32);
	assert_int_equal(m->d_int32, 7);
	assert_int_equal(m->d_enum, GCEB__TEST__COLOR__BLUE);
	assert_string_equal(m->d_string, "dflt");
	assert_null(m->f_string);
	assert_null(m->f_nested);
	assert_int_equal(m->kind_case, GCEB__TEST__ALL_TYPES__KIND__NOT_SET);
	protobuf_c_message_free_unpacked(&m->base, NULL);

	m = (Gceb__Test__AllTypes *)parse_ok(&gceb__test__all_types__descriptor, "t",
					     "o_string: 'x' d_string: 'dflt'", 30, NULL);
	assert_int_equal(m->kind_case, GCEB__TEST__ALL_TYPES__KIND_O_STRING);
	assert_string_equal(m->o_string, "x");
	assert_string_equal(m->d_string, "dflt");
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

struct error_case {
	const ProtobufCMessageDescriptor *desc;
	const char *text;
	size_t len; /* 0: strlen(text) */
	const char *msg;
};

#define ALL &gceb__test__all_types__descriptor

/* clang-format off */
static const struct error_case error_cases[] = {
	/* unknown field, missing pieces, wrong types */
	{ ALL, "f_int32: 1\n  nope: 2\n", 0,
	  "t.cfg:2:3: unknown field 'nope', expected a field of gceb.test.AllTypes" },
	{ ALL, "f_int32:\n", 0, "t.cfg:2:1: end of input, expected int32 for field 'f_int32'" },
	{ ALL, "f_int32: }", 0, "t.cfg:1:10: '}', expected int32 for field 'f_int32'" },
	{ ALL, "f_int32 1", 0, "t.cfg:1:9: '1', expected ':' after field 'f_int32'" },
	{ ALL, "f_int32 { }", 0, "t.cfg:1:9: '{', expected ':' after field 'f_int32'" },
	{ ALL, "f_int32: \"1\"", 0, "t.cfg:1:10: string, expected int32 for field 'f_int32'" },
	{ ALL, "f_int32: 1.5", 0, "t.cfg:1:10: '1.5', expected int32 for field 'f_int32'" },
	{ ALL, "f_int32: [1]", 0, "t.cfg:1:10: '[', expected int32 for field 'f_int32'" },
	{ ALL, "f_nested: 1", 0, "t.cfg:1:11: '1', expected '{' or '<' for field 'f_nested'" },
	{ ALL, "f_string: x", 0, "t.cfg:1:11: 'x', expected string for field 'f_string'" },
	{ ALL, "f_bytes: 1", 0, "t.cfg:1:10: '1', expected bytes for field 'f_bytes'" },
	{ ALL, "f_bool: yes", 0, "t.cfg:1:9: 'yes', expected bool for field 'f_bool'" },
	{ ALL, "f_bool: 2", 0, "t.cfg:1:9: 2, expected bool in [0, 1] for field 'f_bool'" },
	{ ALL, "f_double: 0x10", 0, "t.cfg:1:11: '0x10', expected double for field 'f_double'" },
	{ ALL, "f_float: 010", 0, "t.cfg:1:10: '010', expected float for field 'f_float'" },
	{ ALL, "}", 0, "t.cfg:1:1: '}', expected a field name" },
	{ ALL, "\"f_int32\": 1", 0, "t.cfg:1:1: string, expected a field name" },
	{ ALL, "\tf_int32: x", 0, "t.cfg:1:11: 'x', expected int32 for field 'f_int32'" },
	/* numbers and ranges */
	{ ALL, "f_int32: 2147483648", 0,
	  "t.cfg:1:10: 2147483648, expected int32 in [-2147483648, 2147483647] for field 'f_int32'" },
	{ ALL, "f_sfixed32: - 0x80000001", 0,
	  "t.cfg:1:13: -0x80000001, expected sfixed32 in [-2147483648, 2147483647] for field 'f_sfixed32'" },
	{ ALL, "f_uint32: -1", 0,
	  "t.cfg:1:11: -1, expected uint32 in [0, 4294967295] for field 'f_uint32'" },
	{ ALL, "f_fixed32: 4294967296", 0,
	  "t.cfg:1:12: 4294967296, expected fixed32 in [0, 4294967295] for field 'f_fixed32'" },
	{ ALL, "f_int64: -9223372036854775809", 0,
	  "t.cfg:1:10: -9223372036854775809, expected int64 in [-9223372036854775808, 9223372036854775807] for field 'f_int64'" },
	{ ALL, "f_uint64: 18446744073709551616", 0,
	  "t.cfg:1:11: 18446744073709551616, expected uint64 in [0, 18446744073709551615] for field 'f_uint64'" },
	{ ALL, "f_uint64: 0x10000000000000000", 0,
	  "t.cfg:1:11: 0x10000000000000000, expected uint64 in [0, 18446744073709551615] for field 'f_uint64'" },
	{ ALL, "f_float: 1e39", 0,
	  "t.cfg:1:10: 1e39, expected float in [-3.40282347e+38, 3.40282347e+38] for field 'f_float'" },
	{ ALL, "f_double: -1e400", 0,
	  "t.cfg:1:11: -1e400, expected double in [-1.7976931348623157e+308, 1.7976931348623157e+308] for field 'f_double'" },
	{ ALL, "f_int32: 1x", 0, "t.cfg:1:10: '1x', expected a number" },
	{ ALL, "f_int32: 09", 0, "t.cfg:1:10: '09', expected a number" },
	{ ALL, "f_double: 1.2.3", 0, "t.cfg:1:11: '1.2.3', expected a number" },
	{ ALL, "f_double: 1e+", 0, "t.cfg:1:11: '1e+', expected a number" },
	/* enums */
	{ ALL, "f_enum: PURPLE", 0,
	  "t.cfg:1:9: 'PURPLE', expected a value of gceb.test.Color for field 'f_enum'" },
	{ ALL, "f_enum: 5", 0, "t.cfg:1:9: 5, expected a value of gceb.test.Color for field 'f_enum'" },
	{ ALL, "f_enum: red", 0,
	  "t.cfg:1:9: 'red', expected a value of gceb.test.Color for field 'f_enum'" },
	/* strings and escapes */
	{ ALL, "f_string: \"abc\n\"", 0,
	  "t.cfg:1:11: unterminated string, expected a closing \" on the same line" },
	{ ALL, "f_string: 'abc", 0,
	  "t.cfg:1:11: unterminated string, expected a closing ' on the same line" },
	{ ALL, "f_string: 'abc\\'", 0,
	  "t.cfg:1:11: unterminated string, expected a closing ' on the same line" },
	{ ALL, "f_string: \"a\\qb\"", 0,
	  "t.cfg:1:13: escape '\\q', expected one of \\a \\b \\f \\n \\r \\t \\v \\\\ \\' \\\" \\? \\NNN \\xHH \\uXXXX \\UXXXXXXXX" },
	{ ALL, "f_bytes: \"\\777\"", 0,
	  "t.cfg:1:11: escape '\\777', expected an octal escape up to \\377" },
	{ ALL, "f_bytes: \"\\xg\"", 0,
	  "t.cfg:1:11: escape '\\x', expected \\x and one or two hex digits" },
	{ ALL, "f_string: \"\\u12\"", 0,
	  "t.cfg:1:12: escape '\\u', expected \\u and 4 hex digits" },
	{ ALL, "f_string: \"\\ud800x\"", 0,
	  "t.cfg:1:12: escape '\\ud800', expected a Unicode code point up to \\U0010ffff, not a lone surrogate" },
	{ ALL, "f_string: \"\\U00110000\"", 0,
	  "t.cfg:1:12: escape '\\U00110000', expected a Unicode code point up to \\U0010ffff, not a lone surrogate" },
	{ ALL, "f_string: \"a\\0\"", 0,
	  "t.cfg:1:13: escape '\\0', expected no NUL in a string field (use bytes)" },
	{ ALL, "f_string: 'ok' \"\\x00\"", 0,
	  "t.cfg:1:17: escape '\\x00', expected no NUL in a string field (use bytes)" },
	/* singular fields once, one member of a oneof */
	{ ALL, "f_int32: 1\nf_int32: 2", 0,
	  "t.cfg:2:1: non-repeated field 'f_int32' specified multiple times, expected it once" },
	{ ALL, "f_nested {}\n  f_nested: <>", 0,
	  "t.cfg:2:3: non-repeated field 'f_nested' specified multiple times, expected it once" },
	{ ALL, "o_int32: 1 o_string: \"x\"", 0,
	  "t.cfg:1:12: field 'o_string' after 'o_int32' of the same oneof, expected only one of them" },
	/* brackets and lists */
	{ ALL, "f_nested { a: 1", 0, "t.cfg:1:16: end of input, expected a field name or '}'" },
	{ ALL, "f_nested { a: 1 }}", 0, "t.cfg:1:18: '}', expected a field name" },
	{ ALL, "f_nested { a: 1 >", 0, "t.cfg:1:17: '>', expected a field name or '}'" },
	{ ALL, "f_nested < a: 1 }", 0, "t.cfg:1:17: '}', expected a field name or '>'" },
	{ ALL, "r_int32: [1,]", 0, "t.cfg:1:13: ']', expected int32 for field 'r_int32'" },
	{ ALL, "r_int32: [1 2]", 0,
	  "t.cfg:1:13: '2', expected ',' or ']' in the list of field 'r_int32'" },
	{ ALL, "r_int32: [1, 2", 0,
	  "t.cfg:1:15: end of input, expected ',' or ']' in the list of field 'r_int32'" },
	{ ALL, "r_nested: [{}, 1]", 0,
	  "t.cfg:1:16: '1', expected '{' or '<' for field 'r_nested'" },
	/* required fields */
	{ &gceb__test__strict__descriptor, "may: 1", 0,
	  "t.cfg:1:7: end of input, expected required field 'must' of gceb.test.Strict" },
	/* binary garbage */
	{ ALL, "f_int32: 1\n\x01", 0,
	  "t.cfg:2:1: byte 0x01, expected a field name, value or one of {}<>[]:,;-" },
	{ ALL, "f_int32: 1\0 f_int32: 2", 22, "t.cfg:1:11: byte 0x00, expected text" },
	{ ALL, "\0", 1, "t.cfg:1:1: byte 0x00, expected text" },
	{ ALL, "# comment \0\n", 12, "t.cfg:1:11: byte 0x00, expected text" },
	{ ALL, "f_string: \"a\0b\"", 15, "t.cfg:1:13: byte 0x00, expected text in string" },
	{ ALL, "f_string: \"\xff\xfe\" @", 0,
	  "t.cfg:1:16: '@', expected a field name, value or one of {}<>[]:,;-" },
	{ ALL, "\x89PNG\r\n\x1a\n", 0,
	  "t.cfg:1:1: byte 0x89, expected a field name, value or one of {}<>[]:,;-" },
};
/* clang-format on */

/* Each error class: GCEB_ECONFIG, the exact message, and nothing written. */
static void test_errors(void **state)
{
	static ProtobufCMessage sentinel;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];
		struct gceb_textproto_locs locs = { 0 };
		struct gceb_err err = { 0 };
		ProtobufCMessage *msg = &sentinel;
		size_t len = c->len ? c->len : strlen(c->text);
		int r;

		r = gceb_textproto_parse(c->desc, "t.cfg", c->text, len, &msg, &locs, &err);
		print_message("case %zu: %s\n", i, err.msg);
		assert_int_equal(r, GCEB_ECONFIG);
		assert_int_equal(err.code, GCEB_ECONFIG);
		assert_string_equal(err.msg, c->msg);
		assert_ptr_equal(msg, &sentinel);
		assert_int_equal(locs.n, 0);
		gceb_textproto_locs_release(&locs);
	}
}

/* 32 nested messages parse; one more is refused before the stack suffers. */
static void test_depth(void **state)
{
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg = NULL;
	char text[4096];
	size_t len = 0;
	int i, levels;

	(void)state;
	for (levels = 32; levels <= 33; levels++) {
		len = 0;
		for (i = 0; i < levels; i++)
			len += (size_t)snprintf(text + len, sizeof(text) - len, "child {");
		for (i = 0; i < levels; i++)
			text[len++] = '}';
		msg = NULL;
		i = gceb_textproto_parse(&gceb__test__nested__descriptor, "deep", text, len, &msg,
					 NULL, &err);
		if (levels == 32) {
			assert_int_equal(i, 0);
			protobuf_c_message_free_unpacked(msg, NULL);
		} else {
			assert_int_equal(i, GCEB_ECONFIG);
			assert_string_equal(err.msg,
					    "deep:1:231: '{', expected at most 32 nested messages");
		}
	}

	/* A bomb far past the limit fails the same way, at the same place. */
	len = 0;
	while (len + 2 < sizeof(text)) {
		text[len++] = 'f';
		text[len++] = '<';
	}
	msg = NULL;
	assert_int_equal(gceb_textproto_parse(&gceb__test__nested__descriptor, "bomb", text, len,
					      &msg, NULL, &err),
			 GCEB_ECONFIG);
	assert_null(msg);
	assert_string_equal(err.msg,
			    "bomb:1:1: unknown field 'f', expected a field of gceb.test.Nested");
	len = 0;
	while (len + 8 < sizeof(text))
		len += (size_t)snprintf(text + len, sizeof(text) - len, "child<");
	assert_int_equal(gceb_textproto_parse(&gceb__test__nested__descriptor, "bomb", text, len,
					      &msg, NULL, &err),
			 GCEB_ECONFIG);
	assert_string_equal(err.msg, "bomb:1:198: '<', expected at most 32 nested messages");
}

/* Field positions, for nested and repeated messages and list elements. */
static void test_locations(void **state)
{
	static const char text[] = "templates {\n"
				   "  base_name: \"a\"\n"
				   "}\n"
				   "templates: <\n"
				   "  base_name: \"b\"\n"
				   "  service_accounts {\n"
				   "    name: \"x\"\n"
				   "    scopes: [\"s1\",\n"
				   "             \"s2\"]\n"
				   "  }\n"
				   "  service_accounts: [{ name: \"y\" }, { name: \"z\" }]\n"
				   ">\n";
	struct gceb_textproto_locs locs = { 0 };
	Gceb__Config__InstanceTemplateConfig *cfg;
	Gceb__Config__InstanceTemplateConfig__InstanceTemplate *t1;
	struct gceb_err err = { 0 };
	ProtobufCMessage *bad = NULL;
	unsigned line = 0, column = 0;
	size_t n;

	(void)state;
	cfg = (Gceb__Config__InstanceTemplateConfig *)parse_ok(
		&gceb__config__instance_template_config__descriptor, "templates.cfg", text,
		strlen(text), &locs);
	assert_int_equal(cfg->n_templates, 2);
	t1 = cfg->templates[1];
	assert_int_equal(t1->n_service_accounts, 3);

	assert_true(gceb_textproto_find(&locs, &cfg->base, 1, 0, &line, &column));
	assert_int_equal(line, 1);
	assert_int_equal(column, 1);
	assert_true(gceb_textproto_find(&locs, &cfg->base, 1, 1, &line, &column));
	assert_int_equal(line, 4);
	assert_int_equal(column, 1);
	assert_true(gceb_textproto_find(&locs, &cfg->templates[0]->base, 1, 0, &line, &column));
	assert_int_equal(line, 2);
	assert_int_equal(column, 3);
	assert_true(gceb_textproto_find(&locs, &t1->base, 1, 0, &line, &column));
	assert_int_equal(line, 5);
	assert_int_equal(column, 3);
	assert_true(gceb_textproto_find(&locs, &t1->base, 6, 0, &line, &column));
	assert_int_equal(line, 6);
	assert_int_equal(column, 3);
	assert_true(
		gceb_textproto_find(&locs, &t1->service_accounts[0]->base, 1, 0, &line, &column));
	assert_int_equal(line, 7);
	assert_int_equal(column, 5);
	/* List elements are located at themselves, not at the field name. */
	assert_true(
		gceb_textproto_find(&locs, &t1->service_accounts[0]->base, 2, 0, &line, &column));
	assert_int_equal(line, 8);
	assert_int_equal(column, 14);
	assert_true(
		gceb_textproto_find(&locs, &t1->service_accounts[0]->base, 2, 1, &line, &column));
	assert_int_equal(line, 9);
	assert_int_equal(column, 14);
	assert_true(gceb_textproto_find(&locs, &t1->base, 6, 2, &line, &column));
	assert_int_equal(line, 11);
	assert_int_equal(column, 37);
	assert_true(
		gceb_textproto_find(&locs, &t1->service_accounts[2]->base, 1, 0, &line, &column));
	assert_int_equal(line, 11);
	assert_int_equal(column, 39);

	/* Fields not written, and no locations at all. */
	assert_false(gceb_textproto_find(&locs, &t1->base, 4, 0, &line, &column));
	assert_false(gceb_textproto_find(&locs, &t1->base, 6, 3, &line, &column));
	assert_false(gceb_textproto_find(NULL, &t1->base, 1, 0, &line, &column));

	/* A failed parse leaves the locations of earlier ones alone. */
	n = locs.n;
	assert_int_equal(gceb_textproto_parse(&gceb__config__instance_template_config__descriptor,
					      "bad", "templates { base_name: 1 }", 26, &bad, &locs,
					      &err),
			 GCEB_ECONFIG);
	assert_int_equal(locs.n, n);

	protobuf_c_message_free_unpacked(&cfg->base, NULL);
	gceb_textproto_locs_release(&locs);
	assert_null(locs.v);
	assert_int_equal(locs.n, 0);
	gceb_textproto_locs_release(NULL);
}

static uint32_t fuzz_state = 12345;

static uint32_t fuzz_next(void)
{
	fuzz_state = fuzz_state * 1103515245u + 12345u;
	return fuzz_state >> 8;
}

/*
 * Mangled corpus files (bytes replaced, spans cut) either parse or fail with
 * GCEB_ECONFIG; under ASan this also checks that no path misuses memory.
 * Those that parse must survive a print and parse round trip.
 */
static void check_mangled(const char *stem, const char *text, size_t len,
			  const ProtobufCMessageDescriptor *desc)
{
	struct gceb_textproto_locs locs = { 0 };
	struct gceb_err err = { 0 };
	ProtobufCMessage *msg, *again;
	char *copy, *printed;
	size_t i, n, at, alen, blen;
	uint8_t *a, *b;
	static const char punct[] = "{}<>[]:,;-\"'\\0x\n#";
	int k, r;

	(void)stem;
	copy = malloc(len + 1);
	assert_non_null(copy);
	for (k = 0; k < 300 && len > 0; k++) {
		memcpy(copy, text, len);
		n = len;
		for (i = 0; i < 1 + fuzz_next() % 4; i++) {
			at = fuzz_next() % n;
			if (fuzz_next() % 4 == 0)
				n = at + 1; /* cut the tail */
			else if (fuzz_next() % 4 == 0)
				copy[at] = (char)(fuzz_next() % 256);
			else
				copy[at] = punct[fuzz_next() % (sizeof(punct) - 1)];
		}
		msg = NULL;
		r = gceb_textproto_parse(desc, "fuzz", copy, n, &msg, &locs, &err);
		if (r != 0) {
			assert_int_equal(r, GCEB_ECONFIG);
			continue;
		}
		/* What parses must also print and read back the same. */
		printed = NULL;
		assert_int_equal(gceb_textproto_print(msg, &printed, &err), 0);
		again = parse_ok(desc, "printed", printed, strlen(printed), NULL);
		a = pack(msg, &alen);
		b = pack(again, &blen);
		assert_int_equal(alen, blen);
		assert_memory_equal(a, b, alen);
		free(a);
		free(b);
		free(printed);
		protobuf_c_message_free_unpacked(again, NULL);
		protobuf_c_message_free_unpacked(msg, NULL);
	}
	free(copy);
	gceb_textproto_locs_release(&locs);
}

static void test_mangled_input(void **state)
{
	(void)state;
	for_each_corpus_file(check_mangled);
}

int main(int argc, char **argv)
{
	static const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oracle),          cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_print_canonical), cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_errors),          cmocka_unit_test(test_depth),
		cmocka_unit_test(test_locations),       cmocka_unit_test(test_mangled_input),
	};

	return gceb_test_run("textproto", tests, argc, argv);
}
