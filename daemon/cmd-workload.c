/*
 * cmd-workload.c: workload.list, workload.start, workload.status,
 * workload.stop, trace.start, trace.stop and trace.replay.
 *
 * The machine process runs workloads (child-workload.c); the entries here
 * say what each method accepts, and cmd_forward() carries it.  A workload
 * is a built-in by "name" with "params" ("key=value,..."), or a
 * description in "workload" (schema/workload.schema.json); "ops",
 * "time_ms", "seed", "threads" and "cpus" override either.
 *
 * Traces stream: the machine process sends the lines of a traced run as
 * they come, and the daemon passes them on as trace.chunk notifications
 * to the client that called trace.start -- one client at a time, dropped
 * like a subscriber that stops reading (sockets.client_buffer), so that a
 * trace costs the daemon a bounded amount of memory.  No file is written:
 * the client keeps the trace, and gives it back with trace.replay, a
 * chunk of lines a request.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

static enum cmd_retval cmd_trace_start_exec(struct request *);

#define WL_MAXID	9007199254740991.0	/* 2^53 - 1 */

#define WORKLOAD_PARAMS							\
	{ "name", CP_STRING, 0, 31, false },				\
	{ "workload", CP_OBJECT, 0, 0, false },				\
	{ "params", CP_STRING, 0, 1000, false },			\
	{ "ops", CP_INT, 1, WL_MAXID, false },				\
	{ "time_ms", CP_INT, 1, WL_MAXID, false },			\
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
	{ "trace", CP_INT, 1, WL_MAXID, false },
	{ "finish", CP_BOOL, 0, 0, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_trace_replay_params[] = {
	{ "lines", CP_STRINGS, 0, 100000, false },
	{ "more", CP_BOOL, 0, 0, false },
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
	"trace.stop", 0, cmd_trace_stop_params, cmd_forward
};
const struct cmd_entry cmd_trace_replay_entry = {
	"trace.replay", 0, cmd_trace_replay_params, cmd_forward
};

static void
cmd_trace_started(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;
	struct daemon *d = rq->rq_daemon;
	json_object *v;

	if (err == PROTO_OK && rq->rq_client != NULL &&
	    json_object_object_get_ex(reply, "trace", &v)) {
		d->d_tracer = rq->rq_client;
		d->d_traceid = json_object_get_int64(v);
		d->d_traceseq = 0;
	}
	rq->rq_state = NULL;
	if (err == PROTO_OK)
		request_reply(rq, json_object_get(reply));
	else
		cmd_forward_error(rq, err, msg);
}

/* trace.start: as workload.start, the caller receiving the lines. */
static enum cmd_retval
cmd_trace_start_exec(struct request *rq)
{
	struct machine *m = rq->rq_daemon->d_machine;
	char buf[512];

	if (machine_request(m, rq->rq_cmd->name, json_object_get(
	    rq->rq_params), cmd_trace_started, rq) != PROTO_OK) {
		request_error(rq, PROTO_E_MACHINE_DOWN, NULL, "%s",
		    machine_down_message(m, buf, sizeof(buf)));
		return CMD_DONE;
	}
	return CMD_WAIT;
}

/*
 * workload_trace: lines of a trace from the machine process
 * ({"id": ID, "lines": TEXT}): to the client that started it, if it is
 * still there and keeping up.
 */
void
workload_trace(struct daemon *d, json_object *t)
{
	struct client *cl = d->d_tracer;
	json_object *id, *lines, *p;
	char why[128];

	if (cl == NULL || cl->cl_lost ||
	    !json_object_object_get_ex(t, "id", &id) ||
	    json_object_get_int64(id) != d->d_traceid ||
	    !json_object_object_get_ex(t, "lines", &lines))
		return;
	if (client_queued(cl) > d->d_conf.c_client_buffer) {
		snprintf(why, sizeof(why), "not reading its trace: %zu bytes "
		    "queued (sockets.client_buffer %llu)", client_queued(cl),
		    (unsigned long long)d->d_conf.c_client_buffer);
		d->d_tracer = NULL;
		client_drop(cl, why);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "trace", json_object_get(id));
	json_object_object_add(p, "seq",
	    json_object_new_int64(++d->d_traceseq));
	json_object_object_add(p, "lines", json_object_get(lines));
	client_send(cl, proto_notification("trace.chunk", p));
}

/* workload_client_gone: a client is being freed: it gets no more lines. */
void
workload_client_gone(struct client *cl)
{

	if (cl->cl_daemon->d_tracer == cl)
		cl->cl_daemon->d_tracer = NULL;
}
