/*
 * nbmem/stats.h: the statistics of a machine, each declared once.
 *
 * Every statistic is an entry of an X-macro field list.  The C records
 * below are generated from the lists, and so are the field tables of
 * subr_stats.c (name, kind, type, unit, description, offset and size of
 * each field) on which everything else is built -- the daemon's JSON
 * replies, the SQLite columns, the CSV header, the OpenMetrics names -- so
 * a statistic is added or renamed in one place.
 *
 * X(name, type, kind, unit, description):
 *	name	the field name without the record's prefix (pr_, ...);
 *	type	U64 (uint64_t), I64 (int64_t) or U64V (an array of
 *		NBM_STAT_VEC_LEN uint64_t): the C type of the member;
 *	kind	NBM_STAT_COUNTER, NBM_STAT_GAUGE or NBM_STAT_LABEL;
 *	unit	"" (a plain count), "bytes", "items", "pages", "groups",
 *		"ns", or "flags" (a bit mask: shown in hex, never summed);
 *	description	one line, for help texts and OpenMetrics HELP.
 *
 * A record's name (a pool's wait channel, an arena's name) is its key: it
 * is a plain char array outside the list, and the field tables describe it
 * as a first NBM_STAT_LABEL field of type NBM_STAT_STR.
 *
 * Adding, removing or reordering a field changes the records: bump
 * NBM_STATS_VERSION.  struct pool_sysctl is NetBSD's kern.pool record and
 * never changes (spec 4.1: 224 bytes, 16-byte name and 26 uint64_t).
 */
#ifndef NBMEM_STATS_H
#define NBMEM_STATS_H

#include <nbmem/types.h>

#define NBM_STATS_VERSION	1

/* Kinds. */
#define NBM_STAT_COUNTER	0	/* grows monotonically */
#define NBM_STAT_GAUGE		1	/* goes up and down */
#define NBM_STAT_LABEL		2	/* identifies the record */

/* Types, as found in the field tables (sf_type). */
#define NBM_STAT_U64		0	/* uint64_t */
#define NBM_STAT_I64		1	/* int64_t */
#define NBM_STAT_U64V		2	/* uint64_t[NBM_STAT_VEC_LEN] */
#define NBM_STAT_STR		3	/* char[sf_size], NUL-terminated */

#define NBM_STAT_VEC_LEN	64	/* VMEM_MAXORDER on LP64 */
#define NBM_STAT_NAME_MAX	32	/* arena, extent names, with NUL */

/* Member declarations for the type column of a list. */
#define NBM_STAT_DECL_U64(f)	uint64_t f
#define NBM_STAT_DECL_I64(f)	int64_t f
#define NBM_STAT_DECL_U64V(f)	uint64_t f[NBM_STAT_VEC_LEN]

/* (0 NBM_FOO_FIELDS(NBM_STAT_COUNT)) is the number of entries of a list. */
#define NBM_STAT_COUNT(n, t, k, u, d)	+1

/*
 * Per-pool statistics: NetBSD's struct pool_sysctl (kern.pool), one
 * 224-byte record per pool, in the order of the kernel's pool list
 * (alphabetical by wait channel name).  Spec 4.1.
 */
#define NBM_POOL_FIELDS(X)						\
	X(flags, U64, NBM_STAT_GAUGE, "flags",				\
	    "pool flags (pr_roflags | pr_flags)")			\
	X(size, U64, NBM_STAT_GAUGE, "bytes",				\
	    "item size in bytes, after rounding")			\
	X(pagesize, U64, NBM_STAT_GAUGE, "bytes", "bytes per pool page")\
	X(itemsperpage, U64, NBM_STAT_GAUGE, "items", "items per page")	\
	X(nitems, U64, NBM_STAT_GAUGE, "items",				\
	    "free items in the pool's pages")				\
	X(nout, U64, NBM_STAT_GAUGE, "items",				\
	    "items handed out, cached ones included")			\
	X(hardlimit, U64, NBM_STAT_GAUGE, "items",			\
	    "hard limit on items out")					\
	X(npages, U64, NBM_STAT_GAUGE, "pages", "pages held")		\
	X(minpages, U64, NBM_STAT_GAUGE, "pages", "pages kept at least")\
	X(maxpages, U64, NBM_STAT_GAUGE, "pages",			\
	    "pages kept at most when idle")				\
	X(nget, U64, NBM_STAT_COUNTER, "", "items allocated (pool layer)")\
	X(nfail, U64, NBM_STAT_COUNTER, "", "failed allocations")	\
	X(nput, U64, NBM_STAT_COUNTER, "", "items freed (pool layer)")	\
	X(npagealloc, U64, NBM_STAT_COUNTER, "pages", "pages allocated")\
	X(npagefree, U64, NBM_STAT_COUNTER, "pages", "pages freed")	\
	X(hiwat, U64, NBM_STAT_GAUGE, "pages", "peak pages held")	\
	X(nidle, U64, NBM_STAT_GAUGE, "pages", "pages with no item out")\
	X(cache_meta_size, U64, NBM_STAT_GAUGE, "items",		\
	    "cache group size, 0: no cache")				\
	X(cache_nfull, U64, NBM_STAT_GAUGE, "groups", "full cache groups")\
	X(cache_npartial, U64, NBM_STAT_GAUGE, "groups",		\
	    "partial cache groups")					\
	X(cache_nempty, U64, NBM_STAT_GAUGE, "groups",			\
	    "empty cache groups")					\
	X(cache_ncontended, U64, NBM_STAT_COUNTER, "",			\
	    "contended group list operations")				\
	X(cache_nmiss_global, U64, NBM_STAT_COUNTER, "",		\
	    "cache misses to the pool layer")				\
	X(cache_nhit_global, U64, NBM_STAT_COUNTER, "",			\
	    "cache layer hits")						\
	X(cache_nmiss_pcpu, U64, NBM_STAT_COUNTER, "", "CPU layer misses")\
	X(cache_nhit_pcpu, U64, NBM_STAT_COUNTER, "", "CPU layer hits")

