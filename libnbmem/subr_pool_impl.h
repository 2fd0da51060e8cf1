/*
 * subr_pool_impl.h: what subr_pool.c (pools) and subr_pool_cache.c (pool
 * caches) share and nothing else sees: the page header, the per-machine
 * pool state, the per-CPU slot encoding of the cache protocol described
 * at the top of subr_pool.c, and the functions one file calls in the other.
 */
#ifndef SUBR_POOL_IMPL_H
#define SUBR_POOL_IMPL_H

#include <sched.h>

#include "nbm_impl.h"

/* Private pools for page header structures (spec 1.3). */
#define PHPOOL_MAX	8
#define PHPOOL_FREELIST_NELEM(idx) \
	(((idx) == 0) ? BITMAP_MIN_SIZE : BITMAP_SIZE * (1 << (idx)))

typedef uint32_t pool_item_bitmap_t;
#define BITMAP_SIZE	(CHAR_BIT * sizeof(pool_item_bitmap_t))
#define BITMAP_MASK	(BITMAP_SIZE - 1)
#define BITMAP_MIN_SIZE	\
	(CHAR_BIT * sizeof(((struct pool_item_header *)NULL)->ph_u2))

struct pool_item {
	LIST_ENTRY(pool_item)	pi_list;	/* free list link */
};

struct pool_item_header {
	LIST_ENTRY(pool_item_header)
				ph_pagelist;	/* pool page list */
	union {
		struct {			/* !PR_PHINPAGE: splay node */
			struct pool_item_header *phu_left; /* lower pages */
			struct pool_item_header *phu_right; /* higher pages */
		} phu_offpage;
		struct {			/* PR_PHINPAGE */
			unsigned int	phu_poolid; /* owning pool */
		} phu_onpage;
	} ph_u1;
	void			*ph_page;	/* this page's address */
	uint32_t		ph_time;	/* last referenced */
	uint16_t		ph_nmissing;	/* # of chunks in use */
	uint16_t		ph_off;		/* start offset in page */
	union {
		LIST_HEAD(, pool_item) phu_itemlist; /* free items */
		pool_item_bitmap_t phu_bitmap[2]; /* start of the bitmap */
	} ph_u2;
};
#define ph_left		ph_u1.phu_offpage.phu_left
#define ph_right	ph_u1.phu_offpage.phu_right
#define ph_poolid	ph_u1.phu_onpage.phu_poolid
#define ph_itemlist	ph_u2.phu_itemlist

#define PHSIZE	ALIGN(sizeof(struct pool_item_header))

CTASSERT(sizeof(struct pool_item_header) == 56);
CTASSERT(offsetof(struct pool_item_header, ph_u2) == 48);
CTASSERT(offsetof(struct pool_item_header, ph_u2) + BITMAP_MIN_SIZE /
    CHAR_BIT == sizeof(struct pool_item_header));

#define POOL_ALLOCATOR_BIG_BASE	13
#define POOL_ALLOCATOR_BIG_N	12

#define SPINLOCK_BACKOFF_MIN	4
#define SPINLOCK_BACKOFF_MAX	128

/* Per-CPU slot bits in pc_cpus[] (see subr_pool.c). */
#define PC_CPU_XFER		((uintptr_t)0x1)
#define PC_CPU_BUSY		((uintptr_t)0x2)
#define PC_CPU_CHECK		((uintptr_t)0x4)
#define PC_CPU_FLAGS		((uintptr_t)0x7)
#define PC_CPU_PTR(w)		((pool_cache_cpu_t *)((w) & ~PC_CPU_FLAGS))

/* zero sized: always empty, yet always full (subr_pool_cache.c) */
extern const pcg_t pcg_dummy;
#define PCG_DUMMY		((pcg_t *)(uintptr_t)&pcg_dummy)

CTASSERT(sizeof(pool_cache_cpu_t) == 64);
CTASSERT(offsetof(pcg_t, pcg_objects) +
    PCG_NOBJECTS_NORMAL * sizeof(pcgpair_t) == 256);
CTASSERT(offsetof(pcg_t, pcg_objects) +
    PCG_NOBJECTS_LARGE * sizeof(pcgpair_t) == 1024);

