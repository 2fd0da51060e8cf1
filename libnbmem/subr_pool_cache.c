/*
 * subr_pool_cache.c: pool_cache(9), the constructed-object cache with a
 * lock-free per-CPU layer, on top of the pools of subr_pool.c, as NetBSD
 * builds it (sys/kern/subr_pool.c 1.284, the 2022 lock-free design; the
 * behaviour is specified in spec-pool-poolcache-kmem.md section 2, cited
 * below as "spec 2.4" and so on).
 *
 * A pool cache sits on an embedded pool and keeps freed objects
 * constructed.  Each CPU owns two groups of object pointers
 * (cc_current, cc_previous) of 15 (or 63, PR_LARGECACHE) slots; get pops
 * from the current group and swaps in the previous one when it is empty,
 * put pushes likewise; both run at splvm() on the calling CPU and take no
 * lock.  When both groups are empty (full) the slow path trades a group with
 * the cache-wide lists: full groups on pc_fullgroups, partial groups left by
 * invalidation on pc_partgroups, and empty groups on a list shared by every
 * cache of the machine with that group size.  These lists are stacks whose
 * head is briefly replaced by the address of pcg_dummy while one CPU pops,
 * as in NetBSD's 2022 lock-free design; pcg_dummy is also the "always
 * empty, yet always full" group that fills unused per-CPU slots.  The
 * constructor runs only when an object comes from the pool layer, the
 * destructor only when one goes back to it.  The counters are those of
 * spec 2.6, so the trace of spec 2.7 comes out number for number.
 *
 * Flushing other CPUs (pool_cache_invalidate).  NetBSD runs
 * pool_cache_transfer on every CPU with a cross-call.  Here a CPU is a host
 * thread that may be running anywhere in its own code, so the invalidating
 * thread uses this protocol, built so that the per-CPU fast path adds
 * nothing but a test of bits in a word it loads anyway:
 *
 *  - pc_cpus[i] holds the address of CPU i's pool_cache_cpu_t or'ed with
 *    PC_CPU_XFER ("flush requested"), PC_CPU_BUSY ("another thread is
 *    flushing it now") and PC_CPU_CHECK (debug checks on: take the checked
 *    path).  The fast path loads the word (a seq_cst load, a plain mov on
 *    x86) and takes the general path if any bit is set.
 *  - Only a thread that owns the slot touches the CPU's groups.  The thread
 *    running on the CPU owns it whenever XFER and BUSY are clear; anybody
 *    else must first turn XFER into BUSY with a compare-and-swap, and gives
 *    the slot back by storing the bare pointer (release).
 *  - The invalidating thread sets XFER (seq_cst read-modify-write), then
 *    reads the CPU's ci_occupant (seq_cst).  If a thread occupies the CPU it
 *    leaves the request: that thread services it at its next get or put on
 *    this cache, destroying its stale groups before it uses the cache again.
 *    If the CPU is free, it claims the slot (XFER -> BUSY) and moves the
 *    groups to the global lists itself, as pool_cache_transfer would.
 *  - This is Dekker's pattern with a full fence on both sides: the
 *    invalidator's read-modify-write, and the compare-and-swap with which a
 *    thread enters the CPU (nbm_cpu_enter).  So either the invalidator sees
 *    the CPU occupied, or the entering thread sees XFER/BUSY at its first
 *    get or put.  A thread that finds BUSY waits for the few instructions
 *    that move the groups; no destructor runs while a slot is BUSY.  The
 *    groups' contents travel with happens-before edges: the occupant's exit
 *    (a seq_cst store to ci_occupant) to the invalidator's read of it, and
 *    the release of the slot to the next acquire.  TSan sees all of them.
 *  - Consequence: the objects a CPU caches while its thread is away in its
 *    own code are destructed by that thread when it next gets or puts on
 *    this cache, not before pool_cache_invalidate returns; a get or put that
 *    begins after the invalidation returned never sees them.  Free CPUs and
 *    the calling CPU are flushed at once, so the pool layer's Releases jump
 *    as in NetBSD.  pool_cache_destroy, like NetBSD's, empties every CPU's
 *    groups directly: nobody may use a cache that is being destroyed.
 *
 * The per-CPU fast path (pool_cache_get_cpu and pool_cache_put_cpu in
 * subr_pool_impl.h, which kmem(9) calls with the CPU it has looked up
 * already) is a test of the context and flags, a raise to IPL_VM, a load
 * of the CPU's slot word and a test of its low bits, the pop or push in
 * the current group, and the splx back.  Everything else -- interrupt
 * context, swapping groups, the slow paths, pending transfer requests,
 * debug checks, interrupts that came in meanwhile -- is in the checked and
 * general paths, which the fast path reaches by tail calls only, so that
 * it saves no registers.
 */
#include "subr_pool_impl.h"

const pcg_t pcg_dummy;

static bool	pool_cache_put_slow(pool_cache_t, pool_cache_cpu_t *,
		    struct cpu_info *, int, void *);
static bool	pool_cache_get_slow(pool_cache_t, pool_cache_cpu_t *,
		    struct cpu_info *, int, void **, paddr_t *, int);
static void	pool_cache_cpu_init1(struct cpu_info *, pool_cache_t);
static int	pool_cache_invalidate_groups(pool_cache_t, pcg_t *);
static void	pool_cache_invalidate_cpu(pool_cache_t, u_int);
static void	pool_cache_transfer(pool_cache_t, struct cpu_info *);
static int	pool_pcg_get(pcg_t **, pcg_t **);
static int	pool_pcg_put(pcg_t **, pcg_t *);
static pcg_t	*pool_pcg_trunc(pcg_t **);

