/* SPDX-License-Identifier: Apache-2.0 */
/* textproto.c - protobuf text format parser and printer over protobuf-c descriptors */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <protobuf-c/protobuf-c.h>

#include "gceb/err.h"
#include "textproto.h"

/*
 * Nesting deeper than this is refused, so that hostile input cannot exhaust
 * the stack of the recursive-descent parser. Real configs nest 2 levels.
 */
#define MAX_DEPTH 32

/* The smallest double that rounds to infinity when converted to float. */
#define FLOAT_OVERFLOW 0x1.ffffffp+127

/*
 * Tokens follow protoc's tokenizer: '-' is a token of its own, so "- 5" is a
 * number, and a number lexeme is classified once as integer or float.
 */
enum tok_kind { TOK_END, TOK_IDENT, TOK_INT, TOK_FLOAT, TOK_STRING, TOK_PUNCT };

struct tok {
	enum tok_kind kind;
	const char *s; /* the lexeme in the input, quotes included for a string */
	size_t len;
	unsigned line, column;
};

struct parser {
	const char *name;
	const char *p, *end;   /* lexer cursor and end of input */
	unsigned line, column; /* position of *p */
	struct tok tok;        /* the lookahead token */
	struct gceb_textproto_locs *locs;
	struct gceb_err *err;
};

/* One parsed value, before it is stored in its message. */
union value {
	int32_t i32;
	uint32_t u32;
	int64_t i64;
	uint64_t u64;
	float f;
	double d;
	protobuf_c_boolean b;
	char *str;
	ProtobufCBinaryData bin;
	ProtobufCMessage *msg;
};

static const char *const type_names[] = {
	[PROTOBUF_C_TYPE_INT32] = "int32",       [PROTOBUF_C_TYPE_SINT32] = "sint32",
	[PROTOBUF_C_TYPE_SFIXED32] = "sfixed32", [PROTOBUF_C_TYPE_INT64] = "int64",
	[PROTOBUF_C_TYPE_SINT64] = "sint64",     [PROTOBUF_C_TYPE_SFIXED64] = "sfixed64",
	[PROTOBUF_C_TYPE_UINT32] = "uint32",     [PROTOBUF_C_TYPE_FIXED32] = "fixed32",
	[PROTOBUF_C_TYPE_UINT64] = "uint64",     [PROTOBUF_C_TYPE_FIXED64] = "fixed64",
	[PROTOBUF_C_TYPE_FLOAT] = "float",       [PROTOBUF_C_TYPE_DOUBLE] = "double",
	[PROTOBUF_C_TYPE_BOOL] = "bool",         [PROTOBUF_C_TYPE_ENUM] = "enum",
	[PROTOBUF_C_TYPE_STRING] = "string",     [PROTOBUF_C_TYPE_BYTES] = "bytes",
	[PROTOBUF_C_TYPE_MESSAGE] = "message",
};

/* The C size of one value of @type, as protobuf-c lays it out. */
static size_t value_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return sizeof(int32_t);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return sizeof(int64_t);
	case PROTOBUF_C_TYPE_FLOAT:
		return sizeof(float);
	case PROTOBUF_C_TYPE_DOUBLE:
		return sizeof(double);
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
		return sizeof(char *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(ProtobufCMessage *);
	}
	return 0;
}

/* A member of a generated message struct; const is the caller's business. */
static void *member(const ProtobufCMessage *msg, unsigned offset)
{
	return (char *)msg + offset;
}

/*
 * Whether a singular field has a has_<name> flag at quantifier_offset:
 * protobuf-c gives one to proto2 optional fields except strings and
 * messages, whose presence is their pointer. In a oneof, the quantifier is
 * the case field instead.
 */
