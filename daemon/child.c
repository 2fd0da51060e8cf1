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
 * An error answer carries the reason of proto.h as well:
 * {"id": N, "error": "text", "reason": "no-such-pool"}.  An answer with
 * statistics records has them after its line, as they are in memory:
 * {"id": N, "result": {...}, "blob": [[member, section, count], ...],
 * "bloblen": BYTES}\n and BYTES bytes (fields.h).  The operations
 * are those of this file (info, snapshot, sample, the debug ones) and the
 * tables of child-pool.c, child-space.c and child-intr.c, named after the
 * methods they serve (child.h).
 *
 * The process is single-threaded: it boots the machine, enters cpu0, and
 * serves one request at a time with the operation inside
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
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"

#define CHILD_REQ_MAX	(NBMD_LINE_MAX + 64 * 1024) /* a line from the daemon:
					   a client's params and more */
#define CHILD_EVENTS	64		/* events copied at a time */
#define CHILD_CAPTURE_MAX (256 * 1024)	/* printed text kept for an answer */

/* Set before boot; read by the panic hook, which may not allocate. */
static int child_fd = -1;
static const char *volatile child_curop = "boot";
const char *volatile child_idleop = "idle";	/* between requests */

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

/*
 * child_trylock: take the writers' lock for a hook, which may run in a
 * signal handler and must not block: try for a while, and write without
 * it rather than not at all (a machine thread that holds it is writing a
 * trace line and lets go soon).
 */
bool
child_trylock(struct child *c)
{
	int i;

	for (i = 0; i < 100000; i++) {
		if (pthread_mutex_trylock(&c->c_wlock) == 0)
			return true;
		sched_yield();
	}
	return false;
}

/* child_emit: a message and, if blob is not NULL, its blob after it. */
static void
child_emit(struct child *c, json_object *msg, const char *blob, size_t len)
{
	const char *s;
	size_t slen;

	s = proto_string(msg, &slen);
	pthread_mutex_lock(&c->c_wlock);
	child_write(c->c_fd, s, slen);
	child_write(c->c_fd, "\n", 1);
	if (blob != NULL)
		child_write(c->c_fd, blob, len);
	pthread_mutex_unlock(&c->c_wlock);
	json_object_put(msg);
}

void
child_send(struct child *c, json_object *msg)
{

	child_emit(c, msg, NULL, 0);
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
	struct child *c = arg;
	size_t o = 0;
	bool locked;

	memcpy(buf + o, "{\"panic\":\"", 10);
	o += 10;
	o += child_escape(buf + o, sizeof(buf) - o - 64, msg);
	memcpy(buf + o, "\",\"op\":\"", 8);
	o += 8;
	o += child_escape(buf + o, sizeof(buf) - o - 8, child_curop);
	memcpy(buf + o, "\"}\n", 3);
	o += 3;
	locked = child_trylock(c);
	child_write(child_fd, buf, o);
	if (locked)
		pthread_mutex_unlock(&c->c_wlock);
}

/*
 * child_print_hook: what the machine prints goes to the daemon's log, or,
 * while an operation of this thread captures it (extent.show), into its
 * answer.  Machine threads print too, maybe in a signal handler, so the
 * line is made without allocating (child.h).
 */
static void
child_print_hook(struct nbm_machine *m, const char *text, void *arg)
{
	struct child *c = arg;
	char buf[2048];
	size_t len, o;
	bool locked;

	if (c->c_capture != NULL && pthread_equal(pthread_self(), c->c_main)) {
		len = strlen(text);
		if (c->c_capturelen + len > CHILD_CAPTURE_MAX)
			return;
		c->c_capture = xreallocarray(c->c_capture, 1,
		    c->c_capturelen + len + 1);
		memcpy(c->c_capture + c->c_capturelen, text, len + 1);
		c->c_capturelen += len;
		return;
	}
	memcpy(buf, "{\"print\":\"", 10);
	o = 10 + child_escape(buf + 10, sizeof(buf) - 16, text);
	memcpy(buf + o, "\"}\n", 3);
	o += 3;
	locked = child_trylock(c);
	child_write(c->c_fd, buf, o);
	if (locked)
		pthread_mutex_unlock(&c->c_wlock);
}

void
child_capture_begin(struct child *c)
{

	free(c->c_capture);
	c->c_capture = xstrdup("");
	c->c_capturelen = 0;
}

