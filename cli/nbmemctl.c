/*
 * nbmemctl.c: main() -- global options, the command line through the
 * grammar (parser.c), the connection to nbmemd, and the table from
 * actions to the functions that run them.
 *
 * Exit status: 0 on success, 1 when nbmemd reports an error or cannot be
 * reached, 2 on a usage error.  Every error message says what was wrong
 * and what would be right; a daemon error carries the daemon's message
 * and, from hints[], what to do about its reason.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemctl.h"
#include "tui.h"

static int cmd_help(struct ctl *);

#define AE_OFFLINE	0x01	/* connects itself, after its own checks */

static const struct {
	enum action	  ae_action;
	int		(*ae_fn)(struct ctl *);
	int		  ae_flags;
} actions[] = {
	{ ACT_HELP, cmd_help, AE_OFFLINE },
	{ ACT_SHOW_MACHINE, cmd_show, 0 },
	{ ACT_SHOW_POOLS, cmd_show, 0 },
	{ ACT_SHOW_CACHES, cmd_show, 0 },
	{ ACT_SHOW_KMEM, cmd_show, 0 },
	{ ACT_SHOW_VMEM, cmd_show, 0 },
	{ ACT_SHOW_EXTENT, cmd_show, 0 },
	{ ACT_SHOW_INTR, cmd_show, 0 },
	{ ACT_SHOW_EVENTS, cmd_show, 0 },
	{ ACT_VMSTAT, cmd_vmstat, AE_OFFLINE },
	{ ACT_RUN, cmd_run, 0 },
	{ ACT_WORKLOAD_LIST, cmd_workload, 0 },
	{ ACT_WORKLOAD_SHOW, cmd_workload, 0 },
	{ ACT_WORKLOAD_STATUS, cmd_workload, 0 },
	{ ACT_WORKLOAD_STOP, cmd_workload, 0 },
	{ ACT_TRACE_RECORD, cmd_workload, 0 },
	{ ACT_TRACE_STOP, cmd_workload, 0 },
	{ ACT_TRACE_REPLAY, cmd_run, 0 },
	{ ACT_MACHINE_INFO, cmd_show, 0 },
	{ ACT_MACHINE_BOOT, cmd_machine, 0 },
	{ ACT_MACHINE_REBOOT, cmd_machine, 0 },
	{ ACT_MACHINE_SHUTDOWN, cmd_machine, 0 },
	{ ACT_POOL_CREATE, cmd_change, 0 },
	{ ACT_POOL_DESTROY, cmd_change, 0 },
	{ ACT_POOL_SETLOWAT, cmd_change, 0 },
	{ ACT_POOL_SETHIWAT, cmd_change, 0 },
	{ ACT_POOL_SETHARDLIMIT, cmd_change, 0 },
	{ ACT_POOL_PRIME, cmd_change, 0 },
	{ ACT_POOL_RECLAIM, cmd_change, 0 },
	{ ACT_INTR_LIST, cmd_show, 0 },
	{ ACT_INTR_ADD, cmd_change, 0 },
	{ ACT_INTR_SET, cmd_change, 0 },
	{ ACT_INTR_REMOVE, cmd_change, 0 },
	{ ACT_HISTORY_RUNS, cmd_history_runs, 0 },
	{ ACT_HISTORY_EXPORT, cmd_history_export, AE_OFFLINE },
	{ ACT_HISTORY_PLOT, cmd_history_plot, AE_OFFLINE },
	{ ACT_HISTORY_DIFF, cmd_history_diff, 0 },
	{ ACT_TOP, cmd_top, AE_OFFLINE },
	{ ACT_PING, cmd_ping, 0 },
};

/*
 * What to do about an error reason: the method ("" for any), the reason,
 * and the hint printed after the daemon's message.
 */
