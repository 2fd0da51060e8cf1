/*
 * workload_impl.h: what the workload engine's files share -- workload.c
 * (the engine: sources, threads, handlers, stopping), workload_trace.c
 * (trace buffers, trace lines, replay) and workload_builtin.c (the
 * built-in workloads).  Nothing outside them sees it.
 *
 * Objects.  Every object a run holds is described by a struct wl_obj taken
 * from a slab: each thread and each (interrupt action, CPU) pair has one,
 * preallocated at start, so handlers never call the host allocator.  An
 * object that travels (to another CPU's inbox, to a soft interrupt queue)
 * carries its record along; whoever frees it gives the record back to its
 * slab: directly if it owns the slab, otherwise through the slab's return
 * stack, a lock-free list its owner takes over in one exchange.
 *
 * Queues.  Inboxes, soft interrupt queues and return stacks are LIFO
 * stacks with many producers and one consumer at a time: producers push
 * with compare-and-swap, the consumer takes the whole stack with an
 * exchange, so no node is ever popped singly and ABA cannot arise.  Each is
 * safe in signal context.
 */
#ifndef WORKLOAD_IMPL_H
#define WORKLOAD_IMPL_H

#include <pthread.h>

#include "nbm_impl.h"

#include <nbmem/kmem.h>
#include <nbmem/pool.h>
#include <nbmem/workload.h>

/* Contexts of an operation, as traces name them. */
#define WL_CTX_THREAD	0
#define WL_CTX_SOFTINT	1
#define WL_CTX_INTR	2

/* Trace record operations. */
#define WL_TOP_ALLOC	0
#define WL_TOP_FAIL	1
#define WL_TOP_FREE	2

#define WL_NEVER	UINT64_MAX	/* lifetime END */
#define WL_SIZE_MAX	(64ULL << 20)	/* largest request */
#define WL_HMAXLIVE	256		/* default wi_maxlive */

struct wl_slab;

struct wl_obj {
	struct wl_obj	*o_next;	/* free list, inbox or queue link */
	struct wl_slab	*o_slab;	/* slab it belongs to */
	uint64_t	 o_expire;	/* uptime ns it expires; WL_NEVER */
	uint64_t	 o_order;	/* owner's allocation number: ties */
	uint64_t	 o_id;		/* trace id (seq of its alloc record) */
	uintptr_t	 o_addr;	/* pointer, address, device instance */
	uintptr_t	 o_h[NBM_WL_MAXWIN]; /* device: window handles */
	size_t		 o_size;	/* bytes asked for */
	u_int		 o_heapidx;	/* index in the holder's heap */
	uint16_t	 o_src;		/* source index */
};

struct wl_slab {
	struct wl_obj	*sl_free;	/* owner only */
	struct wl_obj *_Atomic sl_back;	/* records given back by others */
	struct wl_obj	*sl_objs;	/* the records */
	u_int		 sl_n;		/* how many */
};

/* Objects held, by expiry time then allocation order: a binary heap. */
struct wl_heap {
	struct wl_obj	**h_a;		/* h_a[0] expires first */
	u_int		 h_n;		/* entries */
	u_int		 h_cap;		/* room */
};

/*
 * Counters of a thread, a handler on one CPU, or a CPU's soft interrupt
 * and drain work.  Written by their context only (single writer: relaxed
 * load and store), read by nbm_workload_progress from any thread.
 */
struct wl_counters {
	_Atomic(uint64_t) c_ops;	/* operations */
	_Atomic(uint64_t) c_allocs;	/* allocations */
	_Atomic(uint64_t) c_frees;	/* frees */
	_Atomic(uint64_t) c_fails;	/* failed allocations */
	_Atomic(uint64_t) c_skipped;	/* operations with nothing to do */
	_Atomic(uint64_t) c_xcpu;	/* objects sent to another CPU */
	_Atomic(uint64_t) c_intr;	/* arrivals handled */
};

