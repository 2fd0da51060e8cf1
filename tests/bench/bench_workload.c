/*
 * bench_workload: what the workload engine and the interrupt machinery
 * cost, beside the targets of issue 4:
 *
 *  1. workload throughput, in allocator operations (allocations + frees)
 *     per second of host time, on 1 and 2 CPUs in parallel mode and in
 *     deterministic mode (target: deterministic mode >= 5 million);
 *  2. interrupts delivered per second per CPU, in parallel mode, with a
 *     handler that allocates from a pool cache and frees at once (target:
 *     >= 100,000); the source offers INTR_OFFER arrivals a second to every
 *     CPU, more than a handler gets through, so the figure is what
 *     delivery and handler sustain (the idle threads get what is left);
 *  3. the cost an enabled but quiet interrupt source (one arrival a
 *     second) adds to a pool_cache get + put pair on the CPU it targets
 *     (target: < 10%).
 *
 * The throughput workload: a 128-byte pool cache (allocate and hold for
 * an exponential lifetime of 2 us, or allocate and free at once) and
 * 64-byte kmem allocations freed at once; no interrupts.  Deterministic
 * runs charge 100 ns of virtual time per operation and yield after each
 * one (wl_batch 1), so that the seeded scheduler interleaves the CPUs as
 * finely as it can; the figure with wl_batch 16 shows what the
 * interleaving costs.  Times are wall clock; each figure is the best of
 * three runs.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nbmem/nbmem.h>

#define TP_OPS		2000000ULL	/* throughput: operations per run */
#define INTR_MS		400		/* interrupt runs: machine time */
#define FP_ITERS	4000000ULL	/* fast path pairs per measurement */
#define REPEAT		3
#define INTR_OFFER	10000000.0	/* arrivals offered per second per CPU */

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static struct nbm_machine *
boot(int mode, u_int ncpu)
{
	struct nbm_config cfg;
	struct nbm_machine *m;

	nbm_config_init(&cfg);
	cfg.mode = mode;
	cfg.ncpu = ncpu;
	cfg.physmem = 256ULL << 20;
	cfg.seed = 1;
	if (nbm_machine_boot(&cfg, &m) != 0) {
		fprintf(stderr, "bench_workload: boot: %s\n", nbm_boot_error());
		exit(1);
	}
	return m;
}

/* Start wl on m, run it to the end; wall ns, progress in *wp. */
static uint64_t
run(struct nbm_machine *m, const struct nbm_workload *wl,
    struct nbm_workload_progress *wp)
{
	struct nbm_wlrun *w;
	char err[256];
	uint64_t t0, t1;

	if (nbm_workload_start(m, wl, NULL, NULL, &w, err, sizeof(err)) != 0) {
		fprintf(stderr, "bench_workload: start: %s\n", err);
		exit(1);
	}
	t0 = now_ns();
	if (nbm_machine_run(m, 0) != 0) {
		fprintf(stderr, "bench_workload: run: %s\n",
		    nbm_machine_panicmsg(m));
		exit(1);
	}
	t1 = now_ns();
	(void)nbm_workload_finish(w, wp);
	return t1 - t0;
}

static void
throughput_workload(struct nbm_workload *wl, u_int batch)
{
	struct nbm_wl_source *sd;

	nbm_workload_init(wl);
	snprintf(wl->wl_name, sizeof(wl->wl_name), "bench");
	wl->wl_nsources = 2;
	sd = &wl->wl_sources[0];
	sd->src_kind = NBM_WLS_POOL_CACHE;
	snprintf(sd->src_name, sizeof(sd->src_name), "bench-128");
	sd->src_size = 128;
	sd->src_ipl = IPL_VM;
	sd->src_life.lt_kind = NBM_WL_LIFE_EXP;
	sd->src_life.lt_ns = 2000;
	sd = &wl->wl_sources[1];
	sd->src_kind = NBM_WLS_KMEM;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_FIXED;
	sd->src_sizes.sz_min = 64;
	wl->wl_nops = 3;
	wl->wl_ops[0] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOC,
	    .op_src = 0, .op_weight = 2 };
	wl->wl_ops[1] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOCFREE,
	    .op_src = 0, .op_weight = 1 };
	wl->wl_ops[2] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_ALLOCFREE,
	    .op_src = 1, .op_weight = 1 };
	wl->wl_stop_ops = TP_OPS;
	wl->wl_batch = batch;
}

