/*
 * t_workload_builtin: the built-in workloads (workload_builtin.c) -- names
 * and parameters, every built-in to completion on 1, 2 and 8 CPUs with
 * 4 KiB and 16 KiB pages in both modes, and what hardlimit, pressure and
 * netbsd-boot are about.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"

#include <nbmem/pool.h>
#include <nbmem/workload.h>

#define __arraycount(a)	(sizeof(a) / sizeof((a)[0]))

static void
config(struct nbm_config *cfg, int mode, u_int ncpu, size_t pagesz)
{

	h_config(cfg);
	cfg->mode = mode;
	cfg->ncpu = ncpu;
	cfg->page_size = pagesz;
	cfg->seed = 31;
}

/* Run built-in name on a machine of cfg to its end; the last progress. */
static void
run_builtin(const struct nbm_config *cfg, const char *name,
    const char *params, struct nbm_machine **mp,
    struct nbm_workload_progress *wp)
{
	static struct nbm_workload wl;
	struct nbm_machine *m;
	struct nbm_wlrun *w;
	char err[256];

	m = h_boot(cfg);
	ATF_REQUIRE_EQ_MSG(nbm_workload_builtin(name, params, cfg, &wl, err,
	    sizeof(err)), 0, "%s: %s", name, err);
	ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), 0, "%s: %s", name, err);
	ATF_REQUIRE_EQ_MSG(nbm_machine_run(m, 0), 0, "%s on %u CPUs, %zu-byte "
	    "pages, mode %d: %s", name, cfg->ncpu, cfg->page_size, cfg->mode,
	    h_panicmsg());
	ATF_REQUIRE_EQ(nbm_workload_finish(w, wp), 0);
	ATF_CHECK_EQ(wp->wp_state, NBM_WLST_DONE);
	ATF_CHECK_EQ_MSG(wp->wp_live, 0, "%s: %ju objects left", name,
	    (uintmax_t)wp->wp_live);
	ATF_CHECK_EQ(wp->wp_allocs, wp->wp_frees);
	ATF_CHECK_MSG(wp->wp_allocs > 0, "%s: nothing allocated", name);
	if (mp != NULL)
		*mp = m;
	else
		h_shutdown(m);
}

/*
 * Every built-in, on 1, 2 and 8 CPUs with 4 KiB and 16 KiB pages, in
 * deterministic and parallel mode.
 */
static void
all_machines(const char *name, const char *params, uint64_t physmem)
{
	static const u_int ncpus[] = { 1, 2, 8 };
	static const size_t pages[] = { 4096, 16384 };
	struct nbm_workload_progress wp;
	struct nbm_config cfg;
	size_t c, p;
	int mode;

	for (mode = NBM_MODE_PARALLEL; mode <= NBM_MODE_DETERMINISTIC; mode++)
		for (c = 0; c < __arraycount(ncpus); c++)
			for (p = 0; p < __arraycount(pages); p++) {
				config(&cfg, mode, ncpus[c], pages[p]);
				if (physmem != 0)
					cfg.physmem = physmem;
				run_builtin(&cfg, name, params, NULL, &wp);
			}
}

#define BUILTIN_TC(tcname, name, params, physmem)			\
ATF_TC_WITHOUT_HEAD(tcname);						\
ATF_TC_BODY(tcname, tc)							\
{									\
									\
	all_machines(name, params, physmem);				\
}

BUILTIN_TC(mixed, "mixed", "ops=1500", 0)
BUILTIN_TC(netbsd_boot, "netbsd-boot", "ops=1500,scale=50", 0)
BUILTIN_TC(mbuf_storm, "mbuf-storm", "ops=1500", 0)
BUILTIN_TC(kmem_sizes, "kmem-sizes", "ops=1500", 0)
BUILTIN_TC(vmem_frag, "vmem-frag", "ops=1500", 0)
BUILTIN_TC(device_attach, "device-attach", "ops=1500", 0)
BUILTIN_TC(pressure, "pressure", "ops=3000,fill=150", 8ULL << 20)
BUILTIN_TC(hardlimit, "hardlimit", "ops=1500", 0)

