/*
 * kern_sched.c: simulated kernel threads (lwps), their CPUs' run queues,
 * sleeping and waking, and the loops that run a machine in parallel or
 * deterministic mode.
 *
 * Threads.  A scheduled thread (LW_SCHED) has a stack of its own and is
 * bound to one CPU.  Switching between a thread and its CPU's scheduler
 * loop saves and restores the callee-saved registers and the stack pointer
 * (nbm_ctx_switch, a dozen instructions on x86-64); no system call is made,
 * so a switch costs nanoseconds.  Sanitizers are told about every switch
 * (ASan fiber annotations, TSan fibers).
 *
 * Run queues.  Each CPU has a FIFO of runnable threads (sc_runq).  A thread
 * runs until it yields, sleeps or exits (cooperative within a CPU); CPUs
 * run concurrently in parallel mode.  Wakeups may come from any CPU or from
 * an interrupt handler: they put the thread on its own CPU's queue and wake
 * that CPU's host thread if it idles.
 *
 * Sleep queues.  Sleeping threads sit in a hash table keyed by the object
 * they sleep on (a condition variable, a contended mutex, a kpause token),
 * protected by one machine-wide lock.  A sleeper enqueues itself before it
 * releases its interlock, so a wakeup issued under the interlock is never
 * lost.  All scheduler locks are taken at IPL_SCHED, so an interrupt on the
 * same host thread stays pending instead of deadlocking on them.
 *
 * Modes.  Parallel: nbm_machine_run() starts one host thread per CPU; each
 * runs its CPU's queue and idles on a futex when it is empty.
 * Deterministic: the calling host thread takes every CPU; at each step it
 * picks, with a PRNG seeded from the machine's seed, one CPU among those
 * with runnable threads and runs that CPU's first thread.  When nothing is
 * runnable it advances virtual time to the earliest timeout.  Nothing in a
 * deterministic run depends on the host's timing.
 *
 * Deadlock.  When every thread of the machine sleeps, no sleep has a
 * timeout and no interrupt source can deliver anything, no thread can ever
 * wake: the machine panics with a report of the sleepers.  In parallel mode
 * the condition must hold on every CPU across one idle period with no
 * wakeup in between, which rules out threads caught between enqueueing
 * themselves and switching away.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "nbm_impl.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define NBM_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define NBM_TSAN 1
#endif

#if defined(NBM_ASAN) || defined(NBM_TSAN)
#define LWP_STACK_SIZE	(1024 * 1024)
#else
#define LWP_STACK_SIZE	(256 * 1024)
#endif
#define SLEEPQ_BUCKETS	128
#define IDLE_WAIT_NS	10000000ULL	/* parallel idle poll: 10 ms */

/*
 * A deterministic machine whose threads all sleep while interrupts keep
 * arriving, none of which wakes a thread for this long, is deadlocked too.
 */
#define DET_LIVELOCK_NS		(60ULL * 1000000000ULL)

TAILQ_HEAD(lwpq, lwp);

struct nbm_sched_cpu {
	_Atomic(int)	 sc_lock;	/* run queue lock */
	struct lwpq	 sc_runq;	/* runnable threads, FIFO */
	_Atomic(u_int)	 sc_nrun;	/* threads on sc_runq */
	volatile uint32_t sc_wakeword;	/* futex: bumped by every wakeup */
	_Atomic(int)	 sc_idle;	/* host thread waits on sc_wakeword */
	pthread_t	 sc_thread;	/* parallel mode host thread */
} __cacheline_aligned;

struct nbm_sched_state {
	struct nbm_sched_cpu *ss_cpu;	/* per CPU */
	_Atomic(int)	 ss_sqlock;	/* sleep queues, thread list */
	struct lwpq	 ss_sleepq[SLEEPQ_BUCKETS];
	LIST_HEAD(, lwp) ss_lwps;	/* every scheduled thread */
	_Atomic(u_int)	 ss_nlwp;	/* alive threads */
	_Atomic(u_int)	 ss_nwork;	/* alive non-system threads */
	_Atomic(u_int)	 ss_nsleep;	/* asleep */
	_Atomic(u_int)	 ss_ntimed;	/* asleep with a timeout */
	u_int		 ss_nextlid;	/* next thread id */
	_Atomic(uint64_t) ss_wakegen;	/* bumped by every wakeup */
	_Atomic(u_int)	 ss_nidle;	/* idle CPU host threads */
	_Atomic(int)	 ss_stop;	/* nbm_machine_stop() */
	_Atomic(int)	 ss_running;	/* inside nbm_machine_run() */
	uint64_t	 ss_rng;	/* deterministic CPU choice */
	uint64_t	 ss_limit;	/* run limit, uptime ns */
	uint64_t	 ss_lastrun;	/* deterministic: last thread run */
	struct nbm_machine *ss_machine;
};

/*
 * Per host thread: the context of the scheduler loop it runs, where
 * threads switch back to.
 */
