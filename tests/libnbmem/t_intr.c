/*
 * t_intr: interrupt sources, masking by spl, pending delivery, soft
 * interrupts, the generator in both execution modes, and removal: slots
 * reused, no handler after removal returns (intr.c).
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

/*
 * Churn: sources and soft interrupts established and removed 10000 times
 * on a running machine -- far more than the 256 live at once -- while
 * their arrivals are in flight and a second CPU raises and lowers its
 * level.  Every round checks that a new source (in a slot a removed one
 * left) starts with zero counters, that posted = handled + pending where
 * no handler can be running, and that no handler of a removed source or
 * soft interrupt runs once its removal returned.
 */
#define CHURN_ROUNDS	10000
#define CHURN_RING	16
#define CHURN_NCPU	2

struct churn;

struct churn_h {
	struct churn	*ch_churn;
	int		 ch_ipl;
	_Atomic(int)	 ch_live;	/* source established, not removed */
	_Atomic(int)	 ch_softlive;	/* same, for the soft interrupt */
	_Atomic(uint64_t) ch_runs[CHURN_NCPU]; /* hard handler runs */
	void		*_Atomic ch_soft; /* scheduled by the hard handler */
};

struct churn {
	struct churn_h	 c_h[CHURN_RING];
	int		 c_mode;
	_Atomic(uint64_t) c_late;	/* ran after its removal returned */
	_Atomic(uint64_t) c_bad;	/* ran in the wrong context */
	_Atomic(uint64_t) c_softruns;	/* soft handler runs */
	_Atomic(int)	 c_done;	/* churner finished */
	u_int		 c_rounds;	/* rounds completed */
	u_int		 c_errors;	/* invariant broken (first in c_msg) */
	char		 c_msg[160];
	uint64_t	 c_posted, c_handled, c_masked, c_violations;
};

static void
churn_error(struct churn *c, u_int round, const char *what, uint64_t a,
    uint64_t b)
{

	if (c->c_errors++ == 0)
		snprintf(c->c_msg, sizeof(c->c_msg), "round %u: %s (%ju, %ju)",
		    round, what, (uintmax_t)a, (uintmax_t)b);
}

static int
churn_handler(void *arg)
{
	struct churn_h *h = arg;
	struct churn *c = h->ch_churn;
	struct cpu_info *ci = curcpu();
	volatile u_int spin;
	void *si;

	if (!atomic_load(&h->ch_live))
		atomic_fetch_add(&c->c_late, 1);
	if (!cpu_intr_p() || ci->ci_ilevel != h->ch_ipl)
		atomic_fetch_add(&c->c_bad, 1);
	atomic_fetch_add(&h->ch_runs[ci->ci_index], 1);
	if ((si = atomic_load(&h->ch_soft)) != NULL)
		softint_schedule(si);
	/* Take a while, so that removals meet running handlers. */
	for (spin = 0; spin < 1000; spin++)
		continue;
	/* Still running when the removal returned? */
	if (!atomic_load(&h->ch_live))
		atomic_fetch_add(&c->c_late, 1);
	return 1;
}

static void
churn_soft(void *arg)
{
	struct churn_h *h = arg;
	struct churn *c = h->ch_churn;
	volatile u_int spin;

	if (!atomic_load(&h->ch_softlive))
		atomic_fetch_add(&c->c_late, 1);
	if (!cpu_softintr_p() || cpu_intr_p() ||
	    curcpu()->ci_ilevel != IPL_SOFTNET)
		atomic_fetch_add(&c->c_bad, 1);
	atomic_fetch_add(&c->c_softruns, 1);
	for (spin = 0; spin < 1000; spin++)
		continue;
	if (!atomic_load(&h->ch_softlive))
		atomic_fetch_add(&c->c_late, 1);
}