static bool has_flag(const ProtobufCFieldDescriptor *fd)
{
	return fd->label == PROTOBUF_C_LABEL_OPTIONAL &&
	       !(fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) && fd->type != PROTOBUF_C_TYPE_STRING &&
	       fd->type != PROTOBUF_C_TYPE_MESSAGE;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool tok_is(const struct tok *t, const char *s)
{
	return t->kind == TOK_IDENT && strlen(s) == t->len && memcmp(s, t->s, t->len) == 0;
}

/* ASCII-only, so that the C library's locale has no say. */
static bool tok_is_nocase(const struct tok *t, const char *s)
{
	size_t i;

	if (t->kind != TOK_IDENT || strlen(s) != t->len)
		return false;
	for (i = 0; i < t->len; i++) {
		char c = t->s[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != s[i])
			return false;
	}
	return true;
}

static bool is_punct(const struct tok *t, char c)
{
	return t->kind == TOK_PUNCT && t->s[0] == c;
}

static int fail_at(struct parser *ps, unsigned line, unsigned column, const char *fmt, ...)
	GCEB_PRINTF(4, 5);

static int fail_at(struct parser *ps, unsigned line, unsigned column, const char *fmt, ...)
{
	char what[400];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return gceb_err_set(ps->err, GCEB_ECONFIG, "%s:%u:%u: %s", ps->name, line, column, what);
}

/* "<the lookahead token>, expected <fmt>" at the lookahead token. */
static int expected(struct parser *ps, const char *fmt, ...) GCEB_PRINTF(2, 3);

static int expected(struct parser *ps, const char *fmt, ...)
{
	const struct tok *t = &ps->tok;
	char found[64];
	char what[300];
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	switch (t->kind) {
	case TOK_END:
		(void)snprintf(found, sizeof(found), "end of input");
		break;
	case TOK_STRING:
		(void)snprintf(found, sizeof(found), "string");
		break;
	case TOK_IDENT:
	case TOK_INT:
	case TOK_FLOAT:
	case TOK_PUNCT:
		(void)snprintf(found, sizeof(found), "'%.*s'", t->len > 40 ? 40 : (int)t->len,
			       t->s);
		break;
	}
	return fail_at(ps, t->line, t->column, "%s, expected %s", found, what);
}

static int oom(struct parser *ps)
{
	return gceb_err_set(ps->err, GCEB_ENOMEM, "%s: out of memory", ps->name);
}

/* A byte that cannot start a token, described for an error message. */
static int bad_byte(struct parser *ps, unsigned column, unsigned char c, const char *what)
{
	if (c > ' ' && c < 0x7f)
		return fail_at(ps, ps->line, column, "'%c', expected %s", c, what);
	return fail_at(ps, ps->line, column, "byte 0x%02x, expected %s", c, what);
}

/* Blanks and # comments. A NUL byte, even in a comment, means this is not text. */
static int skip_space(struct parser *ps)
{
	bool comment = false;

	while (ps->p < ps->end) {
		char c = *ps->p;

		if (c == '\0')
			return bad_byte(ps, ps->column, 0, "text");
		if (c == '\n') {
			comment = false;
			ps->line++;
			ps->column = 0;
		} else if (c == '#') {
			comment = true;
		} else if (!comment && !strchr(" \t\r\v\f", c)) {
			break;
		}
		ps->p++;
		ps->column++;
	}
	return 0;
}

/*
 * Classify a number lexeme as protoc does: hex ("0x1f"), octal ("017") or
 * decimal integers, and decimal floats ("1.", ".5", "1e-3", "2.5f", "1f").
 * Anything else ("1x", "1.2.3", "09") is invalid and gives TOK_END.
 */
static enum tok_kind number_kind(const char *s, size_t n)
{
	size_t i = 0, digits = 0;

	if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n && hex_value(s[i]) >= 0; i++)
			;
		return i == n ? TOK_INT : TOK_END;
	}
	while (i < n && is_digit(s[i]))
		i++;
	if (i == n) {
		/* A leading zero makes it octal. */
		while (s[0] == '0' && --i > 0)
			if (s[i] > '7')
				return TOK_END;
		return TOK_INT;
	}
	if (s[0] == '0' && i > 1)
		return TOK_END;
	digits = i;
	if (s[i] == '.')
		for (i++; i < n && is_digit(s[i]); i++)
			digits++;
	if (digits == 0)
		return TOK_END;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i == n || !is_digit(s[i]))
			return TOK_END;
		while (i < n && is_digit(s[i]))
			i++;
	}
	if (i < n && (s[i] == 'f' || s[i] == 'F'))
		i++;
	return i == n ? TOK_FLOAT : TOK_END;
}

/*
 * Length of the quoted string at ps->p, quotes included. Escapes are only
 * skipped here; unescape() checks them when the value is used. As in protoc,
 * a string cannot span lines.
 */
static int string_length(struct parser *ps, size_t *n)
{
	const char *s = ps->p;
	size_t left = (size_t)(ps->end - s);
	size_t i = 1;

	for (;;) {
		if (i >= left || s[i] == '\n')
			return fail_at(
				ps, ps->line, ps->column,
				"unterminated string, expected a closing %c on the same line",
				s[0]);
		if (s[i] == '\0')
			return bad_byte(ps, ps->column + (unsigned)i, 0, "text in string");
		if (s[i] == s[0])
			break;
		i += s[i] == '\\' && i + 1 < left && s[i + 1] != '\n' && s[i + 1] != '\0' ? 2 : 1;
	}
	*n = i + 1;
	return 0;
}

/* Read the next token into ps->tok. */
static int lex(struct parser *ps)
{
	struct tok *t = &ps->tok;
	const char *s;
	size_t left, n = 1;
	int r;

	r = skip_space(ps);
	if (r < 0)
		return r;
	s = ps->p;
	left = (size_t)(ps->end - s);
	*t = (struct tok){ .kind = TOK_END, .s = s, .line = ps->line, .column = ps->column };
	if (left == 0)
		return 0;
	if (is_alpha(s[0])) {
		while (n < left && (is_alpha(s[n]) || is_digit(s[n])))
			n++;
		t->kind = TOK_IDENT;
	} else if (is_digit(s[0]) || (s[0] == '.' && left > 1 && is_digit(s[1]))) {
		/* Take the whole run so that "1x" is one bad number, not 1 and x. */
		bool hex = left > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');

		while (n < left && (is_alpha(s[n]) || is_digit(s[n]) || s[n] == '.' ||
				    (!hex && (s[n] == '+' || s[n] == '-') &&
				     (s[n - 1] == 'e' || s[n - 1] == 'E'))))
			n++;
		t->kind = number_kind(s, n);
		if (t->kind == TOK_END)
			return fail_at(ps, t->line, t->column, "'%.*s', expected a number",
				       n > 40 ? 40 : (int)n, s);
	} else if (s[0] == '"' || s[0] == '\'') {
		r = string_length(ps, &n);
		if (r < 0)
			return r;
		t->kind = TOK_STRING;
	} else if (s[0] != '\0' && strchr("{}<>[]:,;-", s[0])) {
		t->kind = TOK_PUNCT;
	} else {
		return bad_byte(ps, ps->column, (unsigned char)s[0],
				"a field name, value or one of {}<>[]:,;-");
	}
	t->len = n;
	ps->p += n;
	ps->column += (unsigned)n;
	return 0;
}

