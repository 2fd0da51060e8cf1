/*
 * workload_trace.c: traces of workload runs -- recording every allocation,
 * failed allocation and free as a JSON line, loading such lines back, and
 * replaying them on a machine.
 *
 * Recording.  Each CPU has a ring of fixed-size binary records (struct
 * wl_trec), preallocated when the run is created, so that a handler in
 * signal context only does atomics and stores: it reserves a slot with a
 * compare-and-swap on the ring's head (a handler interrupting a thread of
 * the same CPU simply takes the next slot), takes the record's sequence
 * number from the run's counter, fills the slot and publishes it by
 * storing seq + 1 in r_ready.  A full ring drops the record (counted) in
 * interrupt context; a thread flushes and retries instead, so thread
 * records are never lost.  Sequence numbers are taken only for records
 * that have a slot, so they have no holes.
 *
 * Flushing.  A thread of the run, between operations, takes the flusher
 * role (a try-lock), moves every published record out of the rings (up to
 * the first slot still being written on each), sorts them by sequence
 * number and hands the lines to the sink in order, keeping back those that
 * follow a record still in flight.  In deterministic mode nothing is ever
 * in flight, and the trace is in exact execution order.
 *
 * Replay.  The trace's operations run on the machine's CPUs, one scheduled
 * thread per CPU; a cursor walks the records and the thread of the next
 * record's CPU (cpu mod ncpu) performs it, in its context: a thread
 * directly, a hard interrupt through nbm_cpu_interrupt at the recorded IPL,
 * a soft interrupt likewise at IPL_SOFTNET.  The sources are created again
 * from the trace's "source" lines (an existing pool that the machine lacks
 * is created with the parameters it had).  In deterministic mode each
 * record first charges the virtual time up to its recorded time, relative
 * to the first record.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "workload_impl.h"

#define WL_TRING_CAP	16384		/* records per CPU, power of two */
#define WL_TLINE_MAX	768
#define WL_TRACE_VERSION 1

struct wl_trec {
	_Atomic(uint64_t) r_ready;	/* seq + 1 once written, 0: free */
	uint64_t	 r_seq;		/* record number */
	uint64_t	 r_time;	/* uptime ns */
	uint64_t	 r_id;		/* object id */
	uint64_t	 r_size;	/* bytes, or device instance */
	uint64_t	 r_addr;	/* address (kmem, pools: machine
					   relative, see wl_trace_addr) */
	uint16_t	 r_src;		/* source */
	uint16_t	 r_cpu;		/* CPU */
	uint8_t		 r_op;		/* WL_TOP_* */
	uint8_t		 r_ctx;		/* WL_CTX_* */
	uint8_t		 r_ipl;		/* IPL of a hard interrupt */
	uint8_t		 r_flags;	/* NBM_WLF_* of an allocation */
};

struct wl_trace {
	nbm_trace_sink_t *tr_sink;	/* (i) */
	void		*tr_arg;	/* (i) */
	_Atomic(uint64_t) tr_seq;	/* next record number */
	_Atomic(int)	 tr_flushing;	/* a flusher runs */
	_Atomic(uint64_t) tr_lines;	/* lines handed to the sink */
	struct wl_trec	*tr_pend;	/* (f) moved out, not yet written */
	size_t		 tr_npend;	/* (f) */
	size_t		 tr_cappend;	/* (f) */
	uint64_t	 tr_next;	/* (f) next record number to write */
	char		 tr_line[WL_TLINE_MAX]; /* (f) */
};

static const char *const wl_ctx_names[] = { "thread", "softint", "intr" };
static const char *const wl_top_names[] = { "alloc", "fail", "free" };

/*
 * Recording.
 */
int
wl_trace_create(struct nbm_wlrun *w, nbm_trace_sink_t *sink, void *arg)
{
	struct wl_trace *tr;
	u_int c;

	if ((tr = calloc(1, sizeof(*tr))) == NULL)
		return ENOMEM;
	tr->tr_sink = sink;
	tr->tr_arg = arg;
	w->w_trace = tr;
	for (c = 0; c < w->w_m->m_ncpu; c++) {
		w->w_cpu[c].wc_trace.tr_rec = calloc(WL_TRING_CAP,
		    sizeof(struct wl_trec));
		if (w->w_cpu[c].wc_trace.tr_rec == NULL)
			return ENOMEM;
	}
	return 0;
}

void
wl_trace_free(struct nbm_wlrun *w)
{
	u_int c;

	for (c = 0; c < w->w_m->m_ncpu; c++)
		free(w->w_cpu[c].wc_trace.tr_rec);
	free(w->w_trace->tr_pend);
	free(w->w_trace);
	w->w_trace = NULL;
}

/*
 * wl_trace_addr: an object's address as a trace shows it.  Memory from
 * kmem and pools is given relative to the machine: kernel VA as an offset
 * from its base (tagged 1 in bit 63), direct-mapped memory as the physical
 * address (tagged 0), so that it is the same on every run and host.  vmem
 * and extent addresses are the arena's own.
 */
static uint64_t
wl_trace_addr(struct nbm_machine *m, int kind, uintptr_t a)
{

	if (kind > NBM_WLS_POOL_CACHE)
		return a;
	if (nbm_kva_p(m, a))
		return ((uint64_t)1 << 63) | (a - (uintptr_t)m->m_kva_base);
	return a - (uintptr_t)m->m_dmap_base;
}

/*
 * wl_trace_record: record an operation made on CPU ci in context ctx.
 * => returns the record's sequence number (0 if it was dropped).
 */
