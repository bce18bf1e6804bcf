/* SPDX-License-Identifier: Apache-2.0 */
/* sha1.h - SHA-1 in lower-case hex: revision ids, metadata checksums, git blob hashes */
#ifndef GCEB_SHA1_H
#define GCEB_SHA1_H

#include <stddef.h>

#define GCEB_SHA1_HEX_LEN 40

/* Write the hex SHA-1 of @data into @out (41 bytes with the NUL). */
void gceb_sha1_hex(const void *data, size_t len, char out[GCEB_SHA1_HEX_LEN + 1]);
/* git's blob hash: SHA-1 of "blob <len>\0" followed by the content, raw 20 bytes. */
void gceb_git_blob_sha1(const void *data, size_t len, unsigned char out[20]);

#endif
