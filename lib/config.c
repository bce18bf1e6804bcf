/* SPDX-License-Identifier: Apache-2.0 */
/* config.c - config files: reading, validation, revision checksums */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "canonjson.h"
#include "config.h"
#include "file.h"
#include "gceb/settings.h"
#include "textproto.h"
#include "url.h"

void gceb_diags_add(struct gceb_diags *d, const char *fmt, ...)
{
	char **v = realloc(d->v, (d->n + 1) * sizeof(*v));
	struct gceb_buf b = GCEB_BUF_INIT;
	va_list ap;

	if (!v)
		return;
	d->v = v;
	/* Whole, however long the value it quotes: the reason comes last. */
	va_start(ap, fmt);
	gceb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	d->v[d->n] = gceb_buf_detach(&b);
	if (d->v[d->n])
		d->n++;
}

void gceb_diags_release(struct gceb_diags *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		free(d->v[i]);
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

int gceb_config_read_file(const char *path, char **text, size_t *len, struct gceb_err *err)
{
	struct stat st;
	char *buf = NULL;
	size_t got = 0;
	int fd, r = 0;

	fd = gceb_file_open(path, "config file", GCEB_EIO, &st, err);
	if (fd < 0)
		return fd;
	if (st.st_size > GCEB_CONFIG_MAX_BYTES) {
		r = gceb_err_set(err, GCEB_ECONFIG, "%s: larger than the %d-byte limit", path,
				 GCEB_CONFIG_MAX_BYTES);
		goto out;
	}
	/* One byte more than allowed, to notice a file that grew since fstat. */
	buf = malloc(GCEB_CONFIG_MAX_BYTES + 2);
	if (!buf) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, GCEB_CONFIG_MAX_BYTES + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = gceb_err_set(err, GCEB_EIO, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > GCEB_CONFIG_MAX_BYTES) {
			r = gceb_err_set(err, GCEB_ECONFIG, "%s: larger than the %d-byte limit",
					 path, GCEB_CONFIG_MAX_BYTES);
			goto out;
		}
	}
	buf[got] = '\0';
	*text = buf;
	*len = got;
	buf = NULL;
out:
	free(buf);
	(void)close(fd);
	return r;
}

int gceb_config_check_not_empty(const char *name, size_t len, struct gceb_err *err)
{
	if (len > 0)
		return 0;
	return gceb_err_set(err, GCEB_ECONFIG,
			    "%s is empty (0 bytes), nothing imported: an intentionally empty fleet "
			    "is a file with a comment saying so (docs/configuration.md)",
			    name);
}

/* ---- strings ---- */

static bool is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		int n = *p < 0x80           ? 0 :
			(*p & 0xe0) == 0xc0 ? 1 :
			(*p & 0xf0) == 0xe0 ? 2 :
			(*p & 0xf8) == 0xf0 ? 3 :
					      -1;

		if (n < 0 || (n == 1 && *p < 0xc2))
			return false;
		p++;
		while (n-- > 0)
			if ((*p++ & 0xc0) != 0x80)
				return false;
	}
	return true;
}

bool gceb_split_kv(const char *s, size_t *key_len, const char **value)
{
	const char *colon = strchr(s, ':');

	if (!colon)
		return false;
	*key_len = (size_t)(colon - s);
	*value = colon + 1;
	return true;
}

/* ---- typed dimensions (docs/design/config.md) ---- */

/* The value of an enum dimension, by its name. */
static int dim_enum(const ProtobufCEnumDescriptor *desc, const char *key, const char *value,
		    int *out, struct gceb_err *err)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value_by_name(desc, value);

	if (!v)
		return gceb_err_set(err, GCEB_ECONFIG, "dimension %s '%s' is not a known value",
				    key, value);
	*out = v->value;
	return 0;
}

static int dim_int(const char *key, const char *value, int64_t *out, struct gceb_err *err)
{
	long long v;
	char *end;

	errno = 0;
	v = strtoll(value, &end, 10);
	if (!*value || *end || errno != 0 || value[0] == ' ')
		return gceb_err_set(err, GCEB_ECONFIG, "dimension %s '%s' is not an integer", key,
				    value);
	*out = v;
	return 0;
}

