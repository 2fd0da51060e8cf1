/*
 * uvm_km.c: kernel virtual memory -- kernel_map, uvm_km(9), the import
 * path of the kmem arenas, and the arenas NetBSD builds at boot.
 *
 * Models sys/uvm/uvm_km.c 1.165 (uvm_km_bootstrap, uvm_km_alloc,
 * uvm_km_free, uvm_km_kmem_alloc, uvm_km_kmem_free, kmeminit_nkmempages);
 * vmem_subsystem_init(), which builds the meta arenas, is in subr_vmem.c
 * as in NetBSD.  See the spec (spec-vmem-extent-uvmkm.md) sections 1.14
 * and 3.
 *
 * Layout of a machine's kernel VA (one host reservation, host.c):
 *
 *	kva_base                    kva_base + kmemsize          kva_base + kva_size
 *	|<-- kmem_arena ("kmem") -->|<-- rest of kernel_map ------------------>|
 *
 * kernel_map is the whole range.  Its first entry is the static range that
 * kmem_arena manages on its own, as in NetBSD, where vmem runs the kmem
 * range inside one fixed map entry; the rest serves uvm_km_alloc() (device
 * windows, pageable memory, VA-only ranges).  The map keeps its entries in
 * an address-ordered list and finds space first fit, as uvm_map_findspace()
 * does; it is O(entries), which is fine for the few hundred entries a
 * kernel_map holds (kmem traffic never reaches it).
 *
 * The boot arenas and how they chain (spec 1.14):
 *
 *	kmem_arena  "kmem"      static span over the kmem range, no import
 *	 +- kmem_va_meta_arena "vmem-va"   imports from kmem, 16x (LARGEIMPORT)
 *	 |   +- kmem_meta_arena "vmem-meta" imports VA + wired pages
 *	 |                                  (uvm_km_kmem_alloc) from vmem-va
 *	 +- kmem_va_arena "kva"   imports from kmem; quantum caches up to
 *	                          16 pages (4 when kmemsize < 64 MiB)
 *
 * uvm_km_kmem_alloc() backs pool pages and large kmem allocations: on a
 * machine with a direct map (amd64's PMAP_MAP_POOLPAGE), a single page
 * comes from the direct map and uses no kernel VA at all; otherwise VA
 * from the arena and wired pages mapped there.
 */
#include <stdlib.h>

#include "nbm_impl.h"

/* Hooks of layers that may not be linked into every program. */
void	pool_subsystem_init(void) __attribute__((__weak__));
void	nbm_pool_fini(struct nbm_machine *) __attribute__((__weak__));

#define UVM_KM_MAPENT_KMEM	0x100	/* the static kmem_arena entry */

struct vm_map_entry {
	TAILQ_ENTRY(vm_map_entry) me_link;	/* address order */
	vaddr_t		me_start;		/* first address */
	vaddr_t		me_end;			/* one past the last */
	uvm_flag_t	me_type;		/* UVM_KMF_* type bits */
};

struct vm_map {
	kmutex_t	vm_lock;		/* entries */
	kcondvar_t	vm_cv;			/* UVM_KMF_WAITVA waits */
	vaddr_t		vm_min;			/* first address */
	vaddr_t		vm_max;			/* one past the last */
	size_t		vm_nentries;		/* entries in the list */
	TAILQ_HEAD(, vm_map_entry) vm_entries;	/* address order */
};

struct nbm_uvmkm_state {
	struct vm_map	uk_kernel_map;		/* kernel_map */
	struct vmem	uk_kmem_arena_store;	/* kmem_arena's storage */
	struct vmem	uk_kmem_va_arena_store;	/* kmem_va_arena's storage */
};

/*
 * kmeminit_nkmempages: size of the kmem arena in pages.  amd64 defines
 * NKMEMPAGES_MAX_UNLIMITED, so the arena is as large as physical memory,
 * but at least NKMEMPAGES_MIN (8 MiB).  Spec 3.5.
 */
static size_t
kmeminit_nkmempages(struct nbm_machine *m)
{
	size_t npages = m->m_npages;
	size_t minpages = (8UL << 20) >> m->m_pageshift;

	return MAX(npages, minpages);
}

