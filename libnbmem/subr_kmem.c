/*
 * subr_kmem.c: kmem(9), the general-purpose wired kernel memory allocator.
 *
 * Models sys/kern/subr_kmem.c 1.87 (spec-pool-poolcache-kmem.md section
 * 3), with the debug facilities of older revisions (KMEM_REDZONE,
 * KMEM_GUARD of 1.61/1.68) kept as per-machine options.
 *
 * Size classes.  Requests are rounded up to 8 bytes (KMEM_ALIGN); with
 * KMEM_SIZE a size_t footer is added (allocsz = size + 8).  Two lookup
 * tables map allocsz to a pool cache: one with 8-byte granularity up to
 * 1024 bytes (kmem-00008 ... kmem-01024) and one with 2048-byte granularity
 * up to the page size (kmem-02048 ... kmem-16384).  A class is created only
 * if it suits the coherency unit: below it only if it divides it (8, 16, 32,
 * PR_NOTOUCH, 8-aligned), otherwise only if it is a multiple of it
 * (64-aligned) or of the page size (page-aligned); a skipped class's
 * requests go to the next class created.  Anything larger than the largest
 * class takes whole pages from kmem_va_arena and shows in no pool.
 *
 * Debug options (per machine, off by default):
 *  - KMEM_SIZE (also on with DIAGNOSTIC): the requested size is written as
 *    a size_t right after the requested bytes and checked at free; a wrong
 *    size or a double free panics with NetBSD's text.
 *  - KMEM_REDZONE: two address-derived pattern bytes after the requested
 *    bytes (the first never 0), checked at free; an extra 8-byte chunk when
 *    the padding is too small to hold them.
 *  - KMEM_GUARD: every allocation gets its own pages, placed so that its end
 *    touches an unmapped guard page, with the size in a header just before
 *    it; a freed allocation's pages are unmapped and its VA waits in a FIFO
 *    quarantine (kmem_guard_depth pages) before reuse, so an overrun or a use
 *    after free is a simulated page fault naming the address.
 * With the options off, kmem_alloc and kmem_free look up the CPU once, find
 * the cache of a request up to the largest class with a compare and an
 * indexed load (kmem_fast_cache; a second pair past 1 KiB) and go straight
 * to the pool_cache fast path on that CPU; with any of them on, every
 * request takes the general path (kmem_alloc_general, kmem_free_general).
 *
 * Context: kmem_alloc, kmem_zalloc and kmem_free panic when called from a
 * hard or soft interrupt, with the text of NetBSD's DIAGNOSTIC KASSERT.  The
 * check is on whatever the machine's options: a simulated CPU must not be
 * told something NetBSD forbids works.
 */
#include <stdio.h>
#include <stdlib.h>

#include "subr_pool_impl.h"

#include <nbmem/kmem.h>

#define KMEM_ALIGN		8
#define KMEM_SHIFT		3
#define KMEM_MAXSIZE		1024
#define KMEM_CACHE_COUNT	(KMEM_MAXSIZE >> KMEM_SHIFT)
#define KMEM_BIG_SHIFT		11
#define KMEM_BIG_MAXSIZE	16384
#define KMEM_CACHE_BIG_COUNT	(KMEM_BIG_MAXSIZE >> KMEM_BIG_SHIFT)
#define KMEM_NAMELEN		16
#define REDZONE_SIZE		2
#define KMEM_GUARD_DEFDEPTH	1024	/* pages, when the option gives 0 */

static const size_t kmem_cache_sizes[] = {
	8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256,
	320, 384, 448, 512, 768, 1024, 0
};

static const size_t kmem_cache_big_sizes[] = {
	2048, 4096, 8192, 16384, 0
};

struct kmem_quar {
	vaddr_t		kq_va;			/* start of the VA */
	vsize_t		kq_size;		/* bytes, guard page included */
};

