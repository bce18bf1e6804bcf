/* SPDX-License-Identifier: Apache-2.0 */
/* emu.h - gceb-emulator internals shared by its source files */
#ifndef EMU_H
#define EMU_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/*
 * The emulator is a test tool. Running out of memory is treated as fatal:
 * emu_xmalloc() and friends abort with a message, and cJSON is given the same
 * allocator, so no handler has to unwind a half-built response.
 */
void *emu_xmalloc(size_t n);
void *emu_xcalloc(size_t n, size_t size);
void *emu_xrealloc(void *p, size_t n);
char *emu_xstrdup(const char *s);
char *emu_xstrndup(const char *s, size_t n);
char *emu_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define EMU_BODY_MAX     ((size_t)1024 * 1024)
#define EMU_MAX_SEGS     32
#define EMU_MAX_ARGS     32
#define EMU_LOG_BODY_MAX ((size_t)4096)

#define EMU_SCOPE_COMPUTE "https://www.googleapis.com/auth/compute"
#define EMU_SCOPE_CLOUD   "https://www.googleapis.com/auth/cloud-platform"
#define EMU_SCOPE_EMAIL   "https://www.googleapis.com/auth/userinfo.email"

struct emu;

/* emu_map.c: string-keyed open-addressing hash table; keys are borrowed. */
struct emu_map_slot {
	const char *key;
	uint64_t hash;
	void *val;
};

struct emu_map {
	struct emu_map_slot *slots;
	size_t cap;
	size_t len;
};

void *emu_map_get(const struct emu_map *m, const char *key);
/* Inserts or replaces; key must stay valid while the entry exists. */
void emu_map_put(struct emu_map *m, const char *key, void *val);
void *emu_map_del(struct emu_map *m, const char *key);
void emu_map_release(struct emu_map *m);
uint64_t emu_hash(const char *s);

/*
 * emu_map.c: a list ordered by a sequence number that only grows, so that
 * a page token can name "the entry after seq N" and a page costs O(page)
 * after one binary search. Removed entries leave a hole (p == NULL) until
 * the next compaction.
 */
struct emu_olist_ent {
	uint64_t seq;
	void *p;
};

/* An entry of a list as Compute returns it: by name. */
struct emu_named {
	const char *name;
	void *p;
};

struct emu_olist {
	struct emu_olist_ent *v;
	size_t len;
	size_t cap;
	size_t live;
	uint64_t id; /* names the list inside page tokens */
	/* the live entries by name, rebuilt on the first list after a change */
	struct emu_named *byname;
	size_t nbyname;
	bool byname_ok;
};

void emu_olist_init(struct emu *e, struct emu_olist *l);
void emu_olist_add(struct emu_olist *l, uint64_t seq, void *p);
void emu_olist_remove(struct emu_olist *l, uint64_t seq);
size_t emu_olist_after(const struct emu_olist *l, uint64_t seq);
void emu_olist_release(struct emu_olist *l);

/* emu_clock.c: the virtual clock and timers ordered by due time. */
struct emu_timer;
typedef void emu_timer_fn(struct emu *e, struct emu_timer *t);

struct emu_timer {
	int64_t due;
	uint64_t order;
	size_t idx; /* 1-based heap slot, 0 when not armed */
	emu_timer_fn *fire;
};

int64_t emu_now(struct emu *e);
int64_t emu_real_ms(void);
void emu_clock_advance(struct emu *e, int64_t ms);
void emu_timer_set(struct emu *e, struct emu_timer *t, int64_t due);
void emu_timer_cancel(struct emu *e, struct emu_timer *t);
void emu_run_timers(struct emu *e);
void emu_timers_clear(struct emu *e);
int64_t emu_sched_now(struct emu *e);
void emu_rfc3339(int64_t ms, char *buf, size_t size);
uint64_t emu_rand(struct emu *e);
uint64_t emu_next_seq(struct emu *e);

/* emu_http.c: one request as the handlers see it. */
struct emu_arg {
	char *key;
	char *val;
};

