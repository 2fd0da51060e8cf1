/*
 * nbmemd.c: the daemon's main(): options, start-up, signals, reload and
 * an orderly stop.
 *
 * Start-up does everything that can fail before the daemon detaches, so
 * that a mistake reaches the terminal: configuration, database (opened,
 * locked, migrated), control sockets, metrics socket.  Then it detaches
 * (unless -d), builds the event loop and boots the machine.
 *
 * Stopping (SIGTERM, SIGINT, daemon.shutdown) goes in steps, each started
 * by the end of the one before: stop accepting and remove the sockets;
 * let the recorder finish the sample on its way; shut the machine down
 * (its run ends "daemon-stop"); flush what the clients have queued, for
 * at most NBMD_STOP_FLUSH seconds; close the database.  A second signal
 * skips to the end.  SIGHUP reloads the configuration file: the machine
 * part applies to the next boot, recorder and socket limits at once;
 * paths and the metrics address need a restart, and say so.
 */
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "nbmemd.h"

#define NBMD_STOP_FLUSH	2	/* seconds to flush clients at the end */

static struct event *nbmd_sigev[5];

static NBMD_DEAD void
usage(void)
{

	fprintf(stderr, "usage: nbmemd [-dnv] [-D database] [-f file] "
	    "[-m address] [-r socket]\n\t[-s socket]\n");
	exit(2);
}

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

/* An option's path, made absolute: the daemon changes to / when it detaches. */
static char *
nbmd_abspath(const char *opt, const char *p)
{
	char cwd[PATH_MAX], *abs;

	if (*p == '\0')
		fatalx("-%s: empty path", opt);
	if (*p == '/')
		return xstrdup(p);
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		fatal("getcwd");
	xasprintf(&abs, "%s/%s", cwd, p);
	return abs;
}

/*
 * nbmd_configure: the configuration file (or the defaults), then the
 * command line's paths over it, then the defaults of what is still unset.
 */
static int
nbmd_configure(struct daemon *d, struct nbmd_config *c, char **errp)
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

	if (nbmd_configure(d, &nc, &err) != 0) {
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

static void
nbmd_stopflush(evutil_socket_t fd, short ev, void *arg)
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
	if (d->d_base == NULL)
		return;		/* the fuzzer */
	recorder_stop(d->d_recorder, nbmd_stop_recorded, d);
}

static void
nbmd_signal(evutil_socket_t sig, short ev, void *arg)
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

static void
nbmd_reap(evutil_socket_t fd, short ev, void *arg)
{
	struct daemon *d = arg;

	client_reap(d);
	if (d->d_stopping && evtimer_pending(d->d_stopev, NULL) &&
	    d->d_nclients == 0)
		event_base_loopexit(d->d_base, NULL);
}

static void
nbmd_autobooted(void *arg, json_object *reply, enum proto_err err,
    const char *msg)
{

	if (err != PROTO_OK)
		log_warnx("the machine did not boot: %s; machine.boot tries "
		    "again", msg);
}

static void
nbmd_evlog(int severity, const char *msg)
{

	if (severity >= EVENT_LOG_WARN)
		log_warnx("libevent: %s", msg);
	else
		log_debug("libevent: %s", msg);
}

