/*
 * workload.c: the workload engine -- threads and interrupt handlers that
 * drive the allocator stack on a machine's CPUs, as a struct nbm_workload
 * describes (nbmem/workload.h).
 *
 * A run.  nbm_workload_start() copies the description, creates its sources
 * (pools and pool caches in the machine's own memory, as a driver would;
 * vmem arenas; extents), a soft interrupt if a handler frees through one,
 * the interrupt sources, and wl_threads scheduled threads on each CPU of
 * the workload.  Each thread draws operations by weight from those of its
 * slot, holds what it allocates in a heap ordered by expiry time, and at
 * every operation first frees what others sent to its CPU's inbox, then
 * what of its own has expired -- on its CPU, or with the source's
 * cross-CPU share on another CPU, by way of that CPU's inbox.  Handlers do
 * the same with preallocated records on each CPU (workload_impl.h).
 *
 * Stopping.  The first thread to see the stop condition (or a call of
 * nbm_workload_stop) ends the interrupt side: it sets w_istop, removes the
 * interrupt sources, and every thread then waits until no handler runs on
 * any CPU (a handler announces itself in wc_hactive before it looks at
 * w_istop, and the stopper sets w_istop before it looks at wc_hactive: with
 * sequentially consistent atomics one of them sees the other).  Then each
 * thread frees what it holds; the first thread of each CPU frees what the
 * handlers of that CPU hold and what waits in its soft interrupt queue and
 * inbox; all threads meet at a barrier (after which nothing is sent to an
 * inbox any more) and the first thread of each CPU empties its inbox
 * once more.  The last thread out frees what is left on CPUs without
 * threads, destroys the arenas and extents of the run, records the end
 * event and marks the run done.  Pools and caches stay.
 *
 * Run memory.  Handlers and soft interrupts touch the run's memory, and a
 * handler may be on its way in (past the interrupt layer's check that its
 * source is removed, not yet in wc_hactive) on another CPU's host thread.
 * So the run is freed only when no host thread can run the machine's CPUs:
 * after nbm_workload_finish() itself ran the machine to its end, or found
 * it idle.  Otherwise it is kept on the machine's list of finished runs and
 * freed at shutdown.
 *
 * Deterministic mode.  Every random choice comes from a PRNG of the thread
 * or handler (nbm_rand64 seeded from the machine's seed, wl_seed and the
 * thread or handler number); each operation charges wl_op_ns of virtual
 * time plus what constructors and destructors accumulated, and the thread
 * yields every wl_batch operations.  Nothing depends on host addresses or
 * timing.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "workload_impl.h"

#include <nbmem/bus.h>
#include <nbmem/inspect.h>
#include <nbmem/extent.h>
#include <nbmem/lwp.h>

#define WL_OPCLAIM		32	/* operations a thread claims at once */
#define WL_FINISH_SLICE		10000000ULL	/* ns of machine time */
#define WL_POOLSIZE_MAX		65536
#define WL_LIFE_MAX		(1000ULL * 1000000000ULL)	/* 1000 s */
#define WL_WORK_MAX		1000000ULL	/* ctor/dtor: 1 ms */
#define WL_MAXLIVE_MAX		(1U << 20)

/*
 * Per-machine state: the runs not yet finished, and finished runs whose
 * memory waits for the machine's shutdown (see "Run memory" above).
 */
struct nbm_workload_state {
	pthread_mutex_t	 ws_lock;	/* the lists */
	LIST_HEAD(, nbm_wlrun) ws_runs;	/* started, not finished */
	LIST_HEAD(, nbm_wlrun) ws_grave; /* finished, to be freed */
	u_int		 ws_nextid;	/* run numbers */
};

/*
 * Constructor and destructor work.  A cache created by a workload with a
 * constructor or destructor cost gets these, with the costs packed into
 * the cache's argument (ctor ns << 32 | dtor ns), so that the cache can
 * outlive the run.  In deterministic mode the work is virtual time, added
 * to the calling host thread's pending charge and charged by the next
 * operation of a workload thread (never inside the allocator, so that an
 * interrupt cannot arrive in the middle of an allocation); in parallel mode
 * it is spent spinning.
 */
static __thread uint64_t wl_pending_ns;

static void
wl_work(uint64_t ns)
{
	struct cpu_info *ci = curcpu();
	uint64_t until;

	if (ns == 0)
		return;
	if (ci->ci_machine->m_cfg.mode == NBM_MODE_DETERMINISTIC) {
		wl_pending_ns += ns;
		return;
	}
	until = nbm_host_monotonic_ns() + ns;
	while (nbm_host_monotonic_ns() < until)
		__builtin_ia32_pause();
}

static int
wl_ctor(void *arg, void *obj, int flags)
{

	(void)obj;
	(void)flags;
	wl_work((uint64_t)(uintptr_t)arg >> 32);
	return 0;
}

static void
wl_dtor(void *arg, void *obj)
{

	(void)obj;
	wl_work((uint64_t)(uintptr_t)arg & 0xffffffffULL);
}

static void *
wl_ctor_arg(const struct nbm_wl_source *sd)
{

	return (void *)(uintptr_t)((sd->src_ctor_ns << 32) | sd->src_dtor_ns);
}

/*
 * wl_charge_pending: charge an operation's virtual time and whatever
 * constructors and destructors did meanwhile.
 */
void
wl_charge_pending(struct nbm_wlrun *w)
{
	uint64_t ns = w->w_wl.wl_op_ns + wl_pending_ns;

	wl_pending_ns = 0;
	if (ns != 0)
		nbm_sched_charge(ns);
}

/* wl_pending_take: what constructors and destructors left to charge. */
uint64_t
wl_pending_take(void)
{
	uint64_t ns = wl_pending_ns;

	wl_pending_ns = 0;
	return ns;
}

uint64_t
wl_uptime(struct nbm_wlrun *w)
{

	return nbm_machine_uptime_ns(w->w_m);
}

/*
 * Lock-free stacks (see workload_impl.h).
 */
static inline void
wl_push(struct wl_obj *_Atomic *head, struct wl_obj *o)
{
	struct wl_obj *old = atomic_load_explicit(head, memory_order_relaxed);

	do {
		o->o_next = old;
	} while (!atomic_compare_exchange_weak_explicit(head, &old, o,
	    memory_order_release, memory_order_relaxed));
}

static inline struct wl_obj *
wl_popall(struct wl_obj *_Atomic *head)
{

	if (atomic_load_explicit(head, memory_order_relaxed) == NULL)
		return NULL;
	return atomic_exchange_explicit(head, NULL, memory_order_acquire);
}

/*
 * Slabs.
 */
static int
wl_slab_init(struct wl_slab *sl, u_int n)
{
	u_int i;

	if ((sl->sl_objs = calloc(n, sizeof(*sl->sl_objs))) == NULL)
		return ENOMEM;
	sl->sl_n = n;
	sl->sl_free = NULL;
	atomic_init(&sl->sl_back, NULL);
	for (i = n; i-- > 0;) {
		sl->sl_objs[i].o_slab = sl;
		sl->sl_objs[i].o_next = sl->sl_free;
		sl->sl_free = &sl->sl_objs[i];
	}
	return 0;
}

static struct wl_obj *
wl_slab_get(struct wl_slab *sl)
{
	struct wl_obj *o;

	if (sl->sl_free == NULL)
		sl->sl_free = wl_popall(&sl->sl_back);
	if ((o = sl->sl_free) != NULL)
		sl->sl_free = o->o_next;
	return o;
}

/*
 * wl_slab_put: give a record back to its slab.  mine is the caller's own
 * slab (NULL for a context that owns none).
 */
void
wl_slab_put(struct wl_slab *mine, struct wl_obj *o)
{

	if (o->o_slab == mine) {
		o->o_next = mine->sl_free;
		mine->sl_free = o;
	} else
		wl_push(&o->o_slab->sl_back, o);
}

/*
 * Heaps of held objects, by (o_expire, o_order).
 */
static int
wl_heap_init(struct wl_heap *h, u_int cap)
{

	if ((h->h_a = calloc(cap, sizeof(*h->h_a))) == NULL)
		return ENOMEM;
	h->h_n = 0;
	h->h_cap = cap;
	return 0;
}

static inline bool
wl_heap_less(const struct wl_obj *a, const struct wl_obj *b)
{

	if (a->o_expire != b->o_expire)
		return a->o_expire < b->o_expire;
	return a->o_order < b->o_order;
}

static inline void
wl_heap_set(struct wl_heap *h, u_int i, struct wl_obj *o)
{

	h->h_a[i] = o;
	o->o_heapidx = i;
}

static void
wl_heap_up(struct wl_heap *h, u_int i)
{
	struct wl_obj *o = h->h_a[i];
	u_int p;

	while (i > 0) {
		p = (i - 1) / 2;
		if (!wl_heap_less(o, h->h_a[p]))
			break;
		wl_heap_set(h, i, h->h_a[p]);
		i = p;
	}
	wl_heap_set(h, i, o);
}

static void
wl_heap_down(struct wl_heap *h, u_int i)
{
	struct wl_obj *o = h->h_a[i];
	u_int c;

	for (;;) {
		c = 2 * i + 1;
		if (c >= h->h_n)
			break;
		if (c + 1 < h->h_n && wl_heap_less(h->h_a[c + 1], h->h_a[c]))
			c++;
		if (!wl_heap_less(h->h_a[c], o))
			break;
		wl_heap_set(h, i, h->h_a[c]);
		i = c;
	}
	wl_heap_set(h, i, o);
}

static void
wl_heap_push(struct wl_heap *h, struct wl_obj *o)
{

	KASSERT(h->h_n < h->h_cap);
	wl_heap_set(h, h->h_n++, o);
	wl_heap_up(h, h->h_n - 1);
}

static struct wl_obj *
wl_heap_remove(struct wl_heap *h, u_int i)
{
	struct wl_obj *o = h->h_a[i], *last;

	last = h->h_a[--h->h_n];
	if (i != h->h_n) {
		wl_heap_set(h, i, last);
		if (i > 0 && wl_heap_less(last, h->h_a[(i - 1) / 2]))
			wl_heap_up(h, i);
		else
			wl_heap_down(h, i);
	}
	return o;
}

static inline struct wl_obj *
wl_heap_expired(struct wl_heap *h, uint64_t now)
{

	if (h->h_n == 0 || h->h_a[0]->o_expire > now)
		return NULL;
	return wl_heap_remove(h, 0);
}

/*
 * Random choices.
 */
static inline uint64_t
wl_rand(uint64_t *rng)
{

	return nbm_rand64(rng);
}

/* Uniform in [0, n), n > 0; multiply-shift, no modulo bias worth noting. */
static inline uint64_t
wl_below(uint64_t *rng, uint64_t n)
{

	return (uint64_t)(((unsigned __int128)wl_rand(rng) * n) >> 64);
}

static size_t
wl_draw_size(const struct wl_src *s, uint64_t *rng)
{
	const struct nbm_wl_sizes *sz = &s->s_desc->src_sizes;
	uint64_t r;
	size_t lo, hi;
	u_int i;

	switch (sz->sz_kind) {
	case NBM_WL_SIZE_UNIFORM:
		return sz->sz_min + wl_below(rng, sz->sz_max - sz->sz_min + 1);
	case NBM_WL_SIZE_LIST:
	case NBM_WL_SIZE_HISTOGRAM:
		r = wl_below(rng, s->s_cum[sz->sz_n - 1]);
		for (i = 0; r >= s->s_cum[i]; i++)
			continue;
		if (sz->sz_kind == NBM_WL_SIZE_LIST)
			return sz->sz_list[i].se_size;
		lo = i == 0 ? sz->sz_min : sz->sz_list[i - 1].se_size + 1;
		hi = sz->sz_list[i].se_size;
		return lo + wl_below(rng, hi - lo + 1);
	default:
		return sz->sz_min;
	}
}

