/* SPDX-License-Identifier: Apache-2.0 */
/* emu_control.c - the test-only control API under /_emu/ (docs/emulator.md) */
#include <stdlib.h>
#include <string.h>

#include "emu.h"

static void ok(struct emu_reply *rep)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddBoolToObject(o, "ok", 1);
	emu_reply_json(rep, 200, o);
}

static cJSON *clock_json(struct emu *e)
{
	cJSON *o = cJSON_CreateObject();
	char ts[40];
	int64_t now = emu_now(e);

	emu_rfc3339(now, ts, sizeof(ts));
	cJSON_AddNumberToObject(o, "now_ms", (double)now);
	cJSON_AddStringToObject(o, "now", ts);
	cJSON_AddNumberToObject(o, "time_scale", e->scale);
	return o;
}

static cJSON *knobs_json(struct emu *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "page_size", (double)e->k.page_size);
	cJSON_AddNumberToObject(o, "op_polls", (double)e->k.op_polls);
	cJSON_AddNumberToObject(o, "op_ms", (double)e->k.op_ms);
	cJSON_AddNumberToObject(o, "op_retention_ms", (double)e->k.op_retention_ms);
	cJSON_AddNumberToObject(o, "vm_step_ms", (double)e->k.vm_step_ms);
	cJSON_AddNumberToObject(o, "latency_ms", (double)e->k.latency_ms);
	cJSON_AddBoolToObject(o, "igm_ops_running", e->k.igm_ops_running);
	cJSON_AddNumberToObject(o, "missing_template", e->k.missing_template);
	cJSON_AddBoolToObject(o, "metadata_op_error", e->k.metadata_op_error);
	cJSON_AddNumberToObject(o, "mp_cron_ms", (double)e->k.mp_cron_ms);
	cJSON_AddNumberToObject(o, "metadata_ttl_s", (double)e->k.metadata_ttl_s);
	cJSON_AddNumberToObject(o, "token_ttl_s", (double)e->k.token_ttl_s);
	cJSON_AddBoolToObject(o, "no_auth", e->no_auth);
	cJSON_AddStringToObject(o, "link_root", e->link_root);
	return o;
}

static int set_int(const cJSON *in, const char *name, int64_t min, int64_t *out,
		   struct emu_reply *rep)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(in, name);
	int64_t v;

	if (!j)
		return 0;
	if (!emu_json_get_int(j, &v) || v < min) {
		emu_reply_error(rep, 400, "invalid", "bad value for '%s'", name);
		return -1;
	}
	*out = v;
	return 0;
}

static int set_bool(const cJSON *in, const char *name, bool *out, struct emu_reply *rep)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(in, name);

	if (!j)
		return 0;
	if (!cJSON_IsBool(j)) {
		emu_reply_error(rep, 400, "invalid", "bad value for '%s'", name);
		return -1;
	}
	*out = cJSON_IsTrue(j);
	return 0;
}

/* Validated on a copy, so a bad request changes nothing. */
static int set_knobs(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	struct emu_knobs k = e->k;
	int64_t missing = k.missing_template;
	bool no_auth = e->no_auth;
	const cJSON *link = cJSON_GetObjectItemCaseSensitive(in, "link_root");

	if (set_int(in, "page_size", 0, &k.page_size, rep) < 0 ||
	    set_int(in, "op_polls", 0, &k.op_polls, rep) < 0 ||
	    set_int(in, "op_ms", 0, &k.op_ms, rep) < 0 ||
	    set_int(in, "op_retention_ms", 0, &k.op_retention_ms, rep) < 0 ||
	    set_int(in, "vm_step_ms", 0, &k.vm_step_ms, rep) < 0 ||
	    set_int(in, "latency_ms", 0, &k.latency_ms, rep) < 0 ||
	    set_int(in, "mp_cron_ms", 1, &k.mp_cron_ms, rep) < 0 ||
	    set_int(in, "metadata_ttl_s", 1, &k.metadata_ttl_s, rep) < 0 ||
	    set_int(in, "token_ttl_s", 1, &k.token_ttl_s, rep) < 0 ||
	    set_int(in, "missing_template", 400, &missing, rep) < 0 ||
	    set_bool(in, "igm_ops_running", &k.igm_ops_running, rep) < 0 ||
	    set_bool(in, "metadata_op_error", &k.metadata_op_error, rep) < 0 ||
	    set_bool(in, "no_auth", &no_auth, rep) < 0)
		return -1;
	if (missing != 400 && missing != 404) {
		emu_reply_error(rep, 400, "invalid", "'missing_template' is 400 or 404");
		return -1;
	}
	/* Last, as it is the one setting applied before the copy is kept. */
	if (link && (!cJSON_IsString(link) || emu_set_link_root(e, link->valuestring) < 0)) {
		emu_reply_error(rep, 400, "invalid",
				"'link_root' is an http(s) URL without query, or \"self\"");
		return -1;
	}
	k.missing_template = (unsigned)missing;
	e->k = k;
	e->no_auth = no_auth;
	return 0;
}

