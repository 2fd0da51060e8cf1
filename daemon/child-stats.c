/*
 * child-stats.c: the statistics snapshot of the machine process.
 *
 * A snapshot is nbm_stats_snapshot() (<nbmem/stats.h>): its records go to
 * the daemon as they are (child_blob()), one member per section, which
 * the daemon turns into JSON through the field sets of fields.h:
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

/* child_stats: a statistics snapshot, or NULL with the error set. */
struct nbm_stats *
child_stats(struct child *c)
{
	struct nbm_stats *st;
	int error;

	if ((error = nbm_stats_snapshot(c->c_m, &st)) != 0) {
		child_fail(c, PROTO_E_INTERNAL, "nbm_stats_snapshot: %s",
		    strerror(error));
		return NULL;
	}
	return st;
}

/*
 * child_blob: n records of fs to go after the answer, as its member
 * called member.
 */
void
child_blob(struct child *c, const char *member,
    const struct nbmd_fieldset *fs, const void *recs, size_t n)
{
	json_object *e;
	size_t len = n * fs->fs_recsize;

	if (c->c_blobdesc == NULL)
		c->c_blobdesc = json_object_new_array();
	e = json_object_new_array();
	json_object_array_add(e, json_object_new_string(member));
	json_object_array_add(e, json_object_new_string(fs->fs_name));
	json_object_array_add(e, json_object_new_uint64(n));
	json_object_array_add(c->c_blobdesc, e);
	c->c_blob = xreallocarray(c->c_blob, 1, c->c_bloblen + len + 1);
	memcpy(c->c_blob + c->c_bloblen, recs, len);
	c->c_bloblen += len;
}

/*
 * child_snapshot: every section now, or NULL with the error set: the
 * record sections go in the blob, under their section names.
 */
json_object *
child_snapshot(struct child *c)
{
	const struct nbmd_fieldset *fs;
	struct nbm_stats *st;
	json_object *o;
	const void *recs;
	size_t i, n;

	if ((st = child_stats(c)) == NULL)
		return NULL;
	o = json_object_new_object();
	json_object_object_add(o, "uptime_ns",
	    json_object_new_uint64(st->st_machine.ms_uptime_ns));
	for (i = 0; i < nbmd_nfieldsets; i++) {
		fs = nbmd_fieldsets[i];
		recs = child_records(st, fs, &n);
		child_blob(c, fs->fs_name, fs, recs, n);
	}
	json_object_object_add(o, NBMD_SECTION_INTR,
	    child_intr_list(c, NULL));
	nbm_stats_free(st);
	return o;
}
