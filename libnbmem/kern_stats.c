/*
 * kern_stats.c: statistics snapshots of a running machine.
 *
 * nbm_stats_snapshot() copies every statistic of the machine into host
 * memory: the machine counters, one record per vmem arena, per pool
 * (kern.pool), per pool cache and CPU, and per extent.  Each record is read
 * at one instant under its object's own lock, the way sysctl kern.pool and
 * DDB read them, so the CPUs are never stopped; records of different
 * objects are not from the same instant.  Layers that a program does not
 * link (or that a machine has not booted) simply contribute no records.
 */
#include <stdio.h>
#include <stdlib.h>

#include "nbm_impl.h"

#include <nbmem/extent.h>
#include <nbmem/vmem_impl.h>

/* Collectors of the layers above vmem; weak until those are linked. */
size_t	nbm_pool_sysctl(struct nbm_machine *, struct pool_sysctl *, size_t)
	    __attribute__((__weak__));
size_t	nbm_pool_cachecpu(struct nbm_machine *, struct nbm_cachecpu_stats *,
	    size_t) __attribute__((__weak__));

struct vmem_collect {
	struct nbm_vmem_stats	*vc_buf;
	size_t			 vc_n;
	size_t			 vc_cap;
};

static void
vmem_collect_one(vmem_t *vm, void *arg)
{
	struct vmem_collect *vc = arg;
	struct nbm_vmem_stats *vs;
	struct nbm_vmem_stat st;
	size_t i;

	if (vc->vc_n == vc->vc_cap)
		return;
	nbm_vmem_getstat(vm, &st);
	vs = &vc->vc_buf[vc->vc_n++];
	memset(vs, 0, sizeof(*vs));
	snprintf(vs->vs_name, sizeof(vs->vs_name), "%s", st.vs_name);
	vs->vs_quantum = st.vs_quantum;
	vs->vs_qcache_max = st.vs_qcache_max;
	vs->vs_size = st.vs_size;
	vs->vs_inuse = st.vs_inuse;
	vs->vs_free = st.vs_size - st.vs_inuse;
	vs->vs_nbusytag = st.vs_nbusytag;
	vs->vs_maxbusytag = st.vs_maxbusytag;
	vs->vs_nfreetags = st.vs_nfreetags;
	vs->vs_nspans = st.vs_nspans;
	vs->vs_nimported = st.vs_nimported;
	vs->vs_nsegs_free = st.vs_nsegs_free;
	vs->vs_largest_free = st.vs_largest_free;
	for (i = 0; i < NBM_STAT_VEC_LEN && i < VMEM_MAXORDER; i++)
		vs->vs_freelist[i] = st.vs_freelist[i];
}

struct extent_collect {
	struct nbm_extent_stats	*ec_buf;
	size_t			 ec_n;
	size_t			 ec_cap;
};

/*
 * extent_collect_one: one extent's record, read under its lock: regions,
 * the amount allocated and the largest gap between them.
 */
static void
extent_collect_one(struct extent *ex, void *arg)
{
	struct extent_collect *ec = arg;
	struct nbm_extent_stats *es;
	struct extent_region *rp;
	u_long next, gap, largest = 0;
	uint64_t alloc = 0, n = 0;
	bool locked = (ex->ex_flags & EXF_EARLY) == 0;

	if (ec->ec_n++ >= ec->ec_cap)
		return;
	es = &ec->ec_buf[ec->ec_n - 1];
	memset(es, 0, sizeof(*es));
	snprintf(es->es_name, sizeof(es->es_name), "%s", ex->ex_name);
	if (locked)
		mutex_enter(&ex->ex_lock);
	next = ex->ex_start;
	LIST_FOREACH(rp, &ex->ex_regions, er_link) {
		gap = rp->er_start - next;
		if (rp->er_start > next && gap > largest)
			largest = gap;
		alloc += rp->er_end - rp->er_start + 1;
		n++;
		next = rp->er_end + 1;
	}
	if (next != 0 && next <= ex->ex_end && ex->ex_end - next + 1 > largest)
		largest = ex->ex_end - next + 1;
	es->es_start = ex->ex_start;
	es->es_end = ex->ex_end;
	es->es_flags = (uint64_t)ex->ex_flags;
	es->es_nregions = n;
	es->es_allocated = alloc;
	es->es_largest_free = largest;
	if (locked)
		mutex_exit(&ex->ex_lock);
}

static void
vmem_count_one(vmem_t *vm, void *arg)
{

	(*(size_t *)arg)++;
}

