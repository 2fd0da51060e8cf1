/*
 * t_workload: the workload engine (workload.c) -- validation, every source
 * kind, size distributions, lifetimes, cross-CPU frees, interrupt actions,
 * determinism, stopping and finishing, pool reuse by name, events, and a
 * parallel run read from another host thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "h_nbm.h"

#include <nbmem/kmem.h>
#include <nbmem/pool.h>
#include <nbmem/workload.h>

#define __arraycount(a)	(sizeof(a) / sizeof((a)[0]))

/* A workload of one source of the given kind, allocating and holding. */
static struct nbm_wl_source *
one_source(struct nbm_workload *wl, int kind, const char *name)
{
	struct nbm_wl_source *sd;

	nbm_workload_init(wl);
	snprintf(wl->wl_name, sizeof(wl->wl_name), "t-%s", name);
	wl->wl_nsources = 1;
	wl->wl_stop_ops = 400;
	sd = &wl->wl_sources[0];
	sd->src_kind = kind;
	snprintf(sd->src_name, sizeof(sd->src_name), "%s", name);
	sd->src_ipl = IPL_VM;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_FIXED;
	sd->src_sizes.sz_min = 64;
	sd->src_life.lt_kind = NBM_WL_LIFE_EXP;
	sd->src_life.lt_ns = 5000;
	return sd;
}

/*
 * run: start wl on m, run the machine to the end, finish; require a clean
 * end (every object freed) and return the final progress.
 */
static void
run(struct nbm_machine *m, const struct nbm_workload *wl,
    struct nbm_workload_progress *wp)
{
	struct nbm_wlrun *w;
	char err[256];
	int error;

	error = nbm_workload_start(m, wl, NULL, NULL, &w, err, sizeof(err));
	ATF_REQUIRE_MSG(error == 0, "start: %s (%s)", strerror(error), err);
	ATF_REQUIRE_EQ_MSG(nbm_machine_run(m, 0), 0, "panic: %s",
	    h_panicmsg());
	ATF_REQUIRE_EQ(nbm_workload_finish(w, wp), 0);
	ATF_CHECK_EQ(wp->wp_state, NBM_WLST_DONE);
	ATF_CHECK_EQ_MSG(wp->wp_allocs, wp->wp_frees, "allocs %ju frees %ju",
	    (uintmax_t)wp->wp_allocs, (uintmax_t)wp->wp_frees);
	ATF_CHECK_EQ(wp->wp_live, 0);
}

/* A pool's kern.pool record from a snapshot, or NULL. */
static const struct pool_sysctl *
find_pool(const struct nbm_stats *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->st_npools; i++)
		if (strcmp(st->st_pools[i].pr_wchan, name) == 0)
			return &st->st_pools[i];
	return NULL;
}

/*
 * Validation: each broken field is named, with what is accepted.
 */
struct badcase {
	const char *expect;
	void	(*breakit)(struct nbm_workload *);
};

static void
b_name(struct nbm_workload *wl)
{

	wl->wl_name[0] = '\0';
}

static void
b_threads(struct nbm_workload *wl)
{

	wl->wl_threads = 0;
}

static void
b_nsrc(struct nbm_workload *wl)
{

	wl->wl_nsources = 0;
}

static void
b_kind(struct nbm_workload *wl)
{

	wl->wl_sources[0].src_kind = 9;
}

static void
b_align(struct nbm_workload *wl)
{

	wl->wl_sources[1].src_align = 48;
}

static void
b_poolname(struct nbm_workload *wl)
{

	snprintf(wl->wl_sources[1].src_name, NBM_WL_NAME_MAX,
	    "a-name-too-long-for-a-pool");
}

static void
b_ipl(struct nbm_workload *wl)
{

	wl->wl_sources[1].src_ipl = 99;
}

static void
b_bigpool(struct nbm_workload *wl)
{

	wl->wl_sources[1].src_size = 8192;
}

static void
b_size0(struct nbm_workload *wl)
{

	wl->wl_sources[0].src_sizes.sz_min = 0;
}

static void
b_uniform(struct nbm_workload *wl)
{

	wl->wl_sources[0].src_sizes.sz_kind = NBM_WL_SIZE_UNIFORM;
	wl->wl_sources[0].src_sizes.sz_min = 100;
	wl->wl_sources[0].src_sizes.sz_max = 50;
}

static void
b_hist(struct nbm_workload *wl)
{
	struct nbm_wl_sizes *sz = &wl->wl_sources[0].src_sizes;

	sz->sz_kind = NBM_WL_SIZE_HISTOGRAM;
	sz->sz_min = 1;
	sz->sz_n = 2;
	sz->sz_list[0] = (struct nbm_wl_sizeent){ 64, 1 };
	sz->sz_list[1] = (struct nbm_wl_sizeent){ 32, 1 };
}

static void
b_weights(struct nbm_workload *wl)
{
	struct nbm_wl_sizes *sz = &wl->wl_sources[0].src_sizes;

	sz->sz_kind = NBM_WL_SIZE_LIST;
	sz->sz_n = 1;
	sz->sz_list[0] = (struct nbm_wl_sizeent){ 64, 0 };
}

static void
b_life(struct nbm_workload *wl)
{

	wl->wl_sources[0].src_life.lt_kind = 7;
}

static void
b_xcpu(struct nbm_workload *wl)
{

	wl->wl_sources[0].src_xcpu = 1001;
}

static void
b_quantum(struct nbm_workload *wl)
{

	wl->wl_sources[2].src_quantum = 3000;
}

static void
b_fit(struct nbm_workload *wl)
{

	wl->wl_sources[2].src_fit = 0;
}

static void
b_win(struct nbm_workload *wl)
{

	wl->wl_sources[3].src_win[0].win_base = 0xfff0;
}

static void
b_opsrc(struct nbm_workload *wl)
{

	wl->wl_ops[0].op_src = 12;
}

static void
b_opweight(struct nbm_workload *wl)
{

	wl->wl_ops[0].op_weight = 0;
}

