/*
 * nbmem/machine.h: the simulated machine -- configuration, boot, CPUs,
 * panics, printing, time and page arithmetic.
 *
 * A machine is a set of simulated CPUs, a fixed amount of simulated physical
 * memory in pages of a configurable size, a kernel virtual address space
 * backed by real host memory, I/O port and memory maps, and the allocator
 * stack NetBSD builds at boot (vmem arenas, uvm_km, pools, kmem).  All of its
 * state hangs off one struct nbm_machine; a process may boot several
 * machines, one after the other or at the same time.
 *
 * A host thread becomes a CPU of a machine with nbm_cpu_enter(); from then
 * on every allocator call it makes (kmem_alloc, pool_get, vmem_alloc, ...)
 * acts on that machine.  A thread that entered no CPU and calls the
 * allocator API gets a clear panic naming the function, not a crash.
 *
 * Panics: a violated kernel invariant, or a condition under which NetBSD
 * panics, formats NetBSD's message, marks the machine dead and calls the
 * machine's panic hook.  The default hook prints "panic: <message>" on
 * standard error and aborts the process.  A hook may instead record the
 * message and return; control then goes back to the innermost
 * nbm_machine_try() of the calling thread, which returns ENOTRECOVERABLE.
 * If the thread has no such frame, the process aborts: the library never
 * continues running kernel code past a panic.
 *
 * Page faults: a load or store to kernel virtual memory that is not mapped
 * (a freed page, a guard page) is a simulated page fault.  The machine
 * panics with the faulting address, as a NetBSD kernel does on a fatal
 * supervisor-mode fault; the host process survives it when the hook returns
 * into an nbm_machine_try() frame.
 */
#ifndef NBMEM_MACHINE_H
#define NBMEM_MACHINE_H

#include <nbmem/types.h>
#include <nbmem/intr.h>
#include <nbmem/mutex.h>

struct nbm_machine;

#define NBM_NCPU_MAX		256
#define NBM_PAGE_SIZE_MIN	4096
#define NBM_PAGE_SIZE_MAX	65536
#define NBM_PHYSMEM_MIN		(4ULL << 20)	/* 4 MiB */
#define NBM_PHYSMEM_MAX		(256ULL << 30)	/* 256 GiB */
#define NBM_MEMMAP_MAX		32
#define NBM_IOPORT_MAX		32

/* Execution modes (nbm_config.mode). */
#define NBM_MODE_PARALLEL	0	/* a host thread per CPU, wall time */
#define NBM_MODE_DETERMINISTIC	1	/* seeded interleaving, virtual time */

/*
 * Debug options (nbm_config.options), each off by default as in a release
 * GENERIC kernel.  They mirror NetBSD kernel options:
 *	DIAGNOSTIC	KASSERT checks; also enables POOL_CHECK_MAGIC
 *	DEBUG		ASSERT_SLEEPABLE and the other DEBUG-only checks
 *	KMEM_SIZE	size footer on kmem allocations, checked at free
 *	KMEM_REDZONE	redzone after each kmem allocation, checked at free
 *	KMEM_GUARD	each kmem allocation on its own pages before an unmapped
 *			guard page; freed pages go through a quarantine
 *	POOL_REDZONE	redzone after each pool item, checked at put
 */
#define NBM_OPT_DIAGNOSTIC	0x0001
#define NBM_OPT_DEBUG		0x0002
#define NBM_OPT_KMEM_SIZE	0x0004
#define NBM_OPT_KMEM_REDZONE	0x0008
#define NBM_OPT_KMEM_GUARD	0x0010
#define NBM_OPT_POOL_REDZONE	0x0020
#define NBM_OPT_ALL		0x003f

/*
 * Types of memory map entries (nbm_config.memmap), as in the x86 BIOS/EFI
 * memory map.  RAM, ACPI and NVS ranges are reserved in iomem_ex at boot, as
 * x86_add_cluster() does; RESERVED ranges (firmware, device windows such as
 * the local APIC) are reserved as well, as their drivers would at attach.
 * Only RAM becomes managed physical pages.
 */
#define NBM_MEM_RAM		1
#define NBM_MEM_RESERVED	2
#define NBM_MEM_ACPI		3
#define NBM_MEM_NVS		4

struct nbm_range {
	uint64_t	r_start;	/* first address */
	uint64_t	r_size;		/* bytes (or ports) */
	int		r_type;		/* NBM_MEM_* (memory map only) */
	char		r_name[24];	/* label, for listings */
};

/*
 * Machine configuration.  nbm_config_init() fills in the documented
 * defaults: a 4-CPU amd64-like machine with 4 KiB pages and 256 MiB of RAM,
 * hz 100, parallel mode, seed 0, no debug options, the amd64 direct map, and
 * the legacy PC I/O port reservations.
 */
