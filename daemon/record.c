/*
 * record.c: the recorder -- one sample of the machine per interval into
 * the history database.
 *
 * At each tick of recorder.interval the recorder asks the machine for a
 * "sample" (its statistics plus the machine events it has not recorded
 * yet) and writes it in one transaction: a samples row, a row per
 * record of each field set (machine_samples, pool_samples, cache_samples,
 * vmem_samples, extent_samples: fields.h), and an events row per machine
 * event (hard-limit warnings, interrupt source changes, page daemon runs,
 * ...).  Retention deletes samples; their rows go with them (ON DELETE
 * CASCADE, schema/0002-objects.sql).  A tick that comes while the previous sample is still on its way is counted as
 * missed and skipped, never queued, so that a slow machine cannot pile up
 * work; no client can delay a sample, because requests never block the
 * event loop (control.c).
 *
 * Retention (recorder.retention) runs on its own timer (every RECORD_RETAIN
 * seconds, or half of max_age if that is shorter) in bounded steps -- at
 * most RECORD_BATCH samples deleted, each step its own transaction, the
 * next step on the next turn of the event loop -- so that trimming a large
 * history never holds up a sample for long.
 *
 * Stopping finishes the sample on its way (the machine's watchdog bounds
 * the wait) and then says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbmemd.h"

#define RECORD_BATCH	500		/* samples a retention step */
#define RECORD_RETAIN	10.0		/* seconds between retention runs,
					   at most */

struct recorder {
	struct daemon	*r_daemon;
	struct event	*r_timer;	/* each recorder.interval */
	struct event	*r_retev;	/* retention steps */
	bool		 r_inflight;	/* a sample is on its way */
	bool		 r_stopping;	/* take no more samples */
	void		(*r_stopcb)(void *); /* called when stopped */
	void		*r_stoparg;
	int64_t		 r_run;		/* run r_evseq belongs to */
	uint64_t	 r_evseq;	/* machine events recorded up to */
	uint64_t	 r_nsamples;	/* committed */
	uint64_t	 r_missed;	/* ticks skipped */
	uint64_t	 r_failed;	/* samples the database refused */
	json_object	*r_last;	/* the last sample (with its blob), for
					   /metrics */
	int64_t		 r_lastrun;	/* ... and its run */
};

static void
record_tv(double s, struct timeval *tv)
{

	tv->tv_sec = (time_t)s;
	tv->tv_usec = (suseconds_t)((s - (double)tv->tv_sec) * 1e6);
}

/* Members of a machine event, with defaults for what is missing. */
static int64_t
record_int(json_object *o, const char *key, int64_t dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_int) ?
	    json_object_get_int64(v) : dflt;
}

static const char *
record_str(json_object *o, const char *key, const char *dflt)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) &&
	    json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : dflt;
}

/* Write one sample; runs in one transaction. */
static int
record_write(struct recorder *r, int64_t run, json_object *reply,
    int64_t *idp)
{
	struct db *db = r->r_daemon->d_db;
	const struct nbmd_fieldset *fs;
	json_object *v, *evs, *e;
	const char *recs;
	double now = nbmd_now();
	size_t i, j, n;

	if (db_begin(db) != 0)
		return -1;
	if (!json_object_object_get_ex(reply, "uptime_ns", &v) ||
	    db_sample(db, run, now, json_object_get_uint64(v), idp) != 0)
		goto fail;
	for (i = 0; i < nbmd_nfieldsets; i++) {
		fs = nbmd_fieldsets[i];
		if (nbmd_blob_find(nbmd_blob_of(reply), fs->fs_name, &fs,
		    &recs, &n) != 0)
			continue;
		for (j = 0; j < n; j++)
			if (db_fieldrow(db, fs, *idp, (int64_t)j,
			    recs + j * fs->fs_recsize) != 0)
				goto fail;
	}
	if (json_object_object_get_ex(reply, "events", &evs) &&
	    json_object_is_type(evs, json_type_array)) {
		n = json_object_array_length(evs);
		for (j = 0; j < n; j++) {
			e = json_object_array_get_idx(evs, j);
			if (db_event(db, run, now,
			    record_int(e, "uptime_ns", -1), "machine",
			    record_str(e, "type", "event"),
			    (int)record_int(e, "cpu", -1),
			    record_str(e, "subject", ""),
			    record_str(e, "text", "")) != 0)
				goto fail;
		}
	}
	if (record_int(reply, "lost", 0) > 0 && db_event(db, run, now, -1,
	    "daemon", "lost-events", -1, "machine", "the machine's event ring "
	    "overwrote events before they were recorded") != 0)
		goto fail;
	if (db_commit(db) != 0)
		goto fail;
	return 0;

fail:
	db_rollback(db);
	return -1;
}

static void
record_stopped(struct recorder *r)
{
	void (*cb)(void *) = r->r_stopcb;

	r->r_stopcb = NULL;
	if (cb != NULL)
		cb(r->r_stoparg);
}