/* NULL constructors and destructors are replaced by these. */
static int
pool_cache_noctor(void *arg, void *obj, int flags)
{

	return 0;
}

static void
pool_cache_nodtor(void *arg, void *obj)
{
}

#define NO_CTOR	pool_cache_noctor
#define NO_DTOR	pool_cache_nodtor

/*
 * pool_bigidx: the smallest pool_allocator_big[] page (8 KiB .. 16 MiB)
 * that holds an item of `size' bytes.
 */
static int
pool_bigidx(size_t size)
{
	int i;

	for (i = 0; i < POOL_ALLOCATOR_BIG_N; i++) {
		if ((size_t)1 << (i + POOL_ALLOCATOR_BIG_BASE) >= size)
			return i;
	}
	panic("pool item size %zu too large, use a custom allocator", size);
}

/* POOL_VTOPHYS: the physical address behind a kernel address. */
static inline paddr_t
pool_vtophys(const void *va)
{
	paddr_t pa;

	if (!pmap_extract(pmap_kernel(), (vaddr_t)va, &pa))
		return POOL_PADDR_INVALID;
	return pa;
}

/*
 * pool_cache_init: create a pool cache, its descriptor taken from the
 * "pcache" pool.
 *
 * => may sleep; returns the cache (never NULL).
 */
pool_cache_t
pool_cache_init(size_t size, u_int align, u_int align_offset, u_int flags,
    const char *wchan, struct pool_allocator *palloc, int ipl,
    int (*ctor)(void *, void *, int), void (*dtor)(void *, void *), void *arg)
{
	struct nbm_pool_state *ps = pool_state();
	pool_cache_t pc;

	pc = pool_get(&ps->ps_cache_pool, PR_WAITOK);
	if (pc == NULL)
		return NULL;
	pool_cache_bootstrap(pc, size, align, align_offset, flags, wchan,
	    palloc, ipl, ctor, dtor, arg);
	return pc;
}

/*
 * pool_cache_bootstrap: pool_cache_init with storage from the caller
 * (spec 2.3).  IPL_NONE caches without an allocator get
 * pool_allocator_nointr, or for items above PAGE_SIZE the smallest big
 * allocator and PR_NOALIGN.
 */
void
pool_cache_bootstrap(pool_cache_t pc, size_t size, u_int align,
    u_int align_offset, u_int flags, const char *wchan,
    struct pool_allocator *palloc, int ipl,
    int (*ctor)(void *, void *, int), void (*dtor)(void *, void *),
    void *arg)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_pool_state *ps = pool_state_of(m);
	pool_cache_t pc1;
	struct pool *pp;
	unsigned int ppflags;
	u_int i;

	pp = &pc->pc_pool;
	if (palloc == NULL && ipl == IPL_NONE) {
		if (size > m->m_pagesize) {
			int bigidx = pool_bigidx(size);

			palloc = &ps->ps_allocator_big[bigidx];
			flags |= PR_NOALIGN;
		} else
			palloc = &ps->ps_allocator_nointr;
	}

	ppflags = flags;
	if (ctor == NULL)
		ctor = NO_CTOR;
	if (dtor == NULL) {
		dtor = NO_DTOR;
	} else {
		/* The cache does the PR_PSERIALIZE barrier, not the pool. */
		ppflags &= ~PR_PSERIALIZE;
	}

	pool_init1(ps, pp, size, align, align_offset, (int)ppflags, wchan,
	    palloc, ipl);

	pc->pc_fullgroups = NULL;
	pc->pc_partgroups = NULL;
	pc->pc_ctor = ctor;
	pc->pc_dtor = dtor;
	pc->pc_arg  = arg;
	pc->pc_refcnt = 0;
	pc->pc_roflags = flags;
	pc->pc_freecheck = NULL;
	pc->pc_redzone = pp->pr_redzone;
	pc->pc_reqsize = size;

	if ((flags & PR_LARGECACHE) != 0) {
		pc->pc_pcgsize = PCG_NOBJECTS_LARGE;
		pc->pc_pcgpool = &ps->ps_pcg_large_pool;
		pc->pc_pcgcache = &ps->ps_pcg_large_cache;
	} else {
		pc->pc_pcgsize = PCG_NOBJECTS_NORMAL;
		pc->pc_pcgpool = &ps->ps_pcg_normal_pool;
		pc->pc_pcgcache = &ps->ps_pcg_normal_cache;
	}

	/*
	 * Allocate per-CPU caches.  Every CPU of a simulated machine exists
	 * from boot, so there is no "ncpu < 2: curcpu only" case; the slots
	 * after the last CPU (that of an observer, nbm_machine_observe) get
	 * no state, only PC_CPU_CHECK, so that a get or put there reaches
	 * the general path and panics instead of using a NULL pointer.
	 */
	memset(pc->pc_cpus, 0, sizeof(pc->pc_cpus));
	pc->pc_ncpu = 0;
	for (i = 0; i < m->m_ncpu; i++)
		pool_cache_cpu_init1(m->m_cpus[i], pc);
	for (i = m->m_ncpu; i < __arraycount(pc->pc_cpus); i++)
		pc->pc_cpus[i] = PC_CPU_CHECK;

	/* Add to list of all caches, by name. */
	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pc1, &ps->ps_cache_head, pc_cachelist) {
		if (strcmp(pc1->pc_pool.pr_wchan, pc->pc_pool.pr_wchan) > 0)
			break;
	}
	if (pc1 == NULL)
		TAILQ_INSERT_TAIL(&ps->ps_cache_head, pc, pc_cachelist);
	else
		TAILQ_INSERT_BEFORE(pc1, pc, pc_cachelist);
	mutex_exit(&ps->ps_head_lock);

	__atomic_store_n(&pp->pr_cache, pc, __ATOMIC_RELEASE);
}

