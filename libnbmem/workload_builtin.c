/*
 * workload_builtin.c: the built-in workloads, by name, with "key=value"
 * parameters (nbm_workload_builtin, nbm_workload_builtin_info).
 *
 * Each built-in fills a struct nbm_workload for a given machine
 * configuration: counts and sizes scale with the CPUs, the page size and
 * the memory, so that every built-in runs to completion anywhere from one
 * CPU with 4 KiB pages to many CPUs with 64 KiB pages.  Lifetimes are a few
 * hundred operations long (at the default 100 ns of virtual time per
 * operation), so that the steady state is reached within a short run.
 *
 * Pool names, alignments and IPLs in netbsd-boot and mbuf-storm are
 * NetBSD's (sys/kern/uipc_mbuf.c, vfs_vnode.c, vfs_cache.c, vfs_bio.c,
 * kern_proc.c, kern_lwp.c, kern_descrip.c, the uvm files, ...).  The item sizes
 * are sizeof() of the structures on amd64 as of NetBSD 10, rounded to a
 * multiple of 8; they were not measured on a running kernel, so a pool may
 * differ from a given kernel's by some bytes.  The mbuf and cluster sizes
 * (MSIZE 512, MCLBYTES 2048) and the cluster pool's warning are exact.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload_impl.h"

#define US	1000ULL		/* ns */

/*
 * Parameters.
 */
struct wb_param {
	const char	*p_key;		/* name */
	uint64_t	 p_min;		/* accepted range */
	uint64_t	 p_max;
	uint64_t	 p_val;		/* value: the default until set */
	bool		 p_set;		/* given in the parameters */
	const char	*p_descr;	/* what it sets, for workload.list */
};

enum { P_OPS, P_TIME, P_THREADS, P_SEED, P_NCOMMON };

static struct wb_param *
wb_find(struct wb_param *p, u_int n, const char *key)
{
	u_int i;

	for (i = 0; i < n; i++)
		if (strcmp(p[i].p_key, key) == 0)
			return &p[i];
	return NULL;
}

static void
wb_keys(const struct wb_param *p, u_int n, char *buf, size_t len)
{
	size_t off = 0;
	u_int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i > 0 ? ", " : "", p[i].p_key);
}

/* wb_parse: "key=value,key=value" into the table p[0..n-1]. */
static int
wb_parse(const char *name, const char *params, struct wb_param *p, u_int n,
    char *errbuf, size_t errlen)
{
	char buf[512], keys[256], *s, *next, *eq, *end;
	struct wb_param *pp;
	uint64_t v;

	if (params == NULL || params[0] == '\0')
		return 0;
	if (strlen(params) >= sizeof(buf)) {
		snprintf(errbuf, errlen, "workload %s: parameters longer than "
		    "%zu characters", name, sizeof(buf) - 1);
		return EINVAL;
	}
	snprintf(buf, sizeof(buf), "%s", params);
	for (s = buf; s != NULL; s = next) {
		if ((next = strchr(s, ',')) != NULL)
			*next++ = '\0';
		if (*s == '\0')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(errbuf, errlen, "workload %s: parameter \"%s\": "
			    "must be key=value", name, s);
			return EINVAL;
		}
		*eq++ = '\0';
		if ((pp = wb_find(p, n, s)) == NULL) {
			wb_keys(p, n, keys, sizeof(keys));
			snprintf(errbuf, errlen, "workload %s: unknown parameter "
			    "\"%s\" (accepted: %s)", name, s, keys);
			return EINVAL;
		}
		errno = 0;
		v = strtoull(eq, &end, 10);
		if (*eq < '0' || *eq > '9' || *end != '\0' || errno != 0 ||
		    v < pp->p_min || v > pp->p_max) {
			snprintf(errbuf, errlen, "workload %s: %s=%s: must be an "
			    "integer between %" PRIu64 " and %" PRIu64, name, s,
			    eq, pp->p_min, pp->p_max);
			return EINVAL;
		}
		pp->p_val = v;
		pp->p_set = true;
	}
	return 0;
}

/*
 * Building blocks.
 */
static struct nbm_wl_source *
wb_src(struct nbm_workload *wl, int kind, const char *name)
{
	struct nbm_wl_source *sd = &wl->wl_sources[wl->wl_nsources++];

	KASSERT(wl->wl_nsources <= NBM_WL_MAXSOURCES);
	memset(sd, 0, sizeof(*sd));
	sd->src_kind = kind;
	if (name != NULL)
		snprintf(sd->src_name, sizeof(sd->src_name), "%s", name);
	sd->src_ipl = IPL_VM;
	sd->src_life.lt_kind = NBM_WL_LIFE_EXP;
	sd->src_life.lt_ns = 30 * US;
	return sd;
}

static struct nbm_wl_source *
wb_pool(struct nbm_workload *wl, bool cache, const char *name, size_t size,
    u_int align, int ipl)
{
	struct nbm_wl_source *sd;

	sd = wb_src(wl, cache ? NBM_WLS_POOL_CACHE : NBM_WLS_POOL, name);
	sd->src_size = size;
	sd->src_align = align;
	sd->src_ipl = ipl;
	return sd;
}

