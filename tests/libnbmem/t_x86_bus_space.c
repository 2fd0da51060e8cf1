/*
 * t_x86_bus_space: the x86 I/O extents and bus_space(9) (x86_bus_space.c):
 * what boot reserves in ioport_ex and iomem_ex, EAGAIN on overlap, the
 * three kinds of handles (port number, ISA hole window, fresh VA plus page
 * offset), exact unmapping, first-fit bus_space_alloc, and the descriptor
 * supply before and after x86_bus_space_mallocok() (spec 4.4, 5 item 12).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

static struct nbm_machine *
boot_cfg(struct nbm_config *cfg)
{
	struct nbm_machine *m;

	m = h_boot(cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	return m;
}

static const char *
printed(struct extent *ex)
{

	h_print_reset();
	extent_print(ex);
	return h_printed();
}

static size_t
count_flagged(const struct extent *ex, int flag)
{
	const struct extent_region *rp;
	size_t n = 0;

	LIST_FOREACH(rp, &ex->ex_regions, er_link)
		if ((rp->er_flags & flag) == flag)
			n++;
	return n;
}

/* The default PC layout of a 64 MiB machine, as boot enters it. */
static const char iomem_64m[] =
    "extent `iomem' (0x0 - 0xffffffffffff), flags = 0x3\n"
    "     0x0 - 0x9ffff\n"
    "     0x100000 - 0x405ffff\n"
    "     0x4060000 - 0x406ffff\n"
    "     0x4070000 - 0x407ffff\n"
    "     0xfec00000 - 0xfec00fff\n"
    "     0xfee00000 - 0xfee00fff\n"
    "     0xfff00000 - 0xffffffff\n";

static const char ioport_default[] =
    "extent `ioport' (0x0 - 0xffff), flags = 0x3\n"
    "     0x0 - 0x1f\n"
    "     0x20 - 0x21\n"
    "     0x40 - 0x43\n"
    "     0x60 - 0x60\n"
    "     0x64 - 0x64\n"
    "     0x70 - 0x71\n"
    "     0x80 - 0x8f\n"
    "     0xa0 - 0xa1\n"
    "     0xc0 - 0xdf\n"
    "     0xf0 - 0xff\n"
    "     0xcf8 - 0xcff\n";

static void
list_names(struct extent *ex, void *arg)
{

	strcat(arg, ex->ex_name);
	strcat(arg, " ");
}

ATF_TC_WITHOUT_HEAD(boot_reservations);
ATF_TC_BODY(boot_reservations, tc)
{
	struct nbm_machine *m = h_boot_enter();
	char names[128] = "";

	ATF_CHECK_STREQ(printed(iomem_ex), iomem_64m);
	ATF_CHECK_STREQ(printed(ioport_ex), ioport_default);
	/* Fixed storage for 16 and 64 descriptors; none from the pool. */
	ATF_CHECK_EQ(ioport_ex->ex_flags, EXF_FIXED | EXF_NOCOALESCE);
	ATF_CHECK_EQ(count_flagged(ioport_ex, ER_ALLOC), 0);
	ATF_CHECK_EQ(count_flagged(iomem_ex, ER_ALLOC), 0);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	nbm_extent_foreach(m, list_names, names);
	ATF_CHECK_STREQ(names, "iomem ioport ");
	h_shutdown(m);
}

/*
 * A memory map of one's own: an entry over the ISA hole is split around
 * it (with NetBSD's warning), entries below a page are skipped, RESERVED
 * entries are reserved whole, and on an i386-sized space (MAXIOMEM
 * 0xffffffff) a segment ending at MAXPHYSMEM loses its last page.
 */
