/*
 * nbmemd.c: main() -- the command line, start-up and the final clean-up
 * of nbmemd.  The daemon's life in between is daemon.c's.
 *
 * Start-up does everything that can fail before the daemon detaches, so
 * that a mistake reaches the terminal: configuration, database (opened,
 * locked, migrated), control sockets, metrics socket.  Then it detaches
 * (unless -d), builds the event loop and boots the machine.
 */
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "nbmemd.h"

static NBMD_DEAD void
usage(void)
{

	fprintf(stderr, "usage: nbmemd [-dnv] [-D database] [-f file] "
	    "[-m address] [-r socket]\n\t[-s socket]\n");
	exit(2);
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

int
main(int argc, char **argv)
{
	static struct daemon dd;
	struct daemon *d = &dd;
	const char *env;
	char *err = NULL;
	bool foreground = false, check = false;
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP, SIGCHLD };
	struct event *sigev[sizeof(sigs) / sizeof(sigs[0])];
	int ch, verbose = 0, mfd = -1;
	size_t i;
	struct client *cl;

	log_init(LOG_TO_STDERR, LOG_DAEMON);
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

	if (daemon_configure(d, &d->d_conf, &err) != 0) {
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
		log_init(LOG_TO_SYSLOG, LOG_DAEMON);
	}

	signal(SIGPIPE, SIG_IGN);
	event_set_log_callback(daemon_evlog);
	if ((d->d_base = event_base_new()) == NULL)
		fatalx("event_base_new failed");
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		sigev[i] = evsignal_new(d->d_base, sigs[i], daemon_signal,
		    d);
		if (sigev[i] == NULL || evsignal_add(sigev[i],
		    NULL) != 0)
			fatalx("cannot catch signal %d", sigs[i]);
	}
	d->d_reapev = event_new(d->d_base, -1, 0, daemon_reap, d);
	d->d_stopev = evtimer_new(d->d_base, daemon_stopflush, d);
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
		    daemon_autobooted, d, buf, sizeof(buf)) != PROTO_OK)
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
	if (d->d_trace != NULL)
		evbuffer_free(d->d_trace);
	db_close(d->d_db);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		event_free(sigev[i]);
	event_free(d->d_reapev);
	event_free(d->d_stopev);
	event_base_free(d->d_base);
	libevent_global_shutdown();
	log_info("stopped");
	config_free(&d->d_conf);
	config_free(&d->d_cmdline);
	return 0;
}
