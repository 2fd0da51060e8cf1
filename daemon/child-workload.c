/*
 * child-workload.c: workloads and traces in the machine process --
 * workload.list, workload.start, workload.status, workload.stop,
 * trace.start, trace.stop and trace.replay.
 *
 * A workload is a built-in (<nbmem/workload.h>, by name with "key=value"
 * parameters) or a description in JSON (child-wldesc.c), plus overrides
 * common to both (ops, time_ms, seed, threads, cpus).  Starting one
 * creates its sources and threads on CPU 0 (nbm_workload_start); once the
 * request is answered this process's thread leaves CPU 0 and a runner
 * thread runs the machine (nbm_machine_run) until every workload thread
 * has exited.  Meanwhile
 * the requests that only read or set state are served as an observer
 * (child.h).  When the runner returns it wakes the main loop through a
 * pipe (child_wl_done): the run is finished (nbm_workload_finish), its
 * last progress kept for workload.status, and the thread takes CPU 0
 * again.  A panic during the run ends the process as any panic does: the
 * hook has reported it.  One run at a time.
 *
 * Traces.  trace.start traces a run: the one it starts, given a workload
 * as workload.start is, or else the next one workload.start starts.  The
 * trace lines, handed over by machine threads in thread context, are
 * gathered and sent to the daemon as {"trace": {"id": ID, "lines": TEXT}}
 * messages of about CHILD_TRACE_CHUNK bytes; the daemon keeps them
 * (cmd-workload.c).  trace.stop stops the traced run (or lets it finish),
 * waits for it, sends the last lines and answers; the daemon adds the
 * text.  trace.replay loads a trace -- all of it, or a chunk of lines a
 * request (nbm_trace_add) -- and replays it as a run of its own.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "child.h"

#define CHILD_TRACE_CHUNK (64 * 1024)	/* bytes of lines a message */
#define CHILD_WL_WAIT	60000		/* ms a stopping run may take */

struct child_wl {
	struct nbm_wlrun *w_run;	/* the run, NULL once finished */
	char		 w_name[NBM_WL_NAME_MAX]; /* workload, or "replay" */
	double		 w_started;	/* Unix time */
	pthread_t	 w_runner;	/* runs the machine */
	bool		 w_running;	/* ... and has not been joined */
	int		 w_error;	/* nbm_machine_run's answer */
	struct nbm_workload_progress w_final; /* once finished */
	const char	*w_ended;	/* "done", "stopped", NULL: running */
	bool		 w_stopasked;	/* workload.stop or trace.stop */
	struct nbm_trace *w_replay;	/* the trace a replay runs */
	/* Trace sink, written by machine threads. */
	struct child	*w_child;
	int64_t		 w_traceid;	/* 0: no trace */
	pthread_mutex_t	 w_tlock;	/* the fields below */
	char		*w_tbuf;	/* lines not sent yet */
	size_t		 w_tlen;
	uint64_t	 w_tlines;	/* lines sent or buffered */
};

/* Every process has one workload slot and one trace being loaded. */
static struct nbm_trace *child_replay;	/* trace.replay in progress */
static int64_t child_traceid;		/* last trace id */
static int64_t child_tracearmed;	/* id for the next run, or 0 */

static double
child_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Send the gathered trace lines (w_tlock held). */
static void
child_trace_flush(struct child_wl *w)
{
	json_object *o, *t;

	if (w->w_tlen == 0)
		return;
	t = json_object_new_object();
	json_object_object_add(t, "id", json_object_new_int64(w->w_traceid));
	json_object_object_add(t, "lines",
	    json_object_new_string_len(w->w_tbuf, (int)w->w_tlen));
	o = json_object_new_object();
	json_object_object_add(o, "trace", t);
	child_send(w->w_child, o);
	w->w_tlen = 0;
}

/* The trace sink: a line from a machine thread, in thread context. */
static void
child_trace_sink(void *arg, const char *line)
{
	struct child_wl *w = arg;
	size_t len = strlen(line);

	pthread_mutex_lock(&w->w_tlock);
	w->w_tbuf = xreallocarray(w->w_tbuf, 1, w->w_tlen + len + 2);
	memcpy(w->w_tbuf + w->w_tlen, line, len);
	w->w_tbuf[w->w_tlen + len] = '\n';
	w->w_tlen += len + 1;
	w->w_tlines++;
	if (w->w_tlen >= CHILD_TRACE_CHUNK)
		child_trace_flush(w);
	pthread_mutex_unlock(&w->w_tlock);
}