uint64_t
wl_trace_record(struct nbm_wlrun *w, struct cpu_info *ci, int ctx, int op,
    const struct wl_obj *o, int flags)
{
	struct wl_trace *tr = w->w_trace;
	struct wl_tring *ring = &w->w_cpu[ci->ci_index].wc_trace;
	const struct nbm_wl_source *sd = w->w_src[o->o_src].s_desc;
	struct wl_trec *r;
	uint64_t h, seq;

	h = atomic_load(&ring->tr_head);
	for (;;) {
		if (h - atomic_load(&ring->tr_tail) >= WL_TRING_CAP) {
			if (ctx != WL_CTX_THREAD) {
				atomic_fetch_add(&ring->tr_dropped, 1);
				return 0;
			}
			wl_trace_flush(w, false);
			if (h - atomic_load(&ring->tr_tail) >= WL_TRING_CAP)
				yield();	/* another CPU flushes */
			h = atomic_load(&ring->tr_head);
			continue;
		}
		if (atomic_compare_exchange_weak(&ring->tr_head, &h, h + 1))
			break;
	}
	seq = atomic_fetch_add(&tr->tr_seq, 1);
	r = &ring->tr_rec[h & (WL_TRING_CAP - 1)];
	r->r_seq = seq;
	r->r_time = wl_uptime(w);
	r->r_id = op == WL_TOP_FREE ? o->o_id : seq;
	r->r_size = sd->src_kind == NBM_WLS_DEVICE ? o->o_addr : o->o_size;
	r->r_addr = op == WL_TOP_FAIL || sd->src_kind == NBM_WLS_DEVICE ? 0 :
	    wl_trace_addr(w->w_m, sd->src_kind, o->o_addr);
	r->r_src = o->o_src;
	r->r_cpu = (uint16_t)ci->ci_index;
	r->r_op = (uint8_t)op;
	r->r_ctx = (uint8_t)ctx;
	r->r_ipl = (uint8_t)(ctx == WL_CTX_INTR ? ci->ci_ilevel : 0);
	r->r_flags = (uint8_t)flags;
	atomic_store_explicit(&r->r_ready, seq + 1, memory_order_release);
	return seq;
}

bool
wl_trace_want_flush(struct nbm_wlrun *w, u_int cpu)
{
	struct wl_tring *ring = &w->w_cpu[cpu].wc_trace;

	return atomic_load_explicit(&ring->tr_head, memory_order_relaxed) -
	    atomic_load_explicit(&ring->tr_tail, memory_order_relaxed) >
	    WL_TRING_CAP / 4;
}

static int
wl_trec_cmp(const void *a, const void *b)
{
	const struct wl_trec *x = a, *y = b;

	return x->r_seq < y->r_seq ? -1 : x->r_seq > y->r_seq;
}

static void
wl_trace_emit(struct nbm_wlrun *w, const struct wl_trec *r)
{
	struct wl_trace *tr = w->w_trace;
	const struct wl_src *s = &w->w_src[r->r_src];
	char *p = tr->tr_line, *e = tr->tr_line + sizeof(tr->tr_line);

	p += snprintf(p, (size_t)(e - p), "{\"seq\":%" PRIu64 ",\"t\":%" PRIu64
	    ",\"cpu\":%u,\"ctx\":\"%s\"", r->r_seq, r->r_time, r->r_cpu,
	    wl_ctx_names[r->r_ctx]);
	if (r->r_ctx == WL_CTX_INTR)
		p += snprintf(p, (size_t)(e - p), ",\"ipl\":%u", r->r_ipl);
	p += snprintf(p, (size_t)(e - p), ",\"op\":\"%s\",\"kind\":\"%s\","
	    "\"src\":%u", wl_top_names[r->r_op], wl_kind_name(s->s_kind),
	    r->r_src);
	switch (s->s_kind) {
	case NBM_WLS_POOL:
	case NBM_WLS_POOL_CACHE:
		p += snprintf(p, (size_t)(e - p), ",\"pool\":\"%s\"",
		    s->s_label);
		break;
	case NBM_WLS_VMEM:
		p += snprintf(p, (size_t)(e - p), ",\"arena\":\"%s\"",
		    s->s_label);
		break;
	case NBM_WLS_EXTENT:
		p += snprintf(p, (size_t)(e - p), ",\"extent\":\"%s\"",
		    s->s_label);
		break;
	case NBM_WLS_DEVICE:
		p += snprintf(p, (size_t)(e - p), ",\"device\":\"%s\"",
		    s->s_label);
		break;
	default:
		break;
	}
	if (s->s_kind == NBM_WLS_DEVICE)
		p += snprintf(p, (size_t)(e - p), ",\"size\":0,\"inst\":%"
		    PRIu64, r->r_size);
	else
		p += snprintf(p, (size_t)(e - p), ",\"size\":%" PRIu64,
		    r->r_size);
	if (r->r_op != WL_TOP_FREE)
		p += snprintf(p, (size_t)(e - p), ",\"flags\":%u", r->r_flags);
	if (r->r_op == WL_TOP_ALLOC && s->s_kind <= NBM_WLS_POOL_CACHE)
		p += snprintf(p, (size_t)(e - p), ",\"addr\":\"%s+0x%" PRIx64
		    "\"", (r->r_addr >> 63) ? "kva" : "pa",
		    r->r_addr & ~((uint64_t)1 << 63));
	else if (r->r_op == WL_TOP_ALLOC && s->s_kind != NBM_WLS_DEVICE)
		p += snprintf(p, (size_t)(e - p), ",\"addr\":\"0x%" PRIx64
		    "\"", r->r_addr);
	(void)snprintf(p, (size_t)(e - p), ",\"id\":%" PRIu64 "}", r->r_id);
	tr->tr_sink(tr->tr_arg, tr->tr_line);
	atomic_fetch_add_explicit(&tr->tr_lines, 1, memory_order_relaxed);
}

/*
 * wl_trace_flush: write what the rings hold, in record order (thread
 * context).  all: the run is quiet, everything is written.
 */
