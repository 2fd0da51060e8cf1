/*
 * t_subr_extent: extent(9) (subr_extent.c).
 *
 * The scenario cases replay the situations of NetBSD's
 * tests/kernel/t_extent.c with its expected maps (a machine without
 * DIAGNOSTIC, as t_extent is built), then pin down each behaviour of spec
 * 2.4-2.8 on its own: best fit by trailing waste against EX_FAST, the
 * coalescing and non-coalescing region lists, boundary lines from ex_start
 * or from 0, the boundary fix-up that leaves a result unaligned, the return
 * codes, fixed storage and the "extent" pool, the extent_print format, the
 * DIAGNOSTIC panics, threads waiting for space or descriptors, and a
 * randomized run checked against an interval model.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nbmem/lwp.h>

#include "h_nbm.h"
#include "nbm_impl.h"

#define ULONG_TOP	(~0UL)

/*
 * Boot a machine with the given options and enter cpu0.
 */
static struct nbm_machine *
boot_opts(u_int options)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.options = options;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	return m;
}

/* The region list as "0x<start> - 0x<end>\n" lines. */
static const char *
regions(const struct extent *ex)
{
	static char buf[8192];
	const struct extent_region *rp;
	size_t n = 0;

	buf[0] = '\0';
	LIST_FOREACH(rp, &ex->ex_regions, er_link)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n,
		    "0x%lx - 0x%lx\n", rp->er_start, rp->er_end);
	return buf;
}

static size_t
nregions(const struct extent *ex)
{
	const struct extent_region *rp;
	size_t n = 0;

	LIST_FOREACH(rp, &ex->ex_regions, er_link)
		n++;
	return n;
}

static size_t
nfree_descriptors(const struct extent *ex)
{
	const struct extent_fixed *fex = (const struct extent_fixed *)ex;
	const struct extent_region *rp;
	size_t n = 0;

	LIST_FOREACH(rp, &fex->fex_freelist, er_link)
		n++;
	return n;
}

/* extent_print's output, captured through the print hook. */
static const char *
printed(struct extent *ex)
{

	h_print_reset();
	extent_print(ex);
	return h_printed();
}

/*
 * The t_extent scenarios as tables: each runs on a fresh extent of a
 * machine without DIAGNOSTIC and ends with the expected region list.
 */
#define XOP_END		0
#define XOP_REGION	1	/* extent_alloc_region(a, size) */
#define XOP_SUB		2	/* extent_alloc_subregion1(a, b, size, ...) */
#define XOP_FREE	3	/* extent_free(a, size) */

struct xop {
	int	xo_op;
	u_long	xo_a, xo_b, xo_size, xo_align, xo_boundary;
	int	xo_ret;		/* expected return */
	u_long	xo_res;		/* expected result of XOP_SUB */
};

struct xcase {
	const char	*xc_name;
	u_long		 xc_start, xc_end;
	int		 xc_flags;	/* extent_create flags */
	int		 xc_exflags;	/* expected ex_flags */
	struct xop	 xc_ops[8];
	const char	*xc_map;	/* expected region list */
	const char	*xc_map2;	/* after xc_ops2, or NULL */
	struct xop	 xc_ops2[4];
	const char	*xc_map3;	/* after xc_ops3, or NULL */
	struct xop	 xc_ops3[4];
};

static void
run_ops(struct extent *ex, const struct xop *op)
{
	u_long res;
	int ret;

	for (; op->xo_op != XOP_END; op++) {
		res = 0xdeadbeef;
		switch (op->xo_op) {
		case XOP_REGION:
			ret = extent_alloc_region(ex, op->xo_a, op->xo_size, 0);
			break;
		case XOP_SUB:
			ret = extent_alloc_subregion1(ex, op->xo_a, op->xo_b,
			    op->xo_size, op->xo_align, 0, op->xo_boundary, 0,
			    &res);
			break;
		default:
			ret = extent_free(ex, op->xo_a, op->xo_size, 0);
			break;
		}
		ATF_CHECK_EQ_MSG(ret, op->xo_ret, "op %d 0x%lx 0x%lx 0x%lx: "
		    "returned %d, expected %d", op->xo_op, op->xo_a, op->xo_b,
		    op->xo_size, ret, op->xo_ret);
		if (op->xo_op == XOP_SUB && op->xo_ret == 0)
			ATF_CHECK_EQ_MSG(res, op->xo_res, "subregion "
			    "0x%lx-0x%lx size 0x%lx: result 0x%lx, expected "
			    "0x%lx", op->xo_a, op->xo_b, op->xo_size, res,
			    op->xo_res);
	}
}

static void
run_case(const struct xcase *xc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;

	ex = extent_create(xc->xc_name, xc->xc_start, xc->xc_end, NULL, 0,
	    xc->xc_flags);
	ATF_REQUIRE(ex != NULL);
	run_ops(ex, xc->xc_ops);
	ATF_CHECK_STREQ(ex->ex_name, xc->xc_name);
	ATF_CHECK_EQ(ex->ex_start, xc->xc_start);
	ATF_CHECK_EQ(ex->ex_end, xc->xc_end);
	ATF_CHECK_EQ(ex->ex_flags, xc->xc_exflags);
	ATF_CHECK_STREQ(regions(ex), xc->xc_map);
	if (xc->xc_map2 != NULL) {
		run_ops(ex, xc->xc_ops2);
		ATF_CHECK_STREQ(regions(ex), xc->xc_map2);
	}
	if (xc->xc_map3 != NULL) {
		run_ops(ex, xc->xc_ops3);
		ATF_CHECK_STREQ(regions(ex), xc->xc_map3);
	}
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	h_shutdown(m);
}

#define R(a, s)			{ XOP_REGION, (a), 0, (s), 0, 0, 0, 0 }
#define S(a, b, s, al, bd, r, x)					\
	{ XOP_SUB, (a), (b), (s), (al), (bd), (r), (x) }
#define F(a, s)			{ XOP_FREE, (a), 0, (s), 0, 0, 0, 0 }
#define END			{ XOP_END, 0, 0, 0, 0, 0, 0, 0 }
#define NA			EX_NOALIGN
#define NB			EX_NOBOUNDARY

static const struct xcase xcases[] = {
	{	/* coalesce */
		"test1", 0, 0x4f, 0, 0x0,
		{ R(0x00, 0x10), R(0x20, 0x10), R(0x40, 0x10), R(0x10, 0x10),
		  S(0, 0x4f, 0x10, NA, NB, 0, 0x30), END },
		"0x0 - 0x4f\n", NULL, { END }, NULL, { END },
	},
	/* PR kern/7539: subend beyond ex_end is searched as given. */
	{	/* subregion1 */
		"test2", 0, 0x2f, EX_NOCOALESCE, 0x2,
		{ R(0x00, 0x10), S(0x20, 0x30, 0x10, NA, NB, 0, 0x20), END },
		"0x0 - 0xf\n0x20 - 0x2f\n", NULL, { END }, NULL, { END },
	},
	{	/* subregion2 */
		"test3", 0, 0x3f, EX_NOCOALESCE, 0x2,
		{ R(0x00, 0x20), R(0x30, 0x10),
		  S(0x10, 0x3f, 0x10, NA, NB, 0, 0x20), END },
		"0x0 - 0x1f\n0x20 - 0x2f\n0x30 - 0x3f\n", NULL, { END },
		NULL, { END },
	},
	{	/* bound1 */
		"test4", 0xf0000000, 0xffffffff, 0, 0x0,
		{ R(0xf1000000, 0x1),
		  S(0xf0000000, 0xffffffff, 0x1, NA, 0x20000000, 0,
		    0xf0000000), END },
		"0xf0000000 - 0xf0000000\n0xf1000000 - 0xf1000000\n",
		NULL, { END }, NULL, { END },
	},
	{	/* bound2 */
		"test5", 0xf0000000, 0xffffffff, 0, 0x0,
		{ S(0xf0000000, 0xffffffff, 0x1, NA, 0x20000000, 0,
		    0xf0000000), END },
		"0xf0000000 - 0xf0000000\n", NULL, { END }, NULL, { END },
	},
	{	/* bound3 */
		"test6", 0, 11, 0, 0x0,
		{ S(0, 11, 8, NA, 8, 0, 0), S(0, 11, 2, NA, 8, 0, 0x8),
		  S(0, 11, 2, NA, 8, 0, 0xa), END },
		"0x0 - 0xb\n", NULL, { END }, NULL, { END },
	},
	{	/* bound4 */
		"test7", 0, 11, 0, 0x0,
		{ S(0, 11, 7, NA, 8, 0, 0), S(0, 11, 4, NA, 8, 0, 8), END },
		"0x0 - 0x6\n0x8 - 0xb\n", NULL, { END }, NULL, { END },
	},
	{	/* subregion3 */
		"test8", 0, 0x4f, EX_NOCOALESCE, 0x2,
		{ R(0x30, 0x10), S(0, 0xf, 0x10, NA, NB, 0, 0),
		  S(0, 0xf, 0x10, NA, NB, EAGAIN, 0), END },
		"0x0 - 0xf\n0x30 - 0x3f\n", NULL, { END }, NULL, { END },
	},
	{	/* bound5 */
		"test9", 0, 0x4f, 0, 0x0,
		{ S(0, 0x10, 4, NA, 0, 0, 0), S(0xd, 0x20, 2, NA, 0, 0, 0xd),
		  S(0, 0x4f, 8, NA, 8, 0, 0x10), END },
		"0x0 - 0x3\n0xd - 0xe\n0x10 - 0x17\n", NULL, { END },
		NULL, { END },
	},
	/*
	 * EX_BOUNDZERO given to extent_create has no effect: the lines
	 * count from ex_start 0xc0002000, and the last allocation is moved
	 * to the line 0xc0022000, which is not 0x10000-aligned.
	 */
	{	/* free */
		"test10", 0xc0002000, 0xffffe000, EX_BOUNDZERO, 0x0,
		{ S(0xc0002000, 0xffffe000, 0x2000, 0x10000, 0x10000, 0,
		    0xc0010000),
		  S(0xc0002000, 0xffffe000, 0x2000, 0x10000, 0x10000, 0,
		    0xc0020000), END },
		"0xc0010000 - 0xc0011fff\n0xc0020000 - 0xc0021fff\n",
		"0xc0010000 - 0xc0011fff\n",
		{ F(0xc0020000, 0x2000), END },
		"0xc0010000 - 0xc0011fff\n0xc0022000 - 0xc0031fff\n",
		{ S(0xc0002000, 0xffffe000, 0x10000, 0x10000, 0x10000, 0,
		    0xc0022000), END },
	},
	{	/* subregion4 */
		"test11", 0x10, 0x20, EX_NOCOALESCE, 0x2,
		{ S(0x10, 0x13, 0x4, NA, NB, 0, 0x10),
		  S(0x1e, 0x1f, 0x2, NA, NB, 0, 0x1e),
		  S(0x20, 0x20, 0x1, NA, NB, 0, 0x20),
		  S(0x20, 0x20, 0x1, NA, NB, EAGAIN, 0),
		  S(0x10, 0x20, 0x1, NA, NB, 0, 0x14), END },
		"0x10 - 0x13\n0x14 - 0x14\n0x1e - 0x1f\n0x20 - 0x20\n",
		NULL, { END }, NULL, { END },
	},
};

