/*
 * t_subr_vmem: vmem(9) (subr_vmem.c) -- the public API with NetBSD's
 * semantics: address choice of VM_INSTANTFIT and VM_BESTFIT on crafted
 * freelists, align/phase/nocross/minaddr/maxaddr, the UNITTEST probes of
 * subr_vmem.c 1.118, spans and import/release, VM_LARGEIMPORT and
 * vmem_xcreate, failure semantics, boundary-tag supply (VM_PRIVTAGS, the
 * reserve, the cache trim), the busy-tag hash, VM_SLEEP across CPUs,
 * interrupt safety, debug output, the panics of DIAGNOSTIC machines, and a
 * randomized run checked against an interval model after every step.
 */
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

#define IF	(VM_INSTANTFIT | VM_NOSLEEP)
#define BF	(VM_BESTFIT | VM_NOSLEEP)

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

/* ---- segment maps */

struct seg {
	vmem_addr_t	s_start;
	vmem_size_t	s_size;
	int		s_type;
};

struct segbuf {
	struct seg	*sb_segs;
	size_t		 sb_n;
	size_t		 sb_max;
};

static void
collect_cb(vmem_addr_t start, vmem_size_t size, int type, void *arg)
{
	struct segbuf *sb = arg;

	if (sb->sb_n < sb->sb_max)
		sb->sb_segs[sb->sb_n] = (struct seg){ start, size, type };
	sb->sb_n++;
}

static size_t
collect(vmem_t *vm, struct seg *segs, size_t max)
{
	struct segbuf sb = { segs, 0, max };

	nbm_vmem_walk(vm, collect_cb, &sb);
	return sb.sb_n;
}

/* Require the segment list to be exactly exp[0..n). */
static void
expect_segs(vmem_t *vm, const struct seg *exp, size_t n)
{
	struct seg got[64];
	size_t i, ngot;

	ngot = collect(vm, got, __arraycount(got));
	ATF_CHECK_EQ_MSG(ngot, n, "%zu tags, expected %zu", ngot, n);
	for (i = 0; i < n && i < ngot; i++) {
		ATF_CHECK_MSG(got[i].s_start == exp[i].s_start &&
		    got[i].s_size == exp[i].s_size &&
		    got[i].s_type == exp[i].s_type,
		    "tag %zu: 0x%jx+0x%jx type %d, expected 0x%jx+0x%jx "
		    "type %d", i, (uintmax_t)got[i].s_start,
		    (uintmax_t)got[i].s_size, got[i].s_type,
		    (uintmax_t)exp[i].s_start, (uintmax_t)exp[i].s_size,
		    exp[i].s_type);
	}
}

/* Require the arena to be one static span [start, start+size), all free. */
static void
expect_one_free_span(vmem_t *vm, vmem_addr_t start, vmem_size_t size)
{
	const struct seg exp[] = {
		{ start, size, BT_TYPE_SPAN_STATIC },
		{ start, size, BT_TYPE_FREE },
	};

	expect_segs(vm, exp, __arraycount(exp));
}

#define SPAN(a, s)	{ (a), (s), BT_TYPE_SPAN }
#define STATIC(a, s)	{ (a), (s), BT_TYPE_SPAN_STATIC }
#define FREE(a, s)	{ (a), (s), BT_TYPE_FREE }
#define BUSY(a, s)	{ (a), (s), BT_TYPE_BUSY }

/*
 * The machine's printed text with pointers replaced by "P": a vmem_dump
 * header "vmem 0x... 'name'" and tag lines "\t0x...: ".
 */
static char *
printed_nopointers(void)
{
	const char *s = h_printed();
	char *out = malloc(strlen(s) + 1), *o = out;

	ATF_REQUIRE(out != NULL);
	while (*s != '\0') {
		if (s[0] == '0' && s[1] == 'x' && (s == h_printed() ||
		    s[-1] == ' ' || s[-1] == '\t')) {
			const char *e = s + 2;

			while ((*e >= '0' && *e <= '9') ||
			    (*e >= 'a' && *e <= 'f'))
				e++;
			if (*e == ':' || (*e == ' ' && e[1] == '\'')) {
				*o++ = 'P';
				s = e;
				continue;
			}
		}
		*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/* The printed text begins with exp (what follows is the boot arenas). */
static void
expect_printed_prefix(const char *exp)
{
	char *got = printed_nopointers();

	ATF_CHECK_MSG(strncmp(got, exp, strlen(exp)) == 0,
	    "printed:\n%s\nexpected to begin with:\n%s", got, exp);
	free(got);
}

static void
expect_printed(const char *exp)
{
	char *got = printed_nopointers();

	ATF_CHECK_MSG(strcmp(got, exp) == 0, "printed:\n%s\nexpected:\n%s",
	    got, exp);
	free(got);
}

/* ---- basic API */

struct szarg {
	vmem_t	*vm;
	int	 mask;
};

static void
size_mask(void *arg)
{
	struct szarg *sa = arg;

	(void)vmem_size(sa->vm, sa->mask);
}

ATF_TC_WITHOUT_HEAD(create_size_roundup);
ATF_TC_BODY(create_size_roundup, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_vmem_stat st;
	struct szarg sa;
	vmem_addr_t a;
	vmem_t *vm;

	vm = vmem_create("a-name-longer-than-sixteen", 0x100000, 0x10000,
	    0x1000, NULL, NULL, NULL, 0x40000, VM_SLEEP, IPL_NONE);
	ATF_REQUIRE(vm != NULL);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_STREQ(st.vs_name, "a-name-longer-th");
	ATF_CHECK_EQ(st.vs_quantum, 0x1000);
	/* Clamped to VMEM_QCACHE_IDX_MAX quanta. */
	ATF_CHECK_EQ(st.vs_qcache_max, 16 * 0x1000);
	/* Its caches' names are cut to QC_NAME_MAX - 1 characters. */
	ATF_CHECK_STREQ(vm->vm_qcache[0]->qc_name, "a-name-longer-t");
	vmem_destroy(vm);

	/* The rest without quantum caches: their pool page is 256 KiB. */
	vm = vmem_create("a-name-longer-than-sixteen", 0x100000, 0x10000,
	    0x1000, NULL, NULL, NULL, 0, VM_SLEEP, IPL_NONE);
	ATF_REQUIRE(vm != NULL);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_nspans, 1);
	ATF_CHECK_EQ(st.vs_nimported, 0);
	ATF_CHECK_EQ(vmem_roundup_size(vm, 1), 0x1000);
	ATF_CHECK_EQ(vmem_roundup_size(vm, 0x1000), 0x1000);
	ATF_CHECK_EQ(vmem_roundup_size(vm, 0x1001), 0x2000);

	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_FREE), 0x10000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE), 0x10000);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1800, VM_SLEEP | VM_INSTANTFIT, &a),
	    0);
	ATF_CHECK_EQ(a, 0x100000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x2000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_FREE), 0xe000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE), 0x10000);
	/* A NULL addrp is allowed. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, BF, NULL), 0);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x3000);
	vmem_xfree(vm, 0x102000, 0x1000);
	vmem_free(vm, a, 0x1800);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	expect_one_free_span(vm, 0x100000, 0x10000);
	vmem_destroy(vm);

	/* A bad mask panics whether or not DIAGNOSTIC is on. */
	sa.vm = vmem_create("sz", 0, 0x1000, 1, NULL, NULL, NULL, 0,
	    VM_SLEEP, IPL_NONE);
	sa.mask = 4;
	h_expect_panic(m, size_mask, &sa, "vmem_size");
	ATF_CHECK_STREQ(h_panicmsg(), "vmem_size");
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(vmem_size_masks);
ATF_TC_BODY(vmem_size_masks, tc)
{
	static const int bad[] = { 0, 4, 7, 0x10, -1 };
	struct nbm_machine *m;
	struct szarg sa;
	size_t i;

	for (i = 0; i < __arraycount(bad); i++) {
		m = boot_opts(i % 2 ? NBM_OPT_DIAGNOSTIC : 0);
		sa.vm = vmem_create("sz", 0x1000, 0x9000, 0x1000, NULL, NULL,
		    NULL, 0, VM_SLEEP, IPL_NONE);
		ATF_REQUIRE_EQ(vmem_xalloc_addr(sa.vm, 0x3000, 0x2000,
		    VM_NOSLEEP), 0);
		ATF_CHECK_EQ(vmem_size(sa.vm, VMEM_ALLOC), 0x2000);
		ATF_CHECK_EQ(vmem_size(sa.vm, VMEM_FREE), 0x7000);
		ATF_CHECK_EQ(vmem_size(sa.vm, VMEM_ALLOC | VMEM_FREE),
		    0x9000);
		/* Any other mask panics, with or without DIAGNOSTIC. */
		sa.mask = bad[i];
		h_expect_panic(m, size_mask, &sa, "vmem_size");
		ATF_CHECK_STREQ(h_panicmsg(), "vmem_size");
		h_shutdown(m);
	}
}

/* ---- address choice */

/*
 * A crafted freelist state in [0, 10000), quantum 1 (addresses in hex):
 *	a3 [0x00, 0x10)   16, list 4	a4 [0x11, 0x25)  20, list 4 (head)
 *	a1 [0x26, 0x2b)    5, list 2	a2 [0x2c, 0x33)   7, list 2 (head)
 *	tail [0x34, 0x2710)		busy separators at 0x10, 0x25,
 *					0x2b, 0x33
 */
static vmem_t *
crafted_arena(void)
{
	vmem_addr_t a3, a4, a1, a2, sep;
	vmem_t *vm;

	vm = vmem_create("fit", 0, 10000, 1, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_NONE);
	ATF_REQUIRE(vm != NULL);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 16, BF, &a3), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 1, BF, &sep), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 20, BF, &a4), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 1, BF, &sep), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 5, BF, &a1), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 1, BF, &sep), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 7, BF, &a2), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 1, BF, &sep), 0);
	ATF_REQUIRE_EQ(a3, 0x00);
	ATF_REQUIRE_EQ(a4, 0x11);
	ATF_REQUIRE_EQ(a1, 0x26);
	ATF_REQUIRE_EQ(a2, 0x2c);
	ATF_REQUIRE_EQ(sep, 0x33);
	vmem_free(vm, a3, 16);
	vmem_free(vm, a4, 20);
	vmem_free(vm, a1, 5);
	vmem_free(vm, a2, 7);
	return vm;
}

/* Allocate with the given constraints, check the address, free again. */
static void
probe(vmem_t *vm, vmem_size_t size, vmem_size_t align, vmem_addr_t minaddr,
    vmem_addr_t maxaddr, vm_flag_t flags, vmem_addr_t expect)
{
	vmem_addr_t a = 0xdead;
	int error;

	error = vmem_xalloc(vm, size, align, 0, 0, minaddr, maxaddr, flags,
	    &a);
	ATF_CHECK_MSG(error == 0 && a == expect,
	    "%s size %ju align %ju [0x%jx, 0x%jx]: error %d addr 0x%jx, "
	    "expected 0x%jx", (flags & VM_INSTANTFIT) ? "instant-fit" :
	    "best-fit", (uintmax_t)size, (uintmax_t)align,
	    (uintmax_t)minaddr, (uintmax_t)maxaddr, error, (uintmax_t)a,
	    (uintmax_t)expect);
	if (error == 0)
		vmem_xfree(vm, a, size);
}