static size_t put_utf8(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* Exactly @n hex digits at @s (before @end) into *@cp. */
static bool read_hex(const char *s, const char *end, size_t n, uint32_t *cp)
{
	size_t i;

	if ((size_t)(end - s) < n)
		return false;
	*cp = 0;
	for (i = 0; i < n; i++) {
		if (hex_value(s[i]) < 0)
			return false;
		*cp = *cp << 4 | (uint32_t)hex_value(s[i]);
	}
	return true;
}

/* The @n hex digits of \u or \U at *@s; a \u surrogate pair is one code point. */
static const char *unicode_escape(const char **s, const char *end, size_t n, uint32_t *cp)
{
	uint32_t low;

	if (!read_hex(*s, end, n, cp))
		return n == 4 ? "\\u and 4 hex digits" : "\\U and 8 hex digits";
	*s += n;
	/* A high surrogate needs a low one after it: \ud83d\ude00. */
	if (*cp >= 0xd800 && *cp < 0xdc00 && end - *s >= 6 && (*s)[0] == '\\' && (*s)[1] == 'u' &&
	    read_hex(*s + 2, end, 4, &low) && low >= 0xdc00 && low < 0xe000) {
		*cp = 0x10000 + ((*cp - 0xd800) << 10) + (low - 0xdc00);
		*s += 6;
	}
	if ((*cp >= 0xd800 && *cp < 0xe000) || *cp > 0x10ffff)
		return "a Unicode code point up to \\U0010ffff, not a lone surrogate";
	return NULL;
}

/*
 * The escape whose letter is at *@s (after the backslash): its value in
 * *@cp, *@s moved past it. Returns NULL, or what was expected instead.
 */
static const char *escape(const char **s, const char *end, uint32_t *cp)
{
	static const char simple[] = "abfnrtv\\'\"?";
	static const char simple_value[] = "\a\b\f\n\r\t\v\\'\"?";
	char c = *(*s)++;
	int i;

	if (c != '\0' && strchr(simple, c)) {
		*cp = (unsigned char)simple_value[strchr(simple, c) - simple];
	} else if (c >= '0' && c <= '7') {
		*cp = (uint32_t)(c - '0');
		for (i = 0; i < 2 && *s < end && **s >= '0' && **s <= '7'; i++)
			*cp = *cp * 8 + (uint32_t)(*(*s)++ - '0');
		if (*cp > 0xff)
			return "an octal escape up to \\377";
	} else if (c == 'x') {
		*cp = 0;
		for (i = 0; i < 2 && *s < end && hex_value(**s) >= 0; i++)
			*cp = *cp * 16 + (uint32_t)hex_value(*(*s)++);
		if (i == 0)
			return "\\x and one or two hex digits";
	} else if (c == 'u' || c == 'U') {
		return unicode_escape(s, end, c == 'u' ? 4 : 8, cp);
	} else {
		return "one of \\a \\b \\f \\n \\r \\t \\v \\\\ \\' \\\" \\? \\NNN \\xHH \\uXXXX \\UXXXXXXXX";
	}
	return NULL;
}

/*
 * Append the decoded contents of string token @t to @buf at *@len; @buf has
 * room for t->len more bytes, since no escape decodes to more bytes than it
 * is written with. Octal and \x escapes give one byte, \u and \U give UTF-8.
 * A string field cannot hold a NUL: protobuf-c strings are NUL-terminated.
 */
static int unescape(struct parser *ps, const struct tok *t, bool text, char *buf, size_t *len)
{
	const char *s = t->s + 1, *end = t->s + t->len - 1;
	const char *esc, *why;
	uint32_t cp = 0;

	while (s < end) {
		if (*s != '\\') {
			buf[(*len)++] = *s++;
			continue;
		}
		esc = s++;
		why = escape(&s, end, &cp);
		if (!why && cp == 0 && text)
			why = "no NUL in a string field (use bytes)";
		if (why)
			return fail_at(ps, t->line, t->column + (unsigned)(esc - t->s),
				       "escape '%.*s', expected %s", (int)(s - esc), esc, why);
		if (esc[1] == 'u' || esc[1] == 'U')
			*len += put_utf8(cp, buf + *len);
		else
			buf[(*len)++] = (char)cp;
	}
	return 0;
}

/* The magnitude of integer token @t, or false if it does not fit 64 bits. */
static bool parse_uint(const struct tok *t, uint64_t *out)
{
	const char *s = t->s, *end = t->s + t->len;
	unsigned base = 10;
	uint64_t v = 0;

	if (t->len > 2 && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (t->len > 1 && s[0] == '0') {
		base = 8;
	}
	for (; s < end; s++) {
		unsigned d = (unsigned)hex_value(*s);

		if (v > (UINT64_MAX - d) / base)
			return false;
		v = v * base + d;
	}
	*out = v;
	return true;
}

/* -2^63 <= the value <= 2^63 - 1 was checked, so nothing here overflows. */
static int64_t to_signed(bool neg, uint64_t mag)
{
	return neg && mag ? -(int64_t)(mag - 1) - 1 : (int64_t)mag;
}

/*
 * An integer with an optional '-', at least -@neg_max and at most @max. The
 * range error names both bounds, and @what is the type for messages.
 */
static int read_int(struct parser *ps, const ProtobufCFieldDescriptor *fd, const char *what,
		    uint64_t neg_max, uint64_t max, bool *neg, uint64_t *mag)
{
	struct tok start = ps->tok;

	*mag = 0;
	*neg = is_punct(&ps->tok, '-');
	if (*neg) {
		int r = lex(ps);

		if (r < 0)
			return r;
	}
	if (ps->tok.kind != TOK_INT)
		return expected(ps, "%s for field '%s'", what, fd->name);
	if (!parse_uint(&ps->tok, mag) || *mag > (*neg ? neg_max : max))
		return fail_at(ps, start.line, start.column,
			       "%s%.*s, expected %s in [%s%" PRIu64 ", %" PRIu64 "] for field '%s'",
			       *neg ? "-" : "", ps->tok.len > 40 ? 40 : (int)ps->tok.len, ps->tok.s,
			       what, neg_max ? "-" : "", neg_max, max, fd->name);
	return lex(ps);
}

/*
 * A float or double: a decimal integer or float token, or inf, infinity or
 * nan in any case, with an optional '-'. Like protoc, no hex or octal here.
 * Unlike protoc, a finite number too large for the type is an error rather
 * than infinity.
 */
static int read_float(struct parser *ps, const ProtobufCFieldDescriptor *fd, union value *v)
{
	const struct tok *t = &ps->tok;
	struct tok start = ps->tok;
	bool single = fd->type == PROTOBUF_C_TYPE_FLOAT;
	bool neg = is_punct(t, '-');
	double d;

	if (neg) {
		int r = lex(ps);

		if (r < 0)
			return r;
	}
	if (tok_is_nocase(t, "inf") || tok_is_nocase(t, "infinity")) {
		d = INFINITY;
	} else if (tok_is_nocase(t, "nan")) {
		d = NAN;
	} else if (t->kind == TOK_FLOAT ||
		   (t->kind == TOK_INT && (t->len == 1 || t->s[0] != '0'))) {
		char *copy = strndup(t->s, t->len);

		if (!copy)
			return oom(ps);
		errno = 0;
		d = strtod(copy, NULL); /* stops before an f suffix */
		free(copy);
		if ((errno == ERANGE && isinf(d)) || (single && fabs(d) >= FLOAT_OVERFLOW))
			return fail_at(ps, start.line, start.column,
				       "%s%.*s, expected %s in [-%.*g, %.*g] for field '%s'",
				       neg ? "-" : "", t->len > 40 ? 40 : (int)t->len, t->s,
				       type_names[fd->type], single ? 9 : 17,
				       single ? FLT_MAX : DBL_MAX, single ? 9 : 17,
				       single ? FLT_MAX : DBL_MAX, fd->name);
	} else {
		return expected(ps, "%s for field '%s'", type_names[fd->type], fd->name);
	}
	if (neg)
		d = -d;
	if (single)
		v->f = (float)d;
	else
		v->d = d;
	return lex(ps);
}

/* true, True, t, false, False, f, or the integers 0 and 1, as protoc takes them. */
static int read_bool(struct parser *ps, const ProtobufCFieldDescriptor *fd, union value *v)
{
	const struct tok *t = &ps->tok;

	if (t->kind != TOK_IDENT) {
		uint64_t mag;
		bool neg;
		int r = read_int(ps, fd, "bool", 0, 1, &neg, &mag);

		v->b = mag == 1;
		return r;
	}
	if (tok_is(t, "true") || tok_is(t, "True") || tok_is(t, "t"))
		v->b = 1;
	else if (tok_is(t, "false") || tok_is(t, "False") || tok_is(t, "f"))
		v->b = 0;
	else
		return expected(ps, "bool for field '%s'", fd->name);
	return lex(ps);
}

/* An enum value by name, or by number if the enum has that number. */
static int read_enum(struct parser *ps, const ProtobufCFieldDescriptor *fd, union value *v)
{
	const ProtobufCEnumDescriptor *ed = fd->descriptor;
	struct tok start = ps->tok;
	uint64_t mag;
	bool neg;
	int r;

	if (ps->tok.kind == TOK_IDENT) {
		unsigned i;

		for (i = 0; i < ed->n_values; i++) {
			if (tok_is(&ps->tok, ed->values[i].name)) {
				v->i32 = ed->values[i].value;
				return lex(ps);
			}
		}
		return expected(ps, "a value of %s for field '%s'", ed->name, fd->name);
	}
	r = read_int(ps, fd, ed->name, (uint64_t)1 << 31, INT32_MAX, &neg, &mag);
	if (r < 0)
		return r;
	v->i32 = (int32_t)to_signed(neg, mag);
	if (!protobuf_c_enum_descriptor_get_value(ed, v->i32))
		return fail_at(ps, start.line, start.column,
			       "%" PRId32 ", expected a value of %s for field '%s'", v->i32,
			       ed->name, fd->name);
	return 0;
}

/* One or more adjacent string literals, which make one value as in C. */
static int read_string(struct parser *ps, const ProtobufCFieldDescriptor *fd, union value *v)
{
	bool text = fd->type == PROTOBUF_C_TYPE_STRING;
	char *buf = NULL, *grown;
	size_t len = 0;
	int r = 0;

	if (ps->tok.kind != TOK_STRING)
		return expected(ps, "%s for field '%s'", type_names[fd->type], fd->name);
	while (ps->tok.kind == TOK_STRING) {
		grown = realloc(buf, len + ps->tok.len + 1);
		if (!grown) {
			r = oom(ps);
			goto out;
		}
		buf = grown;
		r = unescape(ps, &ps->tok, text, buf, &len);
		if (r < 0)
			goto out;
		r = lex(ps);
		if (r < 0)
			goto out;
	}
	buf[len] = '\0';
	if (text) {
		v->str = buf;
	} else {
		v->bin.data = (uint8_t *)buf;
		v->bin.len = len;
	}
	buf = NULL;
out:
	free(buf);
	return r;
}

static int new_message(struct parser *ps, const ProtobufCMessageDescriptor *desc,
		       ProtobufCMessage **out)
{
	ProtobufCMessage *msg = malloc(desc->sizeof_message);

	if (!msg)
		return oom(ps);
	protobuf_c_message_init(desc, msg);
	*out = msg;
	return 0;
}

static int parse_fields(struct parser *ps, const ProtobufCMessageDescriptor *desc,
			ProtobufCMessage *msg, char close, unsigned depth);

/* "{ fields }" or "< fields >" into a new message of the field's type. */
static int read_message(struct parser *ps, const ProtobufCFieldDescriptor *fd, unsigned depth,
			union value *v)
{
	ProtobufCMessage *sub = NULL;
	char close;
	int r;

	if (is_punct(&ps->tok, '{'))
		close = '}';
	else if (is_punct(&ps->tok, '<'))
		close = '>';
	else
		return expected(ps, "'{' or '<' for field '%s'", fd->name);
	if (depth >= MAX_DEPTH)
		return expected(ps, "at most %d nested messages", MAX_DEPTH);
	r = new_message(ps, fd->descriptor, &sub);
	if (r < 0)
		goto out;
	r = lex(ps);
	if (r < 0)
		goto out;
	r = parse_fields(ps, fd->descriptor, sub, close, depth + 1);
	if (r < 0)
		goto out;
	r = lex(ps);
	if (r < 0)
		goto out;
	v->msg = sub;
	sub = NULL;
out:
	protobuf_c_message_free_unpacked(sub, NULL);
	return r;
}

static void free_value(const ProtobufCFieldDescriptor *fd, union value *v)
{
	if (fd->type == PROTOBUF_C_TYPE_STRING)
		free(v->str);
	else if (fd->type == PROTOBUF_C_TYPE_BYTES)
		free(v->bin.data);
	else if (fd->type == PROTOBUF_C_TYPE_MESSAGE)
		protobuf_c_message_free_unpacked(v->msg, NULL);
}

static int record(struct parser *ps, const ProtobufCMessage *msg, unsigned field_id, size_t index,
		  unsigned line, unsigned column)
{
	struct gceb_textproto_locs *locs = ps->locs;
	if (!locs)
		return 0;
	if (locs->n == locs->cap) {
		size_t cap = locs->cap ? locs->cap * 2 : 16;
		struct gceb_textproto_loc *grown = reallocarray(locs->v, cap, sizeof(*locs->v));
		if (!grown)
			return oom(ps);
		locs->v = grown;
		locs->cap = cap;
	}
	locs->v[locs->n++] = (struct gceb_textproto_loc){
		.msg = msg, .field_id = field_id, .index = index, .line = line, .column = column
	};
	return 0;
}

/*
 * Move @v into field @fd of @msg (taking ownership of its memory in every
 * case) and record it as written at @line:@column.
 */
static int store(struct parser *ps, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
		 union value *v, unsigned line, unsigned column)
{
	size_t size = value_size(fd->type);
	size_t index = 0;
	void *slot;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED) {
		size_t *n = member(msg, fd->quantifier_offset);
		void **array = member(msg, fd->offset);

		/*
		 * The capacity is not stored: it is the smallest power of two
		 * >= n, so the array is full when n is 0 or a power of two.
		 */
		if ((*n & (*n - 1)) == 0) {
			void *grown = reallocarray(*array, *n ? *n * 2 : 1, size);
			if (!grown) {
				free_value(fd, v);
				return oom(ps);
			}
			*array = grown;
		}
		index = (*n)++;
		slot = (char *)*array + index * size;
	} else {
		slot = member(msg, fd->offset);
		if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			*(uint32_t *)member(msg, fd->quantifier_offset) = fd->id;
		else if (has_flag(fd))
			*(protobuf_c_boolean *)member(msg, fd->quantifier_offset) = 1;
	}
	memcpy(slot, v, size);
	return record(ps, msg, fd->id, index, line, column);
}

static int parse_value(struct parser *ps, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
		       unsigned line, unsigned column, unsigned depth)
{
	union value v;
	int r = 0;

	memset(&v, 0, sizeof(v));
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32: {
		uint64_t mag;
		bool neg;

		r = read_int(ps, fd, type_names[fd->type], (uint64_t)1 << 31, INT32_MAX, &neg,
			     &mag);
		if (r == 0)
			v.i32 = (int32_t)to_signed(neg, mag);
		break;
	}
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64: {
		uint64_t mag;
		bool neg;

		r = read_int(ps, fd, type_names[fd->type], (uint64_t)1 << 63, INT64_MAX, &neg,
			     &mag);
		if (r == 0)
			v.i64 = to_signed(neg, mag);
		break;
	}
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32: {
		uint64_t mag;
		bool neg;

		r = read_int(ps, fd, type_names[fd->type], 0, UINT32_MAX, &neg, &mag);
		v.u32 = (uint32_t)mag;
		break;
	}
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64: {
		bool neg;

		r = read_int(ps, fd, type_names[fd->type], 0, UINT64_MAX, &neg, &v.u64);
		break;
	}
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_DOUBLE:
		r = read_float(ps, fd, &v);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		r = read_bool(ps, fd, &v);
		break;
	case PROTOBUF_C_TYPE_ENUM:
		r = read_enum(ps, fd, &v);
		break;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
		r = read_string(ps, fd, &v);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		r = read_message(ps, fd, depth, &v);
		break;
	}
	if (r < 0) {
		free_value(fd, &v);
		return r;
	}
	return store(ps, msg, fd, &v, line, column);
}

