/*
 * cmd-stats.c: stats.snapshot, stats.subscribe and stats.unsubscribe.
 *
 * A snapshot is one JSON object:
 *
 *	{"time": T, "run": N, "uptime_ns": U,
 *	 "machine": {FIELD: VALUE, ...}, "pools": [...], "caches": [...],
 *	 "vmem": [...], "extents": [...], "intr": [...]}
 *
 * with one member per section (fields.h, child-stats.c): the machine
 * counters, then arrays of records keyed by their label fields.
 * "sections" in the parameters selects some; by default all are sent.
 *
 * A subscription is a timer of the client's: at each interval it asks the
 * machine for a snapshot (joining one already on its way, machine.c) and
 * pushes it as a stats.update notification.  A tick that comes while the
 * previous snapshot is still on its way is skipped, never queued.  Before
 * each push the client's output queue is checked: a client that has let
 * more than sockets.client_buffer bytes pile up is dropped, so a client
 * that stops reading costs a bounded amount of memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

struct subscription {
	struct client	*su_client;
	uint64_t	 su_id;		/* unique in the daemon */
	double		 su_interval;	/* seconds */
	u_int		 su_sections;	/* bit i: nbmd_sections[i] */
	bool		 su_waiting;	/* a snapshot is on its way */
	struct event	*su_timer;	/* persistent, su_interval */
	TAILQ_ENTRY(subscription) su_entry; /* on cl_subs */
};

static enum cmd_retval cmd_stats_snapshot_exec(struct request *);
static enum cmd_retval cmd_stats_subscribe_exec(struct request *);
static enum cmd_retval cmd_stats_unsubscribe_exec(struct request *);

static const struct cmd_param cmd_stats_snapshot_params[] = {
	{ "sections", CP_STRINGS, 0, 16, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_stats_subscribe_params[] = {
	{ "interval", CP_NUMBER, NBMD_INTERVAL_MIN, NBMD_INTERVAL_MAX, false },
	{ "sections", CP_STRINGS, 0, 16, false },
	{ NULL, 0, 0, 0, false }
};

static const struct cmd_param cmd_stats_unsubscribe_params[] = {
	{ "subscription", CP_INT, 1, 9007199254740991.0, true },
	{ NULL, 0, 0, 0, false }
};

const struct cmd_entry cmd_stats_snapshot_entry = {
	"stats.snapshot", CMD_READONLY, cmd_stats_snapshot_params,
	cmd_stats_snapshot_exec
};
const struct cmd_entry cmd_stats_subscribe_entry = {
	"stats.subscribe", CMD_READONLY, cmd_stats_subscribe_params,
	cmd_stats_subscribe_exec
};
const struct cmd_entry cmd_stats_unsubscribe_entry = {
	"stats.unsubscribe", CMD_READONLY, cmd_stats_unsubscribe_params,
	cmd_stats_unsubscribe_exec
};

#define STATS_ALL	(~0U)

/*
 * stats_snapshot_json: the snapshot of the protocol from the machine's
 * answer to "snapshot" or "sample", with the sections in mask.
 */
json_object *
stats_snapshot_json(struct daemon *d, json_object *reply, u_int mask)
{
	const struct nbmd_fieldset *fs;
	json_object *o = json_object_new_object(), *v;
	const char *recs;
	size_t i, n;

	json_object_object_add(o, "time", proto_time(nbmd_now()));
	json_object_object_add(o, "run",
	    json_object_new_int64(machine_run(d->d_machine)));
	if (json_object_object_get_ex(reply, "uptime_ns", &v))
		json_object_object_add(o, "uptime_ns", json_object_get(v));
	for (i = 0; i < nbmd_nsections; i++) {
		if ((mask & (1U << i)) == 0)
			continue;
		if (nbmd_blob_find(nbmd_blob_of(reply), nbmd_sections[i], &fs,
		    &recs, &n) == 0)
			json_object_object_add(o, nbmd_sections[i],
			    nbmd_records_raw(fs, recs, n));
		else if (json_object_object_get_ex(reply, nbmd_sections[i],
		    &v))
			json_object_object_add(o, nbmd_sections[i],
			    json_object_get(v));
	}
	return o;
}

/*
 * The "sections" parameter as a mask.
 * => 0 and the mask, or -1 with an error answered.
 */
static int
stats_sections(struct request *rq, u_int *maskp)
{
	json_object *a, *e;
	char field[64], accepted[256];
	size_t i, j, n, o = 0;

	*maskp = STATS_ALL;
	if (!json_object_object_get_ex(rq->rq_params, "sections", &a))
		return 0;
	*maskp = 0;
	n = json_object_array_length(a);
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(a, i);
		for (j = 0; j < nbmd_nsections; j++)
			if (strcmp(json_object_get_string(e),
			    nbmd_sections[j]) == 0)
				break;
		if (j == nbmd_nsections) {
			accepted[0] = '\0';
			for (j = 0; j < nbmd_nsections; j++)
				o += (size_t)snprintf(accepted + o,
				    sizeof(accepted) - o, "%s%s",
				    o > 0 ? ", " : "", nbmd_sections[j]);
			snprintf(field, sizeof(field), "params.sections[%zu]",
			    i);
			request_error(rq, PROTO_E_BAD_PARAMS,
			    cmd_field_error(field), "%s: unknown section "
			    "\"%.64s\"; accepted: %s", field,
			    json_object_get_string(e), accepted);
			return -1;
		}
		*maskp |= 1U << j;
	}
	return 0;
}

static void
cmd_stats_snapshot_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct request *rq = arg;

	if (err != PROTO_OK)
		request_error(rq, err, NULL, "%s", msg);
	else
		request_reply(rq, stats_snapshot_json(rq->rq_daemon, reply,
		    (u_int)(uintptr_t)rq->rq_state));
}