ATF_TC_WITHOUT_HEAD(instantfit_vs_bestfit);
ATF_TC_BODY(instantfit_vs_bestfit, tc)
{
	static const struct seg crafted[] = {
		STATIC(0, 10000), FREE(0x00, 16), BUSY(0x10, 1),
		FREE(0x11, 20), BUSY(0x25, 1), FREE(0x26, 5), BUSY(0x2b, 1),
		FREE(0x2c, 7), BUSY(0x33, 1), FREE(0x34, 10000 - 0x34),
	};
	struct nbm_machine *m = h_boot_enter();
	const vmem_addr_t MAX = VMEM_ADDR_MAX;
	struct nbm_vmem_stat st;
	vmem_t *vm;

	vm = crafted_arena();
	expect_segs(vm, crafted, __arraycount(crafted));
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_freelist[2], 2);
	ATF_CHECK_EQ(st.vs_freelist[4], 2);
	ATF_CHECK_EQ(st.vs_freelist[13], 1);
	ATF_CHECK_EQ(st.vs_nsegs_free, 5);
	ATF_CHECK_EQ(st.vs_largest_free, 10000 - 0x34);
	/*
	 * 5 quanta: instant-fit starts at list ceil(log2 5) = 3 (empty), so
	 * takes the head of list 4, a4; best-fit starts at list 2 and takes
	 * its head, a2, the last one freed.  Each probe frees what it got,
	 * which puts the same tag back at the head of the same list.
	 */
	probe(vm, 5, 0, 0, MAX, IF, 0x11);
	probe(vm, 5, 0, 0, MAX, BF, 0x2c);
	probe(vm, 7, 0, 0, MAX, BF, 0x2c);
	/* A power of 2 starts both at floor(log2): list 2, head a2. */
	probe(vm, 4, 0, 0, MAX, IF, 0x2c);
	expect_segs(vm, crafted, __arraycount(crafted));
	vmem_xfreeall(vm);
	vmem_destroy(vm);

	/*
	 * 9 quanta aligned to 16: a4 [0x11, 0x25) holds no 16-aligned run of
	 * 9, a3 does.  Instant-fit tests only the head of list 4, a4, and
	 * moves on to the tail; best-fit walks list 4 on to a3.
	 */
	vm = crafted_arena();
	probe(vm, 9, 16, 0, MAX, IF, 0x40);
	probe(vm, 9, 16, 0, MAX, BF, 0x00);
	vmem_xfreeall(vm);
	vmem_destroy(vm);

	/*
	 * With maxaddr 0xf every list head fails (a2, a4, the tail), so
	 * instant-fit falls back to best-fit from list 2, which walks a2, a1
	 * and a4 and finds a3.
	 */
	vm = crafted_arena();
	probe(vm, 4, 0, 0, 0xf, IF, 0x00);
	vmem_xfreeall(vm);
	vmem_destroy(vm);

	/*
	 * LIFO: once a1's range is freed last, a1 heads list 2.  Best-fit
	 * then takes it for 5 quanta, and skips it (too small) for 6.
	 */
	vm = crafted_arena();
	ATF_REQUIRE_EQ(vmem_xalloc_addr(vm, 0x26, 5, VM_NOSLEEP), 0);
	vmem_xfree(vm, 0x26, 5);
	probe(vm, 5, 0, 0, MAX, BF, 0x26);
	probe(vm, 6, 0, 0, MAX, BF, 0x2c);
	probe(vm, 5, 0, 0, MAX, IF, 0x11);
	expect_segs(vm, crafted, __arraycount(crafted));
	vmem_xfreeall(vm);
	vmem_destroy(vm);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(carving);
ATF_TC_BODY(carving, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vmem_addr_t a, b;
	vmem_t *vm;

	vm = vmem_create("carve", 0x10000, 0x10000, 0x1000, NULL, NULL, NULL,
	    0, VM_SLEEP, IPL_NONE);
	/* Prefix and suffix. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x2000, 0, 0, 0, 0x13000, VMEM_ADDR_MAX,
	    BF, &a), 0);
	ATF_CHECK_EQ(a, 0x13000);
	{
		static const struct seg exp[] = {
			STATIC(0x10000, 0x10000), FREE(0x10000, 0x3000),
			BUSY(0x13000, 0x2000), FREE(0x15000, 0xb000),
		};
		expect_segs(vm, exp, __arraycount(exp));
	}
	/* Exact fit: the free tag itself turns busy. */
	ATF_REQUIRE_EQ(vmem_xalloc_addr(vm, 0x10000, 0x3000, VM_NOSLEEP), 0);
	/* Suffix only. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, IF, &b), 0);
	ATF_CHECK_EQ(b, 0x15000);
	{
		static const struct seg exp[] = {
			STATIC(0x10000, 0x10000), BUSY(0x10000, 0x3000),
			BUSY(0x13000, 0x2000), BUSY(0x15000, 0x1000),
			FREE(0x16000, 0xa000),
		};
		expect_segs(vm, exp, __arraycount(exp));
	}
	/* Free in the middle: no merge with busy neighbours. */
	vmem_xfree(vm, 0x13000, 0x2000);
	/* Free next to it: merges with the following free segment too. */
	vmem_free(vm, b, 0x1000);
	{
		static const struct seg exp[] = {
			STATIC(0x10000, 0x10000), BUSY(0x10000, 0x3000),
			FREE(0x13000, 0xd000),
		};
		expect_segs(vm, exp, __arraycount(exp));
	}
	vmem_xfree(vm, 0x10000, 0x3000);
	expect_one_free_span(vm, 0x10000, 0x10000);
	vmem_destroy(vm);
	h_shutdown(m);
}

/* ---- constraints */

ATF_TC_WITHOUT_HEAD(constraints);
ATF_TC_BODY(constraints, tc)
{
	struct nbm_machine *m = h_boot_enter();
	const vm_flag_t SLEEPBF = VM_SLEEP | VM_BESTFIT;
	vmem_addr_t a;
	vmem_t *vm;

	vm = vmem_create("c", 0x100000, 0x100000, 0x1000, NULL, NULL, NULL, 0,
	    VM_SLEEP, IPL_NONE);
	/* align: 0x100000 is 64 KiB aligned already. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x1000, 0x10000, 0, 0, 0,
	    VMEM_ADDR_MAX, BF, &a), 0);
	ATF_CHECK_EQ(a, 0x100000);
	/* phase: the first address >= 0x101000 that is 0x3000 mod 64 KiB. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x1000, 0x10000, 0x3000, 0, 0,
	    VMEM_ADDR_MAX, IF, &a), 0);
	ATF_CHECK_EQ(a, 0x103000);
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x2000, 0x10000, 0xf000, 0, 0,
	    VMEM_ADDR_MAX, BF, &a), 0);
	ATF_CHECK_EQ(a, 0x10f000);
	/* nocross: [0x106000, 0x109000) would cross 0x108000. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x3000, 0, 0, 0x4000, 0x106000,
	    VMEM_ADDR_MAX, BF, &a), 0);
	ATF_CHECK_EQ(a, 0x108000);
	/* nocross with phase: next boundary plus phase. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x2000, 0x2000, 0x1000, 0x4000,
	    0x113000, VMEM_ADDR_MAX, BF, &a), 0);
	ATF_CHECK_EQ(a, 0x115000);
	/* minaddr/maxaddr are inclusive. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x1000, 0, 0, 0, 0x1ff000, 0x1fffff,
	    IF, &a), 0);
	ATF_CHECK_EQ(a, 0x1ff000);
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x2000, 0, 0, 0, 0x1fd000, 0x1fefff,
	    IF, &a), 0);
	ATF_CHECK_EQ(a, 0x1fd000);
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x2000, 0, 0, 0, 0x1fa000, 0x1fbffe, BF,
	    &a), ENOMEM);
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 0x2000, 0, 0, 0, 0x1fa000, 0x1fbfff,
	    BF, &a), 0);
	ATF_CHECK_EQ(a, 0x1fa000);
	/* Sizes round up to the quantum. */
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 1, 0, 0, 0, 0x1f0000, 0x1f0fff, BF,
	    &a), 0);
	ATF_CHECK_EQ(a, 0x1f0000);
	vmem_xfree(vm, a, 1);

	/*
	 * Constrained requests fail at once even with VM_SLEEP: no 2 MiB
	 * aligned address lies in the span, no free address is 0x1000 past
	 * a 1 MiB boundary, nothing is free from 0x1fe000 on.
	 */
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x1000, 0x200000, 0, 0, 0, VMEM_ADDR_MAX,
	    SLEEPBF, &a), ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x1000, 0x100000, 0x1000, 0, 0x180000,
	    VMEM_ADDR_MAX, SLEEPBF, &a), ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x2000, 0, 0, 0x2000, 0x1fe000,
	    VMEM_ADDR_MAX, SLEEPBF, &a), ENOMEM);

	/* vmem_xalloc_addr: exact ranges, busy ranges, unrounded sizes. */
	ATF_CHECK_EQ(vmem_xalloc_addr(vm, 0x120000, 0x3000, VM_NOSLEEP), 0);
	ATF_CHECK_EQ(vmem_xalloc_addr(vm, 0x121000, 0x1000, VM_NOSLEEP),
	    ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc_addr(vm, 0x130000, 0x1800, VM_NOSLEEP),
	    ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc_addr(vm, 0x130000, 0x2000,
	    VM_NOSLEEP | VM_INSTANTFIT), 0);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x13000);
	vmem_xfreeall(vm);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	expect_one_free_span(vm, 0x100000, 0x100000);
	vmem_destroy(vm);
	h_shutdown(m);
}

/* ---- subr_vmem.c 1.118 UNITTEST probes (spec 1.13, steps 1-3) */

ATF_TC_WITHOUT_HEAD(unittest_probes);
ATF_TC_BODY(unittest_probes, tc)
{
	struct nbm_machine *m = h_boot_enter();
	const vm_flag_t strat = VM_INSTANTFIT;
	vmem_addr_t p;
	vmem_t *vm;
	int rc;

	vm = vmem_create("test", 0, 0, 1, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_NONE);
	ATF_REQUIRE(vm != NULL);
	vmem_dump(vm, nbm_print_pr);
	expect_printed("vmem P 'test'\n");

	ATF_CHECK_EQ(vmem_add(vm, 0, 50, VM_SLEEP), 0);
	ATF_CHECK_EQ(vmem_add(vm, 100, 200, VM_SLEEP), 0);
	ATF_CHECK_EQ(vmem_add(vm, 2000, 1, VM_SLEEP), 0);
	ATF_CHECK_EQ(vmem_add(vm, 40000, 65536, VM_SLEEP), 0);
	ATF_CHECK_EQ(vmem_add(vm, 10000, 10000, VM_SLEEP), 0);
	ATF_CHECK_EQ(vmem_add(vm, 500, 1000, VM_SLEEP), 0);
	ATF_CHECK_EQ(vmem_add(vm, 0xffffff00, 0x100, VM_SLEEP), 0);

	/* Expected failures use VM_NOSLEEP: VM_SLEEP would wait forever. */
	rc = vmem_xalloc(vm, 0x101, 0, 0, 0, 0xffffff00, 0xffffffff,
	    strat | VM_NOSLEEP, &p);
	ATF_CHECK(rc != 0);
	rc = vmem_xalloc(vm, 50, 0, 0, 0, 0, 49, strat | VM_SLEEP, &p);
	ATF_CHECK(rc == 0 && p == 0);
	vmem_xfree(vm, p, 50);
	rc = vmem_xalloc(vm, 25, 0, 0, 0, 0, 24, strat | VM_SLEEP, &p);
	ATF_CHECK(rc == 0 && p == 0);
	rc = vmem_xalloc(vm, 0x100, 0, 0, 0, 0xffffff01, 0xffffffff,
	    strat | VM_NOSLEEP, &p);
	ATF_CHECK(rc != 0);
	rc = vmem_xalloc(vm, 0x100, 0, 0, 0, 0xffffff00, 0xfffffffe,
	    strat | VM_NOSLEEP, &p);
	ATF_CHECK(rc != 0);
	rc = vmem_xalloc(vm, 0x100, 0, 0, 0, 0xffffff00, 0xffffffff,
	    strat | VM_SLEEP, &p);
	ATF_CHECK(rc == 0 && p == 0xffffff00);

	h_print_reset();
	vmem_dump(vm, nbm_print_pr);
	expect_printed(
	    "vmem P 'test'\n"
	    "\tP: 0, 32, 2(static span)\n"
	    "\tP: 0, 19, 4(busy)\n"
	    "\tP: 19, 19, 3(free)\n"
	    "\tP: 64, c8, 2(static span)\n"
	    "\tP: 64, c8, 3(free)\n"
	    "\tP: 7d0, 1, 2(static span)\n"
	    "\tP: 7d0, 1, 3(free)\n"
	    "\tP: 9c40, 10000, 2(static span)\n"
	    "\tP: 9c40, 10000, 3(free)\n"
	    "\tP: 2710, 2710, 2(static span)\n"
	    "\tP: 2710, 2710, 3(free)\n"
	    "\tP: 1f4, 3e8, 2(static span)\n"
	    "\tP: 1f4, 3e8, 3(free)\n"
	    "\tP: ffffff00, 100, 2(static span)\n"
	    "\tP: ffffff00, 100, 4(busy)\n"
	    "freelist[0]\n"
	    "\tP: 7d0, 1, 3(free)\n"
	    "freelist[4]\n"
	    "\tP: 19, 19, 3(free)\n"
	    "freelist[7]\n"
	    "\tP: 64, c8, 3(free)\n"
	    "freelist[9]\n"
	    "\tP: 1f4, 3e8, 3(free)\n"
	    "freelist[13]\n"
	    "\tP: 2710, 2710, 3(free)\n"
	    "freelist[16]\n"
	    "\tP: 9c40, 10000, 3(free)\n");
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 25 + 0x100);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE),
	    50 + 200 + 1 + 65536 + 10000 + 1000 + 0x100);
	vmem_xfreeall(vm);
	vmem_destroy(vm);
	h_shutdown(m);
}

