/*
 * x86_bus_space.c: bus_space(9) for the x86 I/O port and memory spaces,
 * after NetBSD's sys/arch/x86/x86/bus_space.c 1.47 and the iomem part of
 * x86_machdep.c (spec 4.4).
 *
 * Two fixed, non-coalescing extents record what is taken:
 *   ioport_ex	ports 0..0xffff, storage for 16 descriptors;
 *   iomem_ex	physical addresses 0..MAXIOMEM (the machine's iomem_max),
 *		storage for 64 descriptors.
 * Being EX_NOCOALESCE, every reservation keeps its own descriptor and can
 * only be released whole.  Until x86_bus_space_mallocok() (cpu_startup() in
 * NetBSD, once kmem and pools work) the extents live on their static
 * descriptors alone, so a 17th I/O port reservation fails with ENOMEM; from
 * then on every call passes EX_MALLOCOK and descriptors come from the
 * extent pool.
 *
 * Boot (x86_bus_space_bootstrap): the extents are created, then the
 * machine's memory map is entered into iomem_ex as init_x86_clusters()
 * does: RAM, ACPI and NVS ranges are reserved, split around the ISA hole
 * 0xa0000-0xfffff, which stays free for ISA devices.  RESERVED ranges
 * (firmware, the interrupt controllers' windows) are reserved too, as their
 * drivers would reserve them at attach; NetBSD's x86_add_cluster() itself
 * skips them.  The ISA hole gets a fixed kernel window (atdevbase), mapped
 * once.  A later boot step (x86_bus_space_mallocok_step) allows EX_MALLOCOK
 * and reserves the configured I/O port ranges, as the drivers of the legacy
 * devices would.
 *
 * bus_space_map() reserves exactly [bpa, bpa+size) with extent_alloc_region
 * (EAGAIN if any of it is taken -- by RAM, firmware or another mapping) and
 * maps it: an I/O handle is the port number; memory inside the ISA hole is
 * addressed through the fixed window; other memory gets fresh kernel VA
 * (uvm_km_alloc, UVM_KMF_VAONLY) with its pages entered by pmap_kenter_pa,
 * and the handle is that VA plus the page offset of bpa.  Device registers
 * are not simulated: the memory behind a window is host memory, zero at
 * first, that the caller can read and write.  Two windows onto the same
 * physical page do not alias (see uvm_page.c).  Pages are the machine's
 * PAGE_SIZE (NetBSD's x86 uses its fixed 4 KiB x86_round_page).
 */
#include <inttypes.h>
#include <stdlib.h>

#include "nbm_impl.h"

#define IOM_BEGIN	0x0a0000ULL	/* start of the ISA hole */
#define IOM_END		0x100000ULL	/* end of the ISA hole */
#define IOM_SIZE	(IOM_END - IOM_BEGIN)
#define MAXPHYSMEM	0x100000000000ULL /* amd64: 16 TiB */

/* x86 BIOS memory map types (BIM_*), the values of NBM_MEM_*. */
#define BIM_Memory	NBM_MEM_RAM
#define BIM_Reserved	NBM_MEM_RESERVED
#define BIM_ACPI	NBM_MEM_ACPI
#define BIM_NVS		NBM_MEM_NVS

struct bus_space_tag {
	int	bst_type;	/* X86_BUS_SPACE_IO or X86_BUS_SPACE_MEM */
};

static const struct bus_space_tag x86_io = { X86_BUS_SPACE_IO };
static const struct bus_space_tag x86_mem = { X86_BUS_SPACE_MEM };

/* A reserved range that is not (yet) mapped. */
typedef struct {
	bus_addr_t	bsr_start;	/* first address */
	bus_size_t	bsr_size;	/* bytes (ports) */
} bus_space_reservation_t;

struct nbm_bus_state {
	struct extent	*bs_ioport_ex;	/* ioport_ex */
	struct extent	*bs_iomem_ex;	/* iomem_ex */
	int		 bs_malloc_safe; /* ioport_malloc_safe */
	vaddr_t		 bs_atdevbase;	/* VA of the ISA hole window */
	long		 bs_ioport_storage[EXTENT_FIXED_STORAGE_SIZE(16) /
			    sizeof(long)]; /* ioport_ex's fixed storage */
	long		 bs_iomem_storage[EXTENT_FIXED_STORAGE_SIZE(64) /
			    sizeof(long)]; /* iomem_ex's fixed storage */
};