static struct vm_map_entry *
uvm_map_entry_new(vaddr_t start, vaddr_t end, uvm_flag_t type)
{
	struct vm_map_entry *me = malloc(sizeof(*me));

	if (me != NULL) {
		me->me_start = start;
		me->me_end = end;
		me->me_type = type;
	}
	return me;
}

static int
uvm_km_bootstrap(struct nbm_machine *m)
{
	struct nbm_uvmkm_state *uk;
	struct vm_map *map;
	struct vm_map_entry *me;
	vmem_size_t qcache;

	if ((uk = calloc(1, sizeof(*uk))) == NULL)
		return ENOMEM;
	m->m_uvmkm = uk;
	map = &uk->uk_kernel_map;
	m->m_kernel_map = map;
	mutex_init(&map->vm_lock, MUTEX_DEFAULT, IPL_NONE);
	cv_init(&map->vm_cv, "kmapwait");
	TAILQ_INIT(&map->vm_entries);
	map->vm_min = (vaddr_t)m->m_kva_base;
	map->vm_max = (vaddr_t)m->m_kva_base + m->m_kva_size;

	/* The kmem range: one static entry of kernel_map. */
	m->m_kmembase = map->vm_min;
	m->m_kmemsize = kmeminit_nkmempages(m) << m->m_pageshift;
	/* Leave at least a quarter of kernel VA to the rest of kernel_map. */
	if (m->m_kmemsize > m->m_kva_size - m->m_kva_size / 4)
		m->m_kmemsize = rounddown(m->m_kva_size - m->m_kva_size / 4,
		    m->m_pagesize);
	me = uvm_map_entry_new(m->m_kmembase, m->m_kmembase + m->m_kmemsize,
	    UVM_KM_MAPENT_KMEM);
	if (me == NULL)
		return ENOMEM;
	TAILQ_INSERT_TAIL(&map->vm_entries, me, me_link);
	map->vm_nentries = 1;

	if (pool_subsystem_init != NULL)
		pool_subsystem_init();

	/*
	 * kmem(9) is not up yet: the boot arenas live in static storage, as
	 * NetBSD's kmem_arena_store and kmem_va_arena_store do.  kva gets its
	 * quantum caches (pools "kva-<size>") here already: pools work from
	 * pool_subsystem_init on, taking their own memory from vmem-meta.
	 */
	m->m_kmem_arena = vmem_init(&uk->uk_kmem_arena_store, "kmem",
	    m->m_kmembase, m->m_kmemsize, m->m_pagesize, NULL, NULL, NULL, 0,
	    VM_NOSLEEP | VM_BOOTSTRAP, IPL_VM);
	if (m->m_kmem_arena == NULL)
		return ENOMEM;
	vmem_subsystem_init(m->m_kmem_arena);
	qcache = (m->m_kmemsize < (64UL << 20) ? 4 : 16) * m->m_pagesize;
	m->m_kmem_va_arena = vmem_init(&uk->uk_kmem_va_arena_store, "kva", 0,
	    0, m->m_pagesize, nbm_vmem_import, nbm_vmem_release,
	    m->m_kmem_arena, qcache, VM_NOSLEEP, IPL_VM);
	if (m->m_kmem_va_meta_arena == NULL || m->m_kmem_meta_arena == NULL ||
	    m->m_kmem_va_arena == NULL)
		return ENOMEM;
	return 0;
}

static void
uvm_km_fini(struct nbm_machine *m)
{
	struct nbm_uvmkm_state *uk = m->m_uvmkm;
	struct vm_map_entry *me, *next;

	if (nbm_pool_fini != NULL)
		nbm_pool_fini(m);
	if (uk == NULL)
		return;
	/* kmem and kva live in uk; the meta arenas in the vmem state. */
	if (m->m_kmem_va_arena != NULL)
		nbm_vmem_teardown(m->m_kmem_va_arena);
	if (m->m_kmem_arena != NULL)
		nbm_vmem_teardown(m->m_kmem_arena);
	m->m_kmem_va_arena = m->m_kmem_arena = NULL;
	m->m_kmem_meta_arena = m->m_kmem_va_meta_arena = NULL;
	TAILQ_FOREACH_SAFE(me, &uk->uk_kernel_map.vm_entries, me_link, next)
		free(me);
	free(uk);
	m->m_uvmkm = NULL;
}

const struct nbm_bootstep nbm_bootstep_uvm_km = {
	"uvm_km", uvm_km_bootstrap, uvm_km_fini
};

