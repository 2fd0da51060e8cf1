/*
 * fields.c: the field sets of fields.h, and records as JSON.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"

/* Entries of a table: its list, plus the key name when it has one. */
#define NBMD_NFIELDS(list, key)	((key) + (0 list(NBM_STAT_COUNT)))

const struct nbmd_fieldset nbmd_fs_machine = {
	"machine", "machine_samples", "machine", NULL,
	nbm_machine_fields, NBMD_NFIELDS(NBM_MACHINE_FIELDS, 0),
	sizeof(struct nbm_machine_stats), false,
};
const struct nbmd_fieldset nbmd_fs_pools = {
	"pools", "pool_samples", "pool", "pool",
	nbm_pool_fields, NBMD_NFIELDS(NBM_POOL_FIELDS, 1),
	sizeof(struct pool_sysctl), true,
};
const struct nbmd_fieldset nbmd_fs_caches = {
	"caches", "cache_samples", "cache", "pool",
	nbm_cachecpu_fields, NBMD_NFIELDS(NBM_CACHECPU_FIELDS, 1),
	sizeof(struct nbm_cachecpu_stats), true,
};
const struct nbmd_fieldset nbmd_fs_vmem = {
	"vmem", "vmem_samples", "vmem", "arena",
	nbm_vmem_fields, NBMD_NFIELDS(NBM_VMEM_FIELDS, 1),
	sizeof(struct nbm_vmem_stats), true,
};
const struct nbmd_fieldset nbmd_fs_extents = {
	"extents", "extent_samples", "extent", "extent",
	nbm_extent_fields, NBMD_NFIELDS(NBM_EXTENT_FIELDS, 1),
	sizeof(struct nbm_extent_stats), true,
};

const struct nbmd_fieldset *const nbmd_fieldsets[] = {
	&nbmd_fs_machine,
	&nbmd_fs_pools,
	&nbmd_fs_caches,
	&nbmd_fs_vmem,
	&nbmd_fs_extents,
};
const size_t nbmd_nfieldsets = sizeof(nbmd_fieldsets) /
    sizeof(nbmd_fieldsets[0]);

const char *const nbmd_sections[] = {
	"machine", "pools", "caches", "vmem", "extents", NBMD_SECTION_INTR,
};
const size_t nbmd_nsections = sizeof(nbmd_sections) /
    sizeof(nbmd_sections[0]);

const struct nbmd_fieldset *
nbmd_fieldset_find(const char *section)
{
	size_t i;

	for (i = 0; i < nbmd_nfieldsets; i++)
		if (strcmp(nbmd_fieldsets[i]->fs_name, section) == 0)
			return nbmd_fieldsets[i];
	return NULL;
}

/* A U64V field as an array, without its trailing zeros. */
json_object *
nbmd_vector_json(const struct nbm_stat_field *f, const void *rec)
{
	json_object *a = json_object_new_array();
	size_t i, n = f->sf_size / sizeof(uint64_t);

	while (n > 0 && nbm_stat_u64(f, rec, n - 1) == 0)
		n--;
	for (i = 0; i < n; i++)
		json_object_array_add(a,
		    json_object_new_uint64(nbm_stat_u64(f, rec, i)));
	return a;
}

/* nbmd_record_json: a record as an object, one member per field. */
json_object *
nbmd_record_json(const struct nbmd_fieldset *fs, const void *rec)
{
	const struct nbm_stat_field *f;
	json_object *o = json_object_new_object(), *v;
	const char *s;
	size_t i;

	for (i = 0; i < fs->fs_nfields; i++) {
		f = &fs->fs_fields[i];
		switch (f->sf_type) {
		case NBM_STAT_STR:
			s = (const char *)rec + f->sf_offset;
			v = json_object_new_string_len(s,
			    (int)strnlen(s, f->sf_size));
			break;
		case NBM_STAT_I64:
			v = json_object_new_int64(
			    (int64_t)nbm_stat_u64(f, rec, 0));
			break;
		case NBM_STAT_U64V:
			v = nbmd_vector_json(f, rec);
			break;
		default:
			v = json_object_new_uint64(nbm_stat_u64(f, rec, 0));
			break;
		}
		json_object_object_add_ex(o, f->sf_name, v,
		    JSON_C_OBJECT_ADD_KEY_IS_NEW |
		    JSON_C_OBJECT_ADD_CONSTANT_KEY);
	}
	return o;
}

