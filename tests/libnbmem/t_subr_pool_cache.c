/*
 * t_subr_pool_cache: pool_cache(9) (subr_pool_cache.c): the single-CPU
 * counter trace of spec 2.7 step by step, constructor and destructor
 * timing, physical addresses, large groups, invalidation on one CPU and
 * across CPUs (free and busy ones, see the protocol in
 * subr_pool_cache.c), cross-CPU frees, destruction, the statistics and
 * printers, the panics, and randomized stress tests against a reference
 * model on one CPU and on several CPUs as host threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"
#include "subr_pool_impl.h"

static struct nbm_machine *
boot(u_int options, u_int ncpu)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	h_config(&cfg);
	cfg.options = options;
	cfg.ncpu = ncpu;
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	return m;
}

static pool_cache_cpu_t *
cpu_state(pool_cache_t pc, u_int cpu)
{

	return PC_CPU_PTR(pc->pc_cpus[cpu]);
}

/* "avail" of a CPU's group, -1 for the dummy group. */
static int
avail(pcg_t *pcg)
{

	return pcg == PCG_DUMMY ? -1 : (int)pcg->pcg_avail;
}

struct cstat {
	uint64_t hits, misses, pcmisses, contended;
	int64_t nfull, npart;
};

static struct cstat
cstat(pool_cache_t pc, u_int cpu)
{
	struct cstat c;

	nbm_pool_cache_cpustat(pc, cpu, &c.hits, &c.misses, &c.pcmisses,
	    &c.contended, &c.nfull, &c.npart);
	return c;
}

static bool
find_sysctl(struct nbm_machine *m, const char *wchan, struct pool_sysctl *out)
{
	struct pool_sysctl *buf;
	size_t n, i;
	bool found = false;

	n = nbm_pool_sysctl(m, NULL, 0);
	buf = calloc(n, sizeof(*buf));
	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_EQ(nbm_pool_sysctl(m, buf, n), n);
	for (i = 0; i < n; i++) {
		if (strcmp(buf[i].pr_wchan, wchan) == 0) {
			*out = buf[i];
			found = true;
			break;
		}
	}
	free(buf);
	return found;
}

/* Constructor and destructor that count and mark objects. */
#define OBJ_MAGIC	0x0b1ec7ed

struct obj {
	uint32_t	o_magic;	/* set by the constructor */
	_Atomic uint32_t o_inuse;	/* handed out */
	uint64_t	o_serial;	/* construction number */
	char		o_pad[48];
};

static _Atomic uint64_t nctor, ndtor;
static _Atomic int ctor_fail;

static int
obj_ctor(void *arg, void *v, int flags)
{
	struct obj *o = v;

	ATF_CHECK(arg == &nctor);
	if (atomic_load(&ctor_fail) > 0) {
		atomic_fetch_sub(&ctor_fail, 1);
		return ENOMEM;
	}
	o->o_magic = OBJ_MAGIC;
	atomic_store(&o->o_inuse, 0);
	o->o_serial = atomic_fetch_add(&nctor, 1) + 1;
	return 0;
}

static void
obj_dtor(void *arg, void *v)
{
	struct obj *o = v;

	ATF_CHECK(arg == &nctor);
	ATF_CHECK_EQ(o->o_magic, OBJ_MAGIC);
	o->o_magic = 0;
	atomic_fetch_add(&ndtor, 1);
}

static void
reset_counts(void)
{

	atomic_store(&nctor, 0);
	atomic_store(&ndtor, 0);
	atomic_store(&ctor_fail, 0);
}

/* -------------------------------------------------------------------------
 * The trace of spec 2.7
 */

#define STEP(desc, cur, prev, h, mi, pcm, nf) do {			\
	struct cstat c_ = cstat(pc, 0);					\
	pool_cache_cpu_t *cc_ = cpu_state(pc, 0);			\
	ATF_CHECK_MSG(avail(cc_->cc_current) == (cur) &&		\
	    avail(cc_->cc_previous) == (prev), "%s: cur/prev %d/%d, "	\
	    "want %d/%d", desc, avail(cc_->cc_current),			\
	    avail(cc_->cc_previous), cur, prev);			\
	ATF_CHECK_MSG(c_.hits == (h) && c_.misses == (mi) &&		\
	    c_.pcmisses == (pcm) && c_.nfull == (nf), "%s: counters "	\
	    "(%llu, %llu, %llu, %lld), want (%d, %d, %d, %d)", desc,	\
	    (unsigned long long)c_.hits, (unsigned long long)c_.misses,	\
	    (unsigned long long)c_.pcmisses, (long long)c_.nfull,	\
	    h, mi, pcm, nf);						\
} while (0)