#define ISA_HOLE_VADDR(bs, p)	((bs)->bs_atdevbase + ((p) - IOM_BEGIN))
#define ISA_PHYSADDR(bs, v)	((bus_addr_t)((v) - (bs)->bs_atdevbase) + \
				    IOM_BEGIN)

static struct nbm_bus_state *
bus_state(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();

	if (__predict_false(m->m_bus == NULL))
		panic("bus_space: the machine has no I/O extents");
	return m->m_bus;
}

bus_space_tag_t
nbm_bus_space_io(void)
{

	return &x86_io;
}

bus_space_tag_t
nbm_bus_space_mem(void)
{

	return &x86_mem;
}

struct extent *
nbm_ioport_ex(void)
{

	return bus_state()->bs_ioport_ex;
}

struct extent *
nbm_iomem_ex(void)
{

	return bus_state()->bs_iomem_ex;
}

static inline bool
x86_bus_space_is_io(bus_space_tag_t t)
{

	return t->bst_type == X86_BUS_SPACE_IO;
}

static inline bool
x86_bus_space_is_mem(bus_space_tag_t t)
{

	return t->bst_type == X86_BUS_SPACE_MEM;
}

static int
bus_space_exflags(const struct nbm_bus_state *bs)
{

	return EX_NOWAIT | (bs->bs_malloc_safe ? EX_MALLOCOK : 0);
}

/*
 * x86_bus_space_init: create ioport_ex and iomem_ex, empty, on their static
 * descriptors.
 *
 * => called once at boot; calling it again starts over with empty maps and
 *    without EX_MALLOCOK, as right after boot (tests use this to reach the
 *    state before x86_bus_space_mallocok()).  Existing windows stay mapped.
 */
void
x86_bus_space_init(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	struct nbm_bus_state *bs = m->m_bus;

	KASSERT(bs != NULL);
	if (bs->bs_ioport_ex != NULL) {
		extent_destroy(bs->bs_ioport_ex);
		extent_destroy(bs->bs_iomem_ex);
	}
	/*
	 * Fixed extents: creation cannot fail, the descriptor storage is
	 * here already.
	 */
	bs->bs_ioport_ex = extent_create("ioport", 0x0, 0xffff,
	    bs->bs_ioport_storage, sizeof(bs->bs_ioport_storage),
	    EX_NOCOALESCE | EX_NOWAIT);
	bs->bs_iomem_ex = extent_create("iomem", 0x0,
	    (u_long)m->m_cfg.iomem_max, bs->bs_iomem_storage,
	    sizeof(bs->bs_iomem_storage), EX_NOCOALESCE | EX_NOWAIT);
	bs->bs_malloc_safe = 0;
}

/*
 * x86_bus_space_mallocok: from now on the I/O extents may take descriptors
 * from the pool (EX_MALLOCOK).
 */
void
x86_bus_space_mallocok(void)
{

	bus_state()->bs_malloc_safe = 1;
}

/*
 * x86_add_cluster: reserve the memory map segment [seg_start, seg_end) of
 * the given type in iomem_ex, before any page rounding (x86_machdep.c).
 *
 * => a segment above MAXPHYSMEM is skipped (a kernel says so only when
 *    booted verbose); one ending exactly there loses its last page.
 * => on failure prints NetBSD's warning and skips the segment.
 */
static void
x86_add_cluster(struct nbm_machine *m, uint64_t seg_start, uint64_t seg_end,
    int type)
{
	struct nbm_bus_state *bs = m->m_bus;
	uint64_t maxphysmem, endext, io_end;

	/* MAXIOMEM + 1, and i386's MAXPHYSMEM is that as well. */
	endext = m->m_cfg.iomem_max == UINT64_MAX ? UINT64_MAX :
	    m->m_cfg.iomem_max + 1;
	maxphysmem = MIN(MAXPHYSMEM, endext);
	if (seg_end > maxphysmem)
		return;
	if (seg_end == maxphysmem)
		seg_end -= m->m_pagesize;
	if (seg_end <= seg_start)
		return;

	if (seg_start < endext) {
		io_end = MIN(seg_end, endext);
		if (extent_alloc_region(bs->bs_iomem_ex, seg_start,
		    io_end - seg_start, EX_NOWAIT) != 0) {
			kprintf("WARNING: CAN't ALLOCATE MEMORY SEGMENT "
			    "(0x%" PRIx64 "/0x%" PRIx64 "/0x%x) FROM "
			    "IOMEM EXTENT MAP!\n", seg_start,
			    seg_end - seg_start, type);
			nbm_machine_event(m, NBM_EV_WARNING, "iomem",
			    "can't allocate memory segment 0x%" PRIx64
			    "/0x%" PRIx64 "/0x%x", seg_start,
			    seg_end - seg_start, type);
		}
	}
}

