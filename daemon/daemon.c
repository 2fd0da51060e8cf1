/*
 * daemon.c: the daemon's life once started: the time, signals, reloading
 * the configuration, and an orderly stop.
 *
 * Stopping (SIGTERM, SIGINT, daemon.shutdown) goes in steps, each started
 * by the end of the one before: stop accepting and remove the sockets;
 * let the recorder finish the sample on its way; shut the machine down
 * (its run ends "daemon-stop"); flush what the clients have queued, for
 * at most NBMD_STOP_FLUSH seconds; then leave the event loop, after which
 * main() closes the database.  A second signal skips to the end.
 *
 * SIGHUP reloads the configuration file: the machine part applies to the
 * next boot, recorder and socket limits at once; paths and the metrics
 * address need a restart, and the log says so.
 */
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nbmemd.h"

#define NBMD_STOP_FLUSH	2	/* seconds to flush clients at the end */

double
nbmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
nbmd_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * daemon_configure: the configuration file (or the defaults), then the
 * command line's paths over it, then the defaults of what is still unset.
 */
int
daemon_configure(struct daemon *d, struct nbmd_config *c, char **errp)
{
	const struct nbmd_config *o = &d->d_cmdline;
	char host[64];
	u_int port;

	if (config_load(c, d->d_conffile, errp) != 0)
		return -1;
	if (o->c_control != NULL) {
		free(c->c_control);
		c->c_control = xstrdup(o->c_control);
	}
	if (o->c_readonly != NULL) {
		free(c->c_readonly);
		c->c_readonly = xstrdup(o->c_readonly);
	}
	if (o->c_database != NULL) {
		free(c->c_database);
		c->c_database = xstrdup(o->c_database);
	}
	if (o->c_metrics != NULL) {
		if (config_metrics_addr(o->c_metrics, host, sizeof(host),
		    &port, errp) != 0) {
			char *e = *errp;

			xasprintf(errp, "-m %s", e);
			free(e);
			config_free(c);
			return -1;
		}
		free(c->c_metrics);
		c->c_metrics = xstrdup(o->c_metrics);
	}
	if (config_finish(c, errp) != 0) {
		char *e = *errp;

		xasprintf(errp, "%s: %s", d->d_conffile != NULL ?
		    d->d_conffile : "configuration", e);
		free(e);
		config_free(c);
		return -1;
	}
	return 0;
}

static bool
nbmd_strdiff(const char *a, const char *b)
{

	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

/* SIGHUP: load the configuration again, keeping what needs a restart. */
static void
nbmd_reload(struct daemon *d)
{
	struct nbmd_config nc, *c = &d->d_conf;
	char *err = NULL;
	static const struct {
		const char	*name;
		size_t		 off;
	} fixed[] = {
		{ "sockets.control", offsetof(struct nbmd_config, c_control) },
		{ "sockets.readonly", offsetof(struct nbmd_config, c_readonly) },
		{ "database", offsetof(struct nbmd_config, c_database) },
		{ "metrics.listen", offsetof(struct nbmd_config, c_metrics) },
	};
	size_t i;

	if (daemon_configure(d, &nc, &err) != 0) {
		log_warnx("reload: %s; the running configuration stays", err);
		free(err);
		return;
	}
	for (i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		char **np = (char **)(void *)((char *)&nc + fixed[i].off);
		char **op = (char **)(void *)((char *)c + fixed[i].off);

		if (nbmd_strdiff(*np, *op)) {
			log_warnx("reload: %s changed; restart nbmemd to use "
			    "it", fixed[i].name);
			free(*np);
			*np = *op != NULL ? xstrdup(*op) : NULL;
		}
	}
	config_free(c);
	*c = nc;
	recorder_configure(d->d_recorder);
	log_info("configuration reloaded from %s; the machine settings apply "
	    "at the next boot", d->d_conffile != NULL ? d->d_conffile :
	    "the defaults");
	recorder_event(d->d_recorder, machine_run(d->d_machine),
	    "config-reload", "daemon", "configuration reloaded");
}

void
daemon_stopflush(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon *d = arg;

	event_base_loopexit(d->d_base, NULL);
}

/* The machine is gone: close the clients once they are flushed. */
static void
nbmd_stop_machined(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{
	struct daemon *d = arg;
	struct timeval tv = { NBMD_STOP_FLUSH, 0 };

	client_close_all(d);
	evtimer_add(d->d_stopev, &tv);
	event_active(d->d_reapev, 0, 0);
}

/* The recorder is done: shut the machine down. */
static void
nbmd_stop_recorded(void *arg)
{
	struct daemon *d = arg;

	machine_shutdown(d->d_machine, "daemon-stop", nbmd_stop_machined, d);
}

/*
 * daemon_stop: begin the orderly stop (see above).
 */
void
daemon_stop(struct daemon *d, const char *why)
{

	if (d->d_stopping)
		return;
	d->d_stopping = true;
	log_info("stopping: %s", why);
	control_close(d->d_control);
	control_close(d->d_readonly);
	d->d_control = d->d_readonly = NULL;
	metrics_free(d->d_metrics);
	d->d_metrics = NULL;
	if (d->d_nofork)
		return;		/* the fuzzer: nothing to stop */
	recorder_stop(d->d_recorder, nbmd_stop_recorded, d);
}

void
daemon_signal(evutil_socket_t sig, short ev, void *arg)
{
	struct daemon *d = arg;

	switch (sig) {
	case SIGTERM:
	case SIGINT:
		if (d->d_stopping) {
			log_warnx("second %s: stopping now",
			    sig == SIGINT ? "SIGINT" : "SIGTERM");
			machine_kill(d->d_machine, "daemon-stop");
			event_base_loopexit(d->d_base, NULL);
			return;
		}
		daemon_stop(d, sig == SIGINT ? "SIGINT" : "SIGTERM");
		break;
	case SIGHUP:
		nbmd_reload(d);
		break;
	case SIGCHLD:
		machine_sigchld(d->d_machine);
		break;
	}
}

void
daemon_reap(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon *d = arg;

	client_reap(d);
	if (d->d_stopping && evtimer_pending(d->d_stopev, NULL) &&
	    d->d_nclients == 0)
		event_base_loopexit(d->d_base, NULL);
}

void
daemon_autobooted(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{

	if (err != PROTO_OK)
		log_warnx("the machine did not boot: %s; machine.boot tries "
		    "again", msg);
}

void
daemon_evlog(int severity, const char *msg)
{

	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