static void
b_limitfail(struct nbm_workload *wl)
{

	wl->wl_ops[0].op_flags = NBM_WLF_LIMITFAIL;
}

static void
b_slots(struct nbm_workload *wl)
{

	wl->wl_ops[0].op_slots = 0x4;
}

static void
b_uncovered(struct nbm_workload *wl)
{
	u_int i;

	wl->wl_threads = 2;
	for (i = 0; i < wl->wl_nops; i++)
		wl->wl_ops[i].op_slots = 0x1;
}

static void
b_cpus(struct nbm_workload *wl)
{

	wl->wl_cpus[0] = 0x10;
}

static void
b_intripl(struct nbm_workload *wl)
{

	wl->wl_intr[0].wi_intr.ic_ipl = IPL_SOFTNET;
}

static void
b_intrsrc(struct nbm_workload *wl)
{

	wl->wl_intr[0].wi_src[0] = 2;
}

static void
b_intrkmem(struct nbm_workload *wl)
{

	wl->wl_intr[0].wi_src[0] = 0;
	wl->wl_sources[0].src_sizes.sz_min = 65536;
}

static void
b_intrpool(struct nbm_workload *wl)
{

	wl->wl_sources[1].src_ipl = IPL_NONE;
}

static void
b_intrfree(struct nbm_workload *wl)
{

	wl->wl_intr[0].wi_free = 4;
}

static void
b_intrrate(struct nbm_workload *wl)
{

	wl->wl_intr[0].wi_intr.ic_rate = 0;
}

static void
b_dupname(struct nbm_workload *wl)
{

	wl->wl_sources[4].src_kind = NBM_WLS_POOL_CACHE;
	wl->wl_sources[4].src_size = 64;
	snprintf(wl->wl_sources[4].src_name, NBM_WL_NAME_MAX, "t-pool");
}

static void
b_batch(struct nbm_workload *wl)
{

	wl->wl_batch = 0;
}

static const struct badcase badcases[] = {
	{ "name: must be 1 to 31 printable characters", b_name },
	{ "threads 0: must be between 1 and 32 per CPU", b_threads },
	{ "nsources 0: must be between 1 and 64", b_nsrc },
	{ "sources[0].kind 9: must be 0 (kmem)", b_kind },
	{ "sources[1].align 48: must be 0 or a power of two up to 4096",
	    b_align },
	{ "sources[1].name \"a-name-too-long-for-a-pool\": a pool name must "
	    "be 1 to 15 printable characters", b_poolname },
	{ "sources[1].ipl 99: must be 0 (IPL_NONE) or between 2", b_ipl },
	{ "sources[1].size 8192: larger than a page (4096)", b_bigpool },
	{ "sources[0].sizes.min 0: must be between 1 and", b_size0 },
	{ "sources[0].sizes.max 50: must be between min 100 and", b_uniform },
	{ "sources[0].sizes.list[1].size 32: bucket bounds must grow "
	    "(previous bound 64)", b_hist },
	{ "sources[0].sizes: the weights add up to 0", b_weights },
	{ "sources[0].life.kind 7: must be 0 (fixed), 1 (exponential) or 2",
	    b_life },
	{ "sources[0].xcpu 1001: must be between 0 and 1000", b_xcpu },
	{ "sources[2].quantum 3000: must be a power of two", b_quantum },
	{ "sources[2].fit 0x0: must be VM_INSTANTFIT", b_fit },
	{ "sources[3].win[0].base 0xfff0: the last instance ends at 0x100ff, "
	    "past the I/O port space", b_win },
	{ "ops[0].src 12: must name one of the 5 sources", b_opsrc },
	{ "ops[0].weight 0: must be between 1 and 1000000", b_opweight },
	{ "ops[0].flags: LIMITFAIL applies to pools only", b_limitfail },
	{ "ops[0].slots 0x4: the workload has 1 threads per CPU", b_slots },
	{ "ops: thread slot 1 has no operation to draw", b_uncovered },
	{ "cpus: cpu 4 is not below ncpu 2", b_cpus },
	{ "intr[0].ipl 4: must be 6 (IPL_VM), 7 (IPL_SCHED) or 8", b_intripl },
	{ "intr[0].src[0]: a handler allocates from kmem, pools and pool "
	    "caches only, not from source 2 (vmem)", b_intrsrc },
	{ "intr[0].src[0]: kmem size 65536 in a handler: at most 4088",
	    b_intrkmem },
	{ "intr[0].src[0]: pool \"t-pool\" is at IPL 0, which does not block "
	    "the handler's IPL 6", b_intrpool },
	{ "intr[0].free 4: must be 0 (in the handler)", b_intrfree },
	{ "intr[0].rate 0: must be above 0", b_intrrate },
	{ "sources[4].name \"t-pool\": sources[1] has that name", b_dupname },
	{ "batch 0: must be between 1 and 1024", b_batch },
};

