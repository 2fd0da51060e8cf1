/*
 * nbm_impl.h: the internal umbrella header of libnbmem.
 *
 * It defines the simulated machine (struct nbm_machine), its CPUs
 * (struct cpu_info) and threads (struct lwp), the kernel-style helper
 * macros the allocator files use (KASSERT, KASSERTMSG, __predict_false,
 * roundup, ...), and the entry points by which one subsystem reaches
 * another.  Nothing here is installed; programs outside libnbmem see only
 * include/nbmem/.
 *
 * Invariants:
 *  - every allocator entry point runs on a CPU: curcpu() is never NULL
 *    inside the library (the public wrappers check once, at the top);
 *  - each subsystem keeps its per-machine state in its own structure,
 *    reached through a pointer in struct nbm_machine, so that the machine
 *    structure does not change when a subsystem does.
 */
#ifndef NBM_IMPL_H
#define NBM_IMPL_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include <nbmem/nbmem.h>

#include "nbm_queue.h"

/*
 * Compiler and arithmetic helpers, as in NetBSD's <sys/cdefs.h> and
 * <sys/param.h>.
 */
#define __predict_true(x)	__builtin_expect(!!(x), 1)
#define __predict_false(x)	__builtin_expect(!!(x), 0)
#define __unused		__attribute__((__unused__))
#define __noinline		__attribute__((__noinline__))
#define __cacheline_aligned	__attribute__((__aligned__(COHERENCY_UNIT)))
#define __printflike(a, b)	__attribute__((__format__(__printf__, a, b)))
#define __dead			__attribute__((__noreturn__))
#define __DECONST(t, v)	((t)(uintptr_t)(const void *)(v))
#define __BIT(n)		((uint64_t)1 << (n))
#define __arraycount(a)		(sizeof(a) / sizeof((a)[0]))

#define COHERENCY_UNIT		64	/* amd64 */
#define CACHE_LINE_SIZE		64
#define ALIGNBYTES		(sizeof(long) - 1)
#define ALIGN(p)		(((uintptr_t)(p) + ALIGNBYTES) & ~ALIGNBYTES)

#ifndef MIN
#define MIN(a, b)		((a) < (b) ? (a) : (b))
#define MAX(a, b)		((a) > (b) ? (a) : (b))
#endif
#define roundup(x, y)		((((x) + ((y) - 1)) / (y)) * (y))
#define rounddown(x, y)		(((x) / (y)) * (y))
#define roundup2(x, m)		(((x) + ((m) - 1)) & ~((m) - 1))
#define rounddown2(x, m)	((x) & ~((m) - 1))
#define powerof2(x)		((((x) - 1) & (x)) == 0)
#define howmany(x, y)		(((x) + ((y) - 1)) / (y))

static inline unsigned int
ilog2(uint64_t x)
{

	return 63 - (unsigned int)__builtin_clzll(x);
}

/*
 * Physical pages (uvm_page.c).
 */
#define NBM_PG_FREE	0	/* on the free list */
#define NBM_PG_KMEM	1	/* uvm_km_kmem_alloc: kmem arenas, pools */
#define NBM_PG_KMAP	2	/* uvm_km_alloc(UVM_KMF_WIRED) */
#define NBM_PG_PAGEABLE	3	/* pageable kernel memory, faulted in */
#define NBM_PG_OTHER	4	/* any other caller of uvm_pagealloc */

struct vm_page {
	paddr_t		pg_phys_addr;	/* physical address */
	struct vm_page	*pg_next;	/* free list link */
	uint8_t		pg_usage;	/* NBM_PG_* */
	uint8_t		pg_flags;	/* PG_* */
};

#define PG_ZERO		0x01	/* known to be zero-filled */

struct vm_page	*uvm_pagealloc_usage(struct nbm_machine *, int usage,
		    int flags);
void		 uvm_pagefree(struct vm_page *);
struct vm_page	*uvm_phys_to_vm_page(struct nbm_machine *, paddr_t);
bool		 uvm_page_shortage(struct nbm_machine *, int flags);
void		 uvm_wait(const char *);
void		 uvm_kick_pdaemon(void);