ATF_TC_WITHOUT_HEAD(boot_custom_memmap);
ATF_TC_BODY(boot_custom_memmap, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_event ev[8];
	bus_space_handle_t h;
	size_t i, n;

	h_config(&cfg);
	cfg.physmem = 17ULL << 20;
	cfg.iomem_max = 0xffffffff;
	cfg.nmemmap = 6;
	cfg.memmap[0] = (struct nbm_range){ 0, 16ULL << 20, NBM_MEM_RAM,
	    "low" };
	cfg.memmap[1] = (struct nbm_range){ 0x1000000, 0x10000,
	    NBM_MEM_ACPI, "acpi" };
	cfg.memmap[2] = (struct nbm_range){ 0x1010000, 0x800, NBM_MEM_NVS,
	    "tiny nvs" };
	cfg.memmap[3] = (struct nbm_range){ 0xe0000000, 0x10000000,
	    NBM_MEM_RESERVED, "pci-ecam" };
	cfg.memmap[4] = (struct nbm_range){ 0xfff00000, 0x100000,
	    NBM_MEM_RAM, "top" };
	cfg.memmap[5] = (struct nbm_range){ 0x2000000, 0x10000,
	    NBM_MEM_RESERVED, "fw" };
	m = boot_cfg(&cfg);
	ATF_CHECK_STREQ(printed(iomem_ex),
	    "extent `iomem' (0x0 - 0xffffffff), flags = 0x3\n"
	    "     0x0 - 0x9ffff\n"
	    "     0x100000 - 0xffffff\n"
	    "     0x1000000 - 0x100ffff\n"
	    "     0x2000000 - 0x200ffff\n"
	    "     0xe0000000 - 0xefffffff\n"
	    "     0xfff00000 - 0xffffefff\n");
	n = nbm_machine_events(m, 0, ev, 8);
	for (i = 0; i < n; i++)
		if (ev[i].ev_type == NBM_EV_WARNING)
			break;
	ATF_REQUIRE_MSG(i < n, "no warning event");
	ATF_CHECK_STREQ(ev[i].ev_subject, "iomem");
	ATF_CHECK_STREQ(ev[i].ev_text, "memory map entry 0x0/0x1000000/0x1 "
	    "overlaps the ISA hole");
	/* The hole, the tiny NVS entry and the last page are free. */
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_mem, 0xa0000, 0x60000, 0,
	    &h), 0);
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_mem, 0x1010000, 0x800, 0,
	    &h), 0);
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_mem, 0xfffff000, 0x1000, 0,
	    &h), 0);
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_mem, 0xffffe000, 0x1000, 0,
	    &h), EAGAIN);
	h_shutdown(m);
}

/*
 * x86_add_cluster's warning: a segment that cannot be reserved is
 * reported and skipped.
 */
ATF_TC_WITHOUT_HEAD(boot_cluster_warning);
ATF_TC_BODY(boot_cluster_warning, tc)
{
	struct nbm_machine *m = h_boot_enter();

	x86_bus_space_init();
	ATF_REQUIRE_EQ(extent_alloc_region(iomem_ex, 0x200000, 0x1000, 0), 0);
	h_print_reset();
	init_x86_clusters();
	ATF_CHECK_STREQ(h_printed(), "WARNING: CAN't ALLOCATE MEMORY SEGMENT "
	    "(0x100000/0x3f60000/0x1) FROM IOMEM EXTENT MAP!\n");
	ATF_CHECK_STREQ(printed(iomem_ex),
	    "extent `iomem' (0x0 - 0xffffffffffff), flags = 0x3\n"
	    "     0x0 - 0x9ffff\n"
	    "     0x200000 - 0x200fff\n"
	    "     0x4060000 - 0x406ffff\n"
	    "     0x4070000 - 0x407ffff\n");
	h_shutdown(m);
}

/* EAGAIN on RAM, firmware, legacy ports and other mappings. */
ATF_TC_WITHOUT_HEAD(map_overlap_eagain);
ATF_TC_BODY(map_overlap_eagain, tc)
{
	struct nbm_machine *m = h_boot_enter();
	bus_space_tag_t mem = x86_bus_space_mem, io = x86_bus_space_io;
	bus_space_handle_t h, h2;

	ATF_CHECK_EQ(bus_space_map(mem, 0x200000, 0x1000, 0, &h), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(mem, 0x9f000, 0x2000, 0, &h), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(mem, 0x4068000, 0x100, 0, &h), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(mem, 0xfee00000, 0x400, 0, &h), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(io, 0x60, 1, 0, &h), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(io, 0xcf0, 0x10, 0, &h), EAGAIN);

	ATF_REQUIRE_EQ(bus_space_map(mem, 0xfe000000, 0x1000, 0, &h), 0);
	ATF_CHECK_EQ(bus_space_map(mem, 0xfe000800, 0x1000, 0, &h2), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(mem, 0xfe000fff, 1, 0, &h2), EAGAIN);
	ATF_CHECK_EQ(bus_space_map(mem, 0xfe001000, 0x1000, 0, &h2), 0);
	bus_space_unmap(mem, h2, 0x1000);
	bus_space_unmap(mem, h, 0x1000);
	ATF_REQUIRE_EQ(bus_space_map(mem, 0xfe000800, 0x1000, 0, &h), 0);
	bus_space_unmap(mem, h, 0x1000);

	/* Outside the space: EINVAL without DIAGNOSTIC. */
	ATF_CHECK_EQ(bus_space_map(mem, 0x1000000000000ULL, 0x1000, 0, &h),
	    EINVAL);
	ATF_CHECK_EQ(bus_space_map(io, 0xfff8, 0x10, 0, &h), EINVAL);
	ATF_CHECK_EQ(bus_space_map(io, 0x300, 8, BUS_SPACE_MAP_LINEAR, &h),
	    EOPNOTSUPP);
	ATF_CHECK_STREQ(printed(iomem_ex), iomem_64m);
	ATF_CHECK_STREQ(printed(ioport_ex), ioport_default);
	h_shutdown(m);
}

