/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sc_pipeline.c - whole-pipeline scenarios (docs/design/lifecycles.md):
 * gceb-run-all round after round against gceb-emulator until the exact end
 * state holds in the store, in Compute Engine and in Machine Provider.
 * Each test starts its own emulator; the *_faults variants run the same
 * scenario with about 10% of the API requests failing.
 *
 * Run one test: sc_pipeline <name>; all: sc_pipeline.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "runner.h"
#include "scenario.h"

#define LINUX_TEMPLATE(image)                                         \
 "templates {\n"                                                      \
 "  base_name: \"linux\"\n"                                           \
 "  project: \"" SC_PROJECT "\"\n"                                    \
 "  image_name: \"" image "\"\n"                                      \
 "  image_project: \"debian-cloud\"\n"                                \
 "  machine_type: \"n1-standard-2\"\n"                                \
 "  dimensions: \"os_family:LINUX\"\n"                                \
 "  metadata: \"role:ci\"\n"                                          \
 "  service_accounts { name: \"ci@proj.iam.gserviceaccount.com\" }\n" \
 "}\n"

#define WIN_TEMPLATE                                                   \
 "templates {\n"                                                       \
 "  base_name: \"win\"\n"                                              \
 "  project: \"" SC_PROJECT "\"\n"                                     \
 "  image_name: \"windows-2019\"\n"                                    \
 "  image_project: \"windows-cloud\"\n"                                \
 "  machine_type: \"n1-standard-4\"\n"                                 \
 "  service_accounts { name: \"win@proj.iam.gserviceaccount.com\" }\n" \
 "}\n"

#define MGR(base, zone, min, max)                                                     \
 "managers { template_base_name: \"" base "\" zone: \"" zone "\" minimum_size: " #min \
 " maximum_size: " #max " }\n"

static const char TEMPLATES[] = LINUX_TEMPLATE("debian-12") WIN_TEMPLATE;
static const char TEMPLATES_EDITED[] = LINUX_TEMPLATE("debian-13") WIN_TEMPLATE;
static const char TEMPLATES_LINUX[] = LINUX_TEMPLATE("debian-12");
static const char MANAGERS[] =
	MGR("linux", "us-a", 2, 4) MGR("linux", "us-b", 2, 4) MGR("win", "us-c", 1, 2);
static const char MANAGERS_NO_B[] = MGR("linux", "us-a", 2, 4) MGR("win", "us-c", 1, 2);
static const char MANAGERS_LINUX[] = MGR("linux", "us-a", 2, 4) MGR("linux", "us-b", 2, 4);

static const struct sc_expect FULL = {
	.g = { { "linux", "us-a", 2, 2 }, { "linux", "us-b", 2, 2 }, { "win", "us-c", 1, 1 } },
	.n = 3,
};
static const struct sc_expect NO_B = {
	.g = { { "linux", "us-a", 2, 2 }, { "win", "us-c", 1, 1 } },
	.n = 2,
};
static const struct sc_expect LINUX_ONLY = {
	.g = { { "linux", "us-a", 2, 2 }, { "linux", "us-b", 2, 2 } },
	.n = 2,
};

/* Generous: a fault-free rollout takes about 4 rounds, a revision roll about 10. */
#define ROUNDS       40
#define FAULT_ROUNDS 120

static int teardown(void **state)
{
	sc_stop(*state);
	return 0;
}

static struct sc *start(void **state, bool faults)
{
	struct sc *s = sc_start(NULL);

	*state = s;
	sc_config(s, TEMPLATES, MANAGERS);
	if (faults)
		sc_fault_storm(s);
	return s;
}

static int max_rounds(const struct sc *s)
{
	return s->faults ? FAULT_ROUNDS : ROUNDS;
}

/* docs/design/lifecycles.md "Fresh config to a full catalog": fresh config to a full catalog,
 * listInstances in pages of 2. */
static void rollout(void **state, bool faults)
{
	struct sc *s = sc_start("--page-size", "2", NULL);
	static const struct sc_expect big = {
		.g = { { "linux", "us-a", 5, 5 },
		       { "linux", "us-b", 2, 2 },
		       { "win", "us-c", 1, 1 } },
		.n = 3,
	};

	*state = s;
	sc_config(s, TEMPLATES,
		  MGR("linux", "us-a", 5, 6) MGR("linux", "us-b", 2, 4) MGR("win", "us-c", 1, 2));
	if (faults)
		sc_fault_storm(s);
	(void)sc_converge(s, &big, max_rounds(s), "rollout");
	if (faults)
		assert_true(sc_fault_hits(s) > 0);
}

