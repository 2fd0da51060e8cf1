/*
 * t_subr_pool: pool(9) (subr_pool.c): geometry (spec 1.5) on 4, 8 and
 * 16 KiB pages with and without DIAGNOSTIC, counters and the invariants of
 * spec 4.1 after every step, address order and colouring, watermarks, the
 * hard limit with its warning and waiting callers, pool_prime,
 * pool_reclaim and pool_drain, the drain hook, destruction, the internal
 * pools, the DDB printers, every panic text of spec 1.11, and a randomized
 * stress test against a reference model (one CPU, and several CPUs on
 * host threads freeing each other's items).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"
#include "subr_pool_impl.h"

/* -------------------------------------------------------------------------
 * Helpers
 */

static struct nbm_machine *
boot(u_int options, size_t pagesize, u_int ncpu)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.options = options;
	cfg.page_size = pagesize;
	cfg.ncpu = ncpu;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	return m;
}

/*
 * A machine on virtual time (deterministic mode), for tests that move the
 * clock: uptime then only moves with nbm_machine_advance, so whole-second
 * arithmetic never straddles a wall-clock second.
 */
static struct nbm_machine *
boot_vtime(u_int pool_inactive_time)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.ncpu = 1;
	cfg.mode = NBM_MODE_DETERMINISTIC;
	cfg.pool_inactive_time = pool_inactive_time;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	nbm_machine_advance(m, 1000000000ULL);	/* uptime 1 s */
	return m;
}

static u_int
list_len(struct pool_pagelist *pl)
{
	struct pool_item_header *ph;
	u_int n = 0;

	LIST_FOREACH(ph, pl, ph_pagelist)
		n++;
	return n;
}

/*
 * The invariants of spec 4.1, and the page lists' agreement with the
 * counters, checked with the pool locked.
 */
static void
check_inv(struct pool *pp, int line)
{
	u_int ne, np, nf;
	struct pool_item_header *ph;
	bool ok = true;

	mutex_enter(&pp->pr_lock);
	ne = list_len(&pp->pr_emptypages);
	np = list_len(&pp->pr_partpages);
	nf = list_len(&pp->pr_fullpages);
#define INV(c) do {							\
	if (!(c)) {							\
		ok = false;						\
		ATF_CHECK_MSG(0, "line %d: [%s] %s (nget %lu nput %lu "	\
		    "nout %u nitems %u npages %u ipp %u nidle %lu "	\
		    "npagealloc %lu npagefree %lu hiwat %u)", line,	\
		    pp->pr_wchan, #c, pp->pr_nget, pp->pr_nput,		\
		    pp->pr_nout, pp->pr_nitems, pp->pr_npages,		\
		    pp->pr_itemsperpage, pp->pr_nidle,			\
		    pp->pr_npagealloc, pp->pr_npagefree, pp->pr_hiwat);	\
	}								\
} while (0)
	INV(pp->pr_nget - pp->pr_nput == pp->pr_nout);
	INV(pp->pr_npages * pp->pr_itemsperpage ==
	    pp->pr_nitems + pp->pr_nout);
	INV(pp->pr_npagealloc - pp->pr_npagefree == pp->pr_npages);
	INV(pp->pr_nidle <= pp->pr_npages);
	INV(pp->pr_hiwat >= pp->pr_npages);
	INV((pp->pr_nitems == 0) == (pp->pr_curpage == NULL));
	INV(ne + np + nf == pp->pr_npages);
	INV(ne == pp->pr_nidle);
	/* The current page: a partial page if any, else an empty one. */
	if (pp->pr_curpage != NULL) {
		bool onpart = false, onempty = false;

		LIST_FOREACH(ph, &pp->pr_partpages, ph_pagelist)
			onpart |= ph == pp->pr_curpage;
		LIST_FOREACH(ph, &pp->pr_emptypages, ph_pagelist)
			onempty |= ph == pp->pr_curpage;
		INV(onpart || (np == 0 && onempty));
	}
	LIST_FOREACH(ph, &pp->pr_fullpages, ph_pagelist)
		INV(ph->ph_nmissing == pp->pr_itemsperpage);
	LIST_FOREACH(ph, &pp->pr_partpages, ph_pagelist)
		INV(ph->ph_nmissing > 0 &&
		    ph->ph_nmissing < pp->pr_itemsperpage);
	LIST_FOREACH(ph, &pp->pr_emptypages, ph_pagelist)
		INV(ph->ph_nmissing == 0);
#undef INV
	mutex_exit(&pp->pr_lock);
	(void)ok;
}
#define CHECK_INV(pp)	check_inv((pp), __LINE__)

/* The kern.pool record of the pool named wchan (the n-th of that name). */
static bool
find_sysctl(struct nbm_machine *m, const char *wchan, int nth,
    struct pool_sysctl *out)
{
	struct pool_sysctl *buf;
	size_t n, i;
	bool found = false;

	n = nbm_pool_sysctl(m, NULL, 0);
	buf = calloc(n, sizeof(*buf));
	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_EQ(nbm_pool_sysctl(m, buf, n), n);
	for (i = 0; i < n; i++) {
		if (strcmp(buf[i].pr_wchan, wchan) == 0 && nth-- == 0) {
			*out = buf[i];
			found = true;
			break;
		}
	}
	free(buf);
	return found;
}

static uint64_t
phpool_nget(struct nbm_machine *m, const char *name)
{
	struct pool_sysctl ps;

	ATF_REQUIRE(find_sysctl(m, name, 0, &ps));
	return ps.pr_nget;
}

/* -------------------------------------------------------------------------
 * Geometry (spec 1.5)
 */

struct geo {
	size_t	size;
	u_int	align;
	int	flags;
	u_int	nd_size, d_size;	/* pr_size */
	bool	nd_on, d_on;		/* PR_PHINPAGE */
	u_int	nd_ipp, d_ipp;		/* items per page */
	bool	nd_bmap, d_bmap;	/* PR_USEBMAP */
	u_int	nd_roflags;		/* pr_roflags, non-DIAGNOSTIC */
	int	nd_maxcolor;		/* pr_maxcolor, non-DIAGNOSTIC */
	const char *nd_phpool;		/* header pool, off-page */
};

/* The worked table of spec 1.5 (LP64, 4 KiB pages). */
static const struct geo geo4k[] = {
	{ 4, 0, 0, 16, 24, true, true, 252, 168, false, false, 0x40, 8,
	    NULL },
	{ 24, 0, 0, 24, 32, true, true, 168, 126, false, false, 0x40, 8,
	    NULL },
	{ 56, 0, 0, 56, 64, true, true, 72, 63, false, true, 0x40, 8, NULL },
	{ 8, 8, PR_NOTOUCH, 8, 8, false, false, 512, 512, true, true,
	    0x10400, 0, "phpool-512" },
	{ 16, 8, PR_NOTOUCH, 16, 16, false, false, 256, 256, true, true,
	    0x10400, 0, "phpool-256" },
	{ 32, 8, PR_NOTOUCH, 32, 32, false, false, 128, 128, true, true,
	    0x10400, 0, "phpool-128" },
	{ 64, 64, 0, 64, 128, true, true, 63, 31, true, true, 0x10040, 0,
	    NULL },
	{ 128, 64, 0, 128, 192, true, true, 31, 21, true, true, 0x10040, 64,
	    NULL },
	{ 256, 64, 0, 256, 320, false, true, 16, 12, true, true, 0x10000, 0,
	    "phpool-64" },
	{ 320, 64, 0, 320, 384, true, true, 12, 10, true, true, 0x10040, 192,
	    NULL },
	{ 512, 64, 0, 512, 576, false, true, 8, 7, true, true, 0x10000, 0,
	    "phpool-64" },
	{ 1024, 64, 0, 1024, 1088, false, true, 4, 3, true, true, 0x10000, 0,
	    "phpool-64" },
	{ 2048, 64, 0, 2048, 2048, false, false, 2, 2, true, true, 0x10000, 0,
	    "phpool-64" },
	{ 4096, 4096, 0, 4096, 4096, false, false, 1, 1, true, true, 0x10000,
	    0, "phpool-64" },
};