static cJSON *state_json(struct emu *e)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "clock", clock_json(e));
	cJSON_AddItemToObject(o, "config", knobs_json(e));
	cJSON_AddItemToObject(o, "compute", emu_gce_dump(e));
	cJSON_AddItemToObject(o, "machine_provider", emu_mp_dump(e));
	cJSON_AddItemToObject(o, "tokens", emu_auth_dump(e));
	cJSON_AddItemToObject(o, "luci_config", emu_luci_dump(e));
	cJSON_AddItemToObject(o, "faults", emu_fault_dump(e));
	return o;
}

static const char *jstr(const cJSON *in, const char *name)
{
	const cJSON *j = cJSON_GetObjectItemCaseSensitive(in, name);

	return cJSON_IsString(j) ? j->valuestring : NULL;
}

static int mint(struct emu *e, const cJSON *in, struct emu_reply *rep)
{
	const char *email = jstr(in, "email");
	const cJSON *sc = cJSON_GetObjectItemCaseSensitive(in, "scopes");
	char *scopes = NULL, *next;
	int64_t ttl = e->k.token_ttl_s;
	const cJSON *s;
	cJSON *o;

	if (!email || set_int(in, "ttl", 1, &ttl, rep) < 0) {
		if (!email)
			emu_reply_error(rep, 400, "required", "need 'email'");
		return -1;
	}
	if (cJSON_IsString(sc)) {
		scopes = emu_xstrdup(sc->valuestring);
	} else {
		scopes = emu_xstrdup(cJSON_IsArray(sc) ? "" :
							 EMU_SCOPE_CLOUD " " EMU_SCOPE_COMPUTE
									 " " EMU_SCOPE_EMAIL);
		cJSON_ArrayForEach(s, sc) {
			if (!cJSON_IsString(s))
				continue;
			next = emu_xasprintf("%s%s%s", scopes, *scopes ? " " : "", s->valuestring);
			free(scopes);
			scopes = next;
		}
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "access_token", emu_auth_mint(e, email, scopes, ttl));
	cJSON_AddNumberToObject(o, "expires_in", (double)ttl);
	cJSON_AddStringToObject(o, "token_type", "Bearer");
	emu_reply_json(rep, 200, o);
	free(scopes);
	return 0;
}

static void post(struct emu *e, const char *what, const char *verb, const cJSON *in,
		 struct emu_reply *rep)
{
	int64_t ms = 0;
	int r = -1;

