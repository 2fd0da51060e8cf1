/*
 * intr.c: interrupt sources, their delivery to the simulated CPUs, and
 * soft interrupts (softint(9)).
 *
 * Levels.  An interrupt at level ipl runs on a CPU only while the CPU's
 * level is below ipl.  Otherwise the arrival is counted pending on that
 * CPU (per source and CPU) and the bit of its level is set in ci_ipending;
 * splx() runs the pending levels that the lower level unmasks, highest
 * first, each arrival exactly once (nbm_intr_dispatch).  A hard handler
 * runs with the level raised to its ipl and ci_idepth incremented, so
 * cpu_intr_p() is true in it and the allocators' context checks see an
 * interrupt; a soft handler runs with the thread marked LP_INTR, so
 * cpu_softintr_p() is true.
 *
 * Parallel mode.  A generator thread per machine sleeps until the next
 * arrival of any source, counts the arrivals due on the wall clock, adds
 * them to their targets' pending counts and signals each target CPU's host
 * thread (a signal).  The signal handler, on that thread, runs
 * whatever its CPU's level allows -- wherever the thread was, between any
 * two instructions, as a device interrupt would.  Scheduler and allocator
 * locks that an interrupt may want are held at raised levels, so a handler
 * never meets a lock its own CPU holds.
 *
 * Deterministic mode.  Gaps between arrivals come from a PRNG per source,
 * seeded from the machine's seed and the source's creation number; arrivals
 * become pending when virtual time passes them (the scheduler loop and
 * nbm_sched_charge call nbm_intr_det_deliver), and run when their CPU next
 * charges time or is next scheduled.  Nothing depends on host timing.
 *
 * Sources and soft interrupts.  Each has a slot in a fixed table
 * (it_src[], it_softint[]) that dispatch walks without a lock, at most
 * NBM_INTR_MAXSRC and NBM_SOFTINT_MAX of them at once; removal empties the
 * slot, and the next establish may take it at once.  What a reader may
 * still hold is the structure the slot pointed to -- its handler, its
 * per-CPU pending and handled counts -- and a new source in the slot is a
 * new structure whose counts start at zero, so the slot itself needs no
 * grace period; the structure does.
 *
 * Grace period.  Every dispatch, hard or soft, on any path (signal
 * handler, splx, time accounting, the scheduler loop), is a read section:
 * it counts itself into its CPU's iq_depth before it looks at a slot and
 * out after its last handler returned, and the outermost section of a CPU
 * to leave bumps iq_passes.  Removal empties the slot, then waits, for
 * each other CPU, until that CPU's depth is zero or its passes moved
 * (intr_quiesce): a section that could have read the old pointer began
 * before the slot was emptied (all of it seq_cst), so it has ended by
 * then.  Only then is the structure freed, and only then does removal
 * return: no handler of a removed source or soft interrupt runs after
 * nbm_intr_disestablish() or softint_disestablish() returned.  The calling
 * CPU is not waited for: removal is for thread context (it panics in an
 * interrupt or with a spin mutex held, where it would wait on handlers
 * that may wait on it), and a CPU in thread context is in no section.
 * When waiting cannot finish -- the machine panicked, which may have
 * unwound a section, or a deterministic run whose other CPUs do not run
 * while this one waits -- the structure is parked on a limbo list
 * instead, freed by the next removal that completes a grace period, or at
 * shutdown.  nbm_intr_foreach() holds a reference on each source it hands
 * out, so a source removed meanwhile is freed by the walk's release.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "nbm_impl.h"

#define NBM_INTR_MAXSRC		256	/* sources established at once */
#define NBM_SOFTINT_MAX		256	/* soft interrupts established at once */
/*
 * The interrupt signal.  A standard signal, not a real-time one: its
 * instances do not queue (the arrivals are counted in ip_pending), so a
 * thread that has it blocked -- inside its own handler, say -- can never
 * pile up queued signals against the user's RLIMIT_SIGPENDING, which
 * every other process of the user shares.
 */
#define NBM_INTR_SIGNAL		SIGURG

struct intr_percpu {
	_Atomic(uint64_t) ip_pending;	/* arrivals waiting */
	_Atomic(uint64_t) ip_count;	/* handled */
	_Atomic(uint64_t) ip_masked;	/* handled after being held */
	_Atomic(uint64_t) ip_posted;	/* arrivals raised */
} __cacheline_aligned;

struct nbm_intrsource {
	struct nbm_machine *is_machine;	/* (i) */
	u_int		 is_index;	/* (i) creation number */
	u_int		 is_slot;	/* (i) index in it_src[] */
	struct nbm_intr_config is_cfg;	/* (l) configuration */
	_Atomic(int)	 is_ipl;	/* level, read by dispatch */
	_Atomic(int)	 is_paused;	/* no new arrivals */
	_Atomic(int)	 is_dead;	/* removed */
	_Atomic(u_int)	 is_refs;	/* established + foreach walkers */
	TAILQ_ENTRY(nbm_intrsource) is_entry; /* (l) it_live */
	struct nbm_intrsource *is_limbo; /* parked, awaiting a grace period */
	uint64_t	 is_next;	/* (l) next arrival, uptime ns */
	u_int		 is_burstleft;	/* (l) arrivals left in a burst */
	u_int		 is_rrnext;	/* (l) next CPU, round robin */
	uint64_t	 is_rng;	/* (l) PRNG state */
	_Atomic(uint64_t) is_violations; /* ran at a masking level (never) */
	struct intr_percpu *is_cpu;	/* per CPU */
};

