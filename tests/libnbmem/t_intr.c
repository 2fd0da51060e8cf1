/*
 * t_intr: interrupt sources, masking by spl, pending delivery, soft
 * interrupts, and the generator in both execution modes (intr.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

uint64_t nbm_intr_violations(const struct nbm_intrsource *);

/*
 * A handler that checks its own context: it must run in a hard interrupt,
 * at exactly its level.
 */
struct hstate {
	int		ipl;
	_Atomic(uint64_t) runs;
	_Atomic(uint64_t) bad;
	void		*soft;		/* softint to schedule, or NULL */
};

static int
checking_handler(void *arg)
{
	struct hstate *h = arg;
	struct cpu_info *ci = curcpu();

	if (!cpu_intr_p() || ci->ci_ilevel != h->ipl)
		atomic_fetch_add(&h->bad, 1);
	atomic_fetch_add(&h->runs, 1);
	if (h->soft != NULL)
		softint_schedule(h->soft);
	return 1;
}

static void
set_config(struct nbm_intr_config *ic, const char *name, int ipl, int dist,
    double rate, int target, u_int cpu, struct hstate *h)
{

	memset(ic, 0, sizeof(*ic));
	snprintf(ic->ic_name, sizeof(ic->ic_name), "%s", name);
	ic->ic_ipl = ipl;
	ic->ic_dist = dist;
	ic->ic_rate = rate;
	ic->ic_burst = 4;
	ic->ic_target = target;
	ic->ic_cpu = cpu;
	ic->ic_func = checking_handler;
	ic->ic_arg = h;
	h->ipl = ipl;
}

/*
 * A thread that alternates masked and unmasked stretches of virtual time.
 */
struct worker {
	int		 ipl;		/* level of the masked stretches */
	u_int		 rounds;
	uint64_t	 masked_ns, open_ns;
};

static void
worker_main(void *arg)
{
	struct worker *w = arg;
	u_int i;
	int s;

	for (i = 0; i < w->rounds; i++) {
		s = splraise(w->ipl);
		nbm_sched_charge(w->masked_ns);
		splx(s);
		nbm_sched_charge(w->open_ns);
		if ((i & 15) == 0)
			yield();
	}
}

static void
sum_stats(struct nbm_machine *m, struct nbm_intrsource *is,
    struct nbm_intr_cpustat *tot)
{
	struct nbm_intr_cpustat st[NBM_NCPU_MAX];
	u_int c;

	memset(tot, 0, sizeof(*tot));
	nbm_intr_getstats(is, st);
	for (c = 0; c < m->m_ncpu; c++) {
		tot->is_count += st[c].is_count;
		tot->is_masked += st[c].is_masked;
		tot->is_pending += st[c].is_pending;
		tot->is_posted += st[c].is_posted;
	}
}

/*
 * Deterministic mode, over two million arrivals: no handler ever runs
 * while its CPU is at or above its level, every arrival is handled exactly
 * once (posted = handled + still pending), some were held by spl and ran at
 * splx, and the same seed gives the same counts.
 */
static void
det_masking_run(uint64_t seed, struct nbm_intr_cpustat *out)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, seed);
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	static struct hstate h;
	struct worker w0 = { IPL_VM, 20000, 30000, 70000 };
	struct worker w1 = { IPL_HIGH, 20000, 50000, 50000 };

	memset(&h, 0, sizeof(h));
	set_config(&ic, "det0", IPL_VM, NBM_INTR_POISSON, 1000000.0,
	    NBM_INTR_TARGET_RR, 0, &h);
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is, NULL, 0), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "w0", worker_main, &w0, NULL), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "w1", worker_main, &w1, NULL), 0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	sum_stats(m, is, out);
	ATF_CHECK_EQ(atomic_load(&h.bad), 0);
	ATF_CHECK_EQ(nbm_intr_violations(is), 0);
	ATF_CHECK_EQ(out->is_count, atomic_load(&h.runs));
	ATF_CHECK_EQ(out->is_posted, out->is_count + out->is_pending);
	ATF_CHECK_MSG(out->is_count > 1500000, "only %ju arrivals handled",
	    (uintmax_t)out->is_count);
	ATF_CHECK_MSG(out->is_masked > out->is_count / 10,
	    "masked %ju of %ju", (uintmax_t)out->is_masked,
	    (uintmax_t)out->is_count);
	nbm_machine_shutdown(m);
}

