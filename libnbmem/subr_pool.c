/*
 * subr_pool.c: pool(9), the fixed-size item allocator, as NetBSD builds it
 * (sys/kern/subr_pool.c 1.284, sys/sys/pool.h 1.96; the behaviour is
 * specified in spec-pool-poolcache-kmem.md sections 1 and 4.1, cited below
 * as "spec 1.5" and so on).  pool_cache(9), the per-CPU object cache on
 * top of pools, is in subr_pool_cache.c; subr_pool_impl.h holds what the
 * two files share.
 *
 * A pool hands out items of one size.  It takes memory from its back-end
 * allocator a page (pa_pagesz bytes) at a time and keeps each page on one
 * of three lists: pr_emptypages (no item out), pr_partpages and
 * pr_fullpages (every item out).  Each page has a header,
 * struct pool_item_header, at the start of the page (PR_PHINPAGE, small
 * items) or taken from one of the internal phpool-N pools and found again
 * through a per-pool splay tree keyed by page address.  Free items of a page
 * are tracked either by a list threaded through the free items themselves
 * (a fresh page hands out its highest item first, freed items come back
 * LIFO) or by a bitmap in the header (PR_USEBMAP: lowest free index first).
 * pool_init decides all of this from the item size, the alignment and the
 * page size (spec 1.5); unused space at the end of a page is used to
 * "colour" successive pages by shifting their first item by a multiple of
 * the alignment.
 *
 * Invariants at any point where pr_lock is free (spec 4.1):
 *	nget - nput == nout,  npages * itemsperpage == nitems + nout,
 *	npagealloc - npagefree == npages,  0 <= nidle <= npages,
 *	hiwat >= npages,  nitems == 0 <=> pr_curpage == NULL,
 * and pr_curpage is the head of pr_partpages, else of pr_emptypages.
 *
 * Watermarks and limits (spec 1.9).  pool_setlowat keeps at least
 * pr_minitems free items (grown without sleeping); pool_prime keeps at
 * least pr_minpages pages; pool_sethardlimit caps pr_nout.  Empty pages are
 * kept until pool_reclaim finds them idle for pool_inactive_time seconds
 * (the machine's m_cfg.pool_inactive_time), unless the pool holds more than
 * pr_maxpages pages, in which case pool_put gives an emptied page back at
 * once.
 *
 * One deliberate difference from 1.284 (see DESIGN.md): pool_sethiwat(pp, n)
 * bounds the pages a pool keeps idle, as pool(9) and memoryallocators(9)
 * document it (pages above the maximum are released as soon as they are
 * empty): it sets pr_maxitems = n and pr_maxpages = howmany(n,
 * itemsperpage), 0 for n == 0.  subr_pool.c did exactly that until chs's
 * change of 2020-04-13 to the watermark functions (spec 1.9, [CHS2020]);
 * since then it only stores pr_maxitems, which nothing reads.
 *
 * Debug options (spec 1.11, 1.12), per machine: DIAGNOSTIC enables
 * POOL_CHECK_MAGIC (a magic word in free list items, checked at the next get
 * of the item; minimum item size 24) and POOL_REDZONE; NBM_OPT_POOL_REDZONE
 * enables the redzone alone (2 bytes after the requested size, a pattern
 * derived from their address, checked at every put).  Both only change
 * which path a pool or cache takes; a machine without them runs the same
 * code as a GENERIC kernel.  POOL_QUARANTINE, FREECHECK and
 * LOCKDEBUG_MEM_CHECK are not simulated.
 *
 * All state is per machine: struct nbm_pool_state (m->m_pool) holds the
 * pool and cache lists, the internal pools (phpool-*, pcgnormal, pcglarge,
 * pcache, pcachecpu), the shared empty-group lists and the machine's
 * standard allocators.  Lock order: ps_head_lock, then a pool's pr_lock,
 * then the pr_lock of its header pool (phpool-N) or group pool.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "subr_pool_impl.h"

#ifndef ERESTART
#define ERESTART	85
#endif

/*
 * Free list items.  With POOL_CHECK_MAGIC the item starts with the magic
 * word and the link follows at offset 8 (NetBSD's struct pool_item with
 * pi_magic), so the minimum item is 24 bytes instead of 16.
 */
#define PI_MAGIC		0xdeaddeadU
#define POOL_ITEM_SIZE		sizeof(struct pool_item)		/* 16 */
#define POOL_ITEM_MAGIC_SIZE	(8 + sizeof(struct pool_item))		/* 24 */

#define POOL_REDZONE_SIZE	2
#define PRIME			0x9e37fffffffc0000UL
#define STATIC_BYTE		0xFE

#define POOL_NEEDS_CATCHUP(pp)						\
	((pp)->pr_nitems < (pp)->pr_minitems ||				\
	 (pp)->pr_npages < (pp)->pr_minpages)

static void	*pool_page_alloc(struct pool *, int);
static void	pool_page_free(struct pool *, void *);
static void	*pool_page_alloc_meta(struct pool *, int);
static void	pool_page_free_meta(struct pool *, void *);

static int	pool_catchup(struct pool *);
static void	pool_prime_page(struct pool *, void *,
		    struct pool_item_header *);
static void	pool_update_curpage(struct pool *);
static int	pool_grow(struct pool *, int);
static void	*pool_allocator_alloc(struct pool *, int);
static void	pool_allocator_free(struct pool *, void *);
static void	pool_redzone_init(struct pool *, size_t);

#define pp_has_pser(pp) (((pp)->pr_roflags & PR_PSERIALIZE) != 0)

/*
 * pool_barrier: the passive-serialization barrier of PR_PSERIALIZE pools
 * (xc_barrier(0) in NetBSD).  The simulated machine has no pserialize(9)
 * readers to wait for, so it does nothing; it marks where NetBSD waits.
 */
static inline void
pool_barrier(void)
{
}

/* time_uptime of the machine, in seconds (32 bits suffice, as in NetBSD). */
static inline uint32_t
pool_time_uptime(struct nbm_machine *m)
{

	return (uint32_t)(nbm_uptime_ns(m) / 1000000000ULL);
}

/* -------------------------------------------------------------------------- */

/*
 * pool_state_create: allocate and publish the pool state of a machine and
 * create the internal pools of spec 1.3 (pool_subsystem_init).
 *
 * => runs once per machine, normally from uvm_km_bootstrap on cpu0 at boot;
 *    any other first use (pool_init, the allocator names) also gets here.
 */
