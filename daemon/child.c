/*
 * child.c: the machine process -- a child of nbmemd that boots the
 * simulated machine with libnbmem and answers the daemon over a
 * socketpair.
 *
 * The protocol (machine.c states it in full) is newline-delimited JSON.
 * The daemon sends {"id": N, "op": NAME, "args": {...}}; this process
 * answers each request in order with {"id": N, "result": {...}} or
 * {"id": N, "error": "text"}, and sends on its own:
 *
 *	{"ready": {"pid": P}}		after a successful boot
 *	{"bootfail": "text"}		instead, then exits 4
 *	{"print": "text"}		what the machine printed
 *	{"panic": "text", "op": NAME}	the machine panicked; exits 3
 *
 * The process is single-threaded: it boots the machine, enters cpu0 for
 * good, and serves one request at a time with the operation inside
 * nbm_machine_try(), so that a simulated panic (a violated invariant, a
 * simulated page fault caught by libnbmem's fault handler) unwinds to the
 * loop.  The panic hook reports the message at once, with write(2) and no
 * allocation, because it may run inside a signal handler; the loop then
 * exits.  The daemon never trusts this process to stay sane: it bounds
 * every line, checks every message and kills a process that stops
 * answering.
 */
#ifdef __linux__
#include <sys/prctl.h>
#endif
#include <sys/resource.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nbmemd.h"

#define CHILD_REQ_MAX	(64 * 1024)	/* a request line from the daemon */
#define CHILD_EVENTS	64		/* events copied at a time */

struct child {
	int		 c_fd;		/* socketpair end */
	struct nbm_machine *c_m;	/* the machine */
	bool		 c_testmode;	/* debug ops allowed */
	const char	*c_op;		/* op running, for the panic report */
	json_object	*c_args;	/* its arguments */
	json_object	*c_result;	/* its result, or NULL */
	char		*c_error;	/* or its error */
};

struct child_op {
	const char	*op_name;
	bool		 op_debug;	/* only in test mode */
	void		(*op_fn)(struct child *);
};

/* Set before boot; read by the panic hook, which may not allocate. */
static int child_fd = -1;
static const char *volatile child_curop = "boot";

static void
child_write(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(0);	/* the daemon is gone */
		buf += n;
		len -= (size_t)n;
	}
}

static void
child_send(struct child *c, json_object *msg)
{
	const char *s;
	size_t len;

	s = proto_string(msg, &len);
	child_write(c->c_fd, s, len);
	child_write(c->c_fd, "\n", 1);
	json_object_put(msg);
}

/*
 * child_escape: JSON string body of s into buf, without allocating:
 * quotes, backslashes and control bytes escaped, bytes above 0x7e
 * replaced by '?'.
 */
static size_t
child_escape(char *buf, size_t len, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	unsigned char ch;

	for (; (ch = (unsigned char)*s) != '\0' && o + 7 < len; s++) {
		if (ch == '"' || ch == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)ch;
		} else if (ch < 0x20) {
			memcpy(buf + o, "\\u00", 4);
			buf[o + 4] = hex[ch >> 4];
			buf[o + 5] = hex[ch & 15];
			o += 6;
		} else
			buf[o++] = ch > 0x7e ? '?' : (char)ch;
	}
	return o;
}

/*
 * child_panic_hook: the machine panicked.  Report it now, with write(2)
 * only (this may be a signal handler), and return: nbm_machine_try()
 * brings the loop back, which exits.
 */
static void
child_panic_hook(struct nbm_machine *m, const char *msg, void *arg)
{
	static char buf[4096];
	size_t o = 0;

	memcpy(buf + o, "{\"panic\":\"", 10);
	o += 10;
	o += child_escape(buf + o, sizeof(buf) - o - 64, msg);
	memcpy(buf + o, "\",\"op\":\"", 8);
	o += 8;
	o += child_escape(buf + o, sizeof(buf) - o - 8, child_curop);
	memcpy(buf + o, "\"}\n", 3);
	o += 3;
	child_write(child_fd, buf, o);
}

static void
child_print_hook(struct nbm_machine *m, const char *text, void *arg)
{
	struct child *c = arg;
	json_object *o = json_object_new_object();

	json_object_object_add(o, "print", json_object_new_string(text));
	child_send(c, o);
}

static void
child_fail(struct child *c, const char *fmt, ...) NBMD_PRINTFLIKE(2, 3);

static void
child_fail(struct child *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xvasprintf(&c->c_error, fmt, ap);
	va_end(ap);
}