#define XCASE_TC(name, i)						\
ATF_TC_WITHOUT_HEAD(name);						\
ATF_TC_BODY(name, tc)							\
{									\
									\
	run_case(&xcases[i]);						\
}

XCASE_TC(t_extent_coalesce, 0)
XCASE_TC(t_extent_subregion1, 1)
XCASE_TC(t_extent_subregion2, 2)
XCASE_TC(t_extent_bound1, 3)
XCASE_TC(t_extent_bound2, 4)
XCASE_TC(t_extent_bound3, 5)
XCASE_TC(t_extent_bound4, 6)
XCASE_TC(t_extent_subregion3, 7)
XCASE_TC(t_extent_bound5, 8)
XCASE_TC(t_extent_free, 9)
XCASE_TC(t_extent_subregion4, 10)

/*
 * NetBSD's flag values, and EXTENT_FIXED_STORAGE_SIZE(n) giving exactly n
 * descriptors.
 */
ATF_TC_WITHOUT_HEAD(flags_and_values);
ATF_TC_BODY(flags_and_values, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(5) / sizeof(long)];
	struct extent *ex;

	ATF_CHECK_EQ(EXF_FIXED, 0x1);
	ATF_CHECK_EQ(EXF_NOCOALESCE, 0x2);
	ATF_CHECK_EQ(EXF_EARLY, 0x4);
	ATF_CHECK_STREQ(EXF_BITS, "\20\3EARLY\2NOCOALESCE\1FIXED");
	ATF_CHECK_EQ(EX_NOWAIT, 0x00);
	ATF_CHECK_EQ(EX_WAITOK, 0x01);
	ATF_CHECK_EQ(EX_FAST, 0x02);
	ATF_CHECK_EQ(EX_CATCH, 0x04);
	ATF_CHECK_EQ(EX_NOCOALESCE, 0x08);
	ATF_CHECK_EQ(EX_MALLOCOK, 0x10);
	ATF_CHECK_EQ(EX_WAITSPACE, 0x20);
	ATF_CHECK_EQ(EX_BOUNDZERO, 0x40);
	ATF_CHECK_EQ(EX_EARLY, 0x80);
	ATF_CHECK_EQ(EX_NOALIGN, 1);
	ATF_CHECK_EQ(EX_NOBOUNDARY, 0);
	ATF_CHECK_EQ(ER_ALLOC, 0x01);
	ATF_CHECK_EQ(EXTENT_FIXED_STORAGE_SIZE(5),
	    ALIGN(sizeof(struct extent_fixed)) +
	    5 * ALIGN(sizeof(struct extent_region)));

	ex = extent_create("fixed", 0, 0xff, storage, sizeof(storage),
	    EX_NOWAIT);
	ATF_REQUIRE(ex == (struct extent *)(void *)storage);
	ATF_CHECK_EQ(ex->ex_flags, EXF_FIXED);
	ATF_CHECK_EQ(nfree_descriptors(ex), 5);
	ATF_CHECK(((struct extent_fixed *)ex)->fex_storage == storage);
	ATF_CHECK_EQ(((struct extent_fixed *)ex)->fex_storagesize,
	    sizeof(storage));
	extent_destroy(ex);

	ex = extent_create("flags", 0, 0xff, storage, sizeof(storage),
	    EX_NOCOALESCE | EX_EARLY | EX_BOUNDZERO | EX_FAST | EX_MALLOCOK);
	ATF_CHECK_EQ(ex->ex_flags, EXF_FIXED | EXF_NOCOALESCE | EXF_EARLY);
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * Best fit by least trailing waste, exact fit taken at once, ties to the
 * lower address; EX_FAST takes the lowest gap that fits.
 */
