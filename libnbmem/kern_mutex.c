/*
 * kern_mutex.c: mutex(9) and condvar(9) for the simulated CPUs.
 *
 * A mutex is one 32-bit lock word (0 free, 1 held, 2 held with waiters)
 * plus the owner, kept for mutex_owned() and for the "locking against
 * myself" check.  Spin mutexes raise the CPU's IPL to the mutex's level
 * before taking the word, counting nested spin mutexes per CPU and
 * restoring the level of the first one on the last exit (NetBSD's
 * ci_mtx_count / ci_mtx_oldspl scheme).  A contended word is spun on briefly
 * and then waited for with the host's futex, so that a machine with more
 * simulated CPUs than host cores still makes progress.
 *
 * A condition variable is a generation counter: cv_wait() notes the
 * generation, drops the interlock and sleeps until a wakeup bumps it.  A
 * wakeup between the drop and the sleep changes the generation first, so
 * it is never lost.
 *
 * Panic texts follow NetBSD's mutex error reports ("mutex error:
 * <function>,<line>: <message>").
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <sys/syscall.h>
#include <sched.h>
#include <unistd.h>

#include "nbm_impl.h"

#define MTX_MAGIC	0x6d78

static void
futex_wait(volatile uint32_t *word, uint32_t val)
{

	syscall(SYS_futex, word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void
futex_wake(volatile uint32_t *word, int n)
{

	syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static __dead void
mutex_abort(const kmutex_t *mtx, const char *fn, int line, const char *msg)
{

	panic("mutex error: %s,%d: %s (lock %p owner %#lx)", fn, line, msg,
	    (const void *)mtx, (unsigned long)mtx->mtx_owner);
}

void
mutex_init(kmutex_t *mtx, kmutex_type_t type, int ipl)
{

	memset(mtx, 0, sizeof(*mtx));
	switch (type) {
	case MUTEX_ADAPTIVE:
		mtx->mtx_spin = 0;
		break;
	case MUTEX_SPIN:
		mtx->mtx_spin = 1;
		break;
	default:
		/* IPL_NONE and the soft levels give an adaptive mutex. */
		mtx->mtx_spin = ipl >= IPL_VM;
		break;
	}
	mtx->mtx_ipl = (uint8_t)ipl;
	mtx->mtx_magic = MTX_MAGIC;
}

void
mutex_destroy(kmutex_t *mtx)
{

	if (mtx->mtx_owner != 0)
		mutex_abort(mtx, __func__, __LINE__, "assertion failed: "
		    "!MUTEX_OWNED(mtx->mtx_owner)");
	mtx->mtx_magic = 0;
}

static inline uintptr_t
mutex_self(void)
{
	struct lwp *l = curlwp;

	return l != NULL ? (uintptr_t)l : (uintptr_t)curcpu();
}