static void
wb_uniform(struct nbm_wl_sizes *sz, size_t lo, size_t hi)
{

	sz->sz_kind = NBM_WL_SIZE_UNIFORM;
	sz->sz_min = lo;
	sz->sz_max = hi;
}

static void
wb_bucket(struct nbm_wl_sizes *sz, size_t upto, u_int weight)
{

	KASSERT(sz->sz_n < NBM_WL_MAXSIZES);
	sz->sz_list[sz->sz_n].se_size = upto;
	sz->sz_list[sz->sz_n].se_weight = weight;
	sz->sz_n++;
}

static void
wb_op(struct nbm_workload *wl, int kind, u_int src, u_int weight, int flags,
    uint32_t slots)
{
	struct nbm_wl_op *op = &wl->wl_ops[wl->wl_nops++];

	KASSERT(wl->wl_nops <= NBM_WL_MAXOPS);
	op->op_kind = kind;
	op->op_src = src;
	op->op_weight = weight;
	op->op_flags = flags;
	op->op_slots = slots;
}

static u_int
wb_last(const struct nbm_workload *wl)
{

	return wl->wl_nsources - 1;
}

static struct nbm_wl_intr *
wb_intr(struct nbm_workload *wl, const char *name, double rate, int target,
    int freepath)
{
	struct nbm_wl_intr *wi = &wl->wl_intr[wl->wl_nintr++];

	KASSERT(wl->wl_nintr <= NBM_WL_MAXINTR);
	memset(wi, 0, sizeof(*wi));
	snprintf(wi->wi_intr.ic_name, sizeof(wi->wi_intr.ic_name), "%s",
	    name);
	wi->wi_intr.ic_ipl = IPL_VM;
	wi->wi_intr.ic_dist = NBM_INTR_POISSON;
	wi->wi_intr.ic_rate = rate;
	wi->wi_intr.ic_target = target;
	wi->wi_free = freepath;
	wi->wi_life.lt_kind = NBM_WL_LIFE_FIXED;
	return wi;
}

/*
 * A kernel's kmem(9) request sizes: mostly small structures, a tail of
 * buffers up to a few pages (shaped after the kmem-* pool statistics of a
 * NetBSD/amd64 system under a mixed load; the weights are per mille).
 */
static void
wb_kmem_sizes(struct nbm_wl_sizes *sz, size_t max)
{
	static const struct nbm_wl_sizeent dist[] = {
		{ 16, 170 }, { 32, 190 }, { 64, 210 }, { 128, 150 },
		{ 256, 110 }, { 512, 70 }, { 1024, 45 }, { 2048, 25 },
		{ 4096, 20 }, { 16384, 8 }, { 65536, 2 },
	};
	size_t i;

	memset(sz, 0, sizeof(*sz));
	sz->sz_kind = NBM_WL_SIZE_HISTOGRAM;
	sz->sz_min = 1;
	for (i = 0; i < __arraycount(dist) && dist[i].se_size <= max; i++)
		wb_bucket(sz, dist[i].se_size, dist[i].se_weight);
	if (i < __arraycount(dist) && (i == 0 || dist[i - 1].se_size < max))
		wb_bucket(sz, max, dist[i].se_weight);
}

/*
 * The built-ins.
 */
struct wb_ctx {
	const struct nbm_config *b_cfg;
	struct nbm_workload *b_wl;
	struct wb_param	*b_p;		/* common, then the built-in's own */
};

#define WB_VAL(b, i)	((b)->b_p[(i)].p_val)

/* mixed */
enum { MIXED_RATE = P_NCOMMON, MIXED_XCPU };

