/*
 * run.c: nbmemctl run WORKLOAD|FILE, the workload commands and trace
 * replay: start a workload, follow it with a progress bar while standard
 * output is a terminal, and end with a summary table.
 *
 * The daemon's workload engine answers workload.start with the workload
 * it started and workload.status with its progress; run polls the status
 * (five times a second) until the workload is no longer running.  ^C
 * asks the daemon to stop the workload (workload.stop) and still prints
 * the summary of what ran.  The summary is the workload's final status
 * and, per pool, what it did: the differences between the kern.pool
 * records before the start and after the end (requests, releases,
 * failures, pages taken and given back) and the peak pages held.
 *
 * The requests follow the workload.* and trace.* schemas as the workload
 * engine defines them; a daemon without the engine gets the message of
 * ctl_need_method().
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbmemctl.h"
#include "tui.h"

#define RUN_POLL_US	200000	/* between two workload.status */
#define BAR_WIDTH	30

/* The kern.pool records of the machine now (pools section). */
static json_object *
pools_now(struct ctl *x)
{
	json_object *p = json_object_new_object(), *a, *r, *pools;

	a = json_object_new_array();
	json_object_array_add(a, json_object_new_string("pools"));
	json_object_object_add(p, "sections", a);
	r = ctl_call(x, "stats.snapshot", p);
	pools = json_object_get(jget(r, "pools"));
	json_object_put(r);
	return pools;
}

/* A --param value: a JSON number when it reads as one, else a string. */
static json_object *
param_value(const char *v)
{
	char *end;
	long long i;
	double d;

	errno = 0;
	i = strtoll(v, &end, 0);
	if (errno == 0 && end != v && *end == '\0')
		return json_object_new_int64(i);
	d = strtod(v, &end);
	if (end != v && *end == '\0' && isfinite(d))
		return proto_number(d);
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0)
		return json_object_new_boolean(strcmp(v, "true") == 0);
	return json_object_new_string(v);
}

/*
 * run_params: workload.start's parameters: the workload by name, or the
 * description in a file (any word naming a file that exists, or with a
 * slash), then the options.
 */
static json_object *
run_params(struct ctl *x)
{
	const char *w = ARG(x, ARG_WORKLOAD)->pa_str, *eq;
	const struct parse_arg *pa = ARG(x, ARG_PARAM);
	json_object *p = json_object_new_object(), *file, *kv;
	struct stat sb;
	char *text, key[128];
	int i;

	if (strchr(w, '/') != NULL || stat(w, &sb) == 0) {
		if ((text = read_file(w, 1 << 20, NULL)) == NULL ||
		    (file = json_tokener_parse(text)) == NULL) {
			fprintf(stderr, "nbmemctl: %s: %s; give a built-in "
			    "workload (nbmemctl workload list) or a workload "
			    "file (JSON)\n", w, text == NULL ? strerror(errno) :
			    "not JSON");
			free(text);
			json_object_put(p);
			return NULL;
		}
		free(text);
		json_object_object_add(p, "workload", file);
	} else
		json_object_object_add(p, "name", json_object_new_string(w));
	if (ARGSET(x, ARG_CPUS))
		json_object_object_add(p, "cpus",
		    json_object_new_int64(ARG(x, ARG_CPUS)->pa_int));
	if (ARGSET(x, ARG_DURATION))
		json_object_object_add(p, "duration",
		    proto_number(ARG(x, ARG_DURATION)->pa_num));
	if (ARGSET(x, ARG_OPS))
		json_object_object_add(p, "ops",
		    json_object_new_int64(ARG(x, ARG_OPS)->pa_int));
	if (ARGSET(x, ARG_SEED))
		json_object_object_add(p, "seed",
		    json_object_new_int64(ARG(x, ARG_SEED)->pa_int));
	if (pa->pa_nlist > 0) {
		kv = json_object_new_object();
		for (i = 0; i < pa->pa_nlist; i++) {
			eq = strchr(pa->pa_list[i], '=');
			snprintf(key, sizeof(key), "%.*s",
			    (int)(eq - pa->pa_list[i]), pa->pa_list[i]);
			json_object_object_add(kv, key, param_value(eq + 1));
		}
		json_object_object_add(p, "params", kv);
	}
	return p;
}

/*
 * The progress line: a bar of the part done (of the operations or the
 * duration the workload was given), operations, their rate, elapsed
 * and remaining time.
 */
