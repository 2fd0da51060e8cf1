/*
 * cmd.c: the command table, and what every request goes through before
 * its command runs.
 *
 * Each method is one struct cmd_entry, defined beside its code in a
 * cmd-<namespace>.c file (tmux's cmd-*.c) and listed once in cmd_table[]:
 * its dotted name, its flags (CMD_READONLY: changes nothing, allowed on
 * the read-only socket; CMD_DEBUG: hidden unless the daemon runs with
 * NBMEMD_TEST in its environment), the parameters it accepts with their
 * types and bounds, and its exec function.  Adding a method is adding a
 * file and a line here, plus its schemas in schema/protocol/.
 *
 * cmd_dispatch() checks, in order: that the method exists (for this
 * daemon), that the socket may call it, and every parameter against the
 * entry -- unknown names, types, bounds, required ones -- so that exec
 * functions read parameters that are known to be well-formed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

extern const struct cmd_entry cmd_hello_entry;
extern const struct cmd_entry cmd_daemon_shutdown_entry;
extern const struct cmd_entry cmd_debug_panic_entry;
extern const struct cmd_entry cmd_debug_crash_entry;
extern const struct cmd_entry cmd_debug_hang_entry;
extern const struct cmd_entry cmd_machine_info_entry;
extern const struct cmd_entry cmd_machine_config_entry;
extern const struct cmd_entry cmd_machine_boot_entry;
extern const struct cmd_entry cmd_machine_shutdown_entry;
extern const struct cmd_entry cmd_stats_snapshot_entry;
extern const struct cmd_entry cmd_stats_subscribe_entry;
extern const struct cmd_entry cmd_stats_unsubscribe_entry;
extern const struct cmd_entry cmd_history_runs_entry;
extern const struct cmd_entry cmd_history_export_entry;
extern const struct cmd_entry cmd_events_list_entry;
extern const struct cmd_entry cmd_pool_list_entry;
extern const struct cmd_entry cmd_pool_show_entry;
extern const struct cmd_entry cmd_pool_create_entry;
extern const struct cmd_entry cmd_pool_destroy_entry;
extern const struct cmd_entry cmd_pool_setlowat_entry;
extern const struct cmd_entry cmd_pool_sethiwat_entry;
extern const struct cmd_entry cmd_pool_sethardlimit_entry;
extern const struct cmd_entry cmd_pool_prime_entry;
extern const struct cmd_entry cmd_pool_reclaim_entry;
extern const struct cmd_entry cmd_cache_list_entry;
extern const struct cmd_entry cmd_cache_show_entry;
extern const struct cmd_entry cmd_cache_invalidate_entry;
extern const struct cmd_entry cmd_kmem_stats_entry;
extern const struct cmd_entry cmd_vmem_list_entry;
extern const struct cmd_entry cmd_vmem_show_entry;
extern const struct cmd_entry cmd_extent_list_entry;
extern const struct cmd_entry cmd_extent_show_entry;
extern const struct cmd_entry cmd_intr_list_entry;
extern const struct cmd_entry cmd_intr_add_entry;
extern const struct cmd_entry cmd_intr_set_entry;
extern const struct cmd_entry cmd_intr_remove_entry;
extern const struct cmd_entry cmd_workload_list_entry;
extern const struct cmd_entry cmd_workload_start_entry;
extern const struct cmd_entry cmd_workload_status_entry;
extern const struct cmd_entry cmd_workload_stop_entry;
extern const struct cmd_entry cmd_trace_start_entry;
extern const struct cmd_entry cmd_trace_stop_entry;
extern const struct cmd_entry cmd_trace_replay_entry;
extern const struct cmd_entry cmd_debug_hold_entry;
extern const struct cmd_entry cmd_debug_release_entry;
extern const struct cmd_entry cmd_debug_kmem_wrongfree_entry;

static const struct cmd_entry *const cmd_table[] = {
	&cmd_hello_entry,
	&cmd_machine_info_entry,
	&cmd_machine_config_entry,
	&cmd_machine_boot_entry,
	&cmd_machine_shutdown_entry,
	&cmd_pool_list_entry,
	&cmd_pool_show_entry,
	&cmd_pool_create_entry,
	&cmd_pool_destroy_entry,
	&cmd_pool_setlowat_entry,
	&cmd_pool_sethiwat_entry,
	&cmd_pool_sethardlimit_entry,
	&cmd_pool_prime_entry,
	&cmd_pool_reclaim_entry,
	&cmd_cache_list_entry,
	&cmd_cache_show_entry,
	&cmd_cache_invalidate_entry,
	&cmd_kmem_stats_entry,
	&cmd_vmem_list_entry,
	&cmd_vmem_show_entry,
	&cmd_extent_list_entry,
	&cmd_extent_show_entry,
	&cmd_intr_list_entry,
	&cmd_intr_add_entry,
	&cmd_intr_set_entry,
	&cmd_intr_remove_entry,
	&cmd_workload_list_entry,
	&cmd_workload_start_entry,
	&cmd_workload_status_entry,
	&cmd_workload_stop_entry,
	&cmd_trace_start_entry,
	&cmd_trace_stop_entry,
	&cmd_trace_replay_entry,
	&cmd_stats_snapshot_entry,
	&cmd_stats_subscribe_entry,
	&cmd_stats_unsubscribe_entry,
	&cmd_events_list_entry,
	&cmd_history_runs_entry,
	&cmd_history_export_entry,
	&cmd_daemon_shutdown_entry,
	&cmd_debug_panic_entry,
	&cmd_debug_crash_entry,
	&cmd_debug_hang_entry,
	&cmd_debug_kmem_wrongfree_entry,
	&cmd_debug_hold_entry,
	&cmd_debug_release_entry,
};

#define CMD_NTABLE	(sizeof(cmd_table) / sizeof(cmd_table[0]))

const struct cmd_entry *
cmd_find(const char *name, bool testmode)
{
	size_t i;

	for (i = 0; i < CMD_NTABLE; i++) {
		if (strcmp(cmd_table[i]->name, name) != 0)
			continue;
		if ((cmd_table[i]->flags & CMD_DEBUG) && !testmode)
			return NULL;
		return cmd_table[i];
	}
	return NULL;
}

/* The methods a client on this socket may call, for hello. */
json_object *
cmd_methods(bool readonly, bool testmode)
{
	json_object *a = json_object_new_array();
	size_t i;

	for (i = 0; i < CMD_NTABLE; i++) {
		if ((cmd_table[i]->flags & CMD_DEBUG) && !testmode)
			continue;
		if (readonly && !(cmd_table[i]->flags & CMD_READONLY))
			continue;
		json_object_array_add(a,
		    json_object_new_string(cmd_table[i]->name));
	}
	return a;
}

