/*
 * nbmem/vmem_impl.h: the structures of vmem(9) arenas and boundary tags.
 *
 * As NetBSD's sys/sys/vmem_impl.h (1.7), this header is public so that
 * code can give vmem_init() its own storage for an arena (the boot arenas
 * do) and vmem_add_bts() its own array of boundary tags (VM_PRIVTAGS
 * arenas, usable before any allocator is up).  Everything else should treat
 * vmem_t as opaque and use the functions of <nbmem/vmem.h>.
 *
 * An arena is a list of boundary tags in segment-list order: each span tag
 * (BT_TYPE_SPAN for imported spans, BT_TYPE_SPAN_STATIC for vmem_add()ed
 * ones) is followed by the BUSY and FREE segments that tile it, in address
 * order.  Spans are appended in the order they arrive, so the list as a whole
 * is not sorted.  FREE tags also sit on one of VMEM_MAXORDER power-of-two
 * freelists; BUSY tags sit in a hash on their start address.
 *
 * Field names are NetBSD's; the fields after the "nbmem" comment are
 * nbmem's own (accounting for the statistics layer, the owning machine).
 */
#ifndef NBMEM_VMEM_IMPL_H
#define NBMEM_VMEM_IMPL_H

#include <limits.h>

#include <nbmem/types.h>
#include <nbmem/mutex.h>
#include <nbmem/nbm_list.h>
#include <nbmem/pool.h>
#include <nbmem/vmem.h>

struct nbm_machine;

#define VMEM_MAXORDER		(sizeof(vmem_size_t) * CHAR_BIT)
#define VMEM_NAME_MAX		16	/* longer names are truncated */
#define VMEM_QCACHE_IDX_MAX	16	/* quantum caches: 1..16 quanta */

/*
 * VMEM_EST_BTCOUNT: boundary tags a VM_PRIVTAGS arena needs for ns spans
 * and na simultaneous allocations.  Worst case: a span tag and a free tag
 * per span, a busy tag and a free fragment per allocation, plus the 4-tag
 * reserve (BT_MINRESERVE in subr_vmem.c) that bt_alloc() leaves untouched.
 * NetBSD's callers use VMEM_EST_BTCOUNT(1, 8) and (2, 8); the exact text of
 * NetBSD's macro was not available (spec appendix A), so this one is
 * derived from the worst case of this implementation.
 */
#define VMEM_EST_BTCOUNT(ns, na)	(((ns) * 2) + ((na) * 2) + 4)

#define QC_NAME_MAX		16	/* "<arena>-<size>", truncated */

typedef struct vmem_btag bt_t;

/*
 * A quantum cache: the pool cache of one size (or of several sizes with
 * the same items per pool page, which share the largest one's cache).
 */
struct qcache {
	pool_cache_t	 qc_cache;	/* items of the size, quantum aligned */
	struct vmem	*qc_vmem;	/* the arena its pool pages come from */
	char		 qc_name[QC_NAME_MAX]; /* its wchan, "<arena>-<size>" */
};
typedef struct qcache qcache_t;
#define QC_POOL_TO_QCACHE(pool)	((qcache_t *)((pool)->pr_qcache))

NBM_TAILQ_HEAD(vmem_seglist, vmem_btag);
NBM_LIST_HEAD(vmem_freelist, vmem_btag);
NBM_LIST_HEAD(vmem_hashlist, vmem_btag);