/* child_capture_end: the text printed since child_capture_begin(). */
char *
child_capture_end(struct child *c)
{
	char *s = c->c_capture;

	c->c_capture = NULL;
	c->c_capturelen = 0;
	return s;
}

/*
 * child_fail: the operation fails with reason e and a message; a message
 * of a bad-params error starts with the parameter at fault
 * ("params.align: ..."), which the daemon reports as its field.
 */
void
child_fail(struct child *c, enum proto_err e, const char *fmt, ...)
{
	va_list ap;

	free(c->c_error);
	va_start(ap, fmt);
	xvasprintf(&c->c_error, fmt, ap);
	va_end(ap);
	c->c_reason = e;
}

/* Interrupt priority levels by name (spl(9), x86 intrdefs.h). */
static const char *const child_ipls[NIPL] = {
	[IPL_NONE] = "none",
	[IPL_PREEMPT] = "preempt",
	[IPL_SOFTCLOCK] = "softclock",
	[IPL_SOFTBIO] = "softbio",
	[IPL_SOFTNET] = "softnet",
	[IPL_SOFTSERIAL] = "softserial",
	[IPL_VM] = "vm",
	[IPL_SCHED] = "sched",
	[IPL_HIGH] = "high",
};

const char *
child_ipl_name(int ipl)
{

	return ipl >= 0 && ipl < NIPL ? child_ipls[ipl] : "?";
}

/*
 * child_ipl_parse: an IPL name; on failure, a bad-params error naming
 * field.  => 0 or -1.
 */