/*
 * The parameters of built-in n as nbm_workload_builtin_param gives them:
 * the same keys as its key list, each default in its range and accepted
 * when given, one past the range refused.
 */
static void
check_paraminfo(u_int n, const char *name, const char *keys,
    const struct nbm_config *cfg)
{
	static struct nbm_workload wl;
	struct nbm_wl_paraminfo pi;
	char list[256], kv[64], err[256];
	size_t off = 0;
	u_int j;

	list[0] = '\0';
	for (j = 0; nbm_workload_builtin_param(n, j, cfg, &pi) == 0; j++) {
		off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s",
		    j > 0 ? ", " : "", pi.wp_key);
		ATF_CHECK_MSG(pi.wp_descr != NULL && strlen(pi.wp_descr) > 8,
		    "%s: %s has no description", name, pi.wp_key);
		ATF_CHECK_MSG(pi.wp_min <= pi.wp_default &&
		    pi.wp_default <= pi.wp_max, "%s: %s default %ju not in "
		    "%ju..%ju", name, pi.wp_key, (uintmax_t)pi.wp_default,
		    (uintmax_t)pi.wp_min, (uintmax_t)pi.wp_max);
		snprintf(kv, sizeof(kv), "%s=%ju", pi.wp_key,
		    (uintmax_t)pi.wp_default);
		/* time_ms=0 alone would mean "no stop condition". */
		if (strcmp(pi.wp_key, "time_ms") != 0)
			ATF_CHECK_EQ_MSG(nbm_workload_builtin(name, kv, cfg, &wl,
			    err, sizeof(err)), 0, "%s %s: %s", name, kv, err);
		if (pi.wp_max < UINT64_MAX) {
			snprintf(kv, sizeof(kv), "%s=%ju", pi.wp_key,
			    (uintmax_t)pi.wp_max + 1);
			ATF_CHECK_EQ_MSG(nbm_workload_builtin(name, kv, cfg, &wl,
			    err, sizeof(err)), EINVAL, "%s %s accepted", name,
			    kv);
		}
		if (strcmp(pi.wp_key, "ops") == 0 && strcmp(name, "mixed") == 0)
			ATF_CHECK_EQ(pi.wp_default, 20000 * cfg->ncpu);
	}
	ATF_CHECK_STREQ(list, keys);
	ATF_CHECK_EQ(nbm_workload_builtin_param(n, j, cfg, &pi), ENOENT);
}

