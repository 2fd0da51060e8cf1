/*
 * fields.h: the statistics the daemon serves and records, each declared
 * once -- in <nbmem/stats.h>.
 *
 * A field set is one record type of <nbmem/stats.h> (the machine counters,
 * kern.pool records, per-CPU cache counters, vmem arenas, extents) with
 * its field table (struct nbm_stat_field: name, kind, type, unit,
 * description, offset), plus what the daemon adds: the snapshot section it
 * appears in, the SQLite table of its sample rows, the infix of its
 * OpenMetrics names and the label its key gets there.  Everything the
 * daemon derives from a statistic walks these tables: the JSON members of
 * snapshots (child-stats.c), the columns of the sample tables (db.c adds
 * one per field, never by hand), the export columns (cmd-history.c) and
 * the metric names (metrics.c).
 *
 * The fields of kind NBM_STAT_LABEL (a pool's wchan, an arena's name, a
 * cache record's cpu) identify a record: they are the key columns that
 * the migration creating a sample table declares, and metric labels.
 * U64V fields (vmem's freelist histogram) are JSON arrays without their
 * trailing zeros, stored as that JSON text in one column.
 */
#ifndef NBMD_FIELDS_H
#define NBMD_FIELDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include <nbmem/nbmem.h>
#include <nbmem/stats.h>

struct nbmd_fieldset {
	const char	*fs_name;	/* snapshot section */
	const char	*fs_table;	/* SQLite table of its sample rows */
	const char	*fs_metric;	/* nbmem_<fs_metric>_<field> */
	const char	*fs_label;	/* metric label of the key, or NULL */
	const struct nbm_stat_field *fs_fields;	/* <nbmem/stats.h> */
	size_t		 fs_nfields;	/* entries in fs_fields */
	size_t		 fs_recsize;	/* sizeof() the record */
	bool		 fs_array;	/* section: an array of records */
};

extern const struct nbmd_fieldset nbmd_fs_machine;	/* "machine" */
extern const struct nbmd_fieldset nbmd_fs_pools;	/* "pools" */
extern const struct nbmd_fieldset nbmd_fs_caches;	/* "caches" */
extern const struct nbmd_fieldset nbmd_fs_vmem;		/* "vmem" */
extern const struct nbmd_fieldset nbmd_fs_extents;	/* "extents" */

/* Every field set, in snapshot order; each has a sample table. */
extern const struct nbmd_fieldset *const nbmd_fieldsets[];
extern const size_t nbmd_nfieldsets;

/*
 * The sections of a snapshot: the field sets, then "intr" (interrupt
 * sources, whose counters are not a <nbmem/stats.h> record).
 */
#define NBMD_SECTION_INTR	"intr"
extern const char *const nbmd_sections[];
extern const size_t nbmd_nsections;

/*
 * Records after a machine process's answer (machine.c): "blob" describes
 * them, [[member, section, count], ...], and they follow back to back.
 */
struct nbmd_blob {
	json_object	*b_desc;	/* the "blob" description */
	char		*b_bytes;	/* the records */
	size_t		 b_len;		/* bytes */
};

json_object *nbmd_record_json(const struct nbmd_fieldset *, const void *rec);
json_object *nbmd_records_raw(const struct nbmd_fieldset *, const void *recs,
	    size_t n);
void	nbmd_blob_attach(json_object *result, struct nbmd_blob *);
const struct nbmd_blob *nbmd_blob_of(json_object *result);
int	nbmd_blob_entry(const struct nbmd_blob *, size_t i, const char **namep,
	    const struct nbmd_fieldset **, const char **recsp, size_t *np);
bool	nbmd_blob_check(const struct nbmd_blob *);
int	nbmd_blob_find(const struct nbmd_blob *, const char *member,
	    const struct nbmd_fieldset **, const char **recsp, size_t *np);
json_object *nbmd_blob_json(json_object *result);
json_object *nbmd_vector_json(const struct nbm_stat_field *, const void *rec);
const struct nbmd_fieldset *nbmd_fieldset_find(const char *section);

#endif /* NBMD_FIELDS_H */