/* I/O handles are port numbers; subregions are arithmetic. */
ATF_TC_WITHOUT_HEAD(io_handles);
ATF_TC_BODY(io_handles, tc)
{
	struct nbm_machine *m = h_boot_enter();
	bus_space_handle_t h, sh;

	ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_io, 0x3f8, 8, 0, &h), 0);
	ATF_CHECK_EQ(h, 0x3f8);
	ATF_CHECK_EQ(bus_space_subregion(x86_bus_space_io, h, 5, 1, &sh), 0);
	ATF_CHECK_EQ(sh, 0x3fd);
	ATF_CHECK(strstr(printed(ioport_ex), "     0x3f8 - 0x3ff\n") != NULL);
	bus_space_unmap(x86_bus_space_io, h, 8);
	ATF_CHECK_STREQ(printed(ioport_ex), ioport_default);
	h_shutdown(m);
}

/*
 * Memory inside the ISA hole is addressed through the window mapped at
 * boot: handles are fixed offsets into it, and it is writable memory.
 */
ATF_TC_WITHOUT_HEAD(isa_hole_window);
ATF_TC_BODY(isa_hole_window, tc)
{
	struct nbm_machine *m = h_boot_enter();
	bus_space_tag_t mem = x86_bus_space_mem;
	bus_space_handle_t vga, rom, all;
	paddr_t pa;

	ATF_REQUIRE_EQ(bus_space_map(mem, 0xb8000, 0x8000, 0, &vga), 0);
	ATF_REQUIRE_EQ(bus_space_map(mem, 0xc0000, 0x8000, 0, &rom), 0);
	ATF_CHECK_EQ(rom - vga, 0x8000);
	ATF_CHECK(nbm_kva_p(m, vga));
	ATF_REQUIRE(pmap_extract(pmap_kernel(), vga, &pa));
	ATF_CHECK_EQ(pa, 0xb8000);
	memset((void *)vga, 0x41, 0x8000);
	ATF_CHECK_EQ(((volatile uint8_t *)vga)[0x7fff], 0x41);
	ATF_CHECK_EQ(((volatile uint8_t *)rom)[0], 0);
	ATF_CHECK(strstr(printed(iomem_ex), "     0x0 - 0x9ffff\n"
	    "     0xb8000 - 0xbffff\n     0xc0000 - 0xc7fff\n") != NULL);
	bus_space_unmap(mem, vga, 0x8000);
	bus_space_unmap(mem, rom, 0x8000);
	/* The window stays mapped; the whole hole maps the same way. */
	ATF_REQUIRE_EQ(bus_space_map(mem, 0xa0000, 0x60000, 0, &all), 0);
	ATF_CHECK_EQ(vga - all, 0x18000);
	ATF_CHECK_EQ(((volatile uint8_t *)all)[0x18000], 0x41);
	bus_space_unmap(mem, all, 0x60000);
	ATF_CHECK_STREQ(printed(iomem_ex), iomem_64m);
	h_shutdown(m);
}

/*
 * Other memory gets fresh kernel VA plus the page offset of the bus
 * address; the pages behind it are zeroed host memory, and unmapping
 * returns the VA.
 */
