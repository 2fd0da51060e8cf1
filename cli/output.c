/*
 * output.c: the human renderer: nbmemd's replies as tables and
 * name-value lists.  Each function gets the reply of one request (the
 * same object -j prints) and reads it by member name; a member that is
 * missing prints as "-", so that an older or newer daemon's reply never
 * crashes the table.  -n leaves out header lines.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nbmem/stats.h>

#include "nbmemctl.h"

/* "-" for a missing or null member, its text otherwise. */
static const char *
val(json_object *o, const char *path, char *buf, size_t len)
{
	json_object *v = jget(o, path);

	if (v == NULL || json_object_is_type(v, json_type_null))
		return "-";
	snprintf(buf, len, "%s", json_object_get_string(v));
	return buf;
}

static void
kv(const char *key, const char *fmt, ...) NBMD_PRINTFLIKE(2, 3);

static void
kv(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%-12s ", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

/* ------------------------------------------------------------ machine */

static void
show_memmap(struct ctl *x, json_object *a)
{
	static const struct table_col cols[] = {
		{ "START", 0 }, { "END", 0 }, { "SIZE", 0 },
		{ "TYPE", TB_LEFT }, { "NAME", TB_LEFT },
	};
	struct table *t = table_new(cols, 5);
	json_object *e;
	size_t i, n = json_object_array_length(a);
	uint64_t start, size;
	char b[32];

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		start = (uint64_t)jint(e, "start", 0);
		size = (uint64_t)jint(e, "size", 0);
		table_row(t);
		table_cell(t, "0x%" PRIx64, start);
		table_cell(t, "0x%" PRIx64, start + size - 1);
		table_cell(t, "%s", fmt_bytes(size, b, sizeof(b)));
		table_cell(t, "%s", jstr(e, "type", "-"));
		table_cell(t, "%s", jstr(e, "name", ""));
	}
	table_print(t, stdout, x->x_noheader, "  ");
	table_free(t);
}

static void
show_ioports(struct ctl *x, json_object *a)
{
	static const struct table_col cols[] = {
		{ "START", 0 }, { "END", 0 }, { "PORTS", 0 },
		{ "NAME", TB_LEFT },
	};
	struct table *t = table_new(cols, 4);
	json_object *e;
	size_t i, n = json_object_array_length(a);
	uint64_t start, size;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		start = (uint64_t)jint(e, "start", 0);
		size = (uint64_t)jint(e, "size", 0);
		table_row(t);
		table_cell(t, "0x%04" PRIx64, start);
		table_cell(t, "0x%04" PRIx64, start + size - 1);
		table_cell(t, "%" PRIu64, size);
		table_cell(t, "%s", jstr(e, "name", ""));
	}
	table_print(t, stdout, x->x_noheader, "  ");
	table_free(t);
}

/* The configuration of a machine, as machine.info and runs carry it. */
static void
show_config(struct ctl *x, json_object *c)
{
	json_object *o, *a;
	char b1[32], b2[32];
	size_t i, n;

	kv("cpus", "%" PRId64 " (%s)", jint(c, "ncpu", 0),
	    jstr(c, "mode", "parallel"));
	kv("page size", "%" PRId64 " bytes", jint(c, "page_size", 0));
	kv("physmem", "%s (%" PRId64 " pages)", fmt_bytes((uint64_t)jint(c,
	    "physmem", 0), b1, sizeof(b1)), jint(c, "physmem", 0) /
	    (jint(c, "page_size", 1) > 0 ? jint(c, "page_size", 1) : 1));
	kv("hz", "%" PRId64, jint(c, "hz", 0));
	kv("seed", "%" PRId64, jint(c, "seed", 0));
	printf("%-12s ", "options");
	o = jget(c, "options");
	n = o != NULL ? json_object_array_length(o) : 0;
	for (i = 0; i < n; i++)
		printf("%s%s", i > 0 ? " " : "", json_object_get_string(
		    json_object_array_get_idx(o, i)));
	printf("%s\n", n == 0 ? "none" : "");
	kv("direct map", "%s", (o = jget(c, "direct_map")) != NULL &&
	    json_object_get_boolean(o) ? "yes" : "no");
	if (jint(c, "kva_size", 0) == 0)
		kv("kva size", "derived from physmem");
	else
		kv("kva size", "%s", fmt_bytes((uint64_t)jint(c, "kva_size", 0),
		    b2, sizeof(b2)));
	kv("iomem max", "0x%" PRIx64, (uint64_t)jint(c, "iomem_max", 0));
	kv("pool idle", "%" PRId64 " s before pool_reclaim frees a page",
	    jint(c, "pool_inactive_time", 0));
	if (jint(c, "kmem_guard_depth", 0) != 0)
		kv("guard depth", "%" PRId64 " pages",
		    jint(c, "kmem_guard_depth", 0));
	if ((a = jget(c, "memmap")) != NULL &&
	    json_object_is_type(a, json_type_array)) {
		printf("memory map\n");
		show_memmap(x, a);
	}
	if ((a = jget(c, "ioport")) != NULL &&
	    json_object_is_type(a, json_type_array) &&
	    json_object_array_length(a) > 0) {
		printf("I/O ports reserved\n");
		show_ioports(x, a);
	}
}