/*
 * A singular field may be written once, and a oneof may have one member
 * written; protoc refuses the rest too ("non-repeated field is specified
 * multiple times"), rather than letting the last one win.
 */
static int check_once(struct parser *ps, const ProtobufCMessageDescriptor *desc,
		      const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd, bool *seen)
{
	const struct tok *t = &ps->tok;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return 0;
	if (seen[fd - desc->fields])
		return fail_at(ps, t->line, t->column,
			       "non-repeated field '%s' specified multiple times, expected it once",
			       fd->name);
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		uint32_t oneof_case = *(const uint32_t *)member(msg, fd->quantifier_offset);
		const ProtobufCFieldDescriptor *other =
			protobuf_c_message_descriptor_get_field(desc, oneof_case);

		if (other)
			return fail_at(
				ps, t->line, t->column,
				"field '%s' after '%s' of the same oneof, expected only one of them",
				fd->name, other->name);
	}
	seen[fd - desc->fields] = true;
	return 0;
}

/* "[]" or "[v, ...]" with '[' as the lookahead; no trailing comma, as in protoc. */
static int parse_list(struct parser *ps, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd,
		      unsigned depth)
{
	int r;

	r = lex(ps);
	if (r < 0)
		return r;
	if (is_punct(&ps->tok, ']'))
		return lex(ps);
	for (;;) {
		r = parse_value(ps, msg, fd, ps->tok.line, ps->tok.column, depth);
		if (r < 0)
			return r;
		if (is_punct(&ps->tok, ']'))
			return lex(ps);
		if (!is_punct(&ps->tok, ','))
			return expected(ps, "',' or ']' in the list of field '%s'", fd->name);
		r = lex(ps);
		if (r < 0)
			return r;
	}
}