#define NBM_POOL_WCHAN_MAX	16

struct pool_sysctl {
	char	pr_wchan[NBM_POOL_WCHAN_MAX];	/* name, NUL-terminated */
#define NBM_X(n, t, k, u, d)	NBM_STAT_DECL_##t(pr_##n);
	NBM_POOL_FIELDS(NBM_X)
#undef NBM_X
};

/*
 * Per-CPU pool_cache counters (pool_cache_cpu_t, spec 2.6), one record
 * per CPU of each pool that has a cache.  The sums over a pool's CPUs are
 * its pr_cache_* fields: hits = nhit_pcpu, misses = nmiss_pcpu, pcmisses =
 * nmiss_global, contended = ncontended, nfull and npart likewise.  nfull
 * and npart of a single CPU may be negative: a CPU that invalidates the
 * cache subtracts groups other CPUs pushed.
 */
#define NBM_CACHECPU_FIELDS(X)						\
	X(cpu, U64, NBM_STAT_LABEL, "", "CPU index")			\
	X(hits, U64, NBM_STAT_COUNTER, "",				\
	    "CPU layer hits: fast-path gets and puts")			\
	X(misses, U64, NBM_STAT_COUNTER, "",				\
	    "CPU layer misses: slow-path entries")			\
	X(pcmisses, U64, NBM_STAT_COUNTER, "",				\
	    "slow paths that went to the pool layer")			\
	X(contended, U64, NBM_STAT_COUNTER, "",				\
	    "back-offs on the cache's full-group list")			\
	X(nfull, I64, NBM_STAT_GAUGE, "groups",				\
	    "full groups pushed minus popped by this CPU")		\
	X(npart, I64, NBM_STAT_GAUGE, "groups",				\
	    "partial groups pushed minus freed by this CPU")

struct nbm_cachecpu_stats {
	char	cc_wchan[NBM_POOL_WCHAN_MAX];	/* the pool's pr_wchan */
#define NBM_X(n, t, k, u, d)	NBM_STAT_DECL_##t(cc_##n);
	NBM_CACHECPU_FIELDS(NBM_X)
#undef NBM_X
};

/*
 * vmem arenas (spec vmem 1.11).  Sizes are in bytes.  freelist[n] counts
 * the free segments whose size in quanta lies in [2^n, 2^(n+1) - 1].
 */
#define NBM_VMEM_FIELDS(X)						\
	X(quantum, U64, NBM_STAT_GAUGE, "bytes", "allocation quantum")	\
	X(qcache_max, U64, NBM_STAT_GAUGE, "bytes",			\
	    "largest size served by the quantum caches, 0: none")	\
	X(size, U64, NBM_STAT_GAUGE, "bytes", "bytes in all spans")	\
	X(inuse, U64, NBM_STAT_GAUGE, "bytes", "bytes allocated")	\
	X(free, U64, NBM_STAT_GAUGE, "bytes", "bytes free")		\
	X(nbusytag, U64, NBM_STAT_GAUGE, "", "busy segments")		\
	X(maxbusytag, U64, NBM_STAT_GAUGE, "",				\
	    "peak busy segments, decayed by the rehash")		\
	X(nfreetags, U64, NBM_STAT_GAUGE, "",				\
	    "boundary tags in the arena's reserve")			\
	X(nspans, U64, NBM_STAT_GAUGE, "", "spans, imported and static")\
	X(nimported, U64, NBM_STAT_GAUGE, "", "imported spans")		\
	X(nsegs_free, U64, NBM_STAT_GAUGE, "", "free segments")		\
	X(largest_free, U64, NBM_STAT_GAUGE, "bytes",			\
	    "largest free segment")					\
	X(freelist, U64V, NBM_STAT_GAUGE, "",				\
	    "free segments per freelist (power-of-two size class)")