static int
wb_mixed(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;
	struct nbm_wl_intr *wi;
	u_int km, pl, pc, big;

	(void)errbuf;
	(void)errlen;
	sd = wb_src(wl, NBM_WLS_KMEM, NULL);
	wb_kmem_sizes(&sd->src_sizes, 2048);
	sd->src_xcpu = (u_int)WB_VAL(b, MIXED_XCPU) / 2;
	km = wb_last(wl);
	sd = wb_pool(wl, false, "wl-pool", 192, 0, IPL_VM);
	sd->src_life.lt_ns = 50 * US;
	pl = wb_last(wl);
	sd = wb_pool(wl, true, "wl-cache", 512, 64, IPL_VM);
	sd->src_ctor_ns = 200;
	sd->src_dtor_ns = 50;
	sd->src_xcpu = (u_int)WB_VAL(b, MIXED_XCPU);
	pc = wb_last(wl);
	sd = wb_src(wl, NBM_WLS_KMEM, NULL);
	wb_uniform(&sd->src_sizes, 8192, 65536);
	sd->src_life.lt_ns = 10 * US;
	sd->src_maxlive = 8;
	big = wb_last(wl);
	sd = wb_src(wl, NBM_WLS_VMEM, "wl-vmem");
	sd->src_base = 0x10000000;
	sd->src_span = 16ULL << 20;
	sd->src_quantum = 4096;
	sd->src_fit = VM_INSTANTFIT;
	wb_uniform(&sd->src_sizes, 4096, 65536);
	sd = wb_src(wl, NBM_WLS_EXTENT, "wl-extent");
	sd->src_base = 0;
	sd->src_span = 1ULL << 20;
	sd->src_align = 16;
	sd->src_sizes.sz_kind = NBM_WL_SIZE_LIST;
	wb_bucket(&sd->src_sizes, 16, 4);
	wb_bucket(&sd->src_sizes, 64, 3);
	wb_bucket(&sd->src_sizes, 256, 2);
	wb_bucket(&sd->src_sizes, 4096, 1);
	sd = wb_src(wl, NBM_WLS_DEVICE, "wl-dev");
	sd->src_ninstances = 4;
	sd->src_nwin = 2;
	sd->src_win[0] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_IO,
	    .win_base = 0x6000, .win_size = 0x40, .win_stride = 0x100 };
	sd->src_win[1] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_MEM,
	    .win_alloc = true, .win_base = 0xc0000000ULL,
	    .win_end = 0xdfffffffULL, .win_size = 0x10000,
	    .win_align = 0x10000 };
	sd->src_life.lt_ns = 50 * US;
	wb_op(wl, NBM_WLOP_ALLOC, km, 30, 0, 0);
	wb_op(wl, NBM_WLOP_ALLOCFREE, km, 10, 0, 0);
	wb_op(wl, NBM_WLOP_FREE, km, 3, 0, 0);
	wb_op(wl, NBM_WLOP_ALLOC, pl, 15, 0, 0);
	wb_op(wl, NBM_WLOP_ALLOC, pc, 20, 0, 0);
	wb_op(wl, NBM_WLOP_ALLOCFREE, pc, 10, 0, 0);
	wb_op(wl, NBM_WLOP_ALLOC, big, 2, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_ALLOC, big + 1, 5, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_ALLOC, big + 2, 5, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_ALLOC, big + 3, 2, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_IDLE, 0, 2, 0, 0);
	if (WB_VAL(b, MIXED_RATE) > 0) {
		wi = wb_intr(wl, "wl-net0", (double)WB_VAL(b, MIXED_RATE),
		    NBM_INTR_TARGET_RR, NBM_WLI_FREE_SOFTINT);
		wi->wi_nsrc = 2;
		wi->wi_src[0] = pc;
		wi->wi_src[1] = km;
		wi->wi_life.lt_kind = NBM_WL_LIFE_EXP;
		wi->wi_life.lt_ns = 10 * US;
		wi->wi_xcpu = (u_int)WB_VAL(b, MIXED_XCPU);
	}
	return 0;
}

/*
 * netbsd-boot: name, size, alignment, IPL, cache, boot-time objects per
 * CPU, steady-state weight.
 */
struct wb_bootpool {
	const char	*bp_name;
	uint16_t	 bp_size;
	uint16_t	 bp_align;
	int8_t		 bp_ipl;
	bool		 bp_cache;
	uint16_t	 bp_prime;
	uint16_t	 bp_weight;
};

#define CU	64	/* COHERENCY_UNIT on amd64 */