static void
check_geo_table(bool diag)
{
	struct nbm_machine *m;
	struct pool pool;
	size_t i;

	m = boot(diag ? NBM_OPT_DIAGNOSTIC : 0, 4096, 1);
	for (i = 0; i < __arraycount(geo4k); i++) {
		const struct geo *g = &geo4k[i];
		u_int size = diag ? g->d_size : g->nd_size;
		u_int ipp = diag ? g->d_ipp : g->nd_ipp;
		bool on = diag ? g->d_on : g->nd_on;
		bool bmap = diag ? g->d_bmap : g->nd_bmap;

		pool_init(&pool, g->size, g->align, 0, g->flags, "geo", NULL,
		    IPL_NONE);
		ATF_CHECK_EQ_MSG(pool.pr_size, size, "row %zu: size %u != %u",
		    i, pool.pr_size, size);
		ATF_CHECK_EQ_MSG(pool.pr_itemsperpage, ipp,
		    "row %zu: ipp %u != %u", i, pool.pr_itemsperpage, ipp);
		ATF_CHECK_EQ_MSG((pool.pr_roflags & PR_PHINPAGE) != 0, on,
		    "row %zu: phinpage", i);
		ATF_CHECK_EQ_MSG((pool.pr_roflags & PR_USEBMAP) != 0, bmap,
		    "row %zu: usebmap", i);
		ATF_CHECK_EQ_MSG(pool.pr_itemoffset,
		    on ? roundup(56, MAX(g->align, 8)) : 0,
		    "row %zu: itemoffset %u", i, pool.pr_itemoffset);
		ATF_CHECK_EQ_MSG(pool.pr_reqsize, g->size, "row %zu", i);
		if (!diag) {
			ATF_CHECK_EQ_MSG(pool.pr_roflags, g->nd_roflags,
			    "row %zu: roflags 0x%x != 0x%x", i,
			    pool.pr_roflags, g->nd_roflags);
			ATF_CHECK_EQ_MSG(pool.pr_maxcolor, g->nd_maxcolor,
			    "row %zu: maxcolor %d != %d", i,
			    pool.pr_maxcolor, g->nd_maxcolor);
			ATF_CHECK(!pool.pr_redzone && !pool.pr_checkmagic);
		} else {
			ATF_CHECK(pool.pr_checkmagic);
			/* Redzone unless NOTOUCH or disabled at P/2. */
			ATF_CHECK_EQ_MSG(pool.pr_redzone,
			    !(g->flags & PR_NOTOUCH) && g->size < 2048,
			    "row %zu: redzone", i);
		}
		if (!on) {
			const char *want = diag && g->nd_on != g->d_on ? NULL :
			    g->nd_phpool;

			ATF_REQUIRE(pool.pr_phpool != NULL);
			if (want != NULL)
				ATF_CHECK_STREQ(pool.pr_phpool->pr_wchan, want);
		} else
			ATF_CHECK(pool.pr_phpool == NULL);
		/* The pool works: two items, distinct and aligned. */
		void *a = pool_get(&pool, PR_WAITOK);
		void *b = pool_get(&pool, PR_WAITOK);
		ATF_CHECK(a != b);
		ATF_CHECK(((uintptr_t)a & (MAX(g->align, 8) - 1)) == 0);
		CHECK_INV(&pool);
		pool_put(&pool, a);
		pool_put(&pool, b);
		CHECK_INV(&pool);
		pool_destroy(&pool);
	}
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(geometry_4k);
ATF_TC_BODY(geometry_4k, tc)
{

	check_geo_table(false);
}

ATF_TC_WITHOUT_HEAD(geometry_4k_diagnostic);
ATF_TC_BODY(geometry_4k_diagnostic, tc)
{

	check_geo_table(true);
}

/*
 * NBM_OPT_POOL_REDZONE alone: the redzone sizing without the magic word,
 * so the minimum item stays 16 bytes.
 */
ATF_TC_WITHOUT_HEAD(geometry_redzone_only);
ATF_TC_BODY(geometry_redzone_only, tc)
{
	struct nbm_machine *m;
	struct pool pool;

	m = boot(NBM_OPT_POOL_REDZONE, 4096, 1);
	pool_init(&pool, 4, 0, 0, 0, "rz4", NULL, IPL_NONE);
	ATF_CHECK_EQ(pool.pr_size, 16);		/* padding holds it */
	ATF_CHECK(pool.pr_redzone && !pool.pr_checkmagic);
	ATF_CHECK_EQ(pool.pr_itemsperpage, 252);
	pool_destroy(&pool);
	pool_init(&pool, 24, 0, 0, 0, "rz24", NULL, IPL_NONE);
	ATF_CHECK_EQ(pool.pr_size, 32);
	pool_destroy(&pool);
	pool_init(&pool, 64, 64, 0, 0, "rz64", NULL, IPL_NONE);
	ATF_CHECK_EQ(pool.pr_size, 128);
	pool_destroy(&pool);
	pool_init(&pool, 2048, 64, 0, 0, "rz2048", NULL, IPL_NONE);
	ATF_CHECK_EQ(pool.pr_size, 2048);
	ATF_CHECK(!pool.pr_redzone);
	pool_destroy(&pool);
	h_shutdown(m);
}

/*
 * An independent restatement of the rules of spec 1.5, checked against
 * pool_init on 4, 8 and 16 KiB pages over a grid of sizes, alignments
 * and flags.
 */
struct rgeo {
	u_int size, ipp, ioff, maxcolor;
	bool on, bmap, redzone, fits;
	int phidx;
};

static struct rgeo
ref_geometry(size_t P, size_t S, u_int A, int F, bool diag, bool redzone)
{
	const size_t PH = 56, BOFF = 48;
	struct rgeo r;
	size_t sz, space, slack, nelem;

	memset(&r, 0, sizeof(r));
	if (F & PR_PSERIALIZE)
		F |= PR_NOTOUCH;
	if (A == 0)
		A = 8;
	sz = S;
	if (!(F & PR_NOTOUCH) && sz < (diag ? 24u : 16u))
		sz = diag ? 24 : 16;
	sz = roundup(sz, A);
	if (sz > P)
		return r;
	if (redzone && !(F & PR_NOTOUCH)) {
		if (sz - S >= 2)
			r.redzone = true;
		else if (roundup(sz + 2, A) <= P / 2) {
			sz = roundup(sz + 2, A);
			r.redzone = true;
		}
	}
	r.size = (u_int)sz;
	if (F & (PR_NOTOUCH | PR_NOALIGN))
		r.on = false;
	else
		r.on = sz < MIN(P / 16, 8 * PH) || P / sz == (P - PH) / sz;
	space = r.on ? P - roundup(PH, A) : P;
	r.ioff = r.on ? (u_int)roundup(PH, A) : 0;
	r.ipp = (u_int)(space / sz);
	if (r.ipp == 0)
		return r;
	r.bmap = (F & PR_NOTOUCH) || !r.on ||
	    r.ipp <= (roundup(PH, A) - BOFF) * 8;
	r.phidx = -1;
	if (!r.on) {
		for (r.phidx = 0; r.phidx < 8; r.phidx++) {
			nelem = r.phidx == 0 ? 64 : 32u << r.phidx;
			if (r.ipp <= nelem)
				break;
		}
		if (r.phidx == 8)
			return r;
	}
	slack = space - r.ipp * sz;
	r.maxcolor = (u_int)rounddown(slack, A);
	r.fits = true;
	return r;
}

/* check_rule: the pool pool_init made against the restated rules. */
static void
check_rule(const struct pool *pp, const struct rgeo *r, size_t P, size_t S,
    u_int A, int F)
{
	bool on = (pp->pr_roflags & PR_PHINPAGE) != 0;
	bool bmap = (pp->pr_roflags & PR_USEBMAP) != 0;

	if (pp->pr_size == r->size && pp->pr_itemsperpage == r->ipp &&
	    pp->pr_itemoffset == r->ioff &&
	    (u_int)pp->pr_maxcolor == r->maxcolor && on == r->on &&
	    bmap == r->bmap && pp->pr_redzone == r->redzone &&
	    (r->on || pp->pr_phpool == &pool_state()->ps_phpool[r->phidx]))
		return;
	ATF_CHECK_MSG(0, "P %zu S %zu A %u F 0x%x: size %u/%u ipp %u/%u "
	    "ioff %u/%u color %d/%u on %d/%d bmap %d/%d rz %d/%d", P, S, A, F,
	    pp->pr_size, r->size, pp->pr_itemsperpage, r->ipp,
	    pp->pr_itemoffset, r->ioff, pp->pr_maxcolor, r->maxcolor, on,
	    r->on, bmap, r->bmap, pp->pr_redzone, r->redzone);
}

static void
check_rules(size_t P, u_int options)
{
	static const u_int aligns[] = { 0, 8, 16, 32, 64, 128, 256, 1024 };
	static const int flagsets[] = { 0, PR_NOTOUCH, PR_PSERIALIZE };
	bool diag = (options & NBM_OPT_DIAGNOSTIC) != 0;
	bool rz = (options & (NBM_OPT_DIAGNOSTIC | NBM_OPT_POOL_REDZONE)) != 0;
	struct nbm_machine *m;
	struct pool pool;
	size_t S, ai, fi;
	u_int checked = 0;

	m = boot(options, P, 1);
	for (S = 1; S <= P; S += (S < 128 ? 1 : S < 1024 ? 7 : 61)) {
		for (ai = 0; ai < __arraycount(aligns); ai++) {
			for (fi = 0; fi < __arraycount(flagsets); fi++) {
				u_int A = aligns[ai];
				int F = flagsets[fi];
				struct rgeo r = ref_geometry(P, S, A, F, diag,
				    rz);

				if (!r.fits)
					continue;
				pool_init(&pool, S, A, 0, F, "rules", NULL,
				    IPL_NONE);
				check_rule(&pool, &r, P, S, A, F);
				pool_destroy(&pool);
				checked++;
			}
		}
	}
	ATF_CHECK(checked > 1000);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(geometry_rules_8k_16k);
ATF_TC_BODY(geometry_rules_8k_16k, tc)
{
	struct nbm_machine *m;
	struct pool pool;

	check_rules(4096, 0);
	check_rules(4096, NBM_OPT_DIAGNOSTIC);
	check_rules(8192, 0);
	check_rules(8192, NBM_OPT_DIAGNOSTIC);
	check_rules(16384, 0);
	check_rules(16384, NBM_OPT_DIAGNOSTIC);
	check_rules(16384, NBM_OPT_POOL_REDZONE);

	/* A few worked by hand. 8 KiB: the on-page bound is 8 * 56 = 448. */
	m = boot(0, 8192, 1);
	pool_init(&pool, 440, 8, 0, 0, "p8k", NULL, IPL_NONE);
	ATF_CHECK(pool.pr_roflags & PR_PHINPAGE);	/* 440 < 448 */
	ATF_CHECK_EQ(pool.pr_itemsperpage, (8192 - 56) / 440);	/* 18 */
	pool_destroy(&pool);
	pool_init(&pool, 512, 64, 0, 0, "p8k", NULL, IPL_NONE);
	ATF_CHECK(!(pool.pr_roflags & PR_PHINPAGE));	/* 16 vs 15 items */
	ATF_CHECK_EQ(pool.pr_itemsperpage, 16);
	ATF_CHECK_STREQ(pool.pr_phpool->pr_wchan, "phpool-64");
	pool_destroy(&pool);
	pool_init(&pool, 8, 8, 0, PR_NOTOUCH, "p8k", NULL, IPL_NONE);
	ATF_CHECK_EQ(pool.pr_itemsperpage, 1024);
	ATF_CHECK_STREQ(pool.pr_phpool->pr_wchan, "phpool-1024");
	pool_destroy(&pool);
	h_shutdown(m);

	/* 16 KiB: P/16 = 1024 but 8 * PHSIZE = 448 is the smaller bound. */
	m = boot(0, 16384, 1);
	pool_init(&pool, 448, 64, 0, 0, "p16k", NULL, IPL_NONE);
	/* 16384/448 = 36 = (16384-56)/448: the header costs nothing. */
	ATF_CHECK(pool.pr_roflags & PR_PHINPAGE);
	ATF_CHECK_EQ(pool.pr_itemsperpage, (16384 - 64) / 448);
	ATF_CHECK_EQ(pool.pr_maxcolor, rounddown((16384 - 64) % 448, 64));
	pool_destroy(&pool);
	pool_init(&pool, 8, 8, 0, PR_NOTOUCH, "p16k", NULL, IPL_NONE);
	ATF_CHECK_EQ(pool.pr_itemsperpage, 2048);
	ATF_CHECK_STREQ(pool.pr_phpool->pr_wchan, "phpool-2048");
	pool_destroy(&pool);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Pages, counters, order
 */

ATF_TC_WITHOUT_HEAD(counters_trace);
ATF_TC_BODY(counters_trace, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	void *it[300];
	int i;

	m = boot(0, 4096, 1);
	/* 256-byte items: off-page, 16 per page, bitmap. */
	pool_init(&pool, 256, 64, 0, 0, "trace", NULL, IPL_VM);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_npages, 0);
	ATF_CHECK(pool.pr_curpage == NULL);

	it[0] = pool_get(&pool, PR_NOWAIT);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_nget, 1);
	ATF_CHECK_EQ(pool.pr_npages, 1);
	ATF_CHECK_EQ(pool.pr_npagealloc, 1);
	ATF_CHECK_EQ(pool.pr_nitems, 15);
	ATF_CHECK_EQ(pool.pr_nout, 1);
	ATF_CHECK_EQ(pool.pr_nidle, 0);
	ATF_CHECK_EQ(pool.pr_hiwat, 1);

	for (i = 1; i < 40; i++) {
		it[i] = pool_get(&pool, PR_WAITOK);
		CHECK_INV(&pool);
	}
	/* 40 items: pages 1 and 2 full, page 3 has 8 out. */
	ATF_CHECK_EQ(pool.pr_npages, 3);
	ATF_CHECK_EQ(list_len(&pool.pr_fullpages), 2);
	ATF_CHECK_EQ(list_len(&pool.pr_partpages), 1);
	ATF_CHECK_EQ(pool.pr_hiwat, 3);

	/* Free one item of the first page: it becomes current. */
	pool_put(&pool, it[3]);
	CHECK_INV(&pool);
	ATF_CHECK(pool.pr_curpage->ph_page == POOL_OBJ_TO_PAGE(&pool, it[3]));
	/* The next get refills it, at the same (lowest free) index. */
	ATF_CHECK_EQ(pool_get(&pool, PR_NOWAIT), it[3]);
	CHECK_INV(&pool);

	/* Empty all pages: they stay, idle (maxpages is UINT_MAX). */
	for (i = 0; i < 40; i++) {
		pool_put(&pool, it[i]);
		CHECK_INV(&pool);
	}
	ATF_CHECK_EQ(pool.pr_nidle, 3);
	ATF_CHECK_EQ(pool.pr_npages, 3);
	ATF_CHECK_EQ(pool.pr_npagefree, 0);
	ATF_CHECK_EQ(pool.pr_nget, 41);
	ATF_CHECK_EQ(pool.pr_nput, 41);
	ATF_CHECK_EQ(pool_nget(&pool), 41);
	ATF_CHECK_EQ(pool_nput(&pool), 41);
	ATF_CHECK_EQ(pool.pr_hiwat, 3);
	pool_destroy(&pool);
	h_shutdown(m);
}

/* Fresh list pages are handed out top-down, freed items come back LIFO. */
ATF_TC_WITHOUT_HEAD(address_order_list);
ATF_TC_BODY(address_order_list, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	char *a, *b, *c, *page;
	void *fill[600];
	u_int i;

	m = boot(0, 4096, 1);
	pool_init(&pool, 4, 0, 0, 0, "list", NULL, IPL_NONE);
	ATF_REQUIRE(!(pool.pr_roflags & PR_USEBMAP));
	a = pool_get(&pool, PR_WAITOK);
	b = pool_get(&pool, PR_WAITOK);
	c = pool_get(&pool, PR_WAITOK);
	page = POOL_OBJ_TO_PAGE(&pool, a);
	ATF_CHECK_EQ(a, page + 56 + 251 * 16);	/* the highest item */
	ATF_CHECK_EQ(b, a - 16);
	ATF_CHECK_EQ(c, b - 16);
	pool_put(&pool, a);
	pool_put(&pool, c);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), c);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), a);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), c - 16);
	for (i = 0; i < 248; i++)
		fill[i] = pool_get(&pool, PR_WAITOK);
	ATF_CHECK_EQ(fill[247], page + 56);	/* the lowest, last */

	/* Colours: the second page starts 8 bytes further in, then 0. */
	fill[248] = pool_get(&pool, PR_WAITOK);
	ATF_CHECK_EQ(pool.pr_curpage->ph_off, 56 + 8);
	ATF_CHECK_EQ((char *)fill[248], (char *)POOL_OBJ_TO_PAGE(&pool,
	    fill[248]) + 64 + 251 * 16);
	for (i = 249; i < 249 + 252; i++)
		fill[i] = pool_get(&pool, PR_WAITOK);
	ATF_CHECK_EQ(pool.pr_curpage->ph_off, 56);
	CHECK_INV(&pool);
	for (i = 0; i < 249 + 252; i++)
		pool_put(&pool, fill[i]);
	pool_put(&pool, a);
	pool_put(&pool, b);
	pool_put(&pool, c);
	pool_put(&pool, c - 16);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_nout, 0);
	pool_destroy(&pool);
	h_shutdown(m);
}

