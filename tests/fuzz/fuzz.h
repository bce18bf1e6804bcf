/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - what the libFuzzer targets share: the entry point's prototype and
 * a check that turns a broken promise of the API under test into a crash,
 * so that libFuzzer keeps the input.
 */
#ifndef GCEB_FUZZ_H
#define GCEB_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "gceb/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                          \
 do {                                                                             \
  if (!(cond)) {                                                                  \
   (void)fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
   abort();                                                                       \
  }                                                                               \
 } while (0)

/*
 * A failed call returns one of @a, @b or GCEB_ENOMEM (libFuzzer's malloc
 * limit), and says why in @err.
 */
#define FUZZ_CHECK_FAILURE(r, err, a, b)                      \
 do {                                                         \
  FUZZ_CHECK((r) == (a) || (r) == (b) || (r) == GCEB_ENOMEM); \
  FUZZ_CHECK((err)->msg[0] != '\0');                          \
 } while (0)

#endif
