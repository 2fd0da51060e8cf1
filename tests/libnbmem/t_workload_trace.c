/*
 * t_workload_trace: traces of workload runs (workload_trace.c) -- the line
 * format, loading, replay on the same and on other machines, and the
 * statistics a replay of a deterministic run reproduces.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "h_nbm.h"

#include <nbmem/pool.h>
#include <nbmem/workload.h>

#define __arraycount(a)	(sizeof(a) / sizeof((a)[0]))

/* Lines collected from a sink. */
struct lines {
	char	**l_line;
	size_t	 l_n;
	size_t	 l_cap;
};

static void
lines_sink(void *arg, const char *line)
{
	struct lines *ls = arg;

	if (ls->l_n == ls->l_cap) {
		ls->l_cap = ls->l_cap == 0 ? 1024 : ls->l_cap * 2;
		ls->l_line = realloc(ls->l_line, ls->l_cap * sizeof(char *));
		ATF_REQUIRE(ls->l_line != NULL);
	}
	ATF_REQUIRE((ls->l_line[ls->l_n++] = strdup(line)) != NULL);
}

static void
lines_free(struct lines *ls)
{
	size_t i;

	for (i = 0; i < ls->l_n; i++)
		free(ls->l_line[i]);
	free(ls->l_line);
	memset(ls, 0, sizeof(*ls));
}

static struct nbm_machine *
boot(int mode, u_int ncpu, size_t pagesz, uint64_t seed)
{
	struct nbm_config cfg;

	h_config(&cfg);
	cfg.mode = mode;
	cfg.ncpu = ncpu;
	cfg.page_size = pagesz;
	cfg.seed = seed;
	return h_boot(&cfg);
}

/* Record a built-in's run on m into ls; the snapshot after it in *stp. */
static void
record(struct nbm_machine *m, const char *name, const char *params,
    struct lines *ls, struct nbm_workload_progress *wp, struct nbm_stats **stp)
{
	struct nbm_workload wl;
	struct nbm_wlrun *w;
	char err[256];

