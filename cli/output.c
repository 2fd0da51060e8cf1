/*
 * output.c: the human renderer: nbmemd's replies as tables and
 * name-value lists.  Each function gets the reply of one request (the
 * same object -j prints) and reads it by member name; a member that is
 * missing prints as "-", so that an older or newer daemon's reply never
 * crashes the table.  -n leaves out header lines.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ------------------------------------------------------------ others */

/*
 * A reply this renderer has no table for yet: its members as name-value
 * lines, nested objects indented.
 */
static void
show_members(json_object *o, int depth)
{
	char b[64];

	json_object_object_foreach(o, k, v) {
		if (json_object_is_type(v, json_type_object)) {
			printf("%*s%s\n", depth * 2, "", k);
			show_members(v, depth + 1);
		} else
			printf("%*s%-*s %s\n", depth * 2, "", 14 - depth * 2,
			    k, val(o, k, b, sizeof(b)));
	}
}

static void
show_plain(struct ctl *x, json_object *r)
{

	show_members(r, 0);
}

static void
show_done(struct ctl *x, const char *what, json_object *r)
{

	printf("%s: done\n", what);
	if (x->x_verbose > 0)
		show_members(r, 1);
}

const struct output show_output = {
	.o_machine = show_machine,
	.o_pools = show_plain,
	.o_pool = show_plain,
	.o_caches = show_plain,
	.o_cache = show_plain,
	.o_kmem = show_plain,
	.o_vmems = show_plain,
	.o_vmem = show_plain,
	.o_extents = show_plain,
	.o_extent = show_plain,
	.o_intr = show_plain,
	.o_events = show_events,
	.o_runs = show_runs,
	.o_workloads = show_plain,
	.o_workload = show_plain,
	.o_done = show_done,
};
