/*
 * tui-views.c: the tables of nbmemctl top.  Each view lists its columns
 * (title, width, and a priority: on a narrow terminal the columns of
 * highest priority number go first) and builds its rows from the latest
 * snapshot of stats.update; rates are per second of the machine's uptime
 * between the last two snapshots.
 *
 *	pools	vmstat -m's columns, requests and releases a second and
 *		utilisation; Enter shows a sparkline of the pool's items out
 *	caches	vmstat -C's columns and the CPU layer's requests a second;
 *		Enter shows the cache's CPUs
 *	vmem	arenas: size, in use, segments, fragmentation, freelists
 *	extents	I/O extents with a bar of their regions
 *	cpus	each CPU: cache hits and misses over every pool, interrupts
 *	intr	interrupt sources
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

struct trow *
rowset_add(struct rowset *rs, const char *name)
{
	struct trow *r;

	if (rs->rs_n == rs->rs_cap) {
		rs->rs_cap = rs->rs_cap == 0 ? 64 : rs->rs_cap * 2;
		rs->rs_rows = xreallocarray(rs->rs_rows, rs->rs_cap,
		    sizeof(*rs->rs_rows));
	}
	r = &rs->rs_rows[rs->rs_n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->tr_name, sizeof(r->tr_name), "%s", name);
	snprintf(r->tr_cell[0], sizeof(r->tr_cell[0]), "%s", name);
	return r;
}

/* The record of array whose member key is name, or NULL. */
json_object *
tui_find(json_object *a, const char *key, const char *name)
{
	json_object *o;
	size_t i, n = a != NULL && json_object_is_type(a, json_type_array) ?
	    json_object_array_length(a) : 0;

	for (i = 0; i < n; i++) {
		o = json_object_array_get_idx(a, i);
		if (strcmp(jstr(o, key, ""), name) == 0)
			return o;
	}
	return NULL;
}

/* Seconds of machine uptime between the last two snapshots. */
static double
tui_dt(struct tui *t)
{

	if (t->t_prev == NULL || jint(t->t_prev, "run", -1) !=
	    jint(t->t_snap, "run", -2))
		return 0;
	return (double)(jint(t->t_snap, "uptime_ns", 0) -
	    jint(t->t_prev, "uptime_ns", 0)) / 1e9;
}

/*
 * tui_rate: a field's increase a second in the record of section whose
 * key is name (section itself when key is NULL); NAN when unknown.
 */
double
tui_rate(struct tui *t, const char *section, const char *key,
    const char *name, const char *field)
{
	json_object *a, *b;
	double dt = tui_dt(t);

	if (dt <= 0)
		return t->t_prev != NULL && dt == 0 ? 0 : NAN;
	a = jget(t->t_snap, section);
	b = jget(t->t_prev, section);
	if (key != NULL) {
		a = tui_find(a, key, name);
		b = tui_find(b, key, name);
	}
	if (a == NULL || b == NULL)
		return NAN;
	return (jnum(a, field, 0) - jnum(b, field, 0)) / dt;
}

#define U(o, k)	((uint64_t)jint((o), (k), 0))

static void
cell_count(struct trow *r, int c, uint64_t v)
{

	fmt_count(v, r->tr_cell[c], TUI_CELL);
	r->tr_key[c] = (double)v;
}

static void
cell_bytes(struct trow *r, int c, uint64_t v)
{

	fmt_bytes(v, r->tr_cell[c], TUI_CELL);
	r->tr_key[c] = (double)v;
}

static void
cell_rate(struct trow *r, int c, double v)
{

	if (isnan(v)) {
		snprintf(r->tr_cell[c], TUI_CELL, "-");
		r->tr_key[c] = -1;
	} else {
		fmt_count((uint64_t)(v + 0.5), r->tr_cell[c], TUI_CELL);
		r->tr_key[c] = v;
	}
}

static void
cell_pct(struct trow *r, int c, double part, double whole)
{

	if (whole <= 0) {
		snprintf(r->tr_cell[c], TUI_CELL, "-");
		r->tr_key[c] = -1;
	} else {
		r->tr_key[c] = 100 * part / whole;
		snprintf(r->tr_cell[c], TUI_CELL, "%.1f", r->tr_key[c]);
	}
}

