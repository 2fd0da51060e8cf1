/*
 * bench_pool: the cost of a get + put pair through pool_cache(9) and
 * through pool(9), at 16, 64, 256, 1024 and 4096 bytes, on one simulated
 * CPU and on two (two host threads, each on its own CPU, sharing the
 * pool or cache), beside the host allocators of bench_peers.h in the same
 * run.
 *
 * Each thread keeps 16 objects live and, in turn, frees one and gets a
 * new one, touching it, as bench_peers.h does for malloc/free: a pair is
 * never a single block recycled in place.  Expected shape: the cache pair
 * is a handful of instructions on the CPU's own groups and does not care
 * how many CPUs run; the pool pair takes the pool's lock (a spin mutex at
 * IPL_VM here) and walks the page lists, and two CPUs contend for that
 * lock.  Numbers are ns per pair per thread, wall clock, after a warm-up
 * that fills the pages and groups.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nbmem/nbmem.h>

#include "bench_peers.h"

#define NSLOT		16
#define ITERS		2000000ULL
#define MAXTHREADS	2

static const size_t sizes[] = { 16, 64, 256, 1024, 4096 };

enum layer { L_CACHE, L_POOL, L_KMEM };

struct run {
	struct nbm_machine *r_m;
	enum layer	r_layer;
	pool_cache_t	r_pc;
	struct pool	*r_pp;
	size_t		r_size;
	u_int		r_cpu;
	uint64_t	r_iters;
	pthread_barrier_t *r_barrier;
	uint64_t	r_ns;
};

static inline void *
get(struct run *r)
{

	switch (r->r_layer) {
	case L_CACHE:
		return pool_cache_get(r->r_pc, PR_NOWAIT);
	case L_KMEM:
		return kmem_alloc(r->r_size, KM_NOSLEEP);
	default:
		return pool_get(r->r_pp, PR_NOWAIT);
	}
}

static inline void
put(struct run *r, void *v)
{

	switch (r->r_layer) {
	case L_CACHE:
		pool_cache_put(r->r_pc, v);
		break;
	case L_KMEM:
		kmem_free(v, r->r_size);
		break;
	default:
		pool_put(r->r_pp, v);
		break;
	}
}

static void *
run_thread(void *arg)
{
	struct run *r = arg;
	void *slot[NSLOT];
	uint64_t i, t0;
	size_t k;

	if (nbm_cpu_enter(r->r_m, r->r_cpu) != 0) {
		fprintf(stderr, "bench_pool: cannot enter cpu%u\n", r->r_cpu);
		exit(1);
	}
	/* Warm up: pages and groups in place, then the live set. */
	for (i = 0; i < 4 * NSLOT; i++)
		put(r, get(r));
	for (k = 0; k < NSLOT; k++)
		slot[k] = get(r);
	pthread_barrier_wait(r->r_barrier);
	t0 = bench_now_ns();
	for (i = 0; i < r->r_iters; i++) {
		k = i & (NSLOT - 1);
		put(r, slot[k]);
		slot[k] = get(r);
		*(volatile char *)slot[k] = (char)i;
	}
	r->r_ns = bench_now_ns() - t0;
	for (k = 0; k < NSLOT; k++)
		put(r, slot[k]);
	nbm_cpu_exit();
	return NULL;
}

/* ns per pair per thread, with nthreads threads on CPUs 0..nthreads-1. */
static double
measure(struct nbm_machine *m, enum layer layer, size_t size,
    unsigned nthreads)
{
	struct run runs[MAXTHREADS];
	pthread_t t[MAXTHREADS];
	pthread_barrier_t barrier;
	struct pool pool;
	pool_cache_t pc = NULL;
	uint64_t total = 0;
	unsigned i;

	nbm_cpu_enter(m, 0);
	if (layer == L_CACHE)
		pc = pool_cache_init(size, 0, 0, 0, "bench", NULL, IPL_VM,
		    NULL, NULL, NULL);
	else if (layer == L_POOL)
		pool_init(&pool, size, 0, 0, 0, "bench", NULL, IPL_VM);
	nbm_cpu_exit();

	pthread_barrier_init(&barrier, NULL, nthreads);
	for (i = 0; i < nthreads; i++) {
		runs[i] = (struct run){ m, layer, pc, &pool, size, i, ITERS,
		    &barrier, 0 };
		pthread_create(&t[i], NULL, run_thread, &runs[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		total += runs[i].r_ns;
	}
	pthread_barrier_destroy(&barrier);

	nbm_cpu_enter(m, 0);
	if (layer == L_CACHE)
		pool_cache_destroy(pc);
	else if (layer == L_POOL)
		pool_destroy(&pool);
	nbm_cpu_exit();
	return (double)total / nthreads / (double)ITERS;
}

int
main(int argc, char **argv)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	unsigned nthreads;
	size_t i, p;
	int error;

	bench_peers_load(argv);
	nbm_config_init(&cfg);
	cfg.ncpu = MAXTHREADS;
	if ((error = nbm_machine_boot(&cfg, &m)) != 0) {
		fprintf(stderr, "bench_pool: boot: %s\n", nbm_boot_error());
		return 1;
	}

	printf("bench_pool: ns per get+put pair (malloc+free for the host "
	    "allocators), per thread;\n%d live objects per thread, %llu "
	    "pairs; pool and cache at IPL_VM, %zu-byte pages,\n"
	    "no debug options; N threads = N simulated CPUs on N host "
	    "threads sharing one pool or cache\n\n", NSLOT,
	    (unsigned long long)ITERS, cfg.page_size);
	printf("%5s %3s %10s %8s %8s", "size", "thr", "pool_cache", "pool",
	    "kmem");
	for (p = 0; p < BENCH_NPEERS; p++)
		printf(" %9s", bench_peers[p].bp_name);
	printf(" %7s %7s\n", "c/glibc", "c/best");
	for (nthreads = 1; nthreads <= MAXTHREADS; nthreads++) {
		for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			double c, best = 0, glibc = 0, v;

			c = measure(m, L_CACHE, sizes[i], nthreads);
			printf("%5zu %3u %10.1f %8.1f %8.1f", sizes[i],
			    nthreads, c, measure(m, L_POOL, sizes[i], nthreads),
			    measure(m, L_KMEM, sizes[i], nthreads));
			for (p = 0; p < BENCH_NPEERS; p++) {
				if (!bench_peers[p].bp_present) {
					printf(" %9s", "-");
					continue;
				}
				v = bench_peer_pair_ns(&bench_peers[p],
				    sizes[i], nthreads, ITERS);
				printf(" %9.1f", v);
				if (p == 0)
					glibc = v;
				if (best == 0 || v < best)
					best = v;
			}
			printf(" %7.2f %7.2f\n", c / glibc, c / best);
			fflush(stdout);
		}
	}
	printf("\ntargets: the pool_cache pair no slower than the fastest "
	    "peer up to 1 KiB on 1 CPU\n(c/best <= 1.00); kmem within 1.5x "
	    "of it; 2 CPUs give 1.8x the 1-CPU throughput\n(2-CPU ns per "
	    "pair per thread at most 1.11x the 1-CPU figure).\n");
	printf("\n(- : not installed)\n");
	nbm_machine_shutdown(m);
	return 0;
}