/*
 * name [":"] value [";" | ","], where the ':' may be left out only before a
 * message, and a repeated field may take a list "[v, ...]". Locations are
 * those of the field name, except for list elements, which have their own.
 */
static int parse_field(struct parser *ps, const ProtobufCMessageDescriptor *desc,
		       ProtobufCMessage *msg, bool *seen, unsigned depth)
{
	const ProtobufCFieldDescriptor *fd = NULL;
	struct tok name = ps->tok;
	unsigned i;
	int r;

	for (i = 0; i < desc->n_fields && !fd; i++)
		if (tok_is(&name, desc->fields[i].name))
			fd = &desc->fields[i];
	if (!fd)
		return fail_at(ps, name.line, name.column,
			       "unknown field '%.*s', expected a field of %s",
			       name.len > 40 ? 40 : (int)name.len, name.s, desc->name);
	r = check_once(ps, desc, msg, fd, seen);
	if (r < 0)
		return r;
	r = lex(ps);
	if (r < 0)
		return r;
	if (is_punct(&ps->tok, ':')) {
		r = lex(ps);
		if (r < 0)
			return r;
	} else if (fd->type != PROTOBUF_C_TYPE_MESSAGE) {
		return expected(ps, "':' after field '%s'", fd->name);
	}
	if (fd->label == PROTOBUF_C_LABEL_REPEATED && is_punct(&ps->tok, '['))
		r = parse_list(ps, msg, fd, depth);
	else
		r = parse_value(ps, msg, fd, name.line, name.column, depth);
	if (r == 0 && (is_punct(&ps->tok, ';') || is_punct(&ps->tok, ',')))
		r = lex(ps);
	return r;
}