struct softint {
	void		(*si_func)(void *);	/* handler */
	void		*si_arg;		/* its argument */
	int		 si_ipl;		/* IPL_SOFT* */
	u_int		 si_slot;		/* (i) index in it_softint[] */
	_Atomic(int)	 si_dead;		/* disestablished */
	_Atomic(uint8_t) *si_pending;		/* per CPU */
	struct nbm_machine *si_machine;		/* (i) */
	struct softint	*si_limbo;		/* parked */
};

/* Read sections of one CPU (see Grace period above). */
struct intr_quiesce {
	_Atomic(u_int)	 iq_depth;	/* dispatches entered, not left */
	_Atomic(uint64_t) iq_passes;	/* outermost dispatches left */
} __cacheline_aligned;

TAILQ_HEAD(intr_srclist, nbm_intrsource);

struct nbm_intr_state {
	_Atomic(int)	 it_lock;	/* configuration of the sources */
	struct nbm_intrsource *_Atomic it_src[NBM_INTR_MAXSRC];
	_Atomic(u_int)	 it_nsrc;	/* slots ever used: dispatch bound */
	_Atomic(u_int)	 it_nlive;	/* sources established now */
	u_int		 it_created;	/* (l) sources ever established */
	struct intr_srclist it_live;	/* (l) sources, creation order */
	struct softint	*_Atomic it_softint[NBM_SOFTINT_MAX];
	_Atomic(u_int)	 it_nsoftint;	/* slots ever used: dispatch bound */
	u_int		 it_nsoftlive;	/* (l) soft interrupts now */
	struct intr_quiesce *it_cpu;	/* per CPU read sections */
	struct nbm_intrsource *_Atomic it_srclimbo; /* parked sources */
	struct softint	*_Atomic it_silimbo; /* parked soft interrupts */
	pthread_t	 it_gen;	/* parallel generator thread */
	bool		 it_genrunning;	/* (l) it_gen was started */
	_Atomic(int)	 it_genstop;	/* generator: leave */
	volatile uint32_t it_genword;	/* futex: configuration changed */
};

static pthread_once_t intr_signal_once = PTHREAD_ONCE_INIT;

static void
intr_lock(struct nbm_intr_state *it)
{
	int expected;

	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&it->it_lock, &expected, 1))
			return;
		__builtin_ia32_pause();
	}
}

static void
intr_unlock(struct nbm_intr_state *it)
{

	atomic_store(&it->it_lock, 0);
}

static double
intr_unit(uint64_t *rng)
{

	/* (0, 1]: never 0, so that the logarithm below is finite. */
	return ((double)(nbm_rand64(rng) >> 11) + 1.0) / 9007199254740992.0;
}

/*
 * intr_gap: time to the next arrival of a source, in ns.
 */
static uint64_t
intr_gap(struct nbm_intrsource *is)
{
	const struct nbm_intr_config *ic = &is->is_cfg;
	double mean = 1e9 / ic->ic_rate, g;

	switch (ic->ic_dist) {
	case NBM_INTR_PERIODIC:
		g = mean;
		break;
	case NBM_INTR_BURST:
		/* Bursts arrive at rate/burst; arrivals within one at once. */
		if (is->is_burstleft > 0) {
			is->is_burstleft--;
			return 1;
		}
		is->is_burstleft = ic->ic_burst - 1;
		g = -log(intr_unit(&is->is_rng)) * mean * ic->ic_burst;
		break;
	default:
		g = -log(intr_unit(&is->is_rng)) * mean;
		break;
	}
	return g < 1.0 ? 1 : (uint64_t)g;
}

/*
 * Dispatch.
 */
static void
intr_run_hard(struct cpu_info *ci, struct nbm_intr_state *it, int lvl,
    bool masked)
{
	struct nbm_intrsource *is;
	struct intr_percpu *ip;
	u_int i, n = atomic_load(&it->it_nsrc);
	uint64_t k;
	int os;

	for (i = 0; i < n; i++) {
		is = atomic_load(&it->it_src[i]);
		if (is == NULL || atomic_load(&is->is_ipl) != lvl)
			continue;
		ip = &is->is_cpu[ci->ci_index];
		if (atomic_load_explicit(&ip->ip_pending,
		    memory_order_relaxed) == 0)
			continue;
		k = atomic_exchange(&ip->ip_pending, 0);
		while (k-- > 0) {
			os = ci->ci_ilevel;
			if (os >= lvl)
				atomic_fetch_add(&is->is_violations, 1);
			ci->ci_ilevel = lvl;
			ci->ci_idepth++;
			atomic_signal_fence(memory_order_seq_cst);
			if (!atomic_load(&is->is_dead))
				(void)is->is_cfg.ic_func(is->is_cfg.ic_arg);
			atomic_signal_fence(memory_order_seq_cst);
			ci->ci_idepth--;
			ci->ci_ilevel = os;
			/* Read by statistics on other threads (kern_stats.c). */
			__atomic_store_n(&ci->ci_nintr, ci->ci_nintr + 1,
			    __ATOMIC_RELAXED);
			atomic_fetch_add_explicit(&ip->ip_count, 1,
			    memory_order_relaxed);
			if (masked)
				atomic_fetch_add_explicit(&ip->ip_masked, 1,
				    memory_order_relaxed);
		}
	}
}