ATF_TC_WITHOUT_HEAD(memory_window_fresh_va);
ATF_TC_BODY(memory_window_fresh_va, tc)
{
	struct nbm_machine *m = h_boot_enter();
	bus_space_tag_t mem = x86_bus_space_mem;
	bus_space_handle_t h, h2, sh;
	paddr_t pa;
	size_t i;

	ATF_REQUIRE_EQ(bus_space_map(mem, 0xfe001234, 0x100, 0, &h), 0);
	ATF_CHECK(nbm_kva_p(m, h));
	ATF_CHECK_EQ(h & PAGE_MASK, 0x234);
	ATF_REQUIRE(pmap_extract(pmap_kernel(), h, &pa));
	ATF_CHECK_EQ(pa, 0xfe001234);
	for (i = 0; i < 0x100; i++)
		ATF_CHECK_EQ(((volatile uint8_t *)h)[i], 0);
	memset((void *)h, 0xa5, 0x100);

	/* Four pages for 0x2020 bytes starting 0x10 before a page end. */
	ATF_REQUIRE_EQ(bus_space_map(mem, 0xfe100ff0, 0x2020,
	    BUS_SPACE_MAP_PREFETCHABLE, &h2), 0);
	ATF_CHECK_EQ(h2 & PAGE_MASK, 0xff0);
	ATF_CHECK(h2 < h || h2 >= h + 0x100);
	memset((void *)h2, 0x5a, 0x2020);
	ATF_CHECK(pmap_extract(pmap_kernel(), trunc_page(h2) + 3 * PAGE_SIZE,
	    &pa));
	ATF_CHECK_EQ(pa, 0xfe103000);
	ATF_CHECK_EQ(bus_space_subregion(mem, h2, 0x20, 4, &sh), 0);
	ATF_CHECK_EQ(sh, h2 + 0x20);
	ATF_CHECK_EQ(*(volatile uint32_t *)sh, 0x5a5a5a5a);

	bus_space_unmap(mem, h2, 0x2020);
	ATF_CHECK(!pmap_extract(pmap_kernel(), trunc_page(h2), &pa));
	bus_space_unmap(mem, h, 0x100);
	ATF_CHECK(!pmap_extract(pmap_kernel(), trunc_page(h), &pa));
	ATF_CHECK_STREQ(printed(iomem_ex), iomem_64m);
	h_shutdown(m);
}

/*
 * Unmapping must name exactly what was mapped: the extents do not
 * coalesce, so anything else is "region not found".
 */
struct unmaparg {
	bus_space_tag_t		ua_t;
	bus_space_handle_t	ua_h;
	bus_size_t		ua_size;
};

static void
do_unmap(void *arg)
{
	struct unmaparg *ua = arg;

	bus_space_unmap(ua->ua_t, ua->ua_h, ua->ua_size);
}

ATF_TC_WITHOUT_HEAD(unmap_mismatch_panics);
ATF_TC_BODY(unmap_mismatch_panics, tc)
{
	struct nbm_machine *m;
	struct unmaparg ua;
	bus_space_handle_t h;

	m = h_boot_enter();
	ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_io, 0x300, 0x10, 0, &h),
	    0);
	ua = (struct unmaparg){ x86_bus_space_io, h, 0x8 };
	h_print_reset();
	h_expect_panic(m, do_unmap, &ua, "extent_free: region not found");
	ATF_CHECK(strstr(h_printed(), "     0x300 - 0x30f\n"
	    "     0xcf8 - 0xcff\n"
	    "extent_free: start 0x300, end 0x307\n") != NULL);
	h_shutdown(m);

	m = h_boot_enter();
	ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_mem, 0xfe000000, 0x1000,
	    0, &h), 0);
	ua = (struct unmaparg){ x86_bus_space_mem, h + 0x10, 0x800 };
	h_print_reset();
	h_expect_panic(m, do_unmap, &ua, "extent_free: region not found");
	ATF_CHECK(strstr(h_printed(), "\nextent_free: start 0xfe000010, "
	    "end 0xfe00080f\n") != NULL);
	h_shutdown(m);

	/* A handle that maps nothing. */
	m = h_boot_enter();
	ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_mem, 0xfe000000, 0x1000,
	    0, &h), 0);
	bus_space_unmap(x86_bus_space_mem, h, 0x1000);
	ua = (struct unmaparg){ x86_bus_space_mem, h, 0x1000 };
	h_expect_panic(m, do_unmap, &ua,
	    "_x86_memio_unmap: wrong virtual address");
	h_shutdown(m);
}