ATF_TC(deterministic_masking);
ATF_TC_HEAD(deterministic_masking, tc)
{

	atf_tc_set_md_var(tc, "descr", "millions of deterministic arrivals "
	    "honour spl, none lost or run twice, same seed same counts");
}
ATF_TC_BODY(deterministic_masking, tc)
{
	struct nbm_intr_cpustat a, b;

	det_masking_run(11, &a);
	det_masking_run(11, &b);
	ATF_CHECK_EQ(a.is_count, b.is_count);
	ATF_CHECK_EQ(a.is_masked, b.is_masked);
	ATF_CHECK_EQ(a.is_posted, b.is_posted);
}

/*
 * Parallel mode: the generator signals the CPUs' host threads while their
 * threads raise and lower the level; the same invariants hold.
 */
static void
parallel_worker(void *arg)
{
	struct worker *w = arg;
	volatile uint64_t sink = 0;
	u_int i, j;
	int s;

	for (i = 0; i < w->rounds; i++) {
		s = splraise(w->ipl);
		for (j = 0; j < 2000; j++)
			sink += j;
		splx(s);
		for (j = 0; j < 2000; j++)
			sink += j;
		if ((i & 63) == 0)
			yield();
	}
}

ATF_TC(parallel_masking);
ATF_TC_HEAD(parallel_masking, tc)
{

	atf_tc_set_md_var(tc, "descr", "asynchronous arrivals on host threads "
	    "honour spl, none lost or run twice");
}
ATF_TC_BODY(parallel_masking, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_PARALLEL, 2, 1);
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	struct nbm_intr_cpustat tot;
	static struct hstate h;
	struct worker w0 = { IPL_VM, 20000, 0, 0 };
	struct worker w1 = { IPL_HIGH, 20000, 0, 0 };

	memset(&h, 0, sizeof(h));
	set_config(&ic, "par0", IPL_VM, NBM_INTR_POISSON, 50000.0,
	    NBM_INTR_TARGET_ALL, 0, &h);
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is, NULL, 0), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "w0", parallel_worker, &w0, NULL),
	    0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "w1", parallel_worker, &w1, NULL),
	    0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	nbm_intr_pause(is, true);
	sum_stats(m, is, &tot);
	ATF_CHECK_EQ(atomic_load(&h.bad), 0);
	ATF_CHECK_EQ(nbm_intr_violations(is), 0);
	ATF_CHECK_EQ(tot.is_count, atomic_load(&h.runs));
	ATF_CHECK_EQ(tot.is_posted, tot.is_count + tot.is_pending);
	ATF_CHECK_MSG(tot.is_count > 0, "no interrupt delivered");
	printf("posted %ju handled %ju masked %ju pending %ju\n",
	    (uintmax_t)tot.is_posted, (uintmax_t)tot.is_count,
	    (uintmax_t)tot.is_masked, (uintmax_t)tot.is_pending);
	nbm_machine_shutdown(m);
}

/*
 * Soft interrupts: scheduled from a hard handler, run once the level drops
 * below the soft level, in soft interrupt context, coalesced while pending.
 */
struct softstate {
	_Atomic(uint64_t) runs;
	_Atomic(uint64_t) bad;
};

static void
soft_handler(void *arg)
{
	struct softstate *ss = arg;

	if (!cpu_softintr_p() || cpu_intr_p() ||
	    curcpu()->ci_ilevel != IPL_SOFTNET)
		atomic_fetch_add(&ss->bad, 1);
	atomic_fetch_add(&ss->runs, 1);
}

static void
run_hard(void *arg)
{

	(void)checking_handler(arg);
}