/* ---- spans */

ATF_TC_WITHOUT_HEAD(spans_never_merge);
ATF_TC_BODY(spans_never_merge, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vmem_addr_t a, b;
	vmem_t *vm;

	vm = vmem_create("spans", 0, 100, 1, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_NONE);
	ATF_REQUIRE_EQ(vmem_add(vm, 100, 100, VM_NOSLEEP), 0);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_FREE), 200);
	/* 150 contiguous units exist, but across two spans. */
	ATF_CHECK_EQ(vmem_alloc(vm, 150, BF, &a), ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc(vm, 20, 0, 0, 0, 90, 109, BF, &a), ENOMEM);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 100, IF, &a), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 100, IF, &b), 0);
	ATF_CHECK((a == 0 && b == 100) || (a == 100 && b == 0));
	vmem_free(vm, a, 100);
	vmem_free(vm, b, 100);
	{
		static const struct seg exp[] = {
			STATIC(0, 100), FREE(0, 100),
			STATIC(100, 100), FREE(100, 100),
		};
		expect_segs(vm, exp, __arraycount(exp));
	}
	vmem_destroy(vm);
	h_shutdown(m);
}

/* An importer that hands out consecutive ranges and records its calls. */
struct imp {
	vmem_t		*vm;		/* the importing arena */
	vmem_addr_t	 next;		/* next range to hand out */
	int		 nimport;	/* calls */
	int		 nrelease;
	int		 limit;		/* fail after this many */
	vmem_size_t	 lastsize;	/* size asked for */
	vm_flag_t	 lastflags;	/* flags given */
	vmem_addr_t	 reladdr;	/* last release */
	vmem_size_t	 relsize;
	int		 xfactor;	/* ximport: actual = factor * size */
	bool		 lockheld;	/* arena locked during a callback */
};

static int
imp_import(void *arg, vmem_size_t size, vm_flag_t flags, vmem_addr_t *addrp)
{
	struct imp *ip = arg;

	ip->lockheld |= ip->vm != NULL && mutex_owned(&ip->vm->vm_lock);
	ip->lastsize = size;
	ip->lastflags = flags;
	if (ip->nimport++ >= ip->limit)
		return ENOSPC;
	*addrp = ip->next;
	ip->next += size + 0x100000;
	return 0;
}

static int
imp_ximport(void *arg, vmem_size_t size, vmem_size_t *actualp,
    vm_flag_t flags, vmem_addr_t *addrp)
{
	struct imp *ip = arg;
	int error;

	error = imp_import(arg, size * ip->xfactor, flags, addrp);
	ip->lastsize = size;
	if (error == 0)
		*actualp = size * ip->xfactor;
	return error;
}

static void
imp_release(void *arg, vmem_addr_t addr, vmem_size_t size)
{
	struct imp *ip = arg;

	ip->lockheld |= ip->vm != NULL && mutex_owned(&ip->vm->vm_lock);
	ip->nrelease++;
	ip->reladdr = addr;
	ip->relsize = size;
}

ATF_TC_WITHOUT_HEAD(import_from_source_arena);
ATF_TC_BODY(import_from_source_arena, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vmem_t *parent, *child, *big;
	struct nbm_vmem_stat st;
	vmem_addr_t a, b, c;

	parent = vmem_create("parent", 0x10000000, 0x1000000, 0x1000, NULL,
	    NULL, NULL, 0, VM_SLEEP, IPL_VM);
	child = vmem_create("child", 0, 0, 0x1000,
	    (vmem_import_t *)vmem_alloc, (vmem_release_t *)vmem_free, parent,
	    0, VM_SLEEP, IPL_VM);
	ATF_REQUIRE(parent != NULL && child != NULL);
	ATF_CHECK_EQ(vmem_size(child, VMEM_ALLOC | VMEM_FREE), 0);

	ATF_REQUIRE_EQ(vmem_alloc(child, 0x3000, VM_SLEEP | VM_INSTANTFIT,
	    &a), 0);
	ATF_CHECK_EQ(a, 0x10000000);
	ATF_REQUIRE_EQ(vmem_alloc(child, 0x1000, VM_SLEEP | VM_BESTFIT, &b),
	    0);
	ATF_CHECK_EQ(b, 0x10003000);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0x4000);
	ATF_CHECK_EQ(vmem_size(child, VMEM_ALLOC | VMEM_FREE), 0x4000);
	nbm_vmem_getstat(child, &st);
	ATF_CHECK_EQ(st.vs_nspans, 2);
	ATF_CHECK_EQ(st.vs_nimported, 2);
	{
		static const struct seg exp[] = {
			SPAN(0x10000000, 0x3000), BUSY(0x10000000, 0x3000),
			SPAN(0x10003000, 0x1000), BUSY(0x10003000, 0x1000),
		};
		expect_segs(child, exp, __arraycount(exp));
	}
	/* A fully free imported span goes back to the source at once. */
	vmem_free(child, a, 0x3000);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0x1000);
	ATF_CHECK_EQ(vmem_size(child, VMEM_ALLOC | VMEM_FREE), 0x1000);
	vmem_free(child, b, 0x1000);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0);
	ATF_CHECK_EQ(vmem_size(child, VMEM_ALLOC | VMEM_FREE), 0);
	expect_segs(child, NULL, 0);

	/* VM_LARGEIMPORT: 16 times the request. */
	big = vmem_create("big", 0, 0, 0x1000, (vmem_import_t *)vmem_alloc,
	    (vmem_release_t *)vmem_free, parent, 0,
	    VM_SLEEP | VM_LARGEIMPORT, IPL_VM);
	ATF_REQUIRE_EQ(vmem_alloc(big, 0x1000, VM_SLEEP | VM_INSTANTFIT, &a),
	    0);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0x10000);
	ATF_CHECK_EQ(vmem_size(big, VMEM_ALLOC | VMEM_FREE), 0x10000);
	ATF_REQUIRE_EQ(vmem_alloc(big, 0x3000, VM_SLEEP | VM_INSTANTFIT, &b),
	    0);
	ATF_REQUIRE_EQ(vmem_alloc(big, 0xc000, VM_SLEEP | VM_INSTANTFIT, &c),
	    0);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0x10000);
	ATF_CHECK_EQ(vmem_size(big, VMEM_FREE), 0);
	/* Full: the next page imports another 16 pages. */
	vmem_free(big, b, 0x3000);
	ATF_REQUIRE_EQ(vmem_alloc(big, 0x4000, VM_SLEEP | VM_INSTANTFIT, &b),
	    0);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0x10000 + 0x40000);
	vmem_free(big, b, 0x4000);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0x10000);
	vmem_free(big, a, 0x1000);
	vmem_free(big, c, 0xc000);
	ATF_CHECK_EQ(vmem_size(parent, VMEM_ALLOC), 0);
	ATF_CHECK_EQ(vmem_size(big, VMEM_ALLOC | VMEM_FREE), 0);

	vmem_destroy(big);
	vmem_destroy(child);
	vmem_destroy(parent);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(import_contract);
ATF_TC_BODY(import_contract, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct imp ip;
	vmem_addr_t a, b;
	vmem_t *vm;

	/* The lock is dropped around import and release; flags as given. */
	memset(&ip, 0, sizeof(ip));
	ip.next = 0x40000000;
	ip.limit = 100;
	vm = vmem_create("imp", 0, 0, 0x1000, imp_import, imp_release, &ip,
	    0, VM_SLEEP, IPL_VM);
	ip.vm = vm;
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1800, VM_NOSLEEP | VM_BESTFIT, &a),
	    0);
	ATF_CHECK_EQ(a, 0x40000000);
	ATF_CHECK_EQ(ip.nimport, 1);
	ATF_CHECK_EQ(ip.lastsize, 0x2000);
	ATF_CHECK_EQ(ip.lastflags, VM_NOSLEEP | VM_BESTFIT);
	vmem_free(vm, a, 0x1800);
	ATF_CHECK_EQ(ip.nrelease, 1);
	ATF_CHECK_EQ(ip.reladdr, 0x40000000);
	ATF_CHECK_EQ(ip.relsize, 0x2000);
	ATF_CHECK(!ip.lockheld);

	/* Restrictions: no import is tried, ENOMEM even with VM_SLEEP. */
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x1000, 0x2000, 0, 0, 0, VMEM_ADDR_MAX,
	    VM_SLEEP | VM_BESTFIT, &a), ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x1000, 0x2000, 0x1000, 0, 0,
	    VMEM_ADDR_MAX, VM_SLEEP | VM_BESTFIT, &a), ENOMEM);
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x1000, 0, 0, 0x4000, 0, VMEM_ADDR_MAX,
	    VM_SLEEP | VM_BESTFIT, &a), ENOMEM);
	ATF_CHECK_EQ(ip.nimport, 1);

	/*
	 * min/max are not passed to the import: each imported span lies
	 * above maxaddr, so vmem imports until the importer fails.
	 */
	ip.limit = 4;
	ATF_CHECK_EQ(vmem_xalloc(vm, 0x1000, 0, 0, 0, 0, 0xfffffff,
	    VM_NOSLEEP | VM_INSTANTFIT, &a), ENOMEM);
	ATF_CHECK_EQ(ip.nimport, 5);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_FREE), 3 * 0x1000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	/* A failing importer means ENOMEM under VM_NOSLEEP. */
	ATF_CHECK_EQ(vmem_alloc(vm, 0x2000, VM_NOSLEEP | VM_INSTANTFIT, &a),
	    ENOMEM);
	ATF_CHECK_EQ(ip.nimport, 6);
	/* The imported pages are used, and released when freed. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, VM_NOSLEEP | VM_INSTANTFIT,
	    &b), 0);
	vmem_free(vm, b, 0x1000);
	ATF_CHECK_EQ(ip.nrelease, 2);
	ATF_CHECK_EQ(ip.relsize, 0x1000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE), 2 * 0x1000);
	vmem_destroy(vm);

	/* No import function behaves as a failed import. */
	vm = vmem_create("noimp", 0, 0, 1, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_NONE);
	ATF_CHECK_EQ(vmem_alloc(vm, 1, VM_NOSLEEP | VM_INSTANTFIT, &a),
	    ENOMEM);
	vmem_destroy(vm);

	/* No release function: imported spans are kept. */
	memset(&ip, 0, sizeof(ip));
	ip.next = 0x1000;
	ip.limit = 100;
	vm = vmem_create("norel", 0, 0, 1, imp_import, NULL, &ip, 0,
	    VM_SLEEP, IPL_NONE);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 10, VM_SLEEP | VM_INSTANTFIT, &a), 0);
	vmem_free(vm, a, 10);
	{
		static const struct seg exp[] = {
			SPAN(0x1000, 10), FREE(0x1000, 10),
		};
		expect_segs(vm, exp, __arraycount(exp));
	}
	vmem_destroy(vm);

	/* Static spans are never released, even with a release function. */
	memset(&ip, 0, sizeof(ip));
	vm = vmem_create("static", 0x5000, 0x1000, 0x1000, imp_import,
	    imp_release, &ip, 0, VM_SLEEP, IPL_NONE);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, VM_SLEEP | VM_INSTANTFIT, &a),
	    0);
	vmem_free(vm, a, 0x1000);
	ATF_CHECK_EQ(ip.nrelease, 0);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_FREE), 0x1000);
	vmem_destroy(vm);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(xcreate_actual_size);
