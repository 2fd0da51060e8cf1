/*
 * subr_vmem.c: vmem(9), the general resource allocator.
 *
 * This is the allocator of Bonwick and Adams, "Magazines and Vmem:
 * Extending the Slab Allocator to Many CPUs and Arbitrary Resources"
 * (USENIX 2001), in the form NetBSD gives it in sys/kern/subr_vmem.c 1.118.
 * An arena manages ranges of an integer space (kernel VA, I/O ports, IDs)
 * in multiples of its quantum, a power of two.
 *
 * Data structures (nbmem/vmem_impl.h):
 *  - Boundary tags.  Every span and every segment of a span is described by
 *    a tag on the arena's segment list.  A span tag (BT_TYPE_SPAN when
 *    imported, BT_TYPE_SPAN_STATIC when added) is followed by the FREE and
 *    BUSY segments that tile it, in address order.  Spans are appended in
 *    arrival order and never merged, even when adjacent, because a span tag
 *    always stands between their segments.
 *  - Freelists.  A FREE segment of q quanta is on vm_freelist[floor(log2 q)],
 *    inserted at the head (LIFO).  Two neighbouring FREE segments of one
 *    span never exist: a free coalesces with both neighbours at once.
 *  - Busy hash.  BUSY tags are hashed on their start address with
 *    hash32_buf (sys/hash.h), so that vmem_xfree finds them in O(1).
 *
 * Allocation (vmem_xalloc, spec 1.6): VM_INSTANTFIT tests the first tag of
 * each freelist from ceil(log2 q) up, where any tag is big enough, and takes
 * the first that satisfies the constraints; failing that it falls back once
 * to VM_BESTFIT, which walks every tag of every list from floor(log2 q) up
 * (a first fit within size classes).  vmem_fit() gives the lowest address
 * of the chosen segment that meets align/phase/nocross/minaddr/maxaddr; the
 * segment is carved into an optional free prefix, the busy segment and an
 * optional free suffix.  When nothing fits, an unconstrained request
 * imports a new span (16x the size under VM_LARGEIMPORT) with the arena
 * unlocked, and a VM_SLEEP request that still finds nothing waits on the
 * arena's condvar, which every free broadcasts.  A constrained request
 * (align, phase or nocross) fails with ENOMEM even under VM_SLEEP.
 *
 * Free (vmem_xfree_bt, spec 1.7): the segment merges with its FREE
 * neighbours; an imported span that becomes entirely free is removed and
 * handed to the release function at once.  Static spans stay forever.
 *
 * Invariants, at every point where the arena lock is free:
 *  - vm_size is the sum of all span sizes, vm_inuse the sum of BUSY sizes,
 *    vm_nbusytag the number of BUSY tags;
 *  - the segments following a span tag tile it exactly, and no two FREE
 *    segments are adjacent on the segment list;
 *  - every size is a non-zero multiple of the quantum.
 *
 * Boundary tags (spec 1.8).  Each arena keeps a cache of free tags
 * (vm_freetags).  bt_alloc() leaves the last BT_MINRESERVE of them to
 * VM_POPULATING callers, which are allocating the memory tags are made of;
 * a refill (bt_refill_locked) first takes tags from the machine's 200
 * static boot tags (STATIC_BT_COUNT, what the boot arenas live on before
 * pools exist), then from the "vmembt" pool, whose pages come from
 * kmem_meta_arena with VM_POPULATING.  That is why tag allocation cannot
 * recurse forever: a VM_POPULATING request never refills, it only dips
 * into the reserve, and every refill ends by topping up the reserves of
 * the three arenas a vmembt page comes through (kmem, vmem-va, vmem-meta).
 * A free trims the cache back to BT_MAXFREE tags, returning static tags to
 * the static list and the others to the pool.
 *
 * Quantum caches (spec 1.9).  An arena created with qcache_max > 0 gets a
 * pool_cache "<arena>-<size>" for each multiple of the quantum up to
 * qcache_max (at most VMEM_QCACHE_IDX_MAX quanta); their pool pages, of the
 * smallest power of 2 above 3 * qcache_max, are allocated from the arena
 * itself.  vmem_alloc and vmem_free of such sizes go through the caches,
 * so that a small allocation is an item inside a busy "pool page" segment:
 * vmem_size(VMEM_ALLOC) counts whole pool pages, and a free of a cached
 * size leaves the segment map as it is.
 *
 * Differences from NetBSD's kernel build, each for a stated reason:
 *  - The busy-tag hash grows synchronously in the allocation path, in
 *    place of NetBSD's rehash workqueue that runs every 10 seconds; it is
 *    skipped for VM_POPULATING requests and in interrupt context (the next
 *    other allocation does it).  Its tables come from host malloc, not kmem_alloc: kmem's own
 *    allocations pass through vmem_xalloc (kva and its quantum caches) with
 *    pool locks held, where a nested kmem_alloc could need the very pool.
 *  - VM_PRIVTAGS arenas live on the tags given to vmem_add_bts() only (see
 *    bt_refill_locked).
 *  - Arenas hang off the machine (m->m_vmem), not a global vmem_list, and
 *    so do the static boot tags and the vmembt pool.
 *  - vmem_create before kmem(9) is up panics with a clear message (NetBSD
 *    would crash in kmem_alloc); the boot arenas use vmem_init with static
 *    storage, as NetBSD's do.
 *  - Where a kernel without DIAGNOSTIC would run into a NULL pointer or an
 *    undefined shift, the simulation panics or fails the call instead, so
 *    that the host process never does undefined things.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "nbm_impl.h"

#define VMEM_HASHSIZE_MIN	1
#define VMEM_HASHSIZE_MAX	65536

#define VM_FITMASK		(VM_BESTFIT | VM_INSTANTFIT)

/*
 * The tag cache: bt_alloc() leaves the last BT_MINRESERVE tags to
 * VM_POPULATING callers, which allocate the memory tags are made of; a free
 * trims the cache back to BT_MAXFREE tags.
 */
#define BT_MINRESERVE		4
#define BT_MAXFREE		64

CTASSERT(VMEM_EST_BTCOUNT(0, 0) == BT_MINRESERVE);

#define STATIC_BT_COUNT		200	/* boot tags, before any pool */

/*
 * nbm_vmem_state: the machine's arenas (NetBSD's vmem_list and
 * vmem_list_lock), walked by vmem_printall, vmem_whatis and the statistics
 * layer; the static boot tags and the vmembt pool; the storage of the two
 * meta arenas that vmem_subsystem_init creates.
 */
struct nbm_vmem_state {
	kmutex_t	 vms_lock;	/* vmem_list_lock, adaptive */
	LIST_HEAD(, vmem) vms_list;	/* arenas, newest first */
	kmutex_t	 vms_btag_lock;	/* vmem_btag_lock (spin): the list */
	LIST_HEAD(, vmem_btag) vms_btag_freelist; /* static tags not in an
					   arena's cache */
	size_t		 vms_btag_freelist_count; /* tags on it */
	uint64_t	 vms_static_bt_count; /* evcnt vmem static_bt_count */
	uint64_t	 vms_static_bt_inuse; /* evcnt vmem static_bt_inuse */
	kmutex_t	 vms_btag_refill_lock; /* (spin) one vmembt pool_get
					   at a time */
	bool		 vms_btag_pool_ready; /* vmembt initialised */
	struct pool	 vms_btag_pool;	/* vmem_btag_pool, "vmembt" */
	struct pool_allocator vms_btag_allocator; /* pool_allocator_vmem_meta */
	struct vmem	 vms_va_meta_store; /* kmem_va_meta_arena's storage */
	struct vmem	 vms_meta_store; /* kmem_meta_arena's storage */
	bt_t		 vms_static_bts[STATIC_BT_COUNT]; /* static_bts */
};

#define VMEM_LOCK(vm)		mutex_enter(&(vm)->vm_lock)
#define VMEM_UNLOCK(vm)		mutex_exit(&(vm)->vm_lock)
#define VMEM_ASSERT_LOCKED(vm)	KASSERT(mutex_owned(&(vm)->vm_lock))
#define VMEM_CONDVAR_WAIT(vm)	cv_wait(&(vm)->vm_cv, &(vm)->vm_lock)
#define VMEM_CONDVAR_BROADCAST(vm) cv_broadcast(&(vm)->vm_cv)

static void	vmem_xfree_bt(vmem_t *, bt_t *);

/*
 * Arithmetic.  vmem_addr_t and vmem_size_t are unsigned and of one width;
 * everything wraps modulo 2^64 exactly as NetBSD's macros do.
 */

/* vmem_alignup: the smallest multiple of align (a power of 2) >= addr. */
static inline vmem_addr_t
vmem_alignup(vmem_addr_t addr, vmem_size_t align)
{

	return (addr + align - 1) & ~(align - 1);
}

/* vmem_cross_p: do a1 and a2 lie in different boundary-sized blocks? */
static inline bool
vmem_cross_p(vmem_addr_t a1, vmem_addr_t a2, vmem_size_t boundary)
{

	return ((a1 ^ a2) & (0 - boundary)) != 0;
}

/*
 * vmem_order: floor(log2 n), the freelist of a segment of n quanta.  n is
 * never 0 unless the caller broke a KASSERTed rule; 0 then gives list 0
 * instead of an undefined shift.
 */
static inline int
vmem_order(vmem_size_t n)
{

	return n == 0 ? 0 : (int)ilog2(n);
}

/*
 * hash32_buf: NetBSD's sys/hash.h string hash ("nemesi"): h = h * 257 + byte
 * over the bytes in memory order, starting from HASH32_BUF_INIT, and one
 * more multiplication at the end.
 */