static int dim_number(const char *key, const char *value, double *out, struct gceb_err *err)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (!*value || *end || errno != 0 || !isfinite(v))
		return gceb_err_set(err, GCEB_ECONFIG, "dimension %s '%s' is not a number", key,
				    value);
	*out = v;
	return 0;
}

/* The enum, integer and number dimensions; *@known false for any other key. */
static int dim_typed(Gceb__State__Dimensions *d, const char *key, const char *value, bool *known,
		     struct gceb_err *err)
{
	int ev = 0, r = 0;

	*known = true;
	if (!strcmp(key, "os_family")) {
		r = dim_enum(&gceb__state__dimensions__osfamily__descriptor, key, value, &ev, err);
		d->has_os_family = d->has_os_family || r == 0;
		d->os_family = r == 0 ? (Gceb__State__Dimensions__OSFamily)ev : d->os_family;
	} else if (!strcmp(key, "backend")) {
		r = dim_enum(&gceb__state__dimensions__backend__descriptor, key, value, &ev, err);
		d->has_backend = d->has_backend || r == 0;
		d->backend = r == 0 ? (Gceb__State__Dimensions__Backend)ev : d->backend;
	} else if (!strcmp(key, "linux_flavor")) {
		r = dim_enum(&gceb__state__dimensions__linux_flavor__descriptor, key, value, &ev,
			     err);
		d->has_linux_flavor = d->has_linux_flavor || r == 0;
		d->linux_flavor =
			r == 0 ? (Gceb__State__Dimensions__LinuxFlavor)ev : d->linux_flavor;
	} else if (!strcmp(key, "num_cpus")) {
		r = dim_int(key, value, &d->num_cpus, err);
		d->has_num_cpus = d->has_num_cpus || r == 0;
	} else if (!strcmp(key, "disk_gb")) {
		r = dim_int(key, value, &d->disk_gb, err);
		d->has_disk_gb = d->has_disk_gb || r == 0;
	} else if (!strcmp(key, "memory_gb")) {
		r = dim_number(key, value, &d->memory_gb, err);
		d->has_memory_gb = d->has_memory_gb || r == 0;
	} else {
		*known = false;
	}
	return r;
}

int gceb_dimension_parse(const char *s, Gceb__State__Dimensions *d, struct gceb_err *err)
{
	const char *value;
	char key[64];
	size_t klen;
	bool known;
	int r;

	if (!gceb_split_kv(s, &klen, &value) || klen == 0)
		return gceb_err_set(err, GCEB_ECONFIG, "dimension '%s' is not \"key:value\"", s);
	if (klen >= sizeof(key))
		return 0; /* no known key is that long */
	memcpy(key, s, klen);
	key[klen] = '\0';
	r = dim_typed(d, key, value, &known, err);
	if (known)
		return r;
	if (!strcmp(key, "hostname"))
		d->hostname = (char *)value;
	else if (!strcmp(key, "os_version"))
		d->os_version = (char *)value;
	return 0;
}

int gceb_dimensions_parse(char *const *strs, size_t n, Gceb__State__Dimensions *out,
			  struct gceb_err *err)
{
	Gceb__State__Dimensions d = GCEB__STATE__DIMENSIONS__INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		int r = gceb_dimension_parse(strs[i], &d, err);

		if (r < 0)
			return r;
	}
	/* Strings point into @strs: the caller copies them (see process-config). */
	*out = d;
	return 0;
}

/* ---- canonical JSON and the revision checksum (docs/design/config.md) ---- */