json_object *
cmd_field_error(const char *field)
{
	json_object *data = json_object_new_object();

	json_object_object_add(data, "field", json_object_new_string(field));
	return data;
}

static const char *
cmd_typename(const struct cmd_param *p, char *buf, size_t len)
{

	switch (p->p_type) {
	case CP_BOOL:
		return "true or false";
	case CP_INT:
		snprintf(buf, len, "an integer between %.0f and %.0f",
		    p->p_min, p->p_max);
		return buf;
	case CP_NUMBER:
		snprintf(buf, len, "a number between %g and %g", p->p_min,
		    p->p_max);
		return buf;
	case CP_STRING:
		snprintf(buf, len, "a string of at most %.0f bytes", p->p_max);
		return buf;
	case CP_OBJECT:
		return "an object";
	case CP_STRINGS:
		snprintf(buf, len, "an array of at most %.0f strings",
		    p->p_max);
		return buf;
	}
	return "?";
}

static bool
cmd_param_ok(const struct cmd_param *p, json_object *v)
{
	size_t i, n;
	double d;
	int64_t i64;

	switch (p->p_type) {
	case CP_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case CP_INT:
		if (!json_object_is_type(v, json_type_int))
			return false;
		i64 = json_object_get_int64(v);
		/* A uint64 above INT64_MAX saturates and stays out of range. */
		return (double)i64 >= p->p_min && (double)i64 <= p->p_max;
	case CP_NUMBER:
		if (!json_object_is_type(v, json_type_int) &&
		    !json_object_is_type(v, json_type_double))
			return false;
		d = json_object_get_double(v);
		return isfinite(d) && d >= p->p_min && d <= p->p_max;
	case CP_STRING:
		return json_object_is_type(v, json_type_string) &&
		    (double)json_object_get_string_len(v) <= p->p_max;
	case CP_OBJECT:
		return json_object_is_type(v, json_type_object);
	case CP_STRINGS:
		if (!json_object_is_type(v, json_type_array) ||
		    (double)(n = json_object_array_length(v)) > p->p_max)
			return false;
		for (i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(v,
			    i), json_type_string))
				return false;
		return true;
	}
	return false;
}

