/*
 * pmap.c: kernel mappings of the simulated machine (pmap(9), kernel part).
 *
 * One entry per page of kernel VA (m_pmap) records the physical address
 * mapped there and PME_* flags; the host pages behind a valid entry are
 * readable and writable, all others are inaccessible, so that touching an
 * unmapped kernel address faults.  Entering a run of pages costs one host
 * mprotect(); removing one costs one madvise() and one mprotect().
 *
 * Pageable kernel memory (uvm_km_alloc with UVM_KMF_PAGEABLE) is reserved
 * with PME_PAGEABLE entries and no pages; the first touch of such a page
 * faults, and nbm_pmap_fault() supplies a zero-filled page there, as UVM's
 * fault handler does for uvm_kernel_object.
 *
 * The direct map (amd64 PMAP_MAP_POOLPAGE) maps every RAM page at
 * dmap_base + pa for the machine's whole life, as a real direct map does;
 * freeing a page there only gives its host memory back.
 */
#include "nbm_impl.h"

static __dead void
pmap_bad_va(struct nbm_machine *m, const char *fn, vaddr_t va)
{

	nbm_panic(m, "%s: va 0x%lx is not kernel virtual memory", fn,
	    (unsigned long)va);
}

static void
pmap_host_map(struct nbm_machine *m, vaddr_t va, size_t len)
{
	int error;

	if ((error = nbm_host_map((void *)va, len)) != 0)
		nbm_panic(m, "pmap_kenter_pa: host mapping of 0x%lx+0x%zx "
		    "failed (%s); the host's vm.max_map_count may be too low",
		    (unsigned long)va, len, strerror(error));
}

void
pmap_kenter_pa(vaddr_t va, paddr_t pa, vm_prot_t prot, u_int flags)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	uint64_t e;

	if (!nbm_kva_p(m, va) || (va & m->m_pagemask) != 0)
		pmap_bad_va(m, __func__, va);
	e = (pa & ~(uint64_t)m->m_pagemask) | PME_VALID;
	if (uvm_phys_to_vm_page(m, pa) != NULL)
		e |= PME_MANAGED;
	atomic_store_explicit(&m->m_pmap[nbm_kva_index(m, va)], e,
	    memory_order_relaxed);
	pmap_host_map(m, va, m->m_pagesize);
	(void)prot;
	(void)flags;
}

/*
 * nbm_pmap_kenter_pages: map n managed pages at consecutive VAs from va.
 */
void
nbm_pmap_kenter_pages(struct nbm_machine *m, vaddr_t va,
    struct vm_page **pgs, size_t n, int flags)
{
	size_t i, idx;

	if (!nbm_kva_p(m, va) || (va & m->m_pagemask) != 0 ||
	    !nbm_kva_p(m, va + (n << m->m_pageshift) - 1))
		pmap_bad_va(m, "pmap_kenter_pa", va);
	idx = nbm_kva_index(m, va);
	for (i = 0; i < n; i++)
		atomic_store_explicit(&m->m_pmap[idx + i],
		    pgs[i]->pg_phys_addr | PME_VALID | PME_MANAGED,
		    memory_order_relaxed);
	pmap_host_map(m, va, n << m->m_pageshift);
	(void)flags;
}

/*
 * nbm_pmap_kremove_pages: unmap [va, va+size); if pgs is not NULL, store
 * the vm_page of each managed page that was mapped (NULL for the others).
 */
void
nbm_pmap_kremove_pages(struct nbm_machine *m, vaddr_t va, vsize_t size,
    struct vm_page **pgs)
{
	size_t i, n = size >> m->m_pageshift, idx;
	uint64_t e;

	if (n == 0)
		return;
	if (!nbm_kva_p(m, va) || !nbm_kva_p(m, va + size - 1))
		pmap_bad_va(m, "pmap_kremove", va);
	idx = nbm_kva_index(m, va);
	for (i = 0; i < n; i++) {
		e = atomic_exchange_explicit(&m->m_pmap[idx + i], 0,
		    memory_order_relaxed);
		if (pgs != NULL)
			pgs[i] = (e & PME_VALID) && (e & PME_MANAGED) ?
			    uvm_phys_to_vm_page(m, e & ~(uint64_t)PME_FLAGS) :
			    NULL;
	}
	nbm_host_unmap((void *)va, size);
}

void
pmap_kremove(vaddr_t va, vsize_t size)
{
	struct nbm_machine *m = NBM_CURMACHINE();

	nbm_pmap_kremove_pages(m, trunc_page(va), round_page(size), NULL);
}

bool
pmap_extract(void *pmap, vaddr_t va, paddr_t *pap)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	uint64_t e;

	(void)pmap;
	if (m->m_dmap_base != NULL && va >= (vaddr_t)m->m_dmap_base &&
	    va - (vaddr_t)m->m_dmap_base < m->m_dmap_size) {
		if (pap != NULL)
			*pap = va - (vaddr_t)m->m_dmap_base;
		return true;
	}
	if (!nbm_kva_p(m, va))
		return false;
	e = atomic_load_explicit(&m->m_pmap[nbm_kva_index(m, va)],
	    memory_order_relaxed);
	if ((e & PME_VALID) == 0)
		return false;
	if (pap != NULL)
		*pap = (e & ~(uint64_t)PME_FLAGS) | (va & m->m_pagemask);
	return true;
}

void
pmap_update(void *pmap)
{

	/* Host mappings take effect at once. */
	(void)pmap;
}

vaddr_t
nbm_pmap_direct_va(struct nbm_machine *m, paddr_t pa)
{

	return (vaddr_t)m->m_dmap_base + pa;
}

/*
 * nbm_pmap_set_pageable: mark [va, va+size) as pageable memory with no page
 * yet (on), or clear the marks of pages never touched (off).
 */
void
nbm_pmap_set_pageable(struct nbm_machine *m, vaddr_t va, vsize_t size,
    bool on)
{
	size_t i, n = size >> m->m_pageshift, idx = nbm_kva_index(m, va);

	for (i = 0; i < n; i++)
		atomic_store_explicit(&m->m_pmap[idx + i],
		    on ? PME_PAGEABLE : 0, memory_order_relaxed);
}

/*
 * nbm_pmap_fault: resolve a host fault at va, if it is the first touch of a
 * pageable page.  Called from the fault handler on the faulting thread.
 *
 * => returns 0 if the page is now mapped, -1 if the fault is fatal.
 */
int
nbm_pmap_fault(struct nbm_machine *m, vaddr_t va)
{
	struct vm_page *pg;
	uint64_t e;
	size_t idx;
	vaddr_t pva;

	idx = nbm_kva_index(m, va);
	e = atomic_load_explicit(&m->m_pmap[idx], memory_order_relaxed);
	if ((e & PME_PAGEABLE) == 0 || (e & PME_VALID) != 0)
		return -1;
	if (nbm_curcpu_tls == NULL || nbm_curcpu_tls->ci_machine != m)
		return -1;
	pg = uvm_pagealloc_usage(m, NBM_PG_PAGEABLE, UVM_PGA_ZERO);
	if (pg == NULL)
		return -1;
	pva = va & ~(vaddr_t)m->m_pagemask;
	atomic_store_explicit(&m->m_pmap[idx], pg->pg_phys_addr | PME_VALID |
	    PME_MANAGED | PME_PAGEABLE, memory_order_relaxed);
	if (nbm_host_map((void *)pva, m->m_pagesize) != 0)
		return -1;
	__atomic_fetch_add(&m->m_uvmexp.faults, 1, __ATOMIC_RELAXED);
	return 0;
}
