/*
 * child-wldesc.c: workload descriptions in JSON (schema/workload.schema.json)
 * onto struct nbm_workload (<nbmem/workload.h>).
 *
 * The mapping is a set of tables, one per JSON object: each member's name,
 * what it must be, where it goes in the C structure and its bounds.  One
 * walker (wj_object) reads an object through its table, so that every
 * error names the member at fault by its path -- "workload.sources[2].
 * align" -- and what is accepted, and a member the table does not know is
 * an error, not silently ignored.  What depends on several members or on
 * the machine (a pool's alignment against its size, a CPU against ncpu)
 * is checked afterwards by nbm_workload_validate(), whose messages name
 * the field the same way.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <nbmem/nbmem.h>
#include <nbmem/pool.h>
#include <nbmem/vmem.h>
#include <nbmem/workload.h>

#include "child.h"

enum wj_type {
	WJ_U64,		/* uint64_t in [0, max] */
	WJ_UINT,	/* u_int in [min, max] */
	WJ_SIZE,	/* size_t in [min, max] */
	WJ_NUMBER,	/* double in (0, max] */
	WJ_BOOL,	/* bool */
	WJ_STR,		/* char[size], at most size - 1 bytes */
	WJ_WORD,	/* int, one of words */
	WJ_WORDS,	/* int, an array of words or-ed */
	WJ_UINTS,	/* u_int[max], count at countoff */
	WJ_CPUSET,	/* uint64_t[], bits of CPU numbers */
	WJ_OBJECT,	/* members of the same structure (sub) */
	WJ_ARRAY,	/* struct[max] of sub, count at countoff */
	WJ_SIZES,	/* struct nbm_wl_sizes: a number or an object */
	WJ_LIFE,	/* struct nbm_wl_life: a number, "end" or an object */
};

struct wj_word {
	const char	*ww_name;
	int		 ww_value;
};

struct wj_field {
	const char	*wf_name;	/* JSON member */
	enum wj_type	 wf_type;
	size_t		 wf_off;	/* offset in the structure */
	uint64_t	 wf_min;
	uint64_t	 wf_max;	/* bound; STR: buffer size; ARRAY,
					   UINTS: entries */
	const struct wj_word *wf_words;	/* WORD, WORDS */
	const struct wj_field *wf_sub;	/* OBJECT, ARRAY */
	size_t		 wf_elsize;	/* ARRAY: size of an element */
	size_t		 wf_countoff;	/* ARRAY, UINTS: the u_int count */
	void		(*wf_init)(void *); /* ARRAY: an element's defaults */
};

#define WJ_END	{ .wf_name = NULL }

/* Defaults of array elements, before their members are read. */
static void
wj_source_init(void *p)
{
	struct nbm_wl_source *src = p;

	src->src_fit = VM_INSTANTFIT;
}

static void
wj_op_init(void *p)
{
	struct nbm_wl_op *op = p;

	op->op_weight = 1;
}

static void
wj_intr_init(void *p)
{
	struct nbm_wl_intr *wi = p;

	wi->wi_intr.ic_ipl = IPL_VM;
	wi->wi_intr.ic_dist = NBM_INTR_PERIODIC;
	wi->wi_intr.ic_rate = 100;
	wi->wi_intr.ic_burst = 1;
	wi->wi_intr.ic_target = NBM_INTR_TARGET_CPU;
}

