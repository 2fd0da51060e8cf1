/*
 * t_machine: the simulated machine -- configuration validation, boot and
 * shutdown, CPUs, spl, mutexes, condition variables, panics, page faults,
 * time and the physical page allocator (kern_machine.c, kern_panic.c,
 * kern_spl.c, kern_mutex.c, host.c, pmap.c, uvm_page.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

static void
expect_invalid(const struct nbm_config *cfg, const char *msg)
{
	struct nbm_machine *m = NULL;
	char buf[256];

	ATF_CHECK_EQ(nbm_config_validate(cfg, buf, sizeof(buf)), EINVAL);
	ATF_CHECK_STREQ(buf, msg);
	ATF_CHECK_EQ(nbm_machine_boot(cfg, &m), EINVAL);
	ATF_CHECK(m == NULL);
	ATF_CHECK_STREQ(nbm_boot_error(), msg);
}

ATF_TC_WITHOUT_HEAD(config_defaults);
ATF_TC_BODY(config_defaults, tc)
{
	struct nbm_config cfg;
	char buf[256];

	nbm_config_init(&cfg);
	ATF_CHECK_EQ(cfg.ncpu, 4);
	ATF_CHECK_EQ(cfg.page_size, 4096);
	ATF_CHECK_EQ(cfg.physmem, 256ULL << 20);
	ATF_CHECK_EQ(cfg.hz, 100);
	ATF_CHECK_EQ(cfg.mode, NBM_MODE_PARALLEL);
	ATF_CHECK_EQ(cfg.options, 0);
	ATF_CHECK_EQ(cfg.pool_inactive_time, 10);
	ATF_CHECK(cfg.direct_map);
	ATF_CHECK_EQ(cfg.iomem_max, 0xffffffffffffULL);
	ATF_CHECK_EQ(nbm_config_validate(&cfg, buf, sizeof(buf)), 0);
}

ATF_TC_WITHOUT_HEAD(config_errors);
ATF_TC_BODY(config_errors, tc)
{
	struct nbm_config cfg;

	h_config(&cfg);
	cfg.page_size = 3000;
	expect_invalid(&cfg, "page_size 3000: must be a power of two between "
	    "4096 and 65536");
	h_config(&cfg);
	cfg.page_size = 131072;
	expect_invalid(&cfg, "page_size 131072: must be a power of two between "
	    "4096 and 65536");
	h_config(&cfg);
	cfg.ncpu = 0;
	expect_invalid(&cfg, "ncpu 0: must be between 1 and 256");
	h_config(&cfg);
	cfg.ncpu = 257;
	expect_invalid(&cfg, "ncpu 257: must be between 1 and 256");
	h_config(&cfg);
	cfg.physmem = 1 << 20;
	expect_invalid(&cfg, "physmem 1048576: must be between 4194304 "
	    "(4 MiB) and 274877906944 (256 GiB) bytes");
	h_config(&cfg);
	cfg.physmem = (64ULL << 20) + 100;
	expect_invalid(&cfg, "physmem 67108964: must be a multiple of "
	    "page_size 4096");
	h_config(&cfg);
	cfg.hz = 0;
	expect_invalid(&cfg, "hz 0: must be between 1 and 10000");
	h_config(&cfg);
	cfg.mode = 7;
	expect_invalid(&cfg, "mode 7: must be 0 (parallel) or 1 "
	    "(deterministic)");
	h_config(&cfg);
	cfg.options = 0x1000;
	expect_invalid(&cfg, "options 0x1000: unknown option bits 0x1000 "
	    "(known: 0x3f)");
	h_config(&cfg);
	cfg.ioport[1].r_start = 0x10;	/* overlaps dma1 at 0x0-0x1f */
	expect_invalid(&cfg, "ioport[1] 0x10+0x2: overlaps ioport[0] 0x0+0x20");
	h_config(&cfg);
	cfg.nioport = 1;
	cfg.ioport[0].r_start = 0xfff0;
	cfg.ioport[0].r_size = 0x20;
	expect_invalid(&cfg, "ioport[0] 0xfff0+0x20: must be a non-empty range "
	    "inside ports 0x0-0xffff");
	h_config(&cfg);
	cfg.nmemmap = 1;
	cfg.memmap[0].r_start = 0;
	cfg.memmap[0].r_size = 32ULL << 20;
	cfg.memmap[0].r_type = NBM_MEM_RAM;
	expect_invalid(&cfg, "memmap: RAM ranges total 33554432 bytes, but "
	    "physmem is 67108864; they must be equal");
	cfg.memmap[0].r_type = 9;
	expect_invalid(&cfg, "memmap[0] type 9: must be one of 1 (ram), "
	    "2 (reserved), 3 (acpi), 4 (nvs)");
	h_config(&cfg);
	cfg.iomem_max = 0xffffffff;
	cfg.physmem = 4ULL << 30;
	expect_invalid(&cfg, "physmem 4294967296: RAM above 3 GiB is placed "
	    "above 4 GiB, beyond iomem_max 0xffffffff");
}