static void
show_machine(struct ctl *x, json_object *r)
{
	json_object *c, *last;
	char b1[32], b2[64];

	if ((c = jget(r, "config")) != NULL) {
		kv("machine", "%s, run %" PRId64 ", pid %" PRId64 ", up %s",
		    jstr(r, "state", "?"), jint(r, "run", 0), jint(r, "pid", 0),
		    fmt_uptime((uint64_t)jint(r, "uptime_ns", 0), b1,
		    sizeof(b1)));
		show_config(x, c);
	} else
		kv("machine", "%s", jstr(r, "state", "?"));
	if ((last = jget(r, "last")) != NULL) {
		kv("last run", "%" PRId64 " ended (%s) at %s%s%s",
		    jint(last, "run", 0), jstr(last, "ended", "?"),
		    fmt_time(jnum(last, "time", 0), b2, sizeof(b2)),
		    jstr(last, "message", NULL) != NULL ? ": " : "",
		    jstr(last, "message", ""));
	}
}

/* ------------------------------------------------------------ events */

static void
show_events(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "EVENT", 0 }, { "TIME", TB_LEFT }, { "RUN", 0 },
		{ "SOURCE", TB_LEFT }, { "TYPE", TB_LEFT }, { "CPU", 0 },
		{ "SUBJECT", TB_LEFT }, { "MESSAGE", TB_LEFT },
	};
	struct table *t = table_new(cols, 8);
	json_object *a = jget(r, "events"), *e;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	char b[64];

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%" PRId64, jint(e, "event", 0));
		table_cell(t, "%s", fmt_time(jnum(e, "time", 0), b,
		    sizeof(b)));
		table_cell(t, "%s", val(e, "run", b, sizeof(b)));
		table_cell(t, "%s", jstr(e, "source", "-"));
		table_cell(t, "%s", jstr(e, "type", "-"));
		table_cell(t, "%s", val(e, "cpu", b, sizeof(b)));
		table_cell(t, "%s", jstr(e, "subject", ""));
		table_cell(t, "%s", jstr(e, "message", ""));
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

/* ------------------------------------------------------------ runs */

static void
show_runs(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "RUN", 0 }, { "START", TB_LEFT }, { "END", TB_LEFT },
		{ "ENDED", TB_LEFT }, { "CPUS", 0 }, { "PAGE", 0 },
		{ "PHYSMEM", 0 }, { "MODE", TB_LEFT }, { "SEED", 0 },
		{ "SAMPLES", 0 }, { "MESSAGE", TB_LEFT },
	};
	struct table *t = table_new(cols, 11);
	json_object *a = jget(r, "runs"), *e;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	char b[64];

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%" PRId64, jint(e, "run", 0));
		table_cell(t, "%s", fmt_time(jnum(e, "start", 0), b,
		    sizeof(b)));
		if (jget(e, "end") == NULL ||
		    json_object_is_type(jget(e, "end"), json_type_null))
			table_cell(t, "-");
		else
			table_cell(t, "%s", fmt_time(jnum(e, "end", 0), b,
			    sizeof(b)));
		table_cell(t, "%s", jstr(e, "ended", "running"));
		table_cell(t, "%" PRId64, jint(e, "ncpu", 0));
		table_cell(t, "%" PRId64, jint(e, "page_size", 0));
		table_cell(t, "%s", fmt_bytes((uint64_t)jint(e, "physmem", 0),
		    b, sizeof(b)));
		table_cell(t, "%s", jstr(e, "config.mode", "parallel"));
		table_cell(t, "%" PRId64, jint(e, "seed", 0));
		table_cell(t, "%" PRId64, jint(e, "samples", 0));
		table_cell(t, "%s", jstr(e, "message", ""));
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

/* ------------------------------------------------------------ pools */

#define U(o, k)	((uint64_t)jint((o), (k), 0))

/* Maxpg as vmstat prints it: "inf" for no limit (UINT_MAX). */
static void
cell_maxpages(struct table *t, uint64_t v)
{

	if (v >= UINT32_MAX)
		table_cell(t, "inf");
	else
		table_cell(t, "%" PRIu64, v);
}

/* A percentage of a total, "-" for none. */
static void
cell_pct(struct table *t, uint64_t part, uint64_t total)
{

	if (total == 0)
		table_cell(t, "-");
	else
		table_cell(t, "%.1f", 100.0 * (double)part / (double)total);
}