struct kv {
	const char *key;
	size_t key_len;
	const char *value;
};

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(x->key, y->key, n);

	if (c != 0)
		return c;
	return (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A "key:value" list as a JSON object: split at the first colon, last duplicate wins, sorted. */
static int json_kv_object(struct gceb_buf *b, char *const *strs, size_t n)
{
	struct kv *v = calloc(n ? n : 1, sizeof(*v));
	size_t i, m = 0;

	if (!v)
		return GCEB_ENOMEM;
	for (i = 0; i < n; i++) {
		struct kv e = { strs[i], 0, "" };
		size_t j;

		if (!gceb_split_kv(strs[i], &e.key_len, &e.value))
			continue; /* validation rejects this before it matters */
		for (j = 0; j < m; j++)
			if (cmp_kv(&v[j], &e) == 0)
				break;
		v[j] = e;
		if (j == m)
			m++;
	}
	qsort(v, m, sizeof(*v), cmp_kv);
	gceb_buf_addc(b, '{');
	for (i = 0; i < m; i++) {
		char *key = strndup(v[i].key, v[i].key_len);

		if (!key) {
			free(v);
			return GCEB_ENOMEM;
		}
		if (i)
			gceb_buf_adds(b, ", ");
		gceb_canonjson_quote(b, key);
		gceb_buf_adds(b, ": ");
		gceb_canonjson_quote(b, v[i].value);
		free(key);
	}
	gceb_buf_addc(b, '}');
	free(v);
	return 0;
}

static int json_sorted_strings(struct gceb_buf *b, char *const *strs, size_t n)
{
	char **v = malloc((n ? n : 1) * sizeof(*v));
	size_t i;

	if (!v)
		return GCEB_ENOMEM;
	if (n)
		memcpy(v, strs, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_str);
	gceb_buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			gceb_buf_adds(b, ", ");
		gceb_canonjson_quote(b, v[i]);
	}
	gceb_buf_addc(b, ']');
	free(v);
	return 0;
}

typedef Gceb__Config__InstanceTemplateConfig__InstanceTemplate__ServiceAccount gceb_sa_cfg;

static int json_service_account(struct gceb_buf *b, const gceb_sa_cfg *sa)
{
	gceb_buf_adds(b, "{\"name\": ");
	gceb_canonjson_quote(b, sa->name);
	gceb_buf_adds(b, ", \"scopes\": ");
	if (json_sorted_strings(b, sa->scopes, sa->n_scopes) < 0)
		return GCEB_ENOMEM;
	gceb_buf_addc(b, '}');
	return 0;
}

static int cmp_sa(const void *a, const void *b)
{
	const gceb_sa_cfg *x = *(const gceb_sa_cfg *const *)a, *y = *(const gceb_sa_cfg *const *)b;
	int c = strcmp(x->name ? x->name : "", y->name ? y->name : "");

	/* qsort is not stable: equal names keep config order through their addresses. */
	if (c != 0)
		return c;
	return (x > y) - (x < y);
}

/* The first account stays first; the rest are sorted by name (stable). */
static int json_service_accounts(struct gceb_buf *b, const gceb_template_cfg *t)
{
	/* An array of pointers: the element size is a pointer's. */
	const size_t elem = sizeof(gceb_sa_cfg *);
	gceb_sa_cfg **rest = NULL;
	size_t n = t->n_service_accounts;
	int r = 0;

	gceb_buf_addc(b, '[');
	if (n > 0) {
		size_t i;

		rest = malloc(n * elem);
		if (!rest)
			return GCEB_ENOMEM;
		memcpy(rest, t->service_accounts, n * elem);
		qsort(rest + 1, n - 1, elem, cmp_sa);
		for (i = 0; i < n && r == 0; i++) {
			if (i)
				gceb_buf_adds(b, ", ");
			r = json_service_account(b, rest[i]);
		}
	}
	gceb_buf_addc(b, ']');
	free(rest);
	return r;
}