struct nbm_kmem_state {
	pool_cache_t	ks_cache[KMEM_CACHE_COUNT];	/* by (allocsz-1)>>3 */
	pool_cache_t	ks_cache_big[KMEM_CACHE_BIG_COUNT]; /* by >>11 */
	size_t		ks_cache_maxidx;	/* table limits */
	size_t		ks_cache_big_maxidx;
	size_t		ks_fast_limit;		/* no debug: ks_cache below */
	size_t		ks_fast_big_limit;	/* no debug: ks_cache_big */
	size_t		ks_size_size;		/* SIZE_SIZE: 8 or 0 */
	bool		ks_redzone;		/* KMEM_REDZONE */
	bool		ks_guard;		/* KMEM_GUARD */
	char		ks_names[32][KMEM_NAMELEN]; /* pool names */
	u_int		ks_nnames;

	/* KMEM_GUARD quarantine: FIFO of freed VA, in pages. */
	kmutex_t	ks_guard_lock;
	struct kmem_quar *ks_quar;		/* ring */
	size_t		ks_quar_cap;		/* ring slots */
	size_t		ks_quar_head;		/* oldest */
	size_t		ks_quar_n;		/* entries */
	size_t		ks_quar_pages;		/* pages held */
	size_t		ks_guard_depth;		/* limit in pages */

	_Atomic(uint64_t) ks_nlarge_alloc;
	_Atomic(uint64_t) ks_nlarge_free;
	_Atomic(uint64_t) ks_large_inuse;
	_Atomic(uint64_t) ks_nguard_alloc;
	_Atomic(uint64_t) ks_nguard_free;
};

static __dead void
kmem_assert_fail(const char *expr, int line, const char *msg)
{

	panic("kernel diagnostic assertion \"%s\" failed: file \"%s\", "
	    "line %d %s", expr, "subr_kmem.c", line, msg);
}

/* Assertions NetBSD makes with KASSERT, kept on whatever the options. */
#define KMEM_CTXASSERT(e, msg) do {					\
	if (__predict_false(!(e)))					\
		kmem_assert_fail(#e, __LINE__, msg);			\
} while (0)

static inline struct nbm_kmem_state *
kmem_state(const char *fn)
{
	struct nbm_machine *m = nbm_curmachine_fn(fn);

	return m->m_kmem;
}

/*
 * kmem_create_caches: create the caches of one size table and fill its
 * lookup table; return the table's limit index (largest size >> shift).
 */
static size_t
kmem_create_caches(struct nbm_machine *m, struct nbm_kmem_state *ks,
    const size_t *sizes, pool_cache_t *table, size_t maxsize, int shift)
{
	size_t maxidx = 0, unit = (size_t)1 << shift, size = unit;
	size_t cache_size, align;
	pool_cache_t pc;
	int flags;
	char *name;
	u_int i;

	for (i = 0; sizes[i] != 0; i++) {
		cache_size = sizes[i];
		if (cache_size > maxsize || cache_size > m->m_pagesize)
			break;
		flags = 0;
		if (cache_size < COHERENCY_UNIT) {
			if (COHERENCY_UNIT % cache_size != 0)
				continue;
			/*
			 * A PR_NOTOUCH pool tracks its items in an off-page
			 * bitmap of at most 4096 bits (spec 1.5 step 8):
			 * with 64 KiB pages kmem-00008 would not fit, so its
			 * requests go to kmem-00016 instead.
			 */
			if (m->m_pagesize / cache_size > 4096)
				continue;
			flags = PR_NOTOUCH;
			align = KMEM_ALIGN;
		} else if ((cache_size & m->m_pagemask) == 0) {
			align = m->m_pagesize;
		} else {
			if (cache_size % COHERENCY_UNIT != 0)
				continue;
			align = COHERENCY_UNIT;
		}
		if ((cache_size >> shift) > maxidx)
			maxidx = cache_size >> shift;
		name = ks->ks_names[ks->ks_nnames++];
		snprintf(name, KMEM_NAMELEN, "kmem-%05u", (u_int)cache_size);
		pc = pool_cache_init(cache_size, (u_int)align, 0, (u_int)flags,
		    name, &pool_allocator_kmem, IPL_VM, NULL, NULL, NULL);
		while (size <= cache_size) {
			table[(size - 1) >> shift] = pc;
			size += unit;
		}
	}
	return maxidx;
}