/* bus_space_alloc takes the lowest fit (EX_FAST), not the best one. */
ATF_TC_WITHOUT_HEAD(alloc_first_fit);
ATF_TC_BODY(alloc_first_fit, tc)
{
	struct nbm_machine *m = h_boot_enter();
	bus_space_tag_t io = x86_bus_space_io, mem = x86_bus_space_mem;
	bus_space_handle_t h[4], hm;
	bus_addr_t a[4], am;
	paddr_t pa;

	ATF_REQUIRE_EQ(bus_space_alloc(io, 0x100, 0xfff, 0x10, 0x10, 0, 0,
	    &a[0], &h[0]), 0);
	ATF_CHECK_EQ(a[0], 0x100);
	ATF_CHECK_EQ(h[0], 0x100);
	ATF_REQUIRE_EQ(bus_space_alloc(io, 0x100, 0xfff, 0x10, 0x10, 0, 0,
	    &a[1], &h[1]), 0);
	ATF_CHECK_EQ(a[1], 0x110);
	/* Gaps 0x120-0x13f (0x20) and 0x150-0x15f (0x10, an exact fit). */
	ATF_REQUIRE_EQ(bus_space_map(io, 0x140, 0x10, 0, &h[2]), 0);
	ATF_REQUIRE_EQ(bus_space_map(io, 0x160, 0x10, 0, &h[3]), 0);
	ATF_REQUIRE_EQ(bus_space_alloc(io, 0x100, 0xfff, 0x10, 1, 0, 0,
	    &a[2], &h[2]), 0);
	ATF_CHECK_EQ(a[2], 0x120);
	/* Clamped to the extent; the whole space is searched. */
	ATF_REQUIRE_EQ(bus_space_alloc(io, 0, ~(bus_addr_t)0, 0x8, 0x8, 0, 0,
	    &a[3], &h[3]), 0);
	ATF_CHECK_EQ(a[3], 0x28);
	ATF_CHECK_EQ(bus_space_alloc(io, 0x100, 0x10f, 0x10, 1, 0, 0,
	    &am, &hm), EAGAIN);
	/* 0x134-0x13b would cross the line 0x138: moved onto it. */
	ATF_CHECK_EQ(bus_space_alloc(io, 0x134, 0xfff, 0x8, 1, 0x8, 0,
	    &am, &hm), 0);
	ATF_CHECK_EQ(am, 0x138);

	ATF_REQUIRE_EQ(bus_space_alloc(mem, 0xfe000000, 0xfeffffff, 0x2000,
	    0x1000, 0, 0, &am, &hm), 0);
	ATF_CHECK_EQ(am, 0xfe000000);
	ATF_CHECK(nbm_kva_p(m, hm));
	ATF_REQUIRE(pmap_extract(pmap_kernel(), hm + 0x1000, &pa));
	ATF_CHECK_EQ(pa, 0xfe001000);
	bus_space_free(mem, hm, 0x2000);
	ATF_CHECK_STREQ(printed(iomem_ex), iomem_64m);
	h_shutdown(m);
}

static void
do_bad_alloc(void *arg)
{
	bus_addr_t a;
	bus_space_handle_t h;

	(void)bus_space_alloc(x86_bus_space_io, 0x200, 0x200, 1, 1, 0, 0, &a,
	    &h);
}

ATF_TC_WITHOUT_HEAD(alloc_bad_range_panics);
ATF_TC_BODY(alloc_bad_range_panics, tc)
{
	struct nbm_machine *m = h_boot_enter();

	h_expect_panic(m, do_bad_alloc, NULL,
	    "x86_memio_alloc: bad region start/end");
	h_shutdown(m);
}

/*
 * Before x86_bus_space_mallocok() the extents live on their static
 * descriptors: the 17th I/O reservation fails with ENOMEM.  After it,
 * descriptors come from the pool.
 */
ATF_TC_WITHOUT_HEAD(descriptors_before_after_mallocok);
ATF_TC_BODY(descriptors_before_after_mallocok, tc)
{
	struct nbm_machine *m = h_boot_enter();
	bus_space_handle_t h;
	bus_addr_t port;

	/* Back to the state right after x86_bus_space_init(). */
	x86_bus_space_init();
	ATF_CHECK_STREQ(printed(ioport_ex),
	    "extent `ioport' (0x0 - 0xffff), flags = 0x3\n");
	for (port = 0x400; port < 0x410; port++)
		ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_io, port, 1, 0, &h),
		    0);
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_io, 0x410, 1, 0, &h),
	    ENOMEM);
	ATF_CHECK_EQ(bus_space_alloc(x86_bus_space_io, 0x500, 0x5ff, 1, 1, 0,
	    0, &port, &h), ENOMEM);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);

	x86_bus_space_mallocok();
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_io, 0x410, 1, 0, &h), 0);
	ATF_CHECK_EQ(bus_space_alloc(x86_bus_space_io, 0x500, 0x5ff, 1, 1, 0,
	    0, &port, &h), 0);
	ATF_CHECK_EQ(port, 0x500);
	ATF_CHECK_EQ(count_flagged(ioport_ex, ER_ALLOC), 2);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 2);
	bus_space_unmap(x86_bus_space_io, 0x410, 1);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	h_shutdown(m);
}