ATF_TC_BODY(xcreate_actual_size, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct imp ip;
	vmem_addr_t a, b;
	vmem_t *vm;

	memset(&ip, 0, sizeof(ip));
	ip.next = 0x200000;
	ip.limit = 100;
	ip.xfactor = 4;
	vm = vmem_xcreate("ximp", 0, 0, 0x1000, imp_ximport, imp_release, &ip,
	    0, VM_SLEEP | VM_LARGEIMPORT, IPL_NONE);
	ip.vm = vm;
	ATF_REQUIRE(vm != NULL);
	ATF_CHECK((vm->vm_flags & VM_XIMPORT) != 0);
	/* 16x under LARGEIMPORT, then the importer gives 4x that. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, VM_SLEEP | VM_INSTANTFIT, &a),
	    0);
	ATF_CHECK_EQ(ip.lastsize, 0x10000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE), 0x40000);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x3f000, VM_SLEEP | VM_INSTANTFIT, &b),
	    0);
	ATF_CHECK_EQ(ip.nimport, 1);
	vmem_free(vm, a, 0x1000);
	ATF_CHECK_EQ(ip.nrelease, 0);
	vmem_free(vm, b, 0x3f000);
	ATF_CHECK_EQ(ip.nrelease, 1);
	ATF_CHECK_EQ(ip.reladdr, 0x200000);
	ATF_CHECK_EQ(ip.relsize, 0x40000);
	ATF_CHECK(!ip.lockheld);
	vmem_destroy(vm);
	h_shutdown(m);
}

/* ---- boundary tags */

ATF_TC_WITHOUT_HEAD(privtags);
ATF_TC_BODY(privtags, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct vmem_btag tags[VMEM_EST_BTCOUNT(1, 8)];
	struct vmem store;
	struct nbm_vmem_stat st;
	struct imp ip;
	vmem_addr_t a[9];
	vmem_t *vm;
	int i;

	ATF_CHECK_EQ(__arraycount(tags), 2 + 16 + 4);
	vm = vmem_init(&store, "priv", 0, 0, 1, NULL, NULL, NULL, 0,
	    VM_NOSLEEP | VM_PRIVTAGS, IPL_VM);
	ATF_REQUIRE(vm == &store);
	/* No tags yet: adding a span fails. */
	ATF_CHECK_EQ(vmem_add(vm, 0, 0x10000, VM_NOSLEEP), ENOMEM);
	vmem_add_bts(vm, tags, __arraycount(tags));
	ATF_REQUIRE_EQ(vmem_add(vm, 0, 0x10000, VM_NOSLEEP), 0);
	/* The worst case: each allocation leaves a prefix and a suffix. */
	for (i = 0; i < 8; i++)
		ATF_REQUIRE_EQ_MSG(vmem_xalloc(vm, 16, 0, 0, 0, i * 0x1000 + 8,
		    VMEM_ADDR_MAX, VM_NOSLEEP | VM_BESTFIT, &a[i]), 0,
		    "allocation %d", i);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_nfreetags, 4);
	/* Space is there, tags are not (the last 4 are the reserve). */
	ATF_CHECK_EQ(vmem_xalloc(vm, 16, 0, 0, 0, 0x9000, VMEM_ADDR_MAX,
	    VM_NOSLEEP | VM_BESTFIT, &a[8]), ENOMEM);
	ATF_CHECK_EQ(vmem_alloc(vm, 1, VM_NOSLEEP | VM_INSTANTFIT, &a[8]),
	    ENOMEM);
	/* VM_POPULATING may dip into the reserve. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 1, VM_NOSLEEP | VM_INSTANTFIT |
	    VM_POPULATING, &a[8]), 0);
	vmem_free(vm, a[8], 1);
	/* A free returns tags: allocation works again. */
	vmem_xfree(vm, a[3], 16);
	ATF_REQUIRE_EQ(vmem_xalloc(vm, 16, 0, 0, 0, 0x9000, VMEM_ADDR_MAX,
	    VM_NOSLEEP | VM_BESTFIT, &a[3]), 0);
	vmem_xfreeall(vm);
	/* Private tags are never trimmed away. */
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_nfreetags, __arraycount(tags) - 2);
	vmem_destroy(vm);

	/* Tags for an imported span run out: it is released at once. */
	memset(&ip, 0, sizeof(ip));
	ip.next = 0x100;
	ip.limit = 100;
	vm = vmem_init(&store, "privimp", 0, 0, 1, imp_import, imp_release,
	    &ip, 0, VM_NOSLEEP | VM_PRIVTAGS, IPL_NONE);
	vmem_add_bts(vm, tags, 6);
	ATF_CHECK_EQ(vmem_alloc(vm, 10, VM_NOSLEEP | VM_INSTANTFIT, &a[0]),
	    ENOMEM);
	ATF_CHECK_EQ(ip.nimport, 1);
	ATF_CHECK_EQ(ip.nrelease, 1);
	ATF_CHECK_EQ(ip.reladdr, 0x100);
	ATF_CHECK_EQ(ip.relsize, 10);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE), 0);
	vmem_destroy(vm);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(tag_cache);
ATF_TC_BODY(tag_cache, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_vmem_stat st;
	vmem_addr_t a[200];
	vmem_t *vm;
	int i;

	/* Adding a span leaves the cache at the reserve... */
	vm = vmem_create("c1", 0, 1000, 1, NULL, NULL, NULL, 0, VM_NOSLEEP,
	    IPL_NONE);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_nfreetags, 4);
	vmem_destroy(vm);
	/* ... VM_BOOTSTRAP tops it up above it. */
	vm = vmem_create("c2", 0, 1000, 1, NULL, NULL, NULL, 0,
	    VM_NOSLEEP | VM_BOOTSTRAP, IPL_NONE);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_nfreetags, 5);
	/* Frees trim the cache to BT_MAXFREE (64). */
	for (i = 0; i < 200; i++)
		ATF_REQUIRE_EQ(vmem_alloc(vm, 1, IF, &a[i]), 0);
	for (i = 0; i < 200; i += 2)
		vmem_free(vm, a[i], 1);
	for (i = 1; i < 200; i += 2)
		vmem_free(vm, a[i], 1);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_nfreetags, 64);
	ATF_CHECK_EQ(st.vs_nbusytag, 0);
	ATF_CHECK_EQ(st.vs_maxbusytag, 200);
	vmem_destroy(vm);
	h_shutdown(m);
}

/* NetBSD's hash32_buf, written out again for the check. */
static uint32_t
t_hash32(vmem_addr_t addr)
{
	const uint8_t *p = (const uint8_t *)&addr;
	uint32_t h = 5381;
	size_t i;

	for (i = 0; i < sizeof(addr); i++)
		h = h * 257 + p[i];
	return h * 257;
}

static bool
in_bucket(vmem_t *vm, vmem_addr_t addr)
{
	const bt_t *bt;

	for (bt = vm->vm_hashlist[t_hash32(addr) & vm->vm_hashmask].lh_first;
	    bt != NULL; bt = bt->bt_hashlist.le_next)
		if (bt->bt_start == addr)
			return true;
	return false;
}

ATF_TC_WITHOUT_HEAD(busy_hash_growth);
ATF_TC_BODY(busy_hash_growth, tc)
{
	struct nbm_machine *m = h_boot_enter();
	static const struct {
		int	n;		/* busy tags */
		size_t	hashsize;	/* table after the n-th alloc */
	} steps[] = {
		{ 1, 1 }, { 2, 1 }, { 3, 4 }, { 8, 4 }, { 9, 16 }, { 32, 16 },
		{ 33, 64 }, { 129, 256 }, { 513, 1024 }, { 2049, 4096 },
		{ 8193, 16384 }, { 32768, 16384 }, { 32769, 65536 },
		{ 70000, 65536 },
	};
	struct nbm_vmem_stat st;
	vmem_addr_t *a;
	vmem_t *vm;
	size_t s;
	int i;

	a = calloc(70000, sizeof(*a));
	vm = vmem_create("hash", 0x1000, 70000 * 0x1000, 0x1000, NULL, NULL,
	    NULL, 0, VM_SLEEP, IPL_NONE);
	ATF_CHECK_EQ(vm->vm_hashlist, &vm->vm_hash0);
	for (i = 0, s = 0; i < 70000; i++) {
		ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, IF, &a[i]), 0);
		if (i + 1 == steps[s].n) {
			nbm_vmem_getstat(vm, &st);
			ATF_CHECK_EQ_MSG(st.vs_hashsize, steps[s].hashsize,
			    "%d busy: hash size %ju, expected %zu", i + 1,
			    (uintmax_t)st.vs_hashsize, steps[s].hashsize);
			s++;
		}
	}
	/* The bucket is hash32_buf of the address, masked. */
	for (i = 0; i < 70000; i += 97)
		ATF_CHECK_MSG(in_bucket(vm, a[i]), "0x%jx", (uintmax_t)a[i]);
	nbm_vmem_getstat(vm, &st);
	ATF_CHECK_EQ(st.vs_maxbusytag, 70000);
	for (i = 69999; i >= 0; i--)
		vmem_free(vm, a[i], 0x1000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	vmem_destroy(vm);
	free(a);
	h_shutdown(m);
}

/* ---- quantum caches (spec 1.9, 5 item 4) */

#define QC_FLAGS	(PR_NOALIGN | PR_NOTOUCH | PR_RECURSIVE)

static struct pool_sysctl pools[512];

/* The kern.pool record of the pool wchan into *rec; false if none. */
static bool
find_pool(struct nbm_machine *m, const char *wchan, struct pool_sysctl *rec)
{
	size_t i, n;

	n = nbm_pool_sysctl(m, pools, __arraycount(pools));
	ATF_REQUIRE(n <= __arraycount(pools));
	for (i = 0; i < n; i++) {
		if (strcmp(pools[i].pr_wchan, wchan) == 0) {
			if (rec != NULL)
				*rec = pools[i];
			return true;
		}
	}
	return false;
}

/* The number of pools whose name begins with prefix. */
static size_t
count_pools(struct nbm_machine *m, const char *prefix)
{
	size_t i, n, k = 0;

	n = nbm_pool_sysctl(m, pools, __arraycount(pools));
	ATF_REQUIRE(n <= __arraycount(pools));
	for (i = 0; i < n; i++)
		if (strncmp(pools[i].pr_wchan, prefix, strlen(prefix)) == 0)
			k++;
	return k;
}

/*
 * Check the quantum cache "<prefix><size>": item size, pool page, items
 * per page, flags, and that a cache sits on it.
 */
static void
expect_qcache(struct nbm_machine *m, const char *prefix, size_t size,
    size_t pagesz)
{
	struct pool_sysctl ps;
	char name[32];

	snprintf(name, sizeof(name), "%s%zu", prefix, size);
	if (!find_pool(m, name, &ps)) {
		ATF_CHECK_MSG(false, "no pool %s", name);
		return;
	}
	ATF_CHECK_EQ_MSG(ps.pr_size, size, "%s", name);
	ATF_CHECK_EQ_MSG(ps.pr_pagesize, pagesz, "%s", name);
	ATF_CHECK_EQ_MSG(ps.pr_itemsperpage, pagesz / size, "%s", name);
	ATF_CHECK_EQ_MSG(ps.pr_flags & QC_FLAGS, QC_FLAGS, "%s", name);
	ATF_CHECK_MSG(ps.pr_cache_meta_size != 0, "%s has no cache", name);
}

ATF_TC_WITHOUT_HEAD(qcache_kva);
ATF_TC_BODY(qcache_kva, tc)
{
	/* Pages of each kva cache: 11 shares 12's, 13..15 share 16's. */
	static const size_t npg[] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16 };
	struct nbm_config cfg;
	struct nbm_machine *m = h_boot_enter();
	vmem_t *vm = kmem_va_arena;
	vmem_addr_t a;
	size_t i;

	/* 64 MiB of kmem: qcache_max 16 pages, pool pages of 256 KiB. */
	ATF_CHECK_EQ(m->m_kmemsize, 64 << 20);
	ATF_CHECK_EQ(vm->vm_qcache_max, 16 * 4096);
	ATF_CHECK_EQ(vm->vm_qcache_allocator.pa_pagesz, 256 * 1024);
	for (i = 0; i < __arraycount(npg); i++)
		expect_qcache(m, "kva-", npg[i] * 4096, 256 * 1024);
	ATF_CHECK_EQ(count_pools(m, "kva-"), __arraycount(npg));
	ATF_CHECK(!find_pool(m, "kva-45056", NULL));
	ATF_CHECK(!find_pool(m, "kva-61440", NULL));
	ATF_CHECK_EQ(vm->vm_qcache[10], vm->vm_qcache[11]);
	ATF_CHECK(vm->vm_qcache[9] != vm->vm_qcache[10]);
	for (i = 12; i < 15; i++)
		ATF_CHECK_EQ(vm->vm_qcache[i], vm->vm_qcache[15]);
	ATF_CHECK_STREQ(vm->vm_qcache[12]->qc_name, "kva-65536");
	for (i = 0; i < 16; i++)
		ATF_CHECK_EQ(QC_POOL_TO_QCACHE(&vm->vm_qcache[i]->qc_cache->
		    pc_pool), vm->vm_qcache[i]);
	/* The boot arenas live in static storage, not in kmem. */
	ATF_CHECK(!vm->vm_alloced);
	ATF_CHECK(!kmem_arena->vm_alloced);
	ATF_CHECK(!kmem_meta_arena->vm_alloced);
	ATF_CHECK(!kmem_va_meta_arena->vm_alloced);
	h_shutdown(m);

	/* Below 64 MiB: 4 pages, pool pages of 64 KiB, no aliases. */
	h_config(&cfg);
	cfg.physmem = 32ULL << 20;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	vm = kmem_va_arena;
	ATF_CHECK_EQ(vm->vm_qcache_max, 4 * 4096);
	for (i = 1; i <= 4; i++)
		expect_qcache(m, "kva-", i * 4096, 64 * 1024);
	ATF_CHECK_EQ(count_pools(m, "kva-"), 4);
	/* One page of VA costs kva a whole pool page. */
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 4096, VM_SLEEP | VM_INSTANTFIT, &a), 0);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 64 * 1024);
	vmem_free(vm, a, 4096);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 64 * 1024);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(qcache_side_effects);
