/* SPDX-License-Identifier: Apache-2.0 */
/*
 * textproto.h - protobuf text format over protobuf-c descriptors.
 *
 * protobuf-c ships no text-format support, so gceb has its own. The parser
 * is generic: it fills any message from its ProtobufCMessageDescriptor, and
 * the result is freed with protobuf_c_message_free_unpacked(msg, NULL).
 * This header is internal to lib/ (it names protobuf-c types).
 */
#ifndef GCEB_TEXTPROTO_H
#define GCEB_TEXTPROTO_H

#include <stdbool.h>
#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

#include "gceb/err.h"

/*
 * Where a field was written: message, field number, element index (0 if
 * singular). The position is that of the field name, except for elements of
 * a list "f: [a, b]", which are located at their own first token. Lines and
 * columns are 1-based; a column counts bytes (a tab is one).
 */
struct gceb_textproto_loc {
	const ProtobufCMessage *msg;
	unsigned field_id;
	size_t index;
	unsigned line;
	unsigned column;
};

struct gceb_textproto_locs {
	struct gceb_textproto_loc *v;
	size_t n;
	size_t cap;
};

/*
 * Parse @len bytes of @text (not necessarily NUL-terminated) as a message of
 * @desc. @name is the file name used in messages. On success *@out owns a new
 * message. If @locs is not NULL it receives the position of every field
 * written, so that a later validator can point at file:line:column.
 *
 * The accepted text is what protoc's text parser accepts (less extensions
 * and Any), except that a finite float or double too large for its type, an
 * octal escape above \377 and a NUL in a string field (protobuf-c strings
 * end at NUL) are errors, and messages nest at most 32 deep. Singular
 * fields may be written once, as in protoc. Numbers are read with strtod(),
 * so LC_NUMERIC must be "C" (the default until setlocale()).
 *
 * Returns 0, GCEB_ECONFIG with "<name>:<line>:<column>: <what>, expected
 * <what>" in @err for any syntax error, unknown field, wrong type or
 * out-of-range number (the first one only), or GCEB_ENOMEM. On failure
 * *@out is untouched and @locs is as it was before the call.
 */
GCEB_NODISCARD int gceb_textproto_parse(const ProtobufCMessageDescriptor *desc, const char *name,
					const char *text, size_t len, ProtobufCMessage **out,
					struct gceb_textproto_locs *locs, struct gceb_err *err);

/*
 * Find where field @field_id (element @index) of @msg was written. Returns
 * false if it was not recorded (a default value, or @locs is NULL). Entries
 * are keyed by message address: release @locs when the message is freed.
 */
bool gceb_textproto_find(const struct gceb_textproto_locs *locs, const ProtobufCMessage *msg,
			 unsigned field_id, size_t index, unsigned *line, unsigned *column);

void gceb_textproto_locs_release(struct gceb_textproto_locs *locs);

/*
 * Print @msg in canonical text format: fields in field-number order, one per
 * line, nested messages as "name {" ... "}" indented by two spaces, strings
 * double-quoted with C escapes (other bytes < 0x20 or >= 0x7f as 3-digit
 * octal), enums by name, floats in the shortest form that reads back
 * exactly. Presence follows protobuf_c_message_pack(), so parsing the output
 * gives a message that packs to the same bytes (a NaN keeps only its sign).
 * An enum number the enum lacks (possible after binary unpacking) is printed
 * as a number, which the parser then refuses. Unknown fields are not
 * printed. *@out is a NUL-terminated malloc'd string owned by the caller.
 * Returns 0 or GCEB_ENOMEM.
 */
GCEB_NODISCARD int gceb_textproto_print(const ProtobufCMessage *msg, char **out,
					struct gceb_err *err);

#endif