static void first_rollout(void **state)
{
	rollout(state, false);
}

static void first_rollout_faults(void **state)
{
	rollout(state, true);
}

/* Lease @n machines of linux/us-a for @seconds; their hostnames in @names. */
static void lease(struct sc *s, int n, int seconds, char names[][128])
{
	cJSON *live = sc_live_instances(s, "linux", "us-a");
	int i;

	assert_true(cJSON_GetArraySize(live) >= n);
	for (i = 0; i < n; i++) {
		const char *h = sc_str(cJSON_GetArrayItem(live, i), "name");

		(void)snprintf(names[i], 128, "%s", h);
		sc_emu_post(s, "/_emu/mp/lease", "{\"hostname\": \"%s\", \"seconds\": %d}", h,
			    seconds);
	}
	cJSON_Delete(live);
}

/* Is @name a VM in the emulator, or a catalog entry? */
static bool emu_knows(struct sc *s, const char *name)
{
	cJSON *emu = sc_emu_state(s);
	char *text = cJSON_PrintUnformatted(emu);
	char quoted[160];
	bool found;

	(void)snprintf(quoted, sizeof(quoted), "/%s\"", name);
	found = strstr(text, quoted) != NULL;
	(void)snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	found = found || strstr(text, quoted) != NULL;
	free(text);
	cJSON_Delete(emu);
	return found;
}

/* Run cleanup-entities 25 minutes in the future: deleted Instance entities are purged. */
static void purge(struct sc *s)
{
#ifdef SC_NO_FAKETIME
	print_message("purge skipped: faketime does not work with sanitized binaries\n");
	(void)s;
#else
	int fd = it_tmpfd();
	int st = it_wait(sc_spawn(s, "+25m", "cleanup-entities", NULL, fd));
	char *err = it_slurp(fd);
	cJSON *live = sc_live_instances(s, NULL, NULL);
	struct it_result res;
	cJSON *j;

	if (st != 0 || err[0])
		print_message("faketime cleanup-entities: exit %d\n%s", st, err);
	assert_int_equal(st, 0);
	assert_string_equal(err, "");
	free(err);
	(void)close(fd);
	assert_int_equal(it_run(&s->env, &res, "status", "--json", NULL), 0);
	j = cJSON_Parse(res.out);
	assert_non_null(j);
	{
		const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "instance_counts");

		assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "deleted")->valueint, 0);
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(c, "total")->valueint,
				 cJSON_GetArraySize(live));
	}
	cJSON_Delete(j);
	cJSON_Delete(live);
	it_result_release(&res);
#endif
}

/*
 * docs/design/lifecycles.md "A lease cycle", docs/design/lifecycles.md (Instance): 3 leased → the
 * group grows to ceil(3 × 1.1) = 4; the leases expire, Machine Provider reclaims, the three are
 * deleted and the group is regrown to its minimum with new VMs; 25 minutes later their Instance
 * entities are purged.
 */
static void lease_cycle(void **state, bool faults)
{
	struct sc *s = start(state, faults);
	struct sc_expect base = FULL, during;
	char leased[3][128];
	int i;

	/* us-a: min 3, max 6; 3 leased → want ceil(3.3) = 4. */
	sc_config(s, TEMPLATES,
		  MGR("linux", "us-a", 3, 6) MGR("linux", "us-b", 2, 4) MGR("win", "us-c", 1, 2));
	base.g[0].target = base.g[0].running = 3;
	(void)sc_converge(s, &base, max_rounds(s), "rollout");
	lease(s, 3, 600, leased);
	during = base;
	during.g[0].target = during.g[0].running = 4;
	during.leased = 3;
	(void)sc_converge(s, &during, max_rounds(s), "leased");

	it_emu_advance(&s->env, 900); /* past the leases; the MP crons reclaim */
	(void)sc_converge(s, &base, max_rounds(s), "reclaimed");
	for (i = 0; i < 3; i++) {
		if (emu_knows(s, leased[i]))
			print_message("%s still known to the emulator\n", leased[i]);
		assert_false(emu_knows(s, leased[i]));
	}
	if (faults)
		assert_true(sc_fault_hits(s) > 0);
	sc_clear_faults(s);
	purge(s);
	(void)sc_converge(s, &base, max_rounds(s), "after purge");
}