/* wl_draw_expiry: when an object allocated now expires. */
static uint64_t
wl_draw_expiry(const struct nbm_wl_life *lt, uint64_t now, uint64_t *rng)
{
	double u;
	uint64_t d;

	switch (lt->lt_kind) {
	case NBM_WL_LIFE_END:
		return WL_NEVER;
	case NBM_WL_LIFE_EXP:
		u = ((double)(wl_rand(rng) >> 11) + 1.0) / 9007199254740992.0;
		d = (uint64_t)(-log(u) * (double)lt->lt_ns);
		break;
	default:
		d = lt->lt_ns;
		break;
	}
	return now + d;
}

/* wl_other_cpu: a workload CPU other than c, or c if there is none. */
static u_int
wl_other_cpu(struct nbm_wlrun *w, u_int c, uint64_t *rng)
{
	const struct wl_cpu *wc = &w->w_cpu[c];
	u_int i;

	if (!wc->wc_in)
		return w->w_cpulist[wl_below(rng, w->w_ncpus)];
	if (w->w_ncpus <= 1)
		return c;
	i = (u_int)wl_below(rng, w->w_ncpus - 1);
	if (i >= wc->wc_pos)
		i++;
	return w->w_cpulist[i];
}

/*
 * Source kinds: the name traces give them, what their src_name names
 * (NULL: nothing) and how long it may be, and whether they draw request
 * sizes from src_sizes.
 */
static const struct wl_kindinfo {
	const char	*ki_name;	/* as traces spell it */
	const char	*ki_noun;	/* what src_name names */
	size_t		 ki_namemax;	/* its length, with the NUL */
	bool		 ki_sizes;	/* draws sizes */
} wl_kinds[] = {
	[NBM_WLS_KMEM] = { "kmem", NULL, 0, true },
	[NBM_WLS_POOL] = { "pool", "a pool", NBM_WL_POOLNAME_MAX, false },
	[NBM_WLS_POOL_CACHE] = { "pool_cache", "a pool", NBM_WL_POOLNAME_MAX,
	    false },
	[NBM_WLS_VMEM] = { "vmem", "an arena", NBM_WL_NAME_MAX, true },
	[NBM_WLS_EXTENT] = { "extent", "an extent", NBM_WL_NAME_MAX, true },
	[NBM_WLS_DEVICE] = { "device", "a device", NBM_WL_NAME_MAX, false },
};

const char *
wl_kind_name(int kind)
{

	if (kind < 0 || (size_t)kind >= __arraycount(wl_kinds))
		return "?";
	return wl_kinds[kind].ki_name;
}