/*
 * cmd_check: check rq's parameters against the entry.
 * => 0, or -1 with an error answered.
 */
static int
cmd_check(struct request *rq)
{
	const struct cmd_entry *ent = rq->rq_cmd;
	const struct cmd_param *p;
	char field[96], tbuf[96], accepted[256];
	size_t o;

	json_object_object_foreach(rq->rq_params, key, val) {
		snprintf(field, sizeof(field), "params.%.64s", key);
		for (p = ent->params; p != NULL && p->p_name != NULL; p++)
			if (strcmp(p->p_name, key) == 0)
				break;
		if (p == NULL || p->p_name == NULL) {
			accepted[0] = '\0';
			o = 0;
			for (p = ent->params; p != NULL && p->p_name != NULL;
			    p++)
				o += (size_t)snprintf(accepted + o,
				    sizeof(accepted) - o, "%s%s",
				    o > 0 ? ", " : "", p->p_name);
			request_error(rq, PROTO_E_BAD_PARAMS,
			    cmd_field_error(field), "%s: unknown parameter; "
			    "%s%s", field, o > 0 ? "accepted: " :
			    ent->name, o > 0 ? accepted :
			    " takes no parameters");
			return -1;
		}
		if (!cmd_param_ok(p, val)) {
			request_error(rq, PROTO_E_BAD_PARAMS,
			    cmd_field_error(field), "%s: must be %s, got %.40s",
			    field, cmd_typename(p, tbuf, sizeof(tbuf)),
			    json_object_to_json_string_ext(val,
			    JSON_C_TO_STRING_PLAIN));
			return -1;
		}
	}
	for (p = ent->params; p != NULL && p->p_name != NULL; p++) {
		if (p->p_required && !cmd_has(rq, p->p_name)) {
			snprintf(field, sizeof(field), "params.%s", p->p_name);
			request_error(rq, PROTO_E_BAD_PARAMS,
			    cmd_field_error(field), "%s: required (%s)", field,
			    cmd_typename(p, tbuf, sizeof(tbuf)));
			return -1;
		}
	}
	return 0;
}

/*
 * cmd_dispatch: run a decoded request for a client; takes over the
 * request's references.  The request is the client's cl_pending until it
 * has been answered.
 */
