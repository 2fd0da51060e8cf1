/*
 * fields.c: the field sets of fields.h, and records as JSON.
 */
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