/*
 * The fields of @msg up to @close ('}' or '>', left as the lookahead) or, for
 * the top-level message (@close is '\0'), up to the end of input.
 */
static int parse_fields(struct parser *ps, const ProtobufCMessageDescriptor *desc,
			ProtobufCMessage *msg, char close, unsigned depth)
{
	bool *seen = calloc(desc->n_fields + 1, sizeof(*seen)); /* + 1: never calloc(0) */
	unsigned i;
	int r = 0;

	if (!seen)
		return oom(ps);
	while (r == 0 && !(close ? is_punct(&ps->tok, close) : ps->tok.kind == TOK_END)) {
		if (ps->tok.kind == TOK_IDENT)
			r = parse_field(ps, desc, msg, seen, depth);
		else if (close)
			r = expected(ps, "a field name or '%c'", close);
		else
			r = expected(ps, "a field name");
	}
	for (i = 0; r == 0 && i < desc->n_fields; i++)
		if (desc->fields[i].label == PROTOBUF_C_LABEL_REQUIRED && !seen[i])
			r = expected(ps, "required field '%s' of %s", desc->fields[i].name,
				     desc->name);
	free(seen);
	return r;
}

int gceb_textproto_parse(const ProtobufCMessageDescriptor *desc, const char *name, const char *text,
			 size_t len, ProtobufCMessage **out, struct gceb_textproto_locs *locs,
			 struct gceb_err *err)
{
	struct parser ps = { .name = name, .line = 1, .column = 1, .locs = locs, .err = err };
	size_t nlocs = locs ? locs->n : 0;
	ProtobufCMessage *msg = NULL;
	int r;