int
main(int argc, char **argv)
{
	static struct daemon dd;
	struct daemon *d = &dd;
	const char *env;
	char *err = NULL;
	bool foreground = false, check = false;
	int ch, verbose = 0, mfd = -1, sigs[] = {
		SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	size_t i;
	struct client *cl;

	log_init(1, LOG_DAEMON);
	umask(077);		/* the history and sockets are the user's own */
	memset(d, 0, sizeof(*d));
	TAILQ_INIT(&d->d_clients);
	while ((ch = getopt(argc, argv, "dD:f:m:nr:s:v")) != -1) {
		switch (ch) {
		case 'd':
			foreground = true;
			break;
		case 'D':
			free(d->d_cmdline.c_database);
			d->d_cmdline.c_database = nbmd_abspath("D", optarg);
			break;
		case 'f':
			d->d_conffile = optarg;
			break;
		case 'm':
			free(d->d_cmdline.c_metrics);
			d->d_cmdline.c_metrics = xstrdup(optarg);
			break;
		case 'n':
			check = true;
			break;
		case 'r':
			free(d->d_cmdline.c_readonly);
			d->d_cmdline.c_readonly = nbmd_abspath("r", optarg);
			break;
		case 's':
			free(d->d_cmdline.c_control);
			d->d_cmdline.c_control = nbmd_abspath("s", optarg);
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (argc != optind)
		usage();
	log_setverbose(verbose);
	env = getenv(NBMD_TEST_ENV);
	d->d_testmode = env != NULL && *env != '\0' && strcmp(env, "0") != 0;

	if (nbmd_configure(d, &d->d_conf, &err) != 0) {
		log_warnx("%s", err);
		free(err);
		config_free(&d->d_cmdline);
		return 1;
	}
	if (check) {
		struct db *db = db_open(d->d_conf.c_database, DB_READONLY,
		    &err);

		if (db == NULL) {
			log_warnx("%s", err);
			free(err);
			config_free(&d->d_conf);
			config_free(&d->d_cmdline);
			return 1;
		}
		db_close(db);
		fprintf(stderr, "configuration OK\n");
		config_free(&d->d_conf);
		config_free(&d->d_cmdline);
		return 0;
	}

	if ((d->d_db = db_open(d->d_conf.c_database, 0, &err)) == NULL)
		fatalx("%s", err);
	if ((d->d_control = control_listen(d->d_conf.c_control, false,
	    &err)) == NULL)
		fatalx("%s", err);
	if (d->d_conf.c_readonly != NULL && (d->d_readonly = control_listen(
	    d->d_conf.c_readonly, true, &err)) == NULL) {
		control_close(d->d_control);
		fatalx("%s", err);
	}
	if (d->d_conf.c_metrics != NULL &&
	    metrics_listen(d->d_conf.c_metrics, &mfd, &err) != 0) {
		control_close(d->d_control);
		control_close(d->d_readonly);
		fatalx("%s", err);
	}
	if (!foreground) {
		if (daemon(0, 0) != 0)
			fatal("daemon");
		log_init(0, LOG_DAEMON);
	}

	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(nbmd_evlog);
	if ((d->d_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		nbmd_sigev[i] = evsignal_new(d->d_base, sigs[i], nbmd_signal,
		    d);
		if (nbmd_sigev[i] == NULL || evsignal_add(nbmd_sigev[i],
		    NULL) != 0)
			fatalx("cannot catch signal %d", sigs[i]);
	}
	d->d_reapev = event_new(d->d_base, -1, 0, nbmd_reap, d);
	d->d_stopev = evtimer_new(d->d_base, nbmd_stopflush, d);
	if (d->d_reapev == NULL || d->d_stopev == NULL)
		fatalx("event_new failed");
	d->d_started = nbmd_now();
	d->d_machine = machine_new(d);
	d->d_recorder = recorder_new(d);
	control_start(d, d->d_control);
	if (d->d_readonly != NULL)
		control_start(d, d->d_readonly);
	if (mfd >= 0)
		d->d_metrics = metrics_start(d, mfd);
	recorder_start(d->d_recorder);
	log_info("nbmemd %s started: control socket %s%s%s, database %s%s",
	    NBMD_VERSION, d->d_conf.c_control, d->d_readonly != NULL ?
	    ", read-only socket " : "", d->d_readonly != NULL ?
	    d->d_conf.c_readonly : "", d->d_conf.c_database,
	    d->d_testmode ? " (test mode: debug methods on)" : "");
	if (d->d_conf.c_autoboot) {
		char buf[512];

		if (machine_boot(d->d_machine, &d->d_conf.c_machine,
		    nbmd_autobooted, d, buf, sizeof(buf)) != PROTO_OK)
			log_warnx("the machine did not boot: %s", buf);
	}

	event_base_dispatch(d->d_base);

	/* Whatever is left, in dependency order. */
	d->d_stopping = true;
	control_close(d->d_control);
	control_close(d->d_readonly);
	metrics_free(d->d_metrics);
	while ((cl = TAILQ_FIRST(&d->d_clients)) != NULL)
		client_free(cl);
	machine_free(d->d_machine);
	recorder_free(d->d_recorder);
	db_close(d->d_db);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(nbmd_sigev[i]);
	event_free(d->d_reapev);
	event_free(d->d_stopev);
	event_base_free(d->d_base);
	libevent_global_shutdown();
	log_info("stopped");
	config_free(&d->d_conf);
	config_free(&d->d_cmdline);
	return 0;
}