static const struct {
	const char	*h_method;
	const char	*h_reason;
	const char	*h_hint;
} hints[] = {
	{ "machine.boot", "busy",
	    "a machine is running: `nbmemctl machine reboot' replaces it" },
	{ "", "machine-down",
	    "no machine is running: boot one with `nbmemctl machine boot'" },
	{ "", "denied",
	    "this socket is read-only: give nbmemd's control socket with -s" },
	{ "", "no-such-run",
	    "`nbmemctl history runs' lists the runs" },
	{ "", "boot-failed",
	    "`nbmemctl show events' has the daemon's account of the boot" },
	{ "", "shutting-down", "nbmemd is stopping; start it again" },
	{ "", "history-unavailable",
	    "nbmemd's history database failed; its log says why" },
	{ "", "no-such-pool", "`nbmemctl show pools' lists the pools" },
	{ "", "no-cache", "`nbmemctl show caches' lists the pool caches" },
	{ "", "no-such-arena", "`nbmemctl show vmem' lists the arenas" },
	{ "", "no-such-extent", "`nbmemctl show extent' lists the extents" },
	{ "", "no-such-source",
	    "`nbmemctl intr list' lists the interrupt sources" },
	{ "pool.create", "exists",
	    "`nbmemctl show pools' lists the names taken" },
	{ "intr.add", "exists",
	    "`nbmemctl intr list' lists the names taken" },
	{ "pool.destroy", "pool-busy",
	    "free its items first (stop the workload that holds them)" },
	{ "", "not-owned",
	    "only what `nbmemctl pool create' or `intr add' made may be "
	    "changed so" },
};

static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{

	(void)sig;
	interrupted = 1;
}

/* ctl_interrupted: whether SIGINT came since ctl_catch_interrupt(true). */
bool
ctl_interrupted(void)
{

	return interrupted != 0;
}

/*
 * ctl_catch_interrupt: with on, SIGINT sets a flag (and interrupts
 * system calls) instead of ending the process, so that a long command
 * can stop cleanly; with off, SIGINT ends the process again.
 */
void
ctl_catch_interrupt(bool on)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on ? on_interrupt : SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	interrupted = 0;
}

/* Functions xmalloc.c calls when host memory runs out. */
void
fatal(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	fprintf(stderr, "nbmemctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(e));
	exit(EXIT_DAEMON);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "nbmemctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_DAEMON);
}

static NBMD_DEAD void
usage(void)
{

	fprintf(stderr, "usage: nbmemctl [-jnv] [-s socket] command "
	    "[argument ...]\n"
	    "       nbmemctl help    (every command)\n");
	exit(EXIT_USAGE);
}

static int
cmd_help(struct ctl *x)
{

	parse_help(stdout);
	return EXIT_OK;
}

/*
 * ctl_rpc_failed: say why a request failed, with what to do about it.
 * => EXIT_DAEMON, for the caller to return.
 */
int
ctl_rpc_failed(struct ctl *x, const char *method, const struct rpc_error *re)
{
	const char *sock = x->x_socket;
	size_t i;

	if (re->re_lost && x->x_cl != NULL && x->x_cl->c_hello == NULL) {
		/* Never connected. */
		fprintf(stderr, "nbmemctl: cannot reach nbmemd at %s: %s\n",
		    sock, re->re_message);
		if (re->re_code == ENOENT || re->re_code == ECONNREFUSED)
			fprintf(stderr, "nbmemctl: nbmemd is not running "
			    "there; start it with `nbmemd%s%s' (add -d to "
			    "keep it in the foreground), or give the socket "
			    "of a running one with -s\n",
			    strcmp(sock, client_default_socket()) == 0 ? "" :
			    " -s ", strcmp(sock, client_default_socket()) ==
			    0 ? "" : sock);
		else if (re->re_code == EACCES)
			fprintf(stderr, "nbmemctl: the socket belongs to "
			    "another user; nbmemd answers only its own user "
			    "and root\n");
		return EXIT_DAEMON;
	}
	if (re->re_lost) {
		fprintf(stderr, "nbmemctl: %s: %s\n", method, re->re_message);
		return EXIT_DAEMON;
	}
	fprintf(stderr, "nbmemctl: %s: %s\n", method, re->re_message);
	if (strcmp(re->re_reason, "unknown-method") == 0) {
		fprintf(stderr, "nbmemctl: this nbmemd has no %s method; it "
		    "is older than this nbmemctl: use an nbmemd from the "
		    "same build\n", method);
		return EXIT_DAEMON;
	}
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++) {
		if ((hints[i].h_method[0] == '\0' ||
		    strcmp(hints[i].h_method, method) == 0) &&
		    strcmp(hints[i].h_reason, re->re_reason) == 0) {
			fprintf(stderr, "nbmemctl: %s\n", hints[i].h_hint);
			break;
		}
	}
	return EXIT_DAEMON;
}

