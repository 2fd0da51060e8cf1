/*
 * t_subr_vmstat: NetBSD's vmstat -m, -mW and -C tables and kern.pool
 * (subr_vmstat.c), byte for byte.
 *
 * Golden files: tests/libnbmem/golden/vmstat-<scenario>-<flags>.txt hold
 * the expected output of nbm_vmstat() (what `vmstat <flags>' prints) for
 * the record sets built below.  The test reads them from the source tree:
 * $NBM_SRCDIR if set, else the tree the test was built from (NBM_SRCDIR,
 * passed by the Makefile).  To regenerate them after a deliberate change,
 * run the golden test case with NBM_UPDATE_GOLDEN=1, which writes the
 * files instead of comparing, then review the diff with git:
 *
 *	make tests
 *	NBM_UPDATE_GOLDEN=1 obj/tests/libnbmem/t_subr_vmstat golden
 *	git diff tests/libnbmem/golden
 *
 * The spec's illustrative outputs (spec 4.2, 4.3) are also embedded below
 * and compared directly, so that regenerated goldens cannot drift from
 * them unnoticed.  The other tests check single behaviours with lines
 * worked out by hand from vmstat's rules.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nbmem/vmstat.h>

#include "h_nbm.h"
#include "nbm_impl.h"

#ifndef NBM_SRCDIR
#define NBM_SRCDIR "."
#endif

#define INF	4294967295ULL	/* UINT_MAX: Maxpg "inf" */

/*
 * Output capture.
 */
struct sbuf {
	char	*s_buf;		/* all output, NUL-terminated */
	size_t	 s_len;		/* its length */
	size_t	 s_cap;		/* allocated */
	size_t	 s_calls;	/* out() calls */
	size_t	 s_badcalls;	/* calls not one whole line */
};

static void
sbuf_out(void *arg, const char *text)
{
	struct sbuf *sb = arg;
	size_t n = strlen(text);
	const char *nl = strchr(text, '\n');

	if (nl == NULL || nl[1] != '\0')
		sb->s_badcalls++;
	sb->s_calls++;
	if (sb->s_len + n + 1 > sb->s_cap) {
		sb->s_cap = 2 * (sb->s_len + n + 1);
		sb->s_buf = realloc(sb->s_buf, sb->s_cap);
		ATF_REQUIRE(sb->s_buf != NULL);
	}
	memcpy(sb->s_buf + sb->s_len, text, n + 1);
	sb->s_len += n;
}

static void
sbuf_init(struct sbuf *sb)
{

	memset(sb, 0, sizeof(*sb));
	sb->s_buf = calloc(1, 1);
	sb->s_cap = 1;
	ATF_REQUIRE(sb->s_buf != NULL);
}

static void
sbuf_fini(struct sbuf *sb)
{

	free(sb->s_buf);
}

/*
 * Records.  A pool is given by what vmstat -m shows; nout, npages and
 * nitems follow from it (nget - nput, Pgreq - Pgrel, and the free room in
 * the pages), so every record is consistent by construction.
 */
struct def {
	const char	*d_name;
	uint64_t	 d_size, d_pagesize, d_ipp, d_flags;
	uint64_t	 d_nget, d_nfail, d_nput, d_pgreq, d_pgrel;
	uint64_t	 d_hiwat, d_minpg, d_maxpg, d_idle, d_hardlimit;
	/* Cache (d_meta != 0): Spin, Full, Emty and the four counters. */
	uint64_t	 d_meta, d_spin, d_full, d_emty;
	uint64_t	 d_miss_g, d_hit_g, d_miss_pcpu, d_hit_pcpu;
};

static void
mkpool(struct pool_sysctl *pr, const struct def *d)
{
	char why[200];

	memset(pr, 0, sizeof(*pr));
	ATF_REQUIRE(strlen(d->d_name) < sizeof(pr->pr_wchan));
	strcpy(pr->pr_wchan, d->d_name);
	pr->pr_flags = d->d_flags;
	pr->pr_size = d->d_size;
	pr->pr_pagesize = d->d_pagesize;
	pr->pr_itemsperpage = d->d_ipp;
	pr->pr_nget = d->d_nget;
	pr->pr_nfail = d->d_nfail;
	pr->pr_nput = d->d_nput;
	pr->pr_nout = d->d_nget - d->d_nput;
	pr->pr_npagealloc = d->d_pgreq;
	pr->pr_npagefree = d->d_pgrel;
	pr->pr_npages = d->d_pgreq - d->d_pgrel;
	pr->pr_nitems = pr->pr_npages * d->d_ipp - pr->pr_nout;
	pr->pr_hiwat = d->d_hiwat;
	pr->pr_minpages = d->d_minpg;
	pr->pr_maxpages = d->d_maxpg;
	pr->pr_nidle = d->d_idle;
	pr->pr_hardlimit = d->d_hardlimit != 0 ? d->d_hardlimit : INF;
	pr->pr_cache_meta_size = d->d_meta;
	pr->pr_cache_ncontended = d->d_spin;
	pr->pr_cache_nfull = d->d_full;
	pr->pr_cache_nempty = d->d_emty;
	pr->pr_cache_nmiss_global = d->d_miss_g;
	pr->pr_cache_nhit_global = d->d_hit_g;
	pr->pr_cache_nmiss_pcpu = d->d_miss_pcpu;
	pr->pr_cache_nhit_pcpu = d->d_hit_pcpu;
	ATF_CHECK_MSG(nbm_pool_sysctl_check(pr, why, sizeof(why)), "%s", why);
}