void
cmd_dispatch(struct client *cl, struct proto_request *pr)
{
	struct daemon *d = cl->cl_daemon;
	struct request *rq;
	enum cmd_retval r;

	rq = xcalloc(1, sizeof(*rq));
	rq->rq_daemon = d;
	rq->rq_client = cl;
	rq->rq_json = pr->pr_json;
	rq->rq_id = pr->pr_id;
	rq->rq_params = pr->pr_params != NULL ? json_object_get(pr->pr_params) :
	    json_object_new_object();
	cl->cl_pending = rq;

	if ((rq->rq_cmd = cmd_find(pr->pr_method, d->d_testmode)) == NULL) {
		request_error(rq, PROTO_E_UNKNOWN_METHOD, NULL,
		    "unknown method \"%.64s\"; hello lists the methods",
		    pr->pr_method);
		return;
	}
	if (cl->cl_readonly && !(rq->rq_cmd->flags & CMD_READONLY)) {
		request_error(rq, PROTO_E_DENIED, NULL, "%s changes the daemon "
		    "or its machine: not allowed on the read-only socket",
		    rq->rq_cmd->name);
		return;
	}
	if (cmd_check(rq) != 0)
		return;
	log_debug("client %u: %s", cl->cl_id, rq->rq_cmd->name);
	r = rq->rq_cmd->exec(rq);
	if (r == CMD_DONE && cl->cl_pending == rq)
		fatalx("%s: returned without answering", rq->rq_cmd->name);
}

bool
cmd_has(struct request *rq, const char *name)
{

	return proto_has(rq->rq_params, name);
}

int64_t
cmd_int(struct request *rq, const char *name, int64_t dflt)
{

	return proto_get_int(rq->rq_params, name, dflt);
}

double
cmd_number(struct request *rq, const char *name, double dflt)
{

	return proto_get_number(rq->rq_params, name, dflt);
}

bool
cmd_bool(struct request *rq, const char *name, bool dflt)
{

	return proto_get_bool(rq->rq_params, name, dflt);
}

const char *
cmd_string(struct request *rq, const char *name, const char *dflt)
{

	return proto_get_string(rq->rq_params, name, dflt);
}

/*
 * The machine's answer to a forwarded request: its result as the reply;
 * an error keeps the machine's reason, and a bad-params message names
 * its field first ("params.align: ..."), which goes into data.field.
 */
static void
cmd_forward_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;

	if (err == PROTO_OK)
		request_reply(rq, nbmd_blob_of(reply) != NULL ?
		    nbmd_blob_json(reply) : json_object_get(reply));
	else
		cmd_forward_error(rq, err, msg);
}

/*
 * cmd_forward_error: the machine's error as the answer; a bad-params
 * message names its field first, which goes into data.field.
 */
void
cmd_forward_error(struct request *rq, enum proto_err err, const char *msg)
{
	char field[96];
	size_t n;

	if (err == PROTO_E_BAD_PARAMS && strncmp(msg, "params.", 7) == 0 &&
	    (n = strcspn(msg, ": ")) < sizeof(field)) {
		snprintf(field, sizeof(field), "%.*s", (int)n, msg);
		request_error(rq, err, cmd_field_error(field), "%s", msg);
	} else
		request_error(rq, err, NULL, "%s", msg);
}

/*
 * cmd_forward: the exec function of the methods the machine process
 * serves itself (pool.*, cache.*, kmem.stats, vmem.*, extent.*, intr.*):
 * the checked params go to the machine as the operation of the method's
 * name (child.h), and its answer is the reply.
 */
enum cmd_retval
cmd_forward(struct request *rq)
{

	return cmd_forward_cb(rq, cmd_forward_done);
}

/* cmd_forward_cb: as cmd_forward(), the answer going to cb instead. */
enum cmd_retval
cmd_forward_cb(struct request *rq, machine_cb *cb)
{
	struct machine *m = rq->rq_daemon->d_machine;
	char buf[512];

	if (machine_request(m, rq->rq_cmd->name, json_object_get(
	    rq->rq_params), cb, rq) != PROTO_OK) {
		request_error(rq, PROTO_E_MACHINE_DOWN, NULL, "%s",
		    machine_down_message(m, buf, sizeof(buf)));
		return CMD_DONE;
	}
	return CMD_WAIT;
}
