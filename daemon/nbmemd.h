/*
 * nbmemd.h: the daemon's internal header, one section per file.
 *
 * The daemon is one process running a libevent loop (nbmemd.c): control
 * sockets and their clients (control.c) whose requests go through the
 * command table (cmd.c, cmd-*.c); the recorder (record.c) writing samples
 * into SQLite (db.c); the OpenMetrics endpoint (metrics.c); and the
 * supervisor of the machine process (machine.c), a child that runs the
 * simulated machine with libnbmem (child.c).  Everything is driven from
 * the one event loop; the parent has no threads.
 */
#ifndef NBMD_NBMEMD_H
#define NBMD_NBMEMD_H

#include <sys/types.h>
#include <sys/queue.h>
#include <stdbool.h>
#include <stdint.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <json-c/json.h>

#include <nbmem/nbmem.h>

#include "fields.h"
#include "log.h"
#include "proto.h"
#include "xmalloc.h"

#ifndef TAILQ_FOREACH_SAFE
#define TAILQ_FOREACH_SAFE(var, head, field, tvar)			\
	for ((var) = TAILQ_FIRST(head);					\
	    (var) != NULL && ((tvar) = TAILQ_NEXT(var, field), 1);	\
	    (var) = (tvar))
#endif

#define NBMD_VERSION		NBM_VERSION_STRING

/* Bounds of the daemon's resources (see nbmemd.8). */
#define NBMD_OUT_HIWAT		(256 * 1024)	/* client output before its
						   next request waits */
#define NBMD_OUT_LOWAT		(64 * 1024)	/* ... until it drains to this */
#define NBMD_CHILD_MSG_MAX	(4 * 1024 * 1024) /* a machine process line */
#define NBMD_SUBS_MAX		8		/* subscriptions a client */
#define NBMD_INTERVAL_MIN	0.01		/* seconds, recorder and
						   subscriptions */
#define NBMD_INTERVAL_MAX	3600.0
#define NBMD_ROWS_MAX		1000		/* rows in one reply or chunk */

/* Environment variable that unhides the debug.* methods (tests). */
#define NBMD_TEST_ENV		"NBMEMD_TEST"

struct client;
struct control;
struct db;
struct machine;
struct metrics;
struct recorder;
struct request;
struct subscription;

/*
 * config.c
 */
struct nbmd_config {
	struct nbm_config c_machine;	/* what the next boot uses */
	bool		c_autoboot;	/* boot a machine at start */
	double		c_timeout;	/* seconds the machine may take to
					   answer before it counts as hung */
	double		c_boot_timeout;	/* seconds a boot may take */
	double		c_interval;	/* seconds between samples */
	double		c_max_age;	/* seconds of history kept; 0: all */
	uint64_t	c_max_size;	/* bytes of database kept; 0: all */
	char		*c_control;	/* control socket */
	char		*c_readonly;	/* read-only socket, or NULL */
	char		*c_database;	/* SQLite database */
	char		*c_metrics;	/* "host:port" on loopback, or NULL */
	u_int		c_max_clients;	/* connections at once */
	uint64_t	c_client_buffer; /* output queued to a subscriber
					   before it is dropped */
	double		c_line_timeout;	/* seconds a partial line may wait */
};

void	config_defaults(struct nbmd_config *);
int	config_load(struct nbmd_config *, const char *path, char **errp);
int	config_parse(struct nbmd_config *, json_object *, char **errp);
int	config_parse_machine(struct nbm_config *, json_object *,
	    const char *prefix, char **errp);
int	config_finish(struct nbmd_config *, char **errp);
void	config_copy(struct nbmd_config *, const struct nbmd_config *);
void	config_free(struct nbmd_config *);
json_object *config_machine_json(const struct nbm_config *, bool memmap);
const char *config_mode_name(int);
int	config_metrics_addr(const char *, char *host, size_t, u_int *port,
	    char **errp);