struct nbm_config {
	u_int		ncpu;		/* CPUs, 1..256 */
	size_t		page_size;	/* power of two, 4 KiB..64 KiB */
	uint64_t	physmem;	/* bytes of RAM, multiple of page_size */
	u_int		hz;		/* clock ticks per second, 1..10000 */
	uint64_t	seed;		/* seed of every random choice */
	int		mode;		/* NBM_MODE_* */
	u_int		options;	/* NBM_OPT_* */
	u_int		kmem_guard_depth; /* KMEM_GUARD quarantine, in pages */
	u_int		pool_inactive_time; /* seconds a page idles before
					   pool_reclaim frees it */
	bool		direct_map;	/* single pages via a direct map
					   (PMAP_MAP_POOLPAGE, amd64) */
	uint64_t	iomem_max;	/* MAXIOMEM: last I/O memory address */
	uint64_t	kva_size;	/* kernel VA bytes; 0 = derived */
	u_int		nmemmap;	/* entries in memmap; 0 = PC layout */
	struct nbm_range memmap[NBM_MEMMAP_MAX];
	u_int		nioport;	/* port ranges reserved at boot */
	struct nbm_range ioport[NBM_IOPORT_MAX];
};

/*
 * nbm_config_init: fill a configuration with the defaults above.
 */
void	nbm_config_init(struct nbm_config *);

/*
 * nbm_config_validate: check a configuration without booting it.
 *
 * => returns 0, or EINVAL with a message in errbuf that names the bad field,
 *    its value and the accepted range, e.g.
 *    "page_size 3000: must be a power of two between 4096 and 65536".
 */
int	nbm_config_validate(const struct nbm_config *, char *errbuf,
	    size_t errlen);

/*
 * nbm_machine_boot: validate the configuration and boot a machine: its
 * physical pages, kernel address space, the vmem arenas NetBSD builds at
 * boot, uvm_km, the I/O port and memory extents, pools and kmem.
 *
 * => returns 0 and the machine in *mp, or EINVAL (bad configuration) or
 *    ENOMEM (the host could not reserve the address space); the reason is
 *    then available from nbm_boot_error() in the same thread.
 * => the calling thread is not left on any CPU of the new machine.
 */
int	nbm_machine_boot(const struct nbm_config *, struct nbm_machine **mp);
const char *nbm_boot_error(void);

/*
 * nbm_machine_shutdown: free every resource of the machine.  Allowed on a
 * dead (panicked) machine; no thread may be on one of its CPUs.
 */
void	nbm_machine_shutdown(struct nbm_machine *);

/*
 * nbm_cpu_enter: make the calling thread run as CPU `cpu' of the machine.
 *
 * => returns 0; EINVAL if cpu >= ncpu; EBUSY if another thread runs on that
 *    CPU; EALREADY if the calling thread already runs on a CPU; ENXIO if the
 *    machine has panicked.
 */
int	nbm_cpu_enter(struct nbm_machine *, u_int cpu);

/*
 * nbm_cpu_exit: leave the CPU entered with nbm_cpu_enter().  The CPU's
 * level must be back at IPL_NONE and no spin mutex may be held.
 */
void	nbm_cpu_exit(void);

/* The machine of the calling thread's CPU, or NULL. */
struct nbm_machine *nbm_curmachine(void);

const struct nbm_config *nbm_machine_config(const struct nbm_machine *);
u_int	nbm_ncpu(void);

/*
 * Panic and print hooks.  The panic hook receives the panic message
 * (NetBSD's words, without the "panic: " prefix); the print hook receives
 * everything the machine prints (extent_print, vmem dumps, warnings such as
 * a pool's hard-limit message), one complete line or block per call.
 * Either hook may be NULL to restore the default (print to stderr; for
 * panics, then abort).
 */
typedef void nbm_panic_hook_t(struct nbm_machine *, const char *msg, void *);
typedef void nbm_print_hook_t(struct nbm_machine *, const char *text, void *);

void	nbm_machine_set_panic_hook(struct nbm_machine *, nbm_panic_hook_t *,
	    void *);
void	nbm_machine_set_print_hook(struct nbm_machine *, nbm_print_hook_t *,
	    void *);

/*
 * nbm_nocpu_hook: process-wide hook for a panic raised by a thread that
 * entered no CPU (so no machine is known).  The default prints and aborts.
 * A hook that returns makes the innermost nbm_machine_try() of the thread
 * return ENOTRECOVERABLE, or aborts when there is none.
 */
typedef void nbm_nocpu_hook_t(const char *msg, void *);
void	nbm_set_nocpu_hook(nbm_nocpu_hook_t *, void *);

/*
 * nbm_machine_try: run fn(arg) on the calling thread and catch a panic.
 *
 * => returns 0 if fn returned normally, or ENOTRECOVERABLE if the machine
 *    (or, for a thread without a CPU, the process-wide hook) panicked and the
 *    panic hook returned.  The CPU the thread had entered when fn began is
 *    left as it was entered; the machine is dead and may only be shut down.
 * => m may be NULL to catch the panics of a thread without a CPU.
 */
int	nbm_machine_try(struct nbm_machine *, void (*fn)(void *), void *arg);