static const struct wb_bootpool wb_bootpools[] = {
	/* uipc_mbuf.c, uipc_socket.c, netinet */
	{ "mbpl",	512,	0,	IPL_VM,		true,	24,	30 },
	{ "mclpl",	2048,	0,	IPL_VM,		true,	8,	12 },
	{ "sockpl",	520,	0,	IPL_SOFTNET,	false,	6,	2 },
	{ "inpcbpl",	312,	0,	IPL_SOFTNET,	false,	4,	1 },
	{ "tcpcbpl",	728,	0,	IPL_SOFTNET,	false,	4,	1 },
	{ "tcpipqepl",	72,	0,	IPL_VM,		false,	0,	2 },
	{ "synpl",	224,	0,	IPL_SOFTNET,	false,	0,	1 },
	{ "rtentpl",	224,	0,	IPL_SOFTNET,	false,	8,	1 },
	{ "llentrypl",	280,	0,	IPL_SOFTNET,	false,	4,	1 },
	/* vfs_vnode.c, vfs_cache.c, vfs_bio.c, ufs */
	{ "vcachepl",	640,	CU,	IPL_NONE,	true,	64,	6 },
	{ "namecache",	128,	CU,	IPL_NONE,	true,	64,	8 },
	{ "bufpl",	296,	0,	IPL_SOFTBIO,	true,	16,	6 },
	{ "buf1k",	1024,	0,	IPL_NONE,	false,	4,	1 },
	{ "buf2k",	2048,	0,	IPL_NONE,	false,	4,	1 },
	{ "buf4k",	4096,	0,	IPL_NONE,	false,	8,	2 },
	{ "buf8k",	8192,	0,	IPL_NONE,	false,	4,	1 },
	{ "buf16k",	16384,	0,	IPL_NONE,	false,	2,	1 },
	{ "ffsino",	288,	0,	IPL_NONE,	true,	32,	3 },
	{ "ffsdino2",	256,	0,	IPL_NONE,	true,	32,	3 },
	/* kern_proc.c, kern_lwp.c, kern_descrip.c, kern_auth.c, ... */
	{ "procpl",	1216,	CU,	IPL_NONE,	true,	6,	1 },
	{ "lwppl",	1088,	CU,	IPL_NONE,	true,	12,	1 },
	{ "filedesc",	832,	CU,	IPL_NONE,	true,	6,	1 },
	{ "fdfile",	64,	CU,	IPL_NONE,	true,	24,	4 },
	{ "file",	128,	CU,	IPL_NONE,	true,	24,	4 },
	{ "cwdi",	64,	CU,	IPL_NONE,	true,	6,	1 },
	{ "kcredpl",	192,	0,	IPL_NONE,	true,	8,	2 },
	{ "sigacts",	3112,	0,	IPL_NONE,	false,	6,	1 },
	{ "ksiginfo",	136,	0,	IPL_VM,		true,	4,	2 },
	{ "pstatspl",	448,	0,	IPL_NONE,	false,	6,	1 },
	{ "plimitpl",	320,	0,	IPL_NONE,	false,	2,	1 },
	{ "pipepl",	616,	0,	IPL_NONE,	true,	2,	1 },
	{ "mutex",	64,	CU,	IPL_NONE,	true,	16,	3 },
	{ "rwlock",	64,	CU,	IPL_NONE,	true,	16,	2 },
	{ "tstile",	96,	0,	IPL_NONE,	true,	12,	1 },
	/* uvm */
	{ "vmsppl",	432,	0,	IPL_NONE,	true,	6,	1 },
	{ "vmmpepl",	136,	0,	IPL_VM,		true,	64,	8 },
	{ "amappl",	80,	0,	IPL_NONE,	true,	24,	4 },
	{ "anonpl",	32,	0,	IPL_NONE,	true,	96,	10 },
	{ "pmappl",	424,	0,	IPL_NONE,	true,	6,	1 },
	{ "pdppl",	4096,	4096,	IPL_NONE,	true,	6,	1 },
};

enum { BOOT_SCALE = P_NCOMMON };

static const char mclpool_warnmsg[] =
    "WARNING: mclpool limit reached; increase kern.mbuf.nmbclusters";

static int
wb_netbsd_boot(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	const struct wb_bootpool *bp;
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;
	uint64_t prime = 0;
	size_t i;

	for (i = 0; i < __arraycount(wb_bootpools); i++) {
		bp = &wb_bootpools[i];
		/* Buffer pools larger than a page need bigger pages. */
		if (bp->bp_size > b->b_cfg->page_size &&
		    (!bp->bp_cache || bp->bp_ipl != IPL_NONE))
			continue;
		sd = wb_pool(wl, bp->bp_cache, bp->bp_name, bp->bp_size,
		    bp->bp_align, bp->bp_ipl);
		sd->src_prime = (u_int)(bp->bp_prime * WB_VAL(b, BOOT_SCALE) /
		    100);
		prime += sd->src_prime;
		sd->src_life.lt_ns = 40 * US;
		if (strcmp(bp->bp_name, "mclpl") == 0) {
			/* NMBCLUSTERS scaled to the machine, as mbinit does. */
			sd->src_hardlimit = (u_int)MIN(b->b_cfg->physmem / 4 /
			    2048, 65536);
			snprintf(sd->src_warning, sizeof(sd->src_warning), "%s",
			    mclpool_warnmsg);
			sd->src_ratecap = 60;
		}
		wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), bp->bp_weight, 0, 0);
	}
	sd = wb_src(wl, NBM_WLS_KMEM, NULL);
	wb_kmem_sizes(&sd->src_sizes, 4096);
	sd->src_prime = (u_int)(64 * WB_VAL(b, BOOT_SCALE) / 100);
	prime += sd->src_prime;
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 40, 0, 0);
	wl->wl_maxlive = (u_int)MAX(1024, prime * 2);
	(void)errbuf;
	(void)errlen;
	return 0;
}

/* mbuf-storm */
enum { STORM_RATE = P_NCOMMON, STORM_XCPU, STORM_NMBCLUSTERS };

static int
wb_mbuf_storm(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;
	struct nbm_wl_intr *wi;
	u_int mb, mcl;

	(void)errbuf;
	(void)errlen;
	sd = wb_pool(wl, true, "mbpl", 512, 0, IPL_VM);
	sd->src_life.lt_ns = 20 * US;
	sd->src_xcpu = 100;
	mb = wb_last(wl);
	sd = wb_pool(wl, true, "mclpl", 2048, 0, IPL_VM);
	sd->src_life.lt_ns = 20 * US;
	sd->src_hardlimit = (u_int)WB_VAL(b, STORM_NMBCLUSTERS);
	snprintf(sd->src_warning, sizeof(sd->src_warning), "%s",
	    mclpool_warnmsg);
	sd->src_ratecap = 60;
	mcl = wb_last(wl);
	/* Threads send (alloc and free), queue a little, and process. */
	wb_op(wl, NBM_WLOP_ALLOCFREE, mb, 4, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_ALLOC, mb, 2, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_ALLOC, mcl, 2, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_IDLE, 0, 8, 0, 0);
	/* The NIC: a packet is an mbuf and a cluster, handed to softnet. */
	wi = wb_intr(wl, "wm0", (double)WB_VAL(b, STORM_RATE),
	    NBM_INTR_TARGET_RR, NBM_WLI_FREE_SOFTINT);
	wi->wi_nsrc = 2;
	wi->wi_src[0] = mb;
	wi->wi_src[1] = mcl;
	wi->wi_xcpu = (u_int)WB_VAL(b, STORM_XCPU);
	wi->wi_maxlive = 512;
	return 0;
}