/*
 * Per-machine pool state (m->m_pool).
 */
struct nbm_pool_state {
	kmutex_t	ps_head_lock;	/* pool_head_lock: lists, drainpp */
	kcondvar_t	ps_busy;	/* pool_busy: refcnt drops */
	kmutex_t	ps_allocator_lock; /* allocator initialisation */
	TAILQ_HEAD(, pool) ps_pool_head; /* all pools, by wchan */
	TAILQ_HEAD(, pool_cache) ps_cache_head; /* all caches, by wchan */
	struct pool	*ps_drainpp;	/* next candidate for pool_drain */
	unsigned int	ps_poolid_counter; /* last pr_poolid given */
	int		ps_cache_disable; /* pool_cache_disable */
	struct pool	ps_phpool[PHPOOL_MAX]; /* page header pools */
	char		ps_phpool_names[PHPOOL_MAX][16]; /* "phpool-N" */
	struct pool	ps_pcg_normal_pool; /* "pcgnormal" */
	struct pool	ps_pcg_large_pool; /* "pcglarge" */
	struct pool	ps_cache_pool;	/* "pcache" */
	struct pool	ps_cache_cpu_pool; /* "pcachecpu" */
	struct pool_allocator ps_allocator_kmem; /* pool_allocator_kmem */
	struct pool_allocator ps_allocator_nointr; /* pool_allocator_nointr */
	struct pool_allocator ps_allocator_meta; /* pool_allocator_meta */
	struct pool_allocator ps_allocator_big[POOL_ALLOCATOR_BIG_N];
					/* 8 KiB .. 16 MiB pages */
	_Alignas(COHERENCY_UNIT) pcg_t *ps_pcg_normal_cache;
					/* empty 15-object groups */
	_Alignas(COHERENCY_UNIT) pcg_t *ps_pcg_large_cache;
					/* empty 63-object groups */
};

/*
 * Per-CPU cache counters: written only by the slot's owner, read by the
 * statistics code on other CPUs, hence relaxed atomics (plain moves on x86).
 */
#define CC_LOAD(cc, f)	__atomic_load_n(&(cc)->f, __ATOMIC_RELAXED)
#define CC_ADD(cc, f, n)						\
	__atomic_store_n(&(cc)->f, CC_LOAD(cc, f) + (n), __ATOMIC_RELAXED)
/*
 * cc_nfull and cc_npart are also changed by an invalidating observer on
 * CPU 0's behalf: read-modify-write (they change on slow paths only).
 */
#define CC_ADD_ATOMIC(cc, f, n)						\
	(void)__atomic_fetch_add(&(cc)->f, (n), __ATOMIC_RELAXED)

static inline void
pool_backoff(int *count)
{
	int i;

	for (i = *count; i > 0; i--)
		__builtin_ia32_pause();
	if (*count < SPINLOCK_BACKOFF_MAX)
		*count += *count;
	else
		sched_yield();	/* the other side may share our host core */
}

#define POOL_OBJ_TO_PAGE(pp, v)						\
	(void *)((uintptr_t)(v) &					\
	    (uintptr_t)(intptr_t)(pp)->pr_alloc->pa_pagemask)

/*
 * pr_phinpage_check: item `object' of an on-page pool, in `page' whose
 * header is ph, must lie in this pool's item space (spec 1.11).
 */
static inline void
pr_phinpage_check(struct pool *pp, struct pool_item_header *ph, void *page,
    void *object)
{

	if (__predict_false((void *)ph->ph_page != page)) {
		panic("%s: [%s] item %p not part of pool", "pr_phinpage_check",
		    pp->pr_wchan, object);
	}
	if (__predict_false((char *)object < (char *)page + ph->ph_off)) {
		panic("%s: [%s] item %p below item space", "pr_phinpage_check",
		    pp->pr_wchan, object);
	}
	if (__predict_false(ph->ph_poolid != pp->pr_poolid)) {
		panic("%s: [%s] item %p poolid %u != %u", "pr_phinpage_check",
		    pp->pr_wchan, object, ph->ph_poolid, pp->pr_poolid);
	}
}