static const struct wj_word wj_ipls[] = {
	{ "none", IPL_NONE }, { "softclock", IPL_SOFTCLOCK },
	{ "softbio", IPL_SOFTBIO }, { "softnet", IPL_SOFTNET },
	{ "softserial", IPL_SOFTSERIAL }, { "vm", IPL_VM },
	{ "sched", IPL_SCHED }, { "high", IPL_HIGH }, { NULL, 0 }
};
static const struct wj_word wj_kinds[] = {
	{ "kmem", NBM_WLS_KMEM }, { "pool", NBM_WLS_POOL },
	{ "pool_cache", NBM_WLS_POOL_CACHE }, { "vmem", NBM_WLS_VMEM },
	{ "extent", NBM_WLS_EXTENT }, { "device", NBM_WLS_DEVICE },
	{ NULL, 0 }
};
static const struct wj_word wj_poolflags[] = {
	{ "PR_NOTOUCH", PR_NOTOUCH }, { "PR_NOALIGN", PR_NOALIGN },
	{ "PR_LARGECACHE", PR_LARGECACHE }, { NULL, 0 }
};
static const struct wj_word wj_fits[] = {
	{ "instantfit", VM_INSTANTFIT }, { "bestfit", VM_BESTFIT },
	{ NULL, 0 }
};
static const struct wj_word wj_spaces[] = {
	{ "io", NBM_WL_SPACE_IO }, { "mem", NBM_WL_SPACE_MEM }, { NULL, 0 }
};
static const struct wj_word wj_sizekinds[] = {
	{ "fixed", NBM_WL_SIZE_FIXED }, { "uniform", NBM_WL_SIZE_UNIFORM },
	{ "list", NBM_WL_SIZE_LIST }, { "histogram", NBM_WL_SIZE_HISTOGRAM },
	{ NULL, 0 }
};
static const struct wj_word wj_lifekinds[] = {
	{ "fixed", NBM_WL_LIFE_FIXED }, { "exp", NBM_WL_LIFE_EXP },
	{ "end", NBM_WL_LIFE_END }, { NULL, 0 }
};
static const struct wj_word wj_opkinds[] = {
	{ "alloc", NBM_WLOP_ALLOC }, { "allocfree", NBM_WLOP_ALLOCFREE },
	{ "free", NBM_WLOP_FREE }, { "idle", NBM_WLOP_IDLE }, { NULL, 0 }
};
static const struct wj_word wj_opflags[] = {
	{ "nosleep", NBM_WLF_NOSLEEP }, { "limitfail", NBM_WLF_LIMITFAIL },
	{ "zero", NBM_WLF_ZERO }, { NULL, 0 }
};
static const struct wj_word wj_dists[] = {
	{ "periodic", NBM_INTR_PERIODIC }, { "poisson", NBM_INTR_POISSON },
	{ "burst", NBM_INTR_BURST }, { NULL, 0 }
};
static const struct wj_word wj_targets[] = {
	{ "cpu", NBM_INTR_TARGET_CPU }, { "all", NBM_INTR_TARGET_ALL },
	{ "rr", NBM_INTR_TARGET_RR }, { NULL, 0 }
};
static const struct wj_word wj_frees[] = {
	{ "handler", NBM_WLI_FREE_HANDLER }, { "softint", NBM_WLI_FREE_SOFTINT },
	{ "thread", NBM_WLI_FREE_THREAD }, { "xcpu", NBM_WLI_FREE_XCPU },
	{ NULL, 0 }
};

#define U64MAX	UINT64_MAX
#define UMAX	4294967295ULL

#define F(s, m)	offsetof(struct s, m)

static const struct wj_field wj_sizeent[] = {
	{ .wf_name = "size", .wf_type = WJ_SIZE,
	    .wf_off = F(nbm_wl_sizeent, se_size), .wf_min = 1,
	    .wf_max = U64MAX },
	{ .wf_name = "weight", .wf_type = WJ_UINT,
	    .wf_off = F(nbm_wl_sizeent, se_weight), .wf_min = 1,
	    .wf_max = UMAX },
	WJ_END
};

static const struct wj_field wj_sizes[] = {
	{ .wf_name = "dist", .wf_type = WJ_WORD,
	    .wf_off = F(nbm_wl_sizes, sz_kind), .wf_words = wj_sizekinds },
	{ .wf_name = "min", .wf_type = WJ_SIZE,
	    .wf_off = F(nbm_wl_sizes, sz_min), .wf_min = 1, .wf_max = U64MAX },
	{ .wf_name = "max", .wf_type = WJ_SIZE,
	    .wf_off = F(nbm_wl_sizes, sz_max), .wf_min = 1, .wf_max = U64MAX },
	{ .wf_name = "sizes", .wf_type = WJ_ARRAY,
	    .wf_off = F(nbm_wl_sizes, sz_list), .wf_min = 1,
	    .wf_max = NBM_WL_MAXSIZES, .wf_sub = wj_sizeent,
	    .wf_elsize = sizeof(struct nbm_wl_sizeent),
	    .wf_countoff = F(nbm_wl_sizes, sz_n) },
	WJ_END
};

static const struct wj_field wj_life[] = {
	{ .wf_name = "dist", .wf_type = WJ_WORD,
	    .wf_off = F(nbm_wl_life, lt_kind), .wf_words = wj_lifekinds },
	{ .wf_name = "ns", .wf_type = WJ_U64, .wf_off = F(nbm_wl_life, lt_ns),
	    .wf_max = U64MAX },
	WJ_END
};