void
wl_trace_flush(struct nbm_wlrun *w, bool all)
{
	struct wl_trace *tr = w->w_trace;
	struct wl_tring *ring;
	struct wl_trec *r, *np;
	uint64_t t, head;
	size_t i, k;
	u_int c;

	if (atomic_exchange(&tr->tr_flushing, 1) != 0)
		return;
	for (c = 0; c < w->w_m->m_ncpu; c++) {
		ring = &w->w_cpu[c].wc_trace;
		t = atomic_load(&ring->tr_tail);
		head = atomic_load(&ring->tr_head);
		for (; t < head; t++) {
			r = &ring->tr_rec[t & (WL_TRING_CAP - 1)];
			if (atomic_load_explicit(&r->r_ready,
			    memory_order_acquire) == 0)
				break;
			if (tr->tr_npend == tr->tr_cappend) {
				k = tr->tr_cappend == 0 ? 1024 :
				    tr->tr_cappend * 2;
				np = realloc(tr->tr_pend, k * sizeof(*np));
				if (np == NULL)
					break;	/* retried at the next flush */
				tr->tr_pend = np;
				tr->tr_cappend = k;
			}
			memcpy(&tr->tr_pend[tr->tr_npend], r, sizeof(*r));
			tr->tr_npend++;
			atomic_store_explicit(&r->r_ready, 0,
			    memory_order_relaxed);
		}
		atomic_store_explicit(&ring->tr_tail, t, memory_order_release);
	}
	qsort(tr->tr_pend, tr->tr_npend, sizeof(*tr->tr_pend), wl_trec_cmp);
	for (i = 0; i < tr->tr_npend; i++) {
		if (tr->tr_pend[i].r_seq != tr->tr_next && !all)
			break;
		wl_trace_emit(w, &tr->tr_pend[i]);
		tr->tr_next = tr->tr_pend[i].r_seq + 1;
	}
	memmove(tr->tr_pend, tr->tr_pend + i,
	    (tr->tr_npend - i) * sizeof(*tr->tr_pend));
	tr->tr_npend -= i;
	atomic_store(&tr->tr_flushing, 0);
}

void
wl_trace_counts(struct nbm_wlrun *w, uint64_t *lines, uint64_t *dropped)
{
	u_int c;

	*lines = atomic_load(&w->w_trace->tr_lines);
	*dropped = 0;
	for (c = 0; c < w->w_m->m_ncpu; c++)
		*dropped += atomic_load(&w->w_cpu[c].wc_trace.tr_dropped);
}

/*
 * The first lines: the run, then its sources with what it takes to make
 * them again.
 */
void
wl_trace_begin(struct nbm_wlrun *w)
{
	struct wl_trace *tr = w->w_trace;
	const struct nbm_config *cfg = &w->w_m->m_cfg;
	const struct nbm_wl_source *sd;
	const struct nbm_wl_window *win;
	const struct wl_src *s;
	char *p, *e = tr->tr_line + sizeof(tr->tr_line);
	size_t size;
	u_int i, k, align;
	int ipl;

	snprintf(tr->tr_line, sizeof(tr->tr_line), "{\"trace\":\"nbmem\","
	    "\"version\":%d,\"workload\":\"%s\",\"ncpu\":%u,\"page_size\":%zu,"
	    "\"physmem\":%" PRIu64 ",\"mode\":\"%s\",\"seed\":%" PRIu64 ","
	    "\"options\":%u}", WL_TRACE_VERSION, w->w_wl.wl_name, cfg->ncpu,
	    cfg->page_size, cfg->physmem,
	    cfg->mode == NBM_MODE_DETERMINISTIC ? "deterministic" : "parallel",
	    cfg->seed, cfg->options);
	tr->tr_sink(tr->tr_arg, tr->tr_line);
	for (i = 0; i < w->w_wl.wl_nsources; i++) {
		s = &w->w_src[i];
		sd = s->s_desc;
		size = sd->src_size;
		align = sd->src_align;
		ipl = sd->src_ipl;
		if (s->s_pool != NULL) {
			/* What the pool really is, found or made. */
			size = s->s_pool->pr_reqsize;
			align = sd->src_existing ? s->s_pool->pr_align : align;
			ipl = s->s_pool->pr_ipl;
		}
		p = tr->tr_line;
		p += snprintf(p, (size_t)(e - p), "{\"op\":\"source\",\"src\":%u,"
		    "\"kind\":\"%s\",\"name\":\"%s\",\"existing\":%d,"
		    "\"size\":%zu,\"align\":%u,\"ipl\":%d,\"flags\":%d,"
		    "\"ctor_ns\":%" PRIu64 ",\"dtor_ns\":%" PRIu64 ","
		    "\"lowat\":%u,\"hiwat\":%u,\"hardlimit\":%u,"
		    "\"warning\":\"%s\",\"ratecap\":%u,"
		    "\"base\":%" PRIu64 ",\"span\":%" PRIu64 ",\"quantum\":%"
		    PRIu64 ",\"fit\":%d,\"qcache_max\":%" PRIu64 ","
		    "\"ninstances\":%u,\"nwin\":%u", i, wl_kind_name(sd->src_kind),
		    sd->src_kind == NBM_WLS_KMEM ? "kmem" : sd->src_name,
		    sd->src_existing ? 1 : 0, size, align, ipl, sd->src_flags,
		    sd->src_ctor_ns, sd->src_dtor_ns, sd->src_lowat,
		    sd->src_hiwat, sd->src_hardlimit, sd->src_warning,
		    sd->src_ratecap, sd->src_base,
		    sd->src_span, sd->src_quantum, sd->src_fit,
		    sd->src_qcache_max, sd->src_ninstances, sd->src_nwin);
		for (k = 0; k < sd->src_nwin && sd->src_kind ==
		    NBM_WLS_DEVICE; k++) {
			win = &sd->src_win[k];
			p += snprintf(p, (size_t)(e - p), ",\"w%u_space\":%d,"
			    "\"w%u_alloc\":%d,\"w%u_base\":%" PRIu64 ","
			    "\"w%u_end\":%" PRIu64 ",\"w%u_size\":%" PRIu64 ","
			    "\"w%u_align\":%" PRIu64 ",\"w%u_stride\":%" PRIu64,
			    k, win->win_space, k, win->win_alloc ? 1 : 0, k,
			    win->win_base, k, win->win_end, k, win->win_size,
			    k, win->win_align, k, win->win_stride);
		}
		(void)snprintf(p, (size_t)(e - p), "}");
		tr->tr_sink(tr->tr_arg, tr->tr_line);
	}
}

/* wl_trace_end: the run is quiet: write everything, then the totals. */
void
wl_trace_end(struct nbm_wlrun *w)
{
	struct wl_trace *tr = w->w_trace;
	struct nbm_workload_progress wp;

	wl_trace_flush(w, true);
	nbm_workload_progress(w, &wp);
	snprintf(tr->tr_line, sizeof(tr->tr_line), "{\"op\":\"end\","
	    "\"records\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"ops\":%" PRIu64
	    ",\"allocs\":%" PRIu64 ",\"frees\":%" PRIu64 ",\"fails\":%" PRIu64
	    ",\"elapsed_ns\":%" PRIu64 "}", atomic_load(&tr->tr_seq),
	    wp.wp_trace_dropped, wp.wp_ops, wp.wp_allocs, wp.wp_frees,
	    wp.wp_fails, wp.wp_elapsed_ns);
	tr->tr_sink(tr->tr_arg, tr->tr_line);
}

