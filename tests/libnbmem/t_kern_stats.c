/*
 * t_kern_stats: statistics snapshots (kern_stats.c) and the observer
 * context they are taken in (nbm_machine_observe, kern_machine.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"
#include "nbm_impl.h"

static const struct nbm_vmem_stats *
find_arena(const struct nbm_stats *st, const char *name)
{
	size_t i;

	for (i = 0; i < st->st_nvmem; i++)
		if (strcmp(st->st_vmem[i].vs_name, name) == 0)
			return &st->st_vmem[i];
	return NULL;
}

/* The bytes of the pool pages of kva's quantum caches ("kva-<size>"). */
static uint64_t
kva_qcache_bytes(const struct nbm_stats *st)
{
	uint64_t bytes = 0;
	size_t i;

	for (i = 0; i < st->st_npools; i++)
		if (strncmp(st->st_pools[i].pr_wchan, "kva-", 4) == 0)
			bytes += st->st_pools[i].pr_npages *
			    st->st_pools[i].pr_pagesize;
	return bytes;
}

static void
check_snapshot(const struct nbm_stats *st)
{
	const struct nbm_machine_stats *ms = &st->st_machine;
	size_t i;

	ATF_CHECK_EQ(st->st_size, sizeof(*st));
	ATF_CHECK_EQ(st->st_version, NBM_STATS_VERSION);
	ATF_CHECK_EQ(ms->ms_free + ms->ms_wired + ms->ms_pageable,
	    ms->ms_npages);
	ATF_CHECK_EQ(ms->ms_wired, ms->ms_kmempages + ms->ms_kmapwired +
	    (ms->ms_wired - ms->ms_kmempages - ms->ms_kmapwired));
	for (i = 0; i < st->st_nvmem; i++) {
		const struct nbm_vmem_stats *vs = &st->st_vmem[i];

		ATF_CHECK(vs->vs_inuse <= vs->vs_size);
		ATF_CHECK_EQ(vs->vs_free, vs->vs_size - vs->vs_inuse);
	}
	ATF_CHECK(find_arena(st, "kmem") != NULL);
	ATF_CHECK(find_arena(st, "kva") != NULL);
	ATF_CHECK(find_arena(st, "vmem-va") != NULL);
	ATF_CHECK(find_arena(st, "vmem-meta") != NULL);
	ATF_REQUIRE_EQ(st->st_nextent, 2);
	for (i = 0; i < st->st_nextent; i++) {
		const struct nbm_extent_stats *es = &st->st_extent[i];

		ATF_CHECK_EQ(es->es_flags, 0x3);	/* FIXED, NOCOALESCE */
		ATF_CHECK(es->es_nregions > 0);
		ATF_CHECK(es->es_allocated + es->es_largest_free <=
		    es->es_end - es->es_start + 1);
		if (strcmp(es->es_name, "ioport") == 0) {
			ATF_CHECK_EQ(es->es_end, 0xffff);
			/* the default legacy port reservations */
			ATF_CHECK_EQ(es->es_nregions, 11);
		} else {
			ATF_CHECK_STREQ(es->es_name, "iomem");
			ATF_CHECK_EQ(es->es_end, 0xffffffffffffULL);
		}
	}
}

ATF_TC_WITHOUT_HEAD(snapshot_on_cpu);
ATF_TC_BODY(snapshot_on_cpu, tc)
{
	struct nbm_machine *m = h_boot_enter();
	struct nbm_stats *st;
	vmem_addr_t a;

	/* Above kva's quantum caches (16 pages): a segment of its own. */
	ATF_REQUIRE_EQ(uvm_km_kmem_alloc(kmem_va_arena, 32 * PAGE_SIZE,
	    VM_SLEEP | VM_INSTANTFIT, &a), 0);
	ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
	check_snapshot(st);
	ATF_CHECK_EQ(find_arena(st, "kva")->vs_inuse, 32 * PAGE_SIZE);
	ATF_CHECK_EQ(st->st_machine.ms_ncpu, 2);
	ATF_CHECK_EQ(st->st_machine.ms_pagesize, 4096);
	ATF_CHECK(st->st_machine.ms_kmempages >= 32);
	nbm_stats_free(st);
	uvm_km_kmem_free(kmem_va_arena, a, 32 * PAGE_SIZE);
	h_shutdown(m);
}