#define HASH32_BUF_INIT		5381

static inline uint32_t
hash32_buf(const void *buf, size_t len, uint32_t hash)
{
	const uint8_t *s = buf;

	while (len-- != 0)
		hash = hash * 257 + *s++;
	return hash * 257;
}

/*
 * xmalloc, xfree: memory for busy-tag hash tables.  Host malloc, not
 * kmem_alloc as in NetBSD: the table grows in the allocation path (see
 * vmem_rehash_wanted), which kmem's own allocations pass through with pool
 * locks held.
 */
static void *
xmalloc(size_t size, vm_flag_t flags)
{

	(void)flags;
	return malloc(size);
}

static void
xfree(void *p, size_t size)
{

	(void)size;
	free(p);
}

/*
 * vmem_account: store a new vm_size or vm_inuse.  Both change under the
 * arena lock, but vmem_size() reads them without it, as NetBSD's does (so
 * that it works from any context); the atomic store keeps such a read whole.
 */
static inline void
vmem_account(size_t *p, size_t v)
{

	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static void
vmem_kick_pdaemon(void)
{

	uvm_kick_pdaemon();
}

/* ---- boundary tags */

/*
 * bt_static_p: is bt one of the machine's static boot tags?
 */
static inline bool
bt_static_p(const struct nbm_vmem_state *vs, const bt_t *bt)
{

	return (uintptr_t)bt >= (uintptr_t)&vs->vms_static_bts[0] &&
	    (uintptr_t)bt < (uintptr_t)&vs->vms_static_bts[STATIC_BT_COUNT];
}

/*
 * vmem_btag_put: give a tag taken off an arena back to where it came
 * from: the static list or the vmembt pool.  Private tags stay with their
 * owner.
 *
 * => called without any arena lock held.
 */
static void
vmem_btag_put(struct nbm_vmem_state *vs, bt_t *bt)
{

	if ((bt->bt_flags & BT_F_PRIVATE) != 0)
		return;
	if (bt_static_p(vs, bt)) {
		mutex_enter(&vs->vms_btag_lock);
		LIST_INSERT_HEAD(&vs->vms_btag_freelist, bt, bt_freelist);
		vs->vms_btag_freelist_count++;
		vs->vms_static_bt_inuse--;
		mutex_exit(&vs->vms_btag_lock);
		return;
	}
	KASSERT(vs->vms_btag_pool_ready);
	pool_put(&vs->vms_btag_pool, bt);
}

static void bt_refill(vmem_t *);

/*
 * bt_refill_locked: top the arena's tag cache up above BT_MINRESERVE, from
 * the static boot tags first, then from the vmembt pool; then the reserves
 * of kmem_arena, kmem_va_meta_arena and kmem_meta_arena, through which the
 * next vmembt page will come.
 *
 * => arena locked; the lock is dropped around the pool and the other
 *    arenas.
 * => returns 0, or ENOMEM if the cache is still at or below the reserve.
 * => VM_PRIVTAGS arenas live on the tags given to vmem_add_bts() only, so
 *    that they work before any allocator does and their tag exhaustion is
 *    an observable ENOMEM.  (NetBSD 1.118 skips only the static boot tags
 *    for them and still tries its tag pool.)
 */
static int
bt_refill_locked(vmem_t *vm)
{
	struct nbm_machine *m = vm->vm_machine;
	struct nbm_vmem_state *vs = m->m_vmem;
	bt_t *bt;

	VMEM_ASSERT_LOCKED(vm);

	if (vm->vm_nfreetags > BT_MINRESERVE)
		return 0;
	if ((vm->vm_flags & VM_PRIVTAGS) != 0)
		return ENOMEM;

	mutex_enter(&vs->vms_btag_lock);
	while (vm->vm_nfreetags <= BT_MINRESERVE &&
	    (bt = LIST_FIRST(&vs->vms_btag_freelist)) != NULL) {
		LIST_REMOVE(bt, bt_freelist);
		vs->vms_btag_freelist_count--;
		vs->vms_static_bt_inuse++;
		bt->bt_flags = 0;
		LIST_INSERT_HEAD(&vm->vm_freetags, bt, bt_freelist);
		vm->vm_nfreetags++;
	}
	mutex_exit(&vs->vms_btag_lock);

	while (vm->vm_nfreetags <= BT_MINRESERVE && vs->vms_btag_pool_ready) {
		VMEM_UNLOCK(vm);
		mutex_enter(&vs->vms_btag_refill_lock);
		bt = pool_get(&vs->vms_btag_pool, PR_NOWAIT);
		mutex_exit(&vs->vms_btag_refill_lock);
		VMEM_LOCK(vm);
		if (bt == NULL)
			break;
		bt->bt_flags = 0;
		LIST_INSERT_HEAD(&vm->vm_freetags, bt, bt_freelist);
		vm->vm_nfreetags++;
	}
	if (vm->vm_nfreetags <= BT_MINRESERVE)
		return ENOMEM;

	if (m->m_kmem_meta_arena != NULL) {
		VMEM_UNLOCK(vm);
		bt_refill(m->m_kmem_arena);
		bt_refill(m->m_kmem_va_meta_arena);
		bt_refill(m->m_kmem_meta_arena);
		VMEM_LOCK(vm);
	}
	return 0;
}

static void
bt_refill(vmem_t *vm)
{

	VMEM_LOCK(vm);
	(void)bt_refill_locked(vm);
	VMEM_UNLOCK(vm);
}

/*
 * bt_alloc: take a tag from the arena's cache.
 *
 * => arena locked; the lock may be dropped and retaken.
 * => without VM_POPULATING the last BT_MINRESERVE tags are not touched.
 * => VM_NOSLEEP: NULL when no tag can be had.  VM_SLEEP: kick the page
 *    daemon and retry every tick (NetBSD kpause("btalloc", 1 tick)); a free
 *    in the arena, which may return tags, ends the wait early.
 */
static bt_t *
bt_alloc(vmem_t *vm, vm_flag_t flags)
{
	bt_t *bt;

	VMEM_ASSERT_LOCKED(vm);

	while (vm->vm_nfreetags <= BT_MINRESERVE &&
	    (flags & VM_POPULATING) == 0) {
		if (bt_refill_locked(vm) == 0)
			break;
		if ((flags & VM_NOSLEEP) != 0)
			return NULL;
		VMEM_UNLOCK(vm);
		vmem_kick_pdaemon();
		VMEM_LOCK(vm);
		(void)cv_timedwait(&vm->vm_cv, &vm->vm_lock, 1);
	}
	bt = LIST_FIRST(&vm->vm_freetags);
	if (__predict_false(bt == NULL))
		return NULL;	/* VM_POPULATING with the reserve used up */
	LIST_REMOVE(bt, bt_freelist);
	vm->vm_nfreetags--;
	return bt;
}

/*
 * bt_free: give a tag back to the arena's cache.
 *
 * => arena locked.
 */
static void
bt_free(vmem_t *vm, bt_t *bt)
{

	VMEM_ASSERT_LOCKED(vm);

	LIST_INSERT_HEAD(&vm->vm_freetags, bt, bt_freelist);
	vm->vm_nfreetags++;
}

/*
 * bt_freetrim: return cached tags beyond freelimit to the tag store.
 *
 * => arena locked on entry, unlocked on return.
 * => private tags always stay in the cache.
 */
static void
bt_freetrim(vmem_t *vm, size_t freelimit)
{
	struct nbm_vmem_state *vs = vm->vm_machine->m_vmem;
	LIST_HEAD(, vmem_btag) tofree;
	bt_t *bt, *next;

	VMEM_ASSERT_LOCKED(vm);

	LIST_INIT(&tofree);
	LIST_FOREACH_SAFE(bt, &vm->vm_freetags, bt_freelist, next) {
		if (vm->vm_nfreetags <= freelimit)
			break;
		if ((bt->bt_flags & BT_F_PRIVATE) != 0)
			continue;
		LIST_REMOVE(bt, bt_freelist);
		vm->vm_nfreetags--;
		LIST_INSERT_HEAD(&tofree, bt, bt_freelist);
	}
	VMEM_UNLOCK(vm);
	while ((bt = LIST_FIRST(&tofree)) != NULL) {
		LIST_REMOVE(bt, bt_freelist);
		vmem_btag_put(vs, bt);
	}
}

/*
 * vmem_add_bts: give the arena caller-owned tags (VM_PRIVTAGS arenas).
 *
 * => the tags must stay valid as long as the arena exists.
 */
void
vmem_add_bts(vmem_t *vm, struct vmem_btag *bts, unsigned int nbts)
{

	VMEM_LOCK(vm);
	for (; nbts != 0; bts++, nbts--) {
		bts->bt_flags = BT_F_PRIVATE;
		LIST_INSERT_HEAD(&vm->vm_freetags, bts, bt_freelist);
		vm->vm_nfreetags++;
	}
	VMEM_UNLOCK(vm);
}

/* ---- freelists */

/*
 * bt_freeidx, bt_freehead_tofree: the freelist a FREE segment of this size
 * belongs on: list n holds segments of 2^n .. 2^(n+1)-1 quanta.
 */
static int
bt_freeidx(const vmem_t *vm, vmem_size_t size)
{
	const vmem_size_t qsize = size >> vm->vm_quantum_shift;

	KASSERT(size != 0);
	KASSERT(qsize != 0);
	KASSERT((size & vm->vm_quantum_mask) == 0);
	return vmem_order(qsize);
}

static struct vmem_freelist *
bt_freehead_tofree(vmem_t *vm, vmem_size_t size)
{

	return &vm->vm_freelist[bt_freeidx(vm, size)];
}

/*
 * bt_freehead_toalloc: the first freelist to search for a segment of this
 * size.  VM_INSTANTFIT starts at the first list whose every member is big
 * enough (ceil(log2)); VM_BESTFIT at the list that may hold big enough
 * members (floor(log2)).  May return &vm_freelist[VMEM_MAXORDER], the end.
 */
static struct vmem_freelist *
bt_freehead_toalloc(vmem_t *vm, vmem_size_t size, vm_flag_t strat)
{
	const vmem_size_t qsize = size >> vm->vm_quantum_shift;
	int idx = vmem_order(qsize);

	KASSERT(size != 0);
	KASSERT(qsize != 0);
	KASSERT((size & vm->vm_quantum_mask) == 0);

	if (strat == VM_INSTANTFIT && ((vmem_size_t)1 << idx) != qsize)
		idx++;
	return &vm->vm_freelist[idx];
}

static void
bt_remfree(vmem_t *vm, bt_t *bt)
{

	KASSERT(bt->bt_type == BT_TYPE_FREE);
	LIST_REMOVE(bt, bt_freelist);
	vm->vm_nfreeseg[bt_freeidx(vm, bt->bt_size)]--;
}

static void
bt_insfree(vmem_t *vm, bt_t *bt)
{
	struct vmem_freelist *list = bt_freehead_tofree(vm, bt->bt_size);

	LIST_INSERT_HEAD(list, bt, bt_freelist);
	vm->vm_nfreeseg[list - vm->vm_freelist]++;
}

/* ---- busy-tag hash */

static struct vmem_hashlist *
bt_hashhead(vmem_t *vm, vmem_addr_t addr)
{
	uint32_t hash;

	hash = hash32_buf(&addr, sizeof(addr), HASH32_BUF_INIT);
	return &vm->vm_hashlist[hash & vm->vm_hashmask];
}

static bt_t *
bt_lookupbusy(vmem_t *vm, vmem_addr_t addr)
{
	bt_t *bt;

	LIST_FOREACH(bt, bt_hashhead(vm, addr), bt_hashlist) {
		if (bt->bt_start == addr)
			break;
	}
	return bt;
}

static void
bt_rembusy(vmem_t *vm, bt_t *bt)
{

	KASSERT(vm->vm_nbusytag > 0);
	vmem_account(&vm->vm_inuse, vm->vm_inuse - bt->bt_size);
	vm->vm_nbusytag--;
	LIST_REMOVE(bt, bt_hashlist);
}

static void
bt_insbusy(vmem_t *vm, bt_t *bt)
{

	KASSERT(bt->bt_type == BT_TYPE_BUSY);
	LIST_INSERT_HEAD(bt_hashhead(vm, bt->bt_start), bt, bt_hashlist);
	if (++vm->vm_nbusytag > vm->vm_maxbusytag)
		vm->vm_maxbusytag = vm->vm_nbusytag;
	vmem_account(&vm->vm_inuse, vm->vm_inuse + bt->bt_size);
}

/*
 * vmem_rehash_wanted: the hash size vmem_rehash() should be asked for, or 0.
 *
 * => arena locked.
 * => NetBSD's rehash thread (every 10 s) rehashes when the clamped peak of
 *    busy tags is more than twice the table or less than half of it.  A
 *    user-space arena with 10^6 live segments cannot wait for that, so the
 *    growing half of the rule is applied synchronously here, after every
 *    allocation; the table never shrinks.
 */
static size_t
vmem_rehash_wanted(const vmem_t *vm)
{
	size_t desired = vm->vm_maxbusytag;

	if (desired > VMEM_HASHSIZE_MAX)
		desired = VMEM_HASHSIZE_MAX;
	else if (desired < VMEM_HASHSIZE_MIN)
		desired = VMEM_HASHSIZE_MIN;
	return desired > vm->vm_hashsize * 2 ? desired : 0;
}

/* vmem_intr_p: whether the calling thread runs an interrupt handler. */
static bool
vmem_intr_p(void)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	return ci != NULL && (ci->ci_idepth >= 0 ||
	    (curlwp != NULL && (curlwp->l_pflag & LP_INTR) != 0));
}