/* Whether name is in the reply's "owned" list (made by pool create). */
static bool
owned(json_object *r, const char *name)
{
	json_object *a = jget(r, "owned");
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;

	for (i = 0; i < n; i++)
		if (strcmp(json_object_get_string(
		    json_object_array_get_idx(a, i)), name) == 0)
			return true;
	return false;
}

/*
 * show pools: vmstat -m's columns (its names, upper case, as bgpctl
 * prints), every pool, with InUse and Util of -mW; * marks the pools
 * made by pool create.
 */
static void
show_pools(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "NAME", TB_LEFT }, { "SIZE", 0 }, { "REQUESTS", 0 },
		{ "FAIL", 0 }, { "RELEASES", 0 }, { "INUSE", 0 },
		{ "PGREQ", 0 }, { "PGREL", 0 }, { "NPAGE", 0 }, { "HIWAT", 0 },
		{ "MINPG", 0 }, { "MAXPG", 0 }, { "IDLE", 0 }, { "UTIL", 0 },
	};
	struct table *t = table_new(cols, 14);
	json_object *a = jget(r, "pools"), *p;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	uint64_t cap;
	bool any = false;

	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		table_row(t);
		if (owned(r, jstr(p, "wchan", ""))) {
			table_cell(t, "%s*", jstr(p, "wchan", ""));
			any = true;
		} else
			table_cell(t, "%s", jstr(p, "wchan", ""));
		table_cell(t, "%" PRIu64, U(p, "size"));
		table_cell(t, "%" PRIu64, U(p, "nget"));
		table_cell(t, "%" PRIu64, U(p, "nfail"));
		table_cell(t, "%" PRIu64, U(p, "nput"));
		table_cell(t, "%" PRIu64, U(p, "nout"));
		table_cell(t, "%" PRIu64, U(p, "npagealloc"));
		table_cell(t, "%" PRIu64, U(p, "npagefree"));
		table_cell(t, "%" PRIu64, U(p, "npages"));
		table_cell(t, "%" PRIu64, U(p, "hiwat"));
		table_cell(t, "%" PRIu64, U(p, "minpages"));
		cell_maxpages(t, U(p, "maxpages"));
		table_cell(t, "%" PRIu64, U(p, "nidle"));
		cap = U(p, "npages") * U(p, "pagesize");
		if (cap == 0)
			table_cell(t, "-");
		else
			table_cell(t, "%.1f%%", 100.0 * (double)(U(p, "nout") *
			    U(p, "size")) / (double)cap);
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
	if (any && !x->x_noheader)
		printf("* made by pool create (pool destroy may destroy it)\n");
}

/*
 * A record's fields as lines of name, value and description, from
 * libnbmem's field table (stats.h), so that every statistic shows with
 * what it means.
 */
static void
show_fields(json_object *o, const struct nbm_stat_field *f, size_t nf)
{
	json_object *v;
	char b[64];
	size_t i;

	for (i = 0; i < nf; i++) {
		if (f[i].sf_kind == NBM_STAT_LABEL ||
		    (v = jget(o, f[i].sf_name)) == NULL)
			continue;
		if (strcmp(f[i].sf_unit, "flags") == 0)
			snprintf(b, sizeof(b), "0x%" PRIx64,
			    (uint64_t)json_object_get_int64(v));
		else if (json_object_is_type(v, json_type_array))
			snprintf(b, sizeof(b), "(below)");
		else
			snprintf(b, sizeof(b), "%s", json_object_get_string(v));
		printf("  %-18s %14s  %s\n", f[i].sf_name, b, f[i].sf_descr);
	}
}

/* A table of cache CPU records, columns from nbm_cachecpu_fields. */
static void
show_cachecpus(struct ctl *x, json_object *a, const char *indent)
{
	struct table_col cols[16];
	struct table *t;
	json_object *c;
	char *names[16], b[64];
	size_t i, k, n = a != NULL ? json_object_array_length(a) : 0;
	int nc = 0;

	memset(cols, 0, sizeof(cols));
	for (k = 0; k < nbm_cachecpu_nfields && nc < 16; k++) {
		names[nc] = xstrdup(nbm_cachecpu_fields[k].sf_name);
		for (i = 0; names[nc][i] != '\0'; i++)
			names[nc][i] = (char)toupper((unsigned char)
			    names[nc][i]);
		cols[nc].tc_name = names[nc];
		cols[nc].tc_flags = nbm_cachecpu_fields[k].sf_type ==
		    NBM_STAT_STR ? TB_LEFT : 0;
		nc++;
	}
	t = table_new(cols, nc);
	for (i = 0; i < n; i++) {
		c = json_object_array_get_idx(a, i);
		table_row(t);
		for (k = 0; k < (size_t)nc; k++)
			table_cell(t, "%s", val(c,
			    nbm_cachecpu_fields[k].sf_name, b, sizeof(b)));
	}
	table_print(t, stdout, x->x_noheader, indent);
	table_free(t);
	for (k = 0; k < (size_t)nc; k++)
		free(names[k]);
}