#define POOL(n, sz, psz, ipp, fl, get, fail, put, preq, prel, hiw, minp,  \
    maxp, idle)								\
	.d_name = n, .d_size = sz, .d_pagesize = psz, .d_ipp = ipp,	\
	.d_flags = fl, .d_nget = get, .d_nfail = fail, .d_nput = put,	\
	.d_pgreq = preq, .d_pgrel = prel, .d_hiwat = hiw,		\
	.d_minpg = minp, .d_maxpg = maxp, .d_idle = idle
#define CACHE(meta, spin, full, emty, mg, hg, mp, hp)			\
	.d_meta = meta, .d_spin = spin, .d_full = full, .d_emty = emty,	\
	.d_miss_g = mg, .d_hit_g = hg, .d_miss_pcpu = mp, .d_hit_pcpu = hp

/*
 * The spec's example machine (spec 4.2, 4.3): non-DIAGNOSTIC amd64, 4 KiB
 * pages; items per page and flags from the geometry table of spec 1.5.
 * The CacheLayer of a cache is nhit_global + nmiss_global, which is also
 * its nmiss_pcpu (spec 2.6).  pcglarge and the second phpool-64 never
 * served a request: -m shows them only with -v.
 */
static const struct def spec_defs[] = {
	{ POOL("kmem-00016", 16, 4096, 256, 0x10400, 20310, 0, 3188,
	    110, 40, 77, 0, INF, 3),
	  CACHE(15, 0, 12, 0, 20310, 285201, 305511, 9483002) },
	{ POOL("kmem-00064", 64, 4096, 63, 0x10040, 14301, 0, 683,
	    272, 53, 226, 0, INF, 2),
	  CACHE(15, 2, 40, 0, 14301, 84819, 99120, 2811033) },
	/*
	 * The spec's -C example leaves kmem-01024 out, although its -m
	 * example shows 745 pool-layer requests, which a kmem cache only
	 * makes on cache misses.  To print that -C table the record must
	 * say "no cache".
	 */
	{ POOL("kmem-01024", 1024, 4096, 4, 0x10000, 745, 0, 34,
	    245, 66, 186, 0, INF, 1) },
	{ POOL("mclpl", 2048, 4096, 2, 0x10000, 812, 0, 300,
	    335, 79, 263, 0, 65536, 0), .d_hardlimit = 131072,
	  CACHE(15, 0, 0, 0, 812, 138, 950, 1700) },
	{ POOL("pcglarge", 1024, 4096, 4, 0x10000, 0, 0, 0,
	    0, 0, 0, 0, INF, 0) },
	{ POOL("pcgnormal", 256, 4096, 16, 0x10000, 3311, 0, 2990,
	    114, 92, 29, 0, INF, 1) },
	{ POOL("phpool-64", 56, 4096, 72, 0x40, 1402, 0, 1022,
	    111, 105, 13, 0, INF, 0) },
	{ POOL("phpool-64", 56, 4096, 72, 0x40, 0, 0, 0,
	    0, 0, 0, 0, INF, 0) },
	/* Also no cache, for the same reason as kmem-01024. */
	{ POOL("vmmpepl", 136, 4096, 29, 0x10040, 1215, 0, 181,
	    158, 118, 47, 0, INF, 4) },
};

/*
 * Wide values: a 15-character name, counters of 12 to 15 digits, an
 * InUse total of 9 digits, and -C names of 13 to 15 characters.
 */
static const struct def overflow_defs[] = {
	{ POOL("abcdefghijklmno", 16, 4096, 256, 0x10400,
	    123456789012ULL, 0, 123456789000ULL, 1, 0, 1, 0, INF, 0) },
	{ POOL("bigpool", 16, 4096, 256, 0x10400,
	    123456789ULL + 5000, 98765, 5000, 482300, 46, 482254, 0,
	    INF, 123456),
	  CACHE(63, 123456789, 1234567, 0, 9876543210ULL, 1ULL,
	    9876543211ULL, 123456789012345ULL) },
	{ POOL("fifteen-chars-x", 64, 4096, 63, 0x10040, 10, 0, 5,
	    1, 0, 1, 0, INF, 0),
	  CACHE(15, 0, 1, 0, 12345678901ULL, 12345678901ULL,
	    24691357802ULL, 98765432109876ULL) },
	{ POOL("fourteen-chars", 64, 4096, 63, 0x10040, 10, 0, 5,
	    1, 0, 1, 0, INF, 0),
	  CACHE(15, 1, 2, 3, 4, 5, 9, 10) },
	{ POOL("idleflags", 64, 4096, 63, 0x40, 100, 0, 100,
	    123456, 0, 123456, 0, 123456, 123456) },
	{ POOL("thirteen-char", 64, 4096, 63, 0x10040, 10, 0, 5,
	    1, 0, 1, 0, INF, 0),
	  CACHE(15, 0, 0, 0, 1, 2, 3, 4) },
};

