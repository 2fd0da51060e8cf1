/*
 * uvm_pdaemon.c: the page daemon.
 *
 * Models the memory-pressure half of sys/uvm/uvm_pdaemon.c: when free
 * pages fall below uvmexp.freemin, the page daemon wakes up and drains the
 * pools -- pool_drain(), one pool at a time, round robin, each drain
 * invalidating the pool's cache and freeing its pages that have been idle
 * for pool_inactive_time -- until free pages are back at uvmexp.freetarg
 * or a whole round frees nothing.  A simulated kernel has no pageable user
 * memory to page out, so draining pools is all the daemon does.
 *
 * Where it runs.  On a machine that is running its threads
 * (nbm_machine_run), the page daemon is a kernel thread of its own on
 * cpu0, woken by uvm_kick_pdaemon() and by every uvm_wait(); callers that
 * wait for memory (KM_SLEEP, PR_WAITOK, VM_SLEEP) sleep until a page is
 * freed.  A host thread that entered a CPU by itself has no scheduler to
 * run the daemon, so its uvm_wait() runs one daemon pass itself before it
 * waits.
 *
 * Sleeping.  After a pass that left memory short, the daemon sleeps with a
 * timeout while some pool still holds idle pages or cached objects (they
 * become reclaimable as they age); when nothing at all is left to reclaim
 * it sleeps without one, so a machine whose threads all wait for memory
 * that can never come back is reported as deadlocked instead of hanging.
 */
#include <stdlib.h>

#include "nbm_impl.h"

#include <nbmem/pool.h>

struct nbm_pdaemon_state {
	kmutex_t	 pd_lock;	/* pd_wanted */
	kcondvar_t	 pd_cv;		/* the daemon sleeps here */
	bool		 pd_wanted;	/* a wakeup is pending */
	bool		 pd_started;	/* the thread exists */
	struct lwp	*pd_lwp;	/* the page daemon thread */
};

static uint64_t
pd_free(struct nbm_machine *m)
{

	return __atomic_load_n(&m->m_uvmexp.free, __ATOMIC_RELAXED);
}

/*
 * uvmpd_reclaimable: whether any pool still holds pages the daemon could
 * give back once they have idled long enough.
 */
static bool
uvmpd_reclaimable(struct nbm_machine *m)
{
	struct pool_sysctl *ps;
	size_t n, i;
	bool any = false;

	n = nbm_pool_sysctl(m, NULL, 0);
	if (n == 0 || (ps = calloc(n, sizeof(*ps))) == NULL)
		return n != 0;
	n = MIN(n, nbm_pool_sysctl(m, ps, n));
	/*
	 * After a pass the caches have been invalidated into their pools,
	 * so what is left to wait for is idle pages above the pools' low
	 * limits, which age into reclaimable ones.
	 */
	for (i = 0; i < n && !any; i++)
		any = ps[i].pr_nidle > 0 && ps[i].pr_npages > ps[i].pr_minpages;
	free(ps);
	return any;
}

/*
 * uvmpd_scan: one page daemon pass.  Returns the pages it freed.
 */
static uint64_t
uvmpd_scan(struct nbm_machine *m)
{
	struct nbm_uvmexp *ux = &m->m_uvmexp;
	uint64_t before = pd_free(m), after;
	struct pool *pp = NULL;
	size_t npools, round;

	__atomic_fetch_add(&ux->pdwoke, 1, __ATOMIC_RELAXED);
	npools = nbm_pool_sysctl(m, NULL, 0);
	for (round = 0; round < npools && pd_free(m) < ux->freetarg; round++)
		(void)pool_drain(&pp);
	after = pd_free(m);
	if (after > before) {
		__atomic_fetch_add(&ux->pdfreed, after - before,
		    __ATOMIC_RELAXED);
		nbm_machine_event(m, NBM_EV_PAGEDAEMON, "pagedaemon",
		    "page daemon freed %ju pages (free %ju, target %ju)",
		    (uintmax_t)(after - before), (uintmax_t)after,
		    (uintmax_t)ux->freetarg);
		return after - before;
	}
	return 0;
}

