/*
 * t_uvm_pdaemon: the page daemon -- waiting allocations (KM_SLEEP) are
 * served by draining pools once their idle pages have aged, and a machine
 * whose memory can never come back is reported as deadlocked
 * (uvm_pdaemon.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

#define NOBJ	4096

struct pressure {
	void		*obj[NOBJ];
	size_t		 n;
	void		*big;
	kmutex_t	 lock;
	kcondvar_t	 cv;
	int		 phase;
	bool		 hold_forever;
};

/* Fill memory with 4 KiB kmem objects, then give them back (or not). */
static void
filler(void *arg)
{
	struct pressure *p = arg;
	size_t i;

	while (p->n < NOBJ &&
	    (p->obj[p->n] = kmem_alloc(4096, KM_NOSLEEP)) != NULL)
		p->n++;
	mutex_enter(&p->lock);
	p->phase = 1;
	cv_broadcast(&p->cv);
	if (p->hold_forever) {
		while (p->phase != 99)
			cv_wait(&p->cv, &p->lock);
	}
	mutex_exit(&p->lock);
	for (i = 0; i < p->n; i++)
		kmem_free(p->obj[i], 4096);
}

/* Once memory is full, ask for 2 MiB with KM_SLEEP. */
static void
waiter(void *arg)
{
	struct pressure *p = arg;

	mutex_enter(&p->lock);
	while (p->phase == 0)
		cv_wait(&p->cv, &p->lock);
	mutex_exit(&p->lock);
	kpause("settle", false, 1, NULL);
	p->big = kmem_alloc(2 << 20, KM_SLEEP);
	kmem_free(p->big, 2 << 20);
}

static struct nbm_machine *
small_machine(void)
{
	struct nbm_config cfg;

	h_config(&cfg);
	cfg.mode = NBM_MODE_DETERMINISTIC;
	cfg.physmem = 16ULL << 20;
	cfg.ncpu = 2;
	return h_boot(&cfg);
}

ATF_TC_WITHOUT_HEAD(sleep_until_pools_drain);
ATF_TC_BODY(sleep_until_pools_drain, tc)
{
	struct nbm_machine *m = small_machine();
	struct pressure *p = calloc(1, sizeof(*p));
	struct nbm_uvmexp ux;
	struct nbm_event ev[64];
	size_t n, i;
	bool saw = false;

	mutex_init(&p->lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&p->cv, "phase");
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "filler", filler, p, NULL), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "waiter", waiter, p, NULL), 0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	ATF_CHECK(p->n > 1000);
	nbm_machine_uvmexp(m, &ux);
	ATF_CHECK(ux.pdwoke > 0);
	ATF_CHECK(ux.pdfreed > 0);
	/* The freed pages had to idle for pool_inactive_time (10 s). */
	ATF_CHECK(nbm_machine_uptime_ns(m) >= 10000000000ULL);
	n = nbm_machine_events(m, 0, ev, 64);
	for (i = 0; i < n; i++)
		if (ev[i].ev_type == NBM_EV_PAGEDAEMON)
			saw = true;
	ATF_CHECK(saw);
	nbm_machine_shutdown(m);
	free(p);
}

ATF_TC_WITHOUT_HEAD(no_memory_ever_is_a_deadlock);
ATF_TC_BODY(no_memory_ever_is_a_deadlock, tc)
{
	struct nbm_machine *m = small_machine();
	struct pressure *p = calloc(1, sizeof(*p));

	p->hold_forever = true;
	mutex_init(&p->lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&p->cv, "phase");
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "filler", filler, p, NULL), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "waiter", waiter, p, NULL), 0);
	ATF_CHECK_EQ(nbm_machine_run(m, 0), ENOTRECOVERABLE);
	ATF_CHECK_MSG(strstr(h_panicmsg(), "deadlock: ") != NULL, "%s",
	    h_panicmsg());
	ATF_CHECK_MSG(strstr(h_panicmsg(), "(waiter) on cpu1 waits on "
	    "\"plpg\"") != NULL, "%s", h_panicmsg());
	nbm_machine_shutdown(m);
	free(p);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, sleep_until_pools_drain);
	ATF_TP_ADD_TC(tp, no_memory_ever_is_a_deadlock);
	return atf_no_error();
}
