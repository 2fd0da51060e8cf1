/*
 * nbmem/stats.h: the statistics of a machine, each declared once.
 *
 * Every statistic is an entry of an X-macro field list: its name, its kind
 * (a counter that only grows, or a gauge) and what it means.  The C
 * records below, and everything built on them -- the daemon's JSON
 * replies, the SQLite columns, the CSV header, the OpenMetrics names --
 * expand the same lists, so a statistic is added or renamed in one place.
 *
 * X(name, kind, description): name is the field name without its prefix;
 * kind is NBM_STAT_COUNTER or NBM_STAT_GAUGE.
 */
#ifndef NBMEM_STATS_H
#define NBMEM_STATS_H

#include <nbmem/types.h>

#define NBM_STATS_VERSION	1

#define NBM_STAT_COUNTER	0	/* grows monotonically */
#define NBM_STAT_GAUGE		1	/* goes up and down */

/*
 * Per-pool statistics: NetBSD's struct pool_sysctl (kern.pool), one
 * 224-byte record per pool, in the order of the kernel's pool list
 * (alphabetical by wait channel name).  Spec 4.1.
 */
#define NBM_POOL_FIELDS(X)						\
	X(flags, NBM_STAT_GAUGE, "pool flags (pr_roflags | pr_flags)")	\
	X(size, NBM_STAT_GAUGE, "item size in bytes, after rounding")	\
	X(pagesize, NBM_STAT_GAUGE, "bytes per pool page")		\
	X(itemsperpage, NBM_STAT_GAUGE, "items per page")		\
	X(nitems, NBM_STAT_GAUGE, "free items in the pool's pages")	\
	X(nout, NBM_STAT_GAUGE, "items handed out, cached ones included")\
	X(hardlimit, NBM_STAT_GAUGE, "hard limit on items out")		\
	X(npages, NBM_STAT_GAUGE, "pages held")				\
	X(minpages, NBM_STAT_GAUGE, "pages kept at least")		\
	X(maxpages, NBM_STAT_GAUGE, "pages kept at most when idle")	\
	X(nget, NBM_STAT_COUNTER, "items allocated (pool layer)")	\
	X(nfail, NBM_STAT_COUNTER, "failed allocations")		\
	X(nput, NBM_STAT_COUNTER, "items freed (pool layer)")		\
	X(npagealloc, NBM_STAT_COUNTER, "pages allocated")		\
	X(npagefree, NBM_STAT_COUNTER, "pages freed")			\
	X(hiwat, NBM_STAT_GAUGE, "peak pages held")			\
	X(nidle, NBM_STAT_GAUGE, "pages with no item out")		\
	X(cache_meta_size, NBM_STAT_GAUGE, "cache group size, 0: no cache")\
	X(cache_nfull, NBM_STAT_GAUGE, "full cache groups")		\
	X(cache_npartial, NBM_STAT_GAUGE, "partial cache groups")	\
	X(cache_nempty, NBM_STAT_GAUGE, "empty cache groups")		\
	X(cache_ncontended, NBM_STAT_COUNTER, "contended group list operations")\
	X(cache_nmiss_global, NBM_STAT_COUNTER, "cache misses to the pool layer")\
	X(cache_nhit_global, NBM_STAT_COUNTER, "cache layer hits")	\
	X(cache_nmiss_pcpu, NBM_STAT_COUNTER, "CPU layer misses")	\
	X(cache_nhit_pcpu, NBM_STAT_COUNTER, "CPU layer hits")

#define NBM_POOL_WCHAN_MAX	16

struct pool_sysctl {
	char	pr_wchan[NBM_POOL_WCHAN_MAX];	/* name, NUL-terminated */
#define NBM_X(name, kind, descr) uint64_t pr_##name;
	NBM_POOL_FIELDS(NBM_X)
#undef NBM_X
};

#endif /* NBMEM_STATS_H */
