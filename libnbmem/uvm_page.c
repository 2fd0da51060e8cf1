/*
 * uvm_page.c: the simulated physical page allocator.
 *
 * Managed pages are the RAM ranges of the machine's memory map, cut into
 * page_size pages; struct vm_page describes each one.  Free pages sit on a
 * LIFO list that starts in ascending address order, so a fresh machine
 * hands out its lowest pages first and the allocation order is the same on
 * every run.
 *
 * Counters (struct nbm_uvmexp) are exact: every page is either free or
 * counted in exactly one of the usage counters (kmempages, kmapwired,
 * pageable, other), and wired = kmempages + kmapwired + other.
 *
 * Reserves follow uvm_pagealloc_strat(): an ordinary request fails when
 * free <= reserve_kernel; UVM_PGA_USERESERVE may go down to
 * reserve_pagedaemon.  The page daemon targets (freemin, freetarg) are
 * those of uvmpd_tune(): freemin = npages / 20, at least 16 KiB worth of
 * pages and at least reserve_kernel + 1; freetarg = 4/3 of freemin.
 *
 * Physical pages hold no data of their own: the data of a mapped page
 * lives at the kernel VA it is mapped at (host memory), and the direct map
 * gives each page a fixed VA of its own.  Two mappings of one page would
 * therefore not alias; kernel memory is never mapped twice, so no allocator
 * behaviour depends on it.
 */
#include <stdlib.h>

#include "nbm_impl.h"

#define UVM_RESERVED_PAGES_PER_CPU	5
#define RESERVE_PAGEDAEMON		1

static uint64_t
uvm_reserve_kernel(const struct nbm_machine *m)
{

	return (uint64_t)UVM_RESERVED_PAGES_PER_CPU * m->m_ncpu;
}

static int
uvm_page_init(struct nbm_machine *m)
{
	const struct nbm_config *cfg = &m->m_cfg;
	struct nbm_uvmexp *ux = &m->m_uvmexp;
	size_t i, n = 0;
	u_int r;

	m->m_npages = cfg->physmem >> m->m_pageshift;
	m->m_pages = calloc(m->m_npages, sizeof(*m->m_pages));
	if (m->m_pages == NULL)
		return ENOMEM;
	/* RAM ranges in ascending address order. */
	for (;;) {
		const struct nbm_range *best = NULL;
		uint64_t last = n == 0 ? 0 : m->m_pages[n - 1].pg_phys_addr + 1;
		uint64_t pa;

		for (r = 0; r < cfg->nmemmap; r++) {
			const struct nbm_range *rr = &cfg->memmap[r];

			if (rr->r_type != NBM_MEM_RAM || (n > 0 &&
			    rr->r_start < last))
				continue;
			if (best == NULL || rr->r_start < best->r_start)
				best = rr;
		}
		if (best == NULL)
			break;
		for (pa = best->r_start; pa < best->r_start + best->r_size;
		    pa += m->m_pagesize)
			m->m_pages[n++].pg_phys_addr = pa;
	}
	KASSERT(n == m->m_npages);
	for (i = m->m_npages; i-- > 0;) {
		m->m_pages[i].pg_usage = NBM_PG_FREE;
		m->m_pages[i].pg_flags = PG_ZERO;
		m->m_pages[i].pg_next = m->m_pgfree;
		m->m_pgfree = &m->m_pages[i];
	}
	mutex_init(&m->m_pglock, MUTEX_DEFAULT, IPL_VM);
	cv_init(&m->m_pgcv, "pgwait");

	memset(ux, 0, sizeof(*ux));
	ux->pagesize = m->m_pagesize;
	ux->npages = m->m_npages;
	ux->free = m->m_npages;
	ux->freemin = ux->npages / 20;
	ux->freemin = MAX(ux->freemin, (uint64_t)((16 * 1024) >> m->m_pageshift));
	if (ux->freemin < uvm_reserve_kernel(m) + 1)
		ux->freemin = uvm_reserve_kernel(m) + 1;
	ux->freetarg = (ux->freemin * 4) / 3;
	if (ux->freetarg <= ux->freemin)
		ux->freetarg = ux->freemin + 1;
	return 0;
}

