/*
 * t_uvm_km: kernel_map, uvm_km_alloc/uvm_km_free, uvm_km_kmem_alloc and
 * the arenas built at boot (uvm_km.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

static struct nbm_uvmexp
uvmexp_now(struct nbm_machine *m)
{
	struct nbm_uvmexp ux;

	nbm_machine_uvmexp(m, &ux);
	return ux;
}

ATF_TC_WITHOUT_HEAD(boot_arenas);
ATF_TC_BODY(boot_arenas, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vmem_size_t kmemsize;

	ATF_REQUIRE(kmem_arena != NULL);
	ATF_REQUIRE(kmem_va_arena != NULL);
	ATF_REQUIRE(kmem_meta_arena != NULL);
	ATF_REQUIRE(kmem_va_meta_arena != NULL);
	/* amd64: the kmem arena is as large as RAM (64 MiB here). */
	kmemsize = vmem_size(kmem_arena, VMEM_ALLOC | VMEM_FREE);
	ATF_CHECK_EQ(kmemsize, 64UL << 20);
	ATF_CHECK_EQ(m->m_kmembase, (vaddr_t)m->m_kva_base);
	/* The child arenas import on demand: empty at boot. */
	ATF_CHECK_EQ(vmem_size(kmem_va_arena, VMEM_ALLOC | VMEM_FREE), 0);
	ATF_CHECK(!uvm_km_va_starved_p());
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(small_kmem_arena_minimum);
ATF_TC_BODY(small_kmem_arena_minimum, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.physmem = 4ULL << 20;	/* below NKMEMPAGES_MIN's 8 MiB */
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	ATF_CHECK_EQ(vmem_size(kmem_arena, VMEM_ALLOC | VMEM_FREE), 8UL << 20);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(wired_alloc_free);
ATF_TC_BODY(wired_alloc_free, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_uvmexp ux0 = uvmexp_now(m), ux;
	vaddr_t va, va2;
	size_t i;

	va = uvm_km_alloc(kernel_map, 3 * PAGE_SIZE + 1, 0,
	    UVM_KMF_WIRED | UVM_KMF_ZERO);
	ATF_REQUIRE(va != 0);
	ATF_CHECK_EQ(va % PAGE_SIZE, 0);
	ATF_CHECK(va >= m->m_kmembase + m->m_kmemsize);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux.kmapwired - ux0.kmapwired, 4);
	ATF_CHECK_EQ(ux0.free - ux.free, 4);
	for (i = 0; i < 4 * PAGE_SIZE; i++)
		ATF_REQUIRE_EQ(((volatile char *)va)[i], 0);
	memset((void *)va, 0x5a, 4 * PAGE_SIZE);

	/* First fit: the next allocation follows, aligned as asked. */
	va2 = uvm_km_alloc(kernel_map, PAGE_SIZE, 16 * PAGE_SIZE,
	    UVM_KMF_WIRED);
	ATF_REQUIRE(va2 != 0);
	ATF_CHECK_EQ(va2 % (16 * PAGE_SIZE), 0);
	uvm_km_free(kernel_map, va2, PAGE_SIZE, UVM_KMF_WIRED);
	uvm_km_free(kernel_map, va, 3 * PAGE_SIZE + 1, UVM_KMF_WIRED);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux.kmapwired, ux0.kmapwired);
	ATF_CHECK_EQ(ux.free, ux0.free);
	/* Same VA again: freed space is reused first fit. */
	ATF_CHECK_EQ(uvm_km_alloc(kernel_map, PAGE_SIZE, 0, UVM_KMF_VAONLY),
	    va);
	h_shutdown(m);
}

static void
touch(void *arg)
{

	*(volatile int *)arg = 1;
}