static int
kmem_init(struct nbm_machine *m)
{
	struct nbm_kmem_state *ks;

	if ((ks = calloc(1, sizeof(*ks))) == NULL)
		return ENOMEM;
	m->m_kmem = ks;
	ks->ks_size_size = nbm_opt(m, NBM_OPT_KMEM_SIZE | NBM_OPT_DIAGNOSTIC) ?
	    sizeof(size_t) : 0;
	ks->ks_redzone = nbm_opt(m, NBM_OPT_KMEM_REDZONE);
	ks->ks_guard = nbm_opt(m, NBM_OPT_KMEM_GUARD);
	ks->ks_guard_depth = m->m_cfg.kmem_guard_depth != 0 ?
	    m->m_cfg.kmem_guard_depth : KMEM_GUARD_DEFDEPTH;
	mutex_init(&ks->ks_guard_lock, MUTEX_DEFAULT, IPL_VM);
	ks->ks_cache_maxidx = kmem_create_caches(m, ks, kmem_cache_sizes,
	    ks->ks_cache, KMEM_MAXSIZE, KMEM_SHIFT);
	ks->ks_cache_big_maxidx = kmem_create_caches(m, ks,
	    kmem_cache_big_sizes, ks->ks_cache_big, m->m_pagesize,
	    KMEM_BIG_SHIFT);
	/*
	 * Without debug bytes, kmem_cache_lookup() is: size - 1 below
	 * these limits, a load from the table (kmem_fast_cache).
	 */
	if (ks->ks_size_size == 0 && !ks->ks_redzone && !ks->ks_guard) {
		ks->ks_fast_limit = ks->ks_cache_maxidx << KMEM_SHIFT;
		ks->ks_fast_big_limit = ks->ks_cache_big_maxidx <<
		    KMEM_BIG_SHIFT;
	}
	return 0;
}

static void
kmem_fini(struct nbm_machine *m)
{
	struct nbm_kmem_state *ks = m->m_kmem;

	if (ks == NULL)
		return;
	/* The caches are freed with the pool state. */
	free(ks->ks_quar);
	free(ks);
	m->m_kmem = NULL;
}

const struct nbm_bootstep nbm_bootstep_kmem = {
	"kmem", kmem_init, kmem_fini
};

size_t
kmem_roundup_size(size_t size)
{

	return roundup2(size, KMEM_ALIGN);
}

/*
 * Redzone pattern: a byte derived from the byte's own address, never 0 for
 * the first byte, so that a one-byte string overrun is caught.
 */
static inline uint8_t
kmem_pattern(const void *p)
{

	return (uint8_t)(((uintptr_t)p * 0x9e3779b1U) >> 24);
}

static void
kmem_redzone_fill(void *p, size_t req)
{
	uint8_t *rz = (uint8_t *)p + req;
	size_t i;

	for (i = 0; i < REDZONE_SIZE; i++) {
		rz[i] = kmem_pattern(&rz[i]);
		if (i == 0 && rz[i] == 0)
			rz[i] = 0xfe;
	}
}

static void
kmem_redzone_check(void *p, size_t req)
{
	uint8_t *rz = (uint8_t *)p + req;
	uint8_t want;
	size_t i;

	for (i = 0; i < REDZONE_SIZE; i++) {
		want = kmem_pattern(&rz[i]);
		if (i == 0 && want == 0)
			want = 0xfe;
		if (rz[i] != want)
			panic("kmem_redzone_check: %p: 0x%02x != 0x%02x",
			    (void *)&rz[i], rz[i], want);
	}
}

/*
 * kmem_cache_lookup: the cache that serves a request, or NULL for the
 * large path.  allocsz adds the debug bytes to the rounded size (spec 3.3).
 */
static inline pool_cache_t
kmem_cache_lookup(const struct nbm_kmem_state *ks, size_t req, size_t size)
{
	size_t allocsz = size + ks->ks_size_size, index;

	if (__predict_false(ks->ks_redzone) && size - req < REDZONE_SIZE)
		allocsz += KMEM_ALIGN;
	if ((index = (allocsz - 1) >> KMEM_SHIFT) < ks->ks_cache_maxidx)
		return ks->ks_cache[index];
	if ((index = (allocsz - 1) >> KMEM_BIG_SHIFT) <
	    ks->ks_cache_big_maxidx)
		return ks->ks_cache_big[index];
	return NULL;
}