/* show pools NAME, show caches NAME: pool.show's reply. */
static void
show_pool(struct ctl *x, json_object *r)
{
	json_object *p = jget(r, "pool"), *g = jget(r, "geometry"), *a;
	size_t i, n;
	char b[64];

	printf("pool %s%s\n", jstr(p, "wchan", "?"),
	    json_object_get_boolean(jget(r, "owned")) ?
	    " (made by pool create)" : "");
	if (g != NULL) {
		printf("  %-18s %" PRId64 " bytes (asked %" PRId64 ", align %"
		    PRId64 ", offset %" PRId64 ")\n", "item",
		    jint(g, "size", 0), jint(g, "reqsize", 0),
		    jint(g, "align", 0), jint(g, "itemoffset", 0));
		printf("  %-18s %" PRId64 " bytes, %" PRId64 " items, %s "
		    "allocator, header %s, free %s, maxcolor %" PRId64 "\n",
		    "page", jint(g, "pagesize", 0), jint(g, "itemsperpage", 0),
		    jstr(g, "allocator", "?"), jstr(g, "header", "?"),
		    jstr(g, "freelist", "?"), jint(g, "maxcolor", 0));
		printf("  %-18s %s\n", "ipl", jstr(g, "ipl", "?"));
		printf("  %-18s ", "flags");
		a = jget(g, "flags");
		n = a != NULL ? json_object_array_length(a) : 0;
		for (i = 0; i < n; i++)
			printf("%s%s", i > 0 ? " " : "", json_object_get_string(
			    json_object_array_get_idx(a, i)));
		printf("%s\n", n == 0 ? "none" : "");
		printf("  %-18s %" PRId64 " to %" PRId64 " items, %" PRId64
		    " to %s pages\n", "watermarks", jint(g, "minitems", 0),
		    jint(g, "maxitems", 0), jint(g, "minpages", 0),
		    U(g, "maxpages") >= UINT32_MAX ? "inf" :
		    val(g, "maxpages", b, sizeof(b)));
		if (jint(g, "hardlimit", 0) != 0 &&
		    U(g, "hardlimit") < UINT32_MAX)
			printf("  %-18s %" PRId64 " items%s%s%s\n",
			    "hard limit", jint(g, "hardlimit", 0),
			    jstr(g, "warning", NULL) != NULL ? ", warning \"" :
			    "", jstr(g, "warning", ""),
			    jstr(g, "warning", NULL) != NULL ? "\"" : "");
	}
	printf("kern.pool record\n");
	show_fields(p, nbm_pool_fields, nbm_pool_nfields);
	if (jget(r, "cache") != NULL &&
	    !json_object_is_type(jget(r, "cache"), json_type_null)) {
		printf("cache: groups of %" PRId64 ", %" PRId64 " CPUs\n",
		    jint(r, "cache.groupsize", 0), jint(r, "cache.ncpu", 0));
		show_cachecpus(x, jget(r, "cpus"), "  ");
	}
}

/* show caches: vmstat -C's columns, with the groups by state. */
static void
show_caches(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "NAME", TB_LEFT }, { "SPIN", 0 }, { "GRPSZ", 0 },
		{ "FULL", 0 }, { "PART", 0 }, { "EMTY", 0 },
		{ "POOLLAYER", 0 }, { "CACHELAYER", 0 }, { "HIT%", 0 },
		{ "CPULAYER", 0 }, { "HIT%", 0 },
	};
	struct table *t = table_new(cols, 11);
	json_object *a = jget(r, "caches"), *p;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	uint64_t tot;

	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%s", jstr(p, "wchan", ""));
		table_cell(t, "%" PRIu64, U(p, "cache_ncontended"));
		table_cell(t, "%" PRIu64, U(p, "cache_meta_size"));
		table_cell(t, "%" PRIu64, U(p, "cache_nfull"));
		table_cell(t, "%" PRIu64, U(p, "cache_npartial"));
		table_cell(t, "%" PRIu64, U(p, "cache_nempty"));
		table_cell(t, "%" PRIu64, U(p, "cache_nmiss_global"));
		tot = U(p, "cache_nhit_global") + U(p, "cache_nmiss_global");
		table_cell(t, "%" PRIu64, tot);
		cell_pct(t, U(p, "cache_nhit_global"), tot);
		tot = U(p, "cache_nhit_pcpu") + U(p, "cache_nmiss_pcpu");
		table_cell(t, "%" PRIu64, tot);
		cell_pct(t, U(p, "cache_nhit_pcpu"), tot);
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
	if (x->x_verbose > 0) {
		printf("\n");
		show_cachecpus(x, jget(r, "cpus"), NULL);
	}
}