/* Let arrivals come: time passes, part of it with the level raised. */
static void
churn_pass_time(struct churn *c, u_int round)
{
	volatile uint64_t sink = 0;
	u_int i, j;
	int s;

	for (i = 0; i < 4; i++) {
		s = splraise(i & 1 ? IPL_VM : IPL_HIGH);
		if (c->c_mode == NBM_MODE_DETERMINISTIC)
			nbm_sched_charge(1500);
		else
			for (j = 0; j < 1000; j++)
				sink += j;
		splx(s);
		if (c->c_mode == NBM_MODE_DETERMINISTIC)
			nbm_sched_charge(1500);
		else
			for (j = 0; j < 1000; j++)
				sink += j;
	}
	/* Deterministic: the other CPU runs only when this one yields. */
	if ((round & 3) == 0)
		yield();
}

/*
 * One round's checks, at IPL_HIGH with the source paused: nothing can be
 * posted any more and no handler runs on this CPU.  On the other CPU one
 * may run in parallel mode, so there handled + pending only bounds posted;
 * in deterministic mode that CPU is stopped between two threads' steps
 * and the equality holds on both.
 */
static void
churn_check(struct churn *c, struct churn_h *h, struct nbm_intrsource *is,
    u_int round)
{
	struct nbm_intr_cpustat st[CHURN_NCPU];
	bool exact;
	u_int i, self = cpu_number();

	nbm_intr_getstats(is, st);
	for (i = 0; i < CHURN_NCPU; i++) {
		exact = i == self || c->c_mode == NBM_MODE_DETERMINISTIC;
		if (exact && st[i].is_posted != st[i].is_count +
		    st[i].is_pending)
			churn_error(c, round, "posted != handled + pending",
			    st[i].is_posted, st[i].is_count +
			    st[i].is_pending);
		if (st[i].is_posted < st[i].is_count + st[i].is_pending)
			churn_error(c, round, "posted < handled + pending",
			    st[i].is_posted, st[i].is_count +
			    st[i].is_pending);
		if (exact && st[i].is_count != atomic_load(&h->ch_runs[i]))
			churn_error(c, round, "handled != handler runs",
			    st[i].is_count, atomic_load(&h->ch_runs[i]));
		c->c_posted += st[i].is_posted;
		c->c_handled += st[i].is_count;
		c->c_masked += st[i].is_masked;
	}
	c->c_violations += nbm_intr_violations(is);
}

static void
churn_main(void *arg)
{
	static const int ipls[] = { IPL_VM, IPL_SCHED, IPL_HIGH };
	struct churn *c = arg;
	struct nbm_machine *m = curcpu()->ci_machine;
	struct nbm_intr_cpustat st[CHURN_NCPU];
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	struct churn_h *h;
	char err[128];
	void *si;
	u_int r, i;
	int s;

	for (r = 0; r < CHURN_ROUNDS; r++) {
		h = &c->c_h[r % CHURN_RING];
		h->ch_churn = c;
		h->ch_ipl = ipls[r % 3];
		for (i = 0; i < CHURN_NCPU; i++)
			atomic_store(&h->ch_runs[i], 0);
		atomic_store(&h->ch_live, 1);
		atomic_store(&h->ch_softlive, 1);
		if ((si = softint_establish(SOFTINT_NET, churn_soft, h)) ==
		    NULL) {
			churn_error(c, r, "softint_establish failed", 0, 0);
			break;
		}
		atomic_store(&h->ch_soft, si);
		/* First arrival in 1000 s: the counters can be read at 0. */
		memset(&ic, 0, sizeof(ic));
		snprintf(ic.ic_name, sizeof(ic.ic_name), "churn%u", r % 7);
		ic.ic_ipl = h->ch_ipl;
		ic.ic_dist = NBM_INTR_PERIODIC;
		ic.ic_rate = 0.001;
		ic.ic_burst = 3;
		ic.ic_target = (int)(r % 3);
		ic.ic_cpu = r / 3 % CHURN_NCPU;
		ic.ic_func = churn_handler;
		ic.ic_arg = h;
		if (nbm_intr_establish(m, &ic, &is, err, sizeof(err)) != 0) {
			churn_error(c, r, "nbm_intr_establish failed", 0, 0);
			snprintf(c->c_msg, sizeof(c->c_msg), "round %u: %s", r,
			    err);
			break;
		}
		nbm_intr_getstats(is, st);
		for (i = 0; i < CHURN_NCPU; i++)
			if (st[i].is_posted != 0 || st[i].is_count != 0 ||
			    st[i].is_masked != 0 || st[i].is_pending != 0)
				churn_error(c, r, "new source's counters not 0",
				    st[i].is_posted, st[i].is_count);
		ic.ic_dist = r & 1 ? NBM_INTR_POISSON : NBM_INTR_BURST;
		ic.ic_rate = c->c_mode == NBM_MODE_DETERMINISTIC ? 1000000.0 :
		    200000.0;
		(void)nbm_intr_set(is, &ic, NULL, 0);
		churn_pass_time(c, r);
		nbm_intr_pause(is, true);
		s = splhigh();
		churn_check(c, h, is, r);
		splx(s);
		/*
		 * Resume: arrivals already pending on the other CPU stay in
		 * flight while the source goes, and new ones may come.
		 */
		nbm_intr_pause(is, false);
		nbm_intr_disestablish(is);
		atomic_store(&h->ch_live, 0);
		atomic_store(&h->ch_soft, NULL);
		softint_disestablish(si);
		atomic_store(&h->ch_softlive, 0);
		c->c_rounds++;
	}
	atomic_store(&c->c_done, 1);
}