/* kmem-sizes */
enum { KMEM_MAX = P_NCOMMON, KMEM_XCPU };

static int
wb_kmem_sizes_wl(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;

	(void)errbuf;
	(void)errlen;
	sd = wb_src(wl, NBM_WLS_KMEM, NULL);
	wb_kmem_sizes(&sd->src_sizes, (size_t)WB_VAL(b, KMEM_MAX));
	sd->src_xcpu = (u_int)WB_VAL(b, KMEM_XCPU);
	wb_op(wl, NBM_WLOP_ALLOC, 0, 85, 0, 0);
	wb_op(wl, NBM_WLOP_ALLOCFREE, 0, 10, 0, 0);
	wb_op(wl, NBM_WLOP_FREE, 0, 5, 0, 0);
	return 0;
}

/* vmem-frag */
enum { FRAG_KB = P_NCOMMON, FRAG_QUANTUM, FRAG_BESTFIT };

static int
wb_vmem_frag(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;
	uint64_t q = WB_VAL(b, FRAG_QUANTUM);

	if (!powerof2(q)) {
		snprintf(errbuf, errlen, "workload vmem-frag: quantum=%" PRIu64
		    ": must be a power of two", q);
		return EINVAL;
	}
	sd = wb_src(wl, NBM_WLS_VMEM, "frag");
	sd->src_base = 0x100000;
	sd->src_span = rounddown(WB_VAL(b, FRAG_KB) << 10, q);
	sd->src_quantum = q;
	sd->src_fit = WB_VAL(b, FRAG_BESTFIT) ? VM_BESTFIT : VM_INSTANTFIT;
	/* Many small segments, some large: holes that fit little. */
	sd->src_sizes.sz_kind = NBM_WL_SIZE_HISTOGRAM;
	sd->src_sizes.sz_min = q;
	wb_bucket(&sd->src_sizes, MAX(q, 256), 40);
	wb_bucket(&sd->src_sizes, MAX(2 * q, 4096), 35);
	wb_bucket(&sd->src_sizes, MAX(4 * q, 65536), 20);
	wb_bucket(&sd->src_sizes, MAX(8 * q, sd->src_span / 64), 5);
	sd->src_life.lt_ns = 100 * US;
	wb_op(wl, NBM_WLOP_ALLOC, 0, 80, NBM_WLF_NOSLEEP, 0);
	wb_op(wl, NBM_WLOP_FREE, 0, 20, 0, 0);
	return 0;
}

/* device-attach */
static int
wb_device_attach(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;

	(void)errbuf;
	(void)errlen;
	/* com(4) at the two legacy serial ports. */
	sd = wb_src(wl, NBM_WLS_DEVICE, "com");
	sd->src_ninstances = 2;
	sd->src_nwin = 1;
	sd->src_win[0] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_IO,
	    .win_base = 0x2f8, .win_size = 8, .win_stride = 0x100 };
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 2, 0, 0);
	/* lpt(4): one port range; a second attach finds it busy. */
	sd = wb_src(wl, NBM_WLS_DEVICE, "lpt");
	sd->src_ninstances = 1;
	sd->src_nwin = 1;
	sd->src_win[0] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_IO,
	    .win_base = 0x378, .win_size = 8 };
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 1, 0, 0);
	/* vga(4): the ISA frame buffer window and its ports. */
	sd = wb_src(wl, NBM_WLS_DEVICE, "vga");
	sd->src_ninstances = 1;
	sd->src_nwin = 2;
	sd->src_win[0] = (struct nbm_wl_window){
	    .win_space = NBM_WL_SPACE_MEM, .win_base = 0xa0000,
	    .win_size = 0x20000 };
	sd->src_win[1] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_IO,
	    .win_base = 0x3c0, .win_size = 0x20 };
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 1, 0, 0);
	/* wm(4): PCI I/O and memory BARs, assigned by bus_space_alloc. */
	sd = wb_src(wl, NBM_WLS_DEVICE, "wm");
	sd->src_ninstances = 1;
	sd->src_nwin = 2;
	sd->src_win[0] = (struct nbm_wl_window){ .win_space = NBM_WL_SPACE_IO,
	    .win_alloc = true, .win_base = 0x1000, .win_end = 0xffff,
	    .win_size = 0x20, .win_align = 0x20 };
	sd->src_win[1] = (struct nbm_wl_window){
	    .win_space = NBM_WL_SPACE_MEM, .win_alloc = true,
	    .win_base = 0xc0000000ULL, .win_end = 0xdfffffffULL,
	    .win_size = 0x20000, .win_align = 0x20000 };
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 4, 0, 0);
	/* ahcisata(4): one memory BAR. */
	sd = wb_src(wl, NBM_WLS_DEVICE, "ahcisata");
	sd->src_ninstances = 1;
	sd->src_nwin = 1;
	sd->src_win[0] = (struct nbm_wl_window){
	    .win_space = NBM_WL_SPACE_MEM, .win_alloc = true,
	    .win_base = 0xe0000000ULL, .win_end = 0xfebfffffULL,
	    .win_size = 0x2000, .win_align = 0x2000 };
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 3, 0, 0);
	/* Drivers keep a softc: kmem. */
	sd = wb_src(wl, NBM_WLS_KMEM, NULL);
	wb_uniform(&sd->src_sizes, 256, 2048);
	wb_op(wl, NBM_WLOP_ALLOC, wb_last(wl), 4, 0, 0);
	wb_op(wl, NBM_WLOP_IDLE, 0, 4, 0, 0);
	return 0;
}