#define WL_CNT(c, f)	atomic_load_explicit(&(c)->f, memory_order_relaxed)
#define WL_CNT_ADD(c, f, n)						\
	atomic_store_explicit(&(c)->f, WL_CNT(c, f) + (n),		\
	    memory_order_relaxed)

/* A source, as started. */
struct wl_src {
	const struct nbm_wl_source *s_desc; /* in the run's copy */
	int		 s_kind;	/* NBM_WLS_* */
	struct pool	*s_pool;	/* POOL; the cache's pool for CACHE */
	pool_cache_t	 s_cache;	/* POOL_CACHE */
	vmem_t		*s_vmem;	/* VMEM, created by the run */
	struct extent	*s_extent;	/* EXTENT, created by the run */
	const char	*s_label;	/* pool wait channel, arena name */
	uint64_t	 s_cum[NBM_WL_MAXSIZES]; /* cumulative size weights */
	u_int		 s_maxlive;	/* per thread */
};

/* Per-CPU state of a run. */
struct wl_trec;

struct wl_tring {
	_Atomic(uint64_t) tr_head;	/* slots reserved */
	_Atomic(uint64_t) tr_tail;	/* slots consumed by the flusher */
	_Atomic(uint64_t) tr_dropped;	/* records lost: ring full */
	struct wl_trec	*tr_rec;	/* tr_cap records */
};

struct wl_cpu {
	struct wl_obj *_Atomic wc_inbox; /* to be freed by a thread here */
	struct wl_obj *_Atomic wc_softq; /* to be freed by the soft intr */
	_Atomic(u_int)	 wc_hactive;	/* handlers running on this CPU */
	struct wl_counters wc_cnt;	/* soft interrupt frees */
	struct wl_tring	 wc_trace;	/* trace records made here */
	bool		 wc_in;		/* the run has threads here */
	u_int		 wc_pos;	/* its index in w_cpulist */
} __cacheline_aligned;

/* A thread of the run. */
struct wl_thread {
	struct nbm_wlrun *t_run;	/* (i) */
	u_int		 t_index;	/* (i) number in the run */
	u_int		 t_cpu;		/* (i) CPU */
	u_int		 t_slot;	/* (i) number on its CPU */
	uint64_t	 t_rng;		/* PRNG */
	uint64_t	 t_order;	/* allocations made */
	uint64_t	 t_budget;	/* operations claimed, not yet done */
	struct wl_slab	 t_slab;	/* object records */
	struct wl_heap	 t_heap;	/* objects held */
	u_int		*t_live;	/* held per source */
	u_int		 t_nops;	/* operations it draws */
	u_int		 t_ops[NBM_WL_MAXOPS]; /* their indices */
	uint64_t	 t_cum[NBM_WL_MAXOPS]; /* cumulative weights */
	struct wl_counters t_cnt;	/* counters */
} __cacheline_aligned;

/* An interrupt action on one CPU. */
struct wl_iact;

struct wl_hctx {
	struct wl_iact	*h_act;		/* (i) */
	u_int		 h_cpu;		/* (i) */
	uint64_t	 h_rng;		/* PRNG */
	uint64_t	 h_order;	/* allocations made */
	struct wl_slab	 h_slab;	/* object records */
	struct wl_heap	 h_heap;	/* objects held */
	struct wl_counters h_cnt;	/* counters */
} __cacheline_aligned;

struct wl_iact {
	struct nbm_wlrun *ia_run;	/* (i) */
	const struct nbm_wl_intr *ia_desc; /* (i) in the run's copy */
	struct nbm_intrsource *ia_is;	/* the interrupt source */
	struct wl_hctx	*ia_cpu;	/* per CPU */
	u_int		 ia_index;	/* (i) */
};

/* Replay state (workload_trace.c). */
struct wl_replay;

/* The trace of a run (workload_trace.c). */
struct wl_trace;