/*
 * A booted machine is past x86_bus_space_mallocok(): more I/O ranges than
 * static descriptors are fine, at boot and later.
 */
ATF_TC_WITHOUT_HEAD(ioport_config_beyond_static);
ATF_TC_BODY(ioport_config_beyond_static, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	bus_space_handle_t h;
	const struct extent_region *rp;
	size_t n = 0;
	u_int i;

	h_config(&cfg);
	cfg.nioport = 20;
	for (i = 0; i < cfg.nioport; i++) {
		cfg.ioport[i] = (struct nbm_range){ 0x1000 + 0x10 * i, 0x10,
		    0, "dev" };
	}
	m = boot_cfg(&cfg);
	LIST_FOREACH(rp, &ioport_ex->ex_regions, er_link)
		n++;
	ATF_CHECK_EQ(n, 20);
	ATF_CHECK_EQ(count_flagged(ioport_ex, ER_ALLOC), 4);
	ATF_CHECK_EQ(bus_space_map(x86_bus_space_io, 0x2000, 1, 0, &h), 0);
	ATF_CHECK_EQ(count_flagged(ioport_ex, ER_ALLOC), 5);
	h_shutdown(m);
}

/* DIAGNOSTIC machines panic on a range outside the space. */
static void
do_map_outside(void *arg)
{
	bus_space_handle_t h;

	(void)bus_space_map(x86_bus_space_io, 0xfff8, 0x10, 0, &h);
}

ATF_TC_WITHOUT_HEAD(diagnostic_outside_panics);
ATF_TC_BODY(diagnostic_outside_panics, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.options = NBM_OPT_DIAGNOSTIC;
	m = boot_cfg(&cfg);
	h_print_reset();
	h_expect_panic(m, do_map_outside, NULL,
	    "extent_alloc_region: region lies outside extent");
	ATF_CHECK_STREQ(h_printed(),
	    "extent_alloc_region: extent `ioport' (0x0 - 0xffff)\n"
	    "extent_alloc_region: start 0xfff8, end 0x10007\n");
	h_shutdown(m);
}

/* Several page sizes: windows follow the machine's PAGE_SIZE. */
ATF_TC_WITHOUT_HEAD(page_sizes);
ATF_TC_BODY(page_sizes, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	bus_space_handle_t h;
	size_t ps;

	for (ps = 4096; ps <= 65536; ps *= 4) {
		h_config(&cfg);
		cfg.page_size = ps;
		m = boot_cfg(&cfg);
		ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_mem, 0xfe000000 + 3,
		    0x10, 0, &h), 0);
		ATF_CHECK_EQ(h & (ps - 1), 3);
		*(volatile uint8_t *)h = 1;
		bus_space_unmap(x86_bus_space_mem, h, 0x10);
		ATF_REQUIRE_EQ(bus_space_map(x86_bus_space_mem, 0xd0000,
		    0x10000, 0, &h), 0);
		*(volatile uint8_t *)(h + 0xffff) = 1;
		bus_space_unmap(x86_bus_space_mem, h, 0x10000);
		h_shutdown(m);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, boot_reservations);
	ATF_TP_ADD_TC(tp, boot_custom_memmap);
	ATF_TP_ADD_TC(tp, boot_cluster_warning);
	ATF_TP_ADD_TC(tp, map_overlap_eagain);
	ATF_TP_ADD_TC(tp, io_handles);
	ATF_TP_ADD_TC(tp, isa_hole_window);
	ATF_TP_ADD_TC(tp, memory_window_fresh_va);
	ATF_TP_ADD_TC(tp, unmap_mismatch_panics);
	ATF_TP_ADD_TC(tp, alloc_first_fit);
	ATF_TP_ADD_TC(tp, alloc_bad_range_panics);
	ATF_TP_ADD_TC(tp, descriptors_before_after_mallocok);
	ATF_TP_ADD_TC(tp, ioport_config_beyond_static);
	ATF_TP_ADD_TC(tp, diagnostic_outside_panics);
	ATF_TP_ADD_TC(tp, page_sizes);
	return atf_no_error();
}