static void
uvm_page_fini(struct nbm_machine *m)
{

	/* m_pages is freed with the machine. */
}

/*
 * uvm_pagealloc_usage: take a free page for the given use.
 *
 * => flags: UVM_PGA_USERESERVE, UVM_PGA_ZERO.
 * => returns NULL if the free pages are down to the reserve the request
 *    may not use; never sleeps.
 * => UVM_PGA_ZERO is honoured by the caller when it maps the page (host
 *    pages come zero-filled from the kernel); the flag only matters for
 *    pages whose contents the caller reads through the direct map.
 */
struct vm_page *
uvm_pagealloc_usage(struct nbm_machine *m, int usage, int flags)
{
	struct nbm_uvmexp *ux = &m->m_uvmexp;
	struct vm_page *pg;
	uint64_t floor;
	bool kick;

	floor = (flags & UVM_PGA_USERESERVE) ? RESERVE_PAGEDAEMON :
	    uvm_reserve_kernel(m);
	mutex_enter(&m->m_pglock);
	if (ux->free <= floor || (pg = m->m_pgfree) == NULL) {
		mutex_exit(&m->m_pglock);
		return NULL;
	}
	m->m_pgfree = pg->pg_next;
	pg->pg_next = NULL;
	pg->pg_usage = (uint8_t)usage;
	/* The page daemon reads free without the lock. */
	__atomic_store_n(&ux->free, ux->free - 1, __ATOMIC_RELAXED);
	kick = ux->free < ux->freemin;
	switch (usage) {
	case NBM_PG_KMEM:
		ux->kmempages++;
		ux->wired++;
		break;
	case NBM_PG_KMAP:
		ux->kmapwired++;
		ux->wired++;
		break;
	case NBM_PG_PAGEABLE:
		ux->pageable++;
		break;
	default:
		ux->wired++;
		break;
	}
	mutex_exit(&m->m_pglock);
	/* Below freemin: the page daemon should start freeing. */
	if (__predict_false(kick))
		uvm_kick_pdaemon();
	return pg;
}

void
uvm_pagefree(struct vm_page *pg)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_uvmexp *ux = &m->m_uvmexp;

	mutex_enter(&m->m_pglock);
	KASSERTMSG(pg->pg_usage != NBM_PG_FREE,
	    "uvm_pagefree: freeing free page %p (pa 0x%llx)", pg,
	    (unsigned long long)pg->pg_phys_addr);
	switch (pg->pg_usage) {
	case NBM_PG_KMEM:
		ux->kmempages--;
		ux->wired--;
		break;
	case NBM_PG_KMAP:
		ux->kmapwired--;
		ux->wired--;
		break;
	case NBM_PG_PAGEABLE:
		ux->pageable--;
		break;
	default:
		ux->wired--;
		break;
	}
	pg->pg_usage = NBM_PG_FREE;
	pg->pg_next = m->m_pgfree;
	m->m_pgfree = pg;
	__atomic_store_n(&ux->free, ux->free + 1, __ATOMIC_RELAXED);
	mutex_exit(&m->m_pglock);
	if (cv_has_waiters(&m->m_pgcv))
		cv_broadcast(&m->m_pgcv);
}

/*
 * uvm_phys_to_vm_page: the vm_page of a managed physical address, or NULL.
 */
struct vm_page *
uvm_phys_to_vm_page(struct nbm_machine *m, paddr_t pa)
{
	size_t lo = 0, hi = m->m_npages;

	pa &= ~(paddr_t)m->m_pagemask;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->m_pages[mid].pg_phys_addr == pa)
			return &m->m_pages[mid];
		if (m->m_pages[mid].pg_phys_addr < pa)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void
nbm_machine_uvmexp(struct nbm_machine *m, struct nbm_uvmexp *ux)
{

	/* A racy copy; each field is exact at a quiescent point. */
	memcpy(ux, &m->m_uvmexp, sizeof(*ux));
}

const struct nbm_bootstep nbm_bootstep_uvm_page = {
	"uvm_page", uvm_page_init, uvm_page_fini
};