static const struct wj_field wj_window[] = {
	{ .wf_name = "space", .wf_type = WJ_WORD,
	    .wf_off = F(nbm_wl_window, win_space), .wf_words = wj_spaces },
	{ .wf_name = "alloc", .wf_type = WJ_BOOL,
	    .wf_off = F(nbm_wl_window, win_alloc) },
	{ .wf_name = "base", .wf_type = WJ_U64,
	    .wf_off = F(nbm_wl_window, win_base), .wf_max = U64MAX },
	{ .wf_name = "end", .wf_type = WJ_U64,
	    .wf_off = F(nbm_wl_window, win_end), .wf_max = U64MAX },
	{ .wf_name = "size", .wf_type = WJ_U64,
	    .wf_off = F(nbm_wl_window, win_size), .wf_min = 1,
	    .wf_max = U64MAX },
	{ .wf_name = "align", .wf_type = WJ_U64,
	    .wf_off = F(nbm_wl_window, win_align), .wf_max = U64MAX },
	{ .wf_name = "stride", .wf_type = WJ_U64,
	    .wf_off = F(nbm_wl_window, win_stride), .wf_max = U64MAX },
	WJ_END
};

#define S(m)	F(nbm_wl_source, m)
static const struct wj_field wj_source[] = {
	{ .wf_name = "kind", .wf_type = WJ_WORD, .wf_off = S(src_kind),
	    .wf_words = wj_kinds },
	{ .wf_name = "name", .wf_type = WJ_STR, .wf_off = S(src_name),
	    .wf_max = NBM_WL_NAME_MAX },
	{ .wf_name = "existing", .wf_type = WJ_BOOL,
	    .wf_off = S(src_existing) },
	{ .wf_name = "size", .wf_type = WJ_SIZE, .wf_off = S(src_size),
	    .wf_min = 1, .wf_max = U64MAX },
	{ .wf_name = "align", .wf_type = WJ_UINT, .wf_off = S(src_align),
	    .wf_max = UMAX },
	{ .wf_name = "ipl", .wf_type = WJ_WORD, .wf_off = S(src_ipl),
	    .wf_words = wj_ipls },
	{ .wf_name = "flags", .wf_type = WJ_WORDS, .wf_off = S(src_flags),
	    .wf_words = wj_poolflags },
	{ .wf_name = "ctor_ns", .wf_type = WJ_U64, .wf_off = S(src_ctor_ns),
	    .wf_max = U64MAX },
	{ .wf_name = "dtor_ns", .wf_type = WJ_U64, .wf_off = S(src_dtor_ns),
	    .wf_max = U64MAX },
	{ .wf_name = "lowat", .wf_type = WJ_UINT, .wf_off = S(src_lowat),
	    .wf_max = UMAX },
	{ .wf_name = "hiwat", .wf_type = WJ_UINT, .wf_off = S(src_hiwat),
	    .wf_max = UMAX },
	{ .wf_name = "hardlimit", .wf_type = WJ_UINT,
	    .wf_off = S(src_hardlimit), .wf_max = UMAX },
	{ .wf_name = "warning", .wf_type = WJ_STR, .wf_off = S(src_warning),
	    .wf_max = 64 },
	{ .wf_name = "ratecap", .wf_type = WJ_UINT, .wf_off = S(src_ratecap),
	    .wf_max = UMAX },
	{ .wf_name = "base", .wf_type = WJ_U64, .wf_off = S(src_base),
	    .wf_max = U64MAX },
	{ .wf_name = "span", .wf_type = WJ_U64, .wf_off = S(src_span),
	    .wf_min = 1, .wf_max = U64MAX },
	{ .wf_name = "quantum", .wf_type = WJ_U64, .wf_off = S(src_quantum),
	    .wf_min = 1, .wf_max = U64MAX },
	{ .wf_name = "fit", .wf_type = WJ_WORD, .wf_off = S(src_fit),
	    .wf_words = wj_fits },
	{ .wf_name = "qcache_max", .wf_type = WJ_U64,
	    .wf_off = S(src_qcache_max), .wf_max = U64MAX },
	{ .wf_name = "instances", .wf_type = WJ_UINT,
	    .wf_off = S(src_ninstances), .wf_min = 1, .wf_max = UMAX },
	{ .wf_name = "windows", .wf_type = WJ_ARRAY, .wf_off = S(src_win),
	    .wf_min = 1, .wf_max = NBM_WL_MAXWIN, .wf_sub = wj_window,
	    .wf_elsize = sizeof(struct nbm_wl_window),
	    .wf_countoff = S(src_nwin) },
	{ .wf_name = "sizes", .wf_type = WJ_SIZES, .wf_off = S(src_sizes) },
	{ .wf_name = "life", .wf_type = WJ_LIFE, .wf_off = S(src_life) },
	{ .wf_name = "xcpu", .wf_type = WJ_UINT, .wf_off = S(src_xcpu),
	    .wf_max = 1000 },
	{ .wf_name = "maxlive", .wf_type = WJ_UINT, .wf_off = S(src_maxlive),
	    .wf_max = UMAX },
	{ .wf_name = "prime", .wf_type = WJ_UINT, .wf_off = S(src_prime),
	    .wf_max = UMAX },
	WJ_END
};
#undef S