ATF_TC_BODY(qcache_side_effects, tc)
{
	struct nbm_machine *m = boot_opts(NBM_OPT_DIAGNOSTIC);
	const vmem_addr_t b = 0x10000000;	/* no memory behind it */
	struct seg before[8], after[8];
	struct pool_sysctl ps;
	vmem_addr_t a[4];
	size_t n, i;
	vmem_t *vm;

	vm = vmem_create("qc", b, 0x100000, 0x1000, NULL, NULL, NULL,
	    4 * 0x1000, VM_SLEEP, IPL_VM);
	ATF_REQUIRE(vm != NULL);
	/* The smallest power of 2 above 3 * 16 KiB. */
	ATF_CHECK_EQ(vm->vm_qcache_allocator.pa_pagesz, 0x10000);
	for (i = 1; i <= 4; i++)
		expect_qcache(m, "qc-", i * 0x1000, 0x10000);

	/* The first item of the first pool page, which is busy as a whole. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, IF, &a[0]), 0);
	ATF_CHECK_EQ(a[0], b);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x10000);
	{
		const struct seg exp[] = {
			STATIC(b, 0x100000), BUSY(b, 0x10000),
			FREE(b + 0x10000, 0xf0000),
		};
		expect_segs(vm, exp, __arraycount(exp));
	}
	/* The same page again: the arena does not change. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x800, BF, &a[1]), 0);
	ATF_CHECK_EQ(a[1], b + 0x1000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x10000);
	/* Another size, another cache, another page. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x3000, IF, &a[2]), 0);
	ATF_CHECK_EQ(a[2], b + 0x10000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x20000);
	/* Above qcache_max: an ordinary segment. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x5000, IF, &a[3]), 0);
	ATF_CHECK_EQ(a[3], b + 0x20000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x25000);

	/* Frees of cached sizes leave the segment map and the sizes alone. */
	n = collect(vm, before, __arraycount(before));
	vmem_free(vm, a[0], 0x1000);
	vmem_free(vm, a[1], 0x800);
	vmem_free(vm, a[2], 0x3000);
	ATF_REQUIRE_EQ(collect(vm, after, __arraycount(after)), n);
	for (i = 0; i < n; i++)
		ATF_CHECK(before[i].s_start == after[i].s_start &&
		    before[i].s_size == after[i].s_size &&
		    before[i].s_type == after[i].s_type);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x25000);
	/* The CPU's cache hands the last freed item back first. */
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x1000, IF, &a[0]), 0);
	ATF_CHECK_EQ(a[0], b + 0x1000);
	vmem_free(vm, a[0], 0x1000);
	vmem_free(vm, a[3], 0x5000);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0x20000);
	/* Destroying the caches gives their pages back; no KASSERT fires. */
	vmem_destroy(vm);
	ATF_CHECK(!find_pool(m, "qc-4096", NULL));
	ATF_CHECK(!nbm_machine_dead(m));

	/* A NULL from the cache is ENOMEM: no room for a pool page. */
	vm = vmem_create("tiny", b, 0x8000, 0x1000, NULL, NULL, NULL,
	    4 * 0x1000, VM_SLEEP, IPL_NONE);
	ATF_CHECK_EQ(vmem_alloc(vm, 0x1000, IF, &a[0]), ENOMEM);
	ATF_REQUIRE(find_pool(m, "tiny-4096", &ps));
	ATF_CHECK_EQ(ps.pr_nfail, 1);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 0x8000, IF, &a[0]), 0);
	vmem_free(vm, a[0], 0x8000);
	vmem_destroy(vm);

	/*
	 * Quantum 1, 16 units: 64-unit pool pages; 13 units share the
	 * 16-unit cache, so two such items are 16 apart.
	 */
	vm = vmem_create("q1", 1, 1000, 1, NULL, NULL, NULL, 16, VM_SLEEP,
	    IPL_NONE);
	ATF_CHECK_EQ(vm->vm_qcache_allocator.pa_pagesz, 64);
	ATF_CHECK_EQ(count_pools(m, "q1-"), 12);
	ATF_CHECK_EQ(vm->vm_qcache[12], vm->vm_qcache[15]);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 13, IF, &a[0]), 0);
	ATF_REQUIRE_EQ(vmem_alloc(vm, 13, IF, &a[1]), 0);
	ATF_CHECK_EQ(a[0], 1);
	ATF_CHECK_EQ(a[1], 17);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 64);
	vmem_free(vm, a[0], 13);
	vmem_free(vm, a[1], 13);
	vmem_destroy(vm);
	ATF_CHECK_EQ(count_pools(m, "q1-"), 0);
	h_shutdown(m);
}

/* ---- where tags and arenas come from (spec 1.8, 1.3) */

/* The tags an arena holds: its spans, segments and cached tags. */
static void
count_tags(vmem_t *vm, void *arg)
{
	struct nbm_vmem_stat st;
	uint64_t *n = arg;

	nbm_vmem_getstat(vm, &st);
	*n += st.vs_nspans + st.vs_nbusytag + st.vs_nsegs_free +
	    st.vs_nfreetags;
}

/*
 * Every tag is on the static list, in the vmembt pool, or in an arena:
 * the tags of all arenas are the static ones in use plus the pool's out.
 */
static void
expect_tags_accounted(struct nbm_machine *m)
{
	struct pool_sysctl bt;
	uint64_t count, inuse, n = 0;

	nbm_vmem_btag_evcnt(m, &count, &inuse);
	ATF_REQUIRE(find_pool(m, "vmembt", &bt));
	nbm_vmem_foreach(m, count_tags, &n);
	ATF_CHECK_EQ_MSG(n, inuse + bt.pr_nout, "%ju tags in arenas, %ju "
	    "static in use, %ju from the pool", (uintmax_t)n,
	    (uintmax_t)inuse, (uintmax_t)bt.pr_nout);
}

/* Bytes of the pools whose pages come from kmem_meta_arena. */
static size_t
meta_pool_bytes(struct nbm_machine *m)
{
	static const char *const meta[] = {
		"pcache", "pcachecpu", "pcglarge", "pcgnormal", "vmembt",
	};
	size_t i, j, n, bytes = 0;

	n = nbm_pool_sysctl(m, pools, __arraycount(pools));
	for (i = 0; i < n; i++) {
		for (j = 0; j < __arraycount(meta); j++)
			if (strcmp(pools[i].pr_wchan, meta[j]) == 0)
				break;
		if (j < __arraycount(meta) ||
		    strncmp(pools[i].pr_wchan, "phpool-", 7) == 0)
			bytes += pools[i].pr_npages * pools[i].pr_pagesize;
	}
	return bytes;
}

ATF_TC_WITHOUT_HEAD(btag_supply);
ATF_TC_BODY(btag_supply, tc)
{
	struct nbm_machine *m = h_boot_enter();
	vmem_t *const boot[] = {
		kmem_arena, kmem_va_meta_arena, kmem_meta_arena,
	};
	struct pool_sysctl bt0, bt1;
	struct nbm_vmem_stat st;
	uint64_t count, inuse;
	vmem_addr_t a;
	vmem_t *vm;
	size_t i;
	int k;

	/* The boot arenas live on the 200 static tags at first. */
	nbm_vmem_btag_evcnt(m, &count, &inuse);
	ATF_CHECK_EQ(count, 200);
	ATF_CHECK(inuse > 0 && inuse <= 200);
	ATF_REQUIRE(find_pool(m, "vmembt", &bt0));
	ATF_CHECK_EQ(bt0.pr_size, roundup(sizeof(bt_t), COHERENCY_UNIT));
	ATF_CHECK_EQ(bt0.pr_pagesize, 4096);
	ATF_CHECK_EQ(bt0.pr_itemsperpage, 63);
	ATF_CHECK((bt0.pr_flags & PR_PHINPAGE) != 0);
	ATF_CHECK_EQ(vmem_size(kmem_meta_arena, VMEM_ALLOC),
	    meta_pool_bytes(m));
	expect_tags_accounted(m);

	/*
	 * 20000 segments without sleeping: every 63 tags the pool grows
	 * through vmem-meta, vmem-va and kmem with VM_POPULATING.
	 */
	vm = vmem_create("many", 0x1000, 100000, 1, NULL, NULL, NULL, 0,
	    VM_NOSLEEP, IPL_VM);
	ATF_REQUIRE(vm != NULL);
	for (k = 0; k < 20000; k++)
		ATF_REQUIRE_EQ_MSG(vmem_alloc(vm, 1, IF, &a), 0, "%d", k);
	nbm_vmem_btag_evcnt(m, &count, &inuse);
	ATF_CHECK_EQ(inuse, 200);
	ATF_REQUIRE(find_pool(m, "vmembt", &bt1));
	ATF_CHECK(bt1.pr_nout - bt0.pr_nout >= 20000 - 200);
	ATF_CHECK(bt1.pr_npages >= (20000 - 200) / 63);
	expect_tags_accounted(m);
	/* The tags' pages are vmem-meta's, imported through vmem-va. */
	ATF_CHECK_EQ(vmem_size(kmem_meta_arena, VMEM_ALLOC),
	    meta_pool_bytes(m));
	nbm_vmem_getstat(kmem_meta_arena, &st);
	ATF_CHECK(st.vs_nimported > 0);
	/* Every refill left the meta arenas above their reserve. */
	for (i = 0; i < __arraycount(boot); i++) {
		nbm_vmem_getstat(boot[i], &st);
		ATF_CHECK_MSG(st.vs_nfreetags > 4, "%s: %ju free tags",
		    st.vs_name, (uintmax_t)st.vs_nfreetags);
	}
	/*
	 * Destroying the arena gives its tags back; what stays out is held
	 * by vmem-meta for the pool's pages, which the pool keeps until
	 * pool_reclaim.
	 */
	vmem_xfreeall(vm);
	vmem_destroy(vm);
	expect_tags_accounted(m);
	ATF_CHECK(!nbm_machine_dead(m));
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(btag_exhaustion);
ATF_TC_BODY(btag_exhaustion, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	vmem_addr_t a;
	vmem_t *vm;
	int k, n;

	/* 8 MiB of RAM hold well under 130000 tags. */
	h_config(&cfg);
	cfg.physmem = 8ULL << 20;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	vm = vmem_create("fill", 0x1000, 1000000, 1, NULL, NULL, NULL, 0,
	    VM_NOSLEEP, IPL_VM);
	ATF_REQUIRE(vm != NULL);
	for (n = 0; n < 200000; n++)
		if (vmem_alloc(vm, 1, IF, &a) != 0)
			break;
	/* Tag memory ran out: VM_NOSLEEP says ENOMEM, nothing panics. */
	ATF_CHECK(n > 1000 && n < 200000);
	ATF_CHECK(!nbm_machine_dead(m));
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), (vmem_size_t)n);
	/* Free 100 neighbours: their merges give tags back. */
	for (k = 0; k < 100; k++)
		vmem_xfree(vm, 0x1000 + (vmem_addr_t)k, 1);
	ATF_CHECK_EQ(vmem_alloc(vm, 1, IF, &a), 0);
	vmem_xfreeall(vm);
	vmem_destroy(vm);
	h_shutdown(m);
}

/* Two CPUs allocate and free at once, from a plain and a cached arena. */
struct btworker {
	struct nbm_machine *m;
	u_int		 cpu;
	vmem_t		*plain;
	vmem_t		*cached;
	int		 nfail;
};