static int canonical_template_json(const gceb_template_cfg *t, struct gceb_buf *b)
{
	int r;

	gceb_buf_addf(b, "{\"auto_assign_external_ip\": %s, \"dimensions\": ",
		      t->auto_assign_external_ip ? "true" : "false");
	if ((r = json_kv_object(b, t->dimensions, t->n_dimensions)) < 0)
		return r;
	gceb_buf_addf(b, ", \"disk-size-gb\": %d, \"image-name\": ", (int)t->disk_size_gb);
	gceb_canonjson_quote(b, t->image_name);
	gceb_buf_adds(b, ", \"image-project\": ");
	gceb_canonjson_quote(b, t->image_project);
	gceb_buf_adds(b, ", \"machine-type\": ");
	gceb_canonjson_quote(b, t->machine_type);
	gceb_buf_adds(b, ", \"metadata\": ");
	if ((r = json_kv_object(b, t->metadata, t->n_metadata)) < 0)
		return r;
	gceb_buf_adds(b, ", \"network_url\": ");
	gceb_canonjson_quote(b, t->network_url);
	gceb_buf_adds(b, ", \"project\": ");
	gceb_canonjson_quote(b, t->project);
	gceb_buf_adds(b, ", \"service-accounts\": ");
	if ((r = json_service_accounts(b, t)) < 0)
		return r;
	gceb_buf_adds(b, ", \"tags\": ");
	if ((r = json_sorted_strings(b, t->tags, t->n_tags)) < 0)
		return r;
	gceb_buf_addc(b, '}');
	return b->oom ? GCEB_ENOMEM : 0;
}

int gceb_template_checksum(const gceb_template_cfg *t, char out[GCEB_SHA1_HEX_LEN + 1])
{
	struct gceb_buf b = GCEB_BUF_INIT;
	int r = canonical_template_json(t, &b);

	if (r == 0)
		gceb_sha1_hex(b.p, b.len, out);
	gceb_buf_release(&b);
	return r;
}

void gceb_config_dir_revision(const char *ttext, size_t tlen, const char *mtext, size_t mlen,
			      char out[GCEB_SHA1_HEX_LEN + 1])
{
	unsigned char both[40];

	gceb_git_blob_sha1(ttext, tlen, both);
	gceb_git_blob_sha1(mtext, mlen, both + 20);
	gceb_sha1_hex(both, sizeof(both), out);
}

/* ---- validation (docs/design/config.md with docs/design/departures.md) ---- */

struct checker {
	const char *file;
	const struct gceb_textproto_locs *locs;
	struct gceb_diags *diags;
};

/* Report a problem at the place @field_id[@index] of @msg was written. */
static void problem(const struct checker *c, const void *msg, unsigned field_id, size_t index,
		    const char *fmt, ...) GCEB_PRINTF(5, 6);
static void problem(const struct checker *c, const void *msg, unsigned field_id, size_t index,
		    const char *fmt, ...)
{
	struct gceb_buf b = GCEB_BUF_INIT;
	unsigned line = 0, column = 0;
	char *text;
	va_list ap;

	va_start(ap, fmt);
	gceb_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	text = gceb_buf_detach(&b);
	if (!text)
		return;
	if (gceb_textproto_find(c->locs, msg, field_id, index, &line, &column))
		gceb_diags_add(c->diags, "%s:%u:%u: %s", c->file, line, column, text);
	else
		gceb_diags_add(c->diags, "%s: %s", c->file, text);
	free(text);
}

/* Where a whole element of a repeated message field starts (its parent's entry). */
struct place {
	const void *msg;
	unsigned field_id;
	size_t index;
};

static void need_name(const struct checker *c, const void *msg, unsigned field_id, const char *what,
		      const char *value, struct place where, bool (*valid)(const char *))
{
	if (!value || !*value) {
		problem(c, where.msg, where.field_id, where.index, "%s must not be empty", what);
		return;
	}
	if (!valid(value))
		problem(c, msg, field_id, 0, "%s '%s' is not a valid GCE name", what, value);
}

static void check_kv_list(const struct checker *c, const gceb_template_cfg *t, unsigned field_id,
			  const char *what, char *const *strs, size_t n)
{
	size_t i, klen;
	const char *value;

	for (i = 0; i < n; i++) {
		if (!gceb_split_kv(strs[i], &klen, &value))
			problem(c, t, field_id, i, "%s '%s' has no colon, expected \"key:value\"",
				what, strs[i]);
		else if (klen == 0)
			problem(c, t, field_id, i, "%s '%s' has an empty key", what, strs[i]);
	}
}

