/*
 * nbmem/workload.h: the workload engine -- allocation workloads that run on
 * a machine's CPUs, their interrupts, built-in workloads, and traces.
 *
 * A workload is a description (struct nbm_workload) of what threads and
 * interrupt handlers do to the allocator stack:
 *
 *  - sources: where objects come from -- kmem(9) sizes drawn from a
 *    distribution, pools and pool caches (created by the workload with a
 *    size, alignment, IPL, constructor cost, watermarks and hard limit, or
 *    existing ones found by name), vmem(9) arenas and extent(9) maps the
 *    workload creates, and devices that attach (bus_space_map or
 *    bus_space_alloc of I/O port and memory windows) and detach;
 *  - operations with weights, which the threads of every CPU draw from:
 *    allocate and hold for a lifetime (fixed, exponential, or until the
 *    end), allocate and free at once, free a held object early, or idle;
 *  - a share of the frees of each source done on another CPU: the object
 *    travels to that CPU's inbox and one of its threads frees it;
 *  - interrupt sources to start (nbm_intr_establish) whose handler
 *    allocates with kmem_intr_alloc, pool_get or pool_cache_get (never
 *    sleeping), holds what it got for a lifetime and frees it in the
 *    handler, in a soft interrupt, in thread context on the same CPU, or on
 *    another CPU;
 *  - a stop condition: a number of thread operations, machine time, or
 *    both (the first reached stops the workload).
 *
 * Running.  nbm_workload_start() creates the sources, the interrupt sources
 * and the threads (wl_threads on each CPU of the workload); the caller then
 * runs the machine with nbm_machine_run(), which returns once every thread
 * has exited, i.e. once the workload has stopped and given back everything
 * it held.  Sleeping allocations (KM_SLEEP, PR_WAITOK, VM_SLEEP,
 * EX_WAITOK) block the thread through the scheduler; a machine on which
 * every thread sleeps for good panics with a deadlock report.
 *
 * Stopping.  When the stop condition is reached, or nbm_workload_stop() is
 * called from any host thread, every thread stops drawing operations, the
 * interrupt sources are removed and quiesced, and every object the
 * workload still holds -- in threads, in handlers, in inboxes and soft
 * interrupt queues -- is freed on the CPUs before the threads exit.  The
 * arenas and extents the workload created are destroyed; the pools and pool
 * caches it created stay, and a later workload that asks for a pool of the
 * same name and parameters uses the existing one.
 *
 * Determinism.  On a machine in deterministic mode a run is reproducible:
 * every random choice comes from PRNGs seeded from the machine's seed,
 * wl_seed and the thread (or handler) number; each operation charges
 * wl_op_ns of virtual time (plus constructor and destructor costs) and the
 * thread yields every wl_batch operations, so the seeded scheduler
 * interleaves the CPUs.  The same configuration, seed and workload give the
 * same allocations at the same addresses and the same statistics.
 *
 * Interrupt context.  In parallel mode handlers run in signal context on
 * the CPUs' host threads, so the engine preallocates everything they touch
 * (object records, queues, trace buffers) and uses lock-free queues only.
 *
 * Traces.  With a trace sink, every allocation, failed allocation and free
 * of the run becomes one JSON object on a line, handed to the sink from
 * thread context in the order the operations happened (see "Traces" below
 * for the fields).  nbm_trace_add() loads such lines back, and
 * nbm_workload_replay() runs them on any machine.
 */
#ifndef NBMEM_WORKLOAD_H
#define NBMEM_WORKLOAD_H

#include <nbmem/types.h>
#include <nbmem/inspect.h>	/* nbm_pool_lookup, nbm_pool_cache_lookup */
#include <nbmem/intr.h>
#include <nbmem/machine.h>

struct nbm_machine;
struct nbm_wlrun;
struct nbm_trace;