struct emu_req {
	void *conn; /* struct MHD_Connection, only touched by emu_http.c */
	const char *method;
	char *path; /* raw, not percent-decoded */
	char *query;
	char *body;
	size_t body_len;
	bool too_large;
	struct emu_arg args[EMU_MAX_ARGS];
	size_t nargs;
	char *segs[EMU_MAX_SEGS]; /* decoded path segments */
	size_t nsegs;
	char *segbuf;
	const char *email; /* caller, set by emu_auth_check() */
	const char *scopes;
};

struct emu_reply {
	unsigned status;
	char *body;
	size_t len;
	const char *ctype;
	const char *hdr_name;
	const char *hdr_value;
};

const char *emu_req_header(struct emu_req *req, const char *name);
const char *emu_req_arg(const struct emu_req *req, const char *name);
bool emu_req_is(const struct emu_req *req, const char *method);
/* Parses the body as JSON; an empty body gives NULL and 0. */
int emu_req_json(struct emu_req *req, cJSON **out, struct emu_reply *rep);
void emu_reply_json(struct emu_reply *rep, unsigned status, cJSON *json);
void emu_reply_text(struct emu_reply *rep, unsigned status, const char *ctype, const char *text);
void emu_reply_error(struct emu_reply *rep, unsigned status, const char *reason, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
void emu_reply_release(struct emu_reply *rep);
size_t emu_pct_decode(char *s, bool plus);

/* emu_json.c: request bodies against compute-v1-subset.json. */
int emu_schema_load(struct emu *e);
void emu_schema_free(struct emu *e);
/* 0 if body matches the schema, else fills a 400 into rep and returns -1. */
int emu_schema_check(struct emu *e, const char *schema, const cJSON *body, struct emu_reply *rep);
cJSON *emu_json_int64(int64_t v);
bool emu_json_get_int(const cJSON *j, int64_t *out);

/* emu_auth.c */
struct emu_token {
	char *token;
	char *email;
	char *scopes;   /* space-separated */
	int64_t expiry; /* real wall-clock ms */
};

int emu_auth_check(struct emu *e, struct emu_req *req, const char *const *scopes,
		   struct emu_reply *rep);
const char *emu_auth_mint(struct emu *e, const char *email, const char *scopes, int64_t ttl_s);
int emu_auth_add_key_pem(struct emu *e, const char *pem, size_t len);
int emu_auth_add_key_file(struct emu *e, const char *path);
bool emu_auth_revoke(struct emu *e, const char *token);
void emu_auth_handle_token(struct emu *e, struct emu_req *req, struct emu_reply *rep);
void emu_auth_handle_metadata(struct emu *e, struct emu_req *req, struct emu_reply *rep);
cJSON *emu_auth_dump(struct emu *e);
void emu_auth_free(struct emu *e);

/* emu_gce.c */
void emu_gce_init(struct emu *e);
void emu_gce_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep);
void emu_gce_free(struct emu *e);
cJSON *emu_gce_dump(struct emu *e);
int emu_gce_seed(struct emu *e, const cJSON *in, struct emu_reply *rep);
int emu_gce_kill_vm(struct emu *e, const char *url, struct emu_reply *rep);
int emu_gce_rotate_fingerprint(struct emu *e, const char *url, struct emu_reply *rep);
int emu_gce_set_zone(struct emu *e, const cJSON *in, struct emu_reply *rep);
int emu_gce_add_op_failure(struct emu *e, const cJSON *in, struct emu_reply *rep);

/* emu_mp.c */
void emu_mp_init(struct emu *e);
void emu_mp_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep);
void emu_mp_free(struct emu *e);
cJSON *emu_mp_dump(struct emu *e);
void emu_mp_cron(struct emu *e);
int emu_mp_control(struct emu *e, const char *verb, const cJSON *in, struct emu_reply *rep);

/* emu_luci.c */
int emu_luci_init(struct emu *e, const char *dir, const char *config_set);
void emu_luci_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep);
int emu_luci_publish(struct emu *e, const cJSON *in, struct emu_reply *rep);
cJSON *emu_luci_dump(struct emu *e);
void emu_luci_free(struct emu *e);

/* emu_control.c */
void emu_control_handle(struct emu *e, struct emu_req *req, struct emu_reply *rep);

/* emu_fault.c: fault rules and the request log. */
enum emu_fault_action {
	EMU_FAULT_NONE,
	EMU_FAULT_STATUS,
	EMU_FAULT_RESET,
	EMU_FAULT_TRUNCATE,
	EMU_FAULT_DELAY,
};