/* Walk every string field through the descriptor, so a new field is covered too. */
static void check_template_strings_utf8(const struct checker *c, const gceb_template_cfg *t)
{
	const ProtobufCMessageDescriptor *d = t->base.descriptor;
	const char *base = (const char *)t;
	unsigned i;

	for (i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *one = NULL;
		char *const *many = NULL;
		size_t n = 1, j;

		if (f->type != PROTOBUF_C_TYPE_STRING)
			continue;
		/* memcpy: offsets are into a struct seen as bytes, so no aligned casts. */
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			memcpy(&n, base + f->quantifier_offset, sizeof(n));
			memcpy(&many, base + f->offset, sizeof(many));
		} else {
			memcpy(&one, base + f->offset, sizeof(one));
		}
		for (j = 0; j < n; j++) {
			const char *s = many ? many[j] : one;

			if (s && !is_utf8(s))
				problem(c, t, f->id, j, "%s is not valid UTF-8", f->name);
		}
	}
}

static void check_template(const struct checker *c, const gceb_template_cfg *t, struct place where)
{
	Gceb__State__Dimensions dims = GCEB__STATE__DIMENSIONS__INIT;
	size_t i;

	check_template_strings_utf8(c, t);
	need_name(c, t, 1, "base_name", t->base_name, where, gceb_name_is_rfc1035);
	/* "B-<40 hex>" names the template and its groups: 63 characters at most. */
	if (t->base_name && strlen(t->base_name) > GCEB_GCE_NAME_MAX - 1 - GCEB_SHA1_HEX_LEN)
		problem(c, t, 1, 0, "base_name '%s' is longer than %d characters", t->base_name,
			GCEB_GCE_NAME_MAX - 1 - GCEB_SHA1_HEX_LEN);
	need_name(c, t, 2, "project", t->project, where, gceb_name_is_project);
	need_name(c, t, 4, "image_name", t->image_name, where, gceb_name_is_rfc1035);
	need_name(c, t, 9, "machine_type", t->machine_type, where, gceb_name_is_rfc1035);
	if (t->image_project && *t->image_project && !gceb_name_is_project(t->image_project))
		problem(c, t, 10, 0, "image_project '%s' is not a valid GCE project",
			t->image_project);
	if (t->network_url && *t->network_url && !gceb_name_is_network(t->network_url))
		problem(c, t, 11, 0,
			"network_url '%s' is neither a network name, a partial network URL nor an https URL",
			t->network_url);
	if (t->disk_size_gb < 0)
		problem(c, t, 5, 0, "disk_size_gb must not be negative");
	for (i = 0; i < t->n_service_accounts; i++)
		if (!t->service_accounts[i]->name || !*t->service_accounts[i]->name)
			problem(c, t, 6, i, "service account without a name");
	check_kv_list(c, t, 3, "dimension", t->dimensions, t->n_dimensions);
	check_kv_list(c, t, 8, "metadata", t->metadata, t->n_metadata);
	/* Each typed dimension's value, at its place; check_kv_list() said what lacks a key. */
	for (i = 0; i < t->n_dimensions; i++) {
		struct gceb_err e = { 0 };
		size_t klen;
		const char *value;

		if (gceb_split_kv(t->dimensions[i], &klen, &value) && klen > 0 &&
		    gceb_dimension_parse(t->dimensions[i], &dims, &e) < 0)
			problem(c, t, 3, i, "%s", e.msg);
	}
}

static const gceb_template_cfg *find_template(const Gceb__Config__InstanceTemplateConfig *tc,
					      const char *base)
{
	size_t i;

	for (i = 0; i < tc->n_templates; i++)
		if (tc->templates[i]->base_name && base &&
		    !strcmp(tc->templates[i]->base_name, base))
			return tc->templates[i];
	return NULL;
}

static void check_templates(const struct checker *c, const Gceb__Config__InstanceTemplateConfig *tc)
{
	size_t i, j;

	for (i = 0; i < tc->n_templates; i++) {
		const gceb_template_cfg *t = tc->templates[i];

		check_template(c, t, (struct place){ tc, 1, i });
		for (j = 0; j < i && t->base_name && *t->base_name; j++)
			if (tc->templates[j]->base_name &&
			    !strcmp(tc->templates[j]->base_name, t->base_name)) {
				problem(c, t, 1, 0, "base_name %s is not globally unique",
					t->base_name);
				break;
			}
	}
}