#define NBM_WL_NAME_MAX		32	/* names, with the NUL */
#define NBM_WL_POOLNAME_MAX	16	/* pool names (kern.pool's pr_wchan) */
#define NBM_WL_MAXSOURCES	64
#define NBM_WL_MAXOPS		96
#define NBM_WL_MAXINTR		8
#define NBM_WL_MAXSIZES		32	/* entries of a size list */
#define NBM_WL_MAXWIN		4	/* windows of a device */
#define NBM_WL_INTR_MAXSRC	4	/* objects a handler allocates */
#define NBM_WL_MAXTHREADS	32	/* threads per CPU */
#define NBM_WL_CPUSET_WORDS	(NBM_NCPU_MAX / 64)

/*
 * Size distributions (kmem, vmem and extent sources).
 *	FIXED		always sz_min
 *	UNIFORM		uniform in [sz_min, sz_max]
 *	LIST		one of sz_list[].se_size, by weight
 *	HISTOGRAM	a bucket by weight, then uniform inside it; bucket i
 *			spans (upper bound of bucket i-1, se_size], bucket 0
 *			starts at sz_min
 */
#define NBM_WL_SIZE_FIXED	0
#define NBM_WL_SIZE_UNIFORM	1
#define NBM_WL_SIZE_LIST	2
#define NBM_WL_SIZE_HISTOGRAM	3

struct nbm_wl_sizeent {
	size_t		se_size;	/* a size, or a bucket's upper bound */
	u_int		se_weight;	/* relative weight */
};

struct nbm_wl_sizes {
	int		sz_kind;	/* NBM_WL_SIZE_* */
	size_t		sz_min;		/* FIXED: the size; lowest size */
	size_t		sz_max;		/* UNIFORM: highest size */
	u_int		sz_n;		/* entries in sz_list */
	struct nbm_wl_sizeent sz_list[NBM_WL_MAXSIZES]; /* LIST, HISTOGRAM */
};

/*
 * Lifetimes, in ns of machine time (virtual time in deterministic mode).
 *	FIXED	lt_ns; 0 frees the object as soon as it is allocated
 *	EXP	exponentially distributed with mean lt_ns
 *	END	held until the workload stops
 * A held object is freed by its thread's first operation after it expired,
 * or, for a handler's object, by the handler's first arrival after that.
 */
#define NBM_WL_LIFE_FIXED	0
#define NBM_WL_LIFE_EXP		1
#define NBM_WL_LIFE_END		2

struct nbm_wl_life {
	int		lt_kind;	/* NBM_WL_LIFE_* */
	uint64_t	lt_ns;		/* FIXED: the lifetime; EXP: mean */
};

/* Source kinds. */
#define NBM_WLS_KMEM		0	/* kmem_alloc / kmem_free */
#define NBM_WLS_POOL		1	/* pool_get / pool_put */
#define NBM_WLS_POOL_CACHE	2	/* pool_cache_get / pool_cache_put */
#define NBM_WLS_VMEM		3	/* vmem_alloc / vmem_free */
#define NBM_WLS_EXTENT		4	/* extent_alloc / extent_free */
#define NBM_WLS_DEVICE		5	/* attach / detach through bus_space */

/*
 * A device window.  Mapped windows (win_alloc false) are mapped with
 * bus_space_map at win_base + instance * win_stride: two attachments of the
 * same instance at once fail with EAGAIN, as a second driver would.
 * Allocated windows (win_alloc true) come from bus_space_alloc anywhere in
 * [win_base, win_end] with alignment win_align.
 */
#define NBM_WL_SPACE_IO		0	/* x86_bus_space_io: ports */
#define NBM_WL_SPACE_MEM	1	/* x86_bus_space_mem: I/O memory */

struct nbm_wl_window {
	int		win_space;	/* NBM_WL_SPACE_* */
	bool		win_alloc;	/* bus_space_alloc, not _map */
	uint64_t	win_base;	/* address, or start of the range */
	uint64_t	win_end;	/* allocated: last address of range */
	uint64_t	win_size;	/* bytes or ports */
	uint64_t	win_align;	/* allocated: alignment, 0 or 2^n */
	uint64_t	win_stride;	/* mapped: distance between instances */
};