ATF_TC_WITHOUT_HEAD(boot_shutdown_repeatedly);
ATF_TC_BODY(boot_shutdown_repeatedly, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_uvmexp ux;
	int i;

	h_config(&cfg);
	for (i = 0; i < 20; i++) {
		cfg.page_size = 4096 << (i % 5);
		m = h_boot(&cfg);
		ATF_REQUIRE_EQ(nbm_cpu_enter(m, (u_int)i % cfg.ncpu), 0);
		ATF_CHECK_EQ(PAGE_SIZE, cfg.page_size);
		ATF_CHECK_EQ(1UL << PAGE_SHIFT, cfg.page_size);
		ATF_CHECK_EQ(round_page((size_t)1), cfg.page_size);
		ATF_CHECK_EQ(trunc_page(cfg.page_size + 1), cfg.page_size);
		ATF_CHECK_EQ(atop(cfg.page_size * 3), 3);
		ATF_CHECK_EQ(ptoa((size_t)3), cfg.page_size * 3);
		nbm_machine_uvmexp(m, &ux);
		ATF_CHECK_EQ(ux.npages, cfg.physmem / cfg.page_size);
		ATF_CHECK_EQ(ux.pagesize, cfg.page_size);
		h_shutdown(m);
	}
}

ATF_TC_WITHOUT_HEAD(cpu_enter_rules);
ATF_TC_BODY(cpu_enter_rules, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	m = h_boot(&cfg);
	ATF_CHECK(nbm_curmachine() == NULL);
	ATF_CHECK_EQ(nbm_cpu_enter(m, 2), EINVAL);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 1), 0);
	ATF_CHECK(nbm_curmachine() == m);
	ATF_CHECK_EQ(cpu_number(), 1);
	ATF_CHECK_EQ(cpu_index(curcpu()), 1);
	ATF_CHECK_EQ(nbm_ncpu(), 2);
	ATF_CHECK_EQ(nbm_cpu_enter(m, 0), EALREADY);
	ATF_CHECK(!cpu_intr_p());
	ATF_CHECK(!cpu_softintr_p());
	nbm_cpu_exit();
	ATF_CHECK(nbm_curmachine() == NULL);
	nbm_machine_shutdown(m);
}

static void *
enter_busy_thread(void *arg)
{
	struct nbm_machine *m = arg;

	return (void *)(intptr_t)nbm_cpu_enter(m, 0);
}

ATF_TC_WITHOUT_HEAD(cpu_busy);
ATF_TC_BODY(cpu_busy, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	pthread_t t;
	void *ret;

	h_config(&cfg);
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	pthread_create(&t, NULL, enter_busy_thread, m);
	pthread_join(t, &ret);
	ATF_CHECK_EQ((intptr_t)ret, EBUSY);
	h_shutdown(m);
}

/*
 * Two machines at once: one thread on each, plus one thread switching
 * between them; each sees its own page size and counters.
 */
struct two_arg {
	struct nbm_machine *m;
	size_t pagesize;
	int ok;
};