static json_object *
child_uvmexp(struct child *c)
{
	const struct nbmd_fieldset *fs = &nbmd_uvmexp_fieldset;
	struct nbm_uvmexp ux;
	json_object *o = json_object_new_object();
	size_t i;

	nbm_machine_uvmexp(c->c_m, &ux);
	for (i = 0; i < fs->fs_nfields; i++)
		json_object_object_add(o, fs->fs_fields[i].f_name,
		    json_object_new_uint64(nbmd_field_get(&fs->fs_fields[i],
		    &ux)));
	return o;
}

/*
 * op "info": the configuration the machine booted with (its memory map
 * expanded), its uptime and this process's pid.
 */
static void
child_op_info(struct child *c)
{
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "uptime_ns",
	    json_object_new_uint64(nbm_machine_uptime_ns(c->c_m)));
	json_object_object_add(o, "config",
	    config_machine_json(nbm_machine_config(c->c_m), true));
	c->c_result = o;
}

/*
 * op "snapshot": the machine's statistics now.  Today the machine counters
 * (uvmexp); the pool, cache, vmem and extent lists join as they land, each
 * under its own key.
 */
static void
child_op_snapshot(struct child *c)
{
	json_object *o;

	o = json_object_new_object();
	json_object_object_add(o, "uptime_ns",
	    json_object_new_uint64(nbm_machine_uptime_ns(c->c_m)));
	json_object_object_add(o, nbmd_uvmexp_fieldset.fs_name,
	    child_uvmexp(c));
	c->c_result = o;
}

static const char *
child_evtype(int type)
{
	static const char *const names[] = {
		[NBM_EV_PANIC] = "panic",
		[NBM_EV_HARDLIMIT] = "hardlimit",
		[NBM_EV_WARNING] = "warning",
		[NBM_EV_PAGEDAEMON] = "pagedaemon",
		[NBM_EV_INTR] = "intr",
		[NBM_EV_WORKLOAD] = "workload",
	};

	if (type > 0 && (size_t)type < sizeof(names) / sizeof(names[0]))
		return names[type];
	return "event";
}

/*
 * op "sample": a snapshot plus the machine's events after args.since, in
 * order; "lost" counts events the ring overwrote before they were read.
 */
static void
child_op_sample(struct child *c)
{
	struct nbm_event evs[CHILD_EVENTS];
	json_object *a, *e, *v;
	uint64_t since = 0, lost = 0;
	size_t i, n, total = 0;

	if (json_object_object_get_ex(c->c_args, "since", &v))
		since = json_object_get_uint64(v);
	child_op_snapshot(c);
	a = json_object_new_array();
	do {
		n = nbm_machine_events(c->c_m, since, evs, CHILD_EVENTS);
		for (i = 0; i < n; i++) {
			if (total == 0 && evs[i].ev_seq > since + 1)
				lost = evs[i].ev_seq - since - 1;
			e = json_object_new_object();
			json_object_object_add(e, "seq",
			    json_object_new_uint64(evs[i].ev_seq));
			json_object_object_add(e, "uptime_ns",
			    json_object_new_uint64(evs[i].ev_time_ns));
			json_object_object_add(e, "type",
			    json_object_new_string(child_evtype(
			    evs[i].ev_type)));
			json_object_object_add(e, "cpu",
			    json_object_new_int((int)evs[i].ev_cpu));
			json_object_object_add(e, "subject",
			    json_object_new_string(evs[i].ev_subject));
			json_object_object_add(e, "text",
			    json_object_new_string(evs[i].ev_text));
			json_object_array_add(a, e);
			since = evs[i].ev_seq;
			total++;
		}
	} while (n == CHILD_EVENTS && total < NBM_EVENTS_MAX);
	json_object_object_add(c->c_result, "events", a);
	json_object_object_add(c->c_result, "evseq",
	    json_object_new_uint64(since));
	json_object_object_add(c->c_result, "lost",
	    json_object_new_uint64(lost));
}

/* op "panic" (debug.panic): panic the machine with args.message. */
static void
child_op_panic(struct child *c)
{
	json_object *v;
	const char *msg = "debug.panic requested";

	if (json_object_object_get_ex(c->c_args, "message", &v) &&
	    json_object_is_type(v, json_type_string))
		msg = json_object_get_string(v);
	panic("%s", msg);
}

/* op "crash" (debug.crash): die of SIGSEGV, as a host-level bug would. */
static void
child_op_crash(struct child *c)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
	_exit(NBMD_CHILD_EXIT_PROTO);
}

/* op "hang" (debug.hang): stop answering, as a deadlocked machine would. */
static void
child_op_hang(struct child *c)
{

	for (;;)
		pause();
}

static const struct child_op child_ops[] = {
	{ "info", false, child_op_info },
	{ "snapshot", false, child_op_snapshot },
	{ "sample", false, child_op_sample },
	{ "panic", true, child_op_panic },
	{ "crash", true, child_op_crash },
	{ "hang", true, child_op_hang },
};