static inline size_t
kmem_footer_off(const struct nbm_kmem_state *ks, size_t req)
{

	return req + (ks->ks_redzone ? REDZONE_SIZE : 0);
}

/*
 * kmem_guard_alloc: an allocation on its own pages, its end against an
 * unmapped guard page, its size in a header right before it.
 */
static void *
kmem_guard_alloc(struct nbm_machine *m, struct nbm_kmem_state *ks,
    size_t req, km_flag_t kmflags)
{
	vm_flag_t vmf = ((kmflags & KM_SLEEP) ? VM_SLEEP : VM_NOSLEEP) |
	    VM_INSTANTFIT;
	size_t npg = round_page(req + sizeof(size_t)) >> m->m_pageshift;
	struct vm_page *pg;
	vmem_addr_t va;
	uintptr_t p;
	size_t i;

	if (vmem_alloc(m->m_kmem_va_arena, (npg + 1) << m->m_pageshift, vmf,
	    &va) != 0)
		return NULL;
	for (i = 0; i < npg; i++) {
		while ((pg = uvm_pagealloc_usage(m, NBM_PG_KMEM,
		    (kmflags & KM_SLEEP) ? 0 : UVM_PGA_USERESERVE)) == NULL) {
			if ((kmflags & KM_SLEEP) == 0) {
				struct vm_page *got[1];

				while (i-- > 0) {
					nbm_pmap_kremove_pages(m,
					    va + (i << m->m_pageshift),
					    m->m_pagesize, got);
					uvm_pagefree(got[0]);
				}
				vmem_free(m->m_kmem_va_arena, va,
				    (npg + 1) << m->m_pageshift);
				return NULL;
			}
			uvm_wait("kmguard");
		}
		nbm_pmap_kenter_pages(m, va + (i << m->m_pageshift), &pg, 1,
		    PMAP_KMPAGE);
	}
	p = (va + (npg << m->m_pageshift) - req) & ~(uintptr_t)(sizeof(void *) - 1);
	memcpy((void *)(p - sizeof(size_t)), &req, sizeof(size_t));
	atomic_fetch_add(&ks->ks_nguard_alloc, 1);
	return (void *)p;
}

static void
kmem_guard_free(struct nbm_machine *m, struct nbm_kmem_state *ks, void *p,
    size_t size)
{
	struct vm_page *pgs[1];
	size_t hsz, npg, i;
	vaddr_t va;
	struct kmem_quar *q, old;
	bool evict;

	/* A double free or a stray pointer faults here: its page is gone. */
	memcpy(&hsz, (char *)p - sizeof(size_t), sizeof(size_t));
	if (hsz != size)
		panic("kmem_free(%p, %zu) != allocated size %zu; overwrote?",
		    p, size, hsz);
	npg = round_page(size + sizeof(size_t)) >> m->m_pageshift;
	/* The allocation ends within the last word of its last page. */
	va = (((vaddr_t)p + size + m->m_pagemask) & ~m->m_pagemask) -
	    (npg << m->m_pageshift);
	for (i = 0; i < npg; i++) {
		nbm_pmap_kremove_pages(m, va + (i << m->m_pageshift),
		    m->m_pagesize, pgs);
		if (pgs[0] != NULL)
			uvm_pagefree(pgs[0]);
	}
	atomic_fetch_add(&ks->ks_nguard_free, 1);

	/* The VA waits in the quarantine, unmapped, before reuse. */
	for (;;) {
		evict = false;
		mutex_enter(&ks->ks_guard_lock);
		if (ks->ks_quar_n > 0 &&
		    ks->ks_quar_pages + npg + 1 > ks->ks_guard_depth) {
			old = ks->ks_quar[ks->ks_quar_head];
			ks->ks_quar_head = (ks->ks_quar_head + 1) %
			    ks->ks_quar_cap;
			ks->ks_quar_n--;
			ks->ks_quar_pages -= old.kq_size >> m->m_pageshift;
			evict = true;
		} else if (npg + 1 <= ks->ks_guard_depth) {
			if (ks->ks_quar_n == ks->ks_quar_cap) {
				size_t ncap = ks->ks_quar_cap ?
				    ks->ks_quar_cap * 2 : 64, k;
				struct kmem_quar *nq =
				    malloc(ncap * sizeof(*nq));

				if (nq == NULL) {
					mutex_exit(&ks->ks_guard_lock);
					vmem_free(m->m_kmem_va_arena, va,
					    (npg + 1) << m->m_pageshift);
					return;
				}
				for (k = 0; k < ks->ks_quar_n; k++)
					nq[k] = ks->ks_quar[(ks->ks_quar_head +
					    k) % ks->ks_quar_cap];
				free(ks->ks_quar);
				ks->ks_quar = nq;
				ks->ks_quar_cap = ncap;
				ks->ks_quar_head = 0;
			}
			q = &ks->ks_quar[(ks->ks_quar_head + ks->ks_quar_n) %
			    ks->ks_quar_cap];
			q->kq_va = va;
			q->kq_size = (npg + 1) << m->m_pageshift;
			ks->ks_quar_n++;
			ks->ks_quar_pages += npg + 1;
			mutex_exit(&ks->ks_guard_lock);
			return;
		} else {
			/* Larger than the whole quarantine: free at once. */
			mutex_exit(&ks->ks_guard_lock);
			vmem_free(m->m_kmem_va_arena, va,
			    (npg + 1) << m->m_pageshift);
			return;
		}
		mutex_exit(&ks->ks_guard_lock);
		if (evict)
			vmem_free(m->m_kmem_va_arena, old.kq_va, old.kq_size);
	}
}