static void
intr_run_soft(struct cpu_info *ci, struct nbm_intr_state *it, int lvl)
{
	struct lwp *l = curlwp;
	struct softint *si;
	u_int i, n = atomic_load(&it->it_nsoftint);
	int os, opflag;

	for (i = 0; i < n; i++) {
		si = atomic_load(&it->it_softint[i]);
		if (si == NULL || si->si_ipl != lvl ||
		    atomic_load(&si->si_pending[ci->ci_index]) == 0)
			continue;
		atomic_store(&si->si_pending[ci->ci_index], 0);
		if (atomic_load(&si->si_dead))
			continue;
		os = ci->ci_ilevel;
		ci->ci_ilevel = lvl;
		ci->ci_sdepth++;
		opflag = l->l_pflag;
		l->l_pflag |= LP_INTR;
		atomic_signal_fence(memory_order_seq_cst);
		si->si_func(si->si_arg);
		atomic_signal_fence(memory_order_seq_cst);
		l->l_pflag = opflag;
		ci->ci_sdepth--;
		ci->ci_ilevel = os;
	}
}

/*
 * intr_dispatch: run the interrupts pending on ci above level s, highest
 * level first.  A read section of the slot tables: no source or soft
 * interrupt seen here is freed before the section ends.
 */
static void
intr_dispatch(struct cpu_info *ci, int s, bool masked)
{
	struct nbm_intr_state *it = ci->ci_machine->m_intr;
	struct intr_quiesce *iq;
	uint32_t pend;
	int lvl;

	if (it == NULL)
		return;
	iq = &it->it_cpu[ci->ci_index];
	atomic_fetch_add(&iq->iq_depth, 1);
	for (;;) {
		pend = __atomic_load_n(&ci->ci_ipending, __ATOMIC_ACQUIRE);
		pend &= ~((2U << s) - 1);	/* levels above s */
		if (pend == 0)
			break;
		lvl = 31 - __builtin_clz(pend);
		__atomic_fetch_and(&ci->ci_ipending, ~(1U << lvl),
		    __ATOMIC_ACQ_REL);
		if (lvl >= IPL_VM)
			intr_run_hard(ci, it, lvl, masked);
		else
			intr_run_soft(ci, it, lvl);
	}
	if (atomic_fetch_sub(&iq->iq_depth, 1) == 1)
		atomic_fetch_add(&iq->iq_passes, 1);
}

/*
 * nbm_intr_dispatch: splx() lowered the level to s and interrupts above it
 * are pending: run them.  They were masked when they arrived.
 */
void
nbm_intr_dispatch(struct cpu_info *ci, int s)
{

	intr_dispatch(ci, s, true);
}

static void
intr_signal_handler(int sig)
{
	struct cpu_info *ci = nbm_curcpu_tls;
	int saved_errno = errno;

	(void)sig;
	if (ci != NULL && (__atomic_load_n(&ci->ci_ipending,
	    __ATOMIC_ACQUIRE) >> (ci->ci_ilevel + 1)) != 0)
		intr_dispatch(ci, ci->ci_ilevel, false);
	errno = saved_errno;
}

static void
intr_signal_install(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = intr_signal_handler;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(NBM_INTR_SIGNAL, &sa, NULL);
}

void
nbm_intr_cpu_attach(struct cpu_info *ci)
{
	int expected;

	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&ci->ci_hostlock, &expected, 1))
			break;
	}
	ci->ci_hostthread = pthread_self();
	ci->ci_hostvalid = true;
	atomic_store(&ci->ci_hostlock, 0);
	/* Arrivals that came while nobody ran the CPU. */
	if ((__atomic_load_n(&ci->ci_ipending, __ATOMIC_ACQUIRE) >>
	    (ci->ci_ilevel + 1)) != 0)
		intr_dispatch(ci, ci->ci_ilevel, true);
}

void
nbm_intr_cpu_detach(struct cpu_info *ci)
{
	int expected;

	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&ci->ci_hostlock, &expected, 1))
			break;
	}
	ci->ci_hostvalid = false;
	atomic_store(&ci->ci_hostlock, 0);
}

/* Tell the CPU's host thread, if any, that interrupts are pending. */
static void
intr_kick(struct cpu_info *ci)
{
	int expected;

	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak(&ci->ci_hostlock, &expected, 1))
			break;
	}
	if (ci->ci_hostvalid)
		pthread_kill(ci->ci_hostthread, NBM_INTR_SIGNAL);
	atomic_store(&ci->ci_hostlock, 0);
}

/*
 * intr_post: add k arrivals of a source to its targets, and note in
 * touched[] the CPUs that got some.
 */
