/*
 * run.c: nbmemctl run WORKLOAD|FILE, the workload commands and trace
 * replay: start a workload, follow it with a progress bar while standard
 * output is a terminal, and end with a summary table.
 *
 * The daemon's workload engine answers workload.start with the workload
 * it started and workload.status with its progress; run polls the status
 * (five times a second) until the workload has ended ("done" or
 * "stopped"; "stopping" and "ending" are still on the way there).  ^C
 * asks the daemon to stop the workload (workload.stop), waits for it to
 * end and still prints the summary of what ran; a second ^C leaves at
 * once.  The summary is the workload's final status and, per pool, what
 * it did: the differences between the kern.pool records before the start
 * and after the end (requests, releases, failures, pages taken and given
 * back), the items out and the peak pages held.
 *
 * trace replay sends the trace in chunks of lines ("lines" with "more")
 * of at most REPLAY_CHUNK bytes each, under the daemon's request limit;
 * the last chunk starts the replay.
 *
 * The requests follow the workload.* and trace.* schemas as the workload
 * engine defines them; a daemon without the engine gets the message of
 * ctl_need_method().
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nbmemctl.h"
#include "tui.h"

#define RUN_POLL_US	200000	/* between two workload.status */
#define BAR_WIDTH	30
#define REPLAY_CHUNK	(512 * 1024)	/* bytes of trace lines a request */
#define REPLAY_LINES	100000		/* lines a request (the schema's) */
#define EXIT_INTERRUPTED 130		/* 128 + SIGINT, as a shell says */

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

/*
 * same_pool: the record in before of the pool after[i] stands for.  Pool
 * names repeat (two phpool-64 on a machine with 4 KiB pages), and the
 * list is in creation order: the n-th pool of a name after is the n-th
 * of that name before, if there is one.
 */