static void *
child_wl_runner(void *arg)
{
	struct child *c = arg;

	c->c_wl->w_error = nbm_machine_run(c->c_m, 0);
	(void)write(c->c_wake[1], "x", 1);
	return NULL;
}

static const char *
child_wl_state(const struct child_wl *w, int state)
{

	if (w->w_ended != NULL)
		return w->w_ended;
	switch (state) {
	case NBM_WLST_RUNNING:
		return "running";
	case NBM_WLST_STOPPING:
		return "stopping";
	}
	return "ending";
}

/*
 * workload.status's answer: the run now, or as it ended -- the figures a
 * progress bar wants (ops, elapsed seconds, rate, the fraction done of
 * the stop condition when there is one), then every counter.
 */
static json_object *
child_wl_status(struct child *c)
{
	struct child_wl *w = c->c_wl;
	struct nbm_workload_progress p;
	json_object *r, *o;
	const char *state;
	double done = -1, t;

	r = json_object_new_object();
	if (w == NULL) {
		json_object_object_add(r, "state",
		    json_object_new_string("none"));
		if (child_tracearmed != 0)
			json_object_object_add(r, "trace",
			    json_object_new_int64(child_tracearmed));
		return r;
	}
	if (w->w_run != NULL)
		nbm_workload_progress(w->w_run, &p);
	else
		p = w->w_final;
	state = child_wl_state(w, p.wp_state);
	json_object_object_add(r, "state", json_object_new_string(state));
	json_object_object_add(r, "name", json_object_new_string(w->w_name));
	json_object_object_add(r, "started", proto_time(w->w_started));
	if (w->w_traceid != 0 || child_tracearmed != 0)
		json_object_object_add(r, "trace", json_object_new_int64(
		    w->w_traceid != 0 ? w->w_traceid : child_tracearmed));
	json_object_object_add(r, "ops", json_object_new_uint64(p.wp_ops));
	json_object_object_add(r, "elapsed",
	    proto_number((double)p.wp_elapsed_ns / 1e9));
	json_object_object_add(r, "rate", proto_number(p.wp_ops_per_sec));
	if (p.wp_remaining_ops > 0 || (p.wp_remaining_ns == 0 &&
	    w->w_ended != NULL))
		done = (double)p.wp_ops / (double)(p.wp_ops +
		    p.wp_remaining_ops);
	if (p.wp_remaining_ns > 0) {
		t = (double)p.wp_elapsed_ns / (double)(p.wp_elapsed_ns +
		    p.wp_remaining_ns);
		done = t > done ? t : done;
	}
	/* Stopped early, it got as far as the remainders say. */
	if (w->w_ended != NULL && strcmp(state, "done") == 0)
		done = 1;
	if (done >= 0)
		json_object_object_add(r, "progress", proto_number(done));
	o = json_object_new_object();
#define P(f)	json_object_object_add(o, #f, json_object_new_uint64(p.wp_##f))
	P(ops);
	P(allocs);
	P(frees);
	P(fails);
	P(skipped);
	P(xcpu);
	P(live);
	P(intr);
	P(intr_allocs);
	P(intr_fails);
	P(intr_skipped);
	P(elapsed_ns);
	P(remaining_ops);
	P(remaining_ns);
	P(trace_lines);
	P(trace_dropped);
#undef P
	json_object_object_add(o, "ops_per_sec",
	    proto_number(p.wp_ops_per_sec));
	json_object_object_add(r, "counters", o);
	return r;
}

/*
 * child_wl_done: the runner returned (the main loop saw the pipe):
 * finish the run and take CPU 0 again.  A machine that panicked ends the
 * process; the hook has told the daemon.
 */
void
child_wl_done(struct child *c)
{
	struct child_wl *w = c->c_wl;
	char x;
	int error;

	(void)read(c->c_wake[0], &x, 1);
	if (w == NULL || !w->w_running)
		return;
	pthread_join(w->w_runner, NULL);
	w->w_running = false;
	error = nbm_workload_finish(w->w_run, &w->w_final);
	w->w_run = NULL;
	if (error == ENOTRECOVERABLE || nbm_machine_dead(c->c_m))
		_exit(NBMD_CHILD_EXIT_PANIC);
	w->w_ended = w->w_stopasked ? "stopped" : "done";
	if (w->w_traceid != 0) {
		pthread_mutex_lock(&w->w_tlock);
		child_trace_flush(w);
		pthread_mutex_unlock(&w->w_tlock);
	}
	if (nbm_cpu_enter(c->c_m, 0) != 0)
		_exit(NBMD_CHILD_EXIT_PROTO);
	c->c_oncpu = true;
	child_idleop = "idle";
	child_idle_start(c);
}