static void lease_cycle_plain(void **state)
{
	lease_cycle(state, false);
}

static void lease_cycle_faults(void **state)
{
	lease_cycle(state, true);
}

/* docs/design/lifecycles.md (config change): a template edit rolls the revision; the old one drains
 * away. */
static void template_edit(void **state, bool faults)
{
	struct sc *s = start(state, faults);
	char old[41], now[41], win[41], win_now[41];

	(void)sc_converge(s, &FULL, max_rounds(s), "rollout");
	sc_active_revision(s, "linux", old);
	sc_active_revision(s, "win", win);
	sc_config(s, TEMPLATES_EDITED, MANAGERS);
	(void)sc_converge(s, &FULL, max_rounds(s), "edited");
	sc_active_revision(s, "linux", now);
	sc_active_revision(s, "win", win_now);
	assert_string_not_equal(now, old);
	assert_string_equal(win_now, win);
	assert_false(sc_revision_left(s, old));
	if (faults)
		assert_true(sc_fault_hits(s) > 0);
}

static void template_edit_plain(void **state)
{
	template_edit(state, false);
}

static void template_edit_faults(void **state)
{
	template_edit(state, true);
}

/* docs/design/lifecycles.md: a zone removed from managers.cfg; its group drains, the revision
 * stays. */
static void zone_removed(void **state)
{
	struct sc *s = start(state, false);
	char before[41], after[41];

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	sc_active_revision(s, "linux", before);
	sc_config(s, TEMPLATES, MANAGERS_NO_B);
	(void)sc_converge(s, &NO_B, ROUNDS, "zone removed");
	sc_active_revision(s, "linux", after);
	assert_string_equal(after, before);
}

/* docs/design/lifecycles.md: a template removed; everything of it drains and its entities go. */
static void template_removed(void **state)
{
	struct sc *s = start(state, false);
	char win[41];

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	sc_active_revision(s, "win", win);
	sc_config(s, TEMPLATES_LINUX, MANAGERS_LINUX);
	(void)sc_converge(s, &LINUX_ONLY, ROUNDS, "template removed");
	assert_false(sc_revision_left(s, win));
}

/*
 * docs/design/config.md: an old config re-added while its revision still drains
 * reactivates that revision (same id, same GCE template and groups).
 */
static void readd_while_draining(void **state)
{
	struct sc *s = start(state, false);
	char a[41], b[41], now[41];

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	sc_active_revision(s, "linux", a);
	sc_config(s, TEMPLATES_EDITED, MANAGERS);
	sc_rounds(s, 2);
	sc_active_revision(s, "linux", b);
	assert_string_not_equal(a, b);
	sc_config(s, TEMPLATES, MANAGERS);
	(void)sc_converge(s, &FULL, ROUNDS, "re-added");
	sc_active_revision(s, "linux", now);
	assert_string_equal(now, a);
	assert_false(sc_revision_left(s, b));
}

/* An old config re-added after its revision is gone converges to the same state. */
static void readd_after_gone(void **state)
{
	struct sc *s = start(state, false);
	char a[41], b[41], now[41];

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	sc_active_revision(s, "linux", a);
	sc_config(s, TEMPLATES_EDITED, MANAGERS);
	(void)sc_converge(s, &FULL, ROUNDS, "edited");
	sc_active_revision(s, "linux", b);
	assert_false(sc_revision_left(s, a));
	sc_config(s, TEMPLATES, MANAGERS);
	(void)sc_converge(s, &FULL, ROUNDS, "re-added");
	sc_active_revision(s, "linux", now);
	assert_string_equal(now, a);
	assert_false(sc_revision_left(s, b));
}

