/*
 * nbmem/pool.h: pool(9), the fixed-size item allocator, and pool_cache(9),
 * the constructed-object cache with a per-CPU layer on top of it.
 *
 * A pool hands out items of one size from pages it takes from a back-end
 * allocator; each page carries a header (inside the page for small items,
 * from an internal header pool otherwise) that tracks its free items in a
 * list threaded through them or in a bitmap.  A pool cache keeps freed,
 * still constructed objects in groups of 15 (or 63) per CPU and in global
 * lists, so that most gets and puts touch neither the pool nor a lock.
 *
 * Names, flags, values, structure fields and signatures are NetBSD's
 * (sys/sys/pool.h 1.96, behaviour of sys/kern/subr_pool.c 1.284); see
 * libnbmem/subr_pool.c for the algorithms and what this implementation
 * changes on purpose.  Two things differ from a kernel:
 *  - every machine has its own standard allocators; pool_allocator_kmem,
 *    pool_allocator_nointr and pool_allocator_meta name those of the
 *    calling thread's machine, so &pool_allocator_kmem works as usual;
 *  - a struct pool_allocator of the caller's is bound to the machine of the
 *    first pool that uses it until the last such pool is destroyed.
 */
#ifndef NBMEM_POOL_H
#define NBMEM_POOL_H

#include <sys/time.h>

#include <nbmem/types.h>
#include <nbmem/mutex.h>
#include <nbmem/machine.h>

#define POOL_PADDR_INVALID	((paddr_t)-1)

struct pool;
struct pool_item;
struct pool_item_header;
struct pool_cache;
struct cpu_info;

/*
 * Back-end page allocator.  pa_pagesz 0 means the machine's PAGE_SIZE,
 * filled in when the first pool is initialised with it.
 */
struct pool_allocator {
	void		*(*pa_alloc)(struct pool *, int); /* get a page */
	void		(*pa_free)(struct pool *, void *); /* give one back */
	unsigned int	pa_pagesz;	/* page size, power of two */

	/* The following fields are for internal use only. */
	kmutex_t	pa_lock;	/* protects pa_list */
	struct {
		struct pool	*tqh_first;
		struct pool	**tqh_last;
	}		pa_list;	/* pools using this allocator */
	uint32_t	pa_refcnt;	/* number of those pools */
	int		pa_pagemask;	/* ~(pa_pagesz - 1) */
	int		pa_pageshift;	/* log2(pa_pagesz) */
};

/* A list of page headers (pr_emptypages, ...). */
struct pool_pagelist {
	struct pool_item_header *lh_first; /* first page */
};

/* Off-page headers, by page address: a splay tree. */
struct phtree {
	struct pool_item_header *sph_root; /* root of the tree */
};

struct pool {
	struct {
		struct pool	*tqe_next;
		struct pool	**tqe_prev;
	}		pr_poollist;	/* on the machine's pool list */
	struct pool_pagelist
			pr_emptypages;	/* Empty pages */
	struct pool_pagelist
			pr_fullpages;	/* Full pages */
	struct pool_pagelist
			pr_partpages;	/* Partially-allocated pages */
	struct pool_item_header	*pr_curpage; /* page the next get uses */
	struct pool	*pr_phpool;	/* Pool item header pool */
	struct pool_cache *pr_cache;	/* Cache for this pool */
	unsigned int	pr_size;	/* Size of item */
	unsigned int	pr_align;	/* Requested alignment, must be 2^n */
	unsigned int	pr_itemoffset;	/* offset of the item space */
	unsigned int	pr_minitems;	/* minimum # of free items to keep */
	unsigned int	pr_maxitems;	/* maximum # of free items to keep */
	unsigned int	pr_minpages;	/* minimum # of pages to keep */
	unsigned int	pr_maxpages;	/* maximum # of pages to keep */
	unsigned int	pr_npages;	/* # of pages allocated */
	unsigned int	pr_itemsperpage;/* # items that fit in a page */
	unsigned int	pr_poolid;	/* id of the pool */
	unsigned int	pr_nitems;	/* number of free items in pool */
	unsigned int	pr_nout;	/* # items currently allocated */
	unsigned int	pr_hardlimit;	/* hard limit to number of allocated
					   items */
	unsigned int	pr_refcnt;	/* ref count for pagedaemon, etc */
	struct pool_allocator *pr_alloc;/* back-end allocator */
	struct {
		struct pool	*tqe_next;
		struct pool	**tqe_prev;
	}		pr_alloc_list;	/* link on allocator's pool list */

	/* Drain hook. */
	void		(*pr_drain_hook)(void *, int); /* called for memory */
	void		*pr_drain_hook_arg; /* its argument */