/*
 * Host memory (host.c): the only file that calls mmap/mprotect and handles
 * host signals.
 */
int	nbm_host_reserve(size_t size, size_t align, void **basep);
void	nbm_host_release(void *base, size_t size);
int	nbm_host_map(void *va, size_t size);	/* PROT_READ|PROT_WRITE */
int	nbm_host_unmap(void *va, size_t size);	/* PROT_NONE, pages dropped */
void	nbm_host_discard(void *va, size_t size); /* drop pages, keep mapping */
size_t	nbm_host_pagesize(void);
uint64_t nbm_host_monotonic_ns(void);
void	nbm_host_fault_init(void);
int	nbm_host_stack_alloc(size_t size, void **stackp);
void	nbm_host_stack_free(void *stack, size_t size);
int	nbm_host_register(struct nbm_machine *);
void	nbm_host_unregister(struct nbm_machine *);

/*
 * Threads.  Every host thread that enters a CPU gets an lwp; soft
 * interrupts and workload threads are lwps as well.
 */
struct lwp {
	struct cpu_info	*l_cpu;		/* CPU it runs on */
	struct nbm_machine *l_machine;	/* machine it belongs to */
	const char	*l_name;	/* for deadlock reports */
	const char	*l_wchan;	/* wait message while asleep */
	int		 l_pflag;	/* LP_* */
	int		 l_nopreempt;	/* non-zero: may not sleep */
	struct nbm_tryframe *l_try;	/* innermost nbm_machine_try */

	/* Scheduled threads (kern_sched.c); zero for host threads. */
	int		 l_stat;	/* LS* */
	int		 l_flag;	/* LW_* */
	u_int		 l_lid;		/* thread id, from 1 */
	char		 l_namebuf[32];	/* storage for l_name */
	void		*l_sp;		/* saved stack pointer */
	void		*l_stack;	/* stack base (lowest address) */
	size_t		 l_stacksize;	/* usable stack bytes */
	void		(*l_fn)(void *); /* entry */
	void		*l_arg;
	const void	*l_wchanobj;	/* object slept on */
	uint64_t	 l_timeout;	/* wakeup time (uptime ns), 0: none */
	bool		 l_timedout;	/* woken by its timeout */
	TAILQ_ENTRY(lwp) l_runq;	/* run queue link */
	TAILQ_ENTRY(lwp) l_sleepq;	/* sleep queue link */
	LIST_ENTRY(lwp)	 l_list;	/* machine's thread list */
	void		*l_asan_fake;	/* ASan fake stack while away */
	void		*l_tsan_fiber;	/* TSan fiber */
};

#define LP_INTR		0x01	/* soft interrupt thread */

/* l_stat, NetBSD's values */
#define LSIDL		1	/* being created */
#define LSRUN		2	/* runnable, on a run queue */
#define LSSLEEP		3	/* asleep on l_wchanobj */
#define LSZOMB		5	/* exited */
#define LSONPROC	7	/* running */

/* l_flag */
#define LW_SCHED	0x01	/* a scheduled thread with its own stack */
#define LW_SYSTEM	0x02	/* kernel thread, not counted as work */

/*
 * Scheduler hooks for mutex(9) and condvar(9) (kern_sched.c).  Only
 * scheduled threads (LW_SCHED) sleep through the scheduler; host threads
 * that entered a CPU wait on host futexes.
 */
static inline bool
nbm_lwp_sched_p(const struct lwp *l)
{

	return l != NULL && (l->l_flag & LW_SCHED) != 0;
}

int	nbm_lwp_create_system(struct nbm_machine *, u_int cpu, const char *,
	    void (*)(void *), void *, struct lwp **);
void	nbm_pdaemon_start(struct nbm_machine *);
int	nbm_sched_sleep(const void *wchanobj, const char *wmesg,
	    kmutex_t *interlock, uint64_t timeout_ns);