/* The value of metadata @key on the VM at @url (via the Compute API), or NULL. Caller frees. */
static char *vm_metadata(struct sc *s, const char *url, const char *key)
{
	long status = 0;
	cJSON *vm = it_emu_api(&s->env, "GET", sc_url_path(s, url), NULL, &status);
	const cJSON *item;
	char *v = NULL;

	assert_int_equal(status, 200);
	cJSON_ArrayForEach(item,
			   cJSON_GetObjectItemCaseSensitive(
				   cJSON_GetObjectItemCaseSensitive(vm, "metadata"), "items")) {
		const char *k = sc_str(item, "key"), *val = sc_str(item, "value");

		if (k && val && !strcmp(k, key)) {
			free(v); /* a key given twice: keep the last */
			v = strdup(val);
		}
	}
	cJSON_Delete(vm);
	return v;
}

/* How many live VMs of @base carry @key=@value. */
static int with_metadata(struct sc *s, const char *base, const char *key, const char *value)
{
	cJSON *live = sc_live_instances(s, base, NULL);
	const cJSON *in;
	int n = 0;

	cJSON_ArrayForEach(in, live) {
		char *v = vm_metadata(s, sc_str(in, "url"), key);

		n += v && !strcmp(v, value);
		free(v);
	}
	cJSON_Delete(live);
	return n;
}

/* Rounds until @n live VMs of @base carry @key=@value. */
static void await_metadata(struct sc *s, const char *base, const char *key, const char *value,
			   int n)
{
	int r, have = 0;

	for (r = 0; r < 10; r++) {
		sc_round(s);
		have = with_metadata(s, base, key, value);
		if (have == n)
			return;
	}
	print_message("%d of %d %s VMs have %s=%s after 10 rounds\n", have, n, base, key, value);
	fail();
}

/* gceb-set-metadata for a template: every VM of it shows the key, the others do not. */
static void metadata_update(void **state)
{
	struct sc *s = start(state, false);
	struct it_result res;

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	assert_int_equal(
		it_run(&s->env, &res, "set-metadata", "--template", "linux", "owner=alice", NULL),
		0);
	it_result_release(&res);
	await_metadata(s, "linux", "owner", "alice", 4);
	assert_int_equal(with_metadata(s, "linux", "role", "ci"), 4);
	assert_int_equal(with_metadata(s, "win", "owner", "alice"), 0);
	(void)sc_converge(s, &FULL, ROUNDS, "after metadata");
}

/*
 * docs/design/lifecycles.md "Metadata against a changing fingerprint": setMetadata refused with 412
 * (another writer changed the fingerprint), then an operation that ends DONE with an error: the
 * update is retried with a fresh fingerprint until it lands.
 */
static void metadata_race(void **state)
{
	struct sc *s = start(state, false);
	struct it_result res;
	cJSON *live;
	char host[128], url[512];

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	live = sc_live_instances(s, "linux", "us-b");
	(void)snprintf(host, sizeof(host), "%s", sc_str(cJSON_GetArrayItem(live, 0), "name"));
	(void)snprintf(url, sizeof(url), "%s", sc_str(cJSON_GetArrayItem(live, 0), "url"));
	cJSON_Delete(live);
	sc_emu_post(s, "/_emu/gce/fingerprint", "{\"instance\": \"%s\"}", url);
	sc_emu_post(s, "/_emu/faults",
		    "{\"method\": \"POST\", \"path\": \"*/setMetadata\", \"action\": \"status\", "
		    "\"status\": 412, \"reason\": \"conditionNotMet\", \"count\": 1}");
	sc_emu_post(s, "/_emu/gce/op-failure",
		    "{\"operationType\": \"setMetadata\", \"code\": \"CONDITION_NOT_MET\", "
		    "\"count\": 1}");
	assert_int_equal(
		it_run(&s->env, &res, "set-metadata", "--hostname", host, "color=blue", NULL), 0);
	it_result_release(&res);
	await_metadata(s, "linux", "color", "blue", 1);
	assert_true(it_emu_count_requests(&s->env, "POST", "/setMetadata") >= 3);
	(void)sc_converge(s, &FULL, ROUNDS, "after metadata");
}