struct vm_map *
nbm_kernel_map(void)
{

	return NBM_CURMACHINE()->m_kernel_map;
}

vmem_t *
nbm_kmem_arena(void)
{

	return NBM_CURMACHINE()->m_kmem_arena;
}

vmem_t *
nbm_kmem_va_arena(void)
{

	return NBM_CURMACHINE()->m_kmem_va_arena;
}

vmem_t *
nbm_kmem_meta_arena(void)
{

	return NBM_CURMACHINE()->m_kmem_meta_arena;
}

vmem_t *
nbm_kmem_va_meta_arena(void)
{

	return NBM_CURMACHINE()->m_kmem_va_meta_arena;
}

/*
 * uvm_map_findspace: first fit for size bytes aligned to align in the map.
 *
 * => map locked; returns the entry to insert after (NULL: at the head)
 *    and the address in *vap, or false if no space.
 */
static bool
uvm_map_findspace(struct vm_map *map, vsize_t size, vsize_t align,
    vaddr_t *vap, struct vm_map_entry **afterp)
{
	struct vm_map_entry *me, *prev = NULL;
	vaddr_t start = map->vm_min;

	TAILQ_FOREACH(me, &map->vm_entries, me_link) {
		start = roundup2(prev != NULL ? prev->me_end : map->vm_min,
		    align);
		if (start + size <= me->me_start && start + size > start) {
			*vap = start;
			*afterp = prev;
			return true;
		}
		prev = me;
	}
	start = roundup2(prev != NULL ? prev->me_end : map->vm_min, align);
	if (start + size > start && start + size <= map->vm_max) {
		*vap = start;
		*afterp = prev;
		return true;
	}
	return false;
}

static struct vm_map_entry *
uvm_map_lookup(struct vm_map *map, vaddr_t va)
{
	struct vm_map_entry *me;

	TAILQ_FOREACH(me, &map->vm_entries, me_link) {
		if (me->me_start == va)
			return me;
		if (me->me_start > va)
			break;
	}
	return NULL;
}

/*
 * uvm_km_pgremove_intrsafe: unmap [va, va+size) and free the managed pages
 * that were mapped there.
 */
static void
uvm_km_pgremove_intrsafe(struct nbm_machine *m, vaddr_t va, vsize_t size)
{
	struct vm_page *pgs[16];
	vsize_t chunk;
	size_t i;

	while (size > 0) {
		chunk = MIN(size, (vsize_t)__arraycount(pgs) << m->m_pageshift);
		nbm_pmap_kremove_pages(m, va, chunk, pgs);
		for (i = 0; i < chunk >> m->m_pageshift; i++)
			if (pgs[i] != NULL)
				uvm_pagefree(pgs[i]);
		va += chunk;
		size -= chunk;
	}
}

/*
 * uvm_km_alloc: allocate size bytes (rounded to pages) of kernel_map.
 *
 * => exactly one of UVM_KMF_WIRED, UVM_KMF_PAGEABLE, UVM_KMF_VAONLY;
 *    UVM_KMF_COLORMATCH only with UVM_KMF_VAONLY (KASSERTs).
 * => returns the address, or 0 if there is no VA (without UVM_KMF_WAITVA)
 *    or, for WIRED, no page and UVM_KMF_NOWAIT or UVM_KMF_CANFAIL is set.
 * => may sleep: for VA with WAITVA, for pages without NOWAIT/CANFAIL.
 */