static void
uvm_pageout(void *arg)
{
	struct nbm_machine *m = arg;
	struct nbm_pdaemon_state *pd = m->m_pdaemon;
	int timo;

	for (;;) {
		mutex_enter(&pd->pd_lock);
		while (!pd->pd_wanted && pd_free(m) >= m->m_uvmexp.freemin)
			cv_wait(&pd->pd_cv, &pd->pd_lock);
		pd->pd_wanted = false;
		mutex_exit(&pd->pd_lock);

		(void)uvmpd_scan(m);
		if (pd_free(m) >= m->m_uvmexp.freemin)
			continue;
		/*
		 * Still short.  Come back when idle pages may have aged
		 * enough, or sleep for good if nothing is left to take.
		 */
		mutex_enter(&pd->pd_lock);
		if (!pd->pd_wanted) {
			if (uvmpd_reclaimable(m)) {
				timo = (int)(MAX(m->m_cfg.pool_inactive_time,
				    1U) * m->m_cfg.hz);
				(void)cv_timedwait(&pd->pd_cv, &pd->pd_lock,
				    timo);
			} else
				cv_wait(&pd->pd_cv, &pd->pd_lock);
		}
		mutex_exit(&pd->pd_lock);
	}
}

/*
 * uvm_kick_pdaemon: wake the page daemon (free pages are short).
 */
void
uvm_kick_pdaemon(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_pdaemon_state *pd = m->m_pdaemon;

	if (pd == NULL)
		return;
	mutex_enter(&pd->pd_lock);
	pd->pd_wanted = true;
	cv_broadcast(&pd->pd_cv);
	mutex_exit(&pd->pd_lock);
}

/*
 * uvm_wait: wait for free pages (wmsg names the wait, as in NetBSD).
 * A scheduled thread kicks the daemon and sleeps until a page is freed;
 * a host thread runs a daemon pass itself, then waits a tick.
 */
void
uvm_wait(const char *wmsg)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_pdaemon_state *pd = m->m_pdaemon;

	if (nbm_lwp_sched_p(curlwp) && pd != NULL && pd->pd_started &&
	    curlwp != pd->pd_lwp) {
		uvm_kick_pdaemon();
		mutex_enter(&m->m_pglock);
		if (m->m_uvmexp.free <= m->m_uvmexp.freemin) {
			/* cv_wait(&m_pgcv), under the caller's wait message */
			__atomic_fetch_add(&m->m_pgcv.cv_waiters, 1,
			    __ATOMIC_SEQ_CST);
			(void)nbm_sched_sleep(&m->m_pgcv, wmsg, &m->m_pglock, 0);
			__atomic_fetch_sub(&m->m_pgcv.cv_waiters, 1,
			    __ATOMIC_SEQ_CST);
		}
		mutex_exit(&m->m_pglock);
		return;
	}
	(void)uvmpd_scan(m);
	mutex_enter(&m->m_pglock);
	if (m->m_uvmexp.free <= m->m_uvmexp.freemin)
		(void)cv_timedwait(&m->m_pgcv, &m->m_pglock, 1);
	mutex_exit(&m->m_pglock);
}

/*
 * nbm_pdaemon_start: create the page daemon thread of a machine that is
 * about to run its threads.
 */
void
nbm_pdaemon_start(struct nbm_machine *m)
{
	struct nbm_pdaemon_state *pd = m->m_pdaemon;

	if (pd == NULL || pd->pd_started)
		return;
	if (nbm_lwp_create_system(m, 0, "pgdaemon", uvm_pageout, m,
	    &pd->pd_lwp) == 0)
		pd->pd_started = true;
}

static int
uvm_pdaemon_init(struct nbm_machine *m)
{
	struct nbm_pdaemon_state *pd;

	if ((pd = calloc(1, sizeof(*pd))) == NULL)
		return ENOMEM;
	mutex_init(&pd->pd_lock, MUTEX_DEFAULT, IPL_VM);
	cv_init(&pd->pd_cv, "pgdaemon");
	m->m_pdaemon = pd;
	return 0;
}

static void
uvm_pdaemon_fini(struct nbm_machine *m)
{

	free(m->m_pdaemon);
	m->m_pdaemon = NULL;
}

const struct nbm_bootstep nbm_bootstep_pdaemon = {
	"pdaemon", uvm_pdaemon_init, uvm_pdaemon_fini
};