/* A valid workload touching every part that validation checks. */
static void
valid_workload(struct nbm_workload *wl)
{
	struct nbm_wl_source *sd;
	struct nbm_wl_intr *wi;

	nbm_workload_init(wl);
	snprintf(wl->wl_name, sizeof(wl->wl_name), "valid");
	wl->wl_nsources = 5;
	sd = &wl->wl_sources[0];
	sd->src_kind = NBM_WLS_KMEM;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_FIXED;
	sd->src_sizes.sz_min = 64;
	sd = &wl->wl_sources[1];
	sd->src_kind = NBM_WLS_POOL;
	snprintf(sd->src_name, sizeof(sd->src_name), "t-pool");
	sd->src_size = 100;
	sd->src_ipl = IPL_VM;
	sd = &wl->wl_sources[2];
	sd->src_kind = NBM_WLS_VMEM;
	snprintf(sd->src_name, sizeof(sd->src_name), "t-vmem");
	sd->src_base = 0x1000;
	sd->src_span = 0x100000;
	sd->src_quantum = 16;
	sd->src_fit = VM_BESTFIT;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_FIXED;
	sd->src_sizes.sz_min = 64;
	sd = &wl->wl_sources[3];
	sd->src_kind = NBM_WLS_DEVICE;
	snprintf(sd->src_name, sizeof(sd->src_name), "t-dev");
	sd->src_ninstances = 2;
	sd->src_nwin = 1;
	sd->src_win[0] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_IO,
	    .win_base = 0x6000, .win_size = 0x10, .win_stride = 0x100 };
	sd = &wl->wl_sources[4];
	sd->src_kind = NBM_WLS_EXTENT;
	snprintf(sd->src_name, sizeof(sd->src_name), "t-ext");
	sd->src_span = 0x10000;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_FIXED;
	sd->src_sizes.sz_min = 64;
	wl->wl_nops = 2;
	wl->wl_ops[0] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOC,
	    .op_src = 0, .op_weight = 1 };
	wl->wl_ops[1] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOC,
	    .op_src = 1, .op_weight = 1 };
	wl->wl_nintr = 1;
	wi = &wl->wl_intr[0];
	snprintf(wi->wi_intr.ic_name, sizeof(wi->wi_intr.ic_name), "t-irq");
	wi->wi_intr.ic_ipl = IPL_VM;
	wi->wi_intr.ic_dist = NBM_INTR_POISSON;
	wi->wi_intr.ic_rate = 1000;
	wi->wi_intr.ic_target = NBM_INTR_TARGET_ALL;
	wi->wi_nsrc = 1;
	wi->wi_src[0] = 1;
}

ATF_TC_WITHOUT_HEAD(validate_messages);
ATF_TC_BODY(validate_messages, tc)
{
	static struct nbm_workload wl;
	struct nbm_config cfg;
	char err[256];
	size_t i;

	h_config(&cfg);
	valid_workload(&wl);
	ATF_REQUIRE_EQ_MSG(nbm_workload_validate(&wl, &cfg, err, sizeof(err)),
	    0, "valid workload refused: %s", err);
	for (i = 0; i < __arraycount(badcases); i++) {
		valid_workload(&wl);
		badcases[i].breakit(&wl);
		ATF_CHECK_EQ_MSG(nbm_workload_validate(&wl, &cfg, err,
		    sizeof(err)), EINVAL, "case %zu accepted", i);
		ATF_CHECK_MSG(strstr(err, badcases[i].expect) != NULL,
		    "case %zu: \"%s\" does not contain \"%s\"", i, err,
		    badcases[i].expect);
	}
}

/*
 * Sources: each kind alone, in deterministic mode on two CPUs.
 */
ATF_TC_WITHOUT_HEAD(source_kinds);
ATF_TC_BODY(source_kinds, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_wl_source *sd;
	struct nbm_machine *m;
	struct nbm_stats *st;
	int kind;
	size_t i;

	for (kind = NBM_WLS_KMEM; kind <= NBM_WLS_DEVICE; kind++) {
		m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 3);
		sd = one_source(&wl, kind, "t-src");
		switch (kind) {
		case NBM_WLS_POOL:
			sd->src_size = 200;
			break;
		case NBM_WLS_POOL_CACHE:
			sd->src_size = 96;
			sd->src_align = 32;
			sd->src_ctor_ns = 100;
			sd->src_dtor_ns = 100;
			break;
		case NBM_WLS_VMEM:
			sd->src_base = 0x100000;
			sd->src_span = 1 << 20;
			sd->src_quantum = 64;
			sd->src_fit = VM_BESTFIT;
			break;
		case NBM_WLS_EXTENT:
			sd->src_base = 0x1000;
			sd->src_span = 1 << 20;
			sd->src_align = 64;
			break;
		case NBM_WLS_DEVICE:
			sd->src_ninstances = 4;
			sd->src_nwin = 2;
			sd->src_win[0] = (struct nbm_wl_window){
			    .win_space = NBM_WL_SPACE_IO, .win_base = 0x7000,
			    .win_size = 0x20, .win_stride = 0x40 };
			sd->src_win[1] = (struct nbm_wl_window){
			    .win_space = NBM_WL_SPACE_MEM, .win_alloc = true,
			    .win_base = 0xd0000000ULL,
			    .win_end = 0xdfffffffULL, .win_size = 0x4000,
			    .win_align = 0x4000 };
			break;
		default:
			break;
		}
		run(m, &wl, &wp);
		ATF_CHECK_EQ(wp.wp_ops, 400);
		if (kind == NBM_WLS_DEVICE) {
			/* An instance attached twice is busy (EAGAIN). */
			ATF_CHECK_EQ(wp.wp_allocs + wp.wp_fails, 400);
			ATF_CHECK(wp.wp_allocs > 10 && wp.wp_fails > 10);
		} else
			ATF_CHECK_MSG(wp.wp_allocs > 300 && wp.wp_fails == 0,
			    "kind %d: %ju allocations, %ju failures", kind,
			    (uintmax_t)wp.wp_allocs, (uintmax_t)wp.wp_fails);
		ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
		/* The arena and the extent went with the run. */
		for (i = 0; i < st->st_nvmem; i++)
			ATF_CHECK(strcmp(st->st_vmem[i].vs_name, "t-src") != 0);
		for (i = 0; i < st->st_nextent; i++)
			ATF_CHECK(strcmp(st->st_extent[i].es_name, "t-src") !=
			    0);
		/* The pool stays, with nothing of the run's out. */
		if (kind == NBM_WLS_POOL) {
			ATF_REQUIRE(find_pool(st, "t-src") != NULL);
			ATF_CHECK_EQ(find_pool(st, "t-src")->pr_nout, 0);
		}
		nbm_stats_free(st);
		h_shutdown(m);
	}
}

/*
 * Size distributions: the sizes drawn, read from the trace.
 */
#define SZMAX	4096

struct sizes_seen {
	u_int	 n;
	u_int	 count[SZMAX + 1];
};

