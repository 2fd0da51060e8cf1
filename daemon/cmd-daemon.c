/*
 * cmd-daemon.c: hello, daemon.shutdown, and the debug.* methods.
 *
 * The debug methods exist to test the daemon's handling of a machine that
 * dies: debug.panic panics the machine (through the machine layer's own
 * panic(), with the daemon's panic hook installed), debug.crash kills the
 * machine process with SIGSEGV, debug.hang makes it stop answering,
 * debug.kmem_wrongfree frees kmem memory with the wrong size on a machine
 * booted with KMEM_SIZE, which panics it the way a kernel bug would.  They
 * are compiled in but hidden -- unknown-method -- unless the daemon was
 * started with NBMEMD_TEST set in its environment (nbmemd.8).  Each
 * answers, once the machine process is gone, with how the run ended.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemd.h"

static enum cmd_retval cmd_hello_exec(struct request *);
static enum cmd_retval cmd_daemon_shutdown_exec(struct request *);
static enum cmd_retval cmd_debug_exec(struct request *);

static const struct cmd_param cmd_hello_params[] = {
	{ "client", CP_STRING, 0, 128, false },
	{ "protocol", CP_INT, 0, 1000000, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_debug_panic_params[] = {
	{ "message", CP_STRING, 0, 200, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_debug_kmem_wrongfree_params[] = {
	{ "size", CP_INT, 2, 1048576, false },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_hello_entry = {
	"hello", CMD_READONLY, cmd_hello_params, cmd_hello_exec
};
const struct cmd_entry cmd_daemon_shutdown_entry = {
	"daemon.shutdown", 0, NULL, cmd_daemon_shutdown_exec
};
const struct cmd_entry cmd_debug_panic_entry = {
	"debug.panic", CMD_DEBUG, cmd_debug_panic_params, cmd_debug_exec
};
const struct cmd_entry cmd_debug_crash_entry = {
	"debug.crash", CMD_DEBUG, NULL, cmd_debug_exec
};
const struct cmd_entry cmd_debug_kmem_wrongfree_entry = {
	"debug.kmem_wrongfree", CMD_DEBUG, cmd_debug_kmem_wrongfree_params,
	cmd_debug_exec
};
const struct cmd_entry cmd_debug_hang_entry = {
	"debug.hang", CMD_DEBUG, NULL, cmd_debug_exec
};

/*
 * hello's answer is the same for every client of a kind (read-only or
 * not; debug methods or not) for the daemon's life, and hello is what a
 * client sends first and a monitor sends most: it is made once.
 */
static char *cmd_hello_text[2][2];

static enum cmd_retval
cmd_hello_exec(struct request *rq)
{
	struct daemon *d = rq->rq_daemon;
	json_object *r, *data;
	char **text;
	int64_t proto;
	bool ro;

	proto = cmd_int(rq, "protocol", NBMD_PROTO_VERSION);
	if (proto != NBMD_PROTO_VERSION) {
		data = json_object_new_object();
		json_object_object_add(data, "daemon",
		    json_object_new_int(NBMD_PROTO_VERSION));
		json_object_object_add(data, "client",
		    json_object_new_int64(proto));
		request_error(rq, PROTO_E_VERSION_MISMATCH, data, "protocol "
		    "version %lld is not spoken here: nbmemd %s speaks version "
		    "%d; hint: use an nbmemctl and an nbmemd from the same "
		    "release", (long long)proto, NBMD_VERSION,
		    NBMD_PROTO_VERSION);
		return CMD_DONE;
	}
	if (rq->rq_client != NULL && cmd_has(rq, "client"))
		log_debug("client %u: is %s", rq->rq_client->cl_id,
		    cmd_string(rq, "client", ""));
	ro = rq->rq_client != NULL && rq->rq_client->cl_readonly;
	text = &cmd_hello_text[ro][d->d_testmode];
	if (*text == NULL) {
		r = json_object_new_object();
		json_object_object_add(r, "protocol",
		    json_object_new_int(NBMD_PROTO_VERSION));
		json_object_object_add(r, "protocol_minor",
		    json_object_new_int(NBMD_PROTO_MINOR));
		json_object_object_add(r, "daemon",
		    json_object_new_string("nbmemd " NBMD_VERSION));
		json_object_object_add(r, "library",
		    json_object_new_string(NBM_VERSION_STRING));
		json_object_object_add(r, "pid", json_object_new_int(getpid()));
		json_object_object_add(r, "readonly",
		    json_object_new_boolean(ro));
		json_object_object_add(r, "methods", cmd_methods(ro,
		    d->d_testmode));
		*text = xstrdup(proto_string(r, NULL));
		json_object_put(r);
	}
	request_reply_text(rq, *text, strlen(*text));
	return CMD_DONE;
}

static enum cmd_retval
cmd_daemon_shutdown_exec(struct request *rq)
{
	struct daemon *d = rq->rq_daemon;
	json_object *r;
	char why[64];

	snprintf(why, sizeof(why), "daemon.shutdown from client %u",
	    rq->rq_client != NULL ? rq->rq_client->cl_id : 0);
	r = json_object_new_object();
	json_object_object_add(r, "stopping", json_object_new_boolean(1));
	request_reply(rq, r);
	daemon_stop(d, why);
	return CMD_DONE;
}

/*
 * The machine process is gone (that is what was asked): answer with how
 * the run ended; any other error is passed on.
 */
static void
cmd_debug_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;
	json_object *last = machine_last(rq->rq_daemon->d_machine), *r, *v;

	if (err == PROTO_E_MACHINE_DOWN && last != NULL) {
		r = json_object_new_object();
		json_object_object_foreach(last, key, val) {
			v = val;
			json_object_object_add(r, key, json_object_get(v));
		}
		request_reply(rq, r);
	} else if (err != PROTO_OK)
		request_error(rq, err, NULL, "%s", msg);
	else
		request_error(rq, PROTO_E_INTERNAL, NULL, "the machine "
		    "survived %s", rq->rq_cmd->name);
}

static enum cmd_retval
cmd_debug_exec(struct request *rq)
{
	struct machine *m = rq->rq_daemon->d_machine;
	const char *op = rq->rq_cmd->name + sizeof("debug.") - 1;
	char buf[512];

	if (machine_request(m, op, json_object_get(rq->rq_params),
	    cmd_debug_done, rq) != PROTO_OK) {
		request_error(rq, PROTO_E_MACHINE_DOWN, NULL, "%s",
		    machine_down_message(m, buf, sizeof(buf)));
		return CMD_DONE;
	}
	return CMD_WAIT;
}