ATF_TC_WITHOUT_HEAD(best_fit_vs_fast);
ATF_TC_BODY(best_fit_vs_fast, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	/* Gaps: 0x10-0x2f (32), 0x40-0x47 (8), 0x50-0x5b (12), 0x60-0xff. */
	ex = extent_create("fit", 0, 0xff, NULL, 0, EX_NOCOALESCE);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x30, 0x10, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x48, 0x08, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x5c, 0x04, 0), 0);

	/* Size 6: waste 26, 2, 6, 154: the 8-unit gap. */
	ATF_CHECK_EQ(extent_alloc(ex, 6, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x40);
	ATF_CHECK_EQ(extent_free(ex, 0x40, 6, 0), 0);
	/* EX_FAST: the first gap. */
	ATF_CHECK_EQ(extent_alloc(ex, 6, EX_NOALIGN, 0, EX_FAST, &r), 0);
	ATF_CHECK_EQ(r, 0x10);
	ATF_CHECK_EQ(extent_free(ex, 0x10, 6, 0), 0);
	/* Size 12: exact fit in the third gap, though the first fits. */
	ATF_CHECK_EQ(extent_alloc(ex, 12, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x50);
	ATF_CHECK_EQ(extent_free(ex, 0x50, 12, 0), 0);
	/* Size 9: waste 23 and 3; the 8-unit gap is too small. */
	ATF_CHECK_EQ(extent_alloc(ex, 9, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x50);
	extent_destroy(ex);

	/* Two gaps of the same size: the lower one wins the tie. */
	ex = extent_create("tie", 0, 0x3f, NULL, 0, 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x08, 0x08, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x18, 0x08, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x28, 0x18, 0), 0);
	ATF_CHECK_EQ(extent_alloc(ex, 4, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x0);
	ATF_CHECK_EQ(extent_alloc(ex, 4, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x4);	/* exact fit of the rest of that gap */
	ATF_CHECK_EQ(extent_alloc(ex, 4, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x10);
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	h_shutdown(m);
}

/*
 * The waste of the last gap counts up to the start of the first region
 * beyond subend (exend), one more than the free space there: a tail that
 * fills its gap exactly is not taken at once and loses a tie with an
 * earlier gap.  The same request with subend past that region finds the
 * exact fit before it.
 */
ATF_TC_WITHOUT_HEAD(best_fit_tail_waste);
ATF_TC_BODY(best_fit_tail_waste, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("tail", 0, 0xff, NULL, 0, EX_NOCOALESCE);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x15, 0x0b, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x24, 0xdc, 0), 0);
	/* Gaps 0x10-0x14 (waste 1 for size 4) and 0x20-0x23 (exact). */
	ATF_CHECK_EQ(extent_alloc_subregion(ex, 0, 0x23, 4, EX_NOALIGN, 0,
	    0, &r), 0);
	ATF_CHECK_EQ(r, 0x10);
	ATF_CHECK_EQ(extent_free(ex, 0x10, 4, 0), 0);
	ATF_CHECK_EQ(extent_alloc_subregion(ex, 0, 0x30, 4, EX_NOALIGN, 0,
	    0, &r), 0);
	ATF_CHECK_EQ(r, 0x20);
	extent_destroy(ex);
	h_shutdown(m);
}

/* Alignment and skew: the result is congruent to skew modulo alignment. */
ATF_TC_WITHOUT_HEAD(alignment_and_skew);
ATF_TC_BODY(alignment_and_skew, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("align", 0x1003, 0xffff, NULL, 0, 0);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, 0x100, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x1100);
	ATF_CHECK_EQ(extent_alloc1(ex, 0x10, 0x100, 0x20, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x1020);
	ATF_CHECK_EQ(extent_alloc1(ex, 0x10, 0x100, 0x20, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x1120);
	/* Past a region, the candidate is aligned again. */
	ATF_CHECK_EQ(extent_alloc_subregion1(ex, 0x1100, 0xffff, 0x8, 0x40,
	    0x4, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x1144);
	ATF_CHECK_STREQ(regions(ex), "0x1020 - 0x102f\n0x1100 - 0x110f\n"
	    "0x1120 - 0x112f\n0x1144 - 0x114b\n");
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * Boundary lines lie at ex_start + k * boundary; EX_BOUNDZERO on the
 * allocation counts them from 0; on extent_create it does nothing.
 */
ATF_TC_WITHOUT_HEAD(boundary_from_ex_start_or_zero);
ATF_TC_BODY(boundary_from_ex_start_or_zero, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;
	int cflags;

	for (cflags = 0; cflags <= EX_BOUNDZERO; cflags += EX_BOUNDZERO) {
		ex = extent_create("bound", 0x10, 0xff, NULL, 0, cflags);
		ATF_CHECK_EQ(ex->ex_flags, 0);
		ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x10, 0x20, 0), 0);
		/* Lines 0x50, 0x90, ...: 0x30-0x4f does not cross. */
		ATF_CHECK_EQ(extent_alloc(ex, 0x20, EX_NOALIGN, 0x40, 0, &r),
		    0);
		ATF_CHECK_EQ(r, 0x30);
		ATF_CHECK_EQ(extent_free(ex, 0x30, 0x20, 0), 0);
		/* Lines 0x40, 0x80, ...: moved to the line 0x40. */
		ATF_CHECK_EQ(extent_alloc(ex, 0x20, EX_NOALIGN, 0x40,
		    EX_BOUNDZERO, &r), 0);
		ATF_CHECK_EQ(r, 0x40);
		extent_destroy(ex);
	}
	h_shutdown(m);
}

/*
 * A candidate that crosses a line is moved onto the line and not aligned
 * again: the result 0x2100 is not 0x1000-aligned.  Counting lines from 0,
 * the aligned candidate does not cross.
 */
ATF_TC_WITHOUT_HEAD(boundary_fixup_not_aligned);
ATF_TC_BODY(boundary_fixup_not_aligned, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("fixup", 0x1100, 0xffff, NULL, 0, 0);
	/* Aligned candidate 0x2000-0x21ff crosses the line 0x2100. */
	ATF_CHECK_EQ(extent_alloc(ex, 0x200, 0x1000, 0x800, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x2100);
	ATF_CHECK((r & 0xfff) != 0);
	ATF_CHECK_EQ(extent_free(ex, r, 0x200, 0), 0);
	ATF_CHECK_EQ(extent_alloc(ex, 0x200, 0x1000, 0x800, EX_BOUNDZERO,
	    &r), 0);
	ATF_CHECK_EQ(r, 0x2000);
	/*
	 * After the move the candidate must still fit before the next
	 * region; here it does not, and the search goes on past it.
	 */
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x3200, 0x100, 0), 0);
	ATF_CHECK_EQ(extent_alloc_subregion(ex, 0x3000, 0xffff, 0x200,
	    0x1000, 0x800, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x4100);
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * At the top of the 64-bit space: line arithmetic that wraps means "no
 * line", and the search ends at a region reaching ~0UL.
 */
ATF_TC_WITHOUT_HEAD(top_of_address_space);
ATF_TC_BODY(top_of_address_space, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;
	int i;

	ex = extent_create("top", ULONG_TOP - 0xfff, ULONG_TOP, NULL, 0, 0);
	for (i = 0; i < 16; i++) {
		ATF_CHECK_EQ(extent_alloc(ex, 0x100, 0x100, 0x1000, EX_FAST,
		    &r), 0);
		ATF_CHECK_EQ(r, ULONG_TOP - 0xfff + (u_long)i * 0x100);
	}
	ATF_CHECK_STREQ(regions(ex),
	    "0xfffffffffffff000 - 0xffffffffffffffff\n");
	ATF_CHECK_EQ(extent_alloc(ex, 1, EX_NOALIGN, 0, 0, &r), EAGAIN);
	ATF_CHECK_EQ(extent_free(ex, ULONG_TOP - 0xff, 0x100, 0), 0);
	ATF_CHECK_EQ(extent_alloc(ex, 0x80, EX_NOALIGN, 0x100, 0, &r), 0);
	ATF_CHECK_EQ(r, ULONG_TOP - 0xff);
	ATF_CHECK_EQ(extent_alloc_region(ex, ULONG_TOP, 1, 0), 0);
	ATF_CHECK_STREQ(regions(ex), "0xfffffffffffff000 - "
	    "0xffffffffffffff7f\n0xffffffffffffffff - 0xffffffffffffffff\n");
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * Coalescing extents merge touching regions and free any part of one;
 * EX_NOCOALESCE keeps every allocation on its own.
 */
ATF_TC_WITHOUT_HEAD(coalesce_vs_nocoalesce);
ATF_TC_BODY(coalesce_vs_nocoalesce, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("co", 0, 0xff, NULL, 0, 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x20, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), 0);  /* down */
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x30, 0x10, 0), 0);  /* up */
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x50, 0x10, 0), 0);
	ATF_CHECK_EQ(nregions(ex), 2);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 2);
	ATF_CHECK_EQ(extent_alloc_subregion(ex, 0x20, 0xff, 0x10, EX_NOALIGN,
	    0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x40);	/* exact fit; both sides merge */
	ATF_CHECK_STREQ(regions(ex), "0x10 - 0x5f\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	/* Partial frees: head, tail, middle (a split). */
	ATF_CHECK_EQ(extent_free(ex, 0x10, 0x8, 0), 0);
	ATF_CHECK_EQ(extent_free(ex, 0x58, 0x8, 0), 0);
	ATF_CHECK_EQ(extent_free(ex, 0x30, 0x4, 0), 0);
	ATF_CHECK_STREQ(regions(ex), "0x18 - 0x2f\n0x34 - 0x57\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 2);
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);

	ex = extent_create("noco", 0, 0xff, NULL, 0, EX_NOCOALESCE);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x20, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x30, 0x10, 0), 0);
	ATF_CHECK_STREQ(regions(ex), "0x10 - 0x1f\n0x20 - 0x2f\n"
	    "0x30 - 0x3f\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 3);
	ATF_CHECK_EQ(extent_free(ex, 0x20, 0x10, 0), 0);
	ATF_CHECK_STREQ(regions(ex), "0x10 - 0x1f\n0x30 - 0x3f\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 2);
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * Where the memory comes from (spec 2.3, 2.6): descriptors are items of
 * the "extent" pool (expool), the struct extent of extent_create without
 * storage a kmem allocation; both show in the pool statistics.
 */
static bool
pool_record(struct nbm_machine *m, const char *wchan, struct pool_sysctl *rec)
{
	static struct pool_sysctl ps[512];
	size_t i, n;

	n = nbm_pool_sysctl(m, ps, __arraycount(ps));
	ATF_REQUIRE(n <= __arraycount(ps));
	for (i = 0; i < n; i++) {
		if (strcmp(ps[i].pr_wchan, wchan) == 0) {
			*rec = ps[i];
			return true;
		}
	}
	return false;
}

ATF_TC_WITHOUT_HEAD(expool_and_kmem);
ATF_TC_BODY(expool_and_kmem, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct pool_sysctl ep0, ep1;
	struct extent *ex;
	const char *s;
	char name[16];

	/* expool exists from boot, before any extent needs it. */
	ATF_REQUIRE(pool_record(m, "extent", &ep0));
	ATF_CHECK_EQ(ep0.pr_size, ALIGN(sizeof(struct extent_region)));
	ATF_CHECK_EQ(ep0.pr_nout, nbm_extent_pool_nout(m));
	/* A second extent_init changes nothing. */
	extent_init();
	ATF_REQUIRE(pool_record(m, "extent", &ep1));
	ATF_CHECK_EQ(ep1.pr_nget, ep0.pr_nget);

	ex = extent_create("kx", 0, 0xffff, NULL, 0, EX_WAITOK);
	ATF_REQUIRE(ex != NULL);
	h_print_reset();
	pool_whatis((uintptr_t)ex, nbm_print_pr);
	s = strstr(h_printed(), "in POOL 'kmem-");
	ATF_REQUIRE_MSG(s != NULL, "%s", h_printed());
	ATF_CHECK(strstr(h_printed(), "(allocated)") != NULL);
	ATF_REQUIRE(sscanf(s + strlen("in POOL '"), "%15[^']", name) == 1);

	/* Each region of a non-fixed extent is an expool item. */
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x100, 0x10, EX_NOWAIT), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x200, 0x10, EX_WAITOK), 0);
	ATF_REQUIRE(pool_record(m, "extent", &ep1));
	ATF_CHECK_EQ(ep1.pr_nget - ep0.pr_nget, 2);
	ATF_CHECK_EQ(ep1.pr_nout - ep0.pr_nout, 2);
	ATF_CHECK_EQ(ep1.pr_nout, nbm_extent_pool_nout(m));
	h_print_reset();
	pool_whatis((uintptr_t)LIST_FIRST(&ex->ex_regions), nbm_print_pr);
	ATF_CHECK_MSG(strstr(h_printed(), "in POOL 'extent' (allocated)") !=
	    NULL, "%s", h_printed());

	/* Destroying gives the descriptors and the structure back. */
	extent_destroy(ex);
	ATF_REQUIRE(pool_record(m, "extent", &ep1));
	ATF_CHECK_EQ(ep1.pr_nout, ep0.pr_nout);
	ATF_CHECK_EQ(ep1.pr_nput - ep0.pr_nput, 2);
	h_print_reset();
	pool_whatis((uintptr_t)ex, nbm_print_pr);
	ATF_CHECK_MSG(strstr(h_printed(), name) != NULL &&
	    strstr(h_printed(), "(cached by CPU 0)") != NULL, "%s",
	    h_printed());
	h_shutdown(m);
}