static void
intr_post(struct nbm_machine *m, struct nbm_intrsource *is, uint64_t k,
    bool *touched)
{
	const struct nbm_intr_config *ic = &is->is_cfg;
	struct cpu_info *ci;
	u_int c;
	int lvl = atomic_load(&is->is_ipl);

	switch (ic->ic_target) {
	case NBM_INTR_TARGET_ALL:
		for (c = 0; c < m->m_ncpu; c++) {
			atomic_fetch_add(&is->is_cpu[c].ip_posted, k);
			atomic_fetch_add(&is->is_cpu[c].ip_pending, k);
			touched[c] = true;
		}
		break;
	case NBM_INTR_TARGET_RR:
		while (k-- > 0) {
			c = is->is_rrnext;
			is->is_rrnext = (is->is_rrnext + 1) % m->m_ncpu;
			atomic_fetch_add(&is->is_cpu[c].ip_posted, 1);
			atomic_fetch_add(&is->is_cpu[c].ip_pending, 1);
			touched[c] = true;
		}
		break;
	default:
		c = ic->ic_cpu;
		atomic_fetch_add(&is->is_cpu[c].ip_posted, k);
		atomic_fetch_add(&is->is_cpu[c].ip_pending, k);
		touched[c] = true;
		break;
	}
	for (c = 0; c < m->m_ncpu; c++) {
		if (!touched[c])
			continue;
		ci = m->m_cpus[c];
		__atomic_fetch_or(&ci->ci_ipending, 1U << lvl,
		    __ATOMIC_RELEASE);
	}
}

/*
 * intr_collect: post every arrival due by `now'; return the next arrival
 * time of any active source (0: none).
 */
static uint64_t
intr_collect(struct nbm_machine *m, uint64_t now, bool *touched)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *is;
	uint64_t next = 0, k;

	intr_lock(it);
	TAILQ_FOREACH(is, &it->it_live, is_entry) {
		if (atomic_load(&is->is_paused))
			continue;
		for (k = 0; is->is_next <= now; k++)
			is->is_next += intr_gap(is);
		if (k > 0)
			intr_post(m, is, k, touched);
		if (next == 0 || is->is_next < next)
			next = is->is_next;
	}
	intr_unlock(it);
	return next;
}

/*
 * The parallel generator.
 */
static void *
intr_generator(void *arg)
{
	struct nbm_machine *m = arg;
	struct nbm_intr_state *it = m->m_intr;
	bool touched[NBM_NCPU_MAX];
	uint64_t now, next, wait;
	uint32_t word;
	struct timespec ts;
	u_int c;

	while (!atomic_load(&it->it_genstop) && !atomic_load(&m->m_dead)) {
		word = __atomic_load_n(&it->it_genword, __ATOMIC_ACQUIRE);
		memset(touched, 0, m->m_ncpu * sizeof(touched[0]));
		now = nbm_uptime_ns(m);
		next = intr_collect(m, now, touched);
		for (c = 0; c < m->m_ncpu; c++)
			if (touched[c])
				intr_kick(m->m_cpus[c]);
		wait = next == 0 ? 100000000ULL : next > now ? next - now : 0;
		if (wait == 0)
			continue;
		if (wait > 100000000ULL)
			wait = 100000000ULL;
		ts.tv_sec = (time_t)(wait / 1000000000ULL);
		ts.tv_nsec = (long)(wait % 1000000000ULL);
		syscall(SYS_futex, &it->it_genword, FUTEX_WAIT_PRIVATE, word,
		    &ts, NULL, 0);
	}
	return NULL;
}

static void
intr_gen_poke(struct nbm_intr_state *it)
{

	__atomic_fetch_add(&it->it_genword, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &it->it_genword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL,
	    0);
}

/*
 * Deterministic delivery.
 */

/* nbm_intr_det_deliver: post the arrivals due by now (scheduler loop). */
void
nbm_intr_det_deliver(struct nbm_machine *m, uint64_t now)
{
	bool touched[NBM_NCPU_MAX];

	if (m->m_intr == NULL || atomic_load(&m->m_intr->it_nlive) == 0)
		return;
	memset(touched, 0, m->m_ncpu * sizeof(touched[0]));
	(void)intr_collect(m, now, touched);
}

/* nbm_intr_next_arrival: the next arrival of any active source, or 0. */
uint64_t
nbm_intr_next_arrival(struct nbm_machine *m)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *is;
	uint64_t next = 0;

	if (it == NULL || atomic_load(&it->it_nlive) == 0)
		return 0;
	intr_lock(it);
	TAILQ_FOREACH(is, &it->it_live, is_entry) {
		if (atomic_load(&is->is_paused))
			continue;
		if (next == 0 || is->is_next < next)
			next = is->is_next;
	}
	intr_unlock(it);
	return next;
}

/*
 * nbm_intr_det_charge: the current CPU accounted time (deterministic mode):
 * post what is due and take what its level allows, right here.
 */
void
nbm_intr_det_charge(struct nbm_machine *m, struct cpu_info *ci)
{

	nbm_intr_det_deliver(m, nbm_uptime_ns(m));
	if ((__atomic_load_n(&ci->ci_ipending, __ATOMIC_ACQUIRE) >>
	    (ci->ci_ilevel + 1)) != 0)
		intr_dispatch(ci, ci->ci_ilevel, false);
}

/* nbm_intr_cpu_pending: run what is pending on a CPU the loop picked. */
void
nbm_intr_cpu_pending(struct cpu_info *ci)
{

	if ((__atomic_load_n(&ci->ci_ipending, __ATOMIC_ACQUIRE) >>
	    (ci->ci_ilevel + 1)) != 0)
		intr_dispatch(ci, ci->ci_ilevel, false);
}

/*
 * Removal and the grace period.
 */

/*
 * intr_quiesce: wait until no CPU other than the caller's is in a
 * dispatch that began before this call, i.e. none holds a pointer that was
 * taken out of a slot before it.
 * => called in thread context (the caller's CPU, if any, is in no section).
 * => returns false, without waiting out, if that cannot finish: the
 *    machine panicked (a panic may have unwound a section, whose count then
 *    never drops), or the caller runs a deterministic machine, whose other
 *    CPUs do not run while it waits.
 */