/*
 * Loading traces.
 */
struct wl_rrec {
	uint64_t	 rr_t;		/* recorded uptime */
	uint64_t	 rr_size;	/* bytes, or device instance */
	uint32_t	 rr_ref;	/* free: index of its allocation */
	uint16_t	 rr_src;	/* source */
	uint16_t	 rr_cpu;	/* recorded CPU */
	uint8_t		 rr_op;		/* WL_TOP_* */
	uint8_t		 rr_ctx;	/* WL_CTX_* */
	uint8_t		 rr_ipl;	/* hard interrupt IPL */
	uint8_t		 rr_flags;	/* NBM_WLF_* */
	bool		 rr_freed;	/* alloc: a free refers to it */
};

struct nbm_trace {
	bool		 tr_header;	/* header line seen */
	bool		 tr_end;	/* end line seen */
	char		 tr_name[NBM_WL_NAME_MAX]; /* workload */
	u_int		 tr_ncpu;	/* recorded machine */
	struct nbm_workload tr_wl;	/* its sources */
	struct wl_rrec	*tr_rec;	/* records */
	size_t		 tr_n;
	size_t		 tr_cap;
	uint64_t	*tr_mkey;	/* id + 1 -> record index */
	uint32_t	*tr_mval;
	size_t		 tr_mcap;	/* power of two, 0: none */
	size_t		 tr_mn;
	size_t		 tr_lineno;	/* lines added */
};

/* A flat JSON object, as this file writes them. */
#define WL_JMAX		96

struct wl_json {
	u_int		 j_n;
	struct {
		char	 key[24];
		char	 val[64];
		bool	 str;		/* a string, not a number */
	}		 j_kv[WL_JMAX];
};

static const char *
wl_json_skip(const char *p)
{

	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

static int
wl_json_parse(const char *line, struct wl_json *j, char *why, size_t len)
{
	const char *p = wl_json_skip(line), *q;
	size_t n;

	j->j_n = 0;
	if (*p++ != '{') {
		snprintf(why, len, "not a JSON object");
		return EINVAL;
	}
	p = wl_json_skip(p);
	if (*p == '}')
		return 0;
	for (;;) {
		if (j->j_n == WL_JMAX) {
			snprintf(why, len, "more than %d fields", WL_JMAX);
			return EINVAL;
		}
		if (*p++ != '"' || (q = strchr(p, '"')) == NULL ||
		    (n = (size_t)(q - p)) >= sizeof(j->j_kv[0].key)) {
			snprintf(why, len, "a field name is not a short string");
			return EINVAL;
		}
		memcpy(j->j_kv[j->j_n].key, p, n);
		j->j_kv[j->j_n].key[n] = '\0';
		p = wl_json_skip(q + 1);
		if (*p++ != ':') {
			snprintf(why, len, "no ':' after \"%s\"",
			    j->j_kv[j->j_n].key);
			return EINVAL;
		}
		p = wl_json_skip(p);
		if (*p == '"') {
			p++;
			if ((q = strchr(p, '"')) == NULL ||
			    memchr(p, '\\', (size_t)(q - p)) != NULL ||
			    (n = (size_t)(q - p)) >= sizeof(j->j_kv[0].val)) {
				snprintf(why, len, "field \"%s\": not a short "
				    "plain string", j->j_kv[j->j_n].key);
				return EINVAL;
			}
			j->j_kv[j->j_n].str = true;
			q++;
		} else {
			for (q = p; *q != '\0' && *q != ',' && *q != '}' &&
			    *q != ' '; q++)
				continue;
			if ((n = (size_t)(q - p)) == 0 ||
			    n >= sizeof(j->j_kv[0].val)) {
				snprintf(why, len, "field \"%s\": bad value",
				    j->j_kv[j->j_n].key);
				return EINVAL;
			}
			j->j_kv[j->j_n].str = false;
		}
		memcpy(j->j_kv[j->j_n].val, p, n);
		j->j_kv[j->j_n].val[n] = '\0';
		j->j_n++;
		p = wl_json_skip(q);
		if (*p == '}')
			break;
		if (*p++ != ',') {
			snprintf(why, len, "expected ',' or '}' after \"%s\"",
			    j->j_kv[j->j_n - 1].key);
			return EINVAL;
		}
		p = wl_json_skip(p);
	}
	if (*wl_json_skip(p + 1) != '\0') {
		snprintf(why, len, "text after the object");
		return EINVAL;
	}
	return 0;
}

static const char *
wl_json_str(const struct wl_json *j, const char *key)
{
	u_int i;

	for (i = 0; i < j->j_n; i++)
		if (strcmp(j->j_kv[i].key, key) == 0)
			return j->j_kv[i].str ? j->j_kv[i].val : NULL;
	return NULL;
}

/* wl_json_u64: a non-negative integer field; false if absent or bad. */
static bool
wl_json_u64(const struct wl_json *j, const char *key, uint64_t *vp)
{
	const char *s = NULL;
	char *end;
	u_int i;

	for (i = 0; i < j->j_n; i++)
		if (strcmp(j->j_kv[i].key, key) == 0 && !j->j_kv[i].str)
			s = j->j_kv[i].val;
	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*vp = strtoull(s, &end, 10);
	return errno == 0 && *end == '\0';
}

static bool
wl_json_int(const struct wl_json *j, const char *key, int *vp)
{
	const char *s = NULL;
	char *end;
	long v;
	u_int i;

	for (i = 0; i < j->j_n; i++)
		if (strcmp(j->j_kv[i].key, key) == 0 && !j->j_kv[i].str)
			s = j->j_kv[i].val;
	if (s == NULL)
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < INT_MIN || v > INT_MAX)
		return false;
	*vp = (int)v;
	return true;
}

int
nbm_trace_create(struct nbm_trace **trp)
{
	struct nbm_trace *tr;

	if ((tr = calloc(1, sizeof(*tr))) == NULL)
		return ENOMEM;
	nbm_workload_init(&tr->tr_wl);
	*trp = tr;
	return 0;
}