static void
cell_text(struct trow *r, int c, const char *s, double key)
{

	snprintf(r->tr_cell[c], TUI_CELL, "%s", s);
	r->tr_key[c] = key;
}

/* ------------------------------------------------------------ pools */

static const struct tcol pool_cols[] = {
	{ "NAME", 15, 0, 1 }, { "SIZE", 6, 0, 0 }, { "REQUESTS", 8, 1, 0 },
	{ "FAIL", 5, 3, 0 }, { "RELEASES", 8, 2, 0 }, { "INUSE", 7, 0, 0 },
	{ "NPAGE", 6, 1, 0 }, { "HIWAT", 6, 4, 0 }, { "IDLE", 5, 4, 0 },
	{ "REQ/S", 7, 0, 0 }, { "REL/S", 7, 2, 0 }, { "UTIL%", 6, 1, 0 },
};

static void
pool_rows(struct tui *t, struct rowset *rs)
{
	json_object *a = jget(t->t_snap, "pools"), *p;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	const char *name;
	struct trow *r;

	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		name = jstr(p, "wchan", "?");
		r = rowset_add(rs, name);
		cell_count(r, 1, U(p, "size"));
		cell_count(r, 2, U(p, "nget"));
		cell_count(r, 3, U(p, "nfail"));
		cell_count(r, 4, U(p, "nput"));
		cell_count(r, 5, U(p, "nout"));
		cell_count(r, 6, U(p, "npages"));
		cell_count(r, 7, U(p, "hiwat"));
		cell_count(r, 8, U(p, "nidle"));
		cell_rate(r, 9, tui_rate(t, "pools", "wchan", name, "nget"));
		cell_rate(r, 10, tui_rate(t, "pools", "wchan", name, "nput"));
		cell_pct(r, 11, (double)(U(p, "nout") * U(p, "size")),
		    (double)(U(p, "npages") * U(p, "pagesize")));
	}
}

/* ------------------------------------------------------------ caches */

static const struct tcol cache_cols[] = {
	{ "NAME", 15, 0, 1 }, { "SPIN", 5, 3, 0 }, { "GRPSZ", 5, 3, 0 },
	{ "FULL", 5, 2, 0 }, { "PART", 5, 3, 0 }, { "EMTY", 5, 2, 0 },
	{ "POOLLAYER", 9, 1, 0 },
	{ "CACHELAYER", 10, 1, 0 }, { "CHIT%", 6, 0, 0 },
	{ "CPULAYER", 9, 0, 0 }, { "CPUHIT%", 7, 0, 0 },
	{ "CPUREQ/S", 8, 0, 0 },
};

/* A cache's CPUs, under its row. */
static void
cache_cpu_rows(struct tui *t, struct rowset *rs, const char *pool)
{
	json_object *a = jget(t->t_snap, "caches"), *c;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	char name[TUI_NAME];
	struct trow *r;
	uint64_t tot;

	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(a, i);
		if (strcmp(jstr(c, "wchan", ""), pool) != 0)
			continue;
		snprintf(name, sizeof(name), "  cpu%" PRId64, jint(c, "cpu", 0));
		r = rowset_add(rs, name);
		r->tr_sub = 1;
		cell_count(r, 1, U(c, "contended"));
		/* A CPU's group counts may be negative (stats.h). */
		snprintf(r->tr_cell[3], TUI_CELL, "%" PRId64,
		    jint(c, "nfull", 0));
		snprintf(r->tr_cell[4], TUI_CELL, "%" PRId64,
		    jint(c, "npart", 0));
		cell_count(r, 6, U(c, "pcmisses"));
		tot = U(c, "hits") + U(c, "misses");
		cell_count(r, 9, tot);
		cell_pct(r, 10, (double)U(c, "hits"), (double)tot);
	}
}

