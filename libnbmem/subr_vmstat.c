/*
 * subr_vmstat.c: NetBSD's vmstat -m, -mW and -C tables over kern.pool
 * records, and the kern.pool sysctl itself.
 *
 * The tables reproduce the running-system (sysctl) path of NetBSD's
 * usr.bin/vmstat/vmstat.c 1.220 byte for byte (spec 4.2-4.4):
 *
 *  - Column layout.  Each numeric field is a blank followed by the value
 *    right-justified, so that the field normally takes `width' columns.  A
 *    value wider than that pushes the line right, and the excess
 *    ("overflow") is remembered and taken back from the padding of the
 *    following fields until it is absorbed, so that a single huge counter
 *    shifts a few columns rather than the whole rest of the line.  vmstat
 *    does this with its PRWORD macro; prword() below is the same rule.
 *    Field widths, the `fixed' part of each field that does not shrink and
 *    its quirks are vmstat's: the -C name field claims 13 columns but is
 *    printed in 12, and the wide Flags field has a fixed part of 1 for a
 *    3-character " 0x", so that its hex digits lose their zero padding
 *    when an overflow is pending and the field always leaves an overflow
 *    of 2 or more behind (harmless: Util, printed after it, is not a
 *    PRWORD field).
 *  - Totals use plain printf widths without overflow compensation, over
 *    the printed rows only; vmstat formats the wide InUse and Avail totals
 *    into 8-byte buffers, so they are cut to 7 characters.
 *  - The "In use" trailer divides the byte sums by 1024 before computing
 *    the utilization; PR_RECURSIVE pools add only their free bytes to the
 *    total (their items are other pools' pages, counted there).
 *  - Percentages of nothing (0/0) print as "nan", unsigned: NetBSD's
 *    printf prints no sign for a NaN, where glibc would print "-nan" for
 *    the NaN that 0.0/0.0 gives on amd64.  fmt_double() takes care of it.
 *
 * Every line is built in a buffer and handed to the caller's output
 * callback whole.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <nbmem/vmstat.h>

#include "nbm_impl.h"

#ifndef PR_RECURSIVE
#define PR_RECURSIVE	0x200	/* sys/pool.h: items are pool pages */
#endif
CTASSERT(PR_RECURSIVE == 0x200);

#define KILO		1024

/*
 * Longest line: a wide -m row of 20-digit counters, with the Util of a
 * nonsensical record (up to 22 digits before the point), is under 420
 * characters.  Longer text would be cut, never overrun the buffer.
 */
#define VMSTAT_LINE_MAX	1024

struct vmstat_line {
	char	vl_buf[VMSTAT_LINE_MAX + 2];	/* text, and "\n" */
	size_t	vl_len;				/* length of the text */
};

static void
line_init(struct vmstat_line *l)
{

	l->vl_len = 0;
	l->vl_buf[0] = '\0';
}

/*
 * line_add: append formatted text, as much as fits.
 *
 * => returns what printf would have returned: the length of the whole
 *    text, which vmstat's PRWORD counts.
 */