/*
 * vmem_rehash: move the busy tags to a table of the next power of 2 above
 * newhashsize (spec 1.10), and decay vm_maxbusytag.
 *
 * => arena unlocked; takes the lock.
 * => returns 0, or ENOMEM if the table could not be allocated (the old one
 *    stays).
 */
static int
vmem_rehash(vmem_t *vm, size_t newhashsize, vm_flag_t flags)
{
	struct vmem_hashlist *newhashlist, *oldhashlist;
	size_t i, oldhashsize;
	bt_t *bt;

	KASSERT(newhashsize > 0);
	newhashsize = (size_t)1 << (ilog2(newhashsize) + 1);

	newhashlist = xmalloc(sizeof(*newhashlist) * newhashsize, flags);
	if (newhashlist == NULL)
		return ENOMEM;
	for (i = 0; i < newhashsize; i++)
		LIST_INIT(&newhashlist[i]);

	VMEM_LOCK(vm);
	if (vm->vm_hashsize >= newhashsize) {
		/* Another CPU grew it meanwhile. */
		VMEM_UNLOCK(vm);
		xfree(newhashlist, sizeof(*newhashlist) * newhashsize);
		return 0;
	}
	if (vm->vm_maxbusytag >= 2) {
		vm->vm_maxbusytag = vm->vm_maxbusytag / 2 - 1;
		if (vm->vm_nbusytag > vm->vm_maxbusytag)
			vm->vm_maxbusytag = vm->vm_nbusytag;
	} else {
		vm->vm_maxbusytag = vm->vm_nbusytag;
	}
	oldhashlist = vm->vm_hashlist;
	oldhashsize = vm->vm_hashsize;
	vm->vm_hashlist = newhashlist;
	vm->vm_hashsize = newhashsize;
	vm->vm_hashmask = newhashsize - 1;
	for (i = 0; i < oldhashsize; i++) {
		while ((bt = LIST_FIRST(&oldhashlist[i])) != NULL) {
			LIST_REMOVE(bt, bt_hashlist);
			LIST_INSERT_HEAD(bt_hashhead(vm, bt->bt_start), bt,
			    bt_hashlist);
		}
	}
	VMEM_UNLOCK(vm);

	if (oldhashlist != &vm->vm_hash0)
		xfree(oldhashlist, sizeof(*oldhashlist) * oldhashsize);
	return 0;
}

/* ---- segment list */

static void
bt_remseg(vmem_t *vm, bt_t *bt)
{

	TAILQ_REMOVE(&vm->vm_seglist, bt, bt_seglist);
}

static void
bt_insseg(vmem_t *vm, bt_t *bt, bt_t *prev)
{

	TAILQ_INSERT_AFTER(&vm->vm_seglist, prev, bt, bt_seglist);
}

static void
bt_insseg_tail(vmem_t *vm, bt_t *bt)
{

	TAILQ_INSERT_TAIL(&vm->vm_seglist, bt, bt_seglist);
}

/* ---- quantum caches */

/* vmf_to_prf, prf_to_vmf: the sleep flag, in the other layer's words. */
static inline int
vmf_to_prf(vm_flag_t vmf)
{

	return (vmf & VM_SLEEP) != 0 ? PR_WAITOK : PR_NOWAIT;
}

static inline vm_flag_t
prf_to_vmf(int prf)
{

	KASSERT((prf & ~(PR_WAITOK | PR_NOWAIT)) == 0);
	return (prf & PR_WAITOK) != 0 ? VM_SLEEP : VM_NOSLEEP;
}

/*
 * qc_poolpage_size: the pool page of the quantum caches, the smallest
 * power of 2 strictly greater than 3 * qcache_max (spec 1.9): 256 KiB for
 * kva's 16 pages of 4 KiB, 64 KiB for its 4 pages on small machines.
 */
static size_t
qc_poolpage_size(size_t qcache_max)
{
	int i;

	for (i = 0; ((size_t)1 << i) <= qcache_max * 3; i++)
		continue;
	return (size_t)1 << i;
}

/*
 * qc_poolpage_alloc, qc_poolpage_free: the pool allocator of the quantum
 * caches: pool pages are segments of the arena itself.  The page size is
 * above qcache_max, so vmem_alloc passes the request to vmem_xalloc.
 *
 * => as in NetBSD, a page at address 0 reads as a failure (and stays
 *    allocated): a pool cannot tell it from NULL.
 */
static void *
qc_poolpage_alloc(struct pool *pool, int prflags)
{
	qcache_t *qc = QC_POOL_TO_QCACHE(pool);
	vmem_t *vm = qc->qc_vmem;
	vmem_addr_t addr;

	if (vmem_alloc(vm, pool->pr_alloc->pa_pagesz,
	    prf_to_vmf(prflags) | VM_INSTANTFIT, &addr) != 0)
		return NULL;
	return (void *)addr;
}

static void
qc_poolpage_free(struct pool *pool, void *addr)
{
	qcache_t *qc = QC_POOL_TO_QCACHE(pool);
	vmem_t *vm = qc->qc_vmem;

	vmem_free(vm, (vmem_addr_t)addr, pool->pr_alloc->pa_pagesz);
}

/*
 * qc_init: set up the quantum caches of an arena (spec 1.9): clamp
 * qcache_max to VMEM_QCACHE_IDX_MAX quanta, and create a pool cache
 * "<arena>-<size>" for each multiple of the quantum up to it, from the
 * largest down.  A size whose cache would hold as many items per pool page
 * as the next larger one uses that cache instead.
 *
 * => the arena's name and quantum are set; its segment list is not yet
 *    (nothing is allocated from it here).
 * => pools must be usable: kmem_meta_arena, where pool_cache_init takes
 *    the cache descriptors from, must exist.
 */
