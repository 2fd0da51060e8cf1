/*
 * subr_stats.c: the field tables of the statistics records.
 *
 * stats.h declares every statistic once, in an X-macro list per record
 * type.  This file expands each list into a constant table of
 * struct nbm_stat_field -- name, kind, type, unit, description, and the
 * offset and size of the member in the record -- so that code which
 * exports records (the daemon's JSON, the recorder's SQLite columns, CSV,
 * OpenMetrics) walks a table instead of naming fields one by one.  A
 * record's key name, kept outside the list, is the first entry of its
 * table.
 *
 * It also holds nbm_pool_sysctl_check(), the invariants of a kern.pool
 * record (spec 4.1), used by the tests of every subsystem that fills one.
 *
 * Nothing here touches a machine: the tables are constant and the helpers
 * only read the record they are given.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "nbm_impl.h"

/* One table entry for member prefix##n of struct T. */
#define NBM_STAT_FIELD(T, prefix, n, t, k, u, d) {			\
	.sf_name = #n,							\
	.sf_unit = u,							\
	.sf_descr = d,							\
	.sf_offset = offsetof(T, prefix##n),				\
	.sf_size = sizeof(((T *)0)->prefix##n),				\
	.sf_kind = k,							\
	.sf_type = NBM_STAT_##t,					\
},

/* The entry of a record's key name. */
#define NBM_STAT_KEY(T, member, n, d) {					\
	.sf_name = n,							\
	.sf_unit = "",							\
	.sf_descr = d,							\
	.sf_offset = offsetof(T, member),				\
	.sf_size = sizeof(((T *)0)->member),				\
	.sf_kind = NBM_STAT_LABEL,					\
	.sf_type = NBM_STAT_STR,					\
},

#define POOL_FIELD(n, t, k, u, d)					\
	NBM_STAT_FIELD(struct pool_sysctl, pr_, n, t, k, u, d)
const struct nbm_stat_field nbm_pool_fields[] = {
	NBM_STAT_KEY(struct pool_sysctl, pr_wchan, "wchan",
	    "pool name (wait channel), at most 15 characters")
	NBM_POOL_FIELDS(POOL_FIELD)
};
const size_t nbm_pool_nfields = __arraycount(nbm_pool_fields);
#undef POOL_FIELD

#define CACHECPU_FIELD(n, t, k, u, d)					\
	NBM_STAT_FIELD(struct nbm_cachecpu_stats, cc_, n, t, k, u, d)
const struct nbm_stat_field nbm_cachecpu_fields[] = {
	NBM_STAT_KEY(struct nbm_cachecpu_stats, cc_wchan, "wchan",
	    "name of the cache's pool")
	NBM_CACHECPU_FIELDS(CACHECPU_FIELD)
};
const size_t nbm_cachecpu_nfields = __arraycount(nbm_cachecpu_fields);
#undef CACHECPU_FIELD

#define VMEM_FIELD(n, t, k, u, d)					\
	NBM_STAT_FIELD(struct nbm_vmem_stats, vs_, n, t, k, u, d)
const struct nbm_stat_field nbm_vmem_fields[] = {
	NBM_STAT_KEY(struct nbm_vmem_stats, vs_name, "name", "arena name")
	NBM_VMEM_FIELDS(VMEM_FIELD)
};
const size_t nbm_vmem_nfields = __arraycount(nbm_vmem_fields);
#undef VMEM_FIELD

#define EXTENT_FIELD(n, t, k, u, d)					\
	NBM_STAT_FIELD(struct nbm_extent_stats, es_, n, t, k, u, d)
const struct nbm_stat_field nbm_extent_fields[] = {
	NBM_STAT_KEY(struct nbm_extent_stats, es_name, "name", "extent name")
	NBM_EXTENT_FIELDS(EXTENT_FIELD)
};
const size_t nbm_extent_nfields = __arraycount(nbm_extent_fields);
#undef EXTENT_FIELD

#define MACHINE_FIELD(n, t, k, u, d)					\
	NBM_STAT_FIELD(struct nbm_machine_stats, ms_, n, t, k, u, d)
const struct nbm_stat_field nbm_machine_fields[] = {
	NBM_MACHINE_FIELDS(MACHINE_FIELD)
};
const size_t nbm_machine_nfields = __arraycount(nbm_machine_fields);
#undef MACHINE_FIELD

const struct nbm_stat_record nbm_stat_records[] = {
	{ "pool", nbm_pool_fields, __arraycount(nbm_pool_fields),
	  sizeof(struct pool_sysctl) },
	{ "cachecpu", nbm_cachecpu_fields, __arraycount(nbm_cachecpu_fields),
	  sizeof(struct nbm_cachecpu_stats) },
	{ "vmem", nbm_vmem_fields, __arraycount(nbm_vmem_fields),
	  sizeof(struct nbm_vmem_stats) },
	{ "extent", nbm_extent_fields, __arraycount(nbm_extent_fields),
	  sizeof(struct nbm_extent_stats) },
	{ "machine", nbm_machine_fields, __arraycount(nbm_machine_fields),
	  sizeof(struct nbm_machine_stats) },
};
const size_t nbm_stat_nrecords = __arraycount(nbm_stat_records);

/* kern.pool's record is part of the ABI (spec 4.1). */
CTASSERT(sizeof(struct pool_sysctl) == 224);
CTASSERT((0 NBM_POOL_FIELDS(NBM_STAT_COUNT)) == 26);