/*
 * control.c
 */
struct request {
	struct daemon	*rq_daemon;	/* the daemon */
	struct client	*rq_client;	/* NULL once the client has gone */
	const struct cmd_entry *rq_cmd;	/* what runs it */
	json_object	*rq_json;	/* the request; owns rq_params */
	json_object	*rq_id;		/* NULL: a notification */
	json_object	*rq_params;	/* never NULL (empty when absent) */
	void		*rq_state;	/* the command's, while it waits */
	void		(*rq_resume)(struct request *); /* output drained */
	void		(*rq_cancel)(struct request *); /* client gone */
};

struct client {
	struct daemon	*cl_daemon;	/* the daemon it talks to */
	u_int		 cl_id;		/* for log messages */
	uid_t		 cl_uid;	/* peer's uid */
	bool		 cl_readonly;	/* came in on the read-only socket */
	bool		 cl_closing;	/* close when the output is flushed */
	bool		 cl_eof;	/* the peer closed its side */
	bool		 cl_lost;	/* to be freed by client_reap() */
	bool		 cl_infeed;	/* client_feed() is running */
	struct bufferevent *cl_bev;	/* NULL in the fuzzer */
	struct evbuffer	*cl_out;	/* its output */
	struct request	*cl_pending;	/* request still running */
	TAILQ_HEAD(, subscription) cl_subs; /* its stats.subscribe timers */
	u_int		 cl_nsubs;	/* ... how many */
	TAILQ_ENTRY(client) cl_entry;	/* on d_clients */
};

struct control {
	struct daemon	*ct_daemon;	/* set by control_start() */
	char		*ct_path;	/* socket path */
	bool		 ct_readonly;	/* only CMD_READONLY methods */
	int		 ct_fd;		/* listening socket */
	struct event	*ct_ev;		/* accept */
};

struct control *control_listen(const char *path, bool readonly, char **errp);
void	control_start(struct daemon *, struct control *);
void	control_close(struct control *);
struct client *client_new(struct daemon *, int fd, bool readonly, uid_t);
void	client_free(struct client *);
void	client_feed(struct client *, struct evbuffer *);
void	client_continue(struct client *);
void	client_send(struct client *, json_object *);
void	client_drop(struct client *, const char *why);
void	client_close_all(struct daemon *);
void	client_reap(struct daemon *);
size_t	client_queued(const struct client *);
void	request_reply(struct request *, json_object *result);
void	request_reply_text(struct request *, const char *, size_t);
void	request_error(struct request *, enum proto_err, json_object *data,
	    const char *fmt, ...) NBMD_PRINTFLIKE(4, 5);
void	request_notify(struct request *, const char *method, json_object *);

/*
 * cmd.c: the command table.
 */
#define CMD_READONLY	0x01	/* changes nothing: allowed read-only */
#define CMD_DEBUG	0x02	/* hidden unless NBMEMD_TEST is set */

enum cmd_retval {
	CMD_DONE,		/* the request has been answered */
	CMD_WAIT,		/* it will be, later (machine, export) */
};

enum cmd_ptype {
	CP_BOOL,		/* true or false */
	CP_INT,			/* an integer in [min, max] */
	CP_NUMBER,		/* a number in [min, max] */
	CP_STRING,		/* a string of at most max bytes */
	CP_OBJECT,		/* an object, checked by the command */
	CP_STRINGS,		/* an array of at most max strings */
};

struct cmd_param {
	const char	*p_name;	/* its name in params */
	enum cmd_ptype	 p_type;	/* what it must be */
	double		 p_min;		/* CP_INT, CP_NUMBER */
	double		 p_max;		/* ... and the size of strings */
	bool		 p_required;	/* must be given */
};

struct cmd_entry {
	const char	*name;		/* dotted method name */
	int		 flags;		/* CMD_* */
	const struct cmd_param *params;	/* accepted; NULL-terminated */
	enum cmd_retval	(*exec)(struct request *);
};

