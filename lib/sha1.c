/* SPDX-License-Identifier: Apache-2.0 */
/* sha1.c - SHA-1 through OpenSSL's EVP interface */
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

#include "sha1.h"

static void to_hex(const unsigned char *md, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[md[i] >> 4];
		out[2 * i + 1] = digits[md[i] & 15];
	}
	out[2 * n] = '\0';
}

void gceb_sha1_hex(const void *data, size_t len, char out[GCEB_SHA1_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	/* EVP_Digest only fails on allocation failure inside OpenSSL. */
	if (EVP_Digest(data, len, md, &n, EVP_sha1(), NULL) != 1 || n != 20) {
		out[0] = '\0';
		return;
	}
	to_hex(md, 20, out);
}

void gceb_git_blob_sha1(const void *data, size_t len, unsigned char out[20])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	char header[32];
	unsigned int n = 0;
	int hlen = snprintf(header, sizeof(header), "blob %zu", len);

	/* The NUL that ends the header is part of what git hashes. */
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, header, (size_t)hlen + 1) != 1 ||
	    EVP_DigestUpdate(ctx, data, len) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1)
		memset(out, 0, 20);
	EVP_MD_CTX_free(ctx);
}