static __thread void *nbm_loop_sp;
static __thread struct lwp nbm_loop_lwp;
#ifdef NBM_ASAN
static __thread const void *nbm_loop_stack_bottom;
static __thread size_t nbm_loop_stack_size;
#endif
#ifdef NBM_TSAN
static __thread void *nbm_loop_fiber;
#endif

/*
 * nbm_ctx_switch(save, to): save the callee-saved registers on the current
 * stack, store the stack pointer in *save, load `to' and restore from it.
 * nbm_ctx_start: first code a new thread runs; calls r12(r13).
 */
void	nbm_ctx_switch(void **save, void *to);
void	nbm_ctx_start(void);

#if defined(__x86_64__)
__asm__(
	".text\n"
	".globl nbm_ctx_switch\n"
	".type nbm_ctx_switch,@function\n"
	"nbm_ctx_switch:\n"
	"	pushq %rbp\n"
	"	pushq %rbx\n"
	"	pushq %r12\n"
	"	pushq %r13\n"
	"	pushq %r14\n"
	"	pushq %r15\n"
	"	movq %rsp, (%rdi)\n"
	"	movq %rsi, %rsp\n"
	"	popq %r15\n"
	"	popq %r14\n"
	"	popq %r13\n"
	"	popq %r12\n"
	"	popq %rbx\n"
	"	popq %rbp\n"
	"	ret\n"
	".size nbm_ctx_switch, .-nbm_ctx_switch\n"
	".globl nbm_ctx_start\n"
	".type nbm_ctx_start,@function\n"
	"nbm_ctx_start:\n"
	"	movq %r13, %rdi\n"
	"	callq *%r12\n"
	"	ud2\n"
	".size nbm_ctx_start, .-nbm_ctx_start\n"
);
#else
#error "kern_sched.c: nbm_ctx_switch is written for x86-64 only"
#endif

static void
futex_wait_ns(volatile uint32_t *word, uint32_t val, uint64_t ns)
{
	struct timespec ts = {
		.tv_sec = (time_t)(ns / 1000000000ULL),
		.tv_nsec = (long)(ns % 1000000000ULL),
	};

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
}

static void
futex_wake_all(volatile uint32_t *word)
{

	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0);
}

static inline void
spin_lock(_Atomic(int) *lk)
{
	int expected, spins = 0;

	for (;;) {
		expected = 0;
		if (atomic_compare_exchange_weak_explicit(lk, &expected, 1,
		    memory_order_acquire, memory_order_relaxed))
			return;
		if (++spins > 64) {
			sched_yield();
			spins = 0;
		} else
			__builtin_ia32_pause();
	}
}

static inline void
spin_unlock(_Atomic(int) *lk)
{

	atomic_store_explicit(lk, 0, memory_order_release);
}

static inline struct nbm_sched_state *
sched_state(struct nbm_machine *m)
{

	return m->m_sched;
}

static inline struct lwpq *
sleepq_bucket(struct nbm_sched_state *ss, const void *obj)
{
	uintptr_t h = (uintptr_t)obj;

	h ^= h >> 17;
	h *= 0x9e3779b97f4a7c15ULL;
	return &ss->ss_sleepq[(h >> 32) % SLEEPQ_BUCKETS];
}

/*
 * Switching.
 */
static void
sched_switch_to_lwp(struct lwp *l)
{
	struct lwp *self = nbm_curlwp_tls;
#ifdef NBM_ASAN
	void *fake = NULL;
#endif

	__atomic_store_n(&l->l_stat, LSONPROC, __ATOMIC_RELAXED);
	l->l_cpu->ci_curlwp = l;
	nbm_curlwp_tls = l;
#ifdef NBM_ASAN
	__sanitizer_start_switch_fiber(&fake, l->l_stack, l->l_stacksize);
#endif
#ifdef NBM_TSAN
	__tsan_switch_to_fiber(l->l_tsan_fiber, 0);
#endif
	nbm_ctx_switch(&nbm_loop_sp, l->l_sp);
#ifdef NBM_ASAN
	__sanitizer_finish_switch_fiber(fake, NULL, NULL);
#endif
	nbm_curlwp_tls = self;
	l->l_cpu->ci_curlwp = self;
}

static void
sched_switch_to_loop(struct lwp *l)
{

#ifdef NBM_ASAN
	__sanitizer_start_switch_fiber(__atomic_load_n(&l->l_stat, __ATOMIC_RELAXED) == LSZOMB ? NULL :
	    &l->l_asan_fake, nbm_loop_stack_bottom, nbm_loop_stack_size);
#endif
#ifdef NBM_TSAN
	__tsan_switch_to_fiber(nbm_loop_fiber, 0);
#endif
	nbm_ctx_switch(&l->l_sp, nbm_loop_sp);
#ifdef NBM_ASAN
	__sanitizer_finish_switch_fiber(l->l_asan_fake, NULL, NULL);
#endif
}