/* Ask the run to stop; it is "stopped" if it was still going. */
static void
child_wl_stop(struct child_wl *w)
{
	struct nbm_workload_progress p;

	nbm_workload_progress(w->w_run, &p);
	if (p.wp_state == NBM_WLST_RUNNING)
		w->w_stopasked = true;
	nbm_workload_stop(w->w_run);
}

/* Wait for the runner of a run asked to stop; false if it took too long. */
static bool
child_wl_wait(struct child *c)
{
	struct pollfd pfd;

	while (c->c_wl != NULL && c->c_wl->w_running) {
		pfd.fd = c->c_wake[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, CHILD_WL_WAIT) == 0)
			return false;
		if (pfd.revents & POLLIN)
			child_wl_done(c);
	}
	return true;
}

/* child_wl_shutdown: before the machine is shut down, end a run. */
void
child_wl_shutdown(struct child *c)
{

	if (c->c_wl != NULL && c->c_wl->w_run != NULL) {
		child_wl_stop(c->c_wl);
		(void)child_wl_wait(c);
	}
}

static void
child_wl_free(struct child *c)
{
	struct child_wl *w = c->c_wl;

	if (w == NULL)
		return;
	pthread_mutex_destroy(&w->w_tlock);
	if (w->w_replay != NULL)
		nbm_trace_destroy(w->w_replay);
	free(w->w_tbuf);
	free(w);
	c->c_wl = NULL;
}

/* A run cannot start while one runs; busy says which. */
static bool
child_wl_idle(struct child *c)
{

	if (c->c_wl == NULL || c->c_wl->w_ended != NULL)
		return true;
	child_fail(c, PROTO_E_BUSY, "workload %s is running; workload.stop "
	    "ends it", c->c_wl->w_name);
	return false;
}

/*
 * The new run w, already started, becomes the process's run; it gets the
 * machine once the request is answered (child_wl_go).
 */
static void
child_wl_launch(struct child *c, struct child_wl *w)
{

	child_wl_free(c);
	c->c_wl = w;
	c->c_wlgo = true;
	c->c_result = child_wl_status(c);
}

/*
 * child_wl_go: leave CPU 0 to the runner and let the machine run.  This
 * is done outside nbm_machine_try(), whose frame belongs to CPU 0's
 * thread context, which the runner's CPU 0 thread now takes over.
 */
void
child_wl_go(struct child *c)
{
	struct child_wl *w = c->c_wl;

	c->c_wlgo = false;
	child_idleop = "workload";
	child_idle_stop(c);
	nbm_cpu_exit();
	c->c_oncpu = false;
	w->w_running = true;
	if (pthread_create(&w->w_runner, NULL, child_wl_runner, c) != 0)
		_exit(NBMD_CHILD_EXIT_PROTO);
}

static struct child_wl *
child_wl_new(struct child *c, const char *name)
{
	struct child_wl *w = xcalloc(1, sizeof(*w));

	snprintf(w->w_name, sizeof(w->w_name), "%s", name);
	w->w_started = child_now();
	w->w_child = c;
	pthread_mutex_init(&w->w_tlock, NULL);
	return w;
}

/*
 * The "params" argument (an object of numbers, strings and booleans) as
 * a built-in's "key=value,..." text.  => 0, or -1 with an error.
 */
static int
child_wl_params(struct child *c, char *buf, size_t len)
{
	json_object *p;
	size_t o = 0;

	buf[0] = '\0';
	if (!json_object_object_get_ex(c->c_args, "params", &p))
		return 0;
	json_object_object_foreach(p, key, val) {
		if (!json_object_is_type(val, json_type_int) &&
		    !json_object_is_type(val, json_type_double) &&
		    !json_object_is_type(val, json_type_boolean) &&
		    !json_object_is_type(val, json_type_string)) {
			child_fail(c, PROTO_E_BAD_PARAMS, "params.params.%.40s: "
			    "must be a number, a string or a boolean", key);
			return -1;
		}
		o += (size_t)snprintf(buf + o, o < len ? len - o : 0,
		    "%s%s=%s", o > 0 ? "," : "", key,
		    json_object_get_string(val));
	}
	if (o >= len) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.params: longer than "
		    "%zu bytes", len - 1);
		return -1;
	}
	return 0;
}