/* The other CPU: raises and lowers its level until the churner is done. */
static void
churn_worker(void *arg)
{
	struct churn *c = arg;
	volatile uint64_t sink = 0;
	u_int i, j;
	int s;

	for (i = 0; !atomic_load(&c->c_done); i++) {
		s = splraise(i & 1 ? IPL_VM : IPL_SOFTNET);
		if (c->c_mode == NBM_MODE_DETERMINISTIC)
			nbm_sched_charge(2000);
		else
			for (j = 0; j < 500; j++)
				sink += j;
		splx(s);
		if (c->c_mode == NBM_MODE_DETERMINISTIC)
			nbm_sched_charge(2000);
		else
			for (j = 0; j < 500; j++)
				sink += j;
		if ((i & 7) == 0)
			yield();
	}
}

static void
churn_run(int mode, uint64_t seed, struct churn *c)
{
	struct nbm_machine *m = h_boot_mode(mode, CHURN_NCPU, seed);

	memset(c, 0, sizeof(*c));
	c->c_mode = mode;
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "churn", churn_main, c, NULL), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "worker", churn_worker, c, NULL),
	    0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	ATF_CHECK_MSG(c->c_errors == 0, "%u errors, first: %s", c->c_errors,
	    c->c_msg);
	ATF_CHECK_EQ(c->c_rounds, CHURN_ROUNDS);
	ATF_CHECK_EQ(atomic_load(&c->c_late), 0);
	ATF_CHECK_EQ(atomic_load(&c->c_bad), 0);
	ATF_CHECK_EQ(c->c_violations, 0);
	ATF_CHECK_MSG(c->c_handled > 0, "no interrupt handled");
	ATF_CHECK_MSG(atomic_load(&c->c_softruns) > 0,
	    "no soft interrupt ran");
	printf("posted %ju handled %ju masked %ju soft %ju\n",
	    (uintmax_t)c->c_posted, (uintmax_t)c->c_handled,
	    (uintmax_t)c->c_masked, (uintmax_t)atomic_load(&c->c_softruns));
	/* Nothing is left: all 256 slots of each table are free again. */
	ATF_CHECK(nbm_intr_lookup(m, "churn0") == NULL);
	nbm_machine_shutdown(m);
}