/*
 * sched_setrun: make a thread runnable on its CPU and wake the CPU.
 *
 * => the thread is not on any queue.
 */
static void
sched_setrun(struct nbm_sched_state *ss, struct lwp *l)
{
	struct nbm_sched_cpu *sc = &ss->ss_cpu[l->l_cpu->ci_index];

	__atomic_store_n(&l->l_stat, LSRUN, __ATOMIC_RELAXED);
	spin_lock(&sc->sc_lock);
	TAILQ_INSERT_TAIL(&sc->sc_runq, l, l_runq);
	atomic_fetch_add(&sc->sc_nrun, 1);
	spin_unlock(&sc->sc_lock);
	atomic_fetch_add(&ss->ss_wakegen, 1);
	__atomic_fetch_add(&sc->sc_wakeword, 1, __ATOMIC_RELEASE);
	if (atomic_load(&sc->sc_idle))
		futex_wake_all(&sc->sc_wakeword);
}

static struct lwp *
sched_dequeue(struct nbm_sched_cpu *sc)
{
	struct lwp *l;

	if (atomic_load_explicit(&sc->sc_nrun, memory_order_acquire) == 0)
		return NULL;
	spin_lock(&sc->sc_lock);
	if ((l = TAILQ_FIRST(&sc->sc_runq)) != NULL) {
		TAILQ_REMOVE(&sc->sc_runq, l, l_runq);
		atomic_fetch_sub(&sc->sc_nrun, 1);
	}
	spin_unlock(&sc->sc_lock);
	return l;
}

/*
 * Thread creation and exit.
 */
static void
lwp_trampoline(struct lwp *l)
{
	struct nbm_machine *m = l->l_machine;

#ifdef NBM_ASAN
	__sanitizer_finish_switch_fiber(NULL, &nbm_loop_stack_bottom,
	    &nbm_loop_stack_size);
#endif
	(void)nbm_machine_try(m, l->l_fn, l->l_arg);
	nbm_lwp_exit();
}

static int lwp_create1(struct nbm_machine *, u_int, const char *,
    void (*)(void *), void *, struct lwp **, int);

int
nbm_lwp_create(struct nbm_machine *m, u_int cpu, const char *name,
    void (*fn)(void *), void *arg, struct lwp **lp)
{

	return lwp_create1(m, cpu, name, fn, arg, lp, 0);
}

/*
 * nbm_lwp_create_system: a kernel thread (the page daemon) that does not
 * count as work: a run ends when only such threads are left.
 */
int
nbm_lwp_create_system(struct nbm_machine *m, u_int cpu, const char *name,
    void (*fn)(void *), void *arg, struct lwp **lp)
{

	return lwp_create1(m, cpu, name, fn, arg, lp, LW_SYSTEM);
}

static int
lwp_create1(struct nbm_machine *m, u_int cpu, const char *name,
    void (*fn)(void *), void *arg, struct lwp **lp, int flags)
{
	struct nbm_sched_state *ss = sched_state(m);
	struct lwp *l;
	uintptr_t *sp, top;
	void *stack;
	int s = 0;
	struct cpu_info *ci = nbm_curcpu_tls;

	if (cpu >= m->m_ncpu)
		return EINVAL;
	if (atomic_load(&m->m_dead))
		return ENXIO;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return ENOMEM;
	if (nbm_host_stack_alloc(LWP_STACK_SIZE, &stack) != 0) {
		free(l);
		return ENOMEM;
	}
	l->l_machine = m;
	l->l_cpu = m->m_cpus[cpu];
	snprintf(l->l_namebuf, sizeof(l->l_namebuf), "%s",
	    name != NULL ? name : "lwp");
	l->l_name = l->l_namebuf;
	l->l_flag = LW_SCHED;
	__atomic_store_n(&l->l_stat, LSIDL, __ATOMIC_RELAXED);
	l->l_fn = fn;
	l->l_arg = arg;
	l->l_stack = stack;
	l->l_stacksize = LWP_STACK_SIZE;
#ifdef NBM_TSAN
	l->l_tsan_fiber = __tsan_create_fiber(0);
#endif
	/*
	 * Initial frame for nbm_ctx_switch: six callee-saved registers
	 * (r12 = the entry, r13 = its argument) and the return address
	 * nbm_ctx_start, placed so that the stack is 16-byte aligned when
	 * nbm_ctx_start calls the entry.
	 */
	top = ((uintptr_t)stack + LWP_STACK_SIZE) & ~(uintptr_t)15;
	sp = (uintptr_t *)(top - 56);
	sp[0] = 0;				/* r15 */
	sp[1] = 0;				/* r14 */
	sp[2] = (uintptr_t)l;			/* r13 */
	sp[3] = (uintptr_t)lwp_trampoline;	/* r12 */
	sp[4] = 0;				/* rbx */
	sp[5] = 0;				/* rbp */
	sp[6] = (uintptr_t)nbm_ctx_start;	/* return address */
	l->l_sp = sp;

	if (ci != NULL && ci->ci_machine == m)
		s = splraise_inline(ci, IPL_SCHED);
	spin_lock(&ss->ss_sqlock);
	l->l_lid = ++ss->ss_nextlid;
	LIST_INSERT_HEAD(&ss->ss_lwps, l, l_list);
	ss->ss_nlwp++;
	if ((flags & LW_SYSTEM) == 0)
		ss->ss_nwork++;
	spin_unlock(&ss->ss_sqlock);
	sched_setrun(ss, l);
	if (ci != NULL && ci->ci_machine == m)
		splx_inline(ci, s);
	if (lp != NULL)
		*lp = l;
	return 0;
}