/* Names, parameters and their messages. */
ATF_TC_WITHOUT_HEAD(names_and_parameters);
ATF_TC_BODY(names_and_parameters, tc)
{
	static struct nbm_workload wl;
	static const struct {
		const char *name, *params, *expect;
	} bad[] = {
		{ "storm", "", "workload \"storm\": no such built-in (built-ins: "
		    "mixed, netbsd-boot, mbuf-storm, kmem-sizes, vmem-frag, "
		    "device-attach, pressure, hardlimit)" },
		{ "mixed", "opps=5", "workload mixed: unknown parameter "
		    "\"opps\" (accepted: ops, time_ms, threads, seed, rate, "
		    "xcpu)" },
		{ "mixed", "ops=ten", "workload mixed: ops=ten: must be an "
		    "integer between 0 and 1000000000000" },
		{ "mixed", "xcpu=1001", "workload mixed: xcpu=1001: must be an "
		    "integer between 0 and 1000" },
		{ "mixed", "threads", "workload mixed: parameter \"threads\": "
		    "must be key=value" },
		{ "hardlimit", "threads=1", "workload hardlimit: threads=1: needs "
		    "at least 2 threads per CPU (holders and waiters)" },
		{ "vmem-frag", "quantum=24", "workload vmem-frag: quantum=24: "
		    "must be a power of two" },
	};
	const char *name, *descr, *keys;
	struct nbm_wl_paraminfo pi;
	struct nbm_config cfg;
	char err[256];
	size_t i;
	u_int n;

	config(&cfg, NBM_MODE_DETERMINISTIC, 2, 4096);
	for (i = 0; i < __arraycount(bad); i++) {
		ATF_CHECK_EQ(nbm_workload_builtin(bad[i].name, bad[i].params,
		    &cfg, &wl, err, sizeof(err)), EINVAL);
		ATF_CHECK_MSG(strcmp(err, bad[i].expect) == 0,
		    "case %zu: \"%s\", not \"%s\"", i, err, bad[i].expect);
	}
	/* Defaults, parameters, and the empty name for the default. */
	ATF_REQUIRE_EQ(nbm_workload_builtin(NULL, NULL, &cfg, &wl, err,
	    sizeof(err)), 0);
	ATF_CHECK_STREQ(wl.wl_name, "mixed");
	ATF_CHECK_EQ(wl.wl_stop_ops, 40000);
	ATF_REQUIRE_EQ(nbm_workload_builtin("mixed", "ops=77,threads=3,"
	    "seed=9,rate=0", &cfg, &wl, err, sizeof(err)), 0);
	ATF_CHECK_EQ(wl.wl_stop_ops, 77);
	ATF_CHECK_EQ(wl.wl_threads, 3);
	ATF_CHECK_EQ(wl.wl_seed, 9);
	ATF_CHECK_EQ(wl.wl_nintr, 0);
	ATF_REQUIRE_EQ(nbm_workload_builtin("mixed", "time_ms=5", &cfg, &wl,
	    err, sizeof(err)), 0);
	ATF_CHECK_EQ(wl.wl_stop_ops, 0);
	ATF_CHECK_EQ(wl.wl_stop_ns, 5000000);
	/* The list: eight, each with a sentence and its keys. */
	for (n = 0; (name = nbm_workload_builtin_info(n, &descr, &keys)) !=
	    NULL; n++) {
		ATF_CHECK(strlen(descr) > 40 && descr[strlen(descr) - 1] == '.');
		ATF_CHECK(strncmp(keys, "ops, time_ms, threads, seed", 27) == 0);
		ATF_CHECK_EQ_MSG(nbm_workload_builtin(name, "", &cfg, &wl, err,
		    sizeof(err)), 0, "%s: %s", name, err);
		check_paraminfo(n, name, keys, &cfg);
	}
	ATF_CHECK_EQ(n, 8);
	ATF_CHECK_EQ(nbm_workload_builtin_param(n, 0, &cfg, &pi), EINVAL);
}

/*
 * hardlimit: the pool never has more than its limit out, holders fail at
 * it (the pool's warning is a machine event), waiters get items.
 */
ATF_TC_WITHOUT_HEAD(hardlimit_behaviour);
ATF_TC_BODY(hardlimit_behaviour, tc)
{
	struct nbm_workload_progress wp;
	static struct nbm_workload wl;
	const struct pool_sysctl *ps = NULL;
	struct nbm_event ev[256];
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_stats *st;
	struct nbm_wlrun *w;
	char err[256];
	size_t i, n;
	int error, warnings = 0;

	config(&cfg, NBM_MODE_DETERMINISTIC, 2, 4096);
	m = h_boot(&cfg);
	ATF_REQUIRE_EQ(nbm_workload_builtin("hardlimit", "ops=4000,limit=10",
	    &cfg, &wl, err, sizeof(err)), 0);
	ATF_REQUIRE_EQ(nbm_workload_start(m, &wl, NULL, NULL, &w, err,
	    sizeof(err)), 0);
	do {
		error = nbm_machine_run(m, 10000);
		ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
		for (i = 0; i < st->st_npools; i++)
			if (strcmp(st->st_pools[i].pr_wchan, "hlpool") == 0)
				ps = &st->st_pools[i];
		ATF_REQUIRE(ps != NULL);
		ATF_CHECK_EQ(ps->pr_hardlimit, 10);
		ATF_CHECK_MSG(ps->pr_nout <= 10, "%ju out",
		    (uintmax_t)ps->pr_nout);
		nbm_stats_free(st);
	} while (error == ETIMEDOUT);
	ATF_REQUIRE_EQ(error, 0);
	ATF_REQUIRE_EQ(nbm_workload_finish(w, &wp), 0);
	ATF_CHECK(wp.wp_fails > 0);
	ATF_CHECK(wp.wp_allocs > 100);
	n = nbm_machine_events(m, 0, ev, __arraycount(ev));
	for (i = 0; i < n; i++)
		if (ev[i].ev_type == NBM_EV_HARDLIMIT &&
		    strcmp(ev[i].ev_subject, "hlpool") == 0)
			warnings++;
	ATF_CHECK_MSG(warnings > 0, "no hard-limit warning");
	h_shutdown(m);
}