static const struct wj_field wj_op[] = {
	{ .wf_name = "op", .wf_type = WJ_WORD, .wf_off = F(nbm_wl_op, op_kind),
	    .wf_words = wj_opkinds },
	{ .wf_name = "source", .wf_type = WJ_UINT,
	    .wf_off = F(nbm_wl_op, op_src), .wf_max = NBM_WL_MAXSOURCES - 1 },
	{ .wf_name = "weight", .wf_type = WJ_UINT,
	    .wf_off = F(nbm_wl_op, op_weight), .wf_min = 1, .wf_max = UMAX },
	{ .wf_name = "flags", .wf_type = WJ_WORDS,
	    .wf_off = F(nbm_wl_op, op_flags), .wf_words = wj_opflags },
	{ .wf_name = "slots", .wf_type = WJ_UINT,
	    .wf_off = F(nbm_wl_op, op_slots), .wf_max = UMAX },
	WJ_END
};

#define I(m)	F(nbm_wl_intr, m)
static const struct wj_field wj_intr[] = {
	{ .wf_name = "name", .wf_type = WJ_STR, .wf_off = I(wi_intr.ic_name),
	    .wf_max = NBM_INTR_NAME_MAX },
	{ .wf_name = "ipl", .wf_type = WJ_WORD, .wf_off = I(wi_intr.ic_ipl),
	    .wf_words = wj_ipls },
	{ .wf_name = "distribution", .wf_type = WJ_WORD,
	    .wf_off = I(wi_intr.ic_dist), .wf_words = wj_dists },
	{ .wf_name = "rate", .wf_type = WJ_NUMBER,
	    .wf_off = I(wi_intr.ic_rate), .wf_max = 10000000 },
	{ .wf_name = "burst", .wf_type = WJ_UINT,
	    .wf_off = I(wi_intr.ic_burst), .wf_min = 1, .wf_max = 100000 },
	{ .wf_name = "target", .wf_type = WJ_WORD,
	    .wf_off = I(wi_intr.ic_target), .wf_words = wj_targets },
	{ .wf_name = "cpu", .wf_type = WJ_UINT, .wf_off = I(wi_intr.ic_cpu),
	    .wf_max = NBM_NCPU_MAX - 1 },
	{ .wf_name = "sources", .wf_type = WJ_UINTS, .wf_off = I(wi_src),
	    .wf_max = NBM_WL_INTR_MAXSRC, .wf_countoff = I(wi_nsrc) },
	{ .wf_name = "life", .wf_type = WJ_LIFE, .wf_off = I(wi_life) },
	{ .wf_name = "free", .wf_type = WJ_WORD, .wf_off = I(wi_free),
	    .wf_words = wj_frees },
	{ .wf_name = "xcpu", .wf_type = WJ_UINT, .wf_off = I(wi_xcpu),
	    .wf_max = 1000 },
	{ .wf_name = "maxlive", .wf_type = WJ_UINT, .wf_off = I(wi_maxlive),
	    .wf_max = UMAX },
	WJ_END
};
#undef I

#define W(m)	F(nbm_workload, m)
static const struct wj_field wj_stop[] = {
	{ .wf_name = "ops", .wf_type = WJ_U64, .wf_off = W(wl_stop_ops),
	    .wf_max = U64MAX },
	{ .wf_name = "time_ns", .wf_type = WJ_U64, .wf_off = W(wl_stop_ns),
	    .wf_max = U64MAX },
	WJ_END
};