static void
size_sink(void *arg, const char *line)
{
	struct sizes_seen *ss = arg;
	const char *p;
	long v;

	if (strstr(line, "\"op\":\"alloc\"") == NULL ||
	    (p = strstr(line, "\"size\":")) == NULL)
		return;
	v = atol(p + 7);
	ATF_REQUIRE(v >= 1 && v <= SZMAX);
	ss->count[v]++;
	ss->n++;
}

static void
draw_sizes(const struct nbm_wl_sizes *sz, struct sizes_seen *ss)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];

	memset(ss, 0, sizeof(*ss));
	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 1);
	one_source(&wl, NBM_WLS_KMEM, "")->src_sizes = *sz;
	wl.wl_stop_ops = 4000;
	ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &wl, size_sink, ss, &w, err,
	    sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	ATF_REQUIRE_EQ(nbm_workload_finish(w, &wp), 0);
	ATF_CHECK_EQ(ss->n, wp.wp_allocs);
	h_shutdown(m);
}

static u_int
seen(const struct sizes_seen *ss, u_int lo, u_int hi)
{
	u_int n = 0;

	for (; lo <= hi; lo++)
		n += ss->count[lo];
	return n;
}

ATF_TC_WITHOUT_HEAD(size_distributions);
ATF_TC_BODY(size_distributions, tc)
{
	static struct sizes_seen ss;
	struct nbm_wl_sizes sz;

	memset(&sz, 0, sizeof(sz));
	sz.sz_kind = NBM_WL_SIZE_FIXED;
	sz.sz_min = 100;
	draw_sizes(&sz, &ss);
	ATF_CHECK(ss.n > 3000);
	ATF_CHECK_EQ(ss.count[100], ss.n);

	sz.sz_kind = NBM_WL_SIZE_UNIFORM;
	sz.sz_min = 129;
	sz.sz_max = 192;
	draw_sizes(&sz, &ss);
	ATF_CHECK_EQ(seen(&ss, 129, 192), ss.n);
	ATF_CHECK(ss.count[129] > 0 && ss.count[192] > 0);
	ATF_CHECK_MSG(seen(&ss, 129, 160) > ss.n * 4 / 10 &&
	    seen(&ss, 129, 160) < ss.n * 6 / 10, "lower half %u of %u",
	    seen(&ss, 129, 160), ss.n);

	sz.sz_kind = NBM_WL_SIZE_LIST;
	sz.sz_n = 2;
	sz.sz_list[0] = (struct nbm_wl_sizeent){ 24, 3 };
	sz.sz_list[1] = (struct nbm_wl_sizeent){ 3000, 1 };
	draw_sizes(&sz, &ss);
	ATF_CHECK_EQ(ss.count[24] + ss.count[3000], ss.n);
	ATF_CHECK_MSG(ss.count[24] > 2 * ss.count[3000] &&
	    ss.count[24] < 4 * ss.count[3000], "24: %u, 3000: %u",
	    ss.count[24], ss.count[3000]);

	/* Buckets [57, 64] and [65, 128], weights 1:1. */
	sz.sz_kind = NBM_WL_SIZE_HISTOGRAM;
	sz.sz_min = 57;
	sz.sz_list[0] = (struct nbm_wl_sizeent){ 64, 1 };
	sz.sz_list[1] = (struct nbm_wl_sizeent){ 128, 1 };
	draw_sizes(&sz, &ss);
	ATF_CHECK_EQ(seen(&ss, 57, 128), ss.n);
	ATF_CHECK_MSG(seen(&ss, 57, 64) > ss.n * 4 / 10 &&
	    seen(&ss, 57, 64) < ss.n * 6 / 10, "first bucket %u of %u",
	    seen(&ss, 57, 64), ss.n);
	ATF_CHECK(ss.count[57] > 0 && ss.count[65] > 0 && ss.count[128] > 0);
}

/*
 * Lifetimes: stopped half way, a run holds everything (END), nothing
 * (FIXED 0) or something in between (EXP).
 */
static uint64_t
live_midway(int kind, uint64_t ns)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp, fin;
	struct nbm_wl_source *sd;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 5);
	sd = one_source(&wl, NBM_WLS_POOL_CACHE, "t-life");
	sd->src_size = 64;
	sd->src_life.lt_kind = kind;
	sd->src_life.lt_ns = ns;
	wl.wl_stop_ops = 1000;
	ATF_REQUIRE_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), 0);
	/* 500 operations of 100 ns. */
	ATF_REQUIRE_EQ(nbm_machine_run(m, 500 * 100), ETIMEDOUT);
	nbm_workload_progress(w, &wp);
	ATF_CHECK_EQ(wp.wp_state, NBM_WLST_RUNNING);
	ATF_CHECK(wp.wp_ops >= 499 && wp.wp_ops <= 501);
	ATF_CHECK_EQ(wp.wp_remaining_ops, 1000 - wp.wp_ops);
	/* Finishing stops the run where it is. */
	ATF_REQUIRE_EQ(nbm_workload_finish(w, &fin), 0);
	ATF_CHECK_EQ(fin.wp_live, 0);
	ATF_CHECK(fin.wp_ops >= wp.wp_ops && fin.wp_ops <= wp.wp_ops + 1);
	/* Stopped early, it keeps what it had left. */
	ATF_CHECK_EQ(fin.wp_remaining_ops, 1000 - fin.wp_ops);
	h_shutdown(m);
	return wp.wp_live;
}

ATF_TC_WITHOUT_HEAD(lifetimes);
ATF_TC_BODY(lifetimes, tc)
{
	uint64_t end, zero, exp;

	end = live_midway(NBM_WL_LIFE_END, 0);
	zero = live_midway(NBM_WL_LIFE_FIXED, 0);
	exp = live_midway(NBM_WL_LIFE_EXP, 10000);
	ATF_CHECK(end >= 499);
	ATF_CHECK(zero <= 1);
	/* Mean 10 us = 100 operations: about 100 held. */
	ATF_CHECK_MSG(exp > 50 && exp < 200, "exp: %ju held", (uintmax_t)exp);
}