struct nbm_vmem_stats {
	char	vs_name[NBM_STAT_NAME_MAX];	/* arena name */
#define NBM_X(n, t, k, u, d)	NBM_STAT_DECL_##t(vs_##n);
	NBM_VMEM_FIELDS(NBM_X)
#undef NBM_X
};

/*
 * extent maps (spec extent).  Addresses and amounts are in the extent's
 * own unit: bytes for memory maps, ports for I/O port maps.
 */
#define NBM_EXTENT_FIELDS(X)						\
	X(start, U64, NBM_STAT_GAUGE, "", "first address")		\
	X(end, U64, NBM_STAT_GAUGE, "", "last address (inclusive)")	\
	X(flags, U64, NBM_STAT_GAUGE, "flags", "EXF_* flags")		\
	X(nregions, U64, NBM_STAT_GAUGE, "", "allocated regions")	\
	X(allocated, U64, NBM_STAT_GAUGE, "", "amount allocated")	\
	X(largest_free, U64, NBM_STAT_GAUGE, "", "largest free gap")

struct nbm_extent_stats {
	char	es_name[NBM_STAT_NAME_MAX];	/* extent name */
#define NBM_X(n, t, k, u, d)	NBM_STAT_DECL_##t(es_##n);
	NBM_EXTENT_FIELDS(NBM_X)
#undef NBM_X
};

/*
 * Machine counters: the physical page counters (struct nbm_uvmexp), the
 * page daemon, uptime and interrupts.
 */
#define NBM_MACHINE_FIELDS(X)						\
	X(ncpu, U64, NBM_STAT_GAUGE, "", "CPUs")			\
	X(pagesize, U64, NBM_STAT_GAUGE, "bytes", "bytes per page")	\
	X(npages, U64, NBM_STAT_GAUGE, "pages", "managed physical pages")\
	X(free, U64, NBM_STAT_GAUGE, "pages", "free pages")		\
	X(wired, U64, NBM_STAT_GAUGE, "pages", "wired pages")		\
	X(kmempages, U64, NBM_STAT_GAUGE, "pages",			\
	    "pages behind kmem_arena and pools")			\
	X(kmapwired, U64, NBM_STAT_GAUGE, "pages",			\
	    "wired pages of uvm_km_alloc")				\
	X(pageable, U64, NBM_STAT_GAUGE, "pages",			\
	    "pages of pageable kernel memory")				\
	X(freemin, U64, NBM_STAT_GAUGE, "pages",			\
	    "page daemon wakes below this")				\
	X(freetarg, U64, NBM_STAT_GAUGE, "pages",			\
	    "page daemon frees up to this")				\
	X(pdwoke, U64, NBM_STAT_COUNTER, "", "page daemon wakeups")	\
	X(pdfreed, U64, NBM_STAT_COUNTER, "pages",			\
	    "pages reclaimed by the page daemon")			\
	X(faults, U64, NBM_STAT_COUNTER, "",				\
	    "demand-zero faults on pageable memory")			\
	X(uptime_ns, U64, NBM_STAT_COUNTER, "ns", "machine uptime")	\
	X(interrupts, U64, NBM_STAT_COUNTER, "",			\
	    "interrupts taken, all CPUs")

struct nbm_machine_stats {
#define NBM_X(n, t, k, u, d)	NBM_STAT_DECL_##t(ms_##n);
	NBM_MACHINE_FIELDS(NBM_X)
#undef NBM_X
};

/*
 * A snapshot of a machine's statistics.  st_size and st_version come
 * first and stay first in every version, so that a reader can tell which
 * layout it holds before it looks further.
 */
struct nbm_stats {
	size_t		st_size;	/* sizeof(struct nbm_stats) */
	uint32_t	st_version;	/* NBM_STATS_VERSION */
	struct nbm_machine_stats st_machine; /* machine counters */
	size_t		st_npools;	/* records in st_pools */
	struct pool_sysctl *st_pools;	/* kern.pool order */
	size_t		st_ncachecpu;	/* records in st_cachecpu */
	struct nbm_cachecpu_stats *st_cachecpu; /* by pool, then CPU */
	size_t		st_nvmem;	/* records in st_vmem */
	struct nbm_vmem_stats *st_vmem;	/* arenas, in creation order */
	size_t		st_nextent;	/* records in st_extent */
	struct nbm_extent_stats *st_extent; /* extents, in creation order */
};