static void
cache_rows(struct tui *t, struct rowset *rs)
{
	json_object *a = jget(t->t_snap, "pools"), *p;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	const char *name;
	struct trow *r;
	uint64_t tot;
	double h, m;

	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		if (U(p, "cache_meta_size") == 0)
			continue;
		name = jstr(p, "wchan", "?");
		r = rowset_add(rs, name);
		cell_count(r, 1, U(p, "cache_ncontended"));
		cell_count(r, 2, U(p, "cache_meta_size"));
		cell_count(r, 3, U(p, "cache_nfull"));
		cell_count(r, 4, U(p, "cache_npartial"));
		cell_count(r, 5, U(p, "cache_nempty"));
		cell_count(r, 6, U(p, "cache_nmiss_global"));
		tot = U(p, "cache_nhit_global") + U(p, "cache_nmiss_global");
		cell_count(r, 7, tot);
		cell_pct(r, 8, (double)U(p, "cache_nhit_global"), (double)tot);
		tot = U(p, "cache_nhit_pcpu") + U(p, "cache_nmiss_pcpu");
		cell_count(r, 9, tot);
		cell_pct(r, 10, (double)U(p, "cache_nhit_pcpu"), (double)tot);
		h = tui_rate(t, "pools", "wchan", name, "cache_nhit_pcpu");
		m = tui_rate(t, "pools", "wchan", name, "cache_nmiss_pcpu");
		cell_rate(r, 11, h + m);
		if (strcmp(t->t_vs[t->t_view].vs_open, name) == 0)
			cache_cpu_rows(t, rs, name);
	}
}

/* ------------------------------------------------------------ vmem */

static const struct tcol vmem_cols[] = {
	{ "ARENA", 12, 0, 1 }, { "QUANTUM", 7, 3, 0 }, { "SIZE", 9, 0, 0 },
	{ "INUSE", 9, 0, 0 }, { "FREE", 9, 1, 0 }, { "BUSY", 6, 2, 0 },
	{ "FREESEGS", 8, 2, 0 }, { "LARGEST", 9, 1, 0 },
	{ "FRAG%", 6, 0, 0 }, { "FREELISTS", 18, 2, 1 },
};

static const char *const spark_ascii = " .:-=+*#%@";
static const char *const spark_utf8[] = {
	" ", "\u2581", "\u2582", "\u2583", "\u2584", "\u2585", "\u2586",
	"\u2587", "\u2588",
};

/* A histogram as block characters (or ASCII), one a value. */
static void
histo(struct tui *t, char *buf, size_t len, const double *v, int n)
{
	double max = 0;
	size_t off = 0;
	int i, lvl;

	for (i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	buf[0] = '\0';
	for (i = 0; i < n && off + 4 < len; i++) {
		if (t->t_utf8) {
			lvl = max <= 0 || v[i] <= 0 ? 0 :
			    1 + (int)(v[i] / max * 7.999);
			off += (size_t)snprintf(buf + off, len - off, "%s",
			    spark_utf8[lvl > 8 ? 8 : lvl]);
		} else {
			lvl = max <= 0 || v[i] <= 0 ? 0 :
			    1 + (int)(v[i] / max * 8.999);
			buf[off++] = spark_ascii[lvl > 9 ? 9 : lvl];
			buf[off] = '\0';
		}
	}
}

static void
vmem_rows(struct tui *t, struct rowset *rs)
{
	json_object *a = jget(t->t_snap, "vmem"), *v, *fl;
	size_t i, k, n = a != NULL ? json_object_array_length(a) : 0, nf;
	double h[64];
	int lo, hi;
	struct trow *r;

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		r = rowset_add(rs, jstr(v, "name", "?"));
		cell_count(r, 1, U(v, "quantum"));
		cell_bytes(r, 2, U(v, "size"));
		cell_bytes(r, 3, U(v, "inuse"));
		cell_bytes(r, 4, U(v, "free"));
		cell_count(r, 5, U(v, "nbusytag"));
		cell_count(r, 6, U(v, "nsegs_free"));
		cell_bytes(r, 7, U(v, "largest_free"));
		cell_pct(r, 8, (double)(U(v, "free") - U(v, "largest_free")),
		    (double)U(v, "free"));
		if (U(v, "free") == 0)
			cell_text(r, 8, "0.0", 0);
		fl = jget(v, "freelist");
		nf = fl != NULL && json_object_is_type(fl, json_type_array) ?
		    json_object_array_length(fl) : 0;
		lo = -1;
		hi = -1;
		for (k = 0; k < nf && k < 64; k++) {
			h[k] = json_object_get_double(
			    json_object_array_get_idx(fl, k));
			if (h[k] > 0) {
				if (lo < 0)
					lo = (int)k;
				hi = (int)k;
			}
		}
		if (lo < 0)
			cell_text(r, 9, "", 0);
		else {
			histo(t, r->tr_cell[9], TUI_CELL, h + lo, hi - lo + 1);
			r->tr_key[9] = lo;
		}
	}
}