	ATF_REQUIRE_EQ_MSG(nbm_workload_builtin(name, params,
	    nbm_machine_config(m), &wl, err, sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ_MSG(nbm_workload_start(m, &wl, lines_sink, ls, &w, err,
	    sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ_MSG(nbm_machine_run(m, 0), 0, "%s", h_panicmsg());
	ATF_REQUIRE_EQ(nbm_workload_finish(w, wp), 0);
	if (stp != NULL)
		ATF_REQUIRE_EQ(nbm_stats_snapshot(m, stp), 0);
}

/* Load lines into a trace and replay it on m. */
static void
replay(struct nbm_machine *m, const struct lines *ls,
    struct nbm_workload_progress *wp, struct nbm_stats **stp)
{
	struct nbm_trace *tr;
	struct nbm_wlrun *w;
	char err[256];
	size_t i;

	ATF_REQUIRE_EQ(nbm_trace_create(&tr), 0);
	for (i = 0; i < ls->l_n; i++)
		ATF_REQUIRE_EQ_MSG(nbm_trace_add(tr, ls->l_line[i], err,
		    sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ_MSG(nbm_workload_replay(m, tr, NULL, NULL, &w, err,
	    sizeof(err)), 0, "%s", err);
	ATF_REQUIRE_EQ_MSG(nbm_machine_run(m, 0), 0, "%s", h_panicmsg());
	ATF_REQUIRE_EQ(nbm_workload_finish(w, wp), 0);
	ATF_CHECK_EQ(wp->wp_ops, nbm_trace_records(tr));
	if (stp != NULL)
		ATF_REQUIRE_EQ(nbm_stats_snapshot(m, stp), 0);
	nbm_trace_destroy(tr);
}

static long long
num(const char *line, const char *key)
{
	const char *p = strstr(line, key);

	return p == NULL ? -1 : atoll(p + strlen(key));
}

/*
 * The format: a header, the sources, records numbered from 0 whose frees
 * name earlier allocations, and the totals.
 */
ATF_TC_WITHOUT_HEAD(format);
ATF_TC_BODY(format, tc)
{
	struct nbm_workload_progress wp;
	struct lines ls;
	struct nbm_machine *m;
	char *seenid;
	long long seq = 0, id, nalloc = 0, nfree = 0;
	size_t i;

	memset(&ls, 0, sizeof(ls));
	m = boot(NBM_MODE_DETERMINISTIC, 2, 4096, 3);
	record(m, "mixed", "ops=2000", &ls, &wp, NULL);
	ATF_REQUIRE(ls.l_n > 20);
	ATF_CHECK_MSG(strncmp(ls.l_line[0], "{\"trace\":\"nbmem\",\"version\":1,"
	    "\"workload\":\"mixed\",\"ncpu\":2,\"page_size\":4096,", 60) == 0,
	    "%s", ls.l_line[0]);
	ATF_CHECK(strstr(ls.l_line[0], "\"mode\":\"deterministic\",\"seed\":3")
	    != NULL);
	ATF_CHECK(strncmp(ls.l_line[1], "{\"op\":\"source\",\"src\":0,"
	    "\"kind\":\"kmem\"", 36) == 0);
	seenid = calloc(ls.l_n, 1);
	ATF_REQUIRE(seenid != NULL);
	for (i = 1; i < ls.l_n - 1; i++) {
		if (strstr(ls.l_line[i], "\"op\":\"source\"") != NULL)
			continue;
		ATF_REQUIRE_EQ(num(ls.l_line[i], "\"seq\":"), seq);
		id = num(ls.l_line[i], "\"id\":");
		ATF_REQUIRE(id >= 0 && (size_t)id < ls.l_n);
		if (strstr(ls.l_line[i], "\"op\":\"alloc\"") != NULL) {
			ATF_CHECK_EQ(id, seq);
			seenid[id] = 1;
			nalloc++;
			ATF_CHECK(strstr(ls.l_line[i], "\"addr\":") != NULL ||
			    strstr(ls.l_line[i], "\"device\"") != NULL);
		} else if (strstr(ls.l_line[i], "\"op\":\"free\"") != NULL) {
			ATF_CHECK_MSG(seenid[id] == 1, "%s", ls.l_line[i]);
			seenid[id] = 2;
			nfree++;
		}
		seq++;
	}
	free(seenid);
	ATF_CHECK_EQ(nalloc, (long long)wp.wp_allocs);
	ATF_CHECK_EQ(nfree, (long long)wp.wp_frees);
	ATF_CHECK_EQ(num(ls.l_line[ls.l_n - 1], "{\"op\":\"end\",\"records\":"),
	    seq);
	ATF_CHECK_EQ(num(ls.l_line[ls.l_n - 1], "\"dropped\":"), 0);
	ATF_CHECK(strstr(ls.l_line[ls.l_n - 1], "\"ops\":2000") != NULL);
	lines_free(&ls);
	h_shutdown(m);
}

/*
 * Replaying a deterministic run on a machine of the same configuration
 * gives the same pool statistics, per pool and per CPU of every cache.
 */
static void
replay_equal(const char *name, const char *params, u_int ncpu,
    size_t pagesz)
{
	struct nbm_workload_progress a, b;
	struct nbm_stats *sa, *sb;
	struct nbm_machine *m;
	struct lines ls;
	size_t i;

	memset(&ls, 0, sizeof(ls));
	m = boot(NBM_MODE_DETERMINISTIC, ncpu, pagesz, 11);
	record(m, name, params, &ls, &a, &sa);
	h_shutdown(m);
	m = boot(NBM_MODE_DETERMINISTIC, ncpu, pagesz, 11);
	replay(m, &ls, &b, &sb);
	h_shutdown(m);
	ATF_CHECK_EQ(a.wp_allocs, b.wp_allocs);
	ATF_CHECK_EQ(a.wp_frees, b.wp_frees);
	ATF_CHECK_EQ(a.wp_fails, b.wp_fails);
	ATF_REQUIRE_EQ(sa->st_npools, sb->st_npools);
	for (i = 0; i < sa->st_npools; i++)
		ATF_CHECK_MSG(memcmp(&sa->st_pools[i], &sb->st_pools[i],
		    sizeof(sa->st_pools[i])) == 0, "%s: pool %s differs "
		    "(nget %ju/%ju npagealloc %ju/%ju hits %ju/%ju)", name,
		    sa->st_pools[i].pr_wchan,
		    (uintmax_t)sa->st_pools[i].pr_nget,
		    (uintmax_t)sb->st_pools[i].pr_nget,
		    (uintmax_t)sa->st_pools[i].pr_npagealloc,
		    (uintmax_t)sb->st_pools[i].pr_npagealloc,
		    (uintmax_t)sa->st_pools[i].pr_cache_nhit_pcpu,
		    (uintmax_t)sb->st_pools[i].pr_cache_nhit_pcpu);
	ATF_REQUIRE_EQ(sa->st_ncachecpu, sb->st_ncachecpu);
	ATF_CHECK(memcmp(sa->st_cachecpu, sb->st_cachecpu,
	    sa->st_ncachecpu * sizeof(*sa->st_cachecpu)) == 0);
	nbm_stats_free(sa);
	nbm_stats_free(sb);
	lines_free(&ls);
}

ATF_TC_WITHOUT_HEAD(replay_same_statistics);
ATF_TC_BODY(replay_same_statistics, tc)
{

	replay_equal("mixed", "ops=4000,rate=200000", 2, 4096);
	replay_equal("mbuf-storm", "ops=3000,rate=300000", 2, 16384);
	replay_equal("kmem-sizes", "ops=3000", 1, 4096);
}

/* A trace replays on another machine: more CPUs, larger pages, parallel. */
ATF_TC_WITHOUT_HEAD(replay_other_machine);
ATF_TC_BODY(replay_other_machine, tc)
{
	struct nbm_workload_progress a, b;
	struct nbm_machine *m;
	struct lines ls;

	memset(&ls, 0, sizeof(ls));
	m = boot(NBM_MODE_DETERMINISTIC, 2, 4096, 5);
	record(m, "mixed", "ops=2000,rate=100000", &ls, &a, NULL);
	h_shutdown(m);
	m = boot(NBM_MODE_PARALLEL, 4, 16384, 0);
	replay(m, &ls, &b, NULL);
	ATF_CHECK_EQ(b.wp_live, 0);
	ATF_CHECK_EQ(b.wp_allocs, b.wp_frees);
	h_shutdown(m);
	m = boot(NBM_MODE_DETERMINISTIC, 1, 16384, 5);
	replay(m, &ls, &b, NULL);
	ATF_CHECK_EQ(b.wp_live, 0);
	h_shutdown(m);
	lines_free(&ls);
}

/* A replay stopped half way gives back what it got. */
ATF_TC_WITHOUT_HEAD(replay_stopped);
ATF_TC_BODY(replay_stopped, tc)
{
	struct nbm_workload_progress a, b;
	struct nbm_machine *m;
	struct nbm_trace *tr;
	struct nbm_wlrun *w;
	struct lines ls;
	char err[256];
	size_t i;

	memset(&ls, 0, sizeof(ls));
	m = boot(NBM_MODE_DETERMINISTIC, 2, 4096, 5);
	record(m, "kmem-sizes", "ops=2000", &ls, &a, NULL);
	h_shutdown(m);
	ATF_REQUIRE_EQ(nbm_trace_create(&tr), 0);
	/* Leave out the last third: allocations that are never freed. */
	for (i = 0; i < ls.l_n * 2 / 3; i++)
		ATF_REQUIRE_EQ(nbm_trace_add(tr, ls.l_line[i], err,
		    sizeof(err)), 0);
	m = boot(NBM_MODE_DETERMINISTIC, 2, 4096, 5);
	ATF_REQUIRE_EQ(nbm_workload_replay(m, tr, NULL, NULL, &w, err,
	    sizeof(err)), 0);
	ATF_CHECK_EQ(nbm_machine_run(m, 20000), ETIMEDOUT);
	ATF_REQUIRE_EQ(nbm_workload_finish(w, &b), 0);
	ATF_CHECK(b.wp_ops > 0 && b.wp_ops < nbm_trace_records(tr));
	ATF_CHECK_EQ(b.wp_live, 0);
	ATF_CHECK_EQ(b.wp_allocs, b.wp_frees);
	h_shutdown(m);
	nbm_trace_destroy(tr);
	lines_free(&ls);
}

/* Lines a trace cannot use, with the reason. */
ATF_TC_WITHOUT_HEAD(parse_errors);
ATF_TC_BODY(parse_errors, tc)
{
	static const char hdr[] = "{\"trace\":\"nbmem\",\"version\":1,"
	    "\"workload\":\"t\",\"ncpu\":2,\"page_size\":4096}";
	static const char src[] = "{\"op\":\"source\",\"src\":0,\"kind\":\"kmem\","
	    "\"name\":\"kmem\",\"existing\":0,\"size\":0,\"align\":0,\"ipl\":6,"
	    "\"flags\":0,\"ctor_ns\":0,\"dtor_ns\":0,\"lowat\":0,\"hiwat\":0,"
	    "\"hardlimit\":0,\"warning\":\"\",\"ratecap\":0,\"base\":0,"
	    "\"span\":0,\"quantum\":0,\"fit\":0,"
	    "\"qcache_max\":0,\"ninstances\":0,\"nwin\":0}";
	static const char rec0[] = "{\"seq\":0,\"t\":0,\"cpu\":0,\"ctx\":"
	    "\"thread\",\"op\":\"alloc\",\"kind\":\"kmem\",\"src\":0,"
	    "\"size\":64,\"flags\":0,\"id\":0}";
	static const struct {
		const char *line;
		const char *expect;
	} bad[] = {
		{ "not json", "line 4: not a JSON object" },
		{ "{\"seq\":1,\"t\":0}", "line 4: no \"op\"" },
		{ "{\"seq\":5,\"t\":0,\"cpu\":0,\"ctx\":\"thread\",\"op\":\"free\","
		    "\"kind\":\"kmem\",\"src\":0,\"size\":64,\"id\":0}",
		    "line 4: \"seq\" must be 1, the next record number" },
		{ "{\"seq\":1,\"t\":0,\"cpu\":0,\"ctx\":\"thread\",\"op\":\"free\","
		    "\"kind\":\"kmem\",\"src\":0,\"size\":64,\"id\":7}",
		    "line 4: free of \"id\" 7, which no earlier record "
		    "allocated" },
		{ "{\"seq\":1,\"t\":0,\"cpu\":0,\"ctx\":\"thread\",\"op\":\"alloc\","
		    "\"kind\":\"pool\",\"src\":0,\"size\":64,\"flags\":0,"
		    "\"id\":1}", "line 4: \"kind\" does not match source 0 "
		    "(kmem)" },
		{ "{\"seq\":1,\"t\":0,\"cpu\":0,\"ctx\":\"nmi\",\"op\":\"alloc\","
		    "\"kind\":\"kmem\",\"src\":0,\"size\":64,\"flags\":0,"
		    "\"id\":1}", "line 4: \"ctx\" must be thread, softint or "
		    "intr" },
		{ "{\"seq\":1,\"t\":0,\"cpu\":0,\"ctx\":\"thread\",\"op\":\"grab\","
		    "\"kind\":\"kmem\",\"src\":0,\"size\":64,\"id\":1}",
		    "line 4: \"op\" \"grab\": must be source, alloc, fail, free or "
		    "end" },
		{ "{\"op\":\"source\",\"src\":1,\"kind\":\"slab\"}",
		    "line 4: source lines must come before the records" },
		{ "{\"seq\":1,\"t\":0,\"cpu\":0,\"ctx\":\"thread\",\"op\":\"alloc\","
		    "\"kind\":\"kmem\",\"src\":0,\"size\":64,\"flags\":0,"
		    "\"id\":0}", "line 4: \"id\" 0 allocated twice" },
	};
	struct nbm_trace *tr;
	char err[256];
	size_t i;

	/* The header must come first. */
	ATF_REQUIRE_EQ(nbm_trace_create(&tr), 0);
	ATF_CHECK_EQ(nbm_trace_add(tr, src, err, sizeof(err)), EINVAL);
	ATF_CHECK_STREQ(err, "line 1: the header line must come first");
	nbm_trace_destroy(tr);
	for (i = 0; i < __arraycount(bad); i++) {
		ATF_REQUIRE_EQ(nbm_trace_create(&tr), 0);
		ATF_REQUIRE_EQ(nbm_trace_add(tr, hdr, err, sizeof(err)), 0);
		ATF_REQUIRE_EQ_MSG(nbm_trace_add(tr, src, err, sizeof(err)), 0,
		    "%s", err);
		ATF_REQUIRE_EQ(nbm_trace_add(tr, rec0, err, sizeof(err)), 0);
		ATF_CHECK_EQ_MSG(nbm_trace_add(tr, bad[i].line, err,
		    sizeof(err)), EINVAL, "case %zu accepted", i);
		ATF_CHECK_MSG(strcmp(err, bad[i].expect) == 0,
		    "case %zu: \"%s\", not \"%s\"", i, err, bad[i].expect);
		nbm_trace_destroy(tr);
	}
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, format);
	ATF_TP_ADD_TC(tp, replay_same_statistics);
	ATF_TP_ADD_TC(tp, replay_other_machine);
	ATF_TP_ADD_TC(tp, replay_stopped);
	ATF_TP_ADD_TC(tp, parse_errors);
	return atf_no_error();
}
