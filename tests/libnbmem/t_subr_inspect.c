/*
 * t_subr_inspect: lookups by name and the maps behind the statistics
 * (subr_inspect.c, <nbmem/inspect.h>), on a CPU and as an observer.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

#include <nbmem/extent.h>
#include <nbmem/inspect.h>
#include <nbmem/vmem_impl.h>

ATF_TC_WITHOUT_HEAD(pool_lookup);
ATF_TC_BODY(pool_lookup, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct pool pp;

	ATF_CHECK(nbm_pool_lookup(m, "kmem-00064") != NULL);
	ATF_CHECK_STREQ(nbm_pool_lookup(m, "kmem-00064")->pr_wchan,
	    "kmem-00064");
	ATF_CHECK(nbm_pool_lookup(m, "nopool") == NULL);
	pool_init(&pp, 100, 0, 0, 0, "tpool", NULL, IPL_NONE);
	ATF_CHECK_EQ(nbm_pool_lookup(m, "tpool"), &pp);
	pool_destroy(&pp);
	ATF_CHECK(nbm_pool_lookup(m, "tpool") == NULL);
	h_shutdown(m);
}

/*
 * The segment map of an arena: each span followed by the segments that
 * tile it exactly, busy ones where the allocations are.
 */
ATF_TC_WITHOUT_HEAD(vmem_segmap);
ATF_TC_BODY(vmem_segmap, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_vmem_seg *sg;
	vmem_addr_t a, b;
	vmem_t *vm;
	size_t i, n, spanend = 0, next = 0, nbusy = 0;

	vm = vmem_create("tarena", 0x10000, 0x10000, 0x100, NULL, NULL, NULL,
	    0, VM_SLEEP, IPL_NONE);
	ATF_REQUIRE(vm != NULL);
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x300, 0, 0, 0, 0x10400, VMEM_ADDR_MAX,
	    VM_SLEEP | VM_BESTFIT, &a), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x100, VM_SLEEP | VM_BESTFIT, &b), 0);
	ATF_REQUIRE_EQ(nbm_vmem_segmap(m, "tarena", &sg, &n), 0);
	ATF_REQUIRE(n >= 4);
	ATF_CHECK_EQ(sg[0].vg_type, BT_TYPE_SPAN_STATIC);
	ATF_CHECK_EQ(sg[0].vg_start, 0x10000);
	ATF_CHECK_EQ(sg[0].vg_size, 0x10000);
	for (i = 0; i < n; i++) {
		if (sg[i].vg_type == BT_TYPE_SPAN ||
		    sg[i].vg_type == BT_TYPE_SPAN_STATIC) {
			ATF_CHECK_EQ(next, spanend);
			next = sg[i].vg_start;
			spanend = sg[i].vg_start + sg[i].vg_size;
			continue;
		}
		ATF_CHECK_EQ_MSG(sg[i].vg_start, next, "segment %zu at %#jx, "
		    "expected %#zx", i, (uintmax_t)sg[i].vg_start, next);
		next = sg[i].vg_start + sg[i].vg_size;
		if (sg[i].vg_type == BT_TYPE_BUSY) {
			ATF_CHECK(sg[i].vg_start == a || sg[i].vg_start == b);
			nbusy++;
		} else
			ATF_CHECK_EQ(sg[i].vg_type, BT_TYPE_FREE);
	}
	ATF_CHECK_EQ(next, spanend);
	ATF_CHECK_EQ(nbusy, 2);
	free(sg);
	ATF_CHECK_EQ(nbm_vmem_segmap(m, "noarena", &sg, &n), ENOENT);
	vmem_xfree(vm, a, 0x300);
	vmem_free(vm, b, 0x100);
	vmem_destroy(vm);
	ATF_CHECK_EQ(nbm_vmem_segmap(m, "tarena", &sg, &n), ENOENT);
	h_shutdown(m);
}

/* The regions of an extent, and extent_print by name. */
ATF_TC_WITHOUT_HEAD(extent_regions);
ATF_TC_BODY(extent_regions, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_extent_reg *r;
	struct extent *ex;
	size_t n;

	ex = extent_create("tex", 0, 0xfff, NULL, 0, EX_WAITOK);
	ATF_REQUIRE(ex != NULL);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x100, 0x10, EX_WAITOK), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x800, 0x20, EX_WAITOK), 0);
	ATF_REQUIRE_EQ(nbm_extent_regions(m, "tex", &r, &n), 0);
	ATF_REQUIRE_EQ(n, 2);
	ATF_CHECK_EQ(r[0].xr_start, 0x100);
	ATF_CHECK_EQ(r[0].xr_end, 0x10f);
	ATF_CHECK_EQ(r[1].xr_start, 0x800);
	ATF_CHECK_EQ(r[1].xr_end, 0x81f);
	free(r);
	h_print_reset();
	ATF_CHECK_EQ(nbm_extent_print_name(m, "tex"), 0);
	ATF_CHECK_STREQ(h_printed(), "extent `tex' (0x0 - 0xfff), flags = "
	    "0x0\n     0x100 - 0x10f\n     0x800 - 0x81f\n");
	ATF_CHECK_EQ(nbm_extent_regions(m, "noext", &r, &n), ENOENT);
	ATF_CHECK_EQ(nbm_extent_print_name(m, "noext"), ENOENT);
	extent_destroy(ex);
	h_shutdown(m);
}

struct observe_arg {
	struct nbm_machine	*oa_m;
	struct pool		*oa_pool;
	size_t			 oa_nsegs;
	size_t			 oa_nregs;
	int			 oa_error;
};

static void
observe_fn(void *arg)
{
	struct observe_arg *oa = arg;
	struct nbm_vmem_seg *sg;
	struct nbm_extent_reg *r;

	oa->oa_pool = nbm_pool_lookup(oa->oa_m, "kmem-00064");
	oa->oa_error = nbm_vmem_segmap(oa->oa_m, "kmem", &sg, &oa->oa_nsegs);
	if (oa->oa_error == 0) {
		free(sg);
		oa->oa_error = nbm_extent_regions(oa->oa_m, "ioport", &r,
		    &oa->oa_nregs);
		free(r);
	}
}

/* From a thread on no CPU, through nbm_machine_observe. */
ATF_TC_WITHOUT_HEAD(observer);
ATF_TC_BODY(observer, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct observe_arg oa;

	h_config(&cfg);
	m = h_boot(&cfg);
	memset(&oa, 0, sizeof(oa));
	oa.oa_m = m;
	ATF_REQUIRE_EQ(nbm_machine_observe(m, observe_fn, &oa), 0);
	ATF_CHECK(oa.oa_pool != NULL);
	ATF_CHECK_EQ(oa.oa_error, 0);
	ATF_CHECK(oa.oa_nsegs >= 2);
	ATF_CHECK_EQ(oa.oa_nregs, 11);	/* the legacy port reservations */
	h_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, pool_lookup);
	ATF_TP_ADD_TC(tp, vmem_segmap);
	ATF_TP_ADD_TC(tp, extent_regions);
	ATF_TP_ADD_TC(tp, observer);
	return atf_no_error();
}