/*
 * Values at the ends of their types: vmstat sums them in uint64_t and
 * prints the totals with PRId64, so they wrap and go negative.
 */
static const struct def extreme_defs[] = {
	/* Every flag, PR_RECURSIVE among them. */
	{ POOL("maxed", 65536, 65536, 1, 0xfffff, UINT64_MAX, UINT64_MAX,
	    UINT64_MAX - 7, UINT64_MAX, UINT64_MAX - 7, UINT64_MAX,
	    UINT64_MAX, UINT64_MAX - 1, 7),
	  CACHE(UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX,
	    0, UINT64_MAX, 0) },
	{ POOL("one", 8, 4096, 512, 0x10400, 1, 0, 0, 1, 0, 1, 0, INF, 0),
	  CACHE(15, 0, 0, 0, 1, 0, 1, 0) },
};

/*
 * The rest of the rules: a PR_RECURSIVE pool (only its free bytes count
 * in the total), pools without pages (Util "---"), pools that never
 * served a request (-v only), a finite Maxpg, and caches that -C shows
 * only with -v (no pool-layer misses; no traffic at all, nan percentages)
 * or never (no cache).
 */
static const struct def odd_defs[] = {
	{ POOL("bufpl", 4096, 65536, 16, 0x10200, 100, 0, 40,
	    5, 0, 5, 0, INF, 0) },
	{ POOL("cache-busy", 192, 4096, 21, 0x11040, 5000, 3, 4100,
	    60, 15, 60, 0, INF, 2),
	  CACHE(63, 17, 3, 0, 5000, 1200, 6200, 93800) },
	{ POOL("cache-idle", 320, 4096, 12, 0x10040, 0, 0, 0,
	    0, 0, 0, 0, INF, 0),
	  CACHE(15, 0, 0, 0, 0, 0, 0, 0) },
	{ POOL("cache-nomiss", 128, 4096, 31, 0x10040, 0, 0, 0,
	    0, 0, 0, 0, INF, 0),
	  CACHE(15, 0, 0, 0, 0, 0, 0, 50) },
	{ POOL("emptypl", 56, 4096, 72, 0x40, 10, 0, 10,
	    1, 1, 1, 0, INF, 0) },
	{ POOL("idlepl", 24, 4096, 168, 0x40, 0, 0, 0,
	    0, 0, 0, 0, INF, 0) },
	{ POOL("limitpl", 512, 4096, 8, 0x10000, 900, 7, 500,
	    60, 10, 50, 0, 50, 0), .d_hardlimit = 400 },
	{ POOL("nocache", 32, 4096, 128, 0x10400, 5, 0, 1,
	    1, 0, 1, 0, INF, 0),
	  .d_miss_g = 5 },
	{ POOL("primepl", 96, 4096, 41, 0x40, 41, 0, 0,
	    4, 0, 4, 4, 5, 3) },
};

static size_t
build(struct pool_sysctl *pr, const struct def *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		mkpool(&pr[i], &d[i]);
	return n;
}

struct scenario {
	const char	*sc_name;
	const struct def *sc_defs;
	size_t		 sc_ndefs;
};

static const struct scenario scenarios[] = {
	{ "spec", spec_defs, __arraycount(spec_defs) },
	{ "overflow", overflow_defs, __arraycount(overflow_defs) },
	{ "extreme", extreme_defs, __arraycount(extreme_defs) },
	{ "odd", odd_defs, __arraycount(odd_defs) },
	{ "empty", NULL, 0 },
};

static const struct {
	const char	*g_suffix;	/* vmstat's flags */
	int		 g_flags;
} goldens[] = {
	{ "m", NBM_VMSTAT_POOLS },
	{ "mv", NBM_VMSTAT_POOLS | NBM_VMSTAT_VERBOSE },
	{ "mW", NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE },
	{ "mWv", NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE | NBM_VMSTAT_VERBOSE },
	{ "C", NBM_VMSTAT_CACHES },
	{ "Cv", NBM_VMSTAT_CACHES | NBM_VMSTAT_VERBOSE },
	{ "mC", NBM_VMSTAT_POOLS | NBM_VMSTAT_CACHES },
};

#define MAXPOOLS	16