static void
lwp_free(struct nbm_sched_state *ss, struct lwp *l)
{

	spin_lock(&ss->ss_sqlock);
	LIST_REMOVE(l, l_list);
	spin_unlock(&ss->ss_sqlock);
#ifdef NBM_TSAN
	__tsan_destroy_fiber(l->l_tsan_fiber);
#endif
	nbm_host_stack_free(l->l_stack, l->l_stacksize);
	free(l);
}

void
nbm_lwp_exit(void)
{
	struct lwp *l = curlwp;
	struct nbm_sched_state *ss;
	struct cpu_info *ci = curcpu();

	if (!nbm_lwp_sched_p(l))
		panic("nbm_lwp_exit: called by a thread the scheduler did not "
		    "create");
	ss = sched_state(l->l_machine);
	(void)splraise_inline(ci, IPL_SCHED);
	spin_lock(&ss->ss_sqlock);
	ss->ss_nlwp--;
	if ((l->l_flag & LW_SYSTEM) == 0)
		ss->ss_nwork--;
	spin_unlock(&ss->ss_sqlock);
	atomic_fetch_add(&ss->ss_wakegen, 1);
	__atomic_store_n(&l->l_stat, LSZOMB, __ATOMIC_RELAXED);
	/* The loop frees the stack and restores the CPU's level. */
	sched_switch_to_loop(l);
	__builtin_unreachable();
}

/*
 * Sleeping and waking.
 */

/*
 * nbm_sched_sleep: put the calling scheduled thread to sleep on obj.
 *
 * => the interlock, if any, is held on entry, released while asleep and
 *    held again on return.
 * => timeout_ns: 0 for none; returns EWOULDBLOCK if the time ran out.
 */
int
nbm_sched_sleep(const void *obj, const char *wmesg, kmutex_t *interlock,
    uint64_t timeout_ns)
{
	struct lwp *l = curlwp;
	struct cpu_info *ci = curcpu();
	struct nbm_machine *m = ci->ci_machine;
	struct nbm_sched_state *ss = sched_state(m);
	int s;

	s = splraise_inline(ci, IPL_SCHED);
	spin_lock(&ss->ss_sqlock);
	l->l_wchanobj = obj;
	l->l_wchan = wmesg;
	l->l_timedout = false;
	l->l_timeout = timeout_ns != 0 ? nbm_uptime_ns(m) + timeout_ns : 0;
	__atomic_store_n(&l->l_stat, LSSLEEP, __ATOMIC_RELAXED);
	TAILQ_INSERT_TAIL(sleepq_bucket(ss, obj), l, l_sleepq);
	ss->ss_nsleep++;
	if (timeout_ns != 0)
		ss->ss_ntimed++;
	spin_unlock(&ss->ss_sqlock);
	splx_inline(ci, s);
	if (interlock != NULL)
		mutex_exit(interlock);
	sched_switch_to_loop(l);
	l->l_wchan = NULL;
	if (interlock != NULL)
		mutex_enter(interlock);
	return l->l_timedout ? EWOULDBLOCK : 0;
}

static void
sleepq_remove(struct nbm_sched_state *ss, struct lwp *l)
{

	TAILQ_REMOVE(sleepq_bucket(ss, l->l_wchanobj), l, l_sleepq);
	ss->ss_nsleep--;
	if (l->l_timeout != 0)
		ss->ss_ntimed--;
	l->l_wchanobj = NULL;
}

/*
 * nbm_sched_wakeup: wake every scheduled thread asleep on obj.
 */
void
nbm_sched_wakeup(struct nbm_machine *m, const void *obj)
{
	struct nbm_sched_state *ss = sched_state(m);
	struct cpu_info *ci = nbm_curcpu_tls;
	struct lwp *l, *next;
	struct lwpq *q, woken;
	int s = 0;

	if (ss == NULL)
		return;
	TAILQ_INIT(&woken);
	if (ci != NULL)
		s = splraise_inline(ci, IPL_SCHED);
	spin_lock(&ss->ss_sqlock);
	q = sleepq_bucket(ss, obj);
	TAILQ_FOREACH_SAFE(l, q, l_sleepq, next) {
		if (l->l_wchanobj != obj)
			continue;
		sleepq_remove(ss, l);
		TAILQ_INSERT_TAIL(&woken, l, l_sleepq);
	}
	spin_unlock(&ss->ss_sqlock);
	while ((l = TAILQ_FIRST(&woken)) != NULL) {
		TAILQ_REMOVE(&woken, l, l_sleepq);
		sched_setrun(ss, l);
	}
	if (ci != NULL)
		splx_inline(ci, s);
}

