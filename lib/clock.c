/* SPDX-License-Identifier: Apache-2.0 */
/* clock.c - the one clock of lib/ */
#include <time.h>

#include "store.h"

/* Tests move this clock with libfaketime, which intercepts time(). */
int64_t gceb_now(void)
{
	return (int64_t)time(NULL);
}