/*
 * pool_cache_destroy: destroy a cache made by pool_cache_init.
 *
 * => every object must have been returned (pool_destroy's KASSERT).
 */
void
pool_cache_destroy(pool_cache_t pc)
{
	struct nbm_pool_state *ps = pool_state();

	pool_cache_bootstrap_destroy(pc);
	pool_put(&ps->ps_cache_pool, pc);
}

/*
 * pool_cache_bootstrap_destroy: destroy a cache made by
 * pool_cache_bootstrap.  Destructs everything cached, on every CPU.
 *
 * => nobody may use the cache meanwhile (as in NetBSD).
 */
void
pool_cache_bootstrap_destroy(pool_cache_t pc)
{
	struct nbm_pool_state *ps = pool_state();
	struct pool *pp = &pc->pc_pool;
	u_int i;

	/* Remove it from the global list. */
	mutex_enter(&ps->ps_head_lock);
	while (pc->pc_refcnt != 0)
		cv_wait(&ps->ps_busy, &ps->ps_head_lock);
	TAILQ_REMOVE(&ps->ps_cache_head, pc, pc_cachelist);
	mutex_exit(&ps->ps_head_lock);

	/* First, invalidate the entire cache. */
	pool_cache_invalidate(pc);

	/* Disassociate it from the pool. */
	mutex_enter(&pp->pr_lock);
	__atomic_store_n(&pp->pr_cache, NULL, __ATOMIC_RELAXED);
	mutex_exit(&pp->pr_lock);

	/* Destroy per-CPU data */
	for (i = 0; i < __arraycount(pc->pc_cpus); i++)
		pool_cache_invalidate_cpu(pc, i);

	/* Finally, destroy it. */
	pool_destroy(pp);
}

/*
 * pool_cache_cpu_init1: give CPU ci its state in cache pc: the embedded
 * pc_cpu0 for the first, one from "pcachecpu" for the others.
 */
static void
pool_cache_cpu_init1(struct cpu_info *ci, pool_cache_t pc)
{
	struct nbm_machine *m = ci->ci_machine;
	pool_cache_cpu_t *cc;
	uintptr_t w;
	u_int index;

	index = ci->ci_index;
	KASSERT(index < __arraycount(pc->pc_cpus));
	if (PC_CPU_PTR(__atomic_load_n(&pc->pc_cpus[index],
	    __ATOMIC_ACQUIRE)) != NULL)
		return;

	/* The first CPU is 'free': we may not be able to allocate yet. */
	if (pc->pc_ncpu == 0) {
		cc = &pc->pc_cpu0;
		pc->pc_ncpu = 1;
	} else {
		pc->pc_ncpu++;
		cc = pool_get(&pool_state_of(m)->ps_cache_cpu_pool, PR_WAITOK);
	}

	cc->cc_current = PCG_DUMMY;
	cc->cc_previous = PCG_DUMMY;
	cc->cc_pcgcache = pc->pc_pcgcache;
	cc->cc_hits = 0;
	cc->cc_misses = 0;
	cc->cc_pcmisses = 0;
	cc->cc_contended = 0;
	cc->cc_nfull = 0;
	cc->cc_npart = 0;

	/* Debug checks divert every operation to the general path. */
	w = (uintptr_t)cc;
	if (pc->pc_pool.pr_redzone || nbm_opt(m, NBM_OPT_DIAGNOSTIC))
		w |= PC_CPU_CHECK;
	__atomic_store_n(&pc->pc_cpus[index], w, __ATOMIC_RELEASE);
}

/*
 * pool_cache_cpu_init: called when a CPU attaches: give it state in every
 * cache.  The CPUs of a simulated machine all exist from boot, so this only
 * matters for caches bootstrapped before ncpu was known.
 */
void
pool_cache_cpu_init(struct cpu_info *ci)
{
	struct nbm_pool_state *ps = pool_state_of(ci->ci_machine);
	pool_cache_t pc;

	mutex_enter(&ps->ps_head_lock);
	TAILQ_FOREACH(pc, &ps->ps_cache_head, pc_cachelist) {
		pc->pc_refcnt++;
		mutex_exit(&ps->ps_head_lock);

		pool_cache_cpu_init1(ci, pc);

		mutex_enter(&ps->ps_head_lock);
		pc->pc_refcnt--;
		cv_broadcast(&ps->ps_busy);
	}
	mutex_exit(&ps->ps_head_lock);
}

/*
 * pool_cache_reclaim: reclaim memory from a pool cache (which starts by
 * invalidating it).
 */
bool
pool_cache_reclaim(pool_cache_t pc)
{

	return pool_reclaim(&pc->pc_pool);
}

static inline void
pool_cache_pre_destruct(pool_cache_t pc)
{

	/*
	 * A passive serialization barrier before destructing a batch; a
	 * no-op here, see pool_barrier in subr_pool.c.
	 */
	(void)pc;
}