/*
 * init_x86_clusters: enter the machine's memory map into iomem_ex, as
 * x86_parse_clusters() does with the BIOS/EFI map: RAM, ACPI and NVS
 * entries of at least a page, split around the ISA hole.
 */
void
init_x86_clusters(void)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	const struct nbm_range *r;
	uint64_t seg_start, seg_end;
	u_int i;

	for (i = 0; i < m->m_cfg.nmemmap; i++) {
		r = &m->m_cfg.memmap[i];
		switch (r->r_type) {
		case BIM_Memory:
		case BIM_ACPI:
		case BIM_NVS:
			break;
		default:
			continue;
		}
		if (r->r_size < m->m_pagesize)
			continue;
		seg_start = r->r_start;
		seg_end = r->r_start + r->r_size;
		if (seg_start < IOM_END && seg_end > IOM_BEGIN) {
			kprintf("WARNING: memory map entry overlaps "
			    "with ``Compatibility Holes'': "
			    "0x%" PRIx64 "/0x%" PRIx64 "/0x%x\n", seg_start,
			    seg_end - seg_start, r->r_type);
			nbm_machine_event(m, NBM_EV_WARNING, "iomem",
			    "memory map entry 0x%" PRIx64 "/0x%" PRIx64
			    "/0x%x overlaps the ISA hole", seg_start,
			    seg_end - seg_start, r->r_type);
			x86_add_cluster(m, seg_start, IOM_BEGIN, r->r_type);
			x86_add_cluster(m, IOM_END, seg_end, r->r_type);
		} else
			x86_add_cluster(m, seg_start, seg_end, r->r_type);
	}
}

/*
 * x86_reserve_firmware: reserve the RESERVED ranges of the memory map in
 * iomem_ex whole, as the drivers owning them would at attach.
 */
static void
x86_reserve_firmware(struct nbm_machine *m)
{
	struct nbm_bus_state *bs = m->m_bus;
	const struct nbm_range *r;
	u_int i;
	int error;

	for (i = 0; i < m->m_cfg.nmemmap; i++) {
		r = &m->m_cfg.memmap[i];
		if (r->r_type != BIM_Reserved)
			continue;
		error = extent_alloc_region(bs->bs_iomem_ex, r->r_start,
		    r->r_size, bus_space_exflags(bs));
		if (error != 0) {
			kprintf("WARNING: can't reserve %s "
			    "(0x%" PRIx64 "/0x%" PRIx64 ") in the iomem "
			    "extent map: error %d\n", r->r_name, r->r_start,
			    r->r_size, error);
			nbm_machine_event(m, NBM_EV_WARNING, "iomem",
			    "can't reserve %s 0x%" PRIx64 "/0x%" PRIx64
			    ": error %d", r->r_name, r->r_start, r->r_size,
			    error);
		}
	}
}

/*
 * x86_bus_space_extent: the extent that tag t allocates from.
 *
 * => EOPNOTSUPP for a linear mapping (BUS_SPACE_MAP_LINEAR in flags) of
 *    I/O space; a tag of neither space panics.
 */
static int
x86_bus_space_extent(bus_space_tag_t t, int flags, struct extent **exp)
{
	struct nbm_bus_state *bs = bus_state();

	if (x86_bus_space_is_io(t)) {
		if ((flags & BUS_SPACE_MAP_LINEAR) != 0)
			return EOPNOTSUPP;
		*exp = bs->bs_ioport_ex;
	} else if (x86_bus_space_is_mem(t))
		*exp = bs->bs_iomem_ex;
	else
		panic("x86_memio_alloc: bad bus space tag");
	return 0;
}

/*
 * bus_space_reserve: take [bpa, bpa+size) in the tag's extent.
 *
 * => returns extent_alloc_region's error unchanged: EAGAIN if any of it is
 *    taken, ENOMEM without descriptors, EINVAL outside the space (on a
 *    machine without DIAGNOSTIC); EOPNOTSUPP for a linear I/O mapping.
 */