/*
 * pressure: free memory goes below the page daemon's target and the
 * sleepers wait in uvm_wait, which wakes the page daemon.
 */
ATF_TC_WITHOUT_HEAD(pressure_behaviour);
ATF_TC_BODY(pressure_behaviour, tc)
{
	struct nbm_workload_progress wp;
	struct nbm_uvmexp ux;
	struct nbm_config cfg;
	struct nbm_machine *m;

	config(&cfg, NBM_MODE_DETERMINISTIC, 2, 4096);
	cfg.physmem = 8ULL << 20;
	run_builtin(&cfg, "pressure", "ops=8000", &m, &wp);
	nbm_machine_uvmexp(m, &ux);
	ATF_CHECK_MSG(ux.pdwoke > 0, "the page daemon was never woken");
	ATF_CHECK(wp.wp_fails > 0);
	h_shutdown(m);
}

/* netbsd-boot: the pools are there, with NetBSD's names. */
ATF_TC_WITHOUT_HEAD(netbsd_boot_pools);
ATF_TC_BODY(netbsd_boot_pools, tc)
{
	static const char *const names[] = {
		"mbpl", "mclpl", "vcachepl", "namecache", "bufpl", "procpl",
		"lwppl", "file", "fdfile", "anonpl", "vmmpepl", "pdppl",
	};
	struct nbm_workload_progress wp;
	struct nbm_config cfg;
	struct nbm_machine *m;
	struct nbm_stats *st;
	size_t i, k;

	config(&cfg, NBM_MODE_DETERMINISTIC, 2, 4096);
	run_builtin(&cfg, "netbsd-boot", "ops=500", &m, &wp);
	ATF_REQUIRE_EQ(nbm_stats_snapshot(m, &st), 0);
	for (k = 0; k < __arraycount(names); k++) {
		for (i = 0; i < st->st_npools; i++)
			if (strcmp(st->st_pools[i].pr_wchan, names[k]) == 0)
				break;
		ATF_CHECK_MSG(i < st->st_npools, "no pool %s", names[k]);
		if (i < st->st_npools)
			ATF_CHECK_MSG(st->st_pools[i].pr_nget > 0,
			    "%s never used", names[k]);
	}
	for (i = 0; i < st->st_npools; i++)
		if (strcmp(st->st_pools[i].pr_wchan, "mclpl") == 0)
			ATF_CHECK_EQ(st->st_pools[i].pr_size, 2048);
	nbm_stats_free(st);
	h_shutdown(m);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, names_and_parameters);
	ATF_TP_ADD_TC(tp, mixed);
	ATF_TP_ADD_TC(tp, netbsd_boot);
	ATF_TP_ADD_TC(tp, mbuf_storm);
	ATF_TP_ADD_TC(tp, kmem_sizes);
	ATF_TP_ADD_TC(tp, vmem_frag);
	ATF_TP_ADD_TC(tp, device_attach);
	ATF_TP_ADD_TC(tp, pressure);
	ATF_TP_ADD_TC(tp, hardlimit);
	ATF_TP_ADD_TC(tp, hardlimit_behaviour);
	ATF_TP_ADD_TC(tp, pressure_behaviour);
	ATF_TP_ADD_TC(tp, netbsd_boot_pools);
	return atf_no_error();
}