/* Allocator operations per second, best of REPEAT. */
static double
throughput(int mode, u_int ncpu, u_int batch)
{
	struct nbm_workload_progress wp;
	struct nbm_workload wl;
	struct nbm_machine *m;
	double best = 0, r;
	uint64_t ns;
	int i;

	throughput_workload(&wl, batch);
	for (i = 0; i < REPEAT; i++) {
		m = boot(mode, ncpu);
		ns = run(m, &wl, &wp);
		r = (double)(wp.wp_allocs + wp.wp_frees) * 1e9 / (double)ns;
		if (r > best)
			best = r;
		nbm_machine_shutdown(m);
	}
	return best;
}

/*
 * Interrupts per second per CPU: threads that only idle, a source that
 * targets every CPU at `rate' per second, a handler that gets an object
 * from a pool cache and puts it back.
 */
static double
interrupt_rate(u_int ncpu, double rate, double *cpu_delivered)
{
	struct nbm_workload_progress wp;
	struct nbm_workload wl;
	struct nbm_wl_source *sd;
	struct nbm_wl_intr *wi;
	struct nbm_machine *m;
	double best = 0, r;
	uint64_t ns;
	int i;

	nbm_workload_init(&wl);
	snprintf(wl.wl_name, sizeof(wl.wl_name), "bench-intr");
	wl.wl_nsources = 1;
	sd = &wl.wl_sources[0];
	sd->src_kind = NBM_WLS_POOL_CACHE;
	snprintf(sd->src_name, sizeof(sd->src_name), "bench-rx");
	sd->src_size = 256;
	sd->src_ipl = IPL_VM;
	wl.wl_nops = 1;
	wl.wl_ops[0] = (struct nbm_wl_op){ .op_kind = NBM_WLOP_IDLE,
	    .op_weight = 1 };
	wl.wl_stop_ns = INTR_MS * 1000000ULL;
	wl.wl_nintr = 1;
	wi = &wl.wl_intr[0];
	snprintf(wi->wi_intr.ic_name, sizeof(wi->wi_intr.ic_name), "bench0");
	wi->wi_intr.ic_ipl = IPL_VM;
	wi->wi_intr.ic_dist = NBM_INTR_PERIODIC;
	wi->wi_intr.ic_rate = rate;
	wi->wi_intr.ic_target = NBM_INTR_TARGET_ALL;
	wi->wi_nsrc = 1;
	wi->wi_free = NBM_WLI_FREE_HANDLER;
	wi->wi_life.lt_kind = NBM_WL_LIFE_FIXED;
	*cpu_delivered = 0;
	for (i = 0; i < REPEAT; i++) {
		m = boot(NBM_MODE_PARALLEL, ncpu);
		ns = run(m, &wl, &wp);
		r = (double)wp.wp_intr * 1e9 / (double)ns / ncpu;
		if (r > best) {
			best = r;
			*cpu_delivered = (double)wp.wp_intr_allocs /
			    (double)wp.wp_intr;
		}
		nbm_machine_shutdown(m);
	}
	return best;
}

/*
 * The pool_cache get + put fast path on cpu0, ns per pair, best of
 * REPEAT, with or without a quiet interrupt source on that CPU.
 */
static int
quiet_handler(void *arg)
{

	(void)arg;
	return 1;
}