vaddr_t
uvm_km_alloc(struct vm_map *map, vsize_t size, vsize_t align,
    uvm_flag_t flags)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	uvm_flag_t type = flags & UVM_KMF_TYPEMASK;
	struct vm_map_entry *me, *after;
	struct vm_page *pg;
	vaddr_t va;
	vsize_t off;
	int pgflags;

	KASSERTMSG(type == UVM_KMF_WIRED || type == UVM_KMF_PAGEABLE ||
	    type == UVM_KMF_VAONLY, "uvm_km_alloc: flags 0x%x: exactly one "
	    "type (WIRED, PAGEABLE, VAONLY) is required", flags);
	KASSERT((flags & UVM_KMF_COLORMATCH) == 0 ||
	    (flags & UVM_KMF_VAONLY) != 0);
	KASSERT(map == m->m_kernel_map);
	size = round_page(size);
	if (size == 0)
		return 0;
	if ((flags & UVM_KMF_COLORMATCH) != 0 || align < m->m_pagesize)
		align = m->m_pagesize;	/* a colour is not an alignment */
	if (!powerof2(align))
		return 0;

	if ((me = uvm_map_entry_new(0, 0, type)) == NULL)
		return 0;
	mutex_enter(&map->vm_lock);
	while (!uvm_map_findspace(map, size, align, &va, &after)) {
		if ((flags & UVM_KMF_WAITVA) == 0 ||
		    (flags & UVM_KMF_NOWAIT) != 0) {
			mutex_exit(&map->vm_lock);
			free(me);
			return 0;
		}
		cv_wait(&map->vm_cv, &map->vm_lock);
	}
	me->me_start = va;
	me->me_end = va + size;
	if (after == NULL)
		TAILQ_INSERT_HEAD(&map->vm_entries, me, me_link);
	else
		TAILQ_INSERT_AFTER(&map->vm_entries, after, me, me_link);
	map->vm_nentries++;
	mutex_exit(&map->vm_lock);

	if (type == UVM_KMF_VAONLY)
		return va;
	if (type == UVM_KMF_PAGEABLE) {
		nbm_pmap_set_pageable(m, va, size, true);
		return va;
	}

	/* Wired: allocate and map every page now. */
	pgflags = (flags & UVM_KMF_NOWAIT) ? UVM_PGA_USERESERVE : 0;
	if (flags & UVM_KMF_ZERO)
		pgflags |= UVM_PGA_ZERO;
	for (off = 0; off < size;) {
		pg = uvm_pagealloc_usage(m, NBM_PG_KMAP, pgflags);
		if (pg == NULL) {
			/*
			 * No page.  NetBSD fails for NOWAIT, and for CANFAIL
			 * when nothing is reclaimable; the page daemon is the
			 * only reclaimer here, and it is asked by uvm_wait.
			 */
			if ((flags & (UVM_KMF_NOWAIT | UVM_KMF_CANFAIL)) != 0) {
				uvm_km_free(map, va, size, type);
				return 0;
			}
			uvm_wait("km_getwait2");
			continue;
		}
		nbm_pmap_kenter_pages(m, va + off, &pg, 1, PMAP_KMPAGE);
		off += m->m_pagesize;
	}
	pmap_update(pmap_kernel());
	return va;
}

/*
 * uvm_km_free: free memory from uvm_km_alloc.
 *
 * => flags must carry the type the memory was allocated with; addr must be
 *    page-aligned and the start of an allocation.
 */
void
uvm_km_free(struct vm_map *map, vaddr_t addr, vsize_t size, uvm_flag_t flags)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	uvm_flag_t type = flags & UVM_KMF_TYPEMASK;
	struct vm_map_entry *me;

	KASSERTMSG((addr & m->m_pagemask) == 0,
	    "uvm_km_free: addr 0x%lx is not page aligned", (unsigned long)addr);
	size = round_page(size);
	mutex_enter(&map->vm_lock);
	me = uvm_map_lookup(map, addr);
	if (me == NULL || me->me_type == UVM_KM_MAPENT_KMEM) {
		mutex_exit(&map->vm_lock);
		panic("uvm_km_free: addr 0x%lx size 0x%lx is not an allocation "
		    "of kernel_map", (unsigned long)addr, (unsigned long)size);
	}
	KASSERTMSG(me->me_type == type, "uvm_km_free: addr 0x%lx allocated "
	    "with type 0x%x, freed with 0x%x", (unsigned long)addr,
	    me->me_type, type);
	KASSERTMSG(me->me_end - me->me_start == size, "uvm_km_free: addr "
	    "0x%lx size 0x%lx != allocated size 0x%lx", (unsigned long)addr,
	    (unsigned long)size, (unsigned long)(me->me_end - me->me_start));
	size = me->me_end - me->me_start;
	mutex_exit(&map->vm_lock);

	/*
	 * Unmap while the entry still holds the range: once it is off the
	 * map, another thread may get the VA and map its own pages there.
	 */
	switch (me->me_type) {
	case UVM_KMF_WIRED:
	case UVM_KMF_PAGEABLE:
		/* Pages of pageable memory exist where it was touched. */
		uvm_km_pgremove_intrsafe(m, addr, size);
		nbm_pmap_set_pageable(m, addr, size, false);
		break;
	case UVM_KMF_VAONLY:
		/* The caller's pages stay the caller's; drop the mappings. */
		nbm_pmap_kremove_pages(m, addr, size, NULL);
		break;
	}
	mutex_enter(&map->vm_lock);
	TAILQ_REMOVE(&map->vm_entries, me, me_link);
	map->vm_nentries--;
	mutex_exit(&map->vm_lock);
	free(me);
	if (cv_has_waiters(&map->vm_cv))
		cv_broadcast(&map->vm_cv);
}

