/*
 * bench_extent: the cost of an extent_alloc + extent_free pair as the
 * number of live regions grows.
 *
 * An extent keeps its regions in one list sorted by address, and both the
 * allocation search and the free walk it: the default policy (least
 * trailing waste) visits every region, EX_FAST stops at the first gap that
 * fits, and extent_free walks up to the region it frees.  The cost is
 * therefore expected to grow linearly with the number of regions for best
 * fit, and much less for EX_FAST on a map whose low gaps are large enough.
 *
 * Each map holds N regions of random sizes (1..4096), built in descending
 * address order so that each extent_alloc_region finds its place at the
 * head of the list.  A timed pair allocates a random size (1..4096) and
 * frees it again, so the map is the same before and after every pair.
 * Two maps per N:
 *  - "mixed": gaps of 1..4096 units.  Best fit stops at the first gap of
 *    exactly the requested size, which comes after about 4096 gaps on
 *    average whatever N is, so its cost levels off once N passes that.
 *  - "wide": gaps of 4097..8192 units, so that no request fits exactly and
 *    best fit walks the whole list every time: the linear worst case.
 *    EX_FAST takes the first gap there, in constant time.
 * Fewer pairs are timed at larger N to keep the run short.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <nbmem/nbmem.h>

struct bench_size {
	u_long	bs_nregions;	/* live regions */
	u_long	bs_npairs;	/* timed alloc + free pairs */
};

static const struct bench_size bench_sizes[] = {
	{ 100,		200000 },
	{ 10000,	4000 },
	{ 1000000,	100 },
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static uint64_t
rnd(uint64_t *st)
{
	uint64_t z = (*st += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/*
 * populate: n regions with random sizes and gaps of mingap..mingap+4095,
 * inserted from the top down.  Returns the extent.
 */
static struct extent *
populate(u_long n, u_long mingap, uint64_t *st)
{
	struct extent *ex;
	u_long *start, *size, addr, i;

	start = malloc(n * sizeof(*start));
	size = malloc(n * sizeof(*size));
	if (start == NULL || size == NULL) {
		fprintf(stderr, "bench_extent: out of memory\n");
		exit(1);
	}
	addr = 0;
	for (i = 0; i < n; i++) {
		addr += mingap + rnd(st) % 4096;	/* gap */
		start[i] = addr;
		size[i] = 1 + rnd(st) % 4096;
		addr += size[i];
	}
	ex = extent_create("bench", 0, addr + (1UL << 20), NULL, 0, 0);
	if (ex == NULL) {
		fprintf(stderr, "bench_extent: extent_create failed\n");
		exit(1);
	}
	for (i = n; i-- > 0;) {
		if (extent_alloc_region(ex, start[i], size[i], 0) != 0) {
			fprintf(stderr, "bench_extent: populate failed\n");
			exit(1);
		}
	}
	free(start);
	free(size);
	return ex;
}

/* ns per alloc + free pair. */
static double
run_pairs(struct extent *ex, u_long npairs, int flags, uint64_t *st)
{
	uint64_t t0, t1;
	u_long i, sz, r;

	t0 = now_ns();
	for (i = 0; i < npairs; i++) {
		sz = 1 + rnd(st) % 4096;
		if (extent_alloc(ex, sz, EX_NOALIGN, EX_NOBOUNDARY, flags,
		    &r) != 0 || extent_free(ex, r, sz, 0) != 0) {
			fprintf(stderr, "bench_extent: pair %lu failed\n", i);
			exit(1);
		}
	}
	t1 = now_ns();
	return (double)(t1 - t0) / (double)npairs;
}

int
main(void)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct extent *ex;
	double mixed[3], wide[3], fast[3];
	uint64_t st = 1;
	size_t i;
	int error;

	nbm_config_init(&cfg);
	cfg.ncpu = 1;
	cfg.physmem = 64ULL << 20;
	if ((error = nbm_machine_boot(&cfg, &m)) != 0) {
		fprintf(stderr, "bench_extent: boot: %s\n", nbm_boot_error());
		return 1;
	}
	nbm_cpu_enter(m, 0);

	printf("extent_alloc + extent_free pairs on an extent with N live "
	    "regions\n");
	printf("(ns per pair, and the ratio to N = 100)\n");
	printf("%10s %8s %18s %18s %18s\n", "N", "pairs", "best fit, mixed",
	    "best fit, wide", "EX_FAST, wide");
	for (i = 0; i < sizeof(bench_sizes) / sizeof(bench_sizes[0]); i++) {
		const struct bench_size *bs = &bench_sizes[i];

		ex = populate(bs->bs_nregions, 1, &st);
		/* Warm up, then time. */
		(void)run_pairs(ex, bs->bs_npairs / 10 + 1, 0, &st);
		mixed[i] = run_pairs(ex, bs->bs_npairs, 0, &st);
		extent_destroy(ex);
		ex = populate(bs->bs_nregions, 4097, &st);
		(void)run_pairs(ex, bs->bs_npairs / 10 + 1, 0, &st);
		wide[i] = run_pairs(ex, bs->bs_npairs, 0, &st);
		fast[i] = run_pairs(ex, bs->bs_npairs, EX_FAST, &st);
		extent_destroy(ex);
		printf("%10lu %8lu %10.0f %7.1f %10.0f %7.1f %10.0f %7.1f\n",
		    bs->bs_nregions, bs->bs_npairs, mixed[i],
		    mixed[i] / mixed[0], wide[i], wide[i] / wide[0], fast[i],
		    fast[i] / fast[0]);
		fflush(stdout);
	}
	nbm_cpu_exit();
	nbm_machine_shutdown(m);
	return 0;
}