static int
bus_space_reserve(bus_space_tag_t t, bus_addr_t bpa, bus_size_t size,
    int flags, bus_space_reservation_t *bsrp)
{
	struct extent *ex;
	int error;

	if ((error = x86_bus_space_extent(t, flags, &ex)) != 0)
		return error;
	error = extent_alloc_region(ex, bpa, size,
	    bus_space_exflags(bus_state()));
	if (error != 0)
		return error;
	bsrp->bsr_start = bpa;
	bsrp->bsr_size = size;
	return 0;
}

/*
 * bus_space_reserve_subregion: take size units anywhere in [rstart, rend]
 * (clamped to the extent), the lowest address that fits (EX_FAST).
 */
static int
bus_space_reserve_subregion(bus_space_tag_t t, bus_addr_t rstart,
    bus_addr_t rend, bus_size_t size, bus_size_t alignment,
    bus_size_t boundary, int flags, bus_space_reservation_t *bsrp)
{
	struct extent *ex;
	u_long bpa;
	int error;

	if ((error = x86_bus_space_extent(t, flags, &ex)) != 0)
		return error;
	rstart = MAX(rstart, ex->ex_start);
	rend = MIN(rend, ex->ex_end);
	if (rstart >= rend)
		panic("x86_memio_alloc: bad region start/end");

	error = extent_alloc_subregion(ex, rstart, rend, size, alignment,
	    boundary, EX_FAST | bus_space_exflags(bus_state()), &bpa);
	if (error != 0)
		return error;
	bsrp->bsr_start = bpa;
	bsrp->bsr_size = size;
	return 0;
}

/*
 * bus_space_release: give a reservation back.  The extents are
 * EX_NOCOALESCE, so it must be exactly what was reserved; anything else
 * panics in extent_free ("region not found").
 */
static void
bus_space_release(bus_space_tag_t t, const bus_space_reservation_t *bsr)
{
	struct extent *ex;

	(void)x86_bus_space_extent(t, 0, &ex);
	if (extent_free(ex, bsr->bsr_start, bsr->bsr_size,
	    bus_space_exflags(bus_state())) != 0) {
		kprintf("bus_space_release: pa 0x%jx, size 0x%jx\n",
		    (uintmax_t)bsr->bsr_start, (uintmax_t)bsr->bsr_size);
		kprintf("bus_space_release: can't free region\n");
	}
}

/*
 * x86_mem_add_mapping: map [bpa, bpa+size) at fresh kernel VA.
 *
 * => returns 0 and the handle (VA plus the page offset of bpa), or ENOMEM
 *    when no VA is left.
 * => pmap flags: uncached by default, write-combining with
 *    BUS_SPACE_MAP_PREFETCHABLE, cached with BUS_SPACE_MAP_CACHEABLE (rev
 *    1.45; the machine does not model caching).
 */
static int
x86_mem_add_mapping(bus_addr_t bpa, bus_size_t size, int flags,
    bus_space_handle_t *bshp)
{
	struct nbm_machine *m = NBM_CURMACHINE();
	paddr_t pa, endpa;
	vaddr_t va, sva;
	u_int pmapflags;

	pa = trunc_page(bpa);
	endpa = round_page(bpa + size);

	pmapflags = PMAP_NOCACHE;
	if ((flags & BUS_SPACE_MAP_CACHEABLE) != 0)
		pmapflags = 0;
	else if ((flags & BUS_SPACE_MAP_PREFETCHABLE) != 0)
		pmapflags = PMAP_WRITE_COMBINE;

	if (nbm_opt(m, NBM_OPT_DIAGNOSTIC) && endpa != 0 && endpa <= pa)
		panic("x86_mem_add_mapping: overflow");

	sva = uvm_km_alloc(kernel_map, endpa - pa, 0,
	    UVM_KMF_VAONLY | UVM_KMF_NOWAIT);
	if (sva == 0)
		return ENOMEM;
	*bshp = (bus_space_handle_t)(sva + (bpa & PAGE_MASK));
	for (va = sva; pa != endpa; pa += PAGE_SIZE, va += PAGE_SIZE)
		pmap_kenter_pa(va, pa, VM_PROT_READ | VM_PROT_WRITE,
		    pmapflags);
	pmap_update(pmap_kernel());
	return 0;
}