/* vmem arena */
struct vmem {
	kcondvar_t	 vm_cv;		/* "vmem": broadcast by every free */
	kmutex_t	 vm_lock;	/* at the arena's ipl */
	char		 vm_lockpad[64 - sizeof(kmutex_t)]; /* own cache line */
	vm_flag_t	 vm_flags;	/* VM_* given at create time */
	vmem_import_t	*vm_importfn;	/* import (vmem_ximport_t if
					   VM_XIMPORT), or NULL */
	vmem_release_t	*vm_releasefn;	/* gives imported spans back */
	size_t		 vm_nfreetags;	/* tags in vm_freetags */
	NBM_LIST_HEAD(, vmem_btag) vm_freetags; /* the arena's tag cache */
	void		*vm_arg;	/* first argument of import/release */
	struct vmem_seglist vm_seglist;	/* spans and their segments */
	struct vmem_freelist vm_freelist[VMEM_MAXORDER]; /* FREE tags; list n
					   holds 2^n..2^(n+1)-1 quanta */
	size_t		 vm_hashsize;	/* buckets, a power of 2 */
	size_t		 vm_hashmask;	/* vm_hashsize - 1 */
	size_t		 vm_nbusytag;	/* BUSY tags */
	size_t		 vm_maxbusytag;	/* peak of vm_nbusytag, decays at
					   rehash */
	struct vmem_hashlist *vm_hashlist; /* BUSY tags by start address */
	struct vmem_hashlist vm_hash0;	/* the initial one-bucket table */
	size_t		 vm_quantum_mask; /* quantum - 1 */
	int		 vm_quantum_shift; /* log2(quantum) */
	size_t		 vm_size;	/* bytes in all spans */
	size_t		 vm_inuse;	/* bytes in BUSY segments */
	char		 vm_name[VMEM_NAME_MAX + 1]; /* name, NUL-terminated */
	NBM_LIST_ENTRY(vmem) vm_alllist; /* the machine's vmem_list */
	size_t		 vm_qcache_max;	/* largest quantum-cached size */
	struct pool_allocator vm_qcache_allocator; /* pool pages of the
					   quantum caches, from this arena */
	qcache_t	 vm_qcache_store[VMEM_QCACHE_IDX_MAX]; /* one per size */
	qcache_t	*vm_qcache[VMEM_QCACHE_IDX_MAX]; /* cache of (index + 1)
					   quanta; aliases share a cache */

	/* nbmem */
	struct nbm_machine *vm_machine;	/* machine whose list holds it */
	int		 vm_ipl;	/* ipl given at create time */
	bool		 vm_alloced;	/* struct kmem_alloc()ed by vmem_init */
	size_t		 vm_nspans;	/* span tags, static and imported */
	size_t		 vm_nimported;	/* BT_TYPE_SPAN tags */
	size_t		 vm_nfreeseg[VMEM_MAXORDER]; /* tags on each freelist */
};

/* boundary tag */
struct vmem_btag {
	NBM_TAILQ_ENTRY(vmem_btag) bt_seglist; /* vm_seglist */
	union {
		NBM_LIST_ENTRY(vmem_btag) u_freelist; /* FREE; tag cache */
		NBM_LIST_ENTRY(vmem_btag) u_hashlist; /* BUSY */
	} bt_u;
#define bt_hashlist	bt_u.u_hashlist
#define bt_freelist	bt_u.u_freelist
	vmem_addr_t	 bt_start;	/* first address */
	vmem_size_t	 bt_size;	/* bytes, a multiple of the quantum */
	short		 bt_type;	/* BT_TYPE_* */
	short		 bt_flags;	/* BT_F_* */
};

#define BT_TYPE_SPAN		1	/* imported span */
#define BT_TYPE_SPAN_STATIC	2	/* vmem_add()ed or initial span */
#define BT_TYPE_FREE		3	/* free segment */
#define BT_TYPE_BUSY		4	/* allocated segment */
#define BT_ISSPAN_P(bt)		((bt)->bt_type <= BT_TYPE_SPAN_STATIC)

#define BT_END(bt)		((bt)->bt_start + (bt)->bt_size - 1)

#define BT_F_PRIVATE		0x0001	/* vmem_add_bts() storage: never
					   returned to the tag store */

/*
 * nbm_vmem_stat: one arena's figures, as nbm_vmem_getstat() reads them
 * under the arena lock.  Sizes are in bytes (units of the arena's space).
 */
struct nbm_vmem_stat {
	char		vs_name[VMEM_NAME_MAX + 1]; /* arena name */
	uint64_t	vs_quantum;	/* quantum */
	uint64_t	vs_qcache_max;	/* vm_qcache_max */
	uint64_t	vs_size;	/* vmem_size(VMEM_ALLOC|VMEM_FREE) */
	uint64_t	vs_inuse;	/* vmem_size(VMEM_ALLOC) */
	uint64_t	vs_nbusytag;	/* allocated segments */
	uint64_t	vs_maxbusytag;	/* vm_maxbusytag */
	uint64_t	vs_nfreetags;	/* tags in the arena's tag cache */
	uint64_t	vs_hashsize;	/* busy-tag hash buckets */
	uint64_t	vs_nspans;	/* spans, static and imported */
	uint64_t	vs_nimported;	/* imported spans */
	uint64_t	vs_nsegs_free;	/* free segments */
	uint64_t	vs_largest_free; /* largest free segment */
	uint64_t	vs_freelist[VMEM_MAXORDER]; /* free segments by order */
};

#endif /* NBMEM_VMEM_IMPL_H */