struct nbm_pool_state *
pool_state_create(struct nbm_machine *m)
{
	struct nbm_pool_state *ps, *expected = NULL;
	size_t size;
	int idx;

	ps = aligned_alloc(COHERENCY_UNIT,
	    roundup(sizeof(*ps), COHERENCY_UNIT));
	if (ps == NULL)
		nbm_panic(m, "pool_subsystem_init: out of host memory");
	memset(ps, 0, sizeof(*ps));
	mutex_init(&ps->ps_head_lock, MUTEX_DEFAULT, IPL_NONE);
	mutex_init(&ps->ps_allocator_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&ps->ps_busy, "poolbusy");
	TAILQ_INIT(&ps->ps_pool_head);
	TAILQ_INIT(&ps->ps_cache_head);

	ps->ps_allocator_kmem.pa_alloc = pool_page_alloc;
	ps->ps_allocator_kmem.pa_free = pool_page_free;
	ps->ps_allocator_nointr.pa_alloc = pool_page_alloc;
	ps->ps_allocator_nointr.pa_free = pool_page_free;
	ps->ps_allocator_meta.pa_alloc = pool_page_alloc_meta;
	ps->ps_allocator_meta.pa_free = pool_page_free_meta;
	for (idx = 0; idx < POOL_ALLOCATOR_BIG_N; idx++) {
		ps->ps_allocator_big[idx].pa_alloc = pool_page_alloc;
		ps->ps_allocator_big[idx].pa_free = pool_page_free;
		ps->ps_allocator_big[idx].pa_pagesz =
		    1U << (POOL_ALLOCATOR_BIG_BASE + idx);
	}

	/*
	 * Page header pools: a header plus a bitmap of N bits, N = 64 (the
	 * bits of the header's own trailing union) for index 0, else 32 << idx;
	 * index 1 has the capacity of index 0 on LP64 and is never chosen.
	 */
	for (idx = 0; idx < PHPOOL_MAX; idx++) {
		int nelem = PHPOOL_FREELIST_NELEM(idx);

		snprintf(ps->ps_phpool_names[idx],
		    sizeof(ps->ps_phpool_names[idx]), "phpool-%d", nelem);
		size = offsetof(struct pool_item_header, ph_u2) +
		    howmany(nelem, BITMAP_SIZE) * sizeof(pool_item_bitmap_t);
		pool_init1(ps, &ps->ps_phpool[idx], size, 0, 0, 0,
		    ps->ps_phpool_names[idx], &ps->ps_allocator_meta, IPL_VM);
	}
	size = offsetof(pcg_t, pcg_objects) +
	    PCG_NOBJECTS_NORMAL * sizeof(pcgpair_t);
	pool_init1(ps, &ps->ps_pcg_normal_pool, size, COHERENCY_UNIT, 0, 0,
	    "pcgnormal", &ps->ps_allocator_meta, IPL_VM);
	size = offsetof(pcg_t, pcg_objects) +
	    PCG_NOBJECTS_LARGE * sizeof(pcgpair_t);
	pool_init1(ps, &ps->ps_pcg_large_pool, size, COHERENCY_UNIT, 0, 0,
	    "pcglarge", &ps->ps_allocator_meta, IPL_VM);
	pool_init1(ps, &ps->ps_cache_pool, sizeof(struct pool_cache),
	    COHERENCY_UNIT, 0, 0, "pcache", &ps->ps_allocator_meta, IPL_NONE);
	pool_init1(ps, &ps->ps_cache_cpu_pool, sizeof(pool_cache_cpu_t),
	    COHERENCY_UNIT, 0, 0, "pcachecpu", &ps->ps_allocator_meta,
	    IPL_NONE);

	if (!__atomic_compare_exchange_n(&m->m_pool, &expected, ps, false,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		/* Another CPU got there first; nothing here has pages. */
		free(ps);
		ps = expected;
	}
	return ps;
}

void
pool_subsystem_init(void)
{

	(void)pool_state();
}

/*
 * nbm_pool_fini: free the pool state of a machine being shut down.  The
 * pages of its pools are simulated memory and go with the machine.
 */
void
nbm_pool_fini(struct nbm_machine *m)
{

	free(m->m_pool);
	m->m_pool = NULL;
}

struct pool_allocator *
nbm_pool_allocator_kmem(void)
{

	return &pool_state()->ps_allocator_kmem;
}

struct pool_allocator *
nbm_pool_allocator_nointr(void)
{

	return &pool_state()->ps_allocator_nointr;
}

struct pool_allocator *
nbm_pool_allocator_meta(void)
{

	return &pool_state()->ps_allocator_meta;
}

/* -------------------------------------------------------------------------- */

static inline pool_item_bitmap_t *
pr_bitmap(struct pool_item_header *ph)
{

	return (pool_item_bitmap_t *)(void *)((char *)ph +
	    offsetof(struct pool_item_header, ph_u2));
}

static inline unsigned int
pr_item_bitmap_index(const struct pool *pp, const struct pool_item_header *ph,
    const void *v)
{
	const char *cp = v;
	unsigned int idx;

	KASSERT(pp->pr_roflags & PR_USEBMAP);
	idx = (unsigned int)((size_t)(cp - (char *)ph->ph_page - ph->ph_off) /
	    pp->pr_size);
	if (__predict_false(idx >= pp->pr_itemsperpage)) {
		panic("%s: [%s] %u >= %u", __func__, pp->pr_wchan, idx,
		    pp->pr_itemsperpage);
	}
	return idx;
}

static inline void
pr_item_bitmap_put(const struct pool *pp, struct pool_item_header *ph,
    void *obj)
{
	unsigned int idx = pr_item_bitmap_index(pp, ph, obj);
	pool_item_bitmap_t *bitmap = pr_bitmap(ph) + (idx / BITMAP_SIZE);
	pool_item_bitmap_t mask = 1U << (idx & BITMAP_MASK);

	if (__predict_false((*bitmap & mask) != 0)) {
		panic("%s: [%s] %p already freed", __func__, pp->pr_wchan,
		    obj);
	}
	*bitmap |= mask;
}

static inline void *
pr_item_bitmap_get(const struct pool *pp, struct pool_item_header *ph)
{
	pool_item_bitmap_t *bitmap = pr_bitmap(ph);
	unsigned int i, idx = 0;
	int bit;

	for (i = 0; i * BITMAP_SIZE < pp->pr_itemsperpage; i++) {
		bit = __builtin_ffs((int)bitmap[i]);
		if (bit != 0) {
			bit--;
			idx = i * BITMAP_SIZE + (unsigned int)bit;
			bitmap[i] &= ~(1U << bit);
			break;
		}
	}
	if (__predict_false(i * BITMAP_SIZE >= pp->pr_itemsperpage ||
	    idx >= pp->pr_itemsperpage))
		panic("%s: [%s] pool page empty", "pool_get", pp->pr_wchan);
	return (char *)ph->ph_page + ph->ph_off + idx * pp->pr_size;
}

static inline void
pr_item_bitmap_init(const struct pool *pp, struct pool_item_header *ph)
{
	pool_item_bitmap_t *bitmap = pr_bitmap(ph);
	const unsigned int n = howmany(pp->pr_itemsperpage, BITMAP_SIZE);
	unsigned int i;

	for (i = 0; i < n; i++)
		bitmap[i] = (pool_item_bitmap_t)-1;
}

/* -------------------------------------------------------------------------- */

/* The link of a free item (after the magic word with POOL_CHECK_MAGIC). */
static inline struct pool_item *
pr_item_link(const struct pool *pp, void *v)
{

	return (struct pool_item *)(void *)((char *)v +
	    (pp->pr_checkmagic ? 8 : 0));
}

static inline void *
pr_link_item(const struct pool *pp, struct pool_item *pi)
{

	return (char *)pi - (pp->pr_checkmagic ? 8 : 0);
}

static inline void
pr_item_linkedlist_put(const struct pool *pp, struct pool_item_header *ph,
    void *obj)
{
	struct pool_item *pi = pr_item_link(pp, obj);

	KASSERT(!pp_has_pser(pp));
	if (pp->pr_checkmagic)
		*(u_int *)obj = PI_MAGIC;
	LIST_INSERT_HEAD(&ph->ph_itemlist, pi, pi_list);
}

static inline void *
pr_item_linkedlist_get(struct pool *pp, struct pool_item_header *ph)
{
	struct pool_item *pi;
	void *v;

	pi = LIST_FIRST(&ph->ph_itemlist);
	if (__predict_false(pi == NULL)) {
		mutex_exit(&pp->pr_lock);
		panic("%s: [%s] page empty", __func__, pp->pr_wchan);
	}
	v = pr_link_item(pp, pi);
	KASSERTMSG((pp->pr_nitems > 0),
	    "%s: [%s] nitems %u inconsistent on itemlist",
	    __func__, pp->pr_wchan, pp->pr_nitems);
	if (pp->pr_checkmagic) {
		KASSERTMSG((*(u_int *)v == PI_MAGIC),
		    "%s: [%s] free list modified: "
		    "magic=%x; page %p; item addr %p", __func__,
		    pp->pr_wchan, *(u_int *)v, ph->ph_page, v);
	}
	LIST_REMOVE(pi, pi_list);
	return v;
}

/* -------------------------------------------------------------------------- */

/* -------------------------------------------------------------------------- */

/*
 * The off-page header tree: a top-down splay tree (Sleator and Tarjan)
 * keyed by page address, like NetBSD's SPLAY_* phtree.  Lookups reshape
 * the tree, so every operation runs with pr_lock held.
 */

/*
 * phtree_splay: splay the tree rooted at t around key.
 *
 * => returns the new root: the header of page key if there is one,
 *    otherwise the header just below or just above key.
 */
static struct pool_item_header *
phtree_splay(struct pool_item_header *t, uintptr_t key)
{
	struct pool_item_header n, *l, *r, *y;

	if (t == NULL)
		return NULL;
	n.ph_left = n.ph_right = NULL;
	l = r = &n;
	for (;;) {
		if (key < (uintptr_t)t->ph_page) {
			if (t->ph_left == NULL)
				break;
			if (key < (uintptr_t)t->ph_left->ph_page) {
				y = t->ph_left;		/* rotate right */
				t->ph_left = y->ph_right;
				y->ph_right = t;
				t = y;
				if (t->ph_left == NULL)
					break;
			}
			r->ph_left = t;			/* link right */
			r = t;
			t = t->ph_left;
		} else if (key > (uintptr_t)t->ph_page) {
			if (t->ph_right == NULL)
				break;
			if (key > (uintptr_t)t->ph_right->ph_page) {
				y = t->ph_right;	/* rotate left */
				t->ph_right = y->ph_left;
				y->ph_left = t;
				t = y;
				if (t->ph_right == NULL)
					break;
			}
			l->ph_right = t;		/* link left */
			l = t;
			t = t->ph_right;
		} else
			break;
	}
	l->ph_right = t->ph_left;			/* assemble */
	r->ph_left = t->ph_right;
	t->ph_left = n.ph_right;
	t->ph_right = n.ph_left;
	return t;
}

static void
phtree_insert(struct pool *pp, struct pool_item_header *ph)
{
	struct pool_item_header *t;
	uintptr_t key = (uintptr_t)ph->ph_page;

	t = phtree_splay(pp->pr_phtree.sph_root, key);
	if (t == NULL) {
		ph->ph_left = ph->ph_right = NULL;
	} else if (key < (uintptr_t)t->ph_page) {
		ph->ph_left = t->ph_left;
		ph->ph_right = t;
		t->ph_left = NULL;
	} else {
		KASSERTMSG(key != (uintptr_t)t->ph_page,
		    "%s: [%s] page %p already in the tree", __func__,
		    pp->pr_wchan, ph->ph_page);
		ph->ph_right = t->ph_right;
		ph->ph_left = t;
		t->ph_right = NULL;
	}
	pp->pr_phtree.sph_root = ph;
}

static void
phtree_remove(struct pool *pp, struct pool_item_header *ph)
{
	struct pool_item_header *t, *x;
	uintptr_t key = (uintptr_t)ph->ph_page;

	t = phtree_splay(pp->pr_phtree.sph_root, key);
	KASSERTMSG(t == ph, "%s: [%s] page %p not in the tree", __func__,
	    pp->pr_wchan, ph->ph_page);
	if (t->ph_left == NULL) {
		x = t->ph_right;
	} else {
		x = phtree_splay(t->ph_left, key);
		x->ph_right = t->ph_right;
	}
	pp->pr_phtree.sph_root = x;
}

static struct pool_item_header *
phtree_find(struct pool *pp, const void *page)
{
	struct pool_item_header *t;

	t = phtree_splay(pp->pr_phtree.sph_root, (uintptr_t)page);
	pp->pr_phtree.sph_root = t;
	return t != NULL && t->ph_page == page ? t : NULL;
}

/*
 * pr_find_pagehead_noalign: the header of the highest page at or below v,
 * for PR_NOALIGN pools whose pages are not aligned to their size.
 */
static struct pool_item_header *
pr_find_pagehead_noalign(struct pool *pp, void *v)
{
	struct pool_item_header *t;

	t = phtree_splay(pp->pr_phtree.sph_root, (uintptr_t)v);
	pp->pr_phtree.sph_root = t;
	if (t == NULL || (uintptr_t)t->ph_page <= (uintptr_t)v)
		return t;
	for (t = t->ph_left; t != NULL && t->ph_right != NULL;
	    t = t->ph_right)
		continue;
	return t;
}

/*
 * pr_find_pagehead: the page header of item v, or NULL.
 */
static inline struct pool_item_header *
pr_find_pagehead(struct pool *pp, void *v)
{
	struct pool_item_header *ph;

	if ((pp->pr_roflags & PR_NOALIGN) != 0) {
		ph = pr_find_pagehead_noalign(pp, v);
	} else {
		void *page = POOL_OBJ_TO_PAGE(pp, v);

		if ((pp->pr_roflags & PR_PHINPAGE) != 0) {
			ph = (struct pool_item_header *)page;
			pr_phinpage_check(pp, ph, page, v);
		} else {
			ph = phtree_find(pp, page);
		}
	}
	KASSERT(ph == NULL || ((pp->pr_roflags & PR_PHINPAGE) != 0) ||
	    ((char *)ph->ph_page <= (char *)v &&
	    (char *)v < (char *)ph->ph_page + pp->pr_alloc->pa_pagesz));
	return ph;
}

/*
 * pr_pagelist_free: give the pages of a list (taken off the pool by
 * pr_rmpage) back to the allocator, and their headers to the header pool.
 *
 * => called without pr_lock.
 */
static void
pr_pagelist_free(struct pool *pp, struct pool_pagelist *pq)
{
	struct pool_item_header *ph;

	while ((ph = LIST_FIRST(pq)) != NULL) {
		LIST_REMOVE(ph, ph_pagelist);
		pool_allocator_free(pp, ph->ph_page);
		if ((pp->pr_roflags & PR_PHINPAGE) == 0)
			pool_put(pp->pr_phpool, ph);
	}
}

/*
 * pr_rmpage: take an empty page off the pool and queue it on pq.
 *
 * => called with pr_lock held.
 */
static inline void
pr_rmpage(struct pool *pp, struct pool_item_header *ph,
    struct pool_pagelist *pq)
{

	KASSERT(mutex_owned(&pp->pr_lock));
	if (ph->ph_nmissing == 0) {
		KASSERT(pp->pr_nidle != 0);
		KASSERTMSG((pp->pr_nitems >= pp->pr_itemsperpage),
		    "%s: [%s] nitems=%u < itemsperpage=%u", __func__,
		    pp->pr_wchan, pp->pr_nitems, pp->pr_itemsperpage);
		pp->pr_nidle--;
	}
	pp->pr_nitems -= pp->pr_itemsperpage;

	LIST_REMOVE(ph, ph_pagelist);
	if (pp->pr_roflags & PR_PHINPAGE) {
		if (__predict_false(ph->ph_poolid != pp->pr_poolid)) {
			panic("%s: [%s] ph %p poolid %u != %u",
			    __func__, pp->pr_wchan, ph, ph->ph_poolid,
			    pp->pr_poolid);
		}
	} else {
		phtree_remove(pp, ph);
	}
	LIST_INSERT_HEAD(pq, ph, ph_pagelist);

	pp->pr_npages--;
	pp->pr_npagefree++;
	pool_update_curpage(pp);
}

/* -------------------------------------------------------------------------- */

static inline bool
pool_init_is_phinpage(const struct pool *pp)
{
	size_t pagesize;

	if (pp->pr_roflags & PR_PHINPAGE)
		return true;
	if (pp->pr_roflags & (PR_NOTOUCH | PR_NOALIGN))
		return false;
	pagesize = pp->pr_alloc->pa_pagesz;

	/*
	 * On-page if the item is below 1/16 of a page and below 8 headers,
	 * or if the header costs no item.
	 */
	if (pp->pr_size < MIN(pagesize / 16, PHSIZE * 8))
		return true;
	if (pagesize / pp->pr_size == (pagesize - PHSIZE) / pp->pr_size)
		return true;
	return false;
}

static inline bool
pool_init_is_usebmap(const struct pool *pp)
{
	size_t bmapsize;

	if (pp->pr_roflags & PR_NOTOUCH)
		return true;
	if (!(pp->pr_roflags & PR_PHINPAGE))
		return true;
	/* On-page: a bitmap if the rounded header has room for one. */
	bmapsize = roundup(PHSIZE, pp->pr_align) -
	    offsetof(struct pool_item_header, ph_u2);
	KASSERT(bmapsize % sizeof(pool_item_bitmap_t) == 0);
	return pp->pr_itemsperpage <= bmapsize * CHAR_BIT;
}

/*
 * pool_init1: initialise a pool of the machine whose state is ps (spec 1.5).
 */
void
pool_init1(struct nbm_pool_state *ps, struct pool *pp, size_t size,
    u_int align, u_int ioff, int flags, const char *wchan,
    struct pool_allocator *palloc, int ipl)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct pool *pp1;
	size_t prsize;
	unsigned int itemspace, slack;

	/* XXX ioff will be removed. */
	KASSERT(ioff == 0);

	if (nbm_opt(m, NBM_OPT_DEBUG)) {
		mutex_enter(&ps->ps_head_lock);
		TAILQ_FOREACH(pp1, &ps->ps_pool_head, pr_poollist) {
			if (pp == pp1) {
				mutex_exit(&ps->ps_head_lock);
				panic("%s: [%s] already initialised",
				    "pool_init", wchan);
			}
		}
		mutex_exit(&ps->ps_head_lock);
	}

	if (palloc == NULL)
		palloc = &ps->ps_allocator_kmem;

	mutex_enter(&ps->ps_allocator_lock);
	if (palloc->pa_refcnt++ == 0) {
		if (palloc->pa_pagesz == 0)
			palloc->pa_pagesz = (unsigned int)m->m_pagesize;
		TAILQ_INIT(&palloc->pa_list);
		mutex_init(&palloc->pa_lock, MUTEX_DEFAULT, IPL_VM);
		palloc->pa_pagemask = (int)~(palloc->pa_pagesz - 1);
		palloc->pa_pageshift = __builtin_ffs((int)palloc->pa_pagesz) -
		    1;
	}
	mutex_exit(&ps->ps_allocator_lock);

	/*
	 * PR_PSERIALIZE implies PR_NOTOUCH; freed objects must remain
	 * valid until the backing page is returned to the system.
	 */
	if (flags & PR_PSERIALIZE)
		flags |= PR_NOTOUCH;

	if (align == 0)
		align = ALIGN(1);

	memset(pp, 0, sizeof(*pp));
	pp->pr_checkmagic = nbm_opt(m, NBM_OPT_DIAGNOSTIC);
	prsize = size;
	if ((flags & PR_NOTOUCH) == 0) {
		size_t minsize = pp->pr_checkmagic ? POOL_ITEM_MAGIC_SIZE :
		    POOL_ITEM_SIZE;

		if (prsize < minsize)
			prsize = minsize;
	}
	prsize = roundup(prsize, align);
	KASSERTMSG((prsize <= palloc->pa_pagesz),
	    "%s: [%s] pool item size (%zu) larger than page size (%u)",
	    "pool_init", wchan, prsize, palloc->pa_pagesz);

	LIST_INIT(&pp->pr_emptypages);
	LIST_INIT(&pp->pr_fullpages);
	LIST_INIT(&pp->pr_partpages);
	pp->pr_cache = NULL;
	pp->pr_curpage = NULL;
	pp->pr_npages = 0;
	pp->pr_minitems = 0;
	pp->pr_maxitems = 0;
	pp->pr_minpages = 0;
	pp->pr_maxpages = UINT_MAX;
	pp->pr_roflags = (unsigned int)flags;
	pp->pr_flags = 0;
	pp->pr_size = (unsigned int)prsize;
	pp->pr_reqsize = size;
	pp->pr_align = align;
	pp->pr_wchan = wchan;
	pp->pr_alloc = palloc;
	pp->pr_machine = m;
	pp->pr_poolid = __atomic_add_fetch(&ps->ps_poolid_counter, 1,
	    __ATOMIC_RELAXED);
	pp->pr_nitems = 0;
	pp->pr_nout = 0;
	pp->pr_hardlimit = UINT_MAX;
	pp->pr_hardlimit_warning = NULL;
	pp->pr_drain_hook = NULL;
	pp->pr_drain_hook_arg = NULL;
	pp->pr_freecheck = NULL;
	pp->pr_redzone = false;
	if (nbm_opt(m, NBM_OPT_DIAGNOSTIC | NBM_OPT_POOL_REDZONE))
		pool_redzone_init(pp, size);

	/*
	 * Header placement: on-page headers start the page, and the items
	 * follow at the header size rounded to the alignment; off-page
	 * headers come from a phpool and are found through the splay tree.
	 */
	if (pool_init_is_phinpage(pp)) {
		itemspace = palloc->pa_pagesz -
		    (unsigned int)roundup(PHSIZE, align);
		pp->pr_itemoffset = (unsigned int)roundup(PHSIZE, align);
		pp->pr_roflags |= PR_PHINPAGE;
	} else {
		itemspace = palloc->pa_pagesz;
		pp->pr_itemoffset = 0;
		pp->pr_phtree.sph_root = NULL;
	}

	pp->pr_itemsperpage = itemspace / pp->pr_size;
	KASSERT(pp->pr_itemsperpage != 0);
	if (__predict_false(pp->pr_itemsperpage == 0)) {
		/* A kernel without DIAGNOSTIC would corrupt memory here. */
		panic("%s: [%s] pool item size (%u) leaves no item in a page "
		    "of %u", "pool_init", wchan, pp->pr_size,
		    palloc->pa_pagesz);
	}

	if (pool_init_is_usebmap(pp))
		pp->pr_roflags |= PR_USEBMAP;

	/*
	 * Off-page pools use a bitmap; the header pool is the first whose
	 * bitmap covers the items of a page.
	 */
	if (!(pp->pr_roflags & PR_PHINPAGE)) {
		int idx;

		KASSERT(pp->pr_roflags & PR_USEBMAP);
		for (idx = 0; idx < PHPOOL_MAX &&
		    pp->pr_itemsperpage > PHPOOL_FREELIST_NELEM(idx); idx++)
			continue;
		if (idx >= PHPOOL_MAX) {
			panic("%s: [%s] too large itemsperpage(%d) for "
			    "PR_USEBMAP", "pool_init",
			    pp->pr_wchan, pp->pr_itemsperpage);
		}
		pp->pr_phpool = &ps->ps_phpool[idx];
	} else {
		pp->pr_phpool = NULL;
	}

	/* Use the slack between the chunks and the page header for colour. */
	slack = itemspace - pp->pr_itemsperpage * pp->pr_size;
	pp->pr_maxcolor = (int)rounddown(slack, align);
	pp->pr_curcolor = 0;

	pp->pr_nget = 0;
	pp->pr_nfail = 0;
	pp->pr_nput = 0;
	pp->pr_npagealloc = 0;
	pp->pr_npagefree = 0;
	pp->pr_hiwat = 0;
	pp->pr_nidle = 0;
	pp->pr_refcnt = 0;

	mutex_init(&pp->pr_lock, MUTEX_DEFAULT, ipl);
	cv_init(&pp->pr_cv, wchan);
	pp->pr_ipl = ipl;

	/* Insert into the list of all pools, sorted by name. */
	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pp1, &ps->ps_pool_head, pr_poollist) {
		if (strcmp(pp1->pr_wchan, pp->pr_wchan) > 0)
			break;
	}
	if (pp1 == NULL)
		TAILQ_INSERT_TAIL(&ps->ps_pool_head, pp, pr_poollist);
	else
		TAILQ_INSERT_BEFORE(pp1, pp, pr_poollist);
	mutex_exit(&ps->ps_head_lock);

	/* Insert this into the list of pools using this allocator. */
	mutex_enter(&palloc->pa_lock);
	TAILQ_INSERT_TAIL(&palloc->pa_list, pp, pr_alloc_list);
	mutex_exit(&palloc->pa_lock);
}