/*
 * Cross-CPU frees: all of them travel with xcpu 1000 on two CPUs, none
 * with one CPU; and only the objects that travel are freed by the other
 * CPU's threads (checked through the pool cache's per-CPU counters: every
 * put of CPU 1 is of an object CPU 0 got, and the reverse).
 */
ATF_TC_WITHOUT_HEAD(cross_cpu_frees);
ATF_TC_BODY(cross_cpu_frees, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_wl_source *sd;
	struct nbm_machine *m;

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 9);
	sd = one_source(&wl, NBM_WLS_POOL_CACHE, "t-xcpu");
	sd->src_size = 128;
	sd->src_xcpu = 1000;
	wl.wl_stop_ops = 2000;
	run(m, &wl, &wp);
	/* Those still held at the end are freed at home. */
	ATF_CHECK_MSG(wp.wp_xcpu > wp.wp_frees * 8 / 10, "xcpu %ju of %ju",
	    (uintmax_t)wp.wp_xcpu, (uintmax_t)wp.wp_frees);
	h_shutdown(m);

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 9);
	run(m, &wl, &wp);
	ATF_CHECK_EQ(wp.wp_xcpu, 0);
	h_shutdown(m);

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 9);
	sd->src_xcpu = 250;
	run(m, &wl, &wp);
	ATF_CHECK_MSG(wp.wp_xcpu > wp.wp_frees / 8 &&
	    wp.wp_xcpu < wp.wp_frees * 4 / 10, "xcpu %ju of %ju",
	    (uintmax_t)wp.wp_xcpu, (uintmax_t)wp.wp_frees);
	h_shutdown(m);
}

/*
 * Interrupt actions: where the handler's objects are freed, read from the
 * trace (context and CPU of each free against its allocation).
 */
struct ctxcount {
	u_int	 allocs_intr;	/* allocations in handlers */
	u_int	 frees[4];	/* handler, softint, same CPU thread,
				   other CPU thread */
	int	 alloc_cpu[1 << 16]; /* by id: CPU of an intr allocation */
};

static struct ctxcount *ctxc;

static int
field_int(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p == NULL ? -1 : atoi(p + strlen(key));
}

static void
ctx_sink(void *arg, const char *line)
{
	int id = field_int(line, "\"id\":"), cpu = field_int(line, "\"cpu\":");

	(void)arg;
	if (id < 0 || id >= (1 << 16))
		return;
	if (strstr(line, "\"op\":\"alloc\"") != NULL) {
		ctxc->alloc_cpu[id] = strstr(line, "\"ctx\":\"intr\"") != NULL ?
		    cpu : -1;
		if (ctxc->alloc_cpu[id] >= 0)
			ctxc->allocs_intr++;
		return;
	}
	if (strstr(line, "\"op\":\"free\"") == NULL ||
	    ctxc->alloc_cpu[id] < 0)
		return;
	if (strstr(line, "\"ctx\":\"intr\"") != NULL)
		ctxc->frees[0]++;
	else if (strstr(line, "\"ctx\":\"softint\"") != NULL)
		ctxc->frees[1]++;
	else if (cpu == ctxc->alloc_cpu[id])
		ctxc->frees[2]++;
	else
		ctxc->frees[3]++;
}

static void
intr_workload(struct nbm_workload *wl, int freepath, bool kmem)
{
	struct nbm_wl_source *sd;
	struct nbm_wl_intr *wi;

	sd = one_source(wl, NBM_WLS_POOL_CACHE, "t-rx");
	sd->src_size = 256;
	sd->src_ipl = IPL_VM;
	wl->wl_nsources = 2;
	sd = &wl->wl_sources[1];
	sd->src_kind = NBM_WLS_KMEM;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_UNIFORM;
	sd->src_sizes.sz_min = 16;
	sd->src_sizes.sz_max = 512;
	sd->src_life.lt_kind = NBM_WL_LIFE_FIXED;
	wl->wl_nops = 1;
	wl->wl_ops[0] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_IDLE,
	    .op_weight = 1 };
	wl->wl_stop_ops = 4000;
	wl->wl_nintr = 1;
	wi = &wl->wl_intr[0];
	snprintf(wi->wi_intr.ic_name, sizeof(wi->wi_intr.ic_name), "t-nic");
	wi->wi_intr.ic_ipl = IPL_VM;
	wi->wi_intr.ic_dist = NBM_INTR_POISSON;
	wi->wi_intr.ic_rate = 500000;
	wi->wi_intr.ic_target = NBM_INTR_TARGET_RR;
	wi->wi_nsrc = kmem ? 2 : 1;
	wi->wi_src[0] = 0;
	wi->wi_src[1] = 1;
	wi->wi_free = freepath;
	wi->wi_life.lt_kind = NBM_WL_LIFE_EXP;
	wi->wi_life.lt_ns = 2000;
}

ATF_TC_WITHOUT_HEAD(intr_actions);
ATF_TC_BODY(intr_actions, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];
	int path;
	u_int i, other;

	ctxc = calloc(1, sizeof(*ctxc));
	ATF_REQUIRE(ctxc != NULL);
	for (path = NBM_WLI_FREE_HANDLER; path <= NBM_WLI_FREE_XCPU; path++) {
		memset(ctxc, 0, sizeof(*ctxc));
		m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 21);
		intr_workload(&wl, path, true);
		ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &wl, ctx_sink, NULL,
		    &w, err, sizeof(err)), 0, "%s", err);
		ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
		ATF_REQUIRE_EQ(nbm_workload_finish(w, &wp), 0);
		ATF_CHECK_EQ(wp.wp_live, 0);
		ATF_CHECK_MSG(wp.wp_intr > 100, "path %d: %ju interrupts",
		    path, (uintmax_t)wp.wp_intr);
		ATF_CHECK_EQ(wp.wp_intr_allocs, ctxc->allocs_intr);
		/*
		 * What is still held when the run stops is freed by a
		 * thread of the CPU; everything else went the set way.
		 */
		other = 0;
		for (i = 0; i < 4; i++)
			if (i != (u_int)path && !(i == 2 && path != 2))
				other += ctxc->frees[i];
		ATF_CHECK_MSG(ctxc->frees[path] > ctxc->allocs_intr * 8 / 10,
		    "path %d: %u of %u freed that way (%u %u %u %u)", path,
		    ctxc->frees[path], ctxc->allocs_intr, ctxc->frees[0],
		    ctxc->frees[1], ctxc->frees[2], ctxc->frees[3]);
		ATF_CHECK_EQ_MSG(other, 0, "path %d: %u %u %u %u", path,
		    ctxc->frees[0], ctxc->frees[1], ctxc->frees[2],
		    ctxc->frees[3]);
		h_shutdown(m);
	}
	free(ctxc);
}