static const struct wj_field wj_workload[] = {
	{ .wf_name = "name", .wf_type = WJ_STR, .wf_off = W(wl_name),
	    .wf_max = NBM_WL_NAME_MAX },
	{ .wf_name = "seed", .wf_type = WJ_U64, .wf_off = W(wl_seed),
	    .wf_max = U64MAX },
	{ .wf_name = "threads", .wf_type = WJ_UINT, .wf_off = W(wl_threads),
	    .wf_min = 1, .wf_max = NBM_WL_MAXTHREADS },
	{ .wf_name = "cpus", .wf_type = WJ_CPUSET, .wf_off = W(wl_cpus),
	    .wf_max = NBM_NCPU_MAX - 1 },
	{ .wf_name = "sources", .wf_type = WJ_ARRAY, .wf_off = W(wl_sources),
	    .wf_min = 1, .wf_max = NBM_WL_MAXSOURCES, .wf_sub = wj_source,
	    .wf_elsize = sizeof(struct nbm_wl_source),
	    .wf_countoff = W(wl_nsources), .wf_init = wj_source_init },
	{ .wf_name = "ops", .wf_type = WJ_ARRAY, .wf_off = W(wl_ops),
	    .wf_max = NBM_WL_MAXOPS, .wf_sub = wj_op,
	    .wf_elsize = sizeof(struct nbm_wl_op), .wf_countoff = W(wl_nops),
	    .wf_init = wj_op_init },
	{ .wf_name = "intr", .wf_type = WJ_ARRAY, .wf_off = W(wl_intr),
	    .wf_max = NBM_WL_MAXINTR, .wf_sub = wj_intr,
	    .wf_elsize = sizeof(struct nbm_wl_intr),
	    .wf_countoff = W(wl_nintr), .wf_init = wj_intr_init },
	{ .wf_name = "stop", .wf_type = WJ_OBJECT, .wf_sub = wj_stop },
	{ .wf_name = "op_ns", .wf_type = WJ_U64, .wf_off = W(wl_op_ns),
	    .wf_max = U64MAX },
	{ .wf_name = "batch", .wf_type = WJ_UINT, .wf_off = W(wl_batch),
	    .wf_min = 1, .wf_max = UMAX },
	{ .wf_name = "maxlive", .wf_type = WJ_UINT, .wf_off = W(wl_maxlive),
	    .wf_min = 1, .wf_max = UMAX },
	WJ_END
};
#undef W
#undef F

struct wj_ctx {
	char	*wc_err;	/* the message, at the first error */
	size_t	 wc_errlen;
};

static int wj_object(struct wj_ctx *, json_object *, const struct wj_field *,
	    char *base, const char *path);

static int __attribute__((__format__(__printf__, 3, 4)))
wj_fail(struct wj_ctx *w, const char *path, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(w->wc_err, w->wc_errlen, "%s: %s", path, msg);
	return -1;
}

static void
wj_words(const struct wj_word *ww, char *buf, size_t len)
{
	size_t o = 0;

	buf[0] = '\0';
	for (; ww->ww_name != NULL && o < len; ww++)
		o += (size_t)snprintf(buf + o, len - o, "%s%s", o > 0 ? ", " :
		    "", ww->ww_name);
}

/* One of the words; -1 with the error. */
static int
wj_word(struct wj_ctx *w, json_object *v, const struct wj_word *ww,
    const char *path, int *valp)
{
	const struct wj_word *p;
	char accepted[256];

	if (json_object_is_type(v, json_type_string))
		for (p = ww; p->ww_name != NULL; p++)
			if (strcmp(p->ww_name, json_object_get_string(v)) ==
			    0) {
				*valp = p->ww_value;
				return 0;
			}
	wj_words(ww, accepted, sizeof(accepted));
	return wj_fail(w, path, "%.40s is not accepted; accepted: %s",
	    json_object_to_json_string(v), accepted);
}