static void
pool_cache_destruct_object1(pool_cache_t pc, void *object)
{

	(*pc->pc_dtor)(pc->pc_arg, object);
	pool_put(&pc->pc_pool, object);
}

/*
 * pool_cache_destruct_object: destruct an object and give it back to the
 * pool, bypassing the cache.
 */
void
pool_cache_destruct_object(pool_cache_t pc, void *object)
{

	pool_cache_pre_destruct(pc);
	pool_cache_destruct_object1(pc, object);
}

/*
 * pool_cache_invalidate_groups: destruct every object of a chain of groups
 * and free the groups.
 *
 * => returns the number of groups.
 */
static int
pool_cache_invalidate_groups(pool_cache_t pc, pcg_t *pcg)
{
	struct nbm_pool_state *ps = pool_state();
	void *object;
	pcg_t *next;
	u_int i;
	int n;

	if (pcg == NULL)
		return 0;

	pool_cache_pre_destruct(pc);
	for (n = 0; pcg != NULL; pcg = next, n++) {
		next = pcg->pcg_next;
		for (i = 0; i < pcg->pcg_avail; i++) {
			object = pcg->pcg_objects[i].pcgo_va;
			pool_cache_destruct_object1(pc, object);
		}
		if (pcg->pcg_size == PCG_NOBJECTS_LARGE) {
			pool_put(&ps->ps_pcg_large_pool, pcg);
		} else {
			KASSERT(pcg->pcg_size == PCG_NOBJECTS_NORMAL);
			pool_put(&ps->ps_pcg_normal_pool, pcg);
		}
	}
	return n;
}

/* pool_cache_invalidate_one: destruct one group taken off a CPU. */
static void
pool_cache_invalidate_one(pool_cache_t pc, pcg_t *pcg)
{

	if (pcg == PCG_DUMMY)
		return;
	pcg->pcg_next = NULL;
	(void)pool_cache_invalidate_groups(pc, pcg);
}

/* -------------------------------------------------------------------------- */

/*
 * The per-CPU slot protocol (see the top of this file).
 */

/*
 * pool_cache_slot_claim: take a slot for a thread that is not its owner, or
 * for the owner itself: wait while another thread has it BUSY, then turn
 * it (and any pending XFER) into BUSY.
 *
 * => returns the slot word without XFER and BUSY (0: no state here).
 */