static bool
intr_quiesce(struct nbm_machine *m)
{
	struct nbm_intr_state *it = m->m_intr;
	struct cpu_info *self = nbm_curcpu_tls;
	struct intr_quiesce *iq;
	uint64_t passes;
	u_int c;

	if (self != NULL && self->ci_machine != m)
		self = NULL;
	for (c = 0; c < m->m_ncpu; c++) {
		if (self != NULL && c == self->ci_index)
			continue;
		iq = &it->it_cpu[c];
		passes = atomic_load(&iq->iq_passes);
		while (atomic_load(&iq->iq_depth) != 0 &&
		    atomic_load(&iq->iq_passes) == passes) {
			if (atomic_load(&m->m_dead) || (self != NULL &&
			    m->m_cfg.mode == NBM_MODE_DETERMINISTIC))
				return false;
			sched_yield();
		}
	}
	return true;
}

static void
intr_source_rele(struct nbm_intrsource *is)
{

	if (atomic_fetch_sub(&is->is_refs, 1) == 1) {
		free(is->is_cpu);
		free(is);
	}
}

static void
softint_free(struct softint *si)
{

	free(si->si_pending);
	free(si);
}

static void
intr_park_source(struct nbm_intr_state *it, struct nbm_intrsource *is)
{

	is->is_limbo = atomic_load(&it->it_srclimbo);
	while (!atomic_compare_exchange_weak(&it->it_srclimbo, &is->is_limbo,
	    is))
		continue;
}

static void
intr_park_softint(struct nbm_intr_state *it, struct softint *si)
{

	si->si_limbo = atomic_load(&it->it_silimbo);
	while (!atomic_compare_exchange_weak(&it->it_silimbo, &si->si_limbo,
	    si))
		continue;
}

/*
 * intr_retire: free a source or soft interrupt whose slot was emptied,
 * and whatever earlier removals left parked, once no CPU can hold them.
 * => called in thread context with no lock held; may wait for handlers
 *    running on other CPUs.  If the grace period cannot complete
 *    (intr_quiesce), everything stays parked.
 */
static void
intr_retire(struct nbm_machine *m, struct nbm_intrsource *is,
    struct softint *si)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *isl, *isnext;
	struct softint *sil, *sinext;

	if (is != NULL)
		intr_park_source(it, is);
	if (si != NULL)
		intr_park_softint(it, si);
	/* Everything taken here was out of its slot before the wait began. */
	isl = atomic_exchange(&it->it_srclimbo, NULL);
	sil = atomic_exchange(&it->it_silimbo, NULL);
	if (!intr_quiesce(m)) {
		for (; isl != NULL; isl = isnext) {
			isnext = isl->is_limbo;
			intr_park_source(it, isl);
		}
		for (; sil != NULL; sil = sinext) {
			sinext = sil->si_limbo;
			intr_park_softint(it, sil);
		}
		return;
	}
	for (; isl != NULL; isl = isnext) {
		isnext = isl->is_limbo;
		intr_source_rele(isl);
	}
	for (; sil != NULL; sil = sinext) {
		sinext = sil->si_limbo;
		softint_free(sil);
	}
}

/*
 * intr_check_remove: removal waits for handlers on the other CPUs, which
 * may wait for the caller's CPU: refuse it where that can deadlock, as
 * NetBSD's intr_disestablish(9) and softint_disestablish(9), which sleep,
 * refuse interrupt context.
 */
static void
intr_check_remove(struct nbm_machine *m, const char *what, const char *name)
{
	struct cpu_info *ci = nbm_curcpu_tls;

	if (ci == NULL || ci->ci_machine != m)
		return;
	if (ci->ci_idepth >= 0 || ci->ci_sdepth > 0 ||
	    atomic_load(&m->m_intr->it_cpu[ci->ci_index].iq_depth) != 0)
		nbm_panic(m, "%s: %s: called from interrupt context", what,
		    name);
	if (ci->ci_mtx_count > 0)
		nbm_panic(m, "%s: %s: called with %d spin mutexes held", what,
		    name, ci->ci_mtx_count);
}

/*
 * Sources.
 */
static int
intr_check(struct nbm_machine *m, const struct nbm_intr_config *ic,
    char *errbuf, size_t errlen)
{

#define BAD(...) do {							\
	if (errlen > 0)							\
		snprintf(errbuf, errlen, __VA_ARGS__);			\
	return EINVAL;							\
} while (0)
	if (ic->ic_name[0] == '\0' ||
	    memchr(ic->ic_name, '\0', sizeof(ic->ic_name)) == NULL)
		BAD("name: must be 1 to %d characters", NBM_INTR_NAME_MAX - 1);
	if (ic->ic_ipl < IPL_VM || ic->ic_ipl > IPL_HIGH)
		BAD("ipl %d: must be %d (IPL_VM), %d (IPL_SCHED) or %d "
		    "(IPL_HIGH)", ic->ic_ipl, IPL_VM, IPL_SCHED, IPL_HIGH);
	if (ic->ic_dist < NBM_INTR_PERIODIC || ic->ic_dist > NBM_INTR_BURST)
		BAD("distribution %d: must be 0 (periodic), 1 (poisson) or "
		    "2 (burst)", ic->ic_dist);
	if (!(ic->ic_rate > 0.0) || ic->ic_rate > 10000000.0)
		BAD("rate %g: must be above 0 and at most 10000000 per second",
		    ic->ic_rate);
	if (ic->ic_dist == NBM_INTR_BURST &&
	    (ic->ic_burst < 1 || ic->ic_burst > 100000))
		BAD("burst %u: must be between 1 and 100000", ic->ic_burst);
	if (ic->ic_target < NBM_INTR_TARGET_CPU ||
	    ic->ic_target > NBM_INTR_TARGET_RR)
		BAD("target %d: must be 0 (one CPU), 1 (all) or 2 "
		    "(round robin)", ic->ic_target);
	if (ic->ic_target == NBM_INTR_TARGET_CPU && ic->ic_cpu >= m->m_ncpu)
		BAD("cpu %u: must be below ncpu %u", ic->ic_cpu, m->m_ncpu);
	if (ic->ic_func == NULL)
		BAD("handler: must not be NULL");