int	nbm_sched_mutex_wait(kmutex_t *);
void	nbm_sched_wakeup(struct nbm_machine *, const void *wchanobj);

/*
 * CPU state.  Fields marked (c) are only touched by the CPU itself (and by
 * interrupts it takes); (a) fields are atomics read by others.
 */
struct cpu_info {
	struct nbm_machine *ci_machine;	/* (i) owning machine */
	u_int		 ci_index;	/* (i) CPU number */
	volatile int	 ci_ilevel;	/* (c) current IPL */
	volatile int	 ci_idepth;	/* (c) hard interrupt depth, -1 none */
	volatile int	 ci_sdepth;	/* (c) soft interrupt depth */
	int		 ci_mtx_count;	/* (c) spin mutexes held */
	int		 ci_mtx_oldspl;	/* (c) IPL before the first one */
	volatile uint32_t ci_ipending;	/* (a) pending interrupt levels */
	struct lwp	*ci_curlwp;	/* (c) thread running here */
	_Atomic(uintptr_t) ci_occupant;	/* (a) host thread on this CPU */
	uint64_t	 ci_nintr;	/* (c) interrupts taken */
	_Atomic(int)	 ci_hostlock;	/* (a) guards ci_hostthread */
	bool		 ci_hostvalid;	/* host thread on the CPU */
	pthread_t	 ci_hostthread;	/* it, for interrupt signals */
} __cacheline_aligned;

/*
 * The machine.
 */
struct nbm_tryframe {
	sigjmp_buf		 tf_jb;		/* where to resume */
	struct nbm_tryframe	*tf_prev;	/* outer frame */
	struct nbm_machine	*tf_machine;	/* machine it guards */
};

struct nbm_machine {
	struct nbm_config m_cfg;	/* (i) configuration as booted */
	u_int		 m_serial;	/* (i) boot serial number */
	u_int		 m_ncpu;	/* (i) CPUs */
	struct cpu_info	**m_cpus;	/* (i) CPU array */

	/* Page arithmetic. */
	size_t		 m_pagesize;	/* (i) PAGE_SIZE */
	u_int		 m_pageshift;	/* (i) PAGE_SHIFT */
	size_t		 m_pagemask;	/* (i) PAGE_MASK */

	/* Panics and printing. */
	_Atomic(int)	 m_dead;	/* panicked */
	_Atomic(int)	 m_panicking;	/* a panic is being raised */
	char		 m_panicmsg[1024]; /* first panic's message */
	nbm_panic_hook_t *m_panic_hook;	/* NULL: print and abort */
	void		*m_panic_arg;
	nbm_print_hook_t *m_print_hook;	/* NULL: stderr */
	void		*m_print_arg;
	_Atomic(int)	 m_print_lock;	/* serialises the print hook */

	/* Time. */
	uint64_t	 m_boot_ns;	/* (i) host monotonic time at boot */
	_Atomic(uint64_t) m_vtime_ns;	/* virtual time (deterministic) */

	/* Host memory: kernel VA and the direct map. */
	char		*m_kva_base;	/* (i) first kernel VA */
	size_t		 m_kva_size;	/* (i) bytes of kernel VA */
	char		*m_dmap_base;	/* (i) direct map of physical 0 */
	size_t		 m_dmap_size;	/* (i) bytes of direct map */
	_Atomic(uint64_t) *m_pmap;	/* per kernel VA page: pa | PME_* */

	/* Physical memory. */
	struct vm_page	*m_pages;	/* (i) managed pages */
	size_t		 m_npages;	/* (i) number of them */
	kmutex_t	 m_pglock;	/* free list and counters */
	kcondvar_t	 m_pgcv;	/* uvm_wait sleeps here */
	struct vm_page	*m_pgfree;	/* free list, LIFO */
	struct nbm_uvmexp m_uvmexp;	/* counters (m_pglock) */