struct freearg {
	struct extent	*fa_ex;
	u_long		 fa_start, fa_size;
};

static void
do_free(void *arg)
{
	struct freearg *fa = arg;

	(void)extent_free(fa->fa_ex, fa->fa_start, fa->fa_size, 0);
}

/* On an EX_NOCOALESCE extent a part of a region is "not found". */
ATF_TC_WITHOUT_HEAD(nocoalesce_partial_free_panics);
ATF_TC_BODY(nocoalesce_partial_free_panics, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct freearg fa;
	struct extent *ex;

	ex = extent_create("noco", 0, 0xff, NULL, 0, EX_NOCOALESCE);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x20, 0x20, 0), 0);
	fa = (struct freearg){ ex, 0x20, 0x10 };
	h_print_reset();
	h_expect_panic(m, do_free, &fa, "extent_free: region not found");
	ATF_CHECK_STREQ(h_panicmsg(), "extent_free: region not found");
	ATF_CHECK_STREQ(h_printed(),
	    "extent `noco' (0x0 - 0xff), flags = 0x2\n"
	    "     0x20 - 0x3f\n"
	    "extent_free: start 0x20, end 0x2f\n");
	h_shutdown(m);
}

/* extent_print, with the flags of t_extent (0x0, 0x2) and more. */
ATF_TC_WITHOUT_HEAD(print_format);
ATF_TC_BODY(print_format, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(4) / sizeof(long)];
	struct extent *ex;
	u_long r;

	ex = extent_create("test3", 0, 0x3f, NULL, 0, EX_NOCOALESCE);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x00, 0x20, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x30, 0x10, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_subregion(ex, 0x10, 0x3f, 0x10,
	    EX_NOALIGN, EX_NOBOUNDARY, 0, &r), 0);
	ATF_CHECK_STREQ(printed(ex),
	    "extent `test3' (0x0 - 0x3f), flags = 0x2\n"
	    "     0x0 - 0x1f\n"
	    "     0x20 - 0x2f\n"
	    "     0x30 - 0x3f\n");
	extent_destroy(ex);

	ex = extent_create("test1", 0, 0x4f, NULL, 0, 0);
	ATF_CHECK_STREQ(printed(ex), "extent `test1' (0x0 - 0x4f), "
	    "flags = 0x0\n");
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x0, 0x50, 0), 0);
	ATF_CHECK_STREQ(printed(ex), "extent `test1' (0x0 - 0x4f), "
	    "flags = 0x0\n     0x0 - 0x4f\n");
	extent_destroy(ex);

	ex = extent_create("ABCdef", 0xfeed0000, ULONG_TOP, storage,
	    sizeof(storage), EX_NOCOALESCE | EX_EARLY);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, ULONG_TOP, 1, 0), 0);
	ATF_CHECK_STREQ(printed(ex), "extent `ABCdef' (0xfeed0000 - "
	    "0xffffffffffffffff), flags = 0x7\n"
	    "     0xffffffffffffffff - 0xffffffffffffffff\n");
	extent_destroy(ex);
	h_shutdown(m);
}

/* EAGAIN and EINVAL on a machine without DIAGNOSTIC. */
ATF_TC_WITHOUT_HEAD(return_codes);
ATF_TC_BODY(return_codes, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("codes", 0x10, 0xff, NULL, 0, 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x20, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x20, 0x10, 0), EAGAIN);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x11, 0), EAGAIN);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x2f, 0x1, 0), EAGAIN);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x30, 0x1, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x0, 0x10, 0), EINVAL);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0xf0, 0x11, 0), EINVAL);
	ATF_CHECK_EQ(extent_alloc_subregion(ex, 0x20, 0x30, 1, EX_NOALIGN,
	    0, 0, &r), EAGAIN);
	ATF_CHECK_EQ(extent_alloc(ex, 0xe0, EX_NOALIGN, 0, 0, &r), EAGAIN);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, 0x100, 0, 0, &r), EAGAIN);
	/* Aligning substart wraps below ex_start. */
	ATF_CHECK_EQ(extent_alloc_subregion(ex, ULONG_TOP - 1, ULONG_TOP, 1,
	    0x100, 0, 0, &r), EINVAL);
	ATF_CHECK_STREQ(regions(ex), "0x20 - 0x30\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	extent_destroy(ex);
	ATF_CHECK_STREQ(h_printed(), "");
	h_shutdown(m);
}

/*
 * Fixed storage: exhaustion gives ENOMEM unless EX_MALLOCOK, which takes
 * descriptors from the pool; those go back to the pool when freed.
 */
ATF_TC_WITHOUT_HEAD(fixed_storage_exhaustion);
ATF_TC_BODY(fixed_storage_exhaustion, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(3) / sizeof(long)];
	const struct extent_region *rp;
	struct extent *ex;
	u_long r;

	ex = extent_create("fixed", 0, 0xff, storage, sizeof(storage),
	    EX_NOCOALESCE);
	ATF_REQUIRE_EQ(nfree_descriptors(ex), 3);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(nfree_descriptors(ex), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x80, 0x10, 0), ENOMEM);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, EX_NOALIGN, 0, 0, &r), ENOMEM);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);

	ATF_CHECK_EQ(extent_alloc_region(ex, 0x80, 0x10, EX_MALLOCOK), 0);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, EX_NOALIGN, 0, EX_MALLOCOK, &r),
	    0);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 2);
	LIST_FOREACH(rp, &ex->ex_regions, er_link)
		ATF_CHECK_EQ(rp->er_flags,
		    rp->er_start == 0x80 || rp->er_start == r ? ER_ALLOC : 0);
	/* A pool descriptor goes back to the pool, a storage one home. */
	ATF_CHECK_EQ(extent_free(ex, 0x80, 0x10, 0), 0);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	ATF_CHECK_EQ(nfree_descriptors(ex), 0);
	ATF_CHECK_EQ(extent_free(ex, 0x00, 0x10, 0), 0);
	ATF_CHECK_EQ(nfree_descriptors(ex), 1);
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	h_shutdown(m);
}

/*
 * A free on a coalescing extent gets a descriptor before it looks at the
 * list, so with the fixed storage used up even a whole-region free fails
 * with ENOMEM; EX_MALLOCOK lets it through.  Non-coalescing extents never
 * need one to free.
 */
ATF_TC_WITHOUT_HEAD(coalescing_free_enomem);
ATF_TC_BODY(coalescing_free_enomem, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(2) / sizeof(long)];
	struct extent *ex;

	ex = extent_create("cofixed", 0, 0xff, storage, sizeof(storage), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x40, 0x40, 0), 0);
	ATF_CHECK_EQ(nfree_descriptors(ex), 0);
	ATF_CHECK_EQ(extent_free(ex, 0x00, 0x10, 0), ENOMEM);
	ATF_CHECK_EQ(extent_free(ex, 0x50, 0x10, 0), ENOMEM);
	ATF_CHECK_STREQ(regions(ex), "0x0 - 0xf\n0x40 - 0x7f\n");
	/* The split takes a pool descriptor. */
	ATF_CHECK_EQ(extent_free(ex, 0x50, 0x10, EX_MALLOCOK), 0);
	ATF_CHECK_STREQ(regions(ex), "0x0 - 0xf\n0x40 - 0x4f\n0x60 - 0x7f\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	/* Whole-region free: the pre-allocated one comes back unused. */
	ATF_CHECK_EQ(extent_free(ex, 0x00, 0x10, EX_MALLOCOK), 0);
	ATF_CHECK_EQ(nfree_descriptors(ex), 1);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);

	ex = extent_create("nocofixed", 0, 0xff, storage, sizeof(storage),
	    EX_NOCOALESCE);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_free(ex, 0x00, 0x10, 0), 0);
	extent_destroy(ex);
	h_shutdown(m);
}

/* DIAGNOSTIC machines report a descriptor shortage before ENOMEM. */
ATF_TC_WITHOUT_HEAD(enomem_diagnostic_message);
ATF_TC_BODY(enomem_diagnostic_message, tc)
{
	struct nbm_machine *m = boot_opts(NBM_OPT_DIAGNOSTIC);
	long storage[EXTENT_FIXED_STORAGE_SIZE(1) / sizeof(long)];
	struct extent *ex;
	u_long r;

	ex = extent_create("one", 0, 0xff, storage, sizeof(storage),
	    EX_NOCOALESCE);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	h_print_reset();
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), ENOMEM);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, EX_NOALIGN, 0, 0, &r), ENOMEM);
	ATF_CHECK_STREQ(h_printed(),
	    "extent_alloc_region: can't allocate region descriptor\n"
	    "extent_alloc_subregion: can't allocate region descriptor\n");
	extent_destroy(ex);
	h_shutdown(m);
}

