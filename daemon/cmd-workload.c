/*
 * cmd-workload.c: workload.list, workload.start, workload.status,
 * workload.stop, trace.start, trace.stop and trace.replay.
 *
 * The machine process runs workloads (child-workload.c); the entries here
 * say what each method accepts, and cmd_forward() carries it.  A workload
 * is a built-in by "name" with "params" ({"key": value, ...}), or a
 * description in "workload" (schema/workload.schema.json); "ops",
 * "duration", "seed", "threads" and "cpus" override either.
 *
 * Traces.  The machine process sends the lines of the traced run as they
 * come; the daemon keeps them, up to NBMD_TRACE_MAX bytes (what comes
 * after is counted as dropped), and trace.stop hands them over in its
 * answer.  No file is written: the client keeps the trace, and gives it
 * back with trace.replay.  One trace at a time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

#define NBMD_TRACE_MAX	(64 * 1024 * 1024)	/* bytes of trace kept */

static enum cmd_retval cmd_trace_start_exec(struct request *);
static enum cmd_retval cmd_trace_stop_exec(struct request *);

#define WL_MAXID	9007199254740991.0	/* 2^53 - 1 */

#define WORKLOAD_PARAMS							\
	{ "name", CP_STRING, 0, 31, false },				\
	{ "workload", CP_OBJECT, 0, 0, false },				\
	{ "params", CP_OBJECT, 0, 0, false },				\
	{ "ops", CP_INT, 1, WL_MAXID, false },				\
	{ "duration", CP_NUMBER, 0.001, 1e9, false },			\
	{ "seed", CP_INT, 0, WL_MAXID, false },				\
	{ "threads", CP_INT, 1, 32, false },				\
	{ "cpus", CP_INT, 1, NBM_NCPU_MAX, false }

static const struct cmd_param cmd_workload_start_params[] = {
	WORKLOAD_PARAMS,
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_workload_stop_params[] = {
	{ "wait", CP_BOOL, 0, 0, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_trace_stop_params[] = {
	{ "id", CP_INT, 1, WL_MAXID, false },
	{ "finish", CP_BOOL, 0, 0, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_trace_replay_params[] = {
	{ "trace", CP_STRING, 0, NBMD_LINE_MAX, false },
	{ "lines", CP_STRINGS, 0, 100000, false },
	{ "more", CP_BOOL, 0, 0, false },
	{ "cpus", CP_INT, 1, NBM_NCPU_MAX, false },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_workload_list_entry = {
	"workload.list", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_workload_start_entry = {
	"workload.start", 0, cmd_workload_start_params, cmd_forward
};
const struct cmd_entry cmd_workload_status_entry = {
	"workload.status", CMD_READONLY, NULL, cmd_forward
};
const struct cmd_entry cmd_workload_stop_entry = {
	"workload.stop", 0, cmd_workload_stop_params, cmd_forward
};
const struct cmd_entry cmd_trace_start_entry = {
	"trace.start", 0, cmd_workload_start_params, cmd_trace_start_exec
};
const struct cmd_entry cmd_trace_stop_entry = {
	"trace.stop", 0, cmd_trace_stop_params, cmd_trace_stop_exec
};
const struct cmd_entry cmd_trace_replay_entry = {
	"trace.replay", 0, cmd_trace_replay_params, cmd_forward
};

/* Forget the trace kept; a new one, id, begins. */
static void
trace_reset(struct daemon *d, int64_t id)
{

	if (d->d_trace == NULL && (d->d_trace = evbuffer_new()) == NULL)
		fatalx("evbuffer_new failed");
	evbuffer_drain(d->d_trace, evbuffer_get_length(d->d_trace));
	d->d_traceid = id;
	d->d_tracedropped = 0;
}

static void
cmd_trace_started(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;
	json_object *v;

	if (err != PROTO_OK) {
		cmd_forward_error(rq, err, msg);
		return;
	}
	if (json_object_object_get_ex(reply, "armed", &v) ||
	    json_object_object_get_ex(reply, "trace", &v))
		trace_reset(rq->rq_daemon, json_object_get_int64(v));
	request_reply(rq, json_object_get(reply));
}

/* trace.start: as workload.start, or without a workload, arm a trace. */
static enum cmd_retval
cmd_trace_start_exec(struct request *rq)
{

	return cmd_forward_cb(rq, cmd_trace_started);
}

/*
 * The traced run has ended and its lines are all here (the machine
 * process sent them before its answer): the answer with "trace", the
 * text.
 */
static void
cmd_trace_stopped(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;
	struct daemon *d = rq->rq_daemon;
	json_object *r, *v;

	if (err != PROTO_OK) {
		cmd_forward_error(rq, err, msg);
		return;
	}
	r = json_object_new_object();
	json_object_object_foreach(reply, key, val) {
		v = val;
		if (strcmp(key, "trace") != 0)
			json_object_object_add(r, key, json_object_get(v));
	}
	if (d->d_trace == NULL)
		trace_reset(d, 0);
	json_object_object_add(r, "trace", json_object_new_string_len(
	    (const char *)evbuffer_pullup(d->d_trace, -1),
	    (int)evbuffer_get_length(d->d_trace)));
	json_object_object_add(r, "dropped",
	    json_object_new_uint64(d->d_tracedropped));
	trace_reset(d, 0);
	request_reply(rq, r);
}

static enum cmd_retval
cmd_trace_stop_exec(struct request *rq)
{

	return cmd_forward_cb(rq, cmd_trace_stopped);
}

/*
 * workload_trace: lines of a trace from the machine process
 * ({"id": ID, "lines": TEXT}), kept for trace.stop up to NBMD_TRACE_MAX.
 */
void
workload_trace(struct daemon *d, json_object *t)
{
	json_object *id, *lines;
	const char *s;
	size_t len;

	if (d->d_trace == NULL || !json_object_object_get_ex(t, "id", &id) ||
	    json_object_get_int64(id) != d->d_traceid ||
	    !json_object_object_get_ex(t, "lines", &lines))
		return;
	s = json_object_get_string(lines);
	len = (size_t)json_object_get_string_len(lines);
	if (evbuffer_get_length(d->d_trace) + len > NBMD_TRACE_MAX) {
		for (; *s != '\0'; s++)
			d->d_tracedropped += *s == '\n';
		return;
	}
	evbuffer_add(d->d_trace, s, len);
}