/* Render a record set with nbm_vmstat() into a new sb. */
static void
render(struct sbuf *sb, const struct pool_sysctl *pr, size_t n, int flags)
{

	sbuf_init(sb);
	ATF_REQUIRE_EQ(nbm_vmstat(pr, n, flags, sbuf_out, sb), 0);
	ATF_CHECK_EQ_MSG(sb->s_badcalls, 0, "%zu output calls were not one "
	    "whole line", sb->s_badcalls);
}

/* A formatted string on the heap (asprintf is not C11). */
static char * __printflike(1, 2)
xprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ATF_REQUIRE(n >= 0);
	s = malloc((size_t)n + 1);
	ATF_REQUIRE(s != NULL);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

static char *
golden_path(const char *name)
{
	const char *src = getenv("NBM_SRCDIR");

	if (src == NULL || src[0] == '\0')
		src = NBM_SRCDIR;
	return xprintf("%s/tests/libnbmem/golden/%s", src, name);
}

static char *
read_file(const char *path, size_t *lenp)
{
	FILE *fp;
	char *buf;
	long len;

	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	ATF_REQUIRE(fseek(fp, 0, SEEK_END) == 0);
	len = ftell(fp);
	ATF_REQUIRE(len >= 0);
	rewind(fp);
	buf = malloc((size_t)len + 1);
	ATF_REQUIRE(buf != NULL);
	ATF_REQUIRE_EQ(fread(buf, 1, (size_t)len, fp), (size_t)len);
	buf[len] = '\0';
	fclose(fp);
	*lenp = (size_t)len;
	return buf;
}

/*
 * same_text: compare output with what was expected; on a difference,
 * report the first line that differs, both ways.
 */
static void
same_text(const char *what, const char *got, const char *want)
{
	const char *g = got, *w = want;
	int line = 1;
	size_t gl, wl;

	if (strcmp(got, want) == 0)
		return;
	for (;;) {
		gl = strcspn(g, "\n");
		wl = strcspn(w, "\n");
		if (gl != wl || memcmp(g, w, gl) != 0 || g[gl] != w[wl])
			break;
		if (g[gl] == '\0')
			break;
		g += gl + 1;
		w += wl + 1;
		line++;
	}
	atf_tc_fail_nonfatal("%s: line %d differs:\n got: \"%.*s\"%s\nwant: "
	    "\"%.*s\"%s", what, line, (int)gl, g, g[gl] ? "" : " (end)",
	    (int)wl, w, w[wl] ? "" : " (end)");
}

static void
check_golden(const char *name, const char *got)
{
	char *path, *want;
	size_t len;
	FILE *fp;

	path = golden_path(name);
	if (getenv("NBM_UPDATE_GOLDEN") != NULL &&
	    strcmp(getenv("NBM_UPDATE_GOLDEN"), "1") == 0) {
		fp = fopen(path, "wb");
		ATF_REQUIRE_MSG(fp != NULL, "cannot write %s", path);
		ATF_REQUIRE_EQ(fwrite(got, 1, strlen(got), fp), strlen(got));
		ATF_REQUIRE_EQ(fclose(fp), 0);
		printf("wrote %s\n", path);
		free(path);
		return;
	}
	want = read_file(path, &len);
	ATF_REQUIRE_MSG(want != NULL, "cannot read golden file %s (set "
	    "NBM_SRCDIR to the source tree)", path);
	ATF_CHECK_EQ_MSG(strlen(want), len, "%s: NUL in file", path);
	same_text(name, got, want);
	free(want);
	free(path);
}

ATF_TC_WITHOUT_HEAD(golden);
ATF_TC_BODY(golden, tc)
{
	struct pool_sysctl pr[MAXPOOLS];
	struct sbuf sb;
	char name[64];
	size_t i, j, n;

	for (i = 0; i < __arraycount(scenarios); i++) {
		ATF_REQUIRE(scenarios[i].sc_ndefs <= MAXPOOLS);
		n = build(pr, scenarios[i].sc_defs, scenarios[i].sc_ndefs);
		for (j = 0; j < __arraycount(goldens); j++) {
			render(&sb, pr, n, goldens[j].g_flags);
			snprintf(name, sizeof(name), "vmstat-%s-%s.txt",
			    scenarios[i].sc_name, goldens[j].g_suffix);
			check_golden(name, sb.s_buf);
			sbuf_fini(&sb);
		}
	}

	/* kern.pool as text. */
	n = build(pr, spec_defs, __arraycount(spec_defs));
	sbuf_init(&sb);
	nbm_kern_pool_list(pr, n, sbuf_out, &sb);
	ATF_CHECK_EQ(sb.s_calls, n);
	check_golden("kern-pool-spec.txt", sb.s_buf);
	sbuf_fini(&sb);
}