/* Subregion bounds are not checked without DIAGNOSTIC (spec 2.10). */
ATF_TC_WITHOUT_HEAD(subregion_beyond_end);
ATF_TC_BODY(subregion_beyond_end, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("beyond", 0, 0x2f, NULL, 0, 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0, 0x20, 0), 0);
	/* 0x20-0x3f runs past ex_end 0x2f, and is granted. */
	ATF_CHECK_EQ(extent_alloc_subregion(ex, 0x20, 0x40, 0x20,
	    EX_NOALIGN, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x20);
	ATF_CHECK_STREQ(regions(ex), "0x0 - 0x3f\n");
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * DIAGNOSTIC argument checks, each on a fresh machine.
 */
struct diag {
	int		 d_kind;
	const char	*d_panic;	/* expected panic message */
	const char	*d_print;	/* expected output before it */
};

static void
diag_call(void *arg)
{
	const struct diag *d = arg;
	long storage[EXTENT_FIXED_STORAGE_SIZE(4) / sizeof(long)];
	struct extent *ex;
	u_long r;

	if (d->d_kind < 4) {
		switch (d->d_kind) {
		case 0:
			(void)extent_create(NULL, 0, 1, NULL, 0, 0);
			break;
		case 1:
			(void)extent_create("back", 2, 1, NULL, 0, 0);
			break;
		case 2:
			(void)extent_create("nostorage", 0, 1, NULL, 16, 0);
			break;
		default:
			(void)extent_create("small", 0, 1, storage, 8, 0);
			break;
		}
		return;
	}
	ex = extent_create("diag", 0x10, 0xff, NULL, 0, 0);
	(void)extent_alloc_region(ex, 0x40, 0x10, 0);
	h_print_reset();
	switch (d->d_kind) {
	case 4:
		(void)extent_alloc_region(ex, 0x20, 0, 0);
		break;
	case 5:
		(void)extent_alloc_region(ex, 0x20, ULONG_TOP, 0);
		break;
	case 6:
		(void)extent_alloc_region(ex, 0xf0, 0x20, 0);
		break;
	case 7:
		(void)extent_alloc_subregion(ex, 0x10, 0xff, 1, 1, 0, 0, NULL);
		break;
	case 8:
		(void)extent_alloc_subregion(ex, 0x10, 0x100, 1, 1, 0, 0, &r);
		break;
	case 9:
		(void)extent_alloc_subregion(ex, 0x10, 0x1f, 0x11, 1, 0, 0, &r);
		break;
	case 10:
		(void)extent_alloc_subregion(ex, 0x10, 0xff, 0x10, 0, 0, 0, &r);
		break;
	case 11:
		(void)extent_alloc_subregion(ex, 0x10, 0xff, 0x10, 1, 0x8, 0,
		    &r);
		break;
	case 12:
		(void)extent_free(ex, 0x8, 0x10, 0);
		break;
	case 13:
		(void)extent_free(ex, 0x40, ULONG_TOP, 0);
		break;
	case 14:
		(void)extent_free(ex, 0x50, 0x10, 0);
		break;
	case 15:
		ex = extent_create("diag2", 0x10, ULONG_TOP, NULL, 0, 0);
		(void)extent_alloc_subregion(ex, ULONG_TOP - 1, ULONG_TOP, 1,
		    0x100, 0, 0, &r);
		break;
	case 16:
		extent_destroy(NULL);
		break;
	default:
		extent_print(NULL);
		break;
	}
}

ATF_TC_WITHOUT_HEAD(diagnostic_panics);
ATF_TC_BODY(diagnostic_panics, tc)
{
	static const struct diag diags[] = {
		{ 0, "extent_create: name == NULL", "" },
		{ 1, "extent_create: end < start",
		  "extent_create: extent `back', start 0x2, end 0x1\n" },
		{ 2, "extent_create: storage provided for non-fixed", "" },
		{ 3, "extent_create: fixed extent, bad storagesize 0x8", "" },
		{ 4, "extent_alloc_region: bad size",
		  "extent_alloc_region: extent `diag', size 0x0\n" },
		{ 5, "extent_alloc_region: overflow",
		  "extent_alloc_region: extent `diag', start 0x20, "
		  "size 0xffffffffffffffff\n" },
		{ 6, "extent_alloc_region: region lies outside extent",
		  "extent_alloc_region: extent `diag' (0x10 - 0xff)\n"
		  "extent_alloc_region: start 0xf0, end 0x10f\n" },
		{ 7, "extent_alloc_subregion: NULL result pointer", "" },
		{ 8, "extent_alloc_subregion: bad subregion",
		  "extent_alloc_subregion: extent `diag', ex_start 0x10, "
		  "ex_end 0xff\n"
		  "extent_alloc_subregion: substart 0x10, subend 0x100\n" },
		{ 9, "extent_alloc_subregion: bad size",
		  "extent_alloc_subregion: extent `diag', size 0x11\n" },
		{ 10, "extent_alloc_subregion: bad alignment", "" },
		{ 11, "extent_alloc_subregion: bad boundary",
		  "extent_alloc_subregion: extent `diag', size 0x10, "
		  "boundary 0x8\n" },
		{ 12, "extent_free: extent `diag', region not within extent",
		  "extent `diag' (0x10 - 0xff), flags = 0x0\n"
		  "     0x40 - 0x4f\n"
		  "extent_free: extent `diag', start 0x8, size 0x10\n" },
		{ 13, "extent_free: overflow",
		  "extent `diag' (0x10 - 0xff), flags = 0x0\n"
		  "     0x40 - 0x4f\n"
		  "extent_free: extent `diag', start 0x40, "
		  "size 0xffffffffffffffff\n" },
		{ 14, "extent_free: region not found",
		  "extent `diag' (0x10 - 0xff), flags = 0x0\n"
		  "     0x40 - 0x4f\n"
		  "extent_free: start 0x50, end 0x5f\n" },
		{ 15, "extent_alloc_subregion: overflow after alignment",
		  "extent_alloc_subregion: extent `diag2' "
		  "(0x10 - 0xffffffffffffffff), alignment 0x100\n" },
		{ 16, "extent_destroy: NULL extent", "" },
		{ 17, "extent_print: NULL extent", "" },
	};
	struct nbm_machine *m;
	size_t i;

	for (i = 0; i < __arraycount(diags); i++) {
		m = boot_opts(NBM_OPT_DIAGNOSTIC);
		h_print_reset();
		h_expect_panic(m, diag_call,
		    __DECONST(struct diag *, &diags[i]), diags[i].d_panic);
		ATF_CHECK_STREQ_MSG(h_panicmsg(), diags[i].d_panic,
		    "case %zu", i);
		ATF_CHECK_STREQ_MSG(h_printed(), diags[i].d_print,
		    "case %zu", i);
		h_shutdown(m);
	}
}

static void
alloc_null_result(void *arg)
{

	(void)extent_alloc(arg, 1, EX_NOALIGN, 0, 0, NULL);
}

/*
 * Without DIAGNOSTIC the same calls return EINVAL or carry on; a free of
 * something not allocated still panics.
 */
ATF_TC_WITHOUT_HEAD(no_diagnostic_no_checks);
ATF_TC_BODY(no_diagnostic_no_checks, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;

	ex = extent_create("nodiag", 0x10, 0xff, NULL, 0, 0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0xf0, 0x20, 0), EINVAL);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x8, 0x10, 0), EINVAL);
	ATF_CHECK_EQ(extent_alloc_subregion(ex, ULONG_TOP - 1, ULONG_TOP, 1,
	    0x100, 0, 0, &r), EINVAL);
	/*
	 * boundary < size: the candidate is moved to the line 0x18 and then
	 * crosses the next one, 0x20; nothing checks that again.
	 */
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, EX_NOALIGN, 0x8, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x18);
	ATF_CHECK_STREQ(h_printed(), "");
	/* A NULL result pointer panics here too, rather than fault. */
	h_expect_panic(m, alloc_null_result, ex,
	    "extent_alloc_subregion: NULL result pointer");
	h_shutdown(m);
}

/*
 * The machine's list of extents.
 */
static void
count_extent(struct extent *ex, void *arg)
{
	char *names = arg;

	strcat(names, ex->ex_name);
	strcat(names, " ");
}

ATF_TC_WITHOUT_HEAD(machine_extent_list);
ATF_TC_BODY(machine_extent_list, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(2) / sizeof(long)];
	struct extent *a, *b, *c;
	char names[256], base[256];

	base[0] = '\0';
	nbm_extent_foreach(m, count_extent, base);
	a = extent_create("a", 0, 1, NULL, 0, 0);
	b = extent_create("b", 0, 1, storage, sizeof(storage), 0);
	c = extent_create("c", 0, 1, NULL, 0, EX_EARLY);
	names[0] = '\0';
	nbm_extent_foreach(m, count_extent, names);
	ATF_CHECK_EQ(strlen(names), strlen(base) + 6);
	ATF_CHECK(strncmp(names, "c b a ", 6) == 0);
	extent_destroy(b);
	names[0] = '\0';
	nbm_extent_foreach(m, count_extent, names);
	ATF_CHECK(strncmp(names, "c a ", 4) == 0);
	extent_destroy(a);
	extent_destroy(c);
	names[0] = '\0';
	nbm_extent_foreach(m, count_extent, names);
	ATF_CHECK_STREQ(names, base);
	h_shutdown(m);
}

/*
 * Machines shut down with extents and descriptors still live: everything
 * is freed (the sanitizer builds would report a leak).
 */