static void *
two_thread(void *argp)
{
	struct two_arg *a = argp;
	int i;

	a->ok = 0;
	if (nbm_cpu_enter(a->m, 1) != 0)
		return NULL;
	for (i = 0; i < 10000; i++) {
		if (PAGE_SIZE != a->pagesize || nbm_curmachine() != a->m)
			goto out;
		int s = splvm();
		splx(s);
	}
	a->ok = 1;
out:
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(two_machines);
ATF_TC_BODY(two_machines, tc)
{
	struct nbm_config cfg1, cfg2;
	struct nbm_machine *m1, *m2;
	struct two_arg a1, a2;
	pthread_t t1, t2;

	h_config(&cfg1);
	h_config(&cfg2);
	cfg2.page_size = 16384;
	cfg2.physmem = 32ULL << 20;
	m1 = h_boot(&cfg1);
	m2 = h_boot(&cfg2);
	a1.m = m1;
	a1.pagesize = 4096;
	a2.m = m2;
	a2.pagesize = 16384;
	pthread_create(&t1, NULL, two_thread, &a1);
	pthread_create(&t2, NULL, two_thread, &a2);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	ATF_CHECK(a1.ok);
	ATF_CHECK(a2.ok);

	ATF_REQUIRE_EQ(nbm_cpu_enter(m1, 0), 0);
	ATF_CHECK_EQ(PAGE_SIZE, 4096);
	nbm_cpu_exit();
	ATF_REQUIRE_EQ(nbm_cpu_enter(m2, 0), 0);
	ATF_CHECK_EQ(PAGE_SIZE, 16384);
	nbm_cpu_exit();
	nbm_machine_shutdown(m1);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m2, 0), 0);
	ATF_CHECK_EQ(PAGE_SIZE, 16384);
	nbm_cpu_exit();
	nbm_machine_shutdown(m2);
}

ATF_TC_WITHOUT_HEAD(spl_levels);
ATF_TC_BODY(spl_levels, tc)
{
	struct nbm_machine *m = h_boot_enter();
	int s, s2;

	ATF_CHECK_EQ(IPL_NONE, 0);
	ATF_CHECK_EQ(IPL_SOFTCLOCK, 2);
	ATF_CHECK_EQ(IPL_SOFTBIO, 3);
	ATF_CHECK_EQ(IPL_SOFTNET, 4);
	ATF_CHECK_EQ(IPL_SOFTSERIAL, 5);
	ATF_CHECK_EQ(IPL_VM, 6);
	ATF_CHECK_EQ(IPL_SCHED, 7);
	ATF_CHECK_EQ(IPL_HIGH, 8);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_NONE);
	s = splvm();
	ATF_CHECK_EQ(s, IPL_NONE);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_VM);
	s2 = splsoftnet();	/* never lowers */
	ATF_CHECK_EQ(s2, IPL_VM);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_VM);
	splx(s2);
	ATF_CHECK_EQ(splhigh(), IPL_VM);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_HIGH);
	splx(s);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_NONE);
	ATF_CHECK_EQ(splraiseipl(makeiplcookie(IPL_SCHED)), IPL_NONE);
	ATF_CHECK_EQ(splbio(), IPL_SCHED);
	spl0();
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_NONE);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(spin_mutex_raises_ipl);
ATF_TC_BODY(spin_mutex_raises_ipl, tc)
{
	struct nbm_machine *m = h_boot_enter();
	kmutex_t spin, spin2, adaptive;

	mutex_init(&spin, MUTEX_DEFAULT, IPL_VM);
	mutex_init(&spin2, MUTEX_DEFAULT, IPL_HIGH);
	mutex_init(&adaptive, MUTEX_DEFAULT, IPL_NONE);
	ATF_CHECK(spin.mtx_spin);
	ATF_CHECK(!adaptive.mtx_spin);

	mutex_enter(&spin);
	ATF_CHECK(mutex_owned(&spin));
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_VM);
	mutex_enter(&spin2);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_HIGH);
	mutex_exit(&spin2);
	/* The level of the outermost spin mutex is restored at its exit. */
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_HIGH);
	mutex_exit(&spin);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_NONE);
	ATF_CHECK(!mutex_owned(&spin));

	mutex_enter(&adaptive);
	ATF_CHECK_EQ(curcpu()->ci_ilevel, IPL_NONE);
	ATF_CHECK_EQ(mutex_tryenter(&adaptive), 0);
	mutex_exit(&adaptive);
	ATF_CHECK_EQ(mutex_tryenter(&adaptive), 1);
	mutex_exit(&adaptive);
	h_shutdown(m);
}