/* show kmem: the size classes, then the large and guarded paths. */
static void
show_kmem(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "CLASS", TB_LEFT }, { "SIZE", 0 }, { "REQUESTS", 0 },
		{ "RELEASES", 0 }, { "INUSE", 0 }, { "NPAGE", 0 },
		{ "CPUHIT%", 0 },
	};
	struct table *t = table_new(cols, 7);
	json_object *a = jget(r, "classes"), *p, *l = jget(r, "large");
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	uint64_t tot;
	char b[32];

	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%s", jstr(p, "wchan", ""));
		table_cell(t, "%" PRIu64, U(p, "size"));
		table_cell(t, "%" PRIu64, U(p, "nget") +
		    U(p, "cache_nhit_pcpu"));
		table_cell(t, "%" PRIu64, U(p, "nput"));
		table_cell(t, "%" PRIu64, U(p, "nout"));
		table_cell(t, "%" PRIu64, U(p, "npages"));
		tot = U(p, "cache_nhit_pcpu") + U(p, "cache_nmiss_pcpu");
		cell_pct(t, U(p, "cache_nhit_pcpu"), tot);
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
	if (l == NULL)
		return;
	printf("\nlarge allocations (above the largest class): %" PRIu64
	    " allocated, %" PRIu64 " freed, %s in use\n", U(l, "nlarge_alloc"),
	    U(l, "nlarge_free"), fmt_bytes(U(l, "large_inuse"), b, sizeof(b)));
	printf("KMEM_GUARD: %" PRIu64 " allocated, %" PRIu64 " freed, %"
	    PRIu64 " pages in quarantine\n", U(l, "nguard_alloc"),
	    U(l, "nguard_free"), U(l, "guard_quarantine"));
}

/* ------------------------------------------------------------ vmem */

/* Fragmentation: the free space not in the largest free segment. */
static double
frag(uint64_t free, uint64_t largest)
{

	return free == 0 ? 0 : 100.0 * (double)(free - largest) / (double)free;
}

static void
show_vmems(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "ARENA", TB_LEFT }, { "QUANTUM", 0 }, { "SIZE", 0 },
		{ "INUSE", 0 }, { "FREE", 0 }, { "BUSY", 0 }, { "SPANS", 0 },
		{ "IMPORTED", 0 }, { "FREESEGS", 0 }, { "LARGEST", 0 },
		{ "FRAG%", 0 },
	};
	struct table *t = table_new(cols, 11);
	json_object *a = jget(r, "arenas"), *v;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	char b[32];

	for (i = 0; i < n; i++) {
		v = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%s", jstr(v, "name", ""));
		table_cell(t, "%" PRIu64, U(v, "quantum"));
		table_cell(t, "%s", fmt_bytes(U(v, "size"), b, sizeof(b)));
		table_cell(t, "%s", fmt_bytes(U(v, "inuse"), b, sizeof(b)));
		table_cell(t, "%s", fmt_bytes(U(v, "free"), b, sizeof(b)));
		table_cell(t, "%" PRIu64, U(v, "nbusytag"));
		table_cell(t, "%" PRIu64, U(v, "nspans"));
		table_cell(t, "%" PRIu64, U(v, "nimported"));
		table_cell(t, "%" PRIu64, U(v, "nsegs_free"));
		table_cell(t, "%s", fmt_bytes(U(v, "largest_free"), b,
		    sizeof(b)));
		table_cell(t, "%.1f", frag(U(v, "free"),
		    U(v, "largest_free")));
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

/* A histogram bar of n out of max, width columns. */
static void
bar(uint64_t n, uint64_t max, int width)
{
	int i, w = max == 0 ? 0 : (int)((n * (uint64_t)width + max - 1) / max);

	for (i = 0; i < w; i++)
		putchar('#');
}

static void
show_vmem(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "START", 0 }, { "END", 0 }, { "SIZE", 0 },
		{ "TYPE", TB_LEFT },
	};
	json_object *v = jget(r, "arena"), *fl, *a, *s;
	struct table *t;
	size_t i, n;
	uint64_t q = U(v, "quantum"), max = 0, c;
	char b1[32], b2[32];

	printf("arena %s: %.1f%% fragmented (free space outside the largest "
	    "free segment)\n", jstr(v, "name", "?"), frag(U(v, "free"),
	    U(v, "largest_free")));
	show_fields(v, nbm_vmem_fields, nbm_vmem_nfields);
	if ((fl = jget(v, "freelist")) != NULL &&
	    json_object_is_type(fl, json_type_array)) {
		n = json_object_array_length(fl);
		for (i = 0; i < n; i++)
			if ((c = (uint64_t)json_object_get_int64(
			    json_object_array_get_idx(fl, i))) > max)
				max = c;
		printf("free segments by size (freelist histogram)\n");
		for (i = 0; i < n; i++) {
			c = (uint64_t)json_object_get_int64(
			    json_object_array_get_idx(fl, i));
			if (c == 0 && x->x_verbose == 0)
				continue;
			printf("  %9s to < %-9s %8" PRIu64 " ", fmt_bytes(q << i,
			    b1, sizeof(b1)), fmt_bytes(q << (i + 1), b2,
			    sizeof(b2)), c);
			bar(c, max, 30);
			putchar('\n');
		}
	}
	a = jget(r, "segments");
	n = a != NULL ? json_object_array_length(a) : 0;
	printf("segment map (%" PRId64 " segments%s)\n", jint(r, "nsegments",
	    (int64_t)n), (size_t)jint(r, "nsegments", (int64_t)n) > n ?
	    ", the first shown" : "");
	t = table_new(cols, 4);
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "0x%" PRIx64, U(s, "start"));
		table_cell(t, "0x%" PRIx64, U(s, "start") + U(s, "size") - 1);
		table_cell(t, "%" PRIu64, U(s, "size"));
		table_cell(t, "%s", jstr(s, "type", "?"));
	}
	table_print(t, stdout, x->x_noheader, "  ");
	table_free(t);
}