#undef BAD
	return 0;
}

static uint64_t
intr_first_arrival(struct nbm_machine *m, struct nbm_intrsource *is)
{

	is->is_burstleft = 0;
	return nbm_uptime_ns(m) + intr_gap(is);
}

int
nbm_intr_establish(struct nbm_machine *m, const struct nbm_intr_config *ic,
    struct nbm_intrsource **isp, char *errbuf, size_t errlen)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *is, *o;
	u_int i;
	int error;

	if ((error = intr_check(m, ic, errbuf, errlen)) != 0)
		return error;
	if ((is = calloc(1, sizeof(*is))) == NULL)
		return ENOMEM;
	is->is_cpu = aligned_alloc(COHERENCY_UNIT,
	    roundup(m->m_ncpu * sizeof(*is->is_cpu), COHERENCY_UNIT));
	if (is->is_cpu == NULL) {
		free(is);
		return ENOMEM;
	}
	memset(is->is_cpu, 0, m->m_ncpu * sizeof(*is->is_cpu));
	is->is_machine = m;
	is->is_cfg = *ic;
	atomic_store(&is->is_ipl, ic->ic_ipl);
	atomic_store(&is->is_refs, 1);
	intr_lock(it);
	TAILQ_FOREACH(o, &it->it_live, is_entry) {
		if (strcmp(o->is_cfg.ic_name, ic->ic_name) == 0) {
			intr_unlock(it);
			free(is->is_cpu);
			free(is);
			if (errlen > 0)
				snprintf(errbuf, errlen, "name \"%s\": a source "
				    "of that name exists", ic->ic_name);
			return EEXIST;
		}
	}
	if (atomic_load(&it->it_nlive) == NBM_INTR_MAXSRC) {
		intr_unlock(it);
		free(is->is_cpu);
		free(is);
		if (errlen > 0)
			snprintf(errbuf, errlen, "sources: at most %d at once; "
			    "remove one first", NBM_INTR_MAXSRC);
		return ENOMEM;
	}
	/* A free slot exists: fewer than NBM_INTR_MAXSRC are live. */
	for (i = 0; atomic_load(&it->it_src[i]) != NULL; i++)
		continue;
	is->is_slot = i;
	is->is_index = it->it_created++;
	is->is_rng = m->m_cfg.seed * 0x9e3779b97f4a7c15ULL + is->is_index + 1;
	is->is_next = intr_first_arrival(m, is);
	TAILQ_INSERT_TAIL(&it->it_live, is, is_entry);
	atomic_store(&it->it_src[i], is);
	if (i >= atomic_load(&it->it_nsrc))
		atomic_store(&it->it_nsrc, i + 1);
	atomic_fetch_add(&it->it_nlive, 1);
	intr_unlock(it);

	nbm_machine_event(m, NBM_EV_INTR, ic->ic_name, "source %s added: ipl "
	    "%d, %.6g per second", ic->ic_name, ic->ic_ipl, ic->ic_rate);
	if (m->m_cfg.mode == NBM_MODE_PARALLEL) {
		intr_lock(it);
		if (!it->it_genrunning && pthread_create(&it->it_gen, NULL,
		    intr_generator, m) == 0)
			it->it_genrunning = true;
		intr_unlock(it);
		intr_gen_poke(it);
	}
	if (isp != NULL)
		*isp = is;
	return 0;
}

int
nbm_intr_set(struct nbm_intrsource *is, const struct nbm_intr_config *ic,
    char *errbuf, size_t errlen)
{
	struct nbm_machine *m = is->is_machine;
	struct nbm_intr_state *it = m->m_intr;
	int error;

	if ((error = intr_check(m, ic, errbuf, errlen)) != 0)
		return error;
	if (strcmp(ic->ic_name, is->is_cfg.ic_name) != 0) {
		if (errlen > 0)
			snprintf(errbuf, errlen, "name \"%s\": a source cannot "
			    "be renamed", ic->ic_name);
		return EINVAL;
	}
	intr_lock(it);
	is->is_cfg = *ic;
	atomic_store(&is->is_ipl, ic->ic_ipl);
	is->is_rrnext = 0;
	is->is_next = intr_first_arrival(m, is);
	intr_unlock(it);
	nbm_machine_event(m, NBM_EV_INTR, ic->ic_name, "source %s changed: "
	    "ipl %d, %.6g per second", ic->ic_name, ic->ic_ipl, ic->ic_rate);
	intr_gen_poke(it);
	return 0;
}