	const char	*pr_wchan;	/* tsleep(9) identifier */
	unsigned int	pr_flags;	/* r/w flags */
	unsigned int	pr_roflags;	/* r/o flags */
#define PR_WAITOK	0x01	/* Note: matches KM_SLEEP */
#define PR_NOWAIT	0x02	/* Note: matches KM_NOSLEEP */
#define PR_WANTED	0x04	/* waiting for free objects */
#define PR_PHINPAGE	0x40	/* page header in page */
#define PR_LIMITFAIL	0x100	/* even if waiting, fail if we hit limit */
#define PR_RECURSIVE	0x200	/* pool contains pools, for vmstat(8) */
#define PR_NOTOUCH	0x400	/* don't use free items to keep internal state*/
#define PR_NOALIGN	0x800	/* don't assume backend alignment */
#define PR_LARGECACHE	0x1000	/* use large cache groups */
#define PR_GROWING	0x2000	/* pool_grow in progress */
#define PR_GROWINGNOWAIT 0x4000	/* pool_grow in progress by PR_NOWAIT alloc */
#define PR_ZERO		0x8000	/* zero data before returning */
#define PR_USEBMAP	0x10000	/* use a bitmap to manage freed items */
#define PR_PSERIALIZE	0x20000	/* needs pserialize sync point before free */
	bool		pr_redzone;	/* POOL_REDZONE active (next to
					   pr_roflags: read on every put) */
	bool		pr_checkmagic;	/* POOL_CHECK_MAGIC (DIAGNOSTIC) */

	/*
	 * `pr_lock' protects the pool's data structures and its r/w fields.
	 * Back-end page allocators are called with it released when the
	 * caller may sleep.
	 */
	kmutex_t	pr_lock;	/* at pr_ipl */
	kcondvar_t	pr_cv;		/* hard limit and grow waits */
	int		pr_ipl;		/* highest IPL it is used at */

	struct phtree	pr_phtree;	/* off-page headers */

	int		pr_maxcolor;	/* Cache colouring */
	int		pr_curcolor;	/* colour of the next page */
	int		pr_phoffset;	/* unused */

	/*
	 * Warning message to be issued, and a per-time-delta rate cap,
	 * if the hard limit is reached.
	 */
	const char	*pr_hardlimit_warning; /* message, or NULL */
	struct timeval	pr_hardlimit_ratecap; /* at most one per this */
	struct timeval	pr_hardlimit_warning_last; /* uptime of the last */

	/*
	 * Instrumentation
	 */
	unsigned long	pr_nget;	/* # of successful requests */
	unsigned long	pr_nfail;	/* # of unsuccessful requests */
	unsigned long	pr_nput;	/* # of releases */
	unsigned long	pr_npagealloc;	/* # of pages allocated */
	unsigned long	pr_npagefree;	/* # of pages released */
	unsigned int	pr_hiwat;	/* max # of pages in pool */
	unsigned long	pr_nidle;	/* # of idle pages */

	/*
	 * Diagnostic aides.
	 */
	void		*pr_freecheck;	/* unused (FREECHECK) */
	void		*pr_qcache;	/* vmem quantum cache, if any */
	size_t		pr_reqsize;	/* size asked for at init */
	size_t		pr_reqsize_with_redzone; /* and with the redzone */
	struct nbm_machine *pr_machine;	/* machine it belongs to */
};

/*
 * Cache group sizes (LP64).  All groups are aligned to COHERENCY_UNIT.
 */
#define PCG_NOBJECTS_NORMAL	15	/* 256 byte group */
#define PCG_NOBJECTS_LARGE	63	/* 1024 byte group */

typedef struct pcgpair {
	void	*pcgo_va;		/* object virtual address */
	paddr_t	pcgo_pa;		/* object physical address */
} pcgpair_t;

/* The pool cache group. */
typedef struct pool_cache_group {
	struct pool_cache_group	*pcg_next;	/* link to next group */
	u_int			pcg_avail;	/* # available objects */
	u_int			pcg_size;	/* max number objects */
	pcgpair_t		pcg_objects[];	/* the objects */
} pcg_t;

/*
 * Pool cache CPU.  Sized to 64 bytes on LP64.  The counters are written by
 * the owning CPU only, and read by statistics readers as relaxed atomics.
 */
typedef struct pool_cache_cpu {
	struct pool_cache_group	*cc_current;	/* group used first */
	struct pool_cache_group	*cc_previous;	/* the other one */
	pcg_t			**cc_pcgcache;	/* shared empty groups */
	uint64_t		cc_misses;	/* slow path entries */
	uint64_t		cc_hits;	/* fast path operations */
	uint64_t		cc_pcmisses;	/* slow paths to the pool */
	uint64_t		cc_contended;	/* group list back-offs */
	uint32_t		cc_nfull;	/* full groups pushed-popped */
	uint32_t		cc_npart;	/* partial groups pushed */
} pool_cache_cpu_t;

struct pool_cache {
	/* Pool layer. */
	struct pool	pc_pool;	/* the pool under the cache */