static void
lock_twice(void *arg)
{
	kmutex_t *mtx = arg;

	mutex_enter(mtx);
	mutex_enter(mtx);
}

ATF_TC_WITHOUT_HEAD(mutex_against_myself);
ATF_TC_BODY(mutex_against_myself, tc)
{
	struct nbm_machine *m = h_boot_enter();
	kmutex_t mtx;

	mutex_init(&mtx, MUTEX_DEFAULT, IPL_NONE);
	h_expect_panic(m, lock_twice, &mtx, "locking against myself");
	ATF_CHECK(nbm_machine_dead(m));
	ATF_CHECK_EQ(nbm_cpu_enter(m, 1), EALREADY);
	h_shutdown(m);
}

/* Many threads on many CPUs increment a counter under one mutex. */
struct counter_arg {
	struct nbm_machine *m;
	kmutex_t *mtx;
	u_int cpu;
	uint64_t *counter;
};

static void *
counter_thread(void *argp)
{
	struct counter_arg *a = argp;
	int i;

	if (nbm_cpu_enter(a->m, a->cpu) != 0)
		return NULL;
	for (i = 0; i < 100000; i++) {
		mutex_enter(a->mtx);
		(*a->counter)++;
		mutex_exit(a->mtx);
	}
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(mutex_contention);
ATF_TC_BODY(mutex_contention, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct counter_arg a[4];
	pthread_t t[4];
	kmutex_t mtx;
	uint64_t counter = 0;
	int i, ipl;

	h_config(&cfg);
	cfg.ncpu = 4;
	m = h_boot(&cfg);
	for (ipl = IPL_NONE; ipl <= IPL_VM; ipl += IPL_VM) {
		counter = 0;
		mutex_init(&mtx, MUTEX_DEFAULT, ipl);
		for (i = 0; i < 4; i++) {
			a[i] = (struct counter_arg){ m, &mtx, (u_int)i,
			    &counter };
			pthread_create(&t[i], NULL, counter_thread, &a[i]);
		}
		for (i = 0; i < 4; i++)
			pthread_join(t[i], NULL);
		ATF_CHECK_EQ(counter, 400000);
	}
	nbm_machine_shutdown(m);
}

struct cv_arg {
	struct nbm_machine *m;
	kmutex_t mtx;
	kcondvar_t cv;
	int state;
};

static void *
cv_waker(void *argp)
{
	struct cv_arg *a = argp;

	nbm_cpu_enter(a->m, 1);
	mutex_enter(&a->mtx);
	while (a->state != 1)
		cv_wait(&a->cv, &a->mtx);
	a->state = 2;
	cv_broadcast(&a->cv);
	mutex_exit(&a->mtx);
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(condvar_pingpong);
ATF_TC_BODY(condvar_pingpong, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct cv_arg a;
	pthread_t t;

	a.m = m;
	a.state = 0;
	mutex_init(&a.mtx, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&a.cv, "pingpong");
	pthread_create(&t, NULL, cv_waker, &a);
	mutex_enter(&a.mtx);
	a.state = 1;
	cv_broadcast(&a.cv);
	while (a.state != 2)
		cv_wait(&a.cv, &a.mtx);
	mutex_exit(&a.mtx);
	pthread_join(t, NULL);
	ATF_CHECK_EQ(a.state, 2);
	mutex_enter(&a.mtx);
	ATF_CHECK_EQ(cv_timedwait(&a.cv, &a.mtx, 1), EWOULDBLOCK);
	mutex_exit(&a.mtx);
	h_shutdown(m);
}

static void
sleep_in_intr_handler(void *arg)
{
	struct cv_arg *a = arg;

	mutex_enter(&a->mtx);
	cv_wait(&a->cv, &a->mtx);
}

static void
sleep_in_intr(void *arg)
{

	nbm_cpu_interrupt(IPL_SOFTNET, true, sleep_in_intr_handler, arg);
}

ATF_TC_WITHOUT_HEAD(condvar_no_sleep_in_interrupt);
ATF_TC_BODY(condvar_no_sleep_in_interrupt, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct cv_arg a;

	mutex_init(&a.mtx, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&a.cv, "nosleep");
	h_expect_panic(m, sleep_in_intr, &a,
	    "cv_wait: nosleep: sleeping in interrupt context");
	h_shutdown(m);
}

static void
intr_handler(void *arg)
{
	int *ran = arg;

	*ran = curcpu()->ci_ilevel * 100 + (cpu_intr_p() ? 1 : 0) +
	    (cpu_softintr_p() ? 10 : 0);
}

ATF_TC_WITHOUT_HEAD(interrupt_context);
ATF_TC_BODY(interrupt_context, tc)
{
	struct nbm_machine *m = h_boot_enter();
	int ran = 0, s;

	ATF_CHECK_EQ(nbm_cpu_interrupt(IPL_VM, false, intr_handler, &ran), 0);
	ATF_CHECK_EQ(ran, IPL_VM * 100 + 1);
	ATF_CHECK_EQ(nbm_cpu_interrupt(IPL_SOFTNET, true, intr_handler, &ran),
	    0);
	ATF_CHECK_EQ(ran, IPL_SOFTNET * 100 + 10);
	ATF_CHECK(!cpu_intr_p());
	s = splvm();
	ran = 0;
	ATF_CHECK_EQ(nbm_cpu_interrupt(IPL_VM, false, intr_handler, &ran),
	    EAGAIN);
	ATF_CHECK_EQ(ran, 0);
	ATF_CHECK_EQ(nbm_cpu_interrupt(IPL_SCHED, false, intr_handler, &ran),
	    0);
	ATF_CHECK_EQ(ran, IPL_SCHED * 100 + 1);
	splx(s);
	h_shutdown(m);
}

static void
explicit_panic(void *arg)
{

	panic("test panic %d", 42);
}

ATF_TC_WITHOUT_HEAD(panic_hook_and_try);
ATF_TC_BODY(panic_hook_and_try, tc)
{
	struct nbm_machine *m = h_boot_enter();

	ATF_CHECK(!nbm_machine_dead(m));
	ATF_CHECK(nbm_machine_panicmsg(m) == NULL);
	struct nbm_event ev[4];

	nbm_machine_event(m, NBM_EV_WARNING, "test", "before %s", "panic");
	h_expect_panic(m, explicit_panic, NULL, "test panic 42");
	ATF_CHECK(nbm_machine_dead(m));
	ATF_CHECK_STREQ(nbm_machine_panicmsg(m), "test panic 42");
	ATF_REQUIRE_EQ(nbm_machine_events(m, 0, ev, 4), 2);
	ATF_CHECK_EQ(ev[0].ev_seq, 1);
	ATF_CHECK_EQ(ev[0].ev_type, NBM_EV_WARNING);
	ATF_CHECK_STREQ(ev[0].ev_text, "before panic");
	ATF_CHECK_EQ(ev[1].ev_type, NBM_EV_PANIC);
	ATF_CHECK_STREQ(ev[1].ev_text, "test panic 42");
	ATF_CHECK_EQ(nbm_machine_events(m, 1, ev, 4), 1);
	ATF_CHECK_EQ(ev[0].ev_seq, 2);
	h_shutdown(m);
}

static void
kassert_fails(void *arg)
{
	int x = 1;

	KASSERTMSG(x == 2, "x is %d", x);
	*(int *)arg = 1;	/* reached only without DIAGNOSTIC */
}

ATF_TC_WITHOUT_HEAD(kassert_diagnostic_only);
ATF_TC_BODY(kassert_diagnostic_only, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	int reached = 0;

	h_config(&cfg);
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	ATF_CHECK_EQ(nbm_machine_try(m, kassert_fails, &reached), 0);
	ATF_CHECK_EQ(reached, 1);
	h_shutdown(m);

	cfg.options = NBM_OPT_DIAGNOSTIC;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	reached = 0;
	h_expect_panic(m, kassert_fails, &reached,
	    "kernel diagnostic assertion \"x == 2\" failed: file "
	    "\"t_machine.c\", line ");
	ATF_CHECK(strstr(h_panicmsg(), " x is 1") != NULL);
	ATF_CHECK_EQ(reached, 0);
	h_shutdown(m);
}

static char nocpu_msg[256];

static void
nocpu_hook(const char *msg, void *arg)
{

	snprintf(nocpu_msg, sizeof(nocpu_msg), "%s", msg);
}

static void
call_without_cpu(void *arg)
{

	(void)splvm();
}

ATF_TC_WITHOUT_HEAD(no_cpu_is_a_clear_panic);
ATF_TC_BODY(no_cpu_is_a_clear_panic, tc)
{

	nbm_set_nocpu_hook(nocpu_hook, NULL);
	ATF_CHECK_EQ(nbm_machine_try(NULL, call_without_cpu, NULL),
	    ENOTRECOVERABLE);
	ATF_CHECK_STREQ(nocpu_msg, "curcpu: called from a thread that is not "
	    "on a CPU of any machine (call nbm_cpu_enter first)");
	nbm_set_nocpu_hook(NULL, NULL);
}

/*
 * A simulated page fault: touching kernel VA that nothing is mapped at
 * panics the machine with the faulting address; the test process goes on.
 */
static void
touch_unmapped(void *arg)
{

	*(volatile char *)arg = 1;
}

ATF_TC_WITHOUT_HEAD(page_fault_panics_machine);
ATF_TC_BODY(page_fault_panics_machine, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vaddr_t va = (vaddr_t)m->m_kva_base + m->m_kva_size - 3 * PAGE_SIZE;
	char expect[128];
	struct vm_page *pg;

	/* Mapped: writable. */
	pg = uvm_pagealloc_usage(m, NBM_PG_OTHER, 0);
	ATF_REQUIRE(pg != NULL);
	pmap_kenter_pa(va, pg->pg_phys_addr, VM_PROT_READ | VM_PROT_WRITE, 0);
	*(volatile char *)(va + 100) = 7;
	ATF_CHECK_EQ(*(volatile char *)(va + 100), 7);
	paddr_t pa;
	ATF_CHECK(pmap_extract(pmap_kernel(), va + 100, &pa));
	ATF_CHECK_EQ(pa, pg->pg_phys_addr + 100);
	pmap_kremove(va, PAGE_SIZE);
	ATF_CHECK(!pmap_extract(pmap_kernel(), va, &pa));
	uvm_pagefree(pg);

	/* Unmapped: a page fault that panics the machine only. */
	snprintf(expect, sizeof(expect), "cr2 0x%lx", (unsigned long)va + 100);
	h_expect_panic(m, touch_unmapped, (void *)(va + 100), expect);
	ATF_CHECK(strstr(h_panicmsg(), "fatal page fault in supervisor mode")
	    != NULL);
	ATF_CHECK(nbm_machine_dead(m));
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(pageable_demand_zero);
ATF_TC_BODY(pageable_demand_zero, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vaddr_t va = (vaddr_t)m->m_kva_base + m->m_kva_size - 8 * PAGE_SIZE;
	struct nbm_uvmexp ux0, ux1;

	nbm_machine_uvmexp(m, &ux0);
	nbm_pmap_set_pageable(m, va, 4 * PAGE_SIZE, true);
	ATF_CHECK_EQ(*(volatile char *)(va + PAGE_SIZE + 5), 0);
	*(volatile char *)(va + 3 * PAGE_SIZE) = 9;
	nbm_machine_uvmexp(m, &ux1);
	ATF_CHECK_EQ(ux1.faults - ux0.faults, 2);
	ATF_CHECK_EQ(ux1.pageable - ux0.pageable, 2);
	ATF_CHECK_EQ(ux0.free - ux1.free, 2);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(page_allocator_counters);
ATF_TC_BODY(page_allocator_counters, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_uvmexp ux0, ux;
	struct vm_page **pgs;
	size_t n = 0, i;

	nbm_machine_uvmexp(m, &ux0);
	ATF_CHECK_EQ(ux0.npages, (64ULL << 20) / 4096);
	/* freemin = npages/20 = 819, freetarg = 4/3 of it */
	ATF_CHECK_EQ(ux0.freemin, 819);
	ATF_CHECK_EQ(ux0.freetarg, 1092);
	pgs = calloc(ux0.free, sizeof(*pgs));
	/* Lowest addresses first; the reserve of 5 pages per CPU holds. */
	while ((pgs[n] = uvm_pagealloc_usage(m, NBM_PG_KMAP, 0)) != NULL) {
		if (n > 0)
			ATF_REQUIRE(pgs[n]->pg_phys_addr >
			    pgs[n - 1]->pg_phys_addr);
		n++;
	}
	nbm_machine_uvmexp(m, &ux);
	ATF_CHECK_EQ(ux.free, 5 * 2);
	ATF_CHECK_EQ(ux.kmapwired, n);
	ATF_CHECK_EQ(ux.wired, ux0.wired + n);
	/* USERESERVE may go down to the page daemon's single page. */
	for (i = 0; i < 9; i++)
		ATF_CHECK((pgs[n++] = uvm_pagealloc_usage(m, NBM_PG_KMAP,
		    UVM_PGA_USERESERVE)) != NULL);
	ATF_CHECK(uvm_pagealloc_usage(m, NBM_PG_KMAP, UVM_PGA_USERESERVE) ==
	    NULL);
	for (i = 0; i < n; i++)
		uvm_pagefree(pgs[i]);
	nbm_machine_uvmexp(m, &ux);
	ATF_CHECK_EQ(ux.free, ux0.free);
	ATF_CHECK_EQ(ux.wired, ux0.wired);
	ATF_CHECK_EQ(ux.kmapwired, ux0.kmapwired);
	free(pgs);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(time_and_ticks);
ATF_TC_BODY(time_and_ticks, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.mode = NBM_MODE_DETERMINISTIC;
	cfg.hz = 100;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	ATF_CHECK_EQ(getticks(), 0);
	ATF_CHECK_EQ(nbm_time_uptime(), 0);
	nbm_machine_advance(m, 1500000000ULL);
	ATF_CHECK_EQ(getticks(), 150);
	ATF_CHECK_EQ(nbm_time_uptime(), 1);
	ATF_CHECK_EQ(nbm_machine_uptime_ns(m), 1500000000ULL);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(default_memory_map);
ATF_TC_BODY(default_memory_map, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	const struct nbm_config *c;

	h_config(&cfg);
	cfg.physmem = 4ULL << 30;
	m = h_boot(&cfg);
	c = nbm_machine_config(m);
	ATF_REQUIRE(c->nmemmap >= 5);
	ATF_CHECK_EQ(c->memmap[0].r_start, 0);
	ATF_CHECK_EQ(c->memmap[0].r_size, 0xa0000);
	ATF_CHECK_EQ(c->memmap[1].r_start, 0x100000);
	ATF_CHECK_EQ(c->memmap[2].r_type, NBM_MEM_ACPI);
	ATF_CHECK_EQ(c->memmap[3].r_type, NBM_MEM_NVS);
	ATF_CHECK_EQ(c->memmap[4].r_start, 0x100000000ULL);
	ATF_CHECK_EQ(c->memmap[0].r_size + c->memmap[1].r_size +
	    c->memmap[4].r_size, 4ULL << 30);
	nbm_machine_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, config_defaults);
	ATF_TP_ADD_TC(tp, config_errors);
	ATF_TP_ADD_TC(tp, boot_shutdown_repeatedly);
	ATF_TP_ADD_TC(tp, cpu_enter_rules);
	ATF_TP_ADD_TC(tp, cpu_busy);
	ATF_TP_ADD_TC(tp, two_machines);
	ATF_TP_ADD_TC(tp, spl_levels);
	ATF_TP_ADD_TC(tp, spin_mutex_raises_ipl);
	ATF_TP_ADD_TC(tp, mutex_against_myself);
	ATF_TP_ADD_TC(tp, mutex_contention);
	ATF_TP_ADD_TC(tp, condvar_pingpong);
	ATF_TP_ADD_TC(tp, condvar_no_sleep_in_interrupt);
	ATF_TP_ADD_TC(tp, interrupt_context);
	ATF_TP_ADD_TC(tp, panic_hook_and_try);
	ATF_TP_ADD_TC(tp, kassert_diagnostic_only);
	ATF_TP_ADD_TC(tp, no_cpu_is_a_clear_panic);
	ATF_TP_ADD_TC(tp, page_fault_panics_machine);
	ATF_TP_ADD_TC(tp, pageable_demand_zero);
	ATF_TP_ADD_TC(tp, page_allocator_counters);
	ATF_TP_ADD_TC(tp, time_and_ticks);
	ATF_TP_ADD_TC(tp, default_memory_map);
	return atf_no_error();
}
