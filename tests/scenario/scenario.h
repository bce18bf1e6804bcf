/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scenario.h - whole-pipeline scenario tests: drive gceb-run-all round after
 * round against gceb-emulator until an exact end state holds, and compare
 * the store (gceb-status) with the emulator (/_emu/state).
 */
#ifndef GCEB_SCENARIO_H
#define GCEB_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "harness.h"

/* One configured (template, zone): its group's target size and live VMs. */
struct sc_group {
	const char *base;
	const char *zone;
	int target;
	int running;
};

struct sc_expect {
	struct sc_group g[8];
	int n;
	int leased; /* Instances the store sees leased */
};

struct sc {
	struct it_env env;
	const char *args[8]; /* extra arguments of gceb-run-all */
	int nargs;
	bool faults;    /* rounds may fail: only check exit statuses 0/1 */
	int advance_s;  /* emulator seconds between rounds */
	int rounds;     /* rounds run so far */
	int fault_hits; /* requests failed by rules since cleared */
	char *last_err;
};

/* Project of every config in the scenarios. */
#define SC_PROJECT "proj"

/* Start an emulator (extra arguments NULL-terminated) in a scratch directory. */
struct sc *sc_start(const char *arg, ...);
void sc_stop(struct sc *s);

/* Write templates.cfg and managers.cfg. */
void sc_config(struct sc *s, const char *templates, const char *managers);

/*
 * One gceb-run-all round with the scenario's arguments, then advance the
 * emulator's clock. Fails the test on an exit status other than 0/1 or on
 * stderr that speaks of the store. Returns the exit status.
 */
int sc_round(struct sc *s);
void sc_rounds(struct sc *s, int n);

/*
 * Check the exact end state: the store and the emulator hold exactly the
 * groups of @e and nothing else (see scenario.c). Returns true if it holds;
 * otherwise, with @diff non-NULL, *@diff gets the expected-vs-actual diff
 * (caller frees).
 */
bool sc_check(struct sc *s, const struct sc_expect *e, char **diff);

/*
 * Run rounds until sc_check holds (then one more round, which must keep it
 * and, without faults, be clean), or fail after @max_rounds with the diff.
 * Returns the number of rounds it took.
 */
int sc_converge(struct sc *s, const struct sc_expect *e, int max_rounds, const char *what);

/* The active revision of @base in the store ("" if none). */
void sc_active_revision(struct sc *s, const char *base, char out[41]);

/* Is any trace of revision @rev left in the store or the emulator? */
bool sc_revision_left(struct sc *s, const char *rev);

/* Live (not pending deletion, not deleted) instances of the store, as a cJSON array of objects. */
cJSON *sc_live_instances(struct sc *s, const char *base, const char *zone);

/* Control API calls that must answer 200. */
void sc_emu_post(struct sc *s, const char *path, const char *body_fmt, ...)
	__attribute__((format(printf, 3, 4)));
cJSON *sc_emu_state(struct sc *s);

/* Roughly 10% of /compute/ and /_ah/api/ requests fail (500/503/429/reset/slow). */
void sc_fault_storm(struct sc *s);
/* Clear the fault rules; the run-all arguments stay. */
void sc_clear_faults(struct sc *s);
/* Requests failed by fault rules so far (the current rules and cleared ones). */
int sc_fault_hits(struct sc *s);

/* The path of a URL minted by the emulator, after its root. */
const char *sc_url_path(const struct sc *s, const char *url);

/* A string field of a JSON object, or NULL. */
const char *sc_str(const cJSON *o, const char *name);

/*
 * Start gceb-@job (with --state-dir and --config-dir, then @args, NULL-
 * terminated; @args may be NULL) without waiting, its stdout discarded and its
 * stderr in @err_fd (or discarded if < 0). With @faketime (e.g. "+25m") the job
 * runs under faketime (and timeout 60). Returns its pid.
 */
int sc_spawn(struct sc *s, const char *faketime, const char *job, const char *const *args,
	     int err_fd);
/* it_wait() (harness.h) waits for it. */
/* A job's stderr goes to it_tmpfd() and is read back with it_slurp() (harness.h). */

/* Does a job's stderr speak of the store (store, MDB, damaged, ...)? */
bool sc_store_trouble(const char *err);

/* The 14 jobs of gceb-run-all, in pipeline order. */
extern const char *const sc_jobs[14];

/* Deterministic random numbers for the crash and overlap tests. */
unsigned sc_seed(void);
unsigned sc_rand(unsigned *state);

#endif