/*
 * ctl_connect: connect to nbmemd, unless connected already.
 * => 0, or EXIT_DAEMON with the reason printed.
 */
int
ctl_connect(struct ctl *x)
{
	static struct client cl;
	struct rpc_error re;

	if (x->x_cl != NULL && x->x_cl->c_fd != -1)
		return 0;
	x->x_cl = &cl;
	if (client_open(&cl, x->x_socket, x->x_verbose, &re) != 0)
		return ctl_rpc_failed(x, "hello", &re);
	return 0;
}

/*
 * ctl_need_method: end with a clear message when the daemon does not
 * have a method a command needs (an older nbmemd).
 */
void
ctl_need_method(struct ctl *x, const char *method)
{
	json_object *v;

	if (client_has_method(x->x_cl, method))
		return;
	v = jget(x->x_cl->c_hello, "daemon");
	fprintf(stderr, "nbmemctl: %s needs nbmemd's %s method, which this "
	    "nbmemd (%s, protocol %d.%d) does not have; use an nbmemd from "
	    "the same build as this nbmemctl\n",
	    parse_action_name(x->x_res->action), method,
	    v != NULL ? json_object_get_string(v) : "nbmemd",
	    (int)jint(x->x_cl->c_hello, "protocol", 0),
	    (int)jint(x->x_cl->c_hello, "protocol_minor", 0));
	exit(EXIT_DAEMON);
}

/* ctl_try: a call whose error the caller handles. */
json_object *
ctl_try(struct ctl *x, const char *method, json_object *params,
    struct rpc_error *re)
{

	return client_call(x->x_cl, method, params, re);
}

/* ctl_call: a call that must succeed; on an error, exit 1 with why. */
json_object *
ctl_call(struct ctl *x, const char *method, json_object *params)
{
	struct rpc_error re;
	json_object *r;

	if ((r = client_call(x->x_cl, method, params, &re)) == NULL) {
		if (re.re_lost && ctl_interrupted()) {
			/* ^C while waiting: end as the signal would have. */
			ctl_catch_interrupt(false);
			raise(SIGINT);
		}
		exit(ctl_rpc_failed(x, method, &re));
	}
	return r;
}

/*
 * The names a completion may offer, by placeholder: the method that
 * lists them, its array, and the member that names each.
 */
static const struct {
	const char	*cn_meta;
	const char	*cn_method;
	const char	*cn_array;
	const char	*cn_key;
} complete_names[] = {
	{ "POOL", "pool.list", "pools", "wchan" },
	{ "ARENA", "vmem.list", "arenas", "name" },
	{ "EXTENT", "extent.list", "extents", "name" },
	{ "SOURCE", "intr.list", "sources", "name" },
	{ "WORKLOAD", "workload.list", "workloads", "name" },
};

/*
 * complete_params: after `run WORKLOAD --param', the built-in's keys as
 * "key=" (workload.list), so that the value follows without a blank.
 */
static void
complete_params(const char *sock, int argc, char **argv)
{
	struct client cl;
	struct rpc_error re;
	json_object *r, *w, *a;
	size_t k, n;

	if (argc < 2 || argv[0][0] == '\0' ||
	    strncmp(argv[0], "run", strlen(argv[0])) != 0 ||
	    client_open(&cl, sock, 0, &re) != 0)
		return;
	if ((r = client_call(&cl, "workload.list", NULL, &re)) != NULL) {
		w = tui_find(jget(r, "workloads"), "name", argv[1]);
		a = w != NULL ? jget(w, "parameters") : NULL;
		n = a != NULL ? json_object_array_length(a) : 0;
		for (k = 0; k < n; k++)
			printf("%s=\n", jstr(json_object_array_get_idx(a, k),
			    "key", ""));
		json_object_put(r);
	}
	client_close(&cl);
}