/* Spec 4.2, vmstat -m, verbatim; the main loop adds the last blank line. */
static const char spec_m[] =
"Memory resource pool statistics\n"
"Name        Size Requests Fail Releases Pgreq Pgrel Npage Hiwat Minpg Maxpg Idle\n"
"kmem-00016    16    20310    0     3188   110    40    70    77     0   inf    3\n"
"kmem-00064    64    14301    0      683   272    53   219   226     0   inf    2\n"
"kmem-01024  1024      745    0       34   245    66   179   186     0   inf    1\n"
"mclpl       2048      812    0      300   335    79   256   263     0 65536    0\n"
"pcgnormal    256     3311    0     2990   114    92    22    29     0   inf    1\n"
"phpool-64     56     1402    0     1022   111   105     6    13     0   inf    0\n"
"vmmpepl      136     1215    0      181   158   118    40    47     0   inf    4\n"
"Totals              42096    0     8398  1345   553   792\n"
"\n"
"In use 3092K, total allocated 3168K; utilization 97.6%\n"
"\n";

/* Spec 4.2, vmstat -mW: the lines the spec shows (it elides the rest). */
static const char *const spec_mW[] = {
"Memory resource pool statistics\n"
"Name              Size    Requests Fail    Releases  InUse Avail  Pgreq  Pgrel Npage PageSz Hiwat Minpg Maxpg Idle Flags   Util\n"
"kmem-00016          16       20310    0        3188  17122   798    110     40    70   4096    77     0   inf    3 0x10400  95.5%\n"
"kmem-00064          64       14301    0         683  13618   179    272     53   219   4096   226     0   inf    2 0x10040  97.2%\n",
"\nphpool-64           56        1402    0        1022    380    52    111    105     6   4096    13     0   inf    0 0x040  86.6%\n",
"\nTotals                       42096    0        8398  33698  1191   1345    553   792\n",
};

/* Spec 4.3, vmstat -C, verbatim, and the main loop's blank line. */
static const char spec_C[] =
"Pool cache statistics.\n"
"Name          Spin GrpSz Full Emty PoolLayer CacheLayer  Hit%    CpuLayer  Hit%\n"
"kmem-00016       0    15   12    0     20310     305511  93.4     9788513  96.9\n"
"kmem-00064       2    15   40    0     14301      99120  85.6     2910153  96.6\n"
"mclpl            0    15    0    0       812        950  14.5        2650  64.2\n"
"\n";

ATF_TC_WITHOUT_HEAD(spec_examples);
ATF_TC_BODY(spec_examples, tc)
{
	struct pool_sysctl pr[MAXPOOLS];
	struct sbuf sb;
	size_t i, n;
	char *both;

	n = build(pr, spec_defs, __arraycount(spec_defs));

	render(&sb, pr, n, NBM_VMSTAT_POOLS);
	same_text("vmstat -m", sb.s_buf, spec_m);
	sbuf_fini(&sb);

	render(&sb, pr, n, NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE);
	ATF_CHECK(strncmp(sb.s_buf, spec_mW[0], strlen(spec_mW[0])) == 0);
	for (i = 0; i < __arraycount(spec_mW); i++)
		ATF_CHECK_MSG(strstr(sb.s_buf, spec_mW[i]) != NULL,
		    "vmstat -mW lacks:\n%s", spec_mW[i]);
	sbuf_fini(&sb);

	render(&sb, pr, n, NBM_VMSTAT_CACHES);
	same_text("vmstat -C", sb.s_buf, spec_C);
	sbuf_fini(&sb);

	/* -m and -C together: -m first, each with its blank line. */
	render(&sb, pr, n, NBM_VMSTAT_CACHES | NBM_VMSTAT_POOLS);
	both = xprintf("%s%s", spec_m, spec_C);
	same_text("vmstat -m -C", sb.s_buf, both);
	free(both);
	sbuf_fini(&sb);
}

/* Render one record with the given flags into sb. */
static void
render1(struct sbuf *sb, const struct def *d, int flags)
{
	struct pool_sysctl pr;

	mkpool(&pr, d);
	render(sb, &pr, 1, flags);
}

/* The n-th line (from 0) of text, without its newline. */
static char *
nth_line(const char *text, int n)
{
	static char line[1200];
	size_t len;

	while (n-- > 0) {
		text = strchr(text, '\n');
		ATF_REQUIRE(text != NULL);
		text++;
	}
	len = strcspn(text, "\n");
	ATF_REQUIRE(len < sizeof(line));
	memcpy(line, text, len);
	line[len] = '\0';
	return line;
}