/*
 * nbm_sched_mutex_wait: a scheduled thread found the mutex held.  Sleep on
 * the mutex until its owner releases it, then take it.  The lock word is
 * left at 2 ("waiters") so that the next mutex_exit wakes the others.
 */
int
nbm_sched_mutex_wait(kmutex_t *mtx)
{
	struct lwp *l = curlwp;
	struct cpu_info *ci = curcpu();
	struct nbm_sched_state *ss = sched_state(ci->ci_machine);
	int s;

	for (;;) {
		s = splraise_inline(ci, IPL_SCHED);
		spin_lock(&ss->ss_sqlock);
		if (__atomic_exchange_n(&mtx->mtx_word, 2,
		    __ATOMIC_ACQUIRE) == 0) {
			spin_unlock(&ss->ss_sqlock);
			splx_inline(ci, s);
			return 0;
		}
		l->l_wchanobj = mtx;
		l->l_wchan = "mutex";
		l->l_timedout = false;
		l->l_timeout = 0;
		__atomic_store_n(&l->l_stat, LSSLEEP, __ATOMIC_RELAXED);
		TAILQ_INSERT_TAIL(sleepq_bucket(ss, mtx), l, l_sleepq);
		ss->ss_nsleep++;
		spin_unlock(&ss->ss_sqlock);
		splx_inline(ci, s);
		sched_switch_to_loop(l);
		l->l_wchan = NULL;
	}
}

/*
 * sched_timeouts: wake the sleepers whose timeout has passed; return the
 * earliest timeout still pending (0: none).
 */
static uint64_t
sched_timeouts(struct nbm_sched_state *ss, uint64_t now)
{
	struct lwp *l, *next;
	struct lwpq woken;
	uint64_t earliest = 0;
	u_int i;

	if (ss->ss_ntimed == 0)
		return 0;
	TAILQ_INIT(&woken);
	spin_lock(&ss->ss_sqlock);
	for (i = 0; i < SLEEPQ_BUCKETS && ss->ss_ntimed > 0; i++) {
		TAILQ_FOREACH_SAFE(l, &ss->ss_sleepq[i], l_sleepq, next) {
			if (l->l_timeout == 0)
				continue;
			if (l->l_timeout <= now) {
				sleepq_remove(ss, l);
				l->l_timedout = true;
				TAILQ_INSERT_TAIL(&woken, l, l_sleepq);
			} else if (earliest == 0 || l->l_timeout < earliest)
				earliest = l->l_timeout;
		}
	}
	spin_unlock(&ss->ss_sqlock);
	while ((l = TAILQ_FIRST(&woken)) != NULL) {
		TAILQ_REMOVE(&woken, l, l_sleepq);
		sched_setrun(ss, l);
	}
	return earliest;
}

/*
 * sched_deadlock: every thread sleeps for good.  Panic with the list.
 */
static __dead void
sched_deadlock(struct nbm_machine *m)
{
	struct nbm_sched_state *ss = sched_state(m);
	char msg[900];
	size_t len;
	struct lwp *l;
	u_int n = 0;

	len = (size_t)snprintf(msg, sizeof(msg), "deadlock: all %u threads "
	    "are asleep and nothing can wake them:", ss->ss_nlwp);
	LIST_FOREACH(l, &ss->ss_lwps, l_list) {
		if (__atomic_load_n(&l->l_stat, __ATOMIC_RELAXED) != LSSLEEP || len >= sizeof(msg))
			continue;
		if (++n > 12) {
			len += (size_t)snprintf(msg + len, sizeof(msg) - len,
			    " ...");
			break;
		}
		len += (size_t)snprintf(msg + len, sizeof(msg) - len,
		    " lwp %u (%s) on cpu%u waits on \"%s\";", l->l_lid,
		    l->l_name, l->l_cpu->ci_index,
		    l->l_wchan != NULL ? l->l_wchan : "?");
	}
	nbm_panic(m, "%s", msg);
}

static void
sched_deadlock_cb(void *arg)
{

	sched_deadlock(arg);
}

static bool
sched_intr_pending(struct nbm_machine *m)
{

	return nbm_intr_next_arrival(m) != 0;
}

/*
 * Running a machine.
 */
struct sched_cpu_arg {
	struct nbm_machine *a_machine;
	u_int		 a_cpu;
	int		 a_error;
};