/*
 * kmem_alloc_general: kmem_intr_alloc on the calling thread's CPU ci, in
 * full: the debug options, the large path, bad arguments.
 */
static void * __noinline
kmem_alloc_general(struct cpu_info *ci, size_t requested_size,
    km_flag_t kmflags)
{
	struct nbm_machine *m = ci->ci_machine;
	struct nbm_kmem_state *ks = m->m_kmem;
	size_t size;
	pool_cache_t pc;
	vmem_addr_t va;
	uint8_t *p;

	KMEM_CTXASSERT(requested_size > 0, "");
	/* Exactly one of the two (spec 3.1): both set is refused too. */
	KASSERTMSG(((kmflags & KM_SLEEP) != 0) != ((kmflags & KM_NOSLEEP) != 0),
	    "kmem_intr_alloc: kmflags 0x%x: exactly one of KM_SLEEP and "
	    "KM_NOSLEEP", kmflags);
	if (__predict_false(ks->ks_guard))
		return kmem_guard_alloc(m, ks, requested_size, kmflags);

	size = kmem_roundup_size(requested_size);
	if ((pc = kmem_cache_lookup(ks, requested_size, size)) == NULL) {
		/* Large: whole pages from kmem_va_arena, no pool. */
		if (uvm_km_kmem_alloc(m->m_kmem_va_arena, round_page(size),
		    ((kmflags & KM_SLEEP) ? VM_SLEEP : VM_NOSLEEP) |
		    VM_INSTANTFIT, &va) != 0)
			return NULL;
		atomic_fetch_add_explicit(&ks->ks_nlarge_alloc, 1,
		    memory_order_relaxed);
		atomic_fetch_add_explicit(&ks->ks_large_inuse,
		    round_page(size), memory_order_relaxed);
		return (void *)va;
	}
	p = pool_cache_get_cpu(pc, ci, (int)kmflags, NULL);
	if (__predict_false(p == NULL))
		return NULL;
	if (__predict_false(ks->ks_size_size | ks->ks_redzone)) {
		if (ks->ks_redzone)
			kmem_redzone_fill(p, requested_size);
		if (ks->ks_size_size)
			memcpy(p + kmem_footer_off(ks, requested_size),
			    &requested_size, sizeof(size_t));
	}
	return p;
}

/*
 * kmem_fast_cache: on a machine without debug options, the cache for a
 * request of size bytes (size - 1 wraps for 0), or NULL for the general
 * path: kmem_cache_lookup() without the debug bytes.
 */
static __always_inline pool_cache_t
kmem_fast_cache(const struct nbm_kmem_state *ks, size_t size)
{

	if (__predict_true(size - 1 < ks->ks_fast_limit))
		return ks->ks_cache[(size - 1) >> KMEM_SHIFT];
	if (size - 1 < ks->ks_fast_big_limit)
		return ks->ks_cache_big[(size - 1) >> KMEM_BIG_SHIFT];
	return NULL;
}