ATF_TC(churn_deterministic);
ATF_TC_HEAD(churn_deterministic, tc)
{

	atf_tc_set_md_var(tc, "descr", "10000 sources and soft interrupts "
	    "come and go with arrivals in flight; slots are reused, counters "
	    "start at zero, no handler runs after removal; same seed, same "
	    "counts");
}
ATF_TC_BODY(churn_deterministic, tc)
{
	static struct churn a, b;

	churn_run(NBM_MODE_DETERMINISTIC, 5, &a);
	ATF_CHECK_MSG(a.c_masked > 0, "no arrival was held by spl");
	churn_run(NBM_MODE_DETERMINISTIC, 5, &b);
	ATF_CHECK_EQ(a.c_posted, b.c_posted);
	ATF_CHECK_EQ(a.c_handled, b.c_handled);
	ATF_CHECK_EQ(a.c_masked, b.c_masked);
	ATF_CHECK_EQ(atomic_load(&a.c_softruns), atomic_load(&b.c_softruns));
}

ATF_TC(churn_parallel);
ATF_TC_HEAD(churn_parallel, tc)
{

	atf_tc_set_md_var(tc, "descr", "10000 sources and soft interrupts "
	    "come and go while the other CPU takes their interrupts; removal "
	    "waits for running handlers");
}
ATF_TC_BODY(churn_parallel, tc)
{
	static struct churn c;

	churn_run(NBM_MODE_PARALLEL, 1, &c);
}

/*
 * 256 sources and 256 soft interrupts may be live at once; one more fails
 * and says why, and removing one makes room.
 */
ATF_TC_WITHOUT_HEAD(limit_at_once);
ATF_TC_BODY(limit_at_once, tc)
{
	struct nbm_machine *m = h_boot_enter();
	static struct nbm_intrsource *is[256];
	static void *si[256];
	struct nbm_intr_cpustat st[NBM_NCPU_MAX];
	struct nbm_intr_config ic;
	struct nbm_intrsource *more;
	struct softstate ss;
	struct hstate h;
	char err[128], name[16];
	u_int i;

	memset(&h, 0, sizeof(h));
	memset(&ss, 0, sizeof(ss));
	for (i = 0; i < 256; i++) {
		snprintf(name, sizeof(name), "dev%u", i);
		set_config(&ic, name, IPL_VM, NBM_INTR_PERIODIC, 1.0,
		    NBM_INTR_TARGET_CPU, 0, &h);
		ATF_REQUIRE_EQ_MSG(nbm_intr_establish(m, &ic, &is[i], err,
		    sizeof(err)), 0, "source %u: %s", i, err);
		nbm_intr_pause(is[i], true);
	}
	set_config(&ic, "onemore", IPL_VM, NBM_INTR_PERIODIC, 1.0,
	    NBM_INTR_TARGET_CPU, 0, &h);
	ATF_CHECK_EQ(nbm_intr_establish(m, &ic, &more, err, sizeof(err)),
	    ENOMEM);
	ATF_CHECK_STREQ(err, "sources: at most 256 at once; remove one first");
	nbm_intr_disestablish(is[100]);
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &more, err, sizeof(err)),
	    0);
	ATF_CHECK(nbm_intr_lookup(m, "onemore") == more);
	ATF_CHECK(nbm_intr_lookup(m, "dev100") == NULL);
	nbm_intr_getstats(more, st);
	ATF_CHECK_EQ(st[0].is_posted, 0);
	ATF_CHECK_EQ(st[0].is_count, 0);

	for (i = 0; i < 256; i++)
		ATF_REQUIRE_MSG((si[i] = softint_establish(SOFTINT_CLOCK,
		    soft_handler, &ss)) != NULL, "soft interrupt %u", i);
	h_print_reset();
	ATF_CHECK(softint_establish(SOFTINT_NET, soft_handler, &ss) == NULL);
	ATF_CHECK_STREQ(h_printed(), "WARNING: softint_establish: table "
	    "full: at most 256 soft interrupts at once\n");
	softint_disestablish(si[7]);
	si[7] = softint_establish(SOFTINT_NET, soft_handler, &ss);
	ATF_REQUIRE(si[7] != NULL);
	softint_schedule(si[7]);
	ATF_CHECK_EQ(atomic_load(&ss.runs), 1);
	ATF_CHECK_EQ(atomic_load(&ss.bad), 0);
	/* Shutdown frees what is still established. */
	h_shutdown(m);
}