static int __printflike(2, 3)
line_add(struct vmstat_line *l, const char *fmt, ...)
{
	size_t room = VMSTAT_LINE_MAX + 1 - l->vl_len;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(l->vl_buf + l->vl_len, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->vl_len += MIN((size_t)n, room - 1);
	return n;
}

static void
line_pad(struct vmstat_line *l, char c, int n)
{

	while (n-- > 0 && l->vl_len < VMSTAT_LINE_MAX) {
		l->vl_buf[l->vl_len++] = c;
		l->vl_buf[l->vl_len] = '\0';
	}
}

/* line_end: terminate the line with "\n" and hand it out. */
static void
line_end(struct vmstat_line *l, nbm_vmstat_out_t *out, void *arg)
{

	l->vl_buf[l->vl_len++] = '\n';
	l->vl_buf[l->vl_len] = '\0';
	out(arg, l->vl_buf);
	line_init(l);
}

#define PW_LEFT		0x01	/* left-justify ("%-*s") */
#define PW_ZERO		0x02	/* pad with zeros ("%0*x") */

/*
 * prword: print one field the way vmstat's PRWORD does: `lead', then
 * `val' justified in width - fixed - *ovflw columns (none if that is not
 * positive), then charge what the field took beyond `width' to *ovflw.
 * vmstat's `fixed' is its count of constant characters in the format; it
 * is passed as vmstat passes it, even where it is not strlen(lead).
 */
static void
prword(struct vmstat_line *l, int *ovflw, const char *lead, int width,
    int fixed, int how, const char *val)
{
	int w, vlen, pad, printed;

	w = width - fixed - *ovflw;
	if (w < 0)
		w = 0;
	vlen = (int)strlen(val);
	pad = w > vlen ? w - vlen : 0;
	line_add(l, "%s", lead);
	if (how & PW_LEFT) {
		line_add(l, "%s", val);
		line_pad(l, ' ', pad);
	} else {
		line_pad(l, (how & PW_ZERO) ? '0' : ' ', pad);
		line_add(l, "%s", val);
	}
	printed = (int)strlen(lead) + pad + vlen;
	*ovflw += printed - width;
	if (*ovflw < 0)
		*ovflw = 0;
}

/* prword_u64: vmstat's PRWORD(ovflw, " %*" PRIu64, width, 1, v). */
static void
prword_u64(struct vmstat_line *l, int *ovflw, int width, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	prword(l, ovflw, " ", width, 1, 0, buf);
}

/*
 * fmt_double: v with `prec' decimals, as NetBSD's printf prints it: a NaN
 * is "nan" whatever its sign bit.
 */
static void
fmt_double(char *buf, size_t len, int prec, double v)
{

	if (isnan(v))
		snprintf(buf, len, "nan");
	else
		snprintf(buf, len, "%.*f", prec, v);
}

/*
 * ratio: num / den as the FPU computes it, without dividing by zero: a
 * NaN for 0/0, infinity for x/0.
 */
static double
ratio(double num, uint64_t den)
{

	if (den == 0)
		return num == 0 ? NAN : INFINITY;
	return num / (double)den;
}

/* The pool's name, bounded even if the record is not NUL-terminated. */
static void
pool_name(const struct pool_sysctl *pp, char *buf)
{
	size_t n = strnlen(pp->pr_wchan, sizeof(pp->pr_wchan));

	memcpy(buf, pp->pr_wchan, n);
	buf[n] = '\0';
}

struct pool_totals {
	uint64_t	pt_nget;	/* Requests */
	uint64_t	pt_nfail;	/* Fail */
	uint64_t	pt_nput;	/* Releases */
	uint64_t	pt_nout;	/* InUse (wide) */
	uint64_t	pt_nitems;	/* Avail (wide) */
	uint64_t	pt_npagealloc;	/* Pgreq */
	uint64_t	pt_npagefree;	/* Pgrel */
	uint64_t	pt_npages;	/* Npage */
};

/*
 * nbm_vmstat_pool: vmstat -m (dopool_sysctl in vmstat.c 1.220).
 */
void
nbm_vmstat_pool(const struct pool_sysctl *pools, size_t npools, int flags,
    nbm_vmstat_out_t *out, void *arg)
{
	const bool wide = (flags & NBM_VMSTAT_WIDE) != 0;
	const bool verbose = (flags & NBM_VMSTAT_VERBOSE) != 0;
	const int name_len = MIN(NBM_POOL_WCHAN_MAX, wide ? 16 : 11);
	const struct pool_sysctl *pp;
	struct pool_totals pt;
	struct vmstat_line l;
	uint64_t inuse, total, this_inuse, this_total;
	char name[NBM_POOL_WCHAN_MAX + 1], maxp[32], buf[32];
	char in_use[32], avail[32];
	size_t i;
	int ovflw;

	memset(&pt, 0, sizeof(pt));
	inuse = total = 0;
	line_init(&l);

	out(arg, "Memory resource pool statistics\n");
	line_add(&l, "%-*s%*s%*s%5s%*s%s%s%*s%*s%6s%s%6s%6s%6s%5s%s%s",
	    wide ? 16 : 11, "Name",
	    wide ? 6 : 5, "Size",
	    wide ? 12 : 9, "Requests",
	    "Fail",
	    wide ? 12 : 9, "Releases",
	    wide ? "  InUse" : "",
	    wide ? " Avail" : "",
	    wide ? 7 : 6, "Pgreq",
	    wide ? 7 : 6, "Pgrel",
	    "Npage",
	    wide ? " PageSz" : "",
	    "Hiwat",
	    "Minpg",
	    "Maxpg",
	    "Idle",
	    wide ? " Flags" : "",
	    wide ? "   Util" : "");
	line_end(&l, out, arg);

	for (i = 0; i < npools; i++) {
		pp = &pools[i];
		if (pp->pr_nget == 0 && !verbose)
			continue;
		if (pp->pr_maxpages == UINT_MAX)
			snprintf(maxp, sizeof(maxp), "inf");
		else
			snprintf(maxp, sizeof(maxp), "%" PRIu64,
			    pp->pr_maxpages);

		ovflw = 0;
		pool_name(pp, name);
		prword(&l, &ovflw, "", name_len, 0, PW_LEFT, name);
		prword_u64(&l, &ovflw, wide ? 6 : 5, pp->pr_size);
		prword_u64(&l, &ovflw, wide ? 12 : 9, pp->pr_nget);
		pt.pt_nget += pp->pr_nget;
		prword_u64(&l, &ovflw, 5, pp->pr_nfail);
		pt.pt_nfail += pp->pr_nfail;
		prword_u64(&l, &ovflw, wide ? 12 : 9, pp->pr_nput);
		pt.pt_nput += pp->pr_nput;
		if (wide) {
			prword_u64(&l, &ovflw, 7, pp->pr_nout);
			pt.pt_nout += pp->pr_nout;
			prword_u64(&l, &ovflw, 6, pp->pr_nitems);
			pt.pt_nitems += pp->pr_nitems;
		}
		prword_u64(&l, &ovflw, wide ? 7 : 6, pp->pr_npagealloc);
		pt.pt_npagealloc += pp->pr_npagealloc;
		prword_u64(&l, &ovflw, wide ? 7 : 6, pp->pr_npagefree);
		pt.pt_npagefree += pp->pr_npagefree;
		prword_u64(&l, &ovflw, 6, pp->pr_npages);
		pt.pt_npages += pp->pr_npages;
		if (wide)
			prword_u64(&l, &ovflw, 7, pp->pr_pagesize);
		prword_u64(&l, &ovflw, 6, pp->pr_hiwat);
		prword_u64(&l, &ovflw, 6, pp->pr_minpages);
		prword(&l, &ovflw, " ", 6, 1, 0, maxp);
		prword_u64(&l, &ovflw, 5, pp->pr_nidle);
		if (wide) {
			snprintf(buf, sizeof(buf), "%" PRIx64, pp->pr_flags);
			prword(&l, &ovflw, " 0x", 4, 1, PW_ZERO, buf);
		}

		this_inuse = pp->pr_nout * pp->pr_size;
		this_total = pp->pr_npages * pp->pr_pagesize;
		if (pp->pr_flags & PR_RECURSIVE) {
			/* Its items are counted in the pools they back. */
			total += this_total - this_inuse;
		} else {
			inuse += this_inuse;
			total += this_total;
		}
		if (wide) {
			if (this_total == 0)
				line_add(&l, "   ---");
			else
				line_add(&l, " %5.1f%%",
				    (100.0 * this_inuse) / this_total);
		}
		line_end(&l, out, arg);
	}

	/* vmstat formats these into char[8]: at most 7 characters. */
	in_use[0] = avail[0] = '\0';
	if (wide) {
		snprintf(in_use, sizeof(in_use), "%7" PRId64,
		    (int64_t)pt.pt_nout);
		in_use[7] = '\0';
		snprintf(avail, sizeof(avail), "%6" PRId64,
		    (int64_t)pt.pt_nitems);
		avail[7] = '\0';
	}
	line_add(&l, "%-*s%*s%*" PRId64 "%5" PRId64 "%*" PRId64 "%s%s%*" PRId64
	    "%*" PRId64 "%6" PRId64,
	    wide ? 16 : 11, "Totals",
	    wide ? 6 : 5, "",
	    wide ? 12 : 9, (int64_t)pt.pt_nget,
	    (int64_t)pt.pt_nfail,
	    wide ? 12 : 9, (int64_t)pt.pt_nput,
	    in_use,
	    avail,
	    wide ? 7 : 6, (int64_t)pt.pt_npagealloc,
	    wide ? 7 : 6, (int64_t)pt.pt_npagefree,
	    (int64_t)pt.pt_npages);
	line_end(&l, out, arg);

	inuse /= KILO;
	total /= KILO;
	fmt_double(buf, sizeof(buf), 1, ratio(100.0 * inuse, total));
	out(arg, "\n");
	line_add(&l, "In use %" PRIu64 "K, total allocated %" PRIu64
	    "K; utilization %s%%", inuse, total, buf);
	line_end(&l, out, arg);
}

/*
 * nbm_vmstat_poolcache: vmstat -C (dopoolcache_sysctl in vmstat.c 1.220).
 */
void
nbm_vmstat_poolcache(const struct pool_sysctl *pools, size_t npools,
    int flags, nbm_vmstat_out_t *out, void *arg)
{
	const bool verbose = (flags & NBM_VMSTAT_VERBOSE) != 0;
	const struct pool_sysctl *pp;
	struct vmstat_line l;
	char name[NBM_POOL_WCHAN_MAX + 1], buf[32];
	bool first = true;
	uint64_t tot;
	size_t i;
	int ovflw;

	line_init(&l);
	for (i = 0; i < npools; i++) {
		pp = &pools[i];
		if (pp->pr_cache_meta_size == 0)
			continue;
		if (pp->pr_cache_nmiss_global == 0 && !verbose)
			continue;

		if (first) {
			out(arg, "Pool cache statistics.\n");
			line_add(&l, "%-*s%*s%*s%*s%*s%*s%*s%*s%*s%*s",
			    12, "Name",
			    6, "Spin",
			    6, "GrpSz",
			    5, "Full",
			    5, "Emty",
			    10, "PoolLayer",
			    11, "CacheLayer",
			    6, "Hit%",
			    12, "CpuLayer",
			    6, "Hit%");
			line_end(&l, out, arg);
			first = false;
		}

		ovflw = 0;
		pool_name(pp, name);
		prword(&l, &ovflw, "", MIN(NBM_POOL_WCHAN_MAX, 13), 1, PW_LEFT,
		    name);
		prword_u64(&l, &ovflw, 6, pp->pr_cache_ncontended);
		prword_u64(&l, &ovflw, 6, pp->pr_cache_meta_size);
		prword_u64(&l, &ovflw, 5, pp->pr_cache_nfull);
		prword_u64(&l, &ovflw, 5, pp->pr_cache_nempty);
		prword_u64(&l, &ovflw, 10, pp->pr_cache_nmiss_global);

		tot = pp->pr_cache_nhit_global + pp->pr_cache_nmiss_global;
		prword_u64(&l, &ovflw, 11, tot);
		fmt_double(buf, sizeof(buf), 1,
		    ratio(pp->pr_cache_nhit_global * 100.0, tot));
		prword(&l, &ovflw, " ", 6, 1, 0, buf);

		tot = pp->pr_cache_nhit_pcpu + pp->pr_cache_nmiss_pcpu;
		prword_u64(&l, &ovflw, 12, tot);
		fmt_double(buf, sizeof(buf), 1,
		    ratio(pp->pr_cache_nhit_pcpu * 100.0, tot));
		prword(&l, &ovflw, " ", 6, 1, 0, buf);
		line_end(&l, out, arg);
	}
}

/*
 * nbm_vmstat: one pass of vmstat's main loop for -m and -C.
 */
int
nbm_vmstat(const struct pool_sysctl *pools, size_t npools, int flags,
    nbm_vmstat_out_t *out, void *arg)
{

	if (out == NULL || (flags & ~NBM_VMSTAT_ALL) != 0 ||
	    (flags & (NBM_VMSTAT_POOLS | NBM_VMSTAT_CACHES)) == 0)
		return EINVAL;
	if (flags & NBM_VMSTAT_POOLS) {
		nbm_vmstat_pool(pools, npools, flags, out, arg);
		out(arg, "\n");
	}
	if (flags & NBM_VMSTAT_CACHES) {
		nbm_vmstat_poolcache(pools, npools, flags, out, arg);
		out(arg, "\n");
	}
	return 0;
}

/*
 * nbm_kern_pool_copyout: sysctl kern.pool over an array of records (spec
 * 4.1: a size probe, then whole records until the buffer is full).
 */
int
nbm_kern_pool_copyout(const struct pool_sysctl *pools, size_t npools,
    void *oldp, size_t *oldlenp)
{
	size_t n;

	if (oldlenp == NULL)
		return EINVAL;
	if (oldp == NULL) {
		*oldlenp = npools * sizeof(*pools);
		return 0;
	}
	n = MIN(npools, *oldlenp / sizeof(*pools));
	if (n > 0)
		memcpy(oldp, pools, n * sizeof(*pools));
	*oldlenp = n * sizeof(*pools);
	return 0;
}

/*
 * nbm_kern_pool_list: every field of every record, name=value.
 */
void
nbm_kern_pool_list(const struct pool_sysctl *pools, size_t npools,
    nbm_vmstat_out_t *out, void *arg)
{
	const struct nbm_stat_field *f;
	struct vmstat_line l;
	char buf[32];
	size_t i, j;

	line_init(&l);
	for (i = 0; i < npools; i++) {
		for (j = 0; j < nbm_pool_nfields; j++) {
			f = &nbm_pool_fields[j];
			nbm_stat_format(f, &pools[i], buf, sizeof(buf));
			line_add(&l, "%s%s=%s", j == 0 ? "" : " ", f->sf_name,
			    buf);
		}
		line_end(&l, out, arg);
	}
}