	/* Boot arenas and maps (uvm_km.c). */
	struct vm_map	*m_kernel_map;	/* kernel_map */
	vaddr_t		 m_kmembase;	/* kmem_arena span */
	vsize_t		 m_kmemsize;
	vmem_t		*m_kmem_arena;	/* "kmem" */
	vmem_t		*m_kmem_va_arena; /* "kva" */
	vmem_t		*m_kmem_meta_arena; /* "vmem-meta" */
	vmem_t		*m_kmem_va_meta_arena; /* "vmem-va" */

	/* Per-subsystem state, each owned by its file. */
	struct nbm_vmem_state	*m_vmem;	/* subr_vmem.c */
	struct nbm_extent_state	*m_extent;	/* subr_extent.c */
	struct nbm_bus_state	*m_bus;		/* x86_bus_space.c */
	struct nbm_uvmkm_state	*m_uvmkm;	/* uvm_km.c */
	struct nbm_pool_state	*m_pool;	/* subr_pool.c */
	struct nbm_kmem_state	*m_kmem;	/* subr_kmem.c */
	struct nbm_intr_state	*m_intr;	/* intr.c */
	struct nbm_sched_state	*m_sched;	/* kern_sched.c */
	struct nbm_pdaemon_state *m_pdaemon;	/* uvm_pdaemon.c */
	struct nbm_workload_state *m_workload;	/* workload.c */

	/* Events (kern_machine.c). */
	struct nbm_event *m_events;	/* ring of NBM_EVENTS_MAX */
	uint64_t	 m_evseq;	/* last sequence number */
	_Atomic(int)	 m_evlock;	/* serialises the ring */

	struct nbm_machine *m_hostnext;	/* host.c registry */
};

/*
 * m_pmap entries, one per kernel VA page: the physical address of the page
 * mapped there, or'ed with these flags; 0 when nothing is mapped.
 */
#define PME_VALID	0x01	/* a page is mapped */
#define PME_PAGEABLE	0x02	/* pageable memory: demand-zero on fault */
#define PME_MANAGED	0x04	/* pa is a managed (RAM) page */
#define PME_FLAGS	0x07

/*
 * The calling thread's CPU and lwp.
 */
extern __thread struct cpu_info *nbm_curcpu_tls
    __attribute__((tls_model("initial-exec")));
extern __thread struct lwp *nbm_curlwp_tls
    __attribute__((tls_model("initial-exec")));

__dead void nbm_nocpu_panic(const char *);

/*
 * nbm_curcpu_fn: the calling thread's CPU; fn names the entry point for
 * the panic message of a thread without one.
 */
static inline struct cpu_info *
nbm_curcpu_fn(const char *fn)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	if (__predict_false(ci == NULL))
		nbm_nocpu_panic(fn);
	return ci;
}
#define curcpu()	nbm_curcpu_fn("curcpu")
#define curlwp		(nbm_curlwp_tls)

/*
 * NBM_CURMACHINE: the machine of the calling thread.  fn names the public
 * entry point for the panic message of a thread without a CPU.
 */
static inline struct nbm_machine *
nbm_curmachine_fn(const char *fn)
{

	return nbm_curcpu_fn(fn)->ci_machine;
}
#define NBM_CURMACHINE()	nbm_curmachine_fn(__func__)

static inline bool
nbm_opt(const struct nbm_machine *m, u_int opt)
{

	return (m->m_cfg.options & opt) != 0;
}

/*
 * Panics and assertions.  KASSERT and KASSERTMSG evaluate their condition
 * always (it is cheap) but panic only on machines booted with DIAGNOSTIC,
 * as a kernel built without DIAGNOSTIC would carry on.  The message is
 * NetBSD's kern_assert() text:
 *   kernel diagnostic assertion "cond" failed: file "f.c", line N msg
 */
__dead void nbm_panic(struct nbm_machine *, const char *, ...)
    __printflike(2, 3);
void	nbm_vpanic(struct nbm_machine *, const char *, va_list)
    __attribute__((__noreturn__));
void	nbm_kassert_fail(const char *, const char *, const char *, int,
	    const char *, ...) __printflike(5, 6);