/*
 * kmem_alloc_cpu: kmem_intr_alloc on the calling thread's CPU ci, which
 * runs in thread context if `thread' (kmem_alloc, kmem_zalloc).  A request
 * that kmem_fast_cache() serves, with valid flags, goes straight to the
 * pool_cache fast path.
 */
static __always_inline void *
kmem_alloc_cpu(struct cpu_info *ci, size_t size, km_flag_t kmflags,
    bool thread)
{
	const struct nbm_kmem_state *ks = ci->ci_machine->m_kmem;
	km_flag_t f = kmflags & (KM_SLEEP | KM_NOSLEEP);
	pool_cache_t pc;

	if (__predict_false(f - 1 > 1) ||	/* not exactly one flag */
	    __predict_false((pc = kmem_fast_cache(ks, size)) == NULL))
		return kmem_alloc_general(ci, size, kmflags);
	if (thread)
		return pool_cache_get_thread(pc, ci, (int)kmflags, NULL);
	return pool_cache_get_cpu(pc, ci, (int)kmflags, NULL);
}

/*
 * kmem_free_general: kmem_intr_free on the calling thread's CPU ci, in
 * full.
 */
static void __noinline
kmem_free_general(struct cpu_info *ci, void *p, size_t requested_size)
{
	struct nbm_machine *m = ci->ci_machine;
	struct nbm_kmem_state *ks = m->m_kmem;
	size_t size, hsz;
	pool_cache_t pc;

	KMEM_CTXASSERT(p != NULL, "");
	if (__predict_false(requested_size == 0))
		kmem_assert_fail("requested_size > 0", __LINE__, "");
	if (__predict_false(ks->ks_guard)) {
		kmem_guard_free(m, ks, p, requested_size);
		return;
	}

	size = kmem_roundup_size(requested_size);
	if ((pc = kmem_cache_lookup(ks, requested_size, size)) == NULL) {
		uvm_km_kmem_free(m->m_kmem_va_arena, (vaddr_t)p,
		    round_page(size));
		atomic_fetch_add_explicit(&ks->ks_nlarge_free, 1,
		    memory_order_relaxed);
		atomic_fetch_sub_explicit(&ks->ks_large_inuse,
		    round_page(size), memory_order_relaxed);
		return;
	}
	if (__predict_false(ks->ks_size_size | ks->ks_redzone)) {
		if (ks->ks_size_size) {
			uint8_t *f = (uint8_t *)p +
			    kmem_footer_off(ks, requested_size);

			memcpy(&hsz, f, sizeof(size_t));
			if (hsz != requested_size)
				panic("kmem_free(%p, %zu) != allocated size "
				    "%zu; overwrote?", p, requested_size, hsz);
			memset(f, 0xff, sizeof(size_t));
		}
		if (ks->ks_redzone)
			kmem_redzone_check(p, requested_size);
	}
	pool_cache_put_cpu(pc, ci, p, POOL_PADDR_INVALID);
}

/*
 * kmem_free_cpu: kmem_intr_free on the calling thread's CPU ci; the fast
 * path as in kmem_alloc_cpu.
 */
static __always_inline void
kmem_free_cpu(struct cpu_info *ci, void *p, size_t size)
{
	const struct nbm_kmem_state *ks = ci->ci_machine->m_kmem;
	pool_cache_t pc;

	if (__predict_false(p == NULL) ||
	    __predict_false((pc = kmem_fast_cache(ks, size)) == NULL)) {
		kmem_free_general(ci, p, size);
		return;
	}
	pool_cache_put_cpu(pc, ci, p, POOL_PADDR_INVALID);
}

/*
 * kmem_intr_alloc: allocate size bytes; usable from interrupt context.
 *
 * => exactly one of KM_SLEEP and KM_NOSLEEP.
 * => KM_SLEEP never returns NULL; KM_NOSLEEP returns NULL when short.
 */
void *
kmem_intr_alloc(size_t requested_size, km_flag_t kmflags)
{

	return kmem_alloc_cpu(nbm_curcpu_fn(__func__), requested_size, kmflags,
	    false);
}