void
nbm_trace_destroy(struct nbm_trace *tr)
{

	if (tr == NULL)
		return;
	free(tr->tr_rec);
	free(tr->tr_mkey);
	free(tr->tr_mval);
	free(tr);
}

size_t
nbm_trace_records(const struct nbm_trace *tr)
{

	return tr->tr_n;
}

static size_t
wl_map_slot(const struct nbm_trace *tr, uint64_t id)
{
	uint64_t h = (id + 1) * 0x9e3779b97f4a7c15ULL;

	return (size_t)(h >> 20) & (tr->tr_mcap - 1);
}

static int
wl_map_put(struct nbm_trace *tr, uint64_t id, uint32_t idx)
{
	uint64_t *okey = tr->tr_mkey;
	uint32_t *oval = tr->tr_mval;
	size_t ocap = tr->tr_mcap, i, s;

	if ((tr->tr_mn + 1) * 2 > tr->tr_mcap) {
		tr->tr_mcap = ocap == 0 ? 1024 : ocap * 2;
		tr->tr_mkey = calloc(tr->tr_mcap, sizeof(*tr->tr_mkey));
		tr->tr_mval = calloc(tr->tr_mcap, sizeof(*tr->tr_mval));
		if (tr->tr_mkey == NULL || tr->tr_mval == NULL) {
			free(tr->tr_mkey);
			free(tr->tr_mval);
			tr->tr_mkey = okey;
			tr->tr_mval = oval;
			tr->tr_mcap = ocap;
			return ENOMEM;
		}
		for (i = 0; i < ocap; i++) {
			if (okey[i] == 0)
				continue;
			for (s = wl_map_slot(tr, okey[i] - 1);
			    tr->tr_mkey[s] != 0; s = (s + 1) & (tr->tr_mcap - 1))
				continue;
			tr->tr_mkey[s] = okey[i];
			tr->tr_mval[s] = oval[i];
		}
		free(okey);
		free(oval);
	}
	for (s = wl_map_slot(tr, id); tr->tr_mkey[s] != 0;
	    s = (s + 1) & (tr->tr_mcap - 1))
		if (tr->tr_mkey[s] == id + 1)
			return EEXIST;
	tr->tr_mkey[s] = id + 1;
	tr->tr_mval[s] = idx;
	tr->tr_mn++;
	return 0;
}

static bool
wl_map_get(const struct nbm_trace *tr, uint64_t id, uint32_t *idx)
{
	size_t s;

	if (tr->tr_mcap == 0)
		return false;
	for (s = wl_map_slot(tr, id); tr->tr_mkey[s] != 0;
	    s = (s + 1) & (tr->tr_mcap - 1))
		if (tr->tr_mkey[s] == id + 1) {
			*idx = tr->tr_mval[s];
			return true;
		}
	return false;
}

#define LBAD(...) do {							\
	if (errlen > 0) {						\
		int n_ = snprintf(errbuf, errlen, "line %zu: ",		\
		    tr->tr_lineno);					\
		if (n_ > 0 && (size_t)n_ < errlen)			\
			snprintf(errbuf + n_, errlen - (size_t)n_,	\
			    __VA_ARGS__);				\
	}								\
	return EINVAL;							\
} while (0)

static int
wl_trace_add_header(struct nbm_trace *tr, const struct wl_json *j,
    char *errbuf, size_t errlen)
{
	const char *name = wl_json_str(j, "workload");
	uint64_t v, ncpu;

	if (strcmp(wl_json_str(j, "trace"), "nbmem") != 0)
		LBAD("\"trace\" must be \"nbmem\"");
	if (!wl_json_u64(j, "version", &v) || v != WL_TRACE_VERSION)
		LBAD("version: this library reads version %d",
		    WL_TRACE_VERSION);
	if (tr->tr_header || tr->tr_n > 0 || tr->tr_wl.wl_nsources > 0)
		LBAD("a header line must come first, once");
	if (name == NULL || strlen(name) >= sizeof(tr->tr_name))
		LBAD("\"workload\": must be a name of at most %d characters",
		    NBM_WL_NAME_MAX - 1);
	if (!wl_json_u64(j, "ncpu", &ncpu) || ncpu < 1 ||
	    ncpu > NBM_NCPU_MAX)
		LBAD("\"ncpu\": must be between 1 and %d", NBM_NCPU_MAX);
	snprintf(tr->tr_name, sizeof(tr->tr_name), "%s", name);
	tr->tr_ncpu = (u_int)ncpu;
	tr->tr_header = true;
	return 0;
}