bool	nbm_diagnostic(void);

#define KASSERTMSG(e, msg, ...) do {					\
	if (__predict_false(!(e)))					\
		nbm_kassert_fail("diagnostic ", #e, __FILE__, __LINE__,	\
		    msg, ##__VA_ARGS__);				\
} while (0)
#define KASSERT(e) do {							\
	if (__predict_false(!(e)))					\
		nbm_kassert_fail("diagnostic ", #e, __FILE__, __LINE__,	\
		    "%s", "");						\
} while (0)
/* KDASSERT: DEBUG-only assertions. */
#define KDASSERT(e)	KASSERT(e)
#define CTASSERT(e)	_Static_assert(e, #e)

/* Kernel printf: through the machine's print hook. */
void	kprintf(const char *, ...) __printflike(1, 2);
void	nbm_mprintf(struct nbm_machine *, const char *, ...) __printflike(2, 3);
void	nbm_vmprintf(struct nbm_machine *, const char *, va_list);
void	nbm_print_pr(const char *, ...) __printflike(1, 2);

/*
 * Context checks shared by the allocators (spec 4.3).
 */
void	assert_sleepable(void);
#define ASSERT_SLEEPABLE() do {						\
	if (nbm_opt(curcpu()->ci_machine, NBM_OPT_DEBUG))		\
		assert_sleepable();					\
} while (0)

/*
 * Fast spl for the allocator hot paths.  splx() runs pending interrupts
 * unmasked by the lower level (intr.c).
 */
void	nbm_intr_dispatch(struct cpu_info *, int);

static inline int
splraise_inline(struct cpu_info *ci, int ipl)
{
	int s = ci->ci_ilevel;

	if (ipl > s)
		ci->ci_ilevel = ipl;
	atomic_signal_fence(memory_order_seq_cst);
	return s;
}

static inline void
splx_inline(struct cpu_info *ci, int s)
{

	atomic_signal_fence(memory_order_seq_cst);
	ci->ci_ilevel = s;
	atomic_signal_fence(memory_order_seq_cst);
	if (__predict_false(__atomic_load_n(&ci->ci_ipending,
	    __ATOMIC_RELAXED) >> (s + 1)))
		nbm_intr_dispatch(ci, s);
}

/*
 * Time.
 */
uint64_t nbm_uptime_ns(struct nbm_machine *);

/*
 * Interrupt delivery (intr.c): a host thread that starts or stops running
 * a CPU registers itself, so that the interrupt generator can signal it.
 */
void	nbm_intr_cpu_attach(struct cpu_info *);
void	nbm_intr_cpu_detach(struct cpu_info *);
void	nbm_intr_det_charge(struct nbm_machine *, struct cpu_info *);
void	nbm_intr_det_deliver(struct nbm_machine *, uint64_t now);
uint64_t nbm_intr_next_arrival(struct nbm_machine *);
void	nbm_intr_cpu_pending(struct cpu_info *);

/*
 * Kernel VA bookkeeping (pmap.c).
 */
static inline bool
nbm_kva_p(const struct nbm_machine *m, vaddr_t va)
{

	return va >= (vaddr_t)m->m_kva_base &&
	    va - (vaddr_t)m->m_kva_base < m->m_kva_size;
}

static inline size_t
nbm_kva_index(const struct nbm_machine *m, vaddr_t va)
{

	return (va - (vaddr_t)m->m_kva_base) >> m->m_pageshift;
}

void	nbm_pmap_kenter_pages(struct nbm_machine *, vaddr_t, struct vm_page **,
	    size_t, int);
void	nbm_pmap_set_pageable(struct nbm_machine *, vaddr_t, vsize_t, bool);
void	nbm_pmap_kremove_pages(struct nbm_machine *, vaddr_t, vsize_t,
	    struct vm_page **);
vaddr_t	nbm_pmap_direct_va(struct nbm_machine *, paddr_t);
int	nbm_pmap_fault(struct nbm_machine *, vaddr_t);