/*
 * nbm_stat_u64: the value of a numeric field (see stats.h).
 *
 * => records may come from a socket or a file, so the value is copied
 *    out with memcpy: rec need not be aligned.
 */
uint64_t
nbm_stat_u64(const struct nbm_stat_field *f, const void *rec, size_t idx)
{
	const char *p = (const char *)rec + f->sf_offset;
	uint64_t v;

	switch (f->sf_type) {
	case NBM_STAT_U64:
	case NBM_STAT_I64:
		idx = 0;
		break;
	case NBM_STAT_U64V:
		if (idx >= f->sf_size / sizeof(v))
			return 0;
		break;
	default:
		return 0;
	}
	memcpy(&v, p + idx * sizeof(v), sizeof(v));
	return v;
}

/*
 * nbm_stat_format: a field's value as text (see stats.h).
 */
int
nbm_stat_format(const struct nbm_stat_field *f, const void *rec, char *buf,
    size_t len)
{
	const char *p = (const char *)rec + f->sf_offset;
	size_t i, n, total;
	uint64_t v;
	int r;

	switch (f->sf_type) {
	case NBM_STAT_STR:
		return snprintf(buf, len, "%.*s",
		    (int)strnlen(p, f->sf_size), p);
	case NBM_STAT_I64:
		return snprintf(buf, len, "%" PRId64,
		    (int64_t)nbm_stat_u64(f, rec, 0));
	case NBM_STAT_U64:
		v = nbm_stat_u64(f, rec, 0);
		if (strcmp(f->sf_unit, "flags") == 0)
			return snprintf(buf, len, "0x%" PRIx64, v);
		return snprintf(buf, len, "%" PRIu64, v);
	case NBM_STAT_U64V:
		n = f->sf_size / sizeof(v);
		total = 0;
		for (i = 0; i < n; i++) {
			r = snprintf(total < len ? buf + total : NULL,
			    total < len ? len - total : 0, "%s%" PRIu64,
			    i == 0 ? "" : ",", nbm_stat_u64(f, rec, i));
			if (r < 0)
				return r;
			total += (size_t)r;
		}
		if (len > 0 && n == 0)
			buf[0] = '\0';
		return (int)total;
	default:
		return snprintf(buf, len, "?");
	}
}

/*
 * nbm_pool_sysctl_check: the quiescent-point invariants of spec 4.1 (see
 * stats.h for what is and is not checked).
 *
 * => the arithmetic is done so that it cannot wrap: a record with
 *    nput > nget fails instead of comparing a wrapped difference.
 */
bool
nbm_pool_sysctl_check(const struct pool_sysctl *pr, char *why, size_t len)
{
	char name[NBM_POOL_WCHAN_MAX + 1];
	size_t nlen;

	nlen = strnlen(pr->pr_wchan, sizeof(pr->pr_wchan));
	memcpy(name, pr->pr_wchan, nlen);
	name[nlen] = '\0';

#define FAIL(...) do {							\
	if (why != NULL && len > 0)					\
		snprintf(why, len, __VA_ARGS__);			\
	return false;							\
} while (0)

	if (nlen == sizeof(pr->pr_wchan))
		FAIL("%s: pr_wchan is not NUL-terminated", name);
	if (pr->pr_nget < pr->pr_nput ||
	    pr->pr_nget - pr->pr_nput != pr->pr_nout)
		FAIL("%s: nget %" PRIu64 " - nput %" PRIu64 " != nout %" PRIu64,
		    name, pr->pr_nget, pr->pr_nput, pr->pr_nout);
	if (pr->pr_itemsperpage != 0 &&
	    pr->pr_npages > UINT64_MAX / pr->pr_itemsperpage)
		FAIL("%s: npages %" PRIu64 " * itemsperpage %" PRIu64
		    " overflows", name, pr->pr_npages, pr->pr_itemsperpage);
	if (pr->pr_nitems > UINT64_MAX - pr->pr_nout ||
	    pr->pr_npages * pr->pr_itemsperpage !=
	    pr->pr_nitems + pr->pr_nout)
		FAIL("%s: npages %" PRIu64 " * itemsperpage %" PRIu64
		    " != nitems %" PRIu64 " + nout %" PRIu64, name,
		    pr->pr_npages, pr->pr_itemsperpage, pr->pr_nitems,
		    pr->pr_nout);
	if (pr->pr_npagealloc < pr->pr_npagefree ||
	    pr->pr_npagealloc - pr->pr_npagefree != pr->pr_npages)
		FAIL("%s: npagealloc %" PRIu64 " - npagefree %" PRIu64
		    " != npages %" PRIu64, name, pr->pr_npagealloc,
		    pr->pr_npagefree, pr->pr_npages);
	if (pr->pr_nidle > pr->pr_npages)
		FAIL("%s: nidle %" PRIu64 " > npages %" PRIu64, name,
		    pr->pr_nidle, pr->pr_npages);
	if (pr->pr_hiwat < pr->pr_npages)
		FAIL("%s: hiwat %" PRIu64 " < npages %" PRIu64, name,
		    pr->pr_hiwat, pr->pr_npages);
#undef FAIL

	if (why != NULL && len > 0)
		why[0] = '\0';
	return true;
}