/*
 * pool_init: initialise a pool of items of `size' bytes aligned to `align'.
 *
 * => the caller owns the storage of *pp; palloc NULL means
 *    pool_allocator_kmem; ipl is the highest IPL the pool is used at.
 * => may not fail; sleeps only on the pool list lock.
 */
void
pool_init(struct pool *pp, size_t size, u_int align, u_int ioff, int flags,
    const char *wchan, struct pool_allocator *palloc, int ipl)
{

	pool_init1(pool_state(), pp, size, align, ioff, flags, wchan, palloc,
	    ipl);
}

/*
 * pool_destroy: de-commission a pool.
 *
 * => every item must have been returned (KASSERT on DIAGNOSTIC machines:
 *    "pool_destroy: [wchan] pool busy: still out: N"); its empty pages go
 *    back to the allocator.
 */
void
pool_destroy(struct pool *pp)
{
	struct nbm_pool_state *ps = pool_state();
	struct pool_pagelist pq;
	struct pool_item_header *ph;

	/* Remove from global pool list */
	mutex_enter(&ps->ps_head_lock);
	while (pp->pr_refcnt != 0)
		cv_wait(&ps->ps_busy, &ps->ps_head_lock);
	TAILQ_REMOVE(&ps->ps_pool_head, pp, pr_poollist);
	if (ps->ps_drainpp == pp)
		ps->ps_drainpp = NULL;
	mutex_exit(&ps->ps_head_lock);

	/* Remove this pool from its allocator's list of pools. */
	mutex_enter(&pp->pr_alloc->pa_lock);
	TAILQ_REMOVE(&pp->pr_alloc->pa_list, pp, pr_alloc_list);
	mutex_exit(&pp->pr_alloc->pa_lock);

	mutex_enter(&ps->ps_allocator_lock);
	if (--pp->pr_alloc->pa_refcnt == 0)
		mutex_destroy(&pp->pr_alloc->pa_lock);
	mutex_exit(&ps->ps_allocator_lock);

	mutex_enter(&pp->pr_lock);
	KASSERT(pp->pr_cache == NULL);
	KASSERTMSG((pp->pr_nout == 0),
	    "%s: [%s] pool busy: still out: %u", __func__, pp->pr_wchan,
	    pp->pr_nout);
	KASSERT(LIST_EMPTY(&pp->pr_fullpages));
	KASSERT(LIST_EMPTY(&pp->pr_partpages));

	/* Remove all pages */
	LIST_INIT(&pq);
	while ((ph = LIST_FIRST(&pp->pr_emptypages)) != NULL)
		pr_rmpage(pp, ph, &pq);
	mutex_exit(&pp->pr_lock);

	pr_pagelist_free(pp, &pq);
	cv_destroy(&pp->pr_cv);
	mutex_destroy(&pp->pr_lock);
}