/*
 * JSON text of records, written directly: a snapshot holds hundreds of
 * records of some thirty fields, and building json-c objects for them
 * costs far more than the text.  The text is what nbmd_record_json()'s
 * object would serialize to (plain, no spaces).
 */
struct text {
	char	*t_buf;
	size_t	 t_len;
	size_t	 t_cap;
};

static void
text_room(struct text *t, size_t n)
{

	if (t->t_len + n + 1 <= t->t_cap)
		return;
	while (t->t_len + n + 1 > t->t_cap)
		t->t_cap = t->t_cap < 256 ? 256 : t->t_cap * 2;
	if ((t->t_buf = realloc(t->t_buf, t->t_cap)) == NULL)
		abort();
}

static void
text_add(struct text *t, const char *s, size_t n)
{

	text_room(t, n);
	memcpy(t->t_buf + t->t_len, s, n);
	t->t_len += n;
	t->t_buf[t->t_len] = '\0';
}

static void
text_u64(struct text *t, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	text_add(t, p, (size_t)(buf + sizeof(buf) - p));
}

static void
text_i64(struct text *t, int64_t v)
{

	if (v < 0) {
		text_add(t, "-", 1);
		text_u64(t, (uint64_t)0 - (uint64_t)v);
	} else
		text_u64(t, (uint64_t)v);
}

/* A JSON string of at most max bytes of s. */
static void
text_str(struct text *t, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char ch;
	char esc[6];
	size_t i;

	text_add(t, "\"", 1);
	for (i = 0; i < max && (ch = (unsigned char)s[i]) != '\0'; i++) {
		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			text_add(t, esc, 2);
		} else if (ch < 0x20 || ch > 0x7e) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			text_add(t, esc, 6);
		} else
			text_add(t, (const char *)&ch, 1);
	}
	text_add(t, "\"", 1);
}

static void
text_record(struct text *t, const struct nbmd_fieldset *fs, const void *rec)
{
	const struct nbm_stat_field *f;
	size_t i, j, n;

	text_add(t, "{", 1);
	for (i = 0; i < fs->fs_nfields; i++) {
		f = &fs->fs_fields[i];
		if (i > 0)
			text_add(t, ",", 1);
		text_str(t, f->sf_name, SIZE_MAX);
		text_add(t, ":", 1);
		switch (f->sf_type) {
		case NBM_STAT_STR:
			text_str(t, (const char *)rec + f->sf_offset,
			    f->sf_size);
			break;
		case NBM_STAT_I64:
			text_i64(t, (int64_t)nbm_stat_u64(f, rec, 0));
			break;
		case NBM_STAT_U64V:
			n = f->sf_size / sizeof(uint64_t);
			while (n > 0 && nbm_stat_u64(f, rec, n - 1) == 0)
				n--;
			text_add(t, "[", 1);
			for (j = 0; j < n; j++) {
				if (j > 0)
					text_add(t, ",", 1);
				text_u64(t, nbm_stat_u64(f, rec, j));
			}
			text_add(t, "]", 1);
			break;
		default:
			text_u64(t, nbm_stat_u64(f, rec, 0));
			break;
		}
	}
	text_add(t, "}", 1);
}

/*
 * nbmd_records_raw: a json-c node that serializes as the JSON of n records
 * (an array, or the one object of a set that is not an array), for
 * replies; it is opaque to json-c (never looked into, only written out).
 */
json_object *
nbmd_records_raw(const struct nbmd_fieldset *fs, const void *recs, size_t n)
{
	struct text t = { NULL, 0, 0 };
	json_object *o;
	size_t i;

	if (!fs->fs_array && n == 1)
		text_record(&t, fs, recs);
	else {
		text_add(&t, "[", 1);
		for (i = 0; i < n; i++) {
			if (i > 0)
				text_add(&t, ",", 1);
			text_record(&t, fs, (const char *)recs +
			    i * fs->fs_recsize);
		}
		text_add(&t, "]", 1);
	}
	o = json_object_new_object();
	json_object_set_serializer(o, json_object_userdata_to_json_string,
	    t.t_buf, json_object_free_userdata);
	return o;
}