ATF_TC_WITHOUT_HEAD(vaonly_faults_until_mapped);
ATF_TC_BODY(vaonly_faults_until_mapped, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_uvmexp ux0 = uvmexp_now(m);
	struct vm_page *pg;
	vaddr_t va;
	char expect[64];

	va = uvm_km_alloc(kernel_map, 2 * PAGE_SIZE, 0, UVM_KMF_VAONLY);
	ATF_REQUIRE(va != 0);
	ATF_CHECK_EQ(uvmexp_now(m).free, ux0.free);
	pg = uvm_pagealloc_usage(m, NBM_PG_OTHER, 0);
	pmap_kenter_pa(va, pg->pg_phys_addr, VM_PROT_READ | VM_PROT_WRITE, 0);
	touch((void *)va);
	snprintf(expect, sizeof(expect), "cr2 0x%lx",
	    (unsigned long)(va + PAGE_SIZE + 8));
	h_expect_panic(m, touch, (void *)(va + PAGE_SIZE + 8), expect);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(pageable_demand_zero);
ATF_TC_BODY(pageable_demand_zero, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_uvmexp ux0 = uvmexp_now(m), ux;
	vaddr_t va;

	va = uvm_km_alloc(kernel_map, 8 * PAGE_SIZE, 0, UVM_KMF_PAGEABLE);
	ATF_REQUIRE(va != 0);
	ATF_CHECK_EQ(uvmexp_now(m).free, ux0.free);
	((volatile char *)va)[0] = 1;
	ATF_CHECK_EQ(((volatile char *)va)[5 * PAGE_SIZE], 0);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux.pageable - ux0.pageable, 2);
	ATF_CHECK_EQ(ux.faults - ux0.faults, 2);
	uvm_km_free(kernel_map, va, 8 * PAGE_SIZE, UVM_KMF_PAGEABLE);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux.pageable, ux0.pageable);
	ATF_CHECK_EQ(ux.free, ux0.free);
	h_shutdown(m);
}

static void
free_wrong_type(void *arg)
{
	vaddr_t va = uvm_km_alloc(kernel_map, PAGE_SIZE, 0, UVM_KMF_WIRED);

	uvm_km_free(kernel_map, va, PAGE_SIZE, UVM_KMF_VAONLY);
}

static void
alloc_two_types(void *arg)
{

	(void)uvm_km_alloc(kernel_map, PAGE_SIZE, 0,
	    UVM_KMF_WIRED | UVM_KMF_VAONLY);
}