/* ------------------------------------------------------------ extents */

static const struct tcol extent_cols[] = {
	{ "EXTENT", 8, 0, 1 }, { "START", 12, 3, 0 }, { "END", 14, 1, 0 },
	{ "REGIONS", 7, 0, 0 }, { "ALLOCATED", 11, 2, 0 },
	{ "USED%", 6, 0, 0 }, { "MAP (# used, + partly, . free)", 32, 0, 1 },
};

static void
extent_rows(struct tui *t, struct rowset *rs)
{
	json_object *a = jget(t->t_snap, "extents"), *e, *rg;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	struct trow *r;
	const char *name;
	double span;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		name = jstr(e, "name", "?");
		r = rowset_add(rs, name);
		snprintf(r->tr_cell[1], TUI_CELL, "0x%" PRIx64, U(e, "start"));
		r->tr_key[1] = (double)U(e, "start");
		snprintf(r->tr_cell[2], TUI_CELL, "0x%" PRIx64, U(e, "end"));
		r->tr_key[2] = (double)U(e, "end");
		cell_count(r, 3, U(e, "nregions"));
		snprintf(r->tr_cell[4], TUI_CELL, "0x%" PRIx64,
		    U(e, "allocated"));
		r->tr_key[4] = (double)U(e, "allocated");
		span = (double)(U(e, "end") - U(e, "start")) + 1;
		cell_pct(r, 5, (double)U(e, "allocated"), span);
		if (t->t_extents != NULL &&
		    json_object_object_get_ex(t->t_extents, name, &rg))
			extent_cells(e, rg, r->tr_cell[6], 32);
		r->tr_key[6] = r->tr_key[5];
	}
}

/* ------------------------------------------------------------ cpus */

static const struct tcol cpu_cols[] = {
	{ "CPU", 6, 0, 1 }, { "CACHEHITS", 9, 0, 0 }, { "MISSES", 8, 0, 0 },
	{ "HIT%", 6, 0, 0 }, { "TOPOOL", 8, 2, 0 }, { "HITS/S", 8, 1, 0 },
	{ "INTR", 8, 0, 0 }, { "INTR/S", 8, 0, 0 }, { "MASKED", 8, 2, 0 },
};

/* Sum of a cache field of one CPU over every pool, in snapshot s. */
static double
cpu_sum(json_object *s, int64_t cpu, const char *field)
{
	json_object *a = jget(s, "caches"), *c;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	double sum = 0;

	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(a, i);
		if (jint(c, "cpu", -1) == cpu)
			sum += jnum(c, field, 0);
	}
	return sum;
}

/* Sum of an interrupt counter of one CPU over every source. */
static double
cpu_intr(json_object *s, int64_t cpu, const char *field)
{
	json_object *a = jget(s, "intr"), *cpus, *c;
	size_t i, k, n = a != NULL ? json_object_array_length(a) : 0, nc;
	double sum = 0;

	for (i = 0; i < n; i++) {
		cpus = jget(json_object_array_get_idx(a, i), "cpus");
		nc = cpus != NULL ? json_object_array_length(cpus) : 0;
		for (k = 0; k < nc; k++) {
			c = json_object_array_get_idx(cpus, k);
			if (jint(c, "cpu", -1) == cpu)
				sum += jnum(c, field, 0);
		}
	}
	return sum;
}