int
wl_kind_lookup(const char *name)
{
	size_t i;

	for (i = 0; i < __arraycount(wl_kinds); i++)
		if (strcmp(wl_kinds[i].ki_name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Allocating and freeing one object.
 */
static int
wl_pr_flags(int flags)
{
	int prf;

	prf = (flags & NBM_WLF_NOSLEEP) ? PR_NOWAIT : PR_WAITOK;
	if (flags & NBM_WLF_LIMITFAIL)
		prf |= PR_LIMITFAIL;
	if (flags & NBM_WLF_ZERO)
		prf |= PR_ZERO;
	return prf;
}

static bus_space_tag_t
wl_win_tag(const struct nbm_wl_window *win)
{

	return win->win_space == NBM_WL_SPACE_IO ? x86_bus_space_io :
	    x86_bus_space_mem;
}

static void
wl_device_detach(const struct nbm_wl_source *sd, struct wl_obj *o, u_int n)
{
	const struct nbm_wl_window *win;
	u_int i;

	for (i = n; i-- > 0;) {
		win = &sd->src_win[i];
		if (win->win_alloc)
			bus_space_free(wl_win_tag(win), o->o_h[i],
			    win->win_size);
		else
			bus_space_unmap(wl_win_tag(win), o->o_h[i],
			    win->win_size);
	}
}

static int
wl_device_attach(const struct nbm_wl_source *sd, struct wl_obj *o)
{
	const struct nbm_wl_window *win;
	bus_space_handle_t h;
	bus_addr_t a;
	u_int i;
	int error;

	for (i = 0; i < sd->src_nwin; i++) {
		win = &sd->src_win[i];
		if (win->win_alloc)
			error = bus_space_alloc(wl_win_tag(win), win->win_base,
			    win->win_end, win->win_size,
			    win->win_align != 0 ? win->win_align : 1, 0, 0,
			    &a, &h);
		else
			error = bus_space_map(wl_win_tag(win), win->win_base +
			    o->o_addr * win->win_stride, win->win_size, 0, &h);
		if (error != 0) {
			wl_device_detach(sd, o, i);
			return error;
		}
		o->o_h[i] = h;
	}
	return 0;
}

/*
 * wl_alloc_obj: allocate o->o_size bytes (or device instance o->o_addr)
 * from source s in context ctx.  Records the attempt in the trace.
 * => returns 0, or an errno with nothing allocated.
 */
int
wl_alloc_obj(struct nbm_wlrun *w, struct wl_src *s, struct wl_obj *o,
    int ctx, int flags)
{
	const struct nbm_wl_source *sd = s->s_desc;
	struct cpu_info *ci = curcpu();
	vmem_addr_t va;
	u_long start;
	void *p = NULL;
	int error = 0;

	if (ctx != WL_CTX_THREAD)
		flags = (flags | NBM_WLF_NOSLEEP) & ~NBM_WLF_LIMITFAIL;
	switch (s->s_kind) {
	case NBM_WLS_KMEM:
		if (ctx != WL_CTX_THREAD)
			p = (flags & NBM_WLF_ZERO) ?
			    kmem_intr_zalloc(o->o_size, KM_NOSLEEP) :
			    kmem_intr_alloc(o->o_size, KM_NOSLEEP);
		else {
			km_flag_t kf = (flags & NBM_WLF_NOSLEEP) ? KM_NOSLEEP :
			    KM_SLEEP;

			p = (flags & NBM_WLF_ZERO) ? kmem_zalloc(o->o_size, kf) :
			    kmem_alloc(o->o_size, kf);
		}
		break;
	case NBM_WLS_POOL:
		p = pool_get(s->s_pool, wl_pr_flags(flags));
		break;
	case NBM_WLS_POOL_CACHE:
		p = pool_cache_get(s->s_cache, wl_pr_flags(flags));
		break;
	case NBM_WLS_VMEM:
		error = vmem_alloc(s->s_vmem, o->o_size, sd->src_fit |
		    ((flags & NBM_WLF_NOSLEEP) ? VM_NOSLEEP : VM_SLEEP), &va);
		o->o_addr = va;
		break;
	case NBM_WLS_EXTENT:
		error = extent_alloc(s->s_extent, o->o_size,
		    sd->src_align != 0 ? sd->src_align : EX_NOALIGN,
		    EX_NOBOUNDARY, (flags & NBM_WLF_NOSLEEP) ? EX_NOWAIT :
		    EX_WAITOK, &start);
		o->o_addr = start;
		break;
	case NBM_WLS_DEVICE:
		error = wl_device_attach(sd, o);
		break;
	}
	if (s->s_kind <= NBM_WLS_POOL_CACHE) {
		if (p == NULL)
			error = ENOMEM;
		else {
			/* Touch it: a real kernel would. */
			*(volatile uint8_t *)p = (uint8_t)o->o_order;
			o->o_addr = (uintptr_t)p;
		}
	}
	o->o_id = 0;
	if (w->w_trace != NULL)
		o->o_id = wl_trace_record(w, ci, ctx,
		    error == 0 ? WL_TOP_ALLOC : WL_TOP_FAIL, o, flags);
	return error;
}

/*
 * wl_free_obj: free object o of source s in context ctx; the record stays
 * with the caller.
 */
void
wl_free_obj(struct nbm_wlrun *w, struct wl_src *s, struct wl_obj *o,
    int ctx)
{
	void *p = (void *)o->o_addr;

	if (w->w_trace != NULL)
		(void)wl_trace_record(w, curcpu(), ctx, WL_TOP_FREE, o, 0);
	switch (s->s_kind) {
	case NBM_WLS_KMEM:
		if (ctx == WL_CTX_THREAD)
			kmem_free(p, o->o_size);
		else
			kmem_intr_free(p, o->o_size);
		break;
	case NBM_WLS_POOL:
		pool_put(s->s_pool, p);
		break;
	case NBM_WLS_POOL_CACHE:
		pool_cache_put(s->s_cache, p);
		break;
	case NBM_WLS_VMEM:
		vmem_free(s->s_vmem, o->o_addr, o->o_size);
		break;
	case NBM_WLS_EXTENT:
		(void)extent_free(s->s_extent, o->o_addr, o->o_size,
		    EX_NOWAIT);
		break;
	case NBM_WLS_DEVICE:
		wl_device_detach(s->s_desc, o, s->s_desc->src_nwin);
		break;
	}
}

/* Draw what an allocation from s needs: a size or a device instance. */
static void
wl_draw_request(struct wl_src *s, struct wl_obj *o, uint64_t *rng)
{
	const struct nbm_wl_source *sd = s->s_desc;

	switch (s->s_kind) {
	case NBM_WLS_POOL:
	case NBM_WLS_POOL_CACHE:
		o->o_size = s->s_pool->pr_reqsize;
		break;
	case NBM_WLS_DEVICE:
		o->o_size = 0;
		o->o_addr = sd->src_ninstances > 1 ?
		    wl_below(rng, sd->src_ninstances) : 0;
		break;
	default:
		o->o_size = wl_draw_size(s, rng);
		break;
	}
}

/*
 * Validation.
 */
#define BAD(...) do {							\
	if (errlen > 0)							\
		snprintf(errbuf, errlen, __VA_ARGS__);			\
	return EINVAL;							\
} while (0)

static bool
wl_name_ok(const char *name, size_t max)
{
	size_t n = strnlen(name, max);
	size_t i;

	if (n == 0 || n == max)
		return false;
	for (i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] == '"' || name[i] == '\\' ||
		    name[i] >= 0x7f)
			return false;
	return true;
}

static int
wl_validate_sizes(const struct nbm_wl_sizes *sz, const char *what,
    uint64_t max, char *errbuf, size_t errlen)
{
	uint64_t total = 0;
	size_t prev;
	u_int i;

	switch (sz->sz_kind) {
	case NBM_WL_SIZE_FIXED:
	case NBM_WL_SIZE_UNIFORM:
		if (sz->sz_min < 1 || sz->sz_min > max)
			BAD("%s.min %zu: must be between 1 and %ju", what,
			    sz->sz_min, (uintmax_t)max);
		if (sz->sz_kind == NBM_WL_SIZE_UNIFORM &&
		    (sz->sz_max < sz->sz_min || sz->sz_max > max))
			BAD("%s.max %zu: must be between min %zu and %ju",
			    what, sz->sz_max, sz->sz_min, (uintmax_t)max);
		return 0;
	case NBM_WL_SIZE_LIST:
	case NBM_WL_SIZE_HISTOGRAM:
		break;
	default:
		BAD("%s.kind %d: must be 0 (fixed), 1 (uniform), 2 (list) or "
		    "3 (histogram)", what, sz->sz_kind);
	}
	if (sz->sz_n < 1 || sz->sz_n > NBM_WL_MAXSIZES)
		BAD("%s.n %u: must be between 1 and %d", what, sz->sz_n,
		    NBM_WL_MAXSIZES);
	if (sz->sz_kind == NBM_WL_SIZE_HISTOGRAM &&
	    (sz->sz_min < 1 || sz->sz_min > max))
		BAD("%s.min %zu: must be between 1 and %ju (the lowest size "
		    "of the first bucket)", what, sz->sz_min, (uintmax_t)max);
	prev = sz->sz_kind == NBM_WL_SIZE_HISTOGRAM ? sz->sz_min - 1 : 0;
	for (i = 0; i < sz->sz_n; i++) {
		const struct nbm_wl_sizeent *se = &sz->sz_list[i];

		if (se->se_size < 1 || se->se_size > max)
			BAD("%s.list[%u].size %zu: must be between 1 and %ju",
			    what, i, se->se_size, (uintmax_t)max);
		if (sz->sz_kind == NBM_WL_SIZE_HISTOGRAM &&
		    se->se_size <= prev)
			BAD("%s.list[%u].size %zu: bucket bounds must grow "
			    "(previous bound %zu)", what, i, se->se_size, prev);
		prev = se->se_size;
		if (se->se_weight > 1000000)
			BAD("%s.list[%u].weight %u: must be at most 1000000",
			    what, i, se->se_weight);
		total += se->se_weight;
	}
	if (total == 0)
		BAD("%s: the weights add up to 0", what);
	return 0;
}

static int
wl_validate_life(const struct nbm_wl_life *lt, const char *what,
    char *errbuf, size_t errlen)
{

	if (lt->lt_kind < NBM_WL_LIFE_FIXED || lt->lt_kind > NBM_WL_LIFE_END)
		BAD("%s.kind %d: must be 0 (fixed), 1 (exponential) or "
		    "2 (until the end)", what, lt->lt_kind);
	if (lt->lt_kind != NBM_WL_LIFE_END && lt->lt_ns > WL_LIFE_MAX)
		BAD("%s.ns %ju: must be at most %ju (1000 s)", what,
		    (uintmax_t)lt->lt_ns, (uintmax_t)WL_LIFE_MAX);
	return 0;
}

static bool
wl_ipl_ok(int ipl)
{

	return ipl == IPL_NONE || (ipl >= IPL_SOFTCLOCK && ipl <= IPL_HIGH);
}

static int
wl_validate_window(const struct nbm_wl_window *win, const char *what,
    u_int ninst, char *errbuf, size_t errlen)
{
	uint64_t lim = win->win_space == NBM_WL_SPACE_IO ? 0x10000 :
	    UINT64_MAX;
	uint64_t last;

	if (win->win_space != NBM_WL_SPACE_IO &&
	    win->win_space != NBM_WL_SPACE_MEM)
		BAD("%s.space %d: must be 0 (I/O ports) or 1 (memory)", what,
		    win->win_space);
	if (win->win_size < 1 || win->win_size > (1ULL << 32))
		BAD("%s.size %ju: must be between 1 and 4294967296", what,
		    (uintmax_t)win->win_size);
	if (win->win_alloc) {
		if (win->win_align != 0 && !powerof2(win->win_align))
			BAD("%s.align %ju: must be 0 or a power of two", what,
			    (uintmax_t)win->win_align);
		if (win->win_end < win->win_base ||
		    win->win_end - win->win_base < win->win_size - 1 ||
		    (lim != UINT64_MAX && win->win_end >= lim))
			BAD("%s.end 0x%jx: must leave room for size 0x%jx "
			    "after base 0x%jx%s", what,
			    (uintmax_t)win->win_end, (uintmax_t)win->win_size,
			    (uintmax_t)win->win_base, lim != UINT64_MAX ?
			    " and stay below port 0x10000" : "");
		return 0;
	}
	if (ninst > 1 && win->win_stride < win->win_size)
		BAD("%s.stride 0x%jx: must be at least the size 0x%jx when "
		    "there are %u instances", what,
		    (uintmax_t)win->win_stride, (uintmax_t)win->win_size,
		    ninst);
	last = win->win_base + (uint64_t)(ninst - 1) * win->win_stride +
	    win->win_size - 1;
	if (last < win->win_base || (lim != UINT64_MAX && last >= lim))
		BAD("%s.base 0x%jx: the last instance ends at 0x%jx, past "
		    "the %s space", what, (uintmax_t)win->win_base,
		    (uintmax_t)last, lim != UINT64_MAX ? "I/O port" :
		    "address");
	return 0;
}

int
wl_validate_source(const struct nbm_wl_source *sd, u_int i,
    const struct nbm_config *cfg, char *errbuf, size_t errlen)
{
	size_t pagesz = cfg != NULL ? cfg->page_size : NBM_PAGE_SIZE_MAX;
	uint64_t sizemax = WL_SIZE_MAX;
	const struct wl_kindinfo *ki;
	char what[48];
	u_int k;
	int error;

	if (sd->src_kind < NBM_WLS_KMEM || sd->src_kind > NBM_WLS_DEVICE)
		BAD("sources[%u].kind %d: must be 0 (kmem), 1 (pool), "
		    "2 (pool cache), 3 (vmem), 4 (extent) or 5 (device)", i,
		    sd->src_kind);
	ki = &wl_kinds[sd->src_kind];
	if (ki->ki_noun != NULL && !wl_name_ok(sd->src_name, ki->ki_namemax))
		BAD("sources[%u].name \"%.*s\": %s name must be 1 to %zu "
		    "printable characters", i, NBM_WL_NAME_MAX, sd->src_name,
		    ki->ki_noun, ki->ki_namemax - 1);
	if (cfg != NULL && cfg->physmem / 2 < sizemax)
		sizemax = cfg->physmem / 2;
	switch (sd->src_kind) {
	case NBM_WLS_POOL:
	case NBM_WLS_POOL_CACHE:
		if (!sd->src_existing) {
			if (sd->src_size < 1 || sd->src_size > WL_POOLSIZE_MAX)
				BAD("sources[%u].size %zu: must be between 1 "
				    "and %d", i, sd->src_size, WL_POOLSIZE_MAX);
			if (cfg != NULL && sd->src_size > cfg->page_size &&
			    (sd->src_kind == NBM_WLS_POOL ||
			    sd->src_ipl != IPL_NONE))
				BAD("sources[%u].size %zu: larger than a page "
				    "(%zu); only a pool cache at IPL_NONE gets an "
				    "allocator with larger pages", i,
				    sd->src_size, cfg->page_size);
			if (sd->src_align != 0 && (!powerof2(sd->src_align) ||
			    sd->src_align > pagesz))
				BAD("sources[%u].align %u: must be 0 or a power "
				    "of two up to %zu", i, sd->src_align, pagesz);
			if (!wl_ipl_ok(sd->src_ipl))
				BAD("sources[%u].ipl %d: must be %d (IPL_NONE) "
				    "or between %d (IPL_SOFTCLOCK) and %d "
				    "(IPL_HIGH)", i, sd->src_ipl, IPL_NONE,
				    IPL_SOFTCLOCK, IPL_HIGH);
			if (sd->src_flags & ~(PR_NOTOUCH | PR_LARGECACHE |
			    PR_NOALIGN))
				BAD("sources[%u].flags 0x%x: only PR_NOTOUCH "
				    "(0x%x), PR_LARGECACHE (0x%x) and PR_NOALIGN "
				    "(0x%x)", i, sd->src_flags, PR_NOTOUCH,
				    PR_LARGECACHE, PR_NOALIGN);
			if ((sd->src_ctor_ns != 0 || sd->src_dtor_ns != 0) &&
			    sd->src_kind != NBM_WLS_POOL_CACHE)
				BAD("sources[%u]: constructor and destructor "
				    "costs need a pool cache", i);
			if (sd->src_ctor_ns > WL_WORK_MAX ||
			    sd->src_dtor_ns > WL_WORK_MAX)
				BAD("sources[%u].%s %ju: must be at most %ju ns",
				    i, sd->src_ctor_ns > WL_WORK_MAX ?
				    "ctor_ns" : "dtor_ns", (uintmax_t)
				    MAX(sd->src_ctor_ns, sd->src_dtor_ns),
				    (uintmax_t)WL_WORK_MAX);
		}
		if (sd->src_hardlimit != 0 && sd->src_lowat > sd->src_hardlimit)
			BAD("sources[%u].lowat %u: must not exceed the hard "
			    "limit %u", i, sd->src_lowat, sd->src_hardlimit);
		if (sd->src_ratecap > 86400)
			BAD("sources[%u].ratecap %u: must be at most 86400 "
			    "seconds", i, sd->src_ratecap);
		if (sd->src_lowat > 10000000 || sd->src_hiwat > 10000000 ||
		    sd->src_hardlimit > 10000000)
			BAD("sources[%u]: watermarks and hard limit must be at "
			    "most 10000000 items", i);
		break;
	case NBM_WLS_VMEM:
		if (sd->src_quantum == 0 || !powerof2(sd->src_quantum))
			BAD("sources[%u].quantum %ju: must be a power of two",
			    i, (uintmax_t)sd->src_quantum);
		if (sd->src_span == 0 || sd->src_span % sd->src_quantum != 0 ||
		    sd->src_base % sd->src_quantum != 0 ||
		    sd->src_base + sd->src_span - 1 < sd->src_base)
			BAD("sources[%u].span %ju at base 0x%jx: must be a "
			    "non-empty multiple of the quantum %ju, aligned to "
			    "it, and fit in the address space", i,
			    (uintmax_t)sd->src_span, (uintmax_t)sd->src_base,
			    (uintmax_t)sd->src_quantum);
		if (sd->src_fit != VM_INSTANTFIT && sd->src_fit != VM_BESTFIT)
			BAD("sources[%u].fit 0x%x: must be VM_INSTANTFIT "
			    "(0x%x) or VM_BESTFIT (0x%x)", i, sd->src_fit,
			    VM_INSTANTFIT, VM_BESTFIT);
		if (sd->src_qcache_max % sd->src_quantum != 0 ||
		    sd->src_qcache_max > 16 * sd->src_quantum)
			BAD("sources[%u].qcache_max %ju: must be a multiple of "
			    "the quantum, at most 16 quanta", i,
			    (uintmax_t)sd->src_qcache_max);
		sizemax = sd->src_span;
		break;
	case NBM_WLS_EXTENT:
		if (sd->src_span == 0 || sd->src_base + sd->src_span - 1 <
		    sd->src_base || sd->src_base + sd->src_span - 1 >
		    ULONG_MAX)
			BAD("sources[%u].span %ju at base 0x%jx: must be "
			    "non-empty and fit in the address space", i,
			    (uintmax_t)sd->src_span, (uintmax_t)sd->src_base);
		if (sd->src_align != 0 && !powerof2(sd->src_align))
			BAD("sources[%u].align %u: must be 0 or a power of two",
			    i, sd->src_align);
		sizemax = sd->src_span;
		break;
	case NBM_WLS_DEVICE:
		if (sd->src_ninstances < 1 || sd->src_ninstances > 1024)
			BAD("sources[%u].ninstances %u: must be between 1 and "
			    "1024", i, sd->src_ninstances);
		if (sd->src_nwin < 1 || sd->src_nwin > NBM_WL_MAXWIN)
			BAD("sources[%u].nwin %u: must be between 1 and %d", i,
			    sd->src_nwin, NBM_WL_MAXWIN);
		for (k = 0; k < sd->src_nwin; k++) {
			snprintf(what, sizeof(what), "sources[%u].win[%u]", i,
			    k);
			if ((error = wl_validate_window(&sd->src_win[k], what,
			    sd->src_ninstances, errbuf, errlen)) != 0)
				return error;
		}
		break;
	default:
		break;
	}
	if (ki->ki_sizes) {
		snprintf(what, sizeof(what), "sources[%u].sizes", i);
		if ((error = wl_validate_sizes(&sd->src_sizes, what, sizemax,
		    errbuf, errlen)) != 0)
			return error;
	}
	snprintf(what, sizeof(what), "sources[%u].life", i);
	if ((error = wl_validate_life(&sd->src_life, what, errbuf,
	    errlen)) != 0)
		return error;
	if (sd->src_xcpu > 1000)
		BAD("sources[%u].xcpu %u: must be between 0 and 1000 (per "
		    "mille)", i, sd->src_xcpu);
	return 0;
}

static bool
wl_cpuset_empty(const struct nbm_workload *wl)
{
	u_int i;

	for (i = 0; i < NBM_WL_CPUSET_WORDS; i++)
		if (wl->wl_cpus[i] != 0)
			return false;
	return true;
}

static bool
wl_cpu_in(const struct nbm_workload *wl, u_int c)
{

	return wl_cpuset_empty(wl) ||
	    (wl->wl_cpus[c / 64] & ((uint64_t)1 << (c % 64))) != 0;
}

/* The largest kmem request an interrupt handler may make here. */
static size_t
wl_intr_kmem_max(const struct nbm_config *cfg)
{
	size_t pg = cfg != NULL ? cfg->page_size : NBM_PAGE_SIZE_MIN;

	return MIN(pg, (size_t)16384) - sizeof(size_t);
}

static size_t
wl_sizes_max(const struct nbm_wl_sizes *sz)
{
	size_t m = sz->sz_kind == NBM_WL_SIZE_UNIFORM ? sz->sz_max : sz->sz_min;
	u_int i;

	if (sz->sz_kind == NBM_WL_SIZE_LIST ||
	    sz->sz_kind == NBM_WL_SIZE_HISTOGRAM)
		for (i = 0; i < sz->sz_n; i++)
			m = MAX(m, sz->sz_list[i].se_size);
	return m;
}

static int
wl_validate_intr(const struct nbm_workload *wl, u_int i,
    const struct nbm_config *cfg, char *errbuf, size_t errlen)
{
	const struct nbm_wl_intr *wi = &wl->wl_intr[i];
	const struct nbm_intr_config *ic = &wi->wi_intr;
	const struct nbm_wl_source *sd;
	char what[32];
	u_int k;
	int error;

	if (!wl_name_ok(ic->ic_name, NBM_INTR_NAME_MAX))
		BAD("intr[%u].name: must be 1 to %d printable characters", i,
		    NBM_INTR_NAME_MAX - 1);
	for (k = 0; k < i; k++)
		if (strcmp(wl->wl_intr[k].wi_intr.ic_name, ic->ic_name) == 0)
			BAD("intr[%u].name \"%s\": intr[%u] has that name", i,
			    ic->ic_name, k);
	if (ic->ic_ipl < IPL_VM || ic->ic_ipl > IPL_HIGH)
		BAD("intr[%u].ipl %d: must be %d (IPL_VM), %d (IPL_SCHED) or "
		    "%d (IPL_HIGH)", i, ic->ic_ipl, IPL_VM, IPL_SCHED,
		    IPL_HIGH);
	if (ic->ic_dist < NBM_INTR_PERIODIC || ic->ic_dist > NBM_INTR_BURST)
		BAD("intr[%u].dist %d: must be 0 (periodic), 1 (poisson) or "
		    "2 (burst)", i, ic->ic_dist);
	if (!(ic->ic_rate > 0.0) || ic->ic_rate > 10000000.0)
		BAD("intr[%u].rate %g: must be above 0 and at most 10000000 "
		    "per second", i, ic->ic_rate);
	if (ic->ic_dist == NBM_INTR_BURST &&
	    (ic->ic_burst < 1 || ic->ic_burst > 100000))
		BAD("intr[%u].burst %u: must be between 1 and 100000", i,
		    ic->ic_burst);
	if (ic->ic_target < NBM_INTR_TARGET_CPU ||
	    ic->ic_target > NBM_INTR_TARGET_RR)
		BAD("intr[%u].target %d: must be 0 (one CPU), 1 (all) or 2 "
		    "(round robin)", i, ic->ic_target);
	if (ic->ic_target == NBM_INTR_TARGET_CPU && cfg != NULL &&
	    ic->ic_cpu >= cfg->ncpu)
		BAD("intr[%u].cpu %u: must be below ncpu %u", i, ic->ic_cpu,
		    cfg->ncpu);
	if (wi->wi_nsrc < 1 || wi->wi_nsrc > NBM_WL_INTR_MAXSRC)
		BAD("intr[%u].nsrc %u: must be between 1 and %d", i,
		    wi->wi_nsrc, NBM_WL_INTR_MAXSRC);
	for (k = 0; k < wi->wi_nsrc; k++) {
		if (wi->wi_src[k] >= wl->wl_nsources)
			BAD("intr[%u].src[%u] %u: must name one of the %u "
			    "sources", i, k, wi->wi_src[k], wl->wl_nsources);
		sd = &wl->wl_sources[wi->wi_src[k]];
		switch (sd->src_kind) {
		case NBM_WLS_KMEM:
			if (ic->ic_ipl != IPL_VM)
				BAD("intr[%u].src[%u]: kmem is used at IPL_VM; "
				    "a handler at IPL %d may not call it", i, k,
				    ic->ic_ipl);
			if (wl_sizes_max(&sd->src_sizes) >
			    wl_intr_kmem_max(cfg))
				BAD("intr[%u].src[%u]: kmem size %zu in a "
				    "handler: at most %zu here (larger requests "
				    "take the page-level path, which is not "
				    "interrupt-safe in a simulation)", i, k,
				    wl_sizes_max(&sd->src_sizes),
				    wl_intr_kmem_max(cfg));
			break;
		case NBM_WLS_POOL:
		case NBM_WLS_POOL_CACHE:
			if (!sd->src_existing && sd->src_ipl < ic->ic_ipl)
				BAD("intr[%u].src[%u]: pool \"%s\" is at IPL "
				    "%d, which does not block the handler's IPL "
				    "%d", i, k, sd->src_name, sd->src_ipl,
				    ic->ic_ipl);
			break;
		default:
			BAD("intr[%u].src[%u]: a handler allocates from kmem, "
			    "pools and pool caches only, not from source %u "
			    "(%s)", i, k, wi->wi_src[k],
			    wl_kind_name(sd->src_kind));
		}
	}
	snprintf(what, sizeof(what), "intr[%u].life", i);
	if ((error = wl_validate_life(&wi->wi_life, what, errbuf,
	    errlen)) != 0)
		return error;
	if (wi->wi_free < NBM_WLI_FREE_HANDLER ||
	    wi->wi_free > NBM_WLI_FREE_XCPU)
		BAD("intr[%u].free %d: must be 0 (in the handler), 1 (soft "
		    "interrupt), 2 (thread) or 3 (another CPU)", i,
		    wi->wi_free);
	if (wi->wi_xcpu > 1000)
		BAD("intr[%u].xcpu %u: must be between 0 and 1000 (per "
		    "mille)", i, wi->wi_xcpu);
	if (wi->wi_maxlive > 65536)
		BAD("intr[%u].maxlive %u: must be at most 65536", i,
		    wi->wi_maxlive);
	return 0;
}

int
nbm_workload_validate(const struct nbm_workload *wl,
    const struct nbm_config *cfg, char *errbuf, size_t errlen)
{
	uint32_t covered = 0, all;
	uint64_t prime;
	u_int i, c, n;
	int error;

	if (!wl_name_ok(wl->wl_name, NBM_WL_NAME_MAX))
		BAD("name: must be 1 to %d printable characters",
		    NBM_WL_NAME_MAX - 1);
	if (wl->wl_threads < 1 || wl->wl_threads > NBM_WL_MAXTHREADS)
		BAD("threads %u: must be between 1 and %d per CPU",
		    wl->wl_threads, NBM_WL_MAXTHREADS);
	if (cfg != NULL) {
		for (c = cfg->ncpu; c < NBM_NCPU_MAX; c++)
			if (!wl_cpuset_empty(wl) && wl_cpu_in(wl, c))
				BAD("cpus: cpu %u is not below ncpu %u", c,
				    cfg->ncpu);
	}
	if (wl->wl_nsources < 1 || wl->wl_nsources > NBM_WL_MAXSOURCES)
		BAD("nsources %u: must be between 1 and %d", wl->wl_nsources,
		    NBM_WL_MAXSOURCES);
	if (wl->wl_maxlive < 1 || wl->wl_maxlive > WL_MAXLIVE_MAX)
		BAD("maxlive %u: must be between 1 and %u", wl->wl_maxlive,
		    WL_MAXLIVE_MAX);
	prime = 0;
	for (i = 0; i < wl->wl_nsources; i++) {
		const struct nbm_wl_source *sd = &wl->wl_sources[i];

		if ((error = wl_validate_source(sd, i, cfg, errbuf,
		    errlen)) != 0)
			return error;
		if (sd->src_maxlive > wl->wl_maxlive)
			BAD("sources[%u].maxlive %u: must not exceed the "
			    "workload's maxlive %u", i, sd->src_maxlive,
			    wl->wl_maxlive);
		prime += sd->src_prime;
		for (n = 0; n < i; n++) {
			const struct nbm_wl_source *o = &wl->wl_sources[n];

			if (sd->src_kind == NBM_WLS_KMEM ||
			    o->src_kind == NBM_WLS_KMEM)
				continue;
			if (strcmp(o->src_name, sd->src_name) == 0 &&
			    (o->src_kind == sd->src_kind ||
			    (o->src_kind <= NBM_WLS_POOL_CACHE &&
			    sd->src_kind <= NBM_WLS_POOL_CACHE)))
				BAD("sources[%u].name \"%s\": sources[%u] has "
				    "that name", i, sd->src_name, n);
		}
	}
	if (prime > wl->wl_maxlive)
		BAD("sources: %ju objects primed per thread, more than maxlive "
		    "%u", (uintmax_t)prime, wl->wl_maxlive);
	if (wl->wl_nops > NBM_WL_MAXOPS)
		BAD("nops %u: must be at most %d", wl->wl_nops, NBM_WL_MAXOPS);
	all = wl->wl_threads == 32 ? 0xffffffffU :
	    ((uint32_t)1 << wl->wl_threads) - 1;
	for (i = 0; i < wl->wl_nops; i++) {
		const struct nbm_wl_op *op = &wl->wl_ops[i];

		if (op->op_kind < NBM_WLOP_ALLOC || op->op_kind > NBM_WLOP_IDLE)
			BAD("ops[%u].kind %d: must be 0 (alloc), 1 (alloc and "
			    "free), 2 (free) or 3 (idle)", i, op->op_kind);
		if (op->op_kind != NBM_WLOP_IDLE &&
		    op->op_src >= wl->wl_nsources)
			BAD("ops[%u].src %u: must name one of the %u sources",
			    i, op->op_src, wl->wl_nsources);
		if (op->op_weight < 1 || op->op_weight > 1000000)
			BAD("ops[%u].weight %u: must be between 1 and 1000000",
			    i, op->op_weight);
		if (op->op_flags & ~(NBM_WLF_NOSLEEP | NBM_WLF_LIMITFAIL |
		    NBM_WLF_ZERO))
			BAD("ops[%u].flags 0x%x: only NOSLEEP (0x%x), LIMITFAIL "
			    "(0x%x) and ZERO (0x%x)", i, op->op_flags,
			    NBM_WLF_NOSLEEP, NBM_WLF_LIMITFAIL, NBM_WLF_ZERO);
		if ((op->op_flags & NBM_WLF_LIMITFAIL) &&
		    op->op_kind != NBM_WLOP_IDLE &&
		    wl->wl_sources[op->op_src].src_kind != NBM_WLS_POOL &&
		    wl->wl_sources[op->op_src].src_kind != NBM_WLS_POOL_CACHE)
			BAD("ops[%u].flags: LIMITFAIL applies to pools only", i);
		if ((op->op_slots & ~all) != 0)
			BAD("ops[%u].slots 0x%x: the workload has %u threads "
			    "per CPU (slots 0x%x)", i, op->op_slots,
			    wl->wl_threads, all);
		covered |= op->op_slots == 0 ? all : op->op_slots;
	}
	if (wl->wl_nops > 0 && covered != all)
		BAD("ops: thread slot %d has no operation to draw",
		    __builtin_ctz(~covered & all));
	if (wl->wl_nintr > NBM_WL_MAXINTR)
		BAD("nintr %u: must be at most %d", wl->wl_nintr,
		    NBM_WL_MAXINTR);
	for (i = 0; i < wl->wl_nintr; i++)
		if ((error = wl_validate_intr(wl, i, cfg, errbuf,
		    errlen)) != 0)
			return error;
	if (wl->wl_op_ns > 1000000000ULL)
		BAD("op_ns %ju: must be at most 1000000000", (uintmax_t)
		    wl->wl_op_ns);
	if (wl->wl_batch < 1 || wl->wl_batch > 1024)
		BAD("batch %u: must be between 1 and 1024", wl->wl_batch);
	return 0;
}

#undef BAD

void
nbm_workload_init(struct nbm_workload *wl)
{

	memset(wl, 0, sizeof(*wl));
	snprintf(wl->wl_name, sizeof(wl->wl_name), "workload");
	wl->wl_threads = 1;
	wl->wl_op_ns = 100;
	wl->wl_batch = 1;
	wl->wl_maxlive = 1024;
}

/*
 * The thread side.
 */

/*
 * wl_thread_release: let go of an object a thread held: free it here, or
 * send it to another CPU with the source's cross-CPU share.
 */
static void
wl_thread_release(struct nbm_wlrun *w, struct wl_thread *t, struct wl_obj *o)
{
	struct wl_src *s = &w->w_src[o->o_src];
	u_int c;

	t->t_live[o->o_src]--;
	if (s->s_desc->src_xcpu != 0 && w->w_ncpus > 1 &&
	    wl_below(&t->t_rng, 1000) < s->s_desc->src_xcpu) {
		c = wl_other_cpu(w, t->t_cpu, &t->t_rng);
		wl_push(&w->w_cpu[c].wc_inbox, o);
		WL_CNT_ADD(&t->t_cnt, c_xcpu, 1);
		return;
	}
	wl_free_obj(w, s, o, WL_CTX_THREAD);
	WL_CNT_ADD(&t->t_cnt, c_frees, 1);
	wl_slab_put(&t->t_slab, o);
}

/* wl_free_list: free a list of objects in thread context. */
static void
wl_free_list(struct nbm_wlrun *w, struct wl_thread *t, struct wl_obj *o)
{
	struct wl_obj *next;

	for (; o != NULL; o = next) {
		next = o->o_next;
		wl_free_obj(w, &w->w_src[o->o_src], o, WL_CTX_THREAD);
		WL_CNT_ADD(&t->t_cnt, c_frees, 1);
		wl_slab_put(&t->t_slab, o);
	}
}

/*
 * wl_thread_alloc: allocate an object of source si and hold it.
 * => returns 0, ENOMEM if the allocation failed, ENOSPC if the thread
 *    cannot hold another one.
 */
static int
wl_thread_alloc(struct nbm_wlrun *w, struct wl_thread *t, u_int si,
    int flags, bool hold, const struct nbm_wl_life *life)
{
	struct wl_src *s = &w->w_src[si];
	struct wl_obj *o;
	uint64_t now;

	if (hold && (t->t_live[si] >= s->s_maxlive ||
	    t->t_heap.h_n == t->t_heap.h_cap))
		return ENOSPC;
	if ((o = wl_slab_get(&t->t_slab)) == NULL) {
		/* Every record is out: let the oldest go early. */
		if (t->t_heap.h_n == 0)
			return ENOSPC;
		wl_thread_release(w, t, wl_heap_remove(&t->t_heap, 0));
		if ((o = wl_slab_get(&t->t_slab)) == NULL)
			return ENOSPC;
	}
	o->o_src = (uint16_t)si;
	o->o_order = t->t_order++;
	wl_draw_request(s, o, &t->t_rng);
	if (wl_alloc_obj(w, s, o, WL_CTX_THREAD, flags) != 0) {
		WL_CNT_ADD(&t->t_cnt, c_fails, 1);
		wl_slab_put(&t->t_slab, o);
		return ENOMEM;
	}
	WL_CNT_ADD(&t->t_cnt, c_allocs, 1);
	if (!hold) {
		wl_free_obj(w, s, o, WL_CTX_THREAD);
		WL_CNT_ADD(&t->t_cnt, c_frees, 1);
		wl_slab_put(&t->t_slab, o);
		return 0;
	}
	now = wl_uptime(w);
	o->o_expire = wl_draw_expiry(life, now, &t->t_rng);
	t->t_live[si]++;
	wl_heap_push(&t->t_heap, o);
	return 0;
}

/* wl_thread_free_one: free a held object of source si, chosen at random. */
static bool
wl_thread_free_one(struct nbm_wlrun *w, struct wl_thread *t, u_int si)
{
	struct wl_heap *h = &t->t_heap;
	u_int i, k, start;

	if (h->h_n == 0 || t->t_live[si] == 0)
		return false;
	start = (u_int)wl_below(&t->t_rng, h->h_n);
	for (k = 0; k < h->h_n; k++) {
		i = (start + k) % h->h_n;
		if (h->h_a[i]->o_src == si) {
			wl_thread_release(w, t, wl_heap_remove(h, i));
			return true;
		}
	}
	return false;
}

/*
 * wl_should_stop: whether the thread stops drawing operations; claims
 * operations from the run's budget as needed.
 */
static bool
wl_should_stop(struct nbm_wlrun *w, struct wl_thread *t)
{
	uint64_t left, take;

	if (atomic_load_explicit(&w->w_stop, memory_order_relaxed))
		return true;
	if (w->w_end_ns != 0 && wl_uptime(w) >= w->w_end_ns) {
		atomic_store(&w->w_stop, 1);
		return true;
	}
	if (w->w_wl.wl_stop_ops == 0 || t->t_budget > 0)
		return false;
	left = atomic_load(&w->w_opsleft);
	do {
		/* The others finish their own claims: totals stay exact. */
		if (left == 0)
			return true;
		take = MIN(left, (uint64_t)WL_OPCLAIM);
	} while (!atomic_compare_exchange_weak(&w->w_opsleft, &left,
	    left - take));
	t->t_budget = take;
	return false;
}

static void
wl_thread_op(struct nbm_wlrun *w, struct wl_thread *t)
{
	const struct nbm_wl_op *op;
	uint64_t r;
	u_int i;
	int error = 0;

	r = wl_below(&t->t_rng, t->t_cum[t->t_nops - 1]);
	for (i = 0; r >= t->t_cum[i]; i++)
		continue;
	op = &w->w_wl.wl_ops[t->t_ops[i]];
	switch (op->op_kind) {
	case NBM_WLOP_ALLOC:
		error = wl_thread_alloc(w, t, op->op_src, op->op_flags, true,
		    &w->w_src[op->op_src].s_desc->src_life);
		break;
	case NBM_WLOP_ALLOCFREE:
		error = wl_thread_alloc(w, t, op->op_src, op->op_flags, false,
		    NULL);
		break;
	case NBM_WLOP_FREE:
		if (!wl_thread_free_one(w, t, op->op_src))
			error = ENOSPC;
		break;
	default:
		break;
	}
	if (error == ENOSPC)
		WL_CNT_ADD(&t->t_cnt, c_skipped, 1);
}

static void wl_thread_drain(struct nbm_wlrun *, struct wl_thread *);

static void
wl_thread_main(void *arg)
{
	struct wl_thread *t = arg;
	struct nbm_wlrun *w = t->t_run;
	static const struct nbm_wl_life forever = { NBM_WL_LIFE_END, 0 };
	struct wl_obj *o;
	uint64_t now;
	u_int si, k, n = 0;

	/* Boot-time objects, held until the end. */
	for (si = 0; si < w->w_wl.wl_nsources; si++)
		for (k = 0; k < w->w_src[si].s_desc->src_prime; k++)
			if (wl_thread_alloc(w, t, si, 0, true, &forever) ==
			    ENOSPC)
				break;
	for (;;) {
		if (wl_should_stop(w, t))
			break;
		/* What other CPUs sent here, then what expired. */
		wl_free_list(w, t, wl_popall(&w->w_cpu[t->t_cpu].wc_inbox));
		now = wl_uptime(w);
		while ((o = wl_heap_expired(&t->t_heap, now)) != NULL)
			wl_thread_release(w, t, o);
		wl_thread_op(w, t);
		if (t->t_budget > 0)
			t->t_budget--;
		WL_CNT_ADD(&t->t_cnt, c_ops, 1);
		if (w->w_det)
			wl_charge_pending(w);
		if (w->w_trace != NULL && wl_trace_want_flush(w, t->t_cpu))
			wl_trace_flush(w, false);
		if (++n == w->w_wl.wl_batch) {
			n = 0;
			yield();
		}
	}
	wl_thread_exit(t);
}

/*
 * The interrupt side.
 */

/*
 * wl_intr_release: let go of an object a handler held, as the action
 * says.
 */
static void
wl_intr_release(struct nbm_wlrun *w, struct wl_iact *ia, struct wl_hctx *h,
    struct wl_obj *o)
{
	const struct nbm_wl_intr *wi = ia->ia_desc;
	u_int c = h->h_cpu, d;
	int path = wi->wi_free;

	if (wi->wi_xcpu != 0 && wl_below(&h->h_rng, 1000) < wi->wi_xcpu)
		path = NBM_WLI_FREE_XCPU;
	if (path == NBM_WLI_FREE_THREAD && !w->w_cpu[c].wc_in)
		path = NBM_WLI_FREE_XCPU;
	switch (path) {
	case NBM_WLI_FREE_HANDLER:
		wl_free_obj(w, &w->w_src[o->o_src], o, WL_CTX_INTR);
		WL_CNT_ADD(&h->h_cnt, c_frees, 1);
		wl_slab_put(&h->h_slab, o);
		break;
	case NBM_WLI_FREE_SOFTINT:
		wl_push(&w->w_cpu[c].wc_softq, o);
		softint_schedule(w->w_softint);
		break;
	case NBM_WLI_FREE_THREAD:
		wl_push(&w->w_cpu[c].wc_inbox, o);
		break;
	default:
		d = wl_other_cpu(w, c, &h->h_rng);
		wl_push(&w->w_cpu[d].wc_inbox, o);
		if (d != c)
			WL_CNT_ADD(&h->h_cnt, c_xcpu, 1);
		break;
	}
}

/*
 * wl_intr: the handler of every interrupt source of a run.  Runs at the
 * source's IPL, in signal context in parallel mode: no host allocation,
 * no locks of its own.
 */
static int
wl_intr(void *arg)
{
	struct wl_iact *ia = arg;
	struct nbm_wlrun *w = ia->ia_run;
	const struct nbm_wl_intr *wi = ia->ia_desc;
	struct cpu_info *ci = curcpu();
	struct wl_cpu *wc = &w->w_cpu[ci->ci_index];
	struct wl_hctx *h = &ia->ia_cpu[ci->ci_index];
	struct wl_obj *o;
	struct wl_src *s;
	uint64_t now;
	u_int k;

	atomic_fetch_add(&wc->wc_hactive, 1);
	if (atomic_load(&w->w_istop))
		goto out;
	WL_CNT_ADD(&h->h_cnt, c_intr, 1);
	now = wl_uptime(w);
	if (w->w_end_ns != 0 && now >= w->w_end_ns) {
		/* Time is up: a storm must not keep the threads from it. */
		atomic_store(&w->w_stop, 1);
		atomic_store(&w->w_istop, 1);
		goto out;
	}
	while ((o = wl_heap_expired(&h->h_heap, now)) != NULL)
		wl_intr_release(w, ia, h, o);
	if (h->h_heap.h_n + wi->wi_nsrc > h->h_heap.h_cap) {
		WL_CNT_ADD(&h->h_cnt, c_skipped, 1);
		goto out;
	}
	for (k = 0; k < wi->wi_nsrc; k++) {
		if ((o = wl_slab_get(&h->h_slab)) == NULL) {
			WL_CNT_ADD(&h->h_cnt, c_skipped, 1);
			break;
		}
		s = &w->w_src[wi->wi_src[k]];
		o->o_src = (uint16_t)wi->wi_src[k];
		o->o_order = h->h_order++;
		wl_draw_request(s, o, &h->h_rng);
		if (wl_alloc_obj(w, s, o, WL_CTX_INTR, NBM_WLF_NOSLEEP) != 0) {
			WL_CNT_ADD(&h->h_cnt, c_fails, 1);
			wl_slab_put(&h->h_slab, o);
			continue;
		}
		WL_CNT_ADD(&h->h_cnt, c_allocs, 1);
		o->o_expire = wl_draw_expiry(&wi->wi_life, now, &h->h_rng);
		if (o->o_expire <= now)
			wl_intr_release(w, ia, h, o);
		else
			wl_heap_push(&h->h_heap, o);
	}
out:
	atomic_fetch_sub(&wc->wc_hactive, 1);
	return 1;
}

/* wl_softint: free what the handlers of this CPU queued. */
static void
wl_softint(void *arg)
{
	struct nbm_wlrun *w = arg;
	struct wl_cpu *wc = &w->w_cpu[curcpu()->ci_index];
	struct wl_obj *o, *next;

	atomic_fetch_add(&wc->wc_hactive, 1);
	if (atomic_load(&w->w_istop))
		goto out;
	for (o = wl_popall(&wc->wc_softq); o != NULL; o = next) {
		next = o->o_next;
		wl_free_obj(w, &w->w_src[o->o_src], o, WL_CTX_SOFTINT);
		WL_CNT_ADD(&wc->wc_cnt, c_frees, 1);
		wl_slab_put(NULL, o);
	}
out:
	atomic_fetch_sub(&wc->wc_hactive, 1);
}

/*
 * Stopping.
 */

/*
 * wl_intr_quiesce: remove the run's interrupt sources and wait until no
 * handler or soft interrupt of the run runs anywhere.
 */
static void
wl_intr_quiesce(struct nbm_wlrun *w)
{
	u_int i, c;

	atomic_store(&w->w_istop, 1);
	if (atomic_exchange(&w->w_idown, 1) == 0)
		for (i = 0; i < w->w_nintr; i++)
			if (w->w_iact[i].ia_is != NULL)
				nbm_intr_disestablish(w->w_iact[i].ia_is);
	for (c = 0; c < w->w_m->m_ncpu; c++)
		while (atomic_load(&w->w_cpu[c].wc_hactive) != 0)
			yield();
}

/*
 * wl_drain_cpu: free, from thread t, what handlers of CPU c hold and what
 * waits in that CPU's soft interrupt queue and inbox.  Handlers are
 * quiet.
 */
static void
wl_drain_cpu(struct nbm_wlrun *w, struct wl_thread *t, u_int c)
{
	struct wl_hctx *h;
	struct wl_obj *o;
	u_int i;

	for (i = 0; i < w->w_nintr; i++) {
		h = &w->w_iact[i].ia_cpu[c];
		while (h->h_heap.h_n > 0) {
			o = wl_heap_remove(&h->h_heap, h->h_heap.h_n - 1);
			wl_free_obj(w, &w->w_src[o->o_src], o, WL_CTX_THREAD);
			WL_CNT_ADD(&t->t_cnt, c_frees, 1);
			wl_slab_put(NULL, o);
		}
	}
	wl_free_list(w, t, wl_popall(&w->w_cpu[c].wc_softq));
	wl_free_list(w, t, wl_popall(&w->w_cpu[c].wc_inbox));
}

static void
wl_host_signal(struct nbm_wlrun *w)
{

	pthread_mutex_lock(&w->w_hlock);
	pthread_cond_broadcast(&w->w_hcv);
	pthread_mutex_unlock(&w->w_hlock);
}

/* wl_last_out: the last thread of the run tidies up and marks it done. */
static void
wl_last_out(struct nbm_wlrun *w, struct wl_thread *t)
{
	struct nbm_workload_progress wp;
	struct wl_src *s;
	u_int c, i;

	for (c = 0; c < w->w_m->m_ncpu; c++)
		if (!w->w_cpu[c].wc_in)
			wl_drain_cpu(w, t, c);
	if (w->w_replay != NULL)
		wl_replay_leftovers(t);
	for (i = 0; i < w->w_wl.wl_nsources; i++) {
		s = &w->w_src[i];
		if (s->s_vmem != NULL) {
			vmem_destroy(s->s_vmem);
			s->s_vmem = NULL;
		}
		if (s->s_extent != NULL) {
			extent_destroy(s->s_extent);
			s->s_extent = NULL;
		}
	}
	if (w->w_softint != NULL)
		softint_disestablish(w->w_softint);
	atomic_store(&w->w_done_ns, wl_uptime(w));
	nbm_workload_progress(w, &wp);
	nbm_machine_event(w->w_m, NBM_EV_WORKLOAD, w->w_wl.wl_name,
	    "workload %s finished: %ju operations, %ju allocations, %ju frees, "
	    "%ju failures, %ju interrupts in %ju ns", w->w_wl.wl_name,
	    (uintmax_t)wp.wp_ops, (uintmax_t)wp.wp_allocs,
	    (uintmax_t)wp.wp_frees, (uintmax_t)wp.wp_fails,
	    (uintmax_t)wp.wp_intr, (uintmax_t)wp.wp_elapsed_ns);
	if (w->w_trace != NULL)
		wl_trace_end(w);
	atomic_store(&w->w_state, NBM_WLST_DONE);
	wl_host_signal(w);
}

/* wl_thread_drain: give everything back and meet the other threads. */
static void
wl_thread_drain(struct nbm_wlrun *w, struct wl_thread *t)
{
	int expected = NBM_WLST_RUNNING;
	bool last;

	atomic_compare_exchange_strong(&w->w_state, &expected,
	    NBM_WLST_STOPPING);
	wl_intr_quiesce(w);
	while (t->t_heap.h_n > 0) {
		struct wl_obj *o = wl_heap_remove(&t->t_heap,
		    t->t_heap.h_n - 1);

		t->t_live[o->o_src]--;
		wl_free_obj(w, &w->w_src[o->o_src], o, WL_CTX_THREAD);
		WL_CNT_ADD(&t->t_cnt, c_frees, 1);
		wl_slab_put(&t->t_slab, o);
	}
	if (t->t_slot == 0)
		wl_drain_cpu(w, t, t->t_cpu);
	/* Barrier: after it nothing is sent to an inbox any more. */
	mutex_enter(&w->w_lock);
	if (--w->w_nactive == 0)
		cv_broadcast(&w->w_cv);
	while (w->w_nactive > 0)
		cv_wait(&w->w_cv, &w->w_lock);
	mutex_exit(&w->w_lock);
	if (t->t_slot == 0)
		wl_drain_cpu(w, t, t->t_cpu);
	mutex_enter(&w->w_lock);
	last = --w->w_nalive == 0;
	mutex_exit(&w->w_lock);
	if (last)
		wl_last_out(w, t);
}

/*
 * wl_thread_exit: the end of every thread of a run (workload or replay).
 */
void
wl_thread_exit(struct wl_thread *t)
{
	struct nbm_wlrun *w = t->t_run;

	if (w->w_det)
		wl_charge_pending(w);
	wl_thread_drain(w, t);
}

/*
 * Creating a run.
 */

static int
wl_src_pool(struct nbm_wlrun *w, struct wl_src *s, char *errbuf,
    size_t errlen)
{
	const struct nbm_wl_source *sd = s->s_desc;
	const char *kind = sd->src_kind == NBM_WLS_POOL ? "pool" :
	    "pool cache";
	bool wantcache = sd->src_kind == NBM_WLS_POOL_CACHE;
	bool wantctor = sd->src_ctor_ns != 0 || sd->src_dtor_ns != 0;
	size_t len = strlen(sd->src_name) + 1;
	struct pool *pp;
	pool_cache_t pc;
	char *name, *warn;
	int ps = (int)(s - w->w_src);

	pp = nbm_pool_lookup(w->w_m, sd->src_name);
	if (pp == NULL && sd->src_existing && w->w_replay == NULL) {
		snprintf(errbuf, errlen, "sources[%d].name \"%s\": no %s of "
		    "that name on this machine", ps, sd->src_name, kind);
		return EINVAL;
	}
	if (pp != NULL) {
		pc = pp->pr_cache;
		if (wantcache && pc == NULL) {
			snprintf(errbuf, errlen, "sources[%d].name \"%s\": a "
			    "pool without a cache has that name", ps,
			    sd->src_name);
			return EINVAL;
		}
		if (!sd->src_existing &&
		    (pp->pr_reqsize != sd->src_size ||
		    pp->pr_ipl != sd->src_ipl ||
		    (sd->src_align != 0 && pp->pr_align != sd->src_align) ||
		    (!wantcache && pc != NULL) ||
		    (wantcache && (wantctor ? pc->pc_ctor != wl_ctor ||
		    pc->pc_arg != wl_ctor_arg(sd) : pc->pc_ctor == wl_ctor)))) {
			snprintf(errbuf, errlen, "sources[%d].name \"%s\": a %s "
			    "of that name exists with other parameters (size "
			    "%zu, align %u, ipl %d)", ps, sd->src_name,
			    pc != NULL ? "pool cache" : "pool", pp->pr_reqsize,
			    pp->pr_align, pp->pr_ipl);
			return EINVAL;
		}
		s->s_pool = pp;
		s->s_cache = wantcache ? pc : NULL;
	} else if (wantcache) {
		/* The wait channel must live as long as the cache. */
		name = kmem_alloc(len, KM_SLEEP);
		memcpy(name, sd->src_name, len);
		pc = pool_cache_init(sd->src_size, sd->src_align, 0,
		    (u_int)sd->src_flags, name, NULL, sd->src_ipl,
		    wantctor ? wl_ctor : NULL, wantctor ? wl_dtor : NULL,
		    wantctor ? wl_ctor_arg(sd) : NULL);
		s->s_cache = pc;
		s->s_pool = &pc->pc_pool;
	} else {
		/* As a driver would: the pool and its name in kmem. */
		pp = kmem_zalloc(sizeof(*pp) + len, KM_SLEEP);
		name = (char *)(pp + 1);
		memcpy(name, sd->src_name, len);
		pool_init(pp, sd->src_size, sd->src_align, 0, sd->src_flags,
		    name, NULL, sd->src_ipl);
		s->s_pool = pp;
	}
	pp = s->s_pool;
	s->s_label = pp->pr_wchan;
	if (sd->src_lowat != 0) {
		if (s->s_cache != NULL)
			pool_cache_setlowat(s->s_cache, (int)sd->src_lowat);
		else
			pool_setlowat(pp, (int)sd->src_lowat);
	}
	if (sd->src_hiwat != 0) {
		if (s->s_cache != NULL)
			pool_cache_sethiwat(s->s_cache, (int)sd->src_hiwat);
		else
			pool_sethiwat(pp, (int)sd->src_hiwat);
	}
	if (sd->src_hardlimit != 0) {
		/* The warning, like the name, must outlive the run. */
		warn = NULL;
		if (pp->pr_hardlimit_warning != NULL &&
		    strncmp(pp->pr_hardlimit_warning, sd->src_warning,
		    sizeof(sd->src_warning)) == 0)
			warn = __DECONST(char *, pp->pr_hardlimit_warning);
		else if (sd->src_warning[0] != '\0') {
			len = strnlen(sd->src_warning,
			    sizeof(sd->src_warning) - 1) + 1;
			warn = kmem_alloc(len, KM_SLEEP);
			memcpy(warn, sd->src_warning, len - 1);
			warn[len - 1] = '\0';
		}
		if (s->s_cache != NULL)
			pool_cache_sethardlimit(s->s_cache,
			    (int)sd->src_hardlimit, warn, (int)sd->src_ratecap);
		else
			pool_sethardlimit(pp, (int)sd->src_hardlimit, warn,
			    (int)sd->src_ratecap);
	}
	return 0;
}

/*
 * The description's strings outlive the arena and extent they name: the
 * run keeps its copy until it is freed, after they are destroyed.
 */
static int
wl_src_create(struct nbm_wlrun *w, struct wl_src *s, char *errbuf,
    size_t errlen)
{
	const struct nbm_wl_source *sd = s->s_desc;
	const struct nbm_wl_sizes *sz = &sd->src_sizes;
	uint64_t sum = 0;
	u_int i;

	for (i = 0; i < sz->sz_n && (sz->sz_kind == NBM_WL_SIZE_LIST ||
	    sz->sz_kind == NBM_WL_SIZE_HISTOGRAM); i++) {
		sum += sz->sz_list[i].se_weight;
		s->s_cum[i] = sum;
	}
	s->s_maxlive = sd->src_maxlive != 0 ? sd->src_maxlive :
	    w->w_wl.wl_maxlive;
	s->s_label = sd->src_name;
	switch (s->s_kind) {
	case NBM_WLS_POOL:
	case NBM_WLS_POOL_CACHE:
		return wl_src_pool(w, s, errbuf, errlen);
	case NBM_WLS_VMEM:
		s->s_vmem = vmem_create(sd->src_name, sd->src_base,
		    sd->src_span, sd->src_quantum, NULL, NULL, NULL,
		    sd->src_qcache_max, VM_SLEEP, IPL_VM);
		if (s->s_vmem == NULL) {
			snprintf(errbuf, errlen, "sources[%d]: vmem_create "
			    "\"%s\" failed", (int)(s - w->w_src), sd->src_name);
			return ENOMEM;
		}
		break;
	case NBM_WLS_EXTENT:
		s->s_extent = extent_create(sd->src_name, sd->src_base,
		    sd->src_base + sd->src_span - 1, NULL, 0, EX_WAITOK);
		if (s->s_extent == NULL) {
			snprintf(errbuf, errlen, "sources[%d]: extent_create "
			    "\"%s\" failed", (int)(s - w->w_src), sd->src_name);
			return ENOMEM;
		}
		break;
	default:
		break;
	}
	return 0;
}

static void
wl_src_destroy_all(struct nbm_wlrun *w)
{
	u_int i;

	for (i = 0; i < w->w_wl.wl_nsources; i++) {
		if (w->w_src[i].s_vmem != NULL)
			vmem_destroy(w->w_src[i].s_vmem);
		if (w->w_src[i].s_extent != NULL)
			extent_destroy(w->w_src[i].s_extent);
		w->w_src[i].s_vmem = NULL;
		w->w_src[i].s_extent = NULL;
	}
}

/* Interrupt sources that do not block a handler's level panic the pool. */
static int
wl_check_intr_ipl(struct nbm_wlrun *w, char *errbuf, size_t errlen)
{
	const struct nbm_wl_intr *wi;
	const struct wl_src *s;
	u_int i, k;

	for (i = 0; i < w->w_wl.wl_nintr; i++) {
		wi = &w->w_wl.wl_intr[i];
		for (k = 0; k < wi->wi_nsrc; k++) {
			s = &w->w_src[wi->wi_src[k]];
			if (s->s_pool != NULL &&
			    s->s_pool->pr_ipl < wi->wi_intr.ic_ipl) {
				snprintf(errbuf, errlen, "intr[%u].src[%u]: pool "
				    "\"%s\" is at IPL %d, which does not block "
				    "the handler's IPL %d", i, k,
				    s->s_pool->pr_wchan, s->s_pool->pr_ipl,
				    wi->wi_intr.ic_ipl);
				return EINVAL;
			}
		}
	}
	return 0;
}

struct wl_setup {
	struct nbm_wlrun *su_run;
	void		(*su_main)(void *);	/* thread entry */
	char		*su_errbuf;
	size_t		 su_errlen;
	int		 su_error;
	bool		 su_done;
};

/*
 * wl_setup: on a CPU of the machine: create the sources, the soft
 * interrupt, the interrupt sources and the threads.
 */
static void
wl_setup(void *arg)
{
	struct wl_setup *su = arg;
	struct nbm_wlrun *w = su->su_run;
	struct nbm_intr_config ic;
	struct wl_thread *t;
	char name[32];
	u_int i, made;
	int error = 0;

	for (i = 0; i < w->w_wl.wl_nsources && error == 0; i++)
		error = wl_src_create(w, &w->w_src[i], su->su_errbuf,
		    su->su_errlen);
	if (error == 0)
		error = wl_check_intr_ipl(w, su->su_errbuf, su->su_errlen);
	if (error != 0)
		goto fail;
	for (i = 0; i < w->w_nintr; i++)
		if (w->w_wl.wl_intr[i].wi_free == NBM_WLI_FREE_SOFTINT)
			break;
	if (i < w->w_nintr && (w->w_softint = softint_establish(SOFTINT_NET |
	    SOFTINT_MPSAFE, wl_softint, w)) == NULL) {
		snprintf(su->su_errbuf, su->su_errlen, "softint_establish: "
		    "no soft interrupt left on this machine");
		error = ENOMEM;
		goto fail;
	}
	w->w_start_ns = wl_uptime(w);
	if (w->w_wl.wl_stop_ns != 0)
		w->w_end_ns = w->w_start_ns + w->w_wl.wl_stop_ns;
	if (w->w_trace != NULL)
		wl_trace_begin(w);
	for (i = 0; i < w->w_nintr; i++) {
		ic = w->w_wl.wl_intr[i].wi_intr;
		ic.ic_func = wl_intr;
		ic.ic_arg = &w->w_iact[i];
		error = nbm_intr_establish(w->w_m, &ic, &w->w_iact[i].ia_is,
		    name, sizeof(name));
		if (error != 0) {
			snprintf(su->su_errbuf, su->su_errlen, "intr[%u]: %s",
			    i, name);
			atomic_store(&w->w_idown, 1);
			while (i-- > 0)
				nbm_intr_disestablish(w->w_iact[i].ia_is);
			if (w->w_softint != NULL)
				softint_disestablish(w->w_softint);
			goto fail;
		}
	}
	nbm_machine_event(w->w_m, NBM_EV_WORKLOAD, w->w_wl.wl_name,
	    "workload %s started: %u threads on %u CPUs, %u sources, %u "
	    "interrupt sources", w->w_wl.wl_name, w->w_nthreads, w->w_ncpus,
	    w->w_wl.wl_nsources, w->w_nintr);
	for (made = 0; made < w->w_nthreads; made++) {
		t = &w->w_threads[made];
		snprintf(name, sizeof(name), "%.20s/%u", w->w_wl.wl_name,
		    t->t_slot);
		if (nbm_lwp_create(w->w_m, t->t_cpu, name, su->su_main, t,
		    NULL) != 0)
			break;
	}
	if (made == 0) {
		snprintf(su->su_errbuf, su->su_errlen, "nbm_lwp_create: out of "
		    "host memory");
		error = ENOMEM;
		wl_intr_quiesce(w);
		if (w->w_softint != NULL)
			softint_disestablish(w->w_softint);
		goto fail;
	}
	if (made < w->w_nthreads) {
		/* The threads made run the stop protocol among themselves. */
		mutex_enter(&w->w_lock);
		w->w_nactive -= w->w_nthreads - made;
		w->w_nalive -= w->w_nthreads - made;
		mutex_exit(&w->w_lock);
		atomic_store(&w->w_stop, 1);
		snprintf(su->su_errbuf, su->su_errlen, "nbm_lwp_create: out of "
		    "host memory after %u of %u threads", made, w->w_nthreads);
		su->su_error = EAGAIN;
		return;
	}
	su->su_error = 0;
	return;
fail:
	wl_src_destroy_all(w);
	su->su_error = error;
}

static void
wl_setup_lwp(void *arg)
{
	struct wl_setup *su = arg;
	struct nbm_wlrun *w = su->su_run;

	wl_setup(su);
	pthread_mutex_lock(&w->w_hlock);
	su->su_done = true;
	pthread_cond_broadcast(&w->w_hcv);
	pthread_mutex_unlock(&w->w_hlock);
}

static void
wl_host_wait(struct nbm_wlrun *w, uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ns;
	while (ts.tv_nsec >= 1000000000L) {
		ts.tv_nsec -= 1000000000L;
		ts.tv_sec++;
	}
	pthread_mutex_lock(&w->w_hlock);
	pthread_cond_timedwait(&w->w_hcv, &w->w_hlock, &ts);
	pthread_mutex_unlock(&w->w_hlock);
}

/*
 * wl_run_start: set the run up on a CPU and start its threads (entry
 * main).  The calling thread is on a CPU of the machine, or on none; in
 * the latter case it enters a free CPU for the setup, or, when the machine
 * runs in another host thread, has a scheduled thread do it.
 */
int
wl_run_start(struct nbm_wlrun *w, void (*main)(void *), char *errbuf,
    size_t errlen)
{
	struct nbm_machine *m = w->w_m;
	struct cpu_info *ci = nbm_curcpu_tls;
	struct wl_setup su;
	bool done;
	u_int c;
	int error;

	memset(&su, 0, sizeof(su));
	su.su_run = w;
	su.su_main = main;
	su.su_errbuf = errbuf;
	su.su_errlen = errlen;
	if (ci != NULL) {
		if (ci->ci_machine != m) {
			snprintf(errbuf, errlen, "the calling thread is on a "
			    "CPU of another machine");
			return EINVAL;
		}
		if ((error = nbm_machine_try(m, wl_setup, &su)) != 0)
			return error;
		return su.su_error;
	}
	for (c = 0; c < m->m_ncpu; c++) {
		error = nbm_cpu_enter(m, (w->w_cpulist[0] + c) % m->m_ncpu);
		if (error == ENXIO)
			return ENXIO;
		if (error == 0) {
			error = nbm_machine_try(m, wl_setup, &su);
			nbm_cpu_exit();
			return error != 0 ? error : su.su_error;
		}
	}
	/* The machine runs: a thread of it does the setup. */
	if ((error = nbm_lwp_create(m, w->w_cpulist[0], "wl-setup",
	    wl_setup_lwp, &su, NULL)) != 0)
		return error;
	for (;;) {
		pthread_mutex_lock(&w->w_hlock);
		done = su.su_done;
		pthread_mutex_unlock(&w->w_hlock);
		if (done)
			break;
		if (nbm_machine_dead(m))
			return ENXIO;
		error = nbm_machine_run(m, WL_FINISH_SLICE);
		if (error == EBUSY)
			wl_host_wait(w, 10000000ULL);
	}
	return su.su_error;
}

static struct nbm_workload_state *
wl_state(struct nbm_machine *m)
{

	return m->m_workload;
}

/* wl_zalloc_lines: n zeroed elements of size bytes, cache line aligned. */
static void *
wl_zalloc_lines(size_t n, size_t size)
{
	void *p;

	if ((p = aligned_alloc(COHERENCY_UNIT, roundup(n * size,
	    COHERENCY_UNIT))) != NULL)
		memset(p, 0, n * size);
	return p;
}

/*
 * wl_run_create: allocate a run for workload wl (already validated) on
 * machine m: every record, queue and buffer it will use.
 */
int
wl_run_create(struct nbm_machine *m, const struct nbm_workload *wl,
    nbm_trace_sink_t *sink, void *sinkarg, struct nbm_wlrun **wp,
    char *errbuf, size_t errlen)
{
	struct nbm_workload_state *ws = wl_state(m);
	struct nbm_wlrun *w;
	struct wl_thread *t;
	struct wl_iact *ia;
	uint32_t slots;
	u_int c, i, k, n;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return ENOMEM;
	w->w_m = m;
	w->w_wl = *wl;
	w->w_det = m->m_cfg.mode == NBM_MODE_DETERMINISTIC;
	w->w_seed = m->m_cfg.seed * 0x9e3779b97f4a7c15ULL +
	    wl->wl_seed * 0xbf58476d1ce4e5b9ULL + 0x776c;
	atomic_init(&w->w_state, NBM_WLST_RUNNING);
	atomic_init(&w->w_opsleft, wl->wl_stop_ops);
	mutex_init(&w->w_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&w->w_cv, "wlbarr");
	pthread_mutex_init(&w->w_hlock, NULL);
	pthread_cond_init(&w->w_hcv, NULL);
	w->w_cpu = wl_zalloc_lines(m->m_ncpu, sizeof(*w->w_cpu));
	w->w_cpulist = calloc(m->m_ncpu, sizeof(*w->w_cpulist));
	if (w->w_cpu == NULL || w->w_cpulist == NULL)
		goto nomem;
	for (c = 0; c < m->m_ncpu; c++)
		if (wl_cpu_in(&w->w_wl, c)) {
			w->w_cpu[c].wc_in = true;
			w->w_cpu[c].wc_pos = w->w_ncpus;
			w->w_cpulist[w->w_ncpus++] = c;
		}
	for (i = 0; i < wl->wl_nsources; i++) {
		w->w_src[i].s_desc = &w->w_wl.wl_sources[i];
		w->w_src[i].s_kind = wl->wl_sources[i].src_kind;
	}
	/* No operations: allocate from every source alike. */
	if (w->w_wl.wl_nops == 0) {
		for (i = 0; i < wl->wl_nsources; i++)
			w->w_wl.wl_ops[i] = (struct nbm_wl_op){
				.op_kind = NBM_WLOP_ALLOC, .op_src = i,
				.op_weight = 1 };
		w->w_wl.wl_nops = wl->wl_nsources;
	}

	/* Threads: by CPU, then slot. */
	w->w_nthreads = w->w_ncpus * wl->wl_threads;
	w->w_threads = wl_zalloc_lines(w->w_nthreads, sizeof(*w->w_threads));
	if (w->w_threads == NULL)
		goto nomem;
	for (n = 0; n < w->w_nthreads; n++) {
		t = &w->w_threads[n];
		t->t_run = w;
		t->t_index = n;
		t->t_cpu = w->w_cpulist[n / wl->wl_threads];
		t->t_slot = n % wl->wl_threads;
		t->t_rng = w->w_seed ^ ((uint64_t)(n + 1) * 0x94d049bb133111ebULL);
		if (wl_slab_init(&t->t_slab, wl->wl_maxlive) != 0 ||
		    wl_heap_init(&t->t_heap, wl->wl_maxlive) != 0 ||
		    (t->t_live = calloc(NBM_WL_MAXSOURCES,
		    sizeof(*t->t_live))) == NULL)
			goto nomem;
		for (i = 0; i < w->w_wl.wl_nops; i++) {
			slots = w->w_wl.wl_ops[i].op_slots;
			if (slots != 0 && (slots & (1U << t->t_slot)) == 0)
				continue;
			t->t_ops[t->t_nops] = i;
			t->t_cum[t->t_nops] = (t->t_nops > 0 ?
			    t->t_cum[t->t_nops - 1] : 0) +
			    w->w_wl.wl_ops[i].op_weight;
			t->t_nops++;
		}
	}
	w->w_nactive = w->w_nalive = w->w_nthreads;

	/* Interrupt actions: records on every CPU a source may target. */
	w->w_nintr = wl->wl_nintr;
	for (i = 0; i < w->w_nintr; i++) {
		ia = &w->w_iact[i];
		ia->ia_run = w;
		ia->ia_desc = &w->w_wl.wl_intr[i];
		ia->ia_index = i;
		k = ia->ia_desc->wi_maxlive != 0 ? ia->ia_desc->wi_maxlive :
		    WL_HMAXLIVE;
		if ((ia->ia_cpu = wl_zalloc_lines(m->m_ncpu,
		    sizeof(*ia->ia_cpu))) == NULL)
			goto nomem;
		for (c = 0; c < m->m_ncpu; c++) {
			ia->ia_cpu[c].h_act = ia;
			ia->ia_cpu[c].h_cpu = c;
			ia->ia_cpu[c].h_rng = w->w_seed ^
			    ((uint64_t)(i + 1) << 40) ^
			    ((uint64_t)(c + 1) * 0xd1b54a32d192ed03ULL);
			if (wl_slab_init(&ia->ia_cpu[c].h_slab, k) != 0 ||
			    wl_heap_init(&ia->ia_cpu[c].h_heap, k) != 0)
				goto nomem;
		}
	}
	if (sink != NULL && wl_trace_create(w, sink, sinkarg) != 0)
		goto nomem;
	pthread_mutex_lock(&ws->ws_lock);
	w->w_id = ++ws->ws_nextid;
	LIST_INSERT_HEAD(&ws->ws_runs, w, w_list);
	pthread_mutex_unlock(&ws->ws_lock);
	*wp = w;
	return 0;
nomem:
	snprintf(errbuf, errlen, "out of host memory for the run's records");
	wl_run_free(w);
	return ENOMEM;
}

/* wl_run_free: free a run's host memory (not linked on any list). */
void
wl_run_free(struct nbm_wlrun *w)
{
	u_int i, c;

	if (w->w_trace != NULL)
		wl_trace_free(w);
	if (w->w_replay != NULL)
		wl_replay_free(w);
	if (w->w_threads != NULL) {
		for (i = 0; i < w->w_nthreads; i++) {
			free(w->w_threads[i].t_slab.sl_objs);
			free(w->w_threads[i].t_heap.h_a);
			free(w->w_threads[i].t_live);
		}
		free(w->w_threads);
	}
	for (i = 0; i < w->w_nintr; i++) {
		if (w->w_iact[i].ia_cpu == NULL)
			continue;
		for (c = 0; c < w->w_m->m_ncpu; c++) {
			free(w->w_iact[i].ia_cpu[c].h_slab.sl_objs);
			free(w->w_iact[i].ia_cpu[c].h_heap.h_a);
		}
		free(w->w_iact[i].ia_cpu);
	}
	free(w->w_cpu);
	free(w->w_cpulist);
	pthread_mutex_destroy(&w->w_hlock);
	pthread_cond_destroy(&w->w_hcv);
	free(w);
}

/* wl_run_unlink: take a run off the machine's list of live runs. */
static void
wl_run_unlink(struct nbm_wlrun *w, bool grave)
{
	struct nbm_workload_state *ws = wl_state(w->w_m);

	pthread_mutex_lock(&ws->ws_lock);
	LIST_REMOVE(w, w_list);
	if (grave)
		LIST_INSERT_HEAD(&ws->ws_grave, w, w_list);
	pthread_mutex_unlock(&ws->ws_lock);
}

/*
 * wl_run_abandon: a run whose start failed.  If some of its threads run
 * (EAGAIN from wl_run_start), it stays with the machine until shutdown.
 */
void
wl_run_abandon(struct nbm_wlrun *w, int error)
{

	if (error == EAGAIN) {
		wl_run_unlink(w, true);
		return;
	}
	wl_run_unlink(w, false);
	wl_run_free(w);
}

/*
 * The public interface.
 */
int
nbm_workload_start(struct nbm_machine *m, const struct nbm_workload *wl,
    nbm_trace_sink_t *sink, void *sinkarg, struct nbm_wlrun **runp,
    char *errbuf, size_t errlen)
{
	struct nbm_wlrun *w;
	int error;

	if (errlen > 0)
		errbuf[0] = '\0';
	if (nbm_machine_dead(m))
		return ENXIO;
	if ((error = nbm_workload_validate(wl, &m->m_cfg, errbuf,
	    errlen)) != 0)
		return error;
	if ((error = wl_run_create(m, wl, sink, sinkarg, &w, errbuf,
	    errlen)) != 0)
		return error;
	if ((error = wl_run_start(w, wl_thread_main, errbuf, errlen)) != 0) {
		wl_run_abandon(w, error);
		return error == EAGAIN ? ENOMEM : error;
	}
	*runp = w;
	return 0;
}

void
nbm_workload_progress(struct nbm_wlrun *w, struct nbm_workload_progress *wp)
{
	const struct wl_counters *cs[3];
	uint64_t now, done, k;
	u_int i, c;

	memset(wp, 0, sizeof(*wp));
	wp->wp_state = atomic_load(&w->w_state);
	for (i = 0; i < w->w_nthreads; i++) {
		cs[0] = &w->w_threads[i].t_cnt;
		wp->wp_ops += WL_CNT(cs[0], c_ops);
		wp->wp_allocs += WL_CNT(cs[0], c_allocs);
		wp->wp_frees += WL_CNT(cs[0], c_frees);
		wp->wp_fails += WL_CNT(cs[0], c_fails);
		wp->wp_skipped += WL_CNT(cs[0], c_skipped);
		wp->wp_xcpu += WL_CNT(cs[0], c_xcpu);
	}
	for (c = 0; c < w->w_m->m_ncpu; c++) {
		wp->wp_frees += WL_CNT(&w->w_cpu[c].wc_cnt, c_frees);
		for (i = 0; i < w->w_nintr; i++) {
			cs[1] = &w->w_iact[i].ia_cpu[c].h_cnt;
			k = WL_CNT(cs[1], c_allocs);
			wp->wp_allocs += k;
			wp->wp_intr_allocs += k;
			wp->wp_frees += WL_CNT(cs[1], c_frees);
			wp->wp_fails += WL_CNT(cs[1], c_fails);
			wp->wp_intr_fails += WL_CNT(cs[1], c_fails);
			wp->wp_intr_skipped += WL_CNT(cs[1], c_skipped);
			wp->wp_xcpu += WL_CNT(cs[1], c_xcpu);
			wp->wp_intr += WL_CNT(cs[1], c_intr);
		}
	}
	wp->wp_live = wp->wp_allocs - MIN(wp->wp_frees, wp->wp_allocs);
	done = atomic_load(&w->w_done_ns);
	now = done != 0 ? done : wl_uptime(w);
	wp->wp_elapsed_ns = now > w->w_start_ns ? now - w->w_start_ns : 0;
	if (wp->wp_elapsed_ns > 0)
		wp->wp_ops_per_sec = (double)wp->wp_ops * 1e9 /
		    (double)wp->wp_elapsed_ns;
	/* A run stopped early keeps what it had left: how far it got. */
	if (w->w_wl.wl_stop_ops > wp->wp_ops)
		wp->wp_remaining_ops = w->w_wl.wl_stop_ops - wp->wp_ops;
	if (w->w_end_ns > now)
		wp->wp_remaining_ns = w->w_end_ns - now;
	if (w->w_trace != NULL)
		wl_trace_counts(w, &wp->wp_trace_lines, &wp->wp_trace_dropped);
}

void
nbm_workload_stop(struct nbm_wlrun *w)
{

	/* Handlers stand down at once, so that threads get to run. */
	atomic_store(&w->w_stop, 1);
	atomic_store(&w->w_istop, 1);
}

int
nbm_workload_finish(struct nbm_wlrun *w, struct nbm_workload_progress *final)
{
	struct nbm_machine *m = w->w_m;
	bool ran = false;
	int error = 0, e;

	if (nbm_curcpu_tls != NULL)
		return EDEADLK;
	nbm_workload_stop(w);
	while (atomic_load(&w->w_state) != NBM_WLST_DONE) {
		if (nbm_machine_dead(m)) {
			error = ENOTRECOVERABLE;
			break;
		}
		e = nbm_machine_run(m, WL_FINISH_SLICE);
		if (e == EBUSY) {
			wl_host_wait(w, 10000000ULL);
			continue;
		}
		ran = true;
		if (e == ENOTRECOVERABLE) {
			error = e;
			break;
		}
		if (e == 0 && atomic_load(&w->w_state) != NBM_WLST_DONE) {
			/* Every thread exited, yet the run is not done. */
			error = EIO;
			break;
		}
	}
	/* Free the memory only if no host thread can run the CPUs now. */
	if (!ran && nbm_cpu_enter(m, 0) == 0) {
		nbm_cpu_exit();
		ran = true;
	}
	if (final != NULL)
		nbm_workload_progress(w, final);
	wl_run_unlink(w, !ran);
	if (ran)
		wl_run_free(w);
	return error;
}

/*
 * Boot step: the machine's list of runs.
 */
static int
workload_init(struct nbm_machine *m)
{
	struct nbm_workload_state *ws;

	if ((ws = calloc(1, sizeof(*ws))) == NULL)
		return ENOMEM;
	pthread_mutex_init(&ws->ws_lock, NULL);
	LIST_INIT(&ws->ws_runs);
	LIST_INIT(&ws->ws_grave);
	m->m_workload = ws;
	return 0;
}

static void
workload_fini(struct nbm_machine *m)
{
	struct nbm_workload_state *ws = m->m_workload;
	struct nbm_wlrun *w;

	if (ws == NULL)
		return;
	while ((w = LIST_FIRST(&ws->ws_runs)) != NULL) {
		LIST_REMOVE(w, w_list);
		wl_run_free(w);
	}
	while ((w = LIST_FIRST(&ws->ws_grave)) != NULL) {
		LIST_REMOVE(w, w_list);
		wl_run_free(w);
	}
	pthread_mutex_destroy(&ws->ws_lock);
	free(ws);
	m->m_workload = NULL;
}

const struct nbm_bootstep nbm_bootstep_workload = {
	"workload", workload_init, workload_fini
};