/* ------------------------------------------------------------ extents */

static void
show_extents(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "EXTENT", TB_LEFT }, { "START", 0 }, { "END", 0 },
		{ "FLAGS", 0 }, { "REGIONS", 0 }, { "ALLOCATED", 0 },
		{ "LARGESTFREE", 0 }, { "USED%", 0 },
	};
	struct table *t = table_new(cols, 8);
	json_object *a = jget(r, "extents"), *e;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	double span;

	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		span = (double)(U(e, "end") - U(e, "start")) + 1;
		table_row(t);
		table_cell(t, "%s", jstr(e, "name", ""));
		table_cell(t, "0x%" PRIx64, U(e, "start"));
		table_cell(t, "0x%" PRIx64, U(e, "end"));
		table_cell(t, "0x%" PRIx64, U(e, "flags"));
		table_cell(t, "%" PRIu64, U(e, "nregions"));
		table_cell(t, "0x%" PRIx64, U(e, "allocated"));
		table_cell(t, "0x%" PRIx64, U(e, "largest_free"));
		table_cell(t, "%.1f", 100.0 * (double)U(e, "allocated") /
		    span);
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

#define EXTENT_BAR	64

/*
 * extent_bar: the space as EXTENT_BAR cells, each '#' when wholly
 * allocated, '+' when partly, '.' when free.
 */
static void
extent_bar(json_object *e, json_object *regions)
{
	uint64_t start = U(e, "start"), end = U(e, "end");
	long double cell = ((long double)end - start + 1) / EXTENT_BAR;
	char bar[EXTENT_BAR + 1];

	extent_cells(e, regions, bar, EXTENT_BAR);
	printf("  |%s|\n  0x%-*" PRIx64 "0x%" PRIx64 "\n", bar,
	    EXTENT_BAR - 1, start, end);
	printf("  (# allocated, + partly, . free; a cell spans 0x%" PRIx64
	    "%s addresses)\n", (uint64_t)cell, cell != (uint64_t)cell ?
	    "+" : "");
}

static void
show_extent(struct ctl *x, json_object *r)
{
	json_object *e = jget(r, "extent");

	fputs(jstr(r, "print", ""), stdout);
	if (*jstr(r, "print", "") != '\0' &&
	    jstr(r, "print", "")[strlen(jstr(r, "print", "")) - 1] != '\n')
		putchar('\n');
	printf("space of %s\n", jstr(e, "name", "?"));
	extent_bar(e, jget(r, "regions"));
}

/* ------------------------------------------------------------ intr */