/*
 * A handler at IPL_VM may not allocate from an existing IPL_NONE pool:
 * the start refuses it, as NetBSD would panic.
 */
ATF_TC_WITHOUT_HEAD(intr_existing_pool_ipl);
ATF_TC_BODY(intr_existing_pool_ipl, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 1);
	intr_workload(&wl, NBM_WLI_FREE_HANDLER, false);
	wl.wl_sources[0].src_ipl = IPL_NONE;
	wl.wl_intr[0].wi_nsrc = 1;
	wl.wl_nintr = 0;
	run(m, &wl, &wp);		/* creates t-rx at IPL_NONE */
	intr_workload(&wl, NBM_WLI_FREE_HANDLER, false);
	wl.wl_sources[0].src_existing = true;
	ATF_CHECK_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), EINVAL);
	ATF_CHECK_MSG(strstr(err, "intr[0].src[0]: pool \"t-rx\" is at IPL 0, "
	    "which does not block the handler's IPL 6") != NULL, "%s", err);
	h_shutdown(m);
}

/*
 * Determinism: the same seed gives the same statistics at every point of
 * virtual time, byte for byte; another seed does not.
 */
#define NSNAP	64

struct snaps {
	u_int		 n;
	struct nbm_stats *st[NSNAP];
	struct nbm_workload_progress wp;
};

static void
snap_run(uint64_t seed, u_int ncpu, struct snaps *sn)
{
	struct nbm_workload wl;
	struct nbm_machine *m;
	struct nbm_config cfg;
	struct nbm_wlrun *w;
	char err[256];
	int error;

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, ncpu, seed);
	cfg = *nbm_machine_config(m);
	ATF_REQUIRE_EQ(nbm_workload_builtin("mixed", "ops=3000,rate=200000",
	    &cfg, &wl, err, sizeof(err)), 0);
	ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), 0, "%s", err);
	sn->n = 0;
	do {
		error = nbm_machine_run(m, 20000);
		ATF_REQUIRE(error == 0 || error == ETIMEDOUT);
		ATF_REQUIRE(sn->n < NSNAP);
		ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &sn->st[sn->n]), 0);
		sn->n++;
	} while (error == ETIMEDOUT);
	ATF_REQUIRE_EQ(nbm_workload_finish(w, &sn->wp), 0);
	h_shutdown(m);
}

static bool
snap_equal(const struct nbm_stats *a, const struct nbm_stats *b)
{

	return a->st_npools == b->st_npools &&
	    a->st_ncachecpu == b->st_ncachecpu &&
	    a->st_nvmem == b->st_nvmem && a->st_nextent == b->st_nextent &&
	    memcmp(&a->st_machine, &b->st_machine,
	    sizeof(a->st_machine)) == 0 &&
	    memcmp(a->st_pools, b->st_pools,
	    a->st_npools * sizeof(*a->st_pools)) == 0 &&
	    memcmp(a->st_cachecpu, b->st_cachecpu,
	    a->st_ncachecpu * sizeof(*a->st_cachecpu)) == 0 &&
	    memcmp(a->st_vmem, b->st_vmem,
	    a->st_nvmem * sizeof(*a->st_vmem)) == 0 &&
	    memcmp(a->st_extent, b->st_extent,
	    a->st_nextent * sizeof(*a->st_extent)) == 0;
}

static void
snaps_free(struct snaps *sn)
{
	u_int i;

	for (i = 0; i < sn->n; i++)
		nbm_stats_free(sn->st[i]);
}

ATF_TC_WITHOUT_HEAD(determinism);
ATF_TC_BODY(determinism, tc)
{
	static struct snaps a, b, c;
	uint64_t seed = h_seed(17);
	u_int i;

	snap_run(seed, 2, &a);
	snap_run(seed, 2, &b);
	snap_run(seed + 1, 2, &c);
	ATF_REQUIRE(a.n > 10);
	ATF_REQUIRE_EQ(a.n, b.n);
	for (i = 0; i < a.n; i++)
		ATF_CHECK_MSG(snap_equal(a.st[i], b.st[i]),
		    "snapshot %u of %u differs", i, a.n);
	ATF_CHECK(memcmp(&a.wp, &b.wp, sizeof(a.wp)) == 0);
	ATF_CHECK_MSG(a.wp.wp_intr > 0, "no interrupt in the run");
	/* Another seed, another run. */
	ATF_CHECK(a.n != c.n || !snap_equal(a.st[a.n / 2], c.st[c.n / 2]));
	snaps_free(&a);
	snaps_free(&b);
	snaps_free(&c);
}

/*
 * Stopping: a run without a stop condition, stopped from another host
 * thread while a third reads its progress, in parallel mode.
 */
struct watcher {
	struct nbm_wlrun *w;
	struct nbm_machine *m;
	_Atomic(int)	 reads;
};

static void *
watcher_main(void *arg)
{
	struct watcher *wa = arg;
	struct nbm_workload_progress wp;
	struct timespec ts = { 0, 100000 };
	uint64_t last = 0;
	int i;

	/* Until 2000 operations are done, or 20 s. */
	for (i = 0; i < 200000; i++) {
		nbm_workload_progress(wa->w, &wp);
		ATF_CHECK(wp.wp_ops >= last);
		last = wp.wp_ops;
		atomic_fetch_add(&wa->reads, 1);
		if (wp.wp_ops > 2000)
			break;
		nanosleep(&ts, NULL);
	}
	nbm_workload_stop(wa->w);
	return NULL;
}