ATF_TC_WITHOUT_HEAD(diagnostic_checks);
ATF_TC_BODY(diagnostic_checks, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.options = NBM_OPT_DIAGNOSTIC;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	h_expect_panic(m, free_wrong_type, NULL,
	    "freed with 0x4");
	h_shutdown(m);

	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	h_expect_panic(m, alloc_two_types, NULL,
	    "exactly one type (WIRED, PAGEABLE, VAONLY) is required");
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(nowait_fails_when_out_of_pages);
ATF_TC_BODY(nowait_fails_when_out_of_pages, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_uvmexp ux0, ux;
	vaddr_t va;

	h_config(&cfg);
	cfg.physmem = 8ULL << 20;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	ux0 = uvmexp_now(m);
	va = uvm_km_alloc(kernel_map, 16ULL << 20, 0,
	    UVM_KMF_WIRED | UVM_KMF_NOWAIT);
	ATF_CHECK_EQ(va, 0);
	va = uvm_km_alloc(kernel_map, 16ULL << 20, 0,
	    UVM_KMF_WIRED | UVM_KMF_CANFAIL);
	ATF_CHECK_EQ(va, 0);
	ux = uvmexp_now(m);
	/* Nothing leaked on the failure paths. */
	ATF_CHECK_EQ(ux.free, ux0.free);
	ATF_CHECK_EQ(ux.kmapwired, ux0.kmapwired);
	/* No VA and no WAITVA: 0. */
	ATF_CHECK_EQ(uvm_km_alloc(kernel_map, m->m_kva_size, 0,
	    UVM_KMF_VAONLY), 0);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(kmem_alloc_direct_map);
ATF_TC_BODY(kmem_alloc_direct_map, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_uvmexp ux0 = uvmexp_now(m), ux;
	vmem_addr_t a1, a4;

	/* One page: from the direct map, no kernel VA used. */
	ATF_REQUIRE_EQ(uvm_km_kmem_alloc(kmem_va_arena, PAGE_SIZE,
	    VM_SLEEP | VM_INSTANTFIT, &a1), 0);
	ATF_CHECK(a1 >= (vaddr_t)m->m_dmap_base &&
	    a1 < (vaddr_t)m->m_dmap_base + m->m_dmap_size);
	ATF_CHECK_EQ(vmem_size(kmem_va_arena, VMEM_ALLOC), 0);
	memset((void *)a1, 1, PAGE_SIZE);
	/*
	 * 20 pages, above kva's quantum caches: VA from kva (imported from
	 * kmem) plus wired pages.
	 */
	ATF_REQUIRE_EQ(uvm_km_kmem_alloc(kmem_va_arena, 20 * PAGE_SIZE,
	    VM_SLEEP | VM_INSTANTFIT, &a4), 0);
	ATF_CHECK(a4 >= m->m_kmembase && a4 < m->m_kmembase + m->m_kmemsize);
	ATF_CHECK_EQ(vmem_size(kmem_va_arena, VMEM_ALLOC), 20 * PAGE_SIZE);
	memset((void *)a4, 2, 20 * PAGE_SIZE);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux.kmempages - ux0.kmempages, 21);
	uvm_km_kmem_free(kmem_va_arena, a4, 20 * PAGE_SIZE);
	uvm_km_kmem_free(kmem_va_arena, a1, PAGE_SIZE);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux.kmempages, ux0.kmempages);
	ATF_CHECK_EQ(ux.free, ux0.free);
	ATF_CHECK_EQ(vmem_size(kmem_va_arena, VMEM_ALLOC), 0);
	/* The freed VA is unmapped again: a use after free faults. */
	h_expect_panic(m, touch, (void *)(a4 + PAGE_SIZE), "fatal page fault");
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(kmem_alloc_no_direct_map);
ATF_TC_BODY(kmem_alloc_no_direct_map, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	vmem_addr_t a;

	h_config(&cfg);
	cfg.direct_map = false;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	ATF_REQUIRE_EQ(uvm_km_kmem_alloc(kmem_va_arena, PAGE_SIZE,
	    VM_SLEEP | VM_INSTANTFIT, &a), 0);
	ATF_CHECK(a >= m->m_kmembase && a < m->m_kmembase + m->m_kmemsize);
	/* An item of kva-4096: kva counts its whole 256 KiB pool page. */
	ATF_CHECK_EQ(vmem_size(kmem_va_arena, VMEM_ALLOC), 256 * 1024);
	*(volatile char *)a = 3;
	uvm_km_kmem_free(kmem_va_arena, a, PAGE_SIZE);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(kmem_alloc_nosleep_shortage);
ATF_TC_BODY(kmem_alloc_nosleep_shortage, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_uvmexp ux0, ux;
	vmem_addr_t a;

	h_config(&cfg);
	cfg.physmem = 8ULL << 20;
	m = h_boot(&cfg);
	nbm_cpu_enter(m, 0);
	ux0 = uvmexp_now(m);
	/*
	 * 6 MiB, then 2 MiB more: the VA fits (the arena is 8 MiB), the
	 * pages do not.  ENOMEM, and the VA and pages taken so far go back.
	 */
	ATF_CHECK_EQ(uvm_km_kmem_alloc(kmem_va_arena, 6ULL << 20,
	    VM_NOSLEEP | VM_INSTANTFIT, &a), 0);
	ATF_CHECK_EQ(uvm_km_kmem_alloc(kmem_va_arena, 2ULL << 20,
	    VM_NOSLEEP | VM_INSTANTFIT, &a), ENOMEM);
	ux = uvmexp_now(m);
	ATF_CHECK_EQ(ux0.free - ux.free, (6ULL << 20) / PAGE_SIZE);
	ATF_CHECK_EQ(vmem_size(kmem_va_arena, VMEM_ALLOC), 6ULL << 20);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(va_starved);
ATF_TC_BODY(va_starved, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vmem_size_t total = vmem_size(kmem_arena, VMEM_ALLOC | VMEM_FREE);
	vmem_addr_t a;

	ATF_CHECK(!uvm_km_va_starved_p());
	ATF_REQUIRE_EQ(vmem_alloc(kmem_arena, total - total / 10 + PAGE_SIZE,
	    VM_NOSLEEP | VM_INSTANTFIT, &a), 0);
	ATF_CHECK(uvm_km_va_starved_p());
	vmem_free(kmem_arena, a, total - total / 10 + PAGE_SIZE);
	ATF_CHECK(!uvm_km_va_starved_p());
	h_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, boot_arenas);
	ATF_TP_ADD_TC(tp, small_kmem_arena_minimum);
	ATF_TP_ADD_TC(tp, wired_alloc_free);
	ATF_TP_ADD_TC(tp, vaonly_faults_until_mapped);
	ATF_TP_ADD_TC(tp, pageable_demand_zero);
	ATF_TP_ADD_TC(tp, diagnostic_checks);
	ATF_TP_ADD_TC(tp, nowait_fails_when_out_of_pages);
	ATF_TP_ADD_TC(tp, kmem_alloc_direct_map);
	ATF_TP_ADD_TC(tp, kmem_alloc_no_direct_map);
	ATF_TP_ADD_TC(tp, kmem_alloc_nosleep_shortage);
	ATF_TP_ADD_TC(tp, va_starved);
	return atf_no_error();
}