int
child_ipl_parse(struct child *c, const char *field, const char *name,
    int *iplp)
{
	int i;

	for (i = 0; i < NIPL; i++) {
		if (strcmp(child_ipls[i], name) == 0) {
			*iplp = i;
			return 0;
		}
	}
	child_fail(c, PROTO_E_BAD_PARAMS, "%s: unknown level \"%.32s\"; "
	    "accepted: none, softclock, softbio, softnet, softserial, vm, "
	    "sched, high", field, name);
	return -1;
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

/* op "snapshot": the machine's statistics now (child-stats.c). */
static void
child_op_snapshot(struct child *c)
{

	c->c_result = child_snapshot(c);
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
	json_object *a, *e;
	uint64_t since, lost = 0;
	size_t i, n, total = 0;

	since = (uint64_t)proto_get_int(c->c_args, "since", 0);
	child_op_snapshot(c);
	if (c->c_result == NULL)
		return;
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

	panic("%s", proto_get_string(c->c_args, "message", "debug.panic requested"));
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

static const struct child_op child_core_ops[] = {
	{ "info", 0, child_op_info },
	{ "snapshot", 0, child_op_snapshot },
	{ "sample", 0, child_op_sample },
	{ "panic", CHILD_OP_DEBUG, child_op_panic },
	{ "crash", CHILD_OP_DEBUG, child_op_crash },
	{ "hang", CHILD_OP_DEBUG, child_op_hang },
	{ NULL, 0, NULL }
};

static const struct child_op *const child_optables[] = {
	child_core_ops,
	child_pool_ops,
	child_space_ops,
	child_intr_ops,
	child_workload_ops,
};

static const struct child_op *
child_findop(struct child *c, const char *name)
{
	const struct child_op *op;
	size_t i;

	for (i = 0; i < sizeof(child_optables) / sizeof(child_optables[0]);
	    i++)
		for (op = child_optables[i]; op->op_name != NULL; op++)
			if (strcmp(op->op_name, name) == 0 &&
			    (!(op->op_flags & CHILD_OP_DEBUG) || c->c_testmode))
				return op;
	return NULL;
}

static void
child_runop(void *arg)
{
	struct child *c = arg;

	c->c_opent->op_fn(c);
}

/*
 * child_trampoline: run the operation on CPU 0, or as an observer while
 * the thread is off the CPUs (child.h).
 */
static void
child_trampoline(void *arg)
{
	struct child *c = arg;
	int error;

	if ((c->c_opent = child_findop(c, c->c_op)) == NULL) {
		child_fail(c, PROTO_E_INTERNAL, "unknown op \"%.64s\"",
		    c->c_op);
		return;
	}
	if (c->c_oncpu && (c->c_opent->op_flags & CHILD_OP_FLUSH)) {
		/*
		 * pool_cache_invalidate leaves an occupied CPU's groups to
		 * its thread: free the other CPUs, so that it flushes them
		 * all now, as a cross-call to idle CPUs would.
		 */
		child_idle_stop(c);
		child_runop(c);
		child_idle_start(c);
		return;
	}
	if (c->c_oncpu || (c->c_opent->op_flags & CHILD_OP_HOST)) {
		child_runop(c);
		return;
	}
	if (c->c_opent->op_flags & CHILD_OP_CPU) {
		child_fail(c, PROTO_E_BUSY, "%s needs a CPU of the machine, "
		    "and a workload runs on them; wait for it to end, or stop "
		    "it", c->c_op);
		return;
	}
	if ((error = nbm_machine_observe(c->c_m, child_runop, c)) != 0 &&
	    error != ENOTRECOVERABLE)
		child_fail(c, PROTO_E_INTERNAL, "cannot observe the machine: "
		    "%s", strerror(error));
}

static NBMD_DEAD void
child_shutdown(struct child *c, json_object *id)
{
	json_object *o;

	child_wl_shutdown(c);
	child_idle_stop(c);
	if (c->c_oncpu)
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
	json_object *req, *id, *op, *o, *empty = NULL;

	req = json_tokener_parse(line);
	if (req == NULL || !json_object_object_get_ex(req, "id", &id) ||
	    !json_object_object_get_ex(req, "op", &op) ||
	    !json_object_is_type(op, json_type_string))
		_exit(NBMD_CHILD_EXIT_PROTO);
	if (!json_object_object_get_ex(req, "args", &c->c_args) ||
	    !json_object_is_type(c->c_args, json_type_object))
		c->c_args = empty = json_object_new_object();
	c->c_op = json_object_get_string(op);
	if (strcmp(c->c_op, "shutdown") == 0)
		child_shutdown(c, id);
	child_curop = c->c_op;
	c->c_result = NULL;
	c->c_error = NULL;
	c->c_reason = PROTO_OK;
	/*
	 * A panic unwinds to here, or, in an observer or a machine thread
	 * while a workload runs, leaves the machine dead: either way the
	 * hook has reported it.
	 */
	if (nbm_machine_try(c->c_m, child_trampoline, c) != 0 ||
	    nbm_machine_dead(c->c_m))
		_exit(NBMD_CHILD_EXIT_PANIC);
	child_curop = child_idleop;
	free(child_capture_end(c));
	o = json_object_new_object();
	json_object_object_add(o, "id", json_object_get(id));
	if (c->c_error != NULL) {
		json_object_put(c->c_blobdesc);
		c->c_blobdesc = NULL;
		json_object_put(c->c_result);
		json_object_object_add(o, "error",
		    json_object_new_string(c->c_error));
		json_object_object_add(o, "reason", json_object_new_string(
		    proto_reason(c->c_reason)));
		free(c->c_error);
		c->c_error = NULL;
	} else {
		json_object_object_add(o, "result", c->c_result != NULL ?
		    c->c_result : json_object_new_object());
		if (c->c_blobdesc != NULL) {
			json_object_object_add(o, "blob",
			    json_object_get(c->c_blobdesc));
			json_object_object_add(o, "bloblen",
			    json_object_new_uint64(c->c_bloblen));
		}
	}
	c->c_result = NULL;
	child_emit(c, o, c->c_blobdesc != NULL ? c->c_blob : NULL,
	    c->c_bloblen);
	if (c->c_wlgo) {
		child_wl_go(c);
		child_curop = child_idleop;
	}
	json_object_put(c->c_blobdesc);
	c->c_blobdesc = NULL;
	c->c_bloblen = 0;
	json_object_put(empty);
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
	struct pollfd pfd[2];
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
	c.c_main = pthread_self();
	pthread_mutex_init(&c.c_wlock, NULL);
	if (pipe(c.c_wake) != 0)
		_exit(NBMD_CHILD_EXIT_BOOT);
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
	c.c_oncpu = true;
	child_idle_start(&c);
	LIST_INIT(&c.c_pools);
	LIST_INIT(&c.c_intrs);
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
		/* A request, or the end of a workload run. */
		pfd[0].fd = fd;
		pfd[0].events = POLLIN;
		pfd[1].fd = c.c_wake[0];
		pfd[1].events = POLLIN;
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents & POLLIN)
			child_wl_done(&c);
		if ((pfd[0].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
			continue;
		n = read(fd, buf + have, CHILD_REQ_MAX - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			child_shutdown(&c, NULL);	/* the daemon is gone */
		have += (size_t)n;
	}
}