ATF_TC_WITHOUT_HEAD(shutdown_with_live_extents);
ATF_TC_BODY(shutdown_with_live_extents, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct extent *ex;
	u_long r;
	int i;

	ex = extent_create("left", 0, 0xffff, NULL, 0, EX_NOCOALESCE);
	for (i = 0; i < 100; i++)
		ATF_CHECK_EQ(extent_alloc(ex, 0x10, 0x20, 0, 0, &r), 0);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 100);
	h_shutdown(m);
}

/* An EX_EARLY extent works without its lock and cv. */
ATF_TC_WITHOUT_HEAD(early_extent);
ATF_TC_BODY(early_extent, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(4) / sizeof(long)];
	struct extent *ex;
	u_long r;

	ex = extent_create("early", 0, 0xff, storage, sizeof(storage),
	    EX_EARLY);
	ATF_CHECK_EQ(ex->ex_flags, EXF_FIXED | EXF_EARLY);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), 0);
	ATF_CHECK_EQ(extent_alloc(ex, 0x10, 0x10, 0, 0, &r), 0);
	ATF_CHECK_EQ(r, 0x0);
	ATF_CHECK_EQ(extent_alloc_region(ex, 0x10, 0x10, EX_WAITSPACE),
	    EAGAIN);
	ATF_CHECK_EQ(extent_free(ex, 0x8, 0x10, 0), 0);
	ATF_CHECK_STREQ(regions(ex), "0x0 - 0x7\n0x18 - 0x1f\n");
	ATF_CHECK_EQ(curcpu()->ci_mtx_count, 0);
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * Threads: a waiter on cpu1 sleeps for space (EX_WAITSPACE) or for a
 * descriptor (EX_WAITOK on a fixed extent) until cpu0 frees.
 */
struct waiter {
	struct nbm_machine *w_m;
	struct extent	*w_ex;
	int		 w_kind;
	int		 w_error;
	u_long		 w_result;
};

static void *
waiter_thread(void *arg)
{
	struct waiter *w = arg;

	if (nbm_cpu_enter(w->w_m, 1) != 0) {
		w->w_error = -1;
		return NULL;
	}
	switch (w->w_kind) {
	case 0:
		w->w_error = extent_alloc(w->w_ex, 0x40, 0x40, 0,
		    EX_WAITSPACE, &w->w_result);
		break;
	case 1:
		w->w_error = extent_alloc_region(w->w_ex, 0x80, 0x40,
		    EX_WAITSPACE | EX_CATCH);
		w->w_result = 0x80;
		break;
	default:
		w->w_error = extent_alloc_region(w->w_ex, 0xf0, 0x10,
		    EX_WAITOK);
		w->w_result = 0xf0;
		break;
	}
	nbm_cpu_exit();
	return NULL;
}

/* Spin until a thread sleeps on the extent's cv. */
static void
wait_for_sleeper(struct extent *ex)
{

	while (!cv_has_waiters(&ex->ex_cv))
		sched_yield();
}

ATF_TC_WITHOUT_HEAD(waitspace_woken_by_free);
ATF_TC_BODY(waitspace_woken_by_free, tc)
{
	struct nbm_machine *m = boot_opts(0);
	struct waiter w;
	struct extent *ex;
	pthread_t t;
	int kind;

	for (kind = 0; kind < 2; kind++) {
		ex = extent_create("wait", 0, 0xff, NULL, 0, 0);
		ATF_REQUIRE_EQ(extent_alloc_region(ex, 0, 0x100, 0), 0);
		w = (struct waiter){ m, ex, kind, -1, 0 };
		ATF_REQUIRE_EQ(pthread_create(&t, NULL, waiter_thread, &w),
		    0);
		wait_for_sleeper(ex);
		/* A free that does not make room wakes it in vain. */
		ATF_CHECK_EQ(extent_free(ex, 0x0, 0x10, 0), 0);
		ATF_CHECK_EQ(extent_free(ex, 0x80, 0x40, 0), 0);
		ATF_REQUIRE_EQ(pthread_join(t, NULL), 0);
		ATF_CHECK_EQ(w.w_error, 0);
		ATF_CHECK_EQ(w.w_result, 0x80);
		ATF_CHECK_STREQ(regions(ex), "0x10 - 0xff\n");
		extent_destroy(ex);
	}
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(waitok_descriptor_woken_by_free);
ATF_TC_BODY(waitok_descriptor_woken_by_free, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(2) / sizeof(long)];
	struct waiter w;
	struct extent *ex;
	pthread_t t;

	ex = extent_create("desc", 0, 0xff, storage, sizeof(storage),
	    EX_NOCOALESCE);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x10, 0x10, 0), 0);
	w = (struct waiter){ m, ex, 2, -1, 0 };
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, waiter_thread, &w), 0);
	wait_for_sleeper(ex);
	mutex_enter(&ex->ex_lock);
	ATF_CHECK(ex->ex_flwanted);
	mutex_exit(&ex->ex_lock);
	ATF_CHECK_EQ(extent_free(ex, 0x00, 0x10, 0), 0);
	ATF_REQUIRE_EQ(pthread_join(t, NULL), 0);
	ATF_CHECK_EQ(w.w_error, 0);
	ATF_CHECK(!ex->ex_flwanted);
	ATF_CHECK_STREQ(regions(ex), "0x10 - 0x1f\n0xf0 - 0xff\n");
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	extent_destroy(ex);
	h_shutdown(m);
}

/*
 * A pool descriptor freed while a thread waits for a descriptor is parked
 * on the fixed freelist for it, still marked ER_ALLOC.
 */
ATF_TC_WITHOUT_HEAD(pool_descriptor_handed_to_waiter);
ATF_TC_BODY(pool_descriptor_handed_to_waiter, tc)
{
	struct nbm_machine *m = boot_opts(0);
	long storage[EXTENT_FIXED_STORAGE_SIZE(1) / sizeof(long)];
	const struct extent_region *rp;
	struct waiter w;
	struct extent *ex;
	pthread_t t;

	ex = extent_create("hand", 0, 0xff, storage, sizeof(storage),
	    EX_NOCOALESCE);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x00, 0x10, 0), 0);
	ATF_REQUIRE_EQ(extent_alloc_region(ex, 0x10, 0x10, EX_MALLOCOK), 0);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	w = (struct waiter){ m, ex, 2, -1, 0 };
	ATF_REQUIRE_EQ(pthread_create(&t, NULL, waiter_thread, &w), 0);
	wait_for_sleeper(ex);
	ATF_CHECK_EQ(extent_free(ex, 0x10, 0x10, 0), 0);
	ATF_REQUIRE_EQ(pthread_join(t, NULL), 0);
	ATF_CHECK_EQ(w.w_error, 0);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 1);
	rp = LIST_NEXT(LIST_FIRST(&ex->ex_regions), er_link);
	ATF_REQUIRE(rp != NULL);
	ATF_CHECK_EQ(rp->er_start, 0xf0);
	ATF_CHECK_EQ(rp->er_flags, ER_ALLOC);
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	h_shutdown(m);
}

/*
 * The same with scheduled threads, in both execution modes: lwp "holder"
 * on cpu0 fills the extent, lets the other run, then frees; lwp "waiter"
 * on cpu1 sleeps for the space in the meantime.  Without the free the
 * machine reports the waiter in a deadlock panic.
 */
struct sched_arg {
	struct extent	*sa_ex;
	int		 sa_free;	/* holder frees */
	int		 sa_error;
	u_long		 sa_result;
	_Atomic int	 sa_held;	/* the holder has the space */
};

static void
sched_holder(void *arg)
{
	struct sched_arg *sa = arg;

	if (extent_alloc_region(sa->sa_ex, 0, 0x100, 0) != 0)
		return;
	atomic_store(&sa->sa_held, 1);
	kpause("hold", false, 2, NULL);
	if (sa->sa_free)
		(void)extent_free(sa->sa_ex, 0x40, 0x40, 0);
}

static void
sched_waiter(void *arg)
{
	struct sched_arg *sa = arg;

	/*
	 * Wait for the holder, not for a time: on a loaded host CPU 0's
	 * thread may start late, and the waiter would find the space free.
	 */
	while (atomic_load(&sa->sa_held) == 0)
		kpause("start", false, 1, NULL);
	sa->sa_error = extent_alloc(sa->sa_ex, 0x40, 0x40, 0, EX_WAITSPACE,
	    &sa->sa_result);
}

ATF_TC_WITHOUT_HEAD(waitspace_scheduled_threads);
ATF_TC_BODY(waitspace_scheduled_threads, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct sched_arg sa;
	struct extent *ex;
	int mode, free;

	for (mode = 0; mode <= 1; mode++) {
		for (free = 1; free >= 0; free--) {
			h_config(&cfg);
			cfg.mode = mode;
			m = h_boot(&cfg);
			ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
			ex = extent_create("sched", 0, 0xff, NULL, 0, 0);
			nbm_cpu_exit();
			sa = (struct sched_arg){ ex, free, -1, 0, 0 };
			ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "holder",
			    sched_holder, &sa, NULL), 0);
			ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "waiter",
			    sched_waiter, &sa, NULL), 0);
			if (free) {
				ATF_CHECK_EQ(nbm_machine_run(m, 0), 0);
				ATF_CHECK_EQ(sa.sa_error, 0);
				ATF_CHECK_EQ(sa.sa_result, 0x40);
			} else {
				ATF_CHECK_EQ(nbm_machine_run(m, 0),
				    ENOTRECOVERABLE);
				ATF_CHECK_MSG(strstr(h_panicmsg(),
				    "(waiter) on cpu1 waits on \"extent\"") !=
				    NULL, "panic: %s", h_panicmsg());
			}
			nbm_machine_shutdown(m);
		}
	}
}