/*
 * uvm_km_kmem_alloc: VA and wired pages for the kmem arenas and pools.
 * Has the vmem_import_t shape.  Spec 3.4.
 *
 * => VM_SLEEP waits for pages (uvm_wait "plpg"); VM_NOSLEEP may use the
 *    page reserve and returns ENOMEM when it runs out.
 */
int
uvm_km_kmem_alloc(vmem_t *vm, vmem_size_t size, vm_flag_t flags,
    vmem_addr_t *addrp)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	int pgflags = (flags & VM_SLEEP) ? 0 : UVM_PGA_USERESERVE;
	struct vm_page *pg, *pgs[16];
	vmem_addr_t va;
	size_t npg, i, n, done;
	int error;

	size = round_page(size);
	npg = size >> m->m_pageshift;
	if (m->m_dmap_base != NULL && npg == 1) {
		/* PMAP_MAP_POOLPAGE: a direct-mapped page, no VA needed. */
		while ((pg = uvm_pagealloc_usage(m, NBM_PG_KMEM, pgflags)) ==
		    NULL) {
			if ((flags & VM_SLEEP) == 0)
				return ENOMEM;
			uvm_wait("plpg");
		}
		*addrp = nbm_pmap_direct_va(m, pg->pg_phys_addr);
		return 0;
	}

	error = vmem_alloc(vm, size, flags, &va);
	if (error != 0)
		return error;
	/*
	 * Pages in batches of 16, each mapped with one host call; no host
	 * memory is allocated, so a thread that sleeps here for good leaks
	 * nothing.
	 */
	for (done = 0; done < npg; done += n) {
		n = MIN(npg - done, __arraycount(pgs));
		for (i = 0; i < n; i++) {
			while ((pgs[i] = uvm_pagealloc_usage(m, NBM_PG_KMEM,
			    pgflags)) == NULL) {
				if ((flags & VM_SLEEP) == 0) {
					while (i-- > 0)
						uvm_pagefree(pgs[i]);
					uvm_km_pgremove_intrsafe(m, va,
					    done << m->m_pageshift);
					vmem_free(vm, va, size);
					return ENOMEM;
				}
				uvm_wait("plpg");
			}
		}
		nbm_pmap_kenter_pages(m, va + (done << m->m_pageshift), pgs, n,
		    PMAP_KMPAGE);
	}
	pmap_update(pmap_kernel());
	*addrp = va;
	return 0;
}

void
uvm_km_kmem_free(vmem_t *vm, vmem_addr_t addr, vmem_size_t size)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct vm_page *pg;
	paddr_t pa;

	size = round_page(size);
	if (m->m_dmap_base != NULL && addr >= (vaddr_t)m->m_dmap_base &&
	    addr - (vaddr_t)m->m_dmap_base < m->m_dmap_size) {
		/* PMAP_UNMAP_POOLPAGE */
		KASSERT(size == m->m_pagesize);
		pa = addr - (vaddr_t)m->m_dmap_base;
		pg = uvm_phys_to_vm_page(m, pa);
		KASSERTMSG(pg != NULL, "uvm_km_kmem_free: direct-map address "
		    "0x%lx is not a managed page", (unsigned long)addr);
		nbm_host_discard((void *)addr, m->m_pagesize);
		uvm_pagefree(pg);
		return;
	}
	uvm_km_pgremove_intrsafe(m, addr, size);
	pmap_update(pmap_kernel());
	vmem_free(vm, addr, size);
}

/*
 * uvm_km_va_starved_p: true when less than a tenth of kmem_arena is free.
 */
bool
uvm_km_va_starved_p(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	vmem_size_t total, free;

	total = vmem_size(m->m_kmem_arena, VMEM_ALLOC | VMEM_FREE);
	free = vmem_size(m->m_kmem_arena, VMEM_FREE);
	return free < total / 10;
}