/*
 * A source.  Which fields count depends on the kind:
 *	KMEM		src_sizes
 *	POOL, POOL_CACHE src_name (wait channel); unless src_existing:
 *			src_size, src_align, src_ipl, src_flags (pool_init
 *			flags: PR_NOTOUCH, PR_LARGECACHE, PR_NOALIGN), and for a
 *			cache src_ctor_ns/src_dtor_ns (work its constructor and
 *			destructor do); then, also for existing pools,
 *			src_lowat, src_hiwat, src_hardlimit (0: leave as is)
 *			with src_warning and src_ratecap
 *	VMEM		src_name, src_base, src_span, src_quantum, src_fit
 *			(VM_INSTANTFIT or VM_BESTFIT), src_qcache_max,
 *			src_sizes
 *	EXTENT		src_name, src_base, src_span, src_align (0 or 2^n),
 *			src_sizes
 *	DEVICE		src_name, src_ninstances, src_nwin, src_win
 * and for every kind src_life, src_xcpu, src_maxlive and src_prime.
 */
struct nbm_wl_source {
	int		src_kind;	/* NBM_WLS_* */
	char		src_name[NBM_WL_NAME_MAX]; /* pool, arena, device */
	bool		src_existing;	/* pool: find it, do not create */
	size_t		src_size;	/* pool: item size */
	u_int		src_align;	/* pool, extent: alignment */
	int		src_ipl;	/* pool: IPL */
	int		src_flags;	/* pool: pool_init flags */
	uint64_t	src_ctor_ns;	/* cache: constructor work, ns */
	uint64_t	src_dtor_ns;	/* cache: destructor work, ns */
	u_int		src_lowat;	/* pool: pool_setlowat, 0: none */
	u_int		src_hiwat;	/* pool: pool_sethiwat, 0: none */
	u_int		src_hardlimit;	/* pool: pool_sethardlimit, 0: none */
	char		src_warning[64]; /* pool: hard-limit warning, "": none */
	u_int		src_ratecap;	/* pool: seconds between warnings */
	uint64_t	src_base;	/* vmem, extent: first address */
	uint64_t	src_span;	/* vmem, extent: size of the space */
	uint64_t	src_quantum;	/* vmem: quantum */
	int		src_fit;	/* vmem: VM_INSTANTFIT or VM_BESTFIT */
	uint64_t	src_qcache_max;	/* vmem: quantum cache limit */
	u_int		src_ninstances;	/* device: instances (units) */
	u_int		src_nwin;	/* device: windows */
	struct nbm_wl_window src_win[NBM_WL_MAXWIN]; /* device windows */
	struct nbm_wl_sizes src_sizes;	/* request sizes */
	struct nbm_wl_life src_life;	/* lifetime of what threads hold */
	u_int		src_xcpu;	/* frees done on another CPU, per mille */
	u_int		src_maxlive;	/* objects a thread holds at most, 0:
					   wl_maxlive */
	u_int		src_prime;	/* objects each thread allocates at its
					   start and holds until the end */
};

/*
 * Operations.
 *	ALLOC		allocate from op_src and hold for the source's lifetime
 *	ALLOCFREE	allocate from op_src and free at once
 *	FREE		free an object of op_src the thread holds, at random
 *	IDLE		nothing (only the operation's time)
 * Flags: NOSLEEP allocates without sleeping (KM_NOSLEEP, PR_NOWAIT,
 * VM_NOSLEEP, EX_NOWAIT) -- the default sleeps; LIMITFAIL adds
 * PR_LIMITFAIL (pools); ZERO asks for zeroed memory (kmem_zalloc, PR_ZERO).
 * op_slots selects the threads that draw the operation: bit i stands for
 * the i-th thread of each CPU; 0 means all threads.
 */
#define NBM_WLOP_ALLOC		0
#define NBM_WLOP_ALLOCFREE	1
#define NBM_WLOP_FREE		2
#define NBM_WLOP_IDLE		3

#define NBM_WLF_NOSLEEP		0x01
#define NBM_WLF_LIMITFAIL	0x02
#define NBM_WLF_ZERO		0x04