/* Bitmap pools hand out the lowest free index. */
ATF_TC_WITHOUT_HEAD(address_order_bitmap);
ATF_TC_BODY(address_order_bitmap, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	char *it[31], *page;
	int i;

	m = boot(0, 4096, 1);
	pool_init(&pool, 128, 64, 0, 0, "bmap", NULL, IPL_NONE);
	ATF_REQUIRE(pool.pr_roflags & PR_USEBMAP);
	for (i = 0; i < 31; i++)
		it[i] = pool_get(&pool, PR_WAITOK);
	page = POOL_OBJ_TO_PAGE(&pool, it[0]);
	for (i = 0; i < 31; i++)
		ATF_CHECK_EQ(it[i], page + 64 + i * 128);
	pool_put(&pool, it[20]);
	pool_put(&pool, it[5]);
	pool_put(&pool, it[9]);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), it[5]);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), it[9]);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), it[20]);
	/* The second page is coloured by 64 bytes (maxcolor 64). */
	char *n = pool_get(&pool, PR_WAITOK);
	ATF_CHECK_EQ(n, (char *)POOL_OBJ_TO_PAGE(&pool, n) + 128);
	pool_put(&pool, n);
	for (i = 0; i < 31; i++)
		pool_put(&pool, it[i]);
	CHECK_INV(&pool);
	pool_destroy(&pool);
	h_shutdown(m);
}

/* PR_ZERO clears the requested size; items are aligned. */
ATF_TC_WITHOUT_HEAD(zero_flag);
ATF_TC_BODY(zero_flag, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	unsigned char *p;
	size_t i;

	m = boot(0, 4096, 1);
	pool_init(&pool, 100, 32, 0, 0, "zero", NULL, IPL_NONE);
	p = pool_get(&pool, PR_WAITOK);
	memset(p, 0xa5, 100);
	pool_put(&pool, p);
	p = pool_get(&pool, PR_WAITOK | PR_ZERO);
	for (i = 0; i < 100; i++)
		ATF_REQUIRE_EQ(p[i], 0);
	ATF_CHECK(((uintptr_t)p & 31) == 0);
	pool_put(&pool, p);
	pool_destroy(&pool);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Watermarks, hard limit, prime
 */

ATF_TC_WITHOUT_HEAD(lowat);
ATF_TC_BODY(lowat, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	void *it[64];
	int i;

	m = boot_vtime(10);
	pool_init(&pool, 256, 64, 0, 0, "lowat", NULL, IPL_VM);	/* 16/page */
	pool_setlowat(&pool, 20);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_minitems, 20);
	ATF_CHECK_EQ(pool.pr_minpages, 0);	/* 2020: minpages untouched */
	ATF_CHECK_EQ(pool.pr_npages, 2);	/* 32 free >= 20 */
	ATF_CHECK_EQ(pool.pr_nitems, 32);
	for (i = 0; i < 30; i++) {
		it[i] = pool_get(&pool, PR_NOWAIT);
		CHECK_INV(&pool);
		ATF_CHECK_MSG(pool.pr_nitems >= 20, "get %d: nitems %u", i,
		    pool.pr_nitems);
	}
	/* 30 out + >= 20 free: 4 pages. */
	ATF_CHECK_EQ(pool.pr_npages, 4);
	/* Puts keep the pages; reclaim keeps minitems free. */
	for (i = 0; i < 30; i++)
		pool_put(&pool, it[i]);
	nbm_machine_advance(m, 3600ULL * 1000000000ULL);
	ATF_CHECK_EQ(pool_reclaim(&pool), 1);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_npages, 2);
	ATF_CHECK(pool.pr_nitems >= 20);
	pool_destroy(&pool);
	h_shutdown(m);
}

/*
 * pool_sethiwat bounds the idle pages, as documented (pool(9)); see the
 * deliberate difference noted in subr_pool.c.
 */
ATF_TC_WITHOUT_HEAD(hiwat_documented);
ATF_TC_BODY(hiwat_documented, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	void *it[64];
	int i;

	m = boot(0, 4096, 1);
	pool_init(&pool, 256, 64, 0, 0, "hiwat", NULL, IPL_NONE);
	pool_sethiwat(&pool, 20);		/* howmany(20, 16) = 2 pages */
	ATF_CHECK_EQ(pool.pr_maxitems, 20);
	ATF_CHECK_EQ(pool.pr_maxpages, 2);
	for (i = 0; i < 64; i++)
		it[i] = pool_get(&pool, PR_WAITOK);
	ATF_CHECK_EQ(pool.pr_npages, 4);
	for (i = 0; i < 64; i++) {
		pool_put(&pool, it[i]);
		CHECK_INV(&pool);
	}
	/* Pages 1 and 2 emptied while npages > 2: released at once. */
	ATF_CHECK_EQ(pool.pr_npages, 2);
	ATF_CHECK_EQ(pool.pr_npagefree, 2);
	ATF_CHECK_EQ(pool.pr_nidle, 2);

	pool_sethiwat(&pool, 0);
	ATF_CHECK_EQ(pool.pr_maxpages, 0);
	it[0] = pool_get(&pool, PR_WAITOK);
	pool_put(&pool, it[0]);
	/* Emptied page beyond 0 pages: released. */
	ATF_CHECK_EQ(pool.pr_npages, 1);
	CHECK_INV(&pool);
	pool_destroy(&pool);
	h_shutdown(m);
}

static int hook_calls, hook_flags, hook_free_n;
static struct pool *hook_pool;
static void *hook_items[8];

static void
drain_hook(void *arg, int flags)
{

	ATF_CHECK(arg == &hook_calls);
	hook_calls++;
	hook_flags = flags;
	while (hook_free_n > 0)
		pool_put(hook_pool, hook_items[--hook_free_n]);
}