/*
 * pool_set_drain_hook: set the function a pool calls when it wants items
 * or memory back: at its hard limit, when the allocator fails a request
 * that may not sleep, and at the start of pool_reclaim (spec 1.10).
 *
 * => no locking: to be used just after pool_init.
 */
void
pool_set_drain_hook(struct pool *pp, void (*fn)(void *, int), void *arg)
{

	KASSERTMSG((pp->pr_drain_hook == NULL),
	    "%s: [%s] already set", __func__, pp->pr_wchan);
	pp->pr_drain_hook = fn;
	pp->pr_drain_hook_arg = arg;
}

static struct pool_item_header *
pool_alloc_item_header(struct pool *pp, void *storage, int flags)
{

	if ((pp->pr_roflags & PR_PHINPAGE) != 0)
		return storage;
	return pool_get(pp->pr_phpool, flags);
}

/*
 * pool_check_context: the context checks of pool_get and pool_put.
 *
 * An IPL_NONE pool has an adaptive lock and may not be used from (soft)
 * interrupt context.  A hard interrupt above the pool's IPL could arrive
 * while this CPU holds pr_lock, and would spin on it forever; a LOCKDEBUG
 * kernel reports that as a spin-lock IPL violation, here it is a panic
 * with the pool's name.  Both are panics on every machine: a simulated CPU
 * would otherwise hang.
 */
static inline void
pool_check_context(const struct pool *pp, const struct cpu_info *ci,
    const char *fn)
{

	if (__predict_true(ci->ci_idepth < 0 && !cpu_softintr_p()))
		return;
	if (pp->pr_ipl == IPL_NONE) {
		panic("%s: [%s] is IPL_NONE, but called from interrupt context",
		    fn, pp->pr_wchan);
	}
	if (ci->ci_idepth >= 0 && ci->ci_ilevel > pp->pr_ipl) {
		panic("%s: [%s] called from an interrupt at IPL %d, above the "
		    "pool's IPL %d", fn, pp->pr_wchan, ci->ci_ilevel,
		    pp->pr_ipl);
	}
}

/*
 * pool_ratecheck: ratecheck(9) on the machine's uptime: true the first
 * time (last is zero) and then at most once per cap; records the time.
 */
static bool
pool_ratecheck(struct nbm_machine *m, struct timeval *last,
    const struct timeval *cap)
{
	uint64_t now = nbm_uptime_ns(m);
	struct timeval tv, delta;

	tv.tv_sec = (time_t)(now / 1000000000ULL);
	tv.tv_usec = (suseconds_t)(now % 1000000000ULL / 1000);
	timersub(&tv, last, &delta);
	if (timercmp(&delta, cap, >=) ||
	    (last->tv_sec == 0 && last->tv_usec == 0)) {
		*last = tv;
		return true;
	}
	return false;
}

/*
 * pool_get: grab an item from the pool.
 *
 * => flags: exactly one of PR_WAITOK and PR_NOWAIT, optionally PR_LIMITFAIL
 *    and PR_ZERO.
 * => returns NULL only for PR_NOWAIT, or PR_LIMITFAIL at the hard limit.
 * => PR_WAITOK may sleep, for memory or at the hard limit.
 */
void *
pool_get(struct pool *pp, int flags)
{
	struct cpu_info *ci = curcpu();
	struct nbm_machine *m = ci->ci_machine;
	struct pool_item_header *ph;
	const char *warning = NULL;
	void *v;

	KASSERT(!(flags & PR_NOWAIT) != !(flags & PR_WAITOK));
	KASSERTMSG((pp->pr_itemsperpage != 0),
	    "%s: [%s] pr_itemsperpage is zero, "
	    "pool not initialized?", __func__, pp->pr_wchan);
	pool_check_context(pp, ci, __func__);
	if (flags & PR_WAITOK)
		assert_sleepable();

	mutex_enter(&pp->pr_lock);
 startover:
	/*
	 * At the hard limit: let the drain hook free something, else wait
	 * for a put (PR_WAITOK without PR_LIMITFAIL) or fail.
	 */
	KASSERTMSG((pp->pr_nout <= pp->pr_hardlimit),
	    "%s: %s: crossed hard limit", __func__, pp->pr_wchan);
	if (__predict_false(pp->pr_nout == pp->pr_hardlimit)) {
		if (pp->pr_drain_hook != NULL) {
			mutex_exit(&pp->pr_lock);
			(*pp->pr_drain_hook)(pp->pr_drain_hook_arg, flags);
			mutex_enter(&pp->pr_lock);
			if (pp->pr_nout < pp->pr_hardlimit)
				goto startover;
		}

		if ((flags & PR_WAITOK) && !(flags & PR_LIMITFAIL)) {
			/* No warning is logged in this case (NetBSD's XXX). */
			pp->pr_flags |= PR_WANTED;
			do {
				cv_wait(&pp->pr_cv, &pp->pr_lock);
			} while (pp->pr_flags & PR_WANTED);
			goto startover;
		}

		if (pp->pr_hardlimit_warning != NULL &&
		    pool_ratecheck(m, &pp->pr_hardlimit_warning_last,
		    &pp->pr_hardlimit_ratecap))
			warning = pp->pr_hardlimit_warning;
		pp->pr_nfail++;
		mutex_exit(&pp->pr_lock);

		/* log(LOG_ERR, "%s\n", warning), and a machine event. */
		if (warning != NULL) {
			kprintf("%s\n", warning);
			nbm_machine_event(m, NBM_EV_HARDLIMIT, pp->pr_wchan,
			    "%s", warning);
		}
		KASSERT((flags & (PR_NOWAIT|PR_LIMITFAIL)) != 0);
		return NULL;
	}

	/*
	 * If pr_curpage is not NULL it has a free item; otherwise the pool
	 * has none and must grow.
	 */
	if ((ph = pp->pr_curpage) == NULL) {
		int error;

		KASSERTMSG((pp->pr_nitems == 0),
		    "%s: [%s] curpage NULL, inconsistent nitems %u",
		    __func__, pp->pr_wchan, pp->pr_nitems);

		error = pool_grow(pp, flags);
		if (error != 0) {
			/* Another CPU was growing the pool; we waited. */
			if (error == ERESTART)
				goto startover;
			/* The lock was dropped: items may have come back. */
			if (pp->pr_curpage != NULL)
				goto startover;
			pp->pr_nfail++;
			mutex_exit(&pp->pr_lock);
			KASSERT((flags & (PR_NOWAIT|PR_LIMITFAIL)) != 0);
			return NULL;
		}
		goto startover;
	}
	if (pp->pr_roflags & PR_USEBMAP) {
		KASSERTMSG((ph->ph_nmissing < pp->pr_itemsperpage),
		    "%s: [%s] pool page empty", __func__, pp->pr_wchan);
		v = pr_item_bitmap_get(pp, ph);
	} else {
		v = pr_item_linkedlist_get(pp, ph);
	}
	pp->pr_nitems--;
	pp->pr_nout++;
	if (ph->ph_nmissing == 0) {
		KASSERT(pp->pr_nidle > 0);
		pp->pr_nidle--;
		/* The page was empty; it is already curpage. */
		LIST_REMOVE(ph, ph_pagelist);
		LIST_INSERT_HEAD(&pp->pr_partpages, ph, ph_pagelist);
	}
	ph->ph_nmissing++;
	if (ph->ph_nmissing == pp->pr_itemsperpage) {
		KASSERTMSG(((pp->pr_roflags & PR_USEBMAP) ||
			LIST_EMPTY(&ph->ph_itemlist)),
		    "%s: [%s] nmissing (%u) inconsistent", __func__,
			pp->pr_wchan, ph->ph_nmissing);
		/* Now full: move it and pick another current page. */
		LIST_REMOVE(ph, ph_pagelist);
		LIST_INSERT_HEAD(&pp->pr_fullpages, ph, ph_pagelist);
		pool_update_curpage(pp);
	}

	pp->pr_nget++;

	/* Below the low water mark: grow without sleeping, best effort. */
	if (POOL_NEEDS_CATCHUP(pp))
		(void)pool_catchup(pp);

	mutex_exit(&pp->pr_lock);
	KASSERT((((vaddr_t)v) & (pp->pr_align - 1)) == 0);
	if (pp->pr_redzone)
		pool_redzone_fill(pp, v);
	if (flags & PR_ZERO)
		memset(v, 0, pp->pr_reqsize);
	return v;
}

/*
 * pool_do_put: return an item to its page.
 *
 * => called with pr_lock held; a page to free is queued on pq.
 */
static void
pool_do_put(struct pool *pp, void *v, struct pool_pagelist *pq)
{
	struct pool_item_header *ph;

	KASSERT(mutex_owned(&pp->pr_lock));
	if (pp->pr_redzone)
		pool_redzone_check(pp, v);

	KASSERTMSG((pp->pr_nout > 0),
	    "%s: [%s] putting with none out", __func__, pp->pr_wchan);

	if (__predict_false((ph = pr_find_pagehead(pp, v)) == NULL)) {
		panic("%s: [%s] page header missing", __func__, pp->pr_wchan);
	}

	if (pp->pr_roflags & PR_USEBMAP)
		pr_item_bitmap_put(pp, ph, v);
	else
		pr_item_linkedlist_put(pp, ph, v);
	KDASSERT(ph->ph_nmissing != 0);
	ph->ph_nmissing--;
	pp->pr_nput++;
	pp->pr_nitems++;
	pp->pr_nout--;

	/* Cancel "pool empty" condition if it exists */
	if (pp->pr_curpage == NULL)
		pp->pr_curpage = ph;

	if (pp->pr_flags & PR_WANTED) {
		pp->pr_flags &= ~PR_WANTED;
		cv_broadcast(&pp->pr_cv);
	}

	/*
	 * A page that became empty is released at once if the pool holds
	 * more than pr_maxpages (and keeps its minimums); otherwise it goes
	 * to the head of the empty list, stamped for pool_reclaim.  Either
	 * way the next get prefers a partial page.
	 */
	if (ph->ph_nmissing == 0) {
		pp->pr_nidle++;
		if (pp->pr_nitems - pp->pr_itemsperpage >= pp->pr_minitems &&
		    pp->pr_npages > pp->pr_minpages &&
		    pp->pr_npages > pp->pr_maxpages) {
			pr_rmpage(pp, ph, pq);
		} else {
			LIST_REMOVE(ph, ph_pagelist);
			LIST_INSERT_HEAD(&pp->pr_emptypages, ph, ph_pagelist);
			ph->ph_time = pool_time_uptime(pp->pr_machine);
		}
		pool_update_curpage(pp);
	}

	/*
	 * A page that was full becomes current, so that it fills up again
	 * before other pages fragment further.
	 */
	else if (ph->ph_nmissing == (pp->pr_itemsperpage - 1)) {
		LIST_REMOVE(ph, ph_pagelist);
		LIST_INSERT_HEAD(&pp->pr_partpages, ph, ph_pagelist);
		pp->pr_curpage = ph;
	}
}