/* A VM deleted behind its group's back: the group recreates it; store and catalog agree. */
static void vm_killed(void **state)
{
	struct sc *s = start(state, false);
	cJSON *live;

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	live = sc_live_instances(s, "linux", "us-a");
	sc_emu_post(s, "/_emu/gce/kill", "{\"instance\": \"%s\"}",
		    sc_str(cJSON_GetArrayItem(live, 0), "url"));
	sc_emu_post(s, "/_emu/gce/kill", "{\"instance\": \"%s\"}",
		    sc_str(cJSON_GetArrayItem(live, 1), "url"));
	cJSON_Delete(live);
	(void)sc_converge(s, &FULL, ROUNDS, "killed");
}

/* Capacity exhausted in one zone: converge to what fits; lift it: converge to full. */
static void zone_capacity(void **state)
{
	struct sc *s = start(state, false);
	struct sc_expect fits = FULL;

	sc_emu_post(s, "/_emu/gce/zone",
		    "{\"project\": \"" SC_PROJECT "\", \"zone\": \"us-a\", \"capacity\": 1}");
	sc_emu_post(s, "/_emu/gce/zone",
		    "{\"project\": \"" SC_PROJECT "\", \"zone\": \"us-c\", \"capacity\": 0, "
		    "\"code\": \"QUOTA_EXCEEDED\"}");
	fits.g[0].running = 1;
	fits.g[2].running = 0;
	(void)sc_converge(s, &fits, ROUNDS, "capacity");
	sc_emu_post(s, "/_emu/gce/zone",
		    "{\"project\": \"" SC_PROJECT "\", \"zone\": \"us-a\", \"capacity\": -1}");
	sc_emu_post(s, "/_emu/gce/zone",
		    "{\"project\": \"" SC_PROJECT "\", \"zone\": \"us-c\", \"capacity\": -1}");
	(void)sc_converge(s, &FULL, ROUNDS, "lifted");
}

/* linux's template and its us-a group for revision @rev, made in GCE by someone else. */
static void create_behind_our_back(struct sc *s, const char *rev)
{
	char body[1024];
	long status = 0;

	(void)snprintf(body, sizeof(body),
		       "{\"name\": \"linux-%s\", \"properties\": {\"machineType\": "
		       "\"n1-standard-2\"}}",
		       rev);
	cJSON_Delete(it_emu_api(&s->env, "POST",
				"/compute/v1/projects/" SC_PROJECT "/global/instanceTemplates",
				body, &status));
	assert_int_equal(status, 200);
	it_emu_advance(&s->env, 10);
	(void)snprintf(body, sizeof(body),
		       "{\"name\": \"linux-%s\", \"baseInstanceName\": \"linux-%.8s-us-a\", "
		       "\"instanceTemplate\": \"global/instanceTemplates/linux-%s\", "
		       "\"targetSize\": 0}",
		       rev, rev, rev);
	cJSON_Delete(it_emu_api(&s->env, "POST",
				"/compute/v1/projects/" SC_PROJECT
				"/zones/us-a/instanceGroupManagers",
				body, &status));
	assert_int_equal(status, 200);
	it_emu_advance(&s->env, 10);
}

/* docs/design/lifecycles.md "Adoption after a crash": the template and a group exist already (a
 * crash after insert): adopted. */
static void adopt_existing(void **state)
{
	struct sc *s = start(state, false);
	char rev[41];

	assert_int_equal(it_run(&s->env, NULL, "import-config", NULL), 0);
	assert_int_equal(it_run(&s->env, NULL, "process-config", NULL), 0);
	sc_active_revision(s, "linux", rev);
	create_behind_our_back(s, rev);
	(void)sc_converge(s, &FULL, ROUNDS, "adopted");
}

/*
 * A job killed between its insert and storing the operation, and the
 * revision drained before any run saw the object: GCE has a template and a
 * group the store never recorded. cleanup-entities asks GCE by name before
 * it forgets a URL-less entity, adopts them, and the drain deletes them.
 */
static void drained_killed_insert(void **state)
{
	struct sc *s = start(state, false);
	char rev[41];

	assert_int_equal(it_run(&s->env, NULL, "import-config", NULL), 0);
	assert_int_equal(it_run(&s->env, NULL, "process-config", NULL), 0);
	sc_active_revision(s, "linux", rev);
	create_behind_our_back(s, rev);
	/* The edit drains that revision before any create-* run recorded its objects. */
	sc_config(s, TEMPLATES_EDITED, MANAGERS);
	(void)sc_converge(s, &FULL, ROUNDS, "killed insert drained");
	assert_false(sc_revision_left(s, rev));
}