/*
 * Boot steps.  Each subsystem supplies its own; nbm_machine_boot() calls
 * them in NetBSD's order with the booting thread on cpu0, and shutdown
 * calls the fini functions in reverse.
 */
struct nbm_bootstep {
	const char	*bs_name;
	int		(*bs_init)(struct nbm_machine *);
	void		(*bs_fini)(struct nbm_machine *);
};
extern const struct nbm_bootstep *const nbm_bootsteps[];
extern const size_t nbm_nbootsteps;

void	nbm_boot_seterror(const char *, ...) __printflike(1, 2);

/* Small deterministic PRNG (splitmix64 / xoshiro-free). */
static inline uint64_t
nbm_rand64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * vmem (subr_vmem.c): the machine's arenas, for the statistics layer and
 * the fini functions of boot steps.
 *
 * nbm_vmem_foreach calls fn for every arena of the machine with the
 * machine's arena list locked: fn may read an arena (nbm_vmem_getstat,
 * nbm_vmem_walk) but not create or destroy one.  nbm_vmem_walk calls fn
 * for every tag in segment-list order (spans first, then their segments)
 * with the arena locked: fn must not call into that arena.
 * nbm_vmem_teardown frees an arena's tags and hash without locking or
 * checking anything, for fini functions of a machine being shut down
 * (possibly after a panic); it unlinks the arena from the machine's list.
 * nbm_vmem_btag_evcnt reads the "vmem" event counters static_bt_count and
 * static_bt_inuse (the static boot tags, and those in arenas now).
 * nbm_vmem_import and nbm_vmem_release are vmem_alloc and vmem_free in the
 * shapes of vmem_import_t and vmem_release_t, for an arena importing from
 * another (NetBSD passes vmem_alloc and vmem_free with a cast).
 */
void	nbm_vmem_foreach(struct nbm_machine *, void (*)(vmem_t *, void *),
	    void *);
void	nbm_vmem_getstat(vmem_t *, struct nbm_vmem_stat *);
void	nbm_vmem_walk(vmem_t *, void (*)(vmem_addr_t, vmem_size_t, int,
	    void *), void *);
void	nbm_vmem_teardown(vmem_t *);
void	nbm_vmem_btag_evcnt(struct nbm_machine *, uint64_t *, uint64_t *);
int	nbm_vmem_import(void *, vmem_size_t, vm_flag_t, vmem_addr_t *);
void	nbm_vmem_release(void *, vmem_addr_t, vmem_size_t);

/*
 * extent(9) (subr_extent.c): the machine's extents, for listings and
 * statistics, and the descriptors taken from the "extent" pool.
 */
void	nbm_extent_foreach(struct nbm_machine *,
	    void (*)(struct extent *, void *), void *);
uint64_t nbm_extent_pool_nout(struct nbm_machine *);

/*
 * x86 machdep (x86_bus_space.c), acting on the calling CPU's machine:
 * (re)create ioport_ex and iomem_ex, enter the memory map into iomem_ex,
 * and allow EX_MALLOCOK.  Boot calls them; tests may call them again.
 */
void	x86_bus_space_init(void);
void	init_x86_clusters(void);
void	x86_bus_space_mallocok(void);

/*
 * Pools (subr_pool.c): the kern.pool records and the per-CPU counters of
 * the pool caches, for the statistics readers (the caller runs on a CPU
 * of the machine or observes it), and the shutdown hook of the
 * per-machine pool state.
 */
size_t	nbm_pool_sysctl(struct nbm_machine *, struct pool_sysctl *, size_t);
size_t	nbm_pool_cachecpu(struct nbm_machine *, struct nbm_cachecpu_stats *,
	    size_t);
void	nbm_pool_cache_cpustat(pool_cache_t, u_int, uint64_t *hits,
	    uint64_t *misses, uint64_t *pcmisses, uint64_t *contended,
	    int64_t *nfull, int64_t *npart);
void	nbm_pool_fini(struct nbm_machine *);

#endif /* NBM_IMPL_H */
