/*
 * child-stats.c: the statistics snapshot of the machine process.
 *
 * A snapshot is nbm_stats_snapshot() (<nbmem/stats.h>) turned into JSON
 * through the field sets of fields.h, one member per section:
 *
 *	{"uptime_ns": U,
 *	 "machine": {FIELD: VALUE, ...},
 *	 "pools": [{"wchan": NAME, FIELD: VALUE, ...}, ...],	kern.pool order
 *	 "caches": [{"wchan": NAME, "cpu": N, ...}, ...],	by pool, CPU
 *	 "vmem": [{"name": NAME, ...}, ...],			creation order
 *	 "extents": [{"name": NAME, ...}, ...],
 *	 "intr": [{"name": NAME, ...}, ...]}			child-intr.c
 *
 * Each record is read at one instant under its object's lock; records of
 * different objects are not from the same instant (stats.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "child.h"

/* The records of a section in a snapshot: base, count. */
static const void *
child_records(const struct nbm_stats *st, const struct nbmd_fieldset *fs,
    size_t *np)
{

	if (fs == &nbmd_fs_pools) {
		*np = st->st_npools;
		return st->st_pools;
	}
	if (fs == &nbmd_fs_caches) {
		*np = st->st_ncachecpu;
		return st->st_cachecpu;
	}
	if (fs == &nbmd_fs_vmem) {
		*np = st->st_nvmem;
		return st->st_vmem;
	}
	if (fs == &nbmd_fs_extents) {
		*np = st->st_nextent;
		return st->st_extent;
	}
	*np = 1;
	return &st->st_machine;
}

/*
 * child_section: a section of st as JSON: the machine's object, or the
 * array of records whose key (their first field, a name) is match --
 * every record when match is NULL.
 */
json_object *
child_section(struct child *c, const struct nbm_stats *st,
    const struct nbmd_fieldset *fs, const char *match)
{
	const struct nbm_stat_field *key = &fs->fs_fields[0];
	const char *rec;
	json_object *a;
	size_t i, n;

	rec = child_records(st, fs, &n);
	if (!fs->fs_array)
		return nbmd_record_json(fs, rec);
	a = json_object_new_array_ext((int)(match != NULL ? 1 : n));
	for (i = 0; i < n; i++, rec += fs->fs_recsize) {
		if (match != NULL && strncmp(rec + key->sf_offset, match,
		    key->sf_size) != 0)
			continue;
		json_object_array_add(a, nbmd_record_json(fs, rec));
	}
	return a;
}

/* child_snapshot: every section now, or NULL with the error set. */
json_object *
child_snapshot(struct child *c)
{
	struct nbm_stats *st;
	json_object *o;
	size_t i;
	int error;

	if ((error = nbm_stats_snapshot(c->c_m, &st)) != 0) {
		child_fail(c, PROTO_E_INTERNAL, "nbm_stats_snapshot: %s",
		    strerror(error));
		return NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "uptime_ns",
	    json_object_new_uint64(st->st_machine.ms_uptime_ns));
	for (i = 0; i < nbmd_nfieldsets; i++)
		json_object_object_add(o, nbmd_fieldsets[i]->fs_name,
		    child_section(c, st, nbmd_fieldsets[i], NULL));
	json_object_object_add(o, NBMD_SECTION_INTR,
	    child_intr_list(c, NULL));
	nbm_stats_free(st);
	return o;
}