/*
 * Randomized run against an interval model.
 *
 * The model is a sorted array of disjoint intervals: the allocations on an
 * EX_NOCOALESCE extent, or their merged union on a coalescing one.  After
 * every step the extent's region list must equal it exactly, which checks
 * that nothing overlaps and no space is lost.
 *
 * Every extent_alloc_subregion1 result is compared with what NetBSD's
 * algorithm finds on the model (ref_alloc, written from spec 2.4).  Two
 * checks do not rely on that model of the algorithm:
 *  - soundness: the result lies in [substart, subend], overlaps nothing,
 *    crosses no boundary line, and is aligned -- or starts on a line, where
 *    the boundary fix-up moved it;
 *  - completeness: EAGAIN only if no aligned placement inside the
 *    subregion crosses no line (feasible()).  This holds for NetBSD's
 *    search as long as boundary >= size, the subregion lies inside the
 *    extent and nothing wraps, which the run ensures: in a gap, the
 *    candidate is the lowest aligned start; if it crosses a line L, every
 *    start before L crosses L too, so if any aligned placement fits, L
 *    fits as well, and NetBSD takes L.  (The fix-up thus never loses a
 *    feasible gap; it only makes the result unaligned.)
 */
#define MODEL_MAX	16384

struct model {
	u_long	mo_s[MODEL_MAX];	/* starts */
	u_long	mo_e[MODEL_MAX];	/* ends, inclusive */
	size_t	mo_n;
	bool	mo_coalesce;
};

static void
model_insert_at(struct model *mo, size_t i, u_long s, u_long e)
{

	ATF_REQUIRE(mo->mo_n < MODEL_MAX);
	memmove(&mo->mo_s[i + 1], &mo->mo_s[i], (mo->mo_n - i) *
	    sizeof(u_long));
	memmove(&mo->mo_e[i + 1], &mo->mo_e[i], (mo->mo_n - i) *
	    sizeof(u_long));
	mo->mo_s[i] = s;
	mo->mo_e[i] = e;
	mo->mo_n++;
}

static void
model_remove_at(struct model *mo, size_t i)
{

	memmove(&mo->mo_s[i], &mo->mo_s[i + 1], (mo->mo_n - i - 1) *
	    sizeof(u_long));
	memmove(&mo->mo_e[i], &mo->mo_e[i + 1], (mo->mo_n - i - 1) *
	    sizeof(u_long));
	mo->mo_n--;
}