static void check_managers(const struct checker *c, const Gceb__Config__InstanceTemplateConfig *tc,
			   const Gceb__Config__InstanceGroupManagerConfig *mc)
{
	size_t i, j;

	for (i = 0; i < mc->n_managers; i++) {
		const gceb_manager_cfg *m = mc->managers[i];
		const char *base = m->template_base_name ? m->template_base_name : "";
		const char *zone = m->zone ? m->zone : "";
		struct place where = { mc, 1, i };

		if (!*base)
			problem(c, mc, 1, i, "template_base_name must not be empty");
		else if (!find_template(tc, base))
			problem(c, m, 1, 0,
				"template_base_name '%s' names no template in "
				"templates.cfg",
				base);
		else if (*zone && strlen(base) + strlen(zone) + 10 > GCEB_GCE_BASE_NAME_MAX)
			problem(c, m, 4, 0,
				"base instance name '%s-<8 hex>-%s' is longer than %d "
				"characters",
				base, zone, GCEB_GCE_BASE_NAME_MAX);
		need_name(c, m, 4, "zone", m->zone, where, gceb_name_is_rfc1035);
		for (j = 0; j < i && *zone; j++) {
			const gceb_manager_cfg *o = mc->managers[j];

			if (o->zone && !strcmp(o->zone, zone) && o->template_base_name &&
			    !strcmp(o->template_base_name, base)) {
				problem(c, m, 4, 0, "zone %s is not unique in template %s", zone,
					base);
				break;
			}
		}
		if (m->minimum_size < 1)
			problem(c, m->has_minimum_size ? (const void *)m : mc,
				m->has_minimum_size ? 2 : 1, m->has_minimum_size ? 0 : i,
				"minimum_size must be at least 1 for zone %s in template %s", zone,
				base);
		else if (m->minimum_size > GCEB_MAX_GROUP_SIZE)
			problem(c, m, 2, 0, "minimum_size > %d for zone %s in template %s",
				GCEB_MAX_GROUP_SIZE, zone, base);
		if (m->has_maximum_size && m->maximum_size > GCEB_MAX_GROUP_SIZE)
			problem(c, m, 3, 0, "maximum_size > %d for zone %s in template %s",
				GCEB_MAX_GROUP_SIZE, zone, base);
		else if (m->has_maximum_size && m->maximum_size < m->minimum_size)
			problem(c, m, 3, 0,
				"minimum_size > maximum_size for zone %s in template %s", zone,
				base);
	}
}

static int parse_one(const ProtobufCMessageDescriptor *desc, const char *name, const char *text,
		     size_t len, ProtobufCMessage **out, struct gceb_textproto_locs *locs,
		     struct gceb_diags *diags)
{
	struct gceb_err e = { 0 };
	int r = gceb_textproto_parse(desc, name, text, len, out, locs, &e);

	if (r == GCEB_ECONFIG)
		gceb_diags_add(diags, "%s", e.msg);
	return r;
}

int gceb_config_parse(const char *tname, const char *ttext, size_t tlen, const char *mname,
		      const char *mtext, size_t mlen, struct gceb_config *out,
		      struct gceb_diags *diags, struct gceb_err *err)
{
	struct gceb_textproto_locs tlocs = { 0 }, mlocs = { 0 };
	ProtobufCMessage *tmsg = NULL, *mmsg = NULL;
	size_t before = diags->n;
	int rt, rm, r = 0;

