/*
 * bench_vmem: the cost of a vmem_alloc + vmem_free pair as the number of
 * live segments grows (10^2, 10^4, 10^6), for VM_INSTANTFIT and VM_BESTFIT.
 *
 * The arena is a private one over a large integer range (quantum 4096, no
 * memory behind it).  It is prefilled with N live segments of random size
 * (1..64 quanta); the timed loop then allocates a segment of random size
 * and frees a live segment chosen at random, so that N stays constant and
 * the free segments fragment as they would under a real load.  Each case
 * runs a fixed number of pairs, or fewer if they take longer than its time
 * budget, after a warm-up of the same length.
 *
 * The arena's boundary tags come from the "vmembt" pool, whose pages are
 * simulated kernel memory (vmem-meta): 10^6 live segments and their free
 * neighbours take some 1.5 million tags of 64 bytes, so the machine gets
 * 512 MiB of RAM.  The last columns show how often the timed pairs went
 * to that pool (pool_get + pool_put per pair: the rest is served by the
 * arena's tag cache) and the pool's pages at the end of the case.
 *
 * Target: instant-fit with 10^6 live segments within 1.5x the cost at 10^2.
 * Output: one table line per case, the ratio to the 10^2 case of the same
 * strategy, and whether the target was met.  This is a benchmark, not a
 * test: it prints and exits 0 whatever the figures.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nbmem/nbmem.h>

#include "nbm_impl.h"

#define QUANTUM		4096
#define MAXQ		64		/* sizes 1..MAXQ quanta */
#define PAIRS		2000000		/* timed pairs per case, at most */
#define BUDGET_NS	2500000000ULL	/* time per case, at most */

struct live {
	vmem_addr_t	l_addr;
	vmem_size_t	l_size;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static vmem_size_t
rand_size(uint64_t *rs)
{

	return (1 + nbm_rand64(rs) % MAXQ) * QUANTUM;
}

/*
 * churn: n pairs (or until the budget runs out) of alloc-random-size and
 * free-random-live; returns the number of pairs done and their time.
 */
static uint64_t
churn(vmem_t *vm, struct live *lv, size_t nlive, vm_flag_t strat,
    uint64_t n, uint64_t *rs, uint64_t *elapsed)
{
	uint64_t i, t0 = now_ns(), t;
	vmem_addr_t a;
	vmem_size_t sz;
	size_t j;

	for (i = 0; i < n; i++) {
		sz = rand_size(rs);
		if (vmem_alloc(vm, sz, strat | VM_NOSLEEP, &a) != 0) {
			fprintf(stderr, "bench_vmem: vmem_alloc failed\n");
			exit(1);
		}
		j = (size_t)(nbm_rand64(rs) % nlive);
		vmem_free(vm, lv[j].l_addr, lv[j].l_size);
		lv[j].l_addr = a;
		lv[j].l_size = sz;
		if ((i & 1023) == 1023 && (t = now_ns()) - t0 > BUDGET_NS) {
			i++;
			break;
		}
	}
	*elapsed = now_ns() - t0;
	return i;
}

/* The vmembt pool's record (kern.pool). */
static struct pool_sysctl
btpool(struct nbm_machine *m)
{
	static struct pool_sysctl ps[256];
	size_t i, n;

	n = nbm_pool_sysctl(m, ps, __arraycount(ps));
	for (i = 0; i < n && i < __arraycount(ps); i++)
		if (strcmp(ps[i].pr_wchan, "vmembt") == 0)
			return ps[i];
	fprintf(stderr, "bench_vmem: no vmembt pool\n");
	exit(1);
}

static double
run_case(struct nbm_machine *m, vm_flag_t strat, size_t nlive,
    struct nbm_vmem_stat *st, double *poolops, uint64_t *btpages)
{
	struct pool_sysctl bt0, bt1;
	uint64_t rs = 0x5eed0000 + nlive, pairs, ns;
	struct live *lv;
	vmem_t *vm;
	size_t i;

	lv = calloc(nlive, sizeof(*lv));
	vm = vmem_create("bench", (vmem_addr_t)1 << 32, (vmem_size_t)1 << 46,
	    QUANTUM, NULL, NULL, NULL, 0, VM_SLEEP, IPL_NONE);
	if (lv == NULL || vm == NULL) {
		fprintf(stderr, "bench_vmem: out of memory\n");
		exit(1);
	}
	for (i = 0; i < nlive; i++) {
		lv[i].l_size = rand_size(&rs);
		if (vmem_alloc(vm, lv[i].l_size, strat | VM_NOSLEEP,
		    &lv[i].l_addr) != 0) {
			fprintf(stderr, "bench_vmem: prefill failed\n");
			exit(1);
		}
	}
	/* Warm-up: let the free segments reach their steady state. */
	pairs = churn(vm, lv, nlive, strat, PAIRS, &rs, &ns);
	bt0 = btpool(m);
	pairs = churn(vm, lv, nlive, strat, pairs, &rs, &ns);
	bt1 = btpool(m);
	*poolops = (double)(bt1.pr_nget - bt0.pr_nget + bt1.pr_nput -
	    bt0.pr_nput) / (double)pairs;
	*btpages = bt1.pr_npages;
	nbm_vmem_getstat(vm, st);
	for (i = 0; i < nlive; i++)
		vmem_free(vm, lv[i].l_addr, lv[i].l_size);
	vmem_destroy(vm);
	free(lv);
	return (double)ns / (double)pairs;
}

int
main(void)
{
	static const size_t nlives[] = { 100, 10000, 1000000 };
	static const struct {
		const char	*name;
		vm_flag_t	 flag;
	} strats[] = {
		{ "instant-fit", VM_INSTANTFIT },
		{ "best-fit", VM_BESTFIT },
	};
	struct nbm_vmem_stat st;
	struct nbm_machine *m;
	struct nbm_config cfg;
	double ns[2][3], poolops;
	uint64_t btpages;
	size_t s, n;
	int error;

	nbm_config_init(&cfg);
	cfg.ncpu = 1;
	cfg.physmem = 512ULL << 20;
	if ((error = nbm_machine_boot(&cfg, &m)) != 0) {
		fprintf(stderr, "bench_vmem: boot: %s\n", nbm_boot_error());
		return 1;
	}
	nbm_cpu_enter(m, 0);

	printf("vmem_alloc + vmem_free pairs: sizes 1..%d quanta of %d, a "
	    "random live segment freed\n", MAXQ, QUANTUM);
	printf("%-12s %8s %9s %7s %8s %10s %10s %9s\n", "strategy", "live",
	    "ns/pair", "ratio", "hash", "free segs", "tagpool/p", "tagpages");
	for (s = 0; s < __arraycount(strats); s++) {
		for (n = 0; n < __arraycount(nlives); n++) {
			ns[s][n] = run_case(m, strats[s].flag, nlives[n], &st,
			    &poolops, &btpages);
			printf("%-12s %8zu %9.1f %7.2f %8" PRIu64 " %10" PRIu64
			    " %10.3f %9" PRIu64 "\n", strats[s].name,
			    nlives[n], ns[s][n], ns[s][n] / ns[s][0],
			    st.vs_hashsize, st.vs_nsegs_free, poolops,
			    btpages);
			fflush(stdout);
		}
	}
	printf("target: instant-fit at 10^6 live within 1.5x of 10^2: %s "
	    "(%.2fx)\n", ns[0][2] <= 1.5 * ns[0][0] ? "met" : "NOT met",
	    ns[0][2] / ns[0][0]);

	nbm_cpu_exit();
	nbm_machine_shutdown(m);
	return 0;
}