/*
 * nbm_machine_observe: run fn(arg) on the calling thread as an observer of
 * the machine: a context of its own, beside the CPUs, that takes no
 * interrupts and runs no threads, so that it can read and set the
 * allocators' state under their own locks while the CPUs run (statistics,
 * dumps, watermarks, creating or destroying a pool).  It must not allocate
 * or free through the per-CPU caches (kmem, pool_cache); use a CPU for that.
 *
 * => a thread already on a CPU of the machine just calls fn.
 * => returns 0; ENOTRECOVERABLE if fn panicked the machine; EALREADY if the
 *    thread is on a CPU of another machine; ENXIO if the machine is dead.
 */
int	nbm_machine_observe(struct nbm_machine *, void (*fn)(void *), void *arg);

bool	nbm_machine_dead(const struct nbm_machine *);
const char *nbm_machine_panicmsg(const struct nbm_machine *);

/*
 * panic: raise a panic on the calling thread's machine.  Does not return.
 */
void	panic(const char *fmt, ...)
	    __attribute__((__noreturn__, __format__(__printf__, 1, 2)));

/*
 * Time.  Ticks advance at hz.  In parallel mode time is wall-clock time
 * since boot; in deterministic mode it is virtual time, advanced by the work
 * the machine does and by nbm_machine_advance().
 */
uint64_t nbm_machine_uptime_ns(const struct nbm_machine *);
int	nbm_machine_advance(struct nbm_machine *, uint64_t ns);
int	getticks(void);
uint64_t nbm_time_uptime(void);	/* seconds, as time_uptime */

/*
 * Page arithmetic follows the machine's page size (uvm_param.h with a
 * run-time PAGE_SIZE, as NetBSD modules built for several page sizes see
 * it).  The macros act on the calling thread's machine.
 */
size_t	nbm_page_size(void);
u_int	nbm_page_shift(void);

#ifdef PAGE_SIZE
#undef PAGE_SIZE
#undef PAGE_SHIFT
#undef PAGE_MASK
#endif
#define PAGE_SIZE	nbm_page_size()
#define PAGE_SHIFT	nbm_page_shift()
#define PAGE_MASK	(PAGE_SIZE - 1)
#define round_page(x)	(((x) + PAGE_MASK) & ~PAGE_MASK)
#define trunc_page(x)	((x) & ~PAGE_MASK)
#define atop(x)		((x) >> PAGE_SHIFT)
#define ptoa(x)		((x) << PAGE_SHIFT)

/*
 * Physical memory counters (uvmexp), exact at any quiescent point.
 */
struct nbm_uvmexp {
	uint64_t	pagesize;	/* bytes per page */
	uint64_t	npages;		/* managed physical pages */
	uint64_t	free;		/* free pages */
	uint64_t	wired;		/* wired pages (kernel memory) */
	uint64_t	kmempages;	/* pages behind kmem_arena and pools
					   (uvm_km_kmem_alloc) */
	uint64_t	kmapwired;	/* wired pages of uvm_km_alloc */
	uint64_t	pageable;	/* pages of pageable kernel memory */
	uint64_t	freemin;	/* page daemon: wake below this */
	uint64_t	freetarg;	/* page daemon: free up to this */
	uint64_t	pdwoke;		/* page daemon wakeups */
	uint64_t	pdfreed;	/* pages reclaimed by the page daemon */
	uint64_t	faults;		/* demand-zero faults on pageable memory */
};

void	nbm_machine_uvmexp(struct nbm_machine *, struct nbm_uvmexp *);

/*
 * Machine events: things worth keeping that happen while the machine runs
 * (a pool's hard-limit warning, a panic, page daemon activity).  The
 * machine keeps the last NBM_EVENTS_MAX in a ring; each has a sequence
 * number that grows from 1.
 */
#define NBM_EV_PANIC		1	/* the machine panicked */
#define NBM_EV_HARDLIMIT	2	/* a pool's hard-limit warning */
#define NBM_EV_WARNING		3	/* another kernel warning */
#define NBM_EV_PAGEDAEMON	4	/* page daemon run */
#define NBM_EV_INTR		5	/* interrupt source change */
#define NBM_EV_WORKLOAD		6	/* workload start or end */
#define NBM_EVENTS_MAX		1024

struct nbm_event {
	uint64_t	ev_seq;		/* sequence number, from 1 */
	uint64_t	ev_time_ns;	/* machine uptime */
	int		ev_type;	/* NBM_EV_* */
	u_int		ev_cpu;		/* CPU it happened on */
	char		ev_subject[32];	/* pool, source, ... */
	char		ev_text[224];	/* the message */
};

void	nbm_machine_event(struct nbm_machine *, int type, const char *subject,
	    const char *fmt, ...) __attribute__((__format__(__printf__, 4, 5)));

/*
 * nbm_machine_events: copy up to n events with ev_seq > since into buf,
 * oldest first; returns the number copied.
 */
size_t	nbm_machine_events(struct nbm_machine *, uint64_t since,
	    struct nbm_event *buf, size_t n);

#endif /* NBMEM_MACHINE_H */