static enum cmd_retval
cmd_stats_snapshot_exec(struct request *rq)
{
	struct machine *m = rq->rq_daemon->d_machine;
	char buf[512];
	u_int mask;

	if (stats_sections(rq, &mask) != 0)
		return CMD_DONE;
	rq->rq_state = (void *)(uintptr_t)mask;
	if (machine_snapshot(m, cmd_stats_snapshot_done, rq) != PROTO_OK) {
		request_error(rq, PROTO_E_MACHINE_DOWN, NULL, "%s",
		    machine_down_message(m, buf, sizeof(buf)));
		return CMD_DONE;
	}
	return CMD_WAIT;
}

/* Push one notification of a subscription, or drop a client that lags. */
static void
stats_push(struct subscription *su, json_object *snap, const char *down)
{
	struct client *cl = su->su_client;
	struct daemon *d = cl->cl_daemon;
	json_object *p;
	char why[128];

	if (client_queued(cl) > d->d_conf.c_client_buffer) {
		json_object_put(snap);
		snprintf(why, sizeof(why), "not reading its subscription: "
		    "%zu bytes queued (sockets.client_buffer %llu)",
		    client_queued(cl),
		    (unsigned long long)d->d_conf.c_client_buffer);
		client_drop(cl, why);
		return;
	}
	p = json_object_new_object();
	json_object_object_add(p, "subscription",
	    json_object_new_uint64(su->su_id));
	json_object_object_add(p, "state",
	    json_object_new_string(snap != NULL ? "up" : "down"));
	if (snap != NULL)
		json_object_object_add(p, "snapshot", snap);
	else
		json_object_object_add(p, "message",
		    json_object_new_string(down));
	client_send(cl, proto_notification("stats.update", p));
}

static void
stats_sub_done(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct subscription *su = arg;

	su->su_waiting = false;
	if (err != PROTO_OK)
		stats_push(su, NULL, msg);
	else
		stats_push(su, stats_snapshot_json(su->su_client->cl_daemon,
		    reply, su->su_sections), NULL);
}

static void
stats_sub_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct subscription *su = arg;
	struct machine *m = su->su_client->cl_daemon->d_machine;
	char buf[512];

	if (su->su_waiting || su->su_client->cl_lost)
		return;
	su->su_waiting = true;
	if (machine_snapshot(m, stats_sub_done, su) != PROTO_OK) {
		su->su_waiting = false;
		stats_push(su, NULL, machine_down_message(m, buf,
		    sizeof(buf)));
	}
}

static void
stats_sub_free(struct subscription *su)
{
	struct client *cl = su->su_client;

	if (su->su_waiting)
		machine_cancel(cl->cl_daemon->d_machine, su);
	TAILQ_REMOVE(&cl->cl_subs, su, su_entry);
	cl->cl_nsubs--;
	event_free(su->su_timer);
	free(su);
}

/* stats_client_gone: a client is being freed: end its subscriptions. */
void
stats_client_gone(struct client *cl)
{
	struct subscription *su;

	while ((su = TAILQ_FIRST(&cl->cl_subs)) != NULL)
		stats_sub_free(su);
}

static enum cmd_retval
cmd_stats_subscribe_exec(struct request *rq)
{
	struct daemon *d = rq->rq_daemon;
	struct client *cl = rq->rq_client;
	struct subscription *su;
	struct timeval tv;
	json_object *r;
	u_int mask;

	if (stats_sections(rq, &mask) != 0)
		return CMD_DONE;
	if (cl->cl_nsubs >= NBMD_SUBS_MAX) {
		request_error(rq, PROTO_E_BUSY, NULL, "a client may have at "
		    "most %d subscriptions", NBMD_SUBS_MAX);
		return CMD_DONE;
	}
	su = xcalloc(1, sizeof(*su));
	su->su_client = cl;
	su->su_id = ++d->d_nextsub;
	su->su_interval = cmd_number(rq, "interval", 1.0);
	su->su_sections = mask;
	su->su_timer = event_new(d->d_base, -1, EV_PERSIST, stats_sub_tick,
	    su);
	if (su->su_timer == NULL)
		fatalx("event_new failed");
	tv.tv_sec = (time_t)su->su_interval;
	tv.tv_usec = (suseconds_t)((su->su_interval - (double)tv.tv_sec) *
	    1e6);
	evtimer_add(su->su_timer, &tv);
	TAILQ_INSERT_TAIL(&cl->cl_subs, su, su_entry);
	cl->cl_nsubs++;
	r = json_object_new_object();
	json_object_object_add(r, "subscription",
	    json_object_new_uint64(su->su_id));
	json_object_object_add(r, "interval",
	    proto_number(su->su_interval));
	request_reply(rq, r);
	return CMD_DONE;
}

static enum cmd_retval
cmd_stats_unsubscribe_exec(struct request *rq)
{
	struct client *cl = rq->rq_client;
	struct subscription *su;
	uint64_t id = (uint64_t)cmd_int(rq, "subscription", 0);
	json_object *r;

	TAILQ_FOREACH(su, &cl->cl_subs, su_entry)
		if (su->su_id == id)
			break;
	if (su == NULL) {
		request_error(rq, PROTO_E_NO_SUCH_SUBSCRIPTION,
		    cmd_field_error("params.subscription"), "no subscription "
		    "%llu on this connection", (unsigned long long)id);
		return CMD_DONE;
	}
	stats_sub_free(su);
	r = json_object_new_object();
	json_object_object_add(r, "subscription", json_object_new_uint64(id));
	request_reply(rq, r);
	return CMD_DONE;
}