static void *
btworker_main(void *arg)
{
	struct btworker *w = arg;
	vmem_addr_t a[3000], c[300];
	int i, round;

	ATF_REQUIRE_EQ(nbm_cpu_enter(w->m, w->cpu), 0);
	for (round = 0; round < 4; round++) {
		for (i = 0; i < 3000; i++)
			if (vmem_alloc(w->plain, 1, IF, &a[i]) != 0)
				w->nfail++;
		for (i = 0; i < 300; i++)
			if (vmem_alloc(w->cached, (size_t)(i % 4 + 1) * 0x1000,
			    IF, &c[i]) != 0)
				w->nfail++;
		for (i = 0; i < 3000; i++)
			vmem_free(w->plain, a[i], 1);
		for (i = 0; i < 300; i++)
			vmem_free(w->cached, c[i], (size_t)(i % 4 + 1) *
			    0x1000);
	}
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(btag_concurrent);
ATF_TC_BODY(btag_concurrent, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct btworker w[2];
	pthread_t t[2];
	vmem_t *plain, *cached;
	int i;

	plain = vmem_create("plain", 0x1000, 100000, 1, NULL, NULL, NULL, 0,
	    VM_NOSLEEP, IPL_VM);
	cached = vmem_create("cached", 0x10000000, 0x10000000, 0x1000, NULL,
	    NULL, NULL, 4 * 0x1000, VM_NOSLEEP, IPL_VM);
	ATF_REQUIRE(plain != NULL && cached != NULL);
	nbm_cpu_exit();
	for (i = 0; i < 2; i++) {
		w[i] = (struct btworker){ m, (u_int)i, plain, cached, 0 };
		ATF_REQUIRE_EQ(pthread_create(&t[i], NULL, btworker_main,
		    &w[i]), 0);
	}
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	/* A shortage of tags is no reason for a VM_NOSLEEP failure here. */
	ATF_CHECK_EQ(w[0].nfail + w[1].nfail, 0);
	ATF_CHECK_EQ(vmem_size(plain, VMEM_ALLOC), 0);
	expect_tags_accounted(m);
	vmem_destroy(cached);
	vmem_destroy(plain);
	expect_tags_accounted(m);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(arena_from_kmem);
ATF_TC_BODY(arena_from_kmem, tc)
{
	struct nbm_machine *m = h_boot_enter();
	char name[16];
	vmem_t *vm;

	vm = vmem_create("k", 0, 0x1000, 1, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_NONE);
	ATF_REQUIRE(vm != NULL);
	ATF_CHECK(vm->vm_alloced);
	/* pool_whatis: the struct is an item of a kmem cache. */
	h_print_reset();
	pool_whatis((uintptr_t)vm, nbm_print_pr);
	ATF_CHECK_MSG(strstr(h_printed(), "in POOL 'kmem-") != NULL &&
	    strstr(h_printed(), "(allocated)") != NULL, "%s", h_printed());
	ATF_REQUIRE(strstr(h_printed(), "'kmem-") != NULL);
	ATF_REQUIRE(sscanf(strstr(h_printed(), "'kmem-") + 1, "%15[^']",
	    name) == 1);
	vmem_destroy(vm);
	/* kmem_free: back in the CPU's cache of that kmem pool. */
	h_print_reset();
	pool_whatis((uintptr_t)vm, nbm_print_pr);
	ATF_CHECK_MSG(strstr(h_printed(), name) != NULL &&
	    strstr(h_printed(), "(cached by CPU 0)") != NULL, "%s",
	    h_printed());
	h_shutdown(m);
}

/* ---- sleeping */

struct sleeper {
	struct nbm_machine *m;
	vmem_t		*vm;
	vmem_size_t	 size;
	_Atomic int	 state;		/* 1 calling, 2 returned */
	int		 error;
	vmem_addr_t	 addr;
};

static void *
sleeper_thread(void *arg)
{
	struct sleeper *sl = arg;

	ATF_REQUIRE_EQ(nbm_cpu_enter(sl->m, 1), 0);
	atomic_store(&sl->state, 1);
	sl->error = vmem_alloc(sl->vm, sl->size, VM_SLEEP | VM_INSTANTFIT,
	    &sl->addr);
	atomic_store(&sl->state, 2);
	nbm_cpu_exit();
	return NULL;
}

static void
wait_for_sleeper(struct sleeper *sl)
{

	while (!cv_has_waiters(&sl->vm->vm_cv) &&
	    atomic_load(&sl->state) != 2)
		sched_yield();
}

ATF_TC_WITHOUT_HEAD(sleep_until_free);
ATF_TC_BODY(sleep_until_free, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct sleeper sl;
	vmem_addr_t a, b;
	pthread_t t;
	int ipl;

	for (ipl = IPL_NONE; ipl <= IPL_VM; ipl += IPL_VM) {
		memset(&sl, 0, sizeof(sl));
		sl.m = m;
		sl.vm = vmem_create("sleep", 0x1000, 0x2000, 0x1000, NULL,
		    NULL, NULL, 0, VM_SLEEP, ipl);
		sl.size = 0x2000;
		ATF_REQUIRE_EQ(vmem_alloc(sl.vm, 0x1000, IF, &a), 0);
		ATF_REQUIRE_EQ(vmem_alloc(sl.vm, 0x1000, IF, &b), 0);
		pthread_create(&t, NULL, sleeper_thread, &sl);
		wait_for_sleeper(&sl);
		ATF_CHECK_EQ(atomic_load(&sl.state), 1);
		/* Not enough yet: the sleeper retries and sleeps again. */
		vmem_free(sl.vm, a, 0x1000);
		wait_for_sleeper(&sl);
		vmem_free(sl.vm, b, 0x1000);
		pthread_join(t, NULL);
		ATF_CHECK_EQ(atomic_load(&sl.state), 2);
		ATF_CHECK_EQ(sl.error, 0);
		ATF_CHECK_EQ(sl.addr, 0x1000);
		ATF_CHECK_EQ(vmem_size(sl.vm, VMEM_ALLOC), 0x2000);
		vmem_free(sl.vm, sl.addr, 0x2000);
		vmem_destroy(sl.vm);
	}
	h_shutdown(m);
}

/* ---- interrupt context */

struct intr_arg {
	vmem_t		*vm;
	vm_flag_t	 flags;
	int		 error;
	vmem_addr_t	 addr;
};

static void
intr_alloc(void *arg)
{
	struct intr_arg *ia = arg;

	ia->error = vmem_alloc(ia->vm, 0x1000, ia->flags, &ia->addr);
	if (ia->error == 0)
		vmem_free(ia->vm, ia->addr, 0x1000);
}

static void
intr_size(void *arg)
{
	struct intr_arg *ia = arg;

	ia->addr = vmem_size(ia->vm, VMEM_ALLOC | VMEM_FREE);
}

static void
intr_alloc_in_handler(void *arg)
{

	(void)nbm_cpu_interrupt(IPL_VM, false, intr_alloc, arg);
}

ATF_TC_WITHOUT_HEAD(interrupt_safety);
ATF_TC_BODY(interrupt_safety, tc)
{
	struct nbm_machine *m = boot_opts(NBM_OPT_DEBUG);
	struct intr_arg ia;
	vmem_t *spin, *adaptive;

	spin = vmem_create("spin", 0x1000, 0x10000, 0x1000, NULL, NULL, NULL,
	    0, VM_SLEEP, IPL_VM);
	adaptive = vmem_create("adaptive", 0x1000, 0x10000, 0x1000, NULL,
	    NULL, NULL, 0, VM_SLEEP, IPL_NONE);
	ATF_CHECK(spin->vm_lock.mtx_spin);
	ATF_CHECK(!adaptive->vm_lock.mtx_spin);

	/* An IPL_VM arena works from a hard interrupt at IPL_VM. */
	ia = (struct intr_arg){ spin, VM_NOSLEEP | VM_INSTANTFIT, -1, 0 };
	ATF_CHECK_EQ(nbm_cpu_interrupt(IPL_VM, false, intr_alloc, &ia), 0);
	ATF_CHECK_EQ(ia.error, 0);
	ATF_CHECK_EQ(ia.addr, 0x1000);

	/* VM_SLEEP from an interrupt: assert_sleepable on DEBUG kernels. */
	ia = (struct intr_arg){ spin, VM_SLEEP | VM_INSTANTFIT, -1, 0 };
	h_expect_panic(m, intr_alloc_in_handler, &ia,
	    "assert_sleepable: interrupt");
	h_shutdown(m);

	/* An IPL_NONE arena has an adaptive lock: not from interrupts. */
	m = h_boot_enter();
	adaptive = vmem_create("adaptive", 0x1000, 0x10000, 0x1000, NULL,
	    NULL, NULL, 0, VM_SLEEP, IPL_NONE);
	/* vmem_size takes no lock: it works from anywhere. */
	ia = (struct intr_arg){ adaptive, 0, -1, 0 };
	ATF_CHECK_EQ(nbm_cpu_interrupt(IPL_HIGH, false, intr_size, &ia), 0);
	ATF_CHECK_EQ(ia.addr, 0x10000);
	ia = (struct intr_arg){ adaptive, VM_NOSLEEP | VM_INSTANTFIT, -1, 0 };
	h_expect_panic(m, intr_alloc_in_handler, &ia,
	    "assertion failed: !cpu_intr_p()");
	h_shutdown(m);
}

/* ---- debug output and statistics */

static void
count_arena(vmem_t *vm, void *arg)
{
	char *names = arg;

	strcat(names, vm->vm_name);
	strcat(names, " ");
}

ATF_TC_WITHOUT_HEAD(dump_print_whatis);
ATF_TC_BODY(dump_print_whatis, tc)
{
	struct nbm_machine *m = h_boot_enter();
	char names[256] = "";
	vmem_t *v1, *v2;
	vmem_addr_t a;

	v1 = vmem_create("one", 0x1000, 0x4000, 0x1000, NULL, NULL, NULL, 0,
	    VM_SLEEP, IPL_NONE);
	v2 = vmem_create("two", 0, 0x100, 1, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_VM);
	ATF_REQUIRE_EQ(vmem_alloc(v1, 0x1000, IF, &a), 0);
	ATF_REQUIRE_EQ(vmem_alloc(v2, 0x10, IF, &a), 0);

	h_print_reset();
	vmem_print((uintptr_t)v1, "", nbm_print_pr);
	expect_printed(
	    "vmem P 'one'\n"
	    "\tP: 1000, 4000, 2(static span)\n"
	    "\tP: 1000, 1000, 4(busy)\n"
	    "\tP: 2000, 3000, 3(free)\n"
	    "freelist[1]\n"
	    "\tP: 2000, 3000, 3(free)\n");

	/*
	 * Newest arena first, as NetBSD's LIST_INSERT_HEAD; the arenas the
	 * machine built at boot come after the test's.
	 */
	h_print_reset();
	vmem_printall("", nbm_print_pr);
	expect_printed_prefix(
	    "vmem P 'two'\n"
	    "\tP: 0, 100, 2(static span)\n"
	    "\tP: 0, 10, 4(busy)\n"
	    "\tP: 10, f0, 3(free)\n"
	    "freelist[7]\n"
	    "\tP: 10, f0, 3(free)\n"
	    "vmem P 'one'\n"
	    "\tP: 1000, 4000, 2(static span)\n"
	    "\tP: 1000, 1000, 4(busy)\n"
	    "\tP: 2000, 3000, 3(free)\n"
	    "freelist[1]\n"
	    "\tP: 2000, 3000, 3(free)\n");
	/* The exact header, pointer included. */
	h_print_reset();
	vmem_dump(v2, nbm_print_pr);
	{
		char hdr[64];

		snprintf(hdr, sizeof(hdr), "vmem %p 'two'\n\t", (void *)v2);
		ATF_CHECK(strncmp(h_printed(), hdr, strlen(hdr)) == 0);
	}

	h_print_reset();
	vmem_whatis(0x1800, nbm_print_pr);
	vmem_whatis(0x2345, nbm_print_pr);
	vmem_whatis(0x0, nbm_print_pr);
	vmem_whatis(0x20, nbm_print_pr);
	vmem_whatis(0x9000, nbm_print_pr);
	ATF_CHECK_STREQ(h_printed(),
	    "0x1800 is 0x1000+2048 in VMEM 'one' (allocated)\n"
	    "0x2345 is 0x2000+837 in VMEM 'one' (free)\n"
	    "0x0 is 0x0+0 in VMEM 'two' (allocated)\n"
	    "0x20 is 0x10+16 in VMEM 'two' (free)\n");

	nbm_vmem_foreach(m, count_arena, names);
	ATF_CHECK_STREQ(names, "two one kva vmem-meta vmem-va kmem ");
	vmem_destroy(v2);
	names[0] = '\0';
	nbm_vmem_foreach(m, count_arena, names);
	ATF_CHECK_STREQ(names, "one kva vmem-meta vmem-va kmem ");
	/* Left behind on purpose: shutdown frees it. */
	h_shutdown(m);
}

/* ---- programming errors */

struct perr {
	vmem_t		*vm;
	int		 what;
};

enum {
	PE_FREE_MISALIGNED, PE_XFREE_MISALIGNED, PE_FREE_UNKNOWN,
	PE_FREE_WRONGSIZE, PE_DESTROY_LIVE, PE_BOTH_SLEEP, PE_NO_SLEEP,
	PE_BOTH_FIT, PE_NO_FIT, PE_ALLOC_ZERO, PE_XALLOC_ZERO,
	PE_CREATE_XIMPORT, PE_PRIVTAGS_SIZE, PE_QUANTUM, PE_ALIGN,
	PE_PHASE, PE_NOCROSS, PE_MINMAX, PE_FREEALL_QCACHE, PE_ADDR_ALIGN,
	PE_NCASES
};

static const char *const perr_msg[PE_NCASES] = {
	[PE_FREE_MISALIGNED] = "vmem perr mask=0xfff addr=0x10800",
	[PE_XFREE_MISALIGNED] = "vmem perr mask=0xfff addr=0x10001",
	[PE_FREE_UNKNOWN] = "vmem perr addr 0x15000 size 0x1000",
	[PE_FREE_WRONGSIZE] = "\"bt->bt_size == vmem_roundup_size(vm, size) "
	    "|| bt->bt_size - vmem_roundup_size(vm, size) <= "
	    "vm->vm_quantum_mask\"",
	[PE_DESTROY_LIVE] = "\"bt->bt_type == BT_TYPE_SPAN_STATIC\"",
	[PE_BOTH_SLEEP] = "\"(~flags & (VM_SLEEP|VM_NOSLEEP)) != 0\"",
	[PE_NO_SLEEP] = "\"(flags & (VM_SLEEP|VM_NOSLEEP)) != 0\"",
	[PE_BOTH_FIT] = "\"strat == VM_BESTFIT || strat == VM_INSTANTFIT\"",
	[PE_NO_FIT] = "\"strat == VM_BESTFIT || strat == VM_INSTANTFIT\"",
	[PE_ALLOC_ZERO] = "\"size > 0\"",
	[PE_XALLOC_ZERO] = "\"size0 > 0\"",
	[PE_CREATE_XIMPORT] = "\"(flags & (VM_XIMPORT)) == 0\"",
	[PE_PRIVTAGS_SIZE] = "\"(flags & VM_PRIVTAGS) == 0 || size == 0\"",
	[PE_QUANTUM] = "\"powerof2(quantum)\"",
	[PE_ALIGN] = "\"(align & (align - 1)) == 0\"",
	[PE_PHASE] = "\"align == 0 || phase < align\"",
	[PE_NOCROSS] = "\"nocross == 0 || nocross >= size\"",
	[PE_MINMAX] = "\"minaddr <= maxaddr\"",
	[PE_FREEALL_QCACHE] = "\"vm->vm_qcache_max == 0\"",
	[PE_ADDR_ALIGN] = "\"(addr & vm->vm_quantum_mask) == 0\"",
};

static void
perr_run(void *arg)
{
	struct perr *pe = arg;
	vmem_t *vm = pe->vm;
	vmem_addr_t a;

	switch (pe->what) {
	case PE_FREE_MISALIGNED:
		vmem_free(vm, 0x10800, 0x1000);
		break;
	case PE_XFREE_MISALIGNED:
		vmem_xfree(vm, 0x10001, 0x1000);
		break;
	case PE_FREE_UNKNOWN:
		vmem_free(vm, 0x15000, 0x1000);
		break;
	case PE_FREE_WRONGSIZE:
		vmem_free(vm, 0x10000, 0x3000);
		break;
	case PE_DESTROY_LIVE:
		vmem_destroy(vm);
		break;
	case PE_BOTH_SLEEP:
		(void)vmem_alloc(vm, 0x1000, VM_SLEEP | VM_NOSLEEP |
		    VM_INSTANTFIT, &a);
		break;
	case PE_NO_SLEEP:
		(void)vmem_alloc(vm, 0x1000, VM_INSTANTFIT, &a);
		break;
	case PE_BOTH_FIT:
		(void)vmem_alloc(vm, 0x1000, VM_NOSLEEP | VM_INSTANTFIT |
		    VM_BESTFIT, &a);
		break;
	case PE_NO_FIT:
		(void)vmem_xalloc(vm, 0x1000, 0, 0, 0, 0, VMEM_ADDR_MAX,
		    VM_NOSLEEP, &a);
		break;
	case PE_ALLOC_ZERO:
		(void)vmem_alloc(vm, 0, IF, &a);
		break;
	case PE_XALLOC_ZERO:
		(void)vmem_xalloc(vm, 0, 0, 0, 0, 0, VMEM_ADDR_MAX, IF, &a);
		break;
	case PE_CREATE_XIMPORT:
		(void)vmem_create("x", 0, 0, 1, NULL, NULL, NULL, 0,
		    VM_SLEEP | VM_XIMPORT, IPL_NONE);
		break;
	case PE_PRIVTAGS_SIZE:
		(void)vmem_create("x", 0, 10, 1, NULL, NULL, NULL, 0,
		    VM_SLEEP | VM_PRIVTAGS, IPL_NONE);
		break;
	case PE_QUANTUM:
		(void)vmem_create("x", 0, 12, 3, NULL, NULL, NULL, 0,
		    VM_SLEEP, IPL_NONE);
		break;
	case PE_ALIGN:
		(void)vmem_xalloc(vm, 0x1000, 0x3000, 0, 0, 0, VMEM_ADDR_MAX,
		    IF, &a);
		break;
	case PE_PHASE:
		(void)vmem_xalloc(vm, 0x1000, 0x2000, 0x2000, 0, 0,
		    VMEM_ADDR_MAX, IF, &a);
		break;
	case PE_NOCROSS:
		(void)vmem_xalloc(vm, 0x3000, 0, 0, 0x2000, 0, VMEM_ADDR_MAX,
		    IF, &a);
		break;
	case PE_MINMAX:
		(void)vmem_xalloc(vm, 0x1000, 0, 0, 0, 0x20000, 0x10000, IF,
		    &a);
		break;
	case PE_FREEALL_QCACHE:
		vmem_xfreeall(vm);
		break;
	case PE_ADDR_ALIGN:
		(void)vmem_xalloc_addr(vm, 0x10800, 0x1000, VM_NOSLEEP);
		break;
	}
}

ATF_TC_WITHOUT_HEAD(diagnostic_panics);
ATF_TC_BODY(diagnostic_panics, tc)
{
	struct nbm_machine *m;
	struct perr pe;
	vmem_addr_t a;
	int what;

	for (what = 0; what < PE_NCASES; what++) {
		m = boot_opts(NBM_OPT_DIAGNOSTIC);
		pe.vm = vmem_create("perr", 0x10000, 0x10000, 0x1000, NULL,
		    NULL, NULL, what == PE_FREEALL_QCACHE ? 0x4000 : 0,
		    VM_SLEEP, IPL_NONE);
		pe.what = what;
		ATF_REQUIRE_EQ(vmem_alloc(pe.vm, 0x2000, IF, &a), 0);
		ATF_REQUIRE_EQ(a, 0x10000);
		h_expect_panic(m, perr_run, &pe, perr_msg[what]);
		h_shutdown(m);
	}

	/* The whole text is kern_assert()'s. */
	m = boot_opts(NBM_OPT_DIAGNOSTIC);
	pe.vm = vmem_create("perr", 0x10000, 0x10000, 0x1000, NULL, NULL,
	    NULL, 0, VM_SLEEP, IPL_NONE);
	pe.what = PE_ALLOC_ZERO;
	h_expect_panic(m, perr_run, &pe, "kernel diagnostic assertion "
	    "\"size > 0\" failed: file \"subr_vmem.c\", line ");
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(nondiagnostic_errors);
ATF_TC_BODY(nondiagnostic_errors, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct perr pe;
	vmem_addr_t a;

	/* Without DIAGNOSTIC the kernel carries on... */
	pe.vm = vmem_create("perr", 0x10000, 0x10000, 0x1000, NULL, NULL,
	    NULL, 0, VM_SLEEP, IPL_NONE);
	ATF_REQUIRE_EQ(vmem_alloc(pe.vm, 0x2000, IF, &a), 0);
	pe.what = PE_FREE_WRONGSIZE;
	ATF_CHECK_EQ(nbm_machine_try(m, perr_run, &pe), 0);
	ATF_CHECK_EQ(vmem_size(pe.vm, VMEM_ALLOC), 0);
	ATF_CHECK_EQ(vmem_alloc(pe.vm, 0, IF, &a), ENOMEM);
	ATF_REQUIRE_EQ(vmem_alloc(pe.vm, 0x2000, IF, &a), 0);
	pe.what = PE_DESTROY_LIVE;
	ATF_CHECK_EQ(nbm_machine_try(m, perr_run, &pe), 0);
	ATF_CHECK(!nbm_machine_dead(m));

	/* ... but not through an unknown address. */
	pe.vm = vmem_create("perr", 0x10000, 0x10000, 0x1000, NULL, NULL,
	    NULL, 0, VM_SLEEP, IPL_NONE);
	pe.what = PE_FREE_UNKNOWN;
	h_expect_panic(m, perr_run, &pe, "vmem perr addr 0x15000 size 0x1000");
	ATF_CHECK_STREQ(h_panicmsg(), "vmem perr addr 0x15000 size 0x1000");
	h_shutdown(m);
}

/* ---- randomized run against an interval model */

#define MAXSPANS	8
#define MAXLIVE		4096

struct model {
	vmem_size_t	 q;			/* quantum */
	int		 nspans;
	struct seg	 spans[MAXSPANS];	/* insertion order */
	int		 nlive;
	struct seg	 live[MAXLIVE];		/* sorted by start;
						   s_type: 1 = xalloc */
	vmem_size_t	 total, inuse;
};

struct req {
	vmem_size_t	 size;		/* rounded */
	vmem_size_t	 align;		/* defaulted to the quantum */
	vmem_size_t	 phase;
	vmem_size_t	 nocross;
	vmem_addr_t	 minaddr, maxaddr;
};

/*
 * model_lowest: the lowest feasible start in the free gap [a, b], or false.
 * Written independently of vmem_fit: step through candidates congruent to
 * phase, hopping whole nocross blocks.
 */
static bool
model_lowest(const struct req *r, vmem_addr_t a, vmem_addr_t b,
    vmem_addr_t *sp)
{
	vmem_addr_t lo = MAX(a, r->minaddr), hi = MIN(b, r->maxaddr), s;

	if (lo > hi)
		return false;
	if (lo <= r->phase)
		s = r->phase;
	else
		s = r->phase + (lo - r->phase + r->align - 1) / r->align *
		    r->align;
	for (;;) {
		if (s > hi || hi - s < r->size - 1)
			return false;
		if (r->nocross == 0 ||
		    s / r->nocross == (s + r->size - 1) / r->nocross)
			break;
		s = (s / r->nocross + 1) * r->nocross;
		if (s <= r->phase)
			s = r->phase;
		else
			s = r->phase + (s - r->phase + r->align - 1) /
			    r->align * r->align;
	}
	*sp = s;
	return true;
}

/* model_gap: the free gap holding addr, as [*ap, *bp]; false if busy. */
static bool
model_gap(const struct model *md, vmem_addr_t addr, vmem_addr_t *ap,
    vmem_addr_t *bp)
{
	const struct seg *sp;
	vmem_addr_t a, b;
	int i, j;

	for (i = 0; i < md->nspans; i++) {
		sp = &md->spans[i];
		if (addr < sp->s_start || addr - sp->s_start >= sp->s_size)
			continue;
		a = sp->s_start;
		b = sp->s_start + sp->s_size - 1;
		for (j = 0; j < md->nlive; j++) {
			const struct seg *l = &md->live[j];

			if (l->s_start < sp->s_start ||
			    l->s_start > b)
				continue;
			if (addr >= l->s_start &&
			    addr - l->s_start < l->s_size)
				return false;
			if (l->s_start + l->s_size - 1 < addr)
				a = MAX(a, l->s_start + l->s_size);
			else
				b = MIN(b, l->s_start - 1);
		}
		*ap = a;
		*bp = b;
		return true;
	}
	return false;
}

/* model_feasible: does any free gap admit the request? */
static bool
model_feasible(const struct model *md, const struct req *r,
    vmem_addr_t *where)
{
	const struct seg *sp;
	vmem_addr_t a, end, s;
	int i, j;

	for (i = 0; i < md->nspans; i++) {
		sp = &md->spans[i];
		a = sp->s_start;
		end = sp->s_start + sp->s_size;
		for (j = 0; j <= md->nlive; j++) {
			vmem_addr_t gend = end;

			if (j < md->nlive) {
				const struct seg *l = &md->live[j];

				if (l->s_start < sp->s_start ||
				    l->s_start >= end)
					continue;
				gend = l->s_start;
			}
			if (gend > a && model_lowest(r, a, gend - 1, &s)) {
				*where = s;
				return true;
			}
			if (j < md->nlive)
				a = md->live[j].s_start + md->live[j].s_size;
		}
	}
	return false;
}

static void
model_insert(struct model *md, vmem_addr_t start, vmem_size_t size, int x)
{
	int i;

	ATF_REQUIRE(md->nlive < MAXLIVE);
	for (i = md->nlive; i > 0 && md->live[i - 1].s_start > start; i--)
		md->live[i] = md->live[i - 1];
	md->live[i] = (struct seg){ start, size, x };
	md->nlive++;
	md->inuse += size;
}

/* The segment list vmem must have: spans in order, then maximal gaps. */
static size_t
model_expect(const struct model *md, struct seg *out, size_t max)
{
	const struct seg *sp;
	vmem_addr_t a, end;
	size_t n = 0;
	int i, j;

#define PUT(st, sz, ty) do {						\
	if (n < max)							\
		out[n] = (struct seg){ (st), (sz), (ty) };		\
	n++;								\
} while (0)
	for (i = 0; i < md->nspans; i++) {
		sp = &md->spans[i];
		PUT(sp->s_start, sp->s_size, BT_TYPE_SPAN_STATIC);
		a = sp->s_start;
		end = sp->s_start + sp->s_size;
		for (j = 0; j < md->nlive; j++) {
			const struct seg *l = &md->live[j];

			if (l->s_start < sp->s_start || l->s_start >= end)
				continue;
			if (l->s_start > a)
				PUT(a, l->s_start - a, BT_TYPE_FREE);
			PUT(l->s_start, l->s_size, BT_TYPE_BUSY);
			a = l->s_start + l->s_size;
		}
		if (end > a)
			PUT(a, end - a, BT_TYPE_FREE);
	}
#undef PUT
	return n;
}

struct cmp {
	const struct seg *exp;
	size_t		 n, i;
	bool		 ok;
};

static void
cmp_cb(vmem_addr_t start, vmem_size_t size, int type, void *arg)
{
	struct cmp *c = arg;

	if (c->i >= c->n || c->exp[c->i].s_start != start ||
	    c->exp[c->i].s_size != size || c->exp[c->i].s_type != type)
		c->ok = false;
	c->i++;
}

static void
stress(vmem_size_t q, int nsteps, uint64_t seed)
{
	static struct seg exp[2 * MAXLIVE + 4 * MAXSPANS];
	static const vmem_addr_t spanq[][2] = {	/* in quanta */
		{ 0, 4096 }, { 4096, 4096 }, { 20000, 3000 },
		{ 100000, 500 }, { 1 << 20, 16384 },
	};
	struct nbm_machine *m = boot_opts(NBM_OPT_DIAGNOSTIC);
	uint64_t rs = seed;
	struct model md;
	struct req r;
	vmem_t *vm;
	int step, i, nfail = 0, nok = 0, maxlive = 0;

	memset(&md, 0, sizeof(md));
	md.q = q;
	vm = vmem_create("stress", 0, 0, q, NULL, NULL, NULL, 0, VM_SLEEP,
	    IPL_NONE);
	for (i = 0; i < (int)__arraycount(spanq); i++) {
		ATF_REQUIRE_EQ(vmem_add(vm, spanq[i][0] * q, spanq[i][1] * q,
		    VM_SLEEP), 0);
		md.spans[md.nspans++] = (struct seg){ spanq[i][0] * q,
		    spanq[i][1] * q, BT_TYPE_SPAN_STATIC };
		md.total += spanq[i][1] * q;
	}

	for (step = 0; step < nsteps; step++) {
		uint64_t t = h_rand(&rs) % 100;
		vmem_size_t size0;
		vmem_addr_t addr = 0, where;
		vm_flag_t flags;
		int error, kind;

		if (t < 40 && md.nlive > 0) {
			struct seg l;

			i = (int)(h_rand(&rs) % (uint64_t)md.nlive);
			l = md.live[i];
			if (l.s_type)
				vmem_xfree(vm, l.s_start, l.s_size);
			else
				vmem_free(vm, l.s_start, l.s_size);
			md.inuse -= l.s_size;
			memmove(&md.live[i], &md.live[i + 1],
			    (size_t)(md.nlive - i - 1) * sizeof(md.live[0]));
			md.nlive--;
			goto check;
		}
		if (md.nlive >= MAXLIVE - 1)
			continue;
		size0 = h_rand(&rs) % 16 == 0 ? 2000 * q : 64 * q;
		size0 = 1 + h_rand(&rs) % size0;
		memset(&r, 0, sizeof(r));
		r.size = roundup(size0, q);
		r.align = q;
		r.minaddr = VMEM_ADDR_MIN;
		r.maxaddr = VMEM_ADDR_MAX;
		flags = (h_rand(&rs) & 1) ? VM_INSTANTFIT : VM_BESTFIT;
		kind = (int)(h_rand(&rs) % 10);
		if (kind < 4) {
			error = vmem_alloc(vm, size0, flags | VM_NOSLEEP,
			    &addr);
		} else if (kind == 4) {
			/* An exact address, sometimes busy, sometimes odd. */
			i = (int)(h_rand(&rs) % (uint64_t)md.nspans);
			addr = md.spans[i].s_start + (h_rand(&rs) % 4096) * q;
			if (q > 1 && h_rand(&rs) % 4 == 0)
				size0 = r.size - 1;
			r.minaddr = addr;
			r.maxaddr = addr + size0 - 1;
			error = vmem_xalloc_addr(vm, addr, size0, VM_NOSLEEP);
		} else {
			vmem_size_t align = 0, phase = 0, nocross = 0;

			if (h_rand(&rs) % 3 != 0)
				align = q << (h_rand(&rs) % 14);
			if (align != 0 && h_rand(&rs) % 2)
				phase = (h_rand(&rs) % (align / q)) * q;
			if (h_rand(&rs) % 3 == 0) {
				nocross = q << (h_rand(&rs) % 16);
				if (nocross < r.size || (phase / nocross !=
				    (phase + r.size - 1) / nocross))
					nocross = 0;
			}
			if (h_rand(&rs) % 2) {
				r.minaddr = (h_rand(&rs) % (1 << 21)) * q / 2;
				r.maxaddr = VMEM_ADDR_MAX;
				if (h_rand(&rs) % 2)
					r.maxaddr = r.minaddr +
					    (h_rand(&rs) % 8192) * q;
			}
			r.align = align != 0 ? align : q;
			r.phase = phase;
			r.nocross = nocross;
			/* Restricted requests never sleep: try VM_SLEEP. */
			if ((align > q || phase != 0 || nocross != 0) &&
			    (h_rand(&rs) & 1) != 0)
				flags |= VM_SLEEP;
			else
				flags |= VM_NOSLEEP;
			error = vmem_xalloc(vm, size0, align, phase, nocross,
			    r.minaddr, r.maxaddr, flags, &addr);
		}
		if (error != 0) {
			ATF_REQUIRE_EQ(error, ENOMEM);
			ATF_REQUIRE_MSG(!model_feasible(&md, &r, &where),
			    "step %d: size 0x%jx align 0x%jx phase 0x%jx "
			    "nocross 0x%jx [0x%jx, 0x%jx] failed, but 0x%jx "
			    "fits", step, (uintmax_t)r.size,
			    (uintmax_t)r.align, (uintmax_t)r.phase,
			    (uintmax_t)r.nocross, (uintmax_t)r.minaddr,
			    (uintmax_t)r.maxaddr, (uintmax_t)where);
			nfail++;
		} else {
			vmem_addr_t ga, gb, low;

			ATF_REQUIRE_MSG(model_gap(&md, addr, &ga, &gb),
			    "step %d: 0x%jx is not free", step,
			    (uintmax_t)addr);
			ATF_REQUIRE_MSG(model_lowest(&r, ga, gb, &low) &&
			    low == addr, "step %d: size 0x%jx align 0x%jx "
			    "phase 0x%jx nocross 0x%jx [0x%jx, 0x%jx] gave "
			    "0x%jx in gap [0x%jx, 0x%jx], lowest feasible "
			    "0x%jx", step, (uintmax_t)r.size,
			    (uintmax_t)r.align, (uintmax_t)r.phase,
			    (uintmax_t)r.nocross, (uintmax_t)r.minaddr,
			    (uintmax_t)r.maxaddr, (uintmax_t)addr,
			    (uintmax_t)ga, (uintmax_t)gb, (uintmax_t)low);
			model_insert(&md, addr, r.size, kind >= 4);
			maxlive = MAX(maxlive, md.nlive);
			nok++;
		}
check:
		ATF_REQUIRE_EQ(vmem_size(vm, VMEM_ALLOC), md.inuse);
		ATF_REQUIRE_EQ(vmem_size(vm, VMEM_FREE), md.total - md.inuse);
		ATF_REQUIRE_EQ(vmem_size(vm, VMEM_ALLOC | VMEM_FREE),
		    md.total);
		{
			struct cmp c = { exp, 0, 0, true };

			c.n = model_expect(&md, exp, __arraycount(exp));
			ATF_REQUIRE(c.n <= __arraycount(exp));
			nbm_vmem_walk(vm, cmp_cb, &c);
			if (!c.ok || c.i != c.n) {
				vmem_dump(vm, nbm_print_pr);
				fprintf(stderr, "%s", h_printed());
				ATF_REQUIRE_MSG(false, "step %d: the segment "
				    "list differs from the model", step);
			}
		}
	}
	printf("quantum %ju: %d allocations, %d failures, %d live at end, "
	    "%d at most\n", (uintmax_t)q, nok, nfail, md.nlive, maxlive);
	ATF_CHECK(nok > nsteps / 4);
	ATF_CHECK(nfail > nsteps / 50);
	vmem_xfreeall(vm);
	ATF_CHECK_EQ(vmem_size(vm, VMEM_ALLOC), 0);
	vmem_destroy(vm);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(random_against_model);
ATF_TC_BODY(random_against_model, tc)
{
	uint64_t seed = h_seed(20240601);

	stress(1, 25000, seed);
	stress(0x1000, 25000, seed + 1);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, create_size_roundup);
	ATF_TP_ADD_TC(tp, vmem_size_masks);
	ATF_TP_ADD_TC(tp, instantfit_vs_bestfit);
	ATF_TP_ADD_TC(tp, carving);
	ATF_TP_ADD_TC(tp, constraints);
	ATF_TP_ADD_TC(tp, unittest_probes);
	ATF_TP_ADD_TC(tp, spans_never_merge);
	ATF_TP_ADD_TC(tp, import_from_source_arena);
	ATF_TP_ADD_TC(tp, import_contract);
	ATF_TP_ADD_TC(tp, xcreate_actual_size);
	ATF_TP_ADD_TC(tp, privtags);
	ATF_TP_ADD_TC(tp, tag_cache);
	ATF_TP_ADD_TC(tp, busy_hash_growth);
	ATF_TP_ADD_TC(tp, qcache_kva);
	ATF_TP_ADD_TC(tp, qcache_side_effects);
	ATF_TP_ADD_TC(tp, btag_supply);
	ATF_TP_ADD_TC(tp, btag_exhaustion);
	ATF_TP_ADD_TC(tp, btag_concurrent);
	ATF_TP_ADD_TC(tp, arena_from_kmem);
	ATF_TP_ADD_TC(tp, sleep_until_free);
	ATF_TP_ADD_TC(tp, interrupt_safety);
	ATF_TP_ADD_TC(tp, dump_print_whatis);
	ATF_TP_ADD_TC(tp, diagnostic_panics);
	ATF_TP_ADD_TC(tp, nondiagnostic_errors);
	ATF_TP_ADD_TC(tp, random_against_model);
	return atf_no_error();
}