/*
 * pool_put: return an item to the pool.
 *
 * => never sleeps; panics on a pointer that is not an item out of this
 *    pool when it can tell (spec 1.11).
 */
void
pool_put(struct pool *pp, void *v)
{
	struct pool_pagelist pq;

	pool_check_context(pp, curcpu(), __func__);
	LIST_INIT(&pq);
	mutex_enter(&pp->pr_lock);
	pool_do_put(pp, v, &pq);
	mutex_exit(&pp->pr_lock);
	pr_pagelist_free(pp, &pq);
}

/*
 * pool_grow: grow a pool by a page.
 *
 * => called with pool locked; drops the lock around a sleeping allocation.
 * => returns 0, ENOMEM, ERESTART (waited for another grower: retry) or
 *    EWOULDBLOCK (another, sleeping, grower is busy and we may not wait).
 */
static int
pool_grow(struct pool *pp, int flags)
{
	struct pool_item_header *ph;
	char *storage;

	if (pp->pr_flags & PR_GROWING) {
		if (flags & PR_WAITOK) {
			do {
				cv_wait(&pp->pr_cv, &pp->pr_lock);
			} while (pp->pr_flags & PR_GROWING);
			return ERESTART;
		} else {
			if (pp->pr_flags & PR_GROWINGNOWAIT) {
				/* Let the other grower run: a busy-wait. */
				mutex_exit(&pp->pr_lock);
				mutex_enter(&pp->pr_lock);
				return ERESTART;
			}
			return EWOULDBLOCK;
		}
	}
	pp->pr_flags |= PR_GROWING;
	if (flags & PR_WAITOK)
		mutex_exit(&pp->pr_lock);
	else
		pp->pr_flags |= PR_GROWINGNOWAIT;

	storage = pool_allocator_alloc(pp, flags);
	if (__predict_false(storage == NULL))
		goto out;

	ph = pool_alloc_item_header(pp, storage, flags);
	if (__predict_false(ph == NULL)) {
		pool_allocator_free(pp, storage);
		goto out;
	}

	if (flags & PR_WAITOK)
		mutex_enter(&pp->pr_lock);
	pool_prime_page(pp, storage, ph);
	pp->pr_npagealloc++;
	KASSERT(pp->pr_flags & PR_GROWING);
	pp->pr_flags &= ~(PR_GROWING|PR_GROWINGNOWAIT);
	/* Wake whoever waited for this grow. */
	cv_broadcast(&pp->pr_cv);
	return 0;
out:
	if (flags & PR_WAITOK)
		mutex_enter(&pp->pr_lock);
	KASSERT(pp->pr_flags & PR_GROWING);
	pp->pr_flags &= ~(PR_GROWING|PR_GROWINGNOWAIT);
	return ENOMEM;
}

/*
 * pool_prime: keep at least n items' worth of pages in the pool (an
 * absolute number since 2020, spec 1.9), growing with PR_WAITOK now.
 */
void
pool_prime(struct pool *pp, int n)
{

	assert_sleepable();
	mutex_enter(&pp->pr_lock);
	pp->pr_minpages = (unsigned int)roundup((unsigned int)n,
	    pp->pr_itemsperpage) / pp->pr_itemsperpage;
	if (pp->pr_maxpages <= pp->pr_minpages)
		pp->pr_maxpages = pp->pr_minpages + 1;	/* XXX */
	while (pp->pr_npages < pp->pr_minpages)
		(void) pool_grow(pp, PR_WAITOK);
	mutex_exit(&pp->pr_lock);
}

/*
 * pool_prime_page: add a page's worth of items to the pool.
 *
 * => called with pr_lock held.
 */
static void
pool_prime_page(struct pool *pp, void *storage, struct pool_item_header *ph)
{
	const unsigned int align = pp->pr_align;
	struct pool_item *pi;
	char *cp = storage;
	unsigned int n;

	KASSERT(mutex_owned(&pp->pr_lock));
	KASSERTMSG(((pp->pr_roflags & PR_NOALIGN) ||
		(((uintptr_t)cp & (pp->pr_alloc->pa_pagesz - 1)) == 0)),
	    "%s: [%s] unaligned page: %p", __func__, pp->pr_wchan, cp);

	/* Insert page header. */
	LIST_INSERT_HEAD(&pp->pr_emptypages, ph, ph_pagelist);
	LIST_INIT(&ph->ph_itemlist);
	ph->ph_page = storage;
	ph->ph_nmissing = 0;
	ph->ph_time = pool_time_uptime(pp->pr_machine);
	if (pp->pr_roflags & PR_PHINPAGE)
		ph->ph_poolid = pp->pr_poolid;
	else
		phtree_insert(pp, ph);

	pp->pr_nidle++;

	/* The item space starts after the on-page header, if any; colour. */
	ph->ph_off = (uint16_t)(pp->pr_itemoffset +
	    (unsigned int)pp->pr_curcolor);
	cp += ph->ph_off;
	if ((pp->pr_curcolor += (int)align) > pp->pr_maxcolor)
		pp->pr_curcolor = 0;

	KASSERT((((vaddr_t)cp) & (align - 1)) == 0);

	/*
	 * List pools push the items from low to high address, so a fresh
	 * page is handed out top-down.
	 */
	n = pp->pr_itemsperpage;
	pp->pr_nitems += n;

	if (pp->pr_roflags & PR_USEBMAP) {
		pr_item_bitmap_init(pp, ph);
	} else {
		while (n--) {
			pi = pr_item_link(pp, cp);
			KASSERT((((vaddr_t)cp) & (align - 1)) == 0);
			LIST_INSERT_HEAD(&ph->ph_itemlist, pi, pi_list);
			if (pp->pr_checkmagic)
				*(u_int *)(void *)cp = PI_MAGIC;
			cp += pp->pr_size;
		}
	}

	/* If the pool was depleted, point at the new page. */
	if (pp->pr_curpage == NULL)
		pp->pr_curpage = ph;

	if (++pp->pr_npages > pp->pr_hiwat)
		pp->pr_hiwat = pp->pr_npages;
}

/*
 * pool_catchup: grow, without sleeping, until the pool holds pr_minitems
 * free items and pr_minpages pages.
 *
 * => called with pr_lock held; returns the error of the last grow.
 */
static int
pool_catchup(struct pool *pp)
{
	int error = 0;

	while (POOL_NEEDS_CATCHUP(pp)) {
		error = pool_grow(pp, PR_NOWAIT);
		if (error) {
			if (error == ERESTART)
				continue;
			break;
		}
	}
	return error;
}

static void
pool_update_curpage(struct pool *pp)
{

	pp->pr_curpage = LIST_FIRST(&pp->pr_partpages);
	if (pp->pr_curpage == NULL)
		pp->pr_curpage = LIST_FIRST(&pp->pr_emptypages);
	KASSERT((pp->pr_curpage == NULL && pp->pr_nitems == 0) ||
	    (pp->pr_curpage != NULL && pp->pr_nitems > 0));
}

/*
 * pool_setlowat: keep at least n free items; grows now, without sleeping
 * (failures are ignored, as in NetBSD).
 */
void
pool_setlowat(struct pool *pp, int n)
{

	mutex_enter(&pp->pr_lock);
	pp->pr_minitems = (unsigned int)n;
	if (POOL_NEEDS_CATCHUP(pp))
		(void)pool_catchup(pp);
	mutex_exit(&pp->pr_lock);
}

/*
 * pool_sethiwat: keep at most n items' worth of pages.
 *
 * The documented behaviour (pool(9), memoryallocators(9)): pages beyond
 * howmany(n, itemsperpage) are released as soon as they become empty.
 * subr_pool.c 1.284 only records pr_maxitems, which nothing reads, since
 * the change of 2020-04-13 (spec 1.9 [CHS2020]); this keeps the
 * documented meaning on purpose (DESIGN.md), as subr_pool.c did before.
 */
void
pool_sethiwat(struct pool *pp, int n)
{

	mutex_enter(&pp->pr_lock);
	pp->pr_maxitems = (unsigned int)n;
	pp->pr_maxpages = (n == 0) ? 0 :
	    howmany((unsigned int)n, pp->pr_itemsperpage);
	mutex_exit(&pp->pr_lock);
}

/*
 * pool_sethardlimit: at most n items out; a failing get logs warnmess at
 * most once per ratecap seconds.  Also bounds the pages kept (spec 1.9).
 */
void
pool_sethardlimit(struct pool *pp, int n, const char *warnmess, int ratecap)
{

	mutex_enter(&pp->pr_lock);
	pp->pr_hardlimit = (unsigned int)n;
	pp->pr_hardlimit_warning = warnmess;
	pp->pr_hardlimit_ratecap.tv_sec = ratecap;
	pp->pr_hardlimit_ratecap.tv_usec = 0;
	pp->pr_hardlimit_warning_last.tv_sec = 0;
	pp->pr_hardlimit_warning_last.tv_usec = 0;
	pp->pr_maxpages = (unsigned int)roundup((unsigned int)n,
	    pp->pr_itemsperpage) / pp->pr_itemsperpage;
	mutex_exit(&pp->pr_lock);
}

unsigned int
pool_nget(struct pool *pp)
{
	unsigned int n;

	mutex_enter(&pp->pr_lock);
	n = (unsigned int)pp->pr_nget;
	mutex_exit(&pp->pr_lock);
	return n;
}

unsigned int
pool_nput(struct pool *pp)
{
	unsigned int n;

	mutex_enter(&pp->pr_lock);
	n = (unsigned int)pp->pr_nput;
	mutex_exit(&pp->pr_lock);
	return n;
}

/*
 * pool_reclaim: release the empty pages that have been idle for at least
 * pool_inactive_time seconds, keeping pr_minpages and pr_minitems; first
 * calls the drain hook and invalidates the pool's cache.
 *
 * => not from interrupt context; returns 1 if a page was released, 0 if
 *    none was or the pool was busy.
 */