static uintptr_t
pool_cache_slot_claim(uintptr_t *wp)
{
	int count = SPINLOCK_BACKOFF_MIN;
	uintptr_t w;

	w = __atomic_load_n(wp, __ATOMIC_SEQ_CST);
	for (;;) {
		if (PC_CPU_PTR(w) == NULL)
			return 0;
		if (w & PC_CPU_BUSY) {
			pool_backoff(&count);
			w = __atomic_load_n(wp, __ATOMIC_SEQ_CST);
			continue;
		}
		if (__atomic_compare_exchange_n(wp, &w,
		    (w & ~PC_CPU_XFER) | PC_CPU_BUSY, false,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return w & ~(PC_CPU_XFER | PC_CPU_BUSY);
	}
}

static inline void
pool_cache_slot_release(uintptr_t *wp, uintptr_t w)
{

	__atomic_store_n(wp, w & ~(PC_CPU_XFER | PC_CPU_BUSY),
	    __ATOMIC_RELEASE);
}

/*
 * pool_cache_transfer_cc: move a CPU's two groups to the global lists:
 * full ones to pc_fullgroups, empty ones to the shared empty list,
 * partial ones to pc_partgroups (spec 2.5), counting on that CPU.
 *
 * => called at IPL_VM with the slot owned (by the CPU or BUSY).
 */
static void
pool_cache_transfer_cc(pool_cache_t pc, pool_cache_cpu_t *cc)
{
	pcg_t *grp[2];
	u_int i;

	grp[0] = cc->cc_current;
	grp[1] = cc->cc_previous;
	cc->cc_current = PCG_DUMMY;
	cc->cc_previous = PCG_DUMMY;
	for (i = 0; i < 2; i++) {
		pcg_t *pcg = grp[i];

		if (pcg == PCG_DUMMY)
			continue;
		if (pcg->pcg_avail == pcg->pcg_size) {
			(void)pool_pcg_put(&pc->pc_fullgroups, pcg);
			CC_ADD_ATOMIC(cc, cc_nfull, 1);
		} else if (pcg->pcg_avail == 0) {
			(void)pool_pcg_put(pc->pc_pcgcache, pcg);
		} else {
			(void)pool_pcg_put(&pc->pc_partgroups, pcg);
			CC_ADD_ATOMIC(cc, cc_npart, 1);
		}
	}
}

/*
 * pool_cache_transfer: transfer the calling CPU's groups to the global
 * lists (what NetBSD's cross-call runs on each CPU).
 */
static void
pool_cache_transfer(pool_cache_t pc, struct cpu_info *ci)
{
	uintptr_t *wp = &pc->pc_cpus[ci->ci_index];
	uintptr_t w;
	int s;

	s = splraise_inline(ci, IPL_VM);
	if ((w = pool_cache_slot_claim(wp)) != 0) {
		pool_cache_transfer_cc(pc, PC_CPU_PTR(w));
		pool_cache_slot_release(wp, w);
	}
	splx_inline(ci, s);
}

/*
 * pool_cache_transfer_remote: have CPU ci's groups transferred: now, by
 * this thread, if no thread runs on ci; otherwise by ci's thread at its
 * next get or put on this cache.
 */
static void
pool_cache_transfer_remote(pool_cache_t pc, struct cpu_info *ci)
{
	struct cpu_info *self = curcpu();
	uintptr_t *wp = &pc->pc_cpus[ci->ci_index];
	int count = SPINLOCK_BACKOFF_MIN;
	uintptr_t w;
	int s;

	if (PC_CPU_PTR(__atomic_load_n(wp, __ATOMIC_ACQUIRE)) == NULL)
		return;
	w = __atomic_fetch_or(wp, PC_CPU_XFER, __ATOMIC_SEQ_CST) |
	    PC_CPU_XFER;
	if (atomic_load(&ci->ci_occupant) != 0)
		return;		/* deferred to the CPU's thread */

	s = splraise_inline(self, IPL_VM);
	for (;;) {
		if (w & PC_CPU_BUSY) {
			/* Another invalidation is moving them: let it end. */
			pool_backoff(&count);
			w = __atomic_load_n(wp, __ATOMIC_SEQ_CST);
			continue;
		}
		if ((w & PC_CPU_XFER) == 0)
			break;		/* somebody did it meanwhile */
		if (__atomic_compare_exchange_n(wp, &w,
		    (w & ~PC_CPU_XFER) | PC_CPU_BUSY, false,
		    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
			pool_cache_transfer_cc(pc, PC_CPU_PTR(w));
			pool_cache_slot_release(wp, w);
			break;
		}
	}
	splx_inline(self, s);
}

/*
 * pool_cache_settle: before the owner uses its slot: wait out a transfer
 * by another thread, and honour a pending request by destructing its own
 * groups.  The destructors run at the caller's IPL, outside the IPL_VM
 * section, with the slot already given back.
 *
 * => called at IPL_VM (*sp holds the level to return to); returns the slot
 *    word, with at most PC_CPU_CHECK set.
 */
static uintptr_t
pool_cache_settle(pool_cache_t pc, struct cpu_info *ci, int *sp)
{
	uintptr_t *wp = &pc->pc_cpus[ci->ci_index];
	pool_cache_cpu_t *cc;
	pcg_t *cur, *prev;
	uintptr_t w;

	for (;;) {
		w = __atomic_load_n(wp, __ATOMIC_SEQ_CST);
		if ((w & (PC_CPU_XFER | PC_CPU_BUSY)) == 0)
			return w;
		w = pool_cache_slot_claim(wp);
		cc = PC_CPU_PTR(w);
		cur = cc->cc_current;
		prev = cc->cc_previous;
		cc->cc_current = PCG_DUMMY;
		cc->cc_previous = PCG_DUMMY;
		pool_cache_slot_release(wp, w);

		splx_inline(ci, *sp);
		pool_cache_invalidate_one(pc, cur);
		pool_cache_invalidate_one(pc, prev);
		*sp = splraise_inline(ci, IPL_VM);
	}
}

/*
 * pool_cache_invalidate: destruct and release every cached object, on
 * every CPU (see the protocol above for CPUs whose thread is busy), and
 * free the empty groups of every cache of the machine.  Does not reclaim
 * pages from the pool.
 *
 * => not from interrupt context.
 */
void
pool_cache_invalidate(pool_cache_t pc)
{
	struct cpu_info *ci = curcpu();
	struct nbm_machine *m = ci->ci_machine;
	struct nbm_pool_state *ps = pool_state_of(m);
	pool_cache_cpu_t *cc;
	pcg_t *pcg;
	u_int i;
	int n;

	KASSERT(!cpu_intr_p() && !cpu_softintr_p());

	for (i = 0; i < m->m_ncpu; i++) {
		if (i == ci->ci_index)
			pool_cache_transfer(pc, ci);
		else
			pool_cache_transfer_remote(pc, m->m_cpus[i]);
	}

	/* Now dequeue and invalidate everything. */
	pcg = pool_pcg_trunc(&ps->ps_pcg_normal_cache);
	(void)pool_cache_invalidate_groups(pc, pcg);

	pcg = pool_pcg_trunc(&ps->ps_pcg_large_cache);
	(void)pool_cache_invalidate_groups(pc, pcg);

	/* The groups are subtracted here (CPU 0 for an observer). */
	cc = PC_CPU_PTR(__atomic_load_n(&pc->pc_cpus[ci->ci_index <
	    m->m_ncpu ? ci->ci_index : 0], __ATOMIC_ACQUIRE));
	pcg = pool_pcg_trunc(&pc->pc_fullgroups);
	n = pool_cache_invalidate_groups(pc, pcg);
	if (cc != NULL)
		CC_ADD_ATOMIC(cc, cc_nfull, (uint32_t)-n);

	pcg = pool_pcg_trunc(&pc->pc_partgroups);
	n = pool_cache_invalidate_groups(pc, pcg);
	if (cc != NULL)
		CC_ADD_ATOMIC(cc, cc_npart, (uint32_t)-n);
}

/*
 * pool_cache_invalidate_cpu: destruct the objects of one CPU's groups and
 * free its state.
 *
 * => only while the cache is being destroyed: nobody uses it meanwhile.
 */
static void
pool_cache_invalidate_cpu(pool_cache_t pc, u_int index)
{
	struct nbm_pool_state *ps = pool_state();
	pool_cache_cpu_t *cc;
	uintptr_t w;

	w = __atomic_exchange_n(&pc->pc_cpus[index], 0, __ATOMIC_ACQ_REL);
	if ((cc = PC_CPU_PTR(w)) == NULL)
		return;
	pool_cache_invalidate_one(pc, cc->cc_current);
	pool_cache_invalidate_one(pc, cc->cc_previous);
	if (cc != &pc->pc_cpu0)
		pool_put(&ps->ps_cache_cpu_pool, cc);
}

void
pool_cache_set_drain_hook(pool_cache_t pc, void (*fn)(void *, int), void *arg)
{

	pool_set_drain_hook(&pc->pc_pool, fn, arg);
}

void
pool_cache_setlowat(pool_cache_t pc, int n)
{

	pool_setlowat(&pc->pc_pool, n);
}

void
pool_cache_sethiwat(pool_cache_t pc, int n)
{

	pool_sethiwat(&pc->pc_pool, n);
}

void
pool_cache_sethardlimit(pool_cache_t pc, int n, const char *warnmess,
    int ratecap)
{

	pool_sethardlimit(&pc->pc_pool, n, warnmess, ratecap);
}

void
pool_cache_prime(pool_cache_t pc, int n)
{

	pool_prime(&pc->pc_pool, n);
}

unsigned int
pool_cache_nget(pool_cache_t pc)
{

	return pool_nget(&pc->pc_pool);
}

unsigned int
pool_cache_nput(pool_cache_t pc)
{

	return pool_nput(&pc->pc_pool);
}

/* -------------------------------------------------------------------------- */

/*
 * The global group lists: stacks whose head is swapped with &pcg_dummy
 * while a CPU pops, so that a concurrent pop cannot see a stale next
 * pointer (no ABA).  Pushes and pops wait for such a pop with back-off;
 * any back-off counts as one contention event.
 *
 * => called at IPL_VM.
 */

/*
 * pool_pcg_get: pop a group from a list into *pcgp (NULL if empty).
 *
 * => returns 1 if contention was encountered, else 0.
 */
static int
pool_pcg_get(pcg_t **head, pcg_t **pcgp)
{
	int count = SPINLOCK_BACKOFF_MIN;
	pcg_t *o, *n;

	for (o = __atomic_load_n(head, __ATOMIC_RELAXED);;) {
		if (__predict_false(o == PCG_DUMMY)) {
			/* Wait for concurrent get to complete. */
			pool_backoff(&count);
			o = __atomic_load_n(head, __ATOMIC_RELAXED);
			continue;
		}
		if (__predict_false(o == NULL))
			break;
		/* Lock out concurrent get/put. */
		if (__atomic_compare_exchange_n(head, &o, PCG_DUMMY, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
			/* Fetch pointer to next item and then unlock. */
			n = o->pcg_next;
			__atomic_store_n(head, n, __ATOMIC_RELEASE);
			break;
		}
	}
	*pcgp = o;
	return count != SPINLOCK_BACKOFF_MIN;
}

/*
 * pool_pcg_trunc: take a whole list.
 */
static pcg_t *
pool_pcg_trunc(pcg_t **head)
{
	struct cpu_info *ci = curcpu();
	int count = SPINLOCK_BACKOFF_MIN, s;
	pcg_t *o;

	s = splraise_inline(ci, IPL_VM);
	for (o = __atomic_load_n(head, __ATOMIC_RELAXED);;) {
		if (__predict_false(o == PCG_DUMMY)) {
			pool_backoff(&count);
			o = __atomic_load_n(head, __ATOMIC_RELAXED);
			continue;
		}
		if (__atomic_compare_exchange_n(head, &o, NULL, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
			splx_inline(ci, s);
			return o;
		}
	}
}

/*
 * pool_pcg_put: push a group on a list.
 *
 * => returns 1 if contention was encountered, else 0.
 */
static int
pool_pcg_put(pcg_t **head, pcg_t *pcg)
{
	int count = SPINLOCK_BACKOFF_MIN;
	pcg_t *o;

	for (o = __atomic_load_n(head, __ATOMIC_RELAXED);;) {
		if (__predict_false(o == PCG_DUMMY)) {
			pool_backoff(&count);
			o = __atomic_load_n(head, __ATOMIC_RELAXED);
			continue;
		}
		pcg->pcg_next = o;
		if (__atomic_compare_exchange_n(head, &o, pcg, false,
		    __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
			return count != SPINLOCK_BACKOFF_MIN;
	}
}

/* -------------------------------------------------------------------------- */

/*
 * pool_cache_get_slow: both groups are empty.  Take a full group from the
 * cache layer, or else an object from the pool layer and construct it.
 *
 * => called at IPL_VM with the slot owned; returns true (still at IPL_VM)
 *    if the caller should retry with a new group, false (IPL back at s)
 *    with the object, or NULL, in *objectp.
 */
static bool __noinline
pool_cache_get_slow(pool_cache_t pc, pool_cache_cpu_t *cc,
    struct cpu_info *ci, int s, void **objectp, paddr_t *pap, int flags)
{
	pcg_t *pcg, *cur;
	void *object;

	KASSERT(cc->cc_current->pcg_avail == 0);
	KASSERT(cc->cc_previous->pcg_avail == 0);

	CC_ADD(cc, cc_misses, 1);

	/*
	 * If there's a full group, release our empty group back to the
	 * cache.  Install the full group as cc_current and return.
	 */
	CC_ADD(cc, cc_contended,
	    (uint64_t)pool_pcg_get(&pc->pc_fullgroups, &pcg));
	if (__predict_true(pcg != NULL)) {
		KASSERT(pcg->pcg_avail == pcg->pcg_size);
		if (__predict_true((cur = cc->cc_current) != PCG_DUMMY)) {
			KASSERT(cur->pcg_avail == 0);
			(void)pool_pcg_put(cc->cc_pcgcache, cur);
		}
		CC_ADD_ATOMIC(cc, cc_nfull, (uint32_t)-1);
		cc->cc_current = pcg;
		return true;
	}

	/* Nothing cached anywhere: construct a new object from the pool. */
	CC_ADD(cc, cc_pcmisses, 1);
	splx_inline(ci, s);

	object = pool_get(&pc->pc_pool, flags);
	*objectp = object;
	if (__predict_false(object == NULL)) {
		KASSERT((flags & (PR_NOWAIT|PR_LIMITFAIL)) != 0);
		return false;
	}

	if (__predict_false((*pc->pc_ctor)(pc->pc_arg, object, flags) != 0)) {
		pool_put(&pc->pc_pool, object);
		*objectp = NULL;
		return false;
	}

	KASSERT((((vaddr_t)object) & (pc->pc_pool.pr_align - 1)) == 0);
	if (pap != NULL)
		*pap = pool_vtophys(object);
	return false;
}

/*
 * pool_cache_nostate: a get or put on a slot without state: an observer
 * (nbm_machine_observe) has no per-CPU cache.
 */
static __dead void __noinline
pool_cache_nostate(pool_cache_t pc, struct cpu_info *ci, const char *fn)
{

	panic("%s: [%s] called by an observer of the machine (cpu index %u): "
	    "the per-CPU caches need a CPU", fn, pc->pc_pool.pr_wchan,
	    ci->ci_index);
}

/*
 * pool_cache_get_general: everything pool_cache_get_paddr's fast path
 * leaves out: flag bits in the slot, swapping groups, the slow path and
 * the debug checks.
 *
 * => called at IPL_VM; returns at IPL s.
 */
void * __noinline
pool_cache_get_general(pool_cache_t pc, struct cpu_info *ci, int s,
    int flags, paddr_t *pap)
{
	pool_cache_cpu_t *cc;
	pcg_t *pcg;
	uintptr_t w;
	void *object;

	for (;;) {
		w = pool_cache_settle(pc, ci, &s);
		if (__predict_false((cc = PC_CPU_PTR(w)) == NULL))
			pool_cache_nostate(pc, ci, "pool_cache_get_paddr");

		/* Try and allocate an object from the current group. */
		pcg = cc->cc_current;
		if (__predict_true(pcg->pcg_avail > 0)) {
			object = pcg_pop(pcg, pap);
			if (w & PC_CPU_CHECK) {
				pcg->pcg_objects[pcg->pcg_avail].pcgo_va = NULL;
				KASSERT(pcg->pcg_avail < pcg->pcg_size);
				KASSERT(object != NULL);
			}
			CC_ADD(cc, cc_hits, 1);
			splx_inline(ci, s);
			if (pc->pc_pool.pr_redzone)
				pool_redzone_fill(&pc->pc_pool, object);
			return object;
		}

		/* If the previous group isn't empty, swap and retry. */
		pcg = cc->cc_previous;
		if (__predict_true(pcg->pcg_avail > 0)) {
			cc->cc_previous = cc->cc_current;
			cc->cc_current = pcg;
			continue;
		}

		/*
		 * Neither group has one: the slow path either installs a full
		 * group (retry) or ends the call.  pool_cache_get can return
		 * NULL even for PR_WAITOK, when the constructor fails.
		 */
		if (!pool_cache_get_slow(pc, cc, ci, s, &object, pap, flags))
			return object;
	}
}

/*
 * pool_cache_get_checked: pool_cache_get_paddr for the calls its fast path
 * leaves out: interrupt context, a sleeping get at raised IPL, bad flags.
 *
 * => called at the caller's IPL, like pool_cache_get_paddr.
 */
void * __noinline
pool_cache_get_checked(pool_cache_t pc, int flags, paddr_t *pap)
{
	struct cpu_info *ci = curcpu();

	KASSERT(!(flags & PR_NOWAIT) != !(flags & PR_WAITOK));
	if (__predict_false(ci->ci_idepth >= 0 || ci->ci_sdepth > 0 ||
	    ((flags & PR_WAITOK) && ci->ci_ilevel != IPL_NONE))) {
		if ((ci->ci_idepth >= 0 || cpu_softintr_p()) &&
		    pc->pc_pool.pr_ipl == IPL_NONE) {
			panic("%s: [%s] is IPL_NONE, but called from "
			    "interrupt context", "pool_cache_get_paddr",
			    pc->pc_pool.pr_wchan);
		}
		if (flags & PR_WAITOK)
			assert_sleepable();
	}
	return pool_cache_get_general(pc, ci, splraise_inline(ci, IPL_VM),
	    flags, pap);
}

/*
 * pool_cache_intr: the end of the fast paths' splx to level s when some
 * interrupt is pending: run those that s lets through (splx_inline).
 */
void __noinline
pool_cache_intr(struct cpu_info *ci, int s)
{

	if (__atomic_load_n(&ci->ci_ipending, __ATOMIC_RELAXED) >> (s + 1))
		nbm_intr_dispatch(ci, s);
}

/* pool_cache_intr for pool_cache_get_pop, which returns the object. */
void * __noinline
pool_cache_get_intr(struct cpu_info *ci, int s, void *object)
{

	pool_cache_intr(ci, s);
	return object;
}

/*
 * pool_cache_get_paddr: get an object from a pool cache, and its physical
 * address in *pap if pap is not NULL.
 *
 * => flags as for pool_get; PR_ZERO only affects objects that come from
 *    the pool layer.  Returns NULL for PR_NOWAIT, PR_LIMITFAIL, or when
 *    the constructor fails.
 */
void *
pool_cache_get_paddr(pool_cache_t pc, int flags, paddr_t *pap)
{

	return pool_cache_get_cpu(pc, curcpu(), flags, pap);
}

/*
 * pool_cache_put_slow: both groups are full.  Install an empty group (from
 * the shared list, or a new one), moving the full current group to the
 * cache layer; failing that, destruct the object into the pool.
 *
 * => called at IPL_VM with the slot owned; returns true (still at IPL_VM)
 *    if the caller should retry, false (IPL back at s) once the object has
 *    been destructed.
 */
static bool __noinline
pool_cache_put_slow(pool_cache_t pc, pool_cache_cpu_t *cc,
    struct cpu_info *ci, int s, void *object)
{
	struct nbm_pool_state *ps = ci->ci_machine->m_pool;
	pcg_t *pcg, *cur;

	KASSERT(cc->cc_current->pcg_avail == cc->cc_current->pcg_size);
	KASSERT(cc->cc_previous->pcg_avail == cc->cc_previous->pcg_size);

	CC_ADD(cc, cc_misses, 1);

	/* An empty group from the shared list, or a new one. */
	(void)pool_pcg_get(cc->cc_pcgcache, &pcg);
	if (__predict_false(pcg == NULL)) {
		if (__predict_true(!ps->ps_cache_disable))
			pcg = pool_get(pc->pc_pcgpool, PR_NOWAIT);
		if (__predict_true(pcg != NULL)) {
			pcg->pcg_avail = 0;
			pcg->pcg_size = (u_int)pc->pc_pcgsize;
		}
	}

	/*
	 * With an empty group: fill an empty previous slot, or push the full
	 * current group to the cache layer and install the empty one.
	 */
	if (pcg != NULL) {
		KASSERT(pcg->pcg_avail == 0);
		if (__predict_false(cc->cc_previous == PCG_DUMMY)) {
			cc->cc_previous = pcg;
		} else {
			cur = cc->cc_current;
			if (__predict_true(cur != PCG_DUMMY)) {
				KASSERT(cur->pcg_avail == cur->pcg_size);
				CC_ADD(cc, cc_contended, (uint64_t)
				    pool_pcg_put(&pc->pc_fullgroups, cur));
				CC_ADD_ATOMIC(cc, cc_nfull, 1);
			}
			cc->cc_current = pcg;
		}
		return true;
	}

	/* No group to be had: destroy the object here and now. */
	CC_ADD(cc, cc_pcmisses, 1);
	splx_inline(ci, s);
	pool_cache_destruct_object(pc, object);
	return false;
}

/*
 * pool_cache_put_general: the put counterpart of pool_cache_get_general.
 *
 * => called at IPL_VM; returns at IPL s.
 */
void __noinline
pool_cache_put_general(pool_cache_t pc, struct cpu_info *ci, int s,
    void *object, paddr_t pa)
{
	pool_cache_cpu_t *cc;
	pcg_t *pcg;

	for (;;) {
		cc = PC_CPU_PTR(pool_cache_settle(pc, ci, &s));
		if (__predict_false(cc == NULL))
			pool_cache_nostate(pc, ci, "pool_cache_put_paddr");

		/* If the current group isn't full, release it there. */
		pcg = cc->cc_current;
		if (__predict_true(pcg->pcg_avail < pcg->pcg_size)) {
			pcg_push(pcg, object, pa);
			CC_ADD(cc, cc_hits, 1);
			splx_inline(ci, s);
			return;
		}

		/* If the previous group isn't full, swap and retry. */
		pcg = cc->cc_previous;
		if (__predict_true(pcg->pcg_avail < pcg->pcg_size)) {
			cc->cc_previous = cc->cc_current;
			cc->cc_current = pcg;
			continue;
		}

		if (!pool_cache_put_slow(pc, cc, ci, s, object))
			return;
	}
}

/*
 * pool_cache_put_checked: pool_cache_put_paddr with every check, for the
 * calls its fast path leaves out: a NULL object, a pool with a redzone,
 * a thread without a CPU.
 *
 * => called at the caller's IPL, like pool_cache_put_paddr.
 */
void __noinline
pool_cache_put_checked(pool_cache_t pc, void *object, paddr_t pa)
{
	struct pool *pp = &pc->pc_pool;
	struct cpu_info *ci;

	KASSERT(object != NULL);
	if (__predict_false(pp->pr_redzone))
		pool_redzone_check(pp, object);
	if (pp->pr_roflags & PR_PHINPAGE)
		pc_phinpage_check(pc, object);
	ci = curcpu();
	pool_cache_put_general(pc, ci, splraise_inline(ci, IPL_VM), object,
	    pa);
}

/*
 * pool_cache_put_paddr: put an object back into the cache, with its
 * physical address (or POOL_PADDR_INVALID).
 *
 * => never sleeps.  With a redzone the object is checked first; for pools
 *    with on-page headers a foreign pointer panics here (spec 2.5).
 */
void
pool_cache_put_paddr(pool_cache_t pc, void *object, paddr_t pa)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	if (__predict_false(ci == NULL)) {
		pool_cache_put_checked(pc, object, pa);
		return;
	}
	pool_cache_put_cpu(pc, ci, object, pa);
}