/*
 * nbm_intr_foreach: creation order, not slot order, and a source removed
 * by the callback stays readable until the callback returns.
 */
struct foreach_arg {
	char	fa_names[64];
};

static void
foreach_remove(struct nbm_intrsource *is, void *arg)
{
	struct foreach_arg *fa = arg;
	struct nbm_intr_config ic;

	nbm_intr_disestablish(is);
	nbm_intr_getconfig(is, &ic, NULL);
	snprintf(fa->fa_names + strlen(fa->fa_names),
	    sizeof(fa->fa_names) - strlen(fa->fa_names), "%s ", ic.ic_name);
}

ATF_TC_WITHOUT_HEAD(foreach_order_and_removal);
ATF_TC_BODY(foreach_order_and_removal, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 1);
	static const char *const names[] = { "x", "y", "z", "w" };
	struct nbm_intr_config ic;
	struct nbm_intrsource *is[4];
	struct foreach_arg fa;
	struct hstate h;
	u_int i;

	memset(&h, 0, sizeof(h));
	memset(&fa, 0, sizeof(fa));
	for (i = 0; i < 4; i++) {
		set_config(&ic, names[i], IPL_VM, NBM_INTR_PERIODIC, 10.0,
		    NBM_INTR_TARGET_CPU, 0, &h);
		ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is[i], NULL, 0),
		    0);
		/* w takes the slot x left. */
		if (i == 2)
			nbm_intr_disestablish(is[0]);
	}
	nbm_intr_foreach(m, foreach_remove, &fa);
	ATF_CHECK_STREQ(fa.fa_names, "y z w ");
	ATF_CHECK_EQ(nbm_intr_next_arrival(m), 0);
	nbm_machine_shutdown(m);
}

/*
 * Removal waits for handlers on other CPUs, which may wait for this one:
 * from an interrupt handler it panics, as in NetBSD.
 */
static void
remove_source(void *arg)
{

	nbm_intr_disestablish(arg);
}

static void
remove_in_intr(void *arg)
{

	(void)nbm_cpu_interrupt(IPL_VM, false, remove_source, arg);
}

static void
remove_softint(void *arg)
{

	softint_disestablish(arg);
}

static void
remove_softint_in_intr(void *arg)
{

	(void)nbm_cpu_interrupt(IPL_SOFTNET, true, remove_softint, arg);
}

ATF_TC_WITHOUT_HEAD(remove_in_interrupt);
ATF_TC_BODY(remove_in_interrupt, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	struct softstate ss;
	struct hstate h;
	void *si;

	memset(&h, 0, sizeof(h));
	set_config(&ic, "wm0", IPL_VM, NBM_INTR_PERIODIC, 1.0,
	    NBM_INTR_TARGET_CPU, 0, &h);
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is, NULL, 0), 0);
	h_expect_panic(m, remove_in_intr, is, "nbm_intr_disestablish: wm0: "
	    "called from interrupt context");
	h_shutdown(m);

	m = h_boot_enter();
	si = softint_establish(SOFTINT_NET, soft_handler, &ss);
	ATF_REQUIRE(si != NULL);
	h_expect_panic(m, remove_softint_in_intr, si, "softint_disestablish: "
	    "soft interrupt: called from interrupt context");
	h_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, deterministic_masking);
	ATF_TP_ADD_TC(tp, parallel_masking);
	ATF_TP_ADD_TC(tp, softint_from_hard);
	ATF_TP_ADD_TC(tp, source_management);
	ATF_TP_ADD_TC(tp, periodic_exact);
	ATF_TP_ADD_TC(tp, churn_deterministic);
	ATF_TP_ADD_TC(tp, churn_parallel);
	ATF_TP_ADD_TC(tp, limit_at_once);
	ATF_TP_ADD_TC(tp, foreach_order_and_removal);
	ATF_TP_ADD_TC(tp, remove_in_interrupt);
	return atf_no_error();
}