static inline void
pc_phinpage_check(pool_cache_t pc, void *object)
{
	struct pool *pp = &pc->pc_pool;
	void *page = POOL_OBJ_TO_PAGE(pp, object);

	pr_phinpage_check(pp, page, page, object);
}

struct nbm_pool_state *pool_state_create(struct nbm_machine *);

/* The pool state of machine m, created on first use. */
static inline struct nbm_pool_state *
pool_state_of(struct nbm_machine *m)
{
	struct nbm_pool_state *ps;

	ps = __atomic_load_n(&m->m_pool, __ATOMIC_ACQUIRE);
	if (__predict_false(ps == NULL))
		ps = pool_state_create(m);
	return ps;
}

#define pool_state()	pool_state_of(NBM_CURMACHINE())

/*
 * The pool_cache(9) fast paths, for subr_pool_cache.c and for kmem(9),
 * which has the calling CPU at hand already (see the top of
 * subr_pool_cache.c for the per-CPU protocol).
 */
void	*pool_cache_get_checked(pool_cache_t, int, paddr_t *);
void	*pool_cache_get_general(pool_cache_t, struct cpu_info *, int, int,
	    paddr_t *);
void	*pool_cache_get_intr(struct cpu_info *, int, void *);
void	pool_cache_intr(struct cpu_info *, int);
void	pool_cache_put_checked(pool_cache_t, void *, paddr_t);
void	pool_cache_put_general(pool_cache_t, struct cpu_info *, int, void *,
	    paddr_t);

/*
 * pcg_pop, pcg_push: take the last object of a group that has one, or
 * append one to a group that has room (LIFO), with its physical address.
 */
static inline void *
pcg_pop(pcg_t *pcg, paddr_t *pap)
{
	void *object;

	object = pcg->pcg_objects[--pcg->pcg_avail].pcgo_va;
	if (__predict_false(pap != NULL))
		*pap = pcg->pcg_objects[pcg->pcg_avail].pcgo_pa;
	return object;
}

static inline void
pcg_push(pcg_t *pcg, void *object, paddr_t pa)
{

	pcg->pcg_objects[pcg->pcg_avail].pcgo_va = object;
	pcg->pcg_objects[pcg->pcg_avail].pcgo_pa = pa;
	pcg->pcg_avail++;
}

/*
 * pool_splraise_vm: splraise_inline(ci, IPL_VM) for the fast paths, with a
 * conditional move where splraise_inline() branches: it stores the higher
 * of the current level and IPL_VM, which leaves a higher level as it was.
 */
static __always_inline int
pool_splraise_vm(struct cpu_info *ci)
{
	int s = ci->ci_ilevel;

	ci->ci_ilevel = s > IPL_VM ? s : IPL_VM;
	atomic_signal_fence(memory_order_seq_cst);
	return s;
}

/*
 * pool_splx_pending: splx_inline(ci, s) for the fast paths, up to its test
 * for interrupts that level s lets through, which is cut down to "anything
 * pending at all?" (usually not).  If so the caller ends with a tail call
 * to pool_cache_intr(), which looks closer.
 */
static __always_inline bool
pool_splx_pending(struct cpu_info *ci, int s)
{

	atomic_signal_fence(memory_order_seq_cst);
	ci->ci_ilevel = s;
	atomic_signal_fence(memory_order_seq_cst);
	return __atomic_load_n(&ci->ci_ipending, __ATOMIC_RELAXED) != 0;
}

/*
 * pool_cache_get_pop: the fast path of pool_cache_get_paddr on ci, the
 * calling thread's CPU, once the caller has checked the context and the
 * flags: with a slot word without flag bits and an object in the current
 * group, pop it at IPL_VM; else the general path, from IPL_VM.
 *
 * Every call out of here is a tail call, so that the fast path saves no
 * registers; that is also why spl is done by pool_splraise_vm() and
 * pool_splx_pending() rather than splraise_inline() and splx_inline().
 */