static void
mutex_word_enter(kmutex_t *mtx)
{
	uint32_t c = 0;
	int spins;

	if (__atomic_compare_exchange_n(&mtx->mtx_word, &c, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
		return;
	for (spins = 0; spins < 100; spins++) {
		c = 0;
		if (__atomic_load_n(&mtx->mtx_word, __ATOMIC_RELAXED) == 0 &&
		    __atomic_compare_exchange_n(&mtx->mtx_word, &c, 1, false,
		    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return;
		__builtin_ia32_pause();
	}
	/*
	 * A scheduled thread must not block its CPU's host thread: the
	 * owner may be another thread of the same CPU.  It sleeps on the
	 * mutex through the scheduler instead.  Spin mutexes are never held
	 * across a switch, so only adaptive ones get here for long.
	 */
	if (!mtx->mtx_spin && nbm_lwp_sched_p(curlwp)) {
		nbm_sched_mutex_wait(mtx);
		return;
	}
	while (__atomic_exchange_n(&mtx->mtx_word, 2, __ATOMIC_ACQUIRE) != 0)
		futex_wait(&mtx->mtx_word, 2);
}

static void
mutex_word_exit(kmutex_t *mtx)
{

	if (__atomic_exchange_n(&mtx->mtx_word, 0, __ATOMIC_RELEASE) == 2) {
		futex_wake(&mtx->mtx_word, 1);
		if (!mtx->mtx_spin)
			nbm_sched_wakeup(curcpu()->ci_machine, mtx);
	}
}

void
mutex_enter(kmutex_t *mtx)
{
	struct cpu_info *ci = curcpu();
	uintptr_t self = mutex_self();
	int s;

	if (__predict_false(mtx->mtx_magic != MTX_MAGIC))
		mutex_abort(mtx, __func__, __LINE__, "uninitialized lock");
	if (__predict_false(__atomic_load_n(&mtx->mtx_owner,
	    __ATOMIC_RELAXED) == self))
		mutex_abort(mtx, __func__, __LINE__, "locking against myself");
	if (mtx->mtx_spin) {
		s = splraise_inline(ci, mtx->mtx_ipl);
		if (ci->ci_mtx_count++ == 0)
			ci->ci_mtx_oldspl = s;
	} else if (__predict_false(ci->ci_idepth >= 0)) {
		mutex_abort(mtx, __func__, __LINE__,
		    "assertion failed: !cpu_intr_p()");
	}
	mutex_word_enter(mtx);
	__atomic_store_n(&mtx->mtx_owner, self, __ATOMIC_RELAXED);
}

int
mutex_tryenter(kmutex_t *mtx)
{
	struct cpu_info *ci = curcpu();
	uint32_t c = 0;
	int s = 0;

	if (mtx->mtx_spin)
		s = splraise_inline(ci, mtx->mtx_ipl);
	if (!__atomic_compare_exchange_n(&mtx->mtx_word, &c, 1, false,
	    __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
		if (mtx->mtx_spin)
			splx_inline(ci, s);
		return 0;
	}
	if (mtx->mtx_spin && ci->ci_mtx_count++ == 0)
		ci->ci_mtx_oldspl = s;
	__atomic_store_n(&mtx->mtx_owner, mutex_self(), __ATOMIC_RELAXED);
	return 1;
}

void
mutex_exit(kmutex_t *mtx)
{
	struct cpu_info *ci = curcpu();

	if (__predict_false(__atomic_load_n(&mtx->mtx_owner,
	    __ATOMIC_RELAXED) != mutex_self()))
		mutex_abort(mtx, __func__, __LINE__, "exiting unheld lock");
	__atomic_store_n(&mtx->mtx_owner, 0, __ATOMIC_RELAXED);
	mutex_word_exit(mtx);
	if (mtx->mtx_spin) {
		if (--ci->ci_mtx_count == 0)
			splx_inline(ci, ci->ci_mtx_oldspl);
	}
}

int
mutex_owned(const kmutex_t *mtx)
{

	return __atomic_load_n(&mtx->mtx_owner, __ATOMIC_RELAXED) ==
	    mutex_self();
}

void
mutex_spin_enter(kmutex_t *mtx)
{

	mutex_enter(mtx);
}

void
mutex_spin_exit(kmutex_t *mtx)
{

	mutex_exit(mtx);
}

void
cv_init(kcondvar_t *cv, const char *wmesg)
{

	cv->cv_wmesg = wmesg;
	cv->cv_gen = 0;
	cv->cv_waiters = 0;
}

void
cv_destroy(kcondvar_t *cv)
{

	cv->cv_wmesg = NULL;
}

/*
 * cv_enter_wait: the checks NetBSD makes before sleeping.
 */
static void
cv_check_sleepable(kcondvar_t *cv, kmutex_t *mtx)
{
	struct cpu_info *ci = curcpu();

	if (!mutex_owned(mtx))
		mutex_abort(mtx, "cv_wait", __LINE__,
		    "assertion failed: mutex_owned(mtx)");
	if (ci->ci_idepth >= 0 || cpu_softintr_p())
		panic("cv_wait: %s: sleeping in interrupt context",
		    cv->cv_wmesg != NULL ? cv->cv_wmesg : "?");
	if (ci->ci_mtx_count > (mtx->mtx_spin ? 1 : 0))
		panic("cv_wait: %s: sleeping with a spin mutex held",
		    cv->cv_wmesg != NULL ? cv->cv_wmesg : "?");
}

void
cv_wait(kcondvar_t *cv, kmutex_t *mtx)
{
	uint32_t gen;

	cv_check_sleepable(cv, mtx);
	if (nbm_lwp_sched_p(curlwp)) {
		__atomic_fetch_add(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
		(void)nbm_sched_sleep(cv, cv->cv_wmesg, mtx, 0);
		__atomic_fetch_sub(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
		return;
	}
	/*
	 * Count ourselves before reading the generation: a broadcaster
	 * holding the interlock then either sees a waiter or bumps the
	 * generation before we read it.
	 */
	__atomic_fetch_add(&cv->cv_waiters, 1, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&cv->cv_gen, __ATOMIC_ACQUIRE);
	if (curlwp != NULL)
		curlwp->l_wchan = cv->cv_wmesg;
	mutex_exit(mtx);
	while (__atomic_load_n(&cv->cv_gen, __ATOMIC_ACQUIRE) == gen)
		futex_wait(&cv->cv_gen, gen);
	if (curlwp != NULL)
		curlwp->l_wchan = NULL;
	__atomic_fetch_sub(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
	mutex_enter(mtx);
}

int
cv_wait_sig(kcondvar_t *cv, kmutex_t *mtx)
{

	/* Simulated threads receive no signals. */
	cv_wait(cv, mtx);
	return 0;
}

int
cv_timedwait(kcondvar_t *cv, kmutex_t *mtx, int ticks)
{
	struct nbm_machine *m = curcpu()->ci_machine;
	uint64_t tick_ns = 1000000000ULL / m->m_cfg.hz;
	struct timespec ts;
	uint32_t gen;
	int error = 0;

	if (ticks <= 0) {
		cv_wait(cv, mtx);
		return 0;
	}
	cv_check_sleepable(cv, mtx);
	if (nbm_lwp_sched_p(curlwp)) {
		__atomic_fetch_add(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
		error = nbm_sched_sleep(cv, cv->cv_wmesg, mtx,
		    (uint64_t)ticks * tick_ns);
		__atomic_fetch_sub(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
		return error;
	}
	__atomic_fetch_add(&cv->cv_waiters, 1, __ATOMIC_SEQ_CST);
	gen = __atomic_load_n(&cv->cv_gen, __ATOMIC_ACQUIRE);
	mutex_exit(mtx);
	ts.tv_sec = (time_t)((uint64_t)ticks * tick_ns / 1000000000ULL);
	ts.tv_nsec = (long)((uint64_t)ticks * tick_ns % 1000000000ULL);
	if (__atomic_load_n(&cv->cv_gen, __ATOMIC_ACQUIRE) == gen) {
		syscall(SYS_futex, &cv->cv_gen, FUTEX_WAIT_PRIVATE, gen, &ts,
		    NULL, 0);
		if (__atomic_load_n(&cv->cv_gen, __ATOMIC_ACQUIRE) == gen)
			error = EWOULDBLOCK;
	}
	__atomic_fetch_sub(&cv->cv_waiters, 1, __ATOMIC_RELAXED);
	mutex_enter(mtx);
	return error;
}

void
cv_signal(kcondvar_t *cv)
{

	/* Waking all is allowed (spurious wakeups), and simpler. */
	cv_broadcast(cv);
}

void
cv_broadcast(kcondvar_t *cv)
{

	/*
	 * No waiter, nothing to do: a waiter registers under the interlock
	 * before it reads the generation (cv_wait), so a broadcast made
	 * under the interlock cannot slip between the two.  This keeps the
	 * common broadcast (every vmem_free, every pool_put) free of atomics.
	 */
	if (__atomic_load_n(&cv->cv_waiters, __ATOMIC_SEQ_CST) == 0)
		return;
	__atomic_fetch_add(&cv->cv_gen, 1, __ATOMIC_RELEASE);
	futex_wake(&cv->cv_gen, INT32_MAX);
	nbm_sched_wakeup(curcpu()->ci_machine, cv);
}

bool
cv_has_waiters(kcondvar_t *cv)
{

	return __atomic_load_n(&cv->cv_waiters, __ATOMIC_RELAXED) != 0;
}