	ps.p = text ? text : "";
	ps.end = ps.p + (text ? len : 0);
	r = new_message(&ps, desc, &msg);
	if (r < 0)
		goto out;
	r = lex(&ps);
	if (r < 0)
		goto out;
	r = parse_fields(&ps, desc, msg, '\0', 0);
	if (r < 0)
		goto out;
	*out = msg;
	msg = NULL;
out:
	/* Locations in a message that is about to be freed would dangle. */
	if (r < 0 && locs)
		locs->n = nlocs;
	protobuf_c_message_free_unpacked(msg, NULL);
	return r;
}

bool gceb_textproto_find(const struct gceb_textproto_locs *locs, const ProtobufCMessage *msg,
			 unsigned field_id, size_t index, unsigned *line, unsigned *column)
{
	size_t i;

	for (i = 0; locs && i < locs->n; i++) {
		const struct gceb_textproto_loc *l = &locs->v[i];

		if (l->msg == msg && l->field_id == field_id && l->index == index) {
			*line = l->line;
			*column = l->column;
			return true;
		}
	}
	return false;
}

void gceb_textproto_locs_release(struct gceb_textproto_locs *locs)
{
	if (!locs)
		return;
	free(locs->v);
	*locs = (struct gceb_textproto_locs){ 0 };
}

/*
 * The printer appends to a growing NUL-terminated buffer. Running out of
 * memory is sticky and checked once at the end, which keeps the printing
 * code free of error paths.
 */
struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void put(struct sbuf *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 256;
		char *grown;

		while (o->len + n + 1 > cap)
			cap *= 2;
		grown = realloc(o->s, cap);
		if (!grown) {
			o->oom = true;
			return;
		}
		o->s = grown;
		o->cap = cap;
	}
	memcpy(o->s + o->len, s, n);
	o->len += n;
	o->s[o->len] = '\0';
}

static void put_str(struct sbuf *o, const char *s)
{
	put(o, s, strlen(s));
}

/* For numbers only, which always fit. */
static void putf(struct sbuf *o, const char *fmt, ...) GCEB_PRINTF(2, 3);

static void putf(struct sbuf *o, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(o, tmp, n < 0 ? 0 : (size_t)n);
}

/* Double-quoted, with C escapes; other bytes outside printable ASCII in octal. */
static void put_quoted(struct sbuf *o, const uint8_t *s, size_t n)
{
	size_t i;

	put(o, "\"", 1);
	for (i = 0; i < n; i++) {
		if (s[i] == '\n')
			put(o, "\\n", 2);
		else if (s[i] == '\r')
			put(o, "\\r", 2);
		else if (s[i] == '\t')
			put(o, "\\t", 2);
		else if (s[i] == '"' || s[i] == '\\')
			putf(o, "\\%c", s[i]);
		else if (s[i] < 0x20 || s[i] >= 0x7f)
			putf(o, "\\%03o", s[i]);
		else
			put(o, (const char *)&s[i], 1);
	}
	put(o, "\"", 1);
}

/*
 * The shortest %g that reads back, through the parser's own strtod (and
 * float conversion for a float field), to the same value. 17 digits always
 * do. NaN keeps only its sign.
 */
static void put_float(struct sbuf *o, double d, bool single)
{
	char tmp[32];
	int prec;

	if (isnan(d) || isinf(d)) {
		put_str(o, signbit(d) ? "-" : "");
		put_str(o, isnan(d) ? "nan" : "inf");
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		double back;

		(void)snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		back = strtod(tmp, NULL);
		if (single ? (float)back == (float)d : back == d)
			break;
	}
	putf(o, "%.*g", prec, d);
}