static __always_inline void *
pool_cache_get_pop(pool_cache_t pc, struct cpu_info *ci, int flags,
    paddr_t *pap)
{
	pool_cache_cpu_t *cc;
	pcg_t *pcg;
	uintptr_t w;
	void *object;
	int s;

	s = pool_splraise_vm(ci);
	w = __atomic_load_n(&pc->pc_cpus[ci->ci_index], __ATOMIC_SEQ_CST);
	if (__predict_false((w & PC_CPU_FLAGS) != 0))
		return pool_cache_get_general(pc, ci, s, flags, pap);
	cc = (pool_cache_cpu_t *)w;
	pcg = cc->cc_current;
	if (__predict_false(pcg->pcg_avail == 0))
		return pool_cache_get_general(pc, ci, s, flags, pap);
	object = pcg_pop(pcg, pap);
	CC_ADD(cc, cc_hits, 1);
	if (__predict_false(pool_splx_pending(ci, s)))
		return pool_cache_get_intr(ci, s, object);
	return object;
}

/*
 * pool_cache_get_cpu: pool_cache_get_paddr on ci, the calling thread's
 * CPU: the fast path in thread context with valid flags (no PR_WAITOK at
 * raised IPL), the checked path for the rest.
 */
static __always_inline void *
pool_cache_get_cpu(pool_cache_t pc, struct cpu_info *ci, int flags,
    paddr_t *pap)
{
	int f = flags & (PR_WAITOK | PR_NOWAIT);

	if (__predict_false(ci->ci_idepth >= 0 || ci->ci_sdepth > 0 ||
	    (f != PR_NOWAIT && (f != PR_WAITOK || ci->ci_ilevel != IPL_NONE))))
		return pool_cache_get_checked(pc, flags, pap);
	return pool_cache_get_pop(pc, ci, flags, pap);
}

/*
 * pool_cache_get_thread: pool_cache_get_cpu for a caller that runs in
 * thread context and has checked that flags hold exactly one of PR_WAITOK
 * and PR_NOWAIT (kmem_alloc).
 */
static __always_inline void *
pool_cache_get_thread(pool_cache_t pc, struct cpu_info *ci, int flags,
    paddr_t *pap)
{

	if (__predict_false((flags & PR_WAITOK) && ci->ci_ilevel != IPL_NONE))
		return pool_cache_get_checked(pc, flags, pap);
	return pool_cache_get_pop(pc, ci, flags, pap);
}

/*
 * pool_cache_put_cpu: pool_cache_put_paddr on ci, the calling thread's
 * CPU; the counterpart of pool_cache_get_cpu.  The on-page header check
 * is made here; a NULL object or a pool with a redzone takes the checked
 * path.
 */
static __always_inline void
pool_cache_put_cpu(pool_cache_t pc, struct cpu_info *ci, void *object,
    paddr_t pa)
{
	struct pool *pp = &pc->pc_pool;
	pool_cache_cpu_t *cc;
	pcg_t *pcg;
	uintptr_t w;
	int s;

	if (__predict_false(object == NULL || pp->pr_redzone)) {
		pool_cache_put_checked(pc, object, pa);
		return;
	}
	if (pp->pr_roflags & PR_PHINPAGE)
		pc_phinpage_check(pc, object);

	s = pool_splraise_vm(ci);
	w = __atomic_load_n(&pc->pc_cpus[ci->ci_index], __ATOMIC_SEQ_CST);
	if (__predict_false((w & PC_CPU_FLAGS) != 0)) {
		pool_cache_put_general(pc, ci, s, object, pa);
		return;
	}
	cc = (pool_cache_cpu_t *)w;
	pcg = cc->cc_current;
	if (__predict_false(pcg->pcg_avail >= pcg->pcg_size)) {
		pool_cache_put_general(pc, ci, s, object, pa);
		return;
	}
	pcg_push(pcg, object, pa);
	CC_ADD(cc, cc_hits, 1);
	if (__predict_false(pool_splx_pending(ci, s)))
		pool_cache_intr(ci, s);
}

void	pool_init1(struct nbm_pool_state *, struct pool *, size_t, u_int,
	    u_int, int, const char *, struct pool_allocator *, int);
void	pool_redzone_fill(struct pool *, void *);
void	pool_redzone_check(struct pool *, void *);
pcg_t	*pool_pcg_lock(pcg_t **);
void	pool_pcg_unlock(pcg_t **, pcg_t *);

#endif /* SUBR_POOL_IMPL_H */