struct nbm_wlrun {
	struct nbm_machine *w_m;	/* (i) */
	struct nbm_workload w_wl;	/* (i) the description, copied */
	u_int		 w_id;		/* (i) run number on the machine */
	bool		 w_det;		/* (i) deterministic mode */
	uint64_t	 w_seed;	/* (i) machine seed mixed with wl_seed */
	struct wl_src	 w_src[NBM_WL_MAXSOURCES]; /* sources */
	struct wl_cpu	*w_cpu;		/* per CPU of the machine */
	u_int		 w_ncpus;	/* CPUs with threads */
	u_int		*w_cpulist;	/* their numbers */
	struct wl_thread *w_threads;	/* the threads */
	u_int		 w_nthreads;
	struct wl_iact	 w_iact[NBM_WL_MAXINTR]; /* interrupt actions */
	u_int		 w_nintr;
	void		*w_softint;	/* soft interrupt, or NULL */

	_Atomic(int)	 w_state;	/* NBM_WLST_* */
	_Atomic(int)	 w_stop;	/* threads: stop drawing operations */
	_Atomic(int)	 w_istop;	/* handlers: do nothing */
	_Atomic(int)	 w_idown;	/* interrupt sources removed */
	_Atomic(uint64_t) w_opsleft;	/* operations not yet claimed */
	uint64_t	 w_start_ns;	/* (i) uptime at start */
	uint64_t	 w_end_ns;	/* (i) time limit, uptime; 0: none */
	_Atomic(uint64_t) w_done_ns;	/* uptime when the last thread left */

	kmutex_t	 w_lock;	/* barrier, replay cursor */
	kcondvar_t	 w_cv;		/* barrier */
	u_int		 w_nactive;	/* threads before the barrier */
	u_int		 w_nalive;	/* threads not yet finished */

	pthread_mutex_t	 w_hlock;	/* host waiters for DONE */
	pthread_cond_t	 w_hcv;

	struct wl_trace	*w_trace;	/* NULL: no trace */
	struct wl_replay *w_replay;	/* NULL: not a replay */

	LIST_ENTRY(nbm_wlrun) w_list;	/* machine's runs */
};

/* workload.c */
uint64_t wl_uptime(struct nbm_wlrun *);
int	wl_alloc_obj(struct nbm_wlrun *, struct wl_src *, struct wl_obj *,
	    int ctx, int flags);
void	wl_free_obj(struct nbm_wlrun *, struct wl_src *, struct wl_obj *,
	    int ctx);
void	wl_slab_put(struct wl_slab *mine, struct wl_obj *);
int	wl_run_create(struct nbm_machine *, const struct nbm_workload *,
	    nbm_trace_sink_t *, void *, struct nbm_wlrun **, char *, size_t);
int	wl_run_start(struct nbm_wlrun *, void (*)(void *), char *, size_t);
void	wl_run_free(struct nbm_wlrun *);
void	wl_run_abandon(struct nbm_wlrun *, int error);
uint64_t wl_pending_take(void);
void	wl_thread_exit(struct wl_thread *);
void	wl_charge_pending(struct nbm_wlrun *);
const char *wl_kind_name(int kind);
int	wl_kind_lookup(const char *name);
int	wl_validate_source(const struct nbm_wl_source *, u_int i,
	    const struct nbm_config *, char *, size_t);

/* workload_trace.c */
int	wl_trace_create(struct nbm_wlrun *, nbm_trace_sink_t *, void *);
void	wl_trace_free(struct nbm_wlrun *);
void	wl_trace_begin(struct nbm_wlrun *);
void	wl_trace_end(struct nbm_wlrun *);
uint64_t wl_trace_record(struct nbm_wlrun *, struct cpu_info *, int ctx,
	    int op, const struct wl_obj *, int flags);
void	wl_trace_flush(struct nbm_wlrun *, bool all);
bool	wl_trace_want_flush(struct nbm_wlrun *, u_int cpu);
void	wl_trace_counts(struct nbm_wlrun *, uint64_t *lines,
	    uint64_t *dropped);
void	wl_replay_main(void *);
void	wl_replay_free(struct nbm_wlrun *);
void	wl_replay_leftovers(struct wl_thread *);

#endif /* WORKLOAD_IMPL_H */