const struct cmd_entry *cmd_find(const char *, bool testmode);
void	cmd_dispatch(struct client *, struct proto_request *);
json_object *cmd_methods(bool readonly, bool testmode);
bool	cmd_has(struct request *, const char *);
int64_t	cmd_int(struct request *, const char *, int64_t dflt);
double	cmd_number(struct request *, const char *, double dflt);
bool	cmd_bool(struct request *, const char *, bool dflt);
const char *cmd_string(struct request *, const char *, const char *dflt);
json_object *cmd_field_error(const char *field);
enum cmd_retval cmd_forward(struct request *);
void	cmd_forward_error(struct request *, enum proto_err, const char *);

/*
 * cmd-stats.c
 */
void	stats_client_gone(struct client *);
json_object *stats_snapshot_json(struct daemon *, json_object *, u_int);

/*
 * cmd-workload.c
 */
void	workload_trace(struct daemon *, json_object *);

/*
 * machine.c: the supervisor of the machine process.
 */
enum machine_state {
	MACHINE_DOWN,		/* no machine process */
	MACHINE_BOOTING,	/* forked, not ready yet */
	MACHINE_UP,		/* answering */
	MACHINE_STOPPING,	/* asked to shut down, or killed */
};

/*
 * Completion of a request to the machine: reply is the child's answer
 * (borrowed for the call), or NULL with err and msg saying why not.
 */
typedef void machine_cb(void *arg, json_object *reply, enum proto_err err,
    const char *msg);

struct machine *machine_new(struct daemon *);
void	machine_free(struct machine *);
enum proto_err machine_boot(struct machine *, const struct nbm_config *,
	    machine_cb *, void *, char *errbuf, size_t errlen);
void	machine_shutdown(struct machine *, const char *ending, machine_cb *,
	    void *);
void	machine_kill(struct machine *, const char *ending);
enum proto_err machine_request(struct machine *, const char *op,
	    json_object *args, machine_cb *, void *);
enum cmd_retval cmd_forward_cb(struct request *, machine_cb *);	/* cmd.c */
enum proto_err machine_snapshot(struct machine *, machine_cb *, void *);
const char *machine_down_message(struct machine *, char *, size_t);
void	machine_cancel(struct machine *, void *arg);
void	machine_sigchld(struct machine *);
enum machine_state machine_state(const struct machine *);
const char *machine_state_name(enum machine_state);
int64_t	machine_run(const struct machine *);
pid_t	machine_pid(const struct machine *);
const struct nbm_config *machine_config(const struct machine *);
json_object *machine_last(const struct machine *);

/*
 * child.c: the machine process.
 */
#define NBMD_CHILD_EXIT_PANIC	3	/* the machine panicked */
#define NBMD_CHILD_EXIT_BOOT	4	/* it did not boot */
#define NBMD_CHILD_EXIT_PROTO	5	/* the daemon broke the protocol */

NBMD_DEAD void child_main(int fd, const struct nbm_config *, bool testmode);

/*
 * db.c: the history database.
 */
#define DB_READONLY	0x01	/* -n: open to check, change nothing */
#define DB_MEMORY	0x02	/* in memory, path ignored (the fuzzer) */
#define DB_APPLICATION_ID 0x4e424d44	/* "NBMD", PRAGMA application_id */

/* The migrations, generated from schema/NNNN-name.sql (migrations.sh). */
struct db_migration {
	int		 dm_version;	/* user_version it leads to */
	const char	*dm_name;	/* file name */
	const char	*dm_sql;	/* its statements */
};
extern const struct db_migration db_migrations[];
extern const size_t db_nmigrations;