struct nbm_wl_op {
	int		op_kind;	/* NBM_WLOP_* */
	u_int		op_src;		/* source index */
	u_int		op_weight;	/* relative weight, > 0 */
	int		op_flags;	/* NBM_WLF_* */
	uint32_t	op_slots;	/* thread slots, 0: all */
};

/*
 * Interrupt actions.  wi_intr configures the interrupt source as for
 * nbm_intr_establish (its ic_func and ic_arg are the engine's).  At each
 * arrival the handler first lets go of its held objects that expired, then
 * allocates one object from each of wi_src[0..wi_nsrc-1] (kmem sizes with
 * kmem_intr_alloc(KM_NOSLEEP), pools with PR_NOWAIT) and holds them for
 * wi_life -- a lifetime of 0 lets go of them in the same arrival.  Letting
 * go means, by wi_free:
 *	HANDLER		freed in the handler
 *	SOFTINT		queued to a soft interrupt (IPL_SOFTNET) that frees it
 *	THREAD		queued to the inbox of this CPU; a thread frees it
 *	XCPU		queued to the inbox of another CPU of the workload
 * and wi_xcpu per mille of the objects go to another CPU whatever wi_free
 * says.  Each handler holds at most wi_maxlive objects per CPU; an arrival
 * that finds no room allocates nothing (counted in wp_intr_skipped).
 */
#define NBM_WLI_FREE_HANDLER	0
#define NBM_WLI_FREE_SOFTINT	1
#define NBM_WLI_FREE_THREAD	2
#define NBM_WLI_FREE_XCPU	3

struct nbm_wl_intr {
	struct nbm_intr_config wi_intr;	/* name, ipl, arrivals, target */
	u_int		wi_nsrc;	/* sources per arrival */
	u_int		wi_src[NBM_WL_INTR_MAXSRC]; /* their indices */
	struct nbm_wl_life wi_life;	/* how long the handler holds them */
	int		wi_free;	/* NBM_WLI_FREE_* */
	u_int		wi_xcpu;	/* sent to another CPU, per mille */
	u_int		wi_maxlive;	/* objects held per CPU, 0: 256 */
};

/*
 * The workload.  nbm_workload_init() fills in the defaults noted here.
 */
struct nbm_workload {
	char		wl_name[NBM_WL_NAME_MAX]; /* for events and traces */
	uint64_t	wl_seed;	/* mixed with the machine's seed (0) */
	u_int		wl_threads;	/* threads per CPU (1) */
	uint64_t	wl_cpus[NBM_WL_CPUSET_WORDS]; /* CPU set; none set:
					   every CPU (all clear) */
	u_int		wl_nsources;
	struct nbm_wl_source wl_sources[NBM_WL_MAXSOURCES];
	u_int		wl_nops;	/* 0: ALLOC of weight 1 per source */
	struct nbm_wl_op wl_ops[NBM_WL_MAXOPS];
	u_int		wl_nintr;
	struct nbm_wl_intr wl_intr[NBM_WL_MAXINTR];
	uint64_t	wl_stop_ops;	/* thread operations, 0: no limit (0) */
	uint64_t	wl_stop_ns;	/* machine time, 0: no limit (0) */
	uint64_t	wl_op_ns;	/* virtual time per operation (100) */
	u_int		wl_batch;	/* operations between yields (1) */
	u_int		wl_maxlive;	/* objects a thread can hold (1024) */
};

void	nbm_workload_init(struct nbm_workload *);

/*
 * nbm_workload_validate: check a description.
 *
 * => cfg: the configuration of the machine it is meant for, so that CPUs
 *    and sizes are checked against it; NULL checks only what needs no
 *    machine.
 * => returns 0, or EINVAL with a message in errbuf that names the field,
 *    its value and what is accepted, e.g.
 *    "sources[2].align 48: must be 0 or a power of two up to 4096".
 */
int	nbm_workload_validate(const struct nbm_workload *,
	    const struct nbm_config *cfg, char *errbuf, size_t errlen);