/* An integer in [min, max]; -1 with the error. */
static int
wj_uint(struct wj_ctx *w, json_object *v, uint64_t min, uint64_t max,
    const char *path, uint64_t *valp)
{
	int64_t i;

	if (!json_object_is_type(v, json_type_int))
		return wj_fail(w, path, "must be an integer between %llu and "
		    "%llu, got %.40s", (unsigned long long)min,
		    (unsigned long long)max, json_object_to_json_string(v));
	i = json_object_get_int64(v);
	*valp = i < 0 ? 0 : json_object_get_uint64(v);
	if (i < 0 || *valp < min || *valp > max)
		return wj_fail(w, path, "%.40s is out of range; must be "
		    "between %llu and %llu", json_object_to_json_string(v),
		    (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* Sizes: a number (that fixed size) or an object of wj_sizes. */
static int
wj_sizesval(struct wj_ctx *w, json_object *v, struct nbm_wl_sizes *sz,
    const char *path)
{
	uint64_t n;

	if (json_object_is_type(v, json_type_int)) {
		if (wj_uint(w, v, 1, SIZE_MAX, path, &n) != 0)
			return -1;
		sz->sz_kind = NBM_WL_SIZE_FIXED;
		sz->sz_min = sz->sz_max = (size_t)n;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return wj_fail(w, path, "must be a size in bytes, or an object "
		    "with dist (fixed, uniform, list, histogram), min, max, "
		    "sizes");
	return wj_object(w, v, wj_sizes, (char *)sz, path);
}

/* Lifetimes: ns of a fixed life, "end", or an object of wj_life. */
static int
wj_lifeval(struct wj_ctx *w, json_object *v, struct nbm_wl_life *lt,
    const char *path)
{

	if (json_object_is_type(v, json_type_int)) {
		lt->lt_kind = NBM_WL_LIFE_FIXED;
		return wj_uint(w, v, 0, UINT64_MAX, path, &lt->lt_ns);
	}
	if (json_object_is_type(v, json_type_string) &&
	    strcmp(json_object_get_string(v), "end") == 0) {
		lt->lt_kind = NBM_WL_LIFE_END;
		return 0;
	}
	if (!json_object_is_type(v, json_type_object))
		return wj_fail(w, path, "must be nanoseconds, \"end\", or an "
		    "object with dist (fixed, exp, end) and ns");
	return wj_object(w, v, wj_life, (char *)lt, path);
}

/* One member's value into base. */
static int
wj_value(struct wj_ctx *w, json_object *v, const struct wj_field *f,
    char *base, const char *path)
{
	char *dst = base + f->wf_off, sub[256];
	json_object *e;
	uint64_t n;
	size_t i, len;
	int word, words = 0;
	u_int cnt;

	switch (f->wf_type) {
	case WJ_U64:
		return wj_uint(w, v, f->wf_min, f->wf_max, path,
		    (uint64_t *)(void *)dst);
	case WJ_UINT:
		if (wj_uint(w, v, f->wf_min, f->wf_max, path, &n) != 0)
			return -1;
		*(u_int *)(void *)dst = (u_int)n;
		return 0;
	case WJ_SIZE:
		if (wj_uint(w, v, f->wf_min, f->wf_max, path, &n) != 0)
			return -1;
		*(size_t *)(void *)dst = (size_t)n;
		return 0;
	case WJ_NUMBER:
		if ((!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double)) ||
		    !(json_object_get_double(v) > 0) ||
		    json_object_get_double(v) > (double)f->wf_max)
			return wj_fail(w, path, "must be a number above 0 and "
			    "at most %llu", (unsigned long long)f->wf_max);
		*(double *)(void *)dst = json_object_get_double(v);
		return 0;
	case WJ_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return wj_fail(w, path, "must be true or false");
		*(bool *)(void *)dst = json_object_get_boolean(v);
		return 0;
	case WJ_STR:
		if (!json_object_is_type(v, json_type_string) ||
		    (size_t)json_object_get_string_len(v) >= f->wf_max)
			return wj_fail(w, path, "must be a string of at most "
			    "%llu bytes", (unsigned long long)f->wf_max - 1);
		memset(dst, 0, f->wf_max);
		memcpy(dst, json_object_get_string(v),
		    (size_t)json_object_get_string_len(v));
		return 0;
	case WJ_WORD:
		if (wj_word(w, v, f->wf_words, path, &word) != 0)
			return -1;
		*(int *)(void *)dst = word;
		return 0;
	case WJ_WORDS:
		if (!json_object_is_type(v, json_type_array))
			return wj_fail(w, path, "must be an array of words");
		len = json_object_array_length(v);
		for (i = 0; i < len; i++) {
			snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
			if (wj_word(w, json_object_array_get_idx(v, i),
			    f->wf_words, sub, &word) != 0)
				return -1;
			words |= word;
		}
		*(int *)(void *)dst = words;
		return 0;
	case WJ_UINTS:
	case WJ_CPUSET:
		if (!json_object_is_type(v, json_type_array) ||
		    (f->wf_type == WJ_UINTS && json_object_array_length(v) >
		    f->wf_max))
			return wj_fail(w, path, "must be an array of integers%s",
			    f->wf_type == WJ_UINTS ? " (at most 4)" : "");
		len = json_object_array_length(v);
		for (i = 0; i < len; i++) {
			snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
			e = json_object_array_get_idx(v, i);
			if (f->wf_type == WJ_CPUSET) {
				if (wj_uint(w, e, 0, f->wf_max, sub, &n) != 0)
					return -1;
				((uint64_t *)(void *)dst)[n / 64] |=
				    1ULL << (n % 64);
			} else {
				if (wj_uint(w, e, 0, UINT32_MAX, sub, &n) != 0)
					return -1;
				((u_int *)(void *)dst)[i] = (u_int)n;
			}
		}
		if (f->wf_type == WJ_UINTS)
			*(u_int *)(void *)(base + f->wf_countoff) = (u_int)len;
		return 0;
	case WJ_OBJECT:
		if (!json_object_is_type(v, json_type_object))
			return wj_fail(w, path, "must be an object");
		return wj_object(w, v, f->wf_sub, base, path);
	case WJ_ARRAY:
		if (!json_object_is_type(v, json_type_array) ||
		    json_object_array_length(v) > f->wf_max)
			return wj_fail(w, path, "must be an array of at most "
			    "%llu objects", (unsigned long long)f->wf_max);
		len = json_object_array_length(v);
		for (i = 0; i < len; i++) {
			snprintf(sub, sizeof(sub), "%.200s[%zu]", path, i);
			e = json_object_array_get_idx(v, i);
			if (!json_object_is_type(e, json_type_object))
				return wj_fail(w, sub, "must be an object");
			if (f->wf_init != NULL)
				f->wf_init(dst + i * f->wf_elsize);
			if (wj_object(w, e, f->wf_sub, dst + i * f->wf_elsize,
			    sub) != 0)
				return -1;
		}
		cnt = (u_int)len;
		memcpy(base + f->wf_countoff, &cnt, sizeof(cnt));
		return 0;
	case WJ_SIZES:
		return wj_sizesval(w, v, (struct nbm_wl_sizes *)(void *)dst,
		    path);
	case WJ_LIFE:
		return wj_lifeval(w, v, (struct nbm_wl_life *)(void *)dst,
		    path);
	}
	return wj_fail(w, path, "cannot be read");
}

/*
 * wj_object: the members of o through its table, into base.  A member
 * the table does not name is an error listing those it does.
 */
static int
wj_object(struct wj_ctx *w, json_object *o, const struct wj_field *fields,
    char *base, const char *path)
{
	const struct wj_field *f;
	char sub[256], accepted[512];
	size_t n;

	json_object_object_foreach(o, key, val) {
		snprintf(sub, sizeof(sub), "%.200s.%.40s", path, key);
		for (f = fields; f->wf_name != NULL; f++)
			if (strcmp(f->wf_name, key) == 0)
				break;
		if (f->wf_name == NULL) {
			n = 0;
			accepted[0] = '\0';
			for (f = fields; f->wf_name != NULL &&
			    n < sizeof(accepted); f++)
				n += (size_t)snprintf(accepted + n,
				    sizeof(accepted) - n, "%s%s", n > 0 ?
				    ", " : "", f->wf_name);
			return wj_fail(w, sub, "unknown member; accepted: %s",
			    accepted);
		}
		if (wj_value(w, val, f, base, sub) != 0)
			return -1;
	}
	return 0;
}

/*
 * child_wldesc: a workload description onto wl (which nbm_workload_init()
 * has filled with the defaults); path names the description in messages.
 * => 0, or -1 with "PATH.member: what is wrong; what is accepted" in err.
 */
int
child_wldesc(json_object *o, struct nbm_workload *wl, const char *path,
    char *err, size_t errlen)
{
	struct wj_ctx w = { err, errlen };

	if (!json_object_is_type(o, json_type_object))
		return wj_fail(&w, path, "must be an object (a workload "
		    "description: schema/workload.schema.json)");
	return wj_object(&w, o, wj_workload, (char *)wl, path);
}