static void
machine_collect(struct nbm_machine *m, struct nbm_machine_stats *ms)
{
	struct nbm_uvmexp ux;
	u_int c;

	nbm_machine_uvmexp(m, &ux);
	memset(ms, 0, sizeof(*ms));
	ms->ms_ncpu = m->m_ncpu;
	ms->ms_pagesize = ux.pagesize;
	ms->ms_npages = ux.npages;
	ms->ms_free = ux.free;
	ms->ms_wired = ux.wired;
	ms->ms_kmempages = ux.kmempages;
	ms->ms_kmapwired = ux.kmapwired;
	ms->ms_pageable = ux.pageable;
	ms->ms_freemin = ux.freemin;
	ms->ms_freetarg = ux.freetarg;
	ms->ms_pdwoke = ux.pdwoke;
	ms->ms_pdfreed = ux.pdfreed;
	ms->ms_faults = ux.faults;
	ms->ms_uptime_ns = nbm_uptime_ns(m);
	for (c = 0; c < m->m_ncpu; c++)
		ms->ms_interrupts += __atomic_load_n(&m->m_cpus[c]->ci_nintr,
		    __ATOMIC_RELAXED);
}

/*
 * collect: fill an array of records with fn, growing it until the count
 * fits (objects may be created while we look).
 */
static int
collect(struct nbm_machine *m, size_t recsize,
    size_t (*fn)(struct nbm_machine *, void *, size_t), void **bufp,
    size_t *np)
{
	size_t cap = 64, n;
	void *buf = NULL, *nb;

	for (;;) {
		if ((nb = realloc(buf, cap * recsize)) == NULL) {
			free(buf);
			return ENOMEM;
		}
		buf = nb;
		n = fn(m, buf, cap);
		if (n <= cap)
			break;
		cap = n + 16;
	}
	*bufp = buf;
	*np = n;
	return 0;
}

static size_t
pools_fn(struct nbm_machine *m, void *buf, size_t cap)
{

	return nbm_pool_sysctl(m, buf, cap);
}

static size_t
cachecpu_fn(struct nbm_machine *m, void *buf, size_t cap)
{

	return nbm_pool_cachecpu(m, buf, cap);
}

static size_t
extent_fn(struct nbm_machine *m, void *buf, size_t cap)
{
	struct extent_collect ec = { buf, 0, cap };

	nbm_extent_foreach(m, extent_collect_one, &ec);
	return ec.ec_n;
}

static size_t
vmem_fn(struct nbm_machine *m, void *buf, size_t cap)
{
	struct vmem_collect vc = { buf, 0, cap };
	size_t n = 0;

	nbm_vmem_foreach(m, vmem_count_one, &n);
	if (n > cap)
		return n;
	nbm_vmem_foreach(m, vmem_collect_one, &vc);
	return vc.vc_n;
}

struct snapshot_arg {
	struct nbm_machine	*sa_machine;
	struct nbm_stats	*sa_stats;
	int			 sa_error;
};

static void
snapshot_collect(void *argp)
{
	struct snapshot_arg *sa = argp;
	struct nbm_machine *m = sa->sa_machine;
	struct nbm_stats *st = sa->sa_stats;
	int error;

	machine_collect(m, &st->st_machine);
	error = collect(m, sizeof(struct nbm_vmem_stats), vmem_fn,
	    (void **)&st->st_vmem, &st->st_nvmem);
	if (error == 0 && nbm_pool_sysctl != NULL)
		error = collect(m, sizeof(struct pool_sysctl), pools_fn,
		    (void **)&st->st_pools, &st->st_npools);
	if (error == 0 && nbm_pool_cachecpu != NULL)
		error = collect(m, sizeof(struct nbm_cachecpu_stats),
		    cachecpu_fn, (void **)&st->st_cachecpu, &st->st_ncachecpu);
	if (error == 0)
		error = collect(m, sizeof(struct nbm_extent_stats), extent_fn,
		    (void **)&st->st_extent, &st->st_nextent);
	sa->sa_error = error;
}

/*
 * nbm_stats_snapshot: the calling thread may be on a CPU of m or on none;
 * in the latter case it reads as an observer (nbm_machine_observe), so a
 * snapshot can be taken while the machine's CPUs run.
 */
int
nbm_stats_snapshot(struct nbm_machine *m, struct nbm_stats **sp)
{
	struct snapshot_arg sa;
	struct nbm_stats *st;
	int error = 0;

	if (atomic_load(&m->m_dead))
		return ENXIO;
	if ((st = calloc(1, sizeof(*st))) == NULL)
		return ENOMEM;
	st->st_size = sizeof(*st);
	st->st_version = NBM_STATS_VERSION;
	sa.sa_machine = m;
	sa.sa_stats = st;
	sa.sa_error = 0;
	error = nbm_machine_observe(m, snapshot_collect, &sa);
	if (error == 0)
		error = sa.sa_error;
	if (error != 0) {
		nbm_stats_free(st);
		return error;
	}
	*sp = st;
	return 0;
}

void
nbm_stats_free(struct nbm_stats *st)
{

	if (st == NULL)
		return;
	free(st->st_pools);
	free(st->st_cachecpu);
	free(st->st_vmem);
	free(st->st_extent);
	free(st);
}