/*
 * complete: nbmemctl __complete [-s socket] WORD... -- the words that may
 * come next (contrib/completion/nbmemctl.bash): keywords from the token
 * tables, names from the daemon when it answers, "__FILE__" where a file
 * name goes.  Prints nothing on any error.
 */
static int
complete(const char *sock, int argc, char **argv)
{
	struct client cl;
	struct rpc_error re;
	const char *what;
	json_object *r, *a;
	size_t i, k, n;
	int c;

	for (c = 0; c < argc && argv[c][0] == '-' && argv[c][1] != '\0' &&
	    strspn(argv[c] + 1, "jnvs") == strlen(argv[c] + 1); c++) {
		if (strchr(argv[c], 's') != NULL && c + 1 < argc)
			sock = argv[++c];
	}
	if ((what = parse_complete(argc - c, argv + c, stdout)) == NULL)
		return EXIT_OK;
	if (strcmp(what, "FILE") == 0 || strcmp(what, "WORKLOAD") == 0)
		printf("__FILE__\n");
	if (strcmp(what, "KEY=VALUE") == 0)
		complete_params(sock, argc - c, argv + c);
	for (i = 0; i < sizeof(complete_names) / sizeof(complete_names[0]);
	    i++) {
		if (strcmp(complete_names[i].cn_meta, what) != 0 ||
		    client_open(&cl, sock, 0, &re) != 0)
			continue;
		if ((r = client_call(&cl, complete_names[i].cn_method, NULL,
		    &re)) != NULL) {
			a = jget(r, complete_names[i].cn_array);
			n = a != NULL ? json_object_array_length(a) : 0;
			for (k = 0; k < n; k++)
				printf("%s\n", jstr(json_object_array_get_idx(
				    a, k), complete_names[i].cn_key, ""));
			json_object_put(r);
		}
		client_close(&cl);
	}
	return EXIT_OK;
}

int
main(int argc, char **argv)
{
	static struct parse_result res;
	struct ctl ctl, *x = &ctl;
	size_t i;
	int ch, rv;

	if (argc > 1 && strcmp(argv[1], "__complete") == 0)
		return complete(client_default_socket(), argc - 2, argv + 2);
	memset(x, 0, sizeof(*x));
	x->x_socket = client_default_socket();
	/* Stop at the command: its words may look like options. */
#ifdef __GLIBC__
#define NBMCTL_OPTS	"+hjns:v"
#else
#define NBMCTL_OPTS	"hjns:v"
#endif
	while ((ch = getopt(argc, argv, NBMCTL_OPTS)) != -1) {
		switch (ch) {
		case 'j':
			x->x_json = true;
			break;
		case 'n':
			x->x_noheader = true;
			break;
		case 's':
			if (*optarg == '\0') {
				fprintf(stderr, "nbmemctl: -s: empty path; give "
				    "nbmemd's control socket\n");
				exit(EXIT_USAGE);
			}
			x->x_socket = optarg;
			break;
		case 'v':
			x->x_verbose++;
			break;
		case 'h':
			parse_help(stdout);
			exit(EXIT_OK);
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 0 && strcmp(argv[0], "__complete") == 0)
		return complete(x->x_socket, argc - 1, argv + 1);
	if (argc == 0) {
		parse_help(stderr);
		exit(EXIT_USAGE);
	}
	if (parse(argc, argv, &res) != 0)
		exit(EXIT_USAGE);
	x->x_res = &res;
	x->x_out = x->x_json ? &json_output : &show_output;

	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].ae_action == res.action)
			break;
	if (i == sizeof(actions) / sizeof(actions[0]))
		exit(EXIT_USAGE);	/* every action has an entry */
	if (!(actions[i].ae_flags & AE_OFFLINE) &&
	    (rv = ctl_connect(x)) != 0)
		exit(rv);
	rv = actions[i].ae_fn(x);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "nbmemctl: writing the output: %s\n",
		    strerror(errno));
		rv = EXIT_DAEMON;
	}
	if (x->x_cl != NULL)
		client_close(x->x_cl);
	return rv;
}