static int
wl_trace_add_source(struct nbm_trace *tr, const struct wl_json *j,
    char *errbuf, size_t errlen)
{
	struct nbm_wl_source *sd;
	const char *kind = wl_json_str(j, "kind"), *name;
	uint64_t v;
	char key[16], why[200];
	u_int k;
	int iv;

#define U64(key, field) do {						\
	if (!wl_json_u64(j, key, &v))					\
		LBAD("source: \"%s\" missing or not a number", key);	\
	field = v;							\
} while (0)
#define INT(key, field) do {						\
	if (!wl_json_int(j, key, &iv))					\
		LBAD("source: \"%s\" missing or not a number", key);	\
	field = iv;							\
} while (0)
	if (!wl_json_u64(j, "src", &v) || v != tr->tr_wl.wl_nsources)
		LBAD("source: \"src\" must be %u, the next source number",
		    tr->tr_wl.wl_nsources);
	if (v >= NBM_WL_MAXSOURCES)
		LBAD("source: at most %d sources", NBM_WL_MAXSOURCES);
	sd = &tr->tr_wl.wl_sources[v];
	memset(sd, 0, sizeof(*sd));
	if (kind == NULL || (sd->src_kind = wl_kind_lookup(kind)) < 0)
		LBAD("source: \"kind\" must be kmem, pool, pool_cache, vmem, "
		    "extent or device");
	if ((name = wl_json_str(j, "name")) == NULL ||
	    strlen(name) >= sizeof(sd->src_name))
		LBAD("source: \"name\" missing or too long");
	snprintf(sd->src_name, sizeof(sd->src_name), "%s", name);
	INT("existing", iv);
	sd->src_existing = iv != 0;
	U64("size", sd->src_size);
	U64("align", sd->src_align);
	INT("ipl", sd->src_ipl);
	INT("flags", sd->src_flags);
	U64("ctor_ns", sd->src_ctor_ns);
	U64("dtor_ns", sd->src_dtor_ns);
	U64("lowat", sd->src_lowat);
	U64("hiwat", sd->src_hiwat);
	U64("hardlimit", sd->src_hardlimit);
	if ((name = wl_json_str(j, "warning")) == NULL ||
	    strlen(name) >= sizeof(sd->src_warning))
		LBAD("source: \"warning\" missing or too long");
	snprintf(sd->src_warning, sizeof(sd->src_warning), "%s", name);
	U64("ratecap", sd->src_ratecap);
	U64("base", sd->src_base);
	U64("span", sd->src_span);
	U64("quantum", sd->src_quantum);
	INT("fit", sd->src_fit);
	U64("qcache_max", sd->src_qcache_max);
	U64("ninstances", sd->src_ninstances);
	U64("nwin", sd->src_nwin);
	for (k = 0; k < sd->src_nwin && k < NBM_WL_MAXWIN; k++) {
		snprintf(key, sizeof(key), "w%u_space", k);
		INT(key, sd->src_win[k].win_space);
		snprintf(key, sizeof(key), "w%u_alloc", k);
		INT(key, iv);
		sd->src_win[k].win_alloc = iv != 0;
		snprintf(key, sizeof(key), "w%u_base", k);
		U64(key, sd->src_win[k].win_base);
		snprintf(key, sizeof(key), "w%u_end", k);
		U64(key, sd->src_win[k].win_end);
		snprintf(key, sizeof(key), "w%u_size", k);
		U64(key, sd->src_win[k].win_size);
		snprintf(key, sizeof(key), "w%u_align", k);
		U64(key, sd->src_win[k].win_align);
		snprintf(key, sizeof(key), "w%u_stride", k);
		U64(key, sd->src_win[k].win_stride);
	}
#undef U64
#undef INT
	/* Sizes come with each record; give the checks a plausible one. */
	sd->src_sizes.sz_kind = NBM_WL_SIZE_FIXED;
	sd->src_sizes.sz_min = 1;
	sd->src_life.lt_kind = NBM_WL_LIFE_END;
	if (wl_validate_source(sd, (u_int)v, NULL, why, sizeof(why)) != 0)
		LBAD("%s", why);
	tr->tr_wl.wl_nsources++;
	return 0;
}

static int
wl_trace_add_record(struct nbm_trace *tr, const struct wl_json *j,
    const char *op, char *errbuf, size_t errlen)
{
	const char *ctx = wl_json_str(j, "ctx"), *kind;
	struct wl_rrec *r, *nr;
	uint64_t seq, v, id;
	uint32_t ref;
	size_t k;

	if (!wl_json_u64(j, "seq", &seq) || seq != tr->tr_n)
		LBAD("\"seq\" must be %zu, the next record number", tr->tr_n);
	if (tr->tr_n >= UINT32_MAX)
		LBAD("too many records");
	if (tr->tr_n == tr->tr_cap) {
		k = tr->tr_cap == 0 ? 4096 : tr->tr_cap * 2;
		if ((nr = realloc(tr->tr_rec, k * sizeof(*nr))) == NULL)
			return ENOMEM;
		tr->tr_rec = nr;
		tr->tr_cap = k;
	}
	r = &tr->tr_rec[tr->tr_n];
	memset(r, 0, sizeof(*r));
	if (strcmp(op, "alloc") == 0)
		r->rr_op = WL_TOP_ALLOC;
	else if (strcmp(op, "fail") == 0)
		r->rr_op = WL_TOP_FAIL;
	else
		r->rr_op = WL_TOP_FREE;
	for (k = 0; k < __arraycount(wl_ctx_names); k++)
		if (ctx != NULL && strcmp(ctx, wl_ctx_names[k]) == 0)
			break;
	if (k == __arraycount(wl_ctx_names))
		LBAD("\"ctx\" must be thread, softint or intr");
	r->rr_ctx = (uint8_t)k;
	if (r->rr_ctx == WL_CTX_INTR && (!wl_json_u64(j, "ipl", &v) ||
	    v < IPL_VM || v > IPL_HIGH))
		LBAD("\"ipl\" of an interrupt must be between %d and %d",
		    IPL_VM, IPL_HIGH);
	r->rr_ipl = r->rr_ctx == WL_CTX_INTR ? (uint8_t)v : 0;
	if (!wl_json_u64(j, "t", &r->rr_t))
		LBAD("\"t\" missing or not a number");
	if (!wl_json_u64(j, "cpu", &v) || v >= NBM_NCPU_MAX)
		LBAD("\"cpu\" must be below %d", NBM_NCPU_MAX);
	r->rr_cpu = (uint16_t)v;
	if (!wl_json_u64(j, "src", &v) || v >= tr->tr_wl.wl_nsources)
		LBAD("\"src\" must name one of the %u sources",
		    tr->tr_wl.wl_nsources);
	r->rr_src = (uint16_t)v;
	kind = wl_json_str(j, "kind");
	if (kind == NULL || wl_kind_lookup(kind) !=
	    tr->tr_wl.wl_sources[v].src_kind)
		LBAD("\"kind\" does not match source %u (%s)", (u_int)v,
		    wl_kind_name(tr->tr_wl.wl_sources[v].src_kind));
	if (r->rr_ctx != WL_CTX_THREAD &&
	    tr->tr_wl.wl_sources[v].src_kind > NBM_WLS_POOL_CACHE)
		LBAD("a %s operation in interrupt context", kind);
	if (tr->tr_wl.wl_sources[v].src_kind == NBM_WLS_DEVICE) {
		if (!wl_json_u64(j, "inst", &r->rr_size) ||
		    r->rr_size >= tr->tr_wl.wl_sources[v].src_ninstances)
			LBAD("\"inst\" must be below the device's %u instances",
			    tr->tr_wl.wl_sources[v].src_ninstances);
	} else if (!wl_json_u64(j, "size", &r->rr_size) ||
	    (tr->tr_wl.wl_sources[v].src_kind == NBM_WLS_KMEM &&
	    (r->rr_size < 1 || r->rr_size > WL_SIZE_MAX)))
		LBAD("\"size\" missing or out of range");
	if (!wl_json_u64(j, "id", &id))
		LBAD("\"id\" missing or not a number");
	if (r->rr_op != WL_TOP_FREE) {
		if (!wl_json_u64(j, "flags", &v) || (v & ~(uint64_t)
		    (NBM_WLF_NOSLEEP | NBM_WLF_LIMITFAIL | NBM_WLF_ZERO)))
			LBAD("\"flags\" missing or unknown");
		r->rr_flags = (uint8_t)v;
		if (r->rr_op == WL_TOP_ALLOC &&
		    wl_map_put(tr, id, (uint32_t)tr->tr_n) != 0)
			LBAD("\"id\" %" PRIu64 " allocated twice", id);
	} else {
		if (!wl_map_get(tr, id, &ref))
			LBAD("free of \"id\" %" PRIu64 ", which no earlier "
			    "record allocated", id);
		if (tr->tr_rec[ref].rr_freed)
			LBAD("\"id\" %" PRIu64 " freed twice", id);
		if (tr->tr_rec[ref].rr_src != r->rr_src)
			LBAD("\"id\" %" PRIu64 " freed to source %u, allocated "
			    "from source %u", id, r->rr_src,
			    tr->tr_rec[ref].rr_src);
		tr->tr_rec[ref].rr_freed = true;
		r->rr_ref = ref;
		r->rr_size = tr->tr_rec[ref].rr_size;
	}
	tr->tr_n++;
	return 0;
}