/*
 * pressure: the first thread of each CPU holds page-sized items of a pool
 * (allocated without sleeping, one page each; the pool keeps no idle page,
 * so what the fillers let go of goes back to the free list) until the
 * machine runs short of pages; the other threads allocate with KM_SLEEP
 * and PR_WAITOK, run into the shortage and wait in uvm_wait, which sets
 * the page daemon on the pools' idle pages.
 */
enum { PRESS_FILL = P_NCOMMON };

static int
wb_pressure(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	const struct nbm_config *cfg = b->b_cfg;
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;
	uint64_t npages = cfg->physmem / cfg->page_size, per, fillops;
	uint32_t rest;

	if (wl->wl_threads < 2) {
		snprintf(errbuf, errlen, "workload pressure: threads=%u: needs "
		    "at least 2 threads per CPU (fillers and sleepers)",
		    wl->wl_threads);
		return EINVAL;
	}
	rest = ~0x1U & (0xffffffffU >> (32 - wl->wl_threads));
	per = howmany(npages * WB_VAL(b, PRESS_FILL) / 100, cfg->ncpu);
	wl->wl_maxlive = (u_int)MIN(MAX(per + 64, 1024), 1U << 20);
	/* A plain pool that keeps no idle page: the fillers' pages return. */
	sd = wb_pool(wl, false, "pressure-fill", cfg->page_size, 0, IPL_VM);
	sd->src_hiwat = 1;
	sd->src_life.lt_ns = 2000 * US;
	sd->src_maxlive = (u_int)MIN(per, wl->wl_maxlive);
	wb_op(wl, NBM_WLOP_ALLOC, 0, 10, NBM_WLF_NOSLEEP, 0x1);
	wb_op(wl, NBM_WLOP_IDLE, 0, 1, 0, 0x1);
	sd = wb_pool(wl, true, "pressure-obj", 1024, 0, IPL_VM);
	sd->src_life.lt_ns = 20 * US;
	wb_op(wl, NBM_WLOP_ALLOC, 1, 6, 0, rest);
	wb_op(wl, NBM_WLOP_ALLOCFREE, 1, 2, 0, rest);
	sd = wb_src(wl, NBM_WLS_KMEM, NULL);
	wb_uniform(&sd->src_sizes, 64, 2048);
	sd->src_life.lt_ns = 20 * US;
	wb_op(wl, NBM_WLOP_ALLOC, 2, 4, 0, rest);
	/* Enough operations for the fillers to get there, by default. */
	fillops = npages * WB_VAL(b, PRESS_FILL) / 100 * wl->wl_threads * 2;
	if (!b->b_p[P_OPS].p_set && !b->b_p[P_TIME].p_set &&
	    fillops > wl->wl_stop_ops)
		wl->wl_stop_ops = fillops;
	return 0;
}

/*
 * hardlimit: a pool with a hard limit.  The first thread of each CPU
 * holds items with PR_WAITOK|PR_LIMITFAIL (and some PR_NOWAIT), failing at
 * the limit with the pool's warning; the others get and put with
 * PR_WAITOK and wait at the limit until an item comes back.
 */
enum { HL_LIMIT = P_NCOMMON };