static void
qc_init(vmem_t *vm, vmem_size_t qcache_max, int ipl)
{
	char name[VMEM_NAME_MAX + 24];
	struct pool_allocator *pa;
	qcache_t *prevqc, *qc;
	pool_cache_t pc;
	size_t size, len;
	int i, qcache_idx_max;

	KASSERT((qcache_max & vm->vm_quantum_mask) == 0);
	if (qcache_max > ((vmem_size_t)VMEM_QCACHE_IDX_MAX <<
	    vm->vm_quantum_shift))
		qcache_max = (vmem_size_t)VMEM_QCACHE_IDX_MAX <<
		    vm->vm_quantum_shift;
	vm->vm_qcache_max = qcache_max;
	qcache_idx_max = (int)(qcache_max >> vm->vm_quantum_shift);
	if (qcache_idx_max == 0)
		return;
	if (__predict_false(vm->vm_machine->m_kmem_meta_arena == NULL)) {
		nbm_panic(vm->vm_machine, "vmem_init: %s: quantum caches "
		    "before vmem_subsystem_init", vm->vm_name);
	}

	pa = &vm->vm_qcache_allocator;
	memset(pa, 0, sizeof(*pa));
	pa->pa_alloc = qc_poolpage_alloc;
	pa->pa_free = qc_poolpage_free;
	pa->pa_pagesz = (unsigned int)qc_poolpage_size(qcache_max);

	prevqc = NULL;
	for (i = qcache_idx_max; i > 0; i--) {
		qc = &vm->vm_qcache_store[i - 1];
		size = (size_t)i << vm->vm_quantum_shift;
		qc->qc_vmem = vm;
		/* snprintf into qc_name, truncating as NetBSD's does. */
		snprintf(name, sizeof(name), "%s-%zu", vm->vm_name, size);
		len = strnlen(name, sizeof(qc->qc_name) - 1);
		memcpy(qc->qc_name, name, len);
		qc->qc_name[len] = '\0';
		pc = pool_cache_init(size, (u_int)(vm->vm_quantum_mask + 1),
		    0, PR_NOALIGN | PR_NOTOUCH | PR_RECURSIVE, qc->qc_name, pa,
		    ipl, NULL, NULL, NULL);
		KASSERT(pc != NULL);
		qc->qc_cache = pc;
		if (prevqc != NULL && pc->pc_pool.pr_itemsperpage ==
		    prevqc->qc_cache->pc_pool.pr_itemsperpage) {
			pool_cache_destroy(pc);
			qc->qc_cache = NULL;
			vm->vm_qcache[i - 1] = prevqc;
			continue;
		}
		pc->pc_pool.pr_qcache = qc;
		vm->vm_qcache[i - 1] = qc;
		prevqc = qc;
	}
}

/*
 * qc_destroy: destroy the quantum caches (each shared cache once).
 *
 * => every cached-size allocation must have been freed (pool_destroy's
 *    KASSERT); the pool pages go back to the arena.
 */
static void
qc_destroy(vmem_t *vm)
{
	const qcache_t *prevqc = NULL;
	qcache_t *qc;
	int i, qcache_idx_max;

	qcache_idx_max = (int)(vm->vm_qcache_max >> vm->vm_quantum_shift);
	for (i = 0; i < qcache_idx_max; i++) {
		qc = vm->vm_qcache[i];
		if (qc == prevqc)
			continue;
		pool_cache_destroy(qc->qc_cache);
		prevqc = qc;
	}
}

/*
 * qc_lookup: the quantum cache of a size up to vm_qcache_max.
 */
static inline qcache_t *
qc_lookup(const vmem_t *vm, vmem_size_t size)
{
	const size_t qidx = (size + vm->vm_quantum_mask) >>
	    vm->vm_quantum_shift;

	KASSERT(qidx >= 1 && qidx <= VMEM_QCACHE_IDX_MAX);
	return vm->vm_qcache[qidx - 1];
}

/* ---- spans */

/*
 * vmem_add1: add the span [addr, addr+size) as one FREE segment.
 *
 * => arena locked; the lock may be dropped and retaken (tag refill).
 * => returns 0 or ENOMEM (no tags).
 */
static int
vmem_add1(vmem_t *vm, vmem_addr_t addr, vmem_size_t size, vm_flag_t flags,
    int spanbttype)
{
	bt_t *btspan, *btfree;

	VMEM_ASSERT_LOCKED(vm);
	KASSERT((flags & (VM_SLEEP|VM_NOSLEEP)) != 0);
	KASSERT((~flags & (VM_SLEEP|VM_NOSLEEP)) != 0);
	KASSERT(spanbttype == BT_TYPE_SPAN ||
	    spanbttype == BT_TYPE_SPAN_STATIC);

	btspan = bt_alloc(vm, flags);
	if (btspan == NULL)
		return ENOMEM;
	btfree = bt_alloc(vm, flags);
	if (btfree == NULL) {
		bt_free(vm, btspan);
		return ENOMEM;
	}

	btspan->bt_type = spanbttype;
	btspan->bt_start = addr;
	btspan->bt_size = size;
	btfree->bt_type = BT_TYPE_FREE;
	btfree->bt_start = addr;
	btfree->bt_size = size;

	bt_insseg_tail(vm, btspan);
	bt_insseg(vm, btfree, btspan);
	bt_insfree(vm, btfree);
	vmem_account(&vm->vm_size, vm->vm_size + size);
	vm->vm_nspans++;
	if (spanbttype == BT_TYPE_SPAN)
		vm->vm_nimported++;
	return 0;
}

/*
 * vmem_import: get a new span from the import function.
 *
 * => arena locked; the lock is dropped around the import function, which
 *    receives the caller's flags unchanged and 16x the size under
 *    VM_LARGEIMPORT.  A VM_XIMPORT importer may report a larger span.
 * => returns 0, EINVAL (no import function) or ENOMEM.
 */
static int
vmem_import(vmem_t *vm, vmem_size_t size, vm_flag_t flags)
{
	vmem_ximport_t *ximport;
	vmem_addr_t addr;
	int rc;

	VMEM_ASSERT_LOCKED(vm);

	if (vm->vm_importfn == NULL)
		return EINVAL;
	if ((vm->vm_flags & VM_LARGEIMPORT) != 0)
		size *= 16;

	VMEM_UNLOCK(vm);
	if ((vm->vm_flags & VM_XIMPORT) != 0) {
		ximport = (vmem_ximport_t *)(void (*)(void))vm->vm_importfn;
		rc = (*ximport)(vm->vm_arg, size, &size, flags, &addr);
	} else {
		rc = (*vm->vm_importfn)(vm->vm_arg, size, flags, &addr);
	}
	VMEM_LOCK(vm);

	if (rc != 0)
		return ENOMEM;
	if (vmem_add1(vm, addr, size, flags, BT_TYPE_SPAN) != 0) {
		VMEM_UNLOCK(vm);
		if (vm->vm_releasefn != NULL)
			(*vm->vm_releasefn)(vm->vm_arg, addr, size);
		VMEM_LOCK(vm);
		return ENOMEM;
	}
	return 0;
}

/* ---- allocation */

/*
 * vmem_fit: the lowest address in the FREE segment bt at which size bytes
 * meet the constraints (spec 1.6 step 6).  minaddr and maxaddr are
 * inclusive.
 *
 * => the caller has checked bt_size >= size.
 * => returns 0 with *addrp set, or ENOMEM.
 */
static int
vmem_fit(const bt_t *bt, vmem_size_t size, vmem_size_t align,
    vmem_size_t phase, vmem_size_t nocross, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, vmem_addr_t *addrp)
{
	vmem_addr_t start, end;

	KASSERT(size > 0);
	KASSERT(bt->bt_size >= size);

	start = MAX(bt->bt_start, minaddr);
	end = MIN(BT_END(bt), maxaddr);
	if (start > end)
		return ENOMEM;

	/* The first address >= start that is phase modulo align. */
	start = vmem_alignup(start - phase, align) + phase;
	if (start < bt->bt_start)
		start += align;		/* start - phase wrapped */
	if (vmem_cross_p(start, start + size - 1, nocross)) {
		/* Move to phase past the next nocross boundary. */
		KASSERT(align < nocross);
		start = vmem_alignup(start - phase, nocross) + phase;
	}
	if (start <= end && end - start >= size - 1) {
		KASSERT((start & (align - 1)) == phase);
		KASSERT(!vmem_cross_p(start, start + size - 1, nocross));
		KASSERT(minaddr <= start);
		KASSERT(maxaddr == 0 || start + size - 1 <= maxaddr);
		KASSERT(bt->bt_start <= start);
		KASSERT(BT_END(bt) - start >= size - 1);
		*addrp = start;
		return 0;
	}
	return ENOMEM;
}

/*
 * vmem_xalloc: allocate size bytes under constraints.
 *
 * => align: 0 or a power of 2, a multiple of the quantum (0: the quantum).
 *    phase: a multiple of the quantum below align.  nocross: 0 or a power
 *    of 2 >= size that [start, start+size-1] must not straddle a multiple
 *    of.  minaddr <= start and start+size-1 <= maxaddr.
 * => exactly one of VM_SLEEP/VM_NOSLEEP and of VM_INSTANTFIT/VM_BESTFIT.
 * => never uses the quantum caches; free with vmem_xfree.
 * => returns 0 with *addrp set (addrp may be NULL), or ENOMEM: always for
 *    VM_NOSLEEP when nothing fits, and for VM_SLEEP when align, phase or
 *    nocross is given.  An unconstrained VM_SLEEP request sleeps until it
 *    succeeds; min/max do not count as constraints, so it may sleep for a
 *    range that is never freed.
 * => caller must ensure appropriate spl if the arena is used from
 *    interrupt context (the arena's ipl does this through its lock).
 */