struct emu_fault {
	char *method; /* NULL matches any */
	char *path;   /* fnmatch(3) pattern over the raw path */
	enum emu_fault_action action;
	unsigned status;
	char *body;
	char *ctype;
	int64_t delay_ms;
	int64_t remaining; /* < 0: unlimited */
	double probability;
	uint64_t hits;
	struct emu_fault *next;
};

struct emu_fault_hit {
	enum emu_fault_action action;
	unsigned status;
	char *body;
	char *ctype;
	int64_t delay_ms;
};

int emu_fault_add(struct emu *e, const cJSON *in, struct emu_reply *rep);
void emu_fault_clear(struct emu *e);
cJSON *emu_fault_dump(struct emu *e);
bool emu_fault_match(struct emu *e, const struct emu_req *req, struct emu_fault_hit *hit);

struct emu_log_ent {
	uint64_t seq;
	int64_t time;
	char *method;
	char *path;
	char *query;
	char *headers; /* "name: value\n" lines */
	char *body;
	size_t body_len;
	unsigned status;
};

void emu_log_add(struct emu *e, const struct emu_req *req, const char *headers, unsigned status);
cJSON *emu_log_dump(struct emu *e, uint64_t since);
cJSON *emu_stats_dump(const struct emu *e);
void emu_log_clear(struct emu *e);

/* Runtime knobs: set by options and by POST /_emu/config. */
struct emu_knobs {
	int64_t page_size;         /* forced maximum page size, 0 = none */
	int64_t op_polls;          /* operation GETs before DONE; 0 = DONE at once */
	int64_t op_ms;             /* virtual ms before an operation is DONE anyway */
	int64_t op_retention_ms;   /* DONE operations are forgotten after this */
	int64_t vm_step_ms;        /* virtual ms per member lifecycle step */
	int64_t latency_ms;        /* added to every non-control request */
	bool igm_ops_running;      /* resize/deleteInstances ops answer RUNNING */
	unsigned missing_template; /* 404 or 400 for IGM insert naming no template */
	bool metadata_op_error;    /* stale fingerprint: DONE+error op, not 412 */
	int64_t mp_cron_ms;        /* Machine Provider cron period */
	int64_t metadata_ttl_s;    /* expires_in of metadata-server tokens */
	int64_t token_ttl_s;       /* expires_in of /token tokens */
};

struct emu {
	pthread_mutex_t lock;
	pthread_cond_t changed; /* broadcast after every request; waited on by operations.wait */
	bool stopping;          /* SIGTERM: long polls answer at once */
	struct emu_knobs k;
	bool no_auth;
	char *root;      /* http://127.0.0.1:PORT */
	char *link_root; /* root of minted links; Compute's https://www.googleapis.com/ by default
			  */
	char *compute_root;   /* link_root + "compute/v1/" */
	char *token_audience; /* --token-audience: another aud a JWT grant may name, or NULL */
	uint64_t seed;
	uint64_t rng;
	uint64_t seq;

	/* clock */
	int64_t start_wall;
	int64_t start_mono;
	int64_t offset;
	double scale;
	struct emu_timer **heap;
	size_t heap_len;
	size_t heap_cap;
	uint64_t timer_order;
	int64_t firing; /* due time of the timer being fired, else 0 */

	/* faults and log */
	struct emu_fault *faults;
	struct emu_log_ent *log;
	size_t log_cap;
	size_t log_len;
	uint64_t log_seq;
	/* API requests answered, by kind (GET /_emu/stats), whatever --log-max says */
	uint64_t count_compute_read;
	uint64_t count_compute_write;
	uint64_t count_mp;
	uint64_t count_other;
	uint64_t count_request_id_reused; /* same requestId, other request */

	/* schema */
	cJSON *schema;

	/* modules */
	struct emu_gce *gce;
	struct emu_auth *auth;
	struct emu_mp *mp;
	struct emu_luci *luci;
};

/* Sets the root of minted links: "self" (the listen address) or an http(s) URL. */
int emu_set_link_root(struct emu *e, const char *root);

/* Splits req->path into decoded segments; returns -1 if there are too many. */
int emu_req_split(struct emu_req *req);
bool emu_valid_name(const char *s, size_t max);

#endif