static void
sched_loop_enter(struct nbm_machine *m, struct cpu_info *ci)
{

	memset(&nbm_loop_lwp, 0, sizeof(nbm_loop_lwp));
	nbm_loop_lwp.l_cpu = ci;
	nbm_loop_lwp.l_machine = m;
	nbm_loop_lwp.l_name = "sched";
	nbm_curcpu_tls = ci;
	nbm_curlwp_tls = &nbm_loop_lwp;
	ci->ci_curlwp = &nbm_loop_lwp;
#ifdef NBM_TSAN
	nbm_loop_fiber = __tsan_get_current_fiber();
#endif
}

/* Run one thread on the current CPU until it switches back. */
static void
sched_run_one(struct nbm_sched_state *ss, struct cpu_info *ci, struct lwp *l)
{

	nbm_intr_cpu_pending(ci);
	sched_switch_to_lwp(l);
	if (__atomic_load_n(&l->l_stat, __ATOMIC_RELAXED) == LSZOMB)
		lwp_free(ss, l);
	/* A thread never leaves its CPU's level raised behind it. */
	ci->ci_ilevel = IPL_NONE;
	ci->ci_mtx_count = 0;
}

static bool
sched_should_stop(struct nbm_machine *m, struct nbm_sched_state *ss,
    int *errorp)
{

	if (atomic_load(&m->m_dead)) {
		*errorp = ENOTRECOVERABLE;
		return true;
	}
	if (atomic_load(&ss->ss_stop)) {
		*errorp = EINTR;
		return true;
	}
	if (ss->ss_limit != 0 && nbm_uptime_ns(m) >= ss->ss_limit) {
		*errorp = ETIMEDOUT;
		return true;
	}
	return false;
}

static void *
sched_cpu_main(void *argp)
{
	struct sched_cpu_arg *a = argp;
	struct nbm_machine *m = a->a_machine;
	struct nbm_sched_state *ss = sched_state(m);
	struct cpu_info *ci = m->m_cpus[a->a_cpu];
	struct nbm_sched_cpu *sc = &ss->ss_cpu[a->a_cpu];
	uint64_t gen, wakegen, earliest, now, wait;
	struct lwp *l;
	int error = 0;
	bool suspect = false;

	sched_loop_enter(m, ci);
	nbm_intr_cpu_attach(ci);
	for (;;) {
		if (sched_should_stop(m, ss, &error))
			break;
		now = nbm_uptime_ns(m);
		earliest = sched_timeouts(ss, now);
		nbm_intr_cpu_pending(ci);
		if ((l = sched_dequeue(sc)) != NULL) {
			suspect = false;
			sched_run_one(ss, ci, l);
			continue;
		}
		if (atomic_load(&ss->ss_nwork) == 0) {
			error = 0;
			break;
		}
		/* Idle until a wakeup, a timeout, or the next check. */
		gen = __atomic_load_n(&sc->sc_wakeword, __ATOMIC_ACQUIRE);
		atomic_store(&sc->sc_idle, 1);
		if (atomic_load(&sc->sc_nrun) != 0) {
			atomic_store(&sc->sc_idle, 0);
			continue;
		}
		wakegen = atomic_load(&ss->ss_wakegen);
		atomic_fetch_add(&ss->ss_nidle, 1);
		wait = IDLE_WAIT_NS;
		if (earliest != 0 && earliest > now && earliest - now < wait)
			wait = earliest - now;
		futex_wait_ns(&sc->sc_wakeword, (uint32_t)gen, wait);
		/*
		 * Deadlock check: all CPUs idle, all threads asleep without
		 * timeouts, no interrupts coming, and no wakeup for a whole
		 * idle period -- twice in a row on this CPU.
		 */
		spin_lock(&ss->ss_sqlock);
		if (atomic_load(&ss->ss_nidle) == m->m_ncpu &&
		    ss->ss_nsleep == ss->ss_nlwp && ss->ss_ntimed == 0 &&
		    ss->ss_nlwp > 0 && atomic_load(&ss->ss_wakegen) ==
		    wakegen && !sched_intr_pending(m)) {
			if (suspect) {
				spin_unlock(&ss->ss_sqlock);
				atomic_fetch_sub(&ss->ss_nidle, 1);
				atomic_store(&sc->sc_idle, 0);
				(void)nbm_machine_try(m,
				    sched_deadlock_cb, m);
				error = ENOTRECOVERABLE;
				break;
			}
			suspect = true;
		} else
			suspect = false;
		spin_unlock(&ss->ss_sqlock);
		atomic_fetch_sub(&ss->ss_nidle, 1);
		atomic_store(&sc->sc_idle, 0);
	}
	nbm_intr_cpu_detach(ci);
	/* Wake the other CPUs so that they notice too. */
	for (u_int i = 0; i < m->m_ncpu; i++) {
		__atomic_fetch_add(&ss->ss_cpu[i].sc_wakeword, 1,
		    __ATOMIC_RELEASE);
		futex_wake_all(&ss->ss_cpu[i].sc_wakeword);
	}
	ci->ci_curlwp = NULL;
	nbm_curcpu_tls = NULL;
	nbm_curlwp_tls = NULL;
	a->a_error = error;
	return NULL;
}