static void
child_trampoline(void *arg)
{
	struct child *c = arg;
	size_t i;

	for (i = 0; i < sizeof(child_ops) / sizeof(child_ops[0]); i++) {
		if (strcmp(child_ops[i].op_name, c->c_op) != 0 ||
		    (child_ops[i].op_debug && !c->c_testmode))
			continue;
		child_ops[i].op_fn(c);
		return;
	}
	child_fail(c, "unknown op \"%.64s\"", c->c_op);
}

static NBMD_DEAD void
child_shutdown(struct child *c, json_object *id)
{
	json_object *o;

	nbm_cpu_exit();
	nbm_machine_shutdown(c->c_m);
	if (id != NULL) {
		o = json_object_new_object();
		json_object_object_add(o, "id", json_object_get(id));
		json_object_object_add(o, "result", json_object_new_object());
		child_send(c, o);
	}
	_exit(0);
}

/* Serve one request line. */
static void
child_request(struct child *c, const char *line)
{
	json_object *req, *id, *op, *o;

	req = json_tokener_parse(line);
	if (req == NULL || !json_object_object_get_ex(req, "id", &id) ||
	    !json_object_object_get_ex(req, "op", &op) ||
	    !json_object_is_type(op, json_type_string))
		_exit(NBMD_CHILD_EXIT_PROTO);
	if (!json_object_object_get_ex(req, "args", &c->c_args))
		c->c_args = NULL;
	c->c_op = json_object_get_string(op);
	if (strcmp(c->c_op, "shutdown") == 0)
		child_shutdown(c, id);
	child_curop = c->c_op;
	c->c_result = NULL;
	c->c_error = NULL;
	if (nbm_machine_try(c->c_m, child_trampoline, c) != 0)
		_exit(NBMD_CHILD_EXIT_PANIC);	/* the hook has reported it */
	child_curop = "idle";
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_get(id));
	if (c->c_error != NULL) {
		json_object_object_add(o, "error",
		    json_object_new_string(c->c_error));
		free(c->c_error);
	} else
		json_object_object_add(o, "result", c->c_result != NULL ?
		    c->c_result : json_object_new_object());
	child_send(c, o);
	json_object_put(req);
}

/* Close every descriptor but stdio and the socketpair. */
static void
child_closefrom(int keep)
{
	struct rlimit rl;
	int fd, max = 1024;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		max = (int)(rl.rlim_cur < 65536 ? rl.rlim_cur : 65536);
	for (fd = 3; fd < max; fd++)
		if (fd != keep)
			(void)close(fd);
}

/*
 * child_main: the machine process's life: boot cfg, report, serve requests
 * on fd until told to shut down or the daemon goes away.
 */
void
child_main(int fd, const struct nbm_config *cfg, bool testmode)
{
	static char buf[CHILD_REQ_MAX + 1];
	struct child c;
	json_object *o, *r;
	size_t have = 0;
	char *nl;
	ssize_t n;

	/*
	 * Signals sent to the whole process group (^C, a service manager's
	 * SIGTERM) are for the daemon, which stops this process in order;
	 * SIGKILL remains, and the death of the daemon sends it (Linux) or
	 * closes the socketpair.
	 */
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
	child_closefrom(fd);
	log_procname("nbmemd[machine]");

	memset(&c, 0, sizeof(c));
	c.c_fd = child_fd = fd;
	c.c_testmode = testmode;
	if (nbm_machine_boot(cfg, &c.c_m) != 0) {
		o = json_object_new_object();
		json_object_object_add(o, "bootfail",
		    json_object_new_string(nbm_boot_error()));
		child_send(&c, o);
		_exit(NBMD_CHILD_EXIT_BOOT);
	}
	nbm_machine_set_panic_hook(c.c_m, child_panic_hook, &c);
	nbm_machine_set_print_hook(c.c_m, child_print_hook, &c);
	if (nbm_cpu_enter(c.c_m, 0) != 0)
		_exit(NBMD_CHILD_EXIT_BOOT);
	child_curop = "idle";
	o = json_object_new_object();
	r = json_object_new_object();
	json_object_object_add(r, "pid", json_object_new_int(getpid()));
	json_object_object_add(o, "ready", r);
	child_send(&c, o);

	for (;;) {
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			*nl = '\0';
			child_request(&c, buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		if (have == CHILD_REQ_MAX)
			_exit(NBMD_CHILD_EXIT_PROTO);
		n = read(fd, buf + have, CHILD_REQ_MAX - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			child_shutdown(&c, NULL);	/* the daemon is gone */
		have += (size_t)n;
	}
}