void *
kmem_intr_zalloc(size_t size, km_flag_t kmflags)
{
	void *p = kmem_intr_alloc(size, kmflags);

	if (p != NULL)
		memset(p, 0, size);
	return p;
}

/*
 * kmem_intr_free: free memory from kmem_intr_alloc or kmem_alloc.
 *
 * => size must be the size given to the allocation.
 */
void
kmem_intr_free(void *p, size_t requested_size)
{

	kmem_free_cpu(nbm_curcpu_fn(__func__), p, requested_size);
}

/*
 * kmem_thread_context: kmem_alloc, kmem_zalloc and kmem_free are for
 * thread context only.  A hard interrupt raises ci_idepth, a soft one
 * ci_sdepth, so one look at the CPU tells.
 */
static inline void
kmem_thread_context(const struct cpu_info *ci)
{

	if (__predict_false(ci->ci_idepth >= 0 || ci->ci_sdepth > 0))
		kmem_assert_fail("!cpu_intr_p() && !cpu_softintr_p()",
		    __LINE__, "kmem(9) should not be used from the interrupt "
		    "context");
}

void *
kmem_alloc(size_t size, km_flag_t kmflags)
{
	struct cpu_info *ci = curcpu();

	kmem_thread_context(ci);
	return kmem_alloc_cpu(ci, size, kmflags, true);
}

void *
kmem_zalloc(size_t size, km_flag_t kmflags)
{
	struct cpu_info *ci = curcpu();
	void *p;

	kmem_thread_context(ci);
	if ((p = kmem_alloc_cpu(ci, size, kmflags, true)) != NULL)
		memset(p, 0, size);
	return p;
}

void
kmem_free(void *p, size_t size)
{
	struct cpu_info *ci = curcpu();

	kmem_thread_context(ci);
	kmem_free_cpu(ci, p, size);
}

char *
kmem_asprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	s = kmem_alloc((size_t)len + 1, KM_SLEEP);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *
kmem_strdupsize(const char *str, size_t *lenp, km_flag_t flags)
{
	size_t len = strlen(str) + 1;
	char *s = kmem_alloc(len, flags);

	if (s != NULL)
		memcpy(s, str, len);
	if (lenp != NULL)
		*lenp = len;
	return s;
}

char *
kmem_strndup(const char *str, size_t maxlen, km_flag_t flags)
{
	size_t len;
	char *s;

	KMEM_CTXASSERT(str != NULL, "");
	KMEM_CTXASSERT(maxlen != 0, "");
	len = strnlen(str, maxlen);
	if ((s = kmem_alloc(len + 1, flags)) == NULL)
		return NULL;
	memcpy(s, str, len);
	s[len] = '\0';
	return s;
}

void
kmem_strfree(char *str)
{

	if (str == NULL)
		return;
	kmem_free(str, strlen(str) + 1);
}

void *
kmem_tmpbuf_alloc(size_t size, void *stackbuf, size_t stackbufsize,
    km_flag_t flags)
{

	if (size <= stackbufsize)
		return stackbuf;
	return kmem_alloc(size, flags);
}

void
kmem_tmpbuf_free(void *buf, size_t size, void *stackbuf)
{

	if (buf != stackbuf)
		kmem_free(buf, size);
}

void
nbm_kmem_getstats(struct nbm_kmem_stats *st)
{
	struct nbm_kmem_state *ks = kmem_state(__func__);

	memset(st, 0, sizeof(*st));
	st->ks_nlarge_alloc = atomic_load(&ks->ks_nlarge_alloc);
	st->ks_nlarge_free = atomic_load(&ks->ks_nlarge_free);
	st->ks_large_inuse = atomic_load(&ks->ks_large_inuse);
	st->ks_nguard_alloc = atomic_load(&ks->ks_nguard_alloc);
	st->ks_nguard_free = atomic_load(&ks->ks_nguard_free);
	mutex_enter(&ks->ks_guard_lock);
	st->ks_guard_quarantine = ks->ks_quar_pages;
	mutex_exit(&ks->ks_guard_lock);
	st->ks_nclasses = ks->ks_nnames;
}