static size_t
count_events(struct nbm_machine *m, int type, const char *subject)
{
	struct nbm_event ev[64];
	size_t n, i, k = 0;

	n = nbm_machine_events(m, 0, ev, 64);
	for (i = 0; i < n; i++)
		if (ev[i].ev_type == type &&
		    strcmp(ev[i].ev_subject, subject) == 0)
			k++;
	return k;
}

static size_t
count_str(const char *hay, const char *needle)
{
	size_t k = 0;

	while ((hay = strstr(hay, needle)) != NULL) {
		k++;
		hay++;
	}
	return k;
}

ATF_TC_WITHOUT_HEAD(hardlimit);
ATF_TC_BODY(hardlimit, tc)
{
	static const char msg[] = "WARNING: hlpool limit reached; increase it";
	struct nbm_machine *m;
	struct pool pool;
	void *it[8];
	int i;

	m = boot_vtime(10);
	pool_init(&pool, 1024, 0, 0, 0, "hlpool", NULL, IPL_VM); /* 4/page */
	pool_sethardlimit(&pool, 6, msg, 60);
	ATF_CHECK_EQ(pool.pr_hardlimit, 6);
	ATF_CHECK_EQ(pool.pr_maxpages, 2);	/* howmany(6, 4) */
	for (i = 0; i < 6; i++)
		ATF_REQUIRE((it[i] = pool_get(&pool, PR_NOWAIT)) != NULL);
	h_print_reset();

	/* NOWAIT and WAITOK|LIMITFAIL fail; the first failure warns. */
	ATF_CHECK(pool_get(&pool, PR_NOWAIT) == NULL);
	ATF_CHECK(pool_get(&pool, PR_WAITOK | PR_LIMITFAIL) == NULL);
	ATF_CHECK(pool_get(&pool, PR_NOWAIT) == NULL);
	ATF_CHECK_EQ(pool.pr_nfail, 3);
	ATF_CHECK_EQ(count_str(h_printed(), msg), 1);
	ATF_CHECK_EQ(count_events(m, NBM_EV_HARDLIMIT, "hlpool"), 1);
	CHECK_INV(&pool);

	/* At most one warning per 60 s of machine uptime. */
	nbm_machine_advance(m, 30ULL * 1000000000ULL);
	ATF_CHECK(pool_get(&pool, PR_NOWAIT) == NULL);
	ATF_CHECK_EQ(count_str(h_printed(), msg), 1);
	nbm_machine_advance(m, 31ULL * 1000000000ULL);
	ATF_CHECK(pool_get(&pool, PR_NOWAIT) == NULL);
	ATF_CHECK(pool_get(&pool, PR_NOWAIT) == NULL);
	ATF_CHECK_EQ(count_str(h_printed(), msg), 2);
	ATF_CHECK_EQ(count_events(m, NBM_EV_HARDLIMIT, "hlpool"), 2);
	ATF_CHECK_EQ(pool.pr_nfail, 6);

	/* The drain hook is asked first, and may make room. */
	pool_set_drain_hook(&pool, drain_hook, &hook_calls);
	hook_pool = &pool;
	hook_items[0] = it[5];
	hook_free_n = 1;
	hook_calls = 0;
	it[5] = pool_get(&pool, PR_NOWAIT | PR_ZERO);
	ATF_CHECK(it[5] != NULL);
	ATF_CHECK_EQ(hook_calls, 1);
	ATF_CHECK_EQ(hook_flags, PR_NOWAIT | PR_ZERO);

	/* Put frees pages beyond maxpages = 2. */
	for (i = 0; i < 6; i++)
		pool_put(&pool, it[i]);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_npages, 2);

	pool_destroy(&pool);
	h_shutdown(m);
}

/* A PR_WAITOK caller at the hard limit sleeps until a put on another CPU. */
struct waiter {
	struct nbm_machine *m;
	struct pool *pp;
	void *item;
	_Atomic int state;
};