/* Threads allocate and free while another host thread takes snapshots. */
static void
churn(void *arg)
{
	vmem_addr_t a[16];
	int i, j;

	for (i = 0; i < 300; i++) {
		for (j = 0; j < 16; j++)
			if (uvm_km_kmem_alloc(kmem_va_arena, (size_t)(j % 4 + 2) *
			    PAGE_SIZE, VM_SLEEP | VM_INSTANTFIT, &a[j]) != 0)
				panic("churn: allocation failed");
		for (j = 0; j < 16; j++)
			uvm_km_kmem_free(kmem_va_arena, a[j],
			    (size_t)(j % 4 + 2) * PAGE_SIZE);
		yield();
	}
}

struct snapper {
	struct nbm_machine *m;
	_Atomic int stop;
	int n;
	int bad;
};

static void *
snapper_main(void *arg)
{
	struct snapper *s = arg;
	struct nbm_stats *st;

	while (!atomic_load(&s->stop)) {
		if (nbm_stats_snapshot(s->m, &st) != 0) {
			s->bad++;
			continue;
		}
		if (st->st_machine.ms_free + st->st_machine.ms_wired +
		    st->st_machine.ms_pageable > st->st_machine.ms_npages + 64)
			s->bad++;
		nbm_stats_free(st);
		s->n++;
	}
	return NULL;
}

ATF_TC_WITHOUT_HEAD(snapshot_while_running);
ATF_TC_BODY(snapshot_while_running, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct snapper s;
	struct nbm_stats *st;
	pthread_t t;

	h_config(&cfg);
	m = h_boot(&cfg);
	memset(&s, 0, sizeof(s));
	s.m = m;
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 0, "churn0", churn, NULL, NULL), 0);
	ATF_REQUIRE_EQ(nbm_lwp_create(m, 1, "churn1", churn, NULL, NULL), 0);
	pthread_create(&t, NULL, snapper_main, &s);
	ATF_REQUIRE_EQ(nbm_machine_run(m, 0), 0);
	atomic_store(&s.stop, 1);
	pthread_join(t, NULL);
	ATF_CHECK(s.n > 0);
	ATF_CHECK_EQ(s.bad, 0);
	ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
	check_snapshot(st);
	/* All freed: what kva still counts are its quantum caches' pages. */
	ATF_CHECK_EQ(find_arena(st, "kva")->vs_inuse, kva_qcache_bytes(st));
	nbm_stats_free(st);
	nbm_machine_shutdown(m);
}

static void
observe_panic(void *arg)
{

	panic("observed %s", "panic");
}

ATF_TC_WITHOUT_HEAD(observer_rules);
ATF_TC_BODY(observer_rules, tc)
{
	struct nbm_config cfg;
	struct nbm_machine *m, *m2;
	struct nbm_stats *st;

	h_config(&cfg);
	m = h_boot(&cfg);
	m2 = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_cpu_enter(m2, 0), 0);
	ATF_CHECK_EQ(nbm_machine_observe(m, observe_panic, NULL), EALREADY);
	nbm_cpu_exit();
	ATF_CHECK_EQ(nbm_machine_observe(m, observe_panic, NULL),
	    ENOTRECOVERABLE);
	ATF_CHECK_STREQ(h_panicmsg(), "observed panic");
	ATF_CHECK_EQ(nbm_stats_snapshot(m, &st), ENXIO);
	ATF_CHECK(nbm_curmachine() == NULL);
	nbm_machine_shutdown(m);
	nbm_machine_shutdown(m2);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, snapshot_on_cpu);
	ATF_TP_ADD_TC(tp, snapshot_while_running);
	ATF_TP_ADD_TC(tp, observer_rules);
	return atf_no_error();
}