static void
progress(json_object *st, bool last)
{
	double done = jnum(st, "progress", -1), el = jnum(st, "elapsed", 0);
	double rate = jnum(st, "rate", 0), left;
	uint64_t ops = (uint64_t)jint(st, "ops", 0);
	char bar[BAR_WIDTH + 1], b1[32], b2[32], b3[32], b4[32];
	int i, n;

	if (rate == 0 && el > 0)
		rate = (double)ops / el;
	n = done < 0 ? 0 : (int)(done * BAR_WIDTH + 0.5);
	for (i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < n ? '#' : done < 0 ? '?' : '.';
	bar[BAR_WIDTH] = '\0';
	left = done > 0 && done < 1 ? el / done - el : 0;
	printf("\r%s [%s] %3.0f%%  %s ops  %s/s  %s elapsed  %s left \b",
	    jstr(st, "name", "workload"), bar, done < 0 ? 0 : done * 100,
	    fmt_count(ops, b1, sizeof(b1)), fmt_count((uint64_t)rate, b2,
	    sizeof(b2)), fmt_duration(el, b3, sizeof(b3)),
	    done > 0 ? fmt_duration(left, b4, sizeof(b4)) : "?");
	if (last)
		putchar('\n');
	fflush(stdout);
}

/* What the workload did to each pool: the summary table. */
static void
summary_pools(struct ctl *x, json_object *before, json_object *after)
{
	static const struct table_col cols[] = {
		{ "POOL", TB_LEFT }, { "REQUESTS", 0 }, { "RELEASES", 0 },
		{ "FAIL", 0 }, { "PGREQ", 0 }, { "PGREL", 0 }, { "INUSE", 0 },
		{ "HIWAT", 0 },
	};
	struct table *t = table_new(cols, 8);
	json_object *a, *b;
	size_t i, k, n = after != NULL ? json_object_array_length(after) : 0;
	size_t nb = before != NULL ? json_object_array_length(before) : 0;
	int64_t d[5];
	static const char *const f[5] = {
		"nget", "nput", "nfail", "npagealloc", "npagefree"
	};

	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(after, i);
		b = NULL;
		for (k = 0; k < nb && b == NULL; k++)
			if (strcmp(jstr(json_object_array_get_idx(before, k),
			    "wchan", ""), jstr(a, "wchan", "")) == 0)
				b = json_object_array_get_idx(before, k);
		for (k = 0; k < 5; k++)
			d[k] = jint(a, f[k], 0) - jint(b, f[k], 0);
		if (d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 0 &&
		    d[4] == 0)
			continue;
		table_row(t);
		table_cell(t, "%s", jstr(a, "wchan", ""));
		for (k = 0; k < 5; k++)
			table_cell(t, "%" PRId64, d[k]);
		table_cell(t, "%" PRId64, jint(a, "nout", 0));
		table_cell(t, "%" PRId64, jint(a, "hiwat", 0));
	}
	table_print(t, stdout, x->x_noheader, NULL);
	table_free(t);
}

/* Follow a started workload to its end and print the summary. */
static int
follow(struct ctl *x, json_object *started, json_object *before)
{
	json_object *st = NULL, *after, *p;
	bool tty = is_tty(1) && !x->x_json, stopping = false;
	struct rpc_error re;
	int rv;

	ctl_catch_interrupt(true);
	for (;;) {
		usleep(RUN_POLL_US);
		if (ctl_interrupted() && !stopping) {
			stopping = true;
			ctl_catch_interrupt(true);
			p = client_call(x->x_cl, "workload.stop", NULL, &re);
			json_object_put(p);
			if (tty)
				printf("\nnbmemctl: stopping the workload\n");
		}
		json_object_put(st);
		if ((st = client_call(x->x_cl, "workload.status", NULL, &re)) ==
		    NULL) {
			ctl_catch_interrupt(false);
			json_object_put(started);
			json_object_put(before);
			return ctl_rpc_failed(x, "workload.status", &re);
		}
		if (tty)
			progress(st, false);
		if (strcmp(jstr(st, "state", "running"), "running") != 0)
			break;
	}
	ctl_catch_interrupt(false);
	if (tty)
		progress(st, true);
	after = pools_now(x);
	if (x->x_json) {
		p = json_object_new_object();
		json_object_object_add(p, "started", started);
		json_object_object_add(p, "status", st);
		json_object_object_add(p, "pools_before", before);
		json_object_object_add(p, "pools_after", after);
		json_print(stdout, p);
		json_object_put(p);
		return EXIT_OK;
	}
	x->x_out->o_workload(x, st);
	printf("\n");
	summary_pools(x, before, after);
	rv = strcmp(jstr(st, "state", "done"), "failed") == 0 ? EXIT_DAEMON :
	    EXIT_OK;
	json_object_put(started);
	json_object_put(st);
	json_object_put(before);
	json_object_put(after);
	return rv;
}