/*
 * Built-in workloads, selected by name with "key=value,..." parameters.
 * Every built-in accepts ops (thread operations, stop condition), time_ms
 * (machine time, stop condition), threads (per CPU) and seed; the others
 * are listed by nbm_workload_builtin_info().
 *
 * => nbm_workload_builtin fills *wl for a machine of configuration cfg
 *    (built-ins scale with the CPU count, page size and memory); returns 0,
 *    or EINVAL (unknown name, unknown key, bad value) with a message.
 * => nbm_workload_builtin_info: the i-th built-in's name, its one-sentence
 *    description and its parameter keys; NULL past the last.
 */
int	nbm_workload_builtin(const char *name, const char *params,
	    const struct nbm_config *cfg, struct nbm_workload *wl,
	    char *errbuf, size_t errlen);
const char *nbm_workload_builtin_info(u_int i, const char **descr,
	    const char **keys);

/*
 * nbm_workload_builtin_param: the j-th parameter of the i-th built-in
 * (the four common ones first), with its default for a machine of
 * configuration cfg (ops scales with the CPU count).
 *
 * => returns 0; EINVAL past the last built-in, ENOENT past its last
 *    parameter.  The strings are constant.
 */
struct nbm_wl_paraminfo {
	const char	*wp_key;	/* the key of "key=value" */
	const char	*wp_descr;	/* what it sets, with its unit */
	uint64_t	 wp_min;	/* accepted range */
	uint64_t	 wp_max;
	uint64_t	 wp_default;	/* the value when not given */
};

int	nbm_workload_builtin_param(u_int i, u_int j,
	    const struct nbm_config *cfg, struct nbm_wl_paraminfo *);

/*
 * Trace sink: called with one line of the trace (a JSON object, no
 * newline) at a time, in order, from thread context of the machine (a CPU
 * thread, or the thread calling nbm_workload_finish).  It must not call
 * into the machine.
 */
typedef void nbm_trace_sink_t(void *arg, const char *line);

/*
 * nbm_workload_start: validate a workload and start it on a machine.
 *
 * => the calling thread is on no CPU (the machine may be idle, or running
 *    in another host thread), or on a CPU of m.
 * => creates the sources (pools, caches, arenas, extents), the soft
 *    interrupt, the interrupt sources and the threads, and records an
 *    NBM_EV_WORKLOAD event; the threads run at the next nbm_machine_run.
 * => sink (may be NULL) receives the trace.
 * => returns 0 and the run in *runp; EINVAL (bad description, or a source
 *    that does not fit the machine: an existing pool not found, a pool of
 *    that name with other parameters, a device window outside the I/O
 *    space) with a message; ENOMEM; ENXIO if the machine is dead.
 */
int	nbm_workload_start(struct nbm_machine *, const struct nbm_workload *,
	    nbm_trace_sink_t *sink, void *sinkarg, struct nbm_wlrun **runp,
	    char *errbuf, size_t errlen);

/* States of a run. */
#define NBM_WLST_RUNNING	1	/* threads draw operations */
#define NBM_WLST_STOPPING	2	/* threads give objects back */
#define NBM_WLST_DONE		3	/* every thread has exited */

/*
 * Progress, readable from any host thread while the run goes on.  Counts
 * cover threads and handlers; the wp_intr_* fields are the handlers' part.
 */
struct nbm_workload_progress {
	int		wp_state;	/* NBM_WLST_* */
	uint64_t	wp_ops;		/* thread operations done */
	uint64_t	wp_allocs;	/* successful allocations */
	uint64_t	wp_frees;	/* frees */
	uint64_t	wp_fails;	/* failed allocations */
	uint64_t	wp_skipped;	/* operations with nothing to do */
	uint64_t	wp_xcpu;	/* objects sent to another CPU */
	uint64_t	wp_live;	/* objects held now (allocs - frees) */
	uint64_t	wp_intr;	/* interrupts handled */
	uint64_t	wp_intr_allocs;	/* of wp_allocs, in handlers */
	uint64_t	wp_intr_fails;	/* of wp_fails, in handlers */
	uint64_t	wp_intr_skipped; /* arrivals with no room to hold */
	uint64_t	wp_elapsed_ns;	/* machine time since the start */
	double		wp_ops_per_sec;	/* wp_ops per second of machine time */
	uint64_t	wp_remaining_ops; /* to the operation limit, or 0;
					     after a stop, what was left */
	uint64_t	wp_remaining_ns; /* to the time limit, or 0 (idem) */
	uint64_t	wp_trace_lines;	/* trace lines handed to the sink */
	uint64_t	wp_trace_dropped; /* records lost: buffer full in an
					   interrupt handler */
};

