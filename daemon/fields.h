/*
 * fields.h: the statistics the daemon records, each declared once.
 *
 * A field set is a list of uint64_t fields of one C record (struct
 * nbm_uvmexp today; struct pool_sysctl and the other records of
 * <nbmem/stats.h> as the allocator layers land), expanded from an X-macro
 * list into a table of {name, kind, description, offset}.  Everything the
 * daemon derives from a statistic walks that table: the JSON keys of
 * snapshots (child.c), the columns of the SQLite sample tables (db.c adds
 * one per field, never by hand), the export columns (cmd-history.c) and
 * the OpenMetrics names (metrics.c).
 *
 * NBMD_UVMEXP_FIELDS lists struct nbm_uvmexp of <nbmem/machine.h>, which
 * has no list of its own yet; it belongs in <nbmem/stats.h> beside
 * NBM_POOL_FIELDS, and moves there when that header grows one.
 */
#ifndef NBMD_FIELDS_H
#define NBMD_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <nbmem/nbmem.h>

#define NBMD_UVMEXP_FIELDS(X)						\
	X(pagesize, NBM_STAT_GAUGE, "bytes per page")			\
	X(npages, NBM_STAT_GAUGE, "managed physical pages")		\
	X(free, NBM_STAT_GAUGE, "free pages")				\
	X(wired, NBM_STAT_GAUGE, "wired pages (kernel memory)")	\
	X(kmempages, NBM_STAT_GAUGE, "pages behind kmem_arena and pools")\
	X(kmapwired, NBM_STAT_GAUGE, "wired pages of uvm_km_alloc")	\
	X(pageable, NBM_STAT_GAUGE, "pages of pageable kernel memory")	\
	X(freemin, NBM_STAT_GAUGE, "page daemon wakes below this")	\
	X(freetarg, NBM_STAT_GAUGE, "page daemon frees up to this")	\
	X(pdwoke, NBM_STAT_COUNTER, "page daemon wakeups")		\
	X(pdfreed, NBM_STAT_COUNTER, "pages freed by the page daemon")	\
	X(faults, NBM_STAT_COUNTER, "demand-zero faults on pageable memory")

struct nbmd_field {
	const char	*f_name;	/* JSON key, column, metric stem */
	int		 f_kind;	/* NBM_STAT_COUNTER or NBM_STAT_GAUGE */
	const char	*f_descr;	/* one line, for HELP and comments */
	size_t		 f_offset;	/* of the uint64_t in the record */
};

struct nbmd_fieldset {
	const char	*fs_name;	/* snapshot key, metric infix */
	const char	*fs_table;	/* SQLite table of its sample rows */
	const struct nbmd_field *fs_fields;
	size_t		 fs_nfields;
};

extern const struct nbmd_fieldset nbmd_uvmexp_fieldset;

/* Every field set with a sample table, for db.c to keep in step. */
extern const struct nbmd_fieldset *const nbmd_fieldsets[];
extern const size_t nbmd_nfieldsets;

static inline uint64_t
nbmd_field_get(const struct nbmd_field *f, const void *rec)
{
	uint64_t v;

	memcpy(&v, (const char *)rec + f->f_offset, sizeof(v));
	return v;
}

static inline void
nbmd_field_set(const struct nbmd_field *f, void *rec, uint64_t v)
{

	memcpy((char *)rec + f->f_offset, &v, sizeof(v));
}

#endif /* NBMD_FIELDS_H */