ATF_TC_WITHOUT_HEAD(stop_from_another_thread);
ATF_TC_BODY(stop_from_another_thread, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_machine *m;
	struct watcher wa;
	pthread_t th;
	char err[256];

	m = h_boot_mode(NBM_MODE_PARALLEL, 2, 0);
	intr_workload(&wl, NBM_WLI_FREE_SOFTINT, true);
	wl.wl_stop_ops = 0;
	wl.wl_intr[0].wi_intr.ic_rate = 20000;
	wl.wl_ops[0] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOC,
	    .op_src = 0, .op_weight = 1 };
	memset(&wa, 0, sizeof(wa));
	wa.m = m;
	ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &wl, NULL, NULL, &wa.w, err,
	    sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ(pthread_create(&th, NULL, watcher_main, &wa), 0);
	ATF_CHECK_EQ(nbm_machine_run(m, 0), 0);
	pthread_join(th, NULL);
	ATF_REQUIRE_EQ(nbm_workload_finish(wa.w, &wp), 0);
	ATF_CHECK_EQ(wp.wp_state, NBM_WLST_DONE);
	ATF_CHECK_EQ(wp.wp_live, 0);
	ATF_CHECK(wp.wp_ops > 0);
	ATF_CHECK(atomic_load(&wa.reads) > 0);
	h_shutdown(m);
}

/*
 * Finishing: a run cut short by a run limit is finished by
 * nbm_workload_finish, which runs the machine until it has given
 * everything back; a run never run at all likewise.
 */
ATF_TC_WITHOUT_HEAD(finish_runs_the_machine);
ATF_TC_BODY(finish_runs_the_machine, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];
	int mode;

	for (mode = NBM_MODE_PARALLEL; mode <= NBM_MODE_DETERMINISTIC;
	    mode++) {
		m = h_boot_mode(mode, 2, 2);
		intr_workload(&wl, NBM_WLI_FREE_XCPU, true);
		wl.wl_stop_ops = 0;
		wl.wl_ops[0].op_kind = NBM_WLOP_ALLOC;
		ATF_REQUIRE_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
		    sizeof(err)), 0);
		ATF_CHECK_EQ(nbm_machine_run(m, 200000), ETIMEDOUT);
		ATF_REQUIRE_EQ(nbm_workload_finish(w, &wp), 0);
		ATF_CHECK_EQ(wp.wp_state, NBM_WLST_DONE);
		ATF_CHECK_EQ(wp.wp_live, 0);
		ATF_CHECK_EQ(wp.wp_allocs, wp.wp_frees);
		/* Never run: finish runs it. */
		ATF_REQUIRE_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
		    sizeof(err)), 0);
		ATF_REQUIRE_EQ(nbm_workload_finish(w, &wp), 0);
		ATF_CHECK_EQ(wp.wp_live, 0);
		h_shutdown(m);
	}
}

/*
 * A run started while another host thread runs the machine is set up by a
 * scheduled thread; runs are finished from a thread that does not run the
 * machine, which waits for them.
 */
static void *
runner_main(void *arg)
{
	struct nbm_machine *m = arg;

	ATF_CHECK_EQ(nbm_machine_run(m, 0), 0);
	return NULL;
}

static void
wait_ops(struct nbm_wlrun *w, uint64_t ops, int state)
{
	struct nbm_workload_progress wp;
	struct timespec ts = { 0, 1000000 };
	int i;

	for (i = 0; i < 20000; i++) {
		nbm_workload_progress(w, &wp);
		if (wp.wp_ops >= ops && (state == 0 || wp.wp_state == state))
			return;
		nanosleep(&ts, NULL);
	}
	atf_tc_fail("run stuck at %ju operations", (uintmax_t)wp.wp_ops);
}

ATF_TC_WITHOUT_HEAD(start_while_running);
ATF_TC_BODY(start_while_running, tc)
{
	static struct nbm_workload a, b;
	struct nbm_workload_progress wp;
	struct nbm_wlrun *wa, *wb;
	struct nbm_machine *m;
	pthread_t th;
	char err[256];

	m = h_boot_mode(NBM_MODE_PARALLEL, 2, 0);
	one_source(&a, NBM_WLS_KMEM, "");
	snprintf(a.wl_name, sizeof(a.wl_name), "long");
	a.wl_stop_ops = 0;
	ATF_REQUIRE_EQ(nbm_workload_start(m, &a, NULL, NULL, &wa, err,
	    sizeof(err)), 0);
	ATF_REQUIRE_EQ(pthread_create(&th, NULL, runner_main, m), 0);
	wait_ops(wa, 100, 0);
	one_source(&b, NBM_WLS_POOL_CACHE, "kmem-00128")->src_existing = true;
	ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &b, NULL, NULL, &wb, err,
	    sizeof(err)), 0, "%s", err);
	wait_ops(wb, 400, NBM_WLST_DONE);
	ATF_REQUIRE_EQ(nbm_workload_finish(wb, &wp), 0);
	ATF_CHECK_EQ(wp.wp_ops, 400);
	ATF_CHECK_EQ(wp.wp_live, 0);
	nbm_workload_stop(wa);
	ATF_REQUIRE_EQ(nbm_workload_finish(wa, &wp), 0);
	ATF_CHECK_EQ(wp.wp_state, NBM_WLST_DONE);
	ATF_CHECK_EQ(wp.wp_live, 0);
	pthread_join(th, NULL);
	h_shutdown(m);
}

/* A thread on a CPU cannot finish a run: it would wait for itself. */
ATF_TC_WITHOUT_HEAD(finish_on_cpu);
ATF_TC_BODY(finish_on_cpu, tc)
{
	static struct nbm_workload wl;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 2);
	one_source(&wl, NBM_WLS_KMEM, "");
	ATF_REQUIRE_EQ(nbm_cpu_enter(m, 0), 0);
	/* Started from a CPU of the machine: set up right here. */
	ATF_REQUIRE_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), 0);
	ATF_CHECK_EQ(nbm_workload_finish(w, NULL), EDEADLK);
	nbm_cpu_exit();
	ATF_CHECK_EQ(nbm_workload_finish(w, NULL), 0);
	h_shutdown(m);
}