/*
 * The workload of workload.start and trace.start: a built-in by "name",
 * or "workload", a description; then the overrides.  => 0 or -1.
 */
static int
child_wl_build(struct child *c, struct nbm_workload *wl)
{
	const struct nbm_config *cfg = nbm_machine_config(c->c_m);
	json_object *desc;
	char params[1024], err[512];
	int64_t n, i;

	if (!proto_has(c->c_args, "name") &&
	    !proto_has(c->c_args, "workload")) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.name: required: a "
		    "built-in (workload.list), or params.workload, a "
		    "description");
		return -1;
	}
	if (json_object_object_get_ex(c->c_args, "workload", &desc)) {
		nbm_workload_init(wl);
		if (child_wldesc(desc, wl, "params.workload", err,
		    sizeof(err)) != 0) {
			child_fail(c, PROTO_E_BAD_PARAMS, "%s", err);
			return -1;
		}
	} else {
		if (child_wl_params(c, params, sizeof(params)) != 0)
			return -1;
		if (nbm_workload_builtin(proto_get_string(c->c_args, "name", ""),
		    params, cfg, wl, err, sizeof(err)) != 0) {
			child_fail(c, PROTO_E_BAD_PARAMS, "params.%s: %s",
			    strstr(err, "unknown workload") != NULL ||
			    strstr(err, "built-in") != NULL ? "name" :
			    "params", err);
			return -1;
		}
	}
	/* Stop conditions given replace the workload's own. */
	if (proto_has(c->c_args, "ops") || proto_has(c->c_args, "duration")) {
		wl->wl_stop_ops = (uint64_t)proto_get_int(c->c_args, "ops", 0);
		wl->wl_stop_ns = (uint64_t)(proto_get_number(c->c_args,
		    "duration", 0) * 1e9);
	}
	if (proto_has(c->c_args, "seed"))
		wl->wl_seed = (uint64_t)proto_get_int(c->c_args, "seed", 0);
	if (proto_has(c->c_args, "threads"))
		wl->wl_threads = (u_int)proto_get_int(c->c_args, "threads", 1);
	if (proto_has(c->c_args, "cpus")) {
		n = proto_get_int(c->c_args, "cpus", 1);
		if (n > (int64_t)cfg->ncpu) {
			child_fail(c, PROTO_E_BAD_PARAMS, "params.cpus: %lld; "
			    "the machine has %u CPUs", (long long)n,
			    cfg->ncpu);
			return -1;
		}
		memset(wl->wl_cpus, 0, sizeof(wl->wl_cpus));
		for (i = 0; i < n; i++)
			wl->wl_cpus[i / 64] |= 1ULL << (i % 64);
	}
	if (nbm_workload_validate(wl, cfg, err, sizeof(err)) != 0) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.%s%s",
		    json_object_object_get_ex(c->c_args, "workload", NULL) ?
		    "workload." : "", err);
		return -1;
	}
	return 0;
}

/* workload.start and trace.start. */
static void
child_wl_start(struct child *c, bool trace)
{
	struct nbm_workload *wl;
	struct child_wl *w;
	char err[512];
	int error;

	if (!child_wl_idle(c))
		return;
	wl = xmalloc(sizeof(*wl));
	if (child_wl_build(c, wl) != 0) {
		free(wl);
		return;
	}
	w = child_wl_new(c, wl->wl_name[0] != '\0' ? wl->wl_name :
	    proto_get_string(c->c_args, "name", "workload"));
	if (trace)
		w->w_traceid = ++child_traceid;
	else if (child_tracearmed != 0) {
		w->w_traceid = child_tracearmed;
		trace = true;
	}
	child_tracearmed = 0;
	error = nbm_workload_start(c->c_m, wl, trace ? child_trace_sink :
	    NULL, w, &w->w_run, err, sizeof(err));
	free(wl);
	if (error != 0) {
		pthread_mutex_destroy(&w->w_tlock);
		free(w);
		child_fail(c, error == EINVAL ? PROTO_E_BAD_PARAMS :
		    PROTO_E_INTERNAL, "%s%s", error == EINVAL ? "params." : "",
		    err[0] != '\0' ? err : strerror(error));
		return;
	}
	child_wl_launch(c, w);
}

static void
child_op_workload_start(struct child *c)
{

	child_wl_start(c, false);
}

/*
 * trace.start: trace the run it starts, given a workload; without one,
 * the next run workload.start starts.
 */