int
nbm_intr_pause(struct nbm_intrsource *is, bool paused)
{
	struct nbm_machine *m = is->is_machine;
	struct nbm_intr_state *it = m->m_intr;

	intr_lock(it);
	if (!paused && atomic_load(&is->is_paused))
		is->is_next = intr_first_arrival(m, is);
	atomic_store(&is->is_paused, paused ? 1 : 0);
	intr_unlock(it);
	nbm_machine_event(m, NBM_EV_INTR, is->is_cfg.ic_name, "source %s %s",
	    is->is_cfg.ic_name, paused ? "paused" : "resumed");
	intr_gen_poke(it);
	return 0;
}

/*
 * nbm_intr_disestablish: remove a source.  Its pending arrivals are
 * dropped (they stay counted as posted); once this returns, its handler
 * runs on no CPU and never will again, and the source is freed.
 * => thread context, no spin mutex held (panics otherwise), nor a lock a
 *    handler takes: waits for the handlers running on the other CPUs.
 */
void
nbm_intr_disestablish(struct nbm_intrsource *is)
{
	struct nbm_machine *m = is->is_machine;
	struct nbm_intr_state *it = m->m_intr;
	u_int c;

	intr_check_remove(m, "nbm_intr_disestablish", is->is_cfg.ic_name);
	intr_lock(it);
	atomic_store(&is->is_dead, 1);
	atomic_store(&it->it_src[is->is_slot], NULL);
	TAILQ_REMOVE(&it->it_live, is, is_entry);
	atomic_fetch_sub(&it->it_nlive, 1);
	for (c = 0; c < m->m_ncpu; c++)
		atomic_store(&is->is_cpu[c].ip_pending, 0);
	intr_unlock(it);
	nbm_machine_event(m, NBM_EV_INTR, is->is_cfg.ic_name,
	    "source %s removed", is->is_cfg.ic_name);
	intr_gen_poke(it);
	intr_retire(m, is, NULL);
}

/*
 * nbm_intr_lookup: the live source called name, or NULL.
 * => the pointer stays valid until the source is removed; the caller
 *    makes sure nobody removes it meanwhile.
 */
struct nbm_intrsource *
nbm_intr_lookup(struct nbm_machine *m, const char *name)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *is;

	intr_lock(it);
	TAILQ_FOREACH(is, &it->it_live, is_entry)
		if (strcmp(is->is_cfg.ic_name, name) == 0)
			break;
	intr_unlock(it);
	return is;
}

void
nbm_intr_getconfig(const struct nbm_intrsource *is,
    struct nbm_intr_config *ic, bool *paused)
{
	struct nbm_intr_state *it = is->is_machine->m_intr;

	intr_lock(it);
	*ic = is->is_cfg;
	if (paused != NULL)
		*paused = atomic_load(&is->is_paused) != 0;
	intr_unlock(it);
}

void
nbm_intr_getstats(const struct nbm_intrsource *is,
    struct nbm_intr_cpustat *st)
{
	u_int c;

	for (c = 0; c < is->is_machine->m_ncpu; c++) {
		st[c].is_count = atomic_load(&is->is_cpu[c].ip_count);
		st[c].is_masked = atomic_load(&is->is_cpu[c].ip_masked);
		st[c].is_pending = atomic_load(&is->is_cpu[c].ip_pending);
		st[c].is_posted = atomic_load(&is->is_cpu[c].ip_posted);
	}
}

/*
 * nbm_intr_foreach: call fn on every live source, in creation order.
 * => each source stays allocated while fn runs, even if another thread
 *    removes it meanwhile; one removed before fn's turn is skipped.
 */
void
nbm_intr_foreach(struct nbm_machine *m,
    void (*fn)(struct nbm_intrsource *, void *), void *arg)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *is, *snap[NBM_INTR_MAXSRC];
	u_int i, n = 0;

	intr_lock(it);
	TAILQ_FOREACH(is, &it->it_live, is_entry) {
		atomic_fetch_add(&is->is_refs, 1);
		snap[n++] = is;
	}
	intr_unlock(it);
	for (i = 0; i < n; i++) {
		if (!atomic_load(&snap[i]->is_dead))
			fn(snap[i], arg);
		intr_source_rele(snap[i]);
	}
}

/* Test instrumentation: handlers run while their CPU masked them. */
uint64_t nbm_intr_violations(const struct nbm_intrsource *);
uint64_t
nbm_intr_violations(const struct nbm_intrsource *is)
{

	return atomic_load(&is->is_violations);
}

/*
 * softint(9).
 */
static const int softint_levels[] = {
	IPL_SOFTCLOCK, IPL_SOFTBIO, IPL_SOFTNET, IPL_SOFTSERIAL
};