ATF_TC_WITHOUT_HEAD(softint_from_hard);
ATF_TC_BODY(softint_from_hard, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct softstate ss;
	struct hstate h;
	void *si;
	int s;

	memset(&ss, 0, sizeof(ss));
	memset(&h, 0, sizeof(h));
	si = softint_establish(SOFTINT_NET, soft_handler, &ss);
	ATF_REQUIRE(si != NULL);
	h.ipl = IPL_VM;
	h.soft = si;
	/* From a hard handler: runs when the handler's level is gone. */
	ATF_REQUIRE_EQ(nbm_cpu_interrupt(IPL_VM, false, run_hard, &h), 0);
	ATF_CHECK_EQ(atomic_load(&ss.runs), 1);
	/* Scheduled twice under splsoftnet: once, at splx. */
	s = splsoftnet();
	softint_schedule(si);
	softint_schedule(si);
	ATF_CHECK_EQ(atomic_load(&ss.runs), 1);
	splx(s);
	ATF_CHECK_EQ(atomic_load(&ss.runs), 2);
	/* At a lower level: at once. */
	s = splsoftclock();
	softint_schedule(si);
	ATF_CHECK_EQ(atomic_load(&ss.runs), 3);
	splx(s);
	ATF_CHECK_EQ(atomic_load(&ss.bad), 0);
	softint_disestablish(si);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(source_management);
ATF_TC_BODY(source_management, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 1);
	struct nbm_intr_config ic, got;
	struct nbm_intrsource *is, *is2;
	struct nbm_event ev[8];
	struct hstate h;
	char err[128];
	bool paused;
	size_t n;

	memset(&h, 0, sizeof(h));
	set_config(&ic, "wm0", IPL_NONE, NBM_INTR_PERIODIC, 100.0,
	    NBM_INTR_TARGET_CPU, 0, &h);
	ATF_CHECK_EQ(nbm_intr_establish(m, &ic, &is, err, sizeof(err)),
	    EINVAL);
	ATF_CHECK_STREQ(err, "ipl 0: must be 6 (IPL_VM), 7 (IPL_SCHED) or 8 "
	    "(IPL_HIGH)");
	ic.ic_ipl = IPL_VM;
	ic.ic_rate = 0;
	ATF_CHECK_EQ(nbm_intr_establish(m, &ic, &is, err, sizeof(err)),
	    EINVAL);
	ATF_CHECK_STREQ(err, "rate 0: must be above 0 and at most 10000000 "
	    "per second");
	ic.ic_rate = 100;
	ic.ic_cpu = 2;
	ATF_CHECK_EQ(nbm_intr_establish(m, &ic, &is, err, sizeof(err)),
	    EINVAL);
	ATF_CHECK_STREQ(err, "cpu 2: must be below ncpu 2");
	ic.ic_cpu = 1;
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is, err, sizeof(err)), 0);
	ATF_CHECK_EQ(nbm_intr_establish(m, &ic, &is2, err, sizeof(err)),
	    EEXIST);
	ATF_CHECK(nbm_intr_lookup(m, "wm0") == is);
	ATF_CHECK(nbm_intr_lookup(m, "wm1") == NULL);
	ic.ic_rate = 200;
	ATF_CHECK_EQ(nbm_intr_set(is, &ic, err, sizeof(err)), 0);
	nbm_intr_pause(is, true);
	nbm_intr_getconfig(is, &got, &paused);
	ATF_CHECK(paused);
	ATF_CHECK(got.ic_rate == 200);
	ATF_CHECK_EQ(nbm_intr_next_arrival(m), 0);
	nbm_intr_pause(is, false);
	ATF_CHECK(nbm_intr_next_arrival(m) != 0);
	nbm_intr_disestablish(is);
	ATF_CHECK(nbm_intr_lookup(m, "wm0") == NULL);
	ATF_CHECK_EQ(nbm_intr_next_arrival(m), 0);
	n = nbm_machine_events(m, 0, ev, 8);
	ATF_REQUIRE_EQ(n, 5);
	ATF_CHECK_STREQ(ev[0].ev_text, "source wm0 added: ipl 6, 100 per "
	    "second");
	ATF_CHECK_STREQ(ev[1].ev_text, "source wm0 changed: ipl 6, 200 per "
	    "second");
	ATF_CHECK_STREQ(ev[4].ev_text, "source wm0 removed");
	ATF_CHECK_EQ(ev[0].ev_type, NBM_EV_INTR);
	nbm_machine_shutdown(m);
}

/*
 * A periodic source at 1000 per second over 100 ms of virtual time
 * delivers exactly 100 interrupts to its CPU.
 */
ATF_TC_WITHOUT_HEAD(periodic_exact);
ATF_TC_BODY(periodic_exact, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 1);
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	struct nbm_intr_cpustat st;
	static struct hstate h;
	struct worker w = { IPL_NONE, 100, 0, 1000000 };

	memset(&h, 0, sizeof(h));
	set_config(&ic, "clk", IPL_SCHED, NBM_INTR_PERIODIC, 1000.0,
	    NBM_INTR_TARGET_CPU, 0, &h);
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is, NULL, 0), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "w", worker_main, &w, NULL), 0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	nbm_intr_getstats(is, &st);
	ATF_CHECK_EQ(st.is_count, 100);
	ATF_CHECK_EQ(st.is_masked, 0);
	nbm_machine_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, deterministic_masking);
	ATF_TP_ADD_TC(tp, parallel_masking);
	ATF_TP_ADD_TC(tp, softint_from_hard);
	ATF_TP_ADD_TC(tp, source_management);
	ATF_TP_ADD_TC(tp, periodic_exact);
	return atf_no_error();
}