static void
child_op_trace_start(struct child *c)
{

	if (proto_has(c->c_args, "name") || proto_has(c->c_args, "workload")) {
		child_wl_start(c, true);
		return;
	}
	if (child_tracearmed == 0)
		child_tracearmed = ++child_traceid;
	c->c_result = child_wl_status(c);
	json_object_object_add(c->c_result, "armed",
	    json_object_new_int64(child_tracearmed));
}

/*
 * A built-in's parameters: key, what it sets, range and the default on
 * this machine.
 */
static json_object *
child_wl_paraminfo(struct child *c, u_int i)
{
	const struct nbm_config *cfg = nbm_machine_config(c->c_m);
	struct nbm_wl_paraminfo pi;
	json_object *a = json_object_new_array(), *o;
	u_int j;

	for (j = 0; nbm_workload_builtin_param(i, j, cfg, &pi) == 0; j++) {
		o = json_object_new_object();
		json_object_object_add(o, "key",
		    json_object_new_string(pi.wp_key));
		json_object_object_add(o, "description",
		    json_object_new_string(pi.wp_descr));
		json_object_object_add(o, "min",
		    json_object_new_uint64(pi.wp_min));
		json_object_object_add(o, "max",
		    json_object_new_uint64(pi.wp_max));
		json_object_object_add(o, "default",
		    json_object_new_uint64(pi.wp_default));
		json_object_array_add(a, o);
	}
	return a;
}

/* workload.list: the built-ins, their descriptions and parameters. */
static void
child_op_workload_list(struct child *c)
{
	const char *name, *descr, *keys;
	json_object *a, *o;
	u_int i;

	a = json_object_new_array();
	for (i = 0; (name = nbm_workload_builtin_info(i, &descr, &keys)) !=
	    NULL; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "description",
		    json_object_new_string(descr));
		json_object_object_add(o, "params",
		    json_object_new_string(keys));
		json_object_object_add(o, "parameters",
		    child_wl_paraminfo(c, i));
		json_object_array_add(a, o);
	}
	c->c_result = json_object_new_object();
	json_object_object_add(c->c_result, "workloads", a);
	json_object_object_add(c->c_result, "current", child_wl_status(c));
}

static void
child_op_workload_status(struct child *c)
{

	c->c_result = child_wl_status(c);
}

/* workload.stop: ask the run to stop; with "wait", until it has. */
static void
child_op_workload_stop(struct child *c)
{
	struct child_wl *w = c->c_wl;

	if (w == NULL || w->w_run == NULL) {
		child_fail(c, PROTO_E_NO_WORKLOAD, "no workload is running");
		return;
	}
	child_wl_stop(w);
	if (proto_get_bool(c->c_args, "wait", false) && !child_wl_wait(c)) {
		child_fail(c, PROTO_E_INTERNAL, "the workload did not stop "
		    "within %d s", CHILD_WL_WAIT / 1000);
		return;
	}
	c->c_result = child_wl_status(c);
}

/*
 * trace.stop: stop the traced run (with "finish", let it reach its own
 * stop condition), wait for it, send the last lines; the daemon adds them
 * to the answer.  A trace armed for a run that never came ends empty.
 */
static void
child_op_trace_stop(struct child *c)
{
	struct child_wl *w = c->c_wl;
	int64_t id;

	if (child_tracearmed != 0) {
		id = child_tracearmed;
		child_tracearmed = 0;
		c->c_result = child_wl_status(c);
		json_object_object_add(c->c_result, "id",
		    json_object_new_int64(id));
		json_object_object_add(c->c_result, "lines",
		    json_object_new_uint64(0));
		return;
	}
	if (w == NULL || w->w_traceid == 0 || (proto_has(c->c_args,
	    "id") && proto_get_int(c->c_args, "id", 0) != w->w_traceid)) {
		child_fail(c, PROTO_E_NO_WORKLOAD, "no trace is being "
		    "recorded; trace.start begins one");
		return;
	}
	if (w->w_run != NULL) {
		if (!proto_get_bool(c->c_args, "finish", false))
			child_wl_stop(w);
		if (!child_wl_wait(c)) {
			child_fail(c, PROTO_E_INTERNAL, "the workload did not "
			    "stop within %d s", CHILD_WL_WAIT / 1000);
			return;
		}
	}
	c->c_result = child_wl_status(c);
	json_object_object_add(c->c_result, "id",
	    json_object_new_int64(w->w_traceid));
	json_object_object_add(c->c_result, "lines",
	    json_object_new_uint64(w->w_tlines));
	w->w_traceid = 0;
}

