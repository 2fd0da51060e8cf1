/*
 * bench_peers.h: the allocators nbmem's benchmarks are measured against,
 * side by side in the same run.
 *
 * glibc's malloc/free is always there.  jemalloc, mimalloc and tcmalloc
 * are loaded with dlopen(RTLD_LOCAL) when their Debian packages are
 * installed (libjemalloc2, libmimalloc2.0, libtcmalloc-minimal4 or
 * libgoogle-perftools4); each is reached through its own symbols, so the
 * process's malloc stays glibc's.  A peer that is not installed is listed
 * as absent, not faked.
 *
 * Debian's libjemalloc.so.2 is built with initial-exec TLS (DF_STATIC_TLS,
 * about 2.6 KiB of it), which dlopen can only place in the static TLS
 * surplus that glibc reserves at startup (512 bytes by default): it fails
 * with "cannot allocate memory in static TLS block".  The surplus is a
 * startup tunable, so bench_peers_load() then runs the program again with
 * GLIBC_TUNABLES=glibc.rtld.optional_static_tls set, once.
 *
 * bench_peer_pair_ns() times malloc+free pairs of one size, on one thread
 * or on several threads at once (each pinned to nothing: the host
 * scheduler places them), and returns ns per pair per thread.
 */
#ifndef BENCH_PEERS_H
#define BENCH_PEERS_H

#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bench_peer {
	const char	*bp_name;		/* "glibc", "jemalloc", ... */
	const char	*bp_libs[3];		/* sonames to try */
	const char	*bp_malloc;		/* symbol names */
	const char	*bp_free;
	void		*(*bp_mallocfn)(size_t);
	void		(*bp_freefn)(void *);
	void		*bp_handle;
	int		 bp_present;
};

static struct bench_peer bench_peers[] = {
	{ "glibc", { NULL }, "malloc", "free", NULL, NULL, NULL, 0 },
	{ "jemalloc", { "libjemalloc.so.2", NULL }, "malloc", "free",
	    NULL, NULL, NULL, 0 },
	{ "mimalloc", { "libmimalloc.so.2", "libmimalloc.so", NULL },
	    "mi_malloc", "mi_free", NULL, NULL, NULL, 0 },
	{ "tcmalloc", { "libtcmalloc_minimal.so.4", "libtcmalloc.so.4", NULL },
	    "tc_malloc", "tc_free", NULL, NULL, NULL, 0 },
};
#define BENCH_NPEERS	(sizeof(bench_peers) / sizeof(bench_peers[0]))

static inline uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

#define BENCH_STATIC_TLS	"glibc.rtld.optional_static_tls"

/*
 * bench_static_tls_reexec: run the program (argv) again with a static TLS
 * surplus large enough for a library built with initial-exec TLS, unless
 * this run already has one; returns only if it does not re-execute.
 */
static void
bench_static_tls_reexec(char **argv)
{
	const char *old = getenv("GLIBC_TUNABLES");
	char buf[1024];

	if (old != NULL && strstr(old, BENCH_STATIC_TLS) != NULL)
		return;
	snprintf(buf, sizeof(buf), "%s%s" BENCH_STATIC_TLS "=16384",
	    old != NULL ? old : "", old != NULL ? ":" : "");
	if (setenv("GLIBC_TUNABLES", buf, 1) != 0)
		return;
	fflush(stdout);
	execv("/proc/self/exe", argv);
}

static void
bench_peers_load(char **argv)
{
	struct bench_peer *bp;
	const char *err;
	size_t i, j;

	for (i = 0; i < BENCH_NPEERS; i++) {
		bp = &bench_peers[i];
		if (bp->bp_libs[0] == NULL) {
			bp->bp_mallocfn = malloc;
			bp->bp_freefn = free;
			bp->bp_present = 1;
			continue;
		}
		for (j = 0; bp->bp_libs[j] != NULL && bp->bp_handle == NULL;
		    j++) {
			bp->bp_handle = dlopen(bp->bp_libs[j],
			    RTLD_NOW | RTLD_LOCAL);
			if (bp->bp_handle == NULL &&
			    (err = dlerror()) != NULL &&
			    strstr(err, "static TLS") != NULL)
				bench_static_tls_reexec(argv);
		}
		if (bp->bp_handle == NULL)
			continue;
		*(void **)&bp->bp_mallocfn = dlsym(bp->bp_handle,
		    bp->bp_malloc);
		*(void **)&bp->bp_freefn = dlsym(bp->bp_handle, bp->bp_free);
		bp->bp_present = bp->bp_mallocfn != NULL &&
		    bp->bp_freefn != NULL;
	}
}

struct bench_peer_arg {
	struct bench_peer	*pa_peer;
	size_t			 pa_size;
	uint64_t		 pa_iters;
	pthread_barrier_t	*pa_barrier;
	uint64_t		 pa_ns;
};

/*
 * The loop keeps a small working set live, as a kernel does, so that the
 * pair is not a single recycled block: 16 slots, each freed and
 * allocated again in turn.
 */
static void *
bench_peer_thread(void *argp)
{
	struct bench_peer_arg *a = argp;
	struct bench_peer *bp = a->pa_peer;
	void *slot[16];
	uint64_t i, t0;
	size_t k;

	for (k = 0; k < 16; k++)
		slot[k] = bp->bp_mallocfn(a->pa_size);
	pthread_barrier_wait(a->pa_barrier);
	t0 = bench_now_ns();
	for (i = 0; i < a->pa_iters; i++) {
		k = i & 15;
		bp->bp_freefn(slot[k]);
		slot[k] = bp->bp_mallocfn(a->pa_size);
		*(volatile char *)slot[k] = (char)i;
	}
	a->pa_ns = bench_now_ns() - t0;
	for (k = 0; k < 16; k++)
		bp->bp_freefn(slot[k]);
	return NULL;
}

/* ns per malloc+free pair, per thread, with nthreads threads at once. */
static double
bench_peer_pair_ns(struct bench_peer *bp, size_t size, unsigned nthreads,
    uint64_t iters)
{
	struct bench_peer_arg args[8];
	pthread_t t[8];
	pthread_barrier_t barrier;
	uint64_t total = 0;
	unsigned i;

	if (nthreads > 8)
		nthreads = 8;
	pthread_barrier_init(&barrier, NULL, nthreads);
	for (i = 0; i < nthreads; i++) {
		args[i] = (struct bench_peer_arg){ bp, size, iters, &barrier,
		    0 };
		pthread_create(&t[i], NULL, bench_peer_thread, &args[i]);
	}
	for (i = 0; i < nthreads; i++) {
		pthread_join(t[i], NULL);
		total += args[i].pa_ns;
	}
	pthread_barrier_destroy(&barrier);
	return (double)total / nthreads / (double)iters;
}

#endif /* BENCH_PEERS_H */