struct db *db_open(const char *path, int flags, char **errp);
void	db_close(struct db *);
struct sqlite3 *db_handle(struct db *);
const char *db_errmsg(struct db *);
int	db_begin(struct db *);
int	db_commit(struct db *);
void	db_rollback(struct db *);
int64_t	db_run_begin(struct db *, double t, pid_t, const struct nbm_config *);
int	db_run_end(struct db *, int64_t run, double t, const char *ended,
	    const char *message);
int	db_event(struct db *, int64_t run, double t, int64_t uptime_ns,
	    const char *source, const char *type, int cpu,
	    const char *subject, const char *message);
int	db_sample(struct db *, int64_t run, double t, uint64_t uptime_ns,
	    int64_t *idp);
int	db_fieldrow(struct db *, const struct nbmd_fieldset *,
	    int64_t sample, int64_t seq, const void *rec);
int	db_retention(struct db *, double cutoff, uint64_t maxsize, int batch,
	    bool *morep);
int	db_run_exists(struct db *, int64_t run);

/*
 * record.c: the recorder.
 */
struct recorder *recorder_new(struct daemon *);
void	recorder_free(struct recorder *);
void	recorder_start(struct recorder *);
void	recorder_configure(struct recorder *);
void	recorder_stop(struct recorder *, void (*)(void *), void *);
json_object *recorder_last(const struct recorder *, int64_t *runp);
void	recorder_event(struct recorder *, int64_t run, const char *type,
	    const char *subject, const char *fmt, ...) NBMD_PRINTFLIKE(5, 6);
uint64_t recorder_nsamples(const struct recorder *);

/*
 * metrics.c: /metrics in the OpenMetrics text format.
 */
int	metrics_listen(const char *addr, int *fdp, char **errp);
struct metrics *metrics_start(struct daemon *, int fd);
void	metrics_free(struct metrics *);
void	metrics_render(struct daemon *, struct evbuffer *);

/*
 * daemon.c: the daemon's life; nbmemd.c: main().
 */
struct daemon {
	struct event_base *d_base;	/* the one event loop */
	struct nbmd_config d_conf;	/* current configuration */
	const char	*d_conffile;	/* -f, or NULL */
	struct nbmd_config d_cmdline;	/* -s -r -D -m (only paths set) */
	struct db	*d_db;		/* the history */
	struct machine	*d_machine;	/* the machine's supervisor */
	struct recorder	*d_recorder;	/* samples into d_db */
	struct metrics	*d_metrics;	/* /metrics, or NULL */
	struct control	*d_control;	/* the control socket */
	struct control	*d_readonly;	/* the read-only one, or NULL */
	TAILQ_HEAD(, client) d_clients;	/* connected clients */
	u_int		 d_nclients;	/* ... how many */
	u_int		 d_nextclient;	/* client ids */
	uint64_t	 d_nextsub;	/* subscription ids */
	struct evbuffer	*d_trace;	/* the trace's lines so far, or NULL */
	int64_t		 d_traceid;	/* ... of this trace */
	uint64_t	 d_tracedropped; /* lines past NBMD_TRACE_MAX */
	bool		 d_testmode;	/* NBMEMD_TEST: debug.* methods */
	bool		 d_nofork;	/* the fuzzer: never start a machine,
					   nothing to stop */
	bool		 d_stopping;	/* daemon_stop() has begun */
	double		 d_started;	/* Unix time the daemon started */
	struct event	*d_stopev;	/* bounds the final flush */
	struct event	*d_reapev;	/* runs client_reap() */
};

int	daemon_configure(struct daemon *, struct nbmd_config *, char **errp);
void	daemon_stop(struct daemon *, const char *why);
void	daemon_signal(evutil_socket_t, short, void *);
void	daemon_reap(evutil_socket_t, short, void *);
void	daemon_stopflush(evutil_socket_t, short, void *);
void	daemon_autobooted(void *, json_object *, enum proto_err,
	    const char *);
void	daemon_evlog(int, const char *);
double	nbmd_now(void);
double	nbmd_mono(void);

#endif /* NBMD_NBMEMD_H */