static int
wb_hardlimit(struct wb_ctx *b, char *errbuf, size_t errlen)
{
	struct nbm_workload *wl = b->b_wl;
	struct nbm_wl_source *sd;
	uint32_t rest;

	if (wl->wl_threads < 2) {
		snprintf(errbuf, errlen, "workload hardlimit: threads=%u: needs "
		    "at least 2 threads per CPU (holders and waiters)",
		    wl->wl_threads);
		return EINVAL;
	}
	rest = ~0x1U & (0xffffffffU >> (32 - wl->wl_threads));
	sd = wb_pool(wl, false, "hlpool", 256, 0, IPL_VM);
	sd->src_hardlimit = (u_int)(WB_VAL(b, HL_LIMIT) != 0 ?
	    WB_VAL(b, HL_LIMIT) : 4 * b->b_cfg->ncpu);
	snprintf(sd->src_warning, sizeof(sd->src_warning),
	    "WARNING: hlpool limit reached");
	sd->src_ratecap = 1;
	sd->src_life.lt_ns = 20 * US;
	wb_op(wl, NBM_WLOP_ALLOC, 0, 8, NBM_WLF_LIMITFAIL, 0x1);
	wb_op(wl, NBM_WLOP_ALLOC, 0, 2, NBM_WLF_NOSLEEP, 0x1);
	wb_op(wl, NBM_WLOP_ALLOCFREE, 0, 6, 0, rest);
	wb_op(wl, NBM_WLOP_IDLE, 0, 2, 0, rest);
	return 0;
}

/*
 * The table.
 */
struct wb_builtin {
	const char	*wb_name;
	const char	*wb_descr;	/* one sentence */
	int		(*wb_fn)(struct wb_ctx *, char *, size_t);
	u_int		 wb_threads;	/* default threads per CPU */
	uint64_t	 wb_ops;	/* default operations per CPU */
	struct wb_param	 wb_own[4];	/* its own parameters */
	u_int		 wb_nown;
};

static const struct wb_builtin wb_builtins[] = {
	{ "mixed", "A bit of everything: kmem sizes, a pool, a pool cache "
	    "with a constructor, large kmem, a vmem arena, an extent, a "
	    "device, cross-CPU frees and a network interrupt whose objects a "
	    "soft interrupt frees.", wb_mixed, 1, 20000,
	    { { "rate", 0, 10000000, 20000, false,
		"network interrupts per second and CPU (0: none)" },
	      { "xcpu", 0, 1000, 200, false,
		"objects freed on another CPU, per mille" } }, 2 },
	{ "netbsd-boot", "The pools a NetBSD/amd64 kernel creates at boot, "
	    "with their names, sizes, alignments and IPLs, filled with the "
	    "objects a booted system holds, then a steady state of allocations "
	    "across them and kmem.", wb_netbsd_boot, 1, 20000,
	    { { "scale", 0, 10000, 100, false,
		"boot population, percent of a small system's" } }, 1 },
	{ "mbuf-storm", "Network receive interrupts on every CPU in turn "
	    "allocate an mbuf and a cluster each, which a soft interrupt frees "
	    "(or, for a share, threads on other CPUs), while threads send "
	    "packets of their own.", wb_mbuf_storm, 1, 20000,
	    { { "rate", 1, 10000000, 100000, false,
		"receive interrupts per second and CPU" },
	      { "xcpu", 0, 1000, 250, false,
		"packets freed on another CPU, per mille" },
	      { "nmbclusters", 16, 1000000, 1024, false,
		"hard limit of the cluster pool (NMBCLUSTERS)" } }, 3 },
	{ "kmem-sizes", "kmem_alloc and kmem_free with the request sizes of a "
	    "running kernel, mostly small structures with a tail of buffers up "
	    "to 64 KiB.", wb_kmem_sizes_wl, 1, 20000,
	    { { "max", 16, 1 << 20, 65536, false,
		"largest request size, bytes" },
	      { "xcpu", 0, 1000, 50, false,
		"objects freed on another CPU, per mille" } }, 2 },
	{ "vmem-frag", "Random sizes and lifetimes in one vmem arena, with "
	    "early random frees, so that its free space breaks into pieces.",
	    wb_vmem_frag, 1, 20000,
	    { { "arena_kb", 64, 1 << 22, 16384, false,
		"size of the arena, KiB" },
	      { "quantum", 1, 65536, 16, false,
		"the arena's quantum, bytes" },
	      { "bestfit", 0, 1, 0, false,
		"1: VM_BESTFIT, 0: VM_INSTANTFIT" } }, 3 },
	{ "device-attach", "Drivers attach and detach, mapping I/O ports and "
	    "memory windows with bus_space_map and bus_space_alloc, some fixed "
	    "and contended, some assigned.", wb_device_attach, 1, 10000,
	    { { NULL, 0, 0, 0, false, NULL } }, 0 },
	{ "pressure", "Fillers hold page-sized pool items until free memory "
	    "drops below the page daemon's target while other threads allocate "
	    "with KM_SLEEP and PR_WAITOK and wait, so the page daemon drains "
	    "the pools.",
	    wb_pressure, 2, 10000,
	    { { "fill", 10, 1000, 120, false,
		"pages the fillers hold, percent of physical memory" } }, 1 },
	{ "hardlimit", "A pool at its hard limit: holders fail with "
	    "PR_LIMITFAIL and PR_NOWAIT and trigger the pool's warning, while "
	    "PR_WAITOK callers wait for items to come back.", wb_hardlimit, 2,
	    10000, { { "limit", 0, 1000000, 0, false,
		"the pool's hard limit, items (0: 4 per CPU)" } }, 1 },
};