/*
 * bus_space_reservation_map: map a reservation and return its handle.
 */
static int
bus_space_reservation_map(bus_space_tag_t t,
    const bus_space_reservation_t *bsr, int flags, bus_space_handle_t *bshp)
{
	struct nbm_bus_state *bs = bus_state();
	bus_addr_t bpa = bsr->bsr_start;
	bus_size_t size = bsr->bsr_size;

	/* I/O space: the handle is the port number. */
	if (x86_bus_space_is_io(t)) {
		*bshp = (bus_space_handle_t)bpa;
		return 0;
	}
	/* The ISA hole is mapped already. */
	if (bpa >= IOM_BEGIN && bpa + size != 0 && bpa + size <= IOM_END) {
		*bshp = ISA_HOLE_VADDR(bs, bpa);
		return 0;
	}
	return x86_mem_add_mapping(bpa, size, flags, bshp);
}

/*
 * bus_space_reservation_map_or_release: map a reservation, or give it
 * back if that fails.
 */
static int
bus_space_reservation_map_or_release(bus_space_tag_t t,
    const bus_space_reservation_t *bsr, int flags, bus_space_handle_t *bshp)
{
	int error;

	if ((error = bus_space_reservation_map(t, bsr, flags, bshp)) != 0)
		bus_space_release(t, bsr);
	return error;
}

/*
 * bus_space_reservation_unmap1: undo bus_space_reservation_map and find
 * the bus address the handle stands for.
 */
static void
bus_space_reservation_unmap1(bus_space_tag_t t, bus_space_handle_t bsh,
    bus_size_t size, bus_addr_t *bpap)
{
	struct nbm_bus_state *bs = bus_state();
	vaddr_t va, endva;
	paddr_t pa;

	if (x86_bus_space_is_io(t)) {
		*bpap = bsh;
		return;
	}
	if (!x86_bus_space_is_mem(t))
		panic("x86_memio_unmap: bad bus space tag");
	if (bsh >= bs->bs_atdevbase && bsh + size != 0 &&
	    bsh + size <= bs->bs_atdevbase + IOM_SIZE) {
		*bpap = ISA_PHYSADDR(bs, bsh);
		return;
	}

	va = trunc_page(bsh);
	endva = round_page(bsh + size);
	if (nbm_opt(NBM_CURMACHINE(), NBM_OPT_DIAGNOSTIC) && endva <= va)
		panic("x86_memio_unmap: overflow");
	/*
	 * NetBSD's bus_space_reservation_unmap1 goes on with an unset bpa
	 * when the handle is not mapped; _x86_memio_unmap panics, and so
	 * does this.
	 */
	if (!pmap_extract(pmap_kernel(), va, &pa))
		panic("_x86_memio_unmap: wrong virtual address");
	*bpap = pa + (bsh & PAGE_MASK);
	pmap_kremove(va, endva - va);
	pmap_update(pmap_kernel());
	uvm_km_free(kernel_map, va, endva - va, UVM_KMF_VAONLY);
}

/*
 * bus_space_map: reserve [bpa, bpa+size) and map it.
 *
 * => returns 0 and the handle in *bshp; EAGAIN if any of the range is
 *    taken (RAM, firmware, another mapping); ENOMEM if no descriptor or no
 *    VA is left; EINVAL outside the space; EOPNOTSUPP for a linear I/O
 *    mapping.
 */
int
bus_space_map(bus_space_tag_t t, bus_addr_t bpa, bus_size_t size, int flags,
    bus_space_handle_t *bshp)
{
	bus_space_reservation_t bsr;
	int error;

	if ((error = bus_space_reserve(t, bpa, size, flags, &bsr)) != 0)
		return error;
	return bus_space_reservation_map_or_release(t, &bsr, flags, bshp);
}

/*
 * bus_space_unmap: unmap a handle of bus_space_map and release its range.
 *
 * => handle and size must be those of the mapping: the range is freed
 *    whole, and a mismatch panics ("extent_free: region not found").
 */
void
bus_space_unmap(bus_space_tag_t t, bus_space_handle_t bsh, bus_size_t size)
{
	bus_space_reservation_t bsr;
	bus_addr_t bpa;

	bus_space_reservation_unmap1(t, bsh, size, &bpa);
	bsr.bsr_start = bpa;
	bsr.bsr_size = size;
	bus_space_release(t, &bsr);
}