int
vmem_xalloc(vmem_t *vm, const vmem_size_t size0, vmem_size_t align,
    const vmem_size_t phase, const vmem_size_t nocross,
    const vmem_addr_t minaddr, const vmem_addr_t maxaddr,
    const vm_flag_t flags, vmem_addr_t *addrp)
{
	struct vmem_freelist *list, *first, *end;
	const vmem_size_t size = vmem_roundup_size(vm, size0);
	vm_flag_t strat = flags & VM_FITMASK;
	bt_t *bt, *btnew, *btnew2;
	vmem_addr_t start;
	size_t rehash;
	bool kicked = false;

	KASSERT(size0 > 0);
	KASSERT(size > 0);
	KASSERT(strat == VM_BESTFIT || strat == VM_INSTANTFIT);
	if ((flags & VM_SLEEP) != 0)
		ASSERT_SLEEPABLE();
	KASSERT((align & vm->vm_quantum_mask) == 0);
	KASSERT((align & (align - 1)) == 0);
	KASSERT((phase & vm->vm_quantum_mask) == 0);
	KASSERT((nocross & vm->vm_quantum_mask) == 0);
	KASSERT((nocross & (nocross - 1)) == 0);
	KASSERT(align == 0 || phase < align);
	KASSERT(phase == 0 || phase < align);
	KASSERT(nocross == 0 || nocross >= size);
	KASSERT(minaddr <= maxaddr);
	KASSERT(!vmem_cross_p(phase, phase + size - 1, nocross));
	if (__predict_false(size == 0))
		return ENOMEM;	/* non-DIAGNOSTIC: no segment of size 0 */

	if (align == 0)
		align = vm->vm_quantum_mask + 1;

	/* Both tags up front: carving must not fail half-way. */
	VMEM_LOCK(vm);
	btnew = bt_alloc(vm, flags);
	if (btnew == NULL) {
		VMEM_UNLOCK(vm);
		return ENOMEM;
	}
	btnew2 = bt_alloc(vm, flags);
	if (btnew2 == NULL) {
		bt_free(vm, btnew);
		VMEM_UNLOCK(vm);
		return ENOMEM;
	}

retry_strat:
	first = bt_freehead_toalloc(vm, size, strat);
	end = &vm->vm_freelist[VMEM_MAXORDER];
retry:
	bt = NULL;
	if (strat == VM_INSTANTFIT) {
		/*
		 * Every tag from `first' on is big enough; test only the
		 * head of each list, so that the search is O(lists).
		 */
		for (list = first; list < end; list++) {
			bt = LIST_FIRST(list);
			if (bt != NULL && vmem_fit(bt, size, align, phase,
			    nocross, minaddr, maxaddr, &start) == 0)
				goto gotit;
		}
	} else {
		/*
		 * First fit within size classes, from the smallest class
		 * that can hold the request; `first' may hold tags that are
		 * too small.
		 */
		for (list = first; list < end; list++) {
			LIST_FOREACH(bt, list, bt_freelist) {
				if (bt->bt_size >= size &&
				    vmem_fit(bt, size, align, phase, nocross,
				    minaddr, maxaddr, &start) == 0)
					goto gotit;
			}
		}
	}
	if (strat == VM_INSTANTFIT) {
		strat = VM_BESTFIT;
		goto retry_strat;
	}
	if (align != vm->vm_quantum_mask + 1 || phase != 0 || nocross != 0) {
		/* No import can be shaped to the constraints. */
		goto fail;
	}
	/* As in NetBSD, minaddr and maxaddr are not passed to the import. */
	if (vmem_import(vm, size, flags) == 0)
		goto retry;
	if ((flags & VM_SLEEP) != 0) {
		/*
		 * NetBSD wakes the page daemon and sleeps with the arena
		 * locked.  Here the page daemon may run on this CPU and free
		 * into this very arena, so the lock is dropped around the
		 * kick and the search repeated before sleeping; a free made
		 * meanwhile is then seen, not slept through.
		 */
		if (!kicked) {
			VMEM_UNLOCK(vm);
			vmem_kick_pdaemon();
			VMEM_LOCK(vm);
			kicked = true;
		} else {
			VMEM_CONDVAR_WAIT(vm);
			kicked = false;
		}
		goto retry;
	}
fail:
	bt_free(vm, btnew);
	bt_free(vm, btnew2);
	VMEM_UNLOCK(vm);
	return ENOMEM;

gotit:
	KASSERT(bt->bt_type == BT_TYPE_FREE);
	KASSERT(bt->bt_size >= size);
	bt_remfree(vm, bt);
	if (bt->bt_start != start) {
		/* Free prefix [bt_start, start). */
		btnew2->bt_type = BT_TYPE_FREE;
		btnew2->bt_start = bt->bt_start;
		btnew2->bt_size = start - bt->bt_start;
		bt->bt_start = start;
		bt->bt_size -= btnew2->bt_size;
		bt_insfree(vm, btnew2);
		bt_insseg(vm, btnew2, TAILQ_PREV(bt, vmem_seglist,
		    bt_seglist));
		btnew2 = NULL;
	}
	KASSERT(bt->bt_start == start);
	if (bt->bt_size != size && bt->bt_size - size > vm->vm_quantum_mask) {
		/* Busy front, free suffix. */
		btnew->bt_type = BT_TYPE_BUSY;
		btnew->bt_start = bt->bt_start;
		btnew->bt_size = size;
		bt->bt_start = bt->bt_start + size;
		bt->bt_size -= size;
		bt_insfree(vm, bt);
		bt_insseg(vm, btnew, TAILQ_PREV(bt, vmem_seglist,
		    bt_seglist));
		bt_insbusy(vm, btnew);
	} else {
		bt->bt_type = BT_TYPE_BUSY;
		bt_insbusy(vm, bt);
		bt_free(vm, btnew);
		btnew = bt;
	}
	if (btnew2 != NULL)
		bt_free(vm, btnew2);
	KASSERT(btnew->bt_size >= size);
	if (addrp != NULL)
		*addrp = btnew->bt_start;
	start = btnew->bt_start;
	/*
	 * Not while allocating tag memory: a caller may hold pool locks.  Not
	 * in interrupt context either: the table comes from host malloc, and
	 * a handler runs in signal context in parallel mode, perhaps on top
	 * of a malloc of the thread it interrupted.
	 */
	rehash = (flags & VM_POPULATING) == 0 && !vmem_intr_p() ?
	    vmem_rehash_wanted(vm) : 0;
	VMEM_UNLOCK(vm);
	if (__predict_false(rehash != 0))
		(void)vmem_rehash(vm, rehash, VM_NOSLEEP);
	KASSERTMSG((start & vm->vm_quantum_mask) == 0,
	    "vmem %s mask=0x%jx addr=0x%jx",
	    vm->vm_name, (uintmax_t)vm->vm_quantum_mask, (uintmax_t)start);
	return 0;
}

/*
 * vmem_alloc: allocate size bytes, with no constraints beyond the quantum.
 *
 * => exactly one of VM_SLEEP/VM_NOSLEEP and of VM_INSTANTFIT/VM_BESTFIT.
 * => sizes up to vm_qcache_max come from the quantum caches (the fit
 *    strategy then does not matter); a cache's NULL is ENOMEM.
 * => returns 0 with *addrp set, or ENOMEM (never with VM_SLEEP).
 */
int
vmem_alloc(vmem_t *vm, vmem_size_t size, vm_flag_t flags, vmem_addr_t *addrp)
{
	const vm_flag_t strat = flags & VM_FITMASK;
	vmem_addr_t addr = 0;
	void *p;
	int error;

	KASSERT((flags & (VM_SLEEP|VM_NOSLEEP)) != 0);
	KASSERT((~flags & (VM_SLEEP|VM_NOSLEEP)) != 0);
	KASSERT(size > 0);
	KASSERT(strat == VM_BESTFIT || strat == VM_INSTANTFIT);
	if ((flags & VM_SLEEP) != 0)
		ASSERT_SLEEPABLE();

	/* Size 0 (non-DIAGNOSTIC) goes on to fail in vmem_xalloc. */
	if (size != 0 && size <= vm->vm_qcache_max) {
		p = pool_cache_get(qc_lookup(vm, size)->qc_cache,
		    vmf_to_prf(flags));
		addr = (vmem_addr_t)p;
		error = p == NULL ? ENOMEM : 0;
	} else {
		error = vmem_xalloc(vm, size, 0, 0, 0, VMEM_ADDR_MIN,
		    VMEM_ADDR_MAX, flags, &addr);
	}
	KASSERTMSG(error || (addr & vm->vm_quantum_mask) == 0,
	    "vmem %s mask=0x%jx addr=0x%jx",
	    vm->vm_name, (uintmax_t)vm->vm_quantum_mask, (uintmax_t)addr);
	KASSERT(error == 0 || (flags & VM_SLEEP) == 0);
	if (error == 0 && addrp != NULL)
		*addrp = addr;
	return error;
}

/*
 * vmem_xalloc_addr: allocate exactly [addr, addr+size).
 *
 * => addr a multiple of the quantum, size != 0.  Always best fit.
 * => a size that is not a multiple of the quantum never fits (the range
 *    end is computed from the unrounded size), as in NetBSD.
 * => returns 0 or ENOMEM; VM_SLEEP waits for the range to be freed.
 */