/*
 * wb_defaults: the parameter table of a built-in with its defaults for a
 * machine of configuration cfg: the four every built-in takes, then its
 * own.
 */
static void
wb_defaults(const struct wb_builtin *wb, const struct nbm_config *cfg,
    struct wb_param *p)
{
	u_int i;

	p[P_OPS] = (struct wb_param){ "ops", 0, 1000000000000ULL,
	    wb->wb_ops * cfg->ncpu, false,
	    "operations in all, the stop condition" };
	p[P_TIME] = (struct wb_param){ "time_ms", 0, 86400000ULL, 0, false,
	    "machine time to run, ms (alone: the stop condition)" };
	p[P_THREADS] = (struct wb_param){ "threads", 1, NBM_WL_MAXTHREADS,
	    wb->wb_threads, false, "threads per CPU" };
	p[P_SEED] = (struct wb_param){ "seed", 0, UINT64_MAX, 0, false,
	    "mixed with the machine's seed" };
	for (i = 0; i < wb->wb_nown; i++)
		p[P_NCOMMON + i] = wb->wb_own[i];
}

int
nbm_workload_builtin_param(u_int i, u_int j, const struct nbm_config *cfg,
    struct nbm_wl_paraminfo *pi)
{
	struct wb_param p[P_NCOMMON + 4];
	const struct wb_builtin *wb;

	if (i >= __arraycount(wb_builtins))
		return EINVAL;
	wb = &wb_builtins[i];
	if (j >= P_NCOMMON + wb->wb_nown)
		return ENOENT;
	wb_defaults(wb, cfg, p);
	pi->wp_key = p[j].p_key;
	pi->wp_descr = p[j].p_descr;
	pi->wp_min = p[j].p_min;
	pi->wp_max = p[j].p_max;
	pi->wp_default = p[j].p_val;
	return 0;
}

/*
 * The key lists of nbm_workload_builtin_info, made once from the
 * parameter tables (the defaults do not matter: any machine will do).
 */
static char wb_keylist[__arraycount(wb_builtins)][160];
static pthread_once_t wb_keylist_once = PTHREAD_ONCE_INIT;

static void
wb_keylist_init(void)
{
	struct wb_param p[P_NCOMMON + 4];
	struct nbm_config cfg;
	u_int i;

	nbm_config_init(&cfg);
	for (i = 0; i < __arraycount(wb_builtins); i++) {
		wb_defaults(&wb_builtins[i], &cfg, p);
		wb_keys(p, P_NCOMMON + wb_builtins[i].wb_nown, wb_keylist[i],
		    sizeof(wb_keylist[i]));
	}
}

const char *
nbm_workload_builtin_info(u_int i, const char **descr, const char **keys)
{

	if (i >= __arraycount(wb_builtins))
		return NULL;
	if (descr != NULL)
		*descr = wb_builtins[i].wb_descr;
	if (keys != NULL) {
		pthread_once(&wb_keylist_once, wb_keylist_init);
		*keys = wb_keylist[i];
	}
	return wb_builtins[i].wb_name;
}

int
nbm_workload_builtin(const char *name, const char *params,
    const struct nbm_config *cfg, struct nbm_workload *wl, char *errbuf,
    size_t errlen)
{
	const struct wb_builtin *wb = NULL;
	struct wb_param p[P_NCOMMON + 4];
	struct wb_ctx b;
	char names[160];
	size_t i, off = 0;
	int error;

	if (errlen > 0)
		errbuf[0] = '\0';
	if (name == NULL || name[0] == '\0')
		name = "mixed";
	for (i = 0; i < __arraycount(wb_builtins); i++) {
		if (strcmp(wb_builtins[i].wb_name, name) == 0)
			wb = &wb_builtins[i];
		off += (size_t)snprintf(names + off, sizeof(names) - off,
		    "%s%s", i > 0 ? ", " : "", wb_builtins[i].wb_name);
	}
	if (wb == NULL) {
		snprintf(errbuf, errlen, "workload \"%s\": no such built-in "
		    "(built-ins: %s)", name, names);
		return EINVAL;
	}
	wb_defaults(wb, cfg, p);
	if ((error = wb_parse(name, params, p, P_NCOMMON + wb->wb_nown,
	    errbuf, errlen)) != 0)
		return error;
	nbm_workload_init(wl);
	snprintf(wl->wl_name, sizeof(wl->wl_name), "%s", wb->wb_name);
	/* A time limit alone runs for that long. */
	wl->wl_stop_ops = p[P_TIME].p_set && !p[P_OPS].p_set ? 0 :
	    p[P_OPS].p_val;
	wl->wl_stop_ns = p[P_TIME].p_val * 1000000ULL;
	wl->wl_threads = (u_int)p[P_THREADS].p_val;
	wl->wl_seed = p[P_SEED].p_val;
	b.b_cfg = cfg;
	b.b_wl = wl;
	b.b_p = p;
	if ((error = wb->wb_fn(&b, errbuf, errlen)) != 0)
		return error;
	return nbm_workload_validate(wl, cfg, errbuf, errlen);
}