int
pool_reclaim(struct pool *pp)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct pool_item_header *ph, *phnext;
	struct pool_pagelist pq;
	struct pool_cache *pc;
	uint32_t curtime;

	KASSERT(!cpu_intr_p() && !cpu_softintr_p());

	if (pp->pr_drain_hook != NULL) {
		/* The drain hook must be called with the pool unlocked. */
		(*pp->pr_drain_hook)(pp->pr_drain_hook_arg, PR_NOWAIT);
	}

	/*
	 * NetBSD takes the kernel lock here for pools at IPL_SOFTNET,
	 * IPL_SOFTCLOCK and IPL_SOFTSERIAL; the simulated machine has no
	 * non-MPSAFE code to protect.
	 */

	/* Reclaim items from the pool's cache (if any). */
	if ((pc = __atomic_load_n(&pp->pr_cache, __ATOMIC_ACQUIRE)) != NULL)
		pool_cache_invalidate(pc);

	if (mutex_tryenter(&pp->pr_lock) == 0)
		return 0;

	LIST_INIT(&pq);
	curtime = pool_time_uptime(m);
	for (ph = LIST_FIRST(&pp->pr_emptypages); ph != NULL; ph = phnext) {
		phnext = LIST_NEXT(ph, ph_pagelist);

		/* Check our minimum page claim */
		if (pp->pr_npages <= pp->pr_minpages)
			break;

		KASSERT(ph->ph_nmissing == 0);
		if (curtime - ph->ph_time < m->m_cfg.pool_inactive_time)
			continue;

		/* Stop before going below the minimum items or pages. */
		if (pp->pr_nitems - pp->pr_itemsperpage < pp->pr_minitems ||
		    pp->pr_npages - 1 < pp->pr_minpages)
			break;

		pr_rmpage(pp, ph, &pq);
	}
	mutex_exit(&pp->pr_lock);

	if (LIST_EMPTY(&pq))
		return 0;
	pr_pagelist_free(pp, &pq);
	return 1;
}

/*
 * pool_drain: reclaim one pool, the next with pages in a round robin over
 * the machine's pools; the pool is returned in *ppp.
 *
 * => not from interrupt context; returns whether pages were released.
 * => NetBSD loops until it finds a pool with pages; a fresh simulated
 *    machine may have none, so here one full round without any ends the
 *    search (*ppp = NULL, false).
 */
bool
pool_drain(struct pool **ppp)
{
	struct nbm_pool_state *ps = pool_state();
	struct pool *pp;
	unsigned int npages, tries = 0;
	bool reclaimed;

	KASSERT(!TAILQ_EMPTY(&ps->ps_pool_head));

	/* Find next pool to drain, and add a reference. */
	mutex_enter(&ps->ps_head_lock);
	for (;;) {
		pp = NULL;
		if (ps->ps_drainpp == NULL)
			ps->ps_drainpp = TAILQ_FIRST(&ps->ps_pool_head);
		if (ps->ps_drainpp != NULL) {
			pp = ps->ps_drainpp;
			ps->ps_drainpp = TAILQ_NEXT(pp, pr_poollist);
		}
		if (pp != NULL) {
			mutex_enter(&pp->pr_lock);
			npages = pp->pr_npages;
			mutex_exit(&pp->pr_lock);
			if (npages != 0)
				break;
		}
		/* Skip completely idle pools. */
		if (++tries > __atomic_load_n(&ps->ps_poolid_counter,
		    __ATOMIC_RELAXED) + 1) {
			mutex_exit(&ps->ps_head_lock);
			if (ppp != NULL)
				*ppp = NULL;
			return false;
		}
	}
	pp->pr_refcnt++;
	mutex_exit(&ps->ps_head_lock);

	/* Drain the cache (if any) and pool.. */
	reclaimed = pool_reclaim(pp);

	mutex_enter(&ps->ps_head_lock);
	pp->pr_refcnt--;
	cv_broadcast(&ps->ps_busy);
	mutex_exit(&ps->ps_head_lock);

	if (ppp != NULL)
		*ppp = pp;
	return reclaimed;
}

/*
 * pool_totalpages: the pages held by all pools of the machine (for
 * PR_RECURSIVE pools the bytes of the items out are not counted).
 * pool_totalpages_locked: the same for a caller that holds the pool list
 * lock (inside subr_pool.c).
 */
int
pool_totalpages(void)
{
	struct nbm_pool_state *ps = pool_state();
	int pages;

	mutex_enter(&ps->ps_head_lock);
	pages = pool_totalpages_locked();
	mutex_exit(&ps->ps_head_lock);
	return pages;
}

int
pool_totalpages_locked(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_pool_state *ps = pool_state_of(m);
	struct pool *pp;
	uint64_t total = 0;

	TAILQ_FOREACH(pp, &ps->ps_pool_head, pr_poollist) {
		uint64_t bytes;

		mutex_enter(&pp->pr_lock);
		bytes = (uint64_t)pp->pr_npages * pp->pr_alloc->pa_pagesz;
		if ((pp->pr_roflags & PR_RECURSIVE) != 0)
			bytes -= (uint64_t)pp->pr_nout * pp->pr_size;
		mutex_exit(&pp->pr_lock);
		total += bytes;
	}
	return (int)(total >> m->m_pageshift);
}

/* -------------------------------------------------------------------------- */

/*
 * Diagnostic helpers: DDB's "show pool[/clpsS] <addr>" and "show all pools"
 * (spec 1.14).  Output goes through pr, with the pool locked; pr must not
 * call into the pool.
 */

void
pool_printall(const char *modif, void (*pr)(const char *, ...))
{
	struct nbm_pool_state *ps = pool_state();
	struct pool *pp;

	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pp, &ps->ps_pool_head, pr_poollist)
		pool_printit(pp, modif, pr);
	mutex_exit(&ps->ps_head_lock);
}

static void
pool_print_pagelist(struct pool *pp, struct pool_pagelist *pl,
    void (*pr)(const char *, ...))
{
	struct pool_item_header *ph;
	struct pool_item *pi;

	LIST_FOREACH(ph, pl, ph_pagelist) {
		(*pr)("\t\tpage %p, nmissing %d, time %" PRIu32 "\n",
		    ph->ph_page, ph->ph_nmissing, ph->ph_time);
		if (!pp->pr_checkmagic || (pp->pr_roflags & PR_USEBMAP))
			continue;
		LIST_FOREACH(pi, &ph->ph_itemlist, pi_list) {
			u_int magic = *(u_int *)pr_link_item(pp, pi);

			if (magic != PI_MAGIC) {
				(*pr)("\t\t\titem %p, magic 0x%x\n",
				    pr_link_item(pp, pi), magic);
			}
		}
	}
}

/*
 * pool_pcg_lock: hold a lock-free group list still, for printing, by
 * swapping its head with pcg_dummy as a popping CPU does.
 */