int
vmem_xalloc_addr(vmem_t *vm, vmem_addr_t addr, vmem_size_t size,
    vm_flag_t flags)
{
	vmem_addr_t result = 0;
	int error;

	KASSERT((addr & vm->vm_quantum_mask) == 0);
	KASSERT(size != 0);

	flags = (flags & ~VM_INSTANTFIT) | VM_BESTFIT;
	error = vmem_xalloc(vm, size, 0, 0, 0, addr, addr + size - 1, flags,
	    &result);
	KASSERT(error || result == addr);
	KASSERT(error == 0 || (flags & VM_SLEEP) == 0);
	return error;
}

/* ---- free */

/*
 * vmem_free: free what vmem_alloc returned.
 *
 * => size as given to vmem_alloc (it chooses the quantum cache, if any).
 */
void
vmem_free(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{

	KASSERT(size > 0);
	KASSERTMSG((addr & vm->vm_quantum_mask) == 0,
	    "vmem %s mask=0x%jx addr=0x%jx",
	    vm->vm_name, (uintmax_t)vm->vm_quantum_mask, (uintmax_t)addr);

	if (size != 0 && size <= vm->vm_qcache_max) {
		/* The pool page stays busy: the segment map does not change. */
		pool_cache_put(qc_lookup(vm, size)->qc_cache, (void *)addr);
		return;
	}
	vmem_xfree(vm, addr, size);
}

/*
 * vmem_xfree: free what vmem_xalloc returned.
 *
 * => addr the start of a busy segment, size its size as allocated.
 */
void
vmem_xfree(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	bt_t *bt;

	KASSERT(size > 0);
	KASSERTMSG((addr & vm->vm_quantum_mask) == 0,
	    "vmem %s mask=0x%jx addr=0x%jx",
	    vm->vm_name, (uintmax_t)vm->vm_quantum_mask, (uintmax_t)addr);

	VMEM_LOCK(vm);
	bt = bt_lookupbusy(vm, addr);
	KASSERTMSG(bt != NULL, "vmem %s addr 0x%jx size 0x%jx",
	    vm->vm_name, (uintmax_t)addr, (uintmax_t)size);
	if (__predict_false(bt == NULL)) {
		/*
		 * A kernel without DIAGNOSTIC would dereference NULL here
		 * and die of the page fault; the machine panics instead of
		 * the host process.
		 */
		VMEM_UNLOCK(vm);
		nbm_panic(vm->vm_machine, "vmem %s addr 0x%jx size 0x%jx",
		    vm->vm_name, (uintmax_t)addr, (uintmax_t)size);
	}
	KASSERT(bt->bt_start == addr);
	KASSERT(bt->bt_size == vmem_roundup_size(vm, size) ||
	    bt->bt_size - vmem_roundup_size(vm, size) <= vm->vm_quantum_mask);

	/* vmem_xfree_bt() drops the lock. */
	vmem_xfree_bt(vm, bt);
}

/*
 * vmem_xfreeall: free every busy segment of the arena.
 *
 * => not for arenas with quantum caches.
 */
void
vmem_xfreeall(vmem_t *vm)
{
	bt_t *bt;

	KASSERT(vm->vm_qcache_max == 0);

	for (;;) {
		VMEM_LOCK(vm);
		TAILQ_FOREACH(bt, &vm->vm_seglist, bt_seglist) {
			if (bt->bt_type == BT_TYPE_BUSY)
				break;
		}
		if (bt == NULL) {
			VMEM_UNLOCK(vm);
			return;
		}
		/* vmem_xfree_bt() drops the lock. */
		vmem_xfree_bt(vm, bt);
	}
}

/*
 * vmem_xfree_bt: turn a BUSY segment FREE, merge it with its FREE
 * neighbours and release its span if it was imported and is now all free.
 *
 * => arena locked on entry, unlocked on return; the release function is
 *    called unlocked.
 */
static void
vmem_xfree_bt(vmem_t *vm, bt_t *bt)
{
	vmem_addr_t spanaddr;
	vmem_size_t spansize;
	bt_t *t;

	VMEM_ASSERT_LOCKED(vm);
	KASSERT(bt->bt_type == BT_TYPE_BUSY);

	bt_rembusy(vm, bt);
	bt->bt_type = BT_TYPE_FREE;

	/* Merge with the next, then the previous segment. */
	t = TAILQ_NEXT(bt, bt_seglist);
	if (t != NULL && t->bt_type == BT_TYPE_FREE) {
		KASSERT(BT_END(bt) < t->bt_start);
		bt_remfree(vm, t);
		bt_remseg(vm, t);
		bt->bt_size += t->bt_size;
		bt_free(vm, t);
	}
	t = TAILQ_PREV(bt, vmem_seglist, bt_seglist);
	if (t != NULL && t->bt_type == BT_TYPE_FREE) {
		KASSERT(BT_END(t) < bt->bt_start);
		bt_remfree(vm, t);
		bt_remseg(vm, t);
		bt->bt_size += t->bt_size;
		bt->bt_start = t->bt_start;
		bt_free(vm, t);
	}

	/* Now preceded by its span tag or a BUSY segment. */
	t = TAILQ_PREV(bt, vmem_seglist, bt_seglist);
	KASSERT(t != NULL);
	KASSERT(BT_ISSPAN_P(t) || t->bt_type == BT_TYPE_BUSY);
	if (vm->vm_releasefn != NULL && t->bt_type == BT_TYPE_SPAN &&
	    t->bt_size == bt->bt_size) {
		KASSERT(t->bt_start == bt->bt_start);
		spanaddr = bt->bt_start;
		spansize = bt->bt_size;
		bt_remseg(vm, bt);
		bt_free(vm, bt);
		bt_remseg(vm, t);
		bt_free(vm, t);
		vmem_account(&vm->vm_size, vm->vm_size - spansize);
		vm->vm_nspans--;
		vm->vm_nimported--;
		VMEM_CONDVAR_BROADCAST(vm);
		/* bt_freetrim() drops the lock. */
		bt_freetrim(vm, BT_MAXFREE);
		(*vm->vm_releasefn)(vm->vm_arg, spanaddr, spansize);
	} else {
		bt_insfree(vm, bt);
		VMEM_CONDVAR_BROADCAST(vm);
		/* bt_freetrim() drops the lock. */
		bt_freetrim(vm, BT_MAXFREE);
	}
}

/* ---- arenas */

/*
 * vmem_add: add the static span [addr, addr+size).
 *
 * => size a non-zero multiple of the quantum, addr aligned to it; spans
 *    must not overlap (not checked, as in NetBSD).
 * => returns 0 or ENOMEM (no tags).
 * => caller must ensure appropriate spl if the arena is used from
 *    interrupt context.
 */
int
vmem_add(vmem_t *vm, vmem_addr_t addr, vmem_size_t size, vm_flag_t flags)
{
	int rv;

	VMEM_LOCK(vm);
	rv = vmem_add1(vm, addr, size, flags, BT_TYPE_SPAN_STATIC);
	VMEM_UNLOCK(vm);
	return rv;
}

/*
 * vmem_roundup_size: size rounded up to a multiple of the quantum.
 */
vmem_size_t
vmem_roundup_size(vmem_t *vm, vmem_size_t size)
{

	return (size + vm->vm_quantum_mask) & ~vm->vm_quantum_mask;
}

/*
 * vmem_size: bytes allocated (VMEM_ALLOC), free (VMEM_FREE) or in all
 * spans (both).  Any other mask panics.
 *
 * => takes no lock, as in NetBSD: a snapshot, usable from any context.
 */
vmem_size_t
vmem_size(vmem_t *vm, int typemask)
{
	const vmem_size_t size = __atomic_load_n(&vm->vm_size,
	    __ATOMIC_RELAXED);
	const vmem_size_t inuse = __atomic_load_n(&vm->vm_inuse,
	    __ATOMIC_RELAXED);

	switch (typemask) {
	case VMEM_ALLOC:
		return inuse;
	case VMEM_FREE:
		return size - inuse;
	case VMEM_FREE|VMEM_ALLOC:
		return size;
	default:
		panic("vmem_size");
	}
}

/*
 * vmem_teardown1: take an arena's tags off it and free its hash table.
 * With release, give the tags back to the static list and the vmembt pool
 * and the arena's storage back to kmem if vmem_init allocated it; without,
 * drop them (a machine being shut down, whose pool and kmem memory goes
 * with it).  No arena lock, no checks.
 */
static void
vmem_teardown1(vmem_t *vm, bool release)
{
	struct nbm_vmem_state *vs = vm->vm_machine->m_vmem;
	bt_t *bt;

	while ((bt = TAILQ_FIRST(&vm->vm_seglist)) != NULL) {
		TAILQ_REMOVE(&vm->vm_seglist, bt, bt_seglist);
		if (release)
			vmem_btag_put(vs, bt);
	}
	while ((bt = LIST_FIRST(&vm->vm_freetags)) != NULL) {
		LIST_REMOVE(bt, bt_freelist);
		if (release)
			vmem_btag_put(vs, bt);
	}
	vm->vm_nfreetags = 0;
	if (vm->vm_hashlist != &vm->vm_hash0)
		xfree(vm->vm_hashlist,
		    sizeof(*vm->vm_hashlist) * vm->vm_hashsize);
	vm->vm_hashlist = &vm->vm_hash0;
	vm->vm_hashsize = 1;
	if (release && vm->vm_alloced)
		kmem_free(vm, sizeof(*vm));
}

/*
 * vmem_destroy1: destroy the quantum caches, check that no segment is
 * busy, then free the arena.
 */
static void
vmem_destroy1(vmem_t *vm)
{
	size_t i;
	bt_t *bt;

	qc_destroy(vm);
	VMEM_LOCK(vm);
	for (i = 0; i < vm->vm_hashsize; i++) {
		LIST_FOREACH(bt, &vm->vm_hashlist[i], bt_hashlist) {
			/* NetBSD's words for "no busy segment may remain". */
			KASSERT(bt->bt_type == BT_TYPE_SPAN_STATIC);
		}
	}
	VMEM_UNLOCK(vm);
	cv_destroy(&vm->vm_cv);
	mutex_destroy(&vm->vm_lock);
	vmem_teardown1(vm, true);
}

/*
 * vmem_init: initialise an arena in caller storage, or in storage of its
 * own when vm is NULL (kmem_alloc: only once kmem(9) is up).
 *
 * => quantum a power of 2; exactly one of VM_SLEEP/VM_NOSLEEP.
 * => VM_PRIVTAGS: size must be 0; give tags with vmem_add_bts() before
 *    the first vmem_add().
 * => the name is truncated to VMEM_NAME_MAX characters.
 * => ipl: IPL_NONE (or soft) gives an adaptive lock, for thread context
 *    only; IPL_VM and above a spin lock, so that the arena may be used
 *    from interrupts at or below ipl.
 * => returns the arena, or NULL if storage or the initial span's tags
 *    could not be had.
 * => must not be called from interrupt context.
 */
vmem_t *
vmem_init(vmem_t *vm, const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_import_t *importfn, vmem_release_t *releasefn,
    void *arg, vmem_size_t qcache_max, vm_flag_t flags, int ipl)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_vmem_state *vs = m->m_vmem;
	bool alloced = false;
	int i;

	KASSERT((flags & (VM_SLEEP|VM_NOSLEEP)) != 0);
	KASSERT((~flags & (VM_SLEEP|VM_NOSLEEP)) != 0);
	KASSERT(quantum > 0);
	KASSERT(powerof2(quantum));
	/* Private tags must be there before the first span. */
	KASSERT((flags & VM_PRIVTAGS) == 0 || size == 0);

	if (__predict_false(vs == NULL))
		nbm_panic(m, "vmem_init: %s: vmem is not bootstrapped", name);

	if (vm == NULL) {
		/* Before kmem_init, NetBSD's boot arenas are static too. */
		if (__predict_false(m->m_kmem == NULL)) {
			nbm_panic(m, "vmem_create: %s: kmem is not up yet; "
			    "give vmem_init storage", name);
		}
		vm = kmem_alloc(sizeof(*vm),
		    (flags & VM_SLEEP) != 0 ? KM_SLEEP : KM_NOSLEEP);
		if (vm == NULL)
			return NULL;
		alloced = true;
	}
	memset(vm, 0, sizeof(*vm));
	vm->vm_alloced = alloced;
	vm->vm_machine = m;
	vm->vm_ipl = ipl;

	cv_init(&vm->vm_cv, "vmem");
	mutex_init(&vm->vm_lock, MUTEX_DEFAULT, ipl);
	vm->vm_flags = flags;
	vm->vm_nfreetags = 0;
	LIST_INIT(&vm->vm_freetags);
	snprintf(vm->vm_name, sizeof(vm->vm_name), "%s", name);
	vm->vm_quantum_mask = quantum - 1;
	vm->vm_quantum_shift = vmem_order(quantum);
	KASSERT(((vmem_size_t)1 << vm->vm_quantum_shift) == quantum);
	vm->vm_importfn = importfn;
	vm->vm_releasefn = releasefn;
	vm->vm_arg = arg;
	vm->vm_nbusytag = 0;
	vm->vm_maxbusytag = 0;
	vm->vm_size = 0;
	vm->vm_inuse = 0;
	qc_init(vm, qcache_max, ipl);

	TAILQ_INIT(&vm->vm_seglist);
	for (i = 0; i < (int)VMEM_MAXORDER; i++)
		LIST_INIT(&vm->vm_freelist[i]);
	LIST_INIT(&vm->vm_hash0);
	vm->vm_hashsize = 1;
	vm->vm_hashmask = vm->vm_hashsize - 1;
	vm->vm_hashlist = &vm->vm_hash0;

	if (size != 0 && vmem_add(vm, base, size, flags) != 0) {
		vmem_destroy1(vm);
		return NULL;
	}
	if ((flags & VM_BOOTSTRAP) != 0)
		bt_refill(vm);

	mutex_enter(&vs->vms_lock);
	LIST_INSERT_HEAD(&vs->vms_list, vm, vm_alllist);
	mutex_exit(&vs->vms_lock);
	return vm;
}

