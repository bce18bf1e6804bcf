/* SPDX-License-Identifier: Apache-2.0 */
/* canonjson.c - Python 2 canonical JSON strings (docs/design/config.md) */
#include "canonjson.h"

static unsigned decode_utf8(const unsigned char **pp)
{
	const unsigned char *p = *pp;
	unsigned cp;
	int n, i;

	if (p[0] < 0x80) {
		*pp = p + 1;
		return p[0];
	}
	n = (p[0] & 0xe0) == 0xc0 ? 1 : (p[0] & 0xf0) == 0xe0 ? 2 : (p[0] & 0xf8) == 0xf0 ? 3 : 0;
	cp = p[0] & (0x3f >> n);
	for (i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80) {
			/* Validation rejects bad UTF-8; here a stray byte stands for itself. */
			*pp = p + 1;
			return p[0];
		}
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	*pp = p + n + 1;
	return n ? cp : p[0];
}

void gceb_canonjson_quote(struct gceb_buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	gceb_buf_addc(b, '"');
	while (*p) {
		unsigned cp = decode_utf8(&p);

		switch (cp) {
		case '"':
			gceb_buf_adds(b, "\\\"");
			break;
		case '\\':
			gceb_buf_adds(b, "\\\\");
			break;
		case '\n':
			gceb_buf_adds(b, "\\n");
			break;
		case '\r':
			gceb_buf_adds(b, "\\r");
			break;
		case '\t':
			gceb_buf_adds(b, "\\t");
			break;
		case '\b':
			gceb_buf_adds(b, "\\b");
			break;
		case '\f':
			gceb_buf_adds(b, "\\f");
			break;
		default:
			/* Python 2 escapes all but ' '..'~': DEL (0x7f) too. */
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0xffff)) {
				gceb_buf_addf(b, "\\u%04x", cp);
			} else if (cp > 0xffff) {
				cp -= 0x10000;
				gceb_buf_addf(b, "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
					      0xdc00 + (cp & 0x3ff));
			} else {
				gceb_buf_addc(b, (char)cp);
			}
		}
	}
	gceb_buf_addc(b, '"');
}