/*
 * bus_space_alloc: reserve and map size units anywhere in [rstart, rend],
 * aligned and not crossing boundary: the first fit in address order.
 *
 * => returns 0 with the bus address in *bpap and the handle in *bshp, or
 *    the error of the reservation (EAGAIN: nothing fits) or the mapping.
 */
int
bus_space_alloc(bus_space_tag_t t, bus_addr_t rstart, bus_addr_t rend,
    bus_size_t size, bus_size_t alignment, bus_size_t boundary, int flags,
    bus_addr_t *bpap, bus_space_handle_t *bshp)
{
	bus_space_reservation_t bsr;
	int error;

	error = bus_space_reserve_subregion(t, rstart, rend, size, alignment,
	    boundary, flags, &bsr);
	if (error != 0)
		return error;
	error = bus_space_reservation_map_or_release(t, &bsr, flags, bshp);
	*bpap = bsr.bsr_start;
	return error;
}

void
bus_space_free(bus_space_tag_t t, bus_space_handle_t bsh, bus_size_t size)
{

	bus_space_unmap(t, bsh, size);
}

/*
 * bus_space_subregion: a handle for part of a mapping; pure arithmetic,
 * nothing is reserved.
 */
int
bus_space_subregion(bus_space_tag_t t, bus_space_handle_t bsh,
    bus_size_t offset, bus_size_t size, bus_space_handle_t *nbshp)
{

	*nbshp = bsh + offset;
	return 0;
}

/*
 * x86_bus_space_bootstrap: the I/O extents with the memory map entered,
 * and the ISA hole window (boot step, after uvm_km).
 */
static int
x86_bus_space_bootstrap(struct nbm_machine *m)
{
	struct nbm_bus_state *bs;
	paddr_t pa;

	if ((bs = calloc(1, sizeof(*bs))) == NULL)
		return ENOMEM;
	m->m_bus = bs;
	x86_bus_space_init();
	init_x86_clusters();
	x86_reserve_firmware(m);

	/* atdevbase: the ISA hole, mapped for good. */
	bs->bs_atdevbase = uvm_km_alloc(kernel_map, IOM_SIZE, 0,
	    UVM_KMF_VAONLY);
	if (bs->bs_atdevbase == 0) {
		nbm_boot_seterror("x86_bus_space: no kernel VA for the ISA "
		    "hole window");
		/* A failed step gets no fini call. */
		free(bs);
		m->m_bus = NULL;
		return ENOMEM;
	}
	for (pa = IOM_BEGIN; pa < IOM_END; pa += m->m_pagesize)
		pmap_kenter_pa(ISA_HOLE_VADDR(bs, pa), pa,
		    VM_PROT_READ | VM_PROT_WRITE, PMAP_NOCACHE);
	pmap_update(pmap_kernel());
	return 0;
}

/*
 * x86_bus_space_shutdown: free the state.  The extents' pool descriptors
 * go with the extent state, the window's VA with the machine.
 */
static void
x86_bus_space_shutdown(struct nbm_machine *m)
{

	free(m->m_bus);
	m->m_bus = NULL;
}

/*
 * x86_bus_space_mallocok_step: allow EX_MALLOCOK, then reserve the
 * configured I/O port ranges as their drivers would (boot step, after
 * kmem_init, where cpu_startup() runs in NetBSD).
 */
static int
x86_bus_space_mallocok_step(struct nbm_machine *m)
{
	const struct nbm_range *r;
	bus_space_handle_t h;
	u_int i;
	int error;

	x86_bus_space_mallocok();
	for (i = 0; i < m->m_cfg.nioport; i++) {
		r = &m->m_cfg.ioport[i];
		error = bus_space_map(x86_bus_space_io, r->r_start, r->r_size,
		    0, &h);
		if (error != 0) {
			nbm_boot_seterror("ioport[%u] %s 0x%" PRIx64 "+0x%"
			    PRIx64 ": can't reserve: %s", i, r->r_name,
			    r->r_start, r->r_size, strerror(error));
			return error;
		}
	}
	return 0;
}

const struct nbm_bootstep nbm_bootstep_x86_bus_space = {
	"x86_bus_space", x86_bus_space_bootstrap, x86_bus_space_shutdown
};

const struct nbm_bootstep nbm_bootstep_x86_bus_space_mallocok = {
	"x86_bus_space_mallocok", x86_bus_space_mallocok_step, NULL
};