/* Index of the first interval ending at or after x. */
static size_t
model_find(const struct model *mo, u_long x)
{
	size_t lo = 0, hi = mo->mo_n, mid;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		if (mo->mo_e[mid] < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static bool
model_overlaps(const struct model *mo, u_long s, u_long e)
{
	size_t i = model_find(mo, s);

	return i < mo->mo_n && mo->mo_s[i] <= e;
}

static void
model_add(struct model *mo, u_long s, u_long e)
{
	size_t i = model_find(mo, s);

	model_insert_at(mo, i, s, e);
	if (!mo->mo_coalesce)
		return;
	if (i + 1 < mo->mo_n && mo->mo_s[i + 1] == e + 1) {
		mo->mo_e[i] = mo->mo_e[i + 1];
		model_remove_at(mo, i + 1);
	}
	if (i > 0 && mo->mo_e[i - 1] + 1 == s) {
		mo->mo_e[i - 1] = mo->mo_e[i];
		model_remove_at(mo, i);
	}
}

/* Remove [s, e], which lies inside interval i. */
static void
model_sub(struct model *mo, size_t i, u_long s, u_long e)
{
	u_long os = mo->mo_s[i], oe = mo->mo_e[i];

	if (s == os && e == oe)
		model_remove_at(mo, i);
	else if (s == os)
		mo->mo_s[i] = e + 1;
	else if (e == oe)
		mo->mo_e[i] = s - 1;
	else {
		mo->mo_e[i] = s - 1;
		model_insert_at(mo, i + 1, e + 1, oe);
	}
}

static u_long
xalign(u_long x, u_long align, u_long skew)
{

	return ((x - skew + align - 1) & -align) + skew;
}

/* The last address before the first boundary line after s. */
static u_long
line_after(u_long s, u_long boundary, u_long base)
{

	return xalign(s + 1, boundary, base) - 1;
}

struct req {
	u_long	rq_substart, rq_subend, rq_size, rq_align, rq_skew;
	u_long	rq_boundary;
	int	rq_flags;
};

/*
 * ref_alloc: what NetBSD's extent_alloc_subregion1 chooses on the model
 * (spec 2.4 steps 2-6), for requests without wrap-around.
 */
static int
ref_alloc(const struct model *mo, u_long ex_start, u_long ex_end,
    const struct req *rq, u_long *res)
{
	u_long size = rq->rq_size, base, ns, last, wend, dc, ovh;
	u_long best = 0, bestovh = 0;
	size_t i;
	bool tail;

	base = (rq->rq_flags & EX_BOUNDZERO) ? 0 : ex_start;
	ns = xalign(rq->rq_substart, rq->rq_align, rq->rq_skew);
	/* The interval covering ns, if any, pushes it up. */
	for (i = 0; i < mo->mo_n && mo->mo_s[i] < ns; i++)
		continue;
	if (i > 0 && mo->mo_e[i - 1] >= ns)
		ns = xalign(mo->mo_e[i - 1] + 1, rq->rq_align, rq->rq_skew);
	for (;; i++) {
		/*
		 * A gap before interval i, or the tail: up to subend, with
		 * its waste counted up to exend -- ex_end, or the start of
		 * the first interval past subend -- inclusive.
		 */
		tail = i == mo->mo_n || mo->mo_s[i] > rq->rq_subend;
		if (tail) {
			last = rq->rq_subend;
			wend = (i == mo->mo_n ? ex_end : mo->mo_s[i]) + 1;
		} else {
			last = mo->mo_s[i] - 1;
			wend = mo->mo_s[i];
		}
		if (ns + size - 1 > last)
			goto next;
		if (rq->rq_boundary != 0) {
			dc = line_after(ns, rq->rq_boundary, base);
			if (ns + size - 1 > dc) {
				ns = dc + 1;
				if (ns + size - 1 > last)
					goto next;
			}
		}
		ovh = wend - ns - size;
		if ((rq->rq_flags & EX_FAST) || ovh == 0) {
			*res = ns;
			return 0;
		}
		if (bestovh == 0 || ovh < bestovh) {
			bestovh = ovh;
			best = ns;
		}
 next:
		if (tail)
			break;
		ns = xalign(mo->mo_e[i] + 1, rq->rq_align, rq->rq_skew);
	}
	if (!(rq->rq_flags & EX_FAST) && bestovh != 0) {
		*res = best;
		return 0;
	}
	return EAGAIN;
}

/*
 * feasible: is there an aligned start s in [substart, subend] with
 * [s, s+size-1] free, inside the subregion and crossing no line?  Walks
 * the gaps; in each, tries aligned starts until one fits or the gap ends.
 */
static bool
feasible(const struct model *mo, u_long ex_start, const struct req *rq)
{
	u_long lo, hi, s, dc, base;
	size_t i;

	base = (rq->rq_flags & EX_BOUNDZERO) ? 0 : ex_start;
	for (i = 0; i <= mo->mo_n; i++) {
		lo = i == 0 ? rq->rq_substart : MAX(rq->rq_substart,
		    mo->mo_e[i - 1] + 1);
		hi = i == mo->mo_n ? rq->rq_subend : MIN(rq->rq_subend,
		    mo->mo_s[i] - 1);
		if (i < mo->mo_n && mo->mo_s[i] == 0)
			continue;
		if (lo > hi || hi - lo + 1 < rq->rq_size)
			continue;
		s = xalign(lo, rq->rq_align, rq->rq_skew);
		while (s >= lo && s + rq->rq_size - 1 <= hi) {
			if (rq->rq_boundary == 0)
				return true;
			dc = line_after(s, rq->rq_boundary, base);
			if (s + rq->rq_size - 1 <= dc)
				return true;
			/* Every start before the line crosses it too. */
			s = MAX(s + rq->rq_align,
			    xalign(dc + 1, rq->rq_align, rq->rq_skew));
		}
	}
	return false;
}

static void
check_against_model(const struct extent *ex, const struct model *mo,
    uint64_t step)
{
	const struct extent_region *rp;
	size_t i = 0;

	LIST_FOREACH(rp, &ex->ex_regions, er_link) {
		ATF_REQUIRE_MSG(i < mo->mo_n, "step %ju: extra region "
		    "0x%lx-0x%lx", (uintmax_t)step, rp->er_start, rp->er_end);
		ATF_REQUIRE_MSG(rp->er_start == mo->mo_s[i] &&
		    rp->er_end == mo->mo_e[i], "step %ju: region %zu is "
		    "0x%lx-0x%lx, model 0x%lx-0x%lx", (uintmax_t)step, i,
		    rp->er_start, rp->er_end, mo->mo_s[i], mo->mo_e[i]);
		i++;
	}
	ATF_REQUIRE_MSG(i == mo->mo_n, "step %ju: %zu regions, model %zu",
	    (uintmax_t)step, i, mo->mo_n);
}

static u_long
rnd(uint64_t *st, u_long n)
{

	return (u_long)(h_rand(st) % n);
}

static void
random_request(uint64_t *st, u_long ex_start, u_long span, struct req *rq)
{
	u_long a, b;

	rq->rq_size = rnd(st, 8) == 0 ? 1 + rnd(st, 512) : 1 + rnd(st, 64);
	rq->rq_align = 1UL << rnd(st, 8);
	rq->rq_skew = rnd(st, 2) ? rnd(st, rq->rq_align) : 0;
	rq->rq_boundary = 0;
	/* A power of 2 at least as large as the size. */
	if (rnd(st, 2))
		rq->rq_boundary = 1UL << (ilog2((rq->rq_size - 1) | 1) + 1 +
		    rnd(st, 4));
	rq->rq_flags = (rnd(st, 2) ? EX_FAST : 0) |
	    (rnd(st, 2) ? EX_BOUNDZERO : 0);
	if (rnd(st, 3) == 0) {
		rq->rq_substart = ex_start;
		rq->rq_subend = ex_start + span - 1;
	} else {
		a = rnd(st, span);
		b = rnd(st, span);
		rq->rq_substart = ex_start + MIN(a, b);
		rq->rq_subend = ex_start + MAX(a, b);
	}
}

static void
stress(bool coalesce, uint64_t seed, int steps)
{
	struct nbm_machine *m = boot_opts(0);
	const u_long ex_start = 0x10003, span = 0x4000;
	struct model *mo, *allocs;
	struct extent *ex;
	struct req rq;
	u_long r, ref, s, e, dc;
	uint64_t st = seed;
	int step, ret, rret, nok = 0, nagain = 0, nfixup = 0;
	size_t i;

	mo = calloc(1, sizeof(*mo));
	allocs = calloc(1, sizeof(*allocs));	/* individual allocations */
	ATF_REQUIRE(mo != NULL && allocs != NULL);
	mo->mo_coalesce = coalesce;
	ex = extent_create("stress", ex_start, ex_start + span - 1, NULL, 0,
	    coalesce ? 0 : EX_NOCOALESCE);
	ATF_REQUIRE(ex != NULL);

	for (step = 0; step < steps; step++) {
		switch (rnd(&st, 10)) {
		case 0: case 1: case 2: case 3: case 4:
			random_request(&st, ex_start, span, &rq);
			rret = ref_alloc(mo, ex_start, ex_start + span - 1, &rq,
			    &ref);
			r = 0;
			ret = extent_alloc_subregion1(ex, rq.rq_substart,
			    rq.rq_subend, rq.rq_size, rq.rq_align, rq.rq_skew,
			    rq.rq_boundary, rq.rq_flags, &r);
			ATF_REQUIRE_MSG(ret == 0 || ret == EAGAIN, "step %d: "
			    "error %d", step, ret);
			ATF_REQUIRE_MSG(ret == rret && (ret != 0 || r == ref),
			    "step %d: sub 0x%lx-0x%lx size 0x%lx align 0x%lx "
			    "skew 0x%lx bound 0x%lx flags 0x%x: got %d 0x%lx, "
			    "model %d 0x%lx", step, rq.rq_substart,
			    rq.rq_subend, rq.rq_size, rq.rq_align, rq.rq_skew,
			    rq.rq_boundary, rq.rq_flags, ret, r, rret, ref);
			if (ret == EAGAIN) {
				ATF_REQUIRE_MSG(!feasible(mo, ex_start, &rq),
				    "step %d: EAGAIN, but a placement exists",
				    step);
				nagain++;
				break;
			}
			s = r;
			e = r + rq.rq_size - 1;
			ATF_REQUIRE(s >= rq.rq_substart && e <= rq.rq_subend);
			ATF_REQUIRE(!model_overlaps(mo, s, e));
			if (rq.rq_boundary != 0) {
				dc = line_after(s, rq.rq_boundary,
				    (rq.rq_flags & EX_BOUNDZERO) ? 0 :
				    ex_start);
				ATF_REQUIRE_MSG(e <= dc, "step %d: 0x%lx-0x%lx "
				    "crosses a line", step, s, e);
			}
			if (xalign(s, rq.rq_align, rq.rq_skew) != s) {
				/* Only the fix-up may do that. */
				ATF_REQUIRE(rq.rq_boundary != 0 &&
				    line_after(s - 1, rq.rq_boundary,
				    (rq.rq_flags & EX_BOUNDZERO) ? 0 :
				    ex_start) == s - 1);
				nfixup++;
			}
			model_add(mo, s, e);
			model_add(allocs, s, e);
			nok++;
			break;
		case 5:
			/* alloc_region: EAGAIN exactly on overlap. */
			s = ex_start + rnd(&st, span);
			e = s + rnd(&st, 64);
			e = MIN(e, ex_start + span - 1);
			ret = extent_alloc_region(ex, s, e - s + 1, 0);
			ATF_REQUIRE_EQ_MSG(ret, model_overlaps(mo, s, e) ?
			    EAGAIN : 0, "step %d: region 0x%lx-0x%lx", step,
			    s, e);
			if (ret == 0) {
				model_add(mo, s, e);
				model_add(allocs, s, e);
			}
			break;
		default:
			if (allocs->mo_n == 0)
				break;
			/* Free an allocation, or for coalescing a piece. */
			i = rnd(&st, allocs->mo_n);
			s = allocs->mo_s[i];
			e = allocs->mo_e[i];
			if (coalesce && rnd(&st, 4) == 0) {
				u_long a = s + rnd(&st, e - s + 1);
				u_long b = s + rnd(&st, e - s + 1);

				s = MIN(a, b);
				e = MAX(a, b);
			}
			ATF_REQUIRE_EQ(extent_free(ex, s, e - s + 1, 0), 0);
			model_sub(allocs, i, s, e);
			model_sub(mo, model_find(mo, s), s, e);
			break;
		}
		check_against_model(ex, mo, (uint64_t)step);
	}
	printf("%s: %d allocated, %d EAGAIN, %d moved by the fix-up\n",
	    coalesce ? "coalescing" : "non-coalescing", nok, nagain, nfixup);
	ATF_CHECK(nok > steps / 10);
	ATF_CHECK(nagain > steps / 100);
	ATF_CHECK(nfixup > 0);
	extent_destroy(ex);
	ATF_CHECK_EQ(nbm_extent_pool_nout(m), 0);
	free(mo);
	free(allocs);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(stress_coalescing);
ATF_TC_BODY(stress_coalescing, tc)
{

	stress(true, h_seed(1), 50000);
}

ATF_TC_WITHOUT_HEAD(stress_nocoalesce);
ATF_TC_BODY(stress_nocoalesce, tc)
{

	stress(false, h_seed(2), 50000);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, t_extent_coalesce);
	ATF_TP_ADD_TC(tp, t_extent_subregion1);
	ATF_TP_ADD_TC(tp, t_extent_subregion2);
	ATF_TP_ADD_TC(tp, t_extent_bound1);
	ATF_TP_ADD_TC(tp, t_extent_bound2);
	ATF_TP_ADD_TC(tp, t_extent_bound3);
	ATF_TP_ADD_TC(tp, t_extent_bound4);
	ATF_TP_ADD_TC(tp, t_extent_subregion3);
	ATF_TP_ADD_TC(tp, t_extent_bound5);
	ATF_TP_ADD_TC(tp, t_extent_free);
	ATF_TP_ADD_TC(tp, t_extent_subregion4);
	ATF_TP_ADD_TC(tp, flags_and_values);
	ATF_TP_ADD_TC(tp, best_fit_vs_fast);
	ATF_TP_ADD_TC(tp, best_fit_tail_waste);
	ATF_TP_ADD_TC(tp, alignment_and_skew);
	ATF_TP_ADD_TC(tp, boundary_from_ex_start_or_zero);
	ATF_TP_ADD_TC(tp, boundary_fixup_not_aligned);
	ATF_TP_ADD_TC(tp, top_of_address_space);
	ATF_TP_ADD_TC(tp, coalesce_vs_nocoalesce);
	ATF_TP_ADD_TC(tp, nocoalesce_partial_free_panics);
	ATF_TP_ADD_TC(tp, print_format);
	ATF_TP_ADD_TC(tp, return_codes);
	ATF_TP_ADD_TC(tp, fixed_storage_exhaustion);
	ATF_TP_ADD_TC(tp, coalescing_free_enomem);
	ATF_TP_ADD_TC(tp, enomem_diagnostic_message);
	ATF_TP_ADD_TC(tp, subregion_beyond_end);
	ATF_TP_ADD_TC(tp, diagnostic_panics);
	ATF_TP_ADD_TC(tp, no_diagnostic_no_checks);
	ATF_TP_ADD_TC(tp, machine_extent_list);
	ATF_TP_ADD_TC(tp, shutdown_with_live_extents);
	ATF_TP_ADD_TC(tp, early_extent);
	ATF_TP_ADD_TC(tp, waitspace_woken_by_free);
	ATF_TP_ADD_TC(tp, waitok_descriptor_woken_by_free);
	ATF_TP_ADD_TC(tp, pool_descriptor_handed_to_waiter);
	ATF_TP_ADD_TC(tp, waitspace_scheduled_threads);
	ATF_TP_ADD_TC(tp, stress_coalescing);
	ATF_TP_ADD_TC(tp, stress_nocoalesce);
	ATF_TP_ADD_TC(tp, expool_and_kmem);
	return atf_no_error();
}