void *
softint_establish(u_int flags, void (*func)(void *), void *arg)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_intr_state *it = m->m_intr;
	struct softint *si;
	u_int i;

	if ((si = calloc(1, sizeof(*si))) == NULL)
		return NULL;
	si->si_pending = calloc(m->m_ncpu, sizeof(*si->si_pending));
	if (si->si_pending == NULL) {
		free(si);
		return NULL;
	}
	si->si_func = func;
	si->si_arg = arg;
	si->si_ipl = softint_levels[flags & SOFTINT_LVLMASK];
	si->si_machine = m;
	intr_lock(it);
	if (it->it_nsoftlive == NBM_SOFTINT_MAX) {
		intr_unlock(it);
		softint_free(si);
		/* kern_softint.c warns here too, with its own words. */
		kprintf("WARNING: softint_establish: table full: at most %d "
		    "soft interrupts at once\n", NBM_SOFTINT_MAX);
		return NULL;
	}
	for (i = 0; atomic_load(&it->it_softint[i]) != NULL; i++)
		continue;
	si->si_slot = i;
	atomic_store(&it->it_softint[i], si);
	if (i >= atomic_load(&it->it_nsoftint))
		atomic_store(&it->it_nsoftint, i + 1);
	it->it_nsoftlive++;
	intr_unlock(it);
	return si;
}

/*
 * softint_schedule: run the soft interrupt on this CPU as soon as its
 * level drops below the soft level -- at once if it already is.
 * => the soft interrupt must be established: scheduling one that
 *    softint_disestablish() removed uses freed memory.
 */
void
softint_schedule(void *cookie)
{
	struct softint *si = cookie;
	struct cpu_info *ci = curcpu();

	atomic_store(&si->si_pending[ci->ci_index], 1);
	__atomic_fetch_or(&ci->ci_ipending, 1U << si->si_ipl,
	    __ATOMIC_RELEASE);
	if (ci->ci_ilevel < si->si_ipl)
		intr_dispatch(ci, ci->ci_ilevel, false);
}

/*
 * softint_disestablish: remove a soft interrupt.  Where it is pending it
 * is dropped; once this returns, its handler runs on no CPU and never
 * will again, and it is freed.
 * => thread context, no spin mutex held (panics otherwise), nor a lock a
 *    handler takes: waits for the handlers running on the other CPUs.
 */
void
softint_disestablish(void *cookie)
{
	struct softint *si = cookie;
	struct nbm_machine *m = si->si_machine;
	struct nbm_intr_state *it = m->m_intr;

	intr_check_remove(m, "softint_disestablish", "soft interrupt");
	intr_lock(it);
	atomic_store(&si->si_dead, 1);
	atomic_store(&it->it_softint[si->si_slot], NULL);
	it->it_nsoftlive--;
	intr_unlock(it);
	intr_retire(m, NULL, si);
}

/*
 * nbm_cpu_interrupt: run fn(arg) on the calling thread's CPU as an
 * interrupt handler at level ipl (a soft interrupt if soft is true).
 */
int
nbm_cpu_interrupt(int ipl, bool soft, void (*fn)(void *), void *arg)
{
	struct cpu_info *ci = curcpu();
	struct lwp *l = curlwp;
	int s, opflag = 0;

	if (ci->ci_ilevel >= ipl)
		return EAGAIN;
	s = splraise_inline(ci, ipl);
	if (soft) {
		ci->ci_sdepth++;
		opflag = l->l_pflag;
		l->l_pflag |= LP_INTR;
	} else
		ci->ci_idepth++;
	__atomic_store_n(&ci->ci_nintr, ci->ci_nintr + 1, __ATOMIC_RELAXED);
	fn(arg);
	if (soft) {
		ci->ci_sdepth--;
		l->l_pflag = opflag;
	} else
		ci->ci_idepth--;
	splx_inline(ci, s);
	return 0;
}

/*
 * Boot step.
 */
static int
intr_init(struct nbm_machine *m)
{
	struct nbm_intr_state *it;
	size_t sz;

	pthread_once(&intr_signal_once, intr_signal_install);
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return ENOMEM;
	/* One more for observers (nbm_machine_observe), numbered ncpu. */
	sz = roundup((m->m_ncpu + 1) * sizeof(*it->it_cpu), COHERENCY_UNIT);
	if ((it->it_cpu = aligned_alloc(COHERENCY_UNIT, sz)) == NULL) {
		free(it);
		return ENOMEM;
	}
	memset(it->it_cpu, 0, sz);
	TAILQ_INIT(&it->it_live);
	m->m_intr = it;
	return 0;
}

/* At shutdown no CPU runs: everything, parked or live, goes at once. */
static void
intr_fini(struct nbm_machine *m)
{
	struct nbm_intr_state *it = m->m_intr;
	struct nbm_intrsource *is;
	struct softint *si;
	u_int i;

	if (it == NULL)
		return;
	if (it->it_genrunning) {
		atomic_store(&it->it_genstop, 1);
		intr_gen_poke(it);
		pthread_join(it->it_gen, NULL);
	}
	while ((is = TAILQ_FIRST(&it->it_live)) != NULL) {
		TAILQ_REMOVE(&it->it_live, is, is_entry);
		intr_park_source(it, is);
	}
	for (i = 0; i < atomic_load(&it->it_nsoftint); i++)
		if ((si = atomic_load(&it->it_softint[i])) != NULL)
			intr_park_softint(it, si);
	while ((is = atomic_load(&it->it_srclimbo)) != NULL) {
		atomic_store(&it->it_srclimbo, is->is_limbo);
		free(is->is_cpu);
		free(is);
	}
	while ((si = atomic_load(&it->it_silimbo)) != NULL) {
		atomic_store(&it->it_silimbo, si->si_limbo);
		softint_free(si);
	}
	free(it->it_cpu);
	free(it);
	m->m_intr = NULL;
}

const struct nbm_bootstep nbm_bootstep_intr = {
	"intr", intr_init, intr_fini
};