static void put_scalar(struct sbuf *o, const ProtobufCFieldDescriptor *fd, const void *v)
{
	const ProtobufCEnumValue *ev;
	const ProtobufCBinaryData *bin;
	const char *str;

	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		putf(o, "%" PRId32, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		putf(o, "%" PRId64, *(const int64_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		putf(o, "%" PRIu32, *(const uint32_t *)v);
		break;
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		putf(o, "%" PRIu64, *(const uint64_t *)v);
		break;
	case PROTOBUF_C_TYPE_FLOAT:
		put_float(o, *(const float *)v, true);
		break;
	case PROTOBUF_C_TYPE_DOUBLE:
		put_float(o, *(const double *)v, false);
		break;
	case PROTOBUF_C_TYPE_BOOL:
		put_str(o, *(const protobuf_c_boolean *)v ? "true" : "false");
		break;
	case PROTOBUF_C_TYPE_ENUM:
		/* A number the enum lacks can come from binary input: print it as is. */
		ev = protobuf_c_enum_descriptor_get_value(fd->descriptor, *(const int32_t *)v);
		if (ev)
			put_str(o, ev->name);
		else
			putf(o, "%" PRId32, *(const int32_t *)v);
		break;
	case PROTOBUF_C_TYPE_STRING:
		str = *(char *const *)v;
		put_quoted(o, (const uint8_t *)(str ? str : ""), str ? strlen(str) : 0);
		break;
	case PROTOBUF_C_TYPE_BYTES:
		bin = v;
		put_quoted(o, bin->data, bin->len);
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		break;
	}
}

/*
 * How many values of @fd @msg holds, with protobuf-c's own presence rules
 * (those of protobuf_c_message_pack), so that printed text packs the same.
 */
static size_t count_values(const ProtobufCMessage *msg, const ProtobufCFieldDescriptor *fd)
{
	const void *q = member(msg, fd->quantifier_offset);
	const void *v = member(msg, fd->offset);
	const void *ptr = NULL;
	size_t i;

	if (fd->label == PROTOBUF_C_LABEL_REPEATED)
		return *(const size_t *)q;
	if (fd->label == PROTOBUF_C_LABEL_REQUIRED)
		return 1;
	if (fd->type == PROTOBUF_C_TYPE_STRING || fd->type == PROTOBUF_C_TYPE_MESSAGE)
		ptr = *(const void *const *)v;
	if (fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
		if (*(const uint32_t *)q != fd->id)
			return 0;
	} else if (has_flag(fd)) {
		return *(const protobuf_c_boolean *)q ? 1 : 0;
	} else if (fd->label == PROTOBUF_C_LABEL_NONE && fd->type != PROTOBUF_C_TYPE_MESSAGE) {
		/* proto3 implicit presence: only non-zero values are packed. */
		if (fd->type == PROTOBUF_C_TYPE_STRING)
			return ptr && *(const char *)ptr;
		if (fd->type == PROTOBUF_C_TYPE_BYTES)
			return ((const ProtobufCBinaryData *)v)->len != 0;
		for (i = 0; i < value_size(fd->type); i++)
			if (((const uint8_t *)v)[i])
				return 1;
		return 0;
	}
	if (fd->type == PROTOBUF_C_TYPE_STRING || fd->type == PROTOBUF_C_TYPE_MESSAGE)
		return ptr && ptr != fd->default_value;
	return 1;
}

static void put_indent(struct sbuf *o, unsigned depth)
{
	unsigned i;

	for (i = 0; i < depth; i++)
		put(o, "  ", 2);
}

/*
 * protobuf-c's generator emits descriptor fields sorted by number (its own
 * lookups rely on that), so descriptor order is field-number order.
 */
static void put_message(struct sbuf *o, const ProtobufCMessage *msg, unsigned depth)
{
	const ProtobufCMessageDescriptor *desc = msg->descriptor;
	unsigned i;

	for (i = 0; i < desc->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &desc->fields[i];
		size_t j, n = count_values(msg, fd);
		const void *v = member(msg, fd->offset);

		if (fd->label == PROTOBUF_C_LABEL_REPEATED)
			v = *(const void *const *)v;
		for (j = 0; j < n; j++, v = (const char *)v + value_size(fd->type)) {
			put_indent(o, depth);
			put_str(o, fd->name);
			if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
				const ProtobufCMessage *sub = *(const ProtobufCMessage *const *)v;

				put_str(o, " {\n");
				if (sub)
					put_message(o, sub, depth + 1);
				put_indent(o, depth);
				put_str(o, "}\n");
			} else {
				put_str(o, ": ");
				put_scalar(o, fd, v);
				put_str(o, "\n");
			}
		}
	}
}

int gceb_textproto_print(const ProtobufCMessage *msg, char **out, struct gceb_err *err)
{
	struct sbuf o = { 0 };

	put(&o, "", 0);
	put_message(&o, msg, 0);
	if (o.oom) {
		free(o.s);
		return gceb_err_set(err, GCEB_ENOMEM, "printing %s: out of memory",
				    msg->descriptor->name);
	}
	*out = o.s;
	return 0;
}