/*
 * vmem_create: create an arena.
 *
 * => importfn/releasefn: where spans come from when the arena runs out
 *    and where fully free imported spans go; either may be NULL.
 * => must not be called from interrupt context.
 */
vmem_t *
vmem_create(const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_import_t *importfn, vmem_release_t *releasefn,
    void *arg, vmem_size_t qcache_max, vm_flag_t flags, int ipl)
{

	KASSERT((flags & (VM_XIMPORT)) == 0);

	return vmem_init(NULL, name, base, size, quantum, importfn, releasefn,
	    arg, qcache_max, flags, ipl);
}

/*
 * vmem_xcreate: create an arena whose import function may return a span
 * larger than asked for (vmem_ximport_t).
 *
 * => must not be called from interrupt context.
 */
vmem_t *
vmem_xcreate(const char *name, vmem_addr_t base, vmem_size_t size,
    vmem_size_t quantum, vmem_ximport_t *importfn, vmem_release_t *releasefn,
    void *arg, vmem_size_t qcache_max, vm_flag_t flags, int ipl)
{

	KASSERT((flags & (VM_XIMPORT)) == 0);

	return vmem_init(NULL, name, base, size, quantum,
	    (vmem_import_t *)(void (*)(void))importfn, releasefn, arg,
	    qcache_max, flags | VM_XIMPORT, ipl);
}

/*
 * vmem_destroy: destroy an arena.
 *
 * => no segment may be allocated (KASSERT); imported spans that are still
 *    held are not released.
 * => must not be called from interrupt context.
 */
void
vmem_destroy(vmem_t *vm)
{
	struct nbm_vmem_state *vs = vm->vm_machine->m_vmem;

	mutex_enter(&vs->vms_lock);
	LIST_REMOVE(vm, vm_alllist);
	mutex_exit(&vs->vms_lock);

	vmem_destroy1(vm);
}

/* ---- debug output (DDB "show vmem", "show all vmems", whatis) */

static const char *
bt_type_string(int type)
{
	static const char *const table[] = {
		[BT_TYPE_BUSY] = "busy",
		[BT_TYPE_FREE] = "free",
		[BT_TYPE_SPAN] = "span",
		[BT_TYPE_SPAN_STATIC] = "static span",
	};

	if (type < 0 || (size_t)type >= __arraycount(table) ||
	    table[type] == NULL)
		return "BOGUS";
	return table[type];
}

static void
bt_dump(const bt_t *bt, void (*pr)(const char *, ...))
{

	(*pr)("\t%p: %" PRIx64 ", %" PRIx64 ", %d(%s)\n",
	    (const void *)bt, (uint64_t)bt->bt_start, (uint64_t)bt->bt_size,
	    bt->bt_type, bt_type_string(bt->bt_type));
}

/*
 * vmem_dump: print the arena: a header line, every tag in segment-list
 * order, then every non-empty freelist.
 *
 * => pr is called with the arena locked; it must not use the arena.
 */
void
vmem_dump(const vmem_t *cvm, void (*pr)(const char *, ...))
{
	vmem_t *vm = __DECONST(vmem_t *, cvm);
	const bt_t *bt;
	int i;

	VMEM_LOCK(vm);
	(*pr)("vmem %p '%s'\n", (const void *)vm, vm->vm_name);
	TAILQ_FOREACH(bt, &vm->vm_seglist, bt_seglist)
		bt_dump(bt, pr);
	for (i = 0; i < (int)VMEM_MAXORDER; i++) {
		if (LIST_EMPTY(&vm->vm_freelist[i]))
			continue;
		(*pr)("freelist[%d]\n", i);
		LIST_FOREACH(bt, &vm->vm_freelist[i], bt_freelist)
			bt_dump(bt, pr);
	}
	VMEM_UNLOCK(vm);
}

/*
 * vmem_print: DDB "show vmem": addr is the arena.
 */
void
vmem_print(uintptr_t addr, const char *modif, void (*pr)(const char *, ...))
{

	(void)modif;
	vmem_dump((const vmem_t *)addr, pr);
}

/*
 * vmem_printall: DDB "show all vmems": every arena of the calling CPU's
 * machine, newest first.
 */
void
vmem_printall(const char *modif, void (*pr)(const char *, ...))
{
	struct nbm_vmem_state *vs = NBM_CURMACHINE()->m_vmem;
	const vmem_t *vm;

	(void)modif;
	mutex_enter(&vs->vms_lock);
	LIST_FOREACH(vm, &vs->vms_list, vm_alllist)
		vmem_dump(vm, pr);
	mutex_exit(&vs->vms_lock);
}

/*
 * vmem_whatis: DDB "whatis": name the segment holding addr in every arena
 * of the calling CPU's machine.
 */