void	nbm_workload_progress(struct nbm_wlrun *,
	    struct nbm_workload_progress *);

/*
 * nbm_workload_stop: ask the run to stop (any host thread, any time).  Its
 * handlers stand down at once; its threads stop at their next operation
 * and give everything back as the machine runs on.
 */
void	nbm_workload_stop(struct nbm_wlrun *);

/*
 * nbm_workload_finish: stop the run, let it give everything back, and free
 * the run.
 *
 * => if its threads are still there and the calling thread is on no CPU,
 *    runs the machine (nbm_machine_run) until they have exited; if another
 *    host thread runs the machine, waits for them.
 * => final (may be NULL) receives the last progress.
 * => returns 0; ENOTRECOVERABLE if the machine panicked (the run is freed;
 *    what it held stays in the dead machine); EDEADLK if called from a
 *    thread on a CPU of the machine (the run is not freed).
 */
int	nbm_workload_finish(struct nbm_wlrun *,
	    struct nbm_workload_progress *final);

/*
 * Traces.
 *
 * Each line is a JSON object.  The first line describes the run:
 *	{"trace":"nbmem","version":1,"workload":NAME,"ncpu":N,
 *	 "page_size":N,"physmem":N,"mode":"parallel"|"deterministic",
 *	 "seed":N}
 * then one "source" line per source, with every field needed to create it
 * again:
 *	{"op":"source","src":I,"kind":"pool_cache","name":"mbpl",...}
 * then one line per operation, in the order they happened:
 *	{"seq":N,"t":NS,"cpu":C,"ctx":"thread"|"softint"|"intr",["ipl":L,]
 *	 "op":"alloc"|"fail"|"free","kind":K,"src":I,
 *	 ["pool":NAME|"arena":NAME|"extent":NAME|"device":NAME,]
 *	 "size":BYTES,["inst":N,]["flags":F,]["addr":A,]"id":ID}
 * seq counts records from 0; t is machine uptime in ns; id names the
 * object: the seq of its allocation record, which its free repeats.  An
 * allocation gives the address it got: "kva+0x..." (an offset into the
 * machine's kernel VA) or "pa+0x..." (a direct-mapped physical address)
 * for kmem and pools, the arena's "0x..." for vmem and extents; the same
 * on every run of a deterministic machine.  A last line {"op":"end",...}
 * gives the totals.
 *
 * nbm_trace_create/nbm_trace_add/nbm_trace_destroy load a trace line by
 * line (nbm_trace_add returns EINVAL with "line N: ..." for a line it cannot
 * use).  nbm_workload_replay starts a run that performs the trace's
 * operations on machine m, in the recorded order, each on CPU (cpu mod
 * ncpu) in the recorded context, and charges the recorded time in
 * deterministic mode.  Replaying a run recorded in deterministic mode on a
 * machine booted with the same configuration gives the same pool
 * statistics.  A sleeping allocation that cannot be satisfied on a smaller
 * machine waits, as it would have there.
 */
int	nbm_trace_create(struct nbm_trace **);
int	nbm_trace_add(struct nbm_trace *, const char *line, char *errbuf,
	    size_t errlen);
size_t	nbm_trace_records(const struct nbm_trace *);
void	nbm_trace_destroy(struct nbm_trace *);
int	nbm_workload_replay(struct nbm_machine *, const struct nbm_trace *,
	    nbm_trace_sink_t *sink, void *sinkarg, struct nbm_wlrun **runp,
	    char *errbuf, size_t errlen);

#endif /* NBMEM_WORKLOAD_H */