	if (strcmp(what, "clock") == 0 && verb && strcmp(verb, "advance") == 0) {
		int64_t secs = 0;

		if (set_int(in, "ms", 0, &ms, rep) < 0 || set_int(in, "seconds", 0, &secs, rep) < 0)
			return;
		emu_clock_advance(e, ms + secs * 1000);
		emu_reply_json(rep, 200, clock_json(e));
		return;
	}
	if (strcmp(what, "config") == 0 && !verb) {
		if (set_knobs(e, in, rep) == 0)
			emu_reply_json(rep, 200, knobs_json(e));
		return;
	}
	if (strcmp(what, "tokens") == 0 && !verb) {
		(void)mint(e, in, rep);
		return;
	}
	if (strcmp(what, "gce") == 0 && verb && strcmp(verb, "seed") == 0) {
		(void)emu_gce_seed(e, in, rep);
		return;
	}
	if (strcmp(what, "faults") == 0 && !verb)
		r = emu_fault_add(e, in, rep);
	else if (strcmp(what, "tokens") == 0 && verb && strcmp(verb, "revoke") == 0)
		r = jstr(in, "token") && emu_auth_revoke(e, jstr(in, "token")) ? 0 : 1;
	else if (strcmp(what, "keys") == 0 && !verb)
		r = jstr(in, "pem") && emu_auth_add_key_pem(e, jstr(in, "pem"),
							    strlen(jstr(in, "pem"))) == 0 ?
			    0 :
			    1;
	else if (strcmp(what, "gce") == 0 && verb && strcmp(verb, "kill") == 0)
		r = emu_gce_kill_vm(e, jstr(in, "instance"), rep);
	else if (strcmp(what, "gce") == 0 && verb && strcmp(verb, "fingerprint") == 0)
		r = emu_gce_rotate_fingerprint(e, jstr(in, "instance"), rep);
	else if (strcmp(what, "gce") == 0 && verb && strcmp(verb, "zone") == 0)
		r = emu_gce_set_zone(e, in, rep);
	else if (strcmp(what, "gce") == 0 && verb && strcmp(verb, "op-failure") == 0)
		r = emu_gce_add_op_failure(e, in, rep);
	else if (strcmp(what, "mp") == 0 && verb)
		r = emu_mp_control(e, verb, in, rep);
	else if (strcmp(what, "luci") == 0 && verb && strcmp(verb, "publish") == 0)
		r = emu_luci_publish(e, in, rep);
	else
		emu_reply_error(rep, 404, "notFound", "no such control call");
	if (r == 0)
		ok(rep);
	else if (r > 0)
		emu_reply_error(rep, 400, "invalid", "bad or unknown argument");
}

void emu_control_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep)
{
	const char *what, *verb;
	cJSON *in = NULL;

	if (emu_req_split(req) < 0 || req->nsegs < 2 || req->nsegs > 3) {
		emu_reply_error(rep, 404, "notFound", "no such control call");
		return;
	}
	what = req->segs[1];
	verb = req->nsegs == 3 ? req->segs[2] : NULL;
	if (emu_req_is(req, "GET") && !verb) {
		if (strcmp(what, "state") == 0) {
			emu_reply_json(rep, 200, state_json(e));
		} else if (strcmp(what, "requests") == 0) {
			const char *since = emu_req_arg(req, "since");

			emu_reply_json(rep, 200,
				       emu_log_dump(e, since ? strtoull(since, NULL, 10) : 0));
		} else if (strcmp(what, "stats") == 0) {
			emu_reply_json(rep, 200, emu_stats_dump(e));
		} else if (strcmp(what, "clock") == 0) {
			emu_reply_json(rep, 200, clock_json(e));
		} else if (strcmp(what, "config") == 0) {
			emu_reply_json(rep, 200, knobs_json(e));
		} else if (strcmp(what, "faults") == 0) {
			emu_reply_json(rep, 200, emu_fault_dump(e));
		} else if (strcmp(what, "health") == 0) {
			ok(rep);
		} else {
			emu_reply_error(rep, 404, "notFound", "no such control call");
		}
		return;
	}
	if (emu_req_is(req, "DELETE") && !verb && strcmp(what, "requests") == 0) {
		emu_log_clear(e);
		ok(rep);
		return;
	}
	if (emu_req_is(req, "DELETE") && !verb && strcmp(what, "faults") == 0) {
		emu_fault_clear(e);
		ok(rep);
		return;
	}
	if (!emu_req_is(req, "POST")) {
		emu_reply_error(rep, 404, "notFound", "no such control call");
		return;
	}
	if (emu_req_json(req, &in, rep) < 0)
		return;
	if (in && !cJSON_IsObject(in)) {
		emu_reply_error(rep, 400, "invalid", "the body must be a JSON object");
	} else {
		cJSON *empty = in ? NULL : cJSON_CreateObject();

		post(e, what, verb, in ? in : empty, rep);
		cJSON_Delete(empty);
	}
	cJSON_Delete(in);
}