static double
fast_path(bool quiet_source)
{
	struct nbm_intr_config ic;
	struct nbm_intrsource *is;
	struct nbm_machine *m;
	pool_cache_t pc;
	void *slot[16];
	double best = 0, r;
	uint64_t i, t0;
	int k, rep;

	m = boot(NBM_MODE_PARALLEL, 2);
	if (quiet_source) {
		memset(&ic, 0, sizeof(ic));
		snprintf(ic.ic_name, sizeof(ic.ic_name), "quiet0");
		ic.ic_ipl = IPL_VM;
		ic.ic_dist = NBM_INTR_PERIODIC;
		ic.ic_rate = 1.0;
		ic.ic_target = NBM_INTR_TARGET_CPU;
		ic.ic_cpu = 0;
		ic.ic_func = quiet_handler;
		if (nbm_intr_establish(m, &ic, &is, NULL, 0) != 0)
			exit(1);
	}
	if (nbm_cpu_enter(m, 0) != 0)
		exit(1);
	pc = pool_cache_init(128, 0, 0, 0, "bench-fp", NULL, IPL_VM, NULL,
	    NULL, NULL);
	for (k = 0; k < 16; k++)
		slot[k] = pool_cache_get(pc, PR_WAITOK);
	for (rep = 0; rep < REPEAT; rep++) {
		t0 = now_ns();
		for (i = 0; i < FP_ITERS; i++) {
			k = (int)(i & 15);
			pool_cache_put(pc, slot[k]);
			slot[k] = pool_cache_get(pc, PR_NOWAIT);
			*(volatile char *)slot[k] = 1;
		}
		r = (double)(now_ns() - t0) / (double)FP_ITERS;
		if (best == 0 || r < best)
			best = r;
	}
	for (k = 0; k < 16; k++)
		pool_cache_put(pc, slot[k]);
	nbm_cpu_exit();
	nbm_machine_shutdown(m);
	return best;
}

int
main(void)
{
	double par1, par2, det1, det2, det1b, det2b, i1, i2, d1, d2;
	double fp0, fpq, over;

	par1 = throughput(NBM_MODE_PARALLEL, 1, 1);
	par2 = throughput(NBM_MODE_PARALLEL, 2, 1);
	det1 = throughput(NBM_MODE_DETERMINISTIC, 1, 1);
	det2 = throughput(NBM_MODE_DETERMINISTIC, 2, 1);
	det1b = throughput(NBM_MODE_DETERMINISTIC, 1, 16);
	det2b = throughput(NBM_MODE_DETERMINISTIC, 2, 16);
	i1 = interrupt_rate(1, INTR_OFFER, &d1);
	i2 = interrupt_rate(2, INTR_OFFER, &d2);
	fp0 = fast_path(false);
	fpq = fast_path(true);
	over = (fpq - fp0) / fp0 * 100.0;

	printf("bench_workload: the workload engine and interrupt delivery\n\n");
	printf("%-52s %14s %14s\n", "measure", "figure", "target");
	printf("%-52s %14.0f %14s\n", "throughput, parallel, 1 CPU (alloc ops/s)",
	    par1, "-");
	printf("%-52s %14.0f %14s\n", "throughput, parallel, 2 CPUs (alloc ops/s)",
	    par2, "-");
	printf("%-52s %14.0f %14s\n",
	    "throughput, deterministic, 1 CPU (alloc ops/s)", det1,
	    ">= 5000000");
	printf("%-52s %14.0f %14s\n",
	    "throughput, deterministic, 2 CPUs (alloc ops/s)", det2,
	    ">= 5000000");
	printf("%-52s %14.0f %14s\n",
	    "  same, yield every 16 operations, 1 CPU", det1b, "-");
	printf("%-52s %14.0f %14s\n",
	    "  same, yield every 16 operations, 2 CPUs", det2b, "-");
	printf("%-52s %14.0f %14s\n", "interrupts/s per CPU, 1 CPU (alloc+free)",
	    i1, ">= 100000");
	printf("%-52s %14.0f %14s\n", "interrupts/s per CPU, 2 CPUs (alloc+free)",
	    i2, ">= 100000");
	printf("%-52s %14.2f %14s\n", "pool_cache get+put, no source (ns)", fp0,
	    "-");
	printf("%-52s %14.2f %14s\n", "pool_cache get+put, quiet source (ns)",
	    fpq, "-");
	printf("%-52s %13.1f%% %14s\n", "  added by the quiet source", over,
	    "< 10%");
	printf("\n(sources offered %.0f interrupts/s per CPU; handlers "
	    "allocated on %.0f%% and %.0f%% of arrivals)\n", INTR_OFFER,
	    d1 * 100, d2 * 100);
	return 0;
}