static void
cpu_rows(struct tui *t, struct rowset *rs)
{
	int64_t cpu, ncpu = jint(t->t_snap, "machine.ncpu",
	    jint(t->t_info, "config.ncpu", 0));
	double dt = tui_dt(t), h, m;
	char name[32];
	struct trow *r;

	for (cpu = 0; cpu < ncpu && cpu < 4096; cpu++) {
		snprintf(name, sizeof(name), "cpu%" PRId64, cpu);
		r = rowset_add(rs, name);
		r->tr_key[0] = (double)cpu;
		h = cpu_sum(t->t_snap, cpu, "hits");
		m = cpu_sum(t->t_snap, cpu, "misses");
		cell_count(r, 1, (uint64_t)h);
		cell_count(r, 2, (uint64_t)m);
		cell_pct(r, 3, h, h + m);
		cell_count(r, 4, (uint64_t)cpu_sum(t->t_snap, cpu, "pcmisses"));
		cell_rate(r, 5, dt > 0 ? (h - cpu_sum(t->t_prev, cpu, "hits")) /
		    dt : (t->t_prev != NULL && dt == 0 ? 0 : NAN));
		cell_count(r, 6, (uint64_t)cpu_intr(t->t_snap, cpu, "count"));
		cell_rate(r, 7, dt > 0 ? (cpu_intr(t->t_snap, cpu, "count") -
		    cpu_intr(t->t_prev, cpu, "count")) / dt :
		    (t->t_prev != NULL && dt == 0 ? 0 : NAN));
		cell_count(r, 8, (uint64_t)cpu_intr(t->t_snap, cpu, "masked"));
	}
}

/* ------------------------------------------------------------ intr */

static const struct tcol intr_cols[] = {
	{ "SOURCE", 12, 0, 1 }, { "IPL", 5, 1, 1 }, { "ARRIVALS", 9, 2, 1 },
	{ "RATE", 7, 1, 0 }, { "TARGET", 6, 1, 1 }, { "STATE", 7, 0, 1 },
	{ "COUNT", 8, 0, 0 }, { "COUNT/S", 8, 0, 0 }, { "MASKED", 7, 2, 0 },
	{ "PENDING", 7, 0, 0 },
};

static void
intr_rows(struct tui *t, struct rowset *rs)
{
	json_object *a = jget(t->t_snap, "intr"), *s;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	const char *name;
	struct trow *r;
	char b[32];

	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(a, i);
		name = jstr(s, "name", "?");
		r = rowset_add(rs, name);
		cell_text(r, 1, jstr(s, "ipl", ""), 0);
		cell_text(r, 2, jstr(s, "distribution", ""), 0);
		snprintf(b, sizeof(b), "%s", fmt_num(jnum(s, "rate", 0), b,
		    sizeof(b)));
		cell_text(r, 3, b, jnum(s, "rate", 0));
		if (strcmp(jstr(s, "target", ""), "cpu") == 0)
			snprintf(b, sizeof(b), "cpu%" PRId64, jint(s, "cpu", 0));
		else
			snprintf(b, sizeof(b), "%s", jstr(s, "target", ""));
		cell_text(r, 4, b, (double)jint(s, "cpu", 0));
		cell_text(r, 5, json_object_get_boolean(jget(s, "paused")) ?
		    "paused" : "running", 0);
		cell_count(r, 6, U(s, "count"));
		cell_rate(r, 7, tui_rate(t, "intr", "name", name, "count"));
		cell_count(r, 8, U(s, "masked"));
		cell_count(r, 9, U(s, "pending"));
	}
}

#define COLS(a)	a, (int)(sizeof(a) / sizeof(a[0]))

const struct tview tui_views[] = {
	{ "pools", COLS(pool_cols), 0, 0, pool_rows,
	    "a sparkline of the pool's items in use" },
	{ "caches", COLS(cache_cols), 0, 0, cache_rows,
	    "the cache's CPUs" },
	{ "vmem", COLS(vmem_cols), 0, 0, vmem_rows, NULL },
	{ "extents", COLS(extent_cols), 0, 0, extent_rows, NULL },
	{ "cpus", COLS(cpu_cols), 0, 0, cpu_rows, NULL },
	{ "intr", COLS(intr_cols), 0, 0, intr_rows, NULL },
};
const int tui_nviews = (int)(sizeof(tui_views) / sizeof(tui_views[0]));
