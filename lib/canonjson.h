/* SPDX-License-Identifier: Apache-2.0 */
/*
 * canonjson.h - the canonical JSON of docs/design/config.md, byte for byte
 * what Python 2 json.dumps(obj, sort_keys=True) writes. Revision checksums
 * and metadata-update checksums are SHA-1s of it.
 */
#ifndef GCEB_CANONJSON_H
#define GCEB_CANONJSON_H

#include "buf.h"

/*
 * Append @s (UTF-8; NULL is taken as "") as a quoted JSON string: pure
 * ASCII, lower-case \u escapes (DEL too), code points above U+FFFF as
 * surrogate pairs, '/' literal. A byte that is not valid UTF-8 stands for
 * itself.
 */
void gceb_canonjson_quote(struct gceb_buf *b, const char *s);

#endif