static int
wl_trace_add_json(struct nbm_trace *tr, const struct wl_json *j,
    char *errbuf, size_t errlen)
{
	const char *op = wl_json_str(j, "op");

	if (wl_json_str(j, "trace") != NULL)
		return wl_trace_add_header(tr, j, errbuf, errlen);
	if (!tr->tr_header)
		LBAD("the header line must come first");
	if (op == NULL)
		LBAD("no \"op\"");
	if (tr->tr_end)
		LBAD("a line after the end line");
	if (strcmp(op, "source") == 0) {
		if (tr->tr_n > 0)
			LBAD("source lines must come before the records");
		return wl_trace_add_source(tr, j, errbuf, errlen);
	}
	if (strcmp(op, "end") == 0) {
		tr->tr_end = true;
		return 0;
	}
	if (strcmp(op, "alloc") == 0 || strcmp(op, "fail") == 0 ||
	    strcmp(op, "free") == 0)
		return wl_trace_add_record(tr, j, op, errbuf, errlen);
	LBAD("\"op\" \"%s\": must be source, alloc, fail, free or end", op);
}

int
nbm_trace_add(struct nbm_trace *tr, const char *line, char *errbuf,
    size_t errlen)
{
	struct wl_json *j;
	char why[128];
	int error;

	if (errlen > 0)
		errbuf[0] = '\0';
	tr->tr_lineno++;
	if (*wl_json_skip(line) == '\0')
		return 0;
	if ((j = malloc(sizeof(*j))) == NULL)
		return ENOMEM;
	if (wl_json_parse(line, j, why, sizeof(why)) != 0) {
		free(j);
		LBAD("%s", why);
	}
	error = wl_trace_add_json(tr, j, errbuf, errlen);
	free(j);
	return error;
}

#undef LBAD

/*
 * Replay.
 */
struct wl_replay {
	const struct nbm_trace *rp_tr;	/* (i) */
	struct wl_obj	*rp_obj;	/* per record: the object */
	bool		*rp_live;	/* per record: allocated, not freed */
	kcondvar_t	*rp_cv;		/* per CPU: its turn came */
	size_t		 rp_cursor;	/* (w_lock) next record */
	uint64_t	 rp_t0;		/* (i) recorded time of record 0 */
};

static u_int
wl_replay_cpu(struct nbm_wlrun *w, size_t i)
{
	struct wl_replay *rp = w->w_replay;

	return rp->rp_tr->tr_rec[i].rr_cpu % w->w_m->m_ncpu;
}

struct wl_rop {
	struct nbm_wlrun *ro_run;
	struct wl_thread *ro_thread;
	size_t		 ro_index;
};

/* wl_replay_op: perform record ro_index in the current context. */
static void
wl_replay_op(void *arg)
{
	struct wl_rop *ro = arg;
	struct nbm_wlrun *w = ro->ro_run;
	struct wl_replay *rp = w->w_replay;
	const struct wl_rrec *r = &rp->rp_tr->tr_rec[ro->ro_index];
	struct wl_counters *cnt = &ro->ro_thread->t_cnt;
	struct wl_src *s = &w->w_src[r->rr_src];
	struct wl_obj *o;

	if (r->rr_op == WL_TOP_FREE) {
		if (!rp->rp_live[r->rr_ref]) {
			WL_CNT_ADD(cnt, c_skipped, 1);
			return;
		}
		o = &rp->rp_obj[r->rr_ref];
		wl_free_obj(w, s, o, r->rr_ctx);
		rp->rp_live[r->rr_ref] = false;
		WL_CNT_ADD(cnt, c_frees, 1);
		return;
	}
	o = &rp->rp_obj[ro->ro_index];
	memset(o, 0, sizeof(*o));
	o->o_src = r->rr_src;
	o->o_order = ro->ro_index;
	if (s->s_kind == NBM_WLS_DEVICE)
		o->o_addr = r->rr_size;
	else if (s->s_kind == NBM_WLS_POOL || s->s_kind == NBM_WLS_POOL_CACHE)
		o->o_size = s->s_pool->pr_reqsize;
	else
		o->o_size = r->rr_size;
	if (wl_alloc_obj(w, s, o, r->rr_ctx, r->rr_flags) != 0) {
		WL_CNT_ADD(cnt, c_fails, 1);
		return;
	}
	WL_CNT_ADD(cnt, c_allocs, 1);
	if (r->rr_op == WL_TOP_FAIL) {
		/* It failed when recorded; give it back at once. */
		wl_free_obj(w, s, o, r->rr_ctx);
		WL_CNT_ADD(cnt, c_frees, 1);
		return;
	}
	rp->rp_live[ro->ro_index] = true;
}