pcg_t *
pool_pcg_lock(pcg_t **head)
{
	int count = SPINLOCK_BACKOFF_MIN;
	pcg_t *o;

	for (;;) {
		o = __atomic_load_n(head, __ATOMIC_RELAXED);
		if (o == PCG_DUMMY) {
			pool_backoff(&count);
			continue;
		}
		if (__atomic_compare_exchange_n(head, &o, PCG_DUMMY, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return o;
	}
}

void
pool_pcg_unlock(pcg_t **head, pcg_t *o)
{

	__atomic_store_n(head, o, __ATOMIC_RELEASE);
}

static void
pool_print_cache(pool_cache_t pc, bool print_cache,
    void (*pr)(const char *, ...))
{
	pool_cache_cpu_t *cc;
	uint64_t cpuhit = 0, cpumiss = 0, pchit, pcmiss = 0;
	uint32_t nfull = 0;
	pcg_t *pcg, *head;
	u_int i, j;

	for (i = 0; i < __arraycount(pc->pc_cpus); i++) {
		uintptr_t w = __atomic_load_n(&pc->pc_cpus[i],
		    __ATOMIC_ACQUIRE);

		if ((cc = PC_CPU_PTR(w)) == NULL)
			continue;
		cpuhit += CC_LOAD(cc, cc_hits);
		cpumiss += CC_LOAD(cc, cc_misses);
		pcmiss += CC_LOAD(cc, cc_pcmisses);
		nfull += CC_LOAD(cc, cc_nfull);
	}
	pchit = cpumiss - pcmiss;
	(*pr)("\tcpu layer hits %llu misses %llu\n",
	    (unsigned long long)cpuhit, (unsigned long long)cpumiss);
	(*pr)("\tcache layer hits %llu misses %llu\n",
	    (unsigned long long)pchit, (unsigned long long)pcmiss);
	(*pr)("\tcache layer full groups %u\n", nfull);
	if (!print_cache)
		return;
	(*pr)("\tfull cache groups:\n");
	head = pool_pcg_lock(&pc->pc_fullgroups);
	for (pcg = head; pcg != NULL; pcg = pcg->pcg_next) {
		(*pr)("\t\tgroup %p: avail %d\n", pcg, pcg->pcg_avail);
		for (j = 0; j < pcg->pcg_size; j++) {
			if (pcg->pcg_objects[j].pcgo_pa !=
			    POOL_PADDR_INVALID) {
				(*pr)("\t\t\t%p, 0x%llx\n",
				    pcg->pcg_objects[j].pcgo_va,
				    (unsigned long long)
				    pcg->pcg_objects[j].pcgo_pa);
			} else {
				(*pr)("\t\t\t%p\n",
				    pcg->pcg_objects[j].pcgo_va);
			}
		}
	}
	pool_pcg_unlock(&pc->pc_fullgroups, head);
}

static void
pool_print1(struct pool *pp, const char *modif, void (*pr)(const char *, ...))
{
	struct pool_item_header *ph;
	pool_cache_t pc;
	bool print_log = false, print_pagelist = false, print_cache = false;
	bool print_short = false, skip_empty = false;
	char c;

	while ((c = *modif++) != '\0') {
		if (c == 'l')
			print_log = true;
		if (c == 'p')
			print_pagelist = true;
		if (c == 'c')
			print_cache = true;
		if (c == 's')
			print_short = true;
		if (c == 'S')
			skip_empty = true;
	}

	mutex_enter(&pp->pr_lock);
	if (skip_empty && pp->pr_nget == 0) {
		mutex_exit(&pp->pr_lock);
		return;
	}

	if ((pc = __atomic_load_n(&pp->pr_cache, __ATOMIC_ACQUIRE)) != NULL)
		(*pr)("POOLCACHE");
	else
		(*pr)("POOL");

	/* Single line output. */
	if (print_short) {
		(*pr)(" %s:%p:%u:%u:%u:%u:%u:%u:%u:%u:%u:%u\n",
		    pp->pr_wchan, pp, pp->pr_size, pp->pr_align, pp->pr_npages,
		    pp->pr_nitems, pp->pr_nout, (u_int)pp->pr_nget,
		    (u_int)pp->pr_nput, (u_int)pp->pr_npagealloc,
		    (u_int)pp->pr_npagefree, (u_int)pp->pr_nidle);
		mutex_exit(&pp->pr_lock);
		return;
	}

	(*pr)(" %s: size %u, align %u, ioff %u, roflags 0x%08x\n",
	    pp->pr_wchan, pp->pr_size, pp->pr_align, pp->pr_itemoffset,
	    pp->pr_roflags);
	(*pr)("\tpool %p, alloc %p\n", pp, pp->pr_alloc);
	(*pr)("\tminitems %u, minpages %u, maxpages %u, npages %u\n",
	    pp->pr_minitems, pp->pr_minpages, pp->pr_maxpages, pp->pr_npages);
	(*pr)("\titemsperpage %u, nitems %u, nout %u, hardlimit %u\n",
	    pp->pr_itemsperpage, pp->pr_nitems, pp->pr_nout, pp->pr_hardlimit);
	(*pr)("\tnget %lu, nfail %lu, nput %lu\n",
	    pp->pr_nget, pp->pr_nfail, pp->pr_nput);
	(*pr)("\tnpagealloc %lu, npagefree %lu, hiwat %u, nidle %lu\n",
	    pp->pr_npagealloc, pp->pr_npagefree, pp->pr_hiwat, pp->pr_nidle);

	if (print_pagelist) {
		if ((ph = LIST_FIRST(&pp->pr_emptypages)) != NULL)
			(*pr)("\n\tempty page list:\n");
		pool_print_pagelist(pp, &pp->pr_emptypages, pr);
		if ((ph = LIST_FIRST(&pp->pr_fullpages)) != NULL)
			(*pr)("\n\tfull page list:\n");
		pool_print_pagelist(pp, &pp->pr_fullpages, pr);
		if ((ph = LIST_FIRST(&pp->pr_partpages)) != NULL)
			(*pr)("\n\tpartial-page list:\n");
		pool_print_pagelist(pp, &pp->pr_partpages, pr);

		if (pp->pr_curpage == NULL)
			(*pr)("\tno current page\n");
		else
			(*pr)("\tcurpage %p\n", pp->pr_curpage->ph_page);
	}
	mutex_exit(&pp->pr_lock);

	if (!print_log)
		(*pr)("\n");

	if (pc != NULL)
		pool_print_cache(pc, print_cache, pr);
}

void
pool_printit(struct pool *pp, const char *modif, void (*pr)(const char *, ...))
{

	if (pp == NULL) {
		(*pr)("Must specify a pool to print.\n");
		return;
	}
	pool_print1(pp, modif, pr);
}

/*
 * pool_chk_page: check one page of a pool: its header belongs to the page
 * and every free list item lies in it (and, with POOL_CHECK_MAGIC, still
 * has its magic word, else panic "pool").
 */
static int
pool_chk_page(struct pool *pp, const char *label, struct pool_item_header *ph)
{
	struct pool_item *pi;
	void *page, *v;
	int n;

	if ((pp->pr_roflags & PR_NOALIGN) == 0) {
		page = POOL_OBJ_TO_PAGE(pp, ph);
		if (page != ph->ph_page &&
		    (pp->pr_roflags & PR_PHINPAGE) != 0) {
			if (label != NULL)
				kprintf("%s: ", label);
			kprintf("pool(%p:%s): page inconsistency: page %p;"
			    " at page head addr %p (p %p)\n", pp,
			    pp->pr_wchan, ph->ph_page, ph, page);
			return 1;
		}
	}

	if ((pp->pr_roflags & PR_USEBMAP) != 0)
		return 0;

	for (pi = LIST_FIRST(&ph->ph_itemlist), n = 0; pi != NULL;
	    pi = LIST_NEXT(pi, pi_list), n++) {
		v = pr_link_item(pp, pi);
		if (pp->pr_checkmagic && *(u_int *)v != PI_MAGIC) {
			if (label != NULL)
				kprintf("%s: ", label);
			kprintf("pool(%s): free list modified: magic=%x;"
			    " page %p; item ordinal %d; addr %p\n",
			    pp->pr_wchan, *(u_int *)v, ph->ph_page, n, v);
			panic("pool");
		}
		if ((pp->pr_roflags & PR_NOALIGN) != 0)
			continue;
		page = POOL_OBJ_TO_PAGE(pp, v);
		if (page == ph->ph_page)
			continue;
		if (label != NULL)
			kprintf("%s: ", label);
		kprintf("pool(%p:%s): page inconsistency: page %p;"
		    " item ordinal %d; addr %p (p %p)\n", pp,
		    pp->pr_wchan, ph->ph_page, n, v, page);
		return 1;
	}
	return 0;
}

/*
 * pool_chk: check the pages of a pool; returns 1 on an inconsistency
 * (reported through kprintf), 0 otherwise.
 */
int
pool_chk(struct pool *pp, const char *label)
{
	struct pool_item_header *ph;
	int r = 0;

	mutex_enter(&pp->pr_lock);
	LIST_FOREACH(ph, &pp->pr_emptypages, ph_pagelist) {
		if ((r = pool_chk_page(pp, label, ph)) != 0)
			goto out;
	}
	LIST_FOREACH(ph, &pp->pr_fullpages, ph_pagelist) {
		if ((r = pool_chk_page(pp, label, ph)) != 0)
			goto out;
	}
	LIST_FOREACH(ph, &pp->pr_partpages, ph_pagelist) {
		if ((r = pool_chk_page(pp, label, ph)) != 0)
			goto out;
	}
out:
	mutex_exit(&pp->pr_lock);
	return r;
}

/*
 * pool_in_page: addr lies in the item space of the page.  (NetBSD tests the
 * whole page; an address in an on-page header or in the colour slack is no
 * item, and the bitmap lookup of pool_allocated would panic on it.)
 */
static bool
pool_in_page(struct pool *pp, struct pool_item_header *ph, uintptr_t addr)
{
	uintptr_t start = (uintptr_t)ph->ph_page + ph->ph_off;

	return start <= addr &&
	    addr < start + (uintptr_t)pp->pr_itemsperpage * pp->pr_size;
}

static bool
pool_in_item(struct pool *pp, void *item, uintptr_t addr)
{

	return (uintptr_t)item <= addr && addr < (uintptr_t)item + pp->pr_size;
}

static bool
pool_in_cg(struct pool *pp, pcg_t *pcg, uintptr_t addr)
{
	u_int i;

	if (pcg == NULL)
		return false;
	for (i = 0; i < pcg->pcg_avail; i++) {
		if (pool_in_item(pp, pcg->pcg_objects[i].pcgo_va, addr))
			return true;
	}
	return false;
}

static bool
pool_allocated(struct pool *pp, struct pool_item_header *ph, uintptr_t addr)
{
	struct pool_item *pi;

	if ((pp->pr_roflags & PR_USEBMAP) != 0) {
		unsigned int idx = pr_item_bitmap_index(pp, ph, (void *)addr);
		pool_item_bitmap_t *bitmap = pr_bitmap(ph) +
		    (idx / BITMAP_SIZE);
		pool_item_bitmap_t mask = 1U << (idx & BITMAP_MASK);

		return (*bitmap & mask) == 0;
	}
	LIST_FOREACH(pi, &ph->ph_itemlist, pi_list) {
		if (pool_in_item(pp, pr_link_item(pp, pi), addr))
			return false;
	}
	return true;
}

/*
 * pool_whatis: DDB's "whatis": print what pool (and item) addr is in:
 * "%p is %p+%zu in POOL '%s' (state)", state being "cached by CPU %u",
 * "cached", "allocated" or "free".
 *
 * => reads other CPUs' cache groups unsynchronised, as DDB does on a
 *    stopped machine: meant for a quiescent machine.
 */
void
pool_whatis(uintptr_t addr, void (*pr)(const char *, ...))
{
	struct nbm_pool_state *ps = pool_state();
	struct pool *pp;

	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pp, &ps->ps_pool_head, pr_poollist) {
		struct pool_item_header *ph;
		struct pool_cache *pc;
		uintptr_t item;
		bool allocated = true;
		bool incache = false;
		bool incpucache = false;
		char cpucachestr[32];

		mutex_enter(&pp->pr_lock);
		if ((pp->pr_roflags & PR_PHINPAGE) != 0) {
			LIST_FOREACH(ph, &pp->pr_fullpages, ph_pagelist) {
				if (pool_in_page(pp, ph, addr))
					goto found;
			}
			LIST_FOREACH(ph, &pp->pr_partpages, ph_pagelist) {
				if (pool_in_page(pp, ph, addr)) {
					allocated =
					    pool_allocated(pp, ph, addr);
					goto found;
				}
			}
			LIST_FOREACH(ph, &pp->pr_emptypages, ph_pagelist) {
				if (pool_in_page(pp, ph, addr)) {
					allocated = false;
					goto found;
				}
			}
			mutex_exit(&pp->pr_lock);
			continue;
		} else {
			ph = pr_find_pagehead_noalign(pp, (void *)addr);
			if (ph == NULL || !pool_in_page(pp, ph, addr)) {
				mutex_exit(&pp->pr_lock);
				continue;
			}
			allocated = pool_allocated(pp, ph, addr);
		}
found:
		if (allocated &&
		    (pc = __atomic_load_n(&pp->pr_cache, __ATOMIC_ACQUIRE)) !=
		    NULL) {
			pcg_t *pcg, *head;
			u_int i;

			head = pool_pcg_lock(&pc->pc_fullgroups);
			for (pcg = head; pcg != NULL; pcg = pcg->pcg_next) {
				if (pool_in_cg(pp, pcg, addr)) {
					incache = true;
					break;
				}
			}
			pool_pcg_unlock(&pc->pc_fullgroups, head);
			for (i = 0; !incache && i < __arraycount(pc->pc_cpus);
			    i++) {
				pool_cache_cpu_t *cc = PC_CPU_PTR(
				    __atomic_load_n(&pc->pc_cpus[i],
				    __ATOMIC_ACQUIRE));

				if (cc == NULL)
					continue;
				if (pool_in_cg(pp, cc->cc_current, addr) ||
				    pool_in_cg(pp, cc->cc_previous, addr)) {
					incpucache = true;
					snprintf(cpucachestr,
					    sizeof(cpucachestr),
					    "cached by CPU %u", i);
					break;
				}
			}
		}
		item = (uintptr_t)ph->ph_page + ph->ph_off;
		item = item + rounddown(addr - item, pp->pr_size);
		(*pr)("%p is %p+%zu in POOL '%s' (%s)\n",
		    (void *)addr, (void *)item, (size_t)(addr - item),
		    pp->pr_wchan,
		    incpucache ? cpucachestr :
		    incache ? "cached" : allocated ? "allocated" : "free");
		mutex_exit(&pp->pr_lock);
	}
	mutex_exit(&ps->ps_head_lock);
}

/*
 * pool_sysctl1: fill one kern.pool record (spec 4.1).
 *
 * => called with the pool list lock held.
 */
static void
pool_sysctl1(struct pool *pp, struct pool_sysctl *data)
{
	struct pool_cache *pc;
	pool_cache_cpu_t *cc;
	size_t len;
	int i;

	memset(data, 0, sizeof(*data));
	len = strnlen(pp->pr_wchan, sizeof(data->pr_wchan) - 1);
	memcpy(data->pr_wchan, pp->pr_wchan, len);
	mutex_enter(&pp->pr_lock);
	data->pr_pagesize = pp->pr_alloc->pa_pagesz;
	data->pr_flags = pp->pr_roflags | pp->pr_flags;
	data->pr_size = pp->pr_size;
	data->pr_itemsperpage = pp->pr_itemsperpage;
	data->pr_nitems = pp->pr_nitems;
	data->pr_nout = pp->pr_nout;
	data->pr_hardlimit = pp->pr_hardlimit;
	data->pr_npages = pp->pr_npages;
	data->pr_minpages = pp->pr_minpages;
	data->pr_maxpages = pp->pr_maxpages;
	data->pr_nget = pp->pr_nget;
	data->pr_nfail = pp->pr_nfail;
	data->pr_nput = pp->pr_nput;
	data->pr_npagealloc = pp->pr_npagealloc;
	data->pr_npagefree = pp->pr_npagefree;
	data->pr_hiwat = pp->pr_hiwat;
	data->pr_nidle = pp->pr_nidle;
	mutex_exit(&pp->pr_lock);

	if ((pc = __atomic_load_n(&pp->pr_cache, __ATOMIC_ACQUIRE)) != NULL) {
		uint32_t nfull = 0;

		data->pr_cache_meta_size = (uint64_t)pc->pc_pcgsize;
		for (i = 0; i < pc->pc_ncpu; ++i) {
			cc = PC_CPU_PTR(__atomic_load_n(&pc->pc_cpus[i],
			    __ATOMIC_ACQUIRE));
			if (cc == NULL)
				continue;
			data->pr_cache_ncontended += CC_LOAD(cc, cc_contended);
			data->pr_cache_nmiss_pcpu += CC_LOAD(cc, cc_misses);
			data->pr_cache_nhit_pcpu += CC_LOAD(cc, cc_hits);
			data->pr_cache_nmiss_global += CC_LOAD(cc, cc_pcmisses);
			nfull += CC_LOAD(cc, cc_nfull); /* 32-bit rollover! */
			data->pr_cache_npartial += CC_LOAD(cc, cc_npart);
		}
		data->pr_cache_nfull = nfull;
	}
	data->pr_cache_nhit_global = data->pr_cache_nmiss_pcpu -
	    data->pr_cache_nmiss_global;
}

/*
 * nbm_pool_sysctl: the kern.pool sysctl: one struct pool_sysctl per pool,
 * in the machine's pool list order (by wchan), into buf[0..n-1].
 *
 * => the caller runs on a CPU of m; returns the number of pools, which may
 *    exceed n (then only the first n are filled; buf may be NULL if n is 0).
 */
size_t
nbm_pool_sysctl(struct nbm_machine *m, struct pool_sysctl *buf, size_t n)
{
	struct nbm_pool_state *ps;
	struct pool *pp;
	size_t k = 0;

	if (NBM_CURMACHINE() != m)
		panic("nbm_pool_sysctl: called from a CPU of another machine");
	ps = pool_state_of(m);
	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pp, &ps->ps_pool_head, pr_poollist) {
		if (k < n)
			pool_sysctl1(pp, &buf[k]);
		k++;
	}
	mutex_exit(&ps->ps_head_lock);
	return k;
}