void
vmem_whatis(uintptr_t addr, void (*pr)(const char *, ...))
{
	struct nbm_vmem_state *vs = NBM_CURMACHINE()->m_vmem;
	vmem_addr_t segstart = 0;
	vmem_t *vm;
	bt_t *bt;
	int type = 0;

	mutex_enter(&vs->vms_lock);
	LIST_FOREACH(vm, &vs->vms_list, vm_alllist) {
		VMEM_LOCK(vm);
		TAILQ_FOREACH(bt, &vm->vm_seglist, bt_seglist) {
			if (!BT_ISSPAN_P(bt) && bt->bt_start <= addr &&
			    addr <= BT_END(bt))
				break;
		}
		if (bt != NULL) {
			segstart = bt->bt_start;
			type = bt->bt_type;
		}
		VMEM_UNLOCK(vm);
		if (bt == NULL)
			continue;
		/* "%p" of NetBSD's printf; glibc would print 0 as "(nil)". */
		(*pr)("0x%" PRIxPTR " is 0x%" PRIxPTR "+%zu in VMEM '%s' "
		    "(%s)\n", addr, (uintptr_t)segstart,
		    (size_t)(addr - segstart), vm->vm_name,
		    type == BT_TYPE_BUSY ? "allocated" : "free");
	}
	mutex_exit(&vs->vms_lock);
}

/* ---- statistics */

void
nbm_vmem_foreach(struct nbm_machine *m, void (*fn)(vmem_t *, void *),
    void *arg)
{
	struct nbm_vmem_state *vs = m->m_vmem;
	vmem_t *vm;

	mutex_enter(&vs->vms_lock);
	LIST_FOREACH(vm, &vs->vms_list, vm_alllist)
		(*fn)(vm, arg);
	mutex_exit(&vs->vms_lock);
}

void
nbm_vmem_getstat(vmem_t *vm, struct nbm_vmem_stat *st)
{
	const bt_t *bt;
	int i;

	memset(st, 0, sizeof(*st));
	VMEM_LOCK(vm);
	memcpy(st->vs_name, vm->vm_name, sizeof(st->vs_name));
	st->vs_quantum = vm->vm_quantum_mask + 1;
	st->vs_qcache_max = vm->vm_qcache_max;
	st->vs_size = vm->vm_size;
	st->vs_inuse = vm->vm_inuse;
	st->vs_nbusytag = vm->vm_nbusytag;
	st->vs_maxbusytag = vm->vm_maxbusytag;
	st->vs_nfreetags = vm->vm_nfreetags;
	st->vs_hashsize = vm->vm_hashsize;
	st->vs_nspans = vm->vm_nspans;
	st->vs_nimported = vm->vm_nimported;
	for (i = 0; i < (int)VMEM_MAXORDER; i++) {
		st->vs_freelist[i] = vm->vm_nfreeseg[i];
		st->vs_nsegs_free += vm->vm_nfreeseg[i];
	}
	/* The largest free segment is on the highest non-empty list. */
	for (i = (int)VMEM_MAXORDER - 1; i >= 0; i--) {
		if (LIST_EMPTY(&vm->vm_freelist[i]))
			continue;
		LIST_FOREACH(bt, &vm->vm_freelist[i], bt_freelist)
			st->vs_largest_free = MAX(st->vs_largest_free,
			    bt->bt_size);
		break;
	}
	VMEM_UNLOCK(vm);
}

void
nbm_vmem_walk(vmem_t *vm, void (*fn)(vmem_addr_t, vmem_size_t, int, void *),
    void *arg)
{
	const bt_t *bt;

	VMEM_LOCK(vm);
	TAILQ_FOREACH(bt, &vm->vm_seglist, bt_seglist)
		(*fn)(bt->bt_start, bt->bt_size, bt->bt_type, arg);
	VMEM_UNLOCK(vm);
}

void
nbm_vmem_teardown(vmem_t *vm)
{

	LIST_REMOVE(vm, vm_alllist);
	vmem_teardown1(vm, false);
}

/*
 * nbm_vmem_btag_evcnt: the event counters of group "vmem": static_bt_count
 * (static boot tags created) and static_bt_inuse (those in arenas now).
 */
void
nbm_vmem_btag_evcnt(struct nbm_machine *m, uint64_t *countp,
    uint64_t *inusep)
{
	struct nbm_vmem_state *vs = m->m_vmem;

	mutex_enter(&vs->vms_btag_lock);
	*countp = vs->vms_static_bt_count;
	*inusep = vs->vms_static_bt_inuse;
	mutex_exit(&vs->vms_btag_lock);
}

/* ---- boot */

/*
 * Import functions.  NetBSD casts vmem_alloc, vmem_free and
 * uvm_km_kmem_alloc/free to the import types; these keep them honest.
 */
int
nbm_vmem_import(void *arg, vmem_size_t size, vm_flag_t flags,
    vmem_addr_t *addrp)
{

	return vmem_alloc(arg, size, flags, addrp);
}

void
nbm_vmem_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{

	vmem_free(arg, addr, size);
}

static int
vmem_meta_import(void *arg, vmem_size_t size, vm_flag_t flags,
    vmem_addr_t *addrp)
{

	return uvm_km_kmem_alloc(arg, size, flags, addrp);
}

static void
vmem_meta_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{

	uvm_km_kmem_free(arg, addr, size);
}

/*
 * pool_page_alloc_vmem_meta, pool_page_free_vmem_meta: the allocator of
 * the vmembt pool (pool_allocator_vmem_meta): pages of kmem_meta_arena,
 * allocated with VM_POPULATING so that their tags come from the reserves.
 */
static void *
pool_page_alloc_vmem_meta(struct pool *pp, int flags)
{
	const vm_flag_t vflags = (flags & PR_WAITOK) ? VM_SLEEP : VM_NOSLEEP;
	vmem_addr_t va;
	int ret;

	ret = vmem_alloc(pp->pr_machine->m_kmem_meta_arena,
	    pp->pr_alloc->pa_pagesz, vflags | VM_INSTANTFIT | VM_POPULATING,
	    &va);
	return ret != 0 ? NULL : (void *)va;
}

static void
pool_page_free_vmem_meta(struct pool *pp, void *v)
{

	vmem_free(pp->pr_machine->m_kmem_meta_arena, (vmem_addr_t)v,
	    pp->pr_alloc->pa_pagesz);
}

/*
 * vmem_subsystem_init: create the meta arenas over kmem_arena vm, in the
 * vmem state's storage, and the boundary-tag pool "vmembt" (spec 1.8,
 * 1.14): kmem_va_meta_arena "vmem-va" imports 16x from vm,
 * kmem_meta_arena "vmem-meta" imports VA and wired pages from vmem-va.
 * From here on, tag refills use the pool once the static tags are gone.
 *
 * => called once at boot, by uvm_km_bootstrap, with vm the kmem arena.
 */
void
vmem_subsystem_init(vmem_t *vm)
{
	struct nbm_machine *m = vm->vm_machine;
	struct nbm_vmem_state *vs = m->m_vmem;

	m->m_kmem_va_meta_arena = vmem_init(&vs->vms_va_meta_store, "vmem-va",
	    0, 0, m->m_pagesize, nbm_vmem_import, nbm_vmem_release,
	    vm, 0, VM_NOSLEEP | VM_BOOTSTRAP | VM_LARGEIMPORT, IPL_VM);
	m->m_kmem_meta_arena = vmem_init(&vs->vms_meta_store, "vmem-meta", 0,
	    0, m->m_pagesize, vmem_meta_import, vmem_meta_release,
	    m->m_kmem_va_meta_arena, 0, VM_NOSLEEP | VM_BOOTSTRAP, IPL_VM);

	vs->vms_btag_allocator.pa_alloc = pool_page_alloc_vmem_meta;
	vs->vms_btag_allocator.pa_free = pool_page_free_vmem_meta;
	vs->vms_btag_allocator.pa_pagesz = 0;
	pool_init(&vs->vms_btag_pool, sizeof(bt_t), COHERENCY_UNIT, 0,
	    PR_PHINPAGE, "vmembt", &vs->vms_btag_allocator, IPL_VM);
	vs->vms_btag_pool_ready = true;
}


/*
 * vmem_bootstrap: set up the machine's arena list and put its
 * STATIC_BT_COUNT boot tags on the static list (NetBSD's vmem_bootstrap(),
 * run by the first vmem_init, does the same with the global ones).
 */
static int
vmem_bootstrap(struct nbm_machine *m)
{
	struct nbm_vmem_state *vs;
	size_t i;

	vs = calloc(1, sizeof(*vs));
	if (vs == NULL)
		return ENOMEM;
	mutex_init(&vs->vms_lock, MUTEX_DEFAULT, IPL_NONE);
	LIST_INIT(&vs->vms_list);
	mutex_init(&vs->vms_btag_lock, MUTEX_DEFAULT, IPL_VM);
	mutex_init(&vs->vms_btag_refill_lock, MUTEX_DEFAULT, IPL_VM);
	LIST_INIT(&vs->vms_btag_freelist);
	for (i = STATIC_BT_COUNT; i-- > 0;) {
		LIST_INSERT_HEAD(&vs->vms_btag_freelist,
		    &vs->vms_static_bts[i], bt_freelist);
		vs->vms_btag_freelist_count++;
		vs->vms_static_bt_count++;
	}
	m->m_vmem = vs;
	return 0;
}

/*
 * vmem_shutdown: free the arenas their owners left behind.  Runs after the
 * fini functions of every later boot step, so an arena in caller storage
 * must stay valid until then, or be torn down by its owner first.
 */
static void
vmem_shutdown(struct nbm_machine *m)
{
	struct nbm_vmem_state *vs = m->m_vmem;
	vmem_t *vm;

	if (vs == NULL)
		return;
	while ((vm = LIST_FIRST(&vs->vms_list)) != NULL)
		nbm_vmem_teardown(vm);
	m->m_vmem = NULL;
	free(vs);
}

const struct nbm_bootstep nbm_bootstep_vmem = {
	"vmem", vmem_bootstrap, vmem_shutdown
};