	rt = parse_one(&gceb__config__instance_template_config__descriptor, tname, ttext, tlen,
		       &tmsg, &tlocs, diags);
	rm = parse_one(&gceb__config__instance_group_manager_config__descriptor, mname, mtext, mlen,
		       &mmsg, &mlocs, diags);
	if (rt == GCEB_ENOMEM || rm == GCEB_ENOMEM) {
		r = gceb_err_set(err, GCEB_ENOMEM, "out of memory");
		goto out;
	}
	if (rt == 0) {
		struct checker c = { tname, &tlocs, diags };

		check_templates(&c, (Gceb__Config__InstanceTemplateConfig *)tmsg);
	}
	if (rt == 0 && rm == 0) {
		struct checker c = { mname, &mlocs, diags };

		check_managers(&c, (Gceb__Config__InstanceTemplateConfig *)tmsg,
			       (Gceb__Config__InstanceGroupManagerConfig *)mmsg);
	}
	if (diags->n > before) {
		r = gceb_err_set(err, GCEB_ECONFIG, "%zu problem%s in the config, nothing imported",
				 diags->n - before, diags->n - before == 1 ? "" : "s");
		goto out;
	}
	out->templates = (Gceb__Config__InstanceTemplateConfig *)tmsg;
	out->managers = (Gceb__Config__InstanceGroupManagerConfig *)mmsg;
	tmsg = mmsg = NULL;
out:
	if (tmsg)
		protobuf_c_message_free_unpacked(tmsg, NULL);
	if (mmsg)
		protobuf_c_message_free_unpacked(mmsg, NULL);
	gceb_textproto_locs_release(&tlocs);
	gceb_textproto_locs_release(&mlocs);
	return r;
}

void gceb_config_release(struct gceb_config *cfg)
{
	if (cfg->templates)
		protobuf_c_message_free_unpacked(&cfg->templates->base, NULL);
	if (cfg->managers)
		protobuf_c_message_free_unpacked(&cfg->managers->base, NULL);
	cfg->templates = NULL;
	cfg->managers = NULL;
}

/* ---- settings.cfg ---- */

int gceb_settings_check_url(const char *what, const char *url, struct gceb_err *err)
{
	struct gceb_err e = { 0 };

	/* The rule the HTTP engine applies to every request (url.h). */
	if (gceb_url_check(url, GCEB_ECONFIG, NULL, &e) < 0)
		return gceb_err_set(err, GCEB_ECONFIG, "%s: %s", what, e.msg);
	return 0;
}

int gceb_settings_parse(const char *name, const char *text, size_t len,
			Gceb__Config__SettingsCfg **out, struct gceb_diags *diags,
			struct gceb_err *err)
{
	struct gceb_textproto_locs locs = { 0 };
	struct checker c = { name, &locs, diags };
	Gceb__Config__SettingsCfg *s = NULL;
	size_t before = diags->n;
	struct gceb_err e = { 0 };
	int r;

	r = parse_one(&gceb__config__settings_cfg__descriptor, name, text, len,
		      (ProtobufCMessage **)&s, &locs, diags);
	if (r < 0) {
		r = gceb_err_set(err, r, "%s is not valid", name);
		goto out;
	}
	if (s->mp_server && *s->mp_server && gceb_settings_check_url("mp_server", s->mp_server, &e))
		problem(&c, s, 2, 0, "%s", e.msg);
	if (s->compute_api_root && *s->compute_api_root &&
	    gceb_settings_check_url("compute_api_root", s->compute_api_root, &e))
		problem(&c, s, 3, 0, "%s", e.msg);
	if (s->has_max_concurrency && (s->max_concurrency < 1 || s->max_concurrency > 1024))
		problem(&c, s, 4, 0, "max_concurrency must be between 1 and 1024");
	if (s->has_store_map_size_mib && s->store_map_size_mib < 1)
		problem(&c, s, 5, 0, "store_map_size_mib must be at least 1");
	if (s->metrics_dir && *s->metrics_dir && s->metrics_dir[0] != '/')
		problem(&c, s, 6, 0, "metrics_dir must be an absolute path");
	if (s->luci_config && *s->luci_config &&
	    gceb_settings_check_url("luci_config", s->luci_config, &e))
		problem(&c, s, 7, 0, "%s", e.msg);
	if (s->log && *s->log && !gceb_settings_log_ok(s->log))
		problem(&c, s, 9, 0, "log must be \"stderr\" or \"syslog\"");
	if (diags->n > before) {
		r = gceb_err_set(err, GCEB_ECONFIG, "%s is not valid", name);
		goto out;
	}
	*out = s;
	s = NULL;
out:
	if (s)
		protobuf_c_message_free_unpacked(&s->base, NULL);
	gceb_textproto_locs_release(&locs);
	return r;
}