static void
show_intr(struct ctl *x, json_object *r)
{
	static const struct table_col cols[] = {
		{ "SOURCE", TB_LEFT }, { "IPL", TB_LEFT }, { "ARRIVALS", TB_LEFT },
		{ "RATE", 0 }, { "TARGET", TB_LEFT }, { "STATE", TB_LEFT },
		{ "OWNER", TB_LEFT }, { "COUNT", 0 }, { "MASKED", 0 },
		{ "PENDING", 0 }, { "POSTED", 0 },
	};
	struct table *t = table_new(cols, 11);
	json_object *a = jget(r, "sources"), *s;
	size_t i, n;
	char b[64];

	if (a == NULL)
		a = jget(r, "intr");
	n = a != NULL ? json_object_array_length(a) : 0;
	for (i = 0; i < n; i++) {
		s = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%s", jstr(s, "name", ""));
		table_cell(t, "%s", jstr(s, "ipl", ""));
		if (jget(s, "burst") != NULL)
			table_cell(t, "%s of %" PRId64, jstr(s, "distribution",
			    ""), jint(s, "burst", 0));
		else
			table_cell(t, "%s", jstr(s, "distribution", ""));
		table_cell(t, "%s/s", fmt_num(jnum(s, "rate", 0), b,
		    sizeof(b)));
		if (strcmp(jstr(s, "target", ""), "cpu") == 0)
			table_cell(t, "cpu%" PRId64, jint(s, "cpu", 0));
		else
			table_cell(t, "%s", jstr(s, "target", ""));
		table_cell(t, "%s", json_object_get_boolean(jget(s, "paused")) ?
		    "paused" : "running");
		table_cell(t, "%s", jstr(s, "owner", ""));
		table_cell(t, "%" PRIu64, U(s, "count"));
		table_cell(t, "%" PRIu64, U(s, "masked"));
		table_cell(t, "%" PRIu64, U(s, "pending"));
		table_cell(t, "%" PRIu64, U(s, "posted"));
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

/* ------------------------------------------------------------ others */

/*
 * A reply this renderer has no table for yet: its members as name-value
 * lines, nested objects indented.
 */
static void
show_members(json_object *o, int depth)
{

	json_object_object_foreach(o, k, v) {
		if (json_object_is_type(v, json_type_object)) {
			printf("%*s%s\n", depth * 2, "", k);
			show_members(v, depth + 1);
		} else
			printf("%*s%-*s %s\n", depth * 2, "", 14 - depth * 2,
			    k, v == NULL ? "-" : json_object_get_string(v));
	}
}

#define WRAP_WIDTH	79	/* columns of wrapped text */

/*
 * wrap: text in words, the first line going on from column col, the
 * others indented to column indent, none past WRAP_WIDTH (a word longer
 * than a line stands alone).
 */
static void
wrap(const char *text, int col, int indent)
{
	const char *w = text, *e;
	int len;

	while (*w != '\0') {
		while (*w == ' ')
			w++;
		if (*w == '\0')
			break;
		for (e = w; *e != '\0' && *e != ' '; e++)
			continue;
		len = (int)(e - w);
		if (col > indent && col + 1 + len > WRAP_WIDTH) {
			printf("\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			putchar(' ');
			col++;
		}
		printf("%.*s", len, w);
		col += len;
		w = e;
	}
	putchar('\n');
}

/* workload list: the built-in workloads and what they do. */
static void
show_workloads(struct ctl *x, json_object *r)
{
	json_object *a = jget(r, "workloads"), *w;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;
	int nw = (int)strlen("WORKLOAD"), l;

	for (i = 0; i < n; i++)
		if ((l = (int)strlen(jstr(json_object_array_get_idx(a, i),
		    "name", ""))) > nw)
			nw = l;
	if (!x->x_noheader)
		printf("%-*s  DESCRIPTION\n", nw, "WORKLOAD");
	for (i = 0; i < n; i++) {
		w = json_object_array_get_idx(a, i);
		printf("%-*s  ", nw, jstr(w, "name", ""));
		wrap(jstr(w, "description", ""), nw + 2, nw + 2);
	}
}

/* workload show NAME: a built-in, and its parameters on this machine. */
static void
show_workload_info(struct ctl *x, json_object *w)
{
	static const struct table_col cols[] = {
		{ "KEY", TB_LEFT }, { "DEFAULT", 0 }, { "RANGE", TB_LEFT },
		{ "DESCRIPTION", TB_LEFT },
	};
	struct table *t;
	json_object *a = jget(w, "parameters"), *p;
	size_t i, n = a != NULL ? json_object_array_length(a) : 0;

	printf("%-12s %s\n", "workload", jstr(w, "name", "-"));
	printf("%-12s ", "description");
	wrap(jstr(w, "description", ""), 13, 13);
	if (a == NULL) {
		/* A daemon before protocol 2.2: the keys only. */
		kv("parameters", "%s", jstr(w, "params", "-"));
		return;
	}
	printf("parameters   (--param KEY=VALUE; defaults for this "
	    "machine)\n");
	t = table_new(cols, 4);
	for (i = 0; i < n; i++) {
		p = json_object_array_get_idx(a, i);
		table_row(t);
		table_cell(t, "%s", jstr(p, "key", ""));
		/* Ranges go to 2^64 - 1 (seed): read them unsigned. */
		table_cell(t, "%" PRIu64, json_object_get_uint64(jget(p,
		    "default")));
		table_cell(t, "%" PRIu64 "..%" PRIu64,
		    json_object_get_uint64(jget(p, "min")),
		    json_object_get_uint64(jget(p, "max")));
		table_cell(t, "%s", jstr(p, "description", ""));
	}
	table_print(t, stdout, x->x_noheader, "  ");
	table_free(t);
}

/*
 * workload status (and the end of run): what the workload is doing or
 * did, in words.
 */
static void
show_workload(struct ctl *x, json_object *r)
{
	static const struct {
		const char *state, *meaning;
	} states[] = {
		{ "none", "no workload has run on this machine" },
		{ "running", "running" },
		{ "stopping", "stopping: asked to stop, its threads finish" },
		{ "ending", "ending: its stop condition came, threads finish" },
		{ "done", "done: it reached its stop condition" },
		{ "stopped", "stopped before its stop condition" },
	};
	const char *st = jstr(r, "state", "-"), *meaning = st;
	json_object *c = jget(r, "counters");
	char b1[32], b2[32];
	size_t i;

	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		if (strcmp(states[i].state, st) == 0)
			meaning = states[i].meaning;
	if (jget(r, "name") != NULL)
		kv("workload", "%s", jstr(r, "name", "-"));
	kv("state", "%s", meaning);
	if (jget(r, "started") != NULL)
		kv("started", "%s", fmt_time(jnum(r, "started", 0), b1,
		    sizeof(b1)));
	if (jget(r, "loaded") != NULL)
		kv("replaying", "a trace of %" PRId64 " records",
		    jint(r, "loaded", 0));
	if (jget(r, "trace") != NULL)
		kv("trace", "%" PRId64 " recording", jint(r, "trace", 0));
	if (jget(r, "armed") != NULL)
		kv("trace", "%" PRId64 " armed for the next run",
		    jint(r, "armed", 0));
	if (jget(r, "ops") == NULL)
		return;
	if (jget(r, "progress") != NULL)
		kv("operations", "%" PRId64 " (%.*f%% of the stop condition)",
		    jint(r, "ops", 0), jnum(r, "progress", 0) < 0.1 ? 1 : 0,
		    jnum(r, "progress", 0) * 100);
	else
		kv("operations", "%" PRId64, jint(r, "ops", 0));
	kv("machine time", "%s", fmt_duration(jnum(r, "elapsed", 0), b1,
	    sizeof(b1)));
	kv("rate", "%s ops/s", fmt_count((uint64_t)jnum(r, "rate", 0), b2,
	    sizeof(b2)));
	if (c == NULL)
		return;
	kv("allocations", "%" PRId64 "  (failed %" PRId64 ", skipped %"
	    PRId64 ")", jint(c, "allocs", 0), jint(c, "fails", 0),
	    jint(c, "skipped", 0));
	kv("frees", "%" PRId64 "  (on another CPU %" PRId64 ")",
	    jint(c, "frees", 0), jint(c, "xcpu", 0));
	kv("live", "%" PRId64 " objects held", jint(c, "live", 0));
	kv("interrupts", "%" PRId64 "  (allocations %" PRId64 ", failed %"
	    PRId64 ", skipped %" PRId64 ")", jint(c, "intr", 0),
	    jint(c, "intr_allocs", 0), jint(c, "intr_fails", 0),
	    jint(c, "intr_skipped", 0));
	if (strcmp(st, "running") == 0 || strcmp(st, "stopping") == 0 ||
	    strcmp(st, "ending") == 0) {
		if (jint(c, "remaining_ops", 0) > 0)
			kv("remaining", "%" PRId64 " ops", jint(c,
			    "remaining_ops", 0));
		if (jint(c, "remaining_ns", 0) > 0)
			kv("remaining", "%s of machine time", fmt_duration(
			    (double)jint(c, "remaining_ns", 0) / 1e9, b1,
			    sizeof(b1)));
	}
	if (jint(c, "trace_lines", 0) > 0 || jint(c, "trace_dropped", 0) > 0)
		kv("trace lines", "%" PRId64 "  (dropped %" PRId64 ")",
		    jint(c, "trace_lines", 0), jint(c, "trace_dropped", 0));
}

static void
show_done(struct ctl *x, const char *what, json_object *r)
{

	printf("%s\n", what);
	if (x->x_verbose > 0)
		show_members(r, 1);
}

const struct output show_output = {
	.o_machine = show_machine,
	.o_pools = show_pools,
	.o_pool = show_pool,
	.o_caches = show_caches,
	.o_cache = show_pool,
	.o_kmem = show_kmem,
	.o_vmems = show_vmems,
	.o_vmem = show_vmem,
	.o_extents = show_extents,
	.o_extent = show_extent,
	.o_intr = show_intr,
	.o_events = show_events,
	.o_runs = show_runs,
	.o_workloads = show_workloads,
	.o_workload = show_workload,
	.o_workload_info = show_workload_info,
	.o_done = show_done,
};