static void *
waiter_thread(void *arg)
{
	struct waiter *w = arg;

	ATF_REQUIRE_EQ(nbm_cpu_enter(w->m, 1), 0);
	atomic_store(&w->state, 1);
	w->item = pool_get(w->pp, PR_WAITOK);
	atomic_store(&w->state, 2);
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(hardlimit_waits);
ATF_TC_BODY(hardlimit_waits, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	struct waiter w;
	pthread_t t;
	void *a, *b;

	m = boot(0, 4096, 2);
	pool_init(&pool, 64, 0, 0, 0, "hlwait", NULL, IPL_VM);
	pool_sethardlimit(&pool, 2, NULL, 0);
	a = pool_get(&pool, PR_WAITOK);
	b = pool_get(&pool, PR_WAITOK);
	w.m = m;
	w.pp = &pool;
	w.item = NULL;
	atomic_store(&w.state, 0);
	pthread_create(&t, NULL, waiter_thread, &w);
	/* Wait until the other CPU sleeps on the pool's condvar. */
	while (!cv_has_waiters(&pool.pr_cv))
		sched_yield();
	ATF_CHECK_EQ(atomic_load(&w.state), 1);
	mutex_enter(&pool.pr_lock);
	ATF_CHECK(pool.pr_flags & PR_WANTED);
	mutex_exit(&pool.pr_lock);
	pool_put(&pool, b);
	pthread_join(t, NULL);
	ATF_CHECK_EQ(atomic_load(&w.state), 2);
	ATF_CHECK_EQ(w.item, b);
	ATF_CHECK_EQ(pool.pr_nfail, 0);
	ATF_CHECK(!(pool.pr_flags & PR_WANTED));
	pool_put(&pool, a);
	pool_put(&pool, w.item);
	CHECK_INV(&pool);
	pool_destroy(&pool);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(prime);
ATF_TC_BODY(prime, tc)
{
	struct nbm_machine *m;
	struct pool pool;

	m = boot_vtime(10);
	pool_init(&pool, 512, 64, 0, 0, "prime", NULL, IPL_NONE); /* 8/page */
	pool_prime(&pool, 20);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_minpages, 3);
	ATF_CHECK_EQ(pool.pr_npages, 3);
	ATF_CHECK_EQ(pool.pr_maxpages, UINT_MAX);
	/* Absolute, not additive (2020). */
	pool_prime(&pool, 20);
	ATF_CHECK_EQ(pool.pr_npages, 3);
	/* maxpages is raised above minpages. */
	pool_sethardlimit(&pool, 8, NULL, 0);	/* maxpages 1 */
	pool_prime(&pool, 24);
	ATF_CHECK_EQ(pool.pr_minpages, 3);
	ATF_CHECK_EQ(pool.pr_maxpages, 4);
	/* Reclaim keeps minpages. */
	nbm_machine_advance(m, 3600ULL * 1000000000ULL);
	ATF_CHECK_EQ(pool_reclaim(&pool), 0);
	ATF_CHECK_EQ(pool.pr_npages, 3);
	pool_prime(&pool, 0);
	ATF_CHECK_EQ(pool_reclaim(&pool), 1);
	ATF_CHECK_EQ(pool.pr_npages, 0);
	CHECK_INV(&pool);
	pool_destroy(&pool);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Reclaim, drain, hooks, destroy
 */

ATF_TC_WITHOUT_HEAD(reclaim_idle_time);
ATF_TC_BODY(reclaim_idle_time, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	void *it[40];
	int i;

	m = boot_vtime(5);
	pool_init(&pool, 1024, 0, 0, 0, "reclaim", NULL, IPL_NONE);
	for (i = 0; i < 40; i++)
		it[i] = pool_get(&pool, PR_WAITOK);
	ATF_CHECK_EQ(pool.pr_npages, 10);
	for (i = 0; i < 20; i++)
		pool_put(&pool, it[i]);
	ATF_CHECK_EQ(pool.pr_nidle, 5);
	/* Not idle long enough. */
	nbm_machine_advance(m, 4ULL * 1000000000ULL);
	ATF_CHECK_EQ(pool_reclaim(&pool), 0);
	ATF_CHECK_EQ(pool.pr_npages, 10);
	/* Empty three more pages now; the first five are 5 s idle. */
	for (i = 20; i < 32; i++)
		pool_put(&pool, it[i]);
	nbm_machine_advance(m, 1ULL * 1000000000ULL);
	ATF_CHECK_EQ(pool_reclaim(&pool), 1);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_npages, 5);
	ATF_CHECK_EQ(pool.pr_npagefree, 5);
	ATF_CHECK_EQ(pool.pr_nidle, 3);
	nbm_machine_advance(m, 5ULL * 1000000000ULL);
	ATF_CHECK_EQ(pool_reclaim(&pool), 1);
	ATF_CHECK_EQ(pool.pr_npages, 2);
	for (i = 32; i < 40; i++)
		pool_put(&pool, it[i]);
	CHECK_INV(&pool);
	pool_destroy(&pool);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(drain_round_robin);
ATF_TC_BODY(drain_round_robin, tc)
{
	struct nbm_machine *m;
	struct pool a, b, *pp = NULL;
	void *x, *y;
	int i;

	m = boot(0, 4096, 1);
	pool_init(&a, 1024, 0, 0, 0, "drain-a", NULL, IPL_NONE);
	pool_init(&b, 1024, 0, 0, 0, "drain-b", NULL, IPL_NONE);
	x = pool_get(&a, PR_WAITOK);
	y = pool_get(&b, PR_WAITOK);
	pool_put(&a, x);
	pool_put(&b, y);
	nbm_machine_advance(m, 60ULL * 1000000000ULL);
	/* Each call drains the next pool that has pages, a before b. */
	for (i = 0; i < 100; i++) {
		(void)pool_drain(&pp);
		if (pp == &a || pp == &b)
			break;
	}
	ATF_CHECK(pp == &a);
	ATF_CHECK_EQ(a.pr_npages, 0);
	ATF_CHECK_EQ(b.pr_npages, 1);
	for (i = 0; i < 100 && pp != &b; i++)
		(void)pool_drain(&pp);
	ATF_CHECK(pp == &b);
	ATF_CHECK_EQ(b.pr_npages, 0);
	pool_destroy(&a);
	pool_destroy(&b);
	h_shutdown(m);
}

/*
 * A test allocator around pool_allocator_kmem whose pages can be made to
 * fail.
 */
static int failalloc;

static void *
fail_page_alloc(struct pool *pp, int flags)
{

	if (failalloc > 0) {
		failalloc--;
		return NULL;
	}
	return pool_allocator_kmem.pa_alloc(pp, flags);
}

static void
fail_page_free(struct pool *pp, void *v)
{

	pool_allocator_kmem.pa_free(pp, v);
}

ATF_TC_WITHOUT_HEAD(drain_hook_points);
ATF_TC_BODY(drain_hook_points, tc)
{
	struct pool_allocator pa;
	struct nbm_machine *m;
	struct pool pool;
	void *x, *y;

	m = boot(0, 4096, 1);
	memset(&pa, 0, sizeof(pa));
	pa.pa_alloc = fail_page_alloc;
	pa.pa_free = fail_page_free;
	pool_init(&pool, 1024, 0, 0, 0, "hooked", &pa, IPL_VM);
	pool_set_drain_hook(&pool, drain_hook, &hook_calls);
	hook_pool = &pool;
	hook_free_n = 0;
	hook_calls = 0;

	/* 1: the backend fails a PR_NOWAIT page: hook, then one retry. */
	failalloc = 1;
	x = pool_get(&pool, PR_NOWAIT);
	ATF_CHECK(x != NULL);
	ATF_CHECK_EQ(hook_calls, 1);
	ATF_CHECK_EQ(hook_flags, PR_NOWAIT);
	failalloc = 2;
	for (int i = 0; i < 3; i++)
		(void)pool_get(&pool, PR_NOWAIT);	/* the page's rest */
	ATF_CHECK(pool_get(&pool, PR_NOWAIT) == NULL);
	ATF_CHECK_EQ(hook_calls, 2);
	ATF_CHECK_EQ(pool.pr_nfail, 1);
	CHECK_INV(&pool);

	/* 2: pool_reclaim calls it with PR_NOWAIT. */
	hook_calls = 0;
	(void)pool_reclaim(&pool);
	ATF_CHECK_EQ(hook_calls, 1);
	ATF_CHECK_EQ(hook_flags, PR_NOWAIT);

	/* 3: at the hard limit (see the hardlimit test for the refill). */
	pool_sethardlimit(&pool, 4, NULL, 0);
	hook_calls = 0;
	y = pool_get(&pool, PR_WAITOK | PR_LIMITFAIL);
	ATF_CHECK(y == NULL);
	ATF_CHECK_EQ(hook_calls, 1);
	ATF_CHECK_EQ(hook_flags, PR_WAITOK | PR_LIMITFAIL);

	mutex_enter(&pool.pr_lock);
	while (pool.pr_nout > 0) {
		struct pool_item_header *ph = LIST_FIRST(&pool.pr_fullpages);
		char *page = ph->ph_page;

		mutex_exit(&pool.pr_lock);
		for (int i = 0; i < 4; i++)
			pool_put(&pool, page + i * 1024);
		mutex_enter(&pool.pr_lock);
	}
	mutex_exit(&pool.pr_lock);
	pool_destroy(&pool);
	ATF_CHECK_EQ(pa.pa_refcnt, 0);
	h_shutdown(m);
}

/* Destroy gives every page back: the machine's kmem pages return. */
ATF_TC_WITHOUT_HEAD(destroy_frees_pages);
ATF_TC_BODY(destroy_frees_pages, tc)
{
	struct nbm_machine *m;
	struct nbm_uvmexp u0, u1;
	struct pool pool;
	void *it[100];
	uint64_t ph0;
	int i;

	m = boot(0, 4096, 1);
	/* Warm the header pool so its own page does not count. */
	pool_init(&pool, 2048, 0, 0, 0, "warm", NULL, IPL_NONE);
	pool_put(&pool, pool_get(&pool, PR_WAITOK));
	pool_destroy(&pool);

	nbm_machine_uvmexp(m, &u0);
	ph0 = phpool_nget(m, "phpool-64");
	pool_init(&pool, 2048, 0, 0, 0, "destroy", NULL, IPL_NONE);
	for (i = 0; i < 100; i++)
		it[i] = pool_get(&pool, PR_WAITOK);
	nbm_machine_uvmexp(m, &u1);
	ATF_CHECK_EQ(u1.kmempages - u0.kmempages, 50);
	ATF_CHECK_EQ(phpool_nget(m, "phpool-64") - ph0, 50);
	for (i = 0; i < 100; i++)
		pool_put(&pool, it[i]);
	pool_destroy(&pool);
	nbm_machine_uvmexp(m, &u1);
	ATF_CHECK_EQ(u1.kmempages, u0.kmempages);
	ATF_CHECK(!find_sysctl(m, "destroy", 0, &(struct pool_sysctl){0}));
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Internal pools and statistics
 */

ATF_TC_WITHOUT_HEAD(internal_pools);
ATF_TC_BODY(internal_pools, tc)
{
	static const struct {
		const char *name;
		int nth;
		uint64_t size_nd, size_d;
	} want[] = {
		{ "pcache", 0, 0, 0 },
		{ "pcachecpu", 0, 64, 128 },
		{ "pcglarge", 0, 1024, 1088 },
		{ "pcgnormal", 0, 256, 320 },
		{ "phpool-1024", 0, 176, 184 },
		{ "phpool-128", 0, 64, 72 },
		{ "phpool-2048", 0, 304, 312 },
		{ "phpool-256", 0, 80, 88 },
		{ "phpool-4096", 0, 560, 568 },
		{ "phpool-512", 0, 112, 120 },
		{ "phpool-64", 0, 56, 64 },
		{ "phpool-64", 1, 56, 64 },
	};
	struct pool_sysctl ps, *buf;
	struct nbm_machine *m;
	size_t i, n;
	int d;

	for (d = 0; d < 2; d++) {
		m = boot(d ? NBM_OPT_DIAGNOSTIC : 0, 4096, 2);
		for (i = 0; i < __arraycount(want); i++) {
			ATF_REQUIRE_MSG(find_sysctl(m, want[i].name,
			    want[i].nth, &ps), "no pool %s", want[i].name);
			if (want[i].size_nd != 0)
				ATF_CHECK_EQ_MSG(ps.pr_size, d ?
				    want[i].size_d : want[i].size_nd,
				    "%s: size %llu", want[i].name,
				    (unsigned long long)ps.pr_size);
			ATF_CHECK_EQ(ps.pr_pagesize, 4096);
			ATF_CHECK_EQ(ps.pr_maxpages, UINT_MAX);
			ATF_CHECK_EQ(ps.pr_hardlimit, UINT_MAX);
			ATF_CHECK_EQ(ps.pr_cache_meta_size, 0);
		}
		ATF_REQUIRE(!find_sysctl(m, "phpool-64", 2, &ps));
		/* Alphabetical, ties in creation order. */
		n = nbm_pool_sysctl(m, NULL, 0);
		buf = calloc(n, sizeof(*buf));
		ATF_REQUIRE_EQ(nbm_pool_sysctl(m, buf, n), n);
		for (i = 1; i < n; i++)
			ATF_CHECK_MSG(strcmp(buf[i - 1].pr_wchan,
			    buf[i].pr_wchan) <= 0, "%s before %s",
			    buf[i - 1].pr_wchan, buf[i].pr_wchan);
		/* A short buffer gets the first records only. */
		memset(buf, 0, n * sizeof(*buf));
		ATF_CHECK_EQ(nbm_pool_sysctl(m, buf, 2), n);
		ATF_CHECK(buf[1].pr_wchan[0] != '\0');
		ATF_CHECK(buf[2].pr_wchan[0] == '\0');
		free(buf);
		h_shutdown(m);
	}
}

ATF_TC_WITHOUT_HEAD(sysctl_fields);
ATF_TC_BODY(sysctl_fields, tc)
{
	struct nbm_machine *m;
	struct pool_sysctl ps;
	struct pool a, b;
	void *it[10];
	int i;

	m = boot(0, 4096, 1);
	pool_init(&a, 256, 64, 0, PR_RECURSIVE, "a-very-long-pool-name", NULL,
	    IPL_NONE);
	pool_init(&b, 64, 0, 0, 0, "sysb", NULL, IPL_NONE);
	for (i = 0; i < 10; i++)
		it[i] = pool_get(&a, PR_WAITOK);
	pool_put(&a, it[9]);
	pool_sethardlimit(&a, 100, NULL, 1);
	ATF_REQUIRE(find_sysctl(m, "a-very-long-poo", 0, &ps));
	ATF_CHECK_EQ(strlen(ps.pr_wchan), 15);
	ATF_CHECK_EQ(ps.pr_flags, PR_RECURSIVE | PR_USEBMAP);
	ATF_CHECK_EQ(ps.pr_size, 256);
	ATF_CHECK_EQ(ps.pr_pagesize, 4096);
	ATF_CHECK_EQ(ps.pr_itemsperpage, 16);
	ATF_CHECK_EQ(ps.pr_nitems, 7);
	ATF_CHECK_EQ(ps.pr_nout, 9);
	ATF_CHECK_EQ(ps.pr_hardlimit, 100);
	ATF_CHECK_EQ(ps.pr_npages, 1);
	ATF_CHECK_EQ(ps.pr_minpages, 0);
	ATF_CHECK_EQ(ps.pr_maxpages, 7);
	ATF_CHECK_EQ(ps.pr_nget, 10);
	ATF_CHECK_EQ(ps.pr_nfail, 0);
	ATF_CHECK_EQ(ps.pr_nput, 1);
	ATF_CHECK_EQ(ps.pr_npagealloc, 1);
	ATF_CHECK_EQ(ps.pr_npagefree, 0);
	ATF_CHECK_EQ(ps.pr_hiwat, 1);
	ATF_CHECK_EQ(ps.pr_nidle, 0);
	ATF_CHECK_EQ(ps.pr_cache_meta_size, 0);
	/* pool_totalpages: PR_RECURSIVE pools do not count items out. */
	int tp = pool_totalpages();
	pool_put(&b, pool_get(&b, PR_WAITOK));
	ATF_CHECK_EQ(pool_totalpages(), tp + 1);
	for (i = 0; i < 9; i++)
		pool_put(&a, it[i]);
	pool_destroy(&a);
	pool_destroy(&b);
	h_shutdown(m);
}

/* DDB printers: the formats of spec 1.14. */
ATF_TC_WITHOUT_HEAD(printit_whatis_chk);
ATF_TC_BODY(printit_whatis_chk, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	char buf[512], *x, *y;

	m = boot(0, 4096, 1);
	pool_init(&pool, 100, 0, 0, 0, "printme", NULL, IPL_NONE);
	x = pool_get(&pool, PR_WAITOK);
	y = pool_get(&pool, PR_WAITOK);
	pool_put(&pool, y);
	h_print_reset();
	pool_printit(&pool, "", nbm_print_pr);
	snprintf(buf, sizeof(buf), "POOL printme: size 104, align 8, "
	    "ioff 56, roflags 0x%08x\n\tpool %p, alloc %p\n"
	    "\tminitems 0, minpages 0, maxpages %u, npages 1\n"
	    "\titemsperpage 38, nitems 37, nout 1, hardlimit %u\n"
	    "\tnget 2, nfail 0, nput 1\n"
	    "\tnpagealloc 1, npagefree 0, hiwat 1, nidle 0\n\n",
	    PR_PHINPAGE | PR_USEBMAP, (void *)&pool, (void *)pool.pr_alloc,
	    UINT_MAX, UINT_MAX);
	ATF_CHECK_STREQ(h_printed(), buf);

	h_print_reset();
	pool_printit(&pool, "s", nbm_print_pr);
	snprintf(buf, sizeof(buf), "POOL printme:%p:104:8:1:37:1:2:1:1:0:0\n",
	    (void *)&pool);
	ATF_CHECK_STREQ(h_printed(), buf);

	h_print_reset();
	pool_printit(&pool, "pl", nbm_print_pr);
	snprintf(buf, sizeof(buf), "\n\tpartial-page list:\n\t\tpage %p, "
	    "nmissing 1, time ", POOL_OBJ_TO_PAGE(&pool, x));
	ATF_CHECK(strstr(h_printed(), buf) != NULL);
	snprintf(buf, sizeof(buf), "\tcurpage %p\n",
	    POOL_OBJ_TO_PAGE(&pool, x));
	ATF_CHECK(strstr(h_printed(), buf) != NULL);
	ATF_CHECK(strstr(h_printed(), "\n\n") == strstr(h_printed(),
	    "\n\n\tpartial"));	/* 'l': no trailing blank line */

	h_print_reset();
	pool_printall("S", nbm_print_pr);
	ATF_CHECK(strstr(h_printed(), "POOL printme:") != NULL);
	ATF_CHECK(strstr(h_printed(), "phpool-2048") == NULL);	/* unused */
	h_print_reset();
	pool_printit(NULL, "", nbm_print_pr);
	ATF_CHECK_STREQ(h_printed(), "Must specify a pool to print.\n");

	h_print_reset();
	pool_whatis((uintptr_t)x + 5, nbm_print_pr);
	snprintf(buf, sizeof(buf), "%p is %p+5 in POOL 'printme' "
	    "(allocated)\n", x + 5, x);
	ATF_CHECK_STREQ(h_printed(), buf);
	h_print_reset();
	pool_whatis((uintptr_t)y, nbm_print_pr);
	snprintf(buf, sizeof(buf), "%p is %p+0 in POOL 'printme' (free)\n",
	    y, y);
	ATF_CHECK_STREQ(h_printed(), buf);

	/* The page header is no item: nothing printed, no panic. */
	h_print_reset();
	pool_whatis((uintptr_t)POOL_OBJ_TO_PAGE(&pool, x) + 8, nbm_print_pr);
	ATF_CHECK_STREQ(h_printed(), "");

	ATF_CHECK_EQ(pool_chk(&pool, "label"), 0);
	pool_put(&pool, x);
	ATF_CHECK_EQ(pool_chk(&pool, NULL), 0);
	pool_destroy(&pool);
	h_shutdown(m);
}

/*
 * Pools whose pages are not aligned to their size (PR_NOALIGN): 8 KiB
 * pages that start on an odd 4 KiB boundary, cut from 12 KiB runs.
 */
static struct { vmem_addr_t run; void *page; } noalign_runs[64];

static void *
noalign_alloc(struct pool *pp, int flags)
{
	vmem_addr_t va;
	size_t i;

	if (uvm_km_kmem_alloc(kmem_va_arena, 3 * 4096, VM_SLEEP |
	    VM_INSTANTFIT, &va) != 0)
		return NULL;
	for (i = 0; noalign_runs[i].page != NULL; i++)
		continue;
	noalign_runs[i].run = va;
	noalign_runs[i].page = (char *)va + ((va & 8191) == 0 ? 4096 : 0);
	ATF_REQUIRE(((uintptr_t)noalign_runs[i].page & 8191) == 4096);
	return noalign_runs[i].page;
}

static void
noalign_free(struct pool *pp, void *v)
{
	size_t i;

	for (i = 0; noalign_runs[i].page != v; i++)
		continue;
	uvm_km_kmem_free(kmem_va_arena, noalign_runs[i].run, 3 * 4096);
	noalign_runs[i].page = (void *)1;	/* keep the slot used */
}

ATF_TC_WITHOUT_HEAD(noalign_pages);
ATF_TC_BODY(noalign_pages, tc)
{
	struct pool_allocator pa;
	struct nbm_machine *m;
	struct pool pool;
	void *it[64];
	int i;

	m = boot(0, 4096, 1);
	memset(&pa, 0, sizeof(pa));
	memset(noalign_runs, 0, sizeof(noalign_runs));
	pa.pa_alloc = noalign_alloc;
	pa.pa_free = noalign_free;
	pa.pa_pagesz = 8192;
	pool_init(&pool, 1000, 0, 0, PR_NOALIGN, "noalign", &pa, IPL_NONE);
	ATF_CHECK(!(pool.pr_roflags & PR_PHINPAGE));
	ATF_CHECK_EQ(pool.pr_itemsperpage, 8);
	for (i = 0; i < 64; i++)
		it[i] = pool_get(&pool, PR_WAITOK);
	CHECK_INV(&pool);
	for (i = 0; i < 64; i += 2)
		pool_put(&pool, it[i]);
	for (i = 1; i < 64; i += 2)
		pool_put(&pool, it[i]);
	CHECK_INV(&pool);
	ATF_CHECK_EQ(pool.pr_nout, 0);
	pool_destroy(&pool);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * IPL and context
 */

struct ctx {
	struct pool *pp;
	void *item;
	int flags;
};

static void
ctx_get(void *arg)
{
	struct ctx *c = arg;

	c->item = pool_get(c->pp, c->flags);
}

static void
ctx_put(void *arg)
{
	struct ctx *c = arg;

	pool_put(c->pp, c->item);
}

struct intr_call {
	int ipl;
	bool soft;
	void (*fn)(void *);
	void *arg;
};

static void
in_interrupt(void *arg)
{
	struct intr_call *ic = arg;

	ATF_REQUIRE_EQ(nbm_cpu_interrupt(ic->ipl, ic->soft, ic->fn, ic->arg),
	    0);
}

/*
 * expect_ctx_panic: a pool at pool_ipl used with flags from an interrupt
 * at intr_ipl (soft or hard) panics with `want'.
 */
static void
expect_ctx_panic(int pool_ipl, int intr_ipl, bool soft, int flags,
    const char *want)
{
	struct nbm_machine *m;
	struct intr_call ic;
	struct pool pool;
	struct ctx c;

	m = boot(0, 4096, 1);
	pool_init(&pool, 64, 0, 0, 0, "plctx", NULL, pool_ipl);
	c.pp = &pool;
	c.flags = flags;
	ic = (struct intr_call){ intr_ipl, soft, ctx_get, &c };
	h_expect_panic(m, in_interrupt, &ic, want);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(ipl_context);
ATF_TC_BODY(ipl_context, tc)
{
	struct nbm_machine *m;
	struct pool pvm;
	struct ctx c;

	/* Allowed: an IPL_VM pool from an IPL_VM (and lower) interrupt. */
	m = boot(0, 4096, 1);
	pool_init(&pvm, 64, 0, 0, 0, "plvm", NULL, IPL_VM);
	c.pp = &pvm;
	c.flags = PR_NOWAIT;
	ATF_REQUIRE_EQ(nbm_cpu_interrupt(IPL_VM, false, ctx_get, &c), 0);
	ATF_CHECK(c.item != NULL);
	ATF_REQUIRE_EQ(nbm_cpu_interrupt(IPL_SOFTNET, true, ctx_put, &c), 0);
	pool_destroy(&pvm);
	h_shutdown(m);

	/* An IPL_NONE pool from a hard and from a soft interrupt. */
	expect_ctx_panic(IPL_NONE, IPL_VM, false, PR_NOWAIT, "pool_get: "
	    "[plctx] is IPL_NONE, but called from interrupt context");
	expect_ctx_panic(IPL_NONE, IPL_SOFTCLOCK, true, PR_NOWAIT, "pool_get: "
	    "[plctx] is IPL_NONE, but called from interrupt context");
	/* A hard interrupt above the pool's IPL. */
	expect_ctx_panic(IPL_VM, IPL_SCHED, false, PR_NOWAIT, "pool_get: "
	    "[plctx] called from an interrupt at IPL 7, above the pool's "
	    "IPL 6");
	/* PR_WAITOK from an interrupt: not sleepable, on every machine. */
	expect_ctx_panic(IPL_VM, IPL_VM, false, PR_WAITOK,
	    "assert_sleepable: interrupt");
}

/* -------------------------------------------------------------------------
 * Panics of spec 1.11
 */

struct pctx {
	struct pool pool;
	char *a, *b;
};

static void
do_put_a(void *arg)
{
	struct pctx *p = arg;

	pool_put(&p->pool, p->a);
}

static void
do_get(void *arg)
{
	struct pctx *p = arg;

	p->b = pool_get(&p->pool, PR_NOWAIT);
	p->b = pool_get(&p->pool, PR_NOWAIT);
}

static void
do_destroy(void *arg)
{
	struct pctx *p = arg;

	pool_destroy(&p->pool);
}

static void
do_init_twice(void *arg)
{
	struct pctx *p = arg;

	pool_init(&p->pool, 64, 0, 0, 0, "twice", NULL, IPL_NONE);
}

static void
do_drain_hook_twice(void *arg)
{
	struct pctx *p = arg;

	pool_set_drain_hook(&p->pool, drain_hook, NULL);
}

static void
do_get_limit(void *arg)
{
	struct pctx *p = arg;

	(void)pool_get(&p->pool, PR_NOWAIT);
}

static void
do_too_many(void *arg)
{
	struct pctx *p = arg;

	pool_init(&p->pool, 1, 1, 0, PR_NOTOUCH, "toomany", NULL, IPL_NONE);
}

static void
do_too_big(void *arg)
{
	struct pctx *p = arg;

	pool_init(&p->pool, 5000, 0, 0, 0, "toobig", NULL, IPL_NONE);
}

static struct nbm_machine *
panic_setup(struct pctx *p, u_int options, size_t size, u_int align,
    int flags)
{
	struct nbm_machine *m = boot(options, 4096, 1);

	pool_init(&p->pool, size, align, 0, flags, "victim", NULL, IPL_NONE);
	p->a = pool_get(&p->pool, PR_WAITOK);
	return m;
}

ATF_TC_WITHOUT_HEAD(panic_texts);
ATF_TC_BODY(panic_texts, tc)
{
	struct nbm_machine *m;
	struct pool other;
	struct pctx p;
	char want[256];

	/* Bitmap double free (always). */
	m = panic_setup(&p, 0, 128, 64, 0);
	pool_put(&p.pool, pool_get(&p.pool, PR_WAITOK));	/* nout 1 */
	(void)pool_get(&p.pool, PR_WAITOK);			/* nout 2 */
	pool_put(&p.pool, p.a);
	snprintf(want, sizeof(want), "pr_item_bitmap_put: [victim] %p "
	    "already freed", p.a);
	h_expect_panic(m, do_put_a, &p, want);
	h_shutdown(m);

	/* A pointer past the item area of a bitmap page. */
	m = panic_setup(&p, 0, 128, 64, 0);
	p.a = (char *)POOL_OBJ_TO_PAGE(&p.pool, p.a) + 64 + 31 * 128;
	h_expect_panic(m, do_put_a, &p, "pr_item_bitmap_index: [victim] "
	    "31 >= 31");
	h_shutdown(m);

	/* Below the item space of an on-page pool. */
	m = panic_setup(&p, 0, 64, 0, 0);
	p.a = (char *)POOL_OBJ_TO_PAGE(&p.pool, p.a) + 8;
	snprintf(want, sizeof(want), "pr_phinpage_check: [victim] item %p "
	    "below item space", p.a);
	h_expect_panic(m, do_put_a, &p, want);
	h_shutdown(m);

	/* An item of another on-page pool: poolid mismatch. */
	m = panic_setup(&p, 0, 64, 0, 0);
	pool_init(&other, 64, 0, 0, 0, "other", NULL, IPL_NONE);
	p.a = pool_get(&other, PR_WAITOK);
	snprintf(want, sizeof(want), "pr_phinpage_check: [victim] item %p "
	    "poolid %u != %u", p.a, other.pr_poolid, p.pool.pr_poolid);
	h_expect_panic(m, do_put_a, &p, want);
	h_shutdown(m);

	/* A page that is no pool page: "not part of pool". */
	m = panic_setup(&p, 0, 64, 0, 0);
	pool_init(&other, 2048, 0, 0, 0, "offpage", NULL, IPL_NONE);
	p.a = pool_get(&other, PR_WAITOK);	/* first item of its page */
	memset(p.a, 0, 64);
	snprintf(want, sizeof(want), "pr_phinpage_check: [victim] item %p "
	    "not part of pool", p.a);
	h_expect_panic(m, do_put_a, &p, want);
	h_shutdown(m);

	/* Off-page pool: a page it does not have. */
	m = panic_setup(&p, 0, 2048, 0, 0);
	pool_init(&other, 2048, 0, 0, 0, "offpage", NULL, IPL_NONE);
	p.a = pool_get(&other, PR_WAITOK);
	h_expect_panic(m, do_put_a, &p, "pool_do_put: [victim] page header "
	    "missing");
	h_shutdown(m);

	/* Putting with none out (KASSERT: DIAGNOSTIC). */
	m = panic_setup(&p, NBM_OPT_DIAGNOSTIC, 64, 0, 0);
	pool_put(&p.pool, p.a);
	h_expect_panic(m, do_put_a, &p, "pool_do_put: [victim] putting with "
	    "none out");
	h_shutdown(m);

	/* Free list modified after free, found at the next get (magic). */
	m = panic_setup(&p, NBM_OPT_DIAGNOSTIC, 24, 0, 0);
	ATF_REQUIRE(!(p.pool.pr_roflags & PR_USEBMAP));
	pool_put(&p.pool, p.a);
	*(uint32_t *)(void *)p.a = 0x12345678;
	snprintf(want, sizeof(want), "pr_item_linkedlist_get: [victim] free "
	    "list modified: magic=12345678; page %p; item addr %p",
	    POOL_OBJ_TO_PAGE(&p.pool, p.a), p.a);
	h_expect_panic(m, do_get, &p, want);
	ATF_CHECK(strstr(h_panicmsg(), "kernel diagnostic assertion") != NULL);
	h_shutdown(m);

	/* A list page whose free list was cut: "page empty" (any machine). */
	m = panic_setup(&p, 0, 24, 0, 0);
	ATF_REQUIRE(!(p.pool.pr_roflags & PR_USEBMAP));
	pool_put(&p.pool, p.a);
	memset(p.a, 0, 8);		/* le_next = NULL */
	h_expect_panic(m, do_get, &p, "pr_item_linkedlist_get: [victim] page "
	    "empty");
	h_shutdown(m);

	/* Redzone overwritten, found at put. */
	m = panic_setup(&p, NBM_OPT_POOL_REDZONE, 60, 0, 0);
	ATF_REQUIRE(p.pool.pr_redzone);
	p.a[60] ^= 0x55;
	snprintf(want, sizeof(want), "pool_redzone_check: [victim] 0x%02x != "
	    "0x%02x", (unsigned char)p.a[60], (unsigned char)(p.a[60] ^ 0x55));
	h_expect_panic(m, do_put_a, &p, want);
	h_shutdown(m);

	/* Destroy with an item out (KASSERT: DIAGNOSTIC). */
	m = panic_setup(&p, NBM_OPT_DIAGNOSTIC, 64, 0, 0);
	h_expect_panic(m, do_destroy, &p, "pool_destroy: [victim] pool busy: "
	    "still out: 1");
	h_shutdown(m);

	/* Crossing the hard limit (lowered under nout; DIAGNOSTIC). */
	m = panic_setup(&p, NBM_OPT_DIAGNOSTIC, 64, 0, 0);
	(void)pool_get(&p.pool, PR_WAITOK);
	pool_sethardlimit(&p.pool, 1, NULL, 0);
	h_expect_panic(m, do_get_limit, &p, "pool_get: victim: crossed hard "
	    "limit");
	h_shutdown(m);

	/* pool_init twice (DEBUG), drain hook twice (DIAGNOSTIC). */
	m = panic_setup(&p, NBM_OPT_DEBUG, 64, 0, 0);
	h_expect_panic(m, do_init_twice, &p, "pool_init: [twice] already "
	    "initialised");
	h_shutdown(m);
	m = panic_setup(&p, NBM_OPT_DIAGNOSTIC, 64, 0, 0);
	pool_set_drain_hook(&p.pool, drain_hook, NULL);
	h_expect_panic(m, do_drain_hook_twice, &p, "pool_set_drain_hook: "
	    "[victim] already set");
	h_shutdown(m);

	/* Geometry limits. */
	m = boot(0, 65536, 1);
	h_expect_panic(m, do_too_many, &p, "pool_init: [toomany] too large "
	    "itemsperpage(65536) for PR_USEBMAP");
	h_shutdown(m);
	m = boot(NBM_OPT_DIAGNOSTIC, 4096, 1);
	h_expect_panic(m, do_too_big, &p, "pool_init: [toobig] pool item size "
	    "(5000) larger than page size (4096)");
	h_shutdown(m);
	m = boot(0, 4096, 1);
	h_expect_panic(m, do_too_big, &p, "pool_init: [toobig] pool item size "
	    "(5000) leaves no item in a page of 4096");
	h_shutdown(m);
}

/* Double free on a list pool is not detected by the pool (spec 1.11). */
ATF_TC_WITHOUT_HEAD(list_double_free_undetected);
ATF_TC_BODY(list_double_free_undetected, tc)
{
	struct nbm_machine *m;
	struct pool pool;
	void *a, *b;

	m = boot(0, 4096, 1);
	pool_init(&pool, 24, 0, 0, 0, "ldf", NULL, IPL_NONE);
	ATF_REQUIRE(!(pool.pr_roflags & PR_USEBMAP));
	a = pool_get(&pool, PR_WAITOK);
	b = pool_get(&pool, PR_WAITOK);
	pool_put(&pool, a);
	pool_put(&pool, a);		/* nout 0, no panic */
	ATF_CHECK_EQ(pool.pr_nout, 0);
	ATF_CHECK(!nbm_machine_dead(m));
	/* The same item now comes out twice. */
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), a);
	ATF_CHECK_EQ(pool_get(&pool, PR_WAITOK), a);
	(void)b;
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Randomized stress against a reference model
 */

#define STRESS_POOLS	6

struct stress_pool {
	struct pool	pool;
	size_t		size;
	u_int		align;
	int		flags;
};

static void
stress_setup(struct stress_pool *sp)
{
	static const struct { size_t size; u_int align; int flags; } g[] = {
		{ 24, 0, 0 },		/* list, on-page */
		{ 100, 0, 0 },		/* list, on-page */
		{ 128, 64, 0 },		/* bitmap, on-page */
		{ 600, 0, 0 },		/* bitmap, off-page */
		{ 16, 16, PR_NOTOUCH },	/* bitmap, off-page, 256/page */
		{ 2000, 0, 0 },		/* 2 per page */
	};
	int i;

	for (i = 0; i < STRESS_POOLS; i++) {
		sp[i].size = g[i].size;
		sp[i].align = g[i].align;
		sp[i].flags = g[i].flags;
		pool_init(&sp[i].pool, g[i].size, g[i].align, 0, g[i].flags,
		    "stress", NULL, IPL_VM);
	}
}

/* The tag written into an item: its pool and a serial number. */
static void
stamp(void *v, size_t size, uint64_t tag)
{

	memcpy(v, &tag, MIN(size, sizeof(tag)));
	if (size > 16)
		memcpy((char *)v + size - 8, &tag, 8);
}

static bool
stamp_ok(const void *v, size_t size, uint64_t tag)
{
	uint64_t t = 0, u = 0;

	memcpy(&t, v, MIN(size, sizeof(tag)));
	if (size < sizeof(tag))
		tag &= (1ULL << (8 * size)) - 1;
	if (size > 16)
		memcpy(&u, (const char *)v + size - 8, 8);
	else
		u = tag;
	return t == tag && u == tag;
}

ATF_TC_WITHOUT_HEAD(stress_single_cpu);
ATF_TC_BODY(stress_single_cpu, tc)
{
	enum { NLIVE = 2000, NOPS = 60000 };
	struct stress_pool sp[STRESS_POOLS];
	struct { void *v; int pool; uint64_t tag; } *live;
	struct nbm_machine *m;
	uint64_t seed, rs, tag = 1;
	size_t nlive = 0, i, j;
	int op;

	seed = h_seed(20261126);
	rs = seed;
	m = boot(NBM_OPT_DIAGNOSTIC, 4096, 1);
	stress_setup(sp);
	live = calloc(NLIVE, sizeof(*live));
	ATF_REQUIRE(live != NULL);
	for (op = 0; op < NOPS; op++) {
		uint64_t r = h_rand(&rs);
		int p = (int)(r % STRESS_POOLS);

		if (nlive < NLIVE && (nlive == 0 || (r >> 8) % 100 < 55)) {
			void *v = pool_get(&sp[p].pool, PR_NOWAIT);

			ATF_REQUIRE_MSG(v != NULL, "seed %llu op %d",
			    (unsigned long long)seed, op);
			/* Not already out: no item handed out twice. */
			for (j = 0; j < nlive; j++)
				ATF_REQUIRE_MSG(live[j].v != v ||
				    live[j].pool != p, "seed %llu op %d: %p "
				    "twice", (unsigned long long)seed, op, v);
			stamp(v, sp[p].size, tag);
			live[nlive].v = v;
			live[nlive].pool = p;
			live[nlive].tag = tag++;
			nlive++;
		} else {
			i = (size_t)((r >> 16) % nlive);
			p = live[i].pool;
			ATF_REQUIRE_MSG(stamp_ok(live[i].v, sp[p].size,
			    live[i].tag), "seed %llu op %d: item %p "
			    "overwritten", (unsigned long long)seed, op,
			    live[i].v);
			pool_put(&sp[p].pool, live[i].v);
			live[i] = live[--nlive];
		}
		if (op % 997 == 0) {
			for (j = 0; j < STRESS_POOLS; j++)
				CHECK_INV(&sp[j].pool);
			nbm_machine_advance(m, 3ULL * 1000000000ULL);
			(void)pool_reclaim(&sp[r % STRESS_POOLS].pool);
		}
	}
	/* Counters against the model. */
	for (j = 0; j < STRESS_POOLS; j++) {
		u_int out = 0;

		for (i = 0; i < nlive; i++)
			out += live[i].pool == (int)j;
		ATF_CHECK_EQ(sp[j].pool.pr_nout, out);
		CHECK_INV(&sp[j].pool);
	}
	while (nlive > 0) {
		nlive--;
		ATF_REQUIRE(stamp_ok(live[nlive].v, sp[live[nlive].pool].size,
		    live[nlive].tag));
		pool_put(&sp[live[nlive].pool].pool, live[nlive].v);
	}
	for (j = 0; j < STRESS_POOLS; j++) {
		CHECK_INV(&sp[j].pool);
		ATF_CHECK_EQ(sp[j].pool.pr_nout, 0);
		ATF_CHECK_EQ(pool_chk(&sp[j].pool, "stress"), 0);
		pool_destroy(&sp[j].pool);
	}
	free(live);
	h_shutdown(m);
}

/*
 * Several CPUs on host threads share the pools; each thread frees a part
 * of its items itself and hands the rest to the next thread, which frees
 * them on its own CPU.
 */
#define MT_THREADS	3
#define MT_ROUNDS	3000

struct mt_shared {
	struct nbm_machine *m;
	struct stress_pool sp[STRESS_POOLS];
	pthread_mutex_t lock;
	struct { void *v; int pool; uint64_t tag; } *handoff[MT_THREADS];
	size_t nhand[MT_THREADS];
	uint64_t seed;
	_Atomic uint64_t gets, puts;
};

struct mt_arg {
	struct mt_shared *s;
	u_int cpu;
};

static void *
mt_thread(void *argp)
{
	struct mt_arg *a = argp;
	struct mt_shared *s = a->s;
	struct { void *v; int pool; uint64_t tag; } mine[64];
	uint64_t rs = s->seed + a->cpu, tag = (uint64_t)a->cpu << 48;
	size_t n, i, k;
	int round, p;

	ATF_REQUIRE_EQ(nbm_cpu_enter(s->m, a->cpu), 0);
	for (round = 0; round < MT_ROUNDS; round++) {
		n = 1 + h_rand(&rs) % 64;
		for (i = 0; i < n; i++) {
			p = (int)(h_rand(&rs) % STRESS_POOLS);
			mine[i].v = pool_get(&s->sp[p].pool, PR_WAITOK);
			mine[i].pool = p;
			mine[i].tag = ++tag;
			stamp(mine[i].v, s->sp[p].size, tag);
		}
		atomic_fetch_add(&s->gets, n);
		/* Free what the previous thread handed us. */
		pthread_mutex_lock(&s->lock);
		k = s->nhand[a->cpu];
		for (i = 0; i < k; i++) {
			p = s->handoff[a->cpu][i].pool;
			ATF_REQUIRE(stamp_ok(s->handoff[a->cpu][i].v,
			    s->sp[p].size, s->handoff[a->cpu][i].tag));
			pool_put(&s->sp[p].pool, s->handoff[a->cpu][i].v);
		}
		s->nhand[a->cpu] = 0;
		pthread_mutex_unlock(&s->lock);
		atomic_fetch_add(&s->puts, k);
		/* Half ours back now, half to the next CPU's thread. */
		for (i = 0; i < n; i++) {
			p = mine[i].pool;
			ATF_REQUIRE(stamp_ok(mine[i].v, s->sp[p].size,
			    mine[i].tag));
			if (i % 2 == 0) {
				pool_put(&s->sp[p].pool, mine[i].v);
				atomic_fetch_add(&s->puts, 1);
				continue;
			}
			u_int next = (a->cpu + 1) % MT_THREADS;

			pthread_mutex_lock(&s->lock);
			if (s->nhand[next] < 4096) {
				s->handoff[next][s->nhand[next]].v = mine[i].v;
				s->handoff[next][s->nhand[next]].pool = p;
				s->handoff[next][s->nhand[next]].tag =
				    mine[i].tag;
				s->nhand[next]++;
				pthread_mutex_unlock(&s->lock);
			} else {
				pthread_mutex_unlock(&s->lock);
				pool_put(&s->sp[p].pool, mine[i].v);
				atomic_fetch_add(&s->puts, 1);
			}
		}
		if (round % 500 == 0)
			(void)pool_reclaim(&s->sp[round % STRESS_POOLS].pool);
	}
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(stress_multi_cpu);
ATF_TC_BODY(stress_multi_cpu, tc)
{
	struct mt_shared *s;
	struct mt_arg args[MT_THREADS];
	pthread_t t[MT_THREADS];
	uint64_t nget = 0, nput = 0;
	size_t i, j;

	s = calloc(1, sizeof(*s));
	ATF_REQUIRE(s != NULL);
	s->seed = h_seed(4242);
	s->m = boot(0, 4096, MT_THREADS + 1);
	stress_setup(s->sp);
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < MT_THREADS; i++) {
		s->handoff[i] = calloc(4096, sizeof(*s->handoff[i]));
		ATF_REQUIRE(s->handoff[i] != NULL);
	}
	nbm_cpu_exit();
	for (i = 0; i < MT_THREADS; i++) {
		args[i].s = s;
		args[i].cpu = (u_int)i;
		pthread_create(&t[i], NULL, mt_thread, &args[i]);
	}
	for (i = 0; i < MT_THREADS; i++)
		pthread_join(t[i], NULL);
	ATF_REQUIRE_EQ(nbm_cpu_enter(s->m, MT_THREADS), 0);
	for (i = 0; i < MT_THREADS; i++) {
		for (j = 0; j < s->nhand[i]; j++) {
			pool_put(&s->sp[s->handoff[i][j].pool].pool,
			    s->handoff[i][j].v);
			atomic_fetch_add(&s->puts, 1);
		}
		free(s->handoff[i]);
	}
	for (i = 0; i < STRESS_POOLS; i++) {
		CHECK_INV(&s->sp[i].pool);
		ATF_CHECK_EQ(s->sp[i].pool.pr_nout, 0);
		nget += s->sp[i].pool.pr_nget;
		nput += s->sp[i].pool.pr_nput;
	}
	ATF_CHECK_EQ(nget, atomic_load(&s->gets));
	ATF_CHECK_EQ(nput, atomic_load(&s->puts));
	for (i = 0; i < STRESS_POOLS; i++)
		pool_destroy(&s->sp[i].pool);
	pthread_mutex_destroy(&s->lock);
	h_shutdown(s->m);
	free(s);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, geometry_4k);
	ATF_TP_ADD_TC(tp, geometry_4k_diagnostic);
	ATF_TP_ADD_TC(tp, geometry_redzone_only);
	ATF_TP_ADD_TC(tp, geometry_rules_8k_16k);
	ATF_TP_ADD_TC(tp, counters_trace);
	ATF_TP_ADD_TC(tp, address_order_list);
	ATF_TP_ADD_TC(tp, address_order_bitmap);
	ATF_TP_ADD_TC(tp, zero_flag);
	ATF_TP_ADD_TC(tp, lowat);
	ATF_TP_ADD_TC(tp, hiwat_documented);
	ATF_TP_ADD_TC(tp, hardlimit);
	ATF_TP_ADD_TC(tp, hardlimit_waits);
	ATF_TP_ADD_TC(tp, prime);
	ATF_TP_ADD_TC(tp, reclaim_idle_time);
	ATF_TP_ADD_TC(tp, drain_round_robin);
	ATF_TP_ADD_TC(tp, drain_hook_points);
	ATF_TP_ADD_TC(tp, destroy_frees_pages);
	ATF_TP_ADD_TC(tp, internal_pools);
	ATF_TP_ADD_TC(tp, sysctl_fields);
	ATF_TP_ADD_TC(tp, printit_whatis_chk);
	ATF_TP_ADD_TC(tp, noalign_pages);
	ATF_TP_ADD_TC(tp, ipl_context);
	ATF_TP_ADD_TC(tp, panic_texts);
	ATF_TP_ADD_TC(tp, list_double_free_undetected);
	ATF_TP_ADD_TC(tp, stress_single_cpu);
	ATF_TP_ADD_TC(tp, stress_multi_cpu);
	return atf_no_error();
}