static int
sched_run_parallel(struct nbm_machine *m, struct nbm_sched_state *ss)
{
	struct sched_cpu_arg *args;
	u_int i, started = 0;
	int error = 0;

	if ((args = calloc(m->m_ncpu, sizeof(*args))) == NULL)
		return ENOMEM;
	for (i = 0; i < m->m_ncpu; i++) {
		args[i].a_machine = m;
		args[i].a_cpu = i;
		if (pthread_create(&ss->ss_cpu[i].sc_thread, NULL,
		    sched_cpu_main, &args[i]) != 0) {
			nbm_machine_stop(m);
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++) {
		pthread_join(ss->ss_cpu[i].sc_thread, NULL);
		/* The most telling reason wins: panic, then stop, then limit. */
		if (args[i].a_error == ENOTRECOVERABLE ||
		    (error != ENOTRECOVERABLE && args[i].a_error != 0))
			error = args[i].a_error;
	}
	free(args);
	if (started < m->m_ncpu && error == 0)
		error = EAGAIN;
	return error;
}

static int
sched_run_deterministic(struct nbm_machine *m, struct nbm_sched_state *ss)
{
	struct cpu_info *ci;
	struct nbm_sched_cpu *sc;
	u_int ready[NBM_NCPU_MAX], nready, i;
	uint64_t now, earliest, next;
	struct lwp *l;
	int error = 0;

	sched_loop_enter(m, m->m_cpus[0]);
	for (;;) {
		if (sched_should_stop(m, ss, &error))
			break;
		if (ss->ss_nwork == 0) {
			error = 0;
			break;
		}
		now = nbm_uptime_ns(m);
		nbm_intr_det_deliver(m, now);
		earliest = sched_timeouts(ss, now);
		/* A CPU is ready if it has a thread or an interrupt to run. */
		for (nready = 0, i = 0; i < m->m_ncpu; i++)
			if (atomic_load(&ss->ss_cpu[i].sc_nrun) != 0 ||
			    __atomic_load_n(&m->m_cpus[i]->ci_ipending,
			    __ATOMIC_RELAXED) != 0)
				ready[nready++] = i;
		if (nready == 0) {
			/* Nothing runnable: jump to the next event. */
			uint64_t a = nbm_intr_next_arrival(m);

			next = earliest;
			if (a != 0 && (next == 0 || a < next))
				next = a;
			if (next == 0 || (earliest == 0 &&
			    now - ss->ss_lastrun > DET_LIVELOCK_NS)) {
				(void)nbm_machine_try(m,
				    sched_deadlock_cb, m);
				error = ENOTRECOVERABLE;
				break;
			}
			if (next > now)
				atomic_store(&m->m_vtime_ns, next);
			continue;
		}
		i = ready[nbm_rand64(&ss->ss_rng) % nready];
		ci = m->m_cpus[i];
		sc = &ss->ss_cpu[i];
		nbm_curcpu_tls = ci;
		nbm_loop_lwp.l_cpu = ci;
		if ((l = sched_dequeue(sc)) != NULL) {
			sched_run_one(ss, ci, l);
			ss->ss_lastrun = nbm_uptime_ns(m);
		} else
			nbm_intr_cpu_pending(ci);
	}
	nbm_curcpu_tls = NULL;
	nbm_curlwp_tls = NULL;
	return error;
}

int
nbm_machine_run(struct nbm_machine *m, uint64_t limit_ns)
{
	struct nbm_sched_state *ss = sched_state(m);
	struct cpu_info *oci = nbm_curcpu_tls;
	struct lwp *olwp = nbm_curlwp_tls;
	uintptr_t none;
	u_int i, taken = 0;
	int error, expected = 0;

	if (oci != NULL)
		return EALREADY;
	if (atomic_load(&m->m_dead))
		return ENOTRECOVERABLE;
	if (!atomic_compare_exchange_strong(&ss->ss_running, &expected, 1))
		return EBUSY;
	/* The run owns every CPU: no host thread may enter one meanwhile. */
	for (i = 0; i < m->m_ncpu; i++) {
		none = 0;
		if (!atomic_compare_exchange_strong(&m->m_cpus[i]->ci_occupant,
		    &none, (uintptr_t)&ss->ss_running))
			break;
		taken++;
	}
	if (taken < m->m_ncpu) {
		error = EBUSY;
		goto out;
	}
	atomic_store(&ss->ss_stop, 0);
	ss->ss_limit = limit_ns != 0 ? nbm_uptime_ns(m) + limit_ns : 0;
	nbm_pdaemon_start(m);
	if (m->m_cfg.mode == NBM_MODE_DETERMINISTIC)
		error = sched_run_deterministic(m, ss);
	else
		error = sched_run_parallel(m, ss);
	atomic_store(&ss->ss_stop, 0);
out:
	for (i = 0; i < taken; i++)
		atomic_store(&m->m_cpus[i]->ci_occupant, 0);
	atomic_store(&ss->ss_running, 0);
	nbm_curcpu_tls = oci;
	nbm_curlwp_tls = olwp;
	return error;
}

void
nbm_machine_stop(struct nbm_machine *m)
{
	struct nbm_sched_state *ss = sched_state(m);
	u_int i;

	atomic_store(&ss->ss_stop, 1);
	for (i = 0; i < m->m_ncpu; i++) {
		__atomic_fetch_add(&ss->ss_cpu[i].sc_wakeword, 1,
		    __ATOMIC_RELEASE);
		futex_wake_all(&ss->ss_cpu[i].sc_wakeword);
	}
}

/*
 * Voluntary switches.
 */
void
yield(void)
{
	struct lwp *l = curlwp;
	struct cpu_info *ci = curcpu();

	if (!nbm_lwp_sched_p(l)) {
		sched_yield();
		return;
	}
	KASSERTMSG(ci->ci_mtx_count == 0, "yield: %d spin mutexes held",
	    ci->ci_mtx_count);
	sched_setrun(sched_state(ci->ci_machine), l);
	sched_switch_to_loop(l);
}

int
kpause(const char *wmesg, bool intr, int timo, kmutex_t *mtx)
{
	struct cpu_info *ci = curcpu();
	struct nbm_machine *m = ci->ci_machine;
	uint64_t ns;
	kcondvar_t cv;
	kmutex_t lk;
	int error;

	(void)intr;
	if (timo <= 0) {
		yield();
		return 0;
	}
	ns = (uint64_t)timo * (1000000000ULL / m->m_cfg.hz);
	if (nbm_lwp_sched_p(curlwp)) {
		/* Nothing wakes the thread itself: it sleeps on its own. */
		return nbm_sched_sleep(curlwp, wmesg, mtx, ns);
	}
	/* A host thread: a timed wait on a private condition variable. */
	if (mtx != NULL)
		mutex_exit(mtx);
	cv_init(&cv, wmesg);
	mutex_init(&lk, MUTEX_DEFAULT, IPL_NONE);
	mutex_enter(&lk);
	error = cv_timedwait(&cv, &lk, timo);
	mutex_exit(&lk);
	if (mtx != NULL)
		mutex_enter(mtx);
	return error;
}

void
nbm_sched_charge(uint64_t ns)
{
	struct cpu_info *ci = curcpu();
	struct nbm_machine *m = ci->ci_machine;

	if (m->m_cfg.mode != NBM_MODE_DETERMINISTIC)
		return;
	atomic_fetch_add_explicit(&m->m_vtime_ns, ns, memory_order_relaxed);
	/* Interrupts that came due meanwhile arrive now, on this CPU. */
	nbm_intr_det_charge(m, ci);
}

struct lwp *
nbm_curlwp(void)
{

	return curlwp;
}

u_int
nbm_lwp_id(const struct lwp *l)
{

	return l->l_lid;
}

const char *
nbm_lwp_name(const struct lwp *l)
{

	return l->l_name;
}

/*
 * Boot step.
 */
static int
sched_init(struct nbm_machine *m)
{
	struct nbm_sched_state *ss;
	u_int i;

	if ((ss = calloc(1, sizeof(*ss))) == NULL)
		return ENOMEM;
	ss->ss_cpu = aligned_alloc(COHERENCY_UNIT,
	    roundup(m->m_ncpu * sizeof(*ss->ss_cpu), COHERENCY_UNIT));
	if (ss->ss_cpu == NULL) {
		free(ss);
		return ENOMEM;
	}
	memset(ss->ss_cpu, 0, m->m_ncpu * sizeof(*ss->ss_cpu));
	for (i = 0; i < m->m_ncpu; i++)
		TAILQ_INIT(&ss->ss_cpu[i].sc_runq);
	for (i = 0; i < SLEEPQ_BUCKETS; i++)
		TAILQ_INIT(&ss->ss_sleepq[i]);
	LIST_INIT(&ss->ss_lwps);
	ss->ss_rng = m->m_cfg.seed ^ 0x5eed5c4edULL;
	ss->ss_machine = m;
	m->m_sched = ss;
	return 0;
}

static void
sched_fini(struct nbm_machine *m)
{
	struct nbm_sched_state *ss = m->m_sched;
	struct lwp *l;

	if (ss == NULL)
		return;
	while ((l = LIST_FIRST(&ss->ss_lwps)) != NULL) {
		LIST_REMOVE(l, l_list);
#ifdef NBM_TSAN
		__tsan_destroy_fiber(l->l_tsan_fiber);
#endif
		nbm_host_stack_free(l->l_stack, l->l_stacksize);
		free(l);
	}
	free(ss->ss_cpu);
	free(ss);
	m->m_sched = NULL;
}

const struct nbm_bootstep nbm_bootstep_sched = {
	"sched", sched_init, sched_fini
};