/*
 * One line of a trace being loaded; on error, the trace is dropped and
 * the error names the line.  => 0 or -1.
 */
static int
child_replay_add(struct child *c, const char *line, const char *what,
    size_t i)
{
	char err[512], where[64];

	if (nbm_trace_add(child_replay, line, err, sizeof(err)) == 0)
		return 0;
	nbm_trace_destroy(child_replay);
	child_replay = NULL;
	/* err counts the lines of the whole trace: "line N: ...". */
	if (strcmp(what, "params.lines") == 0)
		snprintf(where, sizeof(where), "%s[%zu]", what, i);
	else
		snprintf(where, sizeof(where), "%s", what);
	child_fail(c, PROTO_E_BAD_PARAMS, "%s: %s; the trace is dropped",
	    where, err);
	return -1;
}

/*
 * trace.replay: load lines -- "trace", the text, or "lines", an array --
 * and with "more" false (the default), replay the trace loaded as a run.
 */
static void
child_op_trace_replay(struct child *c)
{
	json_object *a;
	struct child_wl *w;
	const char *text, *nl;
	char err[512], *line;
	size_t i, n;
	int error;

	if (!child_wl_idle(c))
		return;
	if (proto_has(c->c_args, "cpus")) {
		child_fail(c, PROTO_E_BAD_PARAMS, "params.cpus: a replay runs "
		    "each operation on the CPU it was recorded on (modulo the "
		    "machine's CPUs); boot a machine with fewer CPUs instead");
		return;
	}
	if (child_replay == NULL && (error = nbm_trace_create(&child_replay)) !=
	    0) {
		child_fail(c, PROTO_E_INTERNAL, "nbm_trace_create: %s",
		    strerror(error));
		return;
	}
	if (json_object_object_get_ex(c->c_args, "lines", &a)) {
		n = json_object_array_length(a);
		for (i = 0; i < n; i++)
			if (child_replay_add(c, json_object_get_string(
			    json_object_array_get_idx(a, i)), "params.lines", i) !=
			    0)
				return;
	}
	if ((text = proto_get_string(c->c_args, "trace", NULL)) != NULL) {
		for (i = 0; *text != '\0'; i++, text = nl + (*nl != '\0')) {
			nl = text + strcspn(text, "\n");
			line = xstrndup(text, (size_t)(nl - text));
			error = *line == '\0' ? 0 : child_replay_add(c, line,
			    "params.trace", i);
			free(line);
			if (error != 0)
				return;
		}
	}
	c->c_result = NULL;
	if (proto_get_bool(c->c_args, "more", false)) {
		c->c_result = child_wl_status(c);
		json_object_object_add(c->c_result, "loaded",
		    json_object_new_uint64(nbm_trace_records(child_replay)));
		return;
	}
	/* The run reads the trace until it is finished (child_wl_free). */
	w = child_wl_new(c, "replay");
	w->w_replay = child_replay;
	child_replay = NULL;
	n = nbm_trace_records(w->w_replay);
	error = nbm_workload_replay(c->c_m, w->w_replay, NULL, NULL,
	    &w->w_run, err, sizeof(err));
	if (error != 0) {
		nbm_trace_destroy(w->w_replay);
		pthread_mutex_destroy(&w->w_tlock);
		free(w);
		child_fail(c, error == EINVAL ? PROTO_E_BAD_PARAMS :
		    PROTO_E_INTERNAL, "%s%s", error == EINVAL ?
		    "params.lines: " : "", err[0] != '\0' ? err :
		    strerror(error));
		return;
	}
	child_wl_launch(c, w);
	json_object_object_add(c->c_result, "loaded",
	    json_object_new_uint64(n));
}

/*
 * The ones that wait for a run to end are host operations: a run is
 * finished (nbm_workload_finish) by a thread on no CPU and no observer.
 */
const struct child_op child_workload_ops[] = {
	{ "workload.list", CHILD_OP_HOST, child_op_workload_list },
	{ "workload.start", CHILD_OP_CPU, child_op_workload_start },
	{ "workload.status", CHILD_OP_HOST, child_op_workload_status },
	{ "workload.stop", CHILD_OP_HOST, child_op_workload_stop },
	{ "trace.start", CHILD_OP_HOST, child_op_trace_start },
	{ "trace.stop", CHILD_OP_HOST, child_op_trace_stop },
	{ "trace.replay", CHILD_OP_CPU, child_op_trace_replay },
	{ NULL, 0, NULL }
};
