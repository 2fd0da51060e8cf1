/*
 * nbmemctl.h: nbmemctl's internal header, sectioned by file.
 *
 * nbmemctl knows nbmemd only through the control protocol (daemon/proto.h
 * and schema/protocol/): it compiles daemon/proto.c and daemon/xmalloc.c
 * (bgpctl's habit of building the daemon's shared files into the client)
 * and links libnbmem only for NetBSD's vmstat tables and the statistics
 * field tables, never to run a machine.
 */
#ifndef NBMCTL_H
#define NBMCTL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "parser.h"
#include "proto.h"
#include "xmalloc.h"

#define NBMCTL_VERSION	"0.1.0"

/* Exit statuses (STYLE.md): success, the daemon said no, bad usage. */
#define EXIT_OK		0
#define EXIT_DAEMON	1
#define EXIT_USAGE	2

/* ------------------------------------------------------------ client.c */

/* An error reply, or a connection that failed or went away. */
struct rpc_error {
	int		 re_code;		/* JSON-RPC code, 0 if lost */
	enum proto_err	 re_err;		/* the reason, as an enum */
	char		 re_reason[64];		/* data.reason ("" if lost) */
	char		 re_message[512];	/* error.message or strerror */
	char		 re_field[128];		/* data.field, if any */
	bool		 re_lost;		/* the connection failed */
};

struct client;
typedef void client_notify_cb(struct client *, const char *method,
	    json_object *params, void *arg);

struct client {
	int		 c_fd;		/* the socket, -1 when closed */
	char		*c_path;	/* its path */
	char		*c_buf;		/* bytes read, not a whole line yet */
	size_t		 c_len;		/* bytes in c_buf */
	size_t		 c_size;	/* size of c_buf */
	int64_t		 c_nextid;	/* id of the next request */
	json_object	*c_hello;	/* the hello result */
	int		 c_verbose;	/* >= 2: log every line to stderr */
	client_notify_cb *c_notify;	/* notifications, or NULL */
	void		*c_arg;		/* c_notify's argument */
};

const char *client_default_socket(void);
int	client_open(struct client *, const char *path, int verbose,
	    struct rpc_error *);
void	client_close(struct client *);
bool	client_has_method(struct client *, const char *);
int64_t	client_send(struct client *, const char *method, json_object *);
int	client_read(struct client *, int timeout_ms, json_object **);
json_object *client_wait(struct client *, int64_t id, struct rpc_error *);
json_object *client_call(struct client *, const char *method,
	    json_object *params, struct rpc_error *);

/* ------------------------------------------------------------ nbmemctl.c */

struct output;

/* What every command gets: the options, the parse and the connection. */
struct ctl {
	struct parse_result *x_res;	/* the command line */
	struct client	*x_cl;		/* connected unless the action says */
	const struct output *x_out;	/* human or JSON renderer */
	const char	*x_socket;	/* -s, or the default */
	bool		 x_json;	/* -j */
	bool		 x_noheader;	/* -n */
	int		 x_verbose;	/* -v count */
};

#define ARG(x, a)	(&(x)->x_res->args[(a)])
#define ARGSET(x, a)	((x)->x_res->args[(a)].pa_set)

int	ctl_connect(struct ctl *);
json_object *ctl_call(struct ctl *, const char *method, json_object *);
json_object *ctl_try(struct ctl *, const char *method, json_object *,
	    struct rpc_error *);
int	ctl_rpc_failed(struct ctl *, const char *method,
	    const struct rpc_error *);
void	ctl_need_method(struct ctl *, const char *method);
bool	ctl_interrupted(void);
void	ctl_catch_interrupt(bool);

/* ------------------------------------------------------------ util.c */

double	now_real(void);
double	now_mono(void);
const char *fmt_bytes(uint64_t, char *, size_t);
const char *fmt_count(uint64_t, char *, size_t);
const char *fmt_num(double, char *, size_t);
const char *fmt_uptime(uint64_t ns, char *, size_t);
const char *fmt_time(double, char *, size_t);
const char *fmt_duration(double, char *, size_t);
json_object *jget(json_object *, const char *path);
int64_t	jint(json_object *, const char *path, int64_t dflt);
double	jnum(json_object *, const char *path, double dflt);
const char *jstr(json_object *, const char *path, const char *dflt);
void	json_print(FILE *, json_object *);
bool	is_tty(int fd);
char	*read_file(const char *path, size_t max, size_t *lenp);

/* A table of columns, sized to its contents (util.c). */
#define TB_LEFT		0x01	/* left-justified (default: right) */

struct table_col {
	const char	*tc_name;	/* header */
	int		 tc_flags;	/* TB_* */
};

void	extent_cells(json_object *e, json_object *regions, char *buf,
	    int width);

struct table;
struct table *table_new(const struct table_col *, int ncols);
void	table_row(struct table *);
void	table_cell(struct table *, const char *fmt, ...)
	    NBMD_PRINTFLIKE(2, 3);
void	table_print(struct table *, FILE *, bool noheader, const char *indent);
void	table_free(struct table *);

/* ------------------------------------------------------------ output.c */

/*
 * The renderers (bgpctl's struct output): each gets the daemon's reply
 * and prints it; show_output prints tables for people, json_output
 * prints the reply as it came.
 */
struct output {
	void	(*o_machine)(struct ctl *, json_object *);
	void	(*o_pools)(struct ctl *, json_object *);
	void	(*o_pool)(struct ctl *, json_object *);
	void	(*o_caches)(struct ctl *, json_object *);
	void	(*o_cache)(struct ctl *, json_object *);
	void	(*o_kmem)(struct ctl *, json_object *);
	void	(*o_vmems)(struct ctl *, json_object *);
	void	(*o_vmem)(struct ctl *, json_object *);
	void	(*o_extents)(struct ctl *, json_object *);
	void	(*o_extent)(struct ctl *, json_object *);
	void	(*o_intr)(struct ctl *, json_object *);
	void	(*o_events)(struct ctl *, json_object *);
	void	(*o_runs)(struct ctl *, json_object *);
	void	(*o_workloads)(struct ctl *, json_object *);
	void	(*o_workload)(struct ctl *, json_object *);
	void	(*o_workload_info)(struct ctl *, json_object *);
	void	(*o_done)(struct ctl *, const char *what, json_object *);
};

extern const struct output show_output;
extern const struct output json_output;

/* ------------------------------------------------------------ vmstat.c */

struct pool_sysctl;
size_t	pools_from_json(json_object *, struct pool_sysctl **);

/* ------------------------------------------------------------ commands */

int	cmd_show(struct ctl *);
int	cmd_vmstat(struct ctl *);
int	cmd_machine(struct ctl *);
int	cmd_change(struct ctl *);
int	cmd_ping(struct ctl *);
int	cmd_history_runs(struct ctl *);
int	cmd_history_export(struct ctl *);
int	cmd_history_plot(struct ctl *);
int	cmd_history_diff(struct ctl *);
int	cmd_top(struct ctl *);
int	cmd_run(struct ctl *);
int	cmd_workload(struct ctl *);

#endif /* NBMCTL_H */