void
wl_replay_main(void *arg)
{
	struct wl_thread *t = arg;
	struct nbm_wlrun *w = t->t_run;
	struct wl_replay *rp = w->w_replay;
	const struct nbm_trace *tr = rp->rp_tr;
	const struct wl_rrec *r;
	struct wl_rop ro;
	uint64_t target, now;
	size_t i;

	ro.ro_run = w;
	ro.ro_thread = t;
	for (;;) {
		mutex_enter(&w->w_lock);
		while (rp->rp_cursor < tr->tr_n &&
		    wl_replay_cpu(w, rp->rp_cursor) != t->t_cpu &&
		    !atomic_load(&w->w_stop))
			(void)cv_timedwait(&rp->rp_cv[t->t_cpu], &w->w_lock,
			    1);
		i = rp->rp_cursor;
		mutex_exit(&w->w_lock);
		if (i >= tr->tr_n || atomic_load(&w->w_stop))
			break;
		r = &tr->tr_rec[i];
		/* The recorded time, relative to the first record. */
		(void)wl_pending_take();
		if (w->w_det) {
			target = w->w_start_ns + (r->rr_t - rp->rp_t0);
			now = wl_uptime(w);
			if (target > now)
				nbm_sched_charge(target - now);
		}
		ro.ro_index = i;
		switch (r->rr_ctx) {
		case WL_CTX_INTR:
			(void)nbm_cpu_interrupt(r->rr_ipl, false, wl_replay_op,
			    &ro);
			break;
		case WL_CTX_SOFTINT:
			(void)nbm_cpu_interrupt(IPL_SOFTNET, true,
			    wl_replay_op, &ro);
			break;
		default:
			wl_replay_op(&ro);
			break;
		}
		WL_CNT_ADD(&t->t_cnt, c_ops, 1);
		if (w->w_trace != NULL && wl_trace_want_flush(w, t->t_cpu))
			wl_trace_flush(w, false);
		mutex_enter(&w->w_lock);
		rp->rp_cursor = i + 1;
		if (i + 1 >= tr->tr_n) {
			for (i = 0; i < w->w_m->m_ncpu; i++)
				cv_broadcast(&rp->rp_cv[i]);
		} else if (wl_replay_cpu(w, i + 1) != t->t_cpu)
			cv_broadcast(&rp->rp_cv[wl_replay_cpu(w, i + 1)]);
		mutex_exit(&w->w_lock);
	}
	/* Stopped early: wake the others so that they see it too. */
	mutex_enter(&w->w_lock);
	for (i = 0; i < w->w_m->m_ncpu; i++)
		cv_broadcast(&rp->rp_cv[i]);
	mutex_exit(&w->w_lock);
	wl_thread_exit(t);
}

/* wl_replay_leftovers: free what the trace never freed (last thread). */
void
wl_replay_leftovers(struct wl_thread *t)
{
	struct nbm_wlrun *w = t->t_run;
	struct wl_replay *rp = w->w_replay;
	size_t i;

	for (i = 0; i < rp->rp_tr->tr_n; i++) {
		if (!rp->rp_live[i])
			continue;
		wl_free_obj(w, &w->w_src[rp->rp_tr->tr_rec[i].rr_src],
		    &rp->rp_obj[i], WL_CTX_THREAD);
		rp->rp_live[i] = false;
		WL_CNT_ADD(&t->t_cnt, c_frees, 1);
	}
}

void
wl_replay_free(struct nbm_wlrun *w)
{
	struct wl_replay *rp = w->w_replay;

	free(rp->rp_obj);
	free(rp->rp_live);
	free(rp->rp_cv);
	free(rp);
	w->w_replay = NULL;
}

int
nbm_workload_replay(struct nbm_machine *m, const struct nbm_trace *tr,
    nbm_trace_sink_t *sink, void *sinkarg, struct nbm_wlrun **runp,
    char *errbuf, size_t errlen)
{
	struct nbm_workload *wl;
	struct wl_replay *rp;
	struct nbm_wlrun *w;
	u_int c;
	int error;

	if (errlen > 0)
		errbuf[0] = '\0';
	if (nbm_machine_dead(m))
		return ENXIO;
	if (!tr->tr_header || tr->tr_wl.wl_nsources == 0) {
		snprintf(errbuf, errlen, "the trace has no header or no "
		    "sources");
		return EINVAL;
	}
	if ((wl = malloc(sizeof(*wl))) == NULL)
		return ENOMEM;
	*wl = tr->tr_wl;
	snprintf(wl->wl_name, sizeof(wl->wl_name), "%s", tr->tr_name);
	wl->wl_threads = 1;
	memset(wl->wl_cpus, 0, sizeof(wl->wl_cpus));
	wl->wl_nops = 0;
	wl->wl_nintr = 0;
	wl->wl_stop_ops = 0;
	wl->wl_stop_ns = 0;
	wl->wl_op_ns = 0;
	wl->wl_maxlive = 1;
	error = nbm_workload_validate(wl, &m->m_cfg, errbuf, errlen);
	if (error == 0)
		error = wl_run_create(m, wl, sink, sinkarg, &w, errbuf, errlen);
	free(wl);
	if (error != 0)
		return error;
	if ((rp = calloc(1, sizeof(*rp))) == NULL ||
	    (rp->rp_obj = calloc(MAX(tr->tr_n, 1), sizeof(*rp->rp_obj))) ==
	    NULL || (rp->rp_live = calloc(MAX(tr->tr_n, 1),
	    sizeof(*rp->rp_live))) == NULL || (rp->rp_cv = calloc(m->m_ncpu,
	    sizeof(*rp->rp_cv))) == NULL) {
		if (rp != NULL) {
			free(rp->rp_obj);
			free(rp->rp_live);
			free(rp);
		}
		snprintf(errbuf, errlen, "out of host memory for the replay");
		error = ENOMEM;
		goto fail;
	}
	rp->rp_tr = tr;
	rp->rp_t0 = tr->tr_n > 0 ? tr->tr_rec[0].rr_t : 0;
	for (c = 0; c < m->m_ncpu; c++)
		cv_init(&rp->rp_cv[c], "replay");
	w->w_replay = rp;
	if ((error = wl_run_start(w, wl_replay_main, errbuf, errlen)) != 0)
		goto fail;
	*runp = w;
	return 0;
fail:
	wl_run_abandon(w, error);
	return error == EAGAIN ? ENOMEM : error;
}