ATF_TC_WITHOUT_HEAD(overflow_absorbed);
ATF_TC_BODY(overflow_absorbed, tc)
{
	struct sbuf sb;

	/*
	 * Name 15 in 11 columns: 4 over.  Size " 16" in 5: 2 back, 2 left.
	 * Requests 12 digits in 9 - 1 - 2 = 6: 13 columns for 9, 6 over.
	 * Fail " 0": 3 back.  Releases: 4 more, 7.  Pgreq " 1": 3.  Pgrel
	 * "  0" (pads to 6 - 1 - 3 = 2): 0, and the line is back in step:
	 * it ends in column 80, like any other row.
	 */
	render1(&sb, &overflow_defs[0], NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 2),
	    "abcdefghijklmno 16 123456789012 0 123456789000 1  0"
	    "     1     1     0   inf    0");
	ATF_CHECK_EQ(strlen(nth_line(sb.s_buf, 2)),
	    strlen(nth_line(sb.s_buf, 1)));
	sbuf_fini(&sb);

	/*
	 * Wide: the name fits in 16; Requests takes 13 columns of 12 and
	 * Fail gives the one back; Releases likewise with InUse.
	 */
	render1(&sb, &overflow_defs[0], NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 2),
	    "abcdefghijklmno     16 123456789012   0 123456789000    12"
	    "   244      1      0     1   4096     1     0   inf    0"
	    " 0x10400   4.7%");
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(flags_field);
ATF_TC_BODY(flags_field, tc)
{
	static const struct def d[] = {
		/* Nothing pending: at least three hex digits. */
		{ POOL("a", 64, 4096, 63, 0x40, 1, 0, 0, 1, 0, 1, 0, INF, 0) },
		/* Hiwat, Minpg... 6 digits each: the digits lose padding. */
		{ POOL("b", 64, 4096, 63, 0x40, 100, 0, 100, 123456, 0,
		    123456, 0, 123456, 123456) },
	};
	struct sbuf sb;
	const char *l;

	render1(&sb, &d[0], NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE);
	l = nth_line(sb.s_buf, 2);
	ATF_CHECK_MSG(strstr(l, "    0 0x040   1.6%") != NULL, "%s", l);
	sbuf_fini(&sb);

	/*
	 * Avail 7777728 takes 8 of its 6 columns: 2 over.  Pgreq 123456
	 * has no padding to give; Pgrel " 0" gives 2 back.  Npage 123456:
	 * 1 over, PageSz gives it back.  Hiwat: 1 over, Minpg gives it
	 * back.  Maxpg: 1 over; Idle 123456 in 5 columns: 2 more, 3.  The
	 * Flags digits get 3 - 3 = 0 columns: "0x40", not "0x040".
	 */
	render1(&sb, &d[1], NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE);
	l = nth_line(sb.s_buf, 2);
	ATF_CHECK_STREQ(l, "b                   64         100    0         100"
	    "      0 7777728 123456    0 123456  4096 123456    0"
	    " 123456 123456 0x40   0.0%");
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(totals);
ATF_TC_BODY(totals, tc)
{
	struct pool_sysctl pr[MAXPOOLS];
	struct sbuf sb;
	size_t n;

	/*
	 * Plain printf widths, no overflow compensation: full numbers run
	 * into each other.  The wide InUse and Avail totals go through
	 * vmstat's char[8] buffers: InUse 123456816 is cut to "1234568",
	 * Avail 7778381 just fits.
	 *	Requests 123456789012 + 123461789 + 10 + 10 + 100 + 10
	 *	Releases 123456789000 + 5000 + 5 + 5 + 100 + 5
	 *	Pgreq 1 + 482300 + 1 + 1 + 123456 + 1, Pgrel 46
	 *	Npage 1 + 482254 + 1 + 1 + 123456 + 1
	 */
	n = build(pr, overflow_defs, __arraycount(overflow_defs));
	render(&sb, pr, n, NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 2 + n),
	    "Totals                123580250931" "98765" "123456794115"
	    "1234568" "7778381" " 605760" "     46" "605714");
	sbuf_fini(&sb);

	render(&sb, pr, n, NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 2 + n),
	    "Totals          123580250931" "98765" "123456794115" "605760"
	    "    46" "605714");
	sbuf_fini(&sb);

	/* Sums wrap in uint64_t and print signed, as vmstat's do. */
	n = build(pr, extreme_defs, __arraycount(extreme_defs));
	render(&sb, pr, n, NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 2 + n),
	    "Totals                  0   -1       -8     0    -8     8");
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(trailer);
ATF_TC_BODY(trailer, tc)
{
	static const struct def d[] = {
		/* 10 x 1024 in use in 4 x 4096. */
		{ POOL("a", 1024, 4096, 4, 0x10000, 10, 0, 0, 4, 0, 4, 0,
		    INF, 0) },
		/* PR_RECURSIVE: 3 x 4096 in 1 x 16384, only 4096 free. */
		{ POOL("b", 4096, 16384, 4, 0x10200, 3, 0, 0, 1, 0, 1, 0,
		    INF, 0) },
		/* 1535 bytes in use: 1K after truncation. */
		{ POOL("c", 1535, 4096, 2, 0x10000, 1, 0, 0, 1, 0, 1, 0,
		    INF, 0) },
		/* Hidden unless -v, so it counts only with -v. */
		{ POOL("d", 4096, 4096, 1, 0x10000, 0, 0, 0, 3, 0, 3, 0,
		    INF, 3) },
	};
	struct pool_sysctl pr[4];
	struct sbuf sb;
	size_t n;

	n = build(pr, d, 2);
	render(&sb, pr, n, NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 6),
	    "In use 10K, total allocated 20K; utilization 50.0%");
	sbuf_fini(&sb);

	n = build(pr, &d[2], 1);
	render(&sb, pr, n, NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 5),
	    "In use 1K, total allocated 4K; utilization 25.0%");
	sbuf_fini(&sb);

	n = build(pr, d, 4);
	render(&sb, pr, n, NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 7),
	    "In use 11K, total allocated 24K; utilization 45.8%");
	sbuf_fini(&sb);
	render(&sb, pr, n, NBM_VMSTAT_POOLS | NBM_VMSTAT_VERBOSE);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 8),
	    "In use 11K, total allocated 36K; utilization 30.6%");
	sbuf_fini(&sb);

	/* Nothing at all: 0/0. */
	render(&sb, pr, 0, NBM_VMSTAT_POOLS);
	ATF_CHECK_STREQ(sb.s_buf,
	    "Memory resource pool statistics\n"
	    "Name        Size Requests Fail Releases Pgreq Pgrel Npage Hiwat"
	    " Minpg Maxpg Idle\n"
	    "Totals                  0    0        0     0     0     0\n"
	    "\n"
	    "In use 0K, total allocated 0K; utilization nan%\n"
	    "\n");
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(cache_rows);
ATF_TC_BODY(cache_rows, tc)
{
	struct pool_sysctl pr[MAXPOOLS];
	struct sbuf sb;
	size_t n;

	n = build(pr, odd_defs, __arraycount(odd_defs));

	/* Only the cache with pool-layer misses; title once. */
	render(&sb, pr, n, NBM_VMSTAT_CACHES);
	ATF_CHECK_STREQ(sb.s_buf,
	    "Pool cache statistics.\n"
	    "Name          Spin GrpSz Full Emty PoolLayer CacheLayer  Hit%"
	    "    CpuLayer  Hit%\n"
	    "cache-busy      17    63    3    0      5000       6200  19.4"
	    "      100000  93.8\n"
	    "\n");
	sbuf_fini(&sb);

	/* -v: every pool with a cache; 0/0 is "nan". */
	render(&sb, pr, n, NBM_VMSTAT_CACHES | NBM_VMSTAT_VERBOSE);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 3),
	    "cache-idle       0    15    0    0         0          0   nan"
	    "           0   nan");
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 4),
	    "cache-nomiss     0    15    0    0         0          0   nan"
	    "          50 100.0");
	ATF_CHECK(strstr(sb.s_buf, "nocache") == NULL);
	ATF_CHECK(strstr(sb.s_buf, "-nan") == NULL);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 5), "");
	sbuf_fini(&sb);

	/* No pool qualifies: no title, only the main loop's blank line. */
	render(&sb, pr + 2, 2, NBM_VMSTAT_CACHES);
	ATF_CHECK_STREQ(sb.s_buf, "\n");
	sbuf_fini(&sb);

	/*
	 * Names: vmstat prints them in 12 columns but charges the field
	 * 13, so a name of up to 12 characters keeps the row in line with
	 * the header (79 columns), a 13-character one makes no overflow but
	 * moves the row one column right (80), and 14 or 15 characters make
	 * an overflow that Spin absorbs (80 again).
	 */
	n = build(pr, overflow_defs, __arraycount(overflow_defs));
	render(&sb, pr, n, NBM_VMSTAT_CACHES);
	ATF_CHECK_EQ(strlen(nth_line(sb.s_buf, 1)), 79);
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 3),
	    "fifteen-chars-x   0    15    1    0 12345678901 24691357802 50.0"
	    " 98790123467678 100.0");
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 4),
	    "fourteen-chars    1    15    2    3         4          9  55.6"
	    "          19  52.6");
	ATF_CHECK_STREQ(nth_line(sb.s_buf, 5),
	    "thirteen-char     0    15    0    0         1          3  66.7"
	    "           7  57.1");
	ATF_CHECK_EQ(strlen(nth_line(sb.s_buf, 5)), 80);
	sbuf_fini(&sb);

	/* Up to 12 characters: in line with the header. */
	n = build(pr, spec_defs, __arraycount(spec_defs));
	render(&sb, pr, n, NBM_VMSTAT_CACHES);
	ATF_CHECK_EQ(strlen(nth_line(sb.s_buf, 2)), 79);
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(rows_filtered);
ATF_TC_BODY(rows_filtered, tc)
{
	struct pool_sysctl pr[MAXPOOLS];
	struct sbuf sb;
	size_t n;

	n = build(pr, odd_defs, __arraycount(odd_defs));
	render(&sb, pr, n, NBM_VMSTAT_POOLS | NBM_VMSTAT_WIDE);
	ATF_CHECK(strstr(sb.s_buf, "\nidlepl") == NULL);
	ATF_CHECK(strstr(sb.s_buf, "\ncache-idle") == NULL);
	/* A pool whose pages are all gone: Util "---". */
	ATF_CHECK(strstr(sb.s_buf, "\nemptypl             56          10"
	    "    0          10      0     0      1      1     0   4096"
	    "     1     0   inf    0 0x040   ---\n") != NULL);
	/* PR_RECURSIVE changes the trailer, not the row's Util. */
	ATF_CHECK(strstr(sb.s_buf, " 0x10200  75.0%\n") != NULL);
	sbuf_fini(&sb);

	render(&sb, pr, n, NBM_VMSTAT_POOLS | NBM_VMSTAT_VERBOSE);
	ATF_CHECK(strstr(sb.s_buf, "\nidlepl        24        0    0"
	    "        0     0     0     0     0     0   inf    0\n") != NULL);
	ATF_CHECK(strstr(sb.s_buf, "\nlimitpl      512      900    7"
	    "      500    60    10    50    50     0    50    0\n") != NULL);
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(bad_flags);
ATF_TC_BODY(bad_flags, tc)
{
	struct sbuf sb;

	sbuf_init(&sb);
	ATF_CHECK_EQ(nbm_vmstat(NULL, 0, 0, sbuf_out, &sb), EINVAL);
	ATF_CHECK_EQ(nbm_vmstat(NULL, 0, NBM_VMSTAT_WIDE, sbuf_out, &sb),
	    EINVAL);
	ATF_CHECK_EQ(nbm_vmstat(NULL, 0, NBM_VMSTAT_POOLS | 0x100, sbuf_out,
	    &sb), EINVAL);
	ATF_CHECK_EQ(nbm_vmstat(NULL, 0, NBM_VMSTAT_POOLS, NULL, NULL),
	    EINVAL);
	ATF_CHECK_EQ(sb.s_calls, 0);
	sbuf_fini(&sb);
}

ATF_TC_WITHOUT_HEAD(kern_pool);
ATF_TC_BODY(kern_pool, tc)
{
	struct pool_sysctl pr[MAXPOOLS], back[MAXPOOLS];
	unsigned char raw[3 * sizeof(struct pool_sysctl) + 1];
	struct sbuf sb;
	size_t n, len;

	n = build(pr, spec_defs, __arraycount(spec_defs));

	/* Size probe. */
	len = 0;
	ATF_CHECK_EQ(nbm_kern_pool_copyout(pr, n, NULL, &len), 0);
	ATF_CHECK_EQ(len, n * 224);
	ATF_CHECK_EQ(nbm_kern_pool_copyout(pr, n, NULL, NULL), EINVAL);

	/* Everything. */
	len = sizeof(back);
	ATF_CHECK_EQ(nbm_kern_pool_copyout(pr, n, back, &len), 0);
	ATF_CHECK_EQ(len, n * 224);
	ATF_CHECK(memcmp(back, pr, len) == 0);

	/* Short and unaligned: whole records only, no error. */
	len = 2 * 224 + 223;
	ATF_CHECK_EQ(nbm_kern_pool_copyout(pr, n, raw + 1, &len), 0);
	ATF_CHECK_EQ(len, 2 * 224);
	ATF_CHECK(memcmp(raw + 1, pr, len) == 0);
	len = 100;
	ATF_CHECK_EQ(nbm_kern_pool_copyout(pr, n, raw, &len), 0);
	ATF_CHECK_EQ(len, 0);

	/* Text: one pool a line, every field. */
	sbuf_init(&sb);
	nbm_kern_pool_list(pr, 1, sbuf_out, &sb);
	ATF_CHECK_STREQ(sb.s_buf,
	    "wchan=kmem-00016 flags=0x10400 size=16 pagesize=4096"
	    " itemsperpage=256 nitems=798 nout=17122 hardlimit=4294967295"
	    " npages=70 minpages=0 maxpages=4294967295 nget=20310 nfail=0"
	    " nput=3188 npagealloc=110 npagefree=40 hiwat=77 nidle=3"
	    " cache_meta_size=15 cache_nfull=12 cache_npartial=0"
	    " cache_nempty=0 cache_ncontended=0 cache_nmiss_global=20310"
	    " cache_nhit_global=285201 cache_nmiss_pcpu=305511"
	    " cache_nhit_pcpu=9483002\n");
	sbuf_fini(&sb);
}

ATF_TP_ADD_TCS(tp)
{

	ATF_TP_ADD_TC(tp, golden);
	ATF_TP_ADD_TC(tp, spec_examples);
	ATF_TP_ADD_TC(tp, overflow_absorbed);
	ATF_TP_ADD_TC(tp, flags_field);
	ATF_TP_ADD_TC(tp, totals);
	ATF_TP_ADD_TC(tp, trailer);
	ATF_TP_ADD_TC(tp, cache_rows);
	ATF_TP_ADD_TC(tp, rows_filtered);
	ATF_TP_ADD_TC(tp, bad_flags);
	ATF_TP_ADD_TC(tp, kern_pool);
	return atf_no_error();
}