static void
record_sampled(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct recorder *r = arg;
	struct daemon *d = r->r_daemon;
	int64_t run = machine_run(d->d_machine), id;
	json_object *v;

	r->r_inflight = false;
	if (err != PROTO_OK) {
		log_debug("recorder: no sample: %s", msg);
		goto out;
	}
	if (run <= 0)
		goto out;
	if (record_write(r, run, reply, &id) != 0) {
		if (r->r_failed++ == 0 || log_getverbose() > 0)
			log_warnx("history: cannot record a sample: %s",
			    db_errmsg(d->d_db));
		goto out;
	}
	r->r_nsamples++;
	if (log_getverbose() > 1)
		log_debug("recorder: sample %lld of run %lld committed",
		    (long long)id, (long long)run);
	if (json_object_object_get_ex(reply, "evseq", &v))
		r->r_evseq = json_object_get_uint64(v);
	r->r_run = run;
	json_object_put(r->r_last);
	r->r_last = json_object_get(reply);
	r->r_lastrun = run;
out:
	if (r->r_stopping)
		record_stopped(r);
}

static void
record_tick(evutil_socket_t fd, short ev, void *arg)
{
	struct recorder *r = arg;
	struct machine *m = r->r_daemon->d_machine;
	json_object *args;

	if (r->r_stopping || machine_state(m) != MACHINE_UP)
		return;
	if (r->r_inflight) {
		r->r_missed++;
		log_debug("recorder: the last sample is still on its way; "
		    "tick skipped (%llu so far)",
		    (unsigned long long)r->r_missed);
		return;
	}
	if (machine_run(m) != r->r_run) {
		r->r_run = machine_run(m);
		r->r_evseq = 0;
	}
	args = json_object_new_object();
	json_object_object_add(args, "since",
	    json_object_new_uint64(r->r_evseq));
	if (machine_request(m, "sample", args, record_sampled, r) == PROTO_OK)
		r->r_inflight = true;
}

/*
 * Seconds between retention runs: RECORD_RETAIN, or half of max_age when
 * that is shorter, so that nothing stays much longer than max_age.
 */
static double
record_period(const struct nbmd_config *c)
{

	if (c->c_max_age > 0 && c->c_max_age / 2 < RECORD_RETAIN)
		return c->c_max_age / 2;
	return RECORD_RETAIN;
}

static void
record_retain(evutil_socket_t fd, short ev, void *arg)
{
	struct recorder *r = arg;
	struct daemon *d = r->r_daemon;
	const struct nbmd_config *c = &d->d_conf;
	struct timeval tv;
	double cutoff = c->c_max_age > 0 ? nbmd_now() - c->c_max_age : 0;
	bool more = false;

	if (r->r_stopping)
		return;
	if ((cutoff > 0 || c->c_max_size > 0) && db_retention(d->d_db, cutoff,
	    c->c_max_size, RECORD_BATCH, &more) != 0)
		log_warnx("history: retention: %s", db_errmsg(d->d_db));
	record_tv(more ? 0 : record_period(c), &tv);
	evtimer_add(r->r_retev, &tv);
}

struct recorder *
recorder_new(struct daemon *d)
{
	struct recorder *r = xcalloc(1, sizeof(*r));

	r->r_daemon = d;
	r->r_timer = event_new(d->d_base, -1, EV_PERSIST, record_tick, r);
	r->r_retev = evtimer_new(d->d_base, record_retain, r);
	if (r->r_timer == NULL || r->r_retev == NULL)
		fatalx("event_new failed");
	return r;
}

void
recorder_free(struct recorder *r)
{

	if (r == NULL)
		return;
	event_free(r->r_timer);
	event_free(r->r_retev);
	json_object_put(r->r_last);
	free(r);
}

/* recorder_configure: (re)start the timers from the configuration. */
void
recorder_configure(struct recorder *r)
{
	struct timeval tv;

	if (r->r_stopping)
		return;
	record_tv(r->r_daemon->d_conf.c_interval, &tv);
	evtimer_add(r->r_timer, &tv);
	if (!evtimer_pending(r->r_retev, NULL)) {
		record_tv(0, &tv);
		evtimer_add(r->r_retev, &tv);
	}
}

void
recorder_start(struct recorder *r)
{

	recorder_configure(r);
}

/*
 * recorder_stop: take no more samples; cb(arg) once the one on its way,
 * if any, is written (at once if none is).
 */
void
recorder_stop(struct recorder *r, void (*cb)(void *), void *arg)
{

	r->r_stopping = true;
	evtimer_del(r->r_timer);
	evtimer_del(r->r_retev);
	r->r_stopcb = cb;
	r->r_stoparg = arg;
	if (!r->r_inflight)
		record_stopped(r);
}

/* recorder_last: the machine's answer of the last sample, and its run. */
json_object *
recorder_last(const struct recorder *r, int64_t *runp)
{

	*runp = r->r_lastrun;
	return r->r_last;
}

uint64_t
recorder_nsamples(const struct recorder *r)
{

	return r->r_nsamples;
}

/*
 * recorder_event: record an event the daemon saw (a boot, how a run
 * ended); run 0 is none.
 */
void
recorder_event(struct recorder *r, int64_t run, const char *type,
    const char *subject, const char *fmt, ...)
{
	struct db *db;
	char msg[1024];
	va_list ap;

	if (r == NULL || (db = r->r_daemon->d_db) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (db_event(db, run, nbmd_now(), -1, "daemon", type, -1, subject,
	    msg) != 0)
		log_warnx("history: cannot record the event \"%s\": %s", type,
		    db_errmsg(db));
}