/*
 * docs/design/lifecycles.md "A revision roll while a machine is leased": a revision roll while a
 * machine of the old revision is leased: delete_machine answers LEASED, so the old group keeps that
 * VM and the old template stays (in use) until the lease ends; then all of it goes.
 */
static void edit_with_lease(void **state)
{
	struct sc *s = start(state, false);
	char leased[1][128], old[41];
	int refused;

	(void)sc_converge(s, &FULL, ROUNDS, "rollout");
	sc_active_revision(s, "linux", old);
	lease(s, 1, 1800, leased);
	sc_rounds(s, 2);
	sc_config(s, TEMPLATES_EDITED, MANAGERS);
	sc_rounds(s, 12);
	assert_true(emu_knows(s, leased[0]));
	assert_true(sc_revision_left(s, old));
	refused = it_emu_count_requests(&s->env, "POST", "delete_machine");
	assert_true(refused >= 12);
	it_emu_advance(&s->env, 1800);
	(void)sc_converge(s, &FULL, ROUNDS, "lease ended");
	assert_false(emu_knows(s, leased[0]));
	assert_false(sc_revision_left(s, old));
}

/*
 * An insert still awaited (insert_operation set, url not yet) when its
 * group or revision is drained: the create jobs poll it to the end and the
 * drain deletes what it made. Before that fix, cleanup-entities removed the
 * url-less entity and the GCE resource leaked for good.
 */
static void drained_pending(void **state, bool group)
{
	struct sc *s = start(state, false);

	/* Inserts stay PENDING until the 50th poll or 1000 virtual seconds. */
	sc_emu_post(s, "/_emu/config", "{\"op_polls\": 50, \"op_ms\": 1000000}");
	assert_int_equal(it_run(&s->env, NULL, "import-config", NULL), 0);
	assert_int_equal(it_run(&s->env, NULL, "process-config", NULL), 0);
	assert_int_equal(it_run(&s->env, NULL, "create-instance-templates", NULL), 0);
	if (group) {
		/* The templates' inserts finish; the groups' stay pending. */
		it_emu_advance(&s->env, 1001);
		assert_int_equal(it_run(&s->env, NULL, "create-instance-templates", NULL), 0);
		assert_int_equal(it_run(&s->env, NULL, "create-instance-group-managers", NULL), 0);
	}
	sc_emu_post(s, "/_emu/config", "{\"op_polls\": 1, \"op_ms\": 2000}");
	/* The config changes before the insert is seen DONE. */
	sc_config(s, TEMPLATES_EDITED, MANAGERS);
	(void)sc_converge(s, &FULL, ROUNDS, "drained while inserting");
}

static void drained_pending_group(void **state)
{
	drained_pending(state, true);
}

static void drained_pending_template(void **state)
{
	drained_pending(state, false);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(first_rollout, teardown),
		cmocka_unit_test_teardown(first_rollout_faults, teardown),
		cmocka_unit_test_teardown(lease_cycle_plain, teardown),
		cmocka_unit_test_teardown(lease_cycle_faults, teardown),
		cmocka_unit_test_teardown(template_edit_plain, teardown),
		cmocka_unit_test_teardown(template_edit_faults, teardown),
		cmocka_unit_test_teardown(zone_removed, teardown),
		cmocka_unit_test_teardown(template_removed, teardown),
		cmocka_unit_test_teardown(readd_while_draining, teardown),
		cmocka_unit_test_teardown(readd_after_gone, teardown),
		cmocka_unit_test_teardown(metadata_update, teardown),
		cmocka_unit_test_teardown(metadata_race, teardown),
		cmocka_unit_test_teardown(vm_killed, teardown),
		cmocka_unit_test_teardown(zone_capacity, teardown),
		cmocka_unit_test_teardown(adopt_existing, teardown),
		cmocka_unit_test_teardown(edit_with_lease, teardown),
		cmocka_unit_test_teardown(drained_pending_group, teardown),
		cmocka_unit_test_teardown(drained_pending_template, teardown),
		cmocka_unit_test_teardown(drained_killed_insert, teardown),
	};

	return gceb_test_run("sc_pipeline", tests, argc, argv);
}