struct nbm_machine;

/*
 * nbm_stats_snapshot: read every statistic of a machine into a new
 * snapshot.
 *
 * => the calling thread runs on a CPU of m (nbm_cpu_enter): the records
 *    are read under the allocators' own locks.
 * => each record is read at one instant under its object's lock, so each
 *    pool record satisfies nbm_pool_sysctl_check(); records of different
 *    objects are not from the same instant.
 * => the snapshot and its arrays live on the host heap, never in the
 *    machine's memory; the machine may go on running, or be shut down,
 *    while the snapshot is in use.
 * => returns 0 and the snapshot in *sp, ENOMEM when host memory ran out,
 *    ENXIO when the machine has panicked; *sp is untouched on error.
 */
int	nbm_stats_snapshot(struct nbm_machine *, struct nbm_stats **sp);

/*
 * nbm_stats_free: free a snapshot of nbm_stats_snapshot() and its arrays.
 * NULL is allowed.  Needs no machine and no CPU.
 */
void	nbm_stats_free(struct nbm_stats *);

/*
 * Field tables (subr_stats.c), one per record type, generated from the
 * lists above: the key name first (for records that have one), then the
 * list's fields in order.
 */
struct nbm_stat_field {
	const char	*sf_name;	/* field name, without prefix */
	const char	*sf_unit;	/* "", "bytes", "pages", ... */
	const char	*sf_descr;	/* one-line description */
	size_t		 sf_offset;	/* offsetof() in the record */
	size_t		 sf_size;	/* sizeof() the member */
	uint8_t		 sf_kind;	/* NBM_STAT_COUNTER, ... */
	uint8_t		 sf_type;	/* NBM_STAT_U64, ... */
};

extern const struct nbm_stat_field nbm_pool_fields[];
extern const size_t nbm_pool_nfields;
extern const struct nbm_stat_field nbm_cachecpu_fields[];
extern const size_t nbm_cachecpu_nfields;
extern const struct nbm_stat_field nbm_vmem_fields[];
extern const size_t nbm_vmem_nfields;
extern const struct nbm_stat_field nbm_extent_fields[];
extern const size_t nbm_extent_nfields;
extern const struct nbm_stat_field nbm_machine_fields[];
extern const size_t nbm_machine_nfields;

/*
 * The record types themselves, for code that handles all of them alike
 * (one SQLite table, one CSV file, one JSON array each).
 */
struct nbm_stat_record {
	const char	*sr_name;	/* "pool", "cachecpu", ... */
	const struct nbm_stat_field *sr_fields; /* its field table */
	size_t		 sr_nfields;	/* entries in sr_fields */
	size_t		 sr_size;	/* sizeof() the record */
};

extern const struct nbm_stat_record nbm_stat_records[];
extern const size_t nbm_stat_nrecords;

/*
 * nbm_stat_u64: value of a numeric field of rec; for U64V fields element
 * idx (idx is ignored otherwise).  I64 values come back as their two's
 * complement bits.  0 for an NBM_STAT_STR field or idx out of range.
 */
uint64_t nbm_stat_u64(const struct nbm_stat_field *, const void *rec,
	    size_t idx);

/*
 * nbm_stat_format: the value of a field of rec as text into buf, like
 * snprintf: decimal for numbers (hex with 0x for unit "flags"), the name
 * for strings (up to sf_size bytes, so that a record that is not
 * NUL-terminated is still read safely), comma-separated values for U64V.
 * => returns the length of the whole text, which may be >= len.
 */
int	nbm_stat_format(const struct nbm_stat_field *, const void *rec,
	    char *buf, size_t len);

/*
 * nbm_pool_sysctl_check: the invariants of a pool record read at a
 * quiescent point (spec 4.1):
 *	nget - nput = nout
 *	npages * itemsperpage = nitems + nout
 *	npagealloc - npagefree = npages
 *	0 <= nidle <= npages
 *	hiwat >= npages
 * and a NUL-terminated pr_wchan.  The sixth invariant of 4.1, nitems = 0
 * iff the pool has no current page, needs the pool itself: the record does
 * not say whether there is a current page, so it is not checked here.
 * => returns true when all hold; otherwise false, with the first broken
 *    invariant and its values in why (if why != NULL), e.g.
 *    "kmem-00016: nget 10 - nput 3 != nout 6".
 */
bool	nbm_pool_sysctl_check(const struct pool_sysctl *, char *why,
	    size_t len);

#endif /* NBMEM_STATS_H */
