/*
 * cmd-machine.c: machine.info, machine.config, machine.boot and
 * machine.shutdown.
 *
 * machine.boot takes an optional "config", a machine object as in the
 * configuration file (schema/config.schema.json, "machine"), whose keys
 * override the daemon's configured machine for this boot only; it is
 * checked completely (nbm_config_validate()) before any process starts.
 * With a machine already up it is refused with "busy" unless "replace" is
 * true, in which case the running machine is shut down first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

static enum cmd_retval cmd_machine_info_exec(struct request *);
static enum cmd_retval cmd_machine_config_exec(struct request *);
static enum cmd_retval cmd_machine_boot_exec(struct request *);
static enum cmd_retval cmd_machine_shutdown_exec(struct request *);

static const struct cmd_param cmd_machine_boot_params[] = {
	{ "config", CP_OBJECT, 0, 0, false },
	{ "replace", CP_BOOL, 0, 0, false },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_machine_info_entry = {
	"machine.info", CMD_READONLY, NULL, cmd_machine_info_exec
};
const struct cmd_entry cmd_machine_config_entry = {
	"machine.config", CMD_READONLY, NULL, cmd_machine_config_exec
};
const struct cmd_entry cmd_machine_boot_entry = {
	"machine.boot", 0, cmd_machine_boot_params, cmd_machine_boot_exec
};
const struct cmd_entry cmd_machine_shutdown_entry = {
	"machine.shutdown", 0, NULL, cmd_machine_shutdown_exec
};

/* The parts of machine.info the daemon knows without asking. */
static json_object *
cmd_machine_info_base(struct machine *m)
{
	json_object *r = json_object_new_object();
	json_object *last = machine_last(m);

	json_object_object_add(r, "state",
	    json_object_new_string(machine_state_name(machine_state(m))));
	if (machine_state(m) != MACHINE_DOWN) {
		json_object_object_add(r, "run",
		    json_object_new_int64(machine_run(m)));
		json_object_object_add(r, "pid",
		    json_object_new_int(machine_pid(m)));
	}
	if (last != NULL)
		json_object_object_add(r, "last", json_object_get(last));
	return r;
}

static void
cmd_machine_info_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;
	struct machine *m = rq->rq_daemon->d_machine;
	json_object *r, *v;

	if (err != PROTO_OK) {
		request_error(rq, err, NULL, "%s", msg);
		return;
	}
	r = cmd_machine_info_base(m);
	if (json_object_object_get_ex(reply, "uptime_ns", &v))
		json_object_object_add(r, "uptime_ns", json_object_get(v));
	if (json_object_object_get_ex(reply, "config", &v))
		json_object_object_add(r, "config", json_object_get(v));
	request_reply(rq, r);
}

static enum cmd_retval
cmd_machine_info_exec(struct request *rq)
{
	struct machine *m = rq->rq_daemon->d_machine;

	if (machine_state(m) == MACHINE_UP &&
	    machine_request(m, "info", NULL, cmd_machine_info_done, rq) ==
	    PROTO_OK)
		return CMD_WAIT;
	request_reply(rq, cmd_machine_info_base(m));
	return CMD_DONE;
}

static enum cmd_retval
cmd_machine_config_exec(struct request *rq)
{
	struct daemon *d = rq->rq_daemon;
	const struct nbm_config *mc = machine_config(d->d_machine);
	json_object *r = json_object_new_object();

	json_object_object_add(r, "configured",
	    config_machine_json(&d->d_conf.c_machine, false));
	json_object_object_add(r, "running", mc != NULL ?
	    config_machine_json(mc, false) : NULL);
	request_reply(rq, r);
	return CMD_DONE;
}

static void
cmd_machine_boot_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;
	const struct nbm_config *mc;
	json_object *r, *v;

	free(rq->rq_state);
	rq->rq_state = NULL;
	if (err != PROTO_OK) {
		request_error(rq, err, NULL, "%s", msg);
		return;
	}
	r = json_object_new_object();
	if (json_object_object_get_ex(reply, "run", &v))
		json_object_object_add(r, "run", json_object_get(v));
	if (json_object_object_get_ex(reply, "pid", &v))
		json_object_object_add(r, "pid", json_object_get(v));
	if ((mc = machine_config(rq->rq_daemon->d_machine)) != NULL)
		json_object_object_add(r, "config",
		    config_machine_json(mc, false));
	request_reply(rq, r);
}

/* Boot rq->rq_state's configuration; answer now if that fails. */
static void
cmd_machine_boot_start(struct request *rq)
{
	struct machine *m = rq->rq_daemon->d_machine;
	char err[512];
	enum proto_err e;

	e = machine_boot(m, rq->rq_state, cmd_machine_boot_done, rq, err,
	    sizeof(err));
	if (e != PROTO_OK) {
		free(rq->rq_state);
		rq->rq_state = NULL;
		request_error(rq, e, NULL, "%s", err);
	}
}

static void
cmd_machine_boot_replaced(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{

	cmd_machine_boot_start(arg);
}

static enum cmd_retval
cmd_machine_boot_exec(struct request *rq)
{
	struct daemon *d = rq->rq_daemon;
	struct machine *m = d->d_machine;
	struct nbm_config *cfg;
	json_object *v;
	char *err = NULL, field[128];
	size_t n;

	cfg = xmalloc(sizeof(*cfg));
	*cfg = d->d_conf.c_machine;
	if (json_object_object_get_ex(rq->rq_params, "config", &v) &&
	    config_parse_machine(cfg, v, "params.config", &err) != 0) {
		n = strcspn(err, ": ");
		snprintf(field, sizeof(field), "%.*s", (int)n, err);
		request_error(rq, PROTO_E_BAD_PARAMS, cmd_field_error(field),
		    "%s", err);
		free(err);
		free(cfg);
		return CMD_DONE;
	}
	rq->rq_state = cfg;
	if (machine_state(m) == MACHINE_DOWN) {
		cmd_machine_boot_start(rq);
		return CMD_WAIT;
	}
	if (machine_state(m) == MACHINE_UP && cmd_bool(rq, "replace", false)) {
		machine_shutdown(m, "shutdown", cmd_machine_boot_replaced, rq);
		return CMD_WAIT;
	}
	/* Up without "replace", booting, or stopping. */
	rq->rq_state = NULL;
	free(cfg);
	request_error(rq, PROTO_E_BUSY, NULL, "a machine is %s (run %lld); "
	    "shut it down first, or pass \"replace\": true",
	    machine_state_name(machine_state(m)), (long long)machine_run(m));
	return CMD_DONE;
}

static void
cmd_machine_shutdown_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;

	if (err != PROTO_OK)
		request_error(rq, err, NULL, "%s", msg);
	else
		request_reply(rq, json_object_get(reply));
}

static enum cmd_retval
cmd_machine_shutdown_exec(struct request *rq)
{
	struct machine *m = rq->rq_daemon->d_machine;
	char buf[512];

	if (machine_state(m) == MACHINE_DOWN) {
		request_error(rq, PROTO_E_MACHINE_DOWN, NULL, "%s",
		    machine_down_message(m, buf, sizeof(buf)));
		return CMD_DONE;
	}
	machine_shutdown(m, "shutdown", cmd_machine_shutdown_done, rq);
	return CMD_WAIT;
}