/*
 * Blobs: statistics records travel from the machine process as they are
 * in memory, after the answer's line (machine.c), described there by
 * "blob": [[member, section, count], ...] -- member being the name they
 * take in the answer, section a field set.  Records of all members lie
 * back to back in that order.
 */
static void
blob_free(json_object *o, void *arg)
{
	struct nbmd_blob *b = arg;

	json_object_put(b->b_desc);
	free(b->b_bytes);
	free(b);
}

/* nbmd_blob_attach: the blob of a result; b is freed with the result. */
void
nbmd_blob_attach(json_object *result, struct nbmd_blob *b)
{

	json_object_set_userdata(result, b, blob_free);
}

const struct nbmd_blob *
nbmd_blob_of(json_object *result)
{

	return result != NULL ? json_object_get_userdata(result) : NULL;
}

/*
 * nbmd_blob_entry: the i-th member of a blob, checked: its name, field set,
 * records and count.  => 0, 1 past the last, -1 if the blob is malformed.
 */
int
nbmd_blob_entry(const struct nbmd_blob *b, size_t i, const char **namep,
    const struct nbmd_fieldset **fsp, const char **recsp, size_t *np)
{
	json_object *e, *v;
	size_t j, off = 0, n, len;
	const struct nbmd_fieldset *fs;

	if (b == NULL || i >= json_object_array_length(b->b_desc))
		return 1;
	for (j = 0; j <= i; j++) {
		e = json_object_array_get_idx(b->b_desc, j);
		if (!json_object_is_type(e, json_type_array) ||
		    json_object_array_length(e) != 3 ||
		    !json_object_is_type(json_object_array_get_idx(e, 0),
		    json_type_string) ||
		    (fs = nbmd_fieldset_find(json_object_get_string(
		    json_object_array_get_idx(e, 1)))) == NULL ||
		    !json_object_is_type(v = json_object_array_get_idx(e, 2),
		    json_type_int) || json_object_get_int64(v) < 0)
			return -1;
		n = (size_t)json_object_get_int64(v);
		len = n * fs->fs_recsize;
		if (n > b->b_len || off + len > b->b_len)
			return -1;
		if (j == i) {
			*namep = json_object_get_string(
			    json_object_array_get_idx(e, 0));
			*fsp = fs;
			*recsp = b->b_bytes + off;
			*np = n;
		}
		off += len;
	}
	return 0;
}

/* nbmd_blob_check: whether every member fits and they fill the blob. */
bool
nbmd_blob_check(const struct nbmd_blob *b)
{
	const struct nbmd_fieldset *fs;
	const char *name, *recs;
	size_t i, n, total = 0;
	int r;

	if (!json_object_is_type(b->b_desc, json_type_array))
		return false;
	for (i = 0; (r = nbmd_blob_entry(b, i, &name, &fs, &recs, &n)) == 0;
	    i++)
		total += n * fs->fs_recsize;
	return r == 1 && total == b->b_len;
}

/* nbmd_blob_find: the records of a member, or -1. */
int
nbmd_blob_find(const struct nbmd_blob *b, const char *member,
    const struct nbmd_fieldset **fsp, const char **recsp, size_t *np)
{
	const char *name;
	size_t i;

	for (i = 0; nbmd_blob_entry(b, i, &name, fsp, recsp, np) == 0; i++)
		if (strcmp(name, member) == 0)
			return 0;
	return -1;
}

/*
 * nbmd_blob_json: a result with its blob's members in it as JSON (raw
 * nodes): what a client gets.
 */
json_object *
nbmd_blob_json(json_object *result)
{
	const struct nbmd_blob *b = nbmd_blob_of(result);
	const struct nbmd_fieldset *fs;
	json_object *o = json_object_new_object(), *v;
	const char *name, *recs;
	size_t i, n;

	json_object_object_foreach(result, key, val) {
		v = val;
		json_object_object_add(o, key, json_object_get(v));
	}
	for (i = 0; nbmd_blob_entry(b, i, &name, &fs, &recs, &n) == 0; i++)
		json_object_object_add(o, name, nbmd_records_raw(fs, recs, n));
	return o;
}