static json_object *
same_pool(json_object *before, json_object *after, size_t i)
{
	const char *name = jstr(json_object_array_get_idx(after, i), "wchan",
	    "");
	size_t k, nth = 0, nb = before != NULL ?
	    json_object_array_length(before) : 0;
	json_object *b;

	for (k = 0; k < i; k++)
		if (strcmp(jstr(json_object_array_get_idx(after, k), "wchan",
		    ""), name) == 0)
			nth++;
	for (k = 0; k < nb; k++) {
		b = json_object_array_get_idx(before, k);
		if (strcmp(jstr(b, "wchan", ""), name) == 0 && nth-- == 0)
			return b;
	}
	return NULL;
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
	int64_t d[5];
	static const char *const f[5] = {
		"nget", "nput", "nfail", "npagealloc", "npagefree"
	};

	for (i = 0; i < n; i++) {
		a = json_object_array_get_idx(after, i);
		b = same_pool(before, after, i);
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

/* Whether a workload in state st has ended (or none ever ran). */
static bool
ended(const char *st)
{

	return strcmp(st, "running") != 0 && strcmp(st, "stopping") != 0 &&
	    strcmp(st, "ending") != 0;
}

/* Follow a started workload to its end and print the summary. */
static int
follow(struct ctl *x, json_object *started, json_object *before)
{
	json_object *st = NULL, *after, *p;
	bool tty = is_tty(1) && !x->x_json, stopping = false;
	struct rpc_error re;

	ctl_catch_interrupt(true);
	for (;;) {
		usleep(RUN_POLL_US);
		if (ctl_interrupted()) {
			if (stopping) {
				/* A second ^C: leave now, as ^C would. */
				ctl_catch_interrupt(false);
				fprintf(stderr, "\nnbmemctl: interrupted; the "
				    "workload stops in nbmemd without us\n");
				raise(SIGINT);
			}
			stopping = true;
			ctl_catch_interrupt(true);
			p = client_call(x->x_cl, "workload.stop", NULL, &re);
			json_object_put(p);
			fprintf(stderr, "%snbmemctl: stopping the workload "
			    "(^C again to leave at once)\n", tty ? "\n" : "");
		}
		json_object_put(st);
		if ((st = client_call(x->x_cl, "workload.status", NULL, &re)) ==
		    NULL) {
			/*
			 * ^C while waiting for the answer: stop as above (the
			 * late answer is skipped by the next call's wait).
			 */
			if (re.re_lost && ctl_interrupted())
				continue;
			ctl_catch_interrupt(false);
			json_object_put(started);
			json_object_put(before);
			return ctl_rpc_failed(x, "workload.status", &re);
		}
		if (tty)
			progress(st, false);
		if (ended(jstr(st, "state", "done")))
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
	} else {
		x->x_out->o_workload(x, st);
		printf("\n");
		summary_pools(x, before, after);
		json_object_put(started);
		json_object_put(st);
		json_object_put(before);
		json_object_put(after);
	}
	return stopping ? EXIT_INTERRUPTED : EXIT_OK;
}

/* replay_send: one chunk of trace lines; more: others follow it. */
static json_object *
replay_send(struct ctl *x, json_object *lines, bool more)
{
	json_object *p = json_object_new_object();

	json_object_object_add(p, "lines", lines);
	json_object_object_add(p, "more", json_object_new_boolean(more));
	return ctl_call(x, "trace.replay", p);
}

/*
 * replay_line: the next line of f that is not empty, without its end
 * (*linep, *lenp; *linenop counts every line); its size as a JSON string
 * with the escapes, or 0 at the end of the file.
 */
static size_t
replay_line(FILE *f, char **linep, size_t *capp, size_t *lenp,
    size_t *linenop)
{
	char *line;
	ssize_t len;
	size_t sz, i;

	while ((len = getline(linep, capp, f)) >= 0) {
		(*linenop)++;
		line = *linep;
		while (len > 0 && (line[len - 1] == '\n' ||
		    line[len - 1] == '\r'))
			line[--len] = '\0';
		if (len == 0)
			continue;
		for (sz = (size_t)len + 4, i = 0; i < (size_t)len; i++)
			if (line[i] == '"' || line[i] == '\\')
				sz++;
		*lenp = (size_t)len;
		return sz;
	}
	return 0;
}

/*
 * replay_load: send the trace in FILE to trace.replay, REPLAY_CHUNK bytes
 * of lines a request, the last one starting the replay; its answer (the
 * replay's status), or NULL with a message when the file cannot be read.
 * The file is read through once before anything is sent, so that a line
 * too long is refused before the daemon holds part of the trace.  A
 * daemon's error ends the command (ctl_call) and drops what it loaded.
 */
static json_object *
replay_load(struct ctl *x, const char *path)
{
	json_object *lines, *r = NULL;
	char *line = NULL;
	size_t cap = 0, len, bytes = 0, lineno = 0, sz;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "nbmemctl: %s: %s; give a trace written by "
		    "`nbmemctl trace stop -o FILE'\n", path, strerror(errno));
		return NULL;
	}
	while ((sz = replay_line(f, &line, &cap, &len, &lineno)) != 0)
		if (sz > REPLAY_CHUNK) {
			fprintf(stderr, "nbmemctl: %s:%zu: a line of %zu "
			    "bytes; a trace has lines of one JSON object of a "
			    "few hundred bytes\n", path, lineno, len);
			goto out;
		}
	if (ferror(f) || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "nbmemctl: %s: %s\n", path, strerror(errno));
		goto out;
	}
	lines = json_object_new_array();
	while ((sz = replay_line(f, &line, &cap, &len, &lineno)) != 0) {
		if (bytes + sz > REPLAY_CHUNK ||
		    json_object_array_length(lines) == REPLAY_LINES) {
			json_object_put(r);
			r = replay_send(x, lines, true);
			lines = json_object_new_array();
			bytes = 0;
		}
		json_object_array_add(lines, json_object_new_string_len(line,
		    (int)len));
		bytes += sz;
	}
	json_object_put(r);
	r = NULL;
	if (ferror(f)) {
		fprintf(stderr, "nbmemctl: %s: %s\n", path, strerror(errno));
		json_object_put(lines);
		goto out;
	}
	r = replay_send(x, lines, false);
out:
	free(line);
	fclose(f);
	return r;
}

int
cmd_run(struct ctl *x)
{
	json_object *p, *r, *before;

	if (x->x_res->action == ACT_TRACE_REPLAY) {
		ctl_need_method(x, "trace.replay");
		before = pools_now(x);
		if ((r = replay_load(x, ARG(x, ARG_FILE)->pa_str)) == NULL) {
			json_object_put(before);
			return EXIT_USAGE;
		}
	} else {
		ctl_need_method(x, "workload.start");
		if ((p = run_params(x)) == NULL)
			return EXIT_USAGE;
		before = pools_now(x);
		r = ctl_call(x, "workload.start", p);
	}
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
				fprintf(stderr, "nbmemctl: no built-in "
				    "workload \"%s\"; `nbmemctl workload "
				    "list' lists them\n",
				    ARG(x, ARG_NAME)->pa_str);
				json_object_put(r);
				return EXIT_DAEMON;
			}
			x->x_out->o_workload_info(x, p);
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
		x->x_out->o_done(x, jget(r, "armed") != NULL ?
		    "trace armed: the next workload run is recorded" :
		    "recording a trace", r);
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