	/* Cache layer. */
	struct {
		struct pool_cache	*tqe_next;
		struct pool_cache	**tqe_prev;
	}		pc_cachelist;	/* entry on global cache list */
	struct pool	*pc_pcgpool;	/* Pool of cache groups */
	pcg_t		**pc_pcgcache;	/* list of empty cache groups */
	int		pc_pcgsize;	/* Use large cache groups? */
	int		pc_ncpu;	/* number cpus set up */
	int		(*pc_ctor)(void *, void *, int); /* constructor */
	void		(*pc_dtor)(void *, void *); /* destructor */
	void		*pc_arg;	/* for ctor/dtor */
	unsigned int	pc_refcnt;	/* ref count for pagedaemon, etc */
	unsigned int	pc_roflags;	/* r/o cache flags */
	uintptr_t	pc_cpus[NBM_NCPU_MAX + 1]; /* pool_cache_cpu_t * of
					   each CPU, with transfer bits (see
					   subr_pool_cache.c); one more slot,
					   without state, for an observer */

	/* Diagnostic aides. */
	void		*pc_freecheck;	/* unused (FREECHECK) */
	bool		pc_redzone;	/* pool has a redzone */
	size_t		pc_reqsize;	/* size asked for at init */

	/* Hot items. */
	_Alignas(64) pcg_t *pc_fullgroups; /* list of full cache groups */
	pcg_t		*pc_partgroups;	/* groups for reclamation */

	/* Boot cpu. */
	_Alignas(64) pool_cache_cpu_t pc_cpu0; /* state of the first CPU */
};

typedef struct pool_cache *pool_cache_t;

/*
 * The standard allocators of the calling thread's machine.
 * pool_allocator_kmem is the default that all pools get unless otherwise
 * specified; pool_allocator_nointr is for pools never used in interrupt
 * context; pool_allocator_meta takes its pages from kmem_meta_arena.
 */
struct pool_allocator *nbm_pool_allocator_kmem(void);
struct pool_allocator *nbm_pool_allocator_nointr(void);
struct pool_allocator *nbm_pool_allocator_meta(void);
#define pool_allocator_kmem	(*nbm_pool_allocator_kmem())
#define pool_allocator_nointr	(*nbm_pool_allocator_nointr())
#define pool_allocator_meta	(*nbm_pool_allocator_meta())

void		pool_subsystem_init(void);

void		pool_init(struct pool *, size_t, u_int, u_int,
		    int, const char *, struct pool_allocator *, int);
void		pool_destroy(struct pool *);

void		pool_set_drain_hook(struct pool *,
		    void (*)(void *, int), void *);

void		*pool_get(struct pool *, int);
void		pool_put(struct pool *, void *);
int		pool_reclaim(struct pool *);

void		pool_prime(struct pool *, int);
void		pool_setlowat(struct pool *, int);
void		pool_sethiwat(struct pool *, int);
void		pool_sethardlimit(struct pool *, int, const char *, int);
bool		pool_drain(struct pool **);
int		pool_totalpages(void);
int		pool_totalpages_locked(void);

unsigned int	pool_nget(struct pool *);
unsigned int	pool_nput(struct pool *);

/*
 * Debugging and diagnostic aides (DDB show pool, show all pools, whatis).
 */
void		pool_printit(struct pool *, const char *,
		    void (*)(const char *, ...));
void		pool_printall(const char *, void (*)(const char *, ...));
int		pool_chk(struct pool *, const char *);
void		pool_whatis(uintptr_t, void (*)(const char *, ...));

/*
 * Pool cache routines.
 */
pool_cache_t	pool_cache_init(size_t, u_int, u_int, u_int, const char *,
		    struct pool_allocator *, int, int (*)(void *, void *, int),
		    void (*)(void *, void *), void *);
void		pool_cache_bootstrap(pool_cache_t, size_t, u_int, u_int, u_int,
		    const char *, struct pool_allocator *, int,
		    int (*)(void *, void *, int), void (*)(void *, void *),
		    void *);
void		pool_cache_destroy(pool_cache_t);
void		pool_cache_bootstrap_destroy(pool_cache_t);
void		*pool_cache_get_paddr(pool_cache_t, int, paddr_t *);
void		pool_cache_put_paddr(pool_cache_t, void *, paddr_t);
void		pool_cache_destruct_object(pool_cache_t, void *);
void		pool_cache_invalidate(pool_cache_t);
bool		pool_cache_reclaim(pool_cache_t);
void		pool_cache_set_drain_hook(pool_cache_t,
		    void (*)(void *, int), void *);
void		pool_cache_setlowat(pool_cache_t, int);
void		pool_cache_sethiwat(pool_cache_t, int);
void		pool_cache_sethardlimit(pool_cache_t, int, const char *, int);
void		pool_cache_prime(pool_cache_t, int);
void		pool_cache_cpu_init(struct cpu_info *);

unsigned int	pool_cache_nget(pool_cache_t);
unsigned int	pool_cache_nput(pool_cache_t);

#define		pool_cache_get(pc, f) pool_cache_get_paddr((pc), (f), NULL)
#define		pool_cache_put(pc, o) pool_cache_put_paddr((pc), (o), \
				          POOL_PADDR_INVALID)

#endif /* NBMEM_POOL_H */