ATF_TC_WITHOUT_HEAD(trace_spec_2_7);
ATF_TC_BODY(trace_spec_2_7, tc)
{
	struct nbm_machine *m;
	struct pool_sysctl ps;
	pool_cache_t pc;
	void *o[31];
	int i;

	m = boot(0, 2);
	pc = pool_cache_init(64, 0, 0, 0, "trace27", NULL, IPL_NONE, NULL,
	    NULL, NULL);
	STEP("fresh", -1, -1, 0, 0, 0, 0);
	for (i = 0; i < 31; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	STEP("31 gets", -1, -1, 0, 31, 31, 0);
	ATF_CHECK_EQ(pool_cache_nget(pc), 31);
	ATF_CHECK_EQ(pool_cache_nput(pc), 0);
	pool_cache_put(pc, o[0]);
	STEP("put 1", 1, -1, 1, 32, 31, 0);
	for (i = 1; i < 15; i++)
		pool_cache_put(pc, o[i]);
	STEP("puts 2-15", 15, -1, 15, 32, 31, 0);
	pool_cache_put(pc, o[15]);
	STEP("put 16", 1, 15, 16, 33, 31, 0);
	for (i = 16; i < 30; i++)
		pool_cache_put(pc, o[i]);
	STEP("puts 17-30", 15, 15, 30, 33, 31, 0);
	pool_cache_put(pc, o[30]);
	STEP("put 31", 1, 15, 31, 34, 31, 1);
	ATF_CHECK_EQ(pool_cache_get(pc, PR_WAITOK), o[30]);	/* LIFO */
	STEP("get 1", 0, 15, 32, 34, 31, 1);
	/* The previous group holds the first 15 puts; LIFO again. */
	for (i = 1; i < 16; i++)
		ATF_CHECK_EQ(pool_cache_get(pc, PR_WAITOK), o[15 - i]);
	STEP("gets 2-16", 0, 0, 47, 34, 31, 1);
	/* The full group pushed by put 31 holds puts 16-30. */
	ATF_CHECK_EQ(pool_cache_get(pc, PR_WAITOK), o[29]);
	STEP("get 17", 14, 0, 48, 35, 31, 0);
	for (i = 17; i < 31; i++)
		(void)pool_cache_get(pc, PR_WAITOK);
	STEP("gets 18-31", 0, 0, 62, 35, 31, 0);

	/* The pool layer saw 31 requests and no release. */
	ATF_CHECK_EQ(pool_cache_nget(pc), 31);
	ATF_CHECK_EQ(pool_cache_nput(pc), 0);
	ATF_REQUIRE(find_sysctl(m, "trace27", &ps));
	ATF_CHECK_EQ(ps.pr_cache_meta_size, 15);
	ATF_CHECK_EQ(ps.pr_cache_nmiss_global, 31);	/* PoolLayer */
	ATF_CHECK_EQ(ps.pr_cache_nhit_global, 4);
	ATF_CHECK_EQ(ps.pr_cache_nmiss_pcpu, 35);
	ATF_CHECK_EQ(ps.pr_cache_nhit_pcpu, 62);
	ATF_CHECK_EQ(ps.pr_cache_nfull, 0);
	ATF_CHECK_EQ(ps.pr_cache_nempty, 0);
	ATF_CHECK_EQ(ps.pr_cache_ncontended, 0);
	ATF_CHECK_EQ(ps.pr_nget, 31);
	ATF_CHECK_EQ(ps.pr_nput, 0);
	ATF_CHECK_EQ(ps.pr_nout, 31);
	/* vmstat -C: CacheLayer 35, Hit% 11.4; CpuLayer 97, Hit% 63.9. */
	ATF_CHECK_EQ(ps.pr_cache_nhit_global + ps.pr_cache_nmiss_global, 35);
	ATF_CHECK_EQ(ps.pr_cache_nhit_pcpu + ps.pr_cache_nmiss_pcpu, 97);
	for (i = 0; i < 31; i++)
		pool_cache_put(pc, o[i]);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Constructor, destructor, flags, addresses
 */

ATF_TC_WITHOUT_HEAD(ctor_dtor_timing);
ATF_TC_BODY(ctor_dtor_timing, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	struct obj *o[40], *x;
	int i;

	reset_counts();
	m = boot(0, 1);
	pc = pool_cache_init(sizeof(struct obj), 0, 0, 0, "ctor", NULL,
	    IPL_VM, obj_ctor, obj_dtor, &nctor);
	for (i = 0; i < 20; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	ATF_CHECK_EQ(atomic_load(&nctor), 20);
	for (i = 0; i < 20; i++)
		pool_cache_put(pc, o[i]);
	ATF_CHECK_EQ(atomic_load(&ndtor), 0);	/* kept constructed */
	for (i = 0; i < 20; i++) {
		x = pool_cache_get(pc, PR_WAITOK);
		ATF_CHECK_EQ(x->o_magic, OBJ_MAGIC);
	}
	ATF_CHECK_EQ(atomic_load(&nctor), 20);	/* recycled, not rebuilt */
	for (i = 0; i < 20; i++)
		pool_cache_put(pc, o[i]);

	/* destruct_object: dtor and pool_put, bypassing the cache. */
	x = pool_cache_get(pc, PR_WAITOK);
	pool_cache_destruct_object(pc, x);
	ATF_CHECK_EQ(atomic_load(&ndtor), 1);
	ATF_CHECK_EQ(pool_cache_nput(pc), 1);

	/* Invalidation destructs the rest. */
	pool_cache_invalidate(pc);
	ATF_CHECK_EQ(atomic_load(&ndtor), 20);
	ATF_CHECK_EQ(pool_cache_nput(pc), 20);
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 0);

	/* A put that finds no empty group destructs (groups disabled). */
	for (i = 0; i < 40; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	ATF_CHECK_EQ(atomic_load(&nctor), 60);
	pool_state()->ps_cache_disable = 1;
	pool_cache_invalidate(pc);	/* no empty group anywhere */
	for (i = 0; i < 40; i++)
		pool_cache_put(pc, o[i]);
	pool_state()->ps_cache_disable = 0;
	ATF_CHECK_EQ(atomic_load(&ndtor), 60);
	ATF_CHECK_EQ(cstat(pc, 0).pcmisses, 40 + 40 + 20);

	/* A failing constructor: NULL, even with PR_WAITOK, item back. */
	atomic_store(&ctor_fail, 1);
	ATF_CHECK(pool_cache_get(pc, PR_WAITOK) == NULL);
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 0);
	ATF_CHECK_EQ(atomic_load(&nctor), 60);
	x = pool_cache_get(pc, PR_WAITOK);
	ATF_CHECK_EQ(atomic_load(&nctor), 61);
	pool_cache_put(pc, x);
	pool_cache_destroy(pc);
	ATF_CHECK_EQ(atomic_load(&ndtor), 61);
	h_shutdown(m);
}

/* PR_ZERO reaches only pool-layer gets: cached objects come back as put. */
ATF_TC_WITHOUT_HEAD(zero_only_from_pool);
ATF_TC_BODY(zero_only_from_pool, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	unsigned char *p;
	int i;

	m = boot(0, 1);
	pc = pool_cache_init(200, 0, 0, 0, "zero", NULL, IPL_NONE, NULL,
	    NULL, NULL);
	p = pool_cache_get(pc, PR_WAITOK | PR_ZERO);
	for (i = 0; i < 200; i++)
		ATF_REQUIRE_EQ(p[i], 0);
	memset(p, 0x5a, 200);
	pool_cache_put(pc, p);
	p = pool_cache_get(pc, PR_WAITOK | PR_ZERO);
	ATF_CHECK_EQ(p[0], 0x5a);
	ATF_CHECK_EQ(p[199], 0x5a);
	pool_cache_put(pc, p);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(paddr);
ATF_TC_BODY(paddr, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	paddr_t pa, want;
	void *p;

	m = boot(0, 1);
	pc = pool_cache_init(64, 0, 0, 0, "paddr", NULL, IPL_VM, NULL, NULL,
	    NULL);
	p = pool_cache_get_paddr(pc, PR_WAITOK, &pa);
	ATF_REQUIRE(pmap_extract(pmap_kernel(), (vaddr_t)p, &want));
	ATF_CHECK_EQ(pa, want);			/* POOL_VTOPHYS on a miss */
	pool_cache_put_paddr(pc, p, 0x1234000);
	ATF_CHECK_EQ(pool_cache_get_paddr(pc, PR_WAITOK, &pa), p);
	ATF_CHECK_EQ(pa, 0x1234000);		/* as stored by the put */
	pool_cache_put(pc, p);
	ATF_CHECK_EQ(pool_cache_get_paddr(pc, PR_WAITOK, &pa), p);
	ATF_CHECK_EQ(pa, POOL_PADDR_INVALID);
	pool_cache_put(pc, p);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(large_groups);
ATF_TC_BODY(large_groups, tc)
{
	struct nbm_machine *m;
	struct pool_sysctl ps;
	pool_cache_t pc;
	void *o[130];
	int i;

	m = boot(0, 1);
	pc = pool_cache_init(32, 0, 0, PR_LARGECACHE, "large", NULL, IPL_VM,
	    NULL, NULL, NULL);
	ATF_CHECK_EQ(pc->pc_pcgsize, PCG_NOBJECTS_LARGE);
	ATF_CHECK_EQ(pc->pc_roflags & PR_LARGECACHE, PR_LARGECACHE);
	for (i = 0; i < 130; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	for (i = 0; i < 130; i++)
		pool_cache_put(pc, o[i]);
	/* 63 + 63 on the CPU, one full group pushed, 4 in the new one. */
	ATF_CHECK_EQ(avail(cpu_state(pc, 0)->cc_current), 4);
	ATF_CHECK_EQ(avail(cpu_state(pc, 0)->cc_previous), 63);
	ATF_CHECK_EQ(cstat(pc, 0).nfull, 1);
	ATF_REQUIRE(find_sysctl(m, "large", &ps));
	ATF_CHECK_EQ(ps.pr_cache_meta_size, 63);
	ATF_CHECK_EQ(ps.pr_cache_nfull, 1);
	ATF_REQUIRE(find_sysctl(m, "pcglarge", &ps));
	ATF_CHECK_EQ(ps.pr_nout, 3);
	pool_cache_destroy(pc);
	ATF_REQUIRE(find_sysctl(m, "pcglarge", &ps));
	ATF_CHECK_EQ(ps.pr_nout, 0);
	h_shutdown(m);
}

/* Above PAGE_SIZE, an IPL_NONE cache gets a big allocator and NOALIGN. */
ATF_TC_WITHOUT_HEAD(big_allocator);
ATF_TC_BODY(big_allocator, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	void *o[9];
	int i;

	m = boot(0, 1);
	pc = pool_cache_init(5000, 0, 0, 0, "big", NULL, IPL_NONE, NULL, NULL,
	    NULL);
	ATF_CHECK_EQ(pc->pc_pool.pr_alloc->pa_pagesz, 8192);
	ATF_CHECK(pc->pc_pool.pr_roflags & PR_NOALIGN);
	ATF_CHECK(!(pc->pc_pool.pr_roflags & PR_PHINPAGE));
	ATF_CHECK_EQ(pc->pc_pool.pr_itemsperpage, 1);
	for (i = 0; i < 9; i++) {
		o[i] = pool_cache_get(pc, PR_WAITOK);
		memset(o[i], i, 5000);
	}
	for (i = 0; i < 9; i++)
		pool_cache_put(pc, o[i]);
	pool_cache_invalidate(pc);
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 0);
	pool_cache_destroy(pc);

	/* A real IPL uses pool_allocator_kmem: nointr only for IPL_NONE. */
	pc = pool_cache_init(100, 0, 0, 0, "nointr", NULL, IPL_NONE, NULL,
	    NULL, NULL);
	ATF_CHECK(pc->pc_pool.pr_alloc == &pool_allocator_nointr);
	pool_cache_destroy(pc);
	pc = pool_cache_init(100, 0, 0, 0, "kmemalloc", NULL, IPL_VM, NULL,
	    NULL, NULL);
	ATF_CHECK(pc->pc_pool.pr_alloc == &pool_allocator_kmem);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Invalidation
 */

ATF_TC_WITHOUT_HEAD(invalidate_local);
ATF_TC_BODY(invalidate_local, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	struct cstat c;
	void *o[40];
	int i;

	reset_counts();
	m = boot(0, 1);
	pc = pool_cache_init(sizeof(struct obj), 0, 0, 0, "inval", NULL,
	    IPL_NONE, obj_ctor, obj_dtor, &nctor);
	for (i = 0; i < 40; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	for (i = 0; i < 40; i++)
		pool_cache_put(pc, o[i]);
	/* cur 10 (partial), prev 15 (full), one full group cached. */
	ATF_CHECK_EQ(avail(cpu_state(pc, 0)->cc_current), 10);
	ATF_CHECK_EQ(avail(cpu_state(pc, 0)->cc_previous), 15);
	ATF_CHECK_EQ(cstat(pc, 0).nfull, 1);
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 40);	/* cached ones count */
	pool_cache_invalidate(pc);
	c = cstat(pc, 0);
	ATF_CHECK_EQ(c.nfull, 0);	/* +1 by transfer, -2 by invalidate */
	ATF_CHECK_EQ(c.npart, 0);
	ATF_CHECK_EQ(avail(cpu_state(pc, 0)->cc_current), -1);
	ATF_CHECK_EQ(avail(cpu_state(pc, 0)->cc_previous), -1);
	ATF_CHECK_EQ(atomic_load(&ndtor), 40);
	ATF_CHECK_EQ(pool_cache_nput(pc), 40);
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 0);
	ATF_CHECK(pc->pc_fullgroups == NULL && pc->pc_partgroups == NULL);
	/* The next get constructs anew. */
	o[0] = pool_cache_get(pc, PR_WAITOK);
	ATF_CHECK_EQ(atomic_load(&nctor), 41);
	pool_cache_put(pc, o[0]);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* Invalidating one cache frees the shared empty groups of all caches. */
ATF_TC_WITHOUT_HEAD(invalidate_shared_empty_groups);
ATF_TC_BODY(invalidate_shared_empty_groups, tc)
{
	struct nbm_machine *m;
	struct pool_sysctl before, after;
	pool_cache_t a, b;
	void *o[31];
	int i;

	m = boot(0, 1);
	a = pool_cache_init(64, 0, 0, 0, "cache-a", NULL, IPL_NONE, NULL,
	    NULL, NULL);
	b = pool_cache_init(64, 0, 0, 0, "cache-b", NULL, IPL_NONE, NULL,
	    NULL, NULL);
	/* The spec 2.7 sequence leaves one empty group on the shared list. */
	for (i = 0; i < 31; i++)
		o[i] = pool_cache_get(b, PR_WAITOK);
	for (i = 0; i < 31; i++)
		pool_cache_put(b, o[i]);
	for (i = 0; i < 31; i++)
		o[i] = pool_cache_get(b, PR_WAITOK);
	ATF_REQUIRE(pool_state()->ps_pcg_normal_cache != NULL);
	ATF_REQUIRE(find_sysctl(m, "pcgnormal", &before));
	pool_cache_invalidate(a);
	ATF_REQUIRE(find_sysctl(m, "pcgnormal", &after));
	ATF_CHECK_EQ(after.pr_nput - before.pr_nput, 1);
	ATF_CHECK(pool_state()->ps_pcg_normal_cache == NULL);
	for (i = 0; i < 31; i++)
		pool_cache_put(b, o[i]);
	pool_cache_destroy(a);
	pool_cache_destroy(b);
	h_shutdown(m);
}

/*
 * Threads that run on other CPUs: fill their per-CPU groups, then leave
 * the CPU (free) or stay on it (busy) until told to go on.
 */
struct remote {
	struct nbm_machine *m;
	pool_cache_t pc;
	u_int cpu;
	int nobj;
	bool stay;
	_Atomic int phase;
	void *got;
	uint64_t got_serial;
};

static void
wait_phase(_Atomic int *p, int want)
{

	while (atomic_load(p) != want)
		sched_yield();
}

static void *
remote_thread(void *arg)
{
	struct remote *r = arg;
	void *o[64];
	int i;

	ATF_REQUIRE_EQ(nbm_cpu_enter(r->m, r->cpu), 0);
	for (i = 0; i < r->nobj; i++)
		o[i] = pool_cache_get(r->pc, PR_WAITOK);
	for (i = 0; i < r->nobj; i++)
		pool_cache_put(r->pc, o[i]);
	if (!r->stay) {
		nbm_cpu_exit();
		atomic_store(&r->phase, 1);
		return NULL;
	}
	atomic_store(&r->phase, 1);
	wait_phase(&r->phase, 2);
	/* First use after the invalidation: our stale objects go first. */
	r->got = pool_cache_get(r->pc, PR_WAITOK);
	r->got_serial = ((struct obj *)r->got)->o_serial;
	pool_cache_put(r->pc, r->got);
	nbm_cpu_exit();
	atomic_store(&r->phase, 3);
	return NULL;
}

/*
 * remote_start: a constructed-object cache `name' and a thread that puts
 * nobj objects into CPU cpu's groups, then leaves the CPU or stays.
 */
static void
remote_start(struct remote *r, struct nbm_machine *m, const char *name,
    u_int cpu, int nobj, bool stay, pthread_t *t)
{

	memset(r, 0, sizeof(*r));
	r->m = m;
	r->pc = pool_cache_init(sizeof(struct obj), 0, 0, 0, name, NULL,
	    IPL_VM, obj_ctor, obj_dtor, &nctor);
	r->cpu = cpu;
	r->nobj = nobj;
	r->stay = stay;
	pthread_create(t, NULL, remote_thread, r);
}

ATF_TC_WITHOUT_HEAD(invalidate_free_cpu);
ATF_TC_BODY(invalidate_free_cpu, tc)
{
	struct nbm_machine *m;
	struct remote r;
	struct pool_sysctl ps;
	pthread_t t;

	reset_counts();
	m = boot(0, 2);
	remote_start(&r, m, "invfree", 1, 20, false, &t);
	pthread_join(t, NULL);
	ATF_CHECK_EQ(pool_cache_nput(r.pc), 0);
	ATF_CHECK_EQ(avail(cpu_state(r.pc, 1)->cc_current), 5);
	ATF_CHECK_EQ(avail(cpu_state(r.pc, 1)->cc_previous), 15);

	/* CPU 1 is free: its groups are flushed by this call. */
	pool_cache_invalidate(r.pc);
	ATF_CHECK_EQ(atomic_load(&ndtor), 20);
	ATF_CHECK_EQ(pool_cache_nput(r.pc), 20);
	ATF_CHECK_EQ(avail(cpu_state(r.pc, 1)->cc_current), -1);
	ATF_CHECK_EQ(avail(cpu_state(r.pc, 1)->cc_previous), -1);
	/* Counted where it happened: +1 full, +1 partial on CPU 1, minus
	 * both on this CPU; only the sums mean anything. */
	ATF_CHECK_EQ(cstat(r.pc, 1).nfull, 1);
	ATF_CHECK_EQ(cstat(r.pc, 1).npart, 1);
	ATF_CHECK_EQ(cstat(r.pc, 0).nfull, -1);
	ATF_CHECK_EQ(cstat(r.pc, 0).npart, -1);
	ATF_REQUIRE(find_sysctl(m, "invfree", &ps));
	ATF_CHECK_EQ(ps.pr_cache_nfull, 0);
	ATF_CHECK_EQ(ps.pr_cache_npartial, 0x100000000ULL); /* 1 + 2^32 - 1 */
	ATF_CHECK_EQ(ps.pr_nout, 0);
	pool_cache_destroy(r.pc);
	h_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(invalidate_busy_cpu);
ATF_TC_BODY(invalidate_busy_cpu, tc)
{
	struct nbm_machine *m;
	struct remote r;
	pthread_t t;

	reset_counts();
	m = boot(0, 2);
	remote_start(&r, m, "invbusy", 1, 20, true, &t);
	wait_phase(&r.phase, 1);

	/* CPU 1's thread is away in its own code: the flush is deferred. */
	pool_cache_invalidate(r.pc);
	ATF_CHECK_EQ(atomic_load(&ndtor), 0);
	ATF_CHECK(__atomic_load_n(&r.pc->pc_cpus[1], __ATOMIC_SEQ_CST) &
	    PC_CPU_XFER);

	/* Its next get destructs its 20 objects and builds a new one. */
	atomic_store(&r.phase, 2);
	wait_phase(&r.phase, 3);
	pthread_join(t, NULL);
	ATF_CHECK_EQ(atomic_load(&ndtor), 20);
	ATF_CHECK_EQ(atomic_load(&nctor), 21);
	ATF_CHECK_EQ(r.got_serial, 21);		/* not a stale object */
	ATF_CHECK_EQ(pool_cache_nput(r.pc), 20);
	ATF_CHECK(!(r.pc->pc_cpus[1] & PC_CPU_FLAGS));
	/* 20 missed gets, 2 slow puts; then one of each after the flush. */
	ATF_CHECK_EQ(cstat(r.pc, 1).misses, 24);
	pool_cache_destroy(r.pc);
	ATF_CHECK_EQ(atomic_load(&ndtor), 21);
	h_shutdown(m);
}

/* An object freed on another CPU joins that CPU's groups. */
struct xfree {
	struct nbm_machine *m;
	pool_cache_t pc;
	void *o[10];
};

static void *
xfree_thread(void *arg)
{
	struct xfree *x = arg;
	int i;

	ATF_REQUIRE_EQ(nbm_cpu_enter(x->m, 1), 0);
	for (i = 0; i < 10; i++)
		pool_cache_put(x->pc, x->o[i]);
	for (i = 0; i < 10; i++)
		x->o[i] = pool_cache_get(x->pc, PR_WAITOK);
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(cross_cpu_free);
ATF_TC_BODY(cross_cpu_free, tc)
{
	struct nbm_machine *m;
	struct xfree x;
	void *orig[10];
	pthread_t t;
	int i;

	m = boot(0, 2);
	x.m = m;
	x.pc = pool_cache_init(48, 0, 0, 0, "xfree", NULL, IPL_VM, NULL,
	    NULL, NULL);
	for (i = 0; i < 10; i++)
		orig[i] = x.o[i] = pool_cache_get(x.pc, PR_WAITOK);
	pthread_create(&t, NULL, xfree_thread, &x);
	pthread_join(t, NULL);
	/* CPU 1 got its own puts back, LIFO, without the pool layer. */
	for (i = 0; i < 10; i++)
		ATF_CHECK_EQ(x.o[i], orig[9 - i]);
	ATF_CHECK_EQ(cstat(x.pc, 1).hits, 20);
	ATF_CHECK_EQ(cstat(x.pc, 1).misses, 1);
	ATF_CHECK_EQ(cstat(x.pc, 1).pcmisses, 0);
	ATF_CHECK_EQ(cstat(x.pc, 0).pcmisses, 10);
	ATF_CHECK_EQ(pool_cache_nget(x.pc), 10);
	for (i = 0; i < 10; i++)
		pool_cache_put(x.pc, x.o[i]);
	pool_cache_destroy(x.pc);
	h_shutdown(m);
}

/* Destroy empties every CPU's groups and frees the per-CPU state. */
ATF_TC_WITHOUT_HEAD(destroy_all_cpus);
ATF_TC_BODY(destroy_all_cpus, tc)
{
	struct nbm_machine *m;
	struct pool_sysctl pc0, pc1, cpu0, cpu1;
	struct remote r[3];
	pthread_t t[3];
	int i;

	reset_counts();
	m = boot(0, 4);
	ATF_REQUIRE(find_sysctl(m, "pcache", &pc0));
	ATF_REQUIRE(find_sysctl(m, "pcachecpu", &cpu0));
	memset(r, 0, sizeof(r));
	r[0].pc = pool_cache_init(sizeof(struct obj), 0, 0, 0, "destroy",
	    NULL, IPL_VM, obj_ctor, obj_dtor, &nctor);
	ATF_REQUIRE(find_sysctl(m, "pcachecpu", &cpu1));
	ATF_CHECK_EQ(cpu1.pr_nget - cpu0.pr_nget, 3);	/* CPUs 1..3 */
	for (i = 0; i < 3; i++) {
		r[i].m = m;
		r[i].pc = r[0].pc;
		r[i].cpu = (u_int)i + 1;
		r[i].nobj = 7 * (i + 1);
		pthread_create(&t[i], NULL, remote_thread, &r[i]);
	}
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	ATF_CHECK_EQ(atomic_load(&nctor), 42);
	pool_cache_destroy(r[0].pc);
	ATF_CHECK_EQ(atomic_load(&ndtor), 42);
	ATF_REQUIRE(find_sysctl(m, "pcache", &pc1));
	ATF_CHECK_EQ(pc1.pr_nget - pc0.pr_nget, 1);
	ATF_CHECK_EQ(pc1.pr_nput - pc0.pr_nput, 1);
	ATF_REQUIRE(find_sysctl(m, "pcachecpu", &cpu1));
	ATF_CHECK_EQ(cpu1.pr_nput - cpu0.pr_nput, 3);
	ATF_CHECK(!find_sysctl(m, "destroy", &pc1));
	h_shutdown(m);
}

/* pool_reclaim on a cache's pool invalidates it first. */
ATF_TC_WITHOUT_HEAD(reclaim_invalidates);
ATF_TC_BODY(reclaim_invalidates, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	void *o[64];
	int i;

	m = boot(0, 1);
	pc = pool_cache_init(1000, 0, 0, 0, "reclaimc", NULL, IPL_VM, NULL,
	    NULL, NULL);
	for (i = 0; i < 64; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	for (i = 0; i < 64; i++)
		pool_cache_put(pc, o[i]);
	ATF_CHECK_EQ(pc->pc_pool.pr_npages, 16);
	ATF_CHECK_EQ(pc->pc_pool.pr_nidle, 0);	/* all items cached */
	nbm_machine_advance(m, 3600ULL * 1000000000ULL);
	/* The pages only became idle now: nothing to free yet. */
	ATF_CHECK(!pool_cache_reclaim(pc));
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 0);
	ATF_CHECK_EQ(pc->pc_pool.pr_nidle, 16);
	nbm_machine_advance(m, 10ULL * 1000000000ULL);
	ATF_CHECK(pool_cache_reclaim(pc));
	ATF_CHECK_EQ(pc->pc_pool.pr_nout, 0);
	ATF_CHECK_EQ(pc->pc_pool.pr_npages, 0);
	/* The wrappers reach the pool. */
	pool_cache_setlowat(pc, 4);
	ATF_CHECK_EQ(pc->pc_pool.pr_minitems, 4);
	ATF_CHECK_EQ(pc->pc_pool.pr_npages, 1);
	pool_cache_sethiwat(pc, 8);
	ATF_CHECK_EQ(pc->pc_pool.pr_maxpages, 2);
	pool_cache_sethardlimit(pc, 12, "cache limit", 10);
	ATF_CHECK_EQ(pc->pc_pool.pr_hardlimit, 12);
	pool_cache_prime(pc, 8);
	ATF_CHECK_EQ(pc->pc_pool.pr_minpages, 2);
	pool_cache_set_drain_hook(pc, NULL, NULL);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Statistics and printers
 */

ATF_TC_WITHOUT_HEAD(printit_whatis);
ATF_TC_BODY(printit_whatis, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	char buf[256];
	void *o[20], *o2[31];
	int i;

	m = boot(0, 2);
	pc = pool_cache_init(64, 0, 0, 0, "pcprint", NULL, IPL_VM, NULL, NULL,
	    NULL);
	for (i = 0; i < 20; i++)
		o[i] = pool_cache_get(pc, PR_WAITOK);
	for (i = 0; i < 16; i++)
		pool_cache_put_paddr(pc, o[i], i == 0 ? 0xabc000 :
		    POOL_PADDR_INVALID);
	h_print_reset();
	pool_printit(&pc->pc_pool, "c", nbm_print_pr);
	ATF_CHECK(strncmp(h_printed(), "POOLCACHE pcprint: size 64", 26) ==
	    0);
	ATF_CHECK(strstr(h_printed(), "\tcpu layer hits 16 misses 22\n") !=
	    NULL);
	ATF_CHECK(strstr(h_printed(), "\tcache layer hits 2 misses 20\n") !=
	    NULL);
	ATF_CHECK(strstr(h_printed(), "\tcache layer full groups 0\n") !=
	    NULL);
	ATF_CHECK(strstr(h_printed(), "\tfull cache groups:\n") != NULL);

	h_print_reset();
	pool_whatis((uintptr_t)o[3] + 1, nbm_print_pr);
	snprintf(buf, sizeof(buf), "%p is %p+1 in POOL 'pcprint' (cached by "
	    "CPU 0)\n", (char *)o[3] + 1, o[3]);
	ATF_CHECK_STREQ(h_printed(), buf);
	h_print_reset();
	pool_whatis((uintptr_t)o[19], nbm_print_pr);
	snprintf(buf, sizeof(buf), "%p is %p+0 in POOL 'pcprint' "
	    "(allocated)\n", o[19], o[19]);
	ATF_CHECK_STREQ(h_printed(), buf);

	/* A full group in the cache layer, listed with 'c'. */
	for (i = 16; i < 20; i++)
		pool_cache_put(pc, o[i]);
	pool_cache_invalidate(pc);
	for (i = 0; i < 31; i++)
		o2[i] = pool_cache_get(pc, PR_WAITOK);
	for (i = 0; i < 31; i++)
		pool_cache_put_paddr(pc, o2[i], 0x77000);
	ATF_REQUIRE_EQ(cstat(pc, 0).nfull, 1);
	h_print_reset();
	pool_printit(&pc->pc_pool, "c", nbm_print_pr);
	ATF_CHECK(strstr(h_printed(), "\tcache layer full groups 1\n") !=
	    NULL);
	ATF_CHECK(strstr(h_printed(), ": avail 15\n") != NULL);
	ATF_CHECK(strstr(h_printed(), ", 0x77000\n") != NULL);
	h_print_reset();
	pool_whatis((uintptr_t)pc->pc_fullgroups->pcg_objects[0].pcgo_va,
	    nbm_print_pr);
	ATF_CHECK(strstr(h_printed(), "(cached)\n") != NULL);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Panics
 */

struct pcx {
	pool_cache_t pc;
	void *obj;
};

static void
pcx_get_in_intr1(void *arg)
{
	struct pcx *x = arg;

	x->obj = pool_cache_get(x->pc, PR_NOWAIT);
}

static void
pcx_get_in_intr(void *arg)
{

	(void)nbm_cpu_interrupt(IPL_VM, false, pcx_get_in_intr1, arg);
}

static void
pcx_put(void *arg)
{
	struct pcx *x = arg;

	pool_cache_put(x->pc, x->obj);
}

static void
pcx_destroy(void *arg)
{
	struct pcx *x = arg;

	pool_cache_destroy(x->pc);
}

static void
pcx_init_huge(void *arg)
{
	struct pcx *x = arg;

	x->pc = pool_cache_init(32 << 20, 0, 0, 0, "huge", NULL, IPL_NONE,
	    NULL, NULL, NULL);
}

ATF_TC_WITHOUT_HEAD(panic_texts);
ATF_TC_BODY(panic_texts, tc)
{
	struct nbm_machine *m;
	struct pcx x;
	char want[256];

	/* An IPL_NONE cache from interrupt context. */
	m = boot(0, 1);
	x.pc = pool_cache_init(64, 0, 0, 0, "pcnone", NULL, IPL_NONE, NULL,
	    NULL, NULL);
	h_expect_panic(m, pcx_get_in_intr, &x, "pool_cache_get_paddr: "
	    "[pcnone] is IPL_NONE, but called from interrupt context");
	h_shutdown(m);

	/* A foreign pointer is caught at put, before the cache keeps it. */
	m = boot(0, 1);
	x.pc = pool_cache_init(64, 0, 0, 0, "pcvictim", NULL, IPL_VM, NULL,
	    NULL, NULL);
	x.obj = pool_cache_get(x.pc, PR_WAITOK);
	x.obj = (char *)POOL_OBJ_TO_PAGE(&x.pc->pc_pool, x.obj) + 16;
	snprintf(want, sizeof(want), "pr_phinpage_check: [pcvictim] item %p "
	    "below item space", x.obj);
	h_expect_panic(m, pcx_put, &x, want);
	h_shutdown(m);

	/* Redzone overwritten: checked at every cache put. */
	m = boot(NBM_OPT_POOL_REDZONE, 1);
	x.pc = pool_cache_init(60, 0, 0, 0, "pcrz", NULL, IPL_VM, NULL,
	    NULL, NULL);
	x.obj = pool_cache_get(x.pc, PR_WAITOK);
	pool_cache_put(x.pc, x.obj);
	x.obj = pool_cache_get(x.pc, PR_WAITOK);	/* a cache hit */
	((unsigned char *)x.obj)[61] ^= 1;
	h_expect_panic(m, pcx_put, &x, "pool_redzone_check: [pcrz] 0x");
	h_shutdown(m);

	/* Destroy with an object out (DIAGNOSTIC). */
	m = boot(NBM_OPT_DIAGNOSTIC, 2);
	x.pc = pool_cache_init(64, 0, 0, 0, "pcbusy", NULL, IPL_VM, NULL,
	    NULL, NULL);
	x.obj = pool_cache_get(x.pc, PR_WAITOK);
	h_expect_panic(m, pcx_destroy, &x, "pool_destroy: [pcbusy] pool busy: "
	    "still out: 1");
	h_shutdown(m);

	/* No big allocator for items above 16 MiB. */
	m = boot(0, 1);
	h_expect_panic(m, pcx_init_huge, &x, "pool item size 33554432 too "
	    "large, use a custom allocator");
	h_shutdown(m);
}

/* The redzone of cached objects is refilled at every cache get. */
ATF_TC_WITHOUT_HEAD(redzone_cached);
ATF_TC_BODY(redzone_cached, tc)
{
	struct nbm_machine *m;
	pool_cache_t pc;
	unsigned char *p;
	int i;

	m = boot(NBM_OPT_DIAGNOSTIC, 1);
	pc = pool_cache_init(100, 0, 0, 0, "rzc", NULL, IPL_VM, NULL, NULL,
	    NULL);
	ATF_REQUIRE(pc->pc_redzone);
	ATF_CHECK(pc->pc_cpus[0] & PC_CPU_CHECK);
	for (i = 0; i < 100; i++) {
		p = pool_cache_get(pc, PR_WAITOK);
		memset(p, 0xff, 100);		/* within the object: fine */
		pool_cache_put(pc, p);
	}
	ATF_CHECK(!nbm_machine_dead(m));
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Randomized stress against a reference model
 */

static void
obj_take(struct obj *o, int line)
{

	ATF_REQUIRE_MSG(o->o_magic == OBJ_MAGIC, "line %d: %p not constructed",
	    line, (void *)o);
	ATF_REQUIRE_MSG(atomic_exchange(&o->o_inuse, 1) == 0,
	    "line %d: %p handed out twice", line, (void *)o);
}

static void
obj_give(struct obj *o)
{

	ATF_REQUIRE_EQ(atomic_exchange(&o->o_inuse, 0), 1);
}

ATF_TC_WITHOUT_HEAD(stress_single_cpu);
ATF_TC_BODY(stress_single_cpu, tc)
{
	enum { NLIVE = 1500, NOPS = 80000 };
	struct nbm_machine *m;
	pool_cache_t pc[3];
	struct { struct obj *o; int c; } *live;
	uint64_t seed, rs;
	size_t nlive = 0, i;
	int op, c;

	reset_counts();
	seed = h_seed(777);
	rs = seed;
	m = boot(0, 1);
	pc[0] = pool_cache_init(sizeof(struct obj), 0, 0, 0, "st-normal",
	    NULL, IPL_VM, obj_ctor, obj_dtor, &nctor);
	pc[1] = pool_cache_init(sizeof(struct obj), 64, 0, PR_LARGECACHE,
	    "st-large", NULL, IPL_NONE, obj_ctor, obj_dtor, &nctor);
	pc[2] = pool_cache_init(6000, 0, 0, 0, "st-big", NULL, IPL_NONE,
	    obj_ctor, obj_dtor, &nctor);
	live = calloc(NLIVE, sizeof(*live));
	for (op = 0; op < NOPS; op++) {
		uint64_t r = h_rand(&rs);

		c = (int)(r % 3);
		if (nlive < NLIVE && (nlive == 0 || (r >> 8) % 100 < 52)) {
			struct obj *o = pool_cache_get(pc[c], PR_NOWAIT);

			ATF_REQUIRE_MSG(o != NULL, "seed %llu op %d",
			    (unsigned long long)seed, op);
			obj_take(o, __LINE__);
			live[nlive].o = o;
			live[nlive].c = c;
			nlive++;
		} else {
			i = (size_t)((r >> 16) % nlive);
			obj_give(live[i].o);
			pool_cache_put(pc[live[i].c], live[i].o);
			live[i] = live[--nlive];
		}
		if (op % 4999 == 0) {
			pool_cache_invalidate(pc[r % 3]);
			nbm_machine_advance(m, 20ULL * 1000000000ULL);
			(void)pool_cache_reclaim(pc[(r >> 4) % 3]);
		}
		if (op % 997 == 0) {
			/* Constructed, not destructed: out or cached. */
			uint64_t out = 0;

			for (c = 0; c < 3; c++)
				out += pc[c]->pc_pool.pr_nout;
			ATF_REQUIRE_EQ(atomic_load(&nctor) -
			    atomic_load(&ndtor), out);
		}
	}
	while (nlive > 0) {
		nlive--;
		obj_give(live[nlive].o);
		pool_cache_put(pc[live[nlive].c], live[nlive].o);
	}
	for (c = 0; c < 3; c++)
		pool_cache_destroy(pc[c]);
	ATF_CHECK_EQ(atomic_load(&nctor), atomic_load(&ndtor));
	free(live);
	h_shutdown(m);
}

/*
 * Several CPUs as host threads: each gets and puts on two shared caches,
 * hands half of its objects to the next thread to free on its CPU,
 * sometimes leaves its CPU and comes back; meanwhile the main thread
 * invalidates and reclaims from its own CPU.
 */
#define MT_THREADS	3
#define MT_ROUNDS	20000

struct mt_shared {
	struct nbm_machine *m;
	pool_cache_t pc[2];
	pthread_mutex_t lock;
	struct { struct obj *o; int c; } *handoff[MT_THREADS];
	size_t nhand[MT_THREADS];
	uint64_t seed;
	_Atomic int running;
	_Atomic int go;
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
	struct { struct obj *o; int c; } mine[48];
	uint64_t rs = s->seed * 31 + a->cpu;
	u_int next = (a->cpu + 1) % MT_THREADS;
	size_t n, i, k;
	int round, c;

	ATF_REQUIRE_EQ(nbm_cpu_enter(s->m, a->cpu), 0);
	wait_phase(&s->go, 1);	/* the invalidations have begun */
	for (round = 0; round < MT_ROUNDS; round++) {
		n = 1 + h_rand(&rs) % 48;
		for (i = 0; i < n; i++) {
			c = (int)(h_rand(&rs) % 2);
			mine[i].o = pool_cache_get(s->pc[c], PR_WAITOK);
			mine[i].c = c;
			obj_take(mine[i].o, __LINE__);
		}
		pthread_mutex_lock(&s->lock);
		k = s->nhand[a->cpu];
		for (i = 0; i < k; i++) {
			obj_give(s->handoff[a->cpu][i].o);
			pool_cache_put(s->pc[s->handoff[a->cpu][i].c],
			    s->handoff[a->cpu][i].o);
		}
		s->nhand[a->cpu] = 0;
		pthread_mutex_unlock(&s->lock);
		for (i = 0; i < n; i++) {
			if (i % 2 == 0) {
				obj_give(mine[i].o);
				pool_cache_put(s->pc[mine[i].c], mine[i].o);
				continue;
			}
			pthread_mutex_lock(&s->lock);
			if (s->nhand[next] < 2048) {
				s->handoff[next][s->nhand[next]].o = mine[i].o;
				s->handoff[next][s->nhand[next]].c = mine[i].c;
				s->nhand[next]++;
				pthread_mutex_unlock(&s->lock);
			} else {
				pthread_mutex_unlock(&s->lock);
				obj_give(mine[i].o);
				pool_cache_put(s->pc[mine[i].c], mine[i].o);
			}
		}
		if (round % 97 == 0) {
			/* Leave the CPU for a moment: it may be flushed. */
			nbm_cpu_exit();
			sched_yield();
			ATF_REQUIRE_EQ(nbm_cpu_enter(s->m, a->cpu), 0);
		}
	}
	nbm_cpu_exit();
	atomic_fetch_sub(&s->running, 1);
	return NULL;
}

ATF_TC_WITHOUT_HEAD(stress_multi_cpu);
ATF_TC_BODY(stress_multi_cpu, tc)
{
	struct mt_shared *s;
	struct mt_arg args[MT_THREADS];
	pthread_t t[MT_THREADS];
	uint64_t ninval = 0;
	size_t i, j;

	reset_counts();
	s = calloc(1, sizeof(*s));
	ATF_REQUIRE(s != NULL);
	s->seed = h_seed(99);
	s->m = boot(0, MT_THREADS + 1);
	nbm_cpu_exit();
	ATF_REQUIRE_EQ(nbm_cpu_enter(s->m, MT_THREADS), 0);
	s->pc[0] = pool_cache_init(sizeof(struct obj), 0, 0, 0, "mt-a", NULL,
	    IPL_VM, obj_ctor, obj_dtor, &nctor);
	s->pc[1] = pool_cache_init(sizeof(struct obj), 0, 0, PR_LARGECACHE,
	    "mt-b", NULL, IPL_NONE, obj_ctor, obj_dtor, &nctor);
	pthread_mutex_init(&s->lock, NULL);
	for (i = 0; i < MT_THREADS; i++)
		s->handoff[i] = calloc(2048, sizeof(*s->handoff[i]));
	atomic_store(&s->running, MT_THREADS);
	for (i = 0; i < MT_THREADS; i++) {
		args[i].s = s;
		args[i].cpu = (u_int)i;
		pthread_create(&t[i], NULL, mt_thread, &args[i]);
	}
	while (atomic_load(&s->running) > 0) {
		pool_cache_invalidate(s->pc[ninval % 2]);
		atomic_store(&s->go, 1);
		if (ninval % 8 == 0)
			(void)pool_cache_reclaim(s->pc[(ninval / 8) % 2]);
		ninval++;
		sched_yield();
	}
	for (i = 0; i < MT_THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < MT_THREADS; i++) {
		for (j = 0; j < s->nhand[i]; j++) {
			obj_give(s->handoff[i][j].o);
			pool_cache_put(s->pc[s->handoff[i][j].c],
			    s->handoff[i][j].o);
		}
		free(s->handoff[i]);
	}
	ATF_CHECK(ninval > 0);
	/* Quiescent: constructed minus destructed = held by the caches. */
	ATF_CHECK_EQ(atomic_load(&nctor) - atomic_load(&ndtor),
	    s->pc[0]->pc_pool.pr_nout + s->pc[1]->pc_pool.pr_nout);
	pool_cache_destroy(s->pc[0]);
	pool_cache_destroy(s->pc[1]);
	ATF_CHECK_EQ(atomic_load(&nctor), atomic_load(&ndtor));
	pthread_mutex_destroy(&s->lock);
	h_shutdown(s->m);
	free(s);
}

/* -------------------------------------------------------------------------
 * Observers and the statistics collectors
 */

struct obs {
	pool_cache_t pc;
	void *o;
};

static void
obs_create(void *arg)
{
	struct obs *x = arg;

	x->pc = pool_cache_init(64, 0, 0, 0, "observed", NULL, IPL_VM, NULL,
	    NULL, NULL);
}

static void
obs_invalidate(void *arg)
{
	struct obs *x = arg;

	pool_cache_invalidate(x->pc);
}

static void
obs_get(void *arg)
{
	struct obs *x = arg;

	x->o = pool_cache_get(x->pc, PR_NOWAIT);
}

/*
 * An observer (nbm_machine_observe) may create and invalidate a cache but
 * has no per-CPU state of its own.
 */
ATF_TC_WITHOUT_HEAD(observer);
ATF_TC_BODY(observer, tc)
{
	struct nbm_machine *m;
	struct obs x;
	void *o[20];
	int i;

	m = boot(0, 1);
	nbm_cpu_exit();
	ATF_REQUIRE_EQ(nbm_machine_observe(m, obs_create, &x), 0);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	ATF_REQUIRE(cpu_state(x.pc, 0) != NULL);	/* CPU 0 has state */
	for (i = 0; i < 20; i++)
		o[i] = pool_cache_get(x.pc, PR_WAITOK);
	for (i = 0; i < 20; i++)
		pool_cache_put(x.pc, o[i]);
	nbm_cpu_exit();
	/* CPU 0 is free: the observer flushes it and counts on it. */
	ATF_REQUIRE_EQ(nbm_machine_observe(m, obs_invalidate, &x), 0);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	ATF_CHECK_EQ(pool_cache_nput(x.pc), 20);
	ATF_CHECK_EQ(cstat(x.pc, 0).nfull, 0);
	ATF_CHECK_EQ(cstat(x.pc, 0).npart, 0);
	nbm_cpu_exit();
	ATF_CHECK_EQ(nbm_machine_observe(m, obs_get, &x), ENOTRECOVERABLE);
	ATF_CHECK(strstr(h_panicmsg(), "pool_cache_get_paddr: [observed] "
	    "called by an observer of the machine") != NULL);
	nbm_machine_shutdown(m);
}

ATF_TC_WITHOUT_HEAD(cachecpu_records);
ATF_TC_BODY(cachecpu_records, tc)
{
	struct nbm_cachecpu_stats *cs;
	struct nbm_machine *m;
	struct remote r;
	pthread_t t;
	size_t n, i, found = 0;

	reset_counts();
	m = boot(0, 2);
	remote_start(&r, m, "ccrec", 1, 20, false, &t);
	pthread_join(t, NULL);
	pool_cache_invalidate(r.pc);

	n = nbm_pool_cachecpu(m, NULL, 0);
	ATF_REQUIRE(n >= 2);
	cs = calloc(n, sizeof(*cs));
	ATF_REQUIRE_EQ(nbm_pool_cachecpu(m, cs, n), n);
	for (i = 0; i < n; i++) {
		if (strcmp(cs[i].cc_wchan, "ccrec") != 0)
			continue;
		ATF_CHECK_EQ(cs[i].cc_cpu, found);
		if (found == 0) {
			ATF_CHECK_EQ(cs[i].cc_hits, 0);
			ATF_CHECK_EQ(cs[i].cc_nfull, -1);
			ATF_CHECK_EQ(cs[i].cc_npart, -1);
		} else {
			ATF_CHECK_EQ(cs[i].cc_hits, 20);
			ATF_CHECK_EQ(cs[i].cc_misses, 22);
			ATF_CHECK_EQ(cs[i].cc_pcmisses, 20);
			ATF_CHECK_EQ(cs[i].cc_contended, 0);
			ATF_CHECK_EQ(cs[i].cc_nfull, 1);
			ATF_CHECK_EQ(cs[i].cc_npart, 1);
		}
		found++;
	}
	ATF_CHECK_EQ(found, 2);
	free(cs);
	pool_cache_destroy(r.pc);
	h_shutdown(m);
}

/*
 * Snapshots from a thread on no CPU while CPU threads use a cache: every
 * pool record is read under its pool's lock and satisfies the invariants.
 */
struct churn {
	struct nbm_machine *m;
	pool_cache_t pc;
	u_int cpu;
	_Atomic int *stop;
};

static void *
churn_thread(void *arg)
{
	struct churn *c = arg;
	void *o[40];
	int i, n;

	ATF_REQUIRE_EQ(nbm_cpu_enter(c->m, c->cpu), 0);
	for (n = 1; !atomic_load(c->stop); n = n % 40 + 1) {
		for (i = 0; i < n; i++)
			o[i] = pool_cache_get(c->pc, PR_WAITOK);
		for (i = 0; i < n; i++)
			pool_cache_put(c->pc, o[i]);
	}
	nbm_cpu_exit();
	return NULL;
}

ATF_TC_WITHOUT_HEAD(snapshot_while_running);
ATF_TC_BODY(snapshot_while_running, tc)
{
	struct nbm_machine *m;
	struct nbm_stats *st;
	struct churn c[2];
	pthread_t t[2];
	_Atomic int stop = 0;
	pool_cache_t pc;
	char why[256];
	size_t i, k;
	int round;

	m = boot(0, 3);
	pc = pool_cache_init(128, 0, 0, 0, "churn", NULL, IPL_VM, NULL, NULL,
	    NULL);
	nbm_cpu_exit();
	for (i = 0; i < 2; i++) {
		c[i] = (struct churn){ m, pc, (u_int)i + 1, &stop };
		pthread_create(&t[i], NULL, churn_thread, &c[i]);
	}
	for (round = 0; round < 50; round++) {
		ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
		for (k = 0; k < st->st_npools; k++)
			ATF_CHECK_MSG(nbm_pool_sysctl_check(&st->st_pools[k],
			    why, sizeof(why)), "%s", why);
		for (k = 0; k < st->st_ncachecpu; k++)
			if (strcmp(st->st_cachecpu[k].cc_wchan, "churn") == 0)
				break;
		ATF_CHECK(k < st->st_ncachecpu);
		nbm_stats_free(st);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	pool_cache_destroy(pc);
	h_shutdown(m);
}

/* -------------------------------------------------------------------------
 * Interrupts in the middle of the fast paths
 */

/*
 * An interrupt arrives by signal between any two instructions of the
 * thread on the CPU.  Here a thread gets and puts in a loop on a cache
 * (and through kmem) while interrupts at IPL_VM, at a high rate, get and
 * put on the same cache on the same CPU (and call kmem_intr_alloc): the
 * spl section of the fast paths must keep the per-CPU groups whole, and
 * an interrupt held off by it runs at the splx.  The handlers take objects
 * in one call and give them back some calls later, so that the groups'
 * fill level moves under the thread.  Every object carries its owner's
 * tag: an object handed out twice, or put while another owns it, shows as
 * a wrong tag; one lost shows in pr_nout at the end.
 */
#define IS_NLIVE	16
#define IS_FREE		0x46524545u	/* in the cache */
#define IS_THREAD	0x54485244u	/* held by the thread */
#define IS_INTR		0x494e5452u	/* held by a handler */
#define IS_NSTASH	6		/* held by the handlers at most */

struct intr_same {
	pool_cache_t	 pc;		/* the cache under test */
	u_int		 rounds;	/* thread's get/put pairs */
	uint64_t	 maxruns;	/* or until so many interrupts */
	_Atomic(uint64_t) runs;		/* handler calls */
	_Atomic(uint64_t) bad;		/* wrong tags */
	_Atomic(uint64_t) nulls;	/* gets that failed */
	uint32_t	*stash[IS_NSTASH]; /* the handlers' objects */
	u_int		 nstash;	/* how many */
};

static int
is_ctor(void *arg, void *obj, int flags)
{

	*(uint32_t *)obj = IS_FREE;
	return 0;
}

static void
is_dtor(void *arg, void *obj)
{
	struct intr_same *x = arg;

	if (*(uint32_t *)obj != IS_FREE)
		atomic_fetch_add(&x->bad, 1);
}

static uint32_t *
is_get(struct intr_same *x, uint32_t owner)
{
	uint32_t *obj = pool_cache_get(x->pc, PR_NOWAIT);

	if (obj == NULL) {
		atomic_fetch_add(&x->nulls, 1);
		return NULL;
	}
	if (*obj != IS_FREE)
		atomic_fetch_add(&x->bad, 1);
	*obj = owner;
	return obj;
}

static void
is_put(struct intr_same *x, uint32_t *obj, uint32_t owner)
{

	if (obj == NULL)
		return;
	if (*obj != owner)
		atomic_fetch_add(&x->bad, 1);
	*obj = IS_FREE;
	pool_cache_put(x->pc, obj);
}

/* Fill the stash two objects a call, then empty it in one. */
static int
is_handler(void *arg)
{
	struct intr_same *x = arg;
	void *k;

	k = kmem_intr_alloc(48, KM_NOSLEEP);
	if (x->nstash < IS_NSTASH) {
		x->stash[x->nstash++] = is_get(x, IS_INTR);
		x->stash[x->nstash++] = is_get(x, IS_INTR);
	} else {
		while (x->nstash > 0)
			is_put(x, x->stash[--x->nstash], IS_INTR);
	}
	if (k != NULL)
		kmem_intr_free(k, 48);
	atomic_fetch_add(&x->runs, 1);
	return 1;
}

static void
is_worker(void *arg)
{
	struct intr_same *x = arg;
	uint32_t *live[IS_NLIVE];
	void *k;
	u_int i;

	for (i = 0; i < IS_NLIVE; i++)
		live[i] = is_get(x, IS_THREAD);
	/*
	 * The thread runs until enough interrupts have come; the rate is
	 * low enough for a slow build (TSan) to keep up with, as a faster
	 * one would keep the CPU in its handlers for good.
	 */
	for (i = 0; i < x->rounds && atomic_load_explicit(&x->runs,
	    memory_order_relaxed) < x->maxruns; i++) {
		is_put(x, live[i % IS_NLIVE], IS_THREAD);
		live[i % IS_NLIVE] = is_get(x, IS_THREAD);
		if ((i & 3) != 0)
			continue;
		k = kmem_alloc(48, KM_NOSLEEP);
		if (k != NULL)
			kmem_free(k, 48);
	}
	for (i = 0; i < IS_NLIVE; i++)
		is_put(x, live[i], IS_THREAD);
}

ATF_TC_WITHOUT_HEAD(intr_same_cache);
ATF_TC_BODY(intr_same_cache, tc)
{
	struct nbm_machine *m = h_boot_mode(NBM_MODE_PARALLEL, 1, 1);
	struct nbm_intr_cpustat st[NBM_NCPU_MAX];
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	static struct intr_same x;

	memset(&x, 0, sizeof(x));
	x.rounds = 60000000;
	x.maxruns = 40000;
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	x.pc = pool_cache_init(64, 0, 0, 0, "isame", NULL, IPL_VM, is_ctor,
	    is_dtor, &x);
	nbm_cpu_exit();
	/* The fast paths, not the checked ones, are under test. */
	ATF_REQUIRE((x.pc->pc_cpus[0] & PC_CPU_FLAGS) == 0);

	memset(&ic, 0, sizeof(ic));
	snprintf(ic.ic_name, sizeof(ic.ic_name), "isame");
	ic.ic_ipl = IPL_VM;
	ic.ic_dist = NBM_INTR_POISSON;
	ic.ic_rate = 50000.0;
	ic.ic_burst = 1;
	ic.ic_target = NBM_INTR_TARGET_CPU;
	ic.ic_cpu = 0;
	ic.ic_func = is_handler;
	ic.ic_arg = &x;
	ATF_REQUIRE_EQ(nbm_intr_establish(m, &ic, &is, NULL, 0), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "isame", is_worker, &x, NULL),
	    0);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	nbm_intr_pause(is, true);
	nbm_intr_getstats(is, st);
	printf("handler runs %ju, masked at arrival %ju\n",
	    (uintmax_t)atomic_load(&x.runs), (uintmax_t)st[0].is_masked);

	ATF_CHECK(!nbm_machine_dead(m));
	ATF_CHECK_EQ(atomic_load(&x.bad), 0);
	ATF_CHECK_EQ(atomic_load(&x.nulls), 0);
	ATF_CHECK_MSG(atomic_load(&x.runs) > 0, "no interrupt delivered");
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	while (x.nstash > 0)
		is_put(&x, x.stash[--x.nstash], IS_INTR);
	pool_cache_invalidate(x.pc);
	ATF_CHECK_EQ(x.pc->pc_pool.pr_nout, 0);
	pool_cache_destroy(x.pc);
	ATF_CHECK_EQ(atomic_load(&x.bad), 0);
	h_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, trace_spec_2_7);
	ATF_TP_ADD_TC(tp, ctor_dtor_timing);
	ATF_TP_ADD_TC(tp, zero_only_from_pool);
	ATF_TP_ADD_TC(tp, paddr);
	ATF_TP_ADD_TC(tp, large_groups);
	ATF_TP_ADD_TC(tp, big_allocator);
	ATF_TP_ADD_TC(tp, invalidate_local);
	ATF_TP_ADD_TC(tp, invalidate_shared_empty_groups);
	ATF_TP_ADD_TC(tp, invalidate_free_cpu);
	ATF_TP_ADD_TC(tp, invalidate_busy_cpu);
	ATF_TP_ADD_TC(tp, cross_cpu_free);
	ATF_TP_ADD_TC(tp, destroy_all_cpus);
	ATF_TP_ADD_TC(tp, reclaim_invalidates);
	ATF_TP_ADD_TC(tp, printit_whatis);
	ATF_TP_ADD_TC(tp, panic_texts);
	ATF_TP_ADD_TC(tp, redzone_cached);
	ATF_TP_ADD_TC(tp, stress_single_cpu);
	ATF_TP_ADD_TC(tp, stress_multi_cpu);
	ATF_TP_ADD_TC(tp, observer);
	ATF_TP_ADD_TC(tp, cachecpu_records);
	ATF_TP_ADD_TC(tp, snapshot_while_running);
	ATF_TP_ADD_TC(tp, intr_same_cache);
	return atf_no_error();
}