/*
 * Pools by name: a later run asking for the same pool gets the one the
 * first made; other parameters are refused; existing pools are found.
 */
ATF_TC_WITHOUT_HEAD(pool_reuse);
ATF_TC_BODY(pool_reuse, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_wl_source *sd;
	struct nbm_machine *m;
	struct nbm_stats *st;
	struct nbm_wlrun *w;
	size_t npools;
	char err[256];

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 2, 4);
	sd = one_source(&wl, NBM_WLS_POOL_CACHE, "t-reuse");
	sd->src_size = 300;
	sd->src_ctor_ns = 10;
	run(m, &wl, &wp);
	ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
	npools = st->st_npools;
	ATF_CHECK(find_pool(st, "t-reuse") != NULL);
	nbm_stats_free(st);
	run(m, &wl, &wp);
	ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
	/* No second pool of that name, nor any other. */
	ATF_CHECK_EQ(st->st_npools, npools);
	nbm_stats_free(st);

	sd->src_size = 400;
	ATF_CHECK_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), EINVAL);
	ATF_CHECK_MSG(strstr(err, "sources[0].name \"t-reuse\": a pool cache "
	    "of that name exists with other parameters (size 300") != NULL,
	    "%s", err);
	sd->src_size = 300;
	sd->src_ctor_ns = 20;
	ATF_CHECK_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), EINVAL);

	/* Existing pools by name: a kmem cache, and one that is not. */
	sd = one_source(&wl, NBM_WLS_POOL_CACHE, "kmem-00064");
	sd->src_existing = true;
	run(m, &wl, &wp);
	ATF_CHECK(wp.wp_allocs > 0);
	sd = one_source(&wl, NBM_WLS_POOL, "no-such-pool");
	sd->src_existing = true;
	ATF_CHECK_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), EINVAL);
	ATF_CHECK_MSG(strstr(err, "sources[0].name \"no-such-pool\": no pool "
	    "of that name on this machine") != NULL, "%s", err);
	h_shutdown(m);
}

/* Start and end of a run are machine events. */
ATF_TC_WITHOUT_HEAD(events);
ATF_TC_BODY(events, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_event ev[64];
	struct nbm_machine *m;
	size_t i, n;
	int nwl = 0;

	m = h_boot_mode(NBM_MODE_DETERMINISTIC, 1, 4);
	one_source(&wl, NBM_WLS_KMEM, "");
	snprintf(wl.wl_name, sizeof(wl.wl_name), "evtest");
	run(m, &wl, &wp);
	n = nbm_machine_events(m, 0, ev, __arraycount(ev));
	for (i = 0; i < n; i++) {
		if (ev[i].ev_type != NBM_EV_WORKLOAD)
			continue;
		ATF_CHECK_STREQ(ev[i].ev_subject, "evtest");
		if (nwl++ == 0)
			ATF_CHECK_MSG(strstr(ev[i].ev_text, "workload evtest "
			    "started: 1 threads on 1 CPUs, 1 sources") != NULL,
			    "%s", ev[i].ev_text);
		else
			ATF_CHECK_MSG(strstr(ev[i].ev_text, "workload evtest "
			    "finished: 400 operations") != NULL, "%s",
			    ev[i].ev_text);
	}
	ATF_CHECK_EQ(nwl, 2);
	h_shutdown(m);
}

/*
 * Sleeping allocations block the thread: a pool cache at a hard limit
 * whose only holder is the thread of CPU 1, while CPU 0 waits with
 * PR_WAITOK, in both modes; the run completes.
 */
ATF_TC_WITHOUT_HEAD(sleeping_allocations);
ATF_TC_BODY(sleeping_allocations, tc)
{
	static struct nbm_workload wl;
	struct nbm_workload_progress wp;
	struct nbm_wl_source *sd;
	struct nbm_machine *m;
	int mode;

	for (mode = NBM_MODE_PARALLEL; mode <= NBM_MODE_DETERMINISTIC;
	    mode++) {
		m = h_boot_mode(mode, 2, 6);
		sd = one_source(&wl, NBM_WLS_POOL, "t-limit");
		sd->src_size = 64;
		sd->src_hardlimit = 8;
		sd->src_life.lt_ns = 1000000;
		wl.wl_threads = 2;
		wl.wl_nops = 2;
		wl.wl_ops[0] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOC,
		    .op_weight = 1, .op_flags = NBM_WLF_LIMITFAIL,
		    .op_slots = 0x1 };
		wl.wl_ops[1] = (struct nbm_wl_op){
		    .op_kind = NBM_WLOP_ALLOCFREE, .op_weight = 1,
		    .op_slots = 0x2 };
		wl.wl_stop_ops = 3000;
		run(m, &wl, &wp);
		ATF_CHECK(wp.wp_fails > 0);
		h_shutdown(m);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, validate_messages);
	ATF_TP_ADD_TC(tp, source_kinds);
	ATF_TP_ADD_TC(tp, size_distributions);
	ATF_TP_ADD_TC(tp, lifetimes);
	ATF_TP_ADD_TC(tp, cross_cpu_frees);
	ATF_TP_ADD_TC(tp, intr_actions);
	ATF_TP_ADD_TC(tp, intr_existing_pool_ipl);
	ATF_TP_ADD_TC(tp, determinism);
	ATF_TP_ADD_TC(tp, stop_from_another_thread);
	ATF_TP_ADD_TC(tp, finish_runs_the_machine);
	ATF_TP_ADD_TC(tp, start_while_running);
	ATF_TP_ADD_TC(tp, finish_on_cpu);
	ATF_TP_ADD_TC(tp, pool_reuse);
	ATF_TP_ADD_TC(tp, events);
	ATF_TP_ADD_TC(tp, sleeping_allocations);
	return atf_no_error();
}