int
cmd_run(struct ctl *x)
{
	json_object *p, *r, *before;
	char *text;
	const char *method;

	if (x->x_res->action == ACT_TRACE_REPLAY) {
		method = "trace.replay";
		ctl_need_method(x, method);
		if ((text = read_file(ARG(x, ARG_FILE)->pa_str, 256 << 20,
		    NULL)) == NULL) {
			fprintf(stderr, "nbmemctl: %s: %s; give a trace written "
			    "by `nbmemctl trace stop -o FILE'\n",
			    ARG(x, ARG_FILE)->pa_str, strerror(errno));
			return EXIT_USAGE;
		}
		p = json_object_new_object();
		json_object_object_add(p, "trace",
		    json_object_new_string(text));
		free(text);
		if (ARGSET(x, ARG_CPUS))
			json_object_object_add(p, "cpus",
			    json_object_new_int64(ARG(x, ARG_CPUS)->pa_int));
	} else {
		method = "workload.start";
		ctl_need_method(x, method);
		if ((p = run_params(x)) == NULL)
			return EXIT_USAGE;
	}
	before = pools_now(x);
	r = ctl_call(x, method, p);
	if (ARGSET(x, ARG_DETACH)) {
		json_object_put(before);
		x->x_out->o_workload(x, r);
		json_object_put(r);
		return EXIT_OK;
	}
	return follow(x, r, before);
}

/* workload list, show, status, stop; trace record and stop. */
int
cmd_workload(struct ctl *x)
{
	json_object *p = NULL, *r;
	FILE *f;

	switch (x->x_res->action) {
	case ACT_WORKLOAD_LIST:
		ctl_need_method(x, "workload.list");
		r = ctl_call(x, "workload.list", NULL);
		x->x_out->o_workloads(x, r);
		break;
	case ACT_WORKLOAD_SHOW:
		if (ARGSET(x, ARG_NAME)) {
			ctl_need_method(x, "workload.list");
			r = ctl_call(x, "workload.list", NULL);
			if ((p = tui_find(jget(r, "workloads"), "name",
			    ARG(x, ARG_NAME)->pa_str)) == NULL) {
				fprintf(stderr, "nbmemctl: no built-in workload "
				    "\"%s\"; `nbmemctl workload list' lists "
				    "them\n", ARG(x, ARG_NAME)->pa_str);
				json_object_put(r);
				return EXIT_DAEMON;
			}
			x->x_out->o_workload(x, p);
			break;
		}
		/* FALLTHROUGH */
	case ACT_WORKLOAD_STATUS:
		ctl_need_method(x, "workload.status");
		r = ctl_call(x, "workload.status", NULL);
		x->x_out->o_workload(x, r);
		break;
	case ACT_WORKLOAD_STOP:
		ctl_need_method(x, "workload.stop");
		r = ctl_call(x, "workload.stop", NULL);
		x->x_out->o_done(x, "workload stopped", r);
		break;
	case ACT_TRACE_RECORD:
		ctl_need_method(x, "trace.start");
		r = ctl_call(x, "trace.start", NULL);
		x->x_out->o_done(x, "recording a trace", r);
		break;
	case ACT_TRACE_STOP:
		ctl_need_method(x, "trace.stop");
		r = ctl_call(x, "trace.stop", p);
		if (ARGSET(x, ARG_OUTPUT)) {
			if ((f = fopen(ARG(x, ARG_OUTPUT)->pa_str, "w")) ==
			    NULL || fputs(jstr(r, "trace", ""), f) == EOF ||
			    fclose(f) != 0) {
				fprintf(stderr, "nbmemctl: -o %s: %s\n",
				    ARG(x, ARG_OUTPUT)->pa_str,
				    strerror(errno));
				json_object_put(r);
				return EXIT_DAEMON;
			}
			x->x_out->o_done(x, "trace written", r);
		} else
			fputs(jstr(r, "trace", ""), stdout);
		break;
	default:
		return EXIT_USAGE;
	}
	json_object_put(r);
	return EXIT_OK;
}
