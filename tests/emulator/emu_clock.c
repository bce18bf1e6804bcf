/* SPDX-License-Identifier: Apache-2.0 */
/* emu_clock.c - virtual clock, timers in a binary heap, seeded randomness */
#include <stdio.h>
#include <time.h>

#include "emu.h"

static int64_t clock_ms(clockid_t id)
{
	struct timespec ts;

	(void)clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t emu_real_ms(void)
{
	return clock_ms(CLOCK_REALTIME);
}

/*
 * Virtual time starts at the wall-clock time of start-up and runs at
 * --time-scale times real time, plus whatever the control API added.
 */
int64_t emu_now(struct emu *e)
{
	int64_t elapsed = clock_ms(CLOCK_MONOTONIC) - e->start_mono;

	return e->start_wall + (int64_t)((double)elapsed * e->scale) + e->offset;
}

void emu_clock_advance(struct emu *e, int64_t ms)
{
	if (ms > 0)
		e->offset += ms;
	emu_run_timers(e);
}

static bool before(const struct emu_timer *a, const struct emu_timer *b)
{
	return a->due < b->due || (a->due == b->due && a->order < b->order);
}

static void place(struct emu *e, size_t i, struct emu_timer *t)
{
	e->heap[i] = t;
	t->idx = i + 1;
}

static void sift_up(struct emu *e, size_t i)
{
	struct emu_timer *t = e->heap[i];

	while (i > 0 && before(t, e->heap[(i - 1) / 2])) {
		place(e, i, e->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	place(e, i, t);
}

static void sift_down(struct emu *e, size_t i)
{
	struct emu_timer *t = e->heap[i];

	for (;;) {
		size_t c = 2 * i + 1;

		if (c >= e->heap_len)
			break;
		if (c + 1 < e->heap_len && before(e->heap[c + 1], e->heap[c]))
			c++;
		if (!before(e->heap[c], t))
			break;
		place(e, i, e->heap[c]);
		i = c;
	}
	place(e, i, t);
}

void emu_timer_cancel(struct emu *e, struct emu_timer *t)
{
	size_t i;
	struct emu_timer *last;

	if (!t->idx)
		return;
	i = t->idx - 1;
	t->idx = 0;
	last = e->heap[--e->heap_len];
	if (i == e->heap_len)
		return;
	place(e, i, last);
	sift_up(e, i);
	sift_down(e, last->idx - 1);
}

void emu_timer_set(struct emu *e, struct emu_timer *t, int64_t due)
{
	emu_timer_cancel(e, t);
	if (e->heap_len == e->heap_cap) {
		e->heap_cap = e->heap_cap ? e->heap_cap * 2 : 64;
		e->heap = emu_xrealloc(e->heap, e->heap_cap * sizeof(struct emu_timer *));
	}
	t->due = due;
	t->order = ++e->timer_order;
	e->heap[e->heap_len] = t;
	t->idx = ++e->heap_len;
	sift_up(e, e->heap_len - 1);
}

/* Disarms every timer, before the objects that hold them are freed. */
void emu_timers_clear(struct emu *e)
{
	size_t i;

	for (i = 0; i < e->heap_len; i++)
		e->heap[i]->idx = 0;
	e->heap_len = 0;
}

/* Fires every timer that is due; a callback may re-arm its own timer. */
void emu_run_timers(struct emu *e)
{
	int64_t now = emu_now(e);

	while (e->heap_len && e->heap[0]->due <= now) {
		struct emu_timer *t = e->heap[0];

		emu_timer_cancel(e, t);
		e->firing = t->due;
		t->fire(e, t);
	}
	e->firing = 0;
}

/*
 * "Now" for scheduling follow-up work: inside a timer callback it is the
 * time the timer was due, so that a long clock advance runs every step.
 */
int64_t emu_sched_now(struct emu *e)
{
	return e->firing ? e->firing : emu_now(e);
}

/* RFC 3339 with milliseconds and an explicit offset, as Compute sends them. */
void emu_rfc3339(int64_t ms, char *buf, size_t size)
{
	time_t s = (time_t)(ms / 1000);
	struct tm tm;
	char tmp[32];

	(void)gmtime_r(&s, &tm);
	(void)strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	(void)snprintf(buf, size, "%s.%03d+00:00", tmp, (int)(ms % 1000));
}

/* splitmix64: small, seedable, good enough for names and tokens. */
uint64_t emu_rand(struct emu *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

uint64_t emu_next_seq(struct emu *e)
{
	return ++e->seq;
}