/*
 * nbm_pool_cachecpu: one struct nbm_cachecpu_stats per CPU of every pool
 * that has a cache, in pool list order and CPU order, into buf[0..n-1].
 *
 * => the caller runs on a CPU of m or observes it; returns the number of
 *    records, which may exceed n (then only the first n are filled).
 */
size_t
nbm_pool_cachecpu(struct nbm_machine *m, struct nbm_cachecpu_stats *buf,
    size_t n)
{
	struct nbm_pool_state *ps;
	struct nbm_cachecpu_stats *cs;
	struct pool_cache *pc;
	struct pool *pp;
	size_t k = 0, len;
	u_int i;

	if (NBM_CURMACHINE() != m)
		panic("nbm_pool_cachecpu: called from a CPU of another "
		    "machine");
	ps = pool_state_of(m);
	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pp, &ps->ps_pool_head, pr_poollist) {
		if ((pc = __atomic_load_n(&pp->pr_cache, __ATOMIC_ACQUIRE)) ==
		    NULL)
			continue;
		for (i = 0; i < m->m_ncpu; i++, k++) {
			if (k >= n)
				continue;
			cs = &buf[k];
			memset(cs, 0, sizeof(*cs));
			len = strnlen(pp->pr_wchan, sizeof(cs->cc_wchan) - 1);
			memcpy(cs->cc_wchan, pp->pr_wchan, len);
			cs->cc_cpu = i;
			nbm_pool_cache_cpustat(pc, i, &cs->cc_hits,
			    &cs->cc_misses, &cs->cc_pcmisses, &cs->cc_contended,
			    &cs->cc_nfull, &cs->cc_npart);
		}
	}
	mutex_exit(&ps->ps_head_lock);
	return k;
}

/*
 * nbm_pool_cache_cpustat: the counters of one CPU of a pool cache, for
 * vmstat -C per-CPU detail.  nfull and npart are the CPU's share of
 * signed sums (invalidation subtracts on the invalidating CPU).
 *
 * => a CPU without state (index out of range, or ncpu < 2 and not cpu0)
 *    reads as zeros.
 */
void
nbm_pool_cache_cpustat(pool_cache_t pc, u_int cpu, uint64_t *hits,
    uint64_t *misses, uint64_t *pcmisses, uint64_t *contended,
    int64_t *nfull, int64_t *npart)
{
	pool_cache_cpu_t *cc = NULL;

	if (cpu < __arraycount(pc->pc_cpus))
		cc = PC_CPU_PTR(__atomic_load_n(&pc->pc_cpus[cpu],
		    __ATOMIC_ACQUIRE));
	*hits = cc != NULL ? CC_LOAD(cc, cc_hits) : 0;
	*misses = cc != NULL ? CC_LOAD(cc, cc_misses) : 0;
	*pcmisses = cc != NULL ? CC_LOAD(cc, cc_pcmisses) : 0;
	*contended = cc != NULL ? CC_LOAD(cc, cc_contended) : 0;
	*nfull = cc != NULL ? (int32_t)CC_LOAD(cc, cc_nfull) : 0;
	*npart = cc != NULL ? (int32_t)CC_LOAD(cc, cc_npart) : 0;
}

/* -------------------------------------------------------------------------- */

/*
 * Back-end allocators.
 */

/*
 * pool_allocator_alloc: a page from the pool's allocator; if a request
 * that may not sleep fails, call the drain hook once and retry once.
 */
static void *
pool_allocator_alloc(struct pool *pp, int flags)
{
	struct pool_allocator *pa = pp->pr_alloc;
	void *res;

	res = (*pa->pa_alloc)(pp, flags);
	if (res == NULL && (flags & PR_WAITOK) == 0) {
		/* A sleeping request runs the hook from pool_reclaim. */
		if (pp->pr_drain_hook != NULL) {
			(*pp->pr_drain_hook)(pp->pr_drain_hook_arg, flags);
			res = (*pa->pa_alloc)(pp, flags);
		}
	}
	return res;
}

static void
pool_allocator_free(struct pool *pp, void *v)
{
	struct pool_allocator *pa = pp->pr_alloc;

	if (__predict_false(pp_has_pser(pp)) && !pp->pr_redzone)
		pool_barrier();
	(*pa->pa_free)(pp, v);
}

/*
 * pool_page_alloc: pool_allocator_kmem, _nointr and the big allocators:
 * pa_pagesz bytes of wired kernel memory from kmem_va_arena.
 */
static void *
pool_page_alloc(struct pool *pp, int flags)
{
	const vm_flag_t vflags = (flags & PR_WAITOK) ? VM_SLEEP: VM_NOSLEEP;
	vmem_addr_t va;
	int ret;

	ret = uvm_km_kmem_alloc(kmem_va_arena, pp->pr_alloc->pa_pagesz,
	    vflags | VM_INSTANTFIT, &va);
	return ret ? NULL : (void *)va;
}

static void
pool_page_free(struct pool *pp, void *v)
{

	uvm_km_kmem_free(kmem_va_arena, (vaddr_t)v, pp->pr_alloc->pa_pagesz);
}

/* pool_allocator_meta: pages of kmem_meta_arena. */
static void *
pool_page_alloc_meta(struct pool *pp, int flags)
{
	const vm_flag_t vflags = (flags & PR_WAITOK) ? VM_SLEEP: VM_NOSLEEP;
	vmem_addr_t va;
	int ret;

	ret = vmem_alloc(kmem_meta_arena, pp->pr_alloc->pa_pagesz,
	    vflags | VM_INSTANTFIT, &va);
	return ret ? NULL : (void *)va;
}

static void
pool_page_free_meta(struct pool *pp, void *v)
{

	vmem_free(kmem_meta_arena, (vmem_addr_t)v, pp->pr_alloc->pa_pagesz);
}

/* -------------------------------------------------------------------------- */

/*
 * POOL_REDZONE (spec 1.5 step 3, 1.11): two bytes after the requested size,
 * filled at every get with a byte derived from each byte's address (the
 * first never 0, so that a string overrun by its NUL is caught), checked
 * at every put.
 */

static inline uint8_t
pool_pattern_generate(const void *p)
{

	return (uint8_t)(((uintptr_t)p) * PRIME
	   >> ((sizeof(uintptr_t) - sizeof(uint8_t))) * CHAR_BIT);
}

static void
pool_redzone_init(struct pool *pp, size_t requested_size)
{
	size_t redzsz = POOL_REDZONE_SIZE;
	size_t nsz;

	if (pp->pr_roflags & PR_NOTOUCH) {
		pp->pr_redzone = false;
		return;
	}

	/* The padding may already hold it. */
	if (pp->pr_size - requested_size >= redzsz) {
		pp->pr_reqsize_with_redzone = requested_size + redzsz;
		pp->pr_redzone = true;
		return;
	}

	/*
	 * Else grow the item, but not to half a page or more: that would
	 * waste about half of every page.  (NetBSD then prints "pool redzone
	 * disabled for '%s'" with aprint_debug, i.e. only when booted -x.)
	 */
	nsz = roundup(pp->pr_size + redzsz, pp->pr_align);
	if (nsz <= (pp->pr_alloc->pa_pagesz / 2)) {
		pp->pr_size = (unsigned int)nsz;
		pp->pr_reqsize_with_redzone = requested_size + redzsz;
		pp->pr_redzone = true;
	} else {
		pp->pr_redzone = false;
	}
}

void
pool_redzone_fill(struct pool *pp, void *p)
{
	uint8_t *cp, pat;
	const uint8_t *ep;

	KASSERT(!pp_has_pser(pp));
	cp = (uint8_t *)p + pp->pr_reqsize;
	ep = cp + POOL_REDZONE_SIZE;

	pat = pool_pattern_generate(cp);
	*cp = (pat == '\0') ? STATIC_BYTE: pat;
	cp++;
	while (cp < ep) {
		*cp = pool_pattern_generate(cp);
		cp++;
	}
}

void
pool_redzone_check(struct pool *pp, void *p)
{
	uint8_t *cp, pat, expected;
	const uint8_t *ep;

	KASSERT(!pp_has_pser(pp));
	cp = (uint8_t *)p + pp->pr_reqsize;
	ep = cp + POOL_REDZONE_SIZE;

	pat = pool_pattern_generate(cp);
	expected = (pat == '\0') ? STATIC_BYTE: pat;
	if (__predict_false(*cp != expected)) {
		panic("%s: [%s] 0x%02x != 0x%02x", __func__,
		    pp->pr_wchan, *cp, expected);
	}
	cp++;
	while (cp < ep) {
		expected = pool_pattern_generate(cp);
		if (__predict_false(*cp != expected)) {
			panic("%s: [%s] 0x%02x != 0x%02x", __func__,
			    pp->pr_wchan, *cp, expected);
		}
		cp++;
	}
}
